/* The ClientHello server-name reader. The first input byte picks a step
 * size; the rest is the client's stream. Fed whole and fed in steps, the
 * reader must reach the same result and the same name: how TCP cuts the
 * stream never changes what the proxy decides. A name found is printable
 * and within a host name's length. */
#include <string.h>

#include "fuzz.h"
#include "tls_sni.h"

static struct tls_sni whole, steps;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t step;
	int a, b = TLS_SNI_MORE;

	if (size < 1)
		return 0;
	step = (size_t)data[0] % 32 + 1;
	data++, size--;

	tls_sni_init(&whole);
	a = tls_sni_feed(&whole, data, size);
	tls_sni_init(&steps);
	for (size_t i = 0; i < size; i += step)
		b = tls_sni_feed(&steps, data + i, size - i < step ? size - i : step);
	FUZZ_ASSERT(a == b, "whole %d, in steps of %zu %d", a, step, b);
	FUZZ_ASSERT(a >= TLS_SNI_BAD && a <= TLS_SNI_NONE, "result %d", a);
	if (a == TLS_SNI_FOUND) {
		size_t n = strlen(whole.name);
		FUZZ_ASSERT(n >= 1 && n <= DOMAIN_MAX + 1, "name length %zu", n);
		for (size_t i = 0; i < n; i++)
			FUZZ_ASSERT(whole.name[i] > 0x20 && whole.name[i] < 0x7f, "byte 0x%02x",
				    (unsigned char)whole.name[i]);
		FUZZ_ASSERT(strcmp(whole.name, steps.name) == 0, "\"%s\" vs \"%s\"", whole.name,
			    steps.name);
	}
	if (a == TLS_SNI_BAD || a == TLS_SNI_NONE)
		FUZZ_ASSERT(whole.why != NULL && steps.why != NULL &&
				strcmp(whole.why, steps.why) == 0,
			    "reasons differ");
	return 0;
}
