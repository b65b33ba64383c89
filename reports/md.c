/*
 * md.c - the Markdown report (GitHub-flavoured, pastable into a ticket).
 *
 * The report is built in memory and written at the end.  Dump strings
 * reach the output through exactly two functions:
 *
 *   md_text()   inline text and GFM table cells: every character that
 *               CommonMark/GFM gives a meaning inline is backslash-escaped
 *               (CommonMark 0.29 §2.4: any ASCII punctuation may be), the
 *               table extension turns "\|" back into "|" inside a cell, and
 *               newlines and control characters become spaces / U+FFFD, so
 *               a value can neither end its line nor its table cell.
 *   md_code()   fenced code blocks (stacks): the block is rendered first,
 *               then fenced with one backtick more than its longest run of
 *               backticks (CommonMark §4.5: a closing fence must be at least
 *               as long as the opening one), so nothing inside can close it.
 *
 * Nothing here writes raw HTML, so a thread name "</td><script>" stays text.
 */
#include "report.h"
#include "md_budget.h"
#include "report_util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Characters with an inline meaning in CommonMark + GFM (emphasis, code,
 * links, autolinks/raw HTML, entities, tables, strikethrough). */
static const char md_special[] = "\\`*_[]<>&|~";

/* ASCII only: CommonMark's flanking rules are about these, and the
 * locale must not change what we escape. */
static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/*
 * Append S to B as inline Markdown text.  LINE_START: S begins a line, so
 * also neutralize what would start a block there (ATX heading "#", list
 * "-"/"+"/"1.", block quote ">", indented code).
 */
static void md_text_at(struct report_buf *b, const char *s, bool line_start)
{
	char *clean = report_clean(s ? s : "", REPORT_CLEAN_FLAT);
	if (!clean) {
		b->oom = true;
		return;
	}
	const char *p = clean;
	if (line_start) {
		while (*p == ' ')
			p++;
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && (*q == '.' || *q == ')')) {
			report_buf_add(b, p, (size_t)(q - p));
			report_buf_putc(b, '\\');
			p = q;
		} else if (*p && strchr("#-+=>", *p)) {
			report_buf_putc(b, '\\');
		}
	}
	/* Trailing spaces would make a hard line break in a paragraph. */
	size_t n = strlen(p);
	while (n && p[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n; i++) {
		/* An intraword "_" (test_app, SEGV_MAPERR) can neither open
		 * nor close emphasis (CommonMark §6.2, rules 2 and 4): leave
		 * it readable. */
		bool intraword = p[i] == '_' && i > 0 && i + 1 < n &&
				 is_alnum(p[i - 1]) && is_alnum(p[i + 1]);
		if (strchr(md_special, p[i]) && !intraword)
			report_buf_putc(b, '\\');
		report_buf_putc(b, p[i]);
	}
	free(clean);
}

static void md_text(struct report_buf *b, const char *s)
{
	md_text_at(b, s, false);
}

char *report_md_escape_text(const char *s)
{
	struct report_buf b = { 0 };
	md_text(&b, s);
	return report_buf_steal(&b);
}

/* Append CONTENT (lines ending in '\n') as a fenced code block. */
static void md_code(struct report_buf *b, const char *content)
{
	size_t longest = 0, run = 0;
	for (const char *p = content; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	size_t fence = longest < 3 ? 3 : longest + 1;
	for (size_t i = 0; i < fence; i++)
		report_buf_putc(b, '`');
	report_buf_puts(b, "text\n");
	report_buf_puts(b, content);
	if (*content && content[strlen(content) - 1] != '\n')
		report_buf_putc(b, '\n');
	for (size_t i = 0; i < fence; i++)
		report_buf_putc(b, '`');
	report_buf_puts(b, "\n\n");
}

char *report_md_code_block(const char *content)
{
	struct report_buf b = { 0 };
	md_code(&b, content ? content : "");
	return report_buf_steal(&b);
}

/* Append S cleaned to one line, padded with spaces to WIDTH columns
 * (counted in code points, which is what a monospace font mostly shows). */
static void code_cell(struct report_buf *b, const char *s, size_t width)
{
	size_t start = b->len;
	report_clean_into(b, s, REPORT_CLEAN_FLAT);
	if (b->oom)
		return;
	size_t cols = 0;
	for (size_t i = start; i < b->len; i++)
		if (((unsigned char)b->p[i] & 0xc0) != 0x80)
			cols++;
	for (; cols < width; cols++)
		report_buf_putc(b, ' ');
}

static size_t utf8_cols(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Columns wider than this are not used to align the others. */
#define MD_MAX_COL 60

/* Render STACK as the text of a code block: one line per frame or fold. */
static void md_stack_lines(struct report_buf *out,
			   const struct cr_analysis *a,
			   const struct cr_stack *s)
{
	struct report_rows it;
	struct report_row row;
	size_t w_idx = 0, w_where = 0, w_mod = 0, w_loc = 0;

	/* First pass: column widths. */
	report_rows_init(&it, s);
	while (report_rows_next(&it, &row)) {
		struct report_frame_text t;
		if (!row.frame)
			continue;
		if (!report_frame_text(a, row.index, row.frame, &t)) {
			out->oom = true;
			return;
		}
		size_t w;
		if ((w = strlen(t.index)) > w_idx)
			w_idx = w;
		w = utf8_cols(t.where) + (t.inlined ? strlen("(inlined) ") : 0);
		if (w > w_where && w <= MD_MAX_COL)
			w_where = w;
		if ((w = utf8_cols(t.module)) > w_mod && w <= MD_MAX_COL)
			w_mod = w;
		if ((w = utf8_cols(t.location)) > w_loc && w <= MD_MAX_COL)
			w_loc = w;
		report_frame_text_free(&t);
	}

	report_rows_init(&it, s);
	while (report_rows_next(&it, &row)) {
		if (row.fold) {
			char *txt = report_fold_text(row.fold);
			if (!txt) {
				out->oom = true;
				return;
			}
			code_cell(out, "", w_idx);
			report_buf_puts(out, "  ... ");
			code_cell(out, txt, 0);
			report_buf_puts(out, " ...\n");
			free(txt);
			continue;
		}
		struct report_frame_text t;
		if (!report_frame_text(a, row.index, row.frame, &t)) {
			out->oom = true;
			return;
		}
		char *where = cr_strdup_printf("%s%s",
					       t.inlined ? "(inlined) " : "",
					       t.where);
		if (!where) {
			report_frame_text_free(&t);
			out->oom = true;
			return;
		}
		code_cell(out, t.index, w_idx);
		report_buf_puts(out, "  ");
		code_cell(out, t.pc, 0);
		report_buf_puts(out, "  ");
		code_cell(out, where, w_where);
		report_buf_puts(out, "  ");
		code_cell(out, t.module, w_mod);
		report_buf_puts(out, "  ");
		code_cell(out, t.location, w_loc);
		report_buf_puts(out, "  [");
		report_buf_puts(out, t.trust);
		report_buf_puts(out, "]\n");
		free(where);
		report_frame_text_free(&t);
	}
	/* Lines end in the padding of empty columns; trim them. */
	if (!out->oom) {
		char *w = out->p, *r = out->p;
		char *line_end_spaces = NULL;
		for (; r < out->p + out->len; r++) {
			if (*r == ' ') {
				if (!line_end_spaces)
					line_end_spaces = w;
			} else if (*r == '\n' && line_end_spaces) {
				w = line_end_spaces;
				line_end_spaces = NULL;
			} else {
				line_end_spaces = NULL;
			}
			*w++ = *r;
		}
		out->len = (size_t)(w - out->p);
		out->p[out->len] = '\0';
	}
}

/* The stack of thread IDX: a code block, then how unwinding ended. */
static void md_stack(struct report_buf *b, const struct cr_analysis *a,
		     size_t idx)
{
	const struct cr_stack *s = &a->threads[idx].stack;
	if (s->nframes) {
		struct report_buf lines = { 0 };
		md_stack_lines(&lines, a, s);
		const char *txt = report_buf_str(&lines);
		if (!txt)
			b->oom = true;
		else
			md_code(b, txt);
		report_buf_free(&lines);
	}
	char *end = report_stack_end_text(s);
	if (end) {
		report_buf_puts(b, "*");
		md_text(b, end);
		report_buf_puts(b, "*\n\n");
		free(end);
	} else if (!s->nframes) {
		report_buf_puts(b, "*No frames.*\n\n");
	}
}

static void md_facts_table(struct report_buf *b, const struct report_facts *f)
{
	if (f->oom) {
		b->oom = true;
		return;
	}
	report_buf_puts(b, "| Fact | Value |\n| --- | --- |\n");
	for (size_t i = 0; i < f->n; i++) {
		report_buf_puts(b, "| ");
		md_text(b, f->v[i].label);
		report_buf_puts(b, " | ");
		md_text(b, f->v[i].value);
		report_buf_puts(b, " |\n");
	}
	report_buf_putc(b, '\n');
}

static void md_crash(struct report_buf *b, const struct cr_analysis *a)
{
	report_buf_puts(b, "## What happened\n\n");
	if (a->crash.cls == CR_CRASH_NONE) {
		md_text_at(b, report_no_crash_text, true);
		report_buf_puts(b, "\n\n");
	}
	struct report_facts f = { 0 };
	report_crash_facts(a, &f);
	if (f.n || f.oom)
		md_facts_table(b, &f);
	report_facts_free(&f);
}

static void md_focus(struct report_buf *b, const struct cr_analysis *a)
{
	char *heading = report_focus_heading(a);
	if (!heading)
		b->oom = true;
	report_buf_puts(b, "## ");
	md_text(b, heading);
	report_buf_puts(b, "\n\n");
	free(heading);
	if (a->focus_thread < 0 || (size_t)a->focus_thread >= a->nthreads) {
		report_buf_puts(b, "No thread was singled out (no crashing or busy "
			"thread found).\n\n");
		return;
	}
	size_t idx = (size_t)a->focus_thread;
	char *label = report_thread_label(a, idx);
	report_buf_puts(b, "Thread ");
	md_text(b, label);
	free(label);
	if (a->threads[idx].state) {
		report_buf_puts(b, ", ");
		md_text(b, a->threads[idx].state);
	}
	report_buf_puts(b, ":\n\n");
	md_stack(b, a, idx);
}

static void md_group(struct report_buf *b, const struct cr_analysis *a,
		     size_t g)
{
	const struct cr_thread_group *grp = &a->groups[g];
	char num[REPORT_NUM_LEN];
	size_t first = SIZE_MAX;
	for (size_t m = 0; m < grp->nmembers; m++) {
		if (grp->members[m] < a->nthreads) {
			first = grp->members[m];
			break;
		}
	}
	report_buf_printf(b, "### Group %zu: %s thread%s\n\n", g + 1,
			  cr_fmt_count(num, grp->nmembers),
			  grp->nmembers == 1 ? "" : "s");
	report_buf_puts(b, "| Thread | Name | State | User CPU | System CPU |\n"
			   "| --- | --- | --- | --- | --- |\n");
	for (size_t m = 0; m < grp->nmembers; m++) {
		size_t ti = grp->members[m];
		if (ti >= a->nthreads)
			continue;
		const struct cr_thread_analysis *ta = &a->threads[ti];
		const struct cr_thread *t = ta->thread;
		char b1[REPORT_NUM_LEN], b2[REPORT_NUM_LEN];
		report_buf_puts(b, "| ");
		if (t && t->tid >= 0)
			report_buf_printf(b, "%" PRId64, t->tid);
		else
			report_buf_printf(b, "#%zu (tid not recorded)", ti);
		if (ta->crashed)
			report_buf_printf(b, " (%s)", report_event_thread_mark(a));
		report_buf_puts(b, " | ");
		md_text(b, t && t->name ? t->name : "not recorded");
		report_buf_puts(b, " | ");
		md_text(b, ta->state ? ta->state : "not recorded");
		report_buf_printf(b, " | %s | %s |\n",
				  report_fmt_cpu(b1, t ? t->user : (struct cr_cpu_time){ 0 }),
				  report_fmt_cpu(b2, t ? t->sys : (struct cr_cpu_time){ 0 }));
	}
	report_buf_putc(b, '\n');
	if (first == SIZE_MAX)
		return;
	for (size_t m = 0; m < grp->nmembers; m++) {
		if (a->focus_thread >= 0 &&
		    grp->members[m] == (size_t)a->focus_thread) {
			/* A ticket reader has just seen it: do not paste it twice. */
			report_buf_puts(b, a->crash.thread < 0 ?
					"Stack: the same as the focus thread's, above.\n\n" :
					a->crash.sent ?
					"Stack: the same as the one above, of the thread "
					"that received it.\n\n" :
					"Stack: the same as the crashing thread's, above.\n\n");
			return;
		}
	}
	if (grp->nmembers > 1)
		report_buf_puts(b, "Stack shared by these threads (first thread's "
				   "addresses):\n\n");
	else
		report_buf_puts(b, "Stack:\n\n");
	md_stack(b, a, first);
}

static void md_modules(struct report_buf *b, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	size_t n = a->nmodules < d->nmodules ? a->nmodules : d->nmodules;
	char range[2 * REPORT_NUM_LEN];

	report_buf_puts(b, "## Modules\n\n");
	if (!n) {
		report_buf_puts(b, "The dump lists no modules.\n\n");
		return;
	}
	struct report_module_cols col;
	report_module_columns(d, &col);
	report_buf_puts(b, "| Path | Address range | Build id | ");
	if (col.code_id)
		report_buf_puts(b, "Code id | ");
	if (col.debug_id)
		report_buf_puts(b, "Debug id | ");
	if (col.debug_file)
		report_buf_puts(b, "Debug file | ");
	report_buf_puts(b, "Binary found | Debug info | Build id mismatch |\n"
			   "| --- | --- | --- | ");
	for (int k = col.code_id + col.debug_id + col.debug_file; k > 0; k--)
		report_buf_puts(b, "--- | ");
	report_buf_puts(b, "--- | --- | --- |\n");
	for (size_t i = 0; i < n; i++) {
		const struct cr_module *m = &d->modules[i];
		const struct cr_module_analysis *ma = &a->modules[i];
		char *bid = report_build_id_hex(m);
		report_buf_puts(b, "| ");
		md_text(b, m->path ? m->path : "not recorded");
		if (m->is_main)
			report_buf_puts(b, " (main)");
		report_buf_printf(b, " | %s | ",
				  report_fmt_range(range, d, m->base, m->size));
		md_text(b, bid ? bid : "not recorded");
		report_buf_puts(b, " | ");
		if (col.code_id) {
			md_text(b, m->code_id ? m->code_id : "");
			report_buf_puts(b, " | ");
		}
		if (col.debug_id) {
			md_text(b, m->debug_id ? m->debug_id : "");
			report_buf_puts(b, " | ");
		}
		if (col.debug_file) {
			md_text(b, m->debug_file ? m->debug_file : "");
			report_buf_puts(b, " | ");
		}
		md_text(b, ma->file ? ma->file : "no");
		if (ma->host_file)
			report_buf_puts(b, " (" CR_HOST_FILE_NOTE ")");
		report_buf_puts(b, " | ");
		if (ma->debug_file)
			md_text(b, ma->debug_file);
		else
			report_buf_puts(b, ma->has_debug_info ? "yes" : "no");
		report_buf_puts(b, ma->mismatch ? " | yes |\n" : " | no |\n");
		free(bid);
	}
	report_buf_putc(b, '\n');

	report_buf_puts(b, "### Modules without a file\n\n");
	size_t missing = 0;
	for (size_t i = 0; i < n; i++) {
		if (a->modules[i].file)
			continue;
		if (!missing++) {
			md_text_at(b, report_missing_modules_text, true);
			report_buf_puts(b, "\n\n");
		}
		const struct cr_module *m = &d->modules[i];
		char *bid = report_build_id_hex(m);
		report_buf_puts(b, "- ");
		md_text(b, m->path ? m->path : "(path not recorded)");
		report_buf_puts(b, " (build id ");
		md_text(b, bid ? bid : "not recorded");
		report_buf_puts(b, ")\n");
		free(bid);
	}
	report_buf_puts(b, missing ? "\n" : "None: every module's binary was "
					    "found.\n\n");
}

/* Modules unloaded before the dump; nothing when the dump lists none. */
static void md_unloaded(struct report_buf *b, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	char range[2 * REPORT_NUM_LEN];
	if (!d->nunloaded)
		return;
	report_buf_puts(b, "## Unloaded modules\n\n");
	md_text_at(b, report_unloaded_text, true);
	report_buf_puts(b, "\n\n| Path | Address range | Code id |\n"
			   "| --- | --- | --- |\n");
	for (size_t i = 0; i < d->nunloaded; i++) {
		const struct cr_module *m = &d->unloaded[i];
		report_buf_puts(b, "| ");
		md_text(b, m->path ? m->path : "not recorded");
		report_buf_puts(b, " | ");
		md_text(b, report_fmt_range(range, d, m->base, m->size));
		report_buf_puts(b, " | ");
		md_text(b, m->code_id ? m->code_id : "");
		report_buf_puts(b, " |\n");
	}
	report_buf_putc(b, '\n');
}

/* Annotations (key -> value); nothing when the dump has none. */
static void md_annotations(struct report_buf *b, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	if (!d->nannotations)
		return;
	report_buf_puts(b, "## Annotations\n\n");
	md_text_at(b, report_annotations_text, true);
	report_buf_puts(b, "\n\n| Module | Key | Value |\n| --- | --- | --- |\n");
	for (size_t i = 0; i < d->nannotations; i++) {
		struct report_annotation_text t;
		report_annotation_text(&d->annotations[i], &t);
		report_buf_puts(b, "| ");
		md_text(b, t.module);
		report_buf_puts(b, " | ");
		md_text(b, t.key);
		report_buf_puts(b, " | ");
		md_text(b, t.value);
		report_buf_puts(b, " |\n");
	}
	report_buf_putc(b, '\n');
}

static void md_problems(struct report_buf *b, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	char num[REPORT_NUM_LEN];
	report_buf_puts(b, "## What is missing from this dump\n\n");
	if (!d->nproblems && !a->nproblems && !d->problems_dropped) {
		report_buf_puts(b, "No problems were recorded while reading "
				   "and analyzing the dump.\n\n");
		return;
	}
	for (size_t i = 0; i < d->nproblems; i++) {
		report_buf_puts(b, "- ");
		md_text(b, d->problems[i]);
		report_buf_putc(b, '\n');
	}
	if (d->problems_dropped)
		report_buf_printf(b, "- ... and %s more problems not kept\n",
				  cr_fmt_count(num, d->problems_dropped));
	for (size_t i = 0; i < a->nproblems; i++) {
		report_buf_puts(b, "- ");
		md_text(b, a->problems[i]);
		report_buf_putc(b, '\n');
	}
	report_buf_putc(b, '\n');
}

/*
 * Render the whole Markdown report of A as parts (md_budget.h), in the
 * order the user reads in: summary, what happened, the focus stack, all
 * threads, modules, unloaded modules, annotations, facts, problems.  The
 * kind and rank of each part say what md_parts_join() keeps first when the
 * report must be cut to its budget.
 */
static void md_report(struct md_parts *p, const struct cr_analysis *a)
{
	struct report_facts f = { 0 };
	char num[REPORT_NUM_LEN];
	struct report_buf *b = md_part_new(p, MD_PART_ESSENTIAL, 0, NULL, 0);
	if (!b)
		return;

	char *title = report_title(a);
	report_buf_puts(b, "# ");
	md_text(b, title ? title : "coroner report");
	report_buf_puts(b, "\n\n");
	free(title);
	if (a->summary) {
		md_text_at(b, a->summary, true);
		report_buf_puts(b, "\n\n");
	}

	md_crash(b, a);
	md_focus(b, a);

	if (!(b = md_part_new(p, MD_PART_THREADS, 0, NULL, 0)))
		return;
	report_buf_printf(b, "## Threads (%s in %s group%s)\n\n",
			  cr_fmt_count(num, a->nthreads),
			  cr_fmt_count((char[REPORT_NUM_LEN]){ 0 }, a->ngroups),
			  a->ngroups == 1 ? "" : "s");
	if (!a->ngroups)
		report_buf_puts(b, "The dump records no threads.\n\n");
	for (size_t g = 0; g < a->ngroups; g++) {
		if (!(b = md_part_new(p, MD_PART_GROUP, 0, NULL,
				      a->groups[g].nmembers)))
			return;
		md_group(b, a, g);
	}

	/* Ranks: the facts before the groups, the long tables after. */
	if (!(b = md_part_new(p, MD_PART_SECTION, MD_RANK_GROUPS + 2, "Modules", 0)))
		return;
	md_modules(b, a);
	if (!(b = md_part_new(p, MD_PART_SECTION, MD_RANK_GROUPS + 3,
			      "Unloaded modules", 0)))
		return;
	md_unloaded(b, a);
	if (!(b = md_part_new(p, MD_PART_SECTION, MD_RANK_GROUPS + 4,
			      "Annotations", 0)))
		return;
	md_annotations(b, a);

	if (!(b = md_part_new(p, MD_PART_SECTION, 1, "Process", 0)))
		return;
	report_buf_puts(b, "## Process\n\n");
	report_process_facts(a, &f);
	md_facts_table(b, &f);
	report_facts_free(&f);

	if (!(b = md_part_new(p, MD_PART_SECTION, 2, "Dump", 0)))
		return;
	report_buf_puts(b, "## Dump\n\n");
	report_dump_facts(a, &f);
	md_facts_table(b, &f);
	report_facts_free(&f);

	if (!(b = md_part_new(p, MD_PART_SECTION, MD_RANK_GROUPS + 1,
			      "What is missing from this dump", 0)))
		return;
	md_problems(b, a);
}

struct cr_error *report_md_write(const struct cr_analysis *a, FILE *f)
{
	return report_md_write_with(a, NULL, f);
}

struct cr_error *report_md_write_with(const struct cr_analysis *a,
				      const struct report_md_options *o,
				      FILE *f)
{
	struct md_parts parts = { 0 };
	struct report_buf b = { 0 };
	md_report(&parts, a);
	md_parts_join(&parts, o, &b);
	md_parts_free(&parts);
	const char *s = report_buf_str(&b);
	if (!s) {
		report_buf_free(&b);
		return &cr_enomem;
	}
	size_t n = strlen(s);
	/* Drop the blank line after the last block. */
	while (n > 1 && s[n - 1] == '\n' && s[n - 2] == '\n')
		n--;
	bool ok = fwrite(s, 1, n, f) == n;
	report_buf_free(&b);
	if (!ok || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the Markdown report failed");
	return NULL;
}
