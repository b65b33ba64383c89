/*
 * registry.c - the passes, in the order they run.
 *
 * A pass is one line here: its name, what it is for, the facts it needs
 * (enum cr_pass_fact; every pass may assume the stacks) and the facts it
 * adds.  The pipeline (pass.c) runs them in this order and skips, with a
 * problem line, a pass whose needs an earlier pass did not add; a unit test
 * checks that the order satisfies every pass.
 */
#include "pass.h"
#include "passes.h"

const struct cr_pass cr_passes[] = {
	{ "crash", "the signal or exception, its class, address and thread",
	  CR_FACT_STACKS, CR_FACT_CRASH, run_crash },
	{ "state", "what every thread was doing",
	  CR_FACT_STACKS | CR_FACT_CRASH, CR_FACT_STATES, run_state },
	{ "group", "the focus thread and threads grouped by stack",
	  CR_FACT_STACKS | CR_FACT_CRASH, CR_FACT_GROUPS, run_group },
	{ "instruction", "the faulting instruction decoded: its access, divisor, trap",
	  CR_FACT_STACKS | CR_FACT_CRASH, CR_FACT_INSTRUCTION, run_instruction },
	{ "exploitability", "a security triage rating of the crash",
	  CR_FACT_CRASH | CR_FACT_INSTRUCTION, CR_FACT_RATING,
	  run_exploitability },
	{ "signature", "the crash signature, a short key to group crashes by",
	  CR_FACT_CRASH | CR_FACT_GROUPS, CR_FACT_SIGNATURE, run_signature },
	{ "summary", "the paragraph at the top, from the top findings",
	  CR_FACT_CRASH | CR_FACT_STATES | CR_FACT_GROUPS, CR_FACT_SUMMARY,
	  run_summary },
};
const size_t cr_npasses = sizeof(cr_passes) / sizeof(cr_passes[0]);
