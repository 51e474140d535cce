/* check-config as an advisor: every hint and warning, with its exact
 * message, from one table; the JSON errors (line and column, BOM,
 * comments) and the config schema version. */
#include <stdlib.h>
#include <unistd.h>

#include "advise.h"
#include "cleanup.h"
#include "config.h"
#include "json.h"
#include "unit.h"

#define BASE "\"allowed_modes\": [\"none\", \"http\"], \"domain_allowlist\": [\".test\"]"

/* A config that does not parse, and the hint that explains it. */
static const struct {
	const char *conf;
	const char *hint;
} hints[] = {
    {"{" BASE ", \"intercept\": \"false\"}",
     "\"intercept\" is the string \"false\"; write false, without quotes"},
    {"{" BASE ", \"intercept\": \"On\"}",
     "\"intercept\" is the string \"On\"; write true, without quotes"},
    {"{" BASE ", \"dns_servers\": [\"dns.google\"]}",
     "\"dns_servers\"[0] \"dns.google\" is a host name; dns_servers takes IP addresses (the "
     "proxy would need DNS to find its DNS): write the resolver's address, such as "
     "\"192.168.1.1\""},
    {"{" BASE ", \"deny_destinations\": [\"10.0.0.0/8\", \"https://orch.example.com:6443/api\"]}",
     "\"deny_destinations\"[1] \"https://orch.example.com:6443/api\" is a URL; entries are hosts "
     "or CIDRs, optionally with \":port\": write \"orch.example.com:6443\""},
    {"{\"allowed_modes\": [\"http\"], \"domain_allowlist\": [\"pypi.org:443\"]}",
     "\"domain_allowlist\"[0] \"pypi.org:443\" has a port, and domains carry none: write "
     "\"pypi.org\", and list the port in \"connect_ports\" (HTTPS) or \"http_ports\" (plain "
     "HTTP)"},
    {"{\"allowed_modes\": [\"http\"], \"domain_allowlist\": [\"https://pypi.org/simple\"]}",
     "\"domain_allowlist\"[0] \"https://pypi.org/simple\" is a URL; entries are domains: write "
     "\"pypi.org\""},
    {"{" BASE ", \"dns_servers\": [\"<your resolver's IP address>\"]}",
     "\"dns_servers\"[0] \"<your resolver's IP address>\" is a placeholder of the example "
     "config: replace it with this node's value"},
    {"{\"allowed_modes\": [\"none\"], \"subnet\": \"<job subnet>\"}",
     "\"subnet\" \"<job subnet>\" is a placeholder of the example config: replace it with "
     "this node's value"},
};

/* A config that parses, and the one warning it must get. */
static const struct {
	const char *conf;
	const char *warning;
} warnings[] = {
    {"{\"allowed_modes\": [\"http\"], \"dns_servers\": [\"10.0.0.53\"]}",
     "\"allowed_modes\" includes http but there is no \"domain_allowlist\": http jobs may ask for "
     "any domain (no ceiling); list what jobs may reach in \"domain_allowlist\""},
    {"{" BASE ", \"allow_private_destinations\": [\"0.0.0.0/0\"]}",
     "\"allow_private_destinations\"[0] \"0.0.0.0/0\" opens every private and loopback address "
     "to http jobs, this node's own services included; list only the networks jobs need"},
    {"{" BASE ", \"allow_private_destinations\": [\"10.1.0.0/16\", \"::/0\"]}",
     "\"allow_private_destinations\"[1] \"::/0\" opens every private and loopback address to "
     "http jobs, this node's own services included; list only the networks jobs need"},
    {"{" BASE ", \"allow_private_destinations\": [\"127.0.0.0/8\"]}",
     "\"allow_private_destinations\"[0] \"127.0.0.0/8\" includes loopback: http jobs reach "
     "services listening on this node's loopback; list a mirror's own address instead"},
    {"{" BASE ", \"allow_private_destinations\": [\"127.0.0.53\"]}",
     "\"allow_private_destinations\"[0] \"127.0.0.53\" includes loopback: http jobs reach "
     "services listening on this node's loopback; list a mirror's own address instead"},
    {"{" BASE ", \"allow_private_destinations\": [\"::1\"]}",
     "\"allow_private_destinations\"[0] \"::1\" includes loopback: http jobs reach services "
     "listening on this node's loopback; list a mirror's own address instead"},
    {"{" BASE ", \"report_unlisted_domains\": true}",
     "\"report_unlisted_domains\" is on: every http job may reach any name that "
     "\"domain_allowlist\" covers, whatever its io.netward.domains says; it is for learning "
     "a job's list (netward domains), not for production"},
    {"{" BASE ", \"subnet\": \"100.64.0.0/16\"}",
     "\"subnet\" \"100.64.0.0/16\" is not a private network: job addresses would collide with "
     "real hosts; use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"},
    {"{" BASE ", \"subnet\": \"8.8.0.0/16\"}",
     "\"subnet\" \"8.8.0.0/16\" is not a private network: job addresses would collide with real "
     "hosts; use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"},
    {"{" BASE ", \"job_id_header\": \"Host\"}",
     "\"job_id_header\" \"Host\" is a header HTTP itself needs (the proxy would strip it from "
     "every request and set it to the job id); use a name of its own, such as \"X-Job-ID\""},
    {"{" BASE ", \"job_id_header\": \"content-length\"}",
     "\"job_id_header\" \"content-length\" is a header HTTP itself needs (the proxy would strip "
     "it from every request and set it to the job id); use a name of its own, such as "
     "\"X-Job-ID\""},
    {"{" BASE ", \"job_id_header\": \"Transfer-Encoding\"}",
     "\"job_id_header\" \"Transfer-Encoding\" is a header HTTP itself needs (the proxy would "
     "strip it from every request and set it to the job id); use a name of its own, such as "
     "\"X-Job-ID\""},
    {"{" BASE ", \"job_id_header\": \"Proxy-Authorization\"}",
     "\"job_id_header\" \"Proxy-Authorization\" is a header HTTP itself needs (the proxy would "
     "strip it from every request and set it to the job id); use a name of its own, such as "
     "\"X-Job-ID\""},
    {"{" BASE ", \"log\": \"/tmp\"}",
     "\"log\" \"/tmp\" is a directory; name a file in it, such as \"/tmp/netward.log\""},
    {"{" BASE ", \"log\": \"/etc/passwd\"}",
     "\"log\" \"/etc/passwd\" is a system path; netward would append its log to it: use a file "
     "of its own, such as \"/var/log/netward.log\""},
    {"{" BASE ", \"log\": \"/nonexistent-netward-dir/netward.log\"}",
     "\"log\" \"/nonexistent-netward-dir/netward.log\": the directory /nonexistent-netward-dir "
     "does not exist, so nothing would be logged; create it, or use \"syslog\""},
    {"{" BASE ", \"dns_servers\": [\"10.0.0.53\", \"192.0.2.53\"]}",
     "\"dns_servers\"[1] \"192.0.2.53\" is a documentation address (192.0.2.0/24): no resolver "
     "answers there, so every lookup of http jobs times out; write your resolver's address"},
    {"{" BASE ", \"dns_servers\": [\"203.0.113.1:5353\"]}",
     "\"dns_servers\"[0] \"203.0.113.1\" is a documentation address (203.0.113.0/24): no "
     "resolver answers there, so every lookup of http jobs times out; write your resolver's "
     "address"},
    {"{" BASE ", \"dns_servers\": [\"fd00::1:53\"]}",
     "\"dns_servers\"[0] \"fd00::1:53\": an IPv6 address with a port must be in brackets: write "
     "\"[fd00::1]:53\" (without them it reads as the address fd00::1:53)"},
    {"{" BASE ", \"deny_destinations\": [\"fd00::7:443\"]}",
     "\"deny_destinations\"[0] \"fd00::7:443\": an IPv6 address with a port must be in "
     "brackets: write \"[fd00::7]:443\" (without them it reads as the address fd00::7:443)"},
};

/* Valid and sound: no advice at all. */
static const char *const quiet[] = {
    "{}",
    "{\"allowed_modes\": [\"none\"]}",
    "{" BASE ", \"dns_servers\": [\"10.0.0.53\", \"[fd00::1]:53\", \"fd00::1\"],"
    " \"allow_private_destinations\": [\"10.20.30.40/32\"], \"subnet\": \"172.20.0.0/16\","
    " \"job_id_header\": \"X-Job-ID\", \"log\": \"/var/log/netward.log\","
    " \"deny_destinations\": [\"169.254.169.254\", \"[fd00::7]:443\", \"orch.example.com\"]}",
    "{\"allowed_modes\": [\"none\", \"full\"], \"log\": \"syslog\"}",
};

static bool has(const struct advice_list *l, const char *msg)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->msg[i], msg) == 0)
			return true;
	return false;
}

static void dump(const struct advice_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		printf("#     got: %s\n", l->msg[i]);
}

static void test_hints_explain_errors(void)
{
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		cleanup_json struct json *root =
		    json_parse(hints[i].conf, strlen(hints[i].conf), NULL);
		cleanup_err nw_err err = NULL;
		struct advice_list l = {0};
		struct nw_config c;

		CHECK(root != NULL);
		/* The config itself is refused ... */
		CHECK(config_parse(&c, hints[i].conf, strlen(hints[i].conf), &err) < 0);
		/* ... and the hint says what was meant. */
		advise_hints(root, &l);
		if (!has(&l, hints[i].hint)) {
			printf("#   case %zu: missing hint\n#     want: %s\n", i, hints[i].hint);
			dump(&l);
			CHECK(!"hint");
		}
		advice_free(&l);
	}
}

static void advise_all(const char *conf, struct advice_list *l)
{
	cleanup_json struct json *root = json_parse(conf, strlen(conf), NULL);
	cleanup_err nw_err err = NULL;
	struct nw_config c;

	if (config_parse(&c, conf, strlen(conf), &err) < 0) {
		printf("#   refused: %s: %s\n", conf, nw_err_msg(err));
		CHECK(!"config parses");
		return;
	}
	advise_hints(root, l);
	advise_warnings(root, &c, l);
	config_free(&c);
}

static void test_warnings(void)
{
	for (size_t i = 0; i < sizeof(warnings) / sizeof(warnings[0]); i++) {
		struct advice_list l = {0};

		advise_all(warnings[i].conf, &l);
		if (l.n != 1 || !has(&l, warnings[i].warning)) {
			printf("#   case %zu: want exactly: %s\n", i, warnings[i].warning);
			dump(&l);
			CHECK(!"warning");
		}
		advice_free(&l);
	}
}

static void test_sound_configs_get_no_advice(void)
{
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		struct advice_list l = {0};

		advise_all(quiet[i], &l);
		if (l.n != 0) {
			printf("#   case %zu: %s\n", i, quiet[i]);
			dump(&l);
			CHECK(!"no advice");
		}
		advice_free(&l);
	}
}

static void refused_with(const char *conf, const char *msg)
{
	cleanup_err nw_err err = NULL;
	struct nw_config c;

	CHECK(config_parse(&c, conf, strlen(conf), &err) < 0);
	CHECK_STR(nw_err_msg(err), msg);
}

static void test_json_errors(void)
{
	refused_with(
	    "{\n  \"allowed_modes\": [\"none\"],\n  \"subnet\": 10.0.0.0/8\n}",
	    "invalid JSON at line 3, column 17: lexical error: invalid char in json text.");
	refused_with("\xef\xbb\xbf{}",
		     "the text starts with a UTF-8 byte order mark (BOM), which JSON does not "
		     "allow: save it as UTF-8 without a BOM (sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)");
	refused_with("{\n  // the modes\n  \"allowed_modes\": [\"none\"]\n}",
		     "line 2, column 3: a comment, which JSON does not allow (the node config is "
		     "strict JSON): remove it");
	refused_with("{\"allowed_modes\": [\"none\"] /* none only */}",
		     "line 1, column 28: a comment, which JSON does not allow (the node config is "
		     "strict JSON): remove it");
	refused_with("{\"allowed_modes\": [\"none\"]", "invalid JSON at line 1, column 27: "
						       "parse error: premature EOF");
}

static void test_version(void)
{
	struct nw_config c;
	cleanup_err nw_err err = NULL;
	char want[512];

	CHECK(config_parse(&c, "{\"version\": 1}", 14, &err) == 0);
	if (err == NULL)
		config_free(&c);
	/* A later schema is explained before its new keys are seen. */
	snprintf(want, sizeof(want),
		 "this config is written for config version 2, and this netward (%s) reads "
		 "version 1 at most: upgrade netward, or write the config for version 1 (see "
		 "netward.json(5))",
		 NW_VERSION);
	refused_with("{\"allowed_modes\": [\"none\"], \"new_key\": true, \"version\": 2}", want);
	refused_with("{\"version\": \"1\"}",
		     "\"version\" must be a positive integer (the config schema version), got "
		     "\"1\"");
}

int main(void)
{
	RUN(test_hints_explain_errors);
	RUN(test_warnings);
	RUN(test_sound_configs_get_no_advice);
	RUN(test_json_errors);
	RUN(test_version);
	UNIT_DONE();
}
