/*
 * sink.c: the sink file, where triggers go when st2.api_url is unset (the
 * demo, a site that feeds StackStorm by other means): one JSON line per
 * trigger, {"trigger": ..., "payload": ...}, exactly the body the forwarder
 * would have posted.
 *
 * A batch is appended line by line and fsynced once (with durability
 * fsync); only then do its lines count as written, so that the spool marks
 * nothing delivered that a power cut could take back. A line cut short by
 * an error is cut off the file again, so the file stays JSON lines; the
 * lines before it count. The file is opened (its directories made) at the
 * first batch, and again after an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "st2pd.h"

struct sink {
	char *path;
	int fd;
	int fsync;
};

struct sink *
sink_new(const char *path, int fsync_each_batch)
{
	struct sink *k = xcalloc(1, sizeof *k);

	k->path = xstrdup(path);
	k->fd = -1;
	k->fsync = fsync_each_batch;
	return k;
}

void
sink_free(struct sink *k)
{
	if (k == NULL)
		return;
	if (k->fd >= 0)
		close(k->fd);
	free(k->path);
	free(k);
}

/* write(2) until done; -1 on an error. */
static int
sink_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens the file, making its directories; -1 with *error. */
static int
sink_open(struct sink *k, char **error)
{
	char *dir = xstrdup(k->path), *slash = strrchr(dir, '/');

	if (slash != NULL && slash != dir)
		*slash = '\0';
	if ((slash != NULL && slash != dir && mkdirs(dir, 0750) != 0) ||
	    (k->fd = open(k->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640)) < 0) {
		*error = xasprintf("open %s: %s", k->path, strerror(errno));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

/*
 * Appends one line per event, in order, and makes them durable. Returns how
 * many lines are written for good (the first ones); *error says what went
 * wrong with the rest (caller frees), NULL when all are.
 */
size_t
sink_write(struct sink *k, struct spool_event *const *evs, size_t n, char **error)
{
	size_t written = 0;
	char *line;
	off_t start;

	*error = NULL;
	if (k->fd < 0 && sink_open(k, error) < 0)
		return 0;
	for (; written < n; written++) {
		line = payload_trigger_body(evs[written], "\n");
		start = lseek(k->fd, 0, SEEK_END);
		if (sink_write_all(k->fd, line, strlen(line)) < 0) {
			*error = xasprintf("write %s: %s", k->path, strerror(errno));
			if (start >= 0 && ftruncate(k->fd, start) < 0)
				log_warn("sink: cannot cut a partial line off %s", k->path);
			free(line);
			break;
		}
		free(line);
	}
	if (written > 0 && k->fsync && fsync(k->fd) < 0) {
		/* Unknown what reached the disk: write them again later (at least once). */
		free(*error);
		*error = xasprintf("fsync %s: %s", k->path, strerror(errno));
		written = 0;
	}
	if (*error != NULL) {
		close(k->fd);
		k->fd = -1;
	}
	return written;
}
