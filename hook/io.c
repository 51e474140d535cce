#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

char *io_read_fd(int fd, size_t max, const char *what, size_t *len, nw_err *err)
{
	cleanup_free char *buf = malloc(max + 1);
	size_t n = 0;
	ssize_t r;

	if (buf == NULL) {
		nw_fail(err, ENOMEM, "reading%s%s", what ? " " : "", what ? what : "");
		return NULL;
	}
	while ((r = read(fd, buf + n, max + 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			nw_fail(err, errno, "reading%s%s", what ? " " : "", what ? what : "");
			return NULL;
		}
		n += (size_t)r;
		if (n > max) {
			nw_fail(err, 0, "%s%slarger than %zu bytes", what ? what : "",
				what ? " is " : "", max);
			return NULL;
		}
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return steal_ptr(&buf);
}

char *io_read_file(int dir, const char *path, int flags, size_t max, size_t *len, nw_err *err)
{
	cleanup_close int fd =
	    openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		nw_fail(err, errno, "opening");
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		nw_fail(err, 0, "not a regular file");
		return NULL;
	}
	if ((uint64_t)st.st_size > max) {
		nw_fail(err, 0, "larger than %zu bytes", max);
		return NULL;
	}
	return io_read_fd(fd, max, NULL, len, err);
}

int io_read_small(const char *path, char *buf, size_t len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	ssize_t n;

	if (fd < 0)
		return -1;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

int io_claim_file(const char *path, const char *owner, nw_err *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	int rc, e;

	if (fd < 0)
		return errno == EEXIST ? 0 : nw_fail(err, errno, "allocating %s", path);
	rc = io_write_all(fd, owner, strlen(owner));
	e = errno;
	close(fd);
	if (rc < 0) {
		unlink(path);
		return nw_fail(err, e, "allocating %s", path);
	}
	return 1;
}

int io_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

uint64_t io_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t io_now_ms(void)
{
	return io_now_ns() / 1000000ull;
}
