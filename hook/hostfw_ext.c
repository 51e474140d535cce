/* The programs hostfw runs: iptables, for the rules it keeps in the
 * filter table Docker and ufw manage, and dbus-send, for firewalld.
 *
 * iptables through its own binary, not libnftables, also for the nft
 * backend: Docker and ufw rewrite that table with iptables-nft, which
 * calls a table holding any rule it cannot parse back "incompatible" and
 * stops managing it; rules made by iptables itself are parseable by
 * construction. It runs only when a path is closed (the first job after
 * the table appeared or was reloaded) and when the last job ends; a job
 * whose path is open costs one nftables listing, no exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "fw.h"
#include "hostfw.h"
#include "hostfw_int.h"
#include "ident.h"
#include "log.h"
#include "proc.h"
#include "state.h"

#define FIREWALLD_MARKER NW_STATE_DIR "/hostfw-firewalld"
#define COMMENT		 "netward"

static void child(const char *const *argv, int errfd)
{
	static char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;

	/* The hook ignores SIGPIPE and the monitor blocks the signals it
	 * reads through a signalfd; neither is the program's business. */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (null < 0 || dup2(null, 0) < 0 || dup2(errfd, 1) < 0 || dup2(errfd, 2) < 0)
		_exit(126);
	proc_close_fds_except(NULL, 0);
	execve(argv[0], (char *const *)argv, env);
	dprintf(2, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int hostfw_exec(const char *const *argv, char *line, size_t len, nw_err *err)
{
	int p[2], status;
	size_t got = 0;
	ssize_t r;
	char sink[256];
	pid_t pid;

	line[0] = '\0';
	if (pipe2(p, O_CLOEXEC) < 0)
		return nw_fail(err, errno, "running %s", argv[0]);
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return nw_fail(err, errno, "running %s", argv[0]);
	}
	if (pid == 0)
		child(argv, p[1]);
	close(p[1]);
	while ((r = read(p[0], got + 1 < len ? line + got : sink,
			 got + 1 < len ? len - 1 - got : sizeof(sink))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (got + 1 < len)
			got += (size_t)r;
	}
	close(p[0]);
	line[got] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return nw_fail(err, errno, "waiting for %s", argv[0]);
	if (!WIFEXITED(status))
		return nw_fail(err, 0, "%s killed by signal %d", argv[0], WTERMSIG(status));
	if (WEXITSTATUS(status) == 127)
		return nw_fail(err, 0, "%.*s", (int)strcspn(line, "\n"), line);
	return WEXITSTATUS(status);
}

/* ipt -w 5 -t filter ARGS...; exit status, or -1 with err set. */
#define IPT(ipt, line, err, ...)                                                                   \
	hostfw_exec((const char *const[]){ipt, "-w", "5", "-t", "filter", __VA_ARGS__, NULL},      \
		    line, sizeof(line), err)

static int ipt_must(int rc, const char *ipt, const char *what, const char *line, nw_err *err)
{
	if (rc < 0)
		return -1;
	if (rc != 0)
		return nw_fail(err, 0, "%s %s: %.*s", ipt, what, (int)strcspn(line, "\n"), line);
	return 0;
}

/* A chain of netward's own, flushed and written again: every packet from
 * netward's interfaces and subnet, and in FORWARD every packet to them,
 * is accepted here. An interface is netward's by its name and its group
 * (FW_IFGROUP, which netward gives its veths): a link of the node's that is
 * merely named nw... does not match. netward's own table has already
 * dropped, at a higher priority, whatever a job may not send or receive;
 * nothing else is matched. */
static int ipt_chain(const char *ipt, const char *name, const char *subnet, bool fwd, nw_err *err)
{
	char line[256], group[16];
	cleanup_err nw_err exists = NULL;

	snprintf(group, sizeof(group), "0x%x", FW_IFGROUP);
	(void)IPT(ipt, line, &exists, "-N", name);
	if (ipt_must(IPT(ipt, line, err, "-F", name), ipt, "-F", line, err) < 0 ||
	    ipt_must(IPT(ipt, line, err, "-A", name, "-i", HOSTFW_IFGLOB, "-m", "devgroup",
			 "--src-group", group, "-s", subnet, "-m", "comment", "--comment", COMMENT,
			 "-j", "ACCEPT"),
		     ipt, "-A", line, err) < 0)
		return -1;
	if (!fwd)
		return 0;
	return ipt_must(IPT(ipt, line, err, "-A", name, "-o", HOSTFW_IFGLOB, "-m", "devgroup",
			    "--dst-group", group, "-d", subnet, "-m", "comment", "--comment",
			    COMMENT, "-j", "ACCEPT"),
			ipt, "-A", line, err);
}

static int ipt_jump(const char *ipt, const char *from, const char *to, nw_err *err)
{
	char line[256];
	int rc = IPT(ipt, line, err, "-C", from, "-m", "comment", "--comment", COMMENT, "-j", to);

	if (rc <= 0)
		return rc;
	return ipt_must(
	    IPT(ipt, line, err, "-I", from, "1", "-m", "comment", "--comment", COMMENT, "-j", to),
	    ipt, "-I", line, err);
}

/* Docker's documented place for rules of the node's own is DOCKER-USER,
 * which FORWARD reaches before anything of Docker's. */
static const char *forward_parent(const char *ipt)
{
	char line[256];
	cleanup_err nw_err e = NULL;
	int rc = IPT(ipt, line, &e, "-n", "-L", "DOCKER-USER");

	return rc == 0 ? "DOCKER-USER" : "FORWARD";
}

int hostfw_ipt_open(const char *ipt, const char *subnet, nw_err *err)
{
	if (ipt_chain(ipt, HOSTFW_IPT_INPUT, subnet, false, err) < 0 ||
	    ipt_chain(ipt, HOSTFW_IPT_FORWARD, subnet, true, err) < 0 ||
	    ipt_jump(ipt, "INPUT", HOSTFW_IPT_INPUT, err) < 0 ||
	    ipt_jump(ipt, forward_parent(ipt), HOSTFW_IPT_FORWARD, err) < 0)
		return nw_wrap(err, "opening %s for netward's interfaces", ipt);
	log_msg(LOG_INFO, "%s: chains %s and %s added to the filter table", ipt, HOSTFW_IPT_INPUT,
		HOSTFW_IPT_FORWARD);
	return 0;
}

int hostfw_ipt_close(const char *ipt, nw_err *err)
{
	static const char *const jumps[][2] = {{"INPUT", HOSTFW_IPT_INPUT},
					       {"FORWARD", HOSTFW_IPT_FORWARD},
					       {"DOCKER-USER", HOSTFW_IPT_FORWARD}};
	static const char *const chains[] = {HOSTFW_IPT_INPUT, HOSTFW_IPT_FORWARD};
	char line[256];
	int rc = 0;

	/* Until no such jump is left, or there is no such chain. */
	for (size_t i = 0; i < 3; i++)
		for (int k = 0; k < 8; k++) {
			cleanup_err nw_err gone = NULL;
			if (IPT(ipt, line, &gone, "-D", jumps[i][0], "-m", "comment", "--comment",
				COMMENT, "-j", jumps[i][1]) != 0)
				break;
		}
	for (size_t i = 0; i < 2; i++) {
		cleanup_err nw_err absent = NULL;
		if (IPT(ipt, line, &absent, "-n", "-L", chains[i]) != 0)
			continue;
		if (ipt_must(IPT(ipt, line, err, "-F", chains[i]), ipt, "-F", line, err) < 0 ||
		    ipt_must(IPT(ipt, line, err, "-X", chains[i]), ipt, "-X", line, err) < 0)
			rc = -1;
	}
	if (rc == 0)
		log_msg(LOG_INFO, "%s: netward's chains removed", ipt);
	return rc;
}

/* One method of firewalld's zone interface on netward's zone, with ifname
 * as its second argument when not NULL; the reply in out. */
static int firewalld_call(const char *method, const char *ifname, char *out, size_t len,
			  nw_err *err)
{
	char meth[96], arg[64];
	int rc;

	snprintf(meth, sizeof(meth), "org.fedoraproject.FirewallD1.zone.%s", method);
	snprintf(arg, sizeof(arg), "string:%s", ifname ? ifname : "");
	rc = hostfw_exec((const char *const[]){HOSTFW_DBUS_SEND, "--system", "--print-reply",
					       "--reply-timeout=10000",
					       "--dest=org.fedoraproject.FirewallD1",
					       "/org/fedoraproject/FirewallD1", meth,
					       "string:" HOSTFW_ZONE, ifname ? arg : NULL, NULL},
			 out, len, err);
	if (rc < 0)
		return -1;
	if (rc != 0)
		return nw_fail(err, 0, "firewalld %s %s %s: %.*s", method, HOSTFW_ZONE,
			       ifname ? ifname : "", (int)strcspn(out, "\n"), out);
	return 0;
}

int hostfw_firewalld_open(const char *host_if, nw_err *err)
{
	char line[512];
	cleanup_err nw_err fe = NULL;
	int fd;

	/* Recorded first: a hook killed after the call leaves a binding that
	 * teardown and gc still remove. */
	fd = open(FIREWALLD_MARKER, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return nw_fail(err, errno, "creating %s", FIREWALLD_MARKER);
	close(fd);
	if (firewalld_call("addInterface", host_if, line, sizeof(line), &fe) < 0) {
		if (strstr(nw_err_msg(fe), "ZONE_ALREADY_SET") != NULL)
			return 0;
		if (strstr(nw_err_msg(fe), "INVALID_ZONE") != NULL)
			return nw_fail(
			    err, 0,
			    "firewalld has no zone \"" HOSTFW_ZONE
			    "\": install netward's zone file as "
			    "/usr/lib/firewalld/zones/" HOSTFW_ZONE
			    ".xml (netward's package does) and run firewall-cmd --reload");
		return nw_err_move(err, &fe);
	}
	log_msg(LOG_INFO, "firewalld: %s bound to zone %s", host_if, HOSTFW_ZONE);
	return 0;
}

static int firewalld_unbind(const char *ifname, nw_err *err)
{
	char line[512];
	cleanup_err nw_err fe = NULL;

	if (firewalld_call("removeInterface", ifname, line, sizeof(line), &fe) < 0) {
		/* Not in the zone (any more): nothing to remove. */
		if (strstr(nw_err_msg(fe), "UNKNOWN_INTERFACE") != NULL)
			return 0;
		return nw_err_move(err, &fe);
	}
	log_msg(LOG_INFO, "firewalld: %s unbound from zone %s", ifname, HOSTFW_ZONE);
	return 0;
}

int hostfw_firewalld_release(const char *host_if, nw_err *err)
{
	if (access(FIREWALLD_MARKER, F_OK) != 0)
		return 0;
	return firewalld_unbind(host_if, err);
}

/* A name netward gives its interfaces (ident.h); or the pattern "nw+" that
 * netward bound in earlier versions. */
static bool netward_ifname(const char *s, size_t n)
{
	char name[NW_IFNAMSIZ];

	if (n == 3 && strncmp(s, HOSTFW_IFGLOB, 3) == 0)
		return true;
	if (n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = '\0';
	return ident_ifname_valid(name);
}

int hostfw_firewalld_close(nw_err *err)
{
	char out[8192];
	int rc = 0;

	if (access(FIREWALLD_MARKER, F_OK) != 0)
		return 0;
	/* Removed first: a firewalld that is gone took its bindings with it. */
	unlink(FIREWALLD_MARKER);
	if (firewalld_call("getInterfaces", NULL, out, sizeof(out), err) < 0)
		return -1;
	/* dbus-send prints each as: string "nw0123456789abc" */
	for (char *p = strstr(out, "string \""); p != NULL; p = strstr(p, "string \"")) {
		char name[32];
		size_t n;

		p += 8;
		n = strcspn(p, "\"\n");
		if (!netward_ifname(p, n) || n >= sizeof(name))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (firewalld_unbind(name, err) < 0)
			rc = -1;
	}
	return rc;
}
