/* iptables-legacy's filter table read from the kernel (hostfw_legacy.c)
 * against iptables-legacy-save's reading, in a network namespace of its
 * own, through the changes netward and Docker make to it. */
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "hostfw_int.h"
#include "unit.h"

#define IPT HOSTFW_IPT_LEGACY " -w -t filter "

static const struct {
	const char *cmd; /* run before the readings */
	bool drops, open, ours;
} steps[] = {
    {IPT "-L -n >/dev/null", false, false, false},
    {IPT "-P FORWARD DROP", true, false, false},
    {IPT "-N DOCKER-USER && " IPT "-A FORWARD -j DOCKER-USER && " IPT "-A DOCKER-USER -j RETURN",
     true, false, false},
    {IPT "-N NETWARD-INPUT && " IPT "-N NETWARD-FORWARD", true, false, true},
    {IPT "-A NETWARD-INPUT -s 10.213.0.0/16 -j ACCEPT && " IPT
	 "-I INPUT -m comment --comment netward -j NETWARD-INPUT",
     true, false, true},
    {IPT "-I DOCKER-USER -m comment --comment netward -j NETWARD-FORWARD", true, true, true},
    /* A goto is not a jump. */
    {IPT "-D INPUT -m comment --comment netward -j NETWARD-INPUT && " IPT
	 "-A INPUT -g NETWARD-INPUT",
     true, false, true},
    {IPT "-A INPUT -j NETWARD-INPUT && " IPT "-P FORWARD ACCEPT", false, true, true},
    {IPT "-P INPUT DROP", true, true, true},
    {IPT "-F && " IPT "-X && " IPT "-P INPUT ACCEPT", false, false, false},
};

static int readings_in_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return 2;
	if (access(HOSTFW_IPT_LEGACY, X_OK) != 0)
		return 3;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct hostfw_legacy k, v;
		cleanup_err nw_err err = NULL;

		if (system(steps[i].cmd) != 0) {
			printf("#   step %zu: %s failed\n", i, steps[i].cmd);
			return 4;
		}
		CHECK(hostfw_legacy_read(&k, &err) == 0);
		CHECK(hostfw_legacy_state_save(&v) == 0);
		if (k.drops != steps[i].drops || k.open != steps[i].open ||
		    k.ours != steps[i].ours || v.drops != k.drops || v.open != k.open ||
		    v.ours != k.ours) {
			printf("#   step %zu (%s): kernel %d %d %d, save %d %d %d, want %d %d %d\n",
			       i, steps[i].cmd, k.drops, k.open, k.ours, v.drops, v.open, v.ours,
			       steps[i].drops, steps[i].open, steps[i].ours);
			CHECK(0);
		}
	}
	return unit_cur_failed ? 1 : 0;
}

static void test_kernel_and_save_agree(void)
{
	static const char *const why[] = {"no network namespace (root?)", "no " HOSTFW_IPT_LEGACY,
					  "iptables-legacy failed"};

	unit_in_child(readings_in_netns, why, 3);
}

/* A blob cut short, or an entry that claims more than there is, is an
 * error, never a reading. */
static void test_parse_refuses_short(void)
{
	unsigned underflow[8] = {0}; /* NF_INET_NUMHOOKS is 5 */
	struct hostfw_legacy st;
	char blob[256] __attribute__((aligned(8))) = {0};

	CHECK(hostfw_legacy_parse(blob, sizeof(blob), 0, underflow, &st) < 0);
	CHECK(hostfw_legacy_parse(blob, 8, 0, underflow, &st) < 0);
	CHECK(hostfw_legacy_parse(blob, 0, 0, underflow, &st) == 0);
	CHECK(!st.drops && !st.open && !st.ours);
}

int main(void)
{
	RUN(test_kernel_and_save_agree);
	RUN(test_parse_refuses_short);
	UNIT_DONE();
}
