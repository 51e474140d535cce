/* The rules of the pool of idle origin connections (proxy_reuse.h). */
#include "proxy_reuse.h"

#include <string.h>

bool proxy_reuse_same(const struct proxy_reuse_key *a, const struct proxy_reuse_key *b)
{
	return a->port == b->port && a->addr->family == b->addr->family &&
	       memcmp(a->addr->a, b->addr->a, sizeof(a->addr->a)) == 0 &&
	       strcmp(a->host, b->host) == 0;
}

bool proxy_reuse_keep(const struct proxy_reuse_end *e)
{
	return e->status >= 200 && e->body != HTTP_BODY_CLOSE && e->resp_done && e->origin_keeps &&
	       !e->origin_eof && e->extra == 0 && e->req_forwarded;
}

bool proxy_reuse_pool(const struct proxy_reuse_end *e)
{
	return proxy_reuse_keep(e) && !e->req_body;
}

bool proxy_reuse_retry(const char *method, enum http_body req_body, uint64_t resp_bytes)
{
	return resp_bytes == 0 && req_body == HTTP_BODY_NONE &&
	       (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0);
}
