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

/* The command line word that makes `netward` the monitor (main.c), and the
 * largest spec it reads. */
#define MONITOR_EXEC_COMMAND "job-monitor"
#define MONITOR_SPEC_MAX     (4 * 1024 * 1024)

/* Starts the monitor (own session, stdio on /dev/null, in the job's
 * cgroup) by fork and exec of the running binary, so that it and its proxy
 * hold none of the hook's memory; what it needs comes in a spec
 * (monitor_spec.h). For an http job the job's sockets are bound here and
 * the monitor runs the proxy under it; this returns once the proxy serves.
 * The pids are filled into r. A full job gets the monitor alone. */
int monitor_spawn(const struct nw_config *cfg, const struct job_policy *pol, struct job_record *r,
		  nw_err *err);

/* The monitor, after the exec: reads the spec from descriptor spec_fd (a
 * decimal number), then runs; teardown is called once the job's link is
 * gone. Never returns. */
__attribute__((noreturn)) void monitor_exec_main(const char *spec_fd, monitor_teardown_fn teardown);

#endif
