/*
 * worker.c - jobs in worker processes, N at a time (batch.h).
 *
 * Why processes: a dump is untrusted input, and one that makes the
 * analysis crash, loop or eat the machine must cost that dump only.  Why
 * long-lived ones: a worker keeps its file cache (symbol tables of the
 * programs and libraries, Breakpad and PE files: analyzer/symbols/
 * file_cache.h) across the dumps it analyzes, so 200 dumps of one program
 * read libc's symbols once per worker, and no process is started per dump.
 *
 * The parent writes a job's index (the child has the jobs: it was forked
 * after they were made) to the worker's job pipe; the worker does the job
 * and writes one JSON line to its result pipe; the newline ends the job.
 * A worker holds up to O->queue jobs at a time (its queue, in the pipe):
 * it starts the next as soon as it sent a result, without waiting for the
 * parent to read it and answer.  With one job at a time, a worker waited
 * for that round trip after every job, and with two workers on two cores
 * the parent had to be scheduled between them first: 10% of a worker's
 * time at -j 2 (200 cores, 2.3 ms each).  The jobs a worker holds are done
 * in order, so the first is the one in hand and the next starts when it
 * ended.  The worker puts its job's start and elapsed time (CLOCK_MONOTONIC,
 * the same in every process) in the result line: a job counts from when
 * the worker could begin it (job_start: when it was sent, or when the job
 * before ended, the later), in the worker and in the parent alike.  A job
 * that took longer than --timeout fails as timed out, however late the
 * parent reads its line; the worker itself checks the limit before it
 * renames the job's reports into place (job.c), so such a job replaced no
 * report.
 * The parent waits on all result pipes with poll(), with the earliest
 * deadline as its timeout, and SIGKILLs a worker past its job's deadline
 * (--timeout: a job that hangs) or over --max-memory (its anonymous
 * resident memory, from /proc/PID/statm, looked at every MEMORY_POLL
 * seconds; docs/batch.md says why not an rlimit).  A job with no result line (the worker crashed, was
 * killed, ran out of memory) fails with what waitpid says, the jobs queued
 * behind it go back to the list (never begun, they are not retries), and
 * the next job gets a new worker.  The results are small (a few hundred
 * bytes), so each is read whole into memory.
 *
 * SIGINT and SIGTERM: the parent stops starting jobs, kills the running
 * ones and returns; their jobs stay not done, so the store does not record
 * a failure that was only the user's Ctrl-C, and the next run does them.
 */
#include "batch.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "util.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Seconds between two looks at the workers' memory (--max-memory). */
#define MEMORY_POLL 0.05

/* The longest result line a worker may send (job.c caps each string of
 * it at CR_BATCH_STRING_MAX, so a real one is a few KiB). */
#define RESULT_MAX 65536

/* The most jobs a worker holds at a time (cr_batch_run_options.queue). */
#define QUEUE_MAX 8

/* What the parent writes to a worker's job pipe: the job's index (past
 * the last job: stop) and when it was sent, from which its time limit
 * counts when the worker was idle. */
struct job_msg {
	uint64_t index;
	double sent;		/* monotonic seconds */
};

struct worker {
	pid_t pid;		/* 0: none running */
	unsigned ndone;		/* jobs this process finished */
	int job_fd;		/* the parent writes job messages here */
	int res_fd;		/* and reads result lines here */
	/* The jobs given to it, in order: q[0] in hand (NULL when idle),
	 * the others waiting in its pipe; sent[i]: when q[i] was sent. */
	struct cr_batch_job *q[QUEUE_MAX];
	double sent[QUEUE_MAX];
	unsigned nq;
	double last_end;	/* when its last job ended, as it said */
	double deadline;	/* of q[0], monotonic seconds, INFINITY none */
	struct cr_buf out;
	const char *killed;	/* why the parent killed it: "timeout", "memory",
				 * "long" (a result line past RESULT_MAX); or
				 * "late": a result whose job took longer
				 * than --timeout (finish) */
};

/*
 * When a job begins, as both sides count it: when the worker could begin
 * it, the later of when it was SENT and when the job before ended (LAST,
 * as the worker says in its result line; 0 none).  The parent cannot see
 * the worker read its pipe, and the worker goes on to its next job as it
 * sends a result; this instant is known to both, so the parent's kill and
 * the worker's own check (cr_batch_late) use one deadline.
 */
static double job_start(double sent, double last)
{
	return sent > last ? sent : last;
}

bool cr_batch_late(struct cr_batch_job *job)
{
	job->ended = cr_mono_seconds();
	return job->limit > 0 && job->ended - job->started > job->limit;
}

/* The worker's loop: a job message in, a result line out, until EOF.
 * LIMIT: --timeout (0 none); TRIM: hand freed memory back after each job
 * (--max-memory). */
static void serve(struct cr_batch_job *jobs, size_t n, int job_fd, int res_fd,
		  cr_batch_child_fn fn, void *ctx, double limit, bool trim)
{
	double last = 0;
	for (;;) {
		struct job_msg m;
		ssize_t got = read(job_fd, &m, sizeof(m));
		if (got < 0 && errno == EINTR)
			continue;
		if (got != (ssize_t)sizeof(m) || m.index >= n)
			return;
		struct cr_batch_job *job = &jobs[m.index];
		job->limit = limit;
		job->started = job_start(m.sent, last);
		job->ended = 0;
		fn(job, res_fd, ctx);
		last = job->ended;
		/* What the job freed goes back to the system, so that the
		 * next job is not measured with it (--max-memory).  Only
		 * then: trimming is about 30 madvise() calls per job, and the
		 * next job faults the pages in again (on a VM each fault is
		 * some 17 us): with it, the kernel's share of a worker was
		 * larger than the analysis of a small core. */
		if (trim)
			malloc_trim(0);
	}
}

static bool start(struct worker *w, struct cr_batch_job *jobs, size_t n,
		  const struct cr_batch_run_options *o, cr_batch_child_fn fn,
		  void *ctx)
{
	int jp[2], rp[2];
	if (pipe(jp) != 0)
		return false;
	if (pipe(rp) != 0) {
		close(jp[0]);
		close(jp[1]);
		return false;
	}
	if (o->before_fork)
		o->before_fork(o->before_fork_arg);
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(jp[0]);
		close(jp[1]);
		close(rp[0]);
		close(rp[1]);
		return false;
	}
	if (pid == 0) {
		close(jp[1]);
		close(rp[0]);
		/* Ctrl-C goes to the whole process group: a worker must not
		 * die of it, or its dump would be stored as failed ("died of
		 * signal 2") and not retried; the parent stops the workers
		 * itself (SIGKILL) when interrupted. */
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		/* Shown by ps and top: which process is a worker. */
		prctl(PR_SET_NAME, "coroner-worker", 0, 0, 0);
		/* Dies with the batch, whatever kills the parent; and at once
		 * when the parent died before the prctl. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(127);
		serve(jobs, n, jp[0], rp[1], fn, ctx, o->timeout,
		      o->max_memory != 0);
		_exit(0);
	}
	close(jp[0]);
	close(rp[1]);
	*w = (struct worker){ .pid = pid, .job_fd = jp[1], .res_fd = rp[0] };
	return true;
}

/*
 * Tell W's process to end: SIGKILL, or for an idle worker the index past
 * the last job, which ends its loop (not the EOF of its job pipe: workers
 * forked later hold a copy of the pipe's end).
 */
static void tell_stop(struct worker *w, bool kill_it)
{
	if (!w->pid || w->job_fd < 0)
		return;
	struct job_msg end = { .index = UINT64_MAX };
	if (kill_it || write(w->job_fd, &end, sizeof(end)) != (ssize_t)sizeof(end))
		kill(w->pid, SIGKILL);
	close(w->job_fd);
	w->job_fd = -1;
}

/* Reap W's process, told to end; its wait status. */
static int reap(struct worker *w)
{
	int ws = 0;
	if (!w->pid)
		return 0;
	while (waitpid(w->pid, &ws, 0) < 0 && errno == EINTR)
		;
	close(w->res_fd);
	cr_buf_free(&w->out);
	w->pid = 0;
	w->ndone = 0;
	return ws;
}

/* Stop W's process (tell_stop) and reap it. */
static int stop(struct worker *w, bool kill_it)
{
	tell_stop(w, kill_it);
	return reap(w);
}

/* Drop B's first N bytes (the result lines handled). */
static void drop_front(struct cr_buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
}

/* The deadline of W's job in hand, q[0] (job_start). */
static void set_deadline(struct worker *w, const struct cr_batch_run_options *o)
{
	w->deadline = o->timeout > 0 && w->nq
		? job_start(w->sent[0], w->last_end) + o->timeout : INFINITY;
}

/* The job in W's hand, q[0], leaves its queue, having ended at END (the
 * worker's clock, or the parent's when its line did not say); the next
 * one (begun by the worker as it sent q[0]'s result) is in hand. */
static void pop(struct worker *w, double end, const struct cr_batch_run_options *o)
{
	memmove(w->q, w->q + 1, (w->nq - 1) * sizeof(*w->q));
	memmove(w->sent, w->sent + 1, (w->nq - 1) * sizeof(*w->sent));
	w->q[--w->nq] = NULL;
	w->last_end = end;
	set_deadline(w, o);
}

/*
 * The job in W's hand ended: with its result line LINE, or without one
 * (NULL: the worker died or was killed, WS its wait status).  With a line,
 * *END is when the job ended: started + elapsed as the line says, else
 * NOW (an empty line: the worker could not make its JSON).  A job that
 * took longer than --timeout fails as timed out, whenever its line is
 * read (the parent may have been busy, or stopped, while the worker sent
 * it and the next): judged by the worker's own elapsed time, which it
 * measured before renaming its reports (job.c), so a job failed here
 * replaced nothing.
 */
static void finish(struct worker *w, const char *line, int ws,
		   const struct cr_batch_run_options *o, double now, double *end)
{
	struct cr_batch_job *job = w->q[0];
	json_error_t je;
	job->result = line && *line ? json_loads(line, 0, &je) : NULL;
	json_t *st = json_object_get(job->result, "exit_status");
	job->exit_status = json_is_integer(st) ? (int)json_integer_value(st) : -1;
	json_t *started = json_object_get(job->result, "started");
	json_t *elapsed = json_object_get(job->result, "elapsed");
	double from = job_start(w->sent[0], w->last_end), took = now - from;
	if (json_is_number(started) && json_is_number(elapsed)) {
		took = json_number_value(elapsed);
		/* Not before the job could begin, nor after the line was
		 * read: the next job's deadline is never put off. */
		now = fmax(from, fmin(now, json_number_value(started) + took));
	}
	if (end)
		*end = now;
	if (line && !w->killed && o->timeout > 0 && took > o->timeout)
		w->killed = "late";
	if (w->killed && !strcmp(w->killed, "timeout"))
		job->failure = cr_strdup_printf("timed out after %g s (killed)",
						o->timeout);
	else if (w->killed && !strcmp(w->killed, "late"))
		job->failure = cr_strdup_printf("timed out after %g s (took %.3g s)",
						o->timeout, took);
	else if (w->killed && !strcmp(w->killed, "long"))
		job->failure = cr_strdup_printf("the analysis sent a result longer than %d bytes (killed)",
						RESULT_MAX);
	else if (w->killed)
		job->failure = cr_strdup_printf("exceeded --max-memory %s (killed)",
						o->max_memory_text);
	else if (!line && WIFSIGNALED(ws))
		job->failure = cr_strdup_printf("the analysis died of signal %d (%s)",
						WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	else if (!line)
		job->failure = cr_strdup_printf("the analysis ended with status %d and no result",
						WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	else if (!job->result)
		job->failure = strdup("the analysis sent no result");
	if (job->failure) {
		json_decref(job->result);
		job->result = NULL;
	}
	job->done = true;
	w->killed = NULL;
}

/* W's anonymous resident memory in bytes (resident minus file-backed
 * pages: the dump's mapped pages are the page cache's), 0 unknown. */
static uint64_t anon_memory(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	FILE *f = fopen(path, "r");
	unsigned long long size, resident, shared;
	int got = f ? fscanf(f, "%llu %llu %llu", &size, &resident, &shared) : 0;
	if (f)
		fclose(f);
	if (got != 3 || shared > resident)
		return 0;
	return (uint64_t)(resident - shared) * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* JOB is done: shown, and given to the caller's on_done. */
static void job_done(struct cr_batch_progress *pr,
		     const struct cr_batch_run_options *o,
		     struct cr_batch_job *job)
{
	cr_batch_progress_done(pr, job);
	if (o->on_done)
		o->on_done(job, o->on_done_arg);
}

/* Queue the job NEXT on worker W, starting W first if need be. */
static bool assign(struct worker *w, struct cr_batch_job *jobs, size_t n,
		   size_t next, const struct cr_batch_run_options *o,
		   cr_batch_child_fn fn, void *ctx)
{
	struct job_msg m = { .index = next };
	/* Twice: an idle worker may have died since its last job (killed
	 * from outside); then a new one takes the job.  A busy one that
	 * died is seen by the poll loop, which gives its jobs back. */
	for (int attempt = 0;; attempt++) {
		if (!w->pid && !start(w, jobs, n, o, fn, ctx))
			return false;
		/* Sent now: a start may wait for the parent's sync thread
		 * (before_fork), which is not the job's time. */
		m.sent = cr_mono_seconds();
		ssize_t put;
		while ((put = write(w->job_fd, &m, sizeof(m))) < 0 && errno == EINTR)
			;
		if (put == (ssize_t)sizeof(m))
			break;
		if (w->nq)
			return false;
		stop(w, true);
		if (attempt == 1)
			return false;
	}
	w->sent[w->nq] = m.sent;
	w->q[w->nq++] = &jobs[next];
	if (w->nq == 1)
		set_deadline(w, o);
	return true;
}

/* W died or was killed: the jobs it held behind the one in hand were
 * never begun, and go back to the list (RETRY) as they were. */
static void requeue(struct worker *w, size_t *retry, size_t *nretry,
		    const struct cr_batch_job *jobs)
{
	while (w->nq > 1) {
		retry[(*nretry)++] = (size_t)(w->q[w->nq - 1] - jobs);
		w->q[--w->nq] = NULL;
	}
}

bool cr_batch_run(struct cr_batch_job *jobs, size_t n,
		  const struct cr_batch_run_options *o, cr_batch_child_fn fn,
		  void *ctx)
{
	unsigned nw = o->workers ? o->workers : 1;
	if (nw > n)
		nw = n ? (unsigned)n : 1;
	struct worker *ws = calloc(nw, sizeof(*ws));
	struct pollfd *pfd = calloc(nw, sizeof(*pfd));
	size_t *slot = calloc(nw, sizeof(*slot));
	size_t *retry = calloc(n ? n : 1, sizeof(*retry)), nretry = 0;
	if (!ws || !pfd || !slot || !retry) {
		free(ws);
		free(pfd);
		free(slot);
		free(retry);
		for (size_t i = 0; i < n; i++)
			jobs[i].failure = strdup("out of memory");
		return false;
	}
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term,
			 old_pipe;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	/* A worker that died before reading its job: write() says EPIPE. */
	struct sigaction ign = { .sa_handler = SIG_IGN };
	sigaction(SIGPIPE, &ign, &old_pipe);
	interrupted = 0;

	struct cr_batch_progress pr;
	cr_batch_progress_begin(&pr, o, n);
	size_t next = 0;
	double next_poll = 0;
	unsigned depth = o->queue < 1 ? 1 : o->queue > QUEUE_MAX ? QUEUE_MAX : o->queue;
	for (;;) {
		size_t busy = 0;
		for (unsigned k = 0; k < nw && !interrupted; k++) {
			struct worker *w = &ws[k];
			/* A second job and more only while there are enough
			 * for every worker: the last ones are not left
			 * waiting behind another job while a worker idles. */
			while ((nretry || next < n) &&
			       (!w->nq || (w->nq < depth && nretry + n - next >= nw))) {
				size_t j = nretry ? retry[--nretry] : next++;
				if (assign(w, jobs, n, j, o, fn, ctx)) {
					if (w->nq == 1)
						cr_batch_progress_start(&pr, &jobs[j]);
					continue;
				}
				if (w->nq) {	/* it died: the poll loop sees it */
					retry[nretry++] = j;
					break;
				}
				jobs[j].failure = cr_strdup_printf("cannot start a worker: %s",
								   strerror(errno));
				jobs[j].done = true;
				job_done(&pr, o, &jobs[j]);
			}
			if (w->nq)
				slot[busy++] = k;
		}
		if (interrupted || busy == 0)
			break;
		double soonest = INFINITY, now = cr_mono_seconds();
		for (size_t i = 0; i < busy; i++) {
			pfd[i] = (struct pollfd){ .fd = ws[slot[i]].res_fd, .events = POLLIN };
			soonest = fmin(soonest, ws[slot[i]].deadline);
		}
		if (o->max_memory)
			soonest = fmin(soonest, fmax(next_poll, now));
		if (pr.tty)
			soonest = fmin(soonest, now + 1);	/* the clock ticks */
		int wait_ms = -1;
		if (isfinite(soonest)) {
			double left = soonest - now;
			wait_ms = left <= 0 ? 0 : (int)ceil(left * 1000);
		}
		int got = poll(pfd, busy, wait_ms);
		if (got < 0 && errno != EINTR)
			break;
		/* Interrupted: what ended now ended because of it; nothing
		 * is recorded (the next run does these dumps again). */
		if (interrupted)
			break;
		cr_batch_progress_tick(&pr);
		double t = cr_mono_seconds();
		bool look = o->max_memory && t >= next_poll;
		if (look)
			next_poll = t + MEMORY_POLL;
		for (size_t i = 0; i < busy; i++) {
			struct worker *w = &ws[slot[i]];
			bool eof = false;
			if (got > 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				char buf[4096];
				ssize_t r = read(w->res_fd, buf, sizeof(buf));
				if (r > 0 && w->out.len < RESULT_MAX * (size_t)depth)
					cr_buf_add(&w->out, buf, (size_t)r);
				eof = r == 0 || (r < 0 && errno != EINTR &&
						 errno != EAGAIN);
			}
			/* Every whole line read: a worker may have sent the
			 * results of several jobs since the last look. */
			const char *s = cr_buf_str(&w->out);
			const char *nl = s ? memchr(s, '\n', w->out.len) : NULL;
			while (nl && w->nq) {
				/* The line is the job's; the worker goes on. */
				struct cr_batch_job *job = w->q[0];
				char *line = strndup(s, (size_t)(nl - s));
				double end;
				finish(w, line ? line : "", 0, o, t, &end);
				free(line);
				w->ndone++;
				pop(w, end, o);
				if (w->nq)
					cr_batch_progress_start(&pr, w->q[0]);
				job_done(&pr, o, job);
				s = nl + 1;
				nl = memchr(s, '\n', w->out.len - (size_t)(s - w->out.p));
			}
			if (s && s != w->out.p)
				drop_front(&w->out, (size_t)(s - w->out.p));
			if (w->nq) {
				/* A long-lived worker sends no EOF: a line
				 * that outgrew the buffer would wait for the
				 * time limit. */
				if (!eof && w->out.len >= RESULT_MAX)
					w->killed = "long";
				else if (!eof && t >= w->deadline)
					w->killed = "timeout";
				else if (!eof && look &&
					 anon_memory(w->pid) > o->max_memory)
					w->killed = "memory";
				if (!eof && !w->killed)
					continue;
				/* A worker that dies on a job after others may
				 * have been brought there by them (a heap an
				 * earlier dump damaged, memory it kept): the
				 * job gets one more try in a new worker before
				 * it is failed.  Not after a time limit, which
				 * would double the wait. */
				struct cr_batch_job *job = w->q[0];
				bool again = w->ndone > 0 && !job->retried &&
					     !(w->killed && !strcmp(w->killed, "timeout"));
				int st = stop(w, true);
				requeue(w, retry, &nretry, jobs);
				if (again) {
					job->retried = true;
					w->q[0] = NULL;
					w->nq = 0;
					w->killed = NULL;
					retry[nretry++] = (size_t)(job - jobs);
					continue;
				}
				finish(w, NULL, st, o, t, NULL);
				w->q[0] = NULL;
				w->nq = 0;
				job_done(&pr, o, job);
			}
		}
	}
	bool stopped = interrupted;
	/* All told first: they end (unmap their caches) side by side. */
	for (unsigned k = 0; k < nw; k++)
		tell_stop(&ws[k], ws[k].nq != 0 || stopped);
	for (unsigned k = 0; k < nw; k++)
		reap(&ws[k]);
	cr_batch_progress_end(&pr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGPIPE, &old_pipe, NULL);
	free(ws);
	free(pfd);
	free(slot);
	free(retry);
	return stopped;
}
