/* A netlink dump, as guard.c (XFRM, routes, rules) and ct.c (conntrack)
 * list the kernel's tables. */
#ifndef NW_NLDUMP_H
#define NW_NLDUMP_H

#include <linux/netlink.h>
#include <stddef.h>

/* Asks fd for a dump of type, with hdr[0..hlen) (at most 256 bytes) as the
 * family header, and calls fn on every message of the answer, read into
 * buf (size bytes, NLMSG_ALIGNTO aligned). Returns 0 at the end of the
 * dump, else -errno: the socket's, or the kernel's error message. */
int nl_dump(int fd, unsigned short type, const void *hdr, size_t hlen, void *buf, size_t size,
	    void (*fn)(const struct nlmsghdr *h, void *arg), void *arg);

#endif
