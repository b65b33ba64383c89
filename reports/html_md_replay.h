/*
 * html_md_replay.h - Markdown we wrote (recommendations), compiled by the
 * build into an element tree (html_md_tree.h), as elements of the HTML
 * report's libxml2 tree (private to reports/).
 */
#ifndef CR_HTML_MD_REPLAY_H
#define CR_HTML_MD_REPLAY_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "html_md_tree.h"

/*
 * Append TREE's elements and text nodes to PARENT, in DOC: never HTML
 * text, so raw HTML in the Markdown stays visible text.  False when out
 * of memory.
 */
bool html_md_replay(xmlDocPtr doc, xmlNodePtr parent,
		    const struct html_md_tree *tree);

#endif
