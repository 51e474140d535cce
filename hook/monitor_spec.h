/* What the hook hands the job's monitor, which it starts by exec (a fresh
 * address space, so the monitor and its proxy carry none of the hook's
 * heap): the node config as the hook parsed it, the job's policy and
 * record, and the numbers of the descriptors it inherits. One JSON text,
 * written to a memfd the monitor reads once. */
#ifndef NW_MONITOR_SPEC_H
#define NW_MONITOR_SPEC_H

#include "config.h"
#include "err.h"
#include "jobsock.h"
#include "policy.h"
#include "state.h"

struct monitor_spec {
	struct nw_config cfg;
	struct job_policy pol;
	struct job_record r; /* id, mode, host_if, addr, proxy_uid, pid, pid_start */
	struct jobsock socks;
	int log_fd, stats_fd; /* the job's access log and counters; -1 for a full job */
	int report_fd;	      /* where the monitor says it serves (struct in monitor.c) */
	int relay[2];	      /* the proxy's node-log pipe; -1 for a full job */
	const char *cgroup;   /* the job's cgroup directory (cgroup.h) */
	char *cgroup_buf;     /* what cgroup points to, when parsed */
};

/* The spec as JSON text (caller frees). */
char *monitor_spec_render(const struct monitor_spec *s, nw_err *err);
/* Parses a rendered spec into s (zeroed first; monitor_spec_free frees it).
 * Every descriptor number must be -1 or at least 3, and the config must
 * parse as config_parse reads a node config. */
int monitor_spec_parse(const char *text, size_t len, struct monitor_spec *s, nw_err *err);
void monitor_spec_free(struct monitor_spec *s);
#define cleanup_monitor_spec __attribute__((cleanup(monitor_spec_free)))

#endif
