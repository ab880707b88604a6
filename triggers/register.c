/*
 * register.c: `st2-pagerduty register`, which creates or updates in
 * StackStorm every trigger type of catalog_types[]. st2 answers 400 to a
 * trigger whose type it does not know, so this runs once at install and
 * again after an upgrade.
 *
 * It is idempotent, following stackstorm-api.md 2.2: POST
 * /v1/triggertypes; on 409 (the type exists) GET it and PUT ours only when
 * the description or a schema differs, so a second run changes nothing and
 * says "unchanged". A failed type does not stop the others, except for a
 * network error or refused credentials: every later request would fail
 * the same way (after a connect timeout each), so the rest are counted as
 * failed without being tried.
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* Per request: st2 answers in milliseconds; this only bounds a hung server. */
#define REG_TIMEOUT_MS 30000

enum reg_result { REG_CREATED = 0, REG_UPDATED, REG_UNCHANGED, REG_FAILED, REG_MAX };

static const char *const reg_result_names[] = {
    [REG_CREATED] = "created",
    [REG_UPDATED] = "updated",
    [REG_UNCHANGED] = "unchanged",
    [REG_FAILED] = "failed",
};

/* The errors register can end with, worst first: it exits with the worst one seen. */
static const enum pd_err reg_severity[] = {
    PD_ERR_NETWORK, PD_ERR_TIMEOUT,      PD_ERR_ST2_AUTH, PD_ERR_ST2_UNAVAILABLE,
    PD_ERR_HTTP,    PD_ERR_ST2_REJECTED, PD_ERR_NOMEM,
};

/* The fields compared to decide between "unchanged" and a PUT. */
static const char *const reg_compared[] = {"description", "payload_schema", "parameters_schema"};

struct reg_ctx {
	char *api; /* st2.api_url without a trailing slash */
	struct pd_strlist headers;
	int verify_tls;
	enum pd_err worst;
};

/* Rank of an error in reg_severity (lower is worse). */
static size_t
reg_rank(enum pd_err err)
{
	size_t i;

	for (i = 0; i < sizeof reg_severity / sizeof reg_severity[0]; i++) {
		if (reg_severity[i] == err)
			break;
	}
	return i;
}

/* Keeps the worst error seen. */
static void
reg_note(struct reg_ctx *ctx, enum pd_err err)
{
	if (ctx->worst == PD_OK || reg_rank(err) < reg_rank(ctx->worst))
		ctx->worst = err;
}

/* What an unexpected st2 status means for the exit status. */
static enum pd_err
reg_status_err(long status)
{
	if (status == 401 || status == 403)
		return PD_ERR_ST2_AUTH;
	if (status == 400 || status == 422)
		return PD_ERR_ST2_REJECTED;
	if (status == 404 || status == 429 || status >= 500)
		return PD_ERR_ST2_UNAVAILABLE;
	return PD_ERR_HTTP;
}

/* st2's faultstring from an error answer, else the start of the body. */
static char *
reg_fault(const struct http_resp *r)
{
	json_t *o = json_loadb(r->body, r->len, 0, NULL);
	const char *f = json_string_value(json_object_get(o, "faultstring"));
	char *s = f != NULL ? xstrdup(f) : xstrndup(r->body, r->len < 200 ? r->len : 200);

	json_decref(o);
	return s;
}

/*
 * One request. On a network error or an unexpected status (anything but
 * ok1 or ok2) prints why to stderr, notes the error and returns it.
 */
static enum pd_err
reg_call(struct reg_ctx *ctx, const char *name, const char *method, const char *url,
         const char *body, long ok1, long ok2, struct http_resp *resp)
{
	enum pd_err rc;
	const char *hint = "";
	char *fault;

	rc = http_request(method, url, &ctx->headers, body, body != NULL ? strlen(body) : 0,
	                  REG_TIMEOUT_MS, ctx->verify_tls, resp);
	if (rc != PD_OK) {
		fprintf(stderr, "%s.%s: failed: %s %s: %s (is st2.api_url right and st2 up?)\n",
		        PD_PACK, name, method, url, pd_strerror(rc));
		reg_note(ctx, rc);
		return rc;
	}
	if (resp->status == ok1 || resp->status == ok2)
		return PD_OK;
	fault = reg_fault(resp);
	if (resp->status == 401 || resp->status == 403)
		hint = " (check st2.api_key or st2.auth_token)";
	fprintf(stderr, "%s.%s: failed: %s %s: st2 %ld: %s%s\n", PD_PACK, name, method, url,
	        resp->status, fault, hint);
	free(fault);
	rc = reg_status_err(resp->status);
	reg_note(ctx, rc);
	return rc;
}

/* Whether st2's stored type already says what ours says. */
static int
reg_same(json_t *stored, json_t *ours)
{
	size_t i;

	for (i = 0; i < sizeof reg_compared / sizeof reg_compared[0]; i++) {
		if (!json_equal(json_object_get(stored, reg_compared[i]),
		                json_object_get(ours, reg_compared[i])))
			return 0;
	}
	return 1;
}

/* Creates, checks or updates one trigger type; *err says why it failed. */
static enum reg_result
reg_one(struct reg_ctx *ctx, const struct event_type *t, enum pd_err *err)
{
	json_t *ours = catalog_triggertype(t), *stored = NULL;
	char *body = json_dumps(ours, JSON_COMPACT), *url, *ref_url;
	struct http_resp resp = {0};
	enum reg_result res = REG_FAILED;

	url = xasprintf("%s/v1/triggertypes", ctx->api);
	ref_url = xasprintf("%s/v1/triggertypes/%s.%s", ctx->api, PD_PACK, t->name);
	if ((*err = reg_call(ctx, t->name, "POST", url, body, 201, 409, &resp)) != PD_OK)
		goto out;
	if (resp.status == 201) {
		res = REG_CREATED;
		goto out;
	}
	http_resp_free(&resp);
	if ((*err = reg_call(ctx, t->name, "GET", ref_url, NULL, 200, 200, &resp)) != PD_OK)
		goto out;
	if ((stored = json_loadb(resp.body, resp.len, 0, NULL)) == NULL) {
		fprintf(stderr, "%s.%s: failed: GET %s: st2 answered 200 but not JSON\n", PD_PACK,
		        t->name, ref_url);
		*err = PD_ERR_HTTP;
		reg_note(ctx, *err);
		goto out;
	}
	if (reg_same(stored, ours)) {
		res = REG_UNCHANGED;
		goto out;
	}
	http_resp_free(&resp);
	if ((*err = reg_call(ctx, t->name, "PUT", ref_url, body, 200, 201, &resp)) != PD_OK)
		goto out;
	res = REG_UPDATED;
out:
	http_resp_free(&resp);
	json_decref(stored);
	json_decref(ours);
	free(body);
	free(url);
	free(ref_url);
	return res;
}

/* --dry-run: the bodies as one JSON array, nothing sent. */
static int
reg_dry_run(void)
{
	json_t *all = json_array();
	size_t i;

	for (i = 0; i < catalog_ntypes; i++)
		json_array_append_new(all, catalog_triggertype(&catalog_types[i]));
	json_dumpf(all, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
	json_decref(all);
	return 0;
}

/* `register`: every trigger type into st2, one line per type and a summary. */
static int
reg_exec(const struct cli_args *a)
{
	struct reg_ctx ctx = {0};
	struct pd_config *cfg;
	const char *path = a->config;
	size_t counts[REG_MAX] = {0}, i, len;
	enum reg_result res;
	enum pd_err err;
	int dry_run = cli_count(a, 'n'), stop = 0;

	if (dry_run) {
		/* Still validate a given config, but ask nothing of it. */
		if (path != NULL)
			config_free(cli_load_config(path, CONFIG_NEED_NONE));
		return reg_dry_run();
	}

	cfg = cli_load_config(path, CONFIG_NEED_ST2);
	len = strlen(cfg->st2_api_url);
	while (len > 0 && cfg->st2_api_url[len - 1] == '/')
		len--;
	ctx.api = xstrndup(cfg->st2_api_url, len);
	ctx.verify_tls = cfg->st2_verify_tls;
	strlist_add(&ctx.headers, "Content-Type: application/json");
	strlist_add(&ctx.headers, "Accept: application/json");
	if (cfg->st2_api_key != NULL && cfg->st2_api_key[0] != '\0')
		strlist_addf(&ctx.headers, "St2-Api-Key: %s", cfg->st2_api_key);
	else
		strlist_addf(&ctx.headers, "X-Auth-Token: %s", cfg->st2_auth_token);
	config_free(cfg);

	for (i = 0; i < catalog_ntypes; i++) {
		if (stop) {
			counts[REG_FAILED]++;
			continue;
		}
		res = reg_one(&ctx, &catalog_types[i], &err);
		counts[res]++;
		printf("%s.%s: %s\n", PD_PACK, catalog_types[i].name, reg_result_names[res]);
		fflush(stdout);
		if (res == REG_FAILED && i + 1 < catalog_ntypes &&
		    (err == PD_ERR_NETWORK || err == PD_ERR_TIMEOUT || err == PD_ERR_ST2_AUTH)) {
			stop = 1;
			fprintf(stderr, "register: %zu more types not tried: same failure\n",
			        catalog_ntypes - i - 1);
		}
	}
	printf("register: %zu trigger types: %zu created, %zu updated, %zu unchanged, %zu failed\n",
	       catalog_ntypes, counts[REG_CREATED], counts[REG_UPDATED], counts[REG_UNCHANGED],
	       counts[REG_FAILED]);
	strlist_free(&ctx.headers);
	free(ctx.api);
	return ctx.worst == PD_OK ? 0 : pd_err_exit(ctx.worst);
}

static const struct cli_option reg_options[] = {
    {"dry-run", 'n', NULL, "print the trigger types instead of sending them"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_register_entry = {
    .name = "register",
    .summary = "create or update every pagerduty.* trigger type in StackStorm",
    .help = "POST /v1/triggertypes for each pagerduty.* type, PUT when it exists (409).",
    .options = reg_options,
    .exec = reg_exec,
};
