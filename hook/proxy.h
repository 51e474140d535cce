/* The job's HTTP/HTTPS proxy: one thread, epoll, c-ares, token buckets,
 * sandboxed before it serves (DESIGN.md §3). */
#ifndef NW_PROXY_H
#define NW_PROXY_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "domain.h"
#include "err.h"

struct proxy_opts {
	const struct nw_config *cfg;	   /* node policy: ports, deny, private ranges, dns, rate */
	const struct domain_list *domains; /* the job's allowlist */
	const char *job_id;		   /* job-id header value and log field */
	const char *container_id;	   /* log field; may equal job_id */
	int listen_fd; /* bound and listening, non-blocking; owned by the proxy */
	/* Interception (the node key "intercept"): each owned by the proxy,
	 * non-blocking, and -1 when absent. The hook binds them on the job's
	 * gateway and veth before the proxy drops its privileges (jobsock.h). */
	int intercept_fd; /* TCP listening on proxy_port + 1: connections the firewall
			     redirected (DNAT) from the job; the address the job chose is
			     getsockopt(SO_ORIGINAL_DST), never to be connected to */
	int dns_udp_fd;	  /* UDP bound to port 53: the job's resolver */
	int dns_tcp_fd;	  /* TCP listening on port 53: the same, over TCP */
	int log_fd;	  /* the job's access log (appended), or -1 */
	int stats_fd;	  /* rewritten (pwrite at 0) with a JSON line of counters, or -1 */
	int ready_fd; /* one byte written once serving (after the sandbox), then closed; or -1 */
	bool sandbox; /* drop to uid/gid, caps, no_new_privs, seccomp before serving */
	uid_t uid;    /* unprivileged ids for the sandbox (ignored when not root) */
	gid_t gid;
	unsigned max_conns; /* per-job cap on client connections; 0 = default (256) */
	/* A job's proxy holds no descriptor of the node log: the node-log copy
	 * of each access line goes to this pipe (non-blocking; a full pipe
	 * drops the copy), and the job's monitor writes it to the node log
	 * under the job's own ids. 0 (never a pipe here: fd 0 is /dev/null or
	 * a terminal): the proxy opens the node log itself (`netward proxy`). */
	int node_log_pipe;
};

/* Serves until SIGTERM/SIGINT; returns 0 then. Fatal errors return -1. */
int proxy_run(const struct proxy_opts *o, nw_err *err);

#endif
