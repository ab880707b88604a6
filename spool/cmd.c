/*
 * cmd.c: `st2-pagerduty spool`, the operator's view of the spool: status,
 * list, show and find, and retry or purge of dead letters by id, incident,
 * type or age. It parses and prints; what it asks of the spool goes
 * through the spool's admin interface (spool_admin_*, spool/spool.c), which works whether
 * serve is running or not. Options and subcommands are tables; one field
 * table drives every record printed, as text or JSON.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* Options, as bits: which subcommand accepts which. */
#define SO_JSON     0x01
#define SO_STATE    0x02
#define SO_INCIDENT 0x04
#define SO_TYPE     0x08
#define SO_OLDER    0x10
#define SO_NEWER    0x20
#define SO_LIMIT    0x40
#define SO_ALL      0x80
#define SO_SELECT   (SO_INCIDENT | SO_TYPE | SO_OLDER | SO_ALL) /* retry and purge */

/* Option keys: long only (256 and up), named by the letter they had. */
#define SK(c) (256 + (c))

static const struct cli_option spool_options[] = {
    {"json", SK('j'), NULL, "print JSON"},
    {"state", SK('s'), "STATE",
     "list: pending, dead, delivered or all (default: pending and dead)"},
    {"incident", SK('i'), "ID", "list, retry, purge: the events of one incident"},
    {"type", SK('t'), "TYPE", "list, retry, purge: the events of one event type"},
    {"older-than", SK('o'), "DUR", "list, retry, purge: received longer ago than DUR (2h, 7d)"},
    {"newer-than", SK('n'), "DUR", "list: received within DUR"},
    {"limit", SK('l'), "N", "list: at most N records (default 100)"},
    {"all", SK('a'), NULL, "retry, purge: every dead letter"},
    {NULL, 0, NULL, NULL},
};

static const struct {
	int val;
	int flag;
	const char *name;
} spool_optbits[] = {
    {SK('j'), SO_JSON, "--json"},         {SK('s'), SO_STATE, "--state"},
    {SK('i'), SO_INCIDENT, "--incident"}, {SK('t'), SO_TYPE, "--type"},
    {SK('o'), SO_OLDER, "--older-than"},  {SK('n'), SO_NEWER, "--newer-than"},
    {SK('l'), SO_LIMIT, "--limit"},       {SK('a'), SO_ALL, "--all"},
};

/* enum spool_state -> name, and the --state values as bit masks. */
#define SPOOL_ALL_STATES ((1 << SPOOL_PENDING) | (1 << SPOOL_DELIVERED) | (1 << SPOOL_DEAD))
static const char *const spool_state_names[] = {
    [SPOOL_PENDING] = "pending",
    [SPOOL_DELIVERED] = "delivered",
    [SPOOL_DEAD] = "dead",
};
static const struct {
	const char *name;
	int mask;
} spool_state_masks[] = {
    {"pending", 1 << SPOOL_PENDING},
    {"delivered", 1 << SPOOL_DELIVERED},
    {"dead", 1 << SPOOL_DEAD},
    {"all", SPOOL_ALL_STATES},
};

/* A record's fields as `spool list`, `show` and `find` print them, in that order. */
enum spool_field_kind { K_INT, K_STR, K_TIME, K_STATE, K_SOURCE, K_JSON };
static const struct {
	const char *name; /* key in JSON and in `show` */
	size_t offset;    /* into struct spool_event */
	enum spool_field_kind kind;
} spool_fields[] = {
    {"seq", offsetof(struct spool_event, seq), K_INT},
    {"event_id", offsetof(struct spool_event, event_id), K_STR},
    {"webhook_id", offsetof(struct spool_event, webhook_id), K_STR},
    {"event_type", offsetof(struct spool_event, event_type), K_STR},
    {"trigger", offsetof(struct spool_event, trigger), K_STR},
    {"order_key", offsetof(struct spool_event, order_key), K_STR},
    {"state", offsetof(struct spool_event, state), K_STATE},
    {"received_at", offsetof(struct spool_event, received_ms), K_TIME},
    {"attempts", offsetof(struct spool_event, attempts), K_INT},
    {"next_attempt_at", offsetof(struct spool_event, next_attempt_ms), K_TIME},
    {"delivered_at", offsetof(struct spool_event, delivered_ms), K_TIME},
    {"dead_at", offsetof(struct spool_event, dead_ms), K_TIME},
    {"last_error", offsetof(struct spool_event, last_error), K_STR},
    {"dead_reason", offsetof(struct spool_event, dead_reason), K_STR},
    {"source", offsetof(struct spool_event, polled), K_SOURCE},
    {"transition", offsetof(struct spool_event, transition), K_STR},
    {"payload", offsetof(struct spool_event, payload), K_JSON},
};
#define SPOOL_NFIELDS (sizeof spool_fields / sizeof spool_fields[0])

/* One invocation: parsed options and the open spool. */
struct spool_cli {
	const struct spool_cmd *cmd;
	struct spool_admin *admin;
	int json;
	struct spool_filter filter; /* states and limit for list; the selection */
	char **args;
	int nargs;
	int64_t now;
};

struct spool_cmd {
	const char *name;
	const char *usage;
	int opts;
	int min_args, max_args; /* max -1: any number */
	int (*fn)(struct spool_cli *);
};

static int spool_cmd_status(struct spool_cli *);
static int spool_cmd_list(struct spool_cli *);
static int spool_cmd_show(struct spool_cli *);
static int spool_cmd_find(struct spool_cli *);
static int spool_cmd_retry(struct spool_cli *);
static int spool_cmd_purge(struct spool_cli *);

#define SELECTORS "EVENT_ID... | --incident ID | --type TYPE | --older-than DUR | --all"
static const struct spool_cmd spool_cmds[] = {
    {"status", "[--json]", SO_JSON, 0, 0, spool_cmd_status},
    {"list",
     "[--state pending|dead|delivered|all] [--incident ID] [--type TYPE] "
     "[--older-than DUR] [--newer-than DUR] [--limit N] [--json]",
     SO_JSON | SO_STATE | SO_INCIDENT | SO_TYPE | SO_OLDER | SO_NEWER | SO_LIMIT, 0, 0,
     spool_cmd_list},
    {"show", "EVENT_ID [--json]", SO_JSON, 1, 1, spool_cmd_show},
    {"find", "ID [--json]", SO_JSON, 1, 1, spool_cmd_find},
    {"retry", SELECTORS, SO_SELECT, 0, -1, spool_cmd_retry},
    {"purge", SELECTORS, SO_SELECT, 0, -1, spool_cmd_purge},
};
#define SPOOL_NCMDS (sizeof spool_cmds / sizeof spool_cmds[0])

/* Usage of one subcommand, or of all when cmd is NULL. */
static void
spool_usage(FILE *f, const struct spool_cmd *cmd)
{
	size_t i;

	for (i = 0; i < SPOOL_NCMDS; i++) {
		if (cmd == NULL || cmd == &spool_cmds[i])
			fprintf(f, "%s st2-pagerduty spool %s [-c FILE] %s\n",
			        i == 0 || cmd != NULL ? "usage:" : "      ", spool_cmds[i].name,
			        spool_cmds[i].usage);
	}
}

/* Prints a usage error and returns its exit status. */
static int PD_PRINTF(2, 3) spool_usage_error(const struct spool_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "st2-pagerduty: spool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	spool_usage(stderr, cmd);
	return pd_err_exit(PD_ERR_USAGE);
}

/* The spool said what failed (logged): the exit status for it. */
static int
spool_failed(enum pd_err err)
{
	return pd_err_exit(err == PD_ERR_CONFIG ? PD_ERR_CONFIG : PD_ERR_IO);
}

/* "3m12s": an age for people. */
static void
spool_format_age(int64_t ms, char *buf, size_t len)
{
	long long s = ms > 0 ? (long long)(ms / 1000) : 0;

	if (s < 60)
		snprintf(buf, len, "%llds", s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

/* "12.3 MiB": a size for people. */
static void
spool_format_size(int64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%lld B", (long long)bytes);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

/* A record as a JSON object, in spool_fields order; the payload parsed when asked. */
static json_t *
spool_record_json(const struct spool_event *ev, int with_payload)
{
	json_t *o = json_object(), *v;
	const char *base = (const char *)ev, *text;
	char ts[32];
	int64_t n;
	size_t i;

	for (i = 0; i < SPOOL_NFIELDS; i++) {
		const void *field = base + spool_fields[i].offset;

		/* Only string fields are read as pointers: an int's offset may not be aligned for
		 * one. */
		text = spool_fields[i].kind == K_STR || spool_fields[i].kind == K_JSON
		           ? *(const char *const *)field
		           : NULL;
		switch (spool_fields[i].kind) {
		case K_INT:
			n = spool_fields[i].offset == offsetof(struct spool_event, seq)
			        ? *(const int64_t *)field
			        : *(const int *)field;
			v = json_integer(n);
			break;
		case K_STR:
			v = text != NULL ? json_string(text) : json_null();
			break;
		case K_TIME:
			n = *(const int64_t *)field;
			if (n > 0)
				format_time_ms(n, ts, sizeof ts);
			v = n > 0 ? json_string(ts) : json_null();
			break;
		case K_STATE:
			n = *(const int *)field;
			v = json_string(n >= 0 && n < 3 ? spool_state_names[n] : "unknown");
			break;
		case K_SOURCE:
			n = *(const int *)field;
			v = n < 0 ? json_null() : json_string(n ? "poll" : "webhook");
			break;
		case K_JSON:
			if (!with_payload)
				continue;
			v = text != NULL ? json_loads(text, JSON_ALLOW_NUL, NULL) : json_null();
			if (v == NULL) /* not JSON after all: shown as stored */
				v = json_string(text);
			break;
		default:
			continue;
		}
		json_object_set_new(o, spool_fields[i].name, v);
	}
	return o;
}

/* A string member, or "-". */
static const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "-";
}

/* Prints a JSON value on stdout, indented, with a newline. */
static void
spool_print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

/* spool status: pending and its age, recent deliveries, dead letters by reason. */
static int
spool_cmd_status(struct spool_cli *c)
{
	struct spool_status st;
	json_t *o, *reasons;
	char ts[32], age[32], sz[32];
	enum pd_err err;
	size_t i;

	if ((err = spool_admin_status(c->admin, c->now, &st)) != PD_OK)
		return spool_failed(err);
	reasons = json_array();
	for (i = 0; i < st.nreasons; i++)
		json_array_append_new(reasons,
		                      json_pack("{s:s, s:I}", "reason", st.reasons[i].reason,
		                                "count", (json_int_t)st.reasons[i].count));
	if (st.pending > 0) {
		format_time_ms(st.oldest_pending_ms, ts, sizeof ts);
		spool_format_age(c->now - st.oldest_pending_ms, age, sizeof age);
	}
	if (c->json) {
		o = json_pack(
		    "{s:s, s:o, s:I, s:o, s:o, s:I, s:I, s:O}", "path", spool_admin_where(c->admin),
		    "size_bytes", st.size_bytes >= 0 ? json_integer(st.size_bytes) : json_null(),
		    "pending", (json_int_t)st.pending, "oldest_pending_at",
		    st.pending > 0 ? json_string(ts) : json_null(), "oldest_pending_age_s",
		    st.pending > 0 ? json_integer((c->now - st.oldest_pending_ms) / 1000)
		                   : json_null(),
		    "delivered_24h", (json_int_t)st.delivered_24h, "dead", (json_int_t)st.dead,
		    "dead_by_reason", reasons);
		spool_print_json(o);
		json_decref(o);
	} else {
		spool_format_size(st.size_bytes, sz, sizeof sz);
		/* A spool in Redis shares its memory: no size of its own to show. */
		if (st.size_bytes >= 0)
			printf("spool:      %s (%s on disk)\n", spool_admin_where(c->admin), sz);
		else
			printf("spool:      %s\n", spool_admin_where(c->admin));
		if (st.pending > 0)
			printf("pending:    %lld, oldest received %s ago (%s)\n",
			       (long long)st.pending, age, ts);
		else
			printf("pending:    0\n");
		printf("delivered:  %lld in the last 24h\n", (long long)st.delivered_24h);
		printf("dead:       %lld\n", (long long)st.dead);
		for (i = 0; i < st.nreasons; i++)
			printf("  %6lld  %s\n", (long long)st.reasons[i].count,
			       st.reasons[i].reason);
	}
	json_decref(reasons);
	spool_status_free(&st);
	return 0;
}

/* spool list: one line (or object) per event, in seq order. */
static int
spool_cmd_list(struct spool_cli *c)
{
	struct spool_event **evs;
	json_t *rows, *o;
	const char *why;
	enum pd_err err;
	size_t n, i;
	int more;

	if ((err = spool_admin_list(c->admin, &c->filter, &evs, &n, &more)) != PD_OK)
		return spool_failed(err);
	rows = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(rows, spool_record_json(evs[i], 0));
		spool_event_free(evs[i]);
	}
	free(evs);
	if (c->json)
		spool_print_json(rows);
	else {
		printf("%-8s %-26s %-24s %-18s %-24s %-9s %3s  %s\n", "SEQ", "EVENT_ID", "TYPE",
		       "ORDER_KEY", "RECEIVED", "STATE", "TRY", "REASON / LAST ERROR");
		for (i = 0; i < json_array_size(rows); i++) {
			o = json_array_get(rows, i);
			why = json_is_string(json_object_get(o, "dead_reason"))
			          ? jstr(o, "dead_reason")
			          : jstr(o, "last_error");
			printf("%-8lld %-26s %-24s %-18s %-24s %-9s %3lld  %s\n",
			       (long long)json_integer_value(json_object_get(o, "seq")),
			       jstr(o, "event_id"), jstr(o, "event_type"), jstr(o, "order_key"),
			       jstr(o, "received_at"), jstr(o, "state"),
			       (long long)json_integer_value(json_object_get(o, "attempts")), why);
		}
	}
	if (more)
		fprintf(stderr, "st2-pagerduty: spool: more than %ld events match; see --limit\n",
		        c->filter.limit);
	json_decref(rows);
	return 0;
}

/* The record of an event id (or X-Webhook-Id) as JSON, or NULL; *err on a spool error. */
static json_t *
spool_lookup(struct spool_cli *c, int with_payload, enum pd_err *err)
{
	struct spool_event *ev;
	json_t *o;

	if ((*err = spool_admin_find(c->admin, c->args[0], with_payload, &ev)) != PD_OK ||
	    ev == NULL)
		return NULL;
	o = spool_record_json(ev, with_payload);
	spool_event_free(ev);
	return o;
}

/* spool show: the whole record, payload pretty-printed. */
static int
spool_cmd_show(struct spool_cli *c)
{
	json_t *o, *v;
	const char *key;
	char *payload;
	enum pd_err err;

	if ((o = spool_lookup(c, 1, &err)) == NULL) {
		if (err != PD_OK)
			return spool_failed(err);
		fprintf(stderr, "st2-pagerduty: spool: %s: not found\n", c->args[0]);
		return pd_err_exit(PD_ERR_NOT_FOUND);
	}
	if (c->json) {
		spool_print_json(o);
		json_decref(o);
		return 0;
	}
	json_object_foreach (o, key, v) {
		if (strcmp(key, "payload") == 0)
			continue;
		if (json_is_integer(v))
			printf("%-16s %lld\n", key, (long long)json_integer_value(v));
		else
			printf("%-16s %s\n", key, json_is_string(v) ? json_string_value(v) : "-");
	}
	v = json_object_get(o, "payload");
	payload = json_is_string(v) ? xstrdup(json_string_value(v))
	                            : json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("payload:\n%s\n", payload != NULL ? payload : "-");
	free(payload);
	json_decref(o);
	return 0;
}

/* The one-sentence answer to "did it reach StackStorm, and when?". */
static char *
spool_find_sentence(json_t *o)
{
	const char *state = jstr(o, "state"), *next = jstr(o, "next_attempt_at");
	json_int_t n = json_integer_value(json_object_get(o, "attempts"));
	const char *plural = n == 1 ? "" : "s";
	char *err, *s;

	/* The twin of a transition another source brought (sqlite_writer.c): never sent itself. */
	if (strcmp(state, "delivered") == 0 && n == 0 &&
	    json_is_string(json_object_get(o, "last_error")))
		return xasprintf("%s: %s (%s), at %s", jstr(o, "event_id"), jstr(o, "last_error"),
		                 jstr(o, "transition"), jstr(o, "delivered_at"));
	if (strcmp(state, "delivered") == 0)
		return xasprintf("%s: delivered to StackStorm at %s after %lld attempt%s",
		                 jstr(o, "event_id"), jstr(o, "delivered_at"), (long long)n,
		                 plural);
	if (strcmp(state, "dead") == 0)
		return xasprintf("%s: dead letter since %s: %s", jstr(o, "event_id"),
		                 jstr(o, "dead_at"), jstr(o, "dead_reason"));
	err = json_is_string(json_object_get(o, "last_error"))
	          ? xasprintf(", last error: %s", jstr(o, "last_error"))
	          : xstrdup("");
	s = xasprintf("%s: pending: %lld attempt%s, next attempt %s%s%s", jstr(o, "event_id"),
	              (long long)n, plural, strcmp(next, "-") == 0 ? "as soon as possible" : "at ",
	              strcmp(next, "-") == 0 ? "" : next, err);
	free(err);
	return s;
}

/* spool find: where an event (by event id or X-Webhook-Id) stands. */
static int
spool_cmd_find(struct spool_cli *c)
{
	json_t *o, *out;
	char *sentence;
	enum pd_err err;

	o = spool_lookup(c, 0, &err);
	if (err != PD_OK)
		return spool_failed(err);
	if (o == NULL) {
		if (c->json) {
			out = json_pack("{s:s, s:b}", "id", c->args[0], "found", 0);
			spool_print_json(out);
			json_decref(out);
		} else
			printf("%s: not found\n", c->args[0]);
		return pd_err_exit(PD_ERR_NOT_FOUND);
	}
	sentence = spool_find_sentence(o);
	if (c->json) {
		out = json_pack("{s:s, s:b, s:s, s:O}", "id", c->args[0], "found", 1, "summary",
		                sentence, "event", o);
		spool_print_json(out);
		json_decref(out);
	} else
		printf("%s\n", sentence);
	free(sentence);
	json_decref(o);
	return 0;
}

/* spool retry: the selected dead letters back to pending, delivered again in their order. */
static int
spool_cmd_retry(struct spool_cli *c)
{
	enum pd_err err;
	size_t n;

	if ((err = spool_admin_retry(c->admin, &c->filter, &n)) != PD_OK)
		return spool_failed(err);
	printf("retried %zu dead letter%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* spool purge: forgets the selected dead letters (never pending or delivered events). */
static int
spool_cmd_purge(struct spool_cli *c)
{
	enum pd_err err;
	size_t n;

	if ((err = spool_admin_purge(c->admin, &c->filter, &n)) != PD_OK)
		return spool_failed(err);
	printf("purged %zu dead letter%s\n", n, n == 1 ? "" : "s");
	return 0;
}

/* Parses one option's value into c; returns 0 or a usage exit status. */
static int
spool_parse_opt(struct spool_cli *c, int opt, const char *arg)
{
	int64_t ms;
	size_t i;

	switch (opt) {
	case SK('j'):
		c->json = 1;
		return 0;
	case SK('a'):
		return 0;
	case SK('s'):
		for (i = 0; i < sizeof spool_state_masks / sizeof spool_state_masks[0]; i++) {
			if (strcmp(arg, spool_state_masks[i].name) == 0) {
				c->filter.states = spool_state_masks[i].mask;
				return 0;
			}
		}
		return spool_usage_error(c->cmd, "--state %s: not pending, dead, delivered or all",
		                         arg);
	case SK('l'):
		if (parse_long(arg, 1, 1000000000, &c->filter.limit) != PD_OK)
			return spool_usage_error(c->cmd, "--limit %s: not a positive number", arg);
		return 0;
	case SK('i'):
		c->filter.incident = arg;
		return 0;
	case SK('t'):
		c->filter.type = arg;
		return 0;
	case SK('o'):
	case SK('n'):
		if (parse_duration_ms(arg, &ms) != PD_OK)
			return spool_usage_error(c->cmd, "%s: not a duration (90s, 15m, 48h, 7d)",
			                         arg);
		*(opt == SK('o') ? &c->filter.older_ms : &c->filter.newer_ms) = c->now - ms;
		return 0;
	}
	return 0;
}

/* Frees what an invocation holds. */
static void
spool_cli_free(struct spool_cli *c)
{
	spool_admin_close(c->admin);
	free(c->filter.ids);
}

/* st2-pagerduty spool SUBCOMMAND [options] [ARGS]. */
static int
spool_exec(const struct cli_args *a)
{
	struct spool_cli c;
	struct pd_config *cfg;
	enum pd_err err;
	int seen = 0, rc = 0, j;
	size_t i;

	memset(&c, 0, sizeof c);
	c.now = now_ms();
	c.filter.states = (1 << SPOOL_PENDING) | (1 << SPOOL_DEAD);
	c.filter.limit = 100;
	for (i = 0; a->argc > 0 && i < SPOOL_NCMDS; i++) {
		if (strcmp(a->argv[0], spool_cmds[i].name) == 0)
			c.cmd = &spool_cmds[i];
	}
	if (cli_count(a, 'h')) {
		spool_usage(stdout, c.cmd);
		goto out;
	}
	if (c.cmd == NULL) {
		rc = a->argc == 0 ? spool_usage_error(NULL, "which subcommand?")
		                  : spool_usage_error(NULL, "%s: unknown subcommand", a->argv[0]);
		goto out;
	}
	for (i = 0; i < a->nopts; i++) {
		if (a->opts[i].key == 'h')
			continue;
		for (j = 0; j < (int)(sizeof spool_optbits / sizeof spool_optbits[0]); j++)
			seen |= spool_optbits[j].val == a->opts[i].key ? spool_optbits[j].flag : 0;
		if ((rc = spool_parse_opt(&c, a->opts[i].key, a->opts[i].value)) != 0)
			goto out;
	}
	c.args = a->argv + 1;
	c.nargs = a->argc - 1;
	for (i = 0; i < sizeof spool_optbits / sizeof spool_optbits[0]; i++) {
		if ((seen & spool_optbits[i].flag) && !(c.cmd->opts & spool_optbits[i].flag)) {
			rc = spool_usage_error(c.cmd, "%s does not apply to spool %s",
			                       spool_optbits[i].name, c.cmd->name);
			goto out;
		}
	}
	if (c.nargs < c.cmd->min_args || (c.cmd->max_args >= 0 && c.nargs > c.cmd->max_args)) {
		rc = spool_usage_error(c.cmd, "spool %s: wrong number of arguments", c.cmd->name);
		goto out;
	}
	if ((c.cmd->opts & SO_ALL) && c.nargs == 0 && !(seen & SO_SELECT)) {
		rc = spool_usage_error(c.cmd, "spool %s: say which dead letters (or --all)",
		                       c.cmd->name);
		goto out;
	}
	if ((c.cmd->opts & SO_ALL) && c.nargs > 0) {
		c.filter.ids = xcalloc((size_t)c.nargs + 1, sizeof *c.filter.ids);
		for (j = 0; j < c.nargs; j++)
			c.filter.ids[j] = c.args[j];
	}

	if ((cfg = cli_try_config(a->config, CONFIG_NEED_NONE)) == NULL) {
		rc = pd_err_exit(PD_ERR_CONFIG);
		goto out;
	}
	err = spool_admin_open(cfg, &c.admin);
	config_free(cfg);
	if (err != PD_OK)
		rc = spool_failed(err);
	else
		rc = c.cmd->fn(&c);
out:
	fflush(stdout);
	spool_cli_free(&c);
	return rc;
}

const struct cli_entry cmd_spool_entry = {
    .name = "spool",
    .operands = "status|list|show|find|retry|purge [ARGS]",
    .summary = "inspect the spool and its dead letters: status, list, show, find, retry, purge",
    .options = spool_options,
    .max_operands = -1,
    .flags = CLI_OWN_HELP,
    .exec = spool_exec,
};
