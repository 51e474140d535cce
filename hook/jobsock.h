/* The sockets a job's proxy serves on, made by the hook as root before
 * the proxy drops its privileges: each bound to the gateway on the job's
 * own host-side interface (SO_BINDTODEVICE, so every job's proxy shares
 * the gateway address) and marked FW_PROXY_MARK, the only sockets the
 * firewall lets a job reach, so a host service that takes a port a dead
 * proxy freed reaches nothing. */
#ifndef NW_JOBSOCK_H
#define NW_JOBSOCK_H

#include "config.h"
#include "err.h"

/* The job's resolver on the gateway (resolv.conf names it). */
#define JOBSOCK_DNS_PORT 53

struct jobsock {
	int listen;    /* TCP proxy_port: the explicit proxy */
	int intercept; /* TCP proxy_port + 1: what the firewall redirects; -1 when off */
	int dns_udp;   /* UDP 53; -1 when interception is off */
	int dns_tcp;   /* TCP 53; -1 when interception is off */
};
#define JOBSOCK_NONE                                                                               \
	{                                                                                          \
		.listen = -1, .intercept = -1, .dns_udp = -1, .dns_tcp = -1                        \
	}

/* Opens every socket cfg calls for on gw (an IPv4 literal) and ifname
 * (NULL or "": no device), all or none. mark: give each FW_PROXY_MARK
 * (needs CAP_NET_ADMIN). */
int jobsock_open(const struct nw_config *cfg, const char *gw, const char *ifname, bool mark,
		 struct jobsock *s, nw_err *err);
/* Closes what s holds and sets it to JOBSOCK_NONE. */
void jobsock_close(struct jobsock *s);
#define cleanup_jobsock __attribute__((cleanup(jobsock_close)))
/* A socket bound to addr:port on ifname (NULL or "": no device),
 * non-blocking: UDP, or TCP listening. */
int jobsock_udp(const char *addr, unsigned port, const char *ifname, nw_err *err);
int jobsock_tcp(const char *addr, unsigned port, const char *ifname, nw_err *err);

#endif
