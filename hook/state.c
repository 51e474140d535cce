#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "json.h"
#include "util.h"
#include "io.h"

#define JOBS_DIR   NW_STATE_DIR "/jobs"
#define ADDR_DIR   NW_STATE_DIR "/addr"
#define HELD_DIR   NW_STATE_DIR "/addr-held"
#define RECORD_MAX (64 * 1024)

static int mkdir_0700(const char *p, nw_err *err)
{
	if (mkdir(p, 0700) < 0 && errno != EEXIST)
		return nw_fail(err, errno, "creating %s", p);
	return 0;
}

/* The lock this process holds, for state_lock_fd. */
static int held_lock = -1;

static int lock_with(int how, bool *busy, nw_err *err)
{
	int fd;

	if (mkdir_0700(NW_STATE_DIR, err) < 0 || mkdir_0700(JOBS_DIR, err) < 0 ||
	    mkdir_0700(ADDR_DIR, err) < 0)
		return -1;
	fd = open(NW_STATE_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nw_fail(err, errno, "opening %s/lock", NW_STATE_DIR);
	while (flock(fd, how) < 0) {
		if (errno != EINTR) {
			if (errno == EWOULDBLOCK && busy != NULL)
				*busy = true;
			else
				nw_fail(err, errno, "locking %s/lock", NW_STATE_DIR);
			close(fd);
			return -1;
		}
	}
	held_lock = fd;
	return fd;
}

int state_lock(nw_err *err)
{
	return lock_with(LOCK_EX, NULL, err);
}

int state_trylock(bool *busy, nw_err *err)
{
	*busy = false;
	return lock_with(LOCK_EX | LOCK_NB, busy, err);
}

void state_unlock(int fd)
{
	if (fd < 0)
		return;
	if (fd == held_lock)
		held_lock = -1;
	close(fd);
}

int state_lock_fd(void)
{
	return held_lock;
}

int state_path(const char *id, const char *name, char *buf, size_t len, nw_err *err)
{
	int n = name ? snprintf(buf, len, "%s/%s/%s", JOBS_DIR, id, name)
		     : snprintf(buf, len, "%s/%s", JOBS_DIR, id);
	if (n < 0 || (size_t)n >= len)
		return nw_fail(err, ENAMETOOLONG, "state path for %s", id);
	return 0;
}

int state_mkdir(const char *id, nw_err *err)
{
	char p[PATH_MAX];

	if (state_path(id, NULL, p, sizeof(p), err) < 0)
		return -1;
	if (mkdir_0700(NW_STATE_DIR, err) < 0 || mkdir_0700(JOBS_DIR, err) < 0)
		return -1;
	return mkdir_0700(p, err);
}

static struct json *new_bool(bool v)
{
	struct json *j = json_new(JSON_BOOL);

	if (j != NULL)
		j->b = v;
	return j;
}

static int set_num(struct json *o, const char *k, int64_t v, nw_err *err)
{
	return json_set(o, k, json_new_int(v), err);
}

static const char *phase_name(enum job_phase p)
{
	return p == JOB_READY ? "ready" : p == JOB_ENDING ? "ending" : "setup";
}

static struct json *record_json(const struct job_record *r, nw_err *err)
{
	cleanup_json struct json *o = json_new(JSON_OBJECT);

	if (o == NULL || json_set(o, "id", json_new_str(r->id), err) < 0 ||
	    json_set(o, "job_id", json_new_str(r->job_id), err) < 0 ||
	    json_set(o, "mode", json_new_str(mode_name(r->mode)), err) < 0 ||
	    json_set(o, "phase", json_new_str(phase_name(r->phase)), err) < 0 ||
	    json_set(o, "domains", json_new_str(r->domains ? r->domains : ""), err) < 0 ||
	    json_set(o, "host_if", json_new_str(r->host_if), err) < 0 ||
	    json_set(o, "addr", json_new_str(r->addr), err) < 0 ||
	    json_set(o, "bundle", json_new_str(r->bundle), err) < 0 ||
	    set_num(o, "hook_pid", r->hook_pid, err) < 0 ||
	    set_num(o, "hook_start", (int64_t)r->hook_start, err) < 0 ||
	    set_num(o, "pid", r->pid, err) < 0 ||
	    set_num(o, "pid_start", (int64_t)r->pid_start, err) < 0 ||
	    set_num(o, "netns_ino", (int64_t)r->netns_ino, err) < 0 ||
	    set_num(o, "monitor_pid", r->monitor_pid, err) < 0 ||
	    set_num(o, "monitor_start", (int64_t)r->monitor_start, err) < 0 ||
	    set_num(o, "proxy_pid", r->proxy_pid, err) < 0 ||
	    set_num(o, "proxy_start", (int64_t)r->proxy_start, err) < 0 ||
	    set_num(o, "proxy_uid", (int64_t)r->proxy_uid, err) < 0 ||
	    set_num(o, "proxy_port", r->proxy_port, err) < 0 ||
	    json_set(o, "intercept", new_bool(r->intercept), err) < 0 ||
	    set_num(o, "created", r->created, err) < 0) {
		nw_fail(err, ENOMEM, "building the job record");
		return NULL;
	}
	return steal_ptr(&o);
}

int state_write(const struct job_record *r, nw_err *err)
{
	char p[PATH_MAX], tmp[PATH_MAX];
	cleanup_json struct json *o = record_json(r, err);
	cleanup_free char *text = NULL;
	cleanup_close int fd = -1;

	if (o == NULL || (text = json_render(o, false, err)) == NULL)
		return -1;
	if (state_path(r->id, "state.json", p, sizeof(p), err) < 0 ||
	    state_path(r->id, "state.json.tmp", tmp, sizeof(tmp), err) < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nw_fail(err, errno, "writing %s", tmp);
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		return nw_fail(err, errno ? errno : EIO, "writing %s", tmp);
	if (rename(tmp, p) < 0)
		return nw_fail(err, errno, "renaming %s", tmp);
	return 0;
}

static uint64_t get_u64(const struct json *o, const char *k)
{
	int64_t v = 0;
	json_int(json_get(o, k), 0, INT64_MAX, &v, NULL);
	return (uint64_t)v;
}

static void copy_str(char *dst, size_t len, const struct json *o, const char *k)
{
	const char *s = json_get_str(o, k);
	snprintf(dst, len, "%s", s ? s : "");
}

static int record_from_json(const struct json *o, struct job_record *r, nw_err *err)
{
	const char *mode = json_get_str(o, "mode"), *phase = json_get_str(o, "phase");

	memset(r, 0, sizeof(*r));
	copy_str(r->id, sizeof(r->id), o, "id");
	copy_str(r->job_id, sizeof(r->job_id), o, "job_id");
	copy_str(r->host_if, sizeof(r->host_if), o, "host_if");
	copy_str(r->addr, sizeof(r->addr), o, "addr");
	copy_str(r->bundle, sizeof(r->bundle), o, "bundle");
	if (mode == NULL || mode_parse(mode, &r->mode) < 0)
		return nw_fail(err, 0, "job record has no valid mode");
	r->phase = phase && strcmp(phase, "ready") == 0	   ? JOB_READY
		   : phase && strcmp(phase, "ending") == 0 ? JOB_ENDING
							   : JOB_SETUP;
	r->domains = strdup(json_get_str(o, "domains") ? json_get_str(o, "domains") : "");
	r->hook_pid = (pid_t)get_u64(o, "hook_pid");
	r->hook_start = get_u64(o, "hook_start");
	r->pid = (pid_t)get_u64(o, "pid");
	r->pid_start = get_u64(o, "pid_start");
	r->netns_ino = get_u64(o, "netns_ino");
	r->monitor_pid = (pid_t)get_u64(o, "monitor_pid");
	r->monitor_start = get_u64(o, "monitor_start");
	r->proxy_pid = (pid_t)get_u64(o, "proxy_pid");
	r->proxy_start = get_u64(o, "proxy_start");
	r->proxy_uid = (uid_t)get_u64(o, "proxy_uid");
	r->proxy_port = (uint16_t)get_u64(o, "proxy_port");
	const struct json *ic = json_get(o, "intercept");
	r->intercept = ic != NULL && ic->type == JSON_BOOL && ic->b;
	r->created = (int64_t)get_u64(o, "created");
	if (r->domains == NULL)
		return nw_fail(err, ENOMEM, "reading the job record");
	return 0;
}

int state_read(const char *id, struct job_record *r, nw_err *err)
{
	char p[PATH_MAX], buf[RECORD_MAX];
	cleanup_close int fd = -1;
	cleanup_json struct json *o = NULL;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (state_path(id, "state.json", p, sizeof(p), err) < 0)
		return -1;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return nw_fail(err, errno, "reading %s", p);
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0)
		return nw_fail(err, errno, "reading %s", p);
	if ((size_t)n == sizeof(buf))
		return nw_fail(err, EFBIG, "reading %s", p);
	o = json_parse(buf, (size_t)n, err);
	if (o == NULL || record_from_json(o, r, err) < 0) {
		state_record_free(r);
		return nw_wrap(err, "reading %s", p);
	}
	return 1;
}

void state_record_free(struct job_record *r)
{
	free(r->domains);
	r->domains = NULL;
}

int state_remove(const char *id, nw_err *err)
{
	char p[PATH_MAX];
	cleanup_close int dfd = -1;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (state_path(id, NULL, p, sizeof(p), err) < 0)
		return -1;
	dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (dfd < 0)
		return errno == ENOENT ? 0 : nw_fail(err, errno, "opening %s", p);
	d = fdopendir(dfd);
	if (d == NULL)
		return nw_fail(err, errno, "reading %s", p);
	dfd = -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			return nw_fail(err, errno, "removing %s/%s", p, e->d_name);
	}
	/* Linux removes a directory that is still open. */
	if (rmdir(p) < 0 && errno != ENOENT)
		return nw_fail(err, errno, "removing %s", p);
	return 0;
}

static int list_dir(const char *dir, char ***out, nw_err *err)
{
	cleanup_strv char **v = calloc(1, sizeof(char *));
	size_t n = 0;
	cleanup_dir DIR *d = NULL;
	struct dirent *e;

	if (v == NULL)
		return nw_fail(err, ENOMEM, "listing %s", dir);
	d = opendir(dir);
	if (d == NULL) {
		if (errno != ENOENT)
			return nw_fail(err, errno, "listing %s", dir);
		*out = steal_ptr(&v);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(char *));
		if (nv == NULL || (nv[n] = strdup(e->d_name)) == NULL) {
			if (nv != NULL)
				v = nv;
			return nw_fail(err, ENOMEM, "listing %s", dir);
		}
		v = nv;
		v[++n] = NULL;
	}
	*out = steal_ptr(&v);
	return 0;
}

int state_list(char ***ids, nw_err *err)
{
	return list_dir(JOBS_DIR, ids, err);
}

void state_read_stats(const char *id, struct job_stats *s)
{
	char p[PATH_MAX], buf[1024];
	cleanup_json struct json *o = NULL;

	memset(s, 0, sizeof(*s));
	if (state_path(id, "stats.json", p, sizeof(p), NULL) < 0 ||
	    io_read_small(p, buf, sizeof(buf)) < 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	o = json_parse(buf, strlen(buf), NULL);
	json_int(json_get(o, "bytes_up"), 0, INT64_MAX, &s->bytes_up, NULL);
	json_int(json_get(o, "bytes_down"), 0, INT64_MAX, &s->bytes_down, NULL);
	json_int(json_get(o, "requests_allowed"), 0, INT64_MAX, &s->allowed, NULL);
	json_int(json_get(o, "requests_denied"), 0, INT64_MAX, &s->denied, NULL);
	json_int(json_get(o, "requests_reported"), 0, INT64_MAX, &s->reported, NULL);
	json_int(json_get(o, "live_connections"), 0, INT64_MAX, &s->conns, NULL);
	json_int(json_get(o, "log_dropped"), 0, INT64_MAX, &s->log_dropped, NULL);
}

/* A freed address is held back for NW_ADDR_HOLD_S: what is still in
 * flight to it (a UDP stream, a peer's retransmissions) finds no one. The
 * allocation file moves to HELD_DIR; its mtime says since when. */
static void addr_hold(const char *addr, const char *path)
{
	char held[PATH_MAX];

	snprintf(held, sizeof(held), "%s/%s", HELD_DIR, addr);
	if (mkdir(HELD_DIR, 0700) < 0 && errno != EEXIST)
		held[0] = '\0';
	if (held[0] == '\0' || rename(path, held) < 0) {
		unlink(path);
		return;
	}
	utimensat(AT_FDCWD, held, NULL, 0);
}

static bool addr_held(const char *addr)
{
	char held[PATH_MAX];
	struct stat st;

	snprintf(held, sizeof(held), "%s/%s", HELD_DIR, addr);
	if (stat(held, &st) < 0)
		return false;
	if (time(NULL) - st.st_mtime < NW_ADDR_HOLD_S)
		return true;
	unlink(held);
	return false;
}

int state_alloc_addr(const struct nw_cidr *subnet, const char *id, struct nw_addr *out, nw_err *err)
{
	uint32_t base, size, start;
	char path[PATH_MAX], text[INET6_ADDRSTRLEN];

	if (subnet->addr.family != AF_INET || subnet->prefix < 8 || subnet->prefix > 30)
		return nw_fail(err, EINVAL, "subnet must be an IPv4 /8 to /30");
	memcpy(&base, subnet->addr.a, 4);
	base = ntohl(base);
	size = 1u << (32 - subnet->prefix);
	/* Starting where the id hashes to keeps allocation O(1) on average. */
	start = util_fnv32_str(id) % (size - 2);
	for (uint32_t i = 0; i < size - 2; i++) {
		uint32_t host = base + 1 + (start + i) % (size - 2), be = htonl(host);
		memset(out, 0, sizeof(*out));
		out->family = AF_INET;
		memcpy(out->a, &be, 4);
		addr_str(out, text, sizeof(text));
		snprintf(path, sizeof(path), "%s/%s", ADDR_DIR, text);
		if (addr_held(text))
			continue;
		int rc = io_claim_file(path, id, err);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		return 0;
	}
	char sn[64];
	return nw_fail(err, 0,
		       "no free address left in subnet %s (every one is held by a live job, "
		       "or held back for %d s after its job ended)",
		       addr_cidr_str(subnet, sn, sizeof(sn)), NW_ADDR_HOLD_S);
}

void state_free_addr(const char *addr, const char *id)
{
	char path[PATH_MAX], owner[NW_ID_MAX + 2];

	if (addr == NULL || addr[0] == '\0' || strchr(addr, '/') != NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", ADDR_DIR, addr);
	if (io_read_small(path, owner, sizeof(owner)) == 0 && strcmp(owner, id) == 0)
		addr_hold(addr, path);
}

int state_list_addrs(char ***addrs, char ***owners, nw_err *err)
{
	cleanup_strv char **a = NULL;
	cleanup_strv char **o = NULL;
	size_t n = 0;

	if (list_dir(ADDR_DIR, &a, err) < 0)
		return -1;
	while (a[n] != NULL)
		n++;
	o = calloc(n + 1, sizeof(char *));
	if (o == NULL)
		return nw_fail(err, ENOMEM, "listing addresses");
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX], owner[NW_ID_MAX + 2] = "";
		snprintf(path, sizeof(path), "%s/%s", ADDR_DIR, a[i]);
		io_read_small(path, owner, sizeof(owner));
		if ((o[i] = strdup(owner)) == NULL)
			return nw_fail(err, ENOMEM, "listing addresses");
	}
	*addrs = steal_ptr(&a);
	*owners = steal_ptr(&o);
	return 0;
}
