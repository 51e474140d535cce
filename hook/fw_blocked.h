/* What the firewall blocked for each job: the count per host-side
 * interface and the destinations of the last FW_RECENT_SECONDS, read from
 * the sets the blocking rules fill (fw.c). Parsing nft's JSON is pure; the
 * snapshot is one libnftables listing per set, whatever the number of jobs. */
#ifndef NW_FW_BLOCKED_H
#define NW_FW_BLOCKED_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "json.h"

#define FW_BLOCKED_SHOWN 5 /* destinations kept per job, newest first */

struct fw_dest {
	char addr[16];	/* IPv4 */
	char proto[12]; /* "tcp", "udp", "icmp", ... */
	unsigned port;	/* 0 when the protocol has none */
	unsigned expires;
};

struct fw_blocked {
	uint64_t count;
	size_t n;
	struct fw_dest d[FW_BLOCKED_SHOWN];
};

struct fw_snapshot {
	struct json *blocked, *recent; /* NULL: none */
};

int fw_blocked_snapshot(struct fw_snapshot *s, nw_err *err);
void fw_blocked_snapshot_free(struct fw_snapshot *s);
#define cleanup_fw_snapshot __attribute__((cleanup(fw_blocked_snapshot_free)))
/* Pure: ifname's figures from a snapshot (zeroes when absent). */
void fw_blocked_of(const struct fw_snapshot *s, const char *ifname, struct fw_blocked *out);
/* "198.18.0.10:22/tcp" or "198.18.0.10/icmp" into buf. */
const char *fw_dest_str(const struct fw_dest *d, char *buf, size_t len);
/* Pure: nft commands that take ifname's elements out of the recent set
 * (listed in recent), each added first so that one which expired since
 * the listing is no error. */
void fw_blocked_render_out(FILE *f, const struct json *recent, const char *ifname);

#endif
