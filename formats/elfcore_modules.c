/*
 * elfcore_modules.c - the modules (mapped ELF images) of a Linux ELF core,
 * found by this reader alone: no libdwfl, no file opened.
 *
 * Three sources, each read from the core's own bytes:
 *
 *   1. The auxiliary vector and the dynamic linker's link map.  AT_PHDR,
 *      AT_PHNUM and AT_PHENT give the executable's program headers in
 *      memory (PT_PHDR gives its load bias, PT_DYNAMIC its dynamic
 *      section, PT_INTERP the dynamic linker's path); DT_DEBUG holds
 *      &r_debug, r_debug.r_map the first link_map { l_addr, l_name, l_ld,
 *      l_next, l_prev } (glibc <link.h>, words of the core's class).
 *      AT_BASE is the dynamic linker's ELF header, AT_SYSINFO_EHDR the
 *      vdso's.
 *   2. NT_FILE: the file-backed mappings with their paths.
 *   3. ELF headers in the dump's memory: kernel cores keep the first page
 *      of every mapped ELF file (coredump_filter bit 4), which holds the
 *      ELF header, the program headers and usually the build-id note.  A
 *      header gives a module's range (its PT_LOADs) and build id.
 *
 * A module's version is its package note, where it has one (systemd's
 * "ELF package metadata": an "FDO" note of type 0xcafe1a7e holding a JSON
 * object, {"type":"rpm","name":"coreutils","version":"9.4-7.fc40",...};
 * Fedora stamps every binary, Debian those built with dh-package-notes, any
 * program linked with ld --package-metadata).  It is read from the
 * module's first page in the dump, as systemd-coredump reads it, once per
 * module after the merge; the JSON is parsed by jansson, at most
 * EC_MAX_PACKAGE_NOTE bytes, and a version that is not short printable
 * text is dropped.
 *
 * Each source proposes candidates (base, end, name, build id); they are
 * sorted by base and merged, the best name winning (NT_FILE's absolute path
 * over a link-map name over a soname), so a core without NT_FILE (qemu-user
 * writes such cores) still gets its modules and their build ids.  Every
 * count from the dump is capped (EC_MAX_*) and the merge costs n log n.
 * Files are opened later, by the analyzer (analyzer/safe_open.c), never
 * here: a name from the dump is only a name.
 */
#include "elfcore_private.h"
#include "cursor.h"
#include "util.h"

#include <elf.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EC_MAX_DYN 4096			/* .dynamic entries looked through */
#define EC_MAX_LINK_MAP CR_MAX_MODULES	/* link_map entries followed */
#define EC_MAX_PHDRS 128		/* program headers of one image */
#define EC_PATH_MAX 4096		/* longest module name kept */
#define EC_MAX_HEADER_BACK 16		/* regions looked back for l_ld's header */
#define EC_MAX_HEADER_SEARCHES 4096	/* link-map entries searched that way */
#define EC_MAX_NAME_BYTES (16u << 20)	/* module names kept, in all */
#define EC_MAX_NOTE_BYTES EC_HEADER_PEEK /* PT_NOTE bytes read per image */
#define EC_MAX_NOTES 32			/* notes looked at per PT_NOTE */
#define EC_MAX_IMAGE_NOTES 4		/* PT_NOTEs of an image remembered */
#define EC_MAX_PACKAGE_NOTE 1024	/* bytes of a package note's JSON */
#define EC_MAX_VERSION 64		/* longest version kept */
#define EC_NT_FDO_PACKAGE 0xcafe1a7eu	/* NT_FDO_PACKAGING_METADATA */

/* How much a candidate's name says, lowest first. */
enum name_rank {
	NAME_NONE = 0,
	NAME_PLACEHOLDER,	/* "[vdso]", "[exe]" */
	NAME_SONAME,		/* a link-map name that is not a path */
	NAME_RELATIVE,		/* an NT_FILE or link-map path, relative */
	NAME_INTERP,		/* the executable's PT_INTERP */
	NAME_LINK_MAP,		/* an absolute link-map name */
	NAME_NT_FILE,		/* an absolute NT_FILE path */
};

/* What the program headers of one image in memory say. */
struct image {
	uint64_t bias;			/* load bias */
	uint64_t lo, hi;		/* [lo, hi): its PT_LOADs */
	uint64_t dyn, dynsz;		/* PT_DYNAMIC, biased; 0 none */
	uint64_t interp, interpsz;	/* PT_INTERP, biased; 0 none */
	uint8_t build_id[EC_MAX_BUILD_ID];
	size_t build_id_len;
	uint64_t note_at[EC_MAX_IMAGE_NOTES];	/* PT_NOTEs, biased */
	uint64_t note_len[EC_MAX_IMAGE_NOTES];	/* their sizes, capped */
	unsigned nnotes;
};

/* read_image() at the start of a region, done once (see link_map_image). */
struct region_image {
	signed char state;	/* 0 not read yet, 1 an image, -1 none */
	struct image im;
};

/* A module proposed by one source. */
struct cand {
	uint64_t base, end;
	bool from_header;	/* range from the image's own PT_LOADs */
	char *name;		/* owned, NULL none */
	enum name_rank rank;
	uint8_t build_id[EC_MAX_BUILD_ID];
	size_t build_id_len;
};

struct cands {
	struct cand *v;
	size_t n, cap;
	size_t searches;	/* link_map_image() look-backs done */
	size_t name_bytes;	/* sum of the names' sizes */
	bool over_budget;	/* a candidate was dropped for EC_MAX_NAME_BYTES */
	bool oom;		/* one was dropped for want of memory */
	struct region_image *memo;	/* per region, NULL until needed */
};

/* The page size for rounding: NT_FILE's when it is a sane power of two. */
static uint64_t page_of(const struct ec *ec)
{
	uint64_t p = ec->page_size;
	return p >= 4096 && p <= (1u << 20) && (p & (p - 1)) == 0 ? p : 4096;
}

/* A candidate slot in C; NULL when full or out of memory. */
static struct cand *cand_new(struct cands *c)
{
	if (c->n >= CR_MAX_MODULES)
		return NULL;
	if (!CR_GROW(c->v, c->cap, c->n + 1)) {
		c->oom = true;
		return NULL;
	}
	struct cand *x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	return x;
}

/* Propose [BASE, END) named NAME (taken over, may be NULL) with RANK. */
static struct cand *propose(struct cands *c, uint64_t base, uint64_t end,
			    char *name, enum name_rank rank)
{
	size_t len = name ? strlen(name) + 1 : 0;
	if (c->name_bytes + len > EC_MAX_NAME_BYTES) {
		c->over_budget = true;
		free(name);
		return NULL;
	}
	struct cand *x = end > base ? cand_new(c) : NULL;
	if (!x) {
		free(name);
		return NULL;
	}
	c->name_bytes += len;
	x->base = base;
	x->end = end;
	x->name = name;
	x->rank = name ? rank : NAME_NONE;
	return x;
}

static void propose_image(struct cands *c, const struct image *im, char *name,
			  enum name_rank rank)
{
	struct cand *x = propose(c, im->lo, im->hi, name, rank);
	if (!x)
		return;
	x->from_header = true;
	memcpy(x->build_id, im->build_id, im->build_id_len);
	x->build_id_len = im->build_id_len;
}

/*
 * The first note of type TYPE owned by NAME (NAMESZ bytes, its NUL
 * counted) among the notes at ADDR (LEN bytes, at most EC_HEADER_PEEK) of
 * dump memory whose descriptor is 1 to CAP bytes: copied into OUT, its
 * size returned; 0 when there is none.
 */
static size_t notes_find(struct ec *ec, uint64_t addr, uint64_t len,
			 uint32_t type, const char *name, uint32_t namesz,
			 uint8_t *out, size_t cap)
{
	uint8_t notes[EC_HEADER_PEEK];
	if (len > sizeof(notes))
		len = sizeof(notes);
	size_t got = cr_dump_read(ec->d, addr, notes, (size_t)len);
	struct cr_cursor nc = cr_cursor_make(notes, got, ec->big_endian, 0, NULL);
	/* At most EC_MAX_NOTES notes: a page of empty notes is 341 of them,
	 * and a real image's first page holds a handful (property, build id,
	 * ABI tag, package). */
	for (int k = 0; k < EC_MAX_NOTES && cr_cursor_left(&nc) >= 12; k++) {
		uint32_t ns, ds, nt;
		const uint8_t *nm, *desc;
		cr_cursor_u32(&nc, &ns);
		cr_cursor_u32(&nc, &ds);
		cr_cursor_u32(&nc, &nt);
		struct cr_error *err = cr_cursor_bytes(
			&nc, ((uint64_t)ns + 3) & ~3ull, &nm);
		if (!err)
			err = cr_cursor_bytes(&nc, ds, &desc);
		if (err) {
			cr_error_free(err);
			return 0;
		}
		cr_cursor_skip(&nc, (((uint64_t)ds + 3) & ~3ull) - ds);
		if (nt == type && ns == namesz && memcmp(nm, name, namesz) == 0 &&
		    ds > 0 && ds <= cap) {
			memcpy(out, desc, ds);
			return ds;
		}
	}
	return 0;
}

/* The GNU build id among the notes at ADDR (LEN bytes) of dump memory. */
static void notes_build_id(struct ec *ec, uint64_t addr, uint64_t len,
			   struct image *im)
{
	im->build_id_len = notes_find(ec, addr, len, NT_GNU_BUILD_ID, "GNU", 4,
				      im->build_id, EC_MAX_BUILD_ID);
}

/*
 * Read PHNUM program headers of PHENT bytes at PHDR in dump memory into
 * IM.  BIAS_FROM_PHDR: the load bias is PHDR minus PT_PHDR's p_vaddr (the
 * executable seen through the auxv); else IM->bias is already set.
 * False when no PT_LOAD was read.
 */
static bool read_phdrs(struct ec *ec, uint64_t phdr, uint64_t phnum,
		       uint64_t phent, bool bias_from_phdr, struct image *im)
{
	struct cr_dump *d = ec->d;
	unsigned w = ec->word;
	if (phent != (ec->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)) ||
	    phnum == 0)
		return false;
	if (phnum > EC_MAX_PHDRS)
		phnum = EC_MAX_PHDRS;
	uint8_t buf[EC_MAX_PHDRS * sizeof(Elf64_Phdr)];
	size_t got = cr_dump_read(d, phdr, buf, (size_t)(phnum * phent));
	phnum = got / phent;
	struct cr_cursor c = cr_cursor_make(buf, got, ec->big_endian, 0, NULL);
	uint64_t lo = UINT64_MAX, hi = 0;
	/* The notes read, in all PT_NOTEs of the image: without this budget
	 * 127 PT_NOTEs of 4 KiB of empty notes made each image read cost
	 * ~1 ms, and the link map's look-backs (16 images per entry) and
	 * from_headers() (one per region) read images thousands of times: a
	 * crafted 44 KB core (fuzz-corpus/analyze/timeout-notes-lookback)
	 * took 1.75 s plain, 45 s under ASan.  The build id is in the
	 * image's first page (which is what the kernel dumps), so 4 KiB of
	 * notes in all is enough. */
	uint64_t note_budget = EC_MAX_NOTE_BYTES;
	bool have_bias = !bias_from_phdr;
	/* Pass 0: the bias (PT_PHDR); pass 1: everything else. */
	for (int pass = 0; pass < 2; pass++)
		for (uint64_t i = 0; i < phnum; i++) {
			uint64_t p = i * phent, type, vaddr, memsz, filesz;
			cr_cursor_peek(&c, p, 4, &type);
			cr_cursor_peek(&c, p + (ec->is64 ? 16 : 8), w, &vaddr);
			cr_cursor_peek(&c, p + (ec->is64 ? 32 : 16), w, &filesz);
			cr_cursor_peek(&c, p + (ec->is64 ? 40 : 20), w, &memsz);
			if (pass == 0) {
				if (type == PT_PHDR && !have_bias) {
					im->bias = phdr - vaddr;
					have_bias = true;
				}
				continue;
			}
			uint64_t at = im->bias + vaddr, end;
			if (type == PT_LOAD) {
				if (cr_add_overflows(at, memsz, &end))
					continue;
				if (at < lo)
					lo = at;
				if (end > hi)
					hi = end;
			} else if (type == PT_DYNAMIC && !im->dyn) {
				im->dyn = at;
				im->dynsz = filesz;
			} else if (type == PT_INTERP && !im->interp) {
				im->interp = at;
				im->interpsz = filesz;
			} else if (type == PT_NOTE && note_budget > 0) {
				/* The build id may be in any PT_NOTE (the
				 * first is often .note.gnu.property). */
				uint64_t len = filesz < note_budget ? filesz : note_budget;
				note_budget -= len;
				if (!im->build_id_len)
					notes_build_id(ec, at, len, im);
				if (im->nnotes < EC_MAX_IMAGE_NOTES) {
					im->note_at[im->nnotes] = at;
					im->note_len[im->nnotes++] = len;
				}
			}
		}
	if (hi <= lo)
		return false;
	/* Whole pages, as the mappings are (and as libdwfl reports them). */
	uint64_t page = page_of(ec);
	im->lo = lo & ~(page - 1);
	im->hi = hi + (page - 1) < hi ? hi : (hi + (page - 1)) & ~(page - 1);
	return true;
}

/*
 * Read the ELF image whose header is at HDR in dump memory.  Its load bias
 * is HDR minus the page of its first PT_LOAD (which maps the header: file
 * offset 0).  False when HDR holds no ELF header of the core's class.
 */
static bool read_image(struct ec *ec, uint64_t hdr, struct image *im)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	size_t ehsize = ec->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	memset(im, 0, sizeof(*im));
	if (cr_dump_read(ec->d, hdr, eh, ehsize) != ehsize ||
	    memcmp(eh, ELFMAG, SELFMAG) != 0 ||
	    eh[EI_CLASS] != (ec->is64 ? ELFCLASS64 : ELFCLASS32) ||
	    eh[EI_DATA] != (ec->big_endian ? ELFDATA2MSB : ELFDATA2LSB))
		return false;
	struct cr_cursor c = cr_cursor_make(eh, ehsize, ec->big_endian, 0, NULL);
	uint64_t phoff, phent, phnum, type, vaddr, off;
	cr_cursor_peek(&c, ec->is64 ? 32 : 28, ec->word, &phoff);
	cr_cursor_peek(&c, ec->is64 ? 54 : 42, 2, &phent);
	cr_cursor_peek(&c, ec->is64 ? 56 : 44, 2, &phnum);
	if (phoff >= EC_HEADER_PEEK)	/* not in the header's page */
		return false;
	/* The first PT_LOAD gives the bias. */
	uint8_t ph[sizeof(Elf64_Phdr)];
	for (uint64_t i = 0; i < phnum && i < EC_MAX_PHDRS; i++) {
		if (phent > sizeof(ph) ||
		    cr_dump_read(ec->d, hdr + phoff + i * phent, ph,
				 (size_t)phent) != phent)
			return false;
		struct cr_cursor pc = cr_cursor_make(ph, (size_t)phent,
						     ec->big_endian, 0, NULL);
		cr_cursor_peek(&pc, 0, 4, &type);
		if (type != PT_LOAD)
			continue;
		cr_cursor_peek(&pc, ec->is64 ? 8 : 4, ec->word, &off);
		cr_cursor_peek(&pc, ec->is64 ? 16 : 8, ec->word, &vaddr);
		im->bias = hdr - ((vaddr - off) & ~(page_of(ec) - 1));
		return read_phdrs(ec, hdr + phoff, phnum, phent, false, im);
	}
	return false;
}

/*
 * DT_SONAME of the image IM from its dynamic section in memory, malloc'd;
 * NULL when unreadable.  The dynamic linker relocates DT_STRTAB in place,
 * the kernel's vdso is not relocated: an address outside the image is one
 * still to be biased (old x86_64 vdsos are linked at 0xffffffffff700000).
 */
static char *image_soname(struct ec *ec, const struct image *im)
{
	struct cr_dump *d = ec->d;
	unsigned w = ec->word;
	uint64_t strtab = 0, soname = 0, ndyn = im->dynsz / (2u * w);
	bool have_soname = false;
	if (!im->dyn)
		return NULL;
	if (ndyn > EC_MAX_DYN)
		ndyn = EC_MAX_DYN;
	for (uint64_t i = 0; i < ndyn; i++) {
		uint64_t tag, val, at = im->dyn + i * 2u * w;
		if (!cr_dump_read_word(d, at, &tag) ||
		    !cr_dump_read_word(d, at + w, &val) || tag == DT_NULL)
			break;
		if (tag == DT_STRTAB)
			strtab = val;
		else if (tag == DT_SONAME) {
			soname = val;
			have_soname = true;
		}
	}
	if (!strtab || !have_soname)
		return NULL;
	if (strtab < im->lo || strtab >= im->hi)
		strtab += im->bias;
	char *name = cr_dump_read_string(d, strtab + soname, 256);
	if (name && !name[0]) {
		free(name);
		name = NULL;
	}
	return name;
}

/* NAME, or the image's soname, or PLACEHOLDER; ranked into *RANK. */
static char *name_or_soname(struct ec *ec, const struct image *im,
			    const char *placeholder, enum name_rank *rank)
{
	char *n = image_soname(ec, im);
	*rank = n ? NAME_SONAME : NAME_PLACEHOLDER;
	return n ? n : strdup(placeholder);
}

/* The name of a link-map entry or NT_FILE path, ranked. */
static enum name_rank path_rank(const char *name, enum name_rank absolute)
{
	if (!name || !name[0])
		return NAME_NONE;
	if (name[0] == '/')
		return absolute;
	return strchr(name, '/') ? NAME_RELATIVE : NAME_SONAME;
}

/*
 * read_image() at the start of region R, from C's memo: the look-backs of
 * a long lying link map read the same few regions over and over (with
 * the note budget of read_phdrs(), timeout-notes-lookback's 4096
 * look-backs of 16 images each still took 0.65 s plain, 17 s under ASan;
 * with the memo 12 ms).  Without memory for the memo, read again.
 */
static bool region_image(struct ec *ec, struct cands *c, size_t r,
			 struct image *im)
{
	struct cr_dump *d = ec->d;
	if (!c->memo)
		c->memo = calloc(d->nregions, sizeof(*c->memo));
	if (!c->memo)
		return read_image(ec, d->regions[r].start, im);
	struct region_image *m = &c->memo[r];
	if (!m->state)
		m->state = read_image(ec, d->regions[r].start, &m->im) ? 1 : -1;
	*im = m->im;
	return m->state > 0;
}

/*
 * The image of a link-map entry: its header is at L_ADDR when its first
 * PT_LOAD is at vaddr 0 (every shared library linked the usual way); else
 * (a prelinked library) at the start of one of the regions just below its
 * dynamic section L_LD.  The image found must have bias L_ADDR and hold
 * L_LD, so a lying entry cannot name someone else's image.
 */
static bool link_map_image(struct ec *ec, struct cands *c, uint64_t l_addr,
			   uint64_t l_ld, struct image *im)
{
	struct cr_dump *d = ec->d;
	if (read_image(ec, l_addr, im) && im->bias == l_addr &&
	    (!l_ld || (l_ld >= im->lo && l_ld < im->hi)))
		return true;
	/* The look-back costs up to EC_MAX_HEADER_BACK image reads: a
	 * budget for all entries, so a long lying link map stays cheap. */
	if (c->searches >= EC_MAX_HEADER_SEARCHES)
		return false;
	c->searches++;
	size_t r = cr_dump_region_rank(d, l_ld);
	for (size_t k = 0; r > 0 && k < EC_MAX_HEADER_BACK; k++, r--) {
		uint64_t start = d->regions[r - 1].start;
		if (start != l_addr && region_image(ec, c, r - 1, im) &&
		    im->bias == l_addr && l_ld >= im->lo && l_ld < im->hi)
			return true;
	}
	return false;
}

/* The link map from the executable's dynamic section at DYN (DYNSZ bytes). */
static void from_link_map(struct ec *ec, struct cands *c, uint64_t dyn,
			  uint64_t dynsz)
{
	struct cr_dump *d = ec->d;
	unsigned w = ec->word;
	uint64_t r_debug = 0;
	uint64_t ndyn = dynsz / (2u * w);
	if (ndyn > EC_MAX_DYN)
		ndyn = EC_MAX_DYN;
	for (uint64_t i = 0; i < ndyn && !r_debug; i++) {
		uint64_t tag, val, at = dyn + i * 2u * w;
		if (!cr_dump_read_word(d, at, &tag) ||
		    !cr_dump_read_word(d, at + w, &val) || tag == DT_NULL)
			break;
		if (tag == DT_DEBUG)
			r_debug = val;
	}
	uint64_t map;
	if (!r_debug || !cr_dump_read_word(d, r_debug + w, &map))
		return;
	/* Brent's cycle detection: SAVED is the entry seen at the last power
	 * of two; meeting it again means the chain loops. */
	uint64_t saved = 0;
	size_t power = 1, lam = 0, n;
	for (n = 0; map && n < EC_MAX_LINK_MAP; n++) {
		if (map == saved) {
			cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_WARNING, map),
					   "modules: the link map loops back to entry 0x%llx; the rest of it is not followed",
					(unsigned long long)map);
			return;
		}
		if (++lam == power) {
			saved = map;
			power *= 2;
			lam = 0;
		}
		uint64_t l_addr, l_name, l_ld, next;
		if (!cr_dump_read_word(d, map, &l_addr) ||
		    !cr_dump_read_word(d, map + w, &l_name) ||
		    !cr_dump_read_word(d, map + 2u * w, &l_ld) ||
		    !cr_dump_read_word(d, map + 3u * w, &next)) {
			cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_ERROR, map),
					   "modules: link map entry at 0x%llx is not in the dump; the rest of the link map is lost",
					(unsigned long long)map);
			return;
		}
		map = next;
		char *name = l_name ? cr_dump_read_string(d, l_name, EC_PATH_MAX) : NULL;
		struct image im;
		if (!name || !name[0] || !link_map_image(ec, c, l_addr, l_ld, &im)) {
			free(name);	/* the executable (""), or no header */
			continue;
		}
		propose_image(c, &im, name, path_rank(name, NAME_LINK_MAP));
	}
	if (map && n == EC_MAX_LINK_MAP)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_ERROR),
				   "modules: the link map has more than %d entries; the rest is not followed",
				EC_MAX_LINK_MAP);
}

/*
 * The executable through the auxv, the link map through its dynamic
 * section, the dynamic linker at AT_BASE and the vdso at AT_SYSINFO_EHDR.
 */
static void from_auxv(struct ec *ec, struct cands *c)
{
	struct cr_dump *d = ec->d;
	uint64_t phdr, phnum, phent, v;
	struct image exe = { 0 }, im;
	bool have_exe = elfcore_auxv_get(d, AT_PHDR, &phdr) &&
			elfcore_auxv_get(d, AT_PHNUM, &phnum) &&
			elfcore_auxv_get(d, AT_PHENT, &phent) &&
			read_phdrs(ec, phdr, phnum, phent, true, &exe);
	char *interp = NULL;
	if (have_exe) {
		/* Named by AT_EXECFN when that is a path (a core without
		 * NT_FILE has no other name for it), else "[exe]". */
		char *execfn = elfcore_auxv_get(d, AT_EXECFN, &v) ?
			cr_dump_read_string(d, v, EC_PATH_MAX) : NULL;
		if (execfn && execfn[0] == '/')
			propose_image(c, &exe, execfn, NAME_RELATIVE);
		else {
			free(execfn);
			propose_image(c, &exe, strdup("[exe]"), NAME_PLACEHOLDER);
		}
		if (exe.interp && exe.interpsz > 1)
			interp = cr_dump_read_string(d, exe.interp,
						     exe.interpsz < EC_PATH_MAX ? exe.interpsz : EC_PATH_MAX);
		if (exe.dyn)
			from_link_map(ec, c, exe.dyn, exe.dynsz);
	}
	if (elfcore_auxv_get(d, AT_BASE, &v) && v && read_image(ec, v, &im))
		propose_image(c, &im, interp, path_rank(interp, NAME_INTERP));
	else
		free(interp);
	if (elfcore_auxv_get(d, AT_SYSINFO_EHDR, &v) && v && read_image(ec, v, &im)) {
		enum name_rank rank;
		char *name = name_or_soname(ec, &im, "[vdso]", &rank);
		propose_image(c, &im, name, rank);
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
 * Candidates from NT_FILE: one per path, spanning all its mappings, when
 * the file looks like an ELF image: the dump has an ELF header at its first
 * mapping, or one of its mappings is executable (kernel cores often leave
 * out the pages of mapped files).  Grouping sorts the entries by path, so
 * a huge NT_FILE costs n log n.
 */
static void from_nt_file(struct ec *ec, struct cands *c)
{
	struct cr_dump *d = ec->d;
	if (ec->nfiles == 0)
		return;
	struct ec_file **v = malloc(ec->nfiles * sizeof(*v));
	if (!v) {
		cr_dump_oom(d, "modules from mapped files (NT_FILE)");
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < ec->nfiles; i++)
		if (ec->files[i].path && ec->files[i].path[0] &&
		    ec->files[i].end > ec->files[i].start)
			v[n++] = &ec->files[i];
	qsort(v, n, sizeof(*v), cmp_file_path);
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
		struct image im;
		bool elf = read_image(ec, base, &im) && im.lo == base;
		if (!elf && !exec)
			continue;
		char *name = strdup(path);
		enum name_rank rank = path_rank(name, NAME_NT_FILE);
		if (elf)
			propose_image(c, &im, name, rank);
		else
			propose(c, base, end, name, rank);
	}
	free(v);
}

/*
 * Candidates from ELF headers at the start of regions that no other source
 * named (a link map cut short, a core without NT_FILE): named by the
 * region's file when NT_FILE has one.  One binary-searched read per region.
 */
static void from_headers(struct ec *ec, struct cands *c)
{
	struct cr_dump *d = ec->d;
	for (size_t i = 0; i < d->nregions && c->n < CR_MAX_MODULES; i++) {
		const struct cr_region *r = &d->regions[i];
		uint8_t magic[SELFMAG];
		struct image im;
		if ((r->path && r->file_offset != 0) || !r->captured ||
		    cr_dump_read(d, r->start, magic, SELFMAG) != SELFMAG ||
		    memcmp(magic, ELFMAG, SELFMAG) != 0 ||
		    !read_image(ec, r->start, &im) || im.lo != r->start)
			continue;
		enum name_rank rank;
		char *name;
		if (r->path) {
			name = strdup(r->path);
			rank = path_rank(name, NAME_NT_FILE);
		} else {
			char buf[48];
			snprintf(buf, sizeof(buf), "[elf image 0x%llx]",
				 (unsigned long long)r->start);
			name = name_or_soname(ec, &im, buf, &rank);
		}
		propose_image(c, &im, name, rank);
		/* Skip the regions this image covers. */
		while (i + 1 < d->nregions && d->regions[i + 1].start < im.hi)
			i++;
	}
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	/* At one base: ranges from headers first, then better names. */
	if (x->from_header != y->from_header)
		return x->from_header ? -1 : 1;
	return (int)y->rank - (int)x->rank;
}

/* Fold candidate Y (same base) into X: better name, a build id, a range. */
static void merge_into(struct cand *x, struct cand *y)
{
	if (y->rank > x->rank) {
		free(x->name);
		x->name = y->name;
		x->rank = y->rank;
		y->name = NULL;
	}
	if (!x->build_id_len && y->build_id_len) {
		memcpy(x->build_id, y->build_id, y->build_id_len);
		x->build_id_len = y->build_id_len;
	}
	if (!x->from_header && y->end > x->end)
		x->end = y->end;
}

/* VERSION (LEN bytes, not NUL-terminated) when it is one to keep: short,
 * printable ASCII; else NULL. */
static char *clean_version(const char *v, size_t len)
{
	if (len == 0 || len > EC_MAX_VERSION)
		return NULL;
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return NULL;
	return strndup(v, len);
}

/* The "version" of the package note of the image whose ELF header is at
 * BASE in dump memory, malloc'd; NULL when it has none (or not one to
 * keep). */
static char *package_version(struct ec *ec, uint64_t base)
{
	struct image im;
	if (!read_image(ec, base, &im) || im.lo != base)
		return NULL;
	char note[EC_MAX_PACKAGE_NOTE];
	size_t len = 0;
	for (unsigned i = 0; i < im.nnotes && !len; i++)
		len = notes_find(ec, im.note_at[i], im.note_len[i],
				 EC_NT_FDO_PACKAGE, "FDO", 4, (uint8_t *)note,
				 sizeof(note));
	if (!len)
		return NULL;
	/* The JSON ends at its NUL (the descriptor is padded). */
	json_error_t jerr;
	json_t *j = json_loadb(note, strnlen(note, len), JSON_REJECT_DUPLICATES,
			       &jerr);
	json_t *v = json_is_object(j) ? json_object_get(j, "version") : NULL;
	char *out = json_is_string(v) ? clean_version(json_string_value(v),
						      json_string_length(v))
				      : NULL;
	json_decref(j);
	return out;
}

/* Sort, merge and move the candidates into d->modules. */
static void emit(struct ec *ec, struct cands *c)
{
	struct cr_dump *d = ec->d;
	if (c->n)
		qsort(c->v, c->n, sizeof(*c->v), cmp_cand);
	size_t out = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct cand *y = &c->v[i];
		struct cand *x = out ? &c->v[out - 1] : NULL;
		if (x && y->base == x->base) {
			merge_into(x, y);
			free(y->name);
		} else if (x && y->base < x->end) {
			free(y->name);	/* inside another image: a lie */
		} else {
			c->v[out++] = *y;
		}
	}
	c->n = out;
	struct cr_module *m = calloc(out ? out : 1, sizeof(*m));
	if (c->oom || !m)
		cr_dump_oom(d, "modules");
	if (!m) {
		for (size_t i = 0; i < out; i++)
			free(c->v[i].name);
		return;
	}
	for (size_t i = 0; i < out; i++) {
		struct cand *x = &c->v[i];
		m[i].kind = CR_MODULE_ELF;
		m[i].path = x->name ? x->name : strdup("?");
		m[i].base = x->base;
		m[i].size = x->end - x->base;
		if (x->build_id_len && (m[i].build_id = malloc(x->build_id_len))) {
			memcpy(m[i].build_id, x->build_id, x->build_id_len);
			m[i].build_id_len = x->build_id_len;
		}
		m[i].version = package_version(ec, x->base);
	}
	free(d->modules);
	d->modules = m;
	d->nmodules = out;
}

void elfcore_find_modules(struct ec *ec)
{
	struct cands c = { 0 };
	from_auxv(ec, &c);
	from_nt_file(ec, &c);
	from_headers(ec, &c);
	if (c.over_budget)
		cr_dump_problem_at(ec->d, CR_AT(CR_SEVERITY_ERROR),
				   "modules: more than %u bytes of module names; the modules beyond are not listed",
				EC_MAX_NAME_BYTES);
	emit(ec, &c);
	free(c.v);
	free(c.memo);
}
