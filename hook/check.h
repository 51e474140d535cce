/* `netward check-config`: validate a node config, print the policy it
 * yields with where each value came from, and advise (advise.h). */
#ifndef NW_CHECK_H
#define NW_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

struct check_opts {
	const char *file; /* NULL: path below */
	bool json;
	bool strict; /* warnings are errors */
};

/* path/explicit_path as for config_load. 0 when valid (and, with strict,
 * free of warnings); -1 with err set otherwise. Prints to out, and notes
 * (warnings, hints, "is valid") to note. */
int check_config_run(const char *path, bool explicit_path, const struct check_opts *o, FILE *out,
		     FILE *note, nw_err *err);

#endif
