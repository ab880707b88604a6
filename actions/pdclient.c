/*
 * pdclient.c: the one way actions talk to PagerDuty: a REST API v2 or
 * Events API v2 call with the right headers, retries, pagination and
 * PagerDuty's errors turned into the program's one-line JSON error.
 *
 * DESIGN
 * An action is one short process making one to a few calls, so this is
 * libcurl's easy interface, blocking, with one handle kept for the whole
 * call so that the pages of a list reuse one connection.
 *
 * Headers: REST calls carry Authorization (never logged, never in the
 * URL), the version Accept header, Content-Type: application/json (the spec
 * marks it required on most operations, GETs included, and PagerDuty ignores
 * it where there is no body) and From when the call has one. Events calls
 * carry no Authorization: the routing key in the body authenticates.
 * Proxies and CA bundles: http_common_opts() (common/http.c).
 *
 * Retries: up to pagerduty.max_retries more attempts. 429 is retried for
 * every method, after ratelimit-reset seconds, else Retry-After, else the
 * backoff (a 429 may come without either header). Connection errors that
 * happened before a byte of the request went out (DNS, refused, connect
 * timeout) are retried for every method: the request never arrived. 5xx,
 * timeouts and errors after the request was sent are retried for
 * idempotent methods (GET, PUT, DELETE) and for the Events API, whose
 * documentation asks clients to retry them and where a dedup_key makes
 * the repeat harmless (a trigger sent without one may, after a timeout,
 * open a second alert: the risk PagerDuty's guidance accepts); they are
 * NOT retried for a REST POST, since the
 * first attempt may have been applied and a second one would add a second
 * note, status update (mailed to subscribers) or incident. Such a failure
 * says so in its message. Other 4xx are never retried. How long to wait,
 * and what an error answer says, is actions/pdanswer.c's to decide.
 *
 * Pagination: offset lists ask for min(100, what is still wanted) per page
 * and follow `more`; cursor lists follow `next_cursor`. Pages are merged
 * into one array, each item once (by id), and stop at the call's maximum
 * (0 = everything) or at a page with nothing new. PagerDuty refuses
 * offset+limit > 10000, so a list that would need to go past that fails
 * with a message saying how to narrow it, rather than a 400. A caller that
 * can narrow it itself (the poller, by splitting its time window) sets
 * total_max: the first page then asks total=true, and a list holding more
 * fails at once, saying how many, instead of after a hundred pages.
 *
 * Cancellation, for the daemon's sensor thread, which must stop with the
 * daemon: once *call->cancel is set, a transfer is aborted from libcurl's
 * progress callback (called at least once a second) and a wait between
 * retries ends, and the call returns PD_ERR_SHUTTING_DOWN.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "st2pd.h"

#define PD_ACCEPT         "application/vnd.pagerduty+json;version=2"
#define PD_PAGE_MAX       100   /* PagerDuty's largest page */
#define PD_OFFSET_CEILING 10000 /* offset+limit may not exceed this */
#define PD_CONNECT_CAP    5000  /* ms, connect timeout when the total is longer */
#define PD_CANCEL_SLICE   100   /* ms: a wait between retries checks call->cancel this often */

/* One HTTP exchange as the retry loop sees it. */
struct pd_answer {
	CURLcode cc;
	long status; /* 0: no HTTP answer */
	int sent;    /* some of the request went out */
	struct http_body body;
	char *ratelimit_reset;
	char *retry_after;
	char errbuf[CURL_ERROR_SIZE];
};

/* What stays the same over the attempts and pages of one call. */
struct pd_conn {
	const struct pd_config *cfg;
	const struct pd_call *call;
	CURL *curl;
	struct curl_slist *headers;
	char *body; /* serialised call->body, or NULL */
	const char *base;
};

/* Frees what an answer holds and zeroes it for the next attempt. */
static void
pd_answer_clear(struct pd_answer *a)
{
	free(a->body.data);
	free(a->ratelimit_reset);
	free(a->retry_after);
	memset(a, 0, sizeof *a);
}

/* libcurl header callback: keeps the two headers that time a retry. */
static size_t
pd_header_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct pd_answer *a = arg;
	size_t n = size * nmemb;

	if (!http_header_value(ptr, n, "ratelimit-reset", &a->ratelimit_reset))
		http_header_value(ptr, n, "retry-after", &a->retry_after);
	return n;
}

/* n bytes of s percent-encoded for a URL (path segment or query), in new memory. */
char *
pd_escape(const char *s, size_t n)
{
	char *esc = curl_easy_escape(NULL, s, (int)n), *copy;

	/* curl's memory goes back to curl_free(); callers free() ours. */
	if (esc == NULL)
		fatal("curl_easy_escape: out of memory");
	copy = xstrdup(esc);
	curl_free(esc);
	return copy;
}

/* Appends one escaped key=value pair to a query under construction. */
static void
pd_query_add(char **qs, const char *key, size_t keylen, const char *value)
{
	char *k = pd_escape(key, keylen), *v = pd_escape(value, strlen(value)), *next;

	next = xasprintf("%s%s%s=%s", *qs, **qs ? "&" : "", k, v);
	free(k);
	free(v);
	free(*qs);
	*qs = next;
}

/* A scalar query value as text; NULL for null (left out). Caller frees. */
static char *
pd_query_scalar(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	case JSON_REAL:
		return xasprintf("%.15g", json_real_value(v));
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return NULL;
	default: /* an object or a nested array: PagerDuty has none; send its JSON */
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	}
}

/* The query string of a call, without '?': scalars k=v, arrays k[]=v repeated. */
char *
pd_query_string(const json_t *query)
{
	const char *key;
	json_t *v, *item;
	char *qs = xstrdup(""), *text, *akey;
	size_t i, klen;

	if (query == NULL || !json_is_object(query))
		return qs;
	json_object_foreach ((json_t *)query, key, v) {
		if (!json_is_array(v)) {
			if ((text = pd_query_scalar(v)) != NULL)
				pd_query_add(&qs, key, strlen(key), text);
			free(text);
			continue;
		}
		klen = strlen(key);
		if (klen >= 2 && strcmp(key + klen - 2, "[]") == 0)
			akey = xstrdup(key);
		else
			akey = xasprintf("%s[]", key);
		json_array_foreach (v, i, item) {
			if ((text = pd_query_scalar(item)) != NULL)
				pd_query_add(&qs, akey, strlen(akey), text);
			free(text);
		}
		free(akey);
	}
	return qs;
}

/* Whether a transfer error is worth another attempt at all. */
static int
pd_transient(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Whether repeating the call cannot apply it twice (see DESIGN). */
static int
pd_repeatable(const struct pd_call *call)
{
	return call->events || strcmp(call->method, "POST") != 0;
}

/* Whether the caller asked to abandon the call. */
static int
pd_cancelled(const struct pd_call *call)
{
	return call->cancel != NULL && atomic_load(call->cancel) != 0;
}

/* libcurl progress callback: a nonzero return aborts the transfer. */
static int
pd_progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
               curl_off_t ulnow)
{
	return pd_cancelled(arg);
}

/* Sleeps ms, in slices so that a cancel ends the wait; 0, or -1 if cancelled. */
static int
pd_sleep(const struct pd_call *call, long ms)
{
	struct timespec ts;
	long slice;

	while (ms > 0) {
		if (pd_cancelled(call))
			return -1;
		slice = ms < PD_CANCEL_SLICE ? ms : PD_CANCEL_SLICE;
		ts.tv_sec = slice / 1000;
		ts.tv_nsec = (slice % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		ms -= slice;
	}
	return pd_cancelled(call) ? -1 : 0;
}

/* Sets the request options that do not change between attempts. */
static void
pd_conn_setup(struct pd_conn *c)
{
	const struct pd_config *cfg = c->cfg;
	const struct pd_call *call = c->call;
	char *h;
	long timeout = cfg->pd_timeout_ms > 0 ? cfg->pd_timeout_ms : 10000;

	c->base = call->events ? cfg->pd_events_url : cfg->pd_api_url;
	if (!call->events) {
		h = xasprintf("Authorization: Token token=%s", cfg->api_key);
		c->headers = curl_slist_append(c->headers, h);
		crypto_wipe_str(h);
		free(h);
		c->headers = curl_slist_append(c->headers, "Accept: " PD_ACCEPT);
	} else {
		c->headers = curl_slist_append(c->headers, "Accept: application/json");
	}
	if (!call->events || call->body != NULL)
		c->headers = curl_slist_append(c->headers, "Content-Type: application/json");
	if (call->from != NULL && *call->from) {
		h = xasprintf("From: %s", call->from);
		c->headers = curl_slist_append(c->headers, h);
		free(h);
	}
	/* No "100-continue" round trip before a body. */
	c->headers = curl_slist_append(c->headers, "Expect:");

	if (call->body != NULL)
		c->body = json_dumps(call->body, JSON_COMPACT);
	else if (strcmp(call->method, "POST") == 0 || strcmp(call->method, "PUT") == 0)
		c->body = xstrdup(""); /* Content-Length: 0, which proxies want */

	curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, call->method);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	http_common_opts(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
	                 timeout < PD_CONNECT_CAP ? timeout : (long)PD_CONNECT_CAP);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, pd_header_cb);
	if (call->cancel != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, pd_progress_cb);
		curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, (void *)call);
		curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	}
	if (c->body != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(c->body));
	}
}

/* One attempt: the request with this query, the answer into a. */
static void
pd_attempt(struct pd_conn *c, const json_t *query, struct pd_answer *a)
{
	char *qs = pd_query_string(query), *url;
	size_t blen = strlen(c->base);
	long reqsize = 0;

	while (blen > 0 && c->base[blen - 1] == '/')
		blen--;
	url = xasprintf("%.*s%s%s%s", (int)blen, c->base, c->call->path, *qs ? "?" : "", qs);
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &a->body);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, a->errbuf);
	a->cc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &reqsize);
	a->sent = reqsize > 0;
	if (a->cc == CURLE_OK)
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &a->status);
	log_debug("pagerduty %s %.*s%s -> %ld%s%s", c->call->method, (int)blen, c->base,
	          c->call->path, a->status, a->cc != CURLE_OK ? " " : "",
	          a->cc != CURLE_OK ? curl_easy_strerror(a->cc) : "");
	curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	free(url);
	free(qs);
}

/* Adds why a failed answer was not retried, or that retries ran out. */
static void
pd_error_note(json_t *e, int attempts, int unsure)
{
	char *msg;

	if (unsure)
		msg = xasprintf("%s (not retried: the request may have reached PagerDuty and "
		                "been applied)",
		                json_string_value(json_object_get(e, "message")));
	else if (attempts > 1)
		msg = xasprintf("%s (gave up after %d attempts)",
		                json_string_value(json_object_get(e, "message")), attempts);
	else
		return;
	json_object_set_new(e, "message", json_string(msg));
	free(msg);
}

/* The error object for a transfer that got no HTTP answer. */
static json_t *
pd_transport_error(struct pd_conn *c, const struct pd_answer *a, enum pd_err kind, int attempts,
                   int unsure)
{
	json_t *e;
	char *msg;

	msg = xasprintf("%s %s%s: %s", c->call->method, c->base, c->call->path,
	                a->errbuf[0] ? a->errbuf : curl_easy_strerror(a->cc));
	e = pd_error_new(kind, 0, NULL, msg, NULL);
	free(msg);
	pd_error_note(e, attempts, unsure);
	return e;
}

/*
 * One request with its retries. On success *doc gets the parsed answer
 * (NULL when there is no body); on failure *error is set.
 */
static enum pd_err
pd_perform(struct pd_conn *c, const json_t *query, json_t **doc, json_t **error)
{
	struct pd_answer a;
	enum pd_err rc;
	long wait;
	int attempt, retry, unsure, cancelled = 0;

	memset(&a, 0, sizeof a);
	for (attempt = 0;; attempt++) {
		pd_answer_clear(&a);
		pd_attempt(c, query, &a);
		retry = unsure = 0;
		wait = pd_backoff_ms(attempt);
		if (a.cc != CURLE_OK) {
			retry = pd_transient(a.cc) && (!a.sent || pd_repeatable(c->call));
			unsure = pd_transient(a.cc) && !retry;
		} else if (a.status == 429) {
			retry = 1;
			wait =
			    pd_retry_wait_ms(a.ratelimit_reset, a.retry_after, attempt, now_ms());
		} else if (a.status >= 500) {
			retry = pd_repeatable(c->call);
			unsure = !retry;
		}
		if (!retry || attempt >= c->cfg->pd_max_retries)
			break;
		log_debug("pagerduty %s %s: retrying in %ld ms", c->call->method, c->call->path,
		          wait);
		if (pd_sleep(c->call, wait) != 0) {
			cancelled = 1;
			break;
		}
	}

	if (cancelled || a.cc == CURLE_ABORTED_BY_CALLBACK) {
		rc = PD_ERR_SHUTTING_DOWN;
		*error = pd_error_new(rc, 0, NULL, "cancelled: stopping", NULL);
	} else if (a.cc != CURLE_OK) {
		rc = a.cc == CURLE_OPERATION_TIMEDOUT ? PD_ERR_TIMEOUT
		     : a.cc == CURLE_OUT_OF_MEMORY    ? PD_ERR_NOMEM
		                                      : PD_ERR_NETWORK;
		*error = pd_transport_error(c, &a, rc, attempt + 1, unsure);
	} else if (a.status >= 200 && a.status < 300) {
		rc = PD_OK;
		if (a.body.len > 0 &&
		    (*doc = json_loadb(a.body.data, a.body.len, JSON_DECODE_ANY, NULL)) == NULL) {
			rc = PD_ERR_HTTP;
			*error =
			    pd_error_new(rc, a.status, NULL,
			                 "PagerDuty answered with a body that is not JSON", NULL);
		}
	} else {
		rc = a.status >= 400 && a.status < 500 ? PD_ERR_PD_REJECTED : PD_ERR_HTTP;
		*error = pd_error_from_answer(rc, a.status, a.body.data, a.body.len);
		pd_error_note(*error, attempt + 1, unsure);
	}
	pd_answer_clear(&a);
	return rc;
}

/* The collection array of a page, or an error saying it is missing. */
static json_t *
pd_page_items(struct pd_conn *c, json_t *page, json_t **error)
{
	json_t *items = json_object_get(page, c->call->collection);
	char *msg;

	if (json_is_array(items))
		return items;
	msg = xasprintf("PagerDuty's answer to %s %s has no \"%s\" list", c->call->method,
	                c->call->path, c->call->collection);
	*error = pd_error_new(PD_ERR_HTTP, 200, NULL, msg, NULL);
	free(msg);
	return NULL;
}

/* What tells one item from another: its id, else (oncalls have none) its whole text. */
static char *
pd_item_key(json_t *item)
{
	const char *id = json_string_value(json_object_get(item, "id"));
	char *text;

	if (id != NULL)
		return xasprintf("id:%s", id);
	if ((text = json_dumps(item, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)) == NULL)
		fatal("json_dumps: out of memory");
	return text;
}

/*
 * Appends the items not seen before to all, until maximum. Returns how
 * many were new; *full is set when maximum is reached.
 */
static size_t
pd_page_merge(json_t *all, json_t *seen, json_t *items, long maximum, int *full)
{
	size_t i, fresh = 0;
	json_t *item;
	char *key;

	json_array_foreach (items, i, item) {
		if (maximum > 0 && (long)json_array_size(all) >= maximum)
			break;
		key = pd_item_key(item);
		if (json_object_get(seen, key) == NULL) {
			json_object_set_new(seen, key, json_true());
			json_array_append(all, item);
			fresh++;
		}
		free(key);
	}
	*full = maximum > 0 && (long)json_array_size(all) >= maximum;
	return fresh;
}

/* The page size to ask for next. */
static long
pd_page_limit(long maximum, size_t have)
{
	if (maximum > 0 && maximum - (long)have < PD_PAGE_MAX)
		return maximum - (long)have;
	return PD_PAGE_MAX;
}

/*
 * The query of the next page: limit, and offset or cursor. NULL, with
 * *error, when an offset list would need to go past PD_OFFSET_CEILING.
 */
static json_t *
pd_page_query(struct pd_conn *c, size_t have, json_int_t offset, const char *cursor, json_t **error)
{
	const struct pd_call *call = c->call;
	long limit = pd_page_limit(call->maximum, have);
	json_t *q;
	char *msg;

	if (call->page == PD_PAGE_OFFSET && offset + limit > PD_OFFSET_CEILING)
		limit = (long)(PD_OFFSET_CEILING - offset);
	if (limit <= 0) {
		msg =
		    xasprintf("%s %s: PagerDuty lists at most %d items by offset (offset+limit <= "
		              "%d); %zu fetched and more remain: narrow the query (since/until, "
		              "filters) or set maximum",
		              call->method, call->path, PD_OFFSET_CEILING, PD_OFFSET_CEILING, have);
		*error = pd_error_new(PD_ERR_VALIDATION, 0, NULL, msg, NULL);
		free(msg);
		return NULL;
	}
	q = call->query != NULL ? json_deep_copy(call->query) : json_object();
	json_object_set_new(q, "limit", json_integer(limit));
	/* Counting costs PagerDuty time: asked once, with the first page. */
	if (call->page == PD_PAGE_OFFSET && call->total_max > 0 && have == 0)
		json_object_set_new(q, "total", json_true());
	if (call->page == PD_PAGE_OFFSET)
		json_object_set_new(q, "offset", json_integer(offset));
	else if (cursor != NULL)
		json_object_set_new(q, "cursor", json_string(cursor));
	return q;
}

/*
 * The first page's total, when the caller set total_max and the list holds
 * more: the error of the header's comment, with "total". NULL otherwise.
 */
static json_t *
pd_total_error(struct pd_conn *c, json_t *page)
{
	json_t *total = json_object_get(page, "total"), *e;
	char *msg;

	if (c->call->total_max <= 0 || !json_is_integer(total) ||
	    json_integer_value(total) <= c->call->total_max)
		return NULL;
	msg = xasprintf("%s %s: the list holds %" JSON_INTEGER_FORMAT " items, more than %ld at "
	                "once",
	                c->call->method, c->call->path, json_integer_value(total),
	                c->call->total_max);
	e = pd_error_new(PD_ERR_VALIDATION, 0, NULL, msg, NULL);
	json_object_set(e, "total", total);
	free(msg);
	return e;
}

/*
 * Every page of a list, merged into all: offset lists follow `more`,
 * cursor lists `next_cursor`. A page that brings no item not seen before
 * ends the list too: a server answering `more: true` with the same page
 * forever would otherwise be asked until the offset ceiling (or, by
 * cursor, without end); and items PagerDuty repeats across pages are kept
 * once.
 */
static enum pd_err
pd_paged(struct pd_conn *c, json_t *all, json_t **error)
{
	const struct pd_call *call = c->call;
	json_t *q, *page, *items, *next, *seen = json_object();
	json_int_t offset = 0;
	char *cursor = NULL;
	enum pd_err rc = PD_OK;
	size_t fresh;
	int done, full;

	if (call->query != NULL && json_is_integer(json_object_get(call->query, "offset")))
		offset = json_integer_value(json_object_get(call->query, "offset"));
	for (done = 0; !done;) {
		if ((q = pd_page_query(c, json_array_size(all), offset, cursor, error)) == NULL) {
			rc = PD_ERR_VALIDATION;
			break;
		}
		page = NULL;
		rc = pd_perform(c, q, &page, error);
		json_decref(q);
		if (rc != PD_OK)
			break;
		if ((items = pd_page_items(c, page, error)) == NULL) {
			json_decref(page);
			rc = PD_ERR_HTTP;
			break;
		}
		if (json_array_size(all) == 0 && (*error = pd_total_error(c, page)) != NULL) {
			json_decref(page);
			rc = PD_ERR_VALIDATION;
			break;
		}
		fresh = pd_page_merge(all, seen, items, call->maximum, &full);
		offset += (json_int_t)json_array_size(items);
		next = json_object_get(page, "next_cursor");
		free(cursor);
		cursor = json_is_string(next) ? xstrdup(json_string_value(next)) : NULL;
		if (call->page == PD_PAGE_OFFSET)
			done = !json_is_true(json_object_get(page, "more"));
		else
			done = cursor == NULL || *cursor == '\0';
		done |= full || json_array_size(items) == 0;
		if (!done && fresh == 0) {
			log_warn("pagerduty %s %s: a page brought nothing new after %zu items; "
			         "stopping there",
			         call->method, call->path, json_array_size(all));
			done = 1;
		}
		json_decref(page);
	}
	free(cursor);
	json_decref(seen);
	return rc;
}

/* Runs one call: see the header's comment and DESIGN above. */
enum pd_err
pd_request(const struct pd_config *cfg, const struct pd_call *call, json_t **out, json_t **error)
{
	struct pd_conn c;
	struct curl_slist *h;
	json_t *all;
	enum pd_err rc;

	*out = NULL;
	*error = NULL;
	if (!call->events && (cfg->api_key == NULL || *cfg->api_key == '\0')) {
		*error = pd_error_new(PD_ERR_CONFIG, 0, NULL,
		                      "api_key is not set (config file or its {env: NAME})", NULL);
		return PD_ERR_CONFIG;
	}
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.call = call;
	if ((c.curl = curl_easy_init()) == NULL)
		fatal("out of memory");
	pd_conn_setup(&c);

	if (call->page == PD_PAGE_NONE || call->collection == NULL) {
		rc = pd_perform(&c, call->query, out, error);
	} else {
		all = json_array();
		rc = pd_paged(&c, all, error);
		if (rc == PD_OK)
			*out = all;
		else
			json_decref(all);
	}

	curl_easy_cleanup(c.curl);
	/* The Authorization header is in this list: wipe before freeing. */
	for (h = c.headers; h != NULL; h = h->next)
		crypto_wipe_str(h->data);
	curl_slist_free_all(c.headers);
	free(c.body);
	return rc;
}
