/*
 * Fresh TLS connections per second, through a proxy's CONNECT or straight to
 * an address a redirect sends to the proxy (interception): CONC at once,
 * each connect -> [CONNECT HOST:PORT, read the 200 head] -> send the
 * ClientHello in HELLO_FILE -> read the server's first bytes (its
 * ServerHello) -> close, then a new one, until SECONDS have passed. The same
 * recorded ClientHello goes out every time: the server answers each one,
 * and the client does no cryptography, so its CPU stays out of the way.
 *
 *   tlsconns connect PROXY_IP PROXY_PORT HOST:PORT HELLO_FILE CONC SECONDS
 *   tlsconns direct  IP PORT - HELLO_FILE CONC SECONDS
 *
 * Prints "ok FAILED SECONDS" on one line. A connection counts as ok when
 * the first byte back is a TLS handshake record (0x16).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAXC 256

enum step { CONNECTING, HEAD, HELLO };

struct slot {
	int fd;
	enum step step;
	size_t got;
	char buf[1024];
};

static struct sockaddr_in peer;
static char req[512];
static size_t reqlen;
static char hello[16384];
static size_t hellolen;
static int via_connect;

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
	s->step = CONNECTING;
	s->got = 0;
	if (connect(s->fd, (struct sockaddr *)&peer, sizeof(peer)) < 0 && errno != EINPROGRESS) {
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	return 0;
}

/* One step of a connection: 1 done, -1 failed, 0 more to come. */
static int step(struct slot *c)
{
	ssize_t n;

	if (c->step == CONNECTING) {
		const char *what = via_connect ? req : hello;
		size_t len = via_connect ? reqlen : hellolen;
		if (write(c->fd, what, len) != (ssize_t)len)
			return -1;
		c->step = via_connect ? HEAD : HELLO;
		return 0;
	}
	n = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
	if (n <= 0)
		return -1;
	if (c->step == HELLO)
		return c->buf[0] == 0x16 ? 1 : -1;
	c->got += (size_t)n;
	c->buf[c->got] = 0;
	if (strstr(c->buf, "\r\n\r\n") == NULL)
		return c->got >= sizeof(c->buf) - 1 ? -1 : 0;
	if (strncmp(c->buf + 8, " 200", 4) != 0)
		return -1;
	if (write(c->fd, hello, hellolen) != (ssize_t)hellolen)
		return -1;
	c->step = HELLO;
	c->got = 0;
	return 0;
}

static int load_hello(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	hellolen = fread(hello, 1, sizeof(hello), f);
	fclose(f);
	return hellolen > 5 && hello[0] == 0x16 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc != 8 || (strcmp(argv[1], "connect") != 0 && strcmp(argv[1], "direct") != 0)) {
		fprintf(stderr, "usage: tlsconns connect|direct IP PORT HOST:PORT|- HELLO_FILE CONC SECONDS\n");
		return 2;
	}
	via_connect = strcmp(argv[1], "connect") == 0;
	memset(&peer, 0, sizeof(peer));
	peer.sin_family = AF_INET;
	peer.sin_port = htons((unsigned short)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &peer.sin_addr) != 1)
		return 2;
	reqlen = (size_t)snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[4],
				  argv[4]);
	if (load_hello(argv[5]) < 0) {
		fprintf(stderr, "tlsconns: %s holds no TLS record\n", argv[5]);
		return 2;
	}
	int conc = atoi(argv[6]);
	double limit = atof(argv[7]);
	if (conc < 1 || conc > MAXC)
		return 2;
	static struct slot s[MAXC];
	struct pollfd pf[MAXC];
	long ok = 0, failed = 0;
	double t0 = now();
	for (int i = 0; i < conc; i++) {
		s[i].fd = -1;
		open_one(&s[i]);
	}
	for (;;) {
		int live = 0;
		for (int i = 0; i < conc; i++) {
			pf[i].fd = s[i].fd;
			pf[i].events = s[i].step == CONNECTING ? POLLOUT : POLLIN;
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
			if (now() - t0 <= limit)
				open_one(c);
		}
	}
	double el = now() - t0;
	for (int i = 0; i < conc; i++)
		if (s[i].fd >= 0)
			close(s[i].fd);
	printf("%ld %ld %.3f\n", ok, failed, el);
	return 0;
}
