#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *vformat(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

/* Sets *err to msg (taken over) and code. */
static int set(nw_err *err, int code, char *msg)
{
	*err = calloc(1, sizeof(**err));
	if (*err == NULL) {
		free(msg);
		return -1;
	}
	(*err)->code = code;
	(*err)->msg = msg;
	return -1;
}

int nw_fail(nw_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	char *base, *full = NULL;

	if (err == NULL || *err != NULL)
		return -1;
	va_start(ap, fmt);
	base = vformat(fmt, ap);
	va_end(ap);
	if (base != NULL && errnum != 0) {
		if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0)
			full = NULL;
		free(base);
	} else {
		full = base;
	}
	return set(err, errnum, full);
}

int nw_fail_code(nw_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (err == NULL || *err != NULL)
		return -1;
	va_start(ap, fmt);
	msg = vformat(fmt, ap);
	va_end(ap);
	return set(err, code, msg);
}

int nw_err_move(nw_err *dst, nw_err *src)
{
	if (dst != NULL && *dst == NULL) {
		*dst = *src;
		*src = NULL;
	}
	nw_err_free(src);
	return -1;
}

int nw_wrap(nw_err *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx, *full;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	ctx = vformat(fmt, ap);
	va_end(ap);
	if (ctx == NULL)
		return -1;
	if (asprintf(&full, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "unknown error") < 0) {
		free(ctx);
		return -1;
	}
	free(ctx);
	free((*err)->msg);
	(*err)->msg = full;
	return -1;
}

void nw_err_free(nw_err *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int nw_err_code(nw_err err)
{
	return err != NULL ? err->code : 0;
}

const char *nw_err_msg(nw_err err)
{
	if (err == NULL)
		return "no error";
	return err->msg ? err->msg : "out of memory";
}

const char *nw_quote(const char *s, size_t max, char *buf, size_t len)
{
	size_t o = 0, i;

	for (i = 0; s[i] != '\0' && i < max && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (s[i] != '\0' && o + 4 < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}
