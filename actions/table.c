/*
 * table.c: every action st2-pagerduty runs, as one sorted descriptor table
 * (tmux cmd_entry, Redis command table), the data schemas of the create
 * actions, the pack's ChatOps aliases, and the lookup in them. What is
 * derived from the rows lives elsewhere: their metadata for st2, `actions
 * --json` and help (metadata.c), the check of a value against a data
 * schema (check.c), running them (exec.c).
 *
 * DESIGN
 * An action is data: HTTP method, path template, parameters and where each
 * goes (path, query, body at a dotted path, From header), constant body
 * fields, how the answer is shaped, flags, and an example argument list.
 * `run` parses argv with it (run.c), one generic executor builds and sends
 * the request from it (exec.c), `actions` and `run X --help` print it, and
 * `pack` writes actions/<name>.yaml from it (metadata.c, triggers/pack.c),
 * so the st2 metadata cannot disagree with what the binary does. Only actions that
 * are more than one request (bulk updates in chunks, the on-call lookup,
 * the webhook secret) or need computed defaults have a handler.
 *
 * The first 65 rows after the Events API ones are the original pack's
 * actions, same names, parameters, defaults, enums and result shapes; its
 * bugs are fixed (see st2-pagerduty-pack.md 4-5): from_email falls back to
 * the config instead of being required and sent as "None", team.remove_user
 * calls /teams/{id}/users/{user}, Events v1 sends incident_key in the body
 * and never a key in the URL, booleans go lowercase and arrays as key[],
 * `maximum` is a parameter of every paged list instead of a silent 25, and
 * nested data fields are really checked. The pack's immutable `entity`,
 * `method` and rendered `data` parameters are gone: the action name is the
 * one immutable positional parameter st2 passes (ACTION_NAME_PARAM).
 *
 * Defaults and constant bodies are JSON text; a body path may hold "[]"
 * ("incident.assignments[].assignee.id"): an array value makes one item per
 * element. The table is sorted by name (checked by a unit test) so lookup
 * is a bsearch.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* clang-format off */
#define E(...) ((const char *const[]){__VA_ARGS__, NULL})
#define S(s)   "\"" s "\""
#define EX(...) E(__VA_ARGS__)

/* A parameter; extra designated initializers (.def, .enums, .field, ...) follow desc. */
#define P(n, t, w, f, desc, ...) \
	{.name = n, .type = t, .where = w, .flags = f, .description = desc, __VA_ARGS__}
#define R PF_REQUIRED
#define P_END {.name = NULL}

/* A data schema field. */
#define F(n, t, req, desc, ...) \
	{.name = n, .type = t, .required = req, .description = desc, __VA_ARGS__}
#define F_END {.name = NULL}

/* Parameters most actions share. */
#define P_FROM \
	P("from_email", PT_STRING, PW_FROM, 0, "Email address of the PagerDuty user acting " \
	  "(the From header). Default: from_email of the config.")
#define P_ID(what)  P("entity_id", PT_STRING, PW_PATH, R, "ID of the " what ".")
#define P_RES(what) P("resource_id", PT_STRING, PW_PATH, R, "ID of the " what ".")
#define P_MAX \
	P("maximum", PT_INTEGER, PW_LIMIT, 0, "Return at most this many entries (0: all).", \
	  .def = "25")
#define P_MAX_ALL \
	P("maximum", PT_INTEGER, PW_LIMIT, 0, "Return at most this many entries (0: all).", \
	  .def = "0")
#define P_TZ(def_) \
	P("time_zone", PT_STRING, PW_QUERY, 0, "Time zone of the dates in the result.", .def = def_)
#define P_INCLUDE(what) \
	P("include", PT_ARRAY, PW_QUERY, 0, "Additional details to include: " what ".")
#define P_SINCE \
	P("since", PT_STRING, PW_QUERY, 0, "Start of the date range (ISO 8601).")
#define P_UNTIL \
	P("until", PT_STRING, PW_QUERY, 0, "End of the date range (ISO 8601).")
#define P_QUERY(what) \
	P("query", PT_STRING, PW_QUERY, 0, "Only " what " whose name contains this.")
#define P_IDS(n, what) P(n, PT_ARRAY, PW_QUERY, 0, "Only " what ".")
#define P_DATA(what, wrap) \
	P("data", PT_OBJECT, PW_BODY, R, "The " what " to create, as PagerDuty's API wants it " \
	  "without the \"" wrap "\" wrapper; checked against the schema below.", .field = wrap)
#define P_ROUTING \
	P("routing_key", PT_STRING, PW_BODY, PF_SECRET | PF_SERVICE_KEY, "Integration (routing) " \
	  "key of the service. Default: service_key of the config; leave it there, an argument " \
	  "is visible in the process list.")
/* clang-format on */

static const char *const contact_types[] = {"email_contact_method", "phone_contact_method",
                                            "push_notification_contact_method",
                                            "sms_contact_method", NULL};

/* clang-format off */
static const char *const user_colors[] = {
    "purple", "red", "green", "blue", "teal", "orange", "brown", "turquoise", "dark-slate-blue",
    "cayenne", "orange-red", "dark-orchid", "dark-slate-grey", "lime", "dark-magenta",
    "lime-green", "midnight-blue", "deep-pink", "dark-green", "dark-orange", "dark-cyan",
    "darkolive-green", "dark-slate-gray", "grey20", "firebrick", "maroon", "crimson",
    "dark-red", "dark-goldenrod", "chocolate", "medium-violet-red", "sea-green", "olivedrab",
    "forest-green", "dark-olive-green", "blue-violet", "royal-blue", "indigo", "slate-blue",
    "saddle-brown", "steel-blue", NULL};
/* clang-format on */

static const char *const user_roles[] = {
    "read_only_user",    "owner", "admin", "user", "observer", "limited_user", "team_responder",
    "restricted_access", NULL};

/* Data schemas (st2-pagerduty-pack.md 2.9, with the nested fields the API really wants). */

static const struct action_field f_ref_user[] = {
    F("id", PT_STRING, 1, "User ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("user_reference"),
      .enums = E("user", "user_reference")),
    F_END,
};

static const struct action_field f_ref_service[] = {
    F("id", PT_STRING, 1, "Service ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("service_reference"),
      .enums = E("service", "service_reference")),
    F_END,
};

static const struct action_field f_ref_policy[] = {
    F("id", PT_STRING, 1, "Escalation policy ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("escalation_policy_reference"),
      .enums = E("escalation_policy", "escalation_policy_reference")),
    F_END,
};

static const struct action_field f_ref_team[] = {
    F("id", PT_STRING, 1, "Team ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("team_reference"),
      .enums = E("team", "team_reference")),
    F_END,
};

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

static const struct action_field f_incident[] = {
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

static const struct action_field f_support_urgency[] = {
    F("type", PT_STRING, 0, "Rule type.", .enums = E("constant")),
    F("urgency", PT_STRING, 0, "Urgency.", .enums = E("low", "high", "severity_based")),
    F_END,
};

static const struct action_field f_urgency_rule[] = {
    F("type", PT_STRING, 1, "Rule type.", .enums = E("constant", "use_support_hours")),
    F("urgency", PT_STRING, 0, "Urgency with a constant rule.",
      .enums = E("low", "high", "severity_based")),
    F("during_support_hours", PT_OBJECT, 0, "Rule during support hours.",
      .fields = f_support_urgency),
    F("outside_support_hours", PT_OBJECT, 0, "Rule outside support hours.",
      .fields = f_support_urgency),
    F_END,
};

static const struct action_field f_support_hours[] = {
    F("type", PT_STRING, 1, "Support hours type.", .def = S("fixed_time_per_day"),
      .enums = E("fixed_time_per_day")),
    F("time_zone", PT_STRING, 0, "Time zone of the hours."),
    F("start_time", PT_STRING, 0, "Start, as HH:MM:SS."),
    F("end_time", PT_STRING, 0, "End, as HH:MM:SS."),
    F("days_of_week", PT_ARRAY, 0, "Days, 1 (Monday) to 7.", .items = PT_INTEGER),
    F_END,
};

static const struct action_field f_named_time[] = {
    F("type", PT_STRING, 1, "Time type.", .enums = E("named_time")),
    F("name", PT_STRING, 1, "When.", .enums = E("support_hours_start", "support_hours_end")),
    F_END,
};

static const struct action_field f_scheduled_action[] = {
    F("type", PT_STRING, 1, "Action type.", .enums = E("urgency_change")),
    F("at", PT_OBJECT, 1, "When the action happens.", .fields = f_named_time),
    F("to_urgency", PT_STRING, 1, "New urgency.", .enums = E("high")),
    F_END,
};

static const struct action_field f_service[] = {
    F("type", PT_STRING, 1, "Always service.", .def = S("service"),
      .enums = E("service", "service_reference")),
    F("name", PT_STRING, 1, "Name of the service."),
    F("description", PT_STRING, 0, "Description."),
    F("auto_resolve_timeout", PT_INTEGER, 0, "Seconds before an incident is resolved."),
    F("acknowledgement_timeout", PT_INTEGER, 0,
      "Seconds before an acknowledged incident triggers again."),
    F("status", PT_STRING, 0, "Status.",
      .enums = E("active", "warning", "critical", "maintenance", "disabled")),
    F("escalation_policy", PT_OBJECT, 1, "Escalation policy.", .fields = f_ref_policy),
    F("alert_creation", PT_STRING, 0, "Whether alerts are created.",
      .enums = E("create_incidents", "create_alerts_and_incidents")),
    F("alert_grouping", PT_STRING, 0, "Alert grouping.", .enums = E("time", "intelligent")),
    F("alert_grouping_timeout", PT_INTEGER, 0, "Minutes of time-based grouping."),
    F("incident_urgency_rule", PT_OBJECT, 0, "Urgency of new incidents.", .fields = f_urgency_rule),
    F("support_hours", PT_OBJECT, 0, "Support hours.", .fields = f_support_hours),
    F("scheduled_actions", PT_ARRAY, 0, "Urgency changes at support hours boundaries.",
      .fields = f_scheduled_action),
    F_END,
};

static const struct action_field f_target[] = {
    F("id", PT_STRING, 1, "User or schedule ID."),
    F("type", PT_STRING, 1, "Target type.",
      .enums = E("user", "schedule", "user_reference", "schedule_reference")),
    F_END,
};

static const struct action_field f_escalation_rule[] = {
    F("escalation_delay_in_minutes", PT_INTEGER, 1, "Minutes before the next rule."),
    F("targets", PT_ARRAY, 1, "Who is notified.", .fields = f_target),
    F_END,
};

static const struct action_field f_escalation_policy[] = {
    F("type", PT_STRING, 1, "Always escalation_policy.", .def = S("escalation_policy"),
      .enums = E("escalation_policy")),
    F("name", PT_STRING, 1, "Name of the policy."),
    F("description", PT_STRING, 0, "Description."),
    F("num_loops", PT_INTEGER, 0, "Times the rules repeat."),
    F("repeat_enabled", PT_BOOLEAN, 0, "Whether the rules repeat."),
    F("on_call_handoff_notifications", PT_STRING, 0, "Hand-off notifications.",
      .enums = E("if_has_services", "always")),
    F("escalation_rules", PT_ARRAY, 1, "The rules, in order.", .fields = f_escalation_rule),
    F("services", PT_ARRAY, 0, "Services using the policy.", .fields = f_ref_service),
    F("teams", PT_ARRAY, 0, "Teams of the policy.", .fields = f_ref_team),
    F_END,
};

static const struct action_field f_layer_user[] = {
    F("user", PT_OBJECT, 1, "The user.", .fields = f_ref_user),
    F_END,
};

static const struct action_field f_restriction[] = {
    F("type", PT_STRING, 1, "Restriction type.",
      .enums = E("daily_restriction", "weekly_restriction")),
    F("duration_seconds", PT_INTEGER, 1, "Length of the restriction."),
    F("start_time_of_day", PT_STRING, 1, "Start, as HH:MM:SS."),
    F("start_day_of_week", PT_INTEGER, 0, "Weekly: day 1 (Monday) to 7."),
    F_END,
};

static const struct action_field f_layer[] = {
    F("start", PT_STRING, 1, "Start of the layer (ISO 8601)."),
    F("end", PT_STRING, 0, "End of the layer (ISO 8601)."),
    F("rotation_virtual_start", PT_STRING, 1, "Effective start of the rotation."),
    F("rotation_turn_length_seconds", PT_INTEGER, 1, "Length of one turn.", .def = "604800"),
    F("name", PT_STRING, 0, "Name of the layer."),
    F("users", PT_ARRAY, 1, "Users in rotation order.", .fields = f_layer_user),
    F("restrictions", PT_ARRAY, 0, "When the layer is active.", .fields = f_restriction),
    F_END,
};

static const struct action_field f_schedule[] = {
    F("type", PT_STRING, 1, "Always schedule.", .def = S("schedule"), .enums = E("schedule")),
    F("time_zone", PT_STRING, 1, "Time zone of the schedule.", .def = S("America/Los_Angeles")),
    F("name", PT_STRING, 0, "Name of the schedule."),
    F("description", PT_STRING, 0, "Description."),
    F("schedule_layers", PT_ARRAY, 1, "The layers.", .fields = f_layer),
    F_END,
};

static const struct action_field f_user[] = {
    F("type", PT_STRING, 1, "Always user.", .def = S("user"), .enums = E("user", "user_reference")),
    F("name", PT_STRING, 1, "Name of the user."),
    F("email", PT_STRING, 1, "Email address."),
    F("time_zone", PT_STRING, 0, "Preferred time zone."),
    F("color", PT_STRING, 0, "Color on schedules.", .enums = user_colors),
    F("role", PT_STRING, 0, "Role.", .enums = user_roles),
    F("description", PT_STRING, 0, "Bio."),
    F("job_title", PT_STRING, 0, "Job title."),
    F_END,
};

static const struct action_field f_team[] = {
    F("type", PT_STRING, 1, "Always team.", .def = S("team"), .enums = E("team", "team_reference")),
    F("name", PT_STRING, 1, "Name of the team."),
    F("description", PT_STRING, 0, "Description."),
    F_END,
};

static const struct action_field f_mw_service[] = {
    F("id", PT_STRING, 1, "Service ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("service_reference"),
      .enums = E("service_reference")),
    F_END,
};

static const struct action_field f_maintenance_window[] = {
    F("type", PT_STRING, 1, "Always maintenance_window.", .def = S("maintenance_window"),
      .enums = E("maintenance_window")),
    F("start_time", PT_STRING, 1, "Start (ISO 8601)."),
    F("end_time", PT_STRING, 1, "End (ISO 8601)."),
    F("description", PT_STRING, 0, "Description."),
    F("services", PT_ARRAY, 1, "Services in maintenance.", .fields = f_mw_service),
    F_END,
};

static const struct action_field f_contact_method[] = {
    F("type", PT_STRING, 1, "Kind of contact method.", .enums = contact_types),
    F("label", PT_STRING, 1, "Label (\"Work\", \"Mobile\")."),
    F("address", PT_STRING, 1, "Email address, phone number or device."),
    F_END,
};

static const struct action_field f_rule_contact[] = {
    F("id", PT_STRING, 1, "Contact method ID."),
    F("type", PT_STRING, 0, "Kind of contact method.",
      .enums = E("email_contact_method", "phone_contact_method", "push_notification_contact_method",
                 "sms_contact_method", "email_contact_method_reference",
                 "phone_contact_method_reference", "push_notification_contact_method_reference",
                 "sms_contact_method_reference")),
    F_END,
};

static const struct action_field f_notification_rule[] = {
    F("type", PT_STRING, 1, "Always assignment_notification_rule.",
      .def = S("assignment_notification_rule"), .enums = E("assignment_notification_rule")),
    F("start_delay_in_minutes", PT_INTEGER, 1, "Minutes after assignment.", .def = "0"),
    F("contact_method", PT_OBJECT, 1, "The contact method to use.", .fields = f_rule_contact),
    F("urgency", PT_STRING, 1, "Incidents of this urgency.", .def = S("high"),
      .enums = E("high", "low")),
    F_END,
};

static const struct action_field f_webhook[] = {
    F("type", PT_STRING, 1, "Always webhook_subscription.", .enums = E("webhook_subscription")),
    F("events", PT_ARRAY, 1, "Event types to deliver."),
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

static const struct action_param p_alert_resolve[] = {
    P_FROM,
    P_ID("incident"),
    P_RES("alert"),
    P_END,
};

static const struct action_param p_ep_create[] = {
    P_FROM,
    P_DATA("escalation policy", "escalation_policy"),
    P_END,
};

static const struct action_param p_id_policy[] = {
    P_ID("escalation policy"),
    P_END,
};

static const struct action_param p_ep_find[] = {
    P_MAX,
    P_IDS("user_ids", "policies with these users as targets"),
    P_IDS("team_ids", "policies of these teams"),
    P_INCLUDE("services, teams, targets"),
    P_QUERY("policies"),
    P_END,
};

static const struct action_param p_event_ack[] = {
    P_ROUTING,
    P("dedup_key", PT_STRING, PW_BODY, R, "De-duplication key of the alert."),
    P_END,
};

static const struct action_param p_event_change[] = {
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

static const struct action_param p_event_trigger[] = {
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

static const struct action_param p_incident_ack[] = {
    P_FROM,
    P_ID("incident"),
    P_END,
};

static const struct action_param p_incident_bulk[] = {
    P_FROM,
    P("ids", PT_ARRAY, PW_BODY, R, "IDs of the incidents (sent 250 per request).",
      .field = "incidents[].id"),
    P_END,
};

static const struct action_param p_incident_responders[] = {
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

static const struct action_param p_incident_create_v1[] = {
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

static const struct action_param p_incident_create[] = {
    P_FROM,
    P_DATA("incident", "incident"),
    P_END,
};

static const struct action_param p_incident_create_simple[] = {
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

static const struct action_param p_incident_note[] = {
    P_FROM,
    P_ID("incident"),
    P("content", PT_STRING, PW_BODY, R, "Text of the note.", .field = "note.content"),
    P_END,
};

static const struct action_param p_incident_status_update[] = {
    P_FROM,
    P_ID("incident"),
    P("message", PT_STRING, PW_BODY, R, "Text of the status update."),
    P("subject", PT_STRING, PW_BODY, 0, "Subject of the email sent to subscribers."),
    P("html_message", PT_STRING, PW_BODY, 0, "HTML body of the email sent to subscribers."),
    P_END,
};

static const struct action_param p_incident_find[] = {
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

static const struct action_param p_id_incident[] = {
    P_ID("incident"),
    P_END,
};

static const struct action_param p_incident_alerts[] = {
    P_ID("incident"),
    P_MAX_ALL,
    P_END,
};

static const struct action_param p_incident_log_entries[] = {
    P_ID("incident"),
    P_MAX_ALL,
    P_TZ(S("UTC")),
    P("is_overview", PT_BOOLEAN, PW_QUERY, 0, "Only the most important changes.", .def = "false"),
    P_INCLUDE("incidents, services, channels, teams"),
    P_END,
};

static const struct action_param p_incident_merge[] = {
    P_FROM,
    P_ID("incident to merge into"),
    P("source_incidents", PT_ARRAY, PW_BODY, R, "IDs of the incidents to merge into it.",
      .field = "source_incidents[].id", .ref = "incident_reference"),
    P_END,
};

static const struct action_param p_incident_reassign[] = {
    P_FROM,
    P_ID("incident"),
    P("user_ids", PT_ARRAY, PW_BODY, R, "IDs of the users to assign.",
      .field = "incident.assignments[].assignee.id", .ref = "user_reference"),
    P_END,
};

static const struct action_param p_incident_resolve[] = {
    P_FROM,
    P_ID("incident"),
    P("resolution", PT_STRING, PW_BODY, 0, "Resolution note, added to the log.",
      .field = "incident.resolution"),
    P_END,
};

static const struct action_param p_incident_snooze[] = {
    P_FROM,
    P_ID("incident"),
    P("duration", PT_INTEGER, PW_BODY, R, "Seconds to snooze (1 to 604800).", .def = "900"),
    P_END,
};

static const struct action_param p_incident_update[] = {
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

static const struct action_param p_service_resource[] = {
    P_ID("service"),
    P_RES("integration"),
    P_INCLUDE("services, vendors"),
    P_END,
};

static const struct action_param p_log_entry_find[] = {
    P_MAX,
    P_INCLUDE("incidents, services, channels, teams"),
    P_TZ(S("UTC")),
    P("is_overview", PT_BOOLEAN, PW_QUERY, 0, "Only the most important changes.", .def = "false"),
    P_SINCE,
    P_UNTIL,
    P_END,
};

static const struct action_param p_log_entry_get[] = {
    P_ID("log entry"),
    P_INCLUDE("incidents, services, channels, teams"),
    P_TZ(S("UTC")),
    P_END,
};

static const struct action_param p_mw_create[] = {
    P_FROM,
    P_DATA("maintenance window", "maintenance_window"),
    P_END,
};

static const struct action_param p_mw_create_simple[] = {
    P_FROM,
    P("start_time", PT_STRING, PW_BODY, R, "Start of the window (ISO 8601).",
      .field = "maintenance_window.start_time"),
    P("end_time", PT_STRING, PW_BODY, R, "End of the window (ISO 8601).",
      .field = "maintenance_window.end_time"),
    P("description", PT_STRING, PW_BODY, 0, "Why the window exists.",
      .field = "maintenance_window.description"),
    P("service_id", PT_STRING, PW_BODY, R, "ID of the service in maintenance.",
      .field = "maintenance_window.services[].id", .ref = "service_reference"),
    P_END,
};

static const struct action_param p_id_mw[] = {
    P_ID("maintenance window"),
    P_END,
};

static const struct action_param p_mw_find[] = {
    P_MAX,
    P_IDS("team_ids", "windows of these teams"),
    P_IDS("service_ids", "windows of these services"),
    P_INCLUDE("teams, services, users"),
    P("filter", PT_STRING, PW_QUERY, 0, "Which windows.",
      .enums = E("past", "future", "ongoing", "open", "all")),
    P_QUERY("windows"),
    P_END,
};

static const struct action_param p_mw_get[] = {
    P_ID("maintenance window"),
    P_INCLUDE("teams, services, users"),
    P_END,
};

static const struct action_param p_notification_find[] = {
    P_MAX,
    P_INCLUDE("users"),
    P_TZ(S("UTC")),
    P("since", PT_STRING, PW_QUERY, 0,
      "Start of the date range (ISO 8601); default: 30 days before until."),
    P("until", PT_STRING, PW_QUERY, 0, "End of the date range (ISO 8601); default: now."),
    P("filter", PT_STRING, PW_QUERY, 0, "Only notifications of this kind.",
      .enums =
          E("sms_notification", "email_notification", "phone_notification", "push_notification")),
    P_END,
};

static const struct action_param p_on_call_find[] = {
    P_MAX,
    P_TZ(S("UTC")),
    P_INCLUDE("escalation_policies, users, schedules"),
    P_IDS("user_ids", "on-calls of these users"),
    P_IDS("escalation_policy_ids", "on-calls of these escalation policies"),
    P_IDS("schedule_ids", "on-calls of these schedules"),
    P_SINCE,
    P_UNTIL,
    P("earliest", PT_BOOLEAN, PW_QUERY, 0, "Only the earliest on-call of each combination."),
    P_END,
};

static const struct action_param p_oncall_who[] = {
    P("service_id", PT_STRING, PW_LOCAL, 0, "Service: who is on call for its escalation policy."),
    P("escalation_policy_id", PT_STRING, PW_LOCAL, 0, "Escalation policy (instead of a service)."),
    P_TZ(S("UTC")),
    P_END,
};

static const struct action_param p_schedule_create[] = {
    P("overflow", PT_BOOLEAN, PW_QUERY, 0, "Keep entries that overflow the date range.",
      .def = "false"),
    P_DATA("schedule", "schedule"),
    P_END,
};

static const struct action_param p_id_schedule[] = {
    P_ID("schedule"),
    P_END,
};

static const struct action_param p_schedule_find[] = {
    P_QUERY("schedules"),
    P_MAX,
    P_END,
};

static const struct action_param p_schedule_get[] = {
    P_ID("schedule"), P_TZ(S("UTC")), P_SINCE, P_UNTIL, P_END,
};

static const struct action_param p_schedule_users[] = {
    P_ID("schedule"),
    P_SINCE,
    P_UNTIL,
    P_END,
};

static const struct action_param p_service_create[] = {
    P_FROM,
    P_DATA("service", "service"),
    P_END,
};

static const struct action_param p_service_create_simple[] = {
    P_FROM,
    P("type", PT_STRING, PW_BODY, R, "Type of the object.", .def = S("service"),
      .enums = E("service", "service_reference"), .field = "service.type"),
    P("name", PT_STRING, PW_BODY, R, "Name of the service.", .field = "service.name"),
    P("description", PT_STRING, PW_BODY, 0, "Description.", .field = "service.description"),
    P("auto_resolve_timeout", PT_INTEGER, PW_BODY, 0, "Seconds before an incident is resolved.",
      .def = "14400", .field = "service.auto_resolve_timeout"),
    P("acknowledgement_timeout", PT_INTEGER, PW_BODY, 0,
      "Seconds before an acknowledged incident triggers again.", .def = "1800",
      .field = "service.acknowledgement_timeout"),
    P("status", PT_STRING, PW_BODY, 0, "Status.", .def = S("active"),
      .enums = E("active", "warning", "critical", "maintenance", "disabled"),
      .field = "service.status"),
    P("escalation_policy_id", PT_STRING, PW_BODY, R, "ID of the escalation policy.",
      .field = "service.escalation_policy.id", .ref = "escalation_policy_reference"),
    P("alert_creation", PT_STRING, PW_BODY, 0, "Whether alerts are created.",
      .def = S("create_alerts_and_incidents"),
      .enums = E("create_incidents", "create_alerts_and_incidents"),
      .field = "service.alert_creation"),
    P_END,
};

static const struct action_param p_id_service[] = {
    P_ID("service"),
    P_END,
};

static const struct action_param p_service_find[] = {
    P_MAX,
    P_TZ(S("UTC")),
    P_INCLUDE("escalation_policies, teams, integrations"),
    P_IDS("team_ids", "services of these teams"),
    P_QUERY("services"),
    P_END,
};

static const struct action_param p_service_get[] = {
    P_ID("service"),
    P_INCLUDE("escalation_policies, teams, integrations"),
    P_END,
};

static const struct action_param p_service_integration[] = {
    P_ID("service"),
    P_RES("integration"),
    P_END,
};

static const struct action_param p_team_policy[] = {
    P_ID("team"),
    P("escalation_policy", PT_STRING, PW_PATH, R, "ID of the escalation policy."),
    P_END,
};

static const struct action_param p_team_add_user[] = {
    P_ID("team"),
    P("user", PT_STRING, PW_PATH, R, "ID of the user."),
    P("role", PT_STRING, PW_BODY, 0, "Role of the user in the team.",
      .enums = E("observer", "responder", "manager")),
    P_END,
};

static const struct action_param p_team_create[] = {
    P_DATA("team", "team"),
    P_END,
};

static const struct action_param p_team_create_simple[] = {
    P("type", PT_STRING, PW_BODY, R, "Type of the object.", .def = S("team"),
      .enums = E("team", "team_reference"), .field = "team.type"),
    P("name", PT_STRING, PW_BODY, R, "Name of the team.", .field = "team.name"),
    P("description", PT_STRING, PW_BODY, 0, "Description.", .field = "team.description"),
    P_END,
};

static const struct action_param p_id_team[] = {
    P_ID("team"),
    P_END,
};

static const struct action_param p_team_find[] = {
    P_MAX,
    P_QUERY("teams"),
    P_END,
};

static const struct action_param p_team_user[] = {
    P_ID("team"),
    P("user", PT_STRING, PW_PATH, R, "ID of the user."),
    P_END,
};

static const struct action_param p_user_create[] = {
    P_FROM,
    P_DATA("user", "user"),
    P_END,
};

static const struct action_param p_user_create_simple[] = {
    P_FROM,
    P("type", PT_STRING, PW_BODY, R, "Type of the object.", .def = S("user"),
      .enums = E("user", "user_reference"), .field = "user.type"),
    P("name", PT_STRING, PW_BODY, R, "Name of the user.", .field = "user.name"),
    P("email", PT_STRING, PW_BODY, R, "Email address of the user.", .field = "user.email"),
    P("time_zone", PT_STRING, PW_BODY, 0, "Preferred time zone.", .def = S("America/Los_Angeles"),
      .field = "user.time_zone"),
    P("color", PT_STRING, PW_BODY, 0, "Color on schedules.", .def = S("grey20"),
      .enums = user_colors, .field = "user.color"),
    P("role", PT_STRING, PW_BODY, 0, "Role.", .def = S("user"), .enums = user_roles,
      .field = "user.role"),
    P("description", PT_STRING, PW_BODY, 0, "Bio.", .field = "user.description"),
    P("job_title", PT_STRING, PW_BODY, 0, "Job title.", .field = "user.job_title"),
    P_END,
};

static const struct action_param p_user_contact_create[] = {
    P_ID("user"),
    P_DATA("contact method", "contact_method"),
    P_END,
};

static const struct action_param p_user_contact_create_simple[] = {
    P_ID("user"),
    P("type", PT_STRING, PW_BODY, R, "Kind of contact method.", .enums = contact_types,
      .field = "contact_method.type"),
    P("label", PT_STRING, PW_BODY, R, "Label (\"Work\", \"Mobile\").",
      .field = "contact_method.label"),
    P("address", PT_STRING, PW_BODY, R, "Email address, phone number or device.",
      .field = "contact_method.address"),
    P_END,
};

static const struct action_param p_user_rule_create[] = {
    P_ID("user"),
    P_DATA("notification rule", "notification_rule"),
    P_END,
};

static const struct action_param p_user_rule_create_simple[] = {
    P_ID("user"),
    P("start_delay_in_minutes", PT_INTEGER, PW_BODY, R, "Minutes after assignment.", .def = "0",
      .field = "notification_rule.start_delay_in_minutes"),
    P("contact_method_id", PT_STRING, PW_BODY, R, "ID of the contact method.",
      .field = "notification_rule.contact_method.id"),
    P("contact_method_type", PT_STRING, PW_BODY, R, "Kind of contact method.",
      .enums = contact_types, .field = "notification_rule.contact_method.type"),
    P("urgency", PT_STRING, PW_BODY, 0, "Incidents of this urgency.", .def = S("high"),
      .enums = E("high", "low"), .field = "notification_rule.urgency"),
    P_END,
};

static const struct action_param p_id_user[] = {
    P_ID("user"),
    P_END,
};

static const struct action_param p_user_resource[] = {
    P_ID("user"),
    P_RES("contact method"),
    P_END,
};

static const struct action_param p_user_rule[] = {
    P_ID("user"),
    P_RES("notification rule"),
    P_END,
};

static const struct action_param p_user_rule_get[] = {
    P_ID("user"),
    P_RES("notification rule"),
    P_INCLUDE("contact_methods"),
    P_END,
};

static const struct action_param p_user_rules[] = {
    P_ID("user"),
    P_INCLUDE("contact_methods"),
    P_END,
};

static const struct action_param p_user_find[] = {
    P_MAX,
    P_IDS("team_ids", "users of these teams"),
    P_QUERY("users"),
    P_END,
};

static const struct action_param p_webhook_create[] = {
    P("url", PT_STRING, PW_BODY, R,
      "Where PagerDuty posts: the /webhooks/pagerduty URL of st2-pagerduty serve.",
      .field = "webhook_subscription.delivery_method.url"),
    P("events", PT_ARRAY, PW_BODY, R, "Event types to deliver (incident.triggered, ...).",
      .field = "webhook_subscription.events"),
    P("filter_type", PT_STRING, PW_BODY, 0, "Scope of the subscription.",
      .def = S("account_reference"),
      .enums = E("account_reference", "service_reference", "team_reference"),
      .field = "webhook_subscription.filter.type"),
    P("filter_id", PT_STRING, PW_BODY, 0, "ID of the service or team (not for the account).",
      .field = "webhook_subscription.filter.id"),
    P("description", PT_STRING, PW_BODY, 0, "Description.",
      .field = "webhook_subscription.description"),
    P("active", PT_BOOLEAN, PW_BODY, 0, "Deliver events at once (PagerDuty's default).",
      .field = "webhook_subscription.active"),
    P("write_config", PT_BOOLEAN, PW_LOCAL, 0,
      "Append the signing secret to webhook.secrets of the config file.", .def = "false"),
    P_END,
};

static const struct action_param p_id_webhook[] = {
    P_ID("webhook subscription"),
    P_END,
};

static const struct action_param p_audit_find[] = {
    P_MAX,
    P("since", PT_STRING, PW_QUERY, 0,
      "Start of the date range (ISO 8601); PagerDuty's "
      "default is 24 hours ago, and a range spans 31 days at most."),
    P_UNTIL,
    P("root_resource_types", PT_ARRAY, PW_QUERY, 0, "Only changes to these kinds of resource.",
      .enums =
          E("users", "teams", "schedules", "escalation_policies", "services", "ip_allow_lists")),
    P("actor_type", PT_STRING, PW_QUERY, 0, "Only changes made by this kind of actor.",
      .enums = E("user_reference", "api_key_reference", "app_reference")),
    P("actor_id", PT_STRING, PW_QUERY, 0, "Only changes made by this actor (needs actor_type)."),
    P("method_type", PT_STRING, PW_QUERY, 0, "Only changes made this way.",
      .enums = E("browser", "oauth", "api_token", "identity_provider", "other")),
    P("actions", PT_ARRAY, PW_QUERY, 0, "Only these kinds of change.",
      .enums = E("create", "update", "delete")),
    P_END,
};

static const struct action_param p_webhook_list[] = {
    P_MAX,
    P("filter_type", PT_STRING, PW_QUERY, 0, "Only subscriptions of this scope.",
      .enums = E("account", "service", "team")),
    P("filter_id", PT_STRING, PW_QUERY, 0, "Only subscriptions of this service or team."),
    P_END,
};

/* clang-format off */
#define A(n, desc, m, p, ...) {.name = n, .description = desc, .method = m, .path = p, __VA_ARGS__}
#define PAGED(coll) .flags = ACT_PAGED, .collection = coll, .shape = AS_LIST
#define CURSOR(coll) .flags = ACT_CURSOR, .collection = coll, .shape = AS_LIST
#define KEY(k)      .shape = AS_KEY, .key = k
#define FROM_EX     "--from_email=oncall@example.com"
/* clang-format on */

/* Every action, sorted by name (strcmp). */
const struct action action_table[] = {
    A("alert.resolve", "Resolve one alert of an incident.", "PUT",
      "/incidents/{entity_id}/alerts/{resource_id}", .flags = ACT_NEEDS_FROM, KEY("alert"),
      .body = "{\"alert\": {\"type\": \"alert\", \"status\": \"resolved\"}}",
      .params = p_alert_resolve,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--resource_id=PEYSGVF")),
    A("audit.find",
      "Find audit records: who changed which user, team, schedule, escalation "
      "policy or service, when and how.",
      "GET", "/audit/records", CURSOR("records"), .params = p_audit_find,
      .example = EX("--since=2026-11-01T00:00:00Z", "--root_resource_types=['services']",
                    "--actions=['update', 'delete']", "--maximum=50")),
    A("escalation_policy.create", "Create an escalation policy.", "POST", "/escalation_policies",
      KEY("escalation_policy"), .wrap = "escalation_policy", .schema = f_escalation_policy,
      .params = p_ep_create,
      .example = EX(FROM_EX, "--data={'type': 'escalation_policy', 'name': 'Engineering "
                             "Escalation', 'escalation_rules': [{'escalation_delay_in_minutes': "
                             "30, 'targets': [{'id': 'PEYSGVF', 'type': 'user_reference'}]}]}")),
    A("escalation_policy.delete", "Delete an escalation policy.", "DELETE",
      "/escalation_policies/{entity_id}", .shape = AS_DELETED, .params = p_id_policy,
      .example = EX("--entity_id=PT20YPA")),
    A("escalation_policy.find", "Find escalation policies.", "GET", "/escalation_policies",
      PAGED("escalation_policies"), .params = p_ep_find,
      .example = EX("--maximum=50", "--query=Engineering", "--include=['teams']")),
    A("escalation_policy.find_services", "List the services that use an escalation policy.", "GET",
      "/escalation_policies/{entity_id}", KEY("escalation_policy.services"),
      .query = "{\"include\": [\"services\"]}", .params = p_id_policy,
      .example = EX("--entity_id=PT20YPA")),
    A("escalation_policy.get", "Get an escalation policy.", "GET",
      "/escalation_policies/{entity_id}", KEY("escalation_policy"), .params = p_id_policy,
      .example = EX("--entity_id=PT20YPA")),
    A("event.acknowledge", "Acknowledge an alert through the Events API v2, by dedup key.", "POST",
      "/v2/enqueue", .flags = ACT_EVENTS, .body = "{\"event_action\": \"acknowledge\"}",
      .params = p_event_ack, .example = EX("--dedup_key=db-01.example.com/disk")),
    A("event.change", "Send a change event (a deploy, a config change) to a service.", "POST",
      "/v2/change/enqueue", .flags = ACT_EVENTS, .params = p_event_change,
      .example =
          EX("--summary=Deployed api v2.4.1", "--source=ci.example.com",
             "--custom_details={'commit': '8c95a6d', 'author': 'jane'}",
             "--links=[{'href': 'https://ci.example.com/builds/1234', 'text': 'Build 1234'}]")),
    A("event.resolve", "Resolve an alert through the Events API v2, by dedup key.", "POST",
      "/v2/enqueue", .flags = ACT_EVENTS, .body = "{\"event_action\": \"resolve\"}",
      .params = p_event_ack, .example = EX("--dedup_key=db-01.example.com/disk")),
    A("event.trigger", "Trigger an alert through the Events API v2.", "POST", "/v2/enqueue",
      .flags = ACT_EVENTS, .body = "{\"event_action\": \"trigger\"}", .params = p_event_trigger,
      .example = EX(
          "--summary=Disk 95% full on db-01", "--source=db-01.example.com", "--severity=critical",
          "--dedup_key=db-01.example.com/disk", "--component=postgresql", "--group=prod-db",
          "--custom_details={'free_bytes': 1073741824, 'mount': '/var/lib/pgsql'}",
          "--links=[{'href': 'https://grafana.example.com/d/disk', 'text': 'Disk dashboard'}]")),
    A("incident.acknowledge", "Acknowledge an incident.", "PUT", "/incidents/{entity_id}",
      .flags = ACT_NEEDS_FROM,
      .body = "{\"incident\": {\"type\": \"incident_reference\", \"status\": \"acknowledged\"}}",
      .params = p_incident_ack, .example = EX(FROM_EX, "--entity_id=PT4KHLK")),
    A("incident.acknowledge_many", "Acknowledge several incidents (250 per request).", "PUT",
      "/incidents", .flags = ACT_NEEDS_FROM,
      .body = "{\"incidents\": [{\"type\": \"incident_reference\", \"status\": \"acknowledged\"}]}",
      .params = p_incident_bulk, .handler = action_exec_bulk,
      .example = EX(FROM_EX, "--ids=['PT4KHLK', 'PQ1QWKZ']")),
    A("incident.add_responders", "Ask more users or escalation policies to help.", "POST",
      "/incidents/{entity_id}/responder_requests", KEY("responder_request"),
      .params = p_incident_responders, .one_of = E("user_ids", "escalation_policy_ids"),
      .example = EX("--entity_id=PT4KHLK", "--requester_id=PEYSGVF",
                    "--message=Please help with the database outage", "--user_ids=['PAM4FGS']")),
    A("incident.create.events_v1", "Trigger an incident through the Events API v1.", "POST",
      "/generic/2010-04-15/create_event.json", .flags = ACT_EVENTS,
      .body = "{\"event_type\": \"trigger\"}", .params = p_incident_create_v1,
      .example = EX("--description=Disk 95% full on db-01", "--client=nagios",
                    "--client_url=https://nagios.example.com", "--incident_key=db-01/disk",
                    "--details={'free_bytes': 1073741824}")),
    A("incident.create.rest_v2", "Create an incident through the REST API.", "POST", "/incidents",
      .flags = ACT_NEEDS_FROM, KEY("incident"), .wrap = "incident", .schema = f_incident,
      .params = p_incident_create,
      .example = EX(FROM_EX, "--data={'type': 'incident', 'title': 'Disk 95% full on db-01', "
                             "'service': {'id': 'PWIXJZS', 'type': 'service_reference'}, "
                             "'urgency': 'high', 'incident_key': 'db-01/disk'}")),
    A("incident.create.rest_v2.simple", "Create an incident from a title and a service.", "POST",
      "/incidents", .flags = ACT_NEEDS_FROM, KEY("incident"),
      .body = "{\"incident\": {\"type\": \"incident\"}}", .wrap = "incident", .schema = f_incident,
      .params = p_incident_create_simple,
      .example =
          EX(FROM_EX, "--title=Disk 95% full on db-01", "--service_id=PWIXJZS", "--urgency=high")),
    A("incident.create_note", "Add a note to an incident.", "POST", "/incidents/{entity_id}/notes",
      .flags = ACT_NEEDS_FROM, KEY("note"), .params = p_incident_note,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--content=Disk cleaned up, watching.")),
    A("incident.create_status_update", "Post a status update to an incident's subscribers.", "POST",
      "/incidents/{entity_id}/status_updates", .flags = ACT_NEEDS_FROM, KEY("status_update"),
      .params = p_incident_status_update,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK",
                    "--message=Failover done, error rates back to normal.")),
    A("incident.find", "Find incidents.", "GET", "/incidents", PAGED("incidents"),
      .params = p_incident_find,
      .example = EX("--maximum=100", "--statuses=['triggered', 'acknowledged']", "--urgencies=high",
                    "--time_zone=UTC")),
    A("incident.find_alerts", "List the alerts of an incident.", "GET",
      "/incidents/{entity_id}/alerts", PAGED("alerts"), .params = p_incident_alerts,
      .example = EX("--entity_id=PT4KHLK", "--maximum=10")),
    A("incident.find_log_entries", "List the log entries of an incident.", "GET",
      "/incidents/{entity_id}/log_entries", PAGED("log_entries"), .params = p_incident_log_entries,
      .example =
          EX("--entity_id=PT4KHLK", "--maximum=10", "--is_overview", "--include=['channels']")),
    A("incident.find_notes", "List the notes of an incident.", "GET",
      "/incidents/{entity_id}/notes", KEY("notes"), .params = p_id_incident,
      .example = EX("--entity_id=PT4KHLK")),
    A("incident.get", "Get an incident.", "GET", "/incidents/{entity_id}", KEY("incident"),
      .params = p_id_incident, .example = EX("--entity_id=PT4KHLK")),
    A("incident.merge", "Merge incidents into one.", "PUT", "/incidents/{entity_id}/merge",
      .flags = ACT_NEEDS_FROM, KEY("incident"), .params = p_incident_merge,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--source_incidents=['PQ1QWKZ']")),
    A("incident.reassign", "Assign an incident to other users.", "PUT", "/incidents/{entity_id}",
      .flags = ACT_NEEDS_FROM, .body = "{\"incident\": {\"type\": \"incident_reference\"}}",
      .params = p_incident_reassign,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--user_ids=['PEYSGVF']")),
    A("incident.resolve", "Resolve an incident.", "PUT", "/incidents/{entity_id}",
      .flags = ACT_NEEDS_FROM,
      .body = "{\"incident\": {\"type\": \"incident_reference\", \"status\": \"resolved\"}}",
      .params = p_incident_resolve,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--resolution=Rotated the logs.")),
    A("incident.resolve_many", "Resolve several incidents (250 per request).", "PUT", "/incidents",
      .flags = ACT_NEEDS_FROM,
      .body = "{\"incidents\": [{\"type\": \"incident_reference\", \"status\": \"resolved\"}]}",
      .params = p_incident_bulk, .handler = action_exec_bulk,
      .example = EX(FROM_EX, "--ids=['PT4KHLK', 'PQ1QWKZ']")),
    A("incident.snooze", "Snooze an acknowledged incident.", "POST",
      "/incidents/{entity_id}/snooze", .flags = ACT_NEEDS_FROM, KEY("incident"),
      .params = p_incident_snooze,
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--duration=3600")),
    A("incident.update",
      "Change an incident: title, urgency, priority, status, escalation, assignees.", "PUT",
      "/incidents/{entity_id}", .flags = ACT_NEEDS_FROM, KEY("incident"),
      .body = "{\"incident\": {\"type\": \"incident_reference\"}}", .params = p_incident_update,
      .one_of = E("title", "urgency", "status", "resolution", "priority", "escalation_level",
                  "escalation_policy", "assignments"),
      .example = EX(FROM_EX, "--entity_id=PT4KHLK", "--title=Database failover in progress",
                    "--urgency=high", "--escalation_level=2")),
    A("integration.get", "Get an integration of a service.", "GET",
      "/services/{entity_id}/integrations/{resource_id}", KEY("integration"),
      .params = p_service_resource, .example = EX("--entity_id=PIJ90N7", "--resource_id=PE1U9CH")),
    A("log_entry.find", "Find log entries of the account.", "GET", "/log_entries",
      PAGED("log_entries"), .params = p_log_entry_find,
      .example = EX("--maximum=10", "--since=2026-11-20T00:00:00Z", "--is_overview")),
    A("log_entry.get", "Get a log entry.", "GET", "/log_entries/{entity_id}", KEY("log_entry"),
      .params = p_log_entry_get, .example = EX("--entity_id=Q02JTSNZWHSEKV")),
    A("maintenance_window.create", "Create a maintenance window.", "POST", "/maintenance_windows",
      .flags = ACT_NEEDS_FROM, KEY("maintenance_window"), .wrap = "maintenance_window",
      .schema = f_maintenance_window, .params = p_mw_create,
      .example =
          EX(FROM_EX, "--data={'type': 'maintenance_window', 'start_time': '2026-12-01T22:00:00Z', "
                      "'end_time': '2026-12-01T23:00:00Z', 'description': 'Database upgrade', "
                      "'services': [{'id': 'PIJ90N7', 'type': 'service_reference'}]}")),
    A("maintenance_window.create.simple", "Create a maintenance window for one service.", "POST",
      "/maintenance_windows", .flags = ACT_NEEDS_FROM, KEY("maintenance_window"),
      .body = "{\"maintenance_window\": {\"type\": \"maintenance_window\"}}",
      .wrap = "maintenance_window", .schema = f_maintenance_window, .params = p_mw_create_simple,
      .example = EX(FROM_EX, "--start_time=2026-12-01T22:00:00Z", "--end_time=2026-12-01T23:00:00Z",
                    "--description=Database upgrade", "--service_id=PIJ90N7")),
    A("maintenance_window.delete", "Delete a future maintenance window or end an ongoing one.",
      "DELETE", "/maintenance_windows/{entity_id}", .shape = AS_DELETED, .params = p_id_mw,
      .example = EX("--entity_id=PW98YIO")),
    A("maintenance_window.find", "Find maintenance windows.", "GET", "/maintenance_windows",
      PAGED("maintenance_windows"), .params = p_mw_find,
      .example = EX("--filter=ongoing", "--service_ids=['PIJ90N7']")),
    A("maintenance_window.get", "Get a maintenance window.", "GET",
      "/maintenance_windows/{entity_id}", KEY("maintenance_window"), .params = p_mw_get,
      .example = EX("--entity_id=PW98YIO")),
    A("notification.find", "Find notifications sent to users (at most 3 months at once).", "GET",
      "/notifications", PAGED("notifications"), .params = p_notification_find,
      .handler = action_exec_notifications,
      .example = EX("--since=2026-11-01T00:00:00Z", "--until=2026-11-27T00:00:00Z",
                    "--filter=sms_notification")),
    A("on_call.find", "Find on-call entries.", "GET", "/oncalls", PAGED("oncalls"),
      .params = p_on_call_find,
      .example = EX("--escalation_policy_ids=['PT20YPA']", "--include=['users']", "--earliest")),
    A("oncall.who", "Who is on call now for a service or an escalation policy, by level.", "GET",
      "/oncalls", .params = p_oncall_who, .one_of = E("service_id", "escalation_policy_id"),
      .handler = action_exec_oncall_who, .example = EX("--service_id=PIJ90N7")),
    A("schedule.create", "Create a schedule.", "POST", "/schedules", KEY("schedule"),
      .wrap = "schedule", .schema = f_schedule, .params = p_schedule_create,
      .example =
          EX("--data={'type': 'schedule', 'name': 'Primary on-call', 'time_zone': 'Europe/Berlin', "
             "'schedule_layers': [{'start': '2026-12-01T09:00:00Z', 'rotation_virtual_start': "
             "'2026-12-01T09:00:00Z', 'rotation_turn_length_seconds': 604800, 'users': [{'user': "
             "{'id': 'PEYSGVF', 'type': 'user_reference'}}]}]}")),
    A("schedule.delete", "Delete a schedule.", "DELETE", "/schedules/{entity_id}",
      .shape = AS_DELETED, .params = p_id_schedule, .example = EX("--entity_id=PI7DH85")),
    A("schedule.find", "Find schedules.", "GET", "/schedules", PAGED("schedules"),
      .params = p_schedule_find, .example = EX("--query=Primary", "--maximum=10")),
    A("schedule.get", "Get a schedule with its entries.", "GET", "/schedules/{entity_id}",
      KEY("schedule"), .params = p_schedule_get,
      .example = EX("--entity_id=PI7DH85", "--since=2026-11-27T00:00:00Z",
                    "--until=2026-12-04T00:00:00Z")),
    A("schedule.get_on_call", "List the users on call in a schedule.", "GET",
      "/schedules/{entity_id}/users", .params = p_schedule_users,
      .example = EX("--entity_id=PI7DH85")),
    A("service.create", "Create a service.", "POST", "/services", KEY("service"), .wrap = "service",
      .schema = f_service, .params = p_service_create,
      .example =
          EX(FROM_EX,
             "--data={'type': 'service', 'name': 'Checkout API', 'escalation_policy': {'id': "
             "'PT20YPA', 'type': 'escalation_policy_reference'}, 'auto_resolve_timeout': 14400}")),
    A("service.create.simple", "Create a service from its name and escalation policy.", "POST",
      "/services", KEY("service"), .wrap = "service", .schema = f_service,
      .params = p_service_create_simple,
      .example = EX(FROM_EX, "--name=Checkout API", "--escalation_policy_id=PT20YPA",
                    "--description=Payments and checkout")),
    A("service.delete", "Delete a service.", "DELETE", "/services/{entity_id}", .shape = AS_DELETED,
      .params = p_id_service, .example = EX("--entity_id=PIJ90N7")),
    A("service.find", "Find services.", "GET", "/services", PAGED("services"),
      .params = p_service_find,
      .example = EX("--query=Checkout", "--include=['escalation_policies']")),
    A("service.find_integrations", "List the integrations of a service.", "GET",
      "/services/{entity_id}", KEY("service.integrations"),
      .query = "{\"include\": [\"integrations\"]}", .params = p_id_service,
      .example = EX("--entity_id=PIJ90N7")),
    A("service.get", "Get a service.", "GET", "/services/{entity_id}", KEY("service"),
      .params = p_service_get, .example = EX("--entity_id=PIJ90N7", "--include=['teams']")),
    A("service.get_integrations", "Get an integration of a service.", "GET",
      "/services/{entity_id}/integrations/{resource_id}", KEY("integration"),
      .params = p_service_integration,
      .example = EX("--entity_id=PIJ90N7", "--resource_id=PE1U9CH")),
    A("team.add_escalation_policy", "Add an escalation policy to a team.", "PUT",
      "/teams/{entity_id}/escalation_policies/{escalation_policy}", .shape = AS_SUCCESS,
      .params = p_team_policy, .example = EX("--entity_id=PQ9K7I8", "--escalation_policy=PT20YPA")),
    A("team.add_user", "Add a user to a team.", "PUT", "/teams/{entity_id}/users/{user}",
      .shape = AS_SUCCESS, .params = p_team_add_user,
      .example = EX("--entity_id=PQ9K7I8", "--user=PEYSGVF", "--role=responder")),
    A("team.create", "Create a team.", "POST", "/teams", KEY("team"), .wrap = "team",
      .schema = f_team, .params = p_team_create,
      .example = EX("--data={'type': 'team', 'name': 'Database', 'description': 'Owns the database "
                    "services'}")),
    A("team.create.simple", "Create a team from its name.", "POST", "/teams", KEY("team"),
      .wrap = "team", .schema = f_team, .params = p_team_create_simple,
      .example = EX("--name=Database", "--description=Owns the database services")),
    A("team.delete", "Delete a team.", "DELETE", "/teams/{entity_id}", .shape = AS_DELETED,
      .params = p_id_team, .example = EX("--entity_id=PQ9K7I8")),
    A("team.find", "Find teams.", "GET", "/teams", PAGED("teams"), .params = p_team_find,
      .example = EX("--query=Data")),
    A("team.get", "Get a team.", "GET", "/teams/{entity_id}", KEY("team"), .params = p_id_team,
      .example = EX("--entity_id=PQ9K7I8")),
    A("team.remove_escalation_policy", "Remove an escalation policy from a team.", "DELETE",
      "/teams/{entity_id}/escalation_policies/{escalation_policy}", .shape = AS_SUCCESS,
      .params = p_team_policy, .example = EX("--entity_id=PQ9K7I8", "--escalation_policy=PT20YPA")),
    A("team.remove_user", "Remove a user from a team.", "DELETE", "/teams/{entity_id}/users/{user}",
      .shape = AS_SUCCESS, .params = p_team_user,
      .example = EX("--entity_id=PQ9K7I8", "--user=PEYSGVF")),
    A("user.create", "Create a user.", "POST", "/users", .flags = ACT_NEEDS_FROM, KEY("user"),
      .wrap = "user", .schema = f_user, .params = p_user_create,
      .example = EX(FROM_EX, "--data={'type': 'user', 'name': 'Jane Doe', 'email': "
                             "'jane@example.com', 'role': 'user', 'time_zone': 'Europe/Berlin'}")),
    A("user.create.simple", "Create a user from a name and an email address.", "POST", "/users",
      .flags = ACT_NEEDS_FROM, KEY("user"), .wrap = "user", .schema = f_user,
      .params = p_user_create_simple,
      .example = EX(FROM_EX, "--name=Jane Doe", "--email=jane@example.com",
                    "--time_zone=Europe/Berlin", "--job_title=SRE")),
    A("user.create_contact_method", "Create a contact method of a user.", "POST",
      "/users/{entity_id}/contact_methods", .wrap = "contact_method", .schema = f_contact_method,
      .params = p_user_contact_create,
      .example = EX("--entity_id=PEYSGVF", "--data={'type': 'email_contact_method', 'label': "
                                           "'Work', 'address': 'jane@example.com'}")),
    A("user.create_contact_method.simple", "Create a contact method of a user from its fields.",
      "POST", "/users/{entity_id}/contact_methods", .wrap = "contact_method",
      .schema = f_contact_method, .params = p_user_contact_create_simple,
      .example = EX("--entity_id=PEYSGVF", "--type=email_contact_method", "--label=Work",
                    "--address=jane@example.com")),
    A("user.create_notification_rule", "Create a notification rule of a user.", "POST",
      "/users/{entity_id}/notification_rules", .wrap = "notification_rule",
      .schema = f_notification_rule, .params = p_user_rule_create,
      .example = EX("--entity_id=PEYSGVF",
                    "--data={'start_delay_in_minutes': 0, 'contact_method': {'id': 'PDJKF3N', "
                    "'type': 'email_contact_method_reference'}, 'urgency': 'high'}")),
    A("user.create_notification_rule.simple",
      "Create a notification rule of a user from its fields.", "POST",
      "/users/{entity_id}/notification_rules",
      .body = "{\"notification_rule\": {\"type\": \"assignment_notification_rule\"}}",
      .wrap = "notification_rule", .schema = f_notification_rule,
      .params = p_user_rule_create_simple,
      .example = EX("--entity_id=PEYSGVF", "--start_delay_in_minutes=5",
                    "--contact_method_id=PDJKF3N", "--contact_method_type=email_contact_method")),
    A("user.delete", "Delete a user.", "DELETE", "/users/{entity_id}", .shape = AS_DELETED,
      .params = p_id_user, .example = EX("--entity_id=PEYSGVF")),
    A("user.delete_contact_method", "Delete a contact method of a user.", "DELETE",
      "/users/{entity_id}/contact_methods/{resource_id}", .shape = AS_SUCCESS,
      .params = p_user_resource, .example = EX("--entity_id=PEYSGVF", "--resource_id=PDJKF3N")),
    A("user.delete_notification_rule", "Delete a notification rule of a user.", "DELETE",
      "/users/{entity_id}/notification_rules/{resource_id}", .shape = AS_SUCCESS,
      .params = p_user_rule, .example = EX("--entity_id=PEYSGVF", "--resource_id=PXPGF42")),
    A("user.find", "Find users.", "GET", "/users", PAGED("users"), .params = p_user_find,
      .example = EX("--query=jane", "--team_ids=['PQ9K7I8']")),
    A("user.find_contact_methods", "List the contact methods of a user.", "GET",
      "/users/{entity_id}/contact_methods", KEY("contact_methods"), .params = p_id_user,
      .example = EX("--entity_id=PEYSGVF")),
    A("user.find_notification_rules", "List the notification rules of a user.", "GET",
      "/users/{entity_id}/notification_rules", KEY("notification_rules"), .params = p_user_rules,
      .example = EX("--entity_id=PEYSGVF")),
    A("user.get", "Get a user.", "GET", "/users/{entity_id}", KEY("user"), .params = p_id_user,
      .example = EX("--entity_id=PEYSGVF")),
    A("user.get_contact_method", "Get a contact method of a user.", "GET",
      "/users/{entity_id}/contact_methods/{resource_id}", KEY("contact_method"),
      .params = p_user_resource, .example = EX("--entity_id=PEYSGVF", "--resource_id=PDJKF3N")),
    A("user.get_notification_rule", "Get a notification rule of a user.", "GET",
      "/users/{entity_id}/notification_rules/{resource_id}", KEY("notification_rule"),
      .params = p_user_rule_get, .example = EX("--entity_id=PEYSGVF", "--resource_id=PXPGF42")),
    A("webhook_subscription.create",
      "Subscribe a URL to V3 webhooks; prints the signing secret, which PagerDuty shows only once.",
      "POST", "/webhook_subscriptions", KEY("webhook_subscription"),
      .body = "{\"webhook_subscription\": {\"type\": \"webhook_subscription\", "
              "\"delivery_method\": {\"type\": \"http_delivery_method\"}}}",
      .wrap = "webhook_subscription", .schema = f_webhook, .params = p_webhook_create,
      .handler = action_exec_webhook_create,
      .example = EX("--url=https://st2.example.com/webhooks/pagerduty",
                    "--events=['incident.triggered', 'incident.acknowledged', 'incident.resolved']",
                    "--description=StackStorm")),
    A("webhook_subscription.delete", "Delete a webhook subscription.", "DELETE",
      "/webhook_subscriptions/{entity_id}", .shape = AS_DELETED, .params = p_id_webhook,
      .example = EX("--entity_id=PY1OQX2")),
    A("webhook_subscription.list", "List webhook subscriptions.", "GET", "/webhook_subscriptions",
      PAGED("webhook_subscriptions"), .params = p_webhook_list,
      .example = EX("--filter_type=service", "--filter_id=PIJ90N7")),
    A("webhook_subscription.ping", "Send a test event (pagey.ping) to a subscription.", "POST",
      "/webhook_subscriptions/{entity_id}/ping", .shape = AS_SUCCESS, .params = p_id_webhook,
      .example = EX("--entity_id=PY1OQX2")),
};
const size_t action_count = sizeof action_table / sizeof action_table[0];

/* clang-format off */
#define ALIAS_FAIL \
	"{% else %}\n" \
	"{% if execution.result.stderr.error is defined %}" \
	"Failed: {{ execution.result.stderr.error.message }}" \
	"{% else %}Failed: {{ execution.result.stderr }}{% endif %}\n" \
	"{% endif %}\n"
/* clang-format on */

/*
 * The original pack's ChatOps aliases. local-shell-script results live in
 * execution.result.stdout (the JSON run prints), not .result; and the
 * statuses default is written the way st2 splits alias arrays (on commas),
 * where the pack's "[triggered,acknowledged]" became "[triggered".
 */
/* clang-format off */
const struct action_alias action_aliases[] = {
    {"acknowledge_incident", "incident.acknowledge", "Acknowledge a PagerDuty incident.",
     "ack incident id {{entity_id}} from {{from_email}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Confirming {{ execution.result.stdout.incident.id }} is acknowledged\n"
     ALIAS_FAIL},
    {"find_incidents", "incident.find", "List open PagerDuty incidents.",
     "get open incidents {{statuses=triggered,acknowledged}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "{% for item in execution.result.stdout %}\n"
     "{{ item.id }} is '{{ item.status }}': Title '{{ item.title }}'\n"
     "{% endfor %}\n"
     ALIAS_FAIL},
    {"launch_incident", "incident.create.events_v1", "Trigger a PagerDuty incident.",
     "create incident {{description}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Successfully triggered event with inc de-dup key: "
     "{{ execution.result.stdout.incident_key }}\n"
     ALIAS_FAIL},
    {"resolve_incident", "incident.resolve", "Resolve a PagerDuty incident.",
     "resolve incident id {{entity_id}} from {{from_email}}",
     "{% if execution.status == \"succeeded\" %}\n"
     "Confirming {{ execution.result.stdout.incident.id }} is resolved\n"
     ALIAS_FAIL},
};
/* clang-format on */
const size_t action_nalias = sizeof action_aliases / sizeof action_aliases[0];

/* table_bsearch() finds a row by the name it begins with. */
_Static_assert(offsetof(struct action, name) == 0, "an action does not begin with its name");

/* The action called name, or NULL. */
const struct action *
action_find(const char *name)
{
	return table_bsearch(name, action_table, action_count, sizeof action_table[0]);
}

/* The parameter called name of an action, or NULL. */
const struct action_param *
action_param_find(const struct action *act, const char *name)
{
	const struct action_param *p;

	for (p = act->params; p->name != NULL; p++) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* A default's JSON text as a value; the table is trusted, so bad text is fatal. */
json_t *
action_json(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fatal("actions: bad JSON in the table: %s: %s", text, jerr.text);
	return v;
}
