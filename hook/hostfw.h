/* The node's own firewalls: Docker's and ufw's iptables rules (nft and
 * legacy backends), firewalld, and any other nftables table whose base
 * chains would drop what netward's own table lets a job do. An accept in
 * `inet netward` does not override a drop in another table, so at job setup
 * netward opens its paths through the firewalls it knows, scoped to its
 * interfaces ("nw" + 13 hex digits) and the job subnet, and refuses the
 * job, naming the table and the fix, when something else would still drop
 * its traffic. What it adds goes when the last job ends, or by gc.
 *
 * hostfw_judge.c is pure (what a table's chains do with a job's packet);
 * hostfw.c talks to the kernel, iptables and firewalld. */
#ifndef NW_HOSTFW_H
#define NW_HOSTFW_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

/* netward's chains in iptables' filter table, and its firewalld zone. */
#define HOSTFW_IPT_INPUT   "NETWARD-INPUT"
#define HOSTFW_IPT_FORWARD "NETWARD-FORWARD"
#define HOSTFW_ZONE	   "netward"
/* netward's host-side interfaces as iptables and firewalld spell a
 * wildcard, and as nft shows it. */
#define HOSTFW_IFGLOB	  "nw+"
#define HOSTFW_IFGLOB_NFT "nw*"

/* What a base chain does with a packet from (or to) a job's interface. */
enum hostfw_fate {
	HOSTFW_PASS, /* nothing in it drops such a packet */
	HOSTFW_OPEN, /* a rule for netward's interfaces accepts it first */
	HOSTFW_DROP, /* its policy or an unconditional rule drops or rejects it */
};

struct hostfw_chain {
	char family[8], table[64], name[64], hook[16];
	enum hostfw_fate fate;
	char why[96]; /* for DROP: "policy drop", "rule reject in filter_IN_public" */
};

/* Judges every base chain of type filter on hook input or forward, family
 * ip or inet, in the output of `nft -j list table`. Rules that match
 * anything but netward's interfaces are taken not to match a job's
 * packet (a conditional drop is some other traffic's), jumps and gotos are
 * followed. Returns the number of chains put in out (at most max), or -1. */
int hostfw_judge_table(const char *json, size_t len, struct hostfw_chain *out, size_t max,
		       nw_err *err);
/* The tables with such base chains in the output of `nft -j list chains`,
 * as "family name" strings, NULL-terminated; netward's own left out. */
int hostfw_tables(const char *json, size_t len, char ***tables, nw_err *err);

/* At job setup (http or full), under the state lock: opens netward's paths
 * through iptables (when its filter table would drop them) and firewalld,
 * then refuses with one line naming the table and the fix when any
 * base chain on the mode's hook (input for http, forward for full) would
 * still drop the job's traffic. */
int hostfw_open(const struct nw_config *cfg, enum nw_mode mode, nw_err *err);
/* Removes everything hostfw_open added (when no job is left). Absent is
 * success. Unless always (gc), a node where hostfw_open added nothing
 * since the last close is not even looked at. */
int hostfw_close(bool always, nw_err *err);
/* For check-config and status: the host firewalls found and whether each
 * mode's path through them is open. */
void hostfw_report(const struct nw_config *cfg, FILE *out);

#endif
