/*
 * test_payload.c: V3 envelopes -> spool events. Uses the verbatim samples
 * of pagerduty-api.md 1.3, the go-pagerduty test vector when ../shared is
 * there, and every kind of malformed body the receiver must answer 400.
 * The payloads are also checked against the catalog's payload_schema with
 * st2's rules (Draft-4 types, property-level required), since a payload st2
 * rejects would be a dead letter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "st2pd.h"

/* pagerduty-api.md 1.3, sample 1 (verbatim from PagerDuty's docs). */
static const char sample_priority[] =
    "{\"event\":{\"id\":\"5ac64822-4adc-4fda-ade0-410becf0de4f\",\"event_type\":\"incident."
    "priority_updated\",\"resource_type\":\"incident\",\"occurred_at\":\"2020-10-02T18:45:22."
    "169Z\",\"agent\":{\"html_url\":\"https://acme.pagerduty.com/users/PLH1HKV\",\"id\":"
    "\"PLH1HKV\",\"self\":\"https://api.pagerduty.com/users/PLH1HKV\",\"summary\":\"Tenex "
    "Engineer\",\"type\":\"user_reference\"},\"client\":{\"name\":\"PagerDuty\"},\"data\":{"
    "\"id\":\"PGR0VU2\",\"type\":\"incident\",\"self\":\"https://api.pagerduty.com/incidents/"
    "PGR0VU2\",\"html_url\":\"https://acme.pagerduty.com/incidents/PGR0VU2\",\"number\":2,"
    "\"status\":\"triggered\",\"incident_key\":\"d3640fbd41094207a1c11e58e46b1662\","
    "\"created_at\":\"2020-04-09T15:16:27Z\",\"reopened_at\":\"2020-10-02T18:45:22Z\","
    "\"title\":\"A little bump in the road\",\"service\":{\"html_url\":\"https://"
    "acme.pagerduty.com/services/PF9KMXH\",\"id\":\"PF9KMXH\",\"self\":\"https://"
    "api.pagerduty.com/services/PF9KMXH\",\"summary\":\"API Service\",\"type\":\"service_"
    "reference\"},\"assignees\":[{\"html_url\":\"https://acme.pagerduty.com/users/PTUXL6G\","
    "\"id\":\"PTUXL6G\",\"self\":\"https://api.pagerduty.com/users/PTUXL6G\",\"summary\":"
    "\"User 123\",\"type\":\"user_reference\"}],\"escalation_policy\":{\"html_url\":\"https:"
    "//acme.pagerduty.com/escalation_policies/PUS0KTE\",\"id\":\"PUS0KTE\",\"self\":\"https:"
    "//api.pagerduty.com/escalation_policies/PUS0KTE\",\"summary\":\"Default\",\"type\":"
    "\"escalation_policy_reference\"},\"teams\":[{\"html_url\":\"https://acme.pagerduty.com/"
    "teams/PFCVPS0\",\"id\":\"PFCVPS0\",\"self\":\"https://api.pagerduty.com/teams/PFCVPS0\","
    "\"summary\":\"Engineering\",\"type\":\"team_reference\"}],\"priority\":{\"html_url\":"
    "\"https://acme.pagerduty.com/account/incident_priorities\",\"id\":\"PSO75BM\",\"self\":"
    "\"https://api.pagerduty.com/priorities/PSO75BM\",\"summary\":\"P1\",\"type\":\"priority_"
    "reference\"},\"urgency\":\"high\",\"conference_bridge\":{\"conference_number\":\"+1 "
    "1234123412,,987654321#\",\"conference_url\":\"https://example.com\"},\"resolve_reason\":"
    "null}}}";

/* Sample 2: service.updated with null agent and client (verbatim). */
static const char sample_service[] =
    "{\"event\":{\"id\":\"01BRB6ZP4M6T8ZG4X6BP63ZB9O\",\"event_type\":\"service.updated\","
    "\"resource_type\":\"service\",\n \"occurred_at\":\"2021-03-02T13:35:11.682Z\",\"agent\":"
    "null,\"client\":null,\n \"data\":{\"html_url\":\"https://acme.pagerduty.com/services/"
    "PF9KMXH\",\"id\":\"PF9KMXH\",\n  \"self\":\"https://api.pagerduty.com/services/PF9KMXH\","
    "\"summary\":\"testing service updates\",\n  \"alert_creation\":\"create_alerts_and_"
    "incidents\",\n  \"teams\":[{\"html_url\":\"https://acme.pagerduty.com/teams/PFCVPS0\","
    "\"id\":\"PFCVPS0\",\n   \"self\":\"https://api.pagerduty.com/teams/PFCVPS0\",\"summary\":"
    "\"Engineering\",\"type\":\"team_reference\"}],\n  \"type\":\"service\"}}}";

/* Sample 3: the test ping. */
static const char sample_ping[] =
    "{\"event\":{\"id\":\"01D9ZS8V1WQ4CGQ2ZN7VY9X9KP\",\"event_type\":\"pagey.ping\","
    "\"resource_type\":\"pagey\",\"occurred_at\":\"2022-10-01T02:30:53.852Z\",\"agent\":null,"
    "\"client\":null,\"data\":{\"message\":\"Hello from your friend Pagey!\",\"type\":"
    "\"ping\"}}}";

/* incident.annotated: the order key comes from data.incident.id, not data.id. */
static const char sample_note[] =
    "{\"event\":{\"id\":\"01CN7Z8XKZ4B8S6W2AAAAAAAAA\",\"event_type\":\"incident.annotated\","
    "\"resource_type\":\"incident\",\"occurred_at\":\"2021-03-02T13:35:11.682Z\",\"agent\":"
    "{\"id\":\"PLH1HKV\",\"type\":\"user_reference\"},\"client\":null,\"data\":{\"incident\":"
    "{\"html_url\":\"https://acme.pagerduty.com/incidents/PGR0VU2\",\"id\":\"PGR0VU2\","
    "\"self\":\"https://api.pagerduty.com/incidents/PGR0VU2\",\"summary\":\"A little bump\","
    "\"type\":\"incident_reference\"},\"id\":\"P2LA89X\",\"content\":\"I sure am glad\","
    "\"trimmed\":false,\"type\":\"incident_note\"}}}";

/* The payload keys of INTERFACE.md, in order. */
static const char *const payload_keys[] = {
    "event_id", "event_type", "resource_type", "occurred_at",     "agent",
    "client",   "data",       "webhook_id",    "subscription_id", "source"};

/* Parses JSON text that the test itself wrote. */
static json_t *
parse(const char *s)
{
	json_error_t err;
	json_t *v = json_loads(s, 0, &err);

	if (v == NULL)
		fail_msg("bad test JSON: %s", err.text);
	return v;
}

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

/*
 * Validates v against an st2 payload schema as st2's CustomValidator does
 * for the keywords the catalog uses: type (name or array), enum,
 * properties with property-level required: true, additionalProperties.
 * Returns NULL or what failed.
 */
static const char *
st2_validate(json_t *schema, json_t *v)
{
	static const struct {
		const char *name;
		json_type type;
	} types[] = {{"object", JSON_OBJECT},   {"array", JSON_ARRAY},  {"string", JSON_STRING},
	             {"integer", JSON_INTEGER}, {"boolean", JSON_TRUE}, {"boolean", JSON_FALSE},
	             {"null", JSON_NULL}};
	json_t *type = json_object_get(schema, "type"), *t, *e, *sub;
	const char *key, *why;
	size_t i, k;
	int ok;

	if (type != NULL) {
		ok = 0;
		for (i = 0; i < (json_is_array(type) ? json_array_size(type) : 1); i++) {
			t = json_is_array(type) ? json_array_get(type, i) : type;
			for (k = 0; k < sizeof types / sizeof types[0]; k++) {
				if (strcmp(json_string_value(t), types[k].name) == 0 &&
				    json_typeof(v) == types[k].type)
					ok = 1;
			}
		}
		if (!ok)
			return "wrong type";
	}
	if ((e = json_object_get(schema, "enum")) != NULL) {
		ok = 0;
		json_array_foreach (e, i, t)
			ok |= json_equal(t, v);
		if (!ok)
			return "not in enum";
	}
	if (!json_is_object(v))
		return NULL;
	json_object_foreach (json_object_get(schema, "properties"), key, sub) {
		if (json_object_get(v, key) == NULL) {
			if (json_is_true(json_object_get(sub, "required")))
				return "required property missing";
			continue;
		}
		if ((why = st2_validate(sub, json_object_get(v, key))) != NULL)
			return why;
	}
	if (json_is_false(json_object_get(schema, "additionalProperties")))
		return "additionalProperties is closed";
	return NULL;
}

/* Validates a spool event's payload against its trigger's payload_schema. */
static const char *
validate_event(const struct spool_event *ev)
{
	const struct event_type *t;
	const char *why;
	json_t *tt, *p;

	assert_memory_equal(ev->trigger, "pagerduty.", 10);
	t = catalog_find(ev->trigger + 10);
	if (t == NULL) /* pagerduty.event */
		t = &catalog_types[catalog_ntypes - 1];
	assert_string_equal(t->name, ev->trigger + 10);
	tt = catalog_triggertype(t);
	p = parse(ev->payload);
	why = st2_validate(json_object_get(tt, "payload_schema"), p);
	json_decref(p);
	json_decref(tt);
	return why;
}

/* Sample 1: the exact payload, key order, trigger and order key. */
static void
test_sample_priority_updated(void **state)
{
	struct spool_event *ev;
	json_t *in, *want, *got;
	int64_t before = now_ms();

	(void)state;
	assert_int_equal(
	    payload_from_webhook(sample_priority, strlen(sample_priority), "wh-1", "sub-1", &ev),
	    PD_OK);
	assert_string_equal(ev->event_id, "5ac64822-4adc-4fda-ade0-410becf0de4f");
	assert_string_equal(ev->webhook_id, "wh-1");
	assert_string_equal(ev->event_type, "incident.priority_updated");
	assert_string_equal(ev->trigger, "pagerduty.incident.priority_updated");
	assert_string_equal(ev->order_key, "incident:PGR0VU2");
	assert_int_equal(ev->payload_len, strlen(ev->payload));
	assert_true(ev->received_ms >= before);
	assert_int_equal(ev->state, SPOOL_PENDING);

	/* data, agent and client pass through untouched; the rest is INTERFACE.md's. */
	in = parse(sample_priority);
	want = json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:O, s:s, s:s, s:s}", "event_id",
	                 "5ac64822-4adc-4fda-ade0-410becf0de4f", "event_type",
	                 "incident.priority_updated", "resource_type", "incident", "occurred_at",
	                 "2020-10-02T18:45:22.169Z", "agent",
	                 json_object_get(json_object_get(in, "event"), "agent"), "client",
	                 json_object_get(json_object_get(in, "event"), "client"), "data",
	                 json_object_get(json_object_get(in, "event"), "data"), "webhook_id",
	                 "wh-1", "subscription_id", "sub-1", "source", "webhook");
	got = parse(ev->payload);
	assert_true(json_equal(got, want));
	assert_key_order(got);
	/* Compact, and data keeps PagerDuty's key order. */
	assert_null(strstr(ev->payload, "\n"));
	assert_non_null(strstr(ev->payload, "\"data\":{\"id\":\"PGR0VU2\",\"type\":\"incident\","));
	assert_null(validate_event(ev));
	json_decref(got);
	json_decref(want);
	json_decref(in);
	spool_event_free(ev);
}

/* Sample 2: null agent and client, no webhook id. */
static void
test_sample_service_updated(void **state)
{
	struct spool_event *ev;
	json_t *want, *got;

	(void)state;
	assert_int_equal(
	    payload_from_webhook(sample_service, strlen(sample_service), NULL, NULL, &ev), PD_OK);
	assert_string_equal(ev->event_id, "01BRB6ZP4M6T8ZG4X6BP63ZB9O");
	assert_null(ev->webhook_id);
	assert_string_equal(ev->trigger, "pagerduty.service.updated");
	assert_string_equal(ev->order_key, "service:PF9KMXH");
	want = parse(
	    "{\"event_id\":\"01BRB6ZP4M6T8ZG4X6BP63ZB9O\",\"event_type\":\"service.updated\","
	    "\"resource_type\":\"service\",\"occurred_at\":\"2021-03-02T13:35:11.682Z\","
	    "\"agent\":null,\"client\":null,\"data\":{\"html_url\":\"https://acme.pagerduty.com/"
	    "services/PF9KMXH\",\"id\":\"PF9KMXH\",\"self\":\"https://api.pagerduty.com/services/"
	    "PF9KMXH\",\"summary\":\"testing service updates\",\"alert_creation\":\"create_alerts_"
	    "and_incidents\",\"teams\":[{\"html_url\":\"https://acme.pagerduty.com/teams/PFCVPS0\","
	    "\"id\":\"PFCVPS0\",\"self\":\"https://api.pagerduty.com/teams/PFCVPS0\",\"summary\":"
	    "\"Engineering\",\"type\":\"team_reference\"}],\"type\":\"service\"},"
	    "\"webhook_id\":null,\"subscription_id\":null,\"source\":\"webhook\"}");
	got = parse(ev->payload);
	assert_true(json_equal(got, want));
	assert_key_order(got);
	assert_null(validate_event(ev));
	json_decref(got);
	json_decref(want);
	spool_event_free(ev);
}

/* A note orders with its incident. */
static void
test_annotated_order_key(void **state)
{
	struct spool_event *ev;

	(void)state;
	assert_int_equal(payload_from_webhook(sample_note, strlen(sample_note), "wh-2", NULL, &ev),
	                 PD_OK);
	assert_string_equal(ev->trigger, "pagerduty.incident.annotated");
	assert_string_equal(ev->order_key, "incident:PGR0VU2");
	assert_null(validate_event(ev));
	spool_event_free(ev);
}

/* The test ping is a trigger of its own. */
static void
test_ping(void **state)
{
	struct spool_event *ev;
	json_t *got;

	(void)state;
	assert_int_equal(
	    payload_from_webhook(sample_ping, strlen(sample_ping), "wh-3", "sub-3", &ev), PD_OK);
	assert_string_equal(ev->trigger, "pagerduty.pagey.ping");
	/* No id anywhere in data: the event is a key of its own. */
	assert_string_equal(ev->order_key, "event:01D9ZS8V1WQ4CGQ2ZN7VY9X9KP");
	got = parse(ev->payload);
	assert_string_equal(json_string_value(json_object_get(got, "resource_type")), "pagey");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(got, "data"), "message")),
	    "Hello from your friend Pagey!");
	assert_null(validate_event(ev));
	json_decref(got);
	spool_event_free(ev);
}

/* An unknown type goes to pagerduty.event with its event_type kept. */
static void
test_unknown_type(void **state)
{
	static const char body[] =
	    "{\"event\":{\"id\":\"E1\",\"event_type\":\"incident.future_thing\","
	    "\"occurred_at\":\"2030-01-01T00:00:00Z\",\"data\":{\"id\":\"PX\",\"type\":"
	    "\"incident\",\"new_field\":[1,2.5,{\"x\":null}]}}}";
	struct spool_event *ev;
	json_t *got;

	(void)state;
	assert_int_equal(payload_from_webhook(body, strlen(body), "wh-4", NULL, &ev), PD_OK);
	assert_string_equal(ev->trigger, "pagerduty.event");
	assert_string_equal(ev->event_type, "incident.future_thing");
	assert_string_equal(ev->order_key, "incident:PX");
	got = parse(ev->payload);
	assert_string_equal(json_string_value(json_object_get(got, "event_type")),
	                    "incident.future_thing");
	/* Absent resource_type, agent and client: derived, null, null. */
	assert_string_equal(json_string_value(json_object_get(got, "resource_type")), "incident");
	assert_true(json_is_null(json_object_get(got, "agent")));
	assert_true(json_is_null(json_object_get(got, "client")));
	assert_int_equal(
	    json_array_size(json_object_get(json_object_get(got, "data"), "new_field")), 3);
	assert_key_order(got);
	assert_null(validate_event(ev));
	json_decref(got);
	spool_event_free(ev);
}

/* The order key rules, one case each. */
static void
test_order_keys(void **state)
{
	static const struct {
		const char *body;
		const char *key;
	} cases[] = {
	    /* data.type incident, though the resource type says otherwise. */
	    {"{\"event\":{\"id\":\"E1\",\"event_type\":\"x.y\",\"occurred_at\":\"t\","
	     "\"data\":{\"id\":\"P1\",\"type\":\"incident\"}}}",
	     "incident:P1"},
	    /* Another resource with an id. */
	    {"{\"event\":{\"id\":\"E2\",\"event_type\":\"widget.made\",\"occurred_at\":\"t\","
	     "\"data\":{\"id\":\"W1\",\"type\":\"widget\"}}}",
	     "widget:W1"},
	    /* An explicit resource_type wins over the event type's prefix. */
	    {"{\"event\":{\"id\":\"E3\",\"event_type\":\"service.updated\",\"resource_type\":"
	     "\"incident\",\"occurred_at\":\"t\",\"data\":{\"id\":\"P3\"}}}",
	     "incident:P3"},
	    /* data.incident without a string id does not count. */
	    {"{\"event\":{\"id\":\"E4\",\"event_type\":\"incident.role.assigned\","
	     "\"occurred_at\":\"t\",\"data\":{\"incident\":{\"id\":7},\"type\":\"x\"}}}",
	     "event:E4"},
	    /* No dot in the event type: the whole type is the resource type. */
	    {"{\"event\":{\"id\":\"E5\",\"event_type\":\"thing\",\"occurred_at\":\"t\","
	     "\"data\":{\"id\":\"T5\"}}}",
	     "thing:T5"},
	};
	struct spool_event *ev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(
		    payload_from_webhook(cases[i].body, strlen(cases[i].body), NULL, NULL, &ev),
		    PD_OK);
		assert_string_equal(ev->order_key, cases[i].key);
		spool_event_free(ev);
	}
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
	got = parse(ev->payload);
	assert_string_equal(ev->webhook_id, "W");
	assert_string_equal(json_string_value(json_object_get(got, "webhook_id")), "W");
	assert_string_equal(json_string_value(json_object_get(got, "subscription_id")), "S");
	json_decref(got);
	spool_event_free(ev);

	/* Empty counts as absent: it must not make every such delivery a duplicate. */
	assert_int_equal(payload_from_webhook(sample_ping, strlen(sample_ping), "", "", &ev),
	                 PD_OK);
	got = parse(ev->payload);
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
	json_t *root = parse(sample_priority), *event, *data, *got;
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
	got = parse(ev->payload);
	assert_string_equal(json_string_value(json_object_get(got, "source")), "poll");
	assert_true(json_is_null(json_object_get(got, "webhook_id")));
	assert_true(json_is_null(json_object_get(got, "subscription_id")));
	assert_true(json_equal(json_object_get(got, "data"), data));
	assert_key_order(got);
	assert_null(validate_event(ev));
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
	json_t *root = parse(body);

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
	static const char *const bodies[] = {
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
		pa = parse(a->payload);
		pb = parse(b->payload);
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
	pa = parse(a->payload);
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

/* A pretty-printed body still gives a one-line payload (the sink is JSON lines). */
static void
test_multiline_body(void **state)
{
	static const char body[] = "{\n  \"event\": {\n    \"id\": \"M1\",\n    \"event_type\": "
	                           "\"incident.triggered\",\n    \"occurred_at\": \"t\",\n    "
	                           "\"data\": {\n      \"id\": \"P9\",\n      \"type\": "
	                           "\"incident\"\n    }\n  }\n}\n";
	struct spool_event *ev;

	(void)state;
	assert_int_equal(payload_from_webhook(body, strlen(body), NULL, NULL, &ev), PD_OK);
	assert_null(strchr(ev->payload, '\n'));
	assert_string_equal(ev->order_key, "incident:P9");
	spool_event_free(ev);
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
		root = parse(body);
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

/* The go-pagerduty test body from ../shared, when it is there. */
static void
test_go_pagerduty_vector(void **state)
{
	const char *shared = getenv("PD_SHARED_DIR");
	struct spool_event *ev;
	char *path, *body;
	size_t len;
	json_t *got;

	(void)state;
	if (shared == NULL) {
		print_message("skipped: PD_SHARED_DIR is not set\n");
		skip();
	}
	path = xasprintf("%s/specs/pagerduty/vectors/webhookv3-go-pagerduty-body.json", shared);
	if (read_file(path, &body, &len) != PD_OK) {
		print_message("skipped: %s is absent\n", path);
		free(path);
		skip();
	}
	free(path);
	assert_int_equal(len, 1655);
	assert_int_equal(payload_from_webhook(body, len, "wh-go", "sub-go", &ev), PD_OK);
	assert_string_equal(ev->event_id, "01BWDWL3NYY7LUFPZCC28QUCMK");
	assert_string_equal(ev->trigger, "pagerduty.incident.priority_updated");
	assert_string_equal(ev->order_key, "incident:PGR0VU2");
	got = parse(ev->payload);
	/* An integer where the docs have a string: passed through, and still valid. */
	assert_int_equal(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(got, "data"), "conference_bridge"),
	                     "conference_number")),
	                 1000);
	assert_true(json_is_null(json_object_get(got, "client")));
	assert_null(validate_event(ev));
	json_decref(got);
	spool_event_free(ev);
	free(body);
}

/* The validator above is itself checked: payloads st2 would reject fail. */
static void
test_schema_rejects(void **state)
{
	json_t *tt = catalog_triggertype(catalog_find("incident.triggered"));
	json_t *schema = json_object_get(tt, "payload_schema"), *p;

	(void)state;
	p = parse("{\"event_id\":\"E\",\"event_type\":\"incident.triggered\",\"resource_type\":"
	          "\"incident\",\"occurred_at\":\"t\",\"agent\":null,\"client\":null,\"data\":{},"
	          "\"webhook_id\":null,\"subscription_id\":null,\"source\":\"webhook\"}");
	assert_null(st2_validate(schema, p));
	json_object_set_new(p, "source", json_string("carrier-pigeon"));
	assert_string_equal(st2_validate(schema, p), "not in enum");
	json_object_set_new(p, "source", json_string("poll"));
	json_object_del(p, "event_id");
	assert_string_equal(st2_validate(schema, p), "required property missing");
	json_object_set_new(p, "event_id", json_integer(1));
	assert_string_equal(st2_validate(schema, p), "wrong type");
	json_object_set_new(p, "event_id", json_string("E"));
	json_object_set_new(json_object_get(p, "data"), "number", json_string("two"));
	assert_string_equal(st2_validate(schema, p), "wrong type");
	json_decref(p);
	json_decref(tt);
}

/* Runs every test of this file. */
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
	root = parse(sample_priority);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sample_priority_updated),
	    cmocka_unit_test(test_sample_service_updated),
	    cmocka_unit_test(test_annotated_order_key),
	    cmocka_unit_test(test_ping),
	    cmocka_unit_test(test_unknown_type),
	    cmocka_unit_test(test_order_keys),
	    cmocka_unit_test(test_webhook_ids),
	    cmocka_unit_test(test_from_event_poll),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_splice_matches_tree),
	    cmocka_unit_test(test_multiline_body),
	    cmocka_unit_test(test_resource_type_unusable),
	    cmocka_unit_test(test_same_answer_any_whitespace),
	    cmocka_unit_test(test_tree_depth_limit),
	    cmocka_unit_test(test_nul_in_id),
	    cmocka_unit_test(test_go_pagerduty_vector),
	    cmocka_unit_test(test_schema_rejects),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_transition_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
