/*
 * sensor.h: the sensor, PagerDuty's log entries read when webhooks cannot
 * come in or may have been missed: log entry types and their V3 twins
 * (map.c), the poller (poll.c), the subscription watchdog (watchdog.c),
 * their thread in serve (sensor.c), and poll --once (poll_cmd.c).
 */
#ifndef PD_SENSOR_H
#define PD_SENSOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/common.h"

struct event_base;
struct pd_config;
struct spool;

/* sensor/map.c */
/* A log entry type (the REST spec's LogEntry type) and its V3 twin. */
struct log_type {
	const char *log_type;   /* "trigger_log_entry" */
	const char *event_type; /* "incident.triggered"; NULL: no V3 twin, not emitted */
	const char *status;     /* data.status after the transition; NULL: the incident's */
	const char *note;       /* why there is no twin, or what differs; NULL */
};
extern const struct log_type map_log_types[]; /* sorted by log_type */
extern const size_t map_nlog_types;
const struct log_type *map_find(const char *log_type); /* NULL if unknown */
/*
 * The V3 event object of a log entry (its incident included), shaped as a
 * webhook's; NULL, with *why, for a type with no twin or an unusable entry.
 */
json_t *map_event(json_t *entry, const char **why);
/* The service of a log entry (its own, else its incident's), or NULL. */
const char *map_service_id(json_t *entry);

/* sensor/poll.c */
struct poller;
/* What one pass did. */
struct poll_stats {
	size_t read;       /* log entries read, the overlap's included */
	size_t reread;     /* of which this process had spooled already */
	size_t emitted;    /* new triggers spooled (dry run: printed) */
	size_t duplicates; /* the spool had them (by id, or a webhook's twin) */
	size_t unmapped;   /* no V3 event for their type */
	size_t filtered;   /* not of poll.service_ids */
	size_t failed;     /* the spool could not take them */
	size_t splits;     /* windows split for holding too many entries */
};
#define POLL_DRY_RUN     0x1 /* map and print; spool nothing */
#define POLL_KEEP_CURSOR 0x2 /* serve: the pass moves and saves the cursor */
/*
 * A poller over spool. pump: the spool's loop when the caller's thread is
 * the one running it (poll --once); NULL when another thread does (serve).
 * out: every trigger spooled (or, dry, mapped) as a JSON line, or NULL.
 */
struct poller *poll_new(const struct pd_config *, struct spool *, struct event_base *pump,
                        int flags, FILE *out);
/* Reads the saved cursor: 1 if there is one. */
int poll_load(struct poller *);
/* serve's start: loads the cursor, or starts one at now; logs a catch-up to come. */
void poll_start(struct poller *, int64_t now_s);
/* How far a pass reads now: now_s, or poll.lag_s behind it in backfill mode. */
int64_t poll_read_point(const struct poller *, int64_t now_s);
/* The window the next pass reads: from the cursor (less the overlap) to now (less lag_s). */
enum pd_err poll_window_from_cursor(struct poller *, int64_t now_s, int64_t *since, int64_t *until);
/* One pass over [since, until), in seconds; blocking. */
enum pd_err poll_pass(struct poller *, int64_t since, int64_t until, struct poll_stats *);
/* serve's periodic pass, from the cursor. */
enum pd_err poll_run(struct poller *, int64_t now_s);
/* The error object of the last failed request, or NULL. */
const json_t *poll_last_error(struct poller *);
/* From another thread: the pass in progress gives up; no spool call after it returns. */
void poll_cancel(struct poller *);
const _Atomic int *poll_cancel_flag(struct poller *);
void poll_free(struct poller *);

/* sensor/watchdog.c */
struct watchdog;
/* NULL when nothing is to be watched (no subscription_ids, no public_url). */
struct watchdog *watchdog_new(const struct pd_config *, const _Atomic int *cancel);
/* One check of every watched subscription; blocking. */
void watchdog_check(struct watchdog *);
void watchdog_free(struct watchdog *);

/* sensor/sensor.c */
struct sensor;
/* The poller and the watchdog for serve; NULL when poll.mode is off. */
struct sensor *sensor_new(const struct pd_config *, struct spool *);
/* Starts the pd-sensor thread: after spool_start(). */
enum pd_err sensor_start(struct sensor *);
/* From the loop thread: abandon what is in progress, stop (returns at once). */
void sensor_stop(struct sensor *);
/* Ends the thread: before spool_close(); sensor_free() after it. */
void sensor_join(struct sensor *);
void sensor_free(struct sensor *);

/* sensor/poll_cmd.c */
extern const struct cli_entry cmd_poll_entry;

#endif /* PD_SENSOR_H */
