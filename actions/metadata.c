/*
 * metadata.c: the action table as others read it: the StackStorm action
 * and alias metadata that `pack` writes (actions/<name>.yaml,
 * aliases/<name>.yaml), the `actions --json` entry of an action, the JSON
 * Schema of each parameter (through schema_json(), common/schema.c, with
 * st2's own keywords beside it), and the words help uses for types and
 * for where a parameter goes.
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* The word help shows for a value of each parameter type ("--id=TEXT"). */
static const char *const action_type_words[] = {
    [PT_STRING] = "TEXT",  [PT_INTEGER] = "INTEGER", [PT_NUMBER] = "NUMBER",
    [PT_BOOLEAN] = "BOOL", [PT_ARRAY] = "LIST",      [PT_OBJECT] = "OBJECT",
};

/* Where each kind of parameter goes: its name in `actions --json`, and in help text. */
static const struct action_where {
	const char *json;
	const char *help;
} action_wheres[] = {
    [PW_QUERY] = {"query", "query"}, [PW_BODY] = {"body", "body"},
    [PW_PATH] = {"path", "path"},    [PW_FROM] = {"header", "From header"},
    [PW_LIMIT] = {"local", "pages"}, [PW_LOCAL] = {"local", "local"},
};

/* The row of w; a value the table does not know reads as local. */
static const struct action_where *
action_where(enum param_where w)
{
	return &action_wheres[(size_t)w < sizeof action_wheres / sizeof action_wheres[0]
	                          ? w
	                          : PW_LOCAL];
}

/* Where a parameter goes, as `actions --json` names it. */
const char *
action_where_name(enum param_where w)
{
	return action_where(w)->json;
}

/* Where a parameter goes, as help text says it. */
const char *
action_where_word(enum param_where w)
{
	return action_where(w)->help;
}

/* The word for a parameter type's value in help text ("--id=TEXT"). */
const char *
action_type_word(enum param_type t)
{
	return (size_t)t < sizeof action_type_words / sizeof action_type_words[0]
	           ? action_type_words[t]
	           : "VALUE";
}

static json_t *action_fields_schema(const struct action_field *);

/* The schema of an array's items: objects of fields, else values of type (one of enums). */
static json_t *
action_items_schema(const struct action_field *fields, enum param_type type,
                    const char *const *enums)
{
	struct schema s = {.types = SCHEMA_TYPE(PT_OBJECT)};

	if (fields != NULL)
		s.properties = action_fields_schema(fields);
	else {
		s.types = SCHEMA_TYPE(type);
		s.enums = enums;
	}
	return schema_json(&s, SCHEMA_ACTION);
}

/*
 * JSON Schema of one data field. A field with a default is not marked
 * required: run fills the default in, and st2 must not refuse what run
 * accepts.
 */
static json_t *
action_field_schema(const struct action_field *f)
{
	struct schema s = {
	    .types = SCHEMA_TYPE(f->type),
	    .description = f->description,
	    .required = f->required && f->def == NULL,
	    .def = f->def != NULL ? action_json(f->def) : NULL,
	    .enums = f->enums,
	};

	if (f->type == PT_OBJECT && f->fields != NULL)
		s.properties = action_fields_schema(f->fields);
	if (f->type == PT_ARRAY)
		s.items = action_items_schema(f->fields, f->items, NULL);
	return schema_json(&s, SCHEMA_ACTION);
}

/* The "properties" object of a field list. */
static json_t *
action_fields_schema(const struct action_field *fields)
{
	json_t *props = json_object();

	for (; fields->name != NULL; fields++)
		json_object_set_new(props, fields->name, action_field_schema(fields));
	return props;
}

/* JSON Schema of a parameter, and st2's keywords beside it, as st2 metadata writes it. */
json_t *
action_param_schema(const struct action *act, const struct action_param *p)
{
	struct schema s = {
	    .types = SCHEMA_TYPE(p->type),
	    .description = p->description,
	    .required = (p->flags & PF_REQUIRED) != 0,
	    .def = p->def != NULL ? action_json(p->def) : NULL,
	};
	json_t *out;

	/* An array's enum constrains each item. */
	if (p->type == PT_ARRAY)
		s.items = action_items_schema(p->items, PT_STRING, p->enums);
	else
		s.enums = p->enums;
	/* The raw create actions' data: its schema, for st2 and for the reader. */
	if (p->type == PT_OBJECT && act->schema != NULL && p->field != NULL && act->wrap != NULL &&
	    strcmp(p->field, act->wrap) == 0)
		s.properties = action_fields_schema(act->schema);
	out = schema_json(&s, SCHEMA_ACTION);
	if (p->position > 0)
		json_object_set_new(out, "position", json_integer(p->position));
	if (p->flags & PF_IMMUTABLE)
		json_object_set_new(out, "immutable", json_true());
	if (p->flags & PF_SECRET)
		json_object_set_new(out, "secret", json_true());
	return out;
}

/* The `actions --json` entry of an action. */
json_t *
action_describe(const struct action *act)
{
	const struct action_param *p;
	json_t *o = json_object(), *params = json_array(), *ps;

	json_object_set_new(o, "name", json_string(act->name));
	json_object_set_new(o, "description", json_string(act->description));
	json_object_set_new(o, "api", json_string(act->flags & ACT_EVENTS ? "events" : "rest"));
	json_object_set_new(o, "method", json_string(act->method));
	json_object_set_new(o, "path", json_string(act->path));
	json_object_set_new(o, "paginated",
	                    act->flags & ACT_PAGED    ? json_string("offset")
	                    : act->flags & ACT_CURSOR ? json_string("cursor")
	                                              : json_null());
	json_object_set_new(o, "needs_from", json_boolean(act->flags & ACT_NEEDS_FROM));
	json_object_set_new(o, "handler", json_boolean(act->handler != NULL));
	for (p = act->params; p->name != NULL; p++) {
		ps = action_param_schema(act, p);
		json_object_set_new(ps, "name", json_string(p->name));
		json_object_set_new(ps, "in", json_string(action_where_name(p->where)));
		if (p->where == PW_QUERY || p->where == PW_BODY)
			json_object_set_new(ps, "field",
			                    json_string(p->field ? p->field : p->name));
		if (p->where == PW_FROM)
			json_object_set_new(ps, "field", json_string("From"));
		json_array_append_new(params, ps);
	}
	json_object_set_new(o, "parameters", params);
	json_object_set_new(o, "one_of", act->one_of ? schema_strings(act->one_of) : json_null());
	json_object_set_new(o, "example",
	                    act->example != NULL ? schema_strings(act->example) : json_array());
	return o;
}

/*
 * The st2 action metadata of an action (stackstorm-api.md 3.1-3.3, 3.6).
 * The local-shell-script runner runs the launcher shipped inside the pack
 * (actions/bin/st2-pagerduty, st2 refuses entry points outside it) with
 * the named parameters first and the positional ones after, so the action
 * name arrives as the one positional argument.
 *
 * Secrets go through the runner's env parameter, overridden here with
 * the environment variable of every config key that has one
 * (config/table.c): a runner parameter may be redeclared with
 * default/immutable/description (not type). Inference from st2's param.py (_process and _render
 * render dict values with Jinja; not run against a live st2): the env default is rendered with
 * config_context like any other default. st2 renders with StrictUndefined, so a key missing from
 * the pack config would fail the whole action; "| default('')" makes it an empty string, which run
 * ignores. Single quotes, because st2 renders a dict as its JSON text.
 */
json_t *
action_metadata(const struct action *act)
{
	const struct action_param *p;
	const struct config_entry *e;
	json_t *m = json_object(), *params = json_object(), *name, *env;
	char *jinja;

	json_object_set_new(m, "name", json_string(act->name));
	json_object_set_new(m, "pack", json_string(PD_PACK));
	json_object_set_new(m, "description", json_string(act->description));
	json_object_set_new(m, "enabled", json_true());
	json_object_set_new(m, "runner_type", json_string("local-shell-script"));
	json_object_set_new(m, "entry_point", json_string("bin/st2-pagerduty"));

	name = schema_json(&(struct schema){.types = SCHEMA_TYPE(PT_STRING),
	                                    .description = "The action st2-pagerduty runs.",
	                                    .def = json_string(act->name)},
	                   SCHEMA_ACTION);
	json_object_set_new(name, "immutable", json_true());
	json_object_set_new(name, "position", json_integer(0));
	json_object_set_new(params, ACTION_NAME_PARAM, name);
	for (p = act->params; p->name != NULL; p++)
		json_object_set_new(params, p->name, action_param_schema(act, p));
	env = json_object();
	for (e = config_table; e < config_table + config_nkeys; e++) {
		if (e->env == NULL)
			continue;
		jinja = xasprintf("{{ config_context.%s | default('') }}", e->name);
		json_object_set_new(env, e->env, json_string(jinja));
		free(jinja);
	}
	json_object_set_new(
	    params, "env",
	    json_pack("{s:s, s:o, s:b}", "description",
	              "Pack config values for st2-pagerduty (never on its command line).",
	              "default", env, "immutable", 1));
	json_object_set_new(m, "parameters", params);
	return m;
}

/* The st2 alias metadata of an alias. */
json_t *
action_alias_metadata(const struct action_alias *al)
{
	char *ref = xasprintf("%s.%s", PD_PACK, al->action);
	json_t *m;

	m = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:b}, s:{s:s}}", "name", al->name, "pack",
	              PD_PACK, "action_ref", ref, "description", al->description, "formats",
	              al->format, "ack", "enabled", 0, "result", "format", al->result);
	free(ref);
	return m;
}
