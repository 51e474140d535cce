/* Whether a job may reach a destination: on the name first, then on every
 * address it resolves to (DESIGN.md §3). The reason names the rule. */
#include <stdio.h>
#include <string.h>

#include "ports.h"
#include "proxy_int.h"

static bool loopback(const struct nw_addr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	return a->family == AF_INET ? a->a[0] == 127 : memcmp(a->a, v6_loopback, 16) == 0;
}

static bool ip_listed(const struct domain_list *l, const char *host)
{
	/* An IP literal matches only an identical IP entry, never a name it
	 * might reverse-resolve to. */
	for (size_t i = 0; i < l->n; i++)
		if (l->e[i].is_ip && strcmp(l->e[i].name, host) == 0)
			return true;
	return false;
}

/* The domain entry of deny_destinations that name:port falls under. */
static const struct nw_deny *denied_name(const struct nw_config *cfg, const char *name,
					 uint16_t port)
{
	for (size_t i = 0; i < cfg->n_deny; i++) {
		const struct nw_deny *d = &cfg->deny[i];
		if (d->is_domain && domain_entry_matches(&d->domain, name) &&
		    (d->port == 0 || d->port == port))
			return d;
	}
	return NULL;
}

/* Report mode lets a name outside the job's list through when the node's
 * ceiling covers it (no ceiling: any name). IP literals stay refused: a
 * job's list names them one by one. */
static bool reportable(const struct nw_config *cfg, const char *host)
{
	return cfg->report_unlisted_domains &&
	       (!cfg->has_allowlist || domain_list_match(&cfg->allowlist, host) != NULL);
}

static const char *what(enum proxy_via via)
{
	return via == VIA_SNI ? "the TLS server name" : "domain";
}

int proxy_policy_name(const struct proxy_opts *o, const char *host, bool is_ip, uint16_t port,
		      enum proxy_via via, bool *report, struct proxy_fail *f)
{
	const struct nw_config *cfg = o->cfg;
	bool tunnel = via != VIA_HTTP;

	*report = false;

	if (tunnel && !ports_contain(&cfg->connect_ports, port)) {
		return proxy_refuse(f, 403, "netward: port %u is not in connect_ports", port);
	}
	if (!tunnel && !ports_contain(&cfg->http_ports, port)) {
		return proxy_refuse(f, 403, "netward: port %u is not in http_ports", port);
	}
	if (is_ip && !ip_listed(o->domains, host)) {
		return proxy_refuse(
		    f, 403,
		    "netward: %s%s is an IP address that this job's allowlist does not list",
		    via == VIA_SNI ? "the TLS server name " : "", host);
	}
	if (!is_ip && domain_list_match(o->domains, host) == NULL) {
		if (!reportable(cfg, host)) {
			return proxy_refuse(f, 403,
					    "netward: %s \"%s\" is not in this job's allowlist",
					    what(via), host);
		}
		*report = true;
	}
	const struct nw_deny *d = is_ip ? NULL : denied_name(cfg, host, port);
	if (d != NULL) {
		*report = false;
		return proxy_refuse(f, 403, "netward: %s%s:%u is in deny_destinations (\"%s\")",
				    via == VIA_SNI ? "the TLS server name " : "", host, port,
				    d->text);
	}
	f->status = 0;
	f->denied = false;
	f->reason[0] = '\0';
	if (*report)
		snprintf(f->reason, sizeof(f->reason),
			 "netward: domain \"%s\" is not in this job's allowlist; "
			 "report_unlisted_domains lets it through",
			 host);
	return 0;
}

int proxy_policy_sni_host(const char *sni, char *host, bool *is_ip, struct proxy_fail *f)
{
	cleanup_err nw_err err = NULL;

	if (domain_canon(sni, host, is_ip, &err) < 0)
		return proxy_refuse(f, 403, "netward: the TLS server name is not a host name: %s",
				    nw_err_msg(err));
	return 0;
}

int proxy_policy_sni(const struct proxy_opts *o, const char *sni, uint16_t port, bool *report,
		     struct proxy_fail *f)
{
	char host[DOMAIN_MAX + 1];
	bool is_ip;

	*report = false;
	if (proxy_policy_sni_host(sni, host, &is_ip, f) != 0)
		return f->status;
	return proxy_policy_name(o, host, is_ip, port, VIA_SNI, report, f);
}

bool proxy_policy_dns_covers(const struct proxy_opts *o, const char *name)
{
	return domain_list_match(o->domains, name) != NULL && denied_name(o->cfg, name, 0) == NULL;
}

/* Every name the answer's CNAME chain went through is held to the deny
 * entries, as the name asked for is. */
static int check_cnames(const struct nw_config *cfg, const char *host, uint16_t port,
			const struct resolve_answer *ans, struct proxy_fail *f)
{
	if (ans->cnames_cut) {
		return proxy_refuse(f, 403,
				    "netward: the CNAME chain of %s is longer than %d names (or "
				    "holds a name netward cannot read); refused",
				    host, RESOLVE_MAX_CNAMES);
	}
	for (size_t i = 0; i < ans->ncnames; i++) {
		const struct nw_deny *d = denied_name(cfg, ans->cnames[i], port);
		if (d != NULL) {
			return proxy_refuse(f, 403,
					    "netward: %s is an alias (CNAME) of %s, which is in "
					    "deny_destinations (\"%s\")",
					    host, ans->cnames[i], d->text);
		}
	}
	return 0;
}

static int check_addr(const struct proxy_opts *o, const struct proxy_deny *dn,
		      const struct nodeaddr_check *node, const char *host, uint16_t port,
		      const struct nw_addr *a, struct proxy_fail *f)
{
	const struct nw_config *cfg = o->cfg;
	const struct nw_deny *by_name;
	const char *name;
	char s[64];

	addr_str(a, s, sizeof(s));
	for (size_t i = 0; i < cfg->n_deny; i++) {
		const struct nw_deny *d = &cfg->deny[i];
		if (!d->is_domain && addr_cidr_contains(&d->cidr, a) &&
		    (d->port == 0 || d->port == port)) {
			return proxy_refuse(f, 403,
					    "netward: %s%s%s:%u is in deny_destinations (\"%s\")",
					    a->family == AF_INET6 ? "[" : "", s,
					    a->family == AF_INET6 ? "]" : "", port, d->text);
		}
	}
	by_name = proxy_deny_match(dn, a, port, &name);
	if (by_name != NULL) {
		return proxy_refuse(f, 403,
				    "netward: %s resolves to %s, an address of %s, which is in "
				    "deny_destinations (\"%s\")",
				    host, s, name, by_name->text);
	}
	if (!addr_is_global(a) && !config_private_allowed(cfg, a, port)) {
		if (strcmp(host, s) == 0)
			return proxy_refuse(f, 403,
					    "netward: %s is a private address "
					    "(allow_private_destinations does not include it on "
					    "port %u)",
					    s, port);
		return proxy_refuse(f, 403,
				    "netward: %s resolves to %s, a private address "
				    "(allow_private_destinations does not include it on port %u)",
				    host, s, port);
	}
	/* Loopback listed in allow_private_destinations is an operator's
	 * explicit choice (a mirror on this node's 127.0.0.x); any other
	 * address of the node is never reachable, even a globally reachable
	 * one. Which addresses are the node's is the caller's answer
	 * (nodeaddr.h): this decision makes no syscall. */
	if (node->is_node(node->ctx, a) && !(loopback(a) && config_private_allowed(cfg, a, port))) {
		if (strcmp(host, s) == 0)
			return proxy_refuse(
			    f, 403,
			    "netward: %s is an address of this node, which jobs never reach", s);
		return proxy_refuse(
		    f, 403,
		    "netward: %s resolves to %s, an address of this node, which jobs "
		    "never reach",
		    host, s);
	}
	return 0;
}

int proxy_policy_addrs(const struct proxy_opts *o, const struct proxy_deny *dn,
		       const struct nodeaddr_check *node, const char *host, uint16_t port,
		       const struct resolve_answer *ans, struct nw_addr *pick, struct proxy_fail *f)
{
	const struct nw_addr *a = ans->addrs;
	size_t n = ans->n;
	bool have = false;
	int cst = check_cnames(o->cfg, host, port, ans, f);

	if (cst != 0)
		return cst;
	for (size_t i = 0; i < n; i++) {
		struct nw_addr u = addr_unmap(&a[i]);
		int st = check_addr(o, dn, node, host, port, &u, f);

		if (st != 0) {
			/* A name mixing allowed and refused answers is what DNS
			 * rebinding looks like: refuse it whole. */
			if (n > 1) {
				size_t l = strlen(f->reason);
				snprintf(f->reason + l, sizeof(f->reason) - l,
					 "; one refused address of %zu refuses the name", n);
			}
			return st;
		}
		if (!have && u.family == AF_INET) {
			*pick = u;
			have = true;
		}
	}
	if (!have) {
		return proxy_failed(f, 502,
				    "netward: %s has no IPv4 address, and netward connects over "
				    "IPv4 only",
				    host);
	}
	return 0;
}
