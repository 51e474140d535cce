/* The bench clients' shared connection loop (conns.h). */
#include "conns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int conns_peer(struct sockaddr_in *peer, const char *ip, const char *port)
{
	memset(peer, 0, sizeof(*peer));
	peer->sin_family = AF_INET;
	peer->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, ip, &peer->sin_addr) == 1 ? 0 : -1;
}

static int open_one(struct conn *c, const struct sockaddr_in *peer)
{
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0)
		return -1;
	c->step = 0;
	c->got = 0;
	if (connect(c->fd, (const struct sockaddr *)peer, sizeof(*peer)) < 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

int conn_read_head(struct conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
	if (n <= 0)
		return -1;
	c->got += (size_t)n;
	c->buf[c->got] = 0;
	if (strstr(c->buf, "\r\n\r\n") == NULL)
		return c->got >= sizeof(c->buf) - 1 ? -1 : 0;
	return strncmp(c->buf + 8, " 200", 4) == 0 ? 1 : -1;
}

int conns_run(const struct sockaddr_in *peer, int conc, long count, double seconds,
	      conn_step_fn step)
{
	static struct conn s[CONNS_MAX];
	struct pollfd pf[CONNS_MAX];
	long ok = 0, failed = 0, started = 0;

	if (conc < 1 || conc > CONNS_MAX)
		return 2;
	double t0 = now();
	for (int i = 0; i < conc; i++) {
		s[i].fd = -1;
		if (started < count && open_one(&s[i], peer) == 0)
			started++;
	}
	for (;;) {
		int live = 0;
		for (int i = 0; i < conc; i++) {
			pf[i].fd = s[i].fd;
			pf[i].events = s[i].step == 0 ? POLLOUT : POLLIN;
			pf[i].revents = 0;
			if (s[i].fd >= 0)
				live++;
		}
		if (live == 0 || now() - t0 > seconds)
			break;
		if (poll(pf, (nfds_t)conc, 1000) < 0)
			break;
		for (int i = 0; i < conc; i++) {
			struct conn *c = &s[i];
			if (c->fd < 0 || pf[i].revents == 0)
				continue;
			int r = step(c);
			if (r == 0)
				continue;
			close(c->fd);
			c->fd = -1;
			if (r < 0)
				failed++;
			else
				ok++;
			if (started < count && now() - t0 <= seconds && open_one(c, peer) == 0)
				started++;
		}
	}
	double el = now() - t0;
	for (int i = 0; i < conc; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	printf("%ld %ld %.3f\n", ok, failed, el);
	return 0;
}
