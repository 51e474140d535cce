/* The jobs' firewall in the kernel: fw_render.h renders the table, this
 * applies it through libnftables (loaded by nftlib.c) in one transaction,
 * checks what the kernel holds, and keeps the last base written in a file
 * for the watcher's repairs. */
#ifndef NW_FW_H
#define NW_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "fw_render.h"

/* Every job whose elements the table must hold (state entries): a
 * callback, as only a rebuild needs them. */
typedef int (*fw_live_fn)(struct fw_elem **elems, size_t *n, void *arg, nw_err *err);

/* 1 when the kernel's table holds base's chains intact, 0 when not (no
 * table, flushed, a rule gone or changed), -1 on error. Reads the chains,
 * not the sets: the same cost with 1 job alive as with 1,000. */
int fw_check(const char *base, nw_err *err);
/* Installs a job: checks the kernel; when the table holds base intact,
 * adds the job's elements; else writes base and the elements of every
 * live job (live) and this one, in one transaction. base_file keeps the
 * last base written, for the watcher's repairs. Only additions: a name
 * that a teardown which never finished left in another mode's set gains
 * nothing by it. */
int fw_install(const struct fw_job *j, uint16_t zone, fw_live_fn live, void *arg,
	       const char *base_file, nw_err *err);
/* The watcher's repair: when the kernel does not hold base_file's chains,
 * writes them and every live job's elements in one transaction. Returns 1
 * when it repaired, 0 when nothing was missing. */
int fw_repair(const char *base_file, fw_live_fn live, void *arg, nw_err *err);
/* Takes host_if out of every set, and out of the zones map when zone is
 * not 0, without reading them. A job with no elements, or no table at
 * all, is success. lock_fd, when not -1, is a lock the caller holds (the
 * state lock): the process that does the removal holds it too, until its
 * transaction is done, so the name cannot be set up again before then
 * even when the caller is killed first. */
int fw_remove_job(const char *host_if, uint16_t zone, int lock_fd, nw_err *err);
/* The interfaces named in any of the table's sets, each once,
 * NULL-terminated, and each one's zone (0: none) (for gc). */
int fw_list_jobs(char ***ifnames, uint16_t **zones, nw_err *err);
struct json;
/* nft's JSON listing of one of the table's sets into *out; *out NULL when
 * there is no table or set. */
int fw_list_set(const char *set, struct json **out, nw_err *err);
/* Deletes the table and base_file (when no job is left). Absent is success. */
int fw_remove_table(const char *base_file, nw_err *err);
/* Gives a proxy's listening socket FW_PROXY_MARK (its connections inherit
 * it). Needs CAP_NET_ADMIN: call before the proxy is sandboxed. */
int fw_mark_proxy_socket(int fd, nw_err *err);

#endif
