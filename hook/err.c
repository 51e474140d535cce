#include "err.h"

#include <errno.h>
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
	*err = calloc(1, sizeof(**err));
	if (*err == NULL) {
		free(full);
		return -1;
	}
	(*err)->code = errnum;
	(*err)->msg = full;
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

const char *nw_err_msg(nw_err err)
{
	if (err == NULL)
		return "no error";
	return err->msg ? err->msg : "out of memory";
}
