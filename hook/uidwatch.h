/* The node's uid watcher: which uids and gids of the proxy-uid block
 * (proxyuid.h) some process holds, kept current from the kernel's process
 * events instead of a scan of every process at each http job's setup.
 *
 * The scan costs every setup O(processes on the node), and with 1000 jobs
 * (3000 processes) it was most of a setup's time. The watcher scans once
 * when it starts, then follows the proc connector (NETLINK_CONNECTOR,
 * CN_IDX_PROC), task by task, since a thread's ids are its own (a raw
 * setresuid changes the calling thread's only, and a process whose leader
 * thread exited lives on in its other threads): a new task's ids are read
 * when it is forked, a task's again when it changes any of its ids (the
 * kernel's id events fire when any of the real, effective, saved or
 * filesystem ids changes) or execs, and it is forgotten when it exits. A hook asks over a Unix
 * socket; before answering, the watcher reads every event queued, and the
 * kernel queues an event before the call that caused it returns, so the
 * answer covers every change made before the question. Events lost
 * (ENOBUFS) mean a new scan before the next answer (and at most once a
 * second meanwhile), and every UIDWATCH_RESCAN_MS there is one anyway, for
 * an event the kernel could not allocate at all. A process counts from its
 * fork (the ids of the thread that forked it, as read then) to its exit;
 * an exited process its parent has not reaped yet counts no more. Where the proc connector is
 * not available (outside the initial network, user or pid namespace),
 * there is no watcher and each setup scans as before.
 *
 * It runs as a child of the firewall watcher (fw_watch.h), and dies with
 * it. */
#ifndef NW_UIDWATCH_H
#define NW_UIDWATCH_H

#include <stddef.h>
#include <stdint.h>

#include "state.h"

#define UIDWATCH_SOCK NW_STATE_DIR "/uidwatch.sock"
/* How long a hook waits for the answer before it scans itself. */
#define UIDWATCH_QUERY_MS 500
/* A full scan at least this often. */
#define UIDWATCH_RESCAN_MS 30000

/* Fills used (len bytes, bit i for PROXYUID_BASE + i) with the block's ids
 * that processes hold now. 1 when the watcher answered; 0 when there is
 * none or it did not answer in time (used is then undefined). */
int uidwatch_query(uint8_t *used, size_t len);

/* Forks the watcher, which lives until its parent exits. Logs why not when
 * it cannot. */
void uidwatch_start(void);

#endif
