/* The job's resolv.conf file (jobresolv.h). */
#include "jobresolv.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci_bundle.h"
#include "oci_resolv.h"

static uint64_t fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037ull;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

int jobresolv_precreate_path(const struct json *config, char *buf, size_t len, nw_err *err)
{
	const char *root = json_get_str(json_get_obj(config, "root"), "path");
	char cwd[PATH_MAX], abs[2 * PATH_MAX + 2];

	if (root == NULL || root[0] == '\0')
		return nw_fail(err, 0,
			       "config.json has no root.path to name the job's resolv.conf by");
	/* A relative root is the bundle's, and precreate runs there. */
	if (root[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return nw_fail(err, errno, "getcwd");
		snprintf(abs, sizeof(abs), "%s/%s", cwd, root);
		root = abs;
	}
	if ((size_t)snprintf(buf, len, JOBRESOLV_DIR "/%016llx.conf",
			     (unsigned long long)fnv1a64(root)) >= len)
		return nw_fail(err, ENAMETOOLONG, "the job's resolv.conf path");
	return 0;
}

int jobresolv_bundle_path(const char *dir, char *buf, size_t len, nw_err *err)
{
	char abs[PATH_MAX];

	if (realpath(dir, abs) == NULL)
		return nw_fail(err, errno, "bundle %s", dir);
	if ((size_t)snprintf(buf, len, "%s/netward-resolv.conf", abs) >= len)
		return nw_fail(err, ENAMETOOLONG, "the job's resolv.conf path");
	return 0;
}

/* Already the text? Then nothing is written: a running job's mount keeps
 * its file, and patching twice changes nothing. */
static bool holds_text(const char *path, const char *text)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char b[512];
	size_t n = strlen(text);
	ssize_t got;

	if (fd < 0 || n >= sizeof(b))
		return false;
	got = read(fd, b, sizeof(b));
	return got == (ssize_t)n && memcmp(b, text, n) == 0;
}

int jobresolv_write(const char *path, nw_err *err)
{
	const char *text = oci_resolv_text();
	size_t n = strlen(text);
	char tmp[PATH_MAX + 16];
	cleanup_close int fd = -1;

	if (strncmp(path, JOBRESOLV_DIR "/", strlen(JOBRESOLV_DIR) + 1) == 0 &&
	    mkdir(JOBRESOLV_DIR, 0755) < 0 && errno != EEXIST)
		return nw_fail(err, errno, "creating %s", JOBRESOLV_DIR);
	if (holds_text(path, text))
		return 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= sizeof(tmp))
		return nw_fail(err, ENAMETOOLONG, "the job's resolv.conf path");
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return nw_fail(err, errno, "writing %s", tmp);
	if (fchmod(fd, 0644) < 0 || write(fd, text, n) != (ssize_t)n || fsync(fd) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno ? errno : EIO;
		unlink(tmp);
		return nw_fail(err, e, "writing the job's resolv.conf %s", path);
	}
	return 0;
}

void jobresolv_forget(const char *bundle)
{
	cleanup_json struct json *conf = NULL;
	const struct json *mounts;

	if (bundle == NULL || bundle[0] == '\0')
		return;
	conf = oci_config_load(bundle, NULL);
	mounts = json_get_arr(conf, "mounts");
	for (size_t i = 0; mounts != NULL && i < mounts->n; i++) {
		const char *d = json_get_str(mounts->v[i], "destination");
		const char *s = json_get_str(mounts->v[i], "source");
		/* Only a file of ours: a name straight under the directory. */
		if (d != NULL && s != NULL && strcmp(d, OCI_RESOLV_DEST) == 0 &&
		    strncmp(s, JOBRESOLV_DIR "/", strlen(JOBRESOLV_DIR) + 1) == 0 &&
		    strchr(s + strlen(JOBRESOLV_DIR) + 1, '/') == NULL && strstr(s, "..") == NULL)
			unlink(s);
	}
}
