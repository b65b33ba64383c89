/*
 * wild_write.c - writes through a pointer made of "AAAA..." bytes, as a
 * pointer overwritten by a string an attacker controls would be.
 *
 * On x86_64 0x4141414141414141 is not a canonical address: the processor
 * raises a general-protection fault, and the kernel reports SIGSEGV with
 * si_code SI_KERNEL and address 0.  Only the decoded instruction and its
 * registers give the real address.
 *
 * Expected: SIGSEGV; the faulting instruction writes 4 bytes at
 * 0x4141414141414141 (non-canonical; 0x41414141 on 32-bit); security
 * rating high.
 */
#include <stdint.h>
#include <stdio.h>

static volatile uintptr_t target = (uintptr_t)0x4141414141414141ull;

__attribute__((noinline)) void store(int value);

__attribute__((noinline)) void store(int value)
{
	int *p = (int *)target;

	*p = value; /* LINE:crash */
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	store(42); /* LINE:call */
	return 0;
}
