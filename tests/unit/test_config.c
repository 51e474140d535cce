/* The node config: defaults, every key good and bad, render round trip. */
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "ports.h"
#include "unit.h"

static int parse(struct nw_config *c, const char *text, nw_err *err)
{
	return config_parse(c, text, strlen(text), err);
}

static void test_defaults(void)
{
	struct nw_config c;
	cleanup_err nw_err err = NULL;
	char b[64];

	CHECK(parse(&c, "{}", &err) == 0);
	CHECK(c.allowed_modes == NW_MODE_BIT(NW_MODE_NONE));
	CHECK(!c.has_allowlist);
	CHECK(c.rate_limit_bps == 10000000);
	CHECK(ports_contain(&c.http_ports, 80) && ports_contain(&c.http_ports, 443));
	CHECK(ports_contain(&c.http_ports, 1025) && ports_contain(&c.http_ports, 65535));
	CHECK(!ports_contain(&c.http_ports, 22) && !ports_contain(&c.http_ports, 1024));
	CHECK(ports_contain(&c.connect_ports, 443) && !ports_contain(&c.connect_ports, 80));
	CHECK(c.n_deny == 0 && c.n_allow_private == 0 && c.n_dns == 0);
	CHECK_STR(addr_cidr_str(&c.subnet, b, sizeof(b)), "10.213.0.0/16");
	CHECK(c.proxy_port == 3128);
	CHECK_STR(c.job_id_header, "X-Bacalhau-Job-ID");
	CHECK_STR(c.log, "syslog");
	CHECK(c.job_log_max_bytes == 8 << 20);
	config_free(&c);
}

static void test_modes(void)
{
	CHECK_STR(mode_name(NW_MODE_NONE), "none");
	CHECK_STR(mode_name(NW_MODE_HTTP), "http");
	CHECK_STR(mode_name(NW_MODE_FULL), "full");
	enum nw_mode m;
	CHECK(mode_parse("HTTP", &m) == 0 && m == NW_MODE_HTTP);
	CHECK(mode_parse("None", &m) == 0 && m == NW_MODE_NONE);
	CHECK(mode_parse("fUlL", &m) == 0 && m == NW_MODE_FULL);
	CHECK(mode_parse("", &m) < 0 && mode_parse("https", &m) < 0 && mode_parse(NULL, &m) < 0);
}

static void test_good_values(void)
{
	struct nw_config c;
	cleanup_err nw_err err = NULL;
	char b[64];
	const char *text =
	    "{\"allowed_modes\": [\"None\", \"HTTP\", \"http\"],"
	    " \"domain_allowlist\": [\"Example.COM.\", \".pypi.org\"],"
	    " \"rate_limit_bps\": 8000,"
	    " \"http_ports\": [80, \"8080\", \"9000-9100\"],"
	    " \"connect_ports\": [443, \"8443-8444\"],"
	    " \"deny_destinations\": [\"10.0.0.0/8\", \"192.0.2.1:6443\", \"[fd00::/8]:443\","
	    "   \"api.example.com:6443\", \".metadata.internal\", \"fd00::1\"],"
	    " \"allow_private_destinations\": [\"198.18.0.0/15\", \"fd12::/16\", \"10.1.2.3:8080\","
	    "   \"[fd13::/64]:443\"],"
	    " \"dns_servers\": [\"198.18.0.1\", \"198.18.0.2:5353\", \"[fd00::53]:53\", \"::1\"],"
	    " \"subnet\": \"10.50.0.0/24\", \"proxy_port\": 8888,"
	    " \"job_id_header\": \"\", \"log\": \"/var/log/netward.log\","
	    " \"job_log_max_bytes\": 65536}";

	CHECK(parse(&c, text, &err) == 0);
	if (err != NULL) {
		printf("#   %s\n", nw_err_msg(err));
		return;
	}
	CHECK(c.allowed_modes == (NW_MODE_BIT(NW_MODE_NONE) | NW_MODE_BIT(NW_MODE_HTTP)));
	CHECK(c.has_allowlist && c.allowlist.n == 2);
	CHECK_STR(c.allowlist.e[0].name, "example.com");
	CHECK(c.allowlist.e[1].wildcard);
	CHECK(c.rate_limit_bps == 8000);
	CHECK(ports_contain(&c.http_ports, 8080) && ports_contain(&c.http_ports, 9050));
	CHECK(!ports_contain(&c.http_ports, 443));
	CHECK(ports_contain(&c.connect_ports, 8444));
	CHECK(c.n_deny == 6);
	CHECK(!c.deny[0].is_domain && c.deny[0].port == 0 && c.deny[0].cidr.prefix == 8);
	CHECK(!c.deny[1].is_domain && c.deny[1].port == 6443 && c.deny[1].cidr.prefix == 32);
	CHECK(!c.deny[2].is_domain && c.deny[2].port == 443);
	CHECK(c.deny[3].is_domain && c.deny[3].port == 6443 && !c.deny[3].domain.wildcard);
	CHECK_STR(c.deny[3].domain.name, "api.example.com");
	CHECK(c.deny[4].is_domain && c.deny[4].port == 0 && c.deny[4].domain.wildcard);
	CHECK_STR(c.deny[4].text, ".metadata.internal");
	CHECK(!c.deny[5].is_domain && c.deny[5].cidr.prefix == 128);
	CHECK(c.n_allow_private == 4);
	CHECK(c.allow_private[0].port == 0 && c.allow_private[0].cidr.prefix == 15);
	CHECK(c.allow_private[2].port == 8080 && c.allow_private[2].cidr.prefix == 32);
	CHECK(c.allow_private[3].port == 443 && c.allow_private[3].cidr.prefix == 64);
	CHECK(c.n_dns == 4 && !c.dns_from_resolv_conf);
	CHECK(c.dns[0].port == 53 && c.dns[1].port == 5353 && c.dns[2].port == 53);
	CHECK(c.dns[2].addr.family == AF_INET6 && c.dns[3].addr.family == AF_INET6);
	CHECK_STR(addr_str(&c.dns[1].addr, b, sizeof(b)), "198.18.0.2");
	CHECK_STR(addr_cidr_str(&c.subnet, b, sizeof(b)), "10.50.0.0/24");
	CHECK(c.proxy_port == 8888);
	CHECK_STR(c.job_id_header, "");
	CHECK_STR(c.log, "/var/log/netward.log");
	CHECK(c.job_log_max_bytes == 65536);
	config_free(&c);
}

/* Every bad input and a piece of the message it must give. */
static const struct {
	const char *json, *msg;
} bad[] = {
    {"[]", "must be a JSON object"},
    {"{", "invalid JSON"},
    {"{\"rate_limt_bps\": 1}", "unknown key \"rate_limt_bps\" (known keys: allowed_modes, "},
    {"{\"proxy_port\": 1, \"proxy_port\": 2}", "\"proxy_port\" twice"},
    {"{\"allowed_modes\": \"http\"}", "\"allowed_modes\" must be an array of a mode name"},
    {"{\"allowed_modes\": []}", "\"allowed_modes\" must not be empty"},
    {"{\"allowed_modes\": [\"https\"]}", "\"allowed_modes\"[0]: unknown mode \"https\""},
    {"{\"allowed_modes\": [1]}", "\"allowed_modes\"[0] must be a mode name"},
    {"{\"domain_allowlist\": \"x.com\"}", "\"domain_allowlist\" must be an array"},
    {"{\"domain_allowlist\": [\"x..com\"]}", "\"domain_allowlist\"[0]"},
    {"{\"domain_allowlist\": [\"*.x.com\"]}", "\"domain_allowlist\"[0]"},
    {"{\"rate_limit_bps\": \"fast\"}",
     "\"rate_limit_bps\" must be a positive integer (bits per second), got \"fast\""},
    {"{\"rate_limit_bps\": 1.5}", "\"rate_limit_bps\" must be a positive integer"},
    {"{\"rate_limit_bps\": -5}", "\"rate_limit_bps\" must be a positive integer"},
    {"{\"rate_limit_bps\": 7999}", "\"rate_limit_bps\" must be from 8000"},
    {"{\"rate_limit_bps\": 100000000001}", "got 100000000001"},
    {"{\"rate_limit_bps\": 99999999999999999999999}", "must be a positive integer"},
    {"{\"http_ports\": []}", "\"http_ports\" must not be empty"},
    {"{\"http_ports\": 80}", "\"http_ports\" must be an array"},
    {"{\"http_ports\": [0]}", "\"http_ports\"[0] must be a port"},
    {"{\"http_ports\": [65536]}", "\"http_ports\"[0] must be a port"},
    {"{\"http_ports\": [true]}", "\"http_ports\"[0] must be a port (1-65535) or a range"},
    {"{\"connect_ports\": [\"9-1\"]}", "\"connect_ports\"[0]: port range \"9-1\""},
    {"{\"connect_ports\": [\"http\"]}", "\"connect_ports\"[0]: port \"http\""},
    {"{\"deny_destinations\": [\"10.0.0.1/8\"]}", "\"deny_destinations\"[0]"},
    {"{\"deny_destinations\": [\"10.0.0.0/8:99999\"]}", "\"deny_destinations\"[0]"},
    {"{\"deny_destinations\": [\"x.com:0\"]}", "\"deny_destinations\"[0]"},
    {"{\"deny_destinations\": [\"bad_name!\"]}", "\"deny_destinations\"[0]"},
    {"{\"deny_destinations\": [\"x.com:80-90\"]}", "\"deny_destinations\"[0]"},
    {"{\"deny_destinations\": [5]}", "\"deny_destinations\"[0] must be a CIDR or a domain"},
    {"{\"allow_private_destinations\": [\"example.com\"]}", "\"allow_private_destinations\"[0]"},
    {"{\"allow_private_destinations\": [\"10.1.2.3:0\"]}", "port must be a number from 1 to 65535"},
    {"{\"allow_private_destinations\": [\"10.1.2.3:80-90\"]}", "\"allow_private_destinations\"[0]"},
    {"{\"allow_private_destinations\": [\"10.1.2.0/24:99999\"]}",
     "\"allow_private_destinations\"[0]"},
    {"{\"allow_private_destinations\": [\"mirror.local:80\"]}",
     "\"allow_private_destinations\"[0]"},
    {"{\"allow_private_destinations\": {}}", "must be an array of a CIDR"},
    {"{\"dns_servers\": []}", "\"dns_servers\" must not be empty"},
    {"{\"dns_servers\": [\"dns.google\"]}", "\"dns_servers\"[0]"},
    {"{\"dns_servers\": [\"10.0.0.0/8\"]}", "one address, not a network"},
    {"{\"dns_servers\": [\"1.1.1.1:0\"]}", "\"dns_servers\"[0]"},
    {"{\"subnet\": \"fd00::/64\"}", "\"subnet\" must be an IPv4 network with a prefix from /16"},
    {"{\"subnet\": \"10.0.0.0/30\"}", "prefix from /16 to /29"},
    {"{\"subnet\": \"10.0.0.0/15\"}", "one conntrack zone per job address"},
    {"{\"subnet\": \"10.0.0.0/8\"}", "prefix from /16 to /29"},
    {"{\"subnet\": \"10.0.0.0/7\"}", "\"subnet\""},
    {"{\"subnet\": \"10.1.2.3/16\"}", "host bits"},
    {"{\"subnet\": \"169.254.0.0/16\"}", "contains the jobs' gateway"},
    {"{\"subnet\": 10}", "\"subnet\" must be an IPv4 CIDR"},
    {"{\"proxy_port\": 0}", "\"proxy_port\" must be a port number from 1 to 65535, got 0"},
    {"{\"proxy_port\": \"3128\"}", "got \"3128\""},
    {"{\"job_id_header\": \"X Job\"}", "not a valid HTTP header name"},
    {"{\"job_id_header\": \"X-Job:\"}", "not a valid HTTP header name"},
    {"{\"job_id_header\": null}", "\"job_id_header\" must be a header name"},
    {"{\"log\": \"relative.log\"}", "\"log\" must be \"syslog\" or an absolute file path"},
    {"{\"log\": \"/var/log/a\\nb\"}", "absolute file path"},
    {"{\"log\": \"\"}", "absolute file path"},
    {"{\"job_log_max_bytes\": 16383}",
     "\"job_log_max_bytes\" must be a number of bytes from 16384"},
    {"{\"job_log_max_bytes\": 1073741824}", "to 536870912"},
    {"{\"job_log_max_bytes\": \"8M\"}", "\"job_log_max_bytes\""},
    {"{\"oci_runtime\": \"bin/runc\"}", "\"oci_runtime\" must be an absolute path or a plain"},
    {"{\"oci_runtime\": \"\"}", "\"oci_runtime\" must be an absolute path or a plain"},
    {"{\"oci_runtime\": \"..\"}", "\"oci_runtime\" must be an absolute path or a plain"},
    {"{\"oci_runtime\": 1}", "\"oci_runtime\""},
    {"{\"hooks_dirs\": []}", "\"hooks_dirs\" must be a list of 1 to 16 absolute directories"},
    {"{\"hooks_dirs\": [\"rel\"]}", "\"hooks_dirs\" entry 1 is not an absolute directory"},
    {"{\"intercept\": 1}", "\"intercept\" must be true or false"},
    {"{\"proxy_port\": 65535}",
     "\"proxy_port\" 65535 leaves no port for intercepted connections, which take proxy_port + 1"},
    {"{\"intercept\": true, \"proxy_port\": 65535}", "or set \"intercept\": false"},
    {"{\"proxy_port\": 52}", "\"proxy_port\" 52 collides with the jobs' DNS on port 53"},
    {"{\"proxy_port\": 53}", "collides with the jobs' DNS on port 53"},
};

/* Interception is on unless the node says otherwise; off, proxy_port may
 * take any port, as before it existed. The keys' order does not matter. */
static void test_intercept(void)
{
	static const char *const off[] = {"{\"intercept\": false, \"proxy_port\": 65535}",
					  "{\"proxy_port\": 65535, \"intercept\": false}",
					  "{\"proxy_port\": 52, \"intercept\": false}"};
	struct nw_config c;
	cleanup_err nw_err err = NULL;

	CHECK(parse(&c, "{}", &err) == 0 && c.intercept && config_intercept_port(&c) == 3129);
	config_free(&c);
	CHECK(parse(&c, "{\"proxy_port\": 65534}", &err) == 0 && c.intercept &&
	      config_intercept_port(&c) == 65535);
	config_free(&c);
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		CHECK(parse(&c, off[i], &err) == 0 && !c.intercept);
		if (err != NULL)
			printf("#   %s: %s\n", off[i], nw_err_msg(err));
		config_free(&c);
	}
}

static void test_bad_values(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nw_config c;
		cleanup_err nw_err err = NULL;
		int r = parse(&c, bad[i].json, &err);
		CHECK(r < 0);
		if (r == 0) {
			printf("#   accepted %s\n", bad[i].json);
			config_free(&c);
			continue;
		}
		if (strstr(nw_err_msg(err), bad[i].msg) == NULL) {
			printf("#   %s\n#     got:  %s\n#     want: %s\n", bad[i].json,
			       nw_err_msg(err), bad[i].msg);
			unit_cur_failed++;
		}
	}
}

static void test_too_big(void)
{
	cleanup_free char *big = malloc(NW_CONFIG_MAX + 2);
	cleanup_err nw_err err = NULL;
	struct nw_config c;

	memset(big, ' ', NW_CONFIG_MAX + 1);
	big[0] = '{';
	big[NW_CONFIG_MAX] = '}';
	big[NW_CONFIG_MAX + 1] = '\0';
	CHECK(parse(&c, big, &err) < 0);
	CHECK(strstr(nw_err_msg(err), "larger than") != NULL);
}

static char *render_text(const char *text)
{
	struct nw_config c;
	cleanup_err nw_err err = NULL;
	char *out;

	if (parse(&c, text, &err) < 0) {
		printf("#   %s: %s\n", text, nw_err_msg(err));
		return NULL;
	}
	out = config_render(&c, &err);
	config_free(&c);
	return out;
}

static void test_render_round_trip(void)
{
	static const char *inputs[] = {
	    "{}",
	    "{\"allowed_modes\": [\"full\", \"HTTP\"], \"domain_allowlist\": [],"
	    " \"deny_destinations\": [\"10.0.0.0/8\", \".k8s.local:6443\", \"[fd00::/8]:443\"],"
	    " \"allow_private_destinations\": [\"198.18.0.0/15\", \"10.0.0.7:3142\", "
	    "\"[fd00::/8]:8080\"],"
	    " \"dns_servers\": [\"198.18.0.1\", \"[fd00::53]:5353\", \"10.0.0.2:53\"],"
	    " \"http_ports\": [\"80\", \"1-1024\"], \"job_id_header\": \"\","
	    " \"subnet\": \"10.9.0.0/29\", \"rate_limit_bps\": 123456, \"log\": \"/tmp/x\"}",
	    "{\"intercept\": false, \"proxy_port\": 65535}",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		cleanup_free char *one = render_text(inputs[i]);
		cleanup_free char *two = one ? render_text(one) : NULL;
		CHECK(one != NULL && two != NULL);
		CHECK_STR(one, two);
	}
	cleanup_free char *d = render_text("{}");
	CHECK(d != NULL && strstr(d, "\"allowed_modes\"") != NULL);
	CHECK(d != NULL && strstr(d, "\"domain_allowlist\"") == NULL);
	CHECK(d != NULL && strstr(d, "\"1025-65535\"") != NULL);
	CHECK(d != NULL && strstr(d, "\"X-Bacalhau-Job-ID\"") != NULL);
	cleanup_free char *full = render_text(inputs[1]);
	CHECK(full != NULL && strstr(full, "\"[fd00::53]:5353\"") != NULL);
	CHECK(full != NULL && strstr(full, "\"domain_allowlist\"") != NULL);
	CHECK(full != NULL && strstr(full, "\"10.0.0.7/32:3142\"") != NULL);
	CHECK(full != NULL && strstr(full, "\"[fd00::/8]:8080\"") != NULL);
	CHECK(d != NULL && strstr(d, "\"intercept\": true") != NULL);
	cleanup_free char *off = render_text(inputs[2]);
	CHECK(off != NULL && strstr(off, "\"intercept\": false") != NULL);
}

/* allow_private_destinations: a port narrows an entry, no port is every
 * port; the first entry that covers address and port allows. */
static void test_private_allowed(void)
{
	static const struct {
		const char *addr;
		uint16_t port;
		bool allowed;
	} cases[] = {
	    {"198.18.0.10", 80, true}, {"198.18.0.10", 65535, true}, {"10.0.0.7", 3142, true},
	    {"10.0.0.7", 80, false},   {"10.0.0.7", 3143, false},    {"10.0.0.8", 3142, false},
	    {"10.1.0.5", 443, true},   {"10.1.0.5", 8443, true},     {"10.1.1.5", 443, false},
	    {"fd00::1", 8080, true},   {"fd00::1", 80, false},	     {"192.168.0.1", 80, false},
	};
	struct nw_config c;
	cleanup_err nw_err err = NULL;

	CHECK(parse(&c,
		    "{\"allow_private_destinations\": [\"198.18.0.0/15\", \"10.0.0.7:3142\","
		    " \"10.1.0.0/24:443\", \"10.1.0.0/24:8443\", \"[fd00::/8]:8080\"]}",
		    &err) == 0);
	if (err != NULL) {
		printf("#   %s\n", nw_err_msg(err));
		return;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nw_addr a;
		cleanup_err nw_err e = NULL;
		CHECK(addr_parse(cases[i].addr, &a, &e) == 0);
		if (config_private_allowed(&c, &a, cases[i].port) != cases[i].allowed) {
			printf("#   %s port %u: expected %s\n", cases[i].addr, cases[i].port,
			       cases[i].allowed ? "allowed" : "refused");
			unit_cur_failed++;
		}
	}
	config_free(&c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void test_load(void)
{
	char dir[] = "/tmp/nw-config-XXXXXX", p[128];
	struct nw_config c = {0};

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/missing.json", dir);
	{
		cleanup_err nw_err err = NULL;
		CHECK(config_load(&c, p, true, &err) < 0);
		char want[256];
		snprintf(want, sizeof(want),
			 "cannot read node config %s: No such file or directory", p);
		CHECK_STR(nw_err_msg(err), want);
	}
	{
		cleanup_err nw_err err = NULL;
		CHECK(config_load(&c, p, false, &err) == 0);
		CHECK(c.allowed_modes == NW_MODE_BIT(NW_MODE_NONE));
		CHECK_STR(c.path, p);
		CHECK(c.dns_from_resolv_conf);
		config_free(&c);
	}
	snprintf(p, sizeof(p), "%s/netward.json", dir);
	write_file(p, "{\"rate_limit_bps\": \"fast\"}");
	{
		cleanup_err nw_err err = NULL;
		CHECK(config_load(&c, p, true, &err) < 0);
		char want[256];
		snprintf(want, sizeof(want),
			 "%s: \"rate_limit_bps\" must be a positive integer (bits per second), "
			 "got \"fast\"",
			 p);
		CHECK_STR(nw_err_msg(err), want);
	}
	write_file(p, "{\"dns_servers\": [\"198.18.0.1\"]}");
	{
		cleanup_err nw_err err = NULL;
		CHECK(config_load(&c, p, true, &err) == 0);
		CHECK(c.n_dns == 1 && !c.dns_from_resolv_conf);
		config_free(&c);
	}
	unlink(p);
	rmdir(dir);
}

/* netward-runc's keys: the runtime it wraps and its hooks.d directories. */
static void test_shim_keys(void)
{
	struct nw_config c;
	const char *t = "{\"oci_runtime\": \"crun\", \"hooks_dirs\": [\"/a\", \"/b\"]}";
	nw_err err = NULL;

	CHECK(config_parse(&c, t, strlen(t), &err) == 0);
	CHECK_STR(c.oci_runtime, "crun");
	CHECK(c.n_hooks_dirs == 2);
	if (c.n_hooks_dirs == 2)
		CHECK_STR(c.hooks_dirs[1], "/b");
	config_free(&c);
	t = "{\"oci_runtime\": \"/usr/local/bin/crun\"}";
	CHECK(config_parse(&c, t, strlen(t), &err) == 0);
	CHECK_STR(c.oci_runtime, "/usr/local/bin/crun");
	CHECK(c.n_hooks_dirs == 0);
	config_free(&c);
	nw_err_free(&err);
}

/* full_allow_private_destinations: IPv4 CIDRs; never an always-denied
 * range, never wider than /8, never IPv6; empty by default. */
static void test_full_allow_private(void)
{
	static const char *const refused[] = {
	    "{\"full_allow_private_destinations\": [\"127.0.0.0/8\"]}",
	    "{\"full_allow_private_destinations\": [\"169.254.169.254/32\"]}",
	    "{\"full_allow_private_destinations\": [\"224.0.0.0/4\"]}",
	    "{\"full_allow_private_destinations\": [\"0.0.0.0/0\"]}",
	    "{\"full_allow_private_destinations\": [\"fd00::/8\"]}",
	    "{\"full_allow_private_destinations\": [\"10.0.0.1/8\"]}",
	};
	struct nw_config c;
	cleanup_err nw_err err = NULL;

	CHECK(parse(&c, "{}", &err) == 0 && c.n_full_allow_private == 0);
	config_free(&c);
	CHECK(parse(&c,
		    "{\"full_allow_private_destinations\": [\"192.168.10.0/24\", "
		    "\"10.97.0.1\"]}",
		    &err) == 0 &&
	      c.n_full_allow_private == 2 && c.full_allow_private[1].prefix == 32);
	config_free(&c);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct nw_config d;
		nw_err e = NULL;
		int r = parse(&d, refused[i], &e);
		CHECK(r < 0 && e != NULL &&
		      strstr(nw_err_msg(e), "full_allow_private_destinations") != NULL);
		if (r == 0)
			config_free(&d);
		nw_err_free(&e);
	}
}

int main(void)
{
	RUN(test_full_allow_private);
	RUN(test_defaults);
	RUN(test_modes);
	RUN(test_good_values);
	RUN(test_bad_values);
	RUN(test_intercept);
	RUN(test_too_big);
	RUN(test_render_round_trip);
	RUN(test_private_allowed);
	RUN(test_load);
	RUN(test_shim_keys);
	UNIT_DONE();
}
