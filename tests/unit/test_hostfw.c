/* What another table's base chains do with a job's packet, judged from
 * `nft -j list table` output shaped as Docker's, ufw's and firewalld's
 * tables are. */
#include <stdlib.h>

#include "hostfw.h"
#include "unit.h"

#define HDR "{\"nftables\": [{\"metainfo\": {\"json_schema_version\": 1}}, "
#define BASE(n, hook, pol)                                                                         \
	"{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"" n "\", \"type\": "       \
	"\"filter\", \"hook\": \"" hook "\", \"prio\": 0, \"policy\": \"" pol "\"}}"
#define CHAIN(n) "{\"chain\": {\"family\": \"ip\", \"table\": \"t\", \"name\": \"" n "\"}}"
#define RULE(c, exprs)                                                                             \
	"{\"rule\": {\"family\": \"ip\", \"table\": \"t\", \"chain\": \"" c                        \
	"\", \"expr\": [" exprs "]}}"
#define CNT "{\"counter\": {\"packets\": 0, \"bytes\": 0}}"
#define IIF(v)                                                                                     \
	"{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"iifname\"}}, \"right\": "   \
	"\"" v "\"}}"
#define COND                                                                                       \
	"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": " \
	"\"dport\"}}, \"right\": 22}}"
#define XT	 "{\"xt\": {\"type\": \"match\", \"name\": \"conntrack\"}}"
#define DEVGROUP "{\"xt\": {\"type\": \"match\", \"name\": \"devgroup\"}}"
#define IIFGROUP(v)                                                                                \
	"{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"iifgroup\"}}, "             \
	"\"right\": " v "}}"
#define ZONES_BOUND(ifname)                                                                                                                                              \
	HDR BASE("filter_INPUT", "input", "accept") "," CHAIN("filter_INPUT_ZONES") "," CHAIN(                                                                           \
	    "fi"                                                                                                                                                         \
	    "lt"                                                                                                                                                         \
	    "er"                                                                                                                                                         \
	    "_I"                                                                                                                                                         \
	    "N_"                                                                                                                                                         \
	    "pu"                                                                                                                                                         \
	    "bl"                                                                                                                                                         \
	    "i"                                                                                                                                                          \
	    "c") "," RULE("filter_INPUT",                                                                                                                                \
			  "{\"jump\": {\"target\": \"filter_INPUT_ZONES\"}}") "," RULE("filter_"                                                                         \
										       "INPUT_"                                                                          \
										       "ZONES",                                                                          \
										       IIF(ifname) ",{\"goto\": {\"target\": "                                           \
												   "\"filter_IN_netward\"}}") "," RULE("filter_"                         \
																       "INPUT_"                          \
																       "ZONES",                          \
																       "{\"goto\":"                      \
																       " {"                              \
																       "\"target\""                      \
																       ": "                              \
																       "\"filter_"                       \
																       "IN_"                             \
																       "public\"}"                       \
																       "}") "," RULE("filter_IN_public", \
																		     "{\"reject\": null}") "]}"

struct jcase {
	const char *name, *json;
	enum hostfw_fate want;
	const char *why;     /* for DROP */
	const char *host_if; /* the job judged for, NULL = none in particular */
};

/* clang-format off */
static const struct jcase cases[] = {
	{"policy accept, no rules", HDR BASE("INPUT", "input", "accept") "]}", HOSTFW_PASS, NULL, NULL},
	{"Docker: FORWARD policy drop, DOCKER-USER returns",
	 HDR BASE("FORWARD", "forward", "drop") "," CHAIN("DOCKER-USER") ","
	 RULE("FORWARD", CNT ",{\"jump\": {\"target\": \"DOCKER-USER\"}}") ","
	 RULE("DOCKER-USER", CNT ",{\"return\": null}") "]}", HOSTFW_DROP, "policy drop", NULL},
	{"Docker with netward's chain in DOCKER-USER",
	 HDR BASE("FORWARD", "forward", "drop") "," CHAIN("DOCKER-USER") "," CHAIN("NETWARD-FORWARD") ","
	 RULE("FORWARD", CNT ",{\"jump\": {\"target\": \"DOCKER-USER\"}}") ","
	 RULE("DOCKER-USER", "{\"jump\": {\"target\": \"NETWARD-FORWARD\"}}") ","
	 RULE("DOCKER-USER", CNT ",{\"return\": null}") ","
	 RULE("NETWARD-FORWARD", IIF("nw*") "," CNT ",{\"accept\": null}") "]}", HOSTFW_OPEN, NULL, NULL},
	{"a conditional drop is some other traffic's",
	 HDR BASE("INPUT", "input", "accept") "," RULE("INPUT", COND ",{\"drop\": null}") ","
	 RULE("INPUT", XT ",{\"drop\": null}") "]}", HOSTFW_PASS, NULL, NULL},
	{"an unconditional reject after a rule for another interface",
	 HDR BASE("INPUT", "input", "accept") "," RULE("INPUT", IIF("lo") ",{\"accept\": null}") ","
	 RULE("INPUT", CNT ",{\"reject\": null}") "]}", HOSTFW_DROP, "rule reject in chain INPUT", NULL},
	{"a rule for another wildcard does not open",
	 HDR BASE("INPUT", "input", "drop") "," RULE("INPUT", IIF("nwx*") ",{\"accept\": null}") "]}",
	 HOSTFW_DROP, "policy drop", NULL},
	{"a drop for netward's interfaces is a drop of the job's traffic, not an opening",
	 HDR BASE("INPUT", "input", "accept") "," RULE("INPUT", IIF("nw*") ",{\"drop\": null}") ","
	 RULE("INPUT", "{\"reject\": null}") "]}", HOSTFW_DROP,
	 "rule drop for netward's interfaces in chain INPUT", NULL},
	{"firewalld: an unconditional goto to a zone that rejects",
	 HDR BASE("filter_INPUT", "input", "accept") "," CHAIN("filter_INPUT_ZONES") "," CHAIN("filter_IN_public") ","
	 RULE("filter_INPUT", XT ",{\"accept\": null}") ","
	 RULE("filter_INPUT", "{\"jump\": {\"target\": \"filter_INPUT_ZONES\"}}") ","
	 RULE("filter_INPUT", "{\"reject\": null}") ","
	 RULE("filter_INPUT_ZONES", "{\"goto\": {\"target\": \"filter_IN_public\"}}") ","
	 RULE("filter_IN_public", COND ",{\"accept\": null}") ","
	 RULE("filter_IN_public", "{\"reject\": {\"type\": \"icmpx\", \"expr\": \"admin-prohibited\"}}") "]}",
	 HOSTFW_DROP, "rule reject in chain filter_IN_public", NULL},
	{"firewalld with netward's interfaces bound to a zone",
	 HDR BASE("filter_INPUT", "input", "accept") "," CHAIN("filter_INPUT_ZONES") "," CHAIN("filter_IN_public") ","
	 RULE("filter_INPUT", "{\"jump\": {\"target\": \"filter_INPUT_ZONES\"}}") ","
	 RULE("filter_INPUT", "{\"reject\": null}") ","
	 RULE("filter_INPUT_ZONES", IIF("nw*") ",{\"goto\": {\"target\": \"filter_IN_netward\"}}") ","
	 RULE("filter_INPUT_ZONES", "{\"goto\": {\"target\": \"filter_IN_public\"}}") ","
	 RULE("filter_IN_public", "{\"reject\": null}") "]}", HOSTFW_OPEN, NULL, NULL},
	{"firewalld with the job's own interface bound to netward's zone",
	 ZONES_BOUND("nw0123456789abc"), HOSTFW_OPEN, NULL, "nw0123456789abc"},
	{"firewalld with another job's interface bound: this job's is not",
	 ZONES_BOUND("nw0123456789abc"), HOSTFW_DROP, "rule reject in chain filter_IN_public",
	 "nwfedcba987654"},
	{"firewalld with one job's interface bound, judged for no job in particular",
	 ZONES_BOUND("nw0123456789abc"), HOSTFW_DROP, "rule reject in chain filter_IN_public", NULL},
	{"netward's iptables rule: name and interface group",
	 HDR BASE("INPUT", "input", "drop") "," CHAIN("NETWARD-INPUT") ","
	 RULE("INPUT", "{\"jump\": {\"target\": \"NETWARD-INPUT\"}}") ","
	 RULE("NETWARD-INPUT", IIF("nw*") "," DEVGROUP "," CNT ",{\"accept\": null}") "]}",
	 HOSTFW_OPEN, NULL, NULL},
	{"a rule for netward's interface group opens",
	 HDR BASE("INPUT", "input", "drop") "," RULE("INPUT", IIFGROUP("28279") ",{\"accept\": null}") "]}",
	 HOSTFW_OPEN, NULL, NULL},
	{"a rule for another interface group does not",
	 HDR BASE("INPUT", "input", "drop") "," RULE("INPUT", IIFGROUP("7") ",{\"accept\": null}") "]}",
	 HOSTFW_DROP, "policy drop", NULL},
	{"a jump loop ends",
	 HDR BASE("INPUT", "input", "accept") "," CHAIN("a") ","
	 RULE("INPUT", "{\"jump\": {\"target\": \"a\"}}") ","
	 RULE("a", "{\"jump\": {\"target\": \"a\"}}") "]}", HOSTFW_PASS, NULL, NULL},
};
/* clang-format on */

static void test_judge(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hostfw_chain c[4];
		nw_err err = NULL;
		int n = hostfw_judge_table(cases[i].json, strlen(cases[i].json), cases[i].host_if,
					   c, 4, &err);

		if (n != 1) {
			printf("#   %s: %d chains (%s)\n", cases[i].name, n, nw_err_msg(err));
			unit_cur_failed++;
			nw_err_free(&err);
			continue;
		}
		if (c[0].fate != cases[i].want) {
			printf("#   %s: fate %d, want %d\n", cases[i].name, c[0].fate,
			       cases[i].want);
			unit_cur_failed++;
		}
		if (cases[i].why != NULL)
			CHECK_STR(c[0].why, cases[i].why);
	}
}

static void test_tables(void)
{
	static const char json[] =
	    "{\"nftables\": ["
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"netward\", \"name\": \"input\", "
	    "\"type\": "
	    "\"filter\", \"hook\": \"input\", \"prio\": -10, \"policy\": \"accept\"}},"
	    "{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"INPUT\", "
	    "\"type\": "
	    "\"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},"
	    "{\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"FORWARD\", "
	    "\"type\": "
	    "\"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \"drop\"}},"
	    "{\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"POSTROUTING\", "
	    "\"type\": "
	    "\"nat\", \"hook\": \"postrouting\", \"prio\": 100, \"policy\": \"accept\"}},"
	    "{\"chain\": {\"family\": \"ip6\", \"table\": \"filter\", \"name\": \"INPUT\", "
	    "\"type\": "
	    "\"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"x\\\"; flush ruleset\", \"name\": "
	    "\"in\", "
	    "\"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},"
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"firewalld\", \"name\": "
	    "\"filter_INPUT\", "
	    "\"type\": \"filter\", \"hook\": \"input\", \"prio\": 10, \"policy\": \"accept\"}}"
	    "]}";
	char **t = NULL;
	nw_err err = NULL;

	CHECK(hostfw_tables(json, strlen(json), &t, &err) == 0);
	if (t == NULL)
		return;
	/* netward's own, a nat table, IPv6 and a name that is no plain name
	 * are left out; each table once. */
	CHECK_STR(t[0], "ip filter");
	CHECK_STR(t[1], "inet firewalld");
	CHECK(t[2] == NULL);
	for (char **p = t; *p; p++)
		free(*p);
	free(t);
}

int main(void)
{
	RUN(test_judge);
	RUN(test_tables);
	UNIT_DONE();
}
