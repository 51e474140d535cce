/* Which deny_destinations name an address currently belongs to (see
 * proxy_deny.h). Pure: the decision in proxy_policy.c links it alone. */
#include <string.h>

#include "proxy_deny.h"

const struct nw_deny *proxy_deny_match(const struct proxy_deny *d, const struct nw_addr *a,
				       uint16_t port, const char **name)
{
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		const struct deny_name *e = &d->e[i];
		if (e->rule->port != 0 && e->rule->port != port)
			continue;
		for (size_t k = 0; k < e->n; k++) {
			struct nw_addr u = addr_unmap(&e->addrs[k]);
			if (u.family == a->family &&
			    memcmp(u.a, a->a, a->family == AF_INET ? 4 : 16) == 0) {
				*name = e->name;
				return e->rule;
			}
		}
	}
	return NULL;
}
