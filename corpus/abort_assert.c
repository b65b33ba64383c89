/*
 * abort_assert.c - an assert() that fails.
 *
 * glibc's __assert_fail prints the message, stores it where a debugger (and
 * coroner) can find it (__abort_msg), and calls abort().  Built with NDEBUG
 * undefined whatever the build type says.
 *
 * Expected: SIGABRT (SI_TKILL from the process itself), class abort, an
 * abort message that contains "x > 0", and check_positive at the LINE:crash
 * marker as the first frame in this program.
 */
#undef NDEBUG
#include <assert.h>
#include <stdio.h>

__attribute__((noinline)) int check_positive(int x);

__attribute__((noinline)) int check_positive(int x)
{
	assert(x > 0); /* LINE:crash */
	return x * 2;
}

int main(int argc, char **argv)
{
	(void)argv;
	puts("ready");
	fflush(stdout);
	/* Run without arguments: argc - 1 == 0. */
	return check_positive(argc - 1) == 0; /* LINE:call */
}
