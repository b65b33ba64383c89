/*
 * signature.c - the "signature" pass: a crash's grouping key and bucket.
 *
 * The key is the crashing thread's meaningful frames, normalized (the
 * rules, and what was taken from Socorro and satyr: docs/signatures.md),
 * after the code's name: "SIGSEGV crash_null | main".  Frames dropped:
 * machinery and the C/C++ runtime (culprit.c's tables), the allocator's
 * internals in a heap corruption, frames without a function in the
 * system's modules, frames with neither function nor module (their
 * address is all they have).  A frame without a function in the program's
 * own modules is "module+0xoffset".  A recursion on top of the stack is
 * keyed on its cycle, so that two overflows cut at different depths
 * agree.  The bucket hashes the code and the frames: the crash class
 * (read or write, null or not) refines the title, not the bucket.
 *
 * A dump without a crash of its own (taken on demand, or for a signal sent
 * from outside: cr_taken_on_demand) takes the signature of its top
 * finding that has one ("deadlock: lock_a / lock_b", "spin: parse_row"),
 * else "no-crash"; its frames are the focus thread's, its bucket a hash of
 * that signature (a waiting thread's frames vary from dump to dump, the
 * finding's key does not).  The key is part of the JSON and of users'
 * bucketing: change it only on purpose.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mach.h"
#include "heap.h"
#include "passes.h"
#include "signature.h"
#include "util.h"

/* The allocator's own frames: in a heap corruption they are where the
 * damage was noticed, not where it was done; the caller that freed is the
 * bug's first witness (Socorro's prefix list keeps them, and buckets
 * every double free of a program in one "free" bucket). */
static const char *const allocator_functions[] = {
	"malloc", "free", "realloc", "calloc", "cfree", "memalign",
	"posix_memalign", "aligned_alloc", "_int_malloc", "_int_free",
	"_int_realloc", "_int_memalign", "_int_free_merge_chunk",
	"_int_free_create_chunk", "_int_free_maybe_consolidate",
	"malloc_consolidate", "unlink_chunk", "tcache_get", "tcache_put",
	"tcache_thread_shutdown", "operator new", "operator new[]",
	"operator delete", "operator delete[]", "RtlFreeHeap",
	"RtlpFreeHeap", "RtlpFreeHeapInternal", "RtlAllocateHeap",
	"RtlpAllocateHeapInternal", "RtlReAllocateHeap",
	"RtlReportCriticalFailure", "RtlpReportHeapFailure",
	"RtlpHeapHandleError", "RtlpLogHeapFailure", "HeapFree", "HeapAlloc",
	"HeapReAlloc", "_free_base", "_malloc_base", "_realloc_base",
	"_free_dbg", "_free_dbg_nolock", "free_dbg_nolock",
};

/* A recursion: a cycle of at most MAX_PERIOD frames repeated at least
 * twice, starting within MAX_PREFIX meaningful frames of the top.  Real
 * cycles run long (a parser's expression -> term -> factor -> primary ->
 * ... -> expression chain is a dozen frames); the cost is a few string
 * compares per period tried, on the crashing stack only. */
#define MAX_PERIOD 32
#define MAX_PREFIX 2
/* Meaningful frames normalized from the top: enough for the prefix, two
 * cycles and the signature. */
#define TOP_FRAMES (MAX_PREFIX + 2 * MAX_PERIOD + CR_SIGNATURE_FRAMES_MAX)

struct token {
	char *s;
	size_t raw;		/* index in the stack */
};

/* This table (C++ operators, the Windows heap, alias-prefixed names
 * through cr_function_is) or the heap walk's glibc table (heap.c), so
 * that the two never disagree on a glibc function. */
static bool is_allocator(const char *fn)
{
	if (cr_heap_allocator_function(fn))
		return true;
	for (size_t i = 0; i < ARRAY_LEN(allocator_functions); i++)
		if (cr_function_is(fn, allocator_functions[i]))
			return true;
	return false;
}

static const struct cr_module *module_at(const struct cr_dump *d, uint64_t pc)
{
	for (size_t i = 0; d && i < d->nmodules; i++) {
		const struct cr_module *m = &d->modules[i];
		if (pc >= m->base && pc - m->base < m->size)
			return m;
	}
	return NULL;
}

/* FR's token in *OUT; false when out of memory.  *OUT NULL: dropped. */
static bool frame_token(const struct cr_dump *d, const struct cr_frame *fr,
			bool heap, char **out)
{
	*out = NULL;
	if (fr->function) {
		if (heap && is_allocator(fr->function))
			return true;
		char *t = cr_sig_function(fr->function);
		if (t && !t[0]) {
			free(t);
			return true;
		}
		*out = t;
		return t != NULL;
	}
	if (!fr->module || !cr_sig_module_is_own(module_at(d, fr->pc)))
		return true;
	char *m = cr_sig_module(fr->module);
	*out = m ? cr_strdup_printf("%s+0x%" PRIx64, m, fr->module_offset) : NULL;
	free(m);
	return *out != NULL;
}

/* Up to MAX meaningful tokens of S from raw frame FROM on; *N gets them. */
static bool collect_tokens(const struct cr_dump *d, const struct cr_stack *s,
			   size_t from, bool heap, struct token *t, size_t max,
			   size_t *n)
{
	*n = 0;
	for (ssize_t i = cr_next_meaningful_frame(s, from); i >= 0 && *n < max;
	     i = cr_next_meaningful_frame(s, (size_t)i + 1)) {
		if (!frame_token(d, &s->frames[i], heap, &t[*n].s))
			return false;
		if (t[*n].s)
			t[(*n)++].raw = (size_t)i;
	}
	return true;
}

/* The first recursion on top of T[0..N): *START, *PERIOD; false none.  The
 * cycle's frames must be adjacent on the stack (nothing dropped between). */
static bool find_cycle(const struct token *t, size_t n, size_t *start,
		       size_t *period)
{
	for (size_t s = 0; s <= MAX_PREFIX; s++)
		for (size_t p = 1; p <= MAX_PERIOD && s + 2 * p <= n; p++) {
			size_t k = 0;
			while (k < p && !strcmp(t[s + k].s, t[s + k + p].s))
				k++;
			if (k == p && t[s + 2 * p - 1].raw - t[s].raw == 2 * p - 1) {
				*start = s;
				*period = p;
				return true;
			}
		}
	return false;
}

static bool same_frame(const struct cr_frame *a, const struct cr_frame *b)
{
	if (a->function || b->function)
		return a->function && b->function && !strcmp(a->function, b->function);
	return a->module && b->module && !strcmp(a->module, b->module) &&
	       a->module_offset == b->module_offset;
}

/* "recursion(a | b)": the cycle T[0..P) rotated to start where its
 * sequence of names is smallest, so that any cut of it gives one key. */
static char *cycle_token(const struct token *t, size_t p)
{
	size_t best = 0;
	for (size_t r = 1; r < p; r++)
		for (size_t k = 0; k < p; k++) {
			int c = strcmp(t[(r + k) % p].s, t[(best + k) % p].s);
			if (c < 0)
				best = r;
			if (c)
				break;
		}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs("recursion(", f);
	for (size_t k = 0; k < p; k++)
		fprintf(f, "%s%s", k ? " | " : "", t[(best + k) % p].s);
	fputc(')', f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void free_tokens(struct token *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(t[i].s);
}

/* See signature.h. */
bool cr_sig_stack_frames(const struct cr_dump *d, const struct cr_stack *s,
			 size_t n, bool overflow, bool heap, char ***out,
			 size_t *nout)
{
	struct token t[TOP_FRAMES];
	size_t nt, start, period, keep = 0;
	char **frames = NULL;

	*out = NULL;
	*nout = 0;
	if (n > CR_SIGNATURE_FRAMES_MAX)
		n = CR_SIGNATURE_FRAMES_MAX;
	if (!collect_tokens(d, s, 0, heap, t, TOP_FRAMES, &nt))
		goto enomem;
	if (!nt || !n)
		goto done;
	if (!(frames = calloc(n, sizeof(*frames))))
		goto enomem;
	if (!find_cycle(t, nt, &start, &period)) {
		for (; keep < n && keep < nt; keep++) {
			frames[keep] = t[keep].s;
			t[keep].s = NULL;
		}
		goto done;
	}
	/* Above the cycle: what the recursion called, kept unless the stack
	 * overflowed (then it is wherever the overflow happened to land). */
	for (size_t i = overflow ? start : 0; i < start && keep < n; i++) {
		frames[keep++] = t[i].s;
		t[i].s = NULL;
	}
	if (keep < n && !(frames[keep++] = cycle_token(t + start, period)))
		goto enomem;
	/* Below: the first meaningful frame past the last repetition. */
	size_t j = t[start].raw + period;
	while (j < s->nframes && same_frame(&s->frames[j], &s->frames[j - period]))
		j++;
	struct token below;
	size_t nb;
	if (keep < n && j < s->nframes) {
		if (!collect_tokens(d, s, j, heap, &below, 1, &nb))
			goto enomem;
		if (nb)
			frames[keep++] = below.s;
	}
done:
	free_tokens(t, nt);
	if (!keep) {
		free(frames);
		return true;
	}
	*out = frames;
	*nout = keep;
	return true;
enomem:
	free_tokens(t, nt);
	for (size_t i = 0; i < keep; i++)
		free(frames[i]);
	free(frames);
	return false;
}

static bool has_signature(const struct cr_analysis *a,
			  const struct cr_finding *f)
{
	(void)a;
	/* As the focus and the summary: information is not why a dump was
	 * taken (one thread briefly behind a mutex is a healthy process). */
	return f->signature && f->signature[0] &&
	       f->severity != CR_SEVERITY_INFO;
}

/* The exit or exception code the index groups crashes by; NULL none.  An
 * exception's is its number: its name may carry the access (read/write). */
static char *make_code(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_dump *d = a->dump;
	uint32_t orig_exc, orig_code;
	int signo;

	if (c->cls == CR_CRASH_NONE)
		return NULL;
	if (cr_dump_is_mach(d) &&
	    cr_mach_exc_crash(&d->event, &orig_exc, &orig_code, &signo))
		return cr_strdup_printf("EXC_CRASH");	/* Crashpad's code 0 */
	if (d->event.kind == CR_EVENT_EXCEPTION && !cr_dump_is_mach(d))
		return cr_strdup_printf("0x%08" PRIX32, d->event.exc_code);
	if (c->signal_name)
		return cr_strdup_printf("%s", c->signal_name);
	return cr_strdup_printf("signal-%d", c->signo);
}

/* The code's name at the head of the signature: "SIGSEGV",
 * "EXCEPTION_ACCESS_VIOLATION" (not its _READ/_WRITE variant). */
static const char *code_name(const struct cr_analysis *a)
{
	const char *name = NULL, *text;

	if (a->dump->event.kind == CR_EVENT_EXCEPTION && !cr_dump_is_mach(a->dump))
		cr_ntstatus_describe(a->dump->event.exc_code, &name, &text);
	return name ? name : a->crash.code ? a->crash.code : "unknown";
}

/* Decided from the crash alone, never from the heap walk's findings
 * (which --heap, --no-heap, a cut core or a thread busy in malloc change):
 * the same bug must keep its bucket.  glibc's own heap-corruption abort,
 * or a crashing stack that runs through the allocator. */
static bool is_heap_corruption(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;

	if (c->class_id && !strcmp(c->class_id, "heap-corruption"))
		return true;
	if (c->thread < 0 || (size_t)c->thread >= a->nthreads)
		return false;
	const struct cr_stack *s = &a->threads[c->thread].stack;
	for (size_t i = 0; i < s->nframes; i++)
		if (cr_heap_allocator_function(s->frames[i].function))
			return true;
	return false;
}

/* Without a meaningful frame: the culprit's function, else its module's
 * name (an offset in a system library changes with its version). */
static char *fallback_frame(const struct cr_stack *s)
{
	ssize_t w = s ? cr_culprit_frame(s) : -1;
	const struct cr_frame *fr = w >= 0 ? &s->frames[w] : NULL;
	char *t = NULL;

	if (fr && fr->function && (t = cr_sig_function(fr->function)) && t[0])
		return t;
	free(t);
	if (fr && fr->module)
		return cr_sig_module(fr->module);
	return strdup("unknown");
}

static bool make_frames(struct cr_analysis *a, const struct cr_options *opts)
{
	struct cr_crash *c = &a->crash;
	bool on_demand = cr_taken_on_demand(a);
	ssize_t th = on_demand ? a->focus_thread : c->thread;
	const struct cr_stack *s = th >= 0 && (size_t)th < a->nthreads ?
		&a->threads[th].stack : NULL;
	size_t n = opts && opts->signature_frames ? opts->signature_frames
						  : CR_SIGNATURE_FRAMES;

	if (s && !cr_sig_stack_frames(a->dump, s, n, c->cls == CR_CRASH_STACK_OVERFLOW,
				      !on_demand && is_heap_corruption(a),
				      &c->sig_frames, &c->nsig_frames))
		return false;
	if (c->nsig_frames || on_demand || c->cls == CR_CRASH_NONE)
		return true;
	if (!(c->sig_frames = malloc(sizeof(char *))))
		return false;
	if (!(c->sig_frames[0] = fallback_frame(s))) {
		free(c->sig_frames);
		c->sig_frames = NULL;
		return false;
	}
	c->nsig_frames = 1;
	return true;
}

static char *make_signature(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_finding *top = cr_taken_on_demand(a) ?
		cr_top_finding(a, has_signature) : NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (top)
		return cr_strdup_printf("%s", top->signature);
	if (c->cls == CR_CRASH_NONE)
		return cr_strdup_printf("no-crash");
	if (!(f = open_memstream(&buf, &len)))
		return NULL;
	fputs(code_name(a), f);
	for (size_t i = 0; i < c->nsig_frames; i++)
		fprintf(f, "%s%s", i ? " | " : " ", c->sig_frames[i]);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* FNV-1a of S and a 0xff separator (stable across builds and machines). */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	return cr_fnv1a(cr_fnv1a(h, s, strlen(s)), "\xff", 1);
}

/* The bucket: code and frames for a crash, the signature otherwise (a
 * finding's signature carries no crash class). */
static char *make_bucket(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	uint64_t h = CR_FNV1A_INIT;

	h = fnv1a(h, c->code ? c->code : "");
	if (c->nsig_frames && !cr_taken_on_demand(a))
		for (size_t i = 0; i < c->nsig_frames; i++)
			h = fnv1a(h, c->sig_frames[i]);
	else
		h = fnv1a(h, c->signature ? c->signature : "");
	return cr_strdup_printf("%0*" PRIx64, CR_BUCKET_ID_LEN,
				h >> (64 - 4 * CR_BUCKET_ID_LEN));
}

static const struct {
	const char *id, *title;
} kinds[CR_DUMP_KIND_COUNT] = {
	[CR_DUMP_KIND_CRASH] = { "crash", "Crashes" },
	[CR_DUMP_KIND_HANG] = { "hang", "Hangs" },
	[CR_DUMP_KIND_HIGH_CPU] = { "high-cpu", "High CPU" },
	[CR_DUMP_KIND_HIGH_MEMORY] = { "high-memory", "High memory" },
	[CR_DUMP_KIND_UNKNOWN] = { "unknown", "Unknown" },
};

const char *cr_dump_kind_id(enum cr_dump_kind k)
{
	return (unsigned)k < CR_DUMP_KIND_COUNT ? kinds[k].id : "unknown";
}

const char *cr_dump_kind_title(enum cr_dump_kind k)
{
	return (unsigned)k < CR_DUMP_KIND_COUNT ? kinds[k].title : "Unknown";
}

/* The kind a finding gives a dump taken on demand when it leads it. */
static const struct {
	enum cr_finding_id id;
	enum cr_dump_kind kind;
} finding_kinds[] = {
	{ CR_FINDING_DEADLOCK, CR_DUMP_KIND_HANG },
	{ CR_FINDING_PROBABLE_HANG, CR_DUMP_KIND_HANG },
	{ CR_FINDING_LOCK_CONVOY, CR_DUMP_KIND_HANG },
	{ CR_FINDING_LOCK_OWNER_GONE, CR_DUMP_KIND_HANG },
	{ CR_FINDING_OWNERLESS_WAIT, CR_DUMP_KIND_HANG },
	{ CR_FINDING_RWLOCK_WRITER_STARVED, CR_DUMP_KIND_HANG },
	{ CR_FINDING_SERIES_STUCK_THREADS, CR_DUMP_KIND_HANG },
	{ CR_FINDING_SERIES_LOCK_HELD, CR_DUMP_KIND_HANG },
	{ CR_FINDING_HIGH_CPU_THREAD, CR_DUMP_KIND_HIGH_CPU },
	{ CR_FINDING_SPIN_LOCK, CR_DUMP_KIND_HIGH_CPU },
	{ CR_FINDING_SERIES_BUSY_THREAD, CR_DUMP_KIND_HIGH_CPU },
	{ CR_FINDING_HIGH_MEMORY, CR_DUMP_KIND_HIGH_MEMORY },
	{ CR_FINDING_PROBABLE_LEAK, CR_DUMP_KIND_HIGH_MEMORY },
};

static bool has_kind(const struct cr_analysis *a, const struct cr_finding *f)
{
	(void)a;
	if (f->severity == CR_SEVERITY_INFO)
		return false;
	for (size_t i = 0; i < sizeof(finding_kinds) / sizeof(*finding_kinds); i++)
		if (finding_kinds[i].id == f->id)
			return true;
	return false;
}

enum cr_dump_kind cr_dump_kind_of(const struct cr_analysis *a)
{
	if (!cr_taken_on_demand(a))
		return CR_DUMP_KIND_CRASH;
	const struct cr_finding *top = cr_top_finding(a, has_kind);
	for (size_t i = 0; top && i < sizeof(finding_kinds) / sizeof(*finding_kinds); i++)
		if (finding_kinds[i].id == top->id)
			return finding_kinds[i].kind;
	return CR_DUMP_KIND_UNKNOWN;
}

CR_PASS_RUN(run_signature)
{
	struct cr_analysis *a = ctx->analysis;

	free(a->crash.code);
	a->crash.code = make_code(a);
	if (a->crash.cls != CR_CRASH_NONE && !a->crash.code)
		return &cr_enomem;
	if (!a->crash.nsig_frames && !make_frames(a, ctx->opts))
		return &cr_enomem;
	free(a->crash.signature);
	a->crash.signature = make_signature(a);
	if (!a->crash.signature)
		return &cr_enomem;
	free(a->crash.bucket);
	a->crash.bucket = make_bucket(a);
	return a->crash.bucket ? NULL : &cr_enomem;
}
