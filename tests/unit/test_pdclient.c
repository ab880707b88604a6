/*
 * test_pdclient.c: the pure parts of the PagerDuty client (actions/pdclient.c):
 * query strings as PagerDuty reads them (key[] arrays, lowercase booleans,
 * escaping), PagerDuty's error bodies mapped to the one error object, and
 * the bounds of backoff and 429 waits. Nothing here opens a socket; the
 * behaviour over HTTP is tests/integration/test_pdclient.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "testlib.h"

/* The query string of a JSON object given as text. */
static char *
query_of(const char *json)
{
	json_t *q = json_loads(json, 0, NULL);
	char *qs;

	assert_non_null(q);
	qs = pd_query_string(q);
	json_decref(q);
	return qs;
}

/* Asserts the query string of json. */
static void
assert_query(const char *json, const char *want)
{
	char *qs = query_of(json);

	assert_string_equal(qs, want);
	free(qs);
}

/* No query, or an empty one, gives an empty string (no bare '?'). */
static void
test_query_empty(void **state)
{
	char *qs = pd_query_string(NULL);

	assert_string_equal(qs, "");
	free(qs);
	assert_query("{}", "");
	assert_query("{\"a\": null}", "");
	assert_query("{\"a\": []}", "");
}

/* Scalars are k=v in the object's order; numbers are plain. */
static void
test_query_scalars(void **state)
{
	assert_query("{\"limit\": 100, \"offset\": 0, \"query\": \"db\"}",
	             "limit=100&offset=0&query=db");
	assert_query("{\"ratio\": 1.5}", "ratio=1.5");
}

/* Booleans are lowercase true/false, never Python's True/False or 1/0. */
static void
test_query_booleans(void **state)
{
	assert_query("{\"total\": true, \"is_overview\": false}", "total=true&is_overview=false");
	assert_query("{\"flags\": [true, false]}", "flags%5B%5D=true&flags%5B%5D=false");
}

/* Arrays repeat key[]=v, brackets escaped; a key already ending in [] is kept. */
static void
test_query_arrays(void **state)
{
	assert_query("{\"statuses\": [\"triggered\", \"acknowledged\"], \"limit\": 2}",
	             "statuses%5B%5D=triggered&statuses%5B%5D=acknowledged&limit=2");
	assert_query("{\"include[]\": [\"users\"]}", "include%5B%5D=users");
	assert_query("{\"user_ids\": [\"PA\", null, \"PB\"]}",
	             "user_ids%5B%5D=PA&user_ids%5B%5D=PB");
	assert_query("{\"ids\": [1, 2]}", "ids%5B%5D=1&ids%5B%5D=2");
}

/* Keys and values are URL-escaped: reserved characters, spaces, UTF-8. */
static void
test_query_escaping(void **state)
{
	assert_query("{\"since\": \"2026-11-27T09:00:00+01:00\"}",
	             "since=2026-11-27T09%3A00%3A00%2B01%3A00");
	assert_query("{\"query\": \"a b&c=d/e?f#g\"}", "query=a%20b%26c%3Dd%2Fe%3Ff%23g");
	assert_query("{\"query\": \"caf\\u00e9\"}", "query=caf%C3%A9");
	assert_query("{\"we ird\": \"x\"}", "we%20ird=x");
	assert_query("{\"unreserved\": \"AZaz09-._~\"}", "unreserved=AZaz09-._~");
}

/*
 * An answer body and the error object it must map to: code and errors as
 * JSON text, message as it reads; NULL is not checked.
 */
static const struct {
	enum pd_err kind;
	long status;
	const char *body;
	const char *code;
	const char *message;
	const char *errors;
} error_cases[] = {
    /* REST: {"error":{"code","message","errors"}} keeps PagerDuty's numeric code. */
    {PD_ERR_PD_REJECTED, 400,
     "{\"error\":{\"message\":\"Invalid Input Provided\",\"code\":2001,"
     "\"errors\":[\"Incident Key already exists\"]}}",
     "2001", "Invalid Input Provided", "[\"Incident Key already exists\"]"},
    /* A 429 with PagerDuty's body. */
    {PD_ERR_PD_REJECTED, 429, "{\"error\":{\"message\":\"Rate Limit Exceeded\",\"code\":2020}}",
     "2020", "Rate Limit Exceeded", "[]"},

    /* Events API: {"status","message","errors"}: our code, status and message joined. */
    {PD_ERR_PD_REJECTED, 400,
     "{\"status\":\"invalid event\",\"message\":\"Event object is "
     "invalid\",\"errors\":[\"'payload.severity' is missing\"]}",
     "\"pagerduty_rejected\"", "invalid event: Event object is invalid",
     "[\"'payload.severity' is missing\"]"},

    /* Other shapes: bare {"message","code"}, "error" as a string, nested errors. */
    {PD_ERR_PD_REJECTED, 404, "{\"message\":\"Not Found\",\"code\":2100}", "2100", "Not Found",
     NULL},
    {PD_ERR_PD_REJECTED, 401, "{\"error\":\"Unauthorized\"}", "\"pagerduty_rejected\"",
     "Unauthorized", NULL},
    {PD_ERR_PD_REJECTED, 400,
     "{\"error\":{\"message\":\"m\",\"code\":\"x1\",\"errors\":[{\"f\":1}, \"s\"]}}", "\"x1\"",
     NULL, "[\"{\\\"f\\\":1}\", \"s\"]"},
    /* One error as a string rather than a list. */
    {PD_ERR_PD_REJECTED, 400, "{\"error\":{\"message\":\"m\",\"errors\":\"one\"}}", NULL, NULL,
     "[\"one\"]"},

    /* A validating mock's RFC 7807 answer lists each violation with its location. */
    {PD_ERR_PD_REJECTED, 422,
     "{\"type\":\"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY\","
     "\"title\":\"Invalid request\",\"status\":422,\"detail\":\"Your request is not valid\","
     "\"validation\":[{\"location\":[\"request\",\"query\",\"limit\"],\"severity\":"
     "\"Error\","
     "\"code\":\"type\",\"message\":\"must be integer\"}]}",
     NULL, "Your request is not valid", "[\"request.query.limit: must be integer\"]"},

    /* No body, or not JSON: a message still says what happened, on one line. */
    {PD_ERR_PD_REJECTED, 429, NULL, "\"pagerduty_rejected\"", "PagerDuty answered HTTP 429", NULL},
    {PD_ERR_HTTP, 502, "<html>Bad Gateway</html>\r\n<body>nginx</body>", "\"http_status\"",
     "<html>Bad Gateway</html>", NULL},
    /* A JSON body with nothing we know: the status, not "null". */
    {PD_ERR_HTTP, 503, "[1,2]", NULL, "PagerDuty answered HTTP 503", NULL},
    {PD_ERR_PD_REJECTED, 400, "{\"error\":{\"message\":\"\"}}", NULL, "PagerDuty answered HTTP 400",
     NULL},
    /* Not UTF-8 (a Latin-1 page; a line cut mid-character): the message stays (fuzzing). */
    {PD_ERR_HTTP, 500, "Erreur interne \xe9t\xe9\n", NULL, "Erreur interne ?t?", NULL},
};

/* Every answer body of error_cases maps to its error object: four members, as the case says. */
static void
test_error_bodies(void **state)
{
	const char *body, *message;
	json_t *e, *want;
	char *code;
	size_t i;

	for (i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		body = error_cases[i].body;
		e = pd_error_from_answer(error_cases[i].kind, error_cases[i].status, body,
		                         body != NULL ? strlen(body) : 0);
		assert_true(json_is_object(e));
		assert_int_equal(json_object_size(e), 4);
		assert_true(json_is_string(json_object_get(e, "message")));
		assert_true(json_is_array(json_object_get(e, "errors")));
		assert_int_equal(json_integer_value(json_object_get(e, "http_status")),
		                 error_cases[i].status);
		code = json_dumps(json_object_get(e, "code"), JSON_ENCODE_ANY);
		if (error_cases[i].code != NULL &&
		    (code == NULL || strcmp(code, error_cases[i].code) != 0))
			fail_msg("case %zu: code %s, want %s", i, code, error_cases[i].code);
		free(code);
		message = json_string_value(json_object_get(e, "message"));
		if (error_cases[i].message != NULL && strcmp(message, error_cases[i].message) != 0)
			fail_msg("case %zu: message \"%s\", want \"%s\"", i, message,
			         error_cases[i].message);
		if (error_cases[i].errors != NULL) {
			want = t_json(error_cases[i].errors);
			if (!json_equal(json_object_get(e, "errors"), want))
				fail_msg("case %zu: errors differ from %s", i,
				         error_cases[i].errors);
			json_decref(want);
		}
		json_decref(e);
	}
}

/* Backoff doubles from 500 ms to a 20 s cap and always keeps half of it. */
static void
test_backoff_bounds(void **state)
{
	long base, v, lo, hi;
	int attempt, i;

	for (attempt = 0; attempt <= 12; attempt++) {
		base = 500L << (attempt < 6 ? attempt : 6);
		if (base > 20000)
			base = 20000;
		lo = base;
		hi = 0;
		for (i = 0; i < 2000; i++) {
			v = pd_backoff_ms(attempt);
			assert_in_range(v, base / 2, base);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		/* Jitter: 2000 draws over at least 126 values are not all equal. */
		assert_true(hi > lo);
	}
	assert_in_range(pd_backoff_ms(1000), 10000, 20000);
}

/* ratelimit-reset wins, then Retry-After; waits get at most 250 ms of jitter. */
static void
test_retry_wait_headers(void **state)
{
	int64_t now = 1445412480000LL; /* Wed, 21 Oct 2015 07:28:00 GMT */

	assert_in_range(pd_retry_wait_ms("2", NULL, 0, now), 2000, 2250);
	assert_in_range(pd_retry_wait_ms("1.5", NULL, 0, now), 1500, 1750);
	assert_in_range(pd_retry_wait_ms("0", NULL, 3, now), 0, 250);
	assert_in_range(pd_retry_wait_ms("2", "9", 0, now), 2000, 2250);
	assert_in_range(pd_retry_wait_ms(NULL, "3", 0, now), 3000, 3250);
	assert_in_range(pd_retry_wait_ms("junk", "3", 0, now), 3000, 3250);
	/* Retry-After as an HTTP date, five seconds ahead, and one in the past. */
	assert_in_range(pd_retry_wait_ms(NULL, "Wed, 21 Oct 2015 07:28:05 GMT", 0, now), 5000,
	                5250);
	assert_in_range(pd_retry_wait_ms(NULL, "Wed, 21 Oct 2015 07:00:00 GMT", 0, now), 0, 250);
	/* An hour is capped at a minute: PagerDuty's limits are per minute. */
	assert_in_range(pd_retry_wait_ms("3600", NULL, 0, now), 60000, 60250);
}

/* Header lines as libcurl hands them over: any case, padding, CRLF; other names untouched. */
static void
test_header_value(void **state)
{
	const char *l1 = "Retry-After:  120 \r\n", *l2 = "ratelimit-reset:7\r\n";
	const char *l3 = "Retry-After-Ms: 5\r\n", *l4 = "retry-after:\r\n";
	char *v = NULL;

	(void)state;
	assert_int_equal(http_header_value(l1, strlen(l1), "retry-after", &v), 1);
	assert_string_equal(v, "120");
	assert_int_equal(http_header_value(l2, strlen(l2), "RateLimit-Reset", &v), 1);
	assert_string_equal(v, "7");
	/* A longer name with the same start, or a shorter line, is not it: v stays. */
	assert_int_equal(http_header_value(l3, strlen(l3), "retry-after", &v), 0);
	assert_int_equal(http_header_value(l2, 5, "ratelimit-reset", &v), 0);
	assert_string_equal(v, "7");
	assert_int_equal(http_header_value(l4, strlen(l4), "Retry-After", &v), 1);
	assert_string_equal(v, "");
	free(v);
}

/* A 429 without usable headers falls back to the backoff of that attempt. */
static void
test_retry_wait_fallback(void **state)
{
	int64_t now = 1445412480000LL;
	int i;

	for (i = 0; i < 200; i++) {
		assert_in_range(pd_retry_wait_ms(NULL, NULL, 0, now), 250, 500);
		assert_in_range(pd_retry_wait_ms("", "", 2, now), 1000, 2000);
		assert_in_range(pd_retry_wait_ms("-1", "soon", 1, now), 500, 1000);
		assert_in_range(pd_retry_wait_ms("1e999", NULL, 1, now), 500, 1000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_empty),         cmocka_unit_test(test_query_scalars),
	    cmocka_unit_test(test_query_booleans),      cmocka_unit_test(test_query_arrays),
	    cmocka_unit_test(test_query_escaping),      cmocka_unit_test(test_error_bodies),
	    cmocka_unit_test(test_backoff_bounds),      cmocka_unit_test(test_retry_wait_headers),
	    cmocka_unit_test(test_retry_wait_fallback), cmocka_unit_test(test_header_value),
	};

	int rc;

	crypto_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
