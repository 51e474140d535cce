/* The guard's XFRM input policies (guard.h): the block for the job subnet
 * and each http job's allowances to its proxy. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <string.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "fw.h"
#include "guard.h"
#include "guard_int.h"

static void policy_fill(struct xfrm_userpolicy_info *p, const struct nw_cidr *subnet)
{
	memset(p, 0, sizeof(*p));
	p->sel.family = AF_INET;
	memcpy(&p->sel.saddr.a4, subnet->addr.a, 4);
	p->sel.prefixlen_s = (uint8_t)subnet->prefix;
	p->lft.soft_byte_limit = p->lft.hard_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = p->lft.hard_packet_limit = XFRM_INF;
	p->dir = XFRM_POLICY_IN;
}

/* mark: the packet mark the policy is for (NULL: any packet). */
static int policy_put(int fd, const struct xfrm_userpolicy_info *p, const struct xfrm_mark *mark)
{
	struct guard_req r = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(*p)), .nlmsg_type = XFRM_MSG_UPDPOLICY}};

	memcpy(NLMSG_DATA(&r.h), p, sizeof(*p));
	if (mark != NULL)
		guard_nl_attr(&r, XFRMA_MARK, mark, sizeof(*mark));
	return guard_nl_talk(fd, &r);
}

/* From one http job's address to its proxy on the gateway (proto, port):
 * the only local deliveries the subnet's block leaves open, per job, so
 * neither a full job nor an http job whose proxy has died gets them. */
static void allowance_fill(struct xfrm_userpolicy_info *p, const uint8_t addr[4], uint8_t proto,
			   uint16_t port)
{
	struct nw_cidr one = {.prefix = 32};
	struct in_addr gw;

	one.addr.family = AF_INET;
	memcpy(one.addr.a, addr, 4);
	policy_fill(p, &one);
	inet_pton(AF_INET, NW_GATEWAY, &gw);
	p->sel.daddr.a4 = gw.s_addr;
	p->sel.prefixlen_d = 32;
	p->sel.proto = proto;
	p->sel.dport = htons(port);
	p->sel.dport_mask = 0xffff;
	p->priority = GUARD_XFRM_PRIO_ALLOW;
	p->action = XFRM_POLICY_ALLOW;
}

struct policy_list {
	struct xfrm_userpolicy_info v[64];
	struct xfrm_mark mark[64]; /* each one's mark (0/0: none) */
	size_t n;
	bool (*want)(const struct xfrm_userpolicy_info *p, const void *arg);
	const void *arg;
	bool more; /* matches beyond v: dump again after deleting */
};

static void collect_policy(const struct nlmsghdr *h, void *arg)
{
	struct policy_list *l = arg;
	struct xfrm_userpolicy_info p;

	/* Netlink aligns messages to 4 bytes; the struct holds 64-bit
	 * fields, so it is copied out rather than read in place. */
	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || h->nlmsg_len < NLMSG_LENGTH(sizeof(p)))
		return;
	memcpy(&p, NLMSG_DATA(h), sizeof(p));
	if (p.dir != XFRM_POLICY_IN ||
	    (p.priority != GUARD_XFRM_PRIO_ALLOW && p.priority != GUARD_XFRM_PRIO_BLOCK) ||
	    !l->want(&p, l->arg))
		return;
	if (l->n == sizeof(l->v) / sizeof(l->v[0])) {
		l->more = true;
		return;
	}
	memset(&l->mark[l->n], 0, sizeof(l->mark[0]));
	/* A policy with a mark is deleted by its selector and its mark. */
	int len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(sizeof(p)));
	for (const struct rtattr *a =
		 (const struct rtattr *)((const char *)NLMSG_DATA(h) + NLMSG_ALIGN(sizeof(p)));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == XFRMA_MARK && RTA_PAYLOAD(a) >= sizeof(struct xfrm_mark))
			memcpy(&l->mark[l->n], RTA_DATA(a), sizeof(struct xfrm_mark));
	l->v[l->n++] = p;
}

/* Deletes netward's input policies that want accepts. */
static void policies_delete(bool (*want)(const struct xfrm_userpolicy_info *, const void *),
			    const void *arg)
{
	cleanup_close int fd = guard_nl_sock(NETLINK_XFRM);
	struct xfrm_userpolicy_info none;
	struct policy_list l;

	memset(&none, 0, sizeof(none));
	do {
		memset(&l, 0, sizeof(l));
		l.want = want;
		l.arg = arg;
		if (fd < 0 || guard_nl_dump(fd, XFRM_MSG_GETPOLICY, &none, sizeof(none),
					    collect_policy, &l) < 0)
			return;
		for (size_t i = 0; i < l.n; i++) {
			struct xfrm_userpolicy_id id = {.sel = l.v[i].sel, .dir = l.v[i].dir};
			struct guard_req r = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(id)),
						    .nlmsg_type = XFRM_MSG_DELPOLICY}};
			memcpy(NLMSG_DATA(&r.h), &id, sizeof(id));
			if (l.mark[i].m != 0)
				guard_nl_attr(&r, XFRMA_MARK, &l.mark[i], sizeof(l.mark[i]));
			guard_nl_talk(fd, &r);
		}
	} while (l.more && l.n > 0);
}

static bool any_policy(const struct xfrm_userpolicy_info *p, const void *arg)
{
	return true;
}

/* What belongs to the node, not to a job (a block, or a subnet-wide
 * allowance an earlier netward installed), but the block for the subnet
 * arg: that one is updated in place, so the subnet is never without it. */
static bool other_node_policy(const struct xfrm_userpolicy_info *p, const void *arg)
{
	const struct nw_cidr *subnet = arg;

	return p->sel.prefixlen_s != 32 &&
	       !(p->priority == GUARD_XFRM_PRIO_BLOCK && p->sel.prefixlen_s == subnet->prefix &&
		 memcmp(&p->sel.saddr.a4, subnet->addr.a, 4) == 0 && p->sel.prefixlen_d == 0 &&
		 p->sel.proto == 0);
}

static bool job_allowance(const struct xfrm_userpolicy_info *p, const void *arg)
{
	return p->priority == GUARD_XFRM_PRIO_ALLOW && p->sel.prefixlen_s == 32 &&
	       memcmp(&p->sel.saddr.a4, arg, 4) == 0;
}

/* Asks the kernel for the policy with p's selector and direction: 1 when
 * it is there with p's action and priority, 0 when it is absent or holds
 * others, -errno when the kernel did not say. One lookup, however many
 * policies the jobs hold. */
static int policy_there(int fd, const struct xfrm_userpolicy_info *p)
{
	struct xfrm_userpolicy_id id = {.sel = p->sel, .dir = p->dir};
	struct guard_req r = {.h = {.nlmsg_len = NLMSG_LENGTH(sizeof(id)),
				    .nlmsg_type = XFRM_MSG_GETPOLICY,
				    .nlmsg_flags = NLM_F_REQUEST}};
	char buf[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct xfrm_userpolicy_info got;
	const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
	ssize_t n;

	memcpy(NLMSG_DATA(&r.h), &id, sizeof(id));
	if (send(fd, &r, r.h.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(h, (size_t)n))
		return -EIO;
	if (h->nlmsg_type == NLMSG_ERROR) {
		int e = ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
		return e == -ENOENT ? 0 : e < 0 ? e : -EIO;
	}
	if (h->nlmsg_type != XFRM_MSG_NEWPOLICY || h->nlmsg_len < NLMSG_LENGTH(sizeof(got)))
		return -EIO;
	memcpy(&got, NLMSG_DATA(h), sizeof(got));
	return got.action == p->action && got.priority == p->priority;
}

/* Deletes the policy with p's selector (and mark); absent is fine. */
static void policy_del(int fd, const struct xfrm_userpolicy_info *p, const struct xfrm_mark *mark)
{
	struct xfrm_userpolicy_id id = {.sel = p->sel, .dir = p->dir};
	struct guard_req r = {
	    .h = {.nlmsg_len = NLMSG_LENGTH(sizeof(id)), .nlmsg_type = XFRM_MSG_DELPOLICY}};

	memcpy(NLMSG_DATA(&r.h), &id, sizeof(id));
	if (mark != NULL)
		guard_nl_attr(&r, XFRMA_MARK, mark, sizeof(*mark));
	guard_nl_talk(fd, &r);
}

/* Puts the block when it is not there as netward writes it; returns 1
 * when it was missing (never installed, or flushed by IPsec tooling,
 * which takes the jobs' allowances with it). A lookup by selector, not a
 * dump: a node with a thousand http jobs holds thousands of policies. */
int guard_xfrm_install(const struct nw_config *cfg, nw_err *err)
{
	cleanup_close int fd = guard_nl_sock(NETLINK_XFRM);
	struct xfrm_userpolicy_info block, old;
	struct in_addr gw;
	int rc;

	if (fd < 0)
		return nw_fail(err, errno, "guard: opening an XFRM netlink socket");
	/* A subnet-wide allowance to the proxy port, which an earlier netward
	 * installed, goes: it admitted every job, full ones too. */
	policy_fill(&old, &cfg->subnet);
	inet_pton(AF_INET, NW_GATEWAY, &gw);
	old.sel.daddr.a4 = gw.s_addr;
	old.sel.prefixlen_d = 32;
	old.sel.proto = IPPROTO_TCP;
	old.sel.dport = htons(cfg->proxy_port);
	old.sel.dport_mask = 0xffff;
	policy_del(fd, &old, NULL);
	policy_fill(&block, &cfg->subnet);
	block.priority = GUARD_XFRM_PRIO_BLOCK;
	block.action = XFRM_POLICY_BLOCK;
	rc = policy_there(fd, &block);
	if (rc < 0)
		return nw_fail(err, -rc, "guard: reading the XFRM input policy");
	if (rc == 1)
		return 0;
	/* Updated in place, never absent. */
	rc = policy_put(fd, &block, NULL);
	if (rc < 0)
		return nw_fail(err, -rc, "guard: adding the XFRM input policy");
	return 1;
}

void guard_xfrm_sweep(const struct nw_cidr *subnet)
{
	policies_delete(other_node_policy, subnet);
}

void guard_xfrm_remove(void)
{
	policies_delete(any_policy, NULL);
}

/* The allowances of the http job at a, for a proxy on port: TCP to the
 * proxy; with interception also its resolver, UDP and TCP to port 53 on
 * the gateway, and the connections the table redirects to the proxy's
 * second port. XFRM judges a DNATed packet by the destination the job
 * chose, not the proxy's, so that last one is keyed on the mark the table
 * gives exactly those packets (FW_INTERCEPT_MARK): TCP to any address and
 * port, with that mark. A job cannot set it (a packet's mark is cleared
 * as it leaves the job's namespace), and with the table gone nothing
 * carries it, so nothing gets through this way. Returns how many of v
 * (up to 4) it filled; the last one, with interception, has *mark. */
static size_t job_allowances(const struct in_addr *a, uint16_t port, bool intercept,
			     struct xfrm_userpolicy_info v[4], struct xfrm_mark *mark)
{
	const uint8_t *b = (const uint8_t *)&a->s_addr;

	allowance_fill(&v[0], b, IPPROTO_TCP, port);
	if (!intercept)
		return 1;
	allowance_fill(&v[1], b, IPPROTO_UDP, FW_DNS_PORT);
	allowance_fill(&v[2], b, IPPROTO_TCP, FW_DNS_PORT);
	allowance_fill(&v[3], b, IPPROTO_TCP, 0);
	v[3].sel.daddr.a4 = 0;
	v[3].sel.prefixlen_d = 0;
	v[3].sel.dport_mask = 0;
	*mark = (struct xfrm_mark){.v = FW_INTERCEPT_MARK, .m = FW_INTERCEPT_MASK};
	return 4;
}

int guard_allow_job(const char *addr, uint16_t proxy_port, bool intercept, nw_err *err)
{
	cleanup_close int fd = guard_nl_sock(NETLINK_XFRM);
	struct xfrm_userpolicy_info v[4];
	struct xfrm_mark mark;
	struct in_addr a;
	size_t n;
	int rc = 0;

	if (inet_pton(AF_INET, addr, &a) != 1)
		return nw_fail(err, EINVAL, "guard: \"%s\" is not an IPv4 address", addr);
	if (fd < 0)
		return nw_fail(err, errno, "guard: opening an XFRM netlink socket");
	n = job_allowances(&a, proxy_port, intercept, v, &mark);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = policy_put(fd, &v[i], i == 3 ? &mark : NULL);
	if (rc < 0)
		return nw_fail(err, -rc, "guard: allowing %s its proxy", addr);
	return 0;
}

void guard_disallow_job(const char *addr, uint16_t proxy_port)
{
	struct xfrm_userpolicy_info v[4];
	struct xfrm_mark mark;
	struct in_addr a;

	if (addr == NULL || inet_pton(AF_INET, addr, &a) != 1)
		return;
	if (proxy_port == 0) {
		/* A record from before the port was kept: every allowance
		 * of the address, found in a dump. */
		policies_delete(job_allowance, &a.s_addr);
		return;
	}
	/* Each one by its selector, whether or not interception was on. */
	cleanup_close int fd = guard_nl_sock(NETLINK_XFRM);
	size_t n = job_allowances(&a, proxy_port, true, v, &mark);
	for (size_t i = 0; fd >= 0 && i < n; i++)
		policy_del(fd, &v[i], i == 3 ? &mark : NULL);
}
