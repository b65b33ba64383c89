/*
 * html_libs.c - libxml2 loaded on first use (html_libs.h says why), and
 * asked for in the background by report_html_prefetch.
 */
#define CR_HTML_LIBS_NO_MACROS
#include "html_libs.h"

#include "pass.h"
#include "report.h"
#include "util.h"

struct cr_html_api cr_html_api;

#define CR_HTML_SYM(f) { #f, (void **)&cr_html_api.f },
static const struct cr_dynsym xml_syms[] = { CR_XML_FUNCS(CR_HTML_SYM) };
static struct cr_dynlib xml_lib = { .stdcxx_first = true };

void report_html_prefetch(void)
{
	cr_dynlib_prefetch(&xml_lib, CR_SONAME_XML2, xml_syms, ARRAY_LEN(xml_syms));
}

void report_prefetch(const struct cr_dump *d, const struct cr_options *opts,
		     unsigned formats)
{
	cr_warm_passes(d, opts);
	if (formats & CR_REPORT_HTML)
		report_html_prefetch();
}

struct cr_error *cr_html_libs_load(const char *what)
{
	return cr_dynlib_load(&xml_lib, CR_SONAME_XML2, xml_syms,
			      ARRAY_LEN(xml_syms), CR_ERR_IO, what);
}

void report_preload(const struct cr_options *opts, unsigned formats)
{
	cr_load_passes(opts);
	/* A failure is said by the writer, in each worker. */
	if (formats & CR_REPORT_HTML)
		cr_error_free(cr_html_libs_load("writing the HTML report"));
}

xmlDocPtr cr_html_new_doc(void)
{
	xmlDocPtr doc = cr_html_api.htmlNewDocNoDtD(NULL, NULL);
	if (!doc)
		return NULL;
	doc->dict = cr_html_api.xmlDictCreate();
	if (!doc->dict ||
	    !cr_html_api.xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL)) {
		cr_html_api.xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}
