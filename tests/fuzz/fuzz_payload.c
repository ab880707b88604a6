/*
 * fuzz_payload.c: fuzz target for the receiver's body parser,
 * payload_from_webhook() (triggers/payload.c), the first code to read what
 * the internet sends once the signature matched.
 *
 * Not crashing is not enough: payload.c's DESIGN promises that one parser
 * decides validity for every body, whatever its whitespace, and that what
 * it accepts StackStorm can read back. So every input checks:
 *  (a) an accepted payload is one line: payload_len is its strlen, and it
 *      holds no '\n', '\r' or '\t';
 *  (b) it is JSON that jansson reads (but for what jansson cannot hold: a
 *      number too large for a double, which the scan passes on as text on
 *      purpose, and "\u0000" in a key), with INTERFACE.md's keys in order,
 *      and the ids of the spool event;
 *  (c) event_id, event_type, trigger and order_key are non-empty, and the
 *      event_id is the payload's, byte for byte (no NUL cut it short);
 *  (d) the tree way agrees: when jansson parses the body (and it holds no
 *      raw NUL, which jansson may skip) and its nesting is within
 *      PD_JSON_MAX_DEPTH, payload_from_event() on its "event" gives
 *      the same answer and, when both accept, an equal payload, order key,
 *      event id and trigger;
 *  (e) whitespace does not matter: the body re-spread with "\r\n\t " after
 *      every structural character outside strings gives the same answer
 *      and a byte-identical payload.
 */
#include "fuzz.h"

/* The whitespace (e) adds after each structural character. */
#define SPREAD "\r\n\t "

/* Webhook and subscription ids as the receiver passes them: set, empty or absent. */
static const char *const fuzz_ids[][2] = {
    {"WH-fuzz", "PS-fuzz"},
    {"", ""},
    {NULL, NULL},
    {"W\xc3\xa9\"\\", NULL}, /* needs escaping in the payload */
};

/* INTERFACE.md's payload keys, in order. */
static const char *const payload_keys[] = {
    "event_id", "event_type", "resource_type", "occurred_at",     "agent",
    "client",   "data",       "webhook_id",    "subscription_id", "source"};

/* Whether the payload's member key is the string s, or null when s is absent or empty. */
static int
id_is(json_t *p, const char *key, const char *s)
{
	json_t *v = json_object_get(p, key);

	if (s == NULL || *s == '\0')
		return json_is_null(v);
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0 &&
	       json_string_length(v) == strlen(s);
}

/* Oracles (a) to (c) on one accepted event. */
static void
check_event(const struct spool_event *ev, const char *wid, const char *sid)
{
	json_error_t err;
	json_t *p, *v;
	const char *key;
	size_t i = 0;

	/* (a) */
	FUZZ_CHECK(ev->payload != NULL);
	FUZZ_CHECK(ev->payload_len == strlen(ev->payload));
	FUZZ_CHECK(strpbrk(ev->payload, "\n\r\t") == NULL);
	/* (c) */
	FUZZ_CHECK(ev->event_id != NULL && *ev->event_id != '\0');
	FUZZ_CHECK(ev->event_type != NULL && *ev->event_type != '\0');
	FUZZ_CHECK(ev->order_key != NULL && *ev->order_key != '\0');
	FUZZ_CHECK(ev->trigger != NULL && strncmp(ev->trigger, PD_PACK ".", 10) == 0);
	FUZZ_CHECK(ev->state == SPOOL_PENDING);
	FUZZ_CHECK(wid != NULL && *wid != '\0'
	               ? ev->webhook_id != NULL && strcmp(ev->webhook_id, wid) == 0
	               : ev->webhook_id == NULL);

	/* (b) */
	p = json_loadb(ev->payload, ev->payload_len, JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL,
	               &err);
	if (p == NULL) {
		/* Valid JSON, but past jansson: a huge number, or "\u0000" in a key. */
		FUZZ_CHECK(json_error_code(&err) == json_error_numeric_overflow ||
		           json_error_code(&err) == json_error_null_byte_in_key);
		return;
	}
	FUZZ_CHECK(json_is_object(p));
	json_object_foreach (p, key, v) {
		FUZZ_CHECK(i < sizeof payload_keys / sizeof payload_keys[0]);
		FUZZ_CHECK(strcmp(key, payload_keys[i]) == 0);
		i++;
	}
	FUZZ_CHECK(i == sizeof payload_keys / sizeof payload_keys[0]);
	FUZZ_CHECK(id_is(p, "event_id", ev->event_id));
	FUZZ_CHECK(id_is(p, "event_type", ev->event_type));
	FUZZ_CHECK(json_is_string(json_object_get(p, "resource_type")));
	FUZZ_CHECK(json_is_string(json_object_get(p, "occurred_at")));
	FUZZ_CHECK(json_is_object(json_object_get(p, "data")));
	v = json_object_get(p, "agent");
	FUZZ_CHECK(json_is_object(v) || json_is_null(v));
	v = json_object_get(p, "client");
	FUZZ_CHECK(json_is_object(v) || json_is_null(v));
	FUZZ_CHECK(id_is(p, "webhook_id", wid));
	FUZZ_CHECK(id_is(p, "subscription_id", sid));
	FUZZ_CHECK(id_is(p, "source", "webhook"));
	json_decref(p);
}

/* Two spool events carry the same ids and routing. */
static void
check_same_event(const struct spool_event *a, const struct spool_event *b)
{
	FUZZ_CHECK(strcmp(a->event_id, b->event_id) == 0);
	FUZZ_CHECK(strcmp(a->event_type, b->event_type) == 0);
	FUZZ_CHECK(strcmp(a->trigger, b->trigger) == 0);
	FUZZ_CHECK(strcmp(a->order_key, b->order_key) == 0);
}

/* (d): the jansson tree way, when jansson reads the body at all. */
static void
check_tree(const char *body, size_t len, const char *wid, const char *sid, enum pd_err rc,
           const struct spool_event *ev)
{
	struct spool_event *ev2 = NULL;
	json_t *root, *p1, *p2;
	enum pd_err rc2;

	/*
	 * A raw NUL is valid nowhere in JSON, but jansson drops one that
	 * follows a number or a true/false/null ("null\0,"): no reference.
	 */
	if (memchr(body, '\0', len) != NULL)
		return;
	if ((root = json_loadb(body, len, JSON_ALLOW_NUL, NULL)) == NULL)
		return;
	if (json_depth(root) > PD_JSON_MAX_DEPTH) {
		json_decref(root);
		return;
	}
	rc2 = payload_from_event(json_object_get(root, "event"), wid, sid, "webhook", &ev2);
	FUZZ_CHECK((rc == PD_OK) == (rc2 == PD_OK));
	FUZZ_CHECK((rc2 == PD_OK) == (ev2 != NULL));
	if (rc == PD_OK && rc2 == PD_OK) {
		check_same_event(ev, ev2);
		/* The body parsed, so its numbers fit: both payloads must too. */
		p1 = json_loadb(ev->payload, ev->payload_len, JSON_ALLOW_NUL, NULL);
		p2 = json_loadb(ev2->payload, ev2->payload_len, JSON_ALLOW_NUL, NULL);
		FUZZ_CHECK(p1 != NULL && p2 != NULL);
		FUZZ_CHECK(json_equal(p1, p2));
		json_decref(p1);
		json_decref(p2);
	}
	spool_event_free(ev2);
	json_decref(root);
}

/* The body with SPREAD after each structural character outside strings. Caller frees. */
static char *
spread(const char *body, size_t len, size_t *outlen)
{
	char *out = xmalloc(len * (1 + strlen(SPREAD)) + 1), *o = out;
	int in_string = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		*o++ = body[i];
		if (in_string) {
			if (body[i] == '\\' && i + 1 < len)
				*o++ = body[++i];
			else if (body[i] == '"')
				in_string = 0;
		} else if (body[i] == '"') {
			in_string = 1;
		} else if (strchr("{}[]:,", body[i]) != NULL && body[i] != '\0') {
			memcpy(o, SPREAD, strlen(SPREAD));
			o += strlen(SPREAD);
		}
	}
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
}

/* (e): the same body, spread out, is the same event. */
static void
check_spread(const char *body, size_t len, const char *wid, const char *sid, enum pd_err rc,
             const struct spool_event *ev)
{
	struct spool_event *ev3 = NULL;
	size_t slen;
	char *s = spread(body, len, &slen);
	enum pd_err rc3;

	rc3 = payload_from_webhook(s, slen, wid, sid, &ev3);
	FUZZ_CHECK(rc3 == rc);
	if (rc == PD_OK) {
		FUZZ_CHECK(ev3 != NULL);
		check_same_event(ev, ev3);
		FUZZ_CHECK(ev3->payload_len == ev->payload_len);
		FUZZ_CHECK(memcmp(ev3->payload, ev->payload, ev->payload_len) == 0);
	}
	spool_event_free(ev3);
	free(s);
}

/* One body: the answer, then every oracle above. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	const char *const *ids = fuzz_ids[size % (sizeof fuzz_ids / sizeof fuzz_ids[0])];
	struct spool_event *ev = (struct spool_event *)1;
	enum pd_err rc;

	fuzz_quiet();
	rc = payload_from_webhook(body, size, ids[0], ids[1], &ev);
	FUZZ_CHECK(rc == PD_OK || rc == PD_ERR_NOT_ENVELOPE);
	FUZZ_CHECK((rc == PD_OK) == (ev != NULL));
	if (rc == PD_OK)
		check_event(ev, ids[0], ids[1]);
	check_tree(body, size, ids[0], ids[1], rc, ev);
	check_spread(body, size, ids[0], ids[1], rc, ev);
	spool_event_free(ev);
	return 0;
}
