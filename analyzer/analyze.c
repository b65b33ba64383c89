/*
 * analyze.c - the pipeline: dump model in, analysis out.
 *
 *   1. symtab: one libdwfl session over the dump's modules (symbolize.c)
 *   2. stacks: every thread unwound, symbolized, folded (unwind.c, fold.c)
 *   3. passes: crash, thread states (crash.c, state.c)
 *   4. focus thread and thread groups (fold.c)
 *   5. the summary paragraph and crash signature (summary.c)
 *
 * Each step adds to the analysis; a damaged dump yields problems, not
 * errors.  Only running out of memory stops the pipeline.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "symtab.h"
#include "util.h"

#define CR_MAX_ANALYSIS_PROBLEMS 1000

struct analysis_priv {
	struct cr_symtab *st;
};

const char *cr_trust_name(enum cr_trust t)
{
	static const char *const names[] = {
		[CR_TRUST_CONTEXT] = "context", [CR_TRUST_CFI] = "cfi",
		[CR_TRUST_FP] = "frame-pointer", [CR_TRUST_SCAN] = "scan",
		[CR_TRUST_INLINE] = "inline",
	};
	return (unsigned)t < ARRAY_LEN(names) ? names[t] : "unknown";
}

void cr_analysis_problem(struct cr_analysis *a, const char *fmt, ...)
{
	if (a->nproblems >= CR_MAX_ANALYSIS_PROBLEMS)
		return;
	char **n = realloc(a->problems, (a->nproblems + 1) * sizeof(*n));
	if (!n)
		return;
	a->problems = n;
	va_list ap;
	va_start(ap, fmt);
	char *s = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (s)
		a->problems[a->nproblems++] = s;
}

bool cr_analysis_symbol(const struct cr_analysis *a, const char *module,
			const char *name, uint64_t *addr)
{
	struct analysis_priv *p = a->priv;
	return p && p->st && cr_symtab_find_symbol(p->st, module, name, addr);
}

/* The crashed thread, else the one the event names, else the first. */
static ssize_t choose_focus(const struct cr_analysis *a)
{
	if (a->crash.thread >= 0)
		return a->crash.thread;
	const struct cr_dump *d = a->dump;
	for (size_t i = 0; d->event.tid >= 0 && i < d->nthreads; i++)
		if (d->threads[i].tid == d->event.tid)
			return (ssize_t)i;
	return d->nthreads ? 0 : -1;
}

struct cr_error *cr_analyze(const struct cr_dump *d,
			    const struct cr_options *opts,
			    struct cr_analysis **out)
{
	static const struct cr_options no_opts;
	struct cr_error *err = NULL;
	*out = NULL;
	if (!opts)
		opts = &no_opts;
	struct cr_analysis *a = calloc(1, sizeof(*a));
	struct analysis_priv *p = calloc(1, sizeof(*p));
	if (!a || !p) {
		free(a);
		free(p);
		return &cr_enomem;
	}
	a->dump = d;
	a->priv = p;
	a->crash.thread = -1;
	a->focus_thread = -1;
	a->nthreads = d->nthreads;
	a->threads = calloc(d->nthreads ? d->nthreads : 1, sizeof(*a->threads));
	a->nmodules = d->nmodules;
	a->modules = calloc(d->nmodules ? d->nmodules : 1, sizeof(*a->modules));
	if (!a->threads || !a->modules) {
		err = &cr_enomem;
		goto fail;
	}
	for (size_t i = 0; i < d->nthreads; i++)
		a->threads[i].thread = &d->threads[i];

	if ((err = cr_symtab_new(d, opts, &p->st)))
		goto fail;
	if (cr_symtab_unreported(p->st))
		cr_analysis_problem(a, "%zu of %zu modules not symbolized: more than %d (CR_MAX_DWFL_MODULES)",
				    cr_symtab_unreported(p->st), d->nmodules,
				    CR_MAX_DWFL_MODULES);
	/* Module facts first: the walk may add what symbol files it used. */
	for (size_t i = 0; i < d->nmodules; i++)
		cr_symtab_module_info(p->st, i, &a->modules[i]);
	if ((err = cr_unwind_all(a, p->st, opts)))
		goto fail;
	if ((err = pass_crash(a)) || (err = pass_state(a)))
		goto fail;
	a->focus_thread = choose_focus(a);
	if ((err = cr_group_threads(a)) || (err = pass_summary(a)))
		goto fail;
	*out = a;
	return NULL;
fail:
	cr_analysis_free(a);
	return err;
}

void cr_stack_free(struct cr_stack *s)
{
	free(s->frames);
	for (size_t i = 0; i < s->nfolds; i++)
		free(s->folds[i].cycle);
	free(s->folds);
	free(s->end_reason);
}

void cr_analysis_free(struct cr_analysis *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->threads && i < a->nthreads; i++) {
		cr_stack_free(&a->threads[i].stack);
		free(a->threads[i].state);
	}
	free(a->threads);
	for (size_t g = 0; a->groups && g < a->ngroups; g++)
		free(a->groups[g].members);
	free(a->groups);
	for (size_t i = 0; a->modules && i < a->nmodules; i++) {
		free(a->modules[i].file);
		free(a->modules[i].debug_file);
	}
	free(a->modules);
	for (size_t i = 0; i < a->nproblems; i++)
		free(a->problems[i]);
	free(a->problems);
	free(a->crash.address_text);
	free(a->crash.sender);
	free(a->crash.abort_message);
	free(a->crash.signature);
	free(a->summary);
	cr_findings_free(&a->findings);
	struct analysis_priv *p = a->priv;
	if (p) {
		cr_symtab_free(p->st);
		free(p);
	}
	free(a);
}
