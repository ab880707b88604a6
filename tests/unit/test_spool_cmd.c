/*
 * test_spool_cmd.c: `st2-pagerduty spool` against a spool built through the
 * public API (pending, delivered and dead rows), with stdout and stderr
 * captured: status, list filters, show, find (each outcome), retry (new
 * seq above all, pending again), purge (dead rows only), and the exit
 * status of every usage error. Each test builds its own spool in a temp
 * directory, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "testlib.h"

#define MIN_MS  60000LL
#define HOUR_MS 3600000LL
#define DAY_MS  86400000LL
#define MAXARGS 16

struct fixture {
	char *top;
	char *dir; /* spool.path */
	char *cfg;
	int64_t now;
	int64_t next_ms; /* p2's next attempt */
	char *out;       /* stdout and stderr of the last run */
	char *err;
};

/* One row of the spool the tests start from. */
static const struct seed {
	const char *id;
	const char *webhook_id;
	const char *type;
	const char *incident;
	int64_t age_ms;
	int fate; /* 0 pending, 1 delivered, 2 dead, 3 pending after a failure */
	const char *reason;
} seeds[] = {
    {"p1", "wh-p1", "incident.triggered", "P1", 2 * HOUR_MS, 0, NULL},
    {"p2", "wh-p2", "incident.acknowledged", "P1", 10 * MIN_MS, 3, "st2 503: unavailable"},
    {"p3", "wh-p3", "incident.triggered", "P2", 1 * MIN_MS, 0, NULL},
    {"d1", "wh-d1", "incident.triggered", "P1", 5 * HOUR_MS, 1, "st2 502: bad gateway"},
    {"x1", "wh-x1", "incident.triggered", "P1", 3 * DAY_MS, 2, "st2 400: unknown trigger"},
    {"x2", NULL, "incident.resolved", "P2", 1 * HOUR_MS, 2, "st2 400: unknown trigger"},
    {"x3", NULL, "incident.annotated", "P3", 30 * MIN_MS, 2, "st2 422: payload rejected"},
};
#define NSEEDS (sizeof seeds / sizeof seeds[0])

/* Counts commit callbacks. */
static void
count_cb(enum pd_err result, int duplicate, void *arg)
{
	assert_int_equal(result, PD_OK);
	assert_int_equal(duplicate, 0);
	(*(int *)arg)++;
}

/* Builds the seed spool through the public API, then closes it. */
static void
build_spool(struct fixture *f)
{
	struct event_base *base = t_base_new();
	struct spool *s;
	struct spool_event **v;
	size_t n, i, k;
	int done = 0;

	assert_int_equal(spool_open(f->dir, DURABILITY_OS, 0, &s), PD_OK);
	assert_int_equal(spool_start(s, base, NULL, NULL), PD_OK);
	for (i = 0; i < NSEEDS; i++) {
		const struct seed *sd = &seeds[i];

		assert_int_equal(spool_submit(s,
		                              t_event(sd->id, sd->webhook_id, sd->type,
		                                      sd->incident, f->now - sd->age_ms),
		                              count_cb, &done),
		                 PD_OK);
	}
	t_base_wait(base, &done, NSEEDS);

	n = spool_fetch(s, 0, 100, &v);
	assert_int_equal(n, NSEEDS);
	for (i = 0; i < n; i++) {
		for (k = 0; strcmp(seeds[k].id, v[i]->event_id) != 0; k++)
			;
		switch (seeds[k].fate) {
		case 1:
			spool_retry_later(s, v[i]->seq, 1, f->now, seeds[k].reason);
			spool_delivered(s, v[i]->seq);
			break;
		case 2:
			spool_dead(s, v[i]->seq, 1, seeds[k].reason);
			break;
		case 3:
			spool_retry_later(s, v[i]->seq, 2, f->next_ms, seeds[k].reason);
			break;
		}
		spool_event_free(v[i]);
	}
	free(v);
	spool_close(s);
	t_base_free(base);
}

/* Writes a config file whose spool.path is dir. */
static char *
write_config(const char *top, const char *name, const char *dir)
{
	char *yaml = xasprintf("# test config\nspool:\n  path: %s\n  durability: os\n", dir);
	char *path = t_write(top, name, yaml);

	free(yaml);
	return path;
}

/* A temp directory, a config pointing into it, and the seed spool. */
static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);

	f->top = t_tempdir("test_spool_cmd");
	f->dir = xasprintf("%s/spool", f->top);
	f->cfg = write_config(f->top, "config.yaml", f->dir);
	f->now = now_ms();
	f->next_ms = f->now + 90000;
	build_spool(f);
	*state = f;
	return 0;
}

/* Removes the temp directory and the captured output. */
static int
teardown(void **state)
{
	struct fixture *f = *state;

	t_rmtree(f->top);
	free(f->top);
	free(f->dir);
	free(f->cfg);
	free(f->out);
	free(f->err);
	free(f);
	return 0;
}

/* Runs `spool ARGS` (NULL-terminated), keeping what it printed in f. */
static int
run_argv(struct fixture *f, char **args)
{
	free(f->out);
	free(f->err);
	return t_run(&cmd_spool_entry, args, NULL, &f->out, &f->err);
}

/* run_argv with the arguments inline (NULL-terminated), -c FILE appended. */
static int
run(struct fixture *f, ...)
{
	char *args[MAXARGS + 1];
	va_list ap;
	int n = 0;

	va_start(ap, f);
	while ((args[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	args[n++] = "-c";
	args[n++] = f->cfg;
	args[n] = NULL;
	return run_argv(f, args);
}

/* The event ids of a JSON list, in order, as "a,b,c". */
static char *
list_ids(json_t *rows)
{
	char *s = xstrdup(""), *t;
	size_t i;

	for (i = 0; i < json_array_size(rows); i++) {
		t = xasprintf(
		    "%s%s%s", s, i ? "," : "",
		    json_string_value(json_object_get(json_array_get(rows, i), "event_id")));
		free(s);
		s = t;
	}
	return s;
}

/* Runs `spool list ARGS --json` and compares the event ids. */
static void
check_list(struct fixture *f, const char *want, ...)
{
	char *args[MAXARGS + 1];
	va_list ap;
	json_t *rows;
	char *ids;
	int n = 0;

	args[n++] = "list";
	va_start(ap, want);
	while ((args[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	args[n++] = "--json";
	args[n++] = "-c";
	args[n++] = f->cfg;
	args[n] = NULL;
	assert_int_equal(run_argv(f, args), 0);
	rows = t_json(f->out);
	assert_true(json_is_array(rows));
	ids = list_ids(rows);
	assert_string_equal(ids, want);
	free(ids);
	json_decref(rows);
}

/* status: counts, oldest pending age, dead letters by reason; text and JSON. */
static void
test_status(void **state)
{
	struct fixture *f = *state;
	json_t *o, *r;

	assert_int_equal(run(f, "status", NULL), 0);
	assert_non_null(strstr(f->out, f->dir));
	t_contains(f->out,
	           T_ALL("pending:    3, oldest received 2h", "delivered:  1 in the last 24h",
	                 "dead:       3\n", "       2  st2 400: unknown trigger\n",
	                 "       1  st2 422: payload rejected\n"));

	assert_int_equal(run(f, "status", "--json", NULL), 0);
	o = t_json(f->out);
	assert_string_equal(json_string_value(json_object_get(o, "path")), f->dir);
	assert_true(json_integer_value(json_object_get(o, "size_bytes")) > 0);
	assert_int_equal(json_integer_value(json_object_get(o, "pending")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "dead")), 3);
	assert_int_equal(json_integer_value(json_object_get(o, "delivered_24h")), 1);
	assert_true(json_integer_value(json_object_get(o, "oldest_pending_age_s")) >= 7200);
	assert_true(json_integer_value(json_object_get(o, "oldest_pending_age_s")) < 7200 + 600);
	assert_true(json_is_string(json_object_get(o, "oldest_pending_at")));
	assert_int_equal(json_array_size(json_object_get(o, "dead_by_reason")), 2);
	r = json_array_get(json_object_get(o, "dead_by_reason"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "reason")),
	                    "st2 400: unknown trigger");
	assert_int_equal(json_integer_value(json_object_get(r, "count")), 2);
	json_decref(o);
}

/* list: default states, each filter, limit; JSON ids and the text table. */
static void
test_list(void **state)
{
	struct fixture *f = *state;

	/* Default: pending and dead, seq order. */
	check_list(f, "p1,p2,p3,x1,x2,x3", NULL);
	check_list(f, "d1", "--state", "delivered", NULL);
	check_list(f, "x1,x2,x3", "--state", "dead", NULL);
	check_list(f, "p1,p2,p3,d1,x1,x2,x3", "--state", "all", NULL);
	check_list(f, "p1,p2,x1", "--incident", "P1", NULL);
	check_list(f, "p1,p2,d1,x1", "--incident", "P1", "--state", "all", NULL);
	check_list(f, "p1,p3,x1", "--type", "incident.triggered", NULL);
	check_list(f, "x1", "--older-than", "1d", NULL);
	check_list(f, "p2,p3", "--newer-than", "15m", NULL);
	check_list(f, "x2", "--older-than", "45m", "--newer-than", "90m", "--state", "dead", NULL);
	check_list(f, "p1,p2", "--limit", "2", NULL);
	assert_non_null(strstr(f->err, "more than 2 events"));
	check_list(f, "", "--incident", "NOPE", NULL);

	/* Text: a header and one line per event, with the reason or last error. */
	assert_int_equal(run(f, "list", NULL), 0);
	assert_int_equal(t_lines(f->out), 7);
	t_contains(f->out, T_ALL("EVENT_ID", "st2 422: payload rejected", "st2 503: unavailable",
	                         "incident:P3"));
}

/* show: every field and the pretty-printed payload; JSON; not found. */
static void
test_show(void **state)
{
	struct fixture *f = *state;
	json_t *o;

	assert_int_equal(run(f, "show", "p2", NULL), 0);
	t_contains(f->out,
	           T_ALL("event_id         p2\n", "webhook_id       wh-p2\n",
	                 "state            pending\n", "attempts         2\n",
	                 "last_error       st2 503: unavailable\n", "dead_reason      -\n"));
	/* Pretty-printed payload. */
	assert_non_null(strstr(f->out, "payload:\n{\n  \"event_id\": \"p2\",\n"));

	assert_int_equal(run(f, "show", "x3", "--json", NULL), 0);
	o = t_json(f->out);
	assert_string_equal(json_string_value(json_object_get(o, "state")), "dead");
	assert_string_equal(json_string_value(json_object_get(o, "dead_reason")),
	                    "st2 422: payload rejected");
	assert_string_equal(json_string_value(json_object_get(o, "trigger")),
	                    "pagerduty.incident.annotated");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "payload"), "event_id")), "x3");
	json_decref(o);

	assert_int_equal(run(f, "show", "nope", NULL), pd_err_exit(PD_ERR_NOT_FOUND));
	assert_non_null(strstr(f->err, "not found"));
}

/* find: pending (with and without a failure), delivered, dead, by webhook id, not found. */
static void
test_find(void **state)
{
	struct fixture *f = *state;
	char next[32], *want;
	json_t *o;

	format_time_ms(f->next_ms, next, sizeof next);
	assert_int_equal(run(f, "find", "p2", NULL), 0);
	want = xasprintf(
	    "p2: pending: 2 attempts, next attempt at %s, last error: st2 503: unavailable\n",
	    next);
	assert_string_equal(f->out, want);
	free(want);

	assert_int_equal(run(f, "find", "p1", NULL), 0);
	assert_string_equal(f->out, "p1: pending: 0 attempts, next attempt as soon as possible\n");

	/* By X-Webhook-Id. */
	assert_int_equal(run(f, "find", "wh-p3", NULL), 0);
	assert_string_equal(f->out, "p3: pending: 0 attempts, next attempt as soon as possible\n");

	/* One failure, then success: two attempts. */
	assert_int_equal(run(f, "find", "d1", NULL), 0);
	assert_non_null(strstr(f->out, "d1: delivered to StackStorm at 20"));
	assert_non_null(strstr(f->out, "Z after 2 attempts\n"));

	assert_int_equal(run(f, "find", "wh-x1", NULL), 0);
	assert_non_null(strstr(f->out, "x1: dead letter since 20"));
	assert_non_null(strstr(f->out, "Z: st2 400: unknown trigger\n"));

	assert_int_equal(run(f, "find", "nope", NULL), 1);
	assert_string_equal(f->out, "nope: not found\n");

	assert_int_equal(run(f, "find", "d1", "--json", NULL), 0);
	o = t_json(f->out);
	assert_true(json_is_true(json_object_get(o, "found")));
	assert_non_null(strstr(json_string_value(json_object_get(o, "summary")), "delivered"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(o, "event"), "state")), "delivered");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(o, "event"), "attempts")), 2);
	json_decref(o);

	assert_int_equal(run(f, "find", "nope", "--json", NULL), 1);
	o = t_json(f->out);
	assert_true(json_is_false(json_object_get(o, "found")));
	json_decref(o);
}

/* retry: dead letters become pending with new seqs above all, in order. */
static void
test_retry(void **state)
{
	struct fixture *f = *state;
	struct spool *s;
	struct spool_event **v;
	int64_t max0 = t_spool_int(f->dir, "SELECT max(seq) FROM events"), x1, x2;
	size_t n;

	assert_int_equal(run(f, "retry", "x1", "nope", NULL), 0);
	assert_string_equal(f->out, "retried 1 dead letter\n");
	x1 = t_spool_int(f->dir, "SELECT seq FROM events WHERE event_id = 'x1'");
	assert_int_equal(x1, max0 + 1);
	assert_int_equal(t_spool_int(f->dir, "SELECT state FROM events WHERE event_id = 'x1'"), 0);
	assert_int_equal(t_spool_int(f->dir, "SELECT attempts FROM events WHERE event_id = 'x1'"),
	                 0);
	assert_int_equal(
	    t_spool_int(f->dir, "SELECT next_attempt_ms FROM events WHERE event_id = 'x1'"), 0);
	assert_int_equal(t_spool_int(f->dir,
	                             "SELECT count(*) FROM events WHERE event_id = 'x1' AND "
	                             "dead_reason IS NULL AND dead_ms IS NULL AND "
	                             "last_error = 'st2 400: unknown trigger'"),
	                 1);
	assert_int_equal(
	    t_spool_int(f->dir, "SELECT seq FROM sqlite_sequence WHERE name = 'events'"), x1);

	/* By type; then everything left; then nothing left. */
	assert_int_equal(run(f, "retry", "--type", "incident.resolved", NULL), 0);
	assert_string_equal(f->out, "retried 1 dead letter\n");
	x2 = t_spool_int(f->dir, "SELECT seq FROM events WHERE event_id = 'x2'");
	assert_int_equal(x2, x1 + 1);
	assert_int_equal(run(f, "retry", "--all", NULL), 0);
	assert_string_equal(f->out, "retried 1 dead letter\n");
	assert_int_equal(run(f, "retry", "--all", NULL), 0);
	assert_string_equal(f->out, "retried 0 dead letters\n");
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE state = 2"), 0);
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE state = 1"), 1);

	/* The forwarder, reading after the last seq it saw, finds them; new events go above. */
	assert_int_equal(spool_open(f->dir, DURABILITY_OS, 0, &s), PD_OK);
	n = spool_fetch(s, max0, 10, &v);
	assert_int_equal(n, 3);
	assert_string_equal(v[0]->event_id, "x1");
	assert_string_equal(v[1]->event_id, "x2");
	assert_string_equal(v[2]->event_id, "x3");
	/* Each payload moved with its event. */
	for (size_t i = 0; i < n; i++)
		assert_non_null(strstr(v[i]->payload, v[i]->event_id));
	for (size_t i = 0; i < n; i++)
		spool_event_free(v[i]);
	free(v);
	assert_int_equal(
	    spool_submit(s, t_event("n1", NULL, "incident.triggered", "P1", f->now), NULL, NULL),
	    PD_OK);
	spool_close(s);
	assert_true(t_spool_int(f->dir, "SELECT seq FROM events WHERE event_id = 'n1'") > x2 + 1);
}

/* purge: dead letters only, by incident, id, age and --all. */
static void
test_purge(void **state)
{
	struct fixture *f = *state;

	/* P2 has a pending event (p3) and a dead one (x2): only x2 goes. */
	assert_int_equal(run(f, "purge", "--incident", "P2", NULL), 0);
	assert_string_equal(f->out, "purged 1 dead letter\n");
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE event_id = 'x2'"),
	                 0);
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE event_id = 'p3'"),
	                 1);

	/* By id: pending and delivered ones are never purged. */
	assert_int_equal(run(f, "purge", "p1", "d1", "x3", NULL), 0);
	assert_string_equal(f->out, "purged 1 dead letter\n");
	assert_int_equal(
	    t_spool_int(f->dir, "SELECT count(*) FROM events WHERE event_id IN ('p1', 'd1')"), 2);

	assert_int_equal(run(f, "purge", "--older-than", "2d", NULL), 0);
	assert_string_equal(f->out, "purged 1 dead letter\n");
	assert_int_equal(run(f, "purge", "--all", NULL), 0);
	assert_string_equal(f->out, "purged 0 dead letters\n");
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE state = 2"), 0);
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events"), 4);
	/* Purged events took their payloads along. */
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM payloads"), 4);
}

/* Usage errors exit 2 and change nothing; config and database errors say so. */
static void
test_usage_errors(void **state)
{
	struct fixture *f = *state;
	int usage = pd_err_exit(PD_ERR_USAGE);
	char *missing, *empty, *cfg2;

	assert_int_equal(run(f, NULL), usage);
	assert_non_null(strstr(f->err, "usage: st2-pagerduty spool status"));
	assert_int_equal(run(f, "bogus", NULL), usage);
	assert_int_equal(run(f, "retry", NULL), usage);
	assert_non_null(strstr(f->err, "usage: st2-pagerduty spool retry"));
	assert_int_equal(run(f, "purge", NULL), usage);
	assert_int_equal(run(f, "show", NULL), usage);
	assert_int_equal(run(f, "show", "a", "b", NULL), usage);
	assert_int_equal(run(f, "find", NULL), usage);
	assert_int_equal(run(f, "status", "extra", NULL), usage);
	assert_int_equal(run(f, "list", "--state", "bogus", NULL), usage);
	assert_int_equal(run(f, "list", "--limit", "0", NULL), usage);
	assert_int_equal(run(f, "list", "--older-than", "soon", NULL), usage);
	assert_int_equal(run(f, "list", "--bogus", NULL), usage);
	assert_int_equal(run(f, "list", "--all", NULL), usage);
	assert_int_equal(run(f, "status", "--incident", "P1", NULL), usage);
	assert_int_equal(run(f, "retry", "--json", "--all", NULL), usage);
	assert_int_equal(run(f, "purge", "--newer-than", "1h", NULL), usage);
	/* Nothing was changed by any of them. */
	assert_int_equal(t_spool_int(f->dir, "SELECT count(*) FROM events WHERE state = 2"), 3);

	assert_int_equal(run(f, "list", "--help", NULL), 0);
	assert_non_null(strstr(f->out, "usage: st2-pagerduty spool list"));

	/* -c before the subcommand works too. */
	{
		char *args[] = {"-c", f->cfg, "find", "p1", NULL};

		assert_int_equal(run_argv(f, args), 0);
		assert_non_null(strstr(f->out, "p1: pending"));
	}

	/* A missing config file and a missing database say so. */
	missing = xasprintf("%s/nope.yaml", f->top);
	{
		char *args[] = {"status", "-c", missing, NULL};

		assert_int_equal(run_argv(f, args), pd_err_exit(PD_ERR_CONFIG));
		assert_non_null(strstr(f->err, "nope.yaml"));
	}
	empty = xasprintf("%s/empty", f->top);
	cfg2 = write_config(f->top, "empty.yaml", empty);
	{
		char *args[] = {"status", "-c", cfg2, NULL};

		assert_int_equal(run_argv(f, args), pd_err_exit(PD_ERR_IO));
		assert_non_null(strstr(f->err, "no spool database"));
	}
	free(missing);
	free(empty);
	free(cfg2);
}

/* The seed spool needs a thread-enabled libevent. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_list, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_show, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_find, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
	};

	evthread_use_pthreads();
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
