/*
 * edit.c: the one change the program makes to a config file: a new
 * signing secret appended to webhook.secrets (webhook_subscription.create
 * with write_config, actions/exec.c), PagerDuty showing a subscription's
 * secret only once.
 *
 * DESIGN
 * ------
 * The file is a human's, with comments and layout libyaml cannot write
 * back, so it is never re-emitted: the secret is inserted as one line of
 * text where the YAML document says it belongs, and only in two shapes
 * where that is safe (edit_where()); anything else is left to a human,
 * told which line to add. The edited text goes to a temporary file beside
 * the config, with its mode, that must load without a problem and hold
 * exactly the old secrets plus the new one before it is renamed over the
 * config, so the file is never left half-edited or wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "st2pd.h"

/* The node of key in a YAML mapping, or NULL. */
static yaml_node_t *
edit_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *pair;
	yaml_node_t *k;

	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(doc, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, pair->value);
	}
	return NULL;
}

/*
 * Where and what to insert into the config text buf to add secret to
 * webhook.secrets, or a reason it cannot be done safely (caller frees).
 * Only two shapes are edited: a block list under webhook.secrets whose
 * last item is on one line (a line is added after it, at the list's
 * indentation), and a block mapping with no webhook key at all (a section
 * is appended). Anything else is left to a human.
 */
static char *
edit_where(const char *buf, size_t len, const char *line_item, size_t *at, char **text)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *hook, *list, *last;
	char *reason = NULL;
	size_t pos;
	int col;

	if (!yaml_parser_initialize(&parser))
		fatal("yaml_parser_initialize: out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_parser_delete(&parser);
		return xstrdup("it is not valid YAML");
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL || root->type != YAML_MAPPING_NODE ||
	    root->data.mapping.style != YAML_BLOCK_MAPPING_STYLE || root->start_mark.column != 0) {
		reason = xstrdup("its top level is not a plain block mapping");
		goto out;
	}
	if ((hook = edit_get(&doc, root, "webhook")) == NULL) {
		*at = len;
		*text = xasprintf("%swebhook:\n  secrets:\n    %s\n",
		                  len > 0 && buf[len - 1] != '\n' ? "\n" : "", line_item);
		goto out;
	}
	list = edit_get(&doc, hook, "secrets");
	if (list == NULL) {
		reason = xstrdup("its webhook section has no secrets list");
		goto out;
	}
	if (list->type != YAML_SEQUENCE_NODE ||
	    list->data.sequence.style != YAML_BLOCK_SEQUENCE_STYLE ||
	    list->data.sequence.items.top == list->data.sequence.items.start) {
		reason = xstrdup("webhook.secrets is not a block list (\"- item\" lines)");
		goto out;
	}
	last = yaml_document_get_node(&doc, list->data.sequence.items.top[-1]);
	if (last == NULL || last->start_mark.line != last->end_mark.line ||
	    (last->type == YAML_MAPPING_NODE &&
	     last->data.mapping.style != YAML_FLOW_MAPPING_STYLE) ||
	    (last->type == YAML_SEQUENCE_NODE &&
	     last->data.sequence.style != YAML_FLOW_SEQUENCE_STYLE)) {
		reason = xstrdup("the last item of webhook.secrets spans several lines");
		goto out;
	}
	/* After the end of the last item's line; the list's "-" sits at its start mark. */
	pos = last->end_mark.index;
	while (pos < len && buf[pos] != '\n')
		pos++;
	col = (int)list->start_mark.column;
	*at = pos < len ? pos + 1 : len;
	*text = xasprintf("%s%*s%s\n", pos < len ? "" : "\n", col, "", line_item);
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return reason;
}

/* The list item "- \"secret\"": a JSON string is a YAML double-quoted scalar. */
char *
config_secret_item(const char *secret)
{
	json_t *quoted = json_string(secret);
	char *q = json_dumps(quoted, JSON_ENCODE_ANY), *item;

	json_decref(quoted);
	if (q == NULL)
		fatal("json_dumps: out of memory");
	item = xasprintf("- %s", q);
	crypto_wipe_str(q);
	free(q);
	return item;
}

/* Writes data to a new temporary file beside path with path's mode; its name, or NULL. */
static char *
edit_write_tmp(const char *path, mode_t mode, const char *data, size_t len, char **why)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((fd = mkstemp(tmp)) < 0) {
		*why = xasprintf("cannot create a file beside it: %s", strerror(errno));
		free(tmp);
		return NULL;
	}
	if (fchmod(fd, mode & 07777) != 0)
		goto fail;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return tmp;
fail:
	*why = xasprintf("cannot write %s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return NULL;
}

/* Whether the config in file loads without a problem and its secrets are before + secret. */
static char *
edit_verify(const char *file, const struct pd_config *before, const char *secret)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *cfg = config_new();
	char *reason = NULL;
	size_t i, n;

	config_load(cfg, file, &problems);
	n = cfg->webhook_secrets.n;
	if (problems.n > 0)
		reason = xasprintf("the edited file would not load: %s", problems.v[0]);
	else if (n != before->webhook_secrets.n + 1 ||
	         strcmp(cfg->webhook_secrets.v[n - 1], secret) != 0)
		reason = xstrdup("the edited file would not hold exactly one more secret");
	for (i = 0; reason == NULL && i + 1 < n; i++) {
		if (strcmp(cfg->webhook_secrets.v[i], before->webhook_secrets.v[i]) != 0)
			reason = xstrdup("the edited file would change other secrets");
	}
	strlist_free(&problems);
	config_free(cfg);
	return reason;
}

/*
 * Appends secret to webhook.secrets of the config file, where that can be
 * done without rewriting the YAML: see edit_where(). The edited text goes
 * to a temporary file that must load with exactly one more secret before
 * it is renamed over the file, so the file is never left half-edited.
 */
enum pd_err
config_add_secret(const char *file, const char *secret, char **why)
{
	struct pd_strlist problems = {NULL, 0};
	struct pd_config *before = config_new();
	char *buf = NULL, *text = NULL, *item, *data = NULL, *tmp = NULL, *reason = NULL;
	size_t len = 0, at = 0;
	struct stat st;

	*why = NULL;
	item = config_secret_item(secret);
	if (lstat(file, &st) != 0)
		reason = xasprintf("cannot stat it: %s", strerror(errno));
	else if (S_ISLNK(st.st_mode))
		reason = xstrdup("it is a symbolic link (edit its target)");
	else if (!S_ISREG(st.st_mode))
		reason = xstrdup("it is not a regular file");
	else if (config_load(before, file, &problems) != PD_OK)
		reason = xasprintf("it does not load: %s",
		                   problems.n > 0 ? problems.v[0] : "unknown problem");
	else if (read_file(file, &buf, &len) != PD_OK)
		reason = xasprintf("cannot read it: %s", strerror(errno != 0 ? errno : EIO));
	if (reason == NULL)
		reason = edit_where(buf, len, item, &at, &text);
	if (reason == NULL) {
		data = xmalloc(len + strlen(text) + 1);
		memcpy(data, buf, at);
		memcpy(data + at, text, strlen(text));
		memcpy(data + at + strlen(text), buf + at, len - at);
		data[len + strlen(text)] = '\0';
		tmp = edit_write_tmp(file, st.st_mode, data, len + strlen(text), &reason);
	}
	if (reason == NULL && tmp != NULL)
		reason = edit_verify(tmp, before, secret);
	if (reason == NULL && tmp != NULL && rename(tmp, file) != 0)
		reason = xasprintf("cannot replace it: %s", strerror(errno));
	if (reason != NULL && tmp != NULL)
		unlink(tmp);
	if (reason != NULL)
		*why = xasprintf("%s not changed: %s", file, reason);
	free(reason);
	free(tmp);
	if (data != NULL)
		crypto_wipe_str(data);
	free(data);
	free(text);
	if (buf != NULL)
		crypto_wipe(buf, len);
	free(buf);
	crypto_wipe_str(item);
	free(item);
	strlist_free(&problems);
	config_free(before);
	return *why != NULL ? PD_ERR_IO : PD_OK;
}
