/*
 * mach.h - Mach exceptions of macOS and iOS minidumps (mach.c): the
 * exception types and codes the crash pass classifies, and their names.
 */
#ifndef CR_MACH_H
#define CR_MACH_H

#include <stdbool.h>
#include <stdint.h>

#include "dump.h"

/* Exception types (mach/exception_types.h). */
enum {
	CR_EXC_BAD_ACCESS = 1,
	CR_EXC_BAD_INSTRUCTION = 2,
	CR_EXC_ARITHMETIC = 3,
	CR_EXC_EMULATION = 4,
	CR_EXC_SOFTWARE = 5,
	CR_EXC_BREAKPOINT = 6,
	CR_EXC_SYSCALL = 7,
	CR_EXC_MACH_SYSCALL = 8,
	CR_EXC_RPC_ALERT = 9,
	CR_EXC_CRASH = 10,
	CR_EXC_RESOURCE = 11,
	CR_EXC_GUARD = 12,
	CR_EXC_SIMULATED = 0x43507378,	/* 'CPsx': Crashpad SimulateCrash */
};

/* Codes the classification names (kern_return.h, EXC_SOFTWARE codes). */
enum {
	CR_KERN_INVALID_ADDRESS = 1,
	CR_KERN_PROTECTION_FAILURE = 2,
	CR_EXC_SOFT_ABORT = 0x10002,		/* EXC_UNIX_ABORT */
	CR_EXC_SOFT_NSEXCEPTION = 0xDEADC0DE,	/* Breakpad: uncaught NSException */
	CR_EXC_I386_GPFLT = 13,
};

/*
 * Whether D's event is a Mach exception: an exception record of a macOS
 * minidump, or of an iOS one (the reader gives iOS os "other" and an
 * os_version starting "iOS").
 */
bool cr_dump_is_mach(const struct cr_dump *d);

/* Name and meaning of exception type EXCEPTION ("EXC_BAD_ACCESS", "bad
 * memory access"); both NULL when unknown. */
void cr_mach_exception_describe(uint32_t exception, const char **name,
				const char **text);
/* Name and meaning of code[0] CODE of EXCEPTION on ARCH
 * ("KERN_INVALID_ADDRESS"); both NULL when unknown.  EXC_RESOURCE and
 * EXC_GUARD are named by the type in the code's top bits. */
void cr_mach_code_describe(uint32_t exception, enum cr_arch arch,
			   uint64_t code, const char **name, const char **text);
/*
 * code[0] of EV's exception: the full 64 bits when Crashpad recorded them
 * in the parameters (returns true), else the 32 bits of ExceptionFlags
 * (returns false).
 */
bool cr_mach_event_code(const struct cr_event *ev, uint64_t *code);
/*
 * Whether EV is (or Crashpad unwrapped it from) EXC_CRASH; then the
 * exception that caused it (*EXCEPTION, 0 when the process just died of a
 * signal), its code (*CODE, low 20 bits) and the signal (*SIGNO, Darwin
 * numbering).
 */
bool cr_mach_exc_crash(const struct cr_event *ev, uint32_t *exception,
		       uint32_t *code, int *signo);
/* Darwin signal name ("SIGBUS" is 10 there), NULL unknown. */
const char *cr_darwin_signal_name(int signo);

#endif
