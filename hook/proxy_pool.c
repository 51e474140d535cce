/* The job's idle origin connections: an upstream whose exchange ended so
 * that it may serve another (proxy_reuse_keep) waits here when its client
 * leaves or asks elsewhere, and the next request allowed to the same
 * host name, port and approved address takes it instead of connecting.
 * An idle connection is never read from: whatever it shows (a byte, a
 * hang-up, an error) closes it, so nothing an origin sends between
 * requests reaches any client. Bounded per origin (POOL_PER_ORIGIN), in
 * all (POOL_MAX) and in time (T_POOL_IDLE). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/epoll.h>

#include "proxy_int.h"
#include "util.h"

struct pool_conn {
	struct proxy_ev ev;
	struct proxy *p;
	struct pool_conn *prev, *next;
	uint64_t t_parked; /* ms */
	uint16_t port;
	struct nw_addr addr;
	char host[DOMAIN_MAX + 1];
};

static struct proxy_reuse_key key_of(const struct pool_conn *pc)
{
	return (struct proxy_reuse_key){pc->host, pc->port, &pc->addr};
}

static void unlink_(struct proxy *p, struct pool_conn *pc)
{
	if (pc->prev)
		pc->prev->next = pc->next;
	else
		p->pool = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	else
		p->pool_tail = pc->prev;
	pc->prev = NULL;
	pc->next = p->pool_dead;
	p->pool_dead = pc;
	p->npool--;
}

/* Out of the pool and closed; freed after the batch (reap), as an event
 * of the batch may still point at it. */
static void drop(struct proxy *p, struct pool_conn *pc)
{
	unlink_(p, pc);
	if (pc->ev.fd >= 0)
		proxy_close_fd(&pc->ev);
}

/* Anything at all on an idle connection. */
static void pool_event(struct proxy_ev *ev, uint32_t events)
{
	struct pool_conn *pc = container_of(ev, struct pool_conn, ev);

	drop(pc->p, pc);
}

void proxy_pool_park(struct conn *c)
{
	struct proxy *p = c->p;
	struct pool_conn *pc = calloc(1, sizeof(*pc)), *old = NULL;
	struct proxy_reuse_key k = {c->up_host, c->up_port, &c->up_addr};
	unsigned same = 0;

	if (pc == NULL) {
		conn_close_upstream(c);
		return;
	}
	for (struct pool_conn *i = p->pool; i != NULL; i = i->next) {
		struct proxy_reuse_key ik = key_of(i);
		if (proxy_reuse_same(&k, &ik)) {
			same++;
			old = i;
		}
	}
	if (same >= POOL_PER_ORIGIN)
		drop(p, old);
	else if (p->npool >= POOL_MAX)
		drop(p, p->pool_tail);
	pc->p = p;
	pc->ev.fn = pool_event;
	pc->port = c->up_port;
	pc->addr = c->up_addr;
	snprintf(pc->host, sizeof(pc->host), "%s", c->up_host);
	pc->t_parked = proxy_now_ms();
	if (!proxy_move_fd(p, &c->uev, &pc->ev, EPOLLIN)) {
		free(pc);
		conn_close_upstream(c);
		return;
	}
	pc->next = p->pool;
	if (p->pool)
		p->pool->prev = pc;
	else
		p->pool_tail = pc;
	p->pool = pc;
	p->npool++;
	conn_close_upstream(c); /* c's side of it: no descriptor left to close */
}

/* Shows the connection nothing? A byte or an EOF that arrived after the
 * last wait for events is seen here, not only by pool_event. */
static bool quiet(struct pool_conn *pc)
{
	char b;

	return !pc->ev.hup && recv(pc->ev.fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) < 0 &&
	       (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool proxy_pool_take(struct conn *c, const struct nw_addr *a)
{
	struct proxy *p = c->p;
	struct proxy_reuse_key k = {c->host, c->port, a};
	struct pool_conn *pc, *next;

	for (pc = p->pool; pc != NULL; pc = next) {
		struct proxy_reuse_key pk = key_of(pc);

		next = pc->next;
		if (!proxy_reuse_same(&k, &pk))
			continue;
		if (!quiet(pc)) {
			drop(p, pc);
			continue;
		}
		unlink_(p, pc);
		if (!proxy_move_fd(p, &pc->ev, &c->uev, EPOLLIN))
			continue;
		c->up_addr = *a;
		snprintf(c->up_host, sizeof(c->up_host), "%s", c->host);
		c->up_port = c->port;
		return true;
	}
	return false;
}

void proxy_pool_tick(struct proxy *p, uint64_t now)
{
	/* Parked during this tick (a timeout let its client go) is later
	 * than now: not idle at all. */
	while (p->pool_tail != NULL && now > p->pool_tail->t_parked &&
	       now - p->pool_tail->t_parked >= T_POOL_IDLE)
		drop(p, p->pool_tail);
}

void proxy_pool_drop_all(struct proxy *p)
{
	while (p->pool != NULL)
		drop(p, p->pool);
}

void proxy_pool_reap(struct proxy *p)
{
	while (p->pool_dead != NULL) {
		struct pool_conn *pc = p->pool_dead;
		p->pool_dead = pc->next;
		free(pc);
	}
}
