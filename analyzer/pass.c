/*
 * pass.c - running the registered passes (pass.h) and the services their
 * context gives them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwarf_layout.h"
#include "error.h"
#include "pass.h"
#include "passes.h"
#include "symtab.h"

void cr_pass_ctx_init(struct cr_pass_ctx *ctx, const struct cr_pass *p,
		      struct cr_analysis *a, const struct cr_options *opts,
		      struct cr_symtab *st)
{
	static const struct cr_options no_opts;
	*ctx = (struct cr_pass_ctx){
		.pass = p, .dump = a->dump, .analysis = a,
		.opts = opts ? opts : &no_opts, .symtab = st,
	};
	cr_target_init(&ctx->target, a->dump);
}

struct cr_finding *cr_pass_finding(struct cr_pass_ctx *ctx,
				   enum cr_finding_id id,
				   enum cr_severity severity,
				   const char *title_fmt, ...)
{
	va_list ap;
	va_start(ap, title_fmt);
	char *title = cr_strdup_vprintf(title_fmt, ap);
	va_end(ap);
	struct cr_findings *fs = &ctx->analysis->findings;
	if (!title) {
		fs->dropped++;
		return NULL;
	}
	struct cr_finding *f = cr_findings_add(fs, id, severity,
					       ctx->pass ? ctx->pass->name : NULL,
					       "%s", title);
	free(title);
	return f;
}

void cr_pass_kept_free(struct cr_analysis *a)
{
	for (size_t i = 0; i < a->nkept; i++) {
		struct cr_pass_data *k = &a->kept[i];
		(k->free_fn ? k->free_fn : free)(k->data);
	}
	free(a->kept);
	a->kept = NULL;
	a->nkept = 0;
}

bool cr_pass_keep(struct cr_pass_ctx *ctx, void *data,
		  void (*free_fn)(void *))
{
	struct cr_analysis *a = ctx->analysis;
	const char *name = ctx->pass ? ctx->pass->name : "";
	for (size_t i = 0; i < a->nkept; i++) {
		struct cr_pass_data *k = &a->kept[i];
		if (strcmp(k->pass, name) == 0) {
			(k->free_fn ? k->free_fn : free)(k->data);
			*k = (struct cr_pass_data){ name, data, free_fn };
			return true;
		}
	}
	struct cr_pass_data *n = realloc(a->kept, (a->nkept + 1) * sizeof(*n));
	if (!n) {
		(free_fn ? free_fn : free)(data);
		return false;
	}
	a->kept = n;
	a->kept[a->nkept++] = (struct cr_pass_data){ name, data, free_fn };
	return true;
}

void *cr_pass_kept(const struct cr_analysis *a, const char *pass)
{
	for (size_t i = 0; i < a->nkept; i++)
		if (strcmp(a->kept[i].pass, pass) == 0)
			return a->kept[i].data;
	return NULL;
}

bool cr_pass_symbol(const struct cr_pass_ctx *ctx, const char *module,
		    const char *name, uint64_t *addr)
{
	for (const struct cr_symbol_override *o = ctx->extra_symbols;
	     o && o->name; o++) {
		if (strcmp(o->name, name) ||
		    (module && o->module &&
		     strncmp(o->module, module, strlen(module))))
			continue;
		*addr = o->addr;
		return true;
	}
	return ctx->symtab &&
	       cr_symtab_find_symbol(ctx->symtab, module, name, addr);
}

bool cr_pass_symbolize(const struct cr_pass_ctx *ctx, uint64_t addr,
		       const char **function, uint64_t *function_offset,
		       const char **module)
{
	const struct cr_symbol_override *best = NULL;
	for (const struct cr_symbol_override *o = ctx->extra_symbols;
	     o && o->name; o++)
		if (o->addr <= addr && addr - o->addr < CR_OVERRIDE_SPAN &&
		    (!best || o->addr > best->addr))
			best = o;
	if (best) {
		*function = best->name;
		*function_offset = addr - best->addr;
		*module = best->module;
		return true;
	}
	if (!ctx->symtab)
		return false;
	const struct cr_sym *s = cr_symtab_lookup_data(ctx->symtab, addr);
	if (!s || (!s->module_name && (!s->nframes || !s->frames[0].function)))
		return false;
	const struct cr_symframe *fr = s->nframes ? &s->frames[0] : NULL;
	*function = fr ? fr->function : NULL;
	*function_offset = fr && fr->offset_known ? fr->offset : 0;
	*module = s->module_name;
	return true;
}

char *cr_pass_name_global(const struct cr_pass_ctx *ctx, uint64_t addr,
			  uint64_t max_off, uint64_t *off)
{
	const char *fn = NULL, *mod = NULL;
	uint64_t o = 0;

	if (!cr_pass_symbolize(ctx, addr, &fn, &o, &mod) || !fn || o >= max_off)
		return NULL;
	if (off)
		*off = o;
	const char *in = mod ? " in " : "", *m = mod ? mod : "";
	return o ? cr_strdup_printf("%s+0x%" PRIx64 "%s%s", fn, o, in, m)
		 : cr_strdup_printf("%s%s%s", fn, in, m);
}

bool cr_pass_layout(const struct cr_pass_ctx *ctx, const char *module,
		    const char *type, struct cr_layout *inout)
{
	return ctx->symtab &&
	       cr_layout_from_dwarf(ctx->symtab, module, type, inout);
}

void cr_pass_problem(struct cr_pass_ctx *ctx, const struct cr_diag_at *at,
		     const char *fmt, ...)
{
	struct cr_diag_at where = *at;
	where.source = CR_SOURCE_PASS;
	where.origin = ctx->pass ? ctx->pass->name : "pass";
	va_list ap;
	va_start(ap, fmt);
	cr_analysis_vproblem_at(ctx->analysis, &where, fmt, ap);
	va_end(ap);
}

/* Names of the facts in FACTS, for the problem line of a skipped pass. */
static void fact_names(unsigned facts, char *buf, size_t size)
{
	static const char *const names[] = {
		"stacks", "crash", "thread states", "thread groups",
		"faulting instruction", "summary", "signature",
		"security rating", "wait-for graph", "CPU times",
		"waits and hang",
	};
	/* One name per bit of enum cr_pass_fact. */
	_Static_assert(sizeof(names) / sizeof(names[0]) ==
		       __builtin_ctz(CR_FACT_HANG) + 1,
		       "a name for every enum cr_pass_fact bit");
	size_t len = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(facts & (1u << i)))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s",
				 len ? ", " : "", names[i]);
		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
}

const struct cr_pass *cr_pass_named(const char *name)
{
	for (size_t i = 0; i < cr_npasses; i++)
		if (!strcmp(cr_passes[i].name, name))
			return &cr_passes[i];
	return NULL;
}

/* Whether the user asked not to run pass P (--skip-pass). */
static bool skipped(const struct cr_options *opts, const struct cr_pass *p)
{
	for (const char *const *n = opts ? opts->skip_passes : NULL; n && *n; n++)
		if (!strcmp(*n, p->name))
			return true;
	return false;
}

void cr_warm_passes(const struct cr_dump *d, const struct cr_options *opts)
{
	for (size_t i = 0; i < cr_npass_warmers; i++) {
		const struct cr_pass *p = cr_pass_named(cr_pass_warmers[i].pass);
		if (p && !skipped(opts, p))
			cr_pass_warmers[i].warm(d);
	}
}

void cr_load_passes(const struct cr_options *opts)
{
	for (size_t i = 0; i < cr_npass_warmers; i++) {
		const struct cr_pass *p = cr_pass_named(cr_pass_warmers[i].pass);
		if (p && !skipped(opts, p))
			cr_pass_warmers[i].load();
	}
}

struct cr_error *cr_run_passes(struct cr_analysis *a,
			       const struct cr_options *opts,
			       struct cr_symtab *st)
{
	unsigned have = CR_FACT_STACKS;
	unsigned skipped_adds = 0;	/* facts only skipped passes add */
	for (size_t i = 0; i < cr_npasses; i++) {
		const struct cr_pass *p = &cr_passes[i];
		unsigned missing = p->needs & ~have;
		/* What the user asked for is information; a registry whose
		 * order leaves a need unmet is a warning. */
		struct cr_diag_at at = {
			.severity = missing & ~skipped_adds ? CR_SEVERITY_WARNING :
				    CR_SEVERITY_INFO,
			.source = CR_SOURCE_PASS, .origin = p->name,
		};
		if (skipped(opts, p)) {
			at.severity = CR_SEVERITY_INFO;
			cr_analysis_problem_at(a, &at, "pass %s not run (--skip-pass)",
					       p->name);
			skipped_adds |= p->adds;
			continue;
		}
		if (missing) {
			char names[160];
			fact_names(missing, names, sizeof(names));
			cr_analysis_problem_at(a, &at, "pass %s not run: it needs %s%s",
					       p->name, names,
					       at.severity == CR_SEVERITY_INFO ?
					       " (from a pass skipped with --skip-pass)" : "");
			skipped_adds |= p->adds;
			continue;
		}
		struct cr_pass_ctx ctx;
		cr_pass_ctx_init(&ctx, p, a, opts, st);
		struct cr_error *err = p->run(&ctx);
		if (err)
			return err;
		have |= p->adds;
	}
	return NULL;
}
