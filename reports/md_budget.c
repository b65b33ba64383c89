/*
 * md_budget.c - the Markdown report keeps to a size a ticket accepts.
 *
 * GitHub refuses an issue comment over 65,536 characters, and a core of a
 * process with a hundred threads of distinct stacks gives a Markdown report
 * several times that.  The writer renders the report as parts in document
 * order (md_budget.h); here the parts that fit REPORT_MD_BUDGET_DEFAULT (or
 * --md-budget) characters are chosen:
 *
 *   1. the essential parts, always: title, summary, what happened, the
 *      focus stack (a reader can act on these alone);
 *   2. sections ranked before the groups (the process and dump facts:
 *      short, and what a ticket reader asks next), each if it fits;
 *   3. thread groups in their order (the focus thread's group first, then
 *      by size) while they fit: once one does not, the rest are left out,
 *      so the printed groups are always the first ones;
 *   4. the remaining sections by rank (problems, modules ...), each if it
 *      fits.
 *
 * What is left out is counted in a note that names the HTML report, which
 * always has everything.  The notes' room is reserved before choosing, so
 * the report with its notes keeps to the budget; only the essential parts
 * alone can exceed it.  Characters are counted as code points, as GitHub
 * counts them.
 *
 * --brief keeps the essential parts only, as minidump-stackwalk --brief
 * prints the crashing thread only.
 */
#include "md_budget.h"

#include <stdlib.h>
#include <string.h>

struct cr_buf *md_part_new(struct md_parts *p, enum md_part_kind kind,
			       int rank, const char *title, size_t threads)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct md_part *v = realloc(p->v, cap * sizeof(*v));
		if (!v) {
			p->oom = true;
			return NULL;
		}
		p->v = v;
		p->cap = cap;
	}
	struct md_part *part = &p->v[p->n++];
	*part = (struct md_part){ .kind = kind, .rank = rank, .title = title,
				  .threads = threads };
	return &part->text;
}

void md_parts_free(struct md_parts *p)
{
	for (size_t i = 0; i < p->n; i++)
		cr_buf_free(&p->v[i].text);
	free(p->v);
	*p = (struct md_parts){ 0 };
}

/* Code points in the N bytes at S (UTF-8 continuation bytes not counted). */
static size_t md_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

static size_t part_chars(const struct md_part *part)
{
	return md_chars(part->text.p ? part->text.p : "", part->text.len);
}

/* Where everything left out can be read: the HTML report of this run. */
static void html_pointer(struct cr_buf *b, const struct report_md_options *o,
			 const char *what)
{
	if (o->html_name) {
		char *name = report_md_escape_text(o->html_name);
		if (!name)
			b->oom = true;
		cr_buf_printf(b, "the HTML report %s has %s", name ? name : "", what);
		free(name);
	} else {
		cr_buf_printf(b, "coroner --format html writes a report with %s", what);
	}
}

/* The note for N groups of THREADS threads left out. */
static void groups_note(struct cr_buf *b, const struct report_md_options *o,
			size_t n, size_t threads)
{
	char num[REPORT_NUM_LEN], nthr[REPORT_NUM_LEN], lim[REPORT_NUM_LEN];
	cr_buf_printf(b, "*%s more thread group%s (%s thread%s) left out to "
			  "keep this report under %s characters (--md-budget); ",
			  cr_fmt_count(num, n), n == 1 ? "" : "s",
			  cr_fmt_count(nthr, threads), threads == 1 ? "" : "s",
			  cr_fmt_count(lim, o->budget));
	html_pointer(b, o, "every thread");
	cr_buf_puts(b, ".*\n\n");
}

/* The heading of a section left out, and why. */
static void section_note(struct cr_buf *b, const struct report_md_options *o,
			 const char *title)
{
	char lim[REPORT_NUM_LEN];
	char *t = report_md_escape_text(title ? title : "");
	if (!t)
		b->oom = true;
	cr_buf_printf(b, "## %s\n\n*Left out to keep this report under %s "
			  "characters (--md-budget); ", t ? t : "",
			  cr_fmt_count(lim, o->budget));
	free(t);
	html_pointer(b, o, "it");
	cr_buf_puts(b, ".*\n\n");
}

static size_t note_chars(const struct md_part *part,
			 const struct report_md_options *o)
{
	struct cr_buf b = { 0 };
	if (part->kind == MD_PART_GROUP)	/* the longest it can be */
		groups_note(&b, o, (size_t)999999999, (size_t)999999999);
	else
		section_note(&b, o, part->title);
	size_t n = md_chars(b.p ? b.p : "", b.len);
	cr_buf_free(&b);
	return n;
}

/* Which parts to print (KEEP[i]) under O. */
static void choose(const struct md_parts *p, const struct report_md_options *o,
		   bool *keep)
{
	size_t used = 0;
	bool any_group = false;
	for (size_t i = 0; i < p->n; i++) {
		const struct md_part *part = &p->v[i];
		keep[i] = part->kind == MD_PART_ESSENTIAL ||
			  (part->kind == MD_PART_THREADS && !o->brief);
		if (keep[i])
			used += part_chars(part);
		else if (part->kind == MD_PART_SECTION)
			used += note_chars(part, o);
		else if (part->kind == MD_PART_GROUP && !any_group) {
			used += note_chars(part, o);
			any_group = true;
		}
	}
	if (o->brief)
		return;
	/* Ranks in order; the groups take rank MD_RANK_GROUPS, in order. */
	int rank = -1;
	for (;;) {
		int next = -1;
		for (size_t i = 0; i < p->n; i++) {
			int r = p->v[i].kind == MD_PART_GROUP ? MD_RANK_GROUPS :
				p->v[i].kind == MD_PART_SECTION ? p->v[i].rank : -1;
			if (r > rank && (next < 0 || r < next))
				next = r;
		}
		if (next < 0)
			break;
		rank = next;
		bool groups_full = false;
		for (size_t i = 0; i < p->n; i++) {
			const struct md_part *part = &p->v[i];
			bool group = part->kind == MD_PART_GROUP;
			if (group ? rank != MD_RANK_GROUPS || groups_full :
			    part->kind != MD_PART_SECTION || part->rank != rank)
				continue;
			size_t add = part_chars(part);
			/* A section kept needs no note; the groups' one note
			 * stays reserved until the last group is in. */
			size_t freed = group ? 0 : note_chars(part, o);
			if (used - freed + add <= o->budget) {
				keep[i] = true;
				used = used - freed + add;
			} else if (group) {
				groups_full = true;
			}
		}
	}
}

void md_parts_join(const struct md_parts *p, const struct report_md_options *o,
		   struct cr_buf *out)
{
	struct report_md_options dflt = { .budget = REPORT_MD_BUDGET_DEFAULT };
	if (!o)
		o = &dflt;
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].text.oom)	/* a part left out fails the report too */
			out->oom = true;
	if (p->oom || out->oom) {
		out->oom = true;
		return;
	}
	bool *keep = calloc(p->n ? p->n : 1, sizeof(*keep));
	if (!keep) {
		out->oom = true;
		return;
	}
	if (o->budget || o->brief)
		choose(p, o, keep);
	else
		memset(keep, 1, p->n * sizeof(*keep));

	size_t left_groups = 0, left_threads = 0, left_sections = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (!keep[i] && p->v[i].kind == MD_PART_GROUP) {
			left_groups++;
			left_threads += p->v[i].threads;
		}
	}
	bool groups_noted = false;
	for (size_t i = 0; i < p->n; i++) {
		const struct md_part *part = &p->v[i];
		if (keep[i]) {
			cr_buf_add(out, part->text.p ? part->text.p : "",
				       part->text.len);
			if (part->text.oom)
				out->oom = true;
			continue;
		}
		if (o->brief) {
			left_sections += part->kind == MD_PART_SECTION;
			continue;
		}
		if (part->kind == MD_PART_SECTION) {
			section_note(out, o, part->title);
		} else if (part->kind == MD_PART_GROUP && !groups_noted) {
			groups_note(out, o, left_groups, left_threads);
			groups_noted = true;
		}
	}
	if (o->brief && (left_groups || left_sections)) {
		cr_buf_puts(out, "*Brief report (--brief): the thread above "
				     "only; ");
		html_pointer(out, o, "every thread, the modules and the process");
		cr_buf_puts(out, ".*\n\n");
	}
	free(keep);
}
