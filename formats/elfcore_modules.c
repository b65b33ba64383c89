/*
 * elfcore_modules.c - the modules (mapped ELF images) of a Linux ELF core.
 *
 * libdwfl's dwfl_core_file_report() follows the dynamic linker's link map
 * (auxv AT_PHDR -> PT_DYNAMIC -> DT_DEBUG -> r_debug -> link_map chain) and
 * the ELF images it finds in the core's memory, with the build ids they
 * carry.  When it finds nothing, modules come from NT_FILE: one per path
 * that looks like an ELF image, with the build id read from the ELF headers
 * in the dump's memory.  Nothing here opens a file itself; see
 * names_are_safe() for the files libdwfl would open.
 */
#include "elfcore_private.h"
#include "cursor.h"

#include <elf.h>
#include <elfutils/libdwfl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Limits of the link-map check (names_are_safe). */
#define EC_MAX_DYN 4096			/* .dynamic entries looked through */
#define EC_MAX_LINK_MAP CR_MAX_MODULES	/* link_map entries followed */
#define EC_PATH_MAX 4096		/* longer names fail open() anyway */

/* A module entry for D; NULL when the table is full or memory is out. */
static struct cr_module *new_module(struct cr_dump *d)
{
	if (d->nmodules >= CR_MAX_MODULES)
		return NULL;
	if ((d->nmodules & (d->nmodules - 1)) == 0) {
		size_t cap = d->nmodules ? d->nmodules * 2 : 16;
		struct cr_module *m = realloc(d->modules, cap * sizeof(*m));
		if (!m)
			return NULL;
		d->modules = m;
	}
	struct cr_module *m = &d->modules[d->nmodules++];
	memset(m, 0, sizeof(*m));
	m->kind = CR_MODULE_ELF;
	return m;
}

static int report_module(Dwfl_Module *mod, void **userdata, const char *name,
			 Dwarf_Addr base, void *arg)
{
	struct cr_dump *d = arg;
	Dwarf_Addr low = 0, high = 0;
	const char *mname = dwfl_module_info(mod, NULL, &low, &high, NULL,
					     NULL, NULL, NULL);
	struct cr_module *m = new_module(d);
	if (!m)
		return DWARF_CB_ABORT;
	/* libdwfl names libraries by their link-map name (a soname such as
	 * "libc.so.6" when the link map says so); NT_FILE has the path. */
	const struct cr_region *r = cr_dump_region_at(d, low);
	if (!(mname && mname[0] == '/') && r && r->path && r->file_offset == 0)
		mname = r->path;
	m->path = strdup(mname ? mname : name ? name : "?");
	m->base = low;
	m->size = high > low ? high - low : 0;
	const unsigned char *bits;
	GElf_Addr vaddr;
	int len = dwfl_module_build_id(mod, &bits, &vaddr);
	if (len > 0 && len <= EC_MAX_BUILD_ID) {
		m->build_id = malloc((size_t)len);
		if (m->build_id) {
			memcpy(m->build_id, bits, (size_t)len);
			m->build_id_len = (size_t)len;
		}
	}
	return DWARF_CB_OK;
}

static void build_id_from_memory(struct ec *ec, struct cr_module *m);

/*
 * Whether PATH, a name taken from the dump, is harmless to open(): nothing
 * there (open fails the same way) or a regular file.  A FIFO would block
 * open() for ever; a device may act on being opened (a tty, a watchdog).
 */
static bool name_ok(const char *path)
{
	struct stat st;
	return !path || !path[0] || stat(path, &st) != 0 ||
	       S_ISREG(st.st_mode);
}

/*
 * The first link-map name that is not name_ok(), malloc'd; NULL when all
 * are (or there is no link map).  Follows the same chain as libdwfl's
 * dwfl_link_map_report(): auxv AT_PHDR/AT_PHNUM/AT_PHENT give the
 * executable's program headers in memory; PT_PHDR gives the load bias and
 * PT_DYNAMIC the dynamic section, whose DT_DEBUG holds &r_debug;
 * r_debug is { int r_version; struct link_map *r_map; ... } and link_map
 * { l_addr, l_name, l_ld, l_next, l_prev } (glibc <link.h>), all words of
 * the core's class.  Every address is read through cr_dump_read(); the
 * chain is cut at EC_MAX_LINK_MAP entries (a cycle ends there too).
 */
static char *unsafe_link_map_name(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	unsigned w = ec->word;
	uint64_t phdr, phnum, phent;
	if (!elfcore_auxv_get(d, AT_PHDR, &phdr) ||
	    !elfcore_auxv_get(d, AT_PHNUM, &phnum) ||
	    !elfcore_auxv_get(d, AT_PHENT, &phent) ||
	    phent != (ec->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    phnum == 0 || phnum > 0xffff)
		return NULL;
	uint64_t bias = 0, dyn = 0, dynsz = 0;
	bool have_bias = false, have_dyn = false;
	for (uint64_t i = 0; i < phnum; i++) {
		uint8_t buf[sizeof(Elf64_Phdr)];
		/* phnum * phent < 2^22: only the addition can wrap, and a
		 * wrapped address is just another address to read. */
		if (cr_dump_read(d, phdr + i * phent, buf, (size_t)phent) != phent)
			break;
		struct cr_cursor c = cr_cursor_make(buf, (size_t)phent,
						    ec->big_endian, 0, NULL);
		uint64_t type, vaddr, filesz;
		if (!cr_cursor_peek(&c, 0, 4, &type) ||
		    !cr_cursor_peek(&c, ec->is64 ? 16 : 8, w, &vaddr) ||
		    !cr_cursor_peek(&c, ec->is64 ? 32 : 16, w, &filesz))
			break;
		if (type == PT_PHDR && !have_bias) {	/* the first, as libdwfl */
			bias = phdr - vaddr;
			have_bias = true;
		} else if (type == PT_DYNAMIC && !have_dyn) {
			dyn = vaddr;
			dynsz = filesz;
			have_dyn = true;
		}
	}
	if (!have_dyn)
		return NULL;
	uint64_t r_debug = 0;
	uint64_t ndyn = dynsz / (2u * w);
	if (ndyn > EC_MAX_DYN)
		ndyn = EC_MAX_DYN;
	for (uint64_t i = 0; i < ndyn && !r_debug; i++) {
		uint64_t tag, val, at = bias + dyn + i * 2u * w;
		if (!cr_dump_read_word(d, at, &tag) ||
		    !cr_dump_read_word(d, at + w, &val) || tag == DT_NULL)
			break;
		if (tag == DT_DEBUG)
			r_debug = val;
	}
	uint64_t map;
	if (!r_debug || !cr_dump_read_word(d, r_debug + w, &map))
		return NULL;
	for (size_t n = 0; map && n < EC_MAX_LINK_MAP; n++) {
		uint64_t l_name, next;
		if (!cr_dump_read_word(d, map + w, &l_name) ||
		    !cr_dump_read_word(d, map + 3u * w, &next))
			break;
		char *name = cr_dump_read_string(d, l_name, EC_PATH_MAX);
		if (name && !name_ok(name))
			return name;
		free(name);
		map = next;
	}
	return NULL;
}

/*
 * Whether libdwfl may look at the core: dwfl_core_file_report() open()s
 * (O_RDONLY, blocking) every link-map name and every NT_FILE name of an
 * ELF image it finds in memory (elfutils 0.188, link_map.c
 * report_r_debug() and dwfl_segment_report_module.c), to compare build
 * ids.  Those names come from the dump, so a hostile dump could name a
 * FIFO and hang us, or a device.  When one of them is not name_ok(), the
 * walk is skipped and the modules come from NT_FILE alone, which opens
 * nothing.
 */
static bool names_are_safe(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	for (size_t i = 0; i < ec->nfiles; i++)
		if (!name_ok(ec->files[i].path)) {
			cr_dump_problem(d, "modules: NT_FILE names %s, which is not a regular file; libdwfl's module search (which would open it) skipped",
					ec->files[i].path);
			return false;
		}
	char *bad = unsafe_link_map_name(ec);
	if (bad) {
		cr_dump_problem(d, "modules: the link map names %s, which is not a regular file; libdwfl's module search (which would open it) skipped",
				bad);
		free(bad);
		return false;
	}
	return true;
}

/* Modules through libdwfl's link-map and segment walk.  False: none. */
static bool modules_from_dwfl(struct ec *ec)
{
	static char *debuginfo_path = NULL;
	static const Dwfl_Callbacks callbacks = {
		.find_elf = dwfl_build_id_find_elf,
		.find_debuginfo = dwfl_standard_find_debuginfo,
		.debuginfo_path = &debuginfo_path,
	};
	struct cr_dump *d = ec->d;
	if (!names_are_safe(ec))
		return false;
	Dwfl *dwfl = dwfl_begin(&callbacks);
	if (!dwfl)
		return false;
	dwfl_report_begin(dwfl);
	int n = dwfl_core_file_report(dwfl, ec->elf, NULL);
	dwfl_report_end(dwfl, NULL, NULL);
	if (n < 0)
		cr_dump_problem(d, "modules: libdwfl could not read the link map: %s",
				dwfl_errmsg(-1));
	else
		dwfl_getmodules(dwfl, report_module, d, 0);
	dwfl_end(dwfl);
	/* libdwfl only knows build ids it found on its way; look again. */
	for (size_t i = 0; i < d->nmodules; i++)
		if (!d->modules[i].build_id)
			build_id_from_memory(ec, &d->modules[i]);
	return d->nmodules > 0;
}

/*
 * Read the GNU build id of the ELF image mapped at BASE from the dump's
 * memory: ELF header, program headers, PT_NOTE, NT_GNU_BUILD_ID.  Kernel
 * cores keep the first page of every mapped ELF file, which usually holds
 * all three.
 */
static void build_id_from_memory(struct ec *ec, struct cr_module *m)
{
	struct cr_dump *d = ec->d;
	uint8_t hdr[EC_HEADER_PEEK];
	size_t got = cr_dump_read(d, m->base, hdr, sizeof(hdr));
	if (got < EI_NIDENT || memcmp(hdr, ELFMAG, SELFMAG) != 0)
		return;
	bool is64 = hdr[EI_CLASS] == ELFCLASS64;
	bool be = hdr[EI_DATA] == ELFDATA2MSB;
	unsigned w = is64 ? 8 : 4;
	struct cr_cursor c = cr_cursor_make(hdr, got, be, 0, m->path);
	uint64_t phoff, phentsize, phnum;
	if (!cr_cursor_peek(&c, is64 ? 32 : 28, w, &phoff) ||
	    !cr_cursor_peek(&c, is64 ? 54 : 42, 2, &phentsize) ||
	    !cr_cursor_peek(&c, is64 ? 56 : 44, 2, &phnum))
		return;
	/* Pass 1: the load bias from the first PT_LOAD; pass 2: notes. */
	uint64_t bias = 0;
	bool have_bias = false;
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < phnum; i++) {
			uint64_t p = phoff + i * phentsize, type, off, vaddr,
				 filesz;
			if (!cr_cursor_peek(&c, p, 4, &type))
				return;
			if (!cr_cursor_peek(&c, p + (is64 ? 8 : 4), w, &off) ||
			    !cr_cursor_peek(&c, p + (is64 ? 16 : 8), w, &vaddr) ||
			    !cr_cursor_peek(&c, p + (is64 ? 32 : 16), w, &filesz))
				return;
			if (pass == 0 && type == PT_LOAD && !have_bias) {
				bias = m->base - (vaddr - off);
				have_bias = true;
			}
			if (pass == 1 && type == PT_NOTE && filesz < EC_HEADER_PEEK) {
				uint8_t notes[EC_HEADER_PEEK];
				size_t ng = cr_dump_read(d, bias + vaddr, notes,
							 (size_t)filesz);
				struct cr_cursor nc = cr_cursor_make(notes, ng,
								     be, 0, NULL);
				while (cr_cursor_left(&nc) >= 12) {
					uint32_t ns, ds, nt;
					const uint8_t *name, *desc;
					cr_cursor_u32(&nc, &ns);
					cr_cursor_u32(&nc, &ds);
					cr_cursor_u32(&nc, &nt);
					struct cr_error *err = cr_cursor_bytes(
						&nc, ((uint64_t)ns + 3) & ~3ull, &name);
					if (!err)
						err = cr_cursor_bytes(&nc, ds, &desc);
					if (err) {
						cr_error_free(err);
						break;
					}
					cr_cursor_skip(&nc, (((uint64_t)ds + 3) & ~3ull) - ds);
					if (nt == NT_GNU_BUILD_ID && ns == 4 &&
					    memcmp(name, "GNU", 4) == 0 && ds > 0 &&
					    ds <= EC_MAX_BUILD_ID) {
						m->build_id = malloc(ds);
						if (m->build_id) {
							memcpy(m->build_id, desc, ds);
							m->build_id_len = ds;
						}
						return;
					}
				}
			}
		}
}

static int cmp_file_path(const void *a, const void *b)
{
	const struct ec_file *x = *(const struct ec_file *const *)a;
	const struct ec_file *y = *(const struct ec_file *const *)b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Modules from NT_FILE, for files libdwfl did not report (all of them when
 * the link map could not be read): one module per path, spanning all its
 * mappings, when the file looks like an ELF image: the dump has an ELF
 * header at its first mapping, or one of its mappings is executable (kernel
 * cores often leave out the pages of mapped files).  Grouping sorts the
 * entries by path, so a huge NT_FILE costs n log n.
 */
static void modules_from_nt_file(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	if (ec->nfiles == 0)
		return;
	struct ec_file **v = malloc(ec->nfiles * sizeof(*v));
	if (!v)
		return;
	size_t n = 0;
	for (size_t i = 0; i < ec->nfiles; i++)
		if (ec->files[i].path && ec->files[i].path[0] == '/' &&
		    ec->files[i].end > ec->files[i].start)
			v[n++] = &ec->files[i];
	qsort(v, n, sizeof(*v), cmp_file_path);
	size_t nknown = d->nmodules;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint64_t base = UINT64_MAX, end = 0;
		bool exec = false, have_start = false;
		for (; j < n && strcmp(v[j]->path, v[i]->path) == 0; j++) {
			if (v[j]->offset == 0 && v[j]->start < base) {
				base = v[j]->start;
				have_start = true;
			}
			if (v[j]->end > end)
				end = v[j]->end;
			const struct cr_region *r = cr_dump_region_at(d, v[j]->start);
			if (r && r->prot_known && (r->prot & CR_PROT_X))
				exec = true;
		}
		const char *path = v[i]->path;
		i = j;
		if (!have_start || end <= base)
			continue;
		bool known = false;
		for (size_t k = 0; k < nknown && !known; k++)
			known = strcmp(d->modules[k].path, path) == 0 ||
				(base >= d->modules[k].base &&
				 base - d->modules[k].base < d->modules[k].size);
		if (known)
			continue;
		uint8_t magic[SELFMAG];
		bool elf = cr_dump_read(d, base, magic, SELFMAG) == SELFMAG &&
			   memcmp(magic, ELFMAG, SELFMAG) == 0;
		if (!elf && !exec)
			continue;
		struct cr_module *m = new_module(d);
		if (!m)
			break;
		m->path = strdup(path);
		m->base = base;
		m->size = end - base;
		build_id_from_memory(ec, m);
	}
	free(v);
}

void elfcore_find_modules(struct ec *ec)
{
	modules_from_dwfl(ec);
	modules_from_nt_file(ec);
}
