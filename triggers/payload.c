/*
 * payload.c: turns a PagerDuty V3 event into the spool event the forwarder
 * sends to StackStorm: the trigger name, the trigger payload of
 * INTERFACE.md (serialised once, here), and the key that orders delivery.
 *
 * This is the receiver's hot path. The body is parsed once with jansson and
 * the parsed data/agent/client values are put into the payload by reference
 * (json_object_set takes a reference, it does not copy), so a 50 KB event is
 * parsed once and serialised once.
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* A non-empty string member of o, or NULL. */
static const char *
payload_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

/*
 * The delivery-order key. PagerDuty sends the events of one incident in
 * order, and rules that react to triggered-then-resolved must see them in
 * that order, so every event about an incident gets "incident:<id>" and the
 * forwarder keeps one such key in order. Other events are ordered per
 * resource, and an event with no id at all is a key of its own.
 */
static char *
payload_order_key(json_t *data, const char *resource_type, const char *event_id)
{
	const char *id, *type;

	if ((id = payload_string(json_object_get(data, "incident"), "id")) != NULL)
		return xasprintf("incident:%s", id);
	if ((id = payload_string(data, "id")) == NULL)
		return xasprintf("event:%s", event_id);
	type = json_string_value(json_object_get(data, "type"));
	if (strcmp(resource_type, "incident") == 0 ||
	    (type != NULL && strcmp(type, "incident") == 0))
		return xasprintf("incident:%s", id);
	return xasprintf("%s:%s", resource_type, id);
}

/* Rejects an event, saying why at debug level (the caller logs the 400). */
static enum pd_err
payload_reject(const char *why)
{
	log_debug("not a V3 envelope: %s", why);
	return PD_ERR_NOT_ENVELOPE;
}

/* agent/client: an object, or null when absent or null; -1 for anything else. */
static int
payload_optional_object(json_t *event, const char *key, json_t **out)
{
	json_t *v = json_object_get(event, key);

	if (v == NULL || json_is_null(v))
		*out = json_null();
	else if (json_is_object(v))
		*out = json_incref(v);
	else
		return -1;
	return 0;
}

/*
 * A header value as a JSON string, or JSON null when absent or empty (an
 * empty X-Webhook-Id must not make every such delivery one duplicate).
 * Returns -1 when it is not UTF-8: it could not go into the payload.
 */
static int
payload_header(const char *value, json_t **out)
{
	if (value == NULL || *value == '\0') {
		*out = json_null();
		return 0;
	}
	*out = json_string(value);
	return *out == NULL ? -1 : 0;
}

/*
 * Builds the spool event of a V3 event object; source is "webhook" or
 * "poll" (NULL: "webhook"). The object stays the caller's; the payload
 * takes references to its members.
 */
enum pd_err
payload_from_event(json_t *event, const char *webhook_id, const char *subscription_id,
                   const char *source, struct spool_event **out)
{
	struct spool_event *ev;
	json_t *data, *rtype, *agent, *client, *wid = NULL, *sid = NULL, *p;
	const char *id, *type;

	*out = NULL;
	if (!json_is_object(event))
		return payload_reject("event is not an object");
	if ((id = payload_string(event, "id")) == NULL)
		return payload_reject("event.id is missing or not a non-empty string");
	if ((type = payload_string(event, "event_type")) == NULL)
		return payload_reject("event.event_type is missing or not a non-empty string");
	if (!json_is_string(json_object_get(event, "occurred_at")))
		return payload_reject("event.occurred_at is missing or not a string");
	if (!json_is_object(data = json_object_get(event, "data")))
		return payload_reject("event.data is missing or not an object");

	/* PagerDuty defines resource_type as the event type's leftmost part. */
	if ((rtype = json_object_get(event, "resource_type")) == NULL)
		rtype = json_stringn(type, strcspn(type, "."));
	else if (json_is_string(rtype))
		json_incref(rtype);
	else
		return payload_reject("event.resource_type is not a string");
	if (payload_optional_object(event, "agent", &agent) != 0) {
		json_decref(rtype);
		return payload_reject("event.agent is neither an object nor null");
	}
	if (payload_optional_object(event, "client", &client) != 0) {
		json_decref(rtype);
		json_decref(agent);
		return payload_reject("event.client is neither an object nor null");
	}
	if (payload_header(webhook_id, &wid) != 0 || payload_header(subscription_id, &sid) != 0) {
		json_decref(rtype);
		json_decref(agent);
		json_decref(client);
		json_decref(wid); /* NULL-safe */
		return payload_reject("webhook or subscription id is not UTF-8");
	}

	/* INTERFACE.md's key order; jansson keeps insertion order. */
	p = json_object();
	json_object_set(p, "event_id", json_object_get(event, "id"));
	json_object_set(p, "event_type", json_object_get(event, "event_type"));
	json_object_set(p, "resource_type", rtype);
	json_object_set(p, "occurred_at", json_object_get(event, "occurred_at"));
	json_object_set_new(p, "agent", agent);
	json_object_set_new(p, "client", client);
	json_object_set(p, "data", data);
	json_object_set_new(p, "webhook_id", wid);
	json_object_set_new(p, "subscription_id", sid);
	json_object_set_new(p, "source", json_string(source != NULL ? source : "webhook"));

	ev = xcalloc(1, sizeof *ev);
	ev->event_id = xstrdup(id);
	ev->webhook_id = json_is_string(wid) ? xstrdup(json_string_value(wid)) : NULL;
	ev->event_type = xstrdup(type);
	ev->trigger = xasprintf(PD_PACK ".%s", catalog_trigger_name(type));
	ev->order_key = payload_order_key(data, json_string_value(rtype), id);
	if ((ev->payload = json_dumps(p, JSON_COMPACT)) == NULL)
		fatal("json_dumps: out of memory");
	ev->payload_len = strlen(ev->payload);
	ev->received_ms = now_ms();
	ev->state = SPOOL_PENDING;
	json_decref(rtype);
	json_decref(p);
	*out = ev;
	return PD_OK;
}

/* Parses a webhook body, {"event": {...}}, and builds its spool event. */
enum pd_err
payload_from_webhook(const char *body, size_t len, const char *webhook_id,
                     const char *subscription_id, struct spool_event **out)
{
	json_error_t jerr;
	json_t *root;
	enum pd_err err;

	*out = NULL;
	/* jansson rejects invalid UTF-8 and anything after the value. */
	if ((root = json_loadb(body, len, 0, &jerr)) == NULL) {
		log_debug("not a V3 envelope: JSON error at byte %d: %s", jerr.position, jerr.text);
		return PD_ERR_NOT_ENVELOPE;
	}
	if (!json_is_object(root))
		err = payload_reject("body is not a JSON object");
	else if (!json_is_object(json_object_get(root, "event")))
		err = payload_reject("body has no \"event\" object");
	else
		err = payload_from_event(json_object_get(root, "event"), webhook_id,
		                         subscription_id, "webhook", out);
	json_decref(root);
	return err;
}
