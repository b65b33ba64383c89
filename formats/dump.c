/*
 * dump.c - the neutral dump model: construction, cleanup and queries.
 *
 * Readers build a struct cr_dump with cr_dump_new(), fill its arrays in any
 * order, note what they could not read with cr_dump_problem(), and call
 * cr_dump_finish() to sort the address tables.  After that the dump is
 * read-only and the queries below may be used.
 *
 * Memory reads are the hot path of the unwinder (millions of calls on a deep
 * stack): cr_dump_read() and friends binary-search the sorted segment table
 * and never allocate.  Segments that touch (one ends where the next starts)
 * are read across, so a read that spans two adjacent PT_LOADs succeeds.
 *
 * A dump file that shrinks while it is read (mapguard.c) keeps its segment
 * table; the reads stop at the file's new end instead (seg_avail), which
 * costs one test of a global counter until that happens.
 */
#include "dump.h"
#include "cursor.h"
#include "mapguard.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* cr_dump_read copies at least this many bytes with pread(). */
#define PREAD_MIN 16384u

/*
 * A new empty dump for the file PATH, with every "unknown" field set to its
 * unknown value (-1 ids and times).  NULL when out of memory.
 */
struct cr_dump *cr_dump_new(const char *path)
{
	struct cr_dump *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->path = strdup(path ? path : "(buffer)");
	if (!d->path) {
		free(d);
		return NULL;
	}
	d->process.pid = d->process.ppid = -1;
	d->process.uid = d->process.gid = -1;
	d->process.dump_time = -1;
	d->process.dump_time_nsec = -1;
	d->process.start_time = -1;
	d->event.tid = -1;
	d->event.sender_pid = d->event.sender_uid = -1;
	d->event.dump_tid = -1;
	return d;
}

/* Free a dump and everything it owns (see the ownership note in dump.h). */
void cr_dump_free(struct cr_dump *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nthreads; i++)
		free(d->threads[i].name);
	free(d->threads);
	for (size_t i = 0; i < d->nmodules; i++)
		cr_module_clear(&d->modules[i]);
	free(d->modules);
	for (size_t i = 0; i < d->nunloaded; i++)
		cr_module_clear(&d->unloaded[i]);
	free(d->unloaded);
	for (size_t i = 0; i < d->nhandles; i++) {
		free(d->handles[i].type);
		free(d->handles[i].name);
	}
	free(d->handles);
	for (size_t i = 0; i < d->nannotations; i++) {
		free(d->annotations[i].module);
		free(d->annotations[i].key);
		free(d->annotations[i].value);
	}
	free(d->annotations);
	for (size_t i = 0; i < d->nfacts; i++) {
		free(d->facts[i].name);
		free(d->facts[i].value);
	}
	free(d->facts);
	free(d->event.assertion);
	for (size_t i = 0; i < d->nregions; i++)
		free(d->regions[i].path);
	free(d->regions);
	free(d->segs);
	free(d->auxv);
	cr_problems_free(&d->problems);
	free(d->process.executable);
	free(d->process.command_line);
	free(d->process.os_version);
	free(d->process.cpu);
	free(d->format);
	free(d->producer);
	if (d->reader_free)
		d->reader_free(d->reader_state);
	cr_map_guard_remove(d->guard);
	if (d->map && !d->map_borrowed)
		munmap(d->map, d->map_len);
	free(d->path);
	free(d);
}

void cr_module_clear(struct cr_module *m)
{
	free(m->path);
	free(m->build_id);
	free(m->debug_file);
	free(m->debug_id);
	free(m->version);
	free(m->code_id);
	m->path = m->debug_file = m->debug_id = m->version = m->code_id = NULL;
	m->build_id = NULL;
	m->build_id_len = 0;
}

/* Room for one more element in *ARR of N elements of SIZE bytes (growing
 * at powers of two); false when out of memory. */
static bool grow(void **arr, size_t n, size_t size)
{
	if (n & (n - 1))
		return true;	/* not a power of two: room left */
	size_t cap = n ? n * 2 : 1, bytes;
	if (__builtin_mul_overflow(cap, size, &bytes))
		return false;
	void *p = realloc(*arr, bytes);
	if (!p)
		return false;
	*arr = p;
	return true;
}

/*
 * Append one fact.  The first one dropped past CR_MAX_FACTS is noted as a
 * problem, so the report says the list is cut; out of memory is noted as
 * such.
 */
void cr_dump_fact(struct cr_dump *d, const char *name, const char *fmt, ...)
{
	static const char dropped[] =
		"more facts than are kept; the rest are not listed";
	char *n = NULL, *v = NULL;
	if (d->nfacts >= CR_MAX_FACTS || !grow((void **)&d->facts, d->nfacts,
					       sizeof(*d->facts)))
		goto drop;
	va_list ap;
	va_start(ap, fmt);
	v = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	n = strdup(name ? name : "");
	if (!n || !v)
		goto drop;
	d->facts[d->nfacts++] = (struct cr_fact){ .name = n, .value = v };
	return;
drop:
	free(n);
	free(v);
	if (d->nfacts < CR_MAX_FACTS)
		cr_dump_oom(d, "facts (other facts of the dump)");
	else if (d->facts_dropped == 0)
		cr_dump_problem_at(d, CR_AT(CR_SEVERITY_INFO), "%s", dropped);
	d->facts_dropped++;
}

bool cr_dump_add_annotation(struct cr_dump *d, char *module, char *key,
			    char *value)
{
	if (!grow((void **)&d->annotations, d->nannotations,
		  sizeof(*d->annotations))) {
		free(module);
		free(key);
		free(value);
		return false;
	}
	d->annotations[d->nannotations++] = (struct cr_annotation){
		.module = module, .key = key, .value = value };
	return true;
}

/*
 * Append one problem.  Past CR_MAX_PROBLEMS (or when memory runs out) it
 * is only counted, so this never fails.
 */
static void dump_vproblem(struct cr_dump *d, const struct cr_diag_at *at,
			  const char *fmt, va_list ap)
{
	struct cr_diag_at where = *at;
	where.source = CR_SOURCE_READER;
	cr_problems_vadd(&d->problems, CR_MAX_PROBLEMS, &where,
			 d->reader ? d->reader : "dump", fmt, ap);
}

void cr_dump_problem(struct cr_dump *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dump_vproblem(d, CR_AT(CR_SEVERITY_WARNING), fmt, ap);
	va_end(ap);
}

void cr_dump_problem_at(struct cr_dump *d, const struct cr_diag_at *at,
			const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dump_vproblem(d, at, fmt, ap);
	va_end(ap);
}

void cr_dump_oom(struct cr_dump *d, const char *lost)
{
	cr_problems_oom(&d->problems, CR_SOURCE_READER,
			d->reader ? d->reader : "dump", lost);
}

static int cmp_seg(const void *a, const void *b)
{
	const struct cr_memseg *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	/* Longer first, so the one kept for a shared start is the larger. */
	return x->size > y->size ? -1 : x->size < y->size;
}

static int cmp_region(const void *a, const void *b)
{
	const struct cr_region *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

static int cmp_module(const void *a, const void *b)
{
	const struct cr_module *x = a, *y = b;
	if (x->base != y->base)
		return x->base < y->base ? -1 : 1;
	return 0;
}

/* The end of a segment, saturating (a reader never stores a wrapping one,
 * but a saturated end keeps the searches below correct anyway). */
static uint64_t seg_end(const struct cr_memseg *s)
{
	uint64_t end;
	if (cr_add_overflows(s->start, s->size, &end))
		return UINT64_MAX;
	return end;
}

/* Sort the segments and make them disjoint: a segment that starts inside an
 * earlier one is trimmed to start at its end, or dropped if nothing is left. */
static void finish_segs(struct cr_dump *d)
{
	if (d->nsegs == 0)
		return;
	qsort(d->segs, d->nsegs, sizeof(*d->segs), cmp_seg);
	size_t out = 0;
	for (size_t i = 0; i < d->nsegs; i++) {
		struct cr_memseg s = d->segs[i];
		if (s.size == 0)
			continue;
		if (out > 0) {
			uint64_t prev_end = seg_end(&d->segs[out - 1]);
			if (s.start < prev_end) {
				uint64_t end = seg_end(&s);
				if (end <= prev_end) {
					cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_WARNING, s.start),
							   "memory 0x%llx-0x%llx lies inside an earlier range; dropped",
							(unsigned long long)s.start,
							(unsigned long long)end);
					continue;
				}
				uint64_t cut = prev_end - s.start;
				cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_WARNING, s.start),
						   "memory 0x%llx-0x%llx overlaps an earlier range by 0x%llx bytes; trimmed",
						(unsigned long long)s.start,
						(unsigned long long)end,
						(unsigned long long)cut);
				s.start = prev_end;
				s.size -= cut;
				s.bytes += cut;
			}
		}
		d->segs[out++] = s;
	}
	d->nsegs = out;
}

/* The same for regions (which own their path). */
static void finish_regions(struct cr_dump *d)
{
	if (d->nregions == 0)
		return;
	qsort(d->regions, d->nregions, sizeof(*d->regions), cmp_region);
	size_t out = 0;
	for (size_t i = 0; i < d->nregions; i++) {
		struct cr_region r = d->regions[i];
		if (r.end <= r.start) {
			free(r.path);
			continue;
		}
		if (out > 0) {
			uint64_t prev_end = d->regions[out - 1].end;
			if (r.start < prev_end) {
				if (r.end <= prev_end) {
					cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_WARNING, r.start),
							   "region 0x%llx-0x%llx lies inside an earlier region; dropped",
							(unsigned long long)r.start,
							(unsigned long long)r.end);
					free(r.path);
					continue;
				}
				cr_dump_problem_at(d, CR_AT_ADDRESS(CR_SEVERITY_WARNING, r.start),
						   "region 0x%llx-0x%llx overlaps an earlier region; trimmed to start at 0x%llx",
						(unsigned long long)r.start,
						(unsigned long long)r.end,
						(unsigned long long)prev_end);
				if (r.path)
					r.file_offset += prev_end - r.start;
				r.start = prev_end;
			}
		}
		d->regions[out++] = r;
	}
	d->nregions = out;
}

/*
 * Sort segs, regions and modules by address and make segs and regions
 * disjoint, recording a problem for each range dropped or trimmed.  Safe to
 * call more than once.
 */
void cr_dump_finish(struct cr_dump *d)
{
	finish_segs(d);
	finish_regions(d);
	if (d->nmodules > 1)
		qsort(d->modules, d->nmodules, sizeof(*d->modules),
		      cmp_module);
}

bool cr_dump_check_file(struct cr_dump *d)
{
	if (!cr_map_guard_check(d->guard))
		return false;
	if (!d->shrink_noted) {
		d->shrink_noted = true;
		cr_dump_problem_at(d, CR_AT_OFFSET(CR_SEVERITY_ERROR, cr_map_guard_valid(d->guard)),
				   "the dump file shrank from %llu to %llu bytes while it was read; memory past the new end is taken as missing",
				(unsigned long long)d->file_size,
				(unsigned long long)cr_map_guard_valid(d->guard));
	}
	return true;
}

/* AVAIL bytes at P of a segment, cut where the file behind the mapping
 * now ends (after a SIGBUS, mapguard.c). */
static uint64_t clamp_shrunk(const struct cr_dump *d, const uint8_t *p,
			     uint64_t avail)
{
	const uint8_t *base = d->map;
	if (!d->guard || p < base || p >= base + d->map_len)
		return avail;	/* an owned buffer, not the file */
	size_t at = (size_t)(p - base), valid = cr_map_guard_valid(d->guard);
	if (at >= valid)
		return 0;
	return avail < valid - at ? avail : valid - at;
}

/* The bytes of segment S readable from offset OFF. */
static inline uint64_t seg_avail(const struct cr_dump *d,
				 const struct cr_memseg *s, uint64_t off)
{
	uint64_t avail = s->size - off;
	if (__builtin_expect(cr_map_faults != 0, 0))
		avail = clamp_shrunk(d, s->bytes + off, avail);
	return avail;
}

size_t cr_dump_seg_from(const struct cr_dump *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nsegs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct cr_memseg *s = &d->segs[mid];
		if (s->start + s->size <= addr)	/* segments do not wrap */
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the segment containing ADDR, or -1.  O(log nsegs). */
static ptrdiff_t seg_index(const struct cr_dump *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nsegs;
	/* Find the first segment whose start is > addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->segs[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	const struct cr_memseg *s = &d->segs[lo - 1];
	if (addr - s->start >= s->size)
		return -1;
	return (ptrdiff_t)(lo - 1);
}

/*
 * Copy N bytes at P of D's file mapping into OUT with pread() from the
 * file, when P is in the mapping and N is big enough to matter; false
 * when not done (the caller copies from the mapping).  On a virtual
 * machine every page of a mapping costs a fault the first time this
 * process touches it, even when the page is in the page cache: reading
 * the 2 GB heap of tests/bench/bench_heap.sh through the mapping took
 * 1.4 s, with pread() 0.27 s.  A short read (the file shrank) is left to
 * the mapping's copy, which the SIGBUS guard cuts.
 */
static bool copy_from_file(const struct cr_dump *d, const uint8_t *p,
			   void *out, size_t n, size_t pread_min)
{
	const uint8_t *base = d->map;
	int fd = cr_map_guard_fd(d->guard);
	if (n < pread_min || fd < 0 || !base || d->map_borrowed ||
	    p < base || (size_t)(p - base) > d->map_len - n)
		return false;
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (uint8_t *)out + done, n - done,
				  (off_t)(p - base + done));
		if (r <= 0)
			return false;
		done += (size_t)r;
	}
	return true;
}

/* cr_dump_read, copying from the file with pread() from PREAD_MIN bytes
 * on. */
static size_t read_at(const struct cr_dump *d, uint64_t addr, void *buf,
		      size_t len, size_t pread_min)
{
	ptrdiff_t i = seg_index(d, addr);
	if (i < 0)
		return 0;
	uint8_t *out = buf;
	size_t done = 0;
	while (done < len && (size_t)i < d->nsegs) {
		const struct cr_memseg *s = &d->segs[i];
		if (addr < s->start || addr - s->start >= s->size)
			break;	/* a gap before this segment */
		uint64_t off = addr - s->start;
		uint64_t avail = seg_avail(d, s, off);
		size_t n = len - done < avail ? len - done : (size_t)avail;
		sig_atomic_t faults = cr_map_faults;
		if (!copy_from_file(d, s->bytes + off, out + done, n, pread_min))
			memcpy(out + done, s->bytes + off, n);
		if (__builtin_expect(cr_map_faults != faults, 0)) {
			/* The file shrank during this copy: keep only what
			 * it still held. */
			avail = seg_avail(d, s, off);
			n = n < avail ? n : (size_t)avail;
		}
		done += n;
		if (n < s->size - off || cr_add_overflows(addr, n, &addr))
			break;	/* the end of the file, or of memory */
		i++;
	}
	return done;
}

size_t cr_dump_read(const struct cr_dump *d, uint64_t addr, void *buf,
		    size_t len)
{
	return read_at(d, addr, buf, len, PREAD_MIN);
}

/* Every size through pread(): a read through the mapping maps its page
 * and the kernel's fault-around the pages near it (64 KiB), which stay
 * in the process's RSS; a few hundred reads spread over a 2 GB heap
 * (the heap statistics' samples) added 54 MiB. */
size_t cr_dump_read_cold(const struct cr_dump *d, uint64_t addr, void *buf,
			 size_t len)
{
	return read_at(d, addr, buf, len, 1);
}

const uint8_t *cr_dump_ptr(const struct cr_dump *d, uint64_t addr, size_t len)
{
	ptrdiff_t i = seg_index(d, addr);
	if (i < 0)
		return NULL;
	const struct cr_memseg *s = &d->segs[i];
	uint64_t off = addr - s->start;
	if (len > seg_avail(d, s, off))
		return NULL;
	return s->bytes + off;
}

bool cr_dump_read_word(const struct cr_dump *d, uint64_t addr, uint64_t *out)
{
	unsigned size = d->process.pointer_size == 4 ? 4 : 8;
	uint8_t tmp[8];
	sig_atomic_t faults = cr_map_faults;
	const uint8_t *p = cr_dump_ptr(d, addr, size);
	if (!p) {
		if (cr_dump_read(d, addr, tmp, size) != size)
			return false;
		p = tmp;
	}
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		unsigned shift = d->process.big_endian ? 8 * (size - 1 - i)
						       : 8 * i;
		v |= (uint64_t)p[i] << shift;
	}
	/* The file shrank under this read: the word must still be in it. */
	if (__builtin_expect(cr_map_faults != faults, 0) && p != tmp &&
	    !cr_dump_ptr(d, addr, size))
		return false;
	*out = v;
	return true;
}

/*
 * Read a NUL-terminated string at ADDR.  Returns a new string of at most MAX
 * bytes (cut at MAX when no NUL comes first), or NULL when ADDR is not in the
 * dump, the bytes run out before a NUL, or memory runs out.
 */
char *cr_dump_read_string(const struct cr_dump *d, uint64_t addr, size_t max)
{
	size_t n = 0;
	/* Scan segment by segment without copying. */
	while (n < max) {
		uint64_t a;
		if (cr_add_overflows(addr, n, &a))
			return NULL;
		ptrdiff_t i = seg_index(d, a);
		if (i < 0)
			return NULL;
		const struct cr_memseg *s = &d->segs[i];
		uint64_t off = a - s->start;
		uint64_t avail = seg_avail(d, s, off);
		if (avail == 0)
			return NULL;	/* the file ends here now */
		size_t want = max - n < avail ? max - n : (size_t)avail;
		const uint8_t *nul = memchr(s->bytes + off, 0, want);
		if (nul) {
			n += (size_t)(nul - (s->bytes + off));
			break;
		}
		n += want;
	}
	char *str = malloc(n + 1);
	if (!str)
		return NULL;
	if (cr_dump_read(d, addr, str, n) != n) {
		free(str);
		return NULL;
	}
	str[n] = 0;
	return str;
}

void cr_dump_trim(const struct cr_dump *d)
{
	/* A read-only private file mapping: MADV_DONTNEED only drops the page
	 * table entries, never data (it would zero anonymous memory, hence
	 * not for borrowed buffers). */
	if (d->map && d->map_len && !d->map_borrowed)
		madvise(d->map, d->map_len, MADV_DONTNEED);
}

size_t cr_dump_region_rank(const struct cr_dump *d, uint64_t addr)
{
	size_t lo = 0, hi = d->nregions;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->regions[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct cr_region *cr_dump_region_at(const struct cr_dump *d,
					  uint64_t addr)
{
	size_t lo = cr_dump_region_rank(d, addr);
	if (lo == 0)
		return NULL;
	const struct cr_region *r = &d->regions[lo - 1];
	return addr < r->end ? r : NULL;
}

/*
 * The module whose [base, base+size) holds ADDR.  Modules are sorted by base
 * but may overlap (a minidump can list nested images), so after the binary
 * search this walks back over earlier modules; in practice one or two steps.
 */
const struct cr_module *cr_dump_module_at(const struct cr_dump *d,
					  uint64_t addr)
{
	size_t lo = 0, hi = d->nmodules;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->modules[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i > 0; i--) {
		const struct cr_module *m = &d->modules[i - 1];
		if (addr - m->base < m->size)
			return m;
		/* Modules are usually disjoint: stop after a short walk. */
		if (lo - i >= 8)
			break;
	}
	return NULL;
}

const struct cr_thread *cr_dump_thread_by_tid(const struct cr_dump *d,
					      int64_t tid)
{
	for (size_t i = 0; i < d->nthreads; i++)
		if (d->threads[i].tid == tid)
			return &d->threads[i];
	return NULL;
}

int cr_handle_order(const void *x, const void *y)
{
	const struct cr_handle *a = x, *b = y;
	return a->value < b->value ? -1 : a->value > b->value;
}

const struct cr_handle *cr_dump_handle(const struct cr_dump *d,
				       uint64_t value)
{
	struct cr_handle key = { .value = value };

	if (!d->nhandles)
		return NULL;
	return bsearch(&key, d->handles, d->nhandles, sizeof(*d->handles),
		       cr_handle_order);
}
