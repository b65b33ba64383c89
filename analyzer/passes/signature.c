/*
 * signature.c - the "signature" pass: a short grouping key for the crash.
 *
 * In the spirit of Socorro's signatures: "<signal> <class id> <where>",
 * e.g. "SIGSEGV null-pointer-dereference crash_null".  The signal is the
 * signal's or exception's name (its number without one); the class is the
 * crash kind's stable id (crash.c); "where" is the culprit frame of the
 * crashing thread (culprit.c): its function, or module+offset without
 * symbols, or its address.  A dump without a crash of its own (taken on
 * demand, or for a signal sent from outside: cr_taken_on_demand) takes the
 * signature of its top finding that has one ("deadlock: lock_a / lock_b",
 * "spin: parse_row"); without one, a dump taken on demand is "no-crash"
 * and a signal sent keeps "<signal> <class> <where>".  The key is part of
 * the JSON and of users' bucketing: change it only on purpose.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "mach.h"
#include "passes.h"

/* The signature's "where": function, module+offset, or "unknown". */
static void put_where_token(FILE *f, const struct cr_frame *fr)
{
	if (!fr)
		fputs("unknown", f);
	else if (fr->function)
		fputs(fr->function, f);
	else if (fr->module)
		fprintf(f, "%s+0x%" PRIx64, fr->module, fr->module_offset);
	else
		fprintf(f, "0x%" PRIx64, fr->pc);
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

static char *make_signature(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_dump *d = a->dump;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	const struct cr_finding *top = cr_taken_on_demand(a) ?
		cr_top_finding(a, has_signature) : NULL;
	if (top)
		return cr_strdup_printf("%s", top->signature);
	if (c->cls == CR_CRASH_NONE)
		return cr_strdup_printf("no-crash");
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	uint32_t orig_exc, orig_code;
	int signo;
	if (c->signal_name)
		fputs(c->signal_name, f);
	else if (cr_dump_is_mach(d) &&
		 cr_mach_exc_crash(&d->event, &orig_exc, &orig_code, &signo))
		fputs("EXC_CRASH", f);	/* Crashpad's code 0: EXC_CRASH unwrapped */
	else if (d->event.kind == CR_EVENT_EXCEPTION)
		fprintf(f, "0x%08" PRIX32, d->event.exc_code);
	else
		fprintf(f, "signal-%d", c->signo);
	fprintf(f, " %s ", c->class_id ? c->class_id : "unknown");
	if (c->thread >= 0) {
		const struct cr_stack *s = &a->threads[c->thread].stack;
		ssize_t w = cr_culprit_frame(s);
		put_where_token(f, w >= 0 ? &s->frames[w] : NULL);
	} else {
		put_where_token(f, NULL);
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

CR_PASS_RUN(run_signature)
{
	struct cr_analysis *a = ctx->analysis;

	free(a->crash.signature);
	a->crash.signature = make_signature(a);
	return a->crash.signature ? NULL : &cr_enomem;
}
