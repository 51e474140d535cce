/* The guard's routing half (guard.h): netward's table and the rule that
 * routes the job subnet through it, and the unreachable route; the XFRM
 * half is guard_xfrm.c. */
#include "guard.h"

#include <errno.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "config.h"
#include "fw.h"
#include "guard_int.h"
#include "util.h"

static uint32_t fingerprint(const struct nw_config *cfg)
{
	uint32_t h = UTIL_FNV32_INIT;
	char buf[INET6_ADDRSTRLEN + 5];

#define MIX(s) (h = util_fnv32(h, (s), strlen(s)))
	MIX(addr_cidr_str(&cfg->subnet, buf, sizeof(buf)));
	/* The port too: a node whose port moved sweeps the node-wide
	 * policies once (an earlier netward's subnet-wide allowance named
	 * the port it had then). */
	snprintf(buf, sizeof(buf), "%u", (unsigned)cfg->proxy_port);
	MIX(buf);
	for (size_t i = 0; i < cfg->n_full_allow_private; i++)
		MIX(addr_cidr_str(&cfg->full_allow_private[i], buf, sizeof(buf)));
	for (size_t i = 0; i < cfg->n_deny; i++)
		if (!cfg->deny[i].is_domain && cfg->deny[i].port == 0)
			MIX(addr_cidr_str(&cfg->deny[i].cidr, buf, sizeof(buf)));
#undef MIX
	return GUARD_TABLE_BASE | (h & 0xffff);
}

/* One route: dst/prefix of type (RTN_PROHIBIT, RTN_THROW, RTN_UNREACHABLE)
 * in table; replace says whether an existing one is overwritten. */
static int route_put(int fd, uint32_t table, const uint8_t dst[4], int prefix, unsigned char type,
		     int msgtype, unsigned short flags)
{
	struct guard_req r = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg)),
				    .nlmsg_type = (unsigned short)msgtype,
				    .nlmsg_flags = flags}};
	struct rtmsg *m = NLMSG_DATA(&r.h);

	m->rtm_family = AF_INET;
	m->rtm_dst_len = (unsigned char)prefix;
	m->rtm_table = table < 256 ? (unsigned char)table : RT_TABLE_UNSPEC;
	m->rtm_protocol = RTPROT_STATIC;
	m->rtm_scope = RT_SCOPE_UNIVERSE;
	m->rtm_type = type;
	guard_nl_attr(&r, RTA_DST, dst, 4);
	guard_nl_attr(&r, RTA_TABLE, &table, sizeof(table));
	return guard_nl_talk(fd, &r);
}

static int cidr_route(int fd, uint32_t table, const char *text, unsigned char type)
{
	struct nw_cidr c;

	if (addr_cidr_parse(text, &c, NULL) < 0)
		return -EINVAL;
	return route_put(fd, table, c.addr.a, c.prefix, type, RTM_NEWROUTE,
			 NLM_F_CREATE | NLM_F_REPLACE);
}

static int table_fill(int fd, const struct nw_config *cfg, uint32_t table)
{
	char buf[INET6_ADDRSTRLEN + 5];
	int rc = 0;

	for (size_t i = 0; rc == 0 && fw_always_denied[i] != NULL; i++)
		rc = cidr_route(fd, table, fw_always_denied[i], RTN_PROHIBIT);
	for (size_t i = 0; rc == 0 && fw_non_global[i] != NULL; i++)
		rc = cidr_route(fd, table, fw_non_global[i], RTN_PROHIBIT);
	/* A listed range is thrown back to the main table; a denied one more
	 * specific than it stays prohibited (longest prefix wins). */
	for (size_t i = 0; rc == 0 && i < cfg->n_full_allow_private; i++)
		if (cfg->full_allow_private[i].addr.family == AF_INET)
			rc = cidr_route(
			    fd, table, addr_cidr_str(&cfg->full_allow_private[i], buf, sizeof(buf)),
			    RTN_THROW);
	for (size_t i = 0; rc == 0 && i < cfg->n_deny; i++)
		if (!cfg->deny[i].is_domain && cfg->deny[i].port == 0 &&
		    cfg->deny[i].cidr.addr.family == AF_INET)
			rc = cidr_route(fd, table,
					addr_cidr_str(&cfg->deny[i].cidr, buf, sizeof(buf)),
					RTN_PROHIBIT);
	if (rc == 0)
		rc = route_put(fd, table, cfg->subnet.addr.a, cfg->subnet.prefix, RTN_PROHIBIT,
			       RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	return rc;
}

/* rule: from src/prefix lookup table, at GUARD_RULE_PREF. */
static int rule_put(int fd, int msgtype, const uint8_t src[4], int prefix, uint32_t table)
{
	struct guard_req r = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(struct fib_rule_hdr)),
		  .nlmsg_type = (unsigned short)msgtype,
		  .nlmsg_flags = msgtype == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0}};
	struct fib_rule_hdr *f = NLMSG_DATA(&r.h);
	uint32_t pref = GUARD_RULE_PREF;

	f->family = AF_INET;
	f->src_len = (unsigned char)prefix;
	f->action = FR_ACT_TO_TBL;
	guard_nl_attr(&r, FRA_SRC, src, 4);
	guard_nl_attr(&r, FRA_PRIORITY, &pref, sizeof(pref));
	guard_nl_attr(&r, FRA_TABLE, &table, sizeof(table));
	return guard_nl_talk(fd, &r);
}

struct rule_seen {
	uint32_t table[8];
	uint8_t src[8][4];
	int prefix[8];
	size_t n;
};

static void collect_rule(const struct nlmsghdr *h, void *arg)
{
	struct rule_seen *s = arg;
	const struct fib_rule_hdr *f = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*f));
	uint32_t pref = 0, table = f->table;
	uint8_t src[4] = {0};

	if (h->nlmsg_type != RTM_NEWRULE || f->family != AF_INET || s->n == 8)
		return;
	for (const struct rtattr *a =
		 (const struct rtattr *)((const char *)f + NLMSG_ALIGN(sizeof(*f)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == FRA_PRIORITY)
			memcpy(&pref, RTA_DATA(a), 4);
		else if (a->rta_type == FRA_TABLE)
			memcpy(&table, RTA_DATA(a), 4);
		else if (a->rta_type == FRA_SRC)
			memcpy(src, RTA_DATA(a), 4);
	}
	if (pref != GUARD_RULE_PREF || (table & 0xffff0000u) != GUARD_TABLE_BASE)
		return;
	s->table[s->n] = table;
	memcpy(s->src[s->n], src, 4);
	s->prefix[s->n++] = f->src_len;
}

struct route_seen {
	uint32_t table;
	uint8_t dst[64][4];
	int prefix[64];
	size_t n;
};

static void collect_route(const struct nlmsghdr *h, void *arg)
{
	struct route_seen *s = arg;
	const struct rtmsg *m = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	uint32_t table = m->rtm_table;
	uint8_t dst[4] = {0};

	if (h->nlmsg_type != RTM_NEWROUTE || m->rtm_family != AF_INET || s->n == 64)
		return;
	for (const struct rtattr *a =
		 (const struct rtattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_TABLE)
			memcpy(&table, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_DST)
			memcpy(dst, RTA_DATA(a), 4);
	}
	if (table != s->table)
		return;
	memcpy(s->dst[s->n], dst, 4);
	s->prefix[s->n++] = m->rtm_dst_len;
}

/* Empties one of netward's tables (a dump of every route: only when the
 * config changed or the last job went). */
static void table_flush(int fd, uint32_t table)
{
	struct route_seen s = {.table = table, .n = 0};
	struct rtmsg m = {.rtm_family = AF_INET};

	if (guard_nl_dump(fd, RTM_GETROUTE, &m, sizeof(m), collect_route, &s) < 0)
		return;
	for (size_t i = 0; i < s.n; i++)
		route_put(fd, table, s.dst[i], s.prefix[i], RTN_UNSPEC, RTM_DELROUTE, 0);
}

int guard_install(const struct nw_config *cfg, nw_err *err)
{
	cleanup_close int fd = guard_nl_sock(NETLINK_ROUTE);
	struct rule_seen seen = {.n = 0};
	struct fib_rule_hdr f = {.family = AF_INET};
	uint32_t table = fingerprint(cfg);
	bool current = false;
	int rc;

	if (fd < 0)
		return nw_fail(err, errno, "guard: opening a route netlink socket");
	if (cfg->subnet.addr.family != AF_INET)
		return nw_fail(err, EINVAL, "guard: the subnet must be IPv4");
	rc = guard_nl_dump(fd, RTM_GETRULE, &f, sizeof(f), collect_rule, &seen);
	if (rc < 0)
		return nw_fail(err, -rc, "guard: reading the routing rules");
	for (size_t i = 0; i < seen.n; i++)
		current = current || seen.table[i] == table;
	if (!current) {
		/* New table first, then the rule to it, then the old ones go:
		 * the subnet is never without one. */
		rc = table_fill(fd, cfg, table);
		if (rc == 0)
			rc = rule_put(fd, RTM_NEWRULE, cfg->subnet.addr.a, cfg->subnet.prefix,
				      table);
		if (rc < 0 && rc != -EEXIST)
			return nw_fail(err, -rc, "guard: routing the job subnet through table %u",
				       table);
		for (size_t i = 0; i < seen.n; i++) {
			rule_put(fd, RTM_DELRULE, seen.src[i], seen.prefix[i], seen.table[i]);
			table_flush(fd, seen.table[i]);
		}
		guard_xfrm_sweep(&cfg->subnet);
	}
	rc = route_put(fd, RT_TABLE_MAIN, cfg->subnet.addr.a, cfg->subnet.prefix, RTN_UNREACHABLE,
		       RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	if (rc < 0 && rc != -EEXIST)
		return nw_fail(err, -rc, "guard: an unreachable route for the job subnet");
	/* A lookup, and an update only when IPsec tooling flushed the block
	 * (or it was never there). */
	return guard_xfrm_install(cfg, err);
}

int guard_remove(nw_err *err)
{
	cleanup_close int fd = guard_nl_sock(NETLINK_ROUTE);
	struct rule_seen seen = {.n = 0};
	struct fib_rule_hdr f = {.family = AF_INET};
	int rc;

	if (fd < 0)
		return nw_fail(err, errno, "guard: opening a route netlink socket");
	rc = guard_nl_dump(fd, RTM_GETRULE, &f, sizeof(f), collect_rule, &seen);
	if (rc < 0)
		return nw_fail(err, -rc, "guard: reading the routing rules");
	for (size_t i = 0; i < seen.n; i++) {
		rule_put(fd, RTM_DELRULE, seen.src[i], seen.prefix[i], seen.table[i]);
		table_flush(fd, seen.table[i]);
		route_put(fd, RT_TABLE_MAIN, seen.src[i], seen.prefix[i], RTN_UNREACHABLE,
			  RTM_DELROUTE, 0);
	}
	guard_xfrm_remove();
	return 0;
}
