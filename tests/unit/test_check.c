/* check-config's report: each value labelled with where it came from,
 * "no ceiling" for an absent domain_allowlist, warnings and --strict, and
 * the JSON form for a valid and an invalid file. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "json.h"
#include "unit.h"

static char path[] = "/tmp/netward-test-check-XXXXXX";

static int check(const char *text, bool json, bool strict, char **out, char **note, nw_err *err)
{
	struct check_opts o = {.file = path, .json = json, .strict = strict};
	size_t ol = 0, nl = 0;
	FILE *fo = open_memstream(out, &ol), *fn = open_memstream(note, &nl);
	FILE *f = fopen(path, "w");
	int rc;

	fputs(text, f);
	fclose(f);
	rc = check_config_run(NULL, false, &o, fo, fn, err);
	fclose(fo);
	fclose(fn);
	return rc;
}

static void has(const char *hay, const char *needle)
{
	if (hay == NULL || strstr(hay, needle) == NULL) {
		printf("#   missing: %s\n#   in: %s\n", needle, hay ? hay : "(null)");
		CHECK(!"has");
	}
}

static void test_text_labels(void)
{
	cleanup_free char *out = NULL, *note = NULL;
	cleanup_err nw_err err = NULL;

	CHECK(check("{\"allowed_modes\": [\"none\"], \"dns_servers\": [\"10.0.0.53\"]}", false,
		    false, &out, &note, &err) == 0);
	has(out, "allowed_modes                [\"none\"]");
	has(out, "(config)");
	has(out, "rate_limit_bps               10000000                                 (default)");
	has(out,
	    "domain_allowlist             no ceiling: http jobs may ask for any domain (default)");
	has(note, "is valid\n");
}

static void test_strict(void)
{
	cleanup_free char *out = NULL, *note = NULL;
	cleanup_err nw_err err = NULL;
	const char *conf = "{\"allowed_modes\": [\"http\"], \"dns_servers\": [\"192.0.2.53\"]}";

	CHECK(check(conf, false, false, &out, &note, &err) == 0);
	has(note, "netward: warning: \"allowed_modes\" includes http but there is no");
	has(note, "netward: warning: \"dns_servers\"[0] \"192.0.2.53\" is a documentation address");
	has(note, "is valid, with the warnings above");
	free(out);
	free(note);
	out = note = NULL;
	CHECK(check(conf, false, true, &out, &note, &err) < 0);
	has(nw_err_msg(err), ": 2 warning(s), which --strict makes errors");
}

static void test_json(void)
{
	cleanup_free char *out = NULL, *note = NULL;
	cleanup_err nw_err err = NULL;
	cleanup_json struct json *j = NULL, *k = NULL;

	CHECK(check("{\"allowed_modes\": [\"none\", \"http\"], \"dns_servers\": [\"10.0.0.53\"],"
		    " \"domain_allowlist\": [\".test\"]}",
		    true, true, &out, &note, &err) == 0);
	j = json_parse(out, strlen(out), NULL);
	CHECK(j != NULL && json_get(j, "valid")->b);
	if (j != NULL) {
		struct json *src = json_get_obj(j, "sources");
		CHECK_STR(json_get_str(src, "dns_servers"), "config");
		CHECK_STR(json_get_str(src, "subnet"), "default");
		CHECK(json_get_arr(j, "warnings") != NULL && json_get_arr(j, "warnings")->n == 0);
		CHECK(json_get_obj(j, "policy") != NULL);
	}
	free(out);
	free(note);
	out = note = NULL;
	CHECK(check("{\"dns_servers\": [\"dns.google\"]}", true, false, &out, &note, &err) < 0);
	k = json_parse(out, strlen(out), NULL);
	CHECK(k != NULL && !json_get(k, "valid")->b);
	if (k != NULL) {
		has(json_get_str(k, "error"), "\"dns_servers\"[0]");
		CHECK(json_get_arr(k, "hints") != NULL && json_get_arr(k, "hints")->n == 1);
	}
}

/* dns_servers from /etc/resolv.conf is labelled so (when this machine's
 * resolv.conf names a usable server; otherwise the key is absent). */
static void test_resolv_conf_label(void)
{
	cleanup_free char *out = NULL, *note = NULL;
	cleanup_err nw_err err = NULL;
	cleanup_json struct json *j = NULL;

	CHECK(check("{}", true, false, &out, &note, &err) == 0);
	j = json_parse(out, strlen(out), NULL);
	CHECK(j != NULL);
	if (j == NULL)
		return;
	if (json_get(json_get_obj(j, "policy"), "dns_servers") != NULL)
		CHECK_STR(json_get_str(json_get_obj(j, "sources"), "dns_servers"),
			  "/etc/resolv.conf");
	else
		CHECK(json_get(json_get_obj(j, "sources"), "dns_servers") == NULL);
	CHECK_STR(json_get_str(json_get_obj(j, "sources"), "domain_allowlist"), "no ceiling");
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	RUN(test_text_labels);
	RUN(test_strict);
	RUN(test_json);
	RUN(test_resolv_conf_label);
	unlink(path);
	UNIT_DONE();
}
