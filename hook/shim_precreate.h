/* Running a hooks.d precreate hook as podman does: config.json on its
 * stdin, the new config.json from its stdout, in the bundle directory, with
 * the hook's args and env (and nothing else in the environment). */
#ifndef NW_SHIM_PRECREATE_H
#define NW_SHIM_PRECREATE_H

#include "err.h"
#include "hooksd.h"
#include "json.h"

/* Replaces *conf with the hook's output. A non-zero exit, a signal, its
 * timeout, output over OCI_CONFIG_MAX or output that is not a JSON object
 * is an error naming the hook file, and *conf is left as it was. */
int shim_precreate(const struct hooksd_hook *h, const char *bundle, struct json **conf,
		   nw_err *err);

#endif
