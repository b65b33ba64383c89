/*
 * lock_situations.c - threads stuck on owned locks in the ways the locks
 * pass must name, one situation per run.
 *
 *   lock_situations SITUATION [wait|quit|crash]
 *
 * SITUATION:
 *   cycle       three threads each hold one mutex (cycle_lock_0..2) and
 *               wait for the next one's: a deadlock of three.
 *   convoy      "holder" locks queue_lock and blocks reading a pipe nobody
 *               writes to; eight workers then wait for queue_lock.
 *   rwlock      three readers hold table_lock (a pthread rwlock) for
 *               reading and block reading a pipe; a writer waits for it.
 *   dead-owner  "quitter" locks state_lock (a normal mutex) and exits
 *               without unlocking it; two workers then wait for it.
 *
 * Once every thread is where it must be (blocked in the system call that
 * situation needs, checked in /proc/self/task/TID/syscall), main writes the
 * ground truth to locks.txt in the working directory, one line per thread:
 * "ROLE TID LOCK-ADDRESS" (ROLE member, owner, waiter, reader, writer or
 * gone: the tid of the thread that exited holding the lock), and prints
 * "ready".  Then, with "wait" (the default) main blocks in pause() (for
 * gcore); with "quit" it sends the process SIGQUIT (a kernel core of a
 * dump taken on demand); with "crash" it writes through a NULL pointer.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blocked.h"

#define WORKERS 8
#define READERS 3

static pthread_mutex_t cycle_lock_0 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cycle_lock_1 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t cycle_lock_2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t *const cycle_locks[3] = {
	&cycle_lock_0, &cycle_lock_1, &cycle_lock_2,
};
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;

static int never[2];		/* a pipe nobody writes to */
static pid_t tids[WORKERS + 2];
static int holding;		/* threads holding their first lock */
static int *volatile target;	/* always NULL */
static FILE *facts;

static void fact(const char *role, pid_t tid, const void *lock)
{
	fprintf(facts, "%s %d %p\n", role, (int)tid, lock);
}

static void record_tid(long i)
{
	__atomic_store_n(&tids[i], corpus_gettid(), __ATOMIC_SEQ_CST);
}

/* Wait until the first N entries of tids are set. */
static void wait_tids(int n)
{
	for (int i = 0; i < n; i++)
		while (!__atomic_load_n(&tids[i], __ATOMIC_SEQ_CST))
			usleep(1000);
}

static void start(void *(*fn)(void *), long i)
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, (void *)i) != 0) {
		perror("pthread_create");
		_exit(1);
	}
	pthread_detach(t);
}

/* --- cycle --------------------------------------------------------------- */

__attribute__((noinline)) static void take_next(pthread_mutex_t *m)
{
	pthread_mutex_lock(m);
}

static void *cycle_member(void *arg)
{
	long i = (long)arg;
	pthread_mutex_lock(cycle_locks[i]);
	__atomic_add_fetch(&holding, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&holding, __ATOMIC_SEQ_CST) < 3)
		sched_yield();
	record_tid(i);
	take_next(cycle_locks[(i + 1) % 3]);
	return NULL;
}

static void cycle(void)
{
	for (long i = 0; i < 3; i++)
		start(cycle_member, i);
	wait_tids(3);
	corpus_wait_blocked(tids, 3, SYS_futex);
	for (int i = 0; i < 3; i++)
		fact("member", tids[i], cycle_locks[(i + 1) % 3]);
}

/* --- convoy -------------------------------------------------------------- */

__attribute__((noinline)) static void read_config(void)
{
	char c;
	if (read(never[0], &c, 1) < 0)
		perror("read");
}

static void *holder(void *arg)
{
	pthread_setname_np(pthread_self(), "holder");
	pthread_mutex_lock(&queue_lock);
	record_tid((long)arg);
	read_config();	/* forever, holding queue_lock */
	return NULL;
}

__attribute__((noinline)) static void enqueue(void)
{
	pthread_mutex_lock(&queue_lock);
}

static void *convoy_worker(void *arg)
{
	record_tid((long)arg);
	enqueue();
	return NULL;
}

static void convoy(void)
{
	start(holder, 0);
	wait_tids(1);
	corpus_wait_blocked(tids, 1, SYS_read);
	for (long i = 1; i <= WORKERS; i++)
		start(convoy_worker, i);
	wait_tids(WORKERS + 1);
	corpus_wait_blocked(tids + 1, WORKERS, SYS_futex);
	fact("owner", tids[0], &queue_lock);
	for (int i = 1; i <= WORKERS; i++)
		fact("waiter", tids[i], &queue_lock);
}

/* --- rwlock -------------------------------------------------------------- */

__attribute__((noinline)) static void *reader(void *arg)
{
	pthread_rwlock_rdlock(&table_lock);
	record_tid((long)arg);
	read_config();	/* forever, holding the read lock */
	return NULL;
}

__attribute__((noinline)) static void update_table(void)
{
	pthread_rwlock_wrlock(&table_lock);
}

static void *writer(void *arg)
{
	pthread_setname_np(pthread_self(), "writer");
	record_tid((long)arg);
	update_table();
	return NULL;
}

static void rwlock(void)
{
	for (long i = 0; i < READERS; i++)
		start(reader, i);
	wait_tids(READERS);
	corpus_wait_blocked(tids, READERS, SYS_read);
	start(writer, READERS);
	wait_tids(READERS + 1);
	corpus_wait_blocked(tids + READERS, 1, SYS_futex);
	fact("writer", tids[READERS], &table_lock);
	for (int i = 0; i < READERS; i++)
		fact("reader", tids[i], &table_lock);
}

/* --- dead owner ---------------------------------------------------------- */

static void *quitter(void *arg)
{
	pthread_mutex_lock(&state_lock);
	record_tid((long)arg);
	return NULL;	/* exits holding state_lock */
}

__attribute__((noinline)) static void save_state(void)
{
	pthread_mutex_lock(&state_lock);
}

static void *saver(void *arg)
{
	record_tid((long)arg);
	save_state();
	return NULL;
}

static void dead_owner(void)
{
	pthread_t q;
	if (pthread_create(&q, NULL, quitter, (void *)0L) != 0) {
		perror("pthread_create");
		_exit(1);
	}
	pthread_join(q, NULL);
	for (long i = 1; i <= 2; i++)
		start(saver, i);
	wait_tids(3);
	corpus_wait_blocked(tids + 1, 2, SYS_futex);
	fact("gone", tids[0], &state_lock);
	for (int i = 1; i <= 2; i++)
		fact("waiter", tids[i], &state_lock);
}

__attribute__((noinline)) void crash_main(void);

__attribute__((noinline)) void crash_main(void)
{
	*target = 1;
}

static const struct {
	const char *name;
	void (*plant)(void);
} situations[] = {
	{ "cycle", cycle },
	{ "convoy", convoy },
	{ "rwlock", rwlock },
	{ "dead-owner", dead_owner },
};

int main(int argc, char **argv)
{
	const char *how = argc > 2 ? argv[2] : "wait";
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(situations) / sizeof(situations[0]); i++)
		if (!strcmp(argv[1], situations[i].name))
			break;
	if (argc < 2 || i == sizeof(situations) / sizeof(situations[0])) {
		fprintf(stderr, "usage: lock_situations cycle|convoy|rwlock|"
			"dead-owner [wait|quit|crash]\n");
		return 2;
	}
	if (pipe(never) != 0) {
		perror("pipe");
		return 1;
	}
	facts = fopen("locks.txt", "w");
	if (!facts) {
		perror("locks.txt");
		return 1;
	}
	situations[i].plant();
	fclose(facts);
	puts("ready");
	fflush(stdout);
	if (!strcmp(how, "quit"))
		kill(getpid(), SIGQUIT);
	else if (!strcmp(how, "crash"))
		crash_main();
	for (;;)
		pause();
}
