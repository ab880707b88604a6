/*
 * triggers.h: from an accepted event to a StackStorm trigger: the event
 * types (catalog.c), the spool event and trigger payload of a webhook or a
 * log entry (payload.c), the forwarder (forward.c) with what st2's answers
 * mean (answer.c) and its per-incident order (order.c), the JSON lines sink
 * (sink.c), and the register and pack commands.
 */
#ifndef PD_TRIGGERS_H
#define PD_TRIGGERS_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/common.h"
#include "spool/spool.h" /* struct spool_event */

struct forwarder;
struct pd_config;
struct spool;

/* triggers/catalog.c */
struct event_type {
	const char *name;        /* V3 event_type, "incident.triggered"; "event" = generic */
	const char *data_type;   /* event.data.type, "incident" */
	const char *description; /* one line, shown in st2 */
};
extern const struct event_type catalog_types[];
extern const size_t catalog_ntypes; /* includes the generic "event" entry */
const struct event_type *catalog_find(const char *event_type); /* NULL if unknown */
/* Trigger name within the pack: the event type if known, else "event". */
const char *catalog_trigger_name(const char *event_type);
/* st2 TriggerType body: {name, pack, description, payload_schema, parameters_schema}. */
json_t *catalog_triggertype(const struct event_type *);

/* triggers/payload.c */
/* Parses a webhook body and builds the spool event (source "webhook"). */
enum pd_err payload_from_webhook(const char *body, size_t len, const char *webhook_id,
                                 const char *subscription_id, struct spool_event **out);
/* What StackStorm is sent for ev: {"trigger":...,"payload":...} and suffix. Caller frees. */
char *payload_trigger_body(const struct spool_event *ev, const char *suffix);
/* Same from an already parsed V3 event object (the poller: source "poll"). */
enum pd_err payload_from_event(json_t *event, const char *webhook_id, const char *subscription_id,
                               const char *source, struct spool_event **out);

/* triggers/forward_thread.c: the forwarder's face (its mechanism: forward.c) */
/* Starts the forwarder on a thread of its own; it loads what the spool holds. */
struct forwarder *forward_new(const struct pd_config *, struct spool *);
/* A spool_notify_cb: events just committed, handed over as they are. */
void forward_handoff(struct spool_event **evs, size_t n, void *forwarder);
/* Stops taking new events; done runs on the forwarder's thread once none is in flight. */
void forward_stop(struct forwarder *, void (*done)(void *), void *arg);
/* Ends the forwarder's thread: before spool_close, which may still hand events over. */
void forward_join(struct forwarder *);
void forward_free(struct forwarder *);

/* triggers/answer.c: what StackStorm's answer means for an event */
enum answer_verdict { ANSWER_DELIVERED = 0, ANSWER_DEAD, ANSWER_RETRY, ANSWER_RETRY_AFTER };
struct answer_rule {
	long lo, hi; /* HTTP statuses it covers */
	enum answer_verdict verdict;
	enum log_level level; /* of the log line a failure of this kind gets */
	const char *msg;      /* that line, NULL for none */
};
const struct answer_rule *answer_rule(long status);
/* st2's faultstring from an error body, cut to fit, or a one-line excerpt. Caller frees. */
char *answer_reason(const char *body, size_t len);

/* triggers/order.c: the forwarder's chains that keep an incident's events in order */
#define ORDER_BUCKETS 1024
struct order_chain;
struct order_link {
	struct order_chain *chain; /* NULL: no key, a chain of its own */
	struct order_link *next;   /* the next event of the same key */
};
struct order_table {
	struct order_chain *buckets[ORDER_BUCKETS];
};
void order_attach(struct order_table *, struct order_link *, const char *key);
int order_is_head(const struct order_link *);
int order_detach(struct order_table *, struct order_link *); /* 0: not the head */

/* triggers/sink.c: the JSON lines file when st2.api_url is unset */
struct sink;
struct sink *sink_new(const char *path, int fsync_each_batch);
/* Appends n events, made durable; how many went for good, *error about the rest. */
size_t sink_write(struct sink *, struct spool_event *const *evs, size_t n, char **error);
void sink_free(struct sink *);

/* triggers/register.c */
extern const struct cli_entry cmd_register_entry;

/* triggers/pack.c */
/* Writes the whole pack (pack.yaml, config.schema.yaml, triggers/, actions/, ...) into dir. */
enum pd_err pack_write(const char *dir);
/* Writes s into a Markdown table cell, '|' escaped. */
void pack_md_cell(FILE *, const char *s);
extern const struct cli_entry cmd_pack_entry;

#endif /* PD_TRIGGERS_H */
