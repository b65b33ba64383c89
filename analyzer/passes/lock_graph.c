/*
 * lock_graph.c - the wait-for graph's data (locks.h): locks found by
 * address, their owners, one wait per thread.
 */
#include <stdlib.h>

#include "locks.h"
#include "util.h"

static const char *const kind_ids[CR_LOCK_KIND_COUNT] = {
	[CR_LOCK_UNKNOWN] = "unknown",
	[CR_LOCK_MUTEX] = "mutex",
	[CR_LOCK_RWLOCK] = "rwlock",
	[CR_LOCK_SPINLOCK] = "spinlock",
	[CR_LOCK_CRITICAL_SECTION] = "critical-section",
	[CR_LOCK_SRWLOCK] = "srwlock",
	[CR_LOCK_MUTANT] = "mutant",
	[CR_LOCK_SEMAPHORE] = "semaphore",
	[CR_LOCK_CONDVAR] = "condition-variable",
	[CR_LOCK_EVENT] = "event",
	[CR_LOCK_RUNTIME] = "runtime",
};

const char *cr_lock_kind_id(enum cr_lock_kind k)
{
	return (unsigned)k < CR_LOCK_KIND_COUNT ? kind_ids[k] : "unknown";
}

bool cr_lock_kind_has_owner(enum cr_lock_kind k)
{
	switch (k) {
	case CR_LOCK_MUTEX:
	case CR_LOCK_RWLOCK:
	case CR_LOCK_SPINLOCK:
	case CR_LOCK_CRITICAL_SECTION:
	case CR_LOCK_SRWLOCK:
	case CR_LOCK_MUTANT:
	case CR_LOCK_RUNTIME:
		return true;
	default:
		return false;
	}
}

static int cmp_tid(const void *x, const void *y)
{
	const struct cr_lock_tid *p = x, *q = y;
	if (p->tid != q->tid)
		return p->tid < q->tid ? -1 : 1;
	return p->thread < q->thread ? -1 : p->thread > q->thread;
}

bool cr_lock_graph_init(struct cr_lock_graph *g, const struct cr_analysis *a)
{
	*g = (struct cr_lock_graph){ .nthreads = a->nthreads };
	if (a->nthreads == 0)
		return true;
	g->wait_of = malloc(a->nthreads * sizeof(*g->wait_of));
	g->by_tid = malloc(a->nthreads * sizeof(*g->by_tid));
	if (!g->wait_of || !g->by_tid) {
		cr_lock_graph_free(g);
		return false;
	}
	for (size_t i = 0; i < a->nthreads; i++) {
		g->wait_of[i] = -1;
		g->by_tid[i] = (struct cr_lock_tid){
			a->threads[i].thread ? a->threads[i].thread->tid : -1, i };
	}
	qsort(g->by_tid, a->nthreads, sizeof(*g->by_tid), cmp_tid);
	return true;
}

void cr_lock_graph_free(struct cr_lock_graph *g)
{
	for (size_t i = 0; i < g->nlocks; i++)
		free(g->locks[i].name);
	free(g->locks);
	free(g->waits);
	free(g->wait_of);
	free(g->index);
	free(g->by_tid);
	*g = (struct cr_lock_graph){ 0 };
}

void cr_lock_graph_destroy(void *g)
{
	if (g)
		cr_lock_graph_free(g);
	free(g);
}

static size_t slot_of(uint64_t addr, bool is_handle, size_t nslots)
{
	uint64_t h = (addr ^ (is_handle ? 0x9e3779b97f4a7c15u : 0)) *
		     0xff51afd7ed558ccdu;
	return (size_t)(h >> 17) & (nslots - 1);
}

/* Rebuild the index with room for twice the locks (open addressing). */
static bool grow_index(struct cr_lock_graph *g)
{
	size_t n = g->nslots ? g->nslots * 2 : 64;
	ssize_t *idx = malloc(n * sizeof(*idx));
	if (!idx)
		return false;
	for (size_t i = 0; i < n; i++)
		idx[i] = -1;
	for (size_t i = 0; i < g->nlocks; i++) {
		size_t s = slot_of(g->locks[i].addr, g->locks[i].is_handle, n);
		while (idx[s] >= 0)
			s = (s + 1) & (n - 1);
		idx[s] = (ssize_t)i;
	}
	free(g->index);
	g->index = idx;
	g->nslots = n;
	return true;
}

ssize_t cr_lock_graph_lock(struct cr_lock_graph *g, uint64_t addr,
			   bool is_handle, enum cr_lock_kind kind)
{
	if (g->nslots) {
		size_t s = slot_of(addr, is_handle, g->nslots);
		for (; g->index[s] >= 0; s = (s + 1) & (g->nslots - 1)) {
			struct cr_lock *l = &g->locks[g->index[s]];
			if (l->addr != addr || l->is_handle != is_handle)
				continue;
			if (l->kind == CR_LOCK_UNKNOWN)
				l->kind = kind;
			return g->index[s];
		}
	}
	if (g->nlocks >= CR_LOCK_GRAPH_MAX_LOCKS)
		return -1;
	if ((g->nlocks + 1) * 2 > g->nslots && !grow_index(g))
		return -1;
	if (!CR_GROW(g->locks, g->lock_cap, g->nlocks + 1))
		return -1;
	g->locks[g->nlocks] = (struct cr_lock){
		.addr = addr, .is_handle = is_handle, .kind = kind,
		.owner = CR_LOCK_NO_THREAD,
	};
	size_t s = slot_of(addr, is_handle, g->nslots);
	while (g->index[s] >= 0)
		s = (s + 1) & (g->nslots - 1);
	g->index[s] = (ssize_t)g->nlocks;
	return (ssize_t)g->nlocks++;
}

void cr_lock_graph_owner(struct cr_lock_graph *g, const struct cr_analysis *a,
			 size_t l, int64_t tid)
{
	if (l >= g->nlocks)
		return;
	struct cr_lock *lk = &g->locks[l];
	lk->owner_known = true;
	lk->owner_tid = tid;
	(void)a;
	lk->owner = cr_lock_graph_thread(g, tid);
}

ssize_t cr_lock_graph_thread(const struct cr_lock_graph *g, int64_t tid)
{
	/* The first thread of that tid: the lowest index among equals. */
	size_t lo = 0, hi = tid > 0 ? g->nthreads : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->by_tid[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->nthreads && tid > 0 && g->by_tid[lo].tid == tid)
		return (ssize_t)g->by_tid[lo].thread;
	return CR_LOCK_NO_THREAD;
}

bool cr_lock_graph_wait(struct cr_lock_graph *g, size_t thread, size_t l,
			enum cr_wait_mode mode, const char *how, ssize_t frame)
{
	if (thread >= g->nthreads || l >= g->nlocks)
		return false;
	struct cr_lock_wait w = {
		.thread = thread, .lock = l, .mode = mode, .how = how,
		.frame = frame,
	};
	if (g->wait_of[thread] >= 0) {
		g->waits[g->wait_of[thread]] = w;
		return true;
	}
	if (!CR_GROW(g->waits, g->wait_cap, g->nwaits + 1))
		return false;
	g->waits[g->nwaits] = w;
	g->wait_of[thread] = (ssize_t)g->nwaits++;
	return true;
}

const struct cr_lock_wait *cr_lock_graph_wait_of(const struct cr_lock_graph *g,
						 size_t thread)
{
	if (!g || thread >= g->nthreads || g->wait_of[thread] < 0)
		return NULL;
	return &g->waits[g->wait_of[thread]];
}
