/* The job resolver's wire format: queries read strictly (golden table of
 * accepted and refused messages), answers built and read back. */
#include <stdbool.h>

#include "dns_msg.h"
#include "unit.h"

/* A query for name (dotted text) of type qtype, class IN, id 0x1234, RD
 * set; returns its length. */
static size_t mkq(uint8_t *m, const char *name, uint16_t qtype)
{
	size_t o = 12;
	const char *p = name;

	memcpy(m, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		m[o++] = (uint8_t)l;
		memcpy(m + o, p, l);
		o += l;
		p += l + (dot != NULL);
	}
	m[o++] = 0;
	m[o++] = (uint8_t)(qtype >> 8), m[o++] = (uint8_t)qtype;
	m[o++] = 0, m[o++] = 1;
	return o;
}

static void test_parse_good(void)
{
	uint8_t m[600] = {0};
	struct dns_query q;
	const char *why;
	size_t n = mkq(m, "WWW.Example.COM", DNS_T_A);

	CHECK(dns_parse_query(m, n, &q, &why) == 0);
	CHECK_STR(q.name, "www.example.com");
	CHECK(q.name_ok && q.qtype == DNS_T_A && q.qclass == DNS_C_IN && q.id == 0x1234);
	CHECK(q.qend == n);

	/* an EDNS OPT record after the question is allowed and ignored */
	m[11] = 1;
	memcpy(m + n, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
	CHECK(dns_parse_query(m, n + 11, &q, &why) == 0 && q.qend == n);

	/* the root, and labels a host name cannot hold */
	n = mkq(m, "", DNS_T_A);
	CHECK(dns_parse_query(m, n, &q, &why) == 0 && q.name_ok && q.name[0] == '\0');
	n = mkq(m, "a b.example.com", DNS_T_A);
	CHECK(dns_parse_query(m, n, &q, &why) == 0 && !q.name_ok && q.name[0] == '\0');
	n = mkq(m, "x.example.com", DNS_T_A);
	m[13] = '.';
	CHECK(dns_parse_query(m, n, &q, &why) == 0 && !q.name_ok);
}

static void test_parse_bad(void)
{
	uint8_t m[600] = {0};
	struct dns_query q;
	const char *why;
	size_t n;

	CHECK(dns_parse_query(m, 11, &q, &why) == -1);
	n = mkq(m, "a.test", DNS_T_A);
	m[2] |= 0x80; /* a response */
	CHECK(dns_parse_query(m, n, &q, &why) == -1);
	n = mkq(m, "a.test", DNS_T_A);
	m[2] |= 0x10; /* opcode 2, STATUS */
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_NOTIMP && q.id == 0x1234);
	n = mkq(m, "a.test", DNS_T_A);
	m[5] = 2;
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR && why != NULL);
	m[5] = 0;
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR);
	n = mkq(m, "a.test", DNS_T_A);
	m[7] = 1; /* an answer in a query */
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR);
	n = mkq(m, "a.test", DNS_T_A);
	CHECK(dns_parse_query(m, n - 1, &q, &why) == DNS_R_FORMERR);
	CHECK(dns_parse_query(m, n + 1, &q, &why) == DNS_R_FORMERR); /* trailing byte */
	CHECK(dns_parse_query(m, 14, &q, &why) == DNS_R_FORMERR);    /* label past the end */
	n = mkq(m, "a.test", DNS_T_A);
	m[12] = 0xc0; /* a pointer */
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR && strstr(why, "compressed"));

	/* a name of more than 255 bytes on the wire */
	char long_name[300];
	for (int i = 0; i < 64; i++)
		memcpy(long_name + i * 4, "abc.", 4);
	long_name[255] = '\0';
	n = mkq(m, long_name, DNS_T_A);
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR);
}

static void test_rcode_shape(void)
{
	struct dns_query q = {.qtype = DNS_T_A, .qclass = DNS_C_IN, .name_ok = true};

	CHECK(dns_rcode_for(&q, true) == DNS_R_NOERROR);
	CHECK(dns_rcode_for(&q, false) == DNS_R_NXDOMAIN);
	q.qtype = 16; /* TXT: a name outside the list is NXDOMAIN whatever the type */
	CHECK(dns_rcode_for(&q, false) == DNS_R_NXDOMAIN);
	q.qclass = 3;
	CHECK(dns_rcode_for(&q, true) == DNS_R_REFUSED);
	q.qclass = DNS_C_IN;
	q.name_ok = false;
	CHECK(dns_rcode_for(&q, true) == DNS_R_NXDOMAIN);

	CHECK(dns_shape_for(DNS_T_A) == DNS_ANSWER_A);
	CHECK(dns_shape_for(DNS_T_AAAA) == DNS_ANSWER_EMPTY);
	CHECK(dns_shape_for(DNS_T_HTTPS) == DNS_ANSWER_EMPTY);
	CHECK(dns_shape_for(DNS_T_SVCB) == DNS_ANSWER_EMPTY);
	CHECK(dns_shape_for(16) == DNS_ANSWER_EMPTY);  /* TXT */
	CHECK(dns_shape_for(255) == DNS_ANSWER_EMPTY); /* ANY */
}

static void test_build(void)
{
	uint8_t m[600], out[DNS_UDP_MAX];
	static const uint8_t a4[10][4] = {{198, 18, 0, 10}, {198, 18, 0, 11}};
	struct dns_query q;
	const char *why;
	size_t n = mkq(m, "Api.A.Test", DNS_T_A), r;

	CHECK(dns_parse_query(m, n, &q, &why) == 0);
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NOERROR, a4, 2, 3600);
	CHECK(r == n + 32);
	CHECK(out[0] == 0x12 && out[1] == 0x34);
	CHECK(out[2] == 0x85 && out[3] == 0x80); /* QR AA RD, RA, NOERROR */
	CHECK(out[5] == 1 && out[7] == 2 && out[9] == 0 && out[11] == 0);
	CHECK(memcmp(out + 12, m + 12, n - 12) == 0); /* the question as sent */
	CHECK(out[n] == 0xc0 && out[n + 1] == 12 && out[n + 3] == 1 && out[n + 5] == 1);
	CHECK(out[n + 6] == 0 && out[n + 7] == 0 && out[n + 8] == 0 && out[n + 9] == DNS_TTL_MAX);
	CHECK(memcmp(out + n + 12, a4[0], 4) == 0 && memcmp(out + n + 28, a4[1], 4) == 0);

	/* the TTL below the cap stays */
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NOERROR, a4, 1, 7);
	CHECK(r == n + 16 && out[n + 9] == 7);
	/* more than DNS_MAX_ANSWERS addresses: the first ones */
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NOERROR, a4, 10, 7);
	CHECK(r == n + 16 * DNS_MAX_ANSWERS && out[7] == DNS_MAX_ANSWERS);

	/* NXDOMAIN, and AAAA: no records whatever addresses are passed */
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NXDOMAIN, a4, 2, 7);
	CHECK(r == n && (out[3] & 0xf) == DNS_R_NXDOMAIN && out[7] == 0);
	n = mkq(m, "a.test", DNS_T_AAAA);
	CHECK(dns_parse_query(m, n, &q, &why) == 0);
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NOERROR, a4, 2, 7);
	CHECK(r == n && (out[3] & 0xf) == 0 && out[7] == 0);
	n = mkq(m, "a.test", DNS_T_HTTPS);
	CHECK(dns_parse_query(m, n, &q, &why) == 0);
	r = dns_build(out, sizeof(out), m, &q, DNS_R_NOERROR, a4, 2, 7);
	CHECK(r == n && out[7] == 0);

	/* FORMERR before the question was read: the header alone */
	n = mkq(m, "a.test", DNS_T_A);
	m[5] = 2;
	CHECK(dns_parse_query(m, n, &q, &why) == DNS_R_FORMERR);
	r = dns_build(out, sizeof(out), m, &q, DNS_R_FORMERR, NULL, 0, 0);
	CHECK(r == 12 && (out[3] & 0xf) == DNS_R_FORMERR && out[5] == 0 && out[0] == 0x12);

	/* too small an output */
	CHECK(dns_build(out, 11, m, &q, DNS_R_FORMERR, NULL, 0, 0) == 0);
}

int main(void)
{
	RUN(test_parse_good);
	RUN(test_parse_bad);
	RUN(test_rcode_shape);
	RUN(test_build);
	UNIT_DONE();
}
