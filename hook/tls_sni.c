/* Incremental ClientHello reader: record layer first, reassembling the one
 * handshake message, then the ClientHello's fields by their lengths. */
#include <string.h>

#include "tls_sni.h"

#define CT_HANDSHAKE	22
#define HS_CLIENT_HELLO 1
#define EXT_SERVER_NAME 0
#define SNI_HOST_NAME	0

void tls_sni_init(struct tls_sni *t)
{
	t->hdr_n = 0;
	t->rec_left = 0;
	t->hs_need = 0;
	t->hs_n = 0;
	t->done = TLS_SNI_MORE;
	t->why = NULL;
	t->name[0] = '\0';
}

int tls_looks_like(const uint8_t *p, size_t n)
{
	return n >= 1 && p[0] == CT_HANDSHAKE && (n < 2 || p[1] == 3);
}

static int fail(struct tls_sni *t, int rc, const char *why)
{
	t->done = rc;
	t->why = why;
	return rc;
}

struct rd {
	const uint8_t *p;
	size_t n, off;
};

static int rd_u8(struct rd *r, uint32_t *v)
{
	if (r->n - r->off < 1)
		return -1;
	*v = r->p[r->off++];
	return 0;
}

static int rd_u16(struct rd *r, uint32_t *v)
{
	if (r->n - r->off < 2)
		return -1;
	*v = (uint32_t)r->p[r->off] << 8 | r->p[r->off + 1];
	r->off += 2;
	return 0;
}

static int rd_skip(struct rd *r, size_t k)
{
	if (r->n - r->off < k)
		return -1;
	r->off += k;
	return 0;
}

/* A sub-reader over the next k bytes. */
static int rd_sub(struct rd *r, size_t k, struct rd *sub)
{
	if (r->n - r->off < k)
		return -1;
	*sub = (struct rd){.p = r->p + r->off, .n = k};
	r->off += k;
	return 0;
}

/* server_name extension body: the first host_name entry. */
static int read_sni(struct tls_sni *t, struct rd *e)
{
	struct rd list, name;
	uint32_t llen, type, nlen;

	if (rd_u16(e, &llen) < 0 || rd_sub(e, llen, &list) < 0 || e->off != e->n || llen == 0)
		return fail(t, TLS_SNI_BAD, "malformed server_name extension");
	while (list.off < list.n) {
		if (rd_u8(&list, &type) < 0 || rd_u16(&list, &nlen) < 0 ||
		    rd_sub(&list, nlen, &name) < 0)
			return fail(t, TLS_SNI_BAD, "malformed server_name list");
		if (type != SNI_HOST_NAME)
			continue;
		if (nlen == 0 || nlen > DOMAIN_MAX + 1)
			return fail(t, TLS_SNI_BAD, "server_name of impossible length");
		for (size_t i = 0; i < nlen; i++)
			if (name.p[i] <= 0x20 || name.p[i] >= 0x7f)
				return fail(t, TLS_SNI_BAD,
					    "server_name with a byte a host "
					    "name cannot hold");
		memcpy(t->name, name.p, nlen);
		t->name[nlen] = '\0';
		return fail(t, TLS_SNI_FOUND, NULL);
	}
	return fail(t, TLS_SNI_NONE, "the ClientHello's server_name has no host_name");
}

static int parse_hello(struct tls_sni *t)
{
	struct rd r = {.p = t->hs + 4, .n = t->hs_n - 4}, exts, e;
	uint32_t v, len, type, seen_sni = 0;
	int found = -1;

	if (rd_u16(&r, &v) < 0 || (v >> 8) != 3 || rd_skip(&r, 32) < 0)
		return fail(t, TLS_SNI_BAD, "malformed ClientHello version or random");
	if (rd_u8(&r, &len) < 0 || len > 32 || rd_skip(&r, len) < 0)
		return fail(t, TLS_SNI_BAD, "malformed ClientHello session id");
	if (rd_u16(&r, &len) < 0 || len < 2 || len % 2 || rd_skip(&r, len) < 0)
		return fail(t, TLS_SNI_BAD, "malformed ClientHello cipher suites");
	if (rd_u8(&r, &len) < 0 || len < 1 || rd_skip(&r, len) < 0)
		return fail(t, TLS_SNI_BAD, "malformed ClientHello compression methods");
	if (r.off == r.n)
		return fail(t, TLS_SNI_NONE,
			    "the ClientHello has no extensions, so no "
			    "server_name");
	if (rd_u16(&r, &len) < 0 || rd_sub(&r, len, &exts) < 0 || r.off != r.n)
		return fail(t, TLS_SNI_BAD, "malformed ClientHello extensions");
	while (exts.off < exts.n) {
		if (rd_u16(&exts, &type) < 0 || rd_u16(&exts, &len) < 0 ||
		    rd_sub(&exts, len, &e) < 0)
			return fail(t, TLS_SNI_BAD, "malformed ClientHello extension");
		if (type != EXT_SERVER_NAME)
			continue;
		/* Two server_name extensions could each be read by a
		 * different party: refuse (RFC 8446 §4.2). */
		if (seen_sni++)
			return fail(t, TLS_SNI_BAD, "more than one server_name extension");
		found = read_sni(t, &e);
		if (found == TLS_SNI_BAD)
			return found;
	}
	if (found < 0)
		return fail(t, TLS_SNI_NONE,
			    "the ClientHello has no server_name (a client "
			    "that connects to an IP address)");
	t->done = found;
	return found;
}

/* One record header is whole in t->hdr: check it. */
static int record_start(struct tls_sni *t)
{
	uint32_t len = (uint32_t)t->hdr[3] << 8 | t->hdr[4];

	if (t->hdr[0] != CT_HANDSHAKE)
		return fail(t, TLS_SNI_BAD,
			    t->hs_n ? "a non-handshake record inside the ClientHello"
				    : "not a TLS handshake record");
	if (t->hdr[1] != 3 || t->hdr[2] > 4)
		return fail(t, TLS_SNI_BAD, "not a TLS record version");
	if (len == 0 || len > TLS_RECORD_MAX)
		return fail(t, TLS_SNI_BAD, "TLS record of impossible length");
	t->rec_left = (uint16_t)len;
	t->hdr_n = 0;
	return TLS_SNI_MORE;
}

int tls_sni_feed(struct tls_sni *t, const uint8_t *p, size_t n)
{
	while (t->done == TLS_SNI_MORE && n > 0) {
		if (t->rec_left == 0) {
			t->hdr[t->hdr_n++] = *p++;
			n--;
			if (t->hdr_n == 1 && t->hdr[0] != CT_HANDSHAKE)
				return record_start(t);
			if (t->hdr_n == sizeof(t->hdr) && record_start(t) != TLS_SNI_MORE)
				return t->done;
			continue;
		}
		size_t want = t->hs_need ? t->hs_need - t->hs_n : 4 - t->hs_n;
		size_t k = n < t->rec_left ? n : t->rec_left;
		if (k > want)
			k = want;
		memcpy(t->hs + t->hs_n, p, k);
		t->hs_n += (uint32_t)k;
		t->rec_left -= (uint16_t)k;
		p += k;
		n -= k;
		if (t->hs_need == 0 && t->hs_n == 4) {
			uint32_t len =
			    (uint32_t)t->hs[1] << 16 | (uint32_t)t->hs[2] << 8 | t->hs[3];
			if (t->hs[0] != HS_CLIENT_HELLO)
				return fail(t, TLS_SNI_BAD,
					    "the first handshake message is not a "
					    "ClientHello");
			if (len > TLS_HELLO_MAX)
				return fail(t, TLS_SNI_BAD,
					    "ClientHello longer than netward reads");
			t->hs_need = 4 + len;
		}
		if (t->hs_need && t->hs_n == t->hs_need)
			return parse_hello(t);
	}
	return t->done;
}
