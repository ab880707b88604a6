/*
 * config.c: loading the configuration file (YAML of INTERFACE.md, read
 * with libyaml) by the rows of config_table (table.c): defaults, values
 * checked and stored, secrets, relative paths, and the environment
 * overrides. The keys each subcommand needs are checked in needs.c.
 *
 * DESIGN
 * ------
 * config_new() stores every default of the table through the same
 * config_store() that file values go through (memcached settings_init), so
 * a default can never be something the file would refuse. No key has code
 * of its own: a value is checked by its type (int range, enum table, URL,
 * path) plus the row's optional check function.
 *
 * config_load() reads the whole file into a libyaml document and walks its
 * mappings. A key is either a row of the table or a section ("webhook") that
 * prefixes rows; anything else is unknown (with what replaced it, for a
 * retired key, or the key it probably meant). A problem never stops the
 * walk: each is appended as "file:line: key: reason", with the 1-based
 * line of the offending node (h2o's errprintf), so one run of check-config
 * lists everything there is to fix.
 *
 * Secrets (api_key, service_key, st2.api_key, st2.auth_token, every
 * webhook.secrets item) may be a literal, {env: NAME} or {file: PATH}; they
 * are never printed, and are wiped from memory when replaced or freed.
 *
 * Relative paths (spool.path, st2.sink_file, {file: PATH}) are resolved
 * against the directory of the config file and made absolute when the file
 * is loaded: the daemon then behaves the same whatever its working
 * directory, and a config can name files that sit beside it.
 *
 * The environment variable of a row (its env column: the pack's api_key,
 * service_key and from_email) overrides the file, last. The pack's action
 * metadata sets them from st2's pack config, so secrets reach `run`
 * without a command line argument; an empty value is ignored, since st2
 * renders a key missing from the pack config as "". They go through the
 * same checks as the file's values.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sys/stat.h>
#include <yaml.h>

#include "st2pd.h"

#define CONFIG_DEFAULT_PATH "/etc/st2-pagerduty/config.yaml"
#define CONFIG_ENV          "ST2_PAGERDUTY_CONFIG"

/* State of one config_load(). */
struct config_load {
	struct pd_config *cfg;
	const char *file; /* as given, for problems */
	char *base;       /* absolute directory of file, for relative paths */
	yaml_document_t doc;
	struct pd_strlist *problems;
	size_t *lines;              /* where each row was set; 0: not in the file */
	struct pd_strlist literals; /* secret keys given as literals, for the mode warning */
};

static void config_walk(struct config_load *, yaml_node_t *, const char *);
static void config_problem(struct config_load *, size_t, const char *, const char *, ...)
    PD_PRINTF(4, 5);

/* Appends "file:line: key: reason" to the load's problems. */
static void
config_problem(struct config_load *ld, size_t line, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *reason;

	va_start(ap, fmt);
	reason = xvasprintf(fmt, ap);
	va_end(ap);
	strlist_addf(ld->problems, "%s:%zu: %s: %s", ld->file, line, key, reason);
	free(reason);
}

/* 1-based line of a node. */
static size_t
node_line(const yaml_node_t *node)
{
	return node->start_mark.line + 1;
}

/* A node's kind, for "expected X, got Y". */
static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

/* Whether a node is YAML's null ("key:" with nothing, "~", "null"). */
static int
node_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	size_t i;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	for (i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
		if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0)
			return 1;
	}
	return 0;
}

/* A scalar's text; NULL for any other node. */
static const char *
node_text(const yaml_node_t *node)
{
	return node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

/* Forgets a string, wiping it first when it is a secret. */
static void
config_drop(char *s, int secret)
{
	if (s != NULL && secret)
		crypto_wipe_str(s);
	free(s);
}

/* Frees the value of one key and leaves it unset. */
static void
config_clear(struct pd_config *cfg, const struct config_entry *e)
{
	void *field = (char *)cfg + e->offset;
	struct pd_strlist *l = field;
	size_t i;

	switch (e->type) {
	case CT_STRING:
	case CT_SECRET:
	case CT_URL:
	case CT_PATH:
		config_drop(*(char **)field, config_is_secret(e));
		*(char **)field = NULL;
		break;
	case CT_STRLIST:
	case CT_SECRETLIST:
		for (i = 0; i < l->n; i++) {
			config_drop(l->v[i], config_is_secret(e));
			l->v[i] = NULL;
		}
		strlist_free(l);
		break;
	case CT_BOOL:
	case CT_INT:
	case CT_ENUM:
		break;
	}
}

/* Lexically simplifies an absolute path: no "." or empty parts, ".." folded. */
static char *
config_path_clean(const char *path)
{
	char *out = xmalloc(strlen(path) + 2);
	const char *p = path, *end;
	size_t n = 0, len;

	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else if (len != 1 || p[0] != '.') {
			out[n++] = '/';
			memcpy(out + n, p, len);
			n += len;
		}
		p = end;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

/* path as the daemon must use it: relative ones are taken from base. */
static char *
config_resolve(const char *base, const char *path)
{
	char *joined, *clean;

	if (path[0] == '/' || base == NULL)
		return xstrdup(path);
	joined = xasprintf("%s/%s", base, path);
	if (joined[0] != '/') /* base itself relative: ".." cannot be folded */
		return joined;
	clean = config_path_clean(joined);
	free(joined);
	return clean;
}

/* Absolute directory of the config file, the base of its relative paths. */
static char *
config_base_dir(const char *file)
{
	const char *slash = strrchr(file, '/');
	char *dir, *cwd, *base;

	if (slash == file)
		return xstrdup("/");
	if (strcmp(file, "-") == 0 || slash == NULL)
		dir = xstrdup(".");
	else
		dir = xstrndup(file, (size_t)(slash - file));
	if (dir[0] == '/' || (cwd = getcwd(NULL, 0)) == NULL) {
		base = config_resolve(NULL, dir);
	} else {
		base = config_resolve(cwd, dir);
		free(cwd);
	}
	free(dir);
	return base;
}

/* Whether a URL is http(s)://HOST...; the rest is left to libcurl. */
static int
config_url_ok(const char *url)
{
	static const char *const schemes[] = {"http://", "https://"};
	const char *c;
	size_t i, len;

	for (c = url; *c != '\0'; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return 0;
	}
	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		len = strlen(schemes[i]);
		if (strncasecmp(url, schemes[i], len) == 0)
			return url[len] != '\0' && url[len] != '/';
	}
	return 0;
}

/* Parses a YAML 1.1 boolean the way operators write them. */
int
config_parse_bool(const char *s, int *out)
{
	static const struct config_enum bools[] = {
	    {"true", 1}, {"yes", 1}, {"on", 1}, {"false", 0}, {"no", 0}, {"off", 0},
	};
	size_t i;

	for (i = 0; i < sizeof bools / sizeof bools[0]; i++) {
		if (strcasecmp(s, bools[i].name) == 0) {
			*out = bools[i].value;
			return 0;
		}
	}
	return -1;
}

/*
 * Stores text as the value of e (for a list: appends it). Returns why text
 * is not acceptable (caller frees), or NULL. base resolves relative paths.
 */
static char *
config_store(struct pd_config *cfg, const struct config_entry *e, const char *text,
             const char *base)
{
	void *field = (char *)cfg + e->offset;
	const struct config_enum *t;
	char *reason, *names, *s = NULL;
	size_t len;
	long n;
	int b;

	if (e->check != NULL && (reason = e->check(text)) != NULL)
		return reason;
	switch (e->type) {
	case CT_STRING:
	case CT_SECRET:
		s = xstrdup(text);
		break;
	case CT_URL:
		if (!config_url_ok(text))
			return xasprintf("expected an http:// or https:// URL, got \"%.*s\"",
			                 CONFIG_QUOTE_MAX, text);
		s = xstrdup(text);
		/* The base URL gets "/v1/..." appended: no "//" in between. */
		for (len = strlen(s); len > 0 && s[len - 1] == '/'; len--)
			s[len - 1] = '\0';
		break;
	case CT_PATH:
		if (*text == '\0')
			return xstrdup("expected a path, got an empty string");
		s = config_resolve(base, text);
		break;
	case CT_BOOL:
		if (config_parse_bool(text, &b) != 0)
			return xasprintf("expected true or false, got \"%.*s\"", CONFIG_QUOTE_MAX,
			                 text);
		*(int *)field = b;
		return NULL;
	case CT_INT:
		if (parse_long(text, LONG_MIN, LONG_MAX, &n) != PD_OK)
			return xasprintf("expected an integer, got \"%.*s\"", CONFIG_QUOTE_MAX,
			                 text);
		if (n < e->min || n > e->max)
			return xasprintf("%ld is out of range (%ld..%ld)", n, e->min, e->max);
		*(long *)field = n;
		return NULL;
	case CT_ENUM:
		for (t = e->enums; t->name != NULL; t++) {
			if (strcasecmp(text, t->name) == 0) {
				*(int *)field = t->value;
				return NULL;
			}
		}
		names = config_enum_names(e->enums);
		reason =
		    xasprintf("bad value \"%.*s\" (one of: %s)", CONFIG_QUOTE_MAX, text, names);
		free(names);
		return reason;
	case CT_STRLIST:
	case CT_SECRETLIST:
		strlist_add(field, text);
		return NULL;
	}
	config_drop(*(char **)field, config_is_secret(e));
	*(char **)field = s;
	return NULL;
}

/* A scalar's text, copied; NULL (with a problem) if it holds a NUL byte. */
static char *
config_scalar(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	const char *text = node_text(node);

	if (strlen(text) != node->data.scalar.length) {
		config_problem(ld, node_line(node), e->name, "value contains a NUL byte");
		return NULL;
	}
	return xstrdup(text);
}

/* Reads a {file: PATH} secret: the whole file less its trailing newlines. */
static char *
config_secret_file(struct config_load *ld, const struct config_entry *e, yaml_node_t *node,
                   const char *path)
{
	char *resolved = config_resolve(ld->base, path), *text;
	size_t len;

	errno = 0;
	if (read_file(resolved, &text, &len) != PD_OK) {
		config_problem(ld, node_line(node), e->name, "cannot read %s: %s", resolved,
		               strerror(errno != 0 ? errno : EIO));
		free(resolved);
		return NULL;
	}
	free(resolved);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	if (strlen(text) != len) {
		config_problem(ld, node_line(node), e->name, "%s contains a NUL byte", path);
		config_drop(text, 1);
		return NULL;
	}
	return text;
}

/*
 * The text of a secret: a literal, {env: NAME} or {file: PATH}. NULL when
 * there is none, the problem already reported.
 */
static char *
config_secret(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	yaml_node_pair_t *pair;
	yaml_node_t *key, *value;
	const char *how, *arg, *env;
	char *text;

	if (node->type == YAML_SCALAR_NODE) {
		if (ld->literals.n == 0 || strcmp(ld->literals.v[ld->literals.n - 1], e->name) != 0)
			strlist_add(&ld->literals, e->name);
		if ((text = config_scalar(ld, e, node)) != NULL && strstr(text, "{{") != NULL) {
			/* st2 renders these for Python actions; nobody renders them for us. */
			config_problem(ld, node_line(node), e->name,
			               "StackStorm datastore references are not resolved here; "
			               "use {env: NAME} or {file: PATH}");
			config_drop(text, 1);
			return NULL;
		}
		return text;
	}
	if (node->type != YAML_MAPPING_NODE)
		goto bad;
	pair = node->data.mapping.pairs.start;
	if (node->data.mapping.pairs.top - pair != 1)
		goto bad;
	key = yaml_document_get_node(&ld->doc, pair->key);
	value = yaml_document_get_node(&ld->doc, pair->value);
	how = node_text(key);
	arg = node_text(value);
	if (how == NULL || arg == NULL || node_is_null(value) || *arg == '\0')
		goto bad;
	if (strcmp(how, "env") == 0) {
		if ((env = getenv(arg)) == NULL) {
			config_problem(ld, node_line(node), e->name,
			               "environment variable %s is not set", arg);
			return NULL;
		}
		return xstrdup(env);
	}
	if (strcmp(how, "file") == 0)
		return config_secret_file(ld, e, node, arg);
bad:
	config_problem(ld, node_line(node), e->name,
	               "expected a string, {env: NAME} or {file: PATH}, got %s", node_kind(node));
	return NULL;
}

/* Checks and stores one value (for a list: one item) of e. */
static void
config_set_one(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	char *text, *reason;

	if (node_is_null(node)) {
		config_problem(ld, node_line(node), e->name, "empty list item");
		return;
	}
	if (config_is_secret(e))
		text = config_secret(ld, e, node);
	else if (node->type == YAML_SCALAR_NODE)
		text = config_scalar(ld, e, node);
	else {
		config_problem(ld, node_line(node), e->name, "expected %s, got %s",
		               e->type == CT_BOOL  ? "true or false"
		               : e->type == CT_INT ? "an integer"
		                                   : "a string",
		               node_kind(node));
		return;
	}
	if (text == NULL)
		return;
	if ((reason = config_store(ld->cfg, e, text, ld->base)) != NULL) {
		config_problem(ld, node_line(node), e->name, "%s", reason);
		free(reason);
	}
	config_drop(text, config_is_secret(e));
}

/* Sets key e from a node of the file; null leaves the default. */
static void
config_set(struct config_load *ld, const struct config_entry *e, yaml_node_t *node)
{
	yaml_node_item_t *item;

	ld->lines[e - config_table] = node_line(node);
	if (node_is_null(node))
		return;
	if (!config_is_list(e)) {
		config_set_one(ld, e, node);
		return;
	}
	if (node->type != YAML_SEQUENCE_NODE) {
		config_problem(ld, node_line(node), e->name, "expected a list, got %s",
		               node_kind(node));
		return;
	}
	config_clear(ld->cfg, e);
	for (item = node->data.sequence.items.start; item < node->data.sequence.items.top; item++)
		config_set_one(ld, e, yaml_document_get_node(&ld->doc, *item));
}

/* Reports an unknown key: what replaced it, or a hint when one is close. */
static void
config_unknown(struct config_load *ld, yaml_node_t *key, const char *name)
{
	const char *retired;
	char *hint;

	if ((retired = config_retired_hint(name)) != NULL) {
		config_problem(ld, node_line(key), name, "%s", retired);
		return;
	}
	hint = config_hint(name);

	if (hint != NULL)
		config_problem(ld, node_line(key), name, "unknown key (did you mean %s?)", hint);
	else
		config_problem(ld, node_line(key), name, "unknown key");
	free(hint);
}

/* Line of an earlier pair of the mapping with the same key, or 0. */
static size_t
config_duplicate(struct config_load *ld, yaml_node_t *map, yaml_node_pair_t *pair)
{
	yaml_node_t *key = yaml_document_get_node(&ld->doc, pair->key), *other;
	yaml_node_pair_t *p;

	for (p = map->data.mapping.pairs.start; p < pair; p++) {
		other = yaml_document_get_node(&ld->doc, p->key);
		if (other->type == YAML_SCALAR_NODE &&
		    other->data.scalar.length == key->data.scalar.length &&
		    memcmp(other->data.scalar.value, key->data.scalar.value,
		           key->data.scalar.length) == 0)
			return node_line(other);
	}
	return 0;
}

/* Walks one mapping of the file; prefix is its section, NULL at the top. */
static void
config_walk(struct config_load *ld, yaml_node_t *map, const char *prefix)
{
	const struct config_entry *e;
	yaml_node_pair_t *pair;
	yaml_node_t *key, *value;
	size_t first;
	char *name;

	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		key = yaml_document_get_node(&ld->doc, pair->key);
		value = yaml_document_get_node(&ld->doc, pair->value);
		if (key->type != YAML_SCALAR_NODE) {
			config_problem(ld, node_line(key), prefix != NULL ? prefix : "(top level)",
			               "expected a key, got %s", node_kind(key));
			continue;
		}
		if (prefix != NULL)
			name = xasprintf("%s.%s", prefix, node_text(key));
		else
			name = xstrdup(node_text(key));
		if ((first = config_duplicate(ld, map, pair)) != 0)
			config_problem(ld, node_line(key), name,
			               "duplicate key (first at line %zu)", first);
		else if ((e = config_find(name)) != NULL)
			config_set(ld, e, value);
		else if (!config_is_section(name))
			config_unknown(ld, key, name);
		else if (value->type == YAML_MAPPING_NODE)
			config_walk(ld, value, name);
		else if (!node_is_null(value))
			config_problem(ld, node_line(value), name, "expected a mapping, got %s",
			               node_kind(value));
		free(name);
	}
}

/* Rules between keys, once every key is in. */
static void
config_cross_check(struct config_load *ld)
{
	const struct config_entry *token = config_find("st2.auth_token");
	const struct config_entry *cap = config_find("webhook.max_unverified_bytes");
	long need = ld->cfg->webhook_max_body_bytes + CONFIG_MAX_HEADER_BYTES;

	if (ld->cfg->st2_api_key != NULL && ld->cfg->st2_auth_token != NULL)
		config_problem(ld, ld->lines[token - config_table], token->name,
		               "set only one of st2.api_key and st2.auth_token");
	/*
	 * One request of the largest size, with its headers, must fit or it
	 * could never pass: the default grows to fit, a value set too low is
	 * an error.
	 */
	if (ld->cfg->webhook_max_unverified_bytes < need) {
		if (ld->lines[cap - config_table] == 0)
			ld->cfg->webhook_max_unverified_bytes = need;
		else
			config_problem(
			    ld, ld->lines[cap - config_table], cap->name,
			    "%ld is less than webhook.max_body_bytes + %d of headers (%ld)",
			    ld->cfg->webhook_max_unverified_bytes, CONFIG_MAX_HEADER_BYTES, need);
	}
}

/*
 * A file every user may read that holds secrets as literals gives them to
 * every user of the host: warn (not refuse: a container may run as one
 * user), naming the keys and the remedies.
 */
static void
config_mode_warning(struct config_load *ld, const char *path)
{
	struct stat st;
	char *names;

	if (ld->literals.n == 0 || stat(path, &st) != 0 || (st.st_mode & S_IROTH) == 0)
		return;
	names = strlist_join(&ld->literals, ", ");
	strlist_addf(&ld->cfg->warnings,
	             "%s: readable by every user of this host, and it holds secrets as literals "
	             "(%s): chmod o-r %s, or give them as {file: PATH} or {env: NAME}",
	             path, names, path);
	free(names);
}

/* Reports libyaml's parse error, with its line. */
static void
config_syntax_error(struct config_load *ld, yaml_parser_t *parser, const char *buf)
{
	size_t line = parser->problem_mark.line + 1, i;

	if (parser->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		for (line = 1, i = 0; i < parser->problem_offset && buf[i] != '\0'; i++)
			line += buf[i] == '\n';
	}
	if (parser->context != NULL)
		config_problem(ld, line, "syntax error", "%s (%s that starts at line %zu)",
		               parser->problem != NULL ? parser->problem : "unknown error",
		               parser->context, parser->context_mark.line + 1);
	else
		config_problem(ld, line, "syntax error", "%s",
		               parser->problem != NULL ? parser->problem : "unknown error");
}

/* Parses buf and walks its document into ld->cfg. */
static void
config_parse(struct config_load *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_node_t *root;

	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &ld->doc)) {
		config_syntax_error(ld, &parser, buf);
		yaml_parser_delete(&parser);
		return;
	}
	root = yaml_document_get_root_node(&ld->doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE)
		config_walk(ld, root, NULL);
	else if (root != NULL && !node_is_null(root))
		config_problem(ld, node_line(root), "(top level)", "expected a mapping, got %s",
		               node_kind(root));
	if (root != NULL)
		config_cross_check(ld);
	yaml_document_delete(&ld->doc);

	if (!yaml_parser_load(&parser, &ld->doc)) {
		config_syntax_error(ld, &parser, buf);
	} else {
		if ((root = yaml_document_get_root_node(&ld->doc)) != NULL)
			config_problem(ld, node_line(root), "(top level)",
			               "only one YAML document is allowed");
		yaml_document_delete(&ld->doc);
	}
	yaml_parser_delete(&parser);
}

/* Creates a config with every default of the table in place. */
struct pd_config *
config_new(void)
{
	struct pd_config *cfg = xcalloc(1, sizeof *cfg);
	char *reason;
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		if (config_table[i].def == NULL)
			continue;
		if ((reason = config_store(cfg, &config_table[i], config_table[i].def, NULL)))
			fatal("config: default of %s: %s", config_table[i].name, reason);
	}
	return cfg;
}

/* Frees a config, wiping its secrets. */
void
config_free(struct pd_config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < config_nkeys; i++)
		config_clear(cfg, &config_table[i]);
	strlist_free(&cfg->warnings);
	free(cfg->file);
	free(cfg);
}

/* The config file used when no -c is given. */
const char *
config_default_path(void)
{
	const char *env = getenv(CONFIG_ENV);

	return env != NULL && *env != '\0' ? env : CONFIG_DEFAULT_PATH;
}

/* Applies the environment overrides of the table that are set and not empty. */
enum pd_err
config_apply_env(struct pd_config *cfg, struct pd_strlist *problems)
{
	const struct config_entry *e;
	size_t before = problems->n;
	const char *v;
	char *reason;

	for (e = config_table; e < config_table + config_nkeys; e++) {
		if (e->env == NULL || (v = getenv(e->env)) == NULL || *v == '\0')
			continue;
		if ((reason = config_store(cfg, e, v, NULL)) != NULL) {
			strlist_addf(problems, "$%s: %s: %s", e->env, e->name, reason);
			free(reason);
		}
	}
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}

/* Loads path over cfg, reporting every problem (see the DESIGN above). */
enum pd_err
config_load(struct pd_config *cfg, const char *path, struct pd_strlist *problems)
{
	struct config_load ld;
	size_t before = problems->n, len;
	char *buf;

	if (path == NULL)
		path = config_default_path();
	free(cfg->file);
	cfg->file = xstrdup(path);

	errno = 0;
	if (read_file(path, &buf, &len) != PD_OK) {
		strlist_addf(problems, "%s: cannot read: %s", path,
		             strerror(errno != 0 ? errno : EIO));
		return PD_ERR_CONFIG;
	}
	memset(&ld, 0, sizeof ld);
	ld.cfg = cfg;
	ld.file = path;
	ld.base = config_base_dir(path);
	ld.problems = problems;
	ld.lines = xcalloc(config_nkeys, sizeof *ld.lines);
	config_parse(&ld, buf, len);
	config_mode_warning(&ld, path);
	strlist_free(&ld.literals);
	free(ld.lines);
	free(ld.base);
	crypto_wipe(buf, len); /* literal secrets */
	free(buf);
	config_apply_env(cfg, problems);
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}
