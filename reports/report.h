/*
 * report.h - the report writers.
 *
 * Each writer prints a struct cr_analysis in one format and decides nothing:
 * what to say is already in the analysis.  Every string that came from the
 * dump is escaped by construction (Markdown: report_md_escape*; HTML: text
 * nodes of a libxml2 tree; JSON: jansson strings), so a thread name such as
 * "<script>" or "a|b`c" cannot change the structure of a report.
 */
#ifndef CR_REPORT_H
#define CR_REPORT_H

#include <stdio.h>

#include "analysis.h"

enum cr_report_format {
	CR_REPORT_MD = 1,
	CR_REPORT_HTML = 2,
	CR_REPORT_JSON = 4,
};

/* The JSON report's "schema_version" (docs/report-schema.md). */
#define CR_REPORT_SCHEMA_VERSION 2

struct cr_error *report_md_write(const struct cr_analysis *a, FILE *f);
struct cr_error *report_html_write(const struct cr_analysis *a, FILE *f);
struct cr_error *report_json_write(const struct cr_analysis *a, FILE *f);

/*
 * The Markdown escaping the Markdown writer uses, for other Markdown
 * producers (the command line's terminal summary, tests).  Both return a
 * malloc'd string, NULL when out of memory.
 *
 * report_md_escape_text: S as inline text or a GFM table cell: one line,
 *   valid UTF-8, every character with an inline meaning backslash-escaped.
 * report_md_code_block: CONTENT in a fenced code block whose backtick fence
 *   is longer than any run of backticks inside it.
 */
char *report_md_escape_text(const char *s);
char *report_md_code_block(const char *content);

/* File extension of a format without the dot: "md", "html", "json". */
const char *report_extension(enum cr_report_format fmt);

/*
 * Write the report in FMT to PATH through a temporary file in the same
 * directory that is renamed over PATH only when complete (nothing is lost or
 * half-written).  PATH "-" writes to standard output.
 */
struct cr_error *report_write_file(const struct cr_analysis *a,
				   enum cr_report_format fmt, const char *path);

#endif
