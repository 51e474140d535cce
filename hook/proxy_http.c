/* Plain HTTP forwarding on one client connection: the request body to the
 * origin, the response back, keep-alive on both sides. Bodies are streamed
 * and only their framing is followed, so the next request is found. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "proxy_int.h"

static size_t min_sz(size_t a, uint64_t b)
{
	return (uint64_t)a < b ? a : (size_t)b;
}

/* Moves body bytes from in to out by the framing; -1 when malformed. */
static int move_body(struct buf *in, struct buf *out, enum http_body body, uint64_t *left,
		     struct http_chunked *ch, bool *done)
{
	while (!*done && in->len > 0 && buf_space(out) > 0) {
		size_t n;

		buf_compact(out);
		n = min_sz(in->len, buf_room(out));
		if (body == HTTP_BODY_LENGTH) {
			n = min_sz(n, *left);
			*left -= n;
			*done = *left == 0;
		} else if (body == HTTP_BODY_CHUNKED) {
			size_t kept;
			ssize_t r;

			buf_wrote(out, n); /* it writes at most n */
			r = http_chunked_feed(ch, in->d + in->off, n, out->d + out->off + out->len,
					      &kept, done);
			if (r < 0)
				return -1;
			out->len += kept;
			in->off += (size_t)r;
			in->len -= (size_t)r;
			if (in->len == 0)
				in->off = 0;
			continue;
		}
		buf_put(out, in->d + in->off, n);
		in->off += n;
		in->len -= n;
		if (in->len == 0)
			in->off = 0;
	}
	return 0;
}

const struct conn_kind conn_kind_http = {
    .via = VIA_HTTP,
    .reuse_upstream = true,
    .http_errors = true,
    .connected = proxy_http_start,
};

void proxy_http_start(struct conn *c)
{
	conn_set_state(c, CS_FORWARD);
	c->up_keep = c->up_pool = false;
	c->rp = RP_HEAD;
	c->status = 0;
	c->resp_ka = false;
	memset(&c->resp_ch, 0, sizeof(c->resp_ch));
	proxy_http_event(c, false, EPOLLOUT);
}

static int parse_head(struct conn *c)
{
	struct http_resp *r = calloc(1, sizeof(*r));
	struct http_fail hf;
	struct proxy_fail f;
	bool ka;
	size_t n;
	int rc;

	if (r == NULL) {
		conn_close(c, "out of memory");
		return -1;
	}
	rc = http_parse_response(c->uin.d + c->uin.off, c->uin.len, c->head_method, r, &hf);
	if (rc < 0) {
		proxy_failed(&f, 502, "%s", hf.reason);
	} else if (rc == 0 && (c->up_eof || buf_space(&c->uin) == 0)) {
		rc = -1;
		proxy_failed(&f, 502, "netward: %s sent an incomplete response head", c->host);
	} else if (rc == 1 && r->status == 101) {
		rc = -1;
		proxy_failed(&f, 502,
			     "netward: %s switched protocols, which netward does not proxy",
			     c->host);
	}
	if (rc <= 0) {
		free(r);
		if (rc < 0)
			conn_fail(c, &f);
		return rc;
	}
	ka = c->client_ka && r->h.body != HTTP_BODY_CLOSE;
	buf_compact(&c->u2c);
	n = http_build_response(r, ka, c->u2c.d + c->u2c.off + c->u2c.len, buf_room(&c->u2c));
	buf_wrote(&c->u2c, n ? n : buf_room(&c->u2c)); /* as in take_request */
	if (n == 0) {
		free(r);
		proxy_failed(&f, 502, "netward: the origin's response head is too large");
		conn_fail(c, &f);
		return -1;
	}
	c->u2c.len += n;
	c->uin.off += r->h.head_len;
	c->uin.len -= r->h.head_len;
	c->status = r->status;
	if (r->status >= 200) {
		c->client_ka = ka;
		c->resp_ka = r->keep_alive;
		c->resp_body = r->h.body;
		c->resp_left = r->h.length;
		c->rp = r->h.body == HTTP_BODY_NONE ? RP_DONE : RP_BODY;
	}
	free(r);
	return 1;
}

/* Response bytes from uin to u2c; -1 when the connection was closed. */
static int process_response(struct conn *c)
{
	while (c->rp == RP_HEAD) {
		int rc;

		if (c->uin.len == 0 && c->up_eof) {
			struct proxy_fail f;
			if (conn_retry(c))
				return -1;
			proxy_failed(&f, 502, "netward: %s closed the connection without answering",
				     c->host);
			conn_fail(c, &f);
			return -1;
		}
		/* An interim response (100 Continue) goes out before the next head. */
		if (c->uin.len == 0 || c->u2c.len > 0)
			return 0;
		rc = parse_head(c);
		if (rc <= 0)
			return rc;
	}
	if (c->rp == RP_BODY) {
		bool done = false;

		if (move_body(&c->uin, &c->u2c, c->resp_body, &c->resp_left, &c->resp_ch, &done) <
		    0) {
			conn_close(c, "malformed chunked response");
			return -1;
		}
		if (c->resp_body == HTTP_BODY_CLOSE && c->up_eof && c->uin.len == 0)
			done = true;
		if (done)
			c->rp = RP_DONE;
		else if (c->up_eof && c->uin.len == 0) {
			conn_close(c, "origin closed mid-response");
			return -1;
		}
	}
	return 0;
}

/* The response is out. The connections are kept only when the request
 * was wholly forwarded: its body's framing ended and none of it still
 * waits in c2u (an origin may answer before reading the body). What is
 * left of a body belongs to this request and its upstream alone; a kept
 * client would send its next request, to any host, behind it. A kept
 * upstream waits for this client's next request, or in the pool once the
 * client goes or asks elsewhere (conn_release_upstream). */
static void finish(struct conn *c)
{
	bool forwarded = c->req_done && c->c2u.len == 0;
	bool ka = c->client_ka && forwarded && !c->client_eof;
	struct proxy_reuse_end e = {.status = c->status,
				    .body = c->resp_body,
				    .resp_done = c->rp == RP_DONE,
				    .origin_keeps = c->resp_ka,
				    .origin_eof = c->up_eof || c->uev.hup,
				    .extra = c->uin.len,
				    .req_forwarded = forwarded,
				    .req_body = c->req_body != HTTP_BODY_NONE};

	conn_log(c, true, "");
	c->up_keep = proxy_reuse_keep(&e);
	c->up_pool = proxy_reuse_pool(&e);
	if (!c->up_keep)
		conn_close_upstream(c);
	if (!ka) {
		conn_close(c, "done");
		return;
	}
	conn_set_state(c, CS_HEAD);
	c->scan = 0;
	c->t_head = c->t_active = proxy_now_ms();
	conn_update(c);
	conn_head_parse(c);
}

static void read_client(struct conn *c)
{
	ssize_t n = conn_read(c, c->cev.fd, &c->cin, DIR_UP);

	if (n == 0)
		c->client_eof = true;
	if (n == -1 || (n == 0 && !c->req_done))
		conn_close(c, n == 0 ? "client closed mid-request" : "client error");
}

/* The request body from cin to c2u and on to the origin; -1 when the
 * connection was closed or refused. */
static int move_request(struct conn *c)
{
	if (move_body(&c->cin, &c->c2u, c->req_body, &c->req_left, &c->req_ch, &c->req_done) < 0) {
		if (c->status == 0 && c->u2c.len == 0) {
			struct proxy_fail f;
			proxy_refuse(&f, 400, "netward: malformed chunked request body");
			conn_fail(c, &f);
		} else
			conn_close(c, "malformed chunked request body");
		return -1;
	}
	if (c->c2u.len > 0 && conn_write(c, c->uev.fd, &c->c2u) < 0) {
		struct proxy_fail f;
		proxy_failed(&f, 502, "netward: sending the request to %s failed: %s", c->host,
			     strerror(errno));
		if (c->status == 0 && conn_retry(c))
			return -1;
		if (c->status == 0)
			conn_fail(c, &f);
		else
			conn_close(c, "origin gone");
		return -1;
	}
	return 0;
}

/* Moves bytes both ways until nothing more moves. Then, in each direction,
 * the source buffer is empty (proxy_http_interest asks for a read) or bytes
 * wait in the destination buffer (it asks for a write): a partial move
 * never leaves bytes that only an event nobody asked for would move on.
 * Reads happen only on events; this only moves and writes, so it ends. */
static int move_all(struct conn *c)
{
	size_t last[4] = {SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX};
	enum resp_phase last_rp = c->rp;

	for (;;) {
		size_t now[4] = {c->cin.len, c->c2u.len, c->uin.len, c->u2c.len};

		if (memcmp(now, last, sizeof(now)) == 0 && c->rp == last_rp)
			return 0;
		memcpy(last, now, sizeof(last));
		last_rp = c->rp;
		if (move_request(c) < 0 || process_response(c) < 0)
			return -1;
		if (c->u2c.len > 0 && conn_write(c, c->cev.fd, &c->u2c) < 0) {
			conn_close(c, "client gone");
			return -1;
		}
		if (c->rp == RP_DONE && c->u2c.len == 0)
			return 0;
	}
}

void proxy_http_event(struct conn *c, bool client, uint32_t events)
{
	uint32_t ce = client ? events : 0, ue = client ? 0 : events;

	if ((ce & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c->req_done && !c->client_eof) {
		read_client(c);
		if (c->closed)
			return;
	} else if (ce & (EPOLLHUP | EPOLLERR)) {
		conn_close(c, "client gone");
		return;
	}
	if ((ue & (EPOLLIN | EPOLLHUP | EPOLLERR)) && c->rp != RP_DONE && !c->up_eof) {
		ssize_t n = conn_read(c, c->uev.fd, &c->uin, DIR_DOWN);
		if (n == 0 || n == -1)
			c->up_eof = true;
	}
	if (move_all(c) < 0)
		return;
	if (c->rp == RP_DONE && c->u2c.len == 0)
		finish(c);
	else
		conn_update(c);
}

/* Derived from the buffers alone (see move_all): a side is read when what
 * it sent before has all moved on, written when bytes wait for it. */
void proxy_http_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	if (!c->req_done && !c->client_eof && !c->waiting[DIR_UP] && c->cin.len == 0)
		*cm |= EPOLLIN;
	if (c->u2c.len > 0)
		*cm |= EPOLLOUT;
	if (c->c2u.len > 0)
		*um |= EPOLLOUT;
	if (c->rp != RP_DONE && !c->up_eof && !c->waiting[DIR_DOWN]) {
		/* A head is read whole into uin; an interim answer (100
		 * Continue) goes out before the next head is read. */
		bool room =
		    c->rp == RP_HEAD ? buf_space(&c->uin) > 0 && c->u2c.len == 0 : c->uin.len == 0;
		if (room)
			*um |= EPOLLIN;
	}
}
