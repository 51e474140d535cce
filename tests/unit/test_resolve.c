/* The resolver's timing against the proxy's DNS limit, and a lookup against
 * a server that never answers, on a real epoll set and loopback socket. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "proxy_int.h"
#include "resolve.h"
#include "unit.h"

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* c-ares gives up before the proxy's own limit, however many servers
 * there are: c-ares is asked about its timeouts once a tick, so it answers
 * up to a tick late (two on a loaded machine), and must still come first. */
static void test_timing_within_limit(void)
{
	for (size_t n = 1; n <= 16; n++) {
		struct resolve_timing t = resolve_timing_for(n, T_DNS_RESOLVER);
		unsigned total = resolve_timing_total(t, n);

		CHECK(t.tries >= 1);
		CHECK(t.try_ms >= 1);
		CHECK(total <= T_DNS_RESOLVER);
		CHECK(total + 2 * PROXY_TICK_MS < T_DNS);
		if (n == 1)
			CHECK(t.tries == 2); /* one retry against a lost datagram */
	}
}

/* A UDP socket on loopback that takes queries and never answers them. */
static int silent_server(struct nw_dns_server *s)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0)
		return -1;
	memset(s, 0, sizeof(*s));
	s->addr.family = AF_INET;
	memcpy(s->addr.a, &sin.sin_addr, 4);
	s->port = ntohs(sin.sin_port);
	return fd;
}

struct outcome {
	int calls;
	enum resolve_status st;
};

static void on_done(void *arg, enum resolve_status st, const struct resolve_answer *ans,
		    const char *detail)
{
	struct outcome *o = arg;

	o->calls++;
	o->st = st;
}

/* With the server silent, the lookup ends in RESOLVE_TIMEOUT within its
 * budget plus the tick interval the test calls resolve_tick at. */
static void test_silent_server_times_out_in_budget(void)
{
	const unsigned budget = 600;
	struct nw_dns_server s;
	int srv = silent_server(&s), ep = epoll_create1(EPOLL_CLOEXEC);
	struct resolve_query *q = NULL;
	struct outcome o = {0};
	nw_err err = NULL;
	struct resolver *r;
	uint64_t t0, took;

	CHECK(srv >= 0 && ep >= 0);
	r = resolve_new(&s, 1, budget, ep, &err);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	t0 = ms_now();
	CHECK(resolve_lookup(r, "silent.test", on_done, &o, &q, &err) == 0);
	while (o.calls == 0 && ms_now() - t0 < 4 * budget) {
		usleep(PROXY_TICK_MS * 1000 / 5);
		resolve_tick(r);
		resolve_reap(r);
	}
	took = ms_now() - t0;
	CHECK(o.calls == 1);
	CHECK(o.st == RESOLVE_TIMEOUT);
	CHECK(q == NULL);
	CHECK(took <= budget + PROXY_TICK_MS);
	resolve_free(r);
	close(srv);
	close(ep);
}

/* One batch of epoll events, as the proxy's loop sees it: the batch holds
 * an event for a c-ares socket; before it is dispatched, an earlier handler
 * of the batch lets c-ares time the query out (which closes the socket)
 * and the tick runs. The event is then dispatched and must find its watch
 * still allocated; it is freed by resolve_reap after the batch. Before
 * resolve_reap existed, the tick freed it and this was a use after free
 * (ASan: make unit-san; a plain build calls through the freed memory). */
static void test_watch_outlives_the_batch(void)
{
	const unsigned budget = 250; /* one try of 250 ms */
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct epoll_event ev[8];
	struct nw_dns_server s;
	int srv = silent_server(&s), ep = epoll_create1(EPOLL_CLOEXEC), n;
	struct resolve_query *q = NULL;
	struct outcome o = {0};
	struct proxy_ev *pev;
	nw_err err = NULL;
	struct resolver *r;
	char qbuf[512];

	CHECK(srv >= 0 && ep >= 0);
	r = resolve_new(&s, 1, budget, ep, &err);
	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(resolve_lookup(r, "batch.test", on_done, &o, &q, &err) == 0);
	/* Something for c-ares's socket to read (not an answer: too short). */
	CHECK(recvfrom(srv, qbuf, sizeof(qbuf), 0, (struct sockaddr *)&from, &fl) > 0);
	CHECK(sendto(srv, "x", 1, 0, (struct sockaddr *)&from, fl) == 1);
	n = epoll_wait(ep, ev, 8, 2000);
	CHECK(n == 1);
	if (n != 1)
		return;
	pev = ev[0].data.ptr;
	CHECK(pev->fd >= 0);
	usleep((budget + PROXY_TICK_MS) * 1000);
	resolve_tick(r); /* the query times out: c-ares closes the socket */
	CHECK(o.calls == 1 && o.st == RESOLVE_TIMEOUT);
	CHECK(pev->fd == -1);
	resolve_tick(r);	    /* the tick of the same batch */
	pev->fn(pev, ev[0].events); /* the batch's later event */
	resolve_reap(r);	    /* after the batch */
	CHECK(o.calls == 1);
	resolve_free(r);
	close(srv);
	close(ep);
}

int main(void)
{
	RUN(test_timing_within_limit);
	RUN(test_silent_server_times_out_in_budget);
	RUN(test_watch_outlives_the_batch);
	UNIT_DONE();
}
