/*
 * server.c: `st2-pagerduty serve`, the daemon. It owns the event loop and
 * wires the parts together: evhttp listeners and routes, the receiver,
 * the spool's writer thread, the forwarder, the sensor, and the signals.
 *
 * DESIGN
 * ------
 * One libevent loop runs the HTTP server, the forwarder's libcurl multi
 * handle and the timers; the spool's writer thread is the only other
 * thread, and it hands results back to the loop (triggers/spool.c).
 *
 * SIGTERM/SIGINT stop in this order, so that nothing acknowledged is lost
 * and nothing is acknowledged that is not durable:
 *   1. close the listening sockets (no new connections), tell the sensor
 *      to abandon its pass (its cursor moves only over durable events);
 *   2. answer 503 to new requests on open connections, and wait until every
 *      request that joined a group commit has had its answer;
 *   3. let the forwarder finish the deliveries in flight;
 *   4. join the sensor's thread, close the spool, which commits the queued
 *      delivery updates, then free the sensor (callbacks due at the close
 *      still reach it).
 * A deadline bounds the wait; what was not delivered stays in the spool.
 *
 * SIGHUP re-reads the config file and applies the webhook secrets and the
 * log level; a bad file is reported and the running config kept.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <event2/util.h>

#include "st2pd.h"

/* Longest a graceful stop may take before we exit anyway. */
#define SHUTDOWN_DEADLINE_S 10

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct pd_config *cfg;
	struct spool *spool;
	struct receiver *rcv;
	struct forwarder *fw;
	struct sensor *sensor;
	struct evhttp_bound_socket **socks;
	size_t nsocks;
	struct event *sigterm, *sigint, *sighup, *deadline;
	int stopping;
};

/* Splits "host:port" or "[v6]:port"; the config loader validated the form. */
static int
server_split_listen(const char *s, char **host, ev_uint16_t *port)
{
	const char *colon;
	long p;

	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		*host = xstrndup(s + 1, (size_t)(end - s - 1));
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		*host = xstrndup(s, (size_t)(colon - s));
	}
	if (parse_long(colon + 1, 0, 65535, &p) != PD_OK) {
		free(*host);
		return -1;
	}
	*port = (ev_uint16_t)p;
	return 0;
}

/* Logs the address a socket really got, so that port 0 can be used. */
static void
server_log_bound(struct evhttp_bound_socket *bs)
{
	struct sockaddr_storage ss;
	ev_socklen_t len = sizeof ss;
	char addr[64], port[8];
	evutil_socket_t fd = evhttp_bound_socket_get_fd(bs);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		char a6[INET6_ADDRSTRLEN];

		evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, a6, sizeof a6);
		snprintf(addr, sizeof addr, "[%s]", a6);
		snprintf(port, sizeof port, "%u", ntohs(sin6->sin6_port));
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		evutil_inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof addr);
		snprintf(port, sizeof port, "%u", ntohs(sin->sin_port));
	}
	log_fields(LOG_INFO, "listening", "address", addr, "port", port, NULL);
}

/* GET /healthz: 200 while the spool can take events, else 503. */
static void
server_healthz(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evbuffer *body = evhttp_request_get_output_buffer(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	int ok;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_reply(req, 405, NULL, NULL);
		return;
	}
	ok = !srv->stopping && spool_writable(srv->spool);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain");
	evbuffer_add_printf(body, "%s\n",
	                    ok              ? "ok"
	                    : srv->stopping ? "stopping"
	                                    : "spool not writable");
	evhttp_send_reply(req, ok ? 200 : 503, NULL, NULL);
}

/* GET /metrics: Prometheus text format. */
static void
server_metrics(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	struct evbuffer *body = evhttp_request_get_output_buffer(req);
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	char *text;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		evhttp_send_reply(req, 405, NULL, NULL);
		return;
	}
	text = metrics_render(srv->spool);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; version=0.0.4");
	evbuffer_add(body, text, strlen(text));
	free(text);
	evhttp_send_reply(req, 200, NULL, NULL);
}

/* Any other path. */
static void
server_not_found(struct evhttp_request *req, void *arg)
{
	receive_answer(req, PD_ERR_NOT_FOUND, NULL, NULL, receive_clock());
}

/* Last step of a stop: leave the loop. */
static void
server_forwarder_stopped(void *arg)
{
	struct server *srv = arg;

	log_info("forwarder stopped");
	event_base_loopexit(srv->base, NULL);
}

/* Every waiting request has its answer: stop the forwarder next. */
static void
server_receiver_idle(void *arg)
{
	struct server *srv = arg;

	forward_stop(srv->fw, server_forwarder_stopped, srv);
}

static void
server_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;

	log_warn("stop took longer than %d s; exiting, undelivered events stay spooled",
	         SHUTDOWN_DEADLINE_S);
	event_base_loopexit(srv->base, NULL);
}

/* SIGTERM/SIGINT: the graceful stop of the DESIGN comment. */
static void
server_stop(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = {SHUTDOWN_DEADLINE_S, 0};
	size_t i;

	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("stopping on signal %d", (int)sig);
	for (i = 0; i < srv->nsocks; i++)
		evhttp_del_accept_socket(srv->http, srv->socks[i]);
	srv->nsocks = 0;
	sensor_stop(srv->sensor);
	srv->deadline = evtimer_new(srv->base, server_deadline, srv);
	evtimer_add(srv->deadline, &tv);
	receive_stop(srv->rcv, server_receiver_idle, srv);
}

/* SIGHUP: reload secrets and log level. */
static void
server_reload(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	struct pd_config *next = config_new();
	struct pd_strlist problems = {NULL, 0}, tmp;
	size_t i;

	config_load(next, srv->cfg->file, &problems);
	if (problems.n == 0)
		config_check_needs(next, CONFIG_NEED_SERVE, &problems);
	if (problems.n > 0) {
		for (i = 0; i < problems.n; i++)
			log_error("reload: %s", problems.v[i]);
		log_error("reload: %s has errors; keeping the running configuration",
		          srv->cfg->file);
		strlist_free(&problems);
		config_free(next);
		return;
	}
	/* The loop is single-threaded: swapping here is safe for the receiver. */
	tmp = srv->cfg->webhook_secrets;
	srv->cfg->webhook_secrets = next->webhook_secrets;
	next->webhook_secrets = tmp;
	srv->cfg->log_level = next->log_level;
	srv->cfg->log_format = next->log_format;
	srv->cfg->debug = next->debug;
	log_setup(next->debug ? LOG_DEBUG : next->log_level, next->log_format);
	config_free(next);
	log_info("reloaded %s: %zu webhook secret(s)", srv->cfg->file, srv->cfg->webhook_secrets.n);
}

/* Binds every webhook.listen address; 0 on success. */
static int
server_listen(struct server *srv)
{
	struct evhttp_bound_socket *bs;
	ev_uint16_t port;
	char *host;
	size_t i;

	srv->socks = xcalloc(srv->cfg->webhook_listen.n, sizeof *srv->socks);
	for (i = 0; i < srv->cfg->webhook_listen.n; i++) {
		const char *addr = srv->cfg->webhook_listen.v[i];

		if (server_split_listen(addr, &host, &port) != 0) {
			log_error("webhook.listen: cannot parse '%s'", addr);
			return -1;
		}
		bs = evhttp_bind_socket_with_handle(srv->http, host, port);
		free(host);
		if (bs == NULL) {
			log_error("webhook.listen: cannot listen on %s: %s", addr, strerror(errno));
			return -1;
		}
		srv->socks[srv->nsocks++] = bs;
		server_log_bound(bs);
	}
	return 0;
}

/* Sets up evhttp: limits, routes. */
static void
server_routes(struct server *srv)
{
	evhttp_set_max_body_size(srv->http, (ev_ssize_t)srv->cfg->webhook_max_body_bytes);
	evhttp_set_max_headers_size(srv->http, 64 * 1024);
	evhttp_set_timeout(srv->http, 30);
	/* Take every method, so that the wrong one gets our 405, not evhttp's 501. */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                          EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                          EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                          EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_cb(srv->http, srv->cfg->webhook_path, receive_webhook, srv->rcv);
	evhttp_set_cb(srv->http, "/healthz", server_healthz, srv);
	evhttp_set_cb(srv->http, "/metrics", server_metrics, srv);
	evhttp_set_gencb(srv->http, server_not_found, srv);
}

/* Frees whatever server_run set up, in reverse order. */
static void
server_free(struct server *srv)
{
	/* The forwarder's and sensor's threads end first: they write to the spool. */
	forward_join(srv->fw);
	sensor_join(srv->sensor);
	/* Closing the spool commits the delivery updates still queued. */
	if (srv->spool != NULL)
		spool_close(srv->spool);
	forward_free(srv->fw);
	sensor_free(srv->sensor);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	if (srv->rcv != NULL)
		receive_free(srv->rcv);
	if (srv->deadline != NULL)
		event_free(srv->deadline);
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (srv->sighup != NULL)
		event_free(srv->sighup);
	free(srv->socks);
	if (srv->base != NULL)
		event_base_free(srv->base);
	config_free(srv->cfg);
}

/* The daemon proper; returns an exit status. */
static int
server_run(struct server *srv)
{
	enum pd_err err;

	if (evthread_use_pthreads() != 0)
		fatal("libevent: no pthreads support");
	if ((srv->base = event_base_new()) == NULL)
		fatal("libevent: cannot create the event loop");

	err = spool_open(srv->cfg->spool_path, srv->cfg->spool_durability,
	                 srv->cfg->spool_max_events, &srv->spool);
	if (err != PD_OK) {
		log_error("spool.path %s: %s", srv->cfg->spool_path, pd_strerror(err));
		return pd_err_exit(err);
	}
	srv->rcv = receive_new(srv->cfg, srv->spool);
	if ((srv->http = evhttp_new(srv->base)) == NULL)
		fatal("libevent: cannot create the HTTP server");
	server_routes(srv);
	if (server_listen(srv) != 0)
		return pd_err_exit(PD_ERR_IO);

	srv->fw = forward_new(srv->cfg, srv->spool);
	err = spool_start(srv->spool, srv->base, forward_handoff, srv->fw);
	if (err != PD_OK) {
		log_error("spool: %s", pd_strerror(err));
		return pd_err_exit(err);
	}
	srv->sensor = sensor_new(srv->cfg, srv->spool);
	if (srv->sensor != NULL && (err = sensor_start(srv->sensor)) != PD_OK)
		return pd_err_exit(err);

	srv->sigterm = evsignal_new(srv->base, SIGTERM, server_stop, srv);
	srv->sigint = evsignal_new(srv->base, SIGINT, server_stop, srv);
	srv->sighup = evsignal_new(srv->base, SIGHUP, server_reload, srv);
	evsignal_add(srv->sigterm, NULL);
	evsignal_add(srv->sigint, NULL);
	evsignal_add(srv->sighup, NULL);

	log_fields(LOG_INFO, "serving", "version", PD_VERSION, "path", srv->cfg->webhook_path,
	           "st2", srv->cfg->st2_api_url != NULL ? srv->cfg->st2_api_url : "(sink file)",
	           "spool", srv->cfg->spool_path, NULL);
	event_base_dispatch(srv->base);
	log_info("stopped");
	return 0;
}

int
cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	struct server srv;
	const char *path = NULL;
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		default:
			fprintf(stderr, "usage: st2-pagerduty serve [-c FILE]\n");
			return pd_err_exit(PD_ERR_USAGE);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: st2-pagerduty serve [-c FILE]\n");
		return pd_err_exit(PD_ERR_USAGE);
	}
	memset(&srv, 0, sizeof srv);
	srv.cfg = cli_load_config(path, CONFIG_NEED_SERVE);
	rc = server_run(&srv);
	server_free(&srv);
	return rc;
}
