/*
 * test_webhook_cases.c: every case file of tests/data/webhook, body in and
 * trigger out, through payload_from_webhook as the receiver calls it. A
 * case's headers give the webhook and subscription ids; status 202 wants
 * its trigger, order key and payload (compact, keys in order, and fitting
 * the schema st2 registered), status 400 wants the body refused.
 * integration/test_webhook_cases.py runs the same files through the real
 * daemon; a new case is a new file, no code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

#define CASES "tests/data/webhook"

/*
 * The value of header name in a case's headers section, or NULL (caller
 * frees): its first line that http_header_value, as libcurl's callbacks
 * use it, takes for that header.
 */
static char *
header(const char *headers, const char *name)
{
	const char *p, *end;
	char *value = NULL;

	for (p = headers; value == NULL && *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, "\n");
		http_header_value(p, (size_t)(end - p), name, &value);
	}
	return value;
}

/* One case: what payload_from_webhook makes of its body is what the case says. */
static void
run_case(const char *file)
{
	char *path = xasprintf(CASES "/%s", file), *text = t_source_file(path, NULL);
	char *headers = t_case_section(text, "headers", NULL), *body, *status, *want, *why;
	char *wid = headers != NULL ? header(headers, "X-Webhook-Id") : NULL;
	char *sid = headers != NULL ? header(headers, "X-Webhook-Subscription") : NULL;
	char *got_text, *want_text;
	struct spool_event *ev = NULL;
	size_t len;
	enum pd_err rc;
	json_t *got, *payload;

	print_message("case %s\n", file);
	body = t_case_section(text, "body", &len);
	status = t_case_section(text, "status", NULL);
	if (body == NULL || status == NULL)
		fail_msg("%s: needs a body and a status section", path);
	rc = payload_from_webhook(body, len, wid, sid, &ev);
	if (strcmp(status, "400") == 0) {
		if (rc != PD_ERR_NOT_ENVELOPE)
			fail_msg("%s: want the body refused, got %s", path, pd_strerror(rc));
		assert_null(ev);
	} else {
		assert_string_equal(status, "202");
		if (rc != PD_OK)
			fail_msg("%s: refused: %s", path, pd_strerror(rc));
		want = t_case_section(text, "trigger", NULL);
		assert_non_null(want);
		assert_string_equal(ev->trigger, want);
		free(want);
		want = t_case_section(text, "order_key", NULL);
		assert_non_null(want);
		assert_string_equal(ev->order_key, want);
		free(want);
		/* One line for the sink; the same members in the same order. */
		assert_null(strchr(ev->payload, '\n'));
		want = t_case_section(text, "payload", NULL);
		assert_non_null(want);
		got = t_json(ev->payload);
		payload = t_json(want);
		got_text = json_dumps(got, JSON_COMPACT);
		want_text = json_dumps(payload, JSON_COMPACT);
		if (strcmp(got_text, want_text) != 0)
			fail_msg("%s: payload\n got: %s\nwant: %s", path, got_text, want_text);
		if ((why = t_trigger_check(ev)) != NULL)
			fail_msg("%s: st2 would reject it: %s", path, why);
		free(got_text);
		free(want_text);
		json_decref(got);
		json_decref(payload);
		free(want);
		spool_event_free(ev);
	}
	free(status);
	free(body);
	free(wid);
	free(sid);
	free(headers);
	free(text);
	free(path);
}

/* Every file, in name order; there are some, and some of each status. */
static void
test_cases(void **state)
{
	struct pd_strlist files = t_case_files(CASES, ".case");
	size_t i;

	(void)state;
	assert_true(files.n >= 10);
	for (i = 0; i < files.n; i++)
		run_case(files.v[i]);
	strlist_free(&files);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
