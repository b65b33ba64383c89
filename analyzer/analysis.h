/*
 * analysis.h - what the analyzer found: the contract between analyzer/ and
 * reports/.
 *
 * The analyzer reads a struct cr_dump (borrowed, never changed) and builds a
 * struct cr_analysis: every thread's stack already symbolized, inlined
 * frames expanded, deep recursion folded, identical stacks grouped, the
 * crash classified and the summary paragraph written.  A report writer only
 * prints what is here; it decides nothing.
 *
 * Ownership: the analysis owns everything it points to except `dump` and the
 * `thread`/`module` pointers into it.  Strings in frames (module, function,
 * file) point into the analysis' symbol cache and live as long as it does.
 */
#ifndef CR_ANALYSIS_H
#define CR_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "dump.h"
#include "findings.h"

#define CR_VERSION "0.1.0"

/* How a frame was found, best first (the same scale as Breakpad's). */
enum cr_trust {
	CR_TRUST_CONTEXT = 0,	/* the thread's registers */
	CR_TRUST_CFI,		/* call frame information */
	CR_TRUST_FP,		/* frame pointer chain */
	CR_TRUST_SCAN,		/* stack scanning */
	CR_TRUST_INLINE,	/* an inlined call inside the next frame */
};
const char *cr_trust_name(enum cr_trust t);	/* "context", "cfi", ... */

/* One frame as the report shows it (inlined calls are frames of their own). */
struct cr_frame {
	uint64_t pc;		/* as unwound (return address for callers) */
	enum cr_trust trust;
	const char *module;	/* module file name (basename), NULL none */
	uint64_t module_offset;	/* pc - module base, when module != NULL */
	const char *function;	/* demangled, NULL unknown */
	bool function_offset_known;
	uint64_t function_offset;
	const char *file;	/* source file, NULL unknown */
	int line;		/* 0 unknown */
	int column;		/* 0 unknown */
};

/*
 * Frames [first, last] (indexes into cr_stack.frames) repeat a cycle of
 * `period` frames `repeats` times (the last repetition may be partial).
 * Reports print one line for the whole range:
 *   "frames 4-116,450: list_repr -> PyObject_Repr repeated 58,223 times"
 */
struct cr_fold {
	size_t first, last;
	size_t period;
	size_t repeats;
	char *cycle;		/* "list_repr -> PyObject_Repr" */
};

struct cr_stack {
	struct cr_frame *frames;	/* innermost first */
	size_t nframes;
	struct cr_fold *folds;		/* sorted, non-overlapping */
	size_t nfolds;
	bool unwound;		/* false: no registers, nothing unwound */
	bool stack_missing;	/* the memory at the stack pointer is not in
				 * the dump: frames past the first are not
				 * from the stack */
	char *end_reason;	/* why unwinding stopped early, NULL if it ended normally */
};

/*
 * What a thread was doing, as data (pass_state; the rules are tables in
 * passes/state.c).  The sentence a report shows is derived from it in one
 * place, cr_thread_state_text().
 */
enum cr_state_kind {
	CR_STATE_UNKNOWN = 0,	/* nothing recorded says */
	CR_STATE_RUNNING,	/* running user code (not in a system call) */
	CR_STATE_SYSCALL,	/* in a system call not named below */
	CR_STATE_LOCK,		/* blocked on a lock (mutex, rwlock, critical
				 * section, SRW lock) */
	CR_STATE_CONDVAR,	/* waiting on a condition variable */
	CR_STATE_SEMAPHORE,	/* waiting on a semaphore */
	CR_STATE_EVENT,		/* waiting on an event or object handle */
	CR_STATE_SLEEPING,	/* sleeping for a time */
	CR_STATE_IO,		/* waiting for I/O (read, poll, accept...) */
	CR_STATE_POOL_IDLE,	/* an idle worker of a thread pool */
	CR_STATE_CHILD,		/* waiting for a child process */
	CR_STATE_SIGNAL,	/* waiting for a signal */
	CR_STATE_CRASHED,	/* the thread the crash happened on */
	CR_STATE_KIND_COUNT
};
/* Stable id for JSON ("blocked-on-lock"); an enum in the schema. */
const char *cr_state_kind_id(enum cr_state_kind k);

/* How a system call argument is shown. */
enum cr_arg_kind {
	CR_ARG_INT,		/* a signed number */
	CR_ARG_HEX,		/* a number shown in hex (flags) */
	CR_ARG_FD,		/* a file descriptor */
	CR_ARG_ADDRESS,		/* an address (futex word, buffer) */
	CR_ARG_FUTEX_OP,	/* a futex operation (value: FUTEX_* | flags) */
	CR_ARG_TIMEOUT,		/* a timeout pointer: 0 = none (forever) */
	CR_ARG_TIMEOUT_MS,	/* a timeout in milliseconds: negative = none */
	CR_ARG_DURATION_NS,	/* nanoseconds of a sleep, read from the
				 * timespec its req argument points to: asked
				 * ("duration") or left ("remaining") */
};

/* Stable id for JSON ("futex-op"); an enum in the schema. */
const char *cr_arg_kind_id(enum cr_arg_kind k);

struct cr_syscall_arg {
	const char *name;	/* static: "fd", "uaddr", "op", "timeout" */
	enum cr_arg_kind kind;
	uint64_t value;
};

#define CR_STATE_MAX_ARGS 4

struct cr_thread_state {
	enum cr_state_kind kind;
	const char *activity;	/* static phrase from the rules: "blocked
				 * reading", NULL: the kind's own words */
	const char *function;	/* the frame's function that told the state
				 * ("pthread_cond_wait"), NULL none */
	bool syscall_known;	/* stopped in a system call: syscall_nr is
				 * set (-1 when the number is unknown) */
	int64_t syscall_nr;
	const char *syscall_name;	/* static, NULL unknown number */
	struct cr_syscall_arg args[CR_STATE_MAX_ARGS];	/* decoded where they
							 * matter */
	unsigned nargs;
	bool wait_object_known;
	uint64_t wait_object;	/* the futex word, mutex, handle waited on */
	const char *wait_object_what;	/* static: "futex", "mutex", "lock"
					 * (a glibc internal lock) */
	bool stack_missing;	/* the stack's memory is not in the dump: no
				 * function to go by, kind UNKNOWN */
	/* The thread received a signal sent to the process (crash.sent): it
	 * did not crash, and kind says what it was doing. */
	struct {
		bool known;
		int signo;		/* 0 none */
		const char *signal;	/* "SIGTERM", static; NULL: signo */
		const char *from;	/* "process 1234 (uid 0)" (borrowed from
					 * the analysis' crash.sender), "the
					 * process itself"; NULL not recorded */
	} received;
};

/*
 * The sentence a report shows for S ("blocked reading (in system call read
 * on fd 5)"); malloc'd, NULL when out of memory.  The one place it is made.
 */
char *cr_thread_state_text(const struct cr_thread_state *s);
/* Whether anything is known of S (else reports say "not recorded"). */
bool cr_thread_state_known(const struct cr_thread_state *s);

struct cr_thread_analysis {
	const struct cr_thread *thread;	/* borrowed from the dump */
	struct cr_stack stack;
	size_t group;		/* index into cr_analysis.groups */
	bool crashed;		/* the thread the crash happened on */
	struct cr_thread_state st;	/* what it was doing (pass_state) */
};

/* Threads whose stacks are the same function sequence. */
struct cr_thread_group {
	size_t *members;	/* indexes into cr_analysis.threads, ascending */
	size_t nmembers;
};

struct cr_module_analysis {
	const struct cr_module *module;	/* borrowed from the dump */
	char *file;		/* binary used for symbols/CFI, NULL not found */
	char *debug_file;	/* separate debug info used, NULL none */
	bool has_debug_info;	/* DWARF with lines was found */
	bool mismatch;		/* a file was found but its build id differs */
	bool host_file;		/* FILE is this machine's file at the dump's
				 * path, used because no --sysroot was given */
};

/* What the reports say of a host_file (it may not be the dump's file). */
#define CR_HOST_FILE_NOTE "this machine's file: no --sysroot given"


enum cr_crash_class {
	CR_CRASH_NONE = 0,		/* no crash: dump taken on demand */
	CR_CRASH_NULL_DEREF,
	CR_CRASH_UNMAPPED,
	CR_CRASH_WRITE_READONLY,
	CR_CRASH_READ_PROTECTED,
	CR_CRASH_EXEC_NX,
	CR_CRASH_STACK_OVERFLOW,
	CR_CRASH_ABORT,
	CR_CRASH_ARITHMETIC,
	CR_CRASH_ILLEGAL_INSN,
	CR_CRASH_BUS_ERROR,
	CR_CRASH_BREAKPOINT,
	CR_CRASH_KILLED,		/* a signal sent by another process */
	CR_CRASH_OTHER,
};

struct cr_crash {
	enum cr_crash_class cls;
	const char *class_id;	/* stable id: "null-pointer-dereference" */
	const char *class_text;	/* plain words: "null-pointer dereference" */
	const char *signal_name;	/* "SIGSEGV" / "EXCEPTION_ACCESS_VIOLATION", NULL none */
	int signo;			/* 0 none */
	const char *code_name;		/* "SEGV_MAPERR", NULL unknown */
	const char *code_text;		/* "address not mapped to object" */
	bool address_known;
	uint64_t address;		/* faulting data address */
	char *address_text;		/* where that address lies, plain words */
	char *sender;			/* "process 1234 (uid 0)", NULL n/a */
	bool sent;			/* the signal or event was sent (by another
					 * process, the kernel, a console, the process
					 * itself), not raised by a fault of `thread`:
					 * that thread received it, it did not crash */
	char *abort_message;		/* glibc abort/assert message, NULL none */
	ssize_t thread;			/* index into threads, -1 none */
	char *signature;		/* grouping key (passes/signature.h) */
	char **sig_frames;		/* its normalized frames, owned */
	size_t nsig_frames;
	char *code;			/* "SIGSEGV", "0xC0000005", NULL none */
	char *bucket;			/* short stable id, hex; NULL none */
};

/* Facts a pass keeps for the passes after it (pass.h: cr_pass_keep). */
struct cr_pass_data {
	const char *pass;	/* static: the pass's name */
	void *data;
	void (*free_fn)(void *);	/* NULL: free() */
};

struct cr_analysis {
	const struct cr_dump *dump;	/* borrowed */
	struct cr_findings findings;	/* what the passes concluded */
	struct cr_crash crash;
	char *summary;			/* the one paragraph at the top */
	struct cr_pass_data *kept;	/* facts passes keep for later ones */
	size_t nkept;
	ssize_t focus_thread;		/* crashed or most interesting, -1 none */

	struct cr_thread_analysis *threads;	/* same order as dump->threads */
	size_t nthreads;
	struct cr_thread_group *groups;	/* group of focus thread first, then by size */
	size_t ngroups;
	struct cr_module_analysis *modules;	/* same order as dump->modules */
	size_t nmodules;

	struct cr_problems problems;	/* analysis-level (diag.h) */

	void *priv;			/* symbol cache, string pool */
};

struct cr_file_cache;

/* Whether to analyze the heap (--heap, --no-heap): passes/heap.c. */
enum cr_heap_mode {
	CR_HEAP_MODE_AUTO = 0,	/* dumps taken on demand, out-of-memory
				 * crashes; the walk alone for a crash in the
				 * allocator */
	CR_HEAP_MODE_ALWAYS,		/* walk, leaks and statistics for every dump */
	CR_HEAP_MODE_NEVER,
};

struct cr_options {
	const char *sysroot;		/* binaries of the dump's machine */
	const char **debug_dirs;	/* extra debug dirs, NULL-terminated */
	const char **image_dirs;	/* dirs holding module files by name */
	const char **symbol_dirs;	/* Breakpad symbol trees (--symbols) */
	const char *executable;		/* the main executable's file */
	size_t max_frames;		/* per thread, 0 = default */
	size_t signature_frames;	/* frames in the crash signature
					 * (--signature-frames), 0 = default */
	uint64_t max_decompressed;	/* --max-decompressed, 0 = default
					 * (for cr_dump_open_with) */
	bool all_lines;			/* source lines in system libraries for
					 * every thread, not just the focus */
	/* Passes not to run (--skip-pass), by registry name; NULL-terminated,
	 * NULL none.  Names the registry does not have are ignored. */
	const char *const *skip_passes;
	enum cr_heap_mode heap;		/* --heap / --no-heap */
	struct cr_file_cache *file_cache;	/* files kept for the analyses of
					 * several dumps (below); NULL: each
					 * analysis reads its own */
};

/*
 * Files parsed once for the analyses of many dumps in one process (a batch):
 * Breakpad .sym files, Windows PE files and the sorted symbol tables of ELF
 * files, by their identity on disk.  One
 * cache may be shared by analyses running on several threads
 * (analyzer/symbols/file_cache.h).  It must outlive every analysis given it
 * in cr_options.file_cache.  NULL when out of memory.
 */
struct cr_file_cache *cr_file_cache_new(void);
void cr_file_cache_free(struct cr_file_cache *c);
struct cr_file_cache_stats {
	size_t files;		/* parsed and kept */
	size_t hits;		/* requests answered without reading */
	size_t loads;		/* files parsed (symbol indexes built) */
	size_t evicted;		/* entries dropped to stay within the limit */
	size_t bytes;		/* memory the entries hold */
	size_t dwarf;		/* module files whose DWARF is kept open */
};
void cr_file_cache_stats(struct cr_file_cache *c, struct cr_file_cache_stats *out);
/*
 * Keep at most BYTES of parsed files between dumps (the default:
 * CR_FILE_CACHE_LIMIT, 256 MiB); cr_file_cache_trim() drops the least
 * recently used ones to that.  Trim only between analyses: an analysis
 * borrows what it asked for until it is freed.
 */
void cr_file_cache_set_limit(struct cr_file_cache *c, size_t bytes);
void cr_file_cache_trim(struct cr_file_cache *c);

/* Analyze D.  On success *OUT owns the result; free it with cr_analysis_free. */
struct cr_error *cr_analyze(const struct cr_dump *d,
			    const struct cr_options *opts,
			    struct cr_analysis **out);
void cr_analysis_free(struct cr_analysis *a);
/* Free what stack S owns (frames, folds, end reason); S itself is not freed. */
void cr_stack_free(struct cr_stack *s);

#endif
