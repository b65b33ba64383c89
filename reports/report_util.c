/*
 * report_util.c - the facts and texts the report writers share.
 *
 * Every function here formats a field of the analysis or the dump; the
 * writers (md.c, html.c, json.c) only escape the results for their syntax.
 * Keeping the wording in one place is what makes the Markdown and the HTML
 * report say the same thing.  See report_util.h.
 */
#include "report_util.h"
#include "term.h"
#include "util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --- UTF-8 cleaning ------------------------------------------------------- */

static const char replacement_char[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Whether cr_term_fputs() shows the character at P escaped. */
static bool term_escaped(const unsigned char *p, size_t n)
{
	bool esc;
	cr_term_char(p, n, &esc);
	return esc;
}

void report_clean_into(struct cr_buf *b, const char *s, unsigned flags)
{
	if (!s)
		return;
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	while (n) {
		/* Printable ASCII, most of every report, is kept as it is:
		 * copied a run at a time. */
		size_t run = 0;
		while (run < n && p[run] >= 0x20 && p[run] < 0x7f)
			run++;
		if (run) {
			cr_buf_add(b, (const char *)p, run);
			p += run;
			n -= run;
			continue;
		}
		uint32_t cp = 0;
		size_t len = cr_utf8_len(p, n, &cp);
		if (len == 0) {
			cr_buf_puts(b, replacement_char);
			len = 1;
		} else if (cp == 0x7f || (len > 1 && term_escaped(p, n))) {
			/* DEL and the C1 controls mean nothing in text, and a
			 * terminal showing a report (-o -) would act on U+009B
			 * (CSI); JSON would keep them raw.  The bidi controls
			 * and line separators the terminal sanitizer escapes
			 * (term.c) would reorder what the reader sees of a
			 * name from the dump, in a report on the terminal as
			 * in a viewer. */
			cr_buf_puts(b, replacement_char);
		} else if (len == 1 && (flags & REPORT_CLEAN_FLAT) &&
			   (p[0] < 0x20 || p[0] == 0x7f)) {
			if (p[0] == '\n' || p[0] == '\r' || p[0] == '\t')
				cr_buf_putc(b, ' ');
			else
				cr_buf_puts(b, replacement_char);
		} else {
			cr_buf_add(b, (const char *)p, len);
		}
		p += len;
		n -= len;
	}
}

char *report_clean(const char *s, unsigned flags)
{
	struct cr_buf b = { 0 };
	report_clean_into(&b, s ? s : "", flags);
	return cr_buf_steal(&b);
}

/* --- formatters ----------------------------------------------------------- */

const char *report_fmt_time(char *buf, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	if (t < 0 || !gmtime_r(&tt, &tm) ||
	    !strftime(buf, REPORT_NUM_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return NULL;
	return buf;
}

const char *report_fmt_cpu(char *buf, struct cr_cpu_time t)
{
	if (!t.known)
		return "not recorded";
	snprintf(buf, REPORT_NUM_LEN, "%" PRIu64 ".%06" PRIu64 " s",
		 t.usec / 1000000, t.usec % 1000000);
	return buf;
}

static const char hex_digits[] = "0123456789abcdef";

const char *report_fmt_hex(char *buf, uint64_t v, int width)
{
	char rev[16];
	int n = 0;
	do {
		rev[n++] = hex_digits[v & 15];
		v >>= 4;
	} while (v);
	while (n < width && n < (int)sizeof(rev))
		rev[n++] = '0';
	char *p = buf;
	*p++ = '0';
	*p++ = 'x';
	while (n)
		*p++ = rev[--n];
	*p = '\0';
	return buf;
}

const char *report_fmt_addr(char *buf, const struct cr_dump *d, uint64_t v)
{
	int width = d && d->process.pointer_size == 4 && v <= UINT32_MAX ? 8 : 16;
	return report_fmt_hex(buf, v, width);
}

char *report_build_id_hex(const struct cr_module *m)
{
	if (!m->build_id || !m->build_id_len)
		return NULL;
	char *s = malloc(m->build_id_len * 2 + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < m->build_id_len; i++) {
		s[2 * i] = hex_digits[m->build_id[i] >> 4];
		s[2 * i + 1] = hex_digits[m->build_id[i] & 15];
	}
	s[2 * m->build_id_len] = '\0';
	return s;
}

/* The executable's path: the process record, else the main module. */
static const char *executable_path(const struct cr_dump *d)
{
	if (d->process.executable)
		return d->process.executable;
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].is_main && d->modules[i].path)
			return d->modules[i].path;
	return NULL;
}

char *report_title(const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	const char *exe = cr_basename(executable_path(d));
	if (d->process.pid >= 0)
		return cr_strdup_printf("coroner report: %s (pid %" PRId64 ")",
					exe ? exe : "unknown executable",
					d->process.pid);
	return cr_strdup_printf("coroner report: %s (pid not recorded)",
				exe ? exe : "unknown executable");
}

/* --- facts ---------------------------------------------------------------- */

const char report_no_crash_text[] =
	"No crash recorded: the dump was taken on demand (for example by "
	"gcore, procdump or a hang detector), not because the process failed.";

const char report_missing_modules_text[] =
	"coroner did not find the binary of these modules, so their frames "
	"have no function names and their stacks may be incomplete. Fetch "
	"them (same build id) and run coroner again with --sysroot or "
	"--debug-dir.";

const char report_annotations_text[] =
	"Notes the program attached to its crash report (Crashpad "
	"annotations), as recorded. An empty module means the process itself "
	"set it; an empty key marks a list annotation (a value alone).";

const char report_unloaded_text[] =
	"Modules the process had loaded and unloaded again before the dump. "
	"A crash address in one of these ranges points into code that was "
	"no longer there.";

const char *report_fmt_range(char *buf, const struct cr_dump *d,
			     uint64_t base, uint64_t size)
{
	char lo[REPORT_NUM_LEN], hi[REPORT_NUM_LEN];
	uint64_t end;
	if (__builtin_add_overflow(base, size, &end))
		end = UINT64_MAX;
	snprintf(buf, 2 * REPORT_NUM_LEN, "%s-%s", report_fmt_addr(lo, d, base),
		 report_fmt_addr(hi, d, end));
	return buf;
}

void report_annotation_text(const struct cr_annotation *an,
			    struct report_annotation_text *t)
{
	t->module = an->module ? an->module : "";
	t->key = an->key ? an->key : "";
	t->value = an->value ? an->value : "";
}

char *report_exc_params_text(const struct cr_event *ev)
{
	struct cr_buf b = { 0 };
	unsigned n = ev->exc_nparams < CR_MAX_EXC_PARAMS ? ev->exc_nparams
							 : CR_MAX_EXC_PARAMS;
	for (unsigned i = 0; i < n; i++)
		cr_buf_printf(&b, "%s0x%" PRIx64, i ? ", " : "",
				  ev->exc_params[i]);
	return cr_buf_steal(&b);
}

void report_facts_add(struct report_facts *f, const char *label,
		      const char *fmt, ...)
{
	if (f->oom)
		return;
	if (!CR_GROW(f->v, f->cap, f->n + 1)) {
		f->oom = true;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	char *value = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!value) {
		f->oom = true;
		return;
	}
	f->v[f->n].label = label;
	f->v[f->n].value = value;
	f->n++;
}

void report_facts_free(struct report_facts *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].value);
	free(f->v);
	*f = (struct report_facts){ 0 };
}

static const char not_recorded[] = "not recorded";

char *report_thread_state(const struct cr_analysis *a, size_t idx, bool *oom)
{
	const struct cr_thread_state *st = &a->threads[idx].st;
	char *text;

	if (!cr_thread_state_known(st))
		return NULL;
	text = cr_thread_state_text(st);
	if (!text)
		*oom = true;
	return text;
}

char *report_thread_label(const struct cr_analysis *a, size_t idx)
{
	const struct cr_thread *t = idx < a->nthreads ? a->threads[idx].thread
						      : NULL;
	if (!t)
		return cr_strdup_printf("thread #%zu", idx);
	char tid[64];
	if (t->tid >= 0)
		snprintf(tid, sizeof(tid), "tid %" PRId64, t->tid);
	else
		snprintf(tid, sizeof(tid), "thread #%zu (tid not recorded)", idx);
	if (t->name)
		return cr_strdup_printf("%s \"%s\"", tid, t->name);
	return strdup(tid);
}

/* The event's kind in words, for "the thread that received the signal". */
static const char *event_noun(const struct cr_analysis *a)
{
	return a->dump->event.kind == CR_EVENT_SIGNAL ? "signal" : "exception";
}

char *report_focus_heading(const struct cr_analysis *a)
{
	ssize_t i = a->focus_thread;
	if (i < 0 || (size_t)i >= a->nthreads)
		return strdup("Stack of the focus thread");
	if (a->threads[i].crashed && a->crash.sent)
		return cr_strdup_printf("Stack of the thread that received the %s",
					event_noun(a));
	if (a->threads[i].crashed)
		return strdup("Stack of the crashing thread");
	const struct cr_thread *t = a->threads[i].thread;
	if (t && t->tid >= 0)
		return cr_strdup_printf("Stack of thread %" PRId64, t->tid);
	return cr_strdup_printf("Stack of thread #%zd", i);
}

const char *report_event_thread_mark(const struct cr_analysis *a)
{
	if (!a->crash.sent)
		return "crashed";
	return a->dump->event.kind == CR_EVENT_SIGNAL ? "received the signal"
						      : "received the exception";
}

void report_crash_facts(const struct cr_analysis *a, struct report_facts *f)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_event *ev = &a->dump->event;
	char num[REPORT_NUM_LEN];

	if (c->signal_name && ev->kind == CR_EVENT_EXCEPTION)
		report_facts_add(f, "Exception", "%s (0x%08" PRIx32 ")",
				 c->signal_name, ev->exc_code);
	else if (c->signal_name && c->signo)
		report_facts_add(f, "Signal", "%s (%d)", c->signal_name,
				 c->signo);
	else if (c->signal_name)
		report_facts_add(f, "Signal", "%s", c->signal_name);
	else if (c->signo)
		report_facts_add(f, "Signal", "signal %d", c->signo);

	if (c->code_name || c->code_text) {
		char codenum[REPORT_NUM_LEN] = "";
		if (ev->kind == CR_EVENT_SIGNAL && ev->siginfo_known)
			snprintf(codenum, sizeof(codenum), " (%d)", ev->si_code);
		if (c->code_name)
			report_facts_add(f, "Code", "%s%s%s%s", c->code_name,
					 codenum, c->code_text ? ": " : "",
					 c->code_text ? c->code_text : "");
		else
			report_facts_add(f, "Code", "%s%s", c->code_text,
					 codenum);
	}
	if (c->cls != CR_CRASH_NONE || c->class_text)
		report_facts_add(f, "Class", "%s%s%s%s",
				 c->class_text ? c->class_text : "unclassified",
				 c->class_id ? " (" : "",
				 c->class_id ? c->class_id : "",
				 c->class_id ? ")" : "");
	if (c->address_known)
		report_facts_add(f, "Faulting address", "%s",
				 report_fmt_addr(num, a->dump, c->address));
	if (c->address_text)
		report_facts_add(f, "Address lies in", "%s", c->address_text);
	if (c->sender)
		report_facts_add(f, "Sent by", "%s", c->sender);
	if (c->abort_message)
		report_facts_add(f, "Abort message", "%s", c->abort_message);
	if (c->thread >= 0 && (size_t)c->thread < a->nthreads) {
		char *label = report_thread_label(a, (size_t)c->thread);
		if (label)
			report_facts_add(f, c->sent ? "Received by" : "Crashing thread",
					 "%s", label);
		else
			f->oom = true;
		free(label);
	} else if (c->cls != CR_CRASH_NONE) {
		report_facts_add(f, c->sent ? "Received by" : "Crashing thread",
				 "not identified");
	}
	if (c->signature)
		report_facts_add(f, "Signature", "%s", c->signature);
	/* the id the batch index groups by (docs/signatures.md) */
	if (c->bucket)
		report_facts_add(f, "Bucket", "%s", c->bucket);

	/* The exception record as the dump has it, whatever the analysis
	 * made of it (the numbers a Windows developer searches for). */
	if (ev->kind == CR_EVENT_EXCEPTION) {
		report_facts_add(f, "Exception code", "0x%08" PRIx32,
				 ev->exc_code);
		report_facts_add(f, "Exception flags", "0x%08" PRIx32,
				 ev->exc_flags);
		report_facts_add(f, "Raised at", "%s",
				 report_fmt_addr(num, a->dump, ev->exc_address));
		char *params = report_exc_params_text(ev);
		if (!params)
			f->oom = true;
		else if (params[0])
			report_facts_add(f, "Exception parameters", "%s", params);
		else
			report_facts_add(f, "Exception parameters", "none");
		free(params);
	}
}

static void add_id(struct report_facts *f, const char *label, int64_t v)
{
	if (v >= 0)
		report_facts_add(f, label, "%" PRId64, v);
	else
		report_facts_add(f, label, not_recorded);
}

static void add_str(struct report_facts *f, const char *label, const char *v)
{
	report_facts_add(f, label, "%s", v ? v : not_recorded);
}

static void add_time(struct report_facts *f, const char *label, int64_t t)
{
	char buf[REPORT_NUM_LEN];
	add_str(f, label, report_fmt_time(buf, t));
}

void report_process_facts(const struct cr_analysis *a, struct report_facts *f)
{
	const struct cr_process *p = &a->dump->process;
	char b1[REPORT_NUM_LEN], b2[REPORT_NUM_LEN];

	add_id(f, "PID", p->pid);
	add_id(f, "Parent PID", p->ppid);
	add_id(f, "UID", p->uid);
	add_id(f, "GID", p->gid);
	add_str(f, "Executable", p->executable);
	/* The executable's version, when the dump gives one (a minidump's
	 * file version, an ELF program's package note). */
	for (size_t i = 0; i < a->dump->nmodules; i++)
		if (a->dump->modules[i].is_main && a->dump->modules[i].version)
			add_str(f, "Version", a->dump->modules[i].version);
	add_str(f, "Command line", p->command_line);
	if (p->os == CR_OS_UNKNOWN && !p->os_version)
		add_str(f, "Operating system", NULL);
	else
		report_facts_add(f, "Operating system", "%s%s%s",
				 cr_os_name(p->os), p->os_version ? " " : "",
				 p->os_version ? p->os_version : "");
	if (p->arch == CR_ARCH_UNKNOWN)
		add_str(f, "Architecture", NULL);
	else if (p->pointer_size)
		report_facts_add(f, "Architecture", "%s (%u-bit, %s endian)",
				 cr_arch_name(p->arch), p->pointer_size * 8,
				 p->big_endian ? "big" : "little");
	else
		report_facts_add(f, "Architecture", "%s",
				 cr_arch_name(p->arch));
	add_str(f, "CPU", p->cpu);
	if (p->ncpus)
		report_facts_add(f, "CPUs", "%u", p->ncpus);
	else
		add_str(f, "CPUs", NULL);
	add_time(f, "Dump time", p->dump_time);
	add_time(f, "Start time", p->start_time);
	report_facts_add(f, "CPU time", "user %s, system %s",
			 report_fmt_cpu(b1, p->user), report_fmt_cpu(b2, p->sys));
}

void report_dump_facts(const struct cr_analysis *a, struct report_facts *f)
{
	const struct cr_dump *d = a->dump;
	char num[REPORT_NUM_LEN];

	add_str(f, "File", d->path);
	add_str(f, "Format", d->format);
	add_str(f, "Producer", d->producer);
	report_facts_add(f, "Size", "%s bytes",
			 cr_fmt_count(num, d->file_size));
	report_facts_add(f, "Threads", "%s",
			 cr_fmt_count(num, a->nthreads));
	report_facts_add(f, "Modules", "%s",
			 cr_fmt_count(num, d->nmodules));
	if (d->nunloaded)
		report_facts_add(f, "Unloaded modules", "%s",
				 cr_fmt_count(num, d->nunloaded));
	if (d->nannotations)
		report_facts_add(f, "Annotations", "%s",
				 cr_fmt_count(num, d->nannotations));
	/* The container's other facts, labelled by the reader. */
	for (size_t i = 0; i < d->nfacts; i++)
		report_facts_add(f, d->facts[i].name ? d->facts[i].name : "",
				 "%s", d->facts[i].value ? d->facts[i].value
							 : not_recorded);
	report_facts_add(f, "Analyzed by", "coroner " CR_VERSION);
}

/* --- stacks --------------------------------------------------------------- */

bool report_fold_sane(const struct cr_stack *s, const struct cr_fold *f,
		      size_t min)
{
	return f->first >= min && f->first <= f->last && f->last < s->nframes;
}

void report_rows_init(struct report_rows *it, const struct cr_stack *s)
{
	*it = (struct report_rows){ .s = s };
}

bool report_rows_next(struct report_rows *it, struct report_row *row)
{
	const struct cr_stack *s = it->s;
	if (it->i >= s->nframes)
		return false;
	/* Folds that the analyzer got wrong (overlapping, out of range) are
	 * ignored: the frames are then printed one by one. */
	while (it->fi < s->nfolds &&
	       (s->folds[it->fi].first < it->i ||
		!report_fold_sane(s, &s->folds[it->fi], it->i)))
		it->fi++;
	if (it->fi < s->nfolds && s->folds[it->fi].first == it->i) {
		const struct cr_fold *f = &s->folds[it->fi++];
		*row = (struct report_row){ .fold = f, .index = f->first };
		it->i = f->last + 1;
		return true;
	}
	*row = (struct report_row){ .frame = &s->frames[it->i],
				    .index = it->i };
	it->i++;
	return true;
}

/* "NAME+OFF" malloc'd (a frame's place: vasprintf costs ten times
 * more); NULL when out of memory. */
static char *concat_plus(const char *name, const char *off)
{
	size_t n = strlen(name), m = strlen(off);
	char *s = malloc(n + m + 2);
	if (!s)
		return NULL;
	memcpy(s, name, n);
	s[n] = '+';
	memcpy(s + n + 1, off, m + 1);
	return s;
}

bool report_frame_text(const struct cr_analysis *a, size_t index,
		       const struct cr_frame *fr, struct report_frame_text *t)
{
	*t = (struct report_frame_text){ 0 };
	snprintf(t->index, sizeof(t->index), "#%zu", index);
	report_fmt_addr(t->pc, a->dump, fr->pc);
	t->trust = cr_trust_name(fr->trust);
	if (!t->trust)
		t->trust = "unknown";
	t->inlined = fr->trust == CR_TRUST_INLINE;

	char off[REPORT_NUM_LEN];
	if (fr->function && fr->function_offset_known)
		t->where = concat_plus(fr->function,
				       report_fmt_hex(off, fr->function_offset, 0));
	else if (fr->function)
		t->where = strdup(fr->function);
	else if (fr->module)
		t->where = concat_plus(fr->module,
				       report_fmt_hex(off, fr->module_offset, 0));
	else
		t->where = strdup(t->pc);
	t->module = strdup(fr->module ? fr->module : "");
	if (fr->file && fr->line > 0 && fr->column > 0)
		t->location = cr_strdup_printf("%s:%d:%d", fr->file, fr->line,
					       fr->column);
	else if (fr->file && fr->line > 0)
		t->location = cr_strdup_printf("%s:%d", fr->file, fr->line);
	else
		t->location = strdup(fr->file ? fr->file : "");
	if (!t->where || !t->module || !t->location) {
		report_frame_text_free(t);
		return false;
	}
	return true;
}

void report_frame_text_free(struct report_frame_text *t)
{
	free(t->where);
	free(t->module);
	free(t->location);
	t->where = t->module = t->location = NULL;
}

char *report_fold_text(const struct cr_fold *f)
{
	char first[REPORT_NUM_LEN], last[REPORT_NUM_LEN], rep[REPORT_NUM_LEN];
	cr_fmt_count(first, f->first);
	cr_fmt_count(last, f->last);
	cr_fmt_count(rep, f->repeats);
	return cr_strdup_printf("frames %s-%s: %s repeated %s time%s", first,
				last, f->cycle ? f->cycle : "(cycle not named)",
				rep, f->repeats == 1 ? "" : "s");
}

char *report_stack_end_text(const struct cr_stack *s)
{
	if (!s->unwound && s->nframes == 0)
		return cr_strdup_printf("no stack: %s",
					s->end_reason ? s->end_reason
						      : "the thread's registers were not recorded");
	if (s->end_reason)
		return cr_strdup_printf("unwinding stopped: %s", s->end_reason);
	return NULL;
}

void report_module_columns(const struct cr_dump *d,
			   struct report_module_cols *out)
{
	*out = (struct report_module_cols){ false, false, false, false };
	for (size_t i = 0; i < d->nmodules; i++) {
		out->code_id |= d->modules[i].code_id != NULL;
		out->debug_id |= d->modules[i].debug_id != NULL;
		out->debug_file |= d->modules[i].debug_file != NULL;
		out->version |= d->modules[i].version != NULL;
	}
}

/* --- problems ------------------------------------------------------------- */

/* The two lists in report order: the dump's, then the analysis's. */
static const struct cr_problems *problem_list(const struct cr_analysis *a,
					      unsigned k)
{
	return k == 0 ? &a->dump->problems : &a->problems;
}

size_t report_nproblems(const struct cr_analysis *a)
{
	size_t n = 0;
	for (unsigned k = 0; k < 2; k++)
		n += problem_list(a, k)->n + problem_list(a, k)->noom;
	return n;
}

const struct cr_problem *report_problem(const struct cr_analysis *a, size_t i,
					struct report_problem_tmp *tmp)
{
	for (unsigned k = 0; k < 2; k++) {
		const struct cr_problems *l = problem_list(a, k);
		if (i < l->n)
			return &l->items[i];
		i -= l->n;
		if (i < l->noom) {
			const struct cr_oom_note *o = &l->oom[i];
			snprintf(tmp->text, sizeof(tmp->text),
				 "out of memory: %s not complete", o->lost);
			tmp->p = (struct cr_problem){
				.at = { .severity = CR_SEVERITY_ERROR,
					.source = o->source,
					.origin = o->origin },
				.text = tmp->text,
			};
			return &tmp->p;
		}
		i -= l->noom;
	}
	return NULL;
}

char *report_problem_line(const struct cr_analysis *a,
			  const struct cr_problem *p)
{
	static const char *const place[] = {
		[CR_PLACE_NONE] = "", [CR_PLACE_OFFSET] = ", file offset ",
		[CR_PLACE_ADDRESS] = ", address ",
	};
	char where[REPORT_NUM_LEN] = "";
	unsigned k = (unsigned)p->at.place < 3 ? (unsigned)p->at.place : 0;
	if (k == CR_PLACE_OFFSET)
		snprintf(where, sizeof(where), "0x%" PRIx64, p->at.where);
	else if (k == CR_PLACE_ADDRESS)
		report_fmt_addr(where, a->dump, p->at.where);
	return cr_strdup_printf("%s (%s %s%s%s): %s",
				cr_severity_name(p->at.severity),
				cr_diag_source_name(p->at.source),
				p->at.origin ? p->at.origin : "?", place[k],
				where, p->text);
}

size_t report_problems_dropped(const struct cr_analysis *a,
			       size_t per[CR_NSEVERITIES])
{
	size_t total = 0;
	for (unsigned s = 0; s < CR_NSEVERITIES; s++) {
		size_t n = a->dump->problems.dropped[s] + a->problems.dropped[s];
		if (per)
			per[s] = n;
		total += n;
	}
	return total;
}

char *report_problems_dropped_line(const struct cr_analysis *a)
{
	static const char *const plural[] = {
		[CR_SEVERITY_ERROR] = "errors", [CR_SEVERITY_WARNING] = "warnings",
		[CR_SEVERITY_INFO] = "information",
	};
	size_t per[CR_NSEVERITIES];
	size_t total = report_problems_dropped(a, per);
	if (!total)
		return NULL;
	struct cr_buf b = { 0 };
	char num[REPORT_NUM_LEN];
	cr_buf_printf(&b, "... and %s more problems not kept (",
			  cr_fmt_count(num, total));
	const char *sep = "";
	for (unsigned s = 0; s < CR_NSEVERITIES; s++) {
		if (!per[s])
			continue;
		cr_buf_printf(&b, "%s%s %s", sep, cr_fmt_count(num, per[s]),
				  plural[s]);
		sep = ", ";
	}
	cr_buf_putc(&b, ')');
	return cr_buf_steal(&b);
}
