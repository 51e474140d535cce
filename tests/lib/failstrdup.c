/* LD_PRELOAD shim for allocation-failure tests: the Nth strdup() (1-based,
 * NW_FAIL_STRDUP_AT) of exactly the string NW_FAIL_STRDUP returns NULL with
 * errno ENOMEM, as it would under memory pressure; every other call is
 * glibc's. The count is per process. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	static char *(*real)(const char *);
	static int seen;
	const char *target = getenv("NW_FAIL_STRDUP");
	const char *at = getenv("NW_FAIL_STRDUP_AT");

	if (real == NULL)
		real = (char *(*)(const char *))dlsym(RTLD_NEXT, "strdup");
	if (target != NULL && at != NULL && strcmp(s, target) == 0 && ++seen == atoi(at)) {
		errno = ENOMEM;
		return NULL;
	}
	return real(s);
}
