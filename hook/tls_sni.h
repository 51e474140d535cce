/* The server name of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3), read
 * incrementally: bytes are fed as they arrive, whatever the TCP segments
 * and however the handshake message is split across TLS records. Bounded:
 * a ClientHello longer than TLS_HELLO_MAX is refused. Pure: no syscalls, no
 * globals. */
#ifndef NW_TLS_SNI_H
#define NW_TLS_SNI_H

#include <stddef.h>
#include <stdint.h>

#include "domain.h"

#define TLS_HELLO_MAX  16384 /* handshake body bytes; real ClientHellos stay far below */
#define TLS_RECORD_MAX 16384 /* 2^14, RFC 8446 §5.1 */

enum tls_sni_rc {
	TLS_SNI_BAD = -1,  /* not TLS, not a ClientHello, malformed or too long */
	TLS_SNI_MORE = 0,  /* a valid prefix so far: feed more */
	TLS_SNI_FOUND = 1, /* name holds the host_name */
	TLS_SNI_NONE = 2,  /* a whole ClientHello without a host_name */
};

struct tls_sni {
	uint8_t hdr[5];
	uint8_t hdr_n;	   /* bytes of the current record header seen */
	uint16_t rec_left; /* body bytes left in the current record */
	uint32_t hs_need;  /* handshake message length with its 4-byte header, 0: unknown */
	uint32_t hs_n;
	int done; /* the result once final, else TLS_SNI_MORE */
	const char *why;
	char name[DOMAIN_MAX + 1];
	uint8_t hs[4 + TLS_HELLO_MAX];
};

void tls_sni_init(struct tls_sni *t);
/* Feeds the next n bytes of the client's stream. Once the result is final
 * (anything but TLS_SNI_MORE), further bytes are ignored and the same
 * result returned. On TLS_SNI_BAD and TLS_SNI_NONE, t->why says why; on
 * TLS_SNI_FOUND, t->name is the host_name as sent (printable ASCII, not yet
 * canonical). */
int tls_sni_feed(struct tls_sni *t, const uint8_t *p, size_t n);
/* Does the stream start like a TLS handshake record? (For telling TLS from
 * HTTP on the first byte: 0x16.) */
int tls_looks_like(const uint8_t *p, size_t n);

#endif
