/* The job's firewall: one nftables table per job, in the host namespace,
 * keyed on the job's host-side interface. Rendering is pure (golden-tested);
 * applying goes through libnftables in one atomic transaction. */
#ifndef NW_FW_H
#define NW_FW_H

#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "err.h"

#define FW_TABLE_PREFIX "netward_"

struct fw_job {
	const char *host_if;	 /* "nw..." */
	struct nw_addr job_addr; /* IPv4 */
	struct nw_addr gateway;
	uint16_t proxy_port;
	enum nw_mode mode; /* NW_MODE_HTTP or NW_MODE_FULL */
	const struct nw_config *cfg;
};

/* "netward_" + host_if into out. */
void fw_table_name(const char *host_if, char *out, size_t len);
/* The whole nft script for the job: "create table inet netward_X" then
 * "table inet netward_X { ... }" with chains prerouting, input, forward and
 * (full mode) postrouting. Pure and deterministic. NW_MODE_NONE renders
 * like http without the proxy: nothing in, nothing routed. */
char *fw_render(const struct fw_job *j, nw_err *err);
/* Applies a script atomically (libnftables, nft's own error text kept).
 * The table already existing fails the whole transaction with err->code
 * EEXIST: a table is never merged into one that is not this job's. */
int fw_apply(const char *script, nw_err *err);
/* Deletes table inet <name>; absent is success. Refuses (EINVAL) a name
 * without FW_TABLE_PREFIX or with characters outside [a-z0-9_]. */
int fw_remove(const char *table, nw_err *err);
/* The names of every netward_* table, NULL-terminated (for gc). */
int fw_list_tables(char ***names, nw_err *err);

#endif
