/* The jobs' firewall: one nftables table, `inet netward`, in the host
 * namespace. Its chains match the jobs' host-side interfaces through sets,
 * so a job's own state is a handful of set elements: adding or removing a
 * job costs the same with 1 job alive as with 1,000, and libnftables never
 * has to read a ruleset that grows with the jobs. Rendering is pure
 * (golden-tested); applying goes through libnftables in one transaction. */
#ifndef NW_FW_H
#define NW_FW_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "err.h"

#define FW_TABLE "netward"
/* Blocked attempts: a counter per job interface, and the destinations
 * (interface . address . protocol . port) seen in the last
 * FW_RECENT_SECONDS, at most FW_RECENT_MAX for the node. */
#define FW_BLOCKED_SET	  "blocked"
#define FW_RECENT_SET	  "blocked_recent"
#define FW_RECENT_SECONDS 600u
#define FW_RECENT_MAX	  4096u

struct fw_job {
	const char *host_if;	 /* "nw" + 13 hex digits */
	struct nw_addr job_addr; /* IPv4 */
	struct nw_addr gateway;
	uint16_t proxy_port;
	enum nw_mode mode; /* NW_MODE_HTTP or NW_MODE_FULL */
	const struct nw_config *cfg;
};

/* One transaction: the table, its sets and chains (the chains flushed and
 * written again from cfg, so a changed deny list or port takes effect for
 * every job at once), then the job's set elements. Never needs a job to be
 * absent from the sets: adding an element twice is not an error. */
char *fw_render(const struct fw_job *j, nw_err *err);
/* Installs the job in one transaction, adding only (a name that a
 * teardown which never finished left in the other mode's set reaches
 * nothing, and gc removes it with the job): only its elements when marker
 * (a file beside the state) says the table already holds this config's
 * chains, else the whole script, then records its hash in marker. Rewriting four base
 * chains costs ten times what adding a job's elements does. Reads nothing
 * back from the kernel: the same cost with 1 job alive as with 1,000. */
int fw_install(const struct fw_job *j, const char *marker, nw_err *err);
/* Takes host_if out of every set, also without reading them. A job with no
 * elements, or no table at all, is success. */
int fw_remove_job(const char *host_if, nw_err *err);
/* The interfaces named in any of the table's sets, each once,
 * NULL-terminated (for gc). */
int fw_list_jobs(char ***ifnames, nw_err *err);
struct json;
/* nft's JSON listing of one of the table's sets; NULL with no error when
 * there is no table or set. */
struct json *fw_list_set(const char *set, nw_err *err);
/* Deletes the table and marker (when no job is left). Absent is success. */
int fw_remove_table(const char *marker, nw_err *err);

#endif
