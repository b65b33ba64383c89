/*
 * registry.c - the passes, in the order they run.
 *
 * A pass is one line here: its name, its run function (defined with
 * CR_PASS_RUN in passes/NAME.c), what it is for, the facts it needs (enum
 * cr_pass_fact; every pass may assume the stacks) and the facts it adds.
 * The pipeline (pass.c) runs them in this order and skips, with a problem
 * line, a pass whose needs an earlier pass did not add; a unit test checks
 * that the order satisfies every pass.
 */
#include "pass.h"

#define CR_PASS_TABLE(X)						\
	X("crash", run_crash,						\
	  "the signal or exception, its class, address and thread",	\
	  CR_FACT_STACKS, CR_FACT_CRASH)				\
	X("state", run_state, "what every thread was doing",		\
	  CR_FACT_STACKS | CR_FACT_CRASH, CR_FACT_STATES)		\
	X("locks", run_locks,						\
	  "the wait-for graph: who waits for which lock, who owns it",	\
	  CR_FACT_STACKS | CR_FACT_STATES, CR_FACT_LOCKS)		\
	X("hang", run_hang,						\
	  "waits nobody owns (condition variables, semaphores, runtime "	\
	  "locks), idle waits, the probable hang",			\
	  CR_FACT_STATES, CR_FACT_HANG)					\
	X("cpu", run_cpu,						\
	  "CPU time per thread: the spinner and the threads on a CPU",	\
	  CR_FACT_STACKS | CR_FACT_STATES, CR_FACT_CPU)			\
	X("heap", run_heap,						\
	  "the allocator and its heap walked: every chunk, its state, "	\
	  "the corruptions", 0, CR_FACT_HEAP)				\
	/* after "heap": the heap kind is the walked heap's ranges */	\
	X("address-space", run_address_space,				\
	  "the address space by kind (image, heap, stack, mapped file, "	\
	  "private) and protection, the largest regions",		\
	  CR_FACT_STACKS, CR_FACT_ADDRESS_SPACE)			\
	X("leaks", run_leaks,						\
	  "the heap allocations nothing points to: a conservative mark "	\
	  "from the registers, stacks and writable memory",		\
	  CR_FACT_HEAP, CR_FACT_LEAKS)					\
	/* reads what "leaks" kept when it ran (--skip-pass leaks: no	\
	 * leaked counts), so it comes after it without needing it */	\
	X("heapstats", run_heapstats,					\
	  "the heap by size class, what the top classes hold, high memory", \
	  CR_FACT_HEAP | CR_FACT_ADDRESS_SPACE, CR_FACT_HEAP_STATS)	\
	X("group", run_group,						\
	  "the focus thread and threads grouped by stack",		\
	  CR_FACT_STACKS | CR_FACT_CRASH | CR_FACT_STATES, CR_FACT_GROUPS) \
	X("instruction", run_instruction,				\
	  "the faulting instruction decoded: its access, divisor, trap",	\
	  CR_FACT_STACKS | CR_FACT_CRASH, CR_FACT_INSTRUCTION)		\
	X("exploitability", run_exploitability,				\
	  "a security triage rating of the crash",			\
	  CR_FACT_CRASH | CR_FACT_INSTRUCTION, CR_FACT_RATING)		\
	X("signature", run_signature,					\
	  "the signature: a short key to group dumps by",		\
	  CR_FACT_CRASH | CR_FACT_GROUPS, CR_FACT_SIGNATURE)		\
	X("summary", run_summary,					\
	  "the paragraph at the top, from the top findings",		\
	  CR_FACT_CRASH | CR_FACT_STATES | CR_FACT_GROUPS, CR_FACT_SUMMARY)

#define CR_PASS_DECLARE(name, fn, what, needs, adds)			\
	struct cr_error *fn(struct cr_pass_ctx *ctx);
CR_PASS_TABLE(CR_PASS_DECLARE)

#define CR_PASS_ENTRY(name, fn, what, needs, adds)			\
	{ name, what, needs, adds, fn },
const struct cr_pass cr_passes[] = { CR_PASS_TABLE(CR_PASS_ENTRY) };
const size_t cr_npasses = sizeof(cr_passes) / sizeof(cr_passes[0]);

/* Passes that start work before the stacks are unwound (pass.h). */
#define CR_PASS_WARM_TABLE(X)						\
	X("instruction", warm_instruction, load_instruction) /* Zydis, Capstone */

#define CR_WARM_DECLARE(name, warm, load)				\
	void warm(const struct cr_dump *d); void load(void);
CR_PASS_WARM_TABLE(CR_WARM_DECLARE)
#define CR_WARM_ENTRY(name, warm, load) { name, warm, load },
const struct cr_pass_warmer cr_pass_warmers[] = { CR_PASS_WARM_TABLE(CR_WARM_ENTRY) };
const size_t cr_npass_warmers = sizeof(cr_pass_warmers) / sizeof(cr_pass_warmers[0]);
