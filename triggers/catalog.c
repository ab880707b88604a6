/*
 * catalog.c: every PagerDuty V3 event type this program knows, and the
 * StackStorm trigger type each one becomes.
 *
 * DESIGN
 * One table, catalog_types[], drives the receiver (event type -> trigger
 * name), `register` (POST /v1/triggertypes), `pack` (a triggers/NAME.yaml
 * per type, and the README) and the tests, so they cannot disagree. Each
 * type names its event.data type; the fields of each data type are a
 * second small table, and catalog_triggertype() builds the st2
 * payload_schema from both through schema_json() (common/schema.c, which
 * writes the actions' schemas too) instead of keeping 32 copies of
 * near-identical JSON.
 *
 * The schema documents the payload for rule authors and must never reject
 * a real event: every data field is optional and may be null, and
 * additionalProperties stays open, since PagerDuty adds fields and event
 * types over time and a rejected payload would be a dead letter.
 *
 * The table is kept sorted by name (checked by a unit test) for bsearch;
 * the generic "event" entry, for types we do not know, comes last and is
 * outside the searched range.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

const struct event_type catalog_types[] = {
    {"incident.acknowledged", "incident",
     "An incident was acknowledged; agent is who acknowledged it, data the incident."},
    {"incident.action_invocation.created", "incident_action_invocation",
     "An automation action was invoked on an incident; data.action is the action."},
    {"incident.action_invocation.terminated", "incident_action_invocation",
     "An automation action invocation on an incident ended; data.state is its final state."},
    {"incident.action_invocation.updated", "incident_action_invocation",
     "An automation action invocation on an incident changed state (data.state)."},
    {"incident.annotated", "incident_note",
     "A note was added to an incident; data.content is the note, data.incident the incident."},
    {"incident.conference_bridge.updated", "incident_conference_bridge",
     "An incident's conference bridge changed; see data.conference_url and "
     "data.conference_numbers."},
    {"incident.custom_field_values.updated", "incident_field_values",
     "Custom field values of an incident changed; data.changed_custom_fields lists them."},
    {"incident.delegated", "incident",
     "An incident was reassigned to another escalation policy (data.escalation_policy)."},
    {"incident.escalated", "incident",
     "An incident was escalated to the next responders; data.assignees are the new assignees."},
    {"incident.incident_type.changed", "incident",
     "An incident's type changed; data.incident_type.name is the new type."},
    {"incident.priority_updated", "incident",
     "An incident's priority changed; data.priority.summary is the new priority (e.g. P1)."},
    {"incident.reassigned", "incident",
     "An incident was reassigned to other users; data.assignees are the new assignees."},
    {"incident.reopened", "incident",
     "A resolved incident was reopened; data.status is triggered or acknowledged again."},
    {"incident.resolved", "incident",
     "An incident was resolved; agent is who resolved it, data.resolve_reason may say why."},
    {"incident.responder.added", "incident_responder",
     "A responder was requested on an incident; data.user is the responder, data.message the "
     "request."},
    {"incident.responder.replied", "incident_responder",
     "A requested responder answered; data.state is the answer, data.user the responder."},
    {"incident.role.assigned", "incident_role_assignment",
     "An incident role was assigned; data.incident_role_assignments lists role and assignee."},
    {"incident.service_updated", "incident",
     "An incident was moved to another service; data.service is the new service."},
    {"incident.status_update_published", "incident_status_update",
     "A status update was published on an incident; data.message is its text."},
    {"incident.task.completed", "incident_task",
     "A task on an incident was completed; data.name is the task, data.incident the incident."},
    {"incident.task.created", "incident_task",
     "A task was added to an incident; data.name, data.assignees and data.status describe it."},
    {"incident.task.updated", "incident_task",
     "A task on an incident changed; data.status is its status, data.assignees its owners."},
    {"incident.triggered", "incident",
     "A new incident was triggered; rules usually match on data.urgency, data.service.id or "
     "data.priority.summary."},
    {"incident.unacknowledged", "incident",
     "An acknowledged incident went back to triggered (the acknowledgement timed out or was "
     "undone)."},
    {"incident.workflow.completed", "incident_workflow_instance",
     "An incident workflow finished on an incident; data.incident_workflow is the workflow."},
    {"incident.workflow.started", "incident_workflow_instance",
     "An incident workflow started on an incident; data.workflow_trigger is what started it."},
    {"pagey.ping", "ping",
     "Test event sent when a webhook subscription is pinged; data.message is a greeting."},
    {"service.created", "service", "A service was created; data.id and data.summary identify it."},
    {"service.custom_field_values.updated", "service_field_values",
     "Custom field values of a service changed; data.changed_custom_fields lists them."},
    {"service.deleted", "service", "A service was deleted; data.id and data.summary identify it."},
    {"service.updated", "service",
     "A service's settings changed; data is the service after the change."},
    /* Last, and not searched by catalog_find(): see the DESIGN note. */
    {"event", NULL,
     "A PagerDuty event of a type this version does not know; event_type holds the real type, "
     "data is passed through as sent."},
};

const size_t catalog_ntypes = sizeof catalog_types / sizeof catalog_types[0];

/* The types of the tables below, in short. */
enum {
	JT_STRING = SCHEMA_TYPE(PT_STRING),
	JT_INTEGER = SCHEMA_TYPE(PT_INTEGER),
	JT_BOOLEAN = SCHEMA_TYPE(PT_BOOLEAN),
	JT_OBJECT = SCHEMA_TYPE(PT_OBJECT),
	JT_ARRAY = SCHEMA_TYPE(PT_ARRAY),
	JT_NULL = SCHEMA_NULL,
};

struct field {
	const char *name;
	int types; /* JT_* */
	int required;
	const char *const *values; /* enum, NULL-terminated, or NULL */
	const char *description;
};

#define REF  " (a reference: id, type, summary, self, html_url)"
#define REFS " (references: id, type, summary, self, html_url)"

static const char *const catalog_sources[] = {"webhook", "poll", NULL};

/* The payload of INTERFACE.md, in its key order; "data" is completed per type. */
static const struct field catalog_envelope[] = {
    {"event_id", JT_STRING, 1, NULL, "PagerDuty event id (event.id), unique per event."},
    {"event_type", JT_STRING, 1, NULL,
     "V3 event type, e.g. incident.triggered (for pagerduty.event: the unknown type)."},
    {"resource_type", JT_STRING, 1, NULL,
     "Kind of resource the event is about: incident, service or pagey."},
    {"occurred_at", JT_STRING, 1, NULL,
     "When the event occurred, ISO 8601 UTC, e.g. 2020-10-02T18:45:22.169Z."},
    {"agent", JT_OBJECT | JT_NULL, 0, NULL,
     "Who or what caused the event" REF "; null for automation."},
    {"client", JT_OBJECT | JT_NULL, 0, NULL,
     "Where the event was triggered, e.g. {name: PagerDuty}; often null."},
    {"data", JT_OBJECT, 1, NULL, NULL},
    {"webhook_id", JT_STRING | JT_NULL, 0, NULL,
     "X-Webhook-Id of the delivery; null when the event was polled."},
    {"subscription_id", JT_STRING | JT_NULL, 0, NULL,
     "X-Webhook-Subscription of the delivery; null when the event was polled."},
    {"source", JT_STRING, 1, catalog_sources, "How st2-pagerduty got the event: webhook or poll."},
    {NULL, 0, 0, NULL, NULL},
};

/* Fields that appear in several data types. */
#define F_ID(what)                                                                                 \
	{                                                                                          \
		"id", JT_STRING, 0, NULL, what " id."                                              \
	}
#define F_SELF(what)                                                                               \
	{                                                                                          \
		"self", JT_STRING, 0, NULL, "REST API URL of the " what "."                        \
	}
#define F_HTML(what)                                                                               \
	{                                                                                          \
		"html_url", JT_STRING, 0, NULL, "Web UI URL of the " what "."                      \
	}
#define F_INCIDENT                                                                                 \
	{                                                                                          \
		"incident", JT_OBJECT, 0, NULL, "The incident" REF "."                             \
	}
#define F_END                                                                                      \
	{                                                                                          \
		NULL, 0, 0, NULL, NULL                                                             \
	}
#define F_CUSTOM(of)                                                                               \
	{                                                                                          \
		"custom_fields", JT_ARRAY, 0, NULL,                                                \
		    "Every custom field of the " of                                                \
		    " after the change (id, name, data_type, value)."                              \
	}
#define F_CHANGED                                                                                  \
	{                                                                                          \
		"changed_custom_fields", JT_ARRAY, 0, NULL,                                        \
		    "The custom fields this event changed, same shape as custom_fields."           \
	}

static const struct field catalog_incident[] = {
    F_ID("Incident"),
    F_SELF("incident"),
    F_HTML("incident"),
    {"number", JT_INTEGER, 0, NULL, "Incident number, unique in the account."},
    {"status", JT_STRING, 0, NULL, "triggered, acknowledged or resolved."},
    {"title", JT_STRING, 0, NULL, "Incident title."},
    {"urgency", JT_STRING, 0, NULL, "high or low."},
    {"incident_key", JT_STRING, 0, NULL, "De-duplication key of the incident."},
    {"created_at", JT_STRING, 0, NULL, "When the incident was created, ISO 8601."},
    {"reopened_at", JT_STRING, 0, NULL, "When the incident was last reopened, if ever."},
    {"service", JT_OBJECT, 0, NULL, "The service" REF "."},
    {"assignees", JT_ARRAY, 0, NULL, "Users assigned to the incident" REFS "."},
    {"escalation_policy", JT_OBJECT, 0, NULL, "The escalation policy" REF "."},
    {"priority", JT_OBJECT, 0, NULL, "The priority" REF "; summary is its name, e.g. P1."},
    {"teams", JT_ARRAY, 0, NULL, "Teams of the incident" REFS "."},
    {"incident_type", JT_OBJECT, 0, NULL, "Incident type, {name: ...}."},
    {"conference_bridge", JT_OBJECT, 0, NULL, "conference_number and conference_url."},
    {"resolve_reason", JT_OBJECT | JT_STRING, 0, NULL, "Why it was resolved, when known."},
    F_END,
};

static const struct field catalog_incident_note[] = {
    F_INCIDENT,
    F_ID("Note"),
    {"content", JT_STRING, 0, NULL, "Text of the note."},
    {"trimmed", JT_BOOLEAN, 0, NULL, "Whether PagerDuty shortened content."},
    F_END,
};

static const struct field catalog_incident_conference_bridge[] = {
    F_INCIDENT,
    {"conference_url", JT_STRING, 0, NULL, "Conference URL."},
    {"conference_numbers", JT_ARRAY, 0, NULL, "Dial-in numbers, each {label, number}."},
    F_END,
};

static const struct field catalog_incident_field_values[] = {
    F_INCIDENT,
    F_CUSTOM("incident"),
    F_CHANGED,
    F_END,
};

static const struct field catalog_incident_responder[] = {
    F_INCIDENT,
    {"user", JT_OBJECT, 0, NULL, "The responder" REF "."},
    {"escalation_policy", JT_OBJECT, 0, NULL, "Escalation policy of the request" REF "."},
    {"message", JT_STRING, 0, NULL, "Request or reply message."},
    {"state", JT_STRING, 0, NULL, "State of the request, e.g. pending, joined, declined."},
    F_END,
};

static const struct field catalog_incident_role_assignment[] = {
    {"incident_role_assignments", JT_ARRAY, 0, NULL,
     "Each {id, incident, role, assignee, old_assignee, status}."},
    F_END,
};

static const struct field catalog_incident_status_update[] = {
    F_INCIDENT,
    F_ID("Status update"),
    {"message", JT_STRING, 0, NULL, "Text of the status update."},
    {"trimmed", JT_BOOLEAN, 0, NULL, "Whether PagerDuty shortened message."},
    F_END,
};

static const struct field catalog_incident_task[] = {
    F_INCIDENT,
    F_ID("Task"),
    {"name", JT_STRING, 0, NULL, "Task name."},
    {"description", JT_STRING, 0, NULL, "Task description."},
    {"summary", JT_STRING, 0, NULL, "Short summary of the task."},
    {"status", JT_STRING, 0, NULL, "Task status."},
    {"assignees", JT_ARRAY, 0, NULL, "Users assigned to the task" REFS "."},
    F_END,
};

static const struct field catalog_incident_action_invocation[] = {
    F_INCIDENT,
    F_ID("Invocation"),
    F_SELF("invocation"),
    F_HTML("invocation"),
    {"action", JT_OBJECT, 0, NULL, "The automation action" REF "."},
    {"state", JT_STRING, 0, NULL, "State of the invocation."},
    F_END,
};

static const struct field catalog_incident_workflow_instance[] = {
    F_INCIDENT,
    F_ID("Workflow instance"),
    {"summary", JT_STRING, 0, NULL, "Short summary of the workflow instance."},
    {"incident_workflow", JT_OBJECT, 0, NULL, "The incident workflow" REF "."},
    {"workflow_trigger", JT_OBJECT, 0, NULL, "What started the workflow" REF "."},
    {"service", JT_OBJECT, 0, NULL, "The service" REF "."},
    F_END,
};

static const struct field catalog_service[] = {
    F_ID("Service"),
    F_SELF("service"),
    F_HTML("service"),
    {"summary", JT_STRING, 0, NULL, "Service name."},
    {"alert_creation", JT_STRING, 0, NULL, "create_incidents or create_alerts_and_incidents."},
    {"teams", JT_ARRAY, 0, NULL, "Teams of the service" REFS "."},
    F_END,
};

static const struct field catalog_service_field_values[] = {
    {"service", JT_OBJECT, 0, NULL, "The service" REF "."},
    F_CUSTOM("service"),
    F_CHANGED,
    F_END,
};

static const struct field catalog_ping[] = {
    {"message", JT_STRING, 0, NULL, "A greeting from Pagey."},
    F_END,
};

/* event.data types: what a rule finds under trigger.data. */
static const struct data_type {
	const char *name;
	const char *description;
	const struct field *fields;
} catalog_data_types[] = {
    {"incident", "The incident as it is after the change.", catalog_incident},
    {"incident_note", "The note and the incident it was added to.", catalog_incident_note},
    {"incident_conference_bridge", "The incident's new conference bridge.",
     catalog_incident_conference_bridge},
    {"incident_field_values", "The incident's custom field values.", catalog_incident_field_values},
    {"incident_responder", "The responder request and the incident.", catalog_incident_responder},
    {"incident_role_assignment", "The incident role assignments.",
     catalog_incident_role_assignment},
    {"incident_status_update", "The status update and the incident.",
     catalog_incident_status_update},
    {"incident_task", "The task and the incident.", catalog_incident_task},
    {"incident_action_invocation", "The automation action invocation and the incident.",
     catalog_incident_action_invocation},
    {"incident_workflow_instance", "The incident workflow instance and the incident.",
     catalog_incident_workflow_instance},
    {"service", "The service.", catalog_service},
    {"service_field_values", "The service's custom field values.", catalog_service_field_values},
    {"ping", "The test ping.", catalog_ping},
};

/* data.type, present in every data type; described per type. */
static const struct field catalog_type_field = {"type", JT_STRING, 0, NULL, NULL};

/* table_bsearch() finds a row by the name it begins with. */
_Static_assert(offsetof(struct event_type, name) == 0,
               "an event type does not begin with its name");

/* The table entry of a known V3 event type; NULL if unknown. */
const struct event_type *
catalog_find(const char *event_type)
{
	if (event_type == NULL)
		return NULL;
	return table_bsearch(event_type, catalog_types, catalog_ntypes - 1,
	                     sizeof catalog_types[0]);
}

/* Trigger name within the pack: the event type itself, or "event" if unknown. */
const char *
catalog_trigger_name(const char *event_type)
{
	const struct event_type *t = catalog_find(event_type);

	return t != NULL ? t->name : catalog_types[catalog_ntypes - 1].name;
}

/* The field table of a data type name, NULL for the generic entry. */
static const struct data_type *
catalog_data_type(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof catalog_data_types / sizeof catalog_data_types[0]; i++) {
		if (strcmp(name, catalog_data_types[i].name) == 0)
			return &catalog_data_types[i];
	}
	return NULL;
}

/* The schema of one property; description may override the table's. */
static json_t *
catalog_schema_field(const struct field *f, int types, const char *description)
{
	struct schema s = {
	    .types = types,
	    .description = description != NULL ? description : f->description,
	    .required = f->required,
	    .enums = f->values,
	};

	return schema_json(&s, SCHEMA_TRIGGER);
}

/* The schema of event.data for a data type (dt NULL: the generic entry). */
static json_t *
catalog_schema_data(const struct field *f, const struct data_type *dt)
{
	struct schema s = {.types = f->types, .required = f->required, .open = 1};
	json_t *out;
	char *d, *t;
	size_t i;

	if (dt == NULL)
		return catalog_schema_field(f, f->types, "The event's data, as PagerDuty sent it.");

	s.properties = json_object();
	/* Nullable: a field PagerDuty leaves empty must not fail st2's validation. */
	for (i = 0; dt->fields[i].name != NULL; i++) {
		json_object_set_new(
		    s.properties, dt->fields[i].name,
		    catalog_schema_field(&dt->fields[i], dt->fields[i].types | JT_NULL, NULL));
	}
	t = xasprintf("Data type, always %s.", dt->name);
	json_object_set_new(s.properties, "type",
	                    catalog_schema_field(&catalog_type_field, JT_STRING | JT_NULL, t));
	free(t);
	s.description = d =
	    xasprintf("%s Every field is optional and may be null.", dt->description);
	out = schema_json(&s, SCHEMA_TRIGGER);
	free(d);
	return out;
}

/* The st2 payload_schema of an event type. */
static json_t *
catalog_payload_schema(const struct event_type *t)
{
	struct schema s = {.types = JT_OBJECT, .open = 1, .properties = json_object()};
	const struct field *f;

	for (f = catalog_envelope; f->name != NULL; f++) {
		if (strcmp(f->name, "data") == 0) {
			json_object_set_new(
			    s.properties, f->name,
			    catalog_schema_data(f, catalog_data_type(t->data_type)));
		} else
			json_object_set_new(s.properties, f->name,
			                    catalog_schema_field(f, f->types, NULL));
	}
	return schema_json(&s, SCHEMA_TRIGGER);
}

/*
 * The st2 TriggerType body of an event type. parameters_schema is empty on
 * purpose: only then does st2 create the shadow Trigger "pagerduty.<name>"
 * that POST /v1/webhooks/st2 dispatches to (stackstorm-api.md 2.1); a type
 * with parameters gets Triggers only from rules, and emitting by type ref
 * would fail with "Trigger not found".
 */
json_t *
catalog_triggertype(const struct event_type *t)
{
	json_t *tt = json_object();

	json_object_set_new(tt, "name", json_string(t->name));
	json_object_set_new(tt, "pack", json_string(PD_PACK));
	json_object_set_new(tt, "description", json_string(t->description));
	json_object_set_new(tt, "parameters_schema", json_object());
	json_object_set_new(tt, "payload_schema", catalog_payload_schema(t));
	return tt;
}
