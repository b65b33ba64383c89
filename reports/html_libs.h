/*
 * html_libs.h - libxml2, opened with dlopen() by the HTML writers (private
 * to reports/).
 *
 * Linked, libxml2 with ICU costs every start of coroner 9 ms on this
 * project's VM (relocations and page faults, formats/dynlib.h), whether
 * the run writes HTML or not, more than the analysis of a small core.
 * Now `coroner analyze` asks for it in the background when HTML is among
 * its formats (report_html_prefetch), and the writers load it when they
 * start.  (cmark-gfm, 3 ms more, is no longer loaded at all: the
 * recommendations' Markdown is compiled by the build, html_md_tree.h.)
 * Include this header instead of libxml2's: the names below are macros
 * for the pointers the load resolves, so calls read as the library's API.
 * A function not listed fails to link: list it.
 */
#ifndef CR_HTML_LIBS_H
#define CR_HTML_LIBS_H

#include <libxml/HTMLtree.h>
#include <libxml/dict.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>

#include "dynlib.h"
#include "error.h"

#define CR_XML_FUNCS(X)							\
	X(xmlAddChild) X(xmlCreateIntSubset) X(xmlDictCreate)		\
	X(xmlDocSetRootElement) X(xmlFreeDoc) X(xmlFreeNode)		\
	X(xmlNewChild) X(xmlNewDocNode) X(xmlNewDocText) X(xmlNewProp)	\
	X(xmlOutputBufferClose) X(xmlOutputBufferCreateFile)		\
	X(xmlSetGenericErrorFunc) X(xmlSetProp)				\
	X(htmlDocContentDumpFormatOutput) X(htmlNewDocNoDtD)

struct cr_html_api {
	CR_XML_FUNCS(CR_DYN_FIELD)
};
extern struct cr_html_api cr_html_api;

/* Load libxml2 once per process; NULL, or an error naming what WHAT
 * needed and why it could not be loaded. */
struct cr_error *cr_html_libs_load(const char *what);

/* A new HTML document that starts <!DOCTYPE html>, its element and
 * attribute names interned in a dictionary of its own (a report's few
 * dozen names are not copied for each of its thousands of elements);
 * NULL when out of memory.  After cr_html_libs_load(). */
xmlDocPtr cr_html_new_doc(void);

#ifndef CR_HTML_LIBS_NO_MACROS	/* html_libs.c names the functions */
#define xmlAddChild cr_html_api.xmlAddChild
#define xmlCreateIntSubset cr_html_api.xmlCreateIntSubset
#define xmlDictCreate cr_html_api.xmlDictCreate
#define xmlDocSetRootElement cr_html_api.xmlDocSetRootElement
#define xmlFreeDoc cr_html_api.xmlFreeDoc
#define xmlFreeNode cr_html_api.xmlFreeNode
#define xmlNewChild cr_html_api.xmlNewChild
#define xmlNewDocNode cr_html_api.xmlNewDocNode
#define xmlNewDocText cr_html_api.xmlNewDocText
#define xmlNewProp cr_html_api.xmlNewProp
#define xmlOutputBufferClose cr_html_api.xmlOutputBufferClose
#define xmlOutputBufferCreateFile cr_html_api.xmlOutputBufferCreateFile
#define xmlSetGenericErrorFunc cr_html_api.xmlSetGenericErrorFunc
#define xmlSetProp cr_html_api.xmlSetProp
#define htmlDocContentDumpFormatOutput cr_html_api.htmlDocContentDumpFormatOutput
#define htmlNewDocNoDtD cr_html_api.htmlNewDocNoDtD
#endif

#endif
