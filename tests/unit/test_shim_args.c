/* netward-runc's reading of runc and crun command lines. */

#include "shim_args.h"
#include "unit.h"

struct acase {
	const char *argv[24];
	const char *verb, *bundle, *log, *runtime;
	int first;
	const char *want_err; /* NULL: parses */
};

/* clang-format off */
static const struct acase cases[] = {
	/* containerd's runc shim. */
	{{"r", "--root", "/run/containerd/runc/default", "--log", "/x/log.json", "--log-format",
	  "json", "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "id"},
	 "create", "/b", "/x/log.json", NULL, 1, NULL},
	/* Docker 20.10, systemd cgroups, = forms, -b. */
	{{"r", "--root=/r", "--systemd-cgroup", "--debug", "run", "-d", "-b", "/b2", "id"},
	 "run", "/b2", NULL, NULL, 1, NULL},
	{{"r", "create", "--bundle=/b3", "id"}, "create", "/b3", NULL, NULL, 1, NULL},
	/* containerd's runc shim starting a task from a checkpoint: restore's
	 * value-taking options do not hide the bundle. */
	{{"r", "--root", "/r", "restore", "--image-path", "/ck", "--work-path", "/w",
	  "--manage-cgroups-mode", "soft", "--empty-ns", "network", "--bundle", "/b5",
	  "--detach", "--pid-file", "/b5/init.pid", "id"},
	 "restore", "/b5", NULL, NULL, 1, NULL},
	{{"r", "restore", "--lsm-profile", "-b", "--lsm-mount-context=x", "-b", "/b6",
	  "--console-socket", "/s", "id"}, "restore", "/b6", NULL, NULL, 1, NULL},
	{{"r", "restore", "--image-path", "/ck", "id"}, "restore", NULL, NULL, NULL, 1, NULL},
	/* No --bundle: the working directory. */
	{{"r", "run", "id"}, "run", NULL, NULL, NULL, 1, NULL},
	/* A value that looks like a command is a value. */
	{{"r", "--root", "create", "state", "id"}, "state", NULL, NULL, NULL, 1, NULL},
	{{"r", "create", "--pid-file", "-b", "--bundle", "/b4", "id"}, "create", "/b4", NULL, NULL,
	 1, NULL},
	/* crun's own globals. */
	{{"r", "--cgroup-manager", "cgroupfs", "--log-level=debug", "kill", "id", "9"},
	 "kill", NULL, NULL, NULL, 1, NULL},
	{{"r", "--version"}, NULL, NULL, NULL, NULL, 1, NULL},
	{{"r", "features"}, "features", NULL, NULL, NULL, 1, NULL},
	/* Our own leading options are consumed. */
	{{"r", "--netward-runtime", "crun", "--netward-hooks-dir=/h", "--root", "/r", "delete",
	  "id"}, "delete", NULL, NULL, "crun", 4, NULL},
	{{"r", "--netward-config=/c.json", "run", "--bundle", "/b", "id"}, "run", "/b", NULL, NULL,
	 2, NULL},
	/* Refused. */
	{{"r", "--weird", "x", "create", "id"}, NULL, NULL, NULL, NULL, 0,
	 "unknown global option --weird before the command"},
	{{"r", "--root"}, NULL, NULL, NULL, NULL, 0, "option --root needs a value"},
	{{"r", "create", "--bundle"}, NULL, NULL, NULL, NULL, 0, "needs a value"},
	{{"r", "create", "--config", "/other.json", "id"}, NULL, NULL, NULL, NULL, 0,
	 "applies hooks to the bundle's config.json only"},
	{{"r", "--netward-runtim", "crun", "state"}, NULL, NULL, NULL, NULL, 0,
	 "unknown option --netward-runtim"},
	{{"r", "--netward-runtime"}, NULL, NULL, NULL, NULL, 0, "needs a value"},
	{{"r", "restore", "--image-path"}, NULL, NULL, NULL, NULL, 0, "needs a value"},
};
/* clang-format on */

static void test_args(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct acase *c = &cases[i];
		struct shim_args a;
		nw_err err = NULL;
		int argc = 0;
		while (c->argv[argc] != NULL)
			argc++;
		int rc = shim_args_parse(argc, (char *const *)c->argv, &a, &err);
		if (c->want_err != NULL) {
			CHECK(rc < 0);
			CHECK(err != NULL && strstr(nw_err_msg(err), c->want_err) != NULL);
			if (err && !strstr(nw_err_msg(err), c->want_err))
				printf("#   case %zu: %s\n", i, nw_err_msg(err));
			nw_err_free(&err);
			continue;
		}
		if (rc < 0)
			printf("#   case %zu: %s\n", i, nw_err_msg(err));
		CHECK(rc == 0);
		CHECK(c->verb ? a.verb && strcmp(a.verb, c->verb) == 0 : a.verb == NULL);
		CHECK(c->bundle ? a.bundle && strcmp(a.bundle, c->bundle) == 0 : a.bundle == NULL);
		CHECK(c->log ? a.log && strcmp(a.log, c->log) == 0 : a.log == NULL);
		CHECK(c->runtime ? a.runtime && strcmp(a.runtime, c->runtime) == 0
				 : a.runtime == NULL);
		CHECK(a.first == c->first);
		CHECK(a.applies ==
		      (c->verb && (!strcmp(c->verb, "create") || !strcmp(c->verb, "run") ||
				   !strcmp(c->verb, "restore"))));
		nw_err_free(&err);
	}
}

int main(void)
{
	RUN(test_args);
	UNIT_DONE();
}
