/*
 * test_args.c: st2 argument values -> typed JSON (actions/args.c). One table
 * holds the Python literal grammar of pyrepr_parse and every parameter type
 * in the forms st2's local-shell-script runner produces (stackstorm-api.md
 * 3.3): named arguments as str(value), so Python reprs for dicts and lists;
 * positional ones as compact JSON for objects, comma lists for arrays,
 * "1"/"0" for booleans and "" for null and for the integer 0. Then the
 * depth limit, and truncated and mutated inputs, which must fail cleanly
 * (the ASan build checks they neither crash nor leak).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "st2pd.h"

#define PY       (-1) /* the case calls pyrepr_parse, not args_value */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One input and what must come out: JSON text, or a substring of the error. */
struct tcase {
	int type; /* PY or an enum param_type */
	const char *in;
	const char *want; /* expected JSON; NULL when err is set */
	const char *err;  /* substring of *why */
};

static const struct tcase cases[] = {
    /* Containers, empty ones, the 1-tuple, a parenthesized value, trailing commas. */
    {PY, "{'a': 1, 'b': True}", "{\"a\":1,\"b\":true}", NULL},
    {PY, "['x', 'y']", "[\"x\",\"y\"]", NULL},
    {PY, "{}", "{}", NULL},
    {PY, "[]", "[]", NULL},
    {PY, "()", "[]", NULL},
    {PY, "(1,)", "[1]", NULL},
    {PY, "(1, 'a')", "[1,\"a\"]", NULL},
    {PY, "(1)", "1", NULL},
    {PY, "((('x')))", "\"x\"", NULL},
    {PY, "[1, 2,]", "[1,2]", NULL},
    {PY, "(1, 2,)", "[1,2]", NULL},
    {PY, "{'a': 1,}", "{\"a\":1}", NULL},
    {PY, "[,]", NULL, "at offset 1: unexpected ','"},
    {PY, "(,)", NULL, "at offset 1: unexpected ','"},
    {PY, "{,}", NULL, "at offset 1: unexpected ','"},
    {PY, "[1,,2]", NULL, "at offset 3: unexpected ','"},
    {PY, "[1 2]", NULL, "at offset 3: expected ',' or ']'"},
    {PY, "(1 2)", NULL, "at offset 3: expected ',' or ')'"},
    {PY, "(1, 2", NULL, "at offset 5: expected ',' or ')'"},
    {PY, "{'a': 1 'b': 2}", NULL, "at offset 8: expected ',' or '}'"},
    {PY, "{'a' 1}", NULL, "at offset 5: expected ':'"},
    {PY, "{1, 2}", NULL, "at offset 2: expected ':'"}, /* sets are not JSON */
    {PY, "{'a': }", NULL, "at offset 6: unexpected '}'"},
    {PY, "[1] [2]", NULL, "at offset 4: unexpected data after the value"},
    {PY, "1 2", NULL, "at offset 2: unexpected data after the value"},
    {PY, "", NULL, "at offset 0: unexpected end of input"},
    {PY, "  \t", NULL, "at offset 3: unexpected end of input"},
    {PY, "[...]", NULL, "at offset 1: unexpected '.'"},
    {PY, "<object at 0x7f>", NULL, "at offset 0: unexpected '<'"},
    {PY, "set()", NULL, "at offset 0: unexpected name 'set'"},
    {PY, "[datetime.date(2020, 1, 1)]", NULL, "at offset 1: unexpected name 'datetime'"},
    {PY, " \t\n{ 'a' :\n[ 1 , 2 ] , }\r\n ", "{\"a\":[1,2]}", NULL},
    {PY, "{'a': {'b': [1, (2, 3), {'c': None}]}, 'd': [[], {}, ()]}",
     "{\"a\":{\"b\":[1,[2,3],{\"c\":null}]},\"d\":[[],{},[]]}", NULL},
    {PY,
     "{'type': 'incident_reference', 'id': 'PABC123', 'details': {'priority': 1, "
     "'tags': ['db', 'prod'], 'ratio': 0.25, 'ack': False}}",
     "{\"type\":\"incident_reference\",\"id\":\"PABC123\",\"details\":{\"priority\":1,"
     "\"tags\":[\"db\",\"prod\"],\"ratio\":0.25,\"ack\":false}}",
     NULL},

    /* Dict keys, spelled as json.dumps would; collisions and non-JSON keys refused. */
    {PY, "{1: 'a', -2: 'b'}", "{\"1\":\"a\",\"-2\":\"b\"}", NULL},
    {PY, "{True: 1, False: 2, None: 3}", "{\"true\":1,\"false\":2,\"null\":3}", NULL},
    {PY, "{\"k\": 1}", "{\"k\":1}", NULL},
    {PY, "{1.5: 1}", NULL,
     "at offset 1: dict key must be a str, int, True, False or None, not a float"},
    {PY, "{(1, 2): 1}", NULL, "at offset 1: dict key must be a str"},
    {PY, "{1: 'a', '1': 'b'}", NULL, "at offset 9: duplicate key"},
    {PY, "{'a': 1, 'a': 2}", NULL, "at offset 9: duplicate key"},
    {PY, "{True: 1, 'true': 2}", NULL, "at offset 10: duplicate key"},
    {PY, "{'\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87': '\xd0\xb7'}",
     "{\"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87\":\"\xd0\xb7\"}", NULL},

    /* str: both quotes, every escape, prefixes, concatenation. */
    {PY, "'it\\'s'", "\"it's\"", NULL},
    {PY, "\"it's\"", "\"it's\"", NULL},
    {PY, "'it\\'s \"x\"'", "\"it's \\\"x\\\"\"", NULL},
    {PY, "''", "\"\"", NULL},
    {PY, "'\\\\ \\n \\t \\r \\a \\b \\f \\v \\\" \\''",
     "\"\\\\ \\n \\t \\r \\u0007 \\b \\f \\u000b \\\" '\"", NULL},
    {PY, "'\\x41\\xe9\\x00\\x7f'", "\"A\\u00e9\\u0000\\u007f\"", NULL},
    {PY, "'\\u20ac\\u200b'", "\"\\u20ac\\u200b\"", NULL},
    {PY, "'\\U0001f600'", "\"\\ud83d\\ude00\"", NULL},
    {PY, "'\\101\\0\\7\\777\\1234'", "\"A\\u0000\\u0007\\u01ff\\u00534\"", NULL},
    {PY, "'a\\\nb'", "\"ab\"", NULL}, /* backslash-newline continues the line */
    {PY, "'\\x4'", NULL, "at offset 1: truncated \\x escape: expected 2 hex digits"},
    {PY, "'\\u12'", NULL, "at offset 1: truncated \\u escape"},
    {PY, "'\\U0001f60'", NULL, "at offset 1: truncated \\U escape"},
    {PY, "'\\U00110000'", NULL, "at offset 1: escape beyond U+10FFFF"},
    {PY, "'\\ud800'", NULL, "at offset 1: surrogate U+D800 has no UTF-8 form"},
    {PY, "'\\udfff'", NULL, "surrogate U+DFFF"},
    {PY, "'\\N{BULLET}'", NULL, "at offset 1: \\N{...} escapes are not supported"},
    {PY, "'\\q'", NULL, "at offset 1: unknown escape '\\q'"},
    {PY, "'abc", NULL, "at offset 0: unterminated string"},
    {PY, "['a', 'b]", NULL, "at offset 6: unterminated string"},
    {PY, "'a\nb'", NULL, "at offset 0: unterminated string"},
    {PY, "'a\\", NULL, "at offset 2: unterminated string"},
    {PY, "u'x'", "\"x\"", NULL},
    {PY, "U\"x\"", "\"x\"", NULL},
    {PY, "b'x'", NULL, "at offset 0: bytes literals are not supported"},
    {PY, "[rb'x']", NULL, "at offset 1: bytes literals are not supported"},
    {PY, "r'x'", NULL, "at offset 0: string prefix 'r' is not supported"},
    {PY, "f'x'", NULL, "string prefix 'f' is not supported"},
    {PY, "'''x'''", NULL, "at offset 0: triple-quoted strings are not supported"},
    {PY, "'a' 'b'", "\"ab\"", NULL},
    {PY, "'a' u'b' \"c\"", "\"abc\"", NULL},
    {PY, "['a' 'b', 'c']", "[\"ab\",\"c\"]", NULL},
    {PY, "'a' b'b'", NULL, "at offset 4: bytes literals"},

    /* Unicode: printed as-is by str(); output must be valid UTF-8. */
    {PY, "'Zo\xc3\xab \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x98\x80'",
     "\"Zo\\u00eb \\u6771\\u4eac \\ud83d\\ude00\"", NULL},
    {PY, "'\xff'", NULL, "at offset 1: invalid UTF-8"},
    {PY, "'ok\xc0\x80'", NULL, "at offset 3: invalid UTF-8"},       /* overlong NUL */
    {PY, "'\xed\xa0\x80'", NULL, "at offset 1: invalid UTF-8"},     /* encoded surrogate */
    {PY, "'\xf4\x90\x80\x80'", NULL, "at offset 1: invalid UTF-8"}, /* past U+10FFFF */
    {PY, "'\xe2\x82'", NULL, "at offset 1: invalid UTF-8"},         /* truncated */
    {PY, "\xc3\xa9", NULL, "at offset 0: unexpected byte 0xc3"},

    /* int and float. */
    {PY, "0", "0", NULL},
    {PY, "-5", "-5", NULL},
    {PY, "+5", "5", NULL},
    {PY, "00", "0", NULL},
    {PY, "9223372036854775807", "9223372036854775807", NULL},
    {PY, "-9223372036854775808", "-9223372036854775808", NULL},
    {PY, "9223372036854775808", NULL, "at offset 0: int out of range"},
    {PY, "[-9223372036854775809]", NULL, "at offset 1: int out of range"},
    {PY, "123456789012345678901234567890", NULL, "int out of range"},
    {PY, "1.5", "1.5", NULL},
    {PY, "-0.25", "-0.25", NULL},
    {PY, "1e-05", "1e-05", NULL},
    {PY, "1e+16", "1e16", NULL},
    {PY, "1E3", "1000.0", NULL},
    {PY, ".5", "0.5", NULL},
    {PY, "5.", "5.0", NULL},
    {PY, "-0.0", "-0.0", NULL},
    {PY, "1e999", NULL, "at offset 0: float out of range"},
    {PY, "[1, inf]", NULL, "at offset 4: inf and nan cannot be represented in JSON"},
    {PY, "-inf", NULL, "at offset 0: inf and nan cannot be represented in JSON"},
    {PY, "nan", NULL, "inf and nan cannot be represented in JSON"},
    {PY, "01", NULL, "at offset 0: leading zeros are not allowed"},
    {PY, "0x10", NULL, "at offset 0: malformed number"},
    {PY, "1_000", NULL, "malformed number"},
    {PY, "1j", NULL, "malformed number"},
    {PY, "1.2.3", NULL, "malformed number"},
    {PY, "1e", NULL, "at offset 0: malformed exponent"},
    {PY, "1e+", NULL, "malformed exponent"},
    {PY, "--5", NULL, "at offset 0: expected a number"},
    {PY, "- 5", NULL, "at offset 0: expected a number"},
    {PY, "-", NULL, "at offset 0: expected a number"},
    {PY, "-x", NULL, "expected a number after the sign"},

    /* Names. */
    {PY, "True", "true", NULL},
    {PY, "False", "false", NULL},
    {PY, "None", "null", NULL},
    {PY, "[true]", NULL, "at offset 1: unexpected name 'true' (Python spells True, False, None)"},
    {PY, "null", NULL, "unexpected name 'null'"},
    {PY, "foo", NULL, "at offset 0: unexpected name 'foo'"},

    /* PT_STRING: the text itself, named or positional. */
    {PT_STRING, "hello world", "\"hello world\"", NULL},
    {PT_STRING, "", "\"\"", NULL},
    {PT_STRING, "{'a': 1}", "\"{'a': 1}\"", NULL},
    {PT_STRING, "Zo\xc3\xab", "\"Zo\\u00eb\"", NULL},
    {PT_STRING, "ab\xff", NULL, "at offset 2: invalid UTF-8"},

    /* PT_INTEGER: str(int) named and positional; "" is the quirk, tested below. */
    {PT_INTEGER, "42", "42", NULL},
    {PT_INTEGER, "-3", "-3", NULL},
    {PT_INTEGER, "+7", "7", NULL},
    {PT_INTEGER, "0", "0", NULL},
    {PT_INTEGER, "9223372036854775807", "9223372036854775807", NULL},
    {PT_INTEGER, "9223372036854775808", NULL, "integer out of range: '9223372036854775808'"},
    {PT_INTEGER, "-9223372036854775809", NULL, "integer out of range"},
    {PT_INTEGER, "5.0", NULL, "expected an integer, got '5.0'"},
    {PT_INTEGER, "1e3", NULL, "expected an integer"},
    {PT_INTEGER, "0x10", NULL, "expected an integer"},
    {PT_INTEGER, " 5", NULL, "expected an integer"},
    {PT_INTEGER, "5 ", NULL, "expected an integer"},
    {PT_INTEGER, "-", NULL, "expected an integer"},
    {PT_INTEGER, "True", NULL, "expected an integer, got 'True'"},
    {PT_INTEGER, "\xff\x01", NULL, "expected an integer, got '?\?'"}, /* messages stay ASCII */

    /* PT_NUMBER: str(float), or str(int) when the value is integral in st2. */
    {PT_NUMBER, "2.5", "2.5", NULL},
    {PT_NUMBER, "3", "3", NULL},
    {PT_NUMBER, "-0.25", "-0.25", NULL},
    {PT_NUMBER, "1e-05", "1e-05", NULL},
    {PT_NUMBER, "1e+16", "1e16", NULL},
    {PT_NUMBER, "0.0", "0.0", NULL},
    {PT_NUMBER, "inf", NULL, "expected a number, got 'inf'"},
    {PT_NUMBER, "nan", NULL, "expected a number"},
    {PT_NUMBER, "1e999", NULL, "number out of range"},
    {PT_NUMBER, "0x1p3", NULL, "expected a number"},
    {PT_NUMBER, " 1.5", NULL, "expected a number"},
    {PT_NUMBER, "1.5.2", NULL, "expected a number"},
    {PT_NUMBER, "e", NULL, "expected a number"},
    {PT_NUMBER, "99999999999999999999", "1e20", NULL},
    {PT_NUMBER, "-", NULL, "expected a number, got '-'"},

    /* PT_BOOLEAN: positional "1"/"0"; the words a user or str() may write. */
    {PT_BOOLEAN, "1", "true", NULL},
    {PT_BOOLEAN, "0", "false", NULL},
    {PT_BOOLEAN, "True", "true", NULL},
    {PT_BOOLEAN, "False", "false", NULL},
    {PT_BOOLEAN, "true", "true", NULL},
    {PT_BOOLEAN, "false", "false", NULL},
    {PT_BOOLEAN, "yes", "true", NULL},
    {PT_BOOLEAN, "no", "false", NULL},
    {PT_BOOLEAN, "TRUE", NULL, "expected a boolean"},
    {PT_BOOLEAN, "2", NULL, "expected a boolean"},

    /* PT_ARRAY: named (Python repr), JSON, positional (comma-joined, so items are strings). */
    {PT_ARRAY, "['x', 'y']", "[\"x\",\"y\"]", NULL},
    {PT_ARRAY, "[1, 2]", "[1,2]", NULL},
    {PT_ARRAY, "[{'a': 1}, None, True]", "[{\"a\":1},null,true]", NULL},
    {PT_ARRAY, "[\"a\", true, null]", "[\"a\",true,null]", NULL},
    {PT_ARRAY, "('a',)", "[\"a\"]", NULL},
    {PT_ARRAY, "()", "[]", NULL},
    {PT_ARRAY, "[]", "[]", NULL},
    {PT_ARRAY, " ['x']", "[\"x\"]", NULL},
    {PT_ARRAY, "a,b,c", "[\"a\",\"b\",\"c\"]", NULL},
    {PT_ARRAY, "a", "[\"a\"]", NULL},
    {PT_ARRAY, "", "[]", NULL},
    {PT_ARRAY, "a,,b,", "[\"a\",\"\",\"b\",\"\"]", NULL},
    {PT_ARRAY, "1,2", "[\"1\",\"2\"]", NULL},
    {PT_ARRAY, "P1 2,P\xc3\xa9", "[\"P1 2\",\"P\\u00e9\"]", NULL},
    {PT_ARRAY, "a,\xff", NULL, "at offset 2: invalid UTF-8"},
    {PT_ARRAY, "(5)", NULL, "expected an array, got an int"},
    {PT_ARRAY, "['a'", NULL, "not an array: at offset 4: expected ',' or ']'"},
    {PT_ARRAY, "[a]", NULL, "not an array: at offset 1: unexpected name 'a'"},

    /* PT_OBJECT: named (Python repr) or positional (compact JSON). */
    {PT_OBJECT, "{'a': 1, 'b': True, 'c': None}", "{\"a\":1,\"b\":true,\"c\":null}", NULL},
    {PT_OBJECT, "{\"a\":{\"b\":[1,2]}}", "{\"a\":{\"b\":[1,2]}}", NULL},
    {PT_OBJECT, "{\"a\":1,}", "{\"a\":1}", NULL}, /* not JSON, but a Python dict */
    {PT_OBJECT, "{\"a\":1,\"a\":2}", NULL, "not an object: at offset 7: duplicate key"},
    {PT_OBJECT, "[1]", NULL, "expected an object (JSON or a Python dict)"},
    {PT_OBJECT, "a=1", NULL, "expected an object"},
    {PT_OBJECT, "{'a': }", NULL, "not an object: at offset 6: unexpected '}'"},
};

/* One value in both the forms st2 emits (stackstorm-api.md 3.3); both must read the same. */
static const struct {
	enum param_type type;
	const char *named;      /* --name=str(value) */
	const char *positional; /* serialize_positional_argument(value) */
	const char *want;
} forms[] = {
    {PT_STRING, "incident closed", "incident closed", "\"incident closed\""},
    {PT_INTEGER, "25", "25", "25"},
    {PT_INTEGER, "-1", "-1", "-1"},
    {PT_NUMBER, "2.5", "2.5", "2.5"},
    {PT_NUMBER, "1e-05", "1e-05", "1e-05"},
    {PT_BOOLEAN, "True", "1", "true"},
    {PT_BOOLEAN, "False", "0", "false"},
    {PT_ARRAY, "['PABC123', 'PDEF456']", "PABC123,PDEF456", "[\"PABC123\",\"PDEF456\"]"},
    {PT_ARRAY, "['only']", "only", "[\"only\"]"},
    {PT_OBJECT, "{'a': 1, 'b': True, 'c': None, 'd': [1.5, 'x'], 'e': {'f': 'g'}}",
     "{\"a\":1,\"b\":true,\"c\":null,\"d\":[1.5,\"x\"],\"e\":{\"f\":\"g\"}}",
     "{\"a\":1,\"b\":true,\"c\":null,\"d\":[1.5,\"x\"],\"e\":{\"f\":\"g\"}}"},
    {PT_OBJECT,
     "{'msg': 'it\\'s \"x\"', 'text': 'line1\\nline2', 'nul': '\\x00', 'nbsp': '\\xa0', "
     "'name': 'Zo\xc3\xab', 'zw': '\\u200b'}",
     "{\"msg\":\"it's \\\"x\\\"\",\"text\":\"line1\\nline2\",\"nul\":\"\\u0000\",\"nbsp\":"
     "\"\xc2\xa0\",\"name\":\"Zo\xc3\xab\",\"zw\":\"\xe2\x80\x8b\"}",
     "{\"msg\":\"it's \\\"x\\\"\",\"text\":\"line1\\nline2\",\"nul\":\"\\u0000\",\"nbsp\":"
     "\"\\u00a0\",\"name\":\"Zo\\u00eb\",\"zw\":\"\\u200b\"}"},
};

/* Parses JSON text that the test itself wrote. */
static json_t *
expected(const char *text)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);

	if (v == NULL)
		fail_msg("bad expected JSON %s: %s", text, err.text);
	return v;
}

/* Runs one conversion as case type says. */
static json_t *
convert(int type, const char *in, char **why)
{
	return type == PY ? pyrepr_parse(in, why) : args_value((enum param_type)type, in, why);
}

/* Checks one result against want or err; prints and counts a mismatch. */
static int
check(const char *label, json_t *got, char *why, const char *want, const char *err)
{
	json_t *exp;
	char *s = got ? json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	int ok;

	if (want != NULL) {
		exp = expected(want);
		ok = got != NULL && why == NULL && json_equal(got, exp);
		json_decref(exp);
	} else {
		ok = got == NULL && why != NULL && strstr(why, err) != NULL;
	}
	if (!ok)
		print_error("%s: got %s / %s; want %s\n", label, s ? s : "NULL",
		            why ? why : "no error", want ? want : err);
	free(s);
	json_decref(got);
	free(why);
	return ok;
}

/* Every case of the table. */
static void
test_table(void **state)
{
	size_t i, bad = 0;
	char label[64], *why;
	json_t *got;

	for (i = 0; i < NELEM(cases); i++) {
		got = convert(cases[i].type, cases[i].in, &why);
		snprintf(label, sizeof label, "case %zu", i);
		bad += !check(label, got, why, cases[i].want, cases[i].err);
	}
	assert_int_equal(bad, 0);
}

/* The named and the positional form of one value give the same JSON. */
static void
test_forms(void **state)
{
	size_t i, bad = 0;
	char label[64], *why;
	json_t *got;

	for (i = 0; i < NELEM(forms); i++) {
		snprintf(label, sizeof label, "form %zu named", i);
		got = args_value(forms[i].type, forms[i].named, &why);
		bad += !check(label, got, why, forms[i].want, NULL);
		snprintf(label, sizeof label, "form %zu positional", i);
		got = args_value(forms[i].type, forms[i].positional, &why);
		bad += !check(label, got, why, forms[i].want, NULL);
	}
	assert_int_equal(bad, 0);
}

/* "" is a positional null (or integer 0): ARGS_EMPTY for the types that cannot be empty. */
static void
test_empty(void **state)
{
	static const enum param_type empty[] = {PT_INTEGER, PT_NUMBER, PT_BOOLEAN, PT_OBJECT};
	char *why;
	size_t i;

	for (i = 0; i < NELEM(empty); i++) {
		assert_null(args_value(empty[i], "", &why));
		assert_non_null(why);
		assert_string_equal(why, ARGS_EMPTY);
		free(why);
	}
	/* Not empty, but wrong: a different message, so the caller can tell them apart. */
	assert_null(args_value(PT_INTEGER, " ", &why));
	assert_string_not_equal(why, ARGS_EMPTY);
	free(why);
}

/* NULL text is an error; a NULL why is allowed and leaks nothing. */
static void
test_null_arguments(void **state)
{
	char *why = (char *)"untouched";
	json_t *v;

	assert_null(args_value(PT_STRING, NULL, &why));
	assert_string_equal(why, "no value");
	free(why);
	assert_null(pyrepr_parse(NULL, &why));
	assert_string_equal(why, "no value");
	free(why);
	assert_null(pyrepr_parse("[1,", NULL));
	assert_null(args_value(PT_INTEGER, "x", NULL));
	v = args_value(PT_ARRAY, "a,b", NULL);
	assert_int_equal(json_array_size(v), 2);
	json_decref(v);
	v = pyrepr_parse("[1]", &why);
	assert_non_null(v);
	assert_null(why); /* cleared on success */
	json_decref(v);
}

/* n opening brackets then n closing ones. */
static char *
nested(size_t n, char open, char close)
{
	char *s = xmalloc(2 * n + 1);

	memset(s, open, n);
	memset(s + n, close, n);
	s[2 * n] = '\0';
	return s;
}

/* 64 levels parse; 65 fail with a clear message; 100000 fail without exhausting the stack. */
static void
test_depth(void **state)
{
	static const char pairs[][2] = {{'[', ']'}, {'(', ')'}};
	char *s, *why;
	json_t *v, *inner;
	size_t i, d;

	for (i = 0; i < NELEM(pairs); i++) {
		s = nested(64, pairs[i][0], pairs[i][1]);
		v = pyrepr_parse(s, &why);
		assert_non_null(v);
		for (inner = v, d = 1; json_array_size(inner) == 1; d++)
			inner = json_array_get(inner, 0);
		/* "(())" is the empty tuple in parentheses: only lists keep every level. */
		assert_int_equal(d, pairs[i][0] == '[' ? 64 : 1);
		json_decref(v);
		free(s);

		s = nested(65, pairs[i][0], pairs[i][1]);
		assert_null(pyrepr_parse(s, &why));
		assert_string_equal(why, "at offset 64: nested deeper than 64 levels");
		free(why);
		free(s);

		s = nested(100000, pairs[i][0], pairs[i][1]);
		assert_null(pyrepr_parse(s, &why));
		assert_non_null(strstr(why, "nested deeper than 64 levels"));
		free(why);
		free(s);
	}
	/* Dicts nest through values and through (refused) keys alike. */
	s = xstrdup("{'a': {'a': {'a': {'a': {'a': {'a': {'a': {'a': {'a': 1}}}}}}}}}");
	v = pyrepr_parse(s, &why);
	assert_non_null(v);
	json_decref(v);
	free(s);
	s = nested(100000, '{', '}');
	assert_null(pyrepr_parse(s, &why));
	assert_non_null(strstr(why, "nested deeper than 64 levels"));
	free(why);
	free(s);
}

/* Valid inputs whose every proper prefix is invalid: they open a container or a string. */
static const struct {
	int type;
	const char *in;
} whole[] = {
    {PY, "{'a': [1, -2.5e-3, (3,), {'b': None}], 'c': 'x\\'y\\n\\u00e9\\U0001f600', "
         "u'd': \"\\x41\", 1: True, 'e': False, 'f': ()}"},
    {PY, "['Zo\xc3\xab', '\xe6\x9d\xb1\xe4\xba\xac', '\xf0\x9f\x98\x80', 'a' 'b', "
         "9223372036854775807]"},
    {PY, "(1, (2, [3, {4: 5}]),)"},
    {PT_OBJECT, "{\"a\":{\"b\":[1,2,{\"c\":\"\xc3\xa9\"}]},\"d\":null}"},
    {PT_OBJECT, "{'k': ['v', 1.5, True]}"},
    {PT_ARRAY, "['x', {'y': [None]}]"},
    {PT_ARRAY, "(1, 'two', 3.0)"},
};

/* Every truncation of a valid input fails with a message, never crashes or leaks. */
static void
test_truncated(void **state)
{
	size_t i, n, len;
	char *s, *why;
	json_t *v;

	for (i = 0; i < NELEM(whole); i++) {
		len = strlen(whole[i].in);
		v = convert(whole[i].type, whole[i].in, &why);
		if (v == NULL)
			fail_msg("whole input %zu: %s", i, why);
		json_decref(v);
		/* "" is a valid positional array ([]); for the others it is an error too. */
		for (n = whole[i].type == PT_ARRAY ? 1 : 0; n < len; n++) {
			s = xstrndup(whole[i].in, n);
			v = convert(whole[i].type, s, &why);
			if (v != NULL)
				fail_msg("input %zu cut at %zu parsed: %s", i, n, s);
			assert_non_null(why);
			free(why);
			free(s);
		}
	}
}

/* Every byte replaced by each troublesome byte: a value xor a message, valid UTF-8 out. */
static void
test_mutated(void **state)
{
	static const char repl[] = "'\"\\,:[]{}()x0-.eu \x01\x80\xc3\xe2\xf0\xff";
	size_t i, pos, r, len, values = 0, errors = 0;
	char *s, *why, *dump;
	json_t *v;

	for (i = 0; i < NELEM(whole); i++) {
		len = strlen(whole[i].in);
		s = xstrdup(whole[i].in);
		for (pos = 0; pos < len; pos++) {
			for (r = 0; r < sizeof repl - 1; r++) {
				s[pos] = repl[r];
				v = convert(whole[i].type, s, &why);
				assert_true((v == NULL) != (why == NULL));
				if (v != NULL) {
					/* jansson refuses to dump invalid UTF-8: proof the output
					 * is clean. */
					dump = json_dumps(v, JSON_ENCODE_ANY);
					assert_non_null(dump);
					free(dump);
					json_decref(v);
					values++;
				} else {
					free(why);
					errors++;
				}
			}
			s[pos] = whole[i].in[pos];
		}
		free(s);
	}
	/* Both outcomes must occur, or the loop tested nothing. */
	assert_true(values > 0);
	assert_true(errors > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),   cmocka_unit_test(test_forms),
	    cmocka_unit_test(test_empty),   cmocka_unit_test(test_null_arguments),
	    cmocka_unit_test(test_depth),   cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_mutated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
