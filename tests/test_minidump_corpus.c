/*
 * test_minidump_corpus.c - conformance of the minidump reader against the
 * real dumps of Breakpad's and rust-minidump's test suites, with the facts
 * their own tests and outputs expect (../shared/corpus/MANIFEST.md).
 *
 * Usage: test_minidump_corpus CORPUS_DIR.  Exits 77 (ctest SKIP) when the
 * corpus is absent.  Only reader-level facts are checked here: what the
 * files record (threads, modules, exception, system).  Crash reasons,
 * stacks and symbols belong to the analyzer's conformance tests.
 *
 * Disagreements kept on purpose (see the comments at each):
 *  - Windows module debug_file is the path the CodeView record holds
 *    ("c:\test_app.pdb"); rust-minidump's JSON prints its basename.
 *  - macOS exception codes are Mach exceptions (kind CR_EVENT_EXCEPTION),
 *    not signals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "dump.h"
#include "util.h"

static const char *corpus;

static struct cr_dump *open_dump(const char *rel)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", corpus, rel);
	struct cr_dump *d = NULL;
	struct cr_error *err = cr_dump_open(path, &d);
	if (err)
		fail_msg("%s: %s", rel, err->message);
	return d;
}

static uint64_t reg(const struct cr_regs *r, unsigned n)
{
	uint64_t v = 0;
	if (!cr_regs_get(r, n, &v))
		fail_msg("register %u not set", n);
	return v;
}

static const struct cr_module *main_module(const struct cr_dump *d)
{
	for (size_t i = 0; i < d->nmodules; i++)
		if (d->modules[i].is_main)
			return &d->modules[i];
	fail_msg("no main module");
	return NULL;
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

static void assert_contains(const char *s, const char *needle)
{
	if (!s || !strstr(s, needle))
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)", needle);
}

/* The crash address as Breakpad and rust-minidump print it. */
static uint64_t crash_address(const struct cr_dump *d)
{
	if (d->event.fault_addr_known)
		return d->event.fault_addr;
	return d->event.exc_address;
}

/* --- breakpad/minidump2.dmp and its 32-bit twin --------------------------- */

static void test_minidump2(void **state)
{
	struct cr_dump *d = open_dump("breakpad/minidump2.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.os, CR_OS_WINDOWS);
	assert_string_equal(d->process.os_version, "5.1.2600 Service Pack 2");
	assert_string_equal(d->process.cpu, "GenuineIntel family 6 model 13 stepping 8");
	assert_int_equal(d->process.ncpus, 1);
	assert_int_equal(d->process.arch, CR_ARCH_X86);
	assert_int_equal(d->process.pid, 3932);
	assert_int_equal(d->process.start_time, 0x45d35f73);

	assert_int_equal(d->nthreads, 2);
	assert_int_equal(d->threads[0].tid, 0xbf4);
	assert_int_equal(d->threads[1].tid, 0x11c0);
	/* The thread list's own context of 0xbf4 (the handler's). */
	assert_int_equal(reg(&d->threads[0].regs, 8), 0x7c90eb94);
	assert_int_equal(reg(&d->threads[0].regs, 4), 0x12f320);

	assert_int_equal(d->event.kind, CR_EVENT_EXCEPTION);
	assert_int_equal(d->event.tid, 3060);
	assert_int_equal(d->event.exc_code, 0xc0000005);
	assert_int_equal(d->event.exc_params[0], 1);	/* write */
	assert_int_equal(crash_address(d), 0x45);
	assert_true(d->event.regs_known);
	assert_int_equal(reg(&d->event.regs, 8), 0x40429e);
	assert_int_equal(reg(&d->event.regs, 4), 0x12fe84);
	for (unsigned r = 0; r <= 9; r++)
		assert_true(cr_regs_get(&d->event.regs, r, &(uint64_t){ 0 }));
	assert_true(d->event.dump_tid_known);
	assert_int_equal(d->event.dump_tid, 0x11c0);

	/* Stack memory reads asserted by rust-minidump's tests. */
	uint8_t b[8];
	assert_int_equal(cr_dump_read(d, 0x12f31c, b, 8), 8);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	assert_int_equal(v, 0x7c90e9c000000000ull);
	assert_int_equal(cr_dump_read(d, 0x12fff8, b, 8), 8);
	v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	assert_int_equal(v, 0x405443);
	assert_int_equal(cr_dump_read(d, 0x12ffff, b, 1), 1);
	assert_int_equal(b[0], 0);

	assert_int_equal(d->nmodules, 13);
	/* Sorted by address, as the model keeps them. */
	static const char *const by_addr[] = {
		"test_app.exe", "dbghelp.dll", "imm32.dll", "psapi.dll",
		"ole32.dll", "version.dll", "msvcrt.dll", "user32.dll",
		"advapi32.dll", "rpcrt4.dll", "gdi32.dll", "kernel32.dll",
		"ntdll.dll",
	};
	for (size_t i = 0; i < 13; i++)
		assert_contains(d->modules[i].path, by_addr[i]);
	const struct cr_module *m = main_module(d);
	assert_string_equal(m->path, "c:\\test_app.exe");
	assert_string_equal(d->process.executable, "c:\\test_app.exe");
	assert_int_equal(m->base, 0x400000);
	assert_int_equal(m->size, 0x2d000);
	assert_string_equal(m->code_id, "45D35F6C2d000");
	/* rust-minidump's JSON prints the basename "test_app.pdb". */
	assert_string_equal(m->debug_file, "c:\\test_app.pdb");
	assert_string_equal(m->debug_id, "5A9832E5287241C1838ED98914E9B7FF1");
	assert_null(m->version);
	assert_int_equal(m->kind, CR_MODULE_PE);
	m = module_named(d, "C:\\WINDOWS\\system32\\psapi.dll");
	assert_int_equal(m->base, 0x76bf0000);
	assert_int_equal(m->size, 0xb000);
	assert_string_equal(m->code_id, "411096CAb000");
	assert_string_equal(m->debug_file, "psapi.pdb");
	assert_string_equal(m->debug_id, "A5C3A1F9689F43D8AD228A09293889702");
	assert_string_equal(m->version, "5.1.2600.2180");
	cr_dump_free(d);
}

static void test_32bit_crash_addr(void **state)
{
	struct cr_dump *d = open_dump("breakpad/minidump_32bit_crash_addr.dmp");
	assert_int_equal(d->event.exc_params[1], 0xffffffff00000045ull);
	assert_int_equal(crash_address(d), 0x45);
	cr_dump_free(d);
}

static void test_thread_name_list(void **state)
{
	struct cr_dump *d = open_dump("breakpad/thread_name_list.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.arch, CR_ARCH_X86);
	assert_int_equal(d->nthreads, 6);
	assert_int_equal(d->nmodules, 17);
	assert_int_equal(d->event.exc_code, 0xc0000005);
	assert_int_equal(d->event.exc_params[0], 0);	/* read */
	assert_int_equal(crash_address(d), 0xf1004);
	size_t named = 0;
	for (size_t i = 0; i < d->nthreads; i++)
		named += d->threads[i].name != NULL;
	assert_int_equal(named, 3);
	assert_string_equal(cr_dump_thread_by_tid(d, 6564)->name, "main thread");
	assert_string_equal(cr_dump_thread_by_tid(d, 8820)->name, "sleep thread");
	assert_string_equal(cr_dump_thread_by_tid(d, 10976)->name, "overflow thread");
	assert_int_equal(d->event.tid, 10976);
	cr_dump_free(d);
}

static void test_cet_xsave(void **state)
{
	struct cr_dump *d = open_dump("breakpad/tiny-exe-with-cet-xsave.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_contains(d->process.os_version, "10.0.22000");
	assert_contains(d->process.os_version, "282");
	assert_contains(d->process.cpu, "family 6 model 140 stepping 1");
	assert_int_equal(d->nthreads, 1);
	assert_int_equal(d->nmodules, 25);
	assert_int_equal(d->event.kind, CR_EVENT_NONE);
	uint64_t pc;
	/* Contexts longer than CONTEXT (XSTATE appended) still decode. */
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	/* Its HandleData stream (MINIDUMP_HANDLE_DESCRIPTOR, 32 bytes): the
	 * handles with their object types, as Windows 11 wrote them. */
	assert_int_equal(d->nhandles, 147);
	assert_string_equal(cr_dump_handle(d, 0x4)->type, "File");
	assert_string_equal(cr_dump_handle(d, 0x8)->type, "Event");
	assert_string_equal(cr_dump_handle(d, 0x58)->type, "ALPC Port");
	size_t events = 0;
	for (size_t i = 0; i < d->nhandles; i++)
		events += d->handles[i].type && !strcmp(d->handles[i].type, "Event");
	assert_int_equal(events, 18);
	cr_dump_free(d);

	d = open_dump("breakpad/tiny-exe-with-cet-xsave-x86.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.arch, CR_ARCH_X86);
	assert_contains(d->process.os_version, "10.0.22631");
	assert_string_equal(d->process.cpu, "GenuineIntel family 6 model 151 stepping 2");
	assert_int_equal(d->nthreads, 3);
	assert_int_equal(d->event.kind, CR_EVENT_NONE);
	assert_true(cr_thread_pc(d, &d->threads[0], &pc));
	cr_dump_free(d);
}

/* --- Windows x86 access violations ---------------------------------------- */

static const struct av_case {
	const char *file;
	uint64_t kind;		/* 0 read, 1 write, 8 execute */
	uint64_t address;
} av_cases[] = {
	{ "null_read_av.dmp", 0, 0 },
	{ "null_write_av.dmp", 1, 0 },
	{ "read_av_non_null.dmp", 0, 0x4e3c9 },
	{ "read_av_conditional.dmp", 0, 0x4e3c9 },
	{ "read_av_clobber_write.dmp", 0, 0x4e3c9 },
	{ "write_av_non_null.dmp", 1, 0x4e3c9 },
	{ "ascii_read_av.dmp", 0, 0x41414141 },
	{ "ascii_read_av_block_write.dmp", 0, 0x41414141 },
	{ "ascii_read_av_clobber_write.dmp", 0, 0x41414141 },
	{ "ascii_read_av_conditional.dmp", 0, 0x41414141 },
	{ "ascii_read_av_then_jmp.dmp", 0, 0x41414141 },
	{ "ascii_read_av_xchg_write.dmp", 0, 0x41414141 },
	{ "ascii_write_av.dmp", 1, 0x41414141 },
	{ "ascii_write_av_arg_to_call.dmp", 1, 0x41414141 },
	{ "exec_av_on_stack.dmp", 8, 0x3df944 },
};

static void test_windows_access_violations(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(av_cases); i++) {
		const struct av_case *c = &av_cases[i];
		char rel[256];
		snprintf(rel, sizeof(rel), "breakpad/%s", c->file);
		print_message("  %s\n", c->file);
		struct cr_dump *d = open_dump(rel);
		assert_int_equal(d->problems.n, 0);
		assert_int_equal(d->process.arch, CR_ARCH_X86);
		assert_int_equal(d->nthreads, 2);
		assert_int_equal(d->nmodules, 26);
		assert_int_equal(d->event.kind, CR_EVENT_EXCEPTION);
		assert_int_equal(d->event.exc_code, 0xc0000005);
		assert_true(d->event.exc_nparams >= 2);
		assert_int_equal(d->event.exc_params[0], c->kind);
		assert_int_equal(crash_address(d), c->address);
		assert_non_null(cr_dump_thread_by_tid(d, d->event.tid));
		assert_true(d->event.regs_known);
		cr_dump_free(d);
	}
}

/* --- Breakpad Linux ------------------------------------------------------- */

static const struct linux_case {
	const char *file;
	int signo;
	bool addr_known;
	uint64_t address;
} linux_cases[] = {
	{ "linux_null_dereference.dmp", 11, true, 0 },
	{ "linux_null_read_av.dmp", 11, true, 0 },
	{ "linux_jmp_to_0.dmp", 11, true, 0 },
	{ "linux_stacksmash.dmp", 11, true, 0 },
	{ "linux_executable_stack.dmp", 11, true, 0 },
	{ "linux_executable_heap.dmp", 11, true, 0 },
	{ "linux_stack_pointer_in_stack.dmp", 11, true, 0 },
	{ "linux_stack_pointer_in_stack_alt_name.dmp", 11, true, 0 },
	{ "linux_stack_pointer_in_module.dmp", 11, true, 0 },
	{ "linux_inside_module_exe_region1.dmp", 11, true, 0 },
	{ "linux_inside_module_exe_region2.dmp", 11, true, 0 },
	{ "linux_write_to_under_4k.dmp", 11, true, 0xf93 },
	{ "linux_write_to_nonwritable_module.dmp", 11, true, 0x410000 },
	{ "linux_write_to_outside_module.dmp", 11, true, 0x390000 },
	{ "linux_write_to_outside_module_via_math.dmp", 11, true, 0x732b80 },
	{ "linux_write_to_nonwritable_region_math.dmp", 11, true, 0x72eb80 },
	{ "linux_jmp_to_module_not_exe_region.dmp", 11, true, 0x616500 },
	{ "linux_outside_module.dmp", 11, true, 0x29cd74 },
	/* SIGABRT: si_addr means nothing (Breakpad prints the raw field). */
	{ "linux_overflow.dmp", 6, false, 0 },
	{ "linux_inline.dmp", 4, true, 0x2161b6 },
};

static void test_linux_breakpad(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(linux_cases); i++) {
		const struct linux_case *c = &linux_cases[i];
		char rel[256];
		snprintf(rel, sizeof(rel), "breakpad/%s", c->file);
		print_message("  %s\n", c->file);
		struct cr_dump *d = open_dump(rel);
		assert_int_equal(d->process.os, CR_OS_LINUX);
		assert_int_equal(d->process.arch, CR_ARCH_X86_64);
		assert_int_equal(d->nthreads, 1);
		assert_int_equal(d->nmodules, 8);
		assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
		assert_int_equal(d->event.signo, c->signo);
		assert_int_equal(d->event.fault_addr_known, c->addr_known);
		if (c->addr_known)
			assert_int_equal(d->event.fault_addr, c->address);
		assert_int_equal(d->event.tid, d->threads[0].tid);
		assert_int_equal(d->modules[0].kind, CR_MODULE_ELF);
		assert_non_null(main_module(d)->debug_id);
		cr_dump_free(d);
	}
}

/* --- rust-minidump -------------------------------------------------------- */

static void test_linux_mini(void **state)
{
	struct cr_dump *d = open_dump("rust-minidump/linux-mini.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.os, CR_OS_LINUX);
	assert_contains(d->process.os_version,
			"Linux 4.9.60-linuxkit-aufs #1 SMP Mon Nov 6 16:00:12 UTC 2017 x86_64");
	assert_contains(d->process.os_version, "Ubuntu 16.04.3 LTS");
	assert_contains(d->process.cpu, "family 6 model 70 stepping 1");
	assert_int_equal(d->process.ncpus, 4);
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.pid, 1304);
	assert_int_equal(d->process.start_time, -1);	/* JSON uptime: null */
	assert_int_equal(d->event.kind, CR_EVENT_SIGNAL);
	assert_int_equal(d->event.signo, 11);
	assert_int_equal(crash_address(d), 0x45);
	assert_int_equal(d->nthreads, 1);
	assert_int_equal(d->threads[0].tid, 1304);
	assert_int_equal(d->event.tid, 1304);
	assert_int_equal(d->nmodules, 8);
	const struct cr_module *m = main_module(d);
	assert_contains(m->path, "/crash");
	assert_int_equal(m->base, 0x400000);
	assert_int_equal(m->base + m->size - 1, 0x419fff);
	static const char *const names[] = {
		"libm-2.23.so", "libc-2.23.so", "libgcc_s.so.1",
		"libstdc++.so.6.0.21", "libpthread-2.23.so", "ld-2.23.so",
		"linux-gate.so",
	};
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		bool found = false;
		for (size_t k = 0; k < d->nmodules; k++)
			found |= d->modules[k].path && strstr(d->modules[k].path, names[i]);
		if (!found)
			fail_msg("no module %s", names[i]);
	}
	assert_int_equal(d->nregions, 35);	/* "Linux memory map count: 35" */
	assert_true(d->nauxv > 0);
	cr_dump_free(d);
}

static void test_macos_inlines(void **state)
{
	struct cr_dump *d = open_dump("rust-minidump/pipeline-inlines-macos-segv.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_int_equal(d->process.os, CR_OS_MACOS);
	assert_string_equal(d->process.os_version, "11.6.7 20G630");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_contains(d->process.cpu, "family 6 model 70 stepping 1");
	assert_int_equal(d->process.ncpus, 8);
	assert_int_equal(d->process.pid, 80556);
	/* A Mach exception (EXC_BAD_ACCESS / KERN_INVALID_ADDRESS), not a signal. */
	assert_int_equal(d->event.kind, CR_EVENT_EXCEPTION);
	assert_int_equal(d->event.exc_code, 1);
	assert_int_equal(d->event.exc_flags, 1);
	assert_int_equal(crash_address(d), 0xffffffff80000042ull);
	assert_int_equal(d->event.tid, 4611);
	static const int64_t tids[] = { 4611, 5379, 5635, 10499, 10243, 9987,
					9731, 5891, 9475, 9219, 8963 };
	assert_int_equal(d->nthreads, 11);
	for (size_t i = 0; i < 11; i++) {
		assert_int_equal(d->threads[i].tid, tids[i]);
		if (i == 0)
			assert_string_equal(d->threads[i].name, "main");
		else
			assert_null(d->threads[i].name);	/* empty */
	}
	assert_int_equal(d->nmodules, 47);
	const struct cr_module *m = main_module(d);
	assert_contains(m->path, "crash-client");
	assert_int_equal(m->base, 0x102a54000);
	assert_int_equal(m->base + m->size - 1, 0x102b17fff);
	assert_string_equal(m->debug_id, "509C0610949836F7B70BD88BCF03E5400");
	assert_int_equal(m->kind, CR_MODULE_MACHO);
	cr_dump_free(d);
}

static void test_simple_crashpad(void **state)
{
	struct cr_dump *d = open_dump("rust-minidump/simple-crashpad.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_string_equal(d->producer, "Crashpad");
	assert_string_equal(d->process.os_version, "10.15.7 19H114");
	assert_int_equal(d->process.ncpus, 12);
	assert_int_equal(d->nmodules, 40);
	assert_contains(main_module(d)->path, "crashy");
	assert_int_equal(d->nthreads, 1);
	assert_int_equal(d->event.exc_code, 0);
	assert_int_equal(d->event.exc_params[0], 0xa);	/* EXC_CRASH */
	assert_int_equal(crash_address(d), 0x7fff6f41333aull);

	bool report = false, client = false, hello = false, abort_msg = false;
	for (size_t i = 0; i < d->nannotations; i++) {
		const struct cr_annotation *a = &d->annotations[i];
		if (a->key && !strcmp(a->key, "crashpad:report_id"))
			report = !strcmp(a->value, "42F9DE72-518A-43DD-97D7-8DDC328D3662");
		if (a->key && !strcmp(a->key, "crashpad:client_id"))
			client = !strcmp(a->value, "6FD2B3B9-9833-4B2F-BBF7-0BCF501BAD7E");
		if (!a->module && a->key && !strcmp(a->key, "hello"))
			hello = !strcmp(a->value, "world");
		if (a->module && !strcmp(a->module, "libsystem_c.dylib") && !a->key)
			abort_msg = !strcmp(a->value, "abort() called");
	}
	assert_true(report);
	assert_true(client);
	assert_true(hello);
	assert_true(abort_msg);
	cr_dump_free(d);
}

static void test_invalid_parameter(void **state)
{
	struct cr_dump *d = open_dump("rust-minidump/invalid-parameter.dmp");
	assert_int_equal(d->problems.n, 0);
	assert_contains(d->process.os_version, "10.0.17134");
	assert_int_equal(d->process.arch, CR_ARCH_X86_64);
	assert_int_equal(d->process.ncpus, 16);
	assert_int_equal(d->nthreads, 6);
	assert_int_equal(d->nmodules, 31);
	assert_contains(main_module(d)->path, "CrashTest.exe");
	assert_int_equal(d->event.exc_code, 0xc000000d);
	assert_int_equal(crash_address(d), 0);
	assert_true(d->event.dump_tid_known);
	assert_int_equal(d->event.dump_tid, 0x1350);
	assert_string_equal(d->event.assertion,
			    "Invalid parameter passed to library function format != nullptr "
			    "in function common_vfprintf, in file "
			    "minkernel\\crts\\ucrt\\src\\appcrt\\stdio\\output.cpp at line 32");
	const struct cr_module *m = main_module(d);
	uint64_t pc = 0;
	assert_true(cr_regs_get(&d->event.regs, 16, &pc));
	assert_int_equal(pc - m->base, 0x7a9a3);	/* CrashTest.exe + 0x7a9a3 */
	cr_dump_free(d);
}

static void test_fuzzer_made(void **state)
{
	struct cr_dump *d = open_dump("rust-minidump/invalid-range.dmp");
	assert_true(d->problems.n > 0);	/* the LinuxMaps "text" is the header */
	assert_int_equal(d->nthreads, 0);
	cr_dump_free(d);
	d = open_dump("rust-minidump/invalid-record-count.dmp");
	assert_true(d->problems.n > 0);
	assert_int_equal(d->nthreads, 0);
	cr_dump_free(d);
}

int main(int argc, char **argv)
{
	struct stat st;
	corpus = argc > 1 ? argv[1] : "../shared/corpus";
	if (stat(corpus, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("skipped: conformance corpus not found at %s\n", corpus);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minidump2),
		cmocka_unit_test(test_32bit_crash_addr),
		cmocka_unit_test(test_thread_name_list),
		cmocka_unit_test(test_cet_xsave),
		cmocka_unit_test(test_windows_access_violations),
		cmocka_unit_test(test_linux_breakpad),
		cmocka_unit_test(test_linux_mini),
		cmocka_unit_test(test_macos_inlines),
		cmocka_unit_test(test_simple_crashpad),
		cmocka_unit_test(test_invalid_parameter),
		cmocka_unit_test(test_fuzzer_made),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
