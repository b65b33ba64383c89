/*
 * seccomp_nofork.c - a process whose seccomp filter answers every way of
 * making a process or thread (clone, clone3, fork, vfork) with EPERM, for
 * `coroner collect --snapshot`, which must not inject its clone into such
 * a process: it says so and collects without the snapshot.
 *
 *   seccomp_nofork
 *
 * Installs the filter (no_new_privs first, so that it needs no
 * privilege), checks that fork() now fails with EPERM, prints "ready" and
 * sleeps until it is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif

#define DENY(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
		 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)

int main(void)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		DENY(__NR_clone),
		DENY(__NR_clone3),
#ifdef __NR_fork
		DENY(__NR_fork),
#endif
#ifdef __NR_vfork
		DENY(__NR_vfork),
#endif
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("seccomp_nofork: prctl");
		return 1;
	}
	if (fork() != -1 || errno != EPERM) {
		fprintf(stderr, "seccomp_nofork: fork was not refused\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
