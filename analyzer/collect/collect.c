/*
 * collect.c - one dump of a live process (collect.h).
 *
 * Order matters for the pause: everything /proc says that does not change
 * while the process is stopped is read after the stop, in one go, then
 * the core is written while it stays stopped (its memory must not change
 * under the copy), then every thread runs again.  With --snapshot only
 * what changes as the process runs (the clock, states and CPU times) is
 * read before the fork; the rest comes after it, the mappings, command
 * line and environment from the child, whose memory is the stop's (the
 * mappings' smaps alone took 8 ms of the pause for 1 GB resident).  The
 * clock is read once all threads are stopped: that instant is the dump's
 * time, and the CPU times read after it are the times at that instant.
 *
 * The core is written under a hidden temporary name in the same directory
 * and renamed when complete, so a reader never sees half a core under the
 * final name.  A full disk is the exception: what fits is renamed to the
 * final name (the reader reads it as cut off) and the error says so; so
 * is a process killed during the copy (only SIGKILL ends a stopped one):
 * the copy stops at the first read that finds its memory gone, and the
 * error says from which address the core lacks it.
 */
#include "collect.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "strbuf.h"
#include "term.h"
#include "util.h"

#ifdef __x86_64__
#define CORE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define CORE_MACHINE EM_AARCH64
#else
#error "coroner collect: no core layout for this architecture"
#endif

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* What is read from /proc for one dump (freed by desc_free). */
struct proc_info {
	struct cr_core_desc desc;
	struct cr_core_thread *threads;
	struct cr_core_mapping *maps;
	char *auxv, *cmdline, *environ, *status, *limits, *cgroup;
	struct cr_stopped *stopped;
	const struct cr_collect_options *o;
	uint64_t started_ns;		/* for the progress rate */
	uint64_t stamp_ns;		/* CLOCK_MONOTONIC at wall_ns */
};

static void info_free(struct proc_info *p)
{
	cr_proc_maps_free(p->maps, p->desc.nmaps);
	free(p->threads);
	free(p->auxv);
	free(p->cmdline);
	free(p->environ);
	free(p->status);
	free(p->limits);
	free(p->cgroup);
}

/* The first line of a comm file without its newline, into DST. */
static void read_comm(pid_t pid, const char *rel, char *dst)
{
	char *s = cr_proc_read(pid, rel, NULL);
	if (s) {
		s[strcspn(s, "\n")] = 0;
		snprintf(dst, CR_CORE_NAME_LEN, "%s", s);
	}
	free(s);
}

static struct cr_error *read_threads(struct proc_info *p)
{
	struct cr_stopped *s = p->stopped;
	p->threads = calloc(s->n, sizeof(*p->threads));
	if (!p->threads)
		return cr_error_new(CR_ERR_NOMEM, "out of memory (threads)");
	for (size_t i = 0; i < s->n; i++) {
		struct cr_core_thread *t = &p->threads[i];
		const struct cr_stopped_thread *st = &s->t[i];
		char rel[64];
		t->tid = st->tid;
		t->regs = st->regs;
		t->regs_len = st->regs_len;
		t->fpregs = st->fpregs;
		t->fpregs_len = st->fpregs_len;
		t->xstate = st->xstate;
		t->xstate_len = st->xstate_len;
		snprintf(rel, sizeof(rel), "task/%d/comm", (int)st->tid);
		read_comm(s->pid, rel, t->name);
		snprintf(rel, sizeof(rel), "task/%d/stat", (int)st->tid);
		char *text = cr_proc_read(s->pid, rel, NULL);
		struct cr_proc_stat ps;
		if (text && cr_proc_parse_stat(text, &ps)) {
			t->state = ps.state;
			t->utime_us = ps.utime_us;
			t->stime_us = ps.stime_us;
		}
		free(text);
	}
	p->desc.threads = p->threads;
	p->desc.nthreads = s->n;
	return NULL;
}

/* What changes while the process runs: the dump's time, the process's
 * and every thread's state and CPU times; read before a --snapshot's
 * fork lets the process run again. */
static struct cr_error *read_instant(pid_t pid, struct proc_info *p)
{
	struct cr_core_desc *d = &p->desc;
	d->wall_ns = clock_ns(CLOCK_REALTIME);
	d->boot_ns = clock_ns(CLOCK_BOOTTIME);
	p->stamp_ns = clock_ns(CLOCK_MONOTONIC);
	d->machine = CORE_MACHINE;
	d->pid = pid;
	d->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	d->uid = d->gid = -1;
	char *text = cr_proc_read(pid, "stat", NULL);
	struct cr_proc_stat ps;
	if (!text || !cr_proc_parse_stat(text, &ps)) {
		free(text);
		return cr_error_new(CR_ERR_PROCESS, "process %d: /proc/%d/stat: %s",
				    (int)pid, (int)pid,
				    errno == ENOENT ? "it exited during the collection" : "unreadable");
	}
	free(text);
	long hz = sysconf(_SC_CLK_TCK);
	d->state = ps.state;
	d->ppid = ps.ppid;
	d->pgrp = ps.pgrp;
	d->sid = ps.sid;
	d->user_us = ps.utime_us;
	d->sys_us = ps.stime_us;
	/* Start: boot time on the wall clock plus the ticks since boot. */
	d->start_ns = d->wall_ns - d->boot_ns +
		      ps.start_ticks * (1000000000u / (uint64_t)(hz > 0 ? hz : 100));
	read_comm(pid, "comm", d->fname);
	return read_threads(p);
}

/* PID's text files, and those of the memory (command line, environment,
 * auxiliary vector) from MEM_PID, the --snapshot child when there is one:
 * the same as the process's at the stop. */
static void read_text(pid_t pid, pid_t mem_pid, struct proc_info *p)
{
	struct cr_core_desc *d = &p->desc;
	const struct cr_collect_options *o = p->o;
	p->status = cr_proc_read(pid, "status", NULL);
	d->status = p->status;
	for (const char *l = p->status; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		long long uid, gid;
		if (sscanf(l, "Uid: %lld", &uid) == 1)
			d->uid = uid;
		if (sscanf(l, "Gid: %lld", &gid) == 1)
			d->gid = gid;
	}
	d->limits = p->limits = cr_proc_read(pid, "limits", NULL);
	d->cgroup = p->cgroup = cr_proc_read(pid, "cgroup", NULL);
	p->cmdline = cr_proc_read(mem_pid, "cmdline", &d->cmdline_len);
	d->cmdline = p->cmdline;
	if (!o->no_env) {
		p->environ = cr_proc_read(mem_pid, "environ", &d->environ_len);
		d->environ = p->environ;
	}
	p->auxv = cr_proc_read(mem_pid, "auxv", &d->auxv_len);
	d->auxv = p->auxv;
}

/* The rest: the text files and the mappings (read_text's MEM_PID). */
static struct cr_error *read_rest(pid_t pid, pid_t mem_pid, struct proc_info *p)
{
	struct cr_core_desc *d = &p->desc;
	const struct cr_collect_options *o = p->o;
	read_text(pid, mem_pid, p);
	uint64_t filter = o->filter_given ? o->filter : cr_proc_filter(pid);
	/* A snapshot's child (MEM_PID) lacks the MADV_DONTFORK mappings and
	 * has zeros in the MADV_WIPEONFORK ones: both are written without
	 * contents (not captured). */
	p->maps = cr_proc_maps(mem_pid, filter, mem_pid != pid, &d->nmaps);
	if (!p->maps && errno != E2BIG && mem_pid != pid) {
		/* Killed after its stop: the plain collection's fallback
		 * (cr_collect_one), not a failure. */
		p->stopped->mem_gone = true;
		return cr_error_new(CR_ERR_PROCESS, "process %d: the --snapshot child %d was killed before it could be copied",
				    (int)pid, (int)mem_pid);
	}
	if (!p->maps)
		return cr_error_new(errno == E2BIG ? CR_ERR_NOMEM : CR_ERR_PROCESS,
				    "process %d: /proc/%d/maps: %s", (int)pid, (int)mem_pid,
				    errno == E2BIG ? "more mappings than a core can describe" :
				    errno == ENOENT ? "it exited during the collection" : strerror(errno));
	if (mem_pid != pid) {
		struct cr_error *err = cr_proc_maps_add_dontfork(pid, &p->maps, &d->nmaps);
		if (err)
			return err;
	}
	d->maps = p->maps;
	return NULL;
}

static void progress(void *ctx, uint64_t done, uint64_t total)
{
	struct proc_info *p = ctx;
	static uint64_t last;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	if (done < total && now - last < 200000000u)
		return;
	last = now;
	double secs = (double)(now - p->started_ns) / 1e9;
	fprintf(stderr, "\rdump %u of %u: %llu of %llu MiB (%.0f MiB/s)  ",
		p->o->index, p->o->count,
		(unsigned long long)(done >> 20), (unsigned long long)(total >> 20),
		secs > 0 ? (double)done / 1048576.0 / secs : 0.0);
	if (done == total)
		fputc('\n', stderr);
}

char *cr_collect_name(const char *proc, long long pid, const char *trigger,
		      uint64_t wall_ns, const char *suffix)
{
	char name[CR_CORE_NAME_LEN];
	snprintf(name, sizeof(name), "%s", proc && *proc ? proc : "process");
	for (char *c = name; *c; c++)
		if (!(*c == '-' || *c == '_' || (*c >= '0' && *c <= '9') ||
		      ((*c | 32) >= 'a' && (*c | 32) <= 'z')))
			*c = '_';
	time_t secs = (time_t)(wall_ns / 1000000000u);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	return cr_strdup_printf("%s.%lld.%s.%s.%03lluZ.core%s", name, pid, trigger,
				stamp, (unsigned long long)(wall_ns / 1000000u % 1000u),
				suffix);
}

struct cr_error *cr_collect_create(const char *dir, const char *name,
				   char **final, char **tmp, int *fd)
{
	*final = name ? cr_strdup_printf("%s/%s", dir, name) : NULL;
	*tmp = name ? cr_strdup_printf("%s/.%s.tmp", dir, name) : NULL;
	*fd = -1;
	if (!*final || !*tmp)
		return cr_error_new(CR_ERR_NOMEM, "out of memory (file name)");
	*fd = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (*fd < 0)
		return cr_error_new(CR_ERR_IO, "%s: %s", *tmp, strerror(errno));
	return NULL;
}

/* Write P's core into DIR; fill R. */
static struct cr_error *write_file(struct proc_info *p, struct cr_collect_result *r)
{
	const struct cr_collect_options *o = p->o;
	const struct cr_core_desc *d = &p->desc;
	char *name = cr_collect_name(d->fname, (long long)d->pid,
				     o->trigger ? o->trigger : "manual",
				     d->wall_ns, "");
	char *final, *tmp;
	int fd;
	struct cr_error *err = cr_collect_create(o->dir, name, &final, &tmp, &fd);
	free(name);
	if (err)
		goto out;
	struct cr_core_stats st;
	p->started_ns = clock_ns(CLOCK_MONOTONIC);
	err = cr_core_write(fd, &p->desc, &st);
	if (close(fd) != 0 && !err)
		err = cr_error_new(CR_ERR_IO, "%s: %s", tmp, strerror(errno));
	r->bytes = st.bytes;
	if (err && st.bytes == 0) {
		unlink(tmp);
		goto out;
	}
	/* Complete, or cut off by a full disk: either way it is the core. */
	if (rename(tmp, final) != 0) {
		cr_error_free(err);
		err = cr_error_new(CR_ERR_IO, "%s: %s", final, strerror(errno));
		unlink(tmp);
		goto out;
	}
	r->path = final;
	final = NULL;
	if (err) {
		r->partial = true;
		struct cr_error *e;
		if (err->code == CR_ERR_PROCESS)
			/* Only SIGKILL ends a stopped process: someone's
			 * kill -9, the OOM killer. */
			e = cr_error_new(CR_ERR_PROCESS, "%s: partial core: process %lld was killed during the copy; "
					 "its memory from 0x%llx on is missing (%llu of %llu bytes of memory written)",
					 r->path, (long long)d->pid, (unsigned long long)st.stopped_at,
					 (unsigned long long)st.copied, (unsigned long long)st.memory);
		else
			e = cr_error_new(CR_ERR_IO, "%s: partial core (%s): %llu of %llu bytes of memory written",
					 r->path, err->message,
					 (unsigned long long)(st.bytes > st.memory ? st.memory : st.bytes),
					 (unsigned long long)st.memory);
		cr_error_free(err);
		err = e;
	}
out:
	free(final);
	free(tmp);
	return err;
}

struct cr_error *cr_collect_one(pid_t pid, const struct cr_collect_options *o,
				struct cr_collect_result *r)
{
	memset(r, 0, sizeof(*r));
	struct cr_stopped s;
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	struct cr_error *err = cr_ptrace_stop(pid, &s);
	if (err)
		return err;
	struct proc_info p = { .stopped = &s, .o = o };
	err = cr_ptrace_regs(&s);
	if (!err)
		err = read_instant(pid, &p);
	pid_t child = 0;
	uint64_t resumed = 0;
	if (!err && o->snapshot) {
		struct cr_error *e = cr_snapshot_fork(&s, &child);
		if (e) {
			cr_term_printf(stderr, "coroner: collect: --snapshot: %s; collecting without it",
				       e->message);
			cr_error_free(e);
		} else {
			/* The registers are the parent's, read before the
			 * fork; the memory is the child's. */
			s.mem_pid = child;
			cr_ptrace_detach(&s);
			resumed = clock_ns(CLOCK_MONOTONIC);
		}
	}
	if (!err)
		err = read_rest(pid, s.mem_pid, &p);
	if (!err) {
		p.desc.read = cr_ptrace_read;
		p.desc.read_ctx = &s;
		p.desc.stop = &s.mem_gone;
		if (o->progress) {
			p.desc.progress = progress;
			p.desc.progress_ctx = &p;
		}
		r->nthreads = s.n;
		err = write_file(&p, r);
	}
	r->stamp = (double)p.stamp_ns / 1e9;
	info_free(&p);
	pid_t orphan = s.orphan;
	bool lost = child && s.mem_gone;
	cr_ptrace_resume(&s);
	if (!resumed)
		resumed = clock_ns(CLOCK_MONOTONIC);
	r->pause = (double)(resumed - t0) / 1e9;
	r->snapshot = child != 0;
	/* The child used, or one made and then lost with the thread
	 * that made it. */
	pid_t made = child ? child : orphan;
	if (made && !cr_snapshot_release(pid, made))
		cr_term_printf(stderr, "coroner: collect: --snapshot: the child %d could not be reaped by process %d: a zombie may remain until it exits",
			       (int)made, (int)pid);
	if (lost) {
		/* Killed during the copy (someone's kill -9, the OOM
		 * killer): the rest of the core would be zeros, not the
		 * process's memory.  Not kept: a plain collection instead. */
		if (r->path)
			unlink(r->path);
		cr_collect_result_free(r);
		cr_error_free(err);
		cr_term_printf(stderr, "coroner: collect: --snapshot: the child of the injected clone was killed during the copy; collecting without it");
		struct cr_collect_options plain = *o;
		plain.snapshot = false;
		return cr_collect_one(pid, &plain, r);
	}
	return err;
}

/* The threads of PID as /proc/PID/task lists them, the leader first. */
static struct cr_error *list_threads(pid_t pid, struct cr_stopped *s)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *dir = opendir(path);
	if (!dir)
		return cr_error_new(CR_ERR_PROCESS, "process %d: %s: %s", (int)pid,
				    path, strerror(errno));
	struct dirent *e;
	while ((e = readdir(dir)) && s->n < CR_COLLECT_MAX_THREADS) {
		char *end;
		long tid = strtol(e->d_name, &end, 10);
		if (*end || tid <= 0)
			continue;
		if (!CR_GROW(s->t, s->cap, s->n + 1)) {
			closedir(dir);
			return cr_error_new(CR_ERR_NOMEM, "out of memory (threads)");
		}
		s->t[s->n] = (struct cr_stopped_thread){ .tid = (pid_t)tid };
		if (tid == pid && s->n > 0) {
			s->t[s->n] = s->t[0];
			s->t[0].tid = (pid_t)tid;
		}
		s->n++;
	}
	closedir(dir);
	return NULL;
}

struct cr_error *cr_collect_proc_notes(pid_t pid, bool no_env, struct cr_buf *b)
{
	struct cr_collect_options o = { .no_env = no_env };
	struct cr_stopped s = { .pid = pid, .mem_pid = pid };
	struct proc_info p = { .stopped = &s, .o = &o };
	struct cr_error *err = list_threads(pid, &s);
	if (!err)
		err = read_instant(pid, &p);
	if (!err) {
		read_text(pid, pid, &p);
		cr_core_coroner_notes(b, &p.desc);
		if (b->oom)
			err = cr_error_new(CR_ERR_NOMEM, "out of memory (notes)");
	}
	info_free(&p);
	free(s.t);
	return err;
}

void cr_collect_result_free(struct cr_collect_result *r)
{
	free(r->path);
	r->path = NULL;
}
