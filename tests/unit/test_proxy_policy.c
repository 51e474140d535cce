/* The proxy's one name decision, taken the same way for a request, a
 * CONNECT and the server name of a TLS ClientHello: which port list
 * applies, the allowlist, deny_destinations, and how the reason reads. */

#include "config.h"
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

int main(void)
{
	RUN(test_cases);
	RUN(test_dns_covers);
	UNIT_DONE();
}
