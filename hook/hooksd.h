/* hooks.d files as podman reads them (containers/common, schema 1.0.0):
 * parsing one file, matching it against a config.json, adding its hook to
 * the config's stages. Pure: no syscalls, no globals. */
#ifndef NW_HOOKSD_H
#define NW_HOOKSD_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "json.h"

#define HOOKSD_FILE_MAX (64 << 10)

/* A `when` regex. POSIX ERE stands in for Go's RE2; hooksd_re_compile
 * refuses what the two would read differently. */
struct hooksd_re {
	regex_t re;
	bool compiled;
	/* '.' or a negated bracket: counts bytes where RE2 counts UTF-8
	 * characters, so a non-ASCII subject cannot be matched exactly. */
	bool byte_sensitive;
};

enum hooksd_stage {
	HOOKSD_PRESTART,
	HOOKSD_CREATE_RUNTIME,
	HOOKSD_CREATE_CONTAINER,
	HOOKSD_START_CONTAINER,
	HOOKSD_POSTSTART,
	HOOKSD_POSTSTOP,
	HOOKSD_PRECREATE, /* run by netward-runc itself, as podman does */
	HOOKSD_N_STAGES
};
#define HOOKSD_STAGE_BIT(s) (1u << (s))
/* The stage's name, as hooks.d files and config.json's `hooks` spell it. */
const char *hooksd_stage_name(enum hooksd_stage s);

struct hooksd_hook {
	char *name;	   /* file name: what overrides and orders */
	struct json *hook; /* the `hook` object as written: path, args, env, timeout */
	const char *path;  /* into hook */
	int always;	   /* -1 absent, else the value */
	int has_bind_mounts;
	size_t n_ann;
	struct hooksd_re *ann_key, *ann_value;
	size_t n_cmd;
	struct hooksd_re *cmd;
	unsigned stages; /* HOOKSD_STAGE_BIT set */
	long timeout;	 /* seconds, 0 = none */
};

/* What `when` looks at in a config.json. Strings borrowed from the tree. */
struct hooksd_subject {
	size_t n_ann;
	const char **ann_key, **ann_value;
	bool has_process;
	const char *arg0; /* NULL when process.args is empty */
	bool has_bind_mounts;
};

int hooksd_re_compile(const char *pattern, struct hooksd_re *re, nw_err *err);
void hooksd_re_free(struct hooksd_re *re);
/* Unanchored search, as Go's regexp.MatchString. */
int hooksd_re_match(const struct hooksd_re *re, const char *s, bool *match, nw_err *err);

/* Parses one file's text; name is its file name. Unknown keys are ignored,
 * as podman's decoder ignores them; a wrong version, a missing hook.path or
 * stages, an unknown stage or a pattern that cannot be used is an error. */
int hooksd_parse(const char *name, const char *text, size_t len, struct hooksd_hook *h,
		 nw_err *err);
void hooksd_hook_free(struct hooksd_hook *h);
#define cleanup_hooksd_hook __attribute__((cleanup(hooksd_hook_free)))

int hooksd_subject(const struct json *conf, struct hooksd_subject *s, nw_err *err);
void hooksd_subject_free(struct hooksd_subject *s);

/* containers/common's When.Match, term for term. */
int hooksd_match(const struct hooksd_hook *h, const struct hooksd_subject *s, bool *match,
		 nw_err *err);
/* Appends the hook to conf.hooks for each of its stages but precreate. */
int hooksd_add(struct json *conf, const struct hooksd_hook *h, nw_err *err);

/* Lowercase file-name order, as podman sorts. */
int hooksd_name_cmp(const char *a, const char *b);

#endif
