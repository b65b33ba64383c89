/*
 * html_md_compile.c - cmark-gfm's tree of a Markdown text as the
 * operations of html_md_tree.h (see html_md_compile.h).
 *
 * We walk cmark's node tree (cmark_iter: an ENTER and an EXIT event per
 * container, one ENTER per leaf) and open one element per node from the
 * table; literal text becomes text runs, which the replay adds as text
 * nodes, escaped by the serializer.
 */
#include "html_md_compile.h"

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define TYPE_ENTRY(type, element) type,
static const char *const md_types[] = { HTML_MD_ELEMENTS(TYPE_ENTRY) };

static const char *const md_link_prefixes[] = HTML_MD_LINK_PREFIXES;

static int index_of(const char *type)
{
	for (size_t i = 0; i < ARRAY_LEN(md_types); i++)
		if (!strcmp(type, md_types[i]))
			return (int)i;
	return -1;
}

/* The element of node N, -1: text only, no element. */
static int element_of(cmark_node *n)
{
	const char *t = cmark_node_get_type_string(n);
	/* A tight list's items hold their text without a paragraph, as
	 * cmark's own HTML renderer writes them. */
	cmark_node *item = cmark_node_parent(n);
	if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && item &&
	    cmark_node_get_type(item) == CMARK_NODE_ITEM &&
	    cmark_node_parent(item) &&
	    cmark_node_get_list_tight(cmark_node_parent(item)))
		return -1;
	if (!strcmp(t, "list") && cmark_node_get_list_type(n) == CMARK_ORDERED_LIST)
		return index_of("(ordered list)");
	if (!strcmp(t, "table_cell") && cmark_node_parent(n) &&
	    cmark_gfm_extensions_get_table_row_is_header(cmark_node_parent(n)))
		return index_of("(header cell)");
	return index_of(t);
}

/* The node types cmark's iterator gives no EXIT event (S_is_leaf). */
static bool is_leaf(cmark_node_type t)
{
	switch (t) {
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_THEMATIC_BREAK:
	case CMARK_NODE_CODE_BLOCK:
	case CMARK_NODE_TEXT:
	case CMARK_NODE_SOFTBREAK:
	case CMARK_NODE_LINEBREAK:
	case CMARK_NODE_CODE:
	case CMARK_NODE_HTML_INLINE:
		return true;
	default:
		return false;
	}
}

static bool link_allowed(const char *url)
{
	for (size_t i = 0; i < ARRAY_LEN(md_link_prefixes); i++)
		if (url && !strncmp(url, md_link_prefixes[i],
				    strlen(md_link_prefixes[i])))
			return true;
	return false;
}

static bool emit(struct html_md_ops *o, enum html_md_op_kind kind, int element,
		 const char *text)
{
	if (!CR_GROW(o->v, o->cap, o->n + 1))
		return false;
	char *copy = text ? strdup(text) : NULL;
	if (text && !copy)
		return false;
	o->v[o->n++] = (struct html_md_op){ .kind = (unsigned char)kind,
		.element = (unsigned char)(element < 0 ? 0 : element), .text = copy };
	return true;
}

static bool emit_text(struct html_md_ops *o, const char *s)
{
	return !s || !*s || emit(o, HTML_MD_TEXT, 0, s);
}

bool html_md_compile(const char *md, size_t len, struct html_md_ops *out)
{
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	if (!p)
		return false;
	static const char *const extensions[] = { "table", "strikethrough" };
	for (size_t i = 0; i < ARRAY_LEN(extensions); i++) {
		cmark_syntax_extension *ext = cmark_find_syntax_extension(extensions[i]);
		if (ext)
			cmark_parser_attach_syntax_extension(p, ext);
	}
	cmark_parser_feed(p, md, len);
	cmark_node *root = cmark_parser_finish(p);
	cmark_parser_free(p);
	if (!root)
		return false;

	bool ok = true;
	size_t depth = 0;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while (ok && it && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (n == root)
			continue;
		int element = element_of(n);
		cmark_node_type t = cmark_node_get_type(n);
		bool leaf = is_leaf(t);
		if (ev == CMARK_EVENT_EXIT) {
			if (element >= 0 && !leaf && depth > 0) {
				ok = emit(out, HTML_MD_CLOSE, 0, NULL);
				depth--;
			}
			continue;
		}
		if (element >= 0)
			ok = emit(out, HTML_MD_OPEN, element, NULL);
		if (ok && t == CMARK_NODE_LINK && element >= 0 &&
		    link_allowed(cmark_node_get_url(n)))
			ok = emit(out, HTML_MD_HREF, 0, cmark_node_get_url(n));
		/* Leaves: their literal (raw HTML too, as text). */
		switch (t) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			ok = ok && emit_text(out, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			ok = ok && emit_text(out, " ");
			break;
		default:
			break;
		}
		/* A container is entered: its children go inside it until its
		 * EXIT; a leaf gets no EXIT event, so it is closed now. */
		if (element >= 0 && !leaf)
			depth++;
		else if (element >= 0)
			ok = ok && emit(out, HTML_MD_CLOSE, 0, NULL);
	}
	cmark_iter_free(it);
	cmark_node_free(root);
	return ok && it;
}

void html_md_ops_free(struct html_md_ops *ops)
{
	for (size_t i = 0; i < ops->n; i++)
		free((char *)ops->v[i].text);
	free(ops->v);
	ops->v = NULL;
	ops->n = ops->cap = 0;
}
