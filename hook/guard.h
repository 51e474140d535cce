/* The guard: what keeps jobs closed while the firewall table is missing
 * (between an `nft flush ruleset` and the watcher's repair), built from
 * kernel state that nftables tooling never touches. Node-wide, a fixed
 * number of objects whatever the number of jobs:
 *   - IPsec (XFRM) input policies: nothing from the job subnet is
 *     delivered to a local socket (a policy "block" is checked by TCP,
 *     UDP, ICMP and raw sockets at delivery) but TCP from an http job's
 *     own address to the proxy port on the gateway, and with interception
 *     UDP and TCP to port 53 there (its resolver) and the connections the
 *     table marks and redirects to the proxy (none while it is gone),
 *     allowances each http job holds from setup until its proxy dies or
 *     it ends;
 *   - a policy routing rule: what the job subnet sends is routed through a
 *     table of netward's that prohibits the subnet itself, the always-
 *     denied and the non-global ranges (but those listed in
 *     full_allow_private_destinations) and deny_destinations' CIDRs;
 *   - an unreachable route for the subnet in the main table, so nothing is
 *     routed to an address of it that no live job holds (the job's /32
 *     is more specific).
 * With the per-interface sysctls of wire.c (ARP, reverse path, no
 * forwarding for http jobs) and the proxy socket's mark. */
#ifndef NW_GUARD_H
#define NW_GUARD_H

#include "config.h"
#include "err.h"

/* The rule's priority, and the base of its table's number (the low 16 bits
 * fingerprint the config the table was written from). */
#define GUARD_RULE_PREF	 6277
#define GUARD_TABLE_BASE 0x6e770000u
/* XFRM policy priorities: the proxy's allowance first. */
#define GUARD_XFRM_PRIO_ALLOW 0x6e70
#define GUARD_XFRM_PRIO_BLOCK 0x6e71

/* Installs what is missing, or what cfg changed; cheap when all is there
 * (a dump of the routing rules, a lookup of the block and a deletion of
 * an earlier netward's subnet-wide allowance, whatever the number of jobs).
 * Call under the state lock. Returns 1 when the XFRM policies were
 * missing (IPsec tooling flushed them): the live http jobs' allowances
 * went with them and are the caller's to put back. */
int guard_install(const struct nw_config *cfg, nw_err *err);
/* The allowances of the http job at addr (IPv4 text) to its proxy, on
 * proxy_port and, with intercept, its DNS and redirected connections: the
 * job's own settings (its record's), whatever the node config says now. */
int guard_allow_job(const char *addr, uint16_t proxy_port, bool intercept, nw_err *err);
/* Takes them away, each by its selector; absent is fine. proxy_port is
 * the port they were made for (the job record's); 0 (a record that does
 * not say) finds them in a dump of every policy instead. */
void guard_disallow_job(const char *addr, uint16_t proxy_port);
/* Removes all of it (no job left). Absent is success. */
int guard_remove(nw_err *err);

#endif
