/*
 * signature_norm.c - the names a signature is made of (docs/signatures.md).
 *
 * A frame's function name, as the symbolizers give it, carries what changes
 * between builds of the same code: parameter lists and template arguments
 * (which vary with the types a change touches elsewhere), compiler clone
 * suffixes (".isra.0" today, ".constprop.1" after a compiler upgrade), a
 * Rust symbol hash, a Windows "module!" prefix and "+0x12" offset.  What is
 * left is the qualified name a person would grep for:
 *   std::vector<int>::push_back(int const&)  ->  std::vector::push_back
 * A module name loses its directory and its ".so" version: a library
 * upgraded from .so.1.2 to .so.1.3 is the same program.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"
#include "signature.h"
#include "util.h"

/* Compiler clone suffixes: GCC's and LLVM's names for copies of a
 * function (".isra.0.cold", ".part.0.constprop.0"): the name ends at the
 * first of them. */
static const char *const clone_suffixes[] = {
	".constprop", ".cold", ".isra", ".part", ".lto_priv", ".localalias",
	".llvm.", ".clone", ".specialized",
};

/* Bracketed annotations a demangler adds: " [clone .isra.0]", the ABI tag
 * "[abi:cxx11]"; removed wherever they are. */
static const char *const annotations[] = { " [clone ", "[clone ", "[abi:" };

/* Characters an operator name may be spelled with after "operator". */
static const char operator_chars[] = "<>=!+-*/%^&|~,";

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

static void cut_annotations(char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(annotations); i++) {
		char *p;
		while ((p = strstr(s, annotations[i]))) {
			char *end = strchr(p, ']');
			if (!end) {
				*p = '\0';
				break;
			}
			memmove(p, end + 1, strlen(end + 1) + 1);
		}
	}
}

static void cut_clone_suffix(char *s)
{
	for (size_t i = 0; i < ARRAY_LEN(clone_suffixes); i++) {
		char *p = strstr(s, clone_suffixes[i]);
		if (!p)
			continue;
		/* ".cold" but not ".coldest": the suffix ends at the end,
		 * a dot, a digit or a parameter list */
		char after = p[strlen(clone_suffixes[i])];
		if (clone_suffixes[i][strlen(clone_suffixes[i]) - 1] == '.' ||
		    !after || after == '.' || after == '(' || after == ' ' ||
		    isdigit((unsigned char)after))
			*p = '\0';
	}
}

/* "::h0123456789abcdef": the hash rustc appends to a legacy-mangled name. */
static void cut_rust_hash(char *s)
{
	size_t n = strlen(s);
	if (n < 19 || memcmp(s + n - 19, "::h", 3))
		return;
	for (size_t i = n - 16; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return;
	s[n - 19] = '\0';
}

/* Windows debuggers' "module!function+0x12": the function alone. */
static char *cut_windows_decoration(char *s)
{
	char *bang = strchr(s, '!');
	if (bang && bang[1] && strcspn(s, "<(") > (size_t)(bang - s) &&
	    (bang - s < 8 || strncmp(bang - 8, "operator", 8)))
		s = bang + 1;
	char *plus = strstr(s, "+0x");
	if (plus && strspn(plus + 3, "0123456789abcdefABCDEF") == strlen(plus + 3))
		*plus = '\0';
	return s;
}

/* Index just past the bracket matching s[i] (OPEN), or strlen(s).  Parens
 * and angle brackets nest inside each other: std::function<void (int)>. */
static size_t skip_group(const char *s, size_t i)
{
	int depth = 0;
	for (; s[i]; i++) {
		if (s[i] == '<' || s[i] == '(')
			depth++;
		else if ((s[i] == '>' || s[i] == ')') && --depth == 0)
			return i + 1;
	}
	return i;
}

/* Rust's "<myapp::Parser as core::ops::Drop>::drop": the type's name,
 * "myapp::Parser::drop" (the trait says which method, the type whose). */
static void cut_rust_impl(char *s)
{
	if (s[0] != '<')
		return;
	size_t end = skip_group(s, 0);
	char *as = strstr(s, " as ");
	if (!as || (size_t)(as - s) >= end)
		return;
	size_t name = (size_t)(as - s) - 1;
	memmove(s, s + 1, name);
	memmove(s + name, s + end, strlen(s + end) + 1);
}

/* After "operator" at s[i]: how many characters name the operator
 * ("()", "[]", "<<=", " new[]", " bool"). */
static size_t operator_len(const char *s, size_t i)
{
	size_t n = strlen("operator");
	if (!strncmp(s + i + n, "()", 2) || !strncmp(s + i + n, "[]", 2))
		return n + 2;
	size_t k = strspn(s + i + n, operator_chars);
	if (k) {
		/* "operator< <Foo>": the template's "<" is not the operator's */
		return n + (k > 3 ? 3 : k);
	}
	if (s[i + n] == ' ') {		/* "operator new[]", "operator bool" */
		k = n + 1;
		while (is_ident(s[i + k]))
			k++;
		if (!strncmp(s + i + k, "[]", 2))
			k += 2;
		return k;
	}
	return n;
}

static bool starts_operator(const char *s, size_t i)
{
	return !strncmp(s + i, "operator", 8) && (i == 0 || !is_ident(s[i - 1])) &&
	       !is_ident(s[i + 8]);
}

/*
 * Copy S without template arguments and parameter lists into OUT (as long
 * as S).  A parameter list ends the name unless "::" follows (a local
 * entity: "f(int)::{lambda(int)#1}"); "(anonymous namespace)" is a name.
 */
static void strip_groups(const char *s, char *out)
{
	size_t o = 0;
	int braces = 0;		/* inside "{lambda(int)#1}" */
	for (size_t i = 0; s[i];) {
		if (starts_operator(s, i)) {
			size_t k = operator_len(s, i);
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else if (!strncmp(s + i, "(anonymous namespace)", 21)) {
			memcpy(out + o, s + i, 21);
			o += 21;
			i += 21;
		} else if (s[i] == '<') {
			i = skip_group(s, i);
		} else if (s[i] == '(') {
			i = skip_group(s, i);
			if (!braces && strncmp(s + i, "::", 2))
				break;		/* " const", " &&", "[clone]" */
		} else {
			braces += s[i] == '{' ? 1 : s[i] == '}' && braces ? -1 : 0;
			out[o++] = s[i++];
		}
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* "int ns::f" -> "ns::f": the return type a demangled template function
 * carries, the part before the last space outside brackets that does not
 * follow "operator". */
static const char *cut_return_type(const char *s)
{
	const char *name = s;
	int depth = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '(' || *p == '{')
			depth++;
		else if ((*p == ')' || *p == '}') && depth)
			depth--;
		else if (*p == ' ' && !depth &&
			 !(p - s >= 8 && !strncmp(p - 8, "operator", 8)))
			name = p + 1;
	}
	return name;
}

/* Longer names are cut: every step below is linear or close to it, and a
 * key that long helps nobody (a hostile symbol table may hold megabytes). */
#define MAX_NAME 4096

/* See signature.h. */
char *cr_sig_function(const char *function)
{
	char *copy = strndup(function ? function : "", MAX_NAME);
	char *out = copy ? malloc(strlen(copy) + 1) : NULL;
	if (!out) {
		free(copy);
		return NULL;
	}
	char *s = cut_windows_decoration(copy);
	cut_annotations(s);
	cut_clone_suffix(s);
	cut_rust_hash(s);
	cut_rust_impl(s);
	strip_groups(s, out);
	const char *name = cut_return_type(out);
	memmove(out, name, strlen(name) + 1);
	free(copy);
	return out;
}

/* See signature.h. */
char *cr_sig_module(const char *module)
{
	const char *base = module ? module : "";
	for (const char *p = base; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	char *out = strdup(base);
	if (!out)
		return NULL;
	char *so = strstr(out, ".so.");
	if (so)
		so[3] = '\0';
	return out;
}

/* Directories whose libraries are the system's, not the program's. */
static const char *const system_dirs[] = {
	"/lib/", "/lib32/", "/lib64/", "/usr/lib/", "/usr/lib32/",
	"/usr/lib64/", "/usr/libexec/", "/system/lib", "/apex/",
	"/System/Library/", "/usr/lib/system/",
};
static const char *const system_dirs_nocase[] = {
	"c:\\windows\\", "\\windows\\system32\\", "\\windows\\syswow64\\",
	"\\windows\\winsxs\\",
};

/* See signature.h. */
bool cr_sig_module_is_own(const struct cr_module *m)
{
	if (!m || m->is_main)
		return m != NULL;
	const char *path = m->path ? m->path : "";
	for (size_t i = 0; i < ARRAY_LEN(system_dirs); i++)
		if (!strncmp(path, system_dirs[i], strlen(system_dirs[i])))
			return false;
	for (size_t i = 0; i < ARRAY_LEN(system_dirs_nocase); i++)
		if (strcasestr(path, system_dirs_nocase[i]))
			return false;
	return true;
}
