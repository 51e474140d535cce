#include "fw_nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "ident.h"
#include "nldump.h"

/* A batch being written: messages and their attributes, appended. */
struct msg {
	unsigned char buf[2048] __attribute__((aligned(NLMSG_ALIGNTO)));
	size_t len;
	bool full;
	uint32_t seq;
	unsigned acks; /* messages that asked for an acknowledgement */
};

static void *put(struct msg *m, const void *p, size_t n)
{
	void *at = m->buf + m->len;

	if (m->full || m->len + NLMSG_ALIGN(n) > sizeof(m->buf)) {
		m->full = true;
		return NULL;
	}
	memset(at, 0, NLMSG_ALIGN(n));
	if (p != NULL)
		memcpy(at, p, n);
	m->len += NLMSG_ALIGN(n);
	return at;
}

/* A message header and its nfgenmsg; returns its offset, for msg_end. */
static size_t msg_begin(struct msg *m, uint16_t type, uint16_t flags, uint8_t family,
			uint16_t res_id)
{
	size_t off = m->len;
	struct nlmsghdr h = {
	    .nlmsg_type = type, .nlmsg_flags = NLM_F_REQUEST | flags, .nlmsg_seq = ++m->seq};
	struct nfgenmsg g = {
	    .nfgen_family = family, .version = NFNETLINK_V0, .res_id = htons(res_id)};

	put(m, &h, sizeof(h));
	put(m, &g, sizeof(g));
	if (flags & NLM_F_ACK)
		m->acks++;
	return off;
}

static void msg_end(struct msg *m, size_t off)
{
	if (!m->full)
		((struct nlmsghdr *)(void *)(m->buf + off))->nlmsg_len = (uint32_t)(m->len - off);
}

static void attr(struct msg *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = {.nla_type = type, .nla_len = (uint16_t)(NLA_HDRLEN + n)};
	unsigned char *at = put(m, NULL, NLA_HDRLEN + n);

	if (at == NULL)
		return;
	memcpy(at, &a, sizeof(a));
	memcpy(at + NLA_HDRLEN, p, n);
}

static size_t nest_begin(struct msg *m, uint16_t type)
{
	size_t off = m->len;
	struct nlattr a = {.nla_type = NLA_F_NESTED | type, .nla_len = NLA_HDRLEN};

	put(m, &a, sizeof(a));
	return off;
}

static void nest_end(struct msg *m, size_t off)
{
	if (!m->full)
		((struct nlattr *)(void *)(m->buf + off))->nla_len = (uint16_t)(m->len - off);
}

/* One NEWSETELEM: key (an interface name, as nft's ifname type holds it:
 * IFNAMSIZ bytes, zero-padded), and for a map its 16-bit value, in host
 * order as nft keeps a ct zone. */
static void add_elem(struct msg *m, const char *set, const char *ifn, const uint16_t *val)
{
	char key[IFNAMSIZ] = {0};
	size_t h, list, el, k, d;

	memcpy(key, ifn, strlen(ifn));
	h = msg_begin(m, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_ACK,
		      NFPROTO_INET, 0);
	attr(m, NFTA_SET_ELEM_LIST_TABLE, FW_TABLE, sizeof(FW_TABLE));
	attr(m, NFTA_SET_ELEM_LIST_SET, set, strlen(set) + 1);
	list = nest_begin(m, NFTA_SET_ELEM_LIST_ELEMENTS);
	el = nest_begin(m, NFTA_LIST_ELEM);
	k = nest_begin(m, NFTA_SET_ELEM_KEY);
	attr(m, NFTA_DATA_VALUE, key, sizeof(key));
	nest_end(m, k);
	if (val != NULL) {
		d = nest_begin(m, NFTA_SET_ELEM_DATA);
		attr(m, NFTA_DATA_VALUE, val, sizeof(*val));
		nest_end(m, d);
	}
	nest_end(m, el);
	nest_end(m, list);
	msg_end(m, h);
}

/* The kernel answers at once; a hook never waits on it for ever. */
#define NF_ANSWER_WAIT_S 5

static int nf_socket(nw_err *err)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = NF_ANSWER_WAIT_S};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		nw_fail(err, errno, "firewall: opening a netfilter netlink socket");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Reads the answers to m: 0 once every acknowledgement asked for came
 * without error, else the first error. */
static int read_acks(int fd, const struct msg *m)
{
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	unsigned got = 0;

	while (got < m->acks) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			int e = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			if (e != 0)
				return e;
			got++;
		}
	}
	return 0;
}

int fw_nl_add_elems(const struct fw_elem *e, nw_err *err)
{
	cleanup_close int fd = -1;
	struct msg m = {.seq = (uint32_t)time(NULL)};
	size_t h;
	int rc;

	if (e->host_if == NULL || !ident_ifname_valid(e->host_if) || strlen(e->host_if) >= IFNAMSIZ)
		return nw_fail(err, EINVAL, "firewall: bad interface name");
	h = msg_begin(&m, NFNL_MSG_BATCH_BEGIN, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&m, h);
	add_elem(&m, "job_ifs", e->host_if, NULL);
	add_elem(&m, e->mode == NW_MODE_FULL ? "full_ifs" : "http_ifs", e->host_if, NULL);
	if (e->mode == NW_MODE_HTTP && e->zone != 0)
		add_elem(&m, "zones", e->host_if, &e->zone);
	h = msg_begin(&m, NFNL_MSG_BATCH_END, 0, AF_UNSPEC, NFNL_SUBSYS_NFTABLES);
	msg_end(&m, h);
	if (m.full)
		return nw_fail(err, ENOBUFS, "firewall: the job's elements");
	if ((fd = nf_socket(err)) < 0)
		return -1;
	if (send(fd, m.buf, m.len, 0) != (ssize_t)m.len)
		return nw_fail(err, errno, "firewall: adding the job's elements");
	rc = read_acks(fd, &m);
	if (rc < 0)
		return nw_fail(err, -rc, "firewall: adding the job's elements");
	return 0;
}

struct foreign {
	bool any;
};

/* A chain with a hook is a base chain; netward's own table is inet netward. */
static void chain_seen(const struct nlmsghdr *h, void *arg)
{
	struct foreign *f = arg;
	const struct nfgenmsg *g = NLMSG_DATA(h);
	const struct nlattr *a;
	size_t left;
	bool base = false, ours = false;

	if ((h->nlmsg_type & 0xff) != NFT_MSG_NEWCHAIN || h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)))
		return;
	left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
	a = (const struct nlattr *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
	while (left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left) {
		unsigned t = a->nla_type & NLA_TYPE_MASK;
		const char *v = (const char *)a + NLA_HDRLEN;
		size_t n = a->nla_len - NLA_HDRLEN;
		if (t == NFTA_CHAIN_HOOK)
			base = true;
		else if (t == NFTA_CHAIN_TABLE)
			ours = g->nfgen_family == NFPROTO_INET && n >= sizeof(FW_TABLE) &&
			       memcmp(v, FW_TABLE, sizeof(FW_TABLE)) == 0;
		size_t step = NLA_ALIGN(a->nla_len);
		if (step >= left)
			break;
		left -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	if (base && !ours)
		f->any = true;
}

int fw_nl_foreign_base_chains(bool *any, nw_err *err)
{
	static char buf[65536] __attribute__((aligned(NLMSG_ALIGNTO)));
	cleanup_close int fd = nf_socket(err);
	const struct nfgenmsg g = {.nfgen_family = NFPROTO_UNSPEC, .version = NFNETLINK_V0};
	struct foreign f = {.any = false};
	int rc;

	*any = true;
	if (fd < 0)
		return -1;
	rc = nl_dump(fd, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN, &g, sizeof(g), buf,
		     sizeof(buf), chain_seen, &f);
	if (rc < 0)
		return nw_fail(err, -rc, "firewall: listing the node's chains");
	*any = f.any;
	return 0;
}
