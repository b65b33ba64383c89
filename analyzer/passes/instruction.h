/*
 * instruction.h - what the instruction pass (instruction.c) found out about
 * the faulting instruction, as data for the passes after it.
 *
 * The instruction pass adds findings for people; the exploitability pass
 * needs the same facts as values (was it a write, through which address,
 * is the pc in code), so the instruction pass also keeps them
 * (cr_pass_keep; read with cr_pass_kept(a, "instruction"), NULL when there
 * was no crash to look at).  Plain data, no pointers: the analysis frees it
 * with free().
 */
#ifndef CR_INSTRUCTION_H
#define CR_INSTRUCTION_H

#include <stdbool.h>
#include <stdint.h>

/* How the faulting instruction touched memory. */
enum cr_insn_access {
	CR_ACCESS_UNKNOWN = 0,	/* not decoded, or no memory operand */
	CR_ACCESS_READ,
	CR_ACCESS_WRITE,
	CR_ACCESS_EXECUTE,	/* the pc itself was the bad address */
};

/* Where the pc lies. */
enum cr_pc_place {
	CR_PC_CODE = 0,		/* executable memory of a module (or regions
				 * unknown and inside a module) */
	CR_PC_UNMAPPED,		/* in no region (and no module) */
	CR_PC_NOT_EXECUTABLE,	/* in a region without execute permission */
	CR_PC_OUTSIDE_MODULES,	/* executable, but in no module (JIT code,
				 * or a jump into injected code) */
};

struct cr_insn_facts {
	uint64_t pc;
	enum cr_pc_place pc_place;
	bool pc_on_stack;	/* the pc is in the crashing thread's stack */
	bool pc_in_heap;	/* the pc is in the [heap] region */
	bool decoded;		/* the bytes at the pc decoded */
	bool undecodable;	/* the bytes are in the dump but decode to no
				 * instruction */
	char text[200];		/* "mov dword ptr [rax], 5" */
	unsigned size;		/* instruction length in bytes */
	bool control_flow;	/* call, jump or return */
	bool block;		/* a string/block instruction (rep movs) */
	bool trap;		/* an intentional trap (ud2, brk, udf, int3) */
	enum cr_insn_access access;
	unsigned access_size;	/* bytes, 0 unknown */
	bool address_known;	/* the effective address was computed */
	uint64_t address;	/* the effective address of the access */
	bool non_canonical;	/* x86_64: ADDRESS is not canonical */
	bool divide;		/* a division: divisor facts below */
	bool divisor_known;
	bool divisor_zero;
	bool division_overflow;	/* INT_MIN / -1, or a quotient too wide */
};

struct cr_analysis;
struct cr_dump;

/* Did the crash fault on a memory access (SIGSEGV, SIGBUS, an access
 * violation, EXC_BAD_ACCESS, a stack overflow)?  Only then do the access
 * facts above mean anything: a trap or a division decodes an instruction
 * whose operand touched nothing wrong. */
bool cr_insn_memory_fault(const struct cr_analysis *a, const struct cr_dump *d);

#endif
