/*
 * test_actions.c: the action table and everything derived from it without
 * a network: table integrity (sorted, the original pack's 64 enabled
 * actions plus team.remove_user, paths and parameters consistent, every
 * example valid), st2's arguments in named and positional form for every
 * parameter type, the errors a bad command line gets, the create actions'
 * data schemas, the requests action_build_call() builds, result shapes,
 * the st2 metadata and aliases, and the config edit of
 * webhook_subscription.create.
 *
 * Files are written under one mkdtemp directory, removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "st2pd.h"

static char *tmpdir;

/* The 65 action names of the original pack (st2-pagerduty-pack.md 2): 64 enabled +
 * team.remove_user. */
static const char *const parity_names[] = {
    /* 2.1 incidents */
    "incident.create.events_v1", "incident.create.rest_v2", "incident.create.rest_v2.simple",
    "incident.get", "incident.find", "incident.acknowledge", "incident.resolve", "incident.snooze",
    "incident.merge", "incident.reassign", "incident.create_note", "incident.find_notes",
    "incident.find_alerts", "incident.find_log_entries",
    /* 2.2 log entries, notifications, on-calls */
    "log_entry.find", "log_entry.get", "notification.find", "on_call.find",
    /* 2.3 schedules */
    "schedule.create", "schedule.delete", "schedule.find", "schedule.get", "schedule.get_on_call",
    /* 2.4 services and integrations */
    "service.create", "service.create.simple", "service.delete", "service.find", "service.get",
    "service.find_integrations", "service.get_integrations", "integration.get",
    /* 2.5 escalation policies */
    "escalation_policy.create", "escalation_policy.delete", "escalation_policy.find",
    "escalation_policy.get", "escalation_policy.find_services",
    /* 2.6 teams */
    "team.create", "team.create.simple", "team.delete", "team.find", "team.get", "team.add_user",
    "team.remove_user", "team.add_escalation_policy", "team.remove_escalation_policy",
    /* 2.7 users, contact methods, notification rules */
    "user.create", "user.create.simple", "user.delete", "user.find", "user.get",
    "user.find_contact_methods", "user.get_contact_method", "user.create_contact_method",
    "user.create_contact_method.simple", "user.delete_contact_method",
    "user.find_notification_rules", "user.get_notification_rule", "user.create_notification_rule",
    "user.create_notification_rule.simple", "user.delete_notification_rule",
    /* 2.8 maintenance windows */
    "maintenance_window.create", "maintenance_window.create.simple", "maintenance_window.delete",
    "maintenance_window.find", "maintenance_window.get"};

/* What the issue adds beyond the pack (issue 4, "Beyond the pack"). */
static const char *const new_names[] = {"event.trigger",
                                        "event.acknowledge",
                                        "event.resolve",
                                        "event.change",
                                        "incident.update",
                                        "incident.acknowledge_many",
                                        "incident.resolve_many",
                                        "incident.add_responders",
                                        "incident.create_status_update",
                                        "alert.resolve",
                                        "webhook_subscription.create",
                                        "webhook_subscription.list",
                                        "webhook_subscription.delete",
                                        "webhook_subscription.ping",
                                        "oncall.who"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A config with everything run may need; the caller frees. */
static struct pd_config *
full_config(void)
{
	struct pd_config *cfg = config_new();

	cfg->api_key = xstrdup("test-api-key");
	cfg->service_key = xstrdup("0123456789abcdef0123456789abcdef");
	cfg->from_email = xstrdup("config@example.com");
	return cfg;
}

/* Counts NULL-terminated strings. */
static int
count_args(const char *const *v)
{
	int n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

/* Parses args (NULL-terminated) for the action called name; asserts the result. */
static json_t *
parse_ok(const char *name, const char *const *args)
{
	const struct action *act = action_find(name);
	json_t *params = NULL;
	char *why = NULL;
	enum pd_err err;

	assert_non_null(act);
	err = action_parse_args(act, count_args(args), (char **)args, &params, &why);
	if (err != PD_OK)
		fail_msg("%s: %s", name, why);
	free(why);
	return params;
}

/* Parses args expecting err; returns the message (caller frees). */
static char *
parse_fail(const struct action *act, const char *const *args, enum pd_err want)
{
	json_t *params = NULL;
	char *why = NULL;
	enum pd_err err;

	err = action_parse_args(act, count_args(args), (char **)args, &params, &why);
	if (err != want)
		fail_msg("%s: expected %s, got %s (%s)", act->name, pd_errcode(want),
		         pd_errcode(err), why ? why : "");
	assert_null(params);
	assert_non_null(why);
	return why;
}

/* Parses args and builds the call of name with cfg; asserts both work. */
static void
build_ok(const char *name, const char *const *args, const struct pd_config *cfg,
         struct action_call *c)
{
	json_t *params = parse_ok(name, args);
	char *why = NULL;
	enum pd_err err;

	err = action_build_call(action_find(name), params, cfg, c, &why);
	json_decref(params);
	if (err != PD_OK)
		fail_msg("%s: build: %s", name, why);
}

/* Builds expecting err; returns the message (caller frees). */
static char *
build_fail(const char *name, const char *const *args, const struct pd_config *cfg, enum pd_err want)
{
	json_t *params = parse_ok(name, args);
	struct action_call c;
	char *why = NULL;
	enum pd_err err;

	err = action_build_call(action_find(name), params, cfg, &c, &why);
	json_decref(params);
	if (err != want)
		fail_msg("%s: expected %s, got %s (%s)", name, pd_errcode(want), pd_errcode(err),
		         why ? why : "");
	assert_non_null(why);
	return why;
}

/* Asserts that JSON value v equals the JSON text want. */
static void
assert_json(json_t *v, const char *want)
{
	json_t *w = json_loads(want, JSON_DECODE_ANY, NULL);
	char *got;

	assert_non_null(w);
	if (!json_equal(v, w)) {
		got = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
		                : xstrdup("(null)");
		fail_msg("got %s, want %s", got, want);
	}
	json_decref(w);
}

#define ARGS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Sorted, unique, found by action_find; the pack's names and the new ones are all there. */
static void
test_table_names(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(NELEM(parity_names), 65);
	for (i = 1; i < action_count; i++) {
		if (strcmp(action_table[i - 1].name, action_table[i].name) >= 0)
			fail_msg("not sorted: %s before %s", action_table[i - 1].name,
			         action_table[i].name);
	}
	for (i = 0; i < action_count; i++)
		assert_ptr_equal(action_find(action_table[i].name), &action_table[i]);
	for (i = 0; i < NELEM(parity_names); i++) {
		if (action_find(parity_names[i]) == NULL)
			fail_msg("parity action missing: %s", parity_names[i]);
	}
	for (i = 0; i < NELEM(new_names); i++) {
		if (action_find(new_names[i]) == NULL)
			fail_msg("new action missing: %s", new_names[i]);
	}
	assert_int_equal(action_count, NELEM(parity_names) + NELEM(new_names));
	assert_null(action_find("incident"));
	assert_null(action_find("incident.get.x"));
	assert_null(action_find(""));
}

/* Whether placeholder {name} is in path. */
static int
path_has(const char *path, const char *name)
{
	char *ph = xasprintf("{%s}", name);
	int found = strstr(path, ph) != NULL;

	free(ph);
	return found;
}

/* Every row and parameter is consistent with itself and with st2's rules. */
static void
test_table_integrity(void **state)
{
	static const char *const runner_params[] = {"env",
	                                            "cwd",
	                                            "sudo",
	                                            "sudo_password",
	                                            "timeout",
	                                            "kwarg_op",
	                                            "debug",
	                                            "content_version",
	                                            ACTION_NAME_PARAM};
	const struct action_param *p, *q;
	const struct action *a;
	const char *t, *close, *const *e;
	json_t *def;
	size_t i, j;
	char *name;
	int ok;

	(void)state;
	for (i = 0; i < action_count; i++) {
		a = &action_table[i];
		assert_non_null(a->description);
		assert_true(*a->description != '\0');
		assert_true(strcmp(a->method, "GET") == 0 || strcmp(a->method, "POST") == 0 ||
		            strcmp(a->method, "PUT") == 0 || strcmp(a->method, "DELETE") == 0);
		assert_int_equal(a->path[0], '/');
		if (a->flags & (ACT_PAGED | ACT_CURSOR)) {
			assert_non_null(a->collection);
			assert_int_equal(a->shape, AS_LIST);
		}
		if (a->shape == AS_KEY)
			assert_non_null(a->key);
		if (a->schema != NULL)
			assert_non_null(a->wrap);
		if (count_args(a->example) == 0)
			fail_msg("%s: no example", a->name);
		/* Every placeholder has a required path parameter. */
		for (t = a->path; (t = strchr(t, '{')) != NULL; t = close) {
			close = strchr(t, '}');
			assert_non_null(close);
			name = xstrndup(t + 1, (size_t)(close - t - 1));
			p = action_param_find(a, name);
			if (p == NULL || p->where != PW_PATH || !(p->flags & PF_REQUIRED))
				fail_msg("%s: {%s} has no required path parameter", a->name, name);
			free(name);
		}
		for (p = a->params; p->name != NULL; p++) {
			assert_non_null(p->description);
			if (p->where == PW_PATH && !path_has(a->path, p->name))
				fail_msg("%s: path parameter %s not in %s", a->name, p->name,
				         a->path);
			for (q = a->params; q < p; q++) {
				if (strcmp(q->name, p->name) == 0)
					fail_msg("%s: %s twice", a->name, p->name);
			}
			for (j = 0; j < NELEM(runner_params); j++) {
				if (strcmp(p->name, runner_params[j]) == 0)
					fail_msg("%s: %s is a runner parameter name", a->name,
					         p->name);
			}
			if (p->where == PW_FROM)
				assert_string_equal(p->name, "from_email");
			if (p->where == PW_LIMIT)
				assert_true(a->flags & (ACT_PAGED | ACT_CURSOR));
			if (p->flags & PF_SERVICE_KEY)
				assert_true((p->flags & PF_SECRET) && !(p->flags & PF_REQUIRED) &&
				            p->def == NULL);
			if (p->def == NULL)
				continue;
			/* A default is valid JSON of the parameter's type, within its enum. */
			def = json_loads(p->def, JSON_DECODE_ANY, NULL);
			if (def == NULL)
				fail_msg("%s: %s: default is not JSON: %s", a->name, p->name,
				         p->def);
			switch (p->type) {
			case PT_STRING:
				assert_true(json_is_string(def));
				break;
			case PT_INTEGER:
				assert_true(json_is_integer(def));
				break;
			case PT_NUMBER:
				assert_true(json_is_number(def));
				break;
			case PT_BOOLEAN:
				/* st2 leaves false out: a true default could never be turned off.
				 */
				if (!json_is_false(def))
					fail_msg("%s: %s: a boolean default must be false", a->name,
					         p->name);
				break;
			case PT_ARRAY:
				assert_true(json_is_array(def));
				break;
			case PT_OBJECT:
				assert_true(json_is_object(def));
				break;
			}
			if (p->enums != NULL && json_is_string(def)) {
				for (ok = 0, e = p->enums; *e != NULL; e++)
					ok |= strcmp(*e, json_string_value(def)) == 0;
				if (!ok)
					fail_msg("%s: %s: default %s not in its enum", a->name,
					         p->name, p->def);
			}
			json_decref(def);
		}
		for (e = a->one_of; e != NULL && *e != NULL; e++)
			assert_non_null(action_param_find(a, *e));
	}
}

/* Every example parses as st2 passes it, and builds into a request. */
static void
test_examples(void **state)
{
	struct pd_config *cfg = full_config();
	struct action_call c;
	size_t i;

	(void)state;
	for (i = 0; i < action_count; i++) {
		build_ok(action_table[i].name, action_table[i].example, cfg, &c);
		assert_non_null(c.call.path);
		assert_int_equal(c.call.path[0], '/');
		assert_null(strchr(c.call.path, '{'));
		action_call_free(&c);
	}
	config_free(cfg);
}

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

/* Named arguments of every type, in st2's encoding (Python repr) and in JSON. */
static void
test_argv_named(void **state)
{
	json_t *params;
	char *why;

	(void)state;
	assert_int_equal(
	    action_parse_args(&types_action, 7,
	                      (char **)ARGS("--s=hello world", "--i=42", "--n=1.5", "--b",
	                                    "--a=['x', 'y z']",
	                                    "--o={'k': 1, 't': True, 'n': None}", "--write-config"),
	                      &params, &why),
	    PD_OK);
	assert_json(params, "{\"s\": \"hello world\", \"i\": 42, \"n\": 1.5, \"b\": true, "
	                    "\"a\": [\"x\", \"y z\"], \"o\": {\"k\": 1, \"t\": true, \"n\": null}, "
	                    "\"write_config\": true}");
	json_decref(params);

	/* JSON is accepted too; false spelled out; false and null absent when st2 omits them. */
	assert_int_equal(action_parse_args(&types_action, 4,
	                                   (char **)ARGS("--a=[\"x\"]", "--o={\"k\": [1, 2]}",
	                                                 "--b=False", "--i=-7"),
	                                   &params, &why),
	                 PD_OK);
	assert_json(params, "{\"a\": [\"x\"], \"o\": {\"k\": [1, 2]}, \"b\": false, \"i\": -7}");
	json_decref(params);

	/* Nothing given: nothing set (no defaults in this table). */
	assert_int_equal(action_parse_args(&types_action, 0, NULL, &params, &why), PD_OK);
	assert_json(params, "{}");
	json_decref(params);

	/* An empty named value is what st2 never sends: absent, like None. */
	assert_int_equal(action_parse_args(&types_action, 1, (char **)ARGS("--s="), &params, &why),
	                 PD_OK);
	assert_json(params, "{}");
	json_decref(params);
}

/* Positional arguments, st2's other encoding, and the integer 0 quirk. */
static void
test_argv_positional(void **state)
{
	json_t *params;
	char *why;

	(void)state;
	/* st2: named first, then positionals in position order. */
	assert_int_equal(action_parse_args(&pos_action, 8,
	                                   (char **)ARGS("--named=n", "text", "12", "1", "a,b",
	                                                 "{\"k\":true}", "5", "3"),
	                                   &params, &why),
	                 PD_OK);
	assert_json(params, "{\"named\": \"n\", \"ps\": \"text\", \"pi\": 12, \"pb\": true, "
	                    "\"pa\": [\"a\", \"b\"], \"po\": {\"k\": true}, \"pd\": 5, \"pr\": 3}");
	json_decref(params);

	/*
	 * "" is a missing value: ps, pi, po absent; pb "0" is false; pa "" absent.
	 * pd "" with a default, pr "" required: st2 wrote an integer 0 as "".
	 */
	assert_int_equal(action_parse_args(&pos_action, 7,
	                                   (char **)ARGS("", "", "0", "", "", "", ""), &params,
	                                   &why),
	                 PD_OK);
	assert_json(params, "{\"pb\": false, \"pd\": 0, \"pr\": 0}");
	json_decref(params);

	/* Named after the positionals (a human's order) is fine too. */
	assert_int_equal(
	    action_parse_args(&pos_action, 8,
	                      (char **)ARGS("t", "1", "0", "x", "{}", "", "9", "--named=late"),
	                      &params, &why),
	    PD_OK);
	assert_json(params, "{\"ps\": \"t\", \"pi\": 1, \"pb\": false, \"pa\": [\"x\"], "
	                    "\"po\": {}, \"pd\": 0, \"pr\": 9, \"named\": \"late\"}");
	json_decref(params);

	/* Too few: the required positional is missing. */
	why = parse_fail(&pos_action, ARGS("t"), PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "pr"));
	free(why);
	/* Too many. */
	why = parse_fail(&pos_action, ARGS("a", "1", "1", "x", "{}", "1", "1", "extra"),
	                 PD_ERR_USAGE);
	assert_non_null(strstr(why, "extra"));
	free(why);
	/* A bad positional value names its parameter. */
	why = parse_fail(&pos_action, ARGS("a", "twelve", "1", "x", "{}", "1", "1"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "pi"));
	free(why);
}

/* Defaults of the table are applied; st2's actual parameters win over them. */
static void
test_argv_defaults(void **state)
{
	json_t *params;

	(void)state;
	params = parse_ok("incident.snooze", ARGS("--entity_id=P1"));
	assert_json(params, "{\"entity_id\": \"P1\", \"duration\": 900}");
	json_decref(params);
	params = parse_ok("incident.find", ARGS("--maximum=0", "--statuses=['triggered']"));
	assert_json(params, "{\"maximum\": 0, \"statuses\": [\"triggered\"]}");
	json_decref(params);
	params = parse_ok("log_entry.find", ARGS("--is_overview"));
	assert_json(params, "{\"maximum\": 25, \"time_zone\": \"UTC\", \"is_overview\": true}");
	json_decref(params);
	/* The pack's integer-0 default (start_delay_in_minutes) stays an integer. */
	params = parse_ok("user.create_notification_rule.simple",
	                  ARGS("--entity_id=P1", "--contact_method_id=C",
	                       "--contact_method_type="
	                       "sms_contact_method"));
	assert_json(json_object_get(params, "start_delay_in_minutes"), "0");
	json_decref(params);
}

/* Usage and validation errors, each naming what is wrong, before any request. */
static void
test_argv_errors(void **state)
{
	const struct action *get = action_find("incident.get");
	char *why;
	json_t *e;

	(void)state;
	why = parse_fail(get, ARGS("--bogus=1"), PD_ERR_USAGE);
	assert_non_null(strstr(why, "--bogus"));
	free(why);
	/* An argument that is not UTF-8, quoted: run's JSON error line keeps it (fuzzing). */
	why = parse_fail(get, ARGS("--\xff"), PD_ERR_USAGE);
	e = action_error(PD_ERR_USAGE, why);
	assert_non_null(strstr(json_string_value(json_object_get(e, "message")), "--? for"));
	json_decref(e);
	free(why);
	why = parse_fail(get, ARGS("P123"), PD_ERR_USAGE); /* no positional parameters */
	assert_non_null(strstr(why, "P123"));
	free(why);
	why = parse_fail(get, ARGS("--entity_id=A", "--entity_id=B"), PD_ERR_USAGE);
	assert_non_null(strstr(why, "twice"));
	free(why);
	why = parse_fail(get, ARGS("--entity_id"), PD_ERR_USAGE); /* bare, not a boolean */
	assert_non_null(strstr(why, "entity_id"));
	free(why);

	why = parse_fail(get, ARGS("--"), PD_ERR_USAGE);
	free(why);
	why = parse_fail(get, NULL, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "missing required parameter entity_id"));
	free(why);
	why = parse_fail(action_find("incident.acknowledge"), ARGS("--from_email=a@example.com"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "entity_id"));
	free(why);
	why = parse_fail(action_find("incident.snooze"), ARGS("--entity_id=P", "--duration=soon"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "--duration"));
	free(why);
	why =
	    parse_fail(action_find("incident.find"), ARGS("--urgencies=medium"), PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "medium"));
	free(why);
	/* The pack alias's old default, "[triggered", is refused, not sent. */
	why = parse_fail(action_find("incident.find"), ARGS("--statuses=[triggered,acknowledged]"),
	                 PD_ERR_VALIDATION);
	free(why);
	why = parse_fail(action_find("incident.find"), ARGS("--statuses=triggered,bogus"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "bogus"));
	free(why);
	why = parse_fail(action_find("incident.update"), ARGS("--entity_id=P"), PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "--title"));
	free(why);
	why = parse_fail(action_find("oncall.who"), NULL, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "--service_id"));
	free(why);
	why = parse_fail(action_find("event.trigger"),
	                 ARGS("--summary=s", "--source=h", "--links=[{'text': 'no href'}]"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "links[0].href"));
	free(why);
	why = parse_fail(action_find("incident.create.rest_v2"), ARGS("--data=['not', 'a dict']"),
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "--data"));
	free(why);
}

/* The create actions check their whole data object, nested fields too. */
static void
test_data_schema(void **state)
{
	struct pd_config *cfg = full_config();
	struct action_call c;
	char *why;

	(void)state;
	why = build_fail("incident.create.rest_v2",
	                 ARGS("--data={'type': 'incident', 'title': 't'}"), cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.service: required");
	free(why);
	why = build_fail("incident.create.rest_v2",
	                 ARGS("--data={'title': 't', 'service': {'type': 'service_reference'}}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.service.id: required");
	free(why);
	why = build_fail("incident.create.rest_v2",
	                 ARGS("--data={'title': 't', 'service': {'id': 'S'}, 'urgency': 'urgent'}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "data.urgency: \"urgent\" is not one of: high, low"));
	free(why);
	why = build_fail("incident.create.rest_v2",
	                 ARGS("--data={'title': 't', 'service': {'id': 'S'}, 'assignments': "
	                      "[{'assignee': {'id': 'U'}}, {'id': 'U2'}]}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.assignments[1].assignee: required");
	free(why);
	why = build_fail("escalation_policy.create",
	                 ARGS("--data={'name': 'EP', 'escalation_rules': "
	                      "[{'escalation_delay_in_minutes': 30}]}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.escalation_rules[0].targets: required");
	free(why);
	why =
	    build_fail("escalation_policy.create",
	               ARGS("--data={'name': 'EP', 'num_loops': 'twice', 'escalation_rules': []}"),
	               cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.num_loops: expected an integer");
	free(why);
	why = build_fail("schedule.create",
	                 ARGS("--data={'schedule_layers': [{'start': 'x', "
	                      "'rotation_virtual_start': 'x', 'users': [{'user': {'type': "
	                      "'user_reference'}}]}]}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.schedule_layers[0].users[0].user.id: required");
	free(why);
	why = build_fail("service.create",
	                 ARGS("--data={'name': 'S', 'support_hours': "
	                      "{'days_of_week': [1, 'Tuesday']}, "
	                      "'escalation_policy': {'id': 'E'}}"),
	                 cfg, PD_ERR_VALIDATION);
	assert_string_equal(why, "data.support_hours.days_of_week[1]: expected an integer");
	free(why);
	why =
	    build_fail("user.create", ARGS("--data={'name': 'N', 'email': 'e@x', 'color': 'pink'}"),
	               cfg, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "data.color"));
	free(why);

	/* Defaults fill in what the schema defaults: types, rotation length. */
	build_ok("incident.create.rest_v2",
	         ARGS("--data={'title': 'Disk full', 'service': {'id': 'PSVC'}}"), cfg, &c);
	assert_json(c.call.body,
	            "{\"incident\": {\"title\": \"Disk full\", \"type\": \"incident\", "
	            "\"service\": {\"id\": \"PSVC\", \"type\": \"service_reference\"}}}");
	action_call_free(&c);
	build_ok("user.create_notification_rule",
	         ARGS("--entity_id=U", "--data={'contact_method': {'id': 'C'}}"), cfg, &c);
	assert_json(c.call.body, "{\"notification_rule\": {\"type\": "
	                         "\"assignment_notification_rule\", \"start_delay_in_minutes\": 0, "
	                         "\"contact_method\": {\"id\": \"C\"}, \"urgency\": \"high\"}}");
	action_call_free(&c);
	config_free(cfg);
}

/* Requests as PagerDuty wants them: paths, queries, bodies, headers. */
static void
test_build_rest(void **state)
{
	struct pd_config *cfg = full_config();
	struct action_call c;

	(void)state;
	/* Path values are escaped; no pre-GET: one PUT with the wrapped status. */
	build_ok("incident.acknowledge", ARGS("--entity_id=P/1 2?x", "--from_email=me@example.com"),
	         cfg, &c);
	assert_string_equal(c.call.method, "PUT");
	assert_string_equal(c.call.path, "/incidents/P%2F1%202%3Fx");
	assert_int_equal(c.call.events, 0);
	assert_string_equal(c.call.from, "me@example.com");
	assert_null(c.call.query);
	assert_json(c.call.body, "{\"incident\": {\"type\": \"incident_reference\", \"status\": "
	                         "\"acknowledged\"}}");
	action_call_free(&c);

	/* From falls back to the config. */
	build_ok("incident.resolve", ARGS("--entity_id=P1", "--resolution=fixed"), cfg, &c);
	assert_string_equal(c.call.from, "config@example.com");
	assert_json(c.call.body, "{\"incident\": {\"resolution\": \"fixed\", \"type\": "
	                         "\"incident_reference\", \"status\": \"resolved\"}}");
	action_call_free(&c);

	/* Lists: arrays stay arrays (pd_request writes key[]=v), booleans are booleans. */
	build_ok("incident.find",
	         ARGS("--statuses=['triggered', 'acknowledged']", "--urgencies=high",
	              "--user_ids=PU1,PU2", "--time_zone=Europe/Berlin"),
	         cfg, &c);
	assert_string_equal(c.call.method, "GET");
	assert_string_equal(c.call.path, "/incidents");
	assert_int_equal(c.call.page, PD_PAGE_OFFSET);
	assert_string_equal(c.call.collection, "incidents");
	assert_int_equal(c.call.maximum, 25);
	assert_null(c.call.body);
	assert_json(c.call.query, "{\"statuses\": [\"triggered\", \"acknowledged\"], "
	                          "\"urgencies\": [\"high\"], \"user_ids\": [\"PU1\", \"PU2\"], "
	                          "\"time_zone\": \"Europe/Berlin\"}");
	action_call_free(&c);
	build_ok("on_call.find", ARGS("--earliest", "--maximum=0"), cfg, &c);
	assert_json(c.call.query, "{\"time_zone\": \"UTC\", \"earliest\": true}");
	assert_int_equal(c.call.maximum, 0);
	action_call_free(&c);
	build_ok("schedule.create", ARGS(action_find("schedule.create")->example[0]), cfg, &c);
	assert_json(json_object_get(c.call.query, "overflow"), "false");
	action_call_free(&c);

	/* Nested lists: one request, every page. */
	build_ok("incident.find_log_entries", ARGS("--entity_id=P1"), cfg, &c);
	assert_int_equal(c.call.page, PD_PAGE_OFFSET);
	assert_int_equal(c.call.maximum, 0);
	assert_json(c.call.query, "{\"time_zone\": \"UTC\", \"is_overview\": false}");
	action_call_free(&c);

	/* team.remove_user, fixed. */
	build_ok("team.remove_user", ARGS("--entity_id=PT", "--user=PU"), cfg, &c);
	assert_string_equal(c.call.method, "DELETE");
	assert_string_equal(c.call.path, "/teams/PT/users/PU");
	assert_null(c.call.body);
	assert_null(c.call.from); /* no from_email parameter: no From header */
	action_call_free(&c);

	/* Lists of IDs become references. */
	build_ok("incident.reassign", ARGS("--entity_id=P1", "--user_ids=['U1', 'U2']"), cfg, &c);
	assert_json(c.call.body,
	            "{\"incident\": {\"assignments\": [{\"assignee\": {\"id\": \"U1\", \"type\": "
	            "\"user_reference\"}}, {\"assignee\": {\"id\": \"U2\", \"type\": "
	            "\"user_reference\"}}], \"type\": \"incident_reference\"}}");
	action_call_free(&c);
	build_ok("incident.merge", ARGS("--entity_id=P1", "--source_incidents=['P2']"), cfg, &c);
	assert_json(c.call.body, "{\"source_incidents\": [{\"id\": \"P2\", \"type\": "
	                         "\"incident_reference\"}]}");
	action_call_free(&c);
	build_ok("incident.add_responders",
	         ARGS("--entity_id=P1", "--requester_id=U0", "--message=help", "--user_ids=['U1']",
	              "--escalation_policy_ids=['E1']"),
	         cfg, &c);
	assert_json(
	    c.call.body,
	    "{\"requester_id\": \"U0\", \"message\": \"help\", "
	    "\"responder_request_targets\": [{\"responder_request_target\": {\"id\": "
	    "\"U1\", \"type\": \"user_reference\"}}, {\"responder_request_target\": {\"id\": "
	    "\"E1\", \"type\": \"escalation_policy_reference\"}}]}");
	action_call_free(&c);
	build_ok("incident.acknowledge_many", ARGS("--ids=['P1', 'P2']"), cfg, &c);
	assert_string_equal(c.call.path, "/incidents");
	assert_json(c.call.body,
	            "{\"incidents\": [{\"id\": \"P1\", \"type\": \"incident_reference\", "
	            "\"status\": \"acknowledged\"}, {\"id\": \"P2\", \"type\": "
	            "\"incident_reference\", \"status\": \"acknowledged\"}]}");
	action_call_free(&c);
	build_ok("maintenance_window.create.simple",
	         ARGS("--start_time=A", "--end_time=B", "--service_id=S1"), cfg, &c);
	assert_json(c.call.body, "{\"maintenance_window\": {\"start_time\": \"A\", \"end_time\": "
	                         "\"B\", \"services\": [{\"id\": \"S1\", \"type\": "
	                         "\"service_reference\"}], \"type\": \"maintenance_window\"}}");
	action_call_free(&c);
	build_ok("incident.create.rest_v2.simple",
	         ARGS("--title=T", "--service_id=S", "--details=D"), cfg, &c);
	assert_json(c.call.body, "{\"incident\": {\"title\": \"T\", \"service\": {\"id\": \"S\", "
	                         "\"type\": \"service_reference\"}, \"body\": {\"details\": \"D\", "
	                         "\"type\": \"incident_body\"}, \"type\": \"incident\"}}");
	action_call_free(&c);
	build_ok("incident.update",
	         ARGS("--entity_id=P1", "--priority=PRI", "--escalation_level=2",
	              "--escalation_policy=EP"),
	         cfg, &c);
	assert_json(c.call.body, "{\"incident\": {\"priority\": {\"id\": \"PRI\", \"type\": "
	                         "\"priority_reference\"}, \"escalation_level\": 2, "
	                         "\"escalation_policy\": {\"id\": \"EP\", \"type\": "
	                         "\"escalation_policy_reference\"}, \"type\": "
	                         "\"incident_reference\"}}");
	action_call_free(&c);
	build_ok("service.find_integrations", ARGS("--entity_id=S1"), cfg, &c);
	assert_json(c.call.query, "{\"include\": [\"integrations\"]}");
	action_call_free(&c);
	build_ok("webhook_subscription.create",
	         ARGS("--url=https://h/x", "--events=incident.triggered", "--write-config"), cfg,
	         &c);
	assert_json(c.call.body,
	            "{\"webhook_subscription\": {\"delivery_method\": {\"url\": \"https://h/x\", "
	            "\"type\": \"http_delivery_method\"}, \"events\": [\"incident.triggered\"], "
	            "\"filter\": {\"type\": \"account_reference\"}, \"type\": "
	            "\"webhook_subscription\"}}");
	action_call_free(&c);
	config_free(cfg);
}

/* From: required where PagerDuty requires it, and it must look like an email. */
static void
test_build_from(void **state)
{
	struct pd_config *cfg = full_config();
	struct action_call c;
	char *why;

	(void)state;
	free(cfg->from_email);
	cfg->from_email = NULL;
	why = build_fail("incident.acknowledge", ARGS("--entity_id=P1"), cfg, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "from_email"));
	free(why);
	why = build_fail("incident.create_note", ARGS("--entity_id=P1", "--content=x"), cfg,
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "from_email"));
	free(why);
	why = build_fail("incident.acknowledge", ARGS("--entity_id=P1", "--from_email=None"), cfg,
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "not an email address"));
	free(why);
	/* Optional From (escalation policies): none is fine. */
	build_ok("escalation_policy.create", action_find("escalation_policy.create")->example + 1,
	         cfg, &c);
	assert_null(c.call.from);
	action_call_free(&c);
	/* Not needed at all by the Events API. */
	build_ok("event.resolve", ARGS("--dedup_key=k"), cfg, &c);
	assert_null(c.call.from);
	action_call_free(&c);
	config_free(cfg);
}

/* Events API: no API key needed, the key in the body from the config, never in the URL. */
static void
test_build_events(void **state)
{
	struct pd_config *cfg = full_config();
	struct action_call c;
	char *why;

	(void)state;
	free(cfg->api_key);
	cfg->api_key = NULL;
	build_ok(
	    "incident.create.events_v1",
	    ARGS("--description=Disk full", "--incident_key=db-01/disk", "--details={'free': 1}"),
	    cfg, &c);
	assert_int_equal(c.call.events, 1);
	assert_string_equal(c.call.method, "POST");
	assert_string_equal(c.call.path, "/generic/2010-04-15/create_event.json");
	assert_null(c.call.query);
	assert_null(c.call.from);
	assert_json(c.call.body, "{\"service_key\": \"0123456789abcdef0123456789abcdef\", "
	                         "\"description\": \"Disk full\", \"details\": {\"free\": 1}, "
	                         "\"incident_key\": \"db-01/disk\", \"event_type\": \"trigger\"}");
	action_call_free(&c);

	/* A key given as a parameter wins (and is still only in the body). */
	build_ok("event.trigger",
	         ARGS("--routing_key=R0123", "--summary=S", "--source=h", "--component=c",
	              "--custom_details={'a': [1]}", "--images=[{'src': 'https://i/x.png'}]"),
	         cfg, &c);
	assert_string_equal(c.call.path, "/v2/enqueue");
	assert_null(c.call.query);
	assert_json(c.call.body,
	            "{\"routing_key\": \"R0123\", \"payload\": {\"summary\": \"S\", "
	            "\"source\": \"h\", \"severity\": \"error\", \"component\": \"c\", "
	            "\"custom_details\": {\"a\": [1]}}, \"images\": [{\"src\": "
	            "\"https://i/x.png\"}], \"event_action\": \"trigger\"}");
	action_call_free(&c);
	build_ok("event.change", ARGS("--summary=deploy"), cfg, &c);
	assert_string_equal(c.call.path, "/v2/change/enqueue");
	assert_json(c.call.body, "{\"routing_key\": \"0123456789abcdef0123456789abcdef\", "
	                         "\"payload\": {\"summary\": \"deploy\"}}");
	action_call_free(&c);

	/* No key anywhere: refused before sending. */
	free(cfg->service_key);
	cfg->service_key = NULL;
	why = build_fail("event.acknowledge", ARGS("--dedup_key=k"), cfg, PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "routing_key"));
	free(why);
	why = build_fail("incident.create.events_v1", ARGS("--description=x"), cfg,
	                 PD_ERR_VALIDATION);
	assert_non_null(strstr(why, "service_key"));
	free(why);
	/* REST needs the API key. */
	why = build_fail("incident.get", ARGS("--entity_id=P1"), cfg, PD_ERR_CONFIG);
	assert_non_null(strstr(why, "API key"));
	free(why);
	config_free(cfg);
}

/* What run prints for an answer. */
static void
test_shape(void **state)
{
	json_t *answer, *out;

	(void)state;
	answer = json_loads("{\"incident\": {\"id\": \"P1\"}}", 0, NULL);
	out = action_shape_result(action_find("incident.get"), answer);
	assert_json(out, "{\"id\": \"P1\"}");
	json_decref(out);
	out =
	    action_shape_result(action_find("incident.acknowledge"), answer); /* raw, as the pack */
	assert_json(out, "{\"incident\": {\"id\": \"P1\"}}");
	json_decref(out);
	json_decref(answer);

	answer = json_loads("{\"service\": {\"integrations\": [{\"id\": \"I\"}]}}", 0, NULL);
	out = action_shape_result(action_find("service.find_integrations"), answer);
	assert_json(out, "[{\"id\": \"I\"}]");
	json_decref(out);
	json_decref(answer);

	answer = json_loads("[{\"id\": \"a\"}, {\"id\": \"b\"}]", 0, NULL);
	out = action_shape_result(action_find("incident.find"), answer);
	assert_json(out, "[{\"id\": \"a\"}, {\"id\": \"b\"}]");
	json_decref(out);
	json_decref(answer);

	out = action_shape_result(action_find("user.delete"), NULL);
	assert_json(out, "{\"deleted\": true}");
	json_decref(out);
	out = action_shape_result(action_find("team.add_user"), NULL);
	assert_json(out, "{\"success\": true}");
	json_decref(out);
}

/* The st2 metadata: launcher, action name parameter, env from the pack config, schemas. */
static void
test_metadata(void **state)
{
	json_t *m, *params, *p, *env;

	(void)state;
	m = action_metadata(action_find("incident.acknowledge"));
	assert_string_equal(json_string_value(json_object_get(m, "runner_type")),
	                    "local-shell-script");
	assert_string_equal(json_string_value(json_object_get(m, "entry_point")),
	                    "bin/st2-pagerduty");
	params = json_object_get(m, "parameters");
	assert_json(json_object_get(params, ACTION_NAME_PARAM),
	            "{\"type\": \"string\", \"description\": \"The action st2-pagerduty runs.\", "
	            "\"default\": \"incident.acknowledge\", \"immutable\": true, \"position\": 0}");
	p = json_object_get(params, "from_email");
	assert_null(json_object_get(p, "required")); /* the config's from_email may do */
	assert_true(
	    json_is_true(json_object_get(json_object_get(params, "entity_id"), "required")));
	env = json_object_get(params, "env");
	assert_null(json_object_get(env, "type")); /* a runner parameter's type is not overridden */
	assert_true(json_is_true(json_object_get(env, "immutable")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(env, "default"),
	                                                      "ST2_PAGERDUTY_API_KEY")),
	                    "{{ config_context.api_key | default('') }}");
	json_decref(m);

	m = action_metadata(action_find("incident.create.events_v1"));
	p = json_object_get(json_object_get(m, "parameters"), "service_key");
	assert_true(json_is_true(json_object_get(p, "secret")));
	assert_null(json_object_get(p, "default")); /* never rendered into argv */
	json_decref(m);

	m = action_metadata(action_find("escalation_policy.create"));
	p = json_object_get(json_object_get(m, "parameters"), "data");
	p = json_object_get(json_object_get(p, "properties"), "escalation_rules");
	assert_string_equal(json_string_value(json_object_get(p, "type")), "array");
	p = json_object_get(json_object_get(json_object_get(p, "items"), "properties"), "targets");
	assert_true(json_is_true(json_object_get(p, "required")));
	json_decref(m);

	m = action_describe(action_find("incident.find"));
	assert_string_equal(json_string_value(json_object_get(m, "paginated")), "offset");
	assert_string_equal(json_string_value(json_object_get(m, "api")), "rest");
	assert_true(json_array_size(json_object_get(m, "example")) > 0);
	json_decref(m);
}

/* The aliases point at real actions and parameters. */
static void
test_aliases(void **state)
{
	const struct action *act;
	const char *t, *end;
	json_t *m;
	char *name;
	size_t i;

	(void)state;
	assert_int_equal(action_nalias, 4);
	for (i = 0; i < action_nalias; i++) {
		act = action_find(action_aliases[i].action);
		assert_non_null(act);
		for (t = action_aliases[i].format; (t = strstr(t, "{{")) != NULL; t = end) {
			end = strstr(t, "}}");
			assert_non_null(end);
			name = xstrndup(t + 2, strcspn(t + 2, "=}"));
			if (action_param_find(act, name) == NULL)
				fail_msg("%s: {{%s}} is no parameter of %s", action_aliases[i].name,
				         name, act->name);
			free(name);
		}
		assert_non_null(strstr(action_aliases[i].result, "execution.result.stdout"));
		m = action_alias_metadata(&action_aliases[i]);
		name = xasprintf("pagerduty.%s", act->name);
		assert_string_equal(json_string_value(json_object_get(m, "action_ref")), name);
		free(name);
		json_decref(m);
	}
	/* find_incidents' default now parses the way st2 splits alias arrays. */
	assert_non_null(strstr(action_aliases[1].format, "{{statuses=triggered,acknowledged}}"));
	json_decref(parse_ok("incident.find", ARGS("--statuses=triggered,acknowledged")));
}

/* `run X --help` from the table. */
static void
test_help(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	action_help(action_find("incident.snooze"), f);
	fclose(f);
	assert_non_null(strstr(buf, "POST /incidents/{entity_id}/snooze"));
	assert_non_null(strstr(buf, "--duration=INTEGER"));
	assert_non_null(strstr(buf, "default 900"));
	assert_non_null(strstr(buf, "st2-pagerduty run incident.snooze "
	                            "--from_email=oncall@example.com --entity_id=PT4KHLK"));
	free(buf);
}

/* Writes text to dir/name; returns the path (caller frees). */
static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

/* The whole content of path (caller frees). */
static char *
slurp(const char *path)
{
	char *buf;
	size_t len;

	assert_int_equal(read_file(path, &buf, &len), PD_OK);
	return buf;
}

/* Asserts no temporary file was left beside the configs. */
static void
assert_no_tmp(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".tmp") != NULL)
			fail_msg("temporary file left: %s", e->d_name);
	}
	closedir(d);
}

/* webhook_subscription.create --write_config: only safe edits, verified before rename. */
static void
test_config_add_secret(void **state)
{
	struct stat st;
	char *path, *got, *why, *link;

	(void)state;
	/* A block list: a line after its last item, same indentation, comments kept. */
	path = write_file("list.yaml", "# my config\napi_key: k\nwebhook:\n  secrets:\n"
	                               "  - \"old\"   # the first\n  - {env: HOME}\n"
	                               "  path: /hook\nlog:\n  level: warn\n");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(config_add_secret(path, "n\"ew", &why), PD_OK);
	got = slurp(path);
	assert_string_equal(got, "# my config\napi_key: k\nwebhook:\n  secrets:\n"
	                         "  - \"old\"   # the first\n  - {env: HOME}\n  - \"n\\\"ew\"\n"
	                         "  path: /hook\nlog:\n  level: warn\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(path);

	/* Indented list, last line without a newline. */
	path = write_file("eof.yaml", "webhook:\n  secrets:\n    - a");
	assert_int_equal(config_add_secret(path, "b", &why), PD_OK);
	got = slurp(path);
	assert_string_equal(got, "webhook:\n  secrets:\n    - a\n    - \"b\"\n");
	free(got);
	free(path);

	/* No webhook section: one is appended. */
	path = write_file("none.yaml", "api_key: k\nfrom_email: a@example.com\n");
	assert_int_equal(config_add_secret(path, "s3", &why), PD_OK);
	got = slurp(path);
	assert_string_equal(got, "api_key: k\nfrom_email: a@example.com\n"
	                         "webhook:\n  secrets:\n    - \"s3\"\n");
	free(got);
	free(path);

	/* Refused, the file untouched: flow list, no list, JSON-style file, symlink, bad file. */
	path = write_file("flow.yaml", "webhook:\n  secrets: [a, b]\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "not a block list"));
	free(why);
	got = slurp(path);
	assert_string_equal(got, "webhook:\n  secrets: [a, b]\n");
	free(got);
	free(path);
	path = write_file("nolist.yaml", "webhook:\n  path: /x\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "no secrets list"));
	free(why);
	free(path);
	path = write_file("json.yaml", "{\"api_key\": \"k\"}\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "block mapping"));
	free(why);
	link = xasprintf("%s/link.yaml", tmpdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(config_add_secret(link, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "symbolic link"));
	free(why);
	free(link);
	free(path);
	path = write_file("bad.yaml", "webhook:\n  secrets:\n    - a\nbogus_key: 1\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "does not load"));
	free(why);
	free(path);
	path = xasprintf("%s/missing.yaml", tmpdir);
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "missing.yaml not changed"));
	free(why);
	free(path);
	assert_no_tmp();
}

/* Removes one path for nftw. */
static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	char tmpl[] = "/tmp/st2pd-actions-XXXXXX";

	(void)state;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	tmpdir = xstrdup(tmpl);
	/* The tests decide what the config holds. */
	unsetenv("ST2_PAGERDUTY_API_KEY");
	unsetenv("ST2_PAGERDUTY_SERVICE_KEY");
	unsetenv("ST2_PAGERDUTY_FROM_EMAIL");
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_names),
	    cmocka_unit_test(test_table_integrity),
	    cmocka_unit_test(test_examples),
	    cmocka_unit_test(test_argv_named),
	    cmocka_unit_test(test_argv_positional),
	    cmocka_unit_test(test_argv_defaults),
	    cmocka_unit_test(test_argv_errors),
	    cmocka_unit_test(test_data_schema),
	    cmocka_unit_test(test_build_rest),
	    cmocka_unit_test(test_build_from),
	    cmocka_unit_test(test_build_events),
	    cmocka_unit_test(test_shape),
	    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_help),
	    cmocka_unit_test(test_config_add_secret),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
