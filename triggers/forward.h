/*
 * forward.h: what the three files of the forwarder share, and nothing
 * outside triggers/ sees: its limits, its state (struct forwarder, the
 * window and its items), and the functions one of them calls in another.
 * forward.c is the mechanism (and its DESIGN), forward_http.c the requests
 * to st2, forward_thread.c the thread and the entry points of st2pd.h.
 */
#ifndef TRIGGERS_FORWARD_H
#define TRIGGERS_FORWARD_H

#include <sys/queue.h>
#include <pthread.h>
#include <stdint.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "st2pd.h"

/*
 * Requests in flight at once. st2api is a few gunicorn workers behind
 * nginx, so more parallel requests would only queue there; 16 keep-alive
 * connections already hide one request's round trip, and the number bounds
 * the sockets and memory the forwarder can take.
 */
#define FW_MAX_IN_FLIGHT 16
/* Events held in memory; the rest wait in the spool, which is the queue. */
#define FW_WINDOW_MAX 1024
/* With a backlog, refill only once this many slots are free (batched fetches). */
#define FW_REFILL_MIN  (FW_WINDOW_MAX / 4)
#define FW_TICK_MS     1000
#define FW_NICE        10    /* the forwarder thread's niceness: see fw_thread() */
#define FW_BACKOFF_MS  1000  /* first retry after 0.5-1 s */
#define FW_BACKOFF_MAX 60000 /* never wait more than a minute */
#define FW_GATE_MAX    5000  /* st2 probed at least every 5 s while it is down */
#define FW_CONNECT_MS  5000
#define FW_TIMEOUT_MS  30000
/* Response bytes kept: st2 answers {"faultstring": ...}, far smaller. */
#define FW_RESP_MAX 65536

enum fw_state { FW_WAITING = 0, FW_IN_FLIGHT };

/* One HTTP request in flight. */
struct fw_xfer {
	CURL *easy;
	/* This request's St2-Trace-Tag, chained in front of the forwarder's shared headers. */
	struct curl_slist tag;
	char *body;
	struct http_body resp; /* the start of st2's answer: FW_RESP_MAX */
	char errbuf[CURL_ERROR_SIZE];
};

/* One window event. */
struct fw_item {
	struct spool_event *ev;
	struct order_link order; /* in its order key's chain */
	enum fw_state state;
	int64_t due; /* mono_ms() before which it may not start */
	struct fw_xfer *xfer;
	TAILQ_ENTRY(fw_item) entry;
};
TAILQ_HEAD(fw_window, fw_item);

struct forwarder {
	struct event_base *base;
	struct spool *spool;
	char *url;  /* NULL: sink mode */
	char *auth; /* "St2-Api-Key: ..." or "X-Auth-Token: ...", or NULL */
	int verify_tls;

	struct sink *sink; /* sink mode */
	int sink_failures;
	int64_t sink_due;

	struct event_base *own_base; /* = base; freed by forward_free */
	pthread_t thread;
	int started;

	struct curlev *curl;
	struct curl_slist *headers;   /* the same for every request */
	CURL *idle[FW_MAX_IN_FLIGHT]; /* configured handles between requests */
	size_t nidle;
	struct event *tick;
	struct event *done_ev;
	struct event *stop_ev;
	struct event *inbox_ev;

	/* Events handed over by the spool's writer thread, guarded by inbox_mu. */
	pthread_mutex_t inbox_mu;
	struct spool_event **inbox;
	size_t ninbox;
	int poked; /* an empty hand-over: others' events were stored */

	/* Closed after an st2-wide failure until gate_due; then one probe at a time. */
	int gate_failures;
	int64_t gate_due;

	struct fw_window window;
	size_t nwindow;
	size_t in_flight;
	int64_t last_seq;    /* highest seq loaded into the window */
	int backlog;         /* the spool may hold more than the window took */
	unsigned long epoch; /* the spool's leadership epoch the window is from; 0: none */
	struct order_table order;

	char *problem; /* kind of the last failure logged; NULL while healthy */
	int stopping;
	void (*done)(void *);
	void *done_arg;
};

/* forward.c: the window and what becomes of its events */
/* Takes ev (ownership) into the window, honouring a stored retry time. */
void fw_item_add(struct forwarder *, struct spool_event *ev);
/* Drops it from the window (delivered, dead, or shutting down). */
void fw_item_remove(struct forwarder *, struct fw_item *it);
/* Why ev cannot become a request body (NULL if it can). */
const char *fw_unsendable(const struct spool_event *ev);
/* Whether this forwarder may deliver now; empties the window when leadership changed. */
int fw_leading(struct forwarder *);
/* Loads pending events after the last one loaded, as room allows. */
void fw_refill(struct forwarder *);
/* Starts whatever may start: due chain heads, up to the in-flight limit. */
void fw_dispatch(struct forwarder *);
/* Decides what a finished attempt means and records it. */
void fw_outcome(struct forwarder *, struct fw_item *it, CURLcode cc, long status,
                int64_t retry_after_s);

/* forward_http.c: the requests to st2, on libcurl's multi interface (common/curlev.c) */
void fw_http_new(struct forwarder *);
void fw_http_free(struct forwarder *);
/* Starts the POST of one window event. */
void fw_start(struct forwarder *, struct fw_item *it);
/* Frees a transfer, detaching it from the multi handle first. */
void fw_xfer_free(struct forwarder *, struct fw_xfer *x);

/* forward_thread.c */
/* Runs done once the last transfer of a stop has finished. */
void fw_maybe_done(struct forwarder *);

#endif
