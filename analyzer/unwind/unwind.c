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
#include <sys/resource.h>

#include "passes.h"
#include "symtab.h"
#include "unwind_limits.h"
#include "walk.h"
#include "util.h"

struct raw_frame {
	uint64_t pc;
	bool activation;
	enum cr_trust trust;	/* used when walker is set */
};

struct unwind_ctx {
	struct cr_analysis *a;
	struct cr_symtab *st;
	const struct cr_dump *d;
	struct cr_budget budget;	/* frames stored */
	struct cr_budget rows;		/* frames shown */
	size_t allowance;	/* frames of the thread being unwound */
	size_t next_index;	/* next thread for next_thread() */
	size_t cur;		/* thread being unwound */
	size_t full_thread;	/* symbolized with DWARF everywhere (symtab.h) */
	struct raw_frame *raw;
	size_t nraw, capraw;
	struct cr_sp_track sp;
	char *stop;		/* why we stopped it ourselves */
	bool oom;
	bool walker;		/* frames come from walk.c with their trust */
	long trim_minflt;	/* page faults when the dump was last trimmed */
};

/*
 * Drop the dump's pages the walks touched (cr_dump_trim) once they add up:
 * after 256 page faults (at most 16 MiB: the kernel maps up to 16 pages of
 * a file around each fault).  Trimming after every thread costs a madvise
 * over the whole mapping and a TLB flush each time, which made 100,000
 * threads of a 5 KB compressed core take 40 s (and the mapping grows with
 * the threads: quadratic).  Page faults are what trimming gives back, so
 * counting them keeps RSS bounded nearly as well (bench_minidump.sh: 27
 * MiB per-thread trimming, 4096 faults took 93 MiB).
 */
#define TRIM_AFTER_FAULTS 256

static void maybe_trim(struct unwind_ctx *c)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) == 0 &&
	    ru.ru_minflt + ru.ru_majflt - c->trim_minflt < TRIM_AFTER_FAULTS)
		return;
	cr_dump_trim(c->d);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		c->trim_minflt = ru.ru_minflt + ru.ru_majflt;
}

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

/* The K-th thread to unwind: the focus thread first, so that the budget
 * spent on others never cuts the stack a reader looks at first. */
static size_t nth_thread(const struct unwind_ctx *c, size_t k)
{
	size_t f = c->full_thread;
	return k == 0 ? f : k <= f ? k - 1 : k;
}

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct unwind_ctx *c = arg;
	if (c->next_index >= c->d->nthreads)
		return 0;
	c->cur = nth_thread(c, c->next_index++);
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

/* The registers thread I's stack starts from (cr_thread_regs). */
static const struct cr_regs *start_regs(const struct cr_dump *d, size_t i)
{
	return cr_thread_regs(d, &d->threads[i]);
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

/*
 * libdwfl's aarch64 frame-pointer fallback takes a frame's caller from its
 * x30 and the next one from the frame record at x29.  Right after a frame
 * found by CFI, x30 holds that frame's own return address (CFI restores
 * x30 as it was on entry to the callee), so the fallback finds the same
 * caller twice: the frame at PC is that duplicate when it repeats the last
 * frame, that frame has no CFI and the one before it had.  (Recursion
 * through one call site found by CFI is not: those frames have CFI.)
 */
static bool aarch64_fp_duplicate(struct unwind_ctx *c, uint64_t pc, bool act)
{
	size_t n = c->nraw;
	if (c->d->process.arch != CR_ARCH_AARCH64 || act || n < 2 ||
	    c->raw[n - 1].pc != pc)
		return false;
	const struct cr_sym *callee = cr_symtab_lookup(c->st, c->raw[n - 1].pc,
						       c->raw[n - 1].activation, false);
	const struct cr_sym *before = cr_symtab_lookup(c->st, c->raw[n - 2].pc,
						       c->raw[n - 2].activation, false);
	return callee && before && !callee->has_cfi && before->has_cfi;
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
	enum cr_sp_verdict v = cr_sp_check(&c->sp, c->d, c->nraw, pc, have_sp,
					   sp, act, &c->stop);
	if (v == CR_SP_DROP)
		return DWARF_CB_ABORT;
	if (aarch64_fp_duplicate(c, pc, act))
		return DWARF_CB_OK;
	if (!CR_GROW(c->raw, c->capraw, c->nraw + 1)) {
		c->oom = true;
		return DWARF_CB_ABORT;
	}
	c->raw[c->nraw++] = (struct raw_frame){ pc, act, CR_TRUST_CFI };
	if (v == CR_SP_LAST)
		return DWARF_CB_ABORT;
	if (c->nraw >= c->allowance) {
		c->stop = cr_budget_reason(&c->budget, c->nraw, c->allowance);
		return DWARF_CB_ABORT;
	}
	return DWARF_CB_OK;
}

/*
 * Expand the raw frames of thread C->cur into at most C->allowance logical
 * frames (the innermost physical frame always); when they do not fit, the
 * stack's end reason says which limit cut it.
 */
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
	}
	for (size_t k = 0; k < c->nraw; k++) {
		if (k > 0 && total + syms[k]->nframes > c->allowance) {
			free(s->end_reason);
			s->end_reason = cr_budget_reason(&c->budget, total, c->allowance);
			c->nraw = k;
			break;
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

/*
 * A thread whose stack pointer points to memory the dump does not hold (a
 * core cut short by RLIMIT_CORE or a full disk, a minidump that left the
 * stack out) has only its registers: say so, rather than whatever the
 * unwinder said after its first frame.  pass_state then guesses nothing
 * from the stack.  A walk that found more than the frames registers give
 * (the pc, and the link register on aarch64) read the stack somewhere: an
 * overflow leaves sp in the guard page below a stack that is there.
 */
static void check_stack_present(struct unwind_ctx *c, struct cr_stack *s)
{
	const struct cr_dump *d = c->d;
	uint64_t sp, w;
	if (c->nraw > 2 ||
	    !cr_regs_get(start_regs(d, c->cur), cr_arch_sp_reg(d->process.arch), &sp) ||
	    cr_dump_read_word(d, sp, &w))
		return;
	s->stack_missing = true;
	free(s->end_reason);
	if (cr_dump_region_at(d, sp))
		s->end_reason = cr_strdup_printf("the stack memory at sp 0x%llx is not in the dump (was the dump cut short?)",
						 (unsigned long long)sp);
	else
		s->end_reason = cr_strdup_printf("the stack pointer 0x%llx points to no memory the dump knows of",
						 (unsigned long long)sp);
}

/*
 * The raw frames of thread C->cur are in C->raw (at least the context
 * frame): make them S's frames, folded, within what the dump's budgets
 * leave, and spend them.
 */
static struct cr_error *finish_stack(struct unwind_ctx *c, struct cr_stack *s)
{
	check_stack_present(c, s);
	struct cr_error *err = expand(c, s);
	if (!err)
		err = cr_fold_stack(s);
	if (err)
		return err;
	/* The frames budget bounds the work: it is charged what was
	 * unwound, before the cut. */
	size_t unwound = s->nframes;
	bool cut;
	size_t allowed = cr_budget_allowance(&c->rows);
	size_t rows = cr_stack_cut_rows(s, allowed, &cut);
	if (cut) {
		free(s->end_reason);
		s->end_reason = cr_budget_reason(&c->rows, s->nframes, allowed);
	}
	cr_budget_spend(&c->rows, rows);
	cr_budget_spend(&c->budget, unwound);
	maybe_trim(c);
	return NULL;
}

/* Thread C->cur has no registers: nothing spent, its floor freed. */
static void skip_thread(struct unwind_ctx *c)
{
	cr_budget_spend(&c->budget, 0);
	cr_budget_spend(&c->rows, 0);
}

/* The context frame alone, in C->raw. */
static bool context_frame_only(struct unwind_ctx *c, uint64_t pc)
{
	if (!c->capraw) {
		c->raw = malloc(sizeof(*c->raw));
		if (!c->raw)
			return false;
		c->capraw = 1;
	}
	c->raw[0] = (struct raw_frame){ pc, true, CR_TRUST_CONTEXT };
	c->nraw = 1;
	return true;
}

/* Why thread I has no stack when it has no registers: a fact about the
 * thread (the one that wrote a minidump of its own process records none),
 * not damage of the dump. */
static char *no_registers_reason(const struct cr_dump *d, size_t i)
{
	if (d->event.dump_tid_known && d->threads[i].tid == d->event.dump_tid)
		return strdup("no registers recorded for this thread (it wrote the dump)");
	return strdup("no registers recorded for this thread");
}

/* Start thread C->cur: its allowance of frames, a fresh loop detector. */
static void begin_thread(struct unwind_ctx *c)
{
	c->nraw = 0;
	c->stop = NULL;
	c->sp = (struct cr_sp_track){ 0 };
	c->allowance = cr_budget_allowance(&c->budget);
}

static int thread_cb(Dwfl_Thread *thread, void *arg)
{
	struct unwind_ctx *c = arg;
	struct cr_thread_analysis *ta = &c->a->threads[c->cur];
	struct cr_stack *s = &ta->stack;
	uint64_t pc;

	begin_thread(c);
	if (!start_pc(c->d, c->cur, &pc)) {
		s->unwound = false;
		s->end_reason = no_registers_reason(c->d, c->cur);
		skip_thread(c);
		return DWARF_CB_OK;
	}
	int rc = dwfl_thread_getframes(thread, frame_cb, c);
	if (c->oom) {
		free(c->stop);	/* a loop's reason, found before memory ran out */
		c->stop = NULL;
		return DWARF_CB_ABORT;
	}
	s->unwound = c->nraw > 0;
	int e = rc == -1 ? dwfl_errno() : 0;	/* dwfl_errno() clears it */
	if (c->stop)
		s->end_reason = c->stop;
	else if (rc == -1 && c->nraw == 0)
		s->end_reason = cr_strdup_printf("could not start unwinding: %s",
						 dwfl_errmsg(e));
	else if (e != 0) {
		/* The unwinder ran out of ways to find the caller.  At an
		 * outermost frame (no caller) that is the normal end. */
		s->end_reason = cr_strdup_printf("no caller found after frame %zu: %s",
						 c->nraw - 1, dwfl_errmsg(e));
	}
	if (c->nraw == 0 && !context_frame_only(c, pc)) {
		c->oom = true;
		return DWARF_CB_ABORT;
	}
	if (finish_stack(c, s)) {
		c->oom = true;
		return DWARF_CB_ABORT;
	}
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
	for (size_t k = 0; k < d->nthreads; k++) {
		size_t i = nth_thread(c, k);
		struct cr_stack *s = &c->a->threads[i].stack;
		struct walk_frame *wf = NULL;
		char *why = NULL;
		uint64_t pc;
		c->cur = i;
		begin_thread(c);
		if (!start_pc(d, i, &pc)) {
			s->end_reason = no_registers_reason(d, i);
			skip_thread(c);
			continue;
		}
		size_t n = cr_walk_thread(d, start_regs(d, i), sources, nsources,
					  &wf, c->allowance, &why);
		if (!wf)
			return &cr_enomem;
		if (n >= c->allowance && !why)
			why = cr_budget_reason(&c->budget, n, c->allowance);
		free(c->raw);
		c->raw = malloc((n ? n : 1) * sizeof(*c->raw));
		c->capraw = n ? n : 1;
		if (!c->raw) {
			free(wf);
			free(why);
			return &cr_enomem;
		}
		for (size_t f = 0; f < n; f++)
			c->raw[f] = (struct raw_frame){ wf[f].pc, wf[f].activation,
							wf[f].trust };
		c->nraw = n;
		free(wf);
		s->unwound = n > 0;
		s->end_reason = why;
		struct cr_error *err = finish_stack(c, s);
		if (err)
			return err;
	}
	return NULL;
}

struct cr_error *cr_unwind_all(struct cr_analysis *a, struct cr_symtab *st,
			       const struct cr_options *opts)
{
	const struct cr_dump *d = a->dump;
	struct unwind_ctx c = { .a = a, .st = st, .d = d };
	cr_budget_init(&c.budget, "frames", opts->max_frames, CR_MAX_DUMP_FRAMES,
		       d->nthreads);
	cr_budget_init(&c.rows, "frames shown", opts->max_frames, CR_MAX_DUMP_ROWS,
		       d->nthreads);
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
		cr_analysis_problem_at(a, &(const struct cr_diag_at){
					       .severity = CR_SEVERITY_ERROR,
					       .source = CR_SOURCE_WALKER,
					       .origin = "unwind" },
				       "stacks not unwound: %s", why);
		for (size_t i = 0; i < d->nthreads; i++) {
			struct cr_stack *s = &a->threads[i].stack;
			uint64_t pc;
			s->end_reason = cr_strdup_printf("not unwound: %s", why);
			if (!start_pc(d, i, &pc))
				continue;
			c.cur = i;
			begin_thread(&c);
			struct cr_error *err = context_frame_only(&c, pc) ?
				expand(&c, s) : &cr_enomem;
			if (err) {
				free(c.raw);
				return err;
			}
			cr_budget_spend(&c.budget, s->nframes);
			cr_budget_spend(&c.rows, s->nframes);
		}
		free(c.raw);
		return NULL;
	}
	int rc = dwfl_getthreads(dwfl, thread_cb, &c);
	free(c.raw);
	if (c.oom)
		return &cr_enomem;
	if (rc != 0)
		cr_analysis_problem_at(a, &(const struct cr_diag_at){
					       .severity = CR_SEVERITY_ERROR,
					       .source = CR_SOURCE_WALKER,
					       .origin = "unwind" },
				       "unwinding stopped early: %s",
				    dwfl_errmsg(-1));
	return NULL;
}
