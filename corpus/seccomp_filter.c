/*
 * seccomp_filter.c - a process with a seccomp filter, for `coroner collect
 * --snapshot`, which runs the filter on the clone it would inject and
 * injects it only when the filter lets it through.
 *
 *   seccomp_filter deny-clone|kill-clone|allow-clone|ip-clone|shift-clone
 *                  |long-deny-clone|long-allow-clone
 *
 * The filter checks the architecture first (any other: killed), as real
 * ones do, then: deny-clone answers every way of making a process or
 * thread (clone, clone3, fork, vfork) with EPERM (and checks that fork()
 * now fails so); kill-clone kills the process for them; allow-clone lets
 * them through and refuses mount and reboot with EPERM; ip-clone (x86_64)
 * lets clone and wait4 through only from the instruction right after the
 * `syscall` coroner injects them at (the first in the [vdso], else in
 * the other executable mappings: snapshot.c's find_syscall), which is
 * what the kernel puts in seccomp_data.instruction_pointer, and kills
 * the process for them from anywhere else; shift-clone answers clone by
 * 1 << X with X = 32 (undefined in C, masked or not by the kernel's
 * conversion to eBPF): 0 lets it through, anything else kills the
 * process.  long-deny-clone and long-allow-clone are deny-clone and
 * allow-clone with rules for other (unused) system call numbers in front,
 * to BPF_MAXINSNS instructions in all: the rules that decide clone and
 * wait4 are the filter's last ones.  Everything else
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

/* The start of every filter here: any other architecture is killed,
 * then the system call's number is loaded; its length. */
static size_t prologue(struct sock_filter *code)
{
	size_t k = 0;
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, arch));
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, nr));
	return k;
}

/* Rules for system call numbers no kernel has (10000 and up, refused
 * with EACCES) from CODE[K] on, until TAIL instructions are left of
 * BPF_MAXINSNS; the new length. */
static size_t filler(struct sock_filter *code, size_t k, size_t tail)
{
	for (uint32_t nr = 10000; k + 2 + tail <= BPF_MAXINSNS; nr++) {
		code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
		code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES);
	}
	if (k + tail < BPF_MAXINSNS)	/* odd: a jump to the next one */
		code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
	return k;
}

/* The address of the first `syscall` (0f 05) in the readable executable
 * mappings, the [vdso] first, as snapshot.c's find_syscall looks; 0 when
 * none. */
static uint64_t first_syscall(void)
{
	uint64_t found = 0;
	for (int pass = 0; pass < 2 && !found; pass++) {
		FILE *f = fopen("/proc/self/maps", "r");
		char line[512];
		while (f && !found && fgets(line, sizeof(line), f)) {
			unsigned long long lo, hi;
			char perms[8];
			bool vdso = strstr(line, "[vdso]") != NULL;
			if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3 ||
			    perms[0] != 'r' || perms[2] != 'x' || vdso != (pass == 0))
				continue;
			size_t len = hi - lo > (1u << 20) ? (1u << 20) : (size_t)(hi - lo);
			const uint8_t *p = (const uint8_t *)(uintptr_t)lo;
			for (size_t i = 0; i + 1 < len; i++)
				if (p[i] == 0x0f && p[i + 1] == 0x05) {
					found = lo + i;
					break;
				}
		}
		if (f)
			fclose(f);
	}
	return found;
}

/* ip-clone's filter into CODE (room for 16); its length. */
static size_t ip_filter(struct sock_filter *code)
{
	uint32_t after = (uint32_t)(first_syscall() + 2);	/* `0f 05` */
	size_t k = prologue(code);
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 2, 0);
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_wait4, 1, 0);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* the low word: little-endian */
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						 offsetof(struct seccomp_data, instruction_pointer));
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, after, 0, 1);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	return k;
}

/* shift-clone's filter into CODE (room for 16); its length. */
static size_t shift_filter(struct sock_filter *code)
{
	size_t k = prologue(code);
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 1, 0);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LDX | BPF_IMM, 32);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM, 1);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0);
	code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
	return k;
}

int main(int argc, char **argv)
{
	const char *mode = argc == 2 ? argv[1] : "";
	bool filled = !strncmp(mode, "long-", 5);
	if (filled)
		mode += 5;
	bool allow = !strcmp(mode, "allow-clone");
	uint32_t action = !strcmp(mode, "kill-clone") ? SECCOMP_RET_KILL_PROCESS
			  : SECCOMP_RET_ERRNO | EPERM;
	bool ip = !strcmp(mode, "ip-clone"), shift = !strcmp(mode, "shift-clone");
	if ((!allow && !ip && !shift && action != SECCOMP_RET_KILL_PROCESS && strcmp(mode, "deny-clone")) ||
	    (filled && !allow && strcmp(mode, "deny-clone"))) {
		fprintf(stderr, "usage: seccomp_filter deny-clone|kill-clone|allow-clone|ip-clone|shift-clone"
			"|long-deny-clone|long-allow-clone\n");
		return 2;
	}
	const long *nrs = allow ? others : clones;
	size_t n = allow ? sizeof(others) / sizeof(others[0])
			 : sizeof(clones) / sizeof(clones[0]);
	static struct sock_filter code[BPF_MAXINSNS];
	size_t k = prologue(code);
	if (filled)
		k = filler(code, k, 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		code[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
							 (uint32_t)nrs[i], 0, 1);
		code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	}
	code[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	if (ip)
		k = ip_filter(code);
	if (shift)
		k = shift_filter(code);
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
