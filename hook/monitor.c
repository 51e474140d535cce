#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <malloc.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "fw.h"
#include "jobsock.h"
#include "guard.h"
#include "io.h"
#include "log.h"
#include "monitor_spec.h"
#include "proc.h"
#include "proxy.h"
#include "config.h"

/* The port the firewall lets a job's DNS reach is the one bound here. */
_Static_assert(JOBSOCK_DNS_PORT == FW_DNS_PORT, "the job's DNS port: jobsock.h and fw_render.h");

#define READY_TIMEOUT_MS 10000
#define LINK_RECHECK_S	 5
/* After the container's first process exits: checks this often, this long. */
#define LINK_FAST_MS	 20
#define LINK_FAST_FOR_MS 5000
#define RELAY_MAX	 4096

struct spawn_report {
	int ok;
	pid_t monitor;
	pid_t proxy;
};

static int open_job_file(const char *id, const char *name, int flags, nw_err *err)
{
	char p[4096];
	int fd;

	if (state_path(id, name, p, sizeof(p), err) < 0)
		return -1;
	fd = open(p, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return nw_fail(err, errno, "opening %s", p);
	return fd;
}

/* The container's first process, by pidfd: readable once it has exited.
 * -1 when it is gone already (or is no longer the process recorded at
 * setup), which the caller treats as exited. */
static int container_pidfd(const struct job_record *r)
{
	int fd = (int)syscall(SYS_pidfd_open, r->pid, 0);

	/* Opened first, then checked: the pidfd pins the process it names. */
	if (fd >= 0 && proc_start_time(r->pid) != r->pid_start) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static bool link_still_there(const char *ifname, int ifindex)
{
	return (int)if_nametoindex(ifname) == ifindex;
}

static void reap_proxy(pid_t *proxy, struct job_record *r)
{
	int status;

	if (*proxy <= 0 || waitpid(*proxy, &status, WNOHANG) != *proxy)
		return;
	if (WIFSIGNALED(status))
		log_msg(LOG_ERR, "proxy killed by signal %d; the job has no network until it ends",
			WTERMSIG(status));
	else
		log_msg(LOG_ERR,
			"proxy exited with status %d; the job has no network until it ends",
			WEXITSTATUS(status));
	/* Whatever binds the proxy port now is not the job's proxy: the
	 * guard stops admitting the job to it (the table's mark check does
	 * the same while the table is there). */
	guard_disallow_job(r->addr, r->proxy_port);
	*proxy = -1;
}

/* The node-log copies of the proxy's access lines, from its pipe: each
 * whole line goes to the node log under the monitor's own context (the
 * job's ids), so the proxy can add lines but never speak for another job. */
struct relay {
	int fd;
	size_t used;
	char buf[RELAY_MAX];
};

/* Reads what is there; returns false at end of file (the proxy is gone). */
static bool relay_read(struct relay *rl)
{
	ssize_t n = -1;

	while (rl->fd >= 0 &&
	       (n = read(rl->fd, rl->buf + rl->used, sizeof(rl->buf) - rl->used)) > 0) {
		char *start = rl->buf, *nl;
		rl->used += (size_t)n;
		while ((nl = memchr(start, '\n', rl->used - (size_t)(start - rl->buf))) != NULL) {
			log_msg(LOG_INFO, "%.*s", (int)(nl - start), start);
			start = nl + 1;
		}
		rl->used -= (size_t)(start - rl->buf);
		memmove(rl->buf, start, rl->used);
		if (rl->used == sizeof(rl->buf)) {
			log_msg(LOG_INFO, "%.*s (cut)", (int)rl->used, rl->buf);
			rl->used = 0;
		}
	}
	if (rl->fd < 0 || n == 0)
		return false;
	return errno == EAGAIN || errno == EINTR;
}

/* Checks by name: every LINK_RECHECK_S, and every LINK_FAST_MS for
 * LINK_FAST_FOR_MS once the container's first process has exited (the
 * kernel deletes the link when the namespace goes, shortly after its last
 * process). Not a netlink subscription: every link message on the node
 * would be copied to every job's monitor, a cost each job's setup paid
 * once per monitor alive. */
static void link_checks(int tfd, bool fast)
{
	long ms = fast ? LINK_FAST_MS : LINK_RECHECK_S * 1000L;
	struct itimerspec its = {.it_interval = {ms / 1000, (ms % 1000) * 1000000L},
				 .it_value = {ms / 1000, (ms % 1000) * 1000000L}};

	timerfd_settime(tfd, 0, &its, NULL);
}

static void monitor_loop(struct job_record *r, pid_t proxy, struct relay *rl,
			 monitor_teardown_fn teardown)
{
	int ifindex = (int)if_nametoindex(r->host_if);
	int pfd = container_pidfd(r), ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	uint64_t fast_until = 0;
	sigset_t mask;
	int sfd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (ifindex == 0 || ep < 0 || tfd < 0 || sfd < 0) {
		log_msg(LOG_ERR, "monitor cannot watch %s: %m", r->host_if);
		goto stop;
	}
	if (pfd < 0)
		fast_until = io_now_ms() + LINK_FAST_FOR_MS;
	link_checks(tfd, pfd < 0);
	struct epoll_event ev = {.events = EPOLLIN};
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	if (pfd >= 0) {
		ev.data.fd = pfd;
		epoll_ctl(ep, EPOLL_CTL_ADD, pfd, &ev);
	}
	if (rl->fd >= 0) {
		ev.data.fd = rl->fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, rl->fd, &ev);
	}
	for (;;) {
		struct epoll_event evs[4];
		int n = epoll_wait(ep, evs, 4, -1);
		bool check = false;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.fd == sfd) {
				struct signalfd_siginfo si;
				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGCHLD)
						reap_proxy(&proxy, r);
					else
						goto stop;
				}
			} else if (evs[i].data.fd == rl->fd) {
				if (!relay_read(rl)) {
					epoll_ctl(ep, EPOLL_CTL_DEL, rl->fd, NULL);
					close(rl->fd);
					rl->fd = -1;
				}
			} else if (evs[i].data.fd == tfd) {
				uint64_t ticks;
				if (read(tfd, &ticks, sizeof(ticks)) < 0)
					ticks = 0;
				check = true;
				if (fast_until != 0 && io_now_ms() >= fast_until) {
					fast_until = 0;
					link_checks(tfd, false);
				}
			} else if (evs[i].data.fd == pfd) {
				/* The container's first process exited. */
				epoll_ctl(ep, EPOLL_CTL_DEL, pfd, NULL);
				close(pfd);
				pfd = -1;
				fast_until = io_now_ms() + LINK_FAST_FOR_MS;
				link_checks(tfd, true);
				check = true;
			}
		}
		if (check && !link_still_there(r->host_if, ifindex)) {
			if (proxy > 0) {
				kill(proxy, SIGKILL);
				waitpid(proxy, NULL, 0);
			}
			teardown(r);
			return;
		}
	}
stop:
	/* poststop (or an operator) asked: it does the teardown itself. */
	if (proxy > 0) {
		kill(proxy, SIGKILL);
		waitpid(proxy, NULL, 0);
	}
}

static void run_proxy(const struct nw_config *cfg, const struct job_policy *pol,
		      const struct job_record *r, const struct jobsock *s, int log_fd, int stats_fd,
		      int ready_fd, int relay_fd, uid_t uid, gid_t gid, pid_t monitor)
{
	int keep[] = {s->listen, s->intercept, s->dns_udp, s->dns_tcp,
		      log_fd,	 stats_fd,     ready_fd,   relay_fd};

	/* Only the job's own files and pipes: not the node log (a proxy that
	 * held it could write lines for any job), nothing else. */
	log_close();
	proc_close_fds_except(keep, sizeof(keep) / sizeof(keep[0]));
	struct proxy_opts o = {
	    .cfg = cfg,
	    .domains = &pol->domains,
	    .job_id = pol->job_id,
	    .container_id = r->id,
	    .listen_fd = s->listen,
	    .intercept_fd = s->intercept,
	    .dns_udp_fd = s->dns_udp,
	    .dns_tcp_fd = s->dns_tcp,
	    .log_fd = log_fd,
	    .stats_fd = stats_fd,
	    .ready_fd = ready_fd,
	    .sandbox = true,
	    .uid = uid,
	    .gid = gid,
	    .node_log_pipe = relay_fd,
	};
	nw_err err = NULL;

	/* The proxy must not outlive its monitor, also one killed (by a
	 * teardown) before this line: then the parent is another already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != monitor)
		_exit(1);
	prctl(PR_SET_NAME, "netward-proxy");
	if (proxy_run(&o, &err) < 0) {
		dprintf(relay_fd, "proxy: %s\n", nw_err_msg(err));
		_exit(1);
	}
	_exit(0);
}

/* The monitor process itself; never returns. */
/* The monitor, then its proxy, into the job's cgroup. Once the proxy
 * serves, not before: each move waits for an RCU grace period under cgroup
 * v1, and the hook, with the container's start, waits for the report. A
 * move that fails takes the job's proxy away (logged), so that no proxy
 * runs without the job's memory limit. */
static int join_cgroup(const char *id, const char *cg, pid_t proxy)
{
	cleanup_err nw_err e = NULL;
	char made[4096];

	/* The group was made empty by the hook, and an empty group of a job
	 * that another netward's state does not know (another state
	 * directory on the same cgroup hierarchy) is that one's gc's to
	 * remove: made again here. */
	if (cgroup_enter(cg, &e) < 0 && nw_err_code(e) == ENOENT) {
		nw_err_free(&e);
		if (cgroup_job_create(id, made, sizeof(made), &e) == 0 && strcmp(made, cg) == 0)
			cgroup_enter(cg, &e);
	}
	if (e != NULL || (proxy > 0 && cgroup_move(cg, proxy, &e) < 0)) {
		log_msg(LOG_ERR, "monitor: %s; the job has no network until it ends",
			nw_err_msg(e));
		return -1;
	}
	return 0;
}

__attribute__((noreturn)) static void monitor_main(struct monitor_spec *sp,
						   monitor_teardown_fn teardown)
{
	struct spawn_report rep = {.ok = 0, .monitor = getpid()};
	static struct relay rl;
	struct job_record *r = &sp->r;
	int report_fd = sp->report_fd;
	int ready[2];
	sigset_t mask;

	prctl(PR_SET_NAME, "netward-mon");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (sp->socks.listen < 0) {
		/* A full job has no proxy: only the watch on its link. */
		rep.ok = 1;
		if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
			_exit(1);
		close(report_fd);
		rl.fd = -1;
		if (join_cgroup(r->id, sp->cgroup, -1) < 0)
			_exit(1);
		monitor_loop(r, -1, &rl, teardown);
		_exit(0);
	}
	if (pipe2(ready, O_CLOEXEC) < 0)
		goto fail;
	/* What parsing the spec left free, before the proxy shares the heap. */
	malloc_trim(0);
	rep.proxy = fork();
	if (rep.proxy < 0)
		goto fail;
	if (rep.proxy == 0) {
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		close(ready[0]);
		close(report_fd);
		close(sp->relay[0]);
		run_proxy(&sp->cfg, &sp->pol, r, &sp->socks, sp->log_fd, sp->stats_fd, ready[1],
			  sp->relay[1], r->proxy_uid, (gid_t)r->proxy_uid, rep.monitor);
	}
	close(ready[1]);
	close(sp->relay[1]);
	rl.fd = sp->relay[0];
	jobsock_close(&sp->socks);
	close(sp->stats_fd);
	close(sp->log_fd);
	struct pollfd p = {.fd = ready[0], .events = POLLIN};
	char byte;
	if (poll(&p, 1, READY_TIMEOUT_MS) == 1 && read(ready[0], &byte, 1) == 1)
		rep.ok = 1;
	close(ready[0]);
	if (!rep.ok) {
		/* Why it did not start, into the node log before the hook says
		 * to look there. */
		kill(rep.proxy, SIGKILL);
		waitpid(rep.proxy, NULL, 0);
		relay_read(&rl);
	}
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep) || !rep.ok) {
		kill(rep.proxy, SIGKILL);
		_exit(1);
	}
	close(report_fd);
	if (join_cgroup(r->id, sp->cgroup, rep.proxy) < 0) {
		kill(rep.proxy, SIGKILL);
		waitpid(rep.proxy, NULL, 0);
		guard_disallow_job(r->addr, r->proxy_port);
		_exit(1);
	}
	monitor_loop(r, rep.proxy, &rl, teardown);
	_exit(0);
fail:
	if (write(report_fd, &rep, sizeof(rep)) < 0)
		_exit(1);
	_exit(1);
}

void monitor_exec_main(const char *spec_fd, monitor_teardown_fn teardown)
{
	cleanup_monitor_spec struct monitor_spec sp = {0};
	cleanup_err nw_err err = NULL;
	cleanup_free char *text = NULL;
	char *end;
	long fd;
	size_t len;

	errno = 0;
	fd = strtol(spec_fd, &end, 10);
	if (errno != 0 || *end != '\0' || fd < 3 || fd > INT_MAX) {
		fprintf(stderr,
			"netward: job-monitor is started by the hook, with the descriptor "
			"of its spec (\"%s\" is none)\n",
			spec_fd);
		_exit(2);
	}
	text = io_read_fd((int)fd, MONITOR_SPEC_MAX, "the monitor's spec", &len, &err);
	close((int)fd);
	if (text == NULL || monitor_spec_parse(text, len, &sp, &err) < 0) {
		/* stderr is /dev/null under the hook, the terminal by hand. */
		fprintf(stderr, "netward: job-monitor: %s\n", nw_err_msg(err));
		log_open("syslog");
		log_msg(LOG_ERR, "monitor: %s", nw_err_msg(err));
		_exit(1);
	}
	free(steal_ptr(&text));
	log_open(sp.cfg.log);
	log_set_context(sp.r.id, sp.r.job_id);
	monitor_main(&sp, teardown);
}

static int read_report(int fd, struct spawn_report *rep, nw_err *err)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, READY_TIMEOUT_MS + 2000) != 1)
		return nw_fail(err, ETIMEDOUT, "waiting for the job's proxy to start");
	n = read(fd, rep, sizeof(*rep));
	if (n != sizeof(*rep) || !rep->ok)
		return nw_fail(err, 0, "the job's proxy did not start (see the node log)");
	return 0;
}

/* The spec in a sealed memfd at the start of its file. */
static int spec_memfd(const struct monitor_spec *sp, nw_err *err)
{
	cleanup_free char *text = monitor_spec_render(sp, err);
	cleanup_close int fd = -1;

	if (text == NULL)
		return -1;
	fd = memfd_create("netward-monitor-spec", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return nw_fail(err, errno, "starting the job's monitor: memfd_create");
	if (io_write_all(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
		return nw_fail(err, errno, "starting the job's monitor: writing its spec");
	return steal_fd(&fd);
}

/* The forked child, until it is the monitor by exec: nothing of the hook's
 * but the descriptors the spec names. */
static void exec_monitor(const struct monitor_spec *sp, int spec_fd, const char *config_path)
{
	int keep[] = {
	    sp->socks.listen, sp->socks.intercept, sp->socks.dns_udp, sp->socks.dns_tcp, sp->log_fd,
	    sp->stats_fd,     sp->report_fd,	   sp->relay[0],      sp->relay[1],	 spec_fd};
	char fdarg[16], self[PATH_MAX];
	ssize_t n;

	/* A session of its own, so no signal to the runtime's process group
	 * reaches it. When the hook exits the monitor goes to the nearest
	 * subreaper, or init, as a second fork's grandchild would. */
	setsid();
	/* No runtime pipe (runc would wait on it), not the state lock. */
	proc_stdio_to_null();
	proc_close_fds_except(keep, sizeof(keep) / sizeof(keep[0]));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (keep[i] >= 0 && fcntl(keep[i], F_SETFD, 0) < 0)
			_exit(1);
	snprintf(fdarg, sizeof(fdarg), "%d", spec_fd);
	/* The running binary itself, also when the file was replaced since,
	 * named by its path. --config only names the node config in the
	 * process list, as the hook's own command line did; the monitor reads
	 * the spec's copy. */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	char *argv[6], **a = argv;
	*a++ = n > 0 ? self : "netward";
	if (config_path != NULL) {
		*a++ = "--config";
		*a++ = (char *)config_path;
	}
	*a++ = MONITOR_EXEC_COMMAND;
	*a++ = fdarg;
	*a = NULL;
	execv("/proc/self/exe", argv);
	log_msg(LOG_ERR, "monitor: exec of /proc/self/exe: %m");
	_exit(1);
}

int monitor_spawn(const struct nw_config *cfg, const struct job_policy *pol, struct job_record *r,
		  nw_err *err)
{
	cleanup_close int log_fd = -1, stats_fd = -1, spec_fd = -1;
	cleanup_jobsock struct jobsock socks = JOBSOCK_NONE;
	int pipefd[2], relay[2] = {-1, -1};
	char cg[4096];
	cleanup_close int relay_r = -1, relay_w = -1;
	pid_t child;
	struct spawn_report rep;

	if (r->mode == NW_MODE_HTTP) {
		/* Marked: the firewall lets the job reach only such sockets. */
		if (jobsock_open(cfg, NW_GATEWAY, r->host_if, true, &socks, err) < 0)
			return nw_wrap(err, "starting the job's proxy");
		log_fd = open_job_file(r->id, "access.log", O_WRONLY | O_APPEND, err);
		if (log_fd < 0)
			return -1;
		stats_fd = open_job_file(r->id, "stats.json", O_RDWR, err);
		if (stats_fd < 0)
			return -1;
	}
	if (cgroup_job_create(r->id, cg, sizeof(cg), err) < 0)
		return nw_wrap(err, "the cgroup of the job's monitor and proxy");
	/* The job's own uid (proxyuid.h), as its gid too. */
	if (r->mode == NW_MODE_HTTP && r->proxy_uid == 0)
		return nw_fail(err, EINVAL, "the job's proxy has no uid of its own");
	if (r->mode == NW_MODE_HTTP && pipe2(relay, O_CLOEXEC | O_NONBLOCK) < 0)
		return nw_fail(err, errno, "starting the job's proxy: pipe");
	relay_r = relay[0];
	relay_w = relay[1];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return nw_fail(err, errno, "starting the job's proxy: pipe");
	struct monitor_spec sp = {.cfg = *cfg,
				  .pol = *pol,
				  .r = *r,
				  .socks = socks,
				  .log_fd = log_fd,
				  .stats_fd = stats_fd,
				  .report_fd = pipefd[1],
				  .relay = {relay_r, relay_w},
				  .cgroup = cg};
	spec_fd = spec_memfd(&sp, err);
	if (spec_fd < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return nw_fail(err, errno, "starting the job's proxy: fork");
	}
	if (child == 0) {
		close(pipefd[0]);
		exec_monitor(&sp, spec_fd, cfg->path);
	}
	close(pipefd[1]);
	/* Recorded before anything else can fail: a hook killed from here on
	 * leaves a record through which teardown and gc stop the monitor (and
	 * with it the proxy). One killed before the record is written has no
	 * reader for the monitor's report, and the monitor stops itself. */
	r->monitor_pid = child;
	r->monitor_start = proc_start_time(child);
	if (state_write(r, err) < 0) {
		close(pipefd[0]);
		return -1;
	}
	int rc = read_report(pipefd[0], &rep, err);
	close(pipefd[0]);
	if (rc < 0)
		return -1;
	r->proxy_pid = rep.proxy;
	r->proxy_start = rep.proxy > 0 ? proc_start_time(rep.proxy) : 0;
	return 0;
}
