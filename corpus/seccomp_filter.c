/*
 * seccomp_filter.c - a process with a seccomp filter, for `coroner collect
 * --snapshot`, which runs the filter on the clone it would inject and
 * injects it only when the filter lets it through.
 *
 *   seccomp_filter deny-clone|kill-clone|allow-clone
 *
 * The filter checks the architecture first (any other: killed), as real
 * ones do, then: deny-clone answers every way of making a process or
 * thread (clone, clone3, fork, vfork) with EPERM (and checks that fork()
 * now fails so); kill-clone kills the process for them; allow-clone lets
 * them through and refuses mount and reboot with EPERM.  Everything else
 * is allowed.  no_new_privs first, so that it needs no privilege.  Prints
 * "ready" and sleeps until it is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifdef __x86_64__
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#endif

static const long clones[] = {
	__NR_clone, __NR_clone3,
#ifdef __NR_fork
	__NR_fork,
#endif
#ifdef __NR_vfork
	__NR_vfork,
#endif
};
static const long others[] = { __NR_mount, __NR_reboot };

int main(int argc, char **argv)
{
	const char *mode = argc == 2 ? argv[1] : "";
	bool allow = !strcmp(mode, "allow-clone");
	uint32_t action = !strcmp(mode, "kill-clone") ? SECCOMP_RET_KILL_PROCESS
			  : SECCOMP_RET_ERRNO | EPERM;
	if (!allow && action != SECCOMP_RET_KILL_PROCESS && strcmp(mode, "deny-clone")) {
		fprintf(stderr, "usage: seccomp_filter deny-clone|kill-clone|allow-clone\n");
		return 2;
	}
	const long *nrs = allow ? others : clones;
	size_t n = allow ? sizeof(others) / sizeof(others[0])
			 : sizeof(clones) / sizeof(clones[0]);
	struct sock_filter code[32];
	size_t k = 0;
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < n; i++) {
		code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							 (uint32_t)nrs[i], 0, 1);
		code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	}
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { (unsigned short)k, code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("seccomp_filter: prctl");
		return 1;
	}
	if (!strcmp(mode, "deny-clone") && (fork() != -1 || errno != EPERM)) {
		fprintf(stderr, "seccomp_filter: fork was not refused\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
