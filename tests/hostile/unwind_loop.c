/*
 * unwind_loop.c - a program whose kernel core makes libdwfl's CFI unwinder
 * go round in a loop at one stack pointer (tests/hostile/unwind.py).
 *
 * loop_a and loop_b carry call frame information that no compiler writes:
 * the CFA is the stack pointer itself (so the caller's sp equals the
 * callee's) and the return address is read below it, at CFA-16 for loop_a
 * and CFA-8 for loop_b.  loop_start stores loop_b's address at sp-16 and
 * loop_a's at sp-8 and jumps to loop_a: unwound, loop_a's caller is
 * loop_b, whose caller is loop_a, and so on, all at one sp.  Before issue
 * 7 libdwfl's path stopped only when a frame repeated the one just before
 * it, so this ran to the frame limit.
 *
 *   unwind_loop THREADS    THREADS threads park in loop_a (in pause()),
 *                          then the main thread faults in loop_a
 *
 * x86_64 only.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

void loop_start(int crash);

__asm__(
	".text\n"
	".globl loop_start\n"
	".type loop_start, @function\n"
	"loop_start:\n"
	"	lea loop_b+1(%rip), %rax\n"
	"	mov %rax, -16(%rsp)\n"
	"	lea loop_a+1(%rip), %rax\n"
	"	mov %rax, -8(%rsp)\n"
	"	jmp loop_a\n"
	".size loop_start, .-loop_start\n"
	"\n"
	".type loop_a, @function\n"
	"loop_a:\n"
	"	.cfi_startproc\n"
	"	.cfi_def_cfa %rsp, 0\n"
	"	.cfi_offset %rip, -16\n"
	"	nop\n"
	"	test %edi, %edi\n"
	"	jz 1f\n"
	"	movl $0, 0\n"		/* the crash: SIGSEGV at address 0 */
	"1:	mov $34, %eax\n"	/* pause() */
	"	syscall\n"
	"	jmp 1b\n"
	"	.cfi_endproc\n"
	".size loop_a, .-loop_a\n"
	"\n"
	".type loop_b, @function\n"
	"loop_b:\n"
	"	.cfi_startproc\n"
	"	.cfi_def_cfa %rsp, 0\n"
	"	.cfi_offset %rip, -8\n"
	"	nop\n"
	"	nop\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size loop_b, .-loop_b\n");

static void *park(void *arg)
{
	(void)arg;
	loop_start(0);
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0;
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, park, NULL) != 0)
			return 2;
	}
	usleep(n ? 200000 : 0);	/* let them reach pause() */
	loop_start(1);
	return 0;
}
