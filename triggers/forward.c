/*
 * forward.c: the forwarder. Delivers spooled events to StackStorm as
 * triggers (POST {st2.api_url}/v1/webhooks/st2), or appends them to the
 * local sink file when st2.api_url is unset, and records each outcome in
 * the spool. This file is its mechanism: the window, the order per
 * incident, leadership, and what becomes of each attempt. The requests to
 * st2 are forward_http.c; the thread, its loop's events and the entry
 * points other threads call are forward_thread.c; forward.h is what the
 * three share.
 *
 * DESIGN
 *
 * The forwarder runs on a thread of its own with its own event_base, so
 * that delivering triggers never delays answering PagerDuty and the two
 * can use two cores. It shares nothing with the receiver's loop but the
 * spool (thread-safe) and the metrics (atomic); its only other entry
 * points are forward_handoff() (called by the spool's writer thread) and
 * forward_stop(), which hand work over through events and a locked inbox
 * (forward_thread.c). Inside the thread there are no locks. HTTP is
 * libcurl's multi interface on the thread's libevent loop (forward_http.c,
 * through common/curlev.c), which keeps connections to StackStorm alive;
 * in sink mode the lines go to triggers/sink.c.
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
#include <stdlib.h>
#include <string.h>

#include "forward.h"

/* Whether it may start now: the head of its chain, idle and due. */
static int
fw_item_ready(const struct fw_item *it, int64_t now)
{
	if (it->state != FW_WAITING || it->due > now)
		return 0;
	return order_is_head(&it->order);
}

/* Takes ev (ownership) into the window, honouring a stored retry time. */
void
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
void
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
const char *
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
int
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
void
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
void
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
void
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
