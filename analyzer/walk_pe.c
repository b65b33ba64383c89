/*
 * walk_pe.c - x86_64 Windows modules for the walker: the x64 unwind
 * algorithm over the .pdata/.xdata tables of each module image in dump
 * memory (a step source), and the export table as a symbol provider.
 *
 * A full-memory minidump holds every loaded image as the loader mapped it,
 * headers included, so the exception directory and the export directory of
 * ntdll.dll, kernel32.dll, kernelbase.dll ... are read from the dump itself:
 * no symbol files, no DLLs at hand.  formats/pe.c parses; this file applies
 * what it decoded to registers.
 *
 * The unwind algorithm is the one of RtlVirtualUnwind (Microsoft's "x64
 * exception handling"; Wine's dlls/ntdll/signal_x86_64.c does the same):
 *   - find the RUNTIME_FUNCTION for the pc (the return address minus one
 *     for callers, so that a call at the very end of a function finds that
 *     function);
 *   - in the innermost frame, a pc at the start of an epilog means the
 *     prolog has already been undone except what the epilog still does:
 *     emulate the epilog (add/lea rsp, pops, ret) instead of the codes;
 *   - in a prolog only the codes whose instruction has run (code offset <=
 *     pc - function start) are undone;
 *   - chained unwind info (UNW_FLAG_CHAININFO) continues with the parent
 *     entry, at most PE_MAX_CHAIN deep (a cycle stops there);
 *   - the return address is then popped: rip = [rsp], rsp += 8, except after
 *     a machine frame (UWOP_PUSH_MACHFRAME: an interrupt or exception frame
 *     whose rip and rsp are read from it).
 * A pc inside a PE module with no RUNTIME_FUNCTION is a leaf function (it
 * has not moved rsp): rip = [rsp].  That is only trusted for the innermost
 * frame; later frames fall through to the next source.
 *
 * Images, export tables and .pdata are read the first time a pc lands in
 * the module, so a dump with 200 threads in 5 of its 80 DLLs reads 5.
 */
#include <stdlib.h>
#include <string.h>

#include "pe.h"
#include "symtab.h"
#include "walk.h"

#define PE_MAX_CHAIN 32		/* chained unwind infos followed per frame */
#define PE_MAX_INDIRECT 4	/* indirect RUNTIME_FUNCTION entries followed */

/* x64 unwind register numbers (pe.h) that matter here. */
#define X64_RSP 4

struct pe_module {
	bool present;		/* a PE module whose header is in memory */
	bool tried_image, image_ok;
	struct pe_image img;
	bool tried_exports;
	struct pe_exports exports;
	bool tried_pdata;
	struct pe_pdata pdata;
};

struct cr_pe {
	const struct cr_dump *d;
	struct pe_module *mods;	/* parallel to d->modules */
	size_t nmods;
};

struct cr_error *pe_open(const struct cr_dump *d, const struct cr_options *opts,
			 struct cr_pe **out)
{
	(void)opts;	/* image files from --image-dir/--sysroot: not yet */
	*out = NULL;
	struct cr_pe *pe = calloc(1, sizeof(*pe));
	if (!pe)
		return &cr_enomem;
	pe->d = d;
	pe->nmods = d->nmodules;
	pe->mods = calloc(d->nmodules ? d->nmodules : 1, sizeof(*pe->mods));
	if (!pe->mods) {
		free(pe);
		return &cr_enomem;
	}
	for (size_t i = 0; i < d->nmodules; i++) {
		uint8_t mz[2];
		const struct cr_module *m = &d->modules[i];
		pe->mods[i].present = m->kind == CR_MODULE_PE &&
			cr_dump_read(d, m->base, mz, 2) == 2 &&
			mz[0] == 'M' && mz[1] == 'Z';
	}
	*out = pe;
	return NULL;
}

void pe_free(struct cr_pe *pe)
{
	if (!pe)
		return;
	for (size_t i = 0; i < pe->nmods; i++) {
		pe_exports_free(&pe->mods[i].exports);
		pe_pdata_free(&pe->mods[i].pdata);
	}
	free(pe->mods);
	free(pe);
}

/* The image of module I, read on first use; NULL when it cannot be. */
static struct pe_module *module_image(struct cr_pe *pe, size_t i)
{
	if (i >= pe->nmods || !pe->mods[i].present)
		return NULL;
	struct pe_module *pm = &pe->mods[i];
	if (!pm->tried_image) {
		const struct cr_module *m = &pe->d->modules[i];
		pm->tried_image = true;
		struct cr_error *err = pe_image_open(pe_mem_dump(pe->d), m->base,
						     m->size, &pm->img);
		pm->image_ok = !err;
		cr_error_free(err);
	}
	return pm->image_ok ? pm : NULL;
}

static const struct pe_pdata *module_pdata(struct pe_module *pm)
{
	if (!pm->tried_pdata) {
		pm->tried_pdata = true;
		cr_error_free(pe_read_pdata(&pm->img, &pm->pdata));
	}
	return &pm->pdata;
}

static const struct pe_exports *module_exports(struct pe_module *pm)
{
	if (!pm->tried_exports) {
		pm->tried_exports = true;
		cr_error_free(pe_read_exports(&pm->img, &pm->exports));
	}
	return &pm->exports;
}

/* The module index holding ADDR, or -1. */
static ssize_t module_index(const struct cr_dump *d, uint64_t addr)
{
	const struct cr_module *m = cr_dump_module_at(d, addr);
	return m ? m - d->modules : -1;
}

/* --- unwinding ------------------------------------------------------------ */

/* Registers as x64 unwind numbers over a struct cr_regs (DWARF numbers). */
static bool reg_get(const struct cr_regs *r, unsigned x64, uint64_t *v)
{
	return cr_regs_get(r, pe_x64_reg_to_dwarf(x64), v);
}

static void reg_set(struct cr_regs *r, unsigned x64, uint64_t v)
{
	cr_regs_set(r, pe_x64_reg_to_dwarf(x64), v);
}

/* Follow indirect entries (UnwindData bit 0: the rva of another
 * RUNTIME_FUNCTION) to the one that names an UNWIND_INFO. */
static bool resolve_indirect(const struct pe_image *img,
			     struct pe_runtime_function *rf)
{
	for (unsigned k = 0; rf->unwind & 1; k++) {
		if (k == PE_MAX_INDIRECT)
			return false;
		struct cr_error *err =
			pe_read_runtime_function(img, rf->unwind & ~1u, rf);
		if (err) {
			cr_error_free(err);
			return false;
		}
	}
	return true;
}

/* Emulate epilog EP from registers R (rsp already in R): pops and ret. */
static bool run_epilog(const struct cr_dump *d, const struct pe_epilog *ep,
		       struct cr_regs *r)
{
	uint64_t rsp, v;
	if (ep->has_lea) {
		if (!reg_get(r, ep->lea_reg, &v))
			return false;
		rsp = v + (uint64_t)(int64_t)ep->lea_disp;
	} else {
		if (!reg_get(r, X64_RSP, &rsp))
			return false;
		if (ep->has_add)
			rsp += (uint64_t)ep->add;
	}
	for (unsigned i = 0; i < ep->npops; i++) {
		if (!cr_dump_read_word(d, rsp, &v))
			return false;
		reg_set(r, ep->pops[i], v);
		rsp += 8;
	}
	if (!cr_dump_read_word(d, rsp, &v))
		return false;
	cr_regs_set(r, 16, v);
	reg_set(r, X64_RSP, rsp + 8);
	return true;
}

/*
 * Apply the codes of UI to R.  PROLOG_OFF is the pc's offset in the
 * function when it lies in the prolog (only codes at or before it ran),
 * UINT32_MAX otherwise.  *FRAME is the establisher frame (the rsp of the
 * function body) that SAVE_NONVOL offsets and SET_FPREG refer to.  Sets
 * *MACHFRAME when a machine frame gave rip and rsp.
 */
static bool apply_codes(const struct cr_dump *d, const struct pe_unwind_info *ui,
			uint32_t prolog_off, uint64_t *frame,
			struct cr_regs *r, bool *machframe)
{
	uint64_t rsp, v;
	if (!reg_get(r, X64_RSP, &rsp))
		return false;
	if (ui->frame_reg) {
		/* With a frame register the body's frame is fp - offset, once
		 * SET_FPREG has run; before it, rsp still is. */
		bool fp_set = prolog_off == UINT32_MAX;
		for (unsigned i = 0; !fp_set && i < ui->nops; i++)
			if (ui->ops[i].op == PE_UWOP_SET_FPREG &&
			    prolog_off >= ui->ops[i].prolog_offset)
				fp_set = true;
		if (fp_set) {
			if (!reg_get(r, ui->frame_reg, &v))
				return false;
			*frame = v - ui->frame_offset;
		} else {
			*frame = rsp;
		}
	}
	for (unsigned i = 0; i < ui->nops; i++) {
		const struct pe_unwind_op *op = &ui->ops[i];
		if (prolog_off != UINT32_MAX && op->prolog_offset > prolog_off)
			continue;	/* not executed yet */
		switch (op->op) {
		case PE_UWOP_PUSH_NONVOL:
			if (!cr_dump_read_word(d, rsp, &v))
				return false;
			reg_set(r, op->info, v);
			rsp += 8;
			break;
		case PE_UWOP_ALLOC_LARGE:
		case PE_UWOP_ALLOC_SMALL:
			rsp += op->arg;
			break;
		case PE_UWOP_SET_FPREG:
			rsp = *frame;
			break;
		case PE_UWOP_SAVE_NONVOL:
		case PE_UWOP_SAVE_NONVOL_FAR:
			if (!cr_dump_read_word(d, *frame + op->arg, &v))
				return false;
			reg_set(r, op->info, v);
			break;
		case PE_UWOP_SAVE_XMM128:
		case PE_UWOP_SAVE_XMM128_FAR:
			break;	/* xmm registers are not tracked */
		case PE_UWOP_PUSH_MACHFRAME: {
			/* [rsp] (after an error code when info is 1): rip,
			 * cs, eflags, rsp, ss. */
			uint64_t at = rsp + (op->arg ? 8 : 0), nrsp;
			if (!cr_dump_read_word(d, at, &v) ||
			    !cr_dump_read_word(d, at + 24, &nrsp))
				return false;
			cr_regs_set(r, 16, v);
			rsp = nrsp;
			*machframe = true;
			break;
		}
		default:
			break;
		}
	}
	reg_set(r, X64_RSP, rsp);
	return true;
}

/* Registers a call does not preserve in the Windows x64 ABI (DWARF
 * numbers: rax rdx rcx r8 r9 r10 r11): unknown in the caller. */
static const uint8_t volatile_regs[] = { 0, 1, 2, 8, 9, 10, 11 };

static enum cr_step_result pe_step(void *ctx, const struct cr_dump *d,
				   const struct cr_regs *callee, bool first,
				   struct cr_regs *caller)
{
	struct cr_pe *pe = ctx;
	uint64_t rip, rsp, v;
	if (d->process.arch != CR_ARCH_X86_64 ||
	    !cr_regs_get(callee, 16, &rip) || !cr_regs_get(callee, 7, &rsp))
		return CR_STEP_NONE;
	uint64_t lookup = first ? rip : rip - 1;
	ssize_t mi = module_index(d, lookup);
	struct pe_module *pm = mi >= 0 ? module_image(pe, (size_t)mi) : NULL;
	if (!pm || pm->img.machine != PE_MACHINE_AMD64 ||
	    lookup - pm->img.base >= pm->img.size)
		return CR_STEP_NONE;
	const struct pe_image *img = &pm->img;
	uint32_t rva = (uint32_t)(lookup - img->base);
	const struct pe_runtime_function *found =
		pe_pdata_find(module_pdata(pm), rva);

	struct cr_regs r = *callee;
	for (size_t i = 0; i < sizeof(volatile_regs); i++)
		r.valid[volatile_regs[i] / 64] &= ~(1ull << (volatile_regs[i] % 64));
	bool machframe = false;

	if (!found) {
		/* A leaf: nothing pushed, the return address is at rsp. */
		if (!first || !cr_dump_read_word(d, rsp, &v))
			return CR_STEP_NONE;
		cr_regs_set(&r, 16, v);
		cr_regs_set(&r, 7, rsp + 8);
		goto done;
	}

	struct pe_runtime_function rf = *found;
	uint64_t frame = rsp;
	for (unsigned depth = 0;; depth++) {
		if (depth == PE_MAX_CHAIN || !resolve_indirect(img, &rf))
			return CR_STEP_NONE;
		struct pe_unwind_info ui;
		struct cr_error *err = pe_read_unwind_info(img, rf.unwind, &ui);
		if (err) {
			cr_error_free(err);
			return CR_STEP_NONE;
		}
		uint64_t start = img->base + rf.begin;
		uint32_t prolog_off = UINT32_MAX;
		if (depth == 0 && rip >= start && rip - start < ui.prolog_size) {
			prolog_off = (uint32_t)(rip - start);
		} else if (depth == 0 && first && ui.nops) {
			/* Only the innermost pc can sit at an epilog: a
			 * return address is in the body by definition. */
			struct pe_epilog ep;
			if (pe_x64_decode_epilog(img->mem, rip, img->base,
						 rf.begin, rf.end, &ep)) {
				if (!run_epilog(d, &ep, &r))
					return CR_STEP_NONE;
				goto done;
			}
		}
		if (!apply_codes(d, &ui, prolog_off, &frame, &r, &machframe))
			return CR_STEP_NONE;
		if (!ui.chained)
			break;
		rf = ui.chain;
	}
	if (!machframe) {
		if (!cr_regs_get(&r, 7, &rsp) || !cr_dump_read_word(d, rsp, &v))
			return CR_STEP_NONE;
		cr_regs_set(&r, 16, v);
		cr_regs_set(&r, 7, rsp + 8);
	}
done:
	*caller = r;
	if (cr_regs_get(caller, 16, &v) && v == 0)
		return CR_STEP_END;	/* RtlUserThreadStart's zero return address */
	return CR_STEP_OK;
}

/* --- symbols ------------------------------------------------------------- */

/*
 * The start rva of the function holding RVA according to .pdata (a
 * function split into chained parts starts where its primary part does),
 * or false when .pdata does not cover RVA.
 */
static bool function_start(struct pe_module *pm, uint32_t rva, uint32_t *start)
{
	const struct pe_runtime_function *found =
		pe_pdata_find(module_pdata(pm), rva);
	if (!found)
		return false;
	struct pe_runtime_function rf = *found;
	for (unsigned depth = 0; depth < PE_MAX_CHAIN; depth++) {
		struct pe_unwind_info ui;
		struct cr_error *err = NULL;
		if (!resolve_indirect(&pm->img, &rf) ||
		    (err = pe_read_unwind_info(&pm->img, rf.unwind, &ui))) {
			cr_error_free(err);
			break;
		}
		if (!ui.chained) {
			*start = rf.begin;
			return true;
		}
		rf = ui.chain;
	}
	*start = found->begin;
	return true;
}

static unsigned pe_lookup(void *ctx, const struct cr_dump *d, size_t module,
			  uint64_t offset, struct cr_symframe *out, unsigned max)
{
	struct cr_pe *pe = ctx;
	struct pe_module *pm = module_image(pe, module);
	if (!max || !pm || offset >= pm->img.size)
		return 0;
	const struct pe_export *e =
		pe_export_lookup(module_exports(pm), (uint32_t)offset);
	if (!e)
		return 0;
	/* The nearest export below an unexported function is not its name
	 * ("RtlVirtualUnwind+0x16b1" for RtlDispatchException): when .pdata
	 * says the function starts after the export, say nothing. */
	uint32_t start;
	if (function_start(pm, (uint32_t)offset, &start) && e->rva < start)
		return 0;
	out[0] = (struct cr_symframe){
		.function = e->name,
		.offset_known = true,
		.offset = offset - e->rva,
	};
	return 1;
}

bool pe_sources(struct cr_pe *pe, struct cr_step_source *step,
		struct cr_sym_provider *prov)
{
	bool any = false;
	for (size_t i = 0; i < pe->nmods; i++)
		any |= pe->mods[i].present;
	if (!any)
		return false;
	*step = (struct cr_step_source){ "pe unwind tables", CR_TRUST_CFI,
					 pe_step, pe };
	*prov = (struct cr_sym_provider){ "pe exports", pe_lookup, pe };
	return true;
}
