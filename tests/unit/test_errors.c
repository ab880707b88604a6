/*
 * test_errors.c: the error enum's tables (common/error.c) cover every value,
 * and the HTTP answers keep PagerDuty delivering: a 4xx is final for
 * PagerDuty (three in a row disable the subscription), so only the sender's
 * own mistakes may map to one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "st2pd.h"

/* Every value has a message, a unique code, a real HTTP status and an exit status. */
static void
test_every_value_is_mapped(void **state)
{
	int e, f;

	for (e = PD_OK; e < PD_ERR_LAST; e++) {
		print_message("error %d: %s\n", e, pd_errcode((enum pd_err)e));
		assert_string_not_equal(pd_strerror((enum pd_err)e), "unknown error");
		assert_string_not_equal(pd_errcode((enum pd_err)e), "unknown");
		assert_true(strlen(pd_errcode((enum pd_err)e)) > 0);
		assert_in_range(pd_err_http((enum pd_err)e), 200, 599);
		assert_in_range(pd_err_exit((enum pd_err)e), 0, 125);
		for (f = PD_OK; f < e; f++)
			assert_string_not_equal(pd_errcode((enum pd_err)e),
			                        pd_errcode((enum pd_err)f));
	}
}

/* Codes are machine-readable: lower case, digits and underscores only. */
static void
test_codes_are_identifiers(void **state)
{
	const char *c;
	int e;

	for (e = PD_OK; e < PD_ERR_LAST; e++) {
		for (c = pd_errcode((enum pd_err)e); *c != '\0'; c++)
			assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			            *c == '_');
	}
}

/* Values outside the enum fall back instead of reading past a table. */
static void
test_out_of_range(void **state)
{
	assert_string_equal(pd_strerror(PD_ERR_LAST), "unknown error");
	assert_string_equal(pd_errcode(PD_ERR_LAST), "unknown");
	assert_int_equal(pd_err_http(PD_ERR_LAST), 500);
	assert_int_not_equal(pd_err_exit(PD_ERR_LAST), 0);
}

/* Only success and an already-accepted duplicate exit 0. */
static void
test_exit_zero_only_for_success(void **state)
{
	int e;

	for (e = PD_OK; e < PD_ERR_LAST; e++) {
		if (e == PD_OK || e == PD_ERR_DUPLICATE)
			assert_int_equal(pd_err_exit((enum pd_err)e), 0);
		else
			assert_int_not_equal(pd_err_exit((enum pd_err)e), 0);
	}
}

/* The receiver's answers of INTERFACE.md. */
static void
test_receiver_statuses(void **state)
{
	static const struct {
		enum pd_err err;
		int http;
	} want[] = {
	    {PD_OK, 202},
	    {PD_ERR_DUPLICATE, 202},
	    {PD_ERR_SIG_MISSING, 401},
	    {PD_ERR_SIG_MISMATCH, 401},
	    {PD_ERR_BODY_EMPTY, 400},
	    {PD_ERR_BODY_TOO_LARGE, 413},
	    {PD_ERR_NOT_ENVELOPE, 400},
	    {PD_ERR_SPOOL_FULL, 503},
	    {PD_ERR_SPOOL_IO, 503},
	    {PD_ERR_METHOD, 405},
	    {PD_ERR_NOT_FOUND, 404},
	};
	size_t i;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		print_message("%s -> %d\n", pd_errcode(want[i].err), want[i].http);
		assert_int_equal(pd_err_http(want[i].err), want[i].http);
	}
}

/*
 * Failures on our side must never be a 4xx: PagerDuty drops a webhook
 * answered 4xx without retrying, and disables the subscription after three,
 * whereas a 5xx is retried for 48 hours.
 */
static void
test_our_failures_are_not_4xx(void **state)
{
	static const enum pd_err ours[] = {
	    PD_ERR_NOMEM,           PD_ERR_CONFIG,        PD_ERR_IO,           PD_ERR_SPOOL_FULL,
	    PD_ERR_SPOOL_IO,        PD_ERR_SHUTTING_DOWN, PD_ERR_ST2_REJECTED, PD_ERR_ST2_AUTH,
	    PD_ERR_ST2_UNAVAILABLE, PD_ERR_NETWORK,       PD_ERR_TIMEOUT,      PD_ERR_HTTP,
	    PD_ERR_NOT_IMPLEMENTED, PD_ERR_PD_REJECTED,
	};
	size_t i;
	int http;

	for (i = 0; i < sizeof ours / sizeof ours[0]; i++) {
		http = pd_err_http(ours[i]);
		print_message("%s -> %d\n", pd_errcode(ours[i]), http);
		assert_true(http >= 500 && http <= 599);
	}
}

/* The only 2xx answers are success and duplicate: nothing else acknowledges. */
static void
test_only_accepted_is_2xx(void **state)
{
	int e, http;

	for (e = PD_OK; e < PD_ERR_LAST; e++) {
		http = pd_err_http((enum pd_err)e);
		if (e == PD_OK || e == PD_ERR_DUPLICATE)
			assert_in_range(http, 200, 299);
		else
			assert_true(http >= 400);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_value_is_mapped),
	    cmocka_unit_test(test_codes_are_identifiers),
	    cmocka_unit_test(test_out_of_range),
	    cmocka_unit_test(test_exit_zero_only_for_success),
	    cmocka_unit_test(test_receiver_statuses),
	    cmocka_unit_test(test_our_failures_are_not_4xx),
	    cmocka_unit_test(test_only_accepted_is_2xx),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
