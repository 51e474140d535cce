/* IP addresses, CIDRs and the IANA special-purpose registries. Pure:
 * inet_pton/inet_ntop are the only library calls, and they make no syscalls. */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ports.h"

/* How much of a hostile string a message quotes. */
#define QUOTE_MAX 64
#define QUOTE_BUF (QUOTE_MAX * 4 + 4)

static const char *quote(const char *s, char *buf, size_t len)
{
	return nw_quote(s, QUOTE_MAX, buf, len);
}

static int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Do the first `bits` bits of a and b agree? */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return ((a[whole] ^ b[whole]) & mask) == 0;
}

static void clear_host_bits(uint8_t *a, int bits, int total)
{
	for (int i = bits; i < total; i++)
		a[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
}

/* Decimal 0..max, digits only, no leading zero. */
static int parse_prefix(const char *s, int max, int *out)
{
	int v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

int addr_parse(const char *s, struct nw_addr *out, nw_err *err)
{
	char q[QUOTE_BUF];

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return nw_fail(err, EINVAL, "address missing");
	if (strnlen(s, INET6_ADDRSTRLEN) < INET6_ADDRSTRLEN) {
		if (inet_pton(AF_INET, s, out->a) == 1) {
			out->family = AF_INET;
			return 0;
		}
		if (inet_pton(AF_INET6, s, out->a) == 1) {
			out->family = AF_INET6;
			return 0;
		}
	}
	memset(out, 0, sizeof(*out));
	return nw_fail(err, 0,
		       "address \"%s\": not an IPv4 address (dotted quad) or an IPv6 address",
		       quote(s, q, sizeof(q)));
}

int addr_cidr_parse(const char *s, struct nw_cidr *out, nw_err *err)
{
	char q[QUOTE_BUF], abuf[INET6_ADDRSTRLEN], net[INET6_ADDRSTRLEN];
	const char *slash;
	size_t alen;
	struct nw_cidr c;
	int max;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return nw_fail(err, EINVAL, "CIDR missing");
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(abuf))
		return nw_fail(err, 0, "CIDR \"%s\": not an IPv4 or IPv6 network",
			       quote(s, q, sizeof(q)));
	memcpy(abuf, s, alen);
	abuf[alen] = '\0';
	if (addr_parse(abuf, &c.addr, NULL) < 0)
		return nw_fail(err, 0, "CIDR \"%s\": not an IPv4 or IPv6 address or network",
			       quote(s, q, sizeof(q)));
	max = addr_bits(c.addr.family);
	c.prefix = max;
	if (slash != NULL && parse_prefix(slash + 1, max, &c.prefix) < 0)
		return nw_fail(err, 0, "CIDR \"%s\": prefix length must be a number from 0 to %d",
			       quote(s, q, sizeof(q)), max);

	struct nw_cidr masked = c;
	clear_host_bits(masked.addr.a, masked.prefix, max);
	if (memcmp(masked.addr.a, c.addr.a, sizeof(c.addr.a)) != 0)
		return nw_fail(err, 0,
			       "CIDR \"%s\": host bits are set; the network is \"%s\" "
			       "(or write \"%s/%d\" for that one address)",
			       quote(s, q, sizeof(q)), addr_cidr_str(&masked, net, sizeof(net)),
			       abuf, max);
	*out = c;
	return 0;
}

/* "[v6]" or "[v6/n]", optionally followed by ":port". */
static int bracketed_parse(const char *s, struct nw_cidr_port *out, nw_err *err)
{
	char q[QUOTE_BUF], inner[INET6_ADDRSTRLEN + 4];
	const char *close = strchr(s, ']');
	size_t n;

	if (close == NULL)
		return nw_fail(err, 0, "\"%s\": '[' without ']'", quote(s, q, sizeof(q)));
	n = (size_t)(close - s - 1);
	if (n >= sizeof(inner))
		return nw_fail(err, 0, "\"%s\": not an IPv6 address or network in brackets",
			       quote(s, q, sizeof(q)));
	memcpy(inner, s + 1, n);
	inner[n] = '\0';
	if (addr_cidr_parse(inner, &out->cidr, err) < 0)
		return nw_wrap(err, "\"%s\"", quote(s, q, sizeof(q)));
	if (out->cidr.addr.family != AF_INET6)
		return nw_fail(err, 0,
			       "\"%s\": brackets are only for IPv6; write IPv4 without them",
			       quote(s, q, sizeof(q)));
	if (close[1] == '\0')
		return 0;
	if (close[1] != ':' || ports_parse_number(close + 2, strlen(close + 2), &out->port) < 0)
		return nw_fail(err, 0, "\"%s\": after ']' expected \":PORT\" with PORT 1-65535",
			       quote(s, q, sizeof(q)));
	return 0;
}

int addr_cidr_port_parse(const char *s, struct nw_cidr_port *out, nw_err *err)
{
	char q[QUOTE_BUF], head[INET6_ADDRSTRLEN + 4];
	const char *colon;
	size_t n;

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return nw_fail(err, EINVAL, "destination missing");
	if (s[0] == '[')
		return bracketed_parse(s, out, err);
	colon = strchr(s, ':');
	/* More than one ':' is bare IPv6, which cannot carry a port unbracketed. */
	if (colon == NULL || strchr(colon + 1, ':') != NULL)
		return addr_cidr_parse(s, &out->cidr, err);
	n = (size_t)(colon - s);
	if (n >= sizeof(head))
		return nw_fail(err, 0, "\"%s\": not an IPv4 or IPv6 network",
			       quote(s, q, sizeof(q)));
	memcpy(head, s, n);
	head[n] = '\0';
	if (addr_cidr_parse(head, &out->cidr, err) < 0)
		return nw_wrap(err, "\"%s\"", quote(s, q, sizeof(q)));
	if (ports_parse_number(colon + 1, strlen(colon + 1), &out->port) < 0)
		return nw_fail(err, 0, "\"%s\": port must be a number from 1 to 65535",
			       quote(s, q, sizeof(q)));
	return 0;
}

/* Seen as IPv6: IPv4 a.b.c.d is ::ffff:a.b.c.d, so both families compare
 * as the same address whichever way a rule or a peer spells it. */
static void as_v6(const struct nw_addr *a, uint8_t out[16])
{
	if (a->family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, a->a, 4);
	} else {
		memcpy(out, a->a, 16);
	}
}

bool addr_cidr_contains(const struct nw_cidr *c, const struct nw_addr *a)
{
	uint8_t net[16], host[16];

	if ((c->addr.family != AF_INET && c->addr.family != AF_INET6) ||
	    (a->family != AF_INET && a->family != AF_INET6))
		return false;
	as_v6(&c->addr, net);
	as_v6(a, host);
	return prefix_eq(net, host, c->addr.family == AF_INET ? 96 + c->prefix : c->prefix);
}

static const uint8_t v4_mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct nw_addr addr_unmap(const struct nw_addr *a)
{
	struct nw_addr r = *a;

	if (a->family == AF_INET6 && prefix_eq(a->a, v4_mapped, 96)) {
		memset(&r, 0, sizeof(r));
		r.family = AF_INET;
		memcpy(r.a, a->a + 12, 4);
	}
	return r;
}

struct special {
	uint8_t net[16];
	int prefix;
};

/* IANA IPv4 Special-Purpose Address Registry, every block whose "globally
 * reachable" is not simply true. 192.0.0.0/24 is taken whole: its two
 * anycast exceptions are not destinations a job needs. */
/* clang-format 14 would indent these tables with spaces. */
/* clang-format off */
static const struct special v4_special[] = {
	{{0, 0, 0, 0}, 8},       /* "this network" */
	{{10, 0, 0, 0}, 8},      /* RFC 1918 */
	{{100, 64, 0, 0}, 10},   /* CGNAT */
	{{127, 0, 0, 0}, 8},     /* loopback */
	{{169, 254, 0, 0}, 16},  /* link-local, cloud metadata */
	{{172, 16, 0, 0}, 12},   /* RFC 1918 */
	{{192, 0, 0, 0}, 24},    /* IETF protocol assignments */
	{{192, 0, 2, 0}, 24},    /* TEST-NET-1 */
	{{192, 88, 99, 0}, 24},  /* 6to4 relay anycast, deprecated */
	{{192, 168, 0, 0}, 16},  /* RFC 1918 */
	{{198, 18, 0, 0}, 15},   /* benchmarking */
	{{198, 51, 100, 0}, 24}, /* TEST-NET-2 */
	{{203, 0, 113, 0}, 24},  /* TEST-NET-3 */
	{{224, 0, 0, 0}, 4},     /* multicast */
	{{240, 0, 0, 0}, 4},     /* reserved, and 255.255.255.255 broadcast */
};
/* clang-format on */

/* IANA IPv6 Special-Purpose Address Registry. The blocks that embed an
 * IPv4 address (::ffff:0:0/96, 64:ff9b::/96, 2002::/16) are judged by that
 * address instead, before this table. */
/* clang-format off */
static const struct special v6_special[] = {
	{{0}, 128},                                              /* unspecified */
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128}, /* loopback */
	{{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48},              /* local-use NAT64 */
	{{0x01, 0x00}, 64},                                      /* discard-only */
	{{0x20, 0x01, 0x00, 0x00}, 23},                          /* IETF protocols, Teredo */
	{{0x20, 0x01, 0x0d, 0xb8}, 32},                          /* documentation */
	{{0x3f, 0xff}, 20},                                      /* documentation */
	{{0x5f, 0x00}, 16},                                      /* segment routing SIDs */
	{{0xfc, 0x00}, 7},                                       /* unique local */
	{{0xfe, 0x80}, 10},                                      /* link-local */
	{{0xff, 0x00}, 8},                                       /* multicast */
};
/* clang-format on */

/* True when a lies in none of the blocks of t. */
static bool outside(const uint8_t *a, const struct special *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_eq(a, t[i].net, t[i].prefix))
			return false;
	return true;
}

static bool v4_is_global(const uint8_t *a)
{
	return outside(a, v4_special, sizeof(v4_special) / sizeof(v4_special[0]));
}

static bool v6_is_global(const uint8_t *a)
{
	static const uint8_t nat64[16] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t six_to_four[16] = {0x20, 0x02};
	static const uint8_t global_unicast[16] = {0x20};

	if (prefix_eq(a, v4_mapped, 96) || prefix_eq(a, nat64, 96))
		return v4_is_global(a + 12);
	if (prefix_eq(a, six_to_four, 16))
		return v4_is_global(a + 2);
	/* Only 2000::/3 is allocated for global unicast. */
	if (!prefix_eq(a, global_unicast, 3))
		return false;
	return outside(a, v6_special, sizeof(v6_special) / sizeof(v6_special[0]));
}

bool addr_is_global(const struct nw_addr *a)
{
	if (a->family == AF_INET)
		return v4_is_global(a->a);
	if (a->family == AF_INET6)
		return v6_is_global(a->a);
	return false;
}

const char *addr_str(const struct nw_addr *a, char *buf, size_t len)
{
	if (len == 0)
		return "";
	buf[0] = '\0';
	if (a->family != AF_INET && a->family != AF_INET6) {
		snprintf(buf, len, "(no address)");
		return buf;
	}
	if (inet_ntop(a->family, a->a, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

const char *addr_cidr_str(const struct nw_cidr *c, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0)
		return "";
	snprintf(buf, len, "%s/%d", addr_str(&c->addr, a, sizeof(a)), c->prefix);
	return buf;
}

void addr_from_sockaddr(const struct sockaddr *sa, struct nw_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		out->family = AF_INET;
		memcpy(out->a, &in->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		out->family = AF_INET6;
		memcpy(out->a, &in6->sin6_addr, 16);
	}
}

socklen_t addr_to_sockaddr(const struct nw_addr *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, a->a, 4);
		return sizeof(*in);
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, a->a, 16);
		return sizeof(*in6);
	}
	return 0;
}
