/* fw_render against golden rulesets. `make unit` runs from the repository
 * root; the goldens are found next to this file (its __FILE__ path).
 * NW_GOLDEN_UPDATE=1 rewrites them from the current output. */
#include <arpa/inet.h>
#include <stdlib.h>

#include "cleanup.h"
#include "config.h"
#include "fw.h"
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
		CHECK(strncmp(x[i].sentinel, "netward ", 8) == 0);
		CHECK_STR(x[i].sentinel, x[0].sentinel);
	}
	CHECK(total == n);
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
			CHECK(cidr_parse(lists[l][i], &c, NULL) == 0 && !addr_is_global(&c.addr));
		}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		struct nw_addr a = v4(probes[i]);
		bool listed = false;
		for (size_t l = 0; l < 2; l++)
			for (size_t k = 0; lists[l][k] != NULL; k++) {
				struct nw_cidr c;
				if (cidr_parse(lists[l][k], &c, NULL) == 0 && cidr_contains(&c, &a))
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
	UNIT_DONE();
}
