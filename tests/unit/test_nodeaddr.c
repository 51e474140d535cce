/* The node's address set: rtnetlink messages in, "is this the node?" out.
 * Then the set read from this machine's kernel against the kernel's own
 * per-address answer (nodeaddr_route_query), which it replaces in the
 * proxy: they must agree on every address the node has and on others,
 * but where the set is stricter (below). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include "nodeaddr.h"
#include "unit.h"

static char msgs[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
static size_t used;

static void put_attr(struct nlmsghdr *h, unsigned short type, const void *d, size_t n)
{
	struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	memcpy(RTA_DATA(a), d, n);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct nlmsghdr *begin(uint16_t type, size_t body)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(msgs + used);

	memset(h, 0, NLMSG_SPACE(body) + 64);
	h->nlmsg_type = type;
	h->nlmsg_len = (uint32_t)NLMSG_LENGTH(body);
	return h;
}

static void end(struct nlmsghdr *h)
{
	used += NLMSG_ALIGN(h->nlmsg_len);
}

static void route(uint16_t type, unsigned char rt, const char *dst, int len, int oif)
{
	struct nlmsghdr *h = begin(type, sizeof(struct rtmsg));
	struct rtmsg *r = NLMSG_DATA(h);
	uint8_t a[16];
	int fam = strchr(dst, ':') ? AF_INET6 : AF_INET;

	r->rtm_family = (unsigned char)fam;
	r->rtm_type = rt;
	r->rtm_dst_len = (unsigned char)len;
	r->rtm_table = RT_TABLE_LOCAL;
	CHECK(inet_pton(fam, dst, a) == 1);
	put_attr(h, RTA_DST, a, fam == AF_INET ? 4 : 16);
	put_attr(h, RTA_OIF, &oif, sizeof(oif));
	end(h);
}

static void addr(uint16_t type, const char *s, int ifindex)
{
	struct nlmsghdr *h = begin(type, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	uint8_t a[16];
	int fam = strchr(s, ':') ? AF_INET6 : AF_INET;

	ifa->ifa_family = (unsigned char)fam;
	ifa->ifa_index = (unsigned)ifindex;
	CHECK(inet_pton(fam, s, a) == 1);
	put_attr(h, fam == AF_INET ? IFA_LOCAL : IFA_ADDRESS, a, fam == AF_INET ? 4 : 16);
	end(h);
}

static bool has(struct nodeaddr_set *s, const char *a)
{
	struct nw_addr x;
	cleanup_err nw_err err = NULL;

	CHECK(addr_parse(a, &x, &err) == 0);
	return nodeaddr_set_contains(s, &x);
}

static void apply(struct nodeaddr_set *s)
{
	cleanup_err nw_err err = NULL;

	CHECK(nodeaddr_set_apply(s, msgs, used, &err) == 0);
	used = 0;
}

static void test_messages(void)
{
	struct nodeaddr_set s = {0};

	/* The gateway address on two veths, an address, an AnyIP route. */
	addr(RTM_NEWADDR, "169.254.1.1", 7);
	route(RTM_NEWROUTE, RTN_LOCAL, "169.254.1.1", 32, 7);
	route(RTM_NEWROUTE, RTN_LOCAL, "169.254.1.1", 32, 8);
	addr(RTM_NEWADDR, "93.184.216.34", 2);
	route(RTM_NEWROUTE, RTN_LOCAL, "45.10.20.128", 25, 1);
	route(RTM_NEWROUTE, RTN_LOCAL, "2a01:4f8::1", 128, 2);
	/* Not local: a unicast and a broadcast route. */
	route(RTM_NEWROUTE, RTN_UNICAST, "8.8.8.0", 24, 2);
	route(RTM_NEWROUTE, RTN_BROADCAST, "93.184.216.255", 32, 2);
	apply(&s);
	CHECK(!s.stale);
	CHECK(has(&s, "169.254.1.1"));
	CHECK(has(&s, "93.184.216.34"));
	CHECK(has(&s, "45.10.20.200"));
	CHECK(!has(&s, "45.10.20.100"));
	CHECK(has(&s, "2a01:4f8::1"));
	CHECK(!has(&s, "2a01:4f8::2"));
	CHECK(!has(&s, "8.8.8.8"));
	CHECK(!has(&s, "93.184.216.255"));

	/* One veth gone (its address, then its route): the other keeps the
	 * gateway address the node's. */
	addr(RTM_DELADDR, "169.254.1.1", 7);
	route(RTM_DELROUTE, RTN_LOCAL, "169.254.1.1", 32, 7);
	apply(&s);
	CHECK(has(&s, "169.254.1.1"));
	route(RTM_DELROUTE, RTN_LOCAL, "169.254.1.1", 32, 8);
	route(RTM_DELROUTE, RTN_LOCAL, "45.10.20.128", 25, 1);
	apply(&s);
	CHECK(!has(&s, "169.254.1.1"));
	CHECK(!has(&s, "45.10.20.200"));
	/* An address and its local route on the same interface are one entry:
	 * the kernel removes both together, and either message removes it. */
	route(RTM_DELROUTE, RTN_LOCAL, "93.184.216.34", 32, 2);
	apply(&s);
	CHECK(!has(&s, "93.184.216.34"));

	/* A message cut short: nothing can be trusted, everything is the node. */
	route(RTM_NEWROUTE, RTN_LOCAL, "1.2.3.4", 32, 2);
	{
		cleanup_err nw_err err = NULL;
		nodeaddr_set_apply(&s, msgs, used - 4, &err);
		used = 0;
	}
	CHECK(s.stale);
	CHECK(has(&s, "8.8.8.8"));
	nodeaddr_set_clear(&s);
	CHECK(!has(&s, "8.8.8.8"));
	nodeaddr_set_free(&s);
}

/* Many host routes, in any order: each found, none between them. */
static void test_many(void)
{
	struct nodeaddr_set s = {0};
	char a[32];

	for (int i = 999; i >= 0; i--) {
		snprintf(a, sizeof(a), "100.%d.%d.1", i / 250, i % 250);
		route(RTM_NEWROUTE, RTN_LOCAL, a, 32, 10 + i % 3);
		if (used > sizeof(msgs) - 256)
			apply(&s);
	}
	apply(&s);
	CHECK(s.nhost == 1000);
	for (int i = 0; i < 1000; i++) {
		snprintf(a, sizeof(a), "100.%d.%d.1", i / 250, i % 250);
		CHECK(has(&s, a));
		snprintf(a, sizeof(a), "100.%d.%d.2", i / 250, i % 250);
		CHECK(!has(&s, a));
	}
	nodeaddr_set_free(&s);
}

static void agree(struct nodeaddr_nl *nl, const struct nw_addr *a)
{
	char s[64];
	bool set = nodeaddr_nl_is_node(nl, a), kernel = nodeaddr_route_query(NULL, a);

	if (set != kernel) {
		printf("#   %s: set %d, kernel %d\n", addr_str(a, s, sizeof(s)), set, kernel);
		CHECK(0);
	}
}

static void test_kernel_agrees(void)
{
	struct nodeaddr_nl nl;
	cleanup_err nw_err err = NULL;
	struct ifaddrs *ifs = NULL;
	static const char *const others[] = {"8.8.8.8", "1.1.1.1", "127.0.0.1", "2606:4700::1111",
					     "::1"};

	if (nodeaddr_nl_open(&nl, &err) < 0) {
		printf("# skip: %s\n", nw_err_msg(err));
		CHECK(0);
		return;
	}
	CHECK(!nl.set.stale);
	CHECK(getifaddrs(&ifs) == 0);
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		struct nw_addr a;
		if (i->ifa_addr == NULL ||
		    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
			continue;
		addr_from_sockaddr(i->ifa_addr, &a);
		/* Link-local IPv6 needs a scope the query cannot give. */
		if (a.family == AF_INET6 && a.a[0] == 0xfe && (a.a[1] & 0xc0) == 0x80)
			continue;
		CHECK(nodeaddr_nl_is_node(&nl, &a));
		agree(&nl, &a);
	}
	freeifaddrs(ifs);
	/* Where the set is stricter: a local route with a preferred source
	 * (127.0.0.0/8 src 127.0.0.1, an AnyIP route given "src") makes the
	 * kernel's query answer with that source, so it took the rest of the
	 * range for "not the node", though the node answers there. */
	{
		struct nw_addr a;
		CHECK(addr_parse("127.1.2.3", &a, &err) == 0);
		CHECK(nodeaddr_nl_is_node(&nl, &a));
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		struct nw_addr a;
		CHECK(addr_parse(others[i], &a, &err) == 0);
		agree(&nl, &a);
	}
	nodeaddr_nl_close(&nl);
}

int main(void)
{
	RUN(test_messages);
	RUN(test_many);
	RUN(test_kernel_agrees);
	UNIT_DONE();
}
