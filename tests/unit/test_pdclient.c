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

#include "st2pd.h"

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

/* Decodes an error object's member as text, for comparison. */
static const char *
member_str(json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

/* The mapping of one answer body, checked for shape. */
static json_t *
error_of(enum pd_err kind, long status, const char *body)
{
	json_t *e = pd_error_from_answer(kind, status, body, body != NULL ? strlen(body) : 0);

	assert_true(json_is_object(e));
	assert_int_equal(json_object_size(e), 4);
	assert_true(json_is_string(json_object_get(e, "message")));
	assert_true(json_is_array(json_object_get(e, "errors")));
	assert_int_equal(json_integer_value(json_object_get(e, "http_status")), status);
	return e;
}

/* REST: {"error":{"code","message","errors"}} keeps PagerDuty's numeric code. */
static void
test_error_rest(void **state)
{
	json_t *e = error_of(PD_ERR_PD_REJECTED, 400,
	                     "{\"error\":{\"message\":\"Invalid Input Provided\",\"code\":2001,"
	                     "\"errors\":[\"Incident Key already exists\"]}}");

	assert_int_equal(json_integer_value(json_object_get(e, "code")), 2001);
	assert_string_equal(member_str(e, "message"), "Invalid Input Provided");
	assert_int_equal(json_array_size(json_object_get(e, "errors")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 0)),
	                    "Incident Key already exists");
	json_decref(e);

	/* A 429 with PagerDuty's body. */
	e = error_of(PD_ERR_PD_REJECTED, 429,
	             "{\"error\":{\"message\":\"Rate Limit Exceeded\",\"code\":2020}}");
	assert_int_equal(json_integer_value(json_object_get(e, "code")), 2020);
	assert_string_equal(member_str(e, "message"), "Rate Limit Exceeded");
	assert_int_equal(json_array_size(json_object_get(e, "errors")), 0);
	json_decref(e);
}

/* Events API: {"status","message","errors"}: our code, status and message joined. */
static void
test_error_events(void **state)
{
	json_t *e = error_of(PD_ERR_PD_REJECTED, 400,
	                     "{\"status\":\"invalid event\",\"message\":\"Event object is "
	                     "invalid\",\"errors\":[\"'payload.severity' is missing\"]}");

	assert_string_equal(member_str(e, "code"), "pagerduty_rejected");
	assert_string_equal(member_str(e, "message"), "invalid event: Event object is invalid");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 0)),
	                    "'payload.severity' is missing");
	json_decref(e);
}

/* Other shapes: bare {"message","code"}, "error" as a string, nested errors. */
static void
test_error_other_shapes(void **state)
{
	json_t *e = error_of(PD_ERR_PD_REJECTED, 404, "{\"message\":\"Not Found\",\"code\":2100}");

	assert_int_equal(json_integer_value(json_object_get(e, "code")), 2100);
	assert_string_equal(member_str(e, "message"), "Not Found");
	json_decref(e);

	e = error_of(PD_ERR_PD_REJECTED, 401, "{\"error\":\"Unauthorized\"}");
	assert_string_equal(member_str(e, "code"), "pagerduty_rejected");
	assert_string_equal(member_str(e, "message"), "Unauthorized");
	json_decref(e);

	e = error_of(
	    PD_ERR_PD_REJECTED, 400,
	    "{\"error\":{\"message\":\"m\",\"code\":\"x1\",\"errors\":[{\"f\":1}, \"s\"]}}");
	assert_string_equal(member_str(e, "code"), "x1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 0)),
	                    "{\"f\":1}");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 1)),
	                    "s");
	json_decref(e);

	/* One error as a string rather than a list. */
	e = error_of(PD_ERR_PD_REJECTED, 400, "{\"error\":{\"message\":\"m\",\"errors\":\"one\"}}");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 0)),
	                    "one");
	json_decref(e);
}

/* A validating mock's RFC 7807 answer lists each violation with its location. */
static void
test_error_problem_json(void **state)
{
	json_t *e = error_of(
	    PD_ERR_PD_REJECTED, 422,
	    "{\"type\":\"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY\","
	    "\"title\":\"Invalid request\",\"status\":422,\"detail\":\"Your request is not valid\","
	    "\"validation\":[{\"location\":[\"request\",\"query\",\"limit\"],\"severity\":"
	    "\"Error\","
	    "\"code\":\"type\",\"message\":\"must be integer\"}]}");

	assert_string_equal(member_str(e, "message"), "Your request is not valid");
	assert_string_equal(json_string_value(json_array_get(json_object_get(e, "errors"), 0)),
	                    "request.query.limit: must be integer");
	json_decref(e);
}

/* No body, or not JSON: a message still says what happened, on one line. */
static void
test_error_no_json(void **state)
{
	json_t *e = error_of(PD_ERR_PD_REJECTED, 429, NULL);

	assert_string_equal(member_str(e, "message"), "PagerDuty answered HTTP 429");
	assert_string_equal(member_str(e, "code"), "pagerduty_rejected");
	json_decref(e);

	e = error_of(PD_ERR_HTTP, 502, "<html>Bad Gateway</html>\r\n<body>nginx</body>");
	assert_string_equal(member_str(e, "message"), "<html>Bad Gateway</html>");
	assert_string_equal(member_str(e, "code"), "http_status");
	json_decref(e);

	/* A JSON body with nothing we know: the status, not "null". */
	e = error_of(PD_ERR_HTTP, 503, "[1,2]");
	assert_string_equal(member_str(e, "message"), "PagerDuty answered HTTP 503");
	json_decref(e);

	e = error_of(PD_ERR_PD_REJECTED, 400, "{\"error\":{\"message\":\"\"}}");
	assert_string_equal(member_str(e, "message"), "PagerDuty answered HTTP 400");
	json_decref(e);

	/* Not UTF-8 (a Latin-1 page; a line cut mid-character): the message stays (fuzzing). */
	e = error_of(PD_ERR_HTTP, 500, "Erreur interne \xe9t\xe9\n");
	assert_string_equal(member_str(e, "message"), "Erreur interne ?t?");
	json_decref(e);
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
	    cmocka_unit_test(test_query_escaping),      cmocka_unit_test(test_error_rest),
	    cmocka_unit_test(test_error_events),        cmocka_unit_test(test_error_other_shapes),
	    cmocka_unit_test(test_error_problem_json),  cmocka_unit_test(test_error_no_json),
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
