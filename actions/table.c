/*
 * table.c: every action st2-pagerduty runs, as one sorted descriptor table
 * (tmux cmd_entry, Redis command table), one row per action. The rows
 * point at parameter lists and data schemas kept in one file per area of
 * PagerDuty's API (table_incidents.c, table_services.c, table_users.c,
 * table_account.c, declared in table.h); the pack's ChatOps aliases are in
 * aliases.c, the lookup in the table in lookup.c. What is derived from the
 * rows lives elsewhere: their metadata for st2, `actions --json` and help
 * (metadata.c), the check of a value against a data schema (check.c),
 * running them (exec.c).
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
 *
 * The rows are one array in this one file while what they point at is
 * split by area: lookup is a bsearch over one sorted array, and
 * action_table[] with action_count is the single list that run, actions,
 * pack and help walk, so a row can be neither missed nor listed twice.
 * The parameter lists and schemas, most of the lines, grow with each new
 * action of an area and are found in that area's file.
 */
#include "table.h"

/* clang-format off */
#define EX(...) E(__VA_ARGS__)
/* clang-format on */

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
