/*
 * table_users.c: the parameter lists and data schemas of the user actions
 * of the table (table.c): users, their contact methods, notification rules
 * and the notifications sent to them, and teams. The user and team
 * references other areas' schemas use are here too.
 */
#include "table.h"

/* Enums the user schemas and the parameters of their simple variants share. */

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

const struct action_field f_ref_user[] = {
    F("id", PT_STRING, 1, "User ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("user_reference"),
      .enums = E("user", "user_reference")),
    F_END,
};

const struct action_field f_ref_team[] = {
    F("id", PT_STRING, 1, "Team ID."),
    F("type", PT_STRING, 1, "Reference type.", .def = S("team_reference"),
      .enums = E("team", "team_reference")),
    F_END,
};

const struct action_field f_user[] = {
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

const struct action_field f_team[] = {
    F("type", PT_STRING, 1, "Always team.", .def = S("team"), .enums = E("team", "team_reference")),
    F("name", PT_STRING, 1, "Name of the team."),
    F("description", PT_STRING, 0, "Description."),
    F_END,
};

const struct action_field f_contact_method[] = {
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

const struct action_field f_notification_rule[] = {
    F("type", PT_STRING, 1, "Always assignment_notification_rule.",
      .def = S("assignment_notification_rule"), .enums = E("assignment_notification_rule")),
    F("start_delay_in_minutes", PT_INTEGER, 1, "Minutes after assignment.", .def = "0"),
    F("contact_method", PT_OBJECT, 1, "The contact method to use.", .fields = f_rule_contact),
    F("urgency", PT_STRING, 1, "Incidents of this urgency.", .def = S("high"),
      .enums = E("high", "low")),
    F_END,
};

/* Parameters, one list per action (or per family of actions that share them). */

const struct action_param p_notification_find[] = {
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

const struct action_param p_team_policy[] = {
    P_ID("team"),
    P("escalation_policy", PT_STRING, PW_PATH, R, "ID of the escalation policy."),
    P_END,
};

const struct action_param p_team_add_user[] = {
    P_ID("team"),
    P("user", PT_STRING, PW_PATH, R, "ID of the user."),
    P("role", PT_STRING, PW_BODY, 0, "Role of the user in the team.",
      .enums = E("observer", "responder", "manager")),
    P_END,
};

const struct action_param p_team_create[] = {
    P_DATA("team", "team"),
    P_END,
};

const struct action_param p_team_create_simple[] = {
    P("type", PT_STRING, PW_BODY, R, "Type of the object.", .def = S("team"),
      .enums = E("team", "team_reference"), .field = "team.type"),
    P("name", PT_STRING, PW_BODY, R, "Name of the team.", .field = "team.name"),
    P("description", PT_STRING, PW_BODY, 0, "Description.", .field = "team.description"),
    P_END,
};

const struct action_param p_id_team[] = {
    P_ID("team"),
    P_END,
};

const struct action_param p_team_find[] = {
    P_MAX,
    P_QUERY("teams"),
    P_END,
};

const struct action_param p_team_user[] = {
    P_ID("team"),
    P("user", PT_STRING, PW_PATH, R, "ID of the user."),
    P_END,
};

const struct action_param p_user_create[] = {
    P_FROM,
    P_DATA("user", "user"),
    P_END,
};

const struct action_param p_user_create_simple[] = {
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

const struct action_param p_user_contact_create[] = {
    P_ID("user"),
    P_DATA("contact method", "contact_method"),
    P_END,
};

const struct action_param p_user_contact_create_simple[] = {
    P_ID("user"),
    P("type", PT_STRING, PW_BODY, R, "Kind of contact method.", .enums = contact_types,
      .field = "contact_method.type"),
    P("label", PT_STRING, PW_BODY, R, "Label (\"Work\", \"Mobile\").",
      .field = "contact_method.label"),
    P("address", PT_STRING, PW_BODY, R, "Email address, phone number or device.",
      .field = "contact_method.address"),
    P_END,
};

const struct action_param p_user_rule_create[] = {
    P_ID("user"),
    P_DATA("notification rule", "notification_rule"),
    P_END,
};

const struct action_param p_user_rule_create_simple[] = {
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

const struct action_param p_id_user[] = {
    P_ID("user"),
    P_END,
};

const struct action_param p_user_resource[] = {
    P_ID("user"),
    P_RES("contact method"),
    P_END,
};

const struct action_param p_user_rule[] = {
    P_ID("user"),
    P_RES("notification rule"),
    P_END,
};

const struct action_param p_user_rule_get[] = {
    P_ID("user"),
    P_RES("notification rule"),
    P_INCLUDE("contact_methods"),
    P_END,
};

const struct action_param p_user_rules[] = {
    P_ID("user"),
    P_INCLUDE("contact_methods"),
    P_END,
};

const struct action_param p_user_find[] = {
    P_MAX,
    P_IDS("team_ids", "users of these teams"),
    P_QUERY("users"),
    P_END,
};
