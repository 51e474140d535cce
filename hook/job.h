/* A job's life on the node: setup at prestart/createRuntime, teardown at
 * poststop, by the job's monitor or by gc. */
#ifndef NW_JOB_H
#define NW_JOB_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "err.h"
#include "policy.h"
#include "state.h"

struct job_start {
	const char *id;
	const char *bundle; /* the runtime's bundle path */
	pid_t pid;	    /* the container's */
};

/* Builds the job's network for its mode and records it. All or nothing:
 * on failure everything made so far is removed. A live job recorded under
 * the same id (the same id under another runtime root) is refused, never
 * torn down. */
int job_setup(const struct nw_config *cfg, const struct job_start *st, const struct job_policy *pol,
	      nw_err *err);
/* poststop: the teardown of the job under id, unless the record is another
 * container's: another bundle, or (stopped: the runtime says its container
 * has stopped) a recorded container that still runs. */
/* `netward job-monitor FD`: the job's monitor, started by the hook's
 * monitor_spawn; never returns. */
__attribute__((noreturn)) void job_monitor_main(const char *spec_fd);

int job_poststop(const char *id, const char *bundle, bool stopped, nw_err *err);
/* Removes everything the job has, for a record already read, with the lock
 * held; idempotent, needs no pid or namespace. Firewall first, then links,
 * then processes, then the state entry. */
int job_teardown_locked(const struct job_record *r, nw_err *err);

/* Is the job recorded in r still running? */
bool job_alive(const struct job_record *r);

#endif
