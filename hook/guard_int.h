/* Inside the guard (guard.h): the netlink requester both halves use, and
 * the XFRM half's node-wide part, which guard.c's install and removal
 * call. */
#ifndef NW_GUARD_INT_H
#define NW_GUARD_INT_H

#include <linux/netlink.h>
#include <stddef.h>

#include "config.h"
#include "err.h"

struct guard_req {
	struct nlmsghdr h;
	char body[512];
};

/* Appends an attribute to r. */
void guard_nl_attr(struct guard_req *r, unsigned short type, const void *data, size_t len);
/* Sends r and reads its ack; returns 0 or -errno from the kernel. */
int guard_nl_talk(int fd, struct guard_req *r);
/* Calls fn on every message of a dump of type. */
int guard_nl_dump(int fd, unsigned short type, const void *hdr, size_t hlen,
		  void (*fn)(const struct nlmsghdr *h, void *arg), void *arg);
/* A bound netlink socket of proto, or -1. */
int guard_nl_sock(int proto);

/* guard_xfrm.c */
/* Puts the block when it is not there as netward writes it; 1 when it was
 * missing (the live http jobs' allowances went with it). */
int guard_xfrm_install(const struct nw_config *cfg, nw_err *err);
/* Deletes the node-wide policies but the block for subnet (a config that
 * changed). */
void guard_xfrm_sweep(const struct nw_cidr *subnet);
/* Deletes all of netward's policies. */
void guard_xfrm_remove(void);

#endif
