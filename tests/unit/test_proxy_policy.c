/* The proxy's one name decision, taken the same way for a request, a
 * CONNECT and the server name of a TLS ClientHello: which port list
 * applies, the allowlist, deny_destinations, and how the reason reads. */

#include <stdlib.h>

#include "config.h"
#include "nodeaddr.h"
#include "proxy_int.h"
#include "unit.h"

struct case_ {
	enum proxy_via via;
	const char *host; /* canonical for VIA_HTTP/VIA_CONNECT, as sent for VIA_SNI */
	bool is_ip;
	uint16_t port;
	int status;
	const char *why;
};

static const struct case_ cases[] = {
    {VIA_HTTP, "www.a.test", false, 80, 0, NULL},
    {VIA_CONNECT, "www.a.test", false, 443, 0, NULL},
    {VIA_SNI, "WWW.A.Test.", false, 443, 0, NULL},
    {VIA_SNI, "x.wild.test", false, 443, 0, NULL},
    /* ports: a tunnel (CONNECT or TLS) on connect_ports, HTTP on http_ports */
    {VIA_HTTP, "www.a.test", false, 22, 403, "port 22 is not in http_ports"},
    {VIA_CONNECT, "www.a.test", false, 80, 403, "port 80 is not in connect_ports"},
    {VIA_SNI, "www.a.test", false, 80, 403, "port 80 is not in connect_ports"},
    /* the allowlist, whole labels */
    {VIA_HTTP, "evil.test", false, 80, 403, "domain \"evil.test\" is not in this job's"},
    {VIA_SNI, "evil.test", false, 443, 403, "the TLS server name \"evil.test\" is not"},
    {VIA_SNI, "evilwww.a.test", false, 443, 403, "not in this job's allowlist"},
    /* deny_destinations hold for a server name as for a host */
    {VIA_CONNECT, "api.wild.test", false, 443, 403, "in deny_destinations"},
    {VIA_SNI, "api.wild.test", false, 443, 403,
     "the TLS server name api.wild.test:443 is in "
     "deny_destinations"},
    /* a server name that is no host name, or an IP literal */
    {VIA_SNI, "a_b.a.test", false, 443, 403, "not a host name"},
    {VIA_SNI, "198.18.0.10", false, 443, 403, "the TLS server name 198.18.0.10 is an IP"},
    {VIA_SNI, "198.18.0.99", false, 443, 0, NULL},
};

static void test_cases(void)
{
	struct nw_config cfg = {0};
	struct domain_list doms = {0};
	cleanup_err nw_err err = NULL;
	static const char node[] = "{\"deny_destinations\": [\"api.wild.test\"]}";
	struct proxy_opts o = {.cfg = &cfg, .domains = &doms, .job_id = "j"};
	struct proxy_fail f;

	CHECK(config_parse(&cfg, node, strlen(node), &err) == 0);
	CHECK(domain_list_parse(&doms, "www.a.test, .wild.test, 198.18.0.99", &err) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct case_ *k = &cases[i];
		int st;

		bool rep;

		f.reason[0] = '\0';
		if (k->via == VIA_SNI)
			st = proxy_policy_sni(&o, k->host, k->port, &rep, &f);
		else
			st = proxy_policy_name(&o, k->host, k->is_ip, k->port, k->via, &rep, &f);
		/* The node config of these cases has no report mode. */
		CHECK(!rep);
		if (st != k->status || (k->why && strstr(f.reason, k->why) == NULL)) {
			printf("#   case %zu (%s:%u): %d \"%s\"\n", i, k->host, k->port, st,
			       f.reason);
			CHECK(0);
		}
	}
	domain_list_free(&doms);
	config_free(&cfg);
}

/* The job's DNS answers only names the list covers, and no name
 * deny_destinations holds on every port. */
static void test_dns_covers(void)
{
	struct nw_config cfg = {0};
	struct domain_list doms = {0};
	cleanup_err nw_err err = NULL;
	static const char node[] =
	    "{\"deny_destinations\": [\"api.wild.test\", \"web.wild.test:8080\"]}";
	struct proxy_opts o = {.cfg = &cfg, .domains = &doms, .job_id = "j"};
	static const struct {
		const char *name;
		bool covered;
	} k[] = {
	    {"www.a.test", true},     {"a.test", false},	  {"x.www.a.test", false},
	    {"wild.test", true},      {"deep.x.wild.test", true}, {"evilwild.test", false},
	    {"api.wild.test", false}, {"web.wild.test", true},	  {"", false},
	};

	CHECK(config_parse(&cfg, node, strlen(node), &err) == 0);
	CHECK(domain_list_parse(&doms, "www.a.test, .wild.test", &err) == 0);
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (proxy_policy_dns_covers(&o, k[i].name) != k[i].covered) {
			printf("#   %s: covered %d\n", k[i].name, !k[i].covered);
			CHECK(0);
		}
	domain_list_free(&doms);
	config_free(&cfg);
}

/* The address decision: one DNS answer (addresses and CNAMEs) against the
 * node config, the job's list, deny_destinations and the node's own
 * addresses, given as a set (nodeaddr.h), as the job proxy gives it. */
struct addr_case {
	const char *host;
	uint16_t port;
	const char *addrs; /* the answer, comma-separated */
	const char *cnames;
	int status;
	const char *why;  /* in the reason; NULL when allowed */
	const char *pick; /* the address connected to when allowed */
};

/* The node holds 93.184.216.34 (global, on two interfaces), 10.9.0.1,
 * 127.0.0.0/8, 2a01:4f8::1, and an AnyIP route 45.10.20.128/25. */
static const char *const node_addrs[] = {"93.184.216.34/32@2", "93.184.216.34/32@3",
					 "10.9.0.1/32@2",      "127.0.0.0/8@1",
					 "2a01:4f8::1/128@2",  "45.10.20.128/25@1"};

static const struct addr_case addr_cases[] = {
    {"www.a.test", 443, "8.8.8.8", NULL, 0, NULL, "8.8.8.8"},
    /* the first IPv4 address is the one connected to */
    {"www.a.test", 443, "2606:4700::1,8.8.4.4,1.1.1.1", NULL, 0, NULL, "8.8.4.4"},
    {"www.a.test", 443, "2606:4700::1", NULL, 502, "has no IPv4 address", NULL},
    /* the node, under a globally reachable address, in every spelling */
    {"www.a.test", 443, "93.184.216.34", NULL, 403, "93.184.216.34, an address of this node", NULL},
    {"93.184.216.34", 443, "93.184.216.34", NULL, 403, "93.184.216.34 is an address of this node",
     NULL},
    {"www.a.test", 443, "::ffff:93.184.216.34", NULL, 403, "an address of this node", NULL},
    {"www.a.test", 443, "2a01:4f8::1", NULL, 403, "an address of this node", NULL},
    {"www.a.test", 443, "45.10.20.200", NULL, 403, "an address of this node", NULL},
    {"www.a.test", 443, "45.10.20.100", NULL, 0, NULL, "45.10.20.100"},
    /* one refused address refuses the name (rebinding) */
    {"www.a.test", 443, "8.8.8.8,93.184.216.34", NULL, 403, "one refused address of 2", NULL},
    /* private: only what allow_private_destinations lists, with its port */
    {"www.a.test", 443, "10.1.2.3", NULL, 403, "a private address", NULL},
    {"www.a.test", 443, "10.20.0.5", NULL, 0, NULL, "10.20.0.5"},
    {"www.a.test", 80, "10.20.0.5", NULL, 403, "does not include it on port 80", NULL},
    /* an allowed private range holding a node address: still the node */
    {"www.a.test", 443, "10.9.0.1", NULL, 403, "an address of this node", NULL},
    {"www.a.test", 443, "10.9.0.2", NULL, 0, NULL, "10.9.0.2"},
    /* loopback listed by the operator is the one exception */
    {"www.a.test", 8080, "127.0.0.5", NULL, 0, NULL, "127.0.0.5"},
    {"www.a.test", 443, "127.0.0.5", NULL, 403, "a private address", NULL},
    /* deny_destinations: by CIDR, and by name through CNAMEs */
    {"www.a.test", 443, "8.8.8.8", "cdn.x.test,api.wild.test", 403,
     "alias (CNAME) of api.wild.test", NULL},
    {"www.a.test", 443, "1.2.3.4", NULL, 403, "1.2.3.4:443 is in deny_destinations", NULL},
};

static void set_from(struct nodeaddr_set *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char buf[128], *at;
		cleanup_err nw_err err = NULL;
		struct nw_cidr c;

		snprintf(buf, sizeof(buf), "%s", v[i]);
		at = strchr(buf, '@');
		*at = '\0';
		CHECK(addr_cidr_parse(buf, &c, &err) == 0);
		CHECK(nodeaddr_set_add(s, &c, atoi(at + 1)) == 0);
	}
}

static void answer_from(struct resolve_answer *ans, const char *addrs, const char *cnames)
{
	char buf[256], *save = NULL;

	memset(ans, 0, sizeof(*ans));
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		cleanup_err nw_err err = NULL;
		CHECK(addr_parse(t, &ans->addrs[ans->n++], &err) == 0);
	}
	if (cnames == NULL)
		return;
	snprintf(buf, sizeof(buf), "%s", cnames);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		snprintf(ans->cnames[ans->ncnames++], DOMAIN_MAX + 1, "%s", t);
}

static void test_addr_cases(void)
{
	struct nw_config cfg = {0};
	struct domain_list doms = {0};
	cleanup_err nw_err err = NULL;
	static const char node[] =
	    "{\"deny_destinations\": [\"api.wild.test\", \"1.2.3.4\"],"
	    " \"allow_private_destinations\": [\"10.9.0.0/16:443\", \"10.20.0.0/16:443\","
	    " \"127.0.0.0/8:8080\"]}";
	struct proxy_opts o = {.cfg = &cfg, .domains = &doms, .job_id = "j"};
	struct nodeaddr_set set = {0};
	struct nodeaddr_check nc = {.is_node = nodeaddr_set_contains, .ctx = &set};
	struct proxy_fail f;
	char s[64];

	CHECK(config_parse(&cfg, node, strlen(node), &err) == 0);
	CHECK(domain_list_parse(&doms, "www.a.test, 93.184.216.34", &err) == 0);
	set_from(&set, node_addrs, sizeof(node_addrs) / sizeof(node_addrs[0]));
	for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		const struct addr_case *k = &addr_cases[i];
		struct resolve_answer ans;
		struct nw_addr pick = {0};
		int st;

		answer_from(&ans, k->addrs, k->cnames);
		f.reason[0] = '\0';
		st = proxy_policy_addrs(&o, NULL, &nc, k->host, k->port, &ans, &pick, &f);
		if (st != k->status || (k->why && strstr(f.reason, k->why) == NULL) ||
		    (k->pick && strcmp(addr_str(&pick, s, sizeof(s)), k->pick) != 0)) {
			printf("#   case %zu (%s:%u %s): %d \"%s\"\n", i, k->host, k->port,
			       k->addrs, st, f.reason);
			CHECK(0);
		}
	}
	/* A set that cannot be trusted (notifications lost, no dump yet)
	 * answers "the node" for every address: refused, never let through. */
	set.stale = true;
	{
		struct resolve_answer ans;
		struct nw_addr pick;

		answer_from(&ans, "8.8.8.8", NULL);
		CHECK(proxy_policy_addrs(&o, NULL, &nc, "www.a.test", 443, &ans, &pick, &f) == 403);
		CHECK(strstr(f.reason, "an address of this node") != NULL);
	}
	nodeaddr_set_free(&set);
	domain_list_free(&doms);
	config_free(&cfg);
}

int main(void)
{
	RUN(test_cases);
	RUN(test_dns_covers);
	RUN(test_addr_cases);
	UNIT_DONE();
}
