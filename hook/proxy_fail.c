/* Filling the proxy's failure struct (proxy_int.h). */
#include <stdarg.h>
#include <stdio.h>

#include "proxy_int.h"

int proxy_fail_v(struct proxy_fail *f, int status, bool denied, const char *fmt, va_list ap)
{
	f->status = status;
	f->denied = denied;
	/* A cut reason is fine: it is for reading. */
	if (vsnprintf(f->reason, sizeof(f->reason), fmt, ap) < 0)
		f->reason[0] = '\0';
	return status;
}

int proxy_refuse(struct proxy_fail *f, int status, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = proxy_fail_v(f, status, true, fmt, ap);
	va_end(ap);
	return rc;
}

int proxy_failed(struct proxy_fail *f, int status, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = proxy_fail_v(f, status, false, fmt, ap);
	va_end(ap);
	return rc;
}
