/*
 * table_account.c: the parameter lists and data schemas of the rest of the
 * table (table.c), the account-wide objects: maintenance windows, webhook
 * subscriptions and audit records.
 */
#include "table.h"

/* Data schemas (st2-pagerduty-pack.md 2.9, with the nested fields the API really wants). */

static const struct action_field f_mw_service[] = {
    F("id", PT_STRING, 1, "Service ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("service_reference"),
      .enums = E("service_reference")),
    F_END,
};

const struct action_field f_maintenance_window[] = {
    F("type", PT_STRING, 1, "Always maintenance_window.", .def = S("maintenance_window"),
      .enums = E("maintenance_window")),
    F("start_time", PT_STRING, 1, "Start (ISO 8601)."),
    F("end_time", PT_STRING, 1, "End (ISO 8601)."),
    F("description", PT_STRING, 0, "Description."),
    F("services", PT_ARRAY, 1, "Services in maintenance.", .fields = f_mw_service),
    F_END,
};

const struct action_field f_webhook[] = {
    F("type", PT_STRING, 1, "Always webhook_subscription.", .enums = E("webhook_subscription")),
    F("events", PT_ARRAY, 1, "Event types to deliver."),
    F_END,
};

/* Parameters, one list per action (or per family of actions that share them). */

const struct action_param p_mw_create[] = {
    P_FROM,
    P_DATA("maintenance window", "maintenance_window"),
    P_END,
};

const struct action_param p_mw_create_simple[] = {
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

const struct action_param p_id_mw[] = {
    P_ID("maintenance window"),
    P_END,
};

const struct action_param p_mw_find[] = {
    P_MAX,
    P_IDS("team_ids", "windows of these teams"),
    P_IDS("service_ids", "windows of these services"),
    P_INCLUDE("teams, services, users"),
    P("filter", PT_STRING, PW_QUERY, 0, "Which windows.",
      .enums = E("past", "future", "ongoing", "open", "all")),
    P_QUERY("windows"),
    P_END,
};

const struct action_param p_mw_get[] = {
    P_ID("maintenance window"),
    P_INCLUDE("teams, services, users"),
    P_END,
};

const struct action_param p_webhook_create[] = {
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

const struct action_param p_id_webhook[] = {
    P_ID("webhook subscription"),
    P_END,
};

const struct action_param p_audit_find[] = {
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

const struct action_param p_webhook_list[] = {
    P_MAX,
    P("filter_type", PT_STRING, PW_QUERY, 0, "Only subscriptions of this scope.",
      .enums = E("account", "service", "team")),
    P("filter_id", PT_STRING, PW_QUERY, 0, "Only subscriptions of this service or team."),
    P_END,
};
