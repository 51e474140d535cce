/* The job's DNS on the gateway, UDP and TCP port 53 (DESIGN.md §3): a name
 * the job's list covers gets, for A, the proxy's own answer (its resolver,
 * then the address rules) with the TTL capped; AAAA, HTTPS/SVCB and every
 * other type get an empty answer; any other name NXDOMAIN, decided here
 * without a query leaving the node, so query names carry nothing out;
 * anything malformed FORMERR (dns_msg.c reads and writes the messages).
 * TCP is bounded: length-prefixed queries of at most DNS_TCP_MAX bytes, one
 * at a time per connection, DNS_TCP_CONNS connections, T_DNS_IDLE idle.
 *
 * Held to the job's rate limit: a query sent upstream (a covered name not
 * in the cache) spends from the job's upstream bucket what its lookups
 * send, dns_upstream_cost; with too few tokens it is answered SERVFAIL at
 * once ("try again later": a stub resolver neither caches it as it may a
 * REFUSED, nor gives up on the server). Every query, answered locally or
 * not, also passes a bucket of queries per second derived from the same
 * rate (dns_qps_for); past it queries are dropped unanswered, counted,
 * and noted in one line a second, so neither the proxy's CPU nor the
 * node's log (which gets every line) is the job's to burn. Each outcome is logged (method
 * DNS, the name as host, the rcode as status) and counted as a request,
 * allowed or denied, like any other. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns_msg.h"
#include "proxy_int.h"
#include "util.h"

#define DNS_TCP_CONNS 16
#define DNS_PENDING   64    /* lookups waiting for the resolver at once */
#define DNS_UDP_BATCH 64    /* datagrams read per wakeup */
#define T_DNS_IDLE    10000 /* ms: a TCP connection with no query in flight */
/* Bytes one upstream lookup sends besides its name: the DNS header (12),
 * the name's first length octet and root (2), type and class (4), an EDNS
 * OPT record (11), the UDP and IPv4 headers (28); rounded up. */
#define DNS_LOOKUP_OVERHEAD 64
/* Upstream lookups per query: resolve_lookup asks A and AAAA. */
#define DNS_LOOKUPS 2
/* Times one lookup may be sent to each of the node's dns_servers: c-ares's
 * tries (2 at most, resolve_timing_for; a SERVFAIL or a silence moves on to
 * the next server), each asked again over TCP when the answer comes back
 * truncated. A lookup is charged all of them. */
#define DNS_SENDS 4
/* Lines a second for queries answered here without a lookup (names
 * outside the list, other types, malformed); the rest are counted and
 * summed up in one line a second, so a flood of them costs the node's log
 * next to nothing. */
#define DNS_LOCAL_LINES 10

struct dns_tcp;

/* A query waiting for the resolver; answered over UDP to `from`, or on tcp. */
struct dns_pending {
	struct proxy_dns *d;
	struct dns_pending *prev, *next;
	struct resolve_query *q;
	struct dns_tcp *tcp;
	struct sockaddr_storage from;
	socklen_t fromlen;
	struct dns_query dq;
	uint64_t t_start; /* ms */
	uint8_t msg[DNS_TCP_MAX];
};

struct dns_tcp {
	struct proxy_dns *d;
	struct proxy_ev ev;
	struct dns_tcp *prev, *next;
	uint8_t in[2 + DNS_TCP_MAX];
	size_t inlen;
	uint8_t out[2 + DNS_UDP_MAX];
	size_t outoff, outlen;
	struct dns_pending *busy; /* the query in flight */
	uint64_t t_active;
	bool closed;
};

struct proxy_dns {
	struct proxy *p;
	struct bucket qps; /* queries, every kind (dns_qps_for) */
	bool qps_set;
	uint64_t qps_dropped; /* past the bound since the last line saying so */
	uint64_t qps_noted_ms;
	unsigned local_lines;	 /* lines for local answers in this second */
	uint64_t local_unlogged; /* local answers past DNS_LOCAL_LINES, not yet noted */
	uint64_t local_sec_ms;	 /* when this second began */
	struct proxy_ev udp, tcp;
	struct dns_tcp *conns, *dead;
	unsigned nconns;
	struct dns_pending *pend;
	unsigned npend;
};

static void tcp_update(struct dns_tcp *t);
static void pending_free(struct dns_pending *pq);

static void tcp_close(struct dns_tcp *t)
{
	struct proxy_dns *d = t->d;

	if (t->closed)
		return;
	t->closed = true;
	if (t->busy != NULL)
		pending_free(t->busy); /* its lookup is cancelled */
	proxy_close_fd(&t->ev);
	if (t->prev)
		t->prev->next = t->next;
	else
		d->conns = t->next;
	if (t->next)
		t->next->prev = t->prev;
	t->prev = NULL;
	t->next = d->dead;
	d->dead = t;
	d->nconns--;
}

/* Sends an answer built into out (n bytes) the way q came. */
static void reply(struct proxy_dns *d, struct dns_tcp *t, const struct sockaddr_storage *from,
		  socklen_t fromlen, const uint8_t *out, size_t n)
{
	if (n == 0)
		return;
	if (t == NULL) {
		if (sendto(d->udp.fd, out, n, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)from, fromlen) < 0) {
			/* A full socket buffer drops the answer; the client asks again. */
		}
		return;
	}
	if (t->closed)
		return;
	t->out[0] = (uint8_t)(n >> 8);
	t->out[1] = (uint8_t)n;
	memcpy(t->out + 2, out, n);
	t->outoff = 0;
	t->outlen = n + 2; /* written once the socket says it can take it */
}

static void answer(struct proxy_dns *d, struct dns_tcp *t, const struct sockaddr_storage *from,
		   socklen_t fromlen, const uint8_t *m, const struct dns_query *q, int rcode,
		   const struct resolve_answer *ans)
{
	uint8_t out[DNS_UDP_MAX], a4[DNS_MAX_ANSWERS][4];
	size_t na = 0;

	for (size_t i = 0; ans != NULL && i < ans->n && na < DNS_MAX_ANSWERS; i++) {
		struct nw_addr u = addr_unmap(&ans->addrs[i]);
		if (u.family == AF_INET)
			memcpy(a4[na++], u.a, 4);
	}
	reply(d, t, from, fromlen, out,
	      dns_build(out, sizeof(out), m, q, rcode, (const uint8_t(*)[4])a4, na,
			ans != NULL && ans->ttl > 0 ? (uint32_t)ans->ttl : 0));
}

/* One line in the access log (q NULL: about no one query). */
static void dns_line(struct proxy_dns *d, const struct dns_query *q, bool allow, int rcode,
		     uint64_t t_start, const char *reason)
{
	const struct proxy_opts *o = d->p->o;
	uint64_t now = proxy_now_ms();
	struct accesslog_entry e = {
	    .job = o->job_id,
	    .container = o->container_id ? o->container_id : o->job_id,
	    .method = "DNS",
	    .host = q != NULL && q->name_ok && q->name[0] ? q->name : "-",
	    .reason = reason,
	    .port = 53,
	    .allow = allow,
	    .status = rcode,
	    .ms = t_start != 0 && now > t_start ? now - t_start : 0,
	};

	accesslog_write(&d->p->alog, &e, now);
}

/* One query counted in the job's status, allowed or denied. */
static void dns_count(struct proxy_dns *d, bool allow)
{
	if (allow)
		d->p->stats.allowed++;
	else
		d->p->stats.denied++;
	d->p->stats.dirty = true;
}

/* One line and one count per query answered. */
static void dns_log(struct proxy_dns *d, const struct dns_query *q, bool allow, int rcode,
		    uint64_t t_start, const char *reason)
{
	dns_line(d, q, allow, rcode, t_start, reason);
	dns_count(d, allow);
}

/* What the resolver said, held to the address rules: only addresses the
 * proxy would connect to go to the job. Port 0: the rules that hold on
 * every port (a rule for one port is the connection's to apply). */
static void answer_resolved(struct proxy_dns *d, struct dns_tcp *t,
			    const struct sockaddr_storage *from, socklen_t fromlen,
			    const uint8_t *m, const struct dns_query *q, enum resolve_status st,
			    const struct resolve_answer *ans, uint64_t t_start, const char *detail)
{
	struct proxy_fail f;
	struct nw_addr pick;
	char why[PROXY_REASON_MAX];

	switch (st) {
	case RESOLVE_OK:
		if (proxy_policy_addrs(d->p->o, d->p->deny, &d->p->node_check, q->name, 0, ans,
				       &pick, &f) != 0) {
			answer(d, t, from, fromlen, m, q, DNS_R_NOERROR, NULL);
			dns_log(d, q, false, DNS_R_NOERROR, t_start, f.reason);
			return;
		}
		answer(d, t, from, fromlen, m, q, DNS_R_NOERROR, ans);
		dns_log(d, q, true, DNS_R_NOERROR, t_start,
			t_start == 0 ? "answered from the cache" : "answered");
		return;
	case RESOLVE_NXDOMAIN:
		answer(d, t, from, fromlen, m, q, DNS_R_NXDOMAIN, NULL);
		dns_log(d, q, true, DNS_R_NXDOMAIN, t_start, "the name does not exist upstream");
		return;
	case RESOLVE_NODATA:
		answer(d, t, from, fromlen, m, q, DNS_R_NOERROR, NULL);
		dns_log(d, q, true, DNS_R_NOERROR, t_start, "no address upstream");
		return;
	default:
		answer(d, t, from, fromlen, m, q, DNS_R_SERVFAIL, NULL);
		snprintf(why, sizeof(why), "netward: DNS lookup of %s failed: %s", q->name,
			 detail != NULL ? detail : "no answer");
		dns_log(d, q, true, DNS_R_SERVFAIL, t_start, why);
	}
}

/* What a query for name costs the job's upstream bucket: the bytes its
 * lookups may send, to every server, each try, UDP and TCP. */
static uint64_t dns_upstream_cost(const struct proxy_dns *d, const char *name)
{
	size_t n = d->p->o->cfg->n_dns ? d->p->o->cfg->n_dns : 1;

	return (uint64_t)(strlen(name) + DNS_LOOKUP_OVERHEAD) * DNS_LOOKUPS * DNS_SENDS * n;
}

/* Queries per second, of any kind, for an upstream rate of rate bytes/s:
 * as many as the rate would pay for if each were sent upstream with the
 * shortest name; its burst the same share of the upstream burst. */
static void dns_qps_for(const struct proxy_dns *d, struct bucket *b, const struct bucket *up)
{
	uint64_t least = dns_upstream_cost(d, "");

	bucket_init(b, up->rate / least, up->burst / least ? up->burst / least : 1, proxy_now_ns());
	if (up->rate != 0 && b->rate == 0)
		b->rate = 1;
}

/* Takes one query from the per-second bucket; false when it is empty. */
static bool dns_take_query(struct proxy_dns *d)
{
	if (!d->qps_set) { /* the job's buckets are made after the listeners */
		dns_qps_for(d, &d->qps, &d->p->bk[DIR_UP]);
		d->qps_set = true;
	}
	if (d->qps.rate == 0)
		return true;
	if (bucket_avail(&d->qps, proxy_now_ns()) < 1)
		return false;
	bucket_take(&d->qps, 1);
	return true;
}

/* Spends cost bytes from the job's upstream bucket; false, spending
 * nothing, when it holds fewer. */
static bool dns_take_upstream(struct proxy_dns *d, uint64_t cost)
{
	struct bucket *up = &d->p->bk[DIR_UP];

	if (up->rate != 0 && bucket_avail(up, proxy_now_ns()) < cost)
		return false;
	proxy_spend(d->p, DIR_UP, cost);
	return true;
}

/* A lookup the upstream bucket cannot pay for: SERVFAIL at once. */
static void over_rate(struct proxy_dns *d, struct dns_tcp *t, const struct sockaddr_storage *from,
		      socklen_t fromlen, const uint8_t *m, const struct dns_query *q)
{
	char why[PROXY_REASON_MAX];

	answer(d, t, from, fromlen, m, q, DNS_R_SERVFAIL, NULL);
	snprintf(
	    why, sizeof(why),
	    "netward: DNS lookups for this job are over its rate limit (%llu bytes/s upstream)",
	    (unsigned long long)d->p->bk[DIR_UP].rate);
	dns_log(d, q, false, DNS_R_SERVFAIL, 0, why);
}

/* A query past the per-second bound is dropped unanswered (as a full
 * socket buffer would drop it; the client asks again) and counted denied;
 * one line a second says how many, so a flood writes no line per query. */
static void over_qps(struct proxy_dns *d)
{
	uint64_t now = proxy_now_ms();
	char why[PROXY_REASON_MAX];

	d->qps_dropped++;
	dns_count(d, false);
	if (d->qps_noted_ms != 0 && now - d->qps_noted_ms < 1000)
		return;
	snprintf(why, sizeof(why),
		 "netward: DNS queries for this job are over their limit (%llu per second, from "
		 "its rate limit): %llu dropped",
		 (unsigned long long)d->qps.rate, (unsigned long long)d->qps_dropped);
	dns_line(d, NULL, false, DNS_R_SERVFAIL, 0, why);
	d->qps_dropped = 0;
	d->qps_noted_ms = now;
}

static void pending_free(struct dns_pending *pq)
{
	struct proxy_dns *d = pq->d;

	resolve_cancel(pq->q);
	if (pq->tcp != NULL)
		pq->tcp->busy = NULL;
	if (pq->prev)
		pq->prev->next = pq->next;
	else
		d->pend = pq->next;
	if (pq->next)
		pq->next->prev = pq->prev;
	d->npend--;
	free(pq);
}

static void on_resolved(void *arg, enum resolve_status st, const struct resolve_answer *ans,
			const char *detail)
{
	struct dns_pending *pq = arg;
	struct dns_tcp *t = pq->tcp;

	if (t != NULL)
		t->busy = NULL;
	answer_resolved(pq->d, t, &pq->from, pq->fromlen, pq->msg, &pq->dq, st, ans,
			pq->t_start ? pq->t_start : 1, detail);
	pq->tcp = NULL;
	pending_free(pq);
	if (t != NULL && !t->closed)
		tcp_update(t);
}

/* Logs a query answered here, DNS_LOCAL_LINES a second; past them only
 * counted, and said in one line when the next second's first comes. */
static void dns_log_local(struct proxy_dns *d, const struct dns_query *q, bool allow, int rcode,
			  const char *reason)
{
	uint64_t now = proxy_now_ms();
	char why[PROXY_REASON_MAX];

	if (now - d->local_sec_ms >= 1000) {
		if (d->local_unlogged != 0) {
			snprintf(why, sizeof(why),
				 "netward: %llu more DNS queries answered here (names outside "
				 "the list, other types) were counted but not logged, past %d "
				 "lines a second",
				 (unsigned long long)d->local_unlogged, DNS_LOCAL_LINES);
			dns_line(d, NULL, false, DNS_R_NOERROR, 0, why);
		}
		d->local_sec_ms = now;
		d->local_lines = 0;
		d->local_unlogged = 0;
	}
	if (d->local_lines < DNS_LOCAL_LINES) {
		d->local_lines++;
		dns_log(d, q, allow, rcode, 0, reason);
		return;
	}
	d->local_unlogged++;
	dns_count(d, allow);
}

/* The reason for a query answered at once without the resolver. */
static const char *local_reason(const struct dns_query *q, int rc, const char *why, char *buf,
				size_t len)
{
	switch (rc) {
	case DNS_R_NXDOMAIN:
		return q->name_ok && q->name[0]
			   ? "netward: the name is not in this job's allowlist (NXDOMAIN)"
			   : "netward: not a host name (NXDOMAIN)";
	case DNS_R_NOERROR:
		snprintf(buf, len, "empty answer for type %u", (unsigned)q->qtype);
		return buf;
	case DNS_R_REFUSED:
		return "netward: only class IN is answered";
	default:
		snprintf(buf, len, "netward: malformed DNS query: %s", why ? why : "unreadable");
		return buf;
	}
}

/* One query: answered at once, or when the resolver answers. */
static void query(struct proxy_dns *d, struct dns_tcp *t, const struct sockaddr_storage *from,
		  socklen_t fromlen, const uint8_t *m, size_t n)
{
	cleanup_err nw_err err = NULL;
	struct resolve_answer ans;
	struct dns_pending *pq;
	struct dns_query q = {0};
	const char *why = NULL;
	char buf[PROXY_REASON_MAX];
	int rc = dns_parse_query(m, n, &q, &why);

	if (rc < 0)
		return; /* not answerable: dropped */
	if (!dns_take_query(d)) {
		over_qps(d);
		return;
	}
	if (rc == 0)
		rc = dns_rcode_for(&q, q.name_ok && proxy_policy_dns_covers(d->p->o, q.name));
	if (rc != DNS_R_NOERROR || dns_shape_for(q.qtype) != DNS_ANSWER_A) {
		answer(d, t, from, fromlen, m, &q, rc, NULL);
		dns_log_local(d, &q, rc == DNS_R_NOERROR, rc,
			      local_reason(&q, rc, why, buf, sizeof(buf)));
		return;
	}
	if (resolve_cached(d->p->res, q.name, &ans) > 0) {
		answer_resolved(d, t, from, fromlen, m, &q, RESOLVE_OK, &ans, 0, NULL);
		return;
	}
	if (d->npend >= DNS_PENDING || n > sizeof(pq->msg)) {
		answer(d, t, from, fromlen, m, &q, DNS_R_SERVFAIL, NULL);
		dns_log(d, &q, false, DNS_R_SERVFAIL, 0,
			"netward: too many DNS lookups of this job in flight");
		return;
	}
	if (!dns_take_upstream(d, dns_upstream_cost(d, q.name))) {
		over_rate(d, t, from, fromlen, m, &q);
		return;
	}
	if ((pq = calloc(1, sizeof(*pq))) == NULL) {
		answer(d, t, from, fromlen, m, &q, DNS_R_SERVFAIL, NULL);
		dns_log(d, &q, true, DNS_R_SERVFAIL, 0, "netward: the proxy is out of memory");
		return;
	}
	pq->d = d;
	pq->tcp = t;
	pq->t_start = proxy_now_ms();
	if (from != NULL)
		pq->from = *from;
	pq->fromlen = fromlen;
	pq->dq = q;
	memcpy(pq->msg, m, n);
	pq->next = d->pend;
	if (d->pend)
		d->pend->prev = pq;
	d->pend = pq;
	d->npend++;
	if (t != NULL)
		t->busy = pq;
	if (resolve_lookup(d->p->res, q.name, on_resolved, pq, &pq->q, &err) < 0) {
		if (t != NULL)
			t->busy = NULL;
		pq->tcp = NULL;
		pending_free(pq);
		answer(d, t, from, fromlen, m, &q, DNS_R_SERVFAIL, NULL);
		dns_log(d, &q, true, DNS_R_SERVFAIL, 0, nw_err_msg(err));
	}
}

static void udp_event(struct proxy_ev *ev, uint32_t events)
{
	struct proxy_dns *d = container_of(ev, struct proxy_dns, udp);
	uint8_t m[DNS_TCP_MAX];

	for (int i = 0; i < DNS_UDP_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n =
		    recvfrom(ev->fd, m, sizeof(m), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);

		if (n < 0)
			return;
		query(d, NULL, &from, fl, m, (size_t)n);
	}
}

/* Reads, answers one query at a time, writes; closes on a bad frame. */
static void tcp_event(struct proxy_ev *ev, uint32_t events)
{
	struct dns_tcp *t = container_of(ev, struct dns_tcp, ev);

	if (t->closed)
		return;
	if (t->outlen > 0) {
		ssize_t n =
		    send(ev->fd, t->out + t->outoff, t->outlen, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			tcp_close(t);
			return;
		}
		if (n > 0) {
			t->outoff += (size_t)n;
			t->outlen -= (size_t)n;
			t->t_active = proxy_now_ms();
		}
	}
	if ((events & EPOLLIN) && t->busy == NULL && t->outlen == 0) {
		ssize_t n = recv(ev->fd, t->in + t->inlen, sizeof(t->in) - t->inlen, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			tcp_close(t);
			return;
		}
		if (n > 0) {
			t->inlen += (size_t)n;
			t->t_active = proxy_now_ms();
		}
	}
	while (!t->closed && t->busy == NULL && t->outlen == 0 && t->inlen >= 2) {
		size_t len = (size_t)t->in[0] << 8 | t->in[1];

		if (len < DNS_HEADER || len > DNS_TCP_MAX) {
			tcp_close(t);
			return;
		}
		if (t->inlen < 2 + len)
			break;
		query(t->d, t, NULL, 0, t->in + 2, len);
		/* The query was copied where it waits; the next one moves up. */
		memmove(t->in, t->in + 2 + len, t->inlen - 2 - len);
		t->inlen -= 2 + len;
	}
	if (!t->closed && (events & (EPOLLHUP | EPOLLERR)) && t->outlen == 0 && t->busy == NULL)
		tcp_close(t);
	if (!t->closed)
		tcp_update(t);
}

static void tcp_update(struct dns_tcp *t)
{
	uint32_t m = 0;

	if (t->outlen > 0)
		m = EPOLLOUT;
	else if (t->busy == NULL)
		m = EPOLLIN;
	proxy_watch(t->d->p, &t->ev, m);
}

static void tcp_accept_event(struct proxy_ev *ev, uint32_t events)
{
	struct proxy_dns *d = container_of(ev, struct proxy_dns, tcp);

	for (int i = 0; i < 16; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct dns_tcp *t;

		if (fd < 0)
			return;
		if (d->nconns >= DNS_TCP_CONNS || (t = calloc(1, sizeof(*t))) == NULL) {
			close(fd);
			continue;
		}
		t->d = d;
		t->ev = (struct proxy_ev){.fn = tcp_event, .fd = fd};
		t->t_active = proxy_now_ms();
		t->next = d->conns;
		if (d->conns)
			d->conns->prev = t;
		d->conns = t;
		d->nconns++;
		tcp_update(t);
	}
}

void proxy_dns_init(struct proxy *p)
{
	p->dns = NULL;
}

static int add(struct proxy *p, struct proxy_ev *ev, int fd,
	       void (*fn)(struct proxy_ev *, uint32_t), nw_err *err)
{
	ev->fd = fd;
	ev->fn = fn;
	ev->mask = 0;
	proxy_watch(p, ev, EPOLLIN);
	if (ev->mask == 0)
		return nw_fail(err, errno, "epoll_ctl (the job's DNS)");
	return 0;
}

int proxy_dns_setup(struct proxy *p, nw_err *err)
{
	const struct proxy_opts *o = p->o;
	struct proxy_dns *d;

	if (o->dns_udp_fd < 0 && o->dns_tcp_fd < 0)
		return 0;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return nw_fail(err, ENOMEM, "the job's DNS");
	d->p = p;
	d->udp.fd = d->tcp.fd = -1;
	p->dns = d;
	if (o->dns_udp_fd >= 0 && add(p, &d->udp, o->dns_udp_fd, udp_event, err) < 0)
		return -1;
	if (o->dns_tcp_fd >= 0 && add(p, &d->tcp, o->dns_tcp_fd, tcp_accept_event, err) < 0)
		return -1;
	return 0;
}

void proxy_dns_watch(struct proxy *p, uint32_t mask)
{
	if (p->dns == NULL)
		return;
	proxy_watch(p, &p->dns->udp, mask);
	proxy_watch(p, &p->dns->tcp, mask);
}

void proxy_dns_tick(struct proxy *p, uint64_t now)
{
	struct dns_tcp *t, *next;

	if (p->dns == NULL)
		return;
	for (t = p->dns->conns; t != NULL; t = next) {
		next = t->next;
		if (t->busy == NULL && now > t->t_active && now - t->t_active >= T_DNS_IDLE)
			tcp_close(t);
	}
}

bool proxy_dns_idle(const struct proxy *p)
{
	return p->dns == NULL || (p->dns->conns == NULL && p->dns->npend == 0);
}

void proxy_dns_reap(struct proxy *p)
{
	if (p->dns == NULL)
		return;
	while (p->dns->dead != NULL) {
		struct dns_tcp *t = p->dns->dead;
		p->dns->dead = t->next;
		free(t);
	}
}

void proxy_dns_free(struct proxy *p)
{
	struct proxy_dns *d = p->dns;

	if (d == NULL)
		return;
	while (d->pend != NULL)
		pending_free(d->pend);
	while (d->conns != NULL)
		tcp_close(d->conns);
	proxy_dns_reap(p);
	if (d->udp.fd >= 0)
		close(d->udp.fd);
	if (d->tcp.fd >= 0)
		close(d->tcp.fd);
	free(d);
	p->dns = NULL;
}
