/*
 * fpe.c - integer division by zero.
 *
 * The divisor comes from a volatile global so that the compiler must emit
 * the division (x86 idiv raises #DE, which the kernel turns into SIGFPE
 * with FPE_INTDIV).  On AArch64 integer division by zero does not trap;
 * the test expects SIGFPE only on x86.
 *
 * Expected: SIGFPE, FPE_INTDIV, class arithmetic error, top frame divide at
 * the LINE:crash marker.
 */
#include <stdio.h>

static volatile int zero;

__attribute__((noinline)) int divide(int a, int b);

__attribute__((noinline)) int divide(int a, int b)
{
	return a / b; /* LINE:crash */
}

int main(void)
{
	puts("ready");
	fflush(stdout);
	int r = divide(1000, zero); /* LINE:call */
	printf("%d\n", r);
	return 0;
}
