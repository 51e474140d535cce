/* The proxy's timeout check against stamps made after the tick read the
 * clock, on a real connection (a socketpair, a real epoll set). */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_int.h"
#include "unit.h"

/* The tick reads the clock, then resolve_tick delivers a DNS timeout:
 * the connection gets its 504 and is stamped after the tick's clock.
 * The timeout check that follows in the same tick must not take the
 * difference for a timeout long passed (unsigned, it wrapped) and close
 * the connection before its 504 is written: the client saw an empty
 * reply. */
static void test_stamp_after_the_tick_clock(void)
{
	struct proxy_opts o = {.job_id = "job-unit", .log_fd = -1, .stats_fd = -1};
	struct proxy p = {.o = &o, .ep = epoll_create1(EPOLL_CLOEXEC), .node_log_fd = -1};
	int sv[2];
	struct conn *c;
	uint64_t now;
	char buf[512];
	ssize_t n;

	CHECK(p.ep >= 0);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
	c = conn_new(&p, sv[0]);
	CHECK(c != NULL);
	if (c == NULL)
		return;
	snprintf(c->host, sizeof(c->host), "slow.test");
	snprintf(c->method, sizeof(c->method), "GET");
	conn_set_state(c, CS_RESOLVE);
	now = proxy_now_ms();
	usleep(3000);
	conn_dns_timeout(c);
	CHECK(c->st == CS_ERROR);
	conn_timeout_check(c, now);
	CHECK(!c->closed);
	CHECK(c->u2c.len > 0);
	/* The 504 reaches the client once the socket is writable. */
	if (!c->closed) {
		c->cev.fn(&c->cev, EPOLLOUT);
		n = read(sv[1], buf, sizeof(buf) - 1);
		CHECK(n > 0);
		buf[n > 0 ? n : 0] = '\0';
		CHECK(strncmp(buf, "HTTP/1.1 504 ", 13) == 0);
		CHECK(strstr(buf, "DNS lookup of slow.test timed out") != NULL);
	}
	conn_close(c, "test over");
	while (p.dead != NULL) {
		struct conn *d = p.dead;
		p.dead = d->next;
		conn_free(d);
	}
	close(sv[1]);
	close(p.ep);
}

int main(void)
{
	RUN(test_stamp_after_the_tick_clock);
	UNIT_DONE();
}
