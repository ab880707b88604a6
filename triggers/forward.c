/*
 * forward.c: the forwarder. Delivers spooled events to StackStorm as
 * triggers (POST {st2.api_url}/v1/webhooks/st2), or appends them to the
 * local sink file when st2.api_url is unset, and records each outcome in
 * the spool.
 *
 * DESIGN
 *
 * The forwarder runs on a thread of its own with its own event_base, so
 * that delivering triggers never delays answering PagerDuty and the two
 * can use two cores. It shares nothing with the receiver's loop but the
 * spool (thread-safe) and the metrics (atomic); its only other entry
 * points are forward_handoff() (called by the spool's writer thread) and
 * forward_stop(), which hand work over through events and a locked inbox.
 * Inside the thread there are no locks. HTTP is libcurl's multi interface
 * on the thread's libevent loop (common/curlev.c), which keeps connections
 * to StackStorm alive; in sink mode the lines go to triggers/sink.c.
 *
 * The spool is the queue; the forwarder only holds a window of at most
 * FW_WINDOW_MAX pending events in memory, in seq order. In the common case
 * the window is fed by the spool's writer, which hands over each commit's
 * new events as they are (forward_handoff): they are taken only if their
 * seq follows the last one loaded, so the window never skips an event (a
 * row another process inserted leaves a gap; so does a refused duplicate,
 * which costs a refill from the database, nothing more).
 * Anything else (the window full, a gap because another process wrote,
 * the start) sets "backlog", and the window is then refilled from the
 * database with spool_fetch(after = the last seq loaded) until it has
 * caught up; handed-over events it already has are dropped. The one-second
 * tick's jobs: (1) a refill, which also picks up dead letters re-queued by
 * `spool retry` from another process (they get new seqs); (2) start the
 * retries that have come due; (3) retry the sink after a write error.
 * While the spool holds more than the window, refills wait for
 * FW_REFILL_MIN free slots so that fetches come in batches.
 *
 * Order per incident: events sharing an order_key form a chain in the
 * window (triggers/order.c), and only the chain's head (its oldest event) may be in flight
 * or waiting for its retry; the others wait behind it, so st2 receives
 * them in seq order. An event leaves the window only as the head of its
 * chain (delivered or dead-lettered). Different keys proceed in parallel,
 * up to FW_MAX_IN_FLIGHT requests. If the window fills with one key (more
 * than FW_WINDOW_MAX pending events of one incident: a burst, or st2
 * failing on that incident's oldest event), a single request is in flight
 * at a time and events of every other key wait in the spool until the
 * chain shrinks. That is head-of-line blocking, accepted because the order
 * promise and bounded memory are worth more than throughput in a case
 * that rare; nothing is lost, only delayed.
 *
 * Outcomes (triggers/answer.c decides): 2xx is delivered; 400, 413 and
 * 422 make a dead letter at once, with st2's faultstring as the reason.
 * Everything else is retried after min(60 s, 1 s * 2^(attempts-1)), jittered
 * uniformly over its upper half and at least Retry-After on 429/503.
 * Those failures also close a gate for every event, since they say st2 as
 * a whole is down, overloaded or misconfigured: nothing starts until the
 * gate's own backoff (capped at FW_GATE_MAX) has passed, then one request
 * at a time probes until one succeeds. An outage thus costs one attempt per backoff, not one per
 * event, and the event that failed waits out its own backoff, so a single
 * event st2 keeps failing on cannot hold the gate shut for the others.
 * Retries never give up: StackStorm may be down or misconfigured for
 * hours, and an event PagerDuty was told we accepted must not be lost. An
 * operator sees them in `spool status` and the logs, and can purge them by
 * hand. Repeated failures of one kind are logged once, then at debug
 * level, until a delivery succeeds again.
 *
 * Leadership (spool_leader): with several replicas sharing one spool
 * (spool.backend redis), only one forwarder delivers, or two would race on
 * an incident's events. While the spool says another process leads, this
 * one loads nothing, drops what is handed over and starts no request.
 * When the answer changes (leadership won, lost, or won again with a new
 * epoch), the window may hold events another leader has delivered since,
 * or lack some: once the requests in flight have ended, it is emptied and
 * filled again from the spool's start (last_seq 0). The SQLite spool
 * always leads, from its first epoch on, which is how the forwarder
 * starts. A hand-over of no events (n 0) is the spool saying that events
 * it did not hand over were stored (by another replica): fetch.
 *
 * Sink mode (no st2.api_url) keeps the same window and order: each pass
 * appends every window event as one JSON line (triggers/sink.c), then
 * marks delivered what was written for good. forward_stop() only waits for HTTP
 * transfers in flight; events not started stay pending in the spool.
 */
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/types.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "st2pd.h"

/*
 * Requests in flight at once. st2api is a few gunicorn workers behind
 * nginx, so more parallel requests would only queue there; 16 keep-alive
 * connections already hide one request's round trip, and the number bounds
 * the sockets and memory the forwarder can take.
 */
#define FW_MAX_IN_FLIGHT 16
/* Events held in memory; the rest wait in the spool, which is the queue. */
#define FW_WINDOW_MAX 1024
/* With a backlog, refill only once this many slots are free (batched fetches). */
#define FW_REFILL_MIN  (FW_WINDOW_MAX / 4)
#define FW_TICK_MS     1000
#define FW_NICE        10    /* the forwarder thread's niceness: see fw_thread() */
#define FW_BACKOFF_MS  1000  /* first retry after 0.5-1 s */
#define FW_BACKOFF_MAX 60000 /* never wait more than a minute */
#define FW_GATE_MAX    5000  /* st2 probed at least every 5 s while it is down */
#define FW_CONNECT_MS  5000
#define FW_TIMEOUT_MS  30000
/* Response bytes kept: st2 answers {"faultstring": ...}, far smaller. */
#define FW_RESP_MAX 65536

enum fw_state { FW_WAITING = 0, FW_IN_FLIGHT };

/* One HTTP request in flight. */
struct fw_xfer {
	CURL *easy;
	/* This request's St2-Trace-Tag, chained in front of the forwarder's shared headers. */
	struct curl_slist tag;
	char *body;
	struct http_body resp; /* the start of st2's answer: FW_RESP_MAX */
	char errbuf[CURL_ERROR_SIZE];
};

/* One window event. */
struct fw_item {
	struct spool_event *ev;
	struct order_link order; /* in its order key's chain */
	enum fw_state state;
	int64_t due; /* mono_ms() before which it may not start */
	struct fw_xfer *xfer;
	TAILQ_ENTRY(fw_item) entry;
};
TAILQ_HEAD(fw_window, fw_item);

struct forwarder {
	struct event_base *base;
	struct spool *spool;
	char *url;  /* NULL: sink mode */
	char *auth; /* "St2-Api-Key: ..." or "X-Auth-Token: ...", or NULL */
	int verify_tls;

	struct sink *sink; /* sink mode */
	char *sink_path;
	int sink_failures;
	int64_t sink_due;

	struct event_base *own_base; /* = base; freed by forward_free */
	pthread_t thread;
	int started;

	struct curlev *curl;
	struct curl_slist *headers;   /* the same for every request */
	CURL *idle[FW_MAX_IN_FLIGHT]; /* configured handles between requests */
	size_t nidle;
	struct event *tick;
	struct event *done_ev;
	struct event *stop_ev;
	struct event *inbox_ev;

	/* Events handed over by the spool's writer thread, guarded by inbox_mu. */
	pthread_mutex_t inbox_mu;
	struct spool_event **inbox;
	size_t ninbox;
	int poked; /* an empty hand-over: others' events were stored */

	/* Closed after an st2-wide failure until gate_due; then one probe at a time. */
	int gate_failures;
	int64_t gate_due;

	struct fw_window window;
	size_t nwindow;
	size_t in_flight;
	int64_t last_seq;    /* highest seq loaded into the window */
	int backlog;         /* the spool may hold more than the window took */
	unsigned long epoch; /* the spool's leadership epoch the window is from; 0: none */
	struct order_table order;

	char *problem; /* kind of the last failure logged; NULL while healthy */
	int stopping;
	void (*done)(void *);
	void *done_arg;
};

/* Whether it may start now: the head of its chain, idle and due. */
static int
fw_item_ready(const struct fw_item *it, int64_t now)
{
	if (it->state != FW_WAITING || it->due > now)
		return 0;
	return order_is_head(&it->order);
}

/* Frees a transfer, detaching it from the multi handle first. */
static void
fw_xfer_free(struct forwarder *fw, struct fw_xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL) {
		curlev_remove(fw->curl, x->easy);
		/* Nothing of x may outlive it in an idle handle. */
		curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, NULL);
		curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, NULL);
		curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, NULL);
		if (fw->nidle < FW_MAX_IN_FLIGHT)
			fw->idle[fw->nidle++] = x->easy;
		else
			curl_easy_cleanup(x->easy);
	}
	free(x->tag.data);
	free(x->body);
	free(x->resp.data);
	free(x);
}

/* Takes ev (ownership) into the window, honouring a stored retry time. */
static void
fw_item_add(struct forwarder *fw, struct spool_event *ev)
{
	struct fw_item *it = xcalloc(1, sizeof *it);
	int64_t delay = ev->next_attempt_ms - now_ms();

	it->ev = ev;
	it->state = FW_WAITING;
	it->due = delay > 0 ? mono_ms() + (delay < FW_BACKOFF_MAX ? delay : FW_BACKOFF_MAX) : 0;
	TAILQ_INSERT_TAIL(&fw->window, it, entry);
	fw->nwindow++;
	order_attach(&fw->order, &it->order, ev->order_key);
	if (ev->seq > fw->last_seq)
		fw->last_seq = ev->seq;
}

/* Drops it from the window (delivered, dead, or shutting down). */
static void
fw_item_remove(struct forwarder *fw, struct fw_item *it)
{
	if (it->xfer != NULL) {
		fw_xfer_free(fw, it->xfer);
		fw->in_flight--;
	}
	if (!order_detach(&fw->order, &it->order))
		fatal("forward: event %lld left the window before older events of its incident",
		      (long long)it->ev->seq);
	TAILQ_REMOVE(&fw->window, it, entry);
	fw->nwindow--;
	spool_event_free(it->ev);
	free(it);
}

/* Why ev cannot become a request body (NULL if it can): checked once, at load. */
static const char *
fw_unsendable(const struct spool_event *ev)
{
	json_t *t;

	if (ev->payload == NULL || ev->payload[0] == '\0')
		return "spool: event has no payload";
	if (ev->trigger == NULL || (t = json_string(ev->trigger)) == NULL)
		return "spool: trigger name missing or not valid UTF-8";
	json_decref(t);
	return NULL;
}

/*
 * Whether this forwarder may deliver now (see DESIGN). When the spool's
 * leadership changed, the window is emptied, once nothing is in flight,
 * and the spool read again from its start.
 */
static int
fw_leading(struct forwarder *fw)
{
	unsigned long epoch = spool_leader(fw->spool);
	struct fw_item *it;

	if (epoch == fw->epoch)
		return epoch != 0;
	if (fw->in_flight > 0)
		return 0;
	/* In seq order, each item is the head of its chain when it goes. */
	while ((it = TAILQ_FIRST(&fw->window)) != NULL)
		fw_item_remove(fw, it);
	/* The first epoch is every single host's start: not worth a line. */
	log_msg(fw->epoch == 0 && epoch == 1 ? LOG_DEBUG : LOG_INFO, "forward: %s",
	        epoch != 0 ? "delivering (this replica leads)"
	                   : "another replica delivers: standing by");
	fw->epoch = epoch;
	fw->last_seq = 0;
	fw->backlog = 1;
	return epoch != 0;
}

/* Loads pending events after the last one loaded, as room allows. */
static void
fw_refill(struct forwarder *fw)
{
	const char *why;
	struct spool_event **evs = NULL;
	size_t room = FW_WINDOW_MAX - fw->nwindow, got, i;

	if (room == 0 || fw->stopping || !fw_leading(fw))
		return;
	got = spool_fetch(fw->spool, fw->last_seq, room, &evs);
	for (i = 0; i < got; i++) {
		if ((why = fw_unsendable(evs[i])) == NULL) {
			fw_item_add(fw, evs[i]);
			continue;
		}
		/* A damaged row would fail the same way forever: set it aside at once. */
		spool_dead(fw->spool, evs[i]->seq, evs[i]->attempts, why);
		metrics_inc(M_DEAD_LETTERED);
		log_fields(LOG_ERROR, "forward: spooled event cannot be sent, dead-lettered",
		           "event_id", evs[i]->event_id, "reason", why, NULL);
		if (evs[i]->seq > fw->last_seq)
			fw->last_seq = evs[i]->seq;
		spool_event_free(evs[i]);
	}
	free(evs);
	fw->backlog = got == room;
}

/* Backoff before retry number attempts (1 = after the first failure). */
static int64_t
fw_backoff_ms(int attempts)
{
	int64_t delay = FW_BACKOFF_MAX;

	if (attempts < 1)
		attempts = 1;
	if (attempts <= 7 && ((int64_t)FW_BACKOFF_MS << (attempts - 1)) < FW_BACKOFF_MAX)
		delay = (int64_t)FW_BACKOFF_MS << (attempts - 1);
	/* Full jitter over the upper half: failed senders spread out, none retries at once. */
	return delay / 2 + crypto_uniform((uint32_t)(delay / 2) + 1);
}

/*
 * Logs a failure once per kind (e.g. "http 503", "curl 7") and repeats at
 * debug level, so that an st2 outage of hours writes one line, not one per
 * event and attempt.
 */
static void
fw_problem(struct forwarder *fw, enum log_level level, const char *kind, const char *msg,
           const struct spool_event *ev, const char *error)
{
	if (fw->problem != NULL && strcmp(fw->problem, kind) == 0)
		level = LOG_DEBUG;
	else {
		free(fw->problem);
		fw->problem = xstrdup(kind);
	}
	log_fields(level, msg, "event_id", ev != NULL ? ev->event_id : NULL, "trigger",
	           ev != NULL ? ev->trigger : NULL, "error", error, NULL);
}

/* Notes that deliveries work (again). */
static void
fw_healthy(struct forwarder *fw)
{
	if (fw->problem == NULL)
		return;
	log_info("forward: %s accepts triggers again", fw->url != NULL ? "st2" : "the sink file");
	free(fw->problem);
	fw->problem = NULL;
}

/* An st2-wide failure: close the gate for a backoff (at least retry_after_s). */
static void
fw_gate_close(struct forwarder *fw, int64_t retry_after_s)
{
	int64_t delay = fw_backoff_ms(++fw->gate_failures);

	/* A probe is one request: no reason to leave st2 unwatched for a minute. */
	if (delay > FW_GATE_MAX)
		delay = FW_GATE_MAX / 2 + crypto_uniform(FW_GATE_MAX / 2 + 1);
	if (retry_after_s > FW_BACKOFF_MAX / 1000)
		retry_after_s = FW_BACKOFF_MAX / 1000;
	if (retry_after_s * 1000 > delay)
		delay = retry_after_s * 1000;
	fw->gate_due = mono_ms() + delay;
}

/*
 * A probe got through: st2 is back. The events that failed during the
 * outage need not wait out their own backoffs, which by then can be a
 * minute long: they go now, in order as always.
 */
static void
fw_gate_reopen(struct forwarder *fw)
{
	struct fw_item *it;

	fw->gate_failures = 0;
	TAILQ_FOREACH(it, &fw->window, entry)
	{
		if (it->state == FW_WAITING)
			it->due = 0;
	}
}

/* May a request start now? Not while the gate is shut; one at a time while probing. */
static int
fw_gate_open(const struct forwarder *fw, int64_t now)
{
	if (fw->gate_failures == 0)
		return 1;
	return now >= fw->gate_due && fw->in_flight == 0;
}

/* The head of its chain reached st2 (or the sink): record and let the next one go. */
static void
fw_delivered(struct forwarder *fw, struct fw_item *it)
{
	int64_t ms = now_ms() - it->ev->received_ms;

	spool_delivered(fw->spool, it->ev->seq);
	metrics_inc(M_EMITTED);
	metrics_observe_forward(ms > 0 ? (double)ms / 1000.0 : 0.0);
	log_fields(LOG_DEBUG, "forward: delivered", "event_id", it->ev->event_id, "trigger",
	           it->ev->trigger, NULL);
	fw_item_remove(fw, it);
}

/* st2 will never take this event: dead letter, never retried. */
static void
fw_dead(struct forwarder *fw, struct fw_item *it, const char *reason)
{
	spool_dead(fw->spool, it->ev->seq, it->ev->attempts, reason);
	metrics_inc(M_DEAD_LETTERED);
	log_fields(LOG_ERROR, "forward: st2 rejected the trigger, dead-lettered", "event_id",
	           it->ev->event_id, "trigger", it->ev->trigger, "reason", reason, NULL);
	fw_item_remove(fw, it);
}

/* Schedules another attempt after a backoff (at least retry_after_s); the event stays. */
static void
fw_retry(struct forwarder *fw, struct fw_item *it, const char *error, int64_t retry_after_s)
{
	int64_t delay = fw_backoff_ms(it->ev->attempts);

	if (it->xfer != NULL) {
		fw_xfer_free(fw, it->xfer);
		it->xfer = NULL;
		fw->in_flight--;
	}
	it->state = FW_WAITING;

	if (retry_after_s > 0) {
		if (retry_after_s > FW_BACKOFF_MAX / 1000)
			retry_after_s = FW_BACKOFF_MAX / 1000;
		if (retry_after_s * 1000 > delay)
			delay = retry_after_s * 1000;
	}
	it->due = mono_ms() + delay;
	it->ev->next_attempt_ms = now_ms() + delay;
	free(it->ev->last_error);
	it->ev->last_error = xstrdup(error);
	spool_retry_later(fw->spool, it->ev->seq, it->ev->attempts, it->ev->next_attempt_ms, error);
	metrics_inc(M_RETRIED);
}

/* Decides what a finished attempt means and records it. */
static void
fw_outcome(struct forwarder *fw, struct fw_item *it, CURLcode cc, long status,
           int64_t retry_after_s)
{
	const struct answer_rule *r;
	struct fw_xfer *x = it->xfer;
	char *fault, *msg, kind[32];

	it->ev->attempts++;
	if (cc != CURLE_OK) {
		msg = xasprintf("st2 unreachable: %s",
		                x->errbuf[0] != '\0' ? x->errbuf : curl_easy_strerror(cc));
		snprintf(kind, sizeof kind, "curl %d", (int)cc);
		fw_problem(fw, LOG_WARN, kind, "forward: cannot reach st2, retrying with backoff",
		           it->ev, msg);
		fw_gate_close(fw, 0);
		fw_retry(fw, it, msg, 0);
		free(msg);
		return;
	}
	r = answer_rule(status);
	if (r->verdict == ANSWER_DELIVERED) {
		if (fw->gate_failures > 0)
			fw_gate_reopen(fw);
		fw_healthy(fw);
		fw_delivered(fw, it);
		return;
	}
	fault = answer_reason(x->resp.data != NULL ? x->resp.data : "", x->resp.len);
	msg = xasprintf("st2 %ld: %s", status, fault);
	free(fault);
	if (r->verdict == ANSWER_DEAD) {
		fw_dead(fw, it, msg);
	} else {
		snprintf(kind, sizeof kind, "http %ld", status);
		fw_problem(fw, r->level, kind, r->msg, it->ev, msg);
		fw_gate_close(fw, r->verdict == ANSWER_RETRY_AFTER ? retry_after_s : 0);
		fw_retry(fw, it, msg, r->verdict == ANSWER_RETRY_AFTER ? retry_after_s : 0);
	}
	free(msg);
}

/*
 * A handle with the options every request shares. Handles are kept between
 * requests (fw->idle) rather than built and cleared for each of them; the
 * connections themselves live in the multi handle either way.
 */
static CURL *
fw_easy(struct forwarder *fw)
{
	CURL *easy;

	if (fw->nidle > 0)
		return fw->idle[--fw->nidle];
	if ((easy = curl_easy_init()) == NULL)
		fatal("forward: libcurl: out of memory");
	curl_easy_setopt(easy, CURLOPT_URL, fw->url);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_body_write);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)FW_CONNECT_MS);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)FW_TIMEOUT_MS);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, fw->verify_tls ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, fw->verify_tls ? 2L : 0L);
	http_common_opts(easy);
	return easy;
}

/* Starts the POST of one window event. */
static void
fw_start(struct forwarder *fw, struct fw_item *it)
{
	struct fw_xfer *x = xcalloc(1, sizeof *x);
	const char *why;
	char *p;

	x->body = payload_trigger_body(it->ev, "");
	/* The event id is PagerDuty's: keep control characters out of the header. */
	x->tag.data = xasprintf("St2-Trace-Tag: pagerduty-%s", it->ev->event_id);
	for (p = x->tag.data; *p != '\0'; p++) {
		if (iscntrl((unsigned char)*p))
			*p = '_';
	}
	x->tag.next = fw->headers;
	x->easy = fw_easy(fw);
	/* Every option a previous request set differently is set again here. */
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, &x->tag);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->body));
	x->resp.max = FW_RESP_MAX; /* kept for error reasons; st2's answers are far smaller */
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, &x->resp);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, it);

	it->xfer = x;
	it->state = FW_IN_FLIGHT;
	fw->in_flight++;
	if ((why = curlev_add(fw->curl, x->easy)) != NULL) {
		/* Not sent at all: count it as a failed attempt and back off. */
		snprintf(x->errbuf, sizeof x->errbuf, "%s", why);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		fw_outcome(fw, it, CURLE_FAILED_INIT, 0, 0);
	}
}

/*
 * Sink mode: appends the whole window, in seq order, one JSON line per
 * event (triggers/sink.c), then marks delivered what it wrote for good;
 * the rest waits for a backoff.
 */
static void
fw_sink_flush(struct forwarder *fw)
{
	struct spool_event **evs = NULL;
	struct fw_item *it;
	size_t n = 0, written, i;
	char *error;
	int64_t now = mono_ms();

	if (TAILQ_EMPTY(&fw->window) || now < fw->sink_due)
		return;
	evs = xreallocarray(NULL, fw->nwindow, sizeof *evs);
	TAILQ_FOREACH(it, &fw->window, entry)
	evs[n++] = it->ev;
	written = sink_write(fw->sink, evs, n, &error);
	free(evs);
	for (i = 0; i < written; i++)
		fw_delivered(fw, TAILQ_FIRST(&fw->window));
	if (error == NULL) {
		fw->sink_failures = 0;
		fw_healthy(fw);
		return;
	}
	fw->sink_failures++;
	fw->sink_due = now + fw_backoff_ms(fw->sink_failures);
	fw_problem(fw, LOG_ERROR, "sink", "forward: cannot write the sink file, retrying",
	           TAILQ_FIRST(&fw->window) != NULL ? TAILQ_FIRST(&fw->window)->ev : NULL, error);
	free(error);
}

/* Starts whatever may start: due chain heads, up to the in-flight limit. */
static void
fw_dispatch(struct forwarder *fw)
{
	struct fw_item *it;
	int64_t now = mono_ms();

	if (fw->stopping || !fw_leading(fw))
		return;
	if (fw->backlog && (FW_WINDOW_MAX - fw->nwindow >= FW_REFILL_MIN || fw->nwindow == 0))
		fw_refill(fw);
	if (fw->url == NULL) {
		fw_sink_flush(fw);
		return;
	}
	for (it = TAILQ_FIRST(&fw->window); it != NULL && fw->in_flight < FW_MAX_IN_FLIGHT;
	     it = TAILQ_NEXT(it, entry)) {
		if (!fw_gate_open(fw, now))
			break;
		if (fw_item_ready(it, now))
			fw_start(fw, it);
	}
}

/* Runs done once the last transfer of a stop has finished. */
static void
fw_maybe_done(struct forwarder *fw)
{
	if (fw->stopping && fw->in_flight == 0)
		event_active(fw->done_ev, EV_TIMEOUT, 1);
}

/* curlev: a transfer finished; record its outcome. */
static void
fw_curl_done(void *easy, int result, void *arg)
{
	struct forwarder *fw = arg;
	curl_off_t retry_after = 0;
	long status = 0;
	char *priv;

	curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
	if (result == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
	}
	fw_outcome(fw, (struct fw_item *)priv, (CURLcode)result, status, (int64_t)retry_after);
}

/* curlev: every finished transfer is recorded; start the next ones. */
static void
fw_curl_collected(void *arg)
{
	struct forwarder *fw = arg;

	fw_dispatch(fw);
	fw_maybe_done(fw);
}

/* The one-second tick: refill (CLI retries, missed hand-overs), due retries, sink retry. */
static void
fw_tick(evutil_socket_t fd, short events, void *arg)
{
	struct forwarder *fw = arg;

	if (fw->stopping)
		return;
	fw->backlog = 1;
	fw_refill(fw);
	fw_dispatch(fw);
}

/* Runs the stop callback outside libcurl's callbacks, then ends the thread's loop. */
static void
fw_done_event(evutil_socket_t fd, short events, void *arg)
{
	struct forwarder *fw = arg;
	void (*done)(void *) = fw->done;

	fw->done = NULL;
	if (done != NULL)
		done(fw->done_arg);
	event_base_loopbreak(fw->base);
}

/* forward_stop() on the forwarder's thread: no new requests, wait for those in flight. */
static void
fw_stop_event(evutil_socket_t fd, short events, void *arg)
{
	struct forwarder *fw = arg;

	fw->stopping = 1;
	event_del(fw->tick);
	if (fw->in_flight == 0)
		event_active(fw->done_ev, EV_TIMEOUT, 1);
}

/*
 * Takes the events the spool's writer handed over: those that follow the
 * window's last seq join it; any other case leaves them to a refill.
 */
static void
fw_inbox_event(evutil_socket_t fd, short events, void *arg)
{
	struct forwarder *fw = arg;
	struct spool_event **evs, *ev;
	size_t n, i;
	int poked, lead;

	pthread_mutex_lock(&fw->inbox_mu);
	evs = fw->inbox;
	n = fw->ninbox;
	poked = fw->poked;
	fw->inbox = NULL;
	fw->ninbox = 0;
	fw->poked = 0;
	pthread_mutex_unlock(&fw->inbox_mu);

	lead = fw_leading(fw);
	if (poked)
		fw->backlog = 1;
	for (i = 0; i < n; i++) {
		ev = evs[i];
		if (ev->seq <= fw->last_seq || fw->stopping || !lead) {
			spool_event_free(ev); /* loaded by a refill already, or not needed */
			continue;
		}
		if (fw->backlog || ev->seq != fw->last_seq + 1 || fw->nwindow >= FW_WINDOW_MAX ||
		    fw_unsendable(ev) != NULL) {
			fw->backlog = 1;
			spool_event_free(ev);
			continue;
		}
		fw_item_add(fw, ev);
	}
	free(evs);
	fw_dispatch(fw);
}

/* The forwarder's thread: its loop runs until the stop has finished. */
static void *
fw_thread(void *arg)
{
	struct forwarder *fw = arg;

	pthread_setname_np(pthread_self(), "pd-forward");
	/*
	 * When the CPU is short, answering PagerDuty within its deadline comes
	 * first and delivery can lag: the spool holds what is not sent yet. A
	 * lower priority for this thread alone says so to the scheduler.
	 */
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), FW_NICE) != 0)
		log_debug("forward: cannot lower the forwarder's priority: %s", strerror(errno));
	event_base_dispatch(fw->base);
	return NULL;
}

/* Creates the forwarder and starts its thread, which loads what the spool holds. */
struct forwarder *
forward_new(const struct pd_config *cfg, struct spool *spool)
{
	struct forwarder *fw = xcalloc(1, sizeof *fw);
	struct timeval tv = {FW_TICK_MS / 1000, (FW_TICK_MS % 1000) * 1000};
	size_t len;
	int rc;

	if ((fw->base = fw->own_base = event_base_new()) == NULL)
		fatal("forward: cannot create an event loop");
	fw->spool = spool;
	fw->verify_tls = cfg->st2_verify_tls;
	fw->backlog = 1; /* whatever a previous run left in the spool */
	pthread_mutex_init(&fw->inbox_mu, NULL);
	TAILQ_INIT(&fw->window);
	if (cfg->st2_api_url != NULL) {
		len = strlen(cfg->st2_api_url);
		while (len > 0 && cfg->st2_api_url[len - 1] == '/')
			len--;
		fw->url = xasprintf("%.*s/v1/webhooks/st2", (int)len, cfg->st2_api_url);
	} else
		fw->sink_path =
		    xstrdup(cfg->st2_sink_file != NULL ? cfg->st2_sink_file : "triggers.jsonl");
	if (cfg->st2_api_key != NULL && cfg->st2_api_key[0] != '\0')
		fw->auth = xasprintf("St2-Api-Key: %s", cfg->st2_api_key);
	else if (cfg->st2_auth_token != NULL && cfg->st2_auth_token[0] != '\0')
		fw->auth = xasprintf("X-Auth-Token: %s", cfg->st2_auth_token);

	if ((fw->tick = event_new(fw->base, -1, EV_PERSIST, fw_tick, fw)) == NULL ||
	    (fw->done_ev = evtimer_new(fw->base, fw_done_event, fw)) == NULL ||
	    (fw->stop_ev = event_new(fw->base, -1, 0, fw_stop_event, fw)) == NULL ||
	    (fw->inbox_ev = event_new(fw->base, -1, 0, fw_inbox_event, fw)) == NULL)
		fatal("forward: event_new failed");
	if (fw->url != NULL) {
		fw->curl =
		    curlev_new(fw->base, FW_MAX_IN_FLIGHT, fw_curl_done, fw_curl_collected, fw);
		fw->headers = curl_slist_append(NULL, "Content-Type: application/json");
		/* Without this libcurl may wait a second for 100-continue on large bodies. */
		fw->headers = curl_slist_append(fw->headers, "Expect:");
		if (fw->auth != NULL)
			fw->headers = curl_slist_append(fw->headers, fw->auth);
		if (fw->headers == NULL)
			fatal("forward: libcurl: out of memory");
		log_info("forward: triggers go to %s", fw->url);
	} else {
		fw->sink = sink_new(fw->sink_path, cfg->spool_durability == DURABILITY_FSYNC);
		log_info("forward: st2.api_url unset, triggers go to %s", fw->sink_path);
	}
	event_add(fw->tick, &tv);
	/* The first pass loads the backlog at once rather than a tick later. */
	event_active(fw->inbox_ev, EV_READ, 0);
	if ((rc = pthread_create(&fw->thread, NULL, fw_thread, fw)) != 0)
		fatal("forward: cannot start the forwarder thread: %s", strerror(rc));
	fw->started = 1;
	return fw;
}

/* spool_notify_cb, on a spool's thread: queue the new events (or the poke, n 0) for ours. */
void
forward_handoff(struct spool_event **evs, size_t n, void *arg)
{
	struct forwarder *fw = arg;

	pthread_mutex_lock(&fw->inbox_mu);
	if (n == 0) {
		fw->poked = 1;
	} else {
		fw->inbox = xreallocarray(fw->inbox, fw->ninbox + n, sizeof *fw->inbox);
		memcpy(fw->inbox + fw->ninbox, evs, n * sizeof *evs);
		fw->ninbox += n;
	}
	pthread_mutex_unlock(&fw->inbox_mu);
	event_active(fw->inbox_ev, EV_READ, 0);
}

/*
 * Stops starting requests; done(arg) runs on the forwarder's thread once
 * none is in flight (so it must be thread-safe, like event_base_loopexit).
 */
void
forward_stop(struct forwarder *fw, void (*done)(void *), void *arg)
{
	fw->done = done;
	fw->done_arg = arg;
	event_active(fw->stop_ev, EV_READ, 0);
}

/* Ends the forwarder's thread (at once if forward_stop's done has not run yet). */
void
forward_join(struct forwarder *fw)
{
	if (fw == NULL || !fw->started)
		return;
	event_base_loopbreak(fw->base);
	pthread_join(fw->thread, NULL);
	fw->started = 0;
}

/* Frees everything; abandoned transfers' events stay pending in the spool. */
void
forward_free(struct forwarder *fw)
{
	struct fw_item *it;
	size_t i;

	if (fw == NULL)
		return;
	forward_join(fw);
	while ((it = TAILQ_FIRST(&fw->window)) != NULL)
		fw_item_remove(fw, it);
	while (fw->nidle > 0)
		curl_easy_cleanup(fw->idle[--fw->nidle]);
	curlev_free(fw->curl);
	curl_slist_free_all(fw->headers);
	for (i = 0; i < fw->ninbox; i++)
		spool_event_free(fw->inbox[i]);
	free(fw->inbox);
	pthread_mutex_destroy(&fw->inbox_mu);
	event_free(fw->tick);
	event_free(fw->done_ev);
	event_free(fw->stop_ev);
	event_free(fw->inbox_ev);
	event_base_free(fw->own_base);
	sink_free(fw->sink);
	free(fw->url);
	free(fw->auth);
	free(fw->sink_path);
	free(fw->problem);
	free(fw);
}
