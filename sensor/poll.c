/*
 * poll.c: the poller. It reads PagerDuty's log entries (GET /log_entries)
 * over a time window, turns each transition into the event a webhook
 * would have brought (sensor/map.c, then payload_from_event() with source
 * "poll") and spools it, with a durable cursor, so that across restarts
 * and downtime nothing is missed and nothing is emitted twice.
 *
 * DESIGN
 * ------
 * The cursor is a time, in whole seconds, up to which every log entry
 * PagerDuty showed has been spooled durably. A pass reads the window
 * [cursor - POLL_OVERLAP_S, until), until being now (poll.mode only) or
 * now - lag_s (backfill: webhooks come first), sorts what it got by
 * created_at, then id (PagerDuty answers newest first, but nothing
 * promises an order, nor one among entries of the same second), maps each
 * entry and submits its event to the spool, then waits for every commit
 * callback. Only when all of them said PD_OK (new or duplicate) does the
 * cursor move to until, in memory and in the spool's meta table (a meta
 * write can commit in a later transaction than a failed batch of the
 * events it covers, so it is queued only after their callbacks). A
 * failure leaves the cursor where it was and the next pass reads the same
 * window again: nothing is skipped, and the spool's event id dedup (the
 * log entry id is the event id) keeps what got through the first time
 * from being emitted twice.
 *
 * The overlap. PagerDuty is eventually consistent: an entry can become
 * visible after entries created later than it, and entries of one second
 * sit on both sides of a window's edge (and PagerDuty does not say whether
 * until is inclusive). So each pass reads POLL_OVERLAP_S back from the
 * cursor again, and drops what it already spooled by log entry id: in
 * memory (the seen set, ids of the last few minutes), and after a restart
 * in the spool, which remembers delivered ids for 7 days and counts them
 * as duplicates. An entry that turns up more than POLL_OVERLAP_S late is
 * missed; PagerDuty documents no bound, and two minutes is many times the
 * delays seen.
 *
 * First start and downtime. With no cursor the poller starts at now and
 * records that time as its floor: no window reaches below it, because old
 * triggers would fire rules on incidents long handled (poll --once --since
 * is the deliberate way to look back). With a cursor, the first pass
 * catches up from it, but from no further back than backfill_max_s; both
 * how far it went and what it left unread are logged.
 *
 * Large windows. A window's first page asks total=true (pd_call.total_max):
 * one holding more than POLL_CHUNK entries is split into pieces of equal
 * time, each small enough for the average rate, and a piece that is still
 * too full is split again, down to one second. So no list ever pages past
 * PagerDuty's 10,000 offset limit, and memory holds one piece at a time.
 * The pieces are read in time order, each overlapping the previous one by
 * a second, and the cursor moves after each: a catch-up that stops half
 * way resumes from the last piece done.
 *
 * Threads. pd_request blocks, so a pass runs on the sensor's own thread in
 * serve (sensor/sensor.c), or on poll --once's only thread. The spool's
 * commit callbacks run on the thread of the spool's event loop: in serve
 * the daemon's loop, so the poller waits for them on a condition variable;
 * poll --once has no other thread and runs that loop itself (pump).
 * poll_cancel() makes a pass give up at its next step, without moving the
 * cursor; every spool call is made under the poller's lock after checking
 * the flag, so once poll_cancel() has returned the poller calls the spool
 * no more, and the daemon may close it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "st2pd.h"

#define POLL_OVERLAP_S   120 /* read again behind the cursor: see DESIGN */
#define POLL_CHUNK       500 /* entries fetched at once; a fuller window is split */
#define POLL_OFFSET_MAX  10000
#define POLL_META_CURSOR "poll.cursor"
#define POLL_META_FLOOR  "poll.floor"

struct poller {
	const struct pd_config *cfg;
	struct spool *spool;     /* NULL: a dry run without one */
	struct event_base *pump; /* poll --once: the spool's loop, run by the pass */
	int dry_run;
	int keep_cursor; /* serve: the pass moves and saves the cursor */
	FILE *out;       /* each trigger as a JSON line, or NULL */
	_Atomic int cancel;

	/* The batch in flight, guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t outstanding; /* submissions whose callback has not run */
	struct poll_stats batch;

	json_t *seen;     /* log entry id -> created_at (s) of what was spooled */
	int64_t cursor;   /* s; 0 before poll_start */
	int64_t floor;    /* s: no window reaches below */
	int64_t catch_up; /* s: where a catch-up started, 0 when none is running */
	struct poll_stats caught;
	json_t *last_error; /* of the last request that failed, for the sensor's log */
};

/* One submission, for its commit callback. */
struct poll_sub {
	struct poller *p;
	char *line; /* the trigger's JSON line, newline included, printed once durable; or NULL */
};

/* One window of the pass. */
struct poll_window {
	int64_t since, until;
};

/* "2026-11-27T09:40:00Z" for a time in seconds. */
static void
poll_iso(int64_t s, char *buf, size_t len)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* How far the poller reads now: now, or lag_s behind it in backfill mode. */
int64_t
poll_read_point(const struct poller *p, int64_t now)
{
	return p->cfg->poll_mode == POLL_BACKFILL ? now - p->cfg->poll_lag_s : now;
}

/* Creates a poller; it reads nothing until poll_start/poll_load. */
struct poller *
poll_new(const struct pd_config *cfg, struct spool *spool, struct event_base *pump, int flags,
         FILE *out)
{
	struct poller *p = xcalloc(1, sizeof *p);

	p->cfg = cfg;
	p->spool = spool;
	p->pump = pump;
	p->dry_run = (flags & POLL_DRY_RUN) != 0;
	p->keep_cursor = (flags & POLL_KEEP_CURSOR) != 0 && !p->dry_run;
	p->out = out;
	atomic_init(&p->cancel, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->seen = json_object();
	return p;
}

/* Makes the pass in progress give up (any thread); see DESIGN. */
void
poll_cancel(struct poller *p)
{
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->cancel, 1);
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* The flag poll_cancel sets, for other calls to watch (the watchdog's). */
const _Atomic int *
poll_cancel_flag(struct poller *p)
{
	return &p->cancel;
}

/* Frees a poller whose pass has ended (and whose spool callbacks have run). */
void
poll_free(struct poller *p)
{
	if (p == NULL)
		return;
	json_decref(p->seen);
	json_decref(p->last_error);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* A saved time of the meta table, in seconds; 0 when unset or unreadable. */
static int64_t
poll_meta_time(struct poller *p, const char *key)
{
	char *v = NULL;
	int64_t ms = 0;

	pthread_mutex_lock(&p->mu);
	if (!atomic_load(&p->cancel))
		v = spool_meta_get(p->spool, key);
	pthread_mutex_unlock(&p->mu);
	if (v != NULL && parse_time_ms(v, &ms) != PD_OK) {
		log_warn("poll: the saved %s \"%s\" is not a time; ignored", key, v);
		ms = 0;
	}
	free(v);
	return ms / 1000;
}

/* Queues a time into the meta table; it commits behind the events queued before it. */
static void
poll_meta_save(struct poller *p, const char *key, int64_t s)
{
	char buf[32];

	poll_iso(s, buf, sizeof buf);
	pthread_mutex_lock(&p->mu);
	if (!atomic_load(&p->cancel))
		spool_meta_set(p->spool, key, buf, NULL, NULL);
	pthread_mutex_unlock(&p->mu);
}

/* A duration for logs: "3h 20m 5s", "45s". */
static void
poll_duration(int64_t s, char *buf, size_t len)
{
	if (s >= 3600)
		snprintf(buf, len, "%lldh %02lldm %02llds", (long long)(s / 3600),
		         (long long)(s % 3600 / 60), (long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Reads the saved cursor and floor; 1 if there is a cursor. */
int
poll_load(struct poller *p)
{
	p->cursor = poll_meta_time(p, POLL_META_CURSOR);
	p->floor = poll_meta_time(p, POLL_META_FLOOR);
	return p->cursor > 0;
}

/* serve's start: the saved cursor, or a first one at now; says what the first pass will do. */
void
poll_start(struct poller *p, int64_t now)
{
	int64_t point = poll_read_point(p, now), bound = point - p->cfg->poll_backfill_max_s;
	char at[32], from[32], behind[48];

	if (!poll_load(p)) {
		/* First start: history is never emitted by surprise (DESIGN). */
		p->cursor = p->floor = point;
		poll_meta_save(p, POLL_META_FLOOR, point);
		poll_meta_save(p, POLL_META_CURSOR, point);
		poll_iso(point, at, sizeof at);
		log_fields(LOG_INFO,
		           "poll: first start: reading log entries from now on; earlier "
		           "ones are not emitted (poll --once --since TIME reads them)",
		           "from", at, NULL);
		metrics_poll(p->cursor * 1000, 0);
		return;
	}
	poll_iso(p->cursor, at, sizeof at);
	poll_duration(point - p->cursor, behind, sizeof behind);
	if (p->cursor < bound) {
		poll_iso(bound, from, sizeof from);
		log_fields(LOG_WARN,
		           "poll: the last poll was longer ago than poll.backfill_max_s; catching "
		           "up from the bound, log entries before it are not read (poll --once "
		           "--since TIME reads them)",
		           "cursor", at, "behind", behind, "from", from, NULL);
		p->cursor = bound;
		if (p->floor < bound)
			p->floor = bound;
		p->catch_up = p->cursor;
	} else if (point - p->cursor > 2 * p->cfg->poll_interval_s + POLL_OVERLAP_S) {
		log_fields(LOG_INFO, "poll: catching up from the saved cursor", "from", at,
		           "behind", behind, NULL);
		p->catch_up = p->cursor;
	}
	memset(&p->caught, 0, sizeof p->caught);
	metrics_poll(p->cursor * 1000, 0);
}

/* Commit callback of one submission, on the spool's loop thread. */
static void
poll_committed(enum pd_err result, int duplicate, void *arg)
{
	struct poll_sub *sub = arg;
	struct poller *p = sub->p;

	pthread_mutex_lock(&p->mu);
	if (result != PD_OK) {
		p->batch.failed++;
	} else if (duplicate) {
		p->batch.duplicates++;
		metrics_inc(M_POLL_DUPLICATES);
	} else {
		p->batch.emitted++;
		metrics_inc(M_POLL_EMITTED);
		if (sub->line != NULL && p->out != NULL)
			fputs(sub->line, p->out);
	}
	p->outstanding--;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	free(sub->line);
	free(sub);
}

/* Hands one event to the spool; 0, -1 if it was refused, -2 once cancelled. */
static int
poll_submit(struct poller *p, struct spool_event *ev, char *line)
{
	struct poll_sub *sub;
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	if (atomic_load(&p->cancel)) {
		spool_event_free(ev);
		free(line);
		rc = -2;
	} else {
		sub = xcalloc(1, sizeof *sub);
		sub->p = p;
		sub->line = line;
		if (spool_submit(p->spool, ev, poll_committed, sub) == PD_OK) {
			p->outstanding++;
		} else {
			free(sub->line);
			free(sub);
			p->batch.failed++;
			rc = -1;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* Waits for every callback of the batch: 0 if all were durable, -1 if not, -2 cancelled. */
static int
poll_wait(struct poller *p)
{
	int rc;

	if (p->pump != NULL) {
		/* poll --once: the callbacks run on this thread, from this loop. */
		while (p->outstanding > 0)
			event_base_loop(p->pump, EVLOOP_ONCE);
		return p->batch.failed > 0 ? -1 : 0;
	}
	pthread_mutex_lock(&p->mu);
	while (p->outstanding > 0 && !atomic_load(&p->cancel))
		pthread_cond_wait(&p->cv, &p->mu);
	rc = atomic_load(&p->cancel) ? -2 : p->batch.failed > 0 ? -1 : 0;
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* One entry of a fetched page, with what it is sorted by. */
struct poll_entry {
	json_t *entry;
	const char *id;
	int64_t at_ms;
};

/* qsort order: created_at, then id. */
static int
poll_entry_cmp(const void *a, const void *b)
{
	const struct poll_entry *x = a, *y = b;

	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Whether service_ids lets an entry through (PagerDuty's /log_entries cannot filter by it). */
static int
poll_service_ok(const struct poller *p, json_t *entry)
{
	const char *id;
	size_t i;

	if (p->cfg->poll_service_ids.n == 0)
		return 1;
	if ((id = map_service_id(entry)) == NULL)
		return 0;
	for (i = 0; i < p->cfg->poll_service_ids.n; i++) {
		if (strcmp(p->cfg->poll_service_ids.v[i], id) == 0)
			return 1;
	}
	return 0;
}

/* Notes an entry as done with, so the overlap does not read it again. */
static void
poll_seen_add(struct poller *p, const char *id, int64_t at_ms)
{
	json_object_set_new(p->seen, id, json_integer(at_ms / 1000));
}

/* Forgets entries the overlap can no longer reach. */
static void
poll_seen_prune(struct poller *p)
{
	const char *id;
	json_t *at;
	void *tmp;
	int64_t horizon = p->cursor - POLL_OVERLAP_S - 60;

	json_object_foreach_safe (p->seen, tmp, id, at) {
		if (json_integer_value(at) < horizon)
			json_object_del(p->seen, id);
	}
}

/*
 * Sorts, maps and spools the entries of one window, then waits until they
 * are durable (see DESIGN). 0, -1 if the spool failed some, -2 if cancelled.
 */
static int
poll_emit(struct poller *p, json_t *entries, struct poll_stats *st)
{
	struct poll_entry *v;
	struct spool_event *ev;
	const char *why;
	json_t *event;
	char *line;
	size_t n = json_array_size(entries), i, k = 0, nsub = 0;
	int rc = 0, waited;

	v = xcalloc(n > 0 ? n : 1, sizeof *v);
	for (i = 0; i < n; i++) {
		v[k].entry = json_array_get(entries, i);
		v[k].id = json_string_value(json_object_get(v[k].entry, "id"));
		st->read++;
		metrics_inc(M_POLL_ENTRIES);
		if (v[k].id == NULL || *v[k].id == '\0' ||
		    parse_time_ms(json_string_value(json_object_get(v[k].entry, "created_at")),
		                  &v[k].at_ms) != PD_OK) {
			log_warn("poll: a log entry without id or created_at: skipped");
			continue;
		}
		k++;
	}
	qsort(v, k, sizeof *v, poll_entry_cmp);

	pthread_mutex_lock(&p->mu);
	memset(&p->batch, 0, sizeof p->batch);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < k && rc == 0; i++) {
		if (json_object_get(p->seen, v[i].id) != NULL) {
			st->reread++;
			continue;
		}
		if (!poll_service_ok(p, v[i].entry)) {
			st->filtered++;
			poll_seen_add(p, v[i].id, v[i].at_ms);
			continue;
		}
		if ((event = map_event(v[i].entry, &why)) == NULL) {
			st->unmapped++;
			log_debug("poll: log entry %s (%s) not emitted: %s", v[i].id,
			          json_string_value(json_object_get(v[i].entry, "type")), why);
			poll_seen_add(p, v[i].id, v[i].at_ms);
			continue;
		}
		if (payload_from_event(event, NULL, NULL, "poll", &ev) != PD_OK) {
			st->unmapped++;
			log_warn("poll: log entry %s cannot be made a trigger: skipped", v[i].id);
			json_decref(event);
			poll_seen_add(p, v[i].id, v[i].at_ms);
			continue;
		}
		json_decref(event);
		/* The sink file's line: what StackStorm would be sent. */
		line = p->out != NULL ? payload_trigger_body(ev, "\n") : NULL;
		if (p->dry_run) {
			if (line != NULL)
				fputs(line, p->out);
			free(line);
			st->emitted++;
			spool_event_free(ev);
			continue;
		}
		nsub++;
		rc = poll_submit(p, ev, line);
	}
	/* Even after a refusal, what was submitted must be waited for. */
	if (nsub > 0) {
		waited = poll_wait(p);
		if (rc == 0)
			rc = waited;
	}
	/* Cancelled, callbacks may still come: read the batch's counts under the lock. */
	pthread_mutex_lock(&p->mu);
	st->emitted += p->batch.emitted;
	st->duplicates += p->batch.duplicates;
	st->failed += p->batch.failed;
	pthread_mutex_unlock(&p->mu);
	if (rc == 0) {
		for (i = 0; i < k; i++) {
			if (json_object_get(p->seen, v[i].id) == NULL)
				poll_seen_add(p, v[i].id, v[i].at_ms);
		}
	}
	free(v);
	return rc;
}

/*
 * GET /log_entries over one window. total_max > 0: fail with
 * PD_ERR_VALIDATION and *total when the window holds more (see DESIGN).
 */
static enum pd_err
poll_fetch(struct poller *p, const struct poll_window *w, long total_max, json_t **out,
           json_int_t *total)
{
	struct pd_call call;
	json_t *query, *teams, *error = NULL;
	char since[32], until[32], *msg;
	enum pd_err rc;
	size_t i;

	poll_iso(w->since, since, sizeof since);
	poll_iso(w->until, until, sizeof until);
	/* is_overview=false: with true PagerDuty keeps trigger, acknowledge and resolve only. */
	query = json_pack("{s:s, s:s, s:[s], s:b}", "since", since, "until", until, "include",
	                  "incidents", "is_overview", 0);
	if (p->cfg->poll_team_ids.n > 0) {
		teams = json_array();
		for (i = 0; i < p->cfg->poll_team_ids.n; i++)
			json_array_append_new(teams, json_string(p->cfg->poll_team_ids.v[i]));
		json_object_set_new(query, "team_ids", teams);
	}
	memset(&call, 0, sizeof call);
	call.method = "GET";
	call.path = "/log_entries";
	call.query = query;
	call.page = PD_PAGE_OFFSET;
	call.collection = "log_entries";
	call.total_max = total_max;
	/* A second holding more than the offset limit (never seen): read what can be read. */
	call.maximum = total_max > 0 ? 0 : POLL_OFFSET_MAX;
	call.cancel = &p->cancel;
	*total = -1;
	rc = pd_request(p->cfg, &call, out, &error);
	json_decref(query);
	if (rc == PD_ERR_VALIDATION && json_is_integer(json_object_get(error, "total")))
		*total = json_integer_value(json_object_get(error, "total"));
	else if (rc == PD_ERR_VALIDATION)
		*total = POLL_OFFSET_MAX; /* the offset limit itself: at least that many */
	else if (rc != PD_OK && rc != PD_ERR_SHUTTING_DOWN) {
		msg = json_dumps(error, JSON_COMPACT);
		log_fields(LOG_DEBUG, "poll: GET /log_entries failed", "since", since, "until",
		           until, "error", msg, NULL);
		free(msg);
		p->last_error = json_incref(error);
	}
	json_decref(error);
	return rc;
}

/* Replaces w[0] by k pieces of equal time, each overlapping the one before by a second. */
static void
poll_split(struct poll_window **ws, size_t *n, size_t k)
{
	struct poll_window w = (*ws)[0];
	int64_t width = w.until - w.since, a;
	size_t i;

	if ((int64_t)k > width)
		k = (size_t)width;
	*ws = xreallocarray(*ws, *n + k - 1, sizeof **ws);
	memmove(*ws + k, *ws + 1, (*n - 1) * sizeof **ws);
	for (i = 0; i < k; i++) {
		a = w.since + width * (int64_t)i / (int64_t)k;
		(*ws)[i].since = i == 0 ? a : a - 1;
		(*ws)[i].until =
		    i + 1 == k ? w.until : w.since + width * (int64_t)(i + 1) / (int64_t)k;
	}
	*n += k - 1;
}

/* One pass over [since, until): fetch, split when too full, spool, move the cursor. */
enum pd_err
poll_pass(struct poller *p, int64_t since, int64_t until, struct poll_stats *st)
{
	struct poll_window *ws = xmalloc(sizeof *ws);
	json_t *entries;
	json_int_t total;
	size_t n = 1, k;
	enum pd_err rc = PD_OK;
	int done;
	char a[32], b[32];

	memset(st, 0, sizeof *st);
	json_decref(p->last_error);
	p->last_error = NULL;
	ws[0].since = since;
	ws[0].until = until;
	while (n > 0 && rc == PD_OK) {
		entries = NULL;
		rc = poll_fetch(p, &ws[0], ws[0].until - ws[0].since > 1 ? POLL_CHUNK : 0, &entries,
		                &total);
		if (rc == PD_ERR_VALIDATION && ws[0].until - ws[0].since > 1) {
			/* Pieces for about three quarters of a chunk each, at the window's rate. */
			k = (size_t)(total / (POLL_CHUNK * 3 / 4) + 1);
			poll_iso(ws[0].since, a, sizeof a);
			poll_iso(ws[0].until, b, sizeof b);
			log_debug(
			    "poll: %lld log entries from %s to %s: reading them in %zu pieces",
			    (long long)total, a, b, k < 2 ? 2 : k);
			poll_split(&ws, &n, k < 2 ? 2 : k);
			st->splits++;
			rc = PD_OK;
			continue;
		}
		if (rc != PD_OK)
			break;
		if (json_array_size(entries) >= POLL_OFFSET_MAX) {
			poll_iso(ws[0].since, a, sizeof a);
			log_error(
			    "poll: more than %d log entries in the second of %s: only the first "
			    "%d were read",
			    POLL_OFFSET_MAX, a, POLL_OFFSET_MAX);
		}
		done = poll_emit(p, entries, st);
		json_decref(entries);
		if (done == -2) {
			rc = PD_ERR_SHUTTING_DOWN;
			break;
		}
		if (done != 0) {
			rc = PD_ERR_SPOOL_IO;
			break;
		}
		if (p->keep_cursor && ws[0].until > p->cursor) {
			p->cursor = ws[0].until;
			poll_meta_save(p, POLL_META_CURSOR, p->cursor);
			metrics_poll(p->cursor * 1000, 0);
		}
		memmove(ws, ws + 1, (n - 1) * sizeof *ws);
		n--;
	}
	free(ws);
	if (p->keep_cursor)
		poll_seen_prune(p);
	return rc;
}

/* The window of the next pass: from the cursor less the overlap (not below the floor). */
enum pd_err
poll_window_from_cursor(struct poller *p, int64_t now, int64_t *since, int64_t *until)
{
	*until = poll_read_point(p, now);
	*since = p->cursor - POLL_OVERLAP_S;
	if (*since < p->floor)
		*since = p->floor;
	return p->cursor > 0 ? PD_OK : PD_ERR_NOT_FOUND;
}

/* serve's periodic pass, logging when a catch-up is done. */
enum pd_err
poll_run(struct poller *p, int64_t now)
{
	struct poll_stats st;
	int64_t since, until, started = p->catch_up;
	enum pd_err rc;
	char a[32], b[32], took[48];

	poll_window_from_cursor(p, now, &since, &until);
	/* Nothing new to read yet (the first pass after a first start, or a clock step back). */
	if (until <= p->cursor)
		return PD_OK;
	rc = poll_pass(p, since, until, &st);
	p->caught.read += st.read;
	p->caught.emitted += st.emitted;
	p->caught.duplicates += st.duplicates;
	p->caught.splits += st.splits;
	if (rc != PD_OK)
		return rc;
	metrics_poll(p->cursor * 1000, now_ms());
	poll_iso(since, a, sizeof a);
	poll_iso(until, b, sizeof b);
	log_debug("poll: %s to %s: %zu entries read (%zu again), %zu triggers, %zu duplicates, "
	          "%zu without a V3 event, %zu filtered out",
	          a, b, st.read, st.reread, st.emitted, st.duplicates, st.unmapped, st.filtered);
	if (started > 0) {
		poll_iso(started, a, sizeof a);
		poll_duration(until - started, took, sizeof took);
		log_info("poll: caught up from %s to %s (%s): %zu log entries read, %zu triggers, "
		         "%zu duplicates, %zu window splits",
		         a, b, took, p->caught.read, p->caught.emitted, p->caught.duplicates,
		         p->caught.splits);
		p->catch_up = 0;
	}
	return PD_OK;
}

/* The error object of the last request that failed in the last pass, or NULL. */
const json_t *
poll_last_error(struct poller *p)
{
	return p->last_error;
}
