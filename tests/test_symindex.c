/*
 * test_symindex.c - the sorted symbol index (analyzer/symbols/symindex.h)
 * answers exactly what dwfl_module_addrinfo() answers, on real modules:
 * glibc with only its .dynsym, glibc with its .symtab from libc6-dbg's
 * debug file (skipped when that is not installed), and this test program
 * (a .symtab with local functions and sizeless labels such as _end).  Each
 * module is loaded at a non-zero base, so values carry a bias.
 *
 * Addresses asked, around a sample of the symbols and around every symbol
 * that shares its start with another, overlaps the one before or has no
 * size: start - 1, start, start + 1, end - 1, end, the middle of the gap
 * to the next symbol; and below and above all of them.  libdwfl scans the
 * whole table for each address, so the sample is bounded (MAX_PROBES).
 */
#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>

#include "symindex.h"

#define BASE 0x7f1234560000ull	/* where each module is reported */
#define MAX_PROBES 3000		/* addresses asked per module */

static const char *self_path;

/* Two sizeless labels at one address, a local and a global, with code
 * after them that no sized symbol covers: at the address libdwfl answers
 * the global (an exact global label stops the search before the locals);
 * past it, the locals are searched too and the local label, seen last,
 * wins. */
__asm__(".text\n"
	".globl symindex_label_global\n"
	"symindex_label_local:\n"
	"symindex_label_global:\n"
	"\tnop\n\tnop\n\tnop\n\tnop\n");

static int no_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			Dwarf_Addr base, const char *file_name,
			const char *debuglink_file, GElf_Word debuglink_crc,
			char **debuginfo_file_name)
{
	(void)mod; (void)userdata; (void)modname; (void)base; (void)file_name;
	(void)debuglink_file; (void)debuglink_crc; (void)debuginfo_file_name;
	return -1;
}

static const Dwfl_Callbacks with_debug = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static const Dwfl_Callbacks without_debug = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = no_debuginfo,
	.section_address = dwfl_offline_section_address,
};

struct probes {
	GElf_Addr *a;
	size_t n, cap;
};

static void add(struct probes *p, GElf_Addr a)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->a = realloc(p->a, p->cap * sizeof(*p->a));
		assert_non_null(p->a);
	}
	p->a[p->n++] = a;
}

struct symv {
	GElf_Addr value;
	GElf_Xword size;
};

static int cmp_symv(const void *a, const void *b)
{
	const struct symv *x = a, *y = b;
	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return (x->size > y->size) - (x->size < y->size);
}

/* The addresses around symbol I of the sorted S[N]. */
static void around(struct probes *p, const struct symv *s, size_t n, size_t i)
{
	GElf_Addr v = s[i].value, end = v + s[i].size;
	add(p, v - 1);
	add(p, v);
	add(p, v + 1);
	if (s[i].size) {
		add(p, end - 1);
		add(p, end);
	}
	if (i + 1 < n && s[i + 1].value > end + 1)
		add(p, end + (s[i + 1].value - end) / 2);
}

static bool special(const struct symv *s, size_t i)
{
	return s[i].size == 0 ||
	       (i > 0 && (s[i - 1].value == s[i].value ||
			   s[i - 1].value + s[i - 1].size > s[i].value));
}

/* The addresses to ask about in MOD. */
static struct probes probes_of(Dwfl_Module *mod)
{
	int n = dwfl_module_getsymtab(mod);
	assert_true(n > 1);
	struct symv *s = calloc((size_t)n, sizeof(*s));
	assert_non_null(s);
	size_t ns = 0, nspecial = 0;
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr v;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &v,
							   NULL, NULL, NULL);
		if (name && name[0] && sym.st_shndx != SHN_UNDEF)
			s[ns++] = (struct symv){ v, sym.st_size };
	}
	qsort(s, ns, sizeof(*s), cmp_symv);
	for (size_t i = 0; i < ns; i++)
		nspecial += special(s, i);
	/* About half of the budget for each kind, six addresses a symbol. */
	size_t step = ns / (MAX_PROBES / 12) + 1;
	size_t sstep = nspecial / (MAX_PROBES / 12) + 1;
	struct probes p = { 0 };
	add(&p, 0);
	add(&p, BASE);
	add(&p, UINT64_MAX);
	for (size_t i = 0, k = 0; i < ns; i++) {
		if (i % step == 0)
			around(&p, s, ns, i);
		else if (special(s, i) && k++ % sstep == 0)
			around(&p, s, ns, i);
	}
	if (ns)
		add(&p, s[ns - 1].value + s[ns - 1].size + 0x1000);
	free(s);
	return p;
}

/* The index (from template T when given, as a batch worker makes it, else
 * from MOD alone) and libdwfl agree on every probe of MOD; returns how many. */
static size_t compare_with(Dwfl_Module *mod, const struct cr_symtemplate *t)
{
	struct cr_symindex *ix = t ? cr_symindex_of(t, mod) : cr_symindex_new(mod);
	assert_non_null(ix);
	struct probes p = probes_of(mod);
	size_t named = 0;
	for (size_t i = 0; i < p.n; i++) {
		GElf_Off off_d = 0x5a5a, off_i = 0xa5a5;
		GElf_Sym sym_d = { 0 }, sym_i = { 0 };
		const char *nd = dwfl_module_addrinfo(mod, p.a[i], &off_d, &sym_d,
						      NULL, NULL, NULL);
		const char *ni = cr_symindex_addrinfo(ix, p.a[i], &off_i, &sym_i);
		/* A template's names are its own copies: compared by
		 * content; the index alone hands out libdwfl's. */
		if ((t ? !(nd == ni || (nd && ni && strcmp(nd, ni) == 0))
		       : nd != ni) || off_d != off_i ||
		    memcmp(&sym_d, &sym_i, sizeof(sym_d)) != 0)
			fail_msg("address %#llx: libdwfl %s+%#llx (size %llu), index %s+%#llx (size %llu)",
				 (unsigned long long)p.a[i], nd ? nd : "(none)",
				 (unsigned long long)off_d,
				 (unsigned long long)sym_d.st_size,
				 ni ? ni : "(none)", (unsigned long long)off_i,
				 (unsigned long long)sym_i.st_size);
		named += nd != NULL;
	}
	print_message("%zu addresses, %zu named\n", p.n, named);
	assert_true(named > p.n / 2);	/* the probes do land on symbols */
	free(p.a);
	cr_symindex_free(ix);
	return p.n;
}

static size_t compare(Dwfl_Module *mod)
{
	return compare_with(mod, NULL);
}

/* MOD of a session over FILE at BASE_AT; NULL without the file. */
static Dwfl *session_at(const char *file, const Dwfl_Callbacks *cb,
			GElf_Addr base_at, Dwfl_Module **mod)
{
	Dwfl *dwfl = dwfl_begin(cb);
	assert_non_null(dwfl);
	dwfl_report_begin(dwfl);
	*mod = dwfl_report_elf(dwfl, "module", file, -1, base_at, false);
	dwfl_report_end(dwfl, NULL, NULL);
	if (!*mod) {
		dwfl_end(dwfl);
		return NULL;
	}
	return dwfl;
}

/* glibc's file: gnu_get_libc_version is not intercepted by ASan's runtime
 * (printf is, and would name libasan). */
static Dwfl *session(const char *file, const Dwfl_Callbacks *cb,
		     Dwfl_Module **mod)
{
	return session_at(file, cb, BASE, mod);
}

/*
 * cr_symtab_find_symbol's scan of MOD's table by NAME: the first symbol of
 * that name with a section, in table order.  1 and *ADDR, or 0.
 */
static int find_by_scan(Dwfl_Module *mod, const char *name, GElf_Addr *addr)
{
	int n = dwfl_module_getsymtab(mod);
	for (int i = 1; i < n; i++) {
		GElf_Sym s;
		GElf_Addr v;
		const char *nm = dwfl_module_getsym_info(mod, i, &s, &v, NULL,
							 NULL, NULL);
		if (nm && s.st_shndx != SHN_UNDEF && strcmp(nm, name) == 0) {
			*addr = v;
			return 1;
		}
	}
	return 0;
}

/* T finds by name in MOD what the scan of MOD's table finds. */
static void compare_find(Dwfl_Module *mod, const struct cr_symtemplate *t)
{
	/* Exported; a local the debug file's table alone has; none. */
	static const char *const names[] = {
		"gnu_get_libc_version", "main_arena", "__abort_msg",
		"symindex_label_local", "coroner_no_such_symbol",
	};
	GElf_Addr bias;
	assert_non_null(dwfl_module_getelf(mod, &bias));
	size_t found = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		GElf_Addr a_d = 1, a_t = 2;
		int r_d = find_by_scan(mod, names[i], &a_d);
		int r_t = cr_symtemplate_find(t, bias, names[i], &a_t);
		if (r_d != r_t || (r_d && a_d != a_t))
			fail_msg("%s: libdwfl %d %#llx, template %d %#llx",
				 names[i], r_d, (unsigned long long)a_d, r_t,
				 (unsigned long long)a_t);
		found += r_d;
	}
	assert_true(found >= 1);	/* one name at least is there */
}

/*
 * The template's index of MOD and libdwfl agree just past each of MOD's
 * sizeless labels (up to 400), where no sized symbol may cover the address
 * and the answer is the label at the largest end so far: what the sampled
 * probes reach only for a few of them.
 */
static void compare_labels(Dwfl_Module *mod, const struct cr_symtemplate *t)
{
	struct cr_symindex *ix = cr_symindex_of(t, mod);
	assert_non_null(ix);
	int n = dwfl_module_getsymtab(mod);
	size_t asked = 0, labels = 0;
	for (int i = 1; i < n && asked < 400; i++) {
		GElf_Sym s;
		GElf_Addr v;
		const char *nm = dwfl_module_getsym_info(mod, i, &s, &v, NULL,
							 NULL, NULL);
		if (!nm || !nm[0] || s.st_shndx == SHN_UNDEF || s.st_size != 0)
			continue;
		asked++;
		for (GElf_Addr a = v; a < v + 3 && a >= v; a++) {
			GElf_Off off_d = 1, off_i = 2;
			GElf_Sym sym_d = { 0 }, sym_i = { 0 };
			const char *nd = dwfl_module_addrinfo(mod, a, &off_d, &sym_d,
							      NULL, NULL, NULL);
			const char *ni = cr_symindex_addrinfo(ix, a, &off_i, &sym_i);
			if (!(nd == ni || (nd && ni && strcmp(nd, ni) == 0)) ||
			    off_d != off_i)
				fail_msg("past label %s, %#llx: libdwfl %s+%#llx, index %s+%#llx",
					 nm, (unsigned long long)a, nd ? nd : "(none)",
					 (unsigned long long)off_d, ni ? ni : "(none)",
					 (unsigned long long)off_i);
			labels += nd && s.st_size == 0 && sym_d.st_size == 0;
		}
	}
	print_message("%zu labels, %zu answers a label\n", asked, labels);
	cr_symindex_free(ix);
}

/*
 * A template read from FILE's module at BASE gives, for the same file
 * loaded elsewhere (another dump: ASLR), the index libdwfl agrees with
 * there (symindex.h; what a batch worker keeps across dumps).
 */
static void check_moved(const char *file, const Dwfl_Callbacks *cb)
{
	Dwfl_Module *mod, *moved;
	Dwfl *dwfl = session(file, cb, &mod);
	assert_non_null(dwfl);
	struct cr_symtemplate *t = cr_symtemplate_new(mod);
	assert_non_null(t);
	compare_with(mod, t);
	dwfl_end(dwfl);	/* the template outlives the session */
	Dwfl *other = session_at(file, cb, BASE + 0x3a7000, &moved);
	assert_non_null(other);
	compare_with(moved, t);
	compare_labels(moved, t);
	compare_find(moved, t);
	dwfl_end(other);
	cr_symtemplate_free(t);
}

static const char *libc_path(void)
{
	Dl_info info;
	if (!dladdr((void *)&gnu_get_libc_version, &info) || !info.dli_fname)
		return NULL;
	return info.dli_fname;
}

/* The debug file libdwfl found for MOD, NULL when none. */
static const char *debug_file(Dwfl_Module *mod)
{
	const char *dbg = NULL;
	dwfl_module_getsymtab(mod);
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, &dbg);
	return dbg;
}

/* The address of MOD's symbol NAME (the test fails without it). */
static GElf_Addr value_of(Dwfl_Module *mod, const char *name)
{
	GElf_Addr v = 0;
	if (!find_by_scan(mod, name, &v))
		fail_msg("no symbol %s", name);
	return v;
}

static void test_libc_dynsym(void **state)
{
	(void)state;
	Dwfl_Module *mod;
	Dwfl *dwfl = session(libc_path(), &without_debug, &mod);
	assert_non_null(dwfl);
	assert_null(debug_file(mod));
	assert_non_null(strstr(libc_path(), "libc.so"));
	compare(mod);
	dwfl_end(dwfl);
	check_moved(libc_path(), &without_debug);
}

static void test_libc_debug_file(void **state)
{
	(void)state;
	Dwfl_Module *mod;
	Dwfl *dwfl = session(libc_path(), &with_debug, &mod);
	assert_non_null(dwfl);
	if (!debug_file(mod)) {
		dwfl_end(dwfl);
		print_message("skipped: glibc's debug file is not installed (libc6-dbg)\n");
		skip();
	}
	/* The debug file's .symtab has the locals (first_global > 1). */
	assert_true(dwfl_module_getsymtab_first_global(mod) > 1);
	compare(mod);
	dwfl_end(dwfl);
	check_moved(libc_path(), &with_debug);
}

static void test_self(void **state)
{
	(void)state;
	Dwfl_Module *mod;
	Dwfl *dwfl = session(self_path, &without_debug, &mod);
	assert_non_null(dwfl);
	assert_true(dwfl_module_getsymtab_first_global(mod) > 1);
	compare(mod);
	/* A sizeless label: _end has no size and nothing sized lies past it. */
	GElf_Off off = 0;
	GElf_Sym sym;
	struct cr_symindex *ix = cr_symindex_new(mod);
	assert_non_null(ix);
	GElf_Addr end_value = value_of(mod, "_end");
	const char *name = cr_symindex_addrinfo(ix, end_value, &off, &sym);
	assert_non_null(name);
	assert_int_equal(sym.st_size, 0);
	assert_int_equal(off, 0);

	GElf_Addr label = value_of(mod, "symindex_label_global");
	assert_string_equal(cr_symindex_addrinfo(ix, label, &off, &sym),
			    "symindex_label_global");
	assert_string_equal(cr_symindex_addrinfo(ix, label + 2, &off, &sym),
			    "symindex_label_local");
	assert_int_equal(off, 2);
	cr_symindex_free(ix);
	dwfl_end(dwfl);
	check_moved(self_path, &without_debug);
}

int main(void)
{
	self_path = "/proc/self/exe";
	elf_version(EV_CURRENT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libc_dynsym),
		cmocka_unit_test(test_libc_debug_file),
		cmocka_unit_test(test_self),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
