/*
 * table_services.c: the parameter lists and data schemas of the service
 * actions of the table (table.c): services and their integrations, and who
 * answers for them: escalation policies, schedules, on-calls. The service
 * and escalation policy references other areas' schemas use are here too.
 */
#include "table.h"

/* Data schemas (st2-pagerduty-pack.md 2.9, with the nested fields the API really wants). */

const struct action_field f_ref_service[] = {
    F("id", PT_STRING, 1, "Service ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("service_reference"),
      .enums = E("service", "service_reference")),
    F_END,
};

const struct action_field f_ref_policy[] = {
    F("id", PT_STRING, 1, "Escalation policy ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("escalation_policy_reference"),
      .enums = E("escalation_policy", "escalation_policy_reference")),
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

const struct action_field f_service[] = {
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

const struct action_field f_escalation_policy[] = {
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

const struct action_field f_schedule[] = {
    F("type", PT_STRING, 1, "Always schedule.", .def = S("schedule"), .enums = E("schedule")),
    F("time_zone", PT_STRING, 1, "Time zone of the schedule.", .def = S("America/Los_Angeles")),
    F("name", PT_STRING, 0, "Name of the schedule."),
    F("description", PT_STRING, 0, "Description."),
    F("schedule_layers", PT_ARRAY, 1, "The layers.", .fields = f_layer),
    F_END,
};

/* Parameters, one list per action (or per family of actions that share them). */

const struct action_param p_ep_create[] = {
    P_FROM,
    P_DATA("escalation policy", "escalation_policy"),
    P_END,
};

const struct action_param p_id_policy[] = {
    P_ID("escalation policy"),
    P_END,
};

const struct action_param p_ep_find[] = {
    P_MAX,
    P_IDS("user_ids", "policies with these users as targets"),
    P_IDS("team_ids", "policies of these teams"),
    P_INCLUDE("services, teams, targets"),
    P_QUERY("policies"),
    P_END,
};

const struct action_param p_service_resource[] = {
    P_ID("service"),
    P_RES("integration"),
    P_INCLUDE("services, vendors"),
    P_END,
};

const struct action_param p_on_call_find[] = {
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

const struct action_param p_oncall_who[] = {
    P("service_id", PT_STRING, PW_LOCAL, 0, "Service: who is on call for its escalation policy."),
    P("escalation_policy_id", PT_STRING, PW_LOCAL, 0, "Escalation policy (instead of a service)."),
    P_TZ(S("UTC")),
    P_END,
};

const struct action_param p_schedule_create[] = {
    P("overflow", PT_BOOLEAN, PW_QUERY, 0, "Keep entries that overflow the date range.",
      .def = "false"),
    P_DATA("schedule", "schedule"),
    P_END,
};

const struct action_param p_id_schedule[] = {
    P_ID("schedule"),
    P_END,
};

const struct action_param p_schedule_find[] = {
    P_QUERY("schedules"),
    P_MAX,
    P_END,
};

const struct action_param p_schedule_get[] = {
    P_ID("schedule"), P_TZ(S("UTC")), P_SINCE, P_UNTIL, P_END,
};

const struct action_param p_schedule_users[] = {
    P_ID("schedule"),
    P_SINCE,
    P_UNTIL,
    P_END,
};

const struct action_param p_service_create[] = {
    P_FROM,
    P_DATA("service", "service"),
    P_END,
};

const struct action_param p_service_create_simple[] = {
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

const struct action_param p_id_service[] = {
    P_ID("service"),
    P_END,
};

const struct action_param p_service_find[] = {
    P_MAX,
    P_TZ(S("UTC")),
    P_INCLUDE("escalation_policies, teams, integrations"),
    P_IDS("team_ids", "services of these teams"),
    P_QUERY("services"),
    P_END,
};

const struct action_param p_service_get[] = {
    P_ID("service"),
    P_INCLUDE("escalation_policies, teams, integrations"),
    P_END,
};

const struct action_param p_service_integration[] = {
    P_ID("service"),
    P_RES("integration"),
    P_END,
};
