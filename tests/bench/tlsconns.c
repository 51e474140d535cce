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
 * the first byte back is a TLS handshake record (0x16). Built with conns.c.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conns.h"

/* The steps after connecting (step 0). */
enum { HEAD = 1, HELLO };

static char req[512];
static size_t reqlen;
static char hello[16384];
static size_t hellolen;
static int via_connect;

static int step(struct conn *c)
{
	if (c->step == 0) {
		const char *what = via_connect ? req : hello;
		size_t len = via_connect ? reqlen : hellolen;
		if (write(c->fd, what, len) != (ssize_t)len)
			return -1;
		c->step = via_connect ? HEAD : HELLO;
		return 0;
	}
	if (c->step == HELLO) {
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf) - 1);
		return n > 0 && c->buf[0] == 0x16 ? 1 : -1;
	}
	int r = conn_read_head(c);
	if (r <= 0)
		return r;
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
	struct sockaddr_in peer;

	if (argc != 8 || (strcmp(argv[1], "connect") != 0 && strcmp(argv[1], "direct") != 0)) {
		fprintf(
		    stderr,
		    "usage: tlsconns connect|direct IP PORT HOST:PORT|- HELLO_FILE CONC SECONDS\n");
		return 2;
	}
	via_connect = strcmp(argv[1], "connect") == 0;
	if (conns_peer(&peer, argv[2], argv[3]) < 0)
		return 2;
	reqlen = (size_t)snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
				  argv[4], argv[4]);
	if (load_hello(argv[5]) < 0) {
		fprintf(stderr, "tlsconns: %s holds no TLS record\n", argv[5]);
		return 2;
	}
	return conns_run(&peer, atoi(argv[6]), LONG_MAX, atof(argv[7]), step);
}
