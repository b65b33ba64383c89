/*
 * document.h - the report as one document (private to reports/).
 *
 * The analysis is turned ONCE into a document (doc_build.c): a list of
 * sections (id, title, level; level 3 sections nest under the level 2
 * section before them), each holding blocks: paragraphs of inline spans,
 * fact tables, tables with column kinds, stacks, findings, code listings,
 * lists and Markdown texts written by us (recommendations).  The Markdown
 * and HTML writers (md.c, html.c) are generic renderers of this document:
 * they know nothing of dumps, so a new section or finding added to the
 * builder appears in both without touching them.
 *
 * Every string in a document is owned by the document, unescaped, and
 * already cleaned by report_clean(): valid UTF-8 without control
 * characters, on one line except the text of a DOC_CODE or DOC_MARKDOWN
 * block.  Renderers escape it for their syntax and need not clean it.  The one exception is a
 * DOC_MARKDOWN block, Markdown we wrote (analyzer/recommendations/), that
 * the Markdown renderer inserts as it is and the HTML renderer builds as
 * elements from the tree the build compiled for its finding id
 * (html_md_tree.h; never pasted as HTML).
 *
 * Everything is allocated in the document's arena and freed at once by
 * doc_free().  Allocation failures set `oom` on the document; later calls then do
 * nothing and doc_build() returns NULL, so builders need not check each
 * call.
 */
#ifndef CR_DOCUMENT_H
#define CR_DOCUMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analysis.h"
#include "report.h"
#include "report_util.h"

enum doc_span_kind {
	DOC_SPAN_TEXT,
	DOC_SPAN_CODE,		/* monospace: an address, a register */
	DOC_SPAN_EM,
	DOC_SPAN_STRONG,
	DOC_SPAN_LINK,		/* to a section of the document (`target`) */
	DOC_SPAN_TAG,		/* a marker after a value: "main", "crashed"
				 * (Markdown: " (main)") */
};

struct doc_span {
	enum doc_span_kind kind;
	char *text;
	char *target;		/* LINK: a section id */
};

/* A run of spans: a paragraph, a table cell, a list item. */
struct doc_inline {
	struct doc_span *v;
	size_t n, cap;
};

/* How a column's values look, so renderers can align them and keep them
 * from breaking. */
enum doc_col {
	DOC_COL_TEXT,		/* words: may wrap */
	DOC_COL_NUMBER,		/* right-aligned, never broken */
	DOC_COL_ADDRESS,	/* monospace hex, never broken */
	DOC_COL_CODE,		/* monospace ids, never broken */
	DOC_COL_PATH,		/* a file path: may break anywhere */
	DOC_COL_RANGE,		/* "START-END" addresses: breaks only
				 * after the dash */
};

struct doc_row {
	struct doc_inline *cells;	/* ncols of them */
	const char *cls;		/* static: "marked", "crashed"; NULL */
};

struct doc_table {
	size_t ncols;
	char **headers;			/* ncols */
	enum doc_col *cols;		/* ncols */
	struct doc_row *rows;
	size_t nrows, cap;
};

/* One row of a printed stack: a frame, or (fold != NULL) a folded run. */
struct doc_frame {
	char *fold;		/* "frames 4-116,450: a -> b repeated ..." */
	char *index, *pc, *where, *module, *location;
	const char *trust;	/* static: "cfi" */
	bool inlined;
	bool own;		/* in the program's own code, not a system
				 * library (doc_build.c's table) */
};

struct doc_stack {
	struct doc_frame *v;
	size_t n, cap;
	char *end;		/* how unwinding ended, NULL normally */
};

struct doc_blocks {
	struct doc_block **v;
	size_t n, cap;
};

enum doc_block_kind {
	DOC_PARA,		/* text; cls "note" is set apart (italic) */
	DOC_FACTS,		/* a two-column label/value table */
	DOC_TABLE,
	DOC_STACK,
	DOC_CODE,		/* verbatim lines */
	DOC_LIST,		/* items */
	DOC_MARKDOWN,		/* our own Markdown (see above) */
	DOC_FINDING,		/* a finding: its title line and body blocks */
	DOC_CHART,		/* a bar chart: one table row per bar (label,
				 * value as text), `values` the bar lengths,
				 * `code` its title; HTML draws it as inline
				 * SVG, Markdown leaves it out (a table beside
				 * it carries the same numbers) */
};

struct doc_block {
	enum doc_block_kind kind;
	const char *cls;		/* static class for HTML; NULL */
	struct doc_inline text;		/* PARA; FINDING: the title */
	struct doc_table table;		/* FACTS (2 columns), TABLE */
	struct doc_stack stack;		/* STACK */
	char *code;			/* CODE, MARKDOWN */
	struct doc_inline *items;	/* LIST */
	size_t nitems, itemcap;
	/* FINDING */
	const char *severity;		/* static: "error" */
	const char *finding_id;		/* static: "divide-by-zero"; also
					 * MARKDOWN's, the recommendation's */
	struct doc_blocks body;
	/* CHART: one value per table row */
	uint64_t *values;
	size_t valcap;
};

/*
 * What a report of limited size (the Markdown budget, md_budget.c) does
 * with a section: always keep it, keep it unless brief (the threads
 * heading), keep thread groups in order while they fit, or keep sections by
 * rank when they fit.  A level 3 section other than a group goes with the
 * section it is in.
 */
enum doc_keep {
	DOC_KEEP_ALWAYS = 0,	/* summary, findings, the crash, the focus */
	DOC_KEEP_THREADS,	/* the threads heading */
	DOC_KEEP_GROUP,		/* one thread group (`threads` threads) */
	DOC_KEEP_RANKED,	/* kept by `rank`, lower first; ranks above
				 * DOC_RANK_GROUPS come after the groups */
};

#define DOC_RANK_GROUPS 10

struct doc_section {
	char *id;		/* anchor, unique in the document */
	char *title;
	int level;		/* 2 or 3 */
	bool collapsible;	/* HTML: a <details> */
	bool open;		/* ... shown open */
	enum doc_keep keep;
	int rank;		/* DOC_KEEP_RANKED */
	size_t threads;		/* DOC_KEEP_GROUP */
	struct doc_blocks blocks;
};

struct doc {
	char *title;
	struct doc_inline summary;
	const char *summary_cls;	/* "summary crash" / "summary no-crash" */
	struct doc_section **sections;
	size_t n, cap;
	bool oom;
	struct doc_chunk *chunks;	/* the arena everything is in */
	struct cr_buf scratch;	/* for cleaning strings */
};

/* --- building ------------------------------------------------------------- */

/* The document of A; NULL when out of memory. */
struct doc *doc_build(const struct cr_analysis *a);
void doc_free(struct doc *d);

/* S copied into the document (cleaned, one line); NULL when out of memory. */
char *doc_strdup(struct doc *d, const char *s);

/* A new section at the end (TITLE copied, ID copied). */
struct doc_section *doc_section(struct doc *d, int level, const char *id,
				const char *title);
/* A new block of KIND at the end of IN; NULL when out of memory (the
 * calls below accept a NULL block and do nothing). */
struct doc_block *doc_block(struct doc *d, struct doc_blocks *in,
			    enum doc_block_kind kind, const char *cls);

/* Spans appended to IN. */
void doc_span(struct doc *d, struct doc_inline *in, enum doc_span_kind kind,
	      const char *text);
void doc_spanf(struct doc *d, struct doc_inline *in, enum doc_span_kind kind,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void doc_link(struct doc *d, struct doc_inline *in, const char *text,
	      const char *target);

/* A paragraph of one text span (one call for a sentence). */
struct doc_block *doc_para(struct doc *d, struct doc_blocks *in,
			   const char *cls, const char *text);

/* A table of NCOLS columns: HEADERS copied, COLS (NULL: all text). */
struct doc_block *doc_table(struct doc *d, struct doc_blocks *in,
			    const char *cls, size_t ncols,
			    const char *const *headers, const enum doc_col *cols);
/* A new row of B's table: its cells to fill with doc_span; NULL on
 * failure. */
struct doc_inline *doc_row(struct doc *d, struct doc_block *b,
			   const char *cls);
/* A row of plain-text cells (NULL: empty). */
void doc_row_texts(struct doc *d, struct doc_block *b, const char *cls,
		   const char *const *cells);

/* A label/value table, and one fact (label copied, value printf'd). */
struct doc_block *doc_facts(struct doc *d, struct doc_blocks *in);
void doc_fact(struct doc *d, struct doc_block *b, const char *label,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A list item: its spans; and a list item of one text (a problem line). */
struct doc_inline *doc_item(struct doc *d, struct doc_block *b);
void doc_item_text(struct doc *d, struct doc_block *b, const char *text);

/* A code or Markdown block of TEXT (copied). */
struct doc_block *doc_text_block(struct doc *d, struct doc_blocks *in,
				 enum doc_block_kind kind, const char *text);

/* A bar chart titled TITLE, and one bar of it: LABEL, the value as
 * text (VALUE_TEXT, shown beside the bar) and its length VALUE. */
struct doc_block *doc_chart(struct doc *d, struct doc_blocks *in,
			    const char *title);
void doc_chart_bar(struct doc *d, struct doc_block *b, const char *label,
		   const char *value_text, uint64_t value);

/* The Memory section (doc_memory.c): the address space and the heap,
 * when the passes kept them. */
void doc_add_memory(struct doc *d, const struct cr_analysis *a);

/* A stack row (strings copied, NULL = ""). */
void doc_stack_frame(struct doc *d, struct doc_block *b,
		     const struct doc_frame *fr);

/* The section with id ID, NULL none. */
const struct doc_section *doc_find(const struct doc *d, const char *id);

/* --- rendering ------------------------------------------------------------- */

/* The Markdown (md.c; O NULL: the defaults) and HTML (html.c) reports of a
 * built document, which they only read: one document serves both
 * (output.c's struct report_set). */
struct cr_error *report_md_write_doc(const struct doc *d,
				     const struct report_md_options *o,
				     FILE *f);
struct cr_error *report_html_write_doc(const struct doc *d, FILE *f);

/* --- what renderers share --------------------------------------------------- */

/* The one-line legend of the trust words and the own-frame marker. */
extern const char doc_trust_legend[];

#endif
