/*
 * replay.c: the main() that stands in for libFuzzer when a fuzz target is
 * built by the normal (gcc) build, so that `make test` feeds every seed of
 * the committed corpus through the target, in build/ and, under ASan and
 * UBSan, in build-asan/. It does no fuzzing: each file named, and each file
 * of each directory named, is read and passed once to LLVMFuzzerTestOneInput,
 * in name order so that a failure is reproducible.
 *
 * The same binary reproduces one crash that `make fuzz` found:
 * build/tests/fuzz/fuzz_payload build-fuzz/fuzz-out/payload/crash-...
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "st2pd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on one file; 0, or -1 when it cannot be read. */
static int
replay_file(const char *path)
{
	char *buf;
	size_t len;
	uint8_t *copy;

	if (read_file(path, &buf, &len) != PD_OK) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* An exact-size copy, so ASan sees a read past the input as libFuzzer would. */
	copy = xmalloc(len > 0 ? len : 1);
	memcpy(copy, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	return 0;
}

/* Orders directory entries by name (scandir's comparator). */
static int
replay_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Skips ".", "..", and hidden files such as editors' leftovers. */
static int
replay_wanted(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Runs the target on every file of dir; the count, or -1 on an error. */
static long
replay_dir(const char *dir)
{
	struct dirent **names;
	char *path;
	long count = 0;
	int n, i;

	if ((n = scandir(dir, &names, replay_wanted, replay_order)) < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]->d_name);
		if (count >= 0 && replay_file(path) == 0)
			count++;
		else
			count = -1;
		free(path);
		free(names[i]);
	}
	free(names);
	return count;
}

/* Usage: fuzz_X DIR_OR_FILE...; fails when an argument gives no input at all. */
int
main(int argc, char **argv)
{
	struct stat st;
	long n, total = 0;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]) == 0 ? 1 : -1;
		if (n <= 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			        n == 0 ? "no input in it" : "not replayed");
			return 1;
		}
		total += n;
	}
	printf("replay: %ld inputs, no failure\n", total);
	return 0;
}
