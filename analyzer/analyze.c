/*
 * analyze.c - the pipeline: dump model in, analysis out.
 *
 *   1. symtab: one libdwfl session over the dump's modules (symbolize.c)
 *   2. stacks: every thread unwound, symbolized, folded (unwind.c, fold.c)
 *   3. the passes of the registry (registry.c), in its order: crash,
 *      thread states, focus thread and groups, summary and signature ...
 *
 * Each step adds to the analysis; a damaged dump yields problems, not
 * errors.  Only running out of memory stops the pipeline.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "demangle.h"
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
	va_list ap;
	va_start(ap, fmt);
	cr_problems_vadd(&a->problems, CR_MAX_ANALYSIS_PROBLEMS,
			 &(struct cr_diag_at){ .severity = CR_SEVERITY_WARNING,
					       .source = CR_SOURCE_ANALYZER },
			 "analyze", fmt, ap);
	va_end(ap);
}

void cr_analysis_vproblem_at(struct cr_analysis *a,
			     const struct cr_diag_at *at, const char *fmt,
			     va_list ap)
{
	cr_problems_vadd(&a->problems, CR_MAX_ANALYSIS_PROBLEMS, at,
			 cr_diag_source_name(at->source), fmt, ap);
}

void cr_analysis_problem_at(struct cr_analysis *a,
			    const struct cr_diag_at *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cr_analysis_vproblem_at(a, at, fmt, ap);
	va_end(ap);
}

void cr_analysis_oom(struct cr_analysis *a, enum cr_diag_source source,
		     const char *origin, const char *lost)
{
	cr_problems_oom(&a->problems, source,
			origin ? origin : cr_diag_source_name(source), lost);
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

	/* Libraries a pass will need load on another core meanwhile. */
	cr_warm_passes(d, opts);
	cr_demangle_prefetch(d);
	if ((err = cr_symtab_new(d, opts, &p->st)))
		goto fail;
	if (cr_symtab_unreported(p->st))
		cr_analysis_problem_at(a, &(struct cr_diag_at){
					       .severity = CR_SEVERITY_ERROR,
					       .source = CR_SOURCE_SYMBOLIZER },
				       "%zu of %zu modules not symbolized: more than %d (CR_MAX_DWFL_MODULES)",
				    cr_symtab_unreported(p->st), d->nmodules,
				    CR_MAX_DWFL_MODULES);
	/* Module facts first: the walk may add what symbol files it used. */
	for (size_t i = 0; i < d->nmodules; i++)
		cr_symtab_module_info(p->st, i, &a->modules[i]);
	if ((err = cr_unwind_all(a, p->st, opts)))
		goto fail;
	if ((err = cr_run_passes(a, opts, p->st)))
		goto fail;
	/* Names are looked up by the unwinding and the passes. */
	if (cr_demangle_error())
		cr_analysis_problem_at(a, &(struct cr_diag_at){
					       .severity = CR_SEVERITY_WARNING,
					       .source = CR_SOURCE_SYMBOLIZER },
				       "C++ names are left mangled: %s",
				       cr_demangle_error());
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
	for (size_t i = 0; a->threads && i < a->nthreads; i++)
		cr_stack_free(&a->threads[i].stack);
	free(a->threads);
	for (size_t g = 0; a->groups && g < a->ngroups; g++)
		free(a->groups[g].members);
	free(a->groups);
	for (size_t i = 0; a->modules && i < a->nmodules; i++) {
		free(a->modules[i].file);
		free(a->modules[i].debug_file);
	}
	free(a->modules);
	cr_problems_free(&a->problems);
	free(a->crash.address_text);
	free(a->crash.sender);
	free(a->crash.abort_message);
	free(a->crash.signature);
	for (size_t i = 0; i < a->crash.nsig_frames; i++)
		free(a->crash.sig_frames[i]);
	free(a->crash.sig_frames);
	free(a->crash.code);
	free(a->crash.bucket);
	free(a->summary);
	cr_pass_kept_free(a);
	cr_findings_free(&a->findings);
	struct analysis_priv *p = a->priv;
	if (p) {
		cr_symtab_free(p->st);
		free(p);
	}
	free(a);
}
