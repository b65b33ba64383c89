/*
 * term.h - the one way coroner prints a string it did not write itself.
 *
 * Dump paths, names read from a dump, error lines that quote either, and
 * command-line arguments echoed back may hold terminal control sequences
 * ("\033]0;title\007", "\033[2J", the 8-bit CSI U+009B).  Printed raw they
 * would retitle, clear or reprogram the user's terminal.  Everything main.c
 * prints to stdout or stderr goes through cr_term_fputs() (or its printf
 * form), which shows such characters escaped and leaves printable UTF-8 as
 * it is.
 */
#ifndef CR_TERM_H
#define CR_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Length (1-4) of the well-formed UTF-8 sequence at S (at most N bytes, N >
 * 0), storing its code point in *CP; 0 when S does not start one.  Rejects
 * overlong forms, surrogates and code points above U+10FFFF (RFC 3629),
 * which is also what libxml2 and jansson refuse.
 */
size_t cr_utf8_len(const unsigned char *s, size_t n, uint32_t *cp);

/*
 * The character at S (N > 0 bytes left): its length in bytes (1 for a byte
 * that starts no UTF-8 sequence), and in *ESCAPED whether cr_term_fputs()
 * shows it escaped.  For callers that must keep the same characters out of
 * something else (report file names).
 */
size_t cr_term_char(const unsigned char *s, size_t n, bool *escaped);

/*
 * Write S to F for a terminal: C0 controls (tab and newline included), DEL
 * and bytes that are not UTF-8 become "\xHH"; C1 controls (U+0080-U+009F)
 * and the invisible characters that reorder or break a line (bidi
 * controls, U+2028/U+2029) become "\uHHHH".  Everything else, printable
 * UTF-8 in any script included, is written unchanged.
 */
void cr_term_fputs(const char *s, FILE *f);

/* The same into a new malloc'd string; NULL when out of memory. */
char *cr_term_safe(const char *s);

/*
 * printf FMT to F as one line through cr_term_fputs(), then '\n'.  The whole
 * line is escaped, so a %s from a dump cannot escape it.  Out of memory
 * prints FMT itself, escaped.
 */
void cr_term_printf(FILE *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
