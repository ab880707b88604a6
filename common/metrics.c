/*
 * metrics.c: the counters and latency histograms behind GET /metrics, in
 * Prometheus text format with names prefixed st2_pagerduty_.
 *
 * Counters are atomics so that any thread may count; rendering reads them
 * with relaxed loads, which is all a scrape needs. Spool gauges are read
 * from the spool at scrape time rather than mirrored here, so they are
 * never stale. The sensor's gauges (its cursor, last success, and each
 * watched subscription) are set by its thread and shown only once it ran.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* One row per counter: the metric it belongs to and its label, if any. */
static const struct {
	enum metric_counter id;
	const char *name;
	const char *label; /* name="value", or NULL */
} metric_counters[] = {
    {M_RECV_ACCEPTED, "webhooks_received_total", "result=\"accepted\""},
    {M_RECV_DUPLICATE, "webhooks_received_total", "result=\"duplicate\""},
    {M_RECV_UNAUTHORIZED, "webhooks_received_total", "result=\"unauthorized\""},
    {M_RECV_BAD_REQUEST, "webhooks_received_total", "result=\"bad_request\""},
    {M_RECV_UNAVAILABLE, "webhooks_received_total", "result=\"unavailable\""},
    {M_RECV_METHOD, "webhooks_received_total", "result=\"method_not_allowed\""},
    {M_RECV_NOT_FOUND, "webhooks_received_total", "result=\"not_found\""},
    {M_EMITTED, "triggers_emitted_total", NULL},
    {M_RETRIED, "trigger_retries_total", NULL},
    {M_DEAD_LETTERED, "dead_letters_total", NULL},
    {M_CONN_REQUEST_TIMEOUT, "connections_refused_total", "reason=\"request_timeout\""},
    {M_CONN_OVER_BUDGET, "connections_refused_total", "reason=\"max_unverified_bytes\""},
    {M_ACCEPT_PAUSED, "accept_pauses_total", NULL},
    {M_CONN_AT_MAX, "max_connections_reached_total", NULL},
    {M_POLL_ENTRIES, "poll_entries_read_total", NULL},
    {M_POLL_EMITTED, "poll_triggers_emitted_total", NULL},
    {M_POLL_DUPLICATES, "poll_duplicates_skipped_total", NULL},
};

static const struct {
	const char *name;
	const char *help;
} metric_help[] = {
    {"webhooks_received_total", "Webhook requests answered, by result."},
    {"triggers_emitted_total", "Triggers StackStorm (or the sink) accepted."},
    {"trigger_retries_total", "Trigger deliveries that failed and were scheduled again."},
    {"dead_letters_total", "Events StackStorm rejected, moved to the dead-letter list."},
    {"connections_refused_total",
     "Connections closed before their request was read: too slow, or too many bytes waiting."},
    {"accept_pauses_total", "Pauses in accepting connections for want of descriptors or memory."},
    {"max_connections_reached_total", "Times webhook.max_connections connections were open."},
    {"poll_entries_read_total", "Log entries the poller read from PagerDuty (re-reads too)."},
    {"poll_triggers_emitted_total", "Polled events spooled for StackStorm as new triggers."},
    {"poll_duplicates_skipped_total",
     "Polled events the spool already had (by id, or a webhook's same transition)."},
};

/* Gauges set by their owners, as they change. */
static const struct {
	enum metric_gauge id;
	const char *name;
	const char *help;
} metric_gauges[] = {
    {G_CONNECTIONS_OPEN, "connections_open", "Connections open to the webhook receiver."},
    {G_UNVERIFIED_BYTES, "unverified_bytes",
     "Bytes of requests not yet read in full, held before their signature is checked."},
};

static _Atomic uint64_t counters[M_COUNTER_MAX];
static _Atomic int64_t gauges[G_GAUGE_MAX];

/* The poller's cursor and last successful pass, ms since the epoch; 0 until set. */
static _Atomic int64_t poll_cursor_ms, poll_success_ms;

/* What the watchdog last saw of each subscription. */
#define METRICS_MAX_SUBSCRIPTIONS 64
static pthread_mutex_t subscriptions_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *id;
	int active;
} subscriptions[METRICS_MAX_SUBSCRIPTIONS];
static size_t nsubscriptions;

/*
 * Histogram bounds in seconds. Requests are answered in well under a
 * millisecond unless the disk is slow; forwarding spans StackStorm outages.
 */
static const double request_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                        0.01,   0.025,   0.05,   0.1,   0.25,   1.0};
static const double forward_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1,  0.25,  0.5,
                                        1.0,   2.5,  5.0,   10.0, 60.0, 300.0, 3600.0};
#define NREQ (sizeof request_bounds / sizeof request_bounds[0])
#define NFWD (sizeof forward_bounds / sizeof forward_bounds[0])

struct histogram {
	const double *bounds;
	size_t n;
	_Atomic uint64_t buckets[16]; /* per bound, plus +Inf at index n */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_us; /* microseconds, so the sum stays an integer atomic */
};

_Static_assert(NREQ < 16 && NFWD < 16, "histogram bucket array too small");

static struct histogram request_hist = {.bounds = request_bounds, .n = NREQ};
static struct histogram forward_hist = {.bounds = forward_bounds, .n = NFWD};

void
metrics_inc(enum metric_counter id)
{
	if (id < M_COUNTER_MAX)
		atomic_fetch_add_explicit(&counters[id], 1, memory_order_relaxed);
}

void
metrics_gauge_set(enum metric_gauge id, int64_t v)
{
	if (id < G_GAUGE_MAX)
		atomic_store_explicit(&gauges[id], v, memory_order_relaxed);
}

/* Records the poller's cursor and last successful pass (0: unchanged). */
void
metrics_poll(int64_t cursor_ms, int64_t success_ms)
{
	if (cursor_ms > 0)
		atomic_store(&poll_cursor_ms, cursor_ms);
	if (success_ms > 0)
		atomic_store(&poll_success_ms, success_ms);
}

/* Records what the watchdog saw of a subscription. */
void
metrics_subscription(const char *id, int active)
{
	size_t i;

	pthread_mutex_lock(&subscriptions_mu);
	for (i = 0; i < nsubscriptions && strcmp(subscriptions[i].id, id) != 0; i++)
		;
	if (i == nsubscriptions && i < METRICS_MAX_SUBSCRIPTIONS)
		subscriptions[nsubscriptions++].id = xstrdup(id);
	if (i < nsubscriptions)
		subscriptions[i].active = active;
	pthread_mutex_unlock(&subscriptions_mu);
}

/* Counts one observation in the first bucket whose bound holds it. */
static void
histogram_observe(struct histogram *h, double seconds)
{
	size_t i;

	if (seconds < 0)
		seconds = 0;
	for (i = 0; i < h->n && seconds > h->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, (uint64_t)(seconds * 1e6), memory_order_relaxed);
}

void
metrics_observe_request(double seconds)
{
	histogram_observe(&request_hist, seconds);
}

void
metrics_observe_forward(double seconds)
{
	histogram_observe(&forward_hist, seconds);
}

/* Writes a histogram in exposition format, buckets cumulative. */
static void
histogram_render(FILE *f, const char *name, const char *help, struct histogram *h)
{
	uint64_t cum = 0;
	size_t i;

	fprintf(f, "# HELP st2_pagerduty_%s %s\n# TYPE st2_pagerduty_%s histogram\n", name, help,
	        name);
	for (i = 0; i <= h->n; i++) {
		cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
		if (i < h->n)
			fprintf(f, "st2_pagerduty_%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
			        (unsigned long long)cum);
		else
			fprintf(f, "st2_pagerduty_%s_bucket{le=\"+Inf\"} %llu\n", name,
			        (unsigned long long)cum);
	}
	fprintf(f, "st2_pagerduty_%s_sum %.6f\n", name,
	        (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6);
	fprintf(f, "st2_pagerduty_%s_count %llu\n", name,
	        (unsigned long long)atomic_load_explicit(&h->count, memory_order_relaxed));
}

/* Writes a gauge with its help line. */
static void
gauge_render(FILE *f, const char *name, const char *help, double v)
{
	fprintf(f, "# HELP st2_pagerduty_%s %s\n# TYPE st2_pagerduty_%s gauge\n", name, help, name);
	fprintf(f, "st2_pagerduty_%s %.15g\n", name, v);
}

/* The sensor's gauges, once it has set them. */
static void
metrics_render_sensor(FILE *f)
{
	int64_t cursor = atomic_load(&poll_cursor_ms), success = atomic_load(&poll_success_ms);
	const char *c;
	size_t i;

	if (cursor > 0)
		gauge_render(f, "poll_lag_seconds",
		             "How far behind now the poller has read everything (its cursor).",
		             (double)(now_ms() - cursor) / 1000.0);
	if (success > 0)
		gauge_render(f, "poll_last_success_timestamp_seconds",
		             "When the poller last finished a pass, seconds since the epoch.",
		             (double)success / 1000.0);
	pthread_mutex_lock(&subscriptions_mu);
	if (nsubscriptions > 0)
		fputs("# HELP st2_pagerduty_subscription_active 1 while a watched webhook "
		      "subscription delivers, 0 when disabled or switched off.\n"
		      "# TYPE st2_pagerduty_subscription_active gauge\n",
		      f);
	for (i = 0; i < nsubscriptions; i++) {
		fputs("st2_pagerduty_subscription_active{id=\"", f);
		/* A label value escapes backslash, quote and newline. */
		for (c = subscriptions[i].id; *c != '\0'; c++) {
			if (*c == '\\' || *c == '"')
				fputc('\\', f);
			if (*c == '\n')
				fputs("\\n", f);
			else
				fputc(*c, f);
		}
		fprintf(f, "\"} %d\n", subscriptions[i].active);
	}
	pthread_mutex_unlock(&subscriptions_mu);
}

char *
metrics_render(struct spool *spool)
{
	struct spool_stats st;
	FILE *f;
	char *out = NULL;
	size_t len = 0, i, j;
	uint64_t v;

	if ((f = open_memstream(&out, &len)) == NULL)
		fatal("metrics: open_memstream failed");
	for (i = 0; i < sizeof metric_help / sizeof metric_help[0]; i++) {
		fprintf(f, "# HELP st2_pagerduty_%s %s\n# TYPE st2_pagerduty_%s counter\n",
		        metric_help[i].name, metric_help[i].help, metric_help[i].name);
		for (j = 0; j < sizeof metric_counters / sizeof metric_counters[0]; j++) {
			if (metric_counters[j].name != metric_help[i].name)
				continue;
			v = atomic_load_explicit(&counters[metric_counters[j].id],
			                         memory_order_relaxed);
			if (metric_counters[j].label != NULL)
				fprintf(f, "st2_pagerduty_%s{%s} %llu\n", metric_counters[j].name,
				        metric_counters[j].label, (unsigned long long)v);
			else
				fprintf(f, "st2_pagerduty_%s %llu\n", metric_counters[j].name,
				        (unsigned long long)v);
		}
	}
	for (i = 0; i < sizeof metric_gauges / sizeof metric_gauges[0]; i++)
		gauge_render(f, metric_gauges[i].name, metric_gauges[i].help,
		             (double)atomic_load_explicit(&gauges[metric_gauges[i].id],
		                                          memory_order_relaxed));
	histogram_render(f, "request_duration_seconds",
	                 "Time from a webhook request's arrival to its answer.", &request_hist);
	histogram_render(f, "forward_latency_seconds",
	                 "Time from an event's arrival to StackStorm accepting its trigger.",
	                 &forward_hist);
	if (spool != NULL) {
		spool_stats(spool, &st);
		gauge_render(f, "spool_pending", "Events waiting for delivery to StackStorm.",
		             (double)st.pending);
		gauge_render(f, "spool_dead_letters", "Events in the dead-letter list.",
		             (double)st.dead);
		gauge_render(f, "spool_oldest_pending_age_seconds",
		             "Age of the oldest event waiting for delivery.",
		             st.oldest_pending_ms == 0
		                 ? 0.0
		                 : (double)(now_ms() - st.oldest_pending_ms) / 1000.0);
		gauge_render(f, "spool_writable", "1 when the spool accepts events.",
		             spool_writable(spool) ? 1.0 : 0.0);
		gauge_render(f, "spool_leader",
		             "1 when this process's forwarder is the one delivering (one replica "
		             "at a time with spool.backend redis).",
		             spool_leader(spool) != 0 ? 1.0 : 0.0);
	}
	metrics_render_sensor(f);
	fprintf(f,
	        "# HELP st2_pagerduty_build_info Version of the running binary.\n"
	        "# TYPE st2_pagerduty_build_info gauge\n"
	        "st2_pagerduty_build_info{version=\"%s\"} 1\n",
	        PD_VERSION);
	fclose(f);
	return out;
}
