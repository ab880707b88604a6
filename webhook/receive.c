/*
 * receive.c: the POST {webhook.path} handler. It checks the signature over
 * the raw body, turns the V3 envelope into a trigger event, hands it to
 * the spool and answers 202 only once the spool says the event is durable.
 *
 * DESIGN
 * ------
 * A request goes through three steps, cheapest first, so that a flood of
 * forged requests costs one HMAC each and never touches the disk:
 *   1. signature (webhook/signature.c) over the exact bytes received: 401;
 *   2. envelope (triggers/payload.c): 400 for anything not a V3 event;
 *   3. spool_submit(): the request waits, unanswered, for the group commit
 *      it joined; the commit callback answers 202 (also for a duplicate,
 *      which the spool recognises by event id or X-Webhook-Id) or 503.
 * Our own faults (spool full or failing, shutting down) are 503 with
 * Retry-After, never a 4xx: PagerDuty drops a 4xx at once and disables the
 * subscription after three, while it retries a 5xx for 48 hours.
 *
 * A request whose client goes away while it waits stays valid: evhttp
 * detaches it from the connection and frees it when we reply.
 */
#include <sys/queue.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "st2pd.h"

/* How long PagerDuty (or anyone) is asked to wait after a 503. */
#define RETRY_AFTER_S    "30"
#define ANSWER_ACCEPTED  "{\"status\":\"accepted\"}\n"
#define ANSWER_DUPLICATE "{\"status\":\"duplicate\"}\n"

struct receiver {
	const struct pd_config *cfg;
	struct spool *spool;
	int stopping;
	size_t waiting; /* requests waiting for their commit */
	void (*idle)(void *);
	void *idle_arg;
};

/* A request waiting for its commit; the ids are kept for the log line. */
struct receive_wait {
	struct receiver *rcv;
	struct evhttp_request *req;
	double start;
	char *event_type; /* points into id[] */
	char id[];
};

/* Which counter each answer counts under, and the level it logs at. */
static const struct {
	enum pd_err err;
	enum metric_counter counter;
	enum log_level level;
} receive_results[] = {
    {PD_OK, M_RECV_ACCEPTED, LOG_INFO},
    {PD_ERR_DUPLICATE, M_RECV_DUPLICATE, LOG_INFO},
    {PD_ERR_SIG_MISSING, M_RECV_UNAUTHORIZED, LOG_WARN},
    {PD_ERR_SIG_MISMATCH, M_RECV_UNAUTHORIZED, LOG_WARN},
    {PD_ERR_BODY_EMPTY, M_RECV_BAD_REQUEST, LOG_WARN},
    {PD_ERR_NOT_ENVELOPE, M_RECV_BAD_REQUEST, LOG_WARN},
    {PD_ERR_BODY_TOO_LARGE, M_RECV_BAD_REQUEST, LOG_WARN},
    {PD_ERR_METHOD, M_RECV_METHOD, LOG_INFO},
    {PD_ERR_NOT_FOUND, M_RECV_NOT_FOUND, LOG_INFO},
    {PD_ERR_BAD_HTTP, M_RECV_BAD_REQUEST, LOG_WARN},
};

double
receive_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct receiver *
receive_new(const struct pd_config *cfg, struct spool *spool)
{
	struct receiver *rcv = xcalloc(1, sizeof *rcv);

	rcv->cfg = cfg;
	rcv->spool = spool;
	return rcv;
}

void
receive_stop(struct receiver *rcv, void (*idle)(void *), void *arg)
{
	rcv->stopping = 1;
	rcv->idle = idle;
	rcv->idle_arg = arg;
	if (rcv->waiting == 0 && idle != NULL)
		idle(arg);
}

void
receive_free(struct receiver *rcv)
{
	free(rcv);
}

void
receive_error_body(struct evbuffer *body, enum pd_err err)
{
	/* Codes and messages are the program's own constants: nothing to escape. */
	evbuffer_add_printf(body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
	                    pd_errcode(err), pd_strerror(err));
}

void
receive_answer(struct evhttp_request *req, enum pd_err err, const char *event_id,
               const char *event_type, double start)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evhttp_request_get_output_buffer(req);
	enum metric_counter counter = M_RECV_UNAVAILABLE;
	enum log_level level = LOG_ERROR;
	int status = pd_err_http(err);
	double elapsed;
	size_t i;
	char sbuf[8], mbuf[16];

	for (i = 0; i < sizeof receive_results / sizeof receive_results[0]; i++) {
		if (receive_results[i].err == err) {
			counter = receive_results[i].counter;
			level = receive_results[i].level;
			break;
		}
	}
	evhttp_add_header(out, "Content-Type", "application/json");
	if (status == 503)
		evhttp_add_header(out, "Retry-After", RETRY_AFTER_S);
	if (status == 405)
		evhttp_add_header(out, "Allow", "POST");
	/* Nothing more can be trusted on a connection that broke HTTP's rules. */
	if (err == PD_ERR_BAD_HTTP)
		evhttp_add_header(out, "Connection", "close");
	/* The two common answers are constants: no printf on the hot path. */
	if (err == PD_OK)
		evbuffer_add(body, ANSWER_ACCEPTED, sizeof ANSWER_ACCEPTED - 1);
	else if (err == PD_ERR_DUPLICATE)
		evbuffer_add(body, ANSWER_DUPLICATE, sizeof ANSWER_DUPLICATE - 1);
	else
		receive_error_body(body, err);
	evhttp_send_reply(req, status, NULL, NULL);

	elapsed = receive_clock() - start;
	metrics_inc(counter);
	metrics_observe_request(elapsed);
	if (level <= log_get_level()) {
		snprintf(sbuf, sizeof sbuf, "%d", status);
		snprintf(mbuf, sizeof mbuf, "%.3f", elapsed * 1000.0);
		log_fields(level, "webhook", "status", sbuf, "result", pd_errcode(err), "event_id",
		           event_id, "event_type", event_type, "ms", mbuf, NULL);
	}
}

/*
 * Every value of a header, joined with commas as HTTP says a repeated
 * header means (RFC 9110, 5.3): a proxy may split PagerDuty's list of
 * signatures into several lines, and the one that matches may be in any.
 * NULL when there is none; caller frees.
 */
static char *
receive_header_list(struct evkeyvalq *headers, const char *name)
{
	struct evkeyval *h;
	char *all = NULL, *next;

	TAILQ_FOREACH(h, headers, next)
	{
		if (evutil_ascii_strcasecmp(h->key, name) != 0)
			continue;
		next = all == NULL ? xstrdup(h->value) : xasprintf("%s,%s", all, h->value);
		free(all);
		all = next;
	}
	return all;
}

/* Spool callback: the event is durable (or the commit failed); answer now. */
static void
receive_committed(enum pd_err result, int duplicate, void *arg)
{
	struct receive_wait *w = arg;
	struct receiver *rcv = w->rcv;

	if (result == PD_OK && duplicate)
		result = PD_ERR_DUPLICATE;
	receive_answer(w->req, result, w->id, w->event_type, w->start);
	free(w);
	rcv->waiting--;
	if (rcv->stopping && rcv->waiting == 0 && rcv->idle != NULL)
		rcv->idle(rcv->idle_arg);
}

void
receive_webhook(struct evhttp_request *req, void *arg)
{
	struct receiver *rcv = arg;
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct evbuffer *buf = evhttp_request_get_input_buffer(req);
	struct spool_event *ev = NULL;
	struct receive_wait *w;
	const char *body;
	size_t len = evbuffer_get_length(buf), idlen, typelen;
	char *sigs;
	double start = receive_clock();
	enum pd_err err;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		receive_answer(req, PD_ERR_METHOD, NULL, NULL, start);
		return;
	}
	if (rcv->stopping) {
		receive_answer(req, PD_ERR_SHUTTING_DOWN, NULL, NULL, start);
		return;
	}
	/* evhttp enforces the limit while reading; this guards a changed config. */
	if (len > (size_t)rcv->cfg->webhook_max_body_bytes) {
		receive_answer(req, PD_ERR_BODY_TOO_LARGE, NULL, NULL, start);
		return;
	}
	body = len > 0 ? (const char *)evbuffer_pullup(buf, -1) : "";

	sigs = receive_header_list(in, "X-PagerDuty-Signature");
	err = sig_verify(sigs, body, len, &rcv->cfg->webhook_secrets);
	free(sigs);
	if (err == PD_OK)
		err = payload_from_webhook(body, len, evhttp_find_header(in, "X-Webhook-Id"),
		                           evhttp_find_header(in, "X-Webhook-Subscription"), &ev);
	if (err != PD_OK) {
		receive_answer(req, err, NULL, NULL, start);
		return;
	}

	idlen = strlen(ev->event_id);
	typelen = strlen(ev->event_type);
	w = xmalloc(sizeof *w + idlen + typelen + 2);
	w->rcv = rcv;
	w->req = req;
	w->start = start;
	memcpy(w->id, ev->event_id, idlen + 1);
	w->event_type = w->id + idlen + 1;
	memcpy(w->event_type, ev->event_type, typelen + 1);

	/* The spool owns ev from here on, whatever it answers. */
	err = spool_submit(rcv->spool, ev, receive_committed, w);
	if (err != PD_OK) {
		receive_answer(req, err, w->id, w->event_type, start);
		free(w);
		return;
	}
	rcv->waiting++;
}
