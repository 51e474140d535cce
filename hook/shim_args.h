/* netward-runc's command line: its own leading options, then a runtime
 * command line (runc's or crun's), of which it needs only the command and,
 * for create, run and restore, the bundle. Pure. */
#ifndef NW_SHIM_ARGS_H
#define NW_SHIM_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define SHIM_MAX_HOOKS_DIRS 16

struct shim_args {
	/* Leading options, consumed (not passed on):
	 *   --netward-runtime PATH|NAME, --netward-config FILE,
	 *   --netward-hooks-dir DIR (repeatable; replaces the default list). */
	const char *runtime;
	const char *config;
	size_t n_hooks_dirs;
	const char *hooks_dirs[SHIM_MAX_HOOKS_DIRS];
	int first;	    /* argv index where the runtime's arguments begin */
	const char *verb;   /* the runtime command, NULL when there is none */
	bool applies;	    /* verb is create, run or restore */
	const char *bundle; /* those: --bundle/-b, NULL = the working directory */
	const char *log;    /* --log FILE among the global options, NULL if none */
};

/* argv as the engine gave it. Refuses what it cannot read for certain: an
 * unknown global option before the command (it might take a value, hiding
 * the command), an option without its value, a create/run/restore naming a config
 * file other than the bundle's (crun's --config). */
int shim_args_parse(int argc, char *const *argv, struct shim_args *a, nw_err *err);

#endif
