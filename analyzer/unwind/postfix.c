/*
 * postfix.c - evaluation of Breakpad postfix expressions (see postfix.h).
 *
 * One pass over the tokens with a fixed-size value stack; no allocation.
 * A stack entry is either a number or a reference to a name: a name is only
 * turned into its value when an operator needs it, because "=" needs the
 * name itself on its left (Breakpad's PostfixEvaluator keeps identifiers on
 * the stack the same way).  Arithmetic is done in 64 bits and truncated to
 * the environment's word width after every operator, which gives the
 * wrapping 32-bit results Breakpad computes with uint32_t on x86.
 */
#include "postfix.h"

#include <string.h>

enum pf_kind { PF_NUM, PF_NAME, PF_UNDEF };

struct pf_entry {
	enum pf_kind kind;
	uint64_t num;
	char name[PF_MAX_NAME + 1];
};

static uint64_t pf_mask(const struct pf_env *env, uint64_t v)
{
	return env->width == 4 ? (v & 0xffffffffu) : v;
}

bool pf_vars_set(struct pf_vars *vars, const char *name, uint64_t value)
{
	size_t len = strlen(name);
	if (len == 0 || len > PF_MAX_NAME)
		return false;
	for (unsigned i = 0; i < vars->n; i++) {
		if (!strcmp(vars->v[i].name, name)) {
			vars->v[i].value = value;
			return true;
		}
	}
	if (vars->n >= PF_MAX_VARS)
		return false;
	struct pf_var *v = &vars->v[vars->n++];
	memcpy(v->name, name, len + 1);
	v->value = value;
	v->assigned = false;
	return true;
}

const struct pf_var *pf_vars_get(const struct pf_vars *vars, const char *name)
{
	if (!vars)
		return NULL;
	for (unsigned i = 0; i < vars->n; i++)
		if (!strcmp(vars->v[i].name, name))
			return &vars->v[i];
	return NULL;
}

static void pf_vars_remove(struct pf_vars *vars, const char *name)
{
	for (unsigned i = 0; i < vars->n; i++) {
		if (!strcmp(vars->v[i].name, name)) {
			vars->v[i] = vars->v[--vars->n];
			return;
		}
	}
}

/* The value of entry E; false when it has none (undefined, unknown name). */
static bool pf_value(const struct pf_entry *e, const struct pf_vars *vars,
		     const struct pf_env *env, uint64_t *out)
{
	switch (e->kind) {
	case PF_NUM:
		*out = e->num;
		return true;
	case PF_NAME: {
		const struct pf_var *v = pf_vars_get(vars, e->name);
		if (v) {
			*out = pf_mask(env, v->value);
			return true;
		}
		if (env->lookup && env->lookup(env->ctx, e->name, out)) {
			*out = pf_mask(env, *out);
			return true;
		}
		return false;
	}
	case PF_UNDEF:
		break;
	}
	return false;
}

/* Parse a literal: [-]decimal or [-]0xhex that fits 64 bits. */
static bool pf_number(const char *t, size_t len, uint64_t *out)
{
	bool neg = false;
	size_t i = 0;
	if (i < len && t[i] == '-') {
		neg = true;
		i++;
	}
	unsigned base = 10;
	if (len - i > 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	if (i == len)
		return false;
	uint64_t v = 0;
	for (; i < len; i++) {
		unsigned d;
		char c = t[i];
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		if (__builtin_mul_overflow(v, base, &v) ||
		    __builtin_add_overflow(v, d, &v))
			return false;
	}
	*out = neg ? (uint64_t)0 - v : v;
	return true;
}

static bool pf_binary(char op, uint64_t a, uint64_t b, uint64_t *out)
{
	switch (op) {
	case '+': *out = a + b; return true;
	case '-': *out = a - b; return true;
	case '*': *out = a * b; return true;
	case '/':
		if (b == 0)
			return false;
		*out = a / b;
		return true;
	case '%':
		if (b == 0)
			return false;
		*out = a % b;
		return true;
	case '@':
		/* Breakpad: operand1 & -operand2; only powers of two make sense */
		if (b == 0 || (b & (b - 1)))
			return false;
		*out = a & ~(b - 1);
		return true;
	}
	return false;
}

static bool pf_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool pf_eval(const char *expr, size_t len, struct pf_vars *vars,
	     const struct pf_env *env, uint64_t *result)
{
	struct pf_entry st[PF_MAX_STACK];
	unsigned sp = 0;
	size_t i = 0;

	while (i < len) {
		while (i < len && pf_is_space(expr[i]))
			i++;
		if (i == len)
			break;
		size_t start = i;
		while (i < len && !pf_is_space(expr[i]))
			i++;
		const char *t = expr + start;
		size_t tl = i - start;

		/* "=$ebp": an assignment glued to the next token (MSVC) */
		if (tl > 1 && t[0] == '=') {
			i = start + 1;
			tl = 1;
		}

		if (tl == 1 && strchr("+-*/%@", t[0])) {
			uint64_t a, b, r;
			if (sp < 2 || !pf_value(&st[sp - 1], vars, env, &b) ||
			    !pf_value(&st[sp - 2], vars, env, &a) ||
			    !pf_binary(t[0], a, b, &r))
				return false;
			sp--;
			st[sp - 1].kind = PF_NUM;
			st[sp - 1].num = pf_mask(env, r);
		} else if (tl == 1 && t[0] == '^') {
			uint64_t a, r;
			if (sp < 1 || !pf_value(&st[sp - 1], vars, env, &a) ||
			    !env->deref || !env->deref(env->ctx, a, &r))
				return false;
			st[sp - 1].kind = PF_NUM;
			st[sp - 1].num = pf_mask(env, r);
		} else if (tl == 1 && t[0] == '=') {
			if (sp < 2 || !vars || st[sp - 2].kind != PF_NAME)
				return false;
			const char *name = st[sp - 2].name;
			/* Breakpad: only $-variables can be assigned */
			if (name[0] != '$')
				return false;
			if (st[sp - 1].kind == PF_UNDEF) {
				pf_vars_remove(vars, name);
			} else {
				uint64_t v;
				if (!pf_value(&st[sp - 1], vars, env, &v) ||
				    !pf_vars_set(vars, name, v))
					return false;
				for (unsigned k = 0; k < vars->n; k++)
					if (!strcmp(vars->v[k].name, name))
						vars->v[k].assigned = true;
			}
			sp -= 2;
		} else {
			if (sp >= PF_MAX_STACK)
				return false;
			struct pf_entry *e = &st[sp];
			if (tl == 6 && !memcmp(t, ".undef", 6)) {
				e->kind = PF_UNDEF;
			} else if (pf_number(t, tl, &e->num)) {
				e->kind = PF_NUM;
				e->num = pf_mask(env, e->num);
			} else if (t[0] == '$' || t[0] == '.' ||
				   (t[0] >= 'a' && t[0] <= 'z') ||
				   (t[0] >= 'A' && t[0] <= 'Z')) {
				if (tl > PF_MAX_NAME)
					return false;
				e->kind = PF_NAME;
				memcpy(e->name, t, tl);
				e->name[tl] = '\0';
			} else {
				return false;
			}
			sp++;
		}
	}

	if (!result)
		return sp == 0;
	if (sp != 1)
		return false;
	return pf_value(&st[0], vars, env, result);
}
