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
#include "signature.h"

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

/* The exit or exception code the index groups crashes by; NULL none. */
static char *make_code(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_dump *d = a->dump;
	uint32_t orig_exc, orig_code;
	int signo;

	if (c->cls == CR_CRASH_NONE)
		return NULL;
	if (c->signal_name)
		return cr_strdup_printf("%s", c->signal_name);
	if (cr_dump_is_mach(d) &&
	    cr_mach_exc_crash(&d->event, &orig_exc, &orig_code, &signo))
		return cr_strdup_printf("EXC_CRASH");	/* Crashpad's code 0 */
	if (d->event.kind == CR_EVENT_EXCEPTION)
		return cr_strdup_printf("0x%08" PRIX32, d->event.exc_code);
	return cr_strdup_printf("signal-%d", c->signo);
}

/* The frame tokens the signature is made of: today the culprit frame. */
static bool make_frames(struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (c->cls == CR_CRASH_NONE)
		return true;
	f = open_memstream(&buf, &len);
	if (!f)
		return false;
	if (c->thread >= 0) {
		const struct cr_stack *s = &a->threads[c->thread].stack;
		ssize_t w = cr_culprit_frame(s);
		put_where_token(f, w >= 0 ? &s->frames[w] : NULL);
	} else {
		put_where_token(f, NULL);
	}
	if (fclose(f) != 0 || !(a->crash.sig_frames = malloc(sizeof(char *)))) {
		free(buf);
		return false;
	}
	a->crash.sig_frames[0] = buf;
	a->crash.nsig_frames = 1;
	return true;
}

static char *make_signature(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;

	const struct cr_finding *top = cr_taken_on_demand(a) ?
		cr_top_finding(a, has_signature) : NULL;
	if (top)
		return cr_strdup_printf("%s", top->signature);
	if (c->cls == CR_CRASH_NONE)
		return cr_strdup_printf("no-crash");
	return cr_strdup_printf("%s %s %s", c->code ? c->code : "unknown",
				c->class_id ? c->class_id : "unknown",
				c->nsig_frames ? c->sig_frames[0] : "unknown");
}

/* FNV-1a, 64 bits: stable across builds and machines. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h ^ 0xff) * 0x100000001b3ULL;	/* a separator */
}

/* The bucket: code and frames for a crash, the signature otherwise (a
 * finding's signature carries no crash class). */
static char *make_bucket(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	uint64_t h = 0xcbf29ce484222325ULL;

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
	if (!a->crash.nsig_frames && !make_frames(a))
		return &cr_enomem;
	free(a->crash.signature);
	a->crash.signature = make_signature(a);
	if (!a->crash.signature)
		return &cr_enomem;
	free(a->crash.bucket);
	a->crash.bucket = make_bucket(a);
	return a->crash.bucket ? NULL : &cr_enomem;
}
