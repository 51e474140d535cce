/* Which hooks.d hooks a config.json gets, and adding them to it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hooksd.h"

/* Mounts every engine adds to every container; hasBindMounts is about the
 * user's own volumes (podman passes len(UserVolumes) > 0), so these do not
 * count. */
static const char *const engine_mounts[] = {
    "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/shm", "/run/.containerenv",
};

static bool is_bind(const struct json *m)
{
	const char *type = json_get_str(m, "type");
	const char *dst = json_get_str(m, "destination");
	const struct json *opts = json_get_arr(m, "options");
	bool bind = type != NULL && strcmp(type, "bind") == 0;

	for (size_t i = 0; opts != NULL && i < opts->n; i++)
		if (opts->v[i]->type == JSON_STRING &&
		    (strcmp(opts->v[i]->s, "bind") == 0 || strcmp(opts->v[i]->s, "rbind") == 0))
			bind = true;
	if (!bind || dst == NULL)
		return bind;
	for (size_t i = 0; i < sizeof(engine_mounts) / sizeof(engine_mounts[0]); i++)
		if (strcmp(dst, engine_mounts[i]) == 0)
			return false;
	return true;
}

void hooksd_subject_free(struct hooksd_subject *s)
{
	free(s->ann_key);
	free(s->ann_value);
	memset(s, 0, sizeof(*s));
}

int hooksd_subject(const struct json *conf, struct hooksd_subject *s, nw_err *err)
{
	const struct json *ann = json_get(conf, "annotations");
	const struct json *proc = json_get(conf, "process");
	const struct json *mounts = json_get_arr(conf, "mounts");

	memset(s, 0, sizeof(*s));
	if (ann != NULL) {
		if (ann->type != JSON_OBJECT)
			return nw_fail(err, 0, "config.json: \"annotations\" must be an object");
		s->ann_key = calloc(ann->n + 1, sizeof(*s->ann_key));
		s->ann_value = calloc(ann->n + 1, sizeof(*s->ann_value));
		if (s->ann_key == NULL || s->ann_value == NULL) {
			hooksd_subject_free(s);
			return nw_fail(err, ENOMEM, "config.json annotations");
		}
		for (size_t i = 0; i < ann->n; i++) {
			if (ann->v[i]->type != JSON_STRING) {
				hooksd_subject_free(s);
				return nw_fail(err, 0,
					       "config.json: annotation \"%.60s\" is not a string",
					       ann->keys[i]);
			}
			s->ann_key[i] = ann->keys[i];
			s->ann_value[i] = ann->v[i]->s;
		}
		s->n_ann = ann->n;
	}
	if (proc != NULL && proc->type == JSON_OBJECT) {
		const struct json *args = json_get_arr(proc, "args");
		s->has_process = true;
		if (args != NULL && args->n > 0 && args->v[0]->type == JSON_STRING)
			s->arg0 = args->v[0]->s;
	}
	for (size_t i = 0; mounts != NULL && i < mounts->n; i++)
		s->has_bind_mounts |= is_bind(mounts->v[i]);
	return 0;
}

static int match_annotations(const struct hooksd_hook *h, size_t k, const struct hooksd_subject *s,
			     bool *match, nw_err *err)
{
	*match = false;
	for (size_t i = 0; i < s->n_ann && !*match; i++) {
		if (hooksd_re_match(&h->ann_key[k], s->ann_key[i], match, err) < 0)
			return -1;
		if (*match && hooksd_re_match(&h->ann_value[k], s->ann_value[i], match, err) < 0)
			return -1;
	}
	return 0;
}

/* When.Match with Or false, the only form a 1.0.0 file can take. */
int hooksd_match(const struct hooksd_hook *h, const struct hooksd_subject *s, bool *match,
		 nw_err *err)
{
	int matches = 0;

	*match = false;
	if (h->always == 0 ||
	    (h->has_bind_mounts >= 0 && !(h->has_bind_mounts && s->has_bind_mounts)))
		return 0;
	matches += h->always == 1;
	matches += h->has_bind_mounts == 1;
	for (size_t k = 0; k < h->n_ann; k++) {
		bool m;
		if (match_annotations(h, k, s, &m, err) < 0)
			return -1;
		if (!m)
			return 0;
		matches++;
	}
	if (s->has_process && h->n_cmd > 0) {
		if (s->arg0 == NULL)
			return nw_fail(err, 0, "process.args must have at least one entry");
		for (size_t k = 0; k < h->n_cmd && !*match; k++)
			if (hooksd_re_match(&h->cmd[k], s->arg0, match, err) < 0)
				return -1;
		return 0;
	}
	*match = matches > 0;
	return 0;
}

static struct json *clone(const struct json *j)
{
	struct json *c = json_new(j->type);

	if (c == NULL)
		return NULL;
	c->b = j->b;
	if (j->s != NULL && (c->s = strdup(j->s)) == NULL)
		goto fail;
	for (size_t i = 0; i < j->n; i++) {
		struct json *v = clone(j->v[i]);
		int r = j->type == JSON_OBJECT ? json_set(c, j->keys[i], v, NULL)
					       : json_push(c, v, NULL);
		if (v == NULL || r < 0)
			goto fail;
	}
	return c;
fail:
	json_free(c);
	return NULL;
}

int hooksd_add(struct json *conf, const struct hooksd_hook *h, nw_err *err)
{
	struct json *hooks = json_get(conf, "hooks");

	if (hooks == NULL) {
		if (json_set(conf, "hooks", json_new(JSON_OBJECT), err) < 0)
			return -1;
		hooks = json_get(conf, "hooks");
	}
	if (hooks->type != JSON_OBJECT)
		return nw_fail(err, 0, "config.json: \"hooks\" must be an object");
	for (int s = 0; s < HOOKSD_PRECREATE; s++) {
		const char *name = hooksd_stage_name(s);
		struct json *list;
		if (!(h->stages & HOOKSD_STAGE_BIT(s)))
			continue;
		list = json_get(hooks, name);
		if (list == NULL) {
			if (json_set(hooks, name, json_new(JSON_ARRAY), err) < 0)
				return -1;
			list = json_get(hooks, name);
		}
		if (list->type != JSON_ARRAY)
			return nw_fail(err, 0, "config.json: hooks.%s must be a list", name);
		if (json_push(list, clone(h->hook), err) < 0)
			return -1;
	}
	return 0;
}
