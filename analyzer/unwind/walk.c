/*
 * walk.c - coroner's own frame-by-frame stack walker (see walk.h), used for
 * dumps libdwfl's unwinder cannot take alone: Windows and macOS minidumps,
 * and any dump analyzed with Breakpad symbol files.
 *
 * For each frame the step sources are asked in order of trust (PE unwind
 * tables, Breakpad CFI, then the two built here: the frame pointer chain
 * and stack scanning).  A caller is accepted only if the stack pointer
 * moved outward (stacks grow down on every architecture we walk) and its pc
 * is not 0; a pc of 0 or no source that knows the caller ends the walk.
 */
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "symtab.h"
#include "walk.h"
#include "util.h"

#define SCAN_WORDS_FIRST 1024	/* words scanned above the innermost frame */
#define SCAN_WORDS 256		/* ... above later frames */

/* --- frame pointer ------------------------------------------------------- */

/*
 * The frame record convention: on x86/x86_64 [fp] holds the caller's fp and
 * [fp + word] the return address, the caller's sp is fp + 2 words; on
 * aarch64 the record {x29, x30} at x29 gives the same.
 */
static enum cr_step_result fp_step(void *ctx, const struct cr_dump *d,
				   const struct cr_regs *callee, bool first,
				   struct cr_regs *caller)
{
	enum cr_arch arch = d->process.arch;
	unsigned w = d->process.pointer_size;
	unsigned fpr = cr_arch_fp_reg(arch), spr = cr_arch_sp_reg(arch),
		 pcr = cr_arch_pc_reg(arch);
	uint64_t fp, sp, saved_fp, ra;
	if (arch != CR_ARCH_X86_64 && arch != CR_ARCH_X86 && arch != CR_ARCH_AARCH64)
		return CR_STEP_NONE;
	if (!cr_regs_get(callee, fpr, &fp) || !cr_regs_get(callee, spr, &sp))
		return CR_STEP_NONE;
	/* The frame record lies above the stack pointer, aligned. */
	if (fp < sp || fp % w || fp - sp > (64u << 20))
		return CR_STEP_NONE;
	if (!cr_dump_read_word(d, fp, &saved_fp) ||
	    !cr_dump_read_word(d, fp + w, &ra))
		return CR_STEP_NONE;
	if (ra == 0)
		return CR_STEP_END;
	/* The caller's frame lies further out (Breakpad rejects the same):
	 * a saved fp below this one is no frame record at all. */
	if (saved_fp < fp)
		return CR_STEP_NONE;
	/* A return address must follow a call in code we know of: the call
	 * itself (ra - 1) lies in a module. */
	if (!cr_dump_module_at(d, ra - 1))
		return CR_STEP_NONE;
	*caller = (struct cr_regs){ 0 };
	cr_regs_set(caller, pcr, ra);
	cr_regs_set(caller, spr, fp + 2 * w);
	cr_regs_set(caller, fpr, saved_fp);
	return CR_STEP_OK;
}

/* --- scanning ------------------------------------------------------------ */

/* Is there a call instruction right before RA (when its bytes are in the
 * dump)?  Unknown bytes count as yes: minidumps rarely hold code. */
static bool after_call(const struct cr_dump *d, uint64_t ra)
{
	uint8_t b[8];
	enum cr_arch arch = d->process.arch;
	if (arch == CR_ARCH_AARCH64) {
		uint8_t i[4];
		if (ra < 4 || cr_dump_read(d, ra - 4, i, 4) != 4)
			return true;
		uint32_t insn = (uint32_t)i[0] | (uint32_t)i[1] << 8 |
				(uint32_t)i[2] << 16 | (uint32_t)i[3] << 24;
		return (insn & 0xfc000000u) == 0x94000000u ||	/* bl */
		       (insn & 0xfffffc1fu) == 0xd63f0000u;	/* blr */
	}
	if (arch != CR_ARCH_X86_64 && arch != CR_ARCH_X86)
		return true;
	if (ra < 8 || cr_dump_read(d, ra - 8, b, 8) != 8)
		return true;
	if (b[3] == 0xe8)			/* call rel32 */
		return true;
	/* call r/m (FF /2) with 0..5 bytes of operand after the ModRM byte */
	for (int len = 2; len <= 7; len++) {
		uint8_t op = b[8 - len], modrm = b[8 - len + 1];
		if (op == 0xff && ((modrm >> 3) & 7) == 2)
			return true;
	}
	return false;
}

static enum cr_step_result scan_step(void *ctx, const struct cr_dump *d,
				     const struct cr_regs *callee, bool first,
				     struct cr_regs *caller)
{
	enum cr_arch arch = d->process.arch;
	unsigned w = d->process.pointer_size;
	unsigned spr = cr_arch_sp_reg(arch), pcr = cr_arch_pc_reg(arch),
		 fpr = cr_arch_fp_reg(arch);
	uint64_t sp, v;
	if (!w || !cr_regs_get(callee, spr, &sp))
		return CR_STEP_NONE;
	size_t n = first ? SCAN_WORDS_FIRST : SCAN_WORDS;
	for (size_t k = 0; k < n; k++) {
		uint64_t at = sp + k * w;
		if (at < sp || !cr_dump_read_word(d, at, &v))
			break;
		const struct cr_region *r;
		if (v < 0x1000 || !cr_dump_module_at(d, v - 1))
			continue;
		r = cr_dump_region_at(d, v - 1);
		if (r && r->prot_known && !(r->prot & CR_PROT_X))
			continue;
		if (!after_call(d, v))
			continue;
		*caller = (struct cr_regs){ 0 };
		cr_regs_set(caller, pcr, v);
		cr_regs_set(caller, spr, at + w);
		/* Keep the frame pointer if it still points into the stack:
		 * the next frame may use it. */
		uint64_t fp;
		if (cr_regs_get(callee, fpr, &fp) && fp > at)
			cr_regs_set(caller, fpr, fp);
		return CR_STEP_OK;
	}
	return CR_STEP_NONE;
}

/* --- the walk ----------------------------------------------------------- */

size_t cr_walk_thread(const struct cr_dump *d, const struct cr_regs *regs,
		      const struct cr_step_source *sources, size_t nsources,
		      struct walk_frame **frames, size_t max, char **why)
{
	enum cr_arch arch = d->process.arch;
	unsigned pcr = cr_arch_pc_reg(arch), spr = cr_arch_sp_reg(arch);
	struct cr_regs cur = *regs, next;
	uint64_t pc, sp = 0;
	size_t n = 0, cap = 64;
	*why = NULL;
	*frames = malloc(cap * sizeof(**frames));
	if (!*frames || !cr_regs_get(&cur, pcr, &pc))
		return 0;
	(*frames)[n++] = (struct walk_frame){ pc, true, CR_TRUST_CONTEXT };
	static const struct cr_step_source builtin[] = {
		{ "frame pointer", CR_TRUST_FP, fp_step, NULL },
		{ "scan", CR_TRUST_SCAN, scan_step, NULL },
	};
	while (n < max) {
		enum cr_step_result r = CR_STEP_NONE;
		enum cr_trust trust = CR_TRUST_SCAN;
		bool have_sp = cr_regs_get(&cur, spr, &sp);
		for (size_t k = 0; k < nsources + 2 && r == CR_STEP_NONE; k++) {
			const struct cr_step_source *s =
				k < nsources ? &sources[k] : &builtin[k - nsources];
			next = (struct cr_regs){ 0 };
			r = s->step(s->ctx, d, &cur, n == 1, &next);
			uint64_t npc, nsp;
			if (r == CR_STEP_OK &&
			    (!cr_regs_get(&next, pcr, &npc) ||
			     (have_sp && cr_regs_get(&next, spr, &nsp) && nsp <= sp)))
				r = CR_STEP_NONE;	/* not a plausible caller */
			trust = s->trust;
		}
		if (r == CR_STEP_END)
			break;
		if (r == CR_STEP_NONE) {
			*why = cr_strdup_printf("no way found to the caller of frame %zu", n - 1);
			break;
		}
		cr_regs_get(&next, pcr, &pc);
		if (pc == 0)
			break;
		if (!CR_GROW(*frames, cap, n + 1)) {
			/* The stack's end line says it (if even that fits). */
			*why = cr_strdup_printf("out of memory: stack cut after %zu frames", n);
			break;
		}
		(*frames)[n++] = (struct walk_frame){ pc, false, trust };
		cur = next;
	}
	return n;
}
