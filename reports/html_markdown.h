/*
 * html_markdown.h - Markdown we wrote (recommendations) as elements of the
 * HTML report's libxml2 tree (private to reports/).
 */
#ifndef CR_HTML_MARKDOWN_H
#define CR_HTML_MARKDOWN_H

#include <stdbool.h>

#include <libxml/tree.h>

/*
 * Parse MD with cmark-gfm (and its table extension) and append what it
 * says to PARENT as elements and text nodes of DOC: never as HTML text, so
 * raw HTML in MD stays visible text, and a link keeps its href only when it
 * is an anchor ("#...") or an http(s) address.  False when out of memory.
 */
bool html_markdown(xmlDocPtr doc, xmlNodePtr parent, const char *md);

#endif
