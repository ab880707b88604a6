/*
 * test_signature.c: X-PagerDuty-Signature checking (webhook/signature.c)
 * against PagerDuty's published vector file, RFC 4231 HMAC-SHA256 vectors
 * and the header shapes a receiver meets in practice.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testlib.h"

static char *tmpdir; /* made by setup, removed by teardown */

#define VECTORS_DIR "specs/pagerduty/vectors"
#define VECTORS     "webhookv3-signature-vectors.json"

static const char body[] = "{\"event\":{\"id\":\"01TEST\",\"event_type\":\"incident.triggered\"}}";
static const char *secret_main = "s3cret-ABC+/=";
static const char *secret_old = "previous-secret";

/* A one-secret list; the caller frees it with strlist_free(). */
static struct pd_strlist
one_secret(const char *s)
{
	struct pd_strlist l = {NULL, 0};

	strlist_add(&l, s);
	return l;
}

/* "v1=<hex>" for body under secret; the caller frees it. */
static char *
v1_for(const char *secret, const void *b, size_t len)
{
	char hex[65];

	sig_compute(secret, b, len, hex);
	return xasprintf("v1=%s", hex);
}

/* Verifies header against the test body with secret_main. */
static enum pd_err
verify_main(const char *header)
{
	struct pd_strlist l = one_secret(secret_main);
	enum pd_err rc = sig_verify(header, body, strlen(body), &l);

	strlist_free(&l);
	return rc;
}

/* ---- sig_compute against RFC 4231 ---- */

/* RFC 4231 test case 1: 20-byte key of 0x0b. */
static void
test_rfc4231_case1(void **state)
{
	char key[21], hex[65];

	memset(key, 0x0b, 20);
	key[20] = '\0';
	sig_compute(key, "Hi There", 8, hex);
	assert_string_equal(hex,
	                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* RFC 4231 test case 2: a key shorter than the hash. */
static void
test_rfc4231_case2(void **state)
{
	char hex[65];

	sig_compute("Jefe", "what do ya want for nothing?", 28, hex);
	assert_string_equal(hex,
	                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 4231 test case 6: a 131-byte key, longer than a block, is hashed first. */
static void
test_rfc4231_case6_long_key(void **state)
{
	static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First";
	char key[132], hex[65];

	memset(key, 0xaa, 131);
	key[131] = '\0';
	sig_compute(key, msg, strlen(msg), hex);
	assert_string_equal(hex,
	                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

/* ---- PagerDuty's vector file ---- */

/* Maps the vector file's "expect" text to our result; -1 if not understood. */
static int
vector_expect(const char *expect)
{
	static const struct {
		const char *word; /* first word of "expect" */
		enum pd_err rc;
	} words[] = {
	    {"valid", PD_OK},
	    {"invalid_signature", PD_ERR_SIG_MISMATCH},
	    {"malformed_header", PD_ERR_SIG_MISSING},
	    {"malformed_body", PD_ERR_BODY_EMPTY},
	    {"invalid", PD_ERR_SIG_MISMATCH},
	};
	size_t n = strcspn(expect, " ;(");
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strlen(words[i].word) != n || strncmp(expect, words[i].word, n) != 0)
			continue;
		/* "invalid (go-pagerduty returns malformed_header: ...)" */
		if (words[i].rc == PD_ERR_SIG_MISMATCH && n == strlen("invalid") &&
		    strstr(expect, "malformed_header") != NULL)
			return PD_ERR_SIG_MISSING;
		return (int)words[i].rc;
	}
	return -1;
}

/* Every case of webhookv3-signature-vectors.json. */
static void
test_vectors(void **state)
{
	char *text = t_shared_file(VECTORS_DIR "/" VECTORS, NULL), *body_rel, *file_body;
	size_t file_len, i;
	json_t *root = t_json(text), *cases, *c;
	int checked = 0;

	body_rel =
	    xasprintf(VECTORS_DIR "/%s", json_string_value(json_object_get(root, "body_file")));
	file_body = t_shared_file(body_rel, &file_len);
	assert_int_equal(file_len, json_integer_value(json_object_get(root, "body_length")));

	cases = json_object_get(root, "cases");
	assert_true(json_array_size(cases) > 0);
	json_array_foreach (cases, i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *b = json_string_value(json_object_get(c, "body"));
		const char *override = json_string_value(json_object_get(c, "secret_override"));
		struct pd_strlist secrets = {NULL, 0};
		const void *bp;
		size_t blen;
		int want = vector_expect(json_string_value(json_object_get(c, "expect")));

		print_message("vector %s\n", name);
		if (want < 0)
			fail_msg("vector %s: cannot read expect '%s'", name,
			         json_string_value(json_object_get(c, "expect")));
		assert_non_null(b);
		if (strcmp(b, "body_file") == 0) {
			bp = file_body;
			blen = file_len;
		} else {
			bp = b;
			blen = strlen(b);
		}
		strlist_add(&secrets, override != NULL
		                          ? override
		                          : json_string_value(json_object_get(root, "secret")));
		assert_int_equal(
		    sig_verify(json_string_value(json_object_get(c, "header")), bp, blen, &secrets),
		    want);
		strlist_free(&secrets);
		/* "valid only when verifying with secret 'wrong'; invalid with the main secret" */
		if (override != NULL && want == PD_OK) {
			strlist_add(&secrets, json_string_value(json_object_get(root, "secret")));
			assert_int_equal(sig_verify(json_string_value(json_object_get(c, "header")),
			                            bp, blen, &secrets),
			                 PD_ERR_SIG_MISMATCH);
			strlist_free(&secrets);
		}
		checked++;
	}
	assert_int_equal(checked, json_array_size(cases));

	/* sig_compute reproduces the upstream signature byte for byte. */
	{
		char hex[65];

		sig_compute(json_string_value(json_object_get(root, "secret")), file_body, file_len,
		            hex);
		assert_string_equal(
		    hex, "0c0b9495b893a39e70d1fea2fe11fbe0a825f88b9f67846f6cc07dd2bc5476cd");
	}
	free(file_body);
	free(body_rel);
	free(text);
	json_decref(root);
}

/* ---- header shapes ---- */

/* A plain single v1 entry matches. */
static void
test_single_valid(void **state)
{
	char *h = v1_for(secret_main, body, strlen(body));

	assert_int_equal(verify_main(h), PD_OK);
	free(h);
}

/* Spaces and tabs around entries, as some proxies and hand-written tests add. */
static void
test_spaces_after_commas(void **state)
{
	char *good = v1_for(secret_main, body, strlen(body));
	char *bad = v1_for(secret_old, body, strlen(body));
	char *h = xasprintf("  %s , \t%s\t ", bad, good);

	assert_int_equal(verify_main(h), PD_OK);
	free(h);
	free(good);
	free(bad);
}

/* Empty entries are skipped. */
static void
test_empty_entries(void **state)
{
	char *good = v1_for(secret_main, body, strlen(body));
	char *h = xasprintf(",,%s,", good);

	assert_int_equal(verify_main(h), PD_OK);
	assert_int_equal(verify_main(",,,"), PD_ERR_SIG_MISSING);
	free(h);
	free(good);
}

/* Hex is decoded, so upper case matches as go-pagerduty does. */
static void
test_uppercase_hex(void **state)
{
	char *h = v1_for(secret_main, body, strlen(body));
	char *p;

	for (p = h + 3; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	}
	assert_int_equal(verify_main(h), PD_OK);
	free(h);
}

/* Only v1 entries count: a v0 entry, even with the right MAC, is "missing". */
static void
test_v0_only(void **state)
{
	char *h = v1_for(secret_main, body, strlen(body));

	h[1] = '0';
	assert_int_equal(verify_main(h), PD_ERR_SIG_MISSING);
	h[0] = 'V';
	h[1] = '1';
	assert_int_equal(verify_main(h), PD_ERR_SIG_MISSING);
	free(h);
}

/* No header, an empty header, or an empty v1 value: nothing to check. */
static void
test_missing(void **state)
{
	assert_int_equal(verify_main(NULL), PD_ERR_SIG_MISSING);
	assert_int_equal(verify_main(""), PD_ERR_SIG_MISSING);
	assert_int_equal(verify_main("v1="), PD_ERR_SIG_MISSING);
	assert_int_equal(verify_main("v1=,v1="), PD_ERR_SIG_MISSING);
	assert_int_equal(verify_main("sha256=abc"), PD_ERR_SIG_MISSING);
}

/*
 * entry alone is no v1 signature ("missing"); skipped, not fatal: a good
 * entry after it still matches.
 */
static void
assert_skipped(const char *entry)
{
	char *good = v1_for(secret_main, body, strlen(body));
	char *both = xasprintf("%s,%s", entry, good);

	assert_int_equal(verify_main(entry), PD_ERR_SIG_MISSING);
	assert_int_equal(verify_main(both), PD_OK);
	free(both);
	free(good);
}

/* A right MAC with a digit too many or too few is not a v1 signature. */
static void
test_wrong_length(void **state)
{
	char *good = v1_for(secret_main, body, strlen(body));
	char *longer = xasprintf("%s0", good);
	char *shorter = xstrndup(good, strlen(good) - 1);
	char *shorter2 = xstrndup(good, strlen(good) - 2);

	assert_skipped(longer);
	assert_skipped(shorter);
	assert_skipped(shorter2);
	free(shorter2);
	free(shorter);
	free(longer);
	free(good);
}

/* Non-hex characters make an entry unusable, wherever they are. */
static void
test_non_hex(void **state)
{
	char *good = v1_for(secret_main, body, strlen(body));
	char *bad = xstrdup(good);

	bad[3] = 'g';
	assert_skipped(bad);
	memcpy(bad, good, strlen(good));
	bad[strlen(bad) - 1] = 'z';
	assert_skipped(bad);
	memcpy(bad, good, strlen(good));
	bad[20] = ' ';
	assert_skipped(bad);
	free(bad);
	free(good);
}

/* A valid MAC behind 99 well-formed wrong ones is still found. */
static void
test_hundred_entries_match_last(void **state)
{
	struct pd_strlist parts = {NULL, 0};
	char hex[65];
	char *h, *tmp, *good;
	size_t i;

	for (i = 0; i < 99; i++) {
		char *fake = xasprintf("old-secret-%zu", i);

		sig_compute(fake, body, strlen(body), hex);
		strlist_addf(&parts, "v1=%s", hex);
		free(fake);
	}
	h = xstrdup(parts.v[0]);
	for (i = 1; i < parts.n; i++) {
		tmp = xasprintf("%s,%s", h, parts.v[i]);
		free(h);
		h = tmp;
	}
	assert_int_equal(verify_main(h), PD_ERR_SIG_MISMATCH);
	good = v1_for(secret_main, body, strlen(body));
	tmp = xasprintf("%s,%s", h, good);
	assert_int_equal(verify_main(tmp), PD_OK);
	free(tmp);
	free(good);
	free(h);
	strlist_free(&parts);
}

/* Past SIG_HEADER_MAX (64 KiB) a header is refused whole, not walked once per secret. */
static void
test_header_too_long(void **state)
{
	char *good = v1_for(secret_main, body, strlen(body));
	size_t n = 1000, i, glen = strlen(good);
	char *h = xmalloc(n * (glen + 1));

	/* 1000 copies of the valid entry: 68,000 bytes. */
	for (i = 0; i < n; i++) {
		memcpy(h + i * (glen + 1), good, glen);
		h[i * (glen + 1) + glen] = ',';
	}
	h[n * (glen + 1) - 1] = '\0';
	assert_true(strlen(h) > 65536);
	assert_int_equal(verify_main(h), PD_ERR_SIG_MISSING);
	/* The same entry, 900 times (61,200 bytes), is within the bound. */
	h[900 * (glen + 1) - 1] = '\0';
	assert_int_equal(verify_main(h), PD_OK);
	free(h);
	free(good);
}

/* Rotation: any configured secret may match, the second as well as the first. */
static void
test_rotation_second_secret(void **state)
{
	struct pd_strlist secrets = {NULL, 0};
	char *h = v1_for(secret_main, body, strlen(body));

	strlist_add(&secrets, secret_old);
	strlist_add(&secrets, secret_main);
	assert_int_equal(sig_verify(h, body, strlen(body), &secrets), PD_OK);
	free(h);
	h = v1_for(secret_old, body, strlen(body));
	assert_int_equal(sig_verify(h, body, strlen(body), &secrets), PD_OK);
	free(h);
	h = v1_for("third", body, strlen(body));
	assert_int_equal(sig_verify(h, body, strlen(body), &secrets), PD_ERR_SIG_MISMATCH);
	free(h);
	strlist_free(&secrets);
}

/* A signature made with another secret, or over other bytes, is a mismatch. */
static void
test_wrong_secret(void **state)
{
	char *h = v1_for("not-the-secret", body, strlen(body));

	assert_int_equal(verify_main(h), PD_ERR_SIG_MISMATCH);
	free(h);
	/* One byte less of the body. */
	h = v1_for(secret_main, body, strlen(body) - 1);
	assert_int_equal(verify_main(h), PD_ERR_SIG_MISMATCH);
	free(h);
}

/* No secrets configured: nothing can match, but a missing header stays missing. */
static void
test_no_secrets(void **state)
{
	struct pd_strlist none = {NULL, 0};
	char *h = v1_for(secret_main, body, strlen(body));

	assert_int_equal(sig_verify(h, body, strlen(body), &none), PD_ERR_SIG_MISMATCH);
	assert_int_equal(sig_verify(h, body, strlen(body), NULL), PD_ERR_SIG_MISMATCH);
	assert_int_equal(sig_verify("", body, strlen(body), &none), PD_ERR_SIG_MISSING);
	free(h);
}

/* An empty body is rejected before any HMAC. */
static void
test_empty_body(void **state)
{
	struct pd_strlist l = one_secret(secret_main);
	char *h = v1_for(secret_main, "", 0);

	assert_int_equal(sig_verify(h, "", 0, &l), PD_ERR_BODY_EMPTY);
	assert_int_equal(sig_verify(h, NULL, 0, &l), PD_ERR_BODY_EMPTY);
	assert_int_equal(sig_verify(NULL, "", 0, &l), PD_ERR_SIG_MISSING);
	free(h);
	strlist_free(&l);
}

/* UTF-8 bodies and secrets are signed as bytes (value from Python's hmac module). */
static void
test_utf8_body(void **state)
{
	static const char utf8[] = "{\"event\":{\"title\":\"St\xc3\xb6rung \xe2\x80\x93 "
	                           "\xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\xa8\"}}";
	static const char want[] =
	    "ca97af15e53ecaea543985046ca3ab7ff2feb89992515f55ee5a58720b784e99";
	struct pd_strlist l = one_secret("k\xc3\xa9y-secret");
	char hex[65];
	char *h = xasprintf("v1=%s", want);

	assert_int_equal(strlen(utf8), 46);
	sig_compute("k\xc3\xa9y-secret", utf8, strlen(utf8), hex);
	assert_string_equal(hex, want);
	assert_int_equal(sig_verify(h, utf8, strlen(utf8), &l), PD_OK);
	free(h);
	strlist_free(&l);
}

/* A body with a NUL byte is signed over its full length, not up to the NUL. */
static void
test_binary_body(void **state)
{
	static const char bin[] = {'a', '\0', 'b'};
	struct pd_strlist l = one_secret(secret_main);
	char *h = v1_for(secret_main, bin, sizeof bin);
	char *h1 = v1_for(secret_main, bin, 1);

	assert_string_not_equal(h, h1);
	assert_int_equal(sig_verify(h, bin, sizeof bin, &l), PD_OK);
	assert_int_equal(sig_verify(h1, bin, sizeof bin, &l), PD_ERR_SIG_MISMATCH);
	free(h1);
	free(h);
	strlist_free(&l);
}

/* ---- the sign subcommand ---- */

/* sign with args (its stdin from stdin_path unless NULL) exits status, having printed want. */
static void
assert_sign(char *const *args, const char *stdin_path, int status, const char *want)
{
	char *out;

	assert_int_equal(t_run(&cmd_sign_entry, args, stdin_path, &out, NULL), status);
	assert_string_equal(out, want);
	free(out);
}

/* sign prints v1=<hex> of the file's exact bytes, from a file or stdin. */
static void
test_cmd_sign_file_and_stdin(void **state)
{
	char *file = t_write(tmpdir, "body.json", body);
	char *want = v1_for(secret_main, body, strlen(body));
	char *line = xasprintf("%s\n", want);

	assert_sign((char *[]){"--secret", (char *)secret_main, file, NULL}, NULL, 0, line);
	assert_sign((char *[]){"--secret", (char *)secret_main, "-", NULL}, file, 0, line);
	assert_sign((char *[]){"--secret", (char *)secret_main, NULL}, file, 0, line);
	/* What sign prints is what the receiver accepts. */
	assert_int_equal(verify_main(want), PD_OK);
	unlink(file);
	free(file);
	free(line);
	free(want);
}

/* --secret-file keeps the secret out of ps; its trailing newline is not part of it. */
static void
test_cmd_sign_secret_file(void **state)
{
	char *secret_line = xasprintf("%s\n", secret_main);
	char *sfile = t_write(tmpdir, "secret.txt", secret_line);
	char *file = t_write(tmpdir, "body.json", body);
	char *want = v1_for(secret_main, body, strlen(body));
	char *line = xasprintf("%s\n", want);

	assert_sign((char *[]){"--secret-file", sfile, file, NULL}, NULL, 0, line);
	unlink(sfile);
	unlink(file);
	free(sfile);
	free(file);
	free(want);
	free(line);
	free(secret_line);
}

/* -c uses the first webhook.secrets entry of the config. */
static void
test_cmd_sign_config(void **state)
{
	static const char yaml[] = "webhook:\n"
	                           "  secrets: [\"cfg-first\", \"cfg-second\"]\n";
	char *cfg = t_write(tmpdir, "config.yaml", yaml);
	char *file = t_write(tmpdir, "body.json", body);
	char *want = v1_for("cfg-first", body, strlen(body));
	char *line = xasprintf("%s\n", want);

	assert_sign((char *[]){"-c", cfg, file, NULL}, NULL, 0, line);
	unlink(cfg);
	unlink(file);
	free(cfg);
	free(file);
	free(want);
	free(line);
}

/* Usage and file errors: a status, nothing on stdout. */
static void
test_cmd_sign_errors(void **state)
{
	char *file = t_write(tmpdir, "body.json", body);
	int usage = pd_err_exit(PD_ERR_USAGE);

	assert_sign((char *[]){"--secret", "a", "--secret-file", file, file, NULL}, NULL, usage,
	            "");
	assert_sign((char *[]){"--secret", "a", file, file, NULL}, NULL, usage, "");
	assert_sign((char *[]){"--secret", "", file, NULL}, NULL, usage, "");
	assert_sign((char *[]){"--no-such-option", NULL}, NULL, usage, "");
	unlink(file);
	assert_sign((char *[]){"--secret", "a", file, NULL}, NULL, pd_err_exit(PD_ERR_IO), "");
	free(file);
}

/* Initialises the crypto library as main() does; a temp directory for the sign tests. */
static int
setup(void **state)
{
	crypto_init();
	tmpdir = t_tempdir("test_signature");
	return 0;
}

static int
teardown(void **state)
{
	t_rmtree(tmpdir);
	free(tmpdir);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4231_case1),
	    cmocka_unit_test(test_rfc4231_case2),
	    cmocka_unit_test(test_rfc4231_case6_long_key),
	    cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_single_valid),
	    cmocka_unit_test(test_spaces_after_commas),
	    cmocka_unit_test(test_empty_entries),
	    cmocka_unit_test(test_uppercase_hex),
	    cmocka_unit_test(test_v0_only),
	    cmocka_unit_test(test_missing),
	    cmocka_unit_test(test_wrong_length),
	    cmocka_unit_test(test_non_hex),
	    cmocka_unit_test(test_hundred_entries_match_last),
	    cmocka_unit_test(test_header_too_long),
	    cmocka_unit_test(test_rotation_second_secret),
	    cmocka_unit_test(test_wrong_secret),
	    cmocka_unit_test(test_no_secrets),
	    cmocka_unit_test(test_empty_body),
	    cmocka_unit_test(test_utf8_body),
	    cmocka_unit_test(test_binary_body),
	    cmocka_unit_test(test_cmd_sign_file_and_stdin),
	    cmocka_unit_test(test_cmd_sign_secret_file),
	    cmocka_unit_test(test_cmd_sign_config),
	    cmocka_unit_test(test_cmd_sign_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
