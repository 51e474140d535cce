/* The job's /etc/resolv.conf under interception: its text, and the
 * config.json mount that gives it to the job. Pure. */
#ifndef NW_OCI_RESOLV_H
#define NW_OCI_RESOLV_H

#include "err.h"
#include "json.h"

#define OCI_RESOLV_DEST "/etc/resolv.conf"

/* The file's text: the gateway as the only nameserver (the job's proxy
 * answers there), no search list, and short waits, since the resolver is
 * one hop away and answers or refuses at once. */
const char *oci_resolv_text(void);
/* Mounts source (an absolute path) read-only at /etc/resolv.conf: every
 * mount config.json already has there (the engine's own, say) goes, and
 * ours is the last mount, so nothing mounted over /etc hides it. Patching
 * twice changes nothing. */
int oci_resolv_patch(struct json *config, const char *source, nw_err *err);

#endif
