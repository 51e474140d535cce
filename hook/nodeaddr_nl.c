/* Where the node's addresses come from: the kernel's routing answer per
 * address, or a set kept by rtnetlink notifications (nodeaddr.h). */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cleanup.h"
#include "nodeaddr.h"

/* Whatever the interfaces look like right now: a UDP socket "connected" to
 * a local address is routed through the local table, which picks that very
 * address as the source. Nothing is sent. */
bool nodeaddr_route_query(void *ctx, const struct nw_addr *a)
{
	struct sockaddr_storage ss, src;
	socklen_t len = addr_to_sockaddr(a, 9, &ss), slen = sizeof(src);
	cleanup_close int fd = socket(a->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct nw_addr got;

	(void)ctx;
	if (fd < 0)
		return true; /* cannot tell: refuse */
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		/* No route at all: not ours, and the connect will fail. */
		return errno == EACCES || errno == EPERM;
	if (getsockname(fd, (struct sockaddr *)&src, &slen) < 0)
		return true;
	addr_from_sockaddr((struct sockaddr *)&src, &got);
	return got.family == a->family && memcmp(got.a, a->a, a->family == AF_INET ? 4 : 16) == 0;
}

/* A dump batch is at most a page or 8 KiB (NLMSG_GOODSIZE); a
 * notification is one message. One buffer serves both. */
#define NL_BUF 8192
static char nl_buf[NL_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));

/* A dump request. Routes: with strict checking (Linux 5.0) the kernel
 * sends only local routes, of every table; without it, every route, and
 * nodeaddr_set_apply keeps the local ones. */
static int request(struct nodeaddr_nl *nl, uint16_t type, nw_err *err)
{
	struct {
		struct nlmsghdr h;
		union {
			struct rtmsg r;
			struct ifaddrmsg a;
		} u;
	} req = {.h = {.nlmsg_type = type,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		       .nlmsg_seq = ++nl->seq}};
	struct sockaddr_nl k = {.nl_family = AF_NETLINK};

	if (type == RTM_GETROUTE) {
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
		req.u.r = (struct rtmsg){.rtm_family = AF_UNSPEC, .rtm_type = RTN_LOCAL};
	} else {
		req.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
		req.u.a = (struct ifaddrmsg){.ifa_family = AF_UNSPEC};
	}
	if (sendto(nl->fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof(k)) < 0)
		return nw_fail(err, errno, "asking for the node's addresses");
	return 0;
}

/* Reads until the dump's NLMSG_DONE; notifications in between are read
 * alike. The socket's receive timeout bounds each wait. */
static int read_dump(struct nodeaddr_nl *nl, nw_err *err)
{
	for (;;) {
		ssize_t n = recv(nl->fd, nl_buf, sizeof(nl_buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return nw_fail(err, n < 0 ? errno : EPIPE, "reading the node's addresses");
		int rc = nodeaddr_set_apply(&nl->set, nl_buf, (size_t)n, err);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
}

/* A full reading: routes, then addresses. Notifications queued before it
 * are read with it; either way each message adds or removes one entry. An
 * interrupted dump (NLM_F_DUMP_INTR) leaves the set stale: once more. */
static int dump(struct nodeaddr_nl *nl, nw_err *err)
{
	for (int i = 0; i < 2; i++) {
		nodeaddr_set_clear(&nl->set);
		if (request(nl, RTM_GETROUTE, err) < 0 || read_dump(nl, err) < 0 ||
		    request(nl, RTM_GETADDR, err) < 0 || read_dump(nl, err) < 0) {
			nl->set.stale = true;
			return -1;
		}
		if (!nl->set.stale)
			return 0;
	}
	return nw_fail(err, EAGAIN, "the node's addresses kept changing during the dump");
}

int nodeaddr_nl_open(struct nodeaddr_nl *nl, const struct nw_addr *quiet, nw_err *err)
{
	struct sock_filter f[NODEADDR_FILTER_LEN];
	struct sock_fprog prog = {.len = NODEADDR_FILTER_LEN, .filter = f};
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
					      RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR};
	struct timeval tv = {.tv_sec = 1};

	*nl = (struct nodeaddr_nl){.fd = -1};
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return nw_fail(err, errno, "netlink socket for the node's addresses");
	/* A dump that stalls ends in an error (the set stays stale: refuse),
	 * never a proxy stuck in recv. */
	nodeaddr_set_quiet(&nl->set, quiet);
	nodeaddr_quiet_filter(f, quiet);
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(nl->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		nodeaddr_nl_close(nl);
		return nw_fail(err, errno, "subscribing to the node's address changes");
	}
	/* A node with a thousand jobs has thousands of routes; the local ones
	 * are what is read. An older kernel refuses this and dumps them all. */
	(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &(int){1}, sizeof(int));
	if (dump(nl, err) < 0) {
		nodeaddr_nl_close(nl);
		return nw_wrap(err, "reading the node's addresses");
	}
	return 0;
}

/* Reads what is queued without waiting. 0: up to date; -1: must dump. */
static int drain(struct nodeaddr_nl *nl)
{
	for (;;) {
		ssize_t n = recv(nl->fd, nl_buf, sizeof(nl_buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n <= 0)
			return -1; /* ENOBUFS: notifications were lost */
		if (nodeaddr_set_apply(&nl->set, nl_buf, (size_t)n, NULL) < 0 || nl->set.stale)
			return -1;
	}
}

bool nodeaddr_nl_is_node(void *ctx, const struct nw_addr *a)
{
	struct nodeaddr_nl *nl = ctx;

	if (nl->fd < 0)
		return true;
	if (drain(nl) < 0 || nl->set.stale) {
		cleanup_err nw_err err = NULL;
		if (dump(nl, &err) < 0)
			return true;
	}
	return nodeaddr_set_contains(&nl->set, a);
}

void nodeaddr_nl_poll(struct nodeaddr_nl *nl)
{
	if (nl->fd >= 0 && drain(nl) < 0)
		nl->set.stale = true;
}

void nodeaddr_nl_close(struct nodeaddr_nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	nodeaddr_set_free(&nl->set);
}
