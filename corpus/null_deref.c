/*
 * null_deref.c - writes through a NULL pointer.
 *
 * The pointer comes from a volatile global so that the compiler can neither
 * see that it is NULL (and replace the store by a trap) nor inline the
 * function away.  The end-to-end tests find the faulting line by the marker
 * comment, so the program can be edited freely.
 *
 * Expected: SIGSEGV, SEGV_MAPERR at address 0x0, class null-pointer
 * dereference, top frame crash_null at the LINE:crash marker, called from
 * main at the LINE:call marker.
 */
#include <stdio.h>

static int *volatile target;	/* always NULL */

__attribute__((noinline)) void crash_null(int value);

__attribute__((noinline)) void crash_null(int value)
{
	int *p = target;

	*p = value; /* LINE:crash */
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	crash_null(42); /* LINE:call */
	return 0;
}
