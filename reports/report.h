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
#define CR_REPORT_SCHEMA_VERSION 7

/*
 * What the Markdown report may hold (reports/md_budget.c).  A ticket system
 * limits a comment's size (GitHub: 65,536 characters), so the report keeps
 * to BUDGET characters: the summary, what happened and the focus stack
 * always; then the process and dump facts, thread groups in order while
 * they fit, problems, modules; what is left out is counted in a note that
 * names the HTML report.  BRIEF keeps the focus (crashing) thread only, as
 * minidump-stackwalk --brief does.
 */
#define REPORT_MD_BUDGET_DEFAULT 60000
struct report_md_options {
	size_t budget;		/* characters; 0: no limit */
	bool brief;
	const char *html_name;	/* the HTML report's file name written in the
				 * same run, NULL none */
};

/* report_md_write: with the default budget and no HTML report named. */
struct cr_error *report_md_write(const struct cr_analysis *a, FILE *f);
struct cr_error *report_md_write_with(const struct cr_analysis *a,
				      const struct report_md_options *o,
				      FILE *f);
struct cr_error *report_html_write(const struct cr_analysis *a, FILE *f);
/* Have the HTML writer's library (libxml2) loaded in the
 * background, for a run that will write HTML (html_libs.h says why). */
void report_html_prefetch(void);
/*
 * Once dump D is open: have what its analysis and reports in FORMATS will
 * load (formats/dynlib.h) loaded in the background meanwhile, the passes'
 * libraries first (cr_warm_passes: they are needed first), then HTML's.
 * D NULL: before any dump is read, what most dumps will need (pass.h).
 */
void report_prefetch(const struct cr_dump *d, const struct cr_options *opts,
		     unsigned formats);
/* The same for any dump, now, in a process about to fork the workers that
 * analyze (cr_load_passes), so that they inherit the libraries. */
void report_preload(const struct cr_options *opts, unsigned formats);
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
 * The temporary file a report is written to is "PATH" REPORT_TMP_SUFFIX in
 * PATH's directory (6 X's for mkstemps).  A report file name is
 * "NAME.coroner." and an extension of at most REPORT_EXT_MAX bytes, so the
 * longest NAME whose temporary name still fits in NAME_MAX (255) bytes is
 * REPORT_NAME_MAX (231).
 */
#define REPORT_TMP_SUFFIX ".XXXXXX.tmp"
#define REPORT_EXT_MAX 4	/* "html" */
#define REPORT_NAME_MAX (255 - (sizeof(".coroner.") - 1) - REPORT_EXT_MAX - \
			 (sizeof(REPORT_TMP_SUFFIX) - 1))

/* The report names given out in one run (report_name.c). */
struct report_name_slot {
	char *name;		/* NULL: free slot */
	unsigned next;		/* the next "-N" to try for this name */
};
struct report_names {
	struct report_name_slot *slots;	/* open addressing, cap a power of 2 */
	size_t n, cap;
};

/*
 * The NAME for the reports of DUMP_PATH ("OUT/NAME.coroner.md" ...): its file
 * name, with characters the terminal sanitizer escapes made '_', cut to
 * REPORT_NAME_MAX bytes on a character boundary with "~" and a hash of the
 * whole name when longer, and with "-2", "-3" ... when RN already gave that
 * name in this run.  The string belongs to RN; NULL when out of memory.
 */
const char *report_name_claim(struct report_names *rn, const char *dump_path);
void report_names_free(struct report_names *rn);
/*
 * The set itself, for names made by other rules (coroner batch's report
 * directories): is NAME taken; take it (false out of memory); the next
 * "-N" to try for names made from BASE (2, 3, ...: each once; BASE is
 * taken too), 0 out of memory.
 */
bool report_names_taken(const struct report_names *rn, const char *name);
bool report_names_take(struct report_names *rn, const char *name);
unsigned report_names_next(struct report_names *rn, const char *base);

/*
 * Write the report in FMT to PATH through a temporary file in the same
 * directory that is renamed over PATH only when complete (nothing is lost or
 * half-written).  PATH "-" writes to standard output.
 */
struct cr_error *report_write_file(const struct cr_analysis *a,
				   enum cr_report_format fmt, const char *path);
/* The same with the Markdown report's options MD (NULL: the defaults). */
struct cr_error *report_write_file_with(const struct cr_analysis *a,
					enum cr_report_format fmt,
					const char *path,
					const struct report_md_options *md);

/*
 * The reports of one analysis written one after the other, as the command
 * line writes md, html and json: the report document that the Markdown and
 * HTML writers render (reports/document.h) is built once, by the first
 * writer that needs it, and kept until report_set_free().  (Building it is
 * as much work as rendering the Markdown of a 200-thread dump.)  The set
 * borrows A.  report_set_new() returns NULL when out of memory;
 * report_set_write_file() writes as report_write_file_with().
 */
struct report_set;
struct report_set *report_set_new(const struct cr_analysis *a);
struct cr_error *report_set_write_file(struct report_set *rs,
				       enum cr_report_format fmt,
				       const char *path,
				       const struct report_md_options *md);
void report_set_free(struct report_set *rs);
/*
 * The first half of report_set_write_file(): the report written and
 * flushed into a new temporary file beside PATH, whose name *TMP is then
 * the caller's, to give to report_rename_temporary() or to unlink() and
 * free() (coroner batch's worker renames a dump's reports only when they
 * are all written and the dump is within its time limit: batch/job.c).
 */
struct cr_error *report_set_write_temporary(struct report_set *rs,
					    enum cr_report_format fmt,
					    const char *path,
					    const struct report_md_options *md,
					    char **tmp);
/* Rename TMP over PATH (TMP is unlinked if that fails) and free TMP. */
struct cr_error *report_rename_temporary(char *tmp, const char *path);
/* Unlink and free TMP, a temporary file of the two above. */
void report_discard_temporary(char *tmp);
/* Unlink every temporary file of these functions that exists now: for a
 * handler of SIGINT, SIGTERM or SIGHUP (async-signal-safe; the names
 * change only with those signals blocked). */
void report_remove_temporaries(void);
/*
 * Reports written now and made durable later: report_set_write_started()
 * writes as report_set_write_temporary() but only starts the disk's
 * writing (sync_file_range) and keeps a descriptor *FD of the file open,
 * and report_commit_temporary() waits for it (fsync of FD) and renames TMP
 * over PATH, or unlinks TMP; it closes FD and frees TMP.  The
 * command line writes every report of a dump, frees the analysis, then
 * commits them: the fsyncs overlap each other and that work, where one
 * fsync after each report made the run wait for the disk three times.
 */
struct cr_error *report_set_write_started(struct report_set *rs,
					  enum cr_report_format fmt,
					  const char *path,
					  const struct report_md_options *md,
					  char **tmp, int *fd);
struct cr_error *report_commit_temporary(char *tmp, int fd, const char *path);

#endif
