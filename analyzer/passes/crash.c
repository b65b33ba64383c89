/*
 * crash.c - the "crash" pass: what happened, in plain words.
 *
 * From the dump's event (a POSIX signal with its siginfo, or a Windows
 * exception record) this pass fills a->crash: the signal or exception
 * name, the si_code or sub-code and its meaning, the faulting address and
 * where it lies, who sent the signal, glibc's abort message, the crashing
 * thread, and a class; then it adds the crash as a finding whose id is the
 * kind's id (crash_finding.c: the title in words and the evidence).  The
 * class is one "kind" from the table below: an
 * enum cr_crash_class for programs, a stable id for grouping and a phrase
 * for people.  Several kinds share a class (an assertion failure and a
 * stack-smashing abort are both CR_CRASH_ABORT) so grouping keys stay
 * specific while the class stays coarse.
 *
 * Facts the classification relies on:
 *  - Linux reports no read/write bit for SIGSEGV in the core (the x86 page
 *    fault error code lives in the signal frame, not in NT_SIGINFO), so
 *    "write to read-only memory" is inferred from SEGV_ACCERR on a region
 *    that is readable but not writable.
 *  - SEGV_MAPERR comes from the kernel's own page tables: trust it over
 *    our region list.
 *  - On x86 a general-protection fault (a non-canonical address) raises
 *    SIGSEGV with si_code SI_KERNEL and si_addr 0: the address is unknown,
 *    not null.
 *  - Nothing is mapped below 64 KiB on Linux (vm.mmap_min_addr) or on
 *    Windows (the first 64 KiB are reserved): a fault there, outside any
 *    region, is a null pointer plus a field offset.
 *  - A stack overflow faults just below the lowest address of the stack
 *    (the main stack cannot grow further; a pthread stack has a PROT_NONE
 *    guard mapping right below it), or leaves sp itself outside the stack.
 *  - glibc (2.36) keeps its last abort()/assert() message in the private
 *    `__abort_msg`: a pointer to struct abort_msg_s { unsigned int size;
 *    char msg[]; } (size counts the whole allocation).
 *  - Minidumps may say why a process aborted themselves: Breakpad's
 *    AssertionInfo stream (invalid CRT parameter, pure virtual call, failed
 *    assert; the reader words it as event.assertion) and Crashpad's
 *    annotations (macOS: libsystem_c's "abort() called").
 *  - macOS and iOS minidumps carry a Mach exception, not an NTSTATUS (see
 *    mach.c); EXC_BAD_ACCESS's KERN_INVALID_ADDRESS and
 *    KERN_PROTECTION_FAILURE are what the kernel turns into SEGV_MAPERR and
 *    SEGV_ACCERR, so they are classified by address the same way.
 *  - A 32-bit Windows process may record garbage in the high half of an
 *    access violation's address parameter: only the low 32 bits count.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mach.h"
#include "passes.h"
#include "util.h"

/* Faults below this address, outside any region: a null pointer + offset. */
#define CR_NULL_PAGE_LIMIT 0x10000u
/* Faults this close to the top of the address space: null minus an offset. */
#define CR_NULL_NEGATIVE_LIMIT 0x1000u
/* Longest abort message taken from the dump. */
#define CR_ABORT_MSG_MAX 4096u
/* A sane abort_msg_s.size (larger: not the struct, see read_abort_message). */
#define CR_ABORT_MSG_ALLOC_MAX (1u << 20)
/* Frames of the crashing thread searched for abort helpers (__assert_fail). */
#define CR_ABORT_SCAN_FRAMES 24

/* Linux signal numbers used by the rules below (asm-generic/signal.h). */
enum {
	SIG_ILL = 4, SIG_TRAP = 5, SIG_ABRT = 6, SIG_BUS = 7, SIG_FPE = 8,
	SIG_SEGV = 11, SIG_SYS = 31,
};
enum { SEGV_MAPERR_ = 1, SEGV_ACCERR_ = 2, SI_KERNEL_ = 0x80 };

enum kind {
	K_NONE,
	K_NULL,
	K_NULL_CALL,
	K_UNMAPPED,
	K_WRITE_RO,
	K_WRITE_AV,
	K_READ_AV,
	K_AV,
	K_PROTECTED,
	K_GUARD_PAGE,
	K_PKU,
	K_EXEC_NX,
	K_EXEC_UNMAPPED,
	K_STACK_OVERFLOW,
	K_GP_FAULT,
	K_SEGV,
	K_BOUNDS,
	K_MTE,
	K_SHADOW_STACK,
	K_ABORT,
	K_ASSERT,
	K_HEAP_CORRUPTION,
	K_STACK_SMASH,
	K_FORTIFY,
	K_CXX_UNCAUGHT,
	K_DOTNET,
	K_FAIL_FAST,
	K_INVALID_PARAM,
	K_PURE_VIRTUAL,
	K_NS_EXCEPTION,
	K_ARITH,
	K_ILL,
	K_BUS,
	K_IN_PAGE,
	K_BREAKPOINT,
	K_KILLED,
	K_KILLED_BY_KERNEL,
	K_CONSOLE_INTERRUPT,
	K_SELF_SIGNAL,
	K_SIGNAL_SENT,
	K_BAD_SYSCALL,
	K_OUT_OF_MEMORY,
	K_CODESIGN,
	K_RESOURCE,
	K_GUARD_VIOLATION,
	K_SIGNAL,
	K_EXCEPTION,
	K_NKINDS
};

struct crash_kind {
	enum cr_crash_class cls;
	const char *id;		/* stable: part of signatures */
	enum cr_finding_id finding;	/* its finding: the recommendation
					 * file named like the id (none for
					 * K_NONE: CR_FINDING_COUNT) */
	const char *text;	/* plain words */
	bool sent;		/* delivered from outside the thread (cr_crash.sent) */
};

/* Rows: a crash of the thread itself, or a signal delivered from outside. */
#define KIND(cls, id, finding, text) { cls, id, finding, text, false }
#define SENT(cls, id, finding, text) { cls, id, finding, text, true }
static const struct crash_kind kinds[K_NKINDS] = {
	[K_NONE] = KIND(CR_CRASH_NONE, "none", CR_FINDING_COUNT, "no crash: the dump was taken on demand"),	/* docs/report-schema.md */
	[K_NULL] = KIND(CR_CRASH_NULL_DEREF, "null-pointer-dereference", CR_FINDING_NULL_POINTER_DEREFERENCE, "null-pointer dereference"),
	[K_NULL_CALL] = KIND(CR_CRASH_NULL_DEREF, "null-function-pointer-call", CR_FINDING_NULL_FUNCTION_POINTER_CALL, "call through a null function pointer"),
	[K_UNMAPPED] = KIND(CR_CRASH_UNMAPPED, "unmapped-memory-access", CR_FINDING_UNMAPPED_MEMORY_ACCESS, "access to unmapped memory"),
	[K_WRITE_RO] = KIND(CR_CRASH_WRITE_READONLY, "write-to-read-only-memory", CR_FINDING_WRITE_TO_READ_ONLY_MEMORY, "write to read-only memory"),
	[K_WRITE_AV] = KIND(CR_CRASH_WRITE_READONLY, "write-access-violation", CR_FINDING_WRITE_ACCESS_VIOLATION, "invalid write (to unmapped or read-only memory)"),
	[K_READ_AV] = KIND(CR_CRASH_READ_PROTECTED, "read-access-violation", CR_FINDING_READ_ACCESS_VIOLATION, "invalid read (of unmapped or unreadable memory)"),
	[K_AV] = KIND(CR_CRASH_OTHER, "access-violation", CR_FINDING_ACCESS_VIOLATION, "invalid memory access"),
	[K_PROTECTED] = KIND(CR_CRASH_READ_PROTECTED, "protected-memory-access", CR_FINDING_PROTECTED_MEMORY_ACCESS, "access to protected memory"),
	[K_GUARD_PAGE] = KIND(CR_CRASH_READ_PROTECTED, "guard-page-access", CR_FINDING_GUARD_PAGE_ACCESS, "access to a guard page"),
	[K_PKU] = KIND(CR_CRASH_READ_PROTECTED, "protection-key-violation", CR_FINDING_PROTECTION_KEY_VIOLATION, "access denied by a memory protection key"),
	[K_EXEC_NX] = KIND(CR_CRASH_EXEC_NX, "execute-non-executable-memory", CR_FINDING_EXECUTE_NON_EXECUTABLE_MEMORY, "execution of non-executable memory"),
	[K_EXEC_UNMAPPED] = KIND(CR_CRASH_EXEC_NX, "execute-unmapped-memory", CR_FINDING_EXECUTE_UNMAPPED_MEMORY, "execution of unmapped memory (a jump to a bad address)"),
	[K_STACK_OVERFLOW] = KIND(CR_CRASH_STACK_OVERFLOW, "stack-overflow", CR_FINDING_STACK_OVERFLOW, "stack overflow"),
	[K_GP_FAULT] = KIND(CR_CRASH_OTHER, "general-protection-fault", CR_FINDING_GENERAL_PROTECTION_FAULT, "general-protection fault (a wild pointer or a privileged instruction)"),
	[K_SEGV] = KIND(CR_CRASH_OTHER, "invalid-memory-access", CR_FINDING_INVALID_MEMORY_ACCESS, "invalid memory access"),
	[K_BOUNDS] = KIND(CR_CRASH_OTHER, "bounds-check-violation", CR_FINDING_BOUNDS_CHECK_VIOLATION, "failed address bounds check"),
	[K_MTE] = KIND(CR_CRASH_OTHER, "memory-tag-violation", CR_FINDING_MEMORY_TAG_VIOLATION, "memory tag mismatch (use after free or out of bounds, found by ARM MTE)"),
	[K_SHADOW_STACK] = KIND(CR_CRASH_OTHER, "shadow-stack-violation", CR_FINDING_SHADOW_STACK_VIOLATION, "control-flow protection fault (corrupted return address)"),
	[K_ABORT] = KIND(CR_CRASH_ABORT, "abort", CR_FINDING_ABORT, "abort"),
	[K_ASSERT] = KIND(CR_CRASH_ABORT, "assertion-failure", CR_FINDING_ASSERTION_FAILURE, "assertion failure"),
	[K_HEAP_CORRUPTION] = KIND(CR_CRASH_ABORT, "heap-corruption", CR_FINDING_HEAP_CORRUPTION, "heap corruption detected by the allocator"),
	[K_STACK_SMASH] = KIND(CR_CRASH_ABORT, "stack-buffer-overrun", CR_FINDING_STACK_BUFFER_OVERRUN, "stack buffer overrun (stack protector)"),
	[K_FORTIFY] = KIND(CR_CRASH_ABORT, "buffer-overflow", CR_FINDING_BUFFER_OVERFLOW, "buffer overflow detected by a checked function"),
	[K_CXX_UNCAUGHT] = KIND(CR_CRASH_ABORT, "uncaught-cxx-exception", CR_FINDING_UNCAUGHT_CXX_EXCEPTION, "uncaught C++ exception"),
	[K_DOTNET] = KIND(CR_CRASH_OTHER, "unhandled-dotnet-exception", CR_FINDING_UNHANDLED_DOTNET_EXCEPTION, "unhandled .NET exception"),
	[K_FAIL_FAST] = KIND(CR_CRASH_ABORT, "fail-fast", CR_FINDING_FAIL_FAST, "fail-fast termination on a failed security check"),
	[K_INVALID_PARAM] = KIND(CR_CRASH_ABORT, "invalid-parameter", CR_FINDING_INVALID_PARAMETER, "invalid parameter passed to a C runtime function"),
	[K_PURE_VIRTUAL] = KIND(CR_CRASH_ABORT, "pure-virtual-call", CR_FINDING_PURE_VIRTUAL_CALL, "pure virtual function called (an object used while being constructed or destroyed, or after it was freed)"),
	[K_NS_EXCEPTION] = KIND(CR_CRASH_ABORT, "uncaught-objc-exception", CR_FINDING_UNCAUGHT_OBJC_EXCEPTION, "uncaught Objective-C exception (NSException)"),
	[K_ARITH] = KIND(CR_CRASH_ARITHMETIC, "arithmetic-error", CR_FINDING_ARITHMETIC_ERROR, "arithmetic error"),
	[K_ILL] = KIND(CR_CRASH_ILLEGAL_INSN, "illegal-instruction", CR_FINDING_ILLEGAL_INSTRUCTION, "illegal instruction"),
	[K_BUS] = KIND(CR_CRASH_BUS_ERROR, "bus-error", CR_FINDING_BUS_ERROR, "bus error"),
	[K_IN_PAGE] = KIND(CR_CRASH_BUS_ERROR, "in-page-error", CR_FINDING_IN_PAGE_ERROR, "in-page error: a page of a mapped file could not be read"),
	[K_BREAKPOINT] = KIND(CR_CRASH_BREAKPOINT, "breakpoint", CR_FINDING_BREAKPOINT, "breakpoint or trap"),
	[K_KILLED] = SENT(CR_CRASH_KILLED, "killed", CR_FINDING_KILLED, "killed by another process"),
	[K_KILLED_BY_KERNEL] = SENT(CR_CRASH_KILLED, "killed-by-kernel", CR_FINDING_KILLED_BY_KERNEL, "killed by the kernel (a terminal key, a resource limit or the out-of-memory killer)"),
	[K_CONSOLE_INTERRUPT] = SENT(CR_CRASH_KILLED, "console-interrupt", CR_FINDING_CONSOLE_INTERRUPT, "interrupted from the console (Ctrl-C or Ctrl-Break)"),
	[K_SELF_SIGNAL] = SENT(CR_CRASH_OTHER, "self-signal", CR_FINDING_SELF_SIGNAL, "signal sent by the process to itself"),
	[K_SIGNAL_SENT] = SENT(CR_CRASH_OTHER, "signal-sent", CR_FINDING_SIGNAL_SENT, "signal sent with kill or raise, sender not recorded"),
	[K_BAD_SYSCALL] = KIND(CR_CRASH_OTHER, "bad-system-call", CR_FINDING_BAD_SYSTEM_CALL, "bad or forbidden system call"),
	[K_OUT_OF_MEMORY] = KIND(CR_CRASH_OTHER, "out-of-memory", CR_FINDING_OUT_OF_MEMORY, "out-of-memory failure"),
	[K_CODESIGN] = KIND(CR_CRASH_OTHER, "code-signing-violation", CR_FINDING_CODE_SIGNING_VIOLATION, "code-signing violation: a page that failed its signature check was executed"),
	[K_RESOURCE] = SENT(CR_CRASH_KILLED, "resource-limit", CR_FINDING_RESOURCE_LIMIT, "killed for exceeding a resource limit"),
	[K_GUARD_VIOLATION] = KIND(CR_CRASH_OTHER, "guard-violation", CR_FINDING_GUARD_VIOLATION, "misuse of a guarded resource (file descriptor, Mach port or memory)"),
	[K_SIGNAL] = KIND(CR_CRASH_OTHER, "fatal-signal", CR_FINDING_FATAL_SIGNAL, "fatal signal"),
	[K_EXCEPTION] = KIND(CR_CRASH_OTHER, "unhandled-exception", CR_FINDING_UNHANDLED_EXCEPTION, "unhandled exception"),
};
#undef KIND
#undef SENT

/* What a fatal signal means when the address does not refine it. */
static const struct {
	int signo;
	enum kind kind;
} signal_kinds[] = {
	{ SIG_SEGV, K_SEGV },
	{ SIG_BUS, K_BUS },
	{ SIG_FPE, K_ARITH },
	{ SIG_ILL, K_ILL },
	{ SIG_TRAP, K_BREAKPOINT },
	{ SIG_ABRT, K_ABORT },
	{ SIG_SYS, K_BAD_SYSCALL },
};

/* SIGSEGV si_codes that say what happened without looking at addresses. */
static const struct {
	int code;
	enum kind kind;
} segv_code_kinds[] = {
	{ 3, K_BOUNDS },	/* SEGV_BNDERR */
	{ 4, K_PKU },		/* SEGV_PKUERR */
	{ 8, K_MTE },		/* SEGV_MTEAERR */
	{ 9, K_MTE },		/* SEGV_MTESERR */
	{ 10, K_SHADOW_STACK },	/* SEGV_CPERR */
};

/* Windows exception codes → kind; access violations are refined later. */
static const struct {
	uint32_t code;
	enum kind kind;
} exception_kinds[] = {
	{ 0xC0000005, K_AV },			/* EXCEPTION_ACCESS_VIOLATION */
	{ 0xC0000006, K_IN_PAGE },		/* EXCEPTION_IN_PAGE_ERROR */
	{ 0xC00000FD, K_STACK_OVERFLOW },	/* EXCEPTION_STACK_OVERFLOW */
	{ 0xC0000228, K_STACK_OVERFLOW },	/* STATUS_STACK_OVERFLOW_READ */
	{ 0xC0000409, K_FAIL_FAST },		/* STATUS_STACK_BUFFER_OVERRUN */
	{ 0xC0000602, K_FAIL_FAST },		/* STATUS_FAIL_FAST_EXCEPTION */
	{ 0xC0000374, K_HEAP_CORRUPTION },	/* STATUS_HEAP_CORRUPTION */
	{ 0xC0000420, K_ASSERT },		/* STATUS_ASSERTION_FAILURE */
	{ 0xC0000417, K_INVALID_PARAM },	/* STATUS_INVALID_CRUNTIME_PARAMETER */
	{ 0xE06D7363, K_CXX_UNCAUGHT },		/* MSVC C++ throw */
	{ 0xE0434352, K_DOTNET },		/* CLR exception */
	{ 0xE0434F4D, K_DOTNET },		/* CLR 1.x-3.5 exception */
	{ 0x80000003, K_BREAKPOINT },		/* EXCEPTION_BREAKPOINT */
	{ 0x80000004, K_BREAKPOINT },		/* EXCEPTION_SINGLE_STEP */
	{ 0x4000001F, K_BREAKPOINT },		/* STATUS_WX86_BREAKPOINT */
	{ 0x4000001E, K_BREAKPOINT },		/* STATUS_WX86_SINGLE_STEP */
	{ 0xC000001D, K_ILL },			/* EXCEPTION_ILLEGAL_INSTRUCTION */
	{ 0xC0000096, K_ILL },			/* EXCEPTION_PRIV_INSTRUCTION */
	{ 0xC000008C, K_BOUNDS },		/* EXCEPTION_ARRAY_BOUNDS_EXCEEDED */
	{ 0xC000008D, K_ARITH },		/* EXCEPTION_FLT_DENORMAL_OPERAND */
	{ 0xC000008E, K_ARITH },		/* EXCEPTION_FLT_DIVIDE_BY_ZERO */
	{ 0xC000008F, K_ARITH },		/* EXCEPTION_FLT_INEXACT_RESULT */
	{ 0xC0000090, K_ARITH },		/* EXCEPTION_FLT_INVALID_OPERATION */
	{ 0xC0000091, K_ARITH },		/* EXCEPTION_FLT_OVERFLOW */
	{ 0xC0000092, K_ARITH },		/* EXCEPTION_FLT_STACK_CHECK */
	{ 0xC0000093, K_ARITH },		/* EXCEPTION_FLT_UNDERFLOW */
	{ 0xC0000094, K_ARITH },		/* EXCEPTION_INT_DIVIDE_BY_ZERO */
	{ 0xC0000095, K_ARITH },		/* EXCEPTION_INT_OVERFLOW */
	{ 0xC00002B4, K_ARITH },		/* STATUS_FLOAT_MULTIPLE_FAULTS */
	{ 0xC00002B5, K_ARITH },		/* STATUS_FLOAT_MULTIPLE_TRAPS */
	{ 0x80000002, K_BUS },			/* EXCEPTION_DATATYPE_MISALIGNMENT */
	{ 0xC00002C5, K_BUS },			/* STATUS_DATATYPE_MISALIGNMENT_ERROR */
	{ 0x80000001, K_GUARD_PAGE },		/* EXCEPTION_GUARD_PAGE */
	{ 0x40010005, K_CONSOLE_INTERRUPT },	/* DBG_CONTROL_C */
	{ 0x40010008, K_CONSOLE_INTERRUPT },	/* DBG_CONTROL_BREAK */
	{ 0xC000013A, K_CONSOLE_INTERRUPT },	/* STATUS_CONTROL_C_EXIT */
	{ 0xC0000017, K_OUT_OF_MEMORY },	/* STATUS_NO_MEMORY */
	{ 0xC000012D, K_OUT_OF_MEMORY },	/* STATUS_COMMITMENT_LIMIT */
};

/* __fastfail codes that name a more specific kind than "fail-fast". */
static const struct {
	uint64_t code;
	enum kind kind;
} fast_fail_kinds[] = {
	{ 0, K_STACK_SMASH },		/* FAST_FAIL_LEGACY_GS_VIOLATION */
	{ 2, K_STACK_SMASH },		/* FAST_FAIL_STACK_COOKIE_CHECK_FAILURE */
	{ 7, K_ABORT },			/* FAST_FAIL_FATAL_APP_EXIT: abort() in the CRT */
	{ 5, K_INVALID_PARAM },		/* FAST_FAIL_INVALID_ARG: _invalid_parameter */
	{ 50, K_HEAP_CORRUPTION },	/* FAST_FAIL_HEAP_METADATA_CORRUPTION */
};

/*
 * Mach exception type → kind (macOS/iOS minidumps, see mach.c).  The
 * entries of mach_code_kinds below, and for EXC_BAD_ACCESS the address,
 * refine it.
 */
static const struct {
	uint32_t exception;
	enum kind kind;
} mach_kinds[] = {
	{ CR_EXC_BAD_ACCESS, K_AV },
	{ CR_EXC_BAD_INSTRUCTION, K_ILL },
	{ CR_EXC_ARITHMETIC, K_ARITH },
	{ CR_EXC_SOFTWARE, K_SIGNAL },
	{ CR_EXC_BREAKPOINT, K_BREAKPOINT },
	{ CR_EXC_CRASH, K_SIGNAL },
	{ CR_EXC_RESOURCE, K_RESOURCE },
	{ CR_EXC_GUARD, K_GUARD_VIOLATION },
	{ CR_EXC_SIMULATED, K_NONE },
};

enum { CPU_ANY, CPU_X86, CPU_ARM };

/*
 * (exception, code[0]) → kind.  FAULT, when not 0, says the code is a
 * memory fault to classify by its address, with the SIGSEGV si_code the
 * kernel gives the same fault when it turns it into a signal (xnu
 * bsd/uxkern/ux_exception.c: KERN_INVALID_ADDRESS → SEGV_MAPERR, else
 * SEGV_ACCERR).
 */
static const struct {
	uint32_t exception;
	uint32_t code;
	unsigned cpu;		/* CPU_*: the code means this only there */
	enum kind kind;
	int fault;
} mach_code_kinds[] = {
	{ CR_EXC_BAD_ACCESS, CR_KERN_INVALID_ADDRESS, CPU_ANY, K_UNMAPPED, SEGV_MAPERR_ },
	{ CR_EXC_BAD_ACCESS, CR_KERN_PROTECTION_FAILURE, CPU_ANY, K_PROTECTED, SEGV_ACCERR_ },
	{ CR_EXC_BAD_ACCESS, 8, CPU_ANY, K_PROTECTED, SEGV_ACCERR_ },	/* KERN_NO_ACCESS */
	{ CR_EXC_BAD_ACCESS, 9, CPU_ANY, K_IN_PAGE, 0 },	/* KERN_MEMORY_FAILURE */
	{ CR_EXC_BAD_ACCESS, 10, CPU_ANY, K_IN_PAGE, 0 },	/* KERN_MEMORY_ERROR */
	{ CR_EXC_BAD_ACCESS, 50, CPU_ANY, K_CODESIGN, 0 },	/* KERN_CODESIGN_ERROR */
	{ CR_EXC_BAD_ACCESS, CR_EXC_I386_GPFLT, CPU_X86, K_GP_FAULT, 0 },
	{ CR_EXC_BAD_ACCESS, 0x101, CPU_ARM, K_BUS, 0 },	/* EXC_ARM_DA_ALIGN */
	{ CR_EXC_BAD_INSTRUCTION, CR_EXC_I386_GPFLT, CPU_X86, K_GP_FAULT, 0 },
	{ CR_EXC_BAD_INSTRUCTION, 17, CPU_X86, K_BUS, 0 },	/* EXC_I386_ALIGNFLT */
	{ CR_EXC_SOFTWARE, CR_EXC_SOFT_ABORT, CPU_ANY, K_ABORT, 0 },
	{ CR_EXC_SOFTWARE, CR_EXC_SOFT_NSEXCEPTION, CPU_ANY, K_NS_EXCEPTION, 0 },
	{ CR_EXC_SOFTWARE, 0x10000, CPU_ANY, K_BAD_SYSCALL, 0 },	/* EXC_UNIX_BAD_SYSCALL */
};

/* EXC_CRASH without a Mach exception before it: the signal (Darwin
 * numbers) says what happened.  Others: signal_kinds' meaning. */
static const struct {
	int signo;
	enum kind kind;
} darwin_signal_kinds[] = {
	{ 4, K_ILL }, { 5, K_BREAKPOINT }, { 6, K_ABORT }, { 8, K_ARITH },
	{ 9, K_SIGNAL_SENT }, { 10, K_BUS }, { 11, K_SEGV },
	{ 12, K_BAD_SYSCALL }, { 15, K_SIGNAL_SENT },
};

/*
 * Annotations a crash reporter attaches that hold the abort message: the
 * module that set it and the key (NULL: a list annotation, value only).
 */
static const struct {
	const char *module;
	const char *key;
} abort_annotations[] = {
	/* Crashpad on macOS: libsystem_c's crash-info message, set by abort()
	 * ("abort() called") and by __assert_rtn ("Assertion failed: ...") */
	{ "libsystem_c.dylib", NULL },
};

/* Functions on an aborting thread's stack that say why it aborted. */
static const struct {
	const char *function;
	enum kind kind;
} abort_frames[] = {
	{ "__assert_fail", K_ASSERT },
	{ "__assert_fail_base", K_ASSERT },
	{ "__assert_perror_fail", K_ASSERT },
	{ "__assert_rtn", K_ASSERT },		/* macOS libc */
	{ "__stack_chk_fail", K_STACK_SMASH },
	{ "__fortify_fail", K_FORTIFY },
	{ "__chk_fail", K_FORTIFY },
	{ "malloc_printerr", K_HEAP_CORRUPTION },
	{ "__gnu_cxx::__verbose_terminate_handler", K_CXX_UNCAUGHT },
	{ "__cxxabiv1::__terminate", K_CXX_UNCAUGHT },
	{ "std::terminate", K_CXX_UNCAUGHT },
};

/* Pieces of glibc's abort messages that say why it aborted. */
static const struct {
	const char *needle;
	enum kind kind;
} abort_messages[] = {
	{ "Assertion `", K_ASSERT },
	{ "stack smashing detected", K_STACK_SMASH },
	{ "buffer overflow detected", K_FORTIFY },
	{ "double free", K_HEAP_CORRUPTION },
	{ "free(): ", K_HEAP_CORRUPTION },
	{ "malloc(): ", K_HEAP_CORRUPTION },
	{ "realloc(): ", K_HEAP_CORRUPTION },
	{ "munmap_chunk(): ", K_HEAP_CORRUPTION },
	{ "corrupted size vs. prev_size", K_HEAP_CORRUPTION },
	{ "corrupted double-linked list", K_HEAP_CORRUPTION },
	{ "malloc_consolidate(): ", K_HEAP_CORRUPTION },
	/* Breakpad AssertionInfo, as the minidump reader words it */
	{ "Invalid parameter passed to library function", K_INVALID_PARAM },
	{ "Pure virtual function called", K_PURE_VIRTUAL },
	{ "Assertion failed", K_ASSERT },	/* also macOS __assert_rtn */
};

/* Memory permissions in words, for address texts. */
static const struct {
	unsigned prot;
	const char *words;
} prot_words[] = {
	{ 0, "no access" },
	{ CR_PROT_R, "read-only" },
	{ CR_PROT_R | CR_PROT_X, "read-only, executable" },
	{ CR_PROT_R | CR_PROT_W, "writable, not executable" },
	{ CR_PROT_R | CR_PROT_W | CR_PROT_X, "writable and executable" },
	{ CR_PROT_X, "execute-only" },
	{ CR_PROT_W, "write-only" },
	{ CR_PROT_W | CR_PROT_X, "writable and executable, not readable" },
};

/* Prefixes glibc puts on internal aliases of its own functions. */
static const char *const alias_prefixes[] = { "__GI_", "__libc_" };

bool cr_function_is(const char *function, const char *name)
{
	struct cr_function_key k;
	cr_function_key(&k, function);
	return cr_function_key_is(&k, name);
}

void cr_function_key(struct cr_function_key *k, const char *function)
{
	k->n = 0;
	if (!function)
		return;
	k->form[k->n++] = function;
	for (size_t i = 0; i < ARRAY_LEN(alias_prefixes); i++) {
		size_t n = strlen(alias_prefixes[i]);
		if (!strncmp(function, alias_prefixes[i], n)) {
			k->form[k->n++] = function + n;
			break;
		}
	}
	for (unsigned i = 0; i < k->n; i++)
		k->len[i] = strcspn(k->form[i], ".(");
}

bool cr_function_key_is(const struct cr_function_key *k, const char *name)
{
	if (!name)
		return false;
	for (unsigned i = 0; i < k->n; i++) {
		const char *f = k->form[i];
		if ((k->len[i] && f[0] != name[0]) ||
		    strncmp(f, name, k->len[i]) != 0)
			continue;
		if (name[k->len[i]] == '\0')
			return true;
		/* NAME goes on past the form's base name: only a NAME with
		 * a '.' or '(' of its own can still match, by the rule. */
		size_t n = strlen(name);
		if (!strncmp(f, name, n) &&
		    (f[n] == 0 || f[n] == '.' || f[n] == '('))
			return true;
	}
	return false;
}

/* What the pass knows about the crashing thread while it classifies. */
struct ctx {
	const struct cr_pass_ctx *pass;	/* symbols, typed memory reads */
	struct cr_analysis *a;
	const struct cr_dump *d;
	const struct cr_thread *t;	/* crashing thread, NULL unknown */
	const struct cr_stack *stack;	/* its stack, NULL unknown */
	bool pc_known, sp_known;
	uint64_t pc, sp;
	bool oom;
};

static void set_kind(struct cr_crash *c, enum kind k)
{
	c->cls = kinds[k].cls;
	c->class_id = kinds[k].id;
	c->class_text = kinds[k].text;
	c->sent = kinds[k].sent;
}

static const char *prot_text(unsigned prot)
{
	for (size_t i = 0; i < ARRAY_LEN(prot_words); i++)
		if (prot_words[i].prot == prot)
			return prot_words[i].words;
	return "unknown permissions";
}

static void prot_string(const struct cr_region *r, char out[4])
{
	out[0] = r->prot & CR_PROT_R ? 'r' : '-';
	out[1] = r->prot & CR_PROT_W ? 'w' : '-';
	out[2] = r->prot & CR_PROT_X ? 'x' : '-';
	out[3] = 0;
}

/* Highest address of the dump's address space (4 GiB - 1 on 32-bit). */
static uint64_t address_top(const struct cr_dump *d)
{
	return d->process.pointer_size == 4 ? UINT32_MAX : UINT64_MAX;
}

/* A null pointer plus or minus a small offset, with nothing mapped there. */
static bool is_null_address(const struct cr_dump *d, uint64_t addr)
{
	if (cr_dump_region_at(d, addr))
		return false;
	return addr < CR_NULL_PAGE_LIMIT ||
	       (addr <= address_top(d) &&
		address_top(d) - addr < CR_NULL_NEGATIVE_LIMIT);
}

/* The first region that starts above ADDR (regions are sorted), or NULL. */
static const struct cr_region *region_above(const struct cr_dump *d,
					    uint64_t addr)
{
	size_t i = cr_dump_region_rank(d, addr);
	return i < d->nregions ? &d->regions[i] : NULL;
}

/*
 * The lowest and highest address of thread T's stack: the writable region
 * holding its sp (or just above it, when sp has run into the guard page or
 * below the stack), else the captured stack range (minidumps without a
 * memory map).  False when neither is known.
 */
static bool thread_stack_range(const struct cr_dump *d,
			       const struct cr_thread *t, uint64_t *lo,
			       uint64_t *hi)
{
	uint64_t sp;
	if (!t || !cr_thread_sp(d, t, &sp))
		return false;
	const struct cr_region *r = cr_dump_region_at(d, sp);
	/* sp already in the guard page: the stack is the mapping above it. */
	if (r && r->prot_known && r->prot == 0)
		r = cr_dump_region_at(d, r->end);
	/* sp already moved below the stack into unmapped space. */
	if (!r) {
		const struct cr_region *up = region_above(d, sp);
		if (up && up->start - sp <= CR_STACK_GUARD_REACH)
			r = up;
	}
	if (r && (!r->prot_known || (r->prot & CR_PROT_W))) {
		*lo = r->start;
		*hi = r->end;
		return true;
	}
	if (t->stack_hi > t->stack_lo && sp + CR_STACK_GUARD_REACH >= t->stack_lo &&
	    sp < t->stack_hi) {
		*lo = t->stack_lo;
		*hi = t->stack_hi;
		return true;
	}
	return false;
}

/* A region nobody may touch: the guard page of a pthread stack. */
static bool is_no_access(const struct cr_region *r)
{
	return r && r->prot_known && r->prot == 0;
}

/*
 * Whether the crashing thread ran off the end of its stack: its sp is
 * outside any mapping or in a no-access one (the guard), or the fault
 * address lies within CR_STACK_GUARD_REACH below the stack's lowest
 * address or in the no-access mapping just below it.
 */
static bool is_stack_overflow(const struct ctx *x, bool addr_known,
			      uint64_t addr)
{
	const struct cr_dump *d = x->d;
	uint64_t lo, hi;

	if (!x->sp_known)
		return false;
	if (d->nregions > 0) {
		const struct cr_region *r = cr_dump_region_at(d, x->sp);
		if (!r || is_no_access(r) ||
		    (r->prot_known && !(r->prot & CR_PROT_W)))
			return true;
	}
	if (!addr_known || !thread_stack_range(d, x->t, &lo, &hi))
		return false;
	if (addr < lo && lo - addr <= CR_STACK_GUARD_REACH)
		return true;
	const struct cr_region *g = cr_dump_region_at(d, addr);
	return g && is_no_access(g) && g->end == lo;
}

/*
 * Where the kernel's half of the address space starts, per architecture: a
 * fault there is a wild pointer, never a missing mapping.  x86-64 user
 * space ends below 0x0000800000000000 (0x0100000000000000 with 5-level
 * paging), the kernel's canonical half starts at 0xffff800000000000 either
 * way.  aarch64 is left out: its top byte may be a pointer tag.
 */
static const struct {
	enum cr_arch arch;
	uint64_t kernel_start;
} kernel_halves[] = {
	{ CR_ARCH_X86_64, 0xffff800000000000ull },
};

static bool in_kernel_half(const struct cr_dump *d, uint64_t addr)
{
	for (size_t i = 0; i < ARRAY_LEN(kernel_halves); i++)
		if (kernel_halves[i].arch == d->process.arch &&
		    addr >= kernel_halves[i].kernel_start)
			return true;
	return false;
}

/*
 * Whether every byte of the pointer-sized ADDR is printable ASCII
 * (0x41414141 is "AAAA"): text, or data an attacker controls, used as a
 * pointer.  The bytes in memory order go to OUT (NUL-terminated).
 */
static bool ascii_pointer(const struct cr_dump *d, uint64_t addr, char out[9])
{
	unsigned n = d->process.pointer_size == 4 ? 4 : 8;

	for (unsigned i = 0; i < n; i++) {
		unsigned shift = d->process.big_endian ? 8 * (n - 1 - i) : 8 * i;
		unsigned char b = (unsigned char)(addr >> shift);
		if (b < 0x20 || b > 0x7e)
			return false;
		out[i] = (char)b;
	}
	out[n] = 0;
	return true;
}

static char *fmt_null(uint64_t addr, uint64_t top)
{
	if (addr == 0)
		return cr_strdup_printf("0x0 (null pointer)");
	if (addr < CR_NULL_PAGE_LIMIT)
		return cr_strdup_printf("0x%" PRIx64 " (null pointer + 0x%" PRIx64
					": a field reached through a null pointer)",
					addr, addr);
	return cr_strdup_printf("0x%" PRIx64 " (null pointer - 0x%" PRIx64 ")",
				addr, top - addr + 1);
}

/*
 * Where ADDR lies relative to the threads' stacks: "24 bytes below the
 * stack of thread 1234", "in the stack of thread 1234".  The crashing
 * thread is tried first.  NULL when it is near no stack.
 */
static char *stack_relation(const struct ctx *x, uint64_t addr)
{
	const struct cr_dump *d = x->d;
	ssize_t first = x->a->crash.thread;

	for (size_t k = 0; k <= d->nthreads; k++) {
		const struct cr_thread *t;
		if (k == 0) {
			if (first < 0)
				continue;
			t = &d->threads[first];
		} else {
			t = &d->threads[k - 1];
			if (first >= 0 && t == &d->threads[first])
				continue;
		}
		uint64_t lo, hi;
		if (!thread_stack_range(d, t, &lo, &hi))
			continue;
		if (addr >= lo && addr < hi)
			return cr_strdup_printf("in the stack of thread %" PRId64,
						t->tid);
		if (addr < lo && lo - addr <= CR_STACK_GUARD_REACH)
			return cr_strdup_printf("%" PRIu64 " bytes below the stack of thread %" PRId64,
						lo - addr, t->tid);
		const struct cr_region *g = cr_dump_region_at(d, addr);
		if (g && is_no_access(g) && g->end == lo)
			return cr_strdup_printf("in the guard page %" PRIu64 " bytes below the stack of thread %" PRId64,
						lo - addr, t->tid);
	}
	return NULL;
}

/*
 * ADDR in plain words: "0x0 (null pointer)", "0x7ffd...: 24 bytes below
 * the stack of thread 1234", "0x...: inside libfoo.so at offset 0x10 (r-x,
 * read-only, executable)", "0x...: in no mapped region".
 */
static char *describe_address(const struct ctx *x, uint64_t addr)
{
	const struct cr_dump *d = x->d;
	const struct cr_region *r;
	const struct cr_module *m;
	char perm[4] = "", ascii[9];
	char *where, *out;
	bool nowhere = false;	/* in nothing the dump knows of */

	if (is_null_address(d, addr))
		return fmt_null(addr, address_top(d));

	r = cr_dump_region_at(d, addr);
	if (r && r->prot_known)
		prot_string(r, perm);
	where = stack_relation(x, addr);
	if (where) {
		/* already said */
	} else if ((m = cr_dump_module_at(d, addr))) {
		if (r && r->prot_known)
			where = cr_strdup_printf("inside %s at offset 0x%" PRIx64 " (%s, %s)",
						 cr_basename(m->path), addr - m->base,
						 perm, prot_text(r->prot));
		else
			where = cr_strdup_printf("inside %s at offset 0x%" PRIx64,
						 cr_basename(m->path), addr - m->base);
	} else if (r && r->path && !strcmp(r->path, "[heap]")) {
		where = cr_strdup_printf("in the heap ([heap]%s%s)",
					 r->prot_known ? ", " : "", perm);
	} else if (r && r->path) {
		where = cr_strdup_printf("in a mapping of %s%s%s%s", r->path,
					 r->prot_known ? " (" : "", perm,
					 r->prot_known ? ")" : "");
	} else if (r) {
		where = cr_strdup_printf("in an anonymous mapping 0x%" PRIx64 "-0x%" PRIx64 "%s%s%s%s%s",
					 r->start, r->end,
					 r->prot_known ? " (" : "", perm,
					 r->prot_known ? ", " : "",
					 r->prot_known ? prot_text(r->prot) : "",
					 r->prot_known ? ")" : "");
	} else if (in_kernel_half(d, addr)) {
		where = cr_strdup_printf("in the kernel's half of the address space, never accessible to the process: a wild pointer");
		nowhere = true;
	} else if (d->nregions == 0) {
		where = cr_strdup_printf("the dump records no memory map");
		nowhere = true;
	} else {
		where = cr_strdup_printf("in no mapped region");
		nowhere = true;
	}
	if (where && nowhere && ascii_pointer(d, addr, ascii)) {
		char *w = cr_strdup_printf("%s; its bytes are the ASCII text \"%s\": text or input data used as a pointer",
					   where, ascii);
		free(where);
		where = w;
	}
	if (!where)
		return NULL;
	out = cr_strdup_printf("0x%" PRIx64 ": %s", addr, where);
	free(where);
	return out;
}

/* Index in a->threads of the thread the event happened on, -1 unknown. */
static ssize_t find_crash_thread(const struct cr_analysis *a)
{
	const struct cr_event *ev = &a->dump->event;

	if (ev->tid >= 0)
		for (size_t i = 0; i < a->nthreads; i++)
			if (a->threads[i].thread && a->threads[i].thread->tid == ev->tid)
				return (ssize_t)i;
	/* No tid recorded: the one thread that has the signal pending. */
	if (ev->kind == CR_EVENT_SIGNAL && ev->signo > 0)
		for (size_t i = 0; i < a->nthreads; i++)
			if (a->threads[i].thread && a->threads[i].thread->signo == ev->signo)
				return (ssize_t)i;
	return -1;
}

/*
 * glibc's abort/assert message (see the file comment), trailing newline
 * removed; NULL when libc's symbol or the bytes are not available.  Newer
 * glibc may keep a plain `char *`: when the size field is not plausible,
 * the pointer is read as the string itself.
 */
static char *read_abort_message(const struct ctx *x)
{
	const struct cr_target *t = &x->pass->target;
	uint64_t sym, p;
	uint32_t size;
	char *msg;

	if (!cr_pass_symbol(x->pass, "libc.so", "__abort_msg", &sym))
		return NULL;
	if (!cr_target_pointer(t, sym, &p) || p == 0)
		return NULL;
	if (!cr_target_u32(t, p, &size))
		return NULL;
	if (size > sizeof(size) && size <= CR_ABORT_MSG_ALLOC_MAX)
		msg = cr_target_string(t, p + sizeof(size),
				       size - sizeof(size) < CR_ABORT_MSG_MAX
				       ? size - sizeof(size) : CR_ABORT_MSG_MAX);
	else
		msg = cr_target_string(t, p, CR_ABORT_MSG_MAX);
	if (!msg)
		return NULL;
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = 0;
	if (n == 0) {
		free(msg);
		return NULL;
	}
	return msg;
}

/* Why the crashing thread aborted: from its frames, then from the message. */
static enum kind abort_kind(const struct ctx *x, const char *message)
{
	if (x->stack) {
		size_t n = x->stack->nframes < CR_ABORT_SCAN_FRAMES
			? x->stack->nframes : CR_ABORT_SCAN_FRAMES;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < ARRAY_LEN(abort_frames); j++)
				if (cr_function_is(x->stack->frames[i].function,
						   abort_frames[j].function))
					return abort_frames[j].kind;
	}
	if (message)
		for (size_t j = 0; j < ARRAY_LEN(abort_messages); j++)
			if (strstr(message, abort_messages[j].needle))
				return abort_messages[j].kind;
	return K_ABORT;
}

static void classify_abort(struct ctx *x)
{
	struct cr_crash *c = &x->a->crash;

	c->abort_message = read_abort_message(x);
	set_kind(c, abort_kind(x, c->abort_message));
}

/*
 * A memory fault at ADDR.  ACCESS is "read", "write", "execute" or NULL
 * when the dump does not say (Linux).  SI_CODE is the SIGSEGV si_code, 0
 * for exceptions.
 */
static enum kind classify_fault(const struct ctx *x, uint64_t addr,
				const char *access, int si_code)
{
	const struct cr_dump *d = x->d;
	bool exec = access && !strcmp(access, "execute");
	bool write = access && !strcmp(access, "write");

	if (is_stack_overflow(x, true, addr))
		return K_STACK_OVERFLOW;
	/* The instruction fetch itself faulted near 0: a call or jump
	 * through a null function pointer. */
	if ((exec || (x->pc_known && x->pc == addr)) &&
	    addr < CR_NULL_PAGE_LIMIT && is_null_address(d, addr))
		return K_NULL_CALL;
	if (is_null_address(d, addr))
		return K_NULL;
	if (exec || (x->pc_known && x->pc == addr)) {
		/* The instruction fetch itself faulted. */
		const struct cr_region *r = cr_dump_region_at(d, addr);
		if (!r && (d->nregions > 0 || si_code == SEGV_MAPERR_))
			return K_EXEC_UNMAPPED;
		if (exec || !r || !r->prot_known || !(r->prot & CR_PROT_X))
			return K_EXEC_NX;
	}
	/* pc itself outside executable memory: a jump to a bad address. */
	if (x->pc_known && d->nregions > 0) {
		const struct cr_region *r = cr_dump_region_at(d, x->pc);
		if (!r)
			return K_EXEC_UNMAPPED;
		if (r->prot_known && !(r->prot & CR_PROT_X))
			return K_EXEC_NX;
	}
	if (si_code == SEGV_MAPERR_)
		return K_UNMAPPED;
	const struct cr_region *r = cr_dump_region_at(d, addr);
	if (r && r->prot_known) {
		if (write && !(r->prot & CR_PROT_W))
			return K_WRITE_RO;
		/* Access unknown (Linux) on a readable, unwritable region: the
		 * read would have worked, so it was a write. */
		if (!access && (r->prot & CR_PROT_R) && !(r->prot & CR_PROT_W))
			return K_WRITE_RO;
		return K_PROTECTED;
	}
	if (!r && d->nregions > 0)
		return K_UNMAPPED;
	/* No memory map to look at. */
	if (write)
		return K_WRITE_AV;
	if (access)
		return K_READ_AV;
	return si_code == SEGV_ACCERR_ ? K_PROTECTED : K_AV;
}

static char *sender_text(const struct cr_event *ev)
{
	if (ev->sender_uid >= 0)
		return cr_strdup_printf("process %" PRId64 " (uid %" PRId64 ")",
					ev->sender_pid, ev->sender_uid);
	return cr_strdup_printf("process %" PRId64, ev->sender_pid);
}

static enum kind signal_default_kind(int signo)
{
	for (size_t i = 0; i < ARRAY_LEN(signal_kinds); i++)
		if (signal_kinds[i].signo == signo)
			return signal_kinds[i].kind;
	return K_SIGNAL;
}

/* A POSIX signal (cores, Linux/macOS minidumps). */
static void classify_signal(struct ctx *x)
{
	struct cr_crash *c = &x->a->crash;
	const struct cr_event *ev = &x->d->event;
	int signo = ev->signo;

	c->signo = signo;
	c->signal_name = cr_signal_name(signo);
	if (ev->siginfo_known)
		cr_si_code_describe(signo, ev->si_code, &c->code_name,
				    &c->code_text);
	c->address_known = ev->fault_addr_known;
	c->address = ev->fault_addr;

	/* Sent by a process (kill, tgkill, sigqueue ...): no fault address. */
	if (ev->siginfo_known && ev->si_code <= 0) {
		c->address_known = false;
		bool self = ev->sender_known &&
			    ev->sender_pid == x->d->process.pid;
		if (ev->sender_known) {
			c->sender = sender_text(ev);
			if (!c->sender)
				x->oom = true;
		}
		if (signo == SIG_ABRT && (self || !ev->sender_known))
			classify_abort(x);
		else if (self)
			set_kind(c, K_SELF_SIGNAL);
		else if (ev->sender_known)
			set_kind(c, K_KILLED);
		else
			set_kind(c, K_SIGNAL_SENT);
		return;
	}

	if (signo == SIG_SEGV) {
		if (ev->siginfo_known && ev->si_code == SI_KERNEL_) {
			/* si_addr is 0 here and means nothing. */
			c->address_known = false;
			set_kind(c, is_stack_overflow(x, false, 0)
				 ? K_STACK_OVERFLOW : K_GP_FAULT);
			return;
		}
		if (ev->siginfo_known)
			for (size_t i = 0; i < ARRAY_LEN(segv_code_kinds); i++)
				if (segv_code_kinds[i].code == ev->si_code) {
					set_kind(c, segv_code_kinds[i].kind);
					return;
				}
		if (c->address_known)
			set_kind(c, classify_fault(x, c->address, NULL,
						   ev->siginfo_known ? ev->si_code : 0));
		else
			set_kind(c, is_stack_overflow(x, false, 0)
				 ? K_STACK_OVERFLOW : K_SEGV);
		return;
	}
	if (ev->siginfo_known && ev->si_code == SI_KERNEL_) {
		c->address_known = false;
		c->sender = cr_strdup_printf("the kernel");
		if (!c->sender)
			x->oom = true;
		set_kind(c, signal_default_kind(signo) == K_SIGNAL
			 ? K_KILLED_BY_KERNEL : signal_default_kind(signo));
		return;
	}
	if (signo == SIG_ABRT) {
		classify_abort(x);
		return;
	}
	set_kind(c, signal_default_kind(signo));
}

/* A Windows exception record (minidumps). */
static void classify_exception(struct ctx *x)
{
	struct cr_crash *c = &x->a->crash;
	const struct cr_event *ev = &x->d->event;
	const char *name, *text, *access_name = NULL, *verb = NULL;
	enum kind k = K_EXCEPTION;

	cr_ntstatus_describe(ev->exc_code, &name, &text);
	c->signal_name = name;
	c->code_text = text;
	for (size_t i = 0; i < ARRAY_LEN(exception_kinds); i++)
		if (exception_kinds[i].code == ev->exc_code)
			k = exception_kinds[i].kind;

	if (ev->exc_nparams >= 1 &&
	    cr_exception_access(ev->exc_code, ev->exc_params[0], &access_name,
				&verb))
		c->signal_name = access_name;
	if (ev->exc_nparams >= 2 &&
	    (ev->exc_code == 0xC0000005 || ev->exc_code == 0xC0000006)) {
		/* A 32-bit process may leave garbage in the high half
		 * (Breakpad's minidump_32bit_crash_addr.dmp: 0xffffffff00000045
		 * for 0x45). */
		c->address_known = true;
		c->address = ev->exc_params[1] & address_top(x->d);
	} else {
		c->address_known = ev->fault_addr_known;
		c->address = ev->fault_addr;
	}

	if (k == K_AV) {
		if (c->address_known)
			k = classify_fault(x, c->address, verb, 0);
		else if (is_stack_overflow(x, false, 0))
			k = K_STACK_OVERFLOW;
	} else if (k == K_FAIL_FAST && ev->exc_code == 0xC0000409 &&
		   ev->exc_nparams >= 1) {
		cr_fast_fail_describe(ev->exc_params[0], &c->code_name,
				      &c->code_text);
		for (size_t i = 0; i < ARRAY_LEN(fast_fail_kinds); i++)
			if (fast_fail_kinds[i].code == ev->exc_params[0])
				k = fast_fail_kinds[i].kind;
	}
	/* A code not in the table leaves signal_name NULL; reports show the
	 * number from the dump's event. */
	set_kind(c, k);
}

/* Whether the classification may be refined by an abort message. */
static bool is_vague_abort(const struct cr_crash *c)
{
	return !c->class_id || !strcmp(c->class_id, kinds[K_ABORT].id) ||
	       !strcmp(c->class_id, kinds[K_EXCEPTION].id) ||
	       !strcmp(c->class_id, kinds[K_FAIL_FAST].id) ||
	       !strcmp(c->class_id, kinds[K_SIGNAL].id);
}

static enum kind mach_darwin_signal_kind(int signo)
{
	for (size_t i = 0; i < ARRAY_LEN(darwin_signal_kinds); i++)
		if (darwin_signal_kinds[i].signo == signo)
			return darwin_signal_kinds[i].kind;
	return K_SIGNAL;
}

/*
 * The kind of Mach exception EXCEPTION with code[0] CODE; *FAULT gets the
 * si_code-like hint of a memory fault to classify by address (0 none).
 */
static enum kind mach_kind(const struct cr_dump *d, uint32_t exception,
			   uint64_t code, int *fault)
{
	bool x86 = d->process.arch == CR_ARCH_X86 ||
		   d->process.arch == CR_ARCH_X86_64;
	bool arm = d->process.arch == CR_ARCH_ARM ||
		   d->process.arch == CR_ARCH_AARCH64;
	enum kind k = K_EXCEPTION;

	*fault = 0;
	for (size_t i = 0; i < ARRAY_LEN(mach_kinds); i++)
		if (mach_kinds[i].exception == exception)
			k = mach_kinds[i].kind;
	for (size_t i = 0; i < ARRAY_LEN(mach_code_kinds); i++) {
		unsigned cpu = mach_code_kinds[i].cpu;
		if (mach_code_kinds[i].exception != exception ||
		    mach_code_kinds[i].code != code ||
		    (cpu == CPU_X86 && !x86) || (cpu == CPU_ARM && !arm))
			continue;
		*fault = mach_code_kinds[i].fault;
		return mach_code_kinds[i].kind;
	}
	return k;
}

/*
 * A Mach exception (macOS/iOS minidumps, see mach.c): its name and code's
 * name, the address for EXC_BAD_ACCESS, and the kind.  EXC_CRASH is
 * classified by what caused it: the exception it wraps, else its signal.
 */
static void classify_mach(struct ctx *x)
{
	struct cr_crash *c = &x->a->crash;
	const struct cr_dump *d = x->d;
	const struct cr_event *ev = &d->event;
	const char *text;
	uint32_t exception = ev->exc_code, orig_exc, orig_code;
	uint64_t code;
	int fault, signo;
	enum kind k;

	cr_mach_event_code(ev, &code);
	cr_mach_exception_describe(exception, &c->signal_name, &text);
	cr_mach_code_describe(exception, d->process.arch, code, &c->code_name,
			      &c->code_text);
	if (!c->code_text)
		c->code_text = text;

	if (cr_mach_exc_crash(ev, &orig_exc, &orig_code, &signo) &&
	    (exception == CR_EXC_CRASH || exception == 0)) {
		/* The exception's own record says nothing (Crashpad writes
		 * 0 for "no Mach exception"): EXC_CRASH's payload does. */
		if (exception == 0)
			c->code_text = "no Mach exception: the process was ended by a signal (EXC_CRASH)";
		if (orig_exc != 0) {
			k = mach_kind(d, orig_exc, orig_code, &fault);
			if (fault)	/* the address is not kept in EXC_CRASH */
				k = K_SEGV;
		} else {
			k = mach_darwin_signal_kind(signo);
		}
		if (k == K_ABORT)
			classify_abort(x);
		else
			set_kind(c, k);
		return;
	}

	k = mach_kind(d, exception, code, &fault);
	if (exception == CR_EXC_BAD_ACCESS && ev->fault_addr_known &&
	    k != K_GP_FAULT) {
		c->address_known = true;
		c->address = ev->fault_addr;
	}
	if (fault || k == K_AV) {
		if (c->address_known)
			k = classify_fault(x, c->address, NULL, fault);
		else if (is_stack_overflow(x, false, 0))
			k = K_STACK_OVERFLOW;
	}
	if (k == K_ABORT)
		classify_abort(x);
	else
		set_kind(c, k);
}

/*
 * The abort message a crash reporter attached as an annotation (see
 * abort_annotations), malloc'd; NULL none (or no memory: *OOM set).
 */
static char *annotation_abort_message(const struct cr_dump *d, bool *oom)
{
	char *msg;

	for (size_t j = 0; j < ARRAY_LEN(abort_annotations); j++)
		for (size_t i = 0; i < d->nannotations; i++) {
			const struct cr_annotation *an = &d->annotations[i];
			if (!an->value || !an->value[0] || !an->module ||
			    strcmp(an->module, abort_annotations[j].module))
				continue;
			bool key_ok = abort_annotations[j].key
				? an->key && !strcmp(an->key, abort_annotations[j].key)
				: !an->key;
			if (!key_ok)
				continue;
			if (!(msg = strdup(an->value)))
				*oom = true;
			return msg;
		}
	return NULL;
}

/*
 * What the dump itself says about an abort: Breakpad's AssertionInfo (the
 * reader's sentence, event.assertion), else a crash reporter's annotation.
 * Sets the abort message when none was found in memory, and refines a
 * vague class from it.
 */
static void dump_abort_message(struct ctx *x)
{
	struct cr_crash *c = &x->a->crash;
	const struct cr_dump *d = x->d;
	char *msg = NULL;

	if (c->abort_message)
		return;
	if (d->event.assertion && d->event.assertion[0]) {
		if (!(msg = strdup(d->event.assertion)))
			x->oom = true;
	} else if (c->cls == CR_CRASH_ABORT) {
		msg = annotation_abort_message(d, &x->oom);
	}
	if (!msg)
		return;
	c->abort_message = msg;
	if (!is_vague_abort(c))
		return;
	for (size_t j = 0; j < ARRAY_LEN(abort_messages); j++)
		if (strstr(msg, abort_messages[j].needle)) {
			set_kind(c, abort_messages[j].kind);
			return;
		}
}

bool cr_crash_kind(size_t i, const char **id, enum cr_finding_id *finding)
{
	if (i >= K_NKINDS)
		return false;
	*id = kinds[i].id;
	*finding = kinds[i].finding;
	return true;
}

/* The kind a->crash was classified as (set_kind keeps the id). */
static enum kind crash_kind_of(const struct cr_crash *c)
{
	for (size_t k = 0; k < K_NKINDS; k++)
		if (c->class_id == kinds[k].id)
			return (enum kind)k;
	return K_NONE;
}

/*
 * The "crash" pass: fill a->crash from the dump's event, mark the crashing
 * thread and add the crash finding (none for a dump taken on demand).
 * Needs the stacks (symbolized, for the abort helpers); glibc's abort
 * message is looked up through the context's symbols and read through its
 * typed reader.  Returns NULL, or &cr_enomem when a text could not be
 * allocated.
 */
CR_PASS_RUN(run_crash)
{
	struct cr_analysis *a = ctx->analysis;
	struct cr_crash *c = &a->crash;
	const struct cr_dump *d = ctx->dump;
	struct ctx x = { .pass = ctx, .a = a, .d = d };

	c->thread = -1;
	if (d->event.kind == CR_EVENT_NONE) {
		set_kind(c, K_NONE);
		return NULL;
	}

	c->thread = find_crash_thread(a);
	if (c->thread >= 0) {
		a->threads[c->thread].crashed = true;
		x.t = a->threads[c->thread].thread;
		x.stack = &a->threads[c->thread].stack;
		x.pc_known = cr_thread_pc(d, x.t, &x.pc);
		x.sp_known = cr_thread_sp(d, x.t, &x.sp);
	}

	if (d->event.kind == CR_EVENT_SIGNAL)
		classify_signal(&x);
	else if (cr_dump_is_mach(d))
		classify_mach(&x);
	else
		classify_exception(&x);
	dump_abort_message(&x);

	if (c->address_known) {
		c->address_text = describe_address(&x, c->address);
		if (!c->address_text)
			x.oom = true;
	}
	if (x.oom)
		return &cr_enomem;
	enum kind k = crash_kind_of(c);
	if (kinds[k].finding == CR_FINDING_COUNT)
		return NULL;	/* no crash (a Mach "simulated" exception) */
	return cr_crash_finding(ctx, kinds[k].finding);
}
