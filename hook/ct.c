#include "ct.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "nldump.h"

/* Entries deleted per dump: a job rarely has more; the loop dumps again
 * until none is left. */
#define CT_BATCH 1024

struct victim {
	unsigned char tuple[256]; /* CTA_TUPLE_ORIG as received */
	size_t len;
	uint16_t zone_be;
	bool has_zone;
};

struct nlreq {
	struct nlmsghdr h;
	struct nfgenmsg g;
	unsigned char attrs[300];
};

static const struct nlattr *attr_next(const struct nlattr *a)
{
	return (const struct nlattr *)((const char *)a + NLA_ALIGN(a->nla_len));
}

/* Every attribute in [start, start + len), bounds checked. */
#define FOR_ATTRS(a, e, start, len)                                                                \
	for (const struct nlattr *a = (const struct nlattr *)(const void *)(start),                \
				 *e = (const struct nlattr *)((const char *)(start) + (len));      \
	     (const char *)a + sizeof(*a) <= (const char *)e && a->nla_len >= sizeof(*a) &&        \
	     (const char *)a + a->nla_len <= (const char *)e;                                      \
	     a = attr_next(a))

static const void *payload(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

/* Does this tuple (CTA_TUPLE_ORIG) name addr as source or destination? */
static bool tuple_has(const struct nlattr *tuple, const uint8_t addr[4])
{
	FOR_ATTRS(ip, ip_end, payload(tuple), tuple->nla_len - NLA_HDRLEN)
	{
		if ((ip->nla_type & NLA_TYPE_MASK) != CTA_TUPLE_IP)
			continue;
		FOR_ATTRS(v, v_end, payload(ip), ip->nla_len - NLA_HDRLEN)
		{
			unsigned t = v->nla_type & NLA_TYPE_MASK;
			if ((t == CTA_IP_V4_SRC || t == CTA_IP_V4_DST) &&
			    v->nla_len == NLA_HDRLEN + 4 && memcmp(payload(v), addr, 4) == 0)
				return true;
		}
	}
	return false;
}

/* What a dump collects: the entries of addr, into v[0..*n). */
struct batch {
	const uint8_t *addr;
	struct victim *v;
	size_t *n;
};

static void consider(const struct nlmsghdr *h, void *arg)
{
	const struct batch *b = arg;
	const uint8_t *addr = b->addr;
	struct victim *v = b->v;
	size_t *n = b->n;
	const struct nfgenmsg *g = NLMSG_DATA(h);
	const struct nlattr *tuple = NULL;
	bool has_zone = false;
	uint16_t zone = 0;

	if (*n == CT_BATCH || h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return;
	FOR_ATTRS(a, a_end, (const char *)g + NLMSG_ALIGN(sizeof(*g)),
		  h->nlmsg_len - NLMSG_LENGTH(sizeof(*g)))
	{
		unsigned t = a->nla_type & NLA_TYPE_MASK;
		if (t == CTA_TUPLE_ORIG)
			tuple = a;
		else if (t == CTA_ZONE && a->nla_len == NLA_HDRLEN + 2) {
			memcpy(&zone, payload(a), 2);
			has_zone = true;
		}
	}
	if (tuple == NULL || tuple->nla_len > sizeof(v->tuple) || !tuple_has(tuple, addr))
		return;
	memcpy(v[*n].tuple, tuple, tuple->nla_len);
	v[*n].len = tuple->nla_len;
	v[*n].zone_be = zone;
	v[*n].has_zone = has_zone;
	(*n)++;
}

static int dump(int fd, const uint8_t addr[4], struct victim *v, size_t *n)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	const struct nfgenmsg g = {.nfgen_family = AF_INET, .version = NFNETLINK_V0};
	struct batch b = {.addr = addr, .v = v, .n = n};

	*n = 0;
	return nl_dump(fd, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET, &g, sizeof(g), buf,
		       sizeof(buf), consider, &b);
}

static int delete_one(int fd, const struct victim *v)
{
	char ack[512] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlreq r = {.h = {.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK},
			  .g = {.nfgen_family = AF_INET, .version = NFNETLINK_V0}};
	size_t off = 0;

	memcpy(r.attrs, v->tuple, v->len);
	off = NLA_ALIGN(v->len);
	if (v->has_zone) {
		struct nlattr *z = (struct nlattr *)(r.attrs + off);
		z->nla_type = CTA_ZONE;
		z->nla_len = NLA_HDRLEN + 2;
		memcpy((char *)z + NLA_HDRLEN, &v->zone_be, 2);
		off += NLA_ALIGN(z->nla_len);
	}
	r.h.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(struct nfgenmsg)) + off);
	if (send(fd, &r, r.h.nlmsg_len, 0) < 0)
		return -errno;
	/* The ack; ENOENT (it timed out meanwhile) is as good as done. */
	return recv(fd, ack, sizeof(ack), 0) < 0 ? -errno : 0;
}

int ct_forget(const struct nw_addr *addr, nw_err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	cleanup_close int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
	cleanup_free struct victim *v = calloc(CT_BATCH, sizeof(*v));
	size_t n;
	int rc;

	if (addr->family != AF_INET)
		return 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return nw_fail(err, errno, "conntrack: opening a netfilter netlink socket");
	if (v == NULL)
		return nw_fail(err, ENOMEM, "conntrack");
	do {
		rc = dump(fd, addr->a, v, &n);
		if (rc < 0)
			return nw_fail(err, -rc, "conntrack: listing the entries");
		for (size_t i = 0; i < n; i++)
			delete_one(fd, &v[i]);
	} while (n == CT_BATCH);
	return 0;
}
