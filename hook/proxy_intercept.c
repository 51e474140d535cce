/* Intercepted connections: a job's program that ignores http_proxy opens
 * TCP to an origin's address, and the firewall redirects (DNAT) it to the
 * proxy's second listener. SO_ORIGINAL_DST gives the address the job
 * chose (conntrack's, under DNAT; TPROXY would need the proxy to own a
 * routing rule and IP_TRANSPARENT, a privilege it drops): only its port is
 * used. The first bytes say what to check: a TLS ClientHello is judged on
 * its server name (connect_ports), an HTTP/1.x request on its Host
 * (http_ports), each request of a kept-alive connection on its own. Then
 * the connection goes through the same steps as an explicit one (the
 * decision, the proxy's resolver, the address rules, the rate limit, the
 * log): the proxy connects to the name it checked, never to the address
 * the job chose. Anything else is closed, logged and counted. Bounded:
 * the first bytes must come within T_PEEK, a ClientHello must fit the
 * client buffer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "proxy_int.h"
#include "tls_sni.h"

#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST 80 /* linux/netfilter_ipv4.h, which clashes with libc's headers */
#endif

/* Until the first bytes are read: refusals close the connection. */
const struct conn_kind conn_kind_sniff = {0};
/* A TLS stream judged on its ClientHello's server name. */
const struct conn_kind conn_kind_tls = {
    .via = VIA_SNI,
    .connected = proxy_tunnel_run,
};

static void refuse(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Closes the connection, logged and counted as denied. */
static void refuse(struct conn *c, const char *fmt, ...)
{
	struct proxy_fail f;
	va_list ap;

	va_start(ap, fmt);
	proxy_fail_v(&f, 403, true, fmt, ap);
	va_end(ap);
	conn_fail(c, &f);
}

/* Does the stream start like an HTTP/1.x request line, a method (capitals,
 * as every registered one is) and a space? 1 yes, 0 not yet known, -1 no. */
static int looks_like_http(const char *d, size_t n)
{
	for (size_t i = 0; i < n && i <= HTTP_MAX_METHOD; i++) {
		if (d[i] == ' ')
			return i > 0 ? 1 : -1;
		if (d[i] < 'A' || d[i] > 'Z')
			return -1;
	}
	return n > HTTP_MAX_METHOD ? -1 : 0;
}

static void take_sni(struct conn *c)
{
	struct proxy_fail f;
	char host[DOMAIN_MAX + 1];
	bool is_ip;

	snprintf(c->method, sizeof(c->method), "TLS");
	if (proxy_policy_sni_host(c->sni->name, host, &is_ip, &f) != 0) {
		conn_fail(c, &f);
		return;
	}
	free(c->sni);
	c->sni = NULL;
	snprintf(c->host, sizeof(c->host), "%s", host);
	c->host_is_ip = is_ip;
	c->kind = &conn_kind_tls;
	conn_route(c);
}

static void judge_tls(struct conn *c, size_t from)
{
	int rc;

	snprintf(c->method, sizeof(c->method), "TLS");
	if (!proxy_peek_feed(c, from, &rc))
		return;
	switch (rc) {
	case TLS_SNI_MORE:
		if (buf_space(&c->cin) == 0 || c->client_eof)
			refuse(c, "netward: the TLS ClientHello intercepted to %s:%u %s", c->host,
			       c->port,
			       c->client_eof ? "ended early" : "is larger than netward reads");
		return;
	case TLS_SNI_FOUND:
		take_sni(c);
		return;
	case TLS_SNI_NONE:
		refuse(c,
		       "netward: the TLS ClientHello intercepted to %s:%u names no server "
		       "(SNI), as when a client connects to an IP address; netward checks names",
		       c->host, c->port);
		return;
	default:
		refuse(c, "netward: refused the TLS ClientHello intercepted to %s:%u: %s", c->host,
		       c->port, c->sni->why);
	}
}

/* Feeds what arrived since `from` and acts on the result. */
static void sniff(struct conn *c, size_t from)
{
	const char *d = c->cin.d + c->cin.off;

	if (c->cin.len == 0)
		return;
	if (tls_looks_like((const uint8_t *)d, c->cin.len)) {
		judge_tls(c, from);
		return;
	}
	switch (looks_like_http(d, c->cin.len)) {
	case 0:
		if (c->client_eof)
			break;
		return;
	case 1:
		/* An explicit request's kind: only how its head is read
		 * differs, and c->at_port says so. */
		c->kind = &conn_kind_http;
		conn_set_state(c, CS_HEAD);
		conn_head_parse(c);
		if (!c->closed && c->st == CS_HEAD)
			conn_update(c);
		return;
	default:
		break;
	}
	refuse(c, "netward: the connection intercepted to %s:%u is neither TLS nor HTTP/1.x",
	       c->host, c->port);
}

void intercept_start(struct conn *c)
{
	struct sockaddr_storage dst = {0}, local = {0};
	socklen_t dl = sizeof(dst), ll = sizeof(local);
	struct nw_addr da, la;

	c->kind = &conn_kind_sniff;
	c->t_start = c->t_head;
	if (getsockopt(c->cev.fd, SOL_IP, SO_ORIGINAL_DST, &dst, &dl) < 0 ||
	    dst.ss_family != AF_INET ||
	    getsockname(c->cev.fd, (struct sockaddr *)&local, &ll) < 0) {
		refuse(c, "netward: the intercepted connection's original destination is unknown "
			  "(no connection tracking entry)");
		return;
	}
	addr_from_sockaddr((struct sockaddr *)&dst, &da);
	addr_from_sockaddr((struct sockaddr *)&local, &la);
	c->port = ntohs(((struct sockaddr_in *)&dst)->sin_port);
	c->at_port = c->port;
	addr_str(&da, c->host, sizeof(c->host));
	c->host_is_ip = true;
	if (memcmp(da.a, la.a, 4) == 0 && la.family == AF_INET) {
		refuse(c,
		       "netward: a connection straight to the interception port (%s:%u) is "
		       "refused; only redirected ones are served",
		       c->host, c->port);
		return;
	}
	conn_set_state(c, CS_SNIFF);
	conn_update(c);
}

void sniff_event(struct conn *c, bool client, uint32_t events)
{
	size_t before = c->cin.len;
	ssize_t n;

	if (!client)
		return;
	n = conn_read(c, c->cev.fd, &c->cin, DIR_UP);
	if (n == -1 || (n == 0 && c->cin.len == 0)) {
		conn_close(c, "client closed");
		return;
	}
	if (n == 0)
		c->client_eof = true;
	sniff(c, before);
	if (!c->closed && c->st == CS_SNIFF)
		conn_update(c);
}

void sniff_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	if (!c->waiting[DIR_UP] && !c->client_eof)
		*cm |= EPOLLIN;
}

void sniff_timeout_check(struct conn *c, uint64_t now)
{
	if (now < c->t_state || now - c->t_state < T_PEEK)
		return;
	/* A client that has said nothing has asked for nothing. */
	if (c->cin.len == 0) {
		conn_close(c, "no request");
		return;
	}
	refuse(c,
	       "netward: the first bytes of the connection intercepted to %s:%u did not arrive "
	       "within %d ms",
	       c->host, c->port, T_PEEK);
}
