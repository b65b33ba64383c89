/*
 * termsig.h - the signals that end a run from outside: Ctrl-C, kill, a
 * closed terminal.  `coroner analyze` removes its temporary report files
 * on them (cmd_analyze.c), reports/output.c changes its list of those
 * files with them blocked, and the loader thread (dynlib.c) starts with
 * them blocked, so that the handler runs on the thread that set up what
 * it reads.  One list, so that the three agree.
 */
#ifndef CR_TERMSIG_H
#define CR_TERMSIG_H

#include <signal.h>

extern const int cr_term_signals[3];

/* *SET: the set of cr_term_signals. */
void cr_term_sigset(sigset_t *set);

#endif
