/*
 * error.h - the one error type of coroner.
 *
 * Every fallible function returns `struct cr_error *`: NULL on success, an
 * error otherwise (the drgn pattern).  An error carries a code, which decides
 * the exit status of the program, and one line of text that says which file
 * and where in it ("core.1234: note 7 (NT_FILE) at offset 0x2a8: count ...").
 * A caller adds context with cr_error_wrap().  Running out of memory returns
 * the static &cr_enomem, so reporting it cannot fail; cr_error_free() ignores
 * it.
 *
 * A damaged dump is usually NOT an error: readers record what they could not
 * read with cr_dump_problem() and go on.  Errors are for "this is not a dump
 * at all", "cannot open", "cannot write the report".
 */
#ifndef CR_ERROR_H
#define CR_ERROR_H

#include <stdarg.h>

/* The codes double as documented exit statuses (docs/coroner.1.md). */
enum cr_errcode {
	CR_ERR_USAGE = 2,	/* bad command line */
	CR_ERR_IO = 3,		/* cannot open/read the dump, cannot write output */
	CR_ERR_FORMAT = 4,	/* not a dump we know, or empty */
	CR_ERR_CORRUPT = 5,	/* a dump, but too damaged for any report */
	CR_ERR_NOMEM = 6,	/* out of memory, or a limit was hit */
	CR_ERR_PROCESS = 7,	/* collect: no such process, it exited, or it
				 * may not be traced */
	CR_ERR_INTERNAL = 70,	/* a bug in coroner */
};

struct cr_error {
	enum cr_errcode code;
	char *message;		/* one line, no trailing newline */
};

extern struct cr_error cr_enomem;

struct cr_error *cr_error_new(enum cr_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
struct cr_error *cr_error_vnew(enum cr_errcode code, const char *fmt,
			       va_list ap);
/* Prefix ERR's message with "context: ".  Returns ERR (or &cr_enomem). */
struct cr_error *cr_error_wrap(struct cr_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cr_error_free(struct cr_error *err);

/* printf into a new malloc'd string; NULL when out of memory. */
char *cr_strdup_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
char *cr_strdup_vprintf(const char *fmt, va_list ap);

/* "116454" -> "116,454" into BUF (at least CR_COUNT_LEN bytes); returns BUF. */
#define CR_COUNT_LEN 32
const char *cr_fmt_count(char *buf, unsigned long long n);

#endif
