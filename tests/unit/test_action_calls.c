/*
 * test_action_calls.c: what a command line makes of an action, without a
 * network, as rows: st2's arguments in named and positional form for every
 * parameter type and the errors a bad command line gets (parse_rows), the
 * requests action_build_call() builds and the errors it gives
 * (build_rows), what run prints for an answer (shape_rows). A new case is
 * a new row. The table itself, its metadata and help are test_actions.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "actionrig.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Parameters of every type, for the argv tests. */
static const struct action_param types_params[] = {
    {.name = "s", .type = PT_STRING, .where = PW_QUERY, .description = "string"},
    {.name = "i", .type = PT_INTEGER, .where = PW_QUERY, .description = "integer"},
    {.name = "n", .type = PT_NUMBER, .where = PW_QUERY, .description = "number"},
    {.name = "b", .type = PT_BOOLEAN, .where = PW_QUERY, .description = "boolean"},
    {.name = "a", .type = PT_ARRAY, .where = PW_QUERY, .description = "array"},
    {.name = "o", .type = PT_OBJECT, .where = PW_BODY, .description = "object"},
    {.name = "write_config", .type = PT_BOOLEAN, .where = PW_LOCAL, .description = "dashes"},
    {.name = NULL},
};
static const struct action types_action = {.name = "test.types",
                                           .description = "every type, named",
                                           .method = "GET",
                                           .path = "/t",
                                           .params = types_params};

/* The same types, positional as st2 passes them (position 1..6), plus defaults. */
static const struct action_param pos_params[] = {
    {.name = "ps", .type = PT_STRING, .position = 1, .description = "string"},
    {.name = "pi", .type = PT_INTEGER, .position = 2, .description = "integer"},
    {.name = "pb", .type = PT_BOOLEAN, .position = 3, .description = "boolean"},
    {.name = "pa", .type = PT_ARRAY, .position = 4, .description = "array"},
    {.name = "po", .type = PT_OBJECT, .position = 5, .description = "object"},
    {.name = "pd", .type = PT_INTEGER, .position = 6, .def = "900", .description = "default"},
    {.name = "pr", .type = PT_INTEGER, .position = 7, .flags = PF_REQUIRED, .description = "req"},
    {.name = "named", .type = PT_STRING, .description = "a named one among them"},
    {.name = NULL},
};
static const struct action pos_action = {.name = "test.positional",
                                         .description = "every type, positional",
                                         .method = "GET",
                                         .path = "/t",
                                         .params = pos_params};

/* The action called name: the table's, or one of the two above. */
static const struct action *
find(const char *name)
{
	const struct action *a = strcmp(name, types_action.name) == 0 ? &types_action
	                         : strcmp(name, pos_action.name) == 0 ? &pos_action
	                                                              : action_find(name);

	if (a == NULL)
		fail_msg("no action %s", name);
	return a;
}

/*
 * One command line as st2 passes it and what action_parse_args makes of it:
 * the parameters (want, JSON) or an error (err) whose message holds says;
 * message, when set, is in the JSON error line run prints for it.
 */
static const struct parse_row {
	const char *action;
	const char *const *args;
	const char *want;
	enum pd_err err;
	const char *says;
	const char *message;
} parse_rows[] = {
    /* Named arguments of every type, in st2's encoding (Python repr). */
    {.action = "test.types",
     .args = ARGS("--s=hello world", "--i=42", "--n=1.5", "--b", "--a=['x', 'y z']",
                  "--o={'k': 1, 't': True, 'n': None}", "--write-config"),
     .want =
         "{\"s\": \"hello world\", \"i\": 42, \"n\": 1.5, \"b\": true, \"a\": [\"x\", \"y z\"], "
         "\"o\": {\"k\": 1, \"t\": true, \"n\": null}, \"write_config\": true}"},
    /* JSON is accepted too; false spelled out. */
    {.action = "test.types",
     .args = ARGS("--a=[\"x\"]", "--o={\"k\": [1, 2]}", "--b=False", "--i=-7"),
     .want = "{\"a\": [\"x\"], \"o\": {\"k\": [1, 2]}, \"b\": false, \"i\": -7}"},
    /* Nothing given: nothing set (no defaults in this table). */
    {.action = "test.types", .want = "{}"},
    /* An empty named value is what st2 never sends: absent, like None. */
    {.action = "test.types", .args = ARGS("--s="), .want = "{}"},
    /* Positionals, st2's other encoding: named first, then in position order. */
    {.action = "test.positional",
     .args = ARGS("--named=n", "text", "12", "1", "a,b", "{\"k\":true}", "5", "3"),
     .want =
         "{\"named\": \"n\", \"ps\": \"text\", \"pi\": 12, \"pb\": true, \"pa\": [\"a\", \"b\"], "
         "\"po\": {\"k\": true}, \"pd\": 5, \"pr\": 3}"},
    /*
     * "" is a missing value: ps, pi, po absent; pb "0" is false; pa "" absent.
     * pd "" with a default, pr "" required: st2 wrote an integer 0 as "".
     */
    {.action = "test.positional",
     .args = ARGS("", "", "0", "", "", "", ""),
     .want = "{\"pb\": false, \"pd\": 0, \"pr\": 0}"},
    /* Named after the positionals (a human's order) is fine too. */
    {.action = "test.positional",
     .args = ARGS("t", "1", "0", "x", "{}", "", "9", "--named=late"),
     .want = "{\"ps\": \"t\", \"pi\": 1, \"pb\": false, \"pa\": [\"x\"], \"po\": {}, \"pd\": 0, "
             "\"pr\": 9, \"named\": \"late\"}"},
    /* Too few: the required positional is missing; too many; a bad value names its parameter. */
    {.action = "test.positional", .args = ARGS("t"), .err = PD_ERR_VALIDATION, .says = "pr"},
    {.action = "test.positional",
     .args = ARGS("a", "1", "1", "x", "{}", "1", "1", "extra"),
     .err = PD_ERR_USAGE,
     .says = "extra"},
    {.action = "test.positional",
     .args = ARGS("a", "twelve", "1", "x", "{}", "1", "1"),
     .err = PD_ERR_VALIDATION,
     .says = "pi"},
    /* Defaults of the table are applied; st2's actual parameters win over them. */
    {.action = "incident.snooze",
     .args = ARGS("--entity_id=P1"),
     .want = "{\"entity_id\": \"P1\", \"duration\": 900}"},
    {.action = "incident.find",
     .args = ARGS("--maximum=0", "--statuses=['triggered']"),
     .want = "{\"maximum\": 0, \"statuses\": [\"triggered\"]}"},
    {.action = "log_entry.find",
     .args = ARGS("--is_overview"),
     .want = "{\"maximum\": 25, \"time_zone\": \"UTC\", \"is_overview\": true}"},
    /* The pack's integer-0 default (start_delay_in_minutes) stays an integer. */
    {.action = "user.create_notification_rule.simple",
     .args = ARGS("--entity_id=P1", "--contact_method_id=C",
                  "--contact_method_type=sms_contact_method"),
     .want = "{\"entity_id\": \"P1\", \"contact_method_id\": \"C\", \"contact_method_type\": "
             "\"sms_contact_method\", \"start_delay_in_minutes\": 0, \"urgency\": \"high\"}"},
    /* Usage and validation errors, each naming what is wrong, before any request. */
    {.action = "incident.get", .args = ARGS("--bogus=1"), .err = PD_ERR_USAGE, .says = "--bogus"},
    /* An argument that is not UTF-8, quoted: run's JSON error line keeps it (fuzzing). */
    {.action = "incident.get", .args = ARGS("--\xff"), .err = PD_ERR_USAGE, .message = "--? for"},
    {.action = "incident.get",
     .args = ARGS("P123"),
     .err = PD_ERR_USAGE,
     .says = "P123"}, /* no positional parameters */
    {.action = "incident.get",
     .args = ARGS("--entity_id=A", "--entity_id=B"),
     .err = PD_ERR_USAGE,
     .says = "twice"},
    {.action = "incident.get",
     .args = ARGS("--entity_id"),
     .err = PD_ERR_USAGE,
     .says = "entity_id"}, /* not a boolean */
    {.action = "incident.get", .args = ARGS("--"), .err = PD_ERR_USAGE},
    {.action = "incident.get",
     .err = PD_ERR_VALIDATION,
     .says = "missing required parameter entity_id"},
    {.action = "incident.acknowledge",
     .args = ARGS("--from_email=a@example.com"),
     .err = PD_ERR_VALIDATION,
     .says = "entity_id"},
    {.action = "incident.snooze",
     .args = ARGS("--entity_id=P", "--duration=soon"),
     .err = PD_ERR_VALIDATION,
     .says = "--duration"},
    {.action = "incident.find",
     .args = ARGS("--urgencies=medium"),
     .err = PD_ERR_VALIDATION,
     .says = "medium"},
    /* The pack alias's old default, "[triggered", is refused, not sent. */
    {.action = "incident.find",
     .args = ARGS("--statuses=[triggered,acknowledged]"),
     .err = PD_ERR_VALIDATION},
    {.action = "incident.find",
     .args = ARGS("--statuses=triggered,bogus"),
     .err = PD_ERR_VALIDATION,
     .says = "bogus"},
    /* find_incidents' alias default parses the way st2 splits alias arrays. */
    {.action = "incident.find",
     .args = ARGS("--statuses=triggered,acknowledged"),
     .want = "{\"statuses\": [\"triggered\", \"acknowledged\"], \"maximum\": 25}"},
    {.action = "incident.update",
     .args = ARGS("--entity_id=P"),
     .err = PD_ERR_VALIDATION,
     .says = "--title"},
    {.action = "oncall.who", .err = PD_ERR_VALIDATION, .says = "--service_id"},
    {.action = "event.trigger",
     .args = ARGS("--summary=s", "--source=h", "--links=[{'text': 'no href'}]"),
     .err = PD_ERR_VALIDATION,
     .says = "links[0].href"},
    {.action = "incident.create.rest_v2",
     .args = ARGS("--data=['not', 'a dict']"),
     .err = PD_ERR_VALIDATION,
     .says = "--data"},
};

static void
test_parse_rows(void **state)
{
	const struct parse_row *r;
	json_t *params, *e;
	char *why, *where;
	enum pd_err err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(parse_rows); i++) {
		r = &parse_rows[i];
		where = xasprintf("parse_rows[%zu] %s", i, r->action);
		params = NULL;
		why = NULL;
		err = action_parse_args(find(r->action), act_count_args(r->args), (char **)r->args,
		                        &params, &why);
		if (err != (r->want != NULL ? PD_OK : r->err))
			fail_msg("%s: got %s (%s)", where, pd_errcode(err), why ? why : "");
		if (r->want != NULL) {
			act_assert_json(params, r->want, where);
		} else {
			assert_null(params);
			assert_non_null(why);
			if (r->says != NULL && strstr(why, r->says) == NULL)
				fail_msg("%s: \"%s\" does not say %s", where, why, r->says);
			if (r->message != NULL) {
				e = action_error(err, why);
				assert_non_null(strstr(
				    json_string_value(json_object_get(e, "message")), r->message));
				json_decref(e);
			}
		}
		json_decref(params);
		free(why);
		free(where);
	}
}

/*
 * One action's arguments, the config it runs with, and the request
 * action_build_call() builds: each field that is set is checked (query and
 * body as JSON, "null" for none; from "" for no From header). Or the error
 * it gives (err), whose message is is, or holds says. example 1 takes the action's own example
 * arguments, 2 the same without the first.
 */
static const struct build_row {
	const char *action;
	const char *const *args;
	int example;
	enum cfg_kind cfg;
	enum pd_err err;
	const char *is, *says;
	const char *method, *path, *query, *body, *from, *collection;
	const char *api;     /* "rest" or "events" */
	const char *maximum; /* the item limit of a paged call, "0" for all */
	const char *page;    /* "none", "offset" or "cursor" */
} build_rows[] = {
#define BUILD(a, ...)                                                                              \
	{                                                                                          \
		.action = a, __VA_ARGS__                                                           \
	}
    /* The create actions check their whole data object, nested fields too. */
    BUILD("incident.create.rest_v2", .args = ARGS("--data={'type': 'incident', 'title': 't'}"),
          .err = PD_ERR_VALIDATION, .is = "data.service: required"),
    BUILD("incident.create.rest_v2",
          .args = ARGS("--data={'title': 't', 'service': {'type': 'service_reference'}}"),
          .err = PD_ERR_VALIDATION, .is = "data.service.id: required"),
    BUILD("incident.create.rest_v2",
          .args = ARGS("--data={'title': 't', 'service': {'id': 'S'}, 'urgency': 'urgent'}"),
          .err = PD_ERR_VALIDATION, .says = "data.urgency: \"urgent\" is not one of: high, low"),
    BUILD("incident.create.rest_v2",
          .args = ARGS("--data={'title': 't', 'service': {'id': 'S'}, 'assignments': "
                       "[{'assignee': {'id': 'U'}}, {'id': 'U2'}]}"),
          .err = PD_ERR_VALIDATION, .is = "data.assignments[1].assignee: required"),
    BUILD("escalation_policy.create",
          .args = ARGS(
              "--data={'name': 'EP', 'escalation_rules': [{'escalation_delay_in_minutes': 30}]}"),
          .err = PD_ERR_VALIDATION, .is = "data.escalation_rules[0].targets: required"),
    BUILD("escalation_policy.create",
          .args = ARGS("--data={'name': 'EP', 'num_loops': 'twice', 'escalation_rules': []}"),
          .err = PD_ERR_VALIDATION, .is = "data.num_loops: expected an integer"),
    BUILD("schedule.create",
          .args = ARGS("--data={'schedule_layers': [{'start': 'x', 'rotation_virtual_start': 'x', "
                       "'users': [{'user': {'type': 'user_reference'}}]}]}"),
          .err = PD_ERR_VALIDATION, .is = "data.schedule_layers[0].users[0].user.id: required"),
    BUILD("service.create",
          .args = ARGS("--data={'name': 'S', 'support_hours': {'days_of_week': [1, 'Tuesday']}, "
                       "'escalation_policy': {'id': 'E'}}"),
          .err = PD_ERR_VALIDATION,
          .is = "data.support_hours.days_of_week[1]: expected an integer"),
    BUILD("user.create", .args = ARGS("--data={'name': 'N', 'email': 'e@x', 'color': 'pink'}"),
          .err = PD_ERR_VALIDATION, .says = "data.color"),
    /* Defaults fill in what the schema defaults: types, rotation length. */
    BUILD("incident.create.rest_v2",
          .args = ARGS("--data={'title': 'Disk full', 'service': {'id': 'PSVC'}}"),
          .body = "{\"incident\": {\"title\": \"Disk full\", \"type\": \"incident\", "
                  "\"service\": {\"id\": \"PSVC\", \"type\": \"service_reference\"}}}"),
    BUILD("user.create_notification_rule",
          .args = ARGS("--entity_id=U", "--data={'contact_method': {'id': 'C'}}"),
          .body = "{\"notification_rule\": {\"type\": \"assignment_notification_rule\", "
                  "\"start_delay_in_minutes\": 0, \"contact_method\": {\"id\": \"C\"}, "
                  "\"urgency\": \"high\"}}"),

    /* Path values are escaped; no pre-GET: one PUT with the wrapped status. */
    BUILD("incident.acknowledge",
          .args = ARGS("--entity_id=P/1 2?x", "--from_email=me@example.com"), .method = "PUT",
          .path = "/incidents/P%2F1%202%3Fx", .api = "rest", .from = "me@example.com",
          .query = "null",
          .body = "{\"incident\": {\"type\": \"incident_reference\", \"status\": "
                  "\"acknowledged\"}}"),
    /* From falls back to the config. */
    BUILD("incident.resolve", .args = ARGS("--entity_id=P1", "--resolution=fixed"),
          .from = "config@example.com",
          .body = "{\"incident\": {\"resolution\": \"fixed\", \"type\": "
                  "\"incident_reference\", \"status\": \"resolved\"}}"),
    /* Lists: arrays stay arrays (pd_request writes key[]=v), booleans are booleans. */
    BUILD("incident.find",
          .args = ARGS("--statuses=['triggered', 'acknowledged']", "--urgencies=high",
                       "--user_ids=PU1,PU2", "--time_zone=Europe/Berlin"),
          .method = "GET", .path = "/incidents", .page = "offset", .maximum = "25",
          .collection = "incidents", .body = "null",
          .query = "{\"statuses\": [\"triggered\", \"acknowledged\"], \"urgencies\": "
                   "[\"high\"], \"user_ids\": [\"PU1\", \"PU2\"], \"time_zone\": "
                   "\"Europe/Berlin\"}"),
    BUILD("on_call.find", .args = ARGS("--earliest", "--maximum=0"), .maximum = "0",
          .query = "{\"time_zone\": \"UTC\", \"earliest\": true}"),
    BUILD("schedule.create", .example = 1, .query = "{\"overflow\": false}"),
    /* Nested lists: one request, every page. */
    BUILD("incident.find_log_entries", .args = ARGS("--entity_id=P1"), .page = "offset",
          .maximum = "0", .query = "{\"time_zone\": \"UTC\", \"is_overview\": false}"),
    /* team.remove_user, fixed; no from_email parameter: no From header. */
    BUILD("team.remove_user", .args = ARGS("--entity_id=PT", "--user=PU"), .method = "DELETE",
          .path = "/teams/PT/users/PU", .body = "null", .from = ""),
    /* Lists of IDs become references. */
    BUILD("incident.reassign", .args = ARGS("--entity_id=P1", "--user_ids=['U1', 'U2']"),
          .body = "{\"incident\": {\"assignments\": [{\"assignee\": {\"id\": \"U1\", \"type\": "
                  "\"user_reference\"}}, {\"assignee\": {\"id\": \"U2\", \"type\": "
                  "\"user_reference\"}}], \"type\": \"incident_reference\"}}"),
    BUILD("incident.merge", .args = ARGS("--entity_id=P1", "--source_incidents=['P2']"),
          .body = "{\"source_incidents\": [{\"id\": \"P2\", \"type\": "
                  "\"incident_reference\"}]}"),
    BUILD("incident.add_responders",
          .args = ARGS("--entity_id=P1", "--requester_id=U0", "--message=help", "--user_ids=['U1']",
                       "--escalation_policy_ids=['E1']"),
          .body = "{\"requester_id\": \"U0\", \"message\": \"help\", "
                  "\"responder_request_targets\": [{\"responder_request_target\": {\"id\": "
                  "\"U1\", \"type\": \"user_reference\"}}, {\"responder_request_target\": "
                  "{\"id\": \"E1\", \"type\": \"escalation_policy_reference\"}}]}"),
    BUILD("incident.acknowledge_many", .args = ARGS("--ids=['P1', 'P2']"), .path = "/incidents",
          .body = "{\"incidents\": [{\"id\": \"P1\", \"type\": \"incident_reference\", "
                  "\"status\": \"acknowledged\"}, {\"id\": \"P2\", \"type\": "
                  "\"incident_reference\", \"status\": \"acknowledged\"}]}"),
    BUILD("maintenance_window.create.simple",
          .args = ARGS("--start_time=A", "--end_time=B", "--service_id=S1"),
          .body = "{\"maintenance_window\": {\"start_time\": \"A\", \"end_time\": \"B\", "
                  "\"services\": [{\"id\": \"S1\", \"type\": \"service_reference\"}], "
                  "\"type\": \"maintenance_window\"}}"),
    BUILD("incident.create.rest_v2.simple",
          .args = ARGS("--title=T", "--service_id=S", "--details=D"),
          .body = "{\"incident\": {\"title\": \"T\", \"service\": {\"id\": \"S\", \"type\": "
                  "\"service_reference\"}, \"body\": {\"details\": \"D\", \"type\": "
                  "\"incident_body\"}, \"type\": \"incident\"}}"),
    BUILD(
        "incident.update",
        ARGS("--entity_id=P1", "--priority=PRI", "--escalation_level=2", "--escalation_policy=EP"),
        .body = "{\"incident\": {\"priority\": {\"id\": \"PRI\", \"type\": "
                "\"priority_reference\"}, \"escalation_level\": 2, \"escalation_policy\": "
                "{\"id\": \"EP\", \"type\": \"escalation_policy_reference\"}, \"type\": "
                "\"incident_reference\"}}"),
    BUILD("service.find_integrations", .args = ARGS("--entity_id=S1"),
          .query = "{\"include\": [\"integrations\"]}"),
    BUILD("webhook_subscription.create",
          .args = ARGS("--url=https://h/x", "--events=incident.triggered", "--write-config"),
          .body = "{\"webhook_subscription\": {\"delivery_method\": {\"url\": \"https://h/x\", "
                  "\"type\": \"http_delivery_method\"}, \"events\": [\"incident.triggered\"], "
                  "\"filter\": {\"type\": \"account_reference\"}, \"type\": "
                  "\"webhook_subscription\"}}"),

    /* From: required where PagerDuty requires it, and it must look like an email. */
    BUILD("incident.acknowledge", .args = ARGS("--entity_id=P1"), .cfg = CFG_NO_FROM,
          .err = PD_ERR_VALIDATION, .says = "from_email"),
    BUILD("incident.create_note", .args = ARGS("--entity_id=P1", "--content=x"), .cfg = CFG_NO_FROM,
          .err = PD_ERR_VALIDATION, .says = "from_email"),
    BUILD("incident.acknowledge", .args = ARGS("--entity_id=P1", "--from_email=None"),
          .cfg = CFG_NO_FROM, .err = PD_ERR_VALIDATION, .says = "not an email address"),
    /* Optional From (escalation policies): none is fine; the Events API needs none. */
    BUILD("escalation_policy.create", .example = 2, .cfg = CFG_NO_FROM, .from = ""),
    BUILD("event.resolve", .args = ARGS("--dedup_key=k"), .cfg = CFG_NO_FROM, .from = ""),

    /* Events API: no API key needed, the key in the body from the config, never in the URL. */
    BUILD("incident.create.events_v1",
          .args =
              ARGS("--description=Disk full", "--incident_key=db-01/disk", "--details={'free': 1}"),
          .cfg = CFG_NO_API_KEY, .api = "events", .method = "POST",
          .path = "/generic/2010-04-15/create_event.json", .query = "null", .from = "",
          .body = "{\"service_key\": \"0123456789abcdef0123456789abcdef\", \"description\": "
                  "\"Disk full\", \"details\": {\"free\": 1}, \"incident_key\": "
                  "\"db-01/disk\", \"event_type\": \"trigger\"}"),
    /* A key given as a parameter wins (and is still only in the body). */
    BUILD("event.trigger",
          .args = ARGS("--routing_key=R0123", "--summary=S", "--source=h", "--component=c",
                       "--custom_details={'a': [1]}", "--images=[{'src': 'https://i/x.png'}]"),
          .cfg = CFG_NO_API_KEY, .path = "/v2/enqueue", .query = "null",
          .body = "{\"routing_key\": \"R0123\", \"payload\": {\"summary\": \"S\", \"source\": "
                  "\"h\", \"severity\": \"error\", \"component\": \"c\", \"custom_details\": "
                  "{\"a\": [1]}}, \"images\": [{\"src\": \"https://i/x.png\"}], "
                  "\"event_action\": \"trigger\"}"),
    BUILD("event.change", .args = ARGS("--summary=deploy"), .cfg = CFG_NO_API_KEY,
          .path = "/v2/change/enqueue",
          .body = "{\"routing_key\": \"0123456789abcdef0123456789abcdef\", \"payload\": "
                  "{\"summary\": \"deploy\"}}"),
    /* No key anywhere: refused before sending. REST needs the API key. */
    BUILD("event.acknowledge", .args = ARGS("--dedup_key=k"), .cfg = CFG_NO_KEYS,
          .err = PD_ERR_VALIDATION, .says = "routing_key"),
    BUILD("incident.create.events_v1", .args = ARGS("--description=x"), .cfg = CFG_NO_KEYS,
          .err = PD_ERR_VALIDATION, .says = "service_key"),
    BUILD("incident.get", .args = ARGS("--entity_id=P1"), .cfg = CFG_NO_KEYS, .err = PD_ERR_CONFIG,
          .says = "API key"),
#undef BUILD
};

/* Checks the request c against the set fields of row r. */
static void
check_request(const struct build_row *r, const struct action_call *c, const char *where)
{
	if (r->method != NULL)
		assert_string_equal(c->call.method, r->method);
	if (r->path != NULL)
		assert_string_equal(c->call.path, r->path);
	if (r->query != NULL)
		act_assert_json(c->call.query, r->query, where);
	if (r->body != NULL)
		act_assert_json(c->call.body, r->body, where);
	if (r->from != NULL && *r->from == '\0')
		assert_null(c->call.from);
	else if (r->from != NULL)
		assert_string_equal(c->call.from, r->from);
	if (r->api != NULL)
		assert_string_equal(c->call.events ? "events" : "rest", r->api);
	if (r->maximum != NULL)
		assert_int_equal(c->call.maximum, strtol(r->maximum, NULL, 10));
	if (r->page != NULL)
		assert_string_equal(c->call.page == PD_PAGE_OFFSET   ? "offset"
		                    : c->call.page == PD_PAGE_CURSOR ? "cursor"
		                                                     : "none",
		                    r->page);
	if (r->collection != NULL)
		assert_string_equal(c->call.collection, r->collection);
}

static void
test_build_rows(void **state)
{
	const struct build_row *r;
	const struct action *act;
	const char *const *args;
	struct pd_config *cfg;
	struct action_call c;
	json_t *params;
	char *why, *where;
	enum pd_err err;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(build_rows); i++) {
		r = &build_rows[i];
		act = find(r->action);
		args = r->example ? act->example + (r->example - 1) : r->args;
		where = xasprintf("build_rows[%zu] %s", i, r->action);
		cfg = act_config(r->cfg);
		params = act_parse_ok(act, args);
		why = NULL;
		err = action_build_call(act, params, cfg, &c, &why);
		json_decref(params);
		if (err != r->err)
			fail_msg("%s: got %s (%s)", where, pd_errcode(err), why ? why : "");
		if (err == PD_OK) {
			check_request(r, &c, where);
			action_call_free(&c);
		} else {
			assert_non_null(why);
			if (r->is != NULL && strcmp(why, r->is) != 0)
				fail_msg("%s: \"%s\", want \"%s\"", where, why, r->is);
			if (r->says != NULL && strstr(why, r->says) == NULL)
				fail_msg("%s: \"%s\" does not say %s", where, why, r->says);
		}
		free(why);
		config_free(cfg);
		free(where);
	}
}

/* What run prints for an answer (NULL: 204, no body). */
static const struct shape_row {
	const char *action;
	const char *answer;
	const char *prints;
} shape_rows[] = {
    {"incident.get", "{\"incident\": {\"id\": \"P1\"}}", "{\"id\": \"P1\"}"},
    /* raw, as the pack */
    {"incident.acknowledge", "{\"incident\": {\"id\": \"P1\"}}",
     "{\"incident\": {\"id\": \"P1\"}}"},
    {"service.find_integrations", "{\"service\": {\"integrations\": [{\"id\": \"I\"}]}}",
     "[{\"id\": \"I\"}]"},
    {"incident.find", "[{\"id\": \"a\"}, {\"id\": \"b\"}]", "[{\"id\": \"a\"}, {\"id\": \"b\"}]"},
    {"user.delete", NULL, "{\"deleted\": true}"},
    {"team.add_user", NULL, "{\"success\": true}"},
};

static void
test_shape_rows(void **state)
{
	json_t *answer, *out;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(shape_rows); i++) {
		answer = shape_rows[i].answer != NULL ? t_json(shape_rows[i].answer) : NULL;
		out = action_shape_result(find(shape_rows[i].action), answer);
		act_assert_json(out, shape_rows[i].prints, shape_rows[i].action);
		json_decref(out);
		json_decref(answer);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_rows),
	    cmocka_unit_test(test_build_rows),
	    cmocka_unit_test(test_shape_rows),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
