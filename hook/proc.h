/* Process plumbing shared by the monitor and the firewall: descriptors a
 * long-lived or detached process must not keep, and calls run in a
 * detached grandchild. */
#ifndef NW_PROC_H
#define NW_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Start time of pid (from /proc/PID/stat), 0 when it does not exist. */
uint64_t proc_start_time(pid_t pid);
/* Is pid still the process that had this start time? */
bool proc_alive(pid_t pid, uint64_t start);

/* Closes every descriptor from 3 up but those in keep[0..n). */
void proc_close_fds_except(const int *keep, size_t n);
/* Points stdin, stdout and stderr at /dev/null; _exits when it cannot. */
void proc_stdio_to_null(void);

/* Runs fn(arg, err) in a grandchild that nobody waits for and that holds
 * none of the caller's descriptors (no runtime pipe) but keep_fd (-1 for
 * none), which it closes as soon as fn returns. Returns fn's result, with
 * its error, as soon as fn returns; what fn leaves open is released when
 * the grandchild exits after reporting, at no cost to the caller. Passing
 * the state lock as keep_fd keeps it held until fn is done even if the
 * caller dies meanwhile. fn must not print: its stdio is /dev/null. */
int proc_call_detached(int (*fn)(void *arg, nw_err *err), void *arg, int keep_fd, nw_err *err);

/* Runs fn(arg) in a child of a session of its own, with stdio on
 * /dev/null, no signal blocked, and none of the caller's descriptors but
 * keep[0..n) and the node log, and returns at once without waiting for
 * it: for a caller about to exit (a hook), whose child then goes to the
 * nearest subreaper or init. The child is named name (ps, pgrep) and
 * exits when fn returns. Returns 0, or -1 when it could not be started
 * (fn has not run). */
int proc_detach(void (*fn)(void *arg), void *arg, const char *name, const int *keep, size_t n,
		nw_err *err);

#endif
