/*
 * error.c: the program's one error enum, its messages, and how each error
 * maps to an HTTP answer (receiver) and an exit status (CLI).
 *
 * pd_strerror() is a switch on purpose (curl's lib/strerror.c): -Wall warns
 * about an enum value that is missing there. The HTTP and exit mappings are
 * a table because they are data, checked against the enum by a unit test.
 */
#include "st2pd.h"

/* Exit statuses. 1 is left to "failed" in st2's sense, 2 to usage. */
#define EXIT_FAIL       1
#define EXIT_USAGE      2
#define EXIT_CONFIG     3
#define EXIT_VALIDATION 4
#define EXIT_REJECTED   5
#define EXIT_NETWORK    6
#define EXIT_LOCAL      7

static const struct {
	enum pd_err err;
	int http;
	int exit;
	const char *code;
} err_table[] = {
    {PD_OK, 202, 0, "ok"},
    {PD_ERR_NOMEM, 503, EXIT_LOCAL, "out_of_memory"},
    {PD_ERR_USAGE, 400, EXIT_USAGE, "usage"},
    {PD_ERR_CONFIG, 503, EXIT_CONFIG, "config"},
    {PD_ERR_IO, 503, EXIT_LOCAL, "io"},
    {PD_ERR_SIG_MISSING, 401, EXIT_VALIDATION, "signature_missing"},
    {PD_ERR_SIG_MISMATCH, 401, EXIT_VALIDATION, "signature_mismatch"},
    {PD_ERR_BODY_EMPTY, 400, EXIT_VALIDATION, "body_empty"},
    {PD_ERR_BODY_TOO_LARGE, 413, EXIT_VALIDATION, "body_too_large"},
    {PD_ERR_NOT_ENVELOPE, 400, EXIT_VALIDATION, "not_v3_envelope"},
    {PD_ERR_SPOOL_FULL, 503, EXIT_LOCAL, "spool_full"},
    {PD_ERR_SPOOL_IO, 503, EXIT_LOCAL, "spool_unwritable"},
    {PD_ERR_DUPLICATE, 202, 0, "duplicate"},
    {PD_ERR_METHOD, 405, EXIT_USAGE, "method_not_allowed"},
    {PD_ERR_NOT_FOUND, 404, EXIT_FAIL, "not_found"},
    {PD_ERR_ST2_REJECTED, 502, EXIT_REJECTED, "st2_rejected"},
    {PD_ERR_ST2_AUTH, 502, EXIT_REJECTED, "st2_unauthorized"},
    {PD_ERR_ST2_UNAVAILABLE, 502, EXIT_NETWORK, "st2_unavailable"},
    {PD_ERR_NETWORK, 502, EXIT_NETWORK, "network"},
    {PD_ERR_TIMEOUT, 504, EXIT_NETWORK, "timeout"},
    {PD_ERR_HTTP, 502, EXIT_REJECTED, "http_status"},
    {PD_ERR_NOT_IMPLEMENTED, 501, EXIT_USAGE, "not_implemented"},
    {PD_ERR_VALIDATION, 400, EXIT_VALIDATION, "validation"},
    {PD_ERR_PD_REJECTED, 502, EXIT_REJECTED, "pagerduty_rejected"},
    {PD_ERR_SHUTTING_DOWN, 503, EXIT_LOCAL, "shutting_down"},
    {PD_ERR_BAD_HTTP, 400, EXIT_VALIDATION, "bad_http_request"},
    {PD_ERR_OVERLOADED, 503, EXIT_LOCAL, "overloaded"},
};

/* Human-readable message for an error. */
const char *
pd_strerror(enum pd_err err)
{
	switch (err) {
	case PD_OK:
		return "no error";
	case PD_ERR_NOMEM:
		return "out of memory";
	case PD_ERR_USAGE:
		return "bad command line";
	case PD_ERR_CONFIG:
		return "configuration error";
	case PD_ERR_IO:
		return "input/output error";
	case PD_ERR_SIG_MISSING:
		return "missing X-PagerDuty-Signature or no v1= signature in it";
	case PD_ERR_SIG_MISMATCH:
		return "no signature matches any configured secret";
	case PD_ERR_BODY_EMPTY:
		return "empty request body";
	case PD_ERR_BODY_TOO_LARGE:
		return "request body too large";
	case PD_ERR_NOT_ENVELOPE:
		return "body is not a PagerDuty V3 webhook envelope";
	case PD_ERR_SPOOL_FULL:
		return "spool is full";
	case PD_ERR_SPOOL_IO:
		return "spool is not writable";
	case PD_ERR_DUPLICATE:
		return "duplicate event, already accepted";
	case PD_ERR_METHOD:
		return "method not allowed";
	case PD_ERR_NOT_FOUND:
		return "not found";
	case PD_ERR_ST2_REJECTED:
		return "StackStorm rejected the trigger";
	case PD_ERR_ST2_AUTH:
		return "StackStorm refused the credentials";
	case PD_ERR_ST2_UNAVAILABLE:
		return "StackStorm is unavailable";
	case PD_ERR_NETWORK:
		return "network error";
	case PD_ERR_TIMEOUT:
		return "timed out";
	case PD_ERR_HTTP:
		return "unexpected HTTP status";
	case PD_ERR_NOT_IMPLEMENTED:
		return "not yet implemented";
	case PD_ERR_VALIDATION:
		return "invalid parameters";
	case PD_ERR_PD_REJECTED:
		return "PagerDuty rejected the request";
	case PD_ERR_SHUTTING_DOWN:
		return "shutting down";
	case PD_ERR_BAD_HTTP:
		return "malformed HTTP request";
	case PD_ERR_OVERLOADED:
		return "too many requests are being received at once; retry later";
	case PD_ERR_LAST:
		break;
	}
	return "unknown error";
}

/* Index of the table row for an error, or -1. */
static int
err_row(enum pd_err err)
{
	size_t i;

	for (i = 0; i < sizeof err_table / sizeof err_table[0]; i++) {
		if (err_table[i].err == err)
			return (int)i;
	}
	return -1;
}

/* Stable machine-readable code, for logs and JSON errors. */
const char *
pd_errcode(enum pd_err err)
{
	int row = err_row(err);

	return row < 0 ? "unknown" : err_table[row].code;
}

/* HTTP status the receiver answers with for this error. */
int
pd_err_http(enum pd_err err)
{
	int row = err_row(err);

	return row < 0 ? 500 : err_table[row].http;
}

/* Exit status of a CLI subcommand that failed with this error. */
int
pd_err_exit(enum pd_err err)
{
	int row = err_row(err);

	return row < 0 ? EXIT_FAIL : err_table[row].exit;
}
