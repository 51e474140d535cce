/* Reading and writing a bundle's config.json: the effects beside oci.c's
 * pure parsing and patching. */
#include "oci_bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"

static int open_bundle(const char *bundle, nw_err *err)
{
	int fd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return nw_fail(err, errno, "opening bundle %s", bundle);
	return fd;
}

/* Reads an open regular file of at most max bytes. */
static char *read_config(int fd, size_t max, size_t *len, nw_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		nw_fail(err, errno, "config.json is not a regular file");
		return NULL;
	}
	return io_read_fd(fd, max, "config.json", len, err);
}

struct json *oci_config_load(const char *bundle, nw_err *err)
{
	cleanup_close int dir = open_bundle(bundle, err);
	cleanup_close int fd = -1;
	cleanup_free char *text = NULL;
	size_t len = 0;

	if (dir < 0)
		return NULL;
	/* A config.json that is a symlink could point the hook anywhere. */
	fd = openat(dir, "config.json", O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		nw_fail(err, errno, "opening %s/config.json", bundle);
		return NULL;
	}
	text = read_config(fd, OCI_CONFIG_MAX, &len, err);
	if (text == NULL) {
		nw_wrap(err, "%s", bundle);
		return NULL;
	}
	return oci_config_parse(text, len, err);
}

int oci_config_read(const char *bundle, struct oci_config *out, nw_err *err)
{
	cleanup_json struct json *config = oci_config_load(bundle, err);

	memset(out, 0, sizeof(*out));
	if (config == NULL)
		return -1;
	if (oci_config_extract(config, out, err) < 0)
		return nw_wrap(err, "%s", bundle);
	out->json = steal_ptr(&config);
	return 0;
}

int oci_config_write(const char *bundle, const struct json *config, nw_err *err)
{
	cleanup_free char *text = oci_config_render(config, true, err);
	cleanup_close int dir = -1;
	cleanup_close int fd = -1;
	struct stat st = {.st_mode = 0644, .st_uid = (uid_t)-1, .st_gid = (gid_t)-1};

	if (text == NULL || (dir = open_bundle(bundle, err)) < 0)
		return -1;
	fstatat(dir, "config.json", &st, AT_SYMLINK_NOFOLLOW);
	/* A leftover .tmp (or a planted symlink) is removed, never followed. */
	if (unlinkat(dir, "config.json.tmp", 0) < 0 && errno != ENOENT)
		return nw_fail(err, errno, "removing %s/config.json.tmp", bundle);
	fd = openat(dir, "config.json.tmp", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    st.st_mode & 07777);
	if (fd < 0)
		return nw_fail(err, errno, "creating %s/config.json.tmp", bundle);
	/* Keep the bundle's owner: a root patch-bundle must not lock its user out.
	 * Failing (not root) leaves our own ids, which is then the same thing. */
	if (fchown(fd, st.st_uid, st.st_gid) < 0 && errno != EPERM)
		return nw_fail(err, errno, "chown %s/config.json.tmp", bundle);
	if (io_write_all(fd, text, strlen(text)) < 0 || io_write_all(fd, "\n", 1) < 0)
		return nw_fail(err, errno, "%s: writing config.json.tmp", bundle);
	if (fsync(fd) < 0)
		return nw_fail(err, errno, "fsync %s/config.json.tmp", bundle);
	if (renameat(dir, "config.json.tmp", dir, "config.json") < 0)
		return nw_fail(err, errno, "renaming %s/config.json.tmp", bundle);
	if (fsync(dir) < 0)
		return nw_fail(err, errno, "fsync %s", bundle);
	return 0;
}
