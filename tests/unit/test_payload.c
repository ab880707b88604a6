/*
 * test_payload.c: V3 envelopes -> spool events, beyond what the case files
 * of tests/data/webhook say (test_webhook_cases.c runs those): header ids,
 * the poller's path, every kind of malformed body the receiver must answer
 * 400, the splice and the tree agreeing, whitespace, depth, NULs, the
 * go-pagerduty vector from ../shared and transition keys. Payloads are also
 * checked against the catalogue's payload_schema with st2's rules, since a
 * payload st2 rejects would be a dead letter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

/*
 * Bodies of tests/data/webhook cases (read by setup): PagerDuty's samples 1
 * to 3, verbatim from its documentation, and a note, whose order key comes
 * from data.incident.id.
 */
static char *sample_priority, *sample_service, *sample_ping, *sample_note;

/* The payload keys of INTERFACE.md, in order. */
static const char *const payload_keys[] = {
    "event_id", "event_type", "resource_type", "occurred_at",     "agent",
    "client",   "data",       "webhook_id",    "subscription_id", "source"};

/* Asserts the payload's keys are exactly INTERFACE.md's, in its order. */
static void
assert_key_order(json_t *p)
{
	const char *key;
	json_t *v;
	size_t i = 0;

	json_object_foreach (p, key, v) {
		assert_true(i < sizeof payload_keys / sizeof payload_keys[0]);
		assert_string_equal(key, payload_keys[i]);
		i++;
	}
	assert_int_equal(i, sizeof payload_keys / sizeof payload_keys[0]);
}

/* Fails the test when st2 would reject ev's payload (a dead letter). */
static void
assert_fits(const struct spool_event *ev)
{
	char *why = t_trigger_check(ev);

	if (why != NULL)
		fail_msg("%s", why);
}

/* Webhook and subscription ids: set, empty, not UTF-8. */
static void
test_webhook_ids(void **state)
{
	struct spool_event *ev;
	json_t *got;

	(void)state;
	/* Set. */
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), "W", "S", &ev),
	                 PD_OK);
	got = t_json(ev->payload);
	assert_string_equal(ev->webhook_id, "W");
	assert_string_equal(json_string_value(json_object_get(got, "webhook_id")), "W");
	assert_string_equal(json_string_value(json_object_get(got, "subscription_id")), "S");
	json_decref(got);
	spool_event_free(ev);

	/* Empty counts as absent: it must not make every such delivery a duplicate. */
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), "", "", &ev),
	                 PD_OK);
	got = t_json(ev->payload);
	assert_null(ev->webhook_id);
	assert_true(json_is_null(json_object_get(got, "webhook_id")));
	assert_true(json_is_null(json_object_get(got, "subscription_id")));
	json_decref(got);
	spool_event_free(ev);

	/* Not UTF-8: cannot go into JSON. */
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), "\xff", NULL, &ev),
	                 PD_ERR_NOT_ENVELOPE);
	assert_null(ev);
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), "W", "\xc3", &ev),
	                 PD_ERR_NOT_ENVELOPE);
	assert_null(ev);
}

/* The poller path: source poll, null ids, the caller's object untouched. */
static void
test_from_event_poll(void **state)
{
	struct spool_event *ev;
	json_t *root = t_json(sample_priority), *event, *data, *got;
	size_t event_refs, data_refs;

	(void)state;
	event = json_object_get(root, "event");
	data = json_object_get(event, "data");
	event_refs = event->refcount;
	data_refs = data->refcount;
	assert_int_equal(payload_from_event(event, NULL, NULL, "poll", &ev), PD_OK);
	/* The caller's object is left as it was: borrowed, not taken or changed. */
	assert_int_equal(event->refcount, event_refs);
	assert_int_equal(data->refcount, data_refs);
	assert_int_equal(json_object_size(event), 7);
	assert_null(ev->webhook_id);
	assert_string_equal(ev->trigger, "pagerduty.incident.priority_updated");
	assert_string_equal(ev->order_key, "incident:PGR0VU2");
	got = t_json(ev->payload);
	assert_string_equal(json_string_value(json_object_get(got, "source")), "poll");
	assert_true(json_is_null(json_object_get(got, "webhook_id")));
	assert_true(json_is_null(json_object_get(got, "subscription_id")));
	assert_true(json_equal(json_object_get(got, "data"), data));
	assert_key_order(got);
	assert_fits(ev);
	json_decref(got);
	spool_event_free(ev);

	/* Not an object at all. */
	assert_int_equal(payload_from_event(data, NULL, NULL, "poll", &ev), PD_ERR_NOT_ENVELOPE);
	assert_int_equal(
	    payload_from_event(json_object_get(data, "assignees"), NULL, NULL, "poll", &ev),
	    PD_ERR_NOT_ENVELOPE);
	assert_null(ev);
	json_decref(root);
}

/* An envelope with one member of event replaced by a raw JSON value (NULL: removed). */
static char *
envelope_with(const char *key, const char *raw)
{
	static const char *const members[][2] = {
	    {"id", "\"E1\""},
	    {"event_type", "\"incident.triggered\""},
	    {"resource_type", "\"incident\""},
	    {"occurred_at", "\"2020-10-02T18:45:22.169Z\""},
	    {"agent", "null"},
	    {"client", "null"},
	    {"data", "{\"id\":\"P1\",\"type\":\"incident\"}"},
	};
	char *s = xstrdup("{\"event\":{"), *next;
	size_t i;
	int first = 1;

	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		const char *v = members[i][1];

		if (strcmp(members[i][0], key) == 0 && (v = raw) == NULL)
			continue;
		next = xasprintf("%s%s\"%s\":%s", s, first ? "" : ",", members[i][0], v);
		free(s);
		s = next;
		first = 0;
	}
	next = xasprintf("%s}}", s);
	free(s);
	return next;
}

/* Everything that is not a V3 envelope is PD_ERR_NOT_ENVELOPE. */
static void
test_malformed(void **state)
{
	static const char *const bodies[] = {
	    "",
	    " ",
	    "{",
	    "{\"event\":{\"id\":\"E1\"",
	    "[]",
	    "[{\"event\":{}}]",
	    "42",
	    "\"event\"",
	    "null",
	    "true",
	    "{}",
	    "{\"messages\":[]}",
	    "{\"event\":null}",
	    "{\"event\":[]}",
	    "{\"event\":\"x\"}",
	    "{\"event\":{}}",
	    "{\"event\":{\"id\":\"E1\",\"event_type\":\"incident.triggered\",\"occurred_at\":"
	    "\"t\",\"data\":{}}} trailing",
	    "{\"event\":{\"id\":\"\xff\",\"event_type\":\"incident.triggered\",\"occurred_at\":"
	    "\"t\",\"data\":{}}}",
	    "{\"event\":{\"id\":\"E1\",\"event_type\":\"incident.\xc3\x28\",\"occurred_at\":"
	    "\"t\",\"data\":{}}}",
	};
	/* Each member missing or of a wrong type. */
	static const struct {
		const char *key;
		const char *raw; /* NULL: missing */
	} members[] = {
	    {"id", NULL},
	    {"id", "\"\""},
	    {"id", "123"},
	    {"id", "null"},
	    {"event_type", NULL},
	    {"event_type", "\"\""},
	    {"event_type", "5"},
	    {"event_type", "[\"x\"]"},
	    {"occurred_at", NULL},
	    {"occurred_at", "123"},
	    {"occurred_at", "null"},
	    {"data", NULL},
	    {"data", "null"},
	    {"data", "[]"},
	    {"data", "\"d\""},
	    {"resource_type", "5"},
	    {"resource_type", "null"},
	    {"agent", "\"a\""},
	    {"agent", "[]"},
	    {"agent", "1"},
	    {"client", "\"PagerDuty\""},
	    {"client", "[]"},
	    {"client", "false"},
	};
	struct spool_event *ev = (struct spool_event *)1;
	char *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		assert_int_equal(payload_from_webhook(bodies[i], strlen(bodies[i]), "W", NULL, &ev),
		                 PD_ERR_NOT_ENVELOPE);
		assert_null(ev);
	}
	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		body = envelope_with(members[i].key, members[i].raw);
		ev = (struct spool_event *)1;
		if (payload_from_webhook(body, strlen(body), NULL, NULL, &ev) !=
		    PD_ERR_NOT_ENVELOPE)
			fail_msg("accepted: %s", body);
		assert_null(ev);
		free(body);
	}
	/* The template itself is valid, and so are the optional members left out. */
	body = envelope_with("", NULL);
	assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &ev), PD_OK);
	spool_event_free(ev);
	/* ... but not with a NUL byte after it. */
	assert_int_equal(payload_from_webhook(body, strlen(body) + 1, NULL, NULL, &ev),
	                 PD_ERR_NOT_ENVELOPE);
	assert_null(ev);
	free(body);
	body = envelope_with("agent", NULL);
	assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &ev), PD_OK);
	spool_event_free(ev);
	free(body);
}

/* Builds the spool event of body both ways: the yajl splice and the jansson tree. */
static void
both_ways(const char *body, struct spool_event **spliced, struct spool_event **tree)
{
	json_t *root = t_json(body);

	assert_int_equal(payload_from_webhook(body, strlen(body), "WH1", "PS1", spliced), PD_OK);
	assert_int_equal(
	    payload_from_event(json_object_get(root, "event"), "WH1", "PS1", "webhook", tree),
	    PD_OK);
	json_decref(root);
}

/* The hot path's spliced payload is the payload the jansson way builds. */
static void
test_splice_matches_tree(void **state)
{
	const char *const bodies[] = {
	    sample_priority,
	    sample_ping,
	    sample_note,
	    /* escapes, unicode, a repeated member (the last wins), numbers of every size */
	    "{\"event\":{\"id\":\"E\\u0041\\\"q\",\"event_type\":\"incident.triggered\","
	    "\"occurred_at\":\"t\",\"agent\":{\"id\":\"x\"},\"agent\":{\"id\":"
	    "\"\xc3\xa9t\xc3\xa9\"},"
	    "\"client\":null,\"data\":{\"id\":\"P0\",\"id\":\"P1\",\"n\":[1,2.5e3,-0,"
	    "{\"deep\":[[[{\"id\":\"no\"}]]]}],\"big\":1234567890123456789,\"t\":true}}}",
	    /* spaces between tokens, no resource_type (derived from the type) */
	    "{ \"event\" : { \"id\" : \"E2\" , \"event_type\" : \"service.updated\" , "
	    "\"occurred_at\" : \"t\" , \"data\" : { \"id\" : \"S1\" , \"type\" : \"service\" } } }",
	    /* a second event member replaces the first entirely */
	    "{\"event\":{\"id\":\"OLD\",\"event_type\":\"x.y\",\"occurred_at\":\"t\",\"data\":{}},"
	    "\"event\":{\"id\":\"NEW\",\"event_type\":\"incident.resolved\",\"occurred_at\":\"t\","
	    "\"data\":{\"incident\":{\"id\":\"PI\"},\"type\":\"incident\"}}}",
	    /* an event type with nothing before its first dot: resource_type "" (fuzzing) */
	    "{\"event\":{\"id\":\"E3\",\"event_type\":\".x\",\"occurred_at\":\"t\",\"data\":{}}}",
	};
	struct spool_event *a, *b;
	json_t *pa, *pb;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
		both_ways(bodies[i], &a, &b);
		pa = t_json(a->payload);
		pb = t_json(b->payload);
		if (!json_equal(pa, pb))
			fail_msg("body %zu: spliced %s\n                tree %s", i, a->payload,
			         b->payload);
		assert_int_equal(strlen(a->payload), a->payload_len);
		assert_null(strchr(a->payload, '\n'));
		assert_string_equal(a->event_id, b->event_id);
		assert_string_equal(a->event_type, b->event_type);
		assert_string_equal(a->trigger, b->trigger);
		assert_string_equal(a->order_key, b->order_key);
		assert_string_equal(a->webhook_id, b->webhook_id);
		json_decref(pa);
		json_decref(pb);
		spool_event_free(a);
		spool_event_free(b);
	}
	/* Spot checks that the comparison is not vacuous. */
	both_ways(bodies[3], &a, &b);
	pa = t_json(a->payload);
	assert_string_equal(json_string_value(json_object_get(pa, "event_id")), "EA\"q");
	assert_string_equal(json_string_value(json_object_get(json_object_get(pa, "agent"), "id")),
	                    "\xc3\xa9t\xc3\xa9");
	assert_string_equal(a->order_key, "incident:P1");
	json_decref(pa);
	spool_event_free(a);
	spool_event_free(b);
	both_ways(bodies[5], &a, &b);
	assert_string_equal(a->event_id, "NEW");
	assert_string_equal(a->order_key, "incident:PI");
	spool_event_free(a);
	spool_event_free(b);
}

/*
 * The body of the issue that crashed the daemon: a resource_type that is
 * no name ("" or with a NUL) is the event type's leftmost part for the
 * order key, the same on the splice and tree ways, and passed on as sent.
 */
static void
test_resource_type_unusable(void **state)
{
	static const char *const rtypes[] = {"\"\"", "\"\\u0000\"", "\"x\\u0000y\""};
	struct spool_event *a, *b;
	json_t *pa;
	char *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rtypes / sizeof rtypes[0]; i++) {
		body = xasprintf(
		    "{\"event\":{\"id\":\"crash-1\",\"event_type\":\"incident.triggered\","
		    "\"resource_type\":%s,\"occurred_at\":\"2026-01-01T00:00:00Z\","
		    "\"data\":{\"id\":\"PX1\",\"type\":\"service\"}}}",
		    rtypes[i]);
		assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &a), PD_OK);
		assert_string_equal(a->order_key, "incident:PX1");
		pa = json_loads(a->payload, JSON_ALLOW_NUL, NULL);
		assert_non_null(pa);
		assert_true(json_is_string(json_object_get(pa, "resource_type")));
		json_decref(pa);
		pa = json_loads(body, JSON_ALLOW_NUL, NULL);
		assert_int_equal(
		    payload_from_event(json_object_get(pa, "event"), NULL, NULL, "webhook", &b),
		    PD_OK);
		assert_string_equal(b->order_key, a->order_key);
		json_decref(pa);
		spool_event_free(a);
		spool_event_free(b);
		free(body);
	}
}

/* body with "\r\n\t " after every structural character outside strings. */
static char *
spread(const char *body)
{
	char *out = xmalloc(strlen(body) * 5 + 1), *o = out;
	int in_string = 0;

	for (; *body != '\0'; body++) {
		*o++ = *body;
		if (in_string) {
			if (*body == '\\')
				*o++ = *++body;
			else if (*body == '"')
				in_string = 0;
		} else if (*body == '"') {
			in_string = 1;
		} else if (strchr("{}[],:", *body) != NULL) {
			memcpy(o, "\r\n\t ", 4);
			o += 4;
		}
	}
	*o = '\0';
	return out;
}

/* {"event":{...,"data":{"x":VALUE}}}, with an incident id to key on. */
static char *
envelope_data(const char *value)
{
	return xasprintf("{\"event\":{\"id\":\"W1\",\"event_type\":\"incident.triggered\","
	                 "\"occurred_at\":\"2026-01-01T00:00:00Z\",\"data\":{\"id\":\"P1\","
	                 "\"type\":\"incident\",\"x\":%s}}}",
	                 value);
}

/* v nested in n arrays. */
static char *
nested(int n, const char *v)
{
	char *s = xmalloc((size_t)n * 2 + strlen(v) + 1);

	memset(s, '[', (size_t)n);
	memcpy(s + n, v, strlen(v));
	memset(s + n + strlen(v), ']', (size_t)n);
	s[2 * n + strlen(v)] = '\0';
	return s;
}

/*
 * One parser decides every body: the compact and the pretty-printed form
 * of the same event get the same answer, and when accepted the same
 * payload, byte for byte (issue: yajl said 202 where jansson said 400).
 */
static void
test_same_answer_any_whitespace(void **state)
{
	static const struct {
		const char *value;
		enum pd_err want;
	} cases[] = {
	    {"\"nul \\u0000 inside\"", PD_OK},                 /* valid JSON: passed on as it is */
	    {"{\"k\\u0000\":1}", PD_OK},                       /* in a key too */
	    {"\"\xc3\xa9t\xc3\xa9 \xf0\x9f\x94\xa5\"", PD_OK}, /* UTF-8 of 2 and 4 bytes */
	    {"\"\\ud83d\\udd25\"", PD_OK},                     /* an escaped surrogate pair */
	    {"123456789012345678901234567890", PD_OK},         /* beyond 64 bits, as text */
	    {"\"\xc0\xaf\"", PD_ERR_NOT_ENVELOPE},             /* overlong */
	    {"\"\xed\xa0\x80\"", PD_ERR_NOT_ENVELOPE},         /* an encoded surrogate */
	    {"\"\xf4\x90\x80\x80\"", PD_ERR_NOT_ENVELOPE},     /* past U+10FFFF */
	    {"\"\xf5\x80\x80\x80\"", PD_ERR_NOT_ENVELOPE},
	    {"\"\xe2\x82\"", PD_ERR_NOT_ENVELOPE}, /* cut short */
	    {"\"\x80\"", PD_ERR_NOT_ENVELOPE},     /* a lone continuation byte */
	    {"\"\\ud83d\"", PD_ERR_NOT_ENVELOPE},  /* half a pair */
	    {"\"\\ud83dx\\udd25\"", PD_ERR_NOT_ENVELOPE},
	    {"\"\\udd25\"", PD_ERR_NOT_ENVELOPE},
	    {"\"\\ud83d\\u0041\"", PD_ERR_NOT_ENVELOPE},
	    {"\"\\\\ud83d\"", PD_OK}, /* an escaped backslash, then text */
	    /* Vertical tab and form feed: blanks to yajl, not to JSON (found by fuzzing). */
	    {"[1,\v2]", PD_ERR_NOT_ENVELOPE},
	    {"{\f}", PD_ERR_NOT_ENVELOPE},
	};
	struct spool_event *a, *b;
	char *body, *pretty, *deep;
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		body = envelope_data(cases[i].value);
		pretty = spread(body);
		if (payload_from_webhook(body, strlen(body), NULL, NULL, &a) != cases[i].want)
			fail_msg("case %zu: %s: want %d", i, cases[i].value, cases[i].want);
		assert_int_equal(payload_from_webhook(pretty, strlen(pretty), NULL, NULL, &b),
		                 cases[i].want);
		if (cases[i].want == PD_OK) {
			assert_string_equal(a->payload, b->payload);
			assert_int_equal(a->payload_len, strlen(a->payload));
			assert_null(strpbrk(a->payload, "\r\n\t"));
			assert_string_equal(a->order_key, "incident:P1");
		} else {
			assert_null(a);
			assert_null(b);
		}
		spool_event_free(a);
		spool_event_free(b);
		free(pretty);
		free(body);
	}

	/* Nesting: the body's object, event and data are 3 levels; 64 in all is the most. */
	for (n = 60; n <= 70; n++) {
		deep = nested(n, "1");
		body = envelope_data(deep);
		pretty = spread(body);
		assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &a),
		                 3 + n <= PD_JSON_MAX_DEPTH ? PD_OK : PD_ERR_NOT_ENVELOPE);
		assert_int_equal(payload_from_webhook(pretty, strlen(pretty), NULL, NULL, &b),
		                 3 + n <= PD_JSON_MAX_DEPTH ? PD_OK : PD_ERR_NOT_ENVELOPE);
		spool_event_free(a);
		spool_event_free(b);
		free(pretty);
		free(body);
		free(deep);
	}
	/* Far deeper than anything yajl should stack up. */
	deep = nested(100000, "1");
	body = envelope_data(deep);
	assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &a),
	                 PD_ERR_NOT_ENVELOPE);
	free(body);
	free(deep);
}

/* The tree way (the poller's) applies the same depth limit as the scan. */
static void
test_tree_depth_limit(void **state)
{
	struct spool_event *ev;
	char *deep, *body;
	json_t *root;
	int n;

	(void)state;
	for (n = 60; n <= 62; n++) {
		deep = nested(n, "1");
		body = envelope_data(deep);
		root = t_json(body);
		assert_int_equal(
		    payload_from_event(json_object_get(root, "event"), NULL, NULL, "poll", &ev),
		    3 + n <= PD_JSON_MAX_DEPTH ? PD_OK : PD_ERR_NOT_ENVELOPE);
		spool_event_free(ev);
		assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &ev) == PD_OK,
		                 3 + n <= PD_JSON_MAX_DEPTH);
		spool_event_free(ev);
		json_decref(root);
		free(body);
		free(deep);
	}
}

/* An id with a NUL inside is no id, whichever way the event came. */
static void
test_nul_in_id(void **state)
{
	static const char body[] =
	    "{\"event\":{\"id\":\"E\\u0000F\",\"event_type\":\"incident.triggered\","
	    "\"occurred_at\":\"t\",\"data\":{\"id\":\"P1\",\"type\":\"incident\"}}}";
	struct spool_event *ev;
	json_t *root = json_loads(body, JSON_ALLOW_NUL, NULL);

	(void)state;
	assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &ev),
	                 PD_ERR_NOT_ENVELOPE);
	assert_int_equal(
	    payload_from_event(json_object_get(root, "event"), NULL, NULL, "poll", &ev),
	    PD_ERR_NOT_ENVELOPE);
	json_decref(root);
}

/* The go-pagerduty test body from ../shared. */
static void
test_go_pagerduty_vector(void **state)
{
	struct spool_event *ev;
	size_t len;
	char *body =
	    t_shared_file("specs/pagerduty/vectors/webhookv3-go-pagerduty-body.json", &len);
	json_t *got;

	(void)state;
	assert_int_equal(len, 1655);
	assert_int_equal(payload_from_webhook(body, len, "wh-go", "sub-go", &ev), PD_OK);
	assert_string_equal(ev->event_id, "01BWDWL3NYY7LUFPZCC28QUCMK");
	assert_string_equal(ev->trigger, "pagerduty.incident.priority_updated");
	assert_string_equal(ev->order_key, "incident:PGR0VU2");
	got = t_json(ev->payload);
	/* An integer where the docs have a string: passed through, and still valid. */
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(got, "data"), "conference_bridge"),
	                     "conference_number")),
	                 1000);
	assert_true(json_is_null(json_object_get(got, "client")));
	assert_fits(ev);
	json_decref(got);
	spool_event_free(ev);
	free(body);
}

/* Asserts t_st2_check rejects p, its message starting with want. */
static void
assert_rejected(json_t *schema, json_t *p, const char *want)
{
	char *why = t_st2_check(schema, p, "p");

	assert_non_null(why);
	if (strncmp(why, want, strlen(want)) != 0)
		fail_msg("got \"%s\", want \"%s...\"", why, want);
	free(why);
}

/* The validator of tests/lib is itself checked: payloads st2 would reject fail. */
static void
test_schema_rejects(void **state)
{
	json_t *tt = catalog_triggertype(catalog_find("incident.triggered"));
	json_t *schema = json_object_get(tt, "payload_schema"), *p;

	(void)state;
	p = t_json("{\"event_id\":\"E\",\"event_type\":\"incident.triggered\",\"resource_type\":"
	           "\"incident\",\"occurred_at\":\"t\",\"agent\":null,\"client\":null,\"data\":{},"
	           "\"webhook_id\":null,\"subscription_id\":null,\"source\":\"webhook\"}");
	assert_null(t_st2_check(schema, p, "p"));
	json_object_set_new(p, "source", json_string("carrier-pigeon"));
	assert_rejected(schema, p, "p.source: not in the schema's enum");
	json_object_set_new(p, "source", json_string("poll"));
	json_object_del(p, "event_id");
	assert_rejected(schema, p, "p.event_id: required, missing");
	json_object_set_new(p, "event_id", json_integer(1));
	assert_rejected(schema, p, "p.event_id: JSON type");
	json_object_set_new(p, "event_id", json_string("E"));
	json_object_set_new(json_object_get(p, "data"), "number", json_string("two"));
	assert_rejected(schema, p, "p.data.number: JSON type");
	json_decref(p);
	json_decref(tt);
}

/* RFC 3339 as PagerDuty writes it, to the millisecond; anything else is refused. */
static void
test_parse_time(void **state)
{
	static const struct {
		const char *text;
		int64_t ms; /* -1: refused */
	} cases[] = {
	    {"2026-11-27T09:40:00Z", 1795772400000LL},
	    {"2026-11-27T09:40:00.123Z", 1795772400123LL},
	    {"2026-11-27T09:40:00.1234567Z", 1795772400123LL},
	    {"2026-11-27 09:40:00Z", 1795772400000LL},
	    {"2026-11-27T10:40:00+01:00", 1795772400000LL},
	    {"2026-11-27T01:40:00.5-08:00", 1795772400500LL},
	    {"1970-01-01T00:00:00Z", 0},
	    {"2026-11-27T09:40:00", -1},
	    {"2026-11-27T09:40Z", -1},
	    {"2026-13-27T09:40:00Z", -1},
	    {"2026-11-27T09:40:00.Z", -1},
	    {"2026-11-27T09:40:00Zjunk", -1},
	    {"2026-11-27T09:40:00+0100", -1},
	    {"yesterday", -1},
	    {"", -1},
	};
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (cases[i].ms == -1) {
			if (parse_time_ms(cases[i].text, &ms) != PD_ERR_VALIDATION)
				fail_msg("\"%s\" was accepted", cases[i].text);
			continue;
		}
		if (parse_time_ms(cases[i].text, &ms) != PD_OK)
			fail_msg("\"%s\" was refused", cases[i].text);
		assert_int_equal(ms, cases[i].ms);
	}
	assert_int_equal(parse_time_ms(NULL, &ms), PD_ERR_VALIDATION);
}

/*
 * The transition key (incident, event type, second) is the same whichever
 * builder made the event, and absent for events about no incident.
 */
static void
test_transition_keys(void **state)
{
	struct spool_event *ev;
	json_t *root, *event;

	(void)state;
	assert_int_equal(
	    payload_from_webhook(sample_priority, strlen(sample_priority), "W1", NULL, &ev), PD_OK);
	assert_string_equal(ev->transition, "PGR0VU2|incident.priority_updated|1601664322");
	assert_int_equal(ev->polled, 0);
	spool_event_free(ev);
	/* A note: its incident is data.incident. */
	assert_int_equal(payload_from_webhook(sample_note, strlen(sample_note), NULL, NULL, &ev),
	                 PD_OK);
	assert_string_equal(ev->transition, "PGR0VU2|incident.annotated|1614692111");
	spool_event_free(ev);
	/* About a service, or a ping: no incident, no key. */
	assert_int_equal(
	    payload_from_webhook(sample_service, strlen(sample_service), NULL, NULL, &ev), PD_OK);
	assert_null(ev->transition);
	spool_event_free(ev);
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), NULL, NULL, &ev),
	                 PD_OK);
	assert_null(ev->transition);
	spool_event_free(ev);

	/* The tree way (the poller's): the same key, and it says it was polled. */
	root = t_json(sample_priority);
	event = json_object_get(root, "event");
	assert_int_equal(payload_from_event(event, NULL, NULL, "poll", &ev), PD_OK);
	assert_string_equal(ev->transition, "PGR0VU2|incident.priority_updated|1601664322");
	assert_int_equal(ev->polled, 1);
	spool_event_free(ev);
	/* A time that is no RFC 3339 date is passed on, but keys nothing. */
	json_object_set_new(event, "occurred_at", json_string("last Tuesday"));
	assert_int_equal(payload_from_event(event, NULL, NULL, "poll", &ev), PD_OK);
	assert_null(ev->transition);
	spool_event_free(ev);
	json_decref(root);
}

/* Reads the samples from their case files. */
static int
setup(void **state)
{
	(void)state;
	sample_priority = t_case("tests/data/webhook/incident-priority-updated.case", "body", NULL);
	sample_service = t_case("tests/data/webhook/service-updated-null-agent.case", "body", NULL);
	sample_ping = t_case("tests/data/webhook/pagey-ping.case", "body", NULL);
	sample_note = t_case("tests/data/webhook/incident-annotated.case", "body", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(sample_priority);
	free(sample_service);
	free(sample_ping);
	free(sample_note);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_webhook_ids),
	    cmocka_unit_test(test_from_event_poll),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_splice_matches_tree),
	    cmocka_unit_test(test_resource_type_unusable),
	    cmocka_unit_test(test_same_answer_any_whitespace),
	    cmocka_unit_test(test_tree_depth_limit),
	    cmocka_unit_test(test_nul_in_id),
	    cmocka_unit_test(test_go_pagerduty_vector),
	    cmocka_unit_test(test_schema_rejects),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_transition_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
