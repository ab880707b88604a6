/*
 * actionrig.h: what the two test files of the action table share:
 * test_actions.c (the table and what is derived from it) and
 * test_action_calls.c (st2's arguments, the request they build, the result
 * run prints). Counting an argv, comparing JSON, the configs an action
 * runs with, and parsing arguments that must parse; each fails the running
 * cmocka test itself.
 */
#ifndef ACTIONRIG_H
#define ACTIONRIG_H

#include "testlib.h"

/* The configs the rows build with. */
enum cfg_kind {
	CFG_FULL,       /* API key, routing key and From: everything run may need */
	CFG_NO_FROM,    /* no from_email */
	CFG_NO_API_KEY, /* no api_key: Events API only */
	CFG_NO_KEYS,    /* neither key */
};

/* Counts NULL-terminated strings. */
int act_count_args(const char *const *v);
/* Asserts that JSON value v equals the JSON text want ("null": v is NULL); where says what. */
void act_assert_json(json_t *v, const char *want, const char *where);
/* A config of kind k; the caller frees. */
struct pd_config *act_config(enum cfg_kind k);
/* Parses args for act; asserts it works; the parameters (caller decrefs). */
json_t *act_parse_ok(const struct action *act, const char *const *args);

#endif
