/*
 * breakpad_sym.c - Breakpad symbol files: find them, parse them, answer
 * "which function is this" for the symbol provider of walk.h.
 *
 * Files are found in the standard layout of --symbols DIR
 *   DIR/<debug file basename>/<debug id>/<basename minus .pdb>.sym
 * (Breakpad's SimpleSymbolSupplier, rust-minidump's breakpad-symbols), and
 * mapped and parsed only when a frame lands in their module.
 *
 * Parsing is one pass over the mapped text with no allocation per line:
 * each record becomes a small fixed-size entry appended to a growing array
 * of its kind, with names and rules kept as (offset, length) spans of the
 * file.  After the pass the arrays are sorted once and every lookup is a
 * binary search: FUNC by address (then its lines and INLINE ranges), PUBLIC
 * nearest at or below, STACK CFI INIT ranges with their deltas, and STACK
 * WIN records per type.  STACK WIN 4 records overlap in real files (1556
 * in test_app.sym, 856 of them disjoint); all are kept, and a lookup takes
 * the innermost record containing the address, as Breakpad's
 * ContainedRangeMap does, helped by a running maximum of range ends.
 *
 * A line that does not parse is counted (bp_stats.bad_lines) and skipped:
 * a damaged symbol file gives fewer symbols, never a failure.
 */
#include "breakpad_sym.h"
#include "passes.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safe_open.h"
#include "cursor.h"
#include "util.h"
#include "file_cache.h"

struct bp_file {
	uint32_t id;
	struct bp_str name;
	char *c;		/* NUL-terminated copy, made on first use */
};

struct bp_func {
	struct bp_range r;
	uint32_t param_size;
	struct bp_str name;
	char *c;
	uint32_t line_first, line_count;
	uint32_t inl_first, inl_count;
};

struct bp_line {
	struct bp_range r;
	uint32_t line, file;
};

struct bp_inline {
	struct bp_range r;
	uint32_t depth, call_line, call_file, origin;
};

struct bp_public {
	uint64_t addr;
	uint32_t param_size;
	struct bp_str name;
	char *c;
};

struct bp_cfi {
	struct bp_range r;
	struct bp_str rules;
	uint32_t delta_first, delta_count;
};

struct bp_delta {
	uint64_t addr;
	struct bp_str rules;
};

/* A growing array: N entries used of CAP. */
#define BP_VEC(type) struct { type *v; size_t n, cap; }

struct bp_symfile {
	const char *text;
	size_t len;
	void *map;		/* owned mapping, NULL when borrowed */
	struct bp_str module_id;
	char *module_id_c;

	BP_VEC(struct bp_file) files;
	BP_VEC(struct bp_file) origins;
	BP_VEC(struct bp_func) funcs;
	BP_VEC(struct bp_line) lines;
	BP_VEC(struct bp_inline) inlines;
	BP_VEC(struct bp_public) publics;
	BP_VEC(struct bp_cfi) cfi;
	BP_VEC(struct bp_delta) deltas;
	BP_VEC(struct bp_win) win[2];	/* [0] FPO, [1] FRAME_DATA */
	uint64_t *func_maxend, *cfi_maxend, *win_maxend[2];

	size_t bad_lines, first_bad_line;
};

/* Make room for one more entry; false when out of memory. */
static bool bp_vec_reserve(void **v, size_t *cap, size_t n, size_t elem)
{
	void *p = cr_grow_array(*v, cap, n + 1, elem, 64);
	if (p)
		*v = p;
	return p != NULL;
}

#define BP_PUSH(vec) \
	(bp_vec_reserve((void **)&(vec).v, &(vec).cap, (vec).n, \
			sizeof(*(vec).v)) ? &(vec).v[(vec).n++] : NULL)

/* --- tokens -------------------------------------------------------------- */

/* One line being parsed: [p, end). */
struct bp_tok {
	const char *p, *end;
};

static bool bp_next(struct bp_tok *t, const char **tok, size_t *len)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
	if (t->p == t->end)
		return false;
	const char *s = t->p;
	while (t->p < t->end && *t->p != ' ' && *t->p != '\t')
		t->p++;
	*tok = s;
	*len = (size_t)(t->p - s);
	return true;
}

/* The rest of the line after one separator (names may hold spaces). */
static bool bp_rest(struct bp_tok *t, const struct bp_symfile *sf,
		    struct bp_str *out)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
	if (t->p == t->end)
		return false;
	out->off = (uint32_t)(t->p - sf->text);
	out->len = (uint32_t)(t->end - t->p);
	t->p = t->end;
	return true;
}

static bool bp_hex(struct bp_tok *t, uint64_t *out)
{
	const char *s;
	size_t n;
	if (!bp_next(t, &s, &n) || n > 16)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!isxdigit(c))
			return false;
		v = v << 4 | (uint64_t)(isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
	}
	*out = v;
	return true;
}

static bool bp_hex32(struct bp_tok *t, uint32_t *out)
{
	uint64_t v;
	if (!bp_hex(t, &v) || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool bp_dec32(struct bp_tok *t, uint32_t *out)
{
	const char *s;
	size_t n;
	if (!bp_next(t, &s, &n) || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool bp_is(const char *tok, size_t len, const char *word)
{
	return strlen(word) == len && !memcmp(tok, word, len);
}

/* An optional "m" (multiple symbols folded at this address). */
static void bp_skip_m(struct bp_tok *t)
{
	struct bp_tok save = *t;
	const char *s;
	size_t n;
	if (!bp_next(t, &s, &n) || !bp_is(s, n, "m"))
		*t = save;
}

/* ADDR + SIZE does not wrap.  Empty ranges are valid (dump_syms writes
 * zero-size line records) and simply never contain an address. */
static bool bp_range_ok(uint64_t addr, uint64_t size)
{
	uint64_t end;
	return !cr_add_overflows(addr, size, &end);
}

/* --- records ------------------------------------------------------------- */

struct bp_parse {
	struct bp_symfile *sf;
	size_t cur_func;	/* index into funcs, SIZE_MAX none */
	size_t cur_cfi;		/* index into cfi, SIZE_MAX none */
	bool nomem;
};

#define BP_NONE SIZE_MAX

/* Parse one record; false: malformed (counted by the caller). */
static bool bp_record(struct bp_parse *ps, struct bp_tok *t)
{
	struct bp_symfile *sf = ps->sf;
	struct bp_tok line = *t;
	const char *kw;
	size_t kl;

	if (!bp_next(t, &kw, &kl))
		return true;	/* blank line */

	if (bp_is(kw, kl, "FILE") || bp_is(kw, kl, "INLINE_ORIGIN")) {
		bool origin = kl != 4;
		uint32_t id;
		struct bp_str name;
		if (!bp_dec32(t, &id) || !bp_rest(t, sf, &name))
			return false;
		struct bp_file *f = origin ? BP_PUSH(sf->origins)
					   : BP_PUSH(sf->files);
		if (!f)
			return ps->nomem = true, false;
		*f = (struct bp_file){ .id = id, .name = name };
		return true;
	}
	if (bp_is(kw, kl, "FUNC")) {
		struct bp_func fn = { .name = { 0, 0 } };
		ps->cur_func = BP_NONE;
		bp_skip_m(t);
		if (!bp_hex(t, &fn.r.addr) || !bp_hex(t, &fn.r.size) ||
		    !bp_hex32(t, &fn.param_size) || !bp_rest(t, sf, &fn.name) ||
		    !bp_range_ok(fn.r.addr, fn.r.size))
			return false;
		if (sf->lines.n > UINT32_MAX || sf->inlines.n > UINT32_MAX)
			return false;
		fn.line_first = (uint32_t)sf->lines.n;
		fn.inl_first = (uint32_t)sf->inlines.n;
		struct bp_func *f = BP_PUSH(sf->funcs);
		if (!f)
			return ps->nomem = true, false;
		*f = fn;
		ps->cur_func = sf->funcs.n - 1;
		return true;
	}
	if (bp_is(kw, kl, "PUBLIC")) {
		struct bp_public pub = { 0 };
		bp_skip_m(t);
		if (!bp_hex(t, &pub.addr) || !bp_hex32(t, &pub.param_size) ||
		    !bp_rest(t, sf, &pub.name))
			return false;
		struct bp_public *p = BP_PUSH(sf->publics);
		if (!p)
			return ps->nomem = true, false;
		*p = pub;
		return true;
	}
	if (bp_is(kw, kl, "INLINE")) {
		uint32_t depth, call_line, call_file, origin;
		if (ps->cur_func == BP_NONE || !bp_dec32(t, &depth) ||
		    !bp_dec32(t, &call_line) || !bp_dec32(t, &call_file) ||
		    !bp_dec32(t, &origin) || depth >= BP_MAX_INLINE_DEPTH)
			return false;
		struct bp_func *fn = &sf->funcs.v[ps->cur_func];
		size_t nranges = 0;
		uint64_t addr, size;
		while (bp_hex(t, &addr)) {
			if (!bp_hex(t, &size) || !bp_range_ok(addr, size))
				return false;
			if (fn->inl_count == UINT32_MAX)
				return false;
			struct bp_inline *in = BP_PUSH(sf->inlines);
			if (!in)
				return ps->nomem = true, false;
			*in = (struct bp_inline){ { addr, size }, depth,
						  call_line, call_file, origin };
			fn->inl_count++;
			nranges++;
		}
		return nranges > 0 && t->p == t->end;
	}
	if (bp_is(kw, kl, "STACK")) {
		const char *k2;
		size_t l2;
		if (!bp_next(t, &k2, &l2))
			return false;
		if (bp_is(k2, l2, "CFI")) {
			struct bp_tok save = *t;
			const char *k3;
			size_t l3;
			if (bp_next(t, &k3, &l3) && bp_is(k3, l3, "INIT")) {
				struct bp_cfi c = { .r = { 0, 0 } };
				ps->cur_cfi = BP_NONE;
				if (!bp_hex(t, &c.r.addr) || !bp_hex(t, &c.r.size) ||
				    !bp_rest(t, sf, &c.rules) ||
				    !bp_range_ok(c.r.addr, c.r.size) ||
				    sf->deltas.n > UINT32_MAX)
					return false;
				c.delta_first = (uint32_t)sf->deltas.n;
				struct bp_cfi *p = BP_PUSH(sf->cfi);
				if (!p)
					return ps->nomem = true, false;
				*p = c;
				ps->cur_cfi = sf->cfi.n - 1;
				return true;
			}
			*t = save;
			struct bp_delta dl;
			if (ps->cur_cfi == BP_NONE || !bp_hex(t, &dl.addr) ||
			    !bp_rest(t, sf, &dl.rules))
				return false;
			struct bp_cfi *c = &sf->cfi.v[ps->cur_cfi];
			if (dl.addr - c->r.addr >= c->r.size || dl.addr < c->r.addr ||
			    c->delta_count == UINT32_MAX)
				return false;
			struct bp_delta *p = BP_PUSH(sf->deltas);
			if (!p)
				return ps->nomem = true, false;
			*p = dl;
			c->delta_count++;
			return true;
		}
		if (bp_is(k2, l2, "WIN")) {
			uint32_t type, code_size, has_program;
			struct bp_win w = { .r = { 0, 0 } };
			if (!bp_hex32(t, &type) || !bp_hex(t, &w.r.addr) ||
			    !bp_hex32(t, &code_size) ||
			    !bp_hex32(t, &w.prologue_size) ||
			    !bp_hex32(t, &w.epilogue_size) ||
			    !bp_hex32(t, &w.parameter_size) ||
			    !bp_hex32(t, &w.saved_register_size) ||
			    !bp_hex32(t, &w.local_size) ||
			    !bp_hex32(t, &w.max_stack_size) ||
			    !bp_hex32(t, &has_program))
				return false;
			w.r.size = code_size;
			w.has_program = has_program != 0;
			if (w.has_program) {
				if (!bp_rest(t, sf, &w.program))
					return false;
			} else {
				uint32_t abp;
				if (!bp_hex32(t, &abp))
					return false;
				w.allocates_base_pointer = abp != 0;
			}
			if (!bp_range_ok(w.r.addr, w.r.size) ||
			    w.r.addr + w.r.size > (uint64_t)UINT32_MAX + 1)
				return false;
			/* Only FPO and FRAME_DATA are used for walking
			 * (Breakpad's WindowsFrameInfo::StackInfoTypes). */
			if (type != BP_WIN_FPO && type != BP_WIN_FRAME_DATA)
				return true;
			struct bp_win *p = type == BP_WIN_FPO ? BP_PUSH(sf->win[0])
							      : BP_PUSH(sf->win[1]);
			if (!p)
				return ps->nomem = true, false;
			*p = w;
			return true;
		}
		return false;
	}
	if (bp_is(kw, kl, "MODULE")) {
		const char *s;
		size_t n;
		if (!bp_next(t, &s, &n) || !bp_next(t, &s, &n) ||
		    !bp_next(t, &s, &n))
			return false;
		sf->module_id.off = (uint32_t)(s - sf->text);
		sf->module_id.len = (uint32_t)n;
		return true;
	}
	if (bp_is(kw, kl, "INFO"))
		return true;
	if (isxdigit((unsigned char)kw[0])) {
		/* a line record of the current FUNC: addr size line filenum */
		*t = line;
		struct bp_line ln;
		if (ps->cur_func == BP_NONE || !bp_hex(t, &ln.r.addr) ||
		    !bp_hex(t, &ln.r.size) || !bp_dec32(t, &ln.line) ||
		    !bp_dec32(t, &ln.file) || !bp_range_ok(ln.r.addr, ln.r.size))
			return false;
		struct bp_func *fn = &sf->funcs.v[ps->cur_func];
		if (ln.r.size == 0)
			return true;
		if (fn->line_count == UINT32_MAX)
			return false;
		struct bp_line *p = BP_PUSH(sf->lines);
		if (!p)
			return ps->nomem = true, false;
		*p = ln;
		fn->line_count++;
		return true;
	}
	return false;
}

/* --- sorting and the running maximum of range ends ----------------------- */

static int bp_cmp_range(const void *a, const void *b)
{
	const struct bp_range *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* larger first, so a backward scan meets the innermost first */
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return 0;
}

static int bp_cmp_file(const void *a, const void *b)
{
	const struct bp_file *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->name.off < y->name.off ? -1 : x->name.off > y->name.off;
}

static int bp_cmp_public(const void *a, const void *b)
{
	const struct bp_public *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name.off < y->name.off ? -1 : x->name.off > y->name.off;
}

static int bp_cmp_inline(const void *a, const void *b)
{
	const struct bp_inline *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	return bp_cmp_range(a, b);
}

static int bp_cmp_delta(const void *a, const void *b)
{
	const struct bp_delta *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* equal addresses: file order, the later one wins when applied */
	return x->rules.off < y->rules.off ? -1 : x->rules.off > y->rules.off;
}

static struct bp_range *bp_elem(const void *base, size_t stride, size_t i)
{
	return (struct bp_range *)((char *)base + stride * i);
}

static uint64_t *bp_maxend(const void *base, size_t n, size_t stride)
{
	uint64_t *m = malloc((n ? n : 1) * sizeof(*m));
	if (!m)
		return NULL;
	uint64_t cur = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bp_range *r = bp_elem(base, stride, i);
		uint64_t end = r->addr + r->size;	/* checked at parse */
		if (end > cur)
			cur = end;
		m[i] = cur;
	}
	return m;
}

/*
 * The innermost range of a sorted table (bp_cmp_range) containing X: the
 * containing entry with the greatest start, the smallest among equal
 * starts.  MAXEND[i] is the greatest end among entries 0..i, which stops
 * the backward scan as soon as nothing earlier can reach X.
 */
static const struct bp_range *bp_range_find(const void *base, size_t n,
					    size_t stride,
					    const uint64_t *maxend, uint64_t x)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bp_elem(base, stride, mid)->addr <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo, steps = 0; i-- > 0 && steps < BP_MAX_OVERLAP_SCAN;
	     steps++) {
		if (maxend && maxend[i] <= x)
			break;
		const struct bp_range *r = bp_elem(base, stride, i);
		if (x - r->addr < r->size)
			return r;
		if (!maxend)
			break;
	}
	return NULL;
}

/* qsort() that accepts an empty (NULL) table. */
static void bp_sort(void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static bool bp_finish(struct bp_symfile *sf)
{
	bp_sort(sf->files.v, sf->files.n, sizeof(*sf->files.v), bp_cmp_file);
	bp_sort(sf->origins.v, sf->origins.n, sizeof(*sf->origins.v), bp_cmp_file);
	bp_sort(sf->publics.v, sf->publics.n, sizeof(*sf->publics.v),
	      bp_cmp_public);
	/* Entries move, their line/inline/delta index ranges move with them. */
	bp_sort(sf->funcs.v, sf->funcs.n, sizeof(*sf->funcs.v), bp_cmp_range);
	for (size_t i = 0; i < sf->funcs.n; i++) {
		/* (no pointer arithmetic on an empty, NULL table) */
		struct bp_func *f = &sf->funcs.v[i];
		if (f->line_count)
			bp_sort(sf->lines.v + f->line_first, f->line_count,
				sizeof(*sf->lines.v), bp_cmp_range);
		if (f->inl_count)
			bp_sort(sf->inlines.v + f->inl_first, f->inl_count,
				sizeof(*sf->inlines.v), bp_cmp_inline);
	}
	bp_sort(sf->cfi.v, sf->cfi.n, sizeof(*sf->cfi.v), bp_cmp_range);
	for (size_t i = 0; i < sf->cfi.n; i++)
		if (sf->cfi.v[i].delta_count)
			bp_sort(sf->deltas.v + sf->cfi.v[i].delta_first,
				sf->cfi.v[i].delta_count, sizeof(*sf->deltas.v),
				bp_cmp_delta);
	for (int k = 0; k < 2; k++) {
		bp_sort(sf->win[k].v, sf->win[k].n, sizeof(*sf->win[k].v),
		      bp_cmp_range);
		sf->win_maxend[k] = bp_maxend(sf->win[k].v, sf->win[k].n,
					      sizeof(*sf->win[k].v));
	}
	sf->func_maxend = bp_maxend(sf->funcs.v, sf->funcs.n,
				    sizeof(*sf->funcs.v));
	sf->cfi_maxend = bp_maxend(sf->cfi.v, sf->cfi.n, sizeof(*sf->cfi.v));
	return sf->func_maxend && sf->cfi_maxend && sf->win_maxend[0] &&
	       sf->win_maxend[1];
}

struct cr_error *bp_symfile_parse(const uint8_t *buf, size_t len,
				  const char *name, struct bp_symfile **out)
{
	*out = NULL;
	if (len > BP_MAX_FILE_SIZE)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: symbol file of %zu bytes is too large",
				    name, len);
	struct bp_symfile *sf = calloc(1, sizeof(*sf));
	if (!sf)
		return &cr_enomem;
	sf->text = (const char *)buf;
	sf->len = len;

	struct bp_parse ps = { .sf = sf, .cur_func = BP_NONE, .cur_cfi = BP_NONE };
	const char *p = sf->text, *end = sf->text + len;
	size_t lineno = 0;
	while (p < end && !ps.nomem) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		lineno++;
		struct bp_tok t = { p, le };
		if (t.end > t.p && t.end[-1] == '\r')	/* CRLF files */
			t.end--;
		if (!bp_record(&ps, &t)) {
			if (!sf->bad_lines)
				sf->first_bad_line = lineno;
			sf->bad_lines++;
		}
		p = nl ? nl + 1 : end;
	}
	if (ps.nomem || !bp_finish(sf)) {
		bp_symfile_free(sf);
		return &cr_enomem;
	}
	*out = sf;
	return NULL;
}

struct cr_error *bp_symfile_load(const char *path, struct bp_symfile **out)
{
	*out = NULL;
	/* A FIFO or device under the symbol directory is never opened. */
	int fd = cr_safe_open(NULL, path);
	if (fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: %s", path, strerror(errno));
	return bp_symfile_load_fd(fd, path, out);
}

struct cr_error *bp_symfile_load_fd(int fd, const char *path,
				    struct bp_symfile **out)
{
	*out = NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cr_error_new(CR_ERR_IO, "%s: not a regular file", path);
	}
	if ((uint64_t)st.st_size > BP_MAX_FILE_SIZE) {
		close(fd);
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: symbol file of %lld bytes is too large",
				    path, (long long)st.st_size);
	}
	size_t len = (size_t)st.st_size;
	void *map = NULL;
	if (len) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			int e = errno;
			close(fd);
			return cr_error_new(CR_ERR_IO, "%s: mmap: %s", path,
					    strerror(e));
		}
		madvise(map, len, MADV_SEQUENTIAL);
	}
	close(fd);
	struct cr_error *err = bp_symfile_parse(map ? map : (const uint8_t *)"",
						len, path, out);
	if (err) {
		if (map)
			munmap(map, len);
		return err;
	}
	(*out)->map = map;
	return NULL;
}

size_t bp_symfile_memory(const struct bp_symfile *sf)
{
#define VEC_BYTES(x) ((x).cap * sizeof(*(x).v))
	/* The text is a mapping of the file (page cache), not counted. */
	size_t n = sizeof(*sf) + VEC_BYTES(sf->files) + VEC_BYTES(sf->origins) +
		   VEC_BYTES(sf->funcs) + VEC_BYTES(sf->lines) +
		   VEC_BYTES(sf->inlines) + VEC_BYTES(sf->publics) +
		   VEC_BYTES(sf->cfi) + VEC_BYTES(sf->deltas) +
		   VEC_BYTES(sf->win[0]) + VEC_BYTES(sf->win[1]);
#undef VEC_BYTES
	n += (sf->funcs.n + sf->cfi.n + sf->win[0].n + sf->win[1].n) *
	     sizeof(uint64_t);
	return n;
}

void bp_symfile_free(struct bp_symfile *sf)
{
	if (!sf)
		return;
	for (size_t i = 0; i < sf->files.n; i++)
		free(sf->files.v[i].c);
	for (size_t i = 0; i < sf->origins.n; i++)
		free(sf->origins.v[i].c);
	for (size_t i = 0; i < sf->funcs.n; i++)
		free(sf->funcs.v[i].c);
	for (size_t i = 0; i < sf->publics.n; i++)
		free(sf->publics.v[i].c);
	free(sf->files.v);
	free(sf->origins.v);
	free(sf->funcs.v);
	free(sf->lines.v);
	free(sf->inlines.v);
	free(sf->publics.v);
	free(sf->cfi.v);
	free(sf->deltas.v);
	free(sf->win[0].v);
	free(sf->win[1].v);
	free(sf->func_maxend);
	free(sf->cfi_maxend);
	free(sf->win_maxend[0]);
	free(sf->win_maxend[1]);
	free(sf->module_id_c);
	if (sf->map)
		munmap(sf->map, sf->len);
	free(sf);
}

void bp_symfile_stats(const struct bp_symfile *sf, struct bp_stats *out)
{
	*out = (struct bp_stats){
		.files = sf->files.n, .origins = sf->origins.n,
		.funcs = sf->funcs.n, .lines = sf->lines.n,
		.inlines = sf->inlines.n, .publics = sf->publics.n,
		.cfi_init = sf->cfi.n, .cfi_delta = sf->deltas.n,
		.win_fpo = sf->win[0].n, .win_frame_data = sf->win[1].n,
		.bad_lines = sf->bad_lines, .first_bad_line = sf->first_bad_line,
	};
}

const char *bp_text(const struct bp_symfile *sf, struct bp_str s)
{
	return sf->text + s.off;
}

/*
 * The NUL-terminated copy of S, cached in *C; NULL out of memory.  A file
 * may be shared by analyses on several threads (file_cache.h): the copy
 * is published with a compare-and-swap, and a thread that loses the race
 * frees its own and takes the winner's.
 */
static const char *bp_cstr(const struct bp_symfile *sf, struct bp_str s,
			   char **c)
{
	char *have = __atomic_load_n(c, __ATOMIC_ACQUIRE);
	if (have)
		return have;
	char *mine = strndup(sf->text + s.off, s.len);
	if (!mine)
		return NULL;
	if (__atomic_compare_exchange_n(c, &have, mine, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return mine;
	free(mine);
	return have;
}

const char *bp_symfile_id(struct bp_symfile *sf)
{
	if (!sf->module_id.len)
		return NULL;
	return bp_cstr(sf, sf->module_id, &sf->module_id_c);
}

/* --- lookups ------------------------------------------------------------- */

static struct bp_file *bp_file_by_id(struct bp_file *v, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].id == id ? &v[lo] : NULL;
}

static const char *bp_file_name(struct bp_symfile *sf, uint32_t id)
{
	struct bp_file *f = bp_file_by_id(sf->files.v, sf->files.n, id);
	return f ? bp_cstr(sf, f->name, &f->c) : NULL;
}

static const char *bp_origin_name(struct bp_symfile *sf, uint32_t id)
{
	struct bp_file *f = bp_file_by_id(sf->origins.v, sf->origins.n, id);
	return f ? bp_cstr(sf, f->name, &f->c) : NULL;
}

static struct bp_func *bp_func_find(const struct bp_symfile *sf, uint64_t addr)
{
	return (struct bp_func *)bp_range_find(sf->funcs.v, sf->funcs.n,
					       sizeof(*sf->funcs.v),
					       sf->func_maxend, addr);
}

/* Index of the last PUBLIC at or below ADDR, SIZE_MAX none. */
static size_t bp_public_index(const struct bp_symfile *sf, uint64_t addr)
{
	size_t lo = 0, hi = sf->publics.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sf->publics.v[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return SIZE_MAX;
	/* several at one address: the first in file order */
	size_t i = lo - 1;
	while (i > 0 && sf->publics.v[i - 1].addr == sf->publics.v[i].addr)
		i--;
	return i;
}

const char *bp_public_at(struct bp_symfile *sf, uint64_t addr,
			 uint64_t *pub_addr)
{
	size_t i = bp_public_index(sf, addr);
	if (i == SIZE_MAX)
		return NULL;
	struct bp_public *p = &sf->publics.v[i];
	if (pub_addr)
		*pub_addr = p->addr;
	return bp_cstr(sf, p->name, &p->c);
}

const char *bp_func_at(struct bp_symfile *sf, uint64_t addr, uint64_t *start,
		       uint32_t *param_size)
{
	struct bp_func *f = bp_func_find(sf, addr);
	if (!f)
		return NULL;
	if (start)
		*start = f->r.addr;
	if (param_size)
		*param_size = f->param_size;
	return bp_cstr(sf, f->name, &f->c);
}

const struct bp_win *bp_win_at(const struct bp_symfile *sf,
			       enum bp_win_type type, uint64_t addr)
{
	int k = type == BP_WIN_FPO ? 0 : 1;
	return (const struct bp_win *)bp_range_find(
		sf->win[k].v, sf->win[k].n, sizeof(*sf->win[k].v),
		sf->win_maxend[k], addr);
}

size_t bp_win_count(const struct bp_symfile *sf, enum bp_win_type type)
{
	return sf->win[type == BP_WIN_FPO ? 0 : 1].n;
}

/* The line record of F containing ADDR, NULL none. */
static const struct bp_line *bp_line_at(const struct bp_symfile *sf,
					const struct bp_func *f, uint64_t addr)
{
	if (!f->line_count)
		return NULL;
	return (const struct bp_line *)bp_range_find(
		sf->lines.v + f->line_first, f->line_count,
		sizeof(*sf->lines.v), NULL, addr);
}

/* The INLINE range of F at DEPTH containing ADDR, NULL none. */
static const struct bp_inline *bp_inline_at(const struct bp_symfile *sf,
					    const struct bp_func *f,
					    uint32_t depth, uint64_t addr)
{
	if (!f->inl_count)
		return NULL;
	const struct bp_inline *v = sf->inlines.v + f->inl_first;
	size_t lo = 0, hi = f->inl_count;
	while (lo < hi) {	/* last entry <= (depth, addr) */
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].depth < depth ||
		    (v[mid].depth == depth && v[mid].r.addr <= addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	const struct bp_inline *in = &v[lo - 1];
	if (in->depth != depth || addr - in->r.addr >= in->r.size)
		return NULL;
	return in;
}

unsigned bp_symbolize(struct bp_symfile *sf, uint64_t offset,
		      struct cr_symframe *out, unsigned max)
{
	if (max == 0)
		return 0;
	struct bp_func *f = bp_func_find(sf, offset);
	if (f) {
		/* The chain of inlined calls at OFFSET, outermost first. */
		const struct bp_inline *chain[BP_MAX_INLINE_DEPTH];
		unsigned n = 0;
		while (n < BP_MAX_INLINE_DEPTH && n + 1 < max) {
			const struct bp_inline *in = bp_inline_at(sf, f, n, offset);
			if (!in)
				break;
			chain[n++] = in;
		}
		/*
		 * Innermost first.  The line record gives the innermost
		 * frame's location; each INLINE record's call site gives the
		 * location of the frame it was inlined into (Breakpad's
		 * SourceLineResolverBase, rust-minidump's fill_symbol).
		 */
		const struct bp_line *ln = bp_line_at(sf, f, offset);
		const char *file = ln ? bp_file_name(sf, ln->file) : NULL;
		int line = ln ? (int)ln->line : 0;
		for (unsigned k = 0; k <= n; k++) {
			struct cr_symframe *o = &out[k];
			*o = (struct cr_symframe){ 0 };
			o->file = file;
			o->line = file ? line : 0;
			if (k < n) {
				const struct bp_inline *in = chain[n - 1 - k];
				o->function = bp_origin_name(sf, in->origin);
				file = bp_file_name(sf, in->call_file);
				line = (int)in->call_line;
			} else {
				o->function = bp_cstr(sf, f->name, &f->c);
				o->offset_known = true;
				o->offset = offset - f->r.addr;
			}
		}
		return n + 1;
	}

	size_t i = bp_public_index(sf, offset);
	if (i == SIZE_MAX)
		return 0;
	struct bp_public *p = &sf->publics.v[i];
	/* A PUBLIC ends where a later FUNC starts: the nearest FUNC starting
	 * at or below OFFSET must start before the PUBLIC for it to apply. */
	size_t lo = 0, hi = sf->funcs.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (sf->funcs.v[mid].r.addr <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && p->addr <= sf->funcs.v[lo - 1].r.addr)
		return 0;
	out[0] = (struct cr_symframe){
		.function = bp_cstr(sf, p->name, &p->c),
		.offset_known = true,
		.offset = offset - p->addr,
	};
	return 1;
}

/* Split "REG: EXPR REG: EXPR" texts for fn: each call gets one line. */
bool bp_cfi_rules(const struct bp_symfile *sf, uint64_t offset,
		  void (*fn)(void *arg, const char *text, size_t len),
		  void *arg)
{
	const struct bp_cfi *c = (const struct bp_cfi *)bp_range_find(
		sf->cfi.v, sf->cfi.n, sizeof(*sf->cfi.v), sf->cfi_maxend, offset);
	if (!c)
		return false;
	fn(arg, bp_text(sf, c->rules), c->rules.len);
	for (uint32_t i = 0; i < c->delta_count; i++) {
		const struct bp_delta *dl = &sf->deltas.v[c->delta_first + i];
		if (dl->addr > offset)
			break;
		fn(arg, bp_text(sf, dl->rules), dl->rules.len);
	}
	return true;
}

/* --- finding files: DIR/<debug file>/<id>/<name>.sym ---------------------- */

/* Safe as one path component: not empty, ".", ".." nor holding '/'. */
static bool bp_component_ok(const char *s)
{
	return *s && strcmp(s, ".") && strcmp(s, "..") && !strchr(s, '/') &&
	       strlen(s) < 1024;
}

static bool bp_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Does the MODULE line of PATH name ID?  Reads the first line only. */
static bool bp_module_line_has_id(const char *path, const char *id)
{
	char buf[512];
	struct stat st;
	int fd = cr_safe_open(NULL, path);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return false;
	}
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char os[64], arch[64], mid[128];
	if (sscanf(buf, "MODULE %63s %63s %127s", os, arch, mid) != 3)
		return false;
	return !strcasecmp(mid, id);
}

/*
 * The symbol file of a module in DIR, malloc'd path or NULL.  The standard
 * name first; then any *.sym in the id directory whose MODULE record has
 * the module's id (Breakpad's own test data names linux_inline's file
 * "linux_inline.new.sym").
 */
static char *bp_locate(const char *dir, const struct cr_module *m)
{
	const char *df = m->debug_file ? m->debug_file : m->path;
	if (!df || !m->debug_id)
		return NULL;
	const char *base = cr_basename(df);
	if (!bp_component_ok(base) || !bp_component_ok(m->debug_id))
		return NULL;
	size_t bl = strlen(base);
	int stem = (int)bl;
	if (bl > 4 && !strcasecmp(base + bl - 4, ".pdb"))
		stem = (int)bl - 4;
	char *path = cr_strdup_printf("%s/%s/%s/%.*s.sym", dir, base,
				      m->debug_id, stem, base);
	if (!path || bp_is_file(path))
		return path;
	free(path);

	char *iddir = cr_strdup_printf("%s/%s/%s", dir, base, m->debug_id);
	if (!iddir)
		return NULL;
	DIR *dh = opendir(iddir);
	char *found = NULL;
	if (dh) {
		struct dirent *de;
		while (!found && (de = readdir(dh))) {
			size_t nl = strlen(de->d_name);
			if (nl < 5 || strcmp(de->d_name + nl - 4, ".sym"))
				continue;
			char *p = cr_strdup_printf("%s/%s", iddir, de->d_name);
			if (p && bp_is_file(p) &&
			    bp_module_line_has_id(p, m->debug_id))
				found = p;
			else
				free(p);
		}
		closedir(dh);
	}
	free(iddir);
	return found;
}

/* --- the per-analysis object of walk.h ------------------------------------ */

struct cr_error *breakpad_open(const struct cr_dump *d,
			       const struct cr_options *opts,
			       struct cr_breakpad **out)
{
	*out = NULL;
	struct cr_breakpad *bp = calloc(1, sizeof(*bp));
	if (!bp)
		return &cr_enomem;
	bp->d = d;
	bp->cache = opts ? opts->file_cache : NULL;
	if (!bp->cache && !(bp->cache = bp->own_cache = cr_file_cache_new())) {
		free(bp);
		return &cr_enomem;
	}
	bp->nmodules = d->nmodules;
	size_t n = d->nmodules ? d->nmodules : 1;
	bp->paths = calloc(n, sizeof(*bp->paths));
	bp->files = calloc(n, sizeof(*bp->files));
	bp->tried = calloc(n, sizeof(*bp->tried));
	bp->errors = calloc(n, sizeof(*bp->errors));
	if (!bp->paths || !bp->files || !bp->tried || !bp->errors) {
		breakpad_free(bp);
		return &cr_enomem;
	}
	for (size_t i = 0; i < d->nmodules; i++)
		for (const char **dir = opts ? opts->symbol_dirs : NULL;
		     dir && *dir && !bp->paths[i]; dir++)
			bp->paths[i] = bp_locate(*dir, &d->modules[i]);
	*out = bp;
	return NULL;
}

struct bp_symfile *bp_module_symfile(struct cr_breakpad *bp, size_t i)
{
	if (i >= bp->nmodules || !bp->paths[i])
		return NULL;
	if (!bp->tried[i]) {
		bp->tried[i] = true;
		/* An unreadable symbol file is the same as none (the
		 * module shows module+offset frames); breakpad_report()
		 * tells why. */
		bp->files[i] = cr_file_cache_symfile(bp->cache, bp->paths[i],
						     &bp->errors[i]);
	}
	return bp->files[i];
}

static unsigned bp_lookup(void *ctx, const struct cr_dump *d, size_t module,
			  uint64_t offset, struct cr_symframe *out, unsigned max)
{
	(void)d;
	struct bp_symfile *sf = bp_module_symfile(ctx, module);
	return sf ? bp_symbolize(sf, offset, out, max) : 0;
}

bool breakpad_sources(struct cr_breakpad *bp, struct cr_step_source *step,
		      struct cr_sym_provider *prov)
{
	bool any = false;
	for (size_t i = 0; i < bp->nmodules; i++)
		any |= bp->paths[i] != NULL;
	*step = (struct cr_step_source){
		.name = "breakpad", .trust = CR_TRUST_CFI, .step = bp_step,
		.ctx = bp,
	};
	*prov = (struct cr_sym_provider){
		.name = "breakpad", .lookup = bp_lookup, .ctx = bp,
	};
	return any;
}

/* A problem of the Breakpad symbol files (source: symbolizer). */
#define BREAKPAD_AT(sev) (&(const struct cr_diag_at){ .severity = (sev), \
	.source = CR_SOURCE_SYMBOLIZER, .origin = "breakpad" })

void breakpad_report(struct cr_breakpad *bp, struct cr_analysis *a)
{
	for (size_t i = 0; bp && i < bp->nmodules && i < a->nmodules; i++) {
		struct cr_module_analysis *ma = &a->modules[i];
		if (bp->errors[i])
			cr_analysis_problem_at(a, BREAKPAD_AT(CR_SEVERITY_INFO),
					       "Breakpad symbol file not used: %s",
					    bp->errors[i]);
		if (!bp->files[i])
			continue;
		if (!ma->debug_file)
			ma->debug_file = strdup(bp->paths[i]);
		ma->has_debug_info = true;
		struct bp_stats st;
		bp_symfile_stats(bp->files[i], &st);
		if (st.bad_lines)
			cr_analysis_problem_at(a, BREAKPAD_AT(CR_SEVERITY_WARNING),
					       "%s: %zu malformed lines skipped (the first is line %zu)",
					    bp->paths[i], st.bad_lines, st.first_bad_line);
	}
}

void breakpad_free(struct cr_breakpad *bp)
{
	if (!bp)
		return;
	for (size_t i = 0; i < bp->nmodules; i++) {
		if (bp->paths)
			free(bp->paths[i]);
		if (bp->errors)
			free(bp->errors[i]);
	}
	free(bp->errors);
	free(bp->paths);
	free(bp->files);
	free(bp->tried);
	cr_file_cache_free(bp->own_cache);
	free(bp);
}
