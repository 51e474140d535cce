/* The pure part of wire.c: host-side interface names. */
#include <ctype.h>

#include "wire.h"
#include "unit.h"

static int is_nw_name(const char *s)
{
	if (strlen(s) != 15 || strncmp(s, "nw", 2) != 0)
		return 0;
	for (const char *p = s + 2; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return 0;
	return 1;
}

static void test_shape(void)
{
	char a[NW_IFNAMSIZ];

	wire_ifname("4f1c0d2e9b7a", 0, a);
	CHECK(is_nw_name(a));
	wire_ifname("", 0, a);
	CHECK(is_nw_name(a));
}

static void test_deterministic(void)
{
	char a[NW_IFNAMSIZ], b[NW_IFNAMSIZ];

	wire_ifname("4f1c0d2e9b7a", 3, a);
	wire_ifname("4f1c0d2e9b7a", 3, b);
	CHECK_STR(a, b);
}

static void test_salt_and_id_change_the_name(void)
{
	char a[NW_IFNAMSIZ], b[NW_IFNAMSIZ], c[NW_IFNAMSIZ];

	wire_ifname("4f1c0d2e9b7a", 0, a);
	wire_ifname("4f1c0d2e9b7a", 1, b);
	wire_ifname("4f1c0d2e9b7b", 0, c);
	CHECK(strcmp(a, b) != 0);
	CHECK(strcmp(a, c) != 0);
}

int main(void)
{
	RUN(test_shape);
	RUN(test_deterministic);
	RUN(test_salt_and_id_change_the_name);
	UNIT_DONE();
}
