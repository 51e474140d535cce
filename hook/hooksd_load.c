/* Reading the hooks.d directories, as podman does: *.json files, a later
 * directory's file replacing an earlier one of the same name, lowercase
 * name order. Unlike podman, a file that cannot be used is an error, not a
 * warning: a netward hook skipped for a typo would start the container with
 * the engine's own network, not the one its annotations ask for. */
#include "hooksd_load.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"

const char *const hooksd_default_dirs[] = {
    "/usr/share/containers/oci/hooks.d",
    "/etc/containers/oci/hooks.d",
};
const size_t hooksd_n_default_dirs = 2;

void hooksd_set_free(struct hooksd_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		hooksd_hook_free(&set->h[i]);
	free(set->h);
	memset(set, 0, sizeof(*set));
}

static int check_path(const struct hooksd_hook *h, nw_err *err)
{
	struct stat st;

	if (stat(h->path, &st) < 0)
		return nw_fail(err, errno, "hook.path %.200s", h->path);
	if (!S_ISREG(st.st_mode) || access(h->path, X_OK) < 0)
		return nw_fail(err, 0, "hook.path %.200s is not an executable file", h->path);
	return 0;
}

static int add(struct hooksd_set *set, struct hooksd_hook *h, nw_err *err)
{
	struct hooksd_hook *grown;

	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->h[i].name, h->name) == 0) {
			hooksd_hook_free(&set->h[i]);
			set->h[i] = *h;
			return 0;
		}
	grown = realloc(set->h, (set->n + 1) * sizeof(*grown));
	if (grown == NULL) {
		hooksd_hook_free(h);
		return nw_fail(err, ENOMEM, "hooks.d");
	}
	set->h = grown;
	set->h[set->n++] = *h;
	return 0;
}

static int load_one(struct hooksd_set *set, int dir, const char *dpath, const char *name,
		    nw_err *err)
{
	cleanup_free char *text = NULL;
	struct hooksd_hook h;
	size_t len = 0;

	text = io_read_file(dir, name, 0, HOOKSD_FILE_MAX, &len, err);
	if (text == NULL || hooksd_parse(name, text, len, &h, err) < 0)
		return nw_wrap(err, "hooks.d file %s/%s", dpath, name);
	if (check_path(&h, err) < 0) {
		hooksd_hook_free(&h);
		return nw_wrap(err, "hooks.d file %s/%s", dpath, name);
	}
	return add(set, &h, err);
}

static bool is_json(const char *name)
{
	size_t n = strlen(name);
	return n > 5 && strcmp(name + n - 5, ".json") == 0;
}

static int load_dir(struct hooksd_set *set, const char *dpath, nw_err *err)
{
	cleanup_dir DIR *d = opendir(dpath);
	struct dirent *e;
	int rc = 0;

	if (d == NULL)
		return errno == ENOENT ? 0 : nw_fail(err, errno, "hooks.d directory %s", dpath);
	while (rc == 0 && (errno = 0, e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && is_json(e->d_name))
			rc = load_one(set, dirfd(d), dpath, e->d_name, err);
	if (rc == 0 && errno != 0)
		rc = nw_fail(err, errno, "reading hooks.d directory %s", dpath);
	return rc;
}

static int by_name(const void *a, const void *b)
{
	return hooksd_name_cmp(((const struct hooksd_hook *)a)->name,
			       ((const struct hooksd_hook *)b)->name);
}

int hooksd_load(const char *const *dirs, size_t n_dirs, struct hooksd_set *set, nw_err *err)
{
	memset(set, 0, sizeof(*set));
	for (size_t i = 0; i < n_dirs; i++)
		if (load_dir(set, dirs[i], err) < 0) {
			hooksd_set_free(set);
			return -1;
		}
	if (set->n > 1)
		qsort(set->h, set->n, sizeof(*set->h), by_name);
	return 0;
}
