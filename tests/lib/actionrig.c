/*
 * actionrig.c: the helpers of actionrig.h, for the tests of the action
 * table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "actionrig.h"

/* Counts NULL-terminated strings. */
int
act_count_args(const char *const *v)
{
	int n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* Asserts that JSON value v equals the JSON text want ("null": v is NULL); where says what. */
void
act_assert_json(json_t *v, const char *want, const char *where)
{
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
	char *got;

	assert_non_null(w);
	if (json_is_null(w) ? v != NULL : !json_equal(v, w)) {
		got = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
		                : xstrdup("(null)");
		fail_msg("%s: got %s, want %s", where, got, want);
	}
	json_decref(w);
}

/* A config of kind k; the caller frees. */
struct pd_config *
act_config(enum cfg_kind k)
{
	struct pd_config *cfg = config_new();

	if (k != CFG_NO_API_KEY && k != CFG_NO_KEYS)
		cfg->api_key = xstrdup("test-api-key");
	if (k != CFG_NO_KEYS)
		cfg->service_key = xstrdup("0123456789abcdef0123456789abcdef");
	if (k != CFG_NO_FROM)
		cfg->from_email = xstrdup("config@example.com");
	return cfg;
}

/* Parses args for act; asserts it works; the parameters (caller decrefs). */
json_t *
act_parse_ok(const struct action *act, const char *const *args)
{
	json_t *params = NULL;
	char *why = NULL;

	if (action_parse_args(act, act_count_args(args), (char **)args, &params, &why) != PD_OK)
		fail_msg("%s: %s", act->name, why);
	free(why);
	return params;
}
