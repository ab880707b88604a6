/*
 * args.c: action argument values as StackStorm's local-shell-script runner
 * passes them (stackstorm-api.md 3.3), turned into typed JSON.
 *
 * DESIGN
 * ------
 * st2 writes a named argument with Python's str(), so a named object or
 * array arrives as a Python repr ("{'a': 1, 'b': True}"), not as JSON;
 * pyrepr.c reads those. Positional arguments use another encoding:
 * objects as compact JSON, arrays joined with commas, booleans as "1"/"0",
 * and "" for null (and, through a quirk of serialize_positional_argument,
 * for the integer 0). args_value() accepts every form st2 produces for the
 * declared type, and refuses the rest with a message naming what it got,
 * in ASCII only (input is never echoed raw), so it always fits in JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

static json_t *fail(char **, const char *, ...) PD_PRINTF(2, 3);

/* Hands msg to the caller through why (or frees it when why is NULL). */
static void
set_why(char **why, char *msg)
{
	if (why != NULL)
		*why = msg;
	else
		free(msg);
}

/* Sets *why to a new message; returns NULL for the caller to return. */
static json_t *
fail(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_why(why, xvasprintf(fmt, ap));
	va_end(ap);
	return NULL;
}

/* Up to 40 bytes of s for a message, anything but printable ASCII as '?'. */
static const char *
shown(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 4 < size; i++)
		out[i] = s[i] >= ' ' && s[i] < 0x7f ? s[i] : '?';
	if (s[i] != '\0') {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* An ASCII digit, whatever the locale. */
static int
args_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A decimal integer within int64; strtoll alone would let " 5" and "5.0"'s prefix through. */
static json_t *
arg_integer(const char *text, char **why)
{
	char show[48], *end;
	long long v;

	if (!args_digit(*text) && !((*text == '-' || *text == '+') && args_digit(text[1])))
		return fail(why, "expected an integer, got '%s'", shown(text, show, sizeof show));
	errno = 0;
	v = strtoll(text, &end, 10);
	if (*end != '\0')
		return fail(why, "expected an integer, got '%s'", shown(text, show, sizeof show));
	if (errno == ERANGE)
		return fail(why, "integer out of range: '%s'", shown(text, show, sizeof show));
	return json_integer(v);
}

/*
 * A finite decimal number. Integral text within int64 stays a JSON integer
 * ("5" is 5, "5.0" is 5.0); larger ones become reals, as JSON allows.
 */
static json_t *
arg_number(const char *text, char **why)
{
	char show[48], *end;
	json_t *v;
	double d;

	/* strtod alone would also take hex, "inf", "nan" and leading spaces. */
	if (text[strspn(text, "0123456789+-.eE")] != '\0')
		return fail(why, "expected a number, got '%s'", shown(text, show, sizeof show));
	if (strpbrk(text, ".eE") == NULL && (v = arg_integer(text, NULL)) != NULL)
		return v;
	errno = 0;
	d = strtod(text, &end);
	if (end == text || *end != '\0')
		return fail(why, "expected a number, got '%s'", shown(text, show, sizeof show));
	if (!isfinite(d))
		return fail(why, "number out of range: '%s'", shown(text, show, sizeof show));
	return json_real(d);
}

/* Named true arrives as a bare flag (the caller's business), positional ones as "1"/"0". */
static json_t *
arg_boolean(const char *text, char **why)
{
	static const struct {
		const char *text;
		int value;
	} words[] = {
	    {"True", 1},  {"true", 1},  {"1", 1}, {"yes", 1},
	    {"False", 0}, {"false", 0}, {"0", 0}, {"no", 0},
	};
	char show[48];
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(text, words[i].text) == 0)
			return json_boolean(words[i].value);
	}
	return fail(why, "expected a boolean (True/False, true/false, 1/0, yes/no), got '%s'",
	            shown(text, show, sizeof show));
}

/* JSON, else a Python repr, of the wanted container type; else the repr parser's message. */
static json_t *
arg_container(const char *text, json_type want, const char *what, char **why)
{
	json_t *v;
	char *msg;

	if ((v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL)) != NULL) {
		if (json_typeof(v) == want)
			return v;
		json_decref(v);
	}
	if ((v = pyrepr_parse(text, &msg)) == NULL) {
		fail(why, "not %s: %s", what, msg);
		free(msg);
		return NULL;
	}
	if (json_typeof(v) != want) {
		fail(why, "expected %s, got %s", what, pyrepr_kind(v));
		json_decref(v);
		return NULL;
	}
	return v;
}

/* st2's positional array: items joined with commas, so "" is [] and every item is a string. */
static json_t *
arg_commas(const char *text, char **why)
{
	const char *p = text, *comma;
	ptrdiff_t bad;
	json_t *arr;

	if ((bad = utf8_invalid(text)) >= 0)
		return fail(why, "at offset %td: invalid UTF-8", bad);
	arr = json_array();
	if (*text == '\0')
		return arr;
	while ((comma = strchr(p, ',')) != NULL) {
		json_array_append_new(arr, json_stringn(p, (size_t)(comma - p)));
		p = comma + 1;
	}
	json_array_append_new(arr, json_string(p));
	return arr;
}

/* A value of type as st2 passes it; see the DESIGN above. */
json_t *
args_value(enum param_type type, const char *text, char **why)
{
	const char *first;
	ptrdiff_t bad;

	if (why != NULL)
		*why = NULL;
	if (text == NULL)
		return fail(why, "no value");
	first = text + strspn(text, " \t\n\r\f\v"); /* what Python skips before a value */
	if (*text == '\0' && type != PT_STRING && type != PT_ARRAY)
		return fail(why, "%s", ARGS_EMPTY);
	switch (type) {
	case PT_STRING:
		if ((bad = utf8_invalid(text)) >= 0)
			return fail(why, "at offset %td: invalid UTF-8", bad);
		return json_string(text);
	case PT_INTEGER:
		return arg_integer(text, why);
	case PT_NUMBER:
		return arg_number(text, why);
	case PT_BOOLEAN:
		return arg_boolean(text, why);
	case PT_ARRAY:
		/* So a lone positional item starting with '[' or '(' is read as a repr. */
		if (*first == '[' || *first == '(')
			return arg_container(text, JSON_ARRAY, "an array", why);
		return arg_commas(text, why);
	case PT_OBJECT:
		if (*first == '{')
			return arg_container(text, JSON_OBJECT, "an object", why);
		return fail(why, "expected an object (JSON or a Python dict)");
	}
	return fail(why, "unknown parameter type %d", (int)type);
}
