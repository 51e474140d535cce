/* `netward explain` and `netward test` on cases that need no DNS: the
 * verdict, every refused domain with the covering entry of the others,
 * and the proxy's decision for IP-literal URLs. */
#include <stdlib.h>

#include "cleanup.h"
#include "config.h"
#include "dryrun.h"
#include "json.h"
#include "unit.h"

static const char conf[] =
    "{\"allowed_modes\": [\"none\", \"http\"], \"dns_servers\": [\"10.0.0.53\"],"
    " \"domain_allowlist\": [\".www.test\", \"other.test\", \"198.18.0.10\","
    " \"198.18.0.12\", \"10.1.2.3\"],"
    " \"deny_destinations\": [\"198.18.0.12\"],"
    " \"allow_private_destinations\": [\"198.18.0.0/15\"]}";

/* Runs fn's output through the JSON parser; returns its exit verdict. */
static struct json *run(bool explain, const char *arg, const char *domains, int *rc)
{
	struct nw_config cfg;
	cleanup_err nw_err err = NULL;
	struct dry_opts o = {.network = explain ? arg : NULL,
			     .url = explain ? NULL : arg,
			     .domains = domains,
			     .json = true};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json *j;

	if (config_parse(&cfg, conf, sizeof(conf) - 1, &err) < 0 || f == NULL) {
		CHECK(!"setup");
		return NULL;
	}
	*rc = explain ? dry_explain(&cfg, &o, f, &err) : dry_test(&cfg, &o, f, &err);
	fclose(f);
	j = json_parse(buf, len, NULL);
	if (j == NULL)
		printf("#   no JSON: %s / %s\n", buf, nw_err_msg(err));
	free(buf);
	config_free(&cfg);
	return j;
}

static void test_explain(void)
{
	int rc;
	cleanup_json struct json *j =
	    run(true, "http", "a.www.test,evil.test,other.test,b.test", &rc);

	CHECK(rc == -1 && j != NULL);
	if (j == NULL)
		return;
	CHECK(!json_get(j, "admitted")->b && json_get(j, "ceiling")->b);
	CHECK_STR(json_get_str(j, "reason"),
		  "job asks for domains \"evil.test\", \"b.test\", which "
		  "this node's domain_allowlist does not cover");
	struct json *d = json_get_arr(j, "domains");
	CHECK(d != NULL && d->n == 4);
	if (d == NULL || d->n != 4)
		return;
	CHECK_STR(json_get_str(d->v[0], "covered_by"), ".www.test");
	CHECK(json_get(d->v[1], "covered_by")->type == JSON_NULL);
	CHECK_STR(json_get_str(d->v[2], "covered_by"), "other.test");
	CHECK(!json_get(d->v[3], "allowed")->b);

	cleanup_json struct json *ok = run(true, "HTTP", "x.www.test", &rc);
	CHECK(rc == 0 && ok != NULL && json_get(ok, "admitted")->b);
	CHECK(ok != NULL && json_get(ok, "intercept") != NULL && json_get(ok, "intercept")->b);
	cleanup_json struct json *full = run(true, "full", NULL, &rc);
	CHECK(rc == -1 && full != NULL &&
	      strstr(json_get_str(full, "reason"), "allowed_modes (none, http)") != NULL);
}

static void test_url(const char *url, const char *domains, int want_rc, const char *stage,
		     const char *reason_part)
{
	int rc;
	cleanup_json struct json *j = run(false, url, domains, &rc);

	CHECK(j != NULL && rc == want_rc);
	if (j == NULL)
		return;
	CHECK_STR(json_get_str(j, "stage"), stage);
	if (reason_part == NULL) {
		CHECK(json_get(j, "allowed")->b);
		return;
	}
	const char *r = json_get_str(j, "reason");
	if (r == NULL || strstr(r, reason_part) == NULL) {
		printf("#   %s: reason %s lacks %s\n", url, r ? r : "(null)", reason_part);
		CHECK(!"reason");
	}
}

static void test_test_urls(void)
{
	test_url("http://198.18.0.10/", "198.18.0.10", 0, "address", NULL);
	test_url("https://198.18.0.10:8443/", "198.18.0.10", -1, "name",
		 "port 8443 is not in connect_ports");
	test_url("http://198.18.0.10:22/", "198.18.0.10", -1, "name",
		 "port 22 is not in http_ports");
	test_url("http://198.18.0.10/", "other.test", -1, "name",
		 "198.18.0.10 is an IP address that this job's allowlist does not list");
	test_url("http://198.18.0.12/", "198.18.0.10", -1, "name", "allowlist does not list");
	test_url("http://198.18.0.12/", "198.18.0.12", -1, "address",
		 "198.18.0.12:80 is in deny_destinations (\"198.18.0.12\")");
	test_url("http://10.1.2.3/", "10.1.2.3", -1, "address", "10.1.2.3 is a private address");
}

/* A program ignoring the proxy is redirected to it on http_ports and
 * connect_ports only; the firewall refuses the rest. */
static void test_intercepted(void)
{
	static const struct {
		const char *url;
		bool want;
	} cases[] = {{"http://198.18.0.10/", true},
		     {"https://198.18.0.10/", true},
		     {"https://198.18.0.10:8443/", true},
		     {"http://198.18.0.10:22/", false},
		     {"http://198.18.0.10:1024/", false}};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		cleanup_json struct json *j = run(false, cases[i].url, "198.18.0.10", &rc);
		struct json *b = j != NULL ? json_get(j, "intercepted") : NULL;
		CHECK(b != NULL && b->type == JSON_BOOL && b->b == cases[i].want);
		if (b == NULL || b->b != cases[i].want)
			printf("#   %s: intercepted should be %d\n", cases[i].url, cases[i].want);
	}
}

static void test_bad_urls(void)
{
	struct nw_config cfg;
	cleanup_err nw_err err = NULL;
	struct dry_opts o = {.url = "ftp://x.test/", .json = true};
	FILE *f = fopen("/dev/null", "w");

	CHECK(config_parse(&cfg, conf, sizeof(conf) - 1, &err) == 0);
	CHECK(dry_test(&cfg, &o, f, &err) < 0);
	CHECK_STR(nw_err_msg(err), "URL \"ftp://x.test/\" must start with http:// or https://");
	nw_err_free(&err);
	o.url = "http://www.test:0/";
	CHECK(dry_test(&cfg, &o, f, &err) < 0);
	CHECK_STR(nw_err_msg(err), "URL \"http://www.test:0/\": bad port");
	fclose(f);
	config_free(&cfg);
}

static void test_args(void)
{
	struct dry_opts o;
	char *a1[] = {"explain", "--network", "http", "--domains=a.test", "--json"};
	char *a2[] = {"test", "http://a.test/", "extra"};
	char *a3[] = {"test", "--network", "http"};

	CHECK(dry_parse_args(5, a1, false, &o) == 0 && o.json);
	CHECK_STR(o.network, "http");
	CHECK_STR(o.domains, "a.test");
	CHECK(dry_parse_args(3, a2, true, &o) < 0);
	CHECK(dry_parse_args(3, a3, true, &o) < 0);
}

int main(void)
{
	RUN(test_explain);
	RUN(test_intercepted);
	RUN(test_test_urls);
	RUN(test_bad_urls);
	RUN(test_args);
	UNIT_DONE();
}
