/*
 * heap_glibc.c - glibc malloc (ptmalloc, glibc 2.26 and later) walked from
 * dump memory, for pass "heap".
 *
 * Facts of glibc's malloc/malloc.c and malloc/arena.c relied on:
 *  - a chunk is prev_size and size (one word each: SIZE_SZ), then the user
 *    bytes; the low bits of size are PREV_INUSE (1), IS_MMAPPED (2) and
 *    NON_MAIN_ARENA (4).  A chunk is free when the next chunk's PREV_INUSE
 *    is clear, and then that chunk's prev_size repeats its size; fastbin
 *    and tcache chunks keep the bit set (they are free only by their
 *    lists).  The top chunk is free and ends its heap;
 *  - struct malloc_state: mutex, flags, have_fastchunks (2.27+),
 *    fastbinsY[10], top, last_remainder, bins[254], binmap[4], next,
 *    next_free, attached_threads, system_mem, max_system_mem.  bin_at(i)
 *    is &bins[2(i-1)] minus the offset of fd, so an empty bin's fd and bk
 *    point at bin_at(i) itself; `next` links the arenas in a ring through
 *    main_arena (in libc's .data);
 *  - non-main arenas live in heaps aligned to HEAP_MAX_SIZE
 *    (2 * DEFAULT_MMAP_THRESHOLD_MAX: 64 MiB on 64-bit, 1 MiB on 32-bit)
 *    that start with a heap_info (ar_ptr, prev, size, mprotect_size and,
 *    since 2.35, pagesize); the arena's malloc_state follows the first
 *    heap's heap_info, and a heap the arena grew out of ends in fenceposts
 *    (a chunk of 2*SIZE_SZ, then one of size 0);
 *  - the brk heap of main_arena ends with its top chunk and holds
 *    system_mem bytes: it starts at top + chunksize(top) - system_mem;
 *  - mmapped chunks (IS_MMAPPED) start a mapping of their own with
 *    prev_size 0 and a page-multiple size;
 *  - tcache_perthread_struct is counts[64] (char before 2.30, uint16_t
 *    since) and entries[64]; since 2.42 num_slots[76] and entries[76]:
 *    64 bins of one chunk size each and 12 "large" bins, bin
 *    64 + clz32(MAX_TCACHE_SMALL_SIZE) - clz32(size) for the bigger sizes
 *    (a power of two wide, kept sorted by size), and num_slots counts the
 *    entries a bin may still take, not those it holds (tcache_init sets
 *    every bin's to mp_.tcache_count, tcache_put_n decrements it,
 *    tcache_get_n increments it: slots + entries is the same in every
 *    bin); each thread's is the first chunk it takes
 *    from its arena, so the first chunk of the brk heap and of each arena
 *    heap; the other threads' are found through the TLS variable `tcache`
 *    (its offset from the thread pointer, learnt from a thread whose
 *    tcache is known);
 *  - safe-linking (2.32+): a tcache or fastbin `next` at address POS is
 *    stored as (POS >> 12) ^ next; which scheme the dump uses is decided
 *    by which one its lists validate with.
 *
 * Every value read from the dump is checked: a size that runs past its
 * heap, a prev_size that disagrees, a list that loops or leaves the heap
 * is a heap-corruption finding and the walk goes on with the next heap or
 * list.  Heap bytes are read through cr_dump_ptr on whole captured spans,
 * never field by field, so that walking millions of chunks costs about
 * as much as reading them once.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "heap_glibc.h"
#include "passes.h"
#include "util.h"

#define PREV_INUSE 1u
#define IS_MMAPPED 2u
#define NON_MAIN_ARENA 4u
#define SIZE_BITS 7u

#define NFASTBINS 10
#define NBINS 128
#define MAX_ARENAS 1024		/* arena ring walked at most this far */
#define MAX_HEAPS_PER_ARENA 4096
#define PAGE 4096u
#define LAST_TCACHE_MINOR 42	/* last glibc 2.x whose tcache layout is known */
#define MAX_TCACHE_COUNT 65535	/* glibc's bound of mp_.tcache_count */
#define PROBE_LINKS 2048	/* links a safe-linking probe follows */
/* The TLS variable `tcache` is searched this far below (x86_64: static
 * TLS lies below the thread pointer) the thread pointer. */
#define TLS_SEARCH 0x4000u
#define FS_BASE_REG 58		/* x86_64 DWARF number of fs_base */
/* walk_heap reads a heap through a window of at most WINDOW_MAX bytes,
 * starting with WINDOW_MIN after a jump (see heap_word). */
#define WINDOW_MIN 4096u
#define WINDOW_MAX (1u << 20)

/* The layout of one glibc version range for one word size. */
struct glibc_layout {
	const char *name;	/* allocator_name */
	bool have_fastchunks;	/* 2.27+ */
	unsigned counts_size;	/* tcache counts: 1 before 2.30, then 2 */
};

static const struct glibc_layout layouts[] = {
	{ "glibc malloc 2.30 or later", true, 2 },
	{ "glibc malloc 2.27 to 2.29", true, 1 },
	{ "glibc malloc 2.26", false, 1 },
};

/* One tcache_perthread_struct layout, from glibc 2.first_minor on. */
struct tcache_layout {
	unsigned first_minor;
	unsigned bins;		/* TCACHE_MAX_BINS */
	unsigned small_bins;	/* of one chunk size each; the rest large */
	unsigned counts_size;	/* bytes of a count */
	bool slots;		/* the counts are slots left (num_slots) */
};

/* Newest first: the first entry at or below a version is its layout. */
static const struct tcache_layout tcache_layouts[] = {
	{ 42, 76, 64, 2, true },
	{ 30, 64, 64, 2, false },
	{ 26, 64, 64, 1, false },
};

/* Offsets of one struct malloc_state layout (computed from the word size
 * and whether it has have_fastchunks, or taken from libc's DWARF). */
struct state_off {
	uint32_t fastbins, top, bins, next, system_mem, size;
};

struct walk {
	struct cr_pass_ctx *ctx;
	const struct cr_dump *d;
	struct cr_heap *h;
	unsigned w;		/* SIZE_SZ */
	uint64_t align;		/* MALLOC_ALIGNMENT */
	uint64_t minsize;
	uint64_t heap_max;	/* HEAP_MAX_SIZE */
	bool be;
	const struct glibc_layout *lay;
	struct state_off so;
	int safe;		/* safe-linking: -1 unknown, 0 no, 1 yes */
	size_t cap;		/* chunk array limit */
	size_t alloc;
	size_t nfindings;
	bool oom;
	bool capped;		/* the chunk array reached cap (said once) */
	/*
	 * What is walked, sorted by address before the walk so that the
	 * chunks come out sorted (no sort of millions of chunks): the heaps,
	 * [start, end) of arena index `arena`, their chunks from walk_start,
	 * `top` the arena's top chunk when this heap holds it (else 0); and
	 * the mmapped chunks (arena SIZE_MAX, one chunk [start, end)).
	 */
	struct span {
		uint64_t start, end, walk_start, top;
		size_t arena;
	} *spans;
	size_t nspans, spans_alloc;
	size_t cur_arena;	/* of the span being walked */
	bool unsorted;		/* the chunks came out of order */
	size_t ranges_alloc;
	/* Arena heaps still allowed: a heap_info needs a captured page, so
	 * no dump holds more heaps than its bytes / PAGE (a bound on what
	 * heap_info.prev chains may add across all arenas). */
	uint64_t heaps_left;
	/* A thread other than the crashing one was inside the allocator
	 * when the dump was taken (busy_thread, its frame busy_frame): the
	 * heap may be caught half-way through an update, and what looks
	 * inconsistent is said as information, not as corruption. */
	ssize_t busy_thread;
	size_t busy_frame;
	/* The window walk_heap reads through: [win_lo, win_hi) copied into
	 * win (WINDOW_MAX bytes), win_len the length asked last. */
	uint8_t *win;
	uint64_t win_lo, win_hi;
	size_t win_len;
	unsigned minor;		/* glibc 2.minor, 0 unknown */
};

/* ---- reading words from captured bytes ---- */

static uint64_t word_at(const struct walk *wk, const uint8_t *p)
{
	if (wk->w == 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		return wk->be ? __builtin_bswap64(v) : v;
	}
	uint32_t v;
	memcpy(&v, p, 4);
	return wk->be ? __builtin_bswap32(v) : v;
}

/* The word at ADDR in the dump; false when not captured. */
static bool rd(const struct walk *wk, uint64_t addr, uint64_t *out)
{
	const uint8_t *p = cr_dump_ptr(wk->d, addr, wk->w);
	if (!p)
		return false;
	*out = word_at(wk, p);
	return true;
}

/* How many bytes from ADDR (at most MAX) are captured in one segment. */
static uint64_t captured_span(const struct cr_dump *d, uint64_t addr,
			      uint64_t max)
{
	size_t lo = cr_dump_seg_from(d, addr);
	if (lo == d->nsegs || d->segs[lo].start > addr)
		return 0;
	uint64_t left = d->segs[lo].start + d->segs[lo].size - addr;
	return left < max ? left : max;
}

static bool writable_region(const struct cr_dump *d, uint64_t addr)
{
	const struct cr_region *r = cr_dump_region_at(d, addr);
	return r && (!r->prot_known || (r->prot & CR_PROT_W));
}

/*
 * The word at ADDR of the heap being walked, which ends at END: from the
 * window, refilled from the dump (0 for bytes the file no longer holds).
 * The walk reads the dump from one end to the other, so it copies it with
 * cr_dump_read (pread() from the file) instead of reading the mapping:
 * on a virtual machine the first touch of each page of a mapping is a
 * fault, even for a page in the page cache (the 2 GB heap of
 * tests/bench/bench_heap.sh: 1.4 s through the mapping, 0.27 s copied).
 * The window doubles while the reads go on from its end and shrinks to a
 * page after a jump: a heap of big chunks is read a header at a time.
 */
static uint64_t heap_word_refill(struct walk *wk, uint64_t addr,
				 uint64_t end);

static inline uint64_t heap_word(struct walk *wk, uint64_t addr, uint64_t end)
{
	if (addr >= wk->win_lo && addr + wk->w <= wk->win_hi)
		return word_at(wk, wk->win + (addr - wk->win_lo));
	return heap_word_refill(wk, addr, end);
}

static __attribute__((noinline)) uint64_t
heap_word_refill(struct walk *wk, uint64_t addr, uint64_t end)
{
	if (addr + wk->w > end)
		return 0;
	if (!wk->win && !(wk->win = malloc(WINDOW_MAX))) {
		uint64_t v = 0;
		cr_dump_read_word(wk->d, addr, &v);	/* slow, but right */
		return v;
	}
	size_t len = WINDOW_MIN;
	if (addr >= wk->win_lo && addr < wk->win_hi + wk->win_len)
		len = wk->win_len < WINDOW_MAX / 2 ? wk->win_len * 2 : WINDOW_MAX;
	if (len > end - addr)
		len = (size_t)(end - addr);
	wk->win_len = len;
	wk->win_lo = addr;
	wk->win_hi = addr + cr_dump_read(wk->d, addr, wk->win, len);
	if (addr + wk->w > wk->win_hi)
		return 0;
	return word_at(wk, wk->win + (addr - wk->win_lo));
}

/* ---- chunks ---- */

static bool grow(struct walk *wk, void *arr, size_t *alloc, size_t n,
		 size_t elem, size_t cap);
static void account(struct walk *wk, size_t i, size_t arena, int sign);

/*
 * Reserve address space for the whole chunk array (wk->cap chunks) at
 * once, so that it never moves: the pages are only backed as the walk
 * writes them.  Grown by realloc, the array moved at each doubling
 * (mremap), and on a virtual machine with shadow page tables the first
 * read of each moved page after that faults again: 0.4 s in the leak
 * pass's first pass over 10 M chunks.  Huge pages where the kernel has
 * them: written 4 KiB at a time, the 160 MB of 10 M chunks took 40,000
 * faults (0.6 s on that machine), 2 MiB at a time 80.  Without the
 * reservation (a 32-bit address space, overcommit refused) the array
 * grows by realloc.
 */
static void chunk_space(struct walk *wk)
{
	size_t len;
	if (__builtin_mul_overflow(wk->cap, sizeof(*wk->h->chunks), &len))
		return;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	madvise(p, len, MADV_HUGEPAGE);
	wk->h->chunks = p;
	wk->h->chunks_mapped = len;
	wk->alloc = wk->cap;
}

/* Append a chunk; false when the array is at its cap (the dump's bytes
 * / 16: a lying heap cannot make it larger) or memory ran out. */
static bool add_chunk(struct walk *wk, uint64_t user, uint64_t size,
		      enum cr_chunk_state st)
{
	struct cr_heap *h = wk->h;
	if (!grow(wk, &h->chunks, &wk->alloc, h->nchunks, sizeof(*h->chunks),
		  wk->cap)) {
		h->complete = false;
		if (!wk->oom && !wk->capped) {
			wk->capped = true;
			cr_pass_problem(wk->ctx, CR_AT(CR_SEVERITY_WARNING),
					"glibc malloc: the walk stopped at %zu "
					"chunks, more than the dump's bytes can "
					"hold (one per 16 bytes): the heap lies "
					"about its chunks' sizes", h->nchunks);
		}
		return false;
	}
	struct cr_heap_chunk *c = &h->chunks[h->nchunks];
	*c = (struct cr_heap_chunk){ user, size | st };
	/* Out of order or overlapping the chunk before (heaps that a lying
	 * dump makes overlap): sorted and deduplicated after the walk. */
	if (h->nchunks && c->addr < c[-1].addr + cr_chunk_size(&c[-1]))
		wk->unsorted = true;
	account(wk, h->nchunks++, wk->cur_arena, 1);
	return true;
}

/*
 * Add (SIGN 1) or take away (-1) chunk I in the totals of the heap and of
 * arena index ARENA (SIZE_MAX: none).  The totals are kept as the chunks
 * are added and change state rather than summed in a pass of their own:
 * on a virtual machine with shadow page tables the first pass over a
 * freshly grown array costs as much as writing it (measured: 1 s for 10 M
 * chunks, against 0.06 s for the next pass).
 */
static void account(struct walk *wk, size_t i, size_t arena, int sign)
{
	struct cr_heap *h = wk->h;
	const struct cr_heap_chunk *c = &h->chunks[i];
	uint64_t s = (uint64_t)(int64_t)sign * cr_chunk_size(c);
	size_t n = (size_t)(ssize_t)sign;
	struct cr_heap_arena *ar = arena < h->narenas ? &h->arenas[arena] : NULL;
	switch (cr_chunk_state(c)) {
	case CR_CHUNK_IN_USE:
		h->in_use_bytes += s;
		h->in_use_count += n;
		if (ar) {
			ar->in_use_bytes += s;
			ar->in_use_count += n;
		}
		break;
	case CR_CHUNK_FREE:
		h->free_bytes += s;
		h->free_count += n;
		if (ar) {
			ar->free_bytes += s;
			ar->free_count += n;
		}
		break;
	case CR_CHUNK_MMAPPED:
		h->mmapped_bytes += s;
		h->mmapped_count += n;
		break;
	case CR_CHUNK_INTERNAL:
		break;
	}
	if (ar && sign > 0) {
		if (!ar->count)
			ar->first = i;
		ar->count = i + 1 - ar->first;
	}
}

/* The arena index whose heap holds ADDR, SIZE_MAX none (spans sorted). */
static size_t arena_of(const struct walk *wk, uint64_t addr)
{
	size_t lo = 0, hi = wk->nspans;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (wk->spans[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < wk->nspans && wk->spans[lo].start <= addr
		       ? wk->spans[lo].arena : SIZE_MAX;
}

static void set_state(struct walk *wk, size_t i, enum cr_chunk_state st)
{
	struct cr_heap_chunk *c = &wk->h->chunks[i];
	size_t arena = arena_of(wk, c->addr);
	account(wk, i, arena, -1);
	c->size_state = (c->size_state & ~(uint64_t)CR_CHUNK_STATE_MASK) | st;
	account(wk, i, arena, 1);
}

/* The index of the chunk whose header is at CHUNK, -1 none. */
static ssize_t chunk_exact(const struct walk *wk, uint64_t chunk)
{
	uint64_t user = chunk + 2 * wk->w;
	const struct cr_heap *h = wk->h;
	size_t lo = 0, hi = h->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->chunks[mid].addr < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->nchunks && h->chunks[lo].addr == user ? (ssize_t)lo
							     : -1;
}

static const char *const state_words[] = {
	[CR_CHUNK_IN_USE] = "in use", [CR_CHUNK_FREE] = "free",
	[CR_CHUNK_MMAPPED] = "mmapped", [CR_CHUNK_INTERNAL] = "allocator's",
};

static const char *const neighbour_headers[] = { "Chunk", "Size", "State" };

static void table_chunk(struct cr_table *t, const struct walk *wk,
			const struct cr_heap_chunk *c, const char *note)
{
	char a[32], s[32];
	snprintf(a, sizeof(a), "0x%" PRIx64, c->addr - 2 * wk->w);
	snprintf(s, sizeof(s), "%" PRIu64, cr_chunk_size(c));
	const char *cells[] = { a, s, note ? note
					   : state_words[cr_chunk_state(c)] };
	cr_table_row(t, cells);
}

/*
 * One inconsistency at chunk header ADDR: a heap-corruption finding with
 * the neighbouring chunks (the chunks [first, first + n) of the walk) and
 * the bad header, or only counted past the limit.
 */
static void corrupt(struct walk *wk, uint64_t addr, size_t first, size_t n,
		    uint64_t bad_size, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static void corrupt(struct walk *wk, uint64_t addr, size_t first, size_t n,
		    uint64_t bad_size, const char *fmt, ...)
{
	wk->h->ncorrupt++;
	wk->h->complete = false;
	if (wk->nfindings >= CR_HEAP_MAX_CORRUPT_FINDINGS)
		return;
	wk->nfindings++;
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	bool busy = wk->busy_thread >= 0;
	struct cr_finding *f = cr_pass_finding(wk->ctx,
					       CR_FINDING_HEAP_CORRUPTION,
					       busy ? CR_SEVERITY_INFO
						    : CR_SEVERITY_WARNING,
					       "%s: %s", busy
					       ? "Heap inconsistent while a thread was inside malloc"
					       : "Heap corruption", what);
	if (!f)
		return;
	cr_finding_signature(f, "heap-corruption");
	if (busy) {
		cr_finding_detail(f, "When the dump was taken a thread was "
				  "inside the allocator, which changes its "
				  "lists and chunk headers in several steps "
				  "under the arena's lock: a dump taken then "
				  "can show a change half made. This is not "
				  "evidence of corruption by itself; a dump "
				  "taken when no thread allocates settles it.");
		cr_finding_frame(f, "thread inside the allocator",
				 (size_t)wk->busy_thread, wk->busy_frame);
	}
	cr_finding_address(f, "chunk", addr, "in the heap");
	struct cr_table *t = cr_finding_table(f, "neighbouring chunks", 3,
					      neighbour_headers);
	for (size_t i = first; t && i < first + n && i < wk->h->nchunks; i++)
		table_chunk(t, wk, &wk->h->chunks[i],
			    wk->h->chunks[i].addr == addr + 2 * wk->w
				    ? "inconsistent" : NULL);
	if (t && bad_size != UINT64_MAX) {
		char a[32], s[40];
		snprintf(a, sizeof(a), "0x%" PRIx64, addr);
		snprintf(s, sizeof(s), "0x%" PRIx64 " (size field)", bad_size);
		const char *cells[] = { a, s, "inconsistent" };
		cr_table_row(t, cells);
	}
}

/* The neighbours of chunk index I for a corruption table. */
static void corrupt_at(struct walk *wk, ssize_t i, uint64_t addr,
		       const char *what)
{
	size_t first = i > 0 ? (size_t)i - 1 : 0;
	corrupt(wk, addr, first, i >= 0 ? 3 : 0, UINT64_MAX, "%s", what);
}

/* ---- the arena's shape ---- */

static struct state_off state_off_for(unsigned w, bool have_fastchunks)
{
	struct state_off o;
	o.fastbins = 8 + (have_fastchunks ? (w == 8 ? 8 : 4) : 0);
	o.top = o.fastbins + NFASTBINS * w;
	o.bins = o.top + 2 * w;
	o.next = o.bins + (NBINS * 2 - 2) * w + 16;
	o.system_mem = o.next + 3 * w;
	o.size = o.next + 5 * w;
	return o;
}

static uint64_t bin_at(const struct walk *wk, uint64_t arena, unsigned i)
{
	return arena + wk->so.bins + (uint64_t)(i - 1) * 2 * wk->w - 2 * wk->w;
}

/*
 * Whether a malloc_state of the current layout sits at ARENA (bytes BUF,
 * so.size of them): every bin is empty (fd == bk == bin_at(i)) or both
 * its ends are in captured writable memory; top is bin_at(1) (no heap
 * yet) or in captured writable memory; system_mem is page-aligned.
 */
static bool arena_shape(const struct walk *wk, uint64_t arena,
			const uint8_t *buf)
{
	unsigned empty = 0;
	for (unsigned i = 1; i < NBINS; i++) {
		uint64_t off = wk->so.bins + (uint64_t)(i - 1) * 2 * wk->w;
		uint64_t fd = word_at(wk, buf + off);
		uint64_t bk = word_at(wk, buf + off + wk->w);
		uint64_t self = bin_at(wk, arena, i);
		if (fd == self && bk == self) {
			empty++;
			continue;
		}
		if (fd == self || bk == self || !fd || !bk ||
		    (fd | bk) % wk->w)
			return false;
	}
	/* A live program leaves most of the 127 bins empty. */
	if (empty < NBINS / 2)
		return false;
	uint64_t top = word_at(wk, buf + wk->so.top);
	uint64_t sysmem = word_at(wk, buf + wk->so.system_mem);
	if (sysmem % PAGE)
		return false;
	if (top == bin_at(wk, arena, 1))
		return true;
	return top && top % wk->w == 0 && writable_region(wk->d, top);
}

static bool arena_ok(const struct walk *wk, uint64_t arena)
{
	const uint8_t *buf = cr_dump_ptr(wk->d, arena, wk->so.size);
	return buf && arena_shape(wk, arena, buf);
}

/* The arena ring from MAIN: true when `next` leads back to MAIN. */
static bool ring_closes(const struct walk *wk, uint64_t main)
{
	uint64_t a = main;
	for (unsigned n = 0; n < MAX_ARENAS; n++) {
		if (!rd(wk, a + wk->so.next, &a) || !a)
			return false;
		if (a == main)
			return true;
	}
	return false;
}

/* Set wk->lay and wk->so to the first layout whose shape ARENA has. */
static bool pick_layout_at(struct walk *wk, uint64_t arena)
{
	for (size_t i = 0; i < ARRAY_LEN(layouts); i++) {
		wk->lay = &layouts[i];
		wk->so = state_off_for(wk->w, layouts[i].have_fastchunks);
		if (arena_ok(wk, arena) && ring_closes(wk, arena))
			return true;
	}
	return false;
}

/*
 * main_arena by its shape: in libc's captured writable memory (its .data
 * and the bss after it), the first place where a malloc_state of some
 * layout fits and its `next` ring closes.
 */
static bool search_main_arena(struct walk *wk, const struct cr_module *libc,
			      uint64_t *out, bool *searched)
{
	const struct cr_dump *d = wk->d;
	for (size_t r = 0; r < d->nregions; r++) {
		const struct cr_region *reg = &d->regions[r];
		if (reg->start < libc->base || !reg->captured ||
		    (reg->prot_known && !(reg->prot & CR_PROT_W)))
			continue;
		/* libc's own data, or the anonymous bss right after it. */
		bool mine = reg->path && libc->path &&
			    !strcmp(reg->path, libc->path);
		bool bss = !reg->path && r > 0 &&
			   d->regions[r - 1].end == reg->start &&
			   d->regions[r - 1].path && libc->path &&
			   !strcmp(d->regions[r - 1].path, libc->path);
		if (!mine && !bss)
			continue;
		*searched = true;
		for (size_t l = 0; l < ARRAY_LEN(layouts); l++) {
			wk->lay = &layouts[l];
			wk->so = state_off_for(wk->w, layouts[l].have_fastchunks);
			for (uint64_t a = reg->start;
			     a + wk->so.size <= reg->end; a += wk->w) {
				if (arena_ok(wk, a) && ring_closes(wk, a)) {
					*out = a;
					return true;
				}
			}
		}
	}
	return false;
}

/*
 * glibc's minor version (36 for 2.36), 0 unknown.  Robust sources first:
 * the file name libc-2.NN.so (before 2.34 every distribution used it);
 * then the banner "... release version 2.NN" that __libc_print_version
 * prints from libc's .rodata, when the dump captured it (a kernel core
 * keeps only the ELF header page of a read-only mapping), else in the
 * libc file the symbols were read from when it is the dump's (matched by
 * build id).  A build id would need a table of every distribution's
 * builds; the version note (NT_GNU_ABI_TAG) names the oldest kernel, not
 * glibc.  When neither is there, the arena's shape and the tcache's size
 * choose the layout (pick_layout_at).
 */
#define BANNER "release version 2."

/* The minor version after the banner in [P, P + N), 0 none. */
static unsigned banner_minor(const uint8_t *p, size_t n)
{
	const uint8_t *hit = memmem(p, n, BANNER, sizeof(BANNER) - 1);
	if (!hit)
		return 0;
	size_t at = (size_t)(hit - p) + sizeof(BANNER) - 1;
	unsigned v = 0;
	for (; at < n && p[at] >= '0' && p[at] <= '9' && v < 100; at++)
		v = v * 10 + (p[at] - '0');
	return v >= 26 && v < 100 ? v : 0;
}

/* The banner in FILE (libc's file the symbols came from, matched to the
 * dump's by build id), at most LIBC_FILE_MAX bytes of it. */
#define LIBC_FILE_MAX (64u << 20)
static unsigned file_minor(const char *file)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	unsigned v = 0;
	if (!fstat(fd, &st) && st.st_size > 0 && st.st_size <= LIBC_FILE_MAX) {
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			       fd, 0);
		if (m != MAP_FAILED) {
			v = banner_minor(m, (size_t)st.st_size);
			munmap(m, (size_t)st.st_size);
		}
	}
	close(fd);
	return v;
}

static unsigned glibc_minor(const struct walk *wk, const struct cr_module *libc)
{
	const char *base = libc->path ? cr_basename(libc->path) : "";
	unsigned v = 0;
	if (sscanf(base, "libc-2.%u.so", &v) == 1 && v < 100)
		return v;
	const struct cr_dump *d = wk->d;
	for (size_t i = 0; i < d->nsegs; i++) {
		const struct cr_memseg *sg = &d->segs[i];
		if (sg->start >= libc->base && sg->start - libc->base < libc->size &&
		    (v = banner_minor(sg->bytes, sg->size)))
			return v;
	}
	/* Not captured: the file the symbols came from, unless its build id
	 * differs from the dump's. */
	const struct cr_analysis *a = wk->ctx->analysis;
	size_t k = (size_t)(libc - d->modules);
	if (a && k < a->nmodules && a->modules[k].file && !a->modules[k].mismatch)
		return file_minor(a->modules[k].file);
	return 0;
}

/* "glibc malloc 2.NN" for the versions this walk knows (static). */
static const char *version_name(unsigned minor)
{
	static const char *const names[] = {
		"glibc malloc 2.26", "glibc malloc 2.27", "glibc malloc 2.28",
		"glibc malloc 2.29", "glibc malloc 2.30", "glibc malloc 2.31",
		"glibc malloc 2.32", "glibc malloc 2.33", "glibc malloc 2.34",
		"glibc malloc 2.35", "glibc malloc 2.36", "glibc malloc 2.37",
		"glibc malloc 2.38", "glibc malloc 2.39", "glibc malloc 2.40",
		"glibc malloc 2.41", "glibc malloc 2.42", "glibc malloc 2.43",
		"glibc malloc 2.44", "glibc malloc 2.45", "glibc malloc 2.46",
	};
	return minor >= 26 && minor - 26 < ARRAY_LEN(names) ? names[minor - 26]
							     : NULL;
}

/* The table's layout for glibc 2.MINOR. */
static const struct glibc_layout *layout_of(unsigned minor)
{
	return minor >= 30 ? &layouts[0] : minor >= 27 ? &layouts[1]
						       : &layouts[2];
}

/* Offsets from libc's DWARF when it is there (they win over the table). */
static void dwarf_offsets(struct walk *wk)
{
	static const char *const names[] = {
		"fastbinsY", "top", "bins", "next", "system_mem",
	};
	struct cr_field f[ARRAY_LEN(names)];
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		f[i] = (struct cr_field){ names[i], 0, 0, false };
	struct cr_layout l = { "struct malloc_state", 0, f, ARRAY_LEN(f) };
	if (!cr_pass_layout(wk->ctx, "libc.so", "struct malloc_state", &l))
		return;
	struct state_off o = { f[0].offset, f[1].offset, f[2].offset,
			       f[3].offset, f[4].offset, l.size };
	if (memcmp(&o, &wk->so, sizeof(o)))
		cr_pass_problem(wk->ctx, CR_AT(CR_SEVERITY_INFO),
				"struct malloc_state: libc's debug "
				"information differs from the built-in "
				"layout; using the debug information");
	wk->so = o;
	wk->lay = &layouts[o.fastbins == 8 ? 2 : 0];
}

/* ---- walking one heap ---- */

/*
 * Walk the chunks of [START, END) of arena ARENA whose top chunk is TOP
 * (the heap holding top ends there).  Returns false when a corruption
 * stopped it.
 */
static bool walk_heap(struct walk *wk, uint64_t start, uint64_t end,
		      uint64_t top)
{
	const uint64_t w = wk->w;
	uint64_t len = end - start;
	uint64_t have = captured_span(wk->d, start, len);
	if (have < len) {
		wk->h->complete = false;
		cr_pass_problem(wk->ctx,
				CR_AT_ADDRESS(CR_SEVERITY_WARNING, start + have),
				"heap at 0x%" PRIx64 ": only %" PRIu64 " of %"
				PRIu64 " bytes captured; walked that far",
				start, have, len);
		end = start + have;
	}
	if (start >= end)
		return true;
	uint64_t p = start;
	size_t first = wk->h->nchunks;
	while (p < end) {
		size_t nb = wk->h->nchunks;
		size_t ctx0 = nb - first >= 2 ? nb - 2 : first;
		if (end - p < 2 * w)
			break;
		uint64_t field = heap_word(wk, p + w, end);
		uint64_t size = field & ~(uint64_t)SIZE_BITS;
		if (p == top) {
			if (size != end - p && have == len) {
				corrupt(wk, p, ctx0, nb - ctx0, field,
					"the top chunk's size %" PRIu64 " does "
					"not reach the heap's end (%" PRIu64
					" bytes left)", size, end - p);
				return false;
			}
			add_chunk(wk, p + 2 * w, end - p < size ? end - p : size,
				  CR_CHUNK_FREE);
			return true;
		}
		/* Fenceposts end a heap its arena grew out of. */
		if (size == 2 * w && end - p >= 4 * w &&
		    (heap_word(wk, p + 3 * w, end) & ~(uint64_t)SIZE_BITS) == 0)
			return true;
		if (size < wk->minsize || size % wk->align ||
		    size > end - p || (top > p && top < p + size)) {
			if (size > end - p && have < len)
				return true;	/* runs into what is missing */
			corrupt(wk, p, ctx0, nb - ctx0, field,
				size > end - p ? "a chunk's size runs past "
						 "its heap's end"
				: size == 0 ? "a chunk's size is 0"
				: "a chunk's size is not a valid chunk size");
			return false;
		}
		uint64_t next = p + size;
		bool in_use = true;
		if (next + 2 * w <= end) {
			/* In address order: the window only moves up. */
			uint64_t prev_size = heap_word(wk, next, end);
			uint64_t nfield = heap_word(wk, next + w, end);
			in_use = nfield & PREV_INUSE;
			if (!in_use && prev_size != size) {
				if (!add_chunk(wk, p + 2 * w, size,
					       CR_CHUNK_FREE))
					return false;
				corrupt(wk, next, nb > first ? nb - 1 : nb,
					2, nfield,
					"a free chunk of %" PRIu64 " bytes "
					"is followed by a prev_size of %" PRIu64,
					size, prev_size);
				p = next;
				continue;
			}
		}
		if (!add_chunk(wk, p + 2 * w, size,
			       in_use ? CR_CHUNK_IN_USE : CR_CHUNK_FREE))
			return false;
		p = next;
	}
	if (top && top >= start && top < end && have == len) {
		corrupt(wk, p, first, 0, UINT64_MAX,
			"the walk of the heap at 0x%" PRIx64 " stepped over "
			"its top chunk at 0x%" PRIx64, start, top);
		return false;
	}
	return true;
}

/* A heap range [START, END) (for h->ranges) of arena index ARENA
 * (SIZE_MAX: an mmapped chunk, in no arena's totals). */
/* Room for one more element in *ARR (N used of *ALLOC), doubling up to
 * CAP elements; false (with wk->oom when out of memory) when none. */
static bool grow(struct walk *wk, void *arr, size_t *alloc, size_t n,
		 size_t elem, size_t cap)
{
	if (n < *alloc)
		return true;
	if (*alloc >= cap)
		return false;
	size_t m = *alloc ? *alloc * 2 : 16;
	void *r = realloc(*(void **)arr, (m < cap ? m : cap) * elem);
	if (!r) {
		wk->oom = true;
		return false;
	}
	*(void **)arr = r;
	*alloc = m < cap ? m : cap;
	return true;
}

/* A heap range [START, END) (also in h->ranges) of arena index ARENA
 * walked from WALK_START, holding TOP (0: not); ARENA SIZE_MAX: an
 * mmapped chunk, in no arena's totals. */
static bool add_span(struct walk *wk, uint64_t start, uint64_t end,
		     size_t arena, uint64_t walk_start, uint64_t top)
{
	struct cr_heap *h = wk->h;
	if (!grow(wk, &h->ranges, &wk->ranges_alloc, h->nranges,
		  sizeof(*h->ranges), SIZE_MAX / 64))
		return false;
	h->ranges[h->nranges].start = start;
	h->ranges[h->nranges].end = end;
	h->nranges++;
	if (!grow(wk, &wk->spans, &wk->spans_alloc, wk->nspans,
		  sizeof(*wk->spans), SIZE_MAX / 64))
		return false;
	wk->spans[wk->nspans++] =
		(struct span){ start, end, walk_start, top, arena };
	return true;
}

/* ---- arenas ---- */

static uint64_t align_chunk(const struct walk *wk, uint64_t p)
{
	/* chunk2mem(p) = p + 2*SIZE_SZ must be MALLOC_ALIGNMENT-aligned. */
	uint64_t m = (p + 2 * wk->w) % wk->align;
	return m ? p + wk->align - m : p;
}

/* The brk heap of main_arena (a span to walk): from top's end back
 * system_mem bytes. */
static void plan_main(struct walk *wk, uint64_t arena)
{
	uint64_t top, sysmem, tfield;
	if (!rd(wk, arena + wk->so.top, &top) ||
	    !rd(wk, arena + wk->so.system_mem, &sysmem))
		return;
	if (top == bin_at(wk, arena, 1) || !sysmem)
		return;		/* malloc never took memory */
	if (!rd(wk, top + wk->w, &tfield)) {
		cr_pass_problem(wk->ctx, CR_AT_ADDRESS(CR_SEVERITY_WARNING, top),
				"main arena: its top chunk is not in the dump");
		return;
	}
	uint64_t tsize = tfield & ~(uint64_t)SIZE_BITS, end, start;
	const struct cr_region *r = cr_dump_region_at(wk->d, top);
	if (__builtin_add_overflow(top, tsize, &end) || !r || end > r->end ||
	    end < sysmem) {
		corrupt(wk, top, 0, 0, tfield,
			"the main arena's top chunk runs past its mapping");
		return;
	}
	start = end - sysmem;
	if (start < r->start) {
		/* A brk heap in pieces (brk failed and malloc went on with
		 * mmap): only the piece holding top is walked. */
		wk->h->complete = false;
		cr_pass_problem(wk->ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO, top),
				"main arena: its heap is not contiguous; only "
				"the part holding the top chunk was walked");
		start = r->start;
	}
	start = align_chunk(wk, start);
	add_span(wk, start, end, 0, start, top);
}

/*
 * Whether heap HP was already planned: a heap_info.prev chain that loops
 * back to its own arena (ends the chain: every heap is walked once) or
 * reaches another arena's heap (a corruption).  Spans of arena heaps are
 * few (each needs a captured heap_max-aligned page), so a scan is cheap.
 */
static bool seen_heap(struct walk *wk, uint64_t arena, uint64_t hp,
		      size_t index)
{
	for (size_t k = 0; k < wk->nspans; k++) {
		const struct span *sp = &wk->spans[k];
		if (sp->start != hp || sp->arena == SIZE_MAX)
			continue;
		if (sp->arena != index)
			corrupt(wk, hp, 0, 0, UINT64_MAX,
				"arena at 0x%" PRIx64 ": its heap_info chain "
				"reaches the heap 0x%" PRIx64 " of another "
				"arena", arena, hp);
		else
			corrupt(wk, hp, 0, 0, UINT64_MAX,
				"arena at 0x%" PRIx64 ": its heap_info chain "
				"loops back to the heap 0x%" PRIx64, arena, hp);
		return true;
	}
	return false;
}

/*
 * The heaps of non-main arena ARENA: from the heap holding top back
 * through heap_info.prev to the first heap (the one holding the arena).
 */
static void plan_arena_heaps(struct walk *wk, uint64_t arena,
			     struct cr_heap_arena *ha, size_t index)
{
	const uint64_t w = wk->w;
	uint64_t top;
	if (!rd(wk, arena + wk->so.top, &top))
		return;
	uint64_t hp = top & ~(wk->heap_max - 1);
	for (unsigned n = 0; hp && n < MAX_HEAPS_PER_ARENA; n++) {
		uint64_t ar, prev, size;
		if (seen_heap(wk, arena, hp, index))
			return;
		if (!wk->heaps_left) {
			cr_pass_problem(wk->ctx,
					CR_AT_ADDRESS(CR_SEVERITY_WARNING, hp),
					"arena at 0x%" PRIx64 ": more heaps than "
					"the dump's bytes can hold; the walk "
					"stops at heap 0x%" PRIx64, arena, hp);
			wk->h->complete = false;
			return;
		}
		wk->heaps_left--;
		if (!rd(wk, hp, &ar) || !rd(wk, hp + w, &prev) ||
		    !rd(wk, hp + 2 * w, &size)) {
			cr_pass_problem(wk->ctx,
					CR_AT_ADDRESS(CR_SEVERITY_WARNING, hp),
					"arena at 0x%" PRIx64 ": heap_info at 0x%"
					PRIx64 " is not in the dump", arena, hp);
			wk->h->complete = false;
			return;
		}
		if (ar != arena) {
			corrupt(wk, hp, 0, 0, UINT64_MAX,
				"the heap_info at 0x%" PRIx64 " names arena 0x%"
				PRIx64 ", not its arena 0x%" PRIx64, hp, ar,
				arena);
			return;
		}
		if (size > wk->heap_max || size < PAGE) {
			corrupt(wk, hp, 0, 0, UINT64_MAX,
				"the heap_info at 0x%" PRIx64 " has a size of %"
				PRIu64 " bytes", hp, size);
			return;
		}
		bool first = arena > hp && arena < hp + size;
		uint64_t start = first ? arena + wk->so.size : hp + 4 * w;
		if (!first) {
			/* After heap_info (its size from the first heap,
			 * which holds the arena right after it: 4 or 5
			 * words and padding). */
			uint64_t hi = (arena & (wk->heap_max - 1)) ?
				      arena - (arena & ~(wk->heap_max - 1)) : 4 * w;
			start = hp + (hi >= 4 * w && hi <= 8 * w ? hi : 4 * w);
		}
		start = align_chunk(wk, start);
		add_span(wk, hp, hp + size, index, start,
			 top >= hp && top < hp + size ? top : 0);
		ha->nheaps++;
		if (first)
			return;
		if (prev && prev % wk->heap_max) {
			corrupt(wk, hp, 0, 0, UINT64_MAX,
				"the heap_info at 0x%" PRIx64 " links to a "
				"misaligned heap 0x%" PRIx64, hp, prev);
			return;
		}
		hp = prev;
	}
}

/* ---- mmapped chunks ---- */

static bool holds_stack(const struct cr_dump *d, const struct cr_region *r)
{
	for (size_t t = 0; t < d->nthreads; t++) {
		const struct cr_thread *th = &d->threads[t];
		if (th->stack_hi > r->start && th->stack_lo < r->end)
			return true;
	}
	return false;
}

/* The mmapped chunks in [START, END), part of a region without an arena
 * heap (find_mmapped). */
static void mmapped_in(struct walk *wk, uint64_t start, uint64_t end)
{
	const struct cr_dump *d = wk->d;
	/* One segment lookup per captured stretch, not two per page (the
	 * page starts of every anonymous mapping are read). */
	for (uint64_t p = start; p + 2 * wk->w <= end;) {
		uint64_t span = captured_span(d, p, end - p);
		const uint8_t *b = span >= 2 * wk->w ? cr_dump_ptr(d, p, span)
						     : NULL;
		if (!b) {
			p += PAGE;
			continue;
		}
		uint64_t q = p;
		while (q - p + 2 * wk->w <= span) {
			uint64_t prev = word_at(wk, b + (q - p));
			uint64_t size = word_at(wk, b + (q - p) + wk->w);
			if (prev || (size & SIZE_BITS) != IS_MMAPPED ||
			    (size &= ~(uint64_t)SIZE_BITS) < 2 * PAGE ||
			    size % PAGE || size > end - q) {
				q += PAGE;
				continue;
			}
			add_span(wk, q, q + size, SIZE_MAX, q, 0);
			q += size;
		}
		p = q;
	}
}

/*
 * Mmapped chunks: at the page starts of anonymous writable captured
 * regions outside the arena heaps and the stacks, a header with
 * prev_size 0 and size a page multiple with only IS_MMAPPED set that fits
 * the region.  Such a header only comes from malloc's mmap path (zero
 * pages and pointers do not look like it).  A region may hold an arena
 * heap and mmapped chunks beside it (a dump whose regions are not the
 * kernel's mappings, or mappings the kernel merged): the parts outside
 * the heaps are searched.
 */
static void find_mmapped(struct walk *wk)
{
	const struct cr_dump *d = wk->d;
	const size_t nheap = wk->h->nranges;
	for (size_t i = 0; i < d->nregions; i++) {
		const struct cr_region *r = &d->regions[i];
		if (r->path || !r->captured ||
		    (r->prot_known && !(r->prot & CR_PROT_W)) ||
		    holds_stack(d, r))
			continue;
		/* From the region's start, the gap before the lowest heap
		 * still ahead, then past that heap (heaps are few). */
		for (uint64_t at = r->start; at < r->end;) {
			uint64_t hs = r->end, he = r->end;
			for (size_t k = 0; k < nheap; k++) {
				uint64_t s = wk->h->ranges[k].start;
				if (wk->h->ranges[k].end > at && s < hs) {
					hs = s;
					he = wk->h->ranges[k].end;
				}
			}
			if (hs > at)
				mmapped_in(wk, at, hs < r->end ? hs : r->end);
			at = he > at ? he : r->end;
		}
	}
}

/* ---- free lists ---- */

static uint64_t reveal(const struct walk *wk, uint64_t pos, uint64_t v,
		       int safe)
{
	return safe ? (pos >> 12) ^ v : v;
}

/* What a free list must look like. */
struct list_shape {
	uint64_t size_lo, size_hi;	/* every chunk's size in between */
	long count;		/* the entries it must hold; -1 unknown */
	long max;		/* the entries it may hold at most */
	bool user_links;	/* tcache: links hold user pointers */
};

/*
 * Follow a singly linked list (tcache: links at the user pointer; fastbin:
 * links at fd, the same place) from chunk header FIRST of shape SH.  With
 * MARK, the chunks are marked free (or the inconsistency reported);
 * without, whether the list is valid under SAFE is all that is found out.
 * Returns the entries followed, -1 when the list is not valid.  A probe
 * (PROBE: learn_safe) only needs enough links to tell the two schemes
 * apart (valid this far): it stops after PROBE_LINKS, so that it does not
 * cost nchunks steps per list when lists loop in every arena.
 */
static long follow_list(struct walk *wk, uint64_t first,
			const struct list_shape *sh, int safe, bool mark,
			bool probe, const char *what)
{
	const uint64_t w = wk->w;
	uint64_t p = first;
	long n = 0;
	size_t limit = wk->h->nchunks + 1;
	while (p) {
		if (probe && n >= PROBE_LINKS)
			return n;
		ssize_t i = chunk_exact(wk, p);
		const char *bad = NULL;
		uint64_t size = i < 0 ? 0 : cr_chunk_size(&wk->h->chunks[i]);
		if ((p + 2 * w) % wk->align)
			bad = "fails the safe-linking alignment check";
		else if (i < 0)
			bad = "points at no chunk of the heap";
		else if (size < sh->size_lo || size > sh->size_hi)
			bad = "points at a chunk of another size";
		else if (cr_chunk_state(&wk->h->chunks[i]) == CR_CHUNK_FREE)
			bad = "holds a free chunk twice (a loop or a double "
			      "free)";
		else if ((size_t)n >= limit || n >= sh->max ||
			 (sh->count >= 0 && n >= sh->count))
			bad = "is longer than its count";
		if (bad) {
			if (mark) {
				char t[160];
				snprintf(t, sizeof(t), "the %s list %s", what,
					 bad);
				corrupt_at(wk, i, p, t);
			}
			return -1;
		}
		if (mark)
			set_state(wk, (size_t)i, CR_CHUNK_FREE);
		n++;
		uint64_t v;
		if (!rd(wk, p + 2 * w, &v)) {
			if (mark)
				corrupt_at(wk, i, p, "a free list's link is "
						     "not in the dump");
			return -1;
		}
		p = reveal(wk, p + 2 * w, v, safe);
		if (p && sh->user_links)
			p = p < 2 * w ? 1 : p - 2 * w;	/* 1: misaligned */
	}
	if (sh->count >= 0 && n != sh->count) {
		if (mark) {
			char t[160];
			snprintf(t, sizeof(t), "the %s list holds %ld chunks, "
				 "its count says %ld", what, n, sh->count);
			corrupt_at(wk, -1, first, t);
		}
		return -1;
	}
	return n;
}

/* Decide safe-linking from a list that validates under one scheme only. */
static void learn_safe(struct walk *wk, uint64_t first,
		       const struct list_shape *sh)
{
	if (wk->safe >= 0)
		return;
	bool plain = follow_list(wk, first, sh, 0, false, true, "") >= 0;
	bool prot = follow_list(wk, first, sh, 1, false, true, "") >= 0;
	if (plain != prot)
		wk->safe = prot;
}

static int safe_or_guess(const struct walk *wk)
{
	return wk->safe >= 0 ? wk->safe : 1;
}

/* The fastbins of ARENA. */
static void mark_fastbins(struct walk *wk, uint64_t arena)
{
	for (unsigned i = 0; i < NFASTBINS; i++) {
		uint64_t p;
		if (!rd(wk, arena + wk->so.fastbins + i * wk->w, &p) || !p)
			continue;
		/* fastbin_index(sz) = (sz >> (SIZE_SZ == 8 ? 4 : 3)) - 2 */
		uint64_t size = (uint64_t)(i + 2) << (wk->w == 8 ? 4 : 3);
		struct list_shape sh = { size, size, -1, LONG_MAX, false };
		learn_safe(wk, p, &sh);
		follow_list(wk, p, &sh, safe_or_guess(wk), true, false,
			    "fastbin");
	}
}

/* Check the doubly linked bins of ARENA: each chunk free by the walk,
 * fd->bk == the chunk, no loop. */
static void check_bins(struct walk *wk, uint64_t arena)
{
	const uint64_t w = wk->w;
	for (unsigned b = 1; b < NBINS; b++) {
		uint64_t head = bin_at(wk, arena, b), prev = head, p;
		if (!rd(wk, head + 2 * w, &p))
			continue;
		size_t n = 0;
		while (p != head) {
			ssize_t i = chunk_exact(wk, p);
			uint64_t bk;
			const char *bad = NULL;
			if (i < 0)
				bad = "a bin's list leaves the heap";
			else if (cr_chunk_state(&wk->h->chunks[i]) !=
				 CR_CHUNK_FREE)
				bad = "a bin holds a chunk in use";
			else if (!rd(wk, p + 3 * w, &bk) || bk != prev)
				bad = "a bin's list is broken (fd->bk is not "
				      "the chunk)";
			else if (++n > wk->h->nchunks)
				bad = "a bin's list loops";
			if (bad) {
				corrupt_at(wk, i, p, bad);
				break;
			}
			prev = p;
			if (!rd(wk, p + 2 * w, &p))
				break;
		}
	}
}

/* ---- tcache ---- */

static uint64_t request2size(const struct walk *wk, uint64_t req)
{
	uint64_t s = (req + wk->w + wk->align - 1) & ~(wk->align - 1);
	return s < wk->minsize ? wk->minsize : s;
}

/* The chunk sizes of bin B of a tcache of layout TL: one size for a small
 * bin; for a large one the sizes whose highest bit is the bin's
 * (large_csize2tidx), above the small bins' sizes. */
static struct list_shape tcache_bin(const struct walk *wk,
				    const struct tcache_layout *tl, unsigned b)
{
	struct list_shape sh = { 0, 0, -1, MAX_TCACHE_COUNT, true };
	if (b < tl->small_bins) {
		sh.size_lo = sh.size_hi = wk->minsize + b * wk->align;
		return sh;
	}
	/* MAX_TCACHE_SMALL_SIZE: tidx2usize(small_bins - 1), a user size. */
	uint64_t max_small = (tl->small_bins - 1) * wk->align + wk->minsize - wk->w;
	unsigned bit = 63 - (unsigned)__builtin_clzll(max_small) + (b - tl->small_bins);
	sh.size_lo = (uint64_t)1 << bit;
	sh.size_hi = ((uint64_t)1 << (bit + 1)) - 1;
	uint64_t above = wk->minsize + tl->small_bins * wk->align;
	if (sh.size_lo < above)
		sh.size_lo = above;
	return sh;
}

/* Count C of bin B of the tcache at T (counts first, COUNTS_SIZE bytes
 * each). */
static long tcache_count(const struct walk *wk, const uint8_t *t,
			 unsigned counts_size, unsigned b)
{
	if (counts_size == 1)
		return t[b];
	return (long)(uint16_t)(wk->be ? (t[2 * b] << 8 | t[2 * b + 1])
				       : (t[2 * b] | t[2 * b + 1] << 8));
}

/*
 * Chunk I as a tcache_perthread_struct of layout TL: before 2.42 every
 * count matches its list; with slots (2.42+) every bin's slots plus its
 * entries are one number, mp_.tcache_count (not 0: an all-zero buffer of
 * the right size would pass).  Validated first; with MARK, then marked.
 * Returns true when it is one.
 */
static bool take_tcache_as(struct walk *wk, size_t i,
			   const struct tcache_layout *tl, bool mark)
{
	const uint64_t w = wk->w;
	unsigned cs = tl->counts_size, nb = tl->bins;
	uint64_t want = request2size(wk, nb * cs + nb * w);
	struct cr_heap_chunk *c = &wk->h->chunks[i];
	if (cr_chunk_size(c) != want || cr_chunk_state(c) != CR_CHUNK_IN_USE)
		return false;
	const uint8_t *t = cr_dump_ptr(wk->d, c->addr, nb * (cs + w));
	if (!t)
		return false;
	long fill = -1;		/* slots: mp_.tcache_count */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned b = 0; b < nb; b++) {
			long count = tcache_count(wk, t, cs, b);
			uint64_t e = word_at(wk, t + nb * cs + b * w);
			struct list_shape sh = tcache_bin(wk, tl, b);
			if (!tl->slots)
				sh.count = count;
			if (!e && (tl->slots || !count)) {
				if (tl->slots && pass == 0 && fill < 0)
					fill = count;
				if (tl->slots && count != fill)
					return false;
				continue;
			}
			if (!e || e < 2 * w)
				return false;
			if (pass == 0) {
				learn_safe(wk, e - 2 * w, &sh);
				long n = follow_list(wk, e - 2 * w, &sh,
						     safe_or_guess(wk), false,
						     false, "");
				if (n < 0)
					return false;
				if (tl->slots && fill < 0)
					fill = count + n;
				if (tl->slots && count + n != fill)
					return false;
			} else if (mark) {
				follow_list(wk, e - 2 * w, &sh,
					    safe_or_guess(wk), true, false,
					    "tcache");
			}
		}
		if (tl->slots && fill <= 0)
			return false;
		if (!mark)
			return true;
	}
	set_state(wk, i, CR_CHUNK_INTERNAL);
	return true;
}

/* The tcache layouts chunk I may have: its version's, or with the
 * version unknown each one whose counts the arena's shape allows (their
 * sizes differ: the chunk's size picks one). */
static bool take_tcache(struct walk *wk, size_t i, bool mark)
{
	for (size_t k = 0; k < ARRAY_LEN(tcache_layouts); k++) {
		const struct tcache_layout *tl = &tcache_layouts[k];
		if (wk->minor ? tl->first_minor > wk->minor
			      : tl->counts_size != wk->lay->counts_size)
			continue;
		if (take_tcache_as(wk, i, tl, mark))
			return true;
		if (wk->minor)
			return false;
	}
	return false;
}

/* The first chunk at or after heap start START, if it is a tcache. */
static void tcache_at(struct walk *wk, uint64_t start, uint64_t *known,
		      size_t *nknown, size_t max)
{
	ssize_t i = chunk_exact(wk, start);
	if (i < 0 || !take_tcache(wk, (size_t)i, false))
		return;
	take_tcache(wk, (size_t)i, true);
	if (*nknown < max)
		known[(*nknown)++] = wk->h->chunks[i].addr;
}

/*
 * The other threads' tcaches (threads sharing an arena): the offset of the
 * TLS variable `tcache` below the thread pointer (x86_64 fs_base) is where
 * a thread holds one of the tcaches found; every thread's word at that
 * offset is its tcache.
 */
static void tcache_by_tls(struct walk *wk, const uint64_t *known,
			  size_t nknown)
{
	const struct cr_dump *d = wk->d;
	/* aarch64 is not handled: its thread pointer is TPIDR_EL0 and
	 * static TLS lies above it (variant I), not below fs_base. */
	if (d->process.arch != CR_ARCH_X86_64 || !nknown)
		return;
	int64_t off = 0;
	for (size_t t = 0; t < d->nthreads && !off; t++) {
		uint64_t tp;
		if (!cr_regs_get(&d->threads[t].regs, FS_BASE_REG, &tp) ||
		    tp < TLS_SEARCH)
			continue;
		/* The main thread's TLS sits in a small mapping of its own:
		 * search what is captured right below the thread pointer. */
		uint64_t len = TLS_SEARCH;
		const uint8_t *b = NULL;
		while (len >= PAGE / 4 && !(b = cr_dump_ptr(d, tp - len, len)))
			len /= 2;
		if (!b)
			continue;
		for (uint64_t o = len; o >= wk->w && !off; o -= wk->w) {
			uint64_t v = word_at(wk, b + len - o);
			for (size_t k = 0; k < nknown; k++)
				if (v == known[k])
					off = -(int64_t)o;
		}
	}
	if (!off)
		return;
	for (size_t t = 0; t < d->nthreads; t++) {
		uint64_t tp, v;
		if (!cr_regs_get(&d->threads[t].regs, FS_BASE_REG, &tp) ||
		    !rd(wk, tp + (uint64_t)off, &v) || v < 2 * wk->w)
			continue;
		ssize_t i = chunk_exact(wk, v - 2 * wk->w);
		if (i >= 0 && take_tcache(wk, (size_t)i, false))
			take_tcache(wk, (size_t)i, true);
	}
}

/* ---- the whole walk ---- */

static int chunk_cmp(const void *a, const void *b)
{
	const struct cr_heap_chunk *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

static int range_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

/* A sorted, non-overlapping chunk array (a lying dump may make two heaps
 * overlap: the later duplicate is dropped). */
static void sort_chunks(struct cr_heap *h)
{
	qsort(h->chunks, h->nchunks, sizeof(*h->chunks), chunk_cmp);
	size_t n = 0;
	for (size_t i = 0; i < h->nchunks; i++) {
		if (n && h->chunks[i].addr <
			 h->chunks[n - 1].addr + cr_chunk_size(&h->chunks[n - 1]))
			continue;
		h->chunks[n++] = h->chunks[i];
	}
	h->nchunks = n;
}

/* Recount the totals after the chunks were sorted (a lying dump whose
 * heaps overlap): the spans are sorted like the chunks, so one merge. */
static void recount(struct walk *wk)
{
	struct cr_heap *h = wk->h;
	h->in_use_bytes = h->free_bytes = h->mmapped_bytes = 0;
	h->in_use_count = h->free_count = h->mmapped_count = 0;
	for (size_t a = 0; a < h->narenas; a++) {
		struct cr_heap_arena *ar = &h->arenas[a];
		ar->in_use_bytes = ar->free_bytes = 0;
		ar->in_use_count = ar->free_count = ar->first = ar->count = 0;
	}
	size_t k = 0;
	for (size_t i = 0; i < h->nchunks; i++) {
		const struct cr_heap_chunk *c = &h->chunks[i];
		while (k < wk->nspans && c->addr >= wk->spans[k].end)
			k++;
		size_t arena = k < wk->nspans && c->addr >= wk->spans[k].start
			       ? wk->spans[k].arena : SIZE_MAX;
		account(wk, i, arena, 1);
	}
}

/* The arenas: main_arena and the ring its `next` makes. */
static bool collect_arenas(struct walk *wk, uint64_t main)
{
	struct cr_heap *h = wk->h;
	size_t n = 1;
	uint64_t a = main;
	while (n < MAX_ARENAS && rd(wk, a + wk->so.next, &a) && a && a != main)
		n++;
	h->arenas = calloc(n, sizeof(*h->arenas));
	if (!h->arenas)
		return false;
	a = main;
	for (size_t i = 0; i < n; i++) {
		struct cr_heap_arena *ar = &h->arenas[h->narenas];
		ar->addr = a;
		ar->main = i == 0;
		if (i && !arena_ok(wk, a)) {
			corrupt(wk, a, 0, 0, UINT64_MAX,
				"the arena at 0x%" PRIx64 " (in the ring of "
				"main_arena) does not look like one", a);
			break;
		}
		rd(wk, a + wk->so.system_mem, &ar->system_mem);
		h->narenas++;
		if (!rd(wk, a + wk->so.next, &a))
			break;
	}
	return true;
}

/* The first chunk of arena AR's first heap (where its first thread's
 * tcache is). */
static uint64_t first_chunk(const struct walk *wk,
			    const struct cr_heap_arena *ar)
{
	if (!ar->main)
		return align_chunk(wk, ar->addr + wk->so.size);
	for (size_t k = 0; k < wk->nspans; k++)
		if (wk->spans[k].arena == 0)
			return wk->spans[k].walk_start;
	return 0;
}

/* Frame-0 functions of a thread blocked on a lock (glibc's low-level
 * lock and futex waits). */
static bool lock_wait(const char *fn)
{
	static const char *const waits[] = {
		"__lll_lock_wait", "__lll_lock_wait_private",
		"__lll_lock_wake", "futex_wait", "__futex_abstimed_wait_common",
		"__futex_abstimed_wait_common64", "syscall",
	};
	for (size_t i = 0; fn && i < ARRAY_LEN(waits); i++)
		if (!strcmp(fn, waits[i]))
			return true;
	return false;
}

/* The first thread, other than the crashing one, with an allocator
 * function among its top frames; -1 none.  The crashing thread is left
 * out: glibc checks a chunk before it changes anything, so its abort
 * (or a fault in malloc on a pointer the heap held) is the corruption,
 * not an update caught half-way.  A breakpoint is not a crash: a
 * debugger stopped the thread there (and gcore then records SIGTRAP). */
static ssize_t busy_thread(const struct cr_analysis *a, size_t *frame)
{
	for (size_t t = 0; t < a->nthreads; t++) {
		if ((ssize_t)t == a->crash.thread && !a->crash.sent &&
		    a->crash.cls != CR_CRASH_BREAKPOINT)
			continue;
		const struct cr_stack *s = &a->threads[t].stack;
		/* A thread waiting for an arena's lock has changed nothing. */
		if (s->nframes && lock_wait(s->frames[0].function))
			continue;
		for (size_t i = 0; i < s->nframes && i < CR_HEAP_BUSY_FRAMES; i++)
			if (cr_heap_allocator_function(s->frames[i].function)) {
				*frame = i;
				return (ssize_t)t;
			}
	}
	return -1;
}

struct cr_error *cr_heap_glibc_walk(struct cr_pass_ctx *ctx,
				    struct cr_heap *h,
				    const struct cr_module *libc)
{
	const struct cr_dump *d = ctx->dump;
	struct walk wk = {
		.ctx = ctx, .d = d, .h = h, .w = h->word,
		.be = ctx->target.big_endian, .safe = -1,
	};
	wk.busy_thread = busy_thread(ctx->analysis, &wk.busy_frame);
	/* MALLOC_ALIGNMENT: 2 * SIZE_SZ, but 16 on i386 since 2.26. */
	wk.align = wk.w == 8 || d->process.arch == CR_ARCH_X86 ? 16 : 8;
	wk.minsize = (4 * wk.w + wk.align - 1) & ~(wk.align - 1);
	wk.heap_max = wk.w == 8 ? 64u << 20 : 1u << 20;

	uint64_t main = 0;
	bool sym = cr_pass_symbol(ctx, "libc.so", "main_arena", &main) && main;
	if (sym && !cr_dump_ptr(d, main, wk.w))
		sym = false;	/* not captured: the search says so */
	if (sym && !pick_layout_at(&wk, main)) {
		cr_pass_problem(ctx, CR_AT_ADDRESS(CR_SEVERITY_INFO, main),
				"main_arena (from the symbols) does not have "
				"an arena's shape; searching libc's data");
		sym = false;
	}
	bool searched = false;
	if (!sym && !search_main_arena(&wk, libc, &main, &searched)) {
		/* No captured data of libc at all (a minimal dump): nothing to
		 * say beyond "not walked", which the report's heap section
		 * says. */
		if (searched)
			cr_pass_problem(ctx, CR_AT(CR_SEVERITY_INFO),
					"glibc malloc: the main arena was not "
					"found in libc's captured data; the heap "
					"is not walked");
		return NULL;
	}
	unsigned minor = glibc_minor(&wk, libc);
	wk.minor = minor >= 26 && layout_of(minor) == wk.lay ? minor : 0;
	/* libc's DWARF only for a version the table does not know: reading
	 * it decompresses libc6-dbg's debug sections (290 M instructions,
	 * twelve times a whole analysis of a small core), and the table,
	 * checked by the arena's shape, is right for the versions it has. */
	if (sym && (!minor || minor > LAST_TCACHE_MINOR))
		dwarf_offsets(&wk);
	if (minor && layout_of(minor) != wk.lay && minor >= 26) {
		cr_pass_problem(ctx, CR_AT(CR_SEVERITY_INFO),
				"glibc 2.%u's malloc_state does not have the "
				"layout of its version; walked as %s", minor,
				wk.lay->name);
	} else if (minor >= 26) {
		h->allocator_name = version_name(minor);
		wk.safe = minor >= 32;
	}
	if (!h->allocator_name || !strcmp(h->allocator_name, "glibc malloc"))
		h->allocator_name = wk.lay->name;
	h->walked = true;
	h->complete = true;
	/* No more chunks than the dump's bytes hold (one per 16 bytes). */
	uint64_t bytes = 0;
	for (size_t i = 0; i < d->nsegs; i++)
		bytes += d->segs[i].size;
	wk.cap = (size_t)(bytes / 16) + 1024;
	wk.heaps_left = bytes / PAGE + 1;
	chunk_space(&wk);

	if (!collect_arenas(&wk, main))
		goto oom;
	for (size_t i = 0; i < h->narenas; i++) {
		if (h->arenas[i].main) {
			h->arenas[i].nheaps = 1;
			plan_main(&wk, h->arenas[i].addr);
		} else {
			plan_arena_heaps(&wk, h->arenas[i].addr,
					 &h->arenas[i], i);
		}
	}
	find_mmapped(&wk);
	qsort(wk.spans, wk.nspans, sizeof(*wk.spans), span_cmp);
	for (size_t k = 0; k < wk.nspans && !wk.oom; k++) {
		const struct span *sp = &wk.spans[k];
		wk.cur_arena = sp->arena;
		if (sp->arena == SIZE_MAX)
			add_chunk(&wk, sp->start + 2 * wk.w,
				  sp->end - sp->start, CR_CHUNK_MMAPPED);
		else if (sp->walk_start < sp->end)
			walk_heap(&wk, sp->walk_start, sp->end, sp->top);
	}
	if (wk.oom)
		goto oom;
	if (wk.unsorted) {
		sort_chunks(h);
		recount(&wk);
	}
	qsort(h->ranges, h->nranges, sizeof(*h->ranges), range_cmp);

	uint64_t known[64];
	size_t nknown = 0;
	/* A glibc newer than the tcache table: its tcache is not claimed
	 * (cached chunks count as in use) rather than read wrong. */
	if (minor > LAST_TCACHE_MINOR) {
		cr_pass_problem(ctx, CR_AT(CR_SEVERITY_INFO),
				"glibc 2.%u's tcache layout is not known to "
				"this walk: chunks cached in the tcache are "
				"counted as in use", minor);
	} else {
		for (size_t i = 0; i < h->narenas; i++) {
			uint64_t fc = first_chunk(&wk, &h->arenas[i]);
			if (fc)
				tcache_at(&wk, fc, known, &nknown,
					  ARRAY_LEN(known));
		}
		tcache_by_tls(&wk, known, nknown);
	}
	for (size_t i = 0; i < h->narenas; i++) {
		mark_fastbins(&wk, h->arenas[i].addr);
		check_bins(&wk, h->arenas[i].addr);
	}
	if (!minor && wk.safe == 1 && wk.lay == &layouts[0])
		h->allocator_name = "glibc malloc 2.32 or later";
	if (h->ncorrupt > wk.nfindings) {
		struct cr_finding *f = cr_pass_finding(
			ctx, CR_FINDING_HEAP_CORRUPTION, CR_SEVERITY_WARNING,
			"Heap corruption: %zu more inconsistencies not listed",
			h->ncorrupt - wk.nfindings);
		cr_finding_number(f, "inconsistencies in all", (int64_t)h->ncorrupt,
				  NULL);
	}
	free(wk.spans);
	free(wk.win);
	return NULL;
oom:
	free(wk.spans);
	free(wk.win);
	return &cr_enomem;
}
