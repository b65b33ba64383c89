/*
 * html_markdown.c - cmark-gfm's tree of a Markdown text turned into
 * libxml2 elements (see html_markdown.h).
 *
 * cmark-gfm could render HTML text, but pasting text into the report would
 * end the guarantee that the report's structure is built only by libxml2.
 * So we walk cmark's node tree (cmark_iter: an ENTER and an EXIT event per
 * container, one ENTER per leaf) and add one element per node from the
 * table below; literal text becomes text nodes, escaped by the serializer.
 */
#include "html_markdown.h"
#include "html_libs.h"
#include "report_util.h"

#include <stdlib.h>
#include <string.h>


/* cmark node type name -> element (NULL: text only, no element). */
static const struct {
	const char *type;	/* cmark_node_get_type_string() */
	const char *element;
} md_elements[] = {
	{ "paragraph", "p" },		{ "block_quote", "blockquote" },
	{ "item", "li" },		{ "code_block", "pre" },
	{ "thematic_break", "hr" },	{ "code", "code" },
	{ "emph", "em" },		{ "strong", "strong" },
	{ "link", "a" },		{ "image", "span" },
	{ "linebreak", "br" },		{ "table", "table" },
	{ "table_row", "tr" },		{ "table_header", "tr" },
	{ "table_cell", "td" },		{ "html_block", "p" },
	{ "strikethrough", "del" },	{ "heading", "h4" },
	{ "list", "ul" },
};

/* Schemes a recommendation may link to. */
static const char *const md_link_prefixes[] = { "#", "https://", "http://" };

static const char *element_of(cmark_node *n)
{
	const char *t = cmark_node_get_type_string(n);
	/* A tight list's items hold their text without a paragraph, as
	 * cmark's own HTML renderer writes them. */
	cmark_node *item = cmark_node_parent(n);
	if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && item &&
	    cmark_node_get_type(item) == CMARK_NODE_ITEM &&
	    cmark_node_parent(item) &&
	    cmark_node_get_list_tight(cmark_node_parent(item)))
		return NULL;
	if (!strcmp(t, "list") && cmark_node_get_list_type(n) == CMARK_ORDERED_LIST)
		return "ol";
	if (!strcmp(t, "table_cell") && cmark_node_parent(n) &&
	    cmark_gfm_extensions_get_table_row_is_header(cmark_node_parent(n)))
		return "th";
	for (size_t i = 0; i < sizeof(md_elements) / sizeof(md_elements[0]); i++)
		if (!strcmp(t, md_elements[i].type))
			return md_elements[i].element;
	return NULL;
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

static bool add_text(xmlDocPtr doc, xmlNodePtr parent, const char *s)
{
	if (!s || !*s)
		return true;
	char *clean = report_clean(s, 0);
	xmlNodePtr t = clean ? xmlNewDocText(doc, BAD_CAST clean) : NULL;
	free(clean);
	if (!t || !xmlAddChild(parent, t)) {
		xmlFreeNode(t);
		return false;
	}
	return true;
}

static bool link_allowed(const char *url)
{
	for (size_t i = 0; i < sizeof(md_link_prefixes) / sizeof(md_link_prefixes[0]); i++)
		if (url && !strncmp(url, md_link_prefixes[i],
				    strlen(md_link_prefixes[i])))
			return true;
	return false;
}

bool html_markdown(xmlDocPtr doc, xmlNodePtr parent, const char *md)
{
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	if (!p)
		return false;
	cmark_syntax_extension *ext = cmark_find_syntax_extension("table");
	if (ext)
		cmark_parser_attach_syntax_extension(p, ext);
	ext = cmark_find_syntax_extension("strikethrough");
	if (ext)
		cmark_parser_attach_syntax_extension(p, ext);
	cmark_parser_feed(p, md, strlen(md));
	cmark_node *root = cmark_parser_finish(p);
	cmark_parser_free(p);
	if (!root)
		return false;

	bool ok = true;
	xmlNodePtr cur = parent;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while (ok && it && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (n == root)
			continue;
		const char *name = element_of(n);
		cmark_node_type t = cmark_node_get_type(n);
		bool leaf = is_leaf(t);
		if (ev == CMARK_EVENT_EXIT) {
			if (name && !leaf && cur != parent)
				cur = cur->parent;
			continue;
		}
		xmlNodePtr e = cur;
		if (name) {
			e = xmlNewChild(cur, NULL, BAD_CAST name, NULL);
			if (!e) {
				ok = false;
				break;
			}
		}
		if (t == CMARK_NODE_LINK && link_allowed(cmark_node_get_url(n)) &&
		    !xmlNewProp(e, BAD_CAST "href", BAD_CAST cmark_node_get_url(n)))
			ok = false;
		/* Leaves: their literal (raw HTML too, as text). */
		switch (t) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_HTML_INLINE:
			ok = ok && add_text(doc, e, cmark_node_get_literal(n));
			break;
		case CMARK_NODE_SOFTBREAK:
			ok = ok && add_text(doc, e, " ");
			break;
		default:
			break;
		}
		/* A container is entered: its children go inside it until its
		 * EXIT (a leaf gets no EXIT event). */
		if (name && !leaf)
			cur = e;
	}
	cmark_iter_free(it);
	cmark_node_free(root);
	return ok && it;
}
