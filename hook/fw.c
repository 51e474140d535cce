/* The job's nftables table. fw_render is pure text; the rest talks to the
 * kernel through libnftables, in the namespace of the calling thread. */
#include "fw.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <nftables/libnftables.h>

#include "cleanup.h"

/* Ranges no full-mode job reaches whatever the config says: this host,
 * link-local (metadata services), "this network", multicast, reserved and
 * broadcast (255.255.255.255 lies in 240.0.0.0/4). */
static const char always_denied[] =
    "0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4";

static inline void nft_ctx_freep(struct nft_ctx **p)
{
	if (*p != NULL)
		nft_ctx_free(*p);
	*p = NULL;
}

#define cleanup_nft_ctx __attribute__((cleanup(nft_ctx_freep)))

void fw_table_name(const char *host_if, char *out, size_t len)
{
	snprintf(out, len, FW_TABLE_PREFIX "%s", host_if);
}

/* Names end up inside nft scripts: only [a-z0-9_] gets there, so no name
 * can close a string or start another command. */
static bool safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* ---- rendering ---- */

struct out {
	FILE *f;
	const char *ifn;
};

static void line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line(struct out *o, const char *fmt, ...)
{
	va_list ap;

	fputs("\t\t", o->f);
	va_start(ap, fmt);
	vfprintf(o->f, fmt, ap);
	va_end(ap);
	fputc('\n', o->f);
}

static void chain_open(struct out *o, const char *name, const char *type, const char *hook,
		       const char *prio)
{
	fprintf(o->f, "\tchain %s {\n", name);
	line(o, "type %s hook %s priority %s; policy accept;", type, hook, prio);
}

static void chain_close(struct out *o)
{
	fputs("\t}\n", o->f);
}

/* Before anything else sees the packet: no IPv6 at all, and no IPv4 but
 * from the job's own address. */
static void render_pre(struct out *o, const char *job)
{
	chain_open(o, "prerouting", "filter", "prerouting", "raw");
	line(o, "iifname \"%s\" meta nfproto ipv6 drop", o->ifn);
	line(o, "iifname \"%s\" ip saddr != %s drop", o->ifn, job);
	chain_close(o);
}

/* The host itself: in http mode only the proxy on the gateway (and ICMP
 * errors about those connections, for path MTU); otherwise nothing. */
static void render_in(struct out *o, const struct fw_job *j, const char *gw)
{
	chain_open(o, "input", "filter", "input", "filter - 10");
	if (j->mode == NW_MODE_HTTP) {
		line(o, "iifname \"%s\" ip daddr %s tcp dport %u accept", o->ifn, gw,
		     (unsigned)j->proxy_port);
		line(o, "iifname \"%s\" ip daddr %s meta l4proto icmp ct state related accept",
		     o->ifn, gw);
	}
	line(o, "iifname \"%s\" drop", o->ifn);
	chain_close(o);
}

static void render_deny(struct out *o, const struct nw_deny *d)
{
	char net[INET6_ADDRSTRLEN + 5];

	/* Domains are the proxy's business; IPv6 never gets this far. */
	if (d->is_domain || d->cidr.addr.family != AF_INET)
		return;
	cidr_str(&d->cidr, net, sizeof(net));
	if (d->port == 0) {
		line(o, "iifname \"%s\" ip daddr %s drop", o->ifn, net);
		return;
	}
	line(o, "iifname \"%s\" ip daddr %s tcp dport %u drop", o->ifn, net, (unsigned)d->port);
	line(o, "iifname \"%s\" ip daddr %s udp dport %u drop", o->ifn, net, (unsigned)d->port);
}

/* Routed traffic. A full job goes out anywhere but other jobs, the
 * always-denied ranges and deny_destinations, and takes in only replies.
 * Every other mode routes nothing. */
static void render_fwd(struct out *o, const struct fw_job *j)
{
	const struct nw_config *cfg = j->cfg;
	char net[INET6_ADDRSTRLEN + 5];

	chain_open(o, "forward", "filter", "forward", "filter - 10");
	if (j->mode != NW_MODE_FULL) {
		line(o, "iifname \"%s\" drop", o->ifn);
		line(o, "oifname \"%s\" drop", o->ifn);
		chain_close(o);
		return;
	}
	line(o, "iifname \"%s\" ip daddr %s drop", o->ifn,
	     cidr_str(&cfg->subnet, net, sizeof(net)));
	line(o, "iifname \"%s\" ip daddr { %s } drop", o->ifn, always_denied);
	for (size_t i = 0; i < cfg->n_deny; i++)
		render_deny(o, &cfg->deny[i]);
	line(o, "iifname \"%s\" accept", o->ifn);
	line(o, "oifname \"%s\" ct state established,related accept", o->ifn);
	line(o, "oifname \"%s\" drop", o->ifn);
	chain_close(o);
}

static void render_post(struct out *o, const char *job)
{
	chain_open(o, "postrouting", "nat", "postrouting", "srcnat");
	line(o, "ip saddr %s oifname != \"%s\" masquerade", job, o->ifn);
	chain_close(o);
}

/* "create table" first: if the name is taken (a stale table, another
 * job), the whole transaction fails with EEXIST instead of merging rules
 * into a table that is not ours. */
static void render_all(struct out *o, const struct fw_job *j, const char *table)
{
	char job[INET6_ADDRSTRLEN], gw[INET6_ADDRSTRLEN];

	addr_str(&j->job_addr, job, sizeof(job));
	addr_str(&j->gateway, gw, sizeof(gw));
	fprintf(o->f, "create table inet %s\n", table);
	fprintf(o->f, "table inet %s {\n", table);
	render_pre(o, job);
	render_in(o, j, gw);
	render_fwd(o, j);
	if (j->mode == NW_MODE_FULL)
		render_post(o, job);
	fputs("}\n", o->f);
}

char *fw_render(const struct fw_job *j, nw_err *err)
{
	char table[64];
	char *buf = NULL;
	size_t len = 0;
	struct out o = {.ifn = j->host_if};

	if (j->host_if == NULL || !safe_name(j->host_if, 15))
		return nw_fail(err, EINVAL, "firewall: bad interface name"), NULL;
	if (j->job_addr.family != AF_INET || j->gateway.family != AF_INET || j->cfg == NULL ||
	    j->cfg->subnet.addr.family != AF_INET)
		return nw_fail(err, EINVAL, "firewall: the job needs IPv4 addresses and a config"),
		       NULL;
	fw_table_name(j->host_if, table, sizeof(table));
	o.f = open_memstream(&buf, &len);
	if (o.f == NULL)
		return nw_fail(err, errno, "firewall: rendering"), NULL;
	render_all(&o, j, table);
	if (ferror(o.f) || fclose(o.f) != 0) {
		free(buf);
		return nw_fail(err, ENOMEM, "firewall: rendering"), NULL;
	}
	return buf;
}

/* ---- libnftables ---- */

/* nft's own message, first line only ("Error: Could not process rule:
 * File exists"), with an errno guessed from it so callers can branch. */
static int nft_fail(nw_err *err, struct nft_ctx *nft, const char *what)
{
	const char *msg = nft_ctx_get_error_buffer(nft);
	size_t n;
	int code = EINVAL;

	if (msg == NULL || *msg == '\0')
		msg = "nft failed without a message";
	if (strstr(msg, "File exists") != NULL)
		code = EEXIST;
	else if (strstr(msg, "No such file or directory") != NULL)
		code = ENOENT;
	else if (strstr(msg, "Operation not permitted") != NULL)
		code = EPERM;
	if (strncmp(msg, "Error: ", 7) == 0)
		msg += 7;
	n = strcspn(msg, "\n");
	if (err != NULL && *err == NULL) {
		nw_fail(err, 0, "%s: %.*s", what, (int)n, msg);
		if (*err != NULL)
			(*err)->code = code;
	}
	return -1;
}

static struct nft_ctx *nft_open(nw_err *err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);

	if (nft == NULL) {
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	if (nft_ctx_buffer_error(nft) < 0 || nft_ctx_buffer_output(nft) < 0) {
		nft_ctx_free(nft);
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	return nft;
}

int fw_apply(const char *script, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);

	if (nft == NULL)
		return -1;
	if (nft_run_cmd_from_buffer(nft, script) != 0)
		return nft_fail(err, nft, "applying the job's firewall");
	return 0;
}

int fw_remove(const char *table, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	cleanup_free char *cmd = NULL;
	nw_err e = NULL;

	if (strncmp(table, FW_TABLE_PREFIX, strlen(FW_TABLE_PREFIX)) != 0 || !safe_name(table, 64))
		return nw_fail(err, EINVAL, "refusing to delete table \"%s\": not netward's",
			       table);
	nft = nft_open(err);
	if (nft == NULL)
		return -1;
	if (asprintf(&cmd, "delete table inet %s\n", table) < 0)
		return nw_fail(err, ENOMEM, "deleting table %s", table);
	if (nft_run_cmd_from_buffer(nft, cmd) == 0)
		return 0;
	nft_fail(&e, nft, "deleting the job's firewall");
	if (e != NULL && e->code == ENOENT) {
		nw_err_free(&e);
		return 0;
	}
	*err = steal_ptr(&e);
	return -1;
}

/* One "table inet netward_x" line of `list tables` into names[*n]. */
static int take_table(const char *ln, size_t n_ln, char **names, size_t *n, nw_err *err)
{
	static const char head[] = "table inet " FW_TABLE_PREFIX;
	const size_t skip = sizeof("table inet ") - 1;

	if (n_ln <= sizeof(head) - 1 || strncmp(ln, head, sizeof(head) - 1) != 0)
		return 0;
	names[*n] = strndup(ln + skip, n_ln - skip);
	if (names[*n] == NULL)
		return nw_fail(err, ENOMEM, "listing tables");
	(*n)++;
	return 0;
}

int fw_list_tables(char ***names, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);
	cleanup_strv char **v = NULL;
	const char *out, *p;
	size_t n = 0, lines = 1;

	if (nft == NULL)
		return -1;
	if (nft_run_cmd_from_buffer(nft, "list tables\n") != 0)
		return nft_fail(err, nft, "listing nftables tables");
	out = nft_ctx_get_output_buffer(nft);
	if (out == NULL)
		out = "";
	for (p = out; *p; p++)
		lines += *p == '\n';
	v = calloc(lines + 1, sizeof(*v));
	if (v == NULL)
		return nw_fail(err, ENOMEM, "listing tables");
	for (p = out; *p;) {
		size_t len = strcspn(p, "\n");
		if (take_table(p, len, v, &n, err) < 0)
			return -1;
		p += len + (p[len] == '\n');
	}
	*names = steal_ptr(&v);
	return 0;
}
