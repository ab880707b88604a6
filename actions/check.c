/*
 * check.c: a value against a data schema of the action table: the object
 * a create action sends (its `data`, checked before anything is sent) and
 * each item of an array-of-objects parameter. Required fields, JSON types,
 * enums and nested objects and arrays are checked, and missing defaults
 * filled in; a failure says which field, by its path ("data.service.id",
 * "targets[2].type"), and why.
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* The JSON types a value of each parameter type may have, as bits of json_type. */
static const unsigned action_json_types[] = {
    [PT_STRING] = 1u << JSON_STRING,
    [PT_INTEGER] = 1u << JSON_INTEGER,
    [PT_NUMBER] = 1u << JSON_INTEGER | 1u << JSON_REAL,
    [PT_BOOLEAN] = 1u << JSON_TRUE | 1u << JSON_FALSE,
    [PT_ARRAY] = 1u << JSON_ARRAY,
    [PT_OBJECT] = 1u << JSON_OBJECT,
};

/* Whether v has the JSON type t. */
static int
action_type_ok(enum param_type t, json_t *v)
{
	return (size_t)t < sizeof action_json_types / sizeof action_json_types[0] &&
	       (action_json_types[t] >> json_typeof(v) & 1u) != 0;
}

/* Whether s is one of enums. */
int
action_enum_ok(const char *const *enums, const char *s)
{
	for (; *enums != NULL; enums++) {
		if (strcmp(*enums, s) == 0)
			return 1;
	}
	return 0;
}

/* "a, b, c" of an enum list; caller frees. */
static char *
action_enum_list(const char *const *enums)
{
	struct pd_strlist names = {NULL, 0};
	char *s;

	for (; *enums != NULL; enums++)
		strlist_add(&names, *enums);
	s = strlist_join(&names, ", ");
	strlist_free(&names);
	return s;
}

static enum pd_err action_check_value(const struct action_field *, json_t *, const char *, char **);

/* Checks one object against its fields, filling defaults; where is its path. */
enum pd_err
action_check_fields(const struct action_field *fields, json_t *obj, const char *where, char **why)
{
	const struct action_field *f;
	enum pd_err err = PD_OK;
	char *path;
	json_t *v;

	if (!json_is_object(obj)) {
		*why = xasprintf("%s: expected an object", where);
		return PD_ERR_VALIDATION;
	}
	for (f = fields; f->name != NULL && err == PD_OK; f++) {
		path = xasprintf("%s.%s", where, f->name);
		v = json_object_get(obj, f->name);
		if ((v == NULL || json_is_null(v)) && f->def != NULL)
			json_object_set_new(obj, f->name, v = action_json(f->def));
		if (v == NULL || json_is_null(v)) {
			if (f->required) {
				*why = xasprintf("%s: required", path);
				err = PD_ERR_VALIDATION;
			}
		} else {
			err = action_check_value(f, v, path, why);
		}
		free(path);
	}
	return err;
}

/* Checks one value against its field: type, enum, nested fields. */
static enum pd_err
action_check_value(const struct action_field *f, json_t *v, const char *path, char **why)
{
	enum pd_err err = PD_OK;
	char *item, *names;
	json_t *e;
	size_t i;

	if (!action_type_ok(f->type, v)) {
		*why = xasprintf("%s: expected %s %s", path, f->type == PT_INTEGER ? "an" : "a",
		                 schema_type_name(f->type));
		return PD_ERR_VALIDATION;
	}
	if (f->enums != NULL && json_is_string(v) &&
	    !action_enum_ok(f->enums, json_string_value(v))) {
		names = action_enum_list(f->enums);
		*why = xasprintf("%s: \"%s\" is not one of: %s", path, json_string_value(v), names);
		free(names);
		return PD_ERR_VALIDATION;
	}
	if (f->type == PT_OBJECT && f->fields != NULL)
		return action_check_fields(f->fields, v, path, why);
	if (f->type != PT_ARRAY)
		return PD_OK;
	json_array_foreach (v, i, e) {
		item = xasprintf("%s[%zu]", path, i);
		if (f->fields != NULL)
			err = action_check_fields(f->fields, e, item, why);
		else if (!action_type_ok(f->items, e)) {
			*why = xasprintf("%s: expected %s %s", item,
			                 f->items == PT_INTEGER ? "an" : "a",
			                 schema_type_name(f->items));
			err = PD_ERR_VALIDATION;
		}
		free(item);
		if (err != PD_OK)
			break;
	}
	return err;
}
