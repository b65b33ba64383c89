/*
 * mdsynth.c - a tiny minidump writer for tests (see mdsynth.h).
 *
 * Layouts as in Microsoft's minidumpapiset.h documentation and Breakpad's
 * minidump_format.h; the reader under test (formats/minidump*.c) must not be
 * used here, so that a shared misunderstanding cannot hide.
 */
#include "mdsynth.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q) {
		fprintf(stderr, "mdsynth: out of memory\n");
		abort();
	}
	return q;
}

static void mdb_grow(struct mds_buf *b, size_t n)
{
	if (b->len + n <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n)
		cap *= 2;
	b->p = xrealloc(b->p, cap);
	b->cap = cap;
}

void mdb_bytes(struct mds_buf *b, const void *p, size_t n)
{
	mdb_grow(b, n);
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

void mdb_zero(struct mds_buf *b, size_t n)
{
	mdb_grow(b, n);
	memset(b->p + b->len, 0, n);
	b->len += n;
}

void mdb_put_at(struct mds_buf *b, size_t off, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n && off + i < b->len; i++)
		b->p[off + i] = (uint8_t)(v >> (8 * i));
}

static void mdb_le(struct mds_buf *b, unsigned n, uint64_t v)
{
	mdb_zero(b, n);
	mdb_put_at(b, b->len - n, n, v);
}

void mdb_u8(struct mds_buf *b, uint8_t v) { mdb_le(b, 1, v); }
void mdb_u16(struct mds_buf *b, uint16_t v) { mdb_le(b, 2, v); }
void mdb_u32(struct mds_buf *b, uint32_t v) { mdb_le(b, 4, v); }
void mdb_u64(struct mds_buf *b, uint64_t v) { mdb_le(b, 8, v); }

void mdb_free(struct mds_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void mds_init(struct mds *m)
{
	memset(m, 0, sizeof(*m));
	m->version = 0xa793;
	m->time_stamp = 1600000000;
	mdb_zero(&m->file, 32);	/* the header, written by mds_finish */
}

void mds_free(struct mds *m)
{
	mdb_free(&m->file);
}

void mds_reserve_directory(struct mds *m, unsigned n)
{
	m->reserved_rva = (uint32_t)m->file.len;
	m->reserved_n = n;
	mdb_zero(&m->file, 12u * n);
}

uint32_t mds_blob(struct mds *m, const void *p, size_t n)
{
	while (m->file.len % 4)
		mdb_u8(&m->file, 0);
	uint32_t rva = (uint32_t)m->file.len;
	mdb_bytes(&m->file, p, n);
	return rva;
}

struct mds_loc mds_put(struct mds *m, struct mds_buf *b)
{
	struct mds_loc l = { (uint32_t)b->len, mds_blob(m, b->p, b->len) };
	mdb_free(b);
	return l;
}

void mds_stream_raw(struct mds *m, uint32_t type, uint32_t size, uint32_t rva)
{
	if (m->ndir >= MDS_MAX_STREAMS)
		abort();
	m->dir[m->ndir].type = type;
	m->dir[m->ndir].size = size;
	m->dir[m->ndir].rva = rva;
	m->ndir++;
}

void mds_stream(struct mds *m, uint32_t type, struct mds_buf *b)
{
	struct mds_loc l = mds_put(m, b);
	mds_stream_raw(m, type, l.size, l.rva);
}

/* Decode one UTF-8 sequence at *S (valid input assumed: tests write it). */
static uint32_t utf8_next(const unsigned char **s)
{
	const unsigned char *p = *s;
	uint32_t cp;
	if (p[0] < 0x80) { cp = p[0]; *s += 1; }
	else if (p[0] < 0xe0) { cp = (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu); *s += 2; }
	else if (p[0] < 0xf0) { cp = (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu); *s += 3; }
	else { cp = (p[0] & 0x07u) << 18 | (p[1] & 0x3fu) << 12 | (p[2] & 0x3fu) << 6 | (p[3] & 0x3fu); *s += 4; }
	return cp;
}

uint32_t mds_string(struct mds *m, const char *s)
{
	struct mds_buf u = { 0 }, b = { 0 };
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t cp = utf8_next(&p);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			mdb_u16(&u, (uint16_t)(0xd800 + (cp >> 10)));
			mdb_u16(&u, (uint16_t)(0xdc00 + (cp & 0x3ff)));
		} else {
			mdb_u16(&u, (uint16_t)cp);
		}
	}
	mdb_u32(&b, (uint32_t)u.len);
	mdb_bytes(&b, u.p, u.len);
	mdb_u16(&b, 0);
	mdb_free(&u);
	return mds_put(m, &b).rva;
}

uint32_t mds_utf8(struct mds *m, const char *s)
{
	struct mds_buf b = { 0 };
	mdb_u32(&b, (uint32_t)strlen(s));
	mdb_bytes(&b, s, strlen(s) + 1);
	return mds_put(m, &b).rva;
}

const uint8_t *mds_finish(struct mds *m, size_t *len)
{
	struct mds_buf dir = { 0 };
	for (unsigned i = 0; i < m->ndir; i++) {
		mdb_u32(&dir, m->dir[i].type);
		mdb_u32(&dir, m->dir[i].size);
		mdb_u32(&dir, m->dir[i].rva);
	}
	uint32_t dir_rva;
	if (m->reserved_n && m->ndir <= m->reserved_n) {
		dir_rva = m->reserved_rva;
		memcpy(m->file.p + dir_rva, dir.p, dir.len);
	} else {
		dir_rva = m->ndir ? mds_put(m, &dir).rva : (uint32_t)m->file.len;
	}
	mdb_free(&dir);
	struct mds_buf *f = &m->file;
	mdb_put_at(f, 0, 4, 0x504d444d);	/* "MDMP" */
	mdb_put_at(f, 4, 4, m->version);
	mdb_put_at(f, 8, 4, m->set_count ? m->count : m->ndir);
	mdb_put_at(f, 12, 4, m->set_dir_rva ? m->dir_rva : dir_rva);
	mdb_put_at(f, 16, 4, 0);		/* checksum */
	mdb_put_at(f, 20, 4, m->time_stamp);
	mdb_put_at(f, 24, 8, 0);		/* flags */
	*len = f->len;
	return f->p;
}

/* --- contexts -------------------------------------------------------------- */

struct mds_loc mds_context_amd64(struct mds *m, uint64_t rip, uint64_t rsp,
				 uint64_t rbp)
{
	/* Offsets of rax rcx rdx rbx rsp rbp rsi rdi r8..r15 rip (winnt.h). */
	static const struct { unsigned off, dwarf; } gpr[] = {
		{ 0x78, 0 }, { 0x80, 2 }, { 0x88, 1 }, { 0x90, 3 },
		{ 0xa8, 4 }, { 0xb0, 5 }, { 0xb8, 8 }, { 0xc0, 9 },
		{ 0xc8, 10 }, { 0xd0, 11 }, { 0xd8, 12 }, { 0xe0, 13 },
		{ 0xe8, 14 }, { 0xf0, 15 },
	};
	struct mds_buf b = { 0 };
	mdb_zero(&b, 1232);
	mdb_put_at(&b, 0x30, 4, 0x0010000b);	/* CONTEXT_AMD64 | FULL */
	for (size_t i = 0; i < ARRAY_LEN(gpr); i++)
		mdb_put_at(&b, gpr[i].off, 8, 0x1000 + gpr[i].dwarf);
	mdb_put_at(&b, 0x98, 8, rsp);
	mdb_put_at(&b, 0xa0, 8, rbp);
	mdb_put_at(&b, 0xf8, 8, rip);
	mdb_put_at(&b, 0x44, 4, 0x246);	/* eflags */
	mdb_put_at(&b, 0x38, 2, 0x33);	/* cs */
	return mds_put(m, &b);
}

struct mds_loc mds_context_x86(struct mds *m, uint32_t eip, uint32_t esp,
			       uint32_t ebp)
{
	struct mds_buf b = { 0 };
	mdb_zero(&b, 716);
	mdb_put_at(&b, 0, 4, 0x0001003f);	/* CONTEXT_X86 | ALL */
	mdb_put_at(&b, 0xb0, 4, 0xa0);		/* eax */
	mdb_put_at(&b, 0xac, 4, 0xc0);		/* ecx */
	mdb_put_at(&b, 0xa8, 4, 0xd0);		/* edx */
	mdb_put_at(&b, 0xa4, 4, 0xb0);		/* ebx */
	mdb_put_at(&b, 0xb4, 4, ebp);
	mdb_put_at(&b, 0xb8, 4, eip);
	mdb_put_at(&b, 0xc0, 4, 0x202);		/* eflags */
	mdb_put_at(&b, 0xc4, 4, esp);
	return mds_put(m, &b);
}

struct mds_loc mds_context_arm64(struct mds *m, uint64_t pc, uint64_t sp,
				 uint64_t fp, uint64_t lr)
{
	struct mds_buf b = { 0 };
	mdb_zero(&b, 912);
	mdb_put_at(&b, 0, 4, 0x00400007);	/* CONTEXT_ARM64 | FULL */
	mdb_put_at(&b, 4, 4, 0x60000000);	/* cpsr */
	for (unsigned i = 0; i < 29; i++)
		mdb_put_at(&b, 8 + 8 * i, 8, 0x100 + i);
	mdb_put_at(&b, 8 + 8 * 29, 8, fp);
	mdb_put_at(&b, 8 + 8 * 30, 8, lr);
	mdb_put_at(&b, 8 + 8 * 31, 8, sp);
	mdb_put_at(&b, 8 + 8 * 32, 8, pc);
	return mds_put(m, &b);
}

struct mds_loc mds_context_arm(struct mds *m, uint32_t pc, uint32_t sp,
			       uint32_t lr)
{
	struct mds_buf b = { 0 };
	mdb_zero(&b, 368);
	mdb_put_at(&b, 0, 4, 0x40000006);	/* CONTEXT_ARM | FULL */
	for (unsigned i = 0; i < 13; i++)
		mdb_put_at(&b, 4 + 4 * i, 4, 0x10 + i);
	mdb_put_at(&b, 4 + 4 * 13, 4, sp);
	mdb_put_at(&b, 4 + 4 * 14, 4, lr);
	mdb_put_at(&b, 4 + 4 * 15, 4, pc);
	return mds_put(m, &b);
}

struct mds_loc mds_context_raw(struct mds *m, uint32_t size, uint32_t flags,
			       uint32_t flags_off)
{
	struct mds_buf b = { 0 };
	mdb_zero(&b, size);
	mdb_put_at(&b, flags_off, 4, flags);
	return mds_put(m, &b);
}

/* --- streams --------------------------------------------------------------- */

void mds_system_info(struct mds *m, uint16_t arch, uint32_t platform,
		     uint32_t major, uint32_t minor, uint32_t build,
		     const char *csd, const char *vendor, uint8_t ncpus)
{
	uint32_t csd_rva = csd ? mds_string(m, csd) : 0;
	struct mds_buf b = { 0 };
	mdb_u16(&b, arch);
	mdb_u16(&b, 6);		/* level: family 6 */
	mdb_u16(&b, 0x0d08);	/* revision: model 13 stepping 8 */
	mdb_u8(&b, ncpus);
	mdb_u8(&b, 1);		/* product type */
	mdb_u32(&b, major);
	mdb_u32(&b, minor);
	mdb_u32(&b, build);
	mdb_u32(&b, platform);
	mdb_u32(&b, csd_rva);
	mdb_u16(&b, 0);
	mdb_u16(&b, 0);
	char v[12] = { 0 };
	if (vendor)
		memcpy(v, vendor, strlen(vendor) < 12 ? strlen(vendor) : 12);
	mdb_bytes(&b, v, 12);
	mdb_zero(&b, 12);
	mds_stream(m, 7, &b);
}

void mds_misc_info(struct mds *m, uint32_t pid, uint32_t create_time,
		   uint32_t user_s, uint32_t kernel_s)
{
	struct mds_buf b = { 0 };
	mdb_u32(&b, 24);
	mdb_u32(&b, 0x3);	/* PROCESS_ID | PROCESS_TIMES */
	mdb_u32(&b, pid);
	mdb_u32(&b, create_time);
	mdb_u32(&b, user_s);
	mdb_u32(&b, kernel_s);
	mds_stream(m, 15, &b);
}

void mds_thread_list(struct mds *m, const struct mds_thread *t, size_t n,
		     bool pad)
{
	uint32_t *rvas = xrealloc(NULL, n * sizeof(*rvas));
	for (size_t i = 0; i < n; i++)
		rvas[i] = t[i].stack ? mds_blob(m, t[i].stack, t[i].stack_size) : 0;
	struct mds_buf b = { 0 };
	mdb_u32(&b, (uint32_t)n);
	if (pad)
		mdb_u32(&b, 0);
	for (size_t i = 0; i < n; i++) {
		mdb_u32(&b, t[i].tid);
		mdb_u32(&b, 0);		/* suspend count */
		mdb_u32(&b, 0x20);	/* priority class */
		mdb_u32(&b, 0);		/* priority */
		mdb_u64(&b, 0x7ffde000);	/* teb */
		mdb_u64(&b, t[i].stack_start);
		mdb_u32(&b, t[i].stack_size);
		mdb_u32(&b, rvas[i]);
		mdb_u32(&b, t[i].ctx.size);
		mdb_u32(&b, t[i].ctx.rva);
	}
	free(rvas);
	mds_stream(m, 3, &b);
}

void mds_module_list(struct mds *m, const struct mds_module *mods, size_t n)
{
	struct mds_loc *cv = xrealloc(NULL, n * sizeof(*cv));
	uint32_t *names = xrealloc(NULL, n * sizeof(*names));
	for (size_t i = 0; i < n; i++) {
		struct mds_buf r = { 0 };
		names[i] = mods[i].name ? mds_string(m, mods[i].name) : 0;
		cv[i].size = cv[i].rva = 0;
		if (mods[i].pdb) {
			mdb_u32(&r, 0x53445352);	/* "RSDS" */
			mdb_bytes(&r, mods[i].guid, 16);
			mdb_u32(&r, mods[i].age);
			mdb_bytes(&r, mods[i].pdb, strlen(mods[i].pdb) + 1);
			cv[i] = mds_put(m, &r);
		} else if (mods[i].build_id) {
			mdb_u32(&r, 0x4270454c);	/* "BpEL" */
			mdb_bytes(&r, mods[i].build_id, mods[i].build_id_len);
			cv[i] = mds_put(m, &r);
		}
	}
	struct mds_buf b = { 0 };
	mdb_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		mdb_u64(&b, mods[i].base);
		mdb_u32(&b, mods[i].size);
		mdb_u32(&b, 0);		/* checksum */
		mdb_u32(&b, mods[i].stamp);
		mdb_u32(&b, names[i]);
		/* VS_FIXEDFILEINFO */
		mdb_u32(&b, mods[i].ver_hi ? 0xfeef04bd : 0);
		mdb_u32(&b, mods[i].ver_hi ? 0x10000 : 0);
		mdb_u32(&b, mods[i].ver_hi);
		mdb_u32(&b, mods[i].ver_lo);
		mdb_zero(&b, 9 * 4);
		mdb_u32(&b, cv[i].size);
		mdb_u32(&b, cv[i].rva);
		mdb_zero(&b, 8 + 16);	/* misc record, reserved */
	}
	free(cv);
	free(names);
	mds_stream(m, 4, &b);
}

void mds_windows_app(struct mds *m)
{
	mds_system_info(m, 9, 2, 10, 0, 19045, NULL, "GenuineIntel", 4);
	struct mds_module mod = { .base = 0x140000000, .size = 0x100000,
				  .stamp = 1, .name = "C:\\app\\app.exe" };
	mds_module_list(m, &mod, 1);
}

void mds_memory_list(struct mds *m, const struct mds_range *r, size_t n)
{
	uint32_t *rvas = xrealloc(NULL, n * sizeof(*rvas));
	for (size_t i = 0; i < n; i++)
		rvas[i] = mds_blob(m, r[i].bytes, r[i].size);
	struct mds_buf b = { 0 };
	mdb_u32(&b, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		mdb_u64(&b, r[i].start);
		mdb_u32(&b, r[i].size);
		mdb_u32(&b, rvas[i]);
	}
	free(rvas);
	mds_stream(m, 5, &b);
}

void mds_memory64_list(struct mds *m, const struct mds_range *r, size_t n)
{
	/* The data must be contiguous: append it unaligned, in one run. */
	uint32_t base = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			base = mds_blob(m, r[i].bytes, r[i].size);
		} else {
			mdb_bytes(&m->file, r[i].bytes, r[i].size);
		}
	}
	struct mds_buf b = { 0 };
	mdb_u64(&b, n);
	mdb_u64(&b, base);
	for (size_t i = 0; i < n; i++) {
		mdb_u64(&b, r[i].start);
		mdb_u64(&b, r[i].size);
	}
	mds_stream(m, 9, &b);
}

void mds_exception(struct mds *m, uint32_t tid, uint32_t code, uint32_t flags,
		   uint64_t address, const uint64_t *params, unsigned nparams,
		   struct mds_loc ctx)
{
	struct mds_buf b = { 0 };
	mdb_u32(&b, tid);
	mdb_u32(&b, 0);
	mdb_u32(&b, code);
	mdb_u32(&b, flags);
	mdb_u64(&b, 0);		/* nested record */
	mdb_u64(&b, address);
	mdb_u32(&b, nparams);
	mdb_u32(&b, 0);
	for (unsigned i = 0; i < 15; i++)
		mdb_u64(&b, i < nparams && params ? params[i] : 0);
	mdb_u32(&b, ctx.size);
	mdb_u32(&b, ctx.rva);
	mds_stream(m, 6, &b);
}

void mds_text_stream(struct mds *m, uint32_t type, const char *text)
{
	struct mds_buf b = { 0 };
	mdb_bytes(&b, text, strlen(text));
	mds_stream(m, type, &b);
}
