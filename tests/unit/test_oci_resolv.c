/* The job's /etc/resolv.conf mount: ours replaces the engine's, however
 * its destination is spelt, comes last, and patching twice changes
 * nothing. */
#include <stdlib.h>

#include "cleanup.h"
#include "json.h"
#include "oci_resolv.h"
#include "unit.h"

#define SRC "/run/netward-resolv/0123456789abcdef.conf"

static struct json *parse(const char *s)
{
	return json_parse(s, strlen(s), NULL);
}

/* The mounts whose destination is /etc/resolv.conf: how many, and the
 * index of the last. */
static size_t resolv_mounts(const struct json *conf, size_t *last)
{
	const struct json *m = json_get_arr(conf, "mounts");
	size_t n = 0;

	for (size_t i = 0; m != NULL && i < m->n; i++) {
		const char *d = json_get_str(m->v[i], "destination");
		if (d != NULL && strcmp(d, OCI_RESOLV_DEST) == 0) {
			n++;
			*last = i;
		}
	}
	return n;
}

static void test_text(void)
{
	const char *t = oci_resolv_text();

	CHECK(strstr(t, "\nnameserver 169.254.1.1\n") != NULL);
	/* The gateway alone: no second server to fall back to. */
	CHECK(strstr(strstr(t, "nameserver") + 1, "nameserver") == NULL);
	CHECK(strstr(t, "search") == NULL && strstr(t, "domain") == NULL);
}

static void test_replaces_the_engines(void)
{
	cleanup_json struct json *c =
	    parse("{\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"},"
		  " {\"destination\": \"/etc/resolv.conf\", \"type\": \"bind\","
		  "  \"source\": \"/var/lib/containers/x/resolv.conf\"},"
		  " {\"destination\": \"//etc/./resolv.conf/\", \"source\": \"/a\"},"
		  " {\"destination\": \"etc/resolv.conf\", \"source\": \"/b\"},"
		  " {\"destination\": \"/etc/resolv.conf.d\", \"source\": \"/c\"},"
		  " {\"destination\": \"/etc/hosts\", \"source\": \"/d\"}]}");
	cleanup_free char *once = NULL, *twice = NULL;
	cleanup_err nw_err err = NULL;
	size_t last = 0;
	const struct json *m;

	CHECK(c != NULL && oci_resolv_patch(c, SRC, &err) == 0);
	m = json_get_arr(c, "mounts");
	CHECK(m != NULL && m->n == 4 && resolv_mounts(c, &last) == 1 && last == 3);
	if (m == NULL || m->n != 4)
		return;
	CHECK_STR(json_get_str(m->v[3], "source"), SRC);
	CHECK_STR(json_get_str(m->v[3], "type"), "bind");
	CHECK_STR(json_get_str(m->v[1], "destination"), "/etc/resolv.conf.d");
	CHECK_STR(json_get_str(m->v[2], "destination"), "/etc/hosts");
	const struct json *o = json_get_arr(m->v[3], "options");
	bool ro = false;
	for (size_t i = 0; o != NULL && i < o->n; i++)
		ro |= o->v[i]->type == JSON_STRING && strcmp(o->v[i]->s, "ro") == 0;
	CHECK(ro);
	once = json_render(c, false, NULL);
	CHECK(oci_resolv_patch(c, SRC, &err) == 0);
	twice = json_render(c, false, NULL);
	CHECK_STR(once, twice);
}

static void test_no_mounts_and_bad_input(void)
{
	cleanup_json struct json *c = parse("{\"ociVersion\": \"1.0.2\"}");
	cleanup_json struct json *bad = parse("{\"mounts\": {}}");
	cleanup_err nw_err err = NULL;
	size_t last = 9;

	CHECK(c != NULL && oci_resolv_patch(c, SRC, &err) == 0 && resolv_mounts(c, &last) == 1 &&
	      last == 0);
	CHECK(oci_resolv_patch(c, "relative.conf", &err) < 0 && err != NULL);
	nw_err_free(&err);
	CHECK(bad != NULL && oci_resolv_patch(bad, SRC, &err) < 0 && err != NULL &&
	      strstr(nw_err_msg(err), "\"mounts\" must be an array") != NULL);
}

int main(void)
{
	RUN(test_text);
	RUN(test_replaces_the_engines);
	RUN(test_no_mounts_and_bad_input);
	UNIT_DONE();
}
