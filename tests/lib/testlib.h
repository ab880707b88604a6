/*
 * testlib.h: what the unit tests share, so that no test file carries its own
 * copy: temp directories and files, running a subcommand the way main() does
 * with its output captured, and reading a spool behind the daemon's back.
 * Every helper fails the running cmocka test itself when something it needs
 * goes wrong, so callers need not check.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "st2pd.h"

/* ---- files ---- */

/* A new directory /tmp/NAME.XXXXXX (caller frees; t_rmtree removes it). */
char *t_tempdir(const char *name);
/* rm -rf path; NULL is a no-op. */
void t_rmtree(const char *path);
/* Writes text to path (created or truncated). */
void t_put(const char *path, const char *text);
/* Writes text to dir/name (created or truncated); returns the path (caller frees). */
char *t_write(const char *dir, const char *name, const char *text);
/* The whole content of path, NUL-terminated (caller frees). */
char *t_slurp(const char *path);
/* The source tree: $PD_SOURCE_DIR, else the folder above tests/ (caller frees). */
char *t_source_dir(void);
/*
 * The content of a file of the source tree, or of ../shared ($PD_SHARED_DIR,
 * else the folder beside the source tree), NUL-terminated; *len, unless
 * NULL, gets its length. A missing file fails the test: a test that needs
 * it does not pass without it.
 */
char *t_source_file(const char *rel, size_t *len);
char *t_shared_file(const char *rel, size_t *len);

/* ---- config files ---- */

/* The temp directory of the config tests, and the config.yaml in it most of them load. */
extern char *t_cfgdir, *t_cfgpath;
/*
 * Group setup and teardown of the config tests: t_cfgdir made, and no
 * ST2_PAGERDUTY_* variable left to override the files the tests write.
 */
int t_config_setup(void **state);
int t_config_teardown(void **state);
/* Writes yaml to t_cfgpath and loads it over a fresh config; problems gets what is wrong. */
enum pd_err t_config_load(const char *yaml, struct pd_config **cfg, struct pd_strlist *problems);
/* The config yaml makes; a single problem fails the test, showing them all. */
struct pd_config *t_config_ok(const char *yaml);
/* Prints yaml and its problems, to explain a failed assertion. */
void t_config_dump(const char *yaml, const struct pd_strlist *problems);
/*
 * Fails unless problems are the n of want, in that order, each after
 * t_cfgpath's name ("FILE:3: key: ..."); yaml and the problems are shown
 * when their number is off. Frees problems.
 */
void t_config_problems(const char *yaml, struct pd_strlist *problems, const char *const *want,
                       size_t n);
/* Loads yaml, which must fail with exactly the problems want (NULL-terminated), as above. */
void t_config_fails(const char *yaml, const char *const *want);

/* ---- case files (tests/data/: the inputs and answers tests share, as curl's tests/data) ---- */

/*
 * The names of the files of a folder of the source tree that end in suffix,
 * sorted (caller frees with strlist_free).
 */
struct pd_strlist t_case_files(const char *rel_dir, const char *suffix);
/*
 * The section NAME of a case file: the lines after "--- NAME" up to the
 * next "--- " line, without the newline before it (caller frees); NULL
 * when the case has no such section. '#' lines before the first section
 * are the case's description.
 */
char *t_case_section(const char *text, const char *name, size_t *len);
/* The section NAME of the case file at rel_path in the source tree; a missing one fails. */
char *t_case(const char *rel_path, const char *name, size_t *len);

/* ---- running a subcommand ---- */

/*
 * Runs cmd with args (NULL-terminated, without argv[0]: cmd's name is put
 * there) through cli_run, as main() would. *out and *err get what it wrote
 * to fds 1 and 2 (either may be NULL when not wanted); stdin_path, unless
 * NULL, becomes its standard input. Returns its exit status.
 */
int t_run(const struct cli_entry *cmd, char *const *args, const char *stdin_path, char **out,
          char **err);
/* What fn(arg) wrote to stderr (caller frees). */
char *t_stderr_of(void (*fn)(void *), void *arg);
/* Fails unless text holds every string of wants (NULL-terminated), naming the first missing. */
void t_contains(const char *text, const char *const *wants);
#define T_ALL(...) ((const char *const[]){__VA_ARGS__, NULL})
/* text parsed as JSON (caller decrefs); a parse error fails the test, showing text. */
json_t *t_json(const char *text);
/* Newlines in s. */
int t_lines(const char *s);

/* ---- the spool ---- */

/* An event as payload.c would build it (caller frees or hands it to the spool). */
struct spool_event *t_event(const char *id, const char *webhook_id, const char *type,
                            const char *incident, int64_t received_ms);
/* An event base with a guard timer, so that a hung test fails instead of blocking ctest. */
struct event_base *t_base_new(void);
void t_base_free(struct event_base *);
/*
 * Runs base until *count reaches n; fails the test when the guard fires
 * first. Meant for counters that commit callbacks bump.
 */
void t_base_wait(struct event_base *, const int *count, int n);
/* The first column of the first row of sql, run on the SQLite spool in dir; -1 if no row. */
int64_t t_spool_int(const char *dir, const char *sql);
/* Runs sql on the SQLite spool in dir. */
void t_spool_exec(const char *dir, const char *sql);

/* ---- README's tables that are the program's own tables written out ---- */

/* Appends a row of a README table: each cell (NULL-terminated) escaped as Markdown needs. */
void t_readme_row(FILE *f, const char *const *cells);
/*
 * Fails unless the rows of README's table that starts with header (its
 * header and separator lines), up to the blank line after it, are exactly
 * row(f, i) for every i below n, in that order: nothing missing, nothing more.
 */
void t_readme_table(const char *header, size_t n, void (*row)(FILE *, size_t));

/* ---- what st2 would say ---- */

/*
 * Checks v against an st2 payload schema as st2's validator does for the
 * keywords the catalogue writes: type (a name or a list; "number" takes
 * integers too), enum, properties with property-level required: true,
 * additionalProperties: false. NULL when v passes, else "WHERE.path:
 * what failed" (caller frees).
 */
char *t_st2_check(json_t *schema, json_t *v, const char *where);
/* t_st2_check of ev's payload against the payload_schema its trigger type registers. */
char *t_trigger_check(const struct spool_event *ev);

#endif
