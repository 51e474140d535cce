#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "counters.h"
#include "ct.h"
#include "fw.h"
#include "jobresolv.h"
#include "fw_blocked.h"
#include "hostfw.h"
#include "fw_watch.h"
#include "guard.h"
#include "ident.h"
#include "proc.h"
#include "io.h"
#include "log.h"
#include "monitor.h"
#include "proxyuid.h"
#include "wire.h"

#define SALT_TRIES 8
/* How long teardown waits for a killed monitor or proxy to exit. */
#define KILL_WAIT_MS 1000

static int open_netns(pid_t pid, uint64_t *ino, nw_err *err)
{
	char p[64];
	struct stat st;
	int fd;

	if (pid <= 0)
		return nw_fail(err, 0,
			       "the runtime's state has no container pid; netward needs it "
			       "in prestart/createRuntime");
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return nw_fail(err, errno, "opening the container's network namespace %s", p);
	if (fstat(fd, &st) == 0)
		*ino = (uint64_t)st.st_ino;
	return fd;
}

/* SIGKILL to the recorded process, if it is still the one recorded; returns
 * a pidfd to wait on for its exit (-1: nothing to wait for). The pidfd is
 * opened before the check, so the signal cannot reach a reused pid. */
static int kill_checked(pid_t pid, uint64_t start)
{
	int fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	if (!proc_alive(pid, start)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0 || syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) < 0)
		kill(pid, SIGKILL);
	return fd;
}

/* Until the killed processes have exited, at most KILL_WAIT_MS: a process
 * still dying keeps the job's cgroup from being removed (and gc had to
 * find it later). */
static void wait_exits(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		struct pollfd p = {.fd = fds[i], .events = POLLIN};
		poll(&p, 1, KILL_WAIT_MS);
		close(fds[i]);
	}
}

/* One line at teardown that sums up the job's traffic. */
static void log_summary(const struct job_record *r)
{
	struct job_stats s;
	cleanup_fw_snapshot struct fw_snapshot snap = {0};
	struct fw_blocked b = {0};
	char recent[FW_BLOCKED_SHOWN * 48 + 8] = "-";
	cleanup_err nw_err e = NULL;

	if (r->host_if[0] != '\0' && fw_blocked_snapshot(&snap, &e) == 0) {
		fw_blocked_of(&snap, r->host_if, &b);
		for (size_t i = 0, used = 0; i < b.n; i++) {
			char d[48];
			used += (size_t)snprintf(recent + used, sizeof(recent) - used, "%s%s",
						 i ? "," : "", fw_dest_str(&b.d[i], d, sizeof(d)));
		}
	}
	if (r->mode != NW_MODE_HTTP) {
		log_msg(LOG_INFO,
			"job ended: mode=%s addr=%s blocked=%llu blocked_recent=%s age=%llds",
			mode_name(r->mode), r->addr[0] ? r->addr : "-", (unsigned long long)b.count,
			recent, (long long)(time(NULL) - r->created));
		return;
	}
	state_read_stats(r->id, &s);
	log_msg(LOG_INFO,
		"job ended: mode=http domains=%s addr=%s up=%lld down=%lld allowed=%lld "
		"denied=%lld reported=%lld blocked=%llu blocked_recent=%s age=%llds",
		r->domains, r->addr, (long long)s.bytes_up, (long long)s.bytes_down,
		(long long)s.allowed, (long long)s.denied, (long long)s.reported,
		(unsigned long long)b.count, recent, (long long)(time(NULL) - r->created));
}

/* The job's interface leaves firewalld's netward zone; a firewalld that
 * does not answer does not keep the job from ending (gc retries). */
static void hostfw_release_logged(const char *host_if)
{
	cleanup_err nw_err e = NULL;

	if (hostfw_release(host_if, &e) < 0)
		log_msg(LOG_ERR, "unbinding %s from the host firewall: %s", host_if, nw_err_msg(e));
}

/* What netward opened in the node's own firewalls goes with the last job. */
static void hostfw_close_if_last(void)
{
	cleanup_strv char **ids = NULL;
	cleanup_err nw_err e = NULL;

	if (state_list(&ids, &e) == 0 && ids[0] == NULL && hostfw_close(false, &e) < 0)
		log_msg(LOG_ERR, "closing the host firewall: %s", nw_err_msg(e));
}

int job_teardown_locked(const struct job_record *r, nw_err *err)
{
	int rc = 0;

	if (r->phase != JOB_SETUP)
		log_summary(r);
	if (r->host_if[0] != '\0') {
		/* Down first: no packet crosses the link while its rules go,
		 * then the rules, then the link. */
		if (wire_link_down(r->host_if, err) < 0 ||
		    fw_remove_job(r->host_if, fw_job_zone(r), state_lock_fd(), err) < 0)
			rc = nw_wrap(err, "removing the firewall state of %s", r->host_if);
		if (rc == 0 && wire_teardown(r->host_if, err) < 0)
			rc = nw_wrap(err, "removing link %s", r->host_if);
		hostfw_release_logged(r->host_if);
	}
	/* Stop processes only after the links are gone: a job never gets a
	 * moment with rules down and its proxy still up, or the reverse. */
	int dying[2] = {-1, -1};
	if (r->monitor_pid != getpid())
		dying[0] = kill_checked(r->monitor_pid, r->monitor_start);
	dying[1] = kill_checked(r->proxy_pid, r->proxy_start);
	wait_exits(dying, 2);
	if (rc < 0)
		return rc;
	/* A proxy still dying keeps its uid from the next allocation, which
	 * skips every uid a process holds. */
	proxyuid_free(r->proxy_uid, r->id);
	cgroup_job_remove(r->id, r->monitor_pid == getpid());
	/* With the link gone nothing adds to them: what the job's address
	 * had in conntrack goes before the address is freed, and so does its
	 * allowance to the proxy. */
	if (r->addr[0] != '\0')
		guard_disallow_job(r->addr, r->proxy_port);
	if (r->addr[0] != '\0') {
		struct nw_addr a;
		cleanup_err nw_err e = NULL;
		if (addr_parse(r->addr, &a, &e) == 0 && ct_forget(&a, &e) < 0)
			log_msg(LOG_ERR, "teardown: %s", nw_err_msg(e));
	}
	state_free_addr(r->addr, r->id);
	if (r->mode == NW_MODE_HTTP)
		jobresolv_forget(r->bundle);
	if (state_remove(r->id, err) < 0)
		return -1;
	hostfw_close_if_last();
	fw_watch_stop_if_idle();
	return 0;
}

/* One attempt with one interface name: the firewall first (its sets name
 * the link, so the link is never up without them), then the link. A taken
 * name fails as wire_name_taken says, so the caller tries another. */
static int wire_try(const struct nw_config *cfg, struct job_record *r, struct wire_job *w,
		    nw_err *err)
{
	/* Under the lock, a name with no link is no live job's. What a
	 * teardown that never finished left for it in the firewall can only
	 * take network away (see fw_install). */
	if (wire_link_exists(r->host_if))
		return nw_fail(err, EEXIST, "interface %s", r->host_if);
	/* Recorded before anything exists, so a hook killed now leaves
	 * something gc can find. */
	if (state_write(r, err) < 0)
		return -1;
	if (fw_job_install(cfg, r, err) < 0)
		return nw_wrap(err, "installing the job's firewall");
	memcpy(w->host_if, r->host_if, sizeof(w->host_if));
	if (wire_setup(w, err) < 0) {
		cleanup_err nw_err undo = NULL;
		if (fw_remove_job(r->host_if, fw_job_zone(r), state_lock_fd(), &undo) < 0)
			log_msg(LOG_ERR, "undoing the firewall of %s: %s", r->host_if,
				nw_err_msg(undo));
		return nw_wrap(err, "setting up the job's link %s", r->host_if);
	}
	return 0;
}

static int wire_job(const struct nw_config *cfg, struct job_record *r, int netns_fd, nw_err *err)
{
	struct wire_job w = {.netns_fd = netns_fd, .routed = r->mode == NW_MODE_FULL};
	struct nw_addr addr;

	if (state_alloc_addr(&cfg->subnet, r->id, &addr, err) < 0)
		return -1;
	addr_str(&addr, r->addr, sizeof(r->addr));
	w.job_addr = addr;
	if (addr_parse(NW_GATEWAY, &w.gateway, err) < 0)
		return -1;
	for (unsigned salt = 0;; salt++) {
		cleanup_err nw_err e = NULL;
		wire_ifname(r->id, salt, r->host_if);
		if (wire_try(cfg, r, &w, &e) == 0)
			return 0;
		if (!wire_name_taken(r->host_if, e))
			return nw_err_move(err, &e);
		if (salt + 1 == SALT_TRIES) {
			nw_err_move(err, &e);
			return nw_wrap(err, "no free interface name for the job");
		}
	}
}

/* A live http job's allowances as it was set up with them: its record's
 * port and interception, whatever the node config says now (its teardown
 * takes away what its record names). A record from before the port was
 * kept gets the config's. */
static int allow_again(const struct nw_config *cfg, const struct job_record *r, nw_err *err)
{
	if (r->proxy_port == 0)
		return guard_allow_job(r->addr, cfg->proxy_port, cfg->intercept, err);
	return guard_allow_job(r->addr, r->proxy_port, r->intercept, err);
}

/* After IPsec tooling flushed the guard's policies: every live http job
 * gets its allowance to its proxy back. A failure leaves that job without
 * its proxy while netward's table is missing, never with more. */
static void allow_live_jobs(const struct nw_config *cfg)
{
	cleanup_strv char **ids = NULL;
	cleanup_err nw_err e = NULL;

	if (state_list(&ids, &e) < 0) {
		log_msg(LOG_ERR, "guard: listing the live jobs: %s", nw_err_msg(e));
		return;
	}
	for (size_t i = 0; ids[i] != NULL; i++) {
		cleanup_job_record struct job_record r;
		cleanup_err nw_err re = NULL;
		if (state_read(ids[i], &r, &re) == 1 && r.mode == NW_MODE_HTTP &&
		    r.addr[0] != '\0' && r.proxy_pid > 0 && kill(r.proxy_pid, 0) == 0 &&
		    allow_again(cfg, &r, &re) < 0)
			log_msg(LOG_ERR, "guard: %s", nw_err_msg(re));
	}
}

/* The monitor's teardown, in the monitor process, once the job's link is
 * gone. Only the monitor that set this record up may tear it down: the
 * same container id may already be starting again. */
static void teardown_by_monitor(const struct job_record *r)
{
	cleanup_err nw_err err = NULL;
	cleanup_job_record struct job_record cur = {0};
	cleanup_state_lock int lock = state_lock(&err);

	if (lock < 0) {
		log_msg(LOG_ERR, "job ended, but teardown cannot lock: %s", nw_err_msg(err));
		return;
	}
	if (state_read(r->id, &cur, &err) == 1 && cur.monitor_pid == getpid()) {
		log_msg(LOG_INFO, "container's network namespace is gone; tearing the job down");
		/* What a poststop that finds the lock taken reads: the job is
		 * cut off (no link, no proxy) and its teardown under way. */
		if (cur.phase == JOB_READY) {
			cleanup_err nw_err we = NULL;
			cur.phase = JOB_ENDING;
			/* Not written: poststop waits for the lock, as before. */
			state_write(&cur, &we);
		}
		if (job_teardown_locked(&cur, &err) < 0)
			log_msg(LOG_ERR, "teardown: %s", nw_err_msg(err));
	}
}

void job_monitor_main(const char *spec_fd)
{
	monitor_exec_main(spec_fd, teardown_by_monitor);
}

static int setup_locked(const struct nw_config *cfg, struct job_record *r,
			const struct job_policy *pol, nw_err *err)
{
	cleanup_close int netns = open_netns(r->pid, &r->netns_ino, err);
	int guarded;

	if (netns < 0 || wire_netns_check(netns, err) < 0)
		return -1;
	if (state_mkdir(r->id, err) < 0 || state_write(r, err) < 0)
		return -1;
	if (r->mode == NW_MODE_NONE)
		return 0;
	/* The host firewalls are opened for the job's interface once it has
	 * its name; a refusal is undone by the caller's teardown. */
	guarded = guard_install(cfg, err);
	if (guarded < 0)
		return -1;
	if (guarded == 1)
		allow_live_jobs(cfg);
	if (wire_job(cfg, r, netns, err) < 0 || hostfw_open(cfg, r->mode, r->host_if, err) < 0)
		return -1;
	if (r->mode == NW_MODE_FULL && wire_enable_forwarding(err) < 0)
		return -1;
	/* The proxy's uid and port are in the record before anything is
	 * made with them, so a teardown finds what to take away. */
	if (r->mode == NW_MODE_HTTP) {
		r->proxy_port = cfg->proxy_port;
		r->intercept = cfg->intercept;
		if (proxyuid_alloc(r->id, &r->proxy_uid, err) < 0 || state_write(r, err) < 0)
			return nw_wrap(err, "the job's proxy uid");
	}
	if (r->mode == NW_MODE_HTTP &&
	    guard_allow_job(r->addr, r->proxy_port, r->intercept, err) < 0)
		return -1;
	fw_watch_ensure(cfg);
	return monitor_spawn(cfg, pol, r, err);
}

static int record_init(struct job_record *r, const struct job_start *st,
		       const struct job_policy *pol, nw_err *err)
{
	memset(r, 0, sizeof(*r));
	if (strlen(st->id) > NW_ID_MAX || strlen(pol->job_id) > NW_ID_MAX)
		return nw_fail(err, 0, "container id too long");
	if (strlen(st->bundle) >= sizeof(r->bundle))
		return nw_fail(err, ENAMETOOLONG, "bundle path too long");
	strcpy(r->id, st->id);
	strcpy(r->job_id, pol->job_id);
	strcpy(r->bundle, st->bundle);
	r->mode = pol->mode;
	r->phase = JOB_SETUP;
	r->domains = policy_domains_csv(&pol->domains, err);
	r->hook_pid = getpid();
	r->hook_start = proc_start_time(r->hook_pid);
	r->pid = st->pid;
	r->pid_start = proc_start_time(st->pid);
	r->created = time(NULL);
	if (r->domains == NULL)
		return nw_wrap(err, "recording the job");
	return 0;
}

/* What to do with a record found under the id being set up: 1 when it is
 * this very container's, already set up (prestart and createRuntime both
 * configured); 0 when it is stale and was torn down; -1 when it is a live
 * job, which is refused. */
static int setup_found(const struct job_record *old, const struct job_start *st, nw_err *err)
{
	if (old->phase == JOB_READY && old->pid == st->pid && job_alive(old))
		return 1;
	if (job_alive(old))
		return nw_fail(err, EEXIST,
			       "container id %s already belongs to a live netward job (container "
			       "pid %d, bundle %s), probably under another runtime root; netward "
			       "keys jobs on the id alone, so ids must be unique on the node",
			       old->id, (int)old->pid, old->bundle[0] ? old->bundle : "unknown");
	return job_teardown_locked(old, err);
}

int job_setup(const struct nw_config *cfg, const struct job_start *st, const struct job_policy *pol,
	      nw_err *err)
{
	/* From before the lock: waiting for another job's setup or teardown
	 * is part of what this one costs. */
	const uint64_t t0 = io_now_ns();
	cleanup_job_record struct job_record r = {0};
	cleanup_job_record struct job_record old = {0};
	cleanup_state_lock int lock = state_lock(err);
	int rc;

	if (lock < 0)
		return -1;
	rc = state_read(st->id, &old, err);
	if (rc == 1)
		rc = setup_found(&old, st, err);
	if (rc != 0 || record_init(&r, st, pol, err) < 0)
		return rc == 1 ? 0 : -1;
	rc = setup_locked(cfg, &r, pol, err);
	if (rc == 0) {
		r.phase = JOB_READY;
		rc = state_write(&r, err);
	}
	if (rc < 0) {
		cleanup_err nw_err undo = NULL;
		if (job_teardown_locked(&r, &undo) < 0)
			log_msg(LOG_ERR, "undoing a failed setup: %s", nw_err_msg(undo));
	} else {
		cleanup_err nw_err cerr = NULL;
		if (counters_add("setups", mode_name(r.mode), 1, &cerr) < 0)
			log_msg(LOG_WARNING, "%s", nw_err_msg(cerr));
		log_msg(LOG_INFO, "job set up: mode=%s%s%s%s%s in %.1f ms", mode_name(r.mode),
			r.domains[0] ? " domains=" : "", r.domains, r.addr[0] ? " addr=" : "",
			r.addr, (double)(io_now_ns() - t0) / 1e6);
	}
	return rc;
}

/* The finisher: the whole teardown, under the lock the hook handed it. */
static void finish(void *arg)
{
	const struct job_record *r = arg;
	cleanup_err nw_err e = NULL;

	if (job_teardown_locked(r, &e) < 0)
		log_msg(LOG_ERR, "teardown: %s (netward gc finishes it)", nw_err_msg(e));
}

/* poststop's teardown. What the runtime waits for is only the cut: the
 * job's link down, so that no packet of the job crosses it (a veth
 * delivers nothing while either end is down), and its monitor and proxy
 * killed. The rest, whose kernel work waits for RCU grace periods (a
 * link's deletion, 10-30 ms) or walks the whole conntrack table, is
 * job_teardown_locked in a detached process that holds the state lock
 * until it is done: no job is set up, no address allocated and no gc runs
 * meanwhile, so the job's conntrack entries are gone before its address
 * can go to another job, and the same container id set up again (podman's
 * restart) waits for the end of its last teardown. A finisher killed
 * midway leaves the record (removed last), which gc and the next setup
 * under that id tear down. */
static int teardown_detached(const struct job_record *r, int lock, nw_err *err)
{
	const int keep[] = {lock};
	cleanup_err nw_err e = NULL;

	if (wire_link_down(r->host_if, &e) < 0)
		return job_teardown_locked(r, err);
	if (r->monitor_pid != getpid()) {
		int fd = kill_checked(r->monitor_pid, r->monitor_start);
		if (fd >= 0)
			close(fd);
	}
	int fd = kill_checked(r->proxy_pid, r->proxy_start);
	if (fd >= 0)
		close(fd);
	if (proc_detach(finish, (void *)r, "netward-finish", keep, 1, &e) < 0) {
		log_msg(LOG_WARNING, "teardown in the background: %s; done in poststop",
			nw_err_msg(e));
		return job_teardown_locked(r, err);
	}
	return 0;
}

/* With the lock taken by another: true when nothing is left for this
 * poststop to wait for. The record is read without the lock (it is
 * replaced whole, by rename): none means the job is gone (its record goes
 * last); "ending" with its monitor alive means the monitor, which holds
 * the lock, found the link gone, killed the proxy and is tearing the job
 * down. */
static bool nothing_to_wait_for(const char *id)
{
	cleanup_job_record struct job_record r = {0};
	cleanup_err nw_err e = NULL;
	int rc = state_read(id, &r, &e);

	return rc == 0 ||
	       (rc == 1 && r.phase == JOB_ENDING && proc_alive(r.monitor_pid, r.monitor_start));
}

int job_poststop(const char *id, const char *bundle, bool stopped, nw_err *err)
{
	cleanup_job_record struct job_record r = {0};
	cleanup_state_lock int lock = -1;
	bool busy;
	int rc;

	lock = state_trylock(&busy, err);
	if (lock < 0 && busy) {
		if (nothing_to_wait_for(id))
			return 0;
		lock = state_lock(err);
	}
	if (lock < 0)
		return -1;
	rc = state_read(id, &r, err);
	if (rc == 1 && r.bundle[0] != '\0' && strcmp(r.bundle, bundle) != 0) {
		log_msg(LOG_WARNING,
			"poststop for bundle %s: the job recorded under this id is another "
			"container's (bundle %s); left alone",
			bundle, r.bundle);
		rc = 0;
	} else if (rc == 1 && stopped && r.phase == JOB_READY && proc_alive(r.pid, r.pid_start)) {
		/* A runtime's poststop comes once its container's process is
		 * gone: one for a stopped container while the recorded one runs
		 * is another container's under the same id and bundle. */
		log_msg(LOG_WARNING,
			"poststop: the job recorded under this id still runs (container pid "
			"%d); left alone",
			(int)r.pid);
		rc = 0;
	} else if (rc == 1 && r.host_if[0] != '\0') {
		rc = teardown_detached(&r, lock, err);
	} else if (rc == 1) {
		rc = job_teardown_locked(&r, err);
	}
	return rc < 0 ? -1 : 0;
}

bool job_alive(const struct job_record *r)
{
	/* Its teardown died before the end (it held the lock). */
	if (r->phase == JOB_ENDING)
		return false;
	if (r->phase == JOB_SETUP)
		return proc_alive(r->hook_pid, r->hook_start);
	if (!proc_alive(r->pid, r->pid_start))
		return false;
	return r->host_if[0] == '\0' || wire_link_exists(r->host_if);
}
