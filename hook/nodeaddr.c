/* The set of the node's local routes, read from rtnetlink messages. Pure:
 * the messages come from nodeaddr_nl.c (or a test). */
#include "nodeaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

static int alen(int family)
{
	return family == AF_INET ? 4 : 16;
}

static bool is_host(const struct nw_cidr *c)
{
	return c->prefix == alen(c->addr.family) * 8;
}

/* Order of the host array: family, address, interface. */
static int cmp_host(const struct nw_addr *a, int aoif, const struct nodeaddr_entry *e, bool oif)
{
	if (a->family != e->net.addr.family)
		return a->family < e->net.addr.family ? -1 : 1;
	int c = memcmp(a->a, e->net.addr.a, (size_t)alen(a->family));
	if (c != 0 || !oif)
		return c;
	return aoif == e->oif ? 0 : aoif < e->oif ? -1 : 1;
}

/* First index whose entry is not below (a, oif). */
static size_t lower(const struct nodeaddr_set *s, const struct nw_addr *a, int oif, bool by_oif)
{
	size_t lo = 0, hi = s->nhost;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_host(a, oif, &s->host[mid], by_oif) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_quiet(const struct nodeaddr_set *s, const struct nw_addr *a)
{
	return s->quiet.family != 0 && a->family == s->quiet.family &&
	       memcmp(a->a, s->quiet.a, (size_t)alen(a->family)) == 0;
}

bool nodeaddr_set_contains(void *ctx, const struct nw_addr *a)
{
	const struct nodeaddr_set *s = ctx;
	size_t i;

	if (s->stale || is_quiet(s, a))
		return true;
	i = lower(s, a, 0, false);
	if (i < s->nhost && cmp_host(a, 0, &s->host[i], false) == 0)
		return true;
	for (i = 0; i < s->nnet; i++)
		if (addr_cidr_contains(&s->net[i].net, a))
			return true;
	return false;
}

static bool same(const struct nodeaddr_entry *x, const struct nodeaddr_entry *y)
{
	return x->oif == y->oif && x->net.prefix == y->net.prefix &&
	       x->net.addr.family == y->net.addr.family &&
	       memcmp(x->net.addr.a, y->net.addr.a, 16) == 0;
}

static int grow(struct nodeaddr_entry **v, size_t n, size_t *cap)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	struct nodeaddr_entry *e = realloc(*v, nc * sizeof(*e));
	if (e == NULL)
		return -1;
	*v = e;
	*cap = nc;
	return 0;
}

static int add(struct nodeaddr_set *s, const struct nodeaddr_entry *e)
{
	if (is_host(&e->net)) {
		if (is_quiet(s, &e->net.addr))
			return 0; /* the node's anyway, held once */
		size_t i = lower(s, &e->net.addr, e->oif, true);
		if (i < s->nhost && cmp_host(&e->net.addr, e->oif, &s->host[i], true) == 0)
			return 0;
		if (grow(&s->host, s->nhost, &s->caphost) < 0)
			return -1;
		memmove(&s->host[i + 1], &s->host[i], (s->nhost - i) * sizeof(*e));
		s->host[i] = *e;
		s->nhost++;
		return 0;
	}
	for (size_t i = 0; i < s->nnet; i++)
		if (same(&s->net[i], e))
			return 0;
	if (grow(&s->net, s->nnet, &s->capnet) < 0)
		return -1;
	s->net[s->nnet++] = *e;
	return 0;
}

static void del(struct nodeaddr_set *s, const struct nodeaddr_entry *e)
{
	if (is_host(&e->net)) {
		size_t i = lower(s, &e->net.addr, e->oif, true);
		if (i < s->nhost && cmp_host(&e->net.addr, e->oif, &s->host[i], true) == 0) {
			memmove(&s->host[i], &s->host[i + 1], (s->nhost - i - 1) * sizeof(*e));
			s->nhost--;
		}
		return;
	}
	for (size_t i = 0; i < s->nnet; i++)
		if (same(&s->net[i], e)) {
			s->net[i] = s->net[--s->nnet];
			return;
		}
}

/* An address of family from an attribute, into e (host bits cleared). */
static bool take_addr(int family, const struct rtattr *rta, int prefix, struct nodeaddr_entry *e)
{
	int n = alen(family);

	if (RTA_PAYLOAD(rta) < (size_t)n || prefix < 0 || prefix > n * 8)
		return false;
	memset(&e->net, 0, sizeof(e->net));
	e->net.addr.family = family;
	memcpy(e->net.addr.a, RTA_DATA(rta), (size_t)n);
	e->net.prefix = prefix;
	for (int b = prefix; b < n * 8; b++)
		e->net.addr.a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
	return true;
}

/* A route message: only local routes count, whatever their table. */
static int route_msg(struct nodeaddr_set *s, const struct nlmsghdr *h)
{
	const struct rtmsg *r = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*r));
	struct nodeaddr_entry e = {0};
	const struct rtattr *dst = NULL;

	if (len < 0)
		return -1;
	if (r->rtm_type != RTN_LOCAL || (r->rtm_family != AF_INET && r->rtm_family != AF_INET6))
		return 0;
	for (const struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == RTA_DST)
			dst = a;
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) >= sizeof(int))
			memcpy(&e.oif, RTA_DATA(a), sizeof(int));
	}
	if (dst == NULL) {
		/* A local default route: every address is the node's. */
		memset(&e.net, 0, sizeof(e.net));
		e.net.addr.family = r->rtm_family;
	} else if (!take_addr(r->rtm_family, dst, r->rtm_dst_len, &e)) {
		return -1;
	}
	if (h->nlmsg_type == RTM_NEWROUTE)
		return add(s, &e) < 0 ? -2 : 0;
	del(s, &e);
	return 0;
}

/* An address message: the address itself, as its own local route will
 * say, so that it counts even before that route's message is read. */
static int addr_msg(struct nodeaddr_set *s, const struct nlmsghdr *h)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*ifa));
	const struct rtattr *local = NULL, *address = NULL;
	struct nodeaddr_entry e = {.oif = 0};

	if (len < 0)
		return -1;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return 0;
	for (const struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == IFA_LOCAL)
			local = a;
		else if (a->rta_type == IFA_ADDRESS)
			address = a;
	}
	/* IFA_LOCAL is the address itself (IFA_ADDRESS the peer's on a
	 * point-to-point link); IPv6 sends IFA_ADDRESS alone. */
	if (local == NULL)
		local = address;
	if (local == NULL)
		return -1;
	e.oif = (int)ifa->ifa_index;
	if (!take_addr(ifa->ifa_family, local, alen(ifa->ifa_family) * 8, &e))
		return -1;
	if (h->nlmsg_type == RTM_NEWADDR)
		return add(s, &e) < 0 ? -2 : 0;
	del(s, &e);
	return 0;
}

int nodeaddr_set_apply(struct nodeaddr_set *s, const void *buf, size_t len, nw_err *err)
{
	int done = 0;

	for (const struct nlmsghdr *h = buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		int rc = 0;

		if (h->nlmsg_flags & NLM_F_DUMP_INTR)
			s->stale = true;
		switch (h->nlmsg_type) {
		case NLMSG_DONE:
			done = 1;
			break;
		case NLMSG_ERROR:
			s->stale = true;
			break;
		case RTM_NEWROUTE:
		case RTM_DELROUTE:
			rc = route_msg(s, h);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			rc = addr_msg(s, h);
			break;
		default:
			break;
		}
		if (rc == -2) {
			s->stale = true;
			return nw_fail(err, ENOMEM, "the node's address set");
		}
		if (rc < 0)
			s->stale = true;
	}
	if (len != 0)
		s->stale = true; /* a message cut short */
	return done;
}

int nodeaddr_set_add(struct nodeaddr_set *s, const struct nw_cidr *net, int oif)
{
	struct nodeaddr_entry e = {.net = *net, .oif = oif};

	return add(s, &e);
}

void nodeaddr_set_quiet(struct nodeaddr_set *s, const struct nw_addr *quiet)
{
	s->quiet = (struct nw_addr){.family = 0};
	if (quiet != NULL && (quiet->family == AF_INET || quiet->family == AF_INET6))
		s->quiet = *quiet;
}

void nodeaddr_set_clear(struct nodeaddr_set *s)
{
	s->nhost = s->nnet = 0;
	s->stale = false;
}

void nodeaddr_set_free(struct nodeaddr_set *s)
{
	free(s->host);
	free(s->net);
	*s = (struct nodeaddr_set){0};
}

/* Classic BPF loads are big-endian: a host-order field reads as its
 * ntohs, an address in network order as ntohl of it; an attribute's
 * header (length, type) as one word. */
#define H(v)		((uint32_t)ntohs((uint16_t)(v)))
#define ATTR(type)	((H(8) << 16) | H(type)) /* a 4-byte attribute's header */
#define LD(size, off)	BPF_STMT(BPF_LD | (size) | BPF_ABS, (off))
#define JEQ(k, yes, no) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (yes), (no))

void nodeaddr_quiet_filter(struct sock_filter *f, const struct nw_addr *quiet)
{
	uint32_t q = 0;
	/* Where a message about quiet goes: dropped, or with no quiet
	 * address, read like the rest. */
	uint8_t hit = 1;

	if (quiet != NULL && quiet->family == AF_INET) {
		uint32_t n;
		memcpy(&n, quiet->a, 4);
		q = ntohl(n);
	} else {
		hit = 0;
	}
	/* Offsets: nlmsghdr 0-15 (type 4, flags 6); rtmsg 16-27 (family
	 * 16, dst_len 17, type 23) then the attributes RTA_TABLE at 28 and
	 * RTA_DST at 36 (its address at 40); ifaddrmsg 16-23 (family 16)
	 * then IFA_ADDRESS at 24 (its address at 28) and IFA_LOCAL at 32
	 * (at 36). Jumps are relative: to instruction pc + 1 + offset. */
	const struct sock_filter prog[NODEADDR_FILTER_LEN] = {
	    /* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	    /* 1 */ BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 44, 0, 29), /* short: read */
	    /* 2 */ LD(BPF_H, 6),
	    /* 3 */ BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, H(NLM_F_MULTI), 27, 0), /* a dump */
	    /* 4 */ LD(BPF_H, 4),
	    /* 5 */ JEQ(H(RTM_NEWROUTE), 3, 0),
	    /* 6 */ JEQ(H(RTM_DELROUTE), 2, 0),
	    /* 7 */ JEQ(H(RTM_NEWADDR), 13, 0),
	    /* 8 */ JEQ(H(RTM_DELADDR), 12, 22),
	    /* a route: not local, dropped; quiet's own, dropped */
	    /* 9 */ LD(BPF_B, 23),
	    /* 10 */ JEQ(RTN_LOCAL, 0, 21),
	    /* 11 */ LD(BPF_B, 16),
	    /* 12 */ JEQ(AF_INET, 0, 18),
	    /* 13 */ LD(BPF_B, 17),
	    /* 14 */ JEQ(32, 0, 16),
	    /* 15 */ LD(BPF_H, 28),
	    /* 16 */ JEQ(H(8), 0, 14),
	    /* 17 */ LD(BPF_W, 36),
	    /* 18 */ JEQ(ATTR(RTA_DST), 0, 12),
	    /* 19 */ LD(BPF_W, 40),
	    /* 20 */ JEQ(q, (uint8_t)(10 + hit), 10),
	    /* an address: quiet itself, dropped */
	    /* 21 */ LD(BPF_B, 16),
	    /* 22 */ JEQ(AF_INET, 0, 8),
	    /* 23 */ LD(BPF_W, 24),
	    /* 24 */ JEQ(ATTR(IFA_ADDRESS), 0, 6),
	    /* 25 */ LD(BPF_W, 28),
	    /* 26 */ JEQ(q, 0, 4),
	    /* 27 */ LD(BPF_W, 32),
	    /* 28 */ JEQ(ATTR(IFA_LOCAL), 0, 2),
	    /* 29 */ LD(BPF_W, 36),
	    /* 30 */ JEQ(q, hit, 0),
	    /* 31 */ BPF_STMT(BPF_RET | BPF_K, UINT32_MAX), /* read it */
	    /* 32 */ BPF_STMT(BPF_RET | BPF_K, 0),	    /* drop it */
	};

	memcpy(f, prog, sizeof(prog));
}
