/* The addresses that deny_destinations names resolve to, kept by the job's
 * proxy and refreshed by their TTL, so that another name sharing such an
 * address (an alias the node's DNS knows, a CNAME elsewhere, a name the
 * job controls) is refused too (DESIGN.md §2: "the name and what it
 * resolves to"). */
#ifndef NW_PROXY_DENY_H
#define NW_PROXY_DENY_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "resolve.h"

/* At most this many deny_destinations names are resolved (the first ones
 * in the config); each keeps up to RESOLVE_MAX_ADDRS addresses. */
#define PROXY_DENY_NAMES 64
/* Kept at least this long whatever the TTL (TTL 0 would mean a lookup per
 * tick), and at most CACHE_TTL_MAX like every other answer. */
#define PROXY_DENY_TTL_MIN_S 5
#define PROXY_DENY_TTL_MAX_S 300
/* After a failed or empty lookup, ask again this much later. */
#define PROXY_DENY_RETRY_S 5

/* The lookups' state: proxy_deny.c keeps it, proxy_deny_match.c (pure,
 * for the decision in proxy_policy.c) reads it. */
struct deny_name {
	struct proxy_deny *owner;
	const struct nw_deny *rule;
	char name[DOMAIN_MAX + 1];
	struct nw_addr addrs[RESOLVE_MAX_ADDRS];
	size_t n;
	bool answered;	     /* a first answer (or failure) came */
	uint64_t refresh_ms; /* look up again from then on */
	struct resolve_query *q;
};

struct proxy_deny {
	struct resolver *res;
	size_t n;
	struct deny_name e[]; /* n of them */
};

/* Starts a lookup of every domain entry of cfg->deny (a wildcard
 * ".x.com": of x.com). NULL only when out of memory. */
struct proxy_deny *proxy_deny_new(const struct nw_config *cfg, struct resolver *res);
/* Looks up again what expired, keeping the old addresses until the new
 * answer comes (they stay refused meanwhile). */
void proxy_deny_tick(struct proxy_deny *d, uint64_t now_ms);
/* No name to look up again, ever: proxy_deny_tick has nothing to do. */
bool proxy_deny_idle(const struct proxy_deny *d);
/* Has every name had a first answer (or failed once)? */
bool proxy_deny_ready(const struct proxy_deny *d);
/* The deny entry whose name currently resolves to a (and covers port),
 * or NULL; *name: the name looked up. */
const struct nw_deny *proxy_deny_match(const struct proxy_deny *d, const struct nw_addr *a,
				       uint16_t port, const char **name);
void proxy_deny_free(struct proxy_deny *d);

#endif
