/*
 * http.c: blocking one-shot HTTP requests with libcurl, for subcommands
 * that talk to one peer and exit (register, send-test). The daemon's
 * forwarder does not use this: it runs libcurl's multi interface on the
 * event loop (triggers/forward.c).
 *
 * Every libcurl handle of the program, here or not, gets the options of
 * http_common_opts(): our User-Agent, http and https only, no signals, and
 * the CA bundle variables. Proxies follow libcurl's own variables
 * (https_proxy, no_proxy, ...); the CA bundle variables CURL_CA_BUNDLE,
 * SSL_CERT_FILE and SSL_CERT_DIR are read by the curl tool, not by
 * libcurl, so they are applied here the way the tool applies them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "st2pd.h"

size_t
http_body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_body *b = arg;
	size_t n = size * nmemb, take = n;

	if (b->max > 0 && b->len + take > b->max)
		take = b->max - b->len;
	if (take > 0) {
		b->data = xrealloc(b->data, b->len + take + 1);
		memcpy(b->data + b->len, ptr, take);
		b->len += take;
		b->data[b->len] = '\0';
	}
	return n;
}

int
http_header_value(const char *line, size_t n, const char *name, char **out)
{
	size_t nl = strlen(name), vlen;
	const char *v;

	if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return 0;
	v = line + nl + 1;
	vlen = n - nl - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' ' ||
	                    v[vlen - 1] == '\t'))
		vlen--;
	free(*out);
	*out = xstrndup(v, vlen);
	return 1;
}

static size_t
http_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct http_resp *r = arg;

	http_header_value(ptr, size * nmemb, "Retry-After", &r->retry_after);
	return size * nmemb;
}

void
http_common_opts(void *easy)
{
	const char *ca;

	curl_easy_setopt(easy, CURLOPT_USERAGENT, "st2-pagerduty/" PD_VERSION);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if ((ca = getenv("CURL_CA_BUNDLE")) != NULL || (ca = getenv("SSL_CERT_FILE")) != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, ca);
	if ((ca = getenv("SSL_CERT_DIR")) != NULL)
		curl_easy_setopt(easy, CURLOPT_CAPATH, ca);
}

/* Maps a libcurl transfer error to ours. */
static enum pd_err
http_curl_err(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return PD_ERR_TIMEOUT;
	case CURLE_OUT_OF_MEMORY:
		return PD_ERR_NOMEM;
	default:
		return PD_ERR_NETWORK;
	}
}

enum pd_err
http_request(const char *method, const char *url, const struct pd_strlist *headers,
             const char *body, size_t len, long timeout_ms, int verify_tls, struct http_resp *out)
{
	CURL *c;
	struct curl_slist *hl = NULL;
	struct http_body b = {NULL, 0, 0};
	CURLcode cc;
	size_t i;
	char errbuf[CURL_ERROR_SIZE] = "";

	memset(out, 0, sizeof *out);
	if ((c = curl_easy_init()) == NULL)
		return PD_ERR_NOMEM;
	for (i = 0; headers != NULL && i < headers->n; i++)
		hl = curl_slist_append(hl, headers->v[i]);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify_tls ? 2L : 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	http_common_opts(c);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	else
		log_debug("http %s %s: %s", method, url,
		          errbuf[0] ? errbuf : curl_easy_strerror(cc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	out->body = b.data != NULL ? b.data : xstrdup("");
	out->len = b.len;
	if (cc != CURLE_OK) {
		free(out->retry_after);
		out->retry_after = NULL;
		return http_curl_err(cc);
	}
	return PD_OK;
}

void
http_resp_free(struct http_resp *r)
{
	free(r->body);
	free(r->retry_after);
	memset(r, 0, sizeof *r);
}
