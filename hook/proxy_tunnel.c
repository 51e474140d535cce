/* CONNECT tunnels: bytes both ways, through a pipe per direction with
 * splice(2) so they are never copied to user space, each read bounded by
 * the job's bucket for that direction; read/write when splice cannot. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"

/* Bytes moved per wakeup and direction. The pipes are grown to match
 * (best effort: past the per-user pipe quota the kernel keeps them small),
 * so a bulk tunnel costs a few syscalls per 256 KiB, not per 64 KiB. */
#define TUNNEL_CHUNK (256 * 1024)

static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";

static int src_fd(struct conn *c, enum dir d)
{
	return d == DIR_UP ? c->cev.fd : c->uev.fd;
}

static int dst_fd(struct conn *c, enum dir d)
{
	return d == DIR_UP ? c->uev.fd : c->cev.fd;
}

static struct buf *dbuf(struct conn *c, enum dir d)
{
	return d == DIR_UP ? &c->c2u : &c->u2c;
}

static bool *src_eof(struct conn *c, enum dir d)
{
	return d == DIR_UP ? &c->client_eof : &c->up_eof;
}

static bool *dst_shut(struct conn *c, enum dir d)
{
	return d == DIR_UP ? &c->up_shut : &c->client_shut;
}

static size_t pending(struct conn *c, enum dir d)
{
	return dbuf(c, d)->len + c->inpipe[d];
}

const struct conn_kind conn_kind_connect = {
    .via = VIA_CONNECT,
    .reuse_upstream = false,
    .http_errors = true,
    .connected = proxy_peek_start,
};

void proxy_tunnel_free(struct conn *c)
{
	free(c->sni);
	c->sni = NULL;
	for (int d = 0; d < 2; d++) {
		for (int i = 0; i < 2; i++) {
			if (c->pipe[d][i] >= 0)
				close(c->pipe[d][i]);
			c->pipe[d][i] = -1;
		}
		c->inpipe[d] = 0;
		c->use_splice[d] = false;
	}
}

void proxy_tunnel_start(struct conn *c)
{
	buf_put(&c->u2c, established, sizeof(established) - 1);
	proxy_tunnel_run(c);
}

void proxy_tunnel_run(struct conn *c)
{
	free(c->sni);
	c->sni = NULL;
	conn_set_state(c, CS_TUNNEL);
	c->status = 200;
	c->t_active = proxy_now_ms();
	/* What the client sent after its CONNECT head (or while its
	 * ClientHello was read) goes first. */
	buf_put(&c->c2u, c->cin.d + c->cin.off, c->cin.len);
	c->cin.off = c->cin.len = 0;
	for (int d = 0; d < 2; d++)
		c->use_splice[d] = true;
	proxy_tunnel_event(c, false, EPOLLOUT);
}

static int flush(struct conn *c, enum dir d)
{
	struct buf *b = dbuf(c, d);

	if (b->len > 0 && conn_write(c, dst_fd(c, d), b) < 0)
		return -1;
	if (b->len == 0 && c->inpipe[d] > 0) {
		ssize_t n = splice(c->pipe[d][0], NULL, dst_fd(c, d), NULL, c->inpipe[d],
				   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0) {
			c->inpipe[d] -= (size_t)n;
			c->t_active = proxy_now_ms();
		}
	}
	return 0;
}

/* Whether this read splices. A direction's first read copies through its
 * buffer and its pipe is made only once it has carried bytes, so a tunnel
 * that ends before any (a client that only checks it can connect) never
 * makes one; without a pipe (the descriptor limit) it copies throughout. */
static bool splice_now(struct conn *c, enum dir d)
{
	if (!c->use_splice[d] || !c->moved[d])
		return false;
	if (c->pipe[d][0] >= 0)
		return true;
	if (pipe2(c->pipe[d], O_NONBLOCK | O_CLOEXEC) < 0) {
		c->pipe[d][0] = c->pipe[d][1] = -1;
		c->use_splice[d] = false;
		return false;
	}
	fcntl(c->pipe[d][1], F_SETPIPE_SZ, TUNNEL_CHUNK);
	return true;
}

static int fill_splice(struct conn *c, enum dir d)
{
	size_t allow = proxy_allow(c->p, c, d, TUNNEL_CHUNK);
	ssize_t n;

	if (allow == 0)
		return 0;
	n = splice(src_fd(c, d), NULL, c->pipe[d][1], NULL, allow,
		   SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (errno == EINVAL || errno == ENOSYS) {
			c->use_splice[d] = false; /* read/write from now on */
			return 0;
		}
		return -1;
	}
	if (n == 0) {
		*src_eof(c, d) = true;
		return 0;
	}
	c->inpipe[d] += (size_t)n;
	proxy_spend(c->p, d, (size_t)n);
	if (d == DIR_UP)
		c->up_bytes += (size_t)n;
	else
		c->down_bytes += (size_t)n;
	c->t_active = proxy_now_ms();
	return 0;
}

static int pump(struct conn *c, enum dir d, uint32_t src_events)
{
	if (flush(c, d) < 0)
		return -1;
	if ((src_events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !*src_eof(c, d) &&
	    pending(c, d) == 0) {
		if (splice_now(c, d)) {
			if (fill_splice(c, d) < 0)
				return -1;
		} else {
			ssize_t n = conn_read(c, src_fd(c, d), dbuf(c, d), d);
			if (n == -1)
				return -1;
			if (n == 0)
				*src_eof(c, d) = true;
			if (n > 0)
				c->moved[d] = true;
		}
		if (flush(c, d) < 0)
			return -1;
	}
	if (*src_eof(c, d) && pending(c, d) == 0 && !*dst_shut(c, d)) {
		shutdown(dst_fd(c, d), SHUT_WR);
		*dst_shut(c, d) = true;
	}
	return 0;
}

void proxy_tunnel_event(struct conn *c, bool client, uint32_t events)
{
	uint32_t ce = client ? events : 0, ue = client ? 0 : events;

	if (pump(c, DIR_UP, ce) < 0 || pump(c, DIR_DOWN, ue) < 0) {
		conn_close(c, "tunnel broken");
		return;
	}
	if (c->client_eof && c->up_eof && pending(c, DIR_UP) == 0 && pending(c, DIR_DOWN) == 0) {
		conn_close(c, "");
		return;
	}
	/* A peer that hung up both ways while its data cannot move on yet
	 * would wake the loop forever. */
	if (((ce & (EPOLLHUP | EPOLLERR)) && pending(c, DIR_UP) > 0) ||
	    ((ue & (EPOLLHUP | EPOLLERR)) && pending(c, DIR_DOWN) > 0)) {
		conn_close(c, "peer gone");
		return;
	}
	conn_update(c);
}

void proxy_tunnel_interest(struct conn *c, uint32_t *cm, uint32_t *um)
{
	for (int i = 0; i < 2; i++) {
		enum dir d = (enum dir)i;
		uint32_t *srcm = d == DIR_UP ? cm : um, *dstm = d == DIR_UP ? um : cm;

		if (!*src_eof(c, d) && !c->waiting[d] && pending(c, d) == 0)
			*srcm |= EPOLLIN;
		if (pending(c, d) > 0)
			*dstm |= EPOLLOUT;
	}
}
