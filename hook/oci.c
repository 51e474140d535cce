#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "ident.h"

#define NO_PROXY     "localhost,127.0.0.1,::1"
#define HOOK_TIMEOUT 30

static int dup_into(char **dst, const char *s, nw_err *err)
{
	*dst = strdup(s);
	if (*dst == NULL)
		return nw_fail(err, ENOMEM, "copying \"%.40s\"", s);
	return 0;
}

bool oci_id_valid(const char *id)
{
	static const char chars[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
	size_t n;

	/* The first character is one of the 62 before '_'. */
	if (id == NULL || id[0] == '\0' || strchr(chars, id[0]) == NULL ||
	    strchr("_.-", id[0]) != NULL)
		return false;
	n = strlen(id);
	return n <= NW_ID_MAX && strspn(id, chars) == n;
}

/* One of our annotations: absent is NULL, anything but a string an error. */
static int annotation(const struct json *a, const char *key, char **out, nw_err *err)
{
	const struct json *v = json_get(a, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (v->type != JSON_STRING)
		return nw_fail(err, 0, "annotation \"%s\" must be a string", key);
	return dup_into(out, v->s, err);
}

void oci_annotations_free(struct oci_annotations *a)
{
	free(a->network);
	free(a->domains);
	free(a->job_id);
	memset(a, 0, sizeof(*a));
}

int oci_annotations_parse(const struct json *annotations, struct oci_annotations *out, nw_err *err)
{
	struct oci_annotations a = {0};

	memset(out, 0, sizeof(*out));
	if (annotations == NULL)
		return 0;
	if (annotations->type != JSON_OBJECT)
		return nw_fail(err, 0, "\"annotations\" must be an object");
	if (annotation(annotations, OCI_ANN_NETWORK, &a.network, err) < 0 ||
	    annotation(annotations, OCI_ANN_DOMAINS, &a.domains, err) < 0 ||
	    annotation(annotations, OCI_ANN_JOB_ID, &a.job_id, err) < 0) {
		oci_annotations_free(&a);
		return -1;
	}
	if (a.job_id != NULL && !ident_job_id_valid(a.job_id)) {
		oci_annotations_free(&a);
		return nw_fail(err, 0,
			       "annotation \"%s\" must be 1 to %d printable ASCII characters "
			       "without spaces, quotes or backslashes",
			       OCI_ANN_JOB_ID, NW_ID_MAX);
	}
	*out = a;
	return 0;
}

int oci_annotations_from_config(const struct json *config, struct oci_annotations *out, nw_err *err)
{
	if (oci_annotations_parse(json_get(config, "annotations"), out, err) < 0)
		return nw_wrap(err, "config.json");
	return 0;
}

void oci_state_free(struct oci_state *s)
{
	free(s->id);
	free(s->status);
	free(s->bundle);
	oci_annotations_free(&s->ann);
	memset(s, 0, sizeof(*s));
}

static int required_str(const struct json *o, const char *key, char **out, nw_err *err)
{
	const struct json *v = json_get(o, key);

	if (v == NULL)
		return nw_fail(err, 0, "the runtime's state has no \"%s\"", key);
	if (v->type != JSON_STRING)
		return nw_fail(err, 0, "the runtime's state: \"%s\" must be a string", key);
	return dup_into(out, v->s, err);
}

static int state_fill(const struct json *root, struct oci_state *s, nw_err *err)
{
	const struct json *pid = json_get(root, "pid");
	int64_t v = 0;

	if (root->type != JSON_OBJECT)
		return nw_fail(err, 0, "the runtime's state must be a JSON object");
	if (required_str(root, "id", &s->id, err) < 0 ||
	    required_str(root, "status", &s->status, err) < 0 ||
	    required_str(root, "bundle", &s->bundle, err) < 0)
		return -1;
	if (!oci_id_valid(s->id))
		return nw_fail(err, 0,
			       "container id \"%.*s\" is not 1 to %d characters of [A-Za-z0-9_.-] "
			       "starting with a letter or digit",
			       NW_ID_MAX + 1, s->id, NW_ID_MAX);
	if (s->bundle[0] != '/')
		return nw_fail(err, 0, "the runtime's state: \"bundle\" must be an absolute path");
	if (pid != NULL && json_int(pid, 0, INT32_MAX, &v, NULL) < 0)
		return nw_fail(err, 0, "the runtime's state: \"pid\" must be a process id");
	s->pid = (int)v;
	if (oci_annotations_parse(json_get(root, "annotations"), &s->ann, err) < 0)
		return nw_wrap(err, "the runtime's state");
	return 0;
}

int oci_state_parse(const char *buf, size_t len, struct oci_state *out, nw_err *err)
{
	cleanup_json struct json *root = NULL;
	struct oci_state s = {0};

	memset(out, 0, sizeof(*out));
	if (len > OCI_STATE_MAX)
		return nw_fail(err, 0, "the runtime's state is larger than %d bytes",
			       OCI_STATE_MAX);
	root = json_parse(buf, len, err);
	if (root == NULL)
		return nw_wrap(err, "the runtime's state");
	if (state_fill(root, &s, err) < 0) {
		oci_state_free(&s);
		return -1;
	}
	*out = s;
	return 0;
}

struct json *oci_config_parse(const char *buf, size_t len, nw_err *err)
{
	struct json *root;

	if (len > OCI_CONFIG_MAX) {
		nw_fail(err, 0, "config.json is larger than %d bytes", OCI_CONFIG_MAX);
		return NULL;
	}
	root = json_parse(buf, len, err);
	if (root == NULL) {
		nw_wrap(err, "config.json");
		return NULL;
	}
	if (root->type != JSON_OBJECT) {
		json_free(root);
		nw_fail(err, 0, "config.json must be a JSON object");
		return NULL;
	}
	return root;
}

/* linux.namespaces, or NULL when either level is absent; a wrong type is an
 * error, as the runtime would refuse it too. */
static int namespaces(const struct json *config, struct json **out, nw_err *err)
{
	struct json *lx = json_get(config, "linux");
	struct json *ns;

	*out = NULL;
	if (lx == NULL)
		return 0;
	if (lx->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json: \"linux\" must be an object");
	ns = json_get(lx, "namespaces");
	if (ns != NULL && ns->type != JSON_ARRAY)
		return nw_fail(err, 0, "config.json: \"linux.namespaces\" must be an array");
	*out = ns;
	return 0;
}

/* The network entry of linux.namespaces, or NULL. */
static int netns_entry(const struct json *ns, const struct json **out, nw_err *err)
{
	*out = NULL;
	for (size_t i = 0; ns != NULL && i < ns->n; i++) {
		const char *type = json_get_str(ns->v[i], "type");
		if (type == NULL)
			return nw_fail(err, 0, "config.json: linux.namespaces[%zu] has no \"type\"",
				       i);
		if (strcmp(type, "network") != 0)
			continue;
		if (*out != NULL)
			return nw_fail(err, 0, "config.json: two network namespaces");
		*out = ns->v[i];
	}
	return 0;
}

void oci_config_free(struct oci_config *c)
{
	oci_annotations_free(&c->ann);
	free(c->netns_path);
	json_free(c->json);
	memset(c, 0, sizeof(*c));
}

static int netns_fill(const struct json *config, struct oci_config *c, nw_err *err)
{
	const struct json *entry, *path;
	struct json *ns;

	if (namespaces(config, &ns, err) < 0 || netns_entry(ns, &entry, err) < 0)
		return -1;
	c->netns = entry != NULL ? OCI_NETNS_NEW : OCI_NETNS_HOST;
	path = json_get(entry, "path");
	if (path == NULL)
		return 0;
	if (path->type != JSON_STRING)
		return nw_fail(err, 0,
			       "config.json: the network namespace's \"path\" must be a string");
	if (path->s[0] == '\0')
		return 0;
	c->netns = OCI_NETNS_PATH;
	return dup_into(&c->netns_path, path->s, err);
}

int oci_config_extract(const struct json *config, struct oci_config *out, nw_err *err)
{
	struct oci_config c = {0};

	memset(out, 0, sizeof(*out));
	if (oci_annotations_from_config(config, &c.ann, err) < 0)
		return -1;
	if (netns_fill(config, &c, err) < 0) {
		oci_config_free(&c);
		return -1;
	}
	*out = c;
	return 0;
}

const char *oci_proxy_url(uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, "http://%s:%u", NW_GATEWAY, (unsigned)port);
	return buf;
}

/* obj[key] as an object or array of the given type, created when absent. */
static struct json *child(struct json *obj, const char *key, enum json_type type, const char *where,
			  nw_err *err)
{
	struct json *c = json_get(obj, key);

	if (c != NULL) {
		if (c->type != type)
			nw_fail(err, 0, "config.json: \"%s\" must be an %s", where,
				type == JSON_OBJECT ? "object" : "array");
		return c->type == type ? c : NULL;
	}
	if (json_set(obj, key, json_new(type), err) < 0)
		return NULL;
	return json_get(obj, key);
}

static int patch_netns(struct json *config, nw_err *err)
{
	struct json *lx, *ns, *entry;
	const struct json *found;

	lx = child(config, "linux", JSON_OBJECT, "linux", err);
	ns = lx ? child(lx, "namespaces", JSON_ARRAY, "linux.namespaces", err) : NULL;
	if (ns == NULL || netns_entry(ns, &found, err) < 0)
		return -1;
	if (found != NULL)
		return 0;
	entry = json_new(JSON_OBJECT);
	if (json_set(entry, "type", json_new_str("network"), err) < 0)
		return -1;
	return json_push(ns, entry, err);
}

static const char *const proxy_vars[] = {"http_proxy",	"https_proxy", "HTTP_PROXY",
					 "HTTPS_PROXY", "no_proxy",    "NO_PROXY"};
#define N_PROXY_VARS (sizeof(proxy_vars) / sizeof(proxy_vars[0]))

static bool is_proxy_var(const char *entry)
{
	size_t n = strcspn(entry, "=");

	for (size_t i = 0; i < N_PROXY_VARS; i++)
		if (strlen(proxy_vars[i]) == n && strncmp(entry, proxy_vars[i], n) == 0)
			return true;
	return false;
}

static int push_env(struct json *env, const char *name, const char *value, nw_err *err)
{
	cleanup_free char *s = NULL;

	if (asprintf(&s, "%s=%s", name, value) < 0)
		return nw_fail(err, ENOMEM, "setting %s", name);
	return json_push(env, json_new_str(s), err);
}

static int patch_env(struct json *config, uint16_t port, nw_err *err)
{
	struct json *process = json_get(config, "process"), *env;
	size_t kept = 0;
	char url[64];

	if (port == 0)
		return nw_fail(err, EINVAL, "http mode needs the proxy's port");
	oci_proxy_url(port, url, sizeof(url));
	if (process == NULL || process->type != JSON_OBJECT)
		return nw_fail(err, 0,
			       "config.json has no \"process\" object to give the proxy's "
			       "environment to");
	env = child(process, "env", JSON_ARRAY, "process.env", err);
	if (env == NULL)
		return -1;
	for (size_t i = 0; i < env->n; i++) {
		if (env->v[i]->type != JSON_STRING)
			return nw_fail(err, 0, "config.json: process.env[%zu] must be a string", i);
		if (is_proxy_var(env->v[i]->s))
			json_free(env->v[i]);
		else
			env->v[kept++] = env->v[i];
	}
	env->n = kept;
	for (size_t i = 0; i < N_PROXY_VARS; i++)
		if (push_env(env, proxy_vars[i], i < 4 ? url : NO_PROXY, err) < 0)
			return -1;
	return 0;
}

static struct json *str_array(const char *const *v, size_t n, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	for (size_t i = 0; i < n; i++)
		if (json_push(a, json_new_str(v[i]), err) < 0)
			return NULL;
	return steal_ptr(&a);
}

static struct json *hook_entry(const struct oci_patch *p, const char *stage, nw_err *err)
{
	cleanup_json struct json *h = json_new(JSON_OBJECT);
	const char *with_cfg[] = {p->binary, "--config", p->config_path, stage};
	const char *plain[] = {p->binary, stage};

	if (json_set(h, "path", json_new_str(p->binary), err) < 0)
		return NULL;
	if (json_set(h, "args",
		     p->config_path ? str_array(with_cfg, 4, err) : str_array(plain, 2, err),
		     err) < 0)
		return NULL;
	if (json_set(h, "timeout", json_new_int(HOOK_TIMEOUT), err) < 0)
		return NULL;
	return steal_ptr(&h);
}

/* A hook that runs some netward binary for this stage. */
static bool is_netward_hook(const struct json *h, const struct oci_patch *p, const char *stage)
{
	const char *path = json_get_str(h, "path");
	const struct json *args = json_get_arr(h, "args");
	const char *base;

	if (path == NULL || args == NULL || args->n == 0)
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strcmp(path, p->binary) != 0 && strcmp(base, "netward") != 0)
		return false;
	return args->v[args->n - 1]->type == JSON_STRING &&
	       strcmp(args->v[args->n - 1]->s, stage) == 0;
}

static int patch_stage(struct json *hooks, const struct oci_patch *p, const char *stage,
		       nw_err *err)
{
	char where[64];
	struct json *list, *h;
	size_t kept = 0;
	bool placed = false;

	snprintf(where, sizeof(where), "hooks.%s", stage);
	list = child(hooks, stage, JSON_ARRAY, where, err);
	h = list ? hook_entry(p, stage, err) : NULL;
	if (h == NULL)
		return -1;
	/* Ours replaces the first netward hook of the stage; further ones go. */
	for (size_t i = 0; i < list->n; i++) {
		if (!is_netward_hook(list->v[i], p, stage)) {
			list->v[kept++] = list->v[i];
			continue;
		}
		json_free(list->v[i]);
		if (!placed)
			list->v[kept++] = h;
		placed = true;
	}
	list->n = kept;
	return placed ? 0 : json_push(list, h, err);
}

static int patch_hooks(struct json *config, const struct oci_patch *p, nw_err *err)
{
	struct json *hooks;

	if (p->binary == NULL || p->binary[0] != '/' ||
	    (p->config_path != NULL && p->config_path[0] != '/'))
		return nw_fail(err, EINVAL,
			       "hook and config paths must be absolute (hooks run "
			       "with an empty environment)");
	hooks = child(config, "hooks", JSON_OBJECT, "hooks", err);
	if (hooks == NULL || patch_stage(hooks, p, "prestart", err) < 0)
		return -1;
	return patch_stage(hooks, p, "poststop", err);
}

int oci_config_patch(struct json *config, const struct oci_patch *p, nw_err *err)
{
	if (config == NULL || config->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json must be a JSON object");
	if (patch_netns(config, err) < 0)
		return -1;
	if (p->mode == NW_MODE_HTTP && patch_env(config, p->proxy_port, err) < 0)
		return -1;
	if (oci_seccomp_patch(config, err) < 0)
		return -1;
	if (p->add_hooks && patch_hooks(config, p, err) < 0)
		return -1;
	return 0;
}

char *oci_config_render(const struct json *config, bool pretty, nw_err *err)
{
	return json_render(config, pretty, err);
}
