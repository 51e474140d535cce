/* /run/netward: one directory per container id, one lock, and the address
 * allocations (one file per address, so allocation never scans). */
#ifndef NW_STATE_H
#define NW_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "addr.h"
#include "config.h"
#include "err.h"
#include "ident.h"

#define NW_STATE_DIR "/run/netward"

/* JOB_ENDING: its monitor found its link gone, killed its proxy and is
 * tearing it down (under the lock). */
enum job_phase { JOB_SETUP, JOB_READY, JOB_ENDING };

/* What teardown needs, written before anything is made so that a hook
 * killed at any step leaves a record gc can act on. */
struct job_record {
	char id[NW_ID_MAX + 1];
	char job_id[NW_ID_MAX + 1];
	enum nw_mode mode;
	enum job_phase phase;
	char *domains;	  /* canonical csv, http only */
	char host_if[16]; /* "" in none mode */
	char addr[48];	  /* "" in none mode */
	pid_t hook_pid;	  /* the hook that set it up, with its start time */
	uint64_t hook_start;
	char bundle[4096]; /* the runtime's bundle path: ids repeat across roots */
	pid_t pid;	   /* the container's pid at setup */
	uint64_t pid_start;
	uint64_t netns_ino;
	pid_t monitor_pid;
	uint64_t monitor_start;
	pid_t proxy_pid;
	uint64_t proxy_start;
	uid_t proxy_uid;     /* the proxy's own uid and gid (proxyuid.h), 0: none */
	uint16_t proxy_port; /* its port on the gateway, which the guard's allowances name */
	bool intercept;	     /* its proxy intercepts (DNS and redirected connections too) */
	int64_t created;     /* unix time */
};

/* Takes the node-wide lock (creating /run/netward as needed). */
int state_lock(nw_err *err);
/* The same without waiting: -1 with *busy set when another holds it. */
int state_trylock(bool *busy, nw_err *err);
void state_unlock(int fd);
static inline void state_unlockp(int *fd)
{
	state_unlock(*fd);
	*fd = -1;
}
/* Holds the lock to the end of the scope: cleanup_state_lock int lock = state_lock(err); */
#define cleanup_state_lock __attribute__((cleanup(state_unlockp)))
/* The descriptor of the lock this process holds, or -1. A child that keeps
 * a copy keeps the lock held, even past its parent's end (flock). */
int state_lock_fd(void);

/* NW_STATE_DIR/jobs/<id>[/name] into buf (ENAMETOOLONG when it does not fit). */
int state_path(const char *id, const char *name, char *buf, size_t len, nw_err *err);
int state_write(const struct job_record *r, nw_err *err);
/* Returns 1 when read, 0 when there is no record, -1 on error. */
int state_read(const char *id, struct job_record *r, nw_err *err);
void state_record_free(struct job_record *r);
/* A record read or built in this scope (zeroed, or filled by state_read). */
#define cleanup_job_record __attribute__((cleanup(state_record_free)))
/* Removes the job's directory and everything in it. Absent is success. */
int state_remove(const char *id, nw_err *err);
/* Container ids with a record, NULL-terminated. */
int state_list(char ***ids, nw_err *err);
/* Creates the job's directory (0700). */
int state_mkdir(const char *id, nw_err *err);

/* The counters the job's proxy keeps in its stats.json. */
struct job_stats {
	int64_t bytes_up, bytes_down, allowed, denied, conns;
	int64_t reported;    /* report mode: allowed outside the job's list */
	int64_t log_dropped; /* lines the job's access log lost (full) */
};
/* Zeroes when the job has no proxy or it has not written yet. */
void state_read_stats(const char *id, struct job_stats *s);

/* Allocates an IPv4 address for id from subnet (never its network or
 * broadcast address). Call under the lock. */
int state_alloc_addr(const struct nw_cidr *subnet, const char *id, struct nw_addr *out,
		     nw_err *err);
/* Seconds a freed address is not handed out again: conntrack's UDP stream
 * timeout (nf_conntrack_udp_timeout_stream). */
#define NW_ADDR_HOLD_S 120
/* Frees addr when it belongs to id, held back for NW_ADDR_HOLD_S. */
void state_free_addr(const char *addr, const char *id);
/* Allocation files whose owner has no record (for gc): NULL-terminated. */
int state_list_addrs(char ***addrs, char ***owners, nw_err *err);

#endif
