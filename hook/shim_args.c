/* Reading a runc/crun command line without changing it. */
#include "shim_args.h"

#include <string.h>

/* Global options of runc 1.1 and crun 1.8; those that take a value. */
static const char *const global_value[] = {
    "root", "log", "log-format", "log-level", "criu", "rootless", "cgroup-manager", NULL,
};
static const char *const global_flag[] = {
    "debug", "systemd-cgroup", "help", "h", "version", "v", NULL,
};
/* Options of create, run and restore that take a value (runc 1.1, crun 1.8),
 * restore's criu options included: their values are skipped, never read as
 * an option such as --bundle. */
static const char *const create_value[] = {
    "bundle",
    "b",
    "console-socket",
    "pid-file",
    "preserve-fds",
    "config",
    "f",
    "image-path",
    "work-path",
    "parent-path",
    "manage-cgroups-mode",
    "empty-ns",
    "lsm-profile",
    "lsm-mount-context",
    NULL,
};

static bool in(const char *const *list, const char *name, size_t len)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == len && strncmp(*list, name, len) == 0)
			return true;
	return false;
}

/* An option "-x", "--x", "-x=v" or "--x=v": its name and inline value. */
static bool option(const char *arg, const char **name, size_t *len, const char **value)
{
	const char *eq;

	if (arg[0] != '-' || arg[1] == '\0' || strcmp(arg, "--") == 0)
		return false;
	*name = arg + (arg[1] == '-' ? 2 : 1);
	eq = strchr(*name, '=');
	*len = eq ? (size_t)(eq - *name) : strlen(*name);
	*value = eq ? eq + 1 : NULL;
	return true;
}

static int own_options(int argc, char *const *argv, struct shim_args *a, nw_err *err)
{
	static const char *const own[] = {"netward-runtime", "netward-config", "netward-hooks-dir"};
	int i = 1;

	while (i < argc && strncmp(argv[i], "--netward-", 10) == 0) {
		const char *name, *value;
		size_t len, k = 0;
		option(argv[i], &name, &len, &value);
		while (k < 3 && !(strlen(own[k]) == len && strncmp(own[k], name, len) == 0))
			k++;
		if (k == 3)
			return nw_fail(err, 0,
				       "unknown option %.60s (netward-runc's own are "
				       "--netward-runtime, --netward-config, --netward-hooks-dir)",
				       argv[i]);
		if (value == NULL && (value = i + 1 < argc ? argv[++i] : NULL) == NULL)
			return nw_fail(err, 0, "option --%s needs a value", own[k]);
		if (k == 0)
			a->runtime = value;
		else if (k == 1)
			a->config = value;
		else if (a->n_hooks_dirs == SHIM_MAX_HOOKS_DIRS)
			return nw_fail(err, 0, "more than %d --netward-hooks-dir options",
				       SHIM_MAX_HOOKS_DIRS);
		else
			a->hooks_dirs[a->n_hooks_dirs++] = value;
		i++;
	}
	return i;
}

static int create_options(int argc, char *const *argv, int i, struct shim_args *a, nw_err *err)
{
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name, *value;
		size_t len;
		if (!option(argv[i], &name, &len, &value) || !in(create_value, name, len))
			continue;
		if (value == NULL && (value = i + 1 < argc ? argv[++i] : NULL) == NULL)
			return nw_fail(err, 0, "option %.40s needs a value", argv[i]);
		if ((len == 1 && name[0] == 'f') || (len == 6 && name[0] == 'c'))
			return nw_fail(err, 0,
				       "%s --config: netward-runc applies hooks to the bundle's "
				       "config.json only; drop --config",
				       a->verb);
		if (name[0] == 'b')
			a->bundle = value;
	}
	return 0;
}

int shim_args_parse(int argc, char *const *argv, struct shim_args *a, nw_err *err)
{
	int i;

	memset(a, 0, sizeof(*a));
	i = own_options(argc, argv, a, err);
	if (i < 0)
		return -1;
	a->first = i;
	for (; i < argc; i++) {
		const char *name, *value;
		size_t len;
		if (strcmp(argv[i], "--") == 0)
			continue;
		if (!option(argv[i], &name, &len, &value))
			break;
		if (in(global_flag, name, len))
			continue;
		if (!in(global_value, name, len))
			return nw_fail(err, 0,
				       "unknown global option %.60s before the command: "
				       "netward-runc cannot tell which command this is",
				       argv[i]);
		if (value == NULL && (value = i + 1 < argc ? argv[++i] : NULL) == NULL)
			return nw_fail(err, 0, "option %.40s needs a value", argv[i]);
		if (len == 3 && strncmp(name, "log", 3) == 0)
			a->log = value;
	}
	if (i == argc)
		return 0;
	a->verb = argv[i];
	/* restore starts a container from a checkpoint and the bundle's
	 * config.json, as create and run do. */
	a->applies = strcmp(a->verb, "create") == 0 || strcmp(a->verb, "run") == 0 ||
		     strcmp(a->verb, "restore") == 0;
	return a->applies ? create_options(argc, argv, i + 1, a, err) : 0;
}
