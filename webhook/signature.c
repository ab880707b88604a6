/*
 * signature.c: checks PagerDuty's X-PagerDuty-Signature on a webhook body,
 * and the `sign` subcommand that produces one (for curl tests and scripts).
 *
 * DESIGN
 * ------
 * The header is a comma-separated list of "v1=<hex HMAC-SHA256 of the raw
 * body>" entries; PagerDuty sends several while a subscription secret is
 * being rotated, and we may hold several secrets ourselves (webhook.secrets),
 * so the body is accepted when any entry matches any secret. We follow
 * go-pagerduty's reading of the docs: entries are hex-decoded (so upper-case
 * hex is fine), an entry that is not a well-formed v1 signature is skipped
 * rather than failing the whole header, and "no usable v1 entry at all" is a
 * malformed header (PD_ERR_SIG_MISSING), distinct from "none matched".
 *
 * The receiver calls sig_verify() for every request, so it allocates
 * nothing: the header is walked in place by a cursor, once to find out
 * whether it holds any usable entry and then once per secret, with the HMAC
 * computed once per secret into a stack buffer. The work is bounded by
 * SIG_HEADER_MAX, not by a count of entries, so a valid signature is found
 * however many stale or foreign entries precede it.
 *
 * The MAC, the constant-time comparison, hex and wiping are
 * common/crypto.c's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st2pd.h"

#define SIG_MAC_LEN CRYPTO_MAC_LEN    /* SHA-256 */
#define SIG_HEX_LEN (2 * SIG_MAC_LEN) /* 64 */
#define SIG_PREFIX  "v1="

/*
 * Longest header we look at: about 970 entries. evhttp bounds headers
 * too, but a limit here keeps the per-secret walk cheap whatever the
 * HTTP layer is configured to allow.
 */
#define SIG_HEADER_MAX 65536

/* Walks the entries of one header value in place. */
struct sig_cursor {
	const char *p;
	const char *end;
};

/*
 * HMAC-SHA256 of body. The key is the secret's literal bytes, even though
 * PagerDuty secrets look like base64: that is what PagerDuty signs with
 * (go-pagerduty uses []byte(secret), the docs' sample key.encode()), and
 * decoding it would make every signature mismatch. HMAC takes a key of any
 * length, so no length rule applies either.
 */
static void
sig_mac(const char *secret, const void *body, size_t len, unsigned char mac[SIG_MAC_LEN])
{
	crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
}

/* Hex HMAC-SHA256 of body under secret, lower case, NUL-terminated. */
void
sig_compute(const char *secret, const void *body, size_t len, char out[65])
{
	unsigned char mac[SIG_MAC_LEN];

	sig_mac(secret, body, len, mac);
	crypto_hex(out, SIG_HEX_LEN + 1, mac, sizeof mac);
}

/* Decodes the next well-formed v1 entry into mac; 0 when none is left. */
static int
sig_next_v1(struct sig_cursor *c, unsigned char mac[SIG_MAC_LEN])
{
	const char *s, *e, *comma;

	while (c->p < c->end) {
		s = c->p;
		comma = memchr(s, ',', (size_t)(c->end - s));
		e = comma != NULL ? comma : c->end;
		c->p = comma != NULL ? comma + 1 : c->end;

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) != strlen(SIG_PREFIX) + SIG_HEX_LEN ||
		    memcmp(s, SIG_PREFIX, strlen(SIG_PREFIX)) != 0)
			continue;
		s += strlen(SIG_PREFIX);
		/* All 64 must be hex digits. */
		if (crypto_unhex(mac, SIG_MAC_LEN, s, SIG_HEX_LEN) != 0)
			continue;
		return 1;
	}
	return 0;
}

/* Verifies header against body with every configured secret. */
enum pd_err
sig_verify(const char *header, const void *body, size_t len, const struct pd_strlist *secrets)
{
	struct sig_cursor c;
	unsigned char want[SIG_MAC_LEN], got[SIG_MAC_LEN];
	size_t hlen, i;
	enum pd_err rc = PD_ERR_SIG_MISMATCH;

	if (header == NULL)
		return PD_ERR_SIG_MISSING;
	if (body == NULL || len == 0)
		return PD_ERR_BODY_EMPTY;
	hlen = strnlen(header, SIG_HEADER_MAX + 1);
	if (hlen > SIG_HEADER_MAX)
		return PD_ERR_SIG_MISSING;

	c.p = header;
	c.end = header + hlen;
	if (!sig_next_v1(&c, got))
		return PD_ERR_SIG_MISSING;

	for (i = 0; secrets != NULL && i < secrets->n && rc != PD_OK; i++) {
		/* An empty key would let anyone sign; config should refuse it too. */
		if (secrets->v[i][0] == '\0')
			continue;
		sig_mac(secrets->v[i], body, len, want);
		c.p = header;
		while (sig_next_v1(&c, got)) {
			/*
			 * Constant time: memcmp() returns at the first differing
			 * byte, and timing that over many requests lets an
			 * attacker recover a valid MAC for a forged body byte by
			 * byte.
			 */
			if (crypto_equal(got, want, SIG_MAC_LEN)) {
				rc = PD_OK;
				break;
			}
		}
	}
	crypto_wipe(want, sizeof want);
	return rc;
}

/* Reads a secret from a file, without the trailing newline editors add. */
static enum pd_err
sign_read_secret(const char *path, char **out)
{
	char *s;
	size_t len;
	enum pd_err rc;

	if ((rc = read_file(path, &s, &len)) != PD_OK)
		return rc;
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
	*out = s;
	return PD_OK;
}

#define SIGN_SECRET      256
#define SIGN_SECRET_FILE 257

/* `sign`: prints v1=<hex> for a file or stdin. */
static int
sign_exec(const struct cli_args *a)
{
	struct pd_config *cfg = NULL;
	const char *secret_arg = cli_value(a, SIGN_SECRET),
	           *secret_file = cli_value(a, SIGN_SECRET_FILE);
	const char *config_path = a->config, *path;
	char *secret = NULL, *body = NULL, hex[SIG_HEX_LEN + 1];
	size_t len;
	enum pd_err rc;

	if (secret_arg != NULL && secret_file != NULL)
		return cli_usage_error(a->entry, "give --secret or --secret-file, not both");
	path = a->argc > 0 ? a->argv[0] : "-";

	if (secret_arg != NULL) {
		secret = xstrdup(secret_arg);
	} else if (secret_file != NULL) {
		if (sign_read_secret(secret_file, &secret) != PD_OK) {
			fprintf(stderr, "sign: %s: %s\n", secret_file, strerror(errno));
			return pd_err_exit(PD_ERR_IO);
		}
	} else {
		/* No secret on the command line: the receiver's own, as every command takes -c. */
		if (config_path == NULL && access(config_default_path(), R_OK) != 0) {
			fprintf(stderr,
			        "sign: no secret: give --secret, --secret-file or -c FILE "
			        "(%s: %s)\n",
			        config_default_path(), strerror(errno));
			cli_usage(a->entry, stderr, 0);
			return pd_err_exit(PD_ERR_USAGE);
		}
		cfg = cli_load_config(config_path, CONFIG_NEED_SERVE);
		if (cfg->webhook_secrets.n > 0)
			secret = xstrdup(cfg->webhook_secrets.v[0]);
		config_free(cfg);
		if (secret == NULL) {
			fprintf(stderr, "sign: no webhook.secrets in the configuration\n");
			return pd_err_exit(PD_ERR_CONFIG);
		}
	}
	if (secret[0] == '\0') {
		fprintf(stderr, "sign: the secret is empty\n");
		free(secret);
		return pd_err_exit(PD_ERR_USAGE);
	}

	if ((rc = read_file(path, &body, &len)) != PD_OK) {
		fprintf(stderr, "sign: %s: %s\n", strcmp(path, "-") == 0 ? "stdin" : path,
		        strerror(errno));
		crypto_wipe_str(secret);
		free(secret);
		return pd_err_exit(rc);
	}
	if (len == 0)
		fprintf(stderr, "sign: warning: the body is empty; a receiver rejects it\n");
	sig_compute(secret, body, len, hex);
	printf("v1=%s\n", hex);

	crypto_wipe_str(secret);
	free(secret);
	free(body);
	return fflush(stdout) == 0 ? 0 : pd_err_exit(PD_ERR_IO);
}

static const struct cli_option sign_options[] = {
    {"secret", SIGN_SECRET, "S", "the subscription's signing secret (seen in the process list)"},
    {"secret-file", SIGN_SECRET_FILE, "PATH", "read the secret from PATH"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_sign_entry = {
    .name = "sign",
    .operands = "[FILE|-]",
    .summary = "print the X-PagerDuty-Signature value for FILE or stdin",
    .help = "Prints v1=<hex> for the exact bytes of FILE (default: stdin). Without --secret or\n"
            "--secret-file, the first webhook.secrets entry of the config is used, so the\n"
            "secret does not appear in the process list.",
    .options = sign_options,
    .max_operands = 1,
    .exec = sign_exec,
};
