/*
 * doc_build.c - the analysis turned into the report document, once.
 *
 * This is the one place that decides what a report says and in which
 * order: summary, findings, what happened, the focus thread (stack,
 * registers), the thread groups, modules, unloaded modules, annotations,
 * process, dump, problems.  md.c and html.c print the document it returns;
 * neither knows a dump.  The texts of the facts come from report_util.c,
 * shared with the JSON writer.
 */
#include "cpu.h"
#include "document.h"
#include "report.h"
#include "report_util.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


/*
 * Where system code lives: a module whose path starts with one of these
 * directories, or whose file name starts with one of these names, is a
 * system library; frames in other modules are the program's own.  Matched
 * without regard to case (Windows paths).
 */
static const char *const system_dirs[] = {
	"/lib/", "/lib32/", "/lib64/", "/usr/lib/", "/usr/lib32/",
	"/usr/lib64/", "/usr/libexec/", "/system/", "/apex/", "/usr/lib/system/",
	"c:\\windows\\", "\\windows\\", "\\systemroot\\",
};
static const char *const system_names[] = {
	"libc.so", "libc-", "ld-linux", "ld-musl", "ld64.so", "libpthread",
	"libm.so", "libdl.so", "librt.so", "libstdc++", "libgcc_s", "libc++",
	"linux-vdso", "linux-gate", "[vdso]", "ntdll.dll", "kernel32.dll",
	"kernelbase.dll", "ucrtbase.dll", "msvcrt.dll", "msvcp", "vcruntime",
	"user32.dll", "win32u.dll", "libsystem_", "libdyld", "libobjc",
};

static bool starts_with_nocase(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static bool module_is_system(const char *path)
{
	if (!path)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(system_dirs); i++)
		if (starts_with_nocase(path, system_dirs[i]))
			return true;
	const char *base = cr_basename(path);
	for (size_t i = 0; i < ARRAY_LEN(system_names); i++)
		if (starts_with_nocase(base, system_names[i]))
			return true;
	return false;
}

struct builder {
	struct doc *d;
	const struct cr_analysis *a;
	/* per dump module: its file name and whether it is system code */
	const char **mod_base;
	bool *mod_system;
	size_t nmod, last_hit;
};

/* Whether a frame in the module named BASE (a frame's module is a file
 * name) is the program's own code. */
static bool frame_is_own(struct builder *bd, const char *base)
{
	if (!base || !*base)
		return false;
	for (size_t k = 0; k < bd->nmod; k++) {
		size_t i = (bd->last_hit + k) % bd->nmod;
		if (bd->mod_base[i] && !strcmp(bd->mod_base[i], base)) {
			bd->last_hit = i;
			return !bd->mod_system[i];
		}
	}
	return !module_is_system(base);
}

/* Thread IDX's own user and system time (issue 9): in a kernel core the
 * leader's own is the process total minus the others' (cpu.h), not the
 * "not recorded" of its raw entry. */
static void thread_cpu(const struct cr_analysis *a, size_t idx,
		       struct cr_cpu_time *user, struct cr_cpu_time *sys)
{
	uint64_t u, s;
	*user = *sys = (struct cr_cpu_time){ 0 };
	if (a->dump && cr_thread_cpu_time(a->dump, idx, &u, &s)) {
		*user = (struct cr_cpu_time){ true, u };
		*sys = (struct cr_cpu_time){ true, s };
	}
}

/* The sentence of thread IDX's state, malloc'd (NULL: unknown, or out of
 * memory, which marks the document): the one place it is asked for. */
static char *thread_state(struct doc *d, const struct cr_analysis *a,
			  size_t idx)
{
	return report_thread_state(a, idx, &d->oom);
}

/* The anchor of the section that shows thread IDX's stack. */
static void thread_anchor(const struct cr_analysis *a, size_t idx,
			  char *buf, size_t n)
{
	if (a->focus_thread >= 0 && idx == (size_t)a->focus_thread)
		snprintf(buf, n, "focus");
	else if (idx < a->nthreads && a->threads[idx].group < a->ngroups)
		snprintf(buf, n, "group-%zu", a->threads[idx].group + 1);
	else
		snprintf(buf, n, "threads");
}

static void thread_link(struct builder *bd, struct doc_inline *in, size_t idx)
{
	char anchor[64];
	if (idx >= bd->a->nthreads) {
		doc_spanf(bd->d, in, DOC_SPAN_TEXT, "thread #%zu (not in the dump)",
			  idx);
		return;
	}
	char *label = report_thread_label(bd->a, idx);
	if (!label)
		bd->d->oom = true;
	thread_anchor(bd->a, idx, anchor, sizeof(anchor));
	doc_link(bd->d, in, label, anchor);
	free(label);
}

/* --- stacks ----------------------------------------------------------------- */

static void add_stack(struct builder *bd, struct doc_blocks *in, size_t idx)
{
	const struct cr_stack *s = &bd->a->threads[idx].stack;
	struct doc_block *b = doc_block(bd->d, in, DOC_STACK, "stack");
	if (!b)
		return;
	struct report_rows it;
	struct report_row row;
	report_rows_init(&it, s);
	while (report_rows_next(&it, &row) && !bd->d->oom) {
		struct doc_frame fr = { 0 };
		if (row.fold) {
			fr.fold = report_fold_text(row.fold);
			if (!fr.fold)
				bd->d->oom = true;
			doc_stack_frame(bd->d, b, &fr);
			free(fr.fold);
			continue;
		}
		struct report_frame_text t;
		if (!report_frame_text(bd->a, row.index, row.frame, &t)) {
			bd->d->oom = true;
			break;
		}
		fr.index = t.index;
		fr.pc = t.pc;
		fr.where = t.where;
		fr.module = t.module;
		fr.location = t.location;
		fr.trust = t.trust;
		fr.inlined = t.inlined;
		fr.own = frame_is_own(bd, row.frame->module);
		doc_stack_frame(bd->d, b, &fr);
		report_frame_text_free(&t);
	}
	char *end = report_stack_end_text(s);
	if (end)
		b->stack.end = doc_strdup(bd->d, end);
	free(end);
}

/* --- findings --------------------------------------------------------------- */

/* A number with thousands separators and its unit: "-1,024 bytes". */
static void number_text(char *buf, size_t n, int64_t v, const char *unit)
{
	char num[REPORT_NUM_LEN];
	unsigned long long mag = v < 0 ? 0ull - (unsigned long long)v
				       : (unsigned long long)v;
	snprintf(buf, n, "%s%s%s%s", v < 0 ? "-" : "", cr_fmt_count(num, mag),
		 unit && strcmp(unit, "%") ? " " : "", unit ? unit : "");
}

static void add_evidence(struct builder *bd, struct doc_block *fb,
			 struct doc_block **facts, const struct cr_evidence *ev)
{
	struct doc *d = bd->d;
	const struct cr_analysis *a = bd->a;
	char buf[2 * REPORT_NUM_LEN];

	if (ev->kind == CR_EVIDENCE_CODE || ev->kind == CR_EVIDENCE_TABLE) {
		struct doc_block *p = doc_block(d, &fb->body, DOC_PARA, "label");
		doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT, "%s:",
			  ev->label ? ev->label : "");
		*facts = NULL;	/* facts after this start a new table */
		if (ev->kind == CR_EVIDENCE_CODE) {
			doc_text_block(d, &fb->body, DOC_CODE, ev->u.text);
			return;
		}
		const struct cr_table *t = &ev->u.table;
		struct doc_block *tb = doc_table(d, &fb->body, "evidence",
						 t->ncols,
						 (const char *const *)t->headers,
						 NULL);
		for (size_t r = 0; r < t->nrows; r++)
			doc_row_texts(d, tb, (ssize_t)r == t->marked_row ?
				      "marked" : NULL,
				      (const char *const *)t->cells + r * t->ncols);
		return;
	}
	if (!*facts)
		*facts = doc_facts(d, &fb->body);
	struct doc_inline *row = doc_row(d, *facts, NULL);
	if (!row)
		return;
	doc_span(d, &row[0], DOC_SPAN_TEXT, ev->label ? ev->label : "");
	struct doc_inline *v = &row[1];
	switch (ev->kind) {
	case CR_EVIDENCE_THREAD:
		thread_link(bd, v, ev->u.thread);
		break;
	case CR_EVIDENCE_FRAME: {
		size_t ti = ev->u.frame.thread, fi = ev->u.frame.frame;
		doc_spanf(d, v, DOC_SPAN_TEXT, "frame #%zu", fi);
		if (ti < a->nthreads && fi < a->threads[ti].stack.nframes) {
			struct report_frame_text t;
			if (report_frame_text(a, fi, &a->threads[ti].stack.frames[fi],
					      &t)) {
				doc_span(d, v, DOC_SPAN_TEXT, " ");
				doc_span(d, v, DOC_SPAN_CODE, t.where);
				if (*t.location)
					doc_spanf(d, v, DOC_SPAN_TEXT, " at %s",
						  t.location);
				report_frame_text_free(&t);
			} else {
				d->oom = true;
			}
		}
		doc_span(d, v, DOC_SPAN_TEXT, " of ");
		thread_link(bd, v, ti);
		break;
	}
	case CR_EVIDENCE_ADDRESS:
		doc_span(d, v, DOC_SPAN_CODE,
			 report_fmt_addr(buf, a->dump, ev->u.address.value));
		if (ev->u.address.where)
			doc_spanf(d, v, DOC_SPAN_TEXT, " (%s)",
				  ev->u.address.where);
		break;
	case CR_EVIDENCE_NUMBER:
		number_text(buf, sizeof(buf), ev->u.number.value,
			    ev->u.number.unit);
		doc_span(d, v, DOC_SPAN_TEXT, buf);
		break;
	default:
		doc_span(d, v, DOC_SPAN_TEXT, ev->u.text);
		break;
	}
}

/* Whether F's evidence names its own thread already (no "Thread" row). */
static bool has_thread_evidence(const struct cr_finding *f)
{
	for (size_t e = 0; e < f->nevidence; e++)
		if (f->evidence[e].kind == CR_EVIDENCE_THREAD &&
		    (ssize_t)f->evidence[e].u.thread == f->thread)
			return true;
	return false;
}

static void add_findings(struct builder *bd)
{
	struct doc *d = bd->d;
	const struct cr_findings *fs = &bd->a->findings;
	struct doc_section *sec = doc_section(d, 2, "findings", "Findings");
	if (!sec)
		return;
	if (!fs->n)
		doc_para(d, &sec->blocks, NULL, "The passes concluded nothing "
			 "beyond the facts below.");
	size_t *order = fs->n ? calloc(fs->n, sizeof(*order)) : NULL;
	if (fs->n && !order) {
		d->oom = true;
		return;
	}
	if (order)
		cr_findings_order(fs, order);
	for (size_t k = 0; k < fs->n && !d->oom; k++) {
		const struct cr_finding *f = &fs->items[order[k]];
		const struct cr_finding_info *info = cr_finding_info(f->id);
		struct doc_block *fb = doc_block(d, &sec->blocks, DOC_FINDING,
						 "finding");
		if (!fb)
			break;
		fb->severity = cr_severity_name(f->severity);
		fb->finding_id = info ? info->id : "unknown";
		doc_span(d, &fb->text, DOC_SPAN_TEXT, f->title);
		if (f->detail)
			doc_para(d, &fb->body, NULL, f->detail);
		struct doc_block *facts = NULL;
		if (f->thread >= 0 && !has_thread_evidence(f)) {
			facts = doc_facts(d, &fb->body);
			struct doc_inline *row = doc_row(d, facts, NULL);
			if (row) {
				doc_span(d, &row[0], DOC_SPAN_TEXT, "Thread");
				thread_link(bd, &row[1], (size_t)f->thread);
			}
		}
		for (size_t e = 0; e < f->nevidence; e++)
			add_evidence(bd, fb, &facts, &f->evidence[e]);
		if (info && info->recommendation && *info->recommendation) {
			struct doc_block *p = doc_block(d, &fb->body, DOC_PARA,
							"label");
			doc_span(d, p ? &p->text : NULL, DOC_SPAN_STRONG,
				 "What to do next");
			struct doc_block *md = doc_text_block(
				d, &fb->body, DOC_MARKDOWN, info->recommendation);
			if (md)
				md->finding_id = info->id;
		}
	}
	free(order);
	if (fs->dropped) {
		char num[REPORT_NUM_LEN];
		struct doc_block *p = doc_block(d, &sec->blocks, DOC_PARA, "note");
		doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT,
			  "... and %s more findings not kept.",
			  cr_fmt_count(num, fs->dropped));
	}
}

/* --- crash, focus, threads ----------------------------------------------------- */

static void add_report_facts(struct doc *d, struct doc_blocks *in,
			     const struct report_facts *f)
{
	if (f->oom) {
		d->oom = true;
		return;
	}
	struct doc_block *b = doc_facts(d, in);
	for (size_t i = 0; i < f->n; i++) {
		struct doc_inline *row = doc_row(d, b, NULL);
		if (!row)
			return;
		doc_span(d, &row[0], DOC_SPAN_TEXT, f->v[i].label);
		doc_span(d, &row[1], DOC_SPAN_TEXT, f->v[i].value);
	}
}

static void add_crash(struct builder *bd)
{
	struct doc_section *sec = doc_section(bd->d, 2, "crash", "What happened");
	if (!sec)
		return;
	if (bd->a->crash.cls == CR_CRASH_NONE)
		doc_para(bd->d, &sec->blocks, NULL, report_no_crash_text);
	struct report_facts f = { 0 };
	report_crash_facts(bd->a, &f);
	if (f.n || f.oom)
		add_report_facts(bd->d, &sec->blocks, &f);
	report_facts_free(&f);
}

/* Register/value pairs per row of the registers table: 26 rows of an
 * x86_64 core would be most of a screen; 3 pairs keep a row narrow. */
#define REG_PAIRS 3

/* The registers of thread IDX its stack starts from (cr_thread_regs: the
 * exception context for the crashing thread), by their names. */
static void add_registers(struct builder *bd, size_t idx)
{
	const struct cr_thread *t = bd->a->threads[idx].thread;
	enum cr_arch arch = bd->a->dump->process.arch;
	static const char *const heads[2 * REG_PAIRS] = {
		"Register", "Value", "Register", "Value", "Register", "Value"
	};
	static const enum doc_col cols[2 * REG_PAIRS] = {
		DOC_COL_CODE, DOC_COL_ADDRESS, DOC_COL_CODE, DOC_COL_ADDRESS,
		DOC_COL_CODE, DOC_COL_ADDRESS
	};
	if (!t)
		return;
	struct doc_block *b = NULL;
	struct doc_inline *row = NULL;
	size_t k = 0;
	char buf[REPORT_NUM_LEN], name[24];
	for (unsigned n = 0; n < CR_MAX_REGS; n++) {
		uint64_t v;
		if (!cr_regs_get(cr_thread_regs(bd->a->dump, t), n, &v))
			continue;
		if (!b) {
			struct doc_section *sec = doc_section(bd->d, 3, "registers",
							      "Registers");
			if (!sec)
				return;
			b = doc_table(bd->d, &sec->blocks, "registers",
				      2 * REG_PAIRS, heads, cols);
		}
		const char *rn = cr_arch_reg_name(arch, n);
		if (!rn) {
			snprintf(name, sizeof(name), "dwarf%u", n);
			rn = name;
		}
		if (k % REG_PAIRS == 0)
			row = doc_row(bd->d, b, NULL);
		if (!row)
			return;
		doc_span(bd->d, &row[2 * (k % REG_PAIRS)], DOC_SPAN_TEXT, rn);
		doc_span(bd->d, &row[2 * (k % REG_PAIRS) + 1], DOC_SPAN_TEXT,
			 report_fmt_addr(buf, bd->a->dump, v));
		k++;
	}
}

static void add_focus(struct builder *bd)
{
	struct doc *d = bd->d;
	const struct cr_analysis *a = bd->a;
	char *heading = report_focus_heading(a);
	if (!heading)
		d->oom = true;
	struct doc_section *sec = doc_section(d, 2, "focus", heading);
	free(heading);
	if (!sec)
		return;
	if (a->focus_thread < 0 || (size_t)a->focus_thread >= a->nthreads) {
		doc_para(d, &sec->blocks, NULL, "No thread was singled out (no "
			 "crashing or busy thread found).");
		return;
	}
	size_t idx = (size_t)a->focus_thread;
	struct doc_block *p = doc_block(d, &sec->blocks, DOC_PARA, NULL);
	char *label = report_thread_label(a, idx);
	if (!label)
		d->oom = true;
	char *state = thread_state(d, a, idx);
	doc_spanf(d, p ? &p->text : NULL, DOC_SPAN_TEXT, "Thread %s%s%s:",
		  label ? label : "", state ? ", " : "", state ? state : "");
	free(label);
	free(state);
	add_stack(bd, &sec->blocks, idx);
	if (a->threads[idx].stack.nframes)
		doc_para(d, &sec->blocks, "legend", doc_trust_legend);
	add_registers(bd, idx);
}

static void add_group(struct builder *bd, size_t g)
{
	struct doc *d = bd->d;
	const struct cr_analysis *a = bd->a;
	const struct cr_thread_group *grp = &a->groups[g];
	char num[REPORT_NUM_LEN], id[32];
	size_t first = SIZE_MAX;
	bool has_focus = false;
	for (size_t m = 0; m < grp->nmembers; m++) {
		size_t ti = grp->members[m];
		if (ti >= a->nthreads)
			continue;
		if (first == SIZE_MAX)
			first = ti;
		if (a->focus_thread >= 0 && ti == (size_t)a->focus_thread)
			has_focus = true;
	}
	char *title = NULL;
	const char *top = NULL;
	struct report_frame_text t = { 0 };
	if (first != SIZE_MAX && a->threads[first].stack.nframes) {
		if (report_frame_text(a, 0, &a->threads[first].stack.frames[0], &t))
			top = t.where;
		else
			d->oom = true;
	}
	title = cr_strdup_printf("Group %zu: %s thread%s%s%s", g + 1,
				 cr_fmt_count(num, grp->nmembers),
				 grp->nmembers == 1 ? "" : "s",
				 top ? " in " : "", top ? top : "");
	if (top)
		report_frame_text_free(&t);
	if (!title)
		d->oom = true;
	snprintf(id, sizeof(id), "group-%zu", g + 1);
	struct doc_section *sec = doc_section(d, 3, id, title);
	free(title);
	if (!sec)
		return;
	sec->collapsible = true;
	sec->open = has_focus;
	sec->keep = DOC_KEEP_GROUP;
	sec->threads = a->groups[g].nmembers;

	static const char *const heads[] = { "Thread", "Name", "State",
					     "User CPU", "System CPU" };
	static const enum doc_col cols[] = { DOC_COL_NUMBER, DOC_COL_TEXT,
					     DOC_COL_TEXT, DOC_COL_NUMBER,
					     DOC_COL_NUMBER };
	struct doc_block *tb = doc_table(d, &sec->blocks, "members", 5, heads,
					 cols);
	for (size_t m = 0; m < grp->nmembers && !d->oom; m++) {
		size_t ti = grp->members[m];
		if (ti >= a->nthreads)
			continue;
		const struct cr_thread_analysis *ta = &a->threads[ti];
		const struct cr_thread *th = ta->thread;
		struct cr_cpu_time user, sys;
		char b1[REPORT_NUM_LEN], b2[REPORT_NUM_LEN];
		struct doc_inline *row = doc_row(d, tb, ta->crashed ? "crashed"
								    : NULL);
		if (!row)
			break;
		if (th && th->tid >= 0)
			doc_spanf(d, &row[0], DOC_SPAN_TEXT, "%" PRId64, th->tid);
		else
			doc_spanf(d, &row[0], DOC_SPAN_TEXT,
				  "#%zu (tid not recorded)", ti);
		if (ta->crashed)
			doc_span(d, &row[0], DOC_SPAN_TAG,
				 report_event_thread_mark(a));
		char *state = thread_state(d, a, ti);
		doc_span(d, &row[1], DOC_SPAN_TEXT,
			 th && th->name ? th->name : "not recorded");
		doc_span(d, &row[2], DOC_SPAN_TEXT, state ? state : "not recorded");
		free(state);
		thread_cpu(a, ti, &user, &sys);
		doc_span(d, &row[3], DOC_SPAN_TEXT, report_fmt_cpu(b1, user));
		doc_span(d, &row[4], DOC_SPAN_TEXT, report_fmt_cpu(b2, sys));
	}
	if (first == SIZE_MAX)
		return;
	if (has_focus) {
		/* The reader has just seen it: it is printed once. */
		struct doc_block *p = doc_block(d, &sec->blocks, DOC_PARA, NULL);
		struct doc_inline *in = p ? &p->text : NULL;
		doc_span(d, in, DOC_SPAN_TEXT, "Stack: the same as ");
		doc_link(d, in, a->crash.thread < 0 ? "the focus thread's" :
			 a->crash.sent ? "the one of the thread that received it" :
			 "the crashing thread's", "focus");
		doc_span(d, in, DOC_SPAN_TEXT, ", above.");
		return;
	}
	doc_para(d, &sec->blocks, NULL, grp->nmembers > 1 ?
		 "Stack shared by these threads (first thread's addresses):" :
		 "Stack:");
	add_stack(bd, &sec->blocks, first);
}

static void add_threads(struct builder *bd)
{
	const struct cr_analysis *a = bd->a;
	char n1[REPORT_NUM_LEN], n2[REPORT_NUM_LEN];
	char *title = cr_strdup_printf("Threads (%s in %s group%s)",
				       cr_fmt_count(n1, a->nthreads),
				       cr_fmt_count(n2, a->ngroups),
				       a->ngroups == 1 ? "" : "s");
	if (!title)
		bd->d->oom = true;
	struct doc_section *sec = doc_section(bd->d, 2, "threads", title);
	free(title);
	if (sec)
		sec->keep = DOC_KEEP_THREADS;
	if (sec && !a->ngroups)
		doc_para(bd->d, &sec->blocks, NULL, "The dump records no threads.");
	for (size_t g = 0; g < a->ngroups && !bd->d->oom; g++)
		add_group(bd, g);
}

/* --- modules and the rest ------------------------------------------------------ */

static void add_modules(struct builder *bd)
{
	struct doc *d = bd->d;
	const struct cr_analysis *a = bd->a;
	const struct cr_dump *dm = a->dump;
	size_t n = a->nmodules < dm->nmodules ? a->nmodules : dm->nmodules;
	char range[2 * REPORT_NUM_LEN];

	struct doc_section *sec = doc_section(d, 2, "modules", "Modules");
	if (!sec)
		return;
	sec->keep = DOC_KEEP_RANKED;
	sec->rank = DOC_RANK_GROUPS + 2;
	if (!n) {
		doc_para(d, &sec->blocks, NULL, "The dump lists no modules.");
		return;
	}
	struct report_module_cols col;
	report_module_columns(dm, &col);
	static const char *const all_heads[] = {
		"Path", "Address range", "Build id", "Code id", "Debug id",
		"Debug file", "Version", "Binary found", "Debug info",
		"Build id mismatch"
	};
	static const enum doc_col all_cols[] = {
		DOC_COL_PATH, DOC_COL_RANGE, DOC_COL_CODE, DOC_COL_CODE,
		DOC_COL_CODE, DOC_COL_PATH, DOC_COL_TEXT, DOC_COL_PATH,
		DOC_COL_PATH, DOC_COL_TEXT
	};
	const bool shown[] = { true, true, true, col.code_id, col.debug_id,
			       col.debug_file, col.version, true, true, true };
	const char *heads[ARRAY_LEN(all_heads)];
	enum doc_col cols[ARRAY_LEN(all_heads)];
	size_t nc = 0;
	for (size_t i = 0; i < ARRAY_LEN(all_heads); i++) {
		if (!shown[i])
			continue;
		heads[nc] = all_heads[i];
		cols[nc++] = all_cols[i];
	}
	struct doc_block *tb = doc_table(d, &sec->blocks, "modules", nc, heads,
					 cols);
	for (size_t i = 0; i < n && !d->oom; i++) {
		const struct cr_module *m = &dm->modules[i];
		const struct cr_module_analysis *ma = &a->modules[i];
		char *bid = report_build_id_hex(m);
		const char *vals[] = {
			m->path ? m->path : "not recorded",
			report_fmt_range(range, dm, m->base, m->size),
			bid ? bid : "not recorded",
			m->code_id, m->debug_id, m->debug_file, m->version,
			ma->file ? ma->file : "no",
			ma->debug_file ? ma->debug_file
				       : ma->has_debug_info ? "yes" : "no",
			ma->mismatch ? "yes" : "no",
		};
		struct doc_inline *row = doc_row(d, tb, NULL);
		for (size_t c = 0, k = 0; row && c < ARRAY_LEN(all_heads); c++) {
			if (!shown[c])
				continue;
			if (vals[c] && *vals[c])
				doc_span(d, &row[k], DOC_SPAN_TEXT, vals[c]);
			if (c == 0 && m->is_main)
				doc_span(d, &row[k], DOC_SPAN_TAG, "main");
			if (c == 7 && ma->host_file)
				doc_span(d, &row[k], DOC_SPAN_TAG,
					 CR_HOST_FILE_NOTE);
			k++;
		}
		free(bid);
	}

	sec = doc_section(d, 3, "modules-without-a-file",
			  "Modules without a file");
	struct doc_block *list = NULL;
	for (size_t i = 0; sec && i < n && !d->oom; i++) {
		if (a->modules[i].file)
			continue;
		if (!list) {
			doc_para(d, &sec->blocks, NULL, report_missing_modules_text);
			list = doc_block(d, &sec->blocks, DOC_LIST, NULL);
		}
		const struct cr_module *m = &dm->modules[i];
		char *bid = report_build_id_hex(m);
		struct doc_inline *it = doc_item(d, list);
		doc_span(d, it, DOC_SPAN_TEXT, m->path ? m->path
						     : "(path not recorded)");
		doc_span(d, it, DOC_SPAN_TEXT, " (build id ");
		doc_span(d, it, DOC_SPAN_CODE, bid ? bid : "not recorded");
		doc_span(d, it, DOC_SPAN_TEXT, ")");
		free(bid);
	}
	if (sec && !list)
		doc_para(d, &sec->blocks, NULL,
			 "None: every module's binary was found.");
}

static void add_unloaded(struct builder *bd)
{
	const struct cr_dump *dm = bd->a->dump;
	char range[2 * REPORT_NUM_LEN];
	static const char *const heads[] = { "Path", "Address range", "Code id" };
	static const enum doc_col cols[] = { DOC_COL_PATH, DOC_COL_RANGE,
					     DOC_COL_CODE };
	if (!dm->nunloaded)
		return;
	struct doc_section *sec = doc_section(bd->d, 2, "unloaded-modules",
					      "Unloaded modules");
	if (!sec)
		return;
	sec->keep = DOC_KEEP_RANKED;
	sec->rank = DOC_RANK_GROUPS + 3;
	doc_para(bd->d, &sec->blocks, NULL, report_unloaded_text);
	struct doc_block *tb = doc_table(bd->d, &sec->blocks, "unloaded", 3,
					 heads, cols);
	for (size_t i = 0; i < dm->nunloaded && !bd->d->oom; i++) {
		const struct cr_module *m = &dm->unloaded[i];
		const char *cells[] = {
			m->path ? m->path : "not recorded",
			report_fmt_range(range, dm, m->base, m->size), m->code_id
		};
		doc_row_texts(bd->d, tb, NULL, cells);
	}
}

static void add_annotations(struct builder *bd)
{
	const struct cr_dump *dm = bd->a->dump;
	static const char *const heads[] = { "Module", "Key", "Value" };
	if (!dm->nannotations)
		return;
	struct doc_section *sec = doc_section(bd->d, 2, "annotations",
					      "Annotations");
	if (!sec)
		return;
	sec->keep = DOC_KEEP_RANKED;
	sec->rank = DOC_RANK_GROUPS + 4;
	doc_para(bd->d, &sec->blocks, NULL, report_annotations_text);
	struct doc_block *tb = doc_table(bd->d, &sec->blocks, "annotations", 3,
					 heads, NULL);
	for (size_t i = 0; i < dm->nannotations && !bd->d->oom; i++) {
		struct report_annotation_text t;
		report_annotation_text(&dm->annotations[i], &t);
		const char *cells[] = { t.module, t.key, t.value };
		doc_row_texts(bd->d, tb, NULL, cells);
	}
}

/* A section of facts, kept by a budget with RANK (the process and the dump
 * come before the thread groups). */
static void add_facts_section(struct builder *bd, const char *id,
			      const char *title, int rank,
			      void (*facts)(const struct cr_analysis *,
					    struct report_facts *))
{
	struct doc_section *sec = doc_section(bd->d, 2, id, title);
	if (sec) {
		sec->keep = DOC_KEEP_RANKED;
		sec->rank = rank;
	}
	struct report_facts f = { 0 };
	facts(bd->a, &f);
	if (sec)
		add_report_facts(bd->d, &sec->blocks, &f);
	report_facts_free(&f);
}

static void add_problems(struct builder *bd)
{
	const struct cr_analysis *a = bd->a;
	struct doc_section *sec = doc_section(bd->d, 2, "problems",
					      "What is missing from this dump");
	if (!sec)
		return;
	sec->keep = DOC_KEEP_RANKED;
	sec->rank = DOC_RANK_GROUPS + 1;
	size_t n = report_nproblems(a);
	char *dropped = report_problems_dropped_line(a);
	if (!n && !dropped) {
		doc_para(bd->d, &sec->blocks, NULL, "No problems were recorded "
			 "while reading and analyzing the dump.");
		return;
	}
	struct doc_block *list = doc_block(bd->d, &sec->blocks, DOC_LIST, NULL);
	struct report_problem_tmp tmp;
	for (size_t i = 0; i < n; i++) {
		char *line = report_problem_line(a, report_problem(a, i, &tmp));
		if (!line)
			bd->d->oom = true;
		doc_item_text(bd->d, list, line ? line : "(out of memory)");
		free(line);
	}
	if (dropped)
		doc_item_text(bd->d, list, dropped);
	free(dropped);
}

struct doc *doc_build(const struct cr_analysis *a)
{
	struct doc *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	struct builder bd = { .d = d, .a = a };
	const struct cr_dump *dm = a->dump;
	if (dm->nmodules) {
		bd.mod_base = calloc(dm->nmodules, sizeof(*bd.mod_base));
		bd.mod_system = calloc(dm->nmodules, sizeof(*bd.mod_system));
		if (!bd.mod_base || !bd.mod_system)
			d->oom = true;
		else
			bd.nmod = dm->nmodules;
		for (size_t i = 0; i < bd.nmod; i++) {
			const char *p = dm->modules[i].path;
			bd.mod_base[i] = p ? cr_basename(p) : NULL;
			bd.mod_system[i] = module_is_system(p);
		}
	}

	char *title = report_title(a);
	d->title = title ? doc_strdup(d, title) : NULL;
	if (!d->title)
		d->oom = true;
	free(title);
	if (a->summary)
		doc_span(d, &d->summary, DOC_SPAN_TEXT, a->summary);
	d->summary_cls = a->crash.cls == CR_CRASH_NONE ? "summary no-crash"
						       : "summary crash";
	add_findings(&bd);
	add_crash(&bd);
	add_focus(&bd);
	add_threads(&bd);
	doc_add_memory(d, a);
	add_modules(&bd);
	add_unloaded(&bd);
	add_annotations(&bd);
	add_facts_section(&bd, "process", "Process", 1, report_process_facts);
	add_facts_section(&bd, "dump", "Dump", 2, report_dump_facts);
	add_problems(&bd);

	free(bd.mod_base);
	free(bd.mod_system);
	if (d->oom) {
		doc_free(d);
		return NULL;
	}
	return d;
}
