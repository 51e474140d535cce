/* A client connection: its life from accept to conn_close, the request
 * head, the decision, DNS, and connecting upstream, the same for every
 * kind of connection (struct conn_kind says what differs). Forwarding is
 * in proxy_http.c, tunnels in proxy_tunnel.c, a tunnel's ClientHello in
 * proxy_peek.c, intercepted connections' first bytes in
 * proxy_intercept.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accesslog.h"
#include "proxy_int.h"
#include "util.h"

static void client_event(struct proxy_ev *ev, uint32_t events);
static void upstream_event(struct proxy_ev *ev, uint32_t events);
static void start_connect(struct conn *c, const struct nw_addr *a);

struct conn *conn_new(struct proxy *p, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	/* Zeroed buffers: nothing uninitialised, and nothing of an earlier
	 * connection, can ever be echoed back (proxy_mem.c). Only the pages
	 * a connection touches cost anything: a tunnel that splices touches
	 * one, where calloc from a reused heap would clear all four buffers. */
	char *mem = c ? proxy_mem_get(p) : NULL;

	if (mem == NULL) {
		free(c);
		return NULL;
	}
	c->p = p;
	c->kind = &conn_kind_http;
	c->cin = (struct buf){.d = mem, .cap = PROXY_BUF};
	c->c2u = (struct buf){.d = mem + PROXY_BUF, .cap = PROXY_BUF};
	c->uin = (struct buf){.d = mem + 2 * PROXY_BUF, .cap = PROXY_BUF};
	c->u2c = (struct buf){.d = mem + 3 * PROXY_BUF, .cap = PROXY_BUF};
	c->cev = (struct proxy_ev){.fn = client_event, .fd = fd};
	c->uev = (struct proxy_ev){.fn = upstream_event, .fd = -1};
	for (int d = 0; d < 2; d++)
		c->pipe[d][0] = c->pipe[d][1] = -1;
	c->t_state = c->t_active = c->t_head = proxy_now_ms();
	c->st = CS_HEAD;
	c->next = p->conns;
	if (p->conns)
		p->conns->prev = c;
	p->conns = c;
	p->nconns++;
	p->stats.dirty = true;
	conn_update(c);
	return c;
}

void conn_close_upstream(struct conn *c)
{
	resolve_cancel(c->dnsq);
	if (c->uev.fd >= 0)
		proxy_close_fd(&c->uev);
	c->up_host[0] = '\0';
	c->up_eof = c->up_shut = c->up_keep = c->up_pool = false;
	c->uin.off = c->uin.len = 0;
}

void conn_release_upstream(struct conn *c)
{
	if (c->up_pool && c->uev.fd >= 0 && !c->uev.hup)
		proxy_pool_park(c);
	else
		conn_close_upstream(c);
}

bool conn_retry(struct conn *c)
{
	struct nw_addr a = c->up_addr;

	if (!c->up_reused || c->retried ||
	    !proxy_reuse_retry(c->method, c->req_body, c->down_bytes))
		return false;
	c->retried = true;
	conn_close_upstream(c);
	/* A request without a body put its head alone at the start of c2u
	 * (take_request), and sending only moves the offset: the same bytes
	 * go out again. */
	c->c2u.off = 0;
	c->c2u.len = c->req_head;
	start_connect(c, &a);
	return true;
}

/* The one way a connection ends; safe to call twice. The memory is freed
 * by the loop after the current batch of events (reap, in proxy.c), so neither
 * a handler up the stack nor a later event in the batch sees it freed. */
void conn_close(struct conn *c, const char *reason)
{
	struct proxy *p = c->p;

	if (c->closed)
		return;
	if ((c->st == CS_TUNNEL || c->st == CS_FORWARD || c->st == CS_PEEK) && c->method[0] != '\0')
		conn_log(c, true, reason);
	c->closed = true;
	proxy_unwait(p, c);
	conn_release_upstream(c);
	proxy_tunnel_free(c);
	proxy_close_fd(&c->cev);
	if (c->prev)
		c->prev->next = c->next;
	else
		p->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = NULL;
	c->next = p->dead;
	p->dead = c;
	p->nconns--;
	p->stats.dirty = true;
}

void conn_free(struct conn *c)
{
	proxy_mem_put(c);
	free(c);
}

void conn_set_state(struct conn *c, enum conn_state st)
{
	c->st = st;
	c->t_state = proxy_now_ms();
}

void conn_log(struct conn *c, bool allow, const char *reason)
{
	const struct proxy_opts *o = c->p->o;
	struct accesslog_entry e = {
	    .job = o->job_id,
	    .container = o->container_id ? o->container_id : o->job_id,
	    .method = c->method[0] ? c->method : "-",
	    .host = c->host[0] ? c->host : "-",
	    .reason = reason,
	    .port = c->port,
	    .allow = allow,
	    .report = allow && c->reported,
	    .status = c->status,
	    .up = c->up_bytes,
	    .down = c->down_bytes,
	    .ms = proxy_now_ms() - c->t_start,
	};

	accesslog_write(&c->p->alog, &e, proxy_now_ms());
	if (allow && c->reported)
		c->p->stats.reported++;
	else if (allow)
		c->p->stats.allowed++;
	else
		c->p->stats.denied++;
	c->p->stats.dirty = true;
	c->method[0] = '\0'; /* logged: conn_close must not log it again */
}

void conn_fail(struct conn *c, const struct proxy_fail *f)
{
	char resp[HTTP_REASON_MAX + 256];
	size_t n = http_error_response(f->status, f->reason, resp, sizeof(resp));

	if (c->t_start == 0)
		c->t_start = c->t_head;
	c->status = f->status;
	if (!c->kind->http_errors) {
		conn_log(c, !f->denied, f->reason);
		conn_close(c, f->reason);
		return;
	}
	conn_log(c, !f->denied, f->reason);
	conn_release_upstream(c);
	proxy_tunnel_free(c);
	proxy_unwait(c->p, c);
	c->c2u.off = c->c2u.len = 0;
	c->u2c.off = c->u2c.len = 0;
	buf_put(&c->u2c, resp, n);
	c->client_ka = false;
	conn_set_state(c, CS_ERROR);
	conn_update(c);
}

void conn_dns_timeout(struct conn *c)
{
	struct proxy_fail f;

	proxy_failed(&f, 504, "netward: DNS lookup of %s timed out", c->host);
	conn_fail(c, &f);
}

ssize_t conn_read(struct conn *c, int fd, struct buf *b, enum dir d)
{
	size_t room, allow;
	ssize_t n;

	buf_compact(b);
	room = buf_room(b);
	if (room == 0)
		return -2;
	allow = proxy_allow(c->p, c, d, room);
	if (allow == 0)
		return -2;
	n = read(fd, b->d + b->off + b->len, allow);
	if (n < 0) {
		buf_wrote(b, allow);
		return errno == EAGAIN || errno == EINTR ? -2 : -1;
	}
	b->len += (size_t)n;
	buf_wrote(b, 0);
	proxy_spend(c->p, d, (size_t)n);
	if (d == DIR_UP)
		c->up_bytes += (size_t)n;
	else
		c->down_bytes += (size_t)n;
	if (n > 0)
		c->t_active = proxy_now_ms();
	return n;
}

ssize_t conn_write(struct conn *c, int fd, struct buf *b)
{
	ssize_t n;

	if (b->len == 0)
		return 0;
	n = send(fd, b->d + b->off, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	b->off += (size_t)n;
	b->len -= (size_t)n;
	if (b->len == 0)
		b->off = 0;
	c->t_active = proxy_now_ms();
	return n;
}

static void start_connect(struct conn *c, const struct nw_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = addr_to_sockaddr(a, c->port, &ss);
	int fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	struct proxy_fail f;

	if (fd < 0) {
		proxy_failed(&f, 502, "netward: no socket for %s: %s", c->host, strerror(errno));
		conn_fail(c, &f);
		return;
	}
	c->uev.fd = fd;
	c->up_reused = false;
	c->up_addr = *a;
	snprintf(c->up_host, sizeof(c->up_host), "%s", c->host);
	c->up_port = c->port;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 && errno != EINPROGRESS) {
		char as[64];
		proxy_failed(&f, 502, "netward: connecting to %s (%s:%u) failed: %s", c->host,
			     addr_str(a, as, sizeof(as)), c->port, strerror(errno));
		conn_fail(c, &f);
		return;
	}
	conn_set_state(c, CS_CONNECT);
	conn_update(c);
}

static void on_resolved(void *arg, enum resolve_status st, const struct resolve_answer *ans,
			const char *detail)
{
	struct conn *c = arg;
	struct proxy_fail f;
	struct nw_addr pick;

	switch (st) {
	case RESOLVE_OK:
		if (proxy_policy_addrs(c->p->o, c->p->deny, &c->p->node_check, c->host, c->port,
				       ans, &pick, &f) != 0) {
			conn_fail(c, &f);
		} else if (c->kind->reuse_upstream && proxy_pool_take(c, &pick)) {
			c->up_reused = true;
			c->kind->connected(c);
		} else {
			start_connect(c, &pick);
		}
		return;
	case RESOLVE_NXDOMAIN:
		proxy_failed(&f, 502, "netward: DNS says %s does not exist (NXDOMAIN)", c->host);
		break;
	case RESOLVE_NODATA:
		proxy_failed(&f, 502, "netward: DNS has no address for %s", c->host);
		break;
	case RESOLVE_TIMEOUT:
		conn_dns_timeout(c);
		return;
	default:
		proxy_failed(&f, 502, "netward: DNS lookup of %s failed: %s", c->host, detail);
	}
	conn_fail(c, &f);
}

/* Is the kept upstream still open? A closed one shows EOF to a peek. */
static bool upstream_alive(struct conn *c)
{
	char b;
	ssize_t n;

	if (c->uev.fd < 0 || c->up_eof || strcmp(c->up_host, c->host) != 0 || c->up_port != c->port)
		return false;
	n = recv(c->uev.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void conn_route(struct conn *c)
{
	cleanup_err nw_err err = NULL;
	struct proxy_fail f;
	struct resolve_answer ans = {0};

	if (proxy_policy_name(c->p->o, c->host, c->host_is_ip, c->port, c->kind->via, &c->reported,
			      &f) != 0) {
		conn_fail(c, &f);
		return;
	}
	if (c->kind->reuse_upstream && upstream_alive(c)) {
		c->up_reused = true;
		c->kind->connected(c);
		return;
	}
	conn_release_upstream(c);
	if (c->host_is_ip) {
		if (addr_parse(c->host, &ans.addrs[0], &err) < 0) {
			proxy_refuse(&f, 400, "netward: invalid IP address");
			conn_fail(c, &f);
			return;
		}
		ans.n = 1;
		on_resolved(c, RESOLVE_OK, &ans, "");
		return;
	}
	if (resolve_cached(c->p->res, c->host, &ans) > 0) {
		on_resolved(c, RESOLVE_OK, &ans, "");
		return;
	}
	conn_set_state(c, CS_RESOLVE);
	if (resolve_lookup(c->p->res, c->host, on_resolved, c, &c->dnsq, &err) < 0) {
		proxy_failed(&f, 502, "netward: DNS lookup of %s failed: %s", c->host,
			     nw_err_msg(err));
		conn_fail(c, &f);
		return;
	}
	conn_update(c);
}

static void take_request(struct conn *c, const struct http_req *r)
{
	size_t n = 0;

	snprintf(c->method, sizeof(c->method), "%s", r->method);
	snprintf(c->host, sizeof(c->host), "%s", r->host);
	c->host_is_ip = r->host_is_ip;
	c->port = r->port;
	if (r->connect)
		c->kind = &conn_kind_connect;
	c->head_method = r->head_method;
	c->client_ka = r->keep_alive;
	c->req_body = r->h.body;
	c->req_left = r->h.length;
	memset(&c->req_ch, 0, sizeof(c->req_ch));
	c->req_done = r->h.body == HTTP_BODY_NONE;
	c->retried = false;
	c->up_bytes = r->h.head_len; /* the head was counted as it came in; log it per request */
	c->down_bytes = 0;
	c->t_start = c->t_head;
	/* A request starts with nothing queued for any upstream: finish()
	 * keeps a client only once all it sent is forwarded. */
	if (c->c2u.len > 0) {
		conn_close(c, "request body left unforwarded");
		return;
	}
	if (!r->connect) {
		buf_compact(&c->c2u);
		n = http_build_request(r, c->p->o->cfg->job_id_header, c->p->o->job_id,
				       c->c2u.d + c->c2u.off + c->c2u.len, buf_room(&c->c2u));
		/* It writes what it returns, or some of the room when it
		 * returns 0 (too large). */
		buf_wrote(&c->c2u, n ? n : buf_room(&c->c2u));
	}
	c->cin.off += r->h.head_len;
	c->cin.len -= r->h.head_len;
	if (!r->connect && n == 0) {
		struct proxy_fail f;
		proxy_refuse(&f, 431, "netward: the rewritten request head is too large");
		conn_fail(c, &f);
		return;
	}
	c->c2u.len += n;
	c->req_head = n;
	conn_route(c);
}

void conn_head_parse(struct conn *c)
{
	struct http_req *r;
	struct http_fail hf;
	struct proxy_fail f;
	const char *buf = c->cin.d + c->cin.off;
	int rc;

	if (c->cin.len == 0)
		return;
	if (!http_new_line(buf, c->cin.len, &c->scan) && buf_room(&c->cin) > 0 &&
	    c->cin.len <= HTTP_MAX_HEAD)
		return;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		proxy_failed(&f, 503, "netward: out of memory");
		conn_fail(c, &f);
		return;
	}
	rc = http_parse_request_at(buf, c->cin.len, c->at_port, r, &hf);
	if (rc == 0 && (buf_room(&c->cin) == 0 || c->cin.len > HTTP_MAX_HEAD))
		rc = -1, hf.status = 431,
		snprintf(hf.reason, sizeof(hf.reason), "netward: request head too large");
	if (rc < 0) {
		c->method[0] = '\0';
		c->host[0] = '\0';
		c->port = 0;
		c->up_bytes = c->cin.len;
		proxy_refuse(&f, hf.status, "%s", hf.reason);
		conn_fail(c, &f);
	} else if (rc == 1) {
		c->scan = 0;
		take_request(c, r);
	}
	free(r);
}

static void head_event(struct conn *c, bool client, uint32_t events)
{
	ssize_t n;

	if (!client) {
		/* The idle kept upstream was closed or broke. */
		conn_close_upstream(c);
		return;
	}
	n = conn_read(c, c->cev.fd, &c->cin, DIR_UP);
	if (n == 0 || n == -1) {
		conn_close(c, "client closed");
		return;
	}
	if (n > 0 && c->cin.len == (size_t)n)
		c->t_head = proxy_now_ms();
	conn_head_parse(c);
	if (!c->closed)
		conn_update(c);
}

static void connect_event(struct conn *c, bool client, uint32_t events)
{
	int e = 0;
	socklen_t el = sizeof(e);
	struct proxy_fail f;
	char as[64];

	if (client) {
		conn_close(c, "client closed");
		return;
	}
	/* A connect that failed reports EPOLLERR (and EPOLLHUP); without
	 * either, EPOLLOUT means connected and there is no error to fetch. */
	if ((events & (EPOLLERR | EPOLLHUP)) &&
	    getsockopt(c->uev.fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
		e = errno;
	if (e != 0) {
		proxy_failed(&f, 502, "netward: connecting to %s (%s:%u) failed: %s", c->host,
			     addr_str(&c->up_addr, as, sizeof(as)), c->port, strerror(e));
		conn_fail(c, &f);
		return;
	}
	c->kind->connected(c);
}

static void error_event(struct conn *c, bool client, uint32_t events)
{
	char sink[4096];
	ssize_t n;

	if (!client)
		return;
	if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN)) {
		conn_close(c, "client gone");
		return;
	}
	if (c->u2c.len > 0 && conn_write(c, c->cev.fd, &c->u2c) < 0) {
		conn_close(c, "client gone");
		return;
	}
	if (c->u2c.len > 0)
		return;
	if (!c->lingering) {
		/* Half-close and drain briefly, so unread input does not turn
		 * the close into a reset that eats our error response. */
		shutdown(c->cev.fd, SHUT_WR);
		c->lingering = true;
		c->t_state = proxy_now_ms();
	}
	while ((n = recv(c->cev.fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0) {
		c->drained += (size_t)n;
		if (c->drained > 65536)
			break;
	}
	if (n == 0 || (n < 0 && errno != EAGAIN) || c->drained > 65536)
		conn_close(c, "refused");
	else
		conn_update(c);
}

/* Only hang-ups and errors arrive while nothing is asked for. */
static void resolve_event(struct conn *c, bool client, uint32_t events)
{
	if (client)
		conn_close(c, "client closed");
}

static void head_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	*cm = c->waiting[DIR_UP] ? 0 : EPOLLIN;
}

static void resolve_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
}

static void connect_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	*um = EPOLLOUT;
}

static void error_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	*cm = c->u2c.len ? EPOLLOUT : EPOLLIN;
}

/* One handler per state: what an event on either socket does, and which
 * events to ask for next. */
static const struct {
	void (*event)(struct conn *c, bool client, uint32_t events);
	void (*interest)(struct conn *c, uint32_t *cm, uint32_t *um);
} states[CS_NSTATES] = {
    [CS_HEAD] = {head_event, head_interest},
    [CS_RESOLVE] = {resolve_event, resolve_interest},
    [CS_CONNECT] = {connect_event, connect_interest},
    [CS_PEEK] = {proxy_peek_event, proxy_peek_interest},
    [CS_SNIFF] = {sniff_event, sniff_interest},
    [CS_FORWARD] = {proxy_http_event, proxy_http_interest},
    [CS_TUNNEL] = {proxy_tunnel_event, proxy_tunnel_interest},
    [CS_ERROR] = {error_event, error_interest},
};

static void client_event(struct proxy_ev *ev, uint32_t events)
{
	struct conn *c = container_of(ev, struct conn, cev);

	if (!c->closed)
		states[c->st].event(c, true, events);
}

static void upstream_event(struct proxy_ev *ev, uint32_t events)
{
	struct conn *c = container_of(ev, struct conn, uev);

	if (!c->closed)
		states[c->st].event(c, false, events);
}

void conn_update(struct conn *c)
{
	uint32_t cm = 0, um = 0;

	if (c->closed)
		return;
	states[c->st].interest(c, &cm, &um);
	proxy_watch(c->p, &c->cev, cm);
	if (c->uev.fd >= 0)
		proxy_watch(c->p, &c->uev, um);
}

/* How long ago t was at now; 0 when t is later: a handler of this tick
 * (a DNS answer or timeout delivered by resolve_tick) may have stamped
 * the connection after the tick read the clock. Unsigned, a negative
 * difference would read as a timeout long passed. */
static uint64_t ago(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

void conn_timeout_check(struct conn *c, uint64_t now)
{
	uint64_t since = ago(now, c->t_state), idle = ago(now, c->t_active);

	switch (c->st) {
	case CS_HEAD:
		if (c->cin.len == 0 && c->t_start != 0 && idle >= T_IDLE)
			conn_close(c, "idle keep-alive");
		else if ((c->cin.len > 0 || c->t_start == 0) && ago(now, c->t_head) >= T_HEAD) {
			if (c->cin.len == 0)
				conn_close(c, "no request");
			else {
				struct proxy_fail f;
				proxy_refuse(&f, 408, "netward: the request head took too long");
				conn_fail(c, &f);
			}
		}
		break;
	case CS_RESOLVE:
		if (since >= T_DNS)
			conn_dns_timeout(c);
		break;
	case CS_CONNECT:
		if (since >= T_CONNECT) {
			struct proxy_fail f;
			char as[64];
			proxy_failed(&f, 504, "netward: connecting to %s (%s:%u) timed out",
				     c->host, addr_str(&c->up_addr, as, sizeof(as)), c->port);
			conn_fail(c, &f);
		}
		break;
	case CS_PEEK:
		proxy_peek_timeout_check(c, now);
		break;
	case CS_SNIFF:
		sniff_timeout_check(c, now);
		break;
	case CS_FORWARD:
	case CS_TUNNEL:
		if (c->u2c.len + c->inpipe[DIR_DOWN] > 0 && idle >= T_STUCK)
			conn_close(c, "client stopped reading");
		else if ((c->client_eof || c->up_eof) && idle >= T_HALF)
			conn_close(c, "half-open idle");
		else if (idle >= T_TUNNEL)
			conn_close(c, "idle");
		break;
	case CS_ERROR:
		if (since >= (c->lingering ? T_LINGER : T_STUCK))
			conn_close(c, "refused");
		break;
	default:
		break;
	}
}
