/*
 * mach.c - Mach exceptions of macOS and iOS minidumps: names and meanings.
 *
 * On macOS and iOS the minidump's exception record does not hold an
 * NTSTATUS but a Mach exception (Breakpad's minidump_exception_mac.h,
 * Crashpad's minidump_exception_writer.cc):
 *   ExceptionCode   the exception type (EXC_BAD_ACCESS = 1, ...);
 *   ExceptionFlags  its code[0], cut to 32 bits (KERN_INVALID_ADDRESS, ...);
 *   ExceptionAddress  code[1] for EXC_BAD_ACCESS (the faulting address),
 *                   otherwise the instruction pointer;
 *   ExceptionInformation (Crashpad only)  the exception as the kernel
 *                   delivered it, before Crashpad unwrapped EXC_CRASH:
 *                   [0] the exception type, [1] code[0], [2] code[1], all
 *                   64-bit.
 * EXC_CRASH (10) is what the kernel sends when a process dies of a signal:
 * its code[0] packs the exception that caused it (bits 20-23, 0 none), the
 * signal (bits 24-31) and the original code (bits 0-19) (xnu
 * bsd/kern/kern_exit.c, crashpad util/mach/exception_types.cc).  Crashpad
 * writes the unwrapped exception as the code, so abort() (a signal with no
 * Mach exception before it) arrives as code 0 with [0] = EXC_CRASH.
 *
 * The names are the ones Breakpad's processor (minidump_processor.cc,
 * GetCrashReason) and rust-minidump (minidump-common errors/macos.rs) print
 * as "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS"; which codes exist depends on
 * the CPU (mach/i386/exception.h, mach/arm/exception.h, mach/ppc/...).
 * Which crash class an exception belongs to is decided in crash.c; this
 * file is data only.
 */
#include <string.h>

#include "mach.h"
#include "util.h"

struct mach_name {
	uint32_t value;
	const char *name;
	const char *text;
};

/* Exception types (mach/exception_types.h). */
static const struct mach_name mach_exceptions[] = {
	{ CR_EXC_BAD_ACCESS, "EXC_BAD_ACCESS", "bad memory access" },
	{ CR_EXC_BAD_INSTRUCTION, "EXC_BAD_INSTRUCTION", "illegal or undefined instruction" },
	{ CR_EXC_ARITHMETIC, "EXC_ARITHMETIC", "arithmetic exception (division by zero, overflow, floating point)" },
	{ CR_EXC_EMULATION, "EXC_EMULATION", "instruction that needs emulation" },
	{ CR_EXC_SOFTWARE, "EXC_SOFTWARE", "software-generated exception" },
	{ CR_EXC_BREAKPOINT, "EXC_BREAKPOINT", "breakpoint or trace trap" },
	{ CR_EXC_SYSCALL, "EXC_SYSCALL", "system call exception" },
	{ CR_EXC_MACH_SYSCALL, "EXC_MACH_SYSCALL", "Mach system call exception" },
	{ CR_EXC_RPC_ALERT, "EXC_RPC_ALERT", "RPC alert" },
	{ CR_EXC_CRASH, "EXC_CRASH", "abnormal process exit (ended by a signal)" },
	{ CR_EXC_RESOURCE, "EXC_RESOURCE", "resource limit exceeded" },
	{ CR_EXC_GUARD, "EXC_GUARD", "violation of a guarded resource (file descriptor, Mach port, memory)" },
	{ 13, "EXC_CORPSE_NOTIFY", "corpse notification" },
	{ CR_EXC_SIMULATED, "SIMULATED", "crash report requested without a crash (Crashpad SimulateCrash)" },
};

/* Darwin signal numbers (sys/signal.h): EXC_CRASH carries one. */
static const char *const darwin_signals[] = {
	[1] = "SIGHUP", [2] = "SIGINT", [3] = "SIGQUIT", [4] = "SIGILL",
	[5] = "SIGTRAP", [6] = "SIGABRT", [7] = "SIGEMT", [8] = "SIGFPE",
	[9] = "SIGKILL", [10] = "SIGBUS", [11] = "SIGSEGV", [12] = "SIGSYS",
	[13] = "SIGPIPE", [14] = "SIGALRM", [15] = "SIGTERM", [16] = "SIGURG",
	[17] = "SIGSTOP", [18] = "SIGTSTP", [19] = "SIGCONT", [20] = "SIGCHLD",
	[21] = "SIGTTIN", [22] = "SIGTTOU", [23] = "SIGIO", [24] = "SIGXCPU",
	[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF",
	[28] = "SIGWINCH", [29] = "SIGINFO", [30] = "SIGUSR1", [31] = "SIGUSR2",
};

/* CPU families whose code tables differ. */
enum mach_cpu { MC_ANY, MC_X86, MC_ARM, MC_PPC };

struct mach_code {
	uint32_t exception;
	enum mach_cpu cpu;
	uint32_t code;
	const char *name;
	const char *text;
};

/* code[0] per exception type (and CPU family).  One line each. */
static const struct mach_code mach_codes[] = {
	/* EXC_BAD_ACCESS: a kern_return_t (mach/kern_return.h) or a CPU code */
	{ CR_EXC_BAD_ACCESS, MC_ANY, 1, "KERN_INVALID_ADDRESS", "address not mapped" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 2, "KERN_PROTECTION_FAILURE", "access not allowed by the page's protection" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 5, "KERN_FAILURE", "memory access failed" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 8, "KERN_NO_ACCESS", "access to memory with no access rights" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 9, "KERN_MEMORY_FAILURE", "the memory could not be paged in (hardware or pager failure)" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 10, "KERN_MEMORY_ERROR", "the memory could not be paged in (a mapped file could not be read)" },
	{ CR_EXC_BAD_ACCESS, MC_ANY, 50, "KERN_CODESIGN_ERROR", "code-signing violation on the page executed" },
	{ CR_EXC_BAD_ACCESS, MC_X86, 13, "EXC_I386_GPFLT", "general-protection fault (a non-canonical address)" },
	{ CR_EXC_BAD_ACCESS, MC_ARM, 0x101, "EXC_ARM_DA_ALIGN", "misaligned data access" },
	{ CR_EXC_BAD_ACCESS, MC_ARM, 0x102, "EXC_ARM_DA_DEBUG", "data access debug watchpoint" },
	{ CR_EXC_BAD_ACCESS, MC_PPC, 0x101, "EXC_PPC_VM_PROT_READ", "read of a page without read permission" },
	{ CR_EXC_BAD_ACCESS, MC_PPC, 0x102, "EXC_PPC_BADSPACE", "bad address space" },
	{ CR_EXC_BAD_ACCESS, MC_PPC, 0x103, "EXC_PPC_UNALIGNED", "misaligned data access" },
	/* EXC_BAD_INSTRUCTION */
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 1, "EXC_I386_INVOP", "invalid opcode" },
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 10, "EXC_I386_INVTSSFLT", "invalid task state segment" },
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 11, "EXC_I386_SEGNPFLT", "segment not present" },
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 12, "EXC_I386_STKFLT", "stack-segment fault" },
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 13, "EXC_I386_GPFLT", "general-protection fault (a non-canonical address or a privileged instruction)" },
	{ CR_EXC_BAD_INSTRUCTION, MC_X86, 17, "EXC_I386_ALIGNFLT", "alignment check fault" },
	{ CR_EXC_BAD_INSTRUCTION, MC_ARM, 1, "EXC_ARM_UNDEFINED", "undefined instruction" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 1, "EXC_PPC_INVALID_SYSCALL", "invalid system call" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 2, "EXC_PPC_UNIPL_INST", "unimplemented instruction" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 3, "EXC_PPC_PRIVINST", "privileged instruction" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 4, "EXC_PPC_PRIVREG", "privileged register" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 5, "EXC_PPC_TRACE", "trace" },
	{ CR_EXC_BAD_INSTRUCTION, MC_PPC, 6, "EXC_PPC_PERFMON", "performance monitor" },
	/* EXC_ARITHMETIC */
	{ CR_EXC_ARITHMETIC, MC_X86, 1, "EXC_I386_DIV", "integer divide by zero" },
	{ CR_EXC_ARITHMETIC, MC_X86, 2, "EXC_I386_INTO", "integer overflow (into)" },
	{ CR_EXC_ARITHMETIC, MC_X86, 3, "EXC_I386_NOEXT", "no floating-point unit" },
	{ CR_EXC_ARITHMETIC, MC_X86, 4, "EXC_I386_EXTOVR", "floating-point extension overrun" },
	{ CR_EXC_ARITHMETIC, MC_X86, 5, "EXC_I386_EXTERR", "floating-point error" },
	{ CR_EXC_ARITHMETIC, MC_X86, 6, "EXC_I386_EMERR", "floating-point emulation error" },
	{ CR_EXC_ARITHMETIC, MC_X86, 7, "EXC_I386_BOUND", "array bounds check (bound)" },
	{ CR_EXC_ARITHMETIC, MC_X86, 8, "EXC_I386_SSEEXTERR", "SSE floating-point error" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 0, "EXC_ARM_FP_UNDEFINED", "undefined floating-point exception" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 1, "EXC_ARM_FP_IO", "invalid floating-point operation" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 2, "EXC_ARM_FP_DZ", "floating-point divide by zero" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 3, "EXC_ARM_FP_OF", "floating-point overflow" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 4, "EXC_ARM_FP_UF", "floating-point underflow" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 5, "EXC_ARM_FP_IX", "floating-point inexact result" },
	{ CR_EXC_ARITHMETIC, MC_ARM, 7, "EXC_ARM_FP_ID", "floating-point denormal input" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 1, "EXC_PPC_OVERFLOW", "integer overflow" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 2, "EXC_PPC_ZERO_DIVIDE", "integer divide by zero" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 3, "EXC_FLT_INEXACT", "floating-point inexact result" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 4, "EXC_PPC_FLT_ZERO_DIVIDE", "floating-point divide by zero" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 5, "EXC_PPC_FLT_UNDERFLOW", "floating-point underflow" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 6, "EXC_PPC_FLT_OVERFLOW", "floating-point overflow" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 7, "EXC_PPC_FLT_NOT_A_NUMBER", "floating-point not a number" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 8, "EXC_PPC_NOEMULATION", "no emulation" },
	{ CR_EXC_ARITHMETIC, MC_PPC, 9, "EXC_PPC_ALTIVECASSIST", "AltiVec assist" },
	/* EXC_SOFTWARE: Unix signals turned into exceptions (EXC_UNIX_*,
	 * printed by Breakpad as the signal), uncaught NSException */
	{ CR_EXC_SOFTWARE, MC_ANY, 0x10000, "SIGSYS", "bad system call" },
	{ CR_EXC_SOFTWARE, MC_ANY, 0x10001, "SIGPIPE", "write to a pipe or socket with no reader" },
	{ CR_EXC_SOFTWARE, MC_ANY, CR_EXC_SOFT_ABORT, "SIGABRT", "abort() called" },
	{ CR_EXC_SOFTWARE, MC_ANY, 0x10003, "EXC_SOFT_SIGNAL", "a Unix signal" },
	{ CR_EXC_SOFTWARE, MC_ANY, CR_EXC_SOFT_NSEXCEPTION, "UNCAUGHT_NS_EXCEPTION", "uncaught Objective-C exception (NSException)" },
	{ CR_EXC_SOFTWARE, MC_PPC, 1, "EXC_PPC_TRAP", "trap instruction" },
	{ CR_EXC_SOFTWARE, MC_PPC, 0x10100, "EXC_PPC_MIGRATE", "migration" },
	/* EXC_BREAKPOINT */
	{ CR_EXC_BREAKPOINT, MC_X86, 1, "EXC_I386_SGL", "single-step trap" },
	{ CR_EXC_BREAKPOINT, MC_X86, 2, "EXC_I386_BPT", "breakpoint instruction (int3)" },
	{ CR_EXC_BREAKPOINT, MC_ARM, 1, "EXC_ARM_BREAKPOINT", "breakpoint or trap instruction (brk: __builtin_trap, a Swift runtime check)" },
	{ CR_EXC_BREAKPOINT, MC_ARM, 0x101, "EXC_ARM_DA_ALIGN", "misaligned data access" },
	{ CR_EXC_BREAKPOINT, MC_ARM, 0x102, "EXC_ARM_DA_DEBUG", "data access debug watchpoint" },
	{ CR_EXC_BREAKPOINT, MC_PPC, 1, "EXC_PPC_BREAKPOINT", "breakpoint" },
};

/*
 * EXC_RESOURCE and EXC_GUARD pack a type into the top 3 bits of the 64-bit
 * code[0] (xnu osfmk/kern/exc_resource.h, exc_guard.h); 32 bits of it in
 * ExceptionFlags lose it, so only Crashpad's ExceptionInformation has it.
 */
static const struct mach_name resource_types[] = {
	{ 1, "RESOURCE_TYPE_CPU", "CPU usage limit exceeded" },
	{ 2, "RESOURCE_TYPE_WAKEUPS", "wakeup rate limit exceeded" },
	{ 3, "RESOURCE_TYPE_MEMORY", "memory limit exceeded" },
	{ 4, "RESOURCE_TYPE_IO", "I/O limit exceeded" },
	{ 5, "RESOURCE_TYPE_THREADS", "thread limit exceeded" },
};

static const struct mach_name guard_types[] = {
	{ 1, "GUARD_TYPE_MACH_PORT", "misuse of a guarded Mach port" },
	{ 2, "GUARD_TYPE_FD", "misuse of a guarded file descriptor" },
	{ 3, "GUARD_TYPE_USER", "user-defined guard violated" },
	{ 4, "GUARD_TYPE_VN", "misuse of a guarded vnode (file)" },
	{ 5, "GUARD_TYPE_VIRT_MEMORY", "misuse of guarded virtual memory" },
};

static const struct mach_name *find(const struct mach_name *t, size_t n,
				    uint64_t value)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return &t[i];
	return NULL;
}

static enum mach_cpu cpu_family(enum cr_arch arch)
{
	switch (arch) {
	case CR_ARCH_X86: case CR_ARCH_X86_64:
		return MC_X86;
	case CR_ARCH_ARM: case CR_ARCH_AARCH64:
		return MC_ARM;
	case CR_ARCH_PPC: case CR_ARCH_PPC64:
		return MC_PPC;
	default:
		return MC_ANY;
	}
}

bool cr_dump_is_mach(const struct cr_dump *d)
{
	const char *v = d->process.os_version;

	if (d->event.kind != CR_EVENT_EXCEPTION)
		return false;
	if (d->process.os == CR_OS_MACOS)
		return true;
	/* The minidump reader names iOS "other" with an "iOS ..." version. */
	return d->process.os == CR_OS_OTHER && v && !strncmp(v, "iOS", 3);
}

void cr_mach_exception_describe(uint32_t exception, const char **name,
				const char **text)
{
	const struct mach_name *m =
		find(mach_exceptions, ARRAY_LEN(mach_exceptions), exception);

	*name = m ? m->name : NULL;
	*text = m ? m->text : NULL;
}

void cr_mach_code_describe(uint32_t exception, enum cr_arch arch,
			   uint64_t code, const char **name, const char **text)
{
	enum mach_cpu cpu = cpu_family(arch);
	const struct mach_name *m = NULL;

	*name = NULL;
	*text = NULL;
	if (exception == CR_EXC_RESOURCE)
		m = find(resource_types, ARRAY_LEN(resource_types),
			 (code >> 61) & 7);
	else if (exception == CR_EXC_GUARD)
		m = find(guard_types, ARRAY_LEN(guard_types), (code >> 61) & 7);
	if (m) {
		*name = m->name;
		*text = m->text;
		return;
	}
	/* A CPU-specific entry wins over a generic one with the same code. */
	for (size_t i = 0; i < ARRAY_LEN(mach_codes); i++) {
		const struct mach_code *c = &mach_codes[i];
		if (c->exception != exception || c->code != code ||
		    (c->cpu != MC_ANY && c->cpu != cpu))
			continue;
		*name = c->name;
		*text = c->text;
		if (c->cpu != MC_ANY)
			return;
	}
}

bool cr_mach_event_code(const struct cr_event *ev, uint64_t *code)
{
	/* Crashpad: [0] the exception as delivered, [1] its full code[0]. */
	if (ev->exc_nparams >= 2 && ev->exc_params[0] == ev->exc_code) {
		*code = ev->exc_params[1];
		return true;
	}
	*code = ev->exc_flags;
	return false;
}

bool cr_mach_exc_crash(const struct cr_event *ev, uint32_t *exception,
		       uint32_t *code, int *signo)
{
	uint64_t code0;

	if (ev->kind != CR_EVENT_EXCEPTION)
		return false;
	if (ev->exc_code == CR_EXC_CRASH)
		code0 = ev->exc_nparams >= 2 && ev->exc_params[0] == CR_EXC_CRASH
			? ev->exc_params[1] : ev->exc_flags;
	else if (ev->exc_nparams >= 2 && ev->exc_params[0] == CR_EXC_CRASH)
		code0 = ev->exc_params[1];	/* Crashpad unwrapped it */
	else
		return false;
	*exception = (uint32_t)(code0 >> 20) & 0xf;
	*signo = (int)(code0 >> 24) & 0xff;
	*code = (uint32_t)code0 & 0xfffff;
	return true;
}

const char *cr_darwin_signal_name(int signo)
{
	if (signo <= 0 || (size_t)signo >= ARRAY_LEN(darwin_signals))
		return NULL;
	return darwin_signals[signo];
}
