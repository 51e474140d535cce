/* Dry runs without a container: `netward explain` (would a job with these
 * annotations be admitted?) and `netward test URL` (what would the job's
 * proxy decide for this URL?). Both use the code the hook and the proxy
 * use (policy_decide, proxy_policy_name/addrs, the proxy's resolver). */
#ifndef NW_DRYRUN_H
#define NW_DRYRUN_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "err.h"

struct dry_opts {
	const char *network; /* explain: --network */
	const char *domains; /* --domains, or NULL */
	const char *url;     /* test: the URL */
	bool json;
};

/* argv[0] is the command's name. want_url: one positional URL is taken.
 * -1 on anything unknown or missing a value. */
int dry_parse_args(int argc, char **argv, bool want_url, struct dry_opts *o);
/* 0 when admitted; -1 when refused (err left unset: the verdict is on
 * out) or on failure (err set). */
int dry_explain(const struct nw_config *cfg, const struct dry_opts *o, FILE *out, nw_err *err);
/* 0 when the proxy would allow the URL; -1 as for dry_explain. Resolves
 * through the config's dns_servers; starts no proxy, opens no connection
 * to the destination. */
int dry_test(const struct nw_config *cfg, const struct dry_opts *o, FILE *out, nw_err *err);

#endif
