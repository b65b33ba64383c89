/*
 * diag.h - the one diagnostics channel: problems with a severity, an origin
 * and a place.
 *
 * Every layer says what it could not do through the same list: a reader
 * about bytes of the dump file (their offset), the symbolizer, the stack
 * walker and the passes about the target (an address).  A problem is data
 * (severity, source, origin, place, text); the writers print it, the exit
 * status follows from the severities (docs/coroner.1.md, EXIT STATUS).
 *
 * Adding a problem never fails: past the list's limit, or when memory runs
 * out, it is counted per severity in `dropped`.  Running out of memory is
 * itself recorded without allocating (cr_problems_oom), in a small
 * preallocated table, so the report says what was lost instead of
 * silently missing it.
 *
 * The severity enum is shared with the findings (analyzer/findings.h); it
 * lives here because formats/ cannot include analyzer/.
 */
#ifndef CR_DIAG_H
#define CR_DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cr_severity {
	/* finding: the process failed (a crash, a deadlock); problem: a part
	 * of the dump could not be read and the report lacks it */
	CR_SEVERITY_ERROR = 0,
	/* finding: likely a bug or a danger; problem: something was read
	 * with doubt (trimmed, guessed, partly skipped) */
	CR_SEVERITY_WARNING,
	/* a fact worth knowing, nothing is missing */
	CR_SEVERITY_INFO,
};
#define CR_NSEVERITIES 3
const char *cr_severity_name(enum cr_severity s);	/* "error" ... */

/* Which layer noticed the problem. */
enum cr_diag_source {
	CR_SOURCE_READER = 0,	/* formats/: origin is the reader */
	CR_SOURCE_SYMBOLIZER,	/* analyzer/symbols/ */
	CR_SOURCE_WALKER,	/* analyzer/unwind/ */
	CR_SOURCE_PASS,		/* a pass: origin is its name */
	CR_SOURCE_ANALYZER,	/* the pipeline itself */
};
const char *cr_diag_source_name(enum cr_diag_source s);	/* "reader" ... */

/* What `where` is. */
enum cr_diag_place {
	CR_PLACE_NONE = 0,
	CR_PLACE_OFFSET,	/* a byte offset in the dump file */
	CR_PLACE_ADDRESS,	/* an address in the target */
};

/* Severity, origin and place of a problem (the _at variants' argument). */
struct cr_diag_at {
	enum cr_severity severity;
	enum cr_diag_source source;
	const char *origin;	/* static: "elfcore", "minidump", a pass name;
				 * NULL: the list's owner fills it in */
	enum cr_diag_place place;
	uint64_t where;
};

/* Shorthands for call sites: a problem of SEV at a file offset / address. */
#define CR_AT_OFFSET(sev, off) (&(const struct cr_diag_at){ \
	.severity = (sev), .place = CR_PLACE_OFFSET, .where = (off) })
#define CR_AT_ADDRESS(sev, addr) (&(const struct cr_diag_at){ \
	.severity = (sev), .place = CR_PLACE_ADDRESS, .where = (addr) })
#define CR_AT(sev) (&(const struct cr_diag_at){ .severity = (sev) })

struct cr_problem {
	struct cr_diag_at at;
	char *text;		/* one line, owned */
};

/* Memory ran out: what was lost (static strings, no allocation). */
struct cr_oom_note {
	enum cr_diag_source source;
	const char *origin;
	const char *lost;	/* "the PT_LOAD table" */
};
#define CR_MAX_OOM_NOTES 16

struct cr_problems {
	struct cr_problem *items;
	size_t n;
	size_t dropped[CR_NSEVERITIES];	/* past the limit or out of memory */
	struct cr_oom_note oom[CR_MAX_OOM_NOTES];
	size_t noom;			/* past CR_MAX_OOM_NOTES: dropped[0] */
};

/*
 * Add a problem (printf-style) unless the list holds MAX already; AT's
 * origin, when NULL, becomes DEFAULT_ORIGIN.  Never fails.
 */
void cr_problems_vadd(struct cr_problems *p, size_t max,
		      const struct cr_diag_at *at, const char *default_origin,
		      const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
/* Record that memory ran out and LOST (static) is missing from the
 * report.  Allocates nothing, so it works when nothing else does. */
void cr_problems_oom(struct cr_problems *p, enum cr_diag_source source,
		     const char *origin, const char *lost);
void cr_problems_free(struct cr_problems *p);

/* Problems of SEV, kept, dropped and out-of-memory notes (errors). */
size_t cr_problems_count(const struct cr_problems *p, enum cr_severity sev);
/* Problems of error or warning severity: these make the exit status 1. */
bool cr_problems_serious(const struct cr_problems *p);
size_t cr_problems_dropped(const struct cr_problems *p);	/* all severities */
/* Whether a kept problem's text contains NEEDLE (tests, callers). */
bool cr_problems_contain(const struct cr_problems *p, const char *needle);

#endif
