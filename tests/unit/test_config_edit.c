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

/* webhook_subscription.create --write_config: only safe edits, verified before rename. */
static void
test_config_add_secret(void **state)
{
	struct stat st;
	char *path, *got, *why, *link;

	(void)state;
	/* A block list: a line after its last item, same indentation, comments kept. */
	path = t_write(t_cfgdir, "list.yaml",
	               "# my config\napi_key: k\nwebhook:\n  secrets:\n"
	               "  - \"old\"   # the first\n  - {env: HOME}\n"
	               "  path: /hook\nlog:\n  level: warn\n");
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(config_add_secret(path, "n\"ew", &why), PD_OK);
	got = t_slurp(path);
	assert_string_equal(got, "# my config\napi_key: k\nwebhook:\n  secrets:\n"
	                         "  - \"old\"   # the first\n  - {env: HOME}\n  - \"n\\\"ew\"\n"
	                         "  path: /hook\nlog:\n  level: warn\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	free(path);

	/* Indented list, last line without a newline. */
	path = t_write(t_cfgdir, "eof.yaml", "webhook:\n  secrets:\n    - a");
	assert_int_equal(config_add_secret(path, "b", &why), PD_OK);
	got = t_slurp(path);
	assert_string_equal(got, "webhook:\n  secrets:\n    - a\n    - \"b\"\n");
	free(got);
	free(path);

	/* No webhook section: one is appended. */
	path = t_write(t_cfgdir, "none.yaml", "api_key: k\nfrom_email: a@example.com\n");
	assert_int_equal(config_add_secret(path, "s3", &why), PD_OK);
	got = t_slurp(path);
	assert_string_equal(got, "api_key: k\nfrom_email: a@example.com\n"
	                         "webhook:\n  secrets:\n    - \"s3\"\n");
	free(got);
	free(path);

	/* Refused, the file untouched: flow list, no list, JSON-style file, symlink, bad file. */
	path = t_write(t_cfgdir, "flow.yaml", "webhook:\n  secrets: [a, b]\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "not a block list"));
	free(why);
	got = t_slurp(path);
	assert_string_equal(got, "webhook:\n  secrets: [a, b]\n");
	free(got);
	free(path);
	path = t_write(t_cfgdir, "nolist.yaml", "webhook:\n  path: /x\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "no secrets list"));
	free(why);
	free(path);
	path = t_write(t_cfgdir, "json.yaml", "{\"api_key\": \"k\"}\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "block mapping"));
	free(why);
	link = xasprintf("%s/link.yaml", t_cfgdir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(config_add_secret(link, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "symbolic link"));
	free(why);
	free(link);
	free(path);
	path = t_write(t_cfgdir, "bad.yaml", "webhook:\n  secrets:\n    - a\nbogus_key: 1\n");
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "does not load"));
	free(why);
	free(path);
	path = xasprintf("%s/missing.yaml", t_cfgdir);
	assert_int_equal(config_add_secret(path, "c", &why), PD_ERR_IO);
	assert_non_null(strstr(why, "missing.yaml not changed"));
	free(why);
	free(path);
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
