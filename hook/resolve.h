/* Asynchronous name lookups for the proxy, through c-ares, against the node
 * config's dns_servers only (never /etc/resolv.conf or /etc/hosts), driven
 * by the proxy's epoll loop. The one adapter between c-ares and netward. */
#ifndef NW_RESOLVE_H
#define NW_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "config.h"
#include "domain.h"
#include "err.h"

#define RESOLVE_MAX_ADDRS  32
#define RESOLVE_MAX_CNAMES 8

enum resolve_status {
	RESOLVE_OK,	  /* addrs holds at least one address */
	RESOLVE_NXDOMAIN, /* the name does not exist */
	RESOLVE_NODATA,	  /* the name exists but has no A or AAAA record */
	RESOLVE_TIMEOUT,
	RESOLVE_FAIL, /* anything else; detail says what */
};

struct resolver;
struct resolve_query;

/* What a lookup answered: the addresses, and every name of the CNAME chain
 * it went through (aliases and targets), so policy can check each one. */
struct resolve_answer {
	struct nw_addr addrs[RESOLVE_MAX_ADDRS];
	size_t n;
	char cnames[RESOLVE_MAX_CNAMES][DOMAIN_MAX + 1];
	size_t ncnames;
	bool cnames_cut; /* the chain had more names than fit */
	int ttl;	 /* seconds, the smallest in the answer */
};

typedef void (*resolve_cb)(void *arg, enum resolve_status st, const struct resolve_answer *ans,
			   const char *detail);

/* How c-ares is told to retry: tries rounds over every server, the first
 * round waiting try_ms per server and each later round twice the one
 * before (c-ares's back-off), so a lookup that no server answers gives up
 * after n_dns * try_ms * (2^tries - 1). */
struct resolve_timing {
	int tries;
	int try_ms;
};
/* The timing that makes a lookup against n_dns silent servers give up no
 * later than budget_ms: two rounds when each try still gets at least
 * RESOLVE_MIN_TRY_MS, else one. */
#define RESOLVE_MIN_TRY_MS 200
struct resolve_timing resolve_timing_for(size_t n_dns, unsigned budget_ms);
/* The longest a lookup with t against n_dns silent servers takes. */
unsigned resolve_timing_total(struct resolve_timing t, size_t n_dns);

/* Sockets are registered with epfd as they come and go. Every lookup gives
 * up (RESOLVE_TIMEOUT) within budget_ms, not counting how late the caller
 * calls resolve_tick. */
struct resolver *resolve_new(const struct nw_dns_server *dns, size_t n_dns, unsigned budget_ms,
			     int epfd, nw_err *err);
/* Starts an A and AAAA lookup. *slot is set to the query now and cleared
 * just before cb runs (cb may run before this returns), so the caller's
 * pointer is never stale. */
int resolve_lookup(struct resolver *r, const char *host, resolve_cb cb, void *arg,
		   struct resolve_query **slot, nw_err *err);
/* Fills ans with what a lookup of host answered within that answer's TTL
 * (at most 5 minutes); returns how many addresses, 0 when nothing is kept. */
size_t resolve_cached(struct resolver *r, const char *host, struct resolve_answer *ans);
/* cb will not run; clears *slot. NULL is fine. */
void resolve_cancel(struct resolve_query *q);
/* Lets c-ares handle its own retransmissions and timeouts; call every few
 * hundred milliseconds. Frees nothing. */
void resolve_tick(struct resolver *r);
/* No lookup in flight: nothing for resolve_tick to time out. */
bool resolve_idle(struct resolver *r);
/* Frees what the resolver let go of (the watches of sockets c-ares
 * closed). The epoll loop calls it after each batch of events, never from
 * a handler: until then an event of the batch may still point at one. */
void resolve_reap(struct resolver *r);
/* Cancels what is pending (no callbacks) and frees. */
void resolve_free(struct resolver *r);

#endif
