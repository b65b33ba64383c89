/*
 * summary.c - the "summary" pass: the paragraph at the top of every report.
 *
 * The paragraph says, in plain sentences, what happened and where:
 *   "python3 (pid 4242) crashed with SIGSEGV (segmentation fault): a
 *    null-pointer dereference at 0x0 (null pointer), in thread 4242 (main)
 *    at crash_null (crash.c:12) in _ctypes.so, called from ... . 8 threads;
 *    the other 7: 7 waiting on a lock."
 * Everything in it is plain text; the report writers escape it.
 *
 * The first sentence is written from the top finding, not from the crash
 * fields: the program, the finding's title, and where it happened from its
 * evidence (the thread, the frame to blame, where the thread stopped, the
 * callers: the CR_LABEL_* labels of passes.h).  The top finding is the
 * first error (cr_findings_order), except that a later error about the
 * crashing thread (the instruction pass's "divide by zero" refining the
 * crash's "arithmetic error") leads; the crash's own sentence follows it.
 * A dump without a crash of its own (taken on demand, or killed from
 * outside: cr_taken_on_demand) is led by the top error or warning of a
 * later pass (a deadlock is why a watchdog killed it, or why someone ran
 * gcore), placed in its thread (struct cr_finding.thread when it carries
 * no thread evidence) at that thread's culprit frame; then "The dump was
 * taken on demand (no crash)" or the crash's sentence ("It was killed by
 * ...").  Without such a finding a dump taken on demand says just that.
 * The crash finding's title reads as a predicate
 * ("Crashed with ..."), so the program is its subject; other titles follow
 * the program after a colon.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "util.h"

/* Distinct thread states listed in the summary before "and N more". */
#define CR_SUMMARY_STATE_KINDS 4

/* "crash_null (crash.c:12) in libfoo.so", "libfoo.so+0x1234", "0x0". */
static void put_frame(FILE *f, const struct cr_frame *fr,
		      const char *main_module)
{
	if (fr->function) {
		fputs(fr->function, f);
		if (fr->file && fr->line > 0)
			fprintf(f, " (%s:%d)", cr_basename(fr->file), fr->line);
		if (fr->module && (!main_module || strcmp(fr->module, main_module)))
			fprintf(f, " in %s", fr->module);
	} else if (fr->module) {
		fprintf(f, "%s+0x%" PRIx64, fr->module, fr->module_offset);
	} else {
		fprintf(f, "address 0x%" PRIx64, fr->pc);
	}
}

static void put_thread(FILE *f, const struct cr_thread *t)
{
	fprintf(f, "thread %" PRId64, t->tid);
	if (t->name && t->name[0])
		fprintf(f, " (%s)", t->name);
}

/* The program's name: executable basename, else the command's first word. */
static void put_process(FILE *f, const struct cr_dump *d)
{
	const struct cr_process *p = &d->process;
	const char *name = cr_basename(p->executable);

	if (name && name[0]) {
		fputs(name, f);
	} else if (p->command_line && p->command_line[0]) {
		size_t n = strcspn(p->command_line, " ");
		const char *cmd = p->command_line;
		for (size_t i = n; i > 0; i--) {
			if (cmd[i - 1] == '/') {
				cmd += i;
				n -= i;
				break;
			}
		}
		fprintf(f, "%.*s", (int)n, cmd);
	} else {
		fputs("The process", f);
	}
	if (p->pid >= 0)
		fprintf(f, " (pid %" PRId64 ")", p->pid);
}

/* The category a thread is counted by: its state's activity or kind
 * words, NULL when nothing is known of it. */
static const char *state_key(const struct cr_thread_analysis *ta)
{
	if (ta->st.kind == CR_STATE_UNKNOWN)
		return NULL;
	return cr_thread_state_phrase(&ta->st);
}

/*
 * "10 threads; the other 9: 7 waiting on a lock, 2 sleeping."  Threads
 * other than the crashed one are counted by state category, most common
 * first.
 */
static void put_thread_states(FILE *f, const struct cr_analysis *a)
{
	size_t n = a->nthreads, others = 0;
	size_t *count = calloc(n ? n : 1, sizeof(*count));
	size_t *first = calloc(n ? n : 1, sizeof(*first));	/* representative */
	size_t nkeys = 0, unknown = 0;
	char buf[32];

	fprintf(f, " It had %s thread%s", cr_fmt_count(buf, n), n == 1 ? "" : "s");
	if (!count || !first) {
		fputs(".", f);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const char *s = state_key(&a->threads[i]);
		if (a->threads[i].crashed)
			continue;
		others++;
		if (!s) {
			unknown++;
			continue;
		}
		size_t k;
		for (k = 0; k < nkeys; k++) {
			if (!strcmp(state_key(&a->threads[first[k]]), s))
				break;
		}
		if (k == nkeys)
			first[nkeys++] = i;
		count[k]++;
	}
	if (others == 0 || (nkeys == 0 && unknown == others)) {
		fputs(".", f);
		goto out;
	}
	/* Most common first (selection sort: nkeys is small in practice). */
	for (size_t i = 0; i < nkeys; i++)
		for (size_t j = i + 1; j < nkeys; j++)
			if (count[j] > count[i]) {
				size_t t = count[i]; count[i] = count[j]; count[j] = t;
				t = first[i]; first[i] = first[j]; first[j] = t;
			}
	if (others == 1 && nkeys == 1) {
		const char *s = state_key(&a->threads[first[0]]);
		fprintf(f, "%s%s.", a->crash.thread >= 0 ? "; the other was " : ": ", s);
		goto out;
	}
	if (nkeys == 1 && !unknown) {
		/* "; the other 9 were waiting on a condition variable." or
		 * ": all were waiting on a condition variable." */
		const char *s = state_key(&a->threads[first[0]]);
		if (a->crash.thread >= 0)
			fprintf(f, "; the other %s were ", cr_fmt_count(buf, others));
		else
			fputs(": all were ", f);
		fprintf(f, "%s.", s);
		goto out;
	}
	if (a->crash.thread >= 0)
		fprintf(f, "; of the other %s, ", cr_fmt_count(buf, others));
	else
		fputs(": ", f);
	size_t shown = nkeys < CR_SUMMARY_STATE_KINDS ? nkeys : CR_SUMMARY_STATE_KINDS;
	size_t rest = unknown;
	for (size_t k = shown; k < nkeys; k++)
		rest += count[k];
	for (size_t k = 0; k < shown; k++) {
		fprintf(f, "%s%s %s", k ? ", " : "", cr_fmt_count(buf, count[k]),
			state_key(&a->threads[first[k]]));
	}
	if (rest)
		fprintf(f, "%s%s %s", shown ? ", " : "", cr_fmt_count(buf, rest),
			shown < nkeys ? "in other states" : "in an unknown state");
	fputs(".", f);
out:
	free(count);
	free(first);
}

/* The main module's basename, to leave it out of "in <module>". */
static const char *main_module_name(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].is_main)
			return cr_basename(d->modules[i].path);
	return cr_basename(d->process.executable);
}

static bool is_crash_finding(const struct cr_finding *f)
{
	return f->pass && !strcmp(f->pass, "crash");
}

/* The frame of frame evidence E. */
static const struct cr_frame *evidence_frame(const struct cr_analysis *a,
					     const struct cr_evidence *e)
{
	size_t t = e->u.frame.thread, i = e->u.frame.frame;
	if (t >= a->nthreads || i >= a->threads[t].stack.nframes)
		return NULL;
	return &a->threads[t].stack.frames[i];
}

/*
 * Where finding FD happened, from its evidence: ", in thread 12 (main) at
 * f (x.c:3) (it stopped inside g), called from h, from i", or for a thread
 * that received a signal "; thread 12 (main) was at f (x.c:3)".  False
 * when the finding names no thread.
 */
static bool put_location(FILE *f, const struct cr_analysis *a,
			 const struct cr_finding *fd)
{
	const char *main_mod = main_module_name(a->dump);
	const struct cr_evidence *thread = NULL;
	const struct cr_frame *where = NULL, *stopped = NULL;
	unsigned callers = 0;

	for (size_t i = 0; i < fd->nevidence; i++) {
		const struct cr_evidence *e = &fd->evidence[i];
		if (e->kind == CR_EVIDENCE_THREAD && !thread &&
		    e->u.thread < a->nthreads)
			thread = e;
		else if (e->kind == CR_EVIDENCE_FRAME &&
			 !strcmp(e->label, CR_LABEL_WHERE) && !where)
			where = evidence_frame(a, e);
		else if (e->kind == CR_EVIDENCE_FRAME &&
			 !strcmp(e->label, CR_LABEL_STOPPED))
			stopped = evidence_frame(a, e);
	}
	/* A later pass's finding leading a dump without a crash of its own
	 * is placed by its thread and that thread's own code (a lock wait:
	 * the caller of the wait function), not by labels. */
	bool by_thread = cr_taken_on_demand(a) && !is_crash_finding(fd);
	bool own_frames = true;	/* the frames of the evidence are ti's */
	if (by_thread && fd->thread >= 0 && (size_t)fd->thread < a->nthreads &&
	    (!thread || thread->u.thread != (size_t)fd->thread)) {
		/* The thread it is about, not the first its evidence names
		 * (a deadlock names every member). */
		thread = NULL;
		where = stopped = NULL;
		own_frames = false;
	}
	size_t ti;
	if (thread)
		ti = thread->u.thread;
	else if (!own_frames)
		ti = (size_t)fd->thread;
	else
		return false;
	if (!where && by_thread) {
		ssize_t w = cr_culprit_frame(&a->threads[ti].stack);
		if (w >= 0)
			where = &a->threads[ti].stack.frames[w];
	}
	const struct cr_thread *t = a->threads[ti].thread;
	if (thread && !strcmp(thread->label, CR_LABEL_RECEIVER)) {
		/* It received a signal: where it was, not where it failed. */
		if (where) {
			fputs("; ", f);
			put_thread(f, t);
			fputs(" was at ", f);
			put_frame(f, where, main_mod);
		}
		return true;
	}
	fputs(", in ", f);
	put_thread(f, t);
	if (!where)
		return true;
	fputs(" at ", f);
	put_frame(f, where, main_mod);
	if (stopped) {
		/* Blamed on the caller, but say where it actually stopped. */
		fputs(" (it stopped inside ", f);
		put_frame(f, stopped, main_mod);
		fputs(")", f);
	}
	for (size_t i = 0; own_frames && i < fd->nevidence; i++) {
		const struct cr_evidence *e = &fd->evidence[i];
		const struct cr_frame *fr;
		if (e->kind != CR_EVIDENCE_FRAME || strcmp(e->label, CR_LABEL_CALLER) ||
		    !(fr = evidence_frame(a, e)))
			continue;
		fputs(callers++ ? ", from " : ", called from ", f);
		put_frame(f, fr, main_mod);
	}
	return true;
}

/* "crashed with ..." from "Crashed with ...": the program is its subject. */
static void put_predicate(FILE *f, const char *title)
{
	if (!title[0])
		return;
	fputc(title[0] >= 'A' && title[0] <= 'Z' ? title[0] - 'A' + 'a' : title[0], f);
	fputs(title + 1, f);
}

/* A finding that may lead the paragraph of a dump without a crash of its
 * own: an error or a warning (information is not why a dump was taken). */
static bool may_lead(const struct cr_analysis *a, const struct cr_finding *f)
{
	(void)a;
	return f->severity == CR_SEVERITY_ERROR ||
	       f->severity == CR_SEVERITY_WARNING;
}

/* The finding the paragraph opens with (see the file comment); NULL when
 * there is none. */
static const struct cr_finding *lead_finding(const struct cr_analysis *a,
					     const struct cr_finding **crash)
{
	const struct cr_findings *fs = &a->findings;
	const struct cr_finding *first = NULL;

	*crash = NULL;
	for (size_t i = 0; i < fs->n; i++) {
		const struct cr_finding *fd = &fs->items[i];
		/* The crash's finding whatever its severity: a SIGQUIT that
		 * asked for the dump is information, and still said. */
		if (is_crash_finding(fd) && !*crash)
			*crash = fd;
		if (fd->severity == CR_SEVERITY_ERROR && !first)
			first = fd;
	}
	if (cr_taken_on_demand(a)) {
		const struct cr_finding *top = cr_top_finding(a, may_lead);
		return top ? top : *crash;
	}
	if (!*crash)
		return first;
	for (size_t i = 0; i < fs->n; i++) {
		const struct cr_finding *fd = &fs->items[i];
		if (fd->severity == CR_SEVERITY_ERROR && !is_crash_finding(fd) &&
		    fd->thread >= 0 && fd->thread == (*crash)->thread)
			return fd;
	}
	return *crash;
}

/* The first sentence, from the top findings. */
static void put_findings(FILE *f, const struct cr_analysis *a)
{
	const struct cr_finding *crash, *lead = lead_finding(a, &crash);

	put_process(f, a->dump);
	if (!lead) {
		fputs(": the dump was taken on demand (no crash).", f);
		return;
	}
	if (lead == crash) {
		fputc(' ', f);
		put_predicate(f, lead->title);
	} else {
		fprintf(f, ": %s", lead->title);
	}
	bool located = put_location(f, a, lead);
	fputs(".", f);
	if (!crash && a->crash.cls == CR_CRASH_NONE)
		fputs(" The dump was taken on demand (no crash).", f);
	if (!crash || crash == lead)
		return;
	fputs(" It ", f);
	put_predicate(f, crash->title);
	if (!located)
		put_location(f, a, crash);
	fputs(".", f);
}

/* The "summary" pass: a->summary.  Returns &cr_enomem when out of memory. */
CR_PASS_RUN(run_summary)
{
	struct cr_analysis *a = ctx->analysis;
	const struct cr_dump *d = a->dump;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return &cr_enomem;
	if ((a->crash.cls == CR_CRASH_NONE || d->event.kind == CR_EVENT_NONE) &&
	    d->nthreads == 0 && !a->findings.n) {
		/* Nothing recorded at all: a damaged dump, not a snapshot. */
		put_process(f, d);
		fputs(": the dump records no crash and no threads; it may be damaged (see the problems).", f);
	} else {
		put_findings(f, a);
		put_thread_states(f, a);
	}
	if (fclose(f) != 0) {
		free(buf);
		return &cr_enomem;
	}
	free(a->summary);
	a->summary = buf;
	return NULL;
}
