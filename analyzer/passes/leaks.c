/*
 * leaks.c - pass "leaks": the in-use heap chunks nothing points to.
 *
 * A conservative mark, as a garbage collector without type information
 * does it (Boehm's collector, valgrind's memcheck leak check): every
 * aligned word of the roots that falls in an in-use chunk marks it, and
 * the words of every marked chunk are scanned in turn.  What stays
 * unmarked cannot be reached by the program any more: leaked.
 *
 * The roots:
 *  - every thread's registers (cr_thread_regs: a pointer held only in a
 *    register, or in a local the compiler kept in one);
 *  - every thread's stack from its stack pointer up to the end of the
 *    region it lies in; below it is dead frames (stale pointers there would
 *    hide leaks), except the 128-byte red zone of x86-64 (System V ABI
 *    3.2.2), where a leaf function keeps live locals without moving sp;
 *  - every writable captured region outside the heap: module .data/.bss,
 *    TLS, anonymous mappings, other allocators' memory (Python's obmalloc
 *    arenas hold the pointers to most of its object buffers); regions of
 *    unknown protection count (a minidump without MemoryInfoList);
 *  - the bytes of the heap's ranges no chunk of the walk covers: the
 *    arenas' headers, and the rest of a heap the walk could not finish
 *    (so that an incomplete walk cannot make leaks of what that rest
 *    points to).
 *
 * A word refers to a chunk when it points anywhere into its user bytes,
 * not only at their start: C++ objects are referenced through base-class
 * subobjects, intrusive lists point at the list node inside the struct,
 * std::string and arena allocators keep pointers into the middle of a
 * buffer.  (Except its last word, where the next chunk starts: see
 * refers.)  Counting only exact pointers would call all of those leaked;
 * counting interior pointers may keep a few leaks alive by a stray integer
 * (a false negative), the right way to err for a finding.
 *
 * Speed and memory (tens of millions of chunks): words are rejected by one
 * compare against the heap's bounds; a word inside goes through a page
 * index (for each 4 KiB page of each heap range, the first chunk that may
 * hold it; then a binary search between it and the next page's) to its
 * chunk.  Marks are a bit set; a second one flags the marked chunks not
 * yet scanned, and sweeps scan them in address order, so that the dump is
 * read front to back rather than in the random order of a depth-first
 * walk (tests/bench/bench_heap.sh).  What a scan reaches
 * behind the sweep goes on a bounded work stack (no recursion, no
 * unbounded growth; when it is full, to another sweep).
 * Memory is copied from the dump a window of 1 MiB at a time
 * (cr_dump_read: pread() from the file), in address order: on a virtual
 * machine the first touch of each page of the dump's mapping is a fault
 * even when the page is in the page cache (the benchmark's 2 GB heap:
 * 2 s of faults through the mapping).  Only a chunk from the work stack,
 * out of order, is read in place; the pages that mapped are dropped at
 * the end (cr_dump_trim).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "leaks.h"
#include "pass.h"
#include "util.h"

#define PAGE_SHIFT 12
/* x86-64 System V: the red zone below sp a leaf function may use. */
#define RED_ZONE_X86_64 128
/* Work stack entries: a sixteenth of the chunks (two bits a chunk),
 * within these bounds. */
#define STACK_MIN 256u
#define STACK_MAX (1u << 20)
/* Chunks behind the sweep one chunk's scan puts on the work stack; what
 * more it reaches waits for the next sweep (mark_chunk). */
#define FANOUT 64u
/* The chunk index is 32 bits (the page index's entries). */
#define MAX_CHUNKS UINT32_MAX
/* The granule filter: 64 KiB granules the heap's ranges touch, at most
 * this many (4 Mi granules: 256 GiB of heap; more and the filter is left
 * out, the page index alone answers). */
#define GRANULE_SHIFT 16
#define MAX_GRANULES (1u << 22)
/* chunk_of looks this many chunks on from the last one it found before
 * it searches the index. */
#define NEAR 8u
/* The bytes the scan copies from the dump at a time. */
#define WINDOW (1u << 18)

/* A span of memory: one not to scan as a root, or a gap of the heap. */
struct span {
	uint64_t start, end;
};

struct mark {
	const struct cr_dump *d;
	const struct cr_heap *h;
	unsigned word;
	bool big_endian;
	bool avx2;		/* skip_to_candidate may run */
	uint64_t lo, hi;	/* the heap's bounds: [first range, last) */
	/* The granules the ranges touch, a hash set (keys + 1, 0 empty) of
	 * 1 << gbits slots; gbits 0: no filter. */
	uint64_t *granules;
	unsigned gbits;
	size_t *range_page;	/* nranges + 1: each range's first entry */
	uint32_t *pages;	/* per page, + one sentinel per range */
	uint64_t *marked;	/* bit i: chunk i reached */
	uint64_t *pending;	/* marked while the stack was full */
	bool sweeping;		/* the roots are done */
	size_t cursor;		/* the chunk the sweep is at */
	bool again;		/* a chunk behind it was left pending */
	unsigned sweeps;
	uint32_t *stack;
	size_t nstack, cap;
	unsigned pushed;	/* by the chunk being scanned */
	size_t last_found;	/* by chunk_of */
	/* The dump's bytes [win_lo, win_hi) copied into win (WINDOW bytes). */
	uint8_t *win;
	uint64_t win_lo, win_hi;
	uint64_t roots_bytes;
	struct cr_leaks_missing missing;
	/* The parts of the heap's ranges no chunk covers (build_index). */
	struct span *gaps;
	size_t ngaps, gaps_cap;
};

/* Where chunk C's user bytes end: a chunk in an arena also owns the next
 * chunk's prev_size field while in use (glibc's usable size is size -
 * one word); an mmapped chunk has a whole header of its own.  Clamped:
 * the sizes are from the dump. */
static uint64_t user_end(const struct cr_heap_chunk *c, unsigned word)
{
	uint64_t size = cr_chunk_size(c);
	uint64_t hdr = cr_chunk_state(c) == CR_CHUNK_MMAPPED ? 2 * word : word;
	uint64_t end;
	if (size <= hdr)
		return c->addr;
	if (__builtin_add_overflow(c->addr, size - hdr, &end))
		return UINT64_MAX;
	return end;
}

/*
 * Whether V, at or above chunk C's start, refers to C: V lies in its user
 * bytes but their last word.  The last word of an arena chunk in use is
 * the next chunk's prev_size field, where the next chunk starts: glibc's
 * bins and free chunks point there (at the header of a free chunk, mem -
 * 2 words), and those pointers must not keep the chunk before alive.  The
 * user bytes of an arena chunk are size - one word (it owns the next
 * chunk's prev_size while in use), of an mmapped chunk size - two words
 * (a whole header of its own), so both refer up to size - 2 words: one
 * compare, no overflow (V - addr is no more than the chunk's size).
 */
static inline bool refers(const struct cr_heap_chunk *c, uint64_t v,
			  unsigned word)
{
	uint64_t size = cr_chunk_size(c);
	return size > 2u * word && v - c->addr < size - 2u * word;
}

static inline size_t granule_slot(const struct mark *m, uint64_t g)
{
	return (size_t)((g * 0x9e3779b97f4a7c15ull) >> (64 - m->gbits));
}

/*
 * V may be a heap address: in the heap's bounds and, with the filter, in
 * a granule one of its ranges touches.  The bounds alone pass most
 * pointers of a process whose mmapped chunks lie far above its brk heap
 * (everything between, python's object arenas included); the filter turns
 * those away in a probe or two instead of a search of the ranges (on a
 * python core: 13.6 M words, 584 M instructions in chunk_of).
 */
static inline bool maybe_heap(const struct mark *m, uint64_t v)
{
	if (!m->gbits)
		return true;
	uint64_t key = (v >> GRANULE_SHIFT) + 1;
	size_t mask = ((size_t)1 << m->gbits) - 1;
	for (size_t i = granule_slot(m, key);; i = (i + 1) & mask) {
		if (m->granules[i] == key)
			return true;
		if (!m->granules[i])
			return false;
	}
}

/* Fill the granule filter; without it (too many granules, no memory)
 * every word in the bounds goes to chunk_of, as before. */
static void build_granules(struct mark *m)
{
	const struct cr_heap *h = m->h;
	uint64_t n = 0;
	for (size_t r = 0; r < h->nranges; r++) {
		if (h->ranges[r].end <= h->ranges[r].start)
			continue;
		n += ((h->ranges[r].end - 1) >> GRANULE_SHIFT) -
		     (h->ranges[r].start >> GRANULE_SHIFT) + 1;
		if (n > MAX_GRANULES)
			return;
	}
	unsigned bits = 4;
	while (((uint64_t)1 << bits) < 2 * n)
		bits++;
	m->granules = calloc((size_t)1 << bits, sizeof(*m->granules));
	if (!m->granules)
		return;
	m->gbits = bits;
	size_t mask = ((size_t)1 << bits) - 1;
	for (size_t r = 0; r < h->nranges; r++) {
		if (h->ranges[r].end <= h->ranges[r].start)
			continue;
		uint64_t last = ((h->ranges[r].end - 1) >> GRANULE_SHIFT) + 1;
		for (uint64_t key = (h->ranges[r].start >> GRANULE_SHIFT) + 1;
		     key <= last; key++) {
			size_t i = granule_slot(m, key);
			while (m->granules[i] && m->granules[i] != key)
				i = (i + 1) & mask;
			m->granules[i] = key;
		}
	}
}

/* The chunk that may hold V by the page index (chunk_of's search), or -1:
 * the last chunk starting at or below V. */
static __attribute__((noinline)) ssize_t chunk_search(struct mark *m,
						       uint64_t v)
{
	const struct cr_heap *h = m->h;
	size_t lo = 0, hi = h->nranges;
	while (hi - lo > 1) {	/* the last range starting at or below v */
		size_t mid = lo + (hi - lo) / 2;
		if (h->ranges[mid].start <= v)
			lo = mid;
		else
			hi = mid;
	}
	if (v < h->ranges[lo].start || v >= h->ranges[lo].end)
		return -1;
	size_t p = m->range_page[lo] + ((v - h->ranges[lo].start) >> PAGE_SHIFT);
	size_t a = m->pages[p], b = m->pages[p + 1];
	if (b >= h->nchunks)
		b = h->nchunks - 1;
	if (a > b)
		return -1;
	/* The last chunk in [a, b] starting at or below v. */
	if (h->chunks[a].addr > v)
		return -1;
	while (a < b) {
		size_t mid = a + (b - a + 1) / 2;
		if (h->chunks[mid].addr <= v)
			a = mid;
		else
			b = mid - 1;
	}
	return (ssize_t)a;
}

/*
 * The in-use (or allocator-internal) chunk whose user bytes hold V, or
 * -1.  Free chunks are not referenced: a pointer into one is stale.
 * Chunks are sorted and do not overlap: only the last one starting at or
 * below V can hold it.  That one is looked for first among the NEAR
 * chunks from the one found last: pointers often come in address order
 * (an array of allocations made one after another, a list built in
 * order) or point a few allocations on from the last one (the next
 * element's link in an object made after it); then by the page index.
 * Inline: it runs for every word that passes the heap's bounds (on
 * tests/bench/bench_heap.sh's heap a search took 130 instructions a
 * pointer, this path about 25).
 */
static inline __attribute__((always_inline)) ssize_t
chunk_of(struct mark *m, uint64_t v)
{
	const struct cr_heap *h = m->h;
	const struct cr_heap_chunk *chunks = h->chunks;
	size_t k = m->last_found, n = h->nchunks;
	ssize_t found = -1;
	if (k < n && chunks[k].addr <= v) {
		size_t stop = n - k > NEAR ? k + NEAR : n;
		while (k + 1 < stop && chunks[k + 1].addr <= v)
			k++;
		if (k + 1 == n || chunks[k + 1].addr > v)
			found = (ssize_t)k;
	}
	if (found < 0 && (found = chunk_search(m, v)) < 0)
		return -1;
	const struct cr_heap_chunk *c = &chunks[found];
	m->last_found = (size_t)found;
	if (!refers(c, v, m->word) || cr_chunk_state(c) == CR_CHUNK_FREE)
		return -1;
	return found;
}

/*
 * Mark chunk I reached.  Before the sweeps (the roots) and ahead of the
 * sweep's cursor it is only flagged pending: the sweep comes to it in
 * address order, which reads the dump front to back.  Behind the cursor
 * it goes on the work stack (a list linked backwards would otherwise take
 * a sweep per node), or, when the stack is full, is flagged pending for
 * another sweep.
 */
static inline __attribute__((always_inline)) void
mark_chunk(struct mark *m, size_t i)
{
	uint64_t bit = 1ull << (i % 64);
	if (m->marked[i / 64] & bit)
		return;
	m->marked[i / 64] |= bit;
	if (m->sweeping && i <= m->cursor && m->nstack < m->cap &&
	    m->pushed < FANOUT) {
		m->stack[m->nstack++] = (uint32_t)i;
		m->pushed++;
		return;
	}
	m->pending[i / 64] |= bit;
	if (m->sweeping && i <= m->cursor)
		m->again = true;
}

static inline uint64_t load_word(const struct mark *m, const uint8_t *p)
{
	if (m->word == 8 && !m->big_endian) {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < m->word; i++) {
		unsigned shift = m->big_endian ? 8 * (m->word - 1 - i) : 8 * i;
		v |= (uint64_t)p[i] << shift;
	}
	return v;
}

/* The granule of the last word that passed the heap's bounds, and
 * whether it is the heap's: pointers come in runs into one object area. */
struct granule_memo {
	uint64_t g;
	bool in;
};

/* Mark what V, a word within the heap's bounds, points to. */
static inline __attribute__((always_inline)) void
scan_value(struct mark *m, uint64_t v, struct granule_memo *memo)
{
	if (v >> GRANULE_SHIFT != memo->g) {
		memo->g = v >> GRANULE_SHIFT;
		memo->in = maybe_heap(m, v);
	}
	if (!memo->in)
		return;
	ssize_t c = chunk_of(m, v);
	if (c >= 0)
		mark_chunk(m, (size_t)c);
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

/*
 * The first 32-byte block from P on (P + 32k, below END - 31) that holds
 * a word in [LO, LO + SPAN), else the first block past the last whole
 * one: 4 words a compare, 8 a branch (AVX2), where the scalar test takes 4
 * instructions a word and most words (data, zeros, sizes) are no heap
 * address.  AVX2 has no unsigned compare: x < span unsigned is (x ^ 2^63)
 * < (span ^ 2^63) signed, and (v - lo) ^ 2^63 = v - (lo ^ 2^63).
 */
__attribute__((target("avx2"))) static const uint8_t *
skip_to_candidate(const uint8_t *p, const uint8_t *end, uint64_t lo,
		  uint64_t span)
{
	const uint64_t sign = 1ull << 63;
	const __m256i vlo = _mm256_set1_epi64x((long long)(lo ^ sign));
	const __m256i vspan = _mm256_set1_epi64x((long long)(span ^ sign));
	for (; end - p >= 64; p += 64) {
		__m256i a = _mm256_loadu_si256((const __m256i *)p);
		__m256i b = _mm256_loadu_si256((const __m256i *)(p + 32));
		__m256i ma = _mm256_cmpgt_epi64(vspan, _mm256_sub_epi64(a, vlo));
		__m256i mb = _mm256_cmpgt_epi64(vspan, _mm256_sub_epi64(b, vlo));
		if (!_mm256_testz_si256(ma, ma))
			return p;
		if (!_mm256_testz_si256(mb, mb))
			return p + 32;
	}
	return p;
}

/*
 * Whether the CPU has AVX2 and the kernel saves the YMM registers, asked
 * here, when a heap is marked: __builtin_cpu_supports would link libgcc's
 * __cpu_indicator_init, a constructor that runs some twenty CPUID
 * instructions at every start, and in a virtual machine each one exits to
 * the hypervisor (0.17 ms a run on this project's VM, where analyzing a
 * small core takes 8 ms; tests/bench/README.md).  CORONER_NO_AVX2 in the
 * environment forces the scalar scan (for its tests: tests/leaks.cmake
 * runs unit.leaks both ways).
 */
bool cr_leaks_block_filter(void)
{
	const char *e = getenv("CORONER_NO_AVX2");
	if (e && e[0])
		return false;
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE) || !(c & bit_AVX))
		return false;
	unsigned xcr0_lo, xcr0_hi;
	__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	if ((xcr0_lo & 6) != 6)	/* XMM and YMM state enabled */
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_AVX2);
}
#else
static const uint8_t *skip_to_candidate(const uint8_t *p, const uint8_t *end,
					uint64_t lo, uint64_t span)
{
	(void)end, (void)lo, (void)span;
	return p;
}

bool cr_leaks_block_filter(void)
{
	return false;
}
#endif

/*
 * Mark what the words of [P, END) point to.  NATIVE (a constant at each
 * call: the function is inlined twice) reads 8-byte little-endian words
 * with one load, four at a time with one branch for the four (most words
 * are no heap address: 3 instructions a word instead of 8), and with
 * AVX2 skips the blocks without a candidate eight words at a time.
 * Locals, not m's fields, in the loop: mark_chunk writes through m, so
 * the compiler would reload them for every word.
 */
static inline __attribute__((always_inline)) void
scan_words(struct mark *m, const uint8_t *p, const uint8_t *end,
	   const bool native)
{
	const uint64_t lo = m->lo, span = m->hi - m->lo;
	const unsigned w = native ? 8 : m->word;
	const bool simd = native && m->avx2;
	struct granule_memo memo = { UINT64_MAX, false };
	while (native && end - p >= 32) {
		if (simd) {
			p = skip_to_candidate(p, end, lo, span);
			if (end - p < 32)
				break;
		}
		uint64_t v[4];
		memcpy(v, p, 32);
		p += 32;
		if (((v[0] - lo < span) | (v[1] - lo < span) |
		     (v[2] - lo < span) | (v[3] - lo < span)) == 0)
			continue;
		for (unsigned k = 0; k < 4; k++)
			if (v[k] - lo < span)
				scan_value(m, v[k], &memo);
	}
	for (; p < end; p += w) {
		uint64_t v;
		if (native)
			memcpy(&v, p, 8);
		else
			v = load_word(m, p);
		if (v - lo >= span)	/* the common case: not a heap address */
			continue;
		scan_value(m, v, &memo);
	}
}

/* Mark what the aligned words of P[0..LEN) (at address ADDR) point to. */
static void scan_bytes(struct mark *m, const uint8_t *p, size_t len,
		       uint64_t addr)
{
	/* word is 4 or 8: masks, not divisions (two a chunk). */
	size_t skip = (size_t)(-addr & (m->word - 1));
	if (skip >= len)
		return;
	p += skip;
	len -= skip;
	const uint8_t *end = p + (len & ~(size_t)(m->word - 1));
	if (m->word == 8 && !m->big_endian)
		scan_words(m, p, end, true);
	else
		scan_words(m, p, end, false);
}


/* Scan the captured bytes of [START, END), copied through the window
 * (which is then empty); what the dump lacks is skipped.  Returns the
 * bytes scanned. */
static uint64_t scan_span(struct mark *m, uint64_t start, uint64_t end)
{
	const struct cr_dump *d = m->d;
	uint64_t done = 0;
	m->win_lo = m->win_hi = 0;
	for (size_t i = cr_dump_seg_from(d, start); i < d->nsegs && start < end; i++) {
		const struct cr_memseg *s = &d->segs[i];
		if (s->start >= end)
			break;
		uint64_t a = start > s->start ? start : s->start;
		uint64_t b = s->start + s->size < end ? s->start + s->size : end;
		for (uint64_t at = a; at < b;) {
			size_t want = b - at < WINDOW ? (size_t)(b - at) : WINDOW;
			size_t got = cr_dump_read(d, at, m->win, want);
			if (!got)
				break;	/* the file shrank under the segment */
			scan_bytes(m, m->win, got, at);
			at += got;
		}
		done += b - a;
		start = b;
	}
	return done;
}

/*
 * Scan chunk I's user bytes (it is marked).  IN_ORDER: the sweep's chunk,
 * after the one before in address order: from the window, refilled from
 * this chunk on when it is not there (each sweep reads the heap once,
 * front to back, copied rather than through the mapping: see the top of
 * the file).  A chunk from the work stack is anywhere: read in place.
 */
static void scan_run(struct mark *m, uint64_t start, uint64_t end,
		     bool in_order)
{
	m->pushed = 0;
	if (start >= end)
		return;
	if (start >= m->win_lo && end <= m->win_hi) {
		scan_bytes(m, m->win + (start - m->win_lo),
			   (size_t)(end - start), start);
		return;
	}
	if (end - start <= WINDOW && in_order) {
		m->win_lo = start;
		m->win_hi = start + cr_dump_read(m->d, start, m->win, WINDOW);
		if (end <= m->win_hi) {
			scan_bytes(m, m->win, (size_t)(end - start), start);
			return;
		}
	}
	const uint8_t *p = end - start <= WINDOW
		? cr_dump_ptr(m->d, start, (size_t)(end - start)) : NULL;
	if (p)
		scan_bytes(m, p, (size_t)(end - start), start);
	else
		scan_span(m, start, end);
}

static void scan_chunk(struct mark *m, size_t i, bool in_order)
{
	const struct cr_heap_chunk *c = &m->h->chunks[i];
	scan_run(m, c->addr, user_end(c, m->word), in_order);
}

/*
 * The last chunk of the run of pending chunks from chunk I on that lie
 * next to each other in one heap (their pending bits cleared), within
 * WINDOW bytes: the sweep scans such a run at once, rather than chunk by
 * chunk (a tenth of the scan's instructions went to the per-chunk calls
 * on tests/bench/bench_heap.sh's heap of 200-byte chunks).  The run's
 * bytes include the size fields between its chunks: a chunk's size is
 * no pointer into a heap that lies above 64 KiB.
 */
static size_t pending_run(struct mark *m, size_t i)
{
	const struct cr_heap *h = m->h;
	const struct cr_heap_chunk *c = &h->chunks[i];
	const uint64_t start = c->addr;
	while (i + 1 < h->nchunks && cr_chunk_state(c) != CR_CHUNK_MMAPPED) {
		const struct cr_heap_chunk *n = c + 1;
		uint64_t bit = 1ull << ((i + 1) % 64);
		if (!(m->pending[(i + 1) / 64] & bit) ||
		    cr_chunk_state(n) == CR_CHUNK_MMAPPED ||
		    n->addr != c->addr + cr_chunk_size(c) ||
		    user_end(n, m->word) - start > WINDOW)
			break;
		m->pending[(i + 1) / 64] &= ~bit;
		c = n;
		i++;
	}
	return i;
}

/* Scan the marked chunks until nothing new is marked: sweeps in address
 * order over the pending ones, each scan followed by the work stack. */
static void drain(struct mark *m)
{
	size_t nwords = (m->h->nchunks + 63) / 64;
	m->sweeping = true;
	do {
		m->again = false;
		m->sweeps++;
		for (size_t w = 0; w < nwords; w++) {
			while (m->pending[w]) {
				unsigned b = (unsigned)__builtin_ctzll(m->pending[w]);
				m->pending[w] &= m->pending[w] - 1;
				size_t first = w * 64 + b;
				m->cursor = pending_run(m, first);
				scan_run(m, m->h->chunks[first].addr,
					 user_end(&m->h->chunks[m->cursor],
						  m->word), true);
				while (m->nstack)
					scan_chunk(m, m->stack[--m->nstack],
						   false);
			}
		}
	} while (m->again);
}

/* The first chunk whose user bytes end above START (chunks are sorted
 * by address and do not overlap: at most the one before the first chunk
 * starting at or above START). */
static size_t first_chunk(const struct mark *m, uint64_t start)
{
	const struct cr_heap *h = m->h;
	size_t lo = 0, hi = h->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->chunks[mid].addr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && user_end(&h->chunks[lo - 1], m->word) > start)
		lo--;
	return lo;
}

static bool add_gap(struct mark *m, uint64_t start, uint64_t end)
{
	if (!CR_GROW(m->gaps, m->gaps_cap, m->ngaps + 1))
		return false;
	m->gaps[m->ngaps++] = (struct span){ start, end };
	return true;
}

/* Chunk C, the next in address order within a range that ends at END:
 * the gap before its header, if any, and COVERED moved past its user
 * bytes.  False when out of memory. */
static inline __attribute__((always_inline)) bool
note_gap(struct mark *m, const struct cr_heap_chunk *c,
		     uint64_t *covered, uint64_t end)
{
	if (*covered >= end)
		return true;
	/* The chunk's header belongs to it: the gap ends there. */
	uint64_t cstart = c->addr >= 2 * m->word ? c->addr - 2 * m->word : 0;
	if (cstart > *covered && !add_gap(m, *covered, cstart))
		return false;
	uint64_t ue = user_end(c, m->word);
	if (ue > *covered)
		*covered = ue;
	return true;
}

/*
 * The page index: for page p of range r (range_page[r] + p), the first
 * chunk whose user bytes end above the page's start; after each range's
 * pages one more entry, the first chunk past the range.  A chunk holding
 * an address of page p is then between pages[p] and pages[p + 1].
 * False when out of memory or when the ranges span more pages than the
 * dump could hold (a lying heap: *TOO_BIG set).
 */
static bool build_index(struct mark *m, bool *too_big)
{
	const struct cr_heap *h = m->h;
	uint64_t limit = (m->d->file_size >> PAGE_SHIFT) + h->nchunks + 1024;
	uint64_t total = 0;
	*too_big = false;
	m->range_page = malloc((h->nranges + 1) * sizeof(*m->range_page));
	if (!m->range_page)
		return false;
	for (size_t r = 0; r < h->nranges; r++) {
		uint64_t len = h->ranges[r].end > h->ranges[r].start
			? h->ranges[r].end - h->ranges[r].start : 0;
		m->range_page[r] = (size_t)total;
		total += ((len + (1u << PAGE_SHIFT) - 1) >> PAGE_SHIFT) + 1;
		if (total > limit) {
			*too_big = true;
			return false;
		}
	}
	m->range_page[h->nranges] = (size_t)total;
	m->pages = malloc((size_t)total * sizeof(*m->pages));
	if (!m->pages)
		return false;
	for (size_t r = 0; r < h->nranges; r++) {
		size_t i;
		uint64_t start = h->ranges[r].start, end = h->ranges[r].end;
		uint64_t covered = start;	/* the gaps: up to here, none */
		size_t first = m->range_page[r];
		size_t n = m->range_page[r + 1] - first - 1;
		i = first_chunk(m, start);
		for (size_t p = 0; p <= n; p++) {
			uint64_t at = start + ((uint64_t)p << PAGE_SHIFT);
			if (p == n)
				at = end;
			for (; i < h->nchunks &&
			       user_end(&h->chunks[i], m->word) <= at; i++)
				if (!note_gap(m, &h->chunks[i], &covered, end))
					return false;
			m->pages[first + p] = (uint32_t)i;
		}
		/* A chunk that runs past the range's end. */
		for (size_t k = i; k < h->nchunks && covered < end; k++) {
			const struct cr_heap_chunk *c = &h->chunks[k];
			if ((c->addr >= 2 * m->word ? c->addr - 2 * m->word : 0) >= end)
				break;
			if (!note_gap(m, c, &covered, end))
				return false;
		}
		if (covered < end && !add_gap(m, covered, end))
			return false;
	}
	m->lo = h->ranges[0].start;
	m->hi = h->ranges[h->nranges - 1].end;
	if (m->hi < m->lo)
		m->hi = m->lo;
	build_granules(m);
	return true;
}

static int span_order(const void *x, const void *y)
{
	const struct span *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Scan [START, END) minus the sorted spans EX[0..N). */
static void scan_except(struct mark *m, uint64_t start, uint64_t end,
			const struct span *ex, size_t n)
{
	for (size_t k = 0; k < n && start < end; k++) {
		if (ex[k].end <= start)
			continue;
		if (ex[k].start >= end)
			break;
		if (ex[k].start > start)
			m->roots_bytes += scan_span(m, start, ex[k].start);
		if (ex[k].end > start)
			start = ex[k].end;
	}
	if (start < end)
		m->roots_bytes += scan_span(m, start, end);
}

/* The bytes of [START, END) the dump holds. */
static uint64_t captured_in(const struct cr_dump *d, uint64_t start,
			    uint64_t end)
{
	uint64_t n = 0;
	for (size_t i = cr_dump_seg_from(d, start); i < d->nsegs; i++) {
		const struct cr_memseg *s = &d->segs[i];
		if (s->start >= end)
			break;
		uint64_t a = start > s->start ? start : s->start;
		uint64_t b = s->start + s->size < end ? s->start + s->size : end;
		if (a < b)
			n += b - a;
	}
	return n;
}

/*
 * The writable memory the roots should have come from but the dump lacks
 * (MADV_DONTDUMP, a core cut short): bytes of writable regions that are
 * neither a stack nor the heap (EX[0..N), sorted) and were not captured.
 * What only they point to looks leaked.
 */
static void count_uncaptured(struct mark *m, const struct span *ex, size_t n)
{
	const struct cr_dump *d = m->d;
	for (size_t r = 0; r < d->nregions; r++) {
		const struct cr_region *reg = &d->regions[r];
		if (!reg->prot_known || !(reg->prot & CR_PROT_W) ||
		    reg->end <= reg->start)
			continue;
		bool other = false;	/* a stack's or the heap's */
		for (size_t k = 0; k < n && ex[k].start < reg->end && !other; k++)
			other = ex[k].end > reg->start;
		if (!other)
			m->missing.writable_bytes += reg->end - reg->start -
				captured_in(d, reg->start, reg->end);
	}
}

/*
 * The roots but the heap's gaps: registers, stacks from sp up, writable
 * memory outside the heap.  EX gets the spans left out of the last (the
 * heap's ranges and the dead part of every stack).  False when out of
 * memory.
 */
static bool scan_roots(struct mark *m)
{
	const struct cr_dump *d = m->d;
	const struct cr_heap *h = m->h;
	size_t n = h->nranges + d->nthreads;
	struct span *ex = malloc((n ? n : 1) * sizeof(*ex));
	if (!ex)
		return false;
	size_t nex = 0;
	for (size_t r = 0; r < h->nranges; r++)
		ex[nex++] = (struct span){ h->ranges[r].start, h->ranges[r].end };
	uint64_t red = d->process.arch == CR_ARCH_X86_64 ? RED_ZONE_X86_64 : 0;
	for (size_t t = 0; t < d->nthreads; t++) {
		const struct cr_thread *th = &d->threads[t];
		const struct cr_regs *regs = cr_thread_regs(d, th);
		for (unsigned k = 0; k < CR_MAX_REGS; k++) {
			uint64_t v;
			if (!cr_regs_get(regs, k, &v))
				continue;
			ssize_t c = v - m->lo < m->hi - m->lo ? chunk_of(m, v) : -1;
			if (c >= 0)
				mark_chunk(m, (size_t)c);
		}
		uint64_t sp, lo, hi;
		if (!cr_thread_sp(d, th, &sp)) {
			m->missing.stacks++;
			continue;
		}
		sp = sp > red ? sp - red : 0;
		const struct cr_region *reg = cr_dump_region_at(d, sp);
		size_t s = cr_dump_seg_from(d, sp);
		if (reg) {
			lo = reg->start;
			hi = reg->end;
		} else if (s < d->nsegs && d->segs[s].start <= sp) {
			lo = d->segs[s].start;
			hi = d->segs[s].start + d->segs[s].size;
		} else {
			m->missing.stacks++;	/* not in the dump */
			continue;
		}
		/* Left out of the writable memory below: the dead frames, and
		 * the live ones scanned here once. */
		ex[nex++] = (struct span){ lo, hi };
		uint64_t live = sp < hi
			? scan_span(m, sp < lo ? lo : sp, hi) : 0;
		/* A stack whose live part the dump lacks (a core cut short
		 * by ulimit -c loses the stacks first) is a missing root. */
		if (!live)
			m->missing.stacks++;
		m->roots_bytes += live;
	}
	qsort(ex, nex, sizeof(*ex), span_order);

	/* Writable memory, region by region (a captured byte outside every
	 * region counts: its protection is unknown). */
	for (size_t i = 0; i < d->nsegs; i++) {
		uint64_t a = d->segs[i].start, end = a + d->segs[i].size;
		while (a < end) {
			const struct cr_region *reg = cr_dump_region_at(d, a);
			size_t next = cr_dump_region_rank(d, a);
			uint64_t b = end;
			if (reg && reg->end < b)
				b = reg->end;
			else if (!reg && next < d->nregions &&
				 d->regions[next].start < b)
				b = d->regions[next].start;
			if (b <= a)
				break;	/* a lying region table */
			if (!reg || !reg->prot_known || (reg->prot & CR_PROT_W))
				scan_except(m, a, b, ex, nex);
			a = b;
		}
	}
	count_uncaptured(m, ex, nex);
	free(ex);
	return true;
}

/* The parts of the heap's ranges no chunk covers (found by build_index):
 * arena headers and what the walk did not reach. */
static void scan_heap_gaps(struct mark *m)
{
	for (size_t k = 0; k < m->ngaps; k++)
		m->roots_bytes += scan_span(m, m->gaps[k].start, m->gaps[k].end);
}

/* The leaked set from the marks: in use, not the allocator's own, not
 * marked.  Reuses the mark bits. */
static void collect(struct mark *m, struct cr_leaks *l)
{
	const struct cr_heap *h = m->h;
	size_t nwords = (h->nchunks + 63) / 64;
	/* Word by word over the unmarked chunks only: nine in ten chunks are
	 * usually marked, and reading a chunk's state is a load from the
	 * chunk array (16 bytes a chunk: a pass over it costs as much as a
	 * tenth of reading the heap). */
	for (size_t w = 0; w < nwords; w++) {
		uint64_t unmarked = ~m->marked[w], leaked = 0;
		if (w == nwords - 1 && h->nchunks % 64)
			unmarked &= (1ull << (h->nchunks % 64)) - 1;
		while (unmarked) {
			unsigned b = (unsigned)__builtin_ctzll(unmarked);
			unmarked &= unmarked - 1;
			const struct cr_heap_chunk *c = &h->chunks[w * 64 + b];
			if (cr_chunk_in_use(c)) {
				leaked |= 1ull << b;
				l->nleaked++;
				l->leaked_bytes += cr_chunk_size(c);
			}
		}
		m->marked[w] = leaked;
	}
	l->leaked = m->marked;
	m->marked = NULL;
}

static void mark_free(struct mark *m)
{
	free(m->range_page);
	free(m->pages);
	free(m->granules);
	free(m->gaps);
	free(m->marked);
	free(m->pending);
	free(m->stack);
	free(m->win);
}

void cr_leaks_free(void *leaks)
{
	struct cr_leaks *l = leaks;
	if (l)
		free(l->leaked);
	free(l);
}

const struct cr_leaks *cr_leaks_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "leaks");
}

/* Mark from the roots and fill L, and MISSING with the roots the dump
 * lacks.  False when out of memory. */
static bool find_leaks(struct cr_pass_ctx *ctx, const struct cr_heap *h,
		       struct cr_leaks *l)
{
	struct mark m = {
		.d = ctx->dump, .h = h,
		.word = h->word == 4 ? 4 : 8,
		.big_endian = ctx->dump->process.big_endian,
		.avx2 = cr_leaks_block_filter(),
	};
	size_t nwords = (h->nchunks + 63) / 64;
	m.cap = h->nchunks / 16;
	m.cap = m.cap < STACK_MIN ? STACK_MIN : m.cap > STACK_MAX ? STACK_MAX : m.cap;
	bool too_big = false, ok = false;
	m.marked = calloc(nwords, sizeof(uint64_t));
	m.pending = calloc(nwords, sizeof(uint64_t));
	m.stack = malloc(m.cap * sizeof(*m.stack));
	m.win = malloc(WINDOW);
	if (!m.marked || !m.pending || !m.stack || !m.win ||
	    !build_index(&m, &too_big)) {
		if (too_big) {
			cr_pass_problem(ctx, CR_AT(CR_SEVERITY_WARNING),
					"the heap's ranges span more memory than the dump holds: leaks not searched");
			ok = true;
		}
		goto out;
	}
	if (!scan_roots(&m))
		goto out;
	scan_heap_gaps(&m);
	drain(&m);
	cr_dump_trim(ctx->dump);
	collect(&m, l);
	l->roots_bytes = m.roots_bytes;
	l->missing = m.missing;
	l->done = true;
	ok = true;
out:
	mark_free(&m);
	return ok;
}

CR_PASS_RUN(run_leaks)
{
	const struct cr_heap *h = cr_heap_of(ctx->analysis);
	struct cr_leaks *l = calloc(1, sizeof(*l));
	if (!l)
		return &cr_enomem;
	if (h && h->walked && h->nchunks && h->nranges &&
	    cr_heap_all_wanted(ctx)) {
		if (h->nchunks >= MAX_CHUNKS) {
			cr_pass_problem(ctx, CR_AT(CR_SEVERITY_WARNING),
					"%zu heap chunks: more than the leak search handles",
					h->nchunks);
		} else if (!find_leaks(ctx, h, l) ||
			   (l->done && !cr_leaks_report(ctx, h, l))) {
			cr_leaks_free(l);
			return &cr_enomem;
		}
	}
	return cr_pass_keep(ctx, l, cr_leaks_free) ? NULL : &cr_enomem;
}
