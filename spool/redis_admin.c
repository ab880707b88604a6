/*
 * redis_admin.c: what the `spool` command shows and changes when the spool
 * is in Redis: status, list, find, and retry or purge of dead letters, the
 * same answers spool/sqlite_admin.c gives from SQLite, so that spool/cmd.c
 * prints both alike.
 *
 * DESIGN
 * ------
 * One blocking connection of its own; it works whether any replica runs
 * or not. Status is one script (the counters the daemon reads too) plus
 * the dead letters' reasons. A listing reads the state sets the selection
 * asks for, sorts their seqs, and reads the hashes in pipelined chunks,
 * filtering here: an operator's tool over a spool whose pending and dead
 * sets are small in normal operation, not a query engine. Retry and purge
 * go one dead letter at a time through a script that checks it is still
 * dead, so that a replica's outcome or another operator racing it changes
 * nothing twice; a retried event gets a new, highest seq (INCR), which the
 * leader's forwarder finds on its next fetch.
 */
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "st2pd.h"

#define REDIS_ADMIN_TIMEOUT_MS 5000
#define REDIS_ADMIN_CHUNK      500 /* hashes read per pipelined round trip */

struct redis_admin {
	struct redis_target t;
	redisContext *c;
};

/* The state sets, by enum spool_state. */
static const char *const redis_admin_sets[] = {
    [SPOOL_PENDING] = "pending",
    [SPOOL_DELIVERED] = "delivered",
    [SPOOL_DEAD] = "dead",
};

static void redis_admin_close(void *);
static enum pd_err redis_admin_candidates(struct redis_admin *, int states,
                                          const struct spool_filter *, int64_t **out, size_t *n);

/* Connects to the spool.redis.url; the command never creates anything. */
static enum pd_err
redis_admin_open(const struct pd_config *cfg, void **out)
{
	struct redis_admin *a = xcalloc(1, sizeof *a);
	char *why;

	*out = NULL;
	if (redis_target_init(cfg, &a->t) != PD_OK) {
		free(a);
		return PD_ERR_CONFIG;
	}
	if ((a->c = redis_connect(&a->t, REDIS_ADMIN_TIMEOUT_MS, &why)) == NULL) {
		log_error("spool: redis %s: %s", a->t.where, why);
		free(why);
		redis_admin_close(a);
		return PD_ERR_IO;
	}
	*out = a;
	return PD_OK;
}

static void
redis_admin_close(void *arg)
{
	struct redis_admin *a = arg;

	if (a == NULL)
		return;
	if (a->c != NULL)
		redisFree(a->c);
	redis_target_free(&a->t);
	free(a);
}

/* Where the spool is: the URL without its password, and the prefix. */
static const char *
redis_admin_where(void *arg)
{
	struct redis_admin *a = arg;

	return a->t.where;
}

/* Logs what went wrong with a reply (NULL: the connection) and returns the I/O error. */
static enum pd_err
redis_admin_fail(struct redis_admin *a, redisReply *r)
{
	log_error("spool: redis %s: %s", a->t.where,
	          r == NULL                      ? a->c->errstr
	          : r->type == REDIS_REPLY_ERROR ? r->str
	                                         : "unexpected answer");
	freeReplyObject(r);
	return PD_ERR_IO;
}

/* A key under the prefix; caller frees. */
static char *
redis_admin_key(const struct redis_admin *a, const char *what, const char *id)
{
	return xasprintf("%s%s%s", a->t.prefix, what, id != NULL ? id : "");
}

/* Reads the events of seqs[0..n) (NULL where one is gone), pipelined; payloads when asked. */
static enum pd_err
redis_admin_read(struct redis_admin *a, const int64_t *seqs, size_t n, int with_payload,
                 struct spool_event **evs)
{
	const char *argv[2 + 16];
	char *key;
	redisReply *r, *pl;
	size_t i, j, k;
	char seq[24];

	argv[0] = "HMGET";
	for (k = 0; k < redis_nevent_fields; k++)
		argv[2 + k] = redis_event_fields[k];
	for (i = 0; i < n; i += REDIS_ADMIN_CHUNK) {
		for (j = i; j < n && j < i + REDIS_ADMIN_CHUNK; j++) {
			snprintf(seq, sizeof seq, "%lld", (long long)seqs[j]);
			key = redis_admin_key(a, "ev:", seq);
			argv[1] = key;
			redisAppendCommandArgv(a->c, (int)(2 + redis_nevent_fields), argv, NULL);
			free(key);
			if (with_payload) {
				key = redis_admin_key(a, "pl:", seq);
				redisAppendCommand(a->c, "GET %s", key);
				free(key);
			}
		}
		for (j = i; j < n && j < i + REDIS_ADMIN_CHUNK; j++) {
			r = pl = NULL;
			if (redisGetReply(a->c, (void **)&r) != REDIS_OK ||
			    (with_payload && redisGetReply(a->c, (void **)&pl) != REDIS_OK)) {
				freeReplyObject(r);
				return redis_admin_fail(a, NULL);
			}
			evs[j] = NULL;
			if (r->type == REDIS_REPLY_ARRAY && r->elements == redis_nevent_fields &&
			    r->element[0]->type == REDIS_REPLY_STRING)
				evs[j] = redis_event_from(seqs[j], r->element, pl);
			freeReplyObject(r);
			freeReplyObject(pl);
		}
	}
	return PD_OK;
}

/* Pending and the oldest's arrival, deliveries of the last day, dead letters by reason. */
static enum pd_err
redis_admin_status(void *arg, int64_t now, struct spool_status *out)
{
	static const struct spool_filter every = {0};
	struct redis_admin *a = arg;
	char since[24];
	const char *argv[2] = {a->t.prefix, since};
	struct spool_event **evs;
	redisReply *r;
	int64_t *seqs;
	size_t i, j, n;
	enum pd_err err;

	memset(out, 0, sizeof *out);
	out->size_bytes = -1; /* Redis's memory is shared: no size of the spool's own */
	snprintf(since, sizeof since, "%lld", (long long)(now - SPOOL_STATUS_DAY_MS));
	r = redis_call_script(a->c, REDIS_STATS, 2, argv, NULL);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 5)
		return redis_admin_fail(a, r);
	out->pending = r->element[0]->integer;
	out->dead = r->element[1]->integer;
	out->oldest_pending_ms = r->element[3]->integer;
	out->delivered_24h = r->element[4]->integer;
	freeReplyObject(r);

	/* Every dead letter (no filter), for their reasons. */
	if ((err = redis_admin_candidates(a, 1 << SPOOL_DEAD, &every, &seqs, &n)) != PD_OK)
		return err;
	evs = xcalloc(n + 1, sizeof *evs);
	if ((err = redis_admin_read(a, seqs, n, 0, evs)) == PD_OK) {
		for (i = 0; i < n; i++) {
			const char *why = evs[i] != NULL && evs[i]->dead_reason != NULL
			                      ? evs[i]->dead_reason
			                      : "(no reason)";

			for (j = 0; j < out->nreasons && strcmp(out->reasons[j].reason, why) != 0;
			     j++)
				;
			if (j == out->nreasons) {
				out->reasons =
				    xreallocarray(out->reasons, j + 1, sizeof *out->reasons);
				out->reasons[j].reason = xstrdup(why);
				out->reasons[j].count = 0;
				out->nreasons++;
			}
			out->reasons[j].count++;
		}
	}
	for (i = 0; i < n; i++)
		spool_event_free(evs[i]);
	free(evs);
	free(seqs);
	/* Most first, then by reason, as sqlite_admin.c orders them. */
	for (i = 1; i < out->nreasons; i++) {
		for (j = i;
		     j > 0 && (out->reasons[j].count > out->reasons[j - 1].count ||
		               (out->reasons[j].count == out->reasons[j - 1].count &&
		                strcmp(out->reasons[j].reason, out->reasons[j - 1].reason) < 0));
		     j--) {
			struct spool_reason t = out->reasons[j];

			out->reasons[j] = out->reasons[j - 1];
			out->reasons[j - 1] = t;
		}
	}
	return err;
}

/* qsort: seqs ascending. */
static int
redis_admin_cmp(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* Whether ev is one the selection asks for. */
static int
redis_admin_match(const struct spool_event *ev, int states, const struct spool_filter *f)
{
	size_t i;

	if (!(states & (1 << ev->state)))
		return 0;
	if (f->incident != NULL &&
	    (ev->order_key == NULL || strncmp(ev->order_key, "incident:", 9) != 0 ||
	     strcmp(ev->order_key + 9, f->incident) != 0))
		return 0;
	if (f->type != NULL && (ev->event_type == NULL || strcmp(ev->event_type, f->type) != 0))
		return 0;
	if (f->older_ms != 0 && ev->received_ms >= f->older_ms)
		return 0;
	if (f->newer_ms != 0 && ev->received_ms < f->newer_ms)
		return 0;
	if (f->ids != NULL) {
		for (i = 0; f->ids[i] != NULL && strcmp(f->ids[i], ev->event_id) != 0; i++)
			;
		if (f->ids[i] == NULL)
			return 0;
	}
	return 1;
}

/* The seqs a selection may hold: by id when it names ids, else the state sets'. */
static enum pd_err
redis_admin_candidates(struct redis_admin *a, int states, const struct spool_filter *f,
                       int64_t **out, size_t *n)
{
	redisReply *r;
	char *key;
	size_t i;
	int s;

	*out = NULL;
	*n = 0;
	for (i = 0; f->ids != NULL && f->ids[i] != NULL; i++) {
		key = redis_admin_key(a, "id:", f->ids[i]);
		r = redis_call(a->c, "GET", key, NULL);
		free(key);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return redis_admin_fail(a, r);
		if (r->type == REDIS_REPLY_STRING) {
			*out = xreallocarray(*out, *n + 1, sizeof **out);
			(*out)[(*n)++] = strtoll(r->str, NULL, 10);
		}
		freeReplyObject(r);
	}
	for (s = SPOOL_PENDING; f->ids == NULL && s <= SPOOL_DEAD; s++) {
		if (!(states & (1 << s)))
			continue;
		key = redis_admin_key(a, redis_admin_sets[s], NULL);
		r = redis_call(a->c, "ZRANGE", key, "0", "-1", NULL);
		free(key);
		if (r == NULL || r->type != REDIS_REPLY_ARRAY)
			return redis_admin_fail(a, r);
		*out = xreallocarray(*out, *n + r->elements, sizeof **out);
		for (i = 0; i < r->elements; i++)
			(*out)[(*n)++] = strtoll(r->element[i]->str, NULL, 10);
		freeReplyObject(r);
	}
	qsort(*out, *n, sizeof **out, redis_admin_cmp);
	return PD_OK;
}

/* The events a selection matches, in seq order; *more when the limit cut the list. */
static enum pd_err
redis_admin_select(struct redis_admin *a, int states, const struct spool_filter *f, long limit,
                   struct spool_event ***out, size_t *n, int *more)
{
	struct spool_event **evs;
	int64_t *seqs;
	size_t nseq, i;
	enum pd_err err;

	*out = NULL;
	*n = 0;
	*more = 0;
	if ((err = redis_admin_candidates(a, states, f, &seqs, &nseq)) != PD_OK)
		return err;
	evs = xcalloc(nseq + 1, sizeof *evs);
	err = redis_admin_read(a, seqs, nseq, 0, evs);
	for (i = 0; i < nseq; i++) {
		if (err != PD_OK || evs[i] == NULL || !redis_admin_match(evs[i], states, f) ||
		    *more) {
			spool_event_free(evs[i]);
			continue;
		}
		if (limit > 0 && (long)*n == limit) {
			*more = 1;
			spool_event_free(evs[i]);
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		(*out)[(*n)++] = evs[i];
	}
	free(evs);
	free(seqs);
	return err;
}

/* spool list. */
static enum pd_err
redis_admin_list(void *arg, const struct spool_filter *f, struct spool_event ***out, size_t *n,
                 int *more)
{
	return redis_admin_select(arg, f->states, f, f->limit, out, n, more);
}

/* The event of an event id or X-Webhook-Id, in any state; *out NULL when there is none. */
static enum pd_err
redis_admin_find(void *arg, const char *id, int with_payload, struct spool_event **out)
{
	struct redis_admin *a = arg;
	static const char *const kinds[] = {"id:", "wh:"};
	struct spool_event *ev = NULL;
	redisReply *r;
	int64_t seq;
	char *key;
	size_t i;
	enum pd_err err;

	*out = NULL;
	for (i = 0; i < 2; i++) {
		key = redis_admin_key(a, kinds[i], id);
		r = redis_call(a->c, "GET", key, NULL);
		free(key);
		if (r == NULL || r->type == REDIS_REPLY_ERROR)
			return redis_admin_fail(a, r);
		if (r->type != REDIS_REPLY_STRING) {
			freeReplyObject(r);
			continue;
		}
		seq = strtoll(r->str, NULL, 10);
		freeReplyObject(r);
		if ((err = redis_admin_read(a, &seq, 1, with_payload, &ev)) != PD_OK)
			return err;
		if (ev != NULL)
			break;
	}
	*out = ev;
	return PD_OK;
}

/* Runs retry or purge on every dead letter of a selection; *n counts those it changed. */
static enum pd_err
redis_admin_each_dead(struct redis_admin *a, const struct spool_filter *f,
                      enum redis_script_id script, size_t *n)
{
	struct spool_event **evs;
	size_t nev, i;
	int more;
	char seq[24];
	const char *argv[2] = {a->t.prefix, seq};
	redisReply *r;
	enum pd_err err;

	*n = 0;
	if ((err = redis_admin_select(a, 1 << SPOOL_DEAD, f, 0, &evs, &nev, &more)) != PD_OK)
		return err;
	for (i = 0; i < nev && err == PD_OK; i++) {
		snprintf(seq, sizeof seq, "%lld", (long long)evs[i]->seq);
		r = redis_call_script(a->c, script, 2, argv, NULL);
		if (r == NULL || r->type != REDIS_REPLY_INTEGER) {
			err = redis_admin_fail(a, r);
			continue;
		}
		*n += r->integer != 0;
		freeReplyObject(r);
	}
	for (i = 0; i < nev; i++)
		spool_event_free(evs[i]);
	free(evs);
	return err;
}

/* Dead letters back to pending, in their order, each under a new, highest seq. */
static enum pd_err
redis_admin_retry(void *arg, const struct spool_filter *f, size_t *n)
{
	return redis_admin_each_dead(arg, f, REDIS_RETRY, n);
}

/* Deletes the dead letters a selection matches (never pending or delivered events). */
static enum pd_err
redis_admin_purge(void *arg, const struct spool_filter *f, size_t *n)
{
	return redis_admin_each_dead(arg, f, REDIS_PURGE, n);
}

/* The Redis backend's half for the spool command (spool/redis.c has the daemon's). */
const struct spool_admin_backend spool_redis_admin = {
    .open = redis_admin_open,
    .close = redis_admin_close,
    .where = redis_admin_where,
    .status = redis_admin_status,
    .list = redis_admin_list,
    .find = redis_admin_find,
    .retry = redis_admin_retry,
    .purge = redis_admin_purge,
};
