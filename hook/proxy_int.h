/* The proxy's insides, shared by proxy*.c only. One struct proxy per job;
 * one struct conn per client connection, owning its upstream socket, its
 * buffers, its pipes and its DNS query (one owner, one conn_close); the
 * job's idle origin connections belong to the proxy (proxy_pool.c) until
 * a request takes one. */
#ifndef NW_PROXY_INT_H
#define NW_PROXY_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "accesslog.h"
#include "addr.h"
#include "buf.h"
#include "bucket.h"
#include "http.h"
#include "nodeaddr.h"
#include "proxy.h"
#include "proxy_deny.h"
#include "proxy_ev.h"
#include "proxy_reuse.h"
#include "resolve.h"

#define PROXY_BUF     (HTTP_MAX_HEAD + 8192) /* a whole request head fits */
#define PROXY_CHUNK   16384 /* least of the most bytes moved per read when rate limited */
#define PROXY_TICK_MS 250

/* Timeouts (ms). */
#define T_HEAD	  30000 /* a request head must arrive within (slowloris) */
#define T_IDLE	  60000 /* idle keep-alive client */
#define T_DNS	  5000
#define T_CONNECT 10000
#define T_TUNNEL  300000 /* idle tunnel or transfer */
#define T_HALF	  30000	 /* idle with one side shut */
#define T_STUCK	  60000	 /* a client that does not read what we have for it */
#define T_LINGER  5000	 /* draining a refused client before closing */
#define T_PEEK	  10000	 /* a tunnel's ClientHello must arrive within */

/* The pool of idle origin connections (proxy_pool.c). An idle connection
 * waits at most T_POOL_IDLE: under the 5 s that Apache httpd and Node.js
 * give an idle client, so the pool mostly lets go before the origin does
 * (nginx keeps one 75 s). POOL_PER_ORIGIN lets as many requests as ab -c
 * 16 or a parallel package download keep going to one origin at once
 * reuse their connections; POOL_MAX bounds the descriptors all of them
 * hold. */
#define T_POOL_IDLE	4000
#define POOL_PER_ORIGIN 16
#define POOL_MAX	64

/* A connection's buffers, and how many closed connections' buffers are
 * kept for new ones (proxy_mem.c): zeroed where written, which is cheaper
 * than a fresh mapping only up to CONN_SPARE_CLEAR bytes (four pages: a
 * small request and its answer). T_SPARE_IDLE unused, they go. */
#define CONN_MEM	 (4 * PROXY_BUF)
#define CONN_SPARE	 16
#define CONN_SPARE_CLEAR (4 * 4096)
#define T_SPARE_IDLE	 T_POOL_IDLE

/* c-ares's own retries end within this. It is asked about its timeouts
 * once a tick, so it may report a tick late; even two ticks late, it still
 * reports a tick before T_DNS, so the lookup's own answer (a 504 naming
 * the DNS timeout) comes first. T_DNS answers the same, should c-ares
 * ever not. */
#define T_DNS_RESOLVER (T_DNS - 4 * PROXY_TICK_MS)

enum dir { DIR_UP, DIR_DOWN }; /* job→origin, origin→job */

/* Why the proxy refused a request or could not serve it, as http.c's
 * struct http_fail: the status to answer, whether it is a refusal (counted
 * denied) or a failure on the way (logged as allowed, with the reason), and
 * one line for the log, the X-Netward-Reason header and the body. */
#define PROXY_REASON_MAX (2 * HTTP_REASON_MAX)
struct proxy_fail {
	int status;
	bool denied;
	char reason[PROXY_REASON_MAX];
};

/* How the name came: which port list applies and how the reason reads. */
enum proxy_via {
	VIA_HTTP,    /* an absolute-form request to the proxy: http_ports */
	VIA_CONNECT, /* CONNECT host:port: connect_ports */
	VIA_SNI,     /* the server name of a TLS ClientHello: connect_ports */
};

struct conn;
struct pool_conn;

/* What kind of connection a conn is, and all that changes with it:
 * proxy_conn.c takes every other step (head, decision, DNS, connect,
 * close) the same way for each kind, and dispatches here. */
struct conn_kind {
	enum proxy_via via; /* the decision's port list and wording */
	/* A kept-alive upstream to the same host and port serves the next
	 * request. */
	bool reuse_upstream;
	/* A refusal gets an HTTP error response; otherwise the connection is
	 * closed (the client speaks TLS, or nothing known yet). Logged and
	 * counted either way. */
	bool http_errors;
	/* The upstream accepted the connection. */
	void (*connected)(struct conn *c);
};
/* An absolute-form request (proxy_http.c). */
extern const struct conn_kind conn_kind_http;
/* A CONNECT tunnel: its ClientHello read (proxy_peek.c), then bytes both
 * ways (proxy_tunnel.c). */
extern const struct conn_kind conn_kind_connect;
/* Redirected by the firewall (proxy_intercept.c): until its first bytes
 * are read (sniff), then a TLS stream judged on its server name (tls), or
 * HTTP/1.x requests judged each on its Host (conn_kind_http, the head read
 * in origin form on c->at_port). */
extern const struct conn_kind conn_kind_sniff, conn_kind_tls;

enum conn_state {
	CS_HEAD,
	CS_RESOLVE,
	CS_CONNECT,
	CS_PEEK,
	CS_SNIFF, /* an intercepted connection's first bytes */
	CS_FORWARD,
	CS_TUNNEL,
	CS_ERROR,
	CS_NSTATES
};
enum resp_phase { RP_HEAD, RP_BODY, RP_DONE };

struct proxy;
struct tls_sni;

struct conn {
	struct proxy *p;
	const struct conn_kind *kind;
	struct conn *prev, *next;	  /* every live conn */
	struct conn *wprev[2], *wnext[2]; /* waiting on bucket DIR_UP / DIR_DOWN */
	bool waiting[2];
	bool closed;
	enum conn_state st;
	struct proxy_ev cev, uev; /* client and upstream sockets (fd -1: none) */
	struct buf cin, c2u, uin, u2c;
	size_t scan;

	/* the request in progress */
	char method[HTTP_MAX_METHOD + 1];
	char host[DOMAIN_MAX + 1];
	bool host_is_ip, head_method, client_ka;
	bool reported; /* the current request is allowed by report mode only */
	uint16_t port;
	uint16_t at_port; /* intercepted: the port the job connected to; 0 explicit */
	enum http_body req_body;
	uint64_t req_left;
	struct http_chunked req_ch;
	bool req_done;
	enum resp_phase rp;
	enum http_body resp_body;
	uint64_t resp_left;
	struct http_chunked resp_ch;
	bool resp_ka;
	int status;
	uint64_t up_bytes, down_bytes; /* this request or tunnel */
	uint64_t t_start;	       /* ms, request or tunnel start */

	/* the upstream */
	char up_host[DOMAIN_MAX + 1];
	uint16_t up_port;
	struct nw_addr up_addr;
	struct resolve_query *dnsq;
	bool client_eof, up_eof, client_shut, up_shut;
	/* The upstream ended its last exchange so that it may serve another
	 * (proxy_reuse_keep); cleared once a request goes out on it. */
	bool up_keep;
	bool up_pool; /* and may then serve other clients (proxy_reuse_pool) */
	/* The request in progress went out on a connection that had served
	 * an earlier one (kept by this client or taken from the pool). */
	bool up_reused;
	bool retried;	 /* and was sent again on a fresh one (proxy_reuse_retry) */
	size_t req_head; /* bytes of its head, from the start of c2u.d */

	/* tunnel: a pipe per direction for splice, else the buffers */
	int pipe[2][2];
	size_t inpipe[2];
	bool use_splice[2];
	bool moved[2];	     /* the direction has carried bytes (see proxy_tunnel.c) */
	struct tls_sni *sni; /* reading the tunnel's ClientHello (proxy_peek.c) */

	/* timing */
	uint64_t t_state;  /* ms, entered the current state */
	uint64_t t_active; /* ms, last byte moved */
	uint64_t t_head;   /* ms, first byte of the head being read */
	size_t drained;
	bool lingering;
};

struct proxy_stats {
	uint64_t up, down, allowed, denied, reported;
	uint64_t log_dropped; /* as last seen in alog */
	bool dirty;
	uint64_t written_ms;
};

struct proxy {
	const struct proxy_opts *o;
	int ep;
	struct proxy_ev listen, sig, tick, refill;
	bool ticking; /* the tick timer is armed (proxy_tick_idle) */
	int reserve_fd;
	struct resolver *res;
	struct proxy_deny *deny;   /* addresses of deny_destinations names */
	struct proxy_ev intercept; /* the interception listener (fd -1: none) */
	struct proxy_dns *dns;	   /* the job's DNS on the gateway, or NULL */
	struct nodeaddr_nl node;   /* the node's own addresses, kept by rtnetlink */
	struct nodeaddr_check node_check;
	struct bucket bk[2];
	uint64_t wake_at_least; /* bytes worth waking waiters for */
	size_t chunk;		/* most bytes one read may take from the bucket */
	struct conn *conns;
	struct conn *dead;				/* closed, freed after the current batch */
	struct pool_conn *pool, *pool_tail, *pool_dead; /* newest first; freed after the batch */
	unsigned npool;
	char *spare[CONN_SPARE]; /* zeroed buffer memory for new connections */
	unsigned nspare;
	uint64_t spare_ms; /* last taken or given back */
	struct conn *whead[2], *wtail[2];
	bool refill_armed;
	unsigned nconns, max_conns;
	bool accept_paused;
	uint64_t accept_resume;
	bool syslog;
	int node_log_fd; /* the node config's "log" when it is a file, or -1 */
	struct accesslog alog;
	bool stop;
	struct proxy_stats stats;
};

/* proxy.c */
uint64_t proxy_now_ms(void);
uint64_t proxy_now_ns(void);
/* Sets the epoll interest of ev (0 removes it). */
void proxy_watch(struct proxy *p, struct proxy_ev *ev, uint32_t mask);
/* Hands from's descriptor and its epoll registration to to, asking for
 * mask (not 0); from is left without one. false: the descriptor could not
 * be moved and is closed. */
bool proxy_move_fd(struct proxy *p, struct proxy_ev *from, struct proxy_ev *to, uint32_t mask);
/* Closes ev's descriptor, which also ends its epoll interest. */
void proxy_close_fd(struct proxy_ev *ev);
/* How many bytes dir may move now (0: the caller has been queued and will
 * be woken; it must stop reading). */
size_t proxy_allow(struct proxy *p, struct conn *c, enum dir d, size_t want);
void proxy_spend(struct proxy *p, enum dir d, size_t n);
void proxy_unwait(struct proxy *p, struct conn *c);

/* proxy_conn.c */
struct conn *conn_new(struct proxy *p, int fd);
void conn_close(struct conn *c, const char *reason);
void conn_free(struct conn *c);
void conn_close_upstream(struct conn *c);
/* Parks the upstream in the pool when it may serve another request
 * (c->up_pool), else closes it. */
void conn_release_upstream(struct conn *c);
/* A request that failed on a reused upstream (c->up_reused) before its
 * response began, sent again on a fresh connection to the address already
 * approved, when proxy_reuse_retry allows; false: the caller reports the
 * failure as before. */
bool conn_retry(struct conn *c);
void conn_update(struct conn *c);
void conn_timeout_check(struct conn *c, uint64_t now);
/* Refuses the request in progress with an error response, then closes. */
void conn_fail(struct conn *c, const struct proxy_fail *f);
/* conn_fail for a DNS lookup that got no answer in time: 504. */
void conn_dns_timeout(struct conn *c);
void conn_log(struct conn *c, bool allow, const char *reason);
void conn_set_state(struct conn *c, enum conn_state st);
/* Reads into b from fd within the bucket for d: >0 bytes, 0 EOF, -1 error,
 * -2 nothing now (would block, full, or waiting for tokens). */
ssize_t conn_read(struct conn *c, int fd, struct buf *b, enum dir d);
/* Writes what b holds: >=0 written, -1 error. */
ssize_t conn_write(struct conn *c, int fd, struct buf *b);
void conn_head_parse(struct conn *c);
/* The decision on c->host:c->port for c's kind, then DNS and connecting. */
void conn_route(struct conn *c);

/* proxy_fail.c: fill f and return status. A refusal by policy (counted
 * denied), and a failure on the way to the origin. */
int proxy_refuse(struct proxy_fail *f, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int proxy_failed(struct proxy_fail *f, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int proxy_fail_v(struct proxy_fail *f, int status, bool denied, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* proxy_policy.c: the one decision every path takes. */
/* 0 allowed, else the status to answer with f filled. *report is set
 * when the name is allowed only by report mode (outside the job's list,
 * inside the node's ceiling); f->reason then says so. */
int proxy_policy_name(const struct proxy_opts *o, const char *host, bool is_ip, uint16_t port,
		      enum proxy_via via, bool *report, struct proxy_fail *f);
/* A ClientHello's server name as sent (tls_sni): canonicalised, then the
 * same decision as proxy_policy_name with VIA_SNI. */
int proxy_policy_sni(const struct proxy_opts *o, const char *sni, uint16_t port, bool *report,
		     struct proxy_fail *f);
/* The canonical host of a ClientHello's server name, or 403 with f
 * filled (the first step of proxy_policy_sni). host: DOMAIN_MAX + 1. */
int proxy_policy_sni_host(const char *sni, char *host, bool *is_ip, struct proxy_fail *f);
/* Does the job's DNS on the gateway answer name (canonical, no trailing
 * dot)? Only names the job's list covers, and no deny_destinations name
 * (one with a port is left to the connection's own check). Report mode
 * adds nothing here: a name outside the list never leaves the node. */
bool proxy_policy_dns_covers(const struct proxy_opts *o, const char *name);
/* On a DNS answer (or an IP literal as one): its CNAME chain, then every
 * address, including against the addresses deny_destinations names
 * resolve to (dn) and the node's own addresses (node). */
int proxy_policy_addrs(const struct proxy_opts *o, const struct proxy_deny *dn,
		       const struct nodeaddr_check *node, const char *host, uint16_t port,
		       const struct resolve_answer *ans, struct nw_addr *pick,
		       struct proxy_fail *f);

/* proxy_pool.c: the job's idle origin connections. An idle one is never
 * read: a byte, a hang-up or an error on it closes it, as does T_POOL_IDLE. */
/* Takes c's upstream into the pool (c is left without one). */
void proxy_pool_park(struct conn *c);
/* Gives c an idle connection to c->host, c->port and a (see
 * proxy_reuse_same) that shows neither a byte nor a hang-up; false: none. */
bool proxy_pool_take(struct conn *c, const struct nw_addr *a);
void proxy_pool_tick(struct proxy *p, uint64_t now);
/* Closes every idle connection (descriptors ran out; the proxy stops). */
void proxy_pool_drop_all(struct proxy *p);
/* Frees what left the pool during the batch. */
void proxy_pool_reap(struct proxy *p);

/* proxy_mem.c: a connection's buffer memory (CONN_MEM), zeroed. */
char *proxy_mem_get(struct proxy *p);
/* Gives c's buffer memory back: cleared and kept, or unmapped. */
void proxy_mem_put(struct conn *c);
void proxy_mem_tick(struct proxy *p, uint64_t now);
void proxy_mem_free_all(struct proxy *p);

/* proxy_http.c */
void proxy_http_start(struct conn *c);
void proxy_http_event(struct conn *c, bool client, uint32_t events);
void proxy_http_interest(struct conn *c, uint32_t *cm, uint32_t *um);

/* proxy_peek.c: a CONNECT tunnel's first bytes, before they go on. */
void proxy_peek_start(struct conn *c);
void proxy_peek_event(struct conn *c, bool client, uint32_t events);
void proxy_peek_interest(struct conn *c, uint32_t *cm, uint32_t *um);
void proxy_peek_timeout_check(struct conn *c, uint64_t now);
/* Feeds what the client sent from offset from (all of it on the first
 * call) to c's ClientHello reader, made on first use; *rc is
 * tls_sni_feed's result. false: out of memory, and c is closed. */
bool proxy_peek_feed(struct conn *c, size_t from, int *rc);

/* proxy_intercept.c */
/* A connection accepted on the interception listener. */
void intercept_start(struct conn *c);
void sniff_event(struct conn *c, bool client, uint32_t events);
void sniff_interest(struct conn *c, uint32_t *cm, uint32_t *um);
void sniff_timeout_check(struct conn *c, uint64_t now);

/* proxy_dns.c: the job's DNS on the gateway (o->dns_udp_fd, dns_tcp_fd). */
struct proxy_dns;
void proxy_dns_init(struct proxy *p);
int proxy_dns_setup(struct proxy *p, nw_err *err);
/* Pauses (0) or resumes (EPOLLIN) taking queries, with the listeners:
 * until the addresses of deny_destinations names are known, and while
 * descriptors run out. */
void proxy_dns_watch(struct proxy *p, uint32_t mask);
void proxy_dns_tick(struct proxy *p, uint64_t now);
/* No DNS connection open and no query waiting for its answer. */
bool proxy_dns_idle(const struct proxy *p);
/* Frees what was closed during the batch. */
void proxy_dns_reap(struct proxy *p);
void proxy_dns_free(struct proxy *p);

/* proxy_tunnel.c */
void proxy_tunnel_start(struct conn *c);
/* The tunnel proper, once the client has its 200 (proxy_tunnel_start sends it;
 * proxy_peek_start did). */
void proxy_tunnel_run(struct conn *c);
void proxy_tunnel_event(struct conn *c, bool client, uint32_t events);
void proxy_tunnel_interest(struct conn *c, uint32_t *cm, uint32_t *um);
void proxy_tunnel_free(struct conn *c);

#endif
