/*
 * table_incidents.c: the parameter lists and data schemas of the incident
 * actions of the table (table.c): incidents, their alerts, notes and log
 * entries, and the Events API (v1 and v2) that opens and closes them.
 */
#include "table.h"

/* Data schemas (st2-pagerduty-pack.md 2.9, with the nested fields the API really wants). */

static const struct action_field f_incident_priority[] = {
    F("id", PT_STRING, 1, "Priority ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("priority_reference"),
      .enums = E("priority", "priority_reference")),
    F_END,
};

static const struct action_field f_incident_body[] = {
    F("type", PT_STRING, 1, "Body type.", .def = S("incident_body"), .enums = E("incident_body")),
    F("details", PT_STRING, 0, "Additional incident details."),
    F_END,
};

static const struct action_field f_assignment[] = {
    F("assignee", PT_OBJECT, 1, "The user to assign.", .fields = f_ref_user),
    F_END,
};

const struct action_field f_incident[] = {
    F("type", PT_STRING, 1, "Always incident.", .def = S("incident"), .enums = E("incident")),
    F("title", PT_STRING, 1, "Succinct description of the incident."),
    F("urgency", PT_STRING, 0, "Urgency.", .enums = E("high", "low")),
    F("incident_key", PT_STRING, 0,
      "De-duplication key: an open incident with it refuses another."),
    F("service", PT_OBJECT, 1, "The service the incident belongs to.", .fields = f_ref_service),
    F("priority", PT_OBJECT, 0, "Priority.", .fields = f_incident_priority),
    F("body", PT_OBJECT, 0, "Details of the incident.", .fields = f_incident_body),
    F("assignments", PT_ARRAY, 0, "Assignees (not with escalation_policy).",
      .fields = f_assignment),
    F("escalation_policy", PT_OBJECT, 0, "Escalation policy (not with assignments).",
      .fields = f_ref_policy),
    F_END,
};

static const struct action_field f_link[] = {
    F("href", PT_STRING, 1, "URL of the link."),
    F("text", PT_STRING, 0, "Text of the link."),
    F_END,
};

static const struct action_field f_image[] = {
    F("src", PT_STRING, 1, "HTTPS URL of the image."),
    F("href", PT_STRING, 0, "Link of the image."),
    F("alt", PT_STRING, 0, "Alternative text."),
    F_END,
};

/* Parameters, one list per action (or per family of actions that share them). */

const struct action_param p_alert_resolve[] = {
    P_FROM,
    P_ID("incident"),
    P_RES("alert"),
    P_END,
};

const struct action_param p_event_ack[] = {
    P_ROUTING,
    P("dedup_key", PT_STRING, PW_BODY, R, "De-duplication key of the alert."),
    P_END,
};

const struct action_param p_event_change[] = {
    P_ROUTING,
    P("summary", PT_STRING, PW_BODY, R, "What changed (at most 1024 characters).",
      .field = "payload.summary"),
    P("source", PT_STRING, PW_BODY, 0, "Where the change happened (host, pipeline).",
      .field = "payload.source"),
    P("timestamp", PT_STRING, PW_BODY, 0, "When it happened (ISO 8601); default: now.",
      .field = "payload.timestamp"),
    P("custom_details", PT_OBJECT, PW_BODY, 0, "Free-form details.",
      .field = "payload.custom_details"),
    P("links", PT_ARRAY, PW_BODY, 0, "Links: [{href, text}].", .items = f_link),
    P_END,
};

const struct action_param p_event_trigger[] = {
    P_ROUTING,
    P("summary", PT_STRING, PW_BODY, R, "Summary of the alert (at most 1024 characters).",
      .field = "payload.summary"),
    P("source", PT_STRING, PW_BODY, R, "Affected system, preferably a host name or FQDN.",
      .field = "payload.source"),
    P("severity", PT_STRING, PW_BODY, R, "Severity of the alert.", .def = S("error"),
      .enums = E("critical", "error", "warning", "info"), .field = "payload.severity"),
    P("dedup_key", PT_STRING, PW_BODY, 0,
      "De-duplication key (at most 255 characters); PagerDuty makes one when absent."),
    P("timestamp", PT_STRING, PW_BODY, 0, "When the problem was detected (ISO 8601).",
      .field = "payload.timestamp"),
    P("component", PT_STRING, PW_BODY, 0, "Component of the source responsible.",
      .field = "payload.component"),
    P("group", PT_STRING, PW_BODY, 0, "Logical group of components.", .field = "payload.group"),
    P("class", PT_STRING, PW_BODY, 0, "Class or type of the event.", .field = "payload.class"),
    P("custom_details", PT_OBJECT, PW_BODY, 0, "Free-form details.",
      .field = "payload.custom_details"),
    P("links", PT_ARRAY, PW_BODY, 0, "Links: [{href, text}].", .items = f_link),
    P("images", PT_ARRAY, PW_BODY, 0, "Images: [{src, href, alt}].", .items = f_image),
    P("client", PT_STRING, PW_BODY, 0, "Name of the monitoring client."),
    P("client_url", PT_STRING, PW_BODY, 0, "URL of the monitoring client."),
    P_END,
};

const struct action_param p_incident_ack[] = {
    P_FROM,
    P_ID("incident"),
    P_END,
};

const struct action_param p_incident_bulk[] = {
    P_FROM,
    P("ids", PT_ARRAY, PW_BODY, R, "IDs of the incidents (sent 250 per request).",
      .field = "incidents[].id"),
    P_END,
};

const struct action_param p_incident_responders[] = {
    P_ID("incident"),
    P("requester_id", PT_STRING, PW_BODY, R, "ID of the user asking for help."),
    P("message", PT_STRING, PW_BODY, R, "Message sent to the responders."),
    P("user_ids", PT_ARRAY, PW_BODY, 0, "Users to ask.",
      .field = "responder_request_targets[].responder_request_target.id", .ref = "user_reference"),
    P("escalation_policy_ids", PT_ARRAY, PW_BODY, 0, "Escalation policies to ask.",
      .field = "responder_request_targets[].responder_request_target.id",
      .ref = "escalation_policy_reference"),
    P_END,
};

const struct action_param p_incident_create_v1[] = {
    P("service_key", PT_STRING, PW_BODY, PF_SECRET | PF_SERVICE_KEY,
      "Integration key of the service. Default: service_key of the config; leave it there, an "
      "argument is visible in the process list."),
    P("description", PT_STRING, PW_BODY, R, "Text of the incident and its log entry."),
    P("details", PT_OBJECT, PW_BODY, 0, "Any data to include in the incident log."),
    P("client", PT_STRING, PW_BODY, 0, "Name of the monitoring client."),
    P("client_url", PT_STRING, PW_BODY, 0, "URL of the monitoring client."),
    P("incident_key", PT_STRING, PW_BODY, 0, "De-duplication key of the incident."),
    P_END,
};

const struct action_param p_incident_create[] = {
    P_FROM,
    P_DATA("incident", "incident"),
    P_END,
};

const struct action_param p_incident_create_simple[] = {
    P_FROM,
    P("title", PT_STRING, PW_BODY, R, "Title of the incident.", .field = "incident.title"),
    P("service_id", PT_STRING, PW_BODY, R, "ID of the service.", .field = "incident.service.id",
      .ref = "service_reference"),
    P("details", PT_STRING, PW_BODY, 0, "Details of the incident.",
      .field = "incident.body.details", .ref = "incident_body"),
    P("urgency", PT_STRING, PW_BODY, 0, "Urgency; default: the service's.",
      .enums = E("high", "low"), .field = "incident.urgency"),
    P_END,
};

const struct action_param p_incident_note[] = {
    P_FROM,
    P_ID("incident"),
    P("content", PT_STRING, PW_BODY, R, "Text of the note.", .field = "note.content"),
    P_END,
};

const struct action_param p_incident_status_update[] = {
    P_FROM,
    P_ID("incident"),
    P("message", PT_STRING, PW_BODY, R, "Text of the status update."),
    P("subject", PT_STRING, PW_BODY, 0, "Subject of the email sent to subscribers."),
    P("html_message", PT_STRING, PW_BODY, 0, "HTML body of the email sent to subscribers."),
    P_END,
};

const struct action_param p_incident_find[] = {
    P_MAX,
    P_SINCE,
    P_UNTIL,
    P("date_range", PT_STRING, PW_QUERY, 0, "all: ignore since and until.", .enums = E("all")),
    P("statuses", PT_ARRAY, PW_QUERY, 0, "Only incidents with these statuses.",
      .enums = E("triggered", "acknowledged", "resolved")),
    P("incident_key", PT_STRING, PW_QUERY, 0, "Only the incident with this key."),
    P_IDS("user_ids", "incidents assigned to these users"),
    P_IDS("team_ids", "incidents of these teams"),
    P_IDS("service_ids", "incidents of these services"),
    P("urgencies", PT_STRING, PW_QUERY, PF_LIST, "Only incidents of this urgency.",
      .enums = E("high", "low")),
    P_TZ(NULL),
    P_INCLUDE("acknowledgers, assignees, services, teams, users, ..."),
    P_END,
};

const struct action_param p_id_incident[] = {
    P_ID("incident"),
    P_END,
};

const struct action_param p_incident_alerts[] = {
    P_ID("incident"),
    P_MAX_ALL,
    P_END,
};

const struct action_param p_incident_log_entries[] = {
    P_ID("incident"),
    P_MAX_ALL,
    P_TZ(S("UTC")),
    P("is_overview", PT_BOOLEAN, PW_QUERY, 0, "Only the most important changes.", .def = "false"),
    P_INCLUDE("incidents, services, channels, teams"),
    P_END,
};

const struct action_param p_incident_merge[] = {
    P_FROM,
    P_ID("incident to merge into"),
    P("source_incidents", PT_ARRAY, PW_BODY, R, "IDs of the incidents to merge into it.",
      .field = "source_incidents[].id", .ref = "incident_reference"),
    P_END,
};

const struct action_param p_incident_reassign[] = {
    P_FROM,
    P_ID("incident"),
    P("user_ids", PT_ARRAY, PW_BODY, R, "IDs of the users to assign.",
      .field = "incident.assignments[].assignee.id", .ref = "user_reference"),
    P_END,
};

const struct action_param p_incident_resolve[] = {
    P_FROM,
    P_ID("incident"),
    P("resolution", PT_STRING, PW_BODY, 0, "Resolution note, added to the log.",
      .field = "incident.resolution"),
    P_END,
};

const struct action_param p_incident_snooze[] = {
    P_FROM,
    P_ID("incident"),
    P("duration", PT_INTEGER, PW_BODY, R, "Seconds to snooze (1 to 604800).", .def = "900"),
    P_END,
};

const struct action_param p_incident_update[] = {
    P_FROM,
    P_ID("incident"),
    P("title", PT_STRING, PW_BODY, 0, "New title.", .field = "incident.title"),
    P("urgency", PT_STRING, PW_BODY, 0, "New urgency.", .enums = E("high", "low"),
      .field = "incident.urgency"),
    P("status", PT_STRING, PW_BODY, 0, "New status.", .enums = E("acknowledged", "resolved"),
      .field = "incident.status"),
    P("resolution", PT_STRING, PW_BODY, 0, "Resolution note (with status resolved).",
      .field = "incident.resolution"),
    P("priority", PT_STRING, PW_BODY, 0, "ID of the new priority.", .field = "incident.priority.id",
      .ref = "priority_reference"),
    P("escalation_level", PT_INTEGER, PW_BODY, 0, "Escalate to this level of the policy.",
      .field = "incident.escalation_level"),
    P("escalation_policy", PT_STRING, PW_BODY, 0, "ID of the new escalation policy.",
      .field = "incident.escalation_policy.id", .ref = "escalation_policy_reference"),
    P("assignments", PT_ARRAY, PW_BODY, 0, "IDs of the users to assign instead.",
      .field = "incident.assignments[].assignee.id", .ref = "user_reference"),
    P_END,
};

const struct action_param p_log_entry_find[] = {
    P_MAX,
    P_INCLUDE("incidents, services, channels, teams"),
    P_TZ(S("UTC")),
    P("is_overview", PT_BOOLEAN, PW_QUERY, 0, "Only the most important changes.", .def = "false"),
    P_SINCE,
    P_UNTIL,
    P_END,
};

const struct action_param p_log_entry_get[] = {
    P_ID("log entry"),
    P_INCLUDE("incidents, services, channels, teams"),
    P_TZ(S("UTC")),
    P_END,
};
