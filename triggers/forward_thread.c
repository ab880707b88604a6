/*
 * forward_thread.c: the forwarder's thread and its ways in: forward_new()
 * starts it, forward_handoff() (the spool's writer thread) and
 * forward_stop() hand work over through events and a locked inbox,
 * forward_join() and forward_free() end it. Inside the thread there are no
 * locks; the events of its loop (the hand-over, the one-second tick, the
 * stop) run the mechanism of forward.c, whose DESIGN explains it.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forward.h"

/* Runs done once the last transfer of a stop has finished. */
void
fw_maybe_done(struct forwarder *fw)
{
	if (fw->stopping && fw->in_flight == 0)
		event_active(fw->done_ev, EV_TIMEOUT, 1);
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
	struct timeval tv = ms_timeval(FW_TICK_MS);
	const char *sink_path;
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
	}
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
		fw_http_new(fw);
		log_info("forward: triggers go to %s", fw->url);
	} else {
		sink_path = cfg->st2_sink_file != NULL ? cfg->st2_sink_file : "triggers.jsonl";
		fw->sink = sink_new(sink_path, cfg->spool_durability == DURABILITY_FSYNC);
		log_info("forward: st2.api_url unset, triggers go to %s", sink_path);
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
	fw_http_free(fw);
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
	free(fw->problem);
	free(fw);
}
