/*
 * worker.c - jobs in forked children, N at a time (batch.h).
 *
 * Why a process per job: a dump is untrusted input, and one that makes the
 * analysis crash, loop or eat the machine must cost that dump only.  The
 * child does the job and writes one JSON line to a pipe; the parent waits
 * on all pipes with poll(), with the earliest deadline as its timeout,
 * and SIGKILLs a child past its deadline.  A job with no result line (the
 * child crashed, was killed, ran out of memory) fails with what waitpid
 * says.  The results are small (a few hundred bytes), so each is read
 * whole into memory.
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
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "term.h"
#include "util.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct running {
	struct cr_batch_job *job;
	pid_t pid;
	int fd;
	double deadline;	/* monotonic seconds, INFINITY none */
	struct cr_buf out;
	bool timed_out;
};

static pid_t start(struct cr_batch_job *job, cr_batch_child_fn fn, void *ctx,
		   int *fd)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	fflush(NULL);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
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
		int st = fn(job, p[1], ctx);
		close(p[1]);
		_exit(st);
	}
	close(p[1]);
	*fd = p[0];
	return pid;
}

/* Collect R's child and fill its job. */
static void finish(struct running *r, double timeout)
{
	int ws = 0;
	while (waitpid(r->pid, &ws, 0) < 0 && errno == EINTR)
		;
	close(r->fd);
	struct cr_batch_job *job = r->job;
	job->exit_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
	const char *line = cr_buf_str(&r->out);
	json_error_t je;
	job->result = line && *line ? json_loads(line, 0, &je) : NULL;
	if (r->timed_out)
		job->failure = cr_strdup_printf("timed out after %g s (killed)",
						timeout);
	else if (WIFSIGNALED(ws))
		job->failure = cr_strdup_printf("the analysis died of signal %d (%s)",
						WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	else if (!job->result)
		job->failure = cr_strdup_printf("the analysis ended with status %d and no result",
						job->exit_status);
	if (job->failure) {
		json_decref(job->result);
		job->result = NULL;
	}
	job->done = true;
	cr_buf_free(&r->out);
}

bool cr_batch_run(struct cr_batch_job *jobs, size_t n,
		  const struct cr_batch_run_options *o, cr_batch_child_fn fn,
		  void *ctx)
{
	unsigned nw = o->workers ? o->workers : 1;
	struct running *run = calloc(nw, sizeof(*run));
	struct pollfd *pfd = calloc(nw, sizeof(*pfd));
	if (!run || !pfd) {
		free(run);
		free(pfd);
		for (size_t i = 0; i < n; i++)
			jobs[i].failure = strdup("out of memory");
		return false;
	}
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	interrupted = 0;

	size_t next = 0, nrun = 0, ndone = 0;
	while ((next < n || nrun > 0) && !interrupted) {
		while (next < n && nrun < nw && !interrupted) {
			struct running *r = &run[nrun];
			*r = (struct running){ .job = &jobs[next++] };
			r->pid = start(r->job, fn, ctx, &r->fd);
			if (r->pid < 0) {
				r->job->failure = cr_strdup_printf("cannot start a worker: %s",
								   strerror(errno));
				r->job->done = true;
				continue;
			}
			r->deadline = o->timeout > 0 ? cr_mono_seconds() + o->timeout : INFINITY;
			nrun++;
		}
		double soonest = INFINITY;
		for (size_t i = 0; i < nrun; i++) {
			pfd[i] = (struct pollfd){ .fd = run[i].fd, .events = POLLIN };
			soonest = fmin(soonest, run[i].deadline);
		}
		int wait_ms = -1;
		if (isfinite(soonest)) {
			double left = soonest - cr_mono_seconds();
			wait_ms = left <= 0 ? 0 : (int)ceil(left * 1000);
		}
		if (nrun == 0)
			continue;
		int pr = poll(pfd, nrun, wait_ms);
		if (pr < 0 && errno != EINTR)
			break;
		/* Interrupted: what ended now ended because of it; nothing
		 * is recorded (the next run does these dumps again). */
		if (interrupted)
			break;
		double t = cr_mono_seconds();
		for (size_t i = 0; i < nrun;) {
			struct running *r = &run[i];
			bool eof = false;
			if (pr > 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				char buf[4096];
				ssize_t got = read(r->fd, buf, sizeof(buf));
				if (got > 0 && r->out.len < 65536)
					cr_buf_add(&r->out, buf, (size_t)got);
				eof = got == 0 || (got < 0 && errno != EINTR &&
						   errno != EAGAIN);
			}
			if (!eof && t >= r->deadline) {
				kill(r->pid, SIGKILL);
				r->timed_out = eof = true;
			}
			if (!eof) {
				i++;
				continue;
			}
			finish(r, o->timeout);
			ndone++;
			if (o->progress)
				cr_term_printf(stderr, "coroner batch: %s %zu/%zu: %s%s%s",
					       o->what, ndone, n, r->job->paths[0],
					       r->job->failure ? ": failed: " : "",
					       r->job->failure ? r->job->failure : "");
			run[i] = run[--nrun];
			pfd[i] = pfd[nrun];
		}
	}
	bool stopped = interrupted;
	for (size_t i = 0; i < nrun; i++) {
		kill(run[i].pid, SIGKILL);
		while (waitpid(run[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(run[i].fd);
		cr_buf_free(&run[i].out);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(run);
	free(pfd);
	return stopped;
}
