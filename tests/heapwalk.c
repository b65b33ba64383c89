/*
 * heapwalk.c - test tool: the "heap" pass's walk of a dump, as counts.
 *
 *   heapwalk [--no-main-arena] [--leaks] DUMP
 *
 * Analyzes DUMP without the heap pass, then runs the pass alone (so that
 * --no-main-arena can hide glibc's main_arena symbol from it and force the
 * search by shape) and prints, one fact a line:
 *   allocator NAME / walked 0|1 / complete 0|1 / arenas N / corrupt N
 *   chunk STATE SIZE COUNT      (STATE: in_use free mmapped internal)
 *   finding ID ADDRESS TITLE    (the pass's findings; ADDRESS: the
 *                               first address evidence, 0 none)
 *   walk_ms MS / chunks N / chunk_bytes N
 * With --leaks it then runs the leaks pass and prints its time, wall and
 * CPU (the benchmark's figure without the rest of an analysis):
 *   leaks_ms MS / leaks_cpu_ms MS / leaked N
 * The end-to-end tests (tests/e2e/heap_walk.py) compare these with what
 * the planted programs allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "error.h"
#include "findings.h"
#include "pass.h"
#include "passes/heap.h"
#include "symtab.h"

static const char *const state_names[] = {
	"in_use", "free", "mmapped", "internal",
};

static int size_cmp(const void *a, const void *b)
{
	const struct cr_heap_chunk *x = a, *y = b;
	uint64_t kx = x->size_state, ky = y->size_state;
	return kx < ky ? -1 : kx > ky;
}

static double now_ms(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Run pass NAME on A through a context; false (said) on an error. */
static bool run_pass(const char *name, struct cr_analysis *a,
		     const struct cr_options *opts, struct cr_symtab *st,
		     const struct cr_symbol_override *extra)
{
	struct cr_pass_ctx ctx;
	const struct cr_pass *p = cr_pass_named(name);
	cr_pass_ctx_init(&ctx, p, a, opts, st);
	ctx.extra_symbols = extra;
	struct cr_error *err = p->run(&ctx);
	if (err)
		fprintf(stderr, "heapwalk: %s: %s\n", name, err->message);
	return !err;
}

int main(int argc, char **argv)
{
	int arg = 1;
	bool hide = false, leaks = false;
	for (; arg < argc - 1; arg++) {
		if (!strcmp(argv[arg], "--no-main-arena"))
			hide = true;
		else if (!strcmp(argv[arg], "--leaks"))
			leaks = true;
		else
			break;
	}
	if (arg != argc - 1) {
		fprintf(stderr, "usage: heapwalk [--no-main-arena] [--leaks] DUMP\n");
		return 2;
	}
	struct cr_dump *d;
	struct cr_error *err = cr_dump_open(argv[arg], &d);
	if (err) {
		fprintf(stderr, "heapwalk: %s\n", err->message);
		return 1;
	}
	static const char *const skip[] = { "heap", NULL };
	struct cr_options opts = { .skip_passes = skip,
				   .heap = CR_HEAP_MODE_ALWAYS };
	struct cr_analysis *a;
	struct cr_symtab *st;
	if ((err = cr_analyze(d, &opts, &a)) ||
	    (err = cr_symtab_new(d, &opts, &st))) {
		fprintf(stderr, "heapwalk: %s\n", err->message);
		return 1;
	}
	/* An override at address 0 answers "main_arena" with nothing. */
	static const struct cr_symbol_override hidden[] = {
		{ NULL, "main_arena", 0 }, { NULL, NULL, 0 },
	};
	size_t nf = a->findings.n;
	double t0 = now_ms(CLOCK_MONOTONIC);
	if (!run_pass("heap", a, &opts, st, hide ? hidden : NULL))
		return 1;
	double ms = now_ms(CLOCK_MONOTONIC) - t0;
	const struct cr_heap *h = cr_heap_of(a);
	if (!h) {
		printf("allocator none\n");
		return 0;
	}
	printf("allocator %s\nwalked %d\ncomplete %d\narenas %zu\n"
	       "corrupt %zu\n", h->allocator_name ? h->allocator_name : "none",
	       h->walked, h->complete, h->narenas, h->ncorrupt);
	for (size_t i = 0; i < h->narenas; i++)
		printf("arena 0x%llx main %d heaps %zu in_use %zu free %zu\n",
		       (unsigned long long)h->arenas[i].addr, h->arenas[i].main,
		       h->arenas[i].nheaps, h->arenas[i].in_use_count,
		       h->arenas[i].free_count);
	/* Counts per (state, size): a sorted copy of the chunk array. */
	struct cr_heap_chunk *c = malloc(h->nchunks * sizeof(*c) + 1);
	if (!c)
		return 1;
	memcpy(c, h->chunks, h->nchunks * sizeof(*c));
	qsort(c, h->nchunks, sizeof(*c), size_cmp);
	for (size_t i = 0, j; i < h->nchunks; i = j) {
		for (j = i; j < h->nchunks && c[j].size_state == c[i].size_state;)
			j++;
		printf("chunk %s %llu %zu\n", state_names[cr_chunk_state(&c[i])],
		       (unsigned long long)cr_chunk_size(&c[i]), j - i);
	}
	free(c);
	for (size_t i = nf; i < a->findings.n; i++) {
		const struct cr_finding *f = &a->findings.items[i];
		unsigned long long at = 0;
		for (size_t e = 0; e < f->nevidence && !at; e++)
			if (f->evidence[e].kind == CR_EVIDENCE_ADDRESS)
				at = f->evidence[e].u.address.value;
		printf("finding %s 0x%llx %s\n", cr_finding_info(f->id)->id,
		       at, f->title);
	}
	for (size_t i = 0; i < a->problems.n; i++)
		if (a->problems.items[i].at.origin &&
		    !strcmp(a->problems.items[i].at.origin, "heap"))
			printf("problem %s\n", a->problems.items[i].text);
	printf("walk_ms %.1f\nchunks %zu\nchunk_bytes %zu\n", ms, h->nchunks,
	       h->nchunks * sizeof(struct cr_heap_chunk));
	if (leaks) {
		double w0 = now_ms(CLOCK_MONOTONIC);
		double c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
		if (!run_pass("leaks", a, &opts, st, hide ? hidden : NULL))
			return 1;
		const struct cr_leaks *l = cr_leaks_of(a);
		printf("leaks_ms %.1f\nleaks_cpu_ms %.1f\nleaked %zu\n",
		       now_ms(CLOCK_MONOTONIC) - w0,
		       now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0,
		       l ? l->nleaked : 0);
	}
	cr_symtab_free(st);
	cr_analysis_free(a);
	cr_dump_free(d);
	return 0;
}
