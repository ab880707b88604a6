/*
 * util.c: small helpers shared by every module: string lists, clocks,
 * checked number parsing (the project bans atoi), durations, timestamps
 * (written and read), reading a whole file, and messages as JSON strings.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "st2pd.h"

void
strlist_add(struct pd_strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 2, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
	l->v[l->n] = NULL;
}

void
strlist_addf(struct pd_strlist *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_add(l, s);
	free(s);
}

void
strlist_free(struct pd_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* The items of a list between separators, in one new string. */
char *
strlist_join(const struct pd_strlist *l, const char *sep)
{
	size_t i, len = 1, seplen = strlen(sep);
	char *s, *p;

	for (i = 0; i < l->n; i++)
		len += strlen(l->v[i]) + (i > 0 ? seplen : 0);
	s = p = xmalloc(len);
	for (i = 0; i < l->n; i++) {
		if (i > 0) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		memcpy(p, l->v[i], strlen(l->v[i]));
		p += strlen(l->v[i]);
	}
	*p = '\0';
	return s;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct timeval
ms_timeval(int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	return tv;
}

enum pd_err
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || isspace((unsigned char)*s))
		return PD_ERR_VALIDATION;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return PD_ERR_VALIDATION;
	*out = (long)v;
	return PD_OK;
}

enum pd_err
parse_duration_ms(const char *s, int64_t *out)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}};
	char *num;
	size_t len, i;
	int64_t mult = 1000;
	long v;

	if (s == NULL || (len = strlen(s)) == 0)
		return PD_ERR_VALIDATION;
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (s[len - 1] == units[i].unit) {
			mult = units[i].ms;
			len--;
			break;
		}
	}
	num = xstrndup(s, len);
	if (parse_long(num, 0, 100L * 365 * 86400, &v) != PD_OK) {
		free(num);
		return PD_ERR_VALIDATION;
	}
	free(num);
	*out = (int64_t)v * mult;
	return PD_OK;
}

void
format_time_ms(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[24];

	gmtime_r(&t, &tm);
	strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)(ms % 1000));
}

/* Two digits at p, or -1. */
static int
util_digits2(const char *p)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/*
 * RFC 3339 as PagerDuty writes it: "2026-11-27T09:40:00Z",
 * "2026-11-27T09:40:00.123Z" or with an offset, "+01:00". A space may stand
 * for the T. Fractions past milliseconds are dropped.
 */
enum pd_err
parse_time_ms(const char *s, int64_t *out)
{
	/* month, day, hour, minute, second follow these separators */
	static const char seps[] = "--T::";
	struct tm tm;
	const char *p;
	int64_t ms = 0, scale = 100, t;
	int year, v[5], i, sign, oh, om;

	if (s == NULL || strlen(s) < 19)
		return PD_ERR_VALIDATION;
	for (i = 0, year = 0; i < 4; i++) {
		if (!isdigit((unsigned char)s[i]))
			return PD_ERR_VALIDATION;
		year = year * 10 + (s[i] - '0');
	}
	for (i = 0, p = s + 4; i < 5; i++, p += 3) {
		if (*p != seps[i] && !(i == 2 && (*p == 't' || *p == ' ')))
			return PD_ERR_VALIDATION;
		if ((v[i] = util_digits2(p + 1)) < 0)
			return PD_ERR_VALIDATION;
	}
	if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 31 || v[2] > 23 || v[3] > 59 || v[4] > 60)
		return PD_ERR_VALIDATION;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
		if (p[-1] == '.')
			return PD_ERR_VALIDATION;
	}
	memset(&tm, 0, sizeof tm);
	tm.tm_year = year - 1900;
	tm.tm_mon = v[0] - 1;
	tm.tm_mday = v[1];
	tm.tm_hour = v[2];
	tm.tm_min = v[3];
	tm.tm_sec = v[4];
	t = (int64_t)timegm(&tm);
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		*out = t * 1000 + ms;
		return PD_OK;
	}
	if ((*p != '+' && *p != '-') || (oh = util_digits2(p + 1)) < 0 || p[3] != ':' ||
	    (om = util_digits2(p + 4)) < 0 || p[6] != '\0' || oh > 23 || om > 59)
		return PD_ERR_VALIDATION;
	sign = *p == '+' ? 1 : -1;
	*out = (t - sign * (int64_t)(oh * 3600 + om * 60)) * 1000 + ms;
	return PD_OK;
}

enum pd_err
read_file(const char *path, char **out, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "rb")) == NULL)
		return PD_ERR_IO;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap == 0 ? 8192 : cap * 2;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		if (f != stdin)
			fclose(f);
		free(buf);
		return PD_ERR_IO;
	}
	if (f != stdin)
		fclose(f);
	if (buf == NULL)
		buf = xmalloc(1);
	buf[n] = '\0';
	*out = buf;
	if (len != NULL)
		*len = n;
	return PD_OK;
}

/*
 * RFC 3629's table: the lead byte sets the length and the range of the
 * second byte, which is where overlong forms, surrogates and code points
 * past U+10FFFF are told apart; the other bytes are any continuation.
 */
size_t
utf8_char_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80; /* overlong */
		hi = p[0] == 0xed ? 0x9f : 0xbf; /* surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80; /* overlong */
		hi = p[0] == 0xf4 ? 0x8f : 0xbf; /* past U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

/* bsearch comparison: a name against a row that begins with its name. */
static int
table_cmp(const void *name, const void *row)
{
	return strcmp(name, *(const char *const *)row);
}

/* The row called name of a table sorted by name; see common/common.h. */
const void *
table_bsearch(const char *name, const void *rows, size_t n, size_t size)
{
	return bsearch(name, rows, n, size, table_cmp);
}

/* Where s (NUL-terminated) stops being well-formed UTF-8: an offset, or -1. */
ptrdiff_t
utf8_invalid(const char *s)
{
	const char *p = s;
	size_t n;

	while (*p != '\0') {
		if ((n = utf8_char_len(p, strnlen(p, 4))) == 0)
			return p - s;
		p += n;
	}
	return -1;
}

/*
 * A message quotes outside bytes (an argument, a config value cut at 64
 * bytes, the first line of an error page) that need not be UTF-8, and
 * jansson refuses such a string: the JSON error line would lose the whole
 * message. So each byte that is not part of a UTF-8 character becomes '?'.
 */
json_t *
message_json(const char *s)
{
	json_t *j = json_string(s);
	size_t left, n;
	char *copy, *p;

	if (j != NULL)
		return j;
	copy = xstrdup(s);
	for (p = copy, left = strlen(copy); left > 0; p += n, left -= n) {
		if ((n = utf8_char_len(p, left)) == 0) {
			*p = '?';
			n = 1;
		}
	}
	j = json_string(copy);
	free(copy);
	return j;
}

/* mkdir -p: every missing directory of path made with mode; 0, or -1 with errno. */
int
mkdirs(const char *path, unsigned int mode)
{
	struct stat st;
	char *p, *c;
	char save;
	int rc = 0;

	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	p = xstrdup(path);
	for (c = p + 1;; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		save = *c;
		*c = '\0';
		/* An existing directory we may not write into is fine (EACCES on "/var"). */
		if (mkdir(p, mode) != 0 && errno != EEXIST &&
		    (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)))
			rc = -1;
		*c = save;
		if (rc != 0 || save == '\0')
			break;
	}
	free(p);
	if (rc == 0 && stat(path, &st) != 0)
		rc = -1;
	else if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	}
	return rc;
}

/* How deep v nests: 0 for a scalar, 1 for {} or [], 2 for [[]]. */
size_t
json_depth(json_t *v)
{
	size_t i, d, max = 0;
	const char *k;
	json_t *m;

	if (json_is_object(v)) {
		json_object_foreach (v, k, m) {
			if ((d = json_depth(m)) > max)
				max = d;
		}
		return max + 1;
	}
	if (json_is_array(v)) {
		json_array_foreach (v, i, m) {
			if ((d = json_depth(m)) > max)
				max = d;
		}
		return max + 1;
	}
	return 0;
}
