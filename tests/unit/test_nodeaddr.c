/* The node's address set: rtnetlink messages in, "is this the node?" out.
 * Then the set read from this machine's kernel against the kernel's own
 * per-address answer (nodeaddr_route_query), which it replaces in the
 * proxy: they must agree on every address the node has and on others,
 * but where the set is stricter (below). */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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

	if (nodeaddr_nl_open(&nl, NULL, &err) < 0) {
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

/* The quiet address (a job proxy's gateway): held once, whatever the
 * messages say of it, on however many links. */
static void test_quiet(void)
{
	struct nodeaddr_set s = {0};
	struct nw_addr gw;
	cleanup_err nw_err err = NULL;

	CHECK(addr_parse("169.254.1.1", &gw, &err) == 0);
	nodeaddr_set_quiet(&s, &gw);
	for (int i = 0; i < 1000; i++) {
		addr(RTM_NEWADDR, "169.254.1.1", 10 + i);
		route(RTM_NEWROUTE, RTN_LOCAL, "169.254.1.1", 32, 10 + i);
		if (used > sizeof(msgs) - 256)
			apply(&s);
	}
	addr(RTM_NEWADDR, "93.184.216.34", 2);
	apply(&s);
	CHECK(s.nhost == 1);
	CHECK(has(&s, "169.254.1.1"));
	CHECK(has(&s, "93.184.216.34"));
	/* Gone from every link: still the node's, for the reader's life. */
	for (int i = 0; i < 1000; i++) {
		addr(RTM_DELADDR, "169.254.1.1", 10 + i);
		if (used > sizeof(msgs) - 256)
			apply(&s);
	}
	addr(RTM_DELADDR, "93.184.216.34", 2);
	apply(&s);
	CHECK(has(&s, "169.254.1.1"));
	CHECK(!has(&s, "93.184.216.34"));
	/* A new reading keeps it; other addresses are not quiet. */
	nodeaddr_set_clear(&s);
	CHECK(has(&s, "169.254.1.1"));
	CHECK(!has(&s, "169.254.1.2"));
	nodeaddr_set_quiet(&s, NULL);
	CHECK(!has(&s, "169.254.1.1"));
	nodeaddr_set_free(&s);
}

/* ---- the notification filter ---- */

/* Big-endian loads from a packet, as the kernel's classic BPF does. */
static bool load(const uint8_t *p, size_t len, uint32_t off, int size, uint32_t *v)
{
	if (off + (uint32_t)size > len)
		return false;
	*v = 0;
	for (int i = 0; i < size; i++)
		*v = *v << 8 | p[off + (uint32_t)i];
	return true;
}

/* Runs the filter's instructions (the subset it uses) over one packet:
 * true when the packet is read, false when dropped. */
static bool run_filter(const struct sock_filter *f, const void *pkt, size_t len)
{
	uint32_t A = 0;

	for (size_t pc = 0; pc < NODEADDR_FILTER_LEN; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_LEN:
			A = (uint32_t)len;
			break;
		case BPF_LD | BPF_W | BPF_ABS:
		case BPF_LD | BPF_H | BPF_ABS:
		case BPF_LD | BPF_B | BPF_ABS: {
			int size = BPF_SIZE(i->code) == BPF_W	? 4
				   : BPF_SIZE(i->code) == BPF_H ? 2
								: 1;
			if (!load(pkt, len, i->k, size, &A))
				return false; /* the kernel drops: out of bounds */
			break;
		}
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += A == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += A >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (A & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k != 0;
		default:
			printf("#   instruction %zu: code %#x not known here\n", pc, i->code);
			CHECK(0);
			return true;
		}
	}
	printf("#   the filter ran past its end\n");
	CHECK(0);
	return true;
}

/* A route message as the kernel writes one (fib_dump_info): RTA_TABLE,
 * RTA_DST, then the rest. */
static struct nlmsghdr *kroute(uint16_t type, uint16_t flags, unsigned char rt, const char *dst,
			       int len)
{
	struct nlmsghdr *h = begin(type, sizeof(struct rtmsg));
	struct rtmsg *r = NLMSG_DATA(h);
	uint32_t table = RT_TABLE_LOCAL, oif = 7;
	uint8_t a[16];
	int fam = strchr(dst, ':') ? AF_INET6 : AF_INET;

	h->nlmsg_flags = flags;
	r->rtm_family = (unsigned char)fam;
	r->rtm_type = rt;
	r->rtm_dst_len = (unsigned char)len;
	r->rtm_table = RT_TABLE_LOCAL;
	CHECK(inet_pton(fam, dst, a) == 1);
	put_attr(h, RTA_TABLE, &table, sizeof(table));
	put_attr(h, RTA_DST, a, fam == AF_INET ? 4 : 16);
	put_attr(h, RTA_OIF, &oif, sizeof(oif));
	used = 0;
	return h;
}

/* An IPv4 address message as the kernel writes one (inet_fill_ifaddr):
 * IFA_ADDRESS (the peer's, or the address), IFA_LOCAL, IFA_LABEL. */
static struct nlmsghdr *kaddr(uint16_t type, uint16_t flags, const char *address, const char *local)
{
	struct nlmsghdr *h = begin(type, sizeof(struct ifaddrmsg));
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	uint8_t a[4], l[4];

	h->nlmsg_flags = flags;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_index = 7;
	CHECK(inet_pton(AF_INET, address, a) == 1);
	CHECK(inet_pton(AF_INET, local, l) == 1);
	put_attr(h, IFA_ADDRESS, a, 4);
	put_attr(h, IFA_LOCAL, l, 4);
	put_attr(h, IFA_LABEL, "nw0123456789abc", 16);
	used = 0;
	return h;
}

static bool reads(const struct sock_filter *f, const struct nlmsghdr *h)
{
	return run_filter(f, h, h->nlmsg_len);
}

static void test_filter(void)
{
	struct sock_filter f[NODEADDR_FILTER_LEN], none[NODEADDR_FILTER_LEN];
	struct nw_addr gw;
	cleanup_err nw_err err = NULL;
	const char *g = "169.254.1.1";

	CHECK(addr_parse(g, &gw, &err) == 0);
	nodeaddr_quiet_filter(f, &gw);
	nodeaddr_quiet_filter(none, NULL);
	/* What a job's setup and teardown tell every proxy: its gateway
	 * address and local route, and its /32 route. None is read. */
	for (int i = 0; i < 2; i++) {
		CHECK(!reads(f, kaddr(i ? RTM_DELADDR : RTM_NEWADDR, 0, g, g)));
		CHECK(!reads(f, kroute(i ? RTM_DELROUTE : RTM_NEWROUTE, 0, RTN_LOCAL, g, 32)));
		CHECK(!reads(
		    f, kroute(i ? RTM_DELROUTE : RTM_NEWROUTE, 0, RTN_UNICAST, "10.213.0.9", 32)));
	}
	/* Everything else the set keeps is read: other addresses, their
	 * local routes, AnyIP and IPv6 local routes; so is an address whose
	 * peer is the gateway. */
	CHECK(reads(f, kaddr(RTM_NEWADDR, 0, "192.0.2.7", "192.0.2.7")));
	CHECK(reads(f, kaddr(RTM_DELADDR, 0, "192.0.2.7", "192.0.2.7")));
	CHECK(reads(f, kaddr(RTM_NEWADDR, 0, g, "192.0.2.7")));
	CHECK(reads(f, kaddr(RTM_NEWADDR, 0, "192.0.2.7", g)));
	CHECK(reads(f, kroute(RTM_NEWROUTE, 0, RTN_LOCAL, "192.0.2.7", 32)));
	CHECK(reads(f, kroute(RTM_DELROUTE, 0, RTN_LOCAL, "192.0.2.7", 32)));
	CHECK(reads(f, kroute(RTM_NEWROUTE, 0, RTN_LOCAL, "169.254.0.0", 16)));
	CHECK(reads(f, kroute(RTM_NEWROUTE, 0, RTN_LOCAL, "10.0.0.0", 8)));
	CHECK(reads(f, kroute(RTM_NEWROUTE, 0, RTN_LOCAL, "2001:db8::1", 128)));
	CHECK(!reads(f, kroute(RTM_NEWROUTE, 0, RTN_UNICAST, "2001:db8::", 64)));
	/* A dump's batch is read whole, whatever its first message. */
	CHECK(reads(f, kroute(RTM_NEWROUTE, NLM_F_MULTI, RTN_UNICAST, "10.213.0.9", 32)));
	CHECK(reads(f, kroute(RTM_NEWROUTE, NLM_F_MULTI, RTN_LOCAL, g, 32)));
	CHECK(reads(f, kaddr(RTM_NEWADDR, NLM_F_MULTI, g, g)));
	/* Other messages, and short ones, are read. */
	{
		struct nlmsghdr *h = begin(NLMSG_DONE, sizeof(int));
		h->nlmsg_flags = NLM_F_MULTI;
		CHECK(reads(f, h));
		h = begin(NLMSG_ERROR, sizeof(struct nlmsgerr));
		CHECK(reads(f, h));
		h = begin(RTM_NEWLINK, 64);
		CHECK(reads(f, h));
		h = kroute(RTM_NEWROUTE, 0, RTN_LOCAL, g, 32);
		CHECK(run_filter(f, h, 40));
	}
	/* Without a quiet address, only the routes that are not local go. */
	CHECK(reads(none, kaddr(RTM_NEWADDR, 0, g, g)));
	CHECK(reads(none, kroute(RTM_NEWROUTE, 0, RTN_LOCAL, g, 32)));
	CHECK(!reads(none, kroute(RTM_NEWROUTE, 0, RTN_UNICAST, "10.213.0.9", 32)));
	used = 0;
}

/* The filter on a real socket, in a network namespace of its own: the
 * kernel's messages are laid out as the filter expects. */
static int filter_in_netns(void)
{
	struct nodeaddr_nl nl;
	cleanup_err nw_err err = NULL;
	struct nw_addr gw, other;
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	int seen_other = 0, bad = 0;
	ssize_t n;

	if (unshare(CLONE_NEWNET) < 0)
		return 2;
	if (system("ip link set lo up && ip link add nwd0 type veth peer name nwp0 && ip link set "
		   "nwd0 up && "
		   "ip addr add 169.254.1.1/32 dev nwd0") != 0)
		return 3;
	CHECK(addr_parse("169.254.1.1", &gw, &err) == 0);
	CHECK(addr_parse("192.0.2.7", &other, &err) == 0);
	if (nodeaddr_nl_open(&nl, &gw, &err) < 0)
		return 4;
	CHECK(nodeaddr_set_contains(&nl.set, &gw));
	/* A second job's link: the gateway again, its /32 route; and an
	 * address of the node's own. */
	if (system("ip link add nwd1 type veth peer name nwp1 && ip link set nwd1 up && "
		   "ip addr add 169.254.1.1/32 dev nwd1 && ip route add 10.213.0.9/32 dev nwd1 && "
		   "ip addr add 192.0.2.7/32 dev nwd1 && ip addr del 169.254.1.1/32 dev nwd1") != 0)
		return 3;
	/* Read here, one by one, then handed to the set as its own reading
	 * would. */
	while ((n = recv(nl.fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		CHECK(nodeaddr_set_apply(&nl.set, buf, (size_t)n, NULL) == 0);
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			struct nodeaddr_set one = {0};
			nodeaddr_set_apply(&one, h, h->nlmsg_len, NULL);
			if (nodeaddr_set_contains(&one, &gw) ||
			    (h->nlmsg_type == RTM_NEWROUTE &&
			     ((struct rtmsg *)NLMSG_DATA(h))->rtm_type != RTN_LOCAL))
				bad++;
			if (nodeaddr_set_contains(&one, &other))
				seen_other++;
			nodeaddr_set_free(&one);
		}
	}
	CHECK(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
	if (bad)
		printf("#   %d messages the filter should have kept out\n", bad);
	CHECK(bad == 0);
	/* The address and its local route. */
	CHECK(seen_other == 2);
	CHECK(nodeaddr_nl_is_node(&nl, &gw));
	CHECK(nodeaddr_nl_is_node(&nl, &other));
	nodeaddr_nl_close(&nl);
	return unit_cur_failed ? 1 : 0;
}

static void test_filter_kernel(void)
{
	static const char *const why[] = {"no network namespace (root?)", "ip(8) failed",
					  "no rtnetlink socket"};

	unit_in_child(filter_in_netns, why, 3);
}

int main(void)
{
	RUN(test_messages);
	RUN(test_many);
	RUN(test_kernel_agrees);
	RUN(test_quiet);
	RUN(test_filter);
	RUN(test_filter_kernel);
	UNIT_DONE();
}
