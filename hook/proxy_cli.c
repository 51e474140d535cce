/* `netward proxy`: a job proxy started by hand (proxy_cli.h). */
#include "proxy_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "jobsock.h"
#include "policy.h"
#include "proxy.h"

static int port_arg(const char *s, const char *opt, unsigned *port, nw_err *err)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v == 0 || v > 65535)
		return nw_fail(err, 0, "proxy: %s wants a port (1-65535), got \"%s\"", opt, s);
	*port = (unsigned)v;
	return 0;
}

int proxy_cli_parse(int argc, char **argv, struct proxy_cli_args *a, nw_err *err)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"domains", required_argument, NULL, 'd'},
					     {"job-id", required_argument, NULL, 'j'},
					     {"no-sandbox", no_argument, NULL, 'S'},
					     {"intercept-port", required_argument, NULL, 'i'},
					     {"dns-port", required_argument, NULL, 'n'},
					     {NULL, 0, NULL, 0}};
	int o;

	*a = (struct proxy_cli_args){.job_id = "proxy", .sandbox = true};
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'l')
			a->listen = optarg;
		else if (o == 'd')
			a->domains = optarg;
		else if (o == 'j')
			a->job_id = optarg;
		else if (o == 'S')
			a->sandbox = false; /* valgrind cannot run under seccomp */
		else if (o == 'i')
			a->iport = optarg;
		else if (o == 'n')
			a->dport = optarg;
		else
			return PROXY_CLI_USAGE;
	}
	if (a->listen == NULL || a->domains == NULL || optind != argc)
		return PROXY_CLI_USAGE;
	if (sscanf(a->listen, "%63[0-9.]:%u", a->host, &a->port) != 2 || a->port == 0 ||
	    a->port > 65535)
		return nw_fail(err, 0, "proxy: --listen wants IPv4:PORT, got \"%s\"", a->listen);
	return 0;
}

/* The interception listener and DNS, on --listen's address: what the hook
 * binds on a job's gateway, for tests and benchmarks without a
 * container. */
static int extra_sockets(const struct proxy_cli_args *a, struct jobsock *js, nw_err *err)
{
	unsigned port;

	if (a->iport != NULL) {
		if (port_arg(a->iport, "--intercept-port", &port, err) < 0)
			return -1;
		js->intercept = jobsock_tcp(a->host, port, NULL, err);
		if (js->intercept < 0)
			return -1;
	}
	if (a->dport != NULL) {
		if (port_arg(a->dport, "--dns-port", &port, err) < 0)
			return -1;
		js->dns_udp = jobsock_udp(a->host, port, NULL, err);
		if (js->dns_udp < 0)
			return -1;
		js->dns_tcp = jobsock_tcp(a->host, port, NULL, err);
		if (js->dns_tcp < 0)
			return -1;
	}
	return 0;
}

int proxy_cli_run(struct nw_config *cfg, const struct proxy_cli_args *a, nw_err *err)
{
	cleanup_jobsock struct jobsock js = JOBSOCK_NONE;
	cleanup_policy struct job_policy pol = {0};

	/* The node's ceiling applies to a hand-started proxy too. */
	cfg->allowed_modes |= NW_MODE_BIT(NW_MODE_HTTP);
	if (policy_decide(cfg, "http", a->domains, a->job_id, a->job_id, &pol, err) < 0)
		return -1;
	js.listen = jobsock_tcp(a->host, a->port, NULL, err);
	if (js.listen < 0 || extra_sockets(a, &js, err) < 0)
		return -1;
	struct proxy_opts po = {.cfg = cfg,
				.domains = &pol.domains,
				.job_id = pol.job_id,
				.container_id = pol.job_id,
				.listen_fd = steal_fd(&js.listen),
				.intercept_fd = steal_fd(&js.intercept),
				.dns_udp_fd = steal_fd(&js.dns_udp),
				.dns_tcp_fd = steal_fd(&js.dns_tcp),
				.log_fd = -1,
				.stats_fd = -1,
				.ready_fd = -1,
				.sandbox = a->sandbox,
				.uid = 65534,
				.gid = 65534};
	fprintf(stderr, "netward: proxy for %s listening on %s%s\n", a->domains, a->listen,
		a->sandbox ? "" : " (no sandbox: debugging only)");
	return proxy_run(&po, err);
}
