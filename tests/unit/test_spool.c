/*
 * test_spool.c: the durable spool through its public API: group commit
 * callbacks on a real event loop, seq order, durability across close and
 * open and across kill -9, dedup by event_id and X-Webhook-Id, capacity,
 * delivery outcomes, fetch, stats, pruning and error paths. Each test runs
 * in its own temp directory, removed afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "st2pd.h"

#define DAY_MS     86400000LL
#define MAXREC     2048
#define GUARD_SECS 120 /* a hung test fails instead of blocking ctest */

struct harness;

/* What one submission's callback reported. */
struct cbrec {
	struct harness *h;
	int called;
	enum pd_err result;
	int duplicate;
};

struct harness {
	char *dir;
	struct event_base *base;
	struct event *guard;
	struct spool *s;
	int timed_out;
	int ncalled;
	int nnotify;
	/* What notify was handed, on the writer thread: guarded by nmu. */
	pthread_mutex_t nmu;
	size_t nhanded;
	char handed[MAXREC][32];
	int64_t handed_seq[MAXREC];
	struct cbrec rec[MAXREC];
};

/* nftw callback: removes one entry, children first. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* rm -rf. */
static void
rm_rf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Commit callback: records the result in its cbrec. */
static void
commit_cb(enum pd_err result, int duplicate, void *arg)
{
	struct cbrec *r = arg;

	r->called++;
	r->result = result;
	r->duplicate = duplicate;
	r->h->ncalled++;
}

/* Notify callback (writer thread): counts commits that inserted, keeps the events' ids. */
static void
notify_cb(struct spool_event **evs, size_t n, void *arg)
{
	struct harness *h = arg;
	size_t i;

	pthread_mutex_lock(&h->nmu);
	h->nnotify++;
	for (i = 0; i < n; i++) {
		if (h->nhanded < MAXREC) {
			snprintf(h->handed[h->nhanded], sizeof h->handed[0], "%s",
			         evs[i]->event_id);
			h->handed_seq[h->nhanded++] = evs[i]->seq;
		}
		spool_event_free(evs[i]);
	}
	pthread_mutex_unlock(&h->nmu);
}

/* Guard timer: stops a loop that would otherwise wait forever. */
static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	struct harness *h = arg;

	h->timed_out = 1;
	event_base_loopbreak(h->base);
}

/* A complete event, as payload.c would build it. */
static struct spool_event *
mkev(const char *id, const char *webhook_id, const char *incident, int64_t received)
{
	struct spool_event *ev = xcalloc(1, sizeof *ev);

	ev->event_id = xstrdup(id);
	ev->webhook_id = webhook_id != NULL ? xstrdup(webhook_id) : NULL;
	ev->event_type = xstrdup("incident.triggered");
	ev->trigger = xstrdup("pagerduty.incident.triggered");
	ev->order_key = xasprintf("incident:%s", incident);
	ev->payload = xasprintf("{\"event_id\":\"%s\",\"event_type\":\"incident.triggered\"}", id);
	ev->payload_len = strlen(ev->payload);
	ev->received_ms = received;
	return ev;
}

/* Opens the spool in the harness directory and starts its writer. */
static void
h_open(struct harness *h, long max_events)
{
	assert_int_equal(spool_open(h->dir, DURABILITY_OS, max_events, &h->s), PD_OK);
	assert_int_equal(spool_start(h->s, h->base, notify_cb, h), PD_OK);
}

/* Closes (flushing every queued write) and opens again. */
static void
h_reopen(struct harness *h, long max_events)
{
	spool_close(h->s);
	h->s = NULL;
	h_open(h, max_events);
}

/* Submits one event with callback record i; asserts it was taken. */
static void
h_submit(struct harness *h, int i, struct spool_event *ev)
{
	assert_true(i < MAXREC);
	h->rec[i].h = h;
	assert_int_equal(spool_submit(h->s, ev, commit_cb, &h->rec[i]), PD_OK);
}

/* Runs the loop until n callbacks in all have run. */
static void
h_wait(struct harness *h, int n)
{
	while (h->ncalled < n && !h->timed_out)
		event_base_loop(h->base, EVLOOP_ONCE);
	assert_false(h->timed_out);
	assert_int_equal(h->ncalled, n);
}

/* One value from a query run directly on the spool database. */
static int64_t
db_int(struct harness *h, const char *sql)
{
	char *path = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE);
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return v;
}

/* Runs SQL directly on the spool database. */
static void
db_exec(struct harness *h, const char *sql)
{
	char *path = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE);
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
}

/* Fetches every pending event; frees nothing. */
static size_t
fetch_all(struct harness *h, struct spool_event ***out)
{
	return spool_fetch(h->s, 0, MAXREC, out);
}

/* Frees a fetched array. */
static void
free_fetched(struct spool_event **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		spool_event_free(v[i]);
	free(v);
}

/* seq of a pending event, by event id (fails if not pending). */
static int64_t
pending_seq(struct harness *h, const char *id)
{
	struct spool_event **v;
	size_t n, i;
	int64_t seq = -1;

	n = fetch_all(h, &v);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->event_id, id) == 0)
			seq = v[i]->seq;
	}
	free_fetched(v, n);
	assert_true(seq > 0);
	return seq;
}

/* A temp directory (the spool goes in a subdirectory) and an event base. */
static int
setup(void **state)
{
	struct harness *h = xcalloc(1, sizeof *h);
	struct timeval tv = {GUARD_SECS, 0};
	char tmpl[] = "/tmp/test_spool.XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	h->dir = xasprintf("%s/spool", tmpl); /* spool_open creates it */
	pthread_mutex_init(&h->nmu, NULL);
	h->base = event_base_new();
	assert_non_null(h->base);
	/* Keeps EVLOOP_ONCE blocking (done_ev is only ever activated) and bounds a hang. */
	h->guard = evtimer_new(h->base, guard_cb, h);
	evtimer_add(h->guard, &tv);
	*state = h;
	return 0;
}

/* Closes whatever the test left open and removes the temp directory. */
static int
teardown(void **state)
{
	struct harness *h = *state;
	char *top = xstrdup(h->dir);

	spool_close(h->s);
	event_free(h->guard);
	event_base_free(h->base);
	*strrchr(top, '/') = '\0';
	rm_rf(top);
	free(top);
	free(h->dir);
	pthread_mutex_destroy(&h->nmu);
	free(h);
	return 0;
}

/* Every submission is acknowledged, in seq order, and comes back intact after reopening. */
static void
test_submit_fetch_reopen(void **state)
{
	struct harness *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	enum { N = 500 };
	char id[32], wid[32], payload[128];
	size_t n, i;
	int64_t t0 = now_ms() - 60000;

	h_open(h, 0);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "ev-%03zu", i);
		snprintf(wid, sizeof wid, "wh-%03zu", i);
		h_submit(h, (int)i, mkev(id, wid, i % 2 ? "P1" : "P2", t0 + (int64_t)i));
	}
	h_wait(h, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(h->rec[i].called, 1);
		assert_int_equal(h->rec[i].result, PD_OK);
		assert_int_equal(h->rec[i].duplicate, 0);
	}
	assert_true(h->nnotify >= 1);

	spool_stats(h->s, &st);
	assert_int_equal(st.pending, N);
	assert_int_equal(st.dead, 0);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.oldest_pending_ms, t0);

	for (int round = 0; round < 2; round++) {
		n = fetch_all(h, &v);
		assert_int_equal(n, N);
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof id, "ev-%03zu", i);
			snprintf(wid, sizeof wid, "wh-%03zu", i);
			snprintf(payload, sizeof payload,
			         "{\"event_id\":\"%s\",\"event_type\":\"incident.triggered\"}", id);
			if (i > 0)
				assert_true(v[i]->seq > v[i - 1]->seq);
			assert_string_equal(v[i]->event_id, id);
			assert_string_equal(v[i]->webhook_id, wid);
			assert_string_equal(v[i]->event_type, "incident.triggered");
			assert_string_equal(v[i]->trigger, "pagerduty.incident.triggered");
			assert_string_equal(v[i]->order_key, i % 2 ? "incident:P1" : "incident:P2");
			assert_string_equal(v[i]->payload, payload);
			assert_int_equal(v[i]->payload_len, strlen(payload));
			assert_int_equal(v[i]->received_ms, t0 + (int64_t)i);
			assert_int_equal(v[i]->state, SPOOL_PENDING);
			assert_int_equal(v[i]->attempts, 0);
			assert_int_equal(v[i]->next_attempt_ms, 0);
			assert_null(v[i]->last_error);
			assert_null(v[i]->dead_reason);
		}
		free_fetched(v, n);
		/* Everything acknowledged is on disk: it all comes back. */
		h_reopen(h, 0);
	}
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, N);
}

/* spool_fetch honours after and max. */
static void
test_fetch_after(void **state)
{
	struct harness *h = *state;
	struct spool_event **v, **w;
	size_t n, m, i;
	char id[32];

	h_open(h, 0);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof id, "f-%zu", i);
		h_submit(h, (int)i, mkev(id, NULL, "P1", 1000));
	}
	h_wait(h, 10);
	n = fetch_all(h, &v);
	assert_int_equal(n, 10);

	m = spool_fetch(h->s, v[3]->seq, 4, &w);
	assert_int_equal(m, 4);
	for (i = 0; i < m; i++)
		assert_int_equal(w[i]->seq, v[4 + i]->seq);
	free_fetched(w, m);

	m = spool_fetch(h->s, v[9]->seq, 100, &w);
	assert_int_equal(m, 0);
	assert_null(w);
	m = spool_fetch(h->s, 0, 0, &w);
	assert_int_equal(m, 0);
	free_fetched(v, n);
}

/* Same event_id or same X-Webhook-Id is a duplicate, within one batch and across batches. */
static void
test_duplicates(void **state)
{
	struct harness *h = *state;
	int notified;

	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &h->s), PD_OK);
	/* Queued before the writer starts, so all five share one transaction. */
	h->rec[0].h = h->rec[1].h = h->rec[2].h = h->rec[3].h = h->rec[4].h = h;
	assert_int_equal(spool_submit(h->s, mkev("e1", "w1", "P1", 1), commit_cb, &h->rec[0]),
	                 PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("e1", "w2", "P1", 2), commit_cb, &h->rec[1]),
	                 PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("e3", "w1", "P1", 3), commit_cb, &h->rec[2]),
	                 PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("e4", NULL, "P1", 4), commit_cb, &h->rec[3]),
	                 PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("e5", NULL, "P1", 5), commit_cb, &h->rec[4]),
	                 PD_OK);
	assert_int_equal(spool_start(h->s, h->base, notify_cb, h), PD_OK);
	h_wait(h, 5);
	assert_int_equal(h->rec[0].duplicate, 0);
	assert_int_equal(h->rec[1].duplicate, 1); /* same event_id */
	assert_int_equal(h->rec[2].duplicate, 1); /* same webhook id */
	assert_int_equal(h->rec[3].duplicate, 0); /* NULL webhook ids never clash */
	assert_int_equal(h->rec[4].duplicate, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(h->rec[i].result, PD_OK);
	/* The new events, not the duplicates, were handed over with their seqs, in order. */
	pthread_mutex_lock(&h->nmu);
	assert_int_equal(h->nnotify, 1);
	assert_int_equal(h->nhanded, 3);
	assert_string_equal(h->handed[0], "e1");
	assert_string_equal(h->handed[1], "e4");
	assert_string_equal(h->handed[2], "e5");
	/* Increasing, not contiguous: a refused duplicate still uses up a seq. */
	assert_true(h->handed_seq[0] > 0);
	assert_true(h->handed_seq[1] > h->handed_seq[0]);
	assert_true(h->handed_seq[2] > h->handed_seq[1]);
	pthread_mutex_unlock(&h->nmu);

	/* A later batch of duplicates only: acknowledged, no new row, no notify. */
	notified = h->nnotify;
	h_submit(h, 5, mkev("e1", NULL, "P1", 6));
	h_submit(h, 6, mkev("e9", "w1", "P1", 7));
	h_wait(h, 7);
	assert_int_equal(h->rec[5].duplicate, 1);
	assert_int_equal(h->rec[6].duplicate, 1);
	assert_int_equal(h->rec[5].result, PD_OK);
	assert_int_equal(h->nnotify, notified);

	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(db_int(h, "SELECT count(*) FROM events"), 3);
	assert_int_equal(db_int(h, "SELECT received_ms FROM events WHERE event_id = 'e1'"), 1);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE webhook_id = 'w1'"), 1);
}

/* pending + dead (+ queued) is capped; delivered rows do not count. */
static void
test_capacity(void **state)
{
	struct harness *h = *state;

	/* Not started yet: the first three are only queued, and queued counts too. */
	assert_int_equal(spool_open(h->dir, DURABILITY_OS, 3, &h->s), PD_OK);
	h_submit(h, 0, mkev("c1", NULL, "P1", 1));
	h_submit(h, 1, mkev("c2", NULL, "P1", 2));
	h_submit(h, 2, mkev("c3", NULL, "P1", 3));
	assert_int_equal(spool_submit(h->s, mkev("c4", NULL, "P1", 4), commit_cb, &h->rec[3]),
	                 PD_ERR_SPOOL_FULL);
	assert_int_equal(spool_start(h->s, h->base, notify_cb, h), PD_OK);
	h_wait(h, 3);
	assert_int_equal(spool_submit(h->s, mkev("c4", NULL, "P1", 4), commit_cb, &h->rec[3]),
	                 PD_ERR_SPOOL_FULL);
	assert_int_equal(h->rec[3].called, 0);

	/* One delivered frees a place. */
	spool_delivered(h->s, pending_seq(h, "c1"));
	h_reopen(h, 3);
	h_submit(h, 3, mkev("c4", NULL, "P1", 4));
	h_wait(h, 4);
	assert_int_equal(h->rec[3].result, PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("c5", NULL, "P1", 5), commit_cb, &h->rec[4]),
	                 PD_ERR_SPOOL_FULL);

	/* A dead letter still holds its place. */
	spool_dead(h->s, pending_seq(h, "c2"), 1, "st2 answered 400");
	h_reopen(h, 3);
	assert_int_equal(spool_submit(h->s, mkev("c5", NULL, "P1", 5), commit_cb, &h->rec[4]),
	                 PD_ERR_SPOOL_FULL);
	/* A larger limit takes it. */
	h_reopen(h, 4);
	h_submit(h, 4, mkev("c5", NULL, "P1", 5));
	h_wait(h, 5);
	assert_int_equal(h->rec[4].result, PD_OK);
	assert_int_equal(h->rec[4].duplicate, 0);
}

/* Delivered, retry-later and dead outcomes reach the disk; stale outcomes change nothing. */
static void
test_outcomes(void **state)
{
	struct harness *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	int64_t s1, s2, s3, next = now_ms() + 30000, t0 = now_ms();
	size_t n;

	h_open(h, 0);
	h_submit(h, 0, mkev("o1", "wo1", "P1", 1));
	h_submit(h, 1, mkev("o2", "wo2", "P1", 2));
	h_submit(h, 2, mkev("o3", "wo3", "P2", 3));
	h_wait(h, 3);
	s1 = pending_seq(h, "o1");
	s2 = pending_seq(h, "o2");
	s3 = pending_seq(h, "o3");

	spool_retry_later(h->s, s1, 1, next, "st2 answered 503");
	spool_delivered(h->s, s1);
	spool_retry_later(h->s, s2, 2, next, "connection refused");
	spool_dead(h->s, s3, 5, "st2 answered 400: unknown trigger");
	/* Outcomes for rows no longer pending: ignored. */
	spool_dead(h->s, s1, 9, "late");
	spool_retry_later(h->s, s3, 9, next, "late");
	h_reopen(h, 0);

	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.dead, 1);
	assert_int_equal(st.oldest_pending_ms, 2);

	n = fetch_all(h, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->seq, s2);
	assert_int_equal(v[0]->attempts, 2);
	assert_int_equal(v[0]->next_attempt_ms, next);
	assert_string_equal(v[0]->last_error, "connection refused");
	free_fetched(v, n);

	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'o1'"), 1);
	/* The successful attempt counts: one failure plus one success. */
	assert_int_equal(db_int(h, "SELECT attempts FROM events WHERE event_id = 'o1'"), 2);
	assert_true(db_int(h, "SELECT delivered_ms FROM events WHERE event_id = 'o1'") >= t0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'o3'"), 2);
	assert_int_equal(db_int(h, "SELECT attempts FROM events WHERE event_id = 'o3'"), 5);
	assert_true(db_int(h, "SELECT dead_ms FROM events WHERE event_id = 'o3'") >= t0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'o3' AND "
	                           "dead_reason = 'st2 answered 400: unknown trigger'"),
	                 1);
}

/* Delivered rows go after the horizon (both received and delivered before it); others stay. */
static void
test_prune(void **state)
{
	struct harness *h = *state;
	int64_t now = now_ms(), old = now - 10 * DAY_MS;

	h_open(h, 0);
	h_submit(h, 0, mkev("old1", "wold1", "P1", old));
	h_submit(h, 1, mkev("old2", NULL, "P1", old + 1));
	h_submit(h, 2, mkev("oldpending", NULL, "P2", old + 2)); /* not behind "new" */
	h_submit(h, 3, mkev("olddead", NULL, "P1", old + 3));
	h_submit(h, 4, mkev("new", NULL, "P1", now));
	h_wait(h, 5);
	spool_delivered(h->s, pending_seq(h, "old1"));
	spool_delivered(h->s, pending_seq(h, "old2"));
	spool_delivered(h->s, pending_seq(h, "new"));
	spool_dead(h->s, pending_seq(h, "olddead"), 3, "rejected");
	/* Delivered just now: inside the horizon even though received 10 days ago. */
	spool_prune(h->s, now_ms());
	h_reopen(h, 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE state = 1"), 3);

	/* old1 was delivered 8 days ago: only it goes at the real clock. */
	spool_close(h->s);
	h->s = NULL;
	db_exec(h, "UPDATE events SET delivered_ms = delivered_ms - 8 * 86400000 "
	           "WHERE event_id = 'old1'");
	h_open(h, 0);
	spool_prune(h->s, now_ms());
	h_reopen(h, 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'old1'"), 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE state = 1"), 2);

	/* Past the horizon the dedup forgets old1 but still knows old2. */
	h_submit(h, 5, mkev("old1", "wold1", "P1", old));
	h_submit(h, 6, mkev("old2", NULL, "P1", old + 1));
	h_wait(h, 7);
	assert_int_equal(h->rec[5].duplicate, 0);
	assert_int_equal(h->rec[6].duplicate, 1);

	/* Eight days on, every delivered row goes; pending and dead ones never. */
	spool_prune(h->s, now_ms() + 8 * DAY_MS);
	h_reopen(h, 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE state = 1"), 0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'oldpending'"), 0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'olddead'"), 2);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'old1'"), 0);
	/* Every pruned row took its payload along. */
	assert_int_equal(db_int(h, "SELECT count(*) FROM payloads"),
	                 db_int(h, "SELECT count(*) FROM events"));
	assert_int_equal(db_int(h, "SELECT count(*) FROM payloads WHERE seq NOT IN "
	                           "(SELECT seq FROM events)"),
	                 0);
}

/* A version 2 spool (payload inside events) is rebuilt as version 3 with nothing lost. */
static void
test_migrate_v2(void **state)
{
	struct harness *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	size_t n;

	assert_int_equal(mkdir(h->dir, 0750), 0);
	db_exec(h,
	        "PRAGMA journal_mode = WAL;"
	        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	        " event_id TEXT NOT NULL UNIQUE, webhook_id TEXT UNIQUE, event_type TEXT,"
	        " \"trigger\" TEXT, order_key TEXT, payload TEXT NOT NULL,"
	        " received_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
	        " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	        " delivered_ms INTEGER, dead_ms INTEGER, last_error TEXT, dead_reason TEXT);"
	        "CREATE INDEX events_pending ON events (seq) WHERE state = 0;"
	        "CREATE INDEX events_delivered ON events (delivered_ms) WHERE state = 1;"
	        "CREATE INDEX events_dead ON events (seq) WHERE state = 2;"
	        "INSERT INTO events (seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
	        " payload, received_ms, state, attempts, last_error) VALUES"
	        " (4, 'm-pending', 'w-1', 'incident.triggered', 'pagerduty.incident.triggered',"
	        " 'incident:P1', '{\"p\":1}', 1000, 0, 2, 'st2 answered 503');"
	        "INSERT INTO events (seq, event_id, event_type, \"trigger\", payload, received_ms,"
	        " state, delivered_ms) VALUES (5, 'm-delivered', 'incident.resolved',"
	        " 'pagerduty.incident.resolved', '{\"p\":2}', 2000, 1, 3000);"
	        "INSERT INTO events (seq, event_id, event_type, \"trigger\", payload, received_ms,"
	        " state, dead_ms, dead_reason) VALUES (6, 'm-dead', 'incident.annotated',"
	        " 'pagerduty.incident.annotated', '{\"p\":3}', 4000, 2, 5000, 'st2 400');"
	        /* `spool retry` moved an event to 9, then it was purged: 7..9 are used. */
	        "UPDATE sqlite_sequence SET seq = 9 WHERE name = 'events';"
	        "PRAGMA user_version = 2;");

	h_open(h, 0);
	assert_int_equal(db_int(h, "PRAGMA user_version"), SPOOL_SCHEMA_VERSION);
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.dead, 1);
	n = fetch_all(h, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->seq, 4);
	assert_string_equal(v[0]->event_id, "m-pending");
	assert_string_equal(v[0]->payload, "{\"p\":1}");
	assert_int_equal(v[0]->attempts, 2);
	assert_string_equal(v[0]->last_error, "st2 answered 503");
	free_fetched(v, n);
	assert_int_equal(db_int(h, "SELECT count(*) FROM payloads"), 3);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'm-dead' AND "
	                           "dead_reason = 'st2 400' AND dead_ms = 5000"),
	                 1);

	/* Dedup still knows the old rows, and no seq is reused. */
	h_submit(h, 0, mkev("m-delivered", NULL, "P1", 1));
	h_submit(h, 1, mkev("m-new", NULL, "P1", 1));
	h_wait(h, 2);
	assert_int_equal(h->rec[0].duplicate, 1);
	assert_int_equal(h->rec[1].duplicate, 0);
	/* Above the old high-water mark (a duplicate may use up a seq too). */
	assert_true(pending_seq(h, "m-new") > 9);

	/* A payload follows its event to a new seq, as `spool retry` moves it. */
	spool_close(h->s);
	h->s = NULL;
	db_exec(h, "UPDATE events SET seq = 20, state = 0 WHERE event_id = 'm-dead'");
	assert_int_equal(db_int(h, "SELECT count(*) FROM payloads WHERE seq = 20 AND "
	                           "payload = '{\"p\":3}'"),
	                 1);
	assert_int_equal(db_int(h, "SELECT count(*) FROM payloads WHERE seq = 6"), 0);
}

/*
 * A version 4 spool (the last release's) gets its events' transition and
 * source columns and their index; its rows, meta values, dedup and seqs
 * carry over.
 */
static void
test_migrate_v4(void **state)
{
	struct harness *h = *state;
	struct spool_event **v, *ev;
	size_t n;
	char *cursor;

	assert_int_equal(mkdir(h->dir, 0750), 0);
	db_exec(
	    h, "PRAGMA journal_mode = WAL;"
	       "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	       " event_id TEXT NOT NULL UNIQUE, webhook_id TEXT UNIQUE, event_type TEXT,"
	       " \"trigger\" TEXT, order_key TEXT, received_ms INTEGER NOT NULL,"
	       " state INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,"
	       " next_attempt_ms INTEGER NOT NULL DEFAULT 0, delivered_ms INTEGER,"
	       " dead_ms INTEGER, last_error TEXT, dead_reason TEXT);"
	       "CREATE TABLE payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
	       "CREATE INDEX events_pending ON events (seq) WHERE state = 0;"
	       "CREATE INDEX events_delivered ON events (delivered_ms) WHERE state = 1;"
	       "CREATE INDEX events_dead ON events (seq) WHERE state = 2;"
	       "CREATE TRIGGER payloads_move AFTER UPDATE OF seq ON events BEGIN"
	       " UPDATE payloads SET seq = new.seq WHERE seq = old.seq; END;"
	       "CREATE TRIGGER payloads_delete AFTER DELETE ON events BEGIN"
	       " DELETE FROM payloads WHERE seq = old.seq; END;"
	       "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	       "CREATE INDEX events_delivered_key ON events (order_key, seq) WHERE state = 1;"
	       "INSERT INTO events (seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
	       " received_ms) VALUES (7, 'v4-pending', 'w-7', 'incident.triggered',"
	       " 'pagerduty.incident.triggered', 'incident:P1', 1000);"
	       "INSERT INTO payloads (seq, payload) VALUES (7, '{\"p\":7}');"
	       "INSERT INTO events (seq, event_id, event_type, \"trigger\", order_key, received_ms,"
	       " state, delivered_ms) VALUES (8, 'v4-delivered', 'incident.resolved',"
	       " 'pagerduty.incident.resolved', 'incident:P2', 2000, 1, 3000);"
	       "INSERT INTO payloads (seq, payload) VALUES (8, '{\"p\":8}');"
	       "INSERT INTO meta (key, value) VALUES ('poll.cursor', '2026-11-29T00:00:00Z');"
	       "PRAGMA user_version = 4;");

	h_open(h, 0);
	assert_int_equal(db_int(h, "PRAGMA user_version"), SPOOL_SCHEMA_VERSION);
	assert_int_equal(db_int(h, "SELECT count(*) FROM pragma_index_list('events') WHERE name ="
	                           " 'events_transition'"),
	                 1);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE transition IS NULL AND "
	                           "source IS NULL"),
	                 2);
	cursor = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(cursor, "2026-11-29T00:00:00Z");
	free(cursor);
	n = fetch_all(h, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->event_id, "v4-pending");
	assert_string_equal(v[0]->payload, "{\"p\":7}");
	free_fetched(v, n);

	/* Old ids still dedup; a new keyed event is stored with its key and source. */
	h_submit(h, 0, mkev("v4-delivered", NULL, "P2", 1));
	ev = mkev("v5-new", NULL, "P3", 1);
	ev->transition = xstrdup("P3|incident.triggered|1795772400");
	ev->polled = 1;
	h_submit(h, 1, ev);
	h_wait(h, 2);
	assert_int_equal(h->rec[0].duplicate, 1);
	assert_int_equal(h->rec[1].duplicate, 0);
	assert_true(pending_seq(h, "v5-new") > 8);
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'v5-new' AND "
	                           "transition = 'P3|incident.triggered|1795772400' AND "
	                           "source = 'poll'"),
	                 1);
}

/* An event of one transition, from a webhook (polled 0) or the poller (1). */
static struct spool_event *
mkev_t(const char *id, const char *incident, const char *transition, int polled)
{
	struct spool_event *ev = mkev(id, NULL, incident, 1);

	ev->transition = xstrdup(transition);
	ev->polled = polled;
	return ev;
}

/*
 * One transition, two ways (spool.c's DESIGN): the other source's twin is
 * a duplicate, stored delivered without an order key or payload; a source's
 * own repeats are not twins; counts pair arrivals one to one.
 */
static void
test_transitions(void **state)
{
	struct harness *h = *state;
	struct spool_stats st;
	int i = 0;

	h_open(h, 0);
	/* The webhook first, then the same transition polled: one trigger. */
	h_submit(h, i++, mkev_t("W1", "PA", "PA|incident.triggered|100", 0));
	h_wait(h, i);
	h_submit(h, i++, mkev_t("L1", "PA", "PA|incident.triggered|100", 1));
	h_wait(h, i);
	assert_int_equal(h->rec[0].duplicate, 0);
	assert_int_equal(h->rec[1].duplicate, 1);
	/* Read again after a restart: a duplicate by its id, not counted twice. */
	h_reopen(h, 0);
	h_submit(h, i++, mkev_t("L1", "PA", "PA|incident.triggered|100", 1));
	h_wait(h, i);
	assert_int_equal(h->rec[2].duplicate, 1);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE transition = "
	                           "'PA|incident.triggered|100'"),
	                 2);

	/* Polled first, the webhook late (PagerDuty retrying): still one. */
	h_submit(h, i++, mkev_t("L2", "PB", "PB|incident.resolved|200", 1));
	h_wait(h, i);
	h_submit(h, i++, mkev_t("W2", "PB", "PB|incident.resolved|200", 0));
	h_wait(h, i);
	assert_int_equal(h->rec[3].duplicate, 0);
	assert_int_equal(h->rec[4].duplicate, 1);

	/*
	 * Two notes in one second: two webhooks, both emitted; their two log
	 * entries are their twins; a third log entry (a note the webhooks lost)
	 * is emitted. All in one batch, too.
	 */
	h_submit(h, i++, mkev_t("W3a", "PC", "PC|incident.annotated|300", 0));
	h_submit(h, i++, mkev_t("W3b", "PC", "PC|incident.annotated|300", 0));
	h_submit(h, i++, mkev_t("L3a", "PC", "PC|incident.annotated|300", 1));
	h_submit(h, i++, mkev_t("L3b", "PC", "PC|incident.annotated|300", 1));
	h_submit(h, i++, mkev_t("L3c", "PC", "PC|incident.annotated|300", 1));
	h_wait(h, i);
	assert_int_equal(h->rec[5].duplicate, 0);
	assert_int_equal(h->rec[6].duplicate, 0);
	assert_int_equal(h->rec[7].duplicate, 1);
	assert_int_equal(h->rec[8].duplicate, 1);
	assert_int_equal(h->rec[9].duplicate, 0);
	/* Another second, another type or another incident is another transition. */
	h_submit(h, i++, mkev_t("L4", "PC", "PC|incident.annotated|301", 1));
	h_submit(h, i++, mkev_t("L5", "PC", "PC|incident.acknowledged|300", 1));
	h_submit(h, i++, mkev_t("L6", "PD", "PD|incident.annotated|300", 1));
	h_wait(h, i);
	assert_int_equal(h->rec[10].duplicate + h->rec[11].duplicate + h->rec[12].duplicate, 0);

	/* A twin is on record, delivered (by its other half), but never sent. */
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 8);   /* W1 L2 W3a W3b L3c L4 L5 L6 */
	assert_int_equal(st.delivered, 4); /* L1 W2 L3a L3b */
	assert_int_equal(db_int(h,
	                        "SELECT count(*) FROM events WHERE state = 1 AND order_key IS "
	                        "NULL AND last_error LIKE 'not sent:%' AND (SELECT count(*) FROM "
	                        "payloads WHERE payloads.seq = events.seq) = 0"),
	                 4);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'W2' AND "
	                           "source = 'webhook' AND last_error = 'not sent: the poller "
	                           "brought the same transition'"),
	                 1);
	/*
	 * A twin newer than a pending event of its incident does not make the
	 * repair at open take that event for delivered.
	 */
	h_reopen(h, 0);
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 8);
	assert_true(pending_seq(h, "W3a") > 0);
}

/*
 * While the spool stays open, the WAL is copied back into spool.db (by the
 * checkpointer thread) instead of growing with every event.
 */
static void
test_checkpoints(void **state)
{
	struct harness *h = *state;
	enum { N = 1500, PAYLOAD = 4096 };
	char *db = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE), *wal = xasprintf("%s-wal", db);
	struct spool_event *ev;
	struct stat st;
	char id[32];
	int i, tries;

	h_open(h, 0);
	assert_int_equal(stat(db, &st), 0);
	assert_true(st.st_size < 1024 * 1024);
	/*
	 * 1500 payloads of 4 KB: over 1500 WAL pages, past the 1000 that call a
	 * checkpoint, which copies at least 2 MB of them into spool.db.
	 */
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "cp-%04d", i);
		ev = mkev(id, NULL, "P1", 1);
		free(ev->payload);
		ev->payload = xmalloc(PAYLOAD + 1);
		memset(ev->payload, 'x', PAYLOAD);
		ev->payload[PAYLOAD] = '\0';
		ev->payload_len = PAYLOAD;
		h_submit(h, i, ev);
		if (i % 100 == 99)
			h_wait(h, i + 1);
	}
	h_wait(h, N);
	/* The checkpoint runs beside the writer: give it a moment, the spool still open. */
	for (tries = 0; tries < 100; tries++) {
		assert_int_equal(stat(db, &st), 0);
		if (st.st_size > 2 * 1024 * 1024)
			break;
		usleep(50000);
	}
	assert_true(st.st_size > 2 * 1024 * 1024);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size < 64 * 1024 * 1024);
	free(db);
	free(wal);
}

/* Callback that submits during spool_close: must be refused at once. */
static void
closing_cb(enum pd_err result, int duplicate, void *arg)
{
	struct cbrec *r = arg;
	struct spool_event *ev = mkev("late", NULL, "P1", 1);

	commit_cb(result, duplicate, arg);
	/* Refused, and freed all the same (ASan checks that). */
	assert_int_equal(spool_submit(r->h->s, ev, commit_cb, r), PD_ERR_SPOOL_IO);
}

/* spool_close commits what is queued and runs the callbacks before returning. */
static void
test_close_runs_callbacks(void **state)
{
	struct harness *h = *state;
	struct spool_event *bad;

	/* Never started: close commits on the calling thread. */
	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &h->s), PD_OK);
	h->rec[0].h = h->rec[1].h = h;
	assert_int_equal(spool_submit(h->s, mkev("q1", NULL, "P1", 1), commit_cb, &h->rec[0]),
	                 PD_OK);
	assert_int_equal(spool_submit(h->s, mkev("q2", NULL, "P1", 2), NULL, NULL), PD_OK);
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(h->rec[0].called, 1);
	assert_int_equal(h->rec[0].result, PD_OK);

	/* Started, loop never run: the callbacks still run inside close. */
	h_open(h, 0);
	h->rec[1].h = h;
	assert_int_equal(spool_submit(h->s, mkev("q3", NULL, "P1", 3), closing_cb, &h->rec[1]),
	                 PD_OK);
	spool_delivered(h->s, pending_seq(h, "q1"));
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(h->rec[1].called, 1);
	assert_int_equal(h->rec[1].result, PD_OK);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE state = 0"), 2);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'q1'"), 1);

	/* An event without an id is refused (and freed). */
	h_open(h, 0);
	bad = mkev("x", NULL, "P1", 1);
	free(bad->event_id);
	bad->event_id = NULL;
	assert_int_equal(spool_submit(h->s, bad, commit_cb, &h->rec[2]), PD_ERR_VALIDATION);
	assert_int_equal(h->rec[2].called, 0);
}

/* A failed commit answers PD_ERR_SPOOL_IO and makes the spool unwritable until one succeeds. */
static void
test_commit_failure(void **state)
{
	struct harness *h = *state;
	struct spool_stats st;
	char *path = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE);
	sqlite3 *db;

	h_open(h, 1);
	assert_true(spool_writable(h->s));
	/* Another process holds the write lock past the busy timeout. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	h_submit(h, 0, mkev("b1", NULL, "P1", 1));
	h_wait(h, 1);
	assert_int_equal(h->rec[0].result, PD_ERR_SPOOL_IO);
	assert_int_equal(h->rec[0].duplicate, 0);
	assert_false(spool_writable(h->s));
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 0);

	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
	/* The failed submission released its place (max_events is 1). */
	h_submit(h, 1, mkev("b1", NULL, "P1", 1));
	h_wait(h, 2);
	assert_int_equal(h->rec[1].result, PD_OK);
	assert_int_equal(h->rec[1].duplicate, 0);
	assert_true(spool_writable(h->s));
}

/*
 * A VFS over the default one whose writes fail with SQLITE_FULL while
 * fault_full is set: a full disk, without filling one. Registered as the
 * default VFS, so the spool's connections use it unawares.
 */
static _Atomic int fault_full;
static sqlite3_vfs fault_vfs;
static sqlite3_io_methods fault_methods;

struct fault_file {
	sqlite3_file base;
	sqlite3_file *real; /* follows this struct in the same allocation */
};

static int
fault_close(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xClose(ff->real);
}

static int
fault_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xRead(ff->real, buf, n, off);
}

static int
fault_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	struct fault_file *ff = (struct fault_file *)f;

	if (fault_full)
		return SQLITE_FULL;
	return ff->real->pMethods->xWrite(ff->real, buf, n, off);
}

static int
fault_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xTruncate(ff->real, size);
}

static int
fault_sync(sqlite3_file *f, int flags)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xSync(ff->real, flags);
}

static int
fault_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xFileSize(ff->real, size);
}

static int
fault_lock(sqlite3_file *f, int level)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xLock(ff->real, level);
}

static int
fault_unlock(sqlite3_file *f, int level)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xUnlock(ff->real, level);
}

static int
fault_check_lock(sqlite3_file *f, int *out)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xCheckReservedLock(ff->real, out);
}

static int
fault_control(sqlite3_file *f, int op, void *arg)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xFileControl(ff->real, op, arg);
}

static int
fault_sector(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xSectorSize(ff->real);
}

static int
fault_device(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xDeviceCharacteristics(ff->real);
}

static int
fault_shm_map(sqlite3_file *f, int region, int size, int extend, void volatile **out)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xShmMap(ff->real, region, size, extend, out);
}

static int
fault_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xShmLock(ff->real, offset, n, flags);
}

static void
fault_shm_barrier(sqlite3_file *f)
{
	struct fault_file *ff = (struct fault_file *)f;

	ff->real->pMethods->xShmBarrier(ff->real);
}

static int
fault_shm_unmap(sqlite3_file *f, int del)
{
	struct fault_file *ff = (struct fault_file *)f;

	return ff->real->pMethods->xShmUnmap(ff->real, del);
}

static int
fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = real->xOpen(real, name, ff->real, flags, out);
	/* Version 2 (WAL's shared memory); no memory-mapped I/O, which would bypass xWrite. */
	f->pMethods = rc == SQLITE_OK ? &fault_methods : NULL;
	return rc;
}

/* Installs the VFS once, as the default. */
static void
fault_install(void)
{
	sqlite3_vfs *real;

	if (fault_vfs.zName != NULL)
		return;
	real = sqlite3_vfs_find(NULL);
	fault_vfs = *real;
	fault_vfs.zName = "fault";
	fault_vfs.pAppData = real;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real->szOsFile;
	fault_vfs.xOpen = fault_open;
	fault_methods = (sqlite3_io_methods){
	    .iVersion = 2,
	    .xClose = fault_close,
	    .xRead = fault_read,
	    .xWrite = fault_write,
	    .xTruncate = fault_truncate,
	    .xSync = fault_sync,
	    .xFileSize = fault_size,
	    .xLock = fault_lock,
	    .xUnlock = fault_unlock,
	    .xCheckReservedLock = fault_check_lock,
	    .xFileControl = fault_control,
	    .xSectorSize = fault_sector,
	    .xDeviceCharacteristics = fault_device,
	    .xShmMap = fault_shm_map,
	    .xShmLock = fault_shm_lock,
	    .xShmBarrier = fault_shm_barrier,
	    .xShmUnmap = fault_shm_unmap,
	};
	assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

/* Runs the loop (with the writer working beside it) until pred holds; fails at the guard. */
static void
h_wait_for(struct harness *h, int (*pred)(struct harness *))
{
	struct timeval tick = {0, 20000};

	while (!pred(h) && !h->timed_out) {
		event_base_loopexit(h->base, &tick);
		event_base_dispatch(h->base);
	}
	assert_false(h->timed_out);
}

static int
h_writable(struct harness *h)
{
	return spool_writable(h->s);
}

static int
h_delivered_recorded(struct harness *h)
{
	return db_int(h, "SELECT count(*) FROM events WHERE state = 1") == 2;
}

/*
 * A full disk: submissions are answered 503 (PD_ERR_SPOOL_IO) and the
 * spool is unwritable; delivery outcomes are kept, not lost. Once the disk
 * takes writes again, the spool says so by itself, with no new submission
 * (issue: /healthz stayed 503 until a POST succeeded), and the outcomes
 * are recorded (issue: delivered events stayed pending and were sent again).
 */
static void
test_disk_full_recovers(void **state)
{
	struct harness *h = *state;
	int64_t s1, s2;

	fault_install();
	h_open(h, 0);
	h_submit(h, 0, mkev("f1", NULL, "P1", 1));
	h_submit(h, 1, mkev("f2", NULL, "P2", 2));
	h_wait(h, 2);
	s1 = pending_seq(h, "f1");
	s2 = pending_seq(h, "f2");

	/* The outcomes go in first, so the failed batch of f3 holds them too. */
	fault_full = 1;
	spool_delivered(h->s, s1);
	spool_delivered(h->s, s2);
	h_submit(h, 2, mkev("f3", NULL, "P3", 3));
	h_wait(h, 3);
	assert_int_equal(h->rec[2].result, PD_ERR_SPOOL_IO);
	assert_false(spool_writable(h->s));
	fault_full = 0;
	h_wait_for(h, h_delivered_recorded);
	assert_true(spool_writable(h->s));
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE state = 0"), 0);
	assert_int_equal(db_int(h, "SELECT count(*) FROM events WHERE event_id = 'f3'"), 0);

	/* Nothing left to commit: the probe alone finds out that the disk is back. */
	fault_full = 1;
	h_submit(h, 3, mkev("f4", NULL, "P4", 4));
	h_wait(h, 4);
	assert_int_equal(h->rec[3].result, PD_ERR_SPOOL_IO);
	assert_false(spool_writable(h->s));
	fault_full = 0;
	h_wait_for(h, h_writable);
}

/*
 * Outcomes lost with the process: a pending event behind a delivered one
 * of its incident was delivered (the forwarder keeps a key in order) and
 * is marked so at open, not sent again after the newer one. A pending
 * event behind a dead letter, or of another incident, stays pending.
 */
static void
test_repair_lost_outcomes(void **state)
{
	struct harness *h = *state;

	h_open(h, 0);
	h_submit(h, 0, mkev("r1", NULL, "P1", 1));
	h_submit(h, 1, mkev("r2", NULL, "P1", 2));
	h_submit(h, 2, mkev("r3", NULL, "P2", 3));
	h_submit(h, 3, mkev("r4", NULL, "P2", 4));
	h_submit(h, 4, mkev("r5", NULL, "P3", 5));
	h_wait(h, 5);
	spool_delivered(h->s, pending_seq(h, "r2"));
	spool_dead(h->s, pending_seq(h, "r4"), 1, "rejected");
	h_reopen(h, 0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'r1'"), 1);
	assert_true(db_int(h, "SELECT delivered_ms FROM events WHERE event_id = 'r1'") > 0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'r3'"), 0);
	assert_int_equal(db_int(h, "SELECT state FROM events WHERE event_id = 'r5'"), 0);
}

static void
meta_cb(enum pd_err result, int duplicate, void *arg)
{
	struct cbrec *r = arg;

	r->called++;
	r->result = result;
	r->h->ncalled++;
}

/* Meta values: committed in queue order with the events, read back after a restart. */
static void
test_meta(void **state)
{
	struct harness *h = *state;
	char *v;

	h_open(h, 0);
	assert_null(spool_meta_get(h->s, "poll.cursor"));
	h_submit(h, 0, mkev("m1", NULL, "P1", 1));
	h->rec[1].h = h;
	spool_meta_set(h->s, "poll.cursor", "2026-11-29T00:00:00Z", meta_cb, &h->rec[1]);
	h_wait(h, 2);
	assert_int_equal(h->rec[1].result, PD_OK);
	v = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(v, "2026-11-29T00:00:00Z");
	free(v);
	h->rec[2].h = h;
	spool_meta_set(h->s, "poll.cursor", "later", meta_cb, &h->rec[2]);
	h_wait(h, 3);
	h_reopen(h, 0);
	v = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(v, "later");
	free(v);
}

/* Bad locations and foreign or future databases are refused. */
static void
test_open_errors(void **state)
{
	struct harness *h = *state;
	struct spool *s = (struct spool *)h; /* any non-NULL: a failed open clears it */
	struct stat st;
	char *file, *under, *nested, *db;
	int fd;
	mode_t old;

	file = xasprintf("%s.file", h->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(spool_open(file, DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);
	assert_null(s);
	under = xasprintf("%s/sub", file);
	assert_int_equal(spool_open(under, DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);
	assert_int_equal(spool_open("", DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);

	/* Parents are created, 0750. */
	old = umask(022);
	nested = xasprintf("%s/a/b", h->dir);
	assert_int_equal(spool_open(nested, DURABILITY_OS, 0, &s), PD_OK);
	umask(old);
	assert_true(spool_writable(s));
	spool_close(s);
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	*strrchr(nested, '/') = '\0';
	assert_int_equal(stat(nested, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);

	/* A newer schema is not touched. */
	db_exec(h, "PRAGMA user_version = 99");
	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);
	db_exec(h, "PRAGMA user_version = 1");

	/* Not a database at all. */
	db = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE);
	fd = open(db, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "this is not sqlite, just text padding it out......", 50), 50);
	close(fd);
	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);

	unlink(file);
	free(file);
	free(under);
	free(nested);
	free(db);
}

/* The crash child's state (a separate process: a global is simplest). */
static struct {
	int fd;
	int acked;
	int target;
	int kill;
} crash;

/* Child's commit callback: reports the id once durable, dies at the target. */
static void
crash_cb(enum pd_err result, int duplicate, void *arg)
{
	char line[64];
	int len;

	if (result != PD_OK)
		_exit(5);
	len = snprintf(line, sizeof line, "%s\n", (const char *)arg);
	if (write(crash.fd, line, (size_t)len) != len)
		_exit(6);
	if (++crash.acked == crash.target) {
		if (crash.kill)
			raise(SIGKILL);
		_exit(0);
	}
}

/* The child: submits many events and dies abruptly once target are acknowledged. */
static void PD_NORETURN
crash_child(const char *dir, int fd, int target, int kill, enum durability dur)
{
	enum { N = 2000 };
	struct event_base *base = event_base_new();
	struct event *keep = evtimer_new(base, NULL, NULL);
	struct timeval tv = {GUARD_SECS, 0};
	struct spool *s;
	char *id;
	int i;

	crash.fd = fd;
	crash.target = target;
	crash.kill = kill;
	if (spool_open(dir, dur, 0, &s) != PD_OK || spool_start(s, base, NULL, NULL) != PD_OK)
		_exit(3);
	for (i = 1; i <= N; i++) {
		/* Never freed: the process dies without cleaning up, on purpose. */
		id = xasprintf("crash-%04d", i);
		if (spool_submit(s, mkev(id, NULL, "P9", i), crash_cb, id) != PD_OK)
			_exit(4);
		/* Let callbacks run while submitting, so the kill lands mid-stream. */
		if (i % 100 == 0)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	evtimer_add(keep, &tv);
	event_base_dispatch(base);
	_exit(7); /* the guard fired: target never reached */
}

/* Every event acknowledged before an abrupt death is pending after reopening. */
static void
crash_case(struct harness *h, int kill, enum durability dur)
{
	enum { TARGET = 700 };
	char buf[65536], *line, *end, *sql;
	size_t len = 0;
	ssize_t got;
	pid_t pid;
	int p[2], status, n = 0;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(h->dir, p[1], TARGET, kill, dur);
	}
	close(p[1]);
	while ((got = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)got;
	close(p[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (kill) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	for (line = buf; (end = strchr(line, '\n')) != NULL; line = end + 1) {
		*end = '\0';
		sql = xasprintf("SELECT state FROM events WHERE event_id = '%s'", line);
		assert_int_equal(db_int(h, sql), SPOOL_PENDING);
		free(sql);
		n++;
	}
	assert_int_equal(n, TARGET);
	/* And the spool opens cleanly, every acknowledged event ready to forward. */
	h_open(h, 0);
	{
		struct spool_stats st;

		spool_stats(h->s, &st);
		assert_true(st.pending >= TARGET);
	}
}

/* kill -9 with durability fsync. */
static void
test_crash_sigkill(void **state)
{
	crash_case(*state, 1, DURABILITY_FSYNC);
}

/* _exit() without spool_close, durability os. */
static void
test_crash_exit(void **state)
{
	crash_case(*state, 0, DURABILITY_OS);
}

/* The spool needs a thread-enabled libevent, as serve sets it up. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_fetch_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_after, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v4, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_transitions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_close_runs_callbacks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_recovers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_repair_lost_outcomes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_sigkill, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_crash_exit, setup, teardown),
	};

	evthread_use_pthreads();
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
