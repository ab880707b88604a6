/*
 * exec.c: running an action: the generic executor that turns a row of the
 * action table and its parameters into one PagerDuty request and shapes
 * the answer, and the handlers of the few actions that are more than that.
 *
 * DESIGN
 * action_build_call() is pure (no I/O): it expands the path template
 * (values URL-escaped), puts every query parameter in a JSON object that
 * pd_request() encodes (arrays as key[]=v, booleans lowercase), builds the
 * body by setting each body parameter at its dotted path and then filling
 * the action's constant fields around them, checks the entity against its
 * data schema, and picks the From header and the Events routing key from
 * the parameters or the config. Every value that is missing or wrong is
 * reported here, before anything is sent; pd_request() does the HTTP
 * (retries, pages). Unit tests call action_build_call() directly.
 *
 * Body paths: "a.b.c" creates objects on the way; "a[].b" makes a an array
 * with one object per element of an array value (one for a scalar), so a
 * list of user IDs becomes [{"assignee": {"id", "type"}}, ...]. A param's
 * ref sets "type" beside its value. A constant array holding one object is
 * a template applied to every item the parameters made.
 *
 * Handlers: incident.*_many (chunks of 250, PagerDuty's limit for PUT
 * /incidents), notification.find (the API requires since and until, the
 * pack defaulted them to the last 30 days), oncall.who (service -> its
 * escalation policy -> on-calls) and webhook_subscription.create (the
 * signing secret, shown once, optionally appended to the config file by
 * config/edit.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

#define BULK_MAX    250               /* incidents per PUT /incidents */
#define NOTIFY_SPAN (30 * 86400000LL) /* notification.find's default range, ms */

/* A local error object, the shape pd_request() gives for remote ones. */
json_t *
action_error(enum pd_err err, const char *message)
{
	return json_pack("{s:s, s:o, s:n}", "code", pd_errcode(err), "message",
	                 message_json(message != NULL ? message : pd_strerror(err)), "http_status");
}

/* Sets value (a new reference is taken) at the dotted path under obj; see DESIGN. */
static void
body_set(json_t *obj, const char *path, json_t *value, const char *ref)
{
	const char *dot = strchr(path, '.');
	size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path), i;
	char *seg = xstrndup(path, len);
	json_t *child, *item, *e;

	if (len > 2 && strcmp(seg + len - 2, "[]") == 0) {
		seg[len - 2] = '\0';
		child = json_object_get(obj, seg);
		if (!json_is_array(child)) {
			child = json_array();
			json_object_set_new(obj, seg, child);
		}
		if (dot == NULL && json_is_array(value))
			json_array_extend(child, value);
		else if (dot == NULL)
			json_array_append(child, value);
		else if (json_is_array(value)) {
			json_array_foreach (value, i, e) {
				item = json_object();
				body_set(item, dot + 1, e, ref);
				json_array_append_new(child, item);
			}
		} else {
			item = json_object();
			body_set(item, dot + 1, value, ref);
			json_array_append_new(child, item);
		}
	} else if (dot == NULL) {
		json_object_set(obj, seg, value);
		if (ref != NULL)
			json_object_set_new(obj, "type", json_string(ref));
	} else {
		child = json_object_get(obj, seg);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(obj, seg, child);
		}
		body_set(child, dot + 1, value, ref);
	}
	free(seg);
}

/* Whether a constant array is an item template: exactly one object. */
static int
body_is_template(json_t *v)
{
	return json_is_array(v) && json_array_size(v) == 1 && json_is_object(json_array_get(v, 0));
}

/* Fills into dst what the constant src has and dst lacks; see DESIGN. */
static void
body_fill(json_t *dst, json_t *src)
{
	const char *key;
	json_t *sv, *dv, *item;
	size_t i;

	json_object_foreach (src, key, sv) {
		dv = json_object_get(dst, key);
		if (dv == NULL) {
			if (!body_is_template(sv))
				json_object_set_new(dst, key, json_deep_copy(sv));
		} else if (json_is_object(dv) && json_is_object(sv)) {
			body_fill(dv, sv);
		} else if (json_is_array(dv) && body_is_template(sv)) {
			json_array_foreach (dv, i, item) {
				if (json_is_object(item))
					body_fill(item, json_array_get(sv, 0));
			}
		}
	}
}

/* The text of a path value: strings as they are, integers in decimal. */
static char *
path_value(json_t *v)
{
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_integer(v))
		return xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return NULL;
}

/* Expands {name} in the path template with escaped values; NULL and *why if one is missing. */
static char *
call_path(const struct action *act, json_t *params, char **why)
{
	const char *t = act->path, *close;
	char *name, *text, *esc, *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		fatal("open_memstream: %s", strerror(errno));
	for (; *t != '\0'; t++) {
		if (*t != '{' || (close = strchr(t, '}')) == NULL) {
			fputc(*t, f);
			continue;
		}
		name = xstrndup(t + 1, (size_t)(close - t - 1));
		text = path_value(json_object_get(params, name));
		if (text == NULL || *text == '\0') {
			*why = xasprintf("%s: required (it is part of the URL)", name);
			free(text);
			free(name);
			fclose(f);
			free(out);
			return NULL;
		}
		esc = pd_escape(text, strlen(text));
		fputs(esc, f);
		free(esc);
		free(text);
		free(name);
		t = close;
	}
	if (fclose(f) != 0)
		fatal("open_memstream: %s", strerror(errno));
	return out;
}

/*
 * Whether a From value can be an email address (PagerDuty answers 400
 * otherwise): the config's shape, and nothing that would make the header
 * hold more than one address.
 */
static int
call_email_ok(const char *s)
{
	return config_email_ok(s) && strpbrk(s, " \t\r\n,<>") == NULL;
}

/* The parameter that carries the body's entity (wrap), for messages: "data", else wrap. */
static const char *
call_wrap_name(const struct action *act)
{
	const struct action_param *p;

	for (p = act->params; p->name != NULL; p++) {
		if (p->where == PW_BODY && p->field != NULL && strcmp(p->field, act->wrap) == 0)
			return p->name;
	}
	return act->wrap;
}

/* Builds the request of an action; see DESIGN. */
enum pd_err
action_build_call(const struct action *act, json_t *params, const struct pd_config *cfg,
                  struct action_call *c, char **why)
{
	const struct action_param *p;
	json_t *v, *query = json_object(), *body = json_object(), *k, *cst;
	const char *from = NULL, *field;
	enum pd_err err = PD_OK;

	memset(c, 0, sizeof *c);
	*why = NULL;
	if (!(act->flags & ACT_EVENTS) && (cfg->api_key == NULL || *cfg->api_key == '\0')) {
		*why = xasprintf("no PagerDuty API key: set api_key in the config or $%s",
		                 config_env_name("api_key"));
		err = PD_ERR_CONFIG;
		goto out;
	}
	if ((c->path = call_path(act, params, why)) == NULL) {
		err = PD_ERR_VALIDATION;
		goto out;
	}
	c->call.method = act->method;
	c->call.events = (act->flags & ACT_EVENTS) != 0;
	c->call.path = c->path;
	c->call.page = act->flags & ACT_PAGED    ? PD_PAGE_OFFSET
	               : act->flags & ACT_CURSOR ? PD_PAGE_CURSOR
	                                         : PD_PAGE_NONE;
	c->call.collection = act->collection;

	for (p = act->params; p->name != NULL; p++) {
		v = json_object_get(params, p->name);
		field = p->field != NULL ? p->field : p->name;
		if (v == NULL && (p->flags & PF_SERVICE_KEY)) {
			if (cfg->service_key == NULL || *cfg->service_key == '\0') {
				*why = xasprintf("%s: not given and no service_key in the "
				                 "config (or $%s)",
				                 p->name, config_env_name("service_key"));
				err = PD_ERR_VALIDATION;
				goto out;
			}
			k = json_string(cfg->service_key);
			body_set(body, field, k, NULL);
			json_decref(k);
			continue;
		}
		if (v == NULL || json_is_null(v))
			continue;
		switch (p->where) {
		case PW_QUERY:
			if ((p->flags & PF_LIST) && !json_is_array(v))
				json_object_set_new(query, field, json_pack("[O]", v));
			else
				json_object_set(query, field, v);
			break;
		case PW_BODY:
			body_set(body, field, v, p->ref);
			break;
		case PW_FROM:
			from = json_string_value(v);
			break;
		case PW_LIMIT:
			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				*why = xasprintf("%s: must be 0 (all) or more", p->name);
				err = PD_ERR_VALIDATION;
				goto out;
			}
			c->call.maximum = (long)json_integer_value(v);
			break;
		case PW_PATH:
		case PW_LOCAL:
			break;
		}
	}

	if (act->query != NULL) {
		cst = action_json(act->query);
		body_fill(query, cst);
		json_decref(cst);
	}
	if (act->body != NULL) {
		cst = action_json(act->body);
		body_fill(body, cst);
		json_decref(cst);
	}
	if (act->schema != NULL && act->wrap != NULL) {
		v = json_object_get(body, act->wrap);
		if (v == NULL) {
			*why = xasprintf("%s: required", call_wrap_name(act));
			err = PD_ERR_VALIDATION;
			goto out;
		}
		if ((err = action_check_fields(act->schema, v, call_wrap_name(act), why)) != PD_OK)
			goto out;
	}

	if (from == NULL && action_param_find(act, "from_email") != NULL &&
	    cfg->from_email != NULL && *cfg->from_email != '\0')
		from = cfg->from_email;
	if (from == NULL && (act->flags & ACT_NEEDS_FROM)) {
		*why = xasprintf("from_email: PagerDuty requires a From header for %s: give "
		                 "--from_email or set from_email in the config (or $%s)",
		                 act->name, config_env_name("from_email"));
		err = PD_ERR_VALIDATION;
		goto out;
	}
	if (from != NULL && !call_email_ok(from)) {
		*why = xasprintf("from_email: \"%s\" is not an email address", from);
		err = PD_ERR_VALIDATION;
		goto out;
	}
	if (from != NULL)
		c->call.from = c->from = xstrdup(from);

	if (json_object_size(query) > 0) {
		c->call.query = query;
		query = NULL;
	}
	if (json_object_size(body) > 0) {
		c->call.body = body;
		body = NULL;
	}
out:
	json_decref(query);
	json_decref(body);
	if (err != PD_OK)
		action_call_free(c);
	return err;
}

/* Frees what a built call owns. */
void
action_call_free(struct action_call *c)
{
	json_decref(c->call.query);
	json_decref(c->call.body);
	free(c->path);
	free(c->from);
	memset(c, 0, sizeof *c);
}

/* answer at a dotted key, or NULL. */
static json_t *
shape_get(json_t *answer, const char *key)
{
	const char *dot;
	char *seg;
	json_t *v = answer;

	while (v != NULL && key != NULL) {
		dot = strchr(key, '.');
		seg = xstrndup(key, dot != NULL ? (size_t)(dot - key) : strlen(key));
		v = json_object_get(v, seg);
		free(seg);
		key = dot != NULL ? dot + 1 : NULL;
	}
	return v;
}

/* What run prints for an answer; see enum action_shape. */
json_t *
action_shape_result(const struct action *act, json_t *answer)
{
	json_t *v;

	switch (act->shape) {
	case AS_DELETED:
		return json_pack("{s:b}", "deleted", 1);
	case AS_SUCCESS:
		return json_pack("{s:b}", "success", 1);
	case AS_LIST:
		/* pd_request merges the pages into the list; a lone page is unwrapped here. */
		if (json_is_object(answer) &&
		    json_is_array(json_object_get(answer, act->collection)))
			return json_incref(json_object_get(answer, act->collection));
		break;
	case AS_KEY:
		/* An answer without the key is shown whole rather than lost. */
		if ((v = shape_get(answer, act->key)) != NULL)
			return json_incref(v);
		break;
	case AS_RAW:
		break;
	}
	return answer != NULL ? json_incref(answer) : json_null();
}

/*
 * An Events API trigger without a dedup key gets one of ours. PagerDuty
 * would make one, but pd_request() retries an Events call after a timeout
 * or a 5xx, and a retry of a keyless trigger that did arrive opens a
 * second alert; with a key, the retry lands on the same alert. The key is
 * in the answer, as PagerDuty's own would be.
 */
static void
exec_dedup_key(struct pd_call *call)
{
	unsigned char rnd[16];
	char hex[sizeof rnd * 2 + 1];

	if (!call->events || call->body == NULL ||
	    !json_is_string(json_object_get(call->body, "event_action")) ||
	    strcmp(json_string_value(json_object_get(call->body, "event_action")), "trigger") !=
	        0 ||
	    json_object_get(call->body, "dedup_key") != NULL)
		return;
	crypto_random(rnd, sizeof rnd);
	crypto_hex(hex, sizeof hex, rnd, sizeof rnd);
	json_object_set_new(call->body, "dedup_key", json_string(hex));
}

/* The generic executor: build, one pd_request(), shape. */
static enum pd_err
exec_generic(const struct action *act, json_t *params, const struct pd_config *cfg, json_t **out,
             json_t **error)
{
	struct action_call c;
	json_t *answer = NULL;
	enum pd_err err;
	char *why;

	if ((err = action_build_call(act, params, cfg, &c, &why)) != PD_OK) {
		*error = action_error(err, why);
		free(why);
		return err;
	}
	exec_dedup_key(&c.call);
	err = pd_request(cfg, &c.call, &answer, error);
	action_call_free(&c);
	if (err == PD_OK)
		*out = action_shape_result(act, answer);
	json_decref(answer);
	return err;
}

/* Runs an action: its handler, or the generic executor. */
enum pd_err
action_exec(const struct action *act, json_t *params, const struct pd_config *cfg, json_t **out,
            json_t **error)
{
	*out = NULL;
	*error = NULL;
	if (act->handler != NULL)
		return act->handler(act, params, cfg, out, error);
	return exec_generic(act, params, cfg, out, error);
}

/* Prefixes the message of a remote error (what was done before it failed). */
static void
exec_error_prefix(json_t *error, const char *prefix)
{
	const char *msg = json_string_value(json_object_get(error, "message"));
	char *s = xasprintf("%s%s", prefix, msg != NULL ? msg : "");

	json_object_set_new(error, "message", json_string(s));
	free(s);
}

/*
 * incident.acknowledge_many / resolve_many: the body the table builds
 * ({"incidents": [{id, type, status}, ...]}) sent BULK_MAX items at a time.
 * The result is every updated incident, {"incidents": [...]}.
 */
enum pd_err
action_exec_bulk(const struct action *act, json_t *params, const struct pd_config *cfg,
                 json_t **out, json_t **error)
{
	struct action_call c;
	json_t *all, *done = json_array(), *chunk, *answer, *body;
	enum pd_err err;
	size_t off, n, i;
	char *why;

	if ((err = action_build_call(act, params, cfg, &c, &why)) != PD_OK) {
		*error = action_error(err, why);
		free(why);
		json_decref(done);
		return err;
	}
	body = c.call.body;
	all = json_object_get(body, "incidents");
	n = json_array_size(all);
	if (n == 0) {
		*error = action_error(PD_ERR_VALIDATION, "ids: give at least one incident ID");
		err = PD_ERR_VALIDATION;
	}
	for (off = 0; off < n && err == PD_OK; off += BULK_MAX) {
		chunk = json_array();
		for (i = off; i < n && i < off + BULK_MAX; i++)
			json_array_append(chunk, json_array_get(all, i));
		c.call.body = json_pack("{s:o}", "incidents", chunk);
		answer = NULL;
		err = pd_request(cfg, &c.call, &answer, error);
		json_decref(c.call.body);
		c.call.body = body;
		if (err == PD_OK) {
			json_array_extend(done, json_object_get(answer, "incidents"));
		} else if (off > 0) {
			why = xasprintf(
			    "%zu of %zu incidents were updated before this error: ", off, n);
			exec_error_prefix(*error, why);
			free(why);
		}
		json_decref(answer);
	}
	action_call_free(&c);
	if (err == PD_OK)
		*out = json_pack("{s:o}", "incidents", done);
	else
		json_decref(done);
	return err;
}

/* notification.find: PagerDuty requires since and until; default to the last 30 days. */
enum pd_err
action_exec_notifications(const struct action *act, json_t *params, const struct pd_config *cfg,
                          json_t **out, json_t **error)
{
	json_t *p = json_copy(params);
	char buf[32];
	int64_t now = now_ms();
	enum pd_err err;

	if (json_object_get(p, "until") == NULL) {
		format_time_ms(now, buf, sizeof buf);
		json_object_set_new(p, "until", json_string(buf));
	}
	if (json_object_get(p, "since") == NULL) {
		format_time_ms(now - NOTIFY_SPAN, buf, sizeof buf);
		json_object_set_new(p, "since", json_string(buf));
	}
	err = exec_generic(act, p, cfg, out, error);
	json_decref(p);
	return err;
}

/* Insertion sort of on-call entries by escalation_level: stable, and lists are short. */
static void
oncall_sort(json_t *list)
{
	size_t i, j, n = json_array_size(list);
	json_t *a, *b;

	for (i = 1; i < n; i++) {
		for (j = i; j > 0; j--) {
			a = json_array_get(list, j - 1);
			b = json_array_get(list, j);
			if (json_integer_value(json_object_get(a, "escalation_level")) <=
			    json_integer_value(json_object_get(b, "escalation_level")))
				break;
			json_incref(a);
			json_array_set(list, j - 1, b);
			json_array_set_new(list, j, a);
		}
	}
}

/*
 * oncall.who: the escalation policy (given, or the service's), then every
 * current on-call entry of it with its user, ordered by escalation level.
 * Result: {"service": {id, summary}|null, "escalation_policy": {...},
 * "oncalls": [...]}.
 */
enum pd_err
action_exec_oncall_who(const struct action *act, json_t *params, const struct pd_config *cfg,
                       json_t **out, json_t **error)
{
	const char *sid = json_string_value(json_object_get(params, "service_id"));
	const char *epid = json_string_value(json_object_get(params, "escalation_policy_id"));
	struct pd_call svc = {.method = "GET"};
	struct action_call c;
	json_t *answer = NULL, *service = json_null(), *policy = NULL, *list = NULL, *s;
	enum pd_err err;
	char *why, *esc;

	if ((err = action_build_call(act, params, cfg, &c, &why)) != PD_OK) {
		*error = action_error(err, why);
		free(why);
		json_decref(service);
		return err;
	}
	if (epid == NULL && sid != NULL) {
		esc = pd_escape(sid, strlen(sid));
		why = xasprintf("/services/%s", esc);
		free(esc);
		svc.path = why;
		err = pd_request(cfg, &svc, &answer, error);
		free(why);
		if (err != PD_OK)
			goto out;
		s = json_object_get(answer, "service");
		epid = json_string_value(
		    json_object_get(json_object_get(s, "escalation_policy"), "id"));
		if (epid == NULL) {
			why = xasprintf("service %s has no escalation policy", sid);
			*error = action_error(PD_ERR_NOT_FOUND, why);
			free(why);
			err = PD_ERR_NOT_FOUND;
			goto out;
		}
		json_decref(service);
		service = json_pack("{s:s, s:O?, s:O?}", "id", sid, "summary",
		                    json_object_get(s, "summary"), "html_url",
		                    json_object_get(s, "html_url"));
		policy = json_incref(json_object_get(s, "escalation_policy"));
	} else {
		policy = json_pack("{s:s, s:s}", "id", epid, "type", "escalation_policy_reference");
	}
	if (c.call.query == NULL)
		c.call.query = json_object();
	json_object_set_new(c.call.query, "escalation_policy_ids", json_pack("[s]", epid));
	json_object_set_new(c.call.query, "include", json_pack("[s]", "users"));
	c.call.page = PD_PAGE_OFFSET;
	c.call.collection = "oncalls";
	c.call.maximum = 0;
	if ((err = pd_request(cfg, &c.call, &list, error)) != PD_OK)
		goto out;
	if (json_is_object(list)) { /* one unmerged page */
		s = json_incref(json_object_get(list, "oncalls"));
		json_decref(list);
		list = s != NULL ? s : json_array();
	}
	oncall_sort(list);
	*out = json_pack("{s:O, s:O, s:O}", "service", service, "escalation_policy", policy,
	                 "oncalls", list);
out:
	action_call_free(&c);
	json_decref(answer);
	json_decref(service);
	json_decref(policy);
	json_decref(list);
	return err;
}

/*
 * webhook_subscription.create: PagerDuty shows the signing secret only in
 * this answer. It is printed in the result (delivery_method.secret) or,
 * with write_config, appended to the config's webhook.secrets and replaced
 * by where it went. If the file cannot be edited safely it is left alone,
 * the result keeps the secret and stderr says which line to add: the
 * subscription exists either way, so the action succeeds.
 */
enum pd_err
action_exec_webhook_create(const struct action *act, json_t *params, const struct pd_config *cfg,
                           json_t **out, json_t **error)
{
	json_t *dm, *filter_id = json_object_get(params, "filter_id");
	const char *ftype = json_string_value(json_object_get(params, "filter_type"));
	const char *secret;
	char *why = NULL, *line;
	enum pd_err err;

	if (ftype != NULL && strcmp(ftype, "account_reference") != 0 && filter_id == NULL) {
		*error =
		    action_error(PD_ERR_VALIDATION,
		                 "filter_id: required unless filter_type is account_reference");
		return PD_ERR_VALIDATION;
	}
	if ((err = exec_generic(act, params, cfg, out, error)) != PD_OK)
		return err;
	dm = json_object_get(*out, "delivery_method");
	secret = json_string_value(json_object_get(dm, "secret"));
	if (!json_is_true(json_object_get(params, "write_config")))
		return PD_OK;
	if (secret == NULL || *secret == '\0') {
		fprintf(stderr, "st2-pagerduty: PagerDuty returned no signing secret: nothing to "
		                "write to the config\n");
		return PD_OK;
	}
	if (cfg->file == NULL)
		why = xstrdup("no config file was loaded (the settings came from the environment)");
	else if (config_add_secret(cfg->file, secret, &why) == PD_OK) {
		line = xasprintf("(written to webhook.secrets of %s)", cfg->file);
		json_object_set_new(dm, "secret", json_string(line));
		free(line);
		return PD_OK;
	}
	line = config_secret_item(secret);
	fprintf(stderr,
	        "st2-pagerduty: %s. Add the signing secret to webhook.secrets yourself, as the "
	        "list item\n    %s\nthen reload serve (SIGHUP).\n",
	        why, line);
	free(line);
	free(why);
	return PD_OK;
}
