/*
 * pack.c: `st2-pagerduty pack DIR` writes the StackStorm pack generated
 * from the program's own tables, so the pack can never describe something
 * the binary does not do.
 *
 * DESIGN
 * The pack is a list of writers (pack_writers[]), one per part: pack.yaml,
 * config.schema.yaml (the pack's keys of config/table.c), triggers/,
 * actions/ (metadata from the action table of actions/table.c, and the
 * launcher script every action runs), aliases/, README.md. A part that is
 * one file per row of a table (trigger types, actions, aliases) is a row
 * function that builds the row's document and names its file. Every YAML
 * file is built as a json_t and written by one generic json -> YAML
 * function on the libyaml emitter, never as text, so quoting is always
 * right. Keys keep insertion order and nothing depends on time or locale,
 * so the output is byte-for-byte reproducible and the committed copy
 * (packaging/pack) is checked against it by a test.
 *
 * Each file is written to NAME.tmp and renamed over NAME, so a failed run
 * never leaves a half-written file where st2 would load it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "st2pd.h"

typedef int pack_gen_fn(FILE *, const void *arg);
/* Row i of a table as a YAML document; *name gets its file name, without ".yaml". */
typedef json_t *pack_row_fn(size_t i, char **name);

/*
 * Whether a string may be written as a plain YAML scalar. st2 reads packs
 * with PyYAML (YAML 1.1): yes/no/on/off/true/false/null are not strings
 * there, and a scalar starting with a digit, sign or dot may be a number
 * or a date. Anything else starting with a letter is safe; libyaml quotes
 * on its own what plain style cannot hold (": ", " #", ...).
 */
static int
pack_plain_ok(const char *s)
{
	static const char *const words[] = {"y",   "n",    "yes",   "no",  "on",
	                                    "off", "true", "false", "null"};
	size_t i;

	if (!isalpha((unsigned char)*s))
		return 0;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(s, words[i]) == 0)
			return 0;
	}
	return 1;
}

/* Emits one scalar. */
static int
pack_emit_scalar(yaml_emitter_t *e, const char *s, size_t len, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)len, 1, 1, style);
	return yaml_emitter_emit(e, &ev);
}

/*
 * Emits a string, quoted when plain style would read back as something
 * else; several lines (the aliases' Jinja templates) as a literal block,
 * which libyaml turns into double quotes where a block cannot hold them.
 */
static int
pack_emit_string(yaml_emitter_t *e, const char *s, size_t len)
{
	if (memchr(s, '\n', len) != NULL)
		return pack_emit_scalar(e, s, len, YAML_LITERAL_SCALAR_STYLE);
	return pack_emit_scalar(e, s, len,
	                        pack_plain_ok(s) ? YAML_PLAIN_SCALAR_STYLE
	                                         : YAML_SINGLE_QUOTED_SCALAR_STYLE);
}

/* Whether every element of an array is a scalar: then it is written in flow style. */
static int
pack_flat_array(json_t *a)
{
	json_t *v;
	size_t i;

	json_array_foreach (a, i, v) {
		if (json_is_object(v) || json_is_array(v))
			return 0;
	}
	return 1;
}

/* Emits one JSON value as a YAML node, keys in insertion order. */
static int
pack_emit_node(yaml_emitter_t *e, json_t *v)
{
	yaml_event_t ev;
	const char *key;
	char num[64];
	json_t *item;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		json_object_foreach (v, key, item) {
			if (!pack_emit_string(e, key, strlen(key)) || !pack_emit_node(e, item))
				return 0;
		}
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	case JSON_ARRAY:
		yaml_sequence_start_event_initialize(
		    &ev, NULL, NULL, 1,
		    pack_flat_array(v) ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(e, &ev))
			return 0;
		json_array_foreach (v, i, item) {
			if (!pack_emit_node(e, item))
				return 0;
		}
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(e, &ev);
	case JSON_STRING:
		return pack_emit_string(e, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return pack_emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
	case JSON_REAL:
		/* %.17g round-trips; ".0" keeps 2.0 a float for the reader. */
		i = (size_t)snprintf(num, sizeof num, "%.17g", json_real_value(v));
		if (strpbrk(num, ".e") == NULL && i + 2 < sizeof num)
			snprintf(num + i, sizeof num - i, ".0");
		return pack_emit_scalar(e, num, strlen(num), YAML_PLAIN_SCALAR_STYLE);
	case JSON_TRUE:
		return pack_emit_scalar(e, "true", 4, YAML_PLAIN_SCALAR_STYLE);
	case JSON_FALSE:
		return pack_emit_scalar(e, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case JSON_NULL:
		break;
	}
	return pack_emit_scalar(e, "null", 4, YAML_PLAIN_SCALAR_STYLE);
}

/* Writes doc to f as one YAML document starting with "---"; 0 on success. */
static int
pack_emit_yaml(FILE *f, const void *arg)
{
	json_t *doc = (json_t *)arg;
	yaml_emitter_t e;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&e))
		fatal("yaml_emitter_initialize: out of memory");
	yaml_emitter_set_output_file(&e, f);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_indent(&e, 2);
	yaml_emitter_set_width(&e, -1); /* one line per scalar: greppable, diffable */
	yaml_emitter_set_break(&e, YAML_LN_BREAK);

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&e, &ev);
	if (ok) {
		yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
		ok = yaml_emitter_emit(&e, &ev);
	}
	if (ok)
		ok = pack_emit_node(&e, doc);
	if (ok) {
		yaml_document_end_event_initialize(&ev, 1);
		ok = yaml_emitter_emit(&e, &ev);
	}
	if (ok) {
		yaml_stream_end_event_initialize(&ev);
		ok = yaml_emitter_emit(&e, &ev);
	}
	if (!ok)
		log_error("pack: YAML emitter: %s", e.problem != NULL ? e.problem : "write error");
	yaml_emitter_delete(&e);
	return ok ? 0 : -1;
}

/* Creates dir and its missing parents (mkdir -p), or says why it cannot. */
static enum pd_err
pack_mkdir(const char *dir)
{
	if (mkdirs(dir, 0755) == 0)
		return PD_OK;
	log_error("pack: %s: %s", dir, strerror(errno));
	return PD_ERR_IO;
}

/* Writes dir/name through gen, atomically (NAME.tmp, then rename). */
static enum pd_err
pack_write_file(const char *dir, const char *name, pack_gen_fn *gen, const void *arg)
{
	char *path = xasprintf("%s/%s", dir, name);
	char *tmp = xasprintf("%s.tmp", path);
	FILE *f;
	int failed;

	if ((f = fopen(tmp, "w")) == NULL) {
		log_error("pack: %s: %s", tmp, strerror(errno));
		free(tmp);
		free(path);
		return PD_ERR_IO;
	}
	errno = 0;
	failed = gen(f, arg) != 0;
	failed |= ferror(f);
	failed |= fclose(f) != 0;
	if (failed)
		log_error("pack: %s: %s", tmp, errno != 0 ? strerror(errno) : "write failed");
	else if (rename(tmp, path) != 0) {
		log_error("pack: %s: %s", path, strerror(errno));
		failed = 1;
	}
	if (failed)
		unlink(tmp);
	free(tmp);
	free(path);
	return failed ? PD_ERR_IO : PD_OK;
}

/* Writes one json_t as dir/name in YAML. Takes the reference. */
static enum pd_err
pack_write_yaml(const char *dir, const char *name, json_t *doc)
{
	enum pd_err err = pack_write_file(dir, name, pack_emit_yaml, doc);

	json_decref(doc);
	return err;
}

/* pack.yaml. */
static enum pd_err
pack_write_meta(const char *dir)
{
	json_t *m = json_object();

	json_object_set_new(m, "ref", json_string(PD_PACK));
	json_object_set_new(m, "name", json_string(PD_PACK));
	json_object_set_new(m, "description",
	                    json_string("PagerDuty V3 webhook events as StackStorm triggers, "
	                                "served by the native st2-pagerduty binary."));
	json_object_set_new(
	    m, "keywords",
	    json_pack("[sssss]", "pagerduty", "incident", "on-call", "webhook", "alerting"));
	json_object_set_new(m, "version", json_string(PD_VERSION));
	json_object_set_new(m, "author", json_string("st2-pagerduty"));
	return pack_write_yaml(dir, "pack.yaml", m);
}

/* config.schema.yaml: the keys of the config table that are the pack's too. */
static enum pd_err
pack_write_config_schema(const char *dir)
{
	return pack_write_yaml(dir, "config.schema.yaml", config_pack_schema());
}

/* The trigger type of catalog row i, in triggers/<name, dots as underscores>.yaml. */
static json_t *
pack_trigger_row(size_t i, char **name)
{
	char *p;

	*name = xstrdup(catalog_types[i].name);
	for (p = *name; (p = strchr(p, '.')) != NULL;)
		*p = '_';
	return catalog_triggertype(&catalog_types[i]);
}

/* The metadata of action row i (actions/table.c), in actions/<name>.yaml. */
static json_t *
pack_action_row(size_t i, char **name)
{
	*name = xstrdup(action_table[i].name);
	return action_metadata(&action_table[i]);
}

/* The ChatOps alias of row i, in aliases/<name>.yaml. */
static json_t *
pack_alias_row(size_t i, char **name)
{
	*name = xstrdup(action_aliases[i].name);
	return action_alias_metadata(&action_aliases[i]);
}

/* One YAML file per row of a table: dir/subdir/<name>.yaml, row builds each. */
static enum pd_err
pack_write_rows(const char *dir, const char *subdir, size_t n, pack_row_fn *row)
{
	enum pd_err err = PD_OK;
	char *base, *name;
	json_t *doc;
	size_t i;

	for (i = 0; i < n && err == PD_OK; i++) {
		doc = row(i, &base);
		name = xasprintf("%s/%s.yaml", subdir, base);
		err = pack_write_yaml(dir, name, doc);
		free(name);
		free(base);
	}
	return err;
}

/* Writes s into a Markdown table cell: a '|' would end the cell, so it is escaped. */
void
pack_md_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputc('\\', f);
		fputc(*s, f);
	}
}

/* A README row naming a part of the pack and what it is: "| `pagerduty.NAME` | what |". */
static void
pack_md_ref(FILE *f, const char *name, const char *what)
{
	fprintf(f, "| `%s.%s` | ", PD_PACK, name);
	pack_md_cell(f, what);
	fputs(" |\n", f);
}

/* "string", "object or null", plus ", required" and ", secret": a schema's type for the README. */
static void
pack_md_type(FILE *f, json_t *prop)
{
	json_t *type = json_object_get(prop, "type"), *t;
	size_t i;

	if (json_is_string(type))
		fputs(json_string_value(type), f);
	json_array_foreach (type, i, t)
		fprintf(f, "%s%s", i > 0 ? " or " : "", json_string_value(t));
	if (json_is_true(json_object_get(prop, "required")))
		fputs(", required", f);
	if (json_is_true(json_object_get(prop, "secret")))
		fputs(", secret", f);
}

/* A Markdown table of a schema's properties; what names the first column. */
static void
pack_md_fields(FILE *f, json_t *props, const char *what, const char *prefix)
{
	const char *key;
	json_t *prop;

	fprintf(f, "| %s | type | description |\n| --- | --- | --- |\n", what);
	json_object_foreach (props, key, prop) {
		fprintf(f, "| `%s%s` | ", prefix, key);
		pack_md_type(f, prop);
		fputs(" | ", f);
		pack_md_cell(f, json_string_value(json_object_get(prop, "description")));
		fputs(" |\n", f);
	}
}

/* The example rule of the README, as a json_t for the YAML emitter. */
static json_t *
pack_example_rule(void)
{
	return json_pack("{s:s, s:s, s:s, s:b, s:{s:s}, s:{s:{s:s, s:s}}, s:{s:s, s:{s:s}}}",
	                 "name", "pagerduty_high_urgency", "pack", "default", "description",
	                 "Run a command for every new high-urgency PagerDuty incident.", "enabled",
	                 1, "trigger", "type", PD_PACK ".incident.triggered", "criteria",
	                 "trigger.data.urgency", "type", "equals", "pattern", "high", "action",
	                 "ref", "core.local", "parameters", "cmd",
	                 "echo \"{{ trigger.data.title }} {{ trigger.data.html_url }}\"");
}

/* Whether two data type names are the same; NULL is the generic entry's. */
static int
pack_same_data_type(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* The "data" section of the README: one table per data type, in catalog order. */
static void
pack_md_data_types(FILE *f, json_t **tts)
{
	const char *dt, *sep;
	json_t *data;
	size_t i, j;

	for (i = 0; i < catalog_ntypes; i++) {
		dt = catalog_types[i].data_type;
		for (j = 0; j < i; j++) {
			if (pack_same_data_type(catalog_types[j].data_type, dt))
				break;
		}
		if (j < i)
			continue; /* described already */
		data = json_object_get(
		    json_object_get(json_object_get(tts[i], "payload_schema"), "properties"),
		    "data");
		fprintf(f, "\n### `data` of type %s\n\n", dt != NULL ? dt : "unknown");
		pack_md_cell(f, json_string_value(json_object_get(data, "description")));
		fputs("\n\nTriggers:", f);
		sep = " ";
		for (j = i; j < catalog_ntypes; j++) {
			if (!pack_same_data_type(catalog_types[j].data_type, dt))
				continue;
			fprintf(f, "%s`%s.%s`", sep, PD_PACK, catalog_types[j].name);
			sep = ", ";
		}
		fputs(".\n", f);
		if (json_object_get(data, "properties") != NULL) {
			fputc('\n', f);
			pack_md_fields(f, json_object_get(data, "properties"), "field", "data.");
		}
	}
}

/* The "Actions" section of the README, from the action table. */
static void
pack_md_actions(FILE *f)
{
	size_t i;

	fputs("\n## Actions\n\nEvery action runs `st2-pagerduty run <action>` through the "
	      "`local-shell-script` runner, by way of the launcher `actions/bin/st2-pagerduty` "
	      "(set `ST2_PAGERDUTY_BIN` in the action runner's environment if the binary is not "
	      "`/usr/bin/st2-pagerduty`). The API key, service key and default From address "
	      "come from this pack's config through each action's `env` parameter, never on "
	      "the command line. The result is the JSON the action prints, "
	      "`result.stdout`; a failure prints `{\"error\": {\"code\", \"message\", "
	      "\"http_status\"}}` on stderr and exits non-zero.\n\n"
	      "| action | what it does |\n| --- | --- |\n",
	      f);
	for (i = 0; i < action_count; i++)
		pack_md_ref(f, action_table[i].name, action_table[i].description);
	fputs("\n`st2-pagerduty run ACTION --help` describes the parameters of one action, "
	      "`st2-pagerduty actions --json` those of all. ChatOps aliases:",
	      f);
	for (i = 0; i < action_nalias; i++)
		fprintf(f, "%s `%s`", i > 0 ? "," : "", action_aliases[i].format);
	fputs(".\n", f);
}

/* README.md: what the pack is, its triggers and payloads, and a rule. */
static int
pack_gen_readme(FILE *f, const void *arg)
{
	json_t **tts = xcalloc(catalog_ntypes, sizeof *tts), *rule, *props, *config;
	size_t i;
	int rc;

	(void)arg;
	for (i = 0; i < catalog_ntypes; i++)
		tts[i] = catalog_triggertype(&catalog_types[i]);

	fprintf(f,
	        "# " PD_PACK " pack\n\n"
	        "PagerDuty for StackStorm, served by the native `st2-pagerduty` binary "
	        "(version %s).\n\n"
	        "PagerDuty sends V3 webhooks to `st2-pagerduty serve`, which checks their "
	        "signature, keeps each event in a durable spool and emits it to StackStorm as the "
	        "trigger `" PD_PACK ".<event_type>` (for example `" PD_PACK
	        ".incident.triggered`) through `POST /v1/webhooks/st2`. An event type this "
	        "version does not know arrives as `" PD_PACK ".event`.\n\n"
	        "This directory is generated by `st2-pagerduty pack DIR` from the binary's own "
	        "tables: regenerate it rather than editing it.\n\n",
	        PD_VERSION);
	fputs("## Install\n\n"
	      "    st2-pagerduty pack /opt/stackstorm/packs/" PD_PACK "\n"
	      "    st2ctl reload --register-triggers --register-configs\n\n"
	      "or `st2 pack install file:///path/to/this/directory`. The trigger types can also "
	      "be created over the API with `st2-pagerduty register`.\n\n",
	      f);

	fputs("## Configuration\n\n`/opt/stackstorm/configs/" PD_PACK ".yaml`, also read by "
	      "`st2-pagerduty run`:\n\n",
	      f);
	config = config_pack_schema();
	pack_md_fields(f, config, "key", "");
	json_decref(config);

	fputs("\n## Triggers\n\n| trigger | when |\n| --- | --- |\n", f);
	for (i = 0; i < catalog_ntypes; i++)
		pack_md_ref(f, catalog_types[i].name, catalog_types[i].description);

	fputs("\n## Payload\n\nEvery trigger has the same payload, whether the event came from a "
	      "webhook or from the poller; rules read it as `trigger.<field>`.\n\n",
	      f);
	/* The generic entry's schema: its data row does not describe one data type. */
	props = json_object_get(json_object_get(tts[catalog_ntypes - 1], "payload_schema"),
	                        "properties");
	pack_md_fields(f, props, "field", "");
	fputs("\nThe fields of `data` depend on the event type; `data.type` names it:\n", f);
	pack_md_data_types(f, tts);

	fputs("\n## Example rule\n\nRun a command for every new high-urgency incident "
	      "(`st2 rule create rule.yaml`):\n\n```yaml\n",
	      f);
	rule = pack_example_rule();
	rc = pack_emit_yaml(f, rule);
	json_decref(rule);
	fputs("```\n\nOther useful criteria: `trigger.data.service.id`, "
	      "`trigger.data.priority.summary` (e.g. `P1`), `trigger.data.escalation_policy.id`; "
	      "`trigger.event_id` is unique per event.\n",
	      f);
	pack_md_actions(f);

	for (i = 0; i < catalog_ntypes; i++)
		json_decref(tts[i]);
	free(tts);
	return rc;
}

/* README.md. */
static enum pd_err
pack_write_readme(const char *dir)
{
	return pack_write_file(dir, "README.md", pack_gen_readme, NULL);
}

/* The launcher inside the pack: st2 runs an entry_point only from the pack's directory. */
#define PACK_LAUNCHER "actions/bin/st2-pagerduty"

/* The launcher script: every action's entry_point, handing over to the binary. */
static int
pack_gen_launcher(FILE *f, const void *arg)
{
	(void)arg;
	fputs("#!/bin/sh\n"
	      "# Generated by `st2-pagerduty pack`. StackStorm runs an action's entry_point\n"
	      "# only from inside the pack, so every action of this pack runs this script,\n"
	      "# which hands it to the installed binary: the action name and parameters are\n"
	      "# its arguments; the API key and routing key come in the environment (the\n"
	      "# env parameter of each action), never on the command line.\n"
	      "exec \"${ST2_PAGERDUTY_BIN:-/usr/bin/st2-pagerduty}\" run \"$@\"\n",
	      f);
	return 0;
}

/* actions/bin/st2-pagerduty, executable (st2 also chmods it when it can). */
static enum pd_err
pack_write_launcher(const char *dir)
{
	enum pd_err err = pack_write_file(dir, PACK_LAUNCHER, pack_gen_launcher, NULL);
	char *path;

	if (err != PD_OK)
		return err;
	path = xasprintf("%s/%s", dir, PACK_LAUNCHER);
	if (chmod(path, 0755) != 0) {
		log_error("pack: %s: %s", path, strerror(errno));
		err = PD_ERR_IO;
	}
	free(path);
	return err;
}

/* The parts of the pack, in the order they are written. */
static const struct pack_writer {
	const char *subdir;                    /* created first, or NULL */
	enum pd_err (*write)(const char *dir); /* writes the part; or, when NULL: */
	pack_row_fn *row;                      /* one subdir/<name>.yaml per row */
	const size_t *nrows;
} pack_writers[] = {
    {NULL, pack_write_meta, NULL, NULL},
    {NULL, pack_write_config_schema, NULL, NULL},
    {"triggers", NULL, pack_trigger_row, &catalog_ntypes},
    {"actions", NULL, pack_action_row, &action_count},
    {"actions/bin", pack_write_launcher, NULL, NULL},
    {"aliases", NULL, pack_alias_row, &action_nalias},
    {NULL, pack_write_readme, NULL, NULL},
};

/*
 * Writes the whole pack into dir. Every directory is created before any
 * file is written, so a target that cannot hold the pack is left as it was.
 */
enum pd_err
pack_write(const char *dir)
{
	const struct pack_writer *w;
	enum pd_err err;
	char *sub;
	size_t i;

	if ((err = pack_mkdir(dir)) != PD_OK)
		return err;
	for (i = 0; i < sizeof pack_writers / sizeof pack_writers[0] && err == PD_OK; i++) {
		if (pack_writers[i].subdir == NULL)
			continue;
		sub = xasprintf("%s/%s", dir, pack_writers[i].subdir);
		err = pack_mkdir(sub);
		free(sub);
	}
	for (i = 0; i < sizeof pack_writers / sizeof pack_writers[0] && err == PD_OK; i++) {
		w = &pack_writers[i];
		if (w->write != NULL)
			err = w->write(dir);
		else
			err = pack_write_rows(dir, w->subdir, *w->nrows, w->row);
	}
	return err;
}

/* `pack DIR`: the whole pack, written from the tables. */
static int
pack_exec(const struct cli_args *a)
{
	enum pd_err err;

	/* pack_write() has said what failed, with the path. */
	if ((err = pack_write(a->argv[0])) != PD_OK)
		return pd_err_exit(err);
	printf("wrote the %s pack to %s\n", PD_PACK, a->argv[0]);
	return 0;
}

const struct cli_entry cmd_pack_entry = {
    .name = "pack",
    .operands = "DIR",
    .summary = "write the StackStorm pack (actions and their launcher, trigger types, aliases, "
               "config schema, README) into DIR",
    .min_operands = 1,
    .max_operands = 1,
    .exec = pack_exec,
};
