/*
 * pdanswer.c: what PagerDuty's answers mean to a call: the one-line JSON
 * error a failed call prints (from a REST error body, an Events API body,
 * an RFC 7807 validation list, or the first line of whatever else came
 * back), and how long to wait before trying again (ratelimit-reset, else
 * Retry-After, else capped exponential backoff with jitter, so parallel
 * actions spread out). actions/pdclient.c asks; these functions only
 * decide, so the unit tests can hold them to PagerDuty's documented forms.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <curl/curl.h>

#include "st2pd.h"

#define PD_BACKOFF_BASE 500   /* ms before the first retry */
#define PD_BACKOFF_CAP  20000 /* ms, longest backoff (go-pagerduty's MaxDelay) */
#define PD_WAIT_CAP     60000 /* ms, longest wait a 429 may ask for */
#define PD_WAIT_JITTER  250   /* ms added to a wait PagerDuty asked for */
#define PD_SNIPPET      200   /* bytes of a non-JSON error body kept */

/* Backoff before retry number attempt (0 first): capped exponential, jittered. */
long
pd_backoff_ms(int attempt)
{
	long base = PD_BACKOFF_BASE;

	while (attempt-- > 0 && base < PD_BACKOFF_CAP)
		base *= 2;
	if (base > PD_BACKOFF_CAP)
		base = PD_BACKOFF_CAP;
	/* "Equal jitter": at least half the base, so retries never bunch at 0. */
	return base / 2 + (long)crypto_uniform((uint32_t)(base / 2) + 1);
}

/* Seconds in a header value ("2", "1.5"); -1 if it is not a number. */
static double
pd_parse_seconds(const char *s)
{
	char *end;
	double d;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	d = strtod(s, &end);
	while (*end == ' ')
		end++;
	if (errno != 0 || *end != '\0' || end == s || !isfinite(d) || d < 0)
		return -1;
	return d;
}

/* Wait before retrying a 429: ratelimit-reset, else Retry-After, else backoff. */
long
pd_retry_wait_ms(const char *ratelimit_reset, const char *retry_after, int attempt, int64_t now)
{
	double secs = pd_parse_seconds(ratelimit_reset);
	time_t when;
	long ms;

	if (secs < 0)
		secs = pd_parse_seconds(retry_after);
	if (secs < 0 && retry_after != NULL && (when = curl_getdate(retry_after, NULL)) != -1) {
		/* An HTTP date: the time left until then, none if it has passed. */
		secs = (double)when - (double)(now / 1000);
		if (secs < 0)
			secs = 0;
	}
	if (secs < 0)
		return pd_backoff_ms(attempt);
	ms = secs * 1000 > PD_WAIT_CAP ? PD_WAIT_CAP : (long)(secs * 1000);
	return ms + (long)crypto_uniform(PD_WAIT_JITTER + 1);
}

/* Builds the error object of pd_request's comment; takes code and errors. */
json_t *
pd_error_new(enum pd_err kind, long status, json_t *code, const char *message, json_t *errors)
{
	if (code == NULL)
		code = json_string(pd_errcode(kind));
	if (errors == NULL)
		errors = json_array();
	return json_pack("{s:o, s:o, s:o, s:o}", "code", code, "message",
	                 message_json(message != NULL && *message ? message : pd_strerror(kind)),
	                 "http_status", status > 0 ? json_integer(status) : json_null(), "errors",
	                 errors);
}

/* PagerDuty's errors member as an array of strings ("errors": [..] or one string). */
static json_t *
pd_errors_list(json_t *v)
{
	json_t *list, *item;
	size_t i;
	char *text;

	if (json_is_string(v))
		return json_pack("[O]", v);
	if (!json_is_array(v))
		return NULL;
	list = json_array();
	json_array_foreach (v, i, item) {
		if (json_is_string(item)) {
			json_array_append(list, item);
		} else {
			text = json_dumps(item, JSON_COMPACT | JSON_ENCODE_ANY);
			json_array_append_new(list, json_string(text));
			free(text);
		}
	}
	return list;
}

/* An RFC 7807 "validation" list (Prism's 422) as "location: message" strings. */
static json_t *
pd_validation_list(json_t *v)
{
	json_t *list = json_array(), *item, *loc, *part;
	const char *msg;
	size_t i, j;
	char *where, *next;

	json_array_foreach (v, i, item) {
		where = xstrdup("");
		loc = json_object_get(item, "location");
		json_array_foreach (loc, j, part) {
			if (!json_is_string(part))
				continue;
			next =
			    xasprintf("%s%s%s", where, *where ? "." : "", json_string_value(part));
			free(where);
			where = next;
		}
		if ((msg = json_string_value(json_object_get(item, "message"))) == NULL)
			msg = "invalid";
		next = xasprintf("%s: %s", where, msg);
		json_array_append_new(list, json_string(next));
		free(next);
		free(where);
	}
	return list;
}

/* The first line of a non-JSON body, cut short, for a message. Caller frees. */
static char *
pd_body_snippet(const char *body, size_t len)
{
	size_t n = 0;

	while (n < len && n < PD_SNIPPET && body[n] != '\n' && body[n] != '\r' && body[n] != '\0')
		n++;
	return xstrndup(body, n);
}

/* The error object for an HTTP answer that is not a success. */
json_t *
pd_error_from_answer(enum pd_err kind, long status, const char *body, size_t len)
{
	json_t *doc = NULL, *e, *code = NULL, *errors = NULL, *out;
	const char *msg = NULL, *st;
	char *own = NULL;

	if (body != NULL && len > 0)
		doc = json_loadb(body, len, 0, NULL);
	if (json_is_object(doc)) {
		e = json_object_get(doc, "error");
		if (json_is_object(e)) { /* REST: {"error":{"code","message","errors"}} */
			msg = json_string_value(json_object_get(e, "message"));
			code = json_object_get(e, "code");
			errors = pd_errors_list(json_object_get(e, "errors"));
		} else if (json_is_string(e)) {
			msg = json_string_value(e);
		} else if (json_is_string(json_object_get(doc, "message"))) {
			/* Events: {"status","message","errors"}; or a bare {"message","code"}. */
			msg = json_string_value(json_object_get(doc, "message"));
			code = json_object_get(doc, "code");
			if ((st = json_string_value(json_object_get(doc, "status"))) != NULL)
				msg = own = xasprintf("%s: %s", st, msg);
			errors = pd_errors_list(json_object_get(doc, "errors"));
		} else if (json_object_get(doc, "title") != NULL) {
			/* RFC 7807 problem, as a validating mock answers. */
			msg = json_string_value(json_object_get(doc, "detail"));
			if (msg == NULL)
				msg = json_string_value(json_object_get(doc, "title"));
			if (json_is_array(json_object_get(doc, "validation")))
				errors = pd_validation_list(json_object_get(doc, "validation"));
		}
		if (code != NULL && (json_is_integer(code) || json_is_string(code)))
			json_incref(code);
		else
			code = NULL;
	}
	if (msg == NULL && body != NULL && len > 0 && doc == NULL)
		msg = own = pd_body_snippet(body, len);
	if (msg == NULL || *msg == '\0') {
		free(own);
		msg = own = xasprintf("PagerDuty answered HTTP %ld", status);
	}
	out = pd_error_new(kind, status, code, msg, errors);
	free(own);
	json_decref(doc);
	return out;
}
