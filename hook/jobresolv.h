/* The file a job's /etc/resolv.conf is mounted from, under interception
 * (oci_resolv.h gives its text and its mount). One file per bundle, not
 * one for the node: a job able to remount its copy writable changes only
 * its own. */
#ifndef NW_JOBRESOLV_H
#define NW_JOBRESOLV_H

#include <stddef.h>

#include "err.h"
#include "json.h"

/* precreate's files: tmpfs, readable by every uid (a container in a user
 * namespace mounts from there too); written again at each precreate, which
 * engines run at every start. */
#define JOBRESOLV_DIR "/run/netward-resolv"

/* Where precreate puts config's file: JOBRESOLV_DIR/<hash of its root
 * path>.conf, the same for the same container at every start. */
int jobresolv_precreate_path(const struct json *config, char *buf, size_t len, nw_err *err);
/* Where patch-bundle puts it: DIR/netward-resolv.conf, kept with the
 * bundle, so a bundle patched before a reboot still starts. */
int jobresolv_bundle_path(const char *dir, char *buf, size_t len, nw_err *err);
/* Writes the text at path (0644), atomically, unless it is already there. */
int jobresolv_write(const char *path, nw_err *err);
/* At teardown: removes the file precreate made for the container of
 * bundle (its config.json's resolv.conf mount, when it lies under
 * JOBRESOLV_DIR). Nothing there, or no bundle left, is fine. */
void jobresolv_forget(const char *bundle);

#endif
