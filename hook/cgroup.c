#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* How long cgroup_job_remove waits for a busy cgroup to empty: 2 s. */
#define RMDIR_TRIES    200
#define RMDIR_PAUSE_US 10000

#define NETWARD_CG "netward"

static int write_file(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];
	int fd, rc = 0;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		rc = -1;
	close(fd);
	return rc;
}

static bool file_has_word(const char *path, const char *word)
{
	char buf[1024];
	FILE *f = fopen(path, "re");
	bool found = false;

	if (f == NULL)
		return false;
	while (!found && fscanf(f, "%1023s", buf) == 1)
		found = strcmp(buf, word) == 0;
	fclose(f);
	return found;
}

/* The mount point of the hierarchy with the memory controller; *v2 says
 * which kind. */
static int memory_mount(char *mnt, size_t len, bool *v2)
{
	char line[4096], v1[PATH_MAX] = "", u[PATH_MAX] = "";
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		char point[PATH_MAX], fstype[64], opts[1024];
		const char *sep = strstr(line, " - ");
		if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
			continue;
		if (strcmp(fstype, "cgroup2") == 0 && u[0] == '\0')
			snprintf(u, sizeof(u), "%s", point);
		if (strcmp(fstype, "cgroup") == 0 && v1[0] == '\0') {
			for (char *o = strtok(opts, ","); o != NULL; o = strtok(NULL, ","))
				if (strcmp(o, "memory") == 0)
					snprintf(v1, sizeof(v1), "%s", point);
		}
	}
	fclose(f);
	char ctl[PATH_MAX + 32];
	snprintf(ctl, sizeof(ctl), "%s/cgroup.controllers", u);
	if (u[0] != '\0' && file_has_word(ctl, "memory")) {
		*v2 = true;
		snprintf(mnt, len, "%s", u);
		return 0;
	}
	*v2 = false;
	snprintf(mnt, len, "%s", v1);
	return v1[0] ? 0 : -1;
}

int cgroup_job_create(const char *id, char *path, size_t len, nw_err *err)
{
	char mnt[PATH_MAX], top[PATH_MAX + 16], limit[32];
	bool v2;

	if (memory_mount(mnt, sizeof(mnt), &v2) < 0)
		return nw_fail(err, 0,
			       "no cgroup hierarchy with the memory controller is mounted; the "
			       "job's proxy needs one for its memory limit");
	snprintf(top, sizeof(top), "%s/%s", mnt, NETWARD_CG);
	if (mkdir(top, 0755) < 0 && errno != EEXIST)
		return nw_fail(err, errno, "creating cgroup %s", top);
	/* v2: a controller reaches a group only when each parent enables it
	 * for its children (already so on systemd hosts). */
	if (v2 && (write_file(mnt, "cgroup.subtree_control", "+memory") < 0 ||
		   write_file(top, "cgroup.subtree_control", "+memory") < 0))
		return nw_fail(err, errno, "enabling the memory controller under %s", top);
	if ((size_t)snprintf(path, len, "%s/%s", top, id) >= len)
		return nw_fail(err, ENAMETOOLONG, "cgroup path for %s", id);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return nw_fail(err, errno, "creating cgroup %s", path);
	snprintf(limit, sizeof(limit), "%llu", CGROUP_MEMORY_MAX);
	if (write_file(path, v2 ? "memory.max" : "memory.limit_in_bytes", limit) < 0)
		return nw_fail(err, errno, "setting the memory limit of cgroup %s", path);
	if (v2)
		write_file(path, "memory.swap.max", "0");
	return 0;
}

int cgroup_move(const char *path, pid_t pid, nw_err *err)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", (int)pid);
	if (write_file(path, "cgroup.procs", text) < 0)
		return nw_fail(err, errno, "moving process %d into cgroup %s", (int)pid, path);
	return 0;
}

int cgroup_enter(const char *path, nw_err *err)
{
	if (write_file(path, "cgroup.procs", "0") < 0)
		return nw_fail(err, errno, "joining cgroup %s", path);
	return 0;
}

void cgroup_job_remove(const char *id, bool inside)
{
	char mnt[PATH_MAX], p[PATH_MAX + 160];
	bool v2;

	if (memory_mount(mnt, sizeof(mnt), &v2) < 0)
		return;
	snprintf(p, sizeof(p), "%s/%s/%s", mnt, NETWARD_CG, id);
	/* A monitor tearing its own job down is in the group: it moves to the
	 * hierarchy's root (the one group cgroup v2 lets hold processes beside
	 * children with controllers) for the little it has left to do. */
	if (inside)
		write_file(mnt, "cgroup.procs", "0");
	/* A killed process leaves its group once it is reaped, which a loaded
	 * node may do after the exit teardown waited for: try again for a
	 * while rather than leave the group to gc. */
	for (int i = 0; rmdir(p) < 0 && errno == EBUSY && i < RMDIR_TRIES; i++)
		usleep(RMDIR_PAUSE_US);
}

unsigned cgroup_gc(char **live_ids)
{
	char mnt[PATH_MAX], top[PATH_MAX + 16], p[PATH_MAX * 2];
	unsigned n = 0;
	bool v2;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (memory_mount(mnt, sizeof(mnt), &v2) < 0)
		return 0;
	snprintf(top, sizeof(top), "%s/%s", mnt, NETWARD_CG);
	if ((d = opendir(top)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		bool live = false;
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		for (char **l = live_ids; l != NULL && *l != NULL && !live; l++)
			live = strcmp(*l, e->d_name) == 0;
		snprintf(p, sizeof(p), "%s/%s", top, e->d_name);
		if (!live && rmdir(p) == 0)
			n++;
	}
	/* A node without jobs carries nothing of netward's. */
	if (live_ids == NULL || live_ids[0] == NULL)
		rmdir(top);
	return n;
}
