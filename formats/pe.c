/*
 * pe.c - PE images in process memory: headers, exports, .pdata, UNWIND_INFO
 * and x64 epilog decoding (see pe.h).
 *
 * A loaded image is read by RVA: the loader mapped each section at
 * base + VirtualAddress, so an RVA taken from a data directory is an offset
 * from the base.  Each structure is copied out of the image with pe_mem
 * into a buffer whose size is fixed before the read (never from an unchecked
 * file value), and parsed with a struct cr_cursor.  RVA + size is checked
 * against SizeOfImage with the overflow builtins before anything is read.
 *
 * Layouts (Microsoft "PE Format"):
 *   IMAGE_DOS_HEADER: e_magic "MZ" at 0, e_lfanew u32 at 0x3c
 *   "PE\0\0", IMAGE_FILE_HEADER (20 bytes: Machine, NumberOfSections,
 *   TimeDateStamp, PointerToSymbolTable, NumberOfSymbols,
 *   SizeOfOptionalHeader, Characteristics), then the optional header:
 *   Magic 0x10b (PE32) / 0x20b (PE32+); SizeOfImage at 56 in both;
 *   NumberOfRvaAndSizes at 92 (PE32) / 108 (PE32+), the data directories
 *   (rva u32, size u32) right after it.
 *   IMAGE_EXPORT_DIRECTORY (40 bytes): ... Base at 16, NumberOfFunctions 20,
 *   NumberOfNames 24, AddressOfFunctions 28, AddressOfNames 32,
 *   AddressOfNameOrdinals 36.  A function rva inside the export directory
 *   itself is a forwarder string ("NTDLL.RtlAllocateHeap"), not code.
 *   RUNTIME_FUNCTION: BeginAddress, EndAddress, UnwindData (u32 each).
 *   UNWIND_INFO: Version:3 Flags:5, SizeOfProlog, CountOfCodes,
 *   FrameRegister:4 FrameOffset:4, then CountOfCodes 16-bit slots
 *   (CodeOffset u8, UnwindOp:4 OpInfo:4), padded to an even count, then the
 *   handler rva or, with UNW_FLAG_CHAININFO, the parent RUNTIME_FUNCTION.
 */
#include "pe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "dump.h"

/* --- memory ---------------------------------------------------------------- */

static size_t dump_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	return cr_dump_read(ctx, addr, buf, len);
}

struct pe_mem pe_mem_dump(const struct cr_dump *d)
{
	struct pe_mem m = { dump_read, (void *)d };
	return m;
}

/*
 * Copy [RVA, RVA+LEN) of the image into BUF (LEN bytes).  The range must lie
 * inside the image and be present in memory.
 */
static struct cr_error *read_rva(const struct pe_image *img, uint32_t rva,
				 uint64_t len, void *buf, const char *what)
{
	uint64_t end;
	if (cr_add_overflows(rva, len, &end) || end > img->size)
		return cr_error_new(CR_ERR_CORRUPT,
				    "image at 0x%llx: %s at rva 0x%x, %llu bytes, "
				    "past the image size 0x%x",
				    (unsigned long long)img->base, what, rva,
				    (unsigned long long)len, img->size);
	size_t got = img->mem.read(img->mem.ctx, img->base + rva, buf, len);
	if (got != len)
		return cr_error_new(CR_ERR_CORRUPT,
				    "image at 0x%llx: %s at 0x%llx: only %zu of "
				    "%llu bytes in memory",
				    (unsigned long long)img->base, what,
				    (unsigned long long)(img->base + rva), got,
				    (unsigned long long)len);
	return NULL;
}

/* The same into a new buffer of LEN bytes (LEN bounded by the caller). */
static struct cr_error *read_rva_alloc(const struct pe_image *img,
				       uint32_t rva, uint64_t len,
				       uint8_t **out, const char *what)
{
	*out = NULL;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return &cr_enomem;
	struct cr_error *err = read_rva(img, rva, len, buf, what);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return NULL;
}

/* --- headers --------------------------------------------------------------- */

#define PE_DIR_EXPORT 0
#define PE_DIR_EXCEPTION 3

struct cr_error *pe_image_open(struct pe_mem mem, uint64_t base,
			       uint64_t module_size, struct pe_image *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t hdr[PE_MAX_HEADER];
	size_t got = mem.read(mem.ctx, base, hdr, sizeof(hdr));
	if (module_size && got > module_size)
		got = (size_t)module_size;
	char what[64];
	snprintf(what, sizeof(what), "PE header at 0x%llx",
		 (unsigned long long)base);
	struct cr_cursor c = cr_cursor_make(hdr, got, false, base, what);
	struct cr_error *err;
	uint16_t magic;
	uint32_t lfanew, sig;
	if ((err = cr_cursor_u16(&c, &magic)))
		return err;
	if (magic != 0x5a4d)
		return cr_error_new(CR_ERR_CORRUPT, "%s: no MZ signature", what);
	if ((err = cr_cursor_seek(&c, 0x3c)) || (err = cr_cursor_u32(&c, &lfanew)) ||
	    (err = cr_cursor_seek(&c, lfanew)) || (err = cr_cursor_u32(&c, &sig)))
		return err;
	if (sig != 0x00004550)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: no PE signature at e_lfanew 0x%x", what,
				    lfanew);
	uint16_t machine, nsections, opt_size, characteristics, opt_magic;
	if ((err = cr_cursor_u16(&c, &machine)) ||
	    (err = cr_cursor_u16(&c, &nsections)) ||
	    (err = cr_cursor_skip(&c, 12)) ||
	    (err = cr_cursor_u16(&c, &opt_size)) ||
	    (err = cr_cursor_u16(&c, &characteristics)))
		return err;
	struct cr_cursor opt;
	if ((err = cr_cursor_sub(&c, c.pos, opt_size, "PE optional header", &opt)))
		return err;
	if ((err = cr_cursor_u16(&opt, &opt_magic)))
		return err;
	if (opt_magic != 0x10b && opt_magic != 0x20b)
		return cr_error_new(CR_ERR_CORRUPT,
				    "%s: optional header magic 0x%x", what,
				    opt_magic);
	bool plus = opt_magic == 0x20b;
	uint32_t size_of_image, ndirs;
	if ((err = cr_cursor_seek(&opt, 56)) ||
	    (err = cr_cursor_u32(&opt, &size_of_image)) ||
	    (err = cr_cursor_seek(&opt, plus ? 108 : 92)) ||
	    (err = cr_cursor_u32(&opt, &ndirs)))
		return err;
	out->mem = mem;
	out->base = base;
	out->machine = machine;
	out->pe32plus = plus;
	out->size = size_of_image;
	if (module_size && module_size < out->size)
		out->size = (uint32_t)module_size;
	/* Directories past NumberOfRvaAndSizes or the optional header are
	 * absent, not an error. */
	for (unsigned i = 0; i < ndirs && i <= PE_DIR_EXCEPTION; i++) {
		uint32_t rva, size;
		if (cr_cursor_u32(&opt, &rva) || cr_cursor_u32(&opt, &size))
			break;
		if (i == PE_DIR_EXPORT) {
			out->export_rva = rva;
			out->export_size = size;
		} else if (i == PE_DIR_EXCEPTION) {
			out->pdata_rva = rva;
			out->pdata_size = size;
		}
	}
	return NULL;
}

/* --- exports --------------------------------------------------------------- */

static int export_cmp(const void *a, const void *b)
{
	const struct pe_export *x = a, *y = b;
	if (x->rva != y->rva)
		return x->rva < y->rva ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Read the name at RVA into the pool (offset in *OFF); false: skip it. */
static bool read_export_name(const struct pe_image *img, uint32_t rva,
			     char **pool, size_t *pool_len, size_t *pool_cap,
			     size_t *off)
{
	uint8_t buf[PE_MAX_EXPORT_NAME];
	if (rva >= img->size)
		return false;
	size_t want = img->size - rva < sizeof(buf) ? img->size - rva
						    : sizeof(buf);
	size_t got = img->mem.read(img->mem.ctx, img->base + rva, buf, want);
	struct cr_cursor c = cr_cursor_make(buf, got, false, img->base + rva,
					    "export name");
	char *name = NULL;
	if (cr_cursor_cstr(&c, got, &name) || !name)
		return false;
	size_t n = strlen(name);
	/* No NUL inside the bytes we have: cut off or longer than the cap. */
	if (n == 0 || n >= got) {
		free(name);
		return false;
	}
	if (*pool_len + n + 1 > *pool_cap) {
		size_t cap = *pool_cap ? *pool_cap * 2 : 4096;
		while (cap < *pool_len + n + 1)
			cap *= 2;
		char *p = realloc(*pool, cap);
		if (!p) {
			free(name);
			return false;
		}
		*pool = p;
		*pool_cap = cap;
	}
	memcpy(*pool + *pool_len, name, n + 1);
	*off = *pool_len;
	*pool_len += n + 1;
	free(name);
	return true;
}

struct cr_error *pe_read_exports(const struct pe_image *img,
				 struct pe_exports *out)
{
	memset(out, 0, sizeof(*out));
	if (!img->export_rva || img->export_size < 40)
		return NULL;	/* no exports */
	uint8_t dir[40];
	struct cr_error *err = read_rva(img, img->export_rva, sizeof(dir), dir,
					"export directory");
	if (err)
		return err;
	struct cr_cursor c = cr_cursor_make(dir, sizeof(dir), false,
					    img->base + img->export_rva,
					    "export directory");
	uint32_t nfuncs, nnames, funcs_rva, names_rva, ords_rva;
	if ((err = cr_cursor_seek(&c, 20)) ||
	    (err = cr_cursor_u32(&c, &nfuncs)) ||
	    (err = cr_cursor_u32(&c, &nnames)) ||
	    (err = cr_cursor_u32(&c, &funcs_rva)) ||
	    (err = cr_cursor_u32(&c, &names_rva)) ||
	    (err = cr_cursor_u32(&c, &ords_rva)))
		return err;
	/* Counts that lie are cut to the caps; the arrays must still lie in
	 * the image (read_rva checks). */
	if (nnames > PE_MAX_EXPORTS) {
		out->skipped += nnames - PE_MAX_EXPORTS;
		nnames = PE_MAX_EXPORTS;
	}
	if (nfuncs > PE_MAX_EXPORTS)
		nfuncs = PE_MAX_EXPORTS;	/* ordinals past it are skipped */
	if (!nnames || !nfuncs)
		return NULL;

	uint8_t *funcs = NULL, *names = NULL, *ords = NULL;
	char *pool = NULL;
	size_t pool_len = 0, pool_cap = 0;
	struct pe_export *v = NULL;
	size_t n = 0;
	if ((err = read_rva_alloc(img, funcs_rva, (uint64_t)nfuncs * 4, &funcs,
				  "export address table")) ||
	    (err = read_rva_alloc(img, names_rva, (uint64_t)nnames * 4, &names,
				  "export name table")) ||
	    (err = read_rva_alloc(img, ords_rva, (uint64_t)nnames * 2, &ords,
				  "export ordinal table")))
		goto out;
	v = calloc(nnames, sizeof(*v));
	if (!v) {
		err = &cr_enomem;
		goto out;
	}
	struct cr_cursor fc = cr_cursor_make(funcs, (size_t)nfuncs * 4, false,
					     img->base + funcs_rva, "export address table");
	struct cr_cursor nc = cr_cursor_make(names, (size_t)nnames * 4, false,
					     img->base + names_rva, "export name table");
	struct cr_cursor oc = cr_cursor_make(ords, (size_t)nnames * 2, false,
					     img->base + ords_rva, "export ordinal table");
	uint64_t dir_end = (uint64_t)img->export_rva + img->export_size;
	for (uint32_t i = 0; i < nnames; i++) {
		uint32_t name_rva, fn_rva;
		uint16_t ord;
		if ((err = cr_cursor_u32(&nc, &name_rva)) ||
		    (err = cr_cursor_u16(&oc, &ord)))
			goto out;	/* cannot happen: sizes checked above */
		if (ord >= nfuncs || cr_cursor_seek(&fc, (uint64_t)ord * 4) ||
		    cr_cursor_u32(&fc, &fn_rva)) {
			out->skipped++;
			continue;
		}
		/* Forwarders and rvas outside the image are not code here. */
		if (fn_rva == 0 || fn_rva >= img->size ||
		    (fn_rva >= img->export_rva && fn_rva < dir_end)) {
			continue;
		}
		size_t off;
		if (!read_export_name(img, name_rva, &pool, &pool_len,
				      &pool_cap, &off)) {
			out->skipped++;
			continue;
		}
		/* The pool may move while it grows: keep the offset in the
		 * name pointer until every name is in. */
		v[n].rva = fn_rva;
		v[n].name = (const char *)(uintptr_t)off;
		n++;
	}
	for (size_t i = 0; i < n; i++)
		v[i].name = pool + (uintptr_t)v[i].name;
	qsort(v, n, sizeof(*v), export_cmp);
	out->v = v;
	out->n = n;
	out->pool = pool;
	v = NULL;
	pool = NULL;
out:
	free(funcs);
	free(names);
	free(ords);
	free(v);
	free(pool);
	if (err)
		pe_exports_free(out);
	return err;
}

const struct pe_export *pe_export_lookup(const struct pe_exports *e,
					 uint32_t rva)
{
	size_t lo = 0, hi = e->n;	/* first entry with rva > RVA */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->v[mid].rva <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	/* Several names for one address: the first in name order, found by a
	 * second binary search (a hostile table may give one address 64 K
	 * names; a walk back would make every lookup linear). */
	uint32_t at = e->v[lo - 1].rva;
	size_t first = 0, last = lo - 1;	/* first entry with rva == AT */
	while (first < last) {
		size_t mid = first + (last - first) / 2;
		if (e->v[mid].rva < at)
			first = mid + 1;
		else
			last = mid;
	}
	return &e->v[first];
}

void pe_exports_free(struct pe_exports *e)
{
	free(e->v);
	free(e->pool);
	memset(e, 0, sizeof(*e));
}

/* --- .pdata ---------------------------------------------------------------- */

static int rf_cmp(const void *a, const void *b)
{
	const struct pe_runtime_function *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return 0;
}

static struct cr_error *parse_rf(struct cr_cursor *c,
				 struct pe_runtime_function *rf)
{
	struct cr_error *err;
	if ((err = cr_cursor_u32(c, &rf->begin)) ||
	    (err = cr_cursor_u32(c, &rf->end)) ||
	    (err = cr_cursor_u32(c, &rf->unwind)))
		return err;
	return NULL;
}

struct cr_error *pe_read_pdata(const struct pe_image *img,
			       struct pe_pdata *out)
{
	memset(out, 0, sizeof(*out));
	if (!img->pdata_rva || img->pdata_size < 12)
		return NULL;
	uint64_t count = img->pdata_size / 12;
	if (count > PE_MAX_RUNTIME_FUNCTIONS)
		count = PE_MAX_RUNTIME_FUNCTIONS;
	uint8_t *buf;
	struct cr_error *err = read_rva_alloc(img, img->pdata_rva, count * 12,
					      &buf, "exception directory");
	if (err)
		return err;
	struct pe_runtime_function *v = calloc(count, sizeof(*v));
	if (!v) {
		free(buf);
		return &cr_enomem;
	}
	struct cr_cursor c = cr_cursor_make(buf, count * 12, false,
					    img->base + img->pdata_rva,
					    "exception directory");
	size_t n = 0;
	bool sorted = true;
	for (uint64_t i = 0; i < count; i++) {
		struct pe_runtime_function rf;
		if ((err = parse_rf(&c, &rf)))
			break;	/* cannot happen: the size was checked */
		if (rf.begin >= rf.end || rf.end > img->size)
			continue;
		if (n && rf.begin < v[n - 1].begin)
			sorted = false;
		v[n++] = rf;
	}
	free(buf);
	if (err) {
		free(v);
		return err;
	}
	if (!sorted)
		qsort(v, n, sizeof(*v), rf_cmp);
	out->v = v;
	out->n = n;
	return NULL;
}

const struct pe_runtime_function *pe_pdata_find(const struct pe_pdata *p,
						uint32_t rva)
{
	size_t lo = 0, hi = p->n;	/* first entry with begin > RVA */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->v[mid].begin <= rva)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || rva >= p->v[lo - 1].end)
		return NULL;
	return &p->v[lo - 1];
}

void pe_pdata_free(struct pe_pdata *p)
{
	free(p->v);
	memset(p, 0, sizeof(*p));
}

/* --- UNWIND_INFO ------------------------------------------------------------ */

struct cr_error *pe_read_runtime_function(const struct pe_image *img,
					  uint32_t rva,
					  struct pe_runtime_function *out)
{
	uint8_t buf[12];
	memset(out, 0, sizeof(*out));
	struct cr_error *err = read_rva(img, rva, sizeof(buf), buf,
					"RUNTIME_FUNCTION");
	if (err)
		return err;
	struct cr_cursor c = cr_cursor_make(buf, sizeof(buf), false,
					    img->base + rva, "RUNTIME_FUNCTION");
	return parse_rf(&c, out);
}

/* Unwind code slots each operation takes, by UnwindOp (Windows' own
 * table; EPILOG and SPARE_CODE are the slots of the old SAVE_XMM ops). */
static const uint8_t uwop_slots[16] = {
	[PE_UWOP_PUSH_NONVOL] = 1,
	[PE_UWOP_ALLOC_LARGE] = 2,	/* 3 when OpInfo is 1 */
	[PE_UWOP_ALLOC_SMALL] = 1,
	[PE_UWOP_SET_FPREG] = 1,
	[PE_UWOP_SAVE_NONVOL] = 2,
	[PE_UWOP_SAVE_NONVOL_FAR] = 3,
	[PE_UWOP_EPILOG] = 2,
	[PE_UWOP_SPARE_CODE] = 3,
	[PE_UWOP_SAVE_XMM128] = 2,
	[PE_UWOP_SAVE_XMM128_FAR] = 3,
	[PE_UWOP_PUSH_MACHFRAME] = 1,
};

struct cr_error *pe_read_unwind_info(const struct pe_image *img, uint32_t rva,
				     struct pe_unwind_info *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t head[4];
	struct cr_error *err = read_rva(img, rva, sizeof(head), head,
					"UNWIND_INFO");
	if (err)
		return err;
	out->version = head[0] & 7;
	out->flags = head[0] >> 3;
	out->prolog_size = head[1];
	unsigned count = head[2];
	out->frame_reg = head[3] & 15;
	out->frame_offset = (uint32_t)(head[3] >> 4) * 16;
	if (out->version != 1 && out->version != 2)
		return cr_error_new(CR_ERR_CORRUPT,
				    "UNWIND_INFO at 0x%llx: version %u",
				    (unsigned long long)(img->base + rva),
				    out->version);
	out->chained = out->flags & PE_UNW_FLAG_CHAININFO;
	/* Codes, padded to an even count, then the chained entry. */
	size_t codes_len = 2 * ((count + 1) & ~1u);
	size_t len = 4 + codes_len + (out->chained ? 12 : 0);
	uint8_t buf[4 + 2 * 256 + 12];
	if ((err = read_rva(img, rva, len, buf, "UNWIND_INFO")))
		return err;
	struct cr_cursor c = cr_cursor_make(buf, len, false, img->base + rva,
					    "UNWIND_INFO");
	cr_cursor_seek(&c, 4);
	struct cr_cursor codes;
	if ((err = cr_cursor_sub(&c, 4, 2 * count, "unwind codes", &codes)))
		return err;
	while (cr_cursor_left(&codes)) {
		uint8_t off, opinfo;
		uint16_t s1 = 0, s2 = 0;
		if ((err = cr_cursor_u8(&codes, &off)) ||
		    (err = cr_cursor_u8(&codes, &opinfo)))
			return err;
		unsigned op = opinfo & 15, info = opinfo >> 4;
		unsigned slots = uwop_slots[op];
		if (!slots)
			return cr_error_new(CR_ERR_CORRUPT,
					    "UNWIND_INFO at 0x%llx: unknown "
					    "unwind op %u",
					    (unsigned long long)(img->base + rva),
					    op);
		if (op == PE_UWOP_ALLOC_LARGE && info == 1)
			slots = 3;
		if ((slots > 1 && (err = cr_cursor_u16(&codes, &s1))) ||
		    (slots > 2 && (err = cr_cursor_u16(&codes, &s2))))
			return cr_error_wrap(err, "unwind op %u operand "
					     "past CountOfCodes", op);
		uint32_t wide = (uint32_t)s1 | (uint32_t)s2 << 16;
		struct pe_unwind_op u = { off, (uint8_t)op, (uint8_t)info, 0 };
		switch (op) {
		case PE_UWOP_ALLOC_LARGE:
			if (info > 1)
				return cr_error_new(CR_ERR_CORRUPT,
						    "UNWIND_INFO at 0x%llx: "
						    "ALLOC_LARGE info %u",
						    (unsigned long long)(img->base + rva),
						    info);
			u.arg = info ? wide : (uint32_t)s1 * 8;
			break;
		case PE_UWOP_ALLOC_SMALL:
			u.arg = info * 8 + 8;
			break;
		case PE_UWOP_SAVE_NONVOL:
			u.arg = (uint32_t)s1 * 8;
			break;
		case PE_UWOP_SAVE_XMM128:
			u.arg = (uint32_t)s1 * 16;
			break;
		case PE_UWOP_SAVE_NONVOL_FAR:
		case PE_UWOP_SAVE_XMM128_FAR:
			u.arg = wide;
			break;
		case PE_UWOP_PUSH_MACHFRAME:
			u.arg = info;
			break;
		case PE_UWOP_EPILOG:
			if (out->version != 2)
				return cr_error_new(CR_ERR_CORRUPT,
						    "UNWIND_INFO at 0x%llx: "
						    "op 6 in version 1",
						    (unsigned long long)(img->base + rva));
			continue;	/* epilog descriptions: not needed */
		case PE_UWOP_SPARE_CODE:
			continue;
		default:
			break;
		}
		out->ops[out->nops++] = u;
	}
	if (out->chained) {
		if ((err = cr_cursor_seek(&c, 4 + codes_len)) ||
		    (err = parse_rf(&c, &out->chain)))
			return err;
	}
	return NULL;
}

unsigned pe_x64_reg_to_dwarf(unsigned n)
{
	static const uint8_t map[16] = {
		0, 2, 1, 3, 7, 6, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15,
	};
	return n < 16 ? map[n] : 0;
}

/* --- epilogs ---------------------------------------------------------------- */

/*
 * The instruction forms follow the x64 epilog rules ("x64 prolog and
 * epilog" in Microsoft's docs) and Wine's is_inside_epilog(): the first
 * instruction may be `add rsp, imm` (48 83 c4 ib / 48 81 c4 id) or
 * `lea rsp, [reg+disp]` (REX.W(B) 8d /r with mod 01/10, reg rsp, no SIB);
 * then `pop reg` (optionally REX.B 41 / any REX 4x prefix); then `ret`
 * (c3, c2 iw, f3 c3) or a `jmp` (eb / e9) that stays inside the function.
 */
bool pe_x64_decode_epilog(struct pe_mem mem, uint64_t pc, uint64_t base,
			  uint32_t begin, uint32_t end, struct pe_epilog *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t buf[32];
	size_t got = mem.read(mem.ctx, pc, buf, sizeof(buf));
	struct cr_cursor c = cr_cursor_make(buf, got, false, pc, "epilog");
	uint8_t b0, b1, b2;

	if (got >= 3 && (buf[0] & 0xf8) == 0x48) {
		cr_cursor_u8(&c, &b0);
		cr_cursor_u8(&c, &b1);
		cr_cursor_u8(&c, &b2);
		if (b1 == 0x81 && b0 == 0x48 && b2 == 0xc4) {
			uint32_t imm;
			if (cr_cursor_u32(&c, &imm))
				return false;
			out->has_add = true;
			out->add = (int32_t)imm;
		} else if (b1 == 0x83 && b0 == 0x48 && b2 == 0xc4) {
			uint8_t imm;
			if (cr_cursor_u8(&c, &imm))
				return false;
			out->has_add = true;
			out->add = (int8_t)imm;
		} else if (b1 == 0x8d) {
			if (b0 & 0x06)
				return false;	/* REX.R/X must be clear */
			if (((b2 >> 3) & 7) != 4 || (b2 & 7) == 4)
				return false;	/* dest rsp, no SIB */
			out->has_lea = true;
			out->lea_reg = (uint8_t)((b2 & 7) | ((b0 & 1) << 3));
			if ((b2 >> 6) == 1) {
				uint8_t d8;
				if (cr_cursor_u8(&c, &d8))
					return false;
				out->lea_disp = (int8_t)d8;
			} else if ((b2 >> 6) == 2) {
				uint32_t d32;
				if (cr_cursor_u32(&c, &d32))
					return false;
				out->lea_disp = (int32_t)d32;
			} else {
				return false;
			}
		} else {
			cr_cursor_seek(&c, 0);	/* not add/lea: pops only */
		}
	}

	unsigned jumps = 0;
	for (;;) {
		uint8_t op, rex = 0;
		if (cr_cursor_u8(&c, &op))
			return false;
		if ((op & 0xf0) == 0x40) {
			rex = op;
			if (cr_cursor_u8(&c, &op))
				return false;
		}
		if (op >= 0x58 && op <= 0x5f) {
			if (out->npops >= PE_MAX_EPILOG_POPS)
				return false;
			out->pops[out->npops++] =
				(uint8_t)((op - 0x58) | ((rex & 1) << 3));
			continue;
		}
		if (rex)
			return false;
		if (op == 0xc3 || op == 0xc2)
			return true;
		if (op == 0xf3)
			return !cr_cursor_u8(&c, &op) && op == 0xc3;
		if (op != 0xe9 && op != 0xeb)
			return false;
		/* A jmp inside the function continues the epilog there. */
		int64_t rel;
		if (op == 0xeb) {
			uint8_t r8;
			if (cr_cursor_u8(&c, &r8))
				return false;
			rel = (int8_t)r8;
		} else {
			uint32_t r32;
			if (cr_cursor_u32(&c, &r32))
				return false;
			rel = (int32_t)r32;
		}
		uint64_t target = c.file_off + c.pos + (uint64_t)rel;
		if (target < base + begin || target >= base + end ||
		    ++jumps > PE_MAX_EPILOG_JUMPS)
			return false;
		got = mem.read(mem.ctx, target, buf, sizeof(buf));
		c = cr_cursor_make(buf, got, false, target, "epilog");
	}
}
