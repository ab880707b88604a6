/*
 * curlev.c: libcurl's multi interface driven by a libevent loop (curl's
 * "hiperfifo" pattern), for the forwarder, which has many requests in
 * flight on one thread.
 *
 * libcurl says which sockets to watch (CURLMOPT_SOCKETFUNCTION), mirrored
 * here into one persistent libevent event per socket, and when to wake it
 * (CURLMOPT_TIMERFUNCTION, one evtimer); both end in
 * curl_multi_socket_action(), after which curl_multi_info_read() hands back
 * the finished transfers, each to the owner's done callback, then once the
 * owner's collected callback. The multi handle keeps connections alive and
 * reuses them, so steady traffic costs no TCP or TLS handshakes.
 */
#include <sys/queue.h>
#include <stdlib.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "st2pd.h"

/* One socket libcurl asked us to watch. */
struct curlev_sock {
	struct event *ev;
	LIST_ENTRY(curlev_sock) entry;
};

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	LIST_HEAD(, curlev_sock) socks;
	curlev_done_cb *done;
	void (*collected)(void *);
	void *arg;
};

/* Hands every finished transfer to the owner, then says the batch is collected. */
static void
curlev_check(struct curlev *c)
{
	CURLMsg *m;
	CURL *easy;
	CURLcode cc;
	int left, finished = 0;

	while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		/* m is invalid once its handle is removed: copy first. */
		easy = m->easy_handle;
		cc = m->data.result;
		c->done(easy, (int)cc, c->arg);
		finished++;
	}
	if (finished > 0 && c->collected != NULL)
		c->collected(c->arg);
}

/* libevent saw activity on a socket libcurl watches. */
static void
curlev_sock_event(evutil_socket_t fd, short events, void *arg)
{
	struct curlev *c = arg;
	int action = 0, running;

	if (events & EV_READ)
		action |= CURL_CSELECT_IN;
	if (events & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, action, &running);
	curlev_check(c);
}

/* libcurl's timeout came due. */
static void
curlev_timeout(evutil_socket_t fd, short events, void *arg)
{
	struct curlev *c = arg;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	curlev_check(c);
}

/* Frees one watched socket's event. */
static void
curlev_sock_free(struct curlev_sock *s)
{
	LIST_REMOVE(s, entry);
	event_free(s->ev);
	free(s);
}

/* CURLMOPT_SOCKETFUNCTION: mirrors what libcurl waits for into a libevent event. */
static int
curlev_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlev *c = arg;
	struct curlev_sock *s = sockp;
	short flags = EV_PERSIST;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curlev_sock_free(s);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		flags |= EV_READ;
	if (what & CURL_POLL_OUT)
		flags |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		if ((s->ev = event_new(c->base, fd, flags, curlev_sock_event, c)) == NULL)
			fatal("curlev: event_new failed");
		LIST_INSERT_HEAD(&c->socks, s, entry);
		curl_multi_assign(c->multi, fd, s);
	} else {
		event_del(s->ev);
		event_assign(s->ev, c->base, fd, flags, curlev_sock_event, c);
	}
	event_add(s->ev, NULL);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: (re)arms or cancels the one libcurl timer. */
static int
curlev_timer(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlev *c = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	/* Zero too goes through the loop: libcurl must not be re-entered from here. */
	tv = ms_timeval(timeout_ms);
	evtimer_add(c->timer, &tv);
	return 0;
}

struct curlev *
curlev_new(struct event_base *base, long max_connections, curlev_done_cb *done,
           void (*collected)(void *), void *arg)
{
	struct curlev *c = xcalloc(1, sizeof *c);

	c->base = base;
	c->done = done;
	c->collected = collected;
	c->arg = arg;
	LIST_INIT(&c->socks);
	if ((c->timer = evtimer_new(base, curlev_timeout, c)) == NULL)
		fatal("curlev: evtimer_new failed");
	if ((c->multi = curl_multi_init()) == NULL)
		fatal("curlev: curl_multi_init failed");
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, curlev_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, curlev_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max_connections);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, max_connections);
	return c;
}

/* Starts a transfer; NULL, or libcurl's reason it could not. */
const char *
curlev_add(struct curlev *c, void *easy)
{
	CURLMcode mc = curl_multi_add_handle(c->multi, easy);

	return mc == CURLM_OK ? NULL : curl_multi_strerror(mc);
}

/* Takes a transfer out (finished or abandoned); the handle stays the caller's. */
void
curlev_remove(struct curlev *c, void *easy)
{
	curl_multi_remove_handle(c->multi, easy);
}

void
curlev_free(struct curlev *c)
{
	struct curlev_sock *s;

	if (c == NULL)
		return;
	curl_multi_cleanup(c->multi);
	while ((s = LIST_FIRST(&c->socks)) != NULL)
		curlev_sock_free(s);
	event_free(c->timer);
	free(c);
}
