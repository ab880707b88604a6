/*
 * fuzz.h: what every fuzz target shares: the entry point libFuzzer (or
 * replay.c) calls, a quiet log set up once, the check that turns a broken
 * property into a crash libFuzzer keeps, and the input as a C string.
 *
 * A target is one tests/fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput;
 * its seeds are tests/fuzz/corpus/NAME/ and its dictionary, if it has one,
 * tests/fuzz/dict/NAME.dict. Targets must not leak (LeakSanitizer runs in
 * both builds) and must not print for every input.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "st2pd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * An oracle: when cond is false the property is broken, and abort() makes
 * libFuzzer save the input as crash-<sha1> (replay.c just dies on it).
 */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond))                                                                       \
			fuzz_fail(__FILE__, __LINE__, #cond);                                      \
	} while (0)

/* Reports a broken oracle and aborts. */
static inline void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: oracle failed: %s\n", file, line, what);
	abort();
}

/* Logs errors only: the product logs a line per rejected input at debug level. */
static inline void
fuzz_quiet(void)
{
	static int done;

	if (!done) {
		log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
		done = 1;
	}
}

/* The input as a NUL-terminated copy (a NUL inside ends the C string early). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif /* FUZZ_H */
