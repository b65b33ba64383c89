/*
 * progress.c - what `coroner batch` says while it works (batch.h).
 *
 * A terminal gets one status line redrawn in place ("\r", erase to the end
 * of the line) at most once a second and on every job done, so a batch of
 * 10,000 dumps does not scroll 10,000 lines past the user; a failed job
 * gets a line of its own that stays.  Anything else (a log file, a pipe
 * to a monitoring system) gets one plain line per job done, which greps
 * and timestamps well.  The rate is of the jobs done so far, the time left
 * that rate applied to the jobs not done: a rough figure, shown as one.
 */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "term.h"
#include "util.h"

void cr_batch_progress_begin(struct cr_batch_progress *p,
			     const struct cr_batch_run_options *o, size_t n)
{
	*p = (struct cr_batch_progress){
		.o = o, .n = n, .t0 = cr_mono_seconds(),
		.tty = o->progress && isatty(STDERR_FILENO),
	};
}

/* "3.1/s, about 61 s left" into BUF; empty before the first job is done. */
static void rate_text(const struct cr_batch_progress *p, char *buf, size_t len)
{
	double dt = cr_mono_seconds() - p->t0;
	buf[0] = '\0';
	if (p->done == 0 || dt <= 0)
		return;
	double rate = (double)p->done / dt;
	double left = (double)(p->n - p->done) / rate;
	if (p->done < p->n)
		snprintf(buf, len, "%.1f/s, about %.0f s left", rate, left);
	else
		snprintf(buf, len, "%.1f/s", rate);
}

static void status_line(struct cr_batch_progress *p)
{
	char rate[64];
	rate_text(p, rate, sizeof(rate));
	char *line = cr_strdup_printf("coroner batch: %s %zu/%zu%s%s%s%s%s",
				      p->o->what, p->done, p->n,
				      rate[0] ? " (" : "", rate, rate[0] ? ")" : "",
				      p->current ? ": " : "",
				      p->current ? p->current : "");
	char *safe = line ? cr_term_safe(line) : NULL;
	if (safe) {
		/* Cut to a usual terminal's width: a wrapped line is not
		 * redrawn in place. */
		fprintf(stderr, "\r\033[K%.100s", safe);
		fflush(stderr);
	}
	free(safe);
	free(line);
	p->shown = cr_mono_seconds();
}

void cr_batch_progress_start(struct cr_batch_progress *p,
			     const struct cr_batch_job *job)
{
	p->current = job->paths[0];
}

void cr_batch_progress_done(struct cr_batch_progress *p,
			    const struct cr_batch_job *job)
{
	p->done++;
	if (!p->o->progress)
		return;
	if (p->tty) {
		if (job->failure) {
			fputs("\r\033[K", stderr);
			cr_term_printf(stderr, "coroner batch: %s: failed: %s",
				       job->paths[0], job->failure);
		}
		status_line(p);
		return;
	}
	char rate[64];
	rate_text(p, rate, sizeof(rate));
	cr_term_printf(stderr, "coroner batch: %s %zu/%zu (%s): %s%s%s",
		       p->o->what, p->done, p->n, rate, job->paths[0],
		       job->failure ? ": failed: " : "",
		       job->failure ? job->failure : "");
}

void cr_batch_progress_tick(struct cr_batch_progress *p)
{
	if (p->tty && cr_mono_seconds() - p->shown >= 1)
		status_line(p);
}

void cr_batch_progress_end(struct cr_batch_progress *p)
{
	if (p->tty && p->shown > 0) {
		status_line(p);
		fputc('\n', stderr);
	}
}
