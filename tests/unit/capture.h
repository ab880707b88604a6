/*
 * capture.h: runs a subcommand the way main() does, cli_run(entry, argc, argv), with
 * its stdout and stderr captured into strings and its stdin, optionally,
 * read from a file. The unit tests of every subcommand share it.
 *
 * The standard streams are swapped at the file-descriptor level, so what
 * the subcommand prints through stdio and what it writes to fd 1 or 2
 * directly are both caught; stdio is flushed on either side of the swap.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Everything f received since it was opened, as a NUL-terminated string. */
static char *
capture_slurp(FILE *f)
{
	long len;
	char *buf;

	fflush(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	buf = xmalloc((size_t)len + 1);
	rewind(f);
	if (len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)
		fail_msg("capture: short read of the captured output");
	buf[len] = '\0';
	return buf;
}

/*
 * Runs cmd with argv (argv[argc] must be NULL); *out and *err get what it
 * printed (either may be NULL when not wanted); stdin_path, when not NULL,
 * becomes its standard input. Returns cmd's exit status.
 */
static int
capture_run(const struct cli_entry *cmd, int argc, char **argv, const char *stdin_path, char **out,
            char **err)
{
	FILE *fo = tmpfile(), *fe = tmpfile(), *fi = NULL;
	int save_out, save_err, save_in = -1, rc;

	assert_non_null(fo);
	assert_non_null(fe);
	fflush(stdout);
	fflush(stderr);
	save_out = dup(STDOUT_FILENO);
	save_err = dup(STDERR_FILENO);
	dup2(fileno(fo), STDOUT_FILENO);
	dup2(fileno(fe), STDERR_FILENO);
	if (stdin_path != NULL) {
		assert_non_null(fi = fopen(stdin_path, "rb"));
		save_in = dup(STDIN_FILENO);
		dup2(fileno(fi), STDIN_FILENO);
		clearerr(stdin);
	}
	rc = cli_run(cmd, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, STDOUT_FILENO);
	dup2(save_err, STDERR_FILENO);
	close(save_out);
	close(save_err);
	if (save_in >= 0) {
		dup2(save_in, STDIN_FILENO);
		close(save_in);
		fclose(fi);
		clearerr(stdin);
	}
	if (out != NULL)
		*out = capture_slurp(fo);
	if (err != NULL)
		*err = capture_slurp(fe);
	fclose(fo);
	fclose(fe);
	return rc;
}

#endif /* CAPTURE_H */
