/* The job's monitor: a small privileged process, detached from the
 * runtime, that runs the job's sandboxed proxy and tears the job down when
 * its namespace goes away, even if poststop never comes. */
#ifndef NW_MONITOR_H
#define NW_MONITOR_H

#include "config.h"
#include "err.h"
#include "policy.h"
#include "state.h"

/* Binds the job's proxy on its gateway, forks the monitor (own session,
 * stdio on /dev/null, no other inherited fds) and the proxy under it, and
 * returns once the proxy serves, with their pids filled into r. */
int monitor_spawn(const struct nw_config *cfg, const struct job_policy *pol, struct job_record *r,
		  nw_err *err);

#endif
