#include "ident.h"

#include <string.h>

_Static_assert(sizeof(NW_IF_PREFIX) - 1 + NW_IF_HEX < NW_IFNAMSIZ, "interface name length");

bool ident_job_id_valid(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > NW_ID_MAX)
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\'' || *p == '\\')
			return false;
	return true;
}

bool ident_ifname_valid(const char *s)
{
	size_t pre = sizeof(NW_IF_PREFIX) - 1;

	return s != NULL && strlen(s) == pre + NW_IF_HEX && strncmp(s, NW_IF_PREFIX, pre) == 0 &&
	       strspn(s + pre, "0123456789abcdef") == NW_IF_HEX;
}
