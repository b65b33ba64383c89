/*
 * summary.c - pass_summary: the paragraph at the top of every report, and
 * the crash signature.
 *
 * The paragraph says, in plain sentences, what happened and where:
 *   "python3 (pid 4242) crashed with SIGSEGV (segmentation fault): a
 *    null-pointer dereference at 0x0 (null pointer), in thread 4242 (main)
 *    at crash_null (crash.c:12) in _ctypes.so, called from ... . 8 threads;
 *    the other 7: 7 waiting on a lock."
 * Everything in it is plain text; the report writers escape it.
 *
 * "Where" is the first frame of the crashing thread that is not machinery:
 * abort/raise/assert helpers, signal trampolines and exception throwers
 * (skip_functions) and frames inside the C/C++ runtime and system
 * libraries (skip_modules: strlen crashing on a null argument is the
 * caller's bug).  If every frame is skipped, the first frame is used.
 *
 * The signature is a short grouping key in the spirit of Socorro's:
 * "<signal> <class id> <where>", e.g. "SIGSEGV null-pointer-dereference
 * crash_null"; "where" is the function, or module+offset without symbols.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mach.h"
#include "passes.h"
#include "util.h"

/* Distinct thread states listed in the summary before "and N more". */
#define CR_SUMMARY_STATE_KINDS 4
/* Callers named after "where" ("called from a, from b"). */
#define CR_SUMMARY_CALLERS 2
/* Longest abort message quoted in the summary. */
#define CR_SUMMARY_MESSAGE_MAX 300

/* Frames that are never the culprit. */
static const char *const skip_functions[] = {
	"abort", "raise", "gsignal", "__pthread_kill_implementation",
	"__pthread_kill_internal", "__pthread_kill", "pthread_kill",
	"__restore_rt", "__kernel_rt_sigreturn", "_sigtramp",
	/* the vdso's system call entry (i386 enters the kernel through it) */
	"__kernel_vsyscall", "__kernel_sigreturn",
	"__assert_fail", "__assert_fail_base", "__assert_perror_fail",
	"__libc_message", "__libc_fatal", "malloc_printerr",
	"__fortify_fail", "__chk_fail", "__stack_chk_fail",
	"std::terminate", "__cxxabiv1::__terminate",
	"__gnu_cxx::__verbose_terminate_handler", "__cxa_throw",
	"__cxa_rethrow", "_Unwind_RaiseException", "_Unwind_Resume",
	"RaiseException", "RaiseFailFastException", "_CxxThrowException",
	"__report_gsfailure", "_invoke_watson", "_invalid_parameter",
	"__fastfail", "KiUserExceptionDispatcher", "RtlRaiseException",
	"_assert", "_wassert",
	/* process and thread start-up: never the culprit, nor a caller worth naming */
	"_start", "__libc_start_main", "__libc_start_call_main", "start_thread",
	"__clone", "__clone3", "clone", "clone3", "thread_start",
	"BaseThreadInitThunk", "RtlUserThreadStart", "mainCRTStartup",
	"wmainCRTStartup", "WinMainCRTStartup", "__scrt_common_main_seh",
	"invoke_main",
};

/* Modules (file name prefixes, any case) whose frames are library code. */
static const char *const skip_modules[] = {
	"libc.so", "libc-", "libpthread", "ld-linux", "ld64.so", "linux-vdso",
	"linux-gate", "[vdso]",
	"libstdc++", "libc++", "libgcc_s", "libsystem_", "libSystem",
	"ntdll.dll", "kernelbase.dll", "kernel32.dll", "ucrtbase.dll",
	"msvcrt.dll", "vcruntime", "msvcp",
};

/* How the paragraph opens, per class ("crashed with", "aborted"). */
static const struct {
	enum cr_crash_class cls;
	const char *verb;
} class_verbs[] = {
	{ CR_CRASH_ABORT, "aborted" },
	{ CR_CRASH_STACK_OVERFLOW, "overflowed its stack" },
	{ CR_CRASH_KILLED, "was killed" },
};

/* How the fault address is introduced: si_addr of SIGFPE/SIGILL/SIGTRAP
 * is the instruction, not data. */
static const struct {
	enum cr_crash_class cls;
	const char *intro;
} address_intros[] = {
	{ CR_CRASH_ARITHMETIC, " at the instruction at " },
	{ CR_CRASH_ILLEGAL_INSN, " at " },	/* "an illegal instruction at 0x..." */
	{ CR_CRASH_BREAKPOINT, " at the instruction at " },
};

/* Classes whose words already say how the address was accessed: the
 * access verb of an access violation ("writing to address") would repeat
 * them. */
static const char *const access_said_classes[] = {
	"read-access-violation", "write-access-violation",
	"write-to-read-only-memory", "execute-non-executable-memory",
	"execute-unmapped-memory", "null-function-pointer-call",
};

static bool class_says_access(const char *class_id)
{
	for (size_t i = 0; class_id && i < ARRAY_LEN(access_said_classes); i++)
		if (!strcmp(class_id, access_said_classes[i]))
			return true;
	return false;
}

static bool is_skip_function(const char *fn)
{
	for (size_t i = 0; i < ARRAY_LEN(skip_functions); i++)
		if (cr_function_is(fn, skip_functions[i]))
			return true;
	return false;
}

static bool is_skip_module(const char *module)
{
	if (!module)
		return false;
	for (size_t i = 0; i < ARRAY_LEN(skip_modules); i++)
		if (!strncasecmp(module, skip_modules[i], strlen(skip_modules[i])))
			return true;
	return false;
}

/*
 * Index of the first frame from FROM on that is neither machinery nor
 * library code, or -1.
 */
static ssize_t next_meaningful(const struct cr_stack *s, size_t from)
{
	for (size_t i = from; i < s->nframes; i++) {
		const struct cr_frame *f = &s->frames[i];
		if (is_skip_function(f->function) || is_skip_module(f->module))
			continue;
		return (ssize_t)i;
	}
	return -1;
}

/* The frame the summary and signature name as "where"; -1 no frames. */
static ssize_t where_frame(const struct cr_stack *s)
{
	ssize_t i = next_meaningful(s, 0);
	if (i >= 0)
		return i;
	for (size_t k = 0; k < s->nframes; k++)
		if (!is_skip_function(s->frames[k].function))
			return (ssize_t)k;
	return s->nframes ? 0 : -1;
}

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

/* "0x7ffd: 24 bytes below ..." → "0x7ffd (24 bytes below ...)". */
static void put_address(FILE *f, const struct cr_crash *c)
{
	const char *t = c->address_text;
	const char *colon = t ? strstr(t, ": ") : NULL;

	if (colon && memchr(t, ' ', (size_t)(colon - t)))
		colon = NULL;	/* "0x10 (null pointer + 0x10: ...)" */
	if (!t)
		fprintf(f, "0x%" PRIx64, c->address);
	else if (colon)
		fprintf(f, "%.*s (%s)", (int)(colon - t), t, colon + 2);
	else
		fputs(t, f);
}

/*
 * A Mach exception the way Breakpad and rust-minidump print it:
 * "EXC_BAD_ACCESS / KERN_INVALID_ADDRESS", numbers for what has no name
 * ("0x00000000 / 0x00000000"), then what EXC_CRASH says about it
 * (", from EXC_CRASH on SIGABRT").
 */
static void put_mach_event_name(FILE *f, const struct cr_dump *d,
				const struct cr_crash *c)
{
	const struct cr_event *ev = &d->event;
	uint32_t orig_exc, orig_code;
	int signo;

	if (c->signal_name)
		fputs(c->signal_name, f);
	else
		fprintf(f, "0x%08" PRIx32, ev->exc_code);
	if (c->code_name)
		fprintf(f, " / %s", c->code_name);
	else
		fprintf(f, " / 0x%08" PRIx32, ev->exc_flags);
	if (cr_mach_exc_crash(ev, &orig_exc, &orig_code, &signo)) {
		const char *sig = cr_darwin_signal_name(signo);
		const char *ename, *cname, *text;
		cr_mach_exception_describe(orig_exc, &ename, &text);
		cr_mach_code_describe(orig_exc, d->process.arch, orig_code,
				      &cname, &text);
		if (ev->exc_code != CR_EXC_CRASH)
			fputs(", from EXC_CRASH", f);	/* Crashpad unwrapped it */
		else if (orig_exc && ename && cname)
			fprintf(f, ", wrapping %s / %s", ename, cname);
		else if (orig_exc && ename)
			fprintf(f, ", wrapping %s / 0x%05" PRIx32, ename, orig_code);
		else if (orig_exc)
			fprintf(f, ", wrapping exception %" PRIu32, orig_exc);
		if (sig)
			fprintf(f, " on %s", sig);
		else if (signo)
			fprintf(f, " on signal %d", signo);
	}
}

/* "SIGSEGV", "STATUS_STACK_BUFFER_OVERRUN, FAST_FAIL_...", "exception 0x...". */
static void put_event_name(FILE *f, const struct cr_dump *d,
			   const struct cr_crash *c)
{
	const struct cr_event *ev = &d->event;

	if (cr_dump_is_mach(d)) {
		put_mach_event_name(f, d, c);
		return;
	}
	if (c->signal_name)
		fputs(c->signal_name, f);
	else if (ev->kind == CR_EVENT_SIGNAL)
		fprintf(f, "signal %d", c->signo);
	else
		fprintf(f, "exception 0x%08" PRIX32, ev->exc_code);
	if (ev->kind == CR_EVENT_EXCEPTION && c->code_name)
		fprintf(f, ", %s", c->code_name);
}

/* "SIGSEGV (segmentation fault)"; exceptions by name only (the class
 * says what they mean), except ones the class cannot name. */
static void put_event(FILE *f, const struct cr_dump *d, const struct cr_crash *c)
{
	put_event_name(f, d, c);
	if (d->event.kind == CR_EVENT_SIGNAL) {
		const char *text = cr_signal_text(c->signo);
		if (text)
			fprintf(f, " (%s)", text);
	} else if (c->cls == CR_CRASH_OTHER && c->code_text &&
		   !cr_dump_is_mach(d)) {
		/* (Mach: the code's name and the class say it already.) */
		fprintf(f, " (%s)", c->code_text);
	}
}

/* Between the backquote and "' failed" of glibc's assert message. */
static bool assertion_text(const char *msg, const char **start, int *len)
{
	const char *a = msg ? strstr(msg, "Assertion `") : NULL;
	const char *e;

	if (!a)
		return false;
	a += strlen("Assertion `");
	e = strstr(a, "' failed");
	if (!e)
		return false;
	*start = a;
	*len = (int)(e - a);
	return true;
}

/* Quote an abort message on one line, cut at CR_SUMMARY_MESSAGE_MAX. */
static void put_message(FILE *f, const char *msg)
{
	size_t n = strlen(msg);
	fputc('"', f);
	for (size_t i = 0; i < n && i < CR_SUMMARY_MESSAGE_MAX; i++)
		fputc(msg[i] == '\n' || msg[i] == '\r' || msg[i] == '\t' ? ' ' : msg[i], f);
	if (n > CR_SUMMARY_MESSAGE_MAX)
		fputs("...", f);
	fputc('"', f);
}

/* "116,454 frames of recursion through a -> b" from the largest fold. */
static bool put_recursion(FILE *f, const struct cr_stack *s)
{
	const struct cr_fold *best = NULL;
	char buf[32];

	for (size_t i = 0; i < s->nfolds; i++)
		if (!best || s->folds[i].last - s->folds[i].first >
			     best->last - best->first)
			best = &s->folds[i];
	if (!best)
		return false;
	fprintf(f, "%s frames of recursion", cr_fmt_count(buf, best->last - best->first + 1));
	if (best->cycle)
		fprintf(f, " through %s", best->cycle);
	return true;
}

/* The category of a state: its text before " (" (see state.c). */
static size_t state_key_len(const char *state)
{
	const char *p = strstr(state, " (");
	return p ? (size_t)(p - state) : strlen(state);
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
		const char *s = a->threads[i].state;
		if (a->threads[i].crashed)
			continue;
		others++;
		if (!s) {
			unknown++;
			continue;
		}
		size_t k;
		for (k = 0; k < nkeys; k++) {
			const char *r = a->threads[first[k]].state;
			if (state_key_len(r) == state_key_len(s) &&
			    !strncmp(r, s, state_key_len(s)))
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
		const char *s = a->threads[first[0]].state;
		fprintf(f, "%s%.*s.", a->crash.thread >= 0 ? "; the other was " : ": ",
			(int)state_key_len(s), s);
		goto out;
	}
	if (nkeys == 1 && !unknown) {
		/* "; the other 9 were waiting on a condition variable." or
		 * ": all were waiting on a condition variable." */
		const char *s = a->threads[first[0]].state;
		if (a->crash.thread >= 0)
			fprintf(f, "; the other %s were ", cr_fmt_count(buf, others));
		else
			fputs(": all were ", f);
		fprintf(f, "%.*s.", (int)state_key_len(s), s);
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
		const char *s = a->threads[first[k]].state;
		fprintf(f, "%s%s %.*s", k ? ", " : "", cr_fmt_count(buf, count[k]),
			(int)state_key_len(s), s);
	}
	if (rest)
		fprintf(f, "%s%s %s", shown ? ", " : "", cr_fmt_count(buf, rest),
			shown < nkeys ? "in other states" : "in an unknown state");
	fputs(".", f);
out:
	free(count);
	free(first);
}

/* A signal sent to the process killed it, whatever its class (a signal
 * it sent itself, a sender not recorded): it did not crash. */
static const char *class_verb(const struct cr_crash *c)
{
	for (size_t i = 0; i < ARRAY_LEN(class_verbs); i++)
		if (class_verbs[i].cls == c->cls)
			return class_verbs[i].verb;
	return c->sent ? "was killed" : "crashed";
}

/* The main module's basename, to leave it out of "in <module>". */
static const char *main_module_name(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].is_main)
			return cr_basename(d->modules[i].path);
	return cr_basename(d->process.executable);
}

/* ", in thread 12 (main) at f (x.c:3), called from g (x.c:9)". */
static void put_location(FILE *f, const struct cr_analysis *a,
			 const struct cr_thread_analysis *ta, ssize_t w,
			 bool callers)
{
	const char *main_mod = main_module_name(a->dump);
	const struct cr_stack *s = &ta->stack;

	fputs(" in ", f);
	put_thread(f, ta->thread);
	if (w < 0)
		return;
	fputs(" at ", f);
	put_frame(f, &s->frames[w], main_mod);
	if (w > 0 && s->frames[0].function) {
		/* Blamed on the caller, but say where it actually stopped. */
		fputs(" (it stopped inside ", f);
		put_frame(f, &s->frames[0], main_mod);
		fputs(")", f);
	}
	if (!callers)
		return;
	ssize_t k = w;
	for (int n = 0; n < CR_SUMMARY_CALLERS; n++) {
		k = next_meaningful(s, (size_t)k + 1);
		if (k < 0 || !s->frames[k].function)
			break;
		fputs(n ? ", from " : ", called from ", f);
		put_frame(f, &s->frames[k], main_mod);
	}
}

static void put_crash(FILE *f, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	const struct cr_crash *c = &a->crash;
	const struct cr_thread_analysis *ta =
		c->thread >= 0 ? &a->threads[c->thread] : NULL;
	ssize_t w = ta ? where_frame(&ta->stack) : -1;
	const char *assertion;
	int alen;

	put_process(f, d);
	fprintf(f, " %s", class_verb(c));

	switch (c->cls) {
	case CR_CRASH_KILLED:
		fputs(" by ", f);
		if (d->event.kind == CR_EVENT_SIGNAL)
			put_event_name(f, d, c);
		else
			put_event(f, d, c);
		if (c->sender)
			fprintf(f, " sent by %s", c->sender);
		if (ta && w >= 0) {
			fputs("; ", f);
			put_thread(f, ta->thread);
			fputs(" was at ", f);
			put_frame(f, &ta->stack.frames[w], main_module_name(d));
		}
		fputs(".", f);
		return;
	case CR_CRASH_STACK_OVERFLOW:
		fputs(" (", f);
		put_event_name(f, d, c);
		fputs(")", f);
		if (ta && ta->stack.nfolds) {
			fputs(": ", f);
			put_recursion(f, &ta->stack);
		}
		if (ta) {
			fputs(",", f);
			put_location(f, a, ta, w, false);
		}
		fputs(".", f);
		return;
	case CR_CRASH_ABORT:
		fputs(" (", f);
		put_event_name(f, d, c);
		fputs(")", f);
		if (assertion_text(c->abort_message, &assertion, &alen))
			fprintf(f, " after the assertion \"%.*s\" failed", alen,
				assertion);
		else if (!strcmp(c->class_id, "assertion-failure"))
			fputs(" after an assertion failed", f);
		else if (strcmp(c->class_id, "abort"))
			fprintf(f, ": %s", c->class_text);
		if (c->abort_message && !assertion_text(c->abort_message, &assertion, &alen)) {
			/* "aborted (SIGABRT) with the message", but "aborted
			 * (SIGABRT): heap corruption ..., with the message" */
			fputs(strcmp(c->class_id, "abort") ? ", with the message "
			      : " with the message ", f);
			put_message(f, c->abort_message);
		}
		if (ta) {
			fputs(",", f);
			put_location(f, a, ta, w, true);
		}
		fputs(".", f);
		return;
	default:
		break;
	}

	fputs(" with ", f);
	put_event(f, d, c);
	fprintf(f, ": %s %s", strchr("aeiou", c->class_text[0]) ? "an" : "a",
		c->class_text);
	if (c->address_known) {
		const char *verb = NULL, *name = NULL;
		const struct cr_event *ev = &d->event;
		if (ev->kind == CR_EVENT_EXCEPTION && ev->exc_nparams >= 1 &&
		    !cr_dump_is_mach(d) && !class_says_access(c->class_id))
			cr_exception_access(ev->exc_code, ev->exc_params[0], &name, &verb);
		const char *intro = " at address ";
		for (size_t i = 0; i < ARRAY_LEN(address_intros); i++)
			if (address_intros[i].cls == c->cls)
				intro = address_intros[i].intro;
		fputs(verb && !strcmp(verb, "write") ? ", writing to address "
		      : verb && !strcmp(verb, "read") ? ", reading address "
		      : verb ? ", executing address " : intro, f);
		put_address(f, c);
	}
	if (c->sender && strcmp(c->class_id, "self-signal"))
		fprintf(f, ", sent by %s", c->sender);
	if (ta) {
		fputs(",", f);
		put_location(f, a, ta, w, true);
	}
	fputs(".", f);
}

static char *make_signature(const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	const struct cr_dump *d = a->dump;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

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
		ssize_t w = where_frame(s);
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

/*
 * pass_summary: a->summary and a->crash.signature.  Needs pass_crash and
 * pass_state.  Returns &cr_enomem when out of memory.
 */
struct cr_error *pass_summary(struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return &cr_enomem;
	if ((a->crash.cls == CR_CRASH_NONE || d->event.kind == CR_EVENT_NONE) &&
	    d->nthreads == 0) {
		/* Nothing recorded at all: a damaged dump, not a snapshot. */
		put_process(f, d);
		fputs(": the dump records no crash and no threads; it may be damaged (see the problems).", f);
		goto done;
	} else if (a->crash.cls == CR_CRASH_NONE || d->event.kind == CR_EVENT_NONE) {
		put_process(f, d);
		fputs(": the dump was taken on demand (no crash).", f);
	} else {
		put_crash(f, a);
	}
	put_thread_states(f, a);
done:
	if (fclose(f) != 0) {
		free(buf);
		return &cr_enomem;
	}
	free(a->summary);
	a->summary = buf;

	free(a->crash.signature);
	a->crash.signature = make_signature(a);
	if (!a->crash.signature)
		return &cr_enomem;
	return NULL;
}
