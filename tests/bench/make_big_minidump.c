/*
 * make_big_minidump.c - write a big Windows x86_64 full-memory minidump for
 * tests/bench/bench_minidump.sh (a benchmark input, not a test).
 *
 *   make_big_minidump OUT [SIZE_MB [THREADS]]     (defaults 2048 and 200)
 *
 * The dump looks like a procdump -ma dump of a busy worker process:
 *   - SystemInfo (amd64, Windows 10.0.19045), MiscInfo (pid, times);
 *   - ModuleList: app.exe, appcore.dll, ucrtbase.dll, kernelbase.dll,
 *     kernel32.dll, ntdll.dll, with RSDS (PDB 7.0) records and versions;
 *     each image is in dump memory as the loader maps it: PE32+ headers, a
 *     .text of NFUNC functions (push rbp / mov rbp,rsp / sub rsp,N, a call
 *     at +0x40, mov rsp,rbp / pop rbp / ret), UNWIND_INFO and .pdata for
 *     every function and an export table naming them
 *     (ntdll!RtlUserThreadStart, kernel32!BaseThreadInitThunk, ...);
 *   - ThreadList of THREADS threads.  Every stack is a real chain of
 *     frames, from ntdll!RtlUserThreadStart (return address 0) through
 *     kernel32!BaseThreadInitThunk and 10 to 60 frames in the other
 *     modules, down to ntdll!NtWaitForSingleObject (an idle worker) or,
 *     on thread 0, appcore.dll writing to 0x45 (the crash).  Frames have
 *     locals of 64 bytes to 16 KB filled with noise, so stacks are a few
 *     hundred KB; saved rbp and return addresses agree with both the
 *     unwind tables and the frame pointer convention, so PE unwinding,
 *     frame-pointer walking (Breakpad) and scanning all find the same
 *     frames.  Each thread's context has rip in the innermost function's
 *     body and rsp/rbp on its frame; its stack descriptor points into the
 *     Memory64List data, as in dbghelp's full-memory dumps;
 *   - Exception: EXCEPTION_ACCESS_VIOLATION (write, 0x45) on thread 0;
 *   - Memory64List: the stacks, the module images and about a thousand
 *     "heap" ranges of 64 KB to 4 MB that bring the file to SIZE_MB.
 *
 * The streams and directory are built in memory with tests/mdsynth.c (a few
 * tens of MB: the stacks and images); the Memory64List data is then
 * streamed to the file in 1 MB writes, so the 2 GB are never held.
 * Everything is written little-endian byte by byte; the output is the
 * same on every run (a fixed pseudo-random sequence).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdsynth.h"

#define NFUNC 48		/* functions per module */
#define FUNC_SIZE 0x100u	/* bytes per function in .text */
#define TEXT_RVA 0x1000u
#define XDATA_RVA 0x8000u	/* UNWIND_INFO, 16 bytes per function */
#define EXPORT_RVA 0xa000u
#define PDATA_RVA 0xe000u
#define IMAGE_SIZE 0x80000u	/* 512 KB per image (the rest zero) */
#define CALL_OFF 0x40u		/* the call in every function */
#define RA_OFF (CALL_OFF + 5)	/* return address = function + RA_OFF */
#define BODY_OFF 0x30u		/* the innermost frame's rip */
#define PROLOG 11u		/* push rbp(1) mov rbp,rsp(3) sub rsp,imm32(7) */

#define STACK_AREA 0x000000a000000000ull	/* thread t's stack: 2 MB slot */
#define STACK_SLOT 0x200000ull
#define HEAP_AREA 0x000001d000000000ull

#define CHUNK (1u << 20)

static void die(const char *what)
{
	fprintf(stderr, "make_big_minidump: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* --- a fixed pseudo-random sequence ----------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* --- little-endian stores into a byte array --------------------------------- */

static void st16(uint8_t *b, size_t off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}
static void st32(uint8_t *b, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}
static void st64(uint8_t *b, size_t off, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[off + i] = (uint8_t)(v >> (8 * i));
}

/* --- modules ------------------------------------------------------------------ */

enum { M_APP, M_APPCORE, M_UCRT, M_KBASE, M_K32, M_NTDLL, NMOD };

static const struct {
	const char *path, *pdb, *prefix;
	uint64_t base;
} mod_info[NMOD] = {
	[M_APP] = { "C:\\Program Files\\Worker\\app.exe", "app.pdb", "App", 0x00007ff6a1230000ull },
	[M_APPCORE] = { "C:\\Program Files\\Worker\\appcore.dll", "appcore.pdb", "Core", 0x00007ffc10000000ull },
	[M_UCRT] = { "C:\\Windows\\System32\\ucrtbase.dll", "ucrtbase.pdb", "ucrt_", 0x00007ffc20000000ull },
	[M_KBASE] = { "C:\\Windows\\System32\\KERNELBASE.dll", "kernelbase.pdb", "Base", 0x00007ffc30000000ull },
	[M_K32] = { "C:\\Windows\\System32\\KERNEL32.DLL", "kernel32.pdb", "K32", 0x00007ffc40000000ull },
	[M_NTDLL] = { "C:\\Windows\\SYSTEM32\\ntdll.dll", "ntdll.pdb", "Rtlp", 0x00007ffc50000000ull },
};

/* Named functions (index 0 and 1 of a module); the others are PREFIX%02d. */
#define F_NTDLL_START 0		/* ntdll!RtlUserThreadStart */
#define F_NTDLL_WAIT 1		/* ntdll!NtWaitForSingleObject */
#define F_K32_THUNK 0		/* kernel32!BaseThreadInitThunk */

static const char *fixed_name(int mod, int f)
{
	static const char *names[NMOD][2] = {
		[M_APP] = { "wmain", "WorkerLoop" },
		[M_APPCORE] = { "CoreProcessRequest", "CoreWriteRecord" },
		[M_UCRT] = { "_beginthreadex", "malloc" },
		[M_KBASE] = { "WaitForSingleObjectEx", "SleepEx" },
		[M_K32] = { "BaseThreadInitThunk", "WaitForSingleObject" },
		[M_NTDLL] = { "RtlUserThreadStart", "NtWaitForSingleObject" },
	};
	return f < 2 ? names[mod][f] : NULL;
}

static uint8_t *images[NMOD];

/* The stack frame size (locals) of function F of module MOD: 64 B..16 KB. */
static uint32_t frame_size(int mod, int f)
{
	uint32_t h = (uint32_t)(f * 2654435761u + mod * 40503u);
	return 0x40u + ((h >> 7) % 128u) * 0x80u;
}

static uint64_t func_addr(int mod, int f)
{
	return mod_info[mod].base + TEXT_RVA + (uint64_t)f * FUNC_SIZE;
}

static void build_image(int mod)
{
	uint8_t *img = calloc(1, IMAGE_SIZE);
	if (!img)
		die("calloc");
	images[mod] = img;
	/* DOS header and PE32+ headers. */
	st16(img, 0, 0x5a4d);			/* MZ */
	st32(img, 0x3c, 0x80);			/* e_lfanew */
	size_t pe = 0x80, opt = pe + 24;
	st32(img, pe, 0x00004550);		/* PE\0\0 */
	st16(img, pe + 4, 0x8664);		/* machine */
	st16(img, pe + 6, 3);			/* sections */
	st32(img, pe + 8, 0x5f5e1000u + mod);	/* time stamp */
	st16(img, pe + 20, 240);		/* optional header size */
	st16(img, pe + 22, mod == M_APP ? 0x0022 : 0x2022);
	st16(img, opt, 0x20b);			/* PE32+ */
	st32(img, opt + 4, 0x6000);		/* SizeOfCode */
	st32(img, opt + 16, TEXT_RVA);		/* AddressOfEntryPoint */
	st32(img, opt + 20, TEXT_RVA);		/* BaseOfCode */
	st64(img, opt + 24, mod_info[mod].base);	/* ImageBase */
	st32(img, opt + 32, 0x1000);		/* SectionAlignment */
	st32(img, opt + 36, 0x200);		/* FileAlignment */
	st16(img, opt + 40, 10);		/* OS version 10.0 */
	st16(img, opt + 48, 10);		/* subsystem version */
	st32(img, opt + 56, IMAGE_SIZE);	/* SizeOfImage */
	st32(img, opt + 60, 0x400);		/* SizeOfHeaders */
	st16(img, opt + 68, mod == M_APP ? 3 : 2);	/* subsystem */
	st16(img, opt + 70, 0x0160);		/* DllCharacteristics */
	st64(img, opt + 72, 0x100000);		/* stack reserve */
	st64(img, opt + 80, 0x1000);		/* stack commit */
	st64(img, opt + 88, 0x100000);		/* heap reserve */
	st64(img, opt + 96, 0x1000);		/* heap commit */
	st32(img, opt + 108, 16);		/* NumberOfRvaAndSizes */
	size_t dd = opt + 112;
	/* data directory 0 (export) is filled below; 3: exception */
	st32(img, dd + 3 * 8, PDATA_RVA);
	st32(img, dd + 3 * 8 + 4, NFUNC * 12);
	/* section table */
	static const struct { const char *name; uint32_t rva, size, flags; } sec[3] = {
		{ ".text", TEXT_RVA, 0x7000, 0x60000020 },
		{ ".rdata", XDATA_RVA, 0x6000, 0x40000040 },
		{ ".pdata", PDATA_RVA, 0x1000, 0x40000040 },
	};
	size_t sh = opt + 240;
	for (int i = 0; i < 3; i++, sh += 40) {
		memcpy(img + sh, sec[i].name, strlen(sec[i].name));
		st32(img, sh + 8, sec[i].size);		/* VirtualSize */
		st32(img, sh + 12, sec[i].rva);
		st32(img, sh + 16, sec[i].size);	/* SizeOfRawData */
		st32(img, sh + 20, sec[i].rva);		/* PointerToRawData */
		st32(img, sh + 36, sec[i].flags);
	}

	/* .text, .xdata and .pdata for every function */
	for (int f = 0; f < NFUNC; f++) {
		uint32_t rva = TEXT_RVA + (uint32_t)f * FUNC_SIZE;
		uint32_t n = frame_size(mod, f);
		uint8_t *c = img + rva;
		memset(c, 0xcc, FUNC_SIZE);	/* int3 padding */
		memset(c + PROLOG, 0x90, CALL_OFF - PROLOG);	/* body: nops */
		c[0] = 0x55;					/* push rbp */
		c[1] = 0x48; c[2] = 0x89; c[3] = 0xe5;		/* mov rbp,rsp */
		c[4] = 0x48; c[5] = 0x81; c[6] = 0xec;		/* sub rsp,imm32 */
		st32(c, 7, n);
		/* call the next function (rel32 from the end of the call) */
		uint32_t target = TEXT_RVA + (uint32_t)((f + 1) % NFUNC) * FUNC_SIZE;
		c[CALL_OFF] = 0xe8;
		st32(c, CALL_OFF + 1, target - (rva + RA_OFF));
		memset(c + RA_OFF, 0x90, 0x20);
		size_t e = RA_OFF + 0x20;
		c[e] = 0x48; c[e + 1] = 0x89; c[e + 2] = 0xec;	/* mov rsp,rbp */
		c[e + 3] = 0x5d;				/* pop rbp */
		c[e + 4] = 0xc3;				/* ret */

		/* UNWIND_INFO: codes in reverse prolog order */
		uint8_t *u = img + XDATA_RVA + (size_t)f * 16;
		u[0] = 1;			/* version 1, no flags */
		u[1] = PROLOG;
		u[2] = 4;			/* ALLOC_LARGE(2 slots) SET_FPREG PUSH */
		u[3] = 5;			/* frame register rbp, offset 0 */
		u[4] = PROLOG; u[5] = 0x01;	/* UWOP_ALLOC_LARGE, info 0 */
		st16(u, 6, (uint16_t)(n / 8));
		u[8] = 4; u[9] = 0x03;		/* UWOP_SET_FPREG at 4 */
		u[10] = 1; u[11] = 0x50;	/* UWOP_PUSH_NONVOL rbp at 1 */

		uint8_t *p = img + PDATA_RVA + (size_t)f * 12;
		st32(p, 0, rva);
		st32(p, 4, rva + FUNC_SIZE);
		st32(p, 8, XDATA_RVA + (uint32_t)f * 16);
	}

	/* export table: every function by name */
	uint32_t funcs = EXPORT_RVA + 40, names = funcs + 4 * NFUNC,
		 ords = names + 4 * NFUNC, str = ords + 2 * NFUNC;
	const char *dllname = strrchr(mod_info[mod].path, '\\') + 1;
	st32(img, EXPORT_RVA + 12, str);	/* Name */
	memcpy(img + str, dllname, strlen(dllname) + 1);
	str += (uint32_t)strlen(dllname) + 1;
	st32(img, EXPORT_RVA + 16, 1);		/* Base */
	st32(img, EXPORT_RVA + 20, NFUNC);
	st32(img, EXPORT_RVA + 24, NFUNC);
	st32(img, EXPORT_RVA + 28, funcs);
	st32(img, EXPORT_RVA + 32, names);
	st32(img, EXPORT_RVA + 36, ords);
	for (int f = 0; f < NFUNC; f++) {
		char name[64];
		const char *fixed = fixed_name(mod, f);
		if (fixed)
			snprintf(name, sizeof(name), "%s", fixed);
		else
			snprintf(name, sizeof(name), "%s%s%02d", mod_info[mod].prefix,
				 f % 3 ? "Dispatch" : "Handle", f);
		st32(img, funcs + 4 * f, TEXT_RVA + (uint32_t)f * FUNC_SIZE);
		st32(img, names + 4 * f, str);
		st16(img, ords + 2 * f, (uint16_t)f);
		memcpy(img + str, name, strlen(name) + 1);
		str += (uint32_t)strlen(name) + 1;
	}
	st32(img, dd, EXPORT_RVA);
	st32(img, dd + 4, str - EXPORT_RVA);
}

/* --- stacks ------------------------------------------------------------------- */

struct stack {
	uint64_t start;		/* lowest address kept */
	uint8_t *bytes;
	uint32_t size;
	uint64_t rip, rsp, rbp;
	unsigned nframes;
};

/* Noise for locals and the unused part: integers, heap pointers, and in
 * about one word of 64 a stale pointer to the start of a function (not
 * after a call: a scanner that checks for a call must not take it). */
static uint64_t noise(void)
{
	uint64_t r = rnd();
	switch (r % 8) {
	case 0: case 1: case 2: return r >> 40;
	case 3: case 4: return HEAP_AREA + ((r >> 8) % 0x40000000ull & ~7ull);
	case 5:
		if ((r >> 50) % 8)
			return r >> 32;
		return func_addr((int)((r >> 20) % NMOD), (int)((r >> 30) % NFUNC));
	default: return 0;
	}
}

/* Build the stack of thread T: frames from the outermost (at the top of
 * the 2 MB slot) inwards, then the context. */
static void build_stack(unsigned t, bool crash, struct stack *s)
{
	uint64_t top = STACK_AREA + (uint64_t)(t + 1) * STACK_SLOT;
	unsigned depth = 10 + (unsigned)(rnd() % 51);
	struct { int mod, f; } chain[64 + 4];
	unsigned n = 0;
	chain[n].mod = M_NTDLL; chain[n++].f = F_NTDLL_START;
	chain[n].mod = M_K32; chain[n++].f = F_K32_THUNK;
	for (unsigned i = 0; i < depth; i++) {
		static const int mix[] = { M_APP, M_APPCORE, M_APPCORE, M_UCRT, M_KBASE };
		chain[n].mod = mix[rnd() % 5];
		chain[n++].f = 2 + (int)(rnd() % (NFUNC - 2));
	}
	if (crash) {
		chain[n].mod = M_APPCORE; chain[n++].f = 1;	/* CoreWriteRecord */
	} else {
		chain[n].mod = M_KBASE; chain[n++].f = 0;	/* WaitForSingleObjectEx */
		chain[n].mod = M_NTDLL; chain[n++].f = F_NTDLL_WAIT;
	}
	/* the frames, top down: [rbp] = caller's rbp, [rbp+8] = return address */
	uint64_t used = 16;
	for (unsigned i = 0; i < n; i++)
		used += 16 + frame_size(chain[i].mod, chain[i].f);
	uint64_t low = (top - used - 0x400) & ~0xfffull;	/* a bit below rsp */
	s->start = low;
	s->size = (uint32_t)(top - low);
	s->bytes = malloc(s->size);
	if (!s->bytes)
		die("malloc");
	for (uint32_t o = 0; o < s->size; o += 8)
		st64(s->bytes, o, noise());
#define AT(addr) ((size_t)((addr) - low))
	uint64_t ra = 0, caller_rbp = 0, sp = top;	/* sp: rsp before the call's push */
	uint64_t rbp = 0, rsp = 0;
	for (unsigned i = 0; i < n; i++) {
		st64(s->bytes, AT(sp - 8), ra);		/* pushed by the call */
		st64(s->bytes, AT(sp - 16), caller_rbp);	/* push rbp */
		rbp = sp - 16;
		rsp = rbp - frame_size(chain[i].mod, chain[i].f);
		caller_rbp = rbp;
		ra = func_addr(chain[i].mod, chain[i].f) + RA_OFF;
		sp = rsp;
	}
#undef AT
	s->rip = func_addr(chain[n - 1].mod, chain[n - 1].f) + BODY_OFF;
	s->rsp = rsp;
	s->rbp = rbp;
	s->nframes = n;
}

/* --- the file ------------------------------------------------------------------ */

struct range {
	uint64_t start, size;
	const uint8_t *bytes;	/* NULL: heap filler */
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void write_all(FILE *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f) != n)
		die("write");
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: make_big_minidump OUT [SIZE_MB [THREADS]]\n");
		return 2;
	}
	uint64_t total = (uint64_t)(argc > 2 ? strtoull(argv[2], NULL, 10) : 2048) << 20;
	unsigned nthreads = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 200;
	if (nthreads == 0 || nthreads > 4000) {
		fprintf(stderr, "make_big_minidump: 1..4000 threads\n");
		return 2;
	}

	for (int i = 0; i < NMOD; i++)
		build_image(i);
	struct stack *stacks = calloc(nthreads, sizeof(*stacks));
	if (!stacks)
		die("calloc");
	uint64_t fixed = 0;
	unsigned frames = 0;
	for (unsigned t = 0; t < nthreads; t++) {
		build_stack(t, t == 0, &stacks[t]);
		fixed += stacks[t].size;
		frames += stacks[t].nframes;
	}
	fixed += (uint64_t)NMOD * IMAGE_SIZE;

	/* Heap filler ranges, 64 KB to 4 MB, with gaps, up to TOTAL. */
	size_t cap = nthreads + NMOD + 1024, nr = 0;
	struct range *r = malloc(cap * sizeof(*r));
	if (!r)
		die("malloc");
	for (unsigned t = 0; t < nthreads; t++)
		r[nr++] = (struct range){ stacks[t].start, stacks[t].size, stacks[t].bytes };
	for (int i = 0; i < NMOD; i++)
		r[nr++] = (struct range){ mod_info[i].base, IMAGE_SIZE, images[i] };
	uint64_t heap = HEAP_AREA, left = total > fixed + (1u << 20) ? total - fixed - (1u << 20) : 0;
	while (left >= 0x10000) {
		uint64_t sz = (0x10000ull << (rnd() % 7)) ;	/* 64 KB .. 4 MB */
		if (sz > left)
			sz = left & ~0xffffull;
		if (nr == cap) {
			cap *= 2;
			r = realloc(r, cap * sizeof(*r));
			if (!r)
				die("realloc");
		}
		r[nr++] = (struct range){ heap, sz, NULL };
		heap += sz + 0x10000ull * (1 + rnd() % 16);
		left -= sz;
	}
	qsort(r, nr, sizeof(*r), cmp_range);

	/* The streams, with stack RVAs patched in once the data offset is known. */
	struct mds m;
	mds_init(&m);
	mds_reserve_directory(&m, 8);
	mds_system_info(&m, 9 /* AMD64 */, 2 /* VER_PLATFORM_WIN32_NT */, 10, 0,
			19045, "", "GenuineIntel", 8);
	mds_misc_info(&m, 4242, 1700000000, 1234, 56);
	struct mds_module mods[NMOD];
	memset(mods, 0, sizeof(mods));
	for (int i = 0; i < NMOD; i++) {
		mods[i].base = mod_info[i].base;
		mods[i].size = IMAGE_SIZE;
		mods[i].stamp = 0x5f5e1000u + (uint32_t)i;
		mods[i].name = mod_info[i].path;
		mods[i].pdb = mod_info[i].pdb;
		for (int k = 0; k < 16; k++)
			mods[i].guid[k] = (uint8_t)(0x11 * (i + 1) + k);
		mods[i].age = 1;
		mods[i].ver_hi = 0x000a0000;		/* 10.0 */
		mods[i].ver_lo = 0x4a650000u + (uint32_t)i;	/* 19045.i */
	}
	mds_module_list(&m, mods, NMOD);
	struct mds_thread *th = calloc(nthreads, sizeof(*th));
	if (!th)
		die("calloc");
	struct mds_loc crash_ctx = { 0, 0 };
	for (unsigned t = 0; t < nthreads; t++) {
		th[t].tid = 0x1000 + 4 * t;
		th[t].stack_start = stacks[t].start;
		th[t].stack = NULL;			/* RVA patched below */
		th[t].stack_size = stacks[t].size;
		th[t].ctx = mds_context_amd64(&m, stacks[t].rip, stacks[t].rsp,
					      stacks[t].rbp);
		if (t == 0)
			crash_ctx = th[t].ctx;
	}
	mds_thread_list(&m, th, nthreads, false);
	uint32_t thread_list_rva = m.dir[m.ndir - 1].rva;
	uint64_t params[2] = { 1 /* write */, 0x45 };
	mds_exception(&m, th[0].tid, 0xc0000005, 0, stacks[0].rip, params, 2, crash_ctx);
	struct mds_buf ml = { 0 };
	mdb_u64(&ml, nr);
	mdb_u64(&ml, 0);	/* BaseRva, patched below */
	for (size_t i = 0; i < nr; i++) {
		mdb_u64(&ml, r[i].start);
		mdb_u64(&ml, r[i].size);
	}
	mds_stream(&m, 9, &ml);
	uint32_t mem64_rva = m.dir[m.ndir - 1].rva;

	size_t hlen;
	mds_finish(&m, &hlen);
	uint64_t base = (hlen + 15) & ~15ull;
	mdb_put_at(&m.file, mem64_rva + 8, 8, base);
	uint64_t off = base;
	for (size_t i = 0; i < nr; i++) {
		for (unsigned t = 0; t < nthreads; t++)
			if (r[i].bytes == stacks[t].bytes) {
				if (off > UINT32_MAX) {
					fprintf(stderr, "make_big_minidump: stack past 4 GB\n");
					return 1;
				}
				mdb_put_at(&m.file, thread_list_rva + 4 + 48 * t + 36, 4, off);
			}
		off += r[i].size;
	}

	FILE *f = fopen(argv[1], "wb");
	if (!f)
		die(argv[1]);
	write_all(f, m.file.p, m.file.len);
	static const uint8_t zero[16];
	write_all(f, zero, base - m.file.len);
	uint8_t *chunk = malloc(CHUNK + 512);
	if (!chunk)
		die("malloc");
	for (size_t i = 0; i < CHUNK + 512; i += 8)
		st64(chunk, i, noise());
	for (size_t i = 0; i < nr; i++) {
		if (r[i].bytes) {
			write_all(f, r[i].bytes, r[i].size);
			continue;
		}
		for (uint64_t done = 0; done < r[i].size;) {
			size_t n = r[i].size - done < CHUNK ? (size_t)(r[i].size - done) : CHUNK;
			/* a different slice of the noise for every range */
			write_all(f, chunk + 8 * (i % 64), n);
			done += n;
		}
	}
	if (fclose(f))
		die(argv[1]);
	printf("%s: %.0f MB, %u threads (%u frames), %zu memory ranges, %d modules\n",
	       argv[1], (double)off / (1 << 20), nthreads, frames, nr, NMOD);
	for (unsigned t = 0; t < nthreads; t++)
		free(stacks[t].bytes);
	for (int i = 0; i < NMOD; i++)
		free(images[i]);
	free(stacks);
	free(th);
	free(r);
	free(chunk);
	mds_free(&m);
	return 0;
}
