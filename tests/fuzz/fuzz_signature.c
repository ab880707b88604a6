/*
 * fuzz_signature.c: fuzz target for the X-PagerDuty-Signature check,
 * sig_verify() (webhook/signature.c), which reads an attacker's header
 * before anything else of a request is trusted.
 *
 * Input: two bytes (big-endian) give the header's length, the header
 * follows (a NUL inside ends it, as it would in an HTTP header), the rest
 * is the body. The secrets are fixed: the go-pagerduty test vector's, one
 * more, and an empty one, which signature.c must skip (an empty key would
 * let anyone sign). Oracles:
 *  - the answer is the one a plain reading of the header gives: no body is
 *    PD_ERR_BODY_EMPTY, no well-formed "v1=<64 hex>" entry (after trimming
 *    blanks) is PD_ERR_SIG_MISSING, otherwise OK or PD_ERR_SIG_MISMATCH;
 *  - a header holding the right signature for one secret, before, after
 *    or between the fuzzed entries, in upper case or padded with blanks,
 *    is always accepted;
 *  - a signature made with the empty secret alone, or the right one with
 *    its last digit changed, never is.
 * A header of junk alone is not asserted on: it could only match by an
 * HMAC collision, but that is the one thing not checked here.
 */
#include <ctype.h>

#include "fuzz.h"

/* Header values signature.c looks at; longer ones are refused. */
#define FUZZ_HEADER_MAX 65536

static char *fuzz_secret_v[] = {
    "lDQHScfUeXUKaQRNF+8XIiDKZ7XX3itBAYzwU0TARw8lJqRnkKl2iB1anSb0Z+IK",
    "second-subscription-secret",
    "",
};
static const struct pd_strlist fuzz_secrets = {fuzz_secret_v, 3};

/* Whether [s, e) is one well-formed entry once blanks are trimmed: "v1=" and 64 hex digits. */
static int
ref_entry(const char *s, const char *e)
{
	const char *p;

	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (e - s != 3 + 64 || strncmp(s, "v1=", 3) != 0)
		return 0;
	for (p = s + 3; p < e; p++) {
		if (!isxdigit((unsigned char)*p))
			return 0;
	}
	return 1;
}

/* The reference reading: whether any comma-separated entry of h is well formed. */
static int
ref_usable(const char *h)
{
	const char *comma;

	for (;;) {
		comma = strchr(h, ',');
		if (ref_entry(h, comma != NULL ? comma : h + strlen(h)))
			return 1;
		if (comma == NULL)
			return 0;
		h = comma + 1;
	}
}

/* sig_verify() on a header built by the target: it must say want. */
static void
expect(const char *header, const uint8_t *body, size_t len, enum pd_err want)
{
	if (strlen(header) > FUZZ_HEADER_MAX)
		return;
	FUZZ_CHECK(sig_verify(header, body, len, &fuzz_secrets) == want);
}

/* The right signature among junk, every way round: always accepted. */
static void
check_accepted(const char *junk, const uint8_t *body, size_t len, unsigned sel)
{
	const char *secret = fuzz_secret_v[sel % 2];
	char hex[65], *h, *p;

	sig_compute(secret, body, len, hex);
	switch ((sel >> 1) % 4) {
	case 0:
		h = xasprintf("v1=%s,%s", hex, junk);
		break;
	case 1:
		h = xasprintf("%s,v1=%s", junk, hex);
		break;
	case 2:
		h = xasprintf("%s,v1=%s,%s", junk, hex, junk);
		break;
	default:
		/* Hex is case-insensitive, and blanks around an entry do not count. */
		for (p = hex; *p != '\0'; p++)
			*p = (char)toupper((unsigned char)*p);
		h = xasprintf("%s, \tv1=%s\t ,%s", junk, hex, junk);
		break;
	}
	expect(h, body, len, PD_OK);
	free(h);
}

/* Signatures that are not the right one: never accepted. */
static void
check_refused(const uint8_t *body, size_t len, unsigned sel)
{
	char hex[65], *h;

	sig_compute("", body, len, hex);
	h = xasprintf("v1=%s", hex);
	expect(h, body, len, PD_ERR_SIG_MISMATCH);
	free(h);

	sig_compute(fuzz_secret_v[sel % 2], body, len, hex);
	hex[63] = hex[63] == '0' ? '1' : '0';
	h = xasprintf("v1=%s", hex);
	expect(h, body, len, PD_ERR_SIG_MISMATCH);
	free(h);
	/* One digit short is no entry at all. */
	h = xasprintf("v1=%.63s", hex);
	expect(h, body, len, PD_ERR_SIG_MISSING);
	free(h);
}

/* One header and body: the answer against the reference, then the built headers. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *body;
	size_t hlen, len;
	char *header;
	enum pd_err rc;

	fuzz_quiet();
	if (size < 2) {
		FUZZ_CHECK(sig_verify(NULL, data, size, &fuzz_secrets) == PD_ERR_SIG_MISSING);
		return 0;
	}
	hlen = (size_t)data[0] << 8 | data[1];
	if (hlen > size - 2)
		hlen = size - 2;
	header = fuzz_cstr(data + 2, hlen);
	body = data + 2 + hlen;
	len = size - 2 - hlen;

	rc = sig_verify(header, body, len, &fuzz_secrets);
	if (len == 0)
		FUZZ_CHECK(rc == PD_ERR_BODY_EMPTY);
	else if (!ref_usable(header))
		FUZZ_CHECK(rc == PD_ERR_SIG_MISSING);
	else
		FUZZ_CHECK(rc == PD_OK || rc == PD_ERR_SIG_MISMATCH);
	FUZZ_CHECK(sig_verify(NULL, body, len, &fuzz_secrets) == PD_ERR_SIG_MISSING);

	if (len > 0) {
		check_accepted(header, body, len, body[0]);
		check_refused(body, len, (unsigned)len);
	}
	free(header);
	return 0;
}
