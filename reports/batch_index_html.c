/*
 * batch_index_html.c - the batch index as one self-contained HTML page
 * (batch_index.h), built as a libxml2 tree like the reports (html.c): every
 * string from a dump or a file name is a text node, cleaned first, so none
 * can add an element.  The style sheet is the reports' (html_style.c).
 */
#include "batch_index.h"
#include "html_style.h"
#include "html_libs.h"
#include "report.h"
#include "report_util.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>


struct page {
	xmlDocPtr doc;
	bool oom;
};

static xmlNodePtr el(struct page *p, xmlNodePtr parent, const char *name)
{
	if (!parent)
		return NULL;
	xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	if (!n)
		p->oom = true;
	return n;
}

/* Append S (any bytes: cleaned to one line of valid UTF-8) as text. */
static void text(struct page *p, xmlNodePtr parent, const char *s)
{
	if (!parent || !s)
		return;
	char *c = report_clean(s, REPORT_CLEAN_FLAT);
	xmlNodePtr t = c ? xmlNewDocText(p->doc, BAD_CAST c) : NULL;
	free(c);
	if (!t || !xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		p->oom = true;
	}
}

static xmlNodePtr el_text(struct page *p, xmlNodePtr parent, const char *name,
			  const char *s)
{
	xmlNodePtr n = el(p, parent, name);
	text(p, n, s);
	return n;
}

static void attr(struct page *p, xmlNodePtr n, const char *name,
		 const char *value)
{
	if (n && !xmlSetProp(n, BAD_CAST name, BAD_CAST value))
		p->oom = true;
}

static void time_cell(struct page *p, xmlNodePtr tr, int64_t t)
{
	char buf[REPORT_NUM_LEN];
	const char *s = report_fmt_time(buf, t);
	attr(p, el_text(p, tr, "td", s ? s : "unknown"), "class", "mono");
}

/* The item's name, a link to its HTML report when it has one. */
static void item_link(struct page *p, xmlNodePtr parent,
		      const struct report_batch_item *it)
{
	char *link = report_batch_link(it, "html");
	if (!link)
		link = report_batch_link(it, "md");
	xmlNodePtr a = link ? el(p, parent, "a") : parent;
	if (link)
		attr(p, a, "href", link);
	text(p, a, it->first->path);
	free(link);
	if (it->nmembers > 1) {
		char buf[64];
		snprintf(buf, sizeof(buf), " (series of %zu dumps)", it->nmembers);
		text(p, parent, buf);
	}
}

static xmlNodePtr table(struct page *p, xmlNodePtr parent,
			const char *const *heads, size_t n)
{
	xmlNodePtr wrap = el(p, parent, "div");
	attr(p, wrap, "class", "table-wrap");
	xmlNodePtr t = el(p, wrap, "table");
	xmlNodePtr tr = el(p, el(p, t, "thead"), "tr");
	for (size_t i = 0; i < n; i++)
		el_text(p, tr, "th", heads[i]);
	return el(p, t, "tbody");
}

static void list_text(struct page *p, xmlNodePtr parent, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			text(p, parent, ", ");
		text(p, parent, v[i]);
	}
	if (!n)
		text(p, parent, "unknown");
}

static void fact(struct page *p, xmlNodePtr tbody, const char *label,
		 const char *value)
{
	xmlNodePtr tr = el(p, tbody, "tr");
	el_text(p, tr, "th", label);
	el_text(p, tr, "td", value);
}

static void bucket(struct page *p, xmlNodePtr parent,
		   const struct report_batch_bucket *bk)
{
	xmlNodePtr sec = el(p, parent, "section");
	char head[128];
	snprintf(head, sizeof(head), "Bucket %.40s: %zu dump%s", bk->id, bk->n,
		 bk->n == 1 ? "" : "s");
	el_text(p, sec, "h4", head);
	xmlNodePtr ft = el(p, sec, "table");
	attr(p, ft, "class", "facts");
	xmlNodePtr facts = el(p, ft, "tbody");
	fact(p, facts, "Signature", bk->signature ? bk->signature : "none");
	char b1[REPORT_NUM_LEN], b2[REPORT_NUM_LEN];
	const char *t1 = report_fmt_time(b1, bk->first_seen);
	const char *t2 = report_fmt_time(b2, bk->last_seen);
	fact(p, facts, "First seen", t1 ? t1 : "unknown");
	fact(p, facts, "Last seen", t2 ? t2 : "unknown");
	xmlNodePtr tr = el(p, facts, "tr");
	el_text(p, tr, "th", "Executables");
	list_text(p, el(p, tr, "td"), bk->executables, bk->nexecutables);
	tr = el(p, facts, "tr");
	el_text(p, tr, "th", "Versions");
	list_text(p, el(p, tr, "td"), bk->versions, bk->nversions);
	tr = el(p, facts, "tr");
	el_text(p, tr, "th", "Builds");
	list_text(p, el(p, tr, "td"), bk->builds, bk->nbuilds);
	tr = el(p, facts, "tr");
	el_text(p, tr, "th", "Most telling report");
	item_link(p, el(p, tr, "td"), bk->example);
	if (bk->ticket) {
		char md[128], html[128];
		snprintf(md, sizeof(md), "tickets/%.64s.md", bk->id);
		snprintf(html, sizeof(html), "tickets/%.64s.html", bk->id);
		tr = el(p, facts, "tr");
		el_text(p, tr, "th", "Ticket");
		xmlNodePtr td = el(p, tr, "td");
		attr(p, el_text(p, td, "a", md), "href", md);
		if (bk->ticket_attachment) {
			text(p, td, ", to attach: ");
			attr(p, el_text(p, td, "a", html), "href", html);
		}
	}
	static const char *const heads[] = { "Dump", "Seen" };
	xmlNodePtr tb = table(p, sec, heads, ARRAY_LEN(heads));
	for (size_t i = 0; i < bk->n; i++) {
		tr = el(p, tb, "tr");
		item_link(p, el(p, tr, "td"), bk->items[i]);
		time_cell(p, tr, bk->items[i]->seen_last);
	}
}

static void items(struct page *p, xmlNodePtr parent,
		  const struct report_batch_index *ix, int k)
{
	bool why = k >= REPORT_BATCH_FAILED;
	static const char *const heads[] = { "Dump", "Seen", "Executable" };
	static const char *const heads_why[] = { "File", "Reason", "Seen",
						 "Executable" };
	xmlNodePtr tb = why ? table(p, parent, heads_why, ARRAY_LEN(heads_why)) :
		table(p, parent, heads, ARRAY_LEN(heads));
	for (size_t i = 0; i < ix->nby_kind[k]; i++) {
		const struct report_batch_item *it = ix->by_kind[k][i];
		xmlNodePtr tr = el(p, tb, "tr");
		item_link(p, el(p, tr, "td"), it);
		if (why)
			el_text(p, tr, "td", it->first->error ? it->first->error : "unknown");
		time_cell(p, tr, it->seen_last);
		el_text(p, tr, "td", it->first->executable ? it->first->executable : "unknown");
	}
}

static void build(struct page *p, const struct report_batch_index *ix)
{
	xmlNodePtr root = xmlNewDocNode(p->doc, NULL, BAD_CAST "html", NULL);
	if (!root) {
		p->oom = true;
		return;
	}
	xmlDocSetRootElement(p->doc, root);
	attr(p, root, "lang", "en");
	xmlNodePtr head = el(p, root, "head");
	attr(p, el(p, head, "meta"), "charset", "utf-8");
	el_text(p, head, "title", "coroner batch index");
	/* The only raw text: the reports' constant style sheet. */
	xmlNodePtr style = el(p, head, "style");
	xmlNodePtr css = style ? xmlNewDocText(p->doc, BAD_CAST report_html_css) : NULL;
	if (style && (!css || !xmlAddChild(style, css)))
		p->oom = true;
	xmlNodePtr body = el(p, root, "body");
	xmlNodePtr header = el(p, body, "header");
	el_text(p, header, "h1", "coroner batch index");
	xmlNodePtr sum = el_text(p, header, "p", ix->summary);
	attr(p, sum, "class", ix->nby_kind[REPORT_BATCH_CRASH] ?
	     "summary crash" : "summary no-crash");
	attr(p, sum, "id", "summary");
	for (int k = 0; k < REPORT_BATCH_NKINDS; k++) {
		if (!ix->nby_kind[k])
			continue;
		xmlNodePtr sec = el(p, body, "section");
		attr(p, sec, "id", report_batch_kind_id(k));
		char title[96];
		snprintf(title, sizeof(title), "%s (%zu)",
			 report_batch_kind_title(k), ix->nby_kind[k]);
		el_text(p, sec, "h2", title);
		if (k != REPORT_BATCH_CRASH) {
			items(p, sec, ix, k);
			continue;
		}
		for (size_t c = 0; c < ix->ncodes; c++) {
			const struct report_batch_code *cd = &ix->codes[c];
			xmlNodePtr cs = el(p, sec, "section");
			attr(p, cs, "class", "code");
			xmlNodePtr h3 = el_text(p, cs, "h3", cd->code);
			char more[96];
			snprintf(more, sizeof(more), ": %zu crash%s in %zu bucket%s",
				 cd->count, cd->count == 1 ? "" : "es", cd->n,
				 cd->n == 1 ? "" : "s");
			text(p, h3, more);
			for (size_t b = 0; b < cd->n; b++)
				bucket(p, cs, &cd->buckets[b]);
		}
	}
	el_text(p, el(p, body, "footer"), "p",
		"Generated by coroner " CR_VERSION ".");
}

struct cr_error *report_batch_html_write(const struct report_batch_index *ix,
					 FILE *f)
{
	struct page p = { 0 };
	struct cr_error *lerr = cr_html_libs_load("writing the HTML index");
	if (lerr)
		return lerr;
	p.doc = cr_html_new_doc();
	if (!p.doc)
		return &cr_enomem;
	build(&p, ix);
	if (p.oom) {
		xmlFreeDoc(p.doc);
		return &cr_enomem;
	}
	xmlOutputBufferPtr out = xmlOutputBufferCreateFile(f, NULL);
	if (!out) {
		xmlFreeDoc(p.doc);
		return &cr_enomem;
	}
	htmlDocContentDumpFormatOutput(out, p.doc, "UTF-8", 1);
	int rc = xmlOutputBufferClose(out);
	xmlFreeDoc(p.doc);
	if (rc < 0 || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the index failed");
	return NULL;
}
