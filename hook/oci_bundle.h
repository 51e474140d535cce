/* A bundle's config.json on disk: the effects beside oci.h's pure parsing
 * and patching. */
#ifndef NW_OCI_BUNDLE_H
#define NW_OCI_BUNDLE_H

#include "err.h"
#include "json.h"
#include "oci.h"

/* bundle/config.json as a tree. The file is opened with O_NOFOLLOW and must
 * be a regular file of at most OCI_CONFIG_MAX bytes. */
struct json *oci_config_load(const char *bundle, nw_err *err);
/* oci_config_load + oci_config_extract; keeps the tree in out->json. */
int oci_config_read(const char *bundle, struct oci_config *out, nw_err *err);
/* Writes bundle/config.json atomically: config.json.tmp (created afresh,
 * O_EXCL, with the old file's mode and owner), fsync, rename, fsync of the
 * directory. */
int oci_config_write(const char *bundle, const struct json *config, nw_err *err);

#endif
