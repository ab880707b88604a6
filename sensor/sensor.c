/*
 * sensor.c: the sensor inside serve: the poller (sensor/poll.c) and the
 * subscription watchdog (sensor/watchdog.c) on a thread of their own,
 * `pd-sensor`, when poll.mode is not off.
 *
 * DESIGN
 * ------
 * PagerDuty's REST client blocks (a request, its retries, a 429 asking to
 * wait up to a minute), and the daemon's loop must keep answering
 * webhooks meanwhile, so the sensor has its own thread. It needs no event
 * loop: its only timer is "next poll, next check", kept as monotonic
 * deadlines and waited for on a condition variable that sensor_stop()
 * signals. Polls start every poll.interval_s, counted from the start of
 * the previous pass (a pass longer than that is followed at once by the
 * next); the watchdog checks every SENSOR_WATCH_FACTOR polls, between 5 s
 * and 5 minutes. Both run once at start: the poller catches up at once
 * after downtime, and a disabled subscription shows at once.
 *
 * What the sensor finds goes through the same spool and forwarder as a
 * webhook: one path to StackStorm. The poller submits from this thread and
 * the spool's callbacks come back on the daemon's loop thread; poll.c says
 * how the two meet.
 *
 * Stopping (SIGTERM): sensor_stop(), on the loop thread, sets the stop
 * flag and cancels the poller, which aborts a request in flight within a
 * second, ends a wait between retries, and stops waiting for commits; its
 * cursor moves only after events are durable, so what is abandoned is
 * read again by the next start. serve joins the thread before it closes
 * the spool, and frees the sensor after, since commit callbacks still due
 * run while the spool closes.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st2pd.h"

#define SENSOR_WATCH_FACTOR 5      /* watchdog checks every this many poll intervals */
#define SENSOR_WATCH_MIN_MS 5000   /* ... but no more often */
#define SENSOR_WATCH_MAX_MS 300000 /* ... and no less: "every few minutes" */

struct sensor {
	const struct pd_config *cfg;
	struct poller *poller;
	struct watchdog *watchdog;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* on CLOCK_MONOTONIC */
	int stopping;
	char *problem; /* the last failure logged, so that an outage logs once */
};

/* The sensor of a config, or NULL when poll.mode is off. */
struct sensor *
sensor_new(const struct pd_config *cfg, struct spool *spool)
{
	struct sensor *s;
	pthread_condattr_t ca;

	if (cfg->poll_mode == POLL_OFF)
		return NULL;
	s = xcalloc(1, sizeof *s);
	s->cfg = cfg;
	s->poller = poll_new(cfg, spool, NULL, POLL_KEEP_CURSOR, NULL);
	s->watchdog = watchdog_new(cfg, poll_cancel_flag(s->poller));
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	return s;
}

/* Logs a failed pass: the first of a kind at error level, repeats at debug. */
static void
sensor_failed(struct sensor *s, enum pd_err rc)
{
	const json_t *e = poll_last_error(s->poller);
	const char *msg = json_string_value(json_object_get(e, "message"));
	char *kind = xasprintf("%s %lld", pd_errcode(rc),
	                       (long long)json_integer_value(json_object_get(e, "http_status")));
	int again = s->problem != NULL && strcmp(s->problem, kind) == 0;

	log_fields(again ? LOG_DEBUG : LOG_ERROR,
	           "poll: pass failed; the next poll reads the same window again", "error",
	           pd_errcode(rc), "message", msg != NULL ? msg : pd_strerror(rc), NULL);
	free(s->problem);
	s->problem = kind;
}

/* Waits until deadline (monotonic ms) or a stop; 1 if stopping. */
static int
sensor_sleep(struct sensor *s, int64_t deadline)
{
	struct timespec ts;
	int stop;

	ts.tv_sec = (time_t)(deadline / 1000);
	ts.tv_nsec = (long)(deadline % 1000) * 1000000L;
	pthread_mutex_lock(&s->mu);
	while (!s->stopping && mono_ms() < deadline)
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	stop = s->stopping;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* The pd-sensor thread: polls and checks until stopped. */
static void *
sensor_thread(void *arg)
{
	struct sensor *s = arg;
	int64_t interval = s->cfg->poll_interval_s * 1000LL, period, next_poll, next_watch, t0;
	enum pd_err rc;

	pthread_setname_np(pthread_self(), "pd-sensor");
	period = interval * SENSOR_WATCH_FACTOR;
	if (period < SENSOR_WATCH_MIN_MS)
		period = SENSOR_WATCH_MIN_MS;
	if (period > SENSOR_WATCH_MAX_MS)
		period = SENSOR_WATCH_MAX_MS;
	poll_start(s->poller, now_ms() / 1000);
	next_poll = next_watch = mono_ms();
	for (;;) {
		if (sensor_sleep(s, next_poll < next_watch || s->watchdog == NULL ? next_poll
		                                                                  : next_watch))
			break;
		if (s->watchdog != NULL && mono_ms() >= next_watch) {
			watchdog_check(s->watchdog);
			next_watch = mono_ms() + period;
		}
		if (mono_ms() < next_poll)
			continue;
		t0 = mono_ms();
		rc = poll_run(s->poller, now_ms() / 1000);
		if (rc == PD_ERR_SHUTTING_DOWN)
			break;
		if (rc != PD_OK) {
			sensor_failed(s, rc);
		} else if (s->problem != NULL) {
			log_info("poll: passes work again");
			free(s->problem);
			s->problem = NULL;
		}
		next_poll = t0 + interval;
	}
	log_debug("sensor: stopped");
	return NULL;
}

/* Starts the pd-sensor thread. */
enum pd_err
sensor_start(struct sensor *s)
{
	int rc;

	if (s->cfg->poll_mode == POLL_ONLY && s->cfg->webhook_secrets.n == 0)
		log_info("poll.mode only and no webhook.secrets: every webhook is refused (401); "
		         "/healthz and /metrics are served");
	if (s->watchdog == NULL)
		log_info(
		    "watchdog: neither webhook.subscription_ids nor webhook.public_url is set: "
		    "no webhook subscription is watched");
	if ((rc = pthread_create(&s->thread, NULL, sensor_thread, s)) != 0) {
		log_error("sensor: cannot start its thread: %s", strerror(rc));
		return PD_ERR_IO;
	}
	s->started = 1;
	log_fields(LOG_INFO, "sensor: polling PagerDuty", "mode",
	           s->cfg->poll_mode == POLL_ONLY ? "only" : "backfill", "api_url",
	           s->cfg->pd_api_url, NULL);
	return PD_OK;
}

/* Asks the thread to stop and abandons its pass; returns at once. */
void
sensor_stop(struct sensor *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	poll_cancel(s->poller);
}

/* Stops the thread and waits for it. */
void
sensor_join(struct sensor *s)
{
	if (s == NULL || !s->started)
		return;
	sensor_stop(s);
	pthread_join(s->thread, NULL);
	s->started = 0;
}

/* Frees the sensor, after the spool has run its last callbacks. */
void
sensor_free(struct sensor *s)
{
	if (s == NULL)
		return;
	watchdog_free(s->watchdog);
	poll_free(s->poller);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s->problem);
	free(s);
}
