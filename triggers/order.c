/*
 * order.c: the chains that keep the events of one incident in order in
 * the forwarder's window. Each order key ("incident:PABC123") with events
 * in the window has a chain of them, in seq order; only a chain's head may
 * be sent (or wait for its retry), and an event leaves only as the head,
 * so StackStorm receives an incident's events in the order they came. An
 * event with no order key is a chain of its own.
 *
 * The links live in the caller's items (struct order_link), so attaching
 * allocates only a chain per key; keys are found through a hash table
 * (FNV-1a over the key), and a chain is freed when its last event leaves.
 */
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

/* One order key with events: the chain head..tail. */
struct order_chain {
	char *name;
	struct order_link *head; /* the only one that may be sent */
	struct order_link *tail;
	struct order_chain *next; /* hash bucket */
};

/* FNV-1a: spreads incident ids over the buckets well enough. */
static size_t
order_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s != '\0')
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % ORDER_BUCKETS;
}

/* Appends link to the chain of key (NULL or "": a chain of its own). */
void
order_attach(struct order_table *t, struct order_link *link, const char *key)
{
	struct order_chain *c;
	size_t h;

	link->chain = NULL;
	link->next = NULL;
	if (key == NULL || *key == '\0')
		return;
	h = order_hash(key);
	for (c = t->buckets[h]; c != NULL && strcmp(c->name, key) != 0; c = c->next)
		;
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		c->name = xstrdup(key);
		c->next = t->buckets[h];
		t->buckets[h] = c;
		c->head = link;
	} else
		c->tail->next = link;
	c->tail = link;
	link->chain = c;
}

/* Whether link is its chain's head, the one event of its key that may go now. */
int
order_is_head(const struct order_link *link)
{
	return link->chain == NULL || link->chain->head == link;
}

/* Takes link, its chain's head, out; 0 if it was not the head (a broken promise). */
int
order_detach(struct order_table *t, struct order_link *link)
{
	struct order_chain *c = link->chain, **cp;

	if (c == NULL)
		return 1;
	if (c->head != link)
		return 0;
	c->head = link->next;
	link->chain = NULL;
	if (c->head != NULL)
		return 1;
	for (cp = &t->buckets[order_hash(c->name)]; *cp != c; cp = &(*cp)->next)
		;
	*cp = c->next;
	free(c->name);
	free(c);
	return 1;
}
