/*
 * culprit.c - which frame of a stack to blame.
 *
 * The crash finding, the summary and the signature name one frame as
 * "where": the first frame of the crashing thread that is not machinery
 * (abort/raise/assert helpers, signal trampolines, exception throwers,
 * thread start-up: skip_functions) and not inside the C/C++ runtime or a
 * system library (skip_modules: strlen crashing on a null argument is the
 * caller's bug).  If every frame is skipped, the first frame that is not
 * machinery, else frame 0.
 */
#include <string.h>
#include <strings.h>

#include "passes.h"
#include "util.h"

/* Frames that are never the culprit. */
static const char *const skip_functions[] = {
	"abort", "raise", "gsignal", "__pthread_kill_implementation",
	"__pthread_kill_internal", "__pthread_kill", "pthread_kill",
	"__restore_rt", "__kernel_rt_sigreturn", "_sigtramp",
	/* the vdso's system call entry (i386 enters the kernel through it) */
	"__kernel_vsyscall", "__kernel_sigreturn",
	"__assert_fail", "__assert_fail_base", "__assert_perror_fail",
	"__libc_message", "__libc_fatal", "malloc_printerr",
	"__fortify_fail", "__chk_fail", "__stack_chk_fail",
	"std::terminate", "__cxxabiv1::__terminate",
	"__gnu_cxx::__verbose_terminate_handler", "__cxa_throw",
	"__cxa_rethrow", "_Unwind_RaiseException", "_Unwind_Resume",
	"_Unwind_RaiseException_Phase2", "_Unwind_ForcedUnwind",
	"_Unwind_Resume_or_Rethrow", "__cxa_call_terminate",
	"__cxa_call_unexpected", "std::__terminate", "__cxxabiv1::__unexpected",
	"__gxx_personality_v0", "std::rethrow_exception",
	"_CxxFrameHandler3", "__CxxFrameHandler3", "__CxxFrameHandler4",
	"RtlDispatchException", "RtlpExecuteHandlerForException",
	"__C_specific_handler", "_CallSettingFrame", "__FrameHandler3::CxxCallCatchBlock",
	"RaiseException", "RaiseFailFastException", "_CxxThrowException",
	"__report_gsfailure", "_invoke_watson", "_invalid_parameter",
	"__fastfail", "KiUserExceptionDispatcher", "RtlRaiseException",
	"_assert", "_wassert",
	/* process and thread start-up: never the culprit, nor a caller worth naming */
	"_start", "__libc_start_main", "__libc_start_call_main", "start_thread",
	"__clone", "__clone3", "clone", "clone3", "thread_start",
	"BaseThreadInitThunk", "RtlUserThreadStart", "mainCRTStartup",
	"wmainCRTStartup", "WinMainCRTStartup", "__scrt_common_main_seh",
	"invoke_main",
};

/* Modules (file name prefixes, any case) whose frames are library code. */
static const char *const skip_modules[] = {
	"libc.so", "libc-", "libpthread", "ld-linux", "ld64.so", "linux-vdso",
	"linux-gate", "[vdso]",
	"libstdc++", "libc++", "libgcc_s", "libsystem_", "libSystem",
	"ntdll.dll", "kernelbase.dll", "kernel32.dll", "ucrtbase.dll",
	"msvcrt.dll", "vcruntime", "msvcp",
};

static bool is_skip_function(const char *fn)
{
	for (size_t i = 0; i < ARRAY_LEN(skip_functions); i++)
		if (cr_function_is(fn, skip_functions[i]))
			return true;
	return false;
}

static bool is_skip_module(const char *module)
{
	if (!module)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(skip_modules); i++)
		if (!strncasecmp(module, skip_modules[i], strlen(skip_modules[i])))
			return true;
	return false;
}

/* See passes.h. */
ssize_t cr_next_meaningful_frame(const struct cr_stack *s, size_t from)
{
	for (size_t i = from; i < s->nframes; i++) {
		const struct cr_frame *f = &s->frames[i];
		if (is_skip_function(f->function) || is_skip_module(f->module))
			continue;
		return (ssize_t)i;
	}
	return -1;
}

/* The frame the crash finding, the summary and the signature name as
 * "where" (passes.h). */
ssize_t cr_culprit_frame(const struct cr_stack *s)
{
	ssize_t i = cr_next_meaningful_frame(s, 0);
	if (i >= 0)
		return i;
	for (size_t k = 0; k < s->nframes; k++)
		if (!is_skip_function(s->frames[k].function))
			return (ssize_t)k;
	return s->nframes ? 0 : -1;
}
