/* OCI input: the runtime's state JSON and the bundle's config.json, both
 * parsed from the same bytes. A config.json that parses is then patched as
 * precreate and patch-bundle would patch it, in three ways, and the result
 * must render, read back, keep its annotations, have a network namespace
 * of its own, and stay the same when patched again (oci.h promises that
 * patching twice changes nothing). */
#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "json.h"
#include "oci.h"

#define BINARY	    "/usr/libexec/oci/hooks.d/netward"
#define CONFIG_PATH "/etc/netward/netward.json"

static const struct oci_patch patches[] = {
    {.mode = NW_MODE_NONE},
    {.mode = NW_MODE_HTTP,
     .proxy_port = 3128,
     .add_hooks = true,
     .binary = BINARY,
     .config_path = CONFIG_PATH},
    {.mode = NW_MODE_FULL, .add_hooks = true, .binary = BINARY},
};

static void check_state(const uint8_t *data, size_t size)
{
	struct oci_state s;
	cleanup_err nw_err err = NULL;

	if (oci_state_parse((const char *)data, size, &s, &err) < 0) {
		FUZZ_ASSERT(s.id == NULL && s.bundle == NULL, "refused state left filled");
		return;
	}
	FUZZ_ASSERT(oci_id_valid(s.id) && s.status != NULL && s.bundle != NULL &&
			s.bundle[0] == '/' && s.pid >= 0,
		    "accepted state breaks its own rules");
	oci_state_free(&s);
}

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static size_t count_env(const struct json *config, const char *prefix)
{
	const struct json *env = json_get_arr(json_get_obj(config, "process"), "env");
	size_t c = 0;

	for (size_t i = 0; env != NULL && i < env->n; i++)
		c += env->v[i]->type == JSON_STRING &&
		     strncmp(env->v[i]->s, prefix, strlen(prefix)) == 0;
	return c;
}

static void check_patched(const char *text, const struct oci_config *before,
			  const struct oci_patch *p)
{
	cleanup_json struct json *again = NULL;
	cleanup_free char *text2 = NULL;
	struct oci_config after;

	again = oci_config_parse(text, strlen(text), NULL);
	FUZZ_ASSERT(again != NULL, "patched config.json does not read back:\n%s", text);
	FUZZ_ASSERT(oci_config_extract(again, &after, NULL) == 0, "patched config unreadable");
	FUZZ_ASSERT(after.netns != OCI_NETNS_HOST, "patched config shares the host's network");
	FUZZ_ASSERT(after.netns == before->netns || before->netns == OCI_NETNS_HOST,
		    "an existing network namespace entry changed");
	FUZZ_ASSERT(same_str(after.ann.network, before->ann.network) &&
			same_str(after.ann.domains, before->ann.domains) &&
			same_str(after.ann.job_id, before->ann.job_id),
		    "annotations changed by the patch");
	oci_config_free(&after);
	if (p->mode == NW_MODE_HTTP) {
		FUZZ_ASSERT(count_env(again, "http_proxy=http://") == 1 &&
				count_env(again, "HTTPS_PROXY=http://") == 1 &&
				count_env(again, "no_proxy=") == 1,
			    "proxy variables not set exactly once");
	}
	FUZZ_ASSERT(oci_config_patch(again, p, NULL) == 0, "patching twice fails");
	text2 = oci_config_render(again, false, NULL);
	FUZZ_ASSERT(text2 != NULL && strcmp(text, text2) == 0,
		    "patching twice changes the config:\n%s\n%s", text, text2 ? text2 : "(null)");
}

static void check_config(const uint8_t *data, size_t size)
{
	cleanup_json struct json *probe = NULL;
	struct oci_config before;

	probe = oci_config_parse((const char *)data, size, NULL);
	if (probe == NULL)
		return;
	FUZZ_ASSERT(probe->type == JSON_OBJECT, "config.json accepted as a non-object");
	if (oci_config_extract(probe, &before, NULL) < 0)
		return;
	FUZZ_ASSERT(before.netns != OCI_NETNS_PATH || before.netns_path != NULL, "path lost");
	for (size_t i = 0; i < sizeof(patches) / sizeof(patches[0]); i++) {
		cleanup_json struct json *tree = NULL;
		cleanup_free char *text = NULL, *pretty = NULL;
		cleanup_err nw_err err = NULL;

		tree = oci_config_parse((const char *)data, size, NULL);
		FUZZ_ASSERT(tree != NULL, "config.json parses once, not twice");
		if (oci_config_patch(tree, &patches[i], &err) < 0) {
			/* A refused patch may leave the tree half done, but whole. */
			free(oci_config_render(tree, true, NULL));
			continue;
		}
		text = oci_config_render(tree, false, NULL);
		pretty = oci_config_render(tree, true, NULL);
		FUZZ_ASSERT(text != NULL && pretty != NULL, "patched config.json does not render");
		check_patched(text, &before, &patches[i]);
	}
	oci_config_free(&before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_state(data, size);
	check_config(data, size);
	return 0;
}
