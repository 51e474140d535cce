#include "proxyuid.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "state.h"
#include "util.h"
#include "io.h"
#include "uidwatch.h"

#define UID_DIR NW_STATE_DIR "/uids"

bool proxyuid_in_block(unsigned long v)
{
	return v >= PROXYUID_BASE && v - PROXYUID_BASE < PROXYUID_COUNT;
}

static void mark(uint8_t *used, unsigned long v)
{
	if (proxyuid_in_block(v))
		used[(v - PROXYUID_BASE) / 8] |= (uint8_t)(1u << ((v - PROXYUID_BASE) % 8));
}

void proxyuid_mark(uint8_t *used, const uint32_t ids[PROXYUID_IDS])
{
	for (size_t k = 0; k < PROXYUID_IDS; k++)
		mark(used, ids[k]);
}

static bool marked(const uint8_t *used, unsigned i)
{
	return used[i / 8] & (1u << (i % 8));
}

/* The four ids of a "Uid:" or "Gid:" line of /proc/PID/status. */
static bool status_line(const char *buf, const char *key, uint32_t *out)
{
	const char *l = strstr(buf, key);
	unsigned long v[4];

	if (l == NULL || sscanf(l + 5, "%lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) != 4)
		return false;
	for (int k = 0; k < 4; k++)
		out[k] = (uint32_t)v[k];
	return true;
}

/* The kernel's record of a process's ids (PIDFD_GET_INFO on a pidfd, Linux
 * 6.13, the first 64 bytes of struct pidfd_info): the same real, effective,
 * saved and filesystem uids and gids as the Uid: and Gid: lines of
 * /proc/PID/status, without rendering the rest of that file. */
struct proxyuid_pidinfo {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid;
	uint32_t ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	uint32_t spare;
};
#define PROXYUID_PIDFD_GET_INFO	  _IOWR(0xFF, 11, struct proxyuid_pidinfo)
#define PROXYUID_PIDFD_INFO_CREDS 2u
#define PROXYUID_PIDFD_THREAD	  O_EXCL

/* 1: ids filled; 0: the kernel does not tell (older than 6.13, or the
 * process is gone), for the caller to read /proc/PID/status. */
static int ids_pidfd(pid_t pid, uint32_t *ids, bool *unsupported)
{
	struct proxyuid_pidinfo in = {.mask = PROXYUID_PIDFD_INFO_CREDS};
	cleanup_close int fd = -1;

	if (*unsupported)
		return 0;
	/* A thread's own (Linux 6.9), else a process leader's. */
	fd = (int)syscall(SYS_pidfd_open, pid, PROXYUID_PIDFD_THREAD);
	if (fd < 0 && errno == EINVAL)
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return 0;
	if (ioctl(fd, PROXYUID_PIDFD_GET_INFO, &in) < 0) {
		*unsupported = errno == ENOTTY || errno == EINVAL;
		return 0;
	}
	if (!(in.mask & PROXYUID_PIDFD_INFO_CREDS))
		return 0;
	const uint32_t v[PROXYUID_IDS] = {in.ruid, in.euid, in.suid, in.fsuid,
					  in.rgid, in.egid, in.sgid, in.fsgid};
	memcpy(ids, v, sizeof(v));
	return 1;
}

int proxyuid_proc_ids(pid_t pid, uint32_t ids[PROXYUID_IDS], bool *unsupported)
{
	char path[64], buf[4096];

	if (ids_pidfd(pid, ids, unsupported) == 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (io_read_small(path, buf, sizeof(buf)) < 0)
		return 0;
	return status_line(buf, "\nUid:", ids) && status_line(buf, "\nGid:", ids + 4) ? 1 : 0;
}

/* Each task of process pid: a thread's ids are its own (a raw setresuid
 * changes only the calling thread's), and a process whose leader thread
 * exited alone lives on in its other threads. */
static void scan_tasks(pid_t pid,
		       void (*each)(pid_t tid, const uint32_t ids[PROXYUID_IDS], void *arg),
		       void *arg, bool *unsupported)
{
	char path[64];
	cleanup_dir DIR *d = NULL;
	struct dirent *e;
	uint32_t ids[PROXYUID_IDS];

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	if ((d = opendir(path)) == NULL) {
		if (proxyuid_proc_ids(pid, ids, unsupported) == 1)
			each(pid, ids, arg);
		return;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid_t tid = (pid_t)atoi(e->d_name);
		if (proxyuid_proc_ids(tid, ids, unsupported) == 1)
			each(tid, ids, arg);
	}
}

void proxyuid_scan(void (*each)(pid_t pid, const uint32_t ids[PROXYUID_IDS], void *arg), void *arg)
{
	cleanup_dir DIR *d = opendir("/proc");
	struct dirent *e;
	bool unsupported = false;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		scan_tasks((pid_t)atoi(e->d_name), each, arg, &unsupported);
	}
}

static void mark_each(pid_t pid, const uint32_t ids[PROXYUID_IDS], void *arg)
{
	(void)pid;
	proxyuid_mark(arg, ids);
}

static int take(uid_t uid, const char *id, nw_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%u", UID_DIR, (unsigned)uid);
	return io_claim_file(path, id, err);
}

int proxyuid_alloc(const char *id, uid_t *out, nw_err *err)
{
	cleanup_free uint8_t *used = calloc(PROXYUID_COUNT / 8, 1);
	uint32_t start = util_fnv32_str(id) % PROXYUID_COUNT;

	if (used == NULL)
		return nw_fail(err, ENOMEM, "allocating a proxy uid");
	if (mkdir(UID_DIR, 0700) < 0 && errno != EEXIST)
		return nw_fail(err, errno, "creating %s", UID_DIR);
	/* From the node's uid watcher when one answers (uidwatch.h), else a
	 * scan of every process. */
	if (uidwatch_query(used, PROXYUID_COUNT / 8) != 1) {
		memset(used, 0, PROXYUID_COUNT / 8);
		proxyuid_scan(mark_each, used);
	}
	for (uint32_t i = 0; i < PROXYUID_COUNT; i++) {
		unsigned k = (start + i) % PROXYUID_COUNT;
		uid_t uid = PROXYUID_BASE + k;
		if (marked(used, k) || getpwuid(uid) != NULL || getgrgid((gid_t)uid) != NULL)
			continue;
		int rc = take(uid, id, err);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			*out = uid;
			return 0;
		}
	}
	return nw_fail(err, 0,
		       "no free proxy uid left in %u-%u (each live http job holds one, and "
		       "accounts or processes hold the rest)",
		       PROXYUID_BASE, PROXYUID_BASE + PROXYUID_COUNT - 1);
}

static int owner_of(unsigned long uid, char *owner, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%lu", UID_DIR, uid);
	return io_read_small(path, owner, len);
}
void proxyuid_free(uid_t uid, const char *id)
{
	char owner[NW_ID_MAX + 2], path[PATH_MAX];

	if (!proxyuid_in_block(uid) || owner_of(uid, owner, sizeof(owner)) < 0 ||
	    strcmp(owner, id) != 0)
		return;
	snprintf(path, sizeof(path), "%s/%u", UID_DIR, (unsigned)uid);
	unlink(path);
}

unsigned proxyuid_gc(char **live_ids, FILE *out)
{
	cleanup_dir DIR *d = opendir(UID_DIR);
	struct dirent *e;
	unsigned n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char owner[NW_ID_MAX + 2], path[PATH_MAX], *end;
		bool live = false;
		unsigned long uid = strtoul(e->d_name, &end, 10);
		if (e->d_name[0] == '.' || *end != '\0' || !proxyuid_in_block(uid) ||
		    owner_of(uid, owner, sizeof(owner)) < 0)
			continue;
		for (char **p = live_ids; p != NULL && *p != NULL && !live; p++)
			live = strcmp(*p, owner) == 0;
		if (live)
			continue;
		snprintf(path, sizeof(path), "%s/%lu", UID_DIR, uid);
		if (unlink(path) == 0) {
			n++;
			if (out)
				fprintf(out, "released proxy uid %lu\n", uid);
		}
	}
	return n;
}
