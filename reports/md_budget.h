/*
 * md_budget.h - the Markdown report as parts, and the choice of the parts
 * that fit its budget (md_budget.c).  Private to the Markdown writer.
 *
 * The writer renders each section into a part of its own, in document
 * order, saying what kind of part it is; md_parts_join() then decides which
 * parts to print, so the budget knows nothing of how a section is written.
 */
#ifndef CR_MD_BUDGET_H
#define CR_MD_BUDGET_H

#include "report.h"
#include "report_util.h"

enum md_part_kind {
	MD_PART_ESSENTIAL,	/* always printed: title, summary, what
				 * happened, the focus stack */
	MD_PART_THREADS,	/* the threads heading: printed unless brief */
	MD_PART_GROUP,		/* one thread group: printed in order while
				 * the budget lasts */
	MD_PART_SECTION,	/* a section: printed when it fits, by rank */
};

struct md_part {
	struct cr_buf text;
	enum md_part_kind kind;
	int rank;		/* MD_PART_SECTION: lower ranks are kept first;
				 * the groups have rank MD_RANK_GROUPS */
	const char *title;	/* MD_PART_SECTION: its heading, for the note
				 * that says it is left out */
	size_t threads;		/* MD_PART_GROUP: its threads */
};

#define MD_RANK_GROUPS 10

struct md_parts {
	struct md_part *v;
	size_t n, cap;
	bool oom;
};

/* A new empty part at the end of P; NULL when out of memory (P->oom). */
struct cr_buf *md_part_new(struct md_parts *p, enum md_part_kind kind,
			       int rank, const char *title, size_t threads);
void md_parts_free(struct md_parts *p);

/* Print P's parts into OUT in document order, the ones that O lets in
 * (NULL: the defaults), with a note for each run of parts left out. */
void md_parts_join(const struct md_parts *p, const struct report_md_options *o,
		   struct cr_buf *out);

#endif
