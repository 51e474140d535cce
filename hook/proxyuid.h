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

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "err.h"

#define PROXYUID_BASE  1879113728u
#define PROXYUID_COUNT 65536u

/* A free uid for id's proxy: no allocation, no account (passwd or group)
 * and no process (any of its real, effective, saved or fs ids) holds it.
 * Call under the lock. */
int proxyuid_alloc(const char *id, uid_t *out, nw_err *err);
/* A process's real, effective, saved and filesystem uids, then the same
 * four gids. */
#define PROXYUID_IDS 8
/* Reads pid's ids (PIDFD_GET_INFO, else /proc/PID/status; *unsupported,
 * false at first, remembers a kernel without the former). 1 when read, 0
 * when the process is gone. */
int proxyuid_proc_ids(pid_t pid, uint32_t ids[PROXYUID_IDS], bool *unsupported);
/* Calls each for every process on the node with its ids. */
void proxyuid_scan(void (*each)(pid_t pid, const uint32_t ids[PROXYUID_IDS], void *arg), void *arg);
bool proxyuid_in_block(unsigned long v);
/* Sets the bit of each id in the block (bit i: PROXYUID_BASE + i). */
void proxyuid_mark(uint8_t *used, const uint32_t ids[PROXYUID_IDS]);
/* Frees uid when it belongs to id (0: nothing). */
void proxyuid_free(uid_t uid, const char *id);
/* Frees every allocation whose owner is not in live_ids (NULL-terminated);
 * prints each to out when non-NULL; returns how many. */
unsigned proxyuid_gc(char **live_ids, FILE *out);

#endif
