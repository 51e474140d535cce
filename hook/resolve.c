/* c-ares adapter (see resolve.h). */
#include "resolve.h"

#include <ares.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

#include "domain.h"
#include "proxy_ev.h"
#include "io.h"

struct watch {
	struct proxy_ev ev;
	struct resolver *r;
	struct watch *next;
};

/* Answers are kept for their TTL, at most CACHE_TTL_MAX seconds, so a
 * job's repeated connections to one name do not each wait for the DNS
 * server. Only addresses are kept: every use goes through the proxy's
 * address checks again, and the address checked is the address dialled. */
#define CACHE_SLOTS   16
#define CACHE_TTL_MAX 300

struct cache_entry {
	char host[DOMAIN_MAX + 1];
	struct resolve_answer ans;
	uint64_t expires_ms; /* CLOCK_MONOTONIC; 0: empty */
};

struct resolver {
	ares_channel ch;
	int epfd;
	struct watch *watches;
	/* Sockets c-ares has closed, freed by resolve_reap once the current
	 * batch of epoll events is done: a later event of the batch may still
	 * point at one (its fd is -1 and watch_event ignores it). */
	struct watch *dead;
	struct cache_entry *cache; /* CACHE_SLOTS, allocated on first use */
};

struct resolve_query {
	resolve_cb cb;
	void *arg;
	struct resolve_query **slot;
	struct resolver *r;
	char host[DOMAIN_MAX + 1];
};

size_t resolve_cached(struct resolver *r, const char *host, struct resolve_answer *ans)
{
	uint64_t now;

	if (r->cache == NULL)
		return 0;
	now = io_now_ms();
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_entry *e = &r->cache[i];
		if (e->expires_ms > now && strcasecmp(e->host, host) == 0) {
			*ans = e->ans;
			return ans->n;
		}
	}
	return 0;
}

/* Keeps an answer in the slot of the same name, else in the slot that
 * expires first (empty and expired ones expire before any live one). */
static void cache_put(struct resolver *r, const char *host, const struct resolve_answer *ans)
{
	struct cache_entry *e = NULL;
	int ttl = ans->ttl;

	if (ttl <= 0 || ans->n == 0 || strlen(host) > DOMAIN_MAX)
		return;
	if (r->cache == NULL && (r->cache = calloc(CACHE_SLOTS, sizeof(*r->cache))) == NULL)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_entry *c = &r->cache[i];
		if (strcasecmp(c->host, host) == 0) {
			e = c;
			break;
		}
		if (e == NULL || c->expires_ms < e->expires_ms)
			e = c;
	}
	snprintf(e->host, sizeof(e->host), "%s", host);
	e->ans = *ans;
	e->expires_ms = io_now_ms() + (uint64_t)(ttl > CACHE_TTL_MAX ? CACHE_TTL_MAX : ttl) * 1000;
}

static void watch_event(struct proxy_ev *ev, uint32_t events)
{
	struct watch *w = (struct watch *)ev;
	struct resolver *r = w->r;
	int fd = ev->fd;

	if (fd < 0)
		return;
	/* w may be freed inside ares_process_fd (the socket closes). */
	ares_process_fd(r->ch, events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? fd : ARES_SOCKET_BAD,
			events & EPOLLOUT ? fd : ARES_SOCKET_BAD);
}

static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct resolver *r = data;
	struct watch **pp = &r->watches, *w;
	struct epoll_event ee = {0};

	while (*pp != NULL && (*pp)->ev.fd != fd)
		pp = &(*pp)->next;
	w = *pp;
	if (!readable && !writable) {
		if (w != NULL) {
			epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL);
			*pp = w->next;
			w->ev.fd = -1;
			w->next = r->dead;
			r->dead = w;
		}
		return;
	}
	if (w == NULL) {
		w = calloc(1, sizeof(*w));
		if (w == NULL)
			return; /* the query times out instead */
		w->ev.fn = watch_event;
		w->ev.fd = fd;
		w->r = r;
		w->next = r->watches;
		r->watches = w;
	}
	ee.events = (readable ? EPOLLIN : 0) | (writable ? EPOLLOUT : 0);
	ee.data.ptr = &w->ev;
	if (epoll_ctl(r->epfd, w->ev.mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ee) == 0)
		w->ev.mask = ee.events;
}

struct resolve_timing resolve_timing_for(size_t n_dns, unsigned budget_ms)
{
	size_t n = n_dns ? n_dns : 1;
	struct resolve_timing t = {.tries = 2, .try_ms = (int)(budget_ms / (n * 3))};

	if (t.try_ms < RESOLVE_MIN_TRY_MS) {
		t.tries = 1;
		t.try_ms = (int)(budget_ms / n);
	}
	if (t.try_ms < 1)
		t.try_ms = 1;
	return t;
}

unsigned resolve_timing_total(struct resolve_timing t, size_t n_dns)
{
	return (unsigned)(n_dns * (size_t)t.try_ms * (((size_t)1 << t.tries) - 1));
}

struct resolver *resolve_new(const struct nw_dns_server *dns, size_t n_dns, unsigned budget_ms,
			     int epfd, nw_err *err)
{
	struct resolve_timing t = resolve_timing_for(n_dns, budget_ms);
	struct ares_options opts = {0};
	struct ares_addr_port_node *nodes;
	struct resolver *r;
	char lookups[] = "b";
	int rc, mask;

	if (n_dns == 0)
		return nw_fail(err, EINVAL, "no dns_servers to ask"), NULL;
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	if (rc != ARES_SUCCESS)
		return nw_fail(err, 0, "c-ares: %s", ares_strerror(rc)), NULL;
	r = calloc(1, sizeof(*r));
	nodes = calloc(n_dns, sizeof(*nodes));
	if (r == NULL || nodes == NULL) {
		free(r);
		free(nodes);
		return nw_fail(err, ENOMEM, "resolver"), NULL;
	}
	r->epfd = epfd;
	/* Setting servers, domains, lookups and sortlist keeps c-ares from
	 * reading /etc/resolv.conf; lookups "b" keeps it off /etc/hosts. */
	opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
	opts.timeout = t.try_ms;
	opts.tries = t.tries;
	opts.nservers = 0;
	opts.ndomains = 0;
	opts.nsort = 0;
	opts.lookups = lookups;
	opts.sock_state_cb = sock_state;
	opts.sock_state_cb_data = r;
	mask = ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SERVERS |
	       ARES_OPT_DOMAINS | ARES_OPT_SORTLIST | ARES_OPT_LOOKUPS | ARES_OPT_SOCK_STATE_CB;
#ifdef ARES_OPT_MAXTIMEOUTMS
	/* c-ares 1.31 and later adapt each try's wait to the server's past
	 * answers; the longest wait keeps the sum within the budget. */
	opts.maxtimeout = t.try_ms << (t.tries - 1);
	mask |= ARES_OPT_MAXTIMEOUTMS;
#endif
#ifdef ARES_OPT_QUERY_CACHE
	/* c-ares 1.23 and later keep answers themselves, up to an hour: the
	 * cache here is the one, with its limit. */
	opts.qcache_max_ttl = 0;
	mask |= ARES_OPT_QUERY_CACHE;
#endif
	rc = ares_init_options(&r->ch, &opts, mask);
	if (rc != ARES_SUCCESS) {
		free(r);
		free(nodes);
		return nw_fail(err, 0, "c-ares init: %s", ares_strerror(rc)), NULL;
	}
	for (size_t i = 0; i < n_dns; i++) {
		nodes[i].family = dns[i].addr.family;
		memcpy(&nodes[i].addr, dns[i].addr.a, dns[i].addr.family == AF_INET ? 4 : 16);
		nodes[i].udp_port = dns[i].port;
		nodes[i].tcp_port = dns[i].port;
		nodes[i].next = i + 1 < n_dns ? &nodes[i + 1] : NULL;
	}
	rc = ares_set_servers_ports(r->ch, nodes);
	free(nodes);
	if (rc != ARES_SUCCESS) {
		resolve_free(r);
		return nw_fail(err, 0, "c-ares servers: %s", ares_strerror(rc)), NULL;
	}
	return r;
}

static enum resolve_status map_status(int st)
{
	switch (st) {
	case ARES_ENOTFOUND:
		return RESOLVE_NXDOMAIN;
	case ARES_ENODATA:
		return RESOLVE_NODATA;
	case ARES_ETIMEOUT:
		return RESOLVE_TIMEOUT;
	default:
		return RESOLVE_FAIL;
	}
}

/* Adds name to the chain once, canonical (lower case, no trailing dot). */
static void add_cname(struct resolve_answer *a, const char *name)
{
	char canon[DOMAIN_MAX + 1];
	bool is_ip;

	if (name == NULL || domain_canon(name, canon, &is_ip, NULL) < 0) {
		/* A name policy cannot read is a name policy cannot clear. */
		a->cnames_cut = true;
		return;
	}
	for (size_t i = 0; i < a->ncnames; i++)
		if (strcmp(a->cnames[i], canon) == 0)
			return;
	if (a->ncnames == RESOLVE_MAX_CNAMES) {
		a->cnames_cut = true;
		return;
	}
	strcpy(a->cnames[a->ncnames++], canon);
}

static void on_result(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct resolve_query *q = arg;
	struct resolve_answer *ans = calloc(1, sizeof(*ans));
	size_t n = 0;
	int ttl = CACHE_TTL_MAX;
	enum resolve_status st = RESOLVE_OK;

	if (q->slot != NULL)
		*q->slot = NULL;
	if (q->cb == NULL || status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		ares_freeaddrinfo(res);
		free(ans);
		free(q);
		return;
	}
	if (ans == NULL) {
		ares_freeaddrinfo(res);
		q->cb(q->arg, RESOLVE_FAIL, NULL, "out of memory");
		free(q);
		return;
	}
	if (status == ARES_SUCCESS && res != NULL) {
		for (struct ares_addrinfo_node *a = res->nodes; a != NULL; a = a->ai_next) {
			if (a->ai_family != AF_INET && a->ai_family != AF_INET6)
				continue;
			if (n == RESOLVE_MAX_ADDRS)
				break;
			addr_from_sockaddr(a->ai_addr, &ans->addrs[n++]);
			if (a->ai_ttl < ttl)
				ttl = a->ai_ttl;
		}
		for (struct ares_addrinfo_cname *c = res->cnames; c != NULL; c = c->next) {
			if (c->ttl < ttl)
				ttl = c->ttl;
			add_cname(ans, c->alias);
			add_cname(ans, c->name);
		}
		ans->n = n;
		ans->ttl = ttl;
		if (n == 0)
			st = RESOLVE_NODATA;
		else
			cache_put(q->r, q->host, ans);
	} else {
		st = map_status(status);
	}
	q->cb(q->arg, st, ans, ares_strerror(status));
	ares_freeaddrinfo(res);
	free(ans);
	free(q);
}

int resolve_lookup(struct resolver *r, const char *host, resolve_cb cb, void *arg,
		   struct resolve_query **slot, nw_err *err)
{
	struct ares_addrinfo_hints hints = {0};
	struct resolve_query *q;

	if (strlen(host) > DOMAIN_MAX)
		return nw_fail(err, EINVAL, "host name too long");
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return nw_fail(err, ENOMEM, "DNS query");
	q->r = r;
	strcpy(q->host, host);
	q->cb = cb;
	q->arg = arg;
	q->slot = slot;
	*slot = q;
	hints.ai_family = AF_UNSPEC;
	/* No sorting: it would connect() probe sockets to rank addresses. */
	hints.ai_flags = ARES_AI_NOSORT;
	ares_getaddrinfo(r->ch, host, NULL, &hints, on_result, q);
	return 0;
}

void resolve_cancel(struct resolve_query *q)
{
	if (q == NULL)
		return;
	q->cb = NULL;
	if (q->slot != NULL)
		*q->slot = NULL;
	q->slot = NULL;
}

static void free_list(struct watch **list)
{
	while (*list != NULL) {
		struct watch *w = *list;
		*list = w->next;
		free(w);
	}
}

void resolve_tick(struct resolver *r)
{
	ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

bool resolve_idle(struct resolver *r)
{
	struct timeval tv;

	/* c-ares gives no timeout when no query is outstanding. */
	return r == NULL || ares_timeout(r->ch, NULL, &tv) == NULL;
}

void resolve_reap(struct resolver *r)
{
	if (r != NULL)
		free_list(&r->dead);
}

void resolve_free(struct resolver *r)
{
	if (r == NULL)
		return;
	ares_destroy(r->ch);
	free_list(&r->watches);
	free_list(&r->dead);
	free(r->cache);
	free(r);
	ares_library_cleanup();
}
