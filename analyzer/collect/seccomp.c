/*
 * seccomp.c - what a process's seccomp filters answer to the system call
 * --snapshot would inject (collect.h).
 *
 * A filter may answer a clone with death (SECCOMP_RET_KILL_*), a SIGSYS
 * (TRAP), an errno, a tracer or supervisor of its own: injecting the clone
 * blind could kill the process being debugged.  Refusing every filtered
 * process is safe but leaves out most of today's services (systemd units,
 * container runtimes' default profiles install one).  So the filters are
 * read (PTRACE_SECCOMP_GET_FILTER: the thread must be ptrace-stopped and
 * coroner needs CAP_SYS_ADMIN) and run here on the very seccomp_data the
 * kernel will build for the injected call: its number, the architecture,
 * the address after the syscall instruction and the six arguments.  Every
 * filter runs, as in the kernel, and the most restrictive answer wins;
 * only ALLOW and LOG let the clone through.  A filter that cannot be read
 * or run is a refusal.
 *
 * The programs are classic BPF as the kernel accepted them
 * (seccomp_check_filter: loads of seccomp_data words and its length, the
 * scratch memory, ALU, forward jumps, returns); they come from the process
 * through the kernel, and are still checked here instruction by
 * instruction: an unknown opcode, a load outside seccomp_data or a jump
 * outside the program is a refusal, never a guess.
 */
#include "collect.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif
#define MAX_FILTERS 512			/* stacked filters read at most */

/* The system call instruction's length: the kernel's
 * seccomp_data.instruction_pointer is the user pc at the entry
 * (KSTK_EIP), which is already past it (`syscall` 0f 05, `svc #0`). */
#ifdef __x86_64__
#define THIS_ARCH AUDIT_ARCH_X86_64
#define SYSCALL_LEN 2
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#define SYSCALL_LEN 4
#endif

/* Run PROG (N instructions) on DATA; *RET its return value.  False when
 * the program is not one the kernel would have accepted. */
static bool run(const struct sock_filter *prog, size_t n,
		const struct seccomp_data *data, uint32_t *ret)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t k = f->k, src = BPF_SRC(f->code) == BPF_X ? x : k;
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
		case BPF_LDX: {
			uint32_t v;
			if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (k % 4 || k > sizeof(*data) - 4)
					return false;
				memcpy(&v, (const char *)data + k, 4);
			} else if (BPF_MODE(f->code) == BPF_LEN) {
				v = sizeof(*data);
			} else if (BPF_MODE(f->code) == BPF_IMM) {
				v = k;
			} else if (BPF_MODE(f->code) == BPF_MEM && k < BPF_MEMWORDS) {
				v = mem[k];
			} else {
				return false;
			}
			*(BPF_CLASS(f->code) == BPF_LD ? &a : &x) = v;
			break;
		}
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return false;
			mem[k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			switch (BPF_OP(f->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV: if (!src) return false; a /= src; break;
			case BPF_MOD: if (!src) return false; a %= src; break;
			case BPF_OR: a |= src; break;
			case BPF_AND: a &= src; break;
			case BPF_XOR: a ^= src; break;
			/* By 32 or more: the kernel refuses such a K, and
			 * by X the result is the eBPF runtime's (1 << 32
			 * came out non-zero on x86_64, where C says nothing):
			 * no answer to rely on, a refusal. */
			case BPF_LSH: if (src >= 32) return false; a <<= src; break;
			case BPF_RSH: if (src >= 32) return false; a >>= src; break;
			case BPF_NEG: a = -a; break;
			default: return false;
			}
			break;
		case BPF_JMP: {
			size_t skip;
			if (BPF_OP(f->code) == BPF_JA) {
				skip = k;
			} else {
				bool taken;
				switch (BPF_OP(f->code)) {
				case BPF_JEQ: taken = a == src; break;
				case BPF_JGT: taken = a > src; break;
				case BPF_JGE: taken = a >= src; break;
				case BPF_JSET: taken = (a & src) != 0; break;
				default: return false;
				}
				skip = taken ? f->jt : f->jf;
			}
			if (skip >= n - pc - 1)	/* past the end */
				return false;
			pc += skip;
			break;
		}
		case BPF_RET:
			*ret = BPF_RVAL(f->code) == BPF_A ? a : k;
			return BPF_RVAL(f->code) == BPF_A || BPF_RVAL(f->code) == BPF_K;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else if (BPF_MISCOP(f->code) == BPF_TXA)
				a = x;
			else
				return false;
			break;
		default:
			return false;
		}
	}
	return false;	/* fell off the end: the kernel refuses such a program */
}

/* The kernel's order of answers: the lower (as a signed number) wins. */
static int32_t severity(uint32_t ret)
{
	return (int32_t)(ret & SECCOMP_RET_ACTION_FULL);
}

/* Why the answer RET to the system call NR is a refusal. */
static void describe(uint32_t ret, long nr, char *why, size_t len)
{
	const char *call = nr == SYS_clone ? "clone" : nr == SYS_wait4 ? "wait4" : "system call";
	uint32_t action = ret & SECCOMP_RET_ACTION_FULL;
	int data = (int)(ret & SECCOMP_RET_DATA);
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS:
	case SECCOMP_RET_KILL_THREAD:
		snprintf(why, len, "its seccomp filter kills it for a %s", call);
		break;
	case SECCOMP_RET_TRAP:
		snprintf(why, len, "its seccomp filter answers a %s with SIGSYS", call);
		break;
	case SECCOMP_RET_ERRNO:
		snprintf(why, len, "its seccomp filter refuses a %s (errno %d, %s)",
			 call, data, strerror(data));
		break;
	default:
		snprintf(why, len, "its seccomp filter hands a %s to a tracer or supervisor (action %#x)",
			 call, action);
		break;
	}
}

bool cr_seccomp_allows(pid_t tid, long nr, uint64_t insn, const long args[6],
		       char *why, size_t len)
{
#ifdef THIS_ARCH
	struct seccomp_data data = { .nr = (int)nr, .arch = THIS_ARCH,
				     .instruction_pointer = insn + SYSCALL_LEN };
	for (int i = 0; i < 6; i++)
		data.args[i] = (uint64_t)args[i];
	uint32_t verdict = SECCOMP_RET_ALLOW;
	/* PTRACE_SECCOMP_GET_FILTER takes no size: it copies the whole
	 * filter, which the kernel caps at BPF_MAXINSNS.  A buffer sized by
	 * a first call could be overrun by the second (another thread's
	 * SECCOMP_FILTER_FLAG_TSYNC in between shifts the indexes). */
	struct sock_filter *prog = calloc(BPF_MAXINSNS, sizeof(*prog));
	if (!prog) {
		snprintf(why, len, "out of memory (seccomp filter)");
		return false;
	}
	int i = 0;
	for (; i < MAX_FILTERS; i++) {
		long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)(long)i, prog);
		if (n < 0 && errno == ENOENT && i > 0)
			break;		/* past the oldest filter */
		if (n <= 0 || n > BPF_MAXINSNS) {
			snprintf(why, len, "the process has a seccomp filter, which may kill it for the injected system calls, and it cannot be read (%s)",
				 n < 0 ? (errno == EACCES || errno == EPERM ? "coroner needs CAP_SYS_ADMIN" : strerror(errno))
				       : "empty or too long");
			free(prog);
			return false;
		}
		uint32_t ret = 0;
		if (!run(prog, (size_t)n, &data, &ret)) {
			snprintf(why, len, "the process has a seccomp filter that coroner could not evaluate");
			free(prog);
			return false;
		}
		if (severity(ret) < severity(verdict))
			verdict = ret;
	}
	free(prog);
	if (i == MAX_FILTERS) {
		snprintf(why, len, "the process has more than %d seccomp filters", MAX_FILTERS);
		return false;
	}
	uint32_t action = verdict & SECCOMP_RET_ACTION_FULL;
	if (action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG)
		return true;
	describe(verdict, nr, why, len);
	return false;
#else
	(void)tid;
	(void)nr;
	(void)insn;
	(void)args;
	snprintf(why, len, "the process has a seccomp filter (not evaluated on this architecture)");
	return false;
#endif
}
