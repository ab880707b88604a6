/*
 * test_actions.c: the action table and what is derived from it without a
 * network: table integrity (sorted, the original pack's 64 enabled actions
 * plus team.remove_user, paths and parameters consistent, every example
 * valid), the st2 metadata, aliases and help. What a command line makes of
 * an action, from st2's arguments to the request and the printed result,
 * is test_action_calls.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "actionrig.h"

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
                                        "oncall.who",
                                        "audit.find"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

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
		if (act_count_args(a->example) == 0)
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
	struct pd_config *cfg = act_config(CFG_FULL);
	struct action_call c;
	json_t *params;
	char *why = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < action_count; i++) {
		params = act_parse_ok(&action_table[i], action_table[i].example);
		if (action_build_call(&action_table[i], params, cfg, &c, &why) != PD_OK)
			fail_msg("%s: build: %s", action_table[i].name, why);
		json_decref(params);
		assert_non_null(c.call.path);
		assert_int_equal(c.call.path[0], '/');
		assert_null(strchr(c.call.path, '{'));
		action_call_free(&c);
	}
	config_free(cfg);
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
	act_assert_json(
	    json_object_get(params, ACTION_NAME_PARAM),
	    "{\"type\": \"string\", \"description\": \"The action st2-pagerduty runs.\", "
	    "\"default\": \"incident.acknowledge\", \"immutable\": true, \"position\": 0}",
	    "metadata");
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
	/* find_incidents' default: parse_rows (test_action_calls.c) has it parse the way st2 splits
	 * alias arrays. */
	assert_non_null(strstr(action_aliases[1].format, "{{statuses=triggered,acknowledged}}"));
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_names), cmocka_unit_test(test_table_integrity),
	    cmocka_unit_test(test_examples),    cmocka_unit_test(test_metadata),
	    cmocka_unit_test(test_aliases),     cmocka_unit_test(test_help),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
