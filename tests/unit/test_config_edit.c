/*
 * test_config_edit.c: the config file editor (config/edit.c) that
 * webhook_subscription.create --write_config uses: only edits it can make
 * safely (a block list of secrets, or a new webhook section), comments and
 * mode kept, the result loaded before it replaces the file; anything else
 * refused with the file untouched and no temporary file left behind.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

/* Asserts no temporary file was left beside the configs. */
static void
assert_no_tmp(void)
{
	DIR *d = opendir(t_cfgdir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".tmp") != NULL)
			fail_msg("temporary file left: %s", e->d_name);
	}
	closedir(d);
}

/*
 * One edit: a file (before), the secret added, and the file after, or the
 * reason it was refused (the file then left as it was). A NULL before is a
 * file that does not exist; link, a symbolic link to before.
 */
#define EDITS(w, b, a)                                                                             \
	{                                                                                          \
		.what = w, .before = b, .after = a                                                 \
	}
#define REFUSED(w, b, reason, ...)                                                                 \
	{                                                                                          \
		.what = w, .before = b, .refused = reason, __VA_ARGS__                             \
	}
static const struct edit_row {
	const char *what;
	const char *before;
	const char *after;
	const char *refused;
	int link;
} edit_rows[] = {
    EDITS("a block list: a line after its last item, same indentation, comments kept",
          "# my config\napi_key: k\nwebhook:\n  secrets:\n  - \"old\"   # the first\n"
          "  - {env: HOME}\n  path: /hook\nlog:\n  level: warn\n",
          "# my config\napi_key: k\nwebhook:\n  secrets:\n  - \"old\"   # the first\n"
          "  - {env: HOME}\n  - \"n\\\"ew\"\n  path: /hook\nlog:\n  level: warn\n"),
    EDITS("an indented list, the last line without a newline", "webhook:\n  secrets:\n    - a",
          "webhook:\n  secrets:\n    - a\n    - \"n\\\"ew\"\n"),
    EDITS("no webhook section: one is appended", "api_key: k\nfrom_email: a@example.com\n",
          "api_key: k\nfrom_email: a@example.com\nwebhook:\n  secrets:\n    - \"n\\\"ew\"\n"),
    REFUSED("a flow list", "webhook:\n  secrets: [a, b]\n", "not a block list"),
    REFUSED("no list", "webhook:\n  path: /x\n", "no secrets list"),
    REFUSED("a JSON-style file", "{\"api_key\": \"k\"}\n", "block mapping"),
    REFUSED("a symbolic link", "api_key: k\n", "symbolic link", .link = 1),
    REFUSED("a file that does not load", "webhook:\n  secrets:\n    - a\nbogus_key: 1\n",
            "does not load"),
    REFUSED("a missing file", NULL, "not changed"),
};

/* webhook_subscription.create --write_config: only safe edits, verified before rename. */
static void
test_config_add_secret(void **state)
{
	const struct edit_row *r;
	struct stat st;
	char *name, *path, *got, *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof edit_rows / sizeof edit_rows[0]; i++) {
		r = &edit_rows[i];
		print_message("%s\n", r->what);
		name = xasprintf("edit%zu.yaml", i);
		path = xasprintf("%s/%s", t_cfgdir, name);
		if (r->before != NULL) {
			t_put(path, r->before);
			assert_int_equal(chmod(path, 0640), 0);
		}
		if (r->link) {
			free(name);
			name = xasprintf("link%zu.yaml", i);
			got = path;
			path = xasprintf("%s/%s", t_cfgdir, name);
			assert_int_equal(symlink(got, path), 0);
			free(got);
		}
		why = NULL;
		if (r->after != NULL) {
			if (config_add_secret(path, "n\"ew", &why) != PD_OK)
				fail_msg("%s: refused: %s", r->what, why);
			got = t_slurp(path);
			assert_string_equal(got, r->after);
			free(got);
			/* The new file took the old one's mode. */
			assert_int_equal(stat(path, &st), 0);
			assert_int_equal(st.st_mode & 07777, 0640);
		} else {
			assert_int_equal(config_add_secret(path, "n\"ew", &why), PD_ERR_IO);
			if (strstr(why, r->refused) == NULL || strstr(why, name) == NULL)
				fail_msg("%s: \"%s\" does not say %s of %s", r->what, why,
				         r->refused, name);
			if (r->before != NULL) {
				got = t_slurp(path);
				assert_string_equal(got, r->before);
				free(got);
			}
		}
		free(why);
		free(path);
		free(name);
	}
	assert_no_tmp();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_add_secret),
	};

	return cmocka_run_group_tests(tests, t_config_setup, t_config_teardown);
}
