/*
 * pyrepr.c: a Python literal, as repr() prints it, read into JSON. st2
 * writes a named action argument with Python's str(), so a named object
 * or array arrives as a Python repr ("{'a': 1, 'b': True}"), not as JSON
 * (args.c hands such values here). No C library reads them.
 *
 * DESIGN
 * ------
 * A small recursive-descent parser. Where Python's own reading is clear we
 * follow it; otherwise we refuse rather than guess:
 *  - dict, list, tuple ("()", "(x,)", "(x, y)"; "(x)" is just x), trailing
 *    commas, whitespace (newlines too) between tokens. No sets.
 *  - Dict keys become JSON keys the way json.dumps spells them: str as is,
 *    int in decimal, True/False/None as "true"/"false"/"null". Float and
 *    tuple keys are refused, and so are keys that collide once converted
 *    ({1: 'a', '1': 'b'}).
 *  - str in '...' or "...", optionally u-prefixed, with every Python
 *    escape but \N{...}; adjacent literals concatenate ('a' 'b' is 'ab').
 *    Unknown escapes (Python warns), b'' (bytes), r''/f'' prefixes,
 *    triple quotes, lone surrogates and malformed UTF-8 are refused.
 *  - int: decimal, one optional sign, no leading zeros, within int64.
 *    float: decimal with a fraction and/or exponent, finite only (JSON
 *    has no inf or nan; repr prints them as bare names).
 *  - True, False, None; containers nested at most PYREPR_MAX_DEPTH deep, so
 *    hostile input cannot exhaust the stack.
 * Errors name the byte offset: "at offset 12: expected ':'". Messages are
 * ASCII only (input is never echoed raw), so they always fit in JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

#define PYREPR_MAX_DEPTH 64

/* Parser state for one Python literal. */
struct py {
	const char *text; /* the whole input: offsets count from here */
	const char *p;    /* next byte to read */
	int depth;        /* containers open around p */
	char *why;        /* the first error, allocated */
};

/* A growing byte string for decoded str literals. */
struct buf {
	char *d;
	size_t len;
	size_t cap;
};

static json_t *py_value(struct py *);
static void *py_fail(struct py *, const char *, const char *, ...) PD_PRINTF(3, 4);

/* Python's names for JSON types, by json_type, for "expected an array, got an int". */
static const char *const pyrepr_kinds[] = {
    [JSON_OBJECT] = "a dict",  [JSON_ARRAY] = "a list", [JSON_STRING] = "a str",
    [JSON_INTEGER] = "an int", [JSON_REAL] = "a float", [JSON_TRUE] = "a bool",
    [JSON_FALSE] = "a bool",   [JSON_NULL] = "None",
};

/* ASCII classes, independent of the locale. */
static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* A byte that may appear in a Python (ASCII) identifier. */
static int
is_ident(int c)
{
	return is_digit(c) || c == '_' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Whitespace Python skips between tokens inside brackets. */
static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Whether the n bytes at s spell name. */
static int
name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncmp(s, name, n) == 0;
}

/* Value of a hex digit, or -1 (also for NUL, so scans stop at the end). */
static int
hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Appends n bytes to b. */
static void
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->cap - b->len < n) {
		b->cap = (b->len + n) * 2 + 16;
		b->d = xrealloc(b->d, b->cap);
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
}

/* Appends the code point cp (a Unicode scalar value, checked by the caller) as UTF-8. */
static void
buf_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | cp >> 6);
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | cp >> 12);
		u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | cp >> 18);
		u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
		u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_add(b, u, n);
}

/* Records the first error, at byte at; returns NULL so value parsers can return it. */
static void *
py_fail(struct py *py, const char *at, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (py->why == NULL) {
		va_start(ap, fmt);
		msg = xvasprintf(fmt, ap);
		va_end(ap);
		py->why = xasprintf("at offset %td: %s", at - py->text, msg);
		free(msg);
	}
	return NULL;
}

/* Skips whitespace. */
static void
py_skip(struct py *py)
{
	while (is_space((unsigned char)*py->p))
		py->p++;
}

/* Opens a container at p, refusing to nest past PYREPR_MAX_DEPTH. */
static int
py_enter(struct py *py)
{
	if (++py->depth > PYREPR_MAX_DEPTH) {
		py_fail(py, py->p, "nested deeper than %d levels", PYREPR_MAX_DEPTH);
		return -1;
	}
	py->p++;
	return 0;
}

/* Closes a container: steps over its closing bracket. */
static void
py_leave(struct py *py)
{
	py->p++;
	py->depth--;
}

/* If p starts a string literal, the length of its prefix (0: a bare quote; u'', rb''); else -1. */
static int
str_start(const char *p)
{
	int n;

	for (n = 0; n < 3; n++) {
		if (p[n] == '\'' || p[n] == '"')
			return n;
		if (p[n] == '\0' || strchr("uUbBrRfF", p[n]) == NULL)
			return -1;
	}
	return -1;
}

/* One backslash escape inside a str literal: appends what Python would put there. */
static int
py_escape(struct py *py, struct buf *b)
{
	/* Pairs: the letter after the backslash, the character it stands for. */
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	const char *at = py->p++, *s;
	char c = *py->p;
	unsigned long cp = 0;
	int digits, i, h;

	if (c == '\n' || c == '\r') { /* line continuation */
		py->p += c == '\r' && py->p[1] == '\n' ? 2 : 1;
		return 0;
	}
	for (s = simple; *s != '\0'; s += 2) {
		if (*s == c) {
			buf_add(b, s + 1, 1);
			py->p++;
			return 0;
		}
	}
	if (c >= '0' && c <= '7') { /* up to three octal digits: a code point up to 0o777 */
		for (i = 0; i < 3 && *py->p >= '0' && *py->p <= '7'; i++)
			cp = cp * 8 + (unsigned long)(*py->p++ - '0');
		buf_utf8(b, cp);
		return 0;
	}
	digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (digits == 0) {
		if (c == '\0')
			py_fail(py, at, "unterminated string");
		else if (c == 'N')
			py_fail(py, at, "\\N{...} escapes are not supported");
		else if (c > ' ' && c < 0x7f)
			py_fail(py, at, "unknown escape '\\%c'", c);
		else
			py_fail(py, at, "unknown escape");
		return -1;
	}
	py->p++;
	for (i = 0; i < digits; i++) {
		if ((h = hex_value((unsigned char)*py->p)) < 0) {
			py_fail(py, at, "truncated \\%c escape: expected %d hex digits", c, digits);
			return -1;
		}
		cp = cp * 16 + (unsigned long)h;
		py->p++;
	}
	if (cp > 0x10FFFF) {
		py_fail(py, at, "escape beyond U+10FFFF");
		return -1;
	}
	if (cp >= 0xD800 && cp <= 0xDFFF) {
		py_fail(py, at, "surrogate U+%04lX has no UTF-8 form", cp);
		return -1;
	}
	buf_utf8(b, cp);
	return 0;
}

/* One quoted literal at p (after its prefix), decoded into b. */
static int
py_str1(struct py *py, struct buf *b)
{
	const char *start = py->p;
	char q = *py->p++;
	size_t n;

	if (py->p[0] == q && py->p[1] == q) {
		py_fail(py, start, "triple-quoted strings are not supported");
		return -1;
	}
	for (;;) {
		if (*py->p == '\0' || *py->p == '\n' || *py->p == '\r') {
			py_fail(py, start, "unterminated string");
			return -1;
		}
		if (*py->p == q) {
			py->p++;
			return 0;
		}
		if (*py->p == '\\') {
			if (py_escape(py, b) < 0)
				return -1;
			continue;
		}
		if ((n = utf8_char_len(py->p, strnlen(py->p, 4))) == 0) {
			py_fail(py, py->p, "invalid UTF-8");
			return -1;
		}
		buf_add(b, py->p, n);
		py->p += n;
	}
}

/* A str literal, or adjacent ones concatenated as Python does ('a' "b" is 'ab'). */
static json_t *
py_str(struct py *py)
{
	struct buf b = {NULL, 0, 0};
	json_t *v = NULL;
	const char *at;
	int n;

	while ((n = str_start(py->p)) >= 0) {
		at = py->p;
		if (n == 2 || (n == 1 && (*at | 0x20) != 'u')) {
			if (memchr(at, 'b', (size_t)n) != NULL ||
			    memchr(at, 'B', (size_t)n) != NULL)
				py_fail(py, at, "bytes literals are not supported");
			else
				py_fail(py, at, "string prefix '%.*s' is not supported", n, at);
			goto out;
		}
		py->p += n;
		if (py_str1(py, &b) < 0)
			goto out;
		py_skip(py);
	}
	/* The bytes are well-formed UTF-8 by construction; jansson checks again. */
	if ((v = json_stringn(b.len > 0 ? b.d : "", b.len)) == NULL)
		py_fail(py, py->p, "invalid UTF-8");
out:
	free(b.d);
	return v;
}

/* An int or float literal with at most one sign, as repr prints them (decimal only). */
static json_t *
py_number(struct py *py)
{
	const char *start = py->p, *digits, *name;
	int is_float = 0;
	long long i;
	double d;
	char *end;

	if (*py->p == '-' || *py->p == '+')
		py->p++;
	if (is_ident((unsigned char)*py->p) && !is_digit(*py->p)) {
		for (name = py->p; is_ident((unsigned char)*py->p); py->p++)
			;
		if (name_is(name, (size_t)(py->p - name), "inf") ||
		    name_is(name, (size_t)(py->p - name), "nan"))
			return py_fail(py, start, "inf and nan cannot be represented in JSON");
		return py_fail(py, start, "expected a number after the sign");
	}
	for (digits = py->p; is_digit(*py->p); py->p++)
		;
	if (*py->p == '.') {
		is_float = 1;
		py->p++;
		while (is_digit(*py->p))
			py->p++;
	}
	if (py->p - digits == is_float) /* neither integer nor fraction digits */
		return py_fail(py, start, "expected a number");
	if ((*py->p | 0x20) == 'e') {
		is_float = 1;
		py->p++;
		if (*py->p == '-' || *py->p == '+')
			py->p++;
		if (!is_digit(*py->p))
			return py_fail(py, start, "malformed exponent");
		while (is_digit(*py->p))
			py->p++;
	}
	if (is_ident((unsigned char)*py->p) || *py->p == '.')
		return py_fail(py, start, "malformed number (only decimal int and float literals)");
	errno = 0;
	if (!is_float) {
		if (digits[0] == '0' && digits + strspn(digits, "0") < py->p)
			return py_fail(py, start, "leading zeros are not allowed in an int");
		i = strtoll(start, &end, 10);
		if (errno == ERANGE)
			return py_fail(py, start, "int out of range (more than 64 bits)");
		if (end != py->p)
			return py_fail(py, start, "malformed number");
		return json_integer(i);
	}
	d = strtod(start, &end);
	if (end != py->p)
		return py_fail(py, start, "malformed number");
	if (!isfinite(d)) /* 1e999 is inf to Python too */
		return py_fail(py, start, "float out of range (JSON has no inf)");
	return json_real(d);
}

/* A bare name: True, False or None; anything else is not a literal. */
static json_t *
py_name(struct py *py)
{
	const char *start = py->p;
	size_t n;

	while (is_ident((unsigned char)*py->p))
		py->p++;
	n = (size_t)(py->p - start);
	if (name_is(start, n, "True"))
		return json_true();
	if (name_is(start, n, "False"))
		return json_false();
	if (name_is(start, n, "None"))
		return json_null();
	if (name_is(start, n, "inf") || name_is(start, n, "nan"))
		return py_fail(py, start, "inf and nan cannot be represented in JSON");
	if (name_is(start, n, "true") || name_is(start, n, "false") || name_is(start, n, "null"))
		return py_fail(py, start,
		               "unexpected name '%.*s' (Python spells True, False, None)", (int)n,
		               start);
	return py_fail(py, start, "unexpected name '%.*s'", n > 40 ? 40 : (int)n, start);
}

/* Items up to close, appended to arr (which is taken); a trailing comma is fine. */
static json_t *
py_items(struct py *py, json_t *arr, char close)
{
	json_t *v;

	for (;;) {
		py_skip(py);
		if (*py->p == close) {
			py_leave(py);
			return arr;
		}
		if ((v = py_value(py)) == NULL)
			break;
		json_array_append_new(arr, v);
		py_skip(py);
		if (*py->p == ',')
			py->p++;
		else if (*py->p != close) {
			py_fail(py, py->p, "expected ',' or '%c'", close);
			break;
		}
	}
	json_decref(arr);
	return NULL;
}

/* "(...)": the empty tuple, a tuple (a 1-tuple needs its comma), or a parenthesized value. */
static json_t *
py_paren(struct py *py)
{
	json_t *first, *arr;

	if (py_enter(py) < 0)
		return NULL;
	py_skip(py);
	if (*py->p == ')') {
		py_leave(py);
		return json_array();
	}
	if ((first = py_value(py)) == NULL)
		return NULL;
	py_skip(py);
	if (*py->p == ')') {
		py_leave(py);
		return first;
	}
	if (*py->p != ',') {
		json_decref(first);
		return py_fail(py, py->p, "expected ',' or ')'");
	}
	py->p++;
	arr = json_array();
	json_array_append_new(arr, first);
	return py_items(py, arr, ')');
}

/* The JSON key for a parsed dict key, spelled as json.dumps would; NULL if JSON has none. */
static char *
py_key(struct py *py, const json_t *k, const char *at, size_t *len)
{
	char *s;

	switch (json_typeof(k)) {
	case JSON_STRING: /* may hold NULs: copy by length */
		*len = json_string_length(k);
		s = xmalloc(*len + 1);
		memcpy(s, json_string_value(k), *len + 1);
		return s;
	case JSON_INTEGER:
		s = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(k));
		break;
	case JSON_TRUE:
		s = xstrdup("true");
		break;
	case JSON_FALSE:
		s = xstrdup("false");
		break;
	case JSON_NULL:
		s = xstrdup("null");
		break;
	case JSON_REAL:
	case JSON_OBJECT:
	case JSON_ARRAY:
	default:
		return py_fail(py, at, "dict key must be a str, int, True, False or None, not %s",
		               pyrepr_kinds[json_typeof(k)]);
	}
	*len = strlen(s);
	return s;
}

/* "{k: v, ...}"; a trailing comma is fine. */
static json_t *
py_dict(struct py *py)
{
	const char *at;
	json_t *obj, *k, *v;
	char *key = NULL;
	size_t len = 0;

	if (py_enter(py) < 0)
		return NULL;
	obj = json_object();
	for (;;) {
		py_skip(py);
		if (*py->p == '}') {
			py_leave(py);
			return obj;
		}
		at = py->p;
		if ((k = py_value(py)) == NULL)
			break;
		key = py_key(py, k, at, &len);
		json_decref(k);
		if (key == NULL)
			break;
		if (json_object_getn(obj, key, len) != NULL) {
			py_fail(py, at, "duplicate key once converted to JSON");
			break;
		}
		py_skip(py);
		if (*py->p != ':') {
			py_fail(py, py->p, "expected ':'");
			break;
		}
		py->p++;
		if ((v = py_value(py)) == NULL)
			break;
		if (json_object_setn_new(obj, key, len, v) != 0) {
			py_fail(py, at, "key is not valid UTF-8");
			break;
		}
		free(key);
		key = NULL;
		py_skip(py);
		if (*py->p == ',')
			py->p++;
		else if (*py->p != '}') {
			py_fail(py, py->p, "expected ',' or '}'");
			break;
		}
	}
	free(key);
	json_decref(obj);
	return NULL;
}

/* Any literal at p, after optional whitespace. */
static json_t *
py_value(struct py *py)
{
	unsigned char c;

	py_skip(py);
	c = (unsigned char)*py->p;
	if (c == '{')
		return py_dict(py);
	if (c == '[')
		return py_enter(py) < 0 ? NULL : py_items(py, json_array(), ']');
	if (c == '(')
		return py_paren(py);
	if (str_start(py->p) >= 0) /* before names: u'x' starts with a letter */
		return py_str(py);
	if (is_digit(c) || c == '-' || c == '+' || (c == '.' && is_digit(py->p[1])))
		return py_number(py);
	if (is_ident(c))
		return py_name(py);
	if (c == '\0')
		return py_fail(py, py->p, "unexpected end of input");
	if (c > ' ' && c < 0x7f)
		return py_fail(py, py->p, "unexpected '%c'", c);
	return py_fail(py, py->p, "unexpected byte 0x%02x", c);
}

/* Python's name for the kind of a value: "a dict", "an int", "None". */
const char *
pyrepr_kind(const json_t *v)
{
	return pyrepr_kinds[json_typeof(v)];
}

/* A Python literal as JSON; see the DESIGN above. */
json_t *
pyrepr_parse(const char *text, char **why)
{
	struct py py = {text, text, 0, NULL};
	json_t *v = NULL;

	if (text == NULL)
		py.why = xstrdup("no value");
	else if ((v = py_value(&py)) != NULL) {
		py_skip(&py);
		if (*py.p != '\0') {
			json_decref(v);
			v = py_fail(&py, py.p, "unexpected data after the value");
		}
	}
	if (why != NULL)
		*why = py.why;
	else
		free(py.why);
	return v;
}
