/*
 * send_test.c: the `send-test` subcommand, which POSTs a realistic, signed
 * PagerDuty V3 webhook to a receiver (ours by default) and reports the
 * answer, so an operator can check the path PagerDuty -> serve -> st2
 * without waiting for a real incident.
 *
 * Samples follow the envelopes of PagerDuty's docs (pagerduty-api.md
 * §1.3): event.data is shaped by the catalogue's data_type, every event
 * gets a fresh ULID-like id (the receiver de-duplicates on it) and
 * occurred_at is now. The request carries the headers PagerDuty sends:
 * X-PagerDuty-Signature, a fresh X-Webhook-Id and X-Webhook-Subscription.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "st2pd.h"

#define SEND_TEST_DEFAULT_TYPE "incident.triggered"
#define SEND_TEST_SUBSCRIPTION "PSTTEST1"
#define SEND_TEST_DEFAULT_PATH "/webhooks/pagerduty"
#define SEND_TEST_TIMEOUT_MS   10000L
#define SEND_TEST_WEB          "https://acme.pagerduty.com"
#define SEND_TEST_API          "https://api.pagerduty.com"
#define SEND_TEST_INCIDENT_ID  "PGR0VU2"
#define SEND_TEST_SERVICE_ID   "PF9KMXH"

/* Crockford's base32, as ULIDs use it (no I, L, O, U). */
static const char send_test_b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * A ULID: 48 bits of milliseconds then 80 random bits, 26 characters.
 * PagerDuty's own event ids look like this, and sorting by id sorts by time.
 */
static void
send_test_ulid(char out[27])
{
	unsigned char b[16];
	int64_t ms = now_ms();
	int i, j, bit, v;

	for (i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (8 * (5 - i)));
	crypto_random(b + 6, sizeof b - 6);
	/* 26 * 5 = 130 bits: the 128-bit value with two leading zero bits. */
	for (i = 0; i < 26; i++) {
		v = 0;
		for (j = 0; j < 5; j++) {
			bit = i * 5 + j - 2;
			v <<= 1;
			if (bit >= 0)
				v |= (b[bit / 8] >> (7 - bit % 8)) & 1;
		}
		out[i] = send_test_b32[v];
	}
	out[26] = '\0';
}

/* A random version 4 UUID, the form of PagerDuty's X-Webhook-Id. */
static void
send_test_uuid(char out[37])
{
	unsigned char b[16];

	crypto_random(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

/* jansson fails here only when out of memory or on a type that is not UTF-8. */
static json_t *
send_test_checked(json_t *j)
{
	if (j == NULL)
		fatal("send-test: cannot build a sample (out of memory, or not UTF-8)");
	return j;
}

/* A PagerDuty resource reference: {html_url, id, self, summary, type}. */
static json_t *
send_test_ref(const char *type, const char *coll, const char *id, const char *summary)
{
	char *html = xasprintf(SEND_TEST_WEB "/%s/%s", coll, id);
	char *self = xasprintf(SEND_TEST_API "/%s/%s", coll, id);
	char *rtype = xasprintf("%s_reference", type);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s}", "html_url", html, "id", id, "self", self,
	                      "summary", summary, "type", rtype);

	free(html);
	free(self);
	free(rtype);
	return send_test_checked(j);
}

/* The incident every sample is about. */
static json_t *
send_test_incident_ref(void)
{
	return send_test_ref("incident", "incidents", SEND_TEST_INCIDENT_ID,
	                     "[#2] Test incident from st2-pagerduty send-test");
}

/* The service every sample belongs to. */
static json_t *
send_test_service_ref(void)
{
	return send_test_ref("service", "services", SEND_TEST_SERVICE_ID, "API Service");
}

/* Incident status after the event, so rules that look at it see a coherent one. */
static const char *
send_test_status(const char *event_type)
{
	static const struct {
		const char *event_type;
		const char *status;
	} statuses[] = {
	    {"incident.acknowledged", "acknowledged"},
	    {"incident.resolved", "resolved"},
	};
	size_t i;

	for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
		if (strcmp(event_type, statuses[i].event_type) == 0)
			return statuses[i].status;
	}
	return "triggered";
}

/* data for data_type "incident": the full incident, as in DD-WH sample 1. */
static json_t *
send_test_data_incident(const char *event_type, const char *data_type, const char *now)
{
	json_t *ref = send_test_incident_ref();
	json_t *j;

	j = json_pack(
	    "{s:s, s:s, s:O, s:O, s:i, s:s, s:s, s:s, s:s, s:o, s:[o], s:o, s:[o], "
	    "s:o, s:s, s:{s:s}, s:{s:s, s:s}, s:n}",
	    "id", SEND_TEST_INCIDENT_ID, "type", data_type, "self", json_object_get(ref, "self"),
	    "html_url", json_object_get(ref, "html_url"), "number", 2, "status",
	    send_test_status(event_type), "incident_key", "st2pd-send-test", "created_at", now,
	    "title", "Test incident from st2-pagerduty send-test", "service",
	    send_test_service_ref(), "assignees",
	    send_test_ref("user", "users", "PTUXL6G", "User 123"), "escalation_policy",
	    send_test_ref("escalation_policy", "escalation_policies", "PUS0KTE", "Default"),
	    "teams", send_test_ref("team", "teams", "PFCVPS0", "Engineering"), "priority",
	    send_test_ref("priority", "priorities", "PSO75BM", "P1"), "urgency", "high",
	    "incident_type", "name", "major", "conference_bridge", "conference_number",
	    "+1 1234123412,,987654321#", "conference_url", "https://example.com", "resolve_reason");
	json_decref(ref);
	return send_test_checked(j);
}

/* data for incident.annotated: the note, pointing at its incident. */
static json_t *
send_test_data_note(const char *event_type, const char *data_type, const char *now)
{
	return send_test_checked(json_pack("{s:s, s:s, s:s, s:b, s:o}", "id", "PWL7QXS", "type",
	                                   data_type, "content",
	                                   "Note from st2-pagerduty send-test", "trimmed", 0,
	                                   "incident", send_test_incident_ref()));
}

/* data for service.*: the service, as in DD-WH sample 2. */
static json_t *
send_test_data_service(const char *event_type, const char *data_type, const char *now)
{
	json_t *ref = send_test_service_ref();
	json_t *j;

	j = json_pack("{s:O, s:s, s:O, s:s, s:s, s:s, s:[o], s:s}", "html_url",
	              json_object_get(ref, "html_url"), "id", SEND_TEST_SERVICE_ID, "self",
	              json_object_get(ref, "self"), "summary", "API Service", "name", "API Service",
	              "alert_creation", "create_alerts_and_incidents", "teams",
	              send_test_ref("team", "teams", "PFCVPS0", "Engineering"), "type", data_type);
	json_decref(ref);
	return send_test_checked(j);
}

/* data for pagey.ping, as PagerDuty's test ping sends it. */
static json_t *
send_test_data_ping(const char *event_type, const char *data_type, const char *now)
{
	return send_test_checked(
	    json_pack("{s:s, s:s}", "message", "Hello from your friend Pagey!", "type", data_type));
}

/*
 * Every other type (tasks, responders, workflows, unknown ones): an object
 * of the right "type" that points at the incident or service it is about,
 * which is what such data objects have in common.
 */
static json_t *
send_test_data_generic(const char *event_type, const char *data_type, const char *now)
{
	json_t *j = send_test_checked(json_pack("{s:s, s:s}", "id", "PSTTEST", "type", data_type));

	if (strncmp(event_type, "incident.", 9) == 0)
		json_object_set_new(j, "incident", send_test_incident_ref());
	else if (strncmp(event_type, "service.", 8) == 0)
		json_object_set_new(j, "service", send_test_service_ref());
	return j;
}

static const struct {
	const char *data_type;
	json_t *(*build)(const char *event_type, const char *data_type, const char *now);
} send_test_builders[] = {
    {"incident", send_test_data_incident},
    {"incident_note", send_test_data_note},
    {"service", send_test_data_service},
    {"ping", send_test_data_ping},
};

/* The whole {"event": {...}} envelope for event_type. */
static json_t *
send_test_envelope(const char *event_type)
{
	const struct event_type *et;
	json_t *(*build)(const char *, const char *, const char *);
	json_t *agent, *client, *j;
	const char *dot, *data_type;
	char *resource, now[32], id[27];
	size_t i;
	int by_user;

	if (event_type == NULL)
		event_type = SEND_TEST_DEFAULT_TYPE;
	dot = strchr(event_type, '.');
	resource =
	    dot != NULL ? xstrndup(event_type, (size_t)(dot - event_type)) : xstrdup(event_type);
	et = catalog_find(event_type);
	data_type = et != NULL && et->data_type != NULL ? et->data_type : resource;

	build = send_test_data_generic;
	for (i = 0; i < sizeof send_test_builders / sizeof send_test_builders[0]; i++) {
		if (strcmp(data_type, send_test_builders[i].data_type) == 0)
			build = send_test_builders[i].build;
	}

	/* Incident events come from a person in the web UI; the rest, like DD-WH's, from nobody. */
	by_user = strcmp(resource, "incident") == 0;
	agent = by_user ? send_test_ref("user", "users", "PLH1HKV", "Tenex Engineer") : json_null();
	client = by_user ? send_test_checked(json_pack("{s:s}", "name", "PagerDuty")) : json_null();

	send_test_ulid(id);
	format_time_ms(now_ms(), now, sizeof now);
	j = json_pack("{s:{s:s, s:s, s:s, s:s, s:o, s:o, s:o}}", "event", "id", id, "event_type",
	              event_type, "resource_type", resource, "occurred_at", now, "agent", agent,
	              "client", client, "data", build(event_type, data_type, now));
	free(resource);
	return send_test_checked(j);
}

/* Serialises an envelope compactly, in insertion order, as PagerDuty does. */
static char *
send_test_dump(const json_t *env)
{
	char *s = json_dumps(env, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s == NULL)
		fatal("send-test: out of memory serialising a sample");
	return s;
}

/* A realistic V3 envelope for type (NULL: incident.triggered). Caller frees. */
char *
send_test_sample(const char *event_type)
{
	json_t *env = send_test_envelope(event_type);
	char *s = send_test_dump(env);

	json_decref(env);
	return s;
}

/*
 * The receiver's URL from webhook.listen and webhook.path. A wildcard
 * address is reached on loopback; port 0 is chosen at start-up, so it
 * cannot be targeted from here. NULL (after saying why) if no URL follows.
 */
static char *
send_test_default_url(const struct pd_config *cfg)
{
	const char *listen, *colon, *bracket, *path;
	char *host, *url;
	long port;

	if (cfg->webhook_listen.n == 0) {
		fprintf(stderr, "send-test: webhook.listen is empty; give --url\n");
		return NULL;
	}
	listen = cfg->webhook_listen.v[0];
	colon = strrchr(listen, ':');
	bracket = strchr(listen, ']');
	if (colon == NULL || (listen[0] == '[' && (bracket == NULL || colon < bracket)) ||
	    parse_long(colon + 1, 0, 65535, &port) != PD_OK) {
		fprintf(stderr, "send-test: webhook.listen '%s' is not HOST:PORT; give --url\n",
		        listen);
		return NULL;
	}
	if (port == 0) {
		fprintf(stderr,
		        "send-test: webhook.listen '%s' uses port 0 (picked at start-up); "
		        "give --url\n",
		        listen);
		return NULL;
	}
	host = xstrndup(listen, (size_t)(colon - listen));
	if (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0) {
		free(host);
		host = xstrdup("127.0.0.1");
	} else if (strcmp(host, "[::]") == 0) {
		free(host);
		host = xstrdup("[::1]");
	}
	path = cfg->webhook_path != NULL ? cfg->webhook_path : SEND_TEST_DEFAULT_PATH;
	url = xasprintf("http://%s:%ld%s%s", host, port, path[0] == '/' ? "" : "/", path);
	free(host);
	return url;
}

/* Reason phrase for the report line; curl does not hand it over. */
static const char *
send_test_reason(long status)
{
	static const struct {
		long status;
		const char *reason;
	} reasons[] = {
	    {200, "OK"},
	    {201, "Created"},
	    {202, "Accepted"},
	    {204, "No Content"},
	    {301, "Moved Permanently"},
	    {302, "Found"},
	    {307, "Temporary Redirect"},
	    {308, "Permanent Redirect"},
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {408, "Request Timeout"},
	    {413, "Content Too Large"},
	    {415, "Unsupported Media Type"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
		if (reasons[i].status == status)
			return reasons[i].reason;
	}
	return "";
}

/* Monotonic time in fractional milliseconds, for the report line. */
static double
send_test_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

#define SEND_TEST_EVENT  256
#define SEND_TEST_URL    257
#define SEND_TEST_SECRET 258

/* `send-test`: POSTs one signed sample and reports the answer. */
static int
send_test_exec(const struct cli_args *a)
{
	struct pd_config *cfg = NULL;
	struct pd_strlist headers = {NULL, 0};
	struct http_resp resp;
	const char *config_path = a->config, *type = cli_value(a, SEND_TEST_EVENT);
	const char *url_arg = cli_value(a, SEND_TEST_URL),
	           *secret_arg = cli_value(a, SEND_TEST_SECRET);
	char *url = NULL, *secret = NULL, *body = NULL, hex[65], webhook_id[37];
	json_t *env;
	double t0, elapsed;
	enum pd_err rc;
	int status = 0;

	if (type == NULL)
		type = SEND_TEST_DEFAULT_TYPE;
	if (type[0] == '\0')
		return cli_usage_error(a->entry, "--event needs a type");

	/* The config is only needed for what the command line leaves out. */
	if (url_arg == NULL || secret_arg == NULL || config_path != NULL)
		cfg = cli_load_config(config_path, CONFIG_NEED_SERVE);
	url = url_arg != NULL ? xstrdup(url_arg) : send_test_default_url(cfg);
	if (secret_arg != NULL)
		secret = xstrdup(secret_arg);
	else if (cfg->webhook_secrets.n > 0)
		secret = xstrdup(cfg->webhook_secrets.v[0]);
	if (cfg != NULL)
		config_free(cfg);
	if (url == NULL || secret == NULL) {
		if (secret == NULL)
			fprintf(stderr, "send-test: no webhook.secrets; give --secret\n");
		status = pd_err_exit(PD_ERR_CONFIG);
		goto out;
	}
	if ((env = json_string(type)) == NULL) {
		fprintf(stderr, "send-test: --event: not valid UTF-8\n");
		status = pd_err_exit(PD_ERR_USAGE);
		goto out;
	}
	json_decref(env);
	if (catalog_find(type) == NULL)
		fprintf(stderr,
		        "send-test: note: '%s' is not a known event type; "
		        "the receiver emits it as " PD_PACK ".event\n",
		        type);

	env = send_test_envelope(type);
	body = send_test_dump(env);
	sig_compute(secret, body, strlen(body), hex);
	send_test_uuid(webhook_id);
	strlist_add(&headers, "Content-Type: application/json");
	strlist_add(&headers, "Accept: application/json");
	strlist_addf(&headers, "X-PagerDuty-Signature: v1=%s", hex);
	strlist_addf(&headers, "X-Webhook-Id: %s", webhook_id);
	strlist_add(&headers, "X-Webhook-Subscription: " SEND_TEST_SUBSCRIPTION);
	/* PagerDuty never sends Expect: 100-continue; do not test a path it never takes. */
	strlist_add(&headers, "Expect:");

	t0 = send_test_clock_ms();
	rc =
	    http_request("POST", url, &headers, body, strlen(body), SEND_TEST_TIMEOUT_MS, 1, &resp);
	elapsed = send_test_clock_ms() - t0;
	if (rc != PD_OK) {
		fprintf(stderr, "send-test: %s: %s (is `st2-pagerduty serve` running?)\n", url,
		        pd_strerror(rc));
		status = pd_err_exit(rc == PD_ERR_TIMEOUT ? rc : PD_ERR_NETWORK);
	} else {
		printf("send-test: %s %s -> %ld %s in %.1f ms (%s)\n", type,
		       json_string_value(json_object_get(json_object_get(env, "event"), "id")),
		       resp.status, send_test_reason(resp.status), elapsed, url);
		if (resp.status < 200 || resp.status > 299) {
			while (resp.len > 0 &&
			       (resp.body[resp.len - 1] == '\n' || resp.body[resp.len - 1] == '\r'))
				resp.body[--resp.len] = '\0';
			if (resp.len > 0)
				printf("%s\n", resp.body);
			status = pd_err_exit(PD_ERR_HTTP);
		}
	}
	http_resp_free(&resp);
	json_decref(env);
	strlist_free(&headers);
out:
	if (secret != NULL)
		crypto_wipe_str(secret);
	free(secret);
	free(body);
	free(url);
	fflush(stdout);
	return status;
}

static const struct cli_option send_test_options[] = {
    {"event", SEND_TEST_EVENT, "TYPE",
     "V3 event type of the sample (default " SEND_TEST_DEFAULT_TYPE ")"},
    {"url", SEND_TEST_URL, "URL", "the receiver (default: webhook.listen and webhook.path)"},
    {"secret", SEND_TEST_SECRET, "S", "sign with S (default: the first webhook.secrets entry)"},
    {NULL, 0, NULL, NULL},
};

const struct cli_entry cmd_send_test_entry = {
    .name = "send-test",
    .summary = "POST a realistic, signed sample event to the receiver and report the answer",
    .options = send_test_options,
    .exec = send_test_exec,
};
