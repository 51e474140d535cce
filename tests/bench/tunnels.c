/*
 * Fresh CONNECT tunnels per second through an HTTP proxy: CONC connections at
 * once, each connect -> "CONNECT host:port" -> read the status line and head ->
 * close, then a new one, until COUNT tunnels or SECONDS have passed.
 *
 *   tunnels PROXY_IP PROXY_PORT HOST:PORT CONC COUNT SECONDS
 *
 * Prints "ok FAILED SECONDS" on one line. Built with conns.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conns.h"

static char req[512];
static size_t reqlen;

/* Step 0 sends the CONNECT, step 1 reads the head back. */
static int step(struct conn *c)
{
	if (c->step == 0) {
		if (write(c->fd, req, reqlen) != (ssize_t)reqlen)
			return -1;
		c->step = 1;
		return 0;
	}
	return conn_read_head(c);
}

int main(int argc, char **argv)
{
	struct sockaddr_in proxy;

	if (argc != 7) {
		fprintf(stderr,
			"usage: tunnels PROXY_IP PROXY_PORT HOST:PORT CONC COUNT SECONDS\n");
		return 2;
	}
	if (conns_peer(&proxy, argv[1], argv[2]) < 0)
		return 2;
	reqlen = (size_t)snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n",
				  argv[3], argv[3]);
	return conns_run(&proxy, atoi(argv[4]), atol(argv[5]), atof(argv[6]), step);
}
