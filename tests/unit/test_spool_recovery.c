/*
 * test_spool_recovery.c: what the spool survives, and what it does after:
 * an older schema (rebuilt, nothing lost), a WAL that would grow without
 * bound (checkpointed beside the writer), a commit that fails (answered 503,
 * then writable again), a full disk (outcomes kept, recovery seen without a
 * new submission), outcomes lost with the process (repaired at open), and
 * kill -9 or _exit() mid-stream (every acknowledged event still there).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>

#include "spoolrig.h"

/*
 * Makes a spool of an older version, then opens it: it is the current
 * version. The old schemas share their events table's first columns and the
 * indexes of the three states; columns are the rest of that table's, sql
 * what follows the indexes.
 */
static void
open_old(struct rig *h, const char *columns, const char *sql)
{
	char *all =
	    xasprintf("PRAGMA journal_mode = WAL;"
	              "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
	              " event_id TEXT NOT NULL UNIQUE, webhook_id TEXT UNIQUE, event_type TEXT,"
	              " \"trigger\" TEXT, order_key TEXT, %s);"
	              "CREATE INDEX events_pending ON events (seq) WHERE state = 0;"
	              "CREATE INDEX events_delivered ON events (delivered_ms) WHERE state = 1;"
	              "CREATE INDEX events_dead ON events (seq) WHERE state = 2;"
	              "%s",
	              columns, sql);

	assert_int_equal(mkdir(h->dir, 0750), 0);
	t_spool_exec(h->dir, all);
	free(all);
	rig_open(h, 0);
	assert_int_equal(t_spool_int(h->dir, "PRAGMA user_version"), SPOOL_SCHEMA_VERSION);
}

/*
 * After a migration, old_id (an event of the old spool, of incident) is
 * still a duplicate, and fresh, submitted after it, is new, at a seq above
 * the old high-water mark high (a duplicate may use up a seq too).
 */
static void
assert_dedup_kept(struct rig *h, const char *old_id, const char *incident,
                  struct spool_event *fresh, int64_t high)
{
	char *id = xstrdup(fresh->event_id);

	rig_submit(h, 0, rig_event(old_id, NULL, incident, 1));
	rig_submit(h, 1, fresh);
	rig_wait(h, 2);
	assert_int_equal(h->call[0].duplicate, 1);
	assert_int_equal(h->call[1].duplicate, 0);
	assert_true(rig_pending_seq(h, id) > high);
	free(id);
}

/* A version 2 spool (payload inside events) is rebuilt as version 3 with nothing lost. */
static void
test_migrate_v2(void **state)
{
	struct rig *h = *state;
	struct spool_event **v;
	struct spool_stats st;
	size_t n;

	open_old(
	    h,
	    "payload TEXT NOT NULL, received_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
	    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	    " delivered_ms INTEGER, dead_ms INTEGER, last_error TEXT, dead_reason TEXT",
	    "INSERT INTO events (seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
	    " payload, received_ms, state, attempts, last_error) VALUES"
	    " (4, 'm-pending', 'w-1', 'incident.triggered', 'pagerduty.incident.triggered',"
	    " 'incident:P1', '{\"p\":1}', 1000, 0, 2, 'st2 answered 503');"
	    "INSERT INTO events (seq, event_id, event_type, \"trigger\", payload, received_ms,"
	    " state, delivered_ms) VALUES (5, 'm-delivered', 'incident.resolved',"
	    " 'pagerduty.incident.resolved', '{\"p\":2}', 2000, 1, 3000);"
	    "INSERT INTO events (seq, event_id, event_type, \"trigger\", payload, received_ms,"
	    " state, dead_ms, dead_reason) VALUES (6, 'm-dead', 'incident.annotated',"
	    " 'pagerduty.incident.annotated', '{\"p\":3}', 4000, 2, 5000, 'st2 400');"
	    /* `spool retry` moved an event to 9, then it was purged: 7..9 are used. */
	    "UPDATE sqlite_sequence SET seq = 9 WHERE name = 'events';"
	    "PRAGMA user_version = 2;");
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.delivered, 1);
	assert_int_equal(st.dead, 1);
	n = rig_fetch(h, &v);
	assert_int_equal(n, 1);
	assert_int_equal(v[0]->seq, 4);
	assert_string_equal(v[0]->event_id, "m-pending");
	assert_string_equal(v[0]->payload, "{\"p\":1}");
	assert_int_equal(v[0]->attempts, 2);
	assert_string_equal(v[0]->last_error, "st2 answered 503");
	rig_free(v, n);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM payloads"), 3);
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM events WHERE event_id = 'm-dead' AND "
	                             "dead_reason = 'st2 400' AND dead_ms = 5000"),
	                 1);

	/* Dedup still knows the old rows, and no seq is reused. */
	assert_dedup_kept(h, "m-delivered", "P1", rig_event("m-new", NULL, "P1", 1), 9);

	/* A payload follows its event to a new seq, as `spool retry` moves it. */
	spool_close(h->s);
	h->s = NULL;
	t_spool_exec(h->dir, "UPDATE events SET seq = 20, state = 0 WHERE event_id = 'm-dead'");
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM payloads WHERE seq = 20 AND "
	                                     "payload = '{\"p\":3}'"),
	                 1);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM payloads WHERE seq = 6"), 0);
}

/*
 * A version 4 spool (the last release's) gets its events' transition and
 * source columns and their index; its rows, meta values, dedup and seqs
 * carry over.
 */
static void
test_migrate_v4(void **state)
{
	struct rig *h = *state;
	struct spool_event **v, *ev;
	size_t n;
	char *cursor;

	open_old(
	    h,
	    "received_ms INTEGER NOT NULL, state INTEGER NOT NULL DEFAULT 0,"
	    " attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
	    " delivered_ms INTEGER, dead_ms INTEGER, last_error TEXT, dead_reason TEXT",
	    "CREATE TABLE payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL);"
	    "CREATE TRIGGER payloads_move AFTER UPDATE OF seq ON events BEGIN"
	    " UPDATE payloads SET seq = new.seq WHERE seq = old.seq; END;"
	    "CREATE TRIGGER payloads_delete AFTER DELETE ON events BEGIN"
	    " DELETE FROM payloads WHERE seq = old.seq; END;"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	    "CREATE INDEX events_delivered_key ON events (order_key, seq) WHERE state = 1;"
	    "INSERT INTO events (seq, event_id, webhook_id, event_type, \"trigger\", order_key,"
	    " received_ms) VALUES (7, 'v4-pending', 'w-7', 'incident.triggered',"
	    " 'pagerduty.incident.triggered', 'incident:P1', 1000);"
	    "INSERT INTO payloads (seq, payload) VALUES (7, '{\"p\":7}');"
	    "INSERT INTO events (seq, event_id, event_type, \"trigger\", order_key, received_ms,"
	    " state, delivered_ms) VALUES (8, 'v4-delivered', 'incident.resolved',"
	    " 'pagerduty.incident.resolved', 'incident:P2', 2000, 1, 3000);"
	    "INSERT INTO payloads (seq, payload) VALUES (8, '{\"p\":8}');"
	    "INSERT INTO meta (key, value) VALUES ('poll.cursor', '2026-11-29T00:00:00Z');"
	    "PRAGMA user_version = 4;");
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM pragma_index_list('events') WHERE name ="
	                             " 'events_transition'"),
	                 1);
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM events WHERE transition IS NULL AND "
	                             "source IS NULL"),
	                 2);
	cursor = spool_meta_get(h->s, "poll.cursor");
	assert_string_equal(cursor, "2026-11-29T00:00:00Z");
	free(cursor);
	n = rig_fetch(h, &v);
	assert_int_equal(n, 1);
	assert_string_equal(v[0]->event_id, "v4-pending");
	assert_string_equal(v[0]->payload, "{\"p\":7}");
	rig_free(v, n);

	/* Old ids still dedup; a new keyed event is stored with its key and source. */
	ev = rig_event("v5-new", NULL, "P3", 1);
	ev->transition = xstrdup("P3|incident.triggered|1795772400");
	ev->polled = 1;
	assert_dedup_kept(h, "v4-delivered", "P2", ev, 8);
	spool_close(h->s);
	h->s = NULL;
	assert_int_equal(t_spool_int(h->dir,
	                             "SELECT count(*) FROM events WHERE event_id = 'v5-new' AND "
	                             "transition = 'P3|incident.triggered|1795772400' AND "
	                             "source = 'poll'"),
	                 1);
}

/*
 * While the spool stays open, the WAL is copied back into spool.db (by the
 * checkpointer thread) instead of growing with every event.
 */
static void
test_checkpoints(void **state)
{
	struct rig *h = *state;
	enum { N = 1500, PAYLOAD = 4096 };
	char *db = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE), *wal = xasprintf("%s-wal", db);
	struct spool_event *ev;
	struct stat st;
	char id[32];
	int i, tries;

	rig_open(h, 0);
	assert_int_equal(stat(db, &st), 0);
	assert_true(st.st_size < 1024 * 1024);
	/*
	 * 1500 payloads of 4 KB: over 1500 WAL pages, past the 1000 that call a
	 * checkpoint, which copies at least 2 MB of them into spool.db.
	 */
	for (i = 0; i < N; i++) {
		snprintf(id, sizeof id, "cp-%04d", i);
		ev = rig_event(id, NULL, "P1", 1);
		free(ev->payload);
		ev->payload = xmalloc(PAYLOAD + 1);
		memset(ev->payload, 'x', PAYLOAD);
		ev->payload[PAYLOAD] = '\0';
		ev->payload_len = PAYLOAD;
		rig_submit(h, i, ev);
		if (i % 100 == 99)
			rig_wait(h, i + 1);
	}
	rig_wait(h, N);
	/*
	 * The checkpoint runs beside the writer: wait for it, the spool still
	 * open, up to a minute, which only a machine stalled for that long misses.
	 */
	for (tries = 0; tries < 1200; tries++) {
		assert_int_equal(stat(db, &st), 0);
		if (st.st_size > 2 * 1024 * 1024)
			break;
		usleep(50000);
	}
	assert_true(st.st_size > 2 * 1024 * 1024);
	assert_int_equal(stat(wal, &st), 0);
	assert_true(st.st_size < 64 * 1024 * 1024);
	free(db);
	free(wal);
}

/* A failed commit answers PD_ERR_SPOOL_IO and makes the spool unwritable until one succeeds. */
static void
test_commit_failure(void **state)
{
	struct rig *h = *state;
	struct spool_stats st;
	char *path = xasprintf("%s/%s", h->dir, SPOOL_DB_FILE);
	sqlite3 *db;

	rig_open(h, 1);
	assert_true(spool_writable(h->s));
	/* Another process holds the write lock past the busy timeout. */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	rig_submit(h, 0, rig_event("b1", NULL, "P1", 1));
	rig_wait(h, 1);
	assert_int_equal(h->call[0].result, PD_ERR_SPOOL_IO);
	assert_int_equal(h->call[0].duplicate, 0);
	assert_false(spool_writable(h->s));
	spool_stats(h->s, &st);
	assert_int_equal(st.pending, 0);

	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(path);
	/* The failed submission released its place (max_events is 1). */
	rig_submit(h, 1, rig_event("b1", NULL, "P1", 1));
	rig_wait(h, 2);
	assert_int_equal(h->call[1].result, PD_OK);
	assert_int_equal(h->call[1].duplicate, 0);
	assert_true(spool_writable(h->s));
}

/*
 * A VFS over the default one whose writes fail with SQLITE_FULL while
 * fault_full is set: a full disk, without filling one. Registered as the
 * default VFS, so the spool's connections use it unawares.
 */
static _Atomic int fault_full;
static sqlite3_vfs fault_vfs;
static sqlite3_io_methods fault_methods;

struct fault_file {
	sqlite3_file base;
	sqlite3_file *real; /* follows this struct in the same allocation */
};

/* The real file under a fault file. */
#define REAL(f) (((struct fault_file *)(f))->real)

/* clang-format off */
/* A method that only passes the call on to the real file: one row per method. */
#define PASS(fn, method, params, ...) \
	static int fn params { return REAL(f)->pMethods->method(REAL(f), ##__VA_ARGS__); }
PASS(fault_close, xClose, (sqlite3_file *f))
PASS(fault_read, xRead, (sqlite3_file *f, void *buf, int n, sqlite3_int64 off), buf, n, off)
PASS(fault_truncate, xTruncate, (sqlite3_file *f, sqlite3_int64 size), size)
PASS(fault_sync, xSync, (sqlite3_file *f, int flags), flags)
PASS(fault_size, xFileSize, (sqlite3_file *f, sqlite3_int64 *size), size)
PASS(fault_lock, xLock, (sqlite3_file *f, int level), level)
PASS(fault_unlock, xUnlock, (sqlite3_file *f, int level), level)
PASS(fault_check_lock, xCheckReservedLock, (sqlite3_file *f, int *out), out)
PASS(fault_control, xFileControl, (sqlite3_file *f, int op, void *arg), op, arg)
PASS(fault_sector, xSectorSize, (sqlite3_file *f))
PASS(fault_device, xDeviceCharacteristics, (sqlite3_file *f))
PASS(fault_shm_map, xShmMap,
     (sqlite3_file *f, int region, int size, int extend, void volatile **out),
     region, size, extend, out)
PASS(fault_shm_lock, xShmLock, (sqlite3_file *f, int offset, int n, int flags),
     offset, n, flags)
PASS(fault_shm_unmap, xShmUnmap, (sqlite3_file *f, int del), del)
#undef PASS
/* clang-format on */

static void
fault_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

/* Writes fail while the disk is "full"; everything else is the real file's. */
static int
fault_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (fault_full)
		return SQLITE_FULL;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
fault_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = real->xOpen(real, name, ff->real, flags, out);
	/* Version 2 (WAL's shared memory); no memory-mapped I/O, which would bypass xWrite. */
	f->pMethods = rc == SQLITE_OK ? &fault_methods : NULL;
	return rc;
}

/* Installs the VFS once, as the default. */
static void
fault_install(void)
{
	sqlite3_vfs *real;

	if (fault_vfs.zName != NULL)
		return;
	real = sqlite3_vfs_find(NULL);
	fault_vfs = *real;
	fault_vfs.zName = "fault";
	fault_vfs.pAppData = real;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real->szOsFile;
	fault_vfs.xOpen = fault_open;
	fault_methods = (sqlite3_io_methods){
	    .iVersion = 2,
	    .xClose = fault_close,
	    .xRead = fault_read,
	    .xWrite = fault_write,
	    .xTruncate = fault_truncate,
	    .xSync = fault_sync,
	    .xFileSize = fault_size,
	    .xLock = fault_lock,
	    .xUnlock = fault_unlock,
	    .xCheckReservedLock = fault_check_lock,
	    .xFileControl = fault_control,
	    .xSectorSize = fault_sector,
	    .xDeviceCharacteristics = fault_device,
	    .xShmMap = fault_shm_map,
	    .xShmLock = fault_shm_lock,
	    .xShmBarrier = fault_shm_barrier,
	    .xShmUnmap = fault_shm_unmap,
	};
	assert_int_equal(sqlite3_vfs_register(&fault_vfs, 1), SQLITE_OK);
}

static int
h_writable(struct rig *h)
{
	return spool_writable(h->s);
}

static int
h_delivered_recorded(struct rig *h)
{
	return t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 1") == 2;
}

/*
 * With the disk full (fault_full set), submission i of event id fails with
 * PD_ERR_SPOOL_IO and leaves the spool unwritable; then the disk takes
 * writes again.
 */
static void
submit_then_free_disk(struct rig *h, int i, const char *id)
{
	char incident[16];

	snprintf(incident, sizeof incident, "P%d", i + 1);
	rig_submit(h, i, rig_event(id, NULL, incident, i + 1));
	rig_wait(h, i + 1);
	assert_int_equal(h->call[i].result, PD_ERR_SPOOL_IO);
	assert_false(spool_writable(h->s));
	fault_full = 0;
}

/*
 * A full disk: submissions are answered 503 (PD_ERR_SPOOL_IO) and the
 * spool is unwritable; delivery outcomes are kept, not lost. Once the disk
 * takes writes again, the spool says so by itself, with no new submission
 * (issue: /healthz stayed 503 until a POST succeeded), and the outcomes
 * are recorded (issue: delivered events stayed pending and were sent again).
 */
static void
test_disk_full_recovers(void **state)
{
	struct rig *h = *state;
	int64_t s1, s2;

	fault_install();
	rig_open(h, 0);
	rig_submit(h, 0, rig_event("f1", NULL, "P1", 1));
	rig_submit(h, 1, rig_event("f2", NULL, "P2", 2));
	rig_wait(h, 2);
	s1 = rig_pending_seq(h, "f1");
	s2 = rig_pending_seq(h, "f2");

	/* The outcomes go in first, so the failed batch of f3 holds them too. */
	fault_full = 1;
	spool_delivered(h->s, s1);
	spool_delivered(h->s, s2);
	submit_then_free_disk(h, 2, "f3");
	rig_wait_for(h, h_delivered_recorded);
	assert_true(spool_writable(h->s));
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE state = 0"), 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT count(*) FROM events WHERE event_id = 'f3'"),
	                 0);

	/* Nothing left to commit: the probe alone finds out that the disk is back. */
	fault_full = 1;
	submit_then_free_disk(h, 3, "f4");
	rig_wait_for(h, h_writable);
}

/*
 * Outcomes lost with the process: a pending event behind a delivered one
 * of its incident was delivered (the forwarder keeps a key in order) and
 * is marked so at open, not sent again after the newer one. A pending
 * event behind a dead letter, or of another incident, stays pending.
 */
static void
test_repair_lost_outcomes(void **state)
{
	struct rig *h = *state;

	rig_open(h, 0);
	rig_submit(h, 0, rig_event("r1", NULL, "P1", 1));
	rig_submit(h, 1, rig_event("r2", NULL, "P1", 2));
	rig_submit(h, 2, rig_event("r3", NULL, "P2", 3));
	rig_submit(h, 3, rig_event("r4", NULL, "P2", 4));
	rig_submit(h, 4, rig_event("r5", NULL, "P3", 5));
	rig_wait(h, 5);
	spool_delivered(h->s, rig_pending_seq(h, "r2"));
	spool_dead(h->s, rig_pending_seq(h, "r4"), 1, "rejected");
	rig_reopen(h, 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'r1'"), 1);
	assert_true(t_spool_int(h->dir, "SELECT delivered_ms FROM events WHERE event_id = 'r1'") >
	            0);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'r3'"), 0);
	assert_int_equal(t_spool_int(h->dir, "SELECT state FROM events WHERE event_id = 'r5'"), 0);
}

/* The crash child's state (a separate process: a global is simplest). */
static struct {
	int fd;
	int acked;
	int target;
	int kill;
} crash;

/* Child's commit callback: reports the id once durable, dies at the target. */
static void
crash_cb(enum pd_err result, int duplicate, void *arg)
{
	char line[64];
	int len;

	if (result != PD_OK)
		_exit(5);
	len = snprintf(line, sizeof line, "%s\n", (const char *)arg);
	if (write(crash.fd, line, (size_t)len) != len)
		_exit(6);
	if (++crash.acked == crash.target) {
		if (crash.kill)
			raise(SIGKILL);
		_exit(0);
	}
}

/* The child: submits many events and dies abruptly once target are acknowledged. */
static void PD_NORETURN
crash_child(const char *dir, int fd, int target, int kill, enum durability dur)
{
	enum { N = 2000 };
	struct event_base *base = t_base_new(); /* its guard ends a run that never gets there */
	struct spool *s;
	char *id;
	int i;

	crash.fd = fd;
	crash.target = target;
	crash.kill = kill;
	if (spool_open(dir, dur, 0, &s) != PD_OK || spool_start(s, base, NULL, NULL) != PD_OK)
		_exit(3);
	for (i = 1; i <= N; i++) {
		/* Never freed: the process dies without cleaning up, on purpose. */
		id = xasprintf("crash-%04d", i);
		if (spool_submit(s, rig_event(id, NULL, "P9", i), crash_cb, id) != PD_OK)
			_exit(4);
		/* Let callbacks run while submitting, so the kill lands mid-stream. */
		if (i % 100 == 0)
			event_base_loop(base, EVLOOP_NONBLOCK);
	}
	event_base_dispatch(base);
	_exit(7); /* the guard fired: target never reached */
}

/* Every event acknowledged before an abrupt death is pending after reopening. */
static void
crash_case(struct rig *h, int kill, enum durability dur)
{
	enum { TARGET = 700 };
	char buf[65536], *line, *end, *sql;
	size_t len = 0;
	ssize_t got;
	pid_t pid;
	int p[2], status, n = 0;

	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		crash_child(h->dir, p[1], TARGET, kill, dur);
	}
	close(p[1]);
	while ((got = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)got;
	close(p[0]);
	buf[len] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (kill) {
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
	} else {
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}

	for (line = buf; (end = strchr(line, '\n')) != NULL; line = end + 1) {
		*end = '\0';
		sql = xasprintf("SELECT state FROM events WHERE event_id = '%s'", line);
		assert_int_equal(t_spool_int(h->dir, sql), SPOOL_PENDING);
		free(sql);
		n++;
	}
	assert_int_equal(n, TARGET);
	/* And the spool opens cleanly, every acknowledged event ready to forward. */
	rig_open(h, 0);
	{
		struct spool_stats st;

		spool_stats(h->s, &st);
		assert_true(st.pending >= TARGET);
	}
}

/* kill -9 with durability fsync. */
static void
test_crash_sigkill(void **state)
{
	crash_case(*state, 1, DURABILITY_FSYNC);
}

/* _exit() without spool_close, durability os. */
static void
test_crash_exit(void **state)
{
	crash_case(*state, 0, DURABILITY_OS);
}

/* The spool needs a thread-enabled libevent, as serve sets it up. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_migrate_v2, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_v4, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_checkpoints, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_commit_failure, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full_recovers, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_repair_lost_outcomes, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_crash_sigkill, rig_setup, rig_teardown),
	    cmocka_unit_test_setup_teardown(test_crash_exit, rig_setup, rig_teardown),
	};

	evthread_use_pthreads();
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
