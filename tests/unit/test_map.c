/*
 * test_map.c: the log entry -> V3 event mapping of sensor/map.c: the table
 * (sorted, every type of the REST spec's LogEntry, every twin a known V3
 * type, the README's table the same), the shaping of the included
 * incident into the webhook's data, and the point of it all: one rule's
 * criteria match the webhook's payload and the poller's payload of the
 * same transition alike, and both carry the same transition key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testlib.h"

/* What PagerDuty's webhook brings when PINC001 is triggered (DD-WH's shape). */
static const char webhook_triggered[] =
    "{\"event\":{\"id\":\"01DVT0GB6N8FKKJ4C2Z9MA0PYC\",\"event_type\":\"incident.triggered\","
    "\"resource_type\":\"incident\",\"occurred_at\":\"2026-11-27T09:40:00.421Z\","
    "\"agent\":{\"html_url\":\"https://acme.pagerduty.com/services/PSVC001\",\"id\":"
    "\"PSVC001\",\"self\":\"https://api.pagerduty.com/services/PSVC001\",\"summary\":\"API "
    "Service\",\"type\":\"service_reference\"},\"client\":{\"name\":\"Monitoring\"},"
    "\"data\":{\"id\":\"PINC001\",\"type\":\"incident\",\"self\":\"https://api.pagerduty.com/"
    "incidents/PINC001\",\"html_url\":\"https://acme.pagerduty.com/incidents/PINC001\","
    "\"number\":42,\"status\":\"triggered\",\"incident_key\":\"key-PINC001\",\"created_at\":"
    "\"2026-11-27T09:40:00Z\",\"title\":\"Disk full on db-01\",\"service\":{\"html_url\":"
    "\"https://acme.pagerduty.com/services/PSVC001\",\"id\":\"PSVC001\",\"self\":\"https://"
    "api.pagerduty.com/services/PSVC001\",\"summary\":\"API Service\",\"type\":\"service_"
    "reference\"},\"assignees\":[{\"html_url\":\"https://acme.pagerduty.com/users/PUSER01\","
    "\"id\":\"PUSER01\",\"self\":\"https://api.pagerduty.com/users/PUSER01\",\"summary\":"
    "\"User One\",\"type\":\"user_reference\"}],\"escalation_policy\":{\"id\":\"PEP0001\","
    "\"type\":\"escalation_policy_reference\",\"summary\":\"Default\"},\"teams\":[{\"id\":"
    "\"PTEAM01\",\"type\":\"team_reference\",\"summary\":\"Engineering\"}],\"priority\":{"
    "\"id\":\"PPRI001\",\"type\":\"priority_reference\",\"summary\":\"P1\"},\"urgency\":"
    "\"high\",\"conference_bridge\":null,\"resolve_reason\":null}}}";

/*
 * The same transition in GET /log_entries?include[]=incidents, read after
 * the incident was acknowledged: the included incident says so, the entry
 * does not.
 */
static const char log_triggered[] =
    "{\"id\":\"Q02JTSNZWHSEKV\",\"type\":\"trigger_log_entry\",\"summary\":\"Triggered "
    "through the API\",\"created_at\":\"2026-11-27T09:40:00Z\",\"agent\":{\"id\":\"PSVC001\","
    "\"type\":\"service_reference\",\"summary\":\"API Service\"},\"channel\":{\"type\":"
    "\"api\"},\"service\":{\"id\":\"PSVC001\",\"type\":\"service_reference\"},\"incident\":{"
    "\"id\":\"PINC001\",\"type\":\"incident\",\"summary\":\"[#42] Disk full on db-01\","
    "\"self\":\"https://api.pagerduty.com/incidents/PINC001\",\"html_url\":\"https://"
    "acme.pagerduty.com/incidents/PINC001\",\"incident_number\":42,\"title\":\"Disk full on "
    "db-01\",\"created_at\":\"2026-11-27T09:40:00Z\",\"status\":\"acknowledged\","
    "\"incident_key\":\"key-PINC001\",\"service\":{\"id\":\"PSVC001\",\"type\":\"service_"
    "reference\",\"summary\":\"API Service\",\"self\":\"https://api.pagerduty.com/services/"
    "PSVC001\",\"html_url\":\"https://acme.pagerduty.com/services/PSVC001\"},\"assignments\":"
    "[{\"at\":\"2026-11-27T09:40:00Z\",\"assignee\":{\"id\":\"PUSER01\",\"type\":\"user_"
    "reference\",\"summary\":\"User One\"}}],\"escalation_policy\":{\"id\":\"PEP0001\","
    "\"type\":\"escalation_policy_reference\",\"summary\":\"Default\"},\"teams\":[{\"id\":"
    "\"PTEAM01\",\"type\":\"team_reference\",\"summary\":\"Engineering\"}],\"priority\":{"
    "\"id\":\"PPRI001\",\"type\":\"priority\",\"summary\":\"P1\",\"name\":\"P1\",\"color\":"
    "\"a8171c\"},\"urgency\":\"high\",\"resolve_reason\":null}}";

/* A rule's criterion, as st2 writes it: trigger.<path>, a type, a pattern. */
struct criterion {
	const char *key;
	const char *type; /* equals, contains, exists */
	const char *pattern;
};

/* A rule an operator writes once for both sources. */
static const struct criterion rule[] = {
    {"trigger.event_type", "equals", "incident.triggered"},
    {"trigger.resource_type", "equals", "incident"},
    {"trigger.data.status", "equals", "triggered"},
    {"trigger.data.service.id", "equals", "PSVC001"},
    {"trigger.data.priority.summary", "equals", "P1"},
    {"trigger.data.urgency", "equals", "high"},
    {"trigger.data.title", "contains", "db-01"},
    {"trigger.data.number", "equals", "42"},
    {"trigger.data.html_url", "exists", NULL},
    {"trigger.data.escalation_policy.id", "equals", "PEP0001"},
    {"trigger.agent.id", "equals", "PSVC001"},
};

/* The value at a dotted path of v (a number indexes an array), or NULL; borrowed. */
static json_t *
at(json_t *v, const char *path)
{
	const char *part = path, *dot;
	char *name, *end;
	unsigned long i;

	while (v != NULL && *part != '\0') {
		dot = strchr(part, '.');
		name = dot != NULL ? xstrndup(part, (size_t)(dot - part)) : xstrdup(part);
		if (json_is_array(v)) {
			i = strtoul(name, &end, 10);
			v = end != name && *end == '\0' ? json_array_get(v, i) : NULL;
		} else {
			v = json_object_get(v, name);
		}
		free(name);
		part = dot != NULL ? dot + 1 : part + strlen(part);
	}
	return v;
}

/* Fails unless the value at path of v is the string want. */
static void
assert_at(json_t *v, const char *path, const char *want)
{
	const char *got = json_string_value(at(v, path));

	if (got == NULL)
		fail_msg("%s is not a string", path);
	assert_string_equal(got, want);
}

/* The value at a dotted path of st2's rule context {"trigger": payload}, or NULL. */
static json_t *
lookup(json_t *payload, const char *key)
{
	json_t *root = json_pack("{s:O}", "trigger", payload), *v = json_incref(at(root, key));

	json_decref(root);
	return v;
}

/* The event of entry once its type is set to type (caller decrefs). */
static json_t *
map_as(json_t *entry, const char *type)
{
	json_t *event;
	const char *why;

	json_object_set_new(entry, "type", json_string(type));
	event = map_event(entry, &why);
	if (event == NULL)
		fail_msg("map_event of a %s: %s", type, why);
	return event;
}

/* Whether a criterion holds, as st2's operators compare (values as text). */
static int
holds(json_t *payload, const struct criterion *c)
{
	json_t *v = lookup(payload, c->key);
	char *text;
	int ok;

	if (strcmp(c->type, "exists") == 0) {
		ok = v != NULL && !json_is_null(v);
		json_decref(v);
		return ok;
	}
	if (v == NULL)
		return 0;
	text = json_is_string(v) ? xstrdup(json_string_value(v)) : json_dumps(v, JSON_ENCODE_ANY);
	ok = strcmp(c->type, "equals") == 0 ? strcmp(text, c->pattern) == 0
	                                    : strstr(text, c->pattern) != NULL;
	free(text);
	json_decref(v);
	return ok;
}

/* The spool event of a log entry, through the poller's path. */
static struct spool_event *
poll_event(const char *entry_text)
{
	json_t *entry = t_json(entry_text), *event;
	struct spool_event *ev;
	const char *why;

	event = map_event(entry, &why);
	if (event == NULL)
		fail_msg("map_event: %s", why);
	assert_int_equal(payload_from_event(event, NULL, NULL, "poll", &ev), PD_OK);
	json_decref(event);
	json_decref(entry);
	return ev;
}

/* The table is sorted, its twins are V3 types the catalog knows, and INTERFACE's are pinned. */
static void
test_table(void **state)
{
	static const char *const pinned[][2] = {
	    {"trigger_log_entry", "incident.triggered"},
	    {"acknowledge_log_entry", "incident.acknowledged"},
	    {"resolve_log_entry", "incident.resolved"},
	    {"annotate_log_entry", "incident.annotated"},
	    {"assign_log_entry", "incident.reassigned"},
	    {"escalate_log_entry", "incident.escalated"},
	    {"unacknowledge_log_entry", "incident.unacknowledged"},
	};
	const struct log_type *lt;
	size_t i;

	(void)state;
	for (i = 0; i < map_nlog_types; i++) {
		if (i > 0)
			assert_true(
			    strcmp(map_log_types[i - 1].log_type, map_log_types[i].log_type) < 0);
		assert_ptr_equal(map_find(map_log_types[i].log_type), &map_log_types[i]);
		if (map_log_types[i].event_type != NULL)
			assert_non_null(catalog_find(map_log_types[i].event_type));
		else
			assert_non_null(map_log_types[i].note); /* why there is none */
	}
	for (i = 0; i < sizeof pinned / sizeof pinned[0]; i++) {
		lt = map_find(pinned[i][0]);
		assert_non_null(lt);
		assert_string_equal(lt->event_type, pinned[i][1]);
	}
	assert_null(map_find("teleport_log_entry"));
	assert_null(map_find(NULL));
}

/* Every log entry type of the official REST spec is in the table, and nothing else. */
static void
test_table_is_the_specs(void **state)
{
	char *text = t_shared_file("specs/pagerduty/REST/openapiv3.json", NULL);
	json_t *spec = t_json(text), *all, *enums, *v;
	size_t i;

	(void)state;
	all = json_object_get(json_object_get(json_object_get(spec, "components"), "schemas"),
	                      "LogEntry");
	/* allOf: [the Tag base, {properties: {type: {enum: [...]}}}] */
	enums = NULL;
	json_array_foreach (json_object_get(all, "allOf"), i, v) {
		v = json_object_get(json_object_get(json_object_get(v, "properties"), "type"),
		                    "enum");
		if (json_is_array(v))
			enums = v;
	}
	assert_non_null(enums);
	assert_int_equal(json_array_size(enums), map_nlog_types);
	json_array_foreach (enums, i, v) {
		if (map_find(json_string_value(v)) == NULL)
			fail_msg("the spec's %s is not in map_log_types", json_string_value(v));
	}
	json_decref(spec);
	free(text);
}

/* README.md's mapping table says what the C table says. */
static void
test_readme_table(void **state)
{
	char *text = t_source_file("README.md", NULL), *row, *line;
	size_t i;

	(void)state;
	for (i = 0; i < map_nlog_types; i++) {
		row = xasprintf("| `%s` | %s%s%s |", map_log_types[i].log_type,
		                map_log_types[i].event_type != NULL ? "`" : "",
		                map_log_types[i].event_type != NULL ? map_log_types[i].event_type
		                                                    : "none",
		                map_log_types[i].event_type != NULL ? "`" : "");
		line = strstr(text, row);
		if (line == NULL)
			fail_msg("README.md has no row \"%s\"", row);
		free(row);
	}
	free(text);
}

/* The included REST incident becomes the webhook's data, at the transition's status. */
static void
test_shape_incident(void **state)
{
	json_t *entry = t_json(log_triggered), *event, *data;

	(void)state;
	event = map_as(entry, "trigger_log_entry");
	assert_at(event, "id", "Q02JTSNZWHSEKV");
	assert_at(event, "event_type", "incident.triggered");
	assert_at(event, "occurred_at", "2026-11-27T09:40:00Z");
	assert_true(json_is_null(json_object_get(event, "client")));
	data = json_object_get(event, "data");
	assert_at(data, "type", "incident");
	assert_int_equal(json_integer_value(json_object_get(data, "number")), 42);
	/* Read after the acknowledgement, the trigger still says triggered. */
	assert_at(data, "status", "triggered");
	assert_at(data, "priority.type", "priority_reference");
	assert_null(at(data, "priority.color"));
	assert_at(data, "assignees.0.id", "PUSER01");
	assert_null(json_object_get(data, "assignments"));
	assert_null(json_object_get(data, "incident_number"));
	json_decref(event);

	/* An acknowledgement says acknowledged; an escalation keeps the incident's status. */
	event = map_as(entry, "acknowledge_log_entry");
	assert_at(event, "data.status", "acknowledged");
	json_decref(event);
	json_object_set_new(json_object_get(entry, "incident"), "status", json_string("resolved"));
	event = map_as(entry, "escalate_log_entry");
	assert_at(event, "event_type", "incident.escalated");
	assert_at(event, "data.status", "resolved");
	json_decref(event);

	/* A reassignment's assignees are the entry's, not the incident's now. */
	json_object_set_new(entry, "assignees",
	                    t_json("[{\"id\":\"PUSER02\",\"type\":\"user_reference\","
	                           "\"summary\":\"User Two\"}]"));
	event = map_as(entry, "assign_log_entry");
	assert_at(event, "event_type", "incident.reassigned");
	assert_int_equal(json_array_size(at(event, "data.assignees")), 1);
	assert_at(event, "data.assignees.0.id", "PUSER02");
	json_decref(event);
	json_decref(entry);
}

/* incident.annotated carries the note, pointing at its incident, as the webhook does. */
static void
test_shape_note(void **state)
{
	json_t *entry = t_json(log_triggered), *event;
	struct spool_event *ev;

	(void)state;
	json_object_set_new(entry, "channel", t_json("{\"type\":\"note\",\"summary\":\"on it\"}"));
	event = map_as(entry, "annotate_log_entry");
	assert_at(event, "data.type", "incident_note");
	assert_at(event, "data.content", "on it");
	assert_at(event, "data.incident.id", "PINC001");
	assert_at(event, "data.incident.type", "incident_reference");
	/* Its order (and transition) key is the incident's, like a webhook note's. */
	assert_int_equal(payload_from_event(event, NULL, NULL, "poll", &ev), PD_OK);
	assert_string_equal(ev->order_key, "incident:PINC001");
	assert_string_equal(ev->transition, "PINC001|incident.annotated|1795772400");
	spool_event_free(ev);
	json_decref(event);

	/* A note given in the entry's own note field wins. */
	json_object_set_new(entry, "note", json_string("from the note field"));
	event = map_as(entry, "annotate_log_entry");
	assert_at(event, "data.content", "from the note field");
	json_decref(event);
	json_decref(entry);
}

/* Types without a V3 twin, unknown types and unusable entries give no event, and say why. */
static void
test_no_event(void **state)
{
	json_t *entry = t_json(log_triggered);
	const char *why;

	(void)state;
	json_object_set_new(entry, "type", json_string("notify_log_entry"));
	assert_null(map_event(entry, &why));
	assert_string_equal(why, map_find("notify_log_entry")->note);
	json_object_set_new(entry, "type", json_string("snooze_log_entry"));
	assert_null(map_event(entry, &why));
	assert_non_null(why);
	json_object_set_new(entry, "type", json_string("teleport_log_entry"));
	assert_null(map_event(entry, &why));
	assert_non_null(why);
	json_object_set_new(entry, "type", json_string("trigger_log_entry"));
	json_object_del(entry, "incident");
	assert_null(map_event(entry, &why));
	assert_non_null(why);
	assert_null(map_event(NULL, &why));
	json_decref(entry);
}

/*
 * The test: one rule's criteria, evaluated as st2 would on the
 * webhook's payload and on the poller's payload of the same transition,
 * hold for both; and the two carry the same transition key, which is how
 * the spool emits the transition once in backfill mode.
 */
static void
test_same_rule_both_sources(void **state)
{
	struct spool_event *hook, *polled;
	json_t *ph, *pp;
	size_t i;

	(void)state;
	assert_int_equal(payload_from_webhook(webhook_triggered, strlen(webhook_triggered), "WH-1",
	                                      "PSUB001", &hook),
	                 PD_OK);
	polled = poll_event(log_triggered);
	ph = t_json(hook->payload);
	pp = t_json(polled->payload);
	for (i = 0; i < sizeof rule / sizeof rule[0]; i++) {
		if (!holds(ph, &rule[i]))
			fail_msg("webhook payload: %s %s %s does not hold", rule[i].key,
			         rule[i].type, rule[i].pattern != NULL ? rule[i].pattern : "");
		if (!holds(pp, &rule[i]))
			fail_msg("poll payload: %s %s %s does not hold", rule[i].key, rule[i].type,
			         rule[i].pattern != NULL ? rule[i].pattern : "");
	}
	/* Same trigger, same order key, same transition; only the source says which way. */
	assert_string_equal(hook->trigger, polled->trigger);
	assert_string_equal(hook->order_key, polled->order_key);
	assert_non_null(hook->transition);
	assert_string_equal(hook->transition, polled->transition);
	assert_int_equal(hook->polled, 0);
	assert_int_equal(polled->polled, 1);
	assert_at(pp, "source", "poll");
	assert_at(ph, "source", "webhook");
	/* The data keys a rule can name are the webhook's, no more (the REST-only ones are gone).
	 */
	{
		const char *key;
		json_t *v;

		json_object_foreach (json_object_get(pp, "data"), key, v) {
			if (json_object_get(json_object_get(ph, "data"), key) == NULL)
				fail_msg("poll data has \"%s\", the webhook's has not", key);
		}
	}
	json_decref(ph);
	json_decref(pp);
	spool_event_free(hook);
	spool_event_free(polled);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_table_is_the_specs),
	    cmocka_unit_test(test_readme_table),
	    cmocka_unit_test(test_shape_incident),
	    cmocka_unit_test(test_shape_note),
	    cmocka_unit_test(test_no_event),
	    cmocka_unit_test(test_same_rule_both_sources),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
