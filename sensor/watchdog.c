/*
 * watchdog.c: the subscription watchdog. PagerDuty disables a webhook
 * subscription after three drops in a row (a rotated secret, a proxy
 * answering 4xx) and then delivers nothing, and says so to nobody; a
 * person may also switch one off. The watchdog reads the subscriptions
 * every few minutes and makes either visible.
 *
 * DESIGN
 * ------
 * Which subscriptions: webhook.subscription_ids, each read with GET
 * /webhook_subscriptions/{id}; else every subscription whose delivery URL
 * is webhook.public_url, from GET /webhook_subscriptions. Neither set: no
 * watchdog.
 *
 * Each subscription has a state (active, disabled by PagerDuty, switched
 * off, missing) and st2_pagerduty_subscription_active{id} says 1 or 0.
 * Only a change of state is logged, so a subscription disabled for a day
 * is one error line, not one per check; a failed check (PagerDuty
 * unreachable) changes nothing and is logged once until a check works.
 * One that PagerDuty disabled after drops (delivery_method.
 * temporarily_disabled) is re-enabled with POST .../enable when
 * webhook.reenable is true: the cause may still be there, but a 24-hour
 * silence helps nobody, and in backfill mode the poller has covered the
 * gap meanwhile. One a person switched off (active: false) is reported and
 * never switched back on: that was a decision.
 *
 * It runs on the sensor's thread, between polls, with the poller's cancel
 * flag, so that stopping the daemon abandons a check in progress.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

enum watch_state { WS_UNKNOWN = 0, WS_ACTIVE, WS_DISABLED, WS_OFF, WS_MISSING };

/* One watched subscription. */
struct watch_sub {
	char *id;
	enum watch_state state;
	int seen; /* in the last list (public_url) */
};

struct watchdog {
	const struct pd_config *cfg;
	const _Atomic int *cancel;
	struct watch_sub *subs;
	size_t nsubs;
	int failing; /* the last check failed: logged once */
	int none;    /* public_url matched nothing: logged once */
};

/* The watchdog of a config, or NULL when nothing is to be watched. */
struct watchdog *
watchdog_new(const struct pd_config *cfg, const _Atomic int *cancel)
{
	struct watchdog *w;
	size_t i;

	if (cfg->webhook_subscription_ids.n == 0 && cfg->webhook_public_url == NULL)
		return NULL;
	w = xcalloc(1, sizeof *w);
	w->cfg = cfg;
	w->cancel = cancel;
	for (i = 0; i < cfg->webhook_subscription_ids.n; i++) {
		w->subs = xreallocarray(w->subs, w->nsubs + 1, sizeof *w->subs);
		w->subs[w->nsubs].id = xstrdup(cfg->webhook_subscription_ids.v[i]);
		w->subs[w->nsubs++].state = WS_UNKNOWN;
	}
	return w;
}

/* Frees a watchdog. */
void
watchdog_free(struct watchdog *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nsubs; i++)
		free(w->subs[i].id);
	free(w->subs);
	free(w);
}

/* The watched subscription with this id, added if new. */
static struct watch_sub *
watch_find(struct watchdog *w, const char *id)
{
	size_t i;

	for (i = 0; i < w->nsubs; i++) {
		if (strcmp(w->subs[i].id, id) == 0)
			return &w->subs[i];
	}
	w->subs = xreallocarray(w->subs, w->nsubs + 1, sizeof *w->subs);
	memset(&w->subs[w->nsubs], 0, sizeof w->subs[0]);
	w->subs[w->nsubs].id = xstrdup(id);
	return &w->subs[w->nsubs++];
}

/*
 * One REST call with the sensor's cancel flag; a failure other than 404
 * (which *missing reports, when given) is logged once per streak.
 */
static enum pd_err
watch_call(struct watchdog *w, const char *method, const char *path, enum pd_page page,
           json_t **out, int *missing)
{
	struct pd_call call;
	json_t *error = NULL;
	enum pd_err rc;
	char *msg;
	int notfound;

	memset(&call, 0, sizeof call);
	call.method = method;
	call.path = path;
	call.page = page;
	call.collection = page != PD_PAGE_NONE ? "webhook_subscriptions" : NULL;
	call.cancel = w->cancel;
	rc = pd_request(w->cfg, &call, out, &error);
	notfound = rc == PD_ERR_PD_REJECTED &&
	           json_integer_value(json_object_get(error, "http_status")) == 404;
	if (missing != NULL)
		*missing = notfound;
	if (rc != PD_OK && rc != PD_ERR_SHUTTING_DOWN && !(notfound && missing != NULL)) {
		msg = json_dumps(error, JSON_COMPACT);
		log_fields(w->failing ? LOG_DEBUG : LOG_WARN,
		           "watchdog: cannot read webhook subscriptions; trying again later",
		           "request", path, "error", msg, NULL);
		free(msg);
		w->failing = 1;
	}
	json_decref(error);
	return rc;
}

/* POST .../enable for a subscription PagerDuty disabled; 1 if it took. */
static int
watch_enable(struct watchdog *w, struct watch_sub *s)
{
	char *path = xasprintf("/webhook_subscriptions/%s/enable", s->id);
	json_t *out = NULL;
	enum pd_err rc = watch_call(w, "POST", path, PD_PAGE_NONE, &out, NULL);
	json_t *sub = json_object_get(out, "webhook_subscription");
	int ok =
	    rc == PD_OK && !json_is_true(json_object_get(json_object_get(sub, "delivery_method"),
	                                                 "temporarily_disabled"));

	if (ok)
		log_fields(LOG_INFO, "watchdog: webhook subscription re-enabled (webhook.reenable)",
		           "subscription", s->id, NULL);
	else if (rc == PD_OK)
		log_fields(LOG_ERROR,
		           "watchdog: PagerDuty still shows the subscription disabled "
		           "after enabling it",
		           "subscription", s->id, NULL);
	json_decref(out);
	free(path);
	return ok;
}

/* Records what a check saw of one subscription (NULL: it does not exist). */
static void
watch_saw(struct watchdog *w, struct watch_sub *s, json_t *sub)
{
	enum watch_state was = s->state, now;
	const char *gap;

	if (sub == NULL)
		now = WS_MISSING;
	else if (json_is_false(json_object_get(sub, "active")))
		now = WS_OFF;
	else if (json_is_true(json_object_get(json_object_get(sub, "delivery_method"),
	                                      "temporarily_disabled")))
		now = WS_DISABLED;
	else
		now = WS_ACTIVE;
	s->state = now;
	gap = w->cfg->poll_mode == POLL_BACKFILL ? "the poller covers the gap (poll.mode backfill)"
	                                         : "events are not delivered by webhook meanwhile";
	if (now != was) {
		switch (now) {
		case WS_MISSING:
			log_fields(LOG_ERROR,
			           "watchdog: webhook subscription not found in PagerDuty",
			           "subscription", s->id, NULL);
			break;
		case WS_OFF:
			log_fields(
			    LOG_ERROR,
			    "watchdog: webhook subscription is switched off (active: false); a "
			    "person did this, so it is not switched back on",
			    "subscription", s->id, "meanwhile", gap, NULL);
			break;
		case WS_DISABLED:
			log_fields(
			    LOG_ERROR,
			    "watchdog: PagerDuty disabled the webhook subscription after failed "
			    "deliveries (temporarily_disabled)",
			    "subscription", s->id, "reenable",
			    w->cfg->webhook_reenable ? "true" : "false (webhook.reenable)",
			    "meanwhile", gap, NULL);
			break;
		case WS_ACTIVE:
			if (was != WS_UNKNOWN)
				log_fields(LOG_INFO,
				           "watchdog: webhook subscription is active again",
				           "subscription", s->id, NULL);
			break;
		case WS_UNKNOWN:
			break;
		}
	}
	if (now == WS_DISABLED && w->cfg->webhook_reenable && watch_enable(w, s))
		s->state = now = WS_ACTIVE;
	metrics_subscription(s->id, now == WS_ACTIVE);
}

/* A delivery URL as the config keeps them: no trailing "/". */
static int
watch_url_is(const char *url, const char *want)
{
	size_t len;

	if (url == NULL)
		return 0;
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	return len == strlen(want) && strncmp(url, want, len) == 0;
}

/* Checks every watched subscription once (see DESIGN); blocking. */
void
watchdog_check(struct watchdog *w)
{
	json_t *out, *sub;
	struct watch_sub *s;
	enum pd_err rc;
	size_t i, found = 0;
	char *path;
	int missing;

	if (w->cfg->webhook_subscription_ids.n > 0) {
		for (i = 0; i < w->nsubs && !atomic_load(w->cancel); i++) {
			path = xasprintf("/webhook_subscriptions/%s", w->subs[i].id);
			out = NULL;
			rc = watch_call(w, "GET", path, PD_PAGE_NONE, &out, &missing);
			free(path);
			if (rc == PD_OK || missing)
				watch_saw(w, &w->subs[i],
				          missing ? NULL
				                  : json_object_get(out, "webhook_subscription"));
			json_decref(out);
			if (rc != PD_OK && !missing)
				return;
		}
		w->failing = 0;
		return;
	}

	out = NULL;
	if (watch_call(w, "GET", "/webhook_subscriptions", PD_PAGE_OFFSET, &out, NULL) != PD_OK)
		return;
	w->failing = 0;
	for (i = 0; i < w->nsubs; i++)
		w->subs[i].seen = 0;
	json_array_foreach (out, i, sub) {
		if (!watch_url_is(json_string_value(json_object_get(
		                      json_object_get(sub, "delivery_method"), "url")),
		                  w->cfg->webhook_public_url) ||
		    json_string_value(json_object_get(sub, "id")) == NULL)
			continue;
		s = watch_find(w, json_string_value(json_object_get(sub, "id")));
		s->seen = 1;
		found++;
		watch_saw(w, s, sub);
	}
	for (i = 0; i < w->nsubs; i++) {
		if (!w->subs[i].seen)
			watch_saw(w, &w->subs[i], NULL);
	}
	if (found == 0 && !w->none)
		log_fields(LOG_WARN,
		           "watchdog: no webhook subscription delivers to webhook.public_url",
		           "public_url", w->cfg->webhook_public_url, NULL);
	w->none = found == 0;
	json_decref(out);
}
