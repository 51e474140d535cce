/*
 * Fresh CONNECT tunnels per second through an HTTP proxy: CONC connections at
 * once, each connect -> "CONNECT host:port" -> read the status line and head ->
 * close, then a new one, until COUNT tunnels or SECONDS have passed.
 *
 *   tunnels PROXY_IP PROXY_PORT HOST:PORT CONC COUNT SECONDS
 *
 * Prints "ok FAILED SECONDS" on one line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 256

struct slot {
	int fd;
	int sent;
	size_t got;
	char buf[1024];
};

static struct sockaddr_in proxy;
static char req[512];
static size_t reqlen;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_one(struct slot *s)
{
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->fd < 0)
		return -1;
	s->sent = 0;
	s->got = 0;
	if (connect(s->fd, (struct sockaddr *)&proxy, sizeof(proxy)) < 0 && errno != EINPROGRESS) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 7) {
		fprintf(stderr, "usage: tunnels PROXY_IP PROXY_PORT HOST:PORT CONC COUNT SECONDS\n");
		return 2;
	}
	memset(&proxy, 0, sizeof(proxy));
	proxy.sin_family = AF_INET;
	proxy.sin_port = htons((unsigned short)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &proxy.sin_addr) != 1)
		return 2;
	reqlen = (size_t)snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[3],
				  argv[3]);
	int conc = atoi(argv[4]);
	long count = atol(argv[5]);
	double limit = atof(argv[6]);
	if (conc < 1 || conc > MAXC)
		return 2;
	static struct slot s[MAXC];
	struct pollfd pf[MAXC];
	long ok = 0, failed = 0, started = 0;
	double t0 = now();
	for (int i = 0; i < conc; i++) {
		s[i].fd = -1;
		if (started < count && open_one(&s[i]) == 0)
			started++;
	}
	for (;;) {
		int live = 0;
		for (int i = 0; i < conc; i++) {
			pf[i].fd = s[i].fd;
			pf[i].events = s[i].sent ? POLLIN : POLLOUT;
			pf[i].revents = 0;
			if (s[i].fd >= 0)
				live++;
		}
		if (live == 0 || now() - t0 > limit)
			break;
		if (poll(pf, (nfds_t)conc, 1000) < 0)
			break;
		for (int i = 0; i < conc; i++) {
			struct slot *c = &s[i];
			int done = 0, bad = 0;
			if (c->fd < 0 || pf[i].revents == 0)
				continue;
			if (!c->sent) {
				if (write(c->fd, req, reqlen) != (ssize_t)reqlen)
					bad = 1;
				c->sent = 1;
			} else {
				ssize_t n = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
				if (n <= 0) {
					bad = 1;
				} else {
					c->got += (size_t)n;
					c->buf[c->got] = 0;
					if (strstr(c->buf, "\r\n\r\n")) {
						done = 1;
						if (strncmp(c->buf + 8, " 200", 4) != 0)
							bad = 1;
					} else if (c->got >= sizeof(c->buf) - 1) {
						bad = 1;
					}
				}
			}
			if (done || bad) {
				close(c->fd);
				c->fd = -1;
				if (bad)
					failed++;
				else
					ok++;
				if (started < count && now() - t0 <= limit && open_one(c) == 0)
					started++;
			}
		}
	}
	double el = now() - t0;
	for (int i = 0; i < conc; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	printf("%ld %ld %.3f\n", ok, failed, el);
	return 0;
}
