/*
 * html_md_tree.h - Markdown we wrote (the recommendations of
 * analyzer/recommendations/) as a tree of HTML elements, compiled at build
 * time and replayed into the HTML report's libxml2 tree at run time
 * (private to reports/).
 *
 * cmark-gfm could render HTML text, but pasting text into the report would
 * end the guarantee that the report's structure is built only by libxml2
 * calls.  Parsing the Markdown when the report is written meant loading
 * cmark-gfm (3 ms of relocation and page faults) in every run that wrote
 * HTML, for texts that are ours and fixed at build time.  So a program of
 * the build (reports/md_compile/, linked with cmark-gfm) walks each
 * recommendation's cmark tree once and writes its description: a list of
 * operations (open an element, close it, add a text run, set the href of
 * the element just opened) into a generated C file.  At run time
 * html_md_replay() turns the list into elements and text nodes with
 * libxml2 calls, so raw HTML in a text stays visible text, and a link has
 * an href only when the build found it among the allowed prefixes.
 */
#ifndef CR_HTML_MD_TREE_H
#define CR_HTML_MD_TREE_H

#include <stdbool.h>
#include <stddef.h>

/* cmark node type name (cmark_node_get_type_string()) -> element.  The
 * build writes an element as its index in this table.  The last two are
 * no cmark type: an ordered list, and a cell of a table's header row. */
#define HTML_MD_ELEMENTS(X)						\
	X("paragraph", "p")		X("block_quote", "blockquote")	\
	X("item", "li")			X("code_block", "pre")		\
	X("thematic_break", "hr")	X("code", "code")		\
	X("emph", "em")			X("strong", "strong")		\
	X("link", "a")			X("image", "span")		\
	X("linebreak", "br")		X("table", "table")		\
	X("table_row", "tr")		X("table_header", "tr")		\
	X("table_cell", "td")		X("html_block", "p")		\
	X("strikethrough", "del")	X("heading", "h4")		\
	X("list", "ul")			X("(ordered list)", "ol")	\
	X("(header cell)", "th")

/* Schemes a recommendation may link to. */
#define HTML_MD_LINK_PREFIXES { "#", "https://", "http://" }

enum html_md_op_kind {
	HTML_MD_OPEN,	/* a child element ELEMENT of the current one,
			 * which it becomes */
	HTML_MD_CLOSE,	/* back to the current element's parent */
	HTML_MD_TEXT,	/* a text run TEXT in the current element */
	HTML_MD_HREF,	/* href TEXT on the current element */
};

struct html_md_op {
	unsigned char kind;	/* enum html_md_op_kind */
	unsigned char element;	/* OPEN: index in HTML_MD_ELEMENTS */
	const char *text;	/* TEXT, HREF */
};

struct html_md_tree {
	const struct html_md_op *ops;
	size_t n;
};

/* The build's trees, by enum cr_finding_id (generated). */
extern const struct html_md_tree html_md_recommendations[];

/* The element name of index I, NULL out of range. */
const char *html_md_element(unsigned i);

#endif
