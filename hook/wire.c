/* The job's links through libnl-route-3. Work inside the job's namespace
 * is done by opening a netlink socket (or a sysctl file) while the thread
 * is setns()'d there and returning at once: such a socket or file stays
 * bound to the namespace it was opened in, so the rest runs from home. */
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "cleanup.h"
#include "util.h"
#include "fw_render.h"

#define JOB_IF "eth0"

static inline void nl_sock_freep(struct nl_sock **p)
{
	if (*p != NULL)
		nl_socket_free(*p);
	*p = NULL;
}

static inline void rtnl_link_putp(struct rtnl_link **p)
{
	if (*p != NULL)
		rtnl_link_put(*p);
	*p = NULL;
}

/* A veth link owns its peer; only this releases both. */
static inline void rtnl_veth_releasep(struct rtnl_link **p)
{
	if (*p != NULL)
		rtnl_link_veth_release(*p);
	*p = NULL;
}

static inline void rtnl_addr_putp(struct rtnl_addr **p)
{
	if (*p != NULL)
		rtnl_addr_put(*p);
	*p = NULL;
}

static inline void rtnl_route_putp(struct rtnl_route **p)
{
	if (*p != NULL)
		rtnl_route_put(*p);
	*p = NULL;
}

static inline void nl_cache_freep(struct nl_cache **p)
{
	if (*p != NULL)
		nl_cache_free(*p);
	*p = NULL;
}

static inline void nl_addr_putp(struct nl_addr **p)
{
	if (*p != NULL)
		nl_addr_put(*p);
	*p = NULL;
}

#define cleanup_nl_sock	   __attribute__((cleanup(nl_sock_freep)))
#define cleanup_rtnl_link  __attribute__((cleanup(rtnl_link_putp)))
#define cleanup_rtnl_veth  __attribute__((cleanup(rtnl_veth_releasep)))
#define cleanup_rtnl_addr  __attribute__((cleanup(rtnl_addr_putp)))
#define cleanup_rtnl_route __attribute__((cleanup(rtnl_route_putp)))
#define cleanup_nl_cache   __attribute__((cleanup(nl_cache_freep)))
#define cleanup_nl_addr	   __attribute__((cleanup(nl_addr_putp)))

/* libnl speaks its own codes (NLE_*); this is the one place they become
 * an errno (0 when there is no good one) and a message. */
static int nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_EXIST:
		return EEXIST;
	case NLE_NODEV:
		return ENODEV;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_RANGE:
		return ERANGE;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_INVAL:
		return EINVAL;
	default:
		return 0;
	}
}

static int nl_fail(nw_err *err, int nlerr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int nl_fail(nw_err *err, int nlerr, const char *fmt, ...)
{
	cleanup_free char *what = NULL;
	int code = nl_errno(nlerr);
	va_list ap;

	if (err == NULL || *err != NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) < 0)
		what = NULL;
	va_end(ap);
	if (code != 0)
		return nw_fail(err, code, "%s", what ? what : "netlink");
	return nw_fail_code(err, EIO, "%s: %s", what ? what : "netlink", nl_geterror(nlerr));
}

void wire_ifname(const char *container_id, unsigned salt, char out[NW_IFNAMSIZ])
{
	uint64_t h = util_fnv64(UTIL_FNV64_INIT, container_id, strlen(container_id) + 1);
	unsigned char le[4];

	/* The NUL hashed above keeps ("ab", salt) and ("a", salt') apart. */
	for (int i = 0; i < 4; i++)
		le[i] = (salt >> (8 * i)) & 0xff;
	h = util_fnv64(h, le, sizeof(le));
	snprintf(out, NW_IFNAMSIZ, NW_IF_PREFIX "%0*llx", NW_IF_HEX,
		 (unsigned long long)(h >> (64 - 4 * NW_IF_HEX)));
}

/* ---- namespaces ---- */

/* Runs fn inside the namespace netns_fd and comes back, whatever fn did.
 * Not coming back would leave this thread acting on the job's network, so
 * that is the one failure that aborts. */
static int in_netns(int netns_fd, int (*fn)(void *arg, nw_err *err), void *arg, nw_err *err)
{
	cleanup_close int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int r;

	if (home < 0)
		return nw_fail(err, errno, "opening /proc/self/ns/net");
	if (setns(netns_fd, CLONE_NEWNET) < 0)
		return nw_fail(err, errno, "entering the job's network namespace");
	r = fn(arg, err);
	if (setns(home, CLONE_NEWNET) < 0)
		abort();
	return r;
}

static int nl_open(struct nl_sock **out, nw_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (sk == NULL)
		return nw_fail(err, ENOMEM, "allocating a netlink socket");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return nl_fail(err, r, "connecting a netlink socket");
	*out = steal_ptr(&sk);
	return 0;
}

static int nl_open_cb(void *arg, nw_err *err)
{
	return nl_open(arg, err);
}

/* A route netlink socket bound to the namespace netns_fd. */
static int nl_open_in(int netns_fd, struct nl_sock **out, nw_err *err)
{
	return in_netns(netns_fd, nl_open_cb, out, err);
}

/* Sysctl files are opened from their directory, opened once: every walk
 * of /proc/sys/net/ipv6 compares that name with each network namespace's
 * copy of it, one by one (about 150 us on a node with a thousand jobs). */
struct sysctl_kv {
	const char *name, *val;
};

struct sysctl_args {
	const char *dir;
	const struct sysctl_kv *kv;
	size_t n;
};

/* A missing directory or file means the kernel has no IPv6, which is
 * what we want. */
static int sysctls_cb(void *arg, nw_err *err)
{
	const struct sysctl_args *a = arg;
	cleanup_close int dir = open(a->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (dir < 0)
		return errno == ENOENT ? 0 : nw_fail(err, errno, "opening %s", a->dir);
	for (size_t i = 0; i < a->n; i++) {
		cleanup_close int fd = openat(dir, a->kv[i].name, O_WRONLY | O_CLOEXEC);
		size_t len = strlen(a->kv[i].val);
		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return nw_fail(err, errno, "opening %s/%s", a->dir, a->kv[i].name);
		if (write(fd, a->kv[i].val, len) != (ssize_t)len)
			return nw_fail(err, errno, "writing %s to %s/%s", a->kv[i].val, a->dir,
				       a->kv[i].name);
	}
	return 0;
}

/* Writes the n values of kv to the files of dir in the namespace netns_fd
 * (-1: this one). */
static int sysctls_write(int netns_fd, const char *dir, const struct sysctl_kv *kv, size_t n,
			 nw_err *err)
{
	struct sysctl_args a = {.dir = dir, .kv = kv, .n = n};

	return netns_fd < 0 ? sysctls_cb(&a, err) : in_netns(netns_fd, sysctls_cb, &a, err);
}

/* The host end's own guard, which holds whatever becomes of the firewall
 * table: no IPv6; ARP answers only for the gateway (the address on this
 * interface) and announces only it; a strict reverse-path check; and an
 * http job's packets are never routed. */
static int host_sysctls(const struct wire_job *j, nw_err *err)
{
	static const struct sysctl_kv v4[] = {
	    {"arp_ignore", "1"}, {"arp_announce", "2"}, {"rp_filter", "1"}, {"forwarding", "0"}};
	static const struct sysctl_kv v6[] = {{"disable_ipv6", "1"}};
	char dir[64];

	snprintf(dir, sizeof(dir), "/proc/sys/net/ipv6/conf/%s", j->host_if);
	if (sysctls_write(-1, dir, v6, 1, err) < 0)
		return nw_wrap(err, "disabling IPv6 on %s", j->host_if);
	snprintf(dir, sizeof(dir), "/proc/sys/net/ipv4/conf/%s", j->host_if);
	/* A routed (full) job's packets are forwarded: the last one is
	 * http's only. */
	return sysctls_write(-1, dir, v4, j->routed ? 3 : 4, err);
}

/* The job's namespace has no IPv6: its interfaces, those there and those
 * made later (eth0 among them, born with the default). */
static int job_ipv6_off(int netns_fd, nw_err *err)
{
	static const struct sysctl_kv off[] = {{"all/disable_ipv6", "1"},
					       {"default/disable_ipv6", "1"}};

	if (sysctls_write(netns_fd, "/proc/sys/net/ipv6/conf", off, 2, err) < 0)
		return nw_wrap(err, "disabling IPv6 in the job's namespace");
	return 0;
}

int wire_enable_forwarding(nw_err *err)
{
	static const struct sysctl_kv on[] = {{"ip_forward", "1"}};

	return sysctls_write(-1, "/proc/sys/net/ipv4", on, 1, err);
}

/* ---- the namespace check ---- */

static int same_file(const struct stat *a, const char *path, bool *same, nw_err *err)
{
	struct stat b;

	*same = false;
	if (stat(path, &b) < 0) {
		/* Some sandboxes (and LSMs) hide pid 1's namespaces even from
		 * root; the comparison with our own namespace still stands. */
		if (errno == EACCES || errno == EPERM)
			return 0;
		return nw_fail(err, errno, "stat %s", path);
	}
	*same = a->st_dev == b.st_dev && a->st_ino == b.st_ino;
	return 0;
}

static int first_non_lo(struct nl_sock *sk, char *name, size_t len, nw_err *err)
{
	cleanup_nl_cache struct nl_cache *cache = NULL;
	int r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);

	name[0] = '\0';
	if (r < 0)
		return nl_fail(err, r, "listing the interfaces of the container's namespace");
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		const char *n = rtnl_link_get_name((struct rtnl_link *)o);
		if (n != NULL && strcmp(n, "lo") != 0) {
			snprintf(name, len, "%s", n);
			return 0;
		}
	}
	return 0;
}

/* A refusal is a policy answer, not a failed call: no strerror text. */
static int refuse(nw_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int refuse(nw_err *err, const char *fmt, ...)
{
	cleanup_free char *msg = NULL;
	va_list ap;

	if (err == NULL || *err != NULL)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	return nw_fail_code(err, EPERM, "%s", msg ? msg : "network namespace refused");
}

int wire_netns_check(int netns_fd, nw_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	char other[NW_IFNAMSIZ];
	struct stat st;
	bool host = false, self = false;

	if (fstat(netns_fd, &st) < 0)
		return nw_fail(err, errno, "stat of the container's network namespace");
	if (same_file(&st, "/proc/1/ns/net", &host, err) < 0 ||
	    same_file(&st, "/proc/self/ns/net", &self, err) < 0)
		return -1;
	if (host || self)
		return refuse(err,
			      "the container shares the host's network namespace; netward needs "
			      "a private one (podman --network none)");
	if (nl_open_in(netns_fd, &sk, err) < 0)
		return -1;
	if (first_non_lo(sk, other, sizeof(other), err) < 0)
		return -1;
	if (other[0] != '\0')
		return refuse(err,
			      "the container's network namespace already has interface \"%s\"; "
			      "netward needs one with only loopback (podman --network none)",
			      other);
	return 0;
}

/* ---- links, addresses, routes ---- */

static struct nl_addr *v4(const struct nw_addr *a, int prefix)
{
	struct nl_addr *n = nl_addr_build(AF_INET, a->a, 4);

	if (n != NULL)
		nl_addr_set_prefixlen(n, prefix);
	return n;
}

static int link_index(struct nl_sock *sk, const char *name, nw_err *err)
{
	cleanup_rtnl_link struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, name, &l);

	if (r < 0)
		return nl_fail(err, r, "looking up %s", name);
	return rtnl_link_get_ifindex(l);
}

static int link_up(struct nl_sock *sk, const char *name, nw_err *err)
{
	cleanup_rtnl_link struct rtnl_link *cur = NULL;
	cleanup_rtnl_link struct rtnl_link *change = rtnl_link_alloc();
	int r;

	if (change == NULL)
		return nw_fail(err, ENOMEM, "allocating a link");
	r = rtnl_link_get_kernel(sk, 0, name, &cur);
	if (r < 0)
		return nl_fail(err, r, "looking up %s", name);
	rtnl_link_set_flags(change, IFF_UP);
	r = rtnl_link_change(sk, cur, change, 0);
	if (r < 0)
		return nl_fail(err, r, "setting %s up", name);
	return 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const struct nw_addr *a, nw_err *err)
{
	cleanup_rtnl_addr struct rtnl_addr *ra = rtnl_addr_alloc();
	cleanup_nl_addr struct nl_addr *local = v4(a, 32);
	int r;

	if (ra == NULL || local == NULL)
		return nw_fail(err, ENOMEM, "allocating an address");
	rtnl_addr_set_ifindex(ra, ifindex);
	r = rtnl_addr_set_local(ra, local);
	if (r >= 0)
		r = rtnl_addr_add(sk, ra, NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "adding address /32");
	return 0;
}

/* dst NULL = default route; gw NULL = on-link (scope link). */
static int route_add(struct nl_sock *sk, int ifindex, const struct nw_addr *dst,
		     const struct nw_addr *gw, nw_err *err)
{
	cleanup_rtnl_route struct rtnl_route *rt = rtnl_route_alloc();
	cleanup_nl_addr struct nl_addr *d = NULL;
	cleanup_nl_addr struct nl_addr *g = NULL;
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	int r;

	if (rt == NULL || nh == NULL) {
		if (nh != NULL)
			rtnl_route_nh_free(nh);
		return nw_fail(err, ENOMEM, "allocating a route");
	}
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_add_nexthop(rt, nh); /* the route owns nh from here */
	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_scope(rt, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (dst != NULL)
		d = v4(dst, 32);
	else
		d = nl_addr_build(AF_INET, (uint8_t[4]){0}, 4);
	if (d == NULL)
		return nw_fail(err, ENOMEM, "allocating a route");
	if (dst == NULL)
		nl_addr_set_prefixlen(d, 0);
	if (gw != NULL) {
		g = v4(gw, 32);
		if (g == NULL)
			return nw_fail(err, ENOMEM, "allocating a route");
		rtnl_route_nh_set_gateway(nh, g);
	}
	r = rtnl_route_set_dst(rt, d);
	if (r >= 0)
		r = rtnl_route_add(sk, rt, NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "adding %s route", dst ? "a /32" : "the default");
	return 0;
}

/* The veth, host end named j->host_if, peer created as eth0 right in the
 * job's namespace so that no eth0 ever shows up on the host. */
static int veth_create(struct nl_sock *host, const struct wire_job *j, nw_err *err)
{
	cleanup_rtnl_veth struct rtnl_link *veth = rtnl_link_veth_alloc();
	cleanup_rtnl_link struct rtnl_link *peer = NULL;
	int r;

	if (veth == NULL)
		return nw_fail(err, ENOMEM, "allocating a veth");
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(veth, j->host_if);
	/* The firewall closes every interface of this group that its sets
	 * do not open. */
	rtnl_link_set_group(veth, FW_IFGROUP);
	rtnl_link_set_name(peer, JOB_IF);
	rtnl_link_set_ns_fd(peer, j->netns_fd);
	r = rtnl_link_add(host, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return nl_fail(err, r, "creating veth %s", j->host_if);
	return 0;
}

static int host_side(struct nl_sock *sk, const struct wire_job *j, nw_err *err)
{
	int idx;

	if (host_sysctls(j, err) < 0)
		return -1;
	idx = link_index(sk, j->host_if, err);
	if (idx < 0)
		return -1;
	if (addr_add(sk, idx, &j->gateway, err) < 0 || link_up(sk, j->host_if, err) < 0 ||
	    route_add(sk, idx, &j->job_addr, NULL, err) < 0)
		return nw_wrap(err, "host end %s", j->host_if);
	return 0;
}

static int job_side(const struct wire_job *j, nw_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	int idx;

	if (nl_open_in(j->netns_fd, &sk, err) < 0)
		return -1;
	if (link_up(sk, "lo", err) < 0)
		return -1;
	idx = link_index(sk, JOB_IF, err);
	if (idx < 0)
		return -1;
	if (addr_add(sk, idx, &j->job_addr, err) < 0 || link_up(sk, JOB_IF, err) < 0 ||
	    route_add(sk, idx, &j->gateway, NULL, err) < 0 ||
	    route_add(sk, idx, NULL, &j->gateway, err) < 0)
		return nw_wrap(err, "container end " JOB_IF);
	return 0;
}

int wire_setup(const struct wire_job *j, nw_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;

	if (!ident_ifname_valid(j->host_if) || j->job_addr.family != AF_INET ||
	    j->gateway.family != AF_INET)
		return nw_fail(err, EINVAL, "wiring: bad interface name or address family");
	if (nl_open(&sk, err) < 0)
		return -1;
	/* Before eth0 exists, so that it is born without IPv6. */
	if (job_ipv6_off(j->netns_fd, err) < 0)
		return -1;
	if (veth_create(sk, j, err) < 0)
		return -1;
	if (host_side(sk, j, err) < 0 || job_side(j, err) < 0) {
		cleanup_err nw_err ignored = NULL;
		wire_teardown(j->host_if, &ignored);
		return -1;
	}
	return 0;
}

bool wire_name_taken(const char *host_if, nw_err err)
{
	return nw_err_code(err) == EEXIST && wire_link_exists(host_if);
}

int wire_teardown(const char *host_if, nw_err *err)
{
	cleanup_nl_sock struct nl_sock *sk = NULL;
	cleanup_rtnl_link struct rtnl_link *l = NULL;
	int r;

	/* Names come from state files too: never delete anything but ours. */
	if (!ident_ifname_valid(host_if))
		return nw_fail(err, EINVAL, "refusing to delete interface \"%s\": not netward's",
			       host_if);
	if (nl_open(&sk, err) < 0)
		return -1;
	l = rtnl_link_alloc();
	if (l == NULL)
		return nw_fail(err, ENOMEM, "allocating a link");
	rtnl_link_set_name(l, host_if);
	r = rtnl_link_delete(sk, l);
	if (r < 0 && nl_errno(r) != ENODEV && nl_errno(r) != ENOENT)
		return nl_fail(err, r, "deleting %s", host_if);
	return 0;
}

bool wire_link_exists(const char *host_if)
{
	return if_nametoindex(host_if) != 0;
}

int wire_link_down(const char *host_if, nw_err *err)
{
	struct ifreq ifr;
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return nw_fail(err, errno, "socket");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", host_if);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return errno == ENODEV ? 0
				       : nw_fail(err, errno, "reading the flags of %s", host_if);
	ifr.ifr_flags &= ~IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 && errno != ENODEV)
		return nw_fail(err, errno, "taking %s down", host_if);
	return 0;
}
