/*
 * html_md_replay.c - a recommendation's element tree, compiled by the
 * build (html_md_tree.h says why), replayed into the HTML report's
 * libxml2 tree.
 */
#include "html_md_replay.h"
#include "html_libs.h"
#include "report_util.h"
#include "util.h"

#include <stdlib.h>

#define ELEMENT_NAME(type, element) element,
static const char *const md_element_names[] = { HTML_MD_ELEMENTS(ELEMENT_NAME) };

const char *html_md_element(unsigned i)
{
	return i < ARRAY_LEN(md_element_names) ?
		md_element_names[i] : NULL;
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

bool html_md_replay(xmlDocPtr doc, xmlNodePtr parent,
		    const struct html_md_tree *tree)
{
	xmlNodePtr cur = parent;
	for (size_t i = 0; i < tree->n; i++) {
		const struct html_md_op *op = &tree->ops[i];
		const char *name;
		switch (op->kind) {
		case HTML_MD_OPEN:
			name = html_md_element(op->element);
			cur = name ? xmlNewChild(cur, NULL, BAD_CAST name, NULL) : NULL;
			if (!cur)
				return false;
			break;
		case HTML_MD_CLOSE:
			/* Never above PARENT, whatever the list says. */
			if (cur != parent)
				cur = cur->parent;
			break;
		case HTML_MD_TEXT:
			if (!add_text(doc, cur, op->text))
				return false;
			break;
		case HTML_MD_HREF:
			if (cur != parent && op->text &&
			    !xmlNewProp(cur, BAD_CAST "href", BAD_CAST op->text))
				return false;
			break;
		}
	}
	return true;
}
