/* netward-runc: an OCI runtime that applies hooks.d to a bundle at create
 * and run, then execs the real runtime (runc, crun, any path) with the
 * arguments it was given; every other command goes straight through. */
#ifndef NW_SHIM_H
#define NW_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "shim_args.h"

#define SHIM_DEFAULT_RUNTIME "runc"

struct shim_plan {
	char runtime[4096]; /* the real runtime, resolved to a path */
	bool patched;	    /* config.json was rewritten */
	size_t n_matched;   /* hooks.d files that matched */
};

/* Everything before the exec: node config, real runtime, hooks.d, and for
 * create/run the bundle's config.json rewritten (atomically) when a hook
 * matches. On failure nothing in the bundle has changed. */
int shim_prepare(const struct shim_args *a, struct shim_plan *plan, nw_err *err);

/* Execs plan->runtime with argv[a->first..]; returns only on failure. */
int shim_exec(const struct shim_plan *plan, const struct shim_args *a, int argc, char *const *argv,
	      nw_err *err);

#endif
