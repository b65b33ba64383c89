/*
 * stack_overflow.c - unbounded recursion until the stack guard page.
 *
 * Each call keeps a 64-byte array alive across the recursive call and reads
 * it afterwards, so the call is not a tail call and every frame really uses
 * stack.  With the default 8 MiB stack this dies after some 60,000 frames.
 *
 * Expected: SIGSEGV at an address just below the stack, class stack
 * overflow, every frame in recurse, folded into one fold with more than
 * 1,000 repeats.
 */
#include <stdio.h>

static volatile int sink;
static volatile int stop;	/* never set: keeps the recursion visibly finite */

__attribute__((noinline)) int recurse(int depth, const char *seed);

__attribute__((noinline)) int recurse(int depth, const char *seed)
{
	char buf[64];

	if (stop)
		return 0;
	for (int i = 0; i < 64; i++)
		buf[i] = (char)(seed[i] + depth);
	sink = buf[depth & 63];
	int r = recurse(depth + 1, buf); /* LINE:recurse */
	return r + buf[(depth + 1) & 63];
}

int main(void)
{
	static const char start[64] = "stack overflow";

	puts("ready");
	fflush(stdout);
	return recurse(0, start); /* LINE:call */
}
