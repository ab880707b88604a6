/*
 * redis_conn.c: what the daemon's half (spool/redis.c) and the command's
 * half (spool/redis_admin.c) of the Redis spool share: spool.redis.url
 * parsed, blocking connections that authenticate and select their
 * database, scripts run by SHA-1 with a fallback to their text, and an
 * event's hash read back into a struct spool_event.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "st2pd.h"

#define REDIS_MAX_ARGS 32 /* redis_call's arguments at most */

/* The fields of an event's hash, in redis_event_from's order (the seq is the key's). */
const char *const redis_event_fields[] = {
    "event_id",        "webhook_id",   "event_type", "trigger",    "order_key",
    "received_ms",     "transition",   "source",     "state",      "attempts",
    "next_attempt_ms", "delivered_ms", "dead_ms",    "last_error", "dead_reason",
};
const size_t redis_nevent_fields = sizeof redis_event_fields / sizeof redis_event_fields[0];

static pthread_once_t redis_sha_once = PTHREAD_ONCE_INIT;
static char redis_shas[REDIS_NSCRIPTS][41];

/* Computes every script's SHA-1 once: EVALSHA names a script by it. */
static void
redis_sha_init(void)
{
	int i;

	for (i = 0; i < REDIS_NSCRIPTS; i++)
		crypto_sha1_hex(redis_scripts[i], strlen(redis_scripts[i]), redis_shas[i]);
}

const char *
redis_script_sha(enum redis_script_id id)
{
	pthread_once(&redis_sha_once, redis_sha_init);
	return redis_shas[id];
}

/* Decodes %XX escapes of a URL's password; -1 on a bad escape. */
static int
redis_url_unescape(char *s)
{
	char *in = s, *out = s;
	unsigned char byte;

	while (*in != '\0') {
		if (*in != '%') {
			*out++ = *in++;
			continue;
		}
		if (crypto_unhex(&byte, 1, in + 1, strnlen(in + 1, 2)) != 0)
			return -1;
		*out++ = (char)byte;
		in += 3;
	}
	*out = '\0';
	return 0;
}

enum pd_err
redis_url_parse(const char *url, struct redis_target *out, char **why)
{
	const char *p, *at, *end, *hostend, *colon;
	long n;
	char *num;

	memset(out, 0, sizeof *out);
	*why = NULL;
	if (strncmp(url, "redis://", 8) != 0) {
		*why = xstrdup(strncmp(url, "rediss://", 9) == 0
		                   ? "TLS (rediss://) is not supported: use a local TLS tunnel"
		                   : "expected redis://[:password@]host[:port][/db]");
		return PD_ERR_CONFIG;
	}
	p = url + 8;
	end = p + strcspn(p, "/?#");
	/* The last '@' before the path: a password may hold one. */
	for (at = end; at > p && at[-1] != '@'; at--)
		;
	if (at > p) {
		colon = memchr(p, ':', (size_t)(at - 1 - p));
		if (colon != NULL && at - 1 > colon + 1) {
			out->password = xstrndup(colon + 1, (size_t)(at - 1 - colon - 1));
			if (redis_url_unescape(out->password) != 0) {
				*why = xstrdup("bad %-escape in the password");
				goto fail;
			}
		}
		p = at;
	}
	if (*p == '[') {
		hostend = memchr(p, ']', (size_t)(end - p));
		if (hostend == NULL) {
			*why = xstrdup("unclosed [ in the host");
			goto fail;
		}
		out->host = xstrndup(p + 1, (size_t)(hostend - p - 1));
		hostend++;
	} else {
		hostend = memchr(p, ':', (size_t)(end - p));
		if (hostend == NULL)
			hostend = end;
		out->host = xstrndup(p, (size_t)(hostend - p));
	}
	if (out->host[0] == '\0') {
		*why = xstrdup("no host");
		goto fail;
	}
	out->port = REDIS_DEFAULT_PORT;
	if (hostend < end) {
		if (*hostend != ':') {
			*why = xstrdup("expected :port after the host");
			goto fail;
		}
		num = xstrndup(hostend + 1, (size_t)(end - hostend - 1));
		if (parse_long(num, 1, 65535, &n) != PD_OK) {
			*why = xasprintf("bad port \"%s\"", num);
			free(num);
			goto fail;
		}
		free(num);
		out->port = (int)n;
	}
	if (*end == '/' && end[1] != '\0') {
		if (parse_long(end + 1, 0, 1000000, &n) != PD_OK) {
			*why = xasprintf("bad database number \"%s\"", end + 1);
			goto fail;
		}
		out->db = (int)n;
	} else if (*end != '\0' && strcmp(end, "/") != 0) {
		*why = xstrdup("no query or fragment allowed");
		goto fail;
	}
	return PD_OK;

fail:
	redis_target_free(out);
	return PD_ERR_CONFIG;
}

enum pd_err
redis_target_init(const struct pd_config *cfg, struct redis_target *t)
{
	char *why;

	if (redis_url_parse(cfg->spool_redis_url, t, &why) != PD_OK) {
		log_error("spool: spool.redis.url: %s", why);
		free(why);
		return PD_ERR_CONFIG;
	}
	if (cfg->spool_redis_password != NULL && cfg->spool_redis_password[0] != '\0') {
		crypto_wipe_str(t->password);
		free(t->password);
		t->password = xstrdup(cfg->spool_redis_password);
	}
	t->prefix = xstrdup(cfg->spool_redis_prefix != NULL ? cfg->spool_redis_prefix : "");
	/* An IPv6 address goes back in brackets; the password never shows. */
	t->where =
	    xasprintf("redis://%s%s%s:%d/%d prefix \"%s\"", strchr(t->host, ':') != NULL ? "[" : "",
	              t->host, strchr(t->host, ':') != NULL ? "]" : "", t->port, t->db, t->prefix);
	return PD_OK;
}

void
redis_target_free(struct redis_target *t)
{
	free(t->host);
	crypto_wipe_str(t->password);
	free(t->password);
	free(t->prefix);
	free(t->where);
	memset(t, 0, sizeof *t);
}

const char *
redis_reply_error(const struct redisReply *r)
{
	if (r == NULL)
		return "no answer";
	return r->type == REDIS_REPLY_ERROR ? r->str : NULL;
}

/*
 * The errors of a Redis that is there but cannot take writes for now: a
 * replica (READONLY) after a failover moved the primary, a restart still
 * loading its data, a primary that refuses writes without its replicas.
 * The connection is dropped, so that the next one reaches the primary.
 */
int
redis_error_transient(const char *e)
{
	static const char *const codes[] = {"READONLY", "LOADING", "MASTERDOWN", "NOREPLICAS",
	                                    "MISCONF",  "BUSY",    "TRYAGAIN"};
	size_t i, n;

	for (i = 0; e != NULL && i < sizeof codes / sizeof codes[0]; i++) {
		n = strlen(codes[i]);
		if (strncmp(e, codes[i], n) == 0 && (e[n] == ' ' || e[n] == '\0'))
			return 1;
	}
	return 0;
}

struct redisReply *
redis_call(struct redisContext *c, const char *arg, ...)
{
	const char *argv[REDIS_MAX_ARGS];
	va_list ap;
	int argc = 0;

	va_start(ap, arg);
	for (; arg != NULL && argc < REDIS_MAX_ARGS; arg = va_arg(ap, const char *))
		argv[argc++] = arg;
	va_end(ap);
	return redisCommandArgv(c, argc, argv, NULL);
}

struct redisContext *
redis_connect(const struct redis_target *t, long timeout_ms, char **why)
{
	struct timeval tv = ms_timeval(timeout_ms);
	redisContext *c = redisConnectWithTimeout(t->host, t->port, tv);
	redisReply *r = NULL;
	char db[16];
	int i;

	*why = NULL;
	if (c == NULL) {
		*why = xstrdup("out of memory");
		return NULL;
	}
	if (c->err != 0) {
		*why = xstrdup(c->errstr);
		redisFree(c);
		return NULL;
	}
	/* A Redis that stops answering must not hang the thread that asked. */
	redisSetTimeout(c, tv);
	redisEnableKeepAlive(c);
	if (t->password != NULL)
		r = redis_call(c, "AUTH", t->password, NULL);
	if (r == NULL || redis_reply_error(r) == NULL) {
		freeReplyObject(r);
		snprintf(db, sizeof db, "%d", t->db);
		r = t->db != 0 ? redis_call(c, "SELECT", db, NULL) : redis_call(c, "PING", NULL);
	}
	if (r == NULL || redis_reply_error(r) != NULL) {
		*why = xstrdup(r != NULL ? r->str : c->errstr);
		freeReplyObject(r);
		redisFree(c);
		return NULL;
	}
	freeReplyObject(r);
	/* Pipelined EVALSHAs have no NOSCRIPT fallback: every script is there from the start. */
	for (i = 0; i < REDIS_NSCRIPTS; i++) {
		r = redis_call(c, "SCRIPT", "LOAD", redis_scripts[i], NULL);
		if (r == NULL || redis_reply_error(r) != NULL) {
			*why = xasprintf("SCRIPT LOAD: %s", r != NULL ? r->str : c->errstr);
			freeReplyObject(r);
			redisFree(c);
			return NULL;
		}
		freeReplyObject(r);
	}
	return c;
}

struct redisReply *
redis_call_script(struct redisContext *c, enum redis_script_id id, int argc, const char **argv,
                  const size_t *lens)
{
	const char *args[REDIS_MAX_ARGS + 3];
	size_t alens[REDIS_MAX_ARGS + 3];
	redisReply *r;
	int i;

	if (argc > REDIS_MAX_ARGS)
		fatal("redis: a script with %d arguments", argc);
	args[0] = "EVALSHA";
	args[1] = redis_script_sha(id);
	args[2] = "0";
	for (i = 0; i < 3; i++)
		alens[i] = strlen(args[i]);
	for (i = 0; i < argc; i++) {
		args[i + 3] = argv[i];
		alens[i + 3] = lens != NULL ? lens[i] : strlen(argv[i]);
	}
	r = redisCommandArgv(c, argc + 3, args, alens);
	if (r != NULL && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		/* A restarted or flushed Redis: send the text, which it then keeps. */
		freeReplyObject(r);
		args[0] = "EVAL";
		args[1] = redis_scripts[id];
		alens[0] = 4;
		alens[1] = strlen(args[1]);
		r = redisCommandArgv(c, argc + 3, args, alens);
	}
	return r;
}

/* A bulk string element as a C string, NULL for nil. */
static char *
redis_str(const redisReply *r)
{
	if (r == NULL || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS))
		return NULL;
	return xstrndup(r->str, r->len);
}

/* A bulk string element as a number, 0 for nil or junk. */
static int64_t
redis_num(const redisReply *r)
{
	long long v;
	char *end;

	if (r == NULL)
		return 0;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type != REDIS_REPLY_STRING)
		return 0;
	v = strtoll(r->str, &end, 10);
	return end != r->str ? v : 0;
}

struct spool_event *
redis_event_from(int64_t seq, struct redisReply **v, const struct redisReply *payload)
{
	struct spool_event *ev = xcalloc(1, sizeof *ev);
	char *source;

	ev->seq = seq;
	ev->event_id = redis_str(v[0]);
	ev->webhook_id = redis_str(v[1]);
	ev->event_type = redis_str(v[2]);
	ev->trigger = redis_str(v[3]);
	ev->order_key = redis_str(v[4]);
	ev->payload = redis_str(payload);
	ev->payload_len = ev->payload != NULL ? strlen(ev->payload) : 0;
	ev->received_ms = redis_num(v[5]);
	ev->transition = redis_str(v[6]);
	source = redis_str(v[7]);
	ev->polled = source == NULL ? -1 : strcmp(source, "poll") == 0;
	free(source);
	ev->state = (int)redis_num(v[8]);
	ev->attempts = (int)redis_num(v[9]);
	ev->next_attempt_ms = redis_num(v[10]);
	ev->delivered_ms = redis_num(v[11]);
	ev->dead_ms = redis_num(v[12]);
	ev->last_error = redis_str(v[13]);
	ev->dead_reason = redis_str(v[14]);
	return ev;
}
