/* The proxy's decision: a name (as a request, a CONNECT or a TLS server
 * name) and then a DNS answer, against a fixed node config, job list and
 * set of node addresses. Input: byte 0 picks how the name came and whether
 * the node set is stale, bytes 1-2 the port, then the name up to a '\n',
 * then the answer's addresses (a byte: even IPv4 + 4 bytes, odd IPv6 + 16).
 * Whatever the input, what is allowed keeps every promise of SECURITY.md's
 * `http` row that the decision owns: on the job's list (or report mode),
 * the port in its list, every address global or listed private, never in
 * deny_destinations, never the node's (loopback the operator listed
 * aside), and the address connected to is one of the answer's IPv4. */
#include <string.h>

#include "config.h"
#include "domain.h"
#include "fuzz.h"
#include "nodeaddr.h"
#include "ports.h"
#include "proxy_int.h"

static struct nw_config cfg;
static struct domain_list doms;
static struct nodeaddr_set node;
static bool ready;

static const char node_cfg[] =
    "{\"deny_destinations\": [\"api.wild.test\", \"1.2.3.0/24\", \"9.9.9.9:443\"],"
    " \"allow_private_destinations\": [\"10.0.0.0/8:443\", \"127.0.0.0/8\", \"fd00::/8\"],"
    " \"connect_ports\": [443, 8443], \"http_ports\": [80, \"1025-65535\"]}";
static const char *const node_nets[] = {"93.184.216.34/32", "10.9.0.1/32",     "127.0.0.0/8",
					"45.10.20.128/25",  "2a01:4f8::1/128", "fd00::1/128"};

static void setup(void)
{
	nw_err err = NULL;

	FUZZ_ASSERT(config_parse(&cfg, node_cfg, strlen(node_cfg), &err) == 0, "config");
	FUZZ_ASSERT(domain_list_parse(&doms, "a.test, .wild.test, 93.184.216.34, 10.9.0.1", &err) ==
			0,
		    "domains");
	for (size_t i = 0; i < sizeof(node_nets) / sizeof(node_nets[0]); i++) {
		struct nw_cidr c;
		FUZZ_ASSERT(addr_cidr_parse(node_nets[i], &c, &err) == 0, "%s", node_nets[i]);
		FUZZ_ASSERT(nodeaddr_set_add(&node, &c, (int)i) == 0, "set");
	}
	ready = true;
}

static bool denied_cidr(const struct nw_addr *a, uint16_t port)
{
	for (size_t i = 0; i < cfg.n_deny; i++)
		if (!cfg.deny[i].is_domain && addr_cidr_contains(&cfg.deny[i].cidr, a) &&
		    (cfg.deny[i].port == 0 || cfg.deny[i].port == port))
			return true;
	return false;
}

static void check_answer(const char *host, uint16_t port, const uint8_t *d, size_t n)
{
	struct resolve_answer ans = {0};
	struct nodeaddr_check nc = {.is_node = nodeaddr_set_contains, .ctx = &node};
	struct proxy_opts o = {.cfg = &cfg, .domains = &doms, .job_id = "j"};
	struct proxy_fail f;
	struct nw_addr pick = {0};
	int st;

	while (n > 0 && ans.n < RESOLVE_MAX_ADDRS) {
		struct nw_addr *a = &ans.addrs[ans.n];
		size_t l = d[0] % 2 ? 16 : 4;
		if (n < 1 + l)
			break;
		a->family = l == 4 ? AF_INET : AF_INET6;
		memcpy(a->a, d + 1, l);
		ans.n++;
		d += 1 + l, n -= 1 + l;
	}
	st = proxy_policy_addrs(&o, NULL, &nc, host, port, &ans, &pick, &f);
	FUZZ_ASSERT(st == 0 || st == 403 || st == 502, "status %d", st);
	FUZZ_ASSERT(st == 0 || memchr(f.reason, '\0', sizeof(f.reason)) != NULL,
		    "reason unterminated");
	if (st != 0)
		return;
	bool picked = false;
	for (size_t i = 0; i < ans.n; i++) {
		struct nw_addr u = addr_unmap(&ans.addrs[i]);
		bool loop = u.family == AF_INET && u.a[0] == 127;
		FUZZ_ASSERT(addr_is_global(&u) || config_private_allowed(&cfg, &u, port),
			    "a private address allowed");
		FUZZ_ASSERT(!denied_cidr(&u, port), "a denied address allowed");
		/* A stale set holds every address: only listed loopback passes. */
		FUZZ_ASSERT(!nodeaddr_set_contains(&node, &u) ||
				(loop && config_private_allowed(&cfg, &u, port)),
			    "a node address allowed (set %s)", node.stale ? "stale" : "current");
		if (u.family == AF_INET && memcmp(u.a, pick.a, 4) == 0)
			picked = true;
	}
	FUZZ_ASSERT(pick.family == AF_INET && picked,
		    "the address connected to is not the answer's");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char raw[DOMAIN_MAX + 64], host[DOMAIN_MAX + 1];
	struct proxy_fail f;
	struct proxy_opts o = {.cfg = &cfg, .domains = &doms, .job_id = "j"};
	enum proxy_via via;
	uint16_t port;
	size_t n;
	bool is_ip, rep;
	int st;

	if (!ready)
		setup();
	if (size < 3)
		return 0;
	via = (enum proxy_via)(data[0] % 3);
	node.stale = (data[0] & 0x80) != 0;
	port = (uint16_t)(data[1] << 8 | data[2]);
	data += 3, size -= 3;
	for (n = 0; n < size && n < sizeof(raw) - 1 && data[n] != '\n'; n++)
		raw[n] = (char)data[n];
	raw[n] = '\0';
	if (n < size && data[n] == '\n')
		n++;
	data += n, size -= n;

	if (via == VIA_SNI) {
		st = proxy_policy_sni(&o, raw, port, &rep, &f);
		nw_err err = NULL;
		if (domain_canon(raw, host, &is_ip, &err) < 0) {
			nw_err_free(&err);
			FUZZ_ASSERT(st == 403, "a server name that is no host name: %d", st);
			return 0;
		}
	} else {
		nw_err err = NULL;
		if (domain_canon(raw, host, &is_ip, &err) < 0) {
			nw_err_free(&err);
			return 0;
		}
		st = proxy_policy_name(&o, host, is_ip, port, via, &rep, &f);
	}
	FUZZ_ASSERT(st == 0 || st == 403, "status %d", st);
	if (st != 0)
		return 0;
	FUZZ_ASSERT(!rep, "report mode is off");
	FUZZ_ASSERT(ports_contain(via == VIA_HTTP ? &cfg.http_ports : &cfg.connect_ports, port),
		    "port %u", port);
	FUZZ_ASSERT(is_ip || domain_list_match(&doms, host) != NULL, "\"%s\" not listed", host);
	check_answer(host, port, data, size);
	return 0;
}
