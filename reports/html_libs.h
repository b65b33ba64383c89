/*
 * html_libs.h - libxml2 and cmark-gfm, opened with dlopen() by the HTML
 * writers (private to reports/).
 *
 * Linked, the two cost every start of coroner 12 ms on this project's VM
 * (libxml2 with ICU 9 ms, cmark-gfm and its extensions 3 ms: relocations
 * and page faults, formats/dynlib.h), whether the run writes HTML or not,
 * more than the analysis of a small core.  Now `coroner analyze` asks for
 * them in the background when HTML is among its formats
 * (report_html_prefetch), and the writers load them when they start.
 * Include this header instead of libxml2's and cmark-gfm's: the names
 * below are macros for the pointers the loads resolve, so calls read as
 * the libraries' API.  A function not listed fails to link: list it.
 */
#ifndef CR_HTML_LIBS_H
#define CR_HTML_LIBS_H

#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlerror.h>

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>

#include "dynlib.h"
#include "error.h"

#define CR_XML_FUNCS(X)							\
	X(xmlAddChild) X(xmlCreateIntSubset) X(xmlDocSetRootElement)	\
	X(xmlFreeDoc) X(xmlFreeNode) X(xmlNewChild) X(xmlNewDocNode)	\
	X(xmlNewDocText) X(xmlNewProp) X(xmlOutputBufferClose)		\
	X(xmlOutputBufferCreateFile) X(xmlSetGenericErrorFunc)		\
	X(xmlSetProp) X(htmlDocContentDumpFormatOutput) X(htmlNewDocNoDtD)

#define CR_CMARK_FUNCS(X)						\
	X(cmark_find_syntax_extension)					\
	X(cmark_gfm_core_extensions_ensure_registered)			\
	X(cmark_gfm_extensions_get_table_row_is_header)			\
	X(cmark_iter_free) X(cmark_iter_get_node) X(cmark_iter_new)	\
	X(cmark_iter_next) X(cmark_node_free) X(cmark_node_get_list_tight) \
	X(cmark_node_get_list_type) X(cmark_node_get_literal)		\
	X(cmark_node_get_type) X(cmark_node_get_type_string)		\
	X(cmark_node_get_url) X(cmark_node_parent)			\
	X(cmark_parser_attach_syntax_extension) X(cmark_parser_feed)	\
	X(cmark_parser_finish) X(cmark_parser_free) X(cmark_parser_new)

struct cr_html_api {
	CR_XML_FUNCS(CR_DYN_FIELD)
	CR_CMARK_FUNCS(CR_DYN_FIELD)
};
extern struct cr_html_api cr_html_api;

/* Load libxml2 (XML) and cmark-gfm (MARKDOWN too) once per process; NULL,
 * or an error naming what WHAT needed and why it could not be loaded. */
struct cr_error *cr_html_libs_load(bool markdown, const char *what);

#ifndef CR_HTML_LIBS_NO_MACROS	/* html_libs.c names the functions */
#define xmlAddChild cr_html_api.xmlAddChild
#define xmlCreateIntSubset cr_html_api.xmlCreateIntSubset
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
#define cmark_find_syntax_extension cr_html_api.cmark_find_syntax_extension
#define cmark_gfm_core_extensions_ensure_registered \
	cr_html_api.cmark_gfm_core_extensions_ensure_registered
#define cmark_gfm_extensions_get_table_row_is_header \
	cr_html_api.cmark_gfm_extensions_get_table_row_is_header
#define cmark_iter_free cr_html_api.cmark_iter_free
#define cmark_iter_get_node cr_html_api.cmark_iter_get_node
#define cmark_iter_new cr_html_api.cmark_iter_new
#define cmark_iter_next cr_html_api.cmark_iter_next
#define cmark_node_free cr_html_api.cmark_node_free
#define cmark_node_get_list_tight cr_html_api.cmark_node_get_list_tight
#define cmark_node_get_list_type cr_html_api.cmark_node_get_list_type
#define cmark_node_get_literal cr_html_api.cmark_node_get_literal
#define cmark_node_get_type cr_html_api.cmark_node_get_type
#define cmark_node_get_type_string cr_html_api.cmark_node_get_type_string
#define cmark_node_get_url cr_html_api.cmark_node_get_url
#define cmark_node_parent cr_html_api.cmark_node_parent
#define cmark_parser_attach_syntax_extension \
	cr_html_api.cmark_parser_attach_syntax_extension
#define cmark_parser_feed cr_html_api.cmark_parser_feed
#define cmark_parser_finish cr_html_api.cmark_parser_finish
#define cmark_parser_free cr_html_api.cmark_parser_free
#define cmark_parser_new cr_html_api.cmark_parser_new
#endif

#endif
