#include "fw_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proc.h"
#include "uidwatch.h"
#include "config.h"

/* How long a stopping watcher may take to exit and release its lock. */
#define WATCH_STOP_WAIT_MS 2000

uint16_t fw_job_zone(const struct job_record *r)
{
	struct nw_addr a;

	if (r->mode != NW_MODE_HTTP || r->addr[0] == '\0' || addr_parse(r->addr, &a, NULL) < 0)
		return 0;
	return fw_zone(&a);
}

int fw_live_from_state(struct fw_elem **elems, size_t *n, void *arg, nw_err *err)
{
	cleanup_strv char **ids = NULL;
	struct fw_elem *v;
	size_t cap = 0, k = 0;

	if (state_list(&ids, err) < 0)
		return -1;
	while (ids[cap] != NULL)
		cap++;
	v = calloc(cap + 1, sizeof(*v));
	if (v == NULL)
		return nw_fail(err, ENOMEM, "listing the live jobs");
	for (size_t i = 0; i < cap; i++) {
		cleanup_job_record struct job_record r;
		cleanup_err nw_err e = NULL;
		if (state_read(ids[i], &r, &e) == 1 && r.host_if[0] != '\0' &&
		    r.mode != NW_MODE_NONE) {
			v[k].host_if = strdup(r.host_if);
			v[k].mode = r.mode;
			v[k].zone = fw_job_zone(&r);
			if (v[k].host_if != NULL)
				k++;
		}
	}
	*elems = v;
	*n = k;
	return 0;
}

int fw_job_install(const struct nw_config *cfg, const struct job_record *r, nw_err *err)
{
	struct fw_job f = {
	    .host_if = r->host_if, .proxy_port = cfg->proxy_port, .mode = r->mode, .cfg = cfg};

	if (addr_parse(r->addr, &f.job_addr, err) < 0 ||
	    addr_parse(NW_GATEWAY, &f.gateway, err) < 0)
		return -1;
	return fw_install(&f, fw_job_zone(r), fw_live_from_state, NULL, FW_BASE_FILE, err);
}

/* ---- the watcher ---- */

static int events_socket(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int grp = NFNLGRP_NFTABLES, big = 1 << 20;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Does this nftables event touch inet netward in a way that may take
 * something away? New set elements (every job's setup) do not. */
static bool touches_table(const struct nlmsghdr *h)
{
	const struct nfgenmsg *g = NLMSG_DATA(h);
	unsigned type = h->nlmsg_type & 0xff;
	const struct nlattr *a;
	size_t left;

	if ((h->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*g)) || g->nfgen_family != NFPROTO_INET)
		return false;
	if (type != NFT_MSG_DELTABLE && type != NFT_MSG_DELCHAIN && type != NFT_MSG_DELRULE &&
	    type != NFT_MSG_NEWRULE && type != NFT_MSG_DELSET && type != NFT_MSG_DELSETELEM &&
	    type != NFT_MSG_NEWCHAIN)
		return false;
	a = (const struct nlattr *)((const char *)g + NLMSG_ALIGN(sizeof(*g)));
	left = h->nlmsg_len - NLMSG_LENGTH(sizeof(*g));
	while (left >= sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left) {
		/* The table's name is attribute 1 of every one of these. */
		if ((a->nla_type & NLA_TYPE_MASK) == 1) {
			const char *name = (const char *)a + NLA_HDRLEN;
			size_t n = a->nla_len - NLA_HDRLEN;
			return n >= sizeof(FW_TABLE) &&
			       memcmp(name, FW_TABLE, sizeof(FW_TABLE)) == 0;
		}
		size_t step = (size_t)NLA_ALIGN(a->nla_len);
		if (step >= left)
			break;
		left -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return false;
}

/* Drains the socket; true when something worth a check came (or events
 * were lost). */
static bool drain(int fd)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool hit = false;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0)
			return hit || errno == ENOBUFS;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			hit = hit || touches_table(h);
	}
	return hit;
}

static void repair(const struct nw_config *cfg)
{
	cleanup_err nw_err err = NULL;
	int rc;

	{
		cleanup_state_lock int lock = state_lock(&err);
		if (lock < 0) {
			log_msg(LOG_ERR, "firewall watcher: %s", nw_err_msg(err));
			return;
		}
		rc = fw_repair(FW_BASE_FILE, fw_live_from_state, NULL, &err);
	}
	if (rc < 0)
		log_msg(LOG_ERR, "firewall watcher: repairing the table: %s", nw_err_msg(err));
	else if (rc == 1)
		log_msg(LOG_WARNING, "the firewall table inet " FW_TABLE
				     " was removed or changed; written again with every live job");
}

/* Is there no state entry at all? One readdir step, not a listing. */
static bool no_entry(void)
{
	cleanup_dir DIR *d = opendir(NW_STATE_DIR "/jobs");
	struct dirent *e;
	bool none = true;

	if (d == NULL)
		return errno == ENOENT;
	while (none && (e = readdir(d)) != NULL)
		none = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	return none;
}

/* Under the state lock, so no job can be set up between this look and
 * the watcher's exit (the hook calls fw_watch_ensure under that lock). */
static bool no_job_left(int watch_lock)
{
	cleanup_err nw_err err = NULL;
	cleanup_state_lock int lock = state_lock(&err);
	bool none;

	if (lock < 0)
		return false;
	none = no_entry();
	if (none) {
		/* The uid watcher dies with this process; before the lock goes,
		 * so that a watcher started next keeps its own socket. */
		unlink(UIDWATCH_SOCK);
		close(watch_lock);
	}
	return none;
}

/* SIGTERM comes from a teardown that holds the state lock and found no
 * entry left: the watcher cannot be inside a repair (which holds that
 * lock), so it may go at once. */
static void on_term(int sig)
{
	(void)sig;
	/* The uid watcher dies with this process: no socket left to ask. */
	unlink(UIDWATCH_SOCK);
	_exit(0);
}

void fw_watch_stop_if_idle(void)
{
	char buf[32] = "";
	cleanup_close int fd = -1;
	pid_t pid;

	if (!no_entry())
		return;
	fd = open(FW_WATCH_LOCK, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return;
	pid = (pid_t)strtol(buf, NULL, 10);
	/* Only while it still holds the lock is the pid the watcher's. */
	if (pid <= 0 || flock(fd, LOCK_SH | LOCK_NB) == 0 || errno != EWOULDBLOCK)
		return;
	/* Gone before the lock is released: a job set up next must find no
	 * watcher on its way out, or it would start none. Its exit is waited
	 * for on a pidfd (it exits within a millisecond of the signal; polling
	 * the lock every 10 ms cost every last job's poststop 10 ms), then
	 * the lock is polled as before, for at most the same 2 s in all. */
	cleanup_close int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	kill(pid, SIGTERM);
	if (pfd >= 0) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		poll(&p, 1, WATCH_STOP_WAIT_MS);
	}
	for (int i = 0; i < WATCH_STOP_WAIT_MS && flock(fd, LOCK_SH | LOCK_NB) < 0; i++)
		usleep(1000);
}

static void watch_main(const struct nw_config *cfg, int watch_lock)
{
	int fd = events_socket();
	struct pollfd p = {.fd = fd, .events = POLLIN};

	struct sigaction sa = {.sa_handler = on_term};
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());

	prctl(PR_SET_NAME, "netward-fwwatch");
	sigaction(SIGTERM, &sa, NULL);
	if (ftruncate(watch_lock, 0) < 0 || pwrite(watch_lock, pid, (size_t)len, 0) != len)
		log_msg(LOG_ERR, "firewall watcher: recording its pid: %m");
	if (fd < 0)
		log_msg(LOG_ERR, "firewall watcher: no nftables events (%m); checking every %d ms",
			FW_WATCH_TICK_MS);
	/* The proxy uids' holders, for the hooks (uidwatch.h). */
	uidwatch_start();
	/* A table lost while no watcher ran. */
	repair(cfg);
	for (;;) {
		int n = poll(&p, fd >= 0 ? 1 : 0, FW_WATCH_TICK_MS);
		if (n > 0 && drain(fd)) {
			repair(cfg);
			continue;
		}
		if (n == 0) {
			if (no_job_left(watch_lock))
				_exit(0);
			if (fd < 0)
				repair(cfg);
		}
	}
}

void fw_watch_ensure(const struct nw_config *cfg)
{
	int fd = open(FW_WATCH_LOCK, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	pid_t child;

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		/* Held: a watcher runs. */
		if (fd >= 0)
			close(fd);
		return;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		log_msg(LOG_ERR, "starting the firewall watcher: fork: %m");
		close(fd);
		return;
	}
	if (child == 0) {
		int keep[] = {fd, log_file_fd()};
		setsid();
		/* No runtime pipe, and not the state lock the hook holds. */
		proc_stdio_to_null();
		proc_close_fds_except(keep, sizeof(keep) / sizeof(keep[0]));
		if (log_file_fd() < 0)
			log_open("syslog");
		log_set_context(NULL, NULL);
		watch_main(cfg, fd);
		_exit(0);
	}
	/* The child's copy holds the lock (flock belongs to the open file). */
	close(fd);
}
