#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "log.h"

void proc_close_fds_except(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	int fds[1024], nfds = 0;
	struct dirent *e;

	if (d == NULL) {
		for (int fd = 3; fd < 1024; fd++)
			for (size_t i = 0; i <= n; i++)
				if (i == n)
					close(fd);
				else if (keep[i] == fd)
					break;
		return;
	}
	while ((e = readdir(d)) != NULL && nfds < 1024) {
		int fd = atoi(e->d_name);
		if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d))
			continue;
		fds[nfds++] = fd;
	}
	closedir(d);
	for (int i = 0; i < nfds; i++) {
		size_t k;
		for (k = 0; k < n && keep[k] != fds[i]; k++)
			;
		if (k == n)
			close(fds[i]);
	}
}

void proc_stdio_to_null(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		_exit(1);
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			_exit(1);
	if (fd > 2)
		close(fd);
}

/* What the grandchild reports: fn's result and its error. */
struct detached_report {
	int rc;
	int code;
	char msg[1024];
};

static ssize_t read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

static void report_failure(int report, int code, const char *msg)
{
	struct detached_report rep = {.rc = -1, .code = code};

	snprintf(rep.msg, sizeof(rep.msg), "%s: %s", msg, strerror(code));
	(void)io_write_all(report, &rep, sizeof(rep));
}

static void grandchild(int (*fn)(void *, nw_err *), void *arg, int keep_fd, int report)
{
	struct detached_report rep = {0};
	cleanup_err nw_err e = NULL;

	rep.rc = fn(arg, &e);
	if (keep_fd >= 0)
		close(keep_fd);
	if (rep.rc < 0) {
		rep.code = nw_err_code(e);
		snprintf(rep.msg, sizeof(rep.msg), "%s", e != NULL ? nw_err_msg(e) : "failed");
	}
	(void)io_write_all(report, &rep, sizeof(rep));
	close(report);
}

int proc_call_detached(int (*fn)(void *arg, nw_err *err), void *arg, int keep_fd, nw_err *err)
{
	struct detached_report rep;
	int p[2], status;
	pid_t child, grand;
	sigset_t none;

	if (pipe2(p, O_CLOEXEC) < 0)
		return nw_fail(err, errno, "pipe");
	fflush(NULL);
	child = fork();
	if (child < 0) {
		close(p[0]);
		close(p[1]);
		return nw_fail(err, errno, "fork");
	}
	if (child == 0) {
		/* The intermediate exits at once, so the grandchild is nobody's
		 * child here and the caller reaps only this one. */
		grand = fork();
		if (grand < 0)
			report_failure(p[1], errno, "fork");
		if (grand != 0)
			_exit(0);
		int keep[] = {p[1], keep_fd};
		proc_close_fds_except(keep, keep_fd >= 0 ? 2 : 1);
		proc_stdio_to_null();
		/* The monitor blocks signals it reads through a signalfd. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		grandchild(fn, arg, keep_fd, p[1]);
		_exit(0);
	}
	close(p[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (read_all(p[0], &rep, sizeof(rep)) != (ssize_t)sizeof(rep)) {
		close(p[0]);
		return nw_fail(err, 0, "the process doing the work ended without a report");
	}
	close(p[0]);
	if (rep.rc < 0) {
		rep.msg[sizeof(rep.msg) - 1] = '\0';
		nw_fail_code(err, rep.code, "%s", rep.msg);
	}
	return rep.rc;
}

int proc_detach(void (*fn)(void *arg), void *arg, const char *name, const int *keep, size_t n,
		nw_err *err)
{
	int all[16];
	sigset_t none;
	pid_t child;

	if (n + 1 > sizeof(all) / sizeof(all[0]))
		return nw_fail(err, EINVAL, "detaching: too many descriptors to keep");
	memcpy(all, keep, n * sizeof(int));
	all[n] = log_file_fd();
	fflush(NULL);
	child = fork();
	if (child < 0)
		return nw_fail(err, errno, "fork");
	if (child > 0)
		return 0;
	/* Not in the runtime's process group: its signals are not ours. */
	setsid();
	prctl(PR_SET_NAME, name);
	proc_stdio_to_null();
	proc_close_fds_except(all, n + 1);
	if (log_file_fd() < 0)
		log_open("syslog");
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fn(arg);
	_exit(0);
}

uint64_t proc_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (io_read_small(path, buf, sizeof(buf)) < 0)
		return 0;
	/* comm may hold spaces and parentheses: fields start after the last ')'. */
	p = strrchr(buf, ')');
	if (p == NULL)
		return 0;
	/* field 3 is the state (a zombie counts as gone); starttime is field 22. */
	if (p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &start) != 1)
		return 0;
	return start;
}

bool proc_alive(pid_t pid, uint64_t start)
{
	return pid > 0 && start != 0 && proc_start_time(pid) == start;
}
