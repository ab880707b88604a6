/*
 * answer.c: what StackStorm's answer to a trigger means for the event: it
 * was delivered, it is a dead letter (st2 will never take it), or it is
 * tried again (with backoff, or after Retry-After); and the reason stored
 * with a dead letter or a retry, short enough for `spool status` to group
 * dead letters by it. The forwarder acts on it; this file only decides.
 *
 * 2xx is delivered. 400, 413 and 422 mean st2 will never take this event
 * (unknown trigger, payload rejected, too large). Everything else
 * (connection errors, timeouts, 401/403, 404, 408, 429, 5xx) is retried:
 * StackStorm may be down or misconfigured for hours, and an event
 * PagerDuty was told we accepted must not be lost.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* Length of a response excerpt in a reason. */
#define ANSWER_EXCERPT 200
/* st2's faultstring repeats the whole payload: keep reasons and logs readable. */
#define ANSWER_FAULT_MAX  1024
#define ANSWER_FAULT_HEAD 256 /* of which the start; the rest is the end */

/*
 * A faultstring of reasonable length. st2's "payload validation failed"
 * text puts the whole payload between the trigger ref and the reason, so
 * keep both ends and cut the middle, at UTF-8 character boundaries.
 */
static char *
answer_shorten(const char *f)
{
	size_t len = strlen(f), head = ANSWER_FAULT_HEAD, tail;

	if (len <= ANSWER_FAULT_MAX)
		return xstrdup(f);
	tail = len - (ANSWER_FAULT_MAX - ANSWER_FAULT_HEAD);
	while (head > 0 && ((unsigned char)f[head] & 0xc0) == 0x80)
		head--;
	while (tail < len && ((unsigned char)f[tail] & 0xc0) == 0x80)
		tail++;
	return xasprintf("%.*s ... %s", (int)head, f, f + tail);
}

/*
 * st2's 400 for a trigger it will not dispatch reads 'Trigger payload
 * validation failed and validation is enabled, not dispatching a trigger
 * "REF" (PAYLOAD): REASON'. The payload is in the spool already and would
 * make every dead-letter reason unique (spool status groups by reason), so
 * keep 'not dispatching a trigger "REF": REASON'. REASON follows the last
 * "): ", as jsonschema's messages do not contain one.
 */
static char *
answer_drop_payload(const char *f)
{
	static const char mark[] = "not dispatching a trigger \"";
	const char *p = strstr(f, mark), *q, *r, *last = NULL;
	char *cut, *s;

	if (p == NULL || (q = strstr(p + sizeof mark - 1, "\" (")) == NULL)
		return answer_shorten(f);
	for (r = q; (r = strstr(r, "): ")) != NULL; r++)
		last = r;
	if (last == NULL)
		return answer_shorten(f);
	cut = xasprintf("%.*s\": %s", (int)(q - f), f, last + 3);
	s = answer_shorten(cut);
	free(cut);
	return s;
}

/* st2's faultstring from an error body, else a one-line excerpt of it. */
char *
answer_reason(const char *body, size_t len)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	const char *f = json_string_value(json_object_get(o, "faultstring"));
	char *s;
	size_t i;

	if (f != NULL) {
		s = answer_drop_payload(f);
		json_decref(o);
		return s;
	}
	json_decref(o);
	if (len == 0)
		return xstrdup("(empty body)");
	s = xstrndup(body, len < ANSWER_EXCERPT ? len : ANSWER_EXCERPT);
	/* Often an HTML error page: one line, and ASCII so the reason stays valid UTF-8. */
	for (i = 0; s[i] != '\0'; i++) {
		if ((unsigned char)s[i] >= 0x80)
			s[i] = '?';
		else if (iscntrl((unsigned char)s[i]))
			s[i] = ' ';
	}
	return s;
}

/* What each HTTP status means; the first matching row wins. */
static const struct answer_rule answer_rules[] = {
    {200, 299, ANSWER_DELIVERED, LOG_DEBUG, NULL},
    {400, 400, ANSWER_DEAD, LOG_ERROR, NULL},
    {413, 413, ANSWER_DEAD, LOG_ERROR, NULL},
    {422, 422, ANSWER_DEAD, LOG_ERROR, NULL},
    {401, 401, ANSWER_RETRY, LOG_ERROR, "forward: st2 refused st2.api_key/auth_token, retrying"},
    {403, 403, ANSWER_RETRY, LOG_ERROR, "forward: st2 refused st2.api_key/auth_token, retrying"},
    {404, 404, ANSWER_RETRY, LOG_ERROR,
     "forward: no st2 webhook there, wrong st2.api_url? retrying"},
    {300, 399, ANSWER_RETRY, LOG_ERROR, "forward: st2 redirects, wrong st2.api_url? retrying"},
    {429, 429, ANSWER_RETRY_AFTER, LOG_WARN, "forward: st2 unavailable, retrying with backoff"},
    {503, 503, ANSWER_RETRY_AFTER, LOG_WARN, "forward: st2 unavailable, retrying with backoff"},
    {0, 999, ANSWER_RETRY, LOG_WARN, "forward: st2 unavailable, retrying with backoff"},
};

/* The rule for an HTTP status (0: no answer at all). */
const struct answer_rule *
answer_rule(long status)
{
	size_t i;

	for (i = 0; i < sizeof answer_rules / sizeof answer_rules[0] - 1; i++) {
		if (status >= answer_rules[i].lo && status <= answer_rules[i].hi)
			break;
	}
	return &answer_rules[i];
}
