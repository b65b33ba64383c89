/*
 * lockgraph.c - print the wait-for graph the locks pass keeps for a dump,
 * as one JSON object, for the end-to-end tests that check the graph itself
 * (tests/e2e/windows.py: which thread waits for which critical section,
 * SRW lock or handle, and who owns it) apart from the findings made of it.
 *
 * Usage: lockgraph DUMP.  Output:
 *   {"locks": [{"addr": "0x...", "is_handle": false, "kind":
 *     "critical-section", "what": "loader lock"|null, "name": "..."|null,
 *     "owner_known": true, "owner_tid": 264, "recursion": 1}, ...],
 *    "waits": [{"tid": 260, "lock": 0, "mode": "exclusive", "how":
 *     "RtlEnterCriticalSection", "frame": 3}, ...]}
 * Exit status 0, or 1 when the dump cannot be read or analyzed.
 */
#include <stdio.h>

#include "analysis.h"
#include "dump.h"
#include "error.h"
#include "locks.h"

/* S as a JSON string (null for NULL); control bytes escaped. */
static void json_str(const char *s)
{
	if (!s) {
		fputs("null", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void print_graph(const struct cr_analysis *a,
			const struct cr_lock_graph *g)
{
	fputs("{\"locks\": [", stdout);
	for (size_t i = 0; g && i < g->nlocks; i++) {
		const struct cr_lock *l = &g->locks[i];
		printf("%s\n {\"addr\": \"0x%llx\", \"is_handle\": %s, \"kind\": ",
		       i ? "," : "", (unsigned long long)l->addr,
		       l->is_handle ? "true" : "false");
		json_str(cr_lock_kind_id(l->kind));
		fputs(", \"what\": ", stdout);
		json_str(l->what);
		fputs(", \"name\": ", stdout);
		json_str(l->name);
		printf(", \"owner_known\": %s, \"owner_tid\": %lld, \"recursion\": %u}",
		       l->owner_known ? "true" : "false",
		       (long long)l->owner_tid, l->recursion);
	}
	fputs("],\n\"waits\": [", stdout);
	for (size_t i = 0; g && i < g->nwaits; i++) {
		const struct cr_lock_wait *w = &g->waits[i];
		printf("%s\n {\"tid\": %lld, \"lock\": %zu, \"mode\": \"%s\", \"how\": ",
		       i ? "," : "", (long long)a->threads[w->thread].thread->tid,
		       w->lock, w->mode == CR_WAIT_SHARED ? "shared" : "exclusive");
		json_str(w->how);
		printf(", \"frame\": %zd}", w->frame);
	}
	fputs("]}\n", stdout);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: lockgraph DUMP\n");
		return 2;
	}
	struct cr_dump *d = NULL;
	struct cr_analysis *a = NULL;
	struct cr_options opts = { 0 };
	struct cr_error *err = cr_dump_open(argv[1], &d);
	if (!err)
		err = cr_analyze(d, &opts, &a);
	if (err) {
		fprintf(stderr, "lockgraph: %s: %s\n", argv[1], err->message);
		cr_error_free(err);
		cr_dump_free(d);
		return 1;
	}
	print_graph(a, cr_lock_graph_of(a));
	cr_analysis_free(a);
	cr_dump_free(d);
	return 0;
}
