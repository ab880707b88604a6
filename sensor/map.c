/*
 * map.c: from a PagerDuty log entry to the V3 event a webhook would have
 * carried for the same transition, so that the poller's triggers match
 * the same rules as the receiver's.
 *
 * DESIGN
 * ------
 * map_log_types[] is the one mapping of log entry types (every `type` of
 * the REST spec's LogEntry) to V3 event types; the README's table is
 * written from it, and a unit test checks that the two agree. A type with
 * no V3 twin has a NULL event type and says why: the poller reads it and
 * emits nothing, since a trigger no webhook would ever send could not be
 * matched by the same rule.
 *
 * The event is shaped as the webhook's: id (the log entry id), event_type,
 * resource_type "incident", occurred_at (created_at), agent (the entry's),
 * client null (log entries name a channel, not a client), and data the
 * incident as the webhook's data carries it, built from the incident the
 * entry includes (include[]=incidents): the REST incident has
 * incident_number where the webhook has number, assignments[].assignee
 * where it has assignees, full priority and service objects where it has
 * references. Two corrections make data say what the webhook said at the
 * time rather than what is true when the poller reads it: the included
 * incident is the incident now, so a triggered entry read after the
 * resolve would show status "resolved"; the status is the one the
 * transition leads to (a table column), and an assignment's new assignees
 * come from the entry itself. incident.annotated carries a note, not the
 * incident, as the webhook does (incident_note: content and the
 * incident's reference).
 */
#include <stddef.h>
#include <string.h>

#include "st2pd.h"

/* Sorted by log entry type (a unit test checks it) for bsearch. */
const struct log_type map_log_types[] = {
    {"acknowledge_log_entry", "incident.acknowledged", "acknowledged", NULL},
    {"annotate_log_entry", "incident.annotated", NULL,
     "data is the note (content), with the incident's reference, as the webhook's"},
    {"assign_log_entry", "incident.reassigned", NULL,
     "data.assignees are the entry's assignees, the users it assigned"},
    {"custom_field_value_change_log_entry", NULL, NULL,
     "incident.custom_field_values.updated carries the fields' values; the entry has only a "
     "text of the change"},
    {"delegate_log_entry", "incident.delegated", NULL,
     "reassigned to another escalation policy; data.assignees are the entry's"},
    {"escalate_log_entry", "incident.escalated", NULL, NULL},
    {"exhaust_escalation_path_log_entry", NULL, NULL,
     "no V3 event: the escalation policy ran out of levels"},
    {"field_value_change_log_entry", NULL, NULL,
     "no V3 event of its own (incident.custom_field_values.updated carries values, not this "
     "text)"},
    {"notify_log_entry", NULL, NULL, "no V3 event: a notification sent to a user"},
    {"reach_ack_limit_log_entry", NULL, NULL, "no V3 event: the acknowledgement limit was reached"},
    {"reach_trigger_limit_log_entry", NULL, NULL, "no V3 event: the trigger limit was reached"},
    {"repeat_escalation_path_log_entry", NULL, NULL,
     "no V3 event: the escalation policy started over"},
    {"resolve_log_entry", "incident.resolved", "resolved", NULL},
    {"snooze_log_entry", NULL, NULL, "no V3 event: an acknowledged incident was snoozed"},
    {"trigger_log_entry", "incident.triggered", "triggered", NULL},
    {"unacknowledge_log_entry", "incident.unacknowledged", "triggered", NULL},
    {"urgency_change_log_entry", NULL, NULL, "no V3 event for an urgency change"},
};

const size_t map_nlog_types = sizeof map_log_types / sizeof map_log_types[0];

/* table_bsearch() finds a row by the name it begins with. */
_Static_assert(offsetof(struct log_type, log_type) == 0, "a log type does not begin with its name");

/* The row of a log entry type, or NULL. */
const struct log_type *
map_find(const char *log_type)
{
	if (log_type == NULL)
		return NULL;
	return table_bsearch(log_type, map_log_types, map_nlog_types, sizeof map_log_types[0]);
}

/* A non-empty string member, or NULL. */
static const char *
map_string(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

/* Sets key to a copy of o[from] when present and not null; to null when null is wanted. */
static void
map_copy(json_t *to, const char *key, json_t *o, const char *from, int null_if_absent)
{
	json_t *v = json_object_get(o, from);

	if (v != NULL && !json_is_null(v))
		json_object_set(to, key, v);
	else if (null_if_absent)
		json_object_set_new(to, key, json_null());
}

/*
 * A resource as the webhook references it: {html_url, id, self, summary,
 * type: "<kind>_reference"}, from a reference or a full object (REST's
 * priority and included services are full objects). JSON null if absent.
 */
static json_t *
map_ref(json_t *v)
{
	const char *type, *summary;
	json_t *ref;
	size_t len;

	if (!json_is_object(v) || map_string(v, "id") == NULL)
		return json_null();
	ref = json_object();
	map_copy(ref, "html_url", v, "html_url", 0);
	map_copy(ref, "id", v, "id", 0);
	map_copy(ref, "self", v, "self", 0);
	if ((summary = map_string(v, "summary")) == NULL)
		summary = map_string(v, "name");
	if (summary != NULL)
		json_object_set_new(ref, "summary", json_string(summary));
	if ((type = map_string(v, "type")) != NULL) {
		len = strlen(type);
		if (len > 10 && strcmp(type + len - 10, "_reference") == 0)
			json_object_set_new(ref, "type", json_string(type));
		else
			json_object_set_new(ref, "type", json_sprintf("%s_reference", type));
	}
	return ref;
}

/* An array of references from an array of objects, each through pick (or as is). */
static json_t *
map_refs(json_t *list, const char *pick)
{
	json_t *out = json_array(), *item, *ref;
	size_t i;

	json_array_foreach (list, i, item) {
		ref = map_ref(pick != NULL ? json_object_get(item, pick) : item);
		if (json_is_null(ref))
			json_decref(ref);
		else
			json_array_append_new(out, ref);
	}
	return out;
}

/* data of an incident.* event: the incident as the webhook has it (see DESIGN). */
static json_t *
map_incident_data(json_t *entry, json_t *inc, const struct log_type *lt)
{
	json_t *data = json_object(), *v;
	const char *title;

	map_copy(data, "id", inc, "id", 0);
	json_object_set_new(data, "type", json_string("incident"));
	map_copy(data, "self", inc, "self", 1);
	map_copy(data, "html_url", inc, "html_url", 1);
	map_copy(data, "number", inc, "incident_number", 1);
	if (lt->status != NULL)
		json_object_set_new(data, "status", json_string(lt->status));
	else
		map_copy(data, "status", inc, "status", 1);
	map_copy(data, "incident_key", inc, "incident_key", 1);
	map_copy(data, "created_at", inc, "created_at", 1);
	if ((title = map_string(inc, "title")) == NULL)
		title = map_string(inc, "summary");
	json_object_set_new(data, "title", title != NULL ? json_string(title) : json_null());
	json_object_set_new(data, "service", map_ref(json_object_get(inc, "service")));
	/* An assignment's new assignees are the entry's; the incident's may have moved on. */
	if (json_is_array(v = json_object_get(entry, "assignees")))
		json_object_set_new(data, "assignees", map_refs(v, NULL));
	else if (json_is_array(v = json_object_get(inc, "assignments")))
		json_object_set_new(data, "assignees", map_refs(v, "assignee"));
	else if (json_is_array(v = json_object_get(inc, "assignees")))
		json_object_set_new(data, "assignees", map_refs(v, NULL));
	else
		json_object_set_new(data, "assignees", json_array());
	json_object_set_new(data, "escalation_policy",
	                    map_ref(json_object_get(inc, "escalation_policy")));
	if (json_is_array(v = json_object_get(inc, "teams")))
		json_object_set_new(data, "teams", map_refs(v, NULL));
	else
		json_object_set_new(data, "teams", json_array());
	json_object_set_new(data, "priority", map_ref(json_object_get(inc, "priority")));
	map_copy(data, "urgency", inc, "urgency", 1);
	map_copy(data, "conference_bridge", inc, "conference_bridge", 1);
	map_copy(data, "resolve_reason", inc, "resolve_reason", 1);
	map_copy(data, "incident_type", inc, "incident_type", 0);
	return data;
}

/* data of incident.annotated: the note and its incident, as the webhook has it. */
static json_t *
map_note_data(json_t *entry, json_t *inc)
{
	json_t *data = json_object(), *ref = map_ref(inc);
	const char *content;

	/* Where PagerDuty puts a note's text: the entry's note, else its channel's summary. */
	if ((content = map_string(entry, "note")) == NULL &&
	    (content = map_string(json_object_get(entry, "channel"), "summary")) == NULL)
		content = map_string(entry, "summary");
	/* The note's own id is not in the log entry. */
	json_object_set_new(data, "id", json_null());
	json_object_set_new(data, "type", json_string("incident_note"));
	json_object_set_new(data, "content", content != NULL ? json_string(content) : json_null());
	json_object_set_new(data, "trimmed", json_false());
	if (json_is_object(ref))
		json_object_set_new(ref, "type", json_string("incident_reference"));
	json_object_set_new(data, "incident", ref);
	return data;
}

/* The V3 event of a log entry, shaped as the webhook's (see DESIGN); NULL and *why if none. */
json_t *
map_event(json_t *entry, const char **why)
{
	const struct log_type *lt;
	const char *id, *created;
	json_t *inc, *agent, *data, *event;

	*why = NULL;
	if (!json_is_object(entry)) {
		*why = "not an object";
		return NULL;
	}
	if ((lt = map_find(map_string(entry, "type"))) == NULL) {
		*why = "a log entry type this version does not know";
		return NULL;
	}
	if (lt->event_type == NULL) {
		*why = lt->note;
		return NULL;
	}
	inc = json_object_get(entry, "incident");
	if ((id = map_string(entry, "id")) == NULL ||
	    (created = map_string(entry, "created_at")) == NULL || !json_is_object(inc) ||
	    map_string(inc, "id") == NULL) {
		*why = "no id, created_at or incident";
		return NULL;
	}
	if (strcmp(lt->event_type, "incident.annotated") == 0)
		data = map_note_data(entry, inc);
	else
		data = map_incident_data(entry, inc, lt);
	agent = json_object_get(entry, "agent");
	event =
	    json_pack("{s:s, s:s, s:s, s:s, s:O, s:n, s:o}", "id", id, "event_type", lt->event_type,
	              "resource_type", "incident", "occurred_at", created, "agent",
	              json_is_object(agent) ? agent : json_null(), "client", "data", data);
	if (event == NULL)
		*why = "not UTF-8";
	return event;
}

/* The service a log entry is about: its own, else its incident's. */
const char *
map_service_id(json_t *entry)
{
	const char *id = map_string(json_object_get(entry, "service"), "id");

	if (id == NULL)
		id = map_string(json_object_get(json_object_get(entry, "incident"), "service"),
		                "id");
	return id;
}
