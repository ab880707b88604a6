/*
 * test_oplist.c: the op lists that carry submissions and delivery outcomes
 * between a spool's threads (spool/backend.h). A lost op is a lost
 * outcome, and a lost "delivered" is an event StackStorm gets twice: the
 * Redis backend once kept only the first outcome of a batch whose write
 * failed, because it re-queued the chain op by op with oplist_add, which
 * cuts each op from the rest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spool/backend.h"

#define NOPS 5

/* The seqs a list holds, in order, into seqs; how many. */
static size_t
list_seqs(const struct spool_oplist *l, int64_t *seqs, size_t max)
{
	const struct spool_op *op;
	size_t n = 0;

	for (op = l->head; op != NULL && n < max; op = op->next)
		seqs[n++] = op->seq;
	return n;
}

/* A chain of n ops, seqs first .. first+n-1, as oplist_take hands one over. */
static struct spool_op *
chain(struct spool_op *ops, size_t n, int64_t first)
{
	struct spool_oplist l;
	size_t i;

	oplist_init(&l);
	for (i = 0; i < n; i++) {
		memset(&ops[i], 0, sizeof ops[i]);
		ops[i].seq = first + (int64_t)i;
		oplist_add(&l, &ops[i]);
	}
	return oplist_take(&l);
}

/* A failed batch kept whole, then more kept behind it: every op, in order. */
static void
test_chain_kept_whole(void **state)
{
	struct spool_op a[NOPS], b[2], extra;
	struct spool_oplist kept;
	int64_t seqs[16];
	size_t n, i;

	(void)state;
	oplist_init(&kept);
	oplist_add_chain(&kept, chain(a, NOPS, 1));
	n = list_seqs(&kept, seqs, 16);
	assert_int_equal(n, NOPS);
	for (i = 0; i < n; i++)
		assert_int_equal(seqs[i], (int64_t)i + 1);

	/* The next batch joins behind it, and the tail still points at the end. */
	oplist_add_chain(&kept, chain(b, 2, 10));
	memset(&extra, 0, sizeof extra);
	extra.seq = 99;
	oplist_add(&kept, &extra);
	n = list_seqs(&kept, seqs, 16);
	assert_int_equal(n, NOPS + 3);
	assert_int_equal(seqs[NOPS], 10);
	assert_int_equal(seqs[NOPS + 1], 11);
	assert_int_equal(seqs[NOPS + 2], 99);

	/* Taken: the list is empty and usable again. */
	assert_ptr_equal(oplist_take(&kept), &a[0]);
	assert_null(kept.head);
	oplist_add_chain(&kept, NULL);
	assert_null(kept.head);
	oplist_add(&kept, &extra);
	assert_ptr_equal(kept.head, &extra);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chain_kept_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
