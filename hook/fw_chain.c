#include "fw_chain.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "nldump.h"

/* libnftnl's tag for a rule's comment in NFTA_RULE_USERDATA, whose
 * entries are (type byte, length byte, value). */
#define UDATA_RULE_COMMENT 0

struct tally {
	unsigned rules;
	char *last;
	size_t len;
};

static void comment_of(const unsigned char *ud, size_t n, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i + 2 <= n && i + 2 + ud[i + 1] <= n; i += 2 + ud[i + 1]) {
		size_t l = ud[i + 1];
		if (ud[i] != UDATA_RULE_COMMENT || l == 0)
			continue;
		/* The value carries its terminating NUL; it is not trusted to. */
		if (ud[i + 2 + l - 1] == '\0')
			l--;
		if (l >= len)
			l = len - 1;
		memcpy(out, ud + i + 2, l);
		out[l] = '\0';
		return;
	}
}

static void count_rule(const struct nlmsghdr *h, void *arg)
{
	struct tally *t = arg;
	const struct nfgenmsg *g = NLMSG_DATA(h);
	size_t left;
	const struct nlattr *a;

	if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return;
	t->rules++;
	t->last[0] = '\0';
	left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
	a = (const struct nlattr *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
	while (left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left) {
		if ((a->nla_type & NLA_TYPE_MASK) == NFTA_RULE_USERDATA)
			comment_of((const unsigned char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN,
				   t->last, t->len);
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= left)
			break;
		left -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
}

/* A string attribute after the family header, NUL included. */
static size_t put_str(unsigned char *p, size_t off, unsigned short type, const char *s)
{
	struct nlattr a = {.nla_type = type,
			   .nla_len = (unsigned short)(NLA_HDRLEN + strlen(s) + 1)};

	memcpy(p + off, &a, sizeof(a));
	memcpy(p + off + NLA_HDRLEN, s, strlen(s) + 1);
	return off + NLA_ALIGN(a.nla_len);
}

int fw_chain_rules(const char *table, const char *chain, unsigned *rules, char *last, size_t len,
		   nw_err *err)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	unsigned char req[NLMSG_ALIGN(sizeof(struct nfgenmsg)) + 2 * NLA_ALIGN(NLA_HDRLEN + 64)];
	struct nfgenmsg g = {.nfgen_family = NFPROTO_INET, .version = NFNETLINK_V0};
	struct tally t = {.last = last, .len = len};
	size_t off = NLMSG_ALIGN(sizeof(g));
	int rc;

	if (len == 0 || strlen(table) >= 64 || strlen(chain) >= 64)
		return nw_fail(err, EINVAL, "firewall: bad table or chain name");
	last[0] = '\0';
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return nw_fail(err, errno, "firewall: opening a netfilter netlink socket");
	memset(req, 0, sizeof(req));
	memcpy(req, &g, sizeof(g));
	off = put_str(req, off, NFTA_RULE_TABLE, table);
	off = put_str(req, off, NFTA_RULE_CHAIN, chain);
	rc = nl_dump(fd, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETRULE, req, off, buf, sizeof(buf),
		     count_rule, &t);
	/* No such table or chain: nothing of it holds. */
	if (rc == -ENOENT)
		rc = 0;
	if (rc < 0)
		return nw_fail(err, -rc, "firewall: reading the rules of chain %s", chain);
	*rules = t.rules;
	return 0;
}
