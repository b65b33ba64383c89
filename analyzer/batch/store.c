/*
 * store.c - the result store OUT/coroner.db (batch.h; its tables are
 * documented for users in docs/batch.md).
 *
 * SQLite, because the user queries it too ("which dumps of version 2.3
 * crashed in bucket X?") and because a re-run must know what it analyzed
 * before without reading any report.  The parent process alone writes it
 * (workers send their results through pipes), each row in its own
 * transaction but the analyzed dumps', which are stored a group at a time
 * in one, committed after a syncfs made their reports durable (the last
 * group's rows are stored while that sync runs: commit.c): a run
 * that is killed keeps what it finished; WAL with
 * synchronous=NORMAL, so such a commit costs no fsync (a lost last row
 * only means that dump is analyzed again).  The run takes the database with
 * locking_mode=EXCLUSIVE, so a second batch on the same OUT is refused at
 * once rather than interleaving its rows.
 */
#include "batch.h"

#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sqlite_lib.h"
#include "strbuf.h"
#include "util.h"

/* Bumped when the tables change; an older store is rebuilt (its rows are
 * only a cache of the analysis), but for the steps of upgrades[]. */
#define SCHEMA_VERSION 4

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS dumps ("
	" path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER,"
	" header_hash TEXT, status TEXT, kind TEXT, code TEXT, bucket TEXT,"
	" signature TEXT, executable TEXT, version TEXT, dump_time INTEGER,"
	" report_dir TEXT, report_name TEXT, analyzed_at INTEGER, error TEXT,"
	" pid INTEGER, start_time INTEGER, frames INTEGER, exit_status INTEGER,"
	" dev INTEGER, inode INTEGER, ctime INTEGER, build_id TEXT);"
	/* A new dump's stored series (cr_batch_store_process), without a
	 * scan of every row per new dump. */
	"CREATE INDEX IF NOT EXISTS dumps_process ON dumps"
	" (pid, executable, start_time);"
	"CREATE TABLE IF NOT EXISTS buckets ("
	" id TEXT PRIMARY KEY, kind TEXT, code TEXT, signature TEXT,"
	" count INTEGER, first_seen INTEGER, last_seen INTEGER, example TEXT);"
	/* --shard's memory of which shard each file is in (shard.c): not a
	 * table of results, so `coroner merge` leaves it behind. */
	"CREATE TABLE IF NOT EXISTS shard_keys ("
	" path TEXT PRIMARY KEY, size INTEGER, mtime INTEGER, header_hash TEXT,"
	" key TEXT, dev INTEGER, inode INTEGER, ctime INTEGER);"
	/* The index files as a run last found them holding the index of
	 * the inputs hash `inputs` (cmd_batch.c): a later run whose inputs
	 * and files' stat identities are these does not make them again. */
	"CREATE TABLE IF NOT EXISTS index_files ("
	" name TEXT PRIMARY KEY, inputs TEXT, dev INTEGER, inode INTEGER,"
	" size INTEGER, mtime INTEGER, ctime INTEGER);";

/* What makes a store of version I + 1 (of the tables above) from one of
 * version I, keeping its rows. */
static const char *const upgrades[] = {
	[1] = "ALTER TABLE dumps ADD COLUMN dev INTEGER;"
	      " ALTER TABLE dumps ADD COLUMN inode INTEGER;"
	      " ALTER TABLE dumps ADD COLUMN ctime INTEGER;",
	[2] = "ALTER TABLE shard_keys ADD COLUMN dev INTEGER;"
	      " ALTER TABLE shard_keys ADD COLUMN inode INTEGER;"
	      " ALTER TABLE shard_keys ADD COLUMN ctime INTEGER;",
	/* Rows stored before have no build id until analyzed again. */
	[3] = "ALTER TABLE dumps ADD COLUMN build_id TEXT;",
};

/* The columns of dumps, in the order of struct report_batch_entry's
 * fields as get_row and put bind them. */
#define DUMP_COLUMNS "path, size, mtime, header_hash, status, kind, code," \
	" bucket, signature, executable, version, dump_time, report_dir," \
	" report_name, analyzed_at, error, pid, start_time, frames, exit_status," \
	" dev, inode, ctime, build_id"

/* The statements a run executes once or more per file, prepared once
 * (kept()). */
enum kept_stmt {
	KEPT_GET, KEPT_PUT, KEPT_DELETE, KEPT_SHARERS, KEPT_ALL, KEPT_PROCESS,
	KEPT_SHARD_GET, KEPT_SHARD_PUT, KEPT_SHARD_STAT, KEPT_STAT, KEPT_INDEX_GET,
	KEPT_INDEX_PUT,
	KEPT_N
};

struct cr_batch_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *kept[KEPT_N];
};

static struct cr_error *db_error(struct cr_batch_store *s, int rc,
				 const char *what)
{
	const char *msg = s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return cr_error_new(CR_ERR_IO, "%s: the result store is in use by another coroner batch (%s)",
				    s->path, msg);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
		return cr_error_new(CR_ERR_IO, "%s: the result store is damaged (%s); remove it to start afresh",
				    s->path, msg);
	return cr_error_new(CR_ERR_IO, "%s: %s: %s", s->path, what, msg);
}

/*
 * The statement ID (of SQL) in *ST, prepared on its first use and kept
 * until the store is closed; the caller binds every parameter and ends
 * with sqlite3_reset().  A batch runs these a few times per file, and
 * preparing one (parsing its SQL) cost more than running it: 19 ms of
 * the parent's CPU for 200 new cores, as much as storing their rows.
 */
static int kept(struct cr_batch_store *s, enum kept_stmt id, const char *sql,
		sqlite3_stmt **st)
{
	int rc = s->kept[id] ? SQLITE_OK :
		 sqlite3_prepare_v2(s->db, sql, -1, &s->kept[id], NULL);
	*st = s->kept[id];
	return rc;
}

static struct cr_error *exec(struct cr_batch_store *s, const char *sql)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? NULL : db_error(s, rc, "cannot update");
}

/* The store at PATH opened with FLAGS into *OUT (closed again on error). */
static struct cr_error *open_db(const char *path, int flags,
				struct cr_batch_store **out)
{
	*out = NULL;
	struct cr_error *lerr = cr_sqlite_load();
	if (lerr)
		return lerr;
	struct cr_batch_store *s = calloc(1, sizeof(*s));
	*out = s;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		*out = NULL;
		return &cr_enomem;
	}
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	return rc != SQLITE_OK ? db_error(s, rc, "cannot open") : NULL;
}

static struct cr_error *user_version(struct cr_batch_store *s, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	struct cr_error *err = NULL;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	else
		err = db_error(s, rc == SQLITE_OK || rc == SQLITE_DONE ?
			       sqlite3_errcode(s->db) : rc, "cannot read");
	sqlite3_finalize(st);
	return err;
}

struct cr_error *cr_batch_store_open(const char *path,
				     struct cr_batch_store **out)
{
	struct cr_batch_store *s = NULL;
	struct cr_error *err = open_db(path, SQLITE_OPEN_READWRITE |
				       SQLITE_OPEN_CREATE, &s);
	/* The exclusive lock is taken by the first write (BEGIN IMMEDIATE)
	 * and kept until the store is closed. */
	if (!err)
		err = exec(s, "PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL;"
			   " PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
			   " BEGIN IMMEDIATE;");
	int version = 0, stored;
	if (!err)
		err = user_version(s, &version);
	stored = version;
	/* A store of a version upgrades[] knows is brought up to this one
	 * step by step; one of another version is emptied. */
	while (!err && version > 0 && version < SCHEMA_VERSION &&
	       (size_t)version < ARRAY_LEN(upgrades) && upgrades[version])
		err = exec(s, upgrades[version++]);
	if (!err && version != SCHEMA_VERSION && version != 0)
		err = exec(s, "DROP TABLE IF EXISTS dumps; DROP TABLE IF EXISTS buckets;"
			   " DROP TABLE IF EXISTS shard_keys; DROP TABLE IF EXISTS index_files;");
	if (!err)
		err = exec(s, schema);
	/* A store of this version is not written here: a re-run that finds
	 * nothing new then writes no page, and closing it syncs nothing. */
	if (!err) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version=%d; COMMIT;",
			 SCHEMA_VERSION);
		err = exec(s, stored == SCHEMA_VERSION ? "COMMIT;" : sql);
	}
	if (err) {
		cr_batch_store_close(s);
		return err;
	}
	*out = s;
	return NULL;
}

struct cr_error *cr_batch_store_open_read(const char *path,
					  struct cr_batch_store **out)
{
	/* Read-only is not enough: SQLite makes the -wal and -shm files of
	 * a WAL database to read it, in the input's directory.  A store a
	 * batch closed has no -wal (the last connection checkpoints it), so
	 * it is opened as immutable; one with a -wal is in use, or its run
	 * was killed, and its last rows are in the -wal. */
	char *wal = cr_strdup_printf("%s-wal", path);
	bool in_use = wal && access(wal, F_OK) == 0;
	free(wal);
	if (in_use)
		return cr_error_new(CR_ERR_IO, "%s: the result store is in use by a coroner batch, or its run was stopped before it closed it: run that batch again",
				    path);
	/* file: URI: '%', '?' and '#' of the path escaped. */
	struct cr_buf uri = { 0 };
	cr_buf_add(&uri, "file:", 5);
	for (const char *p = path; *p; p++) {
		if (*p == '%' || *p == '?' || *p == '#') {
			char esc[4];
			snprintf(esc, sizeof(esc), "%%%02x", (unsigned char)*p);
			cr_buf_add(&uri, esc, 3);
		} else {
			cr_buf_add(&uri, p, 1);
		}
	}
	cr_buf_add(&uri, "?immutable=1", 12);
	const char *u = cr_buf_str(&uri);
	struct cr_batch_store *s = NULL;
	struct cr_error *err = u ? open_db(u, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, &s)
				 : &cr_enomem;
	cr_buf_free(&uri);
	if (!err) {
		char *p = strdup(path);	/* for messages: the path, not the URI */
		if (p) {
			free(s->path);
			s->path = p;
		}
	}
	int version = -1;
	if (!err)
		err = user_version(s, &version);
	if (!err && version != SCHEMA_VERSION)
		err = cr_error_new(CR_ERR_IO, "%s: the result store has schema version %d, this coroner %d: run that batch again with this coroner",
				   path, version, SCHEMA_VERSION);
	if (err) {
		cr_batch_store_close(s);
		return err;
	}
	*out = s;
	return NULL;
}

void cr_batch_store_close(struct cr_batch_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < KEPT_N; i++)
		sqlite3_finalize(s->kept[i]);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

static char *col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static int64_t col_int(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 :
		sqlite3_column_int64(st, i);
}

static void get_row(sqlite3_stmt *st, struct report_batch_entry *e)
{
	*e = (struct report_batch_entry){
		.path = col_str(st, 0), .size = col_int(st, 1),
		.mtime_ns = col_int(st, 2), .header_hash = col_str(st, 3),
		.status = col_str(st, 4), .kind = col_str(st, 5),
		.code = col_str(st, 6), .bucket = col_str(st, 7),
		.signature = col_str(st, 8), .executable = col_str(st, 9),
		.version = col_str(st, 10), .dump_time = col_int(st, 11),
		.report_dir = col_str(st, 12), .report_name = col_str(st, 13),
		.analyzed_at = col_int(st, 14), .error = col_str(st, 15),
		.pid = col_int(st, 16), .start_time = col_int(st, 17),
		.frames = col_int(st, 18), .exit_status = col_int(st, 19),
		.dev = col_int(st, 20), .inode = col_int(st, 21),
		.ctime_ns = col_int(st, 22), .build_id = col_str(st, 23),
	};
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* -1 is "unknown" in the entries and NULL in the tables. */
static void bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == -1)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_int64(st, i, v);
}

/* Run the kept statement ST, which changes rows, and reset it. */
static struct cr_error *step_update(struct cr_batch_store *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? NULL : db_error(s, rc, "cannot update");
}

void cr_batch_entry_from_result(struct report_batch_entry *e, json_t *r)
{
	static const struct {
		const char *key;
		size_t off;
	} strs[] = {
		{ "kind", offsetof(struct report_batch_entry, kind) },
		{ "code", offsetof(struct report_batch_entry, code) },
		{ "bucket", offsetof(struct report_batch_entry, bucket) },
		{ "signature", offsetof(struct report_batch_entry, signature) },
		{ "executable", offsetof(struct report_batch_entry, executable) },
		{ "version", offsetof(struct report_batch_entry, version) },
		{ "build_id", offsetof(struct report_batch_entry, build_id) },
	}, ints[] = {
		{ "dump_time", offsetof(struct report_batch_entry, dump_time) },
		{ "pid", offsetof(struct report_batch_entry, pid) },
		{ "start_time", offsetof(struct report_batch_entry, start_time) },
		{ "frames", offsetof(struct report_batch_entry, frames) },
		{ "exit_status", offsetof(struct report_batch_entry, exit_status) },
	};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)
		*(char **)((char *)e + strs[i].off) =
			(char *)json_string_value(json_object_get(r, strs[i].key));
	if (!e->error)
		e->error = (char *)json_string_value(json_object_get(r, "error"));
	for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
		json_t *v = json_object_get(r, ints[i].key);
		if (v && json_is_integer(v))
			*(int64_t *)((char *)e + ints[i].off) = json_integer_value(v);
	}
}

struct cr_error *cr_batch_store_get(struct cr_batch_store *s, const char *rel,
				    struct report_batch_entry **out)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	int rc = kept(s, KEPT_GET, "SELECT " DUMP_COLUMNS
				    " FROM dumps WHERE path = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	bind_str(st, 1, rel);
	rc = sqlite3_step(st);
	struct cr_error *err = NULL;
	if (rc == SQLITE_ROW) {
		*out = calloc(1, sizeof(**out));
		if (*out)
			get_row(st, *out);
		else
			err = &cr_enomem;
	} else if (rc != SQLITE_DONE) {
		err = db_error(s, rc, "cannot read");
	}
	sqlite3_reset(st);
	return err;
}

struct cr_error *cr_batch_store_put(struct cr_batch_store *s,
				    const struct report_batch_entry *e)
{
	sqlite3_stmt *st = NULL;
	int rc = kept(s, KEPT_PUT, "INSERT OR REPLACE INTO dumps ("
				    DUMP_COLUMNS ") VALUES (?,?,?,?,?,?,?,?,?,?,"
				    "?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot update");
	bind_str(st, 1, e->path);
	bind_int(st, 2, e->size);
	bind_int(st, 3, e->mtime_ns);
	bind_str(st, 4, e->header_hash);
	bind_str(st, 5, e->status);
	bind_str(st, 6, e->kind);
	bind_str(st, 7, e->code);
	bind_str(st, 8, e->bucket);
	bind_str(st, 9, e->signature);
	bind_str(st, 10, e->executable);
	bind_str(st, 11, e->version);
	bind_int(st, 12, e->dump_time);
	bind_str(st, 13, e->report_dir);
	bind_str(st, 14, e->report_name);
	bind_int(st, 15, e->analyzed_at);
	bind_str(st, 16, e->error);
	bind_int(st, 17, e->pid);
	bind_int(st, 18, e->start_time);
	bind_int(st, 19, e->frames);
	bind_int(st, 20, e->exit_status);
	bind_int(st, 21, e->dev);
	bind_int(st, 22, e->inode);
	bind_int(st, 23, e->ctime_ns);
	bind_str(st, 24, e->build_id);
	return step_update(s, st);
}

struct cr_error *cr_batch_store_stat(struct cr_batch_store *s,
				     const struct cr_batch_file *f)
{
	sqlite3_stmt *st = NULL;
	int rc = kept(s, KEPT_STAT, "UPDATE dumps SET dev = ?, inode = ?, ctime = ?"
				     " WHERE path = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot update");
	struct report_batch_entry e = { 0 };
	cr_batch_entry_stat(&e, f);
	bind_int(st, 1, e.dev);
	bind_int(st, 2, e.inode);
	bind_int(st, 3, e.ctime_ns);
	bind_str(st, 4, f->rel);
	return step_update(s, st);
}

void cr_batch_entry_stat(struct report_batch_entry *e,
			 const struct cr_batch_file *f)
{
	bool ok = ((f->identified && f->settled) || f->vouched) && f->size >= 0;
	e->dev = ok ? f->dev : -1;
	e->inode = ok ? f->ino : -1;
	e->ctime_ns = ok ? f->ctime_ns : -1;
}

bool cr_batch_entry_vouches(const struct report_batch_entry *e,
			    const struct cr_batch_file *f)
{
	struct cr_batch_file stored = { .size = e->size, .mtime_ns = e->mtime_ns,
		.ctime_ns = e->ctime_ns, .dev = e->dev, .ino = e->inode };
	return e->header_hash && strlen(e->header_hash) == 16 &&
	       cr_batch_same_stat(&stored, f);
}

/* Columns 0 to 5 of ST's row (a hash of 16 hex digits, then size, mtime,
 * dev, inode and ctime) into F; false when column 0 is no such hash. */
static bool get_identity(sqlite3_stmt *st, struct cr_batch_file *f)
{
	const unsigned char *t = sqlite3_column_text(st, 0);
	if (!t || strlen((const char *)t) != sizeof(f->hash) - 1)
		return false;
	memcpy(f->hash, t, sizeof(f->hash));
	f->size = col_int(st, 1);
	f->mtime_ns = col_int(st, 2);
	f->dev = col_int(st, 3);
	f->ino = col_int(st, 4);
	f->ctime_ns = col_int(st, 5);
	return true;
}

struct cr_error *cr_batch_store_index_file(struct cr_batch_store *s,
					   const char *name,
					   struct cr_batch_file *f, bool *found)
{
	sqlite3_stmt *st = NULL;
	*found = false;
	int rc = kept(s, KEPT_INDEX_GET, "SELECT inputs, size, mtime, dev, inode,"
		      " ctime FROM index_files WHERE name = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	bind_str(st, 1, name);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW && get_identity(st, f);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : db_error(s, rc, "cannot read");
}

struct cr_error *cr_batch_store_put_index_file(struct cr_batch_store *s,
					       const struct cr_batch_file *f)
{
	sqlite3_stmt *st = NULL;
	int rc = kept(s, KEPT_INDEX_PUT, "INSERT OR REPLACE INTO index_files (name,"
		      " inputs, dev, inode, size, mtime, ctime) VALUES (?,?,?,?,?,?,?)",
		      &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot update");
	bind_str(st, 1, f->rel);
	bind_str(st, 2, f->hash);
	const int64_t v[] = { f->dev, f->ino, f->size, f->mtime_ns, f->ctime_ns };
	for (size_t i = 0; i < ARRAY_LEN(v); i++)
		bind_int(st, 3 + (int)i, v[i]);
	return step_update(s, st);
}

struct cr_error *cr_batch_store_group(struct cr_batch_store *s, bool end)
{
	return exec(s, end ? "COMMIT" : "BEGIN");
}

struct cr_error *cr_batch_store_rollback(struct cr_batch_store *s)
{
	return exec(s, "ROLLBACK");
}

struct cr_error *cr_batch_store_delete(struct cr_batch_store *s,
				       const char *rel)
{
	sqlite3_stmt *st = NULL;
	int rc = kept(s, KEPT_DELETE, "DELETE FROM dumps WHERE path = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot update");
	bind_str(st, 1, rel);
	return step_update(s, st);
}

struct cr_error *cr_batch_store_sharers(struct cr_batch_store *s,
					const char *report_dir, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*n = 0;
	int rc = kept(s, KEPT_SHARERS, "SELECT count(*) FROM dumps WHERE report_dir = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	bind_str(st, 1, report_dir);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*n = (size_t)sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? NULL : db_error(s, rc, "cannot read");
}

/* The rows of the kept statement ST (reset here). */
static struct cr_error *all_rows(struct cr_batch_store *s, sqlite3_stmt *st,
				 struct report_batch_entry **out, size_t *n)
{
	size_t cap = 0;
	int rc = SQLITE_OK;
	struct cr_error *err = NULL;
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!CR_GROW(*out, cap, *n + 1))
			err = &cr_enomem;
		else
			get_row(st, &(*out)[(*n)++]);
	}
	if (!err && rc != SQLITE_DONE)
		err = db_error(s, rc, "cannot read");
	sqlite3_reset(st);
	return err;
}

struct cr_error *cr_batch_store_all(struct cr_batch_store *s,
				    struct report_batch_entry **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int rc = kept(s, KEPT_ALL, "SELECT " DUMP_COLUMNS
				    " FROM dumps ORDER BY path", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	return all_rows(s, st, out, n);
}

struct cr_error *cr_batch_store_process(struct cr_batch_store *s, int64_t pid,
					const char *exe, int64_t start_time,
					struct report_batch_entry **out, size_t *n)
{
	sqlite3_stmt *st = NULL;
	*out = NULL;
	*n = 0;
	int rc = kept(s, KEPT_PROCESS, "SELECT " DUMP_COLUMNS " FROM dumps"
				    " WHERE pid = ? AND executable = ? AND start_time IS ?"
				    " AND status IN ('ok', 'damaged') ORDER BY path", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	bind_int(st, 1, pid);
	bind_str(st, 2, exe);
	bind_int(st, 3, start_time);
	return all_rows(s, st, out, n);
}

/* Kept statement ID of SQL with F's identity bound to its first four parameters
 * (path, size, mtime, header hash). */
static int prepare_identity(struct cr_batch_store *s, enum kept_stmt id,
			    const char *sql, const struct cr_batch_file *f,
			    sqlite3_stmt **st)
{
	int rc = kept(s, id, sql, st);
	if (rc != SQLITE_OK)
		return rc;
	bind_str(*st, 1, f->rel);
	sqlite3_bind_int64(*st, 2, f->size);
	sqlite3_bind_int64(*st, 3, f->mtime_ns);
	bind_str(*st, 4, f->hash);
	return rc;
}

struct cr_error *cr_batch_store_shard_key(struct cr_batch_store *s,
					  const struct cr_batch_file *f,
					  uint64_t *key, bool *found)
{
	sqlite3_stmt *st = NULL;
	*found = false;
	int rc = prepare_identity(s, KEPT_SHARD_GET, "SELECT key FROM shard_keys WHERE path = ?"
				  " AND size = ? AND mtime = ? AND header_hash = ?",
				  f, &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	rc = sqlite3_step(st);
	const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
	char *end = NULL;
	if (t) {
		*key = strtoull((const char *)t, &end, 16);
		*found = end && !*end;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : db_error(s, rc, "cannot read");
}

struct cr_error *cr_batch_store_put_shard_key(struct cr_batch_store *s,
					      const struct cr_batch_file *f,
					      uint64_t key)
{
	sqlite3_stmt *st = NULL;
	int rc = prepare_identity(s, KEPT_SHARD_PUT, "INSERT OR REPLACE INTO shard_keys (path,"
				  " size, mtime, header_hash, key, dev, inode, ctime)"
				  " VALUES (?,?,?,?,?,?,?,?)",
				  f, &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot update");
	char hex[17];
	snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)key);
	bind_str(st, 5, hex);
	/* The stat identity that vouches for the row next time, on the
	 * rule of the dumps' rows (cr_batch_entry_stat). */
	struct report_batch_entry e = { 0 };
	cr_batch_entry_stat(&e, f);
	bind_int(st, 6, e.dev);
	bind_int(st, 7, e.inode);
	bind_int(st, 8, e.ctime_ns);
	return step_update(s, st);
}

struct cr_error *cr_batch_store_shard_vouched(struct cr_batch_store *s,
					      struct cr_batch_file *f, bool *vouched)
{
	sqlite3_stmt *st = NULL;
	*vouched = false;
	int rc = kept(s, KEPT_SHARD_STAT, "SELECT header_hash, size, mtime, dev, inode,"
		      " ctime FROM shard_keys WHERE path = ?", &st);
	if (rc != SQLITE_OK)
		return db_error(s, rc, "cannot read");
	bind_str(st, 1, f->rel);
	rc = sqlite3_step(st);
	struct cr_batch_file rec = { 0 };
	if (rc == SQLITE_ROW && get_identity(st, &rec) && cr_batch_same_stat(&rec, f)) {
		memcpy(f->hash, rec.hash, sizeof(f->hash));
		*vouched = true;
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? NULL : db_error(s, rc, "cannot read");
}

/* The rows of the table `buckets` (rows_into: one table's rows into
 * another of its columns). */
#define BUCKET_COLUMNS "id, kind, code, signature, count, first_seen, last_seen, example"

/* Whether the query SQL (one count) gives 0. */
static struct cr_error *count_is_zero(struct cr_batch_store *s, const char *sql,
				      bool *zero)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	*zero = rc == SQLITE_ROW && sqlite3_column_int64(st, 0) == 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? NULL : db_error(s, rc, "cannot read");
}

/*
 * The index's buckets go into a temporary table first (SQLite's temporary
 * store: not the database or its WAL) and replace the table's rows only
 * when they differ: a re-run with nothing new then writes no page.
 */
struct cr_error *cr_batch_store_buckets(struct cr_batch_store *s,
					const struct report_batch_index *ix)
{
	struct cr_error *err = exec(s, "CREATE TEMP TABLE IF NOT EXISTS new_buckets ("
				    " id TEXT PRIMARY KEY, kind TEXT, code TEXT, signature TEXT,"
				    " count INTEGER, first_seen INTEGER, last_seen INTEGER,"
				    " example TEXT);"
				    " DELETE FROM temp.new_buckets;");
	sqlite3_stmt *st = NULL;
	int rc = err ? SQLITE_OK :
		sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO temp.new_buckets ("
				   BUCKET_COLUMNS ") VALUES (?,'crash',?,?,?,?,?,?)",
				   -1, &st, NULL);
	if (!err && rc != SQLITE_OK)
		err = db_error(s, rc, "cannot update");
	for (size_t c = 0; !err && c < ix->ncodes; c++) {
		for (size_t b = 0; !err && b < ix->codes[c].n; b++) {
			const struct report_batch_bucket *bk = &ix->codes[c].buckets[b];
			sqlite3_reset(st);
			bind_str(st, 1, bk->id);
			bind_str(st, 2, bk->code);
			bind_str(st, 3, bk->signature);
			sqlite3_bind_int64(st, 4, (sqlite3_int64)bk->n);
			bind_int(st, 5, bk->first_seen);
			bind_int(st, 6, bk->last_seen);
			char *link = report_batch_link(bk->example, "html");
			bind_str(st, 7, link);
			free(link);
			rc = sqlite3_step(st);
			if (rc != SQLITE_DONE)
				err = db_error(s, rc, "cannot update");
		}
	}
	sqlite3_finalize(st);
	bool same = false, same_back = false;
	if (!err)
		err = count_is_zero(s, "SELECT count(*) FROM (SELECT * FROM buckets"
				    " EXCEPT SELECT * FROM temp.new_buckets)", &same);
	if (!err && same)
		err = count_is_zero(s, "SELECT count(*) FROM (SELECT * FROM temp.new_buckets"
				    " EXCEPT SELECT * FROM buckets)", &same_back);
	/* A savepoint: a transaction of its own, or a part of the one the
	 * last rows of a batch are in (commit.c: the index is made before
	 * they are committed). */
	if (!err && !(same && same_back)) {
		err = exec(s, "SAVEPOINT buckets; DELETE FROM buckets; INSERT INTO buckets ("
			   BUCKET_COLUMNS ") SELECT " BUCKET_COLUMNS
			   " FROM temp.new_buckets; RELEASE buckets;");
		if (err)
			sqlite3_exec(s->db, "ROLLBACK TO buckets; RELEASE buckets",
				     NULL, NULL, NULL);
	}
	return err;
}
