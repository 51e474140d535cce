/* netward-runc before the exec: which runtime, which hooks, which config. */
#include "shim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"
#include "hooksd_load.h"
#include "json.h"
#include "oci_bundle.h"
#include "shim_precreate.h"
#include "io.h"

static char *read_config_file(const char *path, size_t *len, nw_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		nw_fail(err, errno, "%s", path);
		return NULL;
	}
	return io_read_fd(fd, NW_CONFIG_MAX, path, len, err);
}
/* The node config; a missing default file means the defaults. */
static int load_config(const struct shim_args *a, struct nw_config *cfg, nw_err *err)
{
	const char *env = getenv("NETWARD_CONFIG");
	bool explicit_path = a->config != NULL || (env != NULL && *env != '\0');
	const char *path = a->config ? a->config : explicit_path ? env : NW_DEFAULT_CONFIG;
	cleanup_free char *text = NULL;
	size_t len = 0;

	memset(cfg, 0, sizeof(*cfg));
	if (!explicit_path && access(path, F_OK) < 0 && errno == ENOENT) {
		config_defaults(cfg);
		return 0;
	}
	text = read_config_file(path, &len, err);
	if (text == NULL || config_parse(cfg, text, len, err) < 0)
		return nw_wrap(err, "node config %s", path);
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A path as it is, a name searched in PATH. Never netward-runc itself. */
static int resolve_runtime(const char *want, char *out, size_t len, nw_err *err)
{
	const char *path = getenv("PATH");
	bool found = false;

	if (strchr(want, '/') != NULL) {
		if (!executable(want))
			return nw_fail(err, errno ? errno : EACCES,
				       "the real runtime %s is not an executable file", want);
		snprintf(out, len, "%s", want);
		found = true;
	}
	if (path == NULL || *path == '\0')
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (!found && *path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, path, want) < len)
			found = executable(out) && !same_file(out, "/proc/self/exe");
		path += n + (path[n] == ':');
	}
	if (!found)
		return nw_fail(
		    err, 0,
		    "the real runtime \"%s\" is not in PATH; install it, or name it with "
		    "oci_runtime in the node config or --netward-runtime",
		    want);
	if (same_file(out, "/proc/self/exe"))
		return nw_fail(err, 0, "the real runtime %s is netward-runc itself", out);
	return 0;
}

static size_t hooks_dirs(const struct shim_args *a, const struct nw_config *cfg, char *envbuf,
			 const char **dirs)
{
	size_t n = 0;

	if (a->n_hooks_dirs > 0) {
		memcpy(dirs, a->hooks_dirs, a->n_hooks_dirs * sizeof(*dirs));
		return a->n_hooks_dirs;
	}
	if (envbuf != NULL) {
		for (char *s = strtok(envbuf, ":"); s && n < SHIM_MAX_HOOKS_DIRS;
		     s = strtok(NULL, ":"))
			dirs[n++] = s;
		return n;
	}
	if (cfg->n_hooks_dirs > 0) {
		for (; n < cfg->n_hooks_dirs && n < SHIM_MAX_HOOKS_DIRS; n++)
			dirs[n] = cfg->hooks_dirs[n];
		return n;
	}
	for (; n < hooksd_n_default_dirs; n++)
		dirs[n] = hooksd_default_dirs[n];
	return n;
}

/* Adds every matching hook; precreate ones are run on the result. */
static int apply_hooks(const struct hooksd_set *set, struct json **conf, const char *bundle,
		       size_t *n_matched, nw_err *err)
{
	cleanup_free bool *matched = calloc(set->n + 1, sizeof(*matched));
	struct hooksd_subject subj;
	int rc = 0;

	*n_matched = 0;
	if (matched == NULL)
		return nw_fail(err, ENOMEM, "hooks.d");
	if (hooksd_subject(*conf, &subj, err) < 0)
		return nw_wrap(err, "%s/config.json", bundle);
	/* All matching is done on the config as it came: adding changes the
	 * tree the subject borrows from. */
	for (size_t i = 0; i < set->n && rc == 0; i++) {
		rc = hooksd_match(&set->h[i], &subj, &matched[i], err);
		if (rc < 0)
			nw_wrap(err, "matching hooks.d file %s", set->h[i].name);
		*n_matched += matched[i];
	}
	hooksd_subject_free(&subj);
	for (size_t i = 0; i < set->n && rc == 0; i++)
		if (matched[i] && (rc = hooksd_add(*conf, &set->h[i], err)) < 0)
			nw_wrap(err, "adding hooks.d file %s", set->h[i].name);
	for (size_t i = 0; i < set->n && rc == 0; i++)
		if (matched[i] && set->h[i].stages & HOOKSD_STAGE_BIT(HOOKSD_PRECREATE))
			rc = shim_precreate(&set->h[i], bundle, conf, err);
	return rc;
}

static int patch_bundle(const struct shim_args *a, const struct nw_config *cfg,
			struct shim_plan *plan, nw_err *err)
{
	const char *bundle = a->bundle ? a->bundle : ".";
	const char *env = getenv("NETWARD_HOOKS_DIR");
	cleanup_free char *envbuf = env && *env ? strdup(env) : NULL;
	const char *dirs[SHIM_MAX_HOOKS_DIRS];
	size_t n_dirs = hooks_dirs(a, cfg, envbuf, dirs);
	cleanup_json struct json *conf = oci_config_load(bundle, err);
	struct hooksd_set set;
	int rc;

	if (conf == NULL)
		return -1;
	if (hooksd_load(dirs, n_dirs, &set, err) < 0)
		return -1;
	rc = apply_hooks(&set, &conf, bundle, &plan->n_matched, err);
	hooksd_set_free(&set);
	if (rc < 0 || plan->n_matched == 0)
		return rc;
	if (oci_config_write(bundle, conf, err) < 0)
		return -1;
	plan->patched = true;
	return 0;
}

int shim_prepare(const struct shim_args *a, struct shim_plan *plan, nw_err *err)
{
	const char *env = getenv("NETWARD_RUNC_RUNTIME");
	struct nw_config cfg;
	const char *want;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (load_config(a, &cfg, err) < 0)
		return -1;
	want = a->runtime	 ? a->runtime
	       : env && *env	 ? env
	       : cfg.oci_runtime ? cfg.oci_runtime
				 : SHIM_DEFAULT_RUNTIME;
	rc = resolve_runtime(want, plan->runtime, sizeof(plan->runtime), err);
	if (rc == 0 && a->applies)
		rc = patch_bundle(a, &cfg, plan, err);
	config_free(&cfg);
	return rc;
}

int shim_exec(const struct shim_plan *plan, const struct shim_args *a, int argc, char *const *argv,
	      nw_err *err)
{
	cleanup_free char **args = calloc((size_t)(argc - a->first) + 2, sizeof(*args));

	if (args == NULL)
		return nw_fail(err, ENOMEM, "exec");
	/* argv[0] as the real runtime knows itself: crun reads it (krun). */
	args[0] = (char *)plan->runtime;
	for (int i = a->first; i < argc; i++)
		args[i - a->first + 1] = argv[i];
	execv(plan->runtime, args);
	return nw_fail(err, errno, "exec %s", plan->runtime);
}
