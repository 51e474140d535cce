/* hooks.d files and their patterns: the bytes as a hooks.d file, matched
 * and added to a config that carries annotations, a command and a bind
 * mount; the bytes as a pattern, matched against themselves. An accepted
 * file must name an absolute hook.path, and adding it must leave a config
 * that renders and parses back. */
#include <stdbool.h>
#include <string.h>

#include "cleanup.h"
#include "fuzz.h"
#include "hooksd.h"
#include "json.h"

static const char config[] =
    "{\"process\":{\"args\":[\"/bin/sh\"]},\"annotations\":{\"io.netward.network\":\"http\","
    "\"k\":\"caf\xc3\xa9\"},\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\"}],"
    "\"hooks\":{\"poststop\":[{\"path\":\"/x\"}]}}";

static void check_file(const uint8_t *data, size_t size)
{
	cleanup_json struct json *conf = json_parse(config, strlen(config), NULL);
	cleanup_free char *out = NULL;
	cleanup_err nw_err err = NULL;
	struct hooksd_subject s;
	struct hooksd_hook h;
	bool m;

	FUZZ_ASSERT(conf != NULL, "fixed config");
	if (hooksd_parse("f.json", (const char *)data, size, &h, &err) < 0)
		return;
	FUZZ_ASSERT(h.path != NULL && h.path[0] == '/' && h.hook != NULL, "accepted hook");
	FUZZ_ASSERT((h.stages & ~((1u << HOOKSD_N_STAGES) - 1)) == 0, "stage bits");
	FUZZ_ASSERT(hooksd_subject(conf, &s, &err) == 0, "subject");
	if (hooksd_match(&h, &s, &m, &err) == 0 && m) {
		FUZZ_ASSERT(hooksd_add(conf, &h, &err) == 0, "add");
		out = json_render(conf, false, &err);
		FUZZ_ASSERT(out != NULL, "render");
		cleanup_json struct json *back = json_parse(out, strlen(out), NULL);
		FUZZ_ASSERT(back != NULL, "parse back");
	}
	hooksd_subject_free(&s);
	hooksd_hook_free(&h);
}

static void check_pattern(const uint8_t *data, size_t size)
{
	cleanup_free char *p = strndup((const char *)data, size);
	cleanup_err nw_err err = NULL;
	struct hooksd_re re;
	bool m;

	if (p == NULL || hooksd_re_compile(p, &re, &err) < 0)
		return;
	hooksd_re_match(&re, p, &m, &err);
	hooksd_re_free(&re);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_file(data, size);
	check_pattern(data, size);
	return 0;
}
