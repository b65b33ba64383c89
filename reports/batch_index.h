/*
 * batch_index.h - the index of a `coroner batch` run: its rows, how they
 * are grouped, and its Markdown, HTML and JSON writers (batch_index.c,
 * batch_index_html.c); the tickets of --ticket (batch_ticket.c).  docs/batch.md describes the files.
 *
 * The rows are the result store's (analyzer/batch/store.c), one per file
 * found; every string in them may come from a dump or a file name and is
 * escaped by each writer (Markdown: report_md_escape_text; HTML: libxml2
 * text nodes; JSON: jansson after report_clean).  The grouping is done
 * once here so the three files cannot disagree:
 *   an entry     one report: a dump, or the dumps of one series (rows
 *                sharing a report_dir);
 *   kinds        crash, hang, high CPU, high memory, unknown (as
 *                cr_dump_kind_id names them), then failed and skipped;
 *   crashes      by code, then by bucket.
 */
#ifndef CR_BATCH_INDEX_H
#define CR_BATCH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "error.h"

/* One file the batch found: a row of the store's table `dumps`. */
struct report_batch_entry {
	char *path;		/* below the batch's DIR */
	int64_t size;
	int64_t mtime_ns;
	char *header_hash;
	char *status;		/* "ok", "damaged", "failed", "skipped" */
	char *kind;		/* cr_dump_kind_id, NULL when not analyzed */
	char *code;		/* "SIGSEGV", NULL none */
	char *bucket;
	char *signature;
	char *executable;
	char *version;
	char *build_id;		/* the executable's, in hex; NULL unknown */
	int64_t dump_time;	/* -1 unknown */
	char *report_dir;	/* below OUT, NULL no report */
	char *report_name;	/* the reports' base name in report_dir */
	int64_t analyzed_at;
	char *error;		/* why failed or skipped, NULL none */
	int64_t pid, start_time;	/* -1 unknown (series are keyed on them) */
	int64_t frames;		/* signature frames: how telling it is */
	int64_t exit_status;
	/* The file's stat identity when its header was last read, -1
	 * unknown: a file that still has these (and size and mtime) is not
	 * read again (docs/batch.md "What is analyzed again").  ctime_ns is
	 * -1 when the file had changed in the second it was read. */
	int64_t dev, inode, ctime_ns;
};

void report_batch_entry_clear(struct report_batch_entry *e);

/* A report: one dump or one series. */
struct report_batch_item {
	const struct report_batch_entry *first;	/* the newest member */
	size_t nmembers;
	int64_t seen_first, seen_last;	/* dump times, else mtimes (s) */
	/* Report files found missing (report_batch_check_reports), by
	 * REPORT_BATCH_MISSING_*: a run with -f md writes no HTML, and rows
	 * kept from an earlier run have what that run wrote. */
	unsigned missing;
};
#define REPORT_BATCH_MISSING_MD 1u
#define REPORT_BATCH_MISSING_HTML 2u
#define REPORT_BATCH_MISSING_JSON 4u

/* Mark each item's report files that are not under OUT, so that the index
 * links only to reports that exist. */
struct report_batch_index;
void report_batch_check_reports(struct report_batch_index *ix, const char *out);

struct report_batch_bucket {
	const char *id, *code, *signature;
	struct report_batch_item **items;	/* newest first */
	size_t n;
	const struct report_batch_item *example;	/* the most telling */
	int64_t first_seen, last_seen;
	char **executables, **versions, **builds;	/* distinct, sorted */
	size_t nexecutables, nversions, nbuilds;
	/* report_batch_tickets_write wrote tickets/ID.md, and ID.html. */
	bool ticket, ticket_attachment;
};

struct report_batch_code {
	const char *code;	/* "(no code)" for none */
	struct report_batch_bucket *buckets;	/* by count, then id */
	size_t n;
	size_t count;
};

enum {
	REPORT_BATCH_CRASH = 0, REPORT_BATCH_HANG, REPORT_BATCH_HIGH_CPU,
	REPORT_BATCH_HIGH_MEMORY, REPORT_BATCH_UNKNOWN, REPORT_BATCH_FAILED,
	REPORT_BATCH_SKIPPED, REPORT_BATCH_NKINDS,
};

struct report_batch_index {
	struct report_batch_item *items;
	size_t nitems;
	size_t nfiles;		/* rows */
	/* Items of each kind, newest first (crashes too). */
	struct report_batch_item **by_kind[REPORT_BATCH_NKINDS];
	size_t nby_kind[REPORT_BATCH_NKINDS];
	struct report_batch_code *codes;	/* crashes, by code */
	size_t ncodes;
	size_t nbuckets;
	char *summary;		/* "12 dumps: 9 crashes in 2 buckets, ..." */
};

/* The kinds' ids and headings, by the enum above. */
const char *report_batch_kind_id(int k);
const char *report_batch_kind_title(int k);

/* Group the N rows E (borrowed: they must outlive the index). */
struct cr_error *report_batch_index_build(const struct report_batch_entry *e,
					  size_t n,
					  struct report_batch_index **out);
void report_batch_index_free(struct report_batch_index *ix);

/* The relative link to ITEM's report of extension EXT ("html"), NULL when
 * it has none (or it was found missing); malloc'd. */
char *report_batch_link(const struct report_batch_item *it, const char *ext);

/*
 * --ticket (batch_ticket.c): per crash bucket OUT/tickets/ID.md, under
 * REPORT_TICKET_MAX characters (a ticket comment: GitHub's limit is
 * 65,536), with the bucket's facts and the short report of its example
 * (EXAMPLE_DIR/NAME.coroner.ticket.md, which the batch worker writes with
 * REPORT_TICKET_BRIEF_BUDGET), and OUT/tickets/ID.html, the example's HTML
 * report to attach; tickets of buckets that are gone are removed.  Marks
 * the buckets' ticket flags for the writers below.
 */
#define REPORT_TICKET_MAX 60000
#define REPORT_TICKET_BRIEF_BUDGET 40000
struct cr_error *report_batch_tickets_write(struct report_batch_index *ix,
					    const char *out);

struct cr_error *report_batch_md_write(const struct report_batch_index *ix,
				       FILE *f);
struct cr_error *report_batch_html_write(const struct report_batch_index *ix,
					 FILE *f);
struct cr_error *report_batch_json_write(const struct report_batch_index *ix,
					 FILE *f);

/*
 * Write PATH through a temporary file in its directory and rename it (the
 * reports' own way, output.c): FILL(CTX, f) writes it.
 */
struct cr_error *report_write_atomic(const char *path,
				     struct cr_error *(*fill)(const void *ctx,
							       FILE *f),
				     const void *ctx);

/* What report_write_changed found at PATH. */
struct report_held {
	bool same;		/* PATH held those bytes: it was not written */
	struct stat st;		/* then PATH's fstat as it was read */
	struct timespec read_at;	/* CLOCK_REALTIME_COARSE before it
					 * was opened */
};

/*
 * report_write_atomic, but only when what FILL writes differs from what
 * PATH holds: a re-run of coroner batch with nothing new makes the same
 * index, and writing it again cost a new inode, an fsync and a rename per
 * file.  *HELD (may be NULL) says what PATH held.
 */
struct cr_error *report_write_changed(const char *path,
				      struct cr_error *(*fill)(const void *ctx,
								FILE *f),
				      const void *ctx, struct report_held *held);

/*
 * DEFER: report_write_atomic no longer fsyncs each file before its rename,
 * for the rest of this process: a caller that makes many files durable in
 * one go (coroner batch's workers: syncfs() in the parent before a group of
 * dumps is stored as done, docs/batch.md "Durability").  A file renamed
 * without its fsync may be empty after a power cut.
 */
void report_defer_sync(bool defer);

/*
 * DST as the same file as SRC: a hard link when both are on one file
 * system, else a copy; either way through a temporary name and a rename,
 * so DST is whole or as it was (batch tickets' attachments, coroner
 * merge's reports).
 */
struct cr_error *report_link_or_copy(const char *src, const char *dst);

#endif
