/*
 * table.h: what the files of the action table share, and nothing outside
 * actions/ sees: the macros its parameter lists and data schemas are
 * written with, and the lists and schemas that the rows (table.c) or
 * another API area's schemas point at, each defined in the file of its
 * area (table_incidents.c, table_services.c, table_users.c,
 * table_account.c).
 */
#ifndef ACTIONS_TABLE_H
#define ACTIONS_TABLE_H

#include "st2pd.h"

/* clang-format off */
#define E(...) ((const char *const[]){__VA_ARGS__, NULL})
#define S(s)   "\"" s "\""

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

/* table_incidents.c */
extern const struct action_field f_incident[];
extern const struct action_param p_alert_resolve[], p_event_ack[], p_event_change[],
    p_event_trigger[], p_incident_ack[], p_incident_bulk[], p_incident_responders[],
    p_incident_create_v1[], p_incident_create[], p_incident_create_simple[], p_incident_note[],
    p_incident_status_update[], p_incident_find[], p_id_incident[], p_incident_alerts[],
    p_incident_log_entries[], p_incident_merge[], p_incident_reassign[], p_incident_resolve[],
    p_incident_snooze[], p_incident_update[], p_log_entry_find[], p_log_entry_get[];

/* table_services.c */
extern const struct action_field f_ref_service[], f_ref_policy[], f_service[],
    f_escalation_policy[], f_schedule[];
extern const struct action_param p_ep_create[], p_id_policy[], p_ep_find[], p_service_resource[],
    p_on_call_find[], p_oncall_who[], p_schedule_create[], p_id_schedule[], p_schedule_find[],
    p_schedule_get[], p_schedule_users[], p_service_create[], p_service_create_simple[],
    p_id_service[], p_service_find[], p_service_get[], p_service_integration[];

/* table_users.c */
extern const struct action_field f_ref_user[], f_ref_team[], f_user[], f_team[], f_contact_method[],
    f_notification_rule[];
extern const struct action_param p_notification_find[], p_team_policy[], p_team_add_user[],
    p_team_create[], p_team_create_simple[], p_id_team[], p_team_find[], p_team_user[],
    p_user_create[], p_user_create_simple[], p_user_contact_create[],
    p_user_contact_create_simple[], p_user_rule_create[], p_user_rule_create_simple[], p_id_user[],
    p_user_resource[], p_user_rule[], p_user_rule_get[], p_user_rules[], p_user_find[];

/* table_account.c */
extern const struct action_field f_maintenance_window[], f_webhook[];
extern const struct action_param p_mw_create[], p_mw_create_simple[], p_id_mw[], p_mw_find[],
    p_mw_get[], p_webhook_create[], p_id_webhook[], p_audit_find[], p_webhook_list[];

#endif
