/* reached_cover: the io.netward.domains value `netward domains` prints. */
#include <stdlib.h>

#include "reached.h"
#include "unit.h"

static const struct {
	const char *hosts;   /* space-separated, as reached */
	const char *ceiling; /* NULL: none */
	const char *want;
} cases[] = {
    /* One name alone stays exact. */
    {"api.example.com", NULL, "api.example.com"},
    /* Three names under one domain and one other. */
    {"a.example.com b.example.com c.example.com other.test", NULL, ".example.com,other.test"},
    /* Repeats count once: one name is no group. */
    {"a.example.com a.example.com other.test", NULL, "a.example.com,other.test"},
    /* The domain itself and a name below it. */
    {"example.com www.example.com", NULL, ".example.com"},
    /* The narrowest parent holding the same names. */
    {"a.x.example.com b.x.example.com", NULL, ".x.example.com"},
    /* The wider parent where it holds more. */
    {"a.x.example.com b.x.example.com c.example.com", NULL, ".example.com"},
    /* Never a public two-label suffix, nor a top-level domain. */
    {"a.co.uk b.co.uk", NULL, "a.co.uk,b.co.uk"},
    {"a.com b.com", NULL, "a.com,b.com"},
    {"x.a.co.uk y.a.co.uk", NULL, ".a.co.uk"},
    /* The node's ceiling must admit the group, else the names stay. */
    {"a.example.com b.example.com", "a.example.com,b.example.com", "a.example.com,b.example.com"},
    {"a.x.example.com b.x.example.com c.example.com", ".x.example.com,c.example.com",
     "c.example.com,.x.example.com"},
    /* IP literals are listed as they are, never grouped. */
    {"198.18.0.1 198.18.0.2", NULL, "198.18.0.1,198.18.0.2"},
    {"", NULL, ""},
};

static void test_cover(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[512], *h[16];
		size_t n = 0;
		struct domain_list ceiling = {0};

		snprintf(buf, sizeof(buf), "%s", cases[i].hosts);
		for (char *t = strtok(buf, " "); t != NULL; t = strtok(NULL, " "))
			h[n++] = t;
		if (cases[i].ceiling != NULL)
			CHECK(domain_list_parse(&ceiling, cases[i].ceiling, NULL) == 0);
		char *got = reached_cover(h, n, cases[i].ceiling ? &ceiling : NULL, NULL);
		if (got == NULL || strcmp(got, cases[i].want) != 0)
			printf("#   hosts \"%s\"\n", cases[i].hosts);
		CHECK_STR(got, cases[i].want);
		free(got);
		domain_list_free(&ceiling);
	}
}

int main(void)
{
	RUN(test_cover);
	UNIT_DONE();
}
