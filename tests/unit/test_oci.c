/* OCI state, config.json and the precreate transform. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci.h"
#include "oci_bundle.h"
#include "oci_seccomp.h"
#include "unit.h"

static int state(const char *text, struct oci_state *s, nw_err *err)
{
	return oci_state_parse(text, strlen(text), s, err);
}

static void test_state_runc(void)
{
	struct oci_state s;
	cleanup_err nw_err err = NULL;
	const char *t =
	    "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"job-1.a_b\",\"status\":\"creating\","
	    "\"pid\":4242,\"bundle\":\"/run/b\",\"annotations\":{"
	    "\"io.netward.network\":\"HTTP\",\"io.netward.domains\":\"x.com,.y.org\","
	    "\"io.netward.job-id\":\"j-123\",\"other\":\"v\"}}";

	CHECK(state(t, &s, &err) == 0);
	CHECK_STR(s.id, "job-1.a_b");
	CHECK(s.pid == 4242);
	CHECK_STR(s.status, "creating");
	CHECK_STR(s.bundle, "/run/b");
	CHECK_STR(s.ann.network, "HTTP");
	CHECK_STR(s.ann.domains, "x.com,.y.org");
	CHECK_STR(s.ann.job_id, "j-123");
	oci_state_free(&s);

	/* runc's poststop: no pid. */
	CHECK(state("{\"ociVersion\":\"1.0.2\",\"id\":\"c\",\"status\":\"stopped\","
		    "\"bundle\":\"/b\"}",
		    &s, &err) == 0);
	CHECK(s.pid == 0 && s.ann.network == NULL && s.ann.domains == NULL && s.ann.job_id == NULL);
	oci_state_free(&s);
}

static void test_state_crun(void)
{
	struct oci_state s;
	cleanup_err nw_err err = NULL;

	CHECK(state("{\"ociVersion\":\"1.0\",\"id\":\"abc\",\"pid\":0,\"root\":\"/run/crun/abc\","
		    "\"bundle\":\"/b\",\"status\":\"created\",\"annotations\":{}}",
		    &s, &err) == 0);
	CHECK(s.pid == 0);
	CHECK_STR(s.status, "created");
	oci_state_free(&s);
}

static const struct {
	const char *json, *msg;
} bad_states[] = {
    {"{\"id\":\"../x\",\"status\":\"created\",\"bundle\":\"/b\"}", "container id \"../x\""},
    {"{\"id\":\"\",\"status\":\"created\",\"bundle\":\"/b\"}", "container id \"\""},
    {"{\"id\":\".x\",\"status\":\"created\",\"bundle\":\"/b\"}", "container id"},
    {"{\"id\":\"a/b\",\"status\":\"created\",\"bundle\":\"/b\"}", "container id"},
    {"{\"id\":\"a b\",\"status\":\"created\",\"bundle\":\"/b\"}", "container id"},
    {"{\"status\":\"created\",\"bundle\":\"/b\"}", "no \"id\""},
    {"{\"id\":5,\"status\":\"created\",\"bundle\":\"/b\"}", "\"id\" must be a string"},
    {"{\"id\":\"a\",\"bundle\":\"/b\"}", "no \"status\""},
    {"{\"id\":\"a\",\"status\":\"created\"}", "no \"bundle\""},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"b\"}", "absolute path"},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\",\"pid\":-1}", "\"pid\""},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\",\"pid\":\"1\"}", "\"pid\""},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\",\"annotations\":[]}",
     "\"annotations\" must be an object"},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\","
     "\"annotations\":{\"io.netward.network\":1}}",
     "\"io.netward.network\" must be a string"},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\","
     "\"annotations\":{\"io.netward.domains\":[\"x.com\"]}}",
     "\"io.netward.domains\" must be a string"},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\","
     "\"annotations\":{\"io.netward.job-id\":\"a b\"}}",
     "\"io.netward.job-id\" must be 1 to 128 printable"},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\","
     "\"annotations\":{\"io.netward.job-id\":\"a\\\"b\"}}",
     "\"io.netward.job-id\""},
    {"{\"id\":\"a\",\"status\":\"created\",\"bundle\":\"/b\","
     "\"annotations\":{\"io.netward.job-id\":\"\"}}",
     "\"io.netward.job-id\""},
    {"[1]", "must be a JSON object"},
    {"{", "invalid JSON"},
};

static void test_state_bad(void)
{
	for (size_t i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++) {
		struct oci_state s;
		cleanup_err nw_err err = NULL;
		int r = state(bad_states[i].json, &s, &err);
		CHECK(r < 0);
		if (r == 0) {
			printf("#   accepted %s\n", bad_states[i].json);
			oci_state_free(&s);
		} else if (strstr(nw_err_msg(err), bad_states[i].msg) == NULL) {
			printf("#   %s\n#     got:  %s\n#     want: %s\n", bad_states[i].json,
			       nw_err_msg(err), bad_states[i].msg);
			unit_cur_failed++;
		}
	}
}

static void test_ids(void)
{
	char long_id[NW_ID_MAX + 2];

	CHECK(oci_id_valid("a") && oci_id_valid("0abc") && oci_id_valid("A-b_c.d"));
	CHECK(!oci_id_valid("") && !oci_id_valid("../x") && !oci_id_valid("-a"));
	CHECK(!oci_id_valid("_a") && !oci_id_valid("a/b") && !oci_id_valid(NULL));
	memset(long_id, 'a', sizeof(long_id));
	long_id[NW_ID_MAX] = '\0';
	CHECK(oci_id_valid(long_id));
	long_id[NW_ID_MAX] = 'a';
	long_id[NW_ID_MAX + 1] = '\0';
	CHECK(!oci_id_valid(long_id));

	struct oci_state s;
	cleanup_err nw_err err = NULL;
	char t[400];
	snprintf(t, sizeof(t), "{\"id\":\"%s\",\"status\":\"created\",\"bundle\":\"/b\"}", long_id);
	CHECK(state(t, &s, &err) < 0);
}

static struct json *config(const char *text)
{
	cleanup_err nw_err err = NULL;
	struct json *j = oci_config_parse(text, strlen(text), &err);
	if (j == NULL)
		printf("#   %s\n", nw_err_msg(err));
	return j;
}

static void test_extract(void)
{
	struct oci_config c;
	cleanup_err nw_err err = NULL;
	cleanup_json struct json *host =
	    config("{\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]},"
		   "\"annotations\":{\"io.netward.network\":\"none\"}}");
	cleanup_json struct json *fresh =
	    config("{\"linux\":{\"namespaces\":[{\"type\":\"network\"},{\"type\":\"mount\"}]}}");
	cleanup_json struct json *joined = config(
	    "{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/run/netns/x\"}]}}");
	cleanup_json struct json *twice =
	    config("{\"linux\":{\"namespaces\":[{\"type\":\"network\"},{\"type\":\"network\"}]}}");
	cleanup_json struct json *bare = config("{}");

	CHECK(oci_config_extract(host, &c, &err) == 0 && c.netns == OCI_NETNS_HOST);
	CHECK_STR(c.ann.network, "none");
	oci_config_free(&c);
	CHECK(oci_config_extract(bare, &c, &err) == 0 && c.netns == OCI_NETNS_HOST);
	oci_config_free(&c);
	CHECK(oci_config_extract(fresh, &c, &err) == 0 && c.netns == OCI_NETNS_NEW);
	oci_config_free(&c);
	CHECK(oci_config_extract(joined, &c, &err) == 0 && c.netns == OCI_NETNS_PATH);
	CHECK_STR(c.netns_path, "/run/netns/x");
	oci_config_free(&c);
	CHECK(oci_config_extract(twice, &c, &err) < 0);
}

static const char base_config[] =
    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],\"env\":["
    "\"PATH=/usr/bin:/bin\",\"http_proxy=http://old:1\",\"TERM=xterm\","
    "\"NO_PROXY=*\",\"HTTPS_PROXYX=keep\"]},"
    "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"}]},"
    "\"annotations\":{\"io.netward.network\":\"http\"}}";

static size_t env_count(const struct json *cfg, const char *prefix)
{
	const struct json *env = json_get_arr(json_get_obj(cfg, "process"), "env");
	size_t n = 0;

	for (size_t i = 0; env != NULL && i < env->n; i++)
		if (strncmp(env->v[i]->s, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static bool env_has(const struct json *cfg, const char *entry)
{
	const struct json *env = json_get_arr(json_get_obj(cfg, "process"), "env");

	for (size_t i = 0; env != NULL && i < env->n; i++)
		if (strcmp(env->v[i]->s, entry) == 0)
			return true;
	return false;
}

static void test_patch_http(void)
{
	cleanup_json struct json *c = config(base_config);
	cleanup_err nw_err err = NULL;
	char url[64];
	struct oci_patch p = {.mode = NW_MODE_HTTP, .proxy_port = 3128};
	struct oci_config oc;

	CHECK_STR(oci_proxy_url(3128, url, sizeof(url)), "http://169.254.1.1:3128");
	CHECK(oci_config_patch(c, &p, &err) == 0);
	CHECK(oci_config_patch(c, &p, &err) == 0);
	CHECK(env_has(c, "http_proxy=http://169.254.1.1:3128"));
	CHECK(env_has(c, "https_proxy=http://169.254.1.1:3128"));
	CHECK(env_has(c, "HTTP_PROXY=http://169.254.1.1:3128"));
	CHECK(env_has(c, "HTTPS_PROXY=http://169.254.1.1:3128"));
	CHECK(env_has(c, "no_proxy=localhost,127.0.0.1,::1"));
	CHECK(env_has(c, "NO_PROXY=localhost,127.0.0.1,::1"));
	CHECK(env_count(c, "http_proxy=") == 1 && env_count(c, "NO_PROXY=") == 1);
	CHECK(env_has(c, "PATH=/usr/bin:/bin") && env_has(c, "TERM=xterm"));
	CHECK(env_has(c, "HTTPS_PROXYX=keep"));
	CHECK(!env_has(c, "http_proxy=http://old:1") && !env_has(c, "NO_PROXY=*"));
	CHECK(json_get_arr(json_get_obj(c, "process"), "env")->n == 9);
	CHECK(oci_config_extract(c, &oc, &err) == 0 && oc.netns == OCI_NETNS_NEW);
	oci_config_free(&oc);
	CHECK(json_get_obj(c, "hooks") == NULL);
}

static void test_patch_none_keeps_env(void)
{
	cleanup_json struct json *c = config(base_config);
	cleanup_json struct json *orig = config(base_config);
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_NONE, .proxy_port = 3128};
	struct oci_config oc;

	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *a = json_render(json_get(c, "process"), false, &err);
	cleanup_free char *b = json_render(json_get(orig, "process"), false, &err);
	CHECK_STR(a, b);
	CHECK(oci_config_extract(c, &oc, &err) == 0 && oc.netns == OCI_NETNS_NEW);
	oci_config_free(&oc);

	p.mode = NW_MODE_FULL;
	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *d = json_render(json_get(c, "process"), false, &err);
	CHECK_STR(d, b);
}

static void test_patch_keeps_netns_path(void)
{
	cleanup_json struct json *c = config(
	    "{\"process\":{},\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/p\"}]}}");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_NONE};
	struct oci_config oc;

	CHECK(oci_config_patch(c, &p, &err) == 0);
	CHECK(oci_config_extract(c, &oc, &err) == 0 && oc.netns == OCI_NETNS_PATH);
	oci_config_free(&oc);
	CHECK(json_get_arr(json_get_obj(c, "linux"), "namespaces")->n == 1);
}

static void test_patch_http_needs_process(void)
{
	cleanup_json struct json *c = config("{}");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_HTTP, .proxy_port = 3128};

	CHECK(oci_config_patch(c, &p, &err) < 0);
	CHECK(strstr(nw_err_msg(err), "\"process\"") != NULL);
}

static void test_patch_hooks_idempotent(void)
{
	cleanup_json struct json *c = config(
	    "{\"process\":{\"env\":[]},\"hooks\":{\"prestart\":[{\"path\":\"/bin/other\"}],"
	    "\"poststop\":[{\"path\":\"/usr/bin/netward\",\"args\":[\"netward\",\"poststop\"]}]}}");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_HTTP,
			      .proxy_port = 3128,
			      .add_hooks = true,
			      .binary = "/usr/libexec/oci/hooks.d/netward",
			      .config_path = "/etc/netward/netward.json"};

	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *once = json_render(c, false, &err);
	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *twice = json_render(c, false, &err);
	CHECK_STR(once, twice);

	const struct json *hooks = json_get_obj(c, "hooks");
	const struct json *pre = json_get_arr(hooks, "prestart");
	const struct json *post = json_get_arr(hooks, "poststop");
	CHECK(pre != NULL && pre->n == 2 && post != NULL && post->n == 1);
	if (pre == NULL || pre->n != 2 || post == NULL || post->n != 1)
		return;
	CHECK_STR(json_get_str(pre->v[0], "path"), "/bin/other");
	CHECK_STR(json_get_str(pre->v[1], "path"), "/usr/libexec/oci/hooks.d/netward");
	cleanup_free char *args = json_render(json_get(pre->v[1], "args"), false, &err);
	CHECK_STR(args, "[\"/usr/libexec/oci/hooks.d/netward\",\"--config\","
			"\"/etc/netward/netward.json\",\"prestart\"]");
	int64_t t = 0;
	CHECK(json_int(json_get(pre->v[1], "timeout"), 1, 1000, &t, NULL) == 0 && t == 30);
	cleanup_free char *pargs = json_render(json_get(post->v[0], "args"), false, &err);
	CHECK_STR(pargs, "[\"/usr/libexec/oci/hooks.d/netward\",\"--config\","
			 "\"/etc/netward/netward.json\",\"poststop\"]");
	CHECK(env_count(c, "http_proxy=") == 1);

	p.config_path = NULL;
	cleanup_json struct json *d = config("{}");
	CHECK(oci_config_patch(d, &p, &err) < 0); /* http without process */
	p.mode = NW_MODE_NONE;
	CHECK(oci_config_patch(d, &p, &err) == 0 || err != NULL);
}

/* The seccomp rules of a patched config, compact. */
static char *seccomp_text(const struct json *c)
{
	return json_render(json_get(json_get_obj(c, "linux"), "seccomp"), false, NULL);
}

static void test_seccomp_created(void)
{
	cleanup_json struct json *c = config("{\"process\":{}}");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_NONE};

	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *once = seccomp_text(c);
	CHECK(once != NULL && strstr(once, "\"defaultAction\":\"SCMP_ACT_ALLOW\"") != NULL);
	CHECK(once != NULL && strstr(once, "\"valueTwo\":40") != NULL);
	CHECK(once != NULL && strstr(once, "io_uring_setup") != NULL);
	/* Every ABI a process here can enter, so the rules cover i386's
	 * socketcall and 32-bit programs are not killed outright. */
#if defined(__x86_64__)
	CHECK(once != NULL && strstr(once, "\"architectures\":[\"SCMP_ARCH_X86_64\","
					   "\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"]") != NULL);
#endif
	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *twice = seccomp_text(c);
	CHECK_STR(once, twice);
}

/* podman's default profile shape: socket allowed under conditions that
 * include AF_VSOCK; io_uring in a big allow list. */
static const char podman_like[] =
    "{\"process\":{},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
    "\"defaultErrnoRet\":38,\"syscalls\":["
    "{\"names\":[\"read\",\"io_uring_setup\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"args\":[{\"index\":2,\"value\":9,\"op\":\"SCMP_CMP_NE\"}]},"
    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\","
    "\"args\":[{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_NE\"}]},"
    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":22,"
    "\"args\":[{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"},"
    "{\"index\":2,\"value\":9,\"op\":\"SCMP_CMP_EQ\"}]}]}}}";

/* Does an OCI rule's argument-0 condition match v? (one condition at most) */
static bool rule_matches(const struct json *rule, uint64_t v, uint64_t a2)
{
	const struct json *args = json_get_arr(rule, "args");

	for (size_t i = 0; args != NULL && i < args->n; i++) {
		const struct json *a = args->v[i];
		int64_t idx = 0;
		json_int(json_get(a, "index"), 0, 5, &idx, NULL);
		uint64_t x = idx == 0 ? v : a2;
		const char *op = json_get_str(a, "op");
		const struct json *jv = json_get(a, "value"), *jv2 = json_get(a, "valueTwo");
		uint64_t val = jv ? strtoull(jv->s, NULL, 10) : 0;
		uint64_t val2 = jv2 ? strtoull(jv2->s, NULL, 10) : 0;
		bool ok = strcmp(op, "SCMP_CMP_EQ") == 0	  ? x == val
			  : strcmp(op, "SCMP_CMP_NE") == 0	  ? x != val
			  : strcmp(op, "SCMP_CMP_MASKED_EQ") == 0 ? (x & val) == val2
								  : false;
		if (!ok)
			return false;
	}
	return true;
}

/* Is name(a0, ., a2) allowed by some permissive rule? */
static bool syscall_allowed(const struct json *c, const char *name, uint64_t a0, uint64_t a2)
{
	const struct json *rules =
	    json_get_arr(json_get_obj(json_get_obj(c, "linux"), "seccomp"), "syscalls");

	for (size_t i = 0; rules != NULL && i < rules->n; i++) {
		const struct json *names = json_get_arr(rules->v[i], "names");
		bool has = false;
		for (size_t k = 0; names != NULL && k < names->n; k++)
			has |= strcmp(names->v[k]->s, name) == 0;
		if (has && strcmp(json_get_str(rules->v[i], "action"), "SCMP_ACT_ALLOW") == 0 &&
		    rule_matches(rules->v[i], a0, a2))
			return true;
	}
	return false;
}

/* Is socket(v, ., a2) allowed by some permissive rule? */
static bool socket_allowed(const struct json *c, uint64_t v, uint64_t a2)
{
	return syscall_allowed(c, "socket", v, a2);
}

static void test_seccomp_narrowed(void)
{
	cleanup_json struct json *c = config(podman_like);
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_HTTP, .proxy_port = 1};

	CHECK(socket_allowed(c, 40, 0));
	CHECK(oci_config_patch(c, &p, &err) == 0);
	if (err != NULL)
		printf("#   %s\n", nw_err_msg(err));
	CHECK(!socket_allowed(c, 40, 0) && !socket_allowed(c, 40, 9));
	CHECK(!socket_allowed(c, 0x100000028ULL, 0) &&
	      !socket_allowed(c, 0xffffffff00000028ULL, 1));
	CHECK(socket_allowed(c, 2, 0) && socket_allowed(c, 10, 6) && socket_allowed(c, 1, 0));
	CHECK(socket_allowed(c, 16, 0) && socket_allowed(c, 41, 9) && socket_allowed(c, 39, 9));
	CHECK(!socket_allowed(c, 0x100000010ULL, 9)); /* the kernel reads it as 16: narrowed */
	CHECK(!socket_allowed(c, 16, 9));	      /* still refused, as before */
	cleanup_free char *once = seccomp_text(c);
	CHECK(once != NULL && strstr(once, "io_uring_setup") == NULL);
	CHECK(once != NULL && strstr(once, "\"read\",\"write\"") != NULL);
	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *twice = seccomp_text(c);
	CHECK_STR(once, twice);
}

/* Is socketcall(call, ...) allowed by some permissive rule? */
static bool socketcall_allowed(const struct json *c, uint64_t call)
{
	return syscall_allowed(c, "socketcall", call, 0);
}

static const char *const x86_profile =
    "{\"process\":{},\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
    "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
    "\"syscalls\":[{\"names\":[\"read\",\"socketcall\"%s],\"action\":\"SCMP_ACT_ALLOW\"}]}}}";

static struct json *x86_config(const char *more)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), x86_profile, more);
	return config(buf);
}

/* socketcall's family is behind a pointer: SYS_SOCKET (1) and
 * SYS_SOCKETPAIR (8) go, its other calls stay. A profile that allows
 * socket(2) loses the i386 ABI, as libseccomp would make that a socketcall
 * rule with no family; x32 has socket(2) itself and keeps its checks. */
static void test_seccomp_socketcall(void)
{
	cleanup_json struct json *c = x86_config("");
	cleanup_json struct json *s = x86_config(",\"socket\"");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_NONE};

	CHECK(socketcall_allowed(c, 1) && socketcall_allowed(c, 8));
	CHECK(oci_config_patch(c, &p, &err) == 0);
	CHECK(!socketcall_allowed(c, 1) && !socketcall_allowed(c, 8));
	CHECK(!socketcall_allowed(c, 0x100000001ULL));
	CHECK(socketcall_allowed(c, 2) && socketcall_allowed(c, 3) && socketcall_allowed(c, 9) &&
	      socketcall_allowed(c, 20));
	cleanup_free char *once = seccomp_text(c);
	CHECK(once != NULL && strstr(once, "\"SCMP_ARCH_X86\"") != NULL);
	CHECK(oci_config_patch(c, &p, &err) == 0);
	cleanup_free char *twice = seccomp_text(c);
	CHECK_STR(once, twice);

	CHECK(oci_config_patch(s, &p, &err) == 0);
	cleanup_free char *sk = seccomp_text(s);
	CHECK(sk != NULL && strstr(sk, "\"SCMP_ARCH_X86\"") == NULL);
	CHECK(sk != NULL && strstr(sk, "\"architectures\":[\"SCMP_ARCH_X86_64\","
				       "\"SCMP_ARCH_X32\"]") != NULL);
	CHECK(!socket_allowed(s, 40, 0) && socket_allowed(s, 2, 0));
	CHECK(oci_config_patch(s, &p, &err) == 0);
	cleanup_free char *sk2 = seccomp_text(s);
	CHECK_STR(sk, sk2);
}

/* prestart's check: the additions are there exactly when patching again
 * would change nothing. */
static void test_seccomp_check(void)
{
	cleanup_json struct json *none = config("{\"process\":{}}");
	cleanup_json struct json *pod = config(podman_like);
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_HTTP, .proxy_port = 1};

	CHECK(oci_seccomp_check(none, &err) < 0);
	CHECK(err != NULL && strstr(nw_err_msg(err), "patch-bundle") != NULL);
	nw_err_free(&err);
	CHECK(oci_seccomp_check(pod, &err) < 0);
	nw_err_free(&err);
	CHECK(oci_config_patch(none, &p, &err) == 0 && oci_seccomp_check(none, &err) == 0);
	CHECK(oci_config_patch(pod, &p, &err) == 0 && oci_seccomp_check(pod, &err) == 0);
	/* podman writes the config back without zero "valueTwo" keys. */
	cleanup_free char *text = json_render(pod, false, &err);
	for (char *z; text != NULL && (z = strstr(text, ",\"valueTwo\":0")) != NULL;)
		memmove(z, z + 13, strlen(z + 13) + 1);
	cleanup_json struct json *again = config(text);
	CHECK(again != NULL && oci_seccomp_check(again, &err) == 0);
	/* One of our rules taken out again: refused. */
	struct json *rules =
	    json_get_arr(json_get_obj(json_get_obj(none, "linux"), "seccomp"), "syscalls");
	CHECK(rules != NULL && rules->n > 1);
	if (rules != NULL && rules->n > 1)
		json_free(rules->v[--rules->n]);
	CHECK(oci_seccomp_check(none, &err) < 0);
}

static void test_seccomp_allow_default(void)
{
	cleanup_json struct json *c =
	    config("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		   "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\","
		   "\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_EQ\"}]},"
		   "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\","
		   "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_GT\"}]}]}}}");
	cleanup_json struct json *ok =
	    config("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		   "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\","
		   "\"args\":[{\"index\":0,\"value\":40,\"op\":\"SCMP_CMP_EQ\"}]},"
		   "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,"
		   "\"args\":[{\"index\":0,\"value\":4294967295,\"valueTwo\":40,"
		   "\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}}}");
	cleanup_err nw_err err = NULL;
	struct oci_patch p = {.mode = NW_MODE_FULL};

	/* A range condition cannot be narrowed: refused rather than left open. */
	CHECK(oci_config_patch(c, &p, &err) < 0);
	CHECK(strstr(nw_err_msg(err), "cannot narrow") != NULL);
	nw_err_free(&err);
	CHECK(oci_config_patch(ok, &p, &err) == 0);
	const struct json *rules =
	    json_get_arr(json_get_obj(json_get_obj(ok, "linux"), "seccomp"), "syscalls");
	/* The allow-40 rule is gone; our socket deny is there once, the
	 * socketpair, socketcall and io_uring ones added. */
	CHECK(rules != NULL && rules->n == 5);
	CHECK(!socket_allowed(ok, 40, 0));
}

static void test_seccomp_data_matches(void)
{
	FILE *f = fopen("seccomp/container.json", "r");
	char buf[8192];
	size_t n;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CHECK_STR(buf, oci_seccomp_json);
}

static void test_bundle_files(void)
{
	char dir[] = "/tmp/nw-oci-XXXXXX", p[128], q[128];
	cleanup_err nw_err err = NULL;
	struct oci_patch patch = {.mode = NW_MODE_HTTP,
				  .proxy_port = 3128,
				  .add_hooks = true,
				  .binary = "/usr/bin/netward"};
	struct oci_config oc;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(p, sizeof(p), "%s/config.json", dir);
	FILE *f = fopen(p, "w");
	if (f == NULL)
		return;
	fputs(base_config, f);
	fclose(f);
	chmod(p, 0600);
	for (int round = 0; round < 2; round++) {
		cleanup_json struct json *c = oci_config_load(dir, &err);
		CHECK(c != NULL);
		if (c == NULL)
			break;
		CHECK(oci_config_patch(c, &patch, &err) == 0);
		CHECK(oci_config_write(dir, c, &err) == 0);
	}
	if (err != NULL)
		printf("#   %s\n", nw_err_msg(err));
	struct stat st;
	CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK(oci_config_read(dir, &oc, &err) == 0 && oc.netns == OCI_NETNS_NEW);
	CHECK_STR(oc.ann.network, "http");
	CHECK(oc.json != NULL && json_get_obj(oc.json, "hooks") != NULL);
	struct oci_annotations ann;
	CHECK(oci_annotations_from_config(oc.json, &ann, &err) == 0);
	CHECK_STR(ann.network, "http");
	oci_annotations_free(&ann);
	oci_config_free(&oc);
	cleanup_json struct json *c = oci_config_load(dir, &err);
	CHECK(c != NULL && json_get_arr(json_get_obj(c, "hooks"), "prestart")->n == 1);
	CHECK(c != NULL && env_count(c, "https_proxy=") == 1);

	/* A symlinked config.json is refused. */
	snprintf(q, sizeof(q), "%s/real.json", dir);
	rename(p, q);
	CHECK(symlink("real.json", p) == 0);
	cleanup_err nw_err e2 = NULL;
	CHECK(oci_config_load(dir, &e2) == NULL);
	CHECK(e2 != NULL && e2->code == ELOOP);
	unlink(p);
	unlink(q);
	rmdir(dir);
}

int main(void)
{
	RUN(test_state_runc);
	RUN(test_state_crun);
	RUN(test_state_bad);
	RUN(test_ids);
	RUN(test_extract);
	RUN(test_patch_http);
	RUN(test_patch_none_keeps_env);
	RUN(test_patch_keeps_netns_path);
	RUN(test_patch_http_needs_process);
	RUN(test_patch_hooks_idempotent);
	RUN(test_seccomp_created);
	RUN(test_seccomp_narrowed);
	RUN(test_seccomp_socketcall);
	RUN(test_seccomp_check);
	RUN(test_seccomp_allow_default);
	RUN(test_seccomp_data_matches);
	RUN(test_bundle_files);
	UNIT_DONE();
}
