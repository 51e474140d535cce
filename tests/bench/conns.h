/*
 * The bench clients' shared loop: CONC connections at once to one address,
 * each driven by the client's step function from connect to done, a new one
 * opened after each, until COUNT have started or SECONDS have passed. Built
 * with each client: cc -O2 -o NAME NAME.c conns.c.
 */
#ifndef BENCH_CONNS_H
#define BENCH_CONNS_H

#include <netinet/in.h>
#include <stddef.h>

#define CONNS_MAX 256

struct conn {
	int fd;
	int step; /* 0 while connecting (polled for writing), then the client's */
	size_t got;
	char buf[1024];
};

/* One step of a ready connection: 1 done, -1 failed, 0 more to come. */
typedef int (*conn_step_fn)(struct conn *c);

/* PEER from IP and PORT; -1 when IP is no IPv4 address. */
int conns_peer(struct sockaddr_in *peer, const char *ip, const char *port);

/* Reads more of an HTTP response head into c->buf: 1 once the head is whole
 * with status 200, -1 on another status, EOF, error or a head too long, 0
 * while more is to come. */
int conn_read_head(struct conn *c);

/* Runs the connections (CONC from 1 to CONNS_MAX) and prints
 * "OK FAILED SECONDS" on one line; 2 on bad arguments, else 0. */
int conns_run(const struct sockaddr_in *peer, int conc, long count, double seconds,
	      conn_step_fn step);

#endif
