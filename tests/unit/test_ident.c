/* The identity rules have one definition each (ident.h): every entry point
 * that takes a job id or one of netward's interface names agrees with it. */
#include <stdlib.h>

#include "config.h"
#include "fw.h"
#include "ident.h"
#include "json.h"
#include "oci.h"
#include "policy.h"
#include "unit.h"
#include "wire.h"

/* Job ids each entry point must refuse, and ones it must take. */
static const char *const bad_ids[] = {"", "a b", "a\"b", "a'b", "a\\b", "a\tb", "\x7f", NULL};
static const char *const good_ids[] = {"j-123", "job_1.x", "a", "~!#$%&()*+,/:;<=>?@[]^`{|}", NULL};

static bool through_oci(const char *id)
{
	cleanup_err nw_err err = NULL;
	cleanup_json struct json *ann = json_new(JSON_OBJECT);
	struct oci_annotations a;
	int rc;

	if (json_set(ann, OCI_ANN_JOB_ID, json_new_str(id), &err) < 0)
		return false;
	rc = oci_annotations_parse(ann, &a, &err);
	oci_annotations_free(&a);
	return rc == 0;
}

/* policy_decide is also the whole check `netward proxy --job-id` makes. */
static bool through_policy(const char *id)
{
	static const char cfg_json[] =
	    "{\"allowed_modes\":[\"http\"],\"dns_servers\":[\"198.18.0.2\"]}";
	cleanup_err nw_err err = NULL;
	struct nw_config cfg;
	struct job_policy pol;
	int rc;

	if (config_parse(&cfg, cfg_json, strlen(cfg_json), &err) < 0)
		return false;
	rc = policy_decide(&cfg, "http", "a.test", id, "c1", &pol, &err);
	if (rc == 0)
		policy_free(&pol);
	config_free(&cfg);
	return rc == 0;
}

static void test_job_id_one_rule(void)
{
	char longest[NW_ID_MAX + 2];

	for (const char *const *p = bad_ids; *p; p++) {
		CHECK(!ident_job_id_valid(*p));
		CHECK(!through_oci(*p));
		CHECK(!through_policy(*p));
	}
	for (const char *const *p = good_ids; *p; p++) {
		CHECK(ident_job_id_valid(*p));
		CHECK(through_oci(*p));
		CHECK(through_policy(*p));
	}
	memset(longest, 'a', NW_ID_MAX);
	longest[NW_ID_MAX] = '\0';
	CHECK(ident_job_id_valid(longest) && through_oci(longest) && through_policy(longest));
	longest[NW_ID_MAX] = 'a';
	longest[NW_ID_MAX + 1] = '\0';
	CHECK(!ident_job_id_valid(longest) && !through_oci(longest) && !through_policy(longest));
}

static bool through_fw(const char *ifn)
{
	cleanup_err nw_err err = NULL;
	struct fw_elem e = {.host_if = ifn, .mode = NW_MODE_HTTP, .zone = 1};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int rc;

	rc = fw_render_elems(f, &e, 1, &err);
	fclose(f);
	free(buf);
	return rc == 0;
}

static void test_ifname_one_rule(void)
{
	static const char *const bad[] = {"",
					  "nw",
					  "nw0123456789ab",
					  "nw0123456789abcd",
					  "nw0123456789abC",
					  "xx0123456789abc",
					  "nw0123456789ab_",
					  "eth0",
					  NULL};
	char made[NW_IFNAMSIZ];

	for (unsigned salt = 0; salt < 64; salt++) {
		wire_ifname(salt % 2 ? "c1" : "a-container-id", salt, made);
		CHECK(ident_ifname_valid(made));
		CHECK(through_fw(made));
	}
	for (const char *const *p = bad; *p; p++) {
		CHECK(!ident_ifname_valid(*p));
		CHECK(!through_fw(*p));
	}
}

int main(void)
{
	RUN(test_job_id_one_rule);
	RUN(test_ifname_one_rule);
	UNIT_DONE();
}
