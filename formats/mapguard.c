/*
 * mapguard.c - survive a dump file that shrinks while it is mapped.
 *
 * Why this design: reads of the mapping happen everywhere (our cursors, the
 * memory reads of dump.c that the unwinder makes millions of times, libelf
 * over elf_memory(), libdwfl), so a guard around each read (sigsetjmp) would
 * cost on the hot path and could not cover the libraries; jumping out of a
 * library with siglongjmp() would leave its state half-changed.  Instead the
 * SIGBUS handler makes the faulting read succeed: it maps anonymous zero
 * pages (MAP_FIXED) over the part of the mapping past the file's new end,
 * which the kernel backs from then on, and returns, so the interrupted
 * instruction runs again and reads zeros.  What those zeros are worth is
 * settled afterwards: the guard records the new size, dump.c's reads stop
 * there (a read in flight during the fault is re-checked), and the dump
 * gets a problem line saying the file shrank (open.c, cr_dump_check_file).
 * Costs nothing until a fault: the readers test one global counter.
 *
 * The handler does only async-signal-safe things: fstat(), mmap(), plain
 * stores to the guard.  Guards are registered in a fixed table that the
 * handler scans; registering and removing happen outside any fault.
 *
 * Threads: the SIGBUS action belongs to the process, so this state is the
 * one process-wide part of reading a dump.  It is safe for dumps opened on
 * several threads: the handler is installed once (pthread_once), a slot is
 * claimed with a compare-and-swap, and cr_map_faults only ever grows (an
 * atomic add), so a reader that sees it change re-checks its own guard.
 */
#include "mapguard.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct cr_map_guard {
	uint8_t *base;
	size_t len;
	int fd;				/* the file, for fstat() in the handler */
	volatile size_t valid;		/* leading bytes the file backs */
	volatile sig_atomic_t faulted;
};

volatile sig_atomic_t cr_map_faults;

static struct cr_map_guard *volatile guards[CR_MAX_GUARDS];
static struct sigaction previous;	/* SIGBUS action before ours */
static bool installed;			/* written once, under install_once */
static size_t page_size;		/* likewise */
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

/* A fault we do not own: what would have happened without us. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction) {
		previous.sa_sigaction(sig, si, uc);
		return;
	}
	if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
		return;
	}
	/* Default action: restore it and return; the instruction faults
	 * again and the process dies of SIGBUS as it always did. */
	sigaction(SIGBUS, &previous, NULL);
}

/*
 * Zero-fill G's mapping from the page at OFF (or the file's new end, if
 * lower) to its end.  False when the mapping could not be replaced.
 */
static bool fill_past_end(struct cr_map_guard *g, size_t off)
{
	size_t from = off & ~(page_size - 1);
	size_t valid = from;
	struct stat st;
	if (fstat(g->fd, &st) == 0 && st.st_size >= 0 &&
	    (uint64_t)st.st_size < g->len) {
		/* The file shrank: bytes up to its new size are still its
		 * own (the page holding the end reads zeros past it without
		 * a fault); the pages after it all fault. */
		size_t size = (size_t)st.st_size;
		size_t keep = (size + page_size - 1) & ~(page_size - 1);
		if (keep < from)
			from = keep;
		valid = size;
	}
	/* Otherwise (an I/O error, a file that grew back): this page and
	 * the rest are taken as lost. */
	if (mmap(g->base + from, g->len - from, PROT_READ,
		 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return false;
	if (valid < g->valid)
		g->valid = valid;
	g->faulted = 1;
	return true;
}

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	uintptr_t a = (uintptr_t)si->si_addr;
	for (size_t i = 0; i < CR_MAX_GUARDS; i++) {
		struct cr_map_guard *g = guards[i];
		if (!g || a - (uintptr_t)g->base >= g->len)
			continue;
		if (fill_past_end(g, a - (uintptr_t)g->base)) {
			__atomic_add_fetch(&cr_map_faults, 1, __ATOMIC_SEQ_CST);
			errno = saved;
			return;
		}
		break;
	}
	errno = saved;
	chain(sig, si, uc);
}

/* Install the handler (once, for the first guard of the process). */
static void install_handler(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	page_size = ps > 0 ? (size_t)ps : 4096;
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	installed = sigaction(SIGBUS, &sa, &previous) == 0;
}

static bool install(void)
{
	return pthread_once(&install_once, install_handler) == 0 && installed;
}

struct cr_map_guard *cr_map_guard_add(void *base, size_t len, int fd)
{
	struct cr_map_guard *g = NULL;
	/* Without the file the handler could not tell how far it shrank. */
	if (fd < 0)
		return NULL;
	if (!install() || !(g = calloc(1, sizeof(*g)))) {
		close(fd);
		return NULL;
	}
	g->base = base;
	g->len = len;
	g->fd = fd;
	g->valid = len;
	for (size_t i = 0; i < CR_MAX_GUARDS; i++) {
		/* Filled in before it is published to the handler; the
		 * exchange keeps two threads from taking one slot. */
		struct cr_map_guard *none = NULL;
		if (__atomic_compare_exchange_n(&guards[i], &none, g, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return g;
	}
	close(fd);
	free(g);
	return NULL;
}

void cr_map_guard_remove(struct cr_map_guard *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < CR_MAX_GUARDS; i++)
		if (guards[i] == g)
			__atomic_store_n(&guards[i], NULL, __ATOMIC_SEQ_CST);
	close(g->fd);
	free(g);
}

int cr_map_guard_fd(const struct cr_map_guard *g)
{
	return g ? g->fd : -1;
}

size_t cr_map_guard_valid(const struct cr_map_guard *g)
{
	return g ? g->valid : SIZE_MAX;
}

bool cr_map_guard_check(struct cr_map_guard *g)
{
	if (!g)
		return false;
	/* A file cut inside the last page read so far raises no fault:
	 * the rest of that page reads as zeros.  fstat() sees it. */
	struct stat st;
	if (fstat(g->fd, &st) == 0 && st.st_size >= 0 &&
	    (uint64_t)st.st_size < g->valid) {
		g->valid = (size_t)st.st_size;
		g->faulted = 1;
		__atomic_add_fetch(&cr_map_faults, 1, __ATOMIC_SEQ_CST);
	}
	return g->faulted;
}
