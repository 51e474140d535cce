/* A cgroup of netward's own for each job's monitor and proxy, with a
 * memory limit: memory a job makes its proxy use is charged there and
 * bounded, never to the runtime's cgroup (where the hook runs).
 *
 * Where: the hierarchy that has the memory controller. cgroup v2 when its
 * root offers "memory" (NETWARD_CG under the cgroup2 mount, with +memory
 * enabled on the way down); otherwise the cgroup v1 memory hierarchy
 * (hybrid layouts, where the v2 mount carries no controllers). The job's
 * group is <mount>/netward/<container id>. Not the container's own cgroup:
 * runtimes kill and remove that one before poststop, and the monitor must
 * outlive the container to clean up after it. */
#ifndef NW_CGROUP_H
#define NW_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

/* The monitor and proxy of one job together: 512 MiB, several times what
 * a proxy at its connection cap holds. */
#define CGROUP_MEMORY_MAX (512ULL << 20)

/* Creates the job's group with its limit; its directory into path. */
int cgroup_job_create(const char *id, char *path, size_t len, nw_err *err);
/* Moves the calling process into the group at path. */
int cgroup_enter(const char *path, nw_err *err);
/* Moves process pid (with all its threads) into the group at path. Each
 * move waits for an RCU grace period in the kernel under cgroup v1 (about
 * 8 ms here), hence done once the job's proxy serves, not before. */
int cgroup_move(const char *path, pid_t pid, nw_err *err);
/* Removes the job's group once it is empty, waiting up to 2 s for killed
 * processes to leave it (best effort: gc removes what is left). inside:
 * the caller is in the group (a monitor tearing its own job down), and
 * leaves it first. */
void cgroup_job_remove(const char *id, bool inside);
/* Removes the empty groups of jobs not in live_ids; returns how many. */
unsigned cgroup_gc(char **live_ids);

#endif
