/* fw_blocked_of and fw_blocked_render_out on nft's JSON listings. */

#include "cleanup.h"
#include "fw_blocked.h"
#include "unit.h"

static const char blocked[] =
    "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}, {\"set\": {\"family\": \"inet\","
    " \"name\": \"blocked\", \"table\": \"netward\", \"type\": \"ifname\", \"elem\": ["
    "{\"elem\": {\"val\": \"nw0000000000001\", \"counter\": {\"packets\": 7, \"bytes\": 400}}},"
    "{\"elem\": {\"val\": \"nw0000000000002\", \"counter\": {\"packets\": 1, \"bytes\": 60}}}]}}]}";

/* Seven destinations of job 1 (newest: most time left), one of job 2. */
static const char recent[] =
    "{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\"}}, {\"set\": {\"family\": \"inet\","
    " \"name\": \"blocked_recent\", \"table\": \"netward\", \"elem\": ["
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.1\", \"tcp\", 22]}, "
    "\"expires\": 500}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.2\", \"udp\", 53]}, "
    "\"expires\": 599}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000002\", \"198.18.0.9\", \"tcp\", 80]}, "
    "\"expires\": 598}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.3\", \"icmp\", 0]}, "
    "\"expires\": 100}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.4\", 47, 0]}, \"expires\": "
    "300}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.5\", \"tcp\", 443]}, "
    "\"expires\": 200}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.6\", \"tcp\", 1]}, "
    "\"expires\": 50}},"
    "{\"elem\": {\"val\": {\"concat\": [\"nw0000000000001\", \"198.18.0.7\", \"tcp\", 2]}, "
    "\"expires\": 400}}"
    "]}}]}";

static void test_of(void)
{
	struct fw_snapshot s = {json_parse(blocked, strlen(blocked), NULL),
				json_parse(recent, strlen(recent), NULL)};
	struct fw_blocked b;
	char d[48];

	CHECK(s.blocked != NULL && s.recent != NULL);
	fw_blocked_of(&s, "nw0000000000001", &b);
	CHECK(b.count == 7);
	CHECK(b.n == FW_BLOCKED_SHOWN);
	CHECK_STR(fw_dest_str(&b.d[0], d, sizeof(d)), "198.18.0.2:53/udp");
	CHECK_STR(fw_dest_str(&b.d[1], d, sizeof(d)), "198.18.0.1:22/tcp");
	CHECK_STR(fw_dest_str(&b.d[2], d, sizeof(d)), "198.18.0.7:2/tcp");
	CHECK_STR(fw_dest_str(&b.d[3], d, sizeof(d)), "198.18.0.4/47");
	CHECK_STR(fw_dest_str(&b.d[4], d, sizeof(d)), "198.18.0.5:443/tcp");
	fw_blocked_of(&s, "nw0000000000002", &b);
	CHECK(b.count == 1 && b.n == 1);
	fw_blocked_of(&s, "nw0000000000003", &b);
	CHECK(b.count == 0 && b.n == 0);
	fw_blocked_snapshot_free(&s);
	/* No table: zeroes. */
	fw_blocked_of(&s, "nw0000000000001", &b);
	CHECK(b.count == 0 && b.n == 0);
}

static void test_render_out(void)
{
	cleanup_json struct json *r = json_parse(recent, strlen(recent), NULL);
	cleanup_free char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	fw_blocked_render_out(f, r, "nw0000000000002");
	fclose(f);
	CHECK_STR(out, "add element inet netward blocked_recent { \"nw0000000000002\" . 198.18.0.9 "
		       ". tcp . 80 timeout 1s }\n"
		       "delete element inet netward blocked_recent { \"nw0000000000002\" . "
		       "198.18.0.9 . tcp . 80 }\n");
}

int main(void)
{
	RUN(test_of);
	RUN(test_render_out);
	UNIT_DONE();
}
