/*
 * html.c - the HTML report: one self-contained file.
 *
 * The page is built as a libxml2 document tree and serialized by libxml2,
 * never by pasting strings together: every dump string becomes a text node
 * (cleaned to valid UTF-8 without control characters first), and the
 * serializer escapes "<", ">" and "&" in text.  So a thread name such as
 * "</td><script>" is printed as those characters and cannot add an element.
 *
 * The only raw text is the style sheet below, a constant.  There are no
 * scripts and no external resources (fonts, images, links), so the file
 * can be attached to a ticket and opened offline.  Each thread group's
 * stack is a <details> element; the focus thread's group starts open.
 */
#include "report.h"
#include "report_util.h"
#include "util.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>

static const char html_css[] =
	"body{font:15px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,"
	"sans-serif;color:#1b1b1b;background:#fff;max-width:72rem;"
	"margin:2rem auto;padding:0 1rem}\n"
	"h1{font-size:1.5rem;margin:0 0 .5rem}\n"
	"h2{font-size:1.2rem;border-bottom:1px solid #d0d7de;"
	"padding-bottom:.2rem;margin-top:2rem}\n"
	"h3{font-size:1.05rem}\n"
	".summary{font-size:1.05rem;background:#f6f8fa;"
	"border-left:4px solid #b42318;padding:.6rem .9rem}\n"
	"table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}\n"
	"th,td{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;"
	"vertical-align:top;overflow-wrap:anywhere}\n"
	"th{background:#f6f8fa;font-weight:600}\n"
	"table.facts th{white-space:nowrap}\n"
	"table.stack td,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,"
	"Consolas,\"Liberation Mono\",monospace;font-size:.85rem}\n"
	"table.stack td.num{text-align:right;color:#57606a}\n"
	"tr.inlined td{color:#57606a}\n"
	"tr.fold td{font-style:italic;background:#fff8c5}\n"
	".tag{font-size:.75rem;border:1px solid #d0d7de;border-radius:3px;"
	"padding:0 .25rem;margin-right:.3rem;color:#57606a}\n"
	".crashed{color:#b42318;font-weight:600}\n"
	"details{margin:.6rem 0;border:1px solid #d0d7de;border-radius:6px;"
	"padding:.3rem .7rem}\n"
	"summary{cursor:pointer;font-weight:600}\n"
	".note{color:#57606a;font-style:italic}\n"
	"footer{margin-top:2rem;color:#57606a;font-size:.85rem}\n"
	"@media print{body{margin:0;max-width:none;font-size:10pt}"
	"details{border:none;padding:0}summary{list-style:none}"
	"tr{break-inside:avoid}}\n";

struct html {
	xmlDocPtr doc;
	const struct cr_analysis *a;
	bool oom;
};

/* A new element NAME under PARENT; NULL (and h->oom) on failure.  A NULL
 * parent (an earlier failure) gives NULL, so callers need not check. */
static xmlNodePtr el(struct html *h, xmlNodePtr parent, const char *name)
{
	if (!parent)
		return NULL;
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	if (!n)
		h->oom = true;
	return n;
}

/* Append S as text (cleaned: valid UTF-8, one line, no controls). */
static void text(struct html *h, xmlNodePtr parent, const char *s)
{
	if (!parent || !s)
		return;
	char *clean = report_clean(s, REPORT_CLEAN_FLAT);
	xmlNodePtr t = clean ? xmlNewDocText(h->doc, BAD_CAST clean) : NULL;
	free(clean);
	if (!t || !xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		h->oom = true;
	}
}

static xmlNodePtr el_text(struct html *h, xmlNodePtr parent,
			  const char *name, const char *s)
{
	xmlNodePtr n = el(h, parent, name);
	text(h, n, s);
	return n;
}

/* Attribute values are constants or numbers we made, never dump text. */
static void attr(struct html *h, xmlNodePtr n, const char *name,
		 const char *value)
{
	if (n && !xmlNewProp(n, BAD_CAST name, BAD_CAST value))
		h->oom = true;
}

static void html_facts(struct html *h, xmlNodePtr parent,
		       const struct report_facts *f)
{
	if (f->oom) {
		h->oom = true;
		return;
	}
	xmlNodePtr table = el(h, parent, "table");
	attr(h, table, "class", "facts");
	for (size_t i = 0; i < f->n; i++) {
		xmlNodePtr tr = el(h, table, "tr");
		xmlNodePtr th = el_text(h, tr, "th", f->v[i].label);
		attr(h, th, "scope", "row");
		el_text(h, tr, "td", f->v[i].value);
	}
}

static void html_stack(struct html *h, xmlNodePtr parent, size_t idx)
{
	const struct cr_stack *s = &h->a->threads[idx].stack;
	if (s->nframes) {
		xmlNodePtr table = el(h, parent, "table");
		attr(h, table, "class", "stack");
		xmlNodePtr tr = el(h, table, "tr");
		static const char *const heads[] = { "#", "Address", "Function",
						     "Module", "Source", "Trust" };
		for (size_t i = 0; i < ARRAY_LEN(heads); i++)
			el_text(h, tr, "th", heads[i]);

		struct report_rows it;
		struct report_row row;
		report_rows_init(&it, s);
		while (report_rows_next(&it, &row) && !h->oom) {
			tr = el(h, table, "tr");
			if (row.fold) {
				char *txt = report_fold_text(row.fold);
				if (!txt)
					h->oom = true;
				attr(h, tr, "class", "fold");
				xmlNodePtr td = el_text(h, tr, "td", txt);
				attr(h, td, "colspan", "6");
				free(txt);
				continue;
			}
			struct report_frame_text t;
			if (!report_frame_text(h->a, row.index, row.frame, &t)) {
				h->oom = true;
				break;
			}
			if (t.inlined)
				attr(h, tr, "class", "inlined");
			attr(h, el_text(h, tr, "td", t.index), "class", "num");
			el_text(h, tr, "td", t.pc);
			xmlNodePtr fn = el(h, tr, "td");
			if (t.inlined)
				attr(h, el_text(h, fn, "span", "inlined"),
				     "class", "tag");
			text(h, fn, t.where);
			el_text(h, tr, "td", t.module);
			el_text(h, tr, "td", t.location);
			el_text(h, tr, "td", t.trust);
			report_frame_text_free(&t);
		}
	}
	char *end = report_stack_end_text(s);
	if (end || !s->nframes)
		attr(h, el_text(h, parent, "p", end ? end : "No frames."),
		     "class", "note");
	free(end);
}

static void html_crash(struct html *h, xmlNodePtr body)
{
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "crash");
	el_text(h, sec, "h2", "What happened");
	if (h->a->crash.cls == CR_CRASH_NONE)
		el_text(h, sec, "p", report_no_crash_text);
	struct report_facts f = { 0 };
	report_crash_facts(h->a, &f);
	if (f.n || f.oom)
		html_facts(h, sec, &f);
	report_facts_free(&f);
}

static void html_focus(struct html *h, xmlNodePtr body)
{
	const struct cr_analysis *a = h->a;
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "focus");
	char *heading = report_focus_heading(a);
	if (!heading)
		h->oom = true;
	el_text(h, sec, "h2", heading ? heading : "");
	free(heading);
	if (a->focus_thread < 0 || (size_t)a->focus_thread >= a->nthreads) {
		el_text(h, sec, "p", "No thread was singled out (no crashing "
				     "or busy thread found).");
		return;
	}
	size_t idx = (size_t)a->focus_thread;
	xmlNodePtr det = el(h, sec, "details");
	attr(h, det, "open", NULL);
	xmlNodePtr sum = el(h, det, "summary");
	char *label = report_thread_label(a, idx);
	if (!label)
		h->oom = true;
	text(h, sum, "Thread ");
	text(h, sum, label);
	free(label);
	if (a->threads[idx].state) {
		text(h, sum, ", ");
		text(h, sum, a->threads[idx].state);
	}
	html_stack(h, det, idx);
}

static void html_group(struct html *h, xmlNodePtr parent, size_t g)
{
	const struct cr_analysis *a = h->a;
	const struct cr_thread_group *grp = &a->groups[g];
	char num[64], b1[REPORT_NUM_LEN], b2[REPORT_NUM_LEN];
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

	xmlNodePtr det = el(h, parent, "details");
	if (has_focus)
		attr(h, det, "open", NULL);
	xmlNodePtr sum = el(h, det, "summary");
	char *head = cr_strdup_printf("Group %zu: %s thread%s", g + 1,
				      cr_fmt_count(num, grp->nmembers),
				      grp->nmembers == 1 ? "" : "s");
	if (!head)
		h->oom = true;
	text(h, sum, head);
	free(head);
	if (first != SIZE_MAX && a->threads[first].stack.nframes) {
		struct report_frame_text t;
		const struct cr_frame *top = &a->threads[first].stack.frames[0];
		if (report_frame_text(a, 0, top, &t)) {
			text(h, sum, " in ");
			text(h, sum, t.where);
			report_frame_text_free(&t);
		} else {
			h->oom = true;
		}
	}

	xmlNodePtr table = el(h, det, "table");
	attr(h, table, "class", "members");
	xmlNodePtr tr = el(h, table, "tr");
	static const char *const heads[] = { "Thread", "Name", "State",
					     "User CPU", "System CPU" };
	for (size_t i = 0; i < ARRAY_LEN(heads); i++)
		el_text(h, tr, "th", heads[i]);
	for (size_t m = 0; m < grp->nmembers && !h->oom; m++) {
		size_t ti = grp->members[m];
		if (ti >= a->nthreads)
			continue;
		const struct cr_thread_analysis *ta = &a->threads[ti];
		const struct cr_thread *t = ta->thread;
		struct cr_cpu_time none = { 0 };
		tr = el(h, table, "tr");
		xmlNodePtr td = el(h, tr, "td");
		attr(h, td, "class", "mono");
		if (t && t->tid >= 0)
			snprintf(num, sizeof(num), "%" PRId64, t->tid);
		else
			snprintf(num, sizeof(num), "#%zu (tid not recorded)", ti);
		text(h, td, num);
		if (ta->crashed) {
			char mark[64];
			snprintf(mark, sizeof(mark), " %s", report_event_thread_mark(a));
			attr(h, el_text(h, td, "span", mark), "class", "crashed");
		}
		el_text(h, tr, "td", t && t->name ? t->name : "not recorded");
		el_text(h, tr, "td", ta->state ? ta->state : "not recorded");
		el_text(h, tr, "td", report_fmt_cpu(b1, t ? t->user : none));
		el_text(h, tr, "td", report_fmt_cpu(b2, t ? t->sys : none));
	}
	if (first == SIZE_MAX)
		return;
	if (grp->nmembers > 1)
		el_text(h, det, "p", "Stack shared by these threads (first "
				     "thread's addresses):");
	html_stack(h, det, first);
}

static void html_modules(struct html *h, xmlNodePtr body)
{
	const struct cr_analysis *a = h->a;
	const struct cr_dump *d = a->dump;
	size_t n = a->nmodules < d->nmodules ? a->nmodules : d->nmodules;
	char range[2 * REPORT_NUM_LEN];

	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "modules");
	el_text(h, sec, "h2", "Modules");
	if (!n) {
		el_text(h, sec, "p", "The dump lists no modules.");
		return;
	}
	xmlNodePtr table = el(h, sec, "table");
	attr(h, table, "class", "modules");
	xmlNodePtr tr = el(h, table, "tr");
	struct report_module_cols col;
	report_module_columns(d, &col);
	static const char *const heads[] = {
		"Path", "Address range", "Build id", "Code id", "Debug id",
		"Debug file", "Binary found", "Debug info", "Build id mismatch"
	};
	const bool shown[] = { true, true, true, col.code_id, col.debug_id,
			       col.debug_file, true, true, true };
	for (size_t i = 0; i < ARRAY_LEN(heads); i++)
		if (shown[i])
			el_text(h, tr, "th", heads[i]);
	for (size_t i = 0; i < n && !h->oom; i++) {
		const struct cr_module *m = &d->modules[i];
		const struct cr_module_analysis *ma = &a->modules[i];
		char *bid = report_build_id_hex(m);
		tr = el(h, table, "tr");
		xmlNodePtr td = el_text(h, tr, "td",
					m->path ? m->path : "not recorded");
		if (m->is_main)
			attr(h, el_text(h, td, "span", " main"), "class", "tag");
		attr(h, el_text(h, tr, "td",
				report_fmt_range(range, d, m->base, m->size)),
		     "class", "mono");
		attr(h, el_text(h, tr, "td", bid ? bid : "not recorded"),
		     "class", "mono");
		if (col.code_id)
			attr(h, el_text(h, tr, "td", m->code_id ? m->code_id : ""),
			     "class", "mono");
		if (col.debug_id)
			attr(h, el_text(h, tr, "td", m->debug_id ? m->debug_id : ""),
			     "class", "mono");
		if (col.debug_file)
			el_text(h, tr, "td", m->debug_file ? m->debug_file : "");
		td = el_text(h, tr, "td", ma->file ? ma->file : "no");
		if (ma->host_file)
			attr(h, el_text(h, td, "span", " " CR_HOST_FILE_NOTE),
			     "class", "tag");
		el_text(h, tr, "td", ma->debug_file ? ma->debug_file
					: ma->has_debug_info ? "yes" : "no");
		el_text(h, tr, "td", ma->mismatch ? "yes" : "no");
		free(bid);
	}

	el_text(h, sec, "h3", "Modules without a file");
	xmlNodePtr ul = NULL;
	for (size_t i = 0; i < n && !h->oom; i++) {
		if (a->modules[i].file)
			continue;
		if (!ul) {
			el_text(h, sec, "p", report_missing_modules_text);
			ul = el(h, sec, "ul");
		}
		const struct cr_module *m = &d->modules[i];
		char *bid = report_build_id_hex(m);
		xmlNodePtr li = el_text(h, ul, "li",
					m->path ? m->path : "(path not recorded)");
		text(h, li, " (build id ");
		attr(h, el_text(h, li, "span", bid ? bid : "not recorded"),
		     "class", "mono");
		text(h, li, ")");
		free(bid);
	}
	if (!ul)
		el_text(h, sec, "p", "None: every module's binary was found.");
}

/* A table with a header row of the N texts HEADS; NULL parent gives NULL. */
static xmlNodePtr html_table(struct html *h, xmlNodePtr parent,
			     const char *cls, const char *const *heads,
			     size_t n)
{
	xmlNodePtr table = el(h, parent, "table");
	attr(h, table, "class", cls);
	xmlNodePtr tr = el(h, table, "tr");
	for (size_t i = 0; i < n; i++)
		el_text(h, tr, "th", heads[i]);
	return table;
}

/* Modules unloaded before the dump; nothing when the dump lists none. */
static void html_unloaded(struct html *h, xmlNodePtr body)
{
	const struct cr_dump *d = h->a->dump;
	char range[2 * REPORT_NUM_LEN];
	static const char *const heads[] = { "Path", "Address range", "Code id" };
	if (!d->nunloaded)
		return;
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "unloaded-modules");
	el_text(h, sec, "h2", "Unloaded modules");
	el_text(h, sec, "p", report_unloaded_text);
	xmlNodePtr table = html_table(h, sec, "unloaded", heads, 3);
	for (size_t i = 0; i < d->nunloaded && !h->oom; i++) {
		const struct cr_module *m = &d->unloaded[i];
		xmlNodePtr tr = el(h, table, "tr");
		el_text(h, tr, "td", m->path ? m->path : "not recorded");
		attr(h, el_text(h, tr, "td",
				report_fmt_range(range, d, m->base, m->size)),
		     "class", "mono");
		attr(h, el_text(h, tr, "td", m->code_id ? m->code_id : ""),
		     "class", "mono");
	}
}

/* Annotations (key -> value); nothing when the dump has none. */
static void html_annotations(struct html *h, xmlNodePtr body)
{
	const struct cr_dump *d = h->a->dump;
	static const char *const heads[] = { "Module", "Key", "Value" };
	if (!d->nannotations)
		return;
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "annotations");
	el_text(h, sec, "h2", "Annotations");
	el_text(h, sec, "p", report_annotations_text);
	xmlNodePtr table = html_table(h, sec, "annotations", heads, 3);
	for (size_t i = 0; i < d->nannotations && !h->oom; i++) {
		struct report_annotation_text t;
		report_annotation_text(&d->annotations[i], &t);
		xmlNodePtr tr = el(h, table, "tr");
		el_text(h, tr, "td", t.module);
		el_text(h, tr, "td", t.key);
		el_text(h, tr, "td", t.value);
	}
}

static void html_problems(struct html *h, xmlNodePtr body)
{
	const struct cr_analysis *a = h->a;
	const struct cr_dump *d = a->dump;
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "problems");
	el_text(h, sec, "h2", "What is missing from this dump");
	if (!d->nproblems && !a->nproblems && !d->problems_dropped) {
		el_text(h, sec, "p", "No problems were recorded while reading "
				     "and analyzing the dump.");
		return;
	}
	xmlNodePtr ul = el(h, sec, "ul");
	for (size_t i = 0; i < d->nproblems; i++)
		el_text(h, ul, "li", d->problems[i]);
	if (d->problems_dropped) {
		char num[REPORT_NUM_LEN];
		char *s = cr_strdup_printf("... and %s more problems not kept",
					   cr_fmt_count(num, d->problems_dropped));
		if (!s)
			h->oom = true;
		el_text(h, ul, "li", s);
		free(s);
	}
	for (size_t i = 0; i < a->nproblems; i++)
		el_text(h, ul, "li", a->problems[i]);
}

static void html_facts_section(struct html *h, xmlNodePtr body,
			       const char *id, const char *title,
			       void (*facts)(const struct cr_analysis *,
					     struct report_facts *))
{
	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", id);
	el_text(h, sec, "h2", title);
	struct report_facts f = { 0 };
	facts(h->a, &f);
	html_facts(h, sec, &f);
	report_facts_free(&f);
}

/* Build the page; the order is the Markdown report's. */
static void html_build(struct html *h)
{
	const struct cr_analysis *a = h->a;
	char num[REPORT_NUM_LEN];
	xmlNodePtr root = xmlNewDocNode(h->doc, NULL, BAD_CAST "html", NULL);
	if (!root) {
		h->oom = true;
		return;
	}
	xmlDocSetRootElement(h->doc, root);
	attr(h, root, "lang", "en");
	xmlNodePtr head = el(h, root, "head");
	attr(h, el(h, head, "meta"), "charset", "utf-8");
	xmlNodePtr meta = el(h, head, "meta");
	attr(h, meta, "name", "viewport");
	attr(h, meta, "content", "width=device-width, initial-scale=1");
	meta = el(h, head, "meta");
	attr(h, meta, "name", "generator");
	attr(h, meta, "content", "coroner " CR_VERSION);
	char *title = report_title(a);
	if (!title)
		h->oom = true;
	el_text(h, head, "title", title);
	/* The style sheet is the one raw text: a constant without '<'. */
	xmlNodePtr style = el(h, head, "style");
	if (style) {
		xmlNodePtr css = xmlNewDocText(h->doc, BAD_CAST html_css);
		if (!css || !xmlAddChild(style, css)) {
			xmlFreeNode(css);
			h->oom = true;
		}
	}

	xmlNodePtr body = el(h, root, "body");
	xmlNodePtr header = el(h, body, "header");
	el_text(h, header, "h1", title);
	free(title);
	if (a->summary)
		attr(h, el_text(h, header, "p", a->summary), "class", "summary");

	html_crash(h, body);
	html_focus(h, body);

	xmlNodePtr sec = el(h, body, "section");
	attr(h, sec, "id", "threads");
	char *t = cr_strdup_printf("Threads (%s in %zu group%s)",
				   cr_fmt_count(num, a->nthreads),
				   a->ngroups, a->ngroups == 1 ? "" : "s");
	if (!t)
		h->oom = true;
	el_text(h, sec, "h2", t);
	free(t);
	if (!a->ngroups)
		el_text(h, sec, "p", "The dump records no threads.");
	for (size_t g = 0; g < a->ngroups && !h->oom; g++)
		html_group(h, sec, g);

	html_modules(h, body);
	html_unloaded(h, body);
	html_annotations(h, body);
	html_facts_section(h, body, "process", "Process", report_process_facts);
	html_facts_section(h, body, "dump", "Dump", report_dump_facts);
	html_problems(h, body);
	el_text(h, el(h, body, "footer"), "p",
		"Generated by coroner " CR_VERSION ".");
}

/*
 * libxml2 prints its own errors (out of memory, a failed write) to stderr,
 * one line per failed call: many lines, outside coroner's one-line rule
 * and its terminal sanitizer.  Every failure also shows in a return value
 * that we turn into one cr_error, so its messages are dropped.
 */
static void quiet_xml_error(void *ctx, const char *fmt, ...)
{
}

struct cr_error *report_html_write(const struct cr_analysis *a, FILE *f)
{
	struct html h = { .a = a };
	xmlSetGenericErrorFunc(NULL, quiet_xml_error);
	h.doc = htmlNewDocNoDtD(NULL, NULL);
	if (!h.doc)
		return &cr_enomem;
	/* <!DOCTYPE html> */
	if (!xmlCreateIntSubset(h.doc, BAD_CAST "html", NULL, NULL))
		h.oom = true;
	if (!h.oom)
		html_build(&h);
	if (h.oom) {
		xmlFreeDoc(h.doc);
		return &cr_enomem;
	}

	/* No encoder: libxml2 writes the UTF-8 text nodes as they are. */
	xmlOutputBufferPtr out = xmlOutputBufferCreateFile(f, NULL);
	if (!out) {
		xmlFreeDoc(h.doc);
		return &cr_enomem;
	}
	htmlDocContentDumpFormatOutput(out, h.doc, "UTF-8", 1);
	int rc = xmlOutputBufferClose(out);
	xmlFreeDoc(h.doc);
	if (rc < 0 || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the HTML report failed");
	return NULL;
}
