/* The node config, /etc/netward/netward.json (DESIGN.md §2). */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "domain.h"
#include "err.h"
#include "mode.h"
#include "ports.h"

#define NW_DEFAULT_CONFIG "/etc/netward/netward.json"
#define NW_CONFIG_MAX	  (1 << 20)
/* The config schema version this netward reads ("version" key). */
#define NW_CONFIG_VERSION 1
/* Where the DNS servers come from when the config names none. */
#define NW_RESOLV_CONF "/etc/resolv.conf"

/* The gateway every job sees: one link-local address put on every host-side
 * veth (as Calico does); each job's proxy binds it on its own veth. The
 * subnet must not hold it (config.c). */
#define NW_GATEWAY "169.254.1.1"
/* job_log_max_bytes: the default, and the range (below the proxy
 * sandbox's 1 GiB RLIMIT_FSIZE). */
#define NW_JOB_LOG_MAX_DEFAULT (8ULL << 20)
#define NW_JOB_LOG_MAX_MIN     16384ULL
#define NW_JOB_LOG_MAX_MAX     (512ULL << 20)

struct nw_deny {
	bool is_domain;
	struct nw_cidr cidr;	    /* !is_domain */
	struct domain_entry domain; /* is_domain; may be a wildcard */
	uint16_t port;		    /* 0 = every port */
	char *text;		    /* as written, for messages */
};

struct nw_dns_server {
	struct nw_addr addr;
	uint16_t port; /* 53 unless given */
};

struct nw_config {
	char *path;		/* where it came from, for messages */
	unsigned allowed_modes; /* NW_MODE_BIT() set */
	bool has_allowlist;
	struct domain_list allowlist;
	uint64_t rate_limit_bps;
	struct nw_ports http_ports;
	struct nw_ports connect_ports;
	size_t n_deny;
	struct nw_deny *deny;
	size_t n_allow_private;
	struct nw_cidr_port *allow_private; /* port 0 = every port */
	/* Non-global destinations a full job may reach (the firewall's). */
	size_t n_full_allow_private;
	struct nw_cidr *full_allow_private;
	size_t n_dns;
	struct nw_dns_server *dns;
	bool dns_from_resolv_conf;
	struct nw_cidr subnet; /* IPv4 */
	uint16_t proxy_port;
	/* http jobs' programs that ignore the proxy variables: their TCP on
	 * http_ports/connect_ports is redirected to the proxy's second port
	 * (config_intercept_port), and their resolver is the proxy on the
	 * gateway. */
	bool intercept;
	char *job_id_header;	    /* "" = off */
	char *log;		    /* "syslog" or an absolute path */
	uint64_t job_log_max_bytes; /* cap on each job's access log in its state entry */
	/* report mode: http jobs may reach domains outside their list (still
	 * under the node's ceiling and every address rule), logged
	 * decision=report. */
	bool report_unlisted_domains;
	/* netward-runc: the runtime it wraps (NULL = "runc" from PATH) and the
	 * hooks.d directories it reads (n_hooks_dirs 0 = podman's two). */
	char *oci_runtime;
	size_t n_hooks_dirs;
	char **hooks_dirs;
};

/* Fills cfg with every default (dns from /etc/resolv.conf is read lazily by
 * config_load, not here). */
void config_defaults(struct nw_config *cfg);
/* Parses a node config text; unknown keys, wrong types and bad values are
 * errors naming the key. Pure apart from reading nothing. */
int config_parse(struct nw_config *cfg, const char *text, size_t len, nw_err *err);
/* Reads path (or the default), parses it, and fills dns_servers from
 * /etc/resolv.conf when the config has none. A missing default file yields
 * the defaults; a missing explicit file is an error. cfg must hold a config
 * (config_defaults) or be zeroed: on success it is freed and replaced; on
 * failure it is left as it was. */
int config_load(struct nw_config *cfg, const char *path, bool explicit_path, nw_err *err);
void config_free(struct nw_config *cfg);
#define cleanup_config __attribute__((cleanup(config_free)))
/* The effective policy as pretty JSON (check-config). */
char *config_render(const struct nw_config *cfg, nw_err *err);

/* Does allow_private_destinations let a job reach a:port? (The private
 * range rule itself is the proxy's; this is the operator's exception.) */
bool config_private_allowed(const struct nw_config *cfg, const struct nw_addr *a, uint16_t port);

/* Where intercepted connections land: the port after proxy_port
 * (config_parse refuses proxy_port 65535 while intercept is on). */
static inline unsigned config_intercept_port(const struct nw_config *cfg)
{
	return (unsigned)cfg->proxy_port + 1;
}

#endif
