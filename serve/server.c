/*
 * server.c: `st2-pagerduty serve`, the daemon. It owns the event loop and
 * wires the parts together: evhttp listeners and routes, the receiver,
 * the spool's writer thread, the forwarder, the sensor, and the signals.
 *
 * DESIGN
 * ------
 * This thread's libevent loop runs the HTTP server, the signals and the
 * timers: it is the only one that answers PagerDuty, so nothing else may
 * block it. The other threads each own one slow job and hand results back
 * through events, never through shared state:
 *   - the forwarder (triggers/forward.c), with its own loop and libcurl
 *     multi handle, so delivering to StackStorm never delays an answer;
 *   - the spool's: with SQLite the writer (group commit) and the
 *     checkpointer (spool/sqlite_writer.c); with Redis one background
 *     thread for leases and outcomes (spool/redis_lease.c), the submissions
 *     going over an async connection on this loop;
 *   - the sensor (sensor/sensor.c), when poll.mode is not off, whose
 *     requests to PagerDuty are blocking.
 * So serve runs four or five threads: two of them are busy in normal
 * operation (this loop and the forwarder), which is why two cores suffice.
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
#include <pthread.h>
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

/* The signals serve handles; blocked from its first instruction until the loop runs. */
static const int server_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define SERVER_NSIGNALS (sizeof server_signals / sizeof server_signals[0])

struct server;

/* A path the daemon answers; every request goes through server_dispatch first. */
struct server_route {
	struct server *srv;
	const char *path; /* NULL: every other path */
	void (*fn)(struct evhttp_request *, void *);
	void *arg;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct listener *lst;
	struct pd_config *cfg;
	struct spool *spool;
	struct receiver *rcv;
	struct forwarder *fw;
	struct sensor *sensor;
	struct server_route routes[4];
	struct event *signals[SERVER_NSIGNALS], *deadline;
	int stopping;
};

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

/* Every request's way in: the listener learns it was read in full, then its route answers. */
static void
server_dispatch(struct evhttp_request *req, void *arg)
{
	struct server_route *r = arg;
	enum pd_err err = listener_request_read(r->srv->lst, req);

	if (err != PD_OK)
		receive_answer(req, err, NULL, NULL, receive_clock());
	else
		r->fn(req, r->arg);
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

	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("stopping on signal %d", (int)sig);
	listener_close(srv->lst);
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

/* Sets up evhttp's routes; its limits are the listener's. */
static void
server_routes(struct server *srv)
{
	const struct server_route routes[] = {
	    {srv, srv->cfg->webhook_path, receive_webhook, srv->rcv},
	    {srv, "/healthz", server_healthz, srv},
	    {srv, "/metrics", server_metrics, srv},
	    {srv, NULL, server_not_found, srv},
	};
	size_t i;

	_Static_assert(sizeof routes == sizeof srv->routes, "server.routes has the wrong size");
	memcpy(srv->routes, routes, sizeof routes);
	/* Take every method, so that the wrong one gets our 405, not evhttp's 501. */
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                          EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                          EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                          EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	for (i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		if (srv->routes[i].path != NULL)
			evhttp_set_cb(srv->http, srv->routes[i].path, server_dispatch,
			              &srv->routes[i]);
		else
			evhttp_set_gencb(srv->http, server_dispatch, &srv->routes[i]);
	}
}

/* Frees whatever server_run set up, in reverse order. */
static void
server_free(struct server *srv)
{
	size_t i;

	/* The forwarder's and sensor's threads end first: they write to the spool. */
	forward_join(srv->fw);
	sensor_join(srv->sensor);
	/* Closing the spool commits the delivery updates still queued. */
	if (srv->spool != NULL)
		spool_close(srv->spool);
	forward_free(srv->fw);
	sensor_free(srv->sensor);
	if (srv->http != NULL) {
		evhttp_free(srv->http);
		/* The connections' bufferevents are finalized by the loop: let it, for the
		 * listener. */
		event_base_loop(srv->base, EVLOOP_NONBLOCK);
	}
	listener_free(srv->lst);
	if (srv->rcv != NULL)
		receive_free(srv->rcv);
	if (srv->deadline != NULL)
		event_free(srv->deadline);
	for (i = 0; i < SERVER_NSIGNALS; i++) {
		if (srv->signals[i] != NULL)
			event_free(srv->signals[i]);
	}
	if (srv->base != NULL)
		event_base_free(srv->base);
	config_free(srv->cfg);
}

/*
 * Blocks (how = SIG_BLOCK) or unblocks serve's signals. main() blocks
 * them before anything else when the command is serve, so that a signal
 * sent while the daemon starts (a `systemctl reload` right after start)
 * waits instead of killing it; the threads started meanwhile inherit the
 * mask, so the loop thread is the one that takes them once it runs.
 */
void
serve_mask_signals(int how)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < SERVER_NSIGNALS; i++)
		sigaddset(&set, server_signals[i]);
	pthread_sigmask(how, &set, NULL);
}

/* The daemon proper; returns an exit status. */
static int
server_run(struct server *srv)
{
	enum pd_err err;
	size_t i;

	if (evthread_use_pthreads() != 0)
		fatal("libevent: no pthreads support");
	if ((srv->base = event_base_new()) == NULL)
		fatal("libevent: cannot create the event loop");

	/* Handlers first: nothing below may run before a signal has somewhere to go. */
	for (i = 0; i < SERVER_NSIGNALS; i++) {
		srv->signals[i] =
		    evsignal_new(srv->base, server_signals[i],
		                 server_signals[i] == SIGHUP ? server_reload : server_stop, srv);
		if (srv->signals[i] == NULL || evsignal_add(srv->signals[i], NULL) != 0)
			fatal("libevent: cannot handle signal %d", server_signals[i]);
	}
	for (i = 0; i < srv->cfg->warnings.n; i++)
		log_warn("config: %s", srv->cfg->warnings.v[i]);

	if ((err = spool_open_config(srv->cfg, &srv->spool)) != PD_OK) {
		/* Not the Redis URL itself: it may hold the password. */
		log_error("spool (%s): %s",
		          srv->cfg->spool_backend == SPOOL_BACKEND_REDIS ? "spool.redis.url"
		                                                         : srv->cfg->spool_path,
		          pd_strerror(err));
		return pd_err_exit(err);
	}
	srv->rcv = receive_new(srv->cfg, srv->spool);
	if ((srv->http = evhttp_new(srv->base)) == NULL)
		fatal("libevent: cannot create the HTTP server");
	srv->lst = listener_new(srv->base, srv->http, srv->cfg);
	server_routes(srv);

	srv->fw = forward_new(srv->cfg, srv->spool);
	err = spool_start(srv->spool, srv->base, forward_handoff, srv->fw);
	if (err != PD_OK) {
		log_error("spool: %s", pd_strerror(err));
		return pd_err_exit(err);
	}
	srv->sensor = sensor_new(srv->cfg, srv->spool);
	if (srv->sensor != NULL && (err = sensor_start(srv->sensor)) != PD_OK)
		return pd_err_exit(err);
	if (listener_bind(srv->lst) != 0)
		return pd_err_exit(PD_ERR_IO);

	log_fields(LOG_INFO, "serving", "version", PD_VERSION, "path", srv->cfg->webhook_path,
	           "st2", srv->cfg->st2_api_url != NULL ? srv->cfg->st2_api_url : "(sink file)",
	           "spool",
	           srv->cfg->spool_backend == SPOOL_BACKEND_SQLITE ? srv->cfg->spool_path
	                                                           : spool_backend_name(srv->spool),
	           NULL);
	serve_mask_signals(SIG_UNBLOCK);
	event_base_dispatch(srv->base);
	log_info("stopped");
	return 0;
}

/* `serve`: the daemon, until SIGTERM. */
static int
server_exec(const struct cli_args *a)
{
	struct server srv;
	int rc;

	serve_mask_signals(SIG_BLOCK); /* main() did; a test may run the command itself */
	memset(&srv, 0, sizeof srv);
	srv.cfg = cli_load_config(a->config, CONFIG_NEED_SERVE);
	rc = server_run(&srv);
	server_free(&srv);
	return rc;
}

const struct cli_entry cmd_serve_entry = {
    .name = "serve",
    .summary = "the daemon: webhook receiver, durable spool, forwarder to StackStorm, and the "
               "sensor when poll.mode is not off",
    .help = "Foreground; logs to stderr. SIGTERM stops gracefully, SIGHUP reloads the webhook\n"
            "secrets and the log level.",
    .flags = CLI_SIGNALS,
    .exec = server_exec,
};
