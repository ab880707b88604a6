/*
 * log.c: one-line logs to stderr, as text or JSON (log.format), at the
 * level set by log.level (SIGHUP may change it).
 *
 * Text lines read "2026-11-27T09:40:00.123Z info message key=value ...";
 * JSON lines are one object per line, {"ts","level","msg",key:value...},
 * built with jansson. Values often come from the network (event ids, a
 * peer's address), so nothing reaches the log as it was sent: in text
 * lines a value with anything but plain ASCII is quoted, with quotes,
 * backslashes, control characters (newline, ESC, C1) and bytes that are
 * not UTF-8 escaped, so that no value can forge a line or drive a
 * terminal; JSON lines get the same treatment of bad UTF-8, and jansson
 * escapes the rest. Secrets are never passed here: callers log ids and
 * codes, not credentials.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

static enum log_level log_level = LOG_INFO;
static enum log_format log_format = LOG_FORMAT_TEXT;

static const char *const log_names[] = {
    [LOG_ERROR] = "error",
    [LOG_WARN] = "warn",
    [LOG_INFO] = "info",
    [LOG_DEBUG] = "debug",
};

void
log_setup(enum log_level level, enum log_format format)
{
	log_level = level;
	log_format = format;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

/* "error", "warn"/"warning", "info", "debug" -> level; 0 on success. */
int
log_level_parse(const char *s, enum log_level *out)
{
	size_t i;

	if (strcmp(s, "warning") == 0)
		s = "warn";
	for (i = 0; i < sizeof log_names / sizeof log_names[0]; i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* How log_put() writes a string. */
enum log_put {
	LP_TEXT,  /* a text line's message: control bytes and bad UTF-8 escaped */
	LP_VALUE, /* a text line's value: the same, inside quotes, with " and \ escaped */
	LP_UTF8,  /* for jansson, which escapes the rest itself: only bad UTF-8 */
};

/* Whether a text value can go unquoted: plain printable ASCII, no quote, backslash or '='. */
static int
log_plain(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v != '\0'; v++) {
		if (*v <= ' ' || *v >= 0x7f || *v == '"' || *v == '\\' || *v == '=')
			return 0;
	}
	return 1;
}

/*
 * Writes s so that no value can forge a log line or reach the terminal as
 * a control sequence: newlines, ESC and the other C0 and C1 controls are
 * written as escapes, and so is every byte that is not UTF-8.
 */
static void
log_put(FILE *f, const char *s, enum log_put how)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, left = strlen(s);

	if (how == LP_VALUE)
		fputc('"', f);
	while (left > 0) {
		n = utf8_char_len((const char *)p, left);
		if (n == 0) {
			fprintf(f, "\\x%02x", *p);
			n = 1;
		} else if (how == LP_UTF8) {
			fwrite(p, 1, n, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\r') {
			fputs("\\r", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			fprintf(f, "\\u%04x", p[1]); /* C1 control */
		} else if (how == LP_VALUE && (*p == '"' || *p == '\\')) {
			fputc('\\', f);
			fputc(*p, f);
		} else {
			fwrite(p, 1, n, f);
		}
		p += n;
		left -= n;
	}
	if (how == LP_VALUE)
		fputc('"', f);
}

/* s as a JSON string for jansson: bad UTF-8 written as \xNN text. */
static json_t *
log_json_string(const char *s)
{
	json_t *j = json_string(s);
	char *clean = NULL;
	size_t len = 0;
	FILE *f;

	if (j != NULL)
		return j;
	if ((f = open_memstream(&clean, &len)) == NULL)
		fatal("log: open_memstream failed");
	log_put(f, s, LP_UTF8);
	fclose(f);
	j = json_stringn(clean, len);
	free(clean);
	return j != NULL ? j : json_string("?");
}

/* Writes one line; fields is a NULL-terminated key/value list or NULL. */
static void
log_write(enum log_level level, const char *msg, va_list *fields)
{
	char ts[32], *line = NULL;
	const char *k, *v;
	size_t len = 0;
	FILE *f;
	json_t *o;

	format_time_ms(now_ms(), ts, sizeof ts);
	/* The line is built first, then written in one piece: threads do not interleave. */
	if ((f = open_memstream(&line, &len)) == NULL)
		fatal("log: open_memstream failed");
	if (log_format == LOG_FORMAT_JSON) {
		o = json_object();
		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(log_names[level]));
		json_object_set_new(o, "msg", log_json_string(msg));
		while (fields != NULL && (k = va_arg(*fields, const char *)) != NULL) {
			v = va_arg(*fields, const char *);
			json_object_set_new(o, k, v == NULL ? json_null() : log_json_string(v));
		}
		json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
	} else {
		fprintf(f, "%s %s ", ts, log_names[level]);
		log_put(f, msg, LP_TEXT);
		while (fields != NULL && (k = va_arg(*fields, const char *)) != NULL) {
			v = va_arg(*fields, const char *);
			fprintf(f, " %s=", k);
			if (v == NULL)
				fputs("null", f);
			else
				log_put(f, v, log_plain(v) ? LP_TEXT : LP_VALUE);
		}
	}
	fputc('\n', f);
	fclose(f);
	fwrite(line, 1, len, stderr);
	free(line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_write(level, msg, NULL);
	free(msg);
}

void
log_fields(enum log_level level, const char *msg, ...)
{
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, msg);
	log_write(level, msg, &ap);
	va_end(ap);
}

/* Logs at error level and exits; for states the program cannot go on from. */
void
fatal(const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	fprintf(stderr, "st2-pagerduty: fatal: %s\n", buf);
	exit(70);
}
