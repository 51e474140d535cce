/* netward's paths through the node's own firewalls: the scan of every
 * nftables table, the openings netward makes in the firewalls it knows,
 * and the refusal when something else still drops a job's traffic. */
#include "hostfw.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fw.h"
#include "fw_nl.h"
#include "hostfw_int.h"
#include "state.h"

#define MAX_CHAINS 64
/* Written before netward adds anything to another firewall, removed once
 * it has all gone: a teardown on a node where netward opened nothing
 * (most of them) costs one access(2). */
#define OPENED_MARKER NW_STATE_DIR "/hostfw"

struct scan {
	struct hostfw_chain c[MAX_CHAINS];
	size_t n;
};

/* Every base chain of type filter on hook input or forward, judged for
 * the job on host_if (NULL: none in particular). */
static int scan(struct scan *s, const char *host_if, nw_err *err)
{
	cleanup_free char *chains = NULL;
	cleanup_strv char **tables = NULL;
	bool foreign;

	s->n = 0;
	/* Only a base chain sees packets: with none outside netward's own
	 * table, no chain can drop a job's traffic, and libnftables need not
	 * be loaded to judge them (fw_nl.h). */
	if (fw_nl_foreign_base_chains(&foreign, NULL) == 0 && !foreign)
		return 0;
	if (hostfw_nft_json("list chains", &chains, err) < 0 ||
	    hostfw_tables(chains, strlen(chains), &tables, err) < 0)
		return -1;
	for (char **t = tables; *t != NULL && s->n < MAX_CHAINS; t++) {
		cleanup_free char *json = NULL;
		cleanup_err nw_err te = NULL;
		char cmd[160];
		int n;

		snprintf(cmd, sizeof(cmd), "list table %s", *t);
		if (hostfw_nft_json(cmd, &json, &te) < 0) {
			/* Deleted since it was listed: it drops nothing now. */
			if (strstr(nw_err_msg(te), "No such file") == NULL)
				return nw_err_move(err, &te);
			continue;
		}
		n = hostfw_judge_table(json, strlen(json), host_if, s->c + s->n, MAX_CHAINS - s->n,
				       err);
		if (n < 0)
			return nw_wrap(err, "reading table %s", *t);
		s->n += (size_t)n;
	}
	return 0;
}

static bool is(const struct hostfw_chain *c, const char *family, const char *table)
{
	return strcmp(c->family, family) == 0 && strcmp(c->table, table) == 0;
}

static bool is_iptables(const struct hostfw_chain *c)
{
	return is(c, "ip", "filter");
}

static bool is_firewalld(const struct hostfw_chain *c)
{
	return is(c, "inet", "firewalld");
}

static bool drops(const struct scan *s, bool (*which)(const struct hostfw_chain *))
{
	for (size_t i = 0; i < s->n; i++)
		if (which(&s->c[i]) && s->c[i].fate == HOSTFW_DROP)
			return true;
	return false;
}

static const char *hook_of(enum nw_mode mode)
{
	return mode == NW_MODE_HTTP ? "input" : "forward";
}

/* Who owns a table, for messages. */
static const char *owner(const struct hostfw_chain *c)
{
	if (is_iptables(c))
		return "iptables (Docker, ufw or the node's own rules)";
	if (is_firewalld(c))
		return "firewalld";
	return "nftables";
}

/* One line: what drops, and what makes it stop. */
static void fix_text(const struct hostfw_chain *c, const char *subnet, const char *host_if,
		     char *buf, size_t len)
{
	char more[64] = "";

	if (strcmp(c->hook, "forward") == 0)
		snprintf(more, sizeof(more), "; and the same with oifgroup 0x%x ip daddr",
			 FW_IFGROUP);

	if (is_iptables(c))
		snprintf(buf, len,
			 "netward's chain %s is not reached before it: run `iptables -S %s` and "
			 "make the chain's first rule `-j %s`",
			 strcmp(c->hook, "input") == 0 ? HOSTFW_IPT_INPUT : HOSTFW_IPT_FORWARD,
			 c->name,
			 strcmp(c->hook, "input") == 0 ? HOSTFW_IPT_INPUT : HOSTFW_IPT_FORWARD);
	else if (is_firewalld(c))
		snprintf(buf, len,
			 "netward binds each job's interface to its zone (firewall-cmd "
			 "--zone=%s --add-interface=%s); check that firewalld has the zone "
			 "(/usr/lib/firewalld/zones/%s.xml) with target ACCEPT",
			 HOSTFW_ZONE, host_if ? host_if : "nw...", HOSTFW_ZONE);
	else
		snprintf(buf, len,
			 "open it for netward's interfaces: nft insert rule %s %s %s iifgroup 0x%x "
			 "ip saddr %s accept%s",
			 c->family, c->table, c->name, FW_IFGROUP, subnet, more);
}

static int refuse(const struct hostfw_chain *c, const char *subnet, const char *host_if,
		  enum nw_mode mode, nw_err *err)
{
	char fix[400];

	fix_text(c, subnet, host_if, fix, sizeof(fix));
	return nw_fail(err, 0,
		       "the host firewall would drop this %s job's traffic: %s, table %s %s, "
		       "chain %s (hook %s): %s; %s",
		       mode_name(mode), owner(c), c->family, c->table, c->name, c->hook, c->why,
		       fix);
}

static int mark_opened(nw_err *err)
{
	int fd = open(OPENED_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return nw_fail(err, errno, "creating %s", OPENED_MARKER);
	close(fd);
	return 0;
}

/* Opens what the known firewalls close; true when it changed anything. */
static int open_known(const struct scan *s, const char *subnet, const char *host_if, bool *changed,
		      nw_err *err)
{
	struct hostfw_legacy l;

	*changed = false;
	if (drops(s, is_iptables)) {
		if (mark_opened(err) < 0 || hostfw_ipt_open(HOSTFW_IPT_NFT, subnet, err) < 0)
			return -1;
		*changed = true;
	}
	if (hostfw_legacy_state(&l) == 0 && l.drops && !l.open &&
	    (mark_opened(err) < 0 || hostfw_ipt_open(HOSTFW_IPT_LEGACY, subnet, err) < 0))
		return -1;
	if (drops(s, is_firewalld)) {
		if (mark_opened(err) < 0 || hostfw_firewalld_open(host_if, err) < 0)
			return -1;
		*changed = true;
	}
	return 0;
}

int hostfw_open(const struct nw_config *cfg, enum nw_mode mode, const char *host_if, nw_err *err)
{
	struct scan s;
	char subnet[INET6_ADDRSTRLEN + 5];
	bool changed;

	addr_cidr_str(&cfg->subnet, subnet, sizeof(subnet));
	if (scan(&s, host_if, err) < 0 || open_known(&s, subnet, host_if, &changed, err) < 0 ||
	    (changed && scan(&s, host_if, err) < 0))
		return nw_wrap(err, "the host firewall");
	for (size_t i = 0; i < s.n; i++)
		if (s.c[i].fate == HOSTFW_DROP && strcmp(s.c[i].hook, hook_of(mode)) == 0)
			return refuse(&s.c[i], subnet, host_if, mode, err);
	return 0;
}

int hostfw_release(const char *host_if, nw_err *err)
{
	return hostfw_firewalld_release(host_if, err);
}

int hostfw_close(bool always, nw_err *err)
{
	cleanup_free char *chains = NULL;
	cleanup_err nw_err lerr = NULL;
	struct hostfw_legacy l;
	int rc = 0;

	if (!always && access(OPENED_MARKER, F_OK) != 0)
		return 0;

	/* iptables-nft is asked only when its table holds netward's chains;
	 * without a listing, it is not asked. */
	if (hostfw_nft_json("list chains ip", &chains, &lerr) < 0)
		;
	else if (strstr(chains, "\"" HOSTFW_IPT_INPUT "\"") != NULL ||
		 strstr(chains, "\"" HOSTFW_IPT_FORWARD "\"") != NULL)
		rc |= hostfw_ipt_close(HOSTFW_IPT_NFT, err);
	if (hostfw_legacy_state(&l) == 0 && l.ours)
		rc |= hostfw_ipt_close(HOSTFW_IPT_LEGACY, err);
	rc |= hostfw_firewalld_close(err);
	if (rc < 0)
		return -1;
	unlink(OPENED_MARKER);
	return 0;
}

static const char *fate_text(const struct hostfw_chain *c)
{
	switch (c->fate) {
	case HOSTFW_OPEN:
		return "open for netward's interfaces";
	case HOSTFW_PASS:
		return "drops nothing of the jobs'";
	default:
		return "drops the jobs' traffic";
	}
}

static void report_chain(const struct hostfw_chain *c, const char *subnet, FILE *out)
{
	char fix[400];
	bool known = is_iptables(c) || is_firewalld(c);

	fprintf(out, "  %s: table %s %s, chain %s (hook %s): %s", owner(c), c->family, c->table,
		c->name, c->hook, fate_text(c));
	if (c->fate != HOSTFW_DROP) {
		fputc('\n', out);
		return;
	}
	fprintf(out, " (%s)", c->why);
	if (known) {
		fprintf(out, "; netward opens it at job setup\n");
		return;
	}
	fix_text(c, subnet, NULL, fix, sizeof(fix));
	fprintf(out, "; %s jobs are refused until you %s\n",
		strcmp(c->hook, "input") == 0 ? "http" : "full", fix);
}

void hostfw_report(const struct nw_config *cfg, FILE *out)
{
	struct scan s;
	cleanup_err nw_err e = NULL;
	char subnet[INET6_ADDRSTRLEN + 5], fwd[8] = "?";
	struct hostfw_legacy l;
	cleanup_file FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "re");

	addr_cidr_str(&cfg->subnet, subnet, sizeof(subnet));
	fprintf(out,
		"host firewalls (input: http jobs' path to their proxy; forward: full jobs'):\n");
	if (scan(&s, NULL, &e) < 0) {
		fprintf(out, "  nftables unreadable: %s\n", nw_err_msg(e));
		s.n = 0;
	}
	for (size_t i = 0; i < s.n; i++)
		report_chain(&s.c[i], subnet, out);
	if (hostfw_legacy_state(&l) == 0)
		fprintf(out, "  iptables-legacy: filter table, INPUT or FORWARD policy %s%s\n",
			l.drops ? "DROP" : "ACCEPT",
			l.open	  ? "; open for netward's interfaces"
			: l.drops ? "; netward opens it at job setup"
				  : "");
	if (s.n == 0 && !hostfw_legacy_present())
		fprintf(out, "  none found\n");
	if (f != NULL && fgets(fwd, sizeof(fwd), f) != NULL)
		fwd[strcspn(fwd, "\n")] = '\0';
	fprintf(out, "  net.ipv4.ip_forward = %s (netward sets it to 1 at the first full job)\n",
		fwd);
}
