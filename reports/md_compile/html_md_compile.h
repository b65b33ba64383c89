/*
 * html_md_compile.h - Markdown to the operations of html_md_tree.h, with
 * cmark-gfm: used by the build (html_md_gen.c) and by the unit tests,
 * never by coroner itself.
 */
#ifndef CR_HTML_MD_COMPILE_H
#define CR_HTML_MD_COMPILE_H

#include <stdbool.h>
#include <stddef.h>

#include "html_md_tree.h"

/* Operations and the texts they own (malloc'd). */
struct html_md_ops {
	struct html_md_op *v;
	size_t n, cap;
};

/*
 * Parse MD (LEN bytes) with cmark-gfm and its table and strikethrough
 * extensions, and append to OUT the operations that build its elements:
 * one element per node from HTML_MD_ELEMENTS, literal text (raw HTML
 * too) as text runs, a link's href only when it starts with one of
 * HTML_MD_LINK_PREFIXES.  False when out of memory.
 */
bool html_md_compile(const char *md, size_t len, struct html_md_ops *out);
void html_md_ops_free(struct html_md_ops *ops);

#endif
