/*
 * log.c: one-line logs to stderr, as text or JSON (log.format), at the
 * level set by log.level (SIGHUP may change it).
 *
 * Text lines read "2026-11-27T09:40:00.123Z info message key=value ...";
 * JSON lines are one object per line, {"ts","level","msg",key:value...},
 * built with jansson so that any value is escaped correctly. Secrets are
 * never passed here: callers log ids and codes, not credentials.
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

/* Whether a value needs quoting in a text line. */
static int
log_needs_quotes(const char *v)
{
	return *v == '\0' || strpbrk(v, " \t\"=") != NULL;
}

/* Writes one line; fields is a NULL-terminated key/value list or NULL. */
static void
log_write(enum log_level level, const char *msg, va_list *fields)
{
	char ts[32];
	const char *k, *v;

	format_time_ms(now_ms(), ts, sizeof ts);
	if (log_format == LOG_FORMAT_JSON) {
		json_t *o = json_object();
		char *line;

		json_object_set_new(o, "ts", json_string(ts));
		json_object_set_new(o, "level", json_string(log_names[level]));
		json_object_set_new(o, "msg", json_string(msg));
		while (fields != NULL && (k = va_arg(*fields, const char *)) != NULL) {
			v = va_arg(*fields, const char *);
			json_object_set_new(o, k, v == NULL ? json_null() : json_string(v));
		}
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line != NULL)
			fprintf(stderr, "%s\n", line);
		free(line);
		json_decref(o);
		return;
	}

	flockfile(stderr);
	fprintf(stderr, "%s %s %s", ts, log_names[level], msg);
	while (fields != NULL && (k = va_arg(*fields, const char *)) != NULL) {
		v = va_arg(*fields, const char *);
		if (v == NULL)
			fprintf(stderr, " %s=null", k);
		else if (log_needs_quotes(v))
			fprintf(stderr, " %s=\"%s\"", k, v);
		else
			fprintf(stderr, " %s=%s", k, v);
	}
	fputc('\n', stderr);
	funlockfile(stderr);
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
