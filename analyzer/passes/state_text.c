/*
 * state_text.c - a thread's state (struct cr_thread_state) in words: the
 * one place the sentence a report shows is made from the data pass_state
 * filled, so that no reader of the sentence ever has to parse it back.
 *
 * The sentence is "what (details)": the rule's activity or the kind's own
 * words, then the wait object, the decoded system call arguments and where
 * the thread is ("in __lll_lock_wait", "in system call read on fd 5"):
 *
 *   waiting on a lock (mutex 0x55d0c0a010e0, FUTEX_WAIT_PRIVATE, no
 *   timeout, in __lll_lock_wait)
 *
 * Futex operations are named as strace names them (FUTEX_WAIT_PRIVATE,
 * FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME), from <linux/futex.h>.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "strbuf.h"
#include "util.h"

/* Kind -> stable id (JSON, an enum in docs/report-schema.json) and the
 * words a sentence starts with when the rule gave no activity. */
static const struct {
	enum cr_state_kind kind;
	const char *id;
	const char *words;
} state_kinds[] = {
	{ CR_STATE_UNKNOWN, "unknown", "in an unknown state" },
	{ CR_STATE_RUNNING, "running", "running" },
	{ CR_STATE_SYSCALL, "in-system-call", "in a system call" },
	{ CR_STATE_LOCK, "blocked-on-lock", "waiting on a lock" },
	{ CR_STATE_CONDVAR, "waiting-on-condition-variable", "waiting on a condition variable" },
	{ CR_STATE_SEMAPHORE, "waiting-on-semaphore", "waiting on a semaphore" },
	{ CR_STATE_EVENT, "waiting-on-event", "waiting on an event or object" },
	{ CR_STATE_SLEEPING, "sleeping", "sleeping" },
	{ CR_STATE_IO, "waiting-for-io", "waiting for I/O" },
	{ CR_STATE_POOL_IDLE, "idle-in-pool", "idle thread-pool worker" },
	{ CR_STATE_CHILD, "waiting-for-child", "waiting for a child process" },
	{ CR_STATE_SIGNAL, "waiting-for-signal", "waiting for a signal" },
	{ CR_STATE_CRASHED, "crashed", "crashed here" },
};

_Static_assert(ARRAY_LEN(state_kinds) == CR_STATE_KIND_COUNT,
	       "every state kind has an id");

const char *cr_state_kind_id(enum cr_state_kind k)
{
	for (size_t i = 0; i < ARRAY_LEN(state_kinds); i++)
		if (state_kinds[i].kind == k)
			return state_kinds[i].id;
	return "unknown";
}

/* Argument kind -> stable id (JSON). */
static const char *const arg_kind_ids[] = {
	[CR_ARG_INT] = "int",
	[CR_ARG_HEX] = "hex",
	[CR_ARG_FD] = "fd",
	[CR_ARG_ADDRESS] = "address",
	[CR_ARG_FUTEX_OP] = "futex-op",
	[CR_ARG_TIMEOUT] = "timeout",
	[CR_ARG_TIMEOUT_MS] = "timeout-ms",
	[CR_ARG_DURATION_NS] = "duration-ns",
};

const char *cr_arg_kind_id(enum cr_arg_kind k)
{
	if ((size_t)k < ARRAY_LEN(arg_kind_ids) && arg_kind_ids[k])
		return arg_kind_ids[k];
	return "int";
}

const char *cr_thread_state_phrase(const struct cr_thread_state *s)
{
	if (s->activity)
		return s->activity;
	for (size_t i = 0; i < ARRAY_LEN(state_kinds); i++)
		if (state_kinds[i].kind == s->kind)
			return state_kinds[i].words;
	return "in an unknown state";
}

/* futex(2) operations (<linux/futex.h>, FUTEX_CMD_MASK = 0x7f). */
static const char *const futex_cmds[] = {
	[0] = "FUTEX_WAIT",
	[1] = "FUTEX_WAKE",
	[2] = "FUTEX_FD",
	[3] = "FUTEX_REQUEUE",
	[4] = "FUTEX_CMP_REQUEUE",
	[5] = "FUTEX_WAKE_OP",
	[6] = "FUTEX_LOCK_PI",
	[7] = "FUTEX_UNLOCK_PI",
	[8] = "FUTEX_TRYLOCK_PI",
	[9] = "FUTEX_WAIT_BITSET",
	[10] = "FUTEX_WAKE_BITSET",
	[11] = "FUTEX_WAIT_REQUEUE_PI",
	[12] = "FUTEX_CMP_REQUEUE_PI",
	[13] = "FUTEX_LOCK_PI2",
};
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK 0x7f

void cr_futex_op_text(uint64_t op, char *buf, size_t len)
{
	uint64_t cmd = op & FUTEX_CMD_MASK;
	uint64_t rest = op & ~(uint64_t)(FUTEX_CMD_MASK | FUTEX_PRIVATE_FLAG |
					 FUTEX_CLOCK_REALTIME);
	const char *name = cmd < ARRAY_LEN(futex_cmds) ? futex_cmds[cmd] : NULL;

	if (!name || rest) {
		snprintf(buf, len, "futex op 0x%" PRIx64, op);
		return;
	}
	snprintf(buf, len, "%s%s%s", name,
		 op & FUTEX_PRIVATE_FLAG ? "_PRIVATE" : "",
		 op & FUTEX_CLOCK_REALTIME ? "|FUTEX_CLOCK_REALTIME" : "");
}

/* ", " between details, "" before the first. */
static void sep(struct cr_buf *f, bool *first)
{
	if (!*first)
		cr_buf_puts(f, ", ");
	*first = false;
}

/* "for 10 s", "for 0.25 s", "3,599.899 s left" (to the millisecond, or
 * in nanoseconds below one), by the argument's name (state.c). */
static void put_duration(struct cr_buf *f, const struct cr_syscall_arg *arg)
{
	char buf[32], frac[8];
	uint64_t sec = arg->value / 1000000000u;
	uint64_t ms = arg->value % 1000000000u / 1000000u;
	bool left = !strcmp(arg->name, "remaining");
	size_t n;

	if (!left)
		cr_buf_puts(f, "for ");
	if (arg->value < 1000000u) {
		cr_buf_printf(f, "%s ns", cr_fmt_count(buf, arg->value));
	} else {
		cr_buf_puts(f, cr_fmt_count(buf, sec));
		if (ms) {
			snprintf(frac, sizeof(frac), "%03" PRIu64, ms);
			for (n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
				frac[n - 1] = 0;
			cr_buf_printf(f, ".%s", frac);
		}
		cr_buf_puts(f, " s");
	}
	if (left)
		cr_buf_puts(f, " left");
}

/* One decoded argument, as a detail ("FUTEX_WAIT_PRIVATE", "no timeout",
 * "nfds 3").  The fd and the wait object are told elsewhere. */
static void put_arg(struct cr_buf *f, const struct cr_syscall_arg *arg, bool *first)
{
	char buf[64];
	int64_t v = (int64_t)arg->value;

	switch (arg->kind) {
	case CR_ARG_FD:
		return;
	case CR_ARG_FUTEX_OP:
		cr_futex_op_text(arg->value, buf, sizeof(buf));
		sep(f, first);
		cr_buf_puts(f, buf);
		return;
	case CR_ARG_TIMEOUT:
		sep(f, first);
		cr_buf_puts(f, arg->value ? "with a timeout" : "no timeout");
		return;
	case CR_ARG_TIMEOUT_MS:
		sep(f, first);
		if (v < 0)
			cr_buf_puts(f, "no timeout");
		else
			cr_buf_printf(f, "timeout %s ms", cr_fmt_count(buf, (uint64_t)v));
		return;
	case CR_ARG_DURATION_NS:
		sep(f, first);
		put_duration(f, arg);
		return;
	case CR_ARG_INT:
		sep(f, first);
		cr_buf_printf(f, "%s %" PRId64, arg->name, v);
		return;
	case CR_ARG_HEX:
		if (!arg->value)	/* no flags: nothing to tell */
			return;
		sep(f, first);
		cr_buf_printf(f, "%s 0x%" PRIx64, arg->name, arg->value);
		return;
	case CR_ARG_ADDRESS:
		/* A buffer or timespec address means nothing to a reader;
		 * it is in the JSON.  The wait object is told first. */
		return;
	}
}

/* "in system call read", "in system call 999", "in a system call". */
static void put_call(struct cr_buf *f, const struct cr_thread_state *s)
{
	if (s->syscall_name)
		cr_buf_printf(f, "in system call %s", s->syscall_name);
	else if (s->syscall_nr >= 0)
		cr_buf_printf(f, "in system call %" PRId64, s->syscall_nr);
	else
		cr_buf_puts(f, "in a system call");
}

static const struct cr_syscall_arg *fd_arg(const struct cr_thread_state *s)
{
	for (unsigned i = 0; i < s->nargs && i < CR_STATE_MAX_ARGS; i++)
		if (s->args[i].kind == CR_ARG_FD && (int64_t)s->args[i].value >= 0)
			return &s->args[i];
	return NULL;
}

/* Whether ARG is the wait object, already told as "mutex 0x...". */
static bool is_wait_object(const struct cr_thread_state *s,
			   const struct cr_syscall_arg *arg)
{
	return s->wait_object_known && arg->kind == CR_ARG_ADDRESS &&
	       arg->value == s->wait_object;
}

/* The details inside the parentheses; nothing when there are none. */
static void put_details(struct cr_buf *f, const struct cr_thread_state *s)
{
	const struct cr_syscall_arg *fd = fd_arg(s);
	bool first = true;

	if (s->wait_object_known) {
		sep(f, &first);
		cr_buf_printf(f, "%s 0x%" PRIx64,
			s->wait_object_what ? s->wait_object_what : "object",
			s->wait_object);
	}
	for (unsigned i = 0; i < s->nargs && i < CR_STATE_MAX_ARGS; i++)
		if (!is_wait_object(s, &s->args[i]))
			put_arg(f, &s->args[i], &first);
	bool where = true;
	if (s->function) {
		sep(f, &first);
		cr_buf_printf(f, "in %s", s->function);
	} else if (s->syscall_known && !(s->kind == CR_STATE_SYSCALL &&
					 !s->activity)) {
		sep(f, &first);
		put_call(f, s);
	} else {
		where = false;
	}
	/* "in system call read on fd 5", or "fd 5" alone */
	if (fd && where) {
		cr_buf_printf(f, " on fd %" PRId64, (int64_t)fd->value);
	} else if (fd) {
		sep(f, &first);
		cr_buf_printf(f, "fd %" PRId64, (int64_t)fd->value);
	}
}

/* The details as a string ("" when there are none); NULL out of memory. */
static char *details_text(const struct cr_thread_state *s)
{
	struct cr_buf b = { 0 };
	put_details(&b, s);
	return cr_buf_steal(&b);
}

/* The sentence without the received signal; false when out of memory. */
static bool put_state(struct cr_buf *f, const struct cr_thread_state *s)
{
	char *details;

	if (s->kind == CR_STATE_CRASHED) {
		cr_buf_puts(f, cr_thread_state_phrase(s));
		return true;
	}
	if (s->kind == CR_STATE_RUNNING && !s->syscall_known) {
		cr_buf_puts(f, "running (not in a system call)");
		return true;
	}
	if (s->stack_missing) {
		cr_buf_puts(f, "in an unknown state (its stack memory is not in the dump");
		if (s->syscall_known) {
			cr_buf_puts(f, "; stopped ");
			put_call(f, s);
		}
		/* its arguments are in the JSON; the sentence stays short */
		cr_buf_puts(f, ")");
		return true;
	}
	details = details_text(s);
	if (!details)
		return false;
	if (s->kind == CR_STATE_SYSCALL && !s->activity) {
		/* The call is the whole news: "in system call getpid". */
		put_call(f, s);
		if (*details)
			cr_buf_printf(f, " (%s)", details);
	} else {
		cr_buf_puts(f, cr_thread_state_phrase(s));
		if (*details)
			cr_buf_printf(f, " (%s)", details);
	}
	free(details);
	return true;
}

bool cr_thread_state_known(const struct cr_thread_state *s)
{
	return s->kind != CR_STATE_UNKNOWN || s->syscall_known ||
	       s->stack_missing || s->received.known;
}

char *cr_thread_state_text(const struct cr_thread_state *s)
{
	struct cr_buf b = { 0 }, *f = &b;
	bool ok = true;

	if (s->received.known) {
		if (s->received.signal)
			cr_buf_printf(f, "received %s", s->received.signal);
		else if (s->received.signo > 0)
			cr_buf_printf(f, "received signal %d", s->received.signo);
		else
			cr_buf_puts(f, "received a signal");
		if (s->received.from)
			cr_buf_printf(f, " from %s", s->received.from);
		else if (s->received.signo > 0)
			cr_buf_puts(f, " (sender not recorded)");
		if (s->kind != CR_STATE_UNKNOWN || s->stack_missing) {
			cr_buf_puts(f, " while ");
			ok = put_state(f, s);
		}
	} else {
		ok = put_state(f, s);
	}
	char *text = cr_buf_steal(&b);
	if (!ok) {
		free(text);
		return NULL;
	}
	return text;
}
