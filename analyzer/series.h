/*
 * series.h - several dumps of one process, taken one after another: one
 * report with what only a series shows.
 *
 * The command (cmd_analyze.c) reads and analyzes each dump as it does one
 * (cr_dump_open_with, cr_analyze); when the dumps are a series
 * (cr_series_is_series: the same pid and executable, different files) it
 * hands the N analyses to cr_series_analyze, which orders them by time,
 * matches threads by tid and adds to the LAST analysis:
 *   - the facts (struct cr_series, kept as "series" with the pass
 *     machinery: cr_series_of) that the JSON report prints: the member
 *     dumps with their times and every thread's CPU time, state and top
 *     function in each dump;
 *   - findings of the pass "series": the timeline table, threads above a
 *     CPU threshold (or, when the dumps record no CPU time, running user
 *     code in every dump), threads whose stacks did not change, threads
 *     that appeared or vanished, locks held by one owner in every dump (the
 *     wait-for graph, passes/locks.h).
 * The reports then print that last analysis as they print any: the series
 * needs no section of its own.
 *
 * Time: the dumps' own times (process.dump_time) when every dump records
 * one; else the files' modification times when they differ; else the
 * order given, spaced by --interval when given (an --interval also
 * replaces modification times, which copying a file changes).
 */
#ifndef CR_SERIES_H
#define CR_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "analysis.h"

/* Where the times of a series' dumps come from. */
enum cr_series_clock {
	CR_SERIES_CLOCK_DUMP = 0,	/* recorded in each dump */
	CR_SERIES_CLOCK_FILE,		/* the files' modification times */
	CR_SERIES_CLOCK_INTERVAL,	/* the order given, --interval apart */
	CR_SERIES_CLOCK_ORDER,		/* the order given, no spacing known */
};
/* Stable id for JSON ("dump-time", "file-time", "interval", "order"). */
const char *cr_series_clock_id(enum cr_series_clock c);

/* One dump given to cr_series_analyze (all borrowed). */
struct cr_series_input {
	const char *path;
	struct cr_analysis *analysis;	/* its dump is analysis->dump */
	bool mtime_known;
	double mtime;			/* the file's, seconds since the epoch */
};

struct cr_series_options {
	double interval;	/* seconds between dumps (--interval), 0 none */
	double cpu_threshold;	/* share of one core that makes a thread
				 * busy (--cpu-threshold), 0: the default */
};

#define CR_SERIES_CPU_THRESHOLD_DEFAULT 0.8
/* At most this many dumps in a series: every dump and its analysis stay
 * open until the series is analyzed (a bound on memory and on the
 * tables' columns). */
#define CR_SERIES_MAX_DUMPS 32
/* Rows of the stuck, came-or-went and timeline tables; the rest are
 * counted ("threads not listed").  The JSON's series.threads is complete. */
#define CR_SERIES_TABLE_ROWS 32

/* One thread in one dump of the series. */
struct cr_series_cell {
	bool present;		/* the thread is in that dump */
	size_t index;		/* then its index in that dump's analysis */
	bool cpu_known;
	uint64_t cpu_us;	/* its own user + system time */
	enum cr_state_kind state;
	char *function;		/* innermost function (or module+offset),
				 * NULL none */
};

/* One thread (one tid) across the series. */
struct cr_series_thread {
	int64_t tid;
	char *name;		/* the last name it had, NULL none */
	ssize_t thread;		/* index into the last analysis' threads,
				 * -1: not in the last dump */
	struct cr_series_cell *cells;	/* one per dump, in time order */
	bool busy;		/* above the threshold, or running in every
				 * dump when no CPU time is recorded */
	bool stuck;		/* same stack, not running, in every dump */
};

struct cr_series_dump {
	char *path;
	double time;		/* seconds: since the epoch for the dump and
				 * file clocks, since the first dump for the
				 * interval clock, the position for order */
};

struct cr_series {
	enum cr_series_clock clock;
	double span;		/* seconds from the first dump to the last,
				 * 0 unknown */
	double cpu_threshold;
	bool cpu_recorded;	/* some thread's CPU time in every dump */
	struct cr_series_dump *dumps;	/* in time order */
	size_t ndumps;
	struct cr_series_thread *threads;	/* by tid */
	size_t nthreads;
	/* How the heap grew (series_heap.h), NULL when fewer than two dumps
	 * have a walked heap. */
	struct cr_series_heap *heap;
};

/*
 * Whether the N dumps D are a series: at least two, every one with a known
 * pid and executable, all the same, and the same process start time where
 * recorded.  Dumps of different processes are not (they are analyzed one by
 * one).  The caller checks that the files differ.
 */
bool cr_series_is_series(const struct cr_dump *const *d, size_t n);

/*
 * Order IN (N analyses of one process's dumps, N >= 2) by time, in place,
 * and add the series' facts and findings to the last one (IN[N-1] after
 * the call).  An error only when out of memory.
 */
struct cr_error *cr_series_analyze(struct cr_series_input *in, size_t n,
				   const struct cr_series_options *o);

/* The series facts kept in A, NULL when A is not a series' report. */
const struct cr_series *cr_series_of(const struct cr_analysis *a);

#endif
