/*
 * testlib.c: the helpers of testlib.h. Linked into every unit test; uses
 * cmocka's assertions, so a helper that cannot do its job fails the test
 * that called it rather than returning an error nobody checks.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <sqlite3.h>

#include "testlib.h"

#define GUARD_SECS 120 /* longer than any test needs, shorter than ctest's timeout */
#define MAX_ARGS   64

char *
t_tempdir(const char *name)
{
	char *tmpl = xasprintf("/tmp/%s.XXXXXX", name);

	if (mkdtemp(tmpl) == NULL)
		fail_msg("mkdtemp %s: %s", tmpl, strerror(errno));
	return tmpl;
}

/* nftw callback: removes one entry, children first. */
static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
t_rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void
t_put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		fail_msg("fopen %s: %s", path, strerror(errno));
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

char *
t_write(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);

	t_put(path, text);
	return path;
}

char *
t_slurp(const char *path)
{
	char *buf;
	size_t len;

	if (read_file(path, &buf, &len) != PD_OK)
		fail_msg("cannot read %s", path);
	return buf;
}

char *
t_source_dir(void)
{
	const char *env = getenv("PD_SOURCE_DIR");
	const char *suffix = "/tests/lib/testlib.c";
	size_t len = strlen(__FILE__);

	if (env != NULL && *env != '\0')
		return xstrdup(env);
	assert_true(len > strlen(suffix) && __FILE__[0] == '/');
	return xstrndup(__FILE__, len - strlen(suffix));
}

/* The content of dir/rel, or a failed test saying what was missing and where it was looked for. */
static char *
file_under(const char *dir, const char *what, const char *rel, size_t *len)
{
	char *path = xasprintf("%s/%s", dir, rel), *buf;
	size_t n;

	if (read_file(path, &buf, &n) != PD_OK)
		fail_msg("%s is missing (%s); %s", path, what,
		         "ctest sets PD_SOURCE_DIR and PD_SHARED_DIR");
	free(path);
	if (len != NULL)
		*len = n;
	return buf;
}

char *
t_source_file(const char *rel, size_t *len)
{
	char *src = t_source_dir(), *text = file_under(src, "the source tree", rel, len);

	free(src);
	return text;
}

char *
t_shared_file(const char *rel, size_t *len)
{
	const char *env = getenv("PD_SHARED_DIR");
	char *src, *shared, *text;

	if (env != NULL && *env != '\0')
		return file_under(env, "../shared, the specs and reference notes", rel, len);
	src = t_source_dir();
	shared = xasprintf("%s/../shared", src);
	text = file_under(shared, "../shared, the specs and reference notes", rel, len);
	free(shared);
	free(src);
	return text;
}

char *t_cfgdir, *t_cfgpath;

int
t_config_setup(void **state)
{
	size_t i;

	(void)state;
	t_cfgdir = t_tempdir("test_config");
	t_cfgpath = xasprintf("%s/config.yaml", t_cfgdir);
	unsetenv("ST2_PAGERDUTY_CONFIG");
	for (i = 0; i < config_nkeys; i++) {
		if (config_table[i].env != NULL)
			unsetenv(config_table[i].env);
	}
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return 0;
}

int
t_config_teardown(void **state)
{
	(void)state;
	t_rmtree(t_cfgdir);
	free(t_cfgpath);
	free(t_cfgdir);
	return 0;
}

enum pd_err
t_config_load(const char *yaml, struct pd_config **cfg, struct pd_strlist *problems)
{
	t_put(t_cfgpath, yaml);
	*cfg = config_new();
	problems->v = NULL;
	problems->n = 0;
	return config_load(*cfg, t_cfgpath, problems);
}

void
t_config_dump(const char *yaml, const struct pd_strlist *problems)
{
	size_t i;

	print_message("yaml:\n%s\nproblems (%zu):\n", yaml, problems->n);
	for (i = 0; i < problems->n; i++)
		print_message("  %s\n", problems->v[i]);
}

void
t_config_problems(const char *yaml, struct pd_strlist *problems, const char *const *want, size_t n)
{
	char *full;
	size_t i;

	if (problems->n != n)
		t_config_dump(yaml, problems);
	assert_int_equal(problems->n, n);
	for (i = 0; i < n; i++) {
		full = xasprintf("%s%s", t_cfgpath, want[i]);
		assert_string_equal(problems->v[i], full);
		free(full);
	}
	strlist_free(problems);
}

void
t_config_fails(const char *yaml, const char *const *want)
{
	struct pd_strlist problems;
	struct pd_config *cfg;
	size_t n = 0;

	while (want[n] != NULL)
		n++;
	assert_int_equal(t_config_load(yaml, &cfg, &problems), PD_ERR_CONFIG);
	t_config_problems(yaml, &problems, want, n);
	config_free(cfg);
}

struct pd_config *
t_config_ok(const char *yaml)
{
	struct pd_strlist problems;
	struct pd_config *cfg;

	if (t_config_load(yaml, &cfg, &problems) != PD_OK || problems.n != 0) {
		t_config_dump(yaml, &problems);
		fail_msg("expected no problem");
	}
	return cfg;
}

/* qsort comparison of two strings. */
static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct pd_strlist
t_case_files(const char *rel_dir, const char *suffix)
{
	struct pd_strlist l = {NULL, 0};
	char *src = t_source_dir(), *dir = xasprintf("%s/%s", src, rel_dir);
	size_t slen = strlen(suffix), len;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		fail_msg("cannot list %s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len > slen && strcmp(e->d_name + len - slen, suffix) == 0)
			strlist_add(&l, e->d_name);
	}
	closedir(d);
	qsort(l.v, l.n, sizeof l.v[0], cmp_names);
	free(dir);
	free(src);
	return l;
}

char *
t_case_section(const char *text, const char *name, size_t *len)
{
	char *marker = xasprintf("--- %s\n", name);
	const char *p = text, *start, *end;
	size_t mlen = strlen(marker);

	/* Sections start at the beginning of a line. */
	while (p != NULL && strncmp(p, marker, mlen) != 0) {
		p = strchr(p, '\n');
		p = p != NULL ? p + 1 : NULL;
	}
	free(marker);
	if (p == NULL)
		return NULL;
	start = p + mlen;
	for (end = start; (end = strchr(end, '\n')) != NULL; end++) {
		if (strncmp(end + 1, "--- ", 4) == 0)
			break;
	}
	if (end == NULL) /* the last section: up to the file's final newline */
		end =
		    start + strlen(start) - (start[0] != '\0' && start[strlen(start) - 1] == '\n');
	if (end < start)
		end = start;
	if (len != NULL)
		*len = (size_t)(end - start);
	return xstrndup(start, (size_t)(end - start));
}

char *
t_case(const char *rel_path, const char *name, size_t *len)
{
	char *text = t_source_file(rel_path, NULL), *sec = t_case_section(text, name, len);

	if (sec == NULL)
		fail_msg("%s has no \"--- %s\" section", rel_path, name);
	free(text);
	return sec;
}

/* Everything f received since it was opened, NUL-terminated (caller frees). */
static char *
slurp_stream(FILE *f)
{
	long len;
	char *buf;

	fflush(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	buf = xmalloc((size_t)len + 1);
	rewind(f);
	if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)
		fail_msg("testlib: short read of the captured output");
	buf[len] = '\0';
	return buf;
}

/*
 * The streams are swapped at the file-descriptor level, so what a command
 * prints through stdio and what it writes to fd 1 or 2 directly are both
 * caught; stdio is flushed on either side of the swap.
 */
int
t_run(const struct cli_entry *cmd, char *const *args, const char *stdin_path, char **out,
      char **err)
{
	char *argv[MAX_ARGS + 2];
	FILE *fo = tmpfile(), *fe = tmpfile(), *fi = NULL;
	int argc = 0, save_out, save_err, save_in = -1, rc;

	argv[argc++] = (char *)cmd->name;
	while (args != NULL && *args != NULL) {
		assert_true(argc <= MAX_ARGS);
		argv[argc++] = *args++;
	}
	argv[argc] = NULL;
	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	save_out = dup(STDOUT_FILENO);
	save_err = dup(STDERR_FILENO);
	dup2(fileno(fo), STDOUT_FILENO);
	dup2(fileno(fe), STDERR_FILENO);
	if (stdin_path != NULL) {
		assert_non_null(fi = fopen(stdin_path, "rb"));
		save_in = dup(STDIN_FILENO);
		dup2(fileno(fi), STDIN_FILENO);
		clearerr(stdin);
	}
	rc = cli_run(cmd, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, STDOUT_FILENO);
	dup2(save_err, STDERR_FILENO);
	close(save_out);
	close(save_err);
	if (save_in >= 0) {
		dup2(save_in, STDIN_FILENO);
		close(save_in);
		fclose(fi);
		clearerr(stdin);
	}
	if (out != NULL)
		*out = slurp_stream(fo);
	if (err != NULL)
		*err = slurp_stream(fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

char *
t_stderr_of(void (*fn)(void *), void *arg)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	char *out;

	assert_non_null(tmp);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	fn(arg);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	out = slurp_stream(tmp);
	fclose(tmp);
	return out;
}

void
t_contains(const char *text, const char *const *wants)
{
	for (; *wants != NULL; wants++) {
		if (strstr(text, *wants) == NULL)
			fail_msg("\"%s\" is not in:\n%s", *wants, text);
	}
}

json_t *
t_json(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (v == NULL)
		fail_msg("not JSON (%s): %s", e.text, text);
	return v;
}

int
t_lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

struct spool_event *
t_event(const char *id, const char *webhook_id, const char *type, const char *incident,
        int64_t received_ms)
{
	struct spool_event *ev = xcalloc(1, sizeof *ev);

	ev->event_id = xstrdup(id);
	ev->webhook_id = webhook_id != NULL ? xstrdup(webhook_id) : NULL;
	ev->event_type = xstrdup(type);
	ev->trigger = xasprintf("pagerduty.%s", type);
	ev->order_key = xasprintf("incident:%s", incident);
	ev->payload =
	    xasprintf("{\"event_id\":\"%s\",\"event_type\":\"%s\",\"data\":{\"id\":\"%s\"}}", id,
	              type, incident);
	ev->payload_len = strlen(ev->payload);
	ev->received_ms = received_ms;
	return ev;
}

/* Guard timer: ends the wait that would otherwise block forever. */
static void
guard_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

/*
 * The guard lives in the base (found again by event_base_foreach_event),
 * so callers hold one pointer; it also keeps EVLOOP_ONCE blocking when the
 * only other events are ones that get activated.
 */
struct event_base *
t_base_new(void)
{
	struct event_base *base = event_base_new();
	struct event *guard;
	struct timeval tv = {GUARD_SECS, 0};

	assert_non_null(base);
	guard = evtimer_new(base, guard_cb, base);
	evtimer_add(guard, &tv);
	return base;
}

/* event_base_foreach_event callback: frees the guard. */
static int
free_guard(const struct event_base *base, const struct event *ev, void *arg)
{
	(void)base;
	if (event_get_callback(ev) == guard_cb)
		*(struct event **)arg = (struct event *)ev;
	return 0;
}

void
t_base_free(struct event_base *base)
{
	struct event *guard = NULL;

	event_base_foreach_event(base, free_guard, &guard);
	if (guard != NULL)
		event_free(guard);
	event_base_free(base);
}

void
t_base_wait(struct event_base *base, const int *count, int n)
{
	while (*count < n) {
		event_base_loop(base, EVLOOP_ONCE);
		if (event_base_got_break(base))
			fail_msg("gave up after %d s: %d of %d callbacks ran", GUARD_SECS, *count,
			         n);
	}
	assert_int_equal(*count, n);
}

/* Opens the SQLite spool in dir; creates it, for tests that build an old schema by hand. */
static sqlite3 *
spool_db(const char *dir)
{
	char *path = xasprintf("%s/%s", dir, SPOOL_DB_FILE);
	sqlite3 *db;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK)
		fail_msg("cannot open %s: %s", path, sqlite3_errmsg(db));
	free(path);
	return db;
}

int64_t
t_spool_int(const char *dir, const char *sql)
{
	sqlite3 *db = spool_db(dir);
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

void
t_spool_exec(const char *dir, const char *sql)
{
	sqlite3 *db = spool_db(dir);
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

void
t_readme_row(FILE *f, const char *const *cells)
{
	for (; *cells != NULL; cells++) {
		fputs("| ", f);
		pack_md_cell(f, *cells);
		fputc(' ', f);
	}
	fputs("|\n", f);
}

void
t_readme_table(const char *header, size_t n, void (*row)(FILE *, size_t))
{
	char *readme = t_source_file("README.md", NULL), *table, *end, *want = NULL;
	size_t len, i;
	FILE *f;

	table = strstr(readme, header);
	if (table == NULL)
		fail_msg("README has no table starting with:\n%s", header);
	table += strlen(header);
	end = strstr(table, "\n\n");
	assert_non_null(end);
	end[1] = '\0';
	f = open_memstream(&want, &len);
	for (i = 0; i < n; i++)
		row(f, i);
	fclose(f);
	if (strcmp(table, want) != 0) {
		/* Both in full: cmocka's messages would cut them short. */
		fprintf(stderr, "README:\n%s\nthe program's:\n%s", table, want);
		fail_msg("README's table is not the program's");
	}
	free(want);
	free(readme);
}

/* Whether v has the JSON Schema type name (jansson tells integers from reals). */
static int
schema_type_is(const char *name, json_t *v)
{
	static const struct {
		const char *name;
		json_type type;
	} types[] = {
	    {"string", JSON_STRING}, {"integer", JSON_INTEGER}, {"object", JSON_OBJECT},
	    {"array", JSON_ARRAY},   {"null", JSON_NULL},       {"boolean", JSON_TRUE},
	    {"boolean", JSON_FALSE}, {"number", JSON_INTEGER},  {"number", JSON_REAL},
	};
	size_t i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if (name != NULL && strcmp(types[i].name, name) == 0 &&
		    json_typeof(v) == types[i].type)
			return 1;
	}
	return 0;
}

char *
t_st2_check(json_t *schema, json_t *v, const char *where)
{
	json_t *type = json_object_get(schema, "type"), *t, *sub, *member;
	const char *key;
	char *path, *why = NULL;
	size_t i;
	int ok = type == NULL;

	if (json_is_string(type))
		ok = schema_type_is(json_string_value(type), v);
	json_array_foreach (type, i, t)
		ok |= schema_type_is(json_string_value(t), v);
	if (!ok)
		return xasprintf("%s: JSON type %d is not the schema's", where,
		                 (int)json_typeof(v));
	if ((t = json_object_get(schema, "enum")) != NULL) {
		ok = 0;
		json_array_foreach (t, i, sub)
			ok |= json_equal(sub, v);
		if (!ok)
			return xasprintf("%s: not in the schema's enum", where);
	}
	if (!json_is_object(v))
		return NULL;
	json_object_foreach (json_object_get(schema, "properties"), key, sub) {
		path = xasprintf("%s.%s", where, key);
		if ((member = json_object_get(v, key)) == NULL) {
			if (json_is_true(json_object_get(sub, "required")))
				why = xasprintf("%s: required, missing", path);
		} else {
			why = t_st2_check(sub, member, path);
		}
		free(path);
		if (why != NULL)
			return why;
	}
	if (json_is_false(json_object_get(schema, "additionalProperties"))) {
		json_object_foreach (v, key, member) {
			if (json_object_get(json_object_get(schema, "properties"), key) == NULL)
				return xasprintf("%s.%s: not a property, and additionalProperties "
				                 "is false",
				                 where, key);
		}
	}
	return NULL;
}

char *
t_trigger_check(const struct spool_event *ev)
{
	const struct event_type *t;
	json_t *tt, *p;
	char *why;

	assert_memory_equal(ev->trigger, "pagerduty.", 10);
	t = catalog_find(ev->trigger + 10);
	if (t == NULL) /* pagerduty.event, the catch-all, is the table's last row */
		t = &catalog_types[catalog_ntypes - 1];
	assert_string_equal(t->name, ev->trigger + 10);
	tt = catalog_triggertype(t);
	assert_non_null(json_object_get(tt, "payload_schema"));
	p = t_json(ev->payload);
	why = t_st2_check(json_object_get(tt, "payload_schema"), p, ev->trigger);
	json_decref(p);
	json_decref(tt);
	return why;
}
