/* hooks.d: the 1.0.0 schema, RE2 patterns on POSIX ERE, When.Match. */

#include "cleanup.h"
#include "hooksd.h"
#include "unit.h"

struct recase {
	const char *pattern;
	const char *subject;
	int want; /* 1 match, 0 no match, -1 pattern refused, -2 match refused */
};

/* clang-format off */
static const struct recase re_cases[] = {
	/* Unanchored, as Go's regexp.MatchString. */
	{"^io\\.netward\\.network$", "io.netward.network", 1},
	{"^io\\.netward\\.network$", "io.netward.networks", 0},
	{"^io\\.netward\\.network$", "ioXnetwardXnetwork", 0},
	{"netward", "io.netward.network", 1},
	{".*", "", 1},
	{"", "anything", 1},
	{"^(none|http|full)$", "http", 1},
	{"^(none|http|full)$", "https", 0},
	{"^a{2,3}$", "aaa", 1},
	{"^a{2,3}$", "aaaa", 0},
	{"[[:digit:]]+", "x1", 1},
	{"[^a]", "aaa", 0},
	{"\\{", "{", 1},
	{"a\\|b", "a|b", 1},
	/* What the two read differently is refused. */
	{"\\d+", "1", -1},
	{"\\w", "a", -1},
	{"\\bx", "x", -1},
	{"\\<x", "x", -1},
	{"\\1", "x", -1},
	{"[\\.]", ".", -1},
	{"[[.a.]]", "a", -1},
	{"(?i)abc", "ABC", -1},
	{"(?:ab)", "ab", -1},
	{"a+?", "a", -1},
	{"a*?b", "b", -1},
	{"a**", "a", -1},
	{"*a", "a", -1},
	{"(*a)", "a", -1},
	{"a|*b", "b", -1},
	{"a{,3}", "a", -1},
	{"a{", "a{", -1},
	{"a{2000}", "a", -1},
	{"caf\xc3\xa9", "caf\xc3\xa9", -1},
	{"[abc", "a", -1},
	/* '.' and [^...] count bytes: a non-ASCII subject is refused. */
	{"^.$", "\xc3\xa9", -2},
	{"^[^a]$", "\xc3\xa9", -2},
	{"^x$", "\xc3\xa9", 0},
};
/* clang-format on */

static void test_regex(void)
{
	for (size_t i = 0; i < sizeof(re_cases) / sizeof(re_cases[0]); i++) {
		const struct recase *c = &re_cases[i];
		struct hooksd_re re;
		nw_err err = NULL;
		bool m = false;
		int got;
		if (hooksd_re_compile(c->pattern, &re, &err) < 0)
			got = -1;
		else if (hooksd_re_match(&re, c->subject, &m, &err) < 0)
			got = -2;
		else
			got = m;
		if (got != c->want)
			printf("#   pattern \"%s\" on \"%s\": got %d, want %d (%s)\n", c->pattern,
			       c->subject, got, c->want, err ? nw_err_msg(err) : "");
		CHECK(got == c->want);
		hooksd_re_free(&re);
		nw_err_free(&err);
	}
}

static int parse(const char *text, struct hooksd_hook *h, nw_err *err)
{
	return hooksd_parse("x.json", text, strlen(text), h, err);
}

#define HOOK "\"version\":\"1.0.0\",\"hook\":{\"path\":\"/bin/true\",\"args\":[\"true\"]}"

struct pcase {
	const char *text;
	const char *want_err; /* NULL: parses */
};

/* clang-format off */
static const struct pcase parse_cases[] = {
	{"{" HOOK ",\"when\":{\"always\":true},\"stages\":[\"prestart\"]}", NULL},
	{"{" HOOK ",\"stages\":[\"precreate\",\"poststop\",\"createRuntime\"],\"extra\":1}", NULL},
	{"{\"version\":\"0.1.0\",\"hook\":{\"path\":\"/bin/true\"},\"stages\":[]}",
	 "unexpected hook version \"0.1.0\""},
	{"{\"version\":\"1.0.0\",\"stages\":[\"prestart\"]}", "missing required property: hook.path"},
	{"{\"version\":\"1.0.0\",\"hook\":{\"path\":\"true\"},\"stages\":[\"prestart\"]}",
	 "is not absolute"},
	{"{" HOOK "}", "missing required property: stages"},
	{"{" HOOK ",\"stages\":[\"prestrat\"]}", "unknown stage \"prestrat\""},
	{"{" HOOK ",\"when\":{\"annotations\":{\"\\\\d\":\".*\"}},\"stages\":[\"prestart\"]}",
	 "when.annotations: pattern \"\\x5cd\": an escape POSIX ERE reads differently"},
	{"{" HOOK ",\"when\":{\"commands\":[\"(\"]},\"stages\":[\"prestart\"]}", "when.commands"},
	{"{" HOOK ",\"when\":{\"always\":\"yes\"},\"stages\":[\"prestart\"]}",
	 "when.always must be true or false"},
	{"{" HOOK ",\"stages\":[\"prestart\"]", "invalid JSON"},
	{"[]", "not a JSON object"},
};
/* clang-format on */

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct pcase *c = &parse_cases[i];
		struct hooksd_hook h;
		nw_err err = NULL;
		int rc = parse(c->text, &h, &err);
		if (c->want_err == NULL) {
			CHECK(rc == 0);
			if (rc == 0)
				hooksd_hook_free(&h);
			else
				printf("#   case %zu: %s\n", i, nw_err_msg(err));
		} else {
			CHECK(rc < 0);
			CHECK(err != NULL && strstr(nw_err_msg(err), c->want_err) != NULL);
			if (err && !strstr(nw_err_msg(err), c->want_err))
				printf("#   case %zu: %s\n", i, nw_err_msg(err));
		}
		nw_err_free(&err);
	}
}

struct mcase {
	const char *when;
	const char *config;
	int want; /* 1, 0, -1 error */
};

#define NW_ANN "{\"io.netward.network\":\"http\",\"other\":\"x\"}"

/* clang-format off */
static const struct mcase match_cases[] = {
	/* No condition at all never matches. */
	{"{}", "{}", 0},
	{"{\"always\":true}", "{}", 1},
	{"{\"always\":false}", "{}", 0},
	{"{\"always\":false,\"annotations\":{\".\":\".\"}}", "{\"annotations\":" NW_ANN "}", 0},
	/* Key and value of the same annotation. */
	{"{\"annotations\":{\"^io\\\\.netward\\\\.network$\":\".*\"}}",
	 "{\"annotations\":" NW_ANN "}", 1},
	{"{\"annotations\":{\"^io\\\\.netward\\\\.network$\":\"^x$\"}}",
	 "{\"annotations\":" NW_ANN "}", 0},
	{"{\"annotations\":{\"network\":\"^http$\"}}", "{\"annotations\":" NW_ANN "}", 1},
	{"{\"annotations\":{\"^io\\\\.netward\\\\.network$\":\".*\"}}", "{}", 0},
	/* Every annotation pattern must match. */
	{"{\"annotations\":{\"network\":\".*\",\"^nope$\":\".*\"}}",
	 "{\"annotations\":" NW_ANN "}", 0},
	/* hasBindMounts: true wants a user bind mount; false never matches
	 * (containers/common When.Match). */
	{"{\"hasBindMounts\":true}",
	 "{\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/x\"}]}", 1},
	{"{\"hasBindMounts\":true}",
	 "{\"mounts\":[{\"destination\":\"/data\",\"type\":\"none\",\"options\":[\"rbind\"]}]}", 1},
	{"{\"hasBindMounts\":true}",
	 "{\"mounts\":[{\"destination\":\"/etc/resolv.conf\",\"type\":\"bind\"}]}", 0},
	{"{\"hasBindMounts\":false}", "{}", 0},
	/* commands: any one matching process.args[0] decides. */
	{"{\"commands\":[\"^/bin/sh$\",\"init$\"]}", "{\"process\":{\"args\":[\"/sbin/init\"]}}", 1},
	{"{\"commands\":[\"^/bin/sh$\"]}", "{\"process\":{\"args\":[\"/bin/bash\"]}}", 0},
	{"{\"commands\":[\"sh\"]}", "{\"process\":{\"args\":[]}}", -1},
	{"{\"always\":true,\"commands\":[\"^x$\"]}", "{\"process\":{\"args\":[\"y\"]}}", 0},
	/* No process: commands are not looked at. */
	{"{\"always\":true,\"commands\":[\"^x$\"]}", "{}", 1},
	/* Non-ASCII value under a byte-counting pattern: refused, not guessed. */
	{"{\"annotations\":{\"^k$\":\"^.$\"}}", "{\"annotations\":{\"k\":\"\xc3\xa9\"}}", -1},
};
/* clang-format on */

static void test_match(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct mcase *c = &match_cases[i];
		char text[1024];
		struct hooksd_hook h;
		struct hooksd_subject s;
		cleanup_json struct json *conf = json_parse(c->config, strlen(c->config), NULL);
		nw_err err = NULL;
		bool m = false;
		int got;
		snprintf(text, sizeof(text), "{" HOOK ",\"when\":%s,\"stages\":[\"prestart\"]}",
			 c->when);
		CHECK(conf != NULL);
		if (conf == NULL || parse(text, &h, &err) < 0) {
			printf("#   case %zu: %s\n", i, err ? nw_err_msg(err) : "config");
			unit_cur_failed++;
			nw_err_free(&err);
			continue;
		}
		CHECK(hooksd_subject(conf, &s, &err) == 0);
		got = hooksd_match(&h, &s, &m, &err) < 0 ? -1 : m;
		if (got != c->want)
			printf("#   case %zu: got %d, want %d\n", i, got, c->want);
		CHECK(got == c->want);
		hooksd_subject_free(&s);
		hooksd_hook_free(&h);
		nw_err_free(&err);
	}
}

static void test_add(void)
{
	const char *text =
	    "{\"version\":\"1.0.0\",\"hook\":{\"path\":\"/bin/true\",\"args\":[\"t\"],"
	    "\"timeout\":5},\"when\":{\"always\":true},"
	    "\"stages\":[\"createRuntime\",\"poststop\",\"precreate\"]}";
	const char *in = "{\"hooks\":{\"poststop\":[{\"path\":\"/first\"}]}}";
	cleanup_json struct json *conf = json_parse(in, strlen(in), NULL);
	cleanup_free char *out = NULL;
	struct hooksd_hook h;
	nw_err err = NULL;

	CHECK(parse(text, &h, &err) == 0);
	CHECK(h.timeout == 5);
	CHECK(hooksd_add(conf, &h, &err) == 0);
	out = json_render(conf, false, &err);
	/* Appended after what the config had; precreate never reaches it. */
	CHECK_STR(out, "{\"hooks\":{\"poststop\":[{\"path\":\"/first\"},{\"path\":\"/bin/true\","
		       "\"args\":[\"t\"],\"timeout\":5}],\"createRuntime\":[{\"path\":\"/bin/"
		       "true\",\"args\":[\"t\"],\"timeout\":5}]}}");
	hooksd_hook_free(&h);
	nw_err_free(&err);
}

static void test_order(void)
{
	CHECK(hooksd_name_cmp("a.json", "B.json") < 0);
	CHECK(hooksd_name_cmp("50-netward.json", "10-other.json") > 0);
	CHECK(hooksd_name_cmp("X.json", "x.json") == 0);
}

int main(void)
{
	RUN(test_regex);
	RUN(test_parse);
	RUN(test_match);
	RUN(test_add);
	RUN(test_order);
	UNIT_DONE();
}
