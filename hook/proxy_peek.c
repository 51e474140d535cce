/* The first bytes of a CONNECT tunnel, before any reach the origin: when
 * they are a TLS ClientHello, its server name takes the same decision as
 * the CONNECT's own host (proxy_policy_sni), so an allowed host cannot
 * carry a TLS session for a name the job's list does not cover. Bytes that
 * are not TLS, and a server that speaks first, pass as before. Bounded:
 * the hello must fit the client buffer and arrive within T_PEEK. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "proxy_int.h"
#include "tls_sni.h"

static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static void deny(struct conn *c, const char *reason)
{
	c->status = 403;
	conn_log(c, false, reason);
	conn_close(c, reason);
}

/* Feeds what arrived since `from` and acts on the result. */
bool proxy_peek_feed(struct conn *c, size_t from, int *rc)
{
	const uint8_t *d = (const uint8_t *)c->cin.d + c->cin.off;

	if (c->sni == NULL) {
		c->sni = malloc(sizeof(*c->sni));
		if (c->sni == NULL) {
			conn_close(c, "out of memory");
			return false;
		}
		tls_sni_init(c->sni);
		from = 0;
	}
	*rc = tls_sni_feed(c->sni, d + from, c->cin.len - from);
	return true;
}

static void judge(struct conn *c, size_t from)
{
	const uint8_t *d = (const uint8_t *)c->cin.d + c->cin.off;
	char reason[PROXY_REASON_MAX];
	struct proxy_fail f;
	bool rep = false;
	int rc;

	if (c->cin.len == 0)
		return;
	if (!tls_looks_like(d, c->cin.len)) {
		proxy_tunnel_run(c);
		return;
	}
	/* Allocated only for a stream that starts like TLS: other tunnels,
	 * and a client that only checks it can connect, never pay for it. */
	if (!proxy_peek_feed(c, from, &rc))
		return;
	switch (rc) {
	case TLS_SNI_MORE:
		if (buf_space(&c->cin) == 0 || c->client_eof) {
			snprintf(reason, sizeof(reason),
				 "netward: the TLS ClientHello in the tunnel to %s %s", c->host,
				 c->client_eof ? "ended early" : "is larger than netward reads");
			deny(c, reason);
		}
		return;
	case TLS_SNI_FOUND:
		if (proxy_policy_sni(c->p->o, c->sni->name, c->port, &rep, &f) != 0) {
			size_t l = strlen(f.reason);
			snprintf(f.reason + l, sizeof(f.reason) - l, " (in a CONNECT tunnel to %s)",
				 c->host);
			deny(c, f.reason);
			return;
		}
		/* A server name outside the job's list that report mode let
		 * through makes the tunnel a reported one. */
		c->reported |= rep;
		proxy_tunnel_run(c);
		return;
	case TLS_SNI_NONE:
		/* No name to front with: the tunnel goes to the host checked. */
		proxy_tunnel_run(c);
		return;
	default:
		snprintf(reason, sizeof(reason),
			 "netward: refused the TLS ClientHello in the tunnel to %s: %s", c->host,
			 c->sni->why);
		deny(c, reason);
	}
}

void proxy_peek_start(struct conn *c)
{
	conn_set_state(c, CS_PEEK);
	c->status = 200;
	c->t_active = proxy_now_ms();
	buf_put(&c->u2c, established, sizeof(established) - 1);
	if (conn_write(c, c->cev.fd, &c->u2c) < 0) {
		conn_close(c, "client gone");
		return;
	}
	/* What the client sent after its CONNECT head is the stream's start. */
	judge(c, 0);
	if (!c->closed && c->st == CS_PEEK)
		conn_update(c);
}

void proxy_peek_event(struct conn *c, bool client, uint32_t events)
{
	size_t before = c->cin.len;
	ssize_t n;

	if (!client) {
		/* A server that speaks first is not waiting for a ClientHello;
		 * one that hangs up mid-hello ends the tunnel. */
		if (c->cin.len == 0)
			proxy_tunnel_run(c);
		else
			conn_close(c, "upstream closed");
		return;
	}
	if (c->u2c.len > 0 && conn_write(c, c->cev.fd, &c->u2c) < 0) {
		conn_close(c, "client gone");
		return;
	}
	n = conn_read(c, c->cev.fd, &c->cin, DIR_UP);
	if (n == -1) {
		conn_close(c, "client closed");
		return;
	}
	if (n == 0) {
		c->client_eof = true;
		if (c->cin.len == 0) {
			proxy_tunnel_run(c);
			return;
		}
	}
	judge(c, before);
	if (!c->closed && c->st == CS_PEEK)
		conn_update(c);
}

void proxy_peek_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	if (!c->waiting[DIR_UP] && !c->client_eof)
		*cm |= EPOLLIN;
	if (c->u2c.len > 0)
		*cm |= EPOLLOUT;
	if (c->cin.len == 0)
		*um |= EPOLLIN;
}

void proxy_peek_timeout_check(struct conn *c, uint64_t now)
{
	char reason[PROXY_REASON_MAX];

	if (now - c->t_state < T_PEEK)
		return;
	/* A client that has said nothing has sent nothing to check. */
	if (c->cin.len == 0) {
		proxy_tunnel_run(c);
		return;
	}
	snprintf(reason, sizeof(reason),
		 "netward: the TLS ClientHello in the tunnel to %s did not arrive within %d ms",
		 c->host, T_PEEK);
	deny(c, reason);
}
