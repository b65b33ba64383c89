/*
 * termsig.c - the signals that end a run from outside (termsig.h).
 */
#include "termsig.h"

#include "util.h"

const int cr_term_signals[3] = { SIGINT, SIGTERM, SIGHUP };

void cr_term_sigset(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_LEN(cr_term_signals); i++)
		sigaddset(set, cr_term_signals[i]);
}
