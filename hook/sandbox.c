/* The proxy's sandbox (see sandbox.h), gmid's sandbox.c and OpenBSD's
 * proc_run in spirit: everything the proxy needs is opened before this. */
#include "sandbox.h"

#include <errno.h>
#include <grp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cleanup.h"

static const char *const proxy_syscalls[] = {
#include "proxy_syscalls.h"
};

#ifdef NW_SANITIZER
#include <fcntl.h>
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Sanitizer builds only (make SAN=1): what the runtimes need to report
 * from inside the sandbox (seccomp/proxy-sanitizer.syscalls). */
static const char *const sanitizer_syscalls[] = {
#include "proxy_sanitizer_syscalls.h"
};

/* GCC links UBSan as a runtime of its own, which always reports on fd 2
 * (its log_path reaches ASan's copy instead). The hook's proxy has fd 2
 * on /dev/null: point it at NW_SAN_LOG_DIR/stderr.PID, which stays empty
 * unless something reports. */
static void sanitizer_stderr(void)
{
	struct stat st;
	char path[256];
	int fd;

	if (fstat(STDERR_FILENO, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		return;
	snprintf(path, sizeof(path), "%s/stderr.%d", NW_SAN_LOG_DIR, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0 && fd != STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}
#endif

/* The access log is the only file the proxy writes; 1 GiB bounds it. */
#define SANDBOX_FSIZE (1ULL << 30)

static void cap_freep(cap_t *c)
{
	if (*c != NULL)
		cap_free(*c);
	*c = NULL;
}
#define cleanup_cap __attribute__((cleanup(cap_freep)))

static void seccomp_releasep(scmp_filter_ctx *c)
{
	if (*c != NULL)
		seccomp_release(*c);
	*c = NULL;
}
#define cleanup_seccomp __attribute__((cleanup(seccomp_releasep)))

static int set_limit(int res, rlim_t v, const char *name, nw_err *err)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) < 0)
		return nw_fail(err, errno, "getrlimit %s", name);
	/* Only ever lower a limit. */
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < v)
		v = rl.rlim_max;
	rl.rlim_cur = rl.rlim_max = v;
	if (setrlimit(res, &rl) < 0)
		return nw_fail(err, errno, "setrlimit %s", name);
	return 0;
}

static int limits(nw_err *err)
{
	if (set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE", err) < 0 ||
	    set_limit(RLIMIT_FSIZE, SANDBOX_FSIZE, "RLIMIT_FSIZE", err) < 0 ||
	    set_limit(RLIMIT_NPROC, 0, "RLIMIT_NPROC", err) < 0)
		return -1;
	return 0;
}

static int drop_bounding(bool root, nw_err *err)
{
	for (int c = 0; c < (int)cap_max_bits(); c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue;
		/* Without CAP_SETPCAP (not root) the bounding set cannot be
		 * changed; no_new_privs and seccomp then keep exec from using it. */
		if (cap_drop_bound(c) < 0 && (root || errno != EPERM))
			return nw_fail(err, errno, "dropping capability %d from the bounding set",
				       c);
	}
	return 0;
}

static int change_ids(uid_t uid, gid_t gid, nw_err *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (uid == 0 || gid == 0)
		return nw_fail(err, EPERM, "refusing to run the proxy as root (uid %u, gid %u)",
			       (unsigned)uid, (unsigned)gid);
	if (setgroups(0, NULL) < 0)
		return nw_fail(err, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		return nw_fail(err, errno, "setresgid %u", (unsigned)gid);
	if (setresuid(uid, uid, uid) < 0)
		return nw_fail(err, errno, "setresuid %u", (unsigned)uid);
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return nw_fail(err, errno, "getresuid");
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return nw_fail(err, EPERM, "ids did not change as asked");
	if (setuid(0) == 0 || setgid(0) == 0)
		return nw_fail(err, EPERM, "root could be regained after dropping it");
	return 0;
}

/* The kernel clears the parent-death signal when the ids change
 * (change_ids): sig, read before, is set again, so a proxy never outlives
 * the process that started it (its monitor); then that parent must still
 * be the one from before. */
static int keep_death_signal(int sig, pid_t parent, nw_err *err)
{
	if (sig == 0)
		return 0;
	if (prctl(PR_SET_PDEATHSIG, sig) < 0)
		return nw_fail(err, errno, "PR_SET_PDEATHSIG");
	if (getppid() != parent)
		return nw_fail(err, ESRCH, "the process that started the proxy is gone");
	return 0;
}

static int drop_caps(nw_err *err)
{
	cleanup_cap cap_t empty = cap_init();
	cleanup_cap cap_t now = NULL;

	if (empty == NULL)
		return nw_fail(err, errno, "cap_init");
	if (cap_set_proc(empty) < 0)
		return nw_fail(err, errno, "clearing capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return nw_fail(err, errno, "clearing ambient capabilities");
	now = cap_get_proc();
	if (now == NULL)
		return nw_fail(err, errno, "cap_get_proc");
	if (cap_compare(now, empty) != 0)
		return nw_fail(err, EPERM, "capabilities remain after dropping them");
	return 0;
}

static int allow_list(scmp_filter_ctx ctx, const char *const *names, size_t n, const char *file,
		      nw_err *err)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int rc;

		if (nr == __NR_SCMP_ERROR)
			return nw_fail(err, EINVAL, "%s: unknown syscall \"%s\"", file, names[i]);
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (rc < 0)
			return nw_fail(err, -rc, "seccomp: allowing %s", names[i]);
	}
	return 0;
}

static int load_seccomp(nw_err *err)
{
	cleanup_seccomp scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc;

	if (ctx == NULL)
		return nw_fail(err, ENOMEM, "seccomp_init");
	if (allow_list(ctx, proxy_syscalls, sizeof(proxy_syscalls) / sizeof(proxy_syscalls[0]),
		       "seccomp/proxy.syscalls", err) < 0)
		return -1;
#ifdef NW_SANITIZER
	if (allow_list(ctx, sanitizer_syscalls,
		       sizeof(sanitizer_syscalls) / sizeof(sanitizer_syscalls[0]),
		       "seccomp/proxy-sanitizer.syscalls", err) < 0)
		return -1;
#endif
	rc = seccomp_load(ctx);
	if (rc < 0)
		return nw_fail(err, -rc, "seccomp_load");
	return 0;
}

int sandbox_enter(uid_t uid, gid_t gid, nw_err *err)
{
	bool root = geteuid() == 0;

#ifdef NW_SANITIZER
	/* LeakSanitizer's check at exit stops the world with a ptrace'd
	 * thread, which the rlimits and the allow-list forbid: check now,
	 * once, which also turns the exit-time check off. */
	__lsan_do_leak_check();
	sanitizer_stderr();
#endif
	if (limits(err) < 0 || drop_bounding(root, err) < 0)
		return nw_wrap(err, "sandbox");
	int death_sig = 0;
	pid_t parent = getppid();
	if (prctl(PR_GET_PDEATHSIG, &death_sig) < 0)
		death_sig = 0;
	if (root &&
	    (change_ids(uid, gid, err) < 0 || keep_death_signal(death_sig, parent, err) < 0))
		return nw_wrap(err, "sandbox");
	if (drop_caps(err) < 0)
		return nw_wrap(err, "sandbox");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		nw_fail(err, errno, "PR_SET_NO_NEW_PRIVS");
		return nw_wrap(err, "sandbox");
	}
	if (load_seccomp(err) < 0)
		return nw_wrap(err, "sandbox");
	return 0;
}
