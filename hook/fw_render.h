/* Rendering the jobs' nftables table: pure text, no syscalls, no globals
 * but constant tables (golden-tested in tests/unit/test_fw.c). The table,
 * `inet netward`, lives in the host namespace. Its chains grant through
 * sets keyed by the jobs' host-side interfaces and deny by the interface
 * group every such interface carries (FW_IFGROUP), so an interface
 * missing from the sets is closed, never open, and a job's own state is a
 * handful of set elements: adding or removing a job costs the same with 1
 * job alive as with 1,000. fw.c applies what this renders. */
#ifndef NW_FW_RENDER_H
#define NW_FW_RENDER_H

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
/* The packet mark interception gives what it redirects to the proxy,
 * which the guard's XFRM allowance matches, since XFRM judges a DNATed
 * packet by the destination the job chose: four bits under their mask, so
 * another firewall's mark that shares one of them (Istio's 0x539 has
 * 0x10) does not pass for it while the table is missing. The other bits
 * of the packet's mark are kept. */
#define FW_INTERCEPT_MARK 0xd0u
#define FW_INTERCEPT_MASK 0xf0u
/* Interception: the job's resolver on the gateway, and the longest
 * rendered set of the ports redirected to the proxy. */
#define FW_DNS_PORT  53u
#define FW_PORTS_MAX 2048

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
#define FW_CHAINS 6
int fw_expect_parse(const char *base, struct fw_expect out[FW_CHAINS], nw_err *err);

/* Frees n elements (their names) and the array. */
void fw_elems_free(struct fw_elem *e, size_t n);

/* The sets a job's elements live in, all keyed by its host-side
 * interface alone (job_ifs, http_ifs, full_ifs), so installing or
 * removing a job never needs to read what they hold. */
extern const char *const fw_set_names[];
#define FW_N_SETS 3

/* Names end up inside nft scripts: true when s is 1 to max characters of
 * [a-z0-9_] only, so no name can close a string or start another command. */
bool fw_safe_name(const char *s, size_t max);

#endif
