/* The ClientHello server-name reader: a real ClientHello (openssl
 * s_client -servername www.example.com) fed whole, a byte at a time, and
 * re-split across TLS records at every point; built ClientHellos for the
 * refusals. */
#include <stdbool.h>

#include "tls_sni.h"
#include "unit.h"

static const uint8_t real_hello[] = {
    0x16, 0x03, 0x01, 0x01, 0x3c, 0x01, 0x00, 0x01, 0x38, 0x03, 0x03, 0x63, 0xd1, 0x26, 0x59, 0x9b,
    0x10, 0x56, 0x0b, 0xb6, 0x2d, 0x2c, 0x84, 0x58, 0x25, 0x0c, 0xbf, 0xfc, 0xa0, 0xbf, 0x60, 0x26,
    0x68, 0x9a, 0xd9, 0x2c, 0x2c, 0x15, 0xbd, 0xa9, 0x48, 0xbe, 0xd3, 0x20, 0xd4, 0xaf, 0xce, 0x63,
    0x1b, 0xcc, 0x84, 0x7f, 0xfb, 0x22, 0xb7, 0xca, 0x15, 0xc4, 0x45, 0x4a, 0xe5, 0xa5, 0x02, 0xb7,
    0xe0, 0x8d, 0xcc, 0xe2, 0x2e, 0xbd, 0x51, 0x96, 0x22, 0xde, 0x9c, 0xa9, 0x00, 0x3e, 0x13, 0x02,
    0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8, 0xcc, 0xaa,
    0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23, 0xc0, 0x27,
    0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33, 0x00, 0x9d,
    0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff, 0x01, 0x00, 0x00, 0xb1,
    0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77, 0x77, 0x77, 0x2e, 0x65, 0x78, 0x61,
    0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, 0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
    0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
    0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04, 0x00, 0x23, 0x00, 0x00, 0x00, 0x16,
    0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a, 0x00, 0x28, 0x04, 0x03, 0x05, 0x03,
    0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05,
    0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02,
    0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x09, 0x08, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03,
    0x01, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00,
    0x20, 0x28, 0x87, 0x0e, 0xcb, 0x92, 0x46, 0x16, 0xa3, 0xb5, 0x9c, 0x31, 0x64, 0x7a, 0x34, 0xa0,
    0x64, 0x41, 0x07, 0x6c, 0x64, 0xb9, 0xc3, 0x86, 0xa4, 0xc0, 0x21, 0xed, 0x60, 0x03, 0x4b, 0x9b,
    0x1b};

static struct tls_sni t;

static bool why_has(const char *w)
{
	return t.why != NULL && strstr(t.why, w) != NULL;
}

static int feed_all(const uint8_t *p, size_t n, size_t step)
{
	int rc = TLS_SNI_MORE;

	tls_sni_init(&t);
	for (size_t i = 0; i < n && rc == TLS_SNI_MORE; i += step)
		rc = tls_sni_feed(&t, p + i, n - i < step ? n - i : step);
	return rc;
}

static void test_real_whole(void)
{
	CHECK(feed_all(real_hello, sizeof(real_hello), sizeof(real_hello)) == TLS_SNI_FOUND);
	CHECK_STR(t.name, "www.example.com");
}

static void test_real_bytewise(void)
{
	CHECK(feed_all(real_hello, sizeof(real_hello), 1) == TLS_SNI_FOUND);
	CHECK_STR(t.name, "www.example.com");
	for (size_t step = 2; step < 64; step++) {
		CHECK(feed_all(real_hello, sizeof(real_hello), step) == TLS_SNI_FOUND);
		CHECK_STR(t.name, "www.example.com");
	}
}

/* The handshake message of the real hello in records of at most `cut`
 * bytes each, into out. */
static size_t rerecord(size_t cut, uint8_t *out)
{
	const uint8_t *body = real_hello + 5;
	size_t blen = sizeof(real_hello) - 5, o = 0;

	for (size_t i = 0; i < blen; i += cut) {
		size_t k = blen - i < cut ? blen - i : cut;
		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 1;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)k;
		memcpy(out + o, body + i, k);
		o += k;
	}
	return o;
}

static void test_real_records(void)
{
	static uint8_t buf[sizeof(real_hello) * 6];

	for (size_t cut = 1; cut < sizeof(real_hello) - 5; cut++) {
		size_t n = rerecord(cut, buf);
		bool ok =
		    feed_all(buf, n, n) == TLS_SNI_FOUND && strcmp(t.name, "www.example.com") == 0;
		CHECK(ok);
		ok = feed_all(buf, n, 1) == TLS_SNI_FOUND && strcmp(t.name, "www.example.com") == 0;
		CHECK(ok);
		if (!ok)
			printf("#   cut at %zu: %s\n", cut, t.why ? t.why : "");
	}
}

static void test_truncated_needs_more(void)
{
	for (size_t n = 0; n < sizeof(real_hello); n++)
		CHECK(feed_all(real_hello, n, 1) == TLS_SNI_MORE);
}

/* A ClientHello built from parts: exts is the extensions block's contents
 * (NULL: no extensions block at all). Returns the record bytes. */
static size_t build(const uint8_t *exts, size_t elen, uint8_t *out)
{
	uint8_t body[2048];
	size_t b = 0, o = 0;

	body[b++] = 3, body[b++] = 3;
	memset(body + b, 0xab, 32), b += 32;
	body[b++] = 0;		      /* session id */
	body[b++] = 0, body[b++] = 2; /* cipher suites */
	body[b++] = 0x13, body[b++] = 0x01;
	body[b++] = 1, body[b++] = 0; /* compression */
	if (exts != NULL) {
		body[b++] = (uint8_t)(elen >> 8), body[b++] = (uint8_t)elen;
		memcpy(body + b, exts, elen), b += elen;
	}
	out[o++] = 22, out[o++] = 3, out[o++] = 1;
	out[o++] = (uint8_t)((b + 4) >> 8), out[o++] = (uint8_t)(b + 4);
	out[o++] = 1, out[o++] = 0, out[o++] = (uint8_t)(b >> 8), out[o++] = (uint8_t)b;
	memcpy(out + o, body, b);
	return o + b;
}

/* A server_name extension for name, at e. */
static size_t sni_ext(const char *name, uint8_t *e)
{
	size_t n = strlen(name);

	e[0] = 0, e[1] = 0;
	e[2] = (uint8_t)((n + 5) >> 8), e[3] = (uint8_t)(n + 5);
	e[4] = (uint8_t)((n + 3) >> 8), e[5] = (uint8_t)(n + 3);
	e[6] = 0;
	e[7] = (uint8_t)(n >> 8), e[8] = (uint8_t)n;
	memcpy(e + 9, name, n);
	return n + 9;
}

static void test_built(void)
{
	uint8_t ext[1024], rec[2048];
	size_t el, n;
	static const uint8_t other_ext[] = {0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04};

	el = sni_ext("api.a.test", ext);
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, 1) == TLS_SNI_FOUND);
	CHECK_STR(t.name, "api.a.test");

	/* no extensions, or extensions without server_name: a client that
	 * connects to an IP address */
	n = build(NULL, 0, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_NONE && t.why != NULL);
	n = build(other_ext, sizeof(other_ext), rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_NONE && why_has("IP address"));

	/* two server_name extensions */
	el = sni_ext("a.test", ext);
	el += sni_ext("evil.test", ext + el);
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_BAD && why_has("more than one"));

	/* a name with a space, a NUL or a high byte */
	el = sni_ext("a b.test", ext);
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_BAD);
	el = sni_ext("ab.test", ext);
	ext[10] = 0;
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_BAD);
	el = sni_ext("ab.test", ext);
	ext[10] = 0xc3;
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_BAD);

	/* extension length running past the block */
	el = sni_ext("a.test", ext);
	ext[3] += 1;
	n = build(ext, el, rec);
	CHECK(feed_all(rec, n, n) == TLS_SNI_BAD);
}

static void test_refusals(void)
{
	static const uint8_t http[] = "GET / HTTP/1.1\r\n";
	static const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
	static const uint8_t server_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
	static const uint8_t too_long[] = {22, 3, 1, 0, 4, 1, 0, 0x40, 0x01};
	static const uint8_t empty_rec[] = {22, 3, 1, 0, 0};
	static const uint8_t big_rec[] = {22, 3, 1, 0x40, 0x01};
	static const uint8_t v2[] = {0x80, 0x2e, 0x01, 0x00, 0x02};
	uint8_t mixed[sizeof(real_hello) + 16];

	CHECK(feed_all(http, sizeof(http) - 1, 1) == TLS_SNI_BAD);
	CHECK(why_has("not a TLS"));
	CHECK(feed_all(alert, sizeof(alert), 1) == TLS_SNI_BAD);
	CHECK(feed_all(server_hello, sizeof(server_hello), 1) == TLS_SNI_BAD);
	CHECK(feed_all(too_long, sizeof(too_long), 1) == TLS_SNI_BAD);
	CHECK(why_has("longer"));
	CHECK(feed_all(empty_rec, sizeof(empty_rec), 1) == TLS_SNI_BAD);
	CHECK(feed_all(big_rec, sizeof(big_rec), 1) == TLS_SNI_BAD);
	CHECK(feed_all(v2, sizeof(v2), 1) == TLS_SNI_BAD);

	/* application data between two records of the ClientHello */
	memcpy(mixed, real_hello, 5 + 20);
	mixed[3] = 0;
	mixed[4] = 20;
	memcpy(mixed + 25, (const uint8_t[]){23, 3, 3, 0, 1, 0}, 6);
	CHECK(feed_all(mixed, 31, 31) == TLS_SNI_BAD);
	CHECK(why_has("non-handshake"));

	/* the result is final: more bytes change nothing */
	CHECK(feed_all(real_hello, sizeof(real_hello), sizeof(real_hello)) == TLS_SNI_FOUND);
	CHECK(tls_sni_feed(&t, http, 4) == TLS_SNI_FOUND);
	CHECK(tls_looks_like(real_hello, 3) && !tls_looks_like(http, 3));
}

int main(void)
{
	RUN(test_real_whole);
	RUN(test_real_bytewise);
	RUN(test_real_records);
	RUN(test_truncated_needs_more);
	RUN(test_built);
	RUN(test_refusals);
	UNIT_DONE();
}
