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
 *
 * Most minidumps (MiniDumpNormal) hold no module images.  For a module
 * whose header or .pdata is not in dump memory, the module file is looked
 * for in each --image-dir (by base name, then case-insensitively) and under
 * --sysroot (the Windows path without its drive), and read through
 * formats/pe_file.c at the module's base.  A file is used only when its
 * COFF TimeDateStamp and SizeOfImage are those the dump recorded (the
 * Breakpad code id "TIMESTAMPsizeofimage", or the module size alone): a
 * different build would give wrong unwind rules, so it is refused and
 * reported (pe_refused_file).
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "pe.h"
#include "symtab.h"
#include "passes.h"
#include "walk.h"
#include "debuginfo.h"
#include "safe_open.h"
#include "file_cache.h"
#include "util.h"

#define PE_MAX_CHAIN 32		/* chained unwind infos followed per frame */
#define PE_MAX_INDIRECT 4	/* indirect RUNTIME_FUNCTION entries followed */

/* x64 unwind register numbers (pe.h) that matter here. */
#define X64_RSP 4

struct pe_module {
	bool present;		/* a PE module whose header is in memory, or
				 * whose file may be found */
	bool tried_image, image_ok;
	struct pe_image img;
	bool has_file;		/* img reads FILE, not dump memory */
	struct pe_file file;	/* a view of the file cache's parse */
	char *refused;		/* a file that did not match, NULL none */
	char *used;		/* the file read for the image, NULL none */
	bool tried_exports;
	struct pe_exports exports;
	bool tried_pdata;
	struct pe_pdata pdata;
};

struct cr_pe {
	const struct cr_dump *d;
	struct cr_file_cache *cache;	/* where module files are parsed */
	struct cr_file_cache *own_cache;	/* the private one, NULL when
					 * the options gave one */
	const char *sysroot;		/* borrowed from the options */
	const char **image_dirs;	/* borrowed, NULL-terminated */
	struct pe_module *mods;	/* parallel to d->modules */
	size_t nmods;
};

struct cr_error *pe_open(const struct cr_dump *d, const struct cr_options *opts,
			 struct cr_pe **out)
{
	*out = NULL;
	struct cr_pe *pe = calloc(1, sizeof(*pe));
	if (!pe)
		return &cr_enomem;
	pe->d = d;
	pe->cache = opts ? opts->file_cache : NULL;
	if (!pe->cache && !(pe->cache = pe->own_cache = cr_file_cache_new())) {
		free(pe);
		return &cr_enomem;
	}
	pe->sysroot = opts && opts->sysroot && opts->sysroot[0] ? opts->sysroot
								: NULL;
	pe->image_dirs = opts && opts->image_dirs && opts->image_dirs[0]
				 ? opts->image_dirs : NULL;
	bool files = pe->sysroot || pe->image_dirs;
	pe->nmods = d->nmodules;
	pe->mods = calloc(d->nmodules ? d->nmodules : 1, sizeof(*pe->mods));
	if (!pe->mods) {
		pe_free(pe);
		return &cr_enomem;
	}
	for (size_t i = 0; i < d->nmodules; i++) {
		uint8_t mz[2];
		const struct cr_module *m = &d->modules[i];
		pe->mods[i].present = m->kind == CR_MODULE_PE &&
			((cr_dump_read(d, m->base, mz, 2) == 2 &&
			  mz[0] == 'M' && mz[1] == 'Z') || (files && m->path));
	}
	*out = pe;
	return NULL;
}

void pe_free(struct cr_pe *pe)
{
	if (!pe)
		return;
	for (size_t i = 0; pe->mods && i < pe->nmods; i++) {
		pe_exports_free(&pe->mods[i].exports);
		pe_pdata_free(&pe->mods[i].pdata);
		free(pe->mods[i].refused);
		free(pe->mods[i].used);
	}
	free(pe->mods);
	cr_file_cache_free(pe->own_cache);
	free(pe);
}

/* --- module files ---------------------------------------------------------- */

/*
 * The TimeDateStamp and SizeOfImage the dump recorded for M: from its code
 * id ("%08X%x", as minidump_modules.c writes it) or, without one, the size
 * alone (*HAVE_STAMP false).  False when neither is known.
 */
static bool expected_ids(const struct cr_module *m, bool *have_stamp,
			 uint32_t *stamp, uint32_t *size)
{
	*have_stamp = false;
	const char *id = m->code_id;
	size_t n = id ? strlen(id) : 0;
	if (n > 8 && n <= 16 && strspn(id, "0123456789abcdefABCDEF") == n) {
		char ts[9], *end;
		memcpy(ts, id, 8);
		ts[8] = 0;
		unsigned long long t = strtoull(ts, &end, 16);
		if (*end == 0) {
			unsigned long long z = strtoull(id + 8, &end, 16);
			if (*end == 0 && z <= UINT32_MAX) {
				*have_stamp = true;
				*stamp = (uint32_t)t;
				*size = (uint32_t)z;
				return true;
			}
		}
	}
	if (!m->size || m->size > UINT32_MAX)
		return false;
	*size = (uint32_t)m->size;
	return true;
}

/* DIR/NAME, or the entry of DIR whose name equals NAME ignoring case
 * (Windows names: "KERNEL32.dll" for kernel32.dll); NULL none. */
static char *find_in_dir(const char *dir, const char *name)
{
	char *path = cr_strdup_printf("%s/%s", dir, name);
	if (!path || access(path, F_OK) == 0)
		return path;
	free(path);
	DIR *dh = opendir(dir);
	if (!dh)
		return NULL;
	char *found = NULL;
	struct dirent *e;
	while (!found && (e = readdir(dh)))
		if (strcasecmp(e->d_name, name) == 0)
			found = cr_strdup_printf("%s/%s", dir, e->d_name);
	closedir(dh);
	return found;
}

/* The Windows path without its drive, with slashes: a name inside the
 * sysroot (resolved there by cr_safe_open, so ".." cannot leave it). */
static char *sysroot_path(const char *path)
{
	if (isalpha((unsigned char)path[0]) && path[1] == ':')
		path += 2;
	char *p = cr_strdup_printf("/%s", path + (*path == '\\' || *path == '/'));
	for (char *q = p; q && *q; q++)
		if (*q == '\\')
			*q = '/';
	return p;
}

/*
 * Try the file NAME under ROOT (cr_safe_open; ROOT NULL: NAME is a path in
 * the user's image dir) for module I: open it, compare its ids with the
 * dump's and open the image through it.  True when PM now reads the file;
 * a file that does not match is remembered in PM->refused.
 */
static bool try_file(struct cr_pe *pe, size_t i, struct pe_module *pm,
		     const char *root, const char *name)
{
	const struct cr_module *m = &pe->d->modules[i];
	bool have_stamp;
	uint32_t stamp = 0, size = 0;
	if (!expected_ids(m, &have_stamp, &stamp, &size))
		return false;	/* nothing to check a file against */
	int fd = cr_safe_open(root, name);
	if (fd < 0)
		return false;
	char *path = cr_rooted_path(root, name);
	struct pe_file f;
	struct cr_error *err = cr_file_cache_pe(pe->cache, fd, path ? path : name,
						m->base, &f);
	if (err) {
		cr_error_free(err);
		free(path);
		return false;
	}
	if ((have_stamp && f.timestamp != stamp) || f.size_of_image != size) {
		if (!pm->refused)
			pm->refused = path;
		else
			free(path);
		return false;
	}
	pm->file = f;	/* before pe_mem_file: the pe_mem points at it */
	struct pe_image img;
	if ((err = pe_image_open(pe_mem_file(&pm->file), m->base, m->size, &img))) {
		cr_error_free(err);
		pm->file = (struct pe_file){ 0 };
		free(path);
		return false;
	}
	pm->img = img;
	pm->has_file = true;
	pm->used = path;
	return true;
}

/* Look for module I's file in the image dirs, then under the sysroot. */
static bool find_file(struct cr_pe *pe, size_t i, struct pe_module *pm)
{
	const char *mpath = pe->d->modules[i].path;
	if (!mpath || !*cr_basename(mpath))
		return false;
	for (size_t k = 0; pe->image_dirs && pe->image_dirs[k]; k++) {
		char *path = find_in_dir(pe->image_dirs[k], cr_basename(mpath));
		bool ok = path && try_file(pe, i, pm, NULL, path);
		free(path);
		if (ok)
			return true;
	}
	if (pe->sysroot) {
		char *path = sysroot_path(mpath);
		bool ok = path && try_file(pe, i, pm, pe->sysroot, path);
		free(path);
		if (ok)
			return true;
	}
	return false;
}

/* Is the start of IMG's exception directory in dump memory? */
static bool pdata_in_memory(const struct cr_dump *d, const struct pe_image *img)
{
	uint8_t b[12];
	return !img->pdata_rva || img->pdata_size < 12 ||
	       cr_dump_read(d, img->base + img->pdata_rva, b, sizeof(b)) == sizeof(b);
}

/* The image of module I, read on first use (from dump memory, else from
 * the module file); NULL when it cannot be. */
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
		if ((!pm->image_ok || !pdata_in_memory(pe->d, &pm->img)) &&
		    (pe->image_dirs || pe->sysroot) && find_file(pe, i, pm))
			pm->image_ok = true;
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

void pe_report(struct cr_pe *pe, struct cr_analysis *a)
{
	for (size_t i = 0; pe && i < pe->d->nmodules && i < a->nmodules; i++) {
		const struct pe_module *pm = &pe->mods[i];
		struct cr_module_analysis *ma = &a->modules[i];
		if (pm->used && !ma->file)
			ma->file = strdup(pm->used);
		if (pm->refused && !pm->used) {
			ma->mismatch = true;
			cr_analysis_problem_at(a, &(const struct cr_diag_at){
						       /* the file is not used, as if
							* absent: nothing of the dump
							* is missing */
						       .severity = CR_SEVERITY_INFO,
						       .source = CR_SOURCE_SYMBOLIZER,
						       .origin = "pe" },
					       "module %s: %s is another build "
					    "(TimeDateStamp or SizeOfImage differ): not used",
					    pe->d->modules[i].path, pm->refused);
		}
	}
}

const char *pe_refused_file(const struct cr_pe *pe, size_t module)
{
	return pe && module < pe->nmods && !pe->mods[module].has_file
		       ? pe->mods[module].refused : NULL;
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
