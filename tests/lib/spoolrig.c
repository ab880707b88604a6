/*
 * spoolrig.c: the spool fixture of spoolrig.h. The loop is the test's own
 * thread, as in serve; the spool's writer runs beside it and hands back
 * commit callbacks through the loop, which is what the rig counts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "spoolrig.h"

void
rig_commit_cb(enum pd_err result, int duplicate, void *arg)
{
	struct rig_call *c = arg;

	c->called++;
	c->result = result;
	c->duplicate = duplicate;
	c->rig->ncalled++;
}

/* Notify callback (writer thread): counts commits that inserted, keeps the events' ids. */
static void
notify_cb(struct spool_event **evs, size_t n, void *arg)
{
	struct rig *r = arg;
	size_t i;

	pthread_mutex_lock(&r->nmu);
	r->nnotify++;
	for (i = 0; i < n; i++) {
		if (r->nhanded < RIG_MAX) {
			snprintf(r->handed[r->nhanded], sizeof r->handed[0], "%s",
			         evs[i]->event_id);
			r->handed_seq[r->nhanded++] = evs[i]->seq;
		}
		spool_event_free(evs[i]);
	}
	pthread_mutex_unlock(&r->nmu);
}

int
rig_setup(void **state)
{
	struct rig *r = xcalloc(1, sizeof *r);
	char *top = t_tempdir("test_spool");

	r->dir = xasprintf("%s/spool", top); /* spool_open creates it */
	free(top);
	pthread_mutex_init(&r->nmu, NULL);
	r->base = t_base_new();
	*state = r;
	return 0;
}

int
rig_teardown(void **state)
{
	struct rig *r = *state;
	char *top = xstrdup(r->dir);

	spool_close(r->s);
	t_base_free(r->base);
	*strrchr(top, '/') = '\0';
	t_rmtree(top);
	free(top);
	free(r->dir);
	pthread_mutex_destroy(&r->nmu);
	free(r);
	return 0;
}

void
rig_open(struct rig *r, long max_events)
{
	assert_int_equal(spool_open(r->dir, DURABILITY_OS, max_events, &r->s), PD_OK);
	rig_start(r);
}

void
rig_start(struct rig *r)
{
	assert_int_equal(spool_start(r->s, r->base, notify_cb, r), PD_OK);
}

void
rig_reopen(struct rig *r, long max_events)
{
	spool_close(r->s);
	r->s = NULL;
	rig_open(r, max_events);
}

struct spool_event *
rig_event(const char *id, const char *webhook_id, const char *incident, int64_t received_ms)
{
	return t_event(id, webhook_id, "incident.triggered", incident, received_ms);
}

void
rig_submit(struct rig *r, int i, struct spool_event *ev)
{
	assert_true(i < RIG_MAX);
	r->call[i].rig = r;
	assert_int_equal(spool_submit(r->s, ev, rig_commit_cb, &r->call[i]), PD_OK);
}

void
rig_wait(struct rig *r, int n)
{
	t_base_wait(r->base, &r->ncalled, n);
}

void
rig_wait_for(struct rig *r, int (*pred)(struct rig *))
{
	struct timeval tick = {0, 20000};

	while (!pred(r)) {
		event_base_loopexit(r->base, &tick);
		event_base_dispatch(r->base);
		if (event_base_got_break(r->base))
			fail_msg("the guard fired before the condition held");
	}
}

size_t
rig_fetch(struct rig *r, struct spool_event ***out)
{
	return spool_fetch(r->s, 0, RIG_MAX, out);
}

void
rig_free(struct spool_event **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		spool_event_free(v[i]);
	free(v);
}

int64_t
rig_pending_seq(struct rig *r, const char *id)
{
	struct spool_event **v;
	size_t n, i;
	int64_t seq = -1;

	n = rig_fetch(r, &v);
	for (i = 0; i < n; i++) {
		if (strcmp(v[i]->event_id, id) == 0)
			seq = v[i]->seq;
	}
	rig_free(v, n);
	if (seq <= 0)
		fail_msg("%s is not pending", id);
	return seq;
}
