/*
 * redis_submit.c: the Redis spool's loop-thread half: the async hiredis
 * connection on which submissions and meta writes are stored, pipelined,
 * each answer turned into the receiver's 202 or 503; and the connection's
 * upkeep (its setup, reconnects with a backoff, a watchdog for a Redis
 * that stops answering). redis.c queues what is sent here.
 *
 * DESIGN
 *
 * Submitting. The receiver (loop thread) and the poller (its own thread)
 * queue submissions; the loop thread sends them on an async hiredis
 * connection attached to its event_base (the libevent adapter), pipelined,
 * each one EVALSHA of the submit script: dedup by event id and
 * X-Webhook-Id, the capacity check (pending + dead < spool.max_events),
 * the twin rule of sqlite_writer.c, INCR seq, the hash, the id keys, ZADD
 * pending. Its reply runs the commit callback on the loop thread: 202 only once
 * Redis has answered, so the event is in its memory and, per its
 * appendfsync, in the AOF (README, "HA"). With spool.redis.wait_replicas,
 * each batch is followed by WAIT n timeout, and its callbacks wait for
 * that answer: fewer replicas than n acknowledged is a 503, and PagerDuty's
 * retry is then a duplicate, answered 202. A new event is handed to the
 * forwarder straight from the reply, as sqlite_writer.c does.
 *
 * Faults. Redis down, restarting or failing over: the async connection's
 * disconnect fails every submission in flight with PD_ERR_SPOOL_IO (503
 * and Retry-After; PagerDuty retries), new ones are refused at once while
 * it is down, writable() is 0 (/healthz 503), and the loop reconnects with
 * a backoff up to REDIS_RECONNECT_MAX_MS. A Redis that stops answering
 * without closing is dropped after REDIS_REPLY_TIMEOUT_MS. An error that
 * says this Redis cannot take writes now (READONLY from a demoted primary,
 * LOADING, ...) drops the connection too, so the next one goes where the
 * URL now leads: a Service, VIP or proxy that follows the primary.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/adapters/libevent.h>

#include "redis.h"

#define REDIS_REPLY_TIMEOUT_MS 3000 /* no answer this long drops the connection */
#define REDIS_RECONNECT_MIN_MS 100
#define REDIS_RECONNECT_MAX_MS 2000
#define REDIS_SUBMIT_ARGS      14

static void redis_connect_async(struct redis_spool *);

/* Unlinks op (replies come in order, so it is nearly always the head). */
static void
oplist_remove(struct spool_oplist *l, struct spool_op *op)
{
	struct spool_op **pp;

	for (pp = &l->head; *pp != NULL && *pp != op; pp = &(*pp)->next)
		;
	if (*pp == NULL)
		return;
	*pp = op->next;
	if (l->tail == &op->next)
		l->tail = pp;
	op->next = NULL;
}

/* Logs a loop-thread problem once per kind, until things work again. */
static void
redis_problem(struct redis_spool *s, enum log_level level, const char *what)
{
	if (s->problem != NULL && strcmp(s->problem, what) == 0)
		return;
	free(s->problem);
	s->problem = xstrdup(what);
	log_msg(level, "spool: redis %s: %s", s->t.where, what);
}

/* An answered submission or meta write: its callback, and the forwarder's hand-off. */
void
redis_finish(struct redis_spool *s, struct spool_op *op)
{
	struct spool_event *ev;

	if (op->type == OP_SUBMIT) {
		pthread_mutex_lock(&s->mu);
		s->queued--;
		pthread_mutex_unlock(&s->mu);
		if (op->result == PD_OK && !op->duplicate && s->head.notify != NULL) {
			ev = op->ev;
			op->ev = NULL;
			s->head.notify(&ev, 1, s->head.notify_arg);
		}
	}
	if (op->cb != NULL)
		op->cb(op->result, op->result == PD_OK && op->duplicate, op->arg);
	spool_op_free(op);
}

/* What a submit script's answer {code, seq} means for op. */
static void
redis_submit_result(struct redis_spool *s, struct spool_op *op, const redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		op->result = PD_ERR_SPOOL_IO;
		redis_problem(s, LOG_ERROR, "unexpected answer to the submit script");
		return;
	}
	switch (r->element[0]->integer) {
	case 0:
		op->result = PD_OK;
		op->ev->seq = r->element[1]->integer;
		break;
	case 1: /* an event id or webhook id already spooled */
	case 2: /* the other source's twin, stored as delivered */
		op->result = PD_OK;
		op->duplicate = 1;
		break;
	default:
		op->result = PD_ERR_SPOOL_FULL;
	}
}

/* hiredis: the answer to one request of ours (NULL when the connection went). */
static void
redis_reply_cb(redisAsyncContext *ac, void *reply, void *privdata)
{
	struct redis_spool *s = ac->data;
	struct spool_op *op = privdata, *w;
	redisReply *r = reply;
	const char *err = redis_reply_error(r);

	oplist_remove(&s->sent, op);
	if (err != NULL && r != NULL) {
		redis_problem(s, LOG_ERROR, err);
		if (strncmp(err, "NOSCRIPT", 8) == 0)
			s->reload = 1;
		if (redis_error_transient(err)) {
			/* This one cannot take writes: the next connection may reach one that can.
			 */
			redis_set_state(s, 0, 0);
			redisAsyncDisconnect(ac);
		} else if (op->type == OP_SUBMIT || op->type == OP_META) {
			redis_set_state(s, -1, 0);
		}
	}
	switch (op->type) {
	case OP_SETUP:
		spool_op_free(op);
		return;
	case OP_META:
		op->result = err == NULL ? PD_OK : PD_ERR_SPOOL_IO;
		redis_finish(s, op);
		return;
	case OP_WAIT:
		/* Every submission of its batch counts as stored only if enough replicas have it.
		 */
		if (err == NULL && r->type == REDIS_REPLY_INTEGER && r->integer < s->wait_replicas)
			redis_problem(s, LOG_WARN,
			              "fewer replicas acknowledged than spool.redis."
			              "wait_replicas: answering 503");
		while ((w = s->waiting.head) != NULL && w != op) {
			oplist_remove(&s->waiting, w);
			if (err != NULL || r->type != REDIS_REPLY_INTEGER ||
			    r->integer < s->wait_replicas)
				w->result = PD_ERR_SPOOL_IO;
			redis_finish(s, w);
		}
		spool_op_free(op);
		return;
	default:
		break;
	}
	if (err != NULL)
		op->result = PD_ERR_SPOOL_IO;
	else {
		redis_submit_result(s, op, r);
		if (op->result == PD_OK) {
			redis_set_state(s, -1, 1);
			free(s->problem);
			s->problem = NULL;
		}
	}
	if (s->wait_replicas > 0 && r != NULL)
		oplist_add(&s->waiting, op);
	else
		redis_finish(s, op);
}

/* Sends one request on the async connection, or fails it at once. */
static int
redis_send(struct redis_spool *s, struct spool_op *op, int argc, const char **argv,
           const size_t *lens)
{
	if (s->ac == NULL ||
	    redisAsyncCommandArgv(s->ac, redis_reply_cb, op, argc, argv, lens) != REDIS_OK)
		return -1;
	op->ms = mono_ms();
	oplist_add(&s->sent, op);
	return 0;
}

/* A request of the connection itself (AUTH, SELECT, SCRIPT LOAD). */
static void
redis_send_setup(struct redis_spool *s, int argc, const char **argv)
{
	struct spool_op *op = spool_op_new(OP_SETUP);

	if (redis_send(s, op, argc, argv, NULL) != 0)
		spool_op_free(op);
}

/* Sends a submission: EVALSHA of the submit script with the event's fields. */
static int
redis_send_submit(struct redis_spool *s, struct spool_op *op)
{
	const struct spool_event *ev = op->ev;
	const char *argv[REDIS_SUBMIT_ARGS + 3];
	size_t lens[REDIS_SUBMIT_ARGS + 3];
	char max[24], keep[24], now[24], received[24];
	int i;

	snprintf(max, sizeof max, "%ld", s->max_events);
	snprintf(keep, sizeof keep, "%lld", (long long)SPOOL_KEEP_DELIVERED_MS);
	snprintf(now, sizeof now, "%lld", (long long)now_ms());
	snprintf(received, sizeof received, "%lld", (long long)ev->received_ms);
	argv[0] = "EVALSHA";
	argv[1] = redis_script_sha(REDIS_SUBMIT);
	argv[2] = "0";
	argv[3] = s->t.prefix;
	argv[4] = max;
	argv[5] = keep;
	argv[6] = now;
	argv[7] = ev->event_id;
	argv[8] = ev->webhook_id != NULL ? ev->webhook_id : "";
	argv[9] = ev->event_type != NULL ? ev->event_type : "";
	argv[10] = ev->trigger != NULL ? ev->trigger : "";
	argv[11] = ev->order_key != NULL ? ev->order_key : "";
	argv[12] = ev->payload;
	argv[13] = received;
	argv[14] = ev->transition != NULL ? ev->transition : "";
	argv[15] = ev->polled ? "poll" : "webhook";
	argv[16] = ev->polled ? SPOOL_TWIN_OF_WEBHOOK : SPOOL_TWIN_OF_POLL;
	for (i = 0; i < REDIS_SUBMIT_ARGS + 3; i++)
		lens[i] = i == 12 ? ev->payload_len : strlen(argv[i]);
	return redis_send(s, op, REDIS_SUBMIT_ARGS + 3, argv, lens);
}

/* Sends SCRIPT LOAD of the submit script (a new connection, or after NOSCRIPT). */
static void
redis_send_load(struct redis_spool *s)
{
	const char *argv[3] = {"SCRIPT", "LOAD", redis_scripts[REDIS_SUBMIT]};

	redis_send_setup(s, 3, argv);
	s->reload = 0;
}

/* Loop thread: sends what other threads (and the receiver) queued, in order. */
static void
redis_inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_spool *s = arg;
	struct spool_op *op, *next, *wait;
	const char *argv[4];
	char n[24], ms[24], *hash;
	int submits = 0, rc;

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->inbox);
	pthread_mutex_unlock(&s->mu);
	if (op != NULL && s->reload && s->ac != NULL)
		redis_send_load(s);
	for (; op != NULL; op = next) {
		next = op->next;
		if (op->type == OP_SUBMIT) {
			rc = redis_send_submit(s, op);
			submits += rc == 0;
		} else {
			/* hiredis copies the arguments into its buffer: hash can go at once. */
			hash = redis_key(s, "meta");
			argv[0] = "HSET";
			argv[1] = hash;
			argv[2] = op->key;
			argv[3] = op->text;
			rc = redis_send(s, op, 4, argv, NULL);
			free(hash);
		}
		if (rc != 0) {
			op->result = PD_ERR_SPOOL_IO;
			redis_finish(s, op);
		}
	}
	if (submits > 0 && s->wait_replicas > 0) {
		wait = spool_op_new(OP_WAIT);
		snprintf(n, sizeof n, "%ld", s->wait_replicas);
		snprintf(ms, sizeof ms, "%ld", s->wait_timeout_ms);
		argv[0] = "WAIT";
		argv[1] = n;
		argv[2] = ms;
		if (redis_send(s, wait, 3, argv, NULL) != 0)
			spool_op_free(wait);
	}
}

/* Schedules the next connection attempt ms from now. */
static void
redis_reconnect_later(struct redis_spool *s, int64_t ms)
{
	struct timeval tv = ms_timeval(ms);

	if (!s->closing)
		evtimer_add(s->reconnect_ev, &tv);
}

/* hiredis: the connection is up (or could not be made). */
static void
redis_connect_cb(const redisAsyncContext *ac, int status)
{
	struct redis_spool *s = ac->data;

	if (status != REDIS_OK) {
		/* hiredis frees the context after this. */
		s->ac = NULL;
		redis_set_state(s, 0, -1);
		redis_problem(s, LOG_WARN, ac->errstr[0] != '\0' ? ac->errstr : "cannot connect");
		redis_reconnect_later(s, s->reconnect_ms);
		s->reconnect_ms = s->reconnect_ms * 2 > REDIS_RECONNECT_MAX_MS
		                      ? REDIS_RECONNECT_MAX_MS
		                      : s->reconnect_ms * 2;
		return;
	}
	s->reconnect_ms = REDIS_RECONNECT_MIN_MS;
	log_info("spool: connected to redis %s", s->t.where);
	free(s->problem);
	s->problem = NULL;
	redis_set_state(s, 1, -1);
}

/* hiredis: the connection is gone; its requests were failed just before. */
static void
redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct redis_spool *s = ac->data;

	s->ac = NULL;
	redis_set_state(s, 0, -1);
	if (s->closing)
		return;
	redis_problem(s, LOG_WARN,
	              status == REDIS_OK || ac->errstr[0] == '\0' ? "connection closed"
	                                                          : ac->errstr);
	redis_reconnect_later(s, REDIS_RECONNECT_MIN_MS);
}

/* Timer: connect again after a backoff. */
static void
redis_reconnect_cb(evutil_socket_t fd, short what, void *arg)
{
	redis_connect_async(arg);
}

/* Opens the async connection; its first requests authenticate and load the script. */
static void
redis_connect_async(struct redis_spool *s)
{
	const char *argv[2];
	char db[16];

	if (s->ac != NULL || s->closing)
		return;
	/* The host name is resolved here, on the loop: an IP or a local name (README, HA). */
	s->ac = redisAsyncConnect(s->t.host, s->t.port);
	if (s->ac == NULL || s->ac->err != 0) {
		redis_problem(s, LOG_WARN, s->ac != NULL ? s->ac->errstr : "out of memory");
		if (s->ac != NULL)
			redisAsyncFree(s->ac);
		s->ac = NULL;
		redis_reconnect_later(s, s->reconnect_ms);
		return;
	}
	s->ac->data = s;
	redisLibeventAttach(s->ac, s->head.loop);
	redisAsyncSetConnectCallback(s->ac, redis_connect_cb);
	redisAsyncSetDisconnectCallback(s->ac, redis_disconnect_cb);
	if (s->t.password != NULL) {
		argv[0] = "AUTH";
		argv[1] = s->t.password;
		redis_send_setup(s, 2, argv);
	}
	if (s->t.db != 0) {
		snprintf(db, sizeof db, "%d", s->t.db);
		argv[0] = "SELECT";
		argv[1] = db;
		redis_send_setup(s, 2, argv);
	}
	redis_send_load(s);
}

/* Timer: a Redis that accepts bytes but never answers is given up on. */
static void
redis_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct redis_spool *s = arg;
	int64_t limit = REDIS_REPLY_TIMEOUT_MS + (s->wait_replicas > 0 ? s->wait_timeout_ms : 0);

	if (s->ac == NULL || s->sent.head == NULL || mono_ms() - s->sent.head->ms < limit)
		return;
	redis_problem(s, LOG_WARN, "no answer in time: reconnecting");
	/* Fails every request in flight (503); redis_disconnect_cb runs if it had connected. */
	redisAsyncFree(s->ac);
	s->ac = NULL;
	redis_set_state(s, 0, -1);
	redis_reconnect_later(s, REDIS_RECONNECT_MIN_MS);
}

/* Creates the loop's events and makes the first connection. */
void
redis_submit_start(struct redis_spool *s)
{
	struct timeval tick = {0, 500000};

	if ((s->inbox_ev = event_new(s->head.loop, -1, 0, redis_inbox_cb, s)) == NULL ||
	    (s->reconnect_ev = evtimer_new(s->head.loop, redis_reconnect_cb, s)) == NULL ||
	    (s->watch_ev = event_new(s->head.loop, -1, EV_PERSIST, redis_watch_cb, s)) == NULL)
		fatal("spool: event_new failed");
	event_add(s->watch_ev, &tick);
	s->reconnect_ms = REDIS_RECONNECT_MIN_MS;
	redis_connect_async(s);
}

/* After redis.c answered what was still queued: nothing is left unanswered. */
void
redis_submit_stop(struct redis_spool *s)
{
	struct spool_op *op;

	/* Requests still in flight are answered (NULL: 503), and the connection goes. */
	if (s->ac != NULL)
		redisAsyncFree(s->ac);
	s->ac = NULL;
	while ((op = s->waiting.head) != NULL) {
		oplist_remove(&s->waiting, op);
		op->result = PD_ERR_SPOOL_IO;
		redis_finish(s, op);
	}
	if (s->inbox_ev != NULL)
		event_free(s->inbox_ev);
	if (s->reconnect_ev != NULL)
		event_free(s->reconnect_ev);
	if (s->watch_ev != NULL)
		event_free(s->watch_ev);
	free(s->problem);
	s->problem = NULL;
}
