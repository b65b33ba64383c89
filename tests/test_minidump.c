/*
 * test_minidump.c - unit tests of the minidump reader on dumps synthesized
 * by mdsynth: one test per stream, and one per kind of damage.  A damaged
 * dump must still open (or fail cleanly with CR_ERR_FORMAT/CR_ERR_CORRUPT)
 * and say what it could not read in d->problems.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dump.h"
#include "mdsynth.h"
#include "minidump.h"
#include "util.h"

/* --- helpers --------------------------------------------------------------- */

/*
 * With MDSYNTH_SEED_DIR set, every dump a test opens is also written there:
 * that is how tests/fuzz-corpus/minidump/ was seeded.
 */
static void save_seed(const uint8_t *buf, size_t len)
{
	static unsigned n;
	const char *dir = getenv("MDSYNTH_SEED_DIR");
	if (!dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/synth-%03u.dmp", dir, n++);
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

/* Finish M and open it; the dump borrows M's buffer. */
static struct cr_dump *open_ok(struct mds *m)
{
	size_t len;
	const uint8_t *buf = mds_finish(m, &len);
	save_seed(buf, len);
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_from_buffer(buf, len, "synth.dmp", &d);
	if (err)
		fail_msg("open failed: %s", err->message);
	assert_non_null(d);
	return d;
}

static bool has_problem(const struct cr_dump *d, const char *needle)
{
	for (size_t i = 0; i < d->problems.n; i++)
		if (strstr(d->problems.items[i].text, needle))
			return true;
	return false;
}

static void print_problems(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->problems.n; i++)
		print_message("problem: %s\n", d->problems.items[i].text);
}

#define assert_problem(d, s) do { \
		if (!has_problem((d), (s))) { \
			print_problems(d); \
			fail_msg("no problem mentioning \"%s\"", (s)); \
		} \
	} while (0)

#define assert_no_problems(d) do { \
		if ((d)->problems.n) { \
			print_problems(d); \
			fail_msg("%zu unexpected problems", (d)->problems.n); \
		} \
	} while (0)

/* The value of fact NAME, failing the test when there is none. */
static const char *fact(const struct cr_dump *d, const char *name)
{
	for (size_t i = 0; i < d->nfacts; i++)
		if (!strcmp(d->facts[i].name, name))
			return d->facts[i].value;
	for (size_t i = 0; i < d->nfacts; i++)
		print_message("fact: %s = %s\n", d->facts[i].name, d->facts[i].value);
	fail_msg("no fact \"%s\"", name);
	return NULL;
}

static bool has_fact(const struct cr_dump *d, const char *name)
{
	for (size_t i = 0; i < d->nfacts; i++)
		if (!strcmp(d->facts[i].name, name))
			return true;
	return false;
}

static uint64_t reg(const struct cr_regs *r, unsigned n)
{
	uint64_t v = 0;
	if (!cr_regs_get(r, n, &v))
		fail_msg("register %u not set", n);
	return v;
}

static const struct cr_module *module_named(const struct cr_dump *d,
					    const char *path)
{
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].path && !strcmp(d->modules[i].path, path))
			return &d->modules[i];
	fail_msg("no module %s", path);
	return NULL;
}

static const uint8_t pdb_guid[16] = {
	0xe5, 0x32, 0x98, 0x5a, 0x72, 0x28, 0xc1, 0x41,
	0x83, 0x8e, 0xd9, 0x89, 0x14, 0xe9, 0xb7, 0xff,
};

/* A small well-formed Windows amd64 crash dump, built into M. */
static void build_windows_amd64(struct mds *m, uint8_t *stack, size_t stack_size)
{
	mds_init(m);
	mds_system_info(m, 9, 2, 10, 0, 19045, "Service Pack 1", "GenuineIntel", 4);
	mds_misc_info(m, 4242, 1600000000 - 60, 3, 2);
	for (size_t i = 0; i < stack_size; i++)
		stack[i] = (uint8_t)i;
	struct mds_thread t[2] = {
		{ .tid = 0x100, .stack_start = 0x7000, .stack = stack,
		  .stack_size = (uint32_t)stack_size,
		  .ctx = mds_context_amd64(m, 0x140001234, 0x7010, 0x7080) },
		{ .tid = 0x200, .ctx = mds_context_amd64(m, 0x140005678, 0x9000, 0) },
	};
	mds_thread_list(m, t, 2, false);
	struct mds_module mods[2] = {
		{ .base = 0x140000000, .size = 0x2d000, .stamp = 0x45d35f6c,
		  .name = "C:\\app\\app.exe", .pdb = "C:\\app\\app.pdb", .age = 1,
		  .ver_hi = 0x00010002, .ver_lo = 0x00030004 },
		{ .base = 0x7ff800000000, .size = 0x1000, .stamp = 0x11223344,
		  .name = "C:\\Windows\\System32\\ntdll.dll" },
	};
	memcpy(mods[0].guid, pdb_guid, 16);
	mds_module_list(m, mods, 2);
	const uint64_t params[2] = { 1, 0x45 };
	mds_exception(m, 0x100, 0xc0000005, 0, 0x140001234, params, 2,
		      mds_context_amd64(m, 0x140001234, 0x7008, 0x7080));
}

/* --- well-formed streams ------------------------------------------------- */

static void test_windows_amd64(void **state)
{
	struct mds m;
	uint8_t stack[256];
	build_windows_amd64(&m, stack, sizeof(stack));
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);

	assert_string_equal(d->format, "Windows minidump");
	assert_null(d->producer);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.pointer_size, 8);
	assert_int_equal(d->process.os, CR_OS_WINDOWS);
	assert_string_equal(d->process.os_version, "10.0.19045 Service Pack 1");
	assert_string_equal(d->process.cpu, "GenuineIntel family 6 model 13 stepping 8");
	assert_int_equal(d->process.ncpus, 4);
	assert_int_equal(d->process.pid, 4242);
	assert_int_equal(d->process.dump_time, 1600000000);
	assert_int_equal(d->process.start_time, 1600000000 - 60);
	assert_true(d->process.user.known);
	assert_int_equal(d->process.user.usec, 3000000);
	assert_int_equal(d->process.sys.usec, 2000000);
	assert_string_equal(d->process.executable, "C:\\app\\app.exe");

	assert_int_equal(d->nthreads, 2);
	const struct cr_thread *t = cr_dump_thread_by_tid(d, 0x100);
	assert_non_null(t);
	assert_int_equal(reg(&t->regs, 16), 0x140001234);	/* rip */
	assert_int_equal(reg(&t->regs, 7), 0x7010);		/* rsp */
	assert_int_equal(reg(&t->regs, 6), 0x7080);		/* rbp */
	assert_int_equal(reg(&t->regs, 0), 0x1000);		/* rax */
	assert_int_equal(reg(&t->regs, 15), 0x100f);		/* r15 */
	assert_int_equal(reg(&t->regs, 49), 0x246);		/* rflags */
	assert_int_equal(t->stack_lo, 0x7000);
	assert_int_equal(t->stack_hi, 0x7100);
	assert_int_equal(t->create_time, -1);
	assert_false(t->user.known);

	uint8_t buf[8];
	assert_int_equal(cr_dump_read(d, 0x7010, buf, 8), 8);
	assert_int_equal(buf[0], 0x10);
	assert_int_equal(buf[7], 0x17);
	assert_int_equal(cr_dump_read(d, 0x70fc, buf, 8), 4);

	assert_int_equal(d->nmodules, 2);
	const struct cr_module *mod = module_named(d, "C:\\app\\app.exe");
	assert_true(mod->is_main);
	assert_int_equal(mod->kind, CR_MODULE_PE);
	assert_int_equal(mod->base, 0x140000000);
	assert_int_equal(mod->size, 0x2d000);
	assert_string_equal(mod->debug_file, "C:\\app\\app.pdb");
	assert_string_equal(mod->debug_id, "5A9832E5287241C1838ED98914E9B7FF1");
	assert_string_equal(mod->code_id, "45D35F6C2d000");
	assert_string_equal(mod->version, "1.2.3.4");
	mod = module_named(d, "C:\\Windows\\System32\\ntdll.dll");
	assert_false(mod->is_main);
	assert_null(mod->version);
	assert_null(mod->debug_id);

	assert_int_equal(d->event.kind, CR_EVENT_EXCEPTION);
	assert_int_equal(d->event.tid, 0x100);
	assert_int_equal(d->event.exc_code, 0xc0000005);
	assert_int_equal(d->event.exc_address, 0x140001234);
	assert_int_equal(d->event.exc_nparams, 2);
	assert_int_equal(d->event.exc_params[0], 1);
	assert_true(d->event.fault_addr_known);
	assert_int_equal(d->event.fault_addr, 0x45);
	assert_true(d->event.regs_known);
	assert_int_equal(reg(&d->event.regs, 7), 0x7008);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_x86_crash_address_truncated(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 0, 2, 5, 1, 2600, "Service Pack 2", "GenuineIntel", 1);
	struct mds_thread t = { .tid = 7, .ctx = mds_context_x86(&m, 0x7c90eb94, 0x12f320, 0x12f330) };
	mds_thread_list(&m, &t, 1, false);
	const uint64_t params[2] = { 1, 0xffffffff00000045ull };
	mds_exception(&m, 7, 0xc0000005, 0, 0x40429e, params, 2,
		      mds_context_x86(&m, 0x40429e, 0x12fe84, 0x12fe90));
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->process.arch, CR_ARCH_X86);
	assert_int_equal(d->process.pointer_size, 4);
	assert_string_equal(d->process.os_version, "5.1.2600 Service Pack 2");
	assert_int_equal(d->event.fault_addr, 0x45);
	assert_int_equal(d->event.exc_params[1], 0xffffffff00000045ull);
	const struct cr_thread *th = &d->threads[0];
	assert_int_equal(reg(&th->regs, 8), 0x7c90eb94);	/* eip */
	assert_int_equal(reg(&th->regs, 4), 0x12f320);	/* esp */
	assert_int_equal(reg(&th->regs, 5), 0x12f330);	/* ebp */
	assert_int_equal(reg(&th->regs, 0), 0xa0);	/* eax */
	assert_int_equal(reg(&th->regs, 1), 0xc0);	/* ecx */
	assert_int_equal(reg(&th->regs, 3), 0xb0);	/* ebx */
	assert_int_equal(reg(&th->regs, 9), 0x202);	/* eflags */
	assert_int_equal(reg(&d->event.regs, 8), 0x40429e);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_linux_signal_and_proc_streams(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0,
			"Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64",
			NULL, 2);
	struct mds_thread t = { .tid = 1304, .ctx = mds_context_amd64(&m, 0x401d72, 0x7fff0000, 0) };
	mds_thread_list(&m, &t, 1, false);
	static const uint8_t bid[20] = {
		0xf1, 0xc3, 0xbc, 0xc0, 0x27, 0x98, 0x65, 0xfe, 0x30, 0x58,
		0x40, 0x4b, 0x28, 0x31, 0xd9, 0xe6, 0x41, 0x35, 0x38, 0x6c,
	};
	struct mds_module mod = { .base = 0x400000, .size = 0x1a000,
				  .name = "/work/crash", .build_id = bid,
				  .build_id_len = sizeof(bid) };
	mds_module_list(&m, &mod, 1);
	mds_exception(&m, 1304, 11, 1, 0x45, NULL, 0,
		      mds_context_amd64(&m, 0x401d72, 0x7fff0000, 0));
	mds_text_stream(&m, 0x47670004,
			"Name:\tcrash\nState:\tR (running)\nPid:\t1304\nPPid:\t1303\n"
			"Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n");
	mds_text_stream(&m, 0x47670005,
			"DISTRIB_ID=Ubuntu\nDISTRIB_DESCRIPTION=\"Ubuntu 16.04.3 LTS\"\n");
	struct mds_buf cmd = { 0 };
	mdb_bytes(&cmd, "./crash\0--flag\0x y\0", 19);
	mds_stream(&m, 0x47670006, &cmd);
	mds_text_stream(&m, 0x47670003, "processor\t: 0\nmodel name\t: Test CPU @ 1GHz\n");
	mds_text_stream(&m, 0x47670009,
			"00400000-0041a000 r-xp 00000000 08:01 1234   /work/crash\n"
			"0061a000-0061b000 rw-p 0001a000 08:01 1234   /work/crash\n"
			"7fff0000-7fff2000 rw-p 00000000 00:00 0      [stack]\n"
			"ffffffffff600000-ffffffffff601000 r-xp 00000000 00:00 0 [vsyscall]\n");
	struct mds_buf auxv = { 0 };
	mdb_u64(&auxv, 6); mdb_u64(&auxv, 4096);	/* AT_PAGESZ */
	mdb_u64(&auxv, 9); mdb_u64(&auxv, 0x401000);	/* AT_ENTRY */
	mdb_u64(&auxv, 0); mdb_u64(&auxv, 0);
	mdb_u64(&auxv, 7); mdb_u64(&auxv, 7);		/* after AT_NULL */
	mds_stream(&m, 0x47670008, &auxv);
	uint8_t stackbytes[0x100] = { 0 };
	struct mds_range r = { 0x7fff0000, stackbytes, sizeof(stackbytes) };
	mds_memory_list(&m, &r, 1);

	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_string_equal(d->format, "Breakpad minidump (Linux)");
	assert_int_equal(d->process.os, CR_OS_LINUX);
	assert_string_equal(d->process.os_version,
			    "Ubuntu 16.04.3 LTS, Linux 6.1.0-13-amd64 #1 SMP PREEMPT_DYNAMIC Debian x86_64");
	/* SystemInfo's CPU (no vendor id) wins over /proc/cpuinfo */
	assert_string_equal(d->process.cpu, "family 6 model 13 stepping 8");
	assert_int_equal(d->process.pid, 1304);
	assert_int_equal(d->process.ppid, 1303);
	assert_int_equal(d->process.uid, 1000);
	assert_int_equal(d->process.gid, 100);
	assert_string_equal(d->process.command_line, "./crash --flag x y");
	assert_string_equal(d->process.executable, "/work/crash");
	assert_int_equal(d->nauxv, 2);
	assert_int_equal(d->auxv[1].type, 9);
	assert_int_equal(d->auxv[1].value, 0x401000);

	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.signo, 11);
	assert_true(d->event.siginfo_known);
	assert_int_equal(d->event.si_code, 1);
	assert_true(d->event.fault_addr_known);
	assert_int_equal(d->event.fault_addr, 0x45);

	const struct cr_module *mo = &d->modules[0];
	assert_int_equal(mo->kind, CR_MODULE_ELF);
	assert_int_equal(mo->build_id_len, 20);
	assert_memory_equal(mo->build_id, bid, 20);
	assert_string_equal(mo->code_id, "f1c3bcc0279865fe3058404b2831d9e64135386c");
	assert_string_equal(mo->debug_id, "C0BCC3F19827FE653058404B2831D9E60");
	assert_string_equal(mo->debug_file, "/work/crash");

	assert_int_equal(d->nregions, 4);
	const struct cr_region *rg = cr_dump_region_at(d, 0x400100);
	assert_non_null(rg);
	assert_int_equal(rg->prot, CR_PROT_R | CR_PROT_X);
	assert_string_equal(rg->path, "/work/crash");
	assert_false(rg->captured);
	rg = cr_dump_region_at(d, 0x61a000);
	assert_int_equal(rg->file_offset, 0x1a000);
	assert_int_equal(rg->prot, CR_PROT_R | CR_PROT_W);
	rg = cr_dump_region_at(d, 0x7fff0010);
	assert_true(rg->captured);
	assert_string_equal(rg->path, "[stack]");
	rg = cr_dump_region_at(d, 0xffffffffff600000ull);
	assert_non_null(rg);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_linux_dump_requested_and_sender(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0, "Linux 5.10", NULL, 1);
	struct mds_thread t = { .tid = 9, .ctx = mds_context_amd64(&m, 1, 2, 3) };
	mds_thread_list(&m, &t, 1, false);
	mds_exception(&m, 9, 0xffffffff, 0, 0, NULL, 0, mds_context_amd64(&m, 1, 2, 3));
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->event.kind, CR_EVENT_NONE);
	assert_int_equal(d->event.tid, 9);
	cr_dump_free(d);
	mds_free(&m);

	/* SIGABRT from raise(): si_code SI_TKILL (-6), si_pid/si_uid in the
	 * place of si_addr. */
	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0, "Linux 5.10", NULL, 1);
	mds_thread_list(&m, &t, 1, false);
	mds_exception(&m, 9, 6, (uint32_t)-6, 0x000003e8000039beull, NULL, 0,
		      mds_context_amd64(&m, 1, 2, 3));
	d = open_ok(&m);
	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.signo, 6);
	assert_int_equal(d->event.si_code, -6);
	assert_false(d->event.fault_addr_known);
	assert_true(d->event.sender_known);
	assert_int_equal(d->event.sender_pid, 0x39be);
	assert_int_equal(d->event.sender_uid, 1000);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_macos_mach_exception(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 0x8101, 11, 6, 7, "20G630", "GenuineIntel", 8);
	struct mds_thread t = { .tid = 4611, .ctx = mds_context_amd64(&m, 1, 2, 3) };
	mds_thread_list(&m, &t, 1, false);
	const uint64_t params[3] = { 1, 1, 0xffffffff80000042ull };
	mds_exception(&m, 4611, 1, 1, 0xffffffff80000042ull, params, 3,
		      mds_context_amd64(&m, 1, 2, 3));
	struct mds_module mod = { .base = 0x102a54000, .size = 0xc4000, .name = "/bin/crash-client" };
	mds_module_list(&m, &mod, 1);
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->process.os, CR_OS_MACOS);
	assert_string_equal(d->process.os_version, "11.6.7 20G630");
	assert_string_equal(d->format, "Minidump (macOS)");
	assert_int_equal(d->event.kind, CR_EVENT_EXCEPTION);
	assert_int_equal(d->event.exc_code, 1);	/* EXC_BAD_ACCESS */
	assert_int_equal(d->event.exc_flags, 1);	/* KERN_INVALID_ADDRESS */
	assert_true(d->event.fault_addr_known);
	assert_int_equal(d->event.fault_addr, 0xffffffff80000042ull);
	assert_int_equal(d->modules[0].kind, CR_MODULE_MACHO);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_arm64_and_arm_contexts(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 12, 2, 10, 0, 22621, NULL, NULL, 8);
	struct mds_thread t = { .tid = 1, .ctx = mds_context_arm64(&m, 0x1000, 0x2000, 0x3000, 0x4000) };
	mds_thread_list(&m, &t, 1, false);
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->process.arch, CR_ARCH_AARCH64);
	assert_null(d->process.cpu);
	const struct cr_regs *r = &d->threads[0].regs;
	assert_int_equal(reg(r, 0), 0x100);
	assert_int_equal(reg(r, 28), 0x100 + 28);
	assert_int_equal(reg(r, 29), 0x3000);
	assert_int_equal(reg(r, 30), 0x4000);
	assert_int_equal(reg(r, 31), 0x2000);
	assert_int_equal(reg(r, 32), 0x1000);
	assert_int_equal(reg(r, 33), 0x60000000);
	cr_dump_free(d);
	mds_free(&m);

	mds_init(&m);
	mds_system_info(&m, 5, 0x8203, 0, 0, 0, "Linux 4.4 armv7l", NULL, 4);
	t.ctx = mds_context_arm(&m, 0x8000, 0xbeef0000, 0x8100);
	mds_thread_list(&m, &t, 1, false);
	d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->process.arch, CR_ARCH_ARM);
	assert_int_equal(d->process.os, CR_OS_ANDROID);
	assert_int_equal(d->process.pointer_size, 4);
	r = &d->threads[0].regs;
	assert_int_equal(reg(r, 0), 0x10);
	assert_int_equal(reg(r, 13), 0xbeef0000);
	assert_int_equal(reg(r, 14), 0x8100);
	assert_int_equal(reg(r, 15), 0x8000);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_thread_info_and_names(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_thread t[3] = {
		{ .tid = 10, .ctx = mds_context_amd64(&m, 1, 2, 3) },
		{ .tid = 20, .ctx = mds_context_amd64(&m, 1, 2, 3) },
		{ .tid = 30, .ctx = mds_context_amd64(&m, 1, 2, 3) },
	};
	mds_thread_list(&m, t, 3, false);

	struct mds_buf b = { 0 };
	mdb_u32(&b, 12);
	mdb_u32(&b, 64);
	mdb_u32(&b, 2);
	/* thread 20: created 2020-09-13T12:26:40Z, 1.5 s user, 0.25 s kernel */
	mdb_u32(&b, 20); mdb_u32(&b, 0); mdb_u32(&b, 0); mdb_u32(&b, 0);
	mdb_u64(&b, (1600000000ull + 11644473600ull) * 10000000ull);
	mdb_u64(&b, 0);
	mdb_u64(&b, 2500000);
	mdb_u64(&b, 15000000);
	mdb_u64(&b, 0); mdb_u64(&b, 0);
	/* thread 30: the dump writer */
	mdb_u32(&b, 30); mdb_u32(&b, 2); mdb_u32(&b, 0); mdb_u32(&b, 0);
	mdb_zero(&b, 48);
	mds_stream(&m, 17, &b);

	uint32_t n1 = mds_string(&m, "main"), n2 = mds_string(&m, "w\xc3\xa9rker \xf0\x9f\x98\x80");
	uint32_t n3 = mds_string(&m, "");
	mdb_u32(&b, 4);
	mdb_u32(&b, 10); mdb_u64(&b, n1);
	mdb_u32(&b, 20); mdb_u64(&b, n2);
	mdb_u32(&b, 30); mdb_u64(&b, n3);
	mdb_u32(&b, 99); mdb_u64(&b, n1);	/* no such thread */
	mds_stream(&m, 24, &b);

	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_string_equal(cr_dump_thread_by_tid(d, 10)->name, "main");
	assert_string_equal(cr_dump_thread_by_tid(d, 20)->name,
			    "w\xc3\xa9rker \xf0\x9f\x98\x80");
	assert_null(cr_dump_thread_by_tid(d, 30)->name);
	const struct cr_thread *th = cr_dump_thread_by_tid(d, 20);
	assert_int_equal(th->create_time, 1600000000);
	assert_true(th->user.known);
	assert_int_equal(th->user.usec, 1500000);
	assert_int_equal(th->sys.usec, 250000);
	assert_false(cr_dump_thread_by_tid(d, 10)->user.known);
	assert_true(d->event.dump_tid_known);
	assert_int_equal(d->event.dump_tid, 30);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_memory64_and_memory_info(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	uint8_t a[0x1000], b2[0x2000];
	memset(a, 0xaa, sizeof(a));
	memset(b2, 0xbb, sizeof(b2));
	memcpy(a, "HalT", 4);
	struct mds_range r[2] = {
		{ 0x7ffe0000, a, sizeof(a) },
		{ 0x9897d0d000, b2, sizeof(b2) },
	};
	mds_memory64_list(&m, r, 2);

	struct mds_buf b = { 0 };
	mdb_u32(&b, 16); mdb_u32(&b, 48); mdb_u64(&b, 3);
	/* committed read-only, captured */
	mdb_u64(&b, 0x7ffe0000); mdb_u64(&b, 0x7ffe0000); mdb_u32(&b, 2); mdb_u32(&b, 0);
	mdb_u64(&b, 0x1000); mdb_u32(&b, 0x1000); mdb_u32(&b, 0x02); mdb_u32(&b, 0x20000); mdb_u32(&b, 0);
	/* reserved: skipped */
	mdb_u64(&b, 0x80000000); mdb_u64(&b, 0x80000000); mdb_u32(&b, 4); mdb_u32(&b, 0);
	mdb_u64(&b, 0x10000); mdb_u32(&b, 0x2000); mdb_u32(&b, 0); mdb_u32(&b, 0x20000); mdb_u32(&b, 0);
	/* committed execute-read image, not captured */
	mdb_u64(&b, 0x140000000); mdb_u64(&b, 0x140000000); mdb_u32(&b, 0x80); mdb_u32(&b, 0);
	mdb_u64(&b, 0x1000); mdb_u32(&b, 0x1000); mdb_u32(&b, 0x20); mdb_u32(&b, 0x1000000); mdb_u32(&b, 0);
	mds_stream(&m, 16, &b);

	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->nsegs, 2);
	uint8_t buf[4];
	assert_int_equal(cr_dump_read(d, 0x7ffe0000, buf, 4), 4);
	assert_memory_equal(buf, "HalT", 4);
	assert_int_equal(cr_dump_read(d, 0x9897d0efff, buf, 4), 1);
	assert_int_equal(buf[0], 0xbb);
	assert_int_equal(d->nregions, 2);
	const struct cr_region *rg = cr_dump_region_at(d, 0x7ffe0010);
	assert_int_equal(rg->prot, CR_PROT_R);
	assert_true(rg->captured);
	rg = cr_dump_region_at(d, 0x140000000);
	assert_int_equal(rg->prot, CR_PROT_R | CR_PROT_X);
	assert_false(rg->captured);
	assert_null(cr_dump_region_at(d, 0x80000000));
	cr_dump_free(d);
	mds_free(&m);
}

static void test_breakpad_assertion_crashpad(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 17134, NULL, NULL, 16);
	struct mds_thread t[2] = {
		{ .tid = 0x1000, .ctx = mds_context_amd64(&m, 1, 2, 3) },
		{ .tid = 0x1350, .ctx = mds_context_amd64(&m, 1, 2, 3) },
	};
	mds_thread_list(&m, t, 2, false);
	struct mds_module mods[2] = {
		{ .base = 0x1000000, .size = 0x1000, .name = "C:\\a\\CrashTest.exe" },
		{ .base = 0x2000000, .size = 0x1000, .name = "C:\\a\\libfoo.dll" },
	};
	mds_module_list(&m, mods, 2);

	struct mds_buf b = { 0 };
	mdb_u32(&b, 3); mdb_u32(&b, 0x1350); mdb_u32(&b, 0x1000);
	mds_stream(&m, 0x47670001, &b);

	/* AssertionInfo: three 128-unit UTF-16 arrays, line, type. */
	const char *fields[3] = { "format != nullptr", "common_vfprintf",
				  "minkernel\\crts\\output.cpp" };
	for (int f = 0; f < 3; f++) {
		size_t n = strlen(fields[f]);
		for (size_t i = 0; i < 128; i++)
			mdb_u16(&b, i < n ? (uint16_t)fields[f][i] : 0);
	}
	mdb_u32(&b, 32);
	mdb_u32(&b, 1);
	mds_stream(&m, 0x47670002, &b);

	/* CrashpadInfo with one simple annotation and per-module ones. */
	uint32_t k = mds_utf8(&m, "hello"), v = mds_utf8(&m, "world");
	mdb_u32(&b, 1); mdb_u32(&b, k); mdb_u32(&b, v);
	struct mds_loc dict = mds_put(&m, &b);
	uint32_t l1 = mds_utf8(&m, "abort() called");
	mdb_u32(&b, 1); mdb_u32(&b, l1);
	struct mds_loc list = mds_put(&m, &b);
	uint32_t on = mds_utf8(&m, "obj"), ov;
	mdb_u32(&b, 3); mdb_bytes(&b, "val", 3);
	ov = mds_put(&m, &b).rva;
	mdb_u32(&b, 2);
	mdb_u32(&b, on); mdb_u16(&b, 1); mdb_u16(&b, 0); mdb_u32(&b, ov);
	mdb_u32(&b, on); mdb_u16(&b, 0x8001); mdb_u16(&b, 0); mdb_u32(&b, ov);
	struct mds_loc objs = mds_put(&m, &b);
	mdb_u32(&b, 1);
	mdb_u32(&b, list.size); mdb_u32(&b, list.rva);
	mdb_u32(&b, 0); mdb_u32(&b, 0);
	mdb_u32(&b, objs.size); mdb_u32(&b, objs.rva);
	struct mds_loc minfo = mds_put(&m, &b);
	mdb_u32(&b, 1);
	mdb_u32(&b, 1); mdb_u32(&b, minfo.size); mdb_u32(&b, minfo.rva);
	struct mds_loc mlist = mds_put(&m, &b);
	mdb_u32(&b, 1);
	for (int i = 0; i < 16; i++) mdb_u8(&b, (uint8_t)(i + 1));	/* report id */
	mdb_zero(&b, 16);						/* no client id */
	mdb_u32(&b, dict.size); mdb_u32(&b, dict.rva);
	mdb_u32(&b, mlist.size); mdb_u32(&b, mlist.rva);
	mdb_u32(&b, 0); mdb_u64(&b, 0);
	mds_stream(&m, 0x43500001, &b);

	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_string_equal(d->format, "Crashpad minidump (Windows)");
	assert_string_equal(d->producer, "Crashpad");
	assert_true(d->event.dump_tid_known);
	assert_int_equal(d->event.dump_tid, 0x1350);
	assert_int_equal(d->event.kind, CR_EVENT_NONE);
	assert_int_equal(d->event.tid, 0x1000);	/* the requesting thread */
	assert_string_equal(d->event.assertion,
			    "Invalid parameter passed to library function format != nullptr "
			    "in function common_vfprintf, in file minkernel\\crts\\output.cpp at line 32");
	assert_int_equal(d->nannotations, 4);
	assert_null(d->annotations[0].module);
	assert_string_equal(d->annotations[0].key, "crashpad:report_id");
	assert_string_equal(d->annotations[0].value, "04030201-0605-0807-090A-0B0C0D0E0F10");
	assert_string_equal(d->annotations[1].key, "hello");
	assert_string_equal(d->annotations[1].value, "world");
	assert_string_equal(d->annotations[2].module, "libfoo.dll");
	assert_null(d->annotations[2].key);
	assert_string_equal(d->annotations[2].value, "abort() called");
	assert_string_equal(d->annotations[3].key, "obj");
	assert_string_equal(d->annotations[3].value, "val");
	/* BreakpadInfo's threads are facts too; the report ids annotations. */
	assert_string_equal(fact(d, "Dump written by thread"), "tid 4944");
	assert_string_equal(fact(d, "Dump requested by thread"), "tid 4096");
	assert_int_equal(d->nfacts, 2);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_handle_data_unloaded_unknown(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_buf b = { 0 };
	mdb_u32(&b, 16); mdb_u32(&b, 40); mdb_u32(&b, 2); mdb_u32(&b, 0);
	mdb_zero(&b, 80);
	mds_stream(&m, 12, &b);
	/* Two unloaded modules, in unload order (not sorted by address). */
	mdb_u32(&b, 12); mdb_u32(&b, 24); mdb_u32(&b, 2);
	mdb_u64(&b, 0x5000000); mdb_u32(&b, 0x1000); mdb_u32(&b, 0);
	mdb_u32(&b, 0x45d35f6c); mdb_u32(&b, mds_string(&m, "C:\\old\\gone.dll"));
	mdb_u64(&b, 0x4000000); mdb_u32(&b, 0x2d000); mdb_u32(&b, 0);
	mdb_u32(&b, 0); mdb_u32(&b, mds_string(&m, "early.dll"));
	mds_stream(&m, 14, &b);
	mdb_bytes(&b, "{\"soft\":1}", 10);
	mds_stream(&m, 0x4d7a0004, &b);	/* Mozilla soft errors: not read */
	mdb_zero(&b, 1234);
	mds_stream(&m, 0x12345678, &b);	/* nobody's */
	mds_stream_raw(&m, 0, 0, 0);	/* an unused entry: not listed */
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);

	assert_string_equal(fact(d, "Handles"), "2");
	assert_string_equal(fact(d, "MozSoftErrors (stream 0x4d7a0004)"),
			    "10 bytes, not read");
	assert_string_equal(fact(d, "stream 0x12345678"), "1,234 bytes, not read");
	assert_false(has_fact(d, "stream 0x0"));
	assert_int_equal(d->nfacts, 3);

	assert_int_equal(d->nunloaded, 2);
	assert_string_equal(d->unloaded[0].path, "C:\\old\\gone.dll");
	assert_int_equal(d->unloaded[0].base, 0x5000000);
	assert_int_equal(d->unloaded[0].size, 0x1000);
	assert_string_equal(d->unloaded[0].code_id, "45D35F6C1000");
	assert_int_equal(d->unloaded[0].kind, CR_MODULE_PE);
	assert_string_equal(d->unloaded[1].path, "early.dll");
	assert_string_equal(d->unloaded[1].code_id, "000000002d000");
	/* Unloaded modules are not modules: no address lands in them. */
	assert_int_equal(d->nmodules, 0);
	assert_null(cr_dump_module_at(d, 0x5000010));

	const struct md_state *md = d->reader_state;
	assert_int_equal(md->nstreams, 6);
	assert_int_equal(md->streams[3].type, 0x4d7a0004);
	assert_false(md->streams[3].used);
	cr_dump_free(d);
	mds_free(&m);
}

/* Counts that lie: more handles and unloaded modules than the streams hold,
 * entries larger than the 24 bytes we know, a name past the end. */
/* One MINIDUMP_HANDLE_OBJECT_INFORMATION record; NEXT 0: the last. */
static uint32_t handle_info(struct mds *m, uint32_t next, uint32_t type,
			    const void *info, uint32_t size)
{
	struct mds_buf b = { 0 };
	mdb_u32(&b, next); mdb_u32(&b, type); mdb_u32(&b, size);
	mdb_bytes(&b, info, size);
	return mds_put(m, &b).rva;
}

/* A MINIDUMP_HANDLE_DESCRIPTOR_2 in B. */
static void handle_desc(struct mds *m, struct mds_buf *b, uint64_t value,
			const char *type, const char *name, uint32_t info_rva)
{
	mdb_u64(b, value);
	mdb_u32(b, type ? mds_string(m, type) : 0);
	mdb_u32(b, name ? mds_string(m, name) : 0);
	mdb_u32(b, 0); mdb_u32(b, 0x1f0003);	/* attributes, access */
	mdb_u32(b, 1); mdb_u32(b, 2);		/* handle and pointer counts */
	mdb_u32(b, info_rva); mdb_u32(b, 0);
}

/* HandleData with MINIDUMP_HANDLE_DESCRIPTOR_2: types, names, a mutant's
 * owner (MiniMutantInformation2, 4- and 8-byte ids) behind another record
 * of the chain. */
static void test_handle_descriptors(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	const uint32_t owner32[2] = { 4242, 17 };
	const uint64_t owner64[2] = { 4242, 0x1d4c };
	const uint8_t basic[8] = { 0 };	/* MiniMutantInformation1: skipped */
	uint32_t second = handle_info(&m, 0, 3, owner32, sizeof(owner32));
	uint32_t mutant = handle_info(&m, second, 2, basic, sizeof(basic));
	uint32_t wide = handle_info(&m, 0, 3, owner64, sizeof(owner64));
	struct mds_buf b = { 0 };
	mdb_u32(&b, 16); mdb_u32(&b, 40); mdb_u32(&b, 4); mdb_u32(&b, 0);
	/* Out of order: the reader sorts them for the binary search. */
	handle_desc(&m, &b, 0x40, "Thread", NULL, 0);
	handle_desc(&m, &b, 0x38, "Mutant", "Global\\app", mutant);
	handle_desc(&m, &b, 0x34, "Event", "coroner-never-set", 0);
	handle_desc(&m, &b, 0x3c, "Mutant", "", wide);
	mds_stream(&m, 12, &b);
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_string_equal(fact(d, "Handles"), "4");
	assert_int_equal(d->nhandles, 4);
	for (size_t i = 1; i < d->nhandles; i++)
		assert_true(d->handles[i - 1].value < d->handles[i].value);
	const struct cr_handle *h = cr_dump_handle(d, 0x34);
	assert_non_null(h);
	assert_string_equal(h->type, "Event");
	assert_string_equal(h->name, "coroner-never-set");
	assert_false(h->owner_known);
	assert_int_equal(h->granted_access, 0x1f0003);
	h = cr_dump_handle(d, 0x38);
	assert_string_equal(h->type, "Mutant");
	assert_string_equal(h->name, "Global\\app");
	assert_true(h->owner_known);
	assert_int_equal(h->owner_pid, 4242);
	assert_int_equal(h->owner_tid, 17);
	h = cr_dump_handle(d, 0x3c);
	assert_null(h->name);	/* empty: no name */
	assert_true(h->owner_known);
	assert_int_equal(h->owner_tid, 0x1d4c);
	h = cr_dump_handle(d, 0x40);
	assert_string_equal(h->type, "Thread");
	assert_null(h->name);
	assert_null(cr_dump_handle(d, 0x44));
	cr_dump_free(d);
	mds_free(&m);
}

/* Hostile object information: a chain that loops, a record past the end
 * of the file, an owner of an unknown size or not a client id; names past
 * the end.  Each is a problem and the rest of the handles is read. */
static void test_handle_descriptors_hostile(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	const uint8_t odd[5] = { 1, 2, 3, 4, 5 };
	const uint64_t huge[2] = { 1, 1ull << 40 };
	/* A record whose NextInfoRva is its own RVA: the RVA of the next
	 * blob is the end of the file so far. */
	uint32_t self = (uint32_t)m.file.len;
	uint32_t loop = handle_info(&m, self, 2, odd, 4);
	assert_int_equal(loop, self);
	uint32_t bad_size = handle_info(&m, 0, 3, odd, sizeof(odd));
	uint32_t not_id = handle_info(&m, 0, 3, huge, sizeof(huge));
	struct mds_buf b = { 0 };
	mdb_u32(&b, 16); mdb_u32(&b, 40); mdb_u32(&b, 6); mdb_u32(&b, 0);
	handle_desc(&m, &b, 4, "Mutant", NULL, loop);
	handle_desc(&m, &b, 8, "Mutant", NULL, bad_size);
	handle_desc(&m, &b, 12, "Mutant", NULL, not_id);
	handle_desc(&m, &b, 16, "Mutant", NULL, 0x7ffffff0);
	/* Names past the end of the file. */
	mdb_u64(&b, 20); mdb_u32(&b, 0x7ffffff0); mdb_u32(&b, 0x7ffffff0);
	mdb_zero(&b, 24);
	handle_desc(&m, &b, 24, "Event", "last", 0);
	mds_stream(&m, 12, &b);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "handle 0: more than 16 object information records");
	assert_problem(d, "handle 1: mutant owner of 5 bytes");
	assert_problem(d, "handle 2: mutant owner 0x1/0x10000000000 is not a client id");
	assert_problem(d, "handle 4 type name");
	assert_problem(d, "handle 4 object name");
	assert_int_equal(d->nhandles, 6);
	for (size_t i = 0; i < 5; i++)
		assert_false(d->handles[i].owner_known);
	assert_string_equal(d->handles[5].name, "last");
	cr_dump_free(d);
	mds_free(&m);

	/* Descriptors shorter than a MINIDUMP_HANDLE_DESCRIPTOR: counted,
	 * not read. */
	mds_init(&m);
	mdb_u32(&b, 16); mdb_u32(&b, 16); mdb_u32(&b, 2); mdb_u32(&b, 0);
	mdb_zero(&b, 32);
	mds_stream(&m, 12, &b);
	d = open_ok(&m);
	assert_string_equal(fact(d, "Handles"), "2");
	assert_problem(d, "descriptors of 16 bytes");
	assert_int_equal(d->nhandles, 0);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_handle_unloaded_counts_lie(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_buf b = { 0 };
	mdb_u32(&b, 16); mdb_u32(&b, 40); mdb_u32(&b, 1000); mdb_u32(&b, 0);
	mdb_zero(&b, 80);
	mds_stream(&m, 12, &b);
	/* Entries of 32 bytes; 7 claimed, room for 2; the second's name RVA
	 * lies past the end of the file. */
	mdb_u32(&b, 12); mdb_u32(&b, 32); mdb_u32(&b, 7);
	mdb_u64(&b, 0x5000000); mdb_u32(&b, 0x1000); mdb_u32(&b, 0);
	mdb_u32(&b, 1); mdb_u32(&b, mds_string(&m, "a.dll")); mdb_u64(&b, ~0ull);
	mdb_u64(&b, 0x6000000); mdb_u32(&b, 0x3000); mdb_u32(&b, 0);
	mdb_u32(&b, 2); mdb_u32(&b, 0x7ffffff0); mdb_u64(&b, ~0ull);
	mds_stream(&m, 14, &b);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "1000 handles of 40 bytes claimed, the stream holds 2");
	assert_string_equal(fact(d, "Handles"), "2");
	assert_problem(d, "7 unloaded modules of 32 bytes claimed, the stream holds 2");
	assert_problem(d, "unloaded module 1 name");
	assert_int_equal(d->nunloaded, 2);
	assert_string_equal(d->unloaded[0].path, "a.dll");
	assert_string_equal(d->unloaded[0].code_id, "000000011000");
	assert_null(d->unloaded[1].path);
	assert_int_equal(d->unloaded[1].base, 0x6000000);
	assert_string_equal(d->unloaded[1].code_id, "000000023000");
	cr_dump_free(d);
	mds_free(&m);

	/* Entries shorter than a MINIDUMP_UNLOADED_MODULE: nothing is read. */
	mds_init(&m);
	mdb_u32(&b, 12); mdb_u32(&b, 16); mdb_u32(&b, 1);
	mdb_zero(&b, 16);
	mds_stream(&m, 14, &b);
	d = open_ok(&m);
	assert_problem(d, "entries of 16 bytes, expected at least 24");
	assert_int_equal(d->nunloaded, 0);
	cr_dump_free(d);
	mds_free(&m);
}

/* Facts past CR_MAX_FACTS are dropped, and said once. */
static void test_facts_limit(void **state)
{
	struct cr_dump *d = cr_dump_new("x");
	assert_non_null(d);
	for (int i = 0; i < CR_MAX_FACTS + 5; i++)
		cr_dump_fact(d, "stream 0x99", "%d bytes, not read", i);
	assert_int_equal(d->nfacts, CR_MAX_FACTS);
	assert_int_equal(d->facts_dropped, 5);
	assert_int_equal(d->problems.n, 1);
	assert_problem(d, "more facts than are kept");
	assert_string_equal(d->facts[CR_MAX_FACTS - 1].value, "999 bytes, not read");
	cr_dump_free(d);
}

static void test_duplicate_stream_keeps_last(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 0, 2, 5, 1, 2600, NULL, NULL, 1);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct cr_dump *d = open_ok(&m);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_problem(d, "same type; using entry 1");
	cr_dump_free(d);
	mds_free(&m);
}

static void test_thread_list_padding(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_thread t[2] = {
		{ .tid = 5, .ctx = mds_context_amd64(&m, 0x55, 2, 3) },
		{ .tid = 6, .ctx = mds_context_amd64(&m, 0x66, 2, 3) },
	};
	mds_thread_list(&m, t, 2, true);
	struct cr_dump *d = open_ok(&m);
	assert_no_problems(d);
	assert_int_equal(d->nthreads, 2);
	assert_int_equal(d->threads[1].tid, 6);
	assert_int_equal(reg(&d->threads[1].regs, 16), 0x66);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_no_system_info_guesses_cpu(void **state)
{
	struct mds m;
	mds_init(&m);
	struct mds_thread t = { .tid = 5, .ctx = mds_context_amd64(&m, 0x55, 2, 3) };
	mds_thread_list(&m, &t, 1, false);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "CPU guessed from the contexts (amd64)");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(reg(&d->threads[0].regs, 16), 0x55);
	assert_string_equal(d->format, "Minidump");
	cr_dump_free(d);
	mds_free(&m);
}

static void test_utf16_conversion(void **state)
{
	/* "A", U+00E9, U+20AC, U+1F600 (pair), lone high surrogate, NUL, "B" */
	static const uint8_t s[] = { 'A', 0, 0xe9, 0, 0xac, 0x20, 0x3d, 0xd8,
				     0x00, 0xde, 0x00, 0xd8, 'x', 0, 0, 0, 'B', 0 };
	char *u = md_utf16_to_utf8(s, sizeof(s) / 2);
	assert_string_equal(u, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbdx");
	free(u);
	u = md_utf16_to_utf8(s, 0);
	assert_string_equal(u, "");
	free(u);
}

/* --- damaged dumps -------------------------------------------------------- */

static void test_rva_past_end(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	mds_stream_raw(&m, 3, 100, 0x100000);	/* ThreadList past the end */
	mds_stream_raw(&m, 4, 0xffffffff, 0xfffffff0);	/* wraps in 32 bits */
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "ThreadList (stream 1 at 0x100000)");
	assert_problem(d, "ModuleList (stream 2");
	assert_int_equal(d->nthreads, 0);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_directory_inside_header(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	m.set_dir_rva = true;
	m.dir_rva = 4;
	m.set_count = true;
	m.count = 2;
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "overlaps the 32-byte header");
	cr_dump_free(d);
	mds_free(&m);
}

static void test_directory_past_end(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	m.set_dir_rva = true;
	m.dir_rva = 0x7fffffff;
	size_t len;
	const uint8_t *buf = mds_finish(&m, &len);
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_from_buffer(buf, len, "synth.dmp", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_CORRUPT);
	assert_non_null(strstr(err->message, "past the end"));
	assert_null(d);
	cr_error_free(err);
	mds_free(&m);
}

static void test_not_a_minidump(void **state)
{
	static const uint8_t bad_version[32] = { 'M', 'D', 'M', 'P', 0x93, 0xa7 + 1 };
	static const uint8_t short_file[8] = { 'M', 'D', 'M', 'P' };
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_from_buffer(bad_version, sizeof(bad_version), "x", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
	err = cr_dump_from_buffer(short_file, sizeof(short_file), "x", &d);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_FORMAT);
	cr_error_free(err);
}

static void test_overlapping_memory(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	uint8_t a[0x100], b[0x100], c[0x10];
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	memset(c, 1, sizeof(c));
	struct mds_range r[3] = {
		{ 0x1000, a, sizeof(a) },
		{ 0x1080, b, sizeof(b) },	/* overlaps, different bytes */
		{ 0x1010, c, sizeof(c) },	/* inside, same bytes: silent */
	};
	mds_memory_list(&m, r, 3);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "memory range 0x1080-0x1180 overlaps 0x1000-0x1100; dropped");
	assert_int_equal(d->problems.n, 1);
	assert_int_equal(d->nsegs, 1);
	uint8_t x;
	assert_int_equal(cr_dump_read(d, 0x10ff, &x, 1), 1);
	assert_int_equal(x, 1);
	assert_int_equal(cr_dump_read(d, 0x1100, &x, 1), 0);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_thread_count_larger_than_stream(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_thread t[2] = {
		{ .tid = 5, .ctx = mds_context_amd64(&m, 0x55, 2, 3) },
		{ .tid = 6, .ctx = mds_context_amd64(&m, 0x66, 2, 3) },
	};
	mds_thread_list(&m, t, 2, false);
	/* Patch the count of the stream just written (the last blob). */
	mdb_put_at(&m.file, m.dir[1].rva, 4, 5);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "5 threads of 48 bytes claimed, the stream holds 2");
	assert_int_equal(d->nthreads, 2);
	assert_int_equal(d->threads[1].tid, 6);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_context_wrong_size(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_thread t[3] = {
		{ .tid = 0x10, .ctx = mds_context_x86(&m, 1, 2, 3) },	/* x86 in an amd64 dump */
		{ .tid = 0x20, .ctx = mds_context_raw(&m, 1232, 0x00010000, 0x30) },
		{ .tid = 0x30, .ctx = { 0, 0 } },
	};
	mds_thread_list(&m, t, 3, false);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "thread 0 (tid 0x10): context of 716 bytes, expected 1232 for amd64");
	assert_problem(d, "thread 1 (tid 0x20): context flags 0x10000 do not describe an amd64 context");
	/* No context at all is a fact about thread 2, not a problem; but no
	 * thread has a readable one: the dump is damaged. */
	assert_false(has_problem(d, "thread 2 (tid 0x30)"));
	assert_problem(d, "no thread has a CPU context");
	assert_int_equal(d->nthreads, 3);
	uint64_t pc;
	for (size_t i = 0; i < 3; i++)
		assert_false(cr_thread_pc(d, &d->threads[i], &pc));
	cr_dump_free(d);
	mds_free(&m);
}

/*
 * A dump written on demand by the process itself (dbghelp, wine) records
 * no context for the writing thread: no problem at all, so the exit
 * status stays 0.  The same thread as the exception's thread, with no
 * exception context either, is damage.
 */
static void test_context_missing_on_one_thread(void **state)
{
	for (int exception = 0; exception < 2; exception++) {
		struct mds m;
		mds_init(&m);
		mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
		struct mds_thread t[2] = {
			{ .tid = 0x10, .ctx = { 0, 0 } },	/* the writer */
			{ .tid = 0x20, .ctx = mds_context_amd64(&m, 1, 2, 3) },
		};
		mds_thread_list(&m, t, 2, false);
		if (exception)
			mds_exception(&m, 0x10, 0xc0000005, 0, 0, NULL, 0,
				      (struct mds_loc){ 0, 0 });
		struct cr_dump *d = open_ok(&m);
		if (exception) {
			assert_problem(d, "the exception's thread (tid 0x10) has no CPU context");
		} else {
			assert_no_problems(d);
			assert_false(cr_problems_serious(&d->problems));
		}
		uint64_t pc;
		assert_false(cr_thread_pc(d, &d->threads[0], &pc));
		assert_true(cr_thread_pc(d, &d->threads[1], &pc));
		cr_dump_free(d);
		mds_free(&m);
	}
}

/*
 * Every prefix of a good dump opens or fails cleanly (ASan watches), with
 * the directory at the end (a cut loses all or part of it) and at the start,
 * as dbghelp writes it (a cut keeps it: the dump opens and says what is
 * missing).
 */
static void test_cut_off_file(void **state)
{
	for (int dir_first = 0; dir_first < 2; dir_first++) {
		struct mds m;
		uint8_t stack[64];
		if (dir_first) {
			/* build_windows_amd64() calls mds_init(): redo its
			 * work with the directory reserved first. */
			mds_init(&m);
			mds_reserve_directory(&m, 8);
			mds_system_info(&m, 9, 2, 10, 0, 19045, NULL, NULL, 4);
			struct mds_thread t = {
				.tid = 0x100, .stack_start = 0x7000, .stack = stack,
				.stack_size = sizeof(stack),
				.ctx = mds_context_amd64(&m, 0x1234, 0x7010, 0) };
			mds_thread_list(&m, &t, 1, false);
			struct mds_module mod = { .base = 0x400000, .size = 0x1000,
						  .name = "app.exe", .pdb = "app.pdb" };
			mds_module_list(&m, &mod, 1);
			const uint64_t params[2] = { 0, 0x45 };
			mds_exception(&m, 0x100, 0xc0000005, 0, 0x1234, params, 2,
				      mds_context_amd64(&m, 0x1234, 0x7010, 0));
		} else {
			build_windows_amd64(&m, stack, sizeof(stack));
		}
		size_t len;
		const uint8_t *full = mds_finish(&m, &len);
		size_t opened = 0, with_problems = 0;
		for (size_t n = 0; n < len; n++) {
			uint8_t *cut = malloc(n ? n : 1);
			assert_non_null(cut);
			memcpy(cut, full, n);
			struct cr_dump *d = NULL;
			struct cr_error *err = cr_dump_from_buffer(cut, n, "cut.dmp", &d);
			if (err) {
				assert_true(err->code == CR_ERR_FORMAT ||
					    err->code == CR_ERR_CORRUPT);
				cr_error_free(err);
			} else {
				opened++;
				with_problems += d->problems.n > 0;
				cr_dump_free(d);
			}
			free(cut);
		}
		/* Every prefix that opens says what it lacks. */
		assert_int_equal(with_problems, opened);
		if (dir_first)
			assert_true(opened > len / 2);
		else	/* only cuts inside the directory itself open */
			assert_true(opened < 12 * m.ndir);
		mds_free(&m);
	}
}

static void test_string_length_lies(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	struct mds_module mod = { .base = 0x400000, .size = 0x1000, .name = "app.exe" };
	mds_module_list(&m, &mod, 1);
	/* The name string is the first blob after the SystemInfo stream:
	 * find it by its UTF-16 "a" and make its length enormous. */
	for (size_t i = 32; i + 6 <= m.file.len; i++) {
		if (!memcmp(m.file.p + i, "a\0p\0p\0", 6)) {
			mdb_put_at(&m.file, i - 4, 4, 0x7ffffff0);
			break;
		}
	}
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "module 0 name: string at");
	assert_int_equal(d->nmodules, 1);
	assert_null(d->modules[0].path);
	assert_null(d->process.executable);
	cr_dump_free(d);
	mds_free(&m);
}

/*
 * Many records naming one long string (here 2000 modules, one 120 KB name):
 * the strings taken from the file must stay bounded by the file's size,
 * not grow as count x length (100000 modules could ask for 6 GB).
 */
static void test_shared_string_amplification(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	char *longname = malloc(60001);
	assert_non_null(longname);
	memset(longname, 'a', 60000);
	longname[60000] = 0;
	uint32_t name = mds_string(&m, longname);
	free(longname);
	enum { N = 2000 };
	struct mds_buf b = { 0 };
	mdb_u32(&b, N);
	for (unsigned i = 0; i < N; i++) {
		mdb_u64(&b, 0x400000 + (uint64_t)i * 0x10000);	/* base */
		mdb_u32(&b, 0x1000);	/* size */
		mdb_u32(&b, 0);		/* checksum */
		mdb_u32(&b, 0);		/* time stamp */
		mdb_u32(&b, name);
		mdb_zero(&b, 108 - 24);	/* version, CodeView, misc: none */
	}
	mds_stream(&m, 4 /* ModuleList */, &b);
	struct cr_dump *d = open_ok(&m);
	assert_int_equal(d->nmodules, N);
	size_t total = 0, named = 0;
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].path) {
			total += strlen(d->modules[i].path);
			named++;
		}
	assert_true(named > 0);
	assert_true(total <= 2 * (m.file.len + (1u << 20)));
	assert_problem(d, "more string bytes than the file holds");
	cr_dump_free(d);
	mds_free(&m);
}

static void test_count_ffffffff(void **state)
{
	static const uint32_t types[] = { 3, 4, 5, 24, 17, 16, 14, 12, 9 };
	for (size_t k = 0; k < ARRAY_LEN(types); k++) {
		struct mds m;
		mds_init(&m);
		mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
		struct mds_buf b = { 0 };
		if (types[k] == 16 || types[k] == 17 || types[k] == 14 ||
		    types[k] == 12) {
			mdb_u32(&b, types[k] == 16 ? 16 : types[k] == 12 ? 16 : 12);
			mdb_u32(&b, types[k] == 16 ? 48 : types[k] == 17 ? 64
				   : types[k] == 12 ? 16 : 24);
			if (types[k] == 16)
				mdb_u64(&b, UINT64_MAX);
			else
				mdb_u32(&b, 0xffffffff);
			if (types[k] == 12)
				mdb_u32(&b, 0);
		} else if (types[k] == 9) {
			mdb_u64(&b, UINT64_MAX);
			mdb_u64(&b, 0);
		} else {
			mdb_u32(&b, 0xffffffff);
		}
		mdb_zero(&b, 48);
		mds_stream(&m, types[k], &b);
		struct cr_dump *d = open_ok(&m);
		if (!has_problem(d, "claimed, the stream holds")) {
			print_problems(d);
			fail_msg("stream type %u: no count problem", types[k]);
		}
		cr_dump_free(d);
		mds_free(&m);
	}
}

static void test_directory_count_ffffffff(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	m.set_count = true;
	m.count = 0xffffffff;
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "claims 4294967295 entries, the file holds 1");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_maps_garbage(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0, "Linux", NULL, 1);
	mds_text_stream(&m, 0x47670009,
			"00400000-00401000 r-xp 00000000 08:01 1 /a\n"
			"zzzz-yyyy rwxp\n"
			"00500000-00501000 r-xp 00000000 08:01 1 /b\n");
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "line 2 is not a maps line; 1 regions read");
	assert_int_equal(d->nregions, 1);
	cr_dump_free(d);
	mds_free(&m);

	mds_init(&m);
	mds_system_info(&m, 9, 0x8201, 0, 0, 0, "Linux", NULL, 1);
	mds_text_stream(&m, 0x47670009,
			"00400000-00401000 r-xp 00000000 08:01 1 /a\n"
			"ffffffffff600000-ffffffffff601000 r-xp 00000000 00:");
	d = open_ok(&m);
	assert_problem(d, "the last line (2) is cut off");
	assert_int_equal(d->nregions, 1);
	cr_dump_free(d);
	mds_free(&m);
}

static void test_exception_thread_missing(void **state)
{
	struct mds m;
	mds_init(&m);
	mds_system_info(&m, 9, 2, 10, 0, 1, NULL, NULL, 1);
	uint64_t p[20] = { 0 };
	mds_exception(&m, 0x77, 0x80000003, 0, 0x1234, p, 15, mds_context_raw(&m, 100, 0, 0));
	/* Claim 99 parameters. */
	mdb_put_at(&m.file, m.dir[1].rva + 32, 4, 99);
	struct cr_dump *d = open_ok(&m);
	assert_problem(d, "exception thread 0x77 is not in the thread list");
	assert_problem(d, "99 exception parameters");
	assert_problem(d, "exception context (tid 0x77): context of 100 bytes");
	assert_int_equal(d->event.exc_nparams, 15);
	assert_false(d->event.regs_known);
	cr_dump_free(d);
	mds_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_amd64),
		cmocka_unit_test(test_x86_crash_address_truncated),
		cmocka_unit_test(test_linux_signal_and_proc_streams),
		cmocka_unit_test(test_linux_dump_requested_and_sender),
		cmocka_unit_test(test_macos_mach_exception),
		cmocka_unit_test(test_arm64_and_arm_contexts),
		cmocka_unit_test(test_thread_info_and_names),
		cmocka_unit_test(test_memory64_and_memory_info),
		cmocka_unit_test(test_breakpad_assertion_crashpad),
		cmocka_unit_test(test_handle_data_unloaded_unknown),
		cmocka_unit_test(test_handle_unloaded_counts_lie),
		cmocka_unit_test(test_handle_descriptors),
		cmocka_unit_test(test_handle_descriptors_hostile),
		cmocka_unit_test(test_facts_limit),
		cmocka_unit_test(test_duplicate_stream_keeps_last),
		cmocka_unit_test(test_thread_list_padding),
		cmocka_unit_test(test_no_system_info_guesses_cpu),
		cmocka_unit_test(test_utf16_conversion),
		cmocka_unit_test(test_rva_past_end),
		cmocka_unit_test(test_directory_inside_header),
		cmocka_unit_test(test_directory_past_end),
		cmocka_unit_test(test_not_a_minidump),
		cmocka_unit_test(test_overlapping_memory),
		cmocka_unit_test(test_thread_count_larger_than_stream),
		cmocka_unit_test(test_context_wrong_size),
		cmocka_unit_test(test_context_missing_on_one_thread),
		cmocka_unit_test(test_cut_off_file),
		cmocka_unit_test(test_string_length_lies),
		cmocka_unit_test(test_shared_string_amplification),
		cmocka_unit_test(test_count_ffffffff),
		cmocka_unit_test(test_directory_count_ffffffff),
		cmocka_unit_test(test_maps_garbage),
		cmocka_unit_test(test_exception_thread_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
