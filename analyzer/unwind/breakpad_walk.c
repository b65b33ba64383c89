/*
 * breakpad_walk.c - the step source of Breakpad symbol files: STACK WIN
 * (x86 Windows frame data and FPO records) and STACK CFI (every
 * architecture).
 *
 * STACK CFI: the INIT record's rules, then each delta at or below the pc,
 * later rules replacing earlier ones for the same register; .cfa is
 * evaluated first from the callee's registers, then .ra and the other
 * registers with .cfa known.  The caller's sp is .cfa, its pc .ra; the
 * callee-saved registers without a rule keep the callee's values (Breakpad's
 * CFIWalker, whose register maps mark them callee_saves).
 *
 * STACK WIN follows Breakpad's StackwalkerX86::GetCallerByWindowsFrameInfo:
 *  - .raSearchStart = callee esp + the callee's callee's parameter size +
 *    locals + saved registers, nudged by a three-word scan for something
 *    that looks like a return address (the stack may have been aligned);
 *    with "@" (alignment) in the program, ebp + 4 instead;
 *  - the program is the record's own, or for FPO records one of Breakpad's
 *    two stock programs depending on allocates_base_pointer;
 *  - a resulting eip outside every module is replaced by scanning up from
 *    .raSearchStart + 4; an ebp that does not point into the dump is
 *    recovered by scanning the saved-register area.
 * Where Breakpad falls back to stack scanning after a failed evaluation we
 * return CR_STEP_NONE and let the walker's own fallbacks decide.
 *
 * "The callee's callee's parameter size" needs the previous frame: the
 * parameter size found at the previous step's pc is kept in the context
 * (steps of one thread come innermost first; FIRST starts a new thread).
 * Breakpad takes it from the nearest callee with frame info; so do we.
 */
#include <string.h>

#include "breakpad_sym.h"
#include "postfix.h"
#include "util.h"

/* Breakpad's kRASearchWords: words scanned for a return address. */
#define BP_RA_SEARCH_WORDS 40
/* Words looked at when recovering ebp below a STACK WIN frame (Breakpad
 * walks all of .cbSavedRegs, which a symbol file can make 4 GB). */
#define BP_EBP_SEARCH_WORDS 1024

/* Register name aliases Breakpad's dump_syms writes (arm, arm64). */
struct bp_alias {
	enum cr_arch arch;
	const char *name;
	unsigned n;
};

static const struct bp_alias bp_aliases[] = {
	{ CR_ARCH_AARCH64, "lr", 30 }, { CR_ARCH_AARCH64, "fp", 29 },
	{ CR_ARCH_AARCH64, "x31", 31 },
	{ CR_ARCH_ARM, "sp", 13 }, { CR_ARCH_ARM, "lr", 14 },
	{ CR_ARCH_ARM, "pc", 15 }, { CR_ARCH_ARM, "fp", 11 },
};

/* Registers kept from callee to caller when no rule names them. */
static const unsigned bp_saved_x86_64[] = { 3, 6, 12, 13, 14, 15 };
static const unsigned bp_saved_x86[] = { 3, 5, 6, 7 };
static const unsigned bp_saved_aarch64[] = { 19, 20, 21, 22, 23, 24, 25,
					     26, 27, 28, 29 };
static const unsigned bp_saved_arm[] = { 4, 5, 6, 7, 8, 9, 10, 11 };

static bool bp_reg_number(enum cr_arch arch, const char *name, unsigned *n)
{
	if (name[0] == '$')
		name++;
	for (size_t i = 0; i < ARRAY_LEN(bp_aliases); i++) {
		if (bp_aliases[i].arch == arch &&
		    !strcmp(bp_aliases[i].name, name)) {
			*n = bp_aliases[i].n;
			return true;
		}
	}
	for (unsigned r = 0; r < CR_MAX_REGS; r++) {
		const char *rn = cr_arch_reg_name(arch, r);
		if (rn && !strcmp(rn, name)) {
			*n = r;
			return true;
		}
	}
	return false;
}

static unsigned bp_word(const struct cr_dump *d)
{
	if (d->process.pointer_size == 4 || d->process.pointer_size == 8)
		return d->process.pointer_size;
	return d->process.arch == CR_ARCH_X86 || d->process.arch == CR_ARCH_ARM
		       ? 4 : 8;
}

struct bp_env_ctx {
	const struct cr_dump *d;
	const struct cr_regs *callee;
};

static bool bp_env_lookup(void *ctx, const char *name, uint64_t *out)
{
	struct bp_env_ctx *e = ctx;
	unsigned n;
	return bp_reg_number(e->d->process.arch, name, &n) &&
	       cr_regs_get(e->callee, n, out);
}

static bool bp_env_deref(void *ctx, uint64_t addr, uint64_t *out)
{
	struct bp_env_ctx *e = ctx;
	return cr_dump_read_word(e->d, addr, out);
}

/* --- STACK CFI ------------------------------------------------------------ */

struct bp_rule {
	char reg[PF_MAX_NAME + 1];
	const char *expr;
	size_t len;
};

struct bp_rules {
	struct bp_rule r[BP_MAX_CFI_RULES];
	unsigned n;
	bool bad;
};

static bool bp_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Collect "REG: EXPR" pairs from one record; later pairs replace earlier. */
static void bp_collect_rules(void *arg, const char *s, size_t len)
{
	struct bp_rules *rs = arg;
	struct bp_rule *cur = NULL;
	size_t i = 0;
	while (i < len) {
		while (i < len && bp_space(s[i]))
			i++;
		if (i == len)
			break;
		size_t st = i;
		while (i < len && !bp_space(s[i]))
			i++;
		size_t tl = i - st;
		if (s[i - 1] == ':') {
			if (tl - 1 == 0 || tl - 1 > PF_MAX_NAME) {
				rs->bad = true;
				return;
			}
			char name[PF_MAX_NAME + 1];
			memcpy(name, s + st, tl - 1);
			name[tl - 1] = '\0';
			cur = NULL;
			for (unsigned k = 0; k < rs->n; k++)
				if (!strcmp(rs->r[k].reg, name))
					cur = &rs->r[k];
			if (!cur) {
				if (rs->n == BP_MAX_CFI_RULES) {
					rs->bad = true;
					return;
				}
				cur = &rs->r[rs->n++];
				memcpy(cur->reg, name, tl);
			}
			cur->expr = NULL;
			cur->len = 0;
		} else {
			if (!cur) {	/* an expression needs a register */
				rs->bad = true;
				return;
			}
			if (!cur->expr)
				cur->expr = s + st;
			cur->len = (size_t)(s + i - cur->expr);
		}
	}
}

static const struct bp_rule *bp_rule(const struct bp_rules *rs,
				     const char *reg)
{
	for (unsigned k = 0; k < rs->n; k++)
		if (!strcmp(rs->r[k].reg, reg))
			return rs->r[k].expr ? &rs->r[k] : NULL;
	return NULL;
}

static void bp_copy_saved(enum cr_arch arch, const struct cr_regs *callee,
			  struct cr_regs *caller)
{
	const unsigned *v = NULL;
	size_t n = 0;
	switch (arch) {
	case CR_ARCH_X86_64:
		v = bp_saved_x86_64, n = ARRAY_LEN(bp_saved_x86_64);
		break;
	case CR_ARCH_X86:
		v = bp_saved_x86, n = ARRAY_LEN(bp_saved_x86);
		break;
	case CR_ARCH_AARCH64:
		v = bp_saved_aarch64, n = ARRAY_LEN(bp_saved_aarch64);
		break;
	case CR_ARCH_ARM:
		v = bp_saved_arm, n = ARRAY_LEN(bp_saved_arm);
		break;
	default:
		break;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t val;
		if (cr_regs_get(callee, v[i], &val))
			cr_regs_set(caller, v[i], val);
	}
}

static bool bp_step_cfi(const struct bp_symfile *sf, uint64_t offset,
			const struct cr_dump *d, const struct cr_regs *callee,
			struct cr_regs *caller)
{
	struct bp_rules rs;
	rs.n = 0;
	rs.bad = false;
	if (!bp_cfi_rules(sf, offset, bp_collect_rules, &rs) || rs.bad)
		return false;
	const struct bp_rule *cfa_r = bp_rule(&rs, ".cfa");
	const struct bp_rule *ra_r = bp_rule(&rs, ".ra");
	if (!cfa_r || !ra_r)
		return false;

	enum cr_arch arch = d->process.arch;
	struct bp_env_ctx ec = { d, callee };
	struct pf_env env = { bp_word(d), bp_env_lookup, bp_env_deref, &ec };
	struct pf_vars vars = { .n = 0 };
	uint64_t cfa, ra;
	if (!pf_eval(cfa_r->expr, cfa_r->len, &vars, &env, &cfa))
		return false;
	if (!pf_vars_set(&vars, ".cfa", cfa) ||
	    !pf_eval(ra_r->expr, ra_r->len, &vars, &env, &ra))
		return false;

	memset(caller, 0, sizeof(*caller));
	bp_copy_saved(arch, callee, caller);
	for (unsigned k = 0; k < rs.n; k++) {
		const struct bp_rule *r = &rs.r[k];
		unsigned n;
		uint64_t v;
		if (!r->expr || r->reg[0] == '.' ||
		    !bp_reg_number(arch, r->reg, &n))
			continue;
		/* a register whose rule fails is unknown in the caller */
		if (pf_eval(r->expr, r->len, &vars, &env, &v))
			cr_regs_set(caller, n, v);
		else if (n < CR_MAX_REGS)
			caller->valid[n / 64] &= ~(1ull << (n % 64));
	}
	cr_regs_set(caller, cr_arch_sp_reg(arch), cfa);
	cr_regs_set(caller, cr_arch_pc_reg(arch), ra);
	/* Breakpad's x86 CFI walk requires eip, esp and ebp. */
	uint64_t ebp;
	if (arch == CR_ARCH_X86 && !cr_regs_get(caller, 5, &ebp))
		return false;
	return true;
}

/* --- STACK WIN (x86) ------------------------------------------------------ */

enum { X86_EBX = 3, X86_ESP = 4, X86_EBP = 5, X86_ESI = 6, X86_EDI = 7,
       X86_EIP = 8 };

/*
 * Breakpad's InstructionAddressSeemsValid: inside a module, and inside a
 * known function when that module has symbols.
 */
static bool bp_addr_seems_valid(struct cr_breakpad *bp,
				const struct cr_dump *d, uint64_t addr)
{
	const struct cr_module *m = cr_dump_module_at(d, addr);
	if (!m)
		return false;
	struct bp_symfile *sf = bp_module_symfile(bp, (size_t)(m - d->modules));
	if (!sf)
		return true;
	struct cr_symframe f;
	return bp_symbolize(sf, addr - m->base, &f, 1) > 0 && f.function;
}

/* Breakpad's ScanForReturnAddress over WORDS 32-bit words from START. */
static bool bp_scan(struct cr_breakpad *bp, const struct cr_dump *d,
		    uint64_t start, unsigned words, uint64_t *loc,
		    uint64_t *ip)
{
	for (unsigned i = 0; i < words; i++) {
		uint64_t a = (start + 4ull * i) & 0xffffffffu, v;
		if (!cr_dump_read_word(d, a, &v))
			return false;
		if (bp_addr_seems_valid(bp, d, v)) {
			*loc = a;
			*ip = v;
			return true;
		}
	}
	return false;
}

static bool bp_step_win(struct cr_breakpad *bp, const struct bp_symfile *sf,
			const struct bp_win *w, bool first,
			uint32_t callee_params, const struct cr_dump *d,
			const struct cr_regs *callee, struct cr_regs *caller)
{
	uint64_t esp, ebp, ebx, eip;
	if (!cr_regs_get(callee, X86_ESP, &esp) ||
	    !cr_regs_get(callee, X86_EBP, &ebp) ||
	    !cr_regs_get(callee, X86_EIP, &eip))
		return false;
	bool have_ebx = cr_regs_get(callee, X86_EBX, &ebx);

	struct pf_vars vars = { .n = 0 };
	pf_vars_set(&vars, "$ebp", ebp);
	pf_vars_set(&vars, "$esp", esp);
	if (have_ebx)
		pf_vars_set(&vars, "$ebx", ebx);
	pf_vars_set(&vars, ".cbCalleeParams", callee_params);
	pf_vars_set(&vars, ".cbSavedRegs", w->saved_register_size);
	pf_vars_set(&vars, ".cbLocals", w->local_size);
	pf_vars_set(&vars, ".cbParams", w->parameter_size);

	uint64_t ra_start = (esp + callee_params + w->local_size +
			     w->saved_register_size) & 0xffffffffu;
	uint64_t ra_old = ra_start, found = 0;
	if (bp_scan(bp, d, ra_start, 3, &ra_start, &found) && first &&
	    !w->has_program && ra_old == ra_start && found == eip) {
		/* An FPO system call that has returned: its own address is
		 * still on top of the stack.  Skip it. */
		ra_start += 4;
		bp_scan(bp, d, ra_start, 3, &ra_start, &found);
	}

	const char *prog;
	size_t plen;
	bool recover_ebp = true;
	if (w->has_program) {
		prog = bp_text(sf, w->program);
		plen = w->program.len;
	} else if (w->allocates_base_pointer) {
		prog = "$eip .raSearchStart ^ = "
		       "$ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = "
		       "$esp .raSearchStart 4 + =";
		plen = strlen(prog);
	} else {
		prog = have_ebx ? "$eip .raSearchStart ^ = "
				  "$esp .raSearchStart 4 + = $ebx $ebx ="
				: "$eip .raSearchStart ^ = "
				  "$esp .raSearchStart 4 + =";
		plen = strlen(prog);
		recover_ebp = false;
	}
	if (memchr(prog, '@', plen))
		ra_start = (ebp + 4) & 0xffffffffu;
	pf_vars_set(&vars, ".raSearchStart", ra_start);
	pf_vars_set(&vars, ".raSearch", ra_start);

	struct bp_env_ctx ec = { d, callee };
	struct pf_env env = { 4, NULL, bp_env_deref, &ec };
	const struct pf_var *v_eip, *v_esp;
	if (!pf_eval(prog, plen, &vars, &env, NULL) ||
	    !(v_eip = pf_vars_get(&vars, "$eip")) || !v_eip->assigned ||
	    !(v_esp = pf_vars_get(&vars, "$esp")) || !v_esp->assigned)
		return false;	/* Breakpad scans here; the walker will */

	uint64_t new_eip = v_eip->value, new_esp = v_esp->value;
	const struct pf_var *v_ebp = pf_vars_get(&vars, "$ebp");
	uint64_t new_ebp = v_ebp ? v_ebp->value : 0;

	if (new_eip != 0 || new_ebp != 0) {
		uint64_t offset = 0;
		bool scanned = false;
		if (!cr_dump_module_at(d, new_eip)) {
			uint64_t start = (ra_start + 4) & 0xffffffffu, loc, ip;
			unsigned words = first ? BP_RA_SEARCH_WORDS * 4
					       : BP_RA_SEARCH_WORDS;
			if (bp_scan(bp, d, start, words, &loc, &ip)) {
				new_eip = ip;
				new_esp = (loc + 4) & 0xffffffffu;
				offset = loc - start;
				scanned = true;
			}
		}
		if (recover_ebp) {
			uint64_t value;
			bool skipped = scanned && new_ebp <= ra_start + offset;
			if (skipped || !cr_dump_read_word(d, new_ebp, &value)) {
				uint64_t lo = (esp + callee_params) & 0xffffffffu;
				uint64_t hi = lo + w->saved_register_size + offset;
				/* .cbSavedRegs comes from the symbol
				 * file: look at BP_EBP_SEARCH_WORDS words
				 * at most, not up to 4 GB per frame. */
				for (uint64_t loc = hi, k = 0;
				     loc >= lo && k < BP_EBP_SEARCH_WORDS;
				     loc -= 4, k++) {
					uint64_t cand;
					if (!cr_dump_read_word(d, loc, &cand))
						break;
					if (cr_dump_read_word(d, cand, &value)) {
						new_ebp = cand;
						break;
					}
					if (loc < 4)
						break;
				}
			}
		}
	}

	memset(caller, 0, sizeof(*caller));
	cr_regs_set(caller, X86_EIP, new_eip);
	cr_regs_set(caller, X86_ESP, new_esp);
	cr_regs_set(caller, X86_EBP, new_ebp);
	static const struct { const char *name; unsigned n; } nonvolatile[] = {
		{ "$ebx", X86_EBX }, { "$esi", X86_ESI }, { "$edi", X86_EDI },
	};
	for (size_t i = 0; i < 3; i++) {
		const struct pf_var *v = pf_vars_get(&vars, nonvolatile[i].name);
		if (v && v->assigned)
			cr_regs_set(caller, nonvolatile[i].n, v->value);
	}
	return true;
}

/* --- the step ------------------------------------------------------------- */

enum cr_step_result bp_step(void *ctx, const struct cr_dump *d,
			    const struct cr_regs *callee, bool first,
			    struct cr_regs *caller)
{
	struct cr_breakpad *bp = ctx;
	enum cr_arch arch = d->process.arch;
	unsigned pcr = cr_arch_pc_reg(arch), spr = cr_arch_sp_reg(arch);
	uint64_t pc, sp;
	if (!cr_regs_get(callee, pcr, &pc) || !cr_regs_get(callee, spr, &sp))
		return CR_STEP_NONE;

	/* The parameter size found at the previous (inner) frame. */
	uint32_t callee_params = 0;
	if (!first && bp->prev_valid && bp->prev_param_valid &&
	    sp >= bp->prev_sp)
		callee_params = bp->prev_param;
	bp->prev_valid = true;
	bp->prev_sp = sp;
	bp->prev_param_valid = false;

	uint64_t lookup = first ? pc : pc - 1;
	const struct cr_module *m = cr_dump_module_at(d, lookup);
	if (!m)
		return CR_STEP_NONE;
	struct bp_symfile *sf = bp_module_symfile(bp, (size_t)(m - d->modules));
	if (!sf)
		return CR_STEP_NONE;
	uint64_t off = lookup - m->base;

	bool ok = false;
	if (arch == CR_ARCH_X86) {
		const struct bp_win *w = bp_win_at(sf, BP_WIN_FRAME_DATA, off);
		if (!w)
			w = bp_win_at(sf, BP_WIN_FPO, off);
		if (w) {
			bp->prev_param_valid = true;
			bp->prev_param = w->parameter_size;
			ok = bp_step_win(bp, sf, w, first, callee_params, d,
					 callee, caller);
		} else {
			uint32_t ps;
			if (bp_func_at(sf, off, NULL, &ps)) {
				bp->prev_param_valid = true;
				bp->prev_param = ps;
			}
		}
	}
	if (!ok)
		ok = bp_step_cfi(sf, off, d, callee, caller);
	if (!ok)
		return CR_STEP_NONE;

	/* Breakpad's TerminateWalk: a zero pc ends the stack; the stack
	 * grows down, so the caller's sp must be above the callee's (equal
	 * allowed for the first unwind: a leaf that pushed nothing). */
	uint64_t cpc, csp;
	if (!cr_regs_get(caller, pcr, &cpc) || !cr_regs_get(caller, spr, &csp))
		return CR_STEP_NONE;
	if (cpc == 0)
		return CR_STEP_END;
	if (csp < sp || (csp == sp && !first))
		return CR_STEP_NONE;
	return CR_STEP_OK;
}
