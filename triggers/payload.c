/*
 * payload.c: turns a PagerDuty V3 event into the spool event the forwarder
 * sends to StackStorm: the trigger name, the trigger payload of
 * INTERFACE.md (serialised once, here), and the key that orders delivery.
 *
 * DESIGN
 * ------
 * A webhook body is on the receiver's hot path, where building a jansson
 * tree and serialising it again cost more than everything else a request
 * does (about 50 us of a 1.8 KB event's 100). So payload_from_webhook()
 * reads the body once with yajl's event parser, without building anything,
 * and notes where the envelope's members sit in the body: the payload is
 * then the envelope's own bytes for agent, client and data, spliced between
 * the few keys we add, with the whitespace between tokens left out (so a
 * payload is one line, as the sink file's JSON lines need, and the same
 * whatever the sender's indentation). jansson cannot tell where a value
 * was in its input, or this would use it. An event the poller already
 * holds as a tree goes through payload_from_event(); both ways must give
 * the same payload, and a unit test compares them.
 *
 * Validity is decided here, once, for every body, whatever its whitespace
 * (there is no second parser for "odd" bodies): JSON as RFC 8259 has it,
 * and what StackStorm can read back. yajl checks the grammar, but its
 * UTF-8 check only counts continuation bytes, so payload_text_check() runs
 * first and refuses what Python's json would: overlong forms, encoded
 * surrogates, code points past U+10FFFF, and \u escapes of half a
 * surrogate pair. Nesting is capped at PD_JSON_MAX_DEPTH (StackStorm keeps
 * trigger payloads in MongoDB, which refuses documents nested about 100
 * deep, and yajl would otherwise grow its stack with the attacker's
 * input). A \u0000 escape is valid JSON that Python reads: it is accepted
 * and passed on byte for byte, but it is never part of an id we key on.
 */
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "st2pd.h"

/* A non-empty string member of o without a NUL inside (an id we can key on), or NULL. */
static const char *
payload_string(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_string_value(v);

	return s != NULL && *s != '\0' && strlen(s) == json_string_length(v) ? s : NULL;
}

/*
 * The delivery-order key. PagerDuty sends the events of one incident in
 * order, and rules that react to triggered-then-resolved must see them in
 * that order, so every event about an incident gets "incident:<id>" and the
 * forwarder keeps one such key in order. Other events are ordered per
 * resource, and an event with no id at all is a key of its own.
 */
static char *
payload_order_key(const char *incident_id, const char *data_id, const char *data_type,
                  const char *resource_type, const char *event_type, const char *event_id)
{
	size_t rlen;

	if (incident_id != NULL)
		return xasprintf("incident:%s", incident_id);
	if (data_id == NULL)
		return xasprintf("event:%s", event_id);
	/*
	 * A resource_type that is no usable name ("", a NUL inside, absent)
	 * is the event type's leftmost part, as PagerDuty defines it.
	 */
	if (resource_type == NULL || *resource_type == '\0')
		rlen = strcspn(resource_type = event_type, ".");
	else
		rlen = strlen(resource_type);
	if ((rlen == 8 && memcmp(resource_type, "incident", 8) == 0) ||
	    (data_type != NULL && strcmp(data_type, "incident") == 0))
		return xasprintf("incident:%s", data_id);
	return xasprintf("%.*s:%s", (int)rlen, resource_type, data_id);
}

/*
 * The transition key of INTERFACE.md's rule that an event counts once
 * whichever way it came (webhook or poll): incident id, event type and
 * time to the second, "PABC123|incident.triggered|1601664322". The
 * incident is the one the order key names, so both builders agree on it.
 * NULL for an event about no incident, or with a time that is no RFC 3339
 * date: it is then kept apart only by its ids.
 */
static char *
payload_transition(const char *order_key, const char *event_type, const char *occurred_at)
{
	static const char prefix[] = "incident:";
	int64_t ms;

	if (order_key == NULL || strncmp(order_key, prefix, sizeof prefix - 1) != 0 ||
	    occurred_at == NULL || parse_time_ms(occurred_at, &ms) != PD_OK)
		return NULL;
	/* Floor, not truncation toward zero: the same second before 1970 too. */
	return xasprintf("%s|%s|%lld", order_key + sizeof prefix - 1, event_type,
	                 (long long)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000));
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
	/* The event sits at depth 2 of a webhook body: the same limit as the scan's. */
	if (json_depth(event) + 1 > PD_JSON_MAX_DEPTH)
		return payload_reject("nesting deeper than " PD_STR(PD_JSON_MAX_DEPTH) " levels");

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
	ev->order_key = payload_order_key(payload_string(json_object_get(data, "incident"), "id"),
	                                  payload_string(data, "id"), payload_string(data, "type"),
	                                  payload_string(event, "resource_type"), type, id);
	ev->transition = payload_transition(
	    ev->order_key, type, json_string_value(json_object_get(event, "occurred_at")));
	ev->polled = source != NULL && strcmp(source, "poll") == 0;
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

/* The envelope members the scan looks for; K_OTHER is everything else. */
enum scan_key {
	K_OTHER = 0,
	K_EVENT,
	K_ID,
	K_EVENT_TYPE,
	K_RESOURCE_TYPE,
	K_OCCURRED_AT,
	K_AGENT,
	K_CLIENT,
	K_DATA,
	K_DATA_ID,
	K_DATA_TYPE,
	K_INCIDENT,
	K_INCIDENT_ID,
	K_MAX
};

/* What a member's value was. */
enum scan_kind { V_NONE = 0, V_STRING, V_MAP, V_NULL, V_OTHER };

/* One member: where its value is in the body, its kind, and a string's text. */
struct scan_value {
	enum scan_kind kind;
	size_t start, end; /* body[start..end) is the value's JSON text */
	char *text;        /* V_STRING: decoded */
};

/*
 * The scan's state. Depth 1 is the body object, 2 the event, 3 its data, 4
 * data.incident; path[d] is the member whose value is open at depth d.
 */
struct scan {
	yajl_handle h;
	const char *body;
	int depth;
	enum scan_key path[6];
	size_t key_end; /* offset just after the last member name */
	int event_seen;
	const char *why; /* set when a callback stops the parse */
	struct scan_value v[K_MAX];
};

/* The member a name means at a depth, given the members open above it. */
static enum scan_key
scan_key(const struct scan *sc, const unsigned char *name, size_t len)
{
	static const struct {
		int depth;
		enum scan_key parent;
		const char *name;
		enum scan_key key;
	} keys[] = {
	    {1, K_OTHER, "event", K_EVENT},
	    {2, K_EVENT, "id", K_ID},
	    {2, K_EVENT, "event_type", K_EVENT_TYPE},
	    {2, K_EVENT, "resource_type", K_RESOURCE_TYPE},
	    {2, K_EVENT, "occurred_at", K_OCCURRED_AT},
	    {2, K_EVENT, "agent", K_AGENT},
	    {2, K_EVENT, "client", K_CLIENT},
	    {2, K_EVENT, "data", K_DATA},
	    {3, K_DATA, "id", K_DATA_ID},
	    {3, K_DATA, "type", K_DATA_TYPE},
	    {3, K_DATA, "incident", K_INCIDENT},
	    {4, K_INCIDENT, "id", K_INCIDENT_ID},
	};
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (keys[i].depth == sc->depth &&
		    (sc->depth == 1 || sc->path[sc->depth - 1] == keys[i].parent) &&
		    strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return keys[i].key;
	}
	return K_OTHER;
}

/* Forgets a member and, for a container, what was found inside it. */
static void
scan_reset(struct scan *sc, enum scan_key k)
{
	static const enum scan_key inside_event[] = {
	    K_ID,   K_EVENT_TYPE, K_RESOURCE_TYPE, K_OCCURRED_AT, K_AGENT,      K_CLIENT,
	    K_DATA, K_DATA_ID,    K_DATA_TYPE,     K_INCIDENT,    K_INCIDENT_ID};
	size_t i;

	if (k == K_EVENT) {
		for (i = 0; i < sizeof inside_event / sizeof inside_event[0]; i++)
			scan_reset(sc, inside_event[i]);
	} else if (k == K_DATA) {
		scan_reset(sc, K_DATA_ID);
		scan_reset(sc, K_DATA_TYPE);
		scan_reset(sc, K_INCIDENT);
	} else if (k == K_INCIDENT)
		scan_reset(sc, K_INCIDENT_ID);
	free(sc->v[k].text);
	memset(&sc->v[k], 0, sizeof sc->v[k]);
}

/*
 * Where a scalar value began: after the member name only blanks and the
 * colon can come, so skipping them from the name's end finds it exactly.
 */
static size_t
scan_value_start(const struct scan *sc)
{
	size_t i = sc->key_end;

	while (sc->body[i] == ' ' || sc->body[i] == '\t' || sc->body[i] == '\r' ||
	       sc->body[i] == '\n' || sc->body[i] == ':')
		i++;
	return i;
}

/* A value began at the current depth: note it if it is a member we want. */
static void
scan_begin(struct scan *sc, enum scan_kind kind, size_t start)
{
	enum scan_key k = sc->depth >= 1 && sc->depth <= 4 ? sc->path[sc->depth] : K_OTHER;

	if (k == K_OTHER)
		return;
	/* A repeated member replaces the first, as it does in jansson. */
	scan_reset(sc, k);
	if (k == K_EVENT)
		sc->event_seen = 1;
	sc->v[k].kind = kind;
	sc->v[k].start = start;
	sc->v[k].end = yajl_get_bytes_consumed(sc->h);
}

static int
scan_null(void *ctx)
{
	struct scan *sc = ctx;

	scan_begin(sc, V_NULL, scan_value_start(sc));
	return 1;
}

static int
scan_scalar(void *ctx)
{
	struct scan *sc = ctx;

	scan_begin(sc, V_OTHER, scan_value_start(sc));
	return 1;
}

static int
scan_boolean(void *ctx, int b)
{
	return scan_scalar(ctx);
}

/* Numbers as text: yajl would refuse integers beyond 64 bits, PagerDuty's data may not. */
static int
scan_number(void *ctx, const char *s, size_t len)
{
	return scan_scalar(ctx);
}

static int
scan_string(void *ctx, const unsigned char *s, size_t len)
{
	struct scan *sc = ctx;
	enum scan_key k = sc->depth >= 1 && sc->depth <= 4 ? sc->path[sc->depth] : K_OTHER;

	scan_begin(sc, V_STRING, scan_value_start(sc));
	/* A NUL inside would cut the C string short: such an id is no id. */
	if (k != K_OTHER && memchr(s, '\0', len) == NULL)
		sc->v[k].text = xstrndup((const char *)s, len);
	return 1;
}

static int
scan_map_key(void *ctx, const unsigned char *name, size_t len)
{
	struct scan *sc = ctx;

	sc->key_end = yajl_get_bytes_consumed(sc->h);
	if (sc->depth <= 4)
		sc->path[sc->depth] = scan_key(sc, name, len);
	return 1;
}

/* Opens a container: the '{' or '[' just read is where its value begins. */
static int
scan_open(struct scan *sc, enum scan_kind kind)
{
	if (sc->depth >= PD_JSON_MAX_DEPTH) {
		sc->why = "nesting deeper than " PD_STR(PD_JSON_MAX_DEPTH) " levels";
		return 0;
	}
	scan_begin(sc, kind, yajl_get_bytes_consumed(sc->h) - 1);
	sc->depth++;
	if (sc->depth <= 4)
		sc->path[sc->depth] = K_OTHER;
	return 1;
}

/* Closes a container, ending the span of the member it was. */
static int
scan_close(struct scan *sc)
{
	enum scan_key k;

	sc->depth--;
	k = sc->depth >= 1 && sc->depth <= 4 ? sc->path[sc->depth] : K_OTHER;
	if (k != K_OTHER)
		sc->v[k].end = yajl_get_bytes_consumed(sc->h);
	return 1;
}

static int
scan_start_map(void *ctx)
{
	return scan_open(ctx, V_MAP);
}

static int
scan_start_array(void *ctx)
{
	return scan_open(ctx, V_OTHER);
}

static int
scan_end(void *ctx)
{
	return scan_close(ctx);
}

static const yajl_callbacks scan_callbacks = {
    scan_null,   scan_boolean,     NULL,           NULL,
    scan_number, scan_string,      scan_start_map, scan_map_key,
    scan_end,    scan_start_array, scan_end,
};

/* A non-empty string member's text, or NULL. */
static const char *
scan_text(const struct scan *sc, enum scan_key k)
{
	const struct scan_value *v = &sc->v[k];

	return v->kind == V_STRING && v->text != NULL && v->text[0] != '\0' ? v->text : NULL;
}

/* Why the scanned body is not a V3 envelope, or NULL if it is. */
static const char *
scan_check(const struct scan *sc)
{
	if (!sc->event_seen || sc->v[K_EVENT].kind != V_MAP)
		return "body has no \"event\" object";
	if (scan_text(sc, K_ID) == NULL)
		return "event.id is missing or not a non-empty string";
	if (scan_text(sc, K_EVENT_TYPE) == NULL)
		return "event.event_type is missing or not a non-empty string";
	if (sc->v[K_OCCURRED_AT].kind != V_STRING)
		return "event.occurred_at is missing or not a string";
	if (sc->v[K_DATA].kind != V_MAP)
		return "event.data is missing or not an object";
	if (sc->v[K_RESOURCE_TYPE].kind != V_NONE && sc->v[K_RESOURCE_TYPE].kind != V_STRING)
		return "event.resource_type is not a string";
	if (sc->v[K_AGENT].kind != V_NONE && sc->v[K_AGENT].kind != V_NULL &&
	    sc->v[K_AGENT].kind != V_MAP)
		return "event.agent is neither an object nor null";
	if (sc->v[K_CLIENT].kind != V_NONE && sc->v[K_CLIENT].kind != V_NULL &&
	    sc->v[K_CLIENT].kind != V_MAP)
		return "event.client is neither an object nor null";
	return NULL;
}

/*
 * Appends s as a JSON string, or null for NULL or "". Plain printable ASCII
 * is quoted as it is; anything else goes through jansson, which escapes it
 * and refuses what is not UTF-8 (-1).
 */
static int
scan_quote(FILE *f, const char *s, size_t len)
{
	json_t *j;
	char *q;
	size_t i;

	if (s == NULL || len == 0) {
		fputs("null", f);
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' || s[i] == '\\')
			break;
	}
	if (i == len) {
		fprintf(f, "\"%.*s\"", (int)len, s);
		return 0;
	}
	if ((j = json_stringn(s, len)) == NULL)
		return -1;
	q = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	if (q == NULL)
		fatal("json_dumps: out of memory");
	fputs(q, f);
	free(q);
	return 0;
}

/*
 * Appends a member's own bytes less the whitespace between its tokens. In
 * valid JSON a blank outside a string can only be such whitespace, and a
 * quote ends a string unless a backslash escapes it.
 */
static void
scan_copy(FILE *f, const struct scan *sc, enum scan_key k)
{
	const char *p = sc->body + sc->v[k].start, *end = sc->body + sc->v[k].end, *run = p;
	int in_string = 0;

	for (; p < end; p++) {
		if (in_string) {
			if (*p == '\\')
				p++;
			else if (*p == '"')
				in_string = 0;
		} else if (*p == '"') {
			in_string = 1;
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			fwrite(run, 1, (size_t)(p - run), f);
			run = p + 1;
		}
	}
	fwrite(run, 1, (size_t)(end - run), f);
}

/* Appends "key":<the member's bytes>, or null when it was absent. */
static void
scan_splice(FILE *f, const struct scan *sc, const char *key, enum scan_key k)
{
	fprintf(f, ",\"%s\":", key);
	if (sc->v[k].kind == V_NONE)
		fputs("null", f);
	else
		scan_copy(f, sc, k);
}

/* Builds the spool event from a scanned envelope; -1 if a header is not UTF-8. */
static int
scan_event(const struct scan *sc, const char *webhook_id, const char *subscription_id,
           struct spool_event **out)
{
	struct spool_event *ev = xcalloc(1, sizeof *ev);
	const char *type = scan_text(sc, K_EVENT_TYPE), *rtype = scan_text(sc, K_RESOURCE_TYPE);
	char *derived = NULL;
	FILE *f;
	int rc = 0;

	/* PagerDuty defines resource_type as the event type's leftmost part. */
	if (sc->v[K_RESOURCE_TYPE].kind == V_NONE)
		rtype = derived = xstrndup(type, strcspn(type, "."));
	if ((f = open_memstream(&ev->payload, &ev->payload_len)) == NULL)
		fatal("open_memstream: out of memory");
	/* INTERFACE.md's key order. */
	fputs("{\"event_id\":", f);
	scan_copy(f, sc, K_ID);
	scan_splice(f, sc, "event_type", K_EVENT_TYPE);
	fputs(",\"resource_type\":", f);
	if (derived != NULL && *derived == '\0') /* ".x": still a string, not scan_quote's null */
		fputs("\"\"", f);
	else if (derived != NULL)
		rc |= scan_quote(f, derived, strlen(derived));
	else
		scan_copy(f, sc, K_RESOURCE_TYPE);
	scan_splice(f, sc, "occurred_at", K_OCCURRED_AT);
	scan_splice(f, sc, "agent", K_AGENT);
	scan_splice(f, sc, "client", K_CLIENT);
	scan_splice(f, sc, "data", K_DATA);
	fputs(",\"webhook_id\":", f);
	rc |= scan_quote(f, webhook_id, webhook_id != NULL ? strlen(webhook_id) : 0);
	fputs(",\"subscription_id\":", f);
	rc |= scan_quote(f, subscription_id, subscription_id != NULL ? strlen(subscription_id) : 0);
	fputs(",\"source\":\"webhook\"}", f);
	fclose(f);

	ev->event_id = xstrdup(scan_text(sc, K_ID));
	ev->webhook_id = webhook_id != NULL && *webhook_id != '\0' ? xstrdup(webhook_id) : NULL;
	ev->event_type = xstrdup(type);
	ev->trigger = xasprintf(PD_PACK ".%s", catalog_trigger_name(type));
	ev->order_key = payload_order_key(scan_text(sc, K_INCIDENT_ID), scan_text(sc, K_DATA_ID),
	                                  scan_text(sc, K_DATA_TYPE), rtype, type, ev->event_id);
	ev->transition = payload_transition(ev->order_key, type, scan_text(sc, K_OCCURRED_AT));
	ev->received_ms = now_ms();
	ev->state = SPOOL_PENDING;
	free(derived);
	if (rc != 0) {
		spool_event_free(ev);
		return -1;
	}
	*out = ev;
	return 0;
}

/* The value of 4 hex digits at p, or -1. */
static long
payload_hex4(const char *p, const char *end)
{
	long v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * What yajl lets through and Python's json refuses (DESIGN): UTF-8 that
 * RFC 3629 does not allow, and a \u escape of half a surrogate pair. Such
 * bytes can only stand inside strings, so the body is read as plain bytes;
 * a backslash anywhere else is yajl's to refuse. yajl also skips \v and \f
 * as blanks, which JSON allows nowhere (scan_copy would keep them). NULL if
 * all is well, else why, with *at the offending byte's offset.
 */
static const char *
payload_text_check(const char *body, size_t len, size_t *at)
{
	const unsigned char *p = (const unsigned char *)body, *end = p + len;
	long u, v;
	size_t n;

	while (p < end) {
		if (*p < 0x80 && *p != '\\' && *p != '\v' && *p != '\f') {
			p++;
			continue;
		}
		if (*p == '\\' && end - p >= 6 && p[1] == 'u') {
			u = payload_hex4((const char *)p + 2, (const char *)end);
			if (u >= 0xdc00 && u <= 0xdfff)
				goto surrogate;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
					goto surrogate;
				v = payload_hex4((const char *)p + 8, (const char *)end);
				if (v < 0xdc00 || v > 0xdfff)
					goto surrogate;
				p += 6;
			}
			p += 6;
			continue;
		}
		if (*p == '\\') {
			/* The escaped character starts nothing; a bad escape is yajl's to refuse.
			 */
			p += end - p >= 2 ? 2 : 1;
			continue;
		}
		if (*p == '\v' || *p == '\f')
			goto blank;
		if ((n = utf8_char_len((const char *)p, (size_t)(end - p))) == 0)
			goto utf8;
		p += n;
	}
	return NULL;
utf8:
	*at = (size_t)(p - (const unsigned char *)body);
	return "invalid UTF-8";
surrogate:
	*at = (size_t)(p - (const unsigned char *)body);
	return "a \\u escape of half a surrogate pair";
blank:
	*at = (size_t)(p - (const unsigned char *)body);
	return "a vertical tab or form feed, which JSON does not allow";
}

/* Parses a webhook body, {"event": {...}}, and builds its spool event. */
enum pd_err
payload_from_webhook(const char *body, size_t len, const char *webhook_id,
                     const char *subscription_id, struct spool_event **out)
{
	struct scan sc;
	const char *why = NULL;
	unsigned char *msg;
	enum pd_err err = PD_OK;
	size_t at;
	int k;

	*out = NULL;
	if ((why = payload_text_check(body, len, &at)) != NULL) {
		log_debug("not a V3 envelope: %s at byte %zu", why, at);
		return PD_ERR_NOT_ENVELOPE;
	}
	memset(&sc, 0, sizeof sc);
	sc.body = body;
	if ((sc.h = yajl_alloc(&scan_callbacks, NULL, &sc)) == NULL)
		fatal("yajl_alloc: out of memory");
	/* payload_text_check() did it, more strictly. */
	yajl_config(sc.h, yajl_dont_validate_strings, 1);
	if (yajl_parse(sc.h, (const unsigned char *)body, len) != yajl_status_ok ||
	    yajl_complete_parse(sc.h) != yajl_status_ok) {
		why = sc.why;
		if (why == NULL) {
			/* Not verbose: the message must not quote the body into the log. */
			msg = yajl_get_error(sc.h, 0, (const unsigned char *)body, len);
			log_debug("not a V3 envelope: JSON error at byte %zu: %s",
			          yajl_get_bytes_consumed(sc.h), (const char *)msg);
			yajl_free_error(sc.h, msg);
			err = PD_ERR_NOT_ENVELOPE;
		}
	} else if (sc.depth != 0 || sc.v[K_EVENT].kind == V_NONE) {
		/* Also a top level that is not an object: it has no "event" member. */
		why = "body has no \"event\" object";
	} else if ((why = scan_check(&sc)) == NULL &&
	           scan_event(&sc, webhook_id, subscription_id, out) != 0) {
		why = "webhook or subscription id is not UTF-8";
	}
	yajl_free(sc.h);
	for (k = 0; k < K_MAX; k++)
		free(sc.v[k].text);
	return why != NULL ? payload_reject(why) : err;
}

/*
 * What StackStorm is sent for an event (and the sink file's line):
 * {"trigger":"...","payload":...}, then suffix. The payload is JSON text
 * already, spliced as it is.
 */
char *
payload_trigger_body(const struct spool_event *ev, const char *suffix)
{
	json_t *t = json_string(ev->trigger);
	char *tq = t != NULL ? json_dumps(t, JSON_ENCODE_ANY) : NULL, *body;
	size_t plen = ev->payload_len > 0 ? ev->payload_len : strlen(ev->payload);

	if (tq == NULL)
		fatal("trigger body of %s: out of memory", ev->event_id);
	body = xasprintf("{\"trigger\":%s,\"payload\":%.*s}%s", tq, (int)plen, ev->payload, suffix);
	free(tq);
	json_decref(t);
	return body;
}
