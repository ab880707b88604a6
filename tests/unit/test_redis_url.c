/*
 * test_redis_url.c: spool.redis.url as the Redis spool reads it: host, port,
 * database and password out of every accepted form, a reason for each
 * refused one, and the "where" line that shows the URL without its
 * password. Pure parsing: no Redis is started here (test_ha.py does that).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "st2pd.h"

/* One accepted URL and what it holds. */
static const struct {
	const char *url;
	const char *host;
	int port, db;
	const char *password; /* NULL: none */
} good[] = {
    {"redis://127.0.0.1:6379/0", "127.0.0.1", 6379, 0, NULL},
    {"redis://localhost", "localhost", 6379, 0, NULL},
    {"redis://localhost/", "localhost", 6379, 0, NULL},
    {"redis://redis-master.st2.svc:6380/3", "redis-master.st2.svc", 6380, 3, NULL},
    {"redis://:s3cret@10.0.0.5:6379/1", "10.0.0.5", 6379, 1, "s3cret"},
    {"redis://default:s3cret@host", "host", 6379, 0, "s3cret"},
    {"redis://:p%40ss%3Aword@host:7000", "host", 7000, 0, "p@ss:word"},
    {"redis://:a@b@host", "host", 6379, 0, "a@b"},
    {"redis://[::1]:6379/2", "::1", 6379, 2, NULL},
    {"redis://[::1]", "::1", 6379, 0, NULL},
};

/* One refused URL and a word its reason must hold. */
static const struct {
	const char *url;
	const char *why;
} bad[] = {
    {"http://localhost:6379", "expected redis://"},
    {"rediss://localhost:6380", "TLS"},
    {"redis://", "no host"},
    {"redis://:pw@", "no host"},
    {"redis://host:0", "bad port"},
    {"redis://host:65536", "bad port"},
    {"redis://host:port", "bad port"},
    {"redis://host/db", "bad database"},
    {"redis://host/-1", "bad database"},
    {"redis://[::1", "unclosed"},
    {"redis://[::1]x", "expected :port"},
    {"redis://host?x=1", "no query"},
    {"redis://:%zz@host", "bad %-escape"},
};

/* Every accepted form gives its host, port, database and password. */
static void
test_good(void **state)
{
	struct redis_target t;
	char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (redis_url_parse(good[i].url, &t, &why) != PD_OK)
			fail_msg("%s: refused: %s", good[i].url, why);
		assert_string_equal(t.host, good[i].host);
		assert_int_equal(t.port, good[i].port);
		assert_int_equal(t.db, good[i].db);
		if (good[i].password == NULL)
			assert_null(t.password);
		else
			assert_string_equal(t.password, good[i].password);
		redis_target_free(&t);
	}
}

/* Every refused form says why, and leaves nothing allocated. */
static void
test_bad(void **state)
{
	struct redis_target t;
	char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (redis_url_parse(bad[i].url, &t, &why) == PD_OK)
			fail_msg("%s: accepted", bad[i].url);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].url, why, bad[i].why);
		assert_null(t.host);
		assert_null(t.password);
		free(why);
	}
}

/* The config's password wins over the URL's, and "where" never shows either. */
static void
test_target(void **state)
{
	struct pd_config *cfg = config_new();
	struct redis_target t;

	(void)state;
	free(cfg->spool_redis_url);
	cfg->spool_redis_url = xstrdup("redis://:from-url@[::1]:6390/4");
	cfg->spool_redis_password = xstrdup("from-config");
	assert_int_equal(redis_target_init(cfg, &t), PD_OK);
	assert_string_equal(t.password, "from-config");
	assert_string_equal(t.prefix, "st2pd:");
	assert_string_equal(t.where, "redis://[::1]:6390/4 prefix \"st2pd:\"");
	redis_target_free(&t);
	config_free(cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_target),
	};

	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
