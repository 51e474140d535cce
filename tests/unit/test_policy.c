/* Annotations against node policy: every refusal names what to change. */
#include <stdlib.h>

#include "config.h"
#include "policy.h"
#include "unit.h"

static int load(struct nw_config *cfg, const char *json)
{
	nw_err err = NULL;
	int rc = config_parse(cfg, json, strlen(json), &err);
	if (rc < 0)
		printf("#   config: %s\n", nw_err_msg(err));
	nw_err_free(&err);
	return rc;
}

struct pcase {
	const char *config;
	const char *network, *domains, *job_id;
	const char *want; /* NULL: allowed; else a substring of the refusal */
	enum nw_mode mode;
};

/* clang-format off */
static const struct pcase cases[] = {
	{"{}", NULL, NULL, NULL, NULL, NW_MODE_NONE},
	{"{}", "none", NULL, NULL, NULL, NW_MODE_NONE},
	{"{}", "NONE", NULL, NULL, NULL, NW_MODE_NONE},
	{"{}", "http", "a.test", NULL, "allowed_modes (none) does not include", 0},
	{"{}", "full", NULL, NULL, "network mode \"full\", which this node's allowed_modes", 0},
	{"{\"allowed_modes\":[\"none\",\"http\"],\"dns_servers\":[\"198.18.0.2\"]}",
	 "HTTP", "www.test,.x.test", NULL, NULL, NW_MODE_HTTP},
	{"{\"allowed_modes\":[\"full\"]}", "Full", NULL, NULL, NULL, NW_MODE_FULL},
	{"{\"allowed_modes\":[\"full\"]}", "banana", NULL, NULL,
	 "network mode \"banana\" (io.netward.network); the modes are none, http and full", 0},
	{"{\"allowed_modes\":[\"full\"]}", "full", "a.test", NULL,
	 "io.netward.domains is set, but the job's network mode is \"full\"", 0},
	{"{}", NULL, "a.test", NULL, "domains apply only to http", 0},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"]}", "http", NULL, NULL,
	 "network mode \"http\" needs io.netward.domains", 0},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"]}", "http", " , ", NULL,
	 "needs io.netward.domains", 0},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"]}", "http", "ex ample.com",
	 NULL, "io.netward.domains: domain \"ex ample.com\"", 0},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"],"
	 "\"domain_allowlist\":[\".www.test\"]}", "http", "other.test", NULL,
	 "job asks for domain \"other.test\", which this node's domain_allowlist does not cover", 0},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"],"
	 "\"domain_allowlist\":[\".www.test\"]}", "http", "a.www.test,www.test,.b.www.test", NULL,
	 NULL, NW_MODE_HTTP},
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"],"
	 "\"domain_allowlist\":[\"www.test\"]}", "http", ".www.test", NULL,
	 "domain \".www.test\", which this node's domain_allowlist does not cover", 0},
	/* Every uncovered domain is named, not only the first. */
	{"{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"],"
	 "\"domain_allowlist\":[\".www.test\"]}", "http", "a.test,x.www.test,b.test", NULL,
	 "job asks for domains \"a.test\", \"b.test\", which this node's domain_allowlist does "
	 "not cover", 0},
	{"{}", NULL, NULL, "job 1", "io.netward.job-id must be", 0},
	{"{}", NULL, NULL, "job-\"1", "io.netward.job-id must be", 0},
};
/* clang-format on */

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct pcase *c = &cases[i];
		struct nw_config cfg;
		struct job_policy pol;
		nw_err err = NULL;

		if (load(&cfg, c->config) < 0) {
			CHECK(!"config parses");
			continue;
		}
		int rc = policy_decide(&cfg, c->network, c->domains, c->job_id, "ctr1", &pol, &err);
		if (c->want == NULL) {
			if (rc != 0)
				printf("#   case %zu: %s\n", i, nw_err_msg(err));
			CHECK(rc == 0);
			if (rc == 0) {
				CHECK(pol.mode == c->mode);
				CHECK_STR(pol.job_id, c->job_id ? c->job_id : "ctr1");
				policy_free(&pol);
			}
		} else {
			CHECK(rc < 0);
			if (rc < 0 && strstr(nw_err_msg(err), c->want) == NULL)
				printf("#   case %zu: got \"%s\", want \"%s\"\n", i,
				       nw_err_msg(err), c->want);
			CHECK(rc < 0 && strstr(nw_err_msg(err), c->want) != NULL);
		}
		nw_err_free(&err);
		config_free(&cfg);
	}
}

static void test_domains_csv(void)
{
	struct nw_config cfg;
	struct job_policy pol;
	nw_err err = NULL;

	CHECK(load(&cfg, "{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"]}") == 0);
	CHECK(policy_decide(&cfg, "http", " WWW.test. , .X.test", "j", "c", &pol, &err) == 0);
	char *csv = policy_domains_csv(&pol.domains, &err);
	CHECK_STR(csv, "www.test,.x.test");
	free(csv);
	policy_free(&pol);
	config_free(&cfg);
	nw_err_free(&err);
}

int main(void)
{
	RUN(test_cases);
	RUN(test_domains_csv);
	UNIT_DONE();
}
