/* `netward explain` and `netward test` (dryrun.h). */
#include "dryrun.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "cleanup.h"
#include "http.h"
#include "jobsock.h"
#include "json.h"
#include "policy.h"
#include "ports.h"
#include "proxy_ev.h"
#include "proxy_int.h"
#include "resolve.h"
#include "io.h"

int dry_parse_args(int argc, char **argv, bool want_url, struct dry_opts *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--json") == 0) {
			o->json = true;
		} else if (strcmp(a, "--domains") == 0 && i + 1 < argc) {
			o->domains = argv[++i];
		} else if (strncmp(a, "--domains=", 10) == 0) {
			o->domains = a + 10;
		} else if (!want_url && strcmp(a, "--network") == 0 && i + 1 < argc) {
			o->network = argv[++i];
		} else if (!want_url && strncmp(a, "--network=", 10) == 0) {
			o->network = a + 10;
		} else if (want_url && a[0] != '-' && o->url == NULL) {
			o->url = a;
		} else {
			return -1;
		}
	}
	return 0;
}

static int emit(FILE *out, struct json *j, nw_err *err)
{
	cleanup_free char *s = json_render(j, true, err);

	if (s == NULL)
		return -1;
	fprintf(out, "%s\n", s);
	return 0;
}

static int set_str(struct json *o, const char *k, const char *v, nw_err *err)
{
	return json_set(o, k, v != NULL ? json_new_str(v) : json_new(JSON_NULL), err);
}

static int set_bool(struct json *o, const char *k, bool v, nw_err *err)
{
	struct json *b = json_new(JSON_BOOL);

	if (b != NULL)
		b->b = v;
	return json_set(o, k, b, err);
}

/* Each domain of the job with the allowlist entry that covers it (NULL:
 * none, or no ceiling). */
static struct json *explain_domains(const struct nw_config *cfg, const struct domain_list *l,
				    FILE *text, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);
	char d[DOMAIN_MAX + 2], e[DOMAIN_MAX + 2];

	for (size_t i = 0; a != NULL && i < l->n; i++) {
		const struct domain_entry *c = domain_list_covering(&cfg->allowlist, &l->e[i]);
		struct json *o = json_new(JSON_OBJECT);
		domain_entry_str(&l->e[i], d, sizeof(d));
		if (c != NULL)
			domain_entry_str(c, e, sizeof(e));
		if (json_push(a, o, err) < 0 || set_str(o, "domain", d, err) < 0 ||
		    set_str(o, "covered_by", c != NULL ? e : NULL, err) < 0 ||
		    set_bool(o, "allowed", c != NULL || !cfg->has_allowlist, err) < 0)
			return NULL;
		if (text == NULL)
			continue;
		if (!cfg->has_allowlist)
			fprintf(text, "  domain %-30s allowed (no domain_allowlist: no ceiling)\n",
				d);
		else if (c != NULL)
			fprintf(text, "  domain %-30s allowed, covered by \"%s\"\n", d, e);
		else
			fprintf(text,
				"  domain %-30s REFUSED, domain_allowlist does not cover it\n", d);
	}
	return steal_ptr(&a);
}

/* What an http job's programs that ignore the proxy variables get. */
static void explain_intercept(const struct nw_config *cfg, FILE *out)
{
	if (!cfg->intercept) {
		fprintf(out, "programs that ignore http_proxy: not intercepted (\"intercept\" is "
			     "off); they reach nothing and have no resolver\n");
		return;
	}
	fprintf(out,
		"programs that ignore http_proxy: their TCP on http_ports and connect_ports goes "
		"to the proxy (%s:%u), judged by TLS server name or HTTP Host like an explicit "
		"request; their resolver is %s:%u, answering only the job's domains\n",
		NW_GATEWAY, config_intercept_port(cfg), NW_GATEWAY, JOBSOCK_DNS_PORT);
}

int dry_explain(const struct nw_config *cfg, const struct dry_opts *o, FILE *out, nw_err *err)
{
	cleanup_json struct json *j = json_new(JSON_OBJECT);
	cleanup_err nw_err refusal = NULL;
	cleanup_domain_list struct domain_list l = {0};
	cleanup_policy struct job_policy pol = {0};
	bool admitted;

	if (j == NULL)
		return nw_fail(err, ENOMEM, "explain");
	admitted = policy_decide(cfg, o->network, o->domains, NULL, "explain", &pol, &refusal) == 0;
	if (!o->json)
		fprintf(out, "network %s, domains %s\n", o->network,
			o->domains != NULL ? o->domains : "(none)");
	/* The per-domain table, when the list itself parses. */
	if (o->domains != NULL && domain_list_parse(&l, o->domains, NULL) == 0) {
		struct json *d = explain_domains(cfg, &l, o->json ? NULL : out, err);
		if (json_set(j, "domains", d, err) < 0)
			return -1;
	}
	bool http = o->network != NULL && strcasecmp(o->network, "http") == 0;
	if (set_str(j, "network", o->network, err) < 0 ||
	    (http && set_bool(j, "intercept", cfg->intercept, err) < 0) ||
	    set_bool(j, "admitted", admitted, err) < 0 ||
	    set_bool(j, "ceiling", cfg->has_allowlist, err) < 0 ||
	    set_str(j, "reason", admitted ? NULL : nw_err_msg(refusal), err) < 0)
		return -1;
	if (o->json) {
		if (emit(out, j, err) < 0)
			return -1;
	} else if (admitted) {
		fprintf(out, "admitted\n");
		if (http)
			explain_intercept(cfg, out);
	} else {
		fprintf(out, "refused: %s\n", nw_err_msg(refusal));
	}
	return admitted ? 0 : -1;
}

/* --- test URL ------------------------------------------------------------ */

struct url {
	char host[DOMAIN_MAX + 1]; /* canonical */
	bool is_ip;
	uint16_t port;
	bool connect; /* https: the proxy sees CONNECT host:port */
};

static int url_parse(const char *s, struct url *u, nw_err *err)
{
	char raw[DOMAIN_MAX + 64];
	const char *p;
	size_t n;
	char *colon;

	if (strncasecmp(s, "http://", 7) == 0) {
		p = s + 7;
		u->connect = false;
		u->port = 80;
	} else if (strncasecmp(s, "https://", 8) == 0) {
		p = s + 8;
		u->connect = true;
		u->port = 443;
	} else {
		return nw_fail(err, 0, "URL \"%s\" must start with http:// or https://", s);
	}
	n = strcspn(p, "/?#");
	if (n == 0 || n >= sizeof(raw) || memchr(p, '@', n) != NULL)
		return nw_fail(err, 0, "URL \"%s\": no host, or a host netward cannot use", s);
	memcpy(raw, p, n);
	raw[n] = '\0';
	colon = raw[0] == '[' ? strstr(raw, "]:") : strrchr(raw, ':');
	if (colon != NULL && raw[0] == '[')
		colon++;
	if (colon != NULL && (raw[0] == '[' || strchr(raw, ':') == colon)) {
		char *end;
		unsigned long v = strtoul(colon + 1, &end, 10);
		if (*end != '\0' || v == 0 || v > 65535 || colon[1] == '\0')
			return nw_fail(err, 0, "URL \"%s\": bad port", s);
		u->port = (uint16_t)v;
		*colon = '\0';
	}
	if (domain_canon(raw, u->host, &u->is_ip, err) < 0)
		return nw_wrap(err, "URL \"%s\"", s);
	return 0;
}

struct lookup {
	bool done;
	enum resolve_status st;
	struct resolve_answer ans;
	char detail[128];
};

static void on_lookup(void *arg, enum resolve_status st, const struct resolve_answer *ans,
		      const char *detail)
{
	struct lookup *l = arg;

	l->done = true;
	l->st = st;
	if (ans != NULL)
		l->ans = *ans;
	snprintf(l->detail, sizeof(l->detail), "%s", detail != NULL ? detail : "");
}

/* One lookup through the proxy's resolver and dns_servers, under the
 * proxy's own DNS limit (T_DNS), together with the first answers for the
 * names in deny_destinations, as a job's proxy has them. host NULL: only
 * those. The caller frees *dn and *r. */
static int lookup(const struct nw_config *cfg, int ep, const char *host, struct lookup *l,
		  struct resolver **r, struct proxy_deny **dn, nw_err *err)
{
	struct resolve_query *q = NULL;
	uint64_t deadline = io_now_ms() + T_DNS;

	*r = resolve_new(cfg->dns, cfg->n_dns, T_DNS_RESOLVER, ep, err);
	if (*r == NULL)
		return -1;
	*dn = proxy_deny_new(cfg, *r);
	if (*dn == NULL)
		return nw_fail(err, ENOMEM, "resolving deny_destinations names");
	if (host != NULL && resolve_lookup(*r, host, on_lookup, l, &q, err) < 0)
		return -1;
	while ((!l->done || !proxy_deny_ready(*dn)) && io_now_ms() < deadline) {
		struct epoll_event ev[8];
		int n = epoll_wait(ep, ev, 8, 100);
		for (int i = 0; i < n; i++) {
			struct proxy_ev *pe = ev[i].data.ptr;
			pe->fn(pe, ev[i].events);
		}
		resolve_reap(*r);
		resolve_tick(*r);
		proxy_deny_tick(*dn, io_now_ms());
	}
	if (!l->done) {
		resolve_cancel(q);
		l->st = RESOLVE_TIMEOUT;
	}
	return 0;
}

static const char *lookup_reason(const struct lookup *l, const char *host, char *b, size_t len)
{
	switch (l->st) {
	case RESOLVE_NXDOMAIN:
		snprintf(b, len, "netward: DNS says %s does not exist (NXDOMAIN)", host);
		break;
	case RESOLVE_NODATA:
		snprintf(b, len, "netward: DNS has no address for %s", host);
		break;
	case RESOLVE_TIMEOUT:
		snprintf(b, len, "netward: DNS lookup of %s timed out", host);
		break;
	default:
		/* A cut detail is fine: the reason is for reading. */
		if (snprintf(b, len, "netward: DNS lookup of %s failed: %s", host, l->detail) < 0)
			b[0] = '\0';
	}
	return b;
}

struct verdict {
	int status; /* 0 allowed, else the HTTP status the proxy answers */
	const char *stage;
	bool report; /* allowed by report mode only */
	char reason[PROXY_REASON_MAX];
	struct nw_addr pick;
	struct lookup l;
};

static int decide_url(const struct nw_config *cfg, const struct url *u,
		      const struct job_policy *pol, struct verdict *v, nw_err *err)
{
	struct proxy_opts po = {.cfg = cfg, .domains = &pol->domains, .job_id = pol->job_id};
	cleanup_close int ep = -1;
	struct resolver *r = NULL;
	struct proxy_deny *dn = NULL;
	struct proxy_fail f;
	int rc = -1;

	v->stage = "name";
	v->status = proxy_policy_name(&po, u->host, u->is_ip, u->port,
				      u->connect ? VIA_CONNECT : VIA_HTTP, &v->report, &f);
	snprintf(v->reason, sizeof(v->reason), "%s", f.reason);
	if (v->status != 0)
		return 0;
	v->stage = "resolve";
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return nw_fail(err, errno, "epoll_create1");
	if (u->is_ip) {
		if (addr_parse(u->host, &v->l.ans.addrs[0], err) < 0)
			return -1;
		v->l.ans.n = 1;
		v->l.st = RESOLVE_OK;
		v->l.done = true;
	}
	if (lookup(cfg, ep, u->is_ip ? NULL : u->host, &v->l, &r, &dn, err) < 0)
		goto out;
	if (v->l.st != RESOLVE_OK) {
		v->status = v->l.st == RESOLVE_TIMEOUT ? 504 : 502;
		lookup_reason(&v->l, u->host, v->reason, sizeof(v->reason));
		rc = 0;
		goto out;
	}
	v->stage = "address";
	/* The node's addresses as the proxy reads them (nodeaddr.h), so
	 * that this answer is the proxy's; without rtnetlink, the kernel's
	 * answer per address. */
	struct nodeaddr_nl nl;
	struct nodeaddr_check node = {.is_node = nodeaddr_route_query};
	bool have_nl = nodeaddr_nl_open(&nl, NULL, NULL) == 0;
	if (have_nl)
		node = (struct nodeaddr_check){.is_node = nodeaddr_nl_is_node, .ctx = &nl};
	v->status = proxy_policy_addrs(&po, dn, &node, u->host, u->port, &v->l.ans, &v->pick, &f);
	snprintf(v->reason, sizeof(v->reason), "%s", f.reason);
	if (have_nl)
		nodeaddr_nl_close(&nl);
	rc = 0;
out:
	proxy_deny_free(dn);
	if (r != NULL)
		resolve_free(r);
	return rc;
}

static int test_report(const struct nw_config *cfg, const struct url *u, const struct dry_opts *o,
		       const struct verdict *v, FILE *out, nw_err *err)
{
	/* The firewall redirects a direct connection on these ports to the
	 * proxy, which judges it as it judges this request. */
	bool intercepted = cfg->intercept && (ports_contain(&cfg->http_ports, u->port) ||
					      ports_contain(&cfg->connect_ports, u->port));
	cleanup_json struct json *j = json_new(JSON_OBJECT);
	struct json *a = json_new(JSON_ARRAY);
	char s[64], pick[80] = "";

	if (j == NULL || json_set(j, "addresses", a, err) < 0)
		return nw_fail(err, ENOMEM, "test");
	for (size_t i = 0; i < v->l.ans.n; i++)
		if (json_push(a, json_new_str(addr_str(&v->l.ans.addrs[i], s, sizeof(s))), err) < 0)
			return -1;
	if (v->status == 0)
		snprintf(pick, sizeof(pick), "%s:%u", addr_str(&v->pick, s, sizeof(s)), u->port);
	if (set_str(j, "url", o->url, err) < 0 || set_str(j, "host", u->host, err) < 0 ||
	    json_set(j, "port", json_new_int(u->port), err) < 0 ||
	    set_str(j, "method", u->connect ? "CONNECT" : "GET", err) < 0 ||
	    set_bool(j, "allowed", v->status == 0, err) < 0 ||
	    set_bool(j, "reported", v->status == 0 && v->report, err) < 0 ||
	    json_set(j, "status", json_new_int(v->status ? v->status : 200), err) < 0 ||
	    set_str(j, "stage", v->stage, err) < 0 ||
	    set_str(j, "reason", v->status ? v->reason : NULL, err) < 0 ||
	    set_str(j, "connect_to", v->status == 0 ? pick : NULL, err) < 0 ||
	    set_bool(j, "intercepted", intercepted, err) < 0)
		return -1;
	if (o->json)
		return emit(out, j, err);
	fprintf(out, "%s %s:%u (%s)\n", u->connect ? "CONNECT" : "GET", u->host, u->port,
		u->connect ? "https: connect_ports" : "plain http: http_ports");
	for (size_t i = 0; i < v->l.ans.n; i++)
		fprintf(out, "  resolved: %s\n", addr_str(&v->l.ans.addrs[i], s, sizeof(s)));
	if (v->status == 0 && v->report)
		fprintf(out, "reported (%s)\n", v->reason + strlen("netward: "));
	if (v->status == 0)
		fprintf(out, "allowed: the proxy would connect to %s\n", pick);
	else
		fprintf(out, "refused at %s (%d): %s\n", v->stage, v->status, v->reason);
	if (intercepted)
		fprintf(out, "a program ignoring http_proxy: intercepted, the same decision\n");
	else
		fprintf(out,
			"a program ignoring http_proxy: not intercepted (%s), refused by the "
			"firewall\n",
			cfg->intercept ? "the port is in neither http_ports nor connect_ports"
				       : "\"intercept\" is off");
	return 0;
}

int dry_test(const struct nw_config *cfg, const struct dry_opts *o, FILE *out, nw_err *err)
{
	struct nw_config node = *cfg;
	struct verdict v = {0};
	struct job_policy pol;
	struct url u = {0};
	int rc;

	if (url_parse(o->url, &u, err) < 0)
		return -1;
	/* The job's list and the node's ceiling, as for a hand-started proxy. */
	node.allowed_modes |= NW_MODE_BIT(NW_MODE_HTTP);
	if (policy_decide(&node, "http", o->domains != NULL ? o->domains : u.host, NULL, "test",
			  &pol, err) < 0)
		return nw_wrap(err, "no job could ask for this");
	rc = decide_url(&node, &u, &pol, &v, err);
	policy_free(&pol);
	if (rc < 0 || test_report(cfg, &u, o, &v, out, err) < 0)
		return -1;
	return v.status == 0 ? 0 : -1;
}
