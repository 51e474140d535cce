/* Which container engines on this node are registered to use netward:
 * Docker (daemon.json "runtimes" naming netward-runc, and whether it is the
 * "default-runtime"), containerd (a runc shim BinaryName naming
 * netward-runc in config.toml), podman (hooks_dir in containers.conf
 * reaching netward's hooks.d files). For `netward check-config`. */
#ifndef NW_SHIM_ENGINES_H
#define NW_SHIM_ENGINES_H

#include <stdio.h>

/* One line per engine, to out. root prefixes every path ("/" on a node; a
 * directory in tests). Reads files only; never fails: what it cannot read
 * it says. */
void shim_engines_report(const char *root, FILE *out);

#endif
