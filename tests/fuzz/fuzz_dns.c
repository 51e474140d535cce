/* The job resolver's query reader and answer builder. The input is a
 * query. Whatever it holds, the reader either drops it, or answers it
 * with a response that carries its id and its question unchanged, fits a
 * UDP answer, and, with QR cleared and the answers cut off, reads back as
 * the same query. */
#include <string.h>

#include "dns_msg.h"
#include "fuzz.h"

static const uint8_t addrs[DNS_MAX_ANSWERS + 2][4] = {{198, 18, 0, 1}};

static void check_answer(const uint8_t *m, const struct dns_query *q, int rcode)
{
	uint8_t out[DNS_UDP_MAX + DNS_TCP_MAX];
	struct dns_query back;
	const char *why;
	size_t r = dns_build(out, sizeof(out), m, q, rcode, addrs, DNS_MAX_ANSWERS + 2, 86400);
	size_t qlen = q->qend ? q->qend - DNS_HEADER : 0;

	FUZZ_ASSERT(r >= DNS_HEADER + qlen, "answer of %zu bytes", r);
	FUZZ_ASSERT(r <= DNS_UDP_MAX || qlen > DNS_UDP_MAX - DNS_HEADER - 16 * DNS_MAX_ANSWERS,
		    "answer of %zu bytes", r);
	FUZZ_ASSERT(memcmp(out, m, 2) == 0, "id changed");
	FUZZ_ASSERT((out[2] & 0x80) && (out[3] & 0xf) == rcode, "flags %02x%02x", out[2], out[3]);
	FUZZ_ASSERT(memcmp(out + DNS_HEADER, m + DNS_HEADER, qlen) == 0, "question changed");
	if (rcode != DNS_R_NOERROR || dns_shape_for(q->qtype) != DNS_ANSWER_A ||
	    q->qclass != DNS_C_IN)
		FUZZ_ASSERT(r == DNS_HEADER + qlen && out[7] == 0, "records in an empty answer");
	if (qlen == 0)
		return;
	out[2] &= 0x7f & ~0x04;
	out[7] = 0;
	FUZZ_ASSERT(dns_parse_query(out, DNS_HEADER + qlen, &back, &why) == 0, "read back: %s",
		    why);
	FUZZ_ASSERT(back.qtype == q->qtype && back.qclass == q->qclass &&
			back.name_ok == q->name_ok && strcmp(back.name, q->name) == 0,
		    "\"%s\" read back as \"%s\"", q->name, back.name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_query q;
	const char *why;
	int rc = dns_parse_query(data, size, &q, &why);

	if (rc < 0) {
		FUZZ_ASSERT(why != NULL, "dropped without a reason");
		return 0;
	}
	if (rc > 0) {
		FUZZ_ASSERT(why != NULL && (rc == DNS_R_FORMERR || rc == DNS_R_NOTIMP), "rc %d", rc);
		check_answer(data, &q, rc);
		return 0;
	}
	FUZZ_ASSERT(q.qend <= size && q.qend >= DNS_HEADER + 5, "qend %zu of %zu", q.qend, size);
	if (q.name_ok) {
		size_t n = strlen(q.name);
		FUZZ_ASSERT(n <= DOMAIN_MAX, "name length %zu", n);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT((q.name[i] >= 'a' && q.name[i] <= 'z') ||
					(q.name[i] >= '0' && q.name[i] <= '9') ||
					strchr("-_.", q.name[i]) != NULL,
				    "byte 0x%02x", (unsigned char)q.name[i]);
	} else {
		FUZZ_ASSERT(q.name[0] == '\0', "a name that is not one");
	}
	for (int r = DNS_R_NOERROR; r <= DNS_R_REFUSED; r++)
		check_answer(data, &q, r);
	FUZZ_ASSERT(dns_rcode_for(&q, false) == DNS_R_NXDOMAIN, "a name outside the list answered");
	return 0;
}
