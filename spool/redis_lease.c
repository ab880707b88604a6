/*
 * redis_lease.c: the Redis spool's background thread ("pd-redis"). It
 * holds the lease that makes this replica's forwarder the one that
 * delivers, records the forwarder's outcomes, reads the counters, prunes,
 * and while leader watches for events other replicas stored. Every call
 * here blocks, which is why none of it runs on the loop thread.
 *
 * DESIGN
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
 * pending, kept and tried again after a failure like sqlite_writer.c's),
 * reads the counters that /metrics and the capacity check use (never a
 * blocking call on the loop thread), prunes delivered events past the dedup horizon
 * (their keys also carry that TTL, so a Redis with no replica left running
 * empties itself), and, while leader, polls P seq every REDIS_POLL_MS:
 * events other replicas stored reach this forwarder only through Redis,
 * and a change of the counter tells it to fetch.
 *
 * Faults. Outcomes wait in memory and are recorded once Redis is back; the
 * lease lapses by time, so no replica delivers while it cannot record.
 */
#include <pthread.h>
#include <stdlib.h>

#include "redis.h"

#define REDIS_LEASE_MS        3000 /* the lease's TTL; a dead leader is replaced within it */
#define REDIS_LEASE_MARGIN_MS 500  /* this process stops counting itself leader this early */
#define REDIS_TICK_MS         100  /* the background thread's longest sleep */
#define REDIS_POLL_MS         100  /* leader: how often P seq is checked for others' events */
#define REDIS_STATS_MS        1000 /* counters for /metrics and the capacity check */
#define REDIS_PRUNE_MS        10000
#define REDIS_PRUNE_BATCH     1000

/* Runs a script on the background connection; NULL (connection dropped) on failure. */
static redisReply *
redis_bc_script(struct redis_spool *s, enum redis_script_id id, int argc, const char **argv)
{
	redisReply *r;
	const char *err;

	if (redis_link_get(s, &s->bc) == NULL)
		return NULL;
	r = redis_call_script(s->bc.c, id, argc, argv, NULL);
	err = redis_reply_error(r);
	if (r == NULL || redis_error_transient(err)) {
		log_debug("spool: redis %s: %s", s->t.where, r != NULL ? err : s->bc.c->errstr);
		freeReplyObject(r);
		redis_link_drop(&s->bc);
		return NULL;
	}
	return r;
}

/* The outcome script's arguments for one op. */
static int
redis_outcome_args(struct redis_spool *s, const struct spool_op *op, const char **argv,
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
redis_write_outcomes(struct redis_spool *s, struct spool_op *batch)
{
	const char *argv[10];
	char bufs[4][24];
	struct spool_op *op;
	redisReply *r;
	int argc, sent = 0, ok = 1;

	if (redis_link_get(s, &s->bc) == NULL)
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
		if (redisAppendCommandArgv(s->bc.c, argc + 3, argv, NULL) != REDIS_OK)
			break;
		sent++;
	}
	/* Every answer is read, so that the connection stays in step. */
	for (; sent > 0; sent--) {
		if (redisGetReply(s->bc.c, (void **)&r) != REDIS_OK) {
			redis_link_drop(&s->bc);
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
		redis_link_drop(&s->bc);
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
		if (s->head.notify != NULL)
			s->head.notify(NULL, 0, s->head.notify_arg);
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

	snprintf(since, sizeof since, "%lld", (long long)(now_ms() - SPOOL_STATUS_DAY_MS));
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
	p = redis_call(s->bc.c, "SET", key, now, NULL);
	free(key);
	if (p != NULL && redis_reply_error(p) == NULL)
		redis_set_state(s, -1, 1);
	if (p == NULL || redis_error_transient(redis_reply_error(p)))
		redis_link_drop(&s->bc);
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
	redisReply *r =
	    redis_link_get(s, &s->bc) != NULL ? redis_call(s->bc.c, "GET", key, NULL) : NULL;
	int64_t seq;

	free(key);
	if (r == NULL) {
		if (s->bc.c != NULL)
			redis_link_drop(&s->bc);
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
	if (s->head.notify != NULL)
		s->head.notify(NULL, 0, s->head.notify_arg);
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

/* The background thread: its jobs in turn, REDIS_TICK_MS apart at most. */
void *
redis_thread(void *arg)
{
	struct redis_spool *s = arg;
	struct spool_op *batch;
	int64_t now, lease_due = 0, stats_due = 0, poll_due = 0, prune_due = 0;
	int closing = 0;

	pthread_setname_np(pthread_self(), "pd-redis");
	while (!closing) {
		pthread_mutex_lock(&s->mu);
		now = mono_ms();
		if (s->outcomes.head == NULL && !s->closing)
			spool_cond_wait_until(&s->cv, &s->mu, now + REDIS_TICK_MS);
		closing = s->closing;
		batch = NULL;
		if (closing || mono_ms() >= s->retry_due) {
			batch = oplist_take(&s->outcomes);
			if (s->retained.head != NULL) {
				oplist_add_chain(&s->retained, batch);
				batch = oplist_take(&s->retained);
			}
		}
		pthread_mutex_unlock(&s->mu);

		if (batch != NULL) {
			if (redis_write_outcomes(s, batch) == 0) {
				spool_op_free_list(batch);
			} else {
				/* Kept, as sqlite_writer.c keeps them: a lost "delivered" means a
				 * resend.
				 */
				oplist_add_chain(&s->retained, batch);
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
			/* Queued as the forwarder's outcomes are, and written with them. */
			spool_base_prune(s, now_ms());
			prune_due = now + REDIS_PRUNE_MS;
		}
	}
	if (s->retained.head != NULL) {
		log_error(
		    "spool: redis %s: delivery outcomes could not be recorded before stopping; "
		    "their events stay pending",
		    s->t.where);
		spool_op_free_list(oplist_take(&s->retained));
	}
	/* The next replica need not wait for the lease to run out. */
	if (redis_is_leader(s))
		redis_lease(s, 0);
	return NULL;
}
