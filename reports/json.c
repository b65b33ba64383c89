/*
 * json.c - the JSON report, for programs (docs/report-schema.md).
 *
 * The top level is built with jansson; the threads, most of the report
 * (registers, state, frames), are written as they are made through
 * json_out (json_text.h), in the bytes jansson's tree would give.
 * Conventions, all documented in the schema:
 *   - a fact the dump did not record is null, never 0 or "";
 *   - 64-bit addresses, offsets and sizes are hex strings "0x..." because
 *     JSON numbers are doubles in most readers and lose bits past 2^53;
 *   - strings from the dump are made valid UTF-8 (invalid bytes become
 *     U+FFFD) since JSON text must be Unicode; control characters are kept
 *     and jansson escapes them;
 *   - a fold keeps the first cycle of its frames and omits the rest (the
 *     fold entry describes them), so a 116,000-frame recursion stays small;
 *     each frame keeps its "index".
 *
 * Building never stops half-way on a failed allocation: every json_*
 * constructor that fails returns NULL, json_object_set_new() and
 * json_array_append_new() then fail too, and we note it in `oom`; a
 * json_out notes it in its buffer's oom flag.
 */
#include "json_util.h"
#include "report.h"
#include "report_util.h"
#include "series.h"
#include "strbuf.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* An id where -1 (any negative) means not recorded. */
static json_t *jid(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

static json_t *jcpu(struct cr_cpu_time t)
{
	if (!t.known || t.usec > (uint64_t)INT64_MAX)
		return json_null();
	return json_integer((json_int_t)t.usec);
}

static json_t *jtime(int64_t t)
{
	char buf[REPORT_NUM_LEN];
	const char *s = report_fmt_time(buf, t);
	return s ? json_string(s) : json_null();
}

static json_t *jsize(size_t n)
{
	return json_integer((json_int_t)n);
}

static json_t *json_dump_obj(struct jctx *j)
{
	const struct cr_dump *d = j->a->dump;
	json_t *o = json_object();
	set(j, o, "path", jstr(d->path));
	set(j, o, "format", jstr(d->format));
	set(j, o, "producer", jstr(d->producer));
	set(j, o, "file_size", d->file_size <= (uint64_t)INT64_MAX
				       ? json_integer((json_int_t)d->file_size)
				       : json_null());
	/* Schema 2: the container's other facts, for display. */
	json_t *facts = json_array();
	for (size_t i = 0; i < d->nfacts && !j->oom; i++) {
		json_t *f = json_object();
		set(j, f, "name", jstr(d->facts[i].name ? d->facts[i].name : ""));
		set(j, f, "value", jstr(d->facts[i].value));
		push(j, facts, f);
	}
	set(j, o, "facts", facts);
	return o;
}

static json_t *json_process(struct jctx *j)
{
	const struct cr_process *p = &j->a->dump->process;
	json_t *o = json_object();
	set(j, o, "pid", jid(p->pid));
	set(j, o, "ppid", jid(p->ppid));
	set(j, o, "uid", jid(p->uid));
	set(j, o, "gid", jid(p->gid));
	set(j, o, "executable", jstr(p->executable));
	set(j, o, "command_line", jstr(p->command_line));
	set(j, o, "os", p->os == CR_OS_UNKNOWN ? json_null()
					       : jstr(cr_os_name(p->os)));
	set(j, o, "os_version", jstr(p->os_version));
	set(j, o, "cpu", jstr(p->cpu));
	set(j, o, "cpu_count", p->ncpus ? json_integer(p->ncpus) : json_null());
	set(j, o, "arch", p->arch == CR_ARCH_UNKNOWN
				  ? json_null() : jstr(cr_arch_name(p->arch)));
	set(j, o, "pointer_size", p->pointer_size ? json_integer(p->pointer_size)
						  : json_null());
	set(j, o, "big_endian", json_boolean(p->big_endian));
	set(j, o, "dump_time", jtime(p->dump_time));
	set(j, o, "start_time", jtime(p->start_time));
	set(j, o, "user_cpu_usec", jcpu(p->user));
	set(j, o, "system_cpu_usec", jcpu(p->sys));
	return o;
}

/* The exception record (schema 2), null unless the event is one. */
static json_t *json_exception(struct jctx *j, const struct cr_event *ev)
{
	if (ev->kind != CR_EVENT_EXCEPTION)
		return json_null();
	json_t *o = json_object(), *params = json_array();
	unsigned n = ev->exc_nparams < CR_MAX_EXC_PARAMS ? ev->exc_nparams
							 : CR_MAX_EXC_PARAMS;
	set(j, o, "code", json_integer(ev->exc_code));
	set(j, o, "flags", json_integer(ev->exc_flags));
	set(j, o, "address", jhex(ev->exc_address));
	for (unsigned i = 0; i < n; i++)
		push(j, params, jhex(ev->exc_params[i]));
	set(j, o, "parameters", params);
	return o;
}

static json_t *json_crash(struct jctx *j)
{
	const struct cr_analysis *a = j->a;
	const struct cr_crash *c = &a->crash;
	const struct cr_event *ev = &a->dump->event;
	json_t *o = json_object();

	set(j, o, "class", jstr(c->class_id ? c->class_id
			      : c->cls == CR_CRASH_NONE ? "none" : NULL));
	set(j, o, "description", jstr(c->class_text));
	set(j, o, "signal", jstr(c->signal_name));
	set(j, o, "signo", c->signo ? json_integer(c->signo) : json_null());
	set(j, o, "code", jstr(c->code_name));
	if (ev->kind == CR_EVENT_SIGNAL && ev->siginfo_known)
		set(j, o, "code_number", json_integer(ev->si_code));
	else if (ev->kind == CR_EVENT_EXCEPTION)
		set(j, o, "code_number", json_integer(ev->exc_code));
	else
		set(j, o, "code_number", json_null());
	set(j, o, "code_description", jstr(c->code_text));
	set(j, o, "address", c->address_known ? jhex(c->address) : json_null());
	set(j, o, "address_description", jstr(c->address_text));
	set(j, o, "sender", jstr(c->sender));
	set(j, o, "sent", json_boolean(c->sent));
	set(j, o, "abort_message", jstr(c->abort_message));
	bool has_thread = c->thread >= 0 && (size_t)c->thread < a->nthreads;
	set(j, o, "thread_index", has_thread ? json_integer(c->thread)
					     : json_null());
	const struct cr_thread *t = has_thread ? a->threads[c->thread].thread
					       : NULL;
	set(j, o, "tid", t ? jid(t->tid) : json_null());
	set(j, o, "signature", jstr(c->signature));
	json_t *frames = json_array();
	for (size_t i = 0; i < c->nsig_frames; i++)
		push(j, frames, jstr(c->sig_frames[i]));
	set(j, o, "signature_frames", frames);
	set(j, o, "exit_code", jstr(c->code));
	set(j, o, "bucket", jstr(c->bucket));
	set(j, o, "exception", json_exception(j, ev));
	return o;
}

/* --- the threads, written as they are made (json_text.h) ----------------- */

static void k_bool(struct json_out *w, const char *key, bool v)
{
	json_out_key(w, key);
	json_out_bool(w, v);
}

/* KEY: V, or null when V is not KNOWN. */
static void k_int_if(struct json_out *w, const char *key, bool known, int64_t v)
{
	json_out_key(w, key);
	if (known)
		json_out_int(w, v);
	else
		json_out_null(w);
}

static void k_hex_if(struct json_out *w, const char *key, bool known, uint64_t v)
{
	json_out_key(w, key);
	if (known)
		json_out_hex(w, v);
	else
		json_out_null(w);
}

/* An id where -1 (any negative) means not recorded: jid(). */
static void out_id(struct json_out *w, int64_t v)
{
	if (v >= 0)
		json_out_int(w, v);
	else
		json_out_null(w);
}

/* jcpu(). */
static void out_cpu(struct json_out *w, struct cr_cpu_time t)
{
	if (!t.known || t.usec > (uint64_t)INT64_MAX)
		json_out_null(w);
	else
		json_out_int(w, (int64_t)t.usec);
}

static void out_frame(struct json_out *w, size_t index, const struct cr_frame *fr)
{
	const char *trust = cr_trust_name(fr->trust);
	json_out_open(w, '{');
	json_out_key_int(w, "index", (int64_t)index);
	json_out_key(w, "pc");
	json_out_hex(w, fr->pc);
	json_out_key(w, "trust");
	json_out_const(w, trust ? trust : "unknown");
	k_bool(w, "inlined", fr->trust == CR_TRUST_INLINE);
	json_out_key_str(w, "module", fr->module);
	k_hex_if(w, "module_offset", fr->module != NULL, fr->module_offset);
	json_out_key_str(w, "function", fr->function);
	k_hex_if(w, "function_offset", fr->function && fr->function_offset_known,
		 fr->function_offset);
	json_out_key_str(w, "file", fr->file);
	k_int_if(w, "line", fr->line > 0, fr->line);
	k_int_if(w, "column", fr->column > 0, fr->column);
	json_out_close(w);
}

static void out_stack(struct json_out *w, const struct cr_stack *s)
{
	json_out_open(w, '{');
	k_bool(w, "unwound", s->unwound);
	json_out_key_str(w, "end_reason", s->end_reason);
	json_out_key_int(w, "frame_count", (int64_t)s->nframes);

	/* The rows of the stack as the other reports print them: a fold row
	 * becomes its first cycle of frames plus an entry in "folds". */
	struct report_rows it;
	struct report_row row;
	json_out_key(w, "frames");
	json_out_open(w, '[');
	report_rows_init(&it, s);
	while (report_rows_next(&it, &row) && !w->b->oom) {
		if (row.frame) {
			json_out_item(w);
			out_frame(w, row.index, row.frame);
			continue;
		}
		const struct cr_fold *f = row.fold;
		size_t keep = f->period ? f->period : 1;
		for (size_t i = f->first; i <= f->last && i - f->first < keep; i++) {
			json_out_item(w);
			out_frame(w, i, &s->frames[i]);
		}
	}
	json_out_close(w);
	json_out_key(w, "folds");
	json_out_open(w, '[');
	report_rows_init(&it, s);
	while (report_rows_next(&it, &row) && !w->b->oom) {
		const struct cr_fold *f = row.fold;
		if (row.frame)
			continue;
		json_out_item(w);
		json_out_open(w, '{');
		json_out_key_int(w, "first", (int64_t)f->first);
		json_out_key_int(w, "last", (int64_t)f->last);
		json_out_key_int(w, "period", (int64_t)f->period);
		json_out_key_int(w, "repeats", (int64_t)f->repeats);
		json_out_key_str(w, "cycle", f->cycle);
		json_out_close(w);
	}
	json_out_close(w);
	json_out_close(w);
}

/* The thread's registers by name; no two of an architecture's names are
 * the same (unit.formats.test_arch), so no key repeats. */
static void out_registers(struct json_out *w, const struct cr_analysis *a,
			  const struct cr_thread *t)
{
	enum cr_arch arch = a->dump->process.arch;
	json_out_open(w, '{');
	for (unsigned n = 0; n < CR_MAX_REGS && t; n++) {
		uint64_t v;
		if (!cr_regs_get(cr_thread_regs(a->dump, t), n, &v))
			continue;
		const char *name = cr_arch_reg_name(arch, n);
		char fallback[24];
		if (!name) {
			snprintf(fallback, sizeof(fallback), "dwarf%u", n);
			name = fallback;
		}
		json_out_key(w, name);
		json_out_hex(w, v);
	}
	json_out_close(w);
}

/* A decoded argument's value: a number for what is a C int, else hex. */
static void out_arg_value(struct json_out *w, const struct cr_syscall_arg *arg)
{
	switch (arg->kind) {
	case CR_ARG_INT:
	case CR_ARG_FD:
	case CR_ARG_TIMEOUT_MS:
		json_out_int(w, (int64_t)arg->value);
		break;
	case CR_ARG_FUTEX_OP:
	case CR_ARG_DURATION_NS:
		json_out_int(w, (int64_t)(arg->value & INT64_MAX));
		break;
	default:
		json_out_hex(w, arg->value);
		break;
	}
}

/* "state_info": the data the state sentence is made from. */
static void out_state_info(struct json_out *w, const struct cr_thread_state *st)
{
	json_out_open(w, '{');
	json_out_key(w, "kind");
	json_out_const(w, cr_state_kind_id(st->kind));
	json_out_key_str(w, "activity", st->activity);
	json_out_key_str(w, "function", st->function);
	json_out_key(w, "syscall");
	if (st->syscall_known) {
		json_out_open(w, '{');
		json_out_key(w, "number");
		out_id(w, st->syscall_nr);
		json_out_key_str(w, "name", st->syscall_name);
		json_out_close(w);
	} else {
		json_out_null(w);
	}
	json_out_key(w, "args");
	json_out_open(w, '[');
	for (unsigned i = 0; i < st->nargs && i < CR_STATE_MAX_ARGS; i++) {
		json_out_item(w);
		json_out_open(w, '{');
		json_out_key_str(w, "name", st->args[i].name);
		json_out_key(w, "kind");
		json_out_const(w, cr_arg_kind_id(st->args[i].kind));
		json_out_key(w, "value");
		out_arg_value(w, &st->args[i]);
		json_out_close(w);
	}
	json_out_close(w);
	k_hex_if(w, "wait_object", st->wait_object_known, st->wait_object);
	json_out_key(w, "wait_object_type");
	if (st->wait_object_known)
		json_out_str(w, st->wait_object_what);
	else
		json_out_null(w);
	k_bool(w, "stack_missing", st->stack_missing);
	json_out_key(w, "received");
	if (st->received.known) {
		json_out_open(w, '{');
		json_out_key_str(w, "signal", st->received.signal);
		k_int_if(w, "signo", st->received.signo > 0, st->received.signo);
		json_out_key_str(w, "from", st->received.from);
		json_out_close(w);
	} else {
		json_out_null(w);
	}
	json_out_close(w);
}

static void out_thread(struct json_out *w, const struct cr_analysis *a, size_t idx)
{
	const struct cr_thread_analysis *ta = &a->threads[idx];
	const struct cr_thread *t = ta->thread;
	json_out_open(w, '{');
	json_out_key_int(w, "index", (int64_t)idx);
	json_out_key(w, "tid");
	if (t)
		out_id(w, t->tid);
	else
		json_out_null(w);
	json_out_key_str(w, "name", t ? t->name : NULL);
	k_bool(w, "crashed", ta->crashed);
	bool oom = false;
	char *state = report_thread_state(a, idx, &oom);
	if (oom)
		w->b->oom = true;
	json_out_key_str(w, "state", state);
	free(state);
	json_out_key(w, "state_info");
	out_state_info(w, &ta->st);
	json_out_key(w, "user_cpu_usec");
	if (t)
		out_cpu(w, t->user);
	else
		json_out_null(w);
	json_out_key(w, "system_cpu_usec");
	if (t)
		out_cpu(w, t->sys);
	else
		json_out_null(w);
	json_out_key(w, "in_syscall");
	if (t && t->syscall_known)
		json_out_bool(w, t->in_syscall);
	else
		json_out_null(w);
	/* The values only read when T is there. */
	k_int_if(w, "syscall_nr",
		 t && t->syscall_known && t->in_syscall && t->syscall_nr >= 0,
		 t ? t->syscall_nr : 0);
	k_int_if(w, "signo", t && t->signo, t ? t->signo : 0);
	json_out_key(w, "registers");
	out_registers(w, a, t);
	k_int_if(w, "group", ta->group < a->ngroups, (int64_t)ta->group);
	json_out_key(w, "stack");
	out_stack(w, &ta->stack);
	json_out_close(w);
}

static json_t *json_groups(struct jctx *j)
{
	const struct cr_analysis *a = j->a;
	json_t *arr = json_array();
	for (size_t g = 0; g < a->ngroups && !j->oom; g++) {
		const struct cr_thread_group *grp = &a->groups[g];
		json_t *o = json_object(), *idx = json_array(),
		       *tids = json_array();
		for (size_t m = 0; m < grp->nmembers; m++) {
			size_t ti = grp->members[m];
			if (ti >= a->nthreads)
				continue;
			const struct cr_thread *t = a->threads[ti].thread;
			push(j, idx, jsize(ti));
			push(j, tids, t ? jid(t->tid) : json_null());
		}
		set(j, o, "threads", idx);
		set(j, o, "tids", tids);
		set(j, o, "count", jsize(grp->nmembers));
		push(j, arr, o);
	}
	return arr;
}

static json_t *json_modules(struct jctx *j)
{
	const struct cr_analysis *a = j->a;
	const struct cr_dump *d = a->dump;
	size_t n = a->nmodules < d->nmodules ? a->nmodules : d->nmodules;
	json_t *arr = json_array();
	for (size_t i = 0; i < n && !j->oom; i++) {
		const struct cr_module *m = &d->modules[i];
		const struct cr_module_analysis *ma = &a->modules[i];
		json_t *o = json_object();
		char *bid = report_build_id_hex(m);
		if (m->build_id && m->build_id_len && !bid)
			j->oom = true;
		set(j, o, "path", jstr(m->path));
		set(j, o, "base", jhex(m->base));
		set(j, o, "end", jhex(m->base + m->size));
		set(j, o, "size", jhex(m->size));
		set(j, o, "build_id", jstr(bid));
		set(j, o, "code_id", jstr(m->code_id));
		set(j, o, "debug_file", jstr(m->debug_file));
		set(j, o, "debug_id", jstr(m->debug_id));
		set(j, o, "version", jstr(m->version));
		set(j, o, "main", json_boolean(m->is_main));
		set(j, o, "file", jstr(ma->file));
		set(j, o, "file_found", json_boolean(ma->file != NULL));
		set(j, o, "host_file", json_boolean(ma->host_file));
		set(j, o, "debug_info_file", jstr(ma->debug_file));
		set(j, o, "debug_info_found", json_boolean(ma->debug_file != NULL));
		set(j, o, "has_debug_info", json_boolean(ma->has_debug_info));
		set(j, o, "mismatch", json_boolean(ma->mismatch));
		free(bid);
		push(j, arr, o);
	}
	return arr;
}

static json_t *json_unloaded(struct jctx *j)
{
	const struct cr_dump *d = j->a->dump;
	json_t *arr = json_array();
	for (size_t i = 0; i < d->nunloaded && !j->oom; i++) {
		const struct cr_module *m = &d->unloaded[i];
		uint64_t end;
		if (__builtin_add_overflow(m->base, m->size, &end))
			end = UINT64_MAX;
		json_t *o = json_object();
		set(j, o, "path", jstr(m->path));
		set(j, o, "base", jhex(m->base));
		set(j, o, "end", jhex(end));
		set(j, o, "size", jhex(m->size));
		set(j, o, "code_id", jstr(m->code_id));
		push(j, arr, o);
	}
	return arr;
}

static json_t *json_annotations(struct jctx *j)
{
	const struct cr_dump *d = j->a->dump;
	json_t *arr = json_array();
	for (size_t i = 0; i < d->nannotations && !j->oom; i++) {
		const struct cr_annotation *an = &d->annotations[i];
		json_t *o = json_object();
		set(j, o, "module", jstr(an->module));
		set(j, o, "key", jstr(an->key));
		set(j, o, "value", jstr(an->value ? an->value : ""));
		push(j, arr, o);
	}
	return arr;
}

static json_t *json_problems(struct jctx *j)
{
	static const char *const place[] = {
		[CR_PLACE_OFFSET] = "offset", [CR_PLACE_ADDRESS] = "address",
	};
	const struct cr_analysis *a = j->a;
	json_t *arr = json_array();
	struct report_problem_tmp tmp;
	for (size_t i = 0, n = report_nproblems(a); i < n; i++) {
		const struct cr_problem *p = report_problem(a, i, &tmp);
		json_t *o = json_object();
		set(j, o, "severity",
		    json_string(cr_severity_name(p->at.severity)));
		set(j, o, "source", json_string(cr_diag_source_name(p->at.source)));
		set(j, o, "origin", jstr(p->at.origin ? p->at.origin : "?"));
		if (p->at.place == CR_PLACE_OFFSET ||
		    p->at.place == CR_PLACE_ADDRESS)
			set(j, o, place[p->at.place], jhex(p->at.where));
		set(j, o, "text", jstr(p->text));
		push(j, arr, o);
	}
	return arr;
}

/* {"error": n, "warning": n, "information": n}: problems not kept. */
static json_t *json_problems_dropped(struct jctx *j)
{
	size_t per[CR_NSEVERITIES];
	report_problems_dropped(j->a, per);
	json_t *o = json_object();
	for (unsigned s = 0; s < CR_NSEVERITIES; s++)
		set(j, o, cr_severity_name((enum cr_severity)s),
		    json_integer((json_int_t)per[s]));
	return o;
}

/* One piece of evidence (schema 4): "kind", "label" and the kind's fields. */
static json_t *json_evidence(struct jctx *j, const struct cr_evidence *ev)
{
	json_t *o = json_object();
	set(j, o, "kind", json_string(cr_evidence_kind_name(ev->kind)));
	set(j, o, "label", jstr(ev->label ? ev->label : ""));
	switch (ev->kind) {
	case CR_EVIDENCE_THREAD:
		set(j, o, "thread", jsize(ev->u.thread));
		break;
	case CR_EVIDENCE_FRAME:
		set(j, o, "thread", jsize(ev->u.frame.thread));
		set(j, o, "frame", jsize(ev->u.frame.frame));
		break;
	case CR_EVIDENCE_ADDRESS:
		set(j, o, "address", jhex(ev->u.address.value));
		set(j, o, "where", jstr(ev->u.address.where));
		break;
	case CR_EVIDENCE_NUMBER:
		set(j, o, "value", json_integer(ev->u.number.value));
		set(j, o, "unit", jstr(ev->u.number.unit));
		break;
	case CR_EVIDENCE_TEXT:
	case CR_EVIDENCE_CODE:
		set(j, o, "text", jstr(ev->u.text ? ev->u.text : ""));
		break;
	case CR_EVIDENCE_TABLE: {
		const struct cr_table *t = &ev->u.table;
		json_t *heads = json_array(), *rows = json_array();
		for (size_t c = 0; c < t->ncols; c++)
			push(j, heads, jstr(t->headers[c] ? t->headers[c] : ""));
		for (size_t r = 0; r < t->nrows && !j->oom; r++) {
			json_t *row = json_array();
			for (size_t c = 0; c < t->ncols; c++)
				push(j, row, jstr(t->cells[r * t->ncols + c]));
			push(j, rows, row);
		}
		set(j, o, "headers", heads);
		set(j, o, "rows", rows);
		set(j, o, "marked_row", t->marked_row >= 0 &&
					(size_t)t->marked_row < t->nrows
					? json_integer(t->marked_row) : json_null());
		break;
	}
	}
	return o;
}

/* The findings in report order, errors first (schema 4). */
static json_t *json_findings(struct jctx *j)
{
	const struct cr_findings *fs = &j->a->findings;
	json_t *arr = json_array();
	size_t *order = fs->n ? calloc(fs->n, sizeof(*order)) : NULL;
	if (fs->n && !order) {
		j->oom = true;
		return arr;
	}
	if (order)
		cr_findings_order(fs, order);
	for (size_t k = 0; k < fs->n && !j->oom; k++) {
		const struct cr_finding *f = &fs->items[order[k]];
		const struct cr_finding_info *info = cr_finding_info(f->id);
		json_t *o = json_object(), *ev = json_array();
		set(j, o, "id", json_string(info ? info->id : "unknown"));
		set(j, o, "severity", json_string(cr_severity_name(f->severity)));
		set(j, o, "pass", jstr(f->pass));
		set(j, o, "title", jstr(f->title ? f->title : ""));
		set(j, o, "detail", jstr(f->detail));
		set(j, o, "thread", f->thread >= 0 ? json_integer(f->thread)
						   : json_null());
		set(j, o, "signature", jstr(f->signature));
		for (size_t e = 0; e < f->nevidence; e++)
			push(j, ev, json_evidence(j, &f->evidence[e]));
		set(j, o, "evidence", ev);
		set(j, o, "recommendation",
		    jstr(info && info->recommendation ? info->recommendation : ""));
		push(j, arr, o);
	}
	free(order);
	return arr;
}

/* A series report's dumps and per-thread timeline (analyzer/series.h). */
static json_t *json_series_thread(struct jctx *j, const struct cr_series *s,
				  const struct cr_series_thread *th)
{
	json_t *o = json_object();
	set(j, o, "tid", json_integer(th->tid));
	set(j, o, "name", jstr(th->name));
	set(j, o, "thread", th->thread >= 0 ? json_integer(th->thread) : json_null());
	set(j, o, "busy", json_boolean(th->busy));
	set(j, o, "stuck", json_boolean(th->stuck));
	json_t *cells = json_array();
	for (size_t i = 0; i < s->ndumps && !j->oom; i++) {
		const struct cr_series_cell *c = &th->cells[i];
		if (!c->present) {
			push(j, cells, json_null());
			continue;
		}
		json_t *co = json_object();
		set(j, co, "cpu_us", c->cpu_known && c->cpu_us <= (uint64_t)INT64_MAX
				     ? json_integer((json_int_t)c->cpu_us) : json_null());
		set(j, co, "state", json_string(cr_state_kind_id(c->state)));
		set(j, co, "function", jstr(c->function));
		push(j, cells, co);
	}
	set(j, o, "in_dumps", cells);
	return o;
}

static json_t *json_series(struct jctx *j, const struct cr_series *s)
{
	bool timed = s->clock != CR_SERIES_CLOCK_ORDER;
	bool epoch = s->clock == CR_SERIES_CLOCK_DUMP ||
		     s->clock == CR_SERIES_CLOCK_FILE;
	json_t *o = json_object();
	set(j, o, "clock", json_string(cr_series_clock_id(s->clock)));
	set(j, o, "span_s", timed ? json_real(s->span) : json_null());
	set(j, o, "cpu_threshold_percent", json_real(s->cpu_threshold * 100));
	set(j, o, "cpu_recorded", json_boolean(s->cpu_recorded));
	json_t *dumps = json_array();
	for (size_t i = 0; i < s->ndumps && !j->oom; i++) {
		json_t *d = json_object();
		set(j, d, "path", jstr(s->dumps[i].path));
		set(j, d, "time", epoch ? json_real(s->dumps[i].time) : json_null());
		set(j, d, "offset_s", timed ? json_real(s->dumps[i].time - s->dumps[0].time)
					    : json_null());
		push(j, dumps, d);
	}
	set(j, o, "dumps", dumps);
	json_t *threads = json_array();
	for (size_t t = 0; t < s->nthreads && !j->oom; t++)
		push(j, threads, json_series_thread(j, s, &s->threads[t]));
	set(j, o, "threads", threads);
	set(j, o, "heap", report_json_series_heap(j, s));
	return o;
}

/* Build the whole report object; NULL when out of memory. */
static json_t *json_report(const struct cr_analysis *a)
{
	struct jctx j = { .a = a };
	json_t *root = json_object();
	set(&j, root, "schema_version", json_integer(CR_REPORT_SCHEMA_VERSION));
	set(&j, root, "coroner_version", json_string(CR_VERSION));
	set(&j, root, "dump", json_dump_obj(&j));
	set(&j, root, "process", json_process(&j));
	set(&j, root, "summary", jstr(a->summary));
	set(&j, root, "crash", json_crash(&j));
	set(&j, root, "findings", json_findings(&j));
	set(&j, root, "findings_dropped", jsize(a->findings.dropped));
	set(&j, root, "focus_thread",
	    a->focus_thread >= 0 && (size_t)a->focus_thread < a->nthreads
		    ? json_integer(a->focus_thread) : json_null());
	/* The threads are written one at a time by report_json_write(). */
	set(&j, root, "threads", json_array());
	set(&j, root, "groups", json_groups(&j));
	set(&j, root, "modules", json_modules(&j));
	set(&j, root, "unloaded_modules", json_unloaded(&j));
	set(&j, root, "annotations", json_annotations(&j));
	set(&j, root, "address_space", report_json_address_space(&j));
	set(&j, root, "heap", report_json_heap(&j));
	set(&j, root, "problems", json_problems(&j));
	set(&j, root, "problems_dropped", json_problems_dropped(&j));
	/* Only in the report of a series of dumps. */
	const struct cr_series *series = cr_series_of(a);
	if (series)
		set(&j, root, "series", json_series(&j, series));
	if (j.oom) {
		json_decref(root);
		return NULL;
	}
	return root;
}

/*
 * The report as one jansson tree would be written, but the threads made
 * and written one at a time: the tree of 100,000 threads (a 5 KB
 * compressed core) took 1 GB.  The tree holds "threads": [] and the
 * threads go between its brackets; at two spaces of indent that key can
 * only be the top level's.
 */
struct cr_error *report_json_write(const struct cr_analysis *a, FILE *f)
{
	static const char key[] = "\n  \"threads\": []";
	json_t *root = json_report(a);
	if (!root)
		return &cr_enomem;
	struct cr_buf b = { 0 };
	report_json_text(&b, root, 0);
	char *text = cr_buf_steal(&b);
	json_decref(root);
	char *at = text ? strstr(text, key) : NULL;
	if (!at) {
		free(text);
		return &cr_enomem;
	}
	size_t open = (size_t)(at - text) + sizeof(key) - 3;	/* at '[' */
	fwrite(text, 1, open + 1, f);
	struct cr_buf tb = { 0 };
	struct json_out w;
	json_out_init(&w, &tb, 2);
	bool oom = false;
	for (size_t i = 0; i < a->nthreads && !oom; i++) {
		tb.len = 0;
		out_thread(&w, a, i);
		fputs(i ? ",\n    " : "\n    ", f);
		oom = tb.oom || fwrite(tb.p, 1, tb.len, f) != tb.len;
	}
	json_out_free(&w);
	cr_buf_free(&tb);
	if (a->nthreads)
		fputs("\n  ", f);
	fputs(text + open + 1, f);	/* "]" and the rest */
	free(text);
	if (oom)
		return &cr_enomem;
	if (fputc('\n', f) == EOF || ferror(f))
		return cr_error_new(CR_ERR_IO, "writing the JSON report failed");
	return NULL;
}
