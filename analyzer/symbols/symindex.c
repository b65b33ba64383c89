/*
 * symindex.c - dwfl_module_addrinfo() by binary search (see symindex.h).
 *
 * What libdwfl does (elfutils 0.188, libdwfl/dwfl_module_addrsym.c, with
 * adjust_st_value false as dwfl_module_addrinfo passes it), facts this file
 * relies on:
 *  - It looks at the symbols with a name, a defined section, a type other
 *    than SECTION, FILE or TLS, and a value (dwfl_module_getsym_info's
 *    address) at or below ADDR.  First the globals (table indices from
 *    dwfl_module_getsymtab_first_global() on, or from 1 when that is 0),
 *    in table order; then, only if no global was chosen and no sizeless
 *    global sits exactly at ADDR, the locals (1 .. first_global - 1).
 *  - A symbol with a size is a candidate when it contains ADDR.  Folding
 *    the candidates in table order, a candidate replaces the kept one when
 *    nothing is kept, its start is higher, or its binding ranks higher
 *    (global 3 > weak 2 > local 1 > other 0); at the same start it also
 *    replaces it when it is smaller and ranks no lower.  The fold depends
 *    on the order, so it is run as is, on the few candidates only.
 *  - Every symbol looked at raises a bound, min_label, to its end (value +
 *    size; its value when sizeless).  With no sized candidate, the answer is
 *    the sizeless symbol last seen (in the order the passes ran) whose value
 *    was at or above min_label then and is at or above its final value, and
 *    which lies in ADDR's section.  Since the bound only grows and includes
 *    the symbol's own value, that is: the last sizeless symbol whose value is
 *    the final bound M, the largest end among the symbols looked at.
 *  - "ADDR's section": for a symbol in a special section (shndx >=
 *    SHN_LORESERVE, or -1 for a non-SHF_ALLOC one) only ADDR == value;
 *    otherwise the index of the section of the main file containing ADDR
 *    equals the one containing the value, both found by libdwfl's binary
 *    search over the SHF_ALLOC sections sorted by (start, end, index), whose
 *    end counts as inside (derelocate.c, find_section); SHN_UNDEF when none.
 *  - *OFF is ADDR minus the chosen value, ADDR when nothing was chosen.
 * The index keeps, per pass, the looked-at symbols sorted by (value, table
 * index) and the running maximum of their ends: the symbols containing ADDR
 * are found walking down from ADDR until that maximum falls to ADDR, and M
 * is that maximum at ADDR.
 */
#include "symindex.h"

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Symbols containing one address before we leave it to libdwfl. */
#define MAX_COVERING 32

#define RADIX_BITS 11	/* digit of the radix sort */
#define RADIX_MASK ((1u << RADIX_BITS) - 1)

struct symentry {
	GElf_Addr value;	/* as dwfl_module_getsym_info gives it */
	GElf_Xword size;
	int ndx;		/* in libdwfl's numbering of the table */
	unsigned char bind;
};

/*
 * Symbols sorted by (value, ndx), each DELTA above the value E holds: an
 * index made from a template reads the template's lists in place, moved
 * to its module's load address, where a copy cost a merge of libc's
 * 10,000 symbols (and the pages it touched) for every dump.
 */
struct sympart {
	const struct symentry *e;
	const GElf_Addr *maxend;	/* maxend[i]: the largest end among
					 * e[0..i], DELTA below too */
	size_t n;
	GElf_Addr delta;
};

/* The symbols one of libdwfl's two passes looks at: one sorted list, or
 * (from a template) the ones that move with the load address and the ones
 * that do not, each sorted; merged, they are the pass. */
struct sympass {
	struct sympart part[2];
	size_t nparts;
};

struct secrange {
	GElf_Addr start, end;	/* end inside, as libdwfl counts it */
	size_t ndx;
};

struct cr_symindex {
	Dwfl_Module *mod;
	const struct cr_symtemplate *tmpl;	/* names and symbols, when
						 * made from a template */
	GElf_Addr delta;	/* the module's bias minus the template's */
	struct sympass global, local;
	bool search_locals;
	struct symentry *entries;	/* cr_symindex_new's: owns both passes' */
	GElf_Addr *maxends;
	struct secrange *secs;		/* the main file's SHF_ALLOC sections */
	size_t nsecs;
};

/* libdwfl's ranking of GELF_ST_BIND, higher is better; others rank 0. */
static const int BINDING_RANK[16] = {
	[STB_LOCAL] = 1, [STB_GLOBAL] = 3, [STB_WEAK] = 2,
};

/*
 * Sort E (in table order) by (value, ndx) with a stable radix sort on the
 * bits in which the values differ: qsort's comparison callbacks cost about
 * five times as much on libc's 10,000 symbols, more than the lookups saved.
 */
static void sort_entries_with(struct symentry *e, size_t n, struct symentry *tmp)
{
	if (n < 2)
		return;
	GElf_Addr lo = e[0].value, hi = e[0].value;
	for (size_t i = 1; i < n; i++) {
		lo = e[i].value < lo ? e[i].value : lo;
		hi = e[i].value > hi ? e[i].value : hi;
	}
	struct symentry *src = e, *dst = tmp;
	size_t pos[1u << RADIX_BITS];
	for (unsigned shift = 0; shift < 64 && ((hi - lo) >> shift) != 0;
	     shift += RADIX_BITS) {
		memset(pos, 0, sizeof(pos));
		for (size_t i = 0; i < n; i++)
			pos[((src[i].value - lo) >> shift) & RADIX_MASK]++;
		size_t sum = 0;
		for (size_t d = 0; d < ARRAY_LEN(pos); d++) {
			size_t c = pos[d];
			pos[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[pos[((src[i].value - lo) >> shift) & RADIX_MASK]++] = src[i];
		struct symentry *t = src;
		src = dst;
		dst = t;
	}
	if (src != e)
		memcpy(e, src, n * sizeof(*e));
}

static bool sort_entries(struct symentry *e, size_t n)
{
	struct symentry *tmp = n < 2 ? NULL : malloc(n * sizeof(*tmp));
	if (n >= 2 && !tmp)
		return false;
	sort_entries_with(e, n, tmp);
	free(tmp);
	return true;
}

static int cmp_sec(const void *a, const void *b)
{
	const struct secrange *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->ndx > y->ndx) - (x->ndx < y->ndx);
}

/* MAXEND[i] for E[0..N): the largest end among E[0..i]. */
static void max_ends(const struct symentry *e, GElf_Addr *maxend, size_t n)
{
	GElf_Addr m = 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Addr end = e[i].value + e[i].size;	/* checked at build */
		m = end > m ? end : m;
		maxend[i] = m;
	}
}

/* P, one list: E[0..N), sorted by (value, ndx), its ends into MAXEND. */
static void pass_init(struct sympass *p, const struct symentry *e,
		      GElf_Addr *maxend, size_t n)
{
	max_ends(e, maxend, n);
	p->part[0] = (struct sympart){ .e = e, .maxend = maxend, .n = n };
	p->nparts = 1;
}

/*
 * The main file's SHF_ALLOC sections at their run-time addresses, sorted as
 * libdwfl sorts them.  When libdwfl cannot list them (no section name
 * table, an unreadable header) it finds no section for any address, as an
 * empty list does.
 */
static bool load_sections(struct cr_symindex *ix, Elf *elf, GElf_Addr bias)
{
	size_t shstrndx, n = 0, cap = 0;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0)
		return true;
	for (Elf_Scn *scn = elf_nextscn(elf, NULL); scn; scn = elf_nextscn(elf, scn)) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			goto none;
		if (!(sh.sh_flags & SHF_ALLOC))
			continue;
		if (!elf_strptr(elf, shstrndx, sh.sh_name))
			goto none;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct secrange *s = realloc(ix->secs, ncap * sizeof(*s));
			if (!s)
				return false;
			ix->secs = s;
			cap = ncap;
		}
		GElf_Addr start = sh.sh_addr + bias;
		ix->secs[n++] = (struct secrange){
			.start = start, .end = start + sh.sh_size,
			.ndx = elf_ndxscn(scn),
		};
	}
	qsort(ix->secs, n, sizeof(*ix->secs), cmp_sec);
	ix->nsecs = n;
	return true;
none:
	free(ix->secs);
	ix->secs = NULL;
	return true;
}

/* The index of the section containing A, SHN_UNDEF when none (libdwfl's search). */
static size_t section_of(const struct cr_symindex *ix, GElf_Addr a)
{
	size_t l = 0, u = ix->nsecs;
	while (l < u) {
		size_t i = (l + u) / 2;
		if (a < ix->secs[i].start) {
			u = i;
		} else if (a > ix->secs[i].end) {
			l = i + 1;
		} else {
			/* A section's end is inside it unless the next starts there. */
			if (a == ix->secs[i].end && i + 1 < ix->nsecs &&
			    a == ix->secs[i + 1].start)
				i++;
			return ix->secs[i].ndx;
		}
	}
	return SHN_UNDEF;
}

/*
 * What one symbol table gives every module made of the same files, kept
 * across dumps by file_cache.h: the symbols sorted, split by pass (locals,
 * globals) and by how libdwfl places them.  Most values move with the
 * module's load address (libdwfl adds the bias to st_value); SHN_ABS ones
 * and those of sections not loaded do not.  Each list keeps its order
 * when the module moves, so a module's index reads the two sorted lists of
 * each pass in place, the moving one shifted by the difference of the two
 * load addresses (struct sympart): nothing per dump, where reading and
 * sorting the table is 4.8 M instructions for libc.
 */
struct symlist {
	struct symentry *e;	/* sorted by (value, ndx) at BIAS */
	GElf_Addr *maxend;	/* as struct sympart's, at BIAS */
	size_t n;
};

/*
 * What libdwfl answers for one table entry (dwfl_module_getsym_info),
 * copied: an index made from a template names its symbols from here, so
 * that a later dump's libdwfl session need not read the table again, nor
 * open the separate debug file it came from (file_cache.h).
 */
struct tsym {
	GElf_Sym sym;
	GElf_Addr value;	/* the address, at the template's bias */
	GElf_Word shndx;	/* its section, SHN_XINDEX resolved */
	uint32_t name;		/* into the template's names; NO_NAME */
	bool moves;		/* VALUE follows the module's load address */
};

#define NO_NAME UINT32_MAX

struct cr_symtemplate {
	struct symlist moving[2], fixed[2];	/* [0] locals, [1] globals */
	GElf_Addr bias;		/* the values are at this bias */
	GElf_Addr hi;		/* the largest end of a moving symbol,
				 * minus BIAS */
	bool any_bias;		/* moving ones are st_value + bias: any
				 * bias will do, else only BIAS */
	bool search_locals;
	size_t n;
	struct tsym *syms;	/* by table index, [0, nsyms) */
	size_t nsyms;
	char *names;		/* the names, NUL-terminated */
	size_t names_len, names_cap;
};

static void template_put(struct cr_symtemplate *t, struct symlist *l,
			 const struct symentry *e)
{
	l->e[l->n++] = *e;
	t->n++;
}

/* A module's symbol table as libdwfl gives it. */
struct symtable {
	int n;			/* entries, 0 the null symbol */
	int first_global;	/* libdwfl's */
	GElf_Addr bias;
	Elf *elf;		/* the main file */
};

/* Whether MOD's table is one the index models (symindex.h), into *T. */
static bool table_usable(Dwfl_Module *mod, struct symtable *t)
{
	t->n = dwfl_module_getsymtab(mod);
	if (t->n < 1)
		return false;
	t->first_global = dwfl_module_getsymtab_first_global(mod);
	t->elf = dwfl_module_getelf(mod, &t->bias);
	GElf_Ehdr eh;
	/* ET_REL values are relocated per section; ppc64 function
	 * descriptors are tried at two addresses: not modelled here. */
	return t->first_global >= 0 && t->elf && gelf_getehdr(t->elf, &eh) &&
	       eh.e_type != ET_REL && eh.e_machine != EM_PPC64;
}

/*
 * Symbol I, named NAME with *S at VALUE, as libdwfl's lookup sees it,
 * into *E: 1, 0 when the lookup skips it, -1 when its end wraps (libdwfl's
 * bound wraps with it; ours would not).
 */
static int lookup_entry(int i, const char *name, const GElf_Sym *s,
			GElf_Addr value, struct symentry *e)
{
	GElf_Addr end;
	if (!name || !name[0] || s->st_shndx == SHN_UNDEF)
		return 0;
	unsigned type = GELF_ST_TYPE(s->st_info);
	if (type == STT_SECTION || type == STT_FILE || type == STT_TLS)
		return 0;
	if (__builtin_add_overflow(value, s->st_size, &end))
		return -1;
	*e = (struct symentry){ .value = value, .size = s->st_size, .ndx = i,
				.bind = GELF_ST_BIND(s->st_info) };
	return 1;
}

/* Symbol I of MOD as libdwfl's lookup sees it (lookup_entry). */
static int read_entry(Dwfl_Module *mod, int i, struct symentry *e, GElf_Sym *s)
{
	GElf_Addr value;
	const char *name = dwfl_module_getsym_info(mod, i, s, &value, NULL,
						   NULL, NULL);
	return lookup_entry(i, name, s, value, e);
}

/* NAME into T's names: its offset, NO_NAME for none; false out of memory. */
static bool keep_name(struct cr_symtemplate *t, const char *name, uint32_t *off)
{
	*off = NO_NAME;
	if (!name)
		return true;
	size_t len = strlen(name) + 1;
	if (len > NO_NAME - 1 - t->names_len)
		return false;
	if (!CR_GROW(t->names, t->names_cap, t->names_len + len))
		return false;
	memcpy(t->names + t->names_len, name, len);
	*off = (uint32_t)t->names_len;
	t->names_len += len;
	return true;
}

struct cr_symtemplate *cr_symtemplate_new(Dwfl_Module *mod)
{
	struct symtable tb;
	if (!table_usable(mod, &tb))
		return NULL;
	int n = tb.n, first_global = tb.first_global;
	GElf_Addr bias = tb.bias;
	struct cr_symtemplate *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	*t = (struct cr_symtemplate){ .bias = bias, .any_bias = true,
				      .search_locals = first_global > 1 };
	t->syms = calloc((size_t)n, sizeof(*t->syms));
	if (!t->syms)
		goto fail;
	t->nsyms = (size_t)n;
	t->syms[0].name = NO_NAME;
	for (int k = 0; k < 2; k++) {
		t->moving[k].e = malloc((size_t)n * sizeof(struct symentry));
		t->fixed[k].e = malloc((size_t)n * sizeof(struct symentry));
		if (!t->moving[k].e || !t->fixed[k].e)
			goto fail;
	}
	int global_start = first_global == 0 ? 1 : first_global;
	for (int i = 1; i < n; i++) {
		GElf_Addr moved;
		struct symentry e;
		struct tsym *ts = &t->syms[i];
		const char *name = dwfl_module_getsym_info(mod, i, &ts->sym,
							   &ts->value,
							   &ts->shndx, NULL,
							   NULL);
		if (!keep_name(t, name, &ts->name))
			goto fail;
		/* libdwfl adds the bias to a value in an allocated section
		 * and leaves SHN_ABS ones and those of other sections (shndx
		 * -1) alone: told apart by what it did. */
		GElf_Sym s = ts->sym;
		bool moves = !__builtin_add_overflow(s.st_value, bias, &moved) &&
			     moved == ts->value;
		ts->moves = moves;
		int r = lookup_entry(i, name, &s, ts->value, &e);
		if (r < 0)
			goto fail;
		if (r == 0)
			continue;
		int pass = i >= global_start;
		/* At bias 0 moving and fixed cannot be told apart, and a
		 * table whose values neither follow the bias nor stay (a
		 * debug file placed otherwise) serves this bias only. */
		if (bias == 0 || (!moves && e.value != s.st_value))
			t->any_bias = false;
		if (!moves) {
			template_put(t, &t->fixed[pass], &e);
			continue;
		}
		if (e.value + e.size - bias > t->hi)
			t->hi = e.value + e.size - bias;
		template_put(t, &t->moving[pass], &e);
	}
	for (int k = 0; k < 2; k++) {
		struct symlist *l[2] = { &t->moving[k], &t->fixed[k] };
		for (int j = 0; j < 2; j++) {
			if (!sort_entries(l[j]->e, l[j]->n))
				goto fail;
			/* Kept across dumps: no room to spare. */
			size_t room = l[j]->n ? l[j]->n : 1;
			struct symentry *fit = realloc(l[j]->e, room * sizeof(*fit));
			if (fit)
				l[j]->e = fit;
			if (!(l[j]->maxend = malloc(room * sizeof(*l[j]->maxend))))
				goto fail;
			max_ends(l[j]->e, l[j]->maxend, l[j]->n);
		}
	}
	char *fit = realloc(t->names, t->names_len ? t->names_len : 1);
	if (fit) {
		t->names = fit;
		t->names_cap = t->names_len ? t->names_len : 1;
	}
	return t;
fail:
	cr_symtemplate_free(t);
	return NULL;
}

void cr_symtemplate_free(struct cr_symtemplate *t)
{
	if (!t)
		return;
	for (int k = 0; k < 2; k++) {
		free(t->moving[k].e);
		free(t->fixed[k].e);
		free(t->moving[k].maxend);
		free(t->fixed[k].maxend);
	}
	free(t->syms);
	free(t->names);
	free(t);
}

size_t cr_symtemplate_memory(const struct cr_symtemplate *t)
{
	return sizeof(*t) + t->n * (sizeof(struct symentry) + sizeof(GElf_Addr)) +
	       t->nsyms * sizeof(struct tsym) + t->names_cap;
}

/* Where T's entry TS lies in a module DELTA from the template's bias. */
static GElf_Addr tsym_value(const struct tsym *ts, GElf_Addr delta)
{
	return ts->moves ? ts->value + delta : ts->value;
}

/* T's name of TS, NULL for none. */
static const char *tsym_name(const struct cr_symtemplate *t,
			     const struct tsym *ts)
{
	return ts->name == NO_NAME ? NULL : t->names + ts->name;
}

int cr_symtemplate_find(const struct cr_symtemplate *t, GElf_Addr bias,
			const char *name, GElf_Addr *addr)
{
	GElf_Addr top;
	if (t->any_bias ? __builtin_add_overflow(t->hi, bias, &top)
			: bias != t->bias)
		return -1;
	for (size_t i = 1; i < t->nsyms; i++) {
		const struct tsym *ts = &t->syms[i];
		const char *n = tsym_name(t, ts);
		if (n && ts->sym.st_shndx != SHN_UNDEF && strcmp(n, name) == 0) {
			*addr = tsym_value(ts, bias - t->bias);
			return 1;
		}
	}
	return 0;
}

/* Pass K of T for a module DELTA above T's bias, in place. */
static void template_pass(struct sympass *p, const struct cr_symtemplate *t,
			  int k, GElf_Addr delta)
{
	const struct symlist *m = &t->moving[k], *f = &t->fixed[k];
	p->part[0] = (struct sympart){ .e = m->e, .maxend = m->maxend,
				       .n = m->n, .delta = delta };
	p->part[1] = (struct sympart){ .e = f->e, .maxend = f->maxend,
				       .n = f->n };
	p->nparts = 2;
}

struct cr_symindex *cr_symindex_of(const struct cr_symtemplate *t,
				   Dwfl_Module *mod)
{
	GElf_Addr bias, top;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	if (!elf || (t->any_bias ? __builtin_add_overflow(t->hi, bias, &top)
				 : bias != t->bias))
		return NULL;
	struct cr_symindex *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return NULL;
	ix->mod = mod;
	ix->tmpl = t;
	if (!load_sections(ix, elf, bias))
		goto fail;
	/* Unsigned: adding (bias - t->bias) moves st_value + t->bias to
	 * st_value + bias, which TOP showed does not wrap (nor an end, nor
	 * so the largest end so far). */
	ix->delta = bias - t->bias;
	template_pass(&ix->local, t, 0, ix->delta);
	template_pass(&ix->global, t, 1, ix->delta);
	ix->search_locals = t->search_locals;
	return ix;
fail:
	cr_symindex_free(ix);
	return NULL;
}

/*
 * Without a template to keep (no file cache): the table read straight into
 * the index's two passes and each sorted once, at the module's own bias.
 * Building a template first and an index of it cost a plain analysis
 * twice the memory touched when the index was a merged copy (libc's
 * table: 240 KB per copy, each page a fault: tests/bench/README.md).
 */
struct cr_symindex *cr_symindex_new(Dwfl_Module *mod)
{
	struct symtable tb;
	if (!table_usable(mod, &tb))
		return NULL;
	struct symentry *tmp = malloc((size_t)tb.n * sizeof(*tmp));
	struct cr_symindex *ix = calloc(1, sizeof(*ix));
	if (!ix || !tmp)
		goto fail;
	ix->mod = mod;
	ix->entries = malloc((size_t)tb.n * sizeof(*ix->entries));
	ix->maxends = malloc((size_t)tb.n * sizeof(*ix->maxends));
	if (!ix->entries || !ix->maxends || !load_sections(ix, tb.elf, tb.bias))
		goto fail;
	/* Locals are table entries 1 .. first_global - 1, globals the rest:
	 * each pass has its own part of the arrays. */
	int global_start = tb.first_global == 0 ? 1 :
			   tb.first_global > tb.n ? tb.n : tb.first_global;
	struct symentry *globals = ix->entries + (global_start - 1);
	size_t nlocal = 0, nglobal = 0;
	for (int i = 1; i < tb.n; i++) {
		GElf_Sym s;
		struct symentry e;
		int r = read_entry(mod, i, &e, &s);
		if (r < 0)
			goto fail;
		if (r > 0 && i >= global_start)
			globals[nglobal++] = e;
		else if (r > 0)
			ix->entries[nlocal++] = e;
	}
	sort_entries_with(ix->entries, nlocal, tmp);
	sort_entries_with(globals, nglobal, tmp);
	free(tmp);
	pass_init(&ix->local, ix->entries, ix->maxends, nlocal);
	pass_init(&ix->global, globals, ix->maxends + (global_start - 1), nglobal);
	ix->search_locals = tb.first_global > 1;
	return ix;
fail:
	free(tmp);
	cr_symindex_free(ix);
	return NULL;
}

void cr_symindex_free(struct cr_symindex *ix)
{
	if (!ix)
		return;
	free(ix->entries);
	free(ix->maxends);
	free(ix->secs);
	free(ix);
}

/* How many of P's symbols have a value at or below ADDR. */
static size_t at_or_below(const struct sympart *p, GElf_Addr addr)
{
	size_t l = 0, u = p->n;
	while (l < u) {
		size_t i = l + (u - l) / 2;
		if (p->e[i].value + p->delta <= addr)
			l = i + 1;
		else
			u = i;
	}
	return l;
}

/* P's symbol I, at its module's address. */
static struct symentry part_entry(const struct sympart *p, size_t i)
{
	struct symentry e = p->e[i];
	e.value += p->delta;
	return e;
}

/*
 * libdwfl's choice among the sized symbols of P containing ADDR, into
 * *BEST (*FOUND false: none).  False when there are more than we keep.
 */
static bool pick_covering(const struct sympass *p, GElf_Addr addr,
			  struct symentry *best, bool *found)
{
	struct symentry cov[MAX_COVERING];
	size_t nc = 0;
	for (size_t j = 0; j < p->nparts; j++) {
		const struct sympart *pt = &p->part[j];
		for (size_t i = at_or_below(pt, addr);
		     i-- > 0 && pt->maxend[i] + pt->delta > addr;) {
			struct symentry s = part_entry(pt, i);
			if (s.size == 0 || addr - s.value >= s.size)
				continue;
			if (nc == MAX_COVERING)
				return false;
			cov[nc++] = s;
		}
	}
	/* Into table order (insertion sort: a handful of aliases). */
	for (size_t i = 1; i < nc; i++)
		for (size_t j = i; j > 0 && cov[j - 1].ndx > cov[j].ndx; j--) {
			struct symentry t = cov[j];
			cov[j] = cov[j - 1];
			cov[j - 1] = t;
		}
	const struct symentry *cl = NULL;
	for (size_t i = 0; i < nc; i++) {
		const struct symentry *s = &cov[i];
		int rc = cl ? BINDING_RANK[cl->bind] : 0;
		int rs = BINDING_RANK[s->bind];
		if (!cl || cl->value < s->value || rc < rs ||
		    (cl->value == s->value &&
		     ((cl->size > s->size && rc <= rs) ||
		      (cl->size >= s->size && rc < rs))))
			cl = s;
	}
	*found = cl != NULL;
	if (cl)
		*best = *cl;
	return true;
}

/* Is there a sizeless symbol of P at exactly ADDR? */
static bool label_at_addr(const struct sympass *p, GElf_Addr addr)
{
	for (size_t j = 0; j < p->nparts; j++) {
		const struct sympart *pt = &p->part[j];
		for (size_t i = at_or_below(pt, addr);
		     i-- > 0 && pt->e[i].value + pt->delta == addr;)
			if (pt->e[i].size == 0)
				return true;
	}
	return false;
}

/*
 * dwfl_module_getsym_info(IX's module, NDX, SYM, VALUE, SHNDX, NULL, NULL),
 * from the template when IX was made from one.
 */
static const char *symbol_info(const struct cr_symindex *ix, int ndx,
			       GElf_Sym *sym, GElf_Addr *value, GElf_Word *shndx)
{
	if (!ix->tmpl)
		return dwfl_module_getsym_info(ix->mod, ndx, sym, value, shndx,
					       NULL, NULL);
	const struct tsym *ts = &ix->tmpl->syms[ndx];
	const char *name = tsym_name(ix->tmpl, ts);
	if (name) {
		*sym = ts->sym;
		*value = tsym_value(ts, ix->delta);
		*shndx = ts->shndx;
	}
	return name;
}

/*
 * The last (largest table index) sizeless symbol of P at or below ADDR
 * whose value is M, in ADDR's section, into *OUT.  P's values at or below
 * ADDR are at most M, so those at M end each part of P.
 */
static bool label_at(const struct cr_symindex *ix, const struct sympass *p,
		     GElf_Addr m, GElf_Addr addr, struct symentry *out)
{
	bool found = false;
	for (size_t j = 0; j < p->nparts; j++) {
		const struct sympart *pt = &p->part[j];
		for (size_t i = at_or_below(pt, addr);
		     i-- > 0 && pt->e[i].value + pt->delta == m;) {
			struct symentry s = part_entry(pt, i);
			GElf_Sym sym;
			GElf_Addr value;
			GElf_Word shndx;
			if (s.size != 0 || (found && s.ndx < out->ndx) ||
			    !symbol_info(ix, s.ndx, &sym, &value, &shndx))
				continue;
			if (shndx >= SHN_LORESERVE ? value == addr
						   : section_of(ix, addr) == section_of(ix, value)) {
				*out = s;
				found = true;
				break;
			}
		}
	}
	return found;
}

/* The largest end among P's symbols at or below ADDR (0: none). */
static GElf_Addr top_end(const struct sympass *p, GElf_Addr addr)
{
	GElf_Addr m = 0;
	for (size_t j = 0; j < p->nparts; j++) {
		const struct sympart *pt = &p->part[j];
		size_t k = at_or_below(pt, addr);
		if (k && pt->maxend[k - 1] + pt->delta > m)
			m = pt->maxend[k - 1] + pt->delta;
	}
	return m;
}

const char *cr_symindex_addrinfo(struct cr_symindex *ix, GElf_Addr addr,
				 GElf_Off *off, GElf_Sym *sym)
{
	struct symentry hit;
	bool found = false, locals = false;
	if (!pick_covering(&ix->global, addr, &hit, &found))
		goto ask_libdwfl;
	if (!found && ix->search_locals && !label_at_addr(&ix->global, addr)) {
		locals = true;
		if (!pick_covering(&ix->local, addr, &hit, &found))
			goto ask_libdwfl;
	}
	if (!found) {
		GElf_Addr m = top_end(&ix->global, addr);
		if (locals && top_end(&ix->local, addr) > m)
			m = top_end(&ix->local, addr);
		/* The locals ran last: their label wins a tie. */
		if (locals)
			found = label_at(ix, &ix->local, m, addr, &hit);
		if (!found)
			found = label_at(ix, &ix->global, m, addr, &hit);
	}
	if (!found) {
		*off = addr;
		return NULL;
	}
	GElf_Addr value = 0;
	GElf_Word shndx;
	const char *name = symbol_info(ix, hit.ndx, sym, &value, &shndx);
	*off = addr - value;
	return name;
ask_libdwfl:
	return dwfl_module_addrinfo(ix->mod, addr, off, sym, NULL, NULL, NULL);
}
