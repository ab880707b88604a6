/*
 * actions.h: the pack's actions, StackStorm calling PagerDuty: the REST and
 * Events API client (pdclient.c, pdanswer.c), st2's arguments (args.c,
 * pyrepr.c), the action table (table.c), its data check (check.c), its st2
 * metadata (metadata.c), the executor (exec.c), and the run and actions
 * commands (run.c).
 */
#ifndef PD_ACTIONS_H
#define PD_ACTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/common.h"

struct pd_config;

/* actions/pdclient.c */
/* How a list answer is paged: offset/limit + more, or cursor + next_cursor. */
enum pd_page { PD_PAGE_NONE = 0, PD_PAGE_OFFSET, PD_PAGE_CURSOR };
/* One call to PagerDuty's REST API (or, with events set, the Events API v2). */
struct pd_call {
	const char *method; /* "GET", "POST", "PUT", "DELETE" */
	int events;         /* 1: pagerduty.events_url, no Authorization header */
	const char *path;   /* "/incidents/PABC123/notes", already expanded and escaped */
	json_t *query;     /* object or NULL: scalars as k=v, arrays as k[]=v, booleans lowercase */
	json_t *body;      /* JSON body or NULL */
	const char *from;  /* From header or NULL */
	enum pd_page page; /* paginate and merge the pages */
	const char *collection; /* list key of a paged answer: "incidents" */
	long maximum;           /* paged calls: stop after this many items; 0 = all */
	/*
	 * Offset lists: > 0 asks total=true with the first page and fails with
	 * PD_ERR_VALIDATION, *error carrying "total", when the list holds more
	 * (the poller then splits its time window).
	 */
	long total_max;
	const _Atomic int *cancel; /* non-NULL: once nonzero, the call is abandoned */
};
/*
 * Runs a call with retries (429 honouring ratelimit-reset/Retry-After, 5xx,
 * network errors; capped backoff; never other 4xx). *out gets the answer
 * body (NULL for 204; for paged calls the merged list). On failure *error
 * gets {"code","message","http_status","errors"} and the result says which
 * kind: PD_ERR_PD_REJECTED (4xx), PD_ERR_NETWORK, PD_ERR_TIMEOUT, ...;
 * PD_ERR_SHUTTING_DOWN when call->cancel was set (within about a second).
 */
enum pd_err pd_request(const struct pd_config *, const struct pd_call *, json_t **out,
                       json_t **error);
/* n bytes of s percent-encoded for a URL path segment or query value; caller frees. */
char *pd_escape(const char *s, size_t n);
/* The query string, without '?': "limit=100&statuses%5B%5D=triggered". Caller frees. */
char *pd_query_string(const json_t *query);

/* actions/pdanswer.c: what PagerDuty's answers mean (pure, for the unit tests too) */
/* The error object of pd_request; takes code and errors (either may be NULL). */
json_t *pd_error_new(enum pd_err kind, long status, json_t *code, const char *message,
                     json_t *errors);
/* The error object above for a non-2xx answer (REST, Events or RFC 7807 body). */
json_t *pd_error_from_answer(enum pd_err kind, long status, const char *body, size_t len);
/* Backoff before retry number attempt (0 first): in [b/2, b], b = min(500 ms * 2^n, 20 s). */
long pd_backoff_ms(int attempt);
/* Wait before retrying a 429: ratelimit-reset, else Retry-After (s or date), else backoff. */
long pd_retry_wait_ms(const char *ratelimit_reset, const char *retry_after, int attempt,
                      int64_t now_ms);

/* actions/args.c */
/*
 * One value as st2's local-shell-script runner passes it, converted to the
 * declared type: Python repr ("{'a': True, 'b': None}", "['x', 'y']") or
 * JSON for objects and arrays, "True"/"true"/"1" for booleans, comma lists
 * for positional arrays. NULL and a message in *why on a bad value.
 * "" is how st2 passes a positional null (and, by a quirk, the integer 0):
 * for integer, number, boolean and object that is NULL with *why equal to
 * ARGS_EMPTY, so the caller can treat it as "not given"; "" is [] for an
 * array and "" for a string.
 */
#define ARGS_EMPTY "empty"
json_t *args_value(enum param_type, const char *text, char **why);

/* actions/pyrepr.c */
/* A Python literal (dict, list, tuple, str, int, float, True, False, None) as JSON. */
json_t *pyrepr_parse(const char *text, char **why);
const char *pyrepr_kind(const json_t *); /* Python's name for its kind: "a dict" */

/* actions/table.c (the rows; their parameters in table_*.c) */
/* Where a parameter goes in the request. */
enum param_where {
	PW_QUERY = 0, /* ?field=v; arrays as field[]=v */
	PW_BODY,      /* JSON body, at the dotted path field ("incident.title", "a[].id") */
	PW_PATH,      /* {name} in the path template, URL-escaped */
	PW_FROM,      /* the From header; absent: the config's from_email */
	PW_LIMIT,     /* paged calls: stop after this many items (0: all) */
	PW_LOCAL,     /* read by the action's handler only */
};
#define PF_REQUIRED    0x01 /* st2 "required" */
#define PF_IMMUTABLE   0x02 /* st2 "immutable" */
#define PF_SECRET      0x04 /* st2 "secret" */
#define PF_LIST        0x08 /* a string sent as a one-item array (urgencies[]) */
#define PF_SERVICE_KEY 0x10 /* absent: the config's service_key (never in argv) */

/* One field of a data schema (a create action's object, nested). */
struct action_field {
	const char *name;
	enum param_type type;
	int required;
	const char *def;                   /* JSON text, or NULL */
	const char *const *enums;          /* NULL-terminated strings, or NULL */
	const struct action_field *fields; /* object: its fields; array: each item's */
	enum param_type items;             /* array without fields: type of its items */
	const char *description;
};

/* One parameter of an action: st2 metadata, argv parsing and request building. */
struct action_param {
	const char *name; /* NULL ends a list */
	enum param_type type;
	enum param_where where;
	int flags;                /* PF_* */
	const char *def;          /* JSON text, or NULL */
	const char *const *enums; /* allowed strings (of each item for arrays), or NULL */
	const char *field;        /* query key or body path; NULL: the name */
	const char *ref;          /* sets "type": ref beside the value ("service_reference") */
	const struct action_field *items; /* array of objects: the fields of each item */
	int position;                     /* > 0: st2 positional argument */
	const char *description;
};

/* What run prints from PagerDuty's answer. */
enum action_shape {
	AS_RAW = 0, /* the whole answer */
	AS_KEY,     /* answer[key], a dotted path: the "incident" wrapper unwrapped */
	AS_LIST,    /* paged: the merged list */
	AS_DELETED, /* {"deleted": true} */
	AS_SUCCESS, /* {"success": true} */
};

#define ACT_EVENTS     0x01 /* Events API (pagerduty.events_url): no API key */
#define ACT_PAGED      0x02 /* offset/limit pages of .collection */
#define ACT_CURSOR     0x04 /* cursor pages of .collection */
#define ACT_NEEDS_FROM 0x08 /* PagerDuty requires the From header */

struct action;
/* The code of an action the generic executor cannot run. */
typedef enum pd_err action_handler(const struct action *, json_t *params, const struct pd_config *,
                                   json_t **out, json_t **error);

struct action {
	const char *name; /* st2 action name; the table is sorted by it */
	const char *description;
	const char *method;                /* GET, POST, PUT, DELETE */
	const char *path;                  /* "/incidents/{entity_id}/notes" */
	int flags;                         /* ACT_* */
	const char *collection;            /* paged: the list key ("incidents") */
	enum action_shape shape;           /* what run prints */
	const char *key;                   /* AS_KEY: the dotted key */
	const char *body;                  /* JSON text: constant body fields, or NULL */
	const char *query;                 /* JSON text: constant query, or NULL */
	const char *wrap;                  /* body key holding the entity, checked by schema */
	const struct action_field *schema; /* fields of body[wrap], or NULL */
	const struct action_param *params; /* NULL-named end */
	const char *const *one_of;         /* at least one of these parameters, or NULL */
	const char *const *example;        /* st2-style arguments, NULL-terminated */
	action_handler *handler;           /* NULL: the generic executor */
};

/* A ChatOps alias of the pack. */
struct action_alias {
	const char *name;
	const char *action;
	const char *description;
	const char *format;
	const char *result; /* Jinja of the result message */
};

/* The parameter st2 passes first: the action name (immutable, position 0). */
#define ACTION_NAME_PARAM "action"

extern const struct action action_table[];
extern const size_t action_count;
/* actions/aliases.c */
extern const struct action_alias action_aliases[];
extern const size_t action_nalias;

/* actions/lookup.c */
const struct action *action_find(const char *name); /* NULL if unknown */
const struct action_param *action_param_find(const struct action *, const char *name);
/* A default or constant of the table (JSON text) as a value; bad text is fatal. */
json_t *action_json(const char *text);

/* actions/check.c */
/*
 * Checks value against fields (required, types, enums, nested objects and
 * arrays) and fills in missing defaults. where names value in messages
 * ("data"); on failure *why says which field and why.
 */
enum pd_err action_check_fields(const struct action_field *, json_t *value, const char *where,
                                char **why);
int action_enum_ok(const char *const *enums, const char *s); /* s is one of enums */

/* actions/metadata.c */
const char *action_type_word(enum param_type);   /* help's: "TEXT" */
const char *action_where_name(enum param_where); /* actions --json's: "header" */
const char *action_where_word(enum param_where); /* help's: "From header" */
/* JSON Schema of one parameter, as st2 metadata and `actions --json` show it. */
json_t *action_param_schema(const struct action *, const struct action_param *);
/* `actions --json` entry: name, description, method, path, parameters, example. */
json_t *action_describe(const struct action *);
/* The st2 action metadata (actions/<name>.yaml) of an action. */
json_t *action_metadata(const struct action *);
/* The st2 alias metadata (aliases/<name>.yaml). */
json_t *action_alias_metadata(const struct action_alias *);

/* actions/exec.c */
/* One built request; owns what call points to. */
struct action_call {
	struct pd_call call;
	char *path;
	char *from;
};
/*
 * Builds the request of an action from its parameters (as action_parse_args
 * left them) and the config: path expanded and escaped, query, body (the
 * schema checked), From header. No I/O. PD_ERR_VALIDATION and *why when a
 * needed value is missing or invalid; PD_ERR_CONFIG without an API key.
 */
enum pd_err action_build_call(const struct action *, json_t *params, const struct pd_config *,
                              struct action_call *, char **why);
void action_call_free(struct action_call *);
/* {"code", "message", "http_status": null}: a local error, as run prints it. */
json_t *action_error(enum pd_err, const char *message);
/* What run prints for an answer (a new reference; answer may be NULL for 204). */
json_t *action_shape_result(const struct action *, json_t *answer);
/* Runs an action: its handler or the generic executor. */
enum pd_err action_exec(const struct action *, json_t *params, const struct pd_config *,
                        json_t **out, json_t **error);
action_handler action_exec_bulk, action_exec_notifications, action_exec_oncall_who,
    action_exec_webhook_create;

/* actions/run.c */
/*
 * st2's arguments (named --name=value / bare --name, positional by
 * position) into params, defaults applied and required ones checked.
 * argv holds the arguments only (no subcommand, action name or -c).
 * PD_ERR_USAGE (unknown parameter, bad shape) or PD_ERR_VALIDATION.
 */
enum pd_err action_parse_args(const struct action *, int argc, char **argv, json_t **params,
                              char **why);
/* `run ACTION --help`: what the action calls, its parameters, an example. */
void action_help(const struct action *, FILE *);
extern const struct cli_entry cmd_run_entry, cmd_actions_entry;

#endif /* PD_ACTIONS_H */
