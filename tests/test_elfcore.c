/*
 * test_elfcore.c - tests of the ELF core reader (formats/elfcore.c) on real
 * cores made at test time and on damaged and synthetic ones.
 *
 * - A kernel core of elfcore_victim (3 threads, SIGSEGV at a planted
 *   address in victim_crash()), made by a forked child with RLIMIT_CORE
 *   raised; skipped when /proc/sys/kernel/core_pattern is not "core".
 * - A gcore of a live elfcore_victim; skipped when gcore is missing.
 * - The elfutils test cores under SHARED_CORPUS; skipped when absent.
 * - The kernel core cut at 10/50/99 %, a note whose descsz lies, an NT_FILE
 *   whose count lies, and a synthetic core with 10,000 threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "coresynth.h"
#include "dump.h"

#define VICTIM_FAULT_ADDR 0x1234560ull	/* as in elfcore_victim.c */

static char kernel_core[4096];		/* "" when none could be made */
static uint64_t crash_fn;		/* &victim_crash in the crashed child */
static pid_t crash_pid;
static const char *skip_why = "no kernel core";

static bool file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* Start the victim with ARG, its stdout on *OUT; returns its pid. */
static pid_t spawn_victim(const char *arg, FILE **out, bool core)
{
	int p[2];
	if (pipe(p) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		if (chdir(WORK_DIR) != 0)
			_exit(126);
		if (core) {
			struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
			setrlimit(RLIMIT_CORE, &rl);
		}
		execl(VICTIM_PATH, "elfcore_victim", arg, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	*out = fdopen(p[0], "r");
	return pid;
}

static char *read_file_line(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *r = fgets(buf, (int)n, f);
	fclose(f);
	if (r)
		buf[strcspn(buf, "\n")] = 0;
	return r;
}

/* Make the kernel core once for all tests. */
static int setup(void **state)
{
	char pattern[256], uses_pid[16];
	mkdir(WORK_DIR, 0755);
	if (!read_file_line("/proc/sys/kernel/core_pattern", pattern,
			    sizeof(pattern)) ||
	    strcmp(pattern, "core") != 0) {
		skip_why = "core_pattern is not the plain file name \"core\"";
		return 0;
	}
	bool with_pid = read_file_line("/proc/sys/kernel/core_uses_pid",
				       uses_pid, sizeof(uses_pid)) &&
			strcmp(uses_pid, "1") == 0;
	FILE *out;
	char path[4096];
	snprintf(path, sizeof(path), "%s/core", WORK_DIR);
	unlink(path);
	crash_pid = spawn_victim("crash", &out, true);
	char line[256];
	while (fgets(line, sizeof(line), out))
		if (strncmp(line, "victim_crash=", 13) == 0)
			crash_fn = strtoull(line + 13, NULL, 16);
	fclose(out);
	int st;
	waitpid(crash_pid, &st, 0);
	if (!WIFSIGNALED(st) || !WCOREDUMP(st)) {
		skip_why = "the victim did not dump core";
		return 0;
	}
	if (with_pid)
		snprintf(path, sizeof(path), "%s/core.%d", WORK_DIR,
			 (int)crash_pid);
	if (file_exists(path))
		snprintf(kernel_core, sizeof(kernel_core), "%s", path);
	return 0;
}

static struct cr_dump *open_ok(const char *path)
{
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_open(path, &d);
	if (err)
		fail_msg("%s", err->message);
	assert_non_null(d);
	return d;
}

static bool has_module(const struct cr_dump *d, const char *suffix,
		       bool want_build_id)
{
	size_t n = strlen(suffix);
	for (size_t i = 0; i < d->nmodules; i++) {
		const struct cr_module *m = &d->modules[i];
		size_t l = strlen(m->path);
		if (l >= n && strcmp(m->path + l - n, suffix) == 0 &&
		    (!want_build_id || m->build_id_len >= 16))
			return true;
	}
	return false;
}

static void test_kernel_core(void **state)
{
	if (!kernel_core[0])
		skip();
	struct cr_dump *d = open_ok(kernel_core);
	assert_string_equal(d->producer, "Linux kernel");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.pid, crash_pid);
	assert_int_equal(d->nthreads, 3);
	assert_int_equal(d->threads[0].tid, crash_pid);	/* crashed: first */
	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.signo, SIGSEGV);
	assert_int_equal(d->event.tid, crash_pid);
	assert_true(d->event.siginfo_known);
	assert_int_equal(d->event.si_code, 1 /* SEGV_MAPERR */);
	assert_true(d->event.fault_addr_known);
	assert_int_equal(d->event.fault_addr, VICTIM_FAULT_ADDR);
	uint64_t pc;
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	assert_true(pc >= crash_fn && pc < crash_fn + 64);
	/* Workers block in read(2). */
	for (size_t i = 1; i < 3; i++) {
		assert_true(d->threads[i].syscall_known);
		assert_true(d->threads[i].in_syscall);
		assert_int_equal(d->threads[i].syscall_nr, 0 /* read */);
		assert_int_equal(d->threads[i].signo, 0);
	}
	assert_true(d->threads[0].syscall_known);
	assert_false(d->threads[0].in_syscall);
	/* The victim burned 60 ms of CPU and the leader's entry holds the
	 * process totals; their value is the kernel's tick sampling (0 to
	 * 68 ms seen for 50 ms of spinning on a loaded VM), so only that they
	 * are recorded is asserted. */
	assert_true(d->process.user.known);
	assert_true(d->process.sys.known);
	assert_true(d->threads[1].user.known);
	/* Modules: the executable and libc, with build ids. */
	assert_true(has_module(d, "/elfcore_victim", true));
	assert_true(has_module(d, "/libc.so.6", true));
	const struct cr_module *m = cr_dump_module_at(d, pc);
	assert_non_null(m);
	assert_true(m->is_main);
	assert_string_equal(d->process.executable, VICTIM_PATH);
	assert_string_equal(d->process.command_line, "elfcore_victim crash");
	/* NT_FILE backs the region of the pc. */
	const struct cr_region *r = cr_dump_region_at(d, pc);
	assert_non_null(r);
	assert_non_null(r->path);
	assert_string_equal(r->path, VICTIM_PATH);
	assert_true(r->prot & CR_PROT_X);
	/* The stack pointer is in captured memory. */
	uint64_t sp, word;
	assert_true(cr_thread_sp(d, &d->threads[0], &sp));
	assert_true(cr_dump_read_word(d, sp, &word));
	assert_int_equal(d->problems.n, 0);
	cr_dump_free(d);
}

static void test_gcore(void **state)
{
	if (system("command -v gcore >/dev/null 2>&1") != 0)
		skip();
	FILE *out;
	pid_t pid = spawn_victim("wait", &out, false);
	char line[64];
	assert_non_null(fgets(line, sizeof(line), out));
	char cmd[8192], path[4096];
	snprintf(path, sizeof(path), "%s/gcore", WORK_DIR);
	snprintf(cmd, sizeof(cmd), "gcore -o %s %d >/dev/null 2>&1", path,
		 (int)pid);
	int rc = system(cmd);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	fclose(out);
	snprintf(path, sizeof(path), "%s/gcore.%d", WORK_DIR, (int)pid);
	if (rc != 0 || !file_exists(path)) {
		/* No ptrace permission (a container): nothing to test. */
		skip();
	}
	struct cr_dump *d = open_ok(path);
	assert_string_equal(d->producer, "gdb (gcore)");
	assert_int_equal(d->nthreads, 3);
	assert_int_equal(d->process.pid, pid);
	/* A live process: no signal, and gdb writes no cpu times. */
	assert_int_equal(d->event.kind, CR_EVENT_NONE);
	assert_false(d->process.user.known);
	for (size_t i = 0; i < d->nthreads; i++)
		assert_false(d->threads[i].user.known);
	assert_true(has_module(d, "/elfcore_victim", true));
	assert_true(has_module(d, "/libc.so.6", true));
	uint64_t pc;
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	assert_non_null(cr_dump_module_at(d, pc));
	cr_dump_free(d);
	unlink(path);
}

/* PATH opened as `coroner batch`'s probe opens it and in full. */
static void compare_identity_only(const char *path, bool fast)
{
	struct cr_open_options oo = { .identity_only = true };
	struct cr_dump *full = open_ok(path), *id = NULL;
	struct cr_error *err = cr_dump_open_with(path, &oo, &id);
	if (err)
		fail_msg("%s", err->message);
	assert_int_equal(id->process.pid, full->process.pid);
	assert_int_equal(id->nthreads, full->nthreads);
	assert_non_null(full->process.executable);
	assert_non_null(id->process.executable);
	assert_string_equal(id->process.executable, full->process.executable);
	assert_true(full->nmodules > 0);
	/* Fast: the modules were not looked for; else as in full. */
	assert_int_equal(id->nmodules, fast ? 0 : full->nmodules);
	printf("%s: executable %s, %zu modules in full, %zu for the probe\n",
	       path, id->process.executable, full->nmodules, id->nmodules);
	cr_dump_free(id);
	cr_dump_free(full);
}

/*
 * The probe's open (identity_only) gives the executable the full open
 * gives: without looking for modules when AT_EXECFN is absolute (the
 * victim exec'd by its absolute path), through them when it is relative
 * (exec'd as "./victim-link", a symbolic link to it: the executable is
 * then the main module's absolute path).
 */
static void test_identity_only(void **state)
{
	if (!kernel_core[0])
		skip();
	compare_identity_only(kernel_core, true);
	char dir[4096], link[4200], core[4200];
	snprintf(dir, sizeof(dir), "%s/relative", WORK_DIR);
	mkdir(dir, 0755);
	snprintf(link, sizeof(link), "%s/victim-link", dir);
	snprintf(core, sizeof(core), "%s/core", dir);
	unlink(link);
	unlink(core);
	assert_int_equal(symlink(VICTIM_PATH, link), 0);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
		setrlimit(RLIMIT_CORE, &rl);
		if (chdir(dir) != 0)
			_exit(126);
		execl("./victim-link", "victim-link", "crash", (char *)NULL);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	char with_pid[4300];
	snprintf(with_pid, sizeof(with_pid), "%s.%d", core, (int)pid);
	const char *made = file_exists(with_pid) ? with_pid : core;
	assert_true(WIFSIGNALED(st) && file_exists(made));
	compare_identity_only(made, false);
	unlink(made);
	unlink(link);
}

/* Decompress an elfutils core into the work directory; NULL to skip. */
static const char *corpus_core(const char *name, char *out, size_t n)
{
	char src[4096], cmd[9000];
	snprintf(src, sizeof(src), "%s/elfutils/%s.core.bz2", SHARED_CORPUS,
		 name);
	if (!file_exists(src))
		return NULL;
	snprintf(out, n, "%s/%s.core", WORK_DIR, name);
	if (!file_exists(out)) {
		snprintf(cmd, sizeof(cmd), "bunzip2 -kc '%s' > '%s'", src, out);
		if (system(cmd) != 0)
			return NULL;
	}
	return out;
}

static void test_elfutils_x86_64(void **state)
{
	char path[4096];
	if (!corpus_core("backtrace.x86_64", path, sizeof(path)))
		skip();
	struct cr_dump *d = open_ok(path);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.pid, 23096);
	assert_int_equal(d->nthreads, 2);
	assert_int_equal(d->threads[0].tid, 23097);
	assert_int_equal(d->threads[1].tid, 23096);
	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.signo, SIGABRT);
	assert_int_equal(d->event.tid, 23097);
	assert_true(d->event.sender_known);	/* raise(): SI_TKILL */
	assert_int_equal(d->event.sender_pid, 23096);
	uint64_t pc;
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	const struct cr_module *m = cr_dump_module_at(d, pc);
	assert_non_null(m);
	assert_true(m->is_main);
	cr_dump_free(d);
}

/* A static executable's core: the pc of every thread is in the main module. */
static void check_corpus_arch(const char *name, enum cr_arch arch)
{
	char path[4096];
	if (!corpus_core(name, path, sizeof(path)))
		skip();
	struct cr_dump *d = open_ok(path);
	assert_int_equal(d->process.arch, arch);
	assert_int_equal(d->nthreads, 2);
	assert_int_equal(d->event.signo, SIGABRT);
	uint64_t pc, sp;
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	assert_true(cr_thread_sp(d, &d->threads[0], &sp));
	const struct cr_module *m = cr_dump_module_at(d, pc);
	if (arch == CR_ARCH_AARCH64) {
		assert_non_null(m);
		assert_true(m->is_main);
	} else {
		/* i386: raise() is in the vdso (__kernel_vsyscall). */
		assert_non_null(m);
	}
	assert_non_null(cr_dump_region_at(d, sp));
	cr_dump_free(d);
}

static void test_elfutils_aarch64(void **state)
{
	check_corpus_arch("backtrace.aarch64", CR_ARCH_AARCH64);
}

static void test_elfutils_i386(void **state)
{
	check_corpus_arch("backtrace.i386", CR_ARCH_X86);
}

/* linkmap-cut: modules must still be found from the core's own data. */
static void test_elfutils_linkmap_cut(void **state)
{
	char path[4096];
	if (!corpus_core("linkmap-cut", path, sizeof(path)))
		skip();
	struct cr_dump *d = open_ok(path);
	assert_true(has_module(d, "linkmap-cut-lib.so", true));
	assert_true(has_module(d, "libc-2.18.so", true));
	cr_dump_free(d);
}

/* ---- damaged cores ---------------------------------------------------- */

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void test_truncated(void **state)
{
	if (!kernel_core[0])
		skip();
	size_t len;
	uint8_t *b = slurp(kernel_core, &len);
	static const int percents[] = { 10, 50, 99 };
	for (size_t i = 0; i < 3; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/cut%d.core", WORK_DIR,
			 percents[i]);
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		size_t n = len / 100 * (size_t)percents[i];
		assert_int_equal(fwrite(b, 1, n, f), n);
		fclose(f);
		struct cr_dump *d = open_ok(path);
		assert_true(d->problems.n > 0);
		assert_non_null(strstr(d->problems.items[0].text, "file cut off"));
		assert_int_equal(d->nthreads, 3);	/* notes come first */
		assert_int_equal(d->event.signo, SIGSEGV);
		cr_dump_free(d);
		unlink(path);
	}
	free(b);
}

/* ---- compressed cores (systemd-coredump) ------------------------------ */

/*
 * Compress the kernel core with each tool found, read it back; then cut the
 * compressed file in half: the reader keeps what decodes and says so.
 */
static void test_compressed(void **state)
{
	if (!kernel_core[0])
		skip();
	static const struct {
		const char *tool, *ext;
	} tools[] = { { "zstd -q -c", "zst" }, { "xz -c -T1", "xz" },
		      { "lz4 -q -c", "lz4" } };
	int tested = 0;
	for (size_t i = 0; i < 3; i++) {
		char path[4096], cmd[9000];
		snprintf(path, sizeof(path), "%s/core.%s", WORK_DIR, tools[i].ext);
		snprintf(cmd, sizeof(cmd), "%s '%s' > '%s' 2>/dev/null",
			 tools[i].tool, kernel_core, path);
		if (system(cmd) != 0)
			continue;
		tested++;
		struct cr_dump *d = open_ok(path);
		assert_int_equal(d->nthreads, 3);
		assert_int_equal(d->event.fault_addr, VICTIM_FAULT_ADDR);
		assert_non_null(strstr(d->format, tools[i].ext[0] == 'z' ? "zstd" : tools[i].ext));
		assert_int_equal(d->problems.n, 0);
		cr_dump_free(d);
		/* Cut in half. */
		size_t len;
		uint8_t *b = slurp(path, &len);
		FILE *f = fopen(path, "wb");
		assert_int_equal(fwrite(b, 1, len / 2, f), len / 2);
		fclose(f);
		free(b);
		d = open_ok(path);
		assert_true(d->problems.n > 0);
		bool cut = false;
		for (size_t j = 0; j < d->problems.n; j++)
			cut |= strstr(d->problems.items[j].text, "cut off") != NULL ||
			       strstr(d->problems.items[j].text, "damaged") != NULL;
		assert_true(cut);
		cr_dump_free(d);
		unlink(path);
	}
	if (!tested)
		skip();
}

/* ---- a tiny ELF core writer for synthetic cores ----------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (data)
		memcpy(b->p + b->len, data, n);
	else
		memset(b->p + b->len, 0, n);
	b->len += n;
}

static void put_note(struct buf *b, const char *name, uint32_t type,
		     const void *desc, uint32_t descsz, uint32_t claimed)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	uint32_t hdr[3] = { namesz, claimed, type };
	put(b, hdr, sizeof(hdr));
	put(b, name, namesz);
	put(b, NULL, ((namesz + 3) & ~3u) - namesz);
	put(b, desc, descsz);
	put(b, NULL, ((descsz + 3) & ~3u) - descsz);
}

/* An x86_64 core: NOTES as the one PT_NOTE, one 4 KiB PT_LOAD at 0x10000
 * holding MEM (zeros when NULL). */
static struct buf make_core_mem(const struct buf *notes, const uint8_t *mem)
{
	struct buf b = { 0 };
	size_t phoff = sizeof(Elf64_Ehdr);
	size_t notes_off = phoff + 2 * sizeof(Elf64_Phdr);
	size_t load_off = (notes_off + notes->len + 4095) & ~(size_t)4095;
	Elf64_Ehdr eh = coresynth_ehdr(2);
	put(&b, &eh, sizeof(eh));
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_NOTE, .p_offset = notes_off,
		  .p_filesz = notes->len },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		  .p_offset = load_off, .p_vaddr = 0x10000,
		  .p_filesz = 4096, .p_memsz = 4096, .p_align = 4096 },
	};
	put(&b, ph, sizeof(ph));
	put(&b, notes->p, notes->len);
	put(&b, NULL, load_off - b.len);
	put(&b, mem, 4096);
	return b;
}

static struct buf make_core(const struct buf *notes)
{
	return make_core_mem(notes, NULL);
}

/* An x86_64 NT_PRSTATUS for TID with SIG and rip = PC. */
static void put_prstatus(struct buf *notes, int tid, short sig, uint64_t pc)
{
	uint8_t d[336] = { 0 };
	memcpy(d + 12, &sig, 2);
	memcpy(d + 32, &tid, 4);
	uint64_t orig = (uint64_t)-1;
	memcpy(d + 112 + 15 * 8, &orig, 8);
	memcpy(d + 112 + 16 * 8, &pc, 8);
	put_note(notes, "CORE", NT_PRSTATUS, d, sizeof(d), sizeof(d));
}

static void test_many_threads(void **state)
{
	struct buf notes = { 0 };
	for (int i = 0; i < 10000; i++)
		put_prstatus(&notes, 1000 + i, i == 0 ? SIGSEGV : 0,
			     0x10000 + (uint64_t)i);
	struct buf core = make_core(&notes);
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_from_buffer(core.p, core.len, "synthetic",
						   &d);
	assert_null(err);
	assert_int_equal(d->nthreads, 10000);
	assert_int_equal(d->threads[9999].tid, 10999);
	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.tid, 1000);
	assert_false(d->event.siginfo_known);
	assert_true(d->process.user.known);	/* kernel-style notes: zeros are real */
	assert_int_equal(d->process.user.usec, 0);
	uint64_t pc;
	assert_true(cr_thread_pc(d, &d->threads[42], &pc));
	assert_int_equal(pc, 0x10000 + 42);
	assert_non_null(cr_dump_thread_by_tid(d, 5000));
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
}

static void test_lying_descsz(void **state)
{
	struct buf notes = { 0 };
	put_prstatus(&notes, 7, SIGSEGV, 0x10000);
	uint8_t junk[16] = { 0 };
	put_note(&notes, "CORE", NT_AUXV, junk, sizeof(junk), 0xffffffffu);
	put_prstatus(&notes, 8, 0, 0x10000);	/* after the liar: not read */
	struct buf core = make_core(&notes);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(core.p, core.len, "liar", &d));
	assert_int_equal(d->nthreads, 1);
	bool found = false;
	for (size_t i = 0; i < d->problems.n; i++)
		found |= strstr(d->problems.items[i].text, "descriptor size 4294967295") != NULL;
	assert_true(found);
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
}

static void test_lying_nt_file(void **state)
{
	struct buf notes = { 0 };
	put_prstatus(&notes, 7, SIGSEGV, 0x10000);
	uint64_t desc[2 + 3] = { 0xffffffffu, 4096, 0x10000, 0x11000, 0 };
	uint8_t raw[sizeof(desc) + 8];
	memcpy(raw, desc, sizeof(desc));
	memcpy(raw + sizeof(desc), "/x/y.so", 8);
	put_note(&notes, "CORE", NT_FILE, raw, sizeof(raw), sizeof(raw));
	struct buf core = make_core(&notes);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(core.p, core.len, "liar", &d));
	assert_int_equal(d->nthreads, 1);
	bool found = false;
	for (size_t i = 0; i < d->problems.n; i++)
		found |= strstr(d->problems.items[i].text, "count 4294967295 exceeds") != NULL;
	assert_true(found);
	assert_null(cr_dump_region_at(d, 0x10000)->path);
	/* The honest version names the region. */
	desc[0] = 1;
	memcpy(raw, desc, sizeof(desc));
	free(notes.p);
	free(core.p);
	notes = (struct buf){ 0 };
	put_prstatus(&notes, 7, SIGSEGV, 0x10000);
	put_note(&notes, "CORE", NT_FILE, raw, sizeof(raw), sizeof(raw));
	core = make_core(&notes);
	cr_dump_free(d);
	assert_null(cr_dump_from_buffer(core.p, core.len, "honest", &d));
	assert_string_equal(cr_dump_region_at(d, 0x10000)->path, "/x/y.so");
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
}

static bool has_problem(const struct cr_dump *d, const char *needle)
{
	for (size_t i = 0; i < d->problems.n; i++)
		if (strstr(d->problems.items[i].text, needle))
			return true;
	return false;
}

static void put_u64(uint8_t *mem, size_t off, uint64_t v)
{
	memcpy(mem + off, &v, 8);
}

/*
 * A core whose ELF image at 0x10000 has a link map naming PATH (and, when
 * IN_NT_FILE, whose NT_FILE names PATH for that mapping).  Layout of the
 * 4 KiB image: ELF header, PT_PHDR/PT_LOAD/PT_DYNAMIC (and PT_NOTE when
 * PKG) at 0x40, .dynamic (DT_DEBUG) at 0x300, r_debug at 0x400, link_map at
 * 0x500, l_name at 0x600, and with PKG its notes at 0x700: a GNU build id
 * and a package note ("FDO", 0xcafe1a7e) whose descriptor is PKG's PKGLEN
 * bytes (CLAIMED in its header).
 */
static struct buf make_image_core(const char *path, bool in_nt_file,
				  const char *pkg, uint32_t pkglen,
				  uint32_t claimed, struct buf *notes)
{
	static uint8_t mem[4096];
	memset(mem, 0, sizeof(mem));
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = 64;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = pkg ? 4 : 3;
	memcpy(mem, &eh, sizeof(eh));
	struct buf pn = { 0 };
	if (pkg) {
		static const uint8_t id[20] = { 0xb1, 0xd0 };
		put_note(&pn, "GNU", NT_GNU_BUILD_ID, id, sizeof(id), sizeof(id));
		put_note(&pn, "FDO", 0xcafe1a7e, pkg, pkglen, claimed);
		assert_true(pn.len <= sizeof(mem) - 0x700);
		memcpy(mem + 0x700, pn.p, pn.len);
	}
	Elf64_Phdr ph[4] = {
		{ .p_type = PT_PHDR, .p_flags = PF_R, .p_offset = 64,
		  .p_vaddr = 64, .p_filesz = 3 * 56, .p_memsz = 3 * 56,
		  .p_align = 8 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_vaddr = 0,
		  .p_filesz = 4096, .p_memsz = 4096, .p_align = 4096 },
		{ .p_type = PT_DYNAMIC, .p_flags = PF_R | PF_W,
		  .p_offset = 0x300, .p_vaddr = 0x300, .p_filesz = 32,
		  .p_memsz = 32, .p_align = 8 },
		{ .p_type = PT_NOTE, .p_flags = PF_R, .p_offset = 0x700,
		  .p_vaddr = 0x700, .p_filesz = pn.len, .p_memsz = pn.len,
		  .p_align = 4 },
	};
	free(pn.p);
	memcpy(mem + 64, ph, eh.e_phnum * sizeof(ph[0]));
	put_u64(mem, 0x300, DT_DEBUG);
	put_u64(mem, 0x308, 0x10400);
	put_u64(mem, 0x400, 1);			/* r_version */
	put_u64(mem, 0x408, 0x10500);		/* r_map */
	put_u64(mem, 0x500, 0x10000);		/* l_addr */
	put_u64(mem, 0x508, 0x10600);		/* l_name */
	put_u64(mem, 0x510, 0x10300);		/* l_ld */
	memcpy(mem + 0x600, path, strlen(path) + 1);

	*notes = (struct buf){ 0 };
	put_prstatus(notes, 7, SIGSEGV, 0x10010);
	uint64_t auxv[] = { AT_PHDR, 0x10040, AT_PHENT, 56, AT_PHNUM, 3,
			    AT_PAGESZ, 4096, AT_NULL, 0 };
	put_note(notes, "CORE", NT_AUXV, auxv, sizeof(auxv), sizeof(auxv));
	if (in_nt_file) {
		uint8_t raw[5 * 8 + 256] = { 0 };
		uint64_t desc[5] = { 1, 4096, 0x10000, 0x11000, 0 };
		memcpy(raw, desc, sizeof(desc));
		size_t n = strlen(path) + 1;
		assert_true(n <= 256);
		memcpy(raw + sizeof(desc), path, n);
		put_note(notes, "CORE", NT_FILE, raw,
			 (uint32_t)(sizeof(desc) + n), (uint32_t)(sizeof(desc) + n));
	}
	return make_core_mem(notes, mem);
}

static struct buf make_named_core(const char *path, bool in_nt_file,
				  struct buf *notes)
{
	return make_image_core(path, in_nt_file, NULL, 0, 0, notes);
}

/* The version a package note of PKGLEN bytes at PKG (CLAIMED in its
 * header) gives the module, NULL none; its build id is read all the same. */
static char *package_version(const char *pkg, uint32_t pkglen, uint32_t claimed)
{
	struct buf notes;
	struct buf core = make_image_core("/usr/bin/app", true, pkg, pkglen,
					  claimed, &notes);
	struct cr_dump *d = NULL;
	assert_null(cr_dump_from_buffer(core.p, core.len, "pkg", &d));
	assert_int_equal(d->nmodules, 1);
	assert_int_equal(d->modules[0].build_id_len, 20);
	assert_int_equal(d->modules[0].build_id[0], 0xb1);
	char *v = d->modules[0].version ? strdup(d->modules[0].version) : NULL;
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
	return v;
}

static void check_version(const char *json, const char *want)
{
	uint32_t n = (uint32_t)strlen(json) + 1;	/* with its NUL */
	char *v = package_version(json, n, n);
	if (!want) {
		if (v)
			fail_msg("%s: version %s, want none", json, v);
	} else {
		assert_non_null(v);
		assert_string_equal(v, want);
	}
	free(v);
}

/*
 * A module's package note (systemd's ELF package metadata, what ld
 * --package-metadata writes): its "version" is the module's version, when
 * it is short printable text in a JSON object that parses; anything else
 * gives no version and no error.
 */
static void test_package_note(void **state)
{
	(void)state;
	check_version("{\"type\":\"rpm\",\"name\":\"coreutils\",\"version\":\"9.4-7.fc40\","
		      "\"architecture\":\"x86_64\"}", "9.4-7.fc40");
	char buf[200];
	snprintf(buf, sizeof(buf), "{\"version\":\"%.64s\"}",
		 "1234567890123456789012345678901234567890123456789012345678901234");
	check_version(buf, "1234567890123456789012345678901234567890123456789012345678901234");
	snprintf(buf, sizeof(buf), "{\"version\":\"%.65s\"}",
		 "12345678901234567890123456789012345678901234567890123456789012345");
	check_version(buf, NULL);	/* 65 characters */
	check_version("{\"version\":\"1.0\\n<b>x</b>\"}", NULL);	/* a newline */
	check_version("{\"version\":\"1.0\\u0000x\"}", NULL);	/* a NUL inside */
	check_version("{\"version\":\"\"}", NULL);
	check_version("{\"version\":3}", NULL);
	check_version("{\"name\":\"x\"}", NULL);
	check_version("[\"version\",\"1.0\"]", NULL);
	check_version("{\"version\":\"1.0\",\"version\":\"2.0\"}", NULL);
	check_version("{\"version\":\"1.0\"", NULL);	/* cut */
	check_version("not json", NULL);
	/* No NUL: the descriptor's end ends the text. */
	const char *bare = "{\"version\":\"5.1\"}";
	char *v = package_version(bare, (uint32_t)strlen(bare), (uint32_t)strlen(bare));
	assert_non_null(v);
	assert_string_equal(v, "5.1");
	free(v);
	/* Text after the NUL is padding, not JSON. */
	static const char padded[] = "{\"version\":\"5.2\"}\0garbage";
	v = package_version(padded, sizeof(padded), sizeof(padded));
	assert_non_null(v);
	assert_string_equal(v, "5.2");
	free(v);
	/* Over EC_MAX_PACKAGE_NOTE (1 KiB): not read. */
	char big[1100];
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"version\":\"6.0\"}", 17);
	big[sizeof(big) - 1] = '\0';
	assert_null(package_version(big, sizeof(big), sizeof(big)));
	/* A descriptor claimed past the PT_NOTE: the notes end there. */
	assert_null(package_version("{\"version\":\"7.0\"}", 18, 4000));
}

/*
 * A hostile core naming a FIFO (in its link map or NT_FILE) must not make
 * the reader block: the reader opens nothing, so the name is just the
 * module's name (found through the link map, or NT_FILE).  The alarm turns
 * a hang into a failure.
 */
static void check_fifo_core(bool in_nt_file)
{
	char dir[] = "/tmp/coroner-fifo-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[64];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct buf notes;
	struct buf core = make_named_core(fifo, in_nt_file, &notes);
	struct cr_dump *d = NULL;
	alarm(30);
	struct cr_error *err = cr_dump_from_buffer(core.p, core.len, "fifo", &d);
	alarm(0);
	assert_null(err);
	assert_int_equal(d->nthreads, 1);
	assert_int_equal(d->nmodules, 1);
	assert_string_equal(d->modules[0].path, fifo);
	assert_int_equal(d->modules[0].base, 0x10000);
	assert_int_equal(d->modules[0].size, 0x1000);
	assert_false(has_problem(d, "link map"));
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
	core = make_named_core("/nonexistent/libx.so", in_nt_file, &notes);
	assert_null(cr_dump_from_buffer(core.p, core.len, "plain", &d));
	assert_int_equal(d->nmodules, 1);
	assert_string_equal(d->modules[0].path, "/nonexistent/libx.so");
	cr_dump_free(d);
	free(core.p);
	free(notes.p);
	unlink(fifo);
	rmdir(dir);
}

static void test_fifo_in_link_map(void **state)
{
	check_fifo_core(false);
}

static void test_fifo_in_nt_file(void **state)
{
	check_fifo_core(true);
}

/* cr_dump_open() on a FIFO: refused at once, not a blocking open(). */
static void test_open_fifo(void **state)
{
	char dir[] = "/tmp/coroner-fifo-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char fifo[64];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	struct cr_dump *d = NULL;
	alarm(30);
	struct cr_error *err = cr_dump_open(fifo, &d);
	alarm(0);
	assert_non_null(err);
	assert_null(d);
	assert_non_null(strstr(err->message, "not a regular file"));
	cr_error_free(err);
	unlink(fifo);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_core),
		cmocka_unit_test(test_gcore),
		cmocka_unit_test(test_identity_only),
		cmocka_unit_test(test_elfutils_x86_64),
		cmocka_unit_test(test_elfutils_aarch64),
		cmocka_unit_test(test_elfutils_i386),
		cmocka_unit_test(test_elfutils_linkmap_cut),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_compressed),
		cmocka_unit_test(test_many_threads),
		cmocka_unit_test(test_lying_descsz),
		cmocka_unit_test(test_lying_nt_file),
		cmocka_unit_test(test_fifo_in_link_map),
		cmocka_unit_test(test_fifo_in_nt_file),
		cmocka_unit_test(test_open_fifo),
		cmocka_unit_test(test_package_note),
	};
	int rc = cmocka_run_group_tests(tests, setup, NULL);
	if (!kernel_core[0])
		fprintf(stderr, "note: kernel core tests skipped: %s\n", skip_why);
	return rc;
}
