/*
 * test_log.c: log lines as an operator and a log shipper read them. A value
 * from the network must never forge a line or reach a terminal as a
 * control sequence (issue: a signed event.id holding "\n2026-... error"
 * wrote a second, fake line), in text and in JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

static const char forged[] = "crash-1\n2026-01-01T00:00:00Z error forged line";

/* Two log calls whose values would forge a line or drive a terminal if written raw. */
static void
log_forged(void *arg)
{
	log_fields(LOG_WARN, "webhook", "event_id", forged, "esc", "\x1b[31mred\x1b[0m", "quote",
	           "a\"b\\c", "bad", "\xff\xc0\xaf ok \xc3\xa9", "c1",
	           "\xc2\x9b"
	           "2J",
	           "plain", "PX1", NULL);
	log_warn("message with\na newline and \x1b[2J");
}

/* Text: one line per call, nothing raw that a terminal or a parser would act on. */
static void
test_text_escapes(void **state)
{
	char *out;

	(void)state;
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
	out = t_stderr_of(log_forged, NULL);
	assert_int_equal(t_lines(out), 2);
	assert_null(strchr(out, '\x1b'));
	assert_null(strstr(out, "\xc2\x9b"));
	assert_null(strchr(out, '\xff'));
	assert_non_null(
	    strstr(out, " event_id=\"crash-1\\n2026-01-01T00:00:00Z error forged line\""));
	t_contains(out, T_ALL(" esc=\"\\x1b[31mred\\x1b[0m\"", " quote=\"a\\\"b\\\\c\"",
	                      " bad=\"\\xff\\xc0\\xaf ok \xc3\xa9\"", " c1=\"\\u009b2J\"",
	                      " plain=PX1\n", "message with\\na newline and \\x1b[2J\n"));
	free(out);
}

/* JSON: one valid object per line, bad UTF-8 kept visible rather than dropped. */
static void
test_json_lines(void **state)
{
	char *out, *nl;
	json_t *o;

	(void)state;
	log_setup(LOG_INFO, LOG_FORMAT_JSON);
	out = t_stderr_of(log_forged, NULL);
	assert_int_equal(t_lines(out), 2);
	nl = strchr(out, '\n');
	*nl = '\0';
	o = json_loads(out, 0, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "event_id")), forged);
	assert_string_equal(json_string_value(json_object_get(o, "bad")),
	                    "\\xff\\xc0\\xaf ok \xc3\xa9");
	assert_string_equal(json_string_value(json_object_get(o, "plain")), "PX1");
	json_decref(o);
	o = json_loads(nl + 1, 0, NULL);
	assert_non_null(o);
	json_decref(o);
	free(out);
	log_setup(LOG_INFO, LOG_FORMAT_TEXT);
}

/* Runs every test of this file. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_escapes),
	    cmocka_unit_test(test_json_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
