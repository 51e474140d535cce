/* The proxy's sandbox: one function, one fixed order, fail closed. */
#ifndef NW_SANDBOX_H
#define NW_SANDBOX_H

#include <sys/types.h>

#include "err.h"

/* rlimits (no core, bounded file size, no new processes) → when root:
 * capability bounding set emptied, setgroups/setresgid/setresuid to
 * uid/gid, checked that root cannot come back → every capability set
 * (effective, permitted, inheritable, ambient) emptied and checked →
 * PR_SET_NO_NEW_PRIVS → seccomp allow-list (seccomp/proxy.syscalls),
 * anything else kills the process. Any failure is returned and the caller
 * must not serve. When not root the uid change is skipped. */
int sandbox_enter(uid_t uid, gid_t gid, nw_err *err);

#endif
