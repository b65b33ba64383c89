/*
 * trap.c - stops itself with __builtin_trap().
 *
 * The condition comes from a volatile global so that the compiler keeps
 * the check and its trap in a function of its own.  gcc emits ud2 on x86
 * (SIGILL, ILL_ILLOPN) and brk #0x3e8 on AArch64 (SIGTRAP).
 *
 * Expected: the faulting instruction is the trap, named an intentional
 * trap (not corrupted code), rated none.
 */
#include <stdio.h>

static volatile int broken = 1;

__attribute__((noinline)) void check_invariant(int bad);

__attribute__((noinline)) void check_invariant(int bad)
{
	if (bad)
		__builtin_trap(); /* LINE:crash */
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	check_invariant(broken); /* LINE:call */
	return 0;
}
