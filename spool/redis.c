/*
 * redis.c: the spool's Redis backend, for several replicas of serve behind
 * one load balancer sharing one spool (spool.backend: redis). Any replica
 * takes a webhook and answers 202 once Redis has the event; one replica at
 * a time, the lease holder, delivers to StackStorm. This is the daemon's
 * half; spool/redis_admin.c is the spool command's, redis_scripts.c has
 * the Lua and the key layout, redis_conn.c what they share.
 *
 * DESIGN
 *
 * Shape. One Redis primary (with replicas and Sentinel for failover, the
 * way stackstorm-ha already runs it) holds everything; no partitioning,
 * no Redis Cluster. The spool's traffic is a few commands per event, far
 * below what one Redis serves, and one primary gives what the promises
 * need for free: one counter (INCR seq) orders every event of every
 * replica, and a Lua script is atomic across replicas. Streams with a
 * consumer group were the other candidate; they hand each entry to one
 * consumer, but per-incident order needs one reader of a key at a time
 * anyway, pending-entry claims would duplicate what the lease does, and
 * dedup, dead letters, `spool retry` and `spool find` need keyed records
 * beside the log. So the layout mirrors the SQLite spool's tables: a small
 * hash per event and its payload apart, id keys for dedup, sorted sets per
 * state (redis_scripts.c).
 *
 * Submitting. The receiver (loop thread) and the poller (its own thread)
 * queue submissions; the loop thread sends them on an async hiredis
 * connection attached to its event_base (the libevent adapter), pipelined,
 * each one EVALSHA of the submit script: dedup by event id and
 * X-Webhook-Id, the capacity check (pending + dead < spool.max_events),
 * the twin rule of sqlite.c, INCR seq, the hash, the id keys, ZADD pending.
 * Its reply runs the commit callback on the loop thread: 202 only once
 * Redis has answered, so the event is in its memory and, per its
 * appendfsync, in the AOF (README, "HA"). With spool.redis.wait_replicas,
 * each batch is followed by WAIT n timeout, and its callbacks wait for
 * that answer: fewer replicas than n acknowledged is a 503, and PagerDuty's
 * retry is then a duplicate, answered 202. A new event is handed to the
 * forwarder straight from the reply, as sqlite.c's writer does.
 *
 * Delivering. Two replicas delivering at once would break the order of an
 * incident, so a lease elects one: the key P lease holds a random token of
 * its holder with a TTL of REDIS_LEASE_MS. The background thread
 * ("pd-redis") tries to take it, or renews it, every REDIS_LEASE_MS / 3 by
 * one script (compare token, PEXPIRE; else SET NX PX). This process counts
 * itself the leader only until REDIS_LEASE_MARGIN_MS before the TTL it set
 * runs out, measured from before it asked, so two replicas never both
 * believe they hold it, whatever the network does to the answers. Each
 * time leadership is won, spool_leader() returns a new epoch; the
 * forwarder (triggers/forward.c) then drops what it had loaded and reads
 * the spool from the start, since the previous leader may have delivered
 * any of it. A killed leader's lease runs out within REDIS_LEASE_MS and
 * the next try of another replica takes it: its pending events go out a
 * few seconds later, and the one that was in flight may go twice
 * (at-least-once; in normal operation every event goes once). A stopping
 * leader gives the lease up, and another one takes over within a second.
 *
 * The background thread also records the forwarder's outcomes (delivered,
 * retry, dead: one script each, pipelined, applied only to an event still
 * pending, kept and tried again after a failure like sqlite.c's), reads
 * the counters that /metrics and the capacity check use (never a blocking
 * call on the loop thread), prunes delivered events past the dedup horizon
 * (their keys also carry that TTL, so a Redis with no replica left running
 * empties itself), and, while leader, polls P seq every REDIS_POLL_MS:
 * events other replicas stored reach this forwarder only through Redis,
 * and a change of the counter tells it to fetch. The forwarder fetches
 * (one script: ZRANGEBYSCORE pending after its last seq, and the hashes)
 * and the sensor reads its cursor on a third, blocking connection under a
 * mutex.
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
 * Outcomes wait in memory and are recorded once Redis is back; the lease
 * lapses by time, so no replica delivers while it cannot record.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "st2pd.h"

#define REDIS_LEASE_MS         3000 /* the lease's TTL; a dead leader is replaced within it */
#define REDIS_LEASE_MARGIN_MS  500  /* this process stops counting itself leader this early */
#define REDIS_TICK_MS          100  /* the background thread's longest sleep */
#define REDIS_POLL_MS          100  /* leader: how often P seq is checked for others' events */
#define REDIS_STATS_MS         1000 /* counters for /metrics and the capacity check */
#define REDIS_PRUNE_MS         10000
#define REDIS_PRUNE_BATCH      1000
#define REDIS_RETRY_MS         1000 /* after a failed write of outcomes, or a failed connect */
#define REDIS_TIMEOUT_MS       2000 /* blocking connections: connect and each reply */
#define REDIS_REPLY_TIMEOUT_MS 3000 /* async: no answer this long drops the connection */
#define REDIS_RECONNECT_MIN_MS 100
#define REDIS_RECONNECT_MAX_MS 2000
#define REDIS_DAY_MS           86400000LL
#define REDIS_SUBMIT_ARGS      14

enum redis_op_type {
	OP_SUBMIT = 0,
	OP_META,
	OP_WAIT,  /* WAIT after a batch of submissions */
	OP_SETUP, /* AUTH, SELECT, SCRIPT LOAD of a new connection */
	OP_DELIVERED,
	OP_RETRY,
	OP_DEAD,
	OP_PRUNE,
};

/* One queued request; submissions go back to the loop with their result. */
struct redis_op {
	enum redis_op_type type;
	struct spool_event *ev; /* OP_SUBMIT */
	spool_commit_cb *cb;
	void *arg;
	int64_t seq;
	int attempts;
	int64_t ms; /* outcome time, next attempt, prune cutoff; async: when sent (mono) */
	char *text; /* last error, dead reason; OP_META: the value */
	char *key;  /* OP_META */
	enum pd_err result;
	int duplicate;
	struct redis_op *next;
};

struct redis_oplist {
	struct redis_op *head;
	struct redis_op **tail;
};

struct redis_spool {
	struct redis_target t;
	long max_events;
	long wait_replicas;
	long wait_timeout_ms;
	char token[41]; /* this process's lease token */

	/* Loop thread. */
	struct event_base *base;
	redisAsyncContext *ac;
	struct event *inbox_ev, *reconnect_ev, *watch_ev;
	int64_t reconnect_ms;
	struct redis_oplist sent;    /* in flight on ac, oldest first */
	struct redis_oplist waiting; /* submissions answered, waiting for their WAIT */
	int reload;                  /* the submit script must be loaded again */
	char *problem;               /* the last error logged, once per kind */
	spool_notify_cb *notify;
	void *notify_arg;

	/* The background thread ("pd-redis"). */
	pthread_t thread;
	int started;
	redisContext *bc;
	int64_t bc_due;
	struct redis_oplist retained; /* outcomes whose write failed */
	int64_t retry_due;
	int64_t seq_seen; /* P seq at the last poll */

	/* fetch() and meta_get(): any thread, one connection. */
	pthread_mutex_t smu;
	redisContext *sc;
	int64_t sc_due;

	/* Everything below is guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct redis_oplist inbox;    /* to the loop: submissions and meta writes */
	struct redis_oplist outcomes; /* to the background thread */
	int64_t queued;               /* submissions not answered yet */
	struct spool_stats stats;
	int up;       /* the async connection is up */
	int down;     /* known unreachable: submissions are refused at once */
	int write_ok; /* the last write succeeded */
	unsigned long epoch;
	int64_t lease_until; /* mono ms; leader before it */
	int closing;
};

static void redis_connect_async(struct redis_spool *);

/* Empties an op list. */
static void
oplist_init(struct redis_oplist *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

/* Appends one op. */
static void
oplist_add(struct redis_oplist *l, struct redis_op *op)
{
	op->next = NULL;
	*l->tail = op;
	l->tail = &op->next;
}

/* Takes the whole list, leaving it empty. */
static struct redis_op *
oplist_take(struct redis_oplist *l)
{
	struct redis_op *head = l->head;

	oplist_init(l);
	return head;
}

/* Unlinks op (replies come in order, so it is nearly always the head). */
static void
oplist_remove(struct redis_oplist *l, struct redis_op *op)
{
	struct redis_op **pp;

	for (pp = &l->head; *pp != NULL && *pp != op; pp = &(*pp)->next)
		;
	if (*pp == NULL)
		return;
	*pp = op->next;
	if (l->tail == &op->next)
		l->tail = pp;
	op->next = NULL;
}

/* Frees an op and what it still owns. */
static void
redis_op_free(struct redis_op *op)
{
	spool_event_free(op->ev);
	free(op->text);
	free(op->key);
	free(op);
}

/* A key under the prefix; caller frees. */
static char *
redis_key(const struct redis_spool *s, const char *name)
{
	return xasprintf("%s%s", s->t.prefix, name);
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

/*
 * Sets the states submit() and writable() read (-1 leaves one as it is).
 * Until the first connection is made or fails, submissions are taken and
 * wait in hiredis's buffer: `poll --once` submits before its loop runs.
 */
static void
redis_set_state(struct redis_spool *s, int up, int write_ok)
{
	pthread_mutex_lock(&s->mu);
	if (up >= 0) {
		s->up = up;
		s->down = !up;
	}
	if (write_ok >= 0)
		s->write_ok = write_ok;
	pthread_mutex_unlock(&s->mu);
}

/* ---- the loop thread: submissions on the async connection ---- */

/* An answered submission or meta write: its callback, and the forwarder's hand-off. */
static void
redis_finish(struct redis_spool *s, struct redis_op *op)
{
	struct spool_event *ev;

	if (op->type == OP_SUBMIT) {
		pthread_mutex_lock(&s->mu);
		s->queued--;
		pthread_mutex_unlock(&s->mu);
		if (op->result == PD_OK && !op->duplicate && s->notify != NULL) {
			ev = op->ev;
			op->ev = NULL;
			s->notify(&ev, 1, s->notify_arg);
		}
	}
	if (op->cb != NULL)
		op->cb(op->result, op->result == PD_OK && op->duplicate, op->arg);
	redis_op_free(op);
}

/* What a submit script's answer {code, seq} means for op. */
static void
redis_submit_result(struct redis_spool *s, struct redis_op *op, const redisReply *r)
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
	struct redis_op *op = privdata, *w;
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
		redis_op_free(op);
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
		redis_op_free(op);
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
redis_send(struct redis_spool *s, struct redis_op *op, int argc, const char **argv,
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
	struct redis_op *op = xcalloc(1, sizeof *op);

	op->type = OP_SETUP;
	if (redis_send(s, op, argc, argv, NULL) != 0)
		redis_op_free(op);
}

/* Sends a submission: EVALSHA of the submit script with the event's fields. */
static int
redis_send_submit(struct redis_spool *s, struct redis_op *op)
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
	struct redis_op *op, *next, *wait;
	const char *argv[4];
	char n[24], ms[24];
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
			argv[0] = "HSET";
			argv[1] = op->text; /* the key's name, set by meta_set */
			argv[2] = op->key;
			argv[3] = op->text + strlen(op->text) + 1;
			rc = redis_send(s, op, 4, argv, NULL);
		}
		if (rc != 0) {
			op->result = PD_ERR_SPOOL_IO;
			redis_finish(s, op);
		}
	}
	if (submits > 0 && s->wait_replicas > 0) {
		wait = xcalloc(1, sizeof *wait);
		wait->type = OP_WAIT;
		snprintf(n, sizeof n, "%ld", s->wait_replicas);
		snprintf(ms, sizeof ms, "%ld", s->wait_timeout_ms);
		argv[0] = "WAIT";
		argv[1] = n;
		argv[2] = ms;
		if (redis_send(s, wait, 3, argv, NULL) != 0)
			redis_op_free(wait);
	}
}

/* Schedules the next connection attempt ms from now. */
static void
redis_reconnect_later(struct redis_spool *s, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

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
	redisLibeventAttach(s->ac, s->base);
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

/* ---- the background thread: lease, outcomes, counters, pruning ---- */

/* The background connection, (re)made when due; NULL while Redis is away. */
static redisContext *
redis_bc(struct redis_spool *s)
{
	char *why;

	if (s->bc != NULL || mono_ms() < s->bc_due)
		return s->bc;
	if ((s->bc = redis_connect(&s->t, REDIS_TIMEOUT_MS, &why)) == NULL) {
		log_debug("spool: redis %s: %s", s->t.where, why);
		free(why);
		s->bc_due = mono_ms() + REDIS_RETRY_MS;
	}
	return s->bc;
}

/* Drops a connection that failed: the next use makes a new one. */
static void
redis_bc_drop(struct redis_spool *s)
{
	redisFree(s->bc);
	s->bc = NULL;
	s->bc_due = mono_ms() + REDIS_RETRY_MS;
}

/* Runs a script on the background connection; NULL (connection dropped) on failure. */
static redisReply *
redis_bc_script(struct redis_spool *s, enum redis_script_id id, int argc, const char **argv)
{
	redisReply *r;
	const char *err;

	if (redis_bc(s) == NULL)
		return NULL;
	r = redis_call_script(s->bc, id, argc, argv, NULL);
	err = redis_reply_error(r);
	if (r == NULL || redis_error_transient(err)) {
		log_debug("spool: redis %s: %s", s->t.where, r != NULL ? err : s->bc->errstr);
		freeReplyObject(r);
		redis_bc_drop(s);
		return NULL;
	}
	return r;
}

/* The outcome script's arguments for one op. */
static int
redis_outcome_args(struct redis_spool *s, const struct redis_op *op, const char **argv,
                   char bufs[4][24])
{
	snprintf(bufs[0], 24, "%lld", (long long)op->seq);
	snprintf(bufs[1], 24, "%d", op->attempts);
	snprintf(bufs[2], 24, "%lld", (long long)op->ms);
	snprintf(bufs[3], 24, "%lld", (long long)SPOOL_KEEP_DELIVERED_MS);
	argv[0] = s->t.prefix;
	argv[1] = op->type == OP_DELIVERED ? "delivered" : op->type == OP_RETRY ? "retry" : "dead";
	argv[2] = bufs[0];
	argv[3] = bufs[1];
	argv[4] = bufs[2];
	argv[5] = op->text != NULL ? op->text : "";
	argv[6] = bufs[3];
	return 7;
}

/* Records a batch of outcomes (and prunes asked for), pipelined; 0 when all were. */
static int
redis_write_outcomes(struct redis_spool *s, struct redis_op *batch)
{
	const char *argv[10];
	char bufs[4][24];
	struct redis_op *op;
	redisReply *r;
	int argc, sent = 0, ok = 1;

	if (redis_bc(s) == NULL)
		return -1;
	for (op = batch; op != NULL; op = op->next) {
		if (op->type == OP_PRUNE) {
			snprintf(bufs[0], 24, "%lld", (long long)op->ms);
			snprintf(bufs[1], 24, "%d", REDIS_PRUNE_BATCH);
			argv[3] = s->t.prefix;
			argv[4] = bufs[0];
			argv[5] = bufs[1];
			argc = 3;
		} else
			argc = redis_outcome_args(s, op, argv + 3, bufs);
		argv[0] = "EVALSHA";
		argv[1] = redis_script_sha(op->type == OP_PRUNE ? REDIS_PRUNE : REDIS_OUTCOME);
		argv[2] = "0";
		if (redisAppendCommandArgv(s->bc, argc + 3, argv, NULL) != REDIS_OK)
			break;
		sent++;
	}
	/* Every answer is read, so that the connection stays in step. */
	for (; sent > 0; sent--) {
		if (redisGetReply(s->bc, (void **)&r) != REDIS_OK) {
			redis_bc_drop(s);
			return -1;
		}
		if (redis_reply_error(r) != NULL) {
			log_warn("spool: redis %s: recording an outcome: %s", s->t.where, r->str);
			ok = 0;
		}
		freeReplyObject(r);
	}
	if (op != NULL || !ok) {
		/* NOSCRIPT or a transient error: a new connection loads the scripts again. */
		redis_bc_drop(s);
		return -1;
	}
	return 0;
}

/* Takes, renews or gives up (ttl 0) the lease; a new epoch each time it is won. */
static void
redis_lease(struct redis_spool *s, long ttl)
{
	char ttlbuf[24];
	const char *argv[3] = {s->t.prefix, s->token, ttlbuf};
	redisReply *r;
	int64_t asked = mono_ms();
	int won = 0, lost = 0;

	snprintf(ttlbuf, sizeof ttlbuf, "%ld", ttl);
	if ((r = redis_bc_script(s, REDIS_LEASE, 3, argv)) == NULL)
		return; /* the lease lapses by itself, by time */
	pthread_mutex_lock(&s->mu);
	if (r->type == REDIS_REPLY_INTEGER && r->integer > 0 && ttl > 0) {
		/*
		 * Taken anew (2) though this process held it: the key was lost, and
		 * with it maybe events the forwarder loaded (a Redis restarted
		 * without its data); a new epoch makes it read the spool again.
		 */
		if (mono_ms() >= s->lease_until || r->integer == 2) {
			s->epoch++;
			won = 1;
		}
		s->lease_until = asked + ttl - REDIS_LEASE_MARGIN_MS;
	} else {
		lost = mono_ms() < s->lease_until;
		s->lease_until = 0;
	}
	pthread_mutex_unlock(&s->mu);
	freeReplyObject(r);
	if (won) {
		log_info("spool: this replica's forwarder delivers now (lease won)");
		/* The forwarder reads the spool at once rather than at its next tick. */
		if (s->notify != NULL)
			s->notify(NULL, 0, s->notify_arg);
	} else if (lost && ttl > 0)
		log_warn("spool: another replica holds the lease: this forwarder stops delivering");
}

/* Reads the counters /metrics and the capacity check use; probes writes when they failed. */
static void
redis_refresh(struct redis_spool *s)
{
	char since[24], now[24];
	const char *argv[2] = {s->t.prefix, since};
	redisReply *r, *p;
	char *key;
	int write_ok;

	snprintf(since, sizeof since, "%lld", (long long)(now_ms() - REDIS_DAY_MS));
	if ((r = redis_bc_script(s, REDIS_STATS, 2, argv)) == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 5) {
		s->stats.pending = r->element[0]->integer;
		s->stats.dead = r->element[1]->integer;
		s->stats.delivered = r->element[2]->integer;
		s->stats.oldest_pending_ms = r->element[3]->integer;
	}
	write_ok = s->write_ok;
	pthread_mutex_unlock(&s->mu);
	freeReplyObject(r);
	if (write_ok)
		return;
	/* A real write, so that /healthz recovers without waiting for a webhook. */
	key = redis_key(s, "probe");
	snprintf(now, sizeof now, "%lld", (long long)now_ms());
	p = redis_call(s->bc, "SET", key, now, NULL);
	free(key);
	if (p != NULL && redis_reply_error(p) == NULL)
		redis_set_state(s, -1, 1);
	if (p == NULL || redis_error_transient(redis_reply_error(p)))
		redis_bc_drop(s);
	freeReplyObject(p);
}

/*
 * Leader: whether P seq moved, i.e. some replica stored events since the
 * last look. A seq lower than before means Redis lost writes (a failover
 * to a replica that lagged, a restart without its AOF): seqs the forwarder
 * has passed will be handed out again, so it must read the spool anew.
 */
static void
redis_poll_seq(struct redis_spool *s)
{
	char *key = redis_key(s, "seq");
	redisReply *r = redis_bc(s) != NULL ? redis_call(s->bc, "GET", key, NULL) : NULL;
	int64_t seq;

	free(key);
	if (r == NULL) {
		if (s->bc != NULL)
			redis_bc_drop(s);
		return;
	}
	seq = r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
	freeReplyObject(r);
	if (seq == s->seq_seen)
		return;
	if (seq < s->seq_seen) {
		log_warn("spool: redis %s: seq went back from %lld to %lld (Redis lost writes): "
		         "reading the spool again",
		         s->t.where, (long long)s->seq_seen, (long long)seq);
		pthread_mutex_lock(&s->mu);
		s->epoch++;
		pthread_mutex_unlock(&s->mu);
	}
	s->seq_seen = seq;
	if (s->notify != NULL)
		s->notify(NULL, 0, s->notify_arg);
}

/* Whether this process holds the lease now. */
static int
redis_is_leader(struct redis_spool *s)
{
	int lead;

	pthread_mutex_lock(&s->mu);
	lead = mono_ms() < s->lease_until;
	pthread_mutex_unlock(&s->mu);
	return lead;
}

/* Frees a list of ops. */
static void
redis_free_list(struct redis_op *op)
{
	struct redis_op *next;

	for (; op != NULL; op = next) {
		next = op->next;
		redis_op_free(op);
	}
}

/* The background thread: its jobs in turn, REDIS_TICK_MS apart at most. */
static void *
redis_thread(void *arg)
{
	struct redis_spool *s = arg;
	struct redis_op *batch;
	struct timespec ts;
	int64_t now, lease_due = 0, stats_due = 0, poll_due = 0, prune_due = 0, wake;
	int closing = 0;

	pthread_setname_np(pthread_self(), "pd-redis");
	while (!closing) {
		pthread_mutex_lock(&s->mu);
		now = mono_ms();
		if (s->outcomes.head == NULL && !s->closing) {
			wake = now + REDIS_TICK_MS;
			ts.tv_sec = (time_t)(wake / 1000);
			ts.tv_nsec = (long)(wake % 1000) * 1000000;
			pthread_cond_timedwait(&s->cv, &s->mu, &ts);
		}
		closing = s->closing;
		batch = NULL;
		if (closing || mono_ms() >= s->retry_due) {
			batch = oplist_take(&s->outcomes);
			if (s->retained.head != NULL) {
				*s->retained.tail = batch;
				batch = oplist_take(&s->retained);
			}
		}
		pthread_mutex_unlock(&s->mu);

		if (batch != NULL) {
			if (redis_write_outcomes(s, batch) == 0) {
				redis_free_list(batch);
			} else {
				/* Kept, as sqlite.c keeps them: a lost "delivered" means a resend.
				 */
				for (; batch != NULL; batch = batch->next)
					oplist_add(&s->retained, batch);
				s->retry_due = mono_ms() + REDIS_RETRY_MS;
			}
		}
		now = mono_ms();
		if (closing)
			break;
		if (now >= lease_due) {
			redis_lease(s, REDIS_LEASE_MS);
			lease_due = now + REDIS_LEASE_MS / 3;
		}
		if (now >= stats_due) {
			redis_refresh(s);
			stats_due = now + REDIS_STATS_MS;
		}
		if (now >= poll_due && redis_is_leader(s)) {
			redis_poll_seq(s);
			poll_due = now + REDIS_POLL_MS;
		}
		if (now >= prune_due && redis_is_leader(s)) {
			pthread_mutex_lock(&s->mu);
			batch = xcalloc(1, sizeof *batch);
			batch->type = OP_PRUNE;
			batch->ms = now_ms() - SPOOL_KEEP_DELIVERED_MS;
			oplist_add(&s->outcomes, batch);
			pthread_mutex_unlock(&s->mu);
			prune_due = now + REDIS_PRUNE_MS;
		}
	}
	if (s->retained.head != NULL) {
		log_error(
		    "spool: redis %s: delivery outcomes could not be recorded before stopping; "
		    "their events stay pending",
		    s->t.where);
		redis_free_list(oplist_take(&s->retained));
	}
	/* The next replica need not wait for the lease to run out. */
	if (redis_is_leader(s))
		redis_lease(s, 0);
	return NULL;
}

/* ---- the interface ---- */

/* Opens the spool: no connection yet (Redis may be down: serve starts all the same). */
static enum pd_err
redis_spool_open(const struct pd_config *cfg, void **out)
{
	struct redis_spool *s = xcalloc(1, sizeof *s);
	pthread_condattr_t ca;
	unsigned char rnd[16];
	size_t i;

	*out = NULL;
	if (redis_target_init(cfg, &s->t) != PD_OK) {
		free(s);
		return PD_ERR_CONFIG;
	}
	s->max_events = cfg->spool_max_events;
	s->wait_replicas = cfg->spool_redis_wait_replicas;
	s->wait_timeout_ms = cfg->spool_redis_wait_timeout_ms;
	crypto_random(rnd, sizeof rnd);
	crypto_hex(s->token, sizeof s->token, rnd, sizeof rnd);
	for (i = 0; i < REDIS_NSCRIPTS; i++)
		redis_script_sha((enum redis_script_id)i);
	s->reconnect_ms = REDIS_RECONNECT_MIN_MS;
	s->write_ok = 1;
	oplist_init(&s->sent);
	oplist_init(&s->waiting);
	oplist_init(&s->retained);
	oplist_init(&s->inbox);
	oplist_init(&s->outcomes);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->smu, NULL);
	/* The background thread's sleeps must not jump with the wall clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	log_debug("spool: redis %s", s->t.where);
	*out = s;
	return PD_OK;
}

/* Connects on base's loop and starts the background thread. */
static enum pd_err
redis_spool_start(void *self, struct event_base *base, spool_notify_cb *notify, void *arg)
{
	struct redis_spool *s = self;
	struct timeval tick = {0, 500000};
	int rc;

	if (s->started)
		return PD_ERR_USAGE;
	s->base = base;
	s->notify = notify;
	s->notify_arg = arg;
	if ((s->inbox_ev = event_new(base, -1, 0, redis_inbox_cb, s)) == NULL ||
	    (s->reconnect_ev = evtimer_new(base, redis_reconnect_cb, s)) == NULL ||
	    (s->watch_ev = event_new(base, -1, EV_PERSIST, redis_watch_cb, s)) == NULL)
		fatal("spool: event_new failed");
	event_add(s->watch_ev, &tick);
	redis_connect_async(s);
	if ((rc = pthread_create(&s->thread, NULL, redis_thread, s)) != 0) {
		log_error("spool: cannot start the redis thread: %s", strerror(rc));
		return PD_ERR_SPOOL_IO;
	}
	s->started = 1;
	return PD_OK;
}

/* The fetch connection, made when needed, under smu. */
static redisContext *
redis_sc(struct redis_spool *s)
{
	char *why;

	if (s->sc != NULL || mono_ms() < s->sc_due)
		return s->sc;
	if ((s->sc = redis_connect(&s->t, REDIS_TIMEOUT_MS, &why)) == NULL) {
		log_debug("spool: redis %s: %s", s->t.where, why);
		free(why);
		s->sc_due = mono_ms() + REDIS_RETRY_MS;
	}
	return s->sc;
}

/* After a failed request on the fetch connection: drop it, unless Redis only said no. */
static void
redis_sc_check(struct redis_spool *s, redisReply *r)
{
	if (r == NULL || redis_error_transient(redis_reply_error(r))) {
		redisFree(s->sc);
		s->sc = NULL;
		s->sc_due = mono_ms() + REDIS_RETRY_MS;
	}
}

/* Writes queued meta values while closing, when the loop no longer runs. */
static void
redis_meta_now(struct redis_spool *s, struct redis_op *op)
{
	redisReply *r = NULL;

	pthread_mutex_lock(&s->smu);
	if (redis_sc(s) != NULL) {
		r = redis_call(s->sc, "HSET", op->text, op->key, op->text + strlen(op->text) + 1,
		               NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	op->result = r != NULL && redis_reply_error(r) == NULL ? PD_OK : PD_ERR_SPOOL_IO;
	freeReplyObject(r);
}

/* Stops: outcomes get one more try, the lease is given up, the rest is answered 503. */
static void
redis_spool_close(void *self)
{
	struct redis_spool *s = self;
	struct redis_op *op, *next;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->closing = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	if (s->started)
		pthread_join(s->thread, NULL);
	redis_free_list(oplist_take(&s->outcomes));

	pthread_mutex_lock(&s->mu);
	op = oplist_take(&s->inbox);
	pthread_mutex_unlock(&s->mu);
	for (; op != NULL; op = next) {
		next = op->next;
		if (op->type == OP_META)
			redis_meta_now(s, op);
		else
			op->result = PD_ERR_SPOOL_IO;
		redis_finish(s, op);
	}
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
	redisFree(s->bc);
	redisFree(s->sc);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	pthread_mutex_destroy(&s->smu);
	redis_target_free(&s->t);
	free(s->problem);
	free(s);
}

/* Queues ev for the loop to send; refused at once while Redis is away or the spool full. */
static enum pd_err
redis_spool_submit(void *self, struct spool_event *ev, spool_commit_cb *cb, void *arg)
{
	struct redis_spool *s = self;
	struct redis_op *op;
	enum pd_err err = PD_OK;
	int wake = 0;

	if (ev->received_ms == 0)
		ev->received_ms = now_ms();
	pthread_mutex_lock(&s->mu);
	if (ev->event_id == NULL || ev->payload == NULL)
		err = PD_ERR_VALIDATION;
	else if (s->closing || s->down || s->inbox_ev == NULL)
		err = PD_ERR_SPOOL_IO;
	else if (s->max_events > 0 && s->stats.pending + s->stats.dead + s->queued >= s->max_events)
		err = PD_ERR_SPOOL_FULL;
	if (err != PD_OK) {
		pthread_mutex_unlock(&s->mu);
		spool_event_free(ev);
		return err;
	}
	s->queued++;
	op = xcalloc(1, sizeof *op);
	op->type = OP_SUBMIT;
	op->ev = ev;
	op->cb = cb;
	op->arg = arg;
	wake = s->inbox.head == NULL;
	oplist_add(&s->inbox, op);
	pthread_mutex_unlock(&s->mu);
	if (wake)
		event_active(s->inbox_ev, EV_READ, 0);
	return PD_OK;
}

/* Hands an outcome to the background thread. */
static void
redis_queue_outcome(struct redis_spool *s, enum redis_op_type type, int64_t seq, int attempts,
                    int64_t ms, const char *text)
{
	struct redis_op *op = xcalloc(1, sizeof *op);

	op->type = type;
	op->seq = seq;
	op->attempts = attempts;
	op->ms = ms;
	op->text = text != NULL ? xstrdup(text) : NULL;
	pthread_mutex_lock(&s->mu);
	oplist_add(&s->outcomes, op);
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Records that st2 accepted event seq. */
static void
redis_spool_delivered(void *self, int64_t seq)
{
	redis_queue_outcome(self, OP_DELIVERED, seq, 0, now_ms(), NULL);
}

/* Records a failed attempt; the forwarder tries again at next_ms. */
static void
redis_spool_retry_later(void *self, int64_t seq, int attempts, int64_t next_ms, const char *error)
{
	redis_queue_outcome(self, OP_RETRY, seq, attempts, next_ms, error);
}

/* Moves event seq to the dead letters. */
static void
redis_spool_dead(void *self, int64_t seq, int attempts, const char *reason)
{
	redis_queue_outcome(self, OP_DEAD, seq, attempts, now_ms(), reason);
}

/* Queues one prune pass as if the time were now. */
static void
redis_spool_prune(void *self, int64_t now)
{
	redis_queue_outcome(self, OP_PRUNE, 0, 0, now - SPOOL_KEEP_DELIVERED_MS, NULL);
}

/*
 * Queues HSET P meta key value behind the submissions queued before it. The
 * op carries the hash's name and the value in text ("P meta\0value").
 */
static void
redis_spool_meta_set(void *self, const char *key, const char *value, spool_commit_cb *cb, void *arg)
{
	struct redis_spool *s = self;
	struct redis_op *op = xcalloc(1, sizeof *op);
	size_t klen = strlen(s->t.prefix) + 4, vlen = strlen(value);
	int wake;

	op->type = OP_META;
	op->key = xstrdup(key);
	op->text = xmalloc(klen + 1 + vlen + 1);
	memcpy(op->text, s->t.prefix, klen - 4);
	memcpy(op->text + klen - 4, "meta", 5);
	memcpy(op->text + klen + 1, value, vlen + 1);
	op->cb = cb;
	op->arg = arg;
	pthread_mutex_lock(&s->mu);
	wake = s->inbox.head == NULL && s->inbox_ev != NULL;
	oplist_add(&s->inbox, op);
	pthread_mutex_unlock(&s->mu);
	if (wake)
		event_active(s->inbox_ev, EV_READ, 0);
}

/* Pending events after a seq, in seq order, on the fetch connection. */
static size_t
redis_spool_fetch(void *self, int64_t after, size_t max, struct spool_event ***out)
{
	struct redis_spool *s = self;
	const char *argv[3 + 16];
	char afterbuf[24], maxbuf[24];
	struct spool_event **v = NULL;
	redisReply *r = NULL;
	size_t i, n = 0, stride = redis_nevent_fields + 2; /* seq, payload, the fields */
	long long seq;

	*out = NULL;
	if (max == 0)
		return 0;
	snprintf(afterbuf, sizeof afterbuf, "%lld", (long long)after);
	snprintf(maxbuf, sizeof maxbuf, "%zu", max);
	argv[0] = s->t.prefix;
	argv[1] = afterbuf;
	argv[2] = maxbuf;
	for (i = 0; i < redis_nevent_fields; i++)
		argv[3 + i] = redis_event_fields[i];
	pthread_mutex_lock(&s->smu);
	if (redis_sc(s) != NULL) {
		r = redis_call_script(s->sc, REDIS_FETCH, (int)(3 + redis_nevent_fields), argv,
		                      NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL)
			log_error("spool: redis %s: fetch: %s", s->t.where,
			          r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
		freeReplyObject(r);
		return 0;
	}
	for (i = 0; i + stride <= r->elements; i += stride) {
		if (r->element[i]->type != REDIS_REPLY_STRING)
			continue;
		seq = strtoll(r->element[i]->str, NULL, 10);
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = redis_event_from(seq, r->element + i + 2, r->element[i + 1]);
	}
	freeReplyObject(r);
	*out = v;
	return n;
}

/* A stored meta value, or NULL. */
static char *
redis_spool_meta_get(void *self, const char *key)
{
	struct redis_spool *s = self;
	char *hash = redis_key(s, "meta"), *v = NULL;
	redisReply *r = NULL;

	pthread_mutex_lock(&s->smu);
	if (redis_sc(s) != NULL) {
		r = redis_call(s->sc, "HGET", hash, key, NULL);
		redis_sc_check(s, r);
	}
	pthread_mutex_unlock(&s->smu);
	if (r != NULL && r->type == REDIS_REPLY_STRING)
		v = xstrndup(r->str, r->len);
	else if (r == NULL || r->type == REDIS_REPLY_ERROR)
		log_error("spool: redis %s: reading %s: %s", s->t.where, key,
		          r != NULL ? r->str : "no connection");
	freeReplyObject(r);
	free(hash);
	return v;
}

/* The counters the background thread read last (at most REDIS_STATS_MS old). */
static void
redis_spool_stats(void *self, struct spool_stats *out)
{
	struct redis_spool *s = self;

	pthread_mutex_lock(&s->mu);
	*out = s->stats;
	pthread_mutex_unlock(&s->mu);
}

/* 1 while the connection is up and the last write went through. */
static int
redis_spool_writable(void *self)
{
	struct redis_spool *s = self;
	int ok;

	pthread_mutex_lock(&s->mu);
	ok = s->up && s->write_ok;
	pthread_mutex_unlock(&s->mu);
	return ok;
}

/* The epoch while this process holds the lease, else 0. */
static unsigned long
redis_spool_leader(void *self)
{
	struct redis_spool *s = self;
	unsigned long epoch;

	pthread_mutex_lock(&s->mu);
	epoch = mono_ms() < s->lease_until ? s->epoch : 0;
	pthread_mutex_unlock(&s->mu);
	return epoch;
}

/* The daemon's half of the Redis backend; spool/redis_admin.c has the command's. */
const struct spool_backend spool_redis = {
    .name = "redis",
    .open = redis_spool_open,
    .start = redis_spool_start,
    .close = redis_spool_close,
    .submit = redis_spool_submit,
    .delivered = redis_spool_delivered,
    .retry_later = redis_spool_retry_later,
    .dead = redis_spool_dead,
    .prune = redis_spool_prune,
    .fetch = redis_spool_fetch,
    .meta_set = redis_spool_meta_set,
    .meta_get = redis_spool_meta_get,
    .stats = redis_spool_stats,
    .writable = redis_spool_writable,
    .leader = redis_spool_leader,
    .admin = &spool_redis_admin,
};
