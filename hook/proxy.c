/* The job proxy's event loop (redis ae.h shape, OpenBSD httpd pressure
 * handling): one thread, epoll, a listener, a signalfd, a tick timerfd for
 * timeouts and a refill timerfd for the job's two token buckets. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "cleanup.h"
#include "proxy_int.h"
#include "sandbox.h"
#include "io.h"
#include "util.h"

#define MAX_CONNS_DEFAULT 256
#define WAKE_MIN	  4096
#define CHUNK_SHARE	  16 /* a read takes at most burst / CHUNK_SHARE */

uint64_t proxy_now_ns(void)
{
	return io_now_ns();
}

uint64_t proxy_now_ms(void)
{
	return io_now_ms();
}

static void set_interest(struct proxy *p, struct proxy_ev *ev, uint32_t mask)
{
	/* EPOLLRDHUP tells a hang-up apart (see proxy_watch); handlers never
	 * see it. */
	struct epoll_event ee = {.events = mask | EPOLLRDHUP, .data.ptr = ev};

	if (mask == ev->mask)
		return;
	if (mask == 0) {
		epoll_ctl(p->ep, EPOLL_CTL_DEL, ev->fd, NULL);
	} else if (epoll_ctl(p->ep, ev->mask ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, ev->fd, &ee) < 0) {
		/* Only ENOMEM can get here; the connection's timeout ends it. */
		return;
	}
	ev->mask = mask;
}

/* Asking for less EPOLLIN leaves the registration as it is: a connection
 * that stops reading while it resolves or connects (and reads again after)
 * mostly sees no byte meanwhile, and two epoll_ctl calls are saved. When
 * an event it did not ask for comes, dispatch() removes the interest then
 * and hands the connection nothing (as if it had been removed at once).
 * After a hang-up the fd stays readable, so the interest goes at once. */
void proxy_watch(struct proxy *p, struct proxy_ev *ev, uint32_t mask)
{
	if (ev->fd < 0)
		return;
	ev->managed = true;
	ev->want = mask;
	if ((mask & ~ev->mask) == 0 && ((ev->mask & ~mask) & ~(uint32_t)EPOLLIN) == 0 && !ev->hup)
		return;
	set_interest(p, ev, mask);
}

bool proxy_move_fd(struct proxy *p, struct proxy_ev *from, struct proxy_ev *to, uint32_t mask)
{
	/* One EPOLL_CTL_MOD repoints a registered descriptor: never a moment
	 * unwatched. An event of the current batch naming from finds its fd
	 * -1 (dispatch), and to's owner looks for itself (a peek). */
	struct epoll_event ee = {.events = mask | EPOLLRDHUP, .data.ptr = to};
	bool registered = from->mask != 0;

	*to = (struct proxy_ev){.fn = to->fn, .fd = from->fd, .managed = true, .hup = from->hup};
	*from = (struct proxy_ev){.fn = from->fn, .fd = -1};
	if (registered && epoll_ctl(p->ep, EPOLL_CTL_MOD, to->fd, &ee) == 0) {
		to->mask = to->want = mask;
		return true;
	}
	if (!registered) {
		proxy_watch(p, to, mask);
		if (to->mask == mask)
			return true;
	}
	proxy_close_fd(to);
	return false;
}

/* One event to its handler, without what it did not ask for. */
static void dispatch(struct proxy *p, struct proxy_ev *ev, uint32_t events)
{
	const uint32_t always = EPOLLERR | EPOLLHUP;
	uint32_t got;

	if (!ev->managed) {
		ev->fn(ev, events);
		return;
	}
	if (ev->fd < 0)
		return;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		ev->hup = true;
	events &= ~(uint32_t)EPOLLRDHUP;
	if (ev->want == 0 || (events & ~(ev->want | always)) != 0)
		set_interest(p, ev, ev->want);
	got = ev->want == 0 ? 0 : events & (ev->want | always);
	if (got)
		ev->fn(ev, got);
}

/* Closing takes the descriptor out of the epoll set by itself (no
 * descriptor closed through here is ever duplicated, and the proxy does not
 * fork), so no EPOLL_CTL_DEL first. Events of the current batch may still
 * name ev: its fd is -1 from now on. */
void proxy_close_fd(struct proxy_ev *ev)
{
	close(ev->fd);
	ev->fd = -1;
	ev->mask = ev->want = 0;
	ev->hup = false;
}

static void arm_refill(struct proxy *p)
{
	uint64_t wait = UINT64_MAX;
	struct itimerspec its = {0};

	for (int d = 0; d < 2; d++) {
		if (p->whead[d] == NULL)
			continue;
		bucket_avail(&p->bk[d], proxy_now_ns());
		uint64_t w = bucket_wait(&p->bk[d], p->wake_at_least);
		if (w < wait)
			wait = w;
	}
	if (wait == UINT64_MAX)
		return;
	if (wait < 100000)
		wait = 100000; /* 0.1 ms: a zero it_value would disarm */
	its.it_value.tv_sec = (time_t)(wait / 1000000000ULL);
	its.it_value.tv_nsec = (long)(wait % 1000000000ULL);
	if (timerfd_settime(p->refill.fd, 0, &its, NULL) == 0)
		p->refill_armed = true;
}

static void enqueue(struct proxy *p, struct conn *c, enum dir d)
{
	if (c->waiting[d])
		return;
	c->waiting[d] = true;
	c->wnext[d] = NULL;
	c->wprev[d] = p->wtail[d];
	if (p->wtail[d])
		p->wtail[d]->wnext[d] = c;
	else
		p->whead[d] = c;
	p->wtail[d] = c;
	if (!p->refill_armed)
		arm_refill(p);
}

static void dequeue(struct proxy *p, struct conn *c, enum dir d)
{
	if (!c->waiting[d])
		return;
	if (c->wprev[d])
		c->wprev[d]->wnext[d] = c->wnext[d];
	else
		p->whead[d] = c->wnext[d];
	if (c->wnext[d])
		c->wnext[d]->wprev[d] = c->wprev[d];
	else
		p->wtail[d] = c->wprev[d];
	c->waiting[d] = false;
	c->wprev[d] = c->wnext[d] = NULL;
}

void proxy_unwait(struct proxy *p, struct conn *c)
{
	dequeue(p, c, DIR_UP);
	dequeue(p, c, DIR_DOWN);
}

size_t proxy_allow(struct proxy *p, struct conn *c, enum dir d, size_t want)
{
	uint64_t avail;
	size_t need;

	if (p->bk[d].rate == 0)
		return want;
	if (want > p->chunk)
		want = p->chunk;
	need = want < p->wake_at_least ? want : p->wake_at_least;
	avail = bucket_avail(&p->bk[d], proxy_now_ns());
	/* Waiting for a useful amount keeps reads from shrinking to a few
	 * bytes each when many connections share the bucket. */
	if (avail < need || p->whead[d] != NULL) {
		enqueue(p, c, d);
		return 0;
	}
	return avail < want ? (size_t)avail : want;
}

void proxy_spend(struct proxy *p, enum dir d, size_t n)
{
	bucket_take(&p->bk[d], n);
	if (d == DIR_UP)
		p->stats.up += n;
	else
		p->stats.down += n;
	if (n)
		p->stats.dirty = true;
}

static void refill_event(struct proxy_ev *ev, uint32_t events)
{
	struct proxy *p = container_of(ev, struct proxy, refill);
	uint64_t exp;

	if (read(ev->fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	p->refill_armed = false;
	for (int i = 0; i < 2; i++) {
		enum dir d = (enum dir)i;
		/* Wake everyone waiting, oldest first; each takes a share and
		 * those that find the bucket empty queue again at the back. */
		if (bucket_avail(&p->bk[d], proxy_now_ns()) < p->wake_at_least)
			continue;
		struct conn *list = p->whead[d];
		p->whead[d] = p->wtail[d] = NULL;
		while (list != NULL) {
			struct conn *c = list;
			list = c->wnext[d];
			c->waiting[d] = false;
			c->wprev[d] = c->wnext[d] = NULL;
			conn_update(c);
		}
	}
	arm_refill(p);
}

static void write_stats(struct proxy *p, uint64_t now)
{
	struct accesslog_counters s = {
	    .bytes_up = p->stats.up,
	    .bytes_down = p->stats.down,
	    .requests_allowed = p->stats.allowed,
	    .requests_denied = p->stats.denied,
	    .requests_reported = p->stats.reported,
	    .live_connections = p->nconns,
	    .log_dropped = p->alog.dropped,
	};

	accesslog_stats(p->o->stats_fd, &s);
	p->stats.dirty = false;
	p->stats.written_ms = now;
}

/* The listeners stop and start together. */
static void watch_listeners(struct proxy *p, uint32_t mask)
{
	proxy_watch(p, &p->listen, mask);
	proxy_watch(p, &p->intercept, mask);
	proxy_dns_watch(p, mask);
}

/* Nothing for the tick to do until the next event: no connection, pooled
 * upstream or spare buffer memory to time out, no DNS work or lookup in
 * flight, no deny_destinations name to look up again, no log line or
 * stats held back, accepting not paused. Most of a node's job proxies are
 * idle at any time; they sleep until a packet or a signal instead of
 * waking every PROXY_TICK_MS. */
static bool tick_idle(const struct proxy *p)
{
	return p->conns == NULL && p->pool == NULL && p->nspare == 0 && !p->accept_paused &&
	       !p->stats.dirty && p->alog.repeats == 0 && proxy_dns_idle(p) &&
	       proxy_deny_idle(p->deny) && resolve_idle(p->res);
}

static void tick_arm(struct proxy *p, bool on)
{
	const long ns = on ? PROXY_TICK_MS * 1000000L : 0;
	struct itimerspec t = {.it_interval = {0, ns}, .it_value = {0, ns}};

	if (on != p->ticking && timerfd_settime(p->tick.fd, 0, &t, NULL) == 0)
		p->ticking = on;
}

static void tick_event(struct proxy_ev *ev, uint32_t events)
{
	struct proxy *p = container_of(ev, struct proxy, tick);
	uint64_t exp, now;
	struct conn *c, *next;

	if (read(ev->fd, &exp, sizeof(exp)) < 0 && errno != EAGAIN)
		return;
	resolve_tick(p->res);
	nodeaddr_nl_poll(&p->node);
	/* After the resolver: what its callbacks stamped is not later. */
	now = proxy_now_ms();
	proxy_deny_tick(p->deny, now);
	proxy_dns_tick(p, now);
	proxy_pool_tick(p, now);
	proxy_mem_tick(p, now);
	for (c = p->conns; c != NULL; c = next) {
		next = c->next;
		conn_timeout_check(c, now);
	}
	if (p->accept_paused && now >= p->accept_resume) {
		p->accept_paused = false;
		watch_listeners(p, EPOLLIN);
	}
	accesslog_flush(&p->alog, now, false);
	if (p->alog.dropped != p->stats.log_dropped) {
		p->stats.log_dropped = p->alog.dropped;
		p->stats.dirty = true;
	}
	if (p->stats.dirty && now - p->stats.written_ms >= 1000)
		write_stats(p, now);
	if (tick_idle(p))
		tick_arm(p, false);
}

static void signal_event(struct proxy_ev *ev, uint32_t events)
{
	struct proxy *p = container_of(ev, struct proxy, sig);
	struct signalfd_siginfo si;

	if (read(ev->fd, &si, sizeof(si)) == sizeof(si))
		p->stop = true;
}

static void shed(struct proxy *p, int fd, const char *reason)
{
	char resp[HTTP_REASON_MAX + 256];
	size_t n = http_error_response(503, reason, resp, sizeof(resp));
	struct accesslog_entry e = {.job = p->o->job_id,
				    .container =
					p->o->container_id ? p->o->container_id : p->o->job_id,
				    .reason = reason,
				    .status = 503};

	/* Best effort: a fresh socket's buffer takes this small answer. */
	if (send(fd, resp, n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* The client is gone already; closing is all that is left. */
	}
	close(fd);
	accesslog_write(&p->alog, &e, proxy_now_ms());
	p->stats.denied++;
	p->stats.dirty = true;
}

static void pause_accept(struct proxy *p)
{
	p->accept_paused = true;
	p->accept_resume = proxy_now_ms() + 1000;
	watch_listeners(p, 0);
}

static void accept_on(struct proxy *p, struct proxy_ev *ev, bool intercepted)
{
	char reason[HTTP_REASON_MAX];
	struct conn *c;

	for (int i = 0; i < 64; i++) {
		int fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Use the reserve fd to answer one client instead of
				 * leaving it hanging, then stop accepting for a while.
				 * Idle origin connections are the first to go. */
				proxy_pool_drop_all(p);
				close(p->reserve_fd);
				fd = accept4(ev->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd >= 0)
					shed(p, fd,
					     "netward: the proxy is out of file descriptors");
				p->reserve_fd = dup(p->tick.fd);
				pause_accept(p);
			}
			return;
		}
		if (p->nconns >= p->max_conns) {
			snprintf(reason, sizeof(reason),
				 "netward: this job already has %u connections open (the limit)",
				 p->max_conns);
			shed(p, fd, reason);
			continue;
		}
		c = conn_new(p, fd);
		if (c == NULL)
			shed(p, fd, "netward: the proxy is out of memory");
		else if (intercepted)
			intercept_start(c);
	}
}

static void accept_event(struct proxy_ev *ev, uint32_t events)
{
	accept_on(container_of(ev, struct proxy, listen), ev, false);
}

static void intercept_event(struct proxy_ev *ev, uint32_t events)
{
	accept_on(container_of(ev, struct proxy, intercept), ev, true);
}

/* After a batch of events: what was closed during it is freed now, when no
 * event of the batch is left to point at it. */
static void reap(struct proxy *p)
{
	while (p->dead != NULL) {
		struct conn *c = p->dead;
		p->dead = c->next;
		conn_free(c);
	}
	proxy_pool_reap(p);
	proxy_dns_reap(p);
	resolve_reap(p->res);
	/* The batch's access lines, one write per file. */
	accesslog_sync(&p->alog);
}

static int add_fd(struct proxy *p, struct proxy_ev *ev, int fd,
		  void (*fn)(struct proxy_ev *, uint32_t), nw_err *err)
{
	ev->fd = fd;
	ev->fn = fn;
	ev->mask = 0;
	if (fd < 0)
		return nw_fail(err, errno, "creating the proxy's event sources");
	proxy_watch(p, ev, EPOLLIN);
	if (ev->mask == 0)
		return nw_fail(err, errno, "epoll_ctl");
	return 0;
}

static uint64_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_size > 0 ? (uint64_t)st.st_size : 0;
}

static bool header_safe(const char *s)
{
	for (; s != NULL && *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* Everything that needs a file or a privilege happens here, before the
 * sandbox closes the door. */
static int setup(struct proxy *p, const struct proxy_opts *o, nw_err *err)
{
	const struct nw_config *cfg = o->cfg;
	struct rlimit rl;
	sigset_t sigs;
	uint64_t rate = cfg->rate_limit_bps / 8;

	if (!header_safe(o->job_id))
		return nw_fail(err, EINVAL, "the job id holds characters a header cannot carry");
	p->o = o;
	p->max_conns = o->max_conns ? o->max_conns : MAX_CONNS_DEFAULT;
	p->syslog = cfg->log == NULL || strcmp(cfg->log, "syslog") == 0;
	/* gmtime_r and syslog(3) read the zone file once; do it while files
	 * can still be opened. */
	tzset();
	if (o->node_log_pipe > 0) {
		p->syslog = false;
		p->node_log_fd = o->node_log_pipe;
	} else if (p->syslog) {
		openlog("netward", LOG_NDELAY | LOG_PID, LOG_DAEMON);
	} else {
		p->node_log_fd = open(cfg->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (p->node_log_fd < 0)
			return nw_fail(err, errno, "opening the log %s", cfg->log);
	}
	accesslog_init(&p->alog, o->log_fd, p->node_log_fd, p->syslog, cfg->job_log_max_bytes,
		       o->job_id, o->container_id, o->log_fd >= 0 ? fd_size(o->log_fd) : 0);
	p->alog.batch = true;
	/* Each connection may hold six fds (client, upstream, two pipes). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	/* Any log may reach RLIMIT_FSIZE (the node's file is never capped
	 * here): the write fails with EFBIG and the line is dropped, where
	 * SIGXFSZ would kill the proxy. */
	signal(SIGXFSZ, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0)
		return nw_fail(err, errno, "sigprocmask");
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0)
		return nw_fail(err, errno, "epoll_create1");
	if (add_fd(p, &p->listen, o->listen_fd, accept_event, err) < 0 ||
	    add_fd(p, &p->sig, signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC), signal_event, err) <
		0 ||
	    add_fd(p, &p->tick, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		   tick_event, err) < 0 ||
	    add_fd(p, &p->refill, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
		   refill_event, err) < 0)
		return -1;
	if (o->intercept_fd >= 0 &&
	    add_fd(p, &p->intercept, o->intercept_fd, intercept_event, err) < 0)
		return -1;
	tick_arm(p, true);
	if (!p->ticking)
		return nw_fail(err, errno, "timerfd_settime");
	p->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (p->reserve_fd < 0)
		return nw_fail(err, errno, "opening the reserve fd");
	p->res = resolve_new(cfg->dns, cfg->n_dns, T_DNS_RESOLVER, p->ep, err);
	if (p->res == NULL)
		return nw_wrap(err, "proxy DNS");
	p->deny = proxy_deny_new(cfg, p->res);
	if (p->deny == NULL)
		return nw_fail(err, ENOMEM, "proxy: deny_destinations names");
	/* The node's addresses from rtnetlink, kept current by its
	 * notifications: no socket per decision (nodeaddr.h). The address
	 * the proxy listens on stays the node's while it serves; a job
	 * proxy's, the gateway, is on every job's link, and the messages
	 * about it are not read. */
	struct sockaddr_storage ls;
	socklen_t lslen = sizeof(ls);
	struct nw_addr listen_addr = {.family = 0};
	if (getsockname(o->listen_fd, (struct sockaddr *)&ls, &lslen) == 0)
		addr_from_sockaddr((struct sockaddr *)&ls, &listen_addr);
	static const uint8_t any[16];
	if (memcmp(listen_addr.a, any, listen_addr.family == AF_INET ? 4 : 16) == 0)
		listen_addr.family = 0; /* 0.0.0.0 or ::, no one address */
	if (nodeaddr_nl_open(&p->node, &listen_addr, err) < 0)
		return nw_wrap(err, "proxy");
	p->node_check = (struct nodeaddr_check){.is_node = nodeaddr_nl_is_node, .ctx = &p->node};
	if (proxy_dns_setup(p, err) < 0)
		return -1;
	for (int d = 0; d < 2; d++)
		bucket_init(&p->bk[d], rate, bucket_burst_for(rate), proxy_now_ns());
	p->wake_at_least = rate / 200 < WAKE_MIN ? WAKE_MIN : rate / 200;
	if (p->wake_at_least > p->bk[0].burst)
		p->wake_at_least = p->bk[0].burst;
	if (p->wake_at_least > PROXY_CHUNK)
		p->wake_at_least = PROXY_CHUNK;
	/* A read takes at most a sixteenth of the burst, and at least
	 * PROXY_CHUNK: small enough that connections sharing a low rate take
	 * turns (10 Mbit/s: 16 KiB), large enough that a fast limit costs a
	 * few syscalls per 256 KiB rather than per 16 KiB (4 MiB burst). */
	p->chunk = (size_t)(p->bk[0].burst / CHUNK_SHARE);
	if (p->chunk < PROXY_CHUNK)
		p->chunk = PROXY_CHUNK;
	return 0;
}

static void teardown(struct proxy *p)
{
	while (p->conns != NULL)
		conn_close(p->conns, "proxy stopping");
	proxy_pool_drop_all(p);
	reap(p);
	proxy_mem_free_all(p);
	proxy_dns_free(p);
	proxy_deny_free(p->deny);
	resolve_free(p->res);
	nodeaddr_nl_close(&p->node);
	if (p->o != NULL) {
		accesslog_flush(&p->alog, proxy_now_ms(), true);
		accesslog_sync(&p->alog);
	}
	if (p->o != NULL && p->o->stats_fd >= 0)
		write_stats(p, proxy_now_ms());
	/* A node-log pipe is the caller's (it reports a failure there). */
	bool own_log = p->o == NULL || p->o->node_log_pipe <= 0;
	int fds[] = {p->listen.fd,
		     p->intercept.fd,
		     p->sig.fd,
		     p->tick.fd,
		     p->refill.fd,
		     p->reserve_fd,
		     own_log ? p->node_log_fd : -1,
		     p->ep};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (p->syslog)
		closelog();
}

/* Before the first client: the addresses of deny_destinations names, so
 * that none is reachable under another name from the start. Bounded by
 * the DNS limit; a name still unanswered then is refused by name (and
 * CNAME) only, until its answer comes. The listener stays out of the
 * loop meanwhile. */
static void await_deny(struct proxy *p)
{
	struct epoll_event evs[16];
	uint64_t end = proxy_now_ms() + T_DNS;

	if (proxy_deny_ready(p->deny))
		return;
	watch_listeners(p, 0);
	while (!proxy_deny_ready(p->deny) && !p->stop) {
		uint64_t now = proxy_now_ms();
		if (now >= end)
			break;
		int n = epoll_wait(p->ep, evs, 16, (int)(end - now));
		for (int i = 0; i < n; i++)
			dispatch(p, evs[i].data.ptr, evs[i].events);
		reap(p);
	}
	watch_listeners(p, EPOLLIN);
}

int proxy_run(const struct proxy_opts *o, nw_err *err)
{
	struct proxy p = {.ep = -1,
			  .reserve_fd = -1,
			  .node_log_fd = -1,
			  .alog = {.fd = -1, .node_fd = -1},
			  .node = {.fd = -1}};
	struct epoll_event evs[64];
	int rc = 0;

	p.listen.fd = p.intercept.fd = p.sig.fd = p.tick.fd = p.refill.fd = -1;
	proxy_dns_init(&p);
	if (setup(&p, o, err) < 0 || (o->sandbox && sandbox_enter(o->uid, o->gid, err) < 0)) {
		teardown(&p);
		return nw_wrap(err, "proxy");
	}
	await_deny(&p);
	if (o->ready_fd >= 0) {
		if (write(o->ready_fd, "1", 1) != 1) {
			/* The parent stops waiting when the pipe closes anyway. */
		}
		close(o->ready_fd);
	}
	write_stats(&p, proxy_now_ms());
	while (!p.stop) {
		int n = epoll_wait(p.ep, evs, 64, -1);

		if (n < 0 && errno != EINTR) {
			rc = nw_fail(err, errno, "proxy: epoll_wait");
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(&p, evs[i].data.ptr, evs[i].events);
		reap(&p);
		if (!p.ticking && !tick_idle(&p))
			tick_arm(&p, true);
	}
	teardown(&p);
	return rc;
}
