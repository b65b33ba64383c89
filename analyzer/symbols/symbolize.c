/*
 * symbolize.c - program counter -> module, function, source line, inlined
 * calls; through one libdwfl session built from the dump's module list.
 *
 * Why a session of our own rather than dwfl_core_file_report(): the model
 * is format-neutral (a minidump fills it too), and libdwfl's core reader
 * reads memory through elf_getdata_rawchunk(), which is quadratic on deep
 * stacks in elfutils 0.188.  Modules are reported with dwfl_report_module()
 * and their build ids; our find_elf callback decides which file is the
 * module (see symtab.h) and records what it found for the report.
 *
 * DWARF cost: elfutils decompresses every debug section of a file when it
 * first opens its DWARF; for Debian's libc6-dbg that is ~230 million
 * instructions (~60 ms), more than everything else coroner does on a
 * 10-thread core.  So system libraries (SYSTEM_DIRS) get source lines and
 * inlined calls only where the crash happened inside them: the top frames
 * of the crashing thread down to its first frame outside them (FULL
 * lookups, unwind.c), or everywhere with --all-lines; their function names
 * come from the ELF symbol tables, which are cheap.
 *
 * The cache: an open-addressing table from lookup pc to struct cr_sym.
 * Strings are interned in a second table so that the stack folding and
 * thread grouping can compare frames by pointer.
 */
#include "symtab.h"

#include <dwarf.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "debuginfo.h"
#include "demangle.h"
#include "file_cache.h"
#include "dwarf_layout.h"
#include "passes.h"
#include "safe_open.h"
#include "symindex.h"
#include "walk.h"
#include "util.h"

#define MAX_INLINE_DEPTH 64	/* inlined calls kept per pc */
/* libdwfl's search path: one absolute directory that is not there (see
 * cr_symtab_new).  Not "/dev/null": libdwfl goes on to debuginfod only
 * when its own search fails with ENOENT, and below a device it is ENOTDIR. */
static char NO_DEBUGINFO_PATH[] = "/nonexistent-coroner";

#define MAX_MEMORY_IMAGE (4u << 20)	/* largest module read from dump memory */

/* Where a dump names system libraries (see "DWARF cost" above). */
static const char *const SYSTEM_DIRS[] = {
	"/lib/", "/lib64/", "/lib32/", "/usr/lib/", "/usr/lib64/", "/usr/lib32/",
};

struct modslot {
	struct cr_symtab *st;
	size_t index;		/* into dump->modules */
	Dwfl_Module *mod;
	char *found;		/* file used, as shown in the report */
	const char *found_root;	/* where FOUND_NAME was resolved, NULL -e */
	char *found_name;	/* its name there */
	bool host_file;		/* this machine's file, no sysroot given */
	bool mismatch;
	bool from_memory;
	void *mem_image;	/* owned copy for elf_memory() */
	struct cr_symindex *symidx;	/* built on the first lookup */
	bool symidx_tried;
	struct cr_file_id file_id;	/* the module's file (find_elf) */
	struct cr_file_id debug_id;	/* its debug file (find_debuginfo) */
	bool debug_seen;
	const struct cr_symsource *source;	/* module_source() */
	bool source_tried;
};

struct strpool {
	char **slots;
	size_t cap, used;
};

struct symcache {
	struct cr_sym **slots;
	size_t cap, used;
};

struct cr_symtab {
	const struct cr_dump *d;
	const struct cr_options *opts;
	Dwfl *dwfl;
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
	struct modslot *slots;	/* one per dump module */
	Elf *arch_elf;
	unsigned char arch_elf_buf[64];
	struct strpool pool;
	struct symcache cache;
	struct symcache data_cache;	/* cr_symtab_lookup_data's */
	const struct cr_sym_provider *providers[CR_MAX_PROVIDERS];
	size_t nproviders;
	size_t unreported;	/* modules left out (CR_MAX_DWFL_MODULES) */
	struct cr_layout_cache *layouts;	/* dwarf_layout.c */
};

struct cr_layout_cache **cr_symtab_layout_cache(struct cr_symtab *st)
{
	return &st->layouts;
}

void cr_symtab_add_provider(struct cr_symtab *st,
			    const struct cr_sym_provider *prov)
{
	if (!prov)
		st->nproviders = 0;
	else if (st->nproviders < CR_MAX_PROVIDERS)
		st->providers[st->nproviders++] = prov;
}

/* Ask the providers (PE exports, Breakpad symbols) for S; true if one knew. */
static bool provide(struct cr_symtab *st, struct cr_sym *s)
{
	struct cr_symframe fr[MAX_INLINE_DEPTH];
	if (s->module < 0)
		return false;
	for (size_t i = 0; i < st->nproviders; i++) {
		const struct cr_sym_provider *p = st->providers[i];
		unsigned n = p->lookup(p->ctx, st->d, (size_t)s->module,
				       s->module_offset, fr, MAX_INLINE_DEPTH);
		if (!n)
			continue;
		if (n > MAX_INLINE_DEPTH)
			n = MAX_INLINE_DEPTH;
		for (unsigned k = 0; k < n; k++) {
			fr[k].function = cr_symtab_intern(st, fr[k].function);
			fr[k].file = cr_symtab_intern(st, fr[k].file);
		}
		struct cr_symframe *copy = malloc(n * sizeof(*copy));
		if (!copy)
			return false;
		memcpy(copy, fr, n * sizeof(*copy));
		free(s->frames);
		s->frames = copy;
		s->nframes = n;
		return true;
	}
	return false;
}

/* --- string pool ----------------------------------------------------- */

static uint64_t hash_bytes(const char *s)
{
	return cr_fnv1a(CR_FNV1A_INIT, s, strlen(s));
}

static uint64_t hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static bool pool_grow(struct strpool *p)
{
	size_t ncap = p->cap ? p->cap * 2 : 1024;
	char **n = calloc(ncap, sizeof(*n));
	if (!n)
		return false;
	for (size_t i = 0; i < p->cap; i++) {
		if (!p->slots[i])
			continue;
		size_t j = hash_bytes(p->slots[i]) & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = p->slots[i];
	}
	free(p->slots);
	p->slots = n;
	p->cap = ncap;
	return true;
}

const char *cr_symtab_intern(struct cr_symtab *st, const char *s)
{
	struct strpool *p = &st->pool;
	if (!s)
		return NULL;
	if ((p->used + 1) * 2 > p->cap && !pool_grow(p))
		return NULL;
	size_t j = hash_bytes(s) & (p->cap - 1);
	while (p->slots[j]) {
		if (strcmp(p->slots[j], s) == 0)
			return p->slots[j];
		j = (j + 1) & (p->cap - 1);
	}
	char *c = strdup(s);
	if (!c)
		return NULL;
	p->slots[j] = c;
	p->used++;
	return c;
}

/* --- finding files ------------------------------------------------------ */

/*
 * Open NAME under ROOT (cr_safe_open: a dump-named path stays inside ROOT
 * and only a regular file is opened) as an ELF file whose build id
 * matches M's (when M has one).
 */
static int try_open(struct modslot *ms, const char *root, const char *name,
		    Elf **elfp)
{
	const struct cr_module *m = &ms->st->d->modules[ms->index];
	int fd = cr_safe_open(root, name);
	if (fd < 0)
		return -1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -1;
	}
	if (m->build_id_len &&
	    !cr_elf_build_id_is(elf, m->build_id, m->build_id_len)) {
		ms->mismatch = true;
		elf_end(elf);
		close(fd);
		return -1;
	}
	*elfp = elf;
	return fd;
}

/* The module's image copied out of dump memory (e.g. the vdso). */
static Elf *memory_image(struct modslot *ms)
{
	const struct cr_dump *d = ms->st->d;
	const struct cr_module *m = &d->modules[ms->index];
	/* At least an ELF header's worth: the magic is compared below, and
	 * a module of 2 bytes is no image. */
	if (m->kind != CR_MODULE_ELF || m->size < EI_NIDENT ||
	    m->size > MAX_MEMORY_IMAGE)
		return NULL;
	void *buf = malloc(m->size);
	if (!buf)
		return NULL;
	if (cr_dump_read(d, m->base, buf, m->size) != m->size ||
	    memcmp(buf, ELFMAG, SELFMAG) != 0) {
		free(buf);
		return NULL;
	}
	Elf *elf = elf_memory(buf, m->size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		free(buf);
		return NULL;
	}
	if (m->build_id_len &&
	    !cr_elf_build_id_is(elf, m->build_id, m->build_id_len)) {
		elf_end(elf);
		free(buf);
		return NULL;
	}
	ms->mem_image = buf;
	ms->from_memory = true;
	return elf;
}

/* A place to look for a module's file: NAME resolved inside ROOT. */
struct cand {
	const char *root;	/* NULL: the user's own path (-e) */
	char *name;
	bool host;		/* this machine's file for a dump's path */
};

/*
 * libdwfl's find_elf: the module's file from, in order, -e (the main
 * module), each --image-dir (by base name), the sysroot (by the dump's
 * path, resolved inside it), this machine's path when no sysroot was
 * given, the build-id trees; else the image in dump memory.  With a
 * sysroot, this machine's files are never tried by the dump's path: they
 * belong to another machine.
 */
static int find_elf(Dwfl_Module *mod, void **userdata, const char *modname,
		    Dwarf_Addr base, char **file_name, Elf **elfp)
{
	(void)mod, (void)modname, (void)base;
	struct modslot *ms = *userdata;
	struct cr_symtab *st = ms->st;
	const struct cr_module *m = &st->d->modules[ms->index];
	const struct cr_options *o = st->opts;
	struct cand cand[48];
	size_t nc = 0;

	*elfp = NULL;
	*file_name = NULL;
	if (!m->path || m->kind != CR_MODULE_ELF)
		goto memory;
	if (m->is_main && o->executable)
		cand[nc++] = (struct cand){ NULL, strdup(o->executable), false };
	for (const char **dir = o->image_dirs; dir && *dir && nc < 40; dir++)
		cand[nc++] = (struct cand){ *dir, strdup(cr_basename(m->path)), false };
	if (o->sysroot && m->path[0] == '/')
		cand[nc++] = (struct cand){ o->sysroot, strdup(m->path), false };
	if (!o->sysroot && m->path[0] == '/')
		cand[nc++] = (struct cand){ "/", strdup(m->path), true };

	int fd = -1;
	for (size_t i = 0; i < nc; i++) {
		if (fd < 0 && cand[i].name &&
		    (fd = try_open(ms, cand[i].root, cand[i].name, elfp)) >= 0) {
			ms->found_root = cand[i].root;
			ms->found_name = cand[i].name;
			ms->host_file = cand[i].host;
			cand[i].name = NULL;
		}
		free(cand[i].name);
	}
	if (fd < 0 && m->build_id_len) {
		char *found = NULL;
		fd = cr_find_by_build_id(o, m->build_id, m->build_id_len, "",
					 &found);
		if (fd >= 0) {
			*elfp = elf_begin(fd, ELF_C_READ_MMAP, NULL);
			if (!*elfp || elf_kind(*elfp) != ELF_K_ELF) {
				if (*elfp)
					elf_end(*elfp);
				*elfp = NULL;
				close(fd);
				fd = -1;
				free(found);
			} else {
				ms->found_root = "/";
				ms->found_name = found;
			}
		}
	}
	if (fd >= 0) {
		cr_file_id_of(fd, &ms->file_id);
		ms->found = cr_rooted_path(ms->found_root, ms->found_name);
		*file_name = ms->found ? strdup(ms->found) : NULL;
		return fd;
	}
memory:
	*elfp = memory_image(ms);
	if (*elfp)
		ms->found = cr_strdup_printf("(image in dump memory)");
	return -1;
}

/*
 * libdwfl's find_debuginfo: the separate debug file of a module whose
 * file has no DWARF, by build id and then .gnu_debuglink (debuginfo.c).
 * debuginfod only when the user set DEBUGINFOD_URLS: that is the user
 * allowing downloads, and libdwfl's client names its cache files by build
 * id (hex), not by anything else from the dump.
 */
static int search_debuginfo(const struct cr_options *o, const char *found_root,
			    const char *found_name, Dwfl_Module *mod,
			    void **userdata, const char *modname,
			    Dwarf_Addr base, const char *file_name,
			    const char *debuglink_file, GElf_Word debuglink_crc,
			    char **debuginfo_file_name)
{
	const unsigned char *id = NULL;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &id, &vaddr);
	size_t id_len = len > 0 ? (size_t)len : 0;
	*debuginfo_file_name = NULL;
	/* The dwz file of a debug file found already (crc 0, see
	 * cr_find_altlink), else the module's own debug file. */
	int fd = debuglink_crc == 0 ? cr_find_altlink(o, file_name, debuglink_file,
						      debuginfo_file_name) : -1;
	if (fd >= 0)
		return fd;
	fd = id_len ? cr_find_by_build_id(o, id, id_len, ".debug",
					  debuginfo_file_name) : -1;
	if (fd < 0 && found_name)
		fd = cr_find_debuglink(o, found_root, found_name,
				       debuglink_file, debuglink_crc, id, id_len,
				       debuginfo_file_name);
	const char *urls = getenv("DEBUGINFOD_URLS");
	if (fd < 0 && id_len && urls && urls[0]) {
		void *ours = *userdata;
		fd = dwfl_standard_find_debuginfo(mod, userdata, modname, base,
						  file_name, debuglink_file,
						  debuglink_crc,
						  debuginfo_file_name);
		*userdata = ours;
	}
	return fd;
}

/*
 * The same, noting the identity of the module's debug file (its first
 * search: a dwz file comes later) for the symbol index's key.
 */
static int find_debuginfo(Dwfl_Module *mod, void **userdata,
			  const char *modname, Dwarf_Addr base,
			  const char *file_name, const char *debuglink_file,
			  GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	struct modslot *ms = *userdata;
	int fd = search_debuginfo(ms->st->opts, ms->found_root, ms->found_name,
				  mod, userdata, modname, base, file_name,
				  debuglink_file, debuglink_crc,
				  debuginfo_file_name);
	if (!ms->debug_seen) {
		ms->debug_seen = true;
		cr_file_id_of(fd, &ms->debug_id);
	}
	return fd;
}

/* --- session ------------------------------------------------------------ */

static unsigned elf_machine(enum cr_arch a)
{
	switch (a) {
	case CR_ARCH_X86_64: return EM_X86_64;
	case CR_ARCH_X86: return EM_386;
	case CR_ARCH_AARCH64: return EM_AARCH64;
	case CR_ARCH_ARM: return EM_ARM;
	case CR_ARCH_PPC: return EM_PPC;
	case CR_ARCH_PPC64: return EM_PPC64;
	case CR_ARCH_S390X: return EM_S390;
	default: return EM_NONE;
	}
}

/* A bare ELF header that tells libdwfl's unwinder the architecture. */
static Elf *make_arch_elf(struct cr_symtab *st)
{
	const struct cr_process *p = &st->d->process;
	unsigned machine = elf_machine(p->arch);
	if (machine == EM_NONE)
		return NULL;
	unsigned char *b = st->arch_elf_buf;
	bool is64 = p->pointer_size == 8;
	memset(b, 0, sizeof(st->arch_elf_buf));
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = is64 ? ELFCLASS64 : ELFCLASS32;
	b[EI_DATA] = p->big_endian ? ELFDATA2MSB : ELFDATA2LSB;
	b[EI_VERSION] = EV_CURRENT;
	size_t ehsize = is64 ? 64 : 52;
	/* e_type (16..17), e_machine (18..19), e_version (20..23). */
#define PUT16(off, v) do { if (p->big_endian) { b[off] = (v) >> 8; b[off + 1] = (v) & 0xff; } \
		else { b[off] = (v) & 0xff; b[off + 1] = (v) >> 8; } } while (0)
	PUT16(16, ET_CORE);
	PUT16(18, machine);
	if (p->big_endian)
		b[23] = EV_CURRENT;
	else
		b[20] = EV_CURRENT;
	PUT16(is64 ? 52 : 40, ehsize);	/* e_ehsize */
#undef PUT16
	return elf_memory((char *)b, ehsize);
}

/*
 * Which modules go to libdwfl (see CR_MAX_DWFL_MODULES): all of them when
 * few enough, else those holding a thread's pc first, then the others in
 * address order up to the limit.  A calloc'd flag per module; NULL out of
 * memory.
 */
static bool *pick_modules(struct cr_symtab *st)
{
	const struct cr_dump *d = st->d;
	bool *pick = calloc(d->nmodules ? d->nmodules : 1, sizeof(*pick));
	if (!pick)
		return NULL;
	size_t n = 0;
	if (d->nmodules <= CR_MAX_DWFL_MODULES) {
		for (size_t i = 0; i < d->nmodules; i++)
			pick[i] = true;
		return pick;
	}
	for (size_t t = 0; t < d->nthreads && n < CR_MAX_DWFL_MODULES; t++) {
		uint64_t pc;
		const struct cr_module *m;
		if (cr_thread_pc(d, &d->threads[t], &pc) &&
		    (m = cr_dump_module_at(d, pc)) && !pick[m - d->modules]) {
			pick[m - d->modules] = true;
			n++;
		}
	}
	for (size_t i = 0; i < d->nmodules && n < CR_MAX_DWFL_MODULES; i++)
		if (!pick[i]) {
			pick[i] = true;
			n++;
		}
	st->unreported = d->nmodules - n;
	return pick;
}

size_t cr_symtab_unreported(const struct cr_symtab *st)
{
	return st->unreported;
}

struct cr_error *cr_symtab_new(const struct cr_dump *d,
			       const struct cr_options *opts,
			       struct cr_symtab **out)
{
	*out = NULL;
	elf_version(EV_CURRENT);
	struct cr_symtab *st = calloc(1, sizeof(*st));
	if (!st)
		return &cr_enomem;
	st->d = d;
	st->opts = opts;

	/* libdwfl's own search path, used only on the way to debuginfod
	 * (find_debuginfo): one directory that is not there, so that
	 * dwfl_standard_find_debuginfo opens nothing a dump names (it would,
	 * with plain blocking open()s, beside the module file and in the
	 * build-id trees we searched already) and goes on to the debuginfod
	 * client, which is what dwfl_build_id_find_debuginfo never does. */
	st->debuginfo_path = NO_DEBUGINFO_PATH;
	st->callbacks.find_elf = find_elf;
	st->callbacks.find_debuginfo = find_debuginfo;
	st->callbacks.section_address = dwfl_offline_section_address;
	st->callbacks.debuginfo_path = &st->debuginfo_path;
	st->dwfl = dwfl_begin(&st->callbacks);
	if (!st->dwfl) {
		cr_symtab_free(st);
		return cr_error_new(CR_ERR_INTERNAL, "libdwfl: %s",
				    dwfl_errmsg(-1));
	}

	st->slots = calloc(d->nmodules ? d->nmodules : 1, sizeof(*st->slots));
	if (!st->slots) {
		cr_symtab_free(st);
		return &cr_enomem;
	}
	bool *pick = pick_modules(st);
	if (!pick) {
		cr_symtab_free(st);
		return &cr_enomem;
	}
	dwfl_report_begin(st->dwfl);
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct cr_module *m = &d->modules[i];
		struct modslot *ms = &st->slots[i];
		ms->st = st;
		ms->index = i;
		uint64_t end;
		if (!pick[i] || m->size == 0 ||
		    cr_add_overflows(m->base, m->size, &end))
			continue;
		Dwfl_Module *mod = dwfl_report_module(
			st->dwfl, m->path ? m->path : "(unnamed)", m->base, end);
		if (!mod) {
			/* Overlapping modules are refused by libdwfl. */
			continue;
		}
		if (m->build_id_len)
			dwfl_module_report_build_id(mod, m->build_id,
						    m->build_id_len, 0);
		void **ud;
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		*ud = ms;
		ms->mod = mod;
	}
	dwfl_report_end(st->dwfl, NULL, NULL);
	free(pick);
	st->arch_elf = make_arch_elf(st);
	*out = st;
	return NULL;
}

void cr_symtab_free(struct cr_symtab *st)
{
	if (!st)
		return;
	cr_layout_cache_free(st->layouts);	/* its DIEs point into dwfl */
	if (st->dwfl)
		dwfl_end(st->dwfl);
	if (st->arch_elf)
		elf_end(st->arch_elf);
	if (st->slots) {
		for (size_t i = 0; i < st->d->nmodules; i++) {
			free(st->slots[i].found);
			free(st->slots[i].found_name);
			free(st->slots[i].mem_image);
			cr_symindex_free(st->slots[i].symidx);
		}
		free(st->slots);
	}
	struct symcache *caches[] = { &st->cache, &st->data_cache };
	for (size_t k = 0; k < ARRAY_LEN(caches); k++) {
		for (size_t i = 0; i < caches[k]->cap; i++) {
			if (caches[k]->slots[i]) {
				free(caches[k]->slots[i]->frames);
				free(caches[k]->slots[i]);
			}
		}
		free(caches[k]->slots);
	}
	for (size_t i = 0; i < st->pool.cap; i++)
		free(st->pool.slots[i]);
	free(st->pool.slots);
	free(st);
}

Dwfl *cr_symtab_dwfl(struct cr_symtab *st)
{
	return st->dwfl;
}

Elf *cr_symtab_arch_elf(struct cr_symtab *st)
{
	return st->arch_elf;
}

/* --- DWARF kept across dumps ------------------------------------------ */

/*
 * A module file's DWARF for a batch worker: libdw decompresses and indexes
 * a debug file's DWARF when it first opens it (Debian's libc6-dbg: about
 * 190 ms, ten times the analysis of a small core), and a dump that crashed
 * inside libc (abort(), a failed assertion) asks libc for source lines.
 * So the file cache keeps, per module file, a libdwfl session of its own
 * holding that one module at the address its first dump had it; a later
 * dump's pc is moved there (the same file: the same layout) and asked of
 * it.  Its files are the per-dump session's: the module file by the name
 * find_elf found it by, the same identity, and the debug file by the same
 * search; what it answers is copied out (interned) before it is left.
 */
struct cr_dwarf_shadow {
	pthread_mutex_t lock;	/* one analysis at a time asks it */
	Dwfl *dwfl;
	Dwfl_Module *mod;
	Dwfl_Callbacks callbacks;
	char *debuginfo_path;
	uint64_t base;		/* where the module is in this session */
	/* What the searches need, the shadow's own copies. */
	struct cr_options opts;
	char *sysroot;
	char **debug_dirs;
	char *root, *name;	/* the module file (found_root, found_name) */
	struct cr_file_id file_id;
};

static int shadow_find_elf(Dwfl_Module *mod, void **userdata,
			   const char *modname, Dwarf_Addr base,
			   char **file_name, Elf **elfp)
{
	(void)mod, (void)modname, (void)base;
	struct cr_dwarf_shadow *sh = *userdata;
	struct cr_file_id id;
	*elfp = NULL;
	*file_name = NULL;
	int fd = cr_safe_open(sh->root, sh->name);
	/* Only the file the dumps' sessions had. */
	if (fd >= 0 && (!cr_file_id_of(fd, &id) ||
			!cr_file_id_same(&id, &sh->file_id) ||
			!(*elfp = elf_begin(fd, ELF_C_READ_MMAP, NULL)) ||
			elf_kind(*elfp) != ELF_K_ELF)) {
		if (*elfp)
			elf_end(*elfp);
		*elfp = NULL;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return -1;
	*file_name = cr_rooted_path(sh->root, sh->name);
	/* Mapped (or read) whole: the session kept does not keep this
	 * descriptor too (libdwfl closes none it is not given). */
	if (elf_cntl(*elfp, ELF_C_FDREAD) == 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static int shadow_find_debuginfo(Dwfl_Module *mod, void **userdata,
				 const char *modname, Dwarf_Addr base,
				 const char *file_name,
				 const char *debuglink_file,
				 GElf_Word debuglink_crc,
				 char **debuginfo_file_name)
{
	struct cr_dwarf_shadow *sh = *userdata;
	return search_debuginfo(&sh->opts, sh->root, sh->name, mod, userdata,
				modname, base, file_name, debuglink_file,
				debuglink_crc, debuginfo_file_name);
}

void cr_dwarf_shadow_free(struct cr_dwarf_shadow *sh)
{
	if (!sh)
		return;
	if (sh->dwfl)
		dwfl_end(sh->dwfl);
	pthread_mutex_destroy(&sh->lock);
	for (char **d = sh->debug_dirs; d && *d; d++)
		free(*d);
	free(sh->debug_dirs);
	free(sh->sysroot);
	free(sh->root);
	free(sh->name);
	free(sh);
}

/* The memory SH's DWARF holds: its debug sections, decompressed. */
static size_t shadow_bytes(Dwarf *dw)
{
	Elf *elf = dwarf_getelf(dw);
	size_t shstrndx, n = 0;
	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return 0;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		GElf_Chdr ch;
		const char *name;
		if (!gelf_getshdr(scn, &sh) ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) ||
		    strncmp(name, ".debug_", 7) != 0)
			continue;
		n += (sh.sh_flags & SHF_COMPRESSED) && gelf_getchdr(scn, &ch) ?
		     ch.ch_size : sh.sh_size;
	}
	return n;
}

/* cr_file_cache_dwarf's MAKE: a session over MS's module file, its DWARF
 * opened; NULL when the module has none (or memory ran out). */
static struct cr_dwarf_shadow *shadow_new(void *arg, size_t *bytes)
{
	struct modslot *ms = arg;
	const struct cr_options *o = ms->st->opts;
	const struct cr_module *m = &ms->st->d->modules[ms->index];
	struct cr_dwarf_shadow *sh = calloc(1, sizeof(*sh));
	if (!sh)
		return NULL;
	if (pthread_mutex_init(&sh->lock, NULL) != 0) {
		free(sh);
		return NULL;
	}
	size_t ndirs = 0;
	while (o->debug_dirs && o->debug_dirs[ndirs])
		ndirs++;
	sh->debug_dirs = calloc(ndirs + 1, sizeof(*sh->debug_dirs));
	bool ok = sh->debug_dirs &&
		  (!o->sysroot || (sh->sysroot = strdup(o->sysroot))) &&
		  (!ms->found_root || (sh->root = strdup(ms->found_root))) &&
		  (sh->name = strdup(ms->found_name));
	for (size_t i = 0; ok && i < ndirs; i++)
		ok = (sh->debug_dirs[i] = strdup(o->debug_dirs[i])) != NULL;
	if (!ok)
		goto fail;
	sh->opts = (struct cr_options){ .sysroot = sh->sysroot,
					.debug_dirs = (const char **)sh->debug_dirs };
	sh->file_id = ms->file_id;
	sh->base = m->base;
	sh->debuginfo_path = NO_DEBUGINFO_PATH;
	sh->callbacks.find_elf = shadow_find_elf;
	sh->callbacks.find_debuginfo = shadow_find_debuginfo;
	sh->callbacks.section_address = dwfl_offline_section_address;
	sh->callbacks.debuginfo_path = &sh->debuginfo_path;
	if (!(sh->dwfl = dwfl_begin(&sh->callbacks)))
		goto fail;
	dwfl_report_begin(sh->dwfl);
	sh->mod = dwfl_report_module(sh->dwfl, m->path ? m->path : "(unnamed)",
				     m->base, m->base + m->size);
	dwfl_report_end(sh->dwfl, NULL, NULL);
	void **ud;
	Dwarf_Addr bias;
	Dwarf *dw;
	if (!sh->mod)
		goto fail;
	dwfl_module_info(sh->mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	*ud = sh;
	if (!(dw = dwfl_module_getdwarf(sh->mod, &bias)))
		goto fail;
	*bytes = sizeof(*sh) + shadow_bytes(dw);
	return sh;
fail:
	cr_dwarf_shadow_free(sh);
	return NULL;
}

/* --- lookups ------------------------------------------------------------ */

static const char *demangled(struct cr_symtab *st, const char *name)
{
	if (!name)
		return NULL;
	char *dm = cr_demangle(name);
	if (dm) {
		const char *r = cr_symtab_intern(st, dm);
		free(dm);
		return r;
	}
	/* "__libc_start_main@@GLIBC_2.34": the symbol version is noise in a
	 * stack (and differs between machines), so drop it. */
	const char *at = strchr(name, '@');
	if (at && at != name) {
		char *plain = strndup(name, (size_t)(at - name));
		const char *r = plain ? cr_symtab_intern(st, plain) : NULL;
		free(plain);
		return r;
	}
	return cr_symtab_intern(st, name);
}

static const char *die_name(struct cr_symtab *st, Dwarf_Die *die)
{
	Dwarf_Attribute at;
	const char *n = NULL;
	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &at) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &at))
		n = dwarf_formstring(&at);
	if (!n)
		n = dwarf_diename(die);
	return demangled(st, n);
}

static bool cache_grow(struct symcache *c)
{
	size_t ncap = c->cap ? c->cap * 2 : 1024;
	struct cr_sym **n = calloc(ncap, sizeof(*n));
	if (!n)
		return false;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slots[i])
			continue;
		size_t j = hash_u64(c->slots[i]->pc) & (ncap - 1);
		while (n[j])
			j = (j + 1) & (ncap - 1);
		n[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = n;
	c->cap = ncap;
	return true;
}

/*
 * Is the caller of a frame at PC found by CFI?  .eh_frame first, as
 * libdwfl's unwinder does; .debug_frame only when that has nothing, since
 * opening it opens the whole DWARF (see "DWARF cost").
 */
static bool has_cfi_at(Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_Addr bias;
	Dwarf_Frame *fr = NULL;
	Dwarf_CFI *cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &fr) == 0) {
		free(fr);
		return true;
	}
	cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (cfi && dwarf_cfi_addrframe(cfi, pc - bias, &fr) == 0) {
		free(fr);
		return true;
	}
	return false;
}

static bool is_system_module(const struct cr_module *m)
{
	for (size_t i = 0; m->path && i < ARRAY_LEN(SYSTEM_DIRS); i++)
		if (strncmp(m->path, SYSTEM_DIRS[i], strlen(SYSTEM_DIRS[i])) == 0)
			return true;
	return false;
}

/*
 * Where the symbol table of MS's module comes from, with a file cache (a
 * batch worker): kept from an earlier dump of the same module file, else
 * asked of libdwfl once (dwfl_module_getsymtab, which looks for the
 * separate debug file and opens and maps it) and kept.  NULL without a
 * cache or a module file on disk: ask libdwfl then.
 */
static const struct cr_symsource *module_source(struct modslot *ms)
{
	struct cr_file_cache *fc = ms->st->opts->file_cache;
	Dwarf_Addr bias;
	if (ms->source_tried)
		return ms->source;
	ms->source_tried = true;
	/* The module's file is known once libdwfl has asked find_elf. */
	if (!fc || !ms->mod || !dwfl_module_getelf(ms->mod, &bias) ||
	    !ms->file_id.known || !ms->found)
		return NULL;
	ms->source = cr_file_cache_symsource(fc, &ms->file_id, ms->found);
	if (!ms->source) {
		const char *dbg = NULL;
		dwfl_module_getsymtab(ms->mod);
		dwfl_module_info(ms->mod, NULL, NULL, NULL, NULL, NULL, NULL,
				 &dbg);
		ms->source = cr_file_cache_keep_symsource(
			fc, &ms->file_id, ms->found, dbg,
			ms->debug_seen ? &ms->debug_id : NULL);
	}
	return ms->source;
}

/* The template of MS's module's symbol table (file_cache.h), NULL when
 * there is none to keep. */
static const struct cr_symtemplate *module_template(struct modslot *ms)
{
	const struct cr_symsource *src = module_source(ms);
	return src ? cr_file_cache_symtemplate(ms->st->opts->file_cache, src,
					       ms->mod)
		   : NULL;
}

/*
 * The module's symbol index, from the file cache's template when there is
 * a cache (a batch worker reads and sorts libc's table once, not once per
 * dump, and does not open its debug file again), else from libdwfl's table.
 */
static struct cr_symindex *module_index(struct modslot *ms, Dwfl_Module *mod)
{
	const struct cr_symtemplate *t = module_template(ms);
	struct cr_symindex *ix = t ? cr_symindex_of(t, mod) : NULL;
	return ix ? ix : cr_symindex_new(mod);
}

/*
 * The kept DWARF session of MS's module file (a batch worker: see "DWARF
 * kept across dumps"), NULL when there is none: ask the dump's session.
 */
static struct cr_dwarf_shadow *module_shadow(struct modslot *ms)
{
	const struct cr_symsource *src = ms ? module_source(ms) : NULL;
	return src && ms->found_name ?
	       cr_file_cache_dwarf(ms->st->opts->file_cache, src, shadow_new, ms)
	       : NULL;
}

Dwarf *cr_symtab_dwarf_enter(struct cr_symtab *st, Dwfl_Module *mod,
			     struct cr_dwarf_shadow **held)
{
	void **ud;
	Dwarf_Addr bias;
	*held = NULL;
	dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
	struct modslot *ms = *ud;
	struct cr_dwarf_shadow *sh = ms && ms->st == st ? module_shadow(ms) : NULL;
	if (!sh)
		return dwfl_module_getdwarf(mod, &bias);
	pthread_mutex_lock(&sh->lock);
	*held = sh;
	return dwfl_module_getdwarf(sh->mod, &bias);
}

void cr_symtab_dwarf_leave(struct cr_dwarf_shadow *held)
{
	if (held)
		pthread_mutex_unlock(&held->lock);
}

void cr_symtab_dwarf_reenter(struct cr_dwarf_shadow *held)
{
	if (held)
		pthread_mutex_lock(&held->lock);
}

/*
 * dwfl_module_addrinfo(MOD, PC, ...) through the module's sorted index
 * (symindex.h), which saves libdwfl's scan of the whole symbol table on
 * every lookup; the index is made on the module's first lookup.
 */
static const char *module_addrinfo(struct modslot *ms, Dwfl_Module *mod,
				   uint64_t pc, GElf_Off *off, GElf_Sym *sym)
{
	if (ms && !ms->symidx_tried) {
		ms->symidx_tried = true;
		ms->symidx = module_index(ms, mod);
	}
	if (ms && ms->symidx)
		return cr_symindex_addrinfo(ms->symidx, pc, off, sym);
	return dwfl_module_addrinfo(mod, pc, off, sym, NULL, NULL, NULL);
}

/*
 * Fill S->frames for S->pc: the ELF symbol, and with DWARF (USE_DWARF) the
 * source line and the chain of inlined calls (innermost first).
 */
static void resolve(struct cr_symtab *st, struct modslot *ms, Dwfl_Module *mod,
		    struct cr_sym *s, bool use_dwarf)
{
	uint64_t pc = s->pc;
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *symname = module_addrinfo(ms, mod, pc, &off, &sym);
	const char *file = NULL;
	int line = 0, col = 0;
	/* The DWARF answers, from the kept session when there is one: DMOD
	 * and DPC are the module and the pc there. */
	struct cr_dwarf_shadow *sh = use_dwarf ? module_shadow(ms) : NULL;
	Dwfl_Module *dmod = mod;
	uint64_t dpc = pc;
	cr_symtab_dwarf_reenter(sh);
	if (sh) {
		dmod = sh->mod;
		dpc = pc - st->d->modules[ms->index].base + sh->base;
	}
	Dwfl_Line *dl = use_dwarf ? dwfl_module_getsrc(dmod, dpc) : NULL;
	if (dl)
		file = dwfl_lineinfo(dl, NULL, &line, &col, NULL, NULL);

	struct cr_symframe fr[MAX_INLINE_DEPTH];
	unsigned n = 0;
	const char *cur_file = cr_symtab_intern(st, file);
	int cur_line = line, cur_col = col;

	Dwarf_Addr bias = 0;
	Dwarf_Die *cudie = use_dwarf ? dwfl_module_addrdie(dmod, dpc, &bias) : NULL;
	Dwarf_Die *scopes = NULL;
	int nscopes = cudie ? dwarf_getscopes(cudie, dpc - bias, &scopes) : 0;
	if (nscopes > 0) {
		/* dwarf_getscopes() continues through an inlined call's
		 * abstract origin; the chain of inlined calls that contains the
		 * pc is the DIE nesting of the innermost scope (as addr2line -i
		 * walks it). */
		Dwarf_Die inner = scopes[0];
		free(scopes);
		scopes = NULL;
		nscopes = dwarf_getscopes_die(&inner, &scopes);
	}
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	if (cudie && dwarf_getsrcfiles(cudie, &files, &nfiles) != 0)
		files = NULL;
	for (int i = 0; i < nscopes && n < MAX_INLINE_DEPTH - 1; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag == DW_TAG_inlined_subroutine) {
			fr[n++] = (struct cr_symframe){
				.function = die_name(st, &scopes[i]),
				.file = cur_file, .line = cur_line,
				.column = cur_col,
			};
			Dwarf_Attribute at;
			Dwarf_Word w;
			cur_file = NULL;
			cur_line = cur_col = 0;
			if (files && dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &at), &w) == 0)
				cur_file = cr_symtab_intern(st, dwarf_filesrc(files, w, NULL, NULL));
			if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &at), &w) == 0)
				cur_line = (int)w;
			if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_column, &at), &w) == 0)
				cur_col = (int)w;
		} else if (tag == DW_TAG_subprogram) {
			break;
		}
	}
	free(scopes);
	/* The physical function: the ELF symbol names it with an offset. */
	const char *fname = demangled(st, symname);
	if (!fname && cudie) {
		Dwarf_Die *sc = NULL;
		int k = dwarf_getscopes(cudie, dpc - bias, &sc);
		for (int i = 0; i < k; i++)
			if (dwarf_tag(&sc[i]) == DW_TAG_subprogram) {
				fname = die_name(st, &sc[i]);
				break;
			}
		free(sc);
	}
	cr_symtab_dwarf_leave(sh);
	fr[n++] = (struct cr_symframe){
		.function = fname, .offset_known = symname != NULL,
		.offset = off, .file = cur_file, .line = cur_line,
		.column = cur_col,
	};
	s->frames = malloc(n * sizeof(*fr));
	if (s->frames) {
		memcpy(s->frames, fr, n * sizeof(*fr));
		s->nframes = n;
	}
}

/*
 * Look LPC up in cache C.  DATA: an address of data (a vtable, a global),
 * named by its ELF symbol alone: no source line, and no CFI, whose
 * .debug_frame would open the module's whole DWARF for an address that no
 * frame has (232 M instructions for python3's on a heap's vtable words).
 */
static const struct cr_sym *lookup(struct cr_symtab *st, struct symcache *c,
				   uint64_t lpc, bool full, bool data)
{
	if ((c->used + 1) * 2 > c->cap && !cache_grow(c))
		return NULL;
	size_t j = hash_u64(lpc) & (c->cap - 1);
	struct cr_sym *s = NULL;
	while (c->slots[j]) {
		if (c->slots[j]->pc == lpc) {
			s = c->slots[j];
			if (s->full || !full)
				return s;
			break;	/* resolve again, with DWARF */
		}
		j = (j + 1) & (c->cap - 1);
	}
	bool is_new = s == NULL;
	if (is_new && !(s = calloc(1, sizeof(*s))))
		return NULL;
	s->pc = lpc;
	s->module = -1;
	Dwfl_Module *mod = dwfl_addrmodule(st->dwfl, lpc);
	s->full = true;
	if (mod) {
		void **ud;
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		struct modslot *ms = *ud;
		bool use_dwarf = true;
		if (ms) {
			s->module = (ssize_t)ms->index;
			const struct cr_module *m = &st->d->modules[ms->index];
			s->module_name = cr_symtab_intern(
				st, m->path ? cr_basename(m->path) : NULL);
			s->module_offset = lpc - m->base;
			s->system = is_system_module(m);
			use_dwarf = !data && (full || !s->system);
		}
		s->full = use_dwarf || data;
		free(s->frames);
		s->frames = NULL;
		s->nframes = 0;
		resolve(st, ms, mod, s, use_dwarf);
		s->has_cfi = !data && has_cfi_at(mod, lpc);
	}
	if (st->nproviders && (!s->frames || !s->frames[s->nframes - 1].function))
		provide(st, s);
	if (!s->frames) {
		static const struct cr_symframe unknown;
		s->frames = malloc(sizeof(unknown));
		if (!s->frames) {
			if (is_new)
				free(s);
			return NULL;
		}
		s->frames[0] = unknown;
		s->nframes = 1;
	}
	if (is_new) {
		c->slots[j] = s;
		c->used++;
	}
	return s;
}

const struct cr_sym *cr_symtab_lookup(struct cr_symtab *st, uint64_t pc,
				      bool activation, bool full)
{
	uint64_t lpc = activation || pc == 0 ? pc : pc - 1;
	return lookup(st, &st->cache, lpc, full || st->opts->all_lines, false);
}

const struct cr_sym *cr_symtab_lookup_data(struct cr_symtab *st, uint64_t addr)
{
	return lookup(st, &st->data_cache, addr, false, true);
}

bool cr_symtab_has_file(struct cr_symtab *st, size_t i)
{
	Dwarf_Addr bias;
	return i < st->d->nmodules && st->slots[i].mod &&
	       dwfl_module_getelf(st->slots[i].mod, &bias) != NULL;
}

/* Does ELF carry DWARF itself (a .debug_info section)? */
static bool has_debug_section(Elf *elf)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return false;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) &&
		    (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    (strcmp(name, ".debug_info") == 0 || strcmp(name, ".zdebug_info") == 0))
			return true;
	}
	return false;
}

/*
 * What was found for module I.  This must not open DWARF (see "DWARF
 * cost"): the separate debug file is found through the symbol table lookup,
 * which libdwfl does for stripped files without parsing any DWARF.
 */
void cr_symtab_module_info(struct cr_symtab *st, size_t i,
			   struct cr_module_analysis *out)
{
	struct modslot *ms = &st->slots[i];
	out->module = &st->d->modules[i];
	out->file = NULL;
	out->debug_file = NULL;
	out->has_debug_info = false;
	out->mismatch = ms->mismatch;
	if (!ms->mod)
		return;
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(ms->mod, &bias);
	if (elf && ms->found)
		out->file = strdup(ms->found);
	if (elf && has_debug_section(elf)) {
		out->has_debug_info = true;
	} else if (elf) {
		const struct cr_symsource *src = module_source(ms);
		const char *dbg = src ? src->debug_file : NULL;
		if (!src) {
			dwfl_module_getsymtab(ms->mod);
			dwfl_module_info(ms->mod, NULL, NULL, NULL, NULL, NULL,
					 NULL, &dbg);
		}
		if (dbg && (!ms->found || strcmp(dbg, ms->found) != 0)) {
			out->debug_file = strdup(dbg);
			out->has_debug_info = true;
		}
	}
	out->mismatch = ms->mismatch && !out->file;
	out->host_file = out->file && ms->host_file;
}

bool cr_symtab_find_symbol(struct cr_symtab *st, const char *module,
			   const char *name, uint64_t *addr)
{
	for (size_t i = 0; i < st->d->nmodules; i++) {
		struct modslot *ms = &st->slots[i];
		const struct cr_module *m = &st->d->modules[i];
		if (!ms->mod || (module && (!m->path ||
		    strncmp(cr_basename(m->path), module, strlen(module)) != 0)))
			continue;
		/* From the kept template when there is one: the table is not
		 * read again, nor its debug file opened. */
		const struct cr_symtemplate *t = module_template(ms);
		Dwarf_Addr bias;
		int r = t && dwfl_module_getelf(ms->mod, &bias) ?
			cr_symtemplate_find(t, bias, name, addr) : -1;
		if (r >= 0) {
			if (r > 0)
				return true;
			continue;
		}
		int n = dwfl_module_getsymtab(ms->mod);
		for (int k = 1; k < n; k++) {
			GElf_Sym sym;
			GElf_Addr a;
			const char *sn = dwfl_module_getsym_info(ms->mod, k, &sym,
								 &a, NULL, NULL, NULL);
			if (sn && sym.st_shndx != SHN_UNDEF &&
			    strcmp(sn, name) == 0) {
				*addr = a;
				return true;
			}
		}
	}
	return false;
}
