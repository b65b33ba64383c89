/*
 * html.c - the HTML report: one self-contained file.
 *
 * The page is built as a libxml2 document tree and serialized by libxml2,
 * never by pasting strings together: every dump string becomes a text node
 * (cleaned to valid UTF-8 without control characters first), and the
 * serializer escapes "<", ">" and "&" in text.  So a thread name such as
 * "</td><script>" is printed as those characters and cannot add an element.
 *
 * The only raw texts are the style sheet and the print script of
 * html_style.c, constants.  There are no external resources (fonts,
 * images, links), so the file can be attached to a ticket and opened
 * offline.  The page is a renderer
 * of the report document (document.h): a level 2 section is a <section>,
 * a collapsible level 3 section (a thread group) a <details>, open when the
 * document says so.
 *
 * Class names, for the style sheet: summary crash / summary no-crash;
 * nav.toc; table.facts, .stack, .members, .modules, .registers,
 * .evidence; cells td.num, td.addr, td.mono, td.path, td.range (the
 * cells of table.stack have none: its columns are #, address, function,
 * module, source, trust, in that order); stack rows tr.own
 * (the program's frames, span.own-mark "*" in their
 * number cell), tr.inlined, tr.fold; member rows
 * tr.crashed; evidence rows tr.marked; span.tag; p.note, p.legend,
 * p.label; div.finding error|warning|information, p.finding-title,
 * span.severity, code.finding-id, div.recommendation.
 */
#include "html_libs.h"
#include "report.h"
#include "report_util.h"
#include "document.h"
#include "html_md_replay.h"
#include "util.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>


#include "html_style.h"

struct html {
	xmlDocPtr doc;
	const struct doc *d;
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

/* Append S as text.  S is a document string or a constant: already clean
 * (valid UTF-8, no control characters; document.h), as libxml2 needs. */
static void text(struct html *h, xmlNodePtr parent, const char *s)
{
	if (!parent || !s)
		return;
	xmlNodePtr t = xmlNewDocText(h->doc, BAD_CAST s);
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

static void html_inline(struct html *h, xmlNodePtr parent,
			const struct doc_inline *in)
{
	static const char *const span_el[] = {
		[DOC_SPAN_CODE] = "code", [DOC_SPAN_EM] = "em",
		[DOC_SPAN_STRONG] = "strong", [DOC_SPAN_LINK] = "a",
		[DOC_SPAN_TAG] = "span",
	};
	for (size_t i = 0; i < in->n && parent; i++) {
		const struct doc_span *s = &in->v[i];
		if (s->kind == DOC_SPAN_TEXT) {
			text(h, parent, s->text);
			continue;
		}
		if (s->kind == DOC_SPAN_TAG)
			text(h, parent, " ");
		xmlNodePtr e = el_text(h, parent, span_el[s->kind], s->text);
		if (s->kind == DOC_SPAN_TAG)
			attr(h, e, "class", "tag");
		if (s->kind == DOC_SPAN_LINK && s->target) {
			/* An anchor of ours: an id built from numbers and
			 * static words, never dump text. */
			char *href = cr_strdup_printf("#%s", s->target);
			if (!href)
				h->oom = true;
			else
				attr(h, e, "href", href);
			free(href);
		}
	}
}

/* A table of class CLS (NULL none) in a <div class="table-wrap">, which
 * scrolls a table too wide for the page instead of squeezing its columns
 * (html_style.c). */
static xmlNodePtr table_el(struct html *h, xmlNodePtr parent, const char *cls)
{
	xmlNodePtr wrap = el(h, parent, "div");
	attr(h, wrap, "class", "table-wrap");
	xmlNodePtr table = el(h, wrap, "table");
	if (cls)
		attr(h, table, "class", cls);
	return table;
}

/* The class of a cell of a column of KIND. */
static const char *const col_class[] = {
	[DOC_COL_TEXT] = NULL, [DOC_COL_NUMBER] = "num",
	[DOC_COL_ADDRESS] = "addr", [DOC_COL_CODE] = "mono",
	[DOC_COL_PATH] = "path", [DOC_COL_RANGE] = "addr mono range",
};

/* An address range "START-END" as two spans, so that the cell breaks after
 * the dash and nowhere else (libxml2 2.9 does not know <wbr>). */
static bool html_range(struct html *h, xmlNodePtr td,
		       const struct doc_inline *in)
{
	if (in->n != 1 || in->v[0].kind != DOC_SPAN_TEXT)
		return false;
	const char *range = in->v[0].text;
	const char *dash = strchr(range, '-');
	if (!dash)
		return false;
	char *first = strndup(range, (size_t)(dash - range) + 1);
	if (!first) {
		h->oom = true;
		return true;
	}
	el_text(h, td, "span", first);
	free(first);
	el_text(h, td, "span", dash + 1);
	return true;
}

static void html_table(struct html *h, xmlNodePtr parent,
		       const struct doc_block *b)
{
	const struct doc_table *t = &b->table;
	bool facts = b->kind == DOC_FACTS;
	xmlNodePtr table = table_el(h, parent, b->cls);
	if (!facts) {
		xmlNodePtr tr = el(h, table, "tr");
		for (size_t c = 0; c < t->ncols; c++)
			el_text(h, tr, "th", t->headers[c]);
	}
	for (size_t r = 0; r < t->nrows && !h->oom; r++) {
		xmlNodePtr tr = el(h, table, "tr");
		if (t->rows[r].cls)
			attr(h, tr, "class", t->rows[r].cls);
		for (size_t c = 0; c < t->ncols; c++) {
			xmlNodePtr td = el(h, tr, facts && c == 0 ? "th" : "td");
			if (facts && c == 0)
				attr(h, td, "scope", "row");
			else if (col_class[t->cols[c]])
				attr(h, td, "class", col_class[t->cols[c]]);
			if (facts || t->cols[c] != DOC_COL_RANGE ||
			    !html_range(h, td, &t->rows[r].cells[c]))
				html_inline(h, td, &t->rows[r].cells[c]);
		}
	}
}

static void html_stack(struct html *h, xmlNodePtr parent,
		       const struct doc_stack *s)
{
	if (s->n) {
		xmlNodePtr table = table_el(h, parent, "stack");
		xmlNodePtr tr = el(h, table, "tr");
		static const char *const heads[] = { "#", "Address", "Function",
						     "Module", "Source", "Trust" };
		for (size_t i = 0; i < ARRAY_LEN(heads); i++)
			el_text(h, tr, "th", heads[i]);
		for (size_t i = 0; i < s->n && !h->oom; i++) {
			const struct doc_frame *t = &s->v[i];
			tr = el(h, table, "tr");
			if (t->fold) {
				attr(h, tr, "class", "fold");
				xmlNodePtr td = el_text(h, tr, "td", t->fold);
				attr(h, td, "colspan", "6");
				continue;
			}
			/* The program's own frames set apart.  The cells have
			 * no class: the style sheet knows the columns by
			 * position (html_style.c), which spares 6 attributes
			 * on each of thousands of rows. */
			static const char *const row_class[2][2] = {
				/* [inlined][own] */
				{ NULL, "own" }, { "inlined", "inlined own" },
			};
			if (row_class[t->inlined][t->own])
				attr(h, tr, "class", row_class[t->inlined][t->own]);
			xmlNodePtr num = el(h, tr, "td");
			/* the marker the legend explains, as in Markdown */
			if (t->own)
				attr(h, el_text(h, num, "span", "* "), "class",
				     "own-mark");
			text(h, num, t->index);
			el_text(h, tr, "td", t->pc);
			xmlNodePtr fn = el(h, tr, "td");
			if (t->inlined)
				attr(h, el_text(h, fn, "span", "inlined"),
				     "class", "tag");
			text(h, fn, t->where);
			el_text(h, tr, "td", t->module);
			el_text(h, tr, "td", t->location);
			el_text(h, tr, "td", t->trust);
		}
	}
	if (s->end || !s->n)
		attr(h, el_text(h, parent, "p", s->end ? s->end : "No frames."),
		     "class", "note");
}

static void html_blocks(struct html *h, xmlNodePtr parent,
			const struct doc_blocks *bs);

/* Chart geometry, in SVG user units (pixels). */
#define CHART_LABEL_W 230	/* the labels' column */
#define CHART_BAR_W 360		/* the longest bar */
#define CHART_VALUE_W 110	/* the value after a bar */
#define CHART_ROW_H 22

/* The first span's text of cell I of row R of T ("" none). */
static const char *cell_text(const struct doc_table *t, size_t r, size_t i)
{
	const struct doc_inline *c = &t->rows[r].cells[i];
	return c->n && c->v[0].text ? c->v[0].text : "";
}

/* One SVG element NAME in PARENT with the numeric attributes of NV
 * (name, value pairs, NULL-terminated names). */
static xmlNodePtr svg_el(struct html *h, xmlNodePtr parent, const char *name,
			 const char *const *names, const uint64_t *values)
{
	xmlNodePtr e = el(h, parent, name);
	char num[24];
	for (size_t i = 0; names[i]; i++) {
		snprintf(num, sizeof(num), "%" PRIu64, values[i]);
		attr(h, e, names[i], num);
	}
	return e;
}

/*
 * A DOC_CHART as inline SVG (no script): a row per bar, its label on the
 * left, the bar scaled to the largest value, the value's text after it.
 * Only elements and attributes: libxml2 escapes every label.
 */
static void html_chart(struct html *h, xmlNodePtr parent,
		       const struct doc_block *b)
{
	const struct doc_table *t = &b->table;
	uint64_t max = 0;
	for (size_t i = 0; i < t->nrows; i++)
		if (b->values[i] > max)
			max = b->values[i];
	xmlNodePtr fig = el(h, parent, "figure");
	attr(h, fig, "class", "chart");
	if (b->code)
		el_text(h, fig, "figcaption", b->code);
	static const char *const box[] = { "width", "height", NULL };
	uint64_t w = CHART_LABEL_W + CHART_BAR_W + CHART_VALUE_W;
	xmlNodePtr svg = svg_el(h, fig, "svg", box,
				(const uint64_t[]){ w, t->nrows * CHART_ROW_H });
	attr(h, svg, "xmlns", "http://www.w3.org/2000/svg");
	attr(h, svg, "role", "img");
	if (b->code)
		attr(h, svg, "aria-label", b->code);
	static const char *const at[] = { "x", "y", NULL };
	static const char *const rect[] = { "x", "y", "width", "height", NULL };
	for (size_t i = 0; i < t->nrows && !h->oom; i++) {
		uint64_t y = i * CHART_ROW_H;
		uint64_t len = max ? (uint64_t)((long double)b->values[i] *
						CHART_BAR_W / max) : 0;
		if (!len && b->values[i])
			len = 1;	/* something, however small */
		text(h, svg_el(h, svg, "text", at, (const uint64_t[]){ 0, y + 15 }),
		     cell_text(t, i, 0));
		svg_el(h, svg, "rect", rect,
		       (const uint64_t[]){ CHART_LABEL_W, y + 3, len, 16 });
		text(h, svg_el(h, svg, "text", at,
			       (const uint64_t[]){ CHART_LABEL_W + len + 6, y + 15 }),
		     cell_text(t, i, 1));
	}
}

/* TEXT (a constant of html_style.c) as the content of the raw-text
 * element PARENT: libxml2 prints <style> and <script> text unescaped. */
static void raw_text(struct html *h, xmlNodePtr parent, const char *txt)
{
	if (!parent)
		return;
	xmlNodePtr t = xmlNewDocText(h->doc, BAD_CAST txt);
	if (!t || !xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		h->oom = true;
	}
}

/* A recommendation (a DOC_MARKDOWN block): the elements the build
 * compiled for its finding id; false when out of memory.  A text the
 * build did not compile (none is: every DOC_MARKDOWN block is a finding's
 * recommendation) is shown as the Markdown it is. */
static bool html_recommendation(struct html *h, xmlNodePtr e,
				const struct doc_block *b)
{
	enum cr_finding_id id;
	if (b->finding_id && cr_finding_id_lookup(b->finding_id, &id))
		return html_md_replay(h->doc, e, &html_md_recommendations[id]);
	text(h, el(h, e, "p"), b->code);
	return !h->oom;
}

static void html_block(struct html *h, xmlNodePtr parent,
		       const struct doc_block *b)
{
	xmlNodePtr e;
	switch (b->kind) {
	case DOC_PARA:
		e = el(h, parent, "p");
		if (b->cls)
			attr(h, e, "class", b->cls);
		html_inline(h, e, &b->text);
		break;
	case DOC_FACTS:
	case DOC_TABLE:
		html_table(h, parent, b);
		break;
	case DOC_STACK:
		html_stack(h, parent, &b->stack);
		break;
	case DOC_CHART:
		html_chart(h, parent, b);
		break;
	case DOC_CODE:
		/* its lines kept (cleaned without flattening) */
		text(h, el(h, parent, "pre"), b->code);
		break;
	case DOC_LIST:
		e = el(h, parent, "ul");
		for (size_t i = 0; i < b->nitems; i++)
			html_inline(h, el(h, e, "li"), &b->items[i]);
		break;
	case DOC_MARKDOWN:
		e = el(h, parent, "div");
		attr(h, e, "class", "recommendation");
		if (e && !html_recommendation(h, e, b))
			h->oom = true;
		break;
	case DOC_FINDING: {
		char cls[64];
		snprintf(cls, sizeof(cls), "finding %s", b->severity);
		e = el(h, parent, "div");
		attr(h, e, "class", cls);
		xmlNodePtr title = el(h, e, "p");
		attr(h, title, "class", "finding-title");
		attr(h, el_text(h, title, "span", b->severity), "class",
		     "severity");
		text(h, title, " ");
		html_inline(h, title, &b->text);
		text(h, title, " ");
		attr(h, el_text(h, title, "code", b->finding_id), "class",
		     "finding-id");
		html_blocks(h, e, &b->body);
		break;
	}
	}
}

static void html_blocks(struct html *h, xmlNodePtr parent,
			const struct doc_blocks *bs)
{
	for (size_t i = 0; i < bs->n && !h->oom; i++)
		html_block(h, parent, bs->v[i]);
}

/* A short table of contents: the level 2 sections. */
static void html_toc(struct html *h, xmlNodePtr body)
{
	xmlNodePtr nav = el(h, body, "nav");
	attr(h, nav, "class", "toc");
	xmlNodePtr ul = el(h, nav, "ul");
	for (size_t i = 0; i < h->d->n; i++) {
		const struct doc_section *s = h->d->sections[i];
		if (s->level != 2)
			continue;
		struct doc_inline in = { 0 };
		struct doc_span sp = { DOC_SPAN_LINK, s->title, s->id };
		in.v = &sp;
		in.n = 1;
		html_inline(h, el(h, ul, "li"), &in);
	}
}

/* Build the page from the document. */
static void html_build(struct html *h)
{
	const struct doc *d = h->d;
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
	el_text(h, head, "title", d->title);
	/* The style sheet and the print script are the only raw texts:
	 * constants of html_style.c without '<'. */
	raw_text(h, el(h, head, "style"), report_html_css);
	raw_text(h, el(h, head, "script"), report_html_script);

	xmlNodePtr body = el(h, root, "body");
	xmlNodePtr header = el(h, body, "header");
	el_text(h, header, "h1", d->title);
	if (d->summary.n) {
		xmlNodePtr p = el(h, header, "p");
		attr(h, p, "class", d->summary_cls);
		html_inline(h, p, &d->summary);
	}
	html_toc(h, body);

	xmlNodePtr sec2 = body;
	for (size_t i = 0; i < d->n && !h->oom; i++) {
		const struct doc_section *s = d->sections[i];
		xmlNodePtr sec;
		if (s->level <= 2) {
			sec = sec2 = el(h, body, "section");
			el_text(h, sec, "h2", s->title);
		} else if (s->collapsible) {
			sec = el(h, sec2, "details");
			if (s->open)
				attr(h, sec, "open", NULL);
			el_text(h, el(h, sec, "summary"), "span", s->title);
		} else {
			sec = el(h, sec2, "section");
			el_text(h, sec, "h3", s->title);
		}
		attr(h, sec, "id", s->id);
		html_blocks(h, sec, &s->blocks);
	}
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
	struct doc *d = doc_build(a);
	if (!d)
		return &cr_enomem;
	struct cr_error *err = report_html_write_doc(d, f);
	doc_free(d);
	return err;
}

/* glibc's fastbin limit (M_MXFAST) as its own tunable set it: the last
 * valid glibc.malloc.mxfast=N of TUNABLES (GLIBC_TUNABLES), read as
 * glibc 2.36 reads it (elf/dl-tunables.c: "name=value" pairs separated by
 * ':', a value in decimal, 0x hex or 0 octal up to its first non-digit,
 * a negative one a huge unsigned,
 * one above MAX_FAST_SIZE ignored by malloc's do_set_mxfast); else glibc's
 * default (DEFAULT_MXFAST).  glibc has no getter for it. */
size_t report_malloc_mxfast(const char *tunables)
{
	static const char name[] = "glibc.malloc.mxfast=";
	size_t mxfast = 64 * sizeof(size_t) / 4;
	for (const char *p = tunables; p && *p;) {
		size_t len = strcspn(p, ":");
		if (!strncmp(p, name, sizeof(name) - 1) && len >= sizeof(name) - 1) {
			const char *v = p + sizeof(name) - 1;
			unsigned base = 10;
			unsigned long long x = 0;
			if (*v == '+')
				v++;
			if (*v == '-')	/* huge unsigned: ignored */
				x = ~0ull;
			else if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
				base = 16, v += 2;
			else if (v[0] == '0')
				base = 8;
			for (; v < p + len; v++) {
				unsigned d = *v >= '0' && *v <= '9' ? (unsigned)(*v - '0') :
					     *v >= 'a' && *v <= 'f' ? (unsigned)(*v - 'a' + 10) :
					     *v >= 'A' && *v <= 'F' ? (unsigned)(*v - 'A' + 10) : 99;
				if (d >= base || x > (1ull << 32))
					break;
				x = x * base + d;
			}
			if (x <= 80 * sizeof(size_t) / 4)	/* MAX_FAST_SIZE */
				mxfast = (size_t)x;
		}
		p += len + (p[len] == ':');
	}
	return mxfast;
}

/*
 * Free the HTML tree: a few hundred thousand small blocks at once for a
 * big report.  In glibc's fastbins they would wait, and the next free of
 * a large block (the report document's arena) would merge them all in one
 * pass, touching them again (malloc_consolidate: 20% of the HTML run of a
 * 200-thread minidump, `perf record`).  With fastbins off while the tree
 * is freed, each block is merged as it is freed, while it is in the
 * cache; then the limit is put back as it was: coroner sets M_MXFAST
 * nowhere else, so it is what the user's GLIBC_TUNABLES made it, or
 * glibc's default (report_malloc_mxfast; secure_getenv, as glibc ignores
 * the tunable in a setuid program).
 */
static void free_tree(xmlDocPtr doc)
{
	mallopt(M_MXFAST, 0);
	xmlFreeDoc(doc);
	mallopt(M_MXFAST, (int)report_malloc_mxfast(secure_getenv("GLIBC_TUNABLES")));
}

struct cr_error *report_html_write_doc(const struct doc *d, FILE *f)
{
	struct html h = { .d = d };
	struct cr_error *lerr = cr_html_libs_load("writing the HTML report");
	if (lerr)
		return lerr;
	xmlSetGenericErrorFunc(NULL, quiet_xml_error);
	h.doc = cr_html_new_doc();
	if (!h.doc)
		return &cr_enomem;
	html_build(&h);
	if (h.oom) {
		free_tree(h.doc);
		return &cr_enomem;
	}

	/* No encoder: libxml2 writes the UTF-8 text nodes as they are. */
	xmlOutputBufferPtr out = xmlOutputBufferCreateFile(f, NULL);
	if (!out) {
		free_tree(h.doc);
		return &cr_enomem;
	}
	htmlDocContentDumpFormatOutput(out, h.doc, "UTF-8", 1);
	int rc = xmlOutputBufferClose(out);
	free_tree(h.doc);
	if (rc < 0 || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the HTML report failed");
	return NULL;
}
