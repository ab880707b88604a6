/*
 * test_send_test.c: send-test's samples (webhook/send_test.c) are V3
 * envelopes our own receiver path accepts for every catalogue type, and
 * cmd_send_test sends them signed, with PagerDuty's headers, to a one-shot
 * HTTP server on 127.0.0.1 run by this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "testlib.h"

static char *tmpdir; /* made by setup, removed by teardown */

#define TEST_SECRET "send-test-secret"

/* ---- samples ---- */

/* Parses a sample and returns its "event" object (a new reference). */
static json_t *
sample_event(const char *sample)
{
	json_error_t err;
	json_t *root = json_loads(sample, JSON_REJECT_DUPLICATES, &err);
	json_t *ev;

	if (root == NULL)
		fail_msg("sample is not JSON: %s: %s", err.text, sample);
	ev = json_object_get(root, "event");
	assert_true(json_is_object(ev));
	json_incref(ev);
	json_decref(root);
	return ev;
}

/* event.id is a ULID: 26 characters of Crockford base32. */
static void
assert_ulid(const char *id)
{
	assert_non_null(id);
	assert_int_equal(strlen(id), 26);
	assert_int_equal(strspn(id, "0123456789ABCDEFGHJKMNPQRSTVWXYZ"), 26);
	/* 26 * 5 = 130 bits for 128: the first character is 0-7. */
	assert_true(id[0] >= '0' && id[0] <= '7');
}

/* The envelope fields every V3 event has, for type. */
static void
assert_envelope(json_t *ev, const char *type)
{
	const char *at = json_string_value(json_object_get(ev, "occurred_at"));
	const char *dot = strchr(type, '.');
	size_t rlen = dot != NULL ? (size_t)(dot - type) : strlen(type);
	const char *resource = json_string_value(json_object_get(ev, "resource_type"));
	json_t *data = json_object_get(ev, "data");

	assert_ulid(json_string_value(json_object_get(ev, "id")));
	assert_string_equal(json_string_value(json_object_get(ev, "event_type")), type);
	assert_non_null(resource);
	assert_int_equal(strlen(resource), rlen);
	assert_memory_equal(resource, type, rlen);
	/* 2026-11-27T09:40:00.123Z */
	assert_non_null(at);
	assert_int_equal(strlen(at), 24);
	assert_true(at[4] == '-' && at[10] == 'T' && at[19] == '.' && at[23] == 'Z');
	assert_true(json_object_get(ev, "agent") != NULL);
	assert_true(json_object_get(ev, "client") != NULL);
	assert_true(json_is_object(data));
	assert_true(json_is_string(json_object_get(data, "type")));
}

/* data is shaped by the catalogue's data_type. */
static void
assert_data_shape(json_t *ev, const struct event_type *et)
{
	json_t *data = json_object_get(ev, "data");
	const char *dtype = json_string_value(json_object_get(data, "type"));

	if (et->data_type != NULL)
		assert_string_equal(dtype, et->data_type);
	if (strcmp(dtype, "incident") == 0) {
		assert_true(json_is_string(json_object_get(data, "id")));
		assert_true(json_is_string(json_object_get(data, "status")));
		assert_true(json_is_object(json_object_get(data, "service")));
		assert_true(json_is_string(json_object_get(data, "title")));
	} else if (strcmp(dtype, "service") == 0) {
		assert_true(json_is_string(json_object_get(data, "id")));
		assert_true(json_is_string(json_object_get(data, "summary")));
	} else if (strcmp(dtype, "ping") == 0) {
		assert_true(json_is_string(json_object_get(data, "message")));
	} else if (strncmp(et->name, "incident.", 9) == 0) {
		/* Notes, tasks, responders...: all point at their incident. */
		assert_true(
		    json_is_string(json_object_get(json_object_get(data, "incident"), "id")));
	}
}

/* A sample goes through payload_from_webhook to the right trigger. */
static void
assert_payload(const char *sample, const char *type, const char *trigger)
{
	struct spool_event *sev = NULL;
	json_t *ev = sample_event(sample);

	assert_int_equal(payload_from_webhook(sample, strlen(sample), "wh-1", "PSTTEST1", &sev),
	                 PD_OK);
	assert_non_null(sev);
	assert_string_equal(sev->event_type, type);
	assert_string_equal(sev->trigger, trigger);
	assert_string_equal(sev->event_id, json_string_value(json_object_get(ev, "id")));
	assert_string_equal(sev->webhook_id, "wh-1");
	spool_event_free(sev);
	json_decref(ev);
}

/* The trigger payload built from a sample fits the trigger type st2 registered. */
static void
assert_fits_trigger_type(const char *sample, const struct event_type *et)
{
	struct spool_event *sev = NULL;
	char *why;

	assert_int_equal(payload_from_webhook(sample, strlen(sample), "wh-1", "PSTTEST1", &sev),
	                 PD_OK);
	assert_string_equal(sev->trigger + strlen("pagerduty."), et->name);
	if ((why = t_trigger_check(sev)) != NULL)
		fail_msg("st2 would reject the sample: %s", why);
	spool_event_free(sev);
}

/* Every catalogue type gives a valid envelope and its own trigger. */
static void
test_every_catalog_type(void **state)
{
	size_t i;

	assert_true(catalog_ntypes > 0);
	for (i = 0; i < catalog_ntypes; i++) {
		const struct event_type *et = &catalog_types[i];
		char *sample = send_test_sample(et->name);
		char *trigger = xasprintf(PD_PACK ".%s", et->name);
		json_t *ev = sample_event(sample);

		print_message("%s\n", et->name);
		assert_envelope(ev, et->name);
		assert_data_shape(ev, et);
		assert_payload(sample, et->name, trigger);
		assert_fits_trigger_type(sample, et);
		json_decref(ev);
		free(trigger);
		free(sample);
	}
}

/* An unknown type still gets an envelope, and reaches st2 as pagerduty.event. */
static void
test_unknown_type(void **state)
{
	static const char *const unknown[] = {"incident.levitated", "widget.exploded", "solo"};
	size_t i;

	for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
		char *sample = send_test_sample(unknown[i]);
		json_t *ev = sample_event(sample);

		assert_null(catalog_find(unknown[i]));
		assert_string_equal(catalog_types[catalog_ntypes - 1].name, "event");
		assert_envelope(ev, unknown[i]);
		assert_payload(sample, unknown[i], PD_PACK ".event");
		assert_fits_trigger_type(sample, &catalog_types[catalog_ntypes - 1]);
		json_decref(ev);
		free(sample);
	}
}

/* NULL means incident.triggered, with the incident as data. */
static void
test_default_type(void **state)
{
	char *sample = send_test_sample(NULL);
	json_t *ev = sample_event(sample);

	assert_envelope(ev, "incident.triggered");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(ev, "data"), "status")), "triggered");
	assert_payload(sample, "incident.triggered", PD_PACK ".incident.triggered");
	json_decref(ev);
	free(sample);
}

/* The receiver de-duplicates on event.id, so each sample needs a fresh one. */
static void
test_fresh_event_ids(void **state)
{
	char *a = send_test_sample("incident.triggered");
	char *b = send_test_sample("incident.triggered");
	json_t *ea = sample_event(a);
	json_t *eb = sample_event(b);

	assert_string_not_equal(json_string_value(json_object_get(ea, "id")),
	                        json_string_value(json_object_get(eb, "id")));
	json_decref(ea);
	json_decref(eb);
	free(a);
	free(b);
}

/* Signing a sample and verifying it round-trips; a changed byte does not. */
static void
test_sign_verify_roundtrip(void **state)
{
	struct pd_strlist secrets = {NULL, 0};
	char *sample = send_test_sample("incident.annotated");
	char hex[65];
	char *header;

	strlist_add(&secrets, TEST_SECRET);
	sig_compute(TEST_SECRET, sample, strlen(sample), hex);
	header = xasprintf("v1=%s", hex);
	assert_int_equal(sig_verify(header, sample, strlen(sample), &secrets), PD_OK);
	sample[strlen(sample) / 2] ^= 0x01;
	assert_int_equal(sig_verify(header, sample, strlen(sample), &secrets), PD_ERR_SIG_MISMATCH);
	free(header);
	free(sample);
	strlist_free(&secrets);
}

/* ---- cmd_send_test against a one-shot server ---- */

/* One request in, one canned answer out. */
struct mini_server {
	int fd;
	int port;
	int status;
	const char *answer;
	pthread_t thread;
	char *request; /* headers and body as received */
	size_t len;
	char *body; /* points into request */
};

/* Serves exactly one request, then closes. */
static void *
mini_server_run(void *arg)
{
	struct mini_server *s = arg;
	char buf[4096], *hend, *cl;
	size_t need = 0;
	ssize_t n;
	int c;
	char *out;

	if ((c = accept(s->fd, NULL, NULL)) < 0)
		return NULL;
	for (;;) {
		n = read(c, buf, sizeof buf);
		if (n <= 0)
			break;
		s->request = xrealloc(s->request, s->len + (size_t)n + 1);
		memcpy(s->request + s->len, buf, (size_t)n);
		s->len += (size_t)n;
		s->request[s->len] = '\0';
		if ((hend = strstr(s->request, "\r\n\r\n")) == NULL)
			continue;
		if (need == 0) {
			cl = strcasestr(s->request, "\r\nContent-Length:");
			need = (size_t)(hend + 4 - s->request);
			if (cl != NULL && cl < hend)
				need += strtoul(cl + 17, NULL, 10);
		}
		if (s->len >= need)
			break;
	}
	if (s->request != NULL && (hend = strstr(s->request, "\r\n\r\n")) != NULL)
		s->body = hend + 4;
	out = xasprintf("HTTP/1.1 %d X\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
	                "Connection: close\r\n\r\n%s",
	                s->status, strlen(s->answer), s->answer);
	if (write(c, out, strlen(out)) < 0)
		print_message("mini server: write failed\n");
	free(out);
	close(c);
	return NULL;
}

/* Binds 127.0.0.1 on a free port and starts serving one request. */
static void
mini_server_start(struct mini_server *s, int status, const char *answer)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;

	memset(s, 0, sizeof *s);
	s->status = status;
	s->answer = answer;
	s->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(s->fd >= 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(s->fd, 1), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&sa, &salen), 0);
	s->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&s->thread, NULL, mini_server_run, s), 0);
}

/* Waits for the server thread; the request stays readable until mini_server_free. */
static void
mini_server_join(struct mini_server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

/* Frees what the server captured. */
static void
mini_server_free(struct mini_server *s)
{
	free(s->request);
}

/* The value of header name in a captured request, copied; NULL if absent. */
static char *
request_header(const struct mini_server *s, const char *name)
{
	char *key = xasprintf("\r\n%s:", name);
	char *p = strcasestr(s->request, key);
	size_t n;

	if (p == NULL || p > s->body) {
		free(key);
		return NULL;
	}
	p += strlen(key);
	free(key);
	while (*p == ' ')
		p++;
	n = strcspn(p, "\r\n");
	return xstrndup(p, n);
}

/* Checks the captured request is what PagerDuty would send, signed with secret. */
static void
assert_pagerduty_request(const struct mini_server *s, const char *path, const char *secret,
                         const char *type)
{
	struct pd_strlist secrets = {NULL, 0};
	char *line = xasprintf("POST %s HTTP/1.1\r\n", path);
	char *sig = request_header(s, "X-PagerDuty-Signature");
	char *sub = request_header(s, "X-Webhook-Subscription");
	char *wid = request_header(s, "X-Webhook-Id");
	char *ctype = request_header(s, "Content-Type");
	json_t *ev;

	assert_non_null(s->request);
	assert_non_null(s->body);
	assert_memory_equal(s->request, line, strlen(line));
	assert_non_null(sig);
	assert_non_null(sub);
	assert_non_null(wid);
	assert_non_null(ctype);
	assert_string_equal(sub, "PSTTEST1");
	assert_string_equal(ctype, "application/json");
	assert_int_equal(strlen(wid), 36);
	strlist_add(&secrets, secret);
	assert_int_equal(sig_verify(sig, s->body, strlen(s->body), &secrets), PD_OK);
	ev = sample_event(s->body);
	assert_string_equal(json_string_value(json_object_get(ev, "event_type")), type);
	json_decref(ev);
	strlist_free(&secrets);
	free(ctype);
	free(wid);
	free(sub);
	free(sig);
	free(line);
}

/* 202: exit 0, one report line naming type, event id, status and URL. */
static void
test_cmd_accepted(void **state)
{
	struct mini_server s;
	char *url, *out, *want;
	json_t *ev;
	int rc;

	mini_server_start(&s, 202, "");
	url = xasprintf("http://127.0.0.1:%d/webhooks/pagerduty", s.port);
	{
		char *args[] = {"--url",     url,       "--secret",
		                TEST_SECRET, "--event", "incident.acknowledged",
		                NULL};

		rc = t_run(&cmd_send_test_entry, args, NULL, &out, NULL);
	}
	mini_server_join(&s);
	assert_int_equal(rc, 0);
	assert_pagerduty_request(&s, "/webhooks/pagerduty", TEST_SECRET, "incident.acknowledged");

	ev = sample_event(s.body);
	want = xasprintf("send-test: incident.acknowledged %s -> 202 Accepted in ",
	                 json_string_value(json_object_get(ev, "id")));
	assert_memory_equal(out, want, strlen(want));
	free(want);
	want = xasprintf(" ms (%s)\n", url);
	assert_true(strlen(out) > strlen(want));
	assert_string_equal(out + strlen(out) - strlen(want), want);
	assert_non_null(strchr(out, '\n'));
	assert_int_equal(strchr(out, '\n')[1], '\0');

	json_decref(ev);
	free(want);
	free(out);
	free(url);
	mini_server_free(&s);
}

/* A refusal: non-zero exit, and the receiver's answer is shown. */
static void
test_cmd_rejected(void **state)
{
	struct mini_server s;
	char *url, *out;
	int rc;

	mini_server_start(&s, 401, "{\"error\":{\"code\":\"signature_mismatch\"}}\n");
	url = xasprintf("http://127.0.0.1:%d/hook", s.port);
	{
		char *args[] = {"--url", url, "--secret", "some-other-secret", NULL};

		rc = t_run(&cmd_send_test_entry, args, NULL, &out, NULL);
	}
	mini_server_join(&s);
	assert_int_not_equal(rc, 0);
	assert_pagerduty_request(&s, "/hook", "some-other-secret", "incident.triggered");
	assert_non_null(strstr(out, " -> 401 Unauthorized in "));
	assert_non_null(strstr(out, "\n{\"error\":{\"code\":\"signature_mismatch\"}}\n"));
	free(out);
	free(url);
	mini_server_free(&s);
}

/* Nobody listening: the network error's exit status. */
static void
test_cmd_connection_refused(void **state)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	char *url, *out;
	int fd, rc;

	/* A port that was just free and is closed again: nothing listens there. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &salen), 0);
	url = xasprintf("http://127.0.0.1:%d/webhooks/pagerduty", ntohs(sa.sin_port));
	close(fd);
	{
		char *args[] = {"--url", url, "--secret", TEST_SECRET, NULL};

		rc = t_run(&cmd_send_test_entry, args, NULL, &out, NULL);
	}
	assert_int_equal(rc, pd_err_exit(PD_ERR_NETWORK));
	assert_string_equal(out, "");
	free(out);
	free(url);
}

/* Writes the config file of the -c tests; the caller frees the path. */
static char *
write_config(const char *listen)
{
	char *yaml = xasprintf("webhook:\n"
	                       "  listen: [\"%s\"]\n"
	                       "  path: /hooks/pd\n"
	                       "  secrets: [\"cfg-secret-1\", \"cfg-secret-2\"]\n",
	                       listen);
	char *path = t_write(tmpdir, "config.yaml", yaml);

	free(yaml);
	return path;
}

/* Without --url and --secret: 0.0.0.0 in webhook.listen is reached on loopback. */
static void
test_cmd_url_from_config(void **state)
{
	struct mini_server s;
	char *listen, *cfg, *out;
	int rc;

	mini_server_start(&s, 202, "");
	listen = xasprintf("0.0.0.0:%d", s.port);
	cfg = write_config(listen);
	{
		char *args[] = {"-c", cfg, "--event", "service.updated", NULL};

		rc = t_run(&cmd_send_test_entry, args, NULL, &out, NULL);
	}
	mini_server_join(&s);
	assert_int_equal(rc, 0);
	/* The first secret signs. */
	assert_pagerduty_request(&s, "/hooks/pd", "cfg-secret-1", "service.updated");
	free(listen);
	listen = xasprintf("(http://127.0.0.1:%d/hooks/pd)\n", s.port);
	assert_non_null(strstr(out, listen));
	unlink(cfg);
	free(cfg);
	free(listen);
	free(out);
	mini_server_free(&s);
}

/* Port 0 is picked at start-up: send-test says so instead of guessing. */
static void
test_cmd_port_zero(void **state)
{
	char *cfg = write_config("127.0.0.1:0");
	char *out;
	int rc;

	{
		char *args[] = {"-c", cfg, NULL};

		rc = t_run(&cmd_send_test_entry, args, NULL, &out, NULL);
	}
	assert_int_not_equal(rc, 0);
	assert_string_equal(out, "");
	unlink(cfg);
	free(cfg);
	free(out);
}

/* Bad command lines are usage errors, before anything is sent. */
static void
test_cmd_usage(void **state)
{
	char *out;

	{
		char *args[] = {"--url", "http://127.0.0.1:9/", "--secret", "s", "extra", NULL};

		assert_int_equal(t_run(&cmd_send_test_entry, args, NULL, &out, NULL),
		                 pd_err_exit(PD_ERR_USAGE));
		free(out);
	}
	{
		char *args[] = {"--url", "http://127.0.0.1:9/", "--secret", "s", "--event", "",
		                NULL};

		assert_int_equal(t_run(&cmd_send_test_entry, args, NULL, &out, NULL),
		                 pd_err_exit(PD_ERR_USAGE));
		free(out);
	}
	{
		char *args[] = {"--bogus", NULL};

		assert_int_equal(t_run(&cmd_send_test_entry, args, NULL, &out, NULL),
		                 pd_err_exit(PD_ERR_USAGE));
		free(out);
	}
}

/* Initialises the crypto library and libcurl as main() does; a temp directory. */
static int
setup(void **state)
{
	crypto_init();
	tmpdir = t_tempdir("test_send_test");
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

/* Releases libcurl's global state, so the leak checker sees a clean exit. */
static int
teardown(void **state)
{
	t_rmtree(tmpdir);
	free(tmpdir);
	curl_global_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_catalog_type),
	    cmocka_unit_test(test_unknown_type),
	    cmocka_unit_test(test_default_type),
	    cmocka_unit_test(test_fresh_event_ids),
	    cmocka_unit_test(test_sign_verify_roundtrip),
	    cmocka_unit_test(test_cmd_accepted),
	    cmocka_unit_test(test_cmd_rejected),
	    cmocka_unit_test(test_cmd_connection_refused),
	    cmocka_unit_test(test_cmd_url_from_config),
	    cmocka_unit_test(test_cmd_port_zero),
	    cmocka_unit_test(test_cmd_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
