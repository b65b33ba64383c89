/*
 * elfcore_coroner.c - coroner's own note in a core (owner "CORONER",
 * elfcore_notes.h, docs/core-note.md): what `coroner collect` records that
 * the kernel's notes have no place for.
 *
 * The note is read like every other part of the file: sizes from the file
 * are checked, a short note is a problem and is skipped.  Its facts take
 * precedence over the kernel notes' where both say the same thing with
 * different precision (the command line: pr_psargs is cut at 80 bytes).
 */
#include "elfcore_private.h"
#include "elfcore_notes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Facts shown from the text notes: the first line of each. */
static const struct {
	uint32_t type;
	const char *name;
} text_facts[] = {
	{ CR_NT_CGROUP, "Control group" },
};

#define CR_MAX_NOTE_TEXT (1u << 20)	/* bytes of one text note kept */

static void short_note(struct ec *ec, uint32_t type,
		       const struct cr_cursor *desc)
{
	cr_dump_problem_at(ec->d, CR_AT_OFFSET(CR_SEVERITY_WARNING, desc->file_off),
			   "note %zu (CORONER type %u) at offset 0x%llx: %zu bytes, too short; ignored",
			   ec->note_index, type,
			   (unsigned long long)desc->file_off, desc->len);
}

static void note_times(struct ec *ec, const struct cr_cursor *desc)
{
	if (desc->len < CR_NT_TIMES_SIZE) {
		short_note(ec, CR_NT_TIMES, desc);
		return;
	}
	uint64_t *fields[] = { &ec->wall_ns, &ec->boot_ns, &ec->start_ns,
			       &ec->user_us, &ec->sys_us };
	for (size_t i = 0; i < ARRAY_LEN(fields); i++)
		cr_cursor_peek(desc, i * 8, 8, fields[i]);
	ec->have_times = true;
}

static void note_thread(struct ec *ec, const struct cr_cursor *desc)
{
	if (desc->len < CR_NT_THREAD_FIXED) {
		short_note(ec, CR_NT_THREAD, desc);
		return;
	}
	if (ec->nnames >= CR_MAX_THREADS)
		return;
	if (ec->nnames == ec->names_cap) {
		size_t cap = ec->names_cap ? ec->names_cap * 2 : 8;
		struct ec_thread_name *n = realloc(ec->names, cap * sizeof(*n));
		if (!n) {
			cr_dump_oom(ec->d, "thread names (CORONER note)");
			return;
		}
		ec->names = n;
		ec->names_cap = cap;
	}
	struct ec_thread_name *n = &ec->names[ec->nnames];
	uint64_t v;
	cr_cursor_peek(desc, 0, 8, &v);
	n->tid = (int64_t)v;
	cr_cursor_peek(desc, 8, 1, &v);
	n->state = (char)v;
	n->name = NULL;
	struct cr_cursor c = *desc;
	struct cr_error *err = cr_cursor_seek(&c, CR_NT_THREAD_FIXED);
	if (!err && cr_cursor_left(&c) > 0)
		err = cr_cursor_cstr(&c, 64, &n->name);
	cr_error_free(err);
	if (n->name && !n->name[0]) {
		free(n->name);
		n->name = NULL;
	}
	ec->nnames++;
}

/* The bytes of DESC (at most CR_MAX_NOTE_TEXT), through the cursor. */
static const uint8_t *note_bytes(const struct cr_cursor *desc, size_t *len)
{
	struct cr_cursor c = *desc;
	const uint8_t *p = NULL;
	*len = desc->len < CR_MAX_NOTE_TEXT ? desc->len : CR_MAX_NOTE_TEXT;
	struct cr_error *err = cr_cursor_bytes(&c, *len, &p);
	if (err) {
		cr_error_free(err);
		*len = 0;
	}
	return p;
}

/* The NUL-separated arguments of DESC joined by spaces. */
static void note_cmdline(struct ec *ec, const struct cr_cursor *desc)
{
	size_t len;
	const uint8_t *b = note_bytes(desc, &len);
	while (len > 0 && b[len - 1] == 0)
		len--;
	if (len == 0)
		return;
	char *s = malloc(len + 1);
	if (!s) {
		cr_dump_oom(ec->d, "the command line (CORONER note)");
		return;
	}
	for (size_t i = 0; i < len; i++)
		s[i] = b[i] ? (char)b[i] : ' ';
	s[len] = 0;
	free(ec->d->process.command_line);
	ec->d->process.command_line = s;
}

static void note_environ(struct ec *ec, const struct cr_cursor *desc)
{
	size_t len, n = 0;
	const uint8_t *b = note_bytes(desc, &len);
	for (size_t i = 0; i < len; i++)
		n += b[i] == 0;
	cr_dump_fact(ec->d, "Environment", "%zu variables recorded", n);
}

static void note_text(struct ec *ec, uint32_t type,
		      const struct cr_cursor *desc)
{
	for (size_t i = 0; i < ARRAY_LEN(text_facts); i++) {
		if (text_facts[i].type != type)
			continue;
		size_t len, n = 0;
		const uint8_t *b = note_bytes(desc, &len);
		while (n < len && n < 4096 && b[n] && b[n] != '\n')
			n++;
		if (n > 0)
			cr_dump_fact(ec->d, text_facts[i].name, "%.*s", (int)n,
				     (const char *)b);
	}
}

void elfcore_note_coroner(struct ec *ec, uint32_t type,
			  const struct cr_cursor *desc)
{
	ec->coroner = true;
	switch (type) {
	case CR_NT_TIMES:
		note_times(ec, desc);
		break;
	case CR_NT_THREAD:
		note_thread(ec, desc);
		break;
	case CR_NT_CMDLINE:
		note_cmdline(ec, desc);
		break;
	case CR_NT_ENVIRON:
		note_environ(ec, desc);
		break;
	default:	/* status, limits: kept in the file for people */
		note_text(ec, type, desc);
		break;
	}
}

static int cmp_name(const void *x, const void *y)
{
	const struct ec_thread_name *a = x, *b = y;
	return a->tid < b->tid ? -1 : a->tid > b->tid;
}

void elfcore_coroner_finish(struct ec *ec)
{
	struct cr_dump *d = ec->d;
	if (!ec->coroner)
		return;
	if (ec->have_times) {
		/* Times past INT64_MAX ns (year 2262) are not believed. */
		if (ec->wall_ns > 0 && ec->wall_ns <= INT64_MAX) {
			d->process.dump_time = (int64_t)(ec->wall_ns / 1000000000u);
			d->process.dump_time_nsec = (int64_t)(ec->wall_ns % 1000000000u);
		}
		if (ec->start_ns > 0 && ec->start_ns <= INT64_MAX)
			d->process.start_time = (int64_t)(ec->start_ns / 1000000000u);
		d->process.user = (struct cr_cpu_time){ true, ec->user_us };
		d->process.sys = (struct cr_cpu_time){ true, ec->sys_us };
	}
	/* Sorted and searched: both lists come from the file and may each
	 * be CR_MAX_THREADS long. */
	if (ec->nnames == 0)
		return;
	qsort(ec->names, ec->nnames, sizeof(*ec->names), cmp_name);
	for (size_t j = 0; j < d->nthreads; j++) {
		struct cr_thread *t = &d->threads[j];
		struct ec_thread_name key = { .tid = t->tid };
		struct ec_thread_name *n = bsearch(&key, ec->names, ec->nnames,
						   sizeof(*ec->names), cmp_name);
		if (n && n->name && !t->name) {
			t->name = n->name;
			n->name = NULL;
		}
	}
}

void elfcore_coroner_free(struct ec *ec)
{
	for (size_t i = 0; i < ec->nnames; i++)
		free(ec->names[i].name);
	free(ec->names);
}
