/*
 * error.c - creation and wrapping of struct cr_error (see error.h).
 */
#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cr_error cr_enomem = { CR_ERR_NOMEM, "out of memory" };

char *cr_strdup_vprintf(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

char *cr_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	return s;
}

struct cr_error *cr_error_vnew(enum cr_errcode code, const char *fmt,
			       va_list ap)
{
	struct cr_error *err = malloc(sizeof(*err));
	if (!err)
		return &cr_enomem;
	err->code = code;
	err->message = cr_strdup_vprintf(fmt, ap);
	if (!err->message) {
		free(err);
		return &cr_enomem;
	}
	return err;
}

struct cr_error *cr_error_new(enum cr_errcode code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct cr_error *err = cr_error_vnew(code, fmt, ap);
	va_end(ap);
	return err;
}

struct cr_error *cr_error_wrap(struct cr_error *err, const char *fmt, ...)
{
	if (!err || err == &cr_enomem)
		return err;
	va_list ap;
	va_start(ap, fmt);
	char *ctx = cr_strdup_vprintf(fmt, ap);
	va_end(ap);
	if (!ctx)
		return err;	/* keep the inner message rather than lose it */
	char *msg = cr_strdup_printf("%s: %s", ctx, err->message);
	free(ctx);
	if (msg) {
		free(err->message);
		err->message = msg;
	}
	return err;
}

void cr_error_free(struct cr_error *err)
{
	if (!err || err == &cr_enomem)
		return;
	free(err->message);
	free(err);
}

const char *cr_fmt_count(char *buf, unsigned long long n)
{
	char digits[24];
	int len = snprintf(digits, sizeof(digits), "%llu", n);
	size_t o = 0;
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}
