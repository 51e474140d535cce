/* Golden tables for addresses, CIDRs, ports and the IANA special-purpose
 * registries. */
#include <arpa/inet.h>

#include "addr.h"
#include "ports.h"
#include "unit.h"

/* Prints the refusal when a case's expectation fails, so a table row that
 * goes wrong says why. */
static bool msg_has(nw_err err, const char *part)
{
	if (err == NULL)
		return false;
	if (strstr(nw_err_msg(err), part) != NULL)
		return true;
	printf("#   message \"%s\" lacks \"%s\"\n", nw_err_msg(err), part);
	return false;
}

struct addr_case {
	const char *in;
	const char *out; /* addr_str of the result; NULL: refused */
	int family;
};

/* clang-format 14 would indent these tables with spaces. */
/* clang-format off */
static const struct addr_case addr_cases[] = {
	{"127.0.0.1", "127.0.0.1", AF_INET},
	{"0.0.0.0", "0.0.0.0", AF_INET},
	{"255.255.255.255", "255.255.255.255", AF_INET},
	{"::1", "::1", AF_INET6},
	{"FD00:0::1", "fd00::1", AF_INET6},
	{"::ffff:127.0.0.1", "::ffff:127.0.0.1", AF_INET6},
	{"0x7f.0.0.1", NULL, 0},
	{"2130706433", NULL, 0},
	{"017700000001", NULL, 0},
	{"0177.0.0.1", NULL, 0},
	{"127.1", NULL, 0},
	{"256.0.0.1", NULL, 0},
	{"1.2.3.4 ", NULL, 0},
	{" 1.2.3.4", NULL, 0},
	{"[::1]", NULL, 0},
	{"fe80::1%eth0", NULL, 0},
	{"1::2::3", NULL, 0},
	{"10.0.0.0/8", NULL, 0},
	{"", NULL, 0},
	{"example.com", NULL, 0},
};
/* clang-format on */

static void test_addr_parse(void)
{
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *c = &addr_cases[i];
		struct nw_addr a;
		cleanup_err nw_err err = NULL;
		char buf[INET6_ADDRSTRLEN];
		int r = addr_parse(c->in, &a, &err);

		if (c->out == NULL) {
			if (r == 0)
				printf("#   \"%s\" accepted\n", c->in);
			CHECK(r == -1);
			CHECK(msg_has(err, "not an IPv4"));
			continue;
		}
		CHECK(r == 0);
		CHECK(a.family == c->family);
		CHECK_STR(addr_str(&a, buf, sizeof(buf)), c->out);
	}
}

struct cidr_case {
	const char *in;
	const char *out; /* addr_cidr_str (plus ":port" when there is one); NULL: refused */
	const char *why;
};

/* clang-format off */
static const struct cidr_case cidr_cases[] = {
	{"10.0.0.0/8", "10.0.0.0/8", NULL},
	{"0.0.0.0/0", "0.0.0.0/0", NULL},
	{"10.1.2.3", "10.1.2.3/32", NULL},
	{"10.1.2.3/32", "10.1.2.3/32", NULL},
	{"fd00::/8", "fd00::/8", NULL},
	{"::/0", "::/0", NULL},
	{"fd00::1", "fd00::1/128", NULL},
	{"10.0.0.1/8", NULL,
	 "host bits are set; the network is \"10.0.0.0/8\" "
	 "(or write \"10.0.0.1/32\""},
	{"fd00::1/8", NULL, "the network is \"fd00::/8\""},
	{"192.168.1.1/23", NULL, "\"192.168.0.0/23\""},
	{"10.0.0.0/33", NULL, "from 0 to 32"},
	{"fd00::/129", NULL, "from 0 to 128"},
	{"10.0.0.0/", NULL, "prefix length"},
	{"10.0.0.0/08", NULL, "prefix length"},
	{"10.0.0.0/-1", NULL, "prefix length"},
	{"10.0.0.0/+8", NULL, "prefix length"},
	{"10.0.0.0/8/8", NULL, "prefix length"},
	{"10/8", NULL, "not an IPv4"},
	{"0x0a.0.0.0/8", NULL, "not an IPv4"},
	{"/8", NULL, "not an IPv4"},
};
/* clang-format on */

static void test_cidr_parse(void)
{
	for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const struct cidr_case *c = &cidr_cases[i];
		struct nw_cidr n;
		cleanup_err nw_err err = NULL;
		char buf[64];
		int r = addr_cidr_parse(c->in, &n, &err);

		if (c->out == NULL) {
			CHECK(r == -1);
			CHECK(msg_has(err, c->why));
			CHECK(msg_has(err, c->in));
			continue;
		}
		CHECK(r == 0);
		CHECK_STR(addr_cidr_str(&n, buf, sizeof(buf)), c->out);
	}
}

/* clang-format off */
static const struct cidr_case cidr_port_cases[] = {
	{"10.0.0.0/8", "10.0.0.0/8", NULL},
	{"10.1.2.3:6443", "10.1.2.3/32:6443", NULL},
	{"10.0.0.0/8:443", "10.0.0.0/8:443", NULL},
	{"[fd00::/8]:443", "fd00::/8:443", NULL},
	{"[fd00::1]:443", "fd00::1/128:443", NULL},
	{"[fd00::1]", "fd00::1/128", NULL},
	{"fd00::1", "fd00::1/128", NULL},
	{"fd00::/8", "fd00::/8", NULL},
	{"169.254.169.254:80", "169.254.169.254/32:80", NULL},
	{"10.1.2.3:65535", "10.1.2.3/32:65535", NULL},
	{"10.1.2.3:1", "10.1.2.3/32:1", NULL},
	{"10.1.2.3:0", NULL, "port must be"},
	{"10.1.2.3:65536", NULL, "port must be"},
	{"10.1.2.3:", NULL, "port must be"},
	{"10.1.2.3:080", NULL, "port must be"},
	{"10.1.2.3:http", NULL, "port must be"},
	{"10.1.2.3:-1", NULL, "port must be"},
	{"[fd00::1]:0", NULL, "PORT 1-65535"},
	{"[fd00::1]443", NULL, "after ']'"},
	{"[fd00::1]:", NULL, "after ']'"},
	{"[fd00::1", NULL, "without ']'"},
	{"[10.0.0.1]:443", NULL, "brackets are only for IPv6"},
	{"[fd00::1/8]:443", NULL, "host bits are set"},
	{"10.0.0.1/8:443", NULL, "host bits are set"},
	{"fd00::1:443x", NULL, "not an IPv4"},
	{"example.com:443", NULL, "not an IPv4"},
	{"[]:443", NULL, "not an IPv4"},
};
/* clang-format on */

static void test_cidr_port_parse(void)
{
	for (size_t i = 0; i < sizeof(cidr_port_cases) / sizeof(cidr_port_cases[0]); i++) {
		const struct cidr_case *c = &cidr_port_cases[i];
		struct nw_cidr_port cp;
		cleanup_err nw_err err = NULL;
		char buf[64], got[80];
		int r = addr_cidr_port_parse(c->in, &cp, &err);

		if (c->out == NULL) {
			if (r == 0)
				printf("#   \"%s\" accepted\n", c->in);
			CHECK(r == -1);
			CHECK(msg_has(err, c->why));
			continue;
		}
		if (r != 0)
			printf("#   \"%s\": %s\n", c->in, nw_err_msg(err));
		CHECK(r == 0);
		if (cp.port != 0)
			snprintf(got, sizeof(got), "%s:%u",
				 addr_cidr_str(&cp.cidr, buf, sizeof(buf)), (unsigned)cp.port);
		else
			snprintf(got, sizeof(got), "%s", addr_cidr_str(&cp.cidr, buf, sizeof(buf)));
		CHECK_STR(got, c->out);
	}
}

struct contains_case {
	const char *cidr, *addr;
	bool in;
};

/* clang-format off */
static const struct contains_case contains_cases[] = {
	{"10.0.0.0/8", "10.255.255.255", true},
	{"10.0.0.0/8", "11.0.0.0", false},
	{"10.0.0.0/8", "9.255.255.255", false},
	{"100.64.0.0/10", "100.127.255.255", true},
	{"100.64.0.0/10", "100.128.0.0", false},
	{"0.0.0.0/0", "203.0.113.7", true},
	{"0.0.0.0/0", "2001:db8::1", false},
	{"10.1.2.3", "10.1.2.3", true},
	{"10.1.2.3", "10.1.2.4", false},
	{"fd00::/8", "fdff::1", true},
	{"fd00::/8", "fe00::1", false},
	{"::/0", "2001:db8::1", true},
	{"fe80::/10", "febf::1", true},
	{"fe80::/10", "fec0::1", false},
	/* A mapped spelling is the same address, both ways round. */
	{"169.254.169.254", "::ffff:169.254.169.254", true},
	{"10.0.0.0/8", "::ffff:10.1.1.1", true},
	{"::ffff:10.0.0.0/104", "10.9.9.9", true},
	{"::ffff:10.0.0.0/104", "11.0.0.0", false},
	{"::ffff:0:0/96", "1.2.3.4", true},
	{"fd00::/8", "10.0.0.1", false},
};
/* clang-format on */

static void test_contains(void)
{
	for (size_t i = 0; i < sizeof(contains_cases) / sizeof(contains_cases[0]); i++) {
		const struct contains_case *c = &contains_cases[i];
		struct nw_cidr n;
		struct nw_addr a;
		cleanup_err nw_err err = NULL;

		CHECK(addr_cidr_parse(c->cidr, &n, &err) == 0);
		CHECK(addr_parse(c->addr, &a, &err) == 0);
		if (addr_cidr_contains(&n, &a) != c->in)
			printf("#   %s in %s: expected %d\n", c->addr, c->cidr, c->in);
		CHECK(addr_cidr_contains(&n, &a) == c->in);
	}
	struct nw_cidr none = {0};
	struct nw_addr any = {0};
	CHECK(!addr_cidr_contains(&none, &any));
}

static void test_unmap(void)
{
	struct nw_addr a, u;
	cleanup_err nw_err err = NULL;
	char buf[INET6_ADDRSTRLEN];

	CHECK(addr_parse("::ffff:127.0.0.1", &a, &err) == 0);
	u = addr_unmap(&a);
	CHECK(u.family == AF_INET);
	CHECK_STR(addr_str(&u, buf, sizeof(buf)), "127.0.0.1");
	CHECK(addr_parse("::127.0.0.1", &a, &err) == 0);
	u = addr_unmap(&a);
	CHECK(u.family == AF_INET6);
	CHECK(addr_parse("64:ff9b::7f00:1", &a, &err) == 0);
	u = addr_unmap(&a);
	CHECK(u.family == AF_INET6);
	CHECK(addr_parse("10.0.0.1", &a, &err) == 0);
	u = addr_unmap(&a);
	CHECK(u.family == AF_INET && memcmp(u.a, a.a, 4) == 0);
}

struct global_case {
	const char *addr;
	bool global;
};

/* clang-format off */
static const struct global_case global_cases[] = {
	{"1.1.1.1", true},
	{"8.8.8.8", true},
	{"192.0.1.255", true},
	{"0.0.0.0", false},
	{"0.255.255.255", false},
	{"10.0.0.1", false},
	{"100.63.255.255", true},
	{"100.64.0.1", false},
	{"100.127.255.255", false},
	{"100.128.0.0", true},
	{"127.0.0.1", false},
	{"127.255.255.254", false},
	{"169.254.169.254", false},
	{"172.15.255.255", true},
	{"172.16.0.1", false},
	{"172.31.255.255", false},
	{"172.32.0.0", true},
	{"192.0.0.1", false},
	{"192.0.0.9", false},
	{"192.0.2.1", false},
	{"192.88.99.1", false},
	{"192.168.1.1", false},
	{"198.17.255.255", true},
	{"198.18.0.1", false},
	{"198.19.255.255", false},
	{"198.20.0.0", true},
	{"198.51.100.1", false},
	{"203.0.113.1", false},
	{"223.255.255.255", true},
	{"224.0.0.1", false},
	{"239.255.255.255", false},
	{"240.0.0.1", false},
	{"255.255.255.255", false},
	{"2606:4700::1111", true},
	{"2a00:1450::1", true},
	{"::", false},
	{"::1", false},
	{"::ffff:127.0.0.1", false},
	{"::ffff:10.0.0.1", false},
	{"::ffff:8.8.8.8", true},
	{"::127.0.0.1", false},
	{"64:ff9b::7f00:1", false},
	{"64:ff9b::a9fe:a9fe", false},
	{"64:ff9b::808:808", true},
	{"64:ff9b:1::808:808", false},
	{"100::1", false},
	{"2001::1", false},
	{"2001:0:4136:e378::1", false},
	{"2001:1ff:ffff::1", false},
	{"2001:200::1", true},
	{"2001:db8::1", false},
	{"2002:7f00:1::1", false},
	{"2002:a00:1::1", false},
	{"2002:c000:0201::1", false},
	{"2002:808:808::1", true},
	{"3fff::1", false},
	{"3fff:fff::1", false},
	{"3fff:1000::1", true},
	{"5f00::1", false},
	{"fc00::1", false},
	{"fd00::1", false},
	{"fe80::1", false},
	{"febf::1", false},
	{"fec0::1", false},
	{"ff02::1", false},
	{"4000::1", false},
	{"1fff::1", false},
};
/* clang-format on */

static void test_is_global(void)
{
	for (size_t i = 0; i < sizeof(global_cases) / sizeof(global_cases[0]); i++) {
		const struct global_case *c = &global_cases[i];
		struct nw_addr a;
		cleanup_err nw_err err = NULL;

		CHECK(addr_parse(c->addr, &a, &err) == 0);
		if (addr_is_global(&a) != c->global)
			printf("#   %s: expected global=%d\n", c->addr, c->global);
		CHECK(addr_is_global(&a) == c->global);
	}
	struct nw_addr none = {0};
	CHECK(!addr_is_global(&none));
}

static void test_sockaddr(void)
{
	struct nw_addr a, b;
	struct sockaddr_storage ss;
	cleanup_err nw_err err = NULL;
	char buf[INET6_ADDRSTRLEN];

	CHECK(addr_parse("192.0.2.7", &a, &err) == 0);
	CHECK(addr_to_sockaddr(&a, 8080, &ss) == sizeof(struct sockaddr_in));
	CHECK(((struct sockaddr_in *)&ss)->sin_port == htons(8080));
	addr_from_sockaddr((struct sockaddr *)&ss, &b);
	CHECK_STR(addr_str(&b, buf, sizeof(buf)), "192.0.2.7");

	CHECK(addr_parse("2001:db8::7", &a, &err) == 0);
	CHECK(addr_to_sockaddr(&a, 443, &ss) == sizeof(struct sockaddr_in6));
	CHECK(((struct sockaddr_in6 *)&ss)->sin6_port == htons(443));
	addr_from_sockaddr((struct sockaddr *)&ss, &b);
	CHECK(b.family == AF_INET6);
	CHECK_STR(addr_str(&b, buf, sizeof(buf)), "2001:db8::7");

	struct nw_addr none = {0};
	CHECK(addr_to_sockaddr(&none, 1, &ss) == 0);
	CHECK_STR(addr_str(&none, buf, sizeof(buf)), "(no address)");
	CHECK_STR(addr_str(&a, buf, 4), "");
}

struct range_case {
	const char *in;
	int lo, hi; /* lo 0: refused */
	const char *why;
};

/* clang-format off */
static const struct range_case range_cases[] = {
	{"80", 80, 80, NULL},
	{"1", 1, 1, NULL},
	{"65535", 65535, 65535, NULL},
	{"1025-65535", 1025, 65535, NULL},
	{"443-443", 443, 443, NULL},
	{"0", 0, 0, "from 1 to 65535"},
	{"65536", 0, 0, "from 1 to 65535"},
	{"080", 0, 0, "from 1 to 65535"},
	{"", 0, 0, "from 1 to 65535"},
	{"http", 0, 0, "from 1 to 65535"},
	{" 80", 0, 0, "from 1 to 65535"},
	{"+80", 0, 0, "from 1 to 65535"},
	{"100-80", 0, 0, "start 100 is above end 80"},
	{"0-80", 0, 0, "LO-HI"},
	{"80-", 0, 0, "LO-HI"},
	{"-80", 0, 0, "LO-HI"},
	{"1-2-3", 0, 0, "LO-HI"},
	{"1-99999", 0, 0, "LO-HI"},
};
/* clang-format on */

static void test_ports(void)
{
	struct nw_ports p = {0};
	cleanup_err nw_err err = NULL;

	for (size_t i = 0; i < sizeof(range_cases) / sizeof(range_cases[0]); i++) {
		const struct range_case *c = &range_cases[i];
		struct nw_port_range r = {0};
		cleanup_err nw_err e = NULL;
		int ret = ports_parse_range(c->in, &r, &e);

		if (c->lo == 0) {
			CHECK(ret == -1);
			CHECK(msg_has(e, c->why));
			continue;
		}
		CHECK(ret == 0);
		CHECK(r.lo == c->lo && r.hi == c->hi);
	}

	CHECK(ports_add(&p, 80, 80, &err) == 0);
	CHECK(ports_add(&p, 443, 443, &err) == 0);
	CHECK(ports_add(&p, 1025, 65535, &err) == 0);
	CHECK(ports_contain(&p, 80) && ports_contain(&p, 443));
	CHECK(ports_contain(&p, 1025) && ports_contain(&p, 65535));
	CHECK(!ports_contain(&p, 22) && !ports_contain(&p, 1024) && !ports_contain(&p, 0));
	CHECK(ports_add(&p, 0, 10, &err) == -1);
	nw_err_free(&err);
	CHECK(ports_add(&p, 10, 9, &err) == -1);
	CHECK(msg_has(err, "10-9"));
	CHECK(p.n == 3);
	ports_free(&p);
	CHECK(p.n == 0 && p.r == NULL);
	CHECK(!ports_contain(&p, 80));
}

int main(void)
{
	RUN(test_addr_parse);
	RUN(test_cidr_parse);
	RUN(test_cidr_port_parse);
	RUN(test_contains);
	RUN(test_unmap);
	RUN(test_is_global);
	RUN(test_sockaddr);
	RUN(test_ports);
	UNIT_DONE();
}
