/*
 * test_signature.c - the signature normalizer and the frames a signature
 * is made of (analyzer/passes/signature_norm.c, signature.c; the rules in
 * docs/signatures.md): raw names from symbolizers against what a bucket
 * must key on, and recursions cut at different depths giving one key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dump.h"
#include "passes/signature.h"

#define LEN(a) (sizeof(a) / sizeof(*(a)))

static const struct {
	const char *raw, *want;
} names[] = {
	{ "crash_null", "crash_null" },
	{ "std::vector<int, std::allocator<int> >::push_back(int const&)",
	  "std::vector::push_back" },
	/* nested templates, a function type inside one */
	{ "std::_Function_handler<void (), main::{lambda()#1}>::_M_invoke(std::_Any_data const&)",
	  "std::_Function_handler::_M_invoke" },
	{ "std::map<std::string, std::vector<std::pair<int, long> > >::operator[](std::string const&)",
	  "std::map::operator[]" },
	/* operators spelled with brackets and angle brackets */
	{ "bool operator< <Key>(Key const&, Key const&)", "operator<" },
	{ "Key::operator<(Key const&) const", "Key::operator<" },
	{ "std::ostream::operator<<(int)", "std::ostream::operator<<" },
	{ "Matrix::operator()(unsigned long, unsigned long)", "Matrix::operator()" },
	{ "Ptr::operator->() const", "Ptr::operator->" },
	{ "Ptr::operator!=(Ptr const&) const", "Ptr::operator!=" },
	{ "operator new(unsigned long)", "operator new" },
	{ "Pool::operator delete[](void*)", "Pool::operator delete[]" },
	{ "Flag::operator bool() const", "Flag::operator bool" },
	/* lambdas and local entities: the parameters go, the number stays */
	{ "main::{lambda(int)#1}::operator()(int) const",
	  "main::{lambda#1}::operator()" },
	{ "run(Job&)::{lambda()#2}::operator()() const",
	  "run::{lambda#2}::operator()" },
	{ "(anonymous namespace)::parse_row(char const*)",
	  "(anonymous namespace)::parse_row" },
	/* return types of demangled templates */
	{ "int ns::convert<int>(char const*)", "ns::convert" },
	{ "std::unique_ptr<Foo, std::default_delete<Foo> > make<Foo>()", "make" },
	/* compiler clone suffixes, alone and combined, plain and demangled */
	{ "parse_header.constprop.0", "parse_header" },
	{ "parse_header.cold", "parse_header" },
	{ "parse_header.isra.0", "parse_header" },
	{ "parse_header.part.0", "parse_header" },
	{ "parse_header.lto_priv.0", "parse_header" },
	{ "parse_header.isra.0.cold", "parse_header" },
	{ "parse_header.part.0.constprop.1", "parse_header" },
	{ "parse_header.constprop.0.isra.0.cold.12", "parse_header" },
	{ "Parser::row(int) [clone .isra.0] [clone .cold]", "Parser::row" },
	{ "std::__cxx11::basic_string<char> to_text[abi:cxx11](int)", "to_text" },
	/* Rust's legacy hash */
	{ "core::panicking::panic::h0123456789abcdef", "core::panicking::panic" },
	{ "myapp::parse::h0123456789abcdeg", "myapp::parse::h0123456789abcdeg" },
	{ "<myapp::Parser as core::ops::Drop>::drop::h00112233aabbccdd",
	  "myapp::Parser::drop" },
	{ "<alloc::vec::Vec<T,A> as core::ops::drop::Drop>::drop::h00112233aabbccdd",
	  "alloc::vec::Vec::drop" },
	/* Windows debuggers' decoration */
	{ "crashme!crash_write+0x12", "crash_write" },
	{ "crashme.exe!Foo::bar(int)+0x1a", "Foo::bar" },
	{ "Foo::operator!() const", "Foo::operator!" },
	{ "", "" },
};

static void test_function_names(void **state)
{
	(void)state;
	for (size_t i = 0; i < LEN(names); i++) {
		char *got = cr_sig_function(names[i].raw);
		assert_non_null(got);
		if (strcmp(got, names[i].want))
			fail_msg("%s -> \"%s\", want \"%s\"", names[i].raw, got,
				 names[i].want);
		free(got);
	}
}

/* Names from a hostile symbol table: unbalanced, huge, all brackets.
 * Each must give a bounded name quickly (the normalizer cuts at 4096). */
static void test_hostile_names(void **state)
{
	static const char *const pieces[] = { "()", "<", ">", "{", "operator",
					       " [clone ", "::h", "!" };
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	(void)state;
	assert_non_null(big);
	for (size_t p = 0; p < LEN(pieces); p++) {
		size_t len = strlen(pieces[p]);
		for (size_t i = 0; i < n; i++)
			big[i] = pieces[p][i % len];
		big[n] = '\0';
		char *got = cr_sig_function(big);
		assert_non_null(got);
		assert_true(strlen(got) <= 4096);
		free(got);
	}
	free(big);
}

static void test_module_names(void **state)
{
	static const struct {
		const char *raw, *want;
	} mods[] = {
		{ "/usr/lib/x86_64-linux-gnu/libssl.so.3", "libssl.so" },
		{ "/opt/app/lib/libfoo.so.1.2.3", "libfoo.so" },
		{ "/opt/app/bin/app", "app" },
		{ "C:\\Program Files\\App\\crashme.exe", "crashme.exe" },
		{ "libbar.so", "libbar.so" },
	};
	(void)state;
	for (size_t i = 0; i < LEN(mods); i++) {
		char *got = cr_sig_module(mods[i].raw);
		assert_string_equal(got, mods[i].want);
		free(got);
	}
}

static void test_own_modules(void **state)
{
	struct cr_module exe = { .path = "/usr/bin/app", .is_main = true };
	struct cr_module own = { .path = "/opt/app/lib/libapp.so.2" };
	struct cr_module sys = { .path = "/usr/lib/x86_64-linux-gnu/libz.so.1" };
	struct cr_module win = { .path = "C:\\Windows\\System32\\ntdll.dll" };
	struct cr_module dll = { .path = "C:\\Program Files\\App\\app.dll" };
	(void)state;
	assert_true(cr_sig_module_is_own(&exe));
	assert_true(cr_sig_module_is_own(&own));
	assert_false(cr_sig_module_is_own(&sys));
	assert_false(cr_sig_module_is_own(&win));
	assert_true(cr_sig_module_is_own(&dll));
	assert_false(cr_sig_module_is_own(NULL));
}

/* A stack of named frames in module "app" (base 0x1000) unless a name is
 * NULL (then a frame without a function at pc 0x1000 + offset) */
struct fixture {
	struct cr_frame frames[4096];
	struct cr_stack stack;
	struct cr_module mods[2];
	struct cr_dump dump;
};
static struct fixture fx;

static void fx_reset(void)
{
	memset(&fx, 0, sizeof(fx));
	fx.mods[0] = (struct cr_module){ .path = "/opt/app/app", .base = 0x1000,
					 .size = 0x100000, .is_main = true };
	fx.mods[1] = (struct cr_module){ .path = "/usr/lib/libc.so.6",
					 .base = 0x7f0000000000, .size = 0x200000 };
	fx.dump.modules = fx.mods;
	fx.dump.nmodules = 2;
	fx.stack.frames = fx.frames;
}

static void push(const char *module, const char *function, uint64_t off)
{
	struct cr_frame *f = &fx.frames[fx.stack.nframes++];
	const struct cr_module *m = module && !strcmp(module, "libc.so.6") ?
		&fx.mods[1] : &fx.mods[0];
	f->module = module;
	f->function = function;
	f->module_offset = off;
	f->pc = m->base + off;
}

/* The signature frames joined by " | ". */
static char *frames_of(size_t n, bool overflow, bool heap)
{
	char **fr;
	size_t nfr;
	static char buf[1024];

	assert_true(cr_sig_stack_frames(&fx.dump, &fx.stack, n, overflow, heap,
					&fr, &nfr));
	buf[0] = '\0';
	for (size_t i = 0; i < nfr; i++) {
		if (i)
			strcat(buf, " | ");
		strcat(buf, fr[i]);
		free(fr[i]);
	}
	free(fr);
	return buf;
}

struct raw_frame {
	const char *module, *function;
	uint64_t off;
};

static void push_all(const struct raw_frame *f, size_t n)
{
	fx_reset();
	for (size_t i = 0; i < n; i++)
		push(f[i].module, f[i].function, f[i].off);
}

static void test_machinery_dropped(void **state)
{
	static const struct raw_frame stack[] = {
		{ "libc.so.6", "__pthread_kill_implementation", 0x10 },
		{ "libc.so.6", "raise", 0x20 },
		{ "libc.so.6", "abort", 0x30 },
		{ "libc.so.6", "__libc_message", 0x40 },
		{ "libc.so.6", "malloc_printerr", 0x50 },
		{ "libc.so.6", "_int_free", 0x60 },
		{ "libc.so.6", NULL, 0x70 },	/* unsymbolized system frame */
		{ "app", "std::vector<int>::~vector()", 0x100 },
		{ "app", "free", 0x180 },	/* a static allocator */
		{ "app", "release_row(Row*) [clone .isra.0]", 0x200 },
		{ NULL, NULL, 0 },		/* an address alone */
		{ "app", NULL, 0x300 },		/* own, unsymbolized */
		{ "app", "main", 0x400 },
		{ "libc.so.6", "__libc_start_call_main", 0x80 },
		{ "app", "_start", 0x500 },
	};
	(void)state;
	push_all(stack, LEN(stack));
	assert_string_equal(frames_of(5, false, true),
			    "std::vector::~vector | release_row | app+0x300 | main");
	/* outside a heap corruption the allocator is a frame like others */
	assert_string_equal(frames_of(5, false, false),
			    "std::vector::~vector | free | release_row | app+0x300 | main");
	assert_string_equal(frames_of(2, false, true),
			    "std::vector::~vector | release_row");
}

/* An uncaught C++ exception (libstdc++'s terminate chain) and a Windows
 * one (SEH dispatch): only the thrower and its callers are left. */
static void test_throw_machinery_dropped(void **state)
{
	static const struct raw_frame gnu[] = {
		{ "libc.so.6", "raise", 0x10 },
		{ "libc.so.6", "abort", 0x20 },
		{ "libstdc++.so.6", "__gnu_cxx::__verbose_terminate_handler()", 0x30 },
		{ "app", "__cxxabiv1::__terminate(void (*)())", 0x40 },
		{ "app", "std::terminate()", 0x50 },
		{ "app", "__cxa_throw", 0x60 },
		{ "app", "Config::load(std::string const&)", 0x100 },
		{ "app", "main", 0x200 },
	};
	static const struct raw_frame win[] = {
		{ "KERNELBASE.dll", "RaiseException", 0x10 },
		{ "app", "_CxxThrowException", 0x20 },
		{ "app", "Config::load(std::basic_string<char> const&)", 0x100 },
		{ "app", "main", 0x200 },
		{ "app", "invoke_main", 0x300 },
		{ "app", "__scrt_common_main_seh", 0x310 },
		{ "kernel32.dll", "BaseThreadInitThunk", 0x320 },
		{ "ntdll.dll", "RtlUserThreadStart", 0x330 },
	};
	(void)state;
	push_all(gnu, LEN(gnu));
	assert_string_equal(frames_of(5, false, false), "Config::load | main");
	push_all(win, LEN(win));
	assert_string_equal(frames_of(5, false, false), "Config::load | main");
}

/* A recursion of period 2 (walk -> visit -> walk ...) DEPTH frames deep,
 * entered at its frame START, with a helper on top and main below. */
static void recursion_stack(size_t depth, size_t start, bool helper)
{
	static const char *const cycle[] = { "visit(Node*)", "walk(Node*, int)" };
	fx_reset();
	if (helper)
		push("app", "log_depth(int)", 0x10);
	for (size_t i = 0; i < depth; i++)
		push("app", cycle[(start + i) % 2], 0x100 + 0x10 * ((start + i) % 2));
	push("app", "main", 0x400);
	push("libc.so.6", "__libc_start_main", 0x80);
}

static void test_recursion_keyed_on_cycle(void **state)
{
	(void)state;
	/* Overflows cut at different depths and entered at different frames
	 * of the cycle: one key, the helper on top dropped. */
	recursion_stack(4000, 0, true);
	char *deep = strdup(frames_of(5, true, false));
	assert_string_equal(deep, "recursion(visit | walk) | main");
	recursion_stack(37, 1, false);
	assert_string_equal(frames_of(5, true, false), deep);
	recursion_stack(6, 1, true);
	assert_string_equal(frames_of(5, true, false), deep);
	free(deep);

	/* A crash inside a recursion that did not overflow keeps what the
	 * recursion called. */
	recursion_stack(9, 0, true);
	assert_string_equal(frames_of(5, false, false),
			    "log_depth | recursion(visit | walk) | main");

	/* Cut before the bottom (the unwinder's limit): no frame below. */
	recursion_stack(50, 0, false);
	fx.stack.nframes -= 2;
	assert_string_equal(frames_of(5, true, false), "recursion(visit | walk)");

	/* Self-recursion, unsymbolized frames of the program. */
	fx_reset();
	for (int i = 0; i < 100; i++)
		push("app", NULL, 0x777);
	push("app", "main", 0x400);
	assert_string_equal(frames_of(5, true, false), "recursion(app+0x777) | main");
}

/* A recursion of period P over f0 ... f(P-1) (a parser's chain of rules),
 * DEPTH frames deep from its frame START, main below. */
static void long_cycle_stack(size_t p, size_t depth, size_t start)
{
	static const char *const rules[] = {
		"expr", "assign", "ternary", "logical_or", "logical_and",
		"equality", "relational", "additive", "term", "unary",
		"postfix", "primary", "call", "args", "group", "block",
		"stmt", "decl", "init", "member", "index", "cast",
		"sizeof_expr", "literal", "ident", "lambda", "closure",
		"capture", "bind", "apply", "eval", "reduce",
	};
	fx_reset();
	for (size_t i = 0; i < depth; i++)
		push("app", rules[(start + i) % p], 0x100 + 0x10 * ((start + i) % p));
	push("app", "main", 0x800);
}

static void test_long_cycle(void **state)
{
	(void)state;
	/* Twelve frames to a cycle, overflowed at different depths and
	 * points of the cycle: one key. */
	long_cycle_stack(12, 4000, 0);
	char *key = strdup(frames_of(5, true, false));
	assert_string_equal(key, "recursion(additive | term | unary | postfix | "
			    "primary | expr | assign | ternary | logical_or | "
			    "logical_and | equality | relational) | main");
	long_cycle_stack(12, 61, 7);
	assert_string_equal(frames_of(5, true, false), key);
	free(key);
	/* The longest cycle recognised, 32 frames, seen twice. */
	long_cycle_stack(32, 64, 3);
	assert_true(strncmp(frames_of(5, true, false), "recursion(", 10) == 0);
	/* A chain of 12 called once, not twice: frame by frame. */
	long_cycle_stack(12, 12, 0);
	assert_string_equal(frames_of(3, true, false), "expr | assign | ternary");
}

static void test_no_recursion(void **state)
{
	/* one frame called once by the same function is not a cycle twice */
	static const struct raw_frame once[] = {
		{ "app", "a", 0x10 }, { "app", "b", 0x20 }, { "app", "a", 0x30 },
		{ "app", "main", 0x40 },
	};
	/* nothing meaningful: no frames (the pass falls back to the culprit) */
	static const struct raw_frame none[] = {
		{ "libc.so.6", NULL, 0x10 }, { NULL, NULL, 0 },
	};
	(void)state;
	push_all(once, LEN(once));
	assert_string_equal(frames_of(5, false, false), "a | b | a | main");
	push_all(none, LEN(none));
	assert_string_equal(frames_of(5, false, false), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_function_names),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_module_names),
		cmocka_unit_test(test_own_modules),
		cmocka_unit_test(test_machinery_dropped),
		cmocka_unit_test(test_throw_machinery_dropped),
		cmocka_unit_test(test_recursion_keyed_on_cycle),
		cmocka_unit_test(test_long_cycle),
		cmocka_unit_test(test_no_recursion),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
