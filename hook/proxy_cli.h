/* `netward proxy`: a job's proxy started by hand in the foreground, for
 * tests, benchmarks and debugging, on an address of the caller's choice,
 * under the node config's policy. */
#ifndef NW_PROXY_CLI_H
#define NW_PROXY_CLI_H

#include <stdbool.h>

#include "config.h"
#include "err.h"

/* proxy_cli_parse's answer for a command line that is not one. */
#define PROXY_CLI_USAGE (-2)

struct proxy_cli_args {
	const char *listen, *domains, *job_id;
	const char *iport, *dport; /* --intercept-port, --dns-port */
	bool sandbox;		   /* false: --no-sandbox */
	char host[64];		   /* --listen's address */
	unsigned port;		   /* and port */
};

/* argv from "proxy" on: 0, PROXY_CLI_USAGE, or -1 with err (a bad value). */
int proxy_cli_parse(int argc, char **argv, struct proxy_cli_args *a, nw_err *err);
/* Runs the proxy until SIGTERM or SIGINT; cfg is the loaded node config. */
int proxy_cli_run(struct nw_config *cfg, const struct proxy_cli_args *a, nw_err *err);

#endif
