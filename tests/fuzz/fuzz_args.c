/*
 * fuzz_args.c: fuzz target for the st2-style argument parser of `run`:
 * args_value() for each parameter type, pyrepr_parse() (a hand-written
 * Python literal parser), and action_parse_args() then action_build_call()
 * against the actions of action_table (actions/args.c, pyrepr.c, run.c,
 * exec.c).
 * st2 builds these arguments from rule parameters that may come from a
 * webhook payload, so they are outside data too.
 *
 * The first byte says what the rest is: s, i, n, b, a, o = a value of type
 * string, integer, number, boolean, array, object; p = a Python literal;
 * r = an action name on the first line, then its arguments, one per line
 * (or, when the input holds a NUL, NUL-separated, so that an argument may
 * hold a newline). Any other byte picks one of these by its value, and an
 * unknown action name picks an action by its bytes. Oracles:
 *  - a value comes back, or a message (ASCII only, args.c's DESIGN), never
 *    both or neither; "" of a type that cannot be empty is ARGS_EMPTY;
 *  - a value has the declared type, a string is the text unchanged, a
 *    Python literal nests at most 64 deep, and every value is JSON that
 *    jansson can write; a container read back from that JSON is the same;
 *  - action_parse_args() gives params or a reason; params hold only the
 *    action's parameters and every required one; a reason makes the JSON
 *    error line `run` prints; action_build_call() then builds a request
 *    with an absolute path, or says why not.
 */
#include "fuzz.h"

/* Containers of a Python literal, at most (pyrepr.c's PYREPR_MAX_DEPTH). */
#define FUZZ_PY_DEPTH 64

/* The mode letters, in enum param_type order, then the literal and run modes. */
static const char fuzz_modes[] = "sinbaopr";
#define MODE_PY  6
#define MODE_RUN 7

/* Whether a message is printable ASCII, as args.c promises. */
static int
ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	}
	return 1;
}

/* The value or the message of one conversion, and what must hold of either. */
static void
check_result(json_t *v, char *why)
{
	char *s;

	FUZZ_CHECK((v == NULL) != (why == NULL));
	if (v == NULL) {
		FUZZ_CHECK(ascii(why));
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	FUZZ_CHECK(s != NULL);
	free(s);
}

/*
 * A container read back from its own JSON text is the same container. The
 * texts are compared, not the values: json_equal() looks keys up as C
 * strings, and a Python key may hold a NUL ({'a\0': 1}).
 */
static void
check_round_trip(json_t *v)
{
	enum param_type type = json_is_object(v) ? PT_OBJECT : PT_ARRAY;
	char *s, *s2, *why = NULL;
	json_error_t err;
	json_t *back;

	if (!json_is_object(v) && !json_is_array(v))
		return;
	s = json_dumps(v, JSON_COMPACT);
	/*
	 * jansson cannot read "\u0000" in a key; args.c then falls back to
	 * its Python reading, which has no true/false/null: not asserted.
	 */
	if ((back = json_loads(s, JSON_ALLOW_NUL, &err)) == NULL &&
	    json_error_code(&err) == json_error_null_byte_in_key) {
		free(s);
		return;
	}
	json_decref(back);
	back = args_value(type, s, &why);
	FUZZ_CHECK(back != NULL && why == NULL);
	s2 = json_dumps(back, JSON_COMPACT);
	FUZZ_CHECK(s != NULL && s2 != NULL && strcmp(s, s2) == 0);
	json_decref(back);
	free(s2);
	free(s);
}

/* args_value() with the declared type. */
static void
check_value(enum param_type type, const char *text)
{
	char *why = NULL;
	json_t *v = args_value(type, text, &why);

	check_result(v, why);
	if (v == NULL) {
		if (*text == '\0' && type != PT_STRING && type != PT_ARRAY)
			FUZZ_CHECK(strcmp(why, ARGS_EMPTY) == 0);
		free(why);
		return;
	}
	switch (type) {
	case PT_STRING:
		FUZZ_CHECK(json_is_string(v) && strcmp(json_string_value(v), text) == 0);
		break;
	case PT_INTEGER:
		FUZZ_CHECK(json_is_integer(v));
		break;
	case PT_NUMBER:
		FUZZ_CHECK(json_is_number(v));
		break;
	case PT_BOOLEAN:
		FUZZ_CHECK(json_is_boolean(v));
		break;
	case PT_ARRAY:
		FUZZ_CHECK(json_is_array(v));
		break;
	case PT_OBJECT:
		FUZZ_CHECK(json_is_object(v));
		break;
	}
	check_round_trip(v);
	json_decref(v);
}

/* pyrepr_parse() on its own. */
static void
check_pyrepr(const char *text)
{
	char *why = NULL;
	json_t *v = pyrepr_parse(text, &why);

	check_result(v, why);
	if (v != NULL) {
		FUZZ_CHECK(json_depth(v) <= FUZZ_PY_DEPTH);
		check_round_trip(v);
	}
	json_decref(v);
	free(why);
}

/* The action an input's first line names, or one picked by its bytes. */
static const struct action *
pick_action(const char *name)
{
	const struct action *act = action_find(name);
	size_t sum = 0;

	if (act != NULL)
		return act;
	for (; *name != '\0'; name++)
		sum += (unsigned char)*name;
	return &action_table[sum % action_count];
}

/* The config action_build_call() reads: every key it may want, set. */
static const struct pd_config *
fuzz_config(void)
{
	static struct pd_config *cfg;

	if (cfg == NULL) {
		cfg = config_new();
		cfg->api_key = xstrdup("fuzz-api-key");
		cfg->service_key = xstrdup("fuzz-service-key");
		cfg->from_email = xstrdup("fuzz@example.com");
	}
	return cfg;
}

/* A reason that must make `run`'s one-line JSON error. */
static void
check_reason(enum pd_err rc, const char *why)
{
	json_t *e = action_error(rc, why);

	FUZZ_CHECK(why != NULL && *why != '\0');
	FUZZ_CHECK(json_is_string(json_object_get(e, "message")));
	json_decref(e);
}

/* Parsed params: only the action's, every required one; then the request. */
static void
check_params(const struct action *act, json_t *params)
{
	const struct action_param *p;
	struct action_call call;
	const char *key;
	enum pd_err rc;
	char *why = NULL, *qs;
	json_t *v;

	json_object_foreach (params, key, v)
		FUZZ_CHECK(action_param_find(act, key) != NULL);
	for (p = act->params; p->name != NULL; p++) {
		if (p->flags & PF_REQUIRED)
			FUZZ_CHECK(json_object_get(params, p->name) != NULL);
	}
	rc = action_build_call(act, params, fuzz_config(), &call, &why);
	FUZZ_CHECK(rc == PD_OK || rc == PD_ERR_VALIDATION);
	if (rc == PD_OK) {
		FUZZ_CHECK(why == NULL);
		FUZZ_CHECK(call.call.path != NULL && call.call.path[0] == '/');
		qs = pd_query_string(call.call.query);
		FUZZ_CHECK(qs != NULL);
		free(qs);
	} else {
		check_reason(rc, why);
	}
	action_call_free(&call);
	free(why);
}

/* "r" inputs: argv from the lines (or NUL-separated parts) after the action's name. */
static void
check_run(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size), **argv, *p, *end = text + size;
	char sep = memchr(data, '\0', size) != NULL ? '\0' : '\n';
	const struct action *act;
	json_t *params = NULL;
	enum pd_err rc;
	char *why = NULL;
	int argc = 0;

	/* Each separator ends an argument; the first argument is the action's name. */
	argv = xcalloc(size + 2, sizeof *argv);
	argv[argc++] = text;
	for (p = text; (p = memchr(p, sep, (size_t)(end - p))) != NULL;) {
		*p++ = '\0';
		argv[argc++] = p;
	}
	act = pick_action(argv[0]);
	rc = action_parse_args(act, argc - 1, argv + 1, &params, &why);
	FUZZ_CHECK(rc == PD_OK || rc == PD_ERR_USAGE || rc == PD_ERR_VALIDATION);
	FUZZ_CHECK((rc == PD_OK) == (params != NULL));
	if (rc == PD_OK) {
		FUZZ_CHECK(why == NULL);
		check_params(act, params);
	} else {
		check_reason(rc, why);
	}
	json_decref(params);
	free(why);
	free(argv);
	free(text);
}

/* One input: its mode byte, then the text or the arguments. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *m;
	char *text;
	int mode;

	fuzz_quiet();
	if (size == 0)
		return 0;
	m = memchr(fuzz_modes, data[0], sizeof fuzz_modes - 1);
	mode = m != NULL && data[0] != '\0' ? (int)(m - fuzz_modes)
	                                    : data[0] % (int)(sizeof fuzz_modes - 1);
	if (mode == MODE_RUN) {
		check_run(data + 1, size - 1);
		return 0;
	}
	text = fuzz_cstr(data + 1, size - 1);
	if (mode == MODE_PY)
		check_pyrepr(text);
	else
		check_value((enum param_type)mode, text);
	free(text);
	return 0;
}
