/*
 * dwarf_layout.c - struct layouts from DWARF (dwarf_layout.h).
 *
 * How a C struct is described (DWARF 5, section 5.7): a DW_TAG_structure_
 * or union_type DIE whose DW_TAG_member children carry a name, a DW_AT_type
 * and DW_AT_data_member_location (a constant offset; DWARF 2 producers
 * write a DW_OP_plus_uconst expression; union members may omit it, offset
 * 0).  A member without a name is an anonymous struct or union whose own
 * members are reached as if they were the parent's.  Typedefs and
 * qualifiers (const, volatile, restrict, _Atomic) wrap the real type and
 * are stripped.  A bit field (DW_AT_bit_size) is not a byte-addressable
 * field and is refused.
 *
 * The type is searched among the top-level DIEs of every unit (compile
 * and partial units of .debug_info; dwz's partial units in an alternate
 * file are not followed): the first definition (not a declaration) of
 * the name wins, which for a C library is the one every unit shares.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dwarf.h>

#include "dwarf_layout.h"
#include "symtab.h"

/* Bounds on the nesting a name may ask for or a type may hold. */
#define MAX_DEPTH 8
#define MAX_FIELDS 32

/* "struct X", "union X", "enum X": the tag the name asks for. */
static const struct {
	const char *prefix;
	int tag;
} tagged_names[] = {
	{ "struct ", DW_TAG_structure_type },
	{ "union ", DW_TAG_union_type },
	{ "enum ", DW_TAG_enumeration_type },
};

/* Tags a bare name ("pthread_mutex_t") may have. */
static const int bare_tags[] = {
	DW_TAG_typedef, DW_TAG_structure_type, DW_TAG_union_type,
	DW_TAG_base_type,
};

/* Tags that only wrap another type. */
static const int wrapper_tags[] = {
	DW_TAG_typedef, DW_TAG_const_type, DW_TAG_volatile_type,
	DW_TAG_restrict_type, DW_TAG_atomic_type,
};

struct type_query {
	const char *name;
	int tag;		/* 0: any of bare_tags */
};

static bool tag_in(int tag, const int *tags, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tags[i] == tag)
			return true;
	return false;
}

static struct type_query parse_type_name(const char *type)
{
	for (size_t i = 0; i < sizeof(tagged_names) / sizeof(tagged_names[0]); i++) {
		size_t len = strlen(tagged_names[i].prefix);
		if (strncmp(type, tagged_names[i].prefix, len) == 0)
			return (struct type_query){ type + len,
						    tagged_names[i].tag };
	}
	return (struct type_query){ type, 0 };
}

static bool die_matches(Dwarf_Die *die, const struct type_query *q)
{
	int tag = dwarf_tag(die);
	if (q->tag ? tag != q->tag
		   : !tag_in(tag, bare_tags, sizeof(bare_tags) / sizeof(bare_tags[0])))
		return false;
	const char *name = dwarf_diename(die);
	if (!name || strcmp(name, q->name) != 0)
		return false;
	Dwarf_Attribute a;
	bool decl = false;
	if (dwarf_attr(die, DW_AT_declaration, &a) && dwarf_formflag(&a, &decl) == 0 && decl)
		return false;	/* "struct x;": no members */
	return true;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* The first definition of TYPE among the top-level DIEs of DW's units,
 * within the unit and time budgets. */
static bool find_type(Dwarf *dw, const char *type, Dwarf_Die *out)
{
	struct type_query q = parse_type_name(type);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie, child;
	uint8_t unit_type;
	for (size_t units = 0; units < CR_DWARF_LAYOUT_MAX_UNITS &&
	     dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL) == 0;
	     units++) {
		if ((units & 63) == 63 &&
		    elapsed_ms(&start) > CR_DWARF_LAYOUT_BUDGET_MS)
			return false;
		if (dwarf_child(&cudie, &child) != 0)
			continue;
		do {
			if (die_matches(&child, &q)) {
				*out = child;
				return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

/* The DIE T's DW_AT_type refers to; false for none (void). */
static bool type_of(Dwarf_Die *t, Dwarf_Die *out)
{
	Dwarf_Attribute a;
	return dwarf_attr_integrate(t, DW_AT_type, &a) &&
	       dwarf_formref_die(&a, out) != NULL;
}

/* Strip typedefs and qualifiers off T in place. */
static bool strip(Dwarf_Die *t)
{
	for (int i = 0; i < 4 * MAX_DEPTH; i++) {
		if (!tag_in(dwarf_tag(t), wrapper_tags,
			    sizeof(wrapper_tags) / sizeof(wrapper_tags[0])))
			return true;
		if (!type_of(t, t))
			return false;
	}
	return false;
}

/* Member M's byte offset in its struct (0 for a union member without). */
static bool member_offset(Dwarf_Die *m, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word w;
	if (!dwarf_attr(m, DW_AT_data_member_location, &a)) {
		*off = 0;
		return true;
	}
	if (dwarf_formudata(&a, &w) == 0) {
		*off = w;
		return true;
	}
	Dwarf_Op *ops;
	size_t n;
	if (dwarf_getlocation(&a, &ops, &n) == 0 && n == 1 &&
	    ops[0].atom == DW_OP_plus_uconst) {
		*off = ops[0].number;
		return true;
	}
	return false;
}

/*
 * The member NAME (LEN bytes) of the struct or union AGG (stripped), looked
 * for through anonymous members too: *M and its offset in AGG.
 */
static bool find_member(Dwarf_Die *agg, const char *name, size_t len,
			int depth, Dwarf_Die *m, uint64_t *off)
{
	int tag = dwarf_tag(agg);
	if (depth > MAX_DEPTH ||
	    (tag != DW_TAG_structure_type && tag != DW_TAG_union_type &&
	     tag != DW_TAG_class_type))
		return false;
	Dwarf_Die c;
	if (dwarf_child(agg, &c) != 0)
		return false;
	do {
		uint64_t coff, inner;
		if (dwarf_tag(&c) != DW_TAG_member || !member_offset(&c, &coff))
			continue;
		const char *n = dwarf_diename(&c);
		if (n && strlen(n) == len && memcmp(n, name, len) == 0) {
			*m = c;
			*off = coff;
			return true;
		}
		Dwarf_Die t;
		if (!n && type_of(&c, &t) && strip(&t) &&
		    find_member(&t, name, len, depth + 1, m, &inner) &&
		    !__builtin_add_overflow(coff, inner, off))
			return true;
	} while (dwarf_siblingof(&c, &c) == 0);
	return false;
}

/* Whether the base type T is a signed integer. */
static bool base_is_signed(Dwarf_Die *t)
{
	Dwarf_Attribute a;
	Dwarf_Word enc;
	return dwarf_attr_integrate(t, DW_AT_encoding, &a) &&
	       dwarf_formudata(&a, &enc) == 0 &&
	       (enc == DW_ATE_signed || enc == DW_ATE_signed_char);
}

/* Size and signedness of the scalar type T (stripped): an integer, enum
 * or pointer of 1, 2, 4 or 8 bytes. */
static bool scalar(Dwarf_Die *t, uint8_t *size, bool *is_signed)
{
	int tag = dwarf_tag(t);
	int bytes = dwarf_bytesize(t);
	*is_signed = false;
	if (tag == DW_TAG_pointer_type) {
		uint8_t asize;
		Dwarf_Die cu;
		if (bytes <= 0 && dwarf_diecu(t, &cu, &asize, NULL))
			bytes = asize;
	} else if (tag == DW_TAG_enumeration_type) {
		/* Signed as its underlying base type; looked at once, not
		 * recursively (an enum of itself would never end). */
		Dwarf_Die base;
		if (type_of(t, &base) && strip(&base) &&
		    dwarf_tag(&base) == DW_TAG_base_type)
			*is_signed = base_is_signed(&base);
	} else if (tag == DW_TAG_base_type) {
		*is_signed = base_is_signed(t);
	} else {
		return false;
	}
	if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8)
		return false;
	*size = (uint8_t)bytes;
	return true;
}

/* Field F (its dotted name) of TYPE: offset, size, signedness into F. */
static bool resolve_field(const Dwarf_Die *type, struct cr_field *f)
{
	Dwarf_Die cur = *type;
	uint64_t total = 0;
	const char *p = f->name;
	for (int depth = 0;; depth++) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		Dwarf_Die m;
		uint64_t off;
		if (depth > MAX_DEPTH || len == 0 || !strip(&cur) ||
		    !find_member(&cur, p, len, 0, &m, &off) ||
		    __builtin_add_overflow(total, off, &total) ||
		    dwarf_hasattr(&m, DW_AT_bit_size) || !type_of(&m, &cur))
			return false;
		if (!dot)
			break;
		p = dot + 1;
	}
	if (!strip(&cur) || total > UINT32_MAX ||
	    !scalar(&cur, &f->size, &f->is_signed))
		return false;
	f->offset = (uint32_t)total;
	return true;
}

/* Fill INOUT from the type DIE TYPE; all or nothing. */
static bool fill_layout(const Dwarf_Die *type, struct cr_layout *inout)
{
	struct cr_field out[MAX_FIELDS];
	Dwarf_Die t = *type;
	if (inout->nfields > MAX_FIELDS || !strip(&t))
		return false;
	int size = dwarf_bytesize(&t);
	if (size <= 0)
		return false;
	for (size_t i = 0; i < inout->nfields; i++) {
		out[i] = (struct cr_field){ .name = inout->fields[i].name };
		if (!out[i].name || !resolve_field(&t, &out[i]) ||
		    out[i].offset + out[i].size > (uint64_t)size)
			return false;
	}
	/* The caller's fields are writable (dwarf_layout.h). */
	memcpy((struct cr_field *)inout->fields, out,
	       inout->nfields * sizeof(out[0]));
	inout->size = (uint32_t)size;
	return true;
}

bool cr_layout_from_dw(Dwarf *dw, const char *type, struct cr_layout *inout)
{
	Dwarf_Die die;
	return dw && type && find_type(dw, type, &die) &&
	       fill_layout(&die, inout);
}

struct module_query {
	const char *prefix;
	struct cr_symtab *st;	/* NULL: the session's own DWARF */
	Dwarf *dw;
	struct cr_dwarf_shadow *held;	/* cr_symtab_dwarf_enter's */
};

static int module_cb(Dwfl_Module *mod, void **userdata, const char *name,
		     Dwarf_Addr start, void *arg)
{
	(void)userdata;
	(void)start;
	struct module_query *q = arg;
	const char *base = name ? strrchr(name, '/') : NULL;
	base = base ? base + 1 : name;
	if (!base || strncmp(base, q->prefix, strlen(q->prefix)) != 0)
		return DWARF_CB_OK;
	Dwarf_Addr bias;
	q->dw = q->st ? cr_symtab_dwarf_enter(q->st, mod, &q->held)
		      : dwfl_module_getdwarf(mod, &bias);
	if (q->dw)
		return DWARF_CB_ABORT;
	cr_symtab_dwarf_leave(q->held);
	q->held = NULL;
	return DWARF_CB_OK;
}

/*
 * The type DIE of TYPE in the first module matching MODULE with DWARF, of
 * DWFL, or of ST's session when ST is given: then from the DWARF a batch
 * worker keeps (*HELD: whose lock cr_symtab_dwarf_reenter takes to read
 * the DIE), not opened again for every dump (libc's, for the layouts of
 * its locks and its heap: 200 M instructions).
 */
static bool find_in_dwfl(Dwfl *dwfl, struct cr_symtab *st, const char *module,
			 const char *type, Dwarf_Die *out,
			 struct cr_dwarf_shadow **held)
{
	struct module_query q = { .prefix = module ? module : "", .st = st };
	*held = NULL;
	if (!dwfl || !type)
		return false;
	dwfl_getmodules(dwfl, module_cb, &q, 0);
	bool found = q.dw && find_type(q.dw, type, out);
	cr_symtab_dwarf_leave(q.held);
	*held = q.held;
	return found;
}

bool cr_layout_from_dwfl(Dwfl *dwfl, const char *module, const char *type,
			 struct cr_layout *inout)
{
	Dwarf_Die die;
	struct cr_dwarf_shadow *held;
	return find_in_dwfl(dwfl, NULL, module, type, &die, &held) &&
	       fill_layout(&die, inout);
}

/* fill_layout of DIE, a DIE of HELD's DWARF (NULL: the session's). */
static bool fill_held(struct cr_dwarf_shadow *held, Dwarf_Die *die,
		      struct cr_layout *inout)
{
	cr_symtab_dwarf_reenter(held);
	bool ok = fill_layout(die, inout);
	cr_symtab_dwarf_leave(held);
	return ok;
}

/* --- the session's memory ------------------------------------------------- */

struct layout_entry {
	char *module, *type;
	bool found;
	Dwarf_Die die;		/* valid while the session's Dwfl lives */
	struct cr_dwarf_shadow *held;	/* DIE's DWARF, when kept: its lock */
};

struct cr_layout_cache {
	struct layout_entry e[CR_DWARF_LAYOUT_MAX_CACHE];
	size_t n;
};

void cr_layout_cache_free(struct cr_layout_cache *c)
{
	for (size_t i = 0; c && i < c->n; i++) {
		free(c->e[i].module);
		free(c->e[i].type);
	}
	free(c);
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool cr_layout_from_dwarf(struct cr_symtab *st, const char *module,
			  const char *type, struct cr_layout *inout)
{
	if (!st || !type)
		return false;
	struct cr_layout_cache **cp = cr_symtab_layout_cache(st);
	struct cr_layout_cache *c = *cp;
	for (size_t i = 0; c && i < c->n; i++)
		if (same(c->e[i].module, module) && same(c->e[i].type, type))
			return c->e[i].found &&
			       fill_held(c->e[i].held, &c->e[i].die, inout);
	Dwarf_Die die;
	struct cr_dwarf_shadow *held;
	memset(&die, 0, sizeof(die));
	bool found = find_in_dwfl(cr_symtab_dwfl(st), st, module, type, &die,
				  &held);
	if (!c)
		c = *cp = calloc(1, sizeof(*c));
	/* Out of memory or full: not remembered, only looked up again. */
	if (c && c->n < CR_DWARF_LAYOUT_MAX_CACHE) {
		struct layout_entry *e = &c->e[c->n];
		e->module = module ? strdup(module) : NULL;
		e->type = strdup(type);
		if (e->type && (e->module || !module)) {
			e->found = found;
			e->die = die;
			e->held = held;
			c->n++;
		} else {
			free(e->module);
			free(e->type);
		}
	}
	return found && fill_held(held, &die, inout);
}
