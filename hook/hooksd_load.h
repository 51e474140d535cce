/* The hooks.d directories read from disk (hooksd.h parses one file). */
#ifndef NW_HOOKSD_LOAD_H
#define NW_HOOKSD_LOAD_H

#include "hooksd.h"

/* podman's: /usr/share/containers/oci/hooks.d, then /etc/containers/oci/hooks.d. */
extern const char *const hooksd_default_dirs[];
extern const size_t hooksd_n_default_dirs;

struct hooksd_set {
	size_t n;
	struct hooksd_hook *h; /* in lowercase file-name order */
};

/* Reads every *.json file of dirs in turn; a file replaces an earlier one
 * of the same name; a missing directory is skipped. Any file that cannot be
 * read, parsed, or whose hook.path is not an executable file is an error
 * naming it: the container must not start without a hook meant for it. */
int hooksd_load(const char *const *dirs, size_t n_dirs, struct hooksd_set *set, nw_err *err);
void hooksd_set_free(struct hooksd_set *set);

#endif
