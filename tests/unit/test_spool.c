/*
 * test_spool.c: the durable spool through its public API: group commit
 * callbacks on a real event loop, seq order, durability across close and
 * open, dedup by event_id and X-Webhook-Id and of a transition's twins,
 * capacity, delivery outcomes, fetch, stats, pruning, meta values and bad
 * locations. What the spool survives (old schemas, a full disk, a crash)
 * is test_spool_recovery.c. Each test runs in its own temp directory
 * (tests/lib/spoolrig.c), removed afterwards.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "spoolrig.h"

#define DAY_MS 86400000LL

/* Every submission is acknowledged, in seq order, and comes back intact after reopening. */
static void
test_submit_fetch_reopen(void **state)
{
	struct rig *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	enum { N = 500 };
	char id[32], wid[32], payload[128];
	size_t n, i;
	int64_t t0 = now_ms() - 60000;

	rig_open(h, 0);
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "ev-%03zu", i);
		snprintf(wid, sizeof wid, "wh-%03zu", i);
		rig_submit(h, (int)i, rig_event(id, wid, i % 2 ? "P1" : "P2", t0 + (int64_t)i));
	}
	rig_wait(h, N);
	for (i = 0; i < N; i++) {
		assert_int_equal(h->call[i].called, 1);
		assert_int_equal(h->call[i].result, PD_OK);
		assert_int_equal(h->call[i].duplicate, 0);
	}
	assert_true(h->nnotify >= 1);

	spool_stats(h->s, &st);
	assert_int_equal(st.pending, N);
	assert_int_equal(st.dead, 0);
	assert_int_equal(st.delivered, 0);
	assert_int_equal(st.oldest_pending_ms, t0);

	for (int round = 0; round < 2; round++) {
		n = rig_fetch(h, &v);
		assert_int_equal(n, N);
		for (i = 0; i < n; i++) {
			snprintf(id, sizeof id, "ev-%03zu", i);
			snprintf(wid, sizeof wid, "wh-%03zu", i);
			snprintf(payload, sizeof payload,
			         "{\"event_id\":\"%s\",\"event_type\":\"incident.triggered\","
			         "\"data\":{\"id\":\"%s\"}}",
			         id, i % 2 ? "P1" : "P2");
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
		rig_free(v, n);
		/* Everything acknowledged is on disk: it all comes back. */
		rig_reopen(h, 0);
	}
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, N);
}

/* spool_fetch honours after and max. */
static void
test_fetch_after(void **state)
{
	struct rig *h = *state;
	struct spool_event **v, **w;
	size_t n, m, i;
	char id[32];

	rig_open(h, 0);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof id, "f-%zu", i);
		rig_submit(h, (int)i, rig_event(id, NULL, "P1", 1000));
	}
	rig_wait(h, 10);
	n = rig_fetch(h, &v);
	assert_int_equal(n, 10);

	m = spool_fetch(h->s, v[3]->seq, 4, &w);
	assert_int_equal(m, 4);
	for (i = 0; i < m; i++)
		assert_int_equal(w[i]->seq, v[4 + i]->seq);
	rig_free(w, m);

	m = spool_fetch(h->s, v[9]->seq, 100, &w);
	assert_int_equal(m, 0);
	assert_null(w);
	m = spool_fetch(h->s, 0, 0, &w);
	assert_int_equal(m, 0);
	rig_free(v, n);
}

/* Same event_id or same X-Webhook-Id is a duplicate, within one batch and across batches. */
static void
test_duplicates(void **state)
{
	struct rig *h = *state;
	int notified;

	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &h->s), PD_OK);
	/* Queued before the writer starts, so all five share one transaction. */
	rig_submit(h, 0, rig_event("e1", "w1", "P1", 1));
	rig_submit(h, 1, rig_event("e1", "w2", "P1", 2));
	rig_submit(h, 2, rig_event("e3", "w1", "P1", 3));
	rig_submit(h, 3, rig_event("e4", NULL, "P1", 4));
	rig_submit(h, 4, rig_event("e5", NULL, "P1", 5));
	rig_start(h);
	rig_wait(h, 5);
	assert_int_equal(h->call[0].duplicate, 0);
	assert_int_equal(h->call[1].duplicate, 1); /* same event_id */
	assert_int_equal(h->call[2].duplicate, 1); /* same webhook id */
	assert_int_equal(h->call[3].duplicate, 0); /* NULL webhook ids never clash */
	assert_int_equal(h->call[4].duplicate, 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(h->call[i].result, PD_OK);
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
	rig_submit(h, 5, rig_event("e1", NULL, "P1", 6));
	rig_submit(h, 6, rig_event("e9", "w1", "P1", 7));
	rig_wait(h, 7);
	assert_int_equal(h->call[5].duplicate, 1);
	assert_int_equal(h->call[6].duplicate, 1);
	assert_int_equal(h->call[5].result, PD_OK);
	assert_int_equal(h->nnotify, notified);

	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events"), 3);
	assert_int_equal(
	    t_spool_int(h->dir, "SELECT received_ms FROM events WHERE event_id = 'e1'"), 1);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE webhook_id = 'w1'"),
	                 1);
}

/* pending + dead (+ queued) is capped; delivered rows do not count. */
static void
test_capacity(void **state)
{
	struct rig *h = *state;

	/* Not started yet: the first three are only queued, and queued counts too. */
	assert_int_equal(spool_open(h->dir, DURABILITY_OS, 3, &h->s), PD_OK);
	rig_submit(h, 0, rig_event("c1", NULL, "P1", 1));
	rig_submit(h, 1, rig_event("c2", NULL, "P1", 2));
	rig_submit(h, 2, rig_event("c3", NULL, "P1", 3));
	assert_int_equal(
	    spool_submit(h->s, rig_event("c4", NULL, "P1", 4), rig_commit_cb, &h->call[3]),
	    PD_ERR_SPOOL_FULL);
	rig_start(h);
	rig_wait(h, 3);
	assert_int_equal(
	    spool_submit(h->s, rig_event("c4", NULL, "P1", 4), rig_commit_cb, &h->call[3]),
	    PD_ERR_SPOOL_FULL);
	assert_int_equal(h->call[3].called, 0);

	/* One delivered frees a place. */
	spool_delivered(h->s, rig_pending_seq(h, "c1"));
	rig_reopen(h, 3);
	rig_submit(h, 3, rig_event("c4", NULL, "P1", 4));
	rig_wait(h, 4);
	assert_int_equal(h->call[3].result, PD_OK);
	assert_int_equal(
	    spool_submit(h->s, rig_event("c5", NULL, "P1", 5), rig_commit_cb, &h->call[4]),
	    PD_ERR_SPOOL_FULL);

	/* A dead letter still holds its place. */
	spool_dead(h->s, rig_pending_seq(h, "c2"), 1, "st2 answered 400");
	rig_reopen(h, 3);
	assert_int_equal(
	    spool_submit(h->s, rig_event("c5", NULL, "P1", 5), rig_commit_cb, &h->call[4]),
	    PD_ERR_SPOOL_FULL);
	/* A larger limit takes it. */
	rig_reopen(h, 4);
	rig_submit(h, 4, rig_event("c5", NULL, "P1", 5));
	rig_wait(h, 5);
	assert_int_equal(h->call[4].result, PD_OK);
	assert_int_equal(h->call[4].duplicate, 0);
}

/* Delivered, retry-later and dead outcomes reach the disk; stale outcomes change nothing. */
static void
test_outcomes(void **state)
{
	struct rig *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	int64_t s1, s2, s3, next = now_ms() + 30000, t0 = now_ms();
	size_t n;

	rig_open(h, 0);
	rig_submit(h, 0, rig_event("o1", "wo1", "P1", 1));
	rig_submit(h, 1, rig_event("o2", "wo2", "P1", 2));
	rig_submit(h, 2, rig_event("o3", "wo3", "P2", 3));
	rig_wait(h, 3);
	s1 = rig_pending_seq(h, "o1");
	s2 = rig_pending_seq(h, "o2");
	s3 = rig_pending_seq(h, "o3");

	spool_retry_later(h->s, s1, 1, next, "st2 answered 503");
	spool_delivered(h->s, s1);
	spool_retry_later(h->s, s2, 2, next, "connection refused");
	spool_dead(h->s, s3, 5, "st2 answered 400: unknown trigger");
	/* Outcomes for rows no longer pending: ignored. */
	spool_dead(h->s, s1, 9, "late");
	spool_retry_later(h->s, s3, 9, next, "late");
	rig_reopen(h, 0);

	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.dead, 1);
	assert_int_equal(st.oldest_pending_ms, 2);

	n = rig_fetch(h, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->seq, s2);
	assert_int_equal(v[0]->attempts, 2);
	assert_int_equal(v[0]->next_attempt_ms, next);
	assert_string_equal(v[0]->last_error, "connection refused");
	rig_free(v, n);

	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'o1'"), 1);
	/* The successful attempt counts: one failure plus one success. */
	assert_int_equal(t_spool_int(h->dir, "SELECT attempts FROM events WHERE event_id = 'o1'"),
	                 2);
	assert_true(t_spool_int(h->dir, "SELECT delivered_ms FROM events WHERE event_id = 'o1'") >=
	            t0);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'o3'"), 2);
	assert_int_equal(t_spool_int(h->dir, "SELECT attempts FROM events WHERE event_id = 'o3'"),
	                 5);
	assert_true(t_spool_int(h->dir, "SELECT dead_ms FROM events WHERE event_id = 'o3'") >= t0);
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM events WHERE event_id = 'o3' AND "
	                             "dead_reason = 'st2 answered 400: unknown trigger'"),
	                 1);
}

/* Delivered rows go after the horizon (both received and delivered before it); others stay. */
static void
test_prune(void **state)
{
	struct rig *h = *state;
	int64_t now = now_ms(), old = now - 10 * DAY_MS;

	rig_open(h, 0);
	rig_submit(h, 0, rig_event("old1", "wold1", "P1", old));
	rig_submit(h, 1, rig_event("old2", NULL, "P1", old + 1));
	rig_submit(h, 2, rig_event("oldpending", NULL, "P2", old + 2)); /* not behind "new" */
	rig_submit(h, 3, rig_event("olddead", NULL, "P1", old + 3));
	rig_submit(h, 4, rig_event("new", NULL, "P1", now));
	rig_wait(h, 5);
	spool_delivered(h->s, rig_pending_seq(h, "old1"));
	spool_delivered(h->s, rig_pending_seq(h, "old2"));
	spool_delivered(h->s, rig_pending_seq(h, "new"));
	spool_dead(h->s, rig_pending_seq(h, "olddead"), 3, "rejected");
	/* Delivered just now: inside the horizon even though received 10 days ago. */
	spool_prune(h->s, now_ms());
	rig_reopen(h, 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 1"), 3);

	/* old1 was delivered 8 days ago: only it goes at the real clock. */
	spool_close(h->s);
	h->s = NULL;
	t_spool_exec(h->dir, "UPDATE events SET delivered_ms = delivered_ms - 8 * 86400000 "
	                     "WHERE event_id = 'old1'");
	rig_open(h, 0);
	spool_prune(h->s, now_ms());
	rig_reopen(h, 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE event_id = 'old1'"),
	                 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 1"), 2);

	/* Past the horizon the dedup forgets old1 but still knows old2. */
	rig_submit(h, 5, rig_event("old1", "wold1", "P1", old));
	rig_submit(h, 6, rig_event("old2", NULL, "P1", old + 1));
	rig_wait(h, 7);
	assert_int_equal(h->call[5].duplicate, 0);
	assert_int_equal(h->call[6].duplicate, 1);

	/* Eight days on, every delivered row goes; pending and dead ones never. */
	spool_prune(h->s, now_ms() + 8 * DAY_MS);
	rig_reopen(h, 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 1"), 0);
	assert_int_equal(
	    t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'oldpending'"), 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'olddead'"),
	                 2);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'old1'"),
	                 0);
	/* Every pruned row took its payload along. */
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM payloads"),
	                 t_spool_int(h->dir, "SELECT count(*) FROM events"));
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM payloads WHERE seq NOT IN "
	                                     "(SELECT seq FROM events)"),
	                 0);
}

/* An event of one transition, from a webhook (polled 0) or the poller (1). */
static struct spool_event *
mkev_t(const char *id, const char *incident, const char *transition, int polled)
{
	struct spool_event *ev = rig_event(id, NULL, incident, 1);

	ev->transition = xstrdup(transition);
	ev->polled = polled;
	return ev;
}

/* Submits ev as call *i (then counts it), waits for its commit: whether it was a duplicate. */
static int
submit_dup(struct rig *h, int *i, struct spool_event *ev)
{
	int k = (*i)++;

	rig_submit(h, k, ev);
	rig_wait(h, *i);
	return h->call[k].duplicate;
}

/*
 * One transition, two ways (spool/sqlite_writer.c's DESIGN): the other source's twin is
 * a duplicate, stored delivered without an order key or payload; a source's
 * own repeats are not twins; counts pair arrivals one to one.
 */
static void
test_transitions(void **state)
{
	struct rig *h = *state;
	struct spool_stats st;
	int i = 0;

	rig_open(h, 0);
	/* The webhook first, then the same transition polled: one trigger. */
	assert_int_equal(submit_dup(h, &i, mkev_t("W1", "PA", "PA|incident.triggered|100", 0)), 0);
	assert_int_equal(submit_dup(h, &i, mkev_t("L1", "PA", "PA|incident.triggered|100", 1)), 1);
	/* Read again after a restart: a duplicate by its id, not counted twice. */
	rig_reopen(h, 0);
	assert_int_equal(submit_dup(h, &i, mkev_t("L1", "PA", "PA|incident.triggered|100", 1)), 1);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE transition = "
	                                     "'PA|incident.triggered|100'"),
	                 2);

	/* Polled first, the webhook late (PagerDuty retrying): still one. */
	assert_int_equal(submit_dup(h, &i, mkev_t("L2", "PB", "PB|incident.resolved|200", 1)), 0);
	assert_int_equal(submit_dup(h, &i, mkev_t("W2", "PB", "PB|incident.resolved|200", 0)), 1);

	/*
	 * Two notes in one second: two webhooks, both emitted; their two log
	 * entries are their twins; a third log entry (a note the webhooks lost)
	 * is emitted. All in one batch, too.
	 */
	rig_submit(h, i++, mkev_t("W3a", "PC", "PC|incident.annotated|300", 0));
	rig_submit(h, i++, mkev_t("W3b", "PC", "PC|incident.annotated|300", 0));
	rig_submit(h, i++, mkev_t("L3a", "PC", "PC|incident.annotated|300", 1));
	rig_submit(h, i++, mkev_t("L3b", "PC", "PC|incident.annotated|300", 1));
	rig_submit(h, i++, mkev_t("L3c", "PC", "PC|incident.annotated|300", 1));
	rig_wait(h, i);
	assert_int_equal(h->call[5].duplicate, 0);
	assert_int_equal(h->call[6].duplicate, 0);
	assert_int_equal(h->call[7].duplicate, 1);
	assert_int_equal(h->call[8].duplicate, 1);
	assert_int_equal(h->call[9].duplicate, 0);
	/* Another second, another type or another incident is another transition. */
	rig_submit(h, i++, mkev_t("L4", "PC", "PC|incident.annotated|301", 1));
	rig_submit(h, i++, mkev_t("L5", "PC", "PC|incident.acknowledged|300", 1));
	rig_submit(h, i++, mkev_t("L6", "PD", "PD|incident.annotated|300", 1));
	rig_wait(h, i);
	assert_int_equal(h->call[10].duplicate + h->call[11].duplicate + h->call[12].duplicate, 0);

	/* A twin is on record, delivered (by its other half), but never sent. */
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 8);   /* W1 L2 W3a W3b L3c L4 L5 L6 */
	assert_int_equal(st.delivered, 4); /* L1 W2 L3a L3b */
	assert_int_equal(
	    t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 1 AND order_key IS "
	                        "NULL AND last_error LIKE 'not sent:%' AND (SELECT count(*) FROM "
	                        "payloads WHERE payloads.seq = events.seq) = 0"),
	    4);
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM events WHERE event_id = 'W2' AND "
	                             "source = 'webhook' AND last_error = 'not sent: the poller "
	                             "brought the same transition'"),
	                 1);
	/*
	 * A twin newer than a pending event of its incident does not make the
	 * repair at open take that event for delivered.
	 */
	rig_reopen(h, 0);
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 8);
	assert_true(rig_pending_seq(h, "W3a") > 0);
}

/* Callback that submits during spool_close: must be refused at once. */
static void
closing_cb(enum pd_err result, int duplicate, void *arg)
{
	struct rig_call *r = arg;
	struct spool_event *ev = rig_event("late", NULL, "P1", 1);

	rig_commit_cb(result, duplicate, arg);
	/* Refused, and freed all the same (ASan checks that). */
	assert_int_equal(spool_submit(r->rig->s, ev, rig_commit_cb, r), PD_ERR_SPOOL_IO);
}

/* spool_close commits what is queued and runs the callbacks before returning. */
static void
test_close_runs_callbacks(void **state)
{
	struct rig *h = *state;
	struct spool_event *bad;

	/* Never started: close commits on the calling thread. */
	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &h->s), PD_OK);
	rig_submit(h, 0, rig_event("q1", NULL, "P1", 1));
	assert_int_equal(spool_submit(h->s, rig_event("q2", NULL, "P1", 2), NULL, NULL), PD_OK);
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(h->call[0].called, 1);
	assert_int_equal(h->call[0].result, PD_OK);

	/* Started, loop never run: the callbacks still run inside close. */
	rig_open(h, 0);
	h->call[1].rig = h;
	assert_int_equal(
	    spool_submit(h->s, rig_event("q3", NULL, "P1", 3), closing_cb, &h->call[1]), PD_OK);
	spool_delivered(h->s, rig_pending_seq(h, "q1"));
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(h->call[1].called, 1);
	assert_int_equal(h->call[1].result, PD_OK);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 0"), 2);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'q1'"), 1);

	/* An event without an id is refused (and freed). */
	rig_open(h, 0);
	bad = rig_event("x", NULL, "P1", 1);
	free(bad->event_id);
	bad->event_id = NULL;
	assert_int_equal(spool_submit(h->s, bad, rig_commit_cb, &h->call[2]), PD_ERR_VALIDATION);
	assert_int_equal(h->call[2].called, 0);
}

/* Meta values: committed in queue order with the events, read back after a restart. */
static void
test_meta(void **state)
{
	struct rig *h = *state;
	char *v;

	rig_open(h, 0);
	assert_null(spool_meta_get(h->s, "poll.cursor"));
	rig_submit(h, 0, rig_event("m1", NULL, "P1", 1));
	h->call[1].rig = h;
	spool_meta_set(h->s, "poll.cursor", "2026-11-29T00:00:00Z", rig_commit_cb, &h->call[1]);
	rig_wait(h, 2);
	assert_int_equal(h->call[1].result, PD_OK);
	v = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(v, "2026-11-29T00:00:00Z");
	free(v);
	h->call[2].rig = h;
	spool_meta_set(h->s, "poll.cursor", "later", rig_commit_cb, &h->call[2]);
	rig_wait(h, 3);
	rig_reopen(h, 0);
	v = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(v, "later");
	free(v);
}

/* Bad locations and foreign or future databases are refused. */
static void
test_open_errors(void **state)
{
	struct rig *h = *state;
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
	t_spool_exec(h->dir, "PRAGMA user_version = 99");
	assert_int_equal(spool_open(h->dir, DURABILITY_FSYNC, 0, &s), PD_ERR_SPOOL_IO);
	t_spool_exec(h->dir, "PRAGMA user_version = 1");

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

/* The spool needs a thread-enabled libevent, as serve sets it up. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_submit_fetch_reopen, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_fetch_after, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_capacity, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_outcomes, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_prune, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_transitions, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_close_runs_callbacks, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_meta, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_open_errors, rig_setup, rig_teardown),
	};

	evthread_use_pthreads();
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
