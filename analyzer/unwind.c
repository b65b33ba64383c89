/*
 * unwind.c - every thread's stack, through libdwfl's unwinder driven by our
 * own Dwfl_Thread_Callbacks over the dump model.
 *
 * libdwfl supplies the CFI interpreter (.eh_frame/.debug_frame of the files
 * symtab.c found) and the per-architecture frame-pointer fallback; we supply
 * the threads, their initial registers (DWARF-numbered in the model) and a
 * memory read that binary-searches the model's segments.  The same
 * callbacks serve every container format.
 *
 * The raw unwind yields physical frames (pc, activation); each is then
 * expanded through the symbol cache into logical frames (inlined calls
 * first) and the stack is folded (fold.c).
 */
#include <dwarf.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "symtab.h"
#include "walk.h"

#define CR_DEFAULT_MAX_FRAMES 1000000	/* physical frames per thread */

struct raw_frame {
	uint64_t pc;
	bool activation;
	enum cr_trust trust;	/* used when walker is set */
};

struct unwind_ctx {
	struct cr_analysis *a;
	struct cr_symtab *st;
	const struct cr_dump *d;
	size_t max_frames;
	size_t next_index;	/* next thread for next_thread() */
	size_t cur;		/* thread being unwound */
	size_t full_thread;	/* symbolized with DWARF everywhere (symtab.h) */
	struct raw_frame *raw;
	size_t nraw, capraw;
	uint64_t last_sp, last_pc;
	char *stop;		/* why we stopped it ourselves */
	bool oom;
	bool walker;		/* frames come from walk.c with their trust */
};

/* Registers libdwfl's backends accept per architecture: [0, n). The pc is
 * always handed over separately. */
static unsigned unwind_nregs(enum cr_arch a)
{
	switch (a) {
	case CR_ARCH_X86_64: return 17;
	case CR_ARCH_X86: return 9;
	case CR_ARCH_AARCH64: return 32;
	case CR_ARCH_ARM: return 16;
	case CR_ARCH_PPC:
	case CR_ARCH_PPC64: return 67;	/* r0-r31, LR 65, CTR 66 */
	case CR_ARCH_S390X: return 32;
	default: return 0;
	}
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_ctx *c = arg;
	if (c->next_index >= c->d->nthreads)
		return 0;
	c->cur = c->next_index++;
	*thread_argp = c;
	int64_t tid = c->d->threads[c->cur].tid;
	/* libdwfl wants a positive pid_t; a lying dump may hold anything. */
	return tid > 0 && tid <= 0x7fffffff ? (pid_t)tid : (pid_t)(c->cur + 1);
}

static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result,
			void *arg)
{
	struct unwind_ctx *c = arg;
	uint64_t v;
	if (!cr_dump_read_word(c->d, addr, &v))
		return false;
	*result = v;
	return true;
}

/*
 * The registers a thread's stack starts from: the event's own context for
 * the thread it happened on when the dump records one (a minidump's
 * exception context; the thread list shows that thread later, inside the
 * handler that wrote the dump), else the thread's.
 */
static const struct cr_regs *start_regs(const struct cr_dump *d, size_t i)
{
	const struct cr_thread *t = &d->threads[i];
	if (d->event.regs_known && d->event.tid >= 0 && t->tid == d->event.tid)
		return &d->event.regs;
	return &t->regs;
}

static bool start_pc(const struct cr_dump *d, size_t i, uint64_t *pc)
{
	return cr_regs_get(start_regs(d, i), cr_arch_pc_reg(d->process.arch), pc);
}

static bool set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct unwind_ctx *c = thread_arg;
	const struct cr_regs *regs = start_regs(c->d, c->cur);
	enum cr_arch arch = c->d->process.arch;
	unsigned n = unwind_nregs(arch);
	uint64_t pc;
	if (!start_pc(c->d, c->cur, &pc))
		return false;
	/* Hand over each run of known registers below n. */
	for (unsigned r = 0; r < n;) {
		uint64_t v;
		if (!cr_regs_get(regs, r, &v)) {
			r++;
			continue;
		}
		Dwarf_Word run[CR_MAX_REGS];
		unsigned first = r, k = 0;
		while (r < n && cr_regs_get(regs, r, &v))
			run[k++] = v, r++;
		if (!dwfl_thread_state_registers(thread, (int)first, k, run))
			return false;
	}
	dwfl_thread_state_register_pc(thread, pc);
	return true;
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct unwind_ctx *c = arg;
	Dwarf_Addr pc;
	bool act = false;
	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	Dwarf_Word sp = 0;
	bool have_sp = dwfl_frame_reg(state, cr_arch_sp_reg(c->d->process.arch),
				      &sp) == 0;
	if (c->nraw > 0 && have_sp && sp == c->last_sp && pc == c->last_pc) {
		c->stop = cr_strdup_printf("the frame at pc 0x%llx repeats itself (unwinding loop)",
					   (unsigned long long)pc);
		return DWARF_CB_ABORT;
	}
	if (c->nraw == c->capraw) {
		size_t ncap = c->capraw ? c->capraw * 2 : 256;
		struct raw_frame *n = realloc(c->raw, ncap * sizeof(*n));
		if (!n) {
			c->oom = true;
			return DWARF_CB_ABORT;
		}
		c->raw = n;
		c->capraw = ncap;
	}
	c->raw[c->nraw++] = (struct raw_frame){ pc, act, CR_TRUST_CFI };
	c->last_sp = have_sp ? sp : 0;
	c->last_pc = pc;
	if (c->nraw >= c->max_frames) {
		c->stop = cr_strdup_printf("stopped after %zu frames (the limit; see --max-frames)",
					   c->nraw);
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/* Expand the raw frames of thread C->cur into logical frames. */
static struct cr_error *expand(struct unwind_ctx *c, struct cr_stack *s)
{
	size_t total = 0;
	const struct cr_sym **syms = malloc((c->nraw ? c->nraw : 1) * sizeof(*syms));
	if (!syms)
		return &cr_enomem;
	/* The crashing thread's top frames inside system libraries (strlen,
	 * abort, raise) get their source lines too (symbolize.c). */
	bool full = c->cur == c->full_thread;
	for (size_t k = 0; k < c->nraw; k++) {
		syms[k] = cr_symtab_lookup(c->st, c->raw[k].pc, c->raw[k].activation,
					   false);
		if (syms[k] && full && syms[k]->system)
			syms[k] = cr_symtab_lookup(c->st, c->raw[k].pc,
						   c->raw[k].activation, true);
		else if (syms[k] && syms[k]->module >= 0)
			full = false;
		if (!syms[k]) {
			free(syms);
			return &cr_enomem;
		}
		total += syms[k]->nframes;
	}
	s->frames = calloc(total ? total : 1, sizeof(*s->frames));
	if (!s->frames) {
		free(syms);
		return &cr_enomem;
	}
	size_t o = 0;
	for (size_t k = 0; k < c->nraw; k++) {
		const struct cr_sym *sym = syms[k];
		enum cr_trust trust = c->walker ? c->raw[k].trust :
			k == 0 ? CR_TRUST_CONTEXT :
			syms[k - 1]->has_cfi ? CR_TRUST_CFI : CR_TRUST_FP;
		for (unsigned j = 0; j < sym->nframes; j++) {
			const struct cr_symframe *sf = &sym->frames[j];
			struct cr_frame *f = &s->frames[o++];
			f->pc = c->raw[k].pc;
			f->trust = j + 1 < sym->nframes ? CR_TRUST_INLINE : trust;
			f->module = sym->module_name;
			if (sym->module >= 0)
				f->module_offset = c->raw[k].pc -
					c->d->modules[sym->module].base;
			f->function = sf->function;
			f->function_offset_known = sf->offset_known;
			/* Offsets are of the pc shown (the return address
			 * for callers), as Breakpad prints them. */
			f->function_offset = sf->offset_known ? sf->offset +
				(c->raw[k].activation ? 0 : 1) : 0;
			f->file = sf->file;
			f->line = sf->line;
			f->column = sf->column;
		}
	}
	s->nframes = o;
	free(syms);
	return NULL;
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
	struct unwind_ctx *c = arg;
	struct cr_thread_analysis *ta = &c->a->threads[c->cur];
	struct cr_stack *s = &ta->stack;
	uint64_t pc;

	c->nraw = 0;
	c->stop = NULL;
	if (!start_pc(c->d, c->cur, &pc)) {
		s->unwound = false;
		s->end_reason = strdup("no registers recorded for this thread");
		return DWARF_CB_OK;
	}
	int rc = dwfl_thread_getframes(thread, frame_cb, c);
	if (c->oom)
		return DWARF_CB_ABORT;
	s->unwound = c->nraw > 0;
	if (c->stop)
		s->end_reason = c->stop;
	else if (rc == -1 && c->nraw == 0)
		s->end_reason = cr_strdup_printf("could not start unwinding: %s",
						 dwfl_errmsg(-1));
	else if (rc == -1 && dwfl_errno() != 0) {
		/* The unwinder ran out of ways to find the caller.  At an
		 * outermost frame (no caller) that is the normal end. */
		const char *msg = dwfl_errmsg(-1);
		s->end_reason = cr_strdup_printf("no caller found after frame %zu: %s",
						 c->nraw - 1, msg);
	}
	if (c->nraw == 0) {
		/* At least the context frame. */
		c->raw = c->raw ? c->raw : malloc(sizeof(*c->raw));
		if (!c->raw)
			return DWARF_CB_ABORT;
		c->capraw = c->capraw ? c->capraw : 1;
		c->raw[0] = (struct raw_frame){ pc, true, CR_TRUST_CONTEXT };
		c->nraw = 1;
	}
	struct cr_error *err = expand(c, s);
	if (err) {
		c->oom = true;
		return DWARF_CB_ABORT;
	}
	cr_dump_trim(c->d);
	return DWARF_CB_OK;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = NULL,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
	.detach = NULL,
	.thread_detach = NULL,
};

/*
 * libdwfl's unwinder needs ELF files for CFI and stops where the frame
 * pointer fails; dumps with other modules (Windows, macOS), with Breakpad
 * symbol files, or whose executable's file is not at hand (a Breakpad
 * minidump or a core downloaded alone) go through walk.c, which also scans.
 */
static bool wants_walker(const struct cr_dump *d, const struct cr_options *o,
			 struct cr_symtab *st)
{
	if (o->symbol_dirs && o->symbol_dirs[0])
		return true;
	for (size_t i = 0; i < d->nmodules; i++) {
		if (d->modules[i].kind != CR_MODULE_ELF)
			return true;
		if (d->modules[i].is_main && !cr_symtab_has_file(st, i))
			return true;
	}
	return false;
}

/*
 * The step sources and symbol providers for walk.c, best first, from the
 * families that have something for this dump (walk.h).
 */
struct walk_families {
	struct cr_pe *pe;
	struct cr_breakpad *bp;
};

static struct cr_error *walk_sources(const struct cr_dump *d,
				     const struct cr_options *opts,
				     struct cr_symtab *st,
				     struct walk_families *fam,
				     struct cr_step_source *sources, size_t *nsrc,
				     struct cr_sym_provider *providers, size_t *nprov)
{
	struct cr_error *err;
	*nsrc = *nprov = 0;
	if ((err = pe_open(d, opts, &fam->pe)))
		return err;
	if (pe_sources(fam->pe, &sources[*nsrc], &providers[*nprov])) {
		(*nsrc)++;
		(*nprov)++;
	}
	if (opts->symbol_dirs && opts->symbol_dirs[0]) {
		if ((err = breakpad_open(d, opts, &fam->bp)))
			return err;
		if (breakpad_sources(fam->bp, &sources[*nsrc], &providers[*nprov])) {
			(*nsrc)++;
			(*nprov)++;
		}
	}
	sources[(*nsrc)++] = (struct cr_step_source){
		"dwarf cfi", CR_TRUST_CFI, cr_dwarf_step, st,
	};
	return NULL;
}

static void walk_families_free(struct walk_families *fam)
{
	pe_free(fam->pe);
	breakpad_free(fam->bp);
}

/* Every thread through walk.c, with SOURCES before its own. */
static struct cr_error *walk_all(struct unwind_ctx *c,
				 const struct cr_step_source *sources,
				 size_t nsources)
{
	const struct cr_dump *d = c->d;
	c->walker = true;
	for (size_t i = 0; i < d->nthreads; i++) {
		struct cr_stack *s = &c->a->threads[i].stack;
		struct walk_frame *wf = NULL;
		char *why = NULL;
		uint64_t pc;
		c->cur = i;
		if (!start_pc(d, i, &pc)) {
			s->end_reason = strdup("no registers recorded for this thread");
			continue;
		}
		size_t n = cr_walk_thread(d, start_regs(d, i), sources, nsources,
					  &wf, c->max_frames, &why);
		if (!wf)
			return &cr_enomem;
		free(c->raw);
		c->raw = malloc((n ? n : 1) * sizeof(*c->raw));
		if (!c->raw) {
			free(wf);
			free(why);
			return &cr_enomem;
		}
		for (size_t k = 0; k < n; k++)
			c->raw[k] = (struct raw_frame){ wf[k].pc, wf[k].activation,
							wf[k].trust };
		c->nraw = n;
		free(wf);
		s->unwound = n > 0;
		s->end_reason = why;
		struct cr_error *err = expand(c, s);
		if (err)
			return err;
		cr_dump_trim(d);
	}
	return NULL;
}

struct cr_error *cr_unwind_all(struct cr_analysis *a, struct cr_symtab *st,
			       const struct cr_options *opts)
{
	size_t max_frames = opts->max_frames;
	const struct cr_dump *d = a->dump;
	struct unwind_ctx c = {
		.a = a, .st = st, .d = d,
		.max_frames = max_frames ? max_frames : CR_DEFAULT_MAX_FRAMES,
	};
	/* The thread the event names (the crashing one) gets source lines in
	 * every module; see symbolize.c on the cost of system DWARF. */
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->event.tid >= 0 && d->threads[i].tid == d->event.tid) {
			c.full_thread = i;
			break;
		}
	if (wants_walker(d, opts, st)) {
		struct walk_families fam = { 0 };
		struct cr_step_source sources[3];
		struct cr_sym_provider providers[2];
		size_t nsrc = 0, nprov = 0;
		struct cr_error *err = walk_sources(d, opts, st, &fam, sources, &nsrc,
						    providers, &nprov);
		for (size_t i = 0; !err && i < nprov; i++)
			cr_symtab_add_provider(st, &providers[i]);
		if (!err)
			err = walk_all(&c, sources, nsrc);
		cr_symtab_add_provider(st, NULL);	/* they die here */
		if (!err) {
			pe_report(fam.pe, a);
			breakpad_report(fam.bp, a);
		}
		walk_families_free(&fam);
		free(c.raw);
		for (size_t i = 0; !err && i < d->nthreads; i++)
			err = cr_fold_stack(&a->threads[i].stack);
		return err;
	}
	Dwfl *dwfl = cr_symtab_dwfl(st);
	Elf *arch = cr_symtab_arch_elf(st);
	bool attached = arch && unwind_nregs(d->process.arch) &&
		dwfl_attach_state(dwfl, arch,
				  d->process.pid > 0 ? (pid_t)d->process.pid : 1,
				  &thread_callbacks, &c);
	if (!attached) {
		const char *why = arch && unwind_nregs(d->process.arch) ?
			dwfl_errmsg(-1) : "architecture not supported by the unwinder";
		cr_analysis_problem(a, "stacks not unwound: %s", why);
		for (size_t i = 0; i < d->nthreads; i++) {
			struct cr_stack *s = &a->threads[i].stack;
			uint64_t pc;
			s->end_reason = cr_strdup_printf("not unwound: %s", why);
			if (!start_pc(d, i, &pc))
				continue;
			c.cur = i;
			c.nraw = 0;
			if (!c.raw && !(c.raw = malloc(sizeof(*c.raw))))
				return &cr_enomem;
			c.capraw = c.capraw ? c.capraw : 1;
			c.raw[0] = (struct raw_frame){ pc, true, CR_TRUST_CONTEXT };
			c.nraw = 1;
			struct cr_error *err = expand(&c, s);
			if (err) {
				free(c.raw);
				return err;
			}
		}
		free(c.raw);
		return NULL;
	}
	int rc = dwfl_getthreads(dwfl, thread_cb, &c);
	free(c.raw);
	if (c.oom)
		return &cr_enomem;
	if (rc != 0)
		cr_analysis_problem(a, "unwinding stopped early: %s",
				    dwfl_errmsg(-1));
	for (size_t i = 0; i < d->nthreads; i++) {
		struct cr_error *err = cr_fold_stack(&a->threads[i].stack);
		if (err)
			return err;
	}
	return NULL;
}
