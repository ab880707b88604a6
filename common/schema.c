/*
 * schema.c: JSON Schema as StackStorm reads it, for every schema the
 * program publishes: the payload_schema of each trigger type
 * (triggers/catalog.c), the parameters of each action and the data of the
 * create actions (actions/metadata.c), and the pack's config schema
 * (config/table.c).
 *
 * DESIGN
 * ------
 * A caller describes one property in a struct schema (its types as a bit
 * set, since a payload field may be an object or null; description;
 * required; default; enum; properties and items already built) and
 * schema_json() alone writes it, so every document spells each keyword the
 * same way: "type" is one name, or an array of names in enum param_type
 * order when several are allowed; "required" is a boolean of the property,
 * the draft 3 way, because st2 ignores draft 4's array of names; "enum" an
 * array of strings. StackStorm's own keywords beside them (position,
 * immutable, secret) are the caller's: they are not JSON Schema.
 *
 * Keys are written in the order of a dialect (schema_orders[]). jansson
 * keeps insertion order, and the trigger types and the action metadata
 * were first published with different orders: one order for both would
 * change every generated file of the pack, and its committed copy, for
 * nothing a reader of the schema could see.
 */
#include "st2pd.h"

/* The keywords schema_json() writes; SK_COUNT ends the list. */
enum schema_kw {
	SK_TYPE = 0,
	SK_ENUM,
	SK_REQUIRED,
	SK_DESCRIPTION,
	SK_DEFAULT,
	SK_ADDITIONAL,
	SK_PROPERTIES,
	SK_ITEMS,
	SK_COUNT
};

static const char *const schema_keywords[SK_COUNT] = {
    [SK_TYPE] = "type",
    [SK_ENUM] = "enum",
    [SK_REQUIRED] = "required",
    [SK_DESCRIPTION] = "description",
    [SK_DEFAULT] = "default",
    [SK_ADDITIONAL] = "additionalProperties",
    [SK_PROPERTIES] = "properties",
    [SK_ITEMS] = "items",
};

/* The order each dialect writes the keywords in; see the DESIGN above. */
static const enum schema_kw schema_orders[][SK_COUNT] = {
    [SCHEMA_TRIGGER] = {SK_TYPE, SK_ENUM, SK_REQUIRED, SK_DESCRIPTION, SK_DEFAULT, SK_ADDITIONAL,
                        SK_PROPERTIES, SK_ITEMS},
    [SCHEMA_ACTION] = {SK_TYPE, SK_DESCRIPTION, SK_REQUIRED, SK_DEFAULT, SK_ENUM, SK_ADDITIONAL,
                       SK_PROPERTIES, SK_ITEMS},
};

/* JSON Schema's name of each type, by enum param_type, and of null last. */
static const char *const schema_type_names[] = {
    [PT_STRING] = "string",     [PT_INTEGER] = "integer", [PT_NUMBER] = "number",
    [PT_BOOLEAN] = "boolean",   [PT_ARRAY] = "array",     [PT_OBJECT] = "object",
    [SCHEMA_NULL_BIT] = "null",
};

/* JSON Schema's name of a type ("string"). */
const char *
schema_type_name(enum param_type t)
{
	return (size_t)t < SCHEMA_NULL_BIT ? schema_type_names[t] : "string";
}

/* A NULL-terminated list of strings as a JSON array (enums, one_of). */
json_t *
schema_strings(const char *const *list)
{
	json_t *a = json_array();

	for (; *list != NULL; list++)
		json_array_append_new(a, json_string(*list));
	return a;
}

/* "type": the one name of a set of one type, else the array of every name in the set. */
static json_t *
schema_types(int types)
{
	json_t *a = json_array(), *one;
	size_t i;

	for (i = 0; i < sizeof schema_type_names / sizeof schema_type_names[0]; i++) {
		if (types & (1 << i))
			json_array_append_new(a, json_string(schema_type_names[i]));
	}
	if (json_array_size(a) != 1)
		return a;
	one = json_incref(json_array_get(a, 0));
	json_decref(a);
	return one;
}

/* The schema of one property, its keywords in the dialect's order; takes what s holds. */
json_t *
schema_json(const struct schema *s, enum schema_dialect dialect)
{
	json_t *kw[SK_COUNT] = {NULL}, *out = json_object();
	size_t i;

	kw[SK_TYPE] = s->types != 0 ? schema_types(s->types) : NULL;
	kw[SK_ENUM] = s->enums != NULL ? schema_strings(s->enums) : NULL;
	kw[SK_REQUIRED] = s->required ? json_true() : NULL;
	kw[SK_DESCRIPTION] = s->description != NULL ? json_string(s->description) : NULL;
	kw[SK_DEFAULT] = s->def;
	kw[SK_ADDITIONAL] = s->open ? json_true() : NULL;
	kw[SK_PROPERTIES] = s->properties;
	kw[SK_ITEMS] = s->items;
	for (i = 0; i < SK_COUNT; i++) {
		if (kw[schema_orders[dialect][i]] != NULL)
			json_object_set_new(out, schema_keywords[schema_orders[dialect][i]],
			                    kw[schema_orders[dialect][i]]);
	}
	return out;
}
