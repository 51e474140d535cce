/* A uid (and gid of the same number) of its own for each job's proxy, from
 * a block no account uses, as systemd's DynamicUser does: proxies then
 * share no per-user kernel limit (pipe buffers, processes, locked memory)
 * and cannot signal or ptrace one another.
 *
 * The block, PROXYUID_BASE .. +PROXYUID_COUNT-1 (1879113728-1879179263),
 * lies in the range systemd's UIDS-GIDS.md leaves unused (1879048192-
 * 2147352575): above every user and system account, the default subuid
 * ranges (login.defs: up to 600100000) and systemd-nspawn's container
 * range, below the "foreign" range. Allocations are files in
 * /run/netward/uids, made and removed under the state lock. */
#ifndef NW_PROXYUID_H
#define NW_PROXYUID_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"

#define PROXYUID_BASE  1879113728u
#define PROXYUID_COUNT 65536u

/* A free uid for id's proxy: no allocation, no account (passwd or group)
 * and no process (any of its real, effective, saved or fs ids) holds it.
 * Call under the lock. */
int proxyuid_alloc(const char *id, uid_t *out, nw_err *err);
/* Frees uid when it belongs to id (0: nothing). */
void proxyuid_free(uid_t uid, const char *id);
/* Frees every allocation whose owner is not in live_ids (NULL-terminated);
 * prints each to out when non-NULL; returns how many. */
unsigned proxyuid_gc(char **live_ids, FILE *out);

#endif
