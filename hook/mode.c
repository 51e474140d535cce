/* The three network modes by name. Pure. */
#include "mode.h"

#include <stddef.h>
#include <strings.h>

static const char *const mode_names[] = {"none", "http", "full"};

const char *mode_name(enum nw_mode m)
{
	return (unsigned)m < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[m] : "?";
}

int mode_parse(const char *s, enum nw_mode *out)
{
	for (unsigned i = 0; s != NULL && i < sizeof(mode_names) / sizeof(mode_names[0]); i++) {
		if (strcasecmp(s, mode_names[i]) == 0) {
			*out = (enum nw_mode)i;
			return 0;
		}
	}
	return -1;
}
