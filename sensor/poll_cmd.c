/*
 * poll_cmd.c: `st2-pagerduty poll --once [--since TIME] [--dry-run]`, one
 * pass of the poller, for operators checking credentials and the mapping
 * before turning the sensor on, or looking back on purpose.
 *
 * It reads from the saved cursor (less the overlap; serve's window) or
 * from --since, up to now (less poll.lag_s in backfill mode), and prints
 * every trigger it spooled as a JSON line, {"trigger": ..., "payload":
 * ...}, like the sink file. The events go into the spool, where serve's
 * forwarder delivers them (at once if serve is running, else at its next
 * start): one path to StackStorm. With --dry-run it prints what the window
 * maps to and writes nothing. It never moves the cursor: that is serve's,
 * and the spool's dedup keeps a window read twice from being emitted
 * twice. A summary goes to stderr.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "st2pd.h"

#define POLL_ONCE        256
#define POLL_SINCE       257
#define POLL_DRY_RUN_OPT 258

/* Both ways of finding no cursor (no spool yet, or one serve never polled with). */
#define POLL_NO_CURSOR                                                                             \
	"st2-pagerduty: poll: no saved cursor (serve has not polled with this spool): give "       \
	"--since TIME\n"

/* --since: an RFC 3339 time, or a duration back from now ("2h", "90m", "1d"). */
static int
poll_cmd_since(const char *text, int64_t now, int64_t *since)
{
	int64_t ms;

	if (parse_time_ms(text, &ms) == PD_OK) {
		*since = ms / 1000;
		return 0;
	}
	if (parse_duration_ms(text, &ms) == PD_OK) {
		*since = now - ms / 1000;
		return 0;
	}
	return -1;
}

/* Runs one pass with the spool open (or, dry and with --since, without one). */
static int
poll_cmd_run(const struct pd_config *cfg, const char *since_text, int dry)
{
	struct event_base *base = NULL;
	struct event *keep = NULL;
	struct spool *spool = NULL;
	struct spool_admin *admin;
	struct poller *p = NULL;
	struct poll_stats st;
	struct timeval day = {86400, 0};
	int64_t now = now_ms() / 1000, since, until;
	char *msg;
	enum pd_err rc = PD_OK;
	const json_t *e;
	json_t *wrapped;
	int status = 0;

	if (since_text != NULL && poll_cmd_since(since_text, now, &since) != 0)
		return cli_usage_error(&cmd_poll_entry,
		                       "--since: expected a time (2026-11-27T09:40:00Z) or a "
		                       "duration back from now (90m, 2h, 1d)");
	/* A saved cursor needs a spool that exists: do not make one only to find none. */
	if (since_text == NULL) {
		if (spool_admin_open(cfg, &admin) != PD_OK) {
			fputs(POLL_NO_CURSOR, stderr);
			return pd_err_exit(PD_ERR_USAGE);
		}
		spool_admin_close(admin);
	}
	if (evthread_use_pthreads() != 0 || (base = event_base_new()) == NULL)
		fatal("libevent: cannot create the event loop");
	/* The loop runs the spool's callbacks; this timer keeps it from returning idle. */
	keep = evtimer_new(base, NULL, NULL);
	evtimer_add(keep, &day);
	if ((!dry || since_text == NULL) && (rc = spool_open_config(cfg, &spool)) != PD_OK) {
		fprintf(stderr, "st2-pagerduty: poll: the spool: %s\n", pd_strerror(rc));
		goto out;
	}
	if (!dry && (rc = spool_start(spool, base, NULL, NULL)) != PD_OK)
		goto out;
	p = poll_new(cfg, spool, base, dry ? POLL_DRY_RUN : 0, stdout);
	if (since_text == NULL) {
		if (!poll_load(p)) {
			fputs(POLL_NO_CURSOR, stderr);
			rc = PD_ERR_USAGE;
			goto out;
		}
		poll_window_from_cursor(p, now, &since, &until);
	} else {
		until = poll_read_point(p, now);
	}
	if (until <= since) {
		fprintf(stderr, "st2-pagerduty: poll: nothing to read: the window ends before it "
		                "starts\n");
		goto out;
	}
	rc = poll_pass(p, since, until, &st);
	fflush(stdout);
	if (rc != PD_OK && (e = poll_last_error(p)) != NULL) {
		/* run's one-line error: {"error": {"code", "message", "http_status", ...}} */
		wrapped = json_pack("{s:O}", "error", (json_t *)e);
		msg = json_dumps(wrapped, JSON_COMPACT);
		fprintf(stderr, "%s\n", msg);
		free(msg);
		json_decref(wrapped);
	} else if (rc != PD_OK) {
		fprintf(stderr, "st2-pagerduty: poll: %s\n", pd_strerror(rc));
	}
	fprintf(stderr,
	        "poll: %zu log entries read, %zu triggers %s, %zu duplicates, %zu without a V3 "
	        "event, %zu filtered out, %zu window splits\n",
	        st.read, st.emitted, dry ? "would be emitted" : "spooled", st.duplicates,
	        st.unmapped, st.filtered, st.splits);

out:
	status = rc == PD_OK ? 0 : pd_err_exit(rc);
	poll_free(p);
	if (spool != NULL)
		spool_close(spool);
	if (keep != NULL)
		event_free(keep);
	if (base != NULL)
		event_base_free(base);
	return status;
}

/* `st2-pagerduty poll --once [--since TIME] [--dry-run]`. */
static int
poll_cmd_exec(const struct cli_args *a)
{
	struct pd_config *cfg;
	int rc;

	if (!cli_count(a, POLL_ONCE))
		return cli_usage_error(a->entry, "--once is required: `serve` polls continuously");
	cfg = cli_load_config(a->config, CONFIG_NEED_PD);
	rc = poll_cmd_run(cfg, cli_value(a, POLL_SINCE), cli_count(a, POLL_DRY_RUN_OPT) > 0);
	config_free(cfg);
	return rc;
}

static const struct cli_option poll_cmd_options[] = {
    {"once", POLL_ONCE, NULL, "one pass (required: serve is what polls continuously)"},
    {"since", POLL_SINCE, "TIME", "start at TIME (RFC 3339) or that long ago (90m, 2h, 1d)"},
    {"dry-run", POLL_DRY_RUN_OPT, NULL, "print what the window maps to; spool nothing"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_poll_entry = {
    .name = "poll",
    .summary = "one pass of the poller: print each trigger it spools (or would, with --dry-run) "
               "as a JSON line",
    .help = "Reads PagerDuty's log entries from the saved cursor (or --since) to now, and\n"
            "prints every trigger as a JSON line; the events go into the spool for serve's\n"
            "forwarder. It never moves the cursor, which is serve's.",
    .options = poll_cmd_options,
    .exec = poll_cmd_exec,
};
