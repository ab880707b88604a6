/*
 * needs.c: the keys each subcommand needs (CONFIG_NEED_*), checked on a
 * loaded config. A file may leave them out, since every subcommand reads
 * the same file and most need only some of them: serve without the
 * poller needs no api_key, run no webhook secrets. So loading (config.c)
 * accepts their absence and each subcommand asks here for what it uses.
 */
#include "st2pd.h"

/* Whether a string is set and not empty. */
static int
config_has(const char *s)
{
	return s != NULL && *s != '\0';
}

/* Checks the keys a subcommand needs; see CONFIG_NEED_*. */
enum pd_err
config_check_needs(const struct pd_config *cfg, int needs, struct pd_strlist *problems)
{
	const char *file = cfg->file != NULL ? cfg->file : "(defaults)";
	size_t before = problems->n, i;
	int secret = 0, need_cred = 0;
	const char *by = NULL;

	for (i = 0; i < cfg->webhook_secrets.n; i++)
		secret |= config_has(cfg->webhook_secrets.v[i]);
	/* Polling only, serve needs no webhook: without secrets it refuses every POST (401). */
	if ((needs & CONFIG_NEED_SERVE) && !secret && cfg->poll_mode != POLL_ONLY)
		strlist_addf(problems,
		             "%s: webhook.secrets: required by serve but not set (unless poll.mode "
		             "is only)",
		             file);
	if ((needs & CONFIG_NEED_SERVE) && cfg->poll_mode != POLL_OFF && !config_has(cfg->api_key))
		strlist_addf(
		    problems, "%s: api_key: required by serve when poll.mode is %s", file,
		    config_enum_name(config_find("poll.mode")->enums, (int)cfg->poll_mode));
	if ((needs & CONFIG_NEED_ST2) && !config_has(cfg->st2_api_url))
		strlist_addf(problems, "%s: st2.api_url: required by register but not set", file);

	/* serve forwards to st2 only when st2.api_url is set. */
	if (needs & CONFIG_NEED_ST2) {
		need_cred = 1;
		by = "register";
	} else if ((needs & CONFIG_NEED_SERVE) && config_has(cfg->st2_api_url)) {
		need_cred = 1;
		by = "serve";
	}
	if (need_cred && !config_has(cfg->st2_api_key) && !config_has(cfg->st2_auth_token))
		strlist_addf(problems,
		             "%s: st2.api_key: required by %s but not set (or set st2.auth_token)",
		             file, by);

	if ((needs & CONFIG_NEED_PD) && !config_has(cfg->api_key))
		strlist_addf(problems, "%s: api_key: required by run and poll but not set", file);
	return problems->n > before ? PD_ERR_CONFIG : PD_OK;
}
