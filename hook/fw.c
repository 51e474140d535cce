/* The job's nftables table. fw_render is pure text; the rest talks to the
 * kernel through libnftables, in the namespace of the calling thread. */
#include "fw.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <fcntl.h>

#include <nftables/libnftables.h>

#include "cleanup.h"
#include "fw_blocked.h"
#include "json.h"
#include "proc.h"
#include "state.h"

/* Ranges no full-mode job reaches whatever the config says: this host,
 * link-local (metadata services), "this network", multicast, reserved and
 * broadcast (255.255.255.255 lies in 240.0.0.0/4). */
static const char always_denied[] =
    "0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 240.0.0.0/4";

/* libnftables is loaded the first time the firewall is touched, not at
 * exec: most runs of the hook never need it (none mode; a poststop, whose
 * removal runs in a child; the standalone proxy), and mapping it with its
 * five dependencies costs every exec 0.6 ms. The prototypes are the
 * header's (typeof), so a mismatch does not compile. */
#define NFT_SONAME "libnftables.so.1"

static struct {
	void *handle;
	typeof(nft_ctx_new) *ctx_new;
	typeof(nft_ctx_free) *ctx_free;
	typeof(nft_ctx_buffer_output) *buffer_output;
	typeof(nft_ctx_buffer_error) *buffer_error;
	typeof(nft_ctx_get_output_buffer) *get_output_buffer;
	typeof(nft_ctx_get_error_buffer) *get_error_buffer;
	typeof(nft_ctx_output_set_flags) *output_set_flags;
	typeof(nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} lib;

static int lib_sym(void *dst, const char *name, nw_err *err)
{
	void *p = dlsym(lib.handle, name);

	if (p == NULL)
		return nw_fail(err, 0, "loading %s: no symbol %s", NFT_SONAME, name);
	memcpy(dst, &p, sizeof(p));
	return 0;
}

static int lib_load(nw_err *err)
{
	if (lib.run_cmd_from_buffer != NULL)
		return 0;
	if (lib.handle == NULL)
		lib.handle = dlopen(NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (lib.handle == NULL)
		return nw_fail(err, 0, "loading %s: %s", NFT_SONAME, dlerror());
	if (lib_sym(&lib.ctx_new, "nft_ctx_new", err) < 0 ||
	    lib_sym(&lib.ctx_free, "nft_ctx_free", err) < 0 ||
	    lib_sym(&lib.buffer_output, "nft_ctx_buffer_output", err) < 0 ||
	    lib_sym(&lib.buffer_error, "nft_ctx_buffer_error", err) < 0 ||
	    lib_sym(&lib.get_output_buffer, "nft_ctx_get_output_buffer", err) < 0 ||
	    lib_sym(&lib.get_error_buffer, "nft_ctx_get_error_buffer", err) < 0 ||
	    lib_sym(&lib.output_set_flags, "nft_ctx_output_set_flags", err) < 0 ||
	    lib_sym(&lib.run_cmd_from_buffer, "nft_run_cmd_from_buffer", err) < 0)
		return -1;
	return 0;
}

static inline void nft_ctx_freep(struct nft_ctx **p)
{
	if (*p != NULL)
		lib.ctx_free(*p);
	*p = NULL;
}

#define cleanup_nft_ctx __attribute__((cleanup(nft_ctx_freep)))

/* Names end up inside nft scripts: only [a-z0-9_] gets there, so no name
 * can close a string or start another command. */
static bool safe_name(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

/* ---- rendering ---- */

/* The sets a job's elements live in, all keyed by its host-side interface
 * alone, so installing or removing a job never needs to read what the sets
 * hold: every job in job_ifs, and the http and full ones in http_ifs or
 * full_ifs besides. */
static const char *const set_names[] = {"job_ifs", "http_ifs", "full_ifs"};
#define N_SETS (sizeof(set_names) / sizeof(set_names[0]))

static void chain(FILE *f, const char *name, const char *type, const char *prio)
{
	fprintf(f,
		"add chain inet " FW_TABLE " %s { type %s hook %s priority %s; policy accept; }\n",
		name, type, name, prio);
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

/* Where a job's packet is blocked, the job hears it at once: a TCP reset,
 * or ICMP administratively prohibited for anything else, so a tool that
 * ignores the proxy fails with a reason instead of timing out. The reply
 * goes only to the job (its source address was checked in prerouting).
 * The attempt is counted per interface and its destination kept for a
 * while (fw_blocked_read): each a hash lookup, the same cost with 1 job
 * as with 1,000. A full recent-destinations set only stops the recording
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

/* Before anything else sees the packet: no IPv6 at all, and no IPv4 but
 * from the job's own address. The host routes each job's /32, and only
 * that, through the job's interface, so "from the subnet, and routed back
 * through the interface it came in on" (a strict reverse-path check) is
 * exactly that address, with no per-job element to look up or clear. */
static void render_pre(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5];

	chain(f, "prerouting", "filter", "raw");
	rule(f, "prerouting", "iifname @job_ifs meta nfproto ipv6 drop");
	rule(f, "prerouting", "iifname @job_ifs ip saddr != %s drop",
	     cidr_str(&cfg->subnet, net, sizeof(net)));
	rule(f, "prerouting", "iifname @job_ifs fib saddr . iif oif missing drop");
}

/* The host itself: an http job reaches only its proxy on the gateway (and
 * ICMP errors about those connections, for path MTU); others nothing. A
 * name in full_ifs reaches nothing here, whatever else it is in. */
static void render_in(FILE *f, const char *gw, unsigned port)
{
	chain(f, "input", "filter", "filter - 10");
	block(f, "input", "iifname @full_ifs");
	rule(f, "input", "iifname @http_ifs ip daddr %s tcp dport %u accept", gw, port);
	rule(f, "input", "iifname @http_ifs ip daddr %s meta l4proto icmp ct state related accept",
	     gw);
	block(f, "input", "iifname @job_ifs");
}

static void render_deny(FILE *f, const struct nw_deny *d)
{
	char net[INET6_ADDRSTRLEN + 5], m[128];

	/* Domains are the proxy's business; IPv6 never gets this far. */
	if (d->is_domain || d->cidr.addr.family != AF_INET)
		return;
	cidr_str(&d->cidr, net, sizeof(net));
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

/* Routed traffic. A full job goes out anywhere but other jobs, the
 * always-denied ranges and deny_destinations, and takes in only replies.
 * No other job routes anything, and a name in http_ifs routes nothing,
 * whatever else it is in. */
static void render_fwd(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5], m[512];

	chain(f, "forward", "filter", "filter - 10");
	block(f, "forward", "iifname @http_ifs");
	/* Toward a job, a reply would tell the sender the job exists. */
	rule(f, "forward", "oifname @http_ifs drop");
	snprintf(m, sizeof(m), "iifname @full_ifs ip daddr %s",
		 cidr_str(&cfg->subnet, net, sizeof(net)));
	block(f, "forward", m);
	snprintf(m, sizeof(m), "iifname @full_ifs ip daddr { %s }", always_denied);
	block(f, "forward", m);
	for (size_t i = 0; i < cfg->n_deny; i++)
		render_deny(f, &cfg->deny[i]);
	rule(f, "forward", "iifname @full_ifs accept");
	rule(f, "forward", "oifname @full_ifs ct state established,related accept");
	block(f, "forward", "iifname @job_ifs");
	rule(f, "forward", "oifname @job_ifs drop");
}

/* Only full jobs' packets are ever routed (the forward chain drops every
 * other job's), so what leaves from the subnet is theirs. */
static void render_post(FILE *f, const struct nw_config *cfg)
{
	char net[INET6_ADDRSTRLEN + 5];

	chain(f, "postrouting", "nat", "srcnat");
	rule(f, "postrouting", "ip saddr %s oifname != @job_ifs masquerade",
	     cidr_str(&cfg->subnet, net, sizeof(net)));
}

/* Adding an element twice is no error, and an element added in a
 * transaction can be deleted in the same one: "add, then delete" takes an
 * interface out of a set whether it was there or not, without reading the
 * set first. */
static void render_out(FILE *f, const char *set, const char *ifn)
{
	fprintf(f, "add element inet " FW_TABLE " %s { \"%s\" }\n", set, ifn);
	fprintf(f, "delete element inet " FW_TABLE " %s { \"%s\" }\n", set, ifn);
}

/* Only additions: a deletion would make this transaction's socket wait
 * for the kernel as in fw_remove_job, and hold every other nftables
 * change, and every new link, while it does. A name that a teardown which
 * never finished left in another mode's set gains nothing by it: the
 * chains let http_ifs and full_ifs together reach neither the host nor
 * anything routed. */
static void render_job(FILE *f, const struct fw_job *j)
{
	const char *ifn = j->host_if;

	fprintf(f, "add element inet " FW_TABLE " job_ifs { \"%s\" }\n", ifn);
	fprintf(f, "add element inet " FW_TABLE " %s { \"%s\" }\n",
		j->mode == NW_MODE_FULL ? "full_ifs" : "http_ifs", ifn);
}

static int check_job(const struct fw_job *j, nw_err *err)
{
	if (j->host_if == NULL || !safe_name(j->host_if, 15))
		return nw_fail(err, EINVAL, "firewall: bad interface name");
	if (j->job_addr.family != AF_INET || j->gateway.family != AF_INET || j->cfg == NULL ||
	    j->cfg->subnet.addr.family != AF_INET)
		return nw_fail(err, EINVAL, "firewall: the job needs IPv4 addresses and a config");
	return 0;
}

/* The shared part and/or the job's part, into one script. */
static char *render(const struct fw_job *j, bool base, bool elements, nw_err *err)
{
	char gw[INET6_ADDRSTRLEN];
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (check_job(j, err) < 0)
		return NULL;
	addr_str(&j->gateway, gw, sizeof(gw));
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return nw_fail(err, errno, "firewall: rendering"), NULL;
	if (base) {
		fputs("add table inet " FW_TABLE "\n", f);
		for (size_t i = 0; i < N_SETS; i++)
			fprintf(f, "add set inet " FW_TABLE " %s { type ifname; }\n", set_names[i]);
		fputs("add set inet " FW_TABLE " " FW_BLOCKED_SET
		      " { type ifname; flags dynamic; counter; size 65535; }\n",
		      f);
		fprintf(f,
			"add set inet " FW_TABLE " " FW_RECENT_SET
			" { typeof iifname . ip daddr . meta l4proto . th dport; flags "
			"dynamic,timeout; "
			"timeout %us; size %u; }\n",
			FW_RECENT_SECONDS, FW_RECENT_MAX);
		render_pre(f, j->cfg);
		render_in(f, gw, j->proxy_port);
		render_fwd(f, j->cfg);
		render_post(f, j->cfg);
	}
	if (elements)
		render_job(f, j);
	if (ferror(f) || fclose(f) != 0) {
		free(buf);
		return nw_fail(err, ENOMEM, "firewall: rendering"), NULL;
	}
	return buf;
}

char *fw_render(const struct fw_job *j, nw_err *err)
{
	return render(j, true, true, err);
}

/* ---- libnftables ---- */

/* nft's own message, first line only ("Error: Could not process rule:
 * File exists"), with an errno guessed from it so callers can branch. */
static int nft_fail(nw_err *err, struct nft_ctx *nft, const char *what)
{
	const char *msg = lib.get_error_buffer(nft);
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
	struct nft_ctx *nft;

	if (lib_load(err) < 0)
		return NULL;
	nft = lib.ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL) {
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	if (lib.buffer_error(nft) < 0 || lib.buffer_output(nft) < 0) {
		lib.ctx_free(nft);
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	return nft;
}

/* Runs cmd; ENOENT (no such table, set or element) counts as done. */
static int run_absent_ok(struct nft_ctx *nft, const char *cmd, const char *what, nw_err *err)
{
	nw_err e = NULL;

	if (lib.run_cmd_from_buffer(nft, cmd) == 0)
		return 0;
	nft_fail(&e, nft, what);
	if (e != NULL && e->code == ENOENT) {
		nw_err_free(&e);
		return 0;
	}
	*err = steal_ptr(&e);
	return -1;
}

int fw_remove_table(const char *marker, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);

	unlink(marker);
	if (nft == NULL)
		return -1;
	return run_absent_ok(nft, "delete table inet " FW_TABLE "\n", "deleting the firewall table",
			     err);
}

/* A listing as our JSON tree; NULL with no error when there is no such
 * table or set. */
static struct json *list_json(struct nft_ctx *nft, const char *cmd, nw_err *err)
{
	nw_err e = NULL;
	const char *out;

	lib.output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (lib.run_cmd_from_buffer(nft, cmd) != 0) {
		nft_fail(&e, nft, "listing the firewall's sets");
		if (e != NULL && e->code == ENOENT) {
			nw_err_free(&e);
			return NULL;
		}
		*err = steal_ptr(&e);
		return NULL;
	}
	out = lib.get_output_buffer(nft);
	return json_parse(out ? out : "", out ? strlen(out) : 0, err);
}

static struct json *list_sets(struct nft_ctx *nft, nw_err *err)
{
	return list_json(nft, "list sets table inet " FW_TABLE "\n", err);
}

struct json *fw_list_set(const char *set, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	char cmd[128];

	if (!safe_name(set, 32)) {
		nw_fail(err, EINVAL, "firewall: bad set name");
		return NULL;
	}
	nft = nft_open(err);
	if (nft == NULL)
		return NULL;
	snprintf(cmd, sizeof(cmd), "list set inet " FW_TABLE " %s\n", set);
	return list_json(nft, cmd, err);
}

/* Calls fn for every interface name held in the table's sets (the recent
 * destinations' entries expire on their own). */
static int each_element(const struct json *root,
			int (*fn)(const char *set, const char *elem, void *arg), void *arg)
{
	struct json *items = json_get_arr(root, "nftables");

	for (size_t i = 0; items != NULL && i < items->n; i++) {
		struct json *set = json_get_obj(items->v[i], "set");
		struct json *elems = json_get_arr(set, "elem");
		const char *name = json_get_str(set, "name");
		for (size_t k = 0; name != NULL && elems != NULL && k < elems->n; k++) {
			/* An element with a counter comes as {"elem": {"val": ...}};
			 * a concatenation's val is no name, and is skipped. */
			const char *v =
			    elems->v[k]->type == JSON_STRING
				? elems->v[k]->s
				: json_get_str(json_get_obj(elems->v[k], "elem"), "val");
			if (v != NULL && fn(name, v, arg) < 0)
				return -1;
		}
	}
	return 0;
}

/* Runs in the detached process of fw_remove_job. The context stays open:
 * the process's exit, after it has reported, releases it. */
static int remove_job(void *host_if, nw_err *err)
{
	struct nft_ctx *nft = nft_open(err);
	cleanup_free char *script = NULL;
	size_t len = 0;
	FILE *f;

	if (nft == NULL)
		return -1;
	f = open_memstream(&script, &len);
	if (f == NULL)
		return nw_fail(err, errno, "firewall: removing %s", (const char *)host_if);
	for (size_t i = 0; i < N_SETS; i++)
		render_out(f, set_names[i], host_if);
	render_out(f, FW_BLOCKED_SET, host_if);
	/* The job's recent destinations: bounded by FW_RECENT_MAX, whatever
	 * the number of jobs. Unreadable, they expire on their own. */
	cleanup_json struct json *recent =
	    list_json(nft, "list set inet " FW_TABLE " " FW_RECENT_SET "\n", NULL);
	if (recent != NULL)
		fw_blocked_render_out(f, recent, host_if);
	if (ferror(f) || fclose(f) != 0)
		return nw_fail(err, ENOMEM, "firewall: removing %s", (const char *)host_if);
	/* No table: nothing of the job's is left. */
	return run_absent_ok(nft, script, "removing the job's firewall elements", err);
}

/* The kernel frees removed elements after an RCU grace period, and the
 * netfilter netlink socket that removed them waits for that when it is
 * released: 10 ms and more, measured, where the removal itself takes 2. A
 * detached process therefore removes them, reports and only then exits,
 * so that wait is its own, not the hook's nor the lock holder's. It holds
 * the state lock until its transaction is done: were the hook killed
 * first, the name must not be set up again before the removal lands. */
int fw_remove_job(const char *host_if, nw_err *err)
{
	if (host_if == NULL || !safe_name(host_if, 15))
		return nw_fail(err, EINVAL, "firewall: bad interface name");
	return proc_call_detached(remove_job, (void *)host_if, state_lock_fd(), err);
}

/* Every name once, whichever sets it is in: one left in http_ifs or
 * full_ifs alone is an orphan too. */
static int collect_job(const char *set, const char *elem, void *arg)
{
	char ***v = arg;
	size_t n = 0;

	for (; (*v)[n] != NULL; n++)
		if (strcmp((*v)[n], elem) == 0)
			return 0;
	char **nv = realloc(*v, (n + 2) * sizeof(char *));
	if (nv == NULL)
		return -1;
	*v = nv;
	if ((nv[n] = strdup(elem)) == NULL)
		return -1;
	nv[n + 1] = NULL;
	return 0;
}

int fw_list_jobs(char ***ifnames, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);
	cleanup_json struct json *root = NULL;
	cleanup_strv char **v = calloc(1, sizeof(char *));
	nw_err e = NULL;

	if (nft == NULL)
		return -1;
	if (v == NULL)
		return nw_fail(err, ENOMEM, "listing the firewall's jobs");
	root = list_sets(nft, &e);
	if (root == NULL && e != NULL) {
		*err = steal_ptr(&e);
		return -1;
	}
	if (root != NULL && each_element(root, collect_job, &v) < 0)
		return nw_fail(err, ENOMEM, "listing the firewall's jobs");
	*ifnames = steal_ptr(&v);
	return 0;
}

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static bool marker_says(const char *marker, uint64_t want)
{
	char buf[32] = "";
	cleanup_close int fd = open(marker, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return false;
	return strtoull(buf, NULL, 16) == want;
}

static void marker_write(const char *marker, uint64_t h)
{
	char buf[32];
	cleanup_close int fd =
	    open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int n = snprintf(buf, sizeof(buf), "%016llx\n", (unsigned long long)h);

	if (fd < 0 || write(fd, buf, (size_t)n) != n)
		unlink(marker);
}

int fw_install(const struct fw_job *j, const char *marker, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	cleanup_free char *base = render(j, true, false, err);
	cleanup_free char *elems = NULL;
	cleanup_free char *script = NULL;
	uint64_t h;

	if (base == NULL || (elems = render(j, false, true, err)) == NULL)
		return -1;
	nft = nft_open(err);
	if (nft == NULL)
		return -1;
	h = fnv1a64(base);
	if (marker_says(marker, h)) {
		if (lib.run_cmd_from_buffer(nft, elems) == 0)
			return 0;
		/* The table went away behind netward's back (nft flush
		 * ruleset): write it whole again. */
	}
	unlink(marker);
	if (asprintf(&script, "%s%s", base, elems) < 0)
		return script = NULL, nw_fail(err, ENOMEM, "firewall: rendering");
	if (lib.run_cmd_from_buffer(nft, script) != 0)
		return nft_fail(err, nft, "applying the job's firewall");
	marker_write(marker, h);
	return 0;
}
