/*
 * ntstatus.c - Windows exception codes (NTSTATUS) and fail-fast sub-codes:
 * names and meanings.
 *
 * A minidump's exception stream records the code of the exception that
 * stopped the process (EXCEPTION_RECORD.ExceptionCode) and up to 15
 * parameters.  This file turns the code into the name debuggers and the
 * Breakpad processor print (src/processor/symbolic_constants_win.cc uses
 * the EXCEPTION_* spellings where winbase.h has one, STATUS_* otherwise)
 * and a meaning in plain words.  Which crash class a code belongs to is
 * decided in crash.c; this file is data only.
 *
 * Parameter facts used by callers (winnt.h / MSDN EXCEPTION_RECORD):
 *   access violation, in-page error: params[0] 0 read, 1 write, 8 execute
 *     (DEP); params[1] the data address; in-page error params[2] the
 *     NTSTATUS of the failed I/O.
 *   STATUS_STACK_BUFFER_OVERRUN is what __fastfail(code) raises;
 *     params[0] is the FAST_FAIL_* code (winnt.h).
 */
#include <stddef.h>

#include "passes.h"
#include "util.h"

struct ntstatus_info {
	uint32_t code;
	const char *name;
	const char *text;
};

/* Exception codes, by value.  One line each; extend freely. */
static const struct ntstatus_info ntstatus[] = {
	{ 0x40000015, "STATUS_FATAL_APP_EXIT", "the application requested a fatal exit" },
	{ 0x4000001E, "STATUS_WX86_SINGLE_STEP", "single step (x86 emulation)" },
	{ 0x4000001F, "STATUS_WX86_BREAKPOINT", "breakpoint (x86 emulation)" },
	{ 0x40010003, "DBG_TERMINATE_THREAD", "the debugger terminated the thread" },
	{ 0x40010004, "DBG_TERMINATE_PROCESS", "the debugger terminated the process" },
	{ 0x40010005, "DBG_CONTROL_C", "Ctrl-C pressed in the console" },
	{ 0x40010006, "DBG_PRINTEXCEPTION_C", "debug output (OutputDebugStringA)" },
	{ 0x40010008, "DBG_CONTROL_BREAK", "Ctrl-Break pressed in the console" },
	{ 0x4001000A, "DBG_PRINTEXCEPTION_WIDE_C", "debug output (OutputDebugStringW)" },
	{ 0x406D1388, "MS_VC_EXCEPTION", "thread naming exception (SetThreadName)" },
	{ 0x80000001, "EXCEPTION_GUARD_PAGE", "access to a guard page" },
	{ 0x80000002, "EXCEPTION_DATATYPE_MISALIGNMENT", "misaligned data access" },
	{ 0x80000003, "EXCEPTION_BREAKPOINT", "breakpoint (int 3 / brk)" },
	{ 0x80000004, "EXCEPTION_SINGLE_STEP", "single-step trap" },
	{ 0x80000026, "STATUS_LONGJUMP", "longjmp unwind" },
	{ 0x80000029, "STATUS_UNWIND_CONSOLIDATE", "frame consolidation during unwind" },
	{ 0xC0000002, "STATUS_NOT_IMPLEMENTED", "the requested operation is not implemented" },
	{ 0xC0000005, "EXCEPTION_ACCESS_VIOLATION", "access violation (invalid memory access)" },
	{ 0xC0000006, "EXCEPTION_IN_PAGE_ERROR", "in-page error (a page of a mapped file or the page file could not be read)" },
	{ 0xC0000008, "EXCEPTION_INVALID_HANDLE", "an invalid handle was used" },
	{ 0xC000000D, "STATUS_INVALID_PARAMETER", "an invalid parameter was passed to a service or function" },
	{ 0xC0000017, "STATUS_NO_MEMORY", "out of memory (virtual memory or page file quota)" },
	{ 0xC0000018, "STATUS_CONFLICTING_ADDRESSES", "conflicting addresses for a mapped view" },
	{ 0xC000001D, "EXCEPTION_ILLEGAL_INSTRUCTION", "illegal instruction" },
	{ 0xC000001E, "STATUS_INVALID_LOCK_SEQUENCE", "invalid lock sequence" },
	{ 0xC0000022, "STATUS_ACCESS_DENIED", "access denied" },
	{ 0xC0000024, "STATUS_OBJECT_TYPE_MISMATCH", "object type mismatch" },
	{ 0xC0000025, "EXCEPTION_NONCONTINUABLE_EXCEPTION", "execution continued after a noncontinuable exception" },
	{ 0xC0000026, "EXCEPTION_INVALID_DISPOSITION", "an exception handler returned an invalid disposition" },
	{ 0xC0000028, "STATUS_BAD_STACK", "invalid or misaligned stack found during unwind" },
	{ 0xC0000029, "STATUS_INVALID_UNWIND_TARGET", "invalid unwind target" },
	{ 0xC000004B, "STATUS_THREAD_IS_TERMINATING", "the thread is terminating" },
	{ 0xC000007B, "STATUS_INVALID_IMAGE_FORMAT", "invalid executable image format" },
	{ 0xC000008C, "EXCEPTION_ARRAY_BOUNDS_EXCEEDED", "array bounds exceeded (hardware bounds check)" },
	{ 0xC000008D, "EXCEPTION_FLT_DENORMAL_OPERAND", "floating-point denormal operand" },
	{ 0xC000008E, "EXCEPTION_FLT_DIVIDE_BY_ZERO", "floating-point divide by zero" },
	{ 0xC000008F, "EXCEPTION_FLT_INEXACT_RESULT", "floating-point inexact result" },
	{ 0xC0000090, "EXCEPTION_FLT_INVALID_OPERATION", "invalid floating-point operation" },
	{ 0xC0000091, "EXCEPTION_FLT_OVERFLOW", "floating-point overflow" },
	{ 0xC0000092, "EXCEPTION_FLT_STACK_CHECK", "floating-point stack overflow or underflow" },
	{ 0xC0000093, "EXCEPTION_FLT_UNDERFLOW", "floating-point underflow" },
	{ 0xC0000094, "EXCEPTION_INT_DIVIDE_BY_ZERO", "integer divide by zero" },
	{ 0xC0000095, "EXCEPTION_INT_OVERFLOW", "integer overflow" },
	{ 0xC0000096, "EXCEPTION_PRIV_INSTRUCTION", "privileged instruction" },
	{ 0xC000009A, "STATUS_INSUFFICIENT_RESOURCES", "insufficient system resources" },
	{ 0xC000010A, "STATUS_PROCESS_IS_TERMINATING", "the process is terminating" },
	{ 0xC000012D, "STATUS_COMMITMENT_LIMIT", "the commit limit (page file) was reached" },
	{ 0xC0000135, "STATUS_DLL_NOT_FOUND", "a required DLL was not found" },
	{ 0xC0000138, "STATUS_ORDINAL_NOT_FOUND", "an imported ordinal was not found in a DLL" },
	{ 0xC0000139, "STATUS_ENTRYPOINT_NOT_FOUND", "an imported function was not found in a DLL" },
	{ 0xC000013A, "STATUS_CONTROL_C_EXIT", "terminated by Ctrl-C" },
	{ 0xC0000142, "STATUS_DLL_INIT_FAILED", "a DLL failed to initialize" },
	{ 0xC0000194, "EXCEPTION_POSSIBLE_DEADLOCK", "possible deadlock (critical section wait timed out)" },
	{ 0xC00001A5, "STATUS_INVALID_EXCEPTION_HANDLER", "invalid exception handler (SafeSEH)" },
	{ 0xC00000FD, "EXCEPTION_STACK_OVERFLOW", "stack overflow" },
	{ 0xC00000FF, "STATUS_BAD_FUNCTION_TABLE", "a bad function table was found during unwind" },
	{ 0xC0000228, "STATUS_STACK_OVERFLOW_READ", "stack overflow while reading" },
	{ 0xC00002B4, "STATUS_FLOAT_MULTIPLE_FAULTS", "multiple floating-point faults" },
	{ 0xC00002B5, "STATUS_FLOAT_MULTIPLE_TRAPS", "multiple floating-point traps" },
	{ 0xC00002C5, "STATUS_DATATYPE_MISALIGNMENT_ERROR", "misaligned data access" },
	{ 0xC00002C9, "STATUS_REG_NAT_CONSUMPTION", "register NaT consumption (Itanium)" },
	{ 0xC0000374, "STATUS_HEAP_CORRUPTION", "heap corruption detected by the Windows heap" },
	{ 0xC0000409, "STATUS_STACK_BUFFER_OVERRUN", "fail-fast: the program terminated itself on a security check (stack buffer overrun or another __fastfail)" },
	{ 0xC0000417, "STATUS_INVALID_CRUNTIME_PARAMETER", "an invalid parameter was passed to a C runtime function" },
	{ 0xC000041D, "STATUS_FATAL_USER_CALLBACK_EXCEPTION", "an unhandled exception in a user-mode callback from the kernel" },
	{ 0xC0000420, "STATUS_ASSERTION_FAILURE", "assertion failure" },
	{ 0xC0000423, "STATUS_CALLBACK_POP_STACK", "stack mismatch returning from a user-mode callback" },
	{ 0xC00004A2, "STATUS_ENCLAVE_VIOLATION", "enclave access violation" },
	{ 0xC0000602, "STATUS_FAIL_FAST_EXCEPTION", "fail-fast exception (RaiseFailFastException)" },
	{ 0xC000070A, "STATUS_THREADPOOL_HANDLE_EXCEPTION", "a thread-pool callback left a handle in a bad state" },
	{ 0xC015000F, "STATUS_SXS_EARLY_DEACTIVATION", "an activation context was deactivated out of order" },
	{ 0xC0150010, "STATUS_SXS_INVALID_DEACTIVATION", "an activation context that is not active was deactivated" },
	{ 0xC06D007E, "VCPP_EXCEPTION_MODULE_NOT_FOUND", "delay-load: a DLL was not found" },
	{ 0xC06D007F, "VCPP_EXCEPTION_PROC_NOT_FOUND", "delay-load: a function was not found in a DLL" },
	{ 0xE0434352, "CLR_EXCEPTION", "unhandled .NET (CLR) exception" },
	{ 0xE0434F4D, "CLR_EXCEPTION_COMPLUS", "unhandled .NET exception (CLR 1.x-3.5)" },
	{ 0xE06D7363, "CPP_EH_EXCEPTION", "unhandled C++ exception (MSVC throw)" },
};

/* FAST_FAIL_* codes of __fastfail (winnt.h). */
static const struct ntstatus_info fast_fail[] = {
	{ 0, "FAST_FAIL_LEGACY_GS_VIOLATION", "stack cookie check failed (legacy /GS)" },
	{ 1, "FAST_FAIL_VTGUARD_CHECK_FAILURE", "virtual table guard check failed" },
	{ 2, "FAST_FAIL_STACK_COOKIE_CHECK_FAILURE", "stack cookie check failed: a stack buffer overrun" },
	{ 3, "FAST_FAIL_CORRUPT_LIST_ENTRY", "a corrupted doubly linked list entry" },
	{ 4, "FAST_FAIL_INCORRECT_STACK", "incorrect stack" },
	{ 5, "FAST_FAIL_INVALID_ARG", "an invalid argument to a C runtime function" },
	{ 6, "FAST_FAIL_GS_COOKIE_INIT", "the stack cookie was not initialized" },
	{ 7, "FAST_FAIL_FATAL_APP_EXIT", "the application requested a fatal exit (abort)" },
	{ 8, "FAST_FAIL_RANGE_CHECK_FAILURE", "range check failed" },
	{ 9, "FAST_FAIL_UNSAFE_REGISTRY_ACCESS", "unsafe registry access" },
	{ 10, "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE", "Control Flow Guard: invalid indirect call target" },
	{ 11, "FAST_FAIL_GUARD_WRITE_CHECK_FAILURE", "Control Flow Guard: invalid write" },
	{ 12, "FAST_FAIL_INVALID_FIBER_SWITCH", "invalid fiber switch" },
	{ 13, "FAST_FAIL_INVALID_SET_OF_CONTEXT", "invalid thread context set (stack pointer outside the stack)" },
	{ 14, "FAST_FAIL_INVALID_REFERENCE_COUNT", "invalid reference count" },
	{ 18, "FAST_FAIL_INVALID_JUMP_BUFFER", "invalid longjmp buffer" },
	{ 19, "FAST_FAIL_MRDATA_MODIFIED", "mutable read-only data was modified" },
	{ 20, "FAST_FAIL_CERTIFICATION_FAILURE", "certification failure" },
	{ 21, "FAST_FAIL_INVALID_EXCEPTION_CHAIN", "invalid exception handler chain" },
	{ 22, "FAST_FAIL_CRYPTO_LIBRARY", "cryptographic library failure" },
	{ 23, "FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT", "invalid call in a DLL callout" },
	{ 24, "FAST_FAIL_INVALID_IMAGE_BASE", "invalid image base" },
	{ 25, "FAST_FAIL_DLOAD_PROTECTION_FAILURE", "delay-load protection failure" },
	{ 26, "FAST_FAIL_UNSAFE_EXTENSION_CALL", "unsafe extension call" },
	{ 27, "FAST_FAIL_DEPRECATED_SERVICE_INVOKED", "a deprecated service was invoked" },
	{ 28, "FAST_FAIL_INVALID_BUFFER_ACCESS", "invalid buffer access" },
	{ 29, "FAST_FAIL_INVALID_BALANCED_TREE", "corrupted balanced tree" },
	{ 30, "FAST_FAIL_INVALID_NEXT_THREAD", "invalid next thread" },
	{ 31, "FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED", "Control Flow Guard: suppressed call target" },
	{ 32, "FAST_FAIL_APCS_DISABLED", "APCs disabled" },
	{ 33, "FAST_FAIL_INVALID_IDLE_STATE", "invalid idle state" },
	{ 34, "FAST_FAIL_MRDATA_PROTECTION_FAILURE", "mutable read-only data protection failure" },
	{ 35, "FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION", "unexpected heap exception" },
	{ 36, "FAST_FAIL_INVALID_LOCK_STATE", "invalid lock state" },
	{ 37, "FAST_FAIL_GUARD_JUMPTABLE", "Control Flow Guard: invalid jump table target" },
	{ 38, "FAST_FAIL_INVALID_LONGJUMP_TARGET", "invalid longjmp target" },
	{ 39, "FAST_FAIL_INVALID_DISPATCH_CONTEXT", "invalid exception dispatch context" },
	{ 40, "FAST_FAIL_INVALID_THREAD", "invalid thread" },
	{ 41, "FAST_FAIL_INVALID_SYSCALL_NUMBER", "invalid system call number" },
	{ 42, "FAST_FAIL_INVALID_FILE_OPERATION", "invalid file operation" },
	{ 43, "FAST_FAIL_LPAC_ACCESS_DENIED", "access denied in a less-privileged app container" },
	{ 44, "FAST_FAIL_GUARD_SS_FAILURE", "shadow stack (CET) violation: corrupted return address" },
	{ 45, "FAST_FAIL_LOADER_CONTINUITY_FAILURE", "loader continuity failure" },
	{ 46, "FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE", "Control Flow Guard: suppressed export" },
	{ 47, "FAST_FAIL_INVALID_CONTROL_STACK", "invalid control stack" },
	{ 48, "FAST_FAIL_SET_CONTEXT_DENIED", "setting the thread context was denied" },
	{ 49, "FAST_FAIL_INVALID_IAT", "invalid import address table" },
	{ 50, "FAST_FAIL_HEAP_METADATA_CORRUPTION", "heap metadata corruption" },
	{ 51, "FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION", "payload restriction violation" },
	{ 52, "FAST_FAIL_LOW_LABEL_ACCESS_DENIED", "low integrity label access denied" },
	{ 53, "FAST_FAIL_ENCLAVE_CALL_FAILURE", "enclave call failure" },
	{ 54, "FAST_FAIL_UNHANDLED_LSS_EXCEPTON", "unhandled exception in a secure kernel call" },
	{ 55, "FAST_FAIL_ADMINLESS_ACCESS_DENIED", "adminless access denied" },
	{ 56, "FAST_FAIL_UNEXPECTED_CALL", "unexpected call" },
	{ 57, "FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS", "invalid return address" },
	{ 58, "FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR", "unexpected host behaviour" },
	{ 59, "FAST_FAIL_FLAGS_CORRUPTION", "flags corruption" },
	{ 60, "FAST_FAIL_VEH_CORRUPTION", "vectored exception handler list corruption" },
	{ 61, "FAST_FAIL_ETW_CORRUPTION", "event tracing corruption" },
	{ 62, "FAST_FAIL_RIO_ABORT", "registered I/O abort" },
	{ 63, "FAST_FAIL_INVALID_PFN", "invalid page frame number" },
	{ 64, "FAST_FAIL_GUARD_ICALL_CHECK_FAILURE_XFG", "eXtended Flow Guard: invalid indirect call target" },
	{ 65, "FAST_FAIL_CAST_GUARD", "cast guard violation" },
	{ 66, "FAST_FAIL_HOST_VISIBILITY_CHANGE", "host visibility change" },
	{ 67, "FAST_FAIL_KERNEL_CET_SHADOW_STACK_ASSIST", "kernel shadow stack assist" },
	{ 68, "FAST_FAIL_PATCH_CALLBACK_FAILED", "hot-patch callback failed" },
	{ 69, "FAST_FAIL_NTDLL_PATCH_FAILED", "ntdll hot-patch failed" },
	{ 70, "FAST_FAIL_INVALID_FLS_DATA", "invalid fiber-local storage data" },
	{ 0xFFFFFFFF, "FAST_FAIL_INVALID_FAST_FAIL_CODE", "invalid fail-fast code" },
};

/*
 * The access-type variants of the codes whose params[0] says what the
 * faulting instruction did (the names Breakpad gives them).
 */
struct access_name {
	uint32_t code;
	uint64_t access;	/* params[0] */
	const char *name;
	const char *verb;	/* "read", "write", "execute" */
};

static const struct access_name access_names[] = {
	{ 0xC0000005, 0, "EXCEPTION_ACCESS_VIOLATION_READ", "read" },
	{ 0xC0000005, 1, "EXCEPTION_ACCESS_VIOLATION_WRITE", "write" },
	{ 0xC0000005, 8, "EXCEPTION_ACCESS_VIOLATION_EXEC", "execute" },
	{ 0xC0000006, 0, "EXCEPTION_IN_PAGE_ERROR_READ", "read" },
	{ 0xC0000006, 1, "EXCEPTION_IN_PAGE_ERROR_WRITE", "write" },
	{ 0xC0000006, 8, "EXCEPTION_IN_PAGE_ERROR_EXEC", "execute" },
};

static const struct ntstatus_info *find(const struct ntstatus_info *t,
					size_t n, uint64_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

/* Name and meaning of exception code CODE; both NULL when unknown. */
void cr_ntstatus_describe(uint32_t code, const char **name, const char **text)
{
	const struct ntstatus_info *s = find(ntstatus, ARRAY_LEN(ntstatus), code);

	*name = s ? s->name : NULL;
	*text = s ? s->text : NULL;
}

/* Name and meaning of __fastfail code CODE; both NULL when unknown. */
void cr_fast_fail_describe(uint64_t code, const char **name,
			   const char **text)
{
	const struct ntstatus_info *s =
		find(fast_fail, ARRAY_LEN(fast_fail), code);

	*name = s ? s->name : NULL;
	*text = s ? s->text : NULL;
}

/*
 * For an access violation or in-page error, the name with the access
 * ("EXCEPTION_ACCESS_VIOLATION_WRITE") and the verb ("write") for
 * params[0] == ACCESS.  Returns false (outputs NULL) for other codes or an
 * access value not in the table.
 */
bool cr_exception_access(uint32_t code, uint64_t access, const char **name,
			 const char **verb)
{
	for (size_t i = 0; i < ARRAY_LEN(access_names); i++) {
		if (access_names[i].code == code &&
		    access_names[i].access == access) {
			*name = access_names[i].name;
			*verb = access_names[i].verb;
			return true;
		}
	}
	*name = NULL;
	*verb = NULL;
	return false;
}
