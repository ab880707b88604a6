/*
 * test_catalog.c: the event type table and the st2 trigger types built
 * from it. The documented types are listed here again, from
 * pagerduty-api.md 1.4, so that the table is checked against the
 * documentation rather than against itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "st2pd.h"

/* pagerduty-api.md 1.4: event_type -> data.type, all 30 documented types. */
static const struct {
	const char *name;
	const char *data_type;
} documented[] = {
    {"incident.acknowledged", "incident"},
    {"incident.delegated", "incident"},
    {"incident.escalated", "incident"},
    {"incident.incident_type.changed", "incident"},
    {"incident.priority_updated", "incident"},
    {"incident.reassigned", "incident"},
    {"incident.reopened", "incident"},
    {"incident.resolved", "incident"},
    {"incident.service_updated", "incident"},
    {"incident.triggered", "incident"},
    {"incident.unacknowledged", "incident"},
    {"incident.annotated", "incident_note"},
    {"incident.conference_bridge.updated", "incident_conference_bridge"},
    {"incident.custom_field_values.updated", "incident_field_values"},
    {"incident.responder.added", "incident_responder"},
    {"incident.responder.replied", "incident_responder"},
    {"incident.role.assigned", "incident_role_assignment"},
    {"incident.status_update_published", "incident_status_update"},
    {"incident.task.created", "incident_task"},
    {"incident.task.updated", "incident_task"},
    {"incident.task.completed", "incident_task"},
    {"incident.action_invocation.created", "incident_action_invocation"},
    {"incident.action_invocation.updated", "incident_action_invocation"},
    {"incident.action_invocation.terminated", "incident_action_invocation"},
    {"incident.workflow.started", "incident_workflow_instance"},
    {"incident.workflow.completed", "incident_workflow_instance"},
    {"service.created", "service"},
    {"service.updated", "service"},
    {"service.deleted", "service"},
    {"service.custom_field_values.updated", "service_field_values"},
};
#define NDOCUMENTED (sizeof documented / sizeof documented[0])

/* Every documented type is in the table, with its data type, and is its own trigger. */
static void
test_documented_types(void **state)
{
	const struct event_type *t;
	size_t i;

	(void)state;
	assert_int_equal(NDOCUMENTED, 30);
	for (i = 0; i < NDOCUMENTED; i++) {
		t = catalog_find(documented[i].name);
		assert_non_null(t);
		assert_string_equal(t->name, documented[i].name);
		assert_string_equal(t->data_type, documented[i].data_type);
		assert_string_equal(catalog_trigger_name(documented[i].name), documented[i].name);
	}
}

/* pagey.ping is known; the generic "event" entry closes the table. */
static void
test_ping_and_generic(void **state)
{
	const struct event_type *t = catalog_find("pagey.ping");

	(void)state;
	assert_non_null(t);
	assert_string_equal(t->data_type, "ping");
	assert_string_equal(catalog_trigger_name("pagey.ping"), "pagey.ping");
	/* 30 documented + pagey.ping + the generic entry, which comes last. */
	assert_int_equal(catalog_ntypes, NDOCUMENTED + 2);
	assert_string_equal(catalog_types[catalog_ntypes - 1].name, "event");
	assert_null(catalog_types[catalog_ntypes - 1].data_type);
}

/* Anything else is the generic trigger "event". */
static void
test_unknown_types(void **state)
{
	static const char *const unknown[] = {"incident.future_thing",
	                                      "",
	                                      "service",
	                                      "incident",
	                                      "event",
	                                      "INCIDENT.TRIGGERED",
	                                      "incident.triggered ",
	                                      "incident.triggeredx",
	                                      "pagey",
	                                      "zzz.last",
	                                      "aaa.first"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		assert_null(catalog_find(unknown[i]));
		assert_string_equal(catalog_trigger_name(unknown[i]), "event");
	}
	assert_null(catalog_find(NULL));
	assert_string_equal(catalog_trigger_name(NULL), "event");
}

/* Names are unique, fit a st2 ref and stay sorted for bsearch. */
static void
test_names_unique_valid_sorted(void **state)
{
	const char *name;
	size_t i, j;

	(void)state;
	for (i = 0; i < catalog_ntypes; i++) {
		name = catalog_types[i].name;
		assert_true(strlen(name) > 0);
		assert_int_equal(strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_."),
		                 strlen(name));
		assert_non_null(catalog_types[i].description);
		assert_true(strlen(catalog_types[i].description) > 10);
		assert_null(strchr(catalog_types[i].description, '\n'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(catalog_types[j].name, name);
	}
	/* catalog_find() bsearches every entry but the generic last one. */
	for (i = 1; i + 1 < catalog_ntypes; i++)
		assert_true(strcmp(catalog_types[i - 1].name, catalog_types[i].name) < 0);
}

/* Asserts that a property schema has this type: a name, or "A|B" for an array of names. */
static void
assert_schema_type(json_t *prop, const char *want)
{
	json_t *type = json_object_get(prop, "type"), *t;
	char buf[128] = "";
	size_t i, len = 0;

	assert_non_null(type);
	if (json_is_string(type)) {
		assert_string_equal(json_string_value(type), want);
		return;
	}
	assert_true(json_is_array(type));
	json_array_foreach (type, i, t) {
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", i > 0 ? "|" : "",
		                        json_string_value(t));
	}
	assert_string_equal(buf, want);
}

/* Every trigger type body has what st2 and the payload need. */
static void
test_triggertype_json(void **state)
{
	static const char *const required[] = {"event_id",    "event_type", "resource_type",
	                                       "occurred_at", "data",       "source"};
	static const char *const optional[] = {"agent", "client", "webhook_id", "subscription_id"};
	json_t *tt, *schema, *props, *prop, *data, *want;
	size_t i, k;

	(void)state;
	for (i = 0; i < catalog_ntypes; i++) {
		tt = catalog_triggertype(&catalog_types[i]);
		assert_non_null(tt);
		assert_string_equal(json_string_value(json_object_get(tt, "name")),
		                    catalog_types[i].name);
		assert_string_equal(json_string_value(json_object_get(tt, "pack")), "pagerduty");
		assert_string_equal(json_string_value(json_object_get(tt, "description")),
		                    catalog_types[i].description);
		/* Empty, so that st2 creates the shadow trigger /webhooks/st2 needs. */
		assert_true(json_is_object(json_object_get(tt, "parameters_schema")));
		assert_int_equal(json_object_size(json_object_get(tt, "parameters_schema")), 0);

		schema = json_object_get(tt, "payload_schema");
		assert_true(json_is_object(schema));
		assert_string_equal(json_string_value(json_object_get(schema, "type")), "object");
		assert_false(json_is_false(json_object_get(schema, "additionalProperties")));
		/* st2 enforces only property-level required (Draft 3): no array form. */
		assert_null(json_object_get(schema, "required"));
		props = json_object_get(schema, "properties");
		assert_int_equal(json_object_size(props), 10);
		for (k = 0; k < sizeof required / sizeof required[0]; k++) {
			prop = json_object_get(props, required[k]);
			assert_non_null(prop);
			assert_true(json_is_true(json_object_get(prop, "required")));
			assert_true(json_is_string(json_object_get(prop, "description")));
		}
		for (k = 0; k < sizeof optional / sizeof optional[0]; k++) {
			prop = json_object_get(props, optional[k]);
			assert_non_null(prop);
			assert_null(json_object_get(prop, "required"));
		}
		assert_schema_type(json_object_get(props, "event_id"), "string");
		assert_schema_type(json_object_get(props, "agent"), "object|null");
		assert_schema_type(json_object_get(props, "client"), "object|null");
		assert_schema_type(json_object_get(props, "webhook_id"), "string|null");
		assert_schema_type(json_object_get(props, "subscription_id"), "string|null");
		want = json_pack("[ss]", "webhook", "poll");
		assert_true(
		    json_equal(json_object_get(json_object_get(props, "source"), "enum"), want));
		json_decref(want);
		data = json_object_get(props, "data");
		assert_schema_type(data, "object");
		assert_false(json_is_false(json_object_get(data, "additionalProperties")));
		/* Documented data types list their fields, each optional and nullable. */
		if (catalog_types[i].data_type != NULL) {
			const char *key;
			json_t *field;

			assert_true(json_object_size(json_object_get(data, "properties")) >= 2);
			json_object_foreach (json_object_get(data, "properties"), key, field) {
				assert_null(json_object_get(field, "required"));
				assert_string_equal(
				    json_string_value(json_array_get(
				        json_object_get(field, "type"),
				        json_array_size(json_object_get(field, "type")) - 1)),
				    "null");
			}
		}
		json_decref(tt);
	}
}

/* The incident data fields a rule author looks for are described. */
static void
test_incident_fields(void **state)
{
	static const char *const fields[] = {"id",       "number",    "status",
	                                     "title",    "urgency",   "html_url",
	                                     "service",  "assignees", "escalation_policy",
	                                     "priority", "teams"};
	json_t *tt = catalog_triggertype(catalog_find("incident.triggered"));
	json_t *data = json_object_get(
	    json_object_get(json_object_get(tt, "payload_schema"), "properties"), "data");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof fields / sizeof fields[0]; i++)
		assert_non_null(json_object_get(json_object_get(data, "properties"), fields[i]));
	assert_schema_type(json_object_get(json_object_get(data, "properties"), "number"),
	                   "integer|null");
	assert_schema_type(json_object_get(json_object_get(data, "properties"), "assignees"),
	                   "array|null");
	json_decref(tt);

	/* The generic entry describes no fields: it passes data through. */
	tt = catalog_triggertype(&catalog_types[catalog_ntypes - 1]);
	data = json_object_get(json_object_get(json_object_get(tt, "payload_schema"), "properties"),
	                       "data");
	assert_null(json_object_get(data, "properties"));
	json_decref(tt);
}

/* Runs every test of this file. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documented_types),
	    cmocka_unit_test(test_ping_and_generic),
	    cmocka_unit_test(test_unknown_types),
	    cmocka_unit_test(test_names_unique_valid_sorted),
	    cmocka_unit_test(test_triggertype_json),
	    cmocka_unit_test(test_incident_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
