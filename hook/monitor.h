/* The job's monitor: a small privileged process, detached from the
 * runtime, that runs the job's sandboxed proxy and tears the job down when
 * its namespace goes away, even if poststop never comes. */
#ifndef NW_MONITOR_H
#define NW_MONITOR_H

#include "config.h"
#include "err.h"
#include "policy.h"
#include "state.h"

/* What the monitor calls, in its own process, once the job's link is gone
 * (the container's namespace went away): the job's teardown, r being the
 * record as the monitor was started with it. */
typedef void (*monitor_teardown_fn)(const struct job_record *r);

/* Forks the monitor (own session, stdio on /dev/null, no other inherited
 * fds); for an http job it first binds the job's proxy on its gateway and
 * runs the proxy under the monitor, returning once it serves. The pids are
 * filled into r. A full job gets the monitor alone. */
int monitor_spawn(const struct nw_config *cfg, const struct job_policy *pol, struct job_record *r,
		  monitor_teardown_fn teardown, nw_err *err);

#endif
