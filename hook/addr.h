/* IP addresses, CIDRs and the IANA special-purpose registries. Pure. */
#ifndef NW_ADDR_H
#define NW_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"

struct nw_addr {
	int family;    /* AF_INET or AF_INET6 */
	uint8_t a[16]; /* network byte order; v4 uses the first 4 bytes */
};

struct nw_cidr {
	struct nw_addr addr; /* host bits cleared */
	int prefix;
};

/* A CIDR with an optional port: "10.0.0.0/8", "10.1.2.3:6443",
 * "[fd00::/8]:443", "fd00::1". port 0 = every port. */
struct nw_cidr_port {
	struct nw_cidr cidr;
	uint16_t port;
};

int addr_parse(const char *s, struct nw_addr *out, nw_err *err);
/* "a.b.c.d/n" or "v6/n"; a bare address means /32 or /128. Refuses host
 * bits set ("10.0.0.1/8") so a typo is not silently widened. */
int addr_cidr_parse(const char *s, struct nw_cidr *out, nw_err *err);
int addr_cidr_port_parse(const char *s, struct nw_cidr_port *out, nw_err *err);
bool addr_cidr_contains(const struct nw_cidr *c, const struct nw_addr *a);
/* IPv4-mapped IPv6 (::ffff:a.b.c.d) unwrapped to IPv4; otherwise a copy. */
struct nw_addr addr_unmap(const struct nw_addr *a);
/* True when the address is globally reachable by the IANA IPv4 and IPv6
 * special-purpose registries (loopback, RFC 1918, link-local, CGNAT, ULA,
 * benchmarking, documentation, multicast, 6to4/Teredo/NAT64 forms of those,
 * IPv4-mapped forms of those ... are not). */
bool addr_is_global(const struct nw_addr *a);
const char *addr_str(const struct nw_addr *a, char *buf, size_t len);
const char *addr_cidr_str(const struct nw_cidr *c, char *buf, size_t len);
void addr_from_sockaddr(const struct sockaddr *sa, struct nw_addr *out);
/* Fills ss from a and port; returns its length. */
socklen_t addr_to_sockaddr(const struct nw_addr *a, uint16_t port, struct sockaddr_storage *ss);

#endif
