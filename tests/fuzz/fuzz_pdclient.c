/*
 * fuzz_pdclient.c: fuzz target for what `run` reads from PagerDuty's
 * answers without a network: pd_error_from_answer() (a REST, Events or RFC
 * 7807 error body, or something else), pd_retry_wait_ms() (ratelimit-reset
 * and Retry-After texts), http_header_value() (the header lines libcurl
 * hands over), pd_query_string() on a JSON value, and action_shape_result()
 * (what run prints of an answer). Everything else in pdclient.c that
 * reads an answer is static and runs only behind libcurl.
 *
 * Input: a byte picks the error kind and the action, two bytes the HTTP
 * status, one the retry attempt, and the rest is the answer body; its
 * first two lines are also the two header values. Oracles:
 *  - the error object is {"code": string or integer, "message": a
 *    non-empty string, "http_status": the status or null, "errors": an
 *    array of strings}, and can be written as the JSON line run prints;
 *  - a wait is within [0, 60 s + jitter];
 *  - a header value is trimmed, and found only under its own name;
 *  - a query string holds only URL-safe characters and %XX escapes.
 */
#include <ctype.h>
#include <strings.h>

#include "fuzz.h"

/* pdanswer.c's PD_WAIT_CAP + PD_WAIT_JITTER: the longest wait for a 429. */
#define FUZZ_WAIT_MAX (60000 + 250)

/* A fixed "now" (2026-01-01), so that a date in Retry-After means the same every run. */
#define FUZZ_NOW_MS 1767225600000LL

/* The error object of one answer: its shape, and that run can print it. */
static void
check_error(enum pd_err kind, long status, const char *body, size_t len)
{
	json_t *e = pd_error_from_answer(kind, status, body, len), *v;
	size_t i;
	char *s;

	FUZZ_CHECK(json_is_object(e));
	v = json_object_get(e, "code");
	FUZZ_CHECK(json_is_string(v) || json_is_integer(v));
	v = json_object_get(e, "message");
	FUZZ_CHECK(json_is_string(v) && json_string_length(v) > 0);
	v = json_object_get(e, "http_status");
	FUZZ_CHECK(status > 0 ? json_integer_value(v) == status : json_is_null(v));
	v = json_object_get(e, "errors");
	FUZZ_CHECK(json_is_array(v));
	for (i = 0; i < json_array_size(v); i++)
		FUZZ_CHECK(json_is_string(json_array_get(v, i)));
	s = json_dumps(e, JSON_COMPACT);
	FUZZ_CHECK(s != NULL);
	free(s);
	json_decref(e);
}

/* The first two lines of the body as header values (NULL when there is no such line). */
static void
check_wait(const char *text, int attempt)
{
	char *copy = xstrdup(text), *reset = copy, *after = strchr(copy, '\n');
	long w;

	if (after != NULL)
		*after++ = '\0';
	if (after != NULL && strchr(after, '\n') != NULL)
		*strchr(after, '\n') = '\0';
	w = pd_retry_wait_ms(reset, after, attempt, FUZZ_NOW_MS);
	FUZZ_CHECK(w >= 0 && w <= FUZZ_WAIT_MAX);
	w = pd_retry_wait_ms(NULL, reset, attempt, FUZZ_NOW_MS);
	FUZZ_CHECK(w >= 0 && w <= FUZZ_WAIT_MAX);
	free(copy);
}

/* The body as one header line, as libcurl's header callback gets it. */
static void
check_header(const char *line, size_t len)
{
	static const char *const names[] = {"retry-after", "ratelimit-reset"};
	char *out = xstrdup("earlier value");
	size_t i, n, vlen;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		n = strlen(names[i]);
		if (!http_header_value(line, len, names[i], &out)) {
			FUZZ_CHECK(len <= n || strncasecmp(line, names[i], n) != 0 ||
			           line[n] != ':');
			continue;
		}
		FUZZ_CHECK(len > n && strncasecmp(line, names[i], n) == 0 && line[n] == ':');
		vlen = strlen(out);
		FUZZ_CHECK(out[0] != ' ' && out[0] != '\t');
		FUZZ_CHECK(vlen == 0 || strchr(" \r\n", out[vlen - 1]) == NULL);
	}
	free(out);
}

/* A query string: unreserved characters, %XX escapes, and the '=' and '&' between. */
static void
check_query(const json_t *query)
{
	char *qs = pd_query_string(query);
	const char *p;

	FUZZ_CHECK(qs != NULL);
	for (p = qs; *p != '\0'; p++) {
		if (*p == '%') {
			FUZZ_CHECK(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]));
			p += 2;
			continue;
		}
		FUZZ_CHECK(isalnum((unsigned char)*p) || strchr("-._~=&", *p) != NULL);
	}
	free(qs);
}

/* One answer: the error object, the waits, the header, the query, run's result. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct action *act;
	enum pd_err kind;
	long status;
	int attempt;
	const char *body;
	char *text;
	size_t len;
	json_t *doc, *out;

	fuzz_quiet();
	if (size < 4)
		return 0;
	kind = (enum pd_err)(data[0] % PD_ERR_LAST);
	act = &action_table[data[0] % action_count];
	status = (long)data[1] << 8 | data[2];
	attempt = (int)(int8_t)data[3];
	body = (const char *)data + 4;
	len = size - 4;

	check_error(kind, status, body, len);
	check_error(kind, status, NULL, 0);
	text = fuzz_cstr(data + 4, len);
	check_wait(text, attempt);
	/* libcurl hands over a header line up to its end; a NUL byte is not in one. */
	check_header(body, strnlen(body, len));

	doc = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	check_query(doc);
	out = action_shape_result(act, doc);
	FUZZ_CHECK(out != NULL);
	json_decref(out);
	json_decref(doc);
	free(text);
	return 0;
}
