/* The job's links, through libnl-route-3: a veth whose container end is
 * eth0 in the job's namespace, created there directly by namespace fd. */
#ifndef NW_WIRE_H
#define NW_WIRE_H

#include <stdbool.h>

#include "addr.h"
#include "config.h"
#include "err.h"
#include "ident.h"

struct wire_job {
	char host_if[NW_IFNAMSIZ]; /* host end, ident_ifname_valid() */
	int netns_fd;		   /* the job's network namespace */
	struct nw_addr job_addr;   /* IPv4, from the node's subnet, /32 on eth0 */
	struct nw_addr gateway;	   /* NW_GATEWAY */
	bool routed;		   /* full mode: the host forwards its packets */
};

/* NW_IF_PREFIX + NW_IF_HEX hex digits of a hash of the container id and salt. */
void wire_ifname(const char *container_id, unsigned salt, char out[NW_IFNAMSIZ]);

/* Refuses (err->code EPERM, with the reason) a namespace that is the host's own, or that
 * holds any interface but loopback (e.g. podman's default network). */
int wire_netns_check(int netns_fd, nw_err *err);

/* Makes the veth (a taken host_if fails with err->code EEXIST and host_if
 * still there: see wire_name_taken), then: host end up with the gateway /32,
 * IPv6 off, a /32 route to the job; in the job's namespace lo and eth0 up,
 * the job's /32 on eth0, a link route to the gateway and a default route via
 * it, IPv6 off. On failure removes what it made. */
int wire_setup(const struct wire_job *j, nw_err *err);
/* Did wire_setup fail with err because host_if was taken, so that another
 * name may work? EEXIST may also be eth0 in the job's namespace, or an
 * address or route after the veth was made (and removed again). */
bool wire_name_taken(const char *host_if, nw_err err);

/* Deletes host_if (its peer goes with it). Absent is success. Never needs
 * the job's namespace. Refuses (EINVAL) any name ident_ifname_valid() refuses. */
int wire_teardown(const char *host_if, nw_err *err);
bool wire_link_exists(const char *host_if);
/* Takes host_if down, so no packet crosses it while its firewall state is
 * removed. Absent is success. */
int wire_link_down(const char *host_if, nw_err *err);
/* net.ipv4.ip_forward=1 on the host (full mode). */
int wire_enable_forwarding(nw_err *err);

#endif
