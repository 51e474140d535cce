/* fw_render against golden rulesets. `make unit` runs from the repository
 * root; the goldens are found next to this file (its __FILE__ path).
 * NW_GOLDEN_UPDATE=1 rewrites them from the current output. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "cleanup.h"
#include "config.h"
#include "fw.h"
#include "ports.h"
#include "unit.h"

#define IFN "nw0123456789abc"

static char *golden_path(const char *name)
{
	const char *slash = strrchr(__FILE__, '/');
	int dir = slash ? (int)(slash - __FILE__) : 0;
	char *p = NULL;

	if (asprintf(&p, "%.*s%sgolden/%s", dir, __FILE__, slash ? "/" : "", name) < 0)
		return NULL;
	return p;
}

static char *slurp(const char *path)
{
	cleanup_file FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void check_golden(const char *name, const char *got)
{
	cleanup_free char *path = golden_path(name);
	cleanup_free char *want = NULL;

	CHECK(path != NULL && got != NULL);
	if (path == NULL || got == NULL)
		return;
	if (getenv("NW_GOLDEN_UPDATE") != NULL) {
		cleanup_file FILE *f = fopen(path, "w");
		CHECK(f != NULL && fputs(got, f) >= 0);
	}
	want = slurp(path);
	CHECK(want != NULL);
	if (want != NULL && strcmp(want, got) != 0) {
		printf("# %s differs; got:\n%s", path, got);
		CHECK(!"rendered ruleset matches the golden file");
	}
}

static struct nw_addr v4(const char *s)
{
	struct nw_addr a = {.family = AF_INET};

	inet_pton(AF_INET, s, a.a);
	return a;
}

static struct nw_cidr cidr(int family, const char *s, int prefix)
{
	struct nw_cidr c = {.addr = {.family = family}, .prefix = prefix};

	inet_pton(family, s, c.addr.a);
	return c;
}

static struct nw_config base_config(void)
{
	struct nw_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.subnet = cidr(AF_INET, "10.213.0.0", 16);
	cfg.proxy_port = 3128;
	return cfg;
}

static struct fw_job job(enum nw_mode mode, const struct nw_config *cfg)
{
	struct fw_job j = {
	    .host_if = IFN,
	    .job_addr = v4("10.213.0.7"),
	    .gateway = v4("169.254.1.1"),
	    .proxy_port = cfg->proxy_port,
	    .mode = mode,
	    .cfg = cfg,
	};
	return j;
}

static void test_http(void)
{
	struct nw_config cfg = base_config();
	struct fw_job j = job(NW_MODE_HTTP, &cfg);
	cleanup_err nw_err err = NULL;
	cleanup_free char *s = fw_render(&j, &err);

	CHECK(err == NULL);
	check_golden("fw_http.nft", s);
}

static void test_full(void)
{
	struct nw_config cfg = base_config();
	struct nw_deny deny[] = {
	    {.cidr = cidr(AF_INET, "192.0.2.0", 24), .text = "192.0.2.0/24"},
	    {.cidr = cidr(AF_INET, "198.51.100.10", 32),
	     .port = 6443,
	     .text = "198.51.100.10:6443"},
	    {.cidr = cidr(AF_INET6, "fd00::", 8), .text = "fd00::/8"},
	    {.is_domain = true,
	     .domain = {.name = "api.example.com"},
	     .port = 443,
	     .text = "api.example.com:443"},
	};
	struct fw_job j;
	cleanup_err nw_err err = NULL;
	cleanup_free char *s = NULL;

	cfg.deny = deny;
	cfg.n_deny = sizeof(deny) / sizeof(deny[0]);
	j = job(NW_MODE_FULL, &cfg);
	s = fw_render(&j, &err);
	CHECK(err == NULL);
	check_golden("fw_full.nft", s);
	/* The IPv6 and domain entries are not the firewall's to enforce. */
	CHECK(s != NULL && strstr(s, "fd00") == NULL && strstr(s, "example") == NULL);
}

static void test_deterministic(void)
{
	struct nw_config cfg = base_config();
	struct fw_job j = job(NW_MODE_FULL, &cfg);
	cleanup_free char *a = fw_render(&j, NULL);
	cleanup_free char *b = fw_render(&j, NULL);

	CHECK_STR(a, b);
}

static void test_refuses_bad_input(void)
{
	struct nw_config cfg = base_config();
	struct fw_job j = job(NW_MODE_HTTP, &cfg);
	cleanup_err nw_err err = NULL;
	char *s;

	j.host_if = "nw\" accept; x";
	s = fw_render(&j, &err);
	CHECK(s == NULL && err != NULL && err->code == EINVAL);
	nw_err_free(&err);

	j = job(NW_MODE_HTTP, &cfg);
	j.job_addr.family = AF_INET6;
	s = fw_render(&j, &err);
	CHECK(s == NULL && err != NULL);
	nw_err_free(&err);

	j = job(NW_MODE_HTTP, &cfg);
	j.host_if = "";
	s = fw_render(&j, &err);
	CHECK(s == NULL && err != NULL);
}

static void test_remove_refuses_bad_names(void)
{
	cleanup_err nw_err err = NULL;

	/* Checked before any nftables call, so this stays pure. */
	CHECK(fw_remove_job("nw\" }; flush ruleset", 0, -1, &err) < 0 && err != NULL &&
	      err->code == EINVAL);
	nw_err_free(&err);
	CHECK(fw_remove_job("", 0, -1, &err) < 0 && err != NULL);
}

static void test_modes_differ_only_in_elements(void)
{
	struct nw_config cfg = base_config();
	struct fw_job h = job(NW_MODE_HTTP, &cfg), f = job(NW_MODE_FULL, &cfg);
	cleanup_free char *a = fw_render(&h, NULL);
	cleanup_free char *b = fw_render(&f, NULL);
	const char *ea, *eb;

	/* The chains are shared by every job: only the job's elements may
	 * depend on its mode. */
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	ea = strstr(a, "add element");
	eb = strstr(b, "add element");
	CHECK(ea != NULL && eb != NULL && ea - a == eb - b && strncmp(a, b, (size_t)(ea - a)) == 0);
	/* Each job is in its own mode's set; nothing is deleted at setup. */
	CHECK(strstr(ea, "add element inet netward http_ifs { \"" IFN "\" }") != NULL &&
	      strstr(ea, "full_ifs") == NULL && strstr(ea, "delete") == NULL);
	CHECK(strstr(eb, "add element inet netward full_ifs { \"" IFN "\" }") != NULL &&
	      strstr(eb, "http_ifs") == NULL && strstr(eb, "delete") == NULL);
	/* No element carries the job's address: nothing has to be read back
	 * to remove it. */
	CHECK(strstr(a, "10.213.0.7") == NULL && strstr(b, "10.213.0.7") == NULL);
}

/* A name left in the other mode's set by a teardown that never finished
 * must not widen a job: http_ifs routes nothing and full_ifs reaches no
 * host port, before any rule that accepts either. */
static void test_both_modes_fail_closed(void)
{
	struct nw_config cfg = base_config();
	struct fw_job j = job(NW_MODE_HTTP, &cfg);
	cleanup_free char *s = fw_render(&j, NULL);
	const char *in, *in_drop, *in_accept, *fwd, *fwd_drop, *fwd_out, *fwd_accept;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	in = strstr(s, "add chain inet netward input");
	fwd = strstr(s, "add chain inet netward forward");
	CHECK(in != NULL && fwd != NULL);
	if (in == NULL || fwd == NULL)
		return;
	in_drop = strstr(in, "input iifname @full_ifs drop");
	in_accept = strstr(in, " accept\n");
	fwd_drop = strstr(fwd, "forward iifname @http_ifs reject with icmpx");
	fwd_out = strstr(fwd, "forward oifname @http_ifs drop");
	fwd_accept = strstr(fwd, " accept\n");
	CHECK(in_drop != NULL && in_accept != NULL && in_drop < in_accept);
	CHECK(fwd_drop != NULL && fwd_out != NULL && fwd_accept != NULL && fwd_drop < fwd_accept &&
	      fwd_out < fwd_accept);
}

/* The sentinels fw_check compares the kernel's chains against: one per
 * chain, on its last rule, carrying the same hash; the counts are the
 * rules rendered. */
static void test_expect_parse(void)
{
	struct nw_config cfg = base_config();
	struct nw_addr gw = v4("169.254.1.1");
	cleanup_free char *base = fw_render_base(&cfg, &gw, 3128, NULL);
	struct fw_expect x[FW_CHAINS];
	cleanup_err nw_err err = NULL;
	unsigned total = 0;
	size_t n = 0;

	CHECK(base != NULL && fw_expect_parse(base, x, &err) == 0);
	if (base == NULL || err != NULL)
		return;
	for (const char *l = base; (l = strstr(l, "add rule ")) != NULL; l++)
		n++;
	for (size_t i = 0; i < FW_CHAINS; i++) {
		total += x[i].rules;
		/* A chain written empty (dstnat, interception off) has none. */
		if (x[i].rules == 0) {
			CHECK_STR(x[i].chain, "dstnat");
			CHECK_STR(x[i].sentinel, "");
			continue;
		}
		CHECK(strncmp(x[i].sentinel, "netward ", 8) == 0);
		CHECK_STR(x[i].sentinel, x[0].sentinel);
	}
	CHECK(total == n);
	/* With interception every chain has rules, so every one a sentinel. */
	cfg.intercept = true;
	struct nw_port_range web[] = {{80, 80}};
	cfg.http_ports = (struct nw_ports){.n = 1, .r = web};
	{
		cleanup_free char *on = fw_render_base(&cfg, &gw, 3128, NULL);
		struct fw_expect y[FW_CHAINS];
		CHECK(on != NULL && fw_expect_parse(on, y, NULL) == 0);
		for (size_t i = 0; on != NULL && i < FW_CHAINS; i++)
			CHECK(y[i].rules > 0 && strncmp(y[i].sentinel, "netward ", 8) == 0);
	}
	cfg.intercept = false;
	/* A changed config changes the sentinel. */
	cfg.proxy_port = 3129;
	{
		cleanup_free char *other = fw_render_base(&cfg, &gw, 3129, NULL);
		struct fw_expect y[FW_CHAINS];
		CHECK(other != NULL && fw_expect_parse(other, y, NULL) == 0 &&
		      strcmp(x[0].sentinel, y[0].sentinel) != 0);
	}
	CHECK(fw_expect_parse("add table inet netward\n", x, NULL) < 0);
}

static struct nw_config intercept_config(struct nw_port_range *http, size_t nh,
					 struct nw_port_range *conn, size_t nc)
{
	struct nw_config cfg = base_config();

	cfg.intercept = true;
	cfg.http_ports = (struct nw_ports){.n = nh, .r = http};
	cfg.connect_ports = (struct nw_ports){.n = nc, .r = conn};
	return cfg;
}

/* Interception on, with the default ports: the golden file. */
static void test_http_intercept(void)
{
	struct nw_port_range http[] = {{80, 80}, {443, 443}, {1025, 65535}}, conn[] = {{443, 443}};
	struct nw_config cfg = intercept_config(http, 3, conn, 1);
	struct fw_job j = job(NW_MODE_HTTP, &cfg);
	cleanup_err nw_err err = NULL;
	cleanup_free char *s = fw_render(&j, &err);

	CHECK(err == NULL);
	check_golden("fw_http_intercept.nft", s);
}

/* What interception opens, and what it leaves closed. */
static void test_intercept_rules(void)
{
	struct nw_port_range http[] = {{8080, 8090}, {80, 80}, {1, 79}},
			     conn[] = {{443, 443}, {8085, 9000}, {81, 81}};
	struct nw_config cfg = intercept_config(http, 3, conn, 3);
	struct fw_job j = job(NW_MODE_HTTP, &cfg);
	cleanup_free char *s = fw_render(&j, NULL);

	CHECK(s != NULL);
	if (s == NULL)
		return;
	/* Both lists merged, in order, no overlapping intervals (nft refuses
	 * them): the DNAT to the proxy's second port, only from http jobs. */
	CHECK(strstr(s, "add rule inet netward dstnat iifname @http_ifs ip daddr != 169.254.1.1 "
			"tcp dport { 1-81, 443, 8080-9000 } dnat ip to 169.254.1.1:3129") != NULL);
	/* Prerouting exempts only that TCP from the block: UDP (QUIC on 443
	 * among it) and every other port are refused at once and counted. */
	{
		const char *pass =
		    strstr(s, "prerouting iifname @http_ifs ip daddr != 169.254.1.1 tcp "
			      "dport { 1-81, 443, 8080-9000 } meta mark set meta mark "
			      "& 0xffffff0f | 0xd0 accept\n");
		const char *rej = strstr(s, "prerouting iifname @http_ifs ip daddr != 169.254.1.1 "
					    "reject with icmpx type admin-prohibited\n");
		const char *cnt =
		    strstr(s, "prerouting iifname @http_ifs ip daddr != 169.254.1.1 add "
			      "@blocked { iifname }\n");
		CHECK(pass != NULL && rej != NULL && cnt != NULL && pass < cnt && cnt < rej);
		/* The only rule that lets a job's packet past the block. */
		CHECK(pass != NULL && strstr(pass + 1, "prerouting iifname @http_ifs ip daddr != "
						       "169.254.1.1 tcp dport") == NULL);
	}
	/* The redirected connection stays in conntrack's default zone, where
	 * SO_ORIGINAL_DST finds it, and so does the proxy's side of it. */
	CHECK(strstr(s, "output oifname @http_ifs ip saddr 169.254.1.1 tcp sport 3129 accept\n") <
	      strstr(s, "output ct zone set oifname map @zones"));
	CHECK(strstr(s, "output oifname @http_ifs ip saddr 169.254.1.1 tcp sport 3129 accept\n") !=
	      NULL);
	/* Into the host: the redirected flow only (ct status dnat), and DNS,
	 * each at a socket with the proxy's mark. */
	CHECK(strstr(s,
		     "input iifname @http_ifs ip daddr 169.254.1.1 tcp dport 3129 ct status dnat "
		     "socket mark & 0x10 == 0x10 accept") != NULL);
	CHECK(strstr(s, "tcp dport 3129 socket mark") == NULL);
	CHECK(strstr(s, "input iifname @http_ifs ip daddr 169.254.1.1 meta l4proto { tcp, udp } th "
			"dport 53 socket mark & 0x10 == 0x10 accept") != NULL);
	/* Nothing of a full job's changes, and nothing is routed for it. */
	CHECK(strstr(s, "dnat ip to") == strstr(s, "dstnat iifname @http_ifs ip daddr != ") +
					     strlen("dstnat iifname @http_ifs ip daddr != 169.254."
						    "1.1 tcp dport { 1-81, 443, 8080-9000 } "));
	CHECK(strstr(s, "full_ifs accept") != NULL && strstr(s, "@full_ifs dnat") == NULL);

	/* Off: no redirect, no DNS, the chain written empty. */
	cfg.intercept = false;
	cleanup_free char *off = fw_render(&j, NULL);
	CHECK(off != NULL && strstr(off, "dnat") == NULL && strstr(off, "dport 53") == NULL &&
	      strstr(off, "add chain inet netward dstnat") != NULL &&
	      strstr(off, "add rule inet netward dstnat") == NULL);
}

/* The port after proxy_port must exist; a port list too long for the
 * rule is an error naming the way out, not a cut set. */
static void test_intercept_refusals(void)
{
	struct nw_port_range http[] = {{80, 80}}, conn[] = {{443, 443}};
	struct nw_config cfg = intercept_config(http, 1, conn, 1);
	struct nw_addr gw = v4("169.254.1.1");
	cleanup_err nw_err err = NULL;
	struct nw_port_range many[600];
	char *s;

	s = fw_render_base(&cfg, &gw, 65535, &err);
	CHECK(s == NULL && err != NULL && err->code == EINVAL);
	nw_err_free(&err);
	for (size_t i = 0; i < 600; i++)
		many[i] = (struct nw_port_range){(uint16_t)(2 + 100 * i), (uint16_t)(2 + 100 * i)};
	cfg = intercept_config(many, 600, conn, 1);
	s = fw_render_base(&cfg, &gw, 3128, &err);
	CHECK(s == NULL && err != NULL && strstr(nw_err_msg(err), "\"intercept\": false") != NULL);
}

/* fw_non_global and fw_always_denied together are every IPv4 range
 * addr_is_global calls not global, so the proxy's rule and the full jobs'
 * firewall say the same. */
static void test_non_global_matches_addr(void)
{
	const char *const *lists[] = {fw_non_global, fw_always_denied};
	static const char *const probes[] = {"10.1.2.3",      "100.64.0.1",  "172.17.0.2",
					     "192.168.122.1", "198.18.0.10", "192.0.2.7",
					     "203.0.113.9",   "127.0.0.53",  "169.254.169.254",
					     "8.8.8.8",	      "1.1.1.1",     "172.32.0.1"};

	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; lists[l][i] != NULL; i++) {
			struct nw_cidr c;
			CHECK(addr_cidr_parse(lists[l][i], &c, NULL) == 0 &&
			      !addr_is_global(&c.addr));
		}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct nw_addr a = v4(probes[i]);
		bool listed = false;
		for (size_t l = 0; l < 2; l++)
			for (size_t k = 0; lists[l][k] != NULL; k++) {
				struct nw_cidr c;
				if (addr_cidr_parse(lists[l][k], &c, NULL) == 0 &&
				    addr_cidr_contains(&c, &a))
					listed = true;
			}
		CHECK(listed == !addr_is_global(&a));
	}
}

int main(void)
{
	RUN(test_http);
	RUN(test_full);
	RUN(test_deterministic);
	RUN(test_refuses_bad_input);
	RUN(test_remove_refuses_bad_names);
	RUN(test_modes_differ_only_in_elements);
	RUN(test_both_modes_fail_closed);
	RUN(test_expect_parse);
	RUN(test_non_global_matches_addr);
	RUN(test_http_intercept);
	RUN(test_intercept_rules);
	RUN(test_intercept_refusals);
	UNIT_DONE();
}
