/*
 * listener.c: the receiver's listening sockets and the connections they
 * accept, with the limits evhttp (libevent 2.1) does not keep itself.
 *
 * DESIGN
 * ------
 * Anyone on the internet reaches this code before a signature is checked,
 * so everything a client can make the daemon hold is bounded here:
 *   - connections: at most webhook.max_connections. At the limit the
 *     listening sockets stop accepting, so new connections wait in the
 *     kernel's backlog, and they start again when one closes.
 *   - file descriptors: when accept() fails for want of one (EMFILE,
 *     ENFILE) or of memory, the listeners pause for LISTEN_PAUSE_MS.
 *     libevent's own handler logs the error and tries again at once, a
 *     busy loop that wrote 250 MB of log in 6 s.
 *   - time: a request must be read in full, headers and body, within
 *     webhook.request_timeout_ms of its first byte (of the accept, for a
 *     connection's first request). evhttp's own timeout is reset by every
 *     byte, so a client trickling a byte a second was never cut off; it
 *     is kept, set to webhook.idle_timeout_ms, for idle keep-alive
 *     connections.
 *   - memory: the bytes of requests not yet read in full (so not yet
 *     verified) are counted across all connections against
 *     webhook.max_unverified_bytes. The connection that would pass it is
 *     answered 503 with Retry-After and closed: PagerDuty retries a 5xx,
 *     while a 4xx counts as a drop and three drops disable its
 *     subscription.
 * Each connection's socket has a bufferevent filter around it
 * (evhttp_set_bevcb): evhttp reads and writes through the filter, whose
 * callbacks see every byte in and out, and whose free_context callback
 * says when evhttp is done with the connection. Input passes through,
 * counted. The handlers tell the listener when evhttp hands them a request
 * read in full (listener_request_read): its timer stops, its bytes leave
 * the budget (the signature is checked right then), and the output that
 * follows is its answer. Output that comes before that is evhttp's own: a
 * "100 Continue", passed on, or an error page in HTML for a request it
 * could not parse (400) or would not take (413), which is replaced by the
 * JSON answer every other error gets, and counted in /metrics.
 * To close a connection from here (a timeout, our own 503) the socket is
 * shut down: evhttp reads the end of the stream and frees the connection,
 * as it does when a client goes away.
 *
 * Answers are written to the socket as the filter gets them, and only
 * what the socket does not take at once is queued below the filter. A
 * filter tells evhttp an answer was sent as soon as it is queued, and
 * evhttp frees a connection it means to close right then: queued bytes
 * would be lost, and an answer cut short.
 *
 * What was refused is counted in /metrics; the log gets the first event at
 * once and then at most one summary line per LISTEN_REPORT_MS, however
 * hard the listener is pushed.
 *
 * Pipelined requests (a second request sent before the first answer) are
 * read and answered in order; their bytes count against the budget of the
 * first, and an error page evhttp writes for a second one goes out as
 * evhttp made it.
 */
#include <sys/socket.h>
#include <errno.h>
#include <malloc.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "st2pd.h"

#define LISTEN_PAUSE_MS  500   /* accept() out of descriptors: try again after this */
#define LISTEN_REPORT_MS 10000 /* at most one summary log line per this */
/* Bytes a connection's socket reads ahead of evhttp (a pipelining client). */
#define LISTEN_READ_AHEAD 65536
#define LISTEN_RETRY_S    "5" /* Retry-After of the 503 for max_unverified_bytes */
/* After the budget held this much and then drained, freed memory goes back to the system. */
#define LISTEN_TRIM_AFTER (4 << 20)

/* Where a connection is in its current request. */
enum conn_state {
	CONN_READING = 0, /* a request is being read: its timer runs */
	CONN_ANSWERING,   /* a handler has the request; output is its answer */
	CONN_IDLE,        /* answered; no byte of another request yet */
	CONN_CLOSING,     /* answered from here; the rest of both ways is dropped */
};

/* What the listener counts between two summary lines; also in /metrics. */
enum listen_event { LE_TIMEOUT = 0, LE_OVER_BUDGET, LE_ACCEPT_PAUSED, LE_AT_MAX, LE_MAX };

struct conn {
	struct listener *l;
	struct bufferevent *bev; /* the filter evhttp uses */
	struct bufferevent *sock;
	struct event *timer;
	struct event *kick; /* see conn_out_added */
	enum conn_state state;
	int next;    /* ANSWERING, and the next request has begun: its timer runs */
	size_t held; /* bytes of requests not yet handed over, in the budget */
	int fd;      /* -1 until known; then also in the listener's by_fd table */
	int kicking; /* the kick is active and holds a reference on bev */
};

struct listener {
	struct evhttp *http;
	const struct pd_config *cfg;
	struct evhttp_bound_socket **socks;
	size_t nsocks;
	int closed;  /* listener_close ran: never accept again */
	int paused;  /* accept() failed: listeners off until the pause timer */
	int at_max;  /* max_connections reached: listeners off until one closes */
	int enabled; /* whether the listeners accept now */
	struct event *pause_timer, *report_timer;
	size_t nconns;
	size_t held;      /* bytes of unfinished requests, every connection */
	size_t held_peak; /* the most held since memory was last given back */
	struct event *trim;
	struct conn **by_fd;
	size_t nfd;
	unsigned long events[LE_MAX]; /* since the last summary */
	int accept_errno;
	struct listener *next; /* in listeners */
};

/*
 * Every listener there is. evhttp owns its evconnlisteners' callback
 * argument, so their error callback finds its listener by the socket.
 */
static struct listener *listeners;

static const struct {
	enum metric_counter counter;
	const char *what;
} listen_events[LE_MAX] = {
    [LE_TIMEOUT] = {M_CONN_REQUEST_TIMEOUT, "connections closed unfinished at request_timeout_ms"},
    [LE_OVER_BUDGET] = {M_CONN_OVER_BUDGET, "requests answered 503 at max_unverified_bytes"},
    [LE_ACCEPT_PAUSED] = {M_ACCEPT_PAUSED, "accept pauses for want of descriptors or memory"},
    [LE_AT_MAX] = {M_CONN_AT_MAX, "times max_connections was reached"},
};

/* Splits "host:port" or "[v6]:port"; the config loader validated the form. */
static int
listener_split(const char *s, char **host, ev_uint16_t *port)
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
listener_log_bound(struct evhttp_bound_socket *bs)
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

/* Turns accepting on or off, as closed, paused and at_max say. */
static void
listener_sync(struct listener *l)
{
	int want = !l->closed && !l->paused && !l->at_max;
	size_t i;

	if (want == l->enabled)
		return;
	for (i = 0; i < l->nsocks; i++) {
		struct evconnlistener *lev = evhttp_bound_socket_get_listener(l->socks[i]);

		if (want)
			evconnlistener_enable(lev);
		else
			evconnlistener_disable(lev);
	}
	l->enabled = want;
}

/* Logs a summary of what was refused since the last one; 1 if there was anything. */
static int
listener_report_now(struct listener *l)
{
	char counts[LE_MAX][24];
	int i, any = 0;

	for (i = 0; i < LE_MAX; i++) {
		snprintf(counts[i], sizeof counts[i], "%lu", l->events[i]);
		any |= l->events[i] != 0;
	}
	if (!any)
		return 0;
	log_fields(LOG_WARN, "webhook: connections limited", "request_timeouts", counts[LE_TIMEOUT],
	           "over_unverified_bytes", counts[LE_OVER_BUDGET], "accept_pauses",
	           counts[LE_ACCEPT_PAUSED], "max_connections_reached", counts[LE_AT_MAX],
	           "accept_error",
	           l->events[LE_ACCEPT_PAUSED] != 0 ? strerror(l->accept_errno) : NULL, NULL);
	memset(l->events, 0, sizeof l->events);
	return 1;
}

/* The report timer: one line for the interval, and another interval only if it had any. */
static void
listener_report(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;
	struct timeval tv = ms_timeval(LISTEN_REPORT_MS);

	if (listener_report_now(l))
		evtimer_add(l->report_timer, &tv);
}

/* Counts one event: in /metrics always, in the log at once if the log was quiet. */
static void
listener_event(struct listener *l, enum listen_event e)
{
	struct timeval tv = ms_timeval(LISTEN_REPORT_MS);

	metrics_inc(listen_events[e].counter);
	l->events[e]++;
	if (!evtimer_pending(l->report_timer, NULL)) {
		listener_report_now(l);
		evtimer_add(l->report_timer, &tv);
	}
}

/* The pause after a failed accept() is over. */
static void
listener_resume(evutil_socket_t fd, short what, void *arg)
{
	struct listener *l = arg;

	l->paused = 0;
	listener_sync(l);
}

/* The listener an evconnlistener of evhttp's belongs to, or NULL. */
static struct listener *
listener_of(struct evconnlistener *lev)
{
	struct listener *l;
	size_t i;

	for (l = listeners; l != NULL; l = l->next) {
		for (i = 0; i < l->nsocks; i++) {
			if (evhttp_bound_socket_get_listener(l->socks[i]) == lev)
				return l;
		}
	}
	return NULL;
}

/* evconnlistener's error callback: accept() failed for a reason retrying will not fix now. */
static void
listener_accept_error(struct evconnlistener *lev, void *arg)
{
	int saved = errno;
	struct listener *l = listener_of(lev);
	struct timeval tv = ms_timeval(LISTEN_PAUSE_MS);

	if (l == NULL) {
		evconnlistener_disable(lev); /* not ours to pace: at least no busy loop */
		return;
	}
	l->accept_errno = saved;
	l->paused = 1;
	listener_sync(l);
	evtimer_add(l->pause_timer, &tv);
	listener_event(l, LE_ACCEPT_PAUSED);
}

/*
 * Gives freed memory back to the system: a flood of request bytes leaves
 * the heap grown and full of holes, which glibc keeps (the daemon
 * stayed at 278 MB after 1,000 clients left).
 */
static void
listener_trim(evutil_socket_t fd, short what, void *arg)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

/* Takes a connection's request bytes out of the budget. */
static void
conn_release(struct conn *c)
{
	struct listener *l = c->l;

	l->held -= c->held;
	c->held = 0;
	metrics_gauge_set(G_UNVERIFIED_BYTES, (int64_t)l->held);
	/* Drained after a flood: trim once the frees of this loop pass are done. */
	if (l->held_peak >= LISTEN_TRIM_AFTER && l->held <= l->held_peak / 8) {
		l->held_peak = 0;
		event_active(l->trim, EV_TIMEOUT, 0);
	}
}

/* A request began: it must be read in full before its timer fires. */
static void
conn_start_request(struct conn *c)
{
	struct timeval tv = ms_timeval(c->l->cfg->webhook_request_timeout_ms);

	if (c->state == CONN_ANSWERING)
		c->next = 1;
	else
		c->state = CONN_READING;
	evtimer_add(c->timer, &tv);
}

/* Enters c in the table that finds a request's connection by its descriptor. */
static void
conn_track(struct conn *c)
{
	struct listener *l = c->l;
	size_t n;

	if ((size_t)c->fd >= l->nfd) {
		n = (size_t)c->fd + 1 > l->nfd * 2 ? (size_t)c->fd + 1 : l->nfd * 2;
		l->by_fd = xreallocarray(l->by_fd, n, sizeof *l->by_fd);
		memset(l->by_fd + l->nfd, 0, (n - l->nfd) * sizeof *l->by_fd);
		l->nfd = n;
	}
	l->by_fd[c->fd] = c;
}

/* The socket's descriptor, once evhttp has given it one; tracked from then on. */
static int
conn_fd(struct conn *c)
{
	if (c->fd < 0 && (c->fd = (int)bufferevent_getfd(c->bev)) >= 0)
		conn_track(c);
	return c->fd;
}

/*
 * Ends the connection from our side: evhttp reads the end of the stream and
 * frees it. Its bytes stay in the budget until then (conn_free): they are
 * in evhttp's buffers until it does.
 */
static void
conn_shutdown(struct conn *c)
{
	c->state = CONN_CLOSING;
	evtimer_del(c->timer);
	if (conn_fd(c) >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

/* The request timer: not read in full in time. No answer: PagerDuty retries either way. */
static void
conn_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	listener_event(c->l, LE_TIMEOUT);
	conn_shutdown(c);
}

/*
 * Writes out to the socket now, queueing below the filter (dst) only what
 * it does not take; see DESIGN. out is emptied.
 */
static void
conn_send(struct conn *c, struct evbuffer *out, struct evbuffer *dst)
{
	if (evbuffer_get_length(dst) == 0 && conn_fd(c) >= 0)
		evbuffer_write(out, c->fd);
	evbuffer_add_buffer(dst, out);
}

/* Writes our answer for err (JSON, as receive_answer's) on a connection evhttp will close. */
static void
conn_answer(struct conn *c, struct evbuffer *dst, const char *status_line, enum pd_err err)
{
	struct evbuffer *body = evbuffer_new(), *out = evbuffer_new();

	receive_error_body(body, err);
	evbuffer_add_printf(out,
	                    "%s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n%s"
	                    "Connection: close\r\n\r\n",
	                    status_line, evbuffer_get_length(body),
	                    err == PD_ERR_OVERLOADED ? "Retry-After: " LISTEN_RETRY_S "\r\n" : "");
	evbuffer_add_buffer(out, body);
	conn_send(c, out, dst);
	evbuffer_free(body);
	evbuffer_free(out);
}

/* Input filter: counts a request's bytes against the budget, or refuses them. */
static enum bufferevent_filter_result
conn_input(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
           enum bufferevent_flush_mode mode, void *arg)
{
	struct conn *c = arg;
	struct listener *l = c->l;
	size_t n = evbuffer_get_length(src);

	if (n == 0)
		return BEV_NEED_MORE;
	/* Tracked before its request can reach a handler (listener_request_read). */
	conn_fd(c);
	if (c->state == CONN_CLOSING) {
		evbuffer_drain(src, n);
		return BEV_OK;
	}
	if (c->state == CONN_IDLE || (c->state == CONN_ANSWERING && !c->next))
		conn_start_request(c);
	if (l->held + n > (size_t)l->cfg->webhook_max_unverified_bytes) {
		listener_event(l, LE_OVER_BUDGET);
		metrics_inc(M_RECV_UNAVAILABLE);
		conn_answer(c, bufferevent_get_output(c->sock), "HTTP/1.1 503 Service Unavailable",
		            PD_ERR_OVERLOADED);
		evbuffer_drain(src, n);
		conn_shutdown(c);
		return BEV_OK;
	}
	c->held += n;
	l->held += n;
	if (l->held > l->held_peak)
		l->held_peak = l->held;
	metrics_gauge_set(G_UNVERIFIED_BYTES, (int64_t)l->held);
	evbuffer_add_buffer(dst, src);
	return BEV_OK;
}

/*
 * Output filter: a handler's answer goes out as it is; before that, output
 * is evhttp's own (DESIGN): a 100 Continue passes, an error page is
 * replaced by our JSON answer with evhttp's status line.
 */
static enum bufferevent_filter_result
conn_output(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t limit,
            enum bufferevent_flush_mode mode, void *arg)
{
	struct conn *c = arg;
	struct evbuffer_ptr end;
	enum pd_err err;
	char line[64], code[4];
	size_t len;

	if (c->state == CONN_CLOSING) {
		evbuffer_drain(src, evbuffer_get_length(src));
		return BEV_OK;
	}
	if (c->state == CONN_ANSWERING) {
		conn_send(c, src, dst);
		return BEV_OK;
	}
	/* evhttp writes its status line first, in one piece: wait for all of it. */
	end = evbuffer_search(src, "\r\n", 2, NULL);
	if (end.pos < 0)
		return BEV_NEED_MORE;
	len = (size_t)end.pos < sizeof line ? (size_t)end.pos : sizeof line - 1;
	evbuffer_copyout(src, line, len);
	line[len] = '\0';
	if (len < 12 || strncmp(line, "HTTP/1.", 7) != 0)
		snprintf(line, sizeof line, "HTTP/1.1 400 Bad Request");
	memcpy(code, line + 9, 3);
	code[3] = '\0';
	if (strcmp(code, "100") == 0) {
		/* Its whole header block, then the request goes on being read. */
		end = evbuffer_search(src, "\r\n\r\n", 4, NULL);
		if (end.pos < 0)
			return BEV_NEED_MORE;
		evbuffer_remove_buffer(src, dst, (size_t)end.pos + 4);
		return BEV_OK;
	}
	err = strcmp(code, "413") == 0 ? PD_ERR_BODY_TOO_LARGE : PD_ERR_BAD_HTTP;
	metrics_inc(M_RECV_BAD_REQUEST);
	log_fields(LOG_WARN, "webhook", "status", code, "result", pd_errcode(err), NULL);
	conn_answer(c, dst, line, err);
	evbuffer_drain(src, evbuffer_get_length(src));
	c->state = CONN_CLOSING;
	evtimer_del(c->timer);
	return BEV_OK;
}

/*
 * A libevent 2.1 filter passes output on only while writing is enabled,
 * and evhttp adds an answer while writing is disabled, enabling it just
 * after, which does not start the filter: the answer would wait forever
 * (the first answer on a connection is spared only by the filter's
 * initial state). So every addition made while writing is off activates
 * the kick, which runs once evhttp is done and flushes the filter.
 */
static void
conn_out_added(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct conn *c = arg;

	/* A reference, so that evhttp cannot have the filter freed before the kick runs. */
	if (info->n_added > 0 && (bufferevent_get_enabled(c->bev) & EV_WRITE) == 0 && !c->kicking) {
		c->kicking = 1;
		bufferevent_incref(c->bev);
		event_active(c->kick, EV_WRITE, 0);
	}
}

/* The kick: output is waiting and evhttp has enabled writing by now. */
static void
conn_kick(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	c->kicking = 0;
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0)
		bufferevent_flush(c->bev, EV_WRITE, BEV_NORMAL);
	bufferevent_decref(c->bev); /* may free it, and c with it */
}

/* The filter's free_context: evhttp is done with the connection. */
static void
conn_free(void *arg)
{
	struct conn *c = arg;
	struct listener *l = c->l;

	conn_release(c);
	if (c->fd >= 0 && l->by_fd[c->fd] == c)
		l->by_fd[c->fd] = NULL;
	event_free(c->timer);
	event_free(c->kick);
	free(c);
	l->nconns--;
	metrics_gauge_set(G_CONNECTIONS_OPEN, (int64_t)l->nconns);
	if (l->at_max && l->nconns < (size_t)l->cfg->webhook_max_connections) {
		l->at_max = 0;
		listener_sync(l);
	}
}

/*
 * evhttp wrote the whole answer. Bytes of the next request may have come
 * meanwhile; otherwise the connection waits for one (evhttp's idle timeout).
 */
static void
conn_answered(struct evhttp_request *req, void *arg)
{
	struct conn *c = arg;

	if (c->state == CONN_ANSWERING)
		c->state = c->next ? CONN_READING : CONN_IDLE;
	c->next = 0;
}

/* evhttp_set_bevcb: a connection was accepted; its bufferevent is our filter. */
static struct bufferevent *
listener_new_conn(struct event_base *base, void *arg)
{
	struct listener *l = arg;
	struct conn *c = xcalloc(1, sizeof *c);

	c->l = l;
	c->fd = -1;
	c->sock = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->bev = bufferevent_filter_new(c->sock, conn_input, conn_output, BEV_OPT_CLOSE_ON_FREE,
	                                conn_free, c);
	c->timer = evtimer_new(base, conn_timeout, c);
	c->kick = event_new(base, -1, 0, conn_kick, c);
	if (c->sock == NULL || c->bev == NULL || c->timer == NULL || c->kick == NULL ||
	    evbuffer_add_cb(bufferevent_get_output(c->bev), conn_out_added, c) == NULL)
		fatal("libevent: out of memory for a connection");
	bufferevent_setwatermark(c->sock, EV_READ, 0, LISTEN_READ_AHEAD);
	conn_start_request(c);
	l->nconns++;
	metrics_gauge_set(G_CONNECTIONS_OPEN, (int64_t)l->nconns);
	if (l->nconns >= (size_t)l->cfg->webhook_max_connections) {
		/* evconnlistener checks after each callback: nothing more is accepted now. */
		l->at_max = 1;
		listener_sync(l);
		listener_event(l, LE_AT_MAX);
	}
	return c->bev;
}

struct listener *
listener_new(struct event_base *base, struct evhttp *http, const struct pd_config *cfg)
{
	struct listener *l = xcalloc(1, sizeof *l);
	struct timeval idle = ms_timeval(cfg->webhook_idle_timeout_ms);

	l->http = http;
	l->cfg = cfg;
	l->pause_timer = evtimer_new(base, listener_resume, l);
	l->report_timer = evtimer_new(base, listener_report, l);
	l->trim = event_new(base, -1, 0, listener_trim, l);
	if (l->pause_timer == NULL || l->report_timer == NULL || l->trim == NULL)
		fatal("libevent: cannot create the listener's timers");
	evhttp_set_bevcb(http, listener_new_conn, l);
	evhttp_set_timeout_tv(http, &idle);
	evhttp_set_max_headers_size(http, CONFIG_MAX_HEADER_BYTES);
	evhttp_set_max_body_size(http, (ev_ssize_t)cfg->webhook_max_body_bytes);
	l->next = listeners;
	listeners = l;
	return l;
}

/* Binds every webhook.listen address; 0 on success, -1 (logged) on the first failure. */
int
listener_bind(struct listener *l)
{
	const struct pd_strlist *addrs = &l->cfg->webhook_listen;
	struct evhttp_bound_socket *bs;
	ev_uint16_t port;
	char *host;
	size_t i;

	l->socks = xcalloc(addrs->n, sizeof *l->socks);
	for (i = 0; i < addrs->n; i++) {
		if (listener_split(addrs->v[i], &host, &port) != 0) {
			log_error("webhook.listen: cannot parse '%s'", addrs->v[i]);
			return -1;
		}
		bs = evhttp_bind_socket_with_handle(l->http, host, port);
		free(host);
		if (bs == NULL) {
			log_error("webhook.listen: cannot listen on %s: %s", addrs->v[i],
			          strerror(errno));
			return -1;
		}
		evconnlistener_set_error_cb(evhttp_bound_socket_get_listener(bs),
		                            listener_accept_error);
		l->socks[l->nsocks++] = bs;
		listener_log_bound(bs);
	}
	l->enabled = 1;
	return 0;
}

/* Stops accepting for good: the first step of a graceful stop. */
void
listener_close(struct listener *l)
{
	size_t i;

	l->closed = 1;
	for (i = 0; i < l->nsocks; i++)
		evhttp_del_accept_socket(l->http, l->socks[i]);
	l->nsocks = 0;
	l->enabled = 0;
}

/*
 * A handler has the request read in full (see DESIGN). Also refuses what
 * HTTP/1.1 itself does not allow and evhttp lets by: a request without
 * Host (RFC 9112, 3.2).
 */
enum pd_err
listener_request_read(struct listener *l, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct bufferevent *bev = evcon != NULL ? evhttp_connection_get_bufferevent(evcon) : NULL;
	evutil_socket_t fd = bev != NULL ? bufferevent_getfd(bev) : -1;
	struct conn *c = fd >= 0 && (size_t)fd < l->nfd ? l->by_fd[fd] : NULL;

	if (c != NULL && c->bev == bev) {
		evtimer_del(c->timer);
		conn_release(c);
		c->state = CONN_ANSWERING;
		c->next = 0;
		evhttp_request_set_on_complete_cb(req, conn_answered, c);
	}
	if ((req->major > 1 || (req->major == 1 && req->minor >= 1)) &&
	    evhttp_find_header(evhttp_request_get_input_headers(req), "Host") == NULL)
		return PD_ERR_BAD_HTTP;
	return PD_OK;
}

void
listener_free(struct listener *l)
{
	struct listener **p;

	if (l == NULL)
		return;
	for (p = &listeners; *p != NULL; p = &(*p)->next) {
		if (*p == l) {
			*p = l->next;
			break;
		}
	}
	listener_report_now(l);
	event_free(l->pause_timer);
	event_free(l->report_timer);
	event_free(l->trim);
	free(l->by_fd);
	free(l->socks);
	free(l);
}
