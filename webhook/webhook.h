/*
 * webhook.h: PagerDuty's V3 webhooks coming in: their signatures
 * (signature.c, and the sign command), the connections and their limits
 * (listener.c), the POST handler that spools an event (receive.c), and
 * send-test's sample envelopes (send_test.c).
 */
#ifndef PD_WEBHOOK_H
#define PD_WEBHOOK_H

#include <stddef.h>

#include "common/common.h"

struct event_base;
struct evbuffer;
struct evhttp_request;
struct pd_config;
struct spool;

/* webhook/signature.c */
/* Hex HMAC-SHA256 of body under secret; out gets 64 hex chars + NUL. */
void sig_compute(const char *secret, const void *body, size_t len, char out[65]);
/*
 * Verifies an X-PagerDuty-Signature header value against every secret.
 * PD_OK, PD_ERR_SIG_MISSING (NULL header or no v1= entry),
 * PD_ERR_BODY_EMPTY, or PD_ERR_SIG_MISMATCH.
 */
enum pd_err sig_verify(const char *header, const void *body, size_t len,
                       const struct pd_strlist *secrets);
extern const struct cli_entry cmd_sign_entry;

/* webhook/listener.c */
struct evhttp;
struct listener;
/* Takes over evhttp's connections: limits, timeouts, its own error pages. */
struct listener *listener_new(struct event_base *, struct evhttp *, const struct pd_config *);
int listener_bind(struct listener *);   /* every webhook.listen address; -1 (logged) on error */
void listener_close(struct listener *); /* stops accepting for good */
/*
 * Every handler's first call: the request was read in full (its timer
 * stops, its bytes leave the unverified budget). PD_ERR_BAD_HTTP for a
 * request HTTP/1.1 does not allow (no Host), to be answered as such.
 */
enum pd_err listener_request_read(struct listener *, struct evhttp_request *);
/* After evhttp_free and a loop pass that runs the connections' deferred frees. */
void listener_free(struct listener *);

/* webhook/receive.c */
struct receiver;
struct receiver *receive_new(const struct pd_config *, struct spool *);
/* evhttp callback for {webhook.path}; arg is the struct receiver. */
void receive_webhook(struct evhttp_request *, void *arg);
/*
 * Answers a request: status from the error table, a small JSON body, the
 * metrics counter and the one log line. start is receive_clock() at arrival.
 */
void receive_answer(struct evhttp_request *, enum pd_err, const char *event_id,
                    const char *event_type, double start);
double receive_clock(void); /* monotonic seconds */
/* The JSON error body of every answer but 202: {"error":{"code","message"}}. */
void receive_error_body(struct evbuffer *, enum pd_err);
/* Refuses new events (503); idle runs once no request waits for the spool. */
void receive_stop(struct receiver *, void (*idle)(void *), void *arg);
void receive_free(struct receiver *);

/* webhook/send_test.c */
/* A realistic V3 envelope for type (NULL: incident.triggered). Caller frees. */
char *send_test_sample(const char *event_type);
extern const struct cli_entry cmd_send_test_entry;

#endif /* PD_WEBHOOK_H */
