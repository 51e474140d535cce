/* The rules of the proxy's pool of idle origin connections
 * (proxy_pool.c), apart from the pool itself so they are tested alone:
 * which connection may wait for another request, which request it may
 * serve, and which failed request may be sent again. Pure. */
#ifndef NW_PROXY_REUSE_H
#define NW_PROXY_REUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "http.h"

/* Where an origin connection goes: the host name the decision checked
 * (canonical), the port, and the address the decision approved and the
 * connection was made to. A connection serves only a request with all
 * three the same. */
struct proxy_reuse_key {
	const char *host;
	uint16_t port;
	const struct nw_addr *addr;
};

bool proxy_reuse_same(const struct proxy_reuse_key *a, const struct proxy_reuse_key *b);

/* How one request and its response ended, as the proxy saw them. */
struct proxy_reuse_end {
	int status;	     /* the final response's status */
	enum http_body body; /* how the response's end was delimited */
	bool resp_done;	     /* that end was seen (length, last chunk, no body) */
	bool origin_keeps;   /* the origin did not ask to close (http_resp.keep_alive) */
	bool origin_eof;     /* the origin closed, or its socket failed or hung up */
	size_t extra;	     /* bytes from the origin past the response */
	bool req_forwarded;  /* the whole request, body and all, went out */
	bool req_body;	     /* the request carried a body */
};

/* May the origin connection wait, idle, for another request? Only after a
 * response whose end its framing marked (a Content-Length, the last chunk,
 * or no body by status or method), with not a byte more, to a request sent
 * whole, from an origin that keeps the connection. Interim (1xx) and
 * switching (101) responses never end an exchange. */
bool proxy_reuse_keep(const struct proxy_reuse_end *e);
/* May it then wait in the pool, for other clients' requests, too? Only
 * when it is kept and its request had no body: an origin may answer
 * before it has read a body and then never read the rest, or read it as
 * a request of its own (a body is the client's to fill); the client that
 * sent the body may still reuse the connection, as it always could. */
bool proxy_reuse_pool(const struct proxy_reuse_end *e);

/* May a request that failed on a connection that had served an earlier
 * one be sent again, once, on a fresh connection? Only before a byte of
 * its response came back, and only GET or HEAD without a body: any other
 * request may have been acted on before the connection broke (RFC 9110
 * 9.2.2, RFC 9112 9.3.1). */
bool proxy_reuse_retry(const char *method, enum http_body req_body, uint64_t resp_bytes);

#endif
