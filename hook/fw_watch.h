/* The node's firewall watcher, and what ties the firewall to the jobs'
 * state entries.
 *
 * One watcher per node, not one per job: it listens to nftables' netlink
 * events (NFNLGRP_NFTABLES), and whenever something touches the table
 * `inet netward` (nft flush ruleset, an nftables.service restart, firewall
 * tooling, an operator) it checks the chains against the last base written
 * and, when they differ, writes the table again with every live job's
 * elements in one transaction. A watcher per job would wake every job's
 * monitor at each change of any table: N wakeups per event, N² for N jobs
 * starting. The hook starts the watcher with the first networked job (a
 * lock held for its life says whether one runs), and it exits when no
 * job is left. */
#ifndef NW_FW_WATCH_H
#define NW_FW_WATCH_H

#include "config.h"
#include "err.h"
#include "fw.h"
#include "state.h"

/* The last base script written, for the watcher. */
#define FW_BASE_FILE  NW_STATE_DIR "/firewall.nft"
#define FW_WATCH_LOCK NW_STATE_DIR "/fwwatch.lock"
/* How often the watcher looks without an event: for events lost (the
 * socket's buffer overran) and to notice that no job is left. */
#define FW_WATCH_TICK_MS 1000

/* fw_live_fn over the state entries: every record with an interface,
 * whatever its phase (an interface in the sets is closed to all its set
 * does not grant; one missing from them is closed to everything). */
int fw_live_from_state(struct fw_elem **elems, size_t *n, void *arg, nw_err *err);
/* Installs the job r's firewall (fw_install with the live jobs). */
int fw_job_install(const struct nw_config *cfg, const struct job_record *r, nw_err *err);
/* r's conntrack zone (0 for a full job or one with no address). */
uint16_t fw_job_zone(const struct job_record *r);
/* Starts the node's watcher unless one runs. Never fails a job: a watcher
 * that cannot start is logged, and the next job tries again. */
void fw_watch_ensure(const struct nw_config *cfg);
/* Asks the watcher to go when no state entry is left (after a teardown),
 * rather than at its next look. */
void fw_watch_stop_if_idle(void);

#endif
