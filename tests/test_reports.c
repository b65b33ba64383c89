/*
 * test_reports.c - the three report writers and report_write_file().
 *
 * The fixture is a dump and an analysis built by hand in memory: two thread
 * groups, a crashed thread with an inlined frame and a fold over 100,000
 * frames, a module without a file, CPU times not recorded, problems -- and
 * hostile strings everywhere (HTML in a thread name, Markdown fences, pipes,
 * backslashes and newlines in the command line, C++ templates in function
 * names, a link in a module path).  Each report is then parsed by a real
 * parser (cmark-gfm, libxml2's HTML parser, jansson) and its *structure* is
 * checked: the hostile strings must survive as text and change nothing.
 *
 * With a directory as argv[1], the JSON reports are also written there
 * (reports-full.json, reports-empty.json) for check_json_schema.py, which
 * ctest runs next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmark-gfm-core-extensions.h>
#include <cmark-gfm.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>

#include "findings.h"
#include "html_md_compile.h"
#include "html_md_replay.h"
#include "json_util.h"
#include "strbuf.h"
#include "html_style.h"
#include "md_budget.h"
#include "report.h"
#include "report_util.h"
#include "term.h"
#include "util.h"

static const char *json_out_dir;

/* --- the fixture -------------------------------------------------------- */

#define HOSTILE_NAME "</td><script>alert(1)</script>"
#define HOSTILE_CMDLINE "crash|me --x ```fence``` a\\b `tick`\nsecond line | <b>&amp;"
#define HOSTILE_PATH "/opt/app/lib](http://x)/libevil.so"
#define HOSTILE_KEY "<script>alert(2)</script>"
#define HOSTILE_VALUE "a|b `c` ```d``` | <b>e</b>"
#define HOSTILE_FACT "stream `0x1`|<i>"
/* Active on GitHub once pasted into a ticket: a team mention, an issue
 * reference, three autolinks and an e-mail address. */
#define ZWSP "\xe2\x80\x8b"	/* U+200B */
#define GITHUB_VALUE "@sec-team see #1234 https://evil.example/x www.evil.example ops@evil.example"
#define UNLOADED_PATH "C:\\old\\gone|`x`<y>.dll"
#define FN_TOP "std::vector<int, std::allocator<int>>::at|x"
#define FN_INLINE "inline_helper<std::pair<int, int>>"
#define FOLD_FRAMES 100000
#define NFRAMES (2 + FOLD_FRAMES + 3)

struct fixture {
	struct cr_dump d;
	struct cr_analysis a;
	struct cr_thread threads[3];
	struct cr_module modules[2];
	struct cr_thread_analysis tas[3];
	struct cr_module_analysis mas[2];
	struct cr_thread_group groups[2];
	size_t g0[1], g1[2];
	struct cr_fold fold;
	struct cr_frame *frames;
	struct cr_frame small[3];
	struct cr_problem dproblems[2];
	struct cr_problem aproblems[1];
	struct cr_annotation notes[3];
	struct cr_fact facts[4];
	struct cr_module unloaded[1];
	uint8_t bid0[4], bid1[3];
};

static struct fixture *fixture_new(void)
{
	struct fixture *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	struct cr_dump *d = &x->d;
	struct cr_analysis *a = &x->a;

	d->path = "/tmp/core.4242|`x`";
	d->file_size = 123456789;
	d->format = "ELF core file";
	d->producer = NULL;
	d->process = (struct cr_process){
		.pid = 4242, .ppid = 1, .uid = 1000, .gid = -1,
		.executable = "/opt/app/bin/crash|me",
		.command_line = HOSTILE_CMDLINE,
		.os = CR_OS_LINUX, .os_version = "6.1.0-18-amd64 #1 SMP",
		.cpu = NULL, .arch = CR_ARCH_X86_64, .pointer_size = 8,
		.dump_time = 1700000000, .start_time = -1,
		.user = { true, 1500000 }, .sys = { false, 0 },
	};
	d->event = (struct cr_event){
		.kind = CR_EVENT_SIGNAL, .tid = 4242, .signo = 11,
		.siginfo_known = true, .si_code = 1, .fault_addr_known = true,
		.fault_addr = 0,
	};

	x->threads[0] = (struct cr_thread){
		.tid = 4242, .name = HOSTILE_NAME,
		.user = { true, 250 }, .sys = { false, 0 },
		.signo = 11, .create_time = -1,
	};
	cr_regs_set(&x->threads[0].regs, 16, 0x401000);	/* rip */
	cr_regs_set(&x->threads[0].regs, 7, 0x7ffc0000fff0);	/* rsp */
	cr_regs_set(&x->threads[0].regs, 100, 0xdead);	/* no DWARF name */
	x->threads[1] = (struct cr_thread){
		.tid = 4243, .name = "worker|1\\|\\", .user = { true, 10 },
		.sys = { true, 20 }, .create_time = -1,
	};
	x->threads[2] = (struct cr_thread){
		.tid = 4244, .name = "worker`2`\x1b[0m\xff", .user = { true, 0 },
		.sys = { true, 0 }, .syscall_known = true, .in_syscall = true,
		.syscall_nr = 7, .create_time = -1,
	};
	d->threads = x->threads;
	d->nthreads = 3;

	memcpy(x->bid0, "\xde\xad\xbe\xef", 4);
	memcpy(x->bid1, "\x01\x02\x03", 3);
	x->modules[0] = (struct cr_module){
		.path = "/opt/app/bin/crash|me", .base = 0x400000,
		.size = 0x10000, .build_id = x->bid0, .build_id_len = 4,
		.is_main = true,
	};
	x->modules[1] = (struct cr_module){
		.path = HOSTILE_PATH, .base = 0x7f0000000000, .size = 0x2000,
		.build_id = x->bid1, .build_id_len = 3,
		.debug_file = "evil.pdb*_*", .version = "10.0.19041.1 <b>",
	};
	x->modules[0].code_id = "deadbeef";
	x->modules[0].debug_id = "DEADBEEF00000000000000000000000000";
	d->modules = x->modules;
	d->nmodules = 2;
	d->process.ncpus = 8;

	/* Minidump-only facts, through the model: annotations (one a list
	 * annotation, one set by a module), an unloaded module, facts. */
	x->notes[0] = (struct cr_annotation){ .key = HOSTILE_KEY,
		.value = HOSTILE_VALUE };
	x->notes[1] = (struct cr_annotation){ .module = "libsystem_c.dylib",
		.value = "abort() called" };
	x->notes[2] = (struct cr_annotation){ .module = "m|`x`",
		.key = "k\\|`", .value = "line1\nline2" };
	d->annotations = x->notes;
	d->nannotations = 3;
	x->unloaded[0] = (struct cr_module){ .path = UNLOADED_PATH,
		.base = 0x7f0000100000, .size = 0x3000, .code_id = "45D35F6C3000" };
	d->unloaded = x->unloaded;
	d->nunloaded = 1;
	x->facts[0] = (struct cr_fact){ "stream 0x4d7a0004", "1,234 bytes, not read" };
	x->facts[1] = (struct cr_fact){ "Handles", "152" };
	x->facts[2] = (struct cr_fact){ HOSTILE_FACT, "v|<script>x</script>`" };
	x->facts[3] = (struct cr_fact){ "Contact", GITHUB_VALUE };
	d->facts = x->facts;
	d->nfacts = 4;

	x->dproblems[0] = (struct cr_problem){
		.at = { .severity = CR_SEVERITY_ERROR, .origin = "minidump",
			.place = CR_PLACE_OFFSET, .where = 0x1f400 },
		.text = "thread 7: context RVA 0x1f400 past end of file" };
	x->dproblems[1] = (struct cr_problem){
		.at = { .severity = CR_SEVERITY_WARNING, .origin = "minidump" },
		.text = "note <b>bold</b> & |pipe| `tick`\nsecond line" };
	d->problems.items = x->dproblems;
	d->problems.n = 2;
	d->problems.dropped[CR_SEVERITY_WARNING] = 4;

	/* The crashed thread: top frame, an inlined frame, a 100,000-frame
	 * recursion folded into one, then main, a module-only frame and a
	 * bare pc. */
	x->frames = calloc(NFRAMES, sizeof(*x->frames));
	assert_non_null(x->frames);
	struct cr_frame *f = x->frames;
	f[0] = (struct cr_frame){ .pc = 0x401000, .trust = CR_TRUST_CONTEXT,
		.module = "crash|me", .module_offset = 0x1000,
		.function = FN_TOP, .function_offset_known = true,
		.function_offset = 0x1a, .file = "src/a|b`c`.cc", .line = 42,
		.column = 7 };
	f[1] = (struct cr_frame){ .pc = 0x401000, .trust = CR_TRUST_INLINE,
		.module = "crash|me", .module_offset = 0x1000,
		.function = FN_INLINE, .file = "src/h.h", .line = 9 };
	for (size_t i = 0; i < FOLD_FRAMES; i++)
		f[2 + i] = (struct cr_frame){
			.pc = i % 2 ? 0x402020 : 0x402010, .trust = CR_TRUST_CFI,
			.module = "crash|me", .module_offset = i % 2 ? 0x2020 : 0x2010,
			.function = i % 2 ? "recurse_b" : "recurse_a",
			.function_offset_known = true, .function_offset = 0x10 };
	f[NFRAMES - 3] = (struct cr_frame){ .pc = 0x403000, .trust = CR_TRUST_FP,
		.module = "crash|me", .module_offset = 0x3000,
		.function = "main" };
	f[NFRAMES - 2] = (struct cr_frame){ .pc = 0x7f0000001234,
		.trust = CR_TRUST_SCAN, .module = "libevil.so",
		.module_offset = 0x1234 };
	f[NFRAMES - 1] = (struct cr_frame){ .pc = 0xbad, .trust = CR_TRUST_SCAN };
	x->fold = (struct cr_fold){ .first = 2, .last = 2 + FOLD_FRAMES - 1,
		.period = 2, .repeats = FOLD_FRAMES / 2,
		.cycle = "recurse_a -> recurse_b" };

	x->small[0] = (struct cr_frame){ .pc = 0x7f0000000100,
		.trust = CR_TRUST_CONTEXT, .module = "libevil.so",
		.module_offset = 0x100, .function = "poll<T>" };
	x->small[1] = (struct cr_frame){ .pc = 0x401500, .trust = CR_TRUST_CFI,
		.module = "crash|me", .module_offset = 0x1500,
		.function = "worker_loop", .file = "w.c", .line = 3 };
	x->small[2] = (struct cr_frame){ .pc = 0x401600, .trust = CR_TRUST_CFI,
		.module = "crash|me", .module_offset = 0x1600,
		.function = "start_thread" };

	x->tas[0] = (struct cr_thread_analysis){ .thread = &x->threads[0],
		.stack = { .frames = x->frames, .nframes = NFRAMES,
			   .folds = &x->fold, .nfolds = 1, .unwound = true,
			   .end_reason = "stack pointer left the stack ``` `" },
		.group = 0, .crashed = true,
		.st = { .kind = CR_STATE_CRASHED, .syscall_nr = -1 } };
	for (int i = 1; i <= 2; i++)
		x->tas[i] = (struct cr_thread_analysis){
			.thread = &x->threads[i],
			.stack = { .frames = x->small, .nframes = 3,
				   .unwound = true },
			.group = 1,
			.st = { .kind = CR_STATE_IO, .activity = "waiting for I/O",
				.syscall_known = true, .syscall_nr = 7,
				.syscall_name = "poll", .function = "poll<T>" } };

	x->g0[0] = 0;
	x->g1[0] = 1;
	x->g1[1] = 2;
	x->groups[0] = (struct cr_thread_group){ x->g0, 1 };
	x->groups[1] = (struct cr_thread_group){ x->g1, 2 };

	x->mas[0] = (struct cr_module_analysis){ .module = &x->modules[0],
		.file = "/opt/app/bin/crash|me", .has_debug_info = true };
	x->mas[1] = (struct cr_module_analysis){ .module = &x->modules[1] };

	x->aproblems[0] = (struct cr_problem){
		.at = { .severity = CR_SEVERITY_WARNING,
			.source = CR_SOURCE_SYMBOLIZER, .origin = "dwfl" },
		.text = "libevil.so: binary not found <sad>" };

	*a = (struct cr_analysis){
		.dump = d,
		.crash = {
			.cls = CR_CRASH_NULL_DEREF,
			.class_id = "null-pointer-dereference",
			.class_text = "null-pointer dereference",
			.signal_name = "SIGSEGV", .signo = 11,
			.code_name = "SEGV_MAPERR",
			.code_text = "address not mapped to object",
			.address_known = true, .address = 0,
			.address_text = "page zero (no mapping)",
			.abort_message = "assert `x` | <y> failed\n",
			.thread = 0,
			.signature = "SIGSEGV " FN_TOP " | main",
			.code = "SIGSEGV",
			.bucket = "0a1b2c3d4e5f",
		},
		.summary = "# Crash: *boom* in `foo<int>` | see [link](http://x)\n"
			   "- " HOSTILE_NAME,
		.focus_thread = 0,
		.threads = x->tas, .nthreads = 3,
		.groups = x->groups, .ngroups = 2,
		.modules = x->mas, .nmodules = 2,
		.problems = { .items = x->aproblems, .n = 1,
			      .noom = 1, .oom = { { CR_SOURCE_WALKER, "unwind",
						    "the stacks" } } },
	};
	return x;
}

static void fixture_free(struct fixture *x)
{
	cr_findings_free(&x->a.findings);
	free(x->frames);
	free(x);
}

/* A dump that records nothing, and no crash. */
struct empty {
	struct cr_dump d;
	struct cr_analysis a;
};

static void empty_init(struct empty *e)
{
	memset(e, 0, sizeof(*e));
	e->d.process = (struct cr_process){ .pid = -1, .ppid = -1, .uid = -1,
		.gid = -1, .dump_time = -1, .start_time = -1 };
	e->d.event.tid = -1;
	e->a.dump = &e->d;
	e->a.crash.cls = CR_CRASH_NONE;
	e->a.crash.thread = -1;
	e->a.focus_thread = -1;
}

/* Run WRITE into a malloc'd string. */
static char *render(struct cr_error *(*write)(const struct cr_analysis *,
					      FILE *),
		    const struct cr_analysis *a, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	assert_non_null(f);
	struct cr_error *err = write(a, f);
	if (err)
		fail_msg("writer failed: %s", err->message);
	assert_int_equal(fclose(f), 0);
	if (len)
		*len = n;
	return buf;
}

/* --- Markdown ------------------------------------------------------------ */

struct md_stats {
	size_t tables, code_blocks, html_nodes, headings;
	size_t emph, strong, links, code_spans;
	bool rows_ok;
	char *code[8];		/* literals of the code blocks */
	struct cmark_node *root;
};

static bool md_text_contains(cmark_node *root, const char *needle)
{
	bool found = false;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER &&
		    cmark_node_get_type(n) == CMARK_NODE_TEXT &&
		    strstr(cmark_node_get_literal(n), needle))
			found = true;
	}
	cmark_iter_free(it);
	return found;
}

static size_t count_children(cmark_node *n)
{
	size_t c = 0;
	for (cmark_node *k = cmark_node_first_child(n); k; k = cmark_node_next(k))
		c++;
	return c;
}

static cmark_node *md_parse(const char *md, struct md_stats *st)
{
	cmark_gfm_core_extensions_ensure_registered();
	cmark_parser *p = cmark_parser_new(CMARK_OPT_DEFAULT);
	/* GitHub's extensions: tables and autolinks (an autolink made from
	 * a dump string would count as a link below). */
	static const char *const exts[] = { "table", "autolink" };
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		cmark_syntax_extension *e = cmark_find_syntax_extension(exts[i]);
		assert_non_null(e);
		assert_int_equal(cmark_parser_attach_syntax_extension(p, e), 1);
	}
	cmark_parser_feed(p, md, strlen(md));
	cmark_node *root = cmark_parser_finish(p);
	cmark_parser_free(p);
	assert_non_null(root);
	cmark_consolidate_text_nodes(root);

	memset(st, 0, sizeof(*st));
	st->rows_ok = true;
	cmark_iter *it = cmark_iter_new(root);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		if (ev != CMARK_EVENT_ENTER)
			continue;
		cmark_node *n = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(n);
		const char *ts = cmark_node_get_type_string(n);
		if (t == CMARK_NODE_HTML_BLOCK || t == CMARK_NODE_HTML_INLINE)
			st->html_nodes++;
		else if (t == CMARK_NODE_HEADING)
			st->headings++;
		else if (t == CMARK_NODE_EMPH)
			st->emph++;
		else if (t == CMARK_NODE_STRONG)
			st->strong++;
		else if (t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE)
			st->links++;
		else if (t == CMARK_NODE_CODE)
			st->code_spans++;
		else if (t == CMARK_NODE_CODE_BLOCK) {
			if (st->code_blocks < 8)
				st->code[st->code_blocks] =
					(char *)cmark_node_get_literal(n);
			st->code_blocks++;
		} else if (strcmp(ts, "table") == 0) {
			st->tables++;
			cmark_node *head = cmark_node_first_child(n);
			size_t cols = count_children(head);
			assert_int_equal(cols, cmark_gfm_extensions_get_table_columns(n));
			for (cmark_node *row = head; row; row = cmark_node_next(row))
				if (count_children(row) != cols)
					st->rows_ok = false;
		}
	}
	cmark_iter_free(it);
	st->root = root;
	return root;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_md_structure(void **state)
{
	struct fixture *x = fixture_new();
	char *md = render(report_md_write, &x->a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);

	/* crash facts, registers, 2 group member tables, modules, unloaded
	 * modules, annotations, process, dump */
	assert_int_equal(st.tables, 9);
	assert_true(st.rows_ok);
	/* the crash's group, where the crash facts are */
	assert_non_null(strstr(md, "| Bucket | 0a1b2c3d4e5f |"));
	/* the focus stack and the second group's stack (the focus thread's
	 * group refers to the stack above instead of repeating it) */
	assert_int_equal(st.code_blocks, 2);
	assert_int_equal(st.html_nodes, 0);
	/* No inline markup from dump strings: the only emphasis is ours, the
	 * "unwinding stopped" line under the focus stack. */
	assert_int_equal(st.emph, 1);
	assert_int_equal(st.strong, 0);
	/* Our links only: the table of contents (10 sections) and the focus
	 * group's pointer to the stack above. */
	assert_int_equal(st.links, 11);
	assert_int_equal(st.code_spans, 0);
	assert_true(md_text_contains(root, "evil.pdb*_*"));
	assert_true(md_text_contains(root, "SEGV_MAPERR (1): address not mapped"));

	/* The focus stack: 2 frames, the fold line, 3 frames. */
	assert_int_equal(count_lines(st.code[0]), 6);
	assert_non_null(strstr(st.code[0],
		"frames 2-100,001: recurse_a -> recurse_b repeated 50,000 times"));
	assert_non_null(strstr(st.code[0], "(inlined) " FN_INLINE));
	assert_non_null(strstr(st.code[0], FN_TOP "+0x1a"));
	assert_non_null(strstr(st.code[0], "src/a|b`c`.cc:42:7"));
	assert_non_null(strstr(st.code[0], "libevil.so+0x1234"));
	assert_null(strstr(st.code[0], "recurse_a+0x10"));
	/* The representative stack of group 2. */
	assert_int_equal(count_lines(st.code[1]), 3);
	assert_non_null(strstr(st.code[1], "poll<T>"));

	/* Hostile text survives as text. */
	assert_true(md_text_contains(root, HOSTILE_NAME));
	assert_true(md_text_contains(root, "alert(1)"));
	assert_true(md_text_contains(root, "crash|me --x ```fence``` a\\b `tick` second line | <b>&amp;"));
	assert_true(md_text_contains(root, HOSTILE_PATH));
	assert_true(md_text_contains(root, "# Crash: *boom* in `foo<int>` | see [link](http://x)"));
	assert_true(md_text_contains(root, "note <b>bold</b> & |pipe| `tick` second line"));
	/* Each problem line says its severity, origin and place. */
	assert_true(md_text_contains(root, "error (reader minidump, file offset 0x1f400): thread 7:"));
	assert_true(md_text_contains(root, "... and 4 more problems not kept (4 warnings)"));
	assert_true(md_text_contains(root, "unwinding stopped: stack pointer left the stack ``` `"));
	assert_true(md_text_contains(root, "coroner report: crash|me (pid 4242)"));
	/* Unknown CPU time is "not recorded", never 0. */
	assert_true(md_text_contains(root, "user 1.500000 s, system not recorded"));
	assert_true(md_text_contains(root, "worker|1\\|\\"));
	/* ... and in Markdown the escape character is replaced too. */
	assert_true(md_text_contains(root, "worker`2`\xef\xbf\xbd[0m\xef\xbf\xbd"));
	/* Nothing GitHub would act on: no mention or issue reference (a
	 * zero-width space follows "@" and "#"), no autolink (counted with
	 * the links above), and the text otherwise as it was. */
	assert_true(md_text_contains(root, "@" ZWSP "sec-team see #" ZWSP "1234 "
		"https://evil.example/x www.evil.example ops@" ZWSP "evil.example"));
	/* Only our headings: title, 10 sections (with "Findings"),
	 * "registers", "modules without a file", 2 groups -- the summary's
	 * "#" did not make one. */
	assert_int_equal(st.headings, 1 + 10 + 1 + 1 + 2);

	cmark_node_free(root);
	free(md);
	fixture_free(x);
}

/* The text content of N (text and code literals, concatenated) into BUF. */
static const char *md_node_text(cmark_node *n, char *buf, size_t size)
{
	buf[0] = '\0';
	cmark_iter *it = cmark_iter_new(n);
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *k = cmark_iter_get_node(it);
		cmark_node_type t = cmark_node_get_type(k);
		if (ev == CMARK_EVENT_ENTER &&
		    (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE))
			strncat(buf, cmark_node_get_literal(k),
				size - strlen(buf) - 1);
	}
	cmark_iter_free(it);
	return buf;
}

/* The first table after the level-2 heading TITLE (before the next
 * heading of any level), NULL if there is none. */
static cmark_node *md_table_after(cmark_node *root, const char *title)
{
	char buf[256];
	for (cmark_node *n = cmark_node_first_child(root); n;
	     n = cmark_node_next(n)) {
		if (cmark_node_get_type(n) != CMARK_NODE_HEADING ||
		    strcmp(md_node_text(n, buf, sizeof(buf)), title))
			continue;
		for (cmark_node *k = cmark_node_next(n);
		     k && cmark_node_get_type(k) != CMARK_NODE_HEADING;
		     k = cmark_node_next(k))
			if (!strcmp(cmark_node_get_type_string(k), "table"))
				return k;
		return NULL;
	}
	return NULL;
}

/* Cell (ROW, COL) of TABLE (row 0: the header) as text, in BUF. */
static const char *md_cell(cmark_node *table, size_t row, size_t col,
			   char *buf, size_t size)
{
	cmark_node *r = cmark_node_first_child(table);
	for (size_t i = 0; r && i < row; i++)
		r = cmark_node_next(r);
	assert_non_null(r);
	cmark_node *c = cmark_node_first_child(r);
	for (size_t i = 0; c && i < col; i++)
		c = cmark_node_next(c);
	assert_non_null(c);
	return md_node_text(c, buf, size);
}

/* The value of the fact LABEL in a two-column facts TABLE, NULL if none. */
static const char *md_fact(cmark_node *table, const char *label, char *buf,
			   size_t size)
{
	size_t rows = count_children(table);
	char lb[256];
	for (size_t r = 1; r < rows; r++)
		if (!strcmp(md_cell(table, r, 0, lb, sizeof(lb)), label))
			return md_cell(table, r, 1, buf, size);
	return NULL;
}

#define assert_md_cell(table, row, col, want) do { \
		char cb_[512]; \
		assert_string_equal(md_cell((table), (row), (col), cb_, \
					    sizeof(cb_)), (want)); \
	} while (0)

#define assert_md_fact(table, label, want) do { \
		char fb_[512]; \
		const char *got_ = md_fact((table), (label), fb_, sizeof(fb_)); \
		if (!got_) \
			fail_msg("no fact \"%s\"", (label)); \
		assert_string_equal(got_, (want)); \
	} while (0)

/* The minidump-only facts: Annotations and Unloaded modules sections, the
 * module ids, the number of CPUs and the dump's other facts, each a table
 * cell holding the hostile text as text. */
static void test_md_minidump_facts(void **state)
{
	struct fixture *x = fixture_new();
	char *md = render(report_md_write, &x->a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);
	assert_true(st.rows_ok);
	assert_int_equal(st.html_nodes, 0);
	assert_int_equal(st.code_spans, 0);

	cmark_node *t = md_table_after(root, "Annotations");
	assert_non_null(t);
	assert_int_equal(cmark_gfm_extensions_get_table_columns(t), 3);
	assert_int_equal(count_children(t), 1 + 3);
	assert_md_cell(t, 0, 0, "Module");
	assert_md_cell(t, 0, 1, "Key");
	assert_md_cell(t, 0, 2, "Value");
	assert_md_cell(t, 1, 0, "");
	assert_md_cell(t, 1, 1, HOSTILE_KEY);
	assert_md_cell(t, 1, 2, HOSTILE_VALUE);
	assert_md_cell(t, 2, 0, "libsystem_c.dylib");
	assert_md_cell(t, 2, 1, "");
	assert_md_cell(t, 2, 2, "abort() called");
	assert_md_cell(t, 3, 0, "m|`x`");
	assert_md_cell(t, 3, 1, "k\\|`");
	assert_md_cell(t, 3, 2, "line1 line2");

	t = md_table_after(root, "Unloaded modules");
	assert_non_null(t);
	assert_int_equal(cmark_gfm_extensions_get_table_columns(t), 3);
	assert_int_equal(count_children(t), 1 + 1);
	assert_md_cell(t, 1, 0, UNLOADED_PATH);
	assert_md_cell(t, 1, 1, "0x00007f0000100000-0x00007f0000103000");
	assert_md_cell(t, 1, 2, "45D35F6C3000");

	t = md_table_after(root, "Modules");
	assert_non_null(t);
	/* with the Version column: a module has a version */
	assert_int_equal(cmark_gfm_extensions_get_table_columns(t), 10);
	assert_md_cell(t, 0, 3, "Code id");
	assert_md_cell(t, 0, 4, "Debug id");
	assert_md_cell(t, 1, 3, "deadbeef");
	assert_md_cell(t, 1, 4, "DEADBEEF00000000000000000000000000");
	assert_md_cell(t, 2, 5, "evil.pdb*_*");
	assert_md_cell(t, 0, 6, "Version");
	assert_md_cell(t, 1, 6, "");
	assert_md_cell(t, 2, 6, "10.0.19041.1 <b>");

	/* The crashing thread's registers, by name, 3 per row. */
	t = md_table_after(root, "Registers");
	assert_non_null(t);
	assert_md_cell(t, 0, 0, "Register");
	assert_md_cell(t, 1, 0, "rsp");
	assert_md_cell(t, 1, 1, "0x00007ffc0000fff0");
	assert_md_cell(t, 1, 2, "rip");
	assert_md_cell(t, 1, 3, "0x0000000000401000");
	assert_md_cell(t, 1, 4, "dwarf100");
	assert_md_cell(t, 1, 5, "0x000000000000dead");

	t = md_table_after(root, "Process");
	assert_non_null(t);
	assert_md_fact(t, "CPUs", "8");

	t = md_table_after(root, "Dump");
	assert_non_null(t);
	assert_md_fact(t, "stream 0x4d7a0004", "1,234 bytes, not read");
	assert_md_fact(t, "Handles", "152");
	assert_md_fact(t, HOSTILE_FACT, "v|<script>x</script>`");
	assert_md_fact(t, "Unloaded modules", "1");
	assert_md_fact(t, "Annotations", "3");

	/* A signal: no exception record among the crash facts. */
	t = md_table_after(root, "What happened");
	assert_non_null(t);
	char buf[64];
	assert_null(md_fact(t, "Exception code", buf, sizeof(buf)));

	cmark_node_free(root);
	free(md);
	fixture_free(x);
}

/* Make the fixture's event a Windows access violation (writing 0x45). */
static void fixture_exception(struct fixture *x)
{
	x->d.event = (struct cr_event){
		.kind = CR_EVENT_EXCEPTION, .tid = 4242, .exc_code = 0xc0000005,
		.exc_flags = 1, .exc_address = 0x401000, .exc_nparams = 2,
		.exc_params = { 1, 0x45 }, .sender_pid = -1, .sender_uid = -1,
		.dump_tid = -1,
	};
	x->d.process.os = CR_OS_WINDOWS;
	x->a.crash.signal_name = "EXCEPTION_ACCESS_VIOLATION_WRITE";
	x->a.crash.signo = 0;
	x->a.crash.code_name = NULL;
	x->a.crash.code_text = NULL;
}

/* The exception record in the crash facts, the same in all three. */
static void test_exception_record(void **state)
{
	struct fixture *x = fixture_new();
	fixture_exception(x);

	char *md = render(report_md_write, &x->a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);
	cmark_node *t = md_table_after(root, "What happened");
	assert_non_null(t);
	assert_md_fact(t, "Exception", "EXCEPTION_ACCESS_VIOLATION_WRITE (0xc0000005)");
	assert_md_fact(t, "Exception code", "0xc0000005");
	assert_md_fact(t, "Exception flags", "0x00000001");
	assert_md_fact(t, "Raised at", "0x0000000000401000");
	assert_md_fact(t, "Exception parameters", "0x1, 0x45");
	cmark_node_free(root);
	free(md);

	char *html = render(report_html_write, &x->a, NULL);
	assert_non_null(strstr(html, "<th scope=\"row\">Exception parameters</th>"));
	assert_non_null(strstr(html, "<td>0x1, 0x45</td>"));
	assert_non_null(strstr(html, "<th scope=\"row\">Raised at</th>"));
	free(html);

	size_t len;
	char *s = render(report_json_write, &x->a, &len);
	json_t *jroot = json_loadb(s, len, 0, NULL);
	assert_non_null(jroot);
	json_t *exc = json_object_get(json_object_get(jroot, "crash"), "exception");
	assert_true(json_is_object(exc));
	assert_int_equal(json_integer_value(json_object_get(exc, "code")), 0xc0000005);
	assert_int_equal(json_integer_value(json_object_get(exc, "flags")), 1);
	assert_string_equal(json_string_value(json_object_get(exc, "address")), "0x401000");
	json_t *params = json_object_get(exc, "parameters");
	assert_int_equal(json_array_size(params), 2);
	assert_string_equal(json_string_value(json_array_get(params, 0)), "0x1");
	assert_string_equal(json_string_value(json_array_get(params, 1)), "0x45");
	json_decref(jroot);
	free(s);

	/* No parameters: said, not left out. */
	x->d.event.exc_nparams = 0;
	md = render(report_md_write, &x->a, NULL);
	root = md_parse(md, &st);
	assert_md_fact(md_table_after(root, "What happened"),
		       "Exception parameters", "none");
	cmark_node_free(root);
	free(md);
	fixture_free(x);
}

static void test_md_no_crash(void **state)
{
	struct empty e;
	empty_init(&e);
	char *md = render(report_md_write, &e.a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);
	assert_true(md_text_contains(root, "No crash recorded"));
	assert_true(md_text_contains(root, "pid not recorded"));
	assert_int_equal(st.html_nodes, 0);
	assert_true(st.rows_ok);
	/* Sections of what the dump lacks are left out, not left empty. */
	assert_null(md_table_after(root, "Annotations"));
	assert_null(md_table_after(root, "Unloaded modules"));
	char buf[64];
	assert_md_fact(md_table_after(root, "Process"), "CPUs", "not recorded");
	assert_null(md_fact(md_table_after(root, "Dump"), "Handles", buf,
			    sizeof(buf)));
	cmark_node_free(root);
	free(md);
}

static void test_md_escape_api(void **state)
{
	char *s = report_md_escape_text("a|b\\c`d<e>&*_[x](y)~\nz");
	assert_string_equal(s, "a\\|b\\\\c\\`d\\<e\\>\\&\\*\\_\\[x\\](y)\\~ z");
	free(s);
	s = report_md_code_block("x ```` y\n");
	assert_string_equal(s, "`````text\nx ```` y\n`````\n\n");
	free(s);
	/* Intraword underscores cannot make emphasis and stay readable. */
	s = report_md_escape_text("SEGV_MAPERR _x_ a_ _b x86_64_");
	assert_string_equal(s, "SEGV_MAPERR \\_x\\_ a\\_ \\_b x86_64\\_");
	free(s);
	/* Invalid UTF-8 becomes U+FFFD. */
	s = report_md_escape_text("a\xff" "b");
	assert_string_equal(s, "a\xef\xbf\xbd" "b");
	free(s);
}

/* --- HTML ---------------------------------------------------------------- */

struct html_stats {
	size_t script, style, details, details_open, link_attrs;
	bool name_as_text;
	const char *css;
};

/* Whether element N's href is an anchor of the page ("#..."): the table
 * of contents and links to sections; anything else would leave the page. */
static bool internal_link(xmlNodePtr n)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST "href");
	bool ok = v && v[0] == '#';
	xmlFree(v);
	return ok;
}

static void html_walk(xmlNodePtr n, struct html_stats *st)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			const char *name = (const char *)n->name;
			/* Scripts other than the report's own print
			 * handler (reports/html_style.c). */
			if (!strcmp(name, "script") &&
			    !(n->children && n->children->content &&
			      !strcmp((const char *)n->children->content,
				      report_html_script)))
				st->script++;
			if (!strcmp(name, "style")) {
				st->style++;
				if (n->children)
					st->css = (const char *)n->children->content;
			}
			if (!strcmp(name, "details")) {
				st->details++;
				if (xmlHasProp(n, BAD_CAST "open"))
					st->details_open++;
			}
			for (xmlAttrPtr at = n->properties; at; at = at->next)
				if ((!strcmp((const char *)at->name, "href") &&
				     !internal_link(n)) ||
				    !strcmp((const char *)at->name, "src") ||
				    !strncmp((const char *)at->name, "on", 2))
					st->link_attrs++;
		} else if (n->type == XML_TEXT_NODE && n->content &&
			   strstr((const char *)n->content, HOSTILE_NAME)) {
			st->name_as_text = true;
		}
		html_walk(n->children, st);
	}
}

static void test_html_structure(void **state)
{
	struct fixture *x = fixture_new();
	size_t len;
	char *html = render(report_html_write, &x->a, &len);
	assert_int_equal(strncmp(html, "<!DOCTYPE html>", 15), 0);
	htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					HTML_PARSE_NONET);
	assert_non_null(doc);
	struct html_stats st = { 0 };
	html_walk(doc->children, &st);
	assert_int_equal(st.script, 0);
	assert_int_equal(st.style, 1);
	assert_non_null(st.css);
	assert_null(strstr(st.css, "url("));
	assert_null(strstr(st.css, "@import"));
	assert_null(strstr(html, "http://x\""));
	/* GitHub's syntax is Markdown's concern: HTML keeps the text as is. */
	assert_non_null(strstr(html, GITHUB_VALUE));
	assert_int_equal(st.link_attrs, 0);
	assert_true(st.name_as_text);
	/* 2 groups; the focus thread's group is open (the focus stack is in
	 * its own section, printed once). */
	assert_int_equal(st.details, 2);
	assert_int_equal(st.details_open, 1);
	/* Facts printed once, not as 0. */
	assert_non_null(strstr(html, "frames 2-100,001: recurse_a -&gt; recurse_b repeated 50,000 times"));
	assert_non_null(strstr(html, "user 1.500000 s, system not recorded"));
	xmlFreeDoc(doc);
	free(html);
	fixture_free(x);
}

/* The element with id ID under N, NULL if none. */
static xmlNodePtr html_by_id(xmlNodePtr n, const char *id)
{
	for (; n; n = n->next) {
		if (n->type == XML_ELEMENT_NODE) {
			xmlChar *v = xmlGetProp(n, BAD_CAST "id");
			bool hit = v && !strcmp((const char *)v, id);
			xmlFree(v);
			if (hit)
				return n;
		}
		xmlNodePtr k = html_by_id(n->children, id);
		if (k)
			return k;
	}
	return NULL;
}

/* The first descendant element NAME of N (N itself excluded). */
static xmlNodePtr html_first(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr k = n ? n->children : NULL; k; k = k->next) {
		if (k->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)k->name, name))
			return k;
		xmlNodePtr d = html_first(k, name);
		if (d)
			return d;
	}
	return NULL;
}

/* The Nth element child NAME of N. */
static xmlNodePtr html_nth(xmlNodePtr n, const char *name, size_t idx)
{
	for (xmlNodePtr k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE &&
		    !strcmp((const char *)k->name, name) && idx-- == 0)
			return k;
	return NULL;
}

/* Element children of N (all names). */
static size_t html_nchildren(xmlNodePtr n)
{
	size_t c = 0;
	for (xmlNodePtr k = n ? n->children : NULL; k; k = k->next)
		c += k->type == XML_ELEMENT_NODE;
	return c;
}

/* Text of cell COL of row ROW (0: the header) of TABLE equals WANT; the
 * cell holds text only, no element. */
static void assert_html_cell(xmlNodePtr table, size_t row, size_t col,
			     const char *want)
{
	xmlNodePtr tr = html_nth(table, "tr", row);
	assert_non_null(tr);
	xmlNodePtr td = html_nth(tr, row ? "td" : "th", col);
	assert_non_null(td);
	assert_int_equal(html_nchildren(td), 0);
	xmlChar *got = xmlNodeGetContent(td);
	assert_string_equal(got ? (const char *)got : "", want);
	xmlFree(got);
}

/* The HTML report of A in *HTML, parsed; asserts it has no script and no
 * link out of the page. */
static htmlDocPtr html_render_safe(const struct cr_analysis *a, char **html)
{
	size_t len;
	*html = render(report_html_write, a, &len);
	htmlDocPtr doc = htmlReadMemory(*html, (int)len, NULL, "UTF-8",
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
					HTML_PARSE_NONET);
	assert_non_null(doc);
	struct html_stats st = { 0 };
	html_walk(doc->children, &st);
	assert_int_equal(st.script, 0);
	assert_int_equal(st.link_attrs, 0);
	return doc;
}

/* An address range: two halves that may go on two lines only after the
 * dash, whose text is the range. */
static void assert_html_range(xmlNodePtr table, size_t row, size_t col,
			      const char *want)
{
	xmlNodePtr td = html_nth(html_nth(table, "tr", row), "td", col);
	assert_non_null(td);
	assert_int_equal(html_nchildren(td), 2);
	xmlChar *got = xmlNodeGetContent(td);
	assert_non_null(got);
	char *p = (char *)got, *q = p;
	for (; *p; p++)		/* the serializer's indentation */
		if (*p != '\n' && *p != ' ')
			*q++ = *p;
	*q = '\0';
	assert_string_equal((const char *)got, want);
	xmlFree(got);
}

/* The same sections as in Markdown, as text in table cells. */
static void test_html_minidump_facts(void **state)
{
	struct fixture *x = fixture_new();
	char *html;
	htmlDocPtr doc = html_render_safe(&x->a, &html);

	xmlNodePtr sec = html_by_id(doc->children, "annotations");
	assert_non_null(sec);
	xmlNodePtr t = html_first(sec, "table");
	assert_non_null(t);
	assert_int_equal(html_nchildren(t), 1 + 3);
	assert_html_cell(t, 0, 1, "Key");
	assert_html_cell(t, 1, 0, "");
	assert_html_cell(t, 1, 1, HOSTILE_KEY);
	assert_html_cell(t, 1, 2, HOSTILE_VALUE);
	assert_html_cell(t, 2, 0, "libsystem_c.dylib");
	assert_html_cell(t, 2, 1, "");
	assert_html_cell(t, 3, 1, "k\\|`");
	assert_html_cell(t, 3, 2, "line1 line2");

	sec = html_by_id(doc->children, "unloaded-modules");
	t = html_first(sec, "table");
	assert_non_null(t);
	assert_int_equal(html_nchildren(t), 1 + 1);
	assert_html_cell(t, 1, 0, UNLOADED_PATH);
	assert_html_range(t, 1, 1, "0x00007f0000100000-0x00007f0000103000");
	assert_html_cell(t, 1, 2, "45D35F6C3000");

	t = html_first(html_by_id(doc->children, "modules"), "table");
	assert_html_cell(t, 0, 3, "Code id");
	assert_html_cell(t, 1, 3, "deadbeef");
	assert_html_cell(t, 1, 4, "DEADBEEF00000000000000000000000000");

	/* Facts: the label is a row header, the value a cell. */
	assert_non_null(strstr(html, "<th scope=\"row\">CPUs</th>\n<td>8</td>"));
	assert_non_null(strstr(html, "<th scope=\"row\">stream 0x4d7a0004</th>\n<td>1,234 bytes, not read</td>"));
	assert_non_null(strstr(html, "<th scope=\"row\">stream `0x1`|&lt;i&gt;</th>\n<td>v|&lt;script&gt;x&lt;/script&gt;`</td>"));
	xmlFreeDoc(doc);
	free(html);

	/* Nothing recorded: no empty sections. */
	struct empty e;
	empty_init(&e);
	html = render(report_html_write, &e.a, NULL);
	assert_null(strstr(html, "id=\"annotations\""));
	assert_null(strstr(html, "id=\"unloaded-modules\""));
	free(html);
	fixture_free(x);
}

/* The fastbin limit the HTML writer restores after freeing its tree:
 * the user's glibc.malloc.mxfast as glibc 2.36 reads GLIBC_TUNABLES (the
 * last valid one; decimal, 0x hex, 0 octal; above MAX_FAST_SIZE
 * ignored), else glibc's default 64 * sizeof(size_t) / 4. */
static void test_malloc_mxfast(void **state)
{
	(void)state;
	static const struct {
		const char *tunables;
		size_t mxfast;
	} cases[] = {
		{ NULL, 64 * sizeof(size_t) / 4 },
		{ "", 64 * sizeof(size_t) / 4 },
		{ "glibc.malloc.mxfast=0", 0 },
		{ "glibc.malloc.check=1:glibc.malloc.mxfast=0x40", 64 },
		{ "glibc.malloc.mxfast=010:glibc.malloc.tcache_count=0", 8 },
		{ "glibc.malloc.mxfast=32:glibc.malloc.mxfast=100000", 32 },
		{ "xglibc.malloc.mxfast=5", 64 * sizeof(size_t) / 4 },
		{ "glibc.malloc.mxfast:glibc.malloc.mxfast=16", 16 },
		{ "glibc.malloc.mxfast=24:glibc.malloc.mxfast=-1", 24 },
	};
	for (size_t k = 0; k < ARRAY_LEN(cases); k++)
		assert_int_equal(report_malloc_mxfast(cases[k].tunables), cases[k].mxfast);
}

static void test_html_no_crash(void **state)
{
	struct empty e;
	empty_init(&e);
	char *html = render(report_html_write, &e.a, NULL);
	assert_non_null(strstr(html, "No crash recorded"));
	free(html);
}

/* --- JSON ---------------------------------------------------------------- */

static void write_json(const char *name, const struct cr_analysis *a)
{
	if (!json_out_dir)
		return;
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", json_out_dir, name);
	struct cr_error *err = report_write_file(a, CR_REPORT_JSON, path);
	if (err)
		fail_msg("%s", err->message);
}

static void test_json_content(void **state)
{
	struct fixture *x = fixture_new();
	size_t len;
	char *s = render(report_json_write, &x->a, &len);
	json_error_t jerr;
	json_t *root = json_loadb(s, len, 0, &jerr);
	if (!root)
		fail_msg("JSON does not parse: %s at line %d", jerr.text, jerr.line);
	assert_int_equal(json_integer_value(json_object_get(root, "schema_version")),
			 CR_REPORT_SCHEMA_VERSION);
	json_t *proc = json_object_get(root, "process");
	assert_string_equal(json_string_value(json_object_get(proc, "command_line")),
			    HOSTILE_CMDLINE);
	assert_int_equal(json_integer_value(json_object_get(proc, "user_cpu_usec")),
			 1500000);
	assert_true(json_is_null(json_object_get(proc, "system_cpu_usec")));
	assert_true(json_is_null(json_object_get(proc, "gid")));
	assert_true(json_is_null(json_object_get(proc, "start_time")));
	assert_string_equal(json_string_value(json_object_get(proc, "dump_time")),
			    "2023-11-14T22:13:20Z");

	json_t *crash = json_object_get(root, "crash");
	assert_string_equal(json_string_value(json_object_get(crash, "class")),
			    "null-pointer-dereference");
	assert_string_equal(json_string_value(json_object_get(crash, "address")),
			    "0x0");
	assert_int_equal(json_integer_value(json_object_get(crash, "code_number")), 1);
	assert_int_equal(json_integer_value(json_object_get(crash, "tid")), 4242);

	json_t *t0 = json_array_get(json_object_get(root, "threads"), 0);
	assert_string_equal(json_string_value(json_object_get(t0, "name")),
			    HOSTILE_NAME);
	assert_true(json_is_null(json_object_get(t0, "system_cpu_usec")));
	assert_true(json_is_null(json_object_get(t0, "in_syscall")));
	json_t *regs = json_object_get(t0, "registers");
	assert_string_equal(json_string_value(json_object_get(regs, "rip")),
			    "0x401000");
	assert_string_equal(json_string_value(json_object_get(regs, "dwarf100")),
			    "0xdead");

	/* The fold keeps its first cycle (2 frames) and omits the rest. */
	json_t *stack = json_object_get(t0, "stack");
	assert_int_equal(json_integer_value(json_object_get(stack, "frame_count")),
			 NFRAMES);
	json_t *frames = json_object_get(stack, "frames");
	static const size_t want[] = { 0, 1, 2, 3, NFRAMES - 3, NFRAMES - 2,
				       NFRAMES - 1 };
	assert_int_equal(json_array_size(frames), 7);
	for (size_t i = 0; i < 7; i++)
		assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(frames, i), "index")), want[i]);
	json_t *f1 = json_array_get(frames, 1);
	assert_true(json_is_true(json_object_get(f1, "inlined")));
	assert_true(json_is_null(json_object_get(f1, "function_offset")));
	json_t *flast = json_array_get(frames, 6);
	assert_true(json_is_null(json_object_get(flast, "module")));
	assert_true(json_is_null(json_object_get(flast, "line")));
	json_t *fold = json_array_get(json_object_get(stack, "folds"), 0);
	assert_int_equal(json_integer_value(json_object_get(fold, "repeats")),
			 FOLD_FRAMES / 2);

	json_t *t2 = json_array_get(json_object_get(root, "threads"), 2);
	/* Invalid UTF-8 becomes U+FFFD; control characters are kept. */
	assert_string_equal(json_string_value(json_object_get(t2, "name")),
			    "worker`2`\x1b[0m\xef\xbf\xbd");
	assert_true(json_is_true(json_object_get(t2, "in_syscall")));
	assert_int_equal(json_integer_value(json_object_get(t2, "syscall_nr")), 7);

	json_t *groups = json_object_get(root, "groups");
	assert_int_equal(json_array_size(groups), 2);
	assert_int_equal(json_integer_value(json_object_get(
			 json_array_get(groups, 1), "count")), 2);
	json_t *m1 = json_array_get(json_object_get(root, "modules"), 1);
	assert_string_equal(json_string_value(json_object_get(m1, "path")),
			    HOSTILE_PATH);
	assert_true(json_is_false(json_object_get(m1, "file_found")));
	assert_string_equal(json_string_value(json_object_get(m1, "build_id")),
			    "010203");
	assert_string_equal(json_string_value(json_object_get(m1, "end")),
			    "0x7f0000002000");
	/* Problems are objects: severity, source, origin, place, text; the
	 * out-of-memory note is an error; drops are counted per severity. */
	json_t *probs = json_object_get(root, "problems");
	assert_int_equal(json_array_size(probs), 4);
	json_t *p0 = json_array_get(probs, 0);
	assert_string_equal(json_string_value(json_object_get(p0, "severity")),
			    "error");
	assert_string_equal(json_string_value(json_object_get(p0, "source")),
			    "reader");
	assert_string_equal(json_string_value(json_object_get(p0, "origin")),
			    "minidump");
	assert_string_equal(json_string_value(json_object_get(p0, "offset")),
			    "0x1f400");
	assert_null(json_object_get(json_array_get(probs, 1), "offset"));
	json_t *p3 = json_array_get(probs, 3);
	assert_string_equal(json_string_value(json_object_get(p3, "text")),
			    "out of memory: the stacks not complete");
	assert_string_equal(json_string_value(json_object_get(p3, "source")),
			    "walker");
	json_t *pd = json_object_get(root, "problems_dropped");
	assert_int_equal(json_integer_value(json_object_get(pd, "warning")), 4);
	assert_int_equal(json_integer_value(json_object_get(pd, "error")), 0);

	/* Schema 2: minidump-only facts through the same model. */
	assert_int_equal(json_integer_value(json_object_get(proc, "cpu_count")), 8);
	assert_true(json_is_null(json_object_get(crash, "exception")));
	json_t *m0 = json_array_get(json_object_get(root, "modules"), 0);
	assert_string_equal(json_string_value(json_object_get(m0, "code_id")),
			    "deadbeef");
	assert_string_equal(json_string_value(json_object_get(m0, "debug_id")),
			    "DEADBEEF00000000000000000000000000");
	assert_true(json_is_null(json_object_get(m1, "code_id")));
	assert_string_equal(json_string_value(json_object_get(m1, "debug_file")),
			    "evil.pdb*_*");
	json_t *notes = json_object_get(root, "annotations");
	assert_int_equal(json_array_size(notes), 3);
	json_t *n0 = json_array_get(notes, 0), *n1 = json_array_get(notes, 1),
	       *n2 = json_array_get(notes, 2);
	assert_true(json_is_null(json_object_get(n0, "module")));
	assert_string_equal(json_string_value(json_object_get(n0, "key")), HOSTILE_KEY);
	assert_string_equal(json_string_value(json_object_get(n0, "value")), HOSTILE_VALUE);
	assert_string_equal(json_string_value(json_object_get(n1, "module")),
			    "libsystem_c.dylib");
	assert_true(json_is_null(json_object_get(n1, "key")));
	assert_string_equal(json_string_value(json_object_get(n1, "value")),
			    "abort() called");
	assert_string_equal(json_string_value(json_object_get(n2, "value")),
			    "line1\nline2");
	json_t *un = json_array_get(json_object_get(root, "unloaded_modules"), 0);
	assert_int_equal(json_array_size(json_object_get(root, "unloaded_modules")), 1);
	assert_string_equal(json_string_value(json_object_get(un, "path")), UNLOADED_PATH);
	assert_string_equal(json_string_value(json_object_get(un, "base")), "0x7f0000100000");
	assert_string_equal(json_string_value(json_object_get(un, "end")), "0x7f0000103000");
	assert_string_equal(json_string_value(json_object_get(un, "size")), "0x3000");
	assert_string_equal(json_string_value(json_object_get(un, "code_id")), "45D35F6C3000");
	json_t *facts = json_object_get(json_object_get(root, "dump"), "facts");
	assert_int_equal(json_array_size(facts), 4);
	/* JSON keeps GitHub's syntax as it was (only Markdown defuses it). */
	assert_string_equal(json_string_value(json_object_get(json_array_get(facts, 3), "value")),
			    GITHUB_VALUE);
	assert_string_equal(json_string_value(json_object_get(json_array_get(facts, 0), "name")),
			    "stream 0x4d7a0004");
	assert_string_equal(json_string_value(json_object_get(json_array_get(facts, 0), "value")),
			    "1,234 bytes, not read");
	assert_string_equal(json_string_value(json_object_get(json_array_get(facts, 2), "name")),
			    HOSTILE_FACT);

	json_decref(root);
	free(s);
	write_json("reports-full.json", &x->a);
	fixture_free(x);
}

static void test_json_empty(void **state)
{
	struct empty e;
	empty_init(&e);
	size_t len;
	char *s = render(report_json_write, &e.a, &len);
	json_t *root = json_loadb(s, len, 0, NULL);
	assert_non_null(root);
	json_t *crash = json_object_get(root, "crash");
	assert_string_equal(json_string_value(json_object_get(crash, "class")), "none");
	assert_true(json_is_null(json_object_get(crash, "address")));
	assert_true(json_is_null(json_object_get(root, "focus_thread")));
	assert_true(json_is_null(json_object_get(json_object_get(root, "process"), "pid")));
	assert_true(json_is_null(json_object_get(json_object_get(root, "process"), "cpu_count")));
	assert_true(json_is_null(json_object_get(crash, "exception")));
	assert_int_equal(json_array_size(json_object_get(root, "annotations")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "unloaded_modules")), 0);
	assert_int_equal(json_array_size(json_object_get(json_object_get(root, "dump"), "facts")), 0);
	json_decref(root);
	free(s);
	write_json("reports-empty.json", &e.a);
}

/* The crashing thread's registers are those its stack starts from: the
 * exception's own context when the dump has one (a minidump written by a
 * handler shows the thread later, inside the handler), as the unwinder and
 * the passes take them (cr_thread_regs). */
static void test_registers_from_event(void **state)
{
	(void)state;
	struct fixture *x = fixture_new();
	x->d.event.regs_known = true;
	cr_regs_set(&x->d.event.regs, 16, 0x402000);	/* rip at the fault */
	cr_regs_set(&x->d.event.regs, 7, 0x7ffc0000ff00);
	size_t len;
	char *s = render(report_json_write, &x->a, &len);
	json_t *root = json_loadb(s, len, 0, NULL);
	assert_non_null(root);
	json_t *t0 = json_array_get(json_object_get(root, "threads"), 0);
	json_t *regs = json_object_get(t0, "registers");
	assert_string_equal(json_string_value(json_object_get(regs, "rip")),
			    "0x402000");
	assert_null(json_object_get(regs, "dwarf100"));	/* not the thread's */
	json_decref(root);
	free(s);
	char *md = render(report_md_write, &x->a, NULL);
	assert_non_null(strstr(md, "0x0000000000402000"));
	assert_null(strstr(md, "dwarf100"));	/* the thread's own registers */
	free(md);
	fixture_free(x);
}

/* --- findings ----------------------------------------------------------------- */

#define HOSTILE_TITLE "field `p->q` | <b>null</b> *x*"

/* Two findings, the warning added first, with every kind of evidence and
 * dump-like strings in them. */
static void add_findings(struct cr_analysis *a)
{
	struct cr_finding *f = cr_findings_add(&a->findings,
		CR_FINDING_NULL_POINTER_DEREFERENCE, CR_SEVERITY_WARNING, "test",
		"a warning about %s", HOSTILE_NAME);
	assert_non_null(f);
	assert_true(cr_finding_number(f, "stack used", 1234567, "bytes"));
	f = cr_findings_add(&a->findings, CR_FINDING_NULL_POINTER_DEREFERENCE,
			    CR_SEVERITY_ERROR, "crash", "%s", HOSTILE_TITLE);
	assert_non_null(f);
	f->thread = 0;
	assert_true(cr_finding_detail(f, "detail with %s", HOSTILE_VALUE));
	assert_true(cr_finding_thread(f, "other thread", 2));
	assert_true(cr_finding_frame(f, "faulting frame", 0, 0));
	assert_true(cr_finding_address(f, "faulting address", 0x10, "page zero <x>"));
	assert_true(cr_finding_number(f, "offset", -16, NULL));
	assert_true(cr_finding_text(f, "operand", "%s", "qword ptr [rax+0x10]|"));
	assert_true(cr_finding_code(f, "listing", "mov rax, [rax+0x10]\n```\n<script>"));
	static const char *const heads[] = { "Address", "Instruction" };
	struct cr_table *t = cr_finding_table(f, "instructions", 2, heads);
	assert_non_null(t);
	const char *r0[] = { "0x401000", "push rbp" };
	const char *r1[] = { "0x401001", "mov eax, [rax] | <i>" };
	assert_true(cr_table_row(t, r0));
	assert_true(cr_table_row(t, r1));
	t->marked_row = 1;
}

static void test_findings_md(void **state)
{
	struct fixture *x = fixture_new();
	add_findings(&x->a);
	char *md = render(report_md_write, &x->a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);
	assert_int_equal(st.html_nodes, 0);
	assert_true(st.rows_ok);
	assert_true(md_text_contains(root, HOSTILE_TITLE));
	assert_true(md_text_contains(root, "1,234,567 bytes"));
	assert_true(md_text_contains(root, "-16"));
	assert_true(md_text_contains(root, "page zero <x>"));
	assert_true(md_text_contains(root, "qword ptr [rax+0x10]|"));
	/* errors first, in the "Findings" section, before "What happened" */
	const char *err = strstr(md, "field");
	const char *warn = strstr(md, "a warning about");
	const char *crash = strstr(md, "## What happened");
	assert_non_null(err);
	assert_non_null(warn);
	assert_true(err < warn && warn < crash);
	/* The recommendation as Markdown, quoted. */
	assert_non_null(strstr(md, "> The program read or wrote through a pointer"));
	/* The code evidence is a code block the hostile fence cannot close. */
	bool listing = false;
	for (size_t i = 0; i < st.code_blocks && i < 8; i++)
		listing |= strstr(st.code[i], "```\n<script>") != NULL;
	assert_true(listing);
	cmark_node_free(root);
	free(md);
	fixture_free(x);
}

static void test_findings_html(void **state)
{
	struct fixture *x = fixture_new();
	add_findings(&x->a);
	char *html;
	htmlDocPtr doc = html_render_safe(&x->a, &html);
	xmlNodePtr sec = html_by_id(doc->children, "findings");
	assert_non_null(sec);
	xmlChar *txt = xmlNodeGetContent(sec);
	const char *t = (const char *)txt;
	assert_non_null(strstr(t, HOSTILE_TITLE));
	assert_true(strstr(t, HOSTILE_TITLE) < strstr(t, "a warning about"));
	assert_non_null(strstr(t, "The program read or wrote"));
	assert_non_null(strstr(t, "1,234,567 bytes"));
	xmlFree(txt);
	assert_non_null(strstr(html, "class=\"finding error\""));
	assert_non_null(strstr(html, "class=\"recommendation\"><p>"));
	assert_non_null(strstr(html, "<tr class=\"marked\">"));
	/* the thread evidence links to its group's section */
	assert_non_null(strstr(html, "<a href=\"#group-2\">"));
	xmlFreeDoc(doc);
	free(html);
	fixture_free(x);
}

static void test_findings_json(void **state)
{
	struct fixture *x = fixture_new();
	add_findings(&x->a);
	size_t len;
	char *s = render(report_json_write, &x->a, &len);
	json_t *root = json_loadb(s, len, 0, NULL);
	assert_non_null(root);
	assert_int_equal(json_integer_value(json_object_get(root, "schema_version")), 7);
	json_t *fs = json_object_get(root, "findings");
	assert_int_equal(json_array_size(fs), 2);
	json_t *f = json_array_get(fs, 0);
	assert_string_equal(json_string_value(json_object_get(f, "severity")), "error");
	assert_string_equal(json_string_value(json_object_get(f, "id")),
			    "null-pointer-dereference");
	assert_string_equal(json_string_value(json_object_get(f, "title")), HOSTILE_TITLE);
	assert_int_equal(json_integer_value(json_object_get(f, "thread")), 0);
	json_t *ev = json_object_get(f, "evidence");
	assert_int_equal(json_array_size(ev), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 2), "address")), "0x10");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(ev, 6), "marked_row")), 1);
	assert_non_null(strstr(json_string_value(json_object_get(f, "recommendation")),
			       "The program read or wrote"));
	json_decref(root);
	free(s);
	write_json("reports-findings.json", &x->a);
	fixture_free(x);
}

/* Markdown of ours in the HTML tree: elements, never pasted HTML.  The
 * build compiles the recommendations (html_md_tree.h); the same compiler
 * and replay here, on hostile Markdown.  (Run after the HTML tests, which
 * load libxml2: the replay calls it through html_libs.h.) */
static void test_html_markdown_import(void **state)
{
	static const char md[] =
		"Para with `code`, *em* and a [link](#findings) and "
		"[bad](javascript:alert(1)).\n\n"
		"<script>alert(3)</script>\n\n"
		"| a | b |\n| --- | --- |\n| 1 | <i>2</i> |\n\n"
		"```\nx < y\n```\n\n- one\n- two\n";
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "div", NULL);
	xmlDocSetRootElement(doc, root);
	struct html_md_ops ops = { 0 };
	assert_true(html_md_compile(md, strlen(md), &ops));
	struct html_md_tree tree = { ops.v, ops.n };
	assert_true(html_md_replay(doc, root, &tree));
	html_md_ops_free(&ops);
	struct html_stats st = { 0 };
	html_walk(root, &st);
	assert_int_equal(st.script, 0);
	assert_int_equal(st.link_attrs, 0);	/* the javascript: link lost its href */
	xmlBufferPtr buf = xmlBufferCreate();
	htmlNodeDump(buf, doc, root);
	const char *out = (const char *)xmlBufferContent(buf);
	assert_non_null(strstr(out, "<code>code</code>"));
	assert_non_null(strstr(out, "<em>em</em>"));
	assert_non_null(strstr(out, "<a href=\"#findings\">link</a>"));
	assert_non_null(strstr(out, "&lt;script&gt;alert(3)&lt;/script&gt;"));
	assert_non_null(strstr(out, "<tr>\n<th>a</th>"));
	assert_non_null(strstr(out, "<td>&lt;i&gt;2&lt;/i&gt;</td>"));
	assert_non_null(strstr(out, "<pre>x &lt; y\n</pre>"));
	assert_non_null(strstr(out, "<li>one</li>"));
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
}

/* Every recommendation's tree, compiled by the build, is what the
 * compiler makes of the text the reports carry (cr_finding_infos, which
 * recommendations.cmake strips as html_md_gen.c does). */
static void test_html_markdown_build(void **state)
{
	(void)state;
	for (int id = 0; id < CR_FINDING_COUNT; id++) {
		const struct cr_finding_info *info = cr_finding_info(id);
		assert_non_null(info);
		struct html_md_ops ops = { 0 };
		assert_true(html_md_compile(info->recommendation,
					    strlen(info->recommendation), &ops));
		const struct html_md_tree *t = &html_md_recommendations[id];
		if (t->n != ops.n)
			fail_msg("%s: %zu operations built, %zu compiled", info->id,
				 t->n, ops.n);
		for (size_t k = 0; k < ops.n; k++) {
			assert_int_equal(t->ops[k].kind, ops.v[k].kind);
			assert_int_equal(t->ops[k].element, ops.v[k].element);
			if (!t->ops[k].text || !ops.v[k].text)
				assert_ptr_equal(t->ops[k].text, ops.v[k].text);
			else
				assert_string_equal(t->ops[k].text, ops.v[k].text);
		}
		html_md_ops_free(&ops);
	}
}

/* Folds the analyzer got wrong (out of range, overlapping, unsorted) are
 * ignored: the frames are printed one by one, and nothing reads past the
 * stack. */
static void test_bad_folds(void **state)
{
	struct fixture *x = fixture_new();
	struct cr_fold bad[] = {
		{ .first = 1, .last = 10, .period = 1, .repeats = 10, .cycle = "oob" },
		{ .first = 0, .last = 1, .period = 0, .repeats = 2, .cycle = "ok" },
		{ .first = 1, .last = 2, .period = 1, .repeats = 2, .cycle = "overlap" },
		{ .first = 5, .last = 4, .period = 1, .repeats = 0, .cycle = "reversed" },
	};
	struct cr_stack *s = &x->tas[1].stack;
	s->folds = bad;
	s->nfolds = 4;
	x->tas[2].stack.nframes = 0;	/* not its group's representative */
	char *md = render(report_md_write, &x->a, NULL);
	struct md_stats st;
	cmark_node *root = md_parse(md, &st);
	assert_int_equal(st.code_blocks, 2);
	/* group 2's stack: the "ok" fold, then frame 2 */
	assert_int_equal(count_lines(st.code[1]), 2);
	assert_non_null(strstr(st.code[1], "frames 0-1: ok repeated 2 times"));
	assert_null(strstr(st.code[1], "oob"));
	assert_null(strstr(st.code[1], "overlap"));
	cmark_node_free(root);
	free(md);

	size_t len;
	char *js = render(report_json_write, &x->a, &len);
	json_t *jroot = json_loadb(js, len, 0, NULL);
	assert_non_null(jroot);
	json_t *st1 = json_object_get(json_array_get(json_object_get(jroot,
						     "threads"), 1), "stack");
	assert_int_equal(json_array_size(json_object_get(st1, "folds")), 1);
	/* frame 0 (first cycle of the fold, period 0 taken as 1), frame 2 */
	assert_int_equal(json_array_size(json_object_get(st1, "frames")), 2);
	json_decref(jroot);
	free(js);

	char *html = render(report_html_write, &x->a, NULL);
	assert_non_null(strstr(html, "frames 0-1: ok repeated 2 times"));
	free(html);
	fixture_free(x);
}

/* --- report_write_file ------------------------------------------------------ */

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/cr-test-reports.XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Entries of DIR (without . and ..), joined by '/' into NAMES. */
static size_t list_dir(const char *dir, char *names, size_t size)
{
	DIR *dp = opendir(dir);
	assert_non_null(dp);
	size_t n = 0;
	names[0] = '\0';
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		strncat(names, "/", size - strlen(names) - 1);
		strncat(names, de->d_name, size - strlen(names) - 1);
	}
	closedir(dp);
	return n;
}

static void test_write_file(void **state)
{
	struct empty e;
	empty_init(&e);
	char *dir = make_tmpdir();
	char path[4096], names[4096];

	/* Missing directory: an I/O error naming the path, nothing created. */
	snprintf(path, sizeof(path), "%s/missing/report.md", dir);
	struct cr_error *err = report_write_file(&e.a, CR_REPORT_MD, path);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_IO);
	assert_non_null(strstr(err->message, path));
	assert_non_null(strstr(err->message, strerror(ENOENT)));
	cr_error_free(err);
	assert_int_equal(list_dir(dir, names, sizeof(names)), 0);

	/* The target is a directory: the rename fails after the report was
	 * written, and the temporary file must be gone. */
	snprintf(path, sizeof(path), "%s/isdir.html", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	err = report_write_file(&e.a, CR_REPORT_HTML, path);
	assert_non_null(err);
	assert_int_equal(err->code, CR_ERR_IO);
	cr_error_free(err);
	assert_int_equal(list_dir(dir, names, sizeof(names)), 1);
	assert_string_equal(names, "/isdir.html");
	assert_int_equal(rmdir(path), 0);

	/* Success, twice (the second replaces the first): only the file. */
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/report.json", dir);
		err = report_write_file(&e.a, CR_REPORT_JSON, path);
		assert_null(err);
		assert_int_equal(list_dir(dir, names, sizeof(names)), 1);
		assert_string_equal(names, "/report.json");
	}
	json_t *root = json_load_file(path, 0, NULL);
	assert_non_null(root);
	json_decref(root);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	mode_t mask = umask(022);
	umask(mask);
	assert_int_equal(sb.st_mode & 0777, 0666 & ~mask);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(dir);

	assert_string_equal(report_extension(CR_REPORT_MD), "md");
	assert_string_equal(report_extension(CR_REPORT_HTML), "html");
	assert_string_equal(report_extension(CR_REPORT_JSON), "json");
}

/* A file's whole text (NUL-terminated). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&buf, &n);
	assert_non_null(m);
	int c;
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(f);
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* A report set (one document for md and html) writes each report as the
 * writers alone do, whatever order and however often it is asked. */
static void test_report_set(void **state)
{
	(void)state;
	struct fixture *x = fixture_new();
	static const struct {
		enum cr_report_format fmt;
		struct cr_error *(*write)(const struct cr_analysis *, FILE *);
	} fmts[] = {
		{ CR_REPORT_HTML, report_html_write },
		{ CR_REPORT_MD, report_md_write },
		{ CR_REPORT_JSON, report_json_write },
		{ CR_REPORT_MD, report_md_write },
		{ CR_REPORT_HTML, report_html_write },
	};
	char *dir = make_tmpdir();
	struct report_set *rs = report_set_new(&x->a);
	assert_non_null(rs);
	for (size_t i = 0; i < ARRAY_LEN(fmts); i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/r%zu.%s", dir, i,
			 report_extension(fmts[i].fmt));
		assert_null(report_set_write_file(rs, fmts[i].fmt, path, NULL));
		char *got = slurp(path);
		char *want = render(fmts[i].write, &x->a, NULL);
		assert_string_equal(got, want);
		free(got);
		free(want);
		assert_int_equal(unlink(path), 0);
	}
	report_set_free(rs);
	report_set_free(NULL);
	assert_int_equal(rmdir(dir), 0);
	free(dir);
	fixture_free(x);
}

/* report_fmt_hex writes what snprintf's "0x%0*" PRIx64 writes. */
static void test_fmt_hex(void **state)
{
	(void)state;
	static const uint64_t values[] = {
		0, 1, 0xf, 0x10, 0x401000, 0xdeadbeef, 0x100000000,
		0x00007ffc50001045, 0x8000000000000000, UINT64_MAX,
	};
	static const int widths[] = { 0, 1, 8, 16 };
	for (size_t i = 0; i < ARRAY_LEN(values); i++)
		for (size_t k = 0; k < ARRAY_LEN(widths); k++) {
			char got[REPORT_NUM_LEN], want[REPORT_NUM_LEN];
			snprintf(want, sizeof(want), "0x%0*" PRIx64, widths[k],
				 values[i]);
			assert_string_equal(report_fmt_hex(got, values[i],
							   widths[k]), want);
		}
}

/* The terminal sanitizer: controls shown escaped, printable UTF-8 kept. */
static void test_term_safe(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "plain/path core.1234", "plain/path core.1234" },
		{ "\033]0;pwned\007", "\\x1b]0;pwned\\x07" },
		{ "a\tb\nc\x7f", "a\\x09b\\x0ac\\x7f" },
		{ "csi\xc2\x9b" "2J", "csi\\u009b2J" },		/* C1 as UTF-8 */
		{ "raw\x9b", "raw\\x9b" },			/* not UTF-8 */
		{ "\xe2\x80\xae" "evil", "\\u202eevil" },	/* RLO */
		{ "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80",
		  "Gr\xc3\xbc\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80" },
		{ "\xc0\xaf", "\\xc0\\xaf" },		/* overlong '/' */
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got = cr_term_safe(cases[i].in);
		assert_non_null(got);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

/* Report names: unique in a run, at most REPORT_NAME_MAX bytes, cut on a
 * character boundary, no control characters. */
static void test_report_names(void **state)
{
	(void)state;
	struct report_names rn = { 0 };
	assert_int_equal(REPORT_NAME_MAX, 231);
	assert_string_equal(report_name_claim(&rn, "host-a/core"), "core");
	assert_string_equal(report_name_claim(&rn, "host-b/core"), "core-2");
	assert_string_equal(report_name_claim(&rn, "core-2"), "core-2-2");
	assert_string_equal(report_name_claim(&rn, "/x/core"), "core-3");
	assert_string_equal(report_name_claim(&rn, "dir/"), "dir");
	assert_string_equal(report_name_claim(&rn, "/"), "dump");
	assert_string_equal(report_name_claim(&rn, "a\033[2Jb\xc2\x9b"), "a_[2Jb_");

	/* 200 two-byte characters: cut to an even byte count + "~hash". */
	char longname[512] = "";
	for (int i = 0; i < 200; i++)
		strcat(longname, "\xc3\xa9");
	const char *n1 = report_name_claim(&rn, longname);
	assert_true(strlen(n1) <= REPORT_NAME_MAX);
	const char *tilde = strrchr(n1, '~');
	assert_non_null(tilde);
	assert_int_equal((tilde - n1) % 2, 0);
	assert_int_equal(strlen(tilde), 9);
	longname[398] = 'x';
	longname[399] = '\0';
	const char *n2 = report_name_claim(&rn, longname);
	assert_true(strlen(n2) <= REPORT_NAME_MAX);
	assert_string_not_equal(n1, n2);
	/* The same long name again: "-2" still within the bound. */
	const char *n3 = report_name_claim(&rn, longname);
	assert_true(strlen(n3) <= REPORT_NAME_MAX);
	assert_string_not_equal(n2, n3);
	assert_string_equal(n3 + strlen(n3) - 2, "-2");

	/* Many dumps of one name: all distinct. */
	char prev[16] = "";
	for (int i = 0; i < 1000; i++) {
		const char *n = report_name_claim(&rn, "many/core.7");
		assert_non_null(n);
		assert_string_not_equal(n, prev);
		snprintf(prev, sizeof(prev), "%s", n);
	}
	assert_string_equal(prev, "core.7-1000");
	report_names_free(&rn);
}

/* --- Markdown budget (md_budget.c) ---------------------------------------- */

/* 50 groups of ~230 characters, a small section ranked before them and a
 * 3,000-character one after: what a budget of 3,000 characters keeps. */
static void budget_parts(struct md_parts *p)
{
	struct cr_buf *b;
	cr_buf_puts(md_part_new(p, MD_PART_ESSENTIAL, 0, NULL, 0),
			"# title\n\nsummary\n\n");
	cr_buf_puts(md_part_new(p, MD_PART_THREADS, 0, NULL, 0),
			"## Threads\n\n");
	for (int i = 0; i < 50; i++) {
		b = md_part_new(p, MD_PART_GROUP, 0, NULL, 2);
		cr_buf_printf(b, "### Group %d: 2 threads\n\n%0200d\n\n", i + 1, 0);
	}
	b = md_part_new(p, MD_PART_SECTION, MD_RANK_GROUPS + 2, "Modules", 0);
	cr_buf_printf(b, "## Modules\n\n%03000d\n\n", 0);
	cr_buf_puts(md_part_new(p, MD_PART_SECTION, 1, "Process", 0),
			"## Process\n\nfacts\n\n");
	assert_false(p->oom);
}

static char *budget_join(const struct md_parts *p, size_t budget, bool brief)
{
	struct report_md_options o = { .budget = budget, .brief = brief,
				       .html_name = "x_y.coroner.html" };
	struct cr_buf out = { 0 };
	md_parts_join(p, &o, &out);
	char *s = cr_buf_steal(&out);
	assert_non_null(s);
	return s;
}

static void test_md_budget(void **state)
{
	struct md_parts p = { 0 };
	budget_parts(&p);

	char *s = budget_join(&p, 3000, false);
	assert_true(strlen(s) <= 3000);
	assert_non_null(strstr(s, "# title\n\nsummary"));
	assert_non_null(strstr(s, "## Process\n\nfacts"));	/* ranked first */
	/* The first groups, in order, then one note counting the rest. */
	int shown = 0;
	for (const char *q = s; (q = strstr(q, "### Group ")); q++) {
		assert_int_equal(atoi(q + strlen("### Group ")), shown + 1);
		shown++;
	}
	assert_true(shown > 0 && shown < 50);
	char want[200];
	snprintf(want, sizeof(want), "*%d more thread groups (%d threads) left out "
		 "to keep this report under 3,000 characters (--md-budget); the "
		 "HTML report x_y.coroner.html has every thread.*", 50 - shown,
		 2 * (50 - shown));
	assert_non_null(strstr(s, want));
	assert_non_null(strstr(s, "## Modules\n\n*Left out to keep this report"));
	free(s);

	s = budget_join(&p, 0, false);		/* no limit */
	assert_non_null(strstr(s, "### Group 50:"));
	assert_null(strstr(s, "left out"));
	free(s);

	s = budget_join(&p, 0, true);		/* --brief */
	assert_non_null(strstr(s, "# title\n\nsummary"));
	assert_null(strstr(s, "## Threads"));
	assert_null(strstr(s, "### Group"));
	assert_null(strstr(s, "## Process"));
	assert_non_null(strstr(s, "(--brief)"));
	free(s);
	md_parts_free(&p);
}

/* The JSON report's own serializer writes what jansson's json_dumps
 * writes (json_text.c), at the top and nested two levels deep, on every
 * kind of value and every character it escapes. */
static void test_json_text_as_jansson(void **state)
{
	(void)state;
	json_t *v = json_pack("{s:s, s:I, s:I, s:[f,f,f,f,f,f,f,f,f], s:{}, s:[], s:n, s:b, s:b,"
			      " s:{s:[i,{s:[]}], s:s}}",
			      "s", "a\"b\\c\n\t\b\f\r\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
			      "i", (json_int_t)-42, "big", (json_int_t)INT64_MAX,
			      "r", 0.1, 1e-7, 100.0, 1e300, -0.0, 123456789.125, 5e22, 2.5e-300, 3.0,
			      "empty", "none", "null", "t", 1, "f", 0,
			      "nested", "x", 1, "y", "k", "");
	assert_non_null(v);
	char *want = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	struct cr_buf b = { 0 };
	report_json_text(&b, v, 0);
	assert_string_equal(cr_buf_str(&b), want);
	cr_buf_free(&b);
	/* Nested at depth 2: every line after the first 4 spaces further. */
	struct cr_buf n = { 0 };
	for (const char *p = want; *p; p++) {
		cr_buf_putc(&n, *p);
		if (*p == '\n')
			cr_buf_puts(&n, "    ");
	}
	report_json_text(&b, v, 2);
	assert_string_equal(cr_buf_str(&b), cr_buf_str(&n));
	cr_buf_free(&b);
	cr_buf_free(&n);
	free(want);
	json_decref(v);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		json_out_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_text_as_jansson),
		cmocka_unit_test(test_md_structure),
		cmocka_unit_test(test_md_minidump_facts),
		cmocka_unit_test(test_exception_record),
		cmocka_unit_test(test_md_no_crash),
		cmocka_unit_test(test_md_escape_api),
		cmocka_unit_test(test_html_structure),
		cmocka_unit_test(test_html_minidump_facts),
		cmocka_unit_test(test_html_no_crash),
		cmocka_unit_test(test_malloc_mxfast),
		cmocka_unit_test(test_md_budget),
		cmocka_unit_test(test_json_content),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_registers_from_event),
		cmocka_unit_test(test_findings_md),
		cmocka_unit_test(test_findings_html),
		cmocka_unit_test(test_findings_json),
		cmocka_unit_test(test_html_markdown_import),
		cmocka_unit_test(test_html_markdown_build),
		cmocka_unit_test(test_bad_folds),
		cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_report_set),
		cmocka_unit_test(test_fmt_hex),
		cmocka_unit_test(test_term_safe),
		cmocka_unit_test(test_report_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
