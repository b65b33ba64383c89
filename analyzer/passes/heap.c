/*
 * heap.c - pass "heap": which allocator the process used, and its heap
 * walked chunk by chunk (glibc malloc: heap_glibc.c), kept as "heap"
 * (struct cr_heap, heap.h) for the leaks and statistics passes.
 *
 * The allocator is recognised by the modules the process loaded and the
 * symbols its executable exports, in the order of the table below: a
 * program linked with jemalloc, tcmalloc or mimalloc still loads libc.so.6,
 * so glibc's malloc is the answer only when no other allocator is there.
 * Another allocator is stated (an information finding, heap-not-walked)
 * rather than walked wrongly.  A Windows dump's NT heap is recognised and
 * not walked (no finding: it is the normal case there, and the statistics
 * pass says so in its section).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"
#include "heap_glibc.h"
#include "passes.h"
#include "util.h"

/*
 * Allocators other than glibc's: by a module's file name (prefix) or a
 * symbol of the main executable (statically linked: jemalloc's je_
 * prefix, gperftools' tc_ entry points, mimalloc's mi_).
 */
static const struct {
	enum cr_heap_allocator allocator;
	const char *name;
	const char *module;	/* file-name prefix */
	const char *symbol;	/* in the main executable */
} allocators[] = {
	{ CR_HEAP_JEMALLOC, "jemalloc", "libjemalloc.so", "je_malloc" },
	{ CR_HEAP_TCMALLOC, "tcmalloc", "libtcmalloc", "tc_malloc" },
	{ CR_HEAP_MIMALLOC, "mimalloc", "libmimalloc", "mi_malloc" },
};

/* File names of glibc's libc (libc.so.6; libc-2.x.so before 2.34). */
static const char *const libc_names[] = { "libc.so.6", "libc-2." };

/*
 * Functions of glibc's malloc on a crashing stack that make the heap worth
 * walking for a crash: the crash happened inside the allocator, the
 * classic sign of a corrupt heap (a C++ operator new or delete reaches
 * them too).  The signature pass adds its own entries (the C++ operators,
 * the Windows heap) over this table (cr_heap_allocator_function).
 */
static const char *const allocator_functions[] = {
	"malloc", "free", "realloc", "calloc", "cfree", "memalign",
	"posix_memalign", "aligned_alloc", "valloc", "pvalloc",
	"__libc_malloc", "__libc_free", "__libc_realloc", "__libc_calloc",
	"__libc_memalign", "_int_malloc", "_int_free", "_int_realloc",
	"_int_memalign", "malloc_consolidate", "malloc_printerr",
	"unlink_chunk", "sysmalloc", "systrim", "munmap_chunk",
	"mremap_chunk", "tcache_init", "tcache_get", "tcache_put",
	"_int_free_merge_chunk", "_int_free_create_chunk",
	"_int_free_maybe_consolidate", "arena_get2", "heap_trim",
};

/* Crash classes whose dump is about memory (crash.c's ids). */
static const char *const memory_crash_ids[] = { "out-of-memory" };
/* ... and whose dump is about the heap's integrity. */
static const char *const heap_crash_ids[] = { "heap-corruption" };

static bool id_in(const char *id, const char *const *ids, size_t n)
{
	for (size_t i = 0; id && i < n; i++)
		if (strcmp(id, ids[i]) == 0)
			return true;
	return false;
}

bool cr_heap_allocator_function(const char *fn)
{
	return fn && id_in(fn, allocator_functions, ARRAY_LEN(allocator_functions));
}

/* The crashing thread's stack runs through the allocator. */
static bool crash_in_allocator(const struct cr_analysis *a)
{
	if (a->crash.thread < 0 || (size_t)a->crash.thread >= a->nthreads)
		return false;
	const struct cr_stack *s = &a->threads[a->crash.thread].stack;
	for (size_t i = 0; i < s->nframes; i++)
		if (cr_heap_allocator_function(s->frames[i].function))
			return true;
	return false;
}

bool cr_heap_all_wanted(const struct cr_pass_ctx *ctx)
{
	const struct cr_analysis *a = ctx->analysis;
	enum cr_heap_mode mode = ctx->opts ? ctx->opts->heap : CR_HEAP_MODE_AUTO;
	if (mode != CR_HEAP_MODE_AUTO)
		return mode == CR_HEAP_MODE_ALWAYS;
	return cr_taken_on_demand(a) ||
	       id_in(a->crash.class_id, memory_crash_ids,
		     ARRAY_LEN(memory_crash_ids));
}

const char *cr_heap_walk_wanted(const struct cr_pass_ctx *ctx)
{
	const struct cr_analysis *a = ctx->analysis;
	enum cr_heap_mode mode = ctx->opts ? ctx->opts->heap : CR_HEAP_MODE_AUTO;
	if (mode == CR_HEAP_MODE_NEVER)
		return "--no-heap was given";
	if (cr_heap_all_wanted(ctx) ||
	    id_in(a->crash.class_id, heap_crash_ids, ARRAY_LEN(heap_crash_ids)) ||
	    crash_in_allocator(a))
		return NULL;
	return "the dump is a crash outside the allocator (--heap walks it)";
}

const struct cr_heap *cr_heap_of(const struct cr_analysis *a)
{
	return cr_pass_kept(a, "heap");
}

void cr_heap_free(void *p)
{
	struct cr_heap *h = p;
	if (!h)
		return;
	free(h->arenas);
	if (h->chunks_mapped)
		munmap(h->chunks, h->chunks_mapped);
	else
		free(h->chunks);
	free(h->ranges);
	free(h);
}

ssize_t cr_heap_chunk_at(const struct cr_heap *h, uint64_t addr)
{
	if (!h || !h->nchunks)
		return -1;
	/* The last chunk whose user address is <= ADDR. */
	size_t lo = 0, hi = h->nchunks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->chunks[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -1;
	const struct cr_heap_chunk *c = &h->chunks[lo - 1];
	/* The user bytes end where the chunk does: header (2 words) at the
	 * start of the chunk, so chunk end = addr - 2w + size. */
	uint64_t hdr = 2 * (uint64_t)(h->word ? h->word : 8);
	uint64_t size = cr_chunk_size(c);
	if (size < hdr || addr - c->addr >= size - hdr)
		return -1;
	return (ssize_t)(lo - 1);
}

static const char *base_name(const char *path)
{
	return path ? cr_basename(path) : "";
}

static const struct cr_module *find_libc(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		for (size_t k = 0; k < ARRAY_LEN(libc_names); k++)
			if (!strncmp(base_name(d->modules[i].path),
				     libc_names[k], strlen(libc_names[k])))
				return &d->modules[i];
	return NULL;
}

/* Another allocator by its module or the executable's symbols; -1 none. */
static int other_allocator(const struct cr_pass_ctx *ctx)
{
	const struct cr_dump *d = ctx->dump;
	const char *exe = NULL;
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].is_main)
			exe = base_name(d->modules[i].path);
	for (size_t k = 0; k < ARRAY_LEN(allocators); k++) {
		for (size_t i = 0; i < d->nmodules; i++)
			if (!strncmp(base_name(d->modules[i].path),
				     allocators[k].module,
				     strlen(allocators[k].module)))
				return (int)k;
		uint64_t a;
		if (exe && *exe &&
		    cr_pass_symbol(ctx, exe, allocators[k].symbol, &a) && a)
			return (int)k;
	}
	return -1;
}

CR_PASS_RUN(run_heap)
{
	const struct cr_dump *d = ctx->dump;
	struct cr_heap *h = calloc(1, sizeof(*h));
	if (!h)
		return &cr_enomem;
	h->word = ctx->target.word_size;
	struct cr_error *err = NULL;
	int other;
	const struct cr_module *libc;
	if (d->process.os == CR_OS_WINDOWS) {
		h->allocator = CR_HEAP_WINDOWS;
		h->allocator_name = "Windows heap";
	} else if ((other = other_allocator(ctx)) >= 0) {
		h->allocator = allocators[other].allocator;
		h->allocator_name = allocators[other].name;
		struct cr_finding *f = cr_pass_finding(
			ctx, CR_FINDING_HEAP_NOT_WALKED, CR_SEVERITY_INFO,
			"The process allocates with %s: its heap is not walked",
			allocators[other].name);
		cr_finding_text(f, "allocator", "%s", allocators[other].name);
	} else if ((libc = find_libc(d)) && (h->word == 8 || h->word == 4)) {
		h->allocator = CR_HEAP_GLIBC;
		h->allocator_name = "glibc malloc";
		h->skipped = cr_heap_walk_wanted(ctx);
		if (!h->skipped)
			err = cr_heap_glibc_walk(ctx, h, libc);
	}
	if (err) {
		cr_heap_free(h);
		return err;
	}
	if (!cr_pass_keep(ctx, h, cr_heap_free))
		return &cr_enomem;
	return NULL;
}
