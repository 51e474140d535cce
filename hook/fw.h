/* The jobs' firewall: one nftables table, `inet netward`, in the host
 * namespace. Its chains grant through sets keyed by the jobs' host-side
 * interfaces and deny by the interface group every such interface carries
 * (FW_IFGROUP), so an interface missing from the sets is closed, never
 * open, and a job's own state is a handful of set elements: adding or
 * removing a job costs the same with 1 job alive as with 1,000. Rendering
 * (fw.c) is pure and golden-tested; fw_nft.c applies it through libnftables
 * in one transaction and checks what the kernel holds. */
#ifndef NW_FW_H
#define NW_FW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
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
/* The interface group of every job's host end ("nw" in ASCII): the chains
 * drop what comes from or goes to it unless a set grants it. */
#define FW_IFGROUP 0x6e77
/* The mark a job's proxy socket carries (set by the hook, which is root,
 * before the proxy drops its privileges): the firewall and the routing
 * guard let a job reach only a socket with this mark, so a port a dead
 * proxy freed and a host service took reaches nothing. One bit, clear of
 * those others use with a mask (netavark 0x2000, kube-proxy 0x4000 and
 * 0x8000, Calico 0xffff0000, Cilium 0x0f00, Tailscale 0xff0000); the
 * proxy's replies to the job carry it. */
#define FW_PROXY_MARK 0x10u

/* Ranges no full-mode job reaches whatever the config says, and those it
 * reaches only when full_allow_private_destinations lists them (every IPv4
 * range the IANA special-purpose registry calls not globally reachable,
 * as addr_is_global() judges). NULL-terminated. */
extern const char *const fw_always_denied[];
extern const char *const fw_non_global[];

/* One job as the sets see it. */
struct fw_elem {
	const char *host_if; /* "nw" + 13 hex digits */
	enum nw_mode mode;   /* NW_MODE_HTTP or NW_MODE_FULL */
	uint16_t zone;	     /* conntrack zone of an http job, 0 = none */
};

struct fw_job {
	const char *host_if;
	struct nw_addr job_addr; /* IPv4 */
	struct nw_addr gateway;
	uint16_t proxy_port;
	enum nw_mode mode;
	const struct nw_config *cfg;
};

/* The conntrack zone of an http job: the low 16 bits of its address, which
 * no other live job shares in a subnet of /16 or smaller (0, an address
 * ending in .0.0, means none). */
uint16_t fw_zone(const struct nw_addr *a);

/* The shared part: table, sets, chains flushed and written again from cfg.
 * The last rule of each chain carries the comment "netward <hash of the
 * rest>", which is how fw_check knows the kernel holds exactly this. */
char *fw_render_base(const struct nw_config *cfg, const struct nw_addr *gw, uint16_t port,
		     nw_err *err);
/* Appends the elements of n jobs to f. */
int fw_render_elems(FILE *f, const struct fw_elem *e, size_t n, nw_err *err);
/* Base and the job's elements, as one script (the golden files). */
char *fw_render(const struct fw_job *j, nw_err *err);
/* The chain names fw_render_base writes, and for each the number of rules
 * and the sentinel comment, read back from a base script. */
struct fw_expect {
	char chain[16];
	unsigned rules;
	char sentinel[40];
};
#define FW_CHAINS 5
int fw_expect_parse(const char *base, struct fw_expect out[FW_CHAINS], nw_err *err);

/* Every job whose elements the table must hold (state entries): a
 * callback, as only a rebuild needs them. */
typedef int (*fw_live_fn)(struct fw_elem **elems, size_t *n, void *arg, nw_err *err);
void fw_elems_free(struct fw_elem *e, size_t n);

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
 * all, is success. */
int fw_remove_job(const char *host_if, uint16_t zone, nw_err *err);
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
