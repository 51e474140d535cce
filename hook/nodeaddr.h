/* The node's own addresses, for the proxy's rule that a job never reaches
 * the node (SECURITY.md). The decision (proxy_policy.c) asks a
 * nodeaddr_check; where the answer comes from is the caller's:
 *   - nodeaddr_route_query: the kernel's routing answer, asked per address
 *     (a UDP socket, connect, getsockname, close); for one-off decisions.
 *   - a nodeaddr_set: every local route (RTN_LOCAL, any table) the kernel
 *     reports over rtnetlink, kept current by its notifications
 *     (nodeaddr_nl.c); the job proxy's answer, with no socket per decision.
 * nodeaddr.c itself is pure: it keeps the set and reads rtnetlink messages
 * handed to it. */
#ifndef NW_NODEADDR_H
#define NW_NODEADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

struct nodeaddr_check {
	/* Is a (IPv4, or IPv6 not IPv4-mapped) an address of this node?
	 * Answers true when it cannot tell. */
	bool (*is_node)(void *ctx, const struct nw_addr *a);
	void *ctx;
};

/* One local route: every address within addr/prefix is delivered to this
 * node. oif tells apart the same address held by several interfaces (the
 * gateway address on every job's veth), so that one going leaves the rest. */
struct nodeaddr_entry {
	struct nw_cidr net;
	int oif;
};

struct nodeaddr_set {
	/* Host routes (/32, /128) sorted by address, looked up by bisection:
	 * a node with a thousand jobs holds a thousand of them. Shorter
	 * prefixes (127.0.0.0/8, AnyIP routes) are few and scanned. */
	struct nodeaddr_entry *host, *net;
	size_t nhost, caphost, nnet, capnet;
	/* A change the messages could not say exactly (the receive queue
	 * overflowed, a message cut short): nothing can be trusted until the
	 * next full dump. While stale, every address counts as the node's. */
	bool stale;
	/* An address that is the node's for the reader's whole life (the
	 * address it listens on; family 0: none): held once, outside the
	 * arrays, whatever the messages say of it. A job proxy's gateway is
	 * on every job's link, a thousand entries otherwise. */
	struct nw_addr quiet;
};

/* Lookup in the set (ctx: a struct nodeaddr_set); true when stale. */
bool nodeaddr_set_contains(void *ctx, const struct nw_addr *a);
/* Reads a buffer of rtnetlink messages (RTM_NEWROUTE/DELROUTE,
 * RTM_NEWADDR/DELADDR; others ignored) into the set. A dump's messages
 * and notifications are read alike. Returns 1 when NLMSG_DONE was seen,
 * 0 otherwise, -1 (ENOMEM, the set left stale) on failure. A message cut
 * short, or NLMSG_ERROR, leaves the set stale. */
int nodeaddr_set_apply(struct nodeaddr_set *s, const void *buf, size_t len, nw_err *err);
/* One local route, as a message would add it; -1 when out of memory. */
int nodeaddr_set_add(struct nodeaddr_set *s, const struct nw_cidr *net, int oif);
/* Sets the set's quiet address (NULL: none); nodeaddr_set_clear keeps it. */
void nodeaddr_set_quiet(struct nodeaddr_set *s, const struct nw_addr *quiet);
void nodeaddr_set_clear(struct nodeaddr_set *s);
void nodeaddr_set_free(struct nodeaddr_set *s);

/* A classic BPF program for the notification socket (SO_ATTACH_FILTER)
 * that keeps from it what the set never needs, so that a node's churn
 * costs a reader nothing: routes that are not local (the set ignores
 * them), and the address and local route of quiet, an IPv4 address that
 * stays the node's as long as the reader lives (a job proxy's gateway,
 * which every job's link holds: three messages per job set up or torn
 * down, for every proxy). Only a notification is dropped (one message,
 * no NLM_F_MULTI), never a dump's batch, and a message laid out otherwise
 * than the kernel writes these is read. quiet NULL, or not IPv4: routes
 * only. f holds NODEADDR_FILTER_LEN instructions. */
#define NODEADDR_FILTER_LEN 33
struct sock_filter;
void nodeaddr_quiet_filter(struct sock_filter *f, const struct nw_addr *quiet);

/* nodeaddr_nl.c: the effects. */

/* The kernel's answer for one address, with a socket of its own (ctx
 * unused): for a one-off decision (netward explain). */
bool nodeaddr_route_query(void *ctx, const struct nw_addr *a);

/* The set kept by an rtnetlink socket. */
struct nodeaddr_nl {
	int fd;
	uint32_t seq;
	struct nodeaddr_set set;
};

/* Opens the socket (subscribed to IPv4 and IPv6 route and address
 * notifications, filtered by nodeaddr_quiet_filter for quiet) and reads
 * a full dump. Needs no privilege; done before the sandbox, which then
 * needs only recvfrom and sendto on it. */
int nodeaddr_nl_open(struct nodeaddr_nl *nl, const struct nw_addr *quiet, nw_err *err);
/* The check, as a nodeaddr_check's is_node (ctx: a struct nodeaddr_nl):
 * reads every notification queued so far without waiting (a change the
 * kernel has made is queued before the call that made it returns), dumps
 * again when they overflowed, then looks a up. Fails closed. */
bool nodeaddr_nl_is_node(void *ctx, const struct nw_addr *a);
/* Reads what is queued without waiting, and nothing more: called on the
 * proxy's tick, so that notifications about other jobs' interfaces do not
 * pile up in the kernel for every idle proxy. Lost ones (ENOBUFS) leave
 * the set stale, and the next check reads it again. */
void nodeaddr_nl_poll(struct nodeaddr_nl *nl);
void nodeaddr_nl_close(struct nodeaddr_nl *nl);

#endif
