/*
 * forward_http.c: the forwarder's requests to st2: one POST of a trigger
 * per window event, on libcurl's multi interface driven by the forwarder's
 * own libevent loop (common/curlev.c), which keeps the connections to
 * StackStorm alive between requests. What an answer means is decided in
 * forward.c (fw_outcome); the mechanism is explained there.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "forward.h"

/* Frees a transfer, detaching it from the multi handle first. */
void
fw_xfer_free(struct forwarder *fw, struct fw_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL) {
		curlev_remove(fw->curl, x->easy);
		/* Nothing of x may outlive it in an idle handle. */
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, NULL);
		curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
		if (fw->nidle < FW_MAX_IN_FLIGHT)
			fw->idle[fw->nidle++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
	}
	free(x->tag.data);
	free(x->body);
	free(x->resp.data);
	free(x);
}

/*
 * A handle with the options every request shares. Handles are kept between
 * requests (fw->idle) rather than built and cleared for each of them; the
 * connections themselves live in the multi handle either way.
 */
static CURL *
fw_easy(struct forwarder *fw)
{
	CURL *easy;

	if (fw->nidle > 0)
		return fw->idle[--fw->nidle];
	if ((easy = curl_easy_init()) == NULL)
		fatal("forward: libcurl: out of memory");
	curl_easy_setopt(easy, CURLOPT_URL, fw->url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)FW_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)FW_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, fw->verify_tls ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, fw->verify_tls ? 2L : 0L);
	http_common_opts(easy);
	return easy;
}

/* Starts the POST of one window event. */
void
fw_start(struct forwarder *fw, struct fw_item *it)
{
	struct fw_xfer *x = xcalloc(1, sizeof *x);
	const char *why;
	char *p;

	x->body = payload_trigger_body(it->ev, "");
	/* The event id is PagerDuty's: keep control characters out of the header. */
	x->tag.data = xasprintf("St2-Trace-Tag: pagerduty-%s", it->ev->event_id);
	for (p = x->tag.data; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p))
			*p = '_';
	}
	x->tag.next = fw->headers;
	x->easy = fw_easy(fw);
	/* Every option a previous request set differently is set again here. */
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, &x->tag);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->body));
	x->resp.max = FW_RESP_MAX; /* kept for error reasons; st2's answers are far smaller */
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, &x->resp);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, it);

	it->xfer = x;
	it->state = FW_IN_FLIGHT;
	fw->in_flight++;
	if ((why = curlev_add(fw->curl, x->easy)) != NULL) {
		/* Not sent at all: count it as a failed attempt and back off. */
		snprintf(x->errbuf, sizeof x->errbuf, "%s", why);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		fw_outcome(fw, it, CURLE_FAILED_INIT, 0, 0);
	}
}

/* curlev: a transfer finished; record its outcome. */
static void
fw_curl_done(void *easy, int result, void *arg)
{
	struct forwarder *fw = arg;
	curl_off_t retry_after = 0;
	long status = 0;
	char *priv;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if (result == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
	}
	fw_outcome(fw, (struct fw_item *)priv, (CURLcode)result, status, (int64_t)retry_after);
}

/* curlev: every finished transfer is recorded; start the next ones. */
static void
fw_curl_collected(void *arg)
{
	struct forwarder *fw = arg;

	fw_dispatch(fw);
	fw_maybe_done(fw);
}

/*
 * The multi handle on the forwarder's loop and the headers every request
 * shares (the forwarder is in HTTP mode: st2.api_url is set).
 */
void
fw_http_new(struct forwarder *fw)
{
	fw->curl = curlev_new(fw->base, FW_MAX_IN_FLIGHT, fw_curl_done, fw_curl_collected, fw);
	fw->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* Without this libcurl may wait a second for 100-continue on large bodies. */
	fw->headers = curl_slist_append(fw->headers, "Expect:");
	if (fw->auth != NULL)
		fw->headers = curl_slist_append(fw->headers, fw->auth);
	if (fw->headers == NULL)
		fatal("forward: libcurl: out of memory");
}

/* Frees the idle handles, the multi handle and the headers; nothing may be in flight. */
void
fw_http_free(struct forwarder *fw)
{
	while (fw->nidle > 0)
		curl_easy_cleanup(fw->idle[--fw->nidle]);
	curlev_free(fw->curl);
	curl_slist_free_all(fw->headers);
}
