/* Rendering the jobs' nftables table: pure text, no syscalls. fw.c
 * applies it. */
#include "fw_render.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ident.h"
#include "ports.h"
#include "util.h"

const char *const fw_always_denied[] = {
    "0.0.0.0/8",      /* "this network" */
    "127.0.0.0/8",    /* this host */
    "169.254.0.0/16", /* link-local: metadata services, the gateway */
    "224.0.0.0/4",    /* multicast */
    "240.0.0.0/4",    /* reserved, and the broadcast address */
    NULL,
};

const char *const fw_non_global[] = {
    "10.0.0.0/8",      /* RFC 1918 */
    "100.64.0.0/10",   /* CGNAT */
    "172.16.0.0/12",   /* RFC 1918: docker0 and its networks */
    "192.0.0.0/24",    /* IETF protocol assignments */
    "192.0.2.0/24",    /* TEST-NET-1 */
    "192.88.99.0/24",  /* 6to4 relay anycast, deprecated */
    "192.168.0.0/16",  /* RFC 1918: virbr0, home and office LANs */
    "198.18.0.0/15",   /* benchmarking */
    "198.51.100.0/24", /* TEST-NET-2 */
    "203.0.113.0/24",  /* TEST-NET-3 */
    NULL,
};

bool fw_safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

uint16_t fw_zone(const struct nw_addr *a)
{
	uint32_t x;

	if (a->family != AF_INET)
		return 0;
	memcpy(&x, a->a, 4);
	return (uint16_t)(ntohl(x) & 0xffff);
}

/* ---- the shared part ---- */

/* Every job in job_ifs, and each in http_ifs or full_ifs besides; http
 * jobs in the map zones too. */
const char *const fw_set_names[FW_N_SETS] = {"job_ifs", "http_ifs", "full_ifs"};

static void chain(FILE *f, const char *name, const char *type, const char *hook, const char *prio)
{
	fprintf(f,
		"add chain inet " FW_TABLE " %s { type %s hook %s priority %s; policy accept; }\n",
		name, type, hook, prio);
	fprintf(f, "flush chain inet " FW_TABLE " %s\n", name);
}

static void rule(FILE *f, const char *chain_name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rule(FILE *f, const char *chain_name, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "add rule inet " FW_TABLE " %s ", chain_name);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

/* "iifname @full_ifs ip daddr { a, b, ... }" into buf. */
static const char *ranges(char *buf, size_t len, const char *const *v)
{
	size_t used = (size_t)snprintf(buf, len, "iifname @full_ifs ip daddr { ");

	for (size_t i = 0; v[i] != NULL && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", v[i]);
	if (used < len)
		snprintf(buf + used, len - used, " }");
	return buf;
}

/* Where a job's packet is blocked, the job hears it at once: a TCP reset,
 * or ICMP administratively prohibited for anything else, so a tool that
 * ignores the proxy fails with a reason instead of timing out. The reply
 * goes only to the job (its source address was checked in prerouting).
 * The attempt is counted per interface and its destination kept for a
 * while (fw_blocked.h): each a hash lookup, the same cost with 1 job as
 * with 1,000. A full recent-destinations set only stops the recording
 * (that rule stops, the next one runs). */
static void block(FILE *f, const char *chain_name, const char *match)
{
	rule(f, chain_name,
	     "%s meta l4proto { tcp, udp } update @" FW_RECENT_SET
	     " { iifname . ip daddr . meta l4proto . th dport }",
	     match);
	rule(f, chain_name,
	     "%s meta l4proto != { tcp, udp } update @" FW_RECENT_SET
	     " { iifname . ip daddr . meta l4proto . 0 }",
	     match);
	rule(f, chain_name, "%s add @" FW_BLOCKED_SET " { iifname }", match);
	rule(f, chain_name, "%s meta l4proto tcp reject with tcp reset", match);
	rule(f, chain_name, "%s reject with icmpx type admin-prohibited", match);
}

/* The lowest start of what of a and b lies at or above from; 65536: none. */
static unsigned union_start(const struct nw_ports *const *l, unsigned from)
{
	unsigned start = 65536;

	for (size_t k = 0; k < 2; k++)
		for (size_t i = 0; i < l[k]->n; i++)
			if (l[k]->r[i].hi >= from) {
				unsigned s = l[k]->r[i].lo > from ? l[k]->r[i].lo : from;
				start = s < start ? s : start;
			}
	return start;
}

/* The end of the run that starts at start, through every range that
 * touches or overlaps it. */
static unsigned union_end(const struct nw_ports *const *l, unsigned start)
{
	unsigned end = start;
	bool grew = true;

	while (grew) {
		grew = false;
		for (size_t k = 0; k < 2; k++)
			for (size_t i = 0; i < l[k]->n; i++)
				if (l[k]->r[i].lo <= end + 1 && l[k]->r[i].hi > end) {
					end = l[k]->r[i].hi;
					grew = true;
				}
	}
	return end;
}

/* "{ 80, 443, 1025-65535 }": the ports interception redirects,
 * http_ports and connect_ports merged in order (nft refuses overlapping
 * intervals in one set). Empty ("") when both lists are. */
static const char *intercept_ports(char *buf, size_t len, const struct nw_config *cfg)
{
	const struct nw_ports *l[2] = {&cfg->http_ports, &cfg->connect_ports};
	size_t used = 0;
	unsigned start;

	buf[0] = '\0';
	for (unsigned from = 1; from <= 65535 && (start = union_start(l, from)) <= 65535;) {
		unsigned end = union_end(l, start);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%u", used ? ", " : "{ ",
						 start);
		if (end != start && used < len)
			used += (size_t)snprintf(buf + used, len - used, "-%u", end);
		from = end + 1;
	}
	if (used > 0 && used < len)
		snprintf(buf + used, len - used, " }");
	return buf;
}

/* Before anything else sees the packet, and before conntrack: no IPv6,
 * and no IPv4 but from the job's own address. The host routes each job's
 * /32, and only that, through the job's interface, so "from the subnet,
 * and routed back through the interface it came in on" is exactly that
 * address. An http job's connections get its own conntrack zone, so what
 * it sends is "related" only to its own connections. */
static void render_pre(FILE *f, const struct nw_config *cfg, const char *gw, const char *ports)
{
	char net[INET6_ADDRSTRLEN + 5], m[FW_PORTS_MAX + 96];

	chain(f, "prerouting", "filter", "prerouting", "raw");
	rule(f, "prerouting", "iifgroup 0x%x meta nfproto ipv6 drop", FW_IFGROUP);
	rule(f, "prerouting", "iifgroup 0x%x ip saddr != %s drop", FW_IFGROUP,
	     addr_cidr_str(&cfg->subnet, net, sizeof(net)));
	rule(f, "prerouting", "iifgroup 0x%x fib saddr . iif oif missing drop", FW_IFGROUP);
	/* An http job's interface forwards nothing (wire.c), and the kernel
	 * drops what it would route from there without a word: refuse it
	 * here, before routing, so the job hears of it. */
	/* Interception: TCP on the ports the proxy serves goes on, marked
	 * (for the guard: guard.h), to dstnat, which redirects it to the
	 * proxy; the rest, UDP to port 443 (QUIC) among it, is refused here
	 * at once. The redirected connection stays in conntrack's default
	 * zone: SO_ORIGINAL_DST looks there only. What the job sends is
	 * still in its own zone, so a forged ICMP error relates to none of
	 * these connections. */
	if (ports[0] != '\0')
		rule(f, "prerouting",
		     "iifname @http_ifs ip daddr != %s tcp dport %s meta mark set meta mark & "
		     "0x%x | 0x%x accept",
		     gw, ports, ~FW_INTERCEPT_MASK, FW_INTERCEPT_MARK);
	snprintf(m, sizeof(m), "iifname @http_ifs ip daddr != %s", gw);
	block(f, "prerouting", m);
	rule(f, "prerouting", "ct zone set iifname map @zones");
}

/* Interception: an http job's TCP to any address but its gateway, on
 * the ports the proxy serves, goes to its proxy's second port on the
 * gateway, in the job's own conntrack zone (set in prerouting). The proxy
 * reads the address the job chose (SO_ORIGINAL_DST) and never connects to
 * it: it connects to the name it checked. Nothing is routed, so
 * deny_destinations and the node's other networks stay out of reach. The
 * chain is written, empty, when interception is off, so turning it off
 * takes its rule away. */
static void render_dstnat(FILE *f, const char *gw, unsigned port, const char *ports)
{
	/* Before Docker's and kube-proxy's DNAT (at dstnat): the first NAT
	 * of a connection is the one it keeps. */
	chain(f, "dstnat", "nat", "prerouting", "dstnat - 10");
	if (ports[0] != '\0')
		rule(f, "dstnat", "iifname @http_ifs ip daddr != %s tcp dport %s dnat ip to %s:%u",
		     gw, ports, gw, port + 1);
}

/* The proxy's side of an http job's connections, in the job's zone;
 * its side of redirected ones in the default zone, where they are. */
static void render_output(FILE *f, const char *gw, unsigned port, bool intercept)
{
	chain(f, "output", "filter", "output", "raw");
	if (intercept)
		rule(f, "output", "oifname @http_ifs ip saddr %s tcp sport %u accept", gw,
		     port + 1);
	rule(f, "output", "ct zone set oifname map @zones");
}

/* The host itself: an http job reaches only its proxy's socket on the
 * gateway (and ICMP errors about its own connections, for path MTU);
 * others nothing. A name in full_ifs reaches nothing here, whatever else
 * it is in; an interface of the group in no set reaches nothing. */
/* With interception, the redirected connections reach the proxy's
 * second port (only those: a job connecting there itself meets the
 * block), and the job's DNS reaches the proxy's port 53, UDP and TCP,
 * each only at a socket with the proxy's mark. */
static void render_in_intercept(FILE *f, const char *gw, unsigned port)
{
	rule(
	    f, "input",
	    "iifname @http_ifs ip daddr %s tcp dport %u ct status dnat ct state established accept",
	    gw, port + 1);
	rule(f, "input",
	     "iifname @http_ifs ip daddr %s tcp dport %u ct status dnat socket mark & 0x%x == 0x%x "
	     "accept",
	     gw, port + 1, FW_PROXY_MARK, FW_PROXY_MARK);
	rule(f, "input", "iifname @http_ifs ip daddr %s tcp dport %u ct state established accept",
	     gw, FW_DNS_PORT);
	rule(f, "input",
	     "iifname @http_ifs ip daddr %s meta l4proto { tcp, udp } th dport %u socket mark & "
	     "0x%x == 0x%x accept",
	     gw, FW_DNS_PORT, FW_PROXY_MARK, FW_PROXY_MARK);
}

static void render_in(FILE *f, const char *gw, unsigned port, bool intercept)
{
	chain(f, "input", "filter", "input", "filter - 10");
	/* A full job learns nothing of the node, not even a refusal. */
	rule(f, "input", "iifname @full_ifs drop");
	/* A connection's first packet must meet the proxy's own socket: one
	 * a host service bound to the port of a dead proxy has no mark. The
	 * rest of it follows (its handshake's last ACK meets a request
	 * socket, which carries no mark to match). */
	rule(f, "input", "iifname @http_ifs ip daddr %s tcp dport %u ct state established accept",
	     gw, port);
	rule(f, "input",
	     "iifname @http_ifs ip daddr %s tcp dport %u socket mark & 0x%x == 0x%x accept", gw,
	     port, FW_PROXY_MARK, FW_PROXY_MARK);
	if (intercept)
		render_in_intercept(f, gw, port);
	rule(f, "input", "iifname @http_ifs ip daddr %s meta l4proto icmp ct state related accept",
	     gw);
	block(f, "input", "iifname @job_ifs");
	rule(f, "input", "iifgroup 0x%x drop", FW_IFGROUP);
}

static void render_deny(FILE *f, const struct nw_deny *d)
{
	char net[INET6_ADDRSTRLEN + 5], m[128];

	/* Domains are the proxy's business; IPv6 never gets this far. */
	if (d->is_domain || d->cidr.addr.family != AF_INET)
		return;
	addr_cidr_str(&d->cidr, net, sizeof(net));
	if (d->port == 0) {
		snprintf(m, sizeof(m), "iifname @full_ifs ip daddr %s", net);
		block(f, "forward", m);
		return;
	}
	snprintf(m, sizeof(m), "iifname @full_ifs ip daddr %s tcp dport %u", net,
		 (unsigned)d->port);
	block(f, "forward", m);
	snprintf(m, sizeof(m), "iifname @full_ifs ip daddr %s udp dport %u", net,
		 (unsigned)d->port);
	block(f, "forward", m);
}

static void render_full_allowed(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5];
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_full_allow_private; i++)
		n += cfg->full_allow_private[i].addr.family == AF_INET;
	if (n == 0)
		return;
	fprintf(f, "add rule inet " FW_TABLE " forward iifname @full_ifs ip daddr { ");
	n = 0;
	for (size_t i = 0; i < cfg->n_full_allow_private; i++)
		if (cfg->full_allow_private[i].addr.family == AF_INET)
			fprintf(f, "%s%s", n++ ? ", " : "",
				addr_cidr_str(&cfg->full_allow_private[i], net, sizeof(net)));
	fprintf(f, " } accept\n");
}

/* Routed traffic. A full job goes out to global addresses and what the
 * operator listed, never to other jobs, the always-denied ranges or
 * deny_destinations, and takes in only replies. Nothing is routed to an
 * address of the subnet that no live job's interface holds. No other job
 * routes anything, and a name in http_ifs routes nothing, whatever else it
 * is in. */
static void render_fwd(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5], m[1024];

	addr_cidr_str(&cfg->subnet, net, sizeof(net));
	chain(f, "forward", "filter", "forward", "filter - 10");
	block(f, "forward", "iifname @http_ifs");
	/* Toward a job, a reply would tell the sender that a job is there. */
	rule(f, "forward", "oifname @http_ifs drop");
	rule(f, "forward", "ip daddr %s oifname != @job_ifs drop", net);
	/* Another job's address: dropped, as anything toward a job is. */
	rule(f, "forward", "iifname @full_ifs ip daddr %s drop", net);
	block(f, "forward", ranges(m, sizeof(m), fw_always_denied));
	for (size_t i = 0; i < cfg->n_deny; i++)
		render_deny(f, &cfg->deny[i]);
	render_full_allowed(f, cfg);
	block(f, "forward", ranges(m, sizeof(m), fw_non_global));
	rule(f, "forward", "iifname @full_ifs accept");
	rule(f, "forward", "oifname @full_ifs ct state established,related accept");
	rule(f, "forward", "iifgroup 0x%x drop", FW_IFGROUP);
	rule(f, "forward", "oifgroup 0x%x drop", FW_IFGROUP);
}

/* Only full jobs' packets are ever routed (the forward chain drops every
 * other job's), so what leaves from the subnet is theirs. */
static void render_post(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5];

	chain(f, "postrouting", "nat", "postrouting", "srcnat");
	rule(f, "postrouting", "ip saddr %s oifname != @job_ifs masquerade",
	     addr_cidr_str(&cfg->subnet, net, sizeof(net)));
}

/* The last "add rule" line of each chain gets the sentinel comment. */
static char *add_sentinels(const char *body, nw_err *err)
{
	char *out = NULL, tag[40];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	const char *line = body;

	if (f == NULL)
		return nw_fail(err, errno, "firewall: rendering"), NULL;
	snprintf(tag, sizeof(tag), "netward %016llx", (unsigned long long)util_fnv64_str(body));
	while (*line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		const char *next = end ? end + 1 : line + n;
		bool last = false;
		if (strncmp(line, "add rule ", 9) == 0) {
			/* Last of its chain when the next line is no rule of it. */
			const char *sp = strchr(line + 9 + strlen("inet " FW_TABLE " "), ' ');
			size_t pre = sp ? (size_t)(sp - line) + 1 : n;
			last = strncmp(next, line, pre) != 0;
		}
		fprintf(f, "%.*s%s%s%s\n", (int)n, line, last ? " comment \"" : "", last ? tag : "",
			last ? "\"" : "");
		line = next;
	}
	if (ferror(f) || fclose(f) != 0) {
		free(out);
		return nw_fail(err, ENOMEM, "firewall: rendering"), NULL;
	}
	return out;
}

char *fw_render_base(const struct nw_config *cfg, const struct nw_addr *gw, uint16_t port,
		     nw_err *err)
{
	cleanup_free char *body = NULL;
	char g[INET6_ADDRSTRLEN], ports[FW_PORTS_MAX] = "";
	size_t len = 0;
	FILE *f;

	if (cfg == NULL || cfg->subnet.addr.family != AF_INET || gw->family != AF_INET)
		return nw_fail(err, EINVAL, "firewall: the job needs IPv4 addresses and a config"),
		       NULL;
	if (cfg->intercept && (unsigned)port + 1 > 65535)
		return nw_fail(err, EINVAL,
			       "firewall: no port after proxy_port %u for interception",
			       (unsigned)port),
		       NULL;
	if (cfg->intercept &&
	    strlen(intercept_ports(ports, sizeof(ports), cfg)) + 1 >= sizeof(ports))
		return nw_fail(err, E2BIG,
			       "firewall: http_ports and connect_ports hold too many ranges to "
			       "intercept; merge them, or set \"intercept\": false"),
		       NULL;
	addr_str(gw, g, sizeof(g));
	f = open_memstream(&body, &len);
	if (f == NULL)
		return nw_fail(err, errno, "firewall: rendering"), NULL;
	fputs("add table inet " FW_TABLE "\n", f);
	for (size_t i = 0; i < FW_N_SETS; i++)
		fprintf(f, "add set inet " FW_TABLE " %s { type ifname; }\n", fw_set_names[i]);
	fputs("add map inet " FW_TABLE " zones { typeof iifname : ct zone; }\n", f);
	fputs("add set inet " FW_TABLE " " FW_BLOCKED_SET
	      " { type ifname; flags dynamic; counter; size 65535; }\n",
	      f);
	fprintf(f,
		"add set inet " FW_TABLE " " FW_RECENT_SET
		" { typeof iifname . ip daddr . meta l4proto . th dport; flags dynamic,timeout; "
		"timeout %us; size %u; }\n",
		FW_RECENT_SECONDS, FW_RECENT_MAX);
	render_pre(f, cfg, g, ports);
	render_dstnat(f, g, port, ports);
	render_output(f, g, port, ports[0] != '\0');
	render_in(f, g, port, cfg->intercept);
	render_fwd(f, cfg);
	render_post(f, cfg);
	if (ferror(f) || fclose(f) != 0)
		return nw_fail(err, ENOMEM, "firewall: rendering"), NULL;
	return add_sentinels(body, err);
}

/* The index of chain name in out[0..*n), added when new. */
static int expect_slot(struct fw_expect *out, size_t *n, const char *name, nw_err *err)
{
	size_t i;

	for (i = 0; i < *n && strcmp(out[i].chain, name) != 0; i++)
		;
	if (i == *n) {
		if (*n == FW_CHAINS)
			return nw_fail(err, EINVAL, "firewall: too many chains");
		snprintf(out[i].chain, sizeof(out[i].chain), "%s", name);
		(*n)++;
	}
	return (int)i;
}

/* A chain written with no rules (dstnat, interception off) is expected
 * empty, with no sentinel. */
int fw_expect_parse(const char *base, struct fw_expect out[FW_CHAINS], nw_err *err)
{
	static const char rpfx[] = "add rule inet " FW_TABLE " ";
	static const char cpfx[] = "add chain inet " FW_TABLE " ";
	size_t n = 0;

	memset(out, 0, sizeof(struct fw_expect) * FW_CHAINS);
	for (const char *l = base; l != NULL && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char name[16];
		const char *c;
		bool is_rule = strncmp(l, rpfx, sizeof(rpfx) - 1) == 0;
		int i;
		if ((!is_rule && strncmp(l, cpfx, sizeof(cpfx) - 1) != 0) ||
		    sscanf(l + (is_rule ? sizeof(rpfx) : sizeof(cpfx)) - 1, "%15[a-z]", name) != 1)
			continue;
		i = expect_slot(out, &n, name, err);
		if (i < 0)
			return -1;
		if (!is_rule)
			continue;
		out[i].rules++;
		c = strstr(l, " comment \"netward ");
		if (c != NULL && (strchr(l, '\n') == NULL || c < strchr(l, '\n')))
			sscanf(c + 10, "%39[a-z0-9 ]", out[i].sentinel);
	}
	for (size_t i = 0; i < FW_CHAINS; i++)
		if (out[i].chain[0] == '\0' || (out[i].rules > 0 && out[i].sentinel[0] == '\0'))
			return nw_fail(err, EINVAL, "firewall: the base script has no sentinels");
	return 0;
}

/* ---- the jobs' elements ---- */

int fw_render_elems(FILE *f, const struct fw_elem *e, size_t n, nw_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *ifn = e[i].host_if;
		/* Names end up inside nft scripts: only netward's own (hex
		 * digits) get there, so no name can close a string. */
		if (ifn == NULL || !ident_ifname_valid(ifn))
			return nw_fail(err, EINVAL, "firewall: bad interface name");
		fprintf(f, "add element inet " FW_TABLE " job_ifs { \"%s\" }\n", ifn);
		fprintf(f, "add element inet " FW_TABLE " %s { \"%s\" }\n",
			e[i].mode == NW_MODE_FULL ? "full_ifs" : "http_ifs", ifn);
		if (e[i].mode == NW_MODE_HTTP && e[i].zone != 0)
			fprintf(f, "add element inet " FW_TABLE " zones { \"%s\" : %u }\n", ifn,
				(unsigned)e[i].zone);
	}
	return 0;
}

void fw_elems_free(struct fw_elem *e, size_t n)
{
	for (size_t i = 0; e != NULL && i < n; i++)
		free((char *)e[i].host_if);
	free(e);
}

char *fw_render(const struct fw_job *j, nw_err *err)
{
	cleanup_free char *base = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct fw_elem e;
	FILE *f;

	if (j->host_if == NULL || !ident_ifname_valid(j->host_if))
		return nw_fail(err, EINVAL, "firewall: bad interface name"), NULL;
	if (j->job_addr.family != AF_INET)
		return nw_fail(err, EINVAL, "firewall: the job needs IPv4 addresses and a config"),
		       NULL;
	base = fw_render_base(j->cfg, &j->gateway, j->proxy_port, err);
	if (base == NULL)
		return NULL;
	e = (struct fw_elem){.host_if = j->host_if,
			     .mode = j->mode,
			     .zone = j->mode == NW_MODE_HTTP ? fw_zone(&j->job_addr) : 0};
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return nw_fail(err, errno, "firewall: rendering"), NULL;
	fputs(base, f);
	if (fw_render_elems(f, &e, 1, err) < 0 || ferror(f)) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return nw_fail(err, ENOMEM, "firewall: rendering"), NULL;
	}
	return buf;
}
