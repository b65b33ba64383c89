/*
 * findings.h - what the passes concluded, as data.
 *
 * A finding is one conclusion of one pass: a stable id (the file name of its
 * recommendation, analyzer/recommendations/ID.md, turned by the build into
 * enum cr_finding_id: "divide-by-zero" is CR_FINDING_DIVIDE_BY_ZERO), a
 * severity, a title in plain words, typed evidence, and the recommendation
 * text (the Markdown file, compiled in).  Reports print findings; they never
 * parse a title back into facts.
 *
 * Adding a finding id is adding its recommendation file: the enum, the table
 * of ids and recommendations (cr_finding_info) and the JSON schema's enum
 * (checked by a test) all follow from the files.
 *
 * Ownership: the analysis owns its findings and everything in them; strings
 * passed in are copied, except labels, units and table headers, which must
 * be static (string literals).
 */
#ifndef CR_FINDINGS_H
#define CR_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "diag.h"		/* enum cr_severity, shared with problems */
#include "finding_ids.h"	/* generated: enum cr_finding_id */

struct cr_finding_info {
	const char *id;			/* "divide-by-zero" */
	const char *recommendation;	/* Markdown, the file's text */
};
/* The id's name and recommendation; NULL for an id out of range. */
const struct cr_finding_info *cr_finding_info(enum cr_finding_id id);
/* The id named NAME; false when there is none. */
bool cr_finding_id_lookup(const char *name, enum cr_finding_id *out);

enum cr_evidence_kind {
	CR_EVIDENCE_THREAD,	/* a thread: index into cr_analysis.threads */
	CR_EVIDENCE_FRAME,	/* a frame: thread index and frame index */
	CR_EVIDENCE_ADDRESS,	/* an address, and where it lies */
	CR_EVIDENCE_NUMBER,	/* a number with its unit */
	CR_EVIDENCE_TEXT,	/* a short text (one line) */
	CR_EVIDENCE_CODE,	/* verbatim lines (an instruction listing) */
	CR_EVIDENCE_TABLE,	/* a small table */
};
const char *cr_evidence_kind_name(enum cr_evidence_kind k);	/* "thread" ... */

/* A small table; cells are row-major (nrows * ncols), NULL = empty. */
struct cr_table {
	size_t ncols, nrows;
	const char *const *headers;	/* static, ncols entries */
	char **cells;
	ssize_t marked_row;		/* the row to set apart (the faulting
					 * instruction), -1 none */
};

struct cr_evidence {
	enum cr_evidence_kind kind;
	const char *label;		/* static: "faulting address" */
	union {
		size_t thread;				/* THREAD */
		struct { size_t thread, frame; } frame;	/* FRAME */
		struct {
			uint64_t value;
			char *where;	/* "in the heap", NULL unknown */
		} address;				/* ADDRESS */
		struct {
			int64_t value;
			const char *unit;	/* static: "bytes", "ms", "%",
						 * "threads"; NULL: a count */
		} number;				/* NUMBER */
		char *text;				/* TEXT, CODE */
		struct cr_table table;			/* TABLE */
	} u;
};

struct cr_finding {
	enum cr_finding_id id;
	enum cr_severity severity;
	const char *pass;	/* static: the pass that added it ("crash") */
	char *title;		/* one line of plain words */
	char *detail;		/* a paragraph of plain text, NULL none */
	ssize_t thread;		/* the thread it is about, -1 none */
	/* The key a dump taken on demand is grouped by when this finding
	 * leads it ("deadlock: lock_a / lock_b", "spin: parse_row"); NULL
	 * none.  No addresses in it: it must be the same for the same bug
	 * in another run. */
	char *signature;
	struct cr_evidence *evidence;
	size_t nevidence;
};

struct cr_findings {
	struct cr_finding *items;	/* in the order added */
	size_t n, cap;
	size_t dropped;			/* not kept: past the limit or out of
					 * memory */
};

/* At most this many findings per analysis; more are counted in `dropped`. */
#define CR_MAX_FINDINGS 10000

/*
 * Add a finding with a printf-style title.  Returns the finding to add
 * evidence to, or NULL when it could not be kept (counted in `dropped`; the
 * evidence calls below accept a NULL finding and do nothing).  PASS must be
 * static.  The returned pointer is valid until the next cr_findings_add.
 */
struct cr_finding *cr_findings_add(struct cr_findings *fs,
				   enum cr_finding_id id,
				   enum cr_severity severity, const char *pass,
				   const char *title_fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Evidence; each returns false (and adds nothing) when out of memory. */
bool cr_finding_detail(struct cr_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Set F's signature (see struct cr_finding), replacing any before. */
bool cr_finding_signature(struct cr_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool cr_finding_thread(struct cr_finding *f, const char *label, size_t thread);
bool cr_finding_frame(struct cr_finding *f, const char *label, size_t thread,
		      size_t frame);
bool cr_finding_address(struct cr_finding *f, const char *label,
			uint64_t value, const char *where);
bool cr_finding_number(struct cr_finding *f, const char *label, int64_t value,
		       const char *unit);
bool cr_finding_text(struct cr_finding *f, const char *label,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool cr_finding_code(struct cr_finding *f, const char *label,
		     const char *text);
/*
 * A table of NCOLS columns with static HEADERS; returns it to fill with
 * cr_table_row, NULL when out of memory.  The pointer is into F's evidence
 * array: fill the table before adding more evidence to F, which may move it.
 */
struct cr_table *cr_finding_table(struct cr_finding *f, const char *label,
				  size_t ncols, const char *const *headers);
/* Append a row of T->ncols cells (copied; NULL = empty). */
bool cr_table_row(struct cr_table *t, const char *const *cells);

/* Findings in report order: by severity (errors first), then as added.
 * Fills ORDER (fs->n entries) with indexes into fs->items. */
void cr_findings_order(const struct cr_findings *fs, size_t *order);

void cr_findings_free(struct cr_findings *fs);

#endif
