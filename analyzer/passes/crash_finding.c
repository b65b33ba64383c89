/*
 * crash_finding.c - the crash as a finding: its title in words and its
 * evidence.
 *
 * Once the crash pass has filled a->crash, this file says it twice, from
 * the same facts: as a title that reads as the summary's sentence without
 * its subject ("Crashed with SIGSEGV (segmentation fault): a null-pointer
 * dereference at address 0x0 (null pointer)", "Aborted (SIGABRT) after the
 * assertion "x > 0" failed", "Was killed by SIGKILL sent by process 1"),
 * and as typed evidence: the crashing thread, the frame to blame (and
 * where the thread actually stopped, and its callers), the faulting
 * address and where it lies, the signal or exception and its code, the
 * sender, the abort message, the depth of a runaway recursion.  The
 * summary (summary.c) writes its first sentence from this finding when it
 * is the top one; reports print the evidence.  Everything is plain text.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mach.h"
#include "passes.h"
#include "util.h"

/* Callers named after the culprit frame ("called from a, from b"). */
#define CR_CRASH_CALLERS 2
/* Longest abort message quoted in the title. */
#define CR_TITLE_MESSAGE_MAX 300

/* How the title opens, per class ("Crashed with", "Aborted"). */
static const struct {
	enum cr_crash_class cls;
	const char *verb;
} class_verbs[] = {
	{ CR_CRASH_ABORT, "Aborted" },
	{ CR_CRASH_STACK_OVERFLOW, "Overflowed its stack" },
	{ CR_CRASH_KILLED, "Was killed" },
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

/* Quote an abort message on one line, cut at CR_TITLE_MESSAGE_MAX. */
static void put_message(FILE *f, const char *msg)
{
	size_t n = strlen(msg);
	fputc('"', f);
	for (size_t i = 0; i < n && i < CR_TITLE_MESSAGE_MAX; i++)
		fputc(msg[i] == '\n' || msg[i] == '\r' || msg[i] == '\t' ? ' ' : msg[i], f);
	if (n > CR_TITLE_MESSAGE_MAX)
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

/* A signal sent to the process killed it, whatever its class (a signal
 * it sent itself, a sender not recorded): it did not crash. */
static const char *class_verb(const struct cr_crash *c)
{
	for (size_t i = 0; i < ARRAY_LEN(class_verbs); i++)
		if (class_verbs[i].cls == c->cls)
			return class_verbs[i].verb;
	return c->sent ? "Was killed" : "Crashed";
}

/* The title: what happened, without who (the summary puts the process
 * first) and without where (that is the evidence). */
static void put_title(FILE *f, const struct cr_analysis *a)
{
	const struct cr_dump *d = a->dump;
	const struct cr_crash *c = &a->crash;
	const struct cr_thread_analysis *ta =
		c->thread >= 0 ? &a->threads[c->thread] : NULL;
	const char *assertion;
	int alen;

	fputs(class_verb(c), f);
	switch (c->cls) {
	case CR_CRASH_KILLED:
		fputs(" by ", f);
		if (d->event.kind == CR_EVENT_SIGNAL)
			put_event_name(f, d, c);
		else
			put_event(f, d, c);
		if (c->sender)
			fprintf(f, " sent by %s", c->sender);
		return;
	case CR_CRASH_STACK_OVERFLOW:
		fputs(" (", f);
		put_event_name(f, d, c);
		fputs(")", f);
		if (ta && ta->stack.nfolds) {
			fputs(": ", f);
			put_recursion(f, &ta->stack);
		}
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
}

/*
 * Where the faulting address lies, from the crash's address text
 * ("0x0 (null pointer)", "0x7ff0: in no mapped region"): the words after
 * the number, malloc'd; NULL when there are none.
 */
static char *address_where(const struct cr_crash *c)
{
	const char *t = c->address_text;
	size_t num = t ? strcspn(t, " :") : 0;

	if (!t || !t[num])
		return NULL;
	if (!strncmp(t + num, ": ", 2))
		return strdup(t + num + 2);
	if (!strncmp(t + num, " (", 2) && t[strlen(t) - 1] == ')')
		return strndup(t + num + 2, strlen(t + num + 2) - 1);
	return strdup(t + num);
}

/* The text of one put_* call on the crash, malloc'd (NULL: no memory). */
static char *event_text(const struct cr_dump *d, const struct cr_crash *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	put_event(f, d, c);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Where the crashing thread stopped: the culprit frame, where it really
 * stopped when the blame went to a caller, and the callers worth naming
 * (none for a stack overflow, whose callers are the recursion, nor for a
 * killed process, which did not fail there). */
static bool add_location(struct cr_finding *f, const struct cr_analysis *a)
{
	const struct cr_crash *c = &a->crash;
	size_t t = (size_t)c->thread;
	const struct cr_stack *s = &a->threads[t].stack;
	ssize_t w = cr_culprit_frame(s);
	bool ok = cr_finding_thread(f, c->cls == CR_CRASH_KILLED
				    ? CR_LABEL_RECEIVER : CR_LABEL_THREAD, t);

	if (w < 0)
		return ok;
	ok = ok && cr_finding_frame(f, CR_LABEL_WHERE, t, (size_t)w);
	if (w > 0 && s->frames[0].function)
		ok = ok && cr_finding_frame(f, CR_LABEL_STOPPED, t, 0);
	if (c->cls == CR_CRASH_KILLED || c->cls == CR_CRASH_STACK_OVERFLOW)
		return ok;
	ssize_t k = w;
	for (int n = 0; ok && n < CR_CRASH_CALLERS; n++) {
		k = cr_next_meaningful_frame(s, (size_t)k + 1);
		if (k < 0 || !s->frames[k].function)
			break;
		ok = cr_finding_frame(f, CR_LABEL_CALLER, t, (size_t)k);
	}
	return ok;
}

/* The longest recursion on the crashing thread's stack, in frames. */
static size_t recursion_depth(const struct cr_stack *s)
{
	size_t best = 0;

	for (size_t i = 0; i < s->nfolds; i++)
		if (s->folds[i].last - s->folds[i].first + 1 > best)
			best = s->folds[i].last - s->folds[i].first + 1;
	return best;
}

/*
 * SIGQUIT sent from outside is how a dump of a live process is asked for
 * (`kill -QUIT`, a hang detector; the JVM and Go print their threads on
 * it): the dump is taken on demand, and the process did nothing wrong by
 * receiving it.  What the dump shows is for the other passes to say, so
 * its "killed" finding is information.  Every other crash, and every other
 * sent signal (a watchdog's SIGABRT is a verdict), is an error.
 */
static enum cr_severity crash_severity(const struct cr_crash *c)
{
	if (c->sent && c->signal_name && strcmp(c->signal_name, "SIGQUIT") == 0)
		return CR_SEVERITY_INFO;
	return CR_SEVERITY_ERROR;
}

struct cr_error *cr_crash_finding(struct cr_pass_ctx *ctx,
				  enum cr_finding_id id)
{
	const struct cr_analysis *a = ctx->analysis;
	const struct cr_dump *d = a->dump;
	const struct cr_crash *c = &a->crash;
	char *title = NULL, *event = NULL, *where = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f = open_memstream(&title, &len);

	if (!f)
		return &cr_enomem;
	put_title(f, a);
	if (fclose(f) != 0) {
		free(title);
		return &cr_enomem;
	}
	struct cr_finding *fd = cr_pass_finding(ctx, id, crash_severity(c),
						"%s", title);
	free(title);
	if (!fd)
		return &cr_enomem;
	fd->thread = c->thread;
	if (c->thread >= 0 && !add_location(fd, a))
		goto out;
	if (c->address_known) {
		if (c->address_text && !(where = address_where(c)))
			goto out;
		if (!cr_finding_address(fd, "faulting address", c->address, where))
			goto out;
	}
	if (!(event = event_text(d, c)) ||
	    !cr_finding_text(fd, d->event.kind == CR_EVENT_SIGNAL
			     ? "signal" : "exception", "%s", event))
		goto out;
	if ((c->code_name || c->code_text) &&
	    !cr_finding_text(fd, "code", "%s%s%s%s",
			     c->code_name ? c->code_name : "",
			     c->code_name && c->code_text ? " (" : "",
			     c->code_text ? c->code_text : "",
			     c->code_name && c->code_text ? ")" : ""))
		goto out;
	if (c->sender && !cr_finding_text(fd, "sender", "%s", c->sender))
		goto out;
	if (c->abort_message &&
	    !cr_finding_text(fd, "abort message", "%s", c->abort_message))
		goto out;
	if (c->cls == CR_CRASH_STACK_OVERFLOW && c->thread >= 0) {
		size_t depth = recursion_depth(&a->threads[c->thread].stack);
		if (depth && !cr_finding_number(fd, "recursion depth",
						(int64_t)depth, "frames"))
			goto out;
	}
	ok = true;
out:
	free(event);
	free(where);
	return ok ? NULL : &cr_enomem;
}
