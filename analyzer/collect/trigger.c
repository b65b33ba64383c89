/*
 * trigger.c - when to take a dump, like procdump (collect.h).
 *
 * A trigger is a measure of the live process read from /proc, a threshold
 * and a number of consecutive samples at or above it.  The measures are a
 * table: each reads one number (CPU use in percent of one core, resident
 * bytes, threads), so a new trigger is a row and a reader function.
 *
 *   cpu      /proc/PID/stat utime + stime (the kernel sums them over the
 *            process's threads, the dead ones too) between two samples one
 *            second apart, over the wall time between them: 100 = one
 *            core.  The first sample only sets the baseline.
 *   memory   /proc/PID/statm's resident pages times the page size.
 *   threads  /proc/PID/status "Threads:".
 *
 * Also here: finding a process by name (--name), the newest one whose
 * comm or argv[0] base name is NAME, waiting for it to appear.
 *
 * Waiting says what it waits for on standard error when that is a
 * terminal, on one line rewritten in place ("waiting: cpu 12% < 80%
 * (3/10 s)"); a process that exits while watched, or a deadline passed,
 * ends the wait with CR_ERR_PROCESS.
 */
#include "collect.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define NAME_POLL_S 0.1			/* --name: /proc scanned this often */

static void nap(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

/* One sample of a measure into *V; false when the process is gone.  A
 * measure without a value yet (cpu's baseline) leaves *V negative. */
typedef bool measure_fn(pid_t pid, struct cr_trigger *t, double *v);

/* The process is there and not a zombie (whose statm reads 0: a
 * --memory trigger would wait for it forever).  ST: its stat, read. */
static bool alive(pid_t pid, struct cr_proc_stat *st)
{
	char *text = cr_proc_read(pid, "stat", NULL);
	bool ok = text && cr_proc_parse_stat(text, st) && st->state != 'Z' &&
		  st->state != 'X';
	free(text);
	return ok;
}

static bool measure_cpu(pid_t pid, struct cr_trigger *t, double *v)
{
	struct cr_proc_stat st;
	bool ok = alive(pid, &st);
	if (!ok)
		return false;
	double now = cr_mono_seconds();
	uint64_t cpu = st.utime_us + st.stime_us;
	*v = -1;
	if (t->last_time > 0 && now > t->last_time && cpu >= t->last_cpu_us)
		*v = (double)(cpu - t->last_cpu_us) / 1e4 / (now - t->last_time);
	t->last_time = now;
	t->last_cpu_us = cpu;
	return true;
}

/* The number after KEY at the start of a line of /proc/PID/REL. */
static bool proc_number(pid_t pid, const char *rel, const char *key,
			double *v)
{
	char *text = cr_proc_read(pid, rel, NULL);
	const char *p = text;
	size_t klen = strlen(key);
	while (p && strncmp(p, key, klen)) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	unsigned long long n;
	bool ok = p && sscanf(p + klen, " %llu", &n) == 1;
	if (ok)
		*v = (double)n;
	free(text);
	return ok;
}

static bool measure_memory(pid_t pid, struct cr_trigger *t, double *v)
{
	(void)t;
	struct cr_proc_stat st;
	if (!alive(pid, &st))
		return false;
	/* statm: size resident shared text lib data dt, in pages. */
	char *text = cr_proc_read(pid, "statm", NULL);
	unsigned long long size, resident;
	bool ok = text && sscanf(text, "%llu %llu", &size, &resident) == 2;
	free(text);
	if (ok)
		*v = (double)resident * (double)sysconf(_SC_PAGESIZE);
	return ok;
}

static bool measure_threads(pid_t pid, struct cr_trigger *t, double *v)
{
	(void)t;
	struct cr_proc_stat st;
	return alive(pid, &st) && proc_number(pid, "status", "Threads:", v);
}

/* "12%", "40.0 MiB", "3" */
static void fmt_percent(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.0f%%", v);
}

static void fmt_bytes(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.1f MiB", v / 1048576.0);
}

static void fmt_count(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.0f", v);
}

static const struct {
	const char *name;		/* in file names and messages */
	double period;			/* seconds between samples */
	measure_fn *measure;
	void (*fmt)(char *buf, size_t len, double v);
} kinds[] = {
	[CR_TRIGGER_MANUAL] = { "manual", 0, NULL, NULL },
	[CR_TRIGGER_CPU] = { "cpu", 1.0, measure_cpu, fmt_percent },
	[CR_TRIGGER_MEMORY] = { "memory", 0.1, measure_memory, fmt_bytes },
	[CR_TRIGGER_THREADS] = { "threads", 0.1, measure_threads, fmt_count },
};

const char *cr_trigger_name(enum cr_trigger_kind kind)
{
	return kinds[kind].name;
}

/* The wait line on a terminal; NULL ends it. */
static void say(const struct cr_trigger *t, double v, unsigned held)
{
	char now[32] = "?", limit[32];
	if (v >= 0)
		kinds[t->kind].fmt(now, sizeof(now), v);
	kinds[t->kind].fmt(limit, sizeof(limit), t->threshold);
	if (t->kind == CR_TRIGGER_CPU)
		fprintf(stderr, "\rwaiting: cpu %s %s %s (%u/%u s)   ", now,
			v >= t->threshold ? ">=" : "<", limit, held, t->needed);
	else
		fprintf(stderr, "\rwaiting: %s %s < %s   ", kinds[t->kind].name,
			now, limit);
}

struct cr_error *cr_trigger_wait(pid_t pid, struct cr_trigger *t)
{
	if (t->kind == CR_TRIGGER_MANUAL)
		return NULL;
	unsigned held = 0;
	/* Consecutive samples: --cpu-seconds for cpu, one for the others. */
	unsigned needed = t->kind == CR_TRIGGER_CPU && t->needed ? t->needed : 1;
	bool said = false;
	t->last_time = 0;	/* a fresh baseline: the dump's pause is not use */
	for (double next = cr_mono_seconds();; next += kinds[t->kind].period) {
		double now = cr_mono_seconds();
		if (t->deadline > 0 && now >= t->deadline) {
			if (said)
				fputc('\n', stderr);
			char limit[32];
			kinds[t->kind].fmt(limit, sizeof(limit), t->threshold);
			return cr_error_new(CR_ERR_PROCESS, "process %d: gave up waiting (--wait-timeout): %s never reached %s",
					    (int)pid, kinds[t->kind].name, limit);
		}
		if (next > now)
			nap(next - now);
		else
			next = now;
		double v;
		if (!kinds[t->kind].measure(pid, t, &v)) {
			if (said)
				fputc('\n', stderr);
			return cr_error_new(CR_ERR_PROCESS, "process %d: it exited while waiting for its %s trigger",
					    (int)pid, kinds[t->kind].name);
		}
		if (v < 0)
			continue;
		held = v >= t->threshold ? held + 1 : 0;
		if (t->progress) {
			say(t, v, held);
			said = true;
		}
		if (held >= needed) {
			if (said)
				fputc('\n', stderr);
			t->value = v;
			return NULL;
		}
	}
}

/* Does /proc/PID say its name is NAME (comm, or argv[0]'s base name)? */
static bool named(pid_t pid, const char *name)
{
	char *comm = cr_proc_read(pid, "comm", NULL);
	bool yes = false;
	if (comm) {
		comm[strcspn(comm, "\n")] = 0;
		yes = !strcmp(comm, name);
		free(comm);
	}
	if (yes)
		return true;
	size_t len;
	char *argv = cr_proc_read(pid, "cmdline", &len);
	if (argv && len > 0) {
		/* argv[0] ends at the first NUL (the buffer has one more). */
		const char *base = strrchr(argv, '/');
		yes = !strcmp(base ? base + 1 : argv, name);
	}
	free(argv);
	return yes;
}

/* The newest living process named NAME other than us; 0 when none. */
static pid_t newest_named(const char *name)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return 0;
	pid_t best = 0, self = getpid();
	uint64_t best_start = 0;
	struct dirent *e;
	while ((e = readdir(dir))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid > INT32_MAX || pid == self ||
		    !named((pid_t)pid, name))
			continue;
		char *text = cr_proc_read((pid_t)pid, "stat", NULL);
		struct cr_proc_stat st;
		bool alive = text && cr_proc_parse_stat(text, &st) &&
			     st.state != 'Z' && st.state != 'X';
		free(text);
		/* Started later, or in the same tick with a later pid. */
		if (alive && (!best || st.start_ticks > best_start ||
			      (st.start_ticks == best_start && pid > best))) {
			best = (pid_t)pid;
			best_start = st.start_ticks;
		}
	}
	closedir(dir);
	return best;
}

struct cr_error *cr_find_by_name(const char *name, double deadline,
				 bool progress, pid_t *pid)
{
	bool said = false;
	while (!(*pid = newest_named(name))) {
		if (deadline > 0 && cr_mono_seconds() >= deadline) {
			if (said)
				fputc('\n', stderr);
			return cr_error_new(CR_ERR_PROCESS, "no process named '%s' appeared (--wait-timeout)",
					    name);
		}
		if (progress && !said) {
			fprintf(stderr, "waiting: no process named '%s' yet", name);
			said = true;
		}
		nap(NAME_POLL_S);
	}
	if (said)
		fputc('\n', stderr);
	return NULL;
}
