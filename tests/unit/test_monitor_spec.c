/* What the hook hands its monitor across exec: every field comes back, and
 * a spec that is not whole is refused with the field named. */
#include <stdlib.h>

#include "config.h"
#include "monitor_spec.h"
#include "policy.h"
#include "unit.h"

static const char *cfg_json =
    "{\"allowed_modes\":[\"none\",\"http\",\"full\"],\"dns_servers\":[\"198.18.0.2\","
    "\"[2001:db8::53]:5353\"],\"rate_limit_bps\":1234567,\"proxy_port\":3200,"
    "\"intercept\":false,\"deny_destinations\":[\"10.9.0.0/16\",\"bad.test\"],"
    "\"allow_private_destinations\":[\"198.18.0.0/15\",\"10.1.2.3/32:8080\"],"
    "\"domain_allowlist\":[\".www.test\",\"a.test\"],\"log\":\"/var/log/nw.log\","
    "\"job_id_header\":\"X-Job\",\"report_unlisted_domains\":true,\"http_ports\":[80,"
    "\"8000-8100\"],\"subnet\":\"10.77.0.0/16\",\"job_log_max_bytes\":65536}";

/* A spec rendered from cfg_json, an http job and fds 3..11. */
static char *render_http(void)
{
	struct monitor_spec s = {.socks = {.listen = 3, .intercept = 4, .dns_udp = 5, .dns_tcp = 6},
				 .log_fd = 7,
				 .stats_fd = 8,
				 .report_fd = 9,
				 .relay = {10, 11},
				 .cgroup = "/sys/fs/cgroup/memory/netward/ctr-1"};
	nw_err err = NULL;
	char *text = NULL;

	if (config_parse(&s.cfg, cfg_json, strlen(cfg_json), &err) < 0 ||
	    policy_decide(&s.cfg, "http", "x.www.test,.y.www.test,a.test", "job-7", "ctr-1", &s.pol,
			  &err) < 0) {
		printf("#   %s\n", nw_err_msg(err));
	} else {
		strcpy(s.r.id, "ctr-1");
		strcpy(s.r.job_id, "job-7");
		s.r.mode = NW_MODE_HTTP;
		strcpy(s.r.host_if, "nw0123456789abc");
		strcpy(s.r.addr, "10.77.0.9");
		s.r.proxy_uid = 4200001;
		s.r.pid = 4321;
		s.r.pid_start = 987654321;
		text = monitor_spec_render(&s, &err);
		if (text == NULL)
			printf("#   %s\n", nw_err_msg(err));
	}
	nw_err_free(&err);
	policy_free(&s.pol);
	config_free(&s.cfg);
	return text;
}

static void round_trip(void)
{
	char *text = render_http();
	struct monitor_spec s;
	struct nw_config want;
	nw_err err = NULL;

	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK(monitor_spec_parse(text, strlen(text), &s, &err) == 0);
	if (err != NULL)
		printf("#   %s\n", nw_err_msg(err));
	CHECK_STR(s.r.id, "ctr-1");
	CHECK_STR(s.r.job_id, "job-7");
	CHECK_STR(s.pol.job_id, "job-7");
	CHECK(s.r.mode == NW_MODE_HTTP && s.pol.mode == NW_MODE_HTTP);
	CHECK_STR(s.r.host_if, "nw0123456789abc");
	CHECK_STR(s.r.addr, "10.77.0.9");
	CHECK(s.r.proxy_uid == 4200001);
	CHECK(s.r.pid == 4321 && s.r.pid_start == 987654321);
	CHECK_STR(s.cgroup, "/sys/fs/cgroup/memory/netward/ctr-1");
	CHECK(s.socks.listen == 3 && s.socks.intercept == 4 && s.socks.dns_udp == 5 &&
	      s.socks.dns_tcp == 6);
	CHECK(s.log_fd == 7 && s.stats_fd == 8 && s.report_fd == 9 && s.relay[0] == 10 &&
	      s.relay[1] == 11);
	char *csv = policy_domains_csv(&s.pol.domains, &err);
	CHECK_STR(csv, "x.www.test,.y.www.test,a.test");
	free(csv);
	/* The config is the same config: rendered alike, and the fields the
	 * proxy reads directly. */
	CHECK(config_parse(&want, cfg_json, strlen(cfg_json), &err) == 0);
	char *a = config_render(&want, &err), *b = config_render(&s.cfg, &err);
	CHECK_STR(a, b);
	CHECK(s.cfg.rate_limit_bps == 1234567 && s.cfg.proxy_port == 3200 && !s.cfg.intercept &&
	      s.cfg.n_dns == 2 && s.cfg.n_deny == 2 && s.cfg.report_unlisted_domains);
	CHECK_STR(s.cfg.log, "/var/log/nw.log");
	CHECK_STR(s.cfg.job_id_header, "X-Job");
	free(a);
	free(b);
	config_free(&want);
	monitor_spec_free(&s);
	nw_err_free(&err);
	free(text);
}

/* spec with the first occurrence of from replaced by to */
static char *edit(const char *spec, const char *from, const char *to)
{
	const char *at = strstr(spec, from);
	size_t n = strlen(spec) - strlen(from) + strlen(to) + 1;
	char *out = malloc(n);

	if (at == NULL || out == NULL) {
		free(out);
		return NULL;
	}
	snprintf(out, n, "%.*s%s%s", (int)(at - spec), spec, to, at + strlen(from));
	return out;
}

static void refusals(void)
{
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
	    {"\"listen\":3", "\"listen\":2", "fd \"listen\" is no descriptor"},
	    {"\"relay_w\":11", "\"relay_w\":-2", "fd \"relay_w\" is no descriptor"},
	    {"\"report\":9", "\"report\":-1", "no report pipe"},
	    {"\"listen\":3", "\"listen\":-1", "an http job without its sockets"},
	    {"\"mode\":\"http\"", "\"mode\":\"none\"", "mode \"none\""},
	    {"\"mode\":\"http\"", "\"mode\":\"bogus\"", "mode \"bogus\""},
	    {"\"proxy_uid\":4200001", "\"proxy_uid\":-1", "proxy_uid"},
	    {"\"addr\":", "\"adr\":", "no \"addr\""},
	    {"\"fds\":", "\"fd\":", "no \"fds\""},
	    {"\"host_if\":\"nw0123456789abc\"", "\"host_if\":\"nw0123456789abcdef\"",
	     "\"host_if\" too long"},
	    {"\"domains\":\"x.www.test", "\"domains\":\"x y.www.test", "domains"},
	    {"\"config\":\"{", "\"config\":\"[", "config"},
	    {"\"cgroup\":\"/", "\"cgroup\":\"x", "no cgroup directory"},
	    {"\"pid\":4321", "\"pid\":0", "the container's pid"},
	};
	char *text = render_http();

	CHECK(text != NULL);
	for (size_t i = 0; text != NULL && i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *bad = edit(text, cases[i].from, cases[i].to);
		struct monitor_spec s;
		nw_err err = NULL;

		CHECK(bad != NULL);
		if (bad == NULL)
			continue;
		CHECK(monitor_spec_parse(bad, strlen(bad), &s, &err) < 0);
		if (err == NULL || strstr(nw_err_msg(err), cases[i].want) == NULL)
			printf("#   case %zu: \"%s\" lacks \"%s\"\n", i,
			       err ? nw_err_msg(err) : "(accepted)", cases[i].want);
		CHECK(err != NULL && strstr(nw_err_msg(err), cases[i].want) != NULL);
		monitor_spec_free(&s);
		nw_err_free(&err);
		free(bad);
	}
	free(text);
}

int main(void)
{
	RUN(round_trip);
	RUN(refusals);
	UNIT_DONE();
}
