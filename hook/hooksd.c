/* hooks.d files, schema 1.0.0, as containers/common reads and applies them
 * (pkg/hooks/1.0.0: Hook.Validate, When.Match; pkg/hooks: Manager.Hooks). */
#include "hooksd.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"

static const char *const stage_names[HOOKSD_N_STAGES] = {
    [HOOKSD_PRESTART] = "prestart",
    [HOOKSD_CREATE_RUNTIME] = "createRuntime",
    [HOOKSD_CREATE_CONTAINER] = "createContainer",
    [HOOKSD_START_CONTAINER] = "startContainer",
    [HOOKSD_POSTSTART] = "poststart",
    [HOOKSD_POSTSTOP] = "poststop",
    [HOOKSD_PRECREATE] = "precreate",
};

const char *hooksd_stage_name(enum hooksd_stage s)
{
	return stage_names[s];
}

int hooksd_name_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = tolower((unsigned char)*a), cb = tolower((unsigned char)*b);
		if (ca != cb || ca == '\0')
			return ca - cb;
	}
}

void hooksd_hook_free(struct hooksd_hook *h)
{
	for (size_t i = 0; i < h->n_ann; i++) {
		hooksd_re_free(&h->ann_key[i]);
		hooksd_re_free(&h->ann_value[i]);
	}
	for (size_t i = 0; i < h->n_cmd; i++)
		hooksd_re_free(&h->cmd[i]);
	free(h->ann_key);
	free(h->ann_value);
	free(h->cmd);
	free(h->name);
	json_free(h->hook);
	memset(h, 0, sizeof(*h));
}

static bool str_array(const struct json *j)
{
	if (j->type != JSON_ARRAY)
		return false;
	for (size_t i = 0; i < j->n; i++)
		if (j->v[i]->type != JSON_STRING)
			return false;
	return true;
}

static int parse_hook(struct hooksd_hook *h, struct json *hook, nw_err *err)
{
	struct json *args = json_get(hook, "args"), *env = json_get(hook, "env");
	struct json *timeout = json_get(hook, "timeout");
	int64_t t = 0;

	if (hook->type != JSON_OBJECT)
		return nw_fail(err, 0, "\"hook\" must be an object");
	h->path = json_get_str(hook, "path");
	if (h->path == NULL || h->path[0] == '\0')
		return nw_fail(err, 0, "missing required property: hook.path");
	if (h->path[0] != '/')
		return nw_fail(err, 0, "hook.path \"%.200s\" is not absolute", h->path);
	if ((args && !str_array(args)) || (env && !str_array(env)))
		return nw_fail(err, 0, "hook.args and hook.env must be lists of strings");
	if (timeout && json_int(timeout, 1, 86400, &t, NULL) < 0)
		return nw_fail(err, 0, "hook.timeout must be a number of seconds (1 to 86400)");
	h->timeout = (long)t;
	return 0;
}

static int parse_bool(const struct json *when, const char *key, int *out, nw_err *err)
{
	const struct json *j = json_get(when, key);

	*out = -1;
	if (j == NULL)
		return 0;
	if (j->type != JSON_BOOL)
		return nw_fail(err, 0, "when.%s must be true or false", key);
	*out = j->b;
	return 0;
}

static int parse_when(struct hooksd_hook *h, const struct json *when, nw_err *err)
{
	const struct json *ann, *cmds;

	if (when->type != JSON_OBJECT)
		return nw_fail(err, 0, "\"when\" must be an object");
	if (parse_bool(when, "always", &h->always, err) < 0 ||
	    parse_bool(when, "hasBindMounts", &h->has_bind_mounts, err) < 0)
		return -1;
	ann = json_get(when, "annotations");
	if (ann != NULL) {
		if (ann->type != JSON_OBJECT)
			return nw_fail(err, 0, "when.annotations must be an object");
		h->ann_key = calloc(ann->n + 1, sizeof(*h->ann_key));
		h->ann_value = calloc(ann->n + 1, sizeof(*h->ann_value));
		if (h->ann_key == NULL || h->ann_value == NULL)
			return nw_fail(err, ENOMEM, "when.annotations");
		for (; h->n_ann < ann->n; h->n_ann++) {
			size_t i = h->n_ann;
			if (ann->v[i]->type != JSON_STRING)
				return nw_fail(err, 0, "when.annotations values must be strings");
			if (hooksd_re_compile(ann->keys[i], &h->ann_key[i], err) < 0)
				return nw_wrap(err, "when.annotations");
			/* Not counted in n_ann yet: the key is freed here. */
			if (hooksd_re_compile(ann->v[i]->s, &h->ann_value[i], err) < 0) {
				hooksd_re_free(&h->ann_key[i]);
				return nw_wrap(err, "when.annotations");
			}
		}
	}
	cmds = json_get(when, "commands");
	if (cmds != NULL) {
		if (!str_array(cmds))
			return nw_fail(err, 0, "when.commands must be a list of strings");
		h->cmd = calloc(cmds->n + 1, sizeof(*h->cmd));
		if (h->cmd == NULL)
			return nw_fail(err, ENOMEM, "when.commands");
		for (; h->n_cmd < cmds->n; h->n_cmd++)
			if (hooksd_re_compile(cmds->v[h->n_cmd]->s, &h->cmd[h->n_cmd], err) < 0)
				return nw_wrap(err, "when.commands");
	}
	return 0;
}

static int parse_stages(struct hooksd_hook *h, const struct json *stages, nw_err *err)
{
	if (stages == NULL)
		return nw_fail(err, 0, "missing required property: stages");
	if (!str_array(stages))
		return nw_fail(err, 0, "\"stages\" must be a list of strings");
	for (size_t i = 0; i < stages->n; i++) {
		size_t s = 0;
		while (s < HOOKSD_N_STAGES && strcmp(stage_names[s], stages->v[i]->s) != 0)
			s++;
		if (s == HOOKSD_N_STAGES)
			return nw_fail(err, 0,
				       "unknown stage \"%.40s\" (known: prestart, createRuntime, "
				       "createContainer, startContainer, poststart, poststop, "
				       "precreate)",
				       stages->v[i]->s);
		h->stages |= HOOKSD_STAGE_BIT(s);
	}
	return 0;
}

static int parse_tree(struct hooksd_hook *h, struct json *root, nw_err *err)
{
	const char *version = json_get_str(root, "version");
	struct json *hook = json_get(root, "hook"), *when = json_get(root, "when");

	if (root->type != JSON_OBJECT)
		return nw_fail(err, 0, "not a JSON object");
	if (version == NULL || strcmp(version, "1.0.0") != 0)
		return nw_fail(err, 0, "unexpected hook version \"%.20s\" (expecting 1.0.0)",
			       version ? version : "");
	if (hook == NULL)
		return nw_fail(err, 0, "missing required property: hook.path");
	if (parse_hook(h, hook, err) < 0 || (when != NULL && parse_when(h, when, err) < 0) ||
	    parse_stages(h, json_get(root, "stages"), err) < 0)
		return -1;
	return 0;
}

int hooksd_parse(const char *name, const char *text, size_t len, struct hooksd_hook *h, nw_err *err)
{
	cleanup_json struct json *root = NULL;
	cleanup_hooksd_hook struct hooksd_hook n = {.always = -1, .has_bind_mounts = -1};

	*h = n;
	if (len > HOOKSD_FILE_MAX)
		return nw_fail(err, 0, "larger than %d bytes", HOOKSD_FILE_MAX);
	root = json_parse(text, len, err);
	if (root == NULL)
		return -1;
	n.name = strdup(name);
	if (n.name == NULL) {
		nw_fail(err, ENOMEM, "%s", name);
		return -1;
	}
	if (parse_tree(&n, root, err) < 0)
		return -1;
	/* Keep the `hook` object as written, to copy into config.json. */
	for (size_t i = 0; i < root->n; i++)
		if (strcmp(root->keys[i], "hook") == 0) {
			n.hook = steal_ptr(&root->v[i]);
			json_del(root, "hook");
			break;
		}
	*h = n;
	memset(&n, 0, sizeof(n));
	return 0;
}
