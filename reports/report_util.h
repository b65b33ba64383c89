/*
 * report_util.h - what the three report writers share (private to reports/).
 *
 * The writers print the same facts in three syntaxes.  So that they cannot
 * drift apart, the *text* of each fact (a label and a raw, unescaped value)
 * is built once here from the analysis, and each writer only escapes it for
 * its own context.  Nothing here decides anything: every helper formats a
 * field of struct cr_analysis / struct cr_dump ("not recorded" when the dump
 * did not record it, never a made-up 0).
 *
 * Strings from a dump are arbitrary bytes.  report_clean() turns them into
 * valid UTF-8 (libxml2 and jansson refuse anything else) and, on request,
 * flattens newlines and control characters so a value stays on its line.
 */
#ifndef CR_REPORT_UTIL_H
#define CR_REPORT_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis.h"
#include "strbuf.h"
#include "util.h"

/* glibc's fastbin limit as GLIBC_TUNABLES (TUNABLES, NULL unset) sets
 * it, else its default (html.c). */
size_t report_malloc_mxfast(const char *tunables);

/* --- cleaning dump strings ------------------------------------------------ */

#define REPORT_CLEAN_FLAT 1u	/* \n \r \t -> space, other controls -> U+FFFD */

/*
 * Append S to B as valid UTF-8: each byte that does not start a valid
 * sequence becomes U+FFFD, and so do DEL, each C1 control
 * (U+0080-U+009F) and the bidi controls and line separators that the
 * terminal sanitizer escapes (term.h).  With REPORT_CLEAN_FLAT the result is one line.  A NULL S
 * appends nothing.
 */
void report_clean_into(struct cr_buf *b, const char *s, unsigned flags);
/* The same into a new malloc'd string; NULL when out of memory. */
char *report_clean(const char *s, unsigned flags);

/* --- small formatters (BUF must hold REPORT_NUM_LEN bytes) ---------------- */

#define REPORT_NUM_LEN 40

/* 116450 -> "116,450". */
/* seconds since the epoch -> "2024-05-01T12:00:00Z"; NULL when T < 0. */
const char *report_fmt_time(char *buf, int64_t t);
/* "1.250000 s", or "not recorded" when !known. */
const char *report_fmt_cpu(char *buf, struct cr_cpu_time t);
/* "0x" and V in lower-case hex of at least WIDTH (at most 16) digits, as
 * snprintf's "0x%0*" PRIx64 writes it at a tenth of the cost: reports
 * print an address or offset per frame, tens of thousands of them. */
const char *report_fmt_hex(char *buf, uint64_t v, int width);
/* "0x0000000000401000" padded to the dump's pointer size. */
const char *report_fmt_addr(char *buf, const struct cr_dump *d, uint64_t v);

/* Lower-case hex of the module's build id; NULL when unknown or no memory. */
char *report_build_id_hex(const struct cr_module *m);

/* "coroner report: crashme (pid 1234)"; malloc'd, raw (not escaped). */
char *report_title(const struct cr_analysis *a);

/* --- label/value facts ---------------------------------------------------- */

struct report_fact {
	const char *label;	/* static text, or a dump's string (borrowed;
				 * raw: writers escape it like the value) */
	char *value;		/* malloc'd, raw (writers escape it) */
};

struct report_facts {
	struct report_fact *v;
	size_t n, cap;
	bool oom;
};

void report_facts_add(struct report_facts *f, const char *label,
		      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void report_facts_free(struct report_facts *f);

/* "What happened": signal, code, class, address, sender, abort message,
 * crashing thread, signature, and for an exception record its code, flags,
 * address and parameters.  Empty for a dump without a crash except for
 * whatever the analysis still recorded. */
void report_crash_facts(const struct cr_analysis *a, struct report_facts *f);
/*
 * The heading over the focus thread's stack, from the data: "Stack of the
 * crashing thread"; "Stack of the thread that received the signal" when the
 * signal was sent to the process (crash.sent: killed, not crashed); "Stack
 * of thread 1234" for a thread that is the focus without an event on it (a
 * dump taken on demand).  malloc'd, raw; NULL when out of memory.
 */
char *report_focus_heading(const struct cr_analysis *a);
/* What the thread of the event did, as marked in thread tables:
 * "crashed", or "received the signal" / "received the exception". */
const char *report_event_thread_mark(const struct cr_analysis *a);

/* pid, ppid, uid/gid, executable, command line, OS, arch, CPU, number of
 * CPUs, times. */
void report_process_facts(const struct cr_analysis *a, struct report_facts *f);
/* path, format, producer, size, counts, then the container's other facts
 * (d->facts: unread streams, handle count...) with their own labels. */
void report_dump_facts(const struct cr_analysis *a, struct report_facts *f);

/* The sentence printed instead of the crash facts for CR_CRASH_NONE. */
extern const char report_no_crash_text[];
/* The "modules without a file" explanation and the problems heading text. */
extern const char report_missing_modules_text[];
/* The sentences under the "Annotations" and "Unloaded modules" headings. */
extern const char report_annotations_text[];
extern const char report_unloaded_text[];

/* --- modules, unloaded modules, annotations -------------------------------- */

/* "0x...-0x..." for [BASE, BASE+SIZE) (saturating), in BUF of
 * 2 * REPORT_NUM_LEN bytes. */
const char *report_fmt_range(char *buf, const struct cr_dump *d,
			     uint64_t base, uint64_t size);

/* The cells of one annotation row, raw; "" for a missing module or key. */
struct report_annotation_text {
	const char *module;	/* "" when the process itself set it */
	const char *key;	/* "" for a list annotation */
	const char *value;
};
void report_annotation_text(const struct cr_annotation *an,
			    struct report_annotation_text *t);

/* The exception record's parameters: "0x1, 0x45"; malloc'd, "" for none. */
char *report_exc_params_text(const struct cr_event *ev);

/* --- threads and stacks --------------------------------------------------- */

/* "tid 1234 \"worker\"" / "thread #3" when the tid is unknown; malloc'd. */
char *report_thread_label(const struct cr_analysis *a, size_t idx);

/* What thread IDX was doing, the sentence of cr_thread_state_text();
 * malloc'd, NULL when nothing is known of it or (*OOM set) when out of
 * memory. */
char *report_thread_state(const struct cr_analysis *a, size_t idx, bool *oom);

/* One row of a printed stack: a frame, or one line for a whole fold. */
struct report_row {
	const struct cr_frame *frame;	/* NULL for a fold row */
	const struct cr_fold *fold;	/* NULL for a frame row */
	size_t index;			/* frame index (fold: fold->first) */
};

/* Walks a stack, turning each (sane) fold into a single row. */
struct report_rows {
	const struct cr_stack *s;
	size_t i;		/* next frame */
	size_t fi;		/* next fold */
};

void report_rows_init(struct report_rows *it, const struct cr_stack *s);
bool report_rows_next(struct report_rows *it, struct report_row *row);

/* Whether fold F is usable for stack S (inside it, after frame MIN). */
bool report_fold_sane(const struct cr_stack *s, const struct cr_fold *f,
		      size_t min);

/* The texts of one frame, raw.  Free with report_frame_text_free(). */
struct report_frame_text {
	char index[REPORT_NUM_LEN];	/* "#12" */
	char pc[REPORT_NUM_LEN];	/* "0x00007f..." */
	char *where;		/* "func+0x1a", "libc.so.6+0x2a1b0" or "0x..." */
	char *module;		/* "libc.so.6" or "" */
	char *location;		/* "crash.c:42:7" or "" */
	const char *trust;	/* "cfi" */
	bool inlined;
};

bool report_frame_text(const struct cr_analysis *a, size_t index,
		       const struct cr_frame *fr, struct report_frame_text *t);
void report_frame_text_free(struct report_frame_text *t);

/* "frames 4-116,450: list_repr -> PyObject_Repr repeated 58,223 times";
 * malloc'd, raw. */
char *report_fold_text(const struct cr_fold *f);

/* "unwinding stopped: <reason>", or a note when nothing was unwound;
 * NULL when the stack ended normally.  malloc'd, raw. */
char *report_stack_end_text(const struct cr_stack *s);

/* Which optional module columns any module has a value for (a core has no
 * code ids or PDB names: empty columns are left out of the tables). */
struct report_module_cols {
	bool code_id, debug_id, debug_file, version;
};
void report_module_columns(const struct cr_dump *d,
			   struct report_module_cols *out);

/* --- problems ------------------------------------------------------------- */

/* Room for an out-of-memory note seen as a problem ("out of memory: ..."). */
struct report_problem_tmp {
	struct cr_problem p;
	char text[160];
};
/* The problems of the dump, then of the analysis, out-of-memory notes
 * included, as one list of N. */
size_t report_nproblems(const struct cr_analysis *a);
/* Problem I of that list (built in *TMP for a note); NULL past the end. */
const struct cr_problem *report_problem(const struct cr_analysis *a, size_t i,
					struct report_problem_tmp *tmp);
/* The line the Markdown and HTML reports print for P, raw (not escaped):
 * "warning (reader elfcore, file offset 0x1a0): ..."; malloc'd, NULL
 * when out of memory. */
char *report_problem_line(const struct cr_analysis *a,
			  const struct cr_problem *p);
/* Problems dropped, per severity into PER (may be NULL); the total. */
size_t report_problems_dropped(const struct cr_analysis *a,
			       size_t per[CR_NSEVERITIES]);
/* "... and 1,234 more problems not kept (2 errors, 1,232 warnings)";
 * malloc'd, NULL when none were dropped or out of memory. */
char *report_problems_dropped_line(const struct cr_analysis *a);

#endif
