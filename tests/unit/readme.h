/*
 * readme.h: README's tables that are the program's own tables written out
 * (the subcommands, the config keys), for the unit tests that check them
 * row for row: README must hold exactly the rows the program's table
 * gives, in its order, nothing missing and nothing more. README.md is
 * found through $PD_SOURCE_DIR, which ctest sets; without it the test is
 * skipped.
 */
#ifndef README_H
#define README_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Appends a row of README's table: each cell (NULL-terminated) escaped as Markdown needs. */
static void
readme_row(FILE *f, const char *const *cells)
{
	for (; *cells != NULL; cells++) {
		fputs("| ", f);
		pack_md_cell(f, *cells);
		fputc(' ', f);
	}
	fputs("|\n", f);
}

/*
 * Fails unless the rows of README's table that starts with header (its
 * header and separator lines), up to the blank line after it, are exactly
 * row(f, i) for every i below n, in that order.
 */
static void
readme_check_table(const char *header, size_t n, void (*row)(FILE *, size_t))
{
	const char *src = getenv("PD_SOURCE_DIR");
	char *path, *readme, *table, *end, *want = NULL;
	size_t len, i;
	FILE *f;

	if (src == NULL)
		skip();
	path = xasprintf("%s/README.md", src);
	assert_int_equal(read_file(path, &readme, &len), PD_OK);
	table = strstr(readme, header);
	if (table == NULL)
		fail_msg("README has no table starting with:\n%s", header);
	table += strlen(header);
	end = strstr(table, "\n\n");
	assert_non_null(end);
	end[1] = '\0';
	f = open_memstream(&want, &len);
	for (i = 0; i < n; i++)
		row(f, i);
	fclose(f);
	if (strcmp(table, want) != 0) {
		/* Both in full: cmocka's messages would cut them short. */
		fprintf(stderr, "README:\n%s\nthe program's:\n%s", table, want);
		fail_msg("README's table is not the program's");
	}
	free(want);
	free(readme);
	free(path);
}

#endif /* README_H */
