/* Golden tables for domain canonicalisation, matching and the node ceiling
 * (DESIGN.md §3), attack strings included. */

#include "domain.h"
#include "unit.h"

static char long_label[80], long_name[300], max_name[300], max_name_dot[300];

/* 64-char label; 254-char name; 253-char name (the longest), also with the
 * root dot. */
static void make_long_inputs(void)
{
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".com", 5);
	/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
	memset(max_name, 'b', 253);
	max_name[63] = max_name[127] = max_name[191] = '.';
	max_name[253] = '\0';
	memcpy(max_name_dot, max_name, 253);
	memcpy(max_name_dot + 253, ".", 2);
	long_name[0] = 'c';
	memcpy(long_name + 1, max_name, 254);
}

struct canon_case {
	const char *in;
	const char *out; /* NULL: refused */
	bool is_ip;
	const char *why; /* a part of the refusal */
};

/* clang-format 14 would indent these tables with spaces. */
/* clang-format off */
static const struct canon_case canon_cases[] = {
	{"example.com", "example.com", false, NULL},
	{"EXAMPLE.com.", "example.com", false, NULL},
	{"Ex-Ample.COM", "ex-ample.com", false, NULL},
	{"localhost", "localhost", false, NULL},
	{"a1.b2.c3", "a1.b2.c3", false, NULL},
	{"1.example.com", "1.example.com", false, NULL},
	{"0x7f.example.com", "0x7f.example.com", false, NULL},
	{"xn--bcher-kva.example", "xn--bcher-kva.example", false, NULL},
	{"XN--BCHER-KVA.example", "xn--bcher-kva.example", false, NULL},
	{"example.com..", NULL, false, "empty label"},
	{"example..com", NULL, false, "empty label"},
	{".example.com", NULL, false, "empty label"},
	{"", NULL, false, "empty name"},
	{".", NULL, false, "empty name"},
	{"-a.com", NULL, false, "begins or ends with '-'"},
	{"a-.com", NULL, false, "begins or ends with '-'"},
	{"ex ample.com", NULL, false, "invalid character ' '"},
	{" example.com", NULL, false, "invalid character ' '"},
	{"ex%61mple.com", NULL, false, "invalid character '%'"},
	{"a@b.com", NULL, false, "invalid character '@'"},
	{"user:pw@b.com", NULL, false, "invalid character ':'"},
	{"example.com:443", NULL, false, "invalid character ':'"},
	{"example.com/x", NULL, false, "invalid character '/'"},
	{"*.example.com", NULL, false, "invalid character '*'"},
	{"a_b.example.com", NULL, false, "underscores"},
	{"ex\tample.com", NULL, false, "invalid character \\x09"},
	{"ex\nample.com", NULL, false, "invalid character \\x0a"},
	{"b\xc3\xbc" "cher.example", NULL, false, "xn--"}, /* "bücher.example" */
	{"xn--.example", NULL, false, "empty xn--"},
	{"127.0.0.1", "127.0.0.1", true, NULL},
	{"127.0.0.1.", "127.0.0.1", true, NULL},
	{"0.0.0.0", "0.0.0.0", true, NULL},
	{"0x7f.0.0.1", NULL, false, "numeric label"},
	{"0x7f000001", NULL, false, "numeric label"},
	{"1.2.3.0x7f", NULL, false, "numeric label"},
	{"2130706433", NULL, false, "numeric label"},
	{"017700000001", NULL, false, "numeric label"},
	{"0177.0.0.1", NULL, false, "numeric label"},
	{"127.000.0.1", NULL, false, "numeric label"},
	{"127.1", NULL, false, "numeric label"},
	{"256.0.0.1", NULL, false, "numeric label"},
	{"1.2.3.4.5", NULL, false, "numeric label"},
	{"example.123", NULL, false, "numeric label"},
	{"::1", "::1", true, NULL},
	{"[::1]", "::1", true, NULL},
	{"[FD00:0:0::1]", "fd00::1", true, NULL},
	{"2001:DB8:0:0:0:0:0:1", "2001:db8::1", true, NULL},
	{"::ffff:127.0.0.1", "127.0.0.1", true, NULL},
	{"[::ffff:7f00:1]", "127.0.0.1", true, NULL},
	{"[::1]:443", NULL, false, "'[' must enclose"},
	{"[127.0.0.1]", NULL, false, "not an IPv6 address"},
	{"[::1", NULL, false, "'[' must enclose"},
	{"[]", NULL, false, "not an IPv6 address"},
	{"fe80::1%eth0", NULL, false, "invalid character ':'"},
	{long_label, NULL, false, "longer than 63"},
	{long_name, NULL, false, "longer than 253"},
	{max_name, max_name, false, NULL},
	{max_name_dot, max_name, false, NULL},
};
/* clang-format on */

static void test_canon(void)
{
	make_long_inputs();
	for (size_t i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		const struct canon_case *c = &canon_cases[i];
		char out[DOMAIN_MAX + 1];
		bool is_ip = !c->is_ip;
		cleanup_err nw_err err = NULL;
		int r = domain_canon(c->in, out, &is_ip, &err);
		if (c->out != NULL) {
			if (r != 0)
				printf("#   %s: %s\n", c->in, nw_err_msg(err));
			CHECK(r == 0);
			CHECK(err == NULL);
			if (r == 0) {
				CHECK_STR(out, c->out);
				CHECK(is_ip == c->is_ip);
			}
		} else {
			if (r == 0)
				printf("#   \"%s\" accepted as \"%s\"\n", c->in, out);
			CHECK(r == -1);
			CHECK(err != NULL);
			if (err != NULL && strstr(nw_err_msg(err), c->why) == NULL)
				printf("#   \"%s\": message \"%s\" lacks \"%s\"\n", c->in,
				       nw_err_msg(err), c->why);
			CHECK(err != NULL && strstr(nw_err_msg(err), c->why) != NULL);
		}
	}
}

static void test_messages(void)
{
	cleanup_err nw_err err = NULL;
	cleanup_err nw_err err2 = NULL;
	cleanup_err nw_err err3 = NULL;
	char out[DOMAIN_MAX + 1];
	bool is_ip;

	CHECK(domain_canon("ex ample.com", out, &is_ip, &err) == -1);
	CHECK_STR(nw_err_msg(err), "domain \"ex ample.com\": invalid character ' '");
	/* Control bytes never reach a log line raw. */
	CHECK(domain_canon("a\n\"b", out, &is_ip, &err2) == -1);
	CHECK(strchr(nw_err_msg(err2), '\n') == NULL);
	CHECK(strstr(nw_err_msg(err2), "a\\x0a\\x22b") != NULL);
	CHECK(domain_canon(long_name, out, &is_ip, &err3) == -1);
	CHECK(strlen(nw_err_msg(err3)) < 200);
}

struct match_case {
	const char *list;
	const char *host; /* canonical */
	const char *hit;  /* entry that matches as domain_entry_str prints it, or NULL */
};

/* clang-format off */
static const struct match_case match_cases[] = {
	{"example.com", "example.com", "example.com"},
	{"example.com", "www.example.com", NULL},
	{"example.com", "evilexample.com", NULL},
	{"example.com", "example.com.evil.test", NULL},
	{"example.com", "com", NULL},
	{".example.com", "example.com", ".example.com"},
	{".example.com", "www.example.com", ".example.com"},
	{".example.com", "a.b.example.com", ".example.com"},
	{".example.com", "evilexample.com", NULL},
	{".example.com", "example.com.evil.net", NULL},
	{".example.com", "xample.com", NULL},
	{".example.com", ".example.com", NULL},
	{"EXAMPLE.com.", "example.com", "example.com"},
	{"a.x.com, .x.com", "a.x.com", "a.x.com"},
	{".x.com,a.x.com", "a.x.com", ".x.com"},
	{"x.com,x.com", "x.com", "x.com"},
	{".com", "example.com", ".com"},
	{"127.0.0.1", "127.0.0.1", "127.0.0.1"},
	{"localhost", "127.0.0.1", NULL},
	{".com", "127.0.0.1", NULL},
	{"::ffff:127.0.0.1", "127.0.0.1", "127.0.0.1"},
	{"[::1]", "::1", "::1"},
	{"::1", "0:0:0:0:0:0:0:1", NULL}, /* not canonical: callers canonicalise first */
	{"1.0.0.1", "1.0.0.10", NULL},
	{".0.1.example", "0.1.example", ".0.1.example"},
};
/* clang-format on */

static void test_match(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct domain_list l = {0};
		cleanup_err nw_err err = NULL;
		char buf[DOMAIN_MAX + 2];

		CHECK(domain_list_parse(&l, c->list, &err) == 0);
		const struct domain_entry *e = domain_list_match(&l, c->host);
		if (c->hit == NULL) {
			if (e != NULL)
				printf("#   list \"%s\" matched \"%s\"\n", c->list, c->host);
			CHECK(e == NULL);
		} else {
			CHECK(e != NULL);
			if (e != NULL)
				CHECK_STR(domain_entry_str(e, buf, sizeof(buf)), c->hit);
		}
		domain_list_free(&l);
	}
}

struct parse_case {
	const char *csv;
	size_t n; /* entries; 0 = refused */
	const char *why;
};

/* clang-format off */
static const struct parse_case parse_cases[] = {
	{"a.com", 1, NULL},
	{"a.com,.b.org, c.net", 3, NULL},
	{"  a.com\t,\t.b.org  ", 2, NULL},
	{"a.x.com,.x.com,x.com,.x.com", 4, NULL},
	{"", 0, "entry 1 is empty"},
	{" ", 0, "entry 1 is empty"},
	{"a.com,", 0, "entry 2 is empty"},
	{"a.com,,b.com", 0, "entry 2 is empty"},
	{",a.com", 0, "entry 1 is empty"},
	{"a.com;b.com", 0, "invalid character ';'"},
	{"a.com b.com", 0, "invalid character ' '"},
	{"*.a.com", 0, "\".example.com\""},
	{".", 0, "empty name"},
	{"..a.com", 0, "empty label"},
	{".127.0.0.1", 0, "an IP address cannot"},
	{".[::1]", 0, "an IP address cannot"},
	{".::1", 0, "an IP address cannot"},
	{"ok.com,ex%61mple.com", 0, "domain \"ex%61mple.com\": invalid character '%'"},
	{"ok.com,.2130706433", 0, "domain \".2130706433\""},
};
/* clang-format on */

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct domain_list l = {0};
		cleanup_err nw_err err = NULL;

		/* A failed parse leaves what the list already held. */
		CHECK(domain_list_add(&l, "keep.example", &err) == 0);
		int r = domain_list_parse(&l, c->csv, &err);
		if (c->n > 0) {
			CHECK(r == 0);
			CHECK(l.n == c->n + 1);
		} else {
			CHECK(r == -1);
			CHECK(l.n == 1);
			CHECK_STR(l.e[0].name, "keep.example");
			if (err != NULL && strstr(nw_err_msg(err), c->why) == NULL)
				printf("#   \"%s\": message \"%s\" lacks \"%s\"\n", c->csv,
				       nw_err_msg(err), c->why);
			CHECK(err != NULL && strstr(nw_err_msg(err), c->why) != NULL);
		}
		domain_list_free(&l);
		CHECK(l.n == 0 && l.e == NULL);
	}
}

static void test_entries(void)
{
	struct domain_list l = {0};
	cleanup_err nw_err err = NULL;
	char buf[DOMAIN_MAX + 2];

	CHECK(domain_list_parse(&l, ".Example.COM., [FD00::1], 10.0.0.1", &err) == 0);
	CHECK(l.n == 3);
	CHECK_STR(l.e[0].name, "example.com");
	CHECK(l.e[0].wildcard && !l.e[0].is_ip);
	CHECK_STR(domain_entry_str(&l.e[0], buf, sizeof(buf)), ".example.com");
	CHECK_STR(l.e[1].name, "fd00::1");
	CHECK(!l.e[1].wildcard && l.e[1].is_ip);
	CHECK_STR(l.e[2].name, "10.0.0.1");
	CHECK(l.e[2].is_ip);
	CHECK_STR(domain_entry_str(&l.e[0], buf, 4), ".ex");
	domain_list_free(&l);
}

struct cover_case {
	const char *ceiling;
	const char *job; /* one entry */
	bool covered;
};

/* clang-format off */
static const struct cover_case cover_cases[] = {
	{"a.x.com", "a.x.com", true},
	{".x.com", "a.x.com", true},
	{".com", "a.x.com", true},
	{".x.com", "x.com", true},
	{"x.com", "a.x.com", false},
	{"b.x.com", "a.x.com", false},
	{".x.com", ".x.com", true},
	{".com", ".x.com", true},
	{"x.com", ".x.com", false},
	{"a.x.com,x.com", ".x.com", false},
	{".a.x.com", ".x.com", false},
	{".x.com", "evilx.com", false},
	{".x.com", "x.com.evil.net", false},
	{".x.com", ".evilx.com", false},
	{"x.com,.x.com,x.com", "x.com", true},
	{"127.0.0.1", "127.0.0.1", true},
	{"127.0.0.1", "127.0.0.2", false},
	{".com,localhost", "127.0.0.1", false},
	{"::1", "[::1]", true},
	{"::ffff:10.0.0.1", "10.0.0.1", true},
	{"fd00::1", "fd00::2", false},
	{"", "a.com", false},
};
/* clang-format on */

static void test_covers(void)
{
	for (size_t i = 0; i < sizeof(cover_cases) / sizeof(cover_cases[0]); i++) {
		const struct cover_case *c = &cover_cases[i];
		struct domain_list ceiling = {0}, job = {0};
		cleanup_err nw_err err = NULL;

		if (c->ceiling[0] != '\0')
			CHECK(domain_list_parse(&ceiling, c->ceiling, &err) == 0);
		CHECK(domain_list_add(&job, c->job, &err) == 0);
		if (job.n == 1) {
			bool got = domain_list_covers(&ceiling, &job.e[0]);
			if (got != c->covered)
				printf("#   ceiling \"%s\", job \"%s\": covered=%d\n", c->ceiling,
				       c->job, got);
			CHECK(got == c->covered);
		}
		domain_list_free(&ceiling);
		domain_list_free(&job);
	}
}

int main(void)
{
	RUN(test_canon);
	RUN(test_messages);
	RUN(test_match);
	RUN(test_parse);
	RUN(test_entries);
	RUN(test_covers);
	UNIT_DONE();
}
