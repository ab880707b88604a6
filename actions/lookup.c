/*
 * lookup.c: reading the action table (table.c): an action by its name, a
 * parameter of an action by its name, and a default or constant of the
 * table (JSON text) as a value.
 */
#include <stddef.h>
#include <string.h>

#include "st2pd.h"

/* table_bsearch() finds a row by the name it begins with. */
_Static_assert(offsetof(struct action, name) == 0, "an action does not begin with its name");

/* The action called name, or NULL. */
const struct action *
action_find(const char *name)
{
	return table_bsearch(name, action_table, action_count, sizeof action_table[0]);
}

/* The parameter called name of an action, or NULL. */
const struct action_param *
action_param_find(const struct action *act, const char *name)
{
	const struct action_param *p;

	for (p = act->params; p->name != NULL; p++) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* A default's JSON text as a value; the table is trusted, so bad text is fatal. */
json_t *
action_json(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

	if (v == NULL)
		fatal("actions: bad JSON in the table: %s: %s", text, jerr.text);
	return v;
}
