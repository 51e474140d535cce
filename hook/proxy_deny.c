/* deny_destinations names and their current addresses (see proxy_deny.h). */
#include "proxy_deny.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "io.h"

static void on_answer(void *arg, enum resolve_status st, const struct resolve_answer *ans,
		      const char *detail)
{
	struct deny_name *e = arg;
	int ttl;

	e->answered = true;
	if (st == RESOLVE_OK && ans != NULL) {
		memcpy(e->addrs, ans->addrs, ans->n * sizeof(e->addrs[0]));
		e->n = ans->n;
		ttl = ans->ttl < PROXY_DENY_TTL_MIN_S	? PROXY_DENY_TTL_MIN_S
		      : ans->ttl > PROXY_DENY_TTL_MAX_S ? PROXY_DENY_TTL_MAX_S
							: ans->ttl;
		e->refresh_ms = io_now_ms() + (uint64_t)ttl * 1000;
		return;
	}
	/* NXDOMAIN or no address: nothing to refuse now. A timeout or a
	 * failure keeps what was known (still refused). Either way, ask
	 * again soon. */
	if (st == RESOLVE_NXDOMAIN || st == RESOLVE_NODATA)
		e->n = 0;
	e->refresh_ms = io_now_ms() + PROXY_DENY_RETRY_S * 1000;
}

static void lookup(struct deny_name *e)
{
	cleanup_err nw_err err = NULL;

	if (e->q != NULL)
		return;
	if (resolve_lookup(e->owner->res, e->name, on_answer, e, &e->q, &err) < 0) {
		e->answered = true;
		e->refresh_ms = io_now_ms() + PROXY_DENY_RETRY_S * 1000;
	}
}

static bool resolvable(const struct nw_deny *r)
{
	return r->is_domain && !r->domain.is_ip;
}

struct proxy_deny *proxy_deny_new(const struct nw_config *cfg, struct resolver *res)
{
	struct proxy_deny *d;
	size_t want = 0;

	for (size_t i = 0; i < cfg->n_deny; i++)
		if (resolvable(&cfg->deny[i]) && want < PROXY_DENY_NAMES)
			want++;
	d = calloc(1, sizeof(*d) + want * sizeof(d->e[0]));
	if (d == NULL)
		return NULL;
	d->res = res;
	for (size_t i = 0; i < cfg->n_deny && d->n < want; i++) {
		const struct nw_deny *r = &cfg->deny[i];
		if (!resolvable(r))
			continue;
		struct deny_name *e = &d->e[d->n++];
		e->owner = d;
		e->rule = r;
		snprintf(e->name, sizeof(e->name), "%s", r->domain.name);
	}
	for (size_t i = 0; i < d->n; i++)
		lookup(&d->e[i]);
	return d;
}

void proxy_deny_tick(struct proxy_deny *d, uint64_t now)
{
	for (size_t i = 0; d != NULL && i < d->n; i++)
		if (d->e[i].answered && now >= d->e[i].refresh_ms)
			lookup(&d->e[i]);
}

bool proxy_deny_idle(const struct proxy_deny *d)
{
	return d == NULL || d->n == 0;
}

bool proxy_deny_ready(const struct proxy_deny *d)
{
	for (size_t i = 0; d != NULL && i < d->n; i++)
		if (!d->e[i].answered)
			return false;
	return true;
}

void proxy_deny_free(struct proxy_deny *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		resolve_cancel(d->e[i].q);
	free(d);
}
