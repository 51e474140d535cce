/* The node's uid watcher (uidwatch.h). */
#include "uidwatch.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "proc.h"
#include "proxyuid.h"

/* How long the watcher waits for the kernel to confirm its subscription. */
#define UIDWATCH_ACK_MS 1000
/* After lost events, a scan at most this often between answers. */
#define UIDWATCH_LOST_MS 1000

/* A process holding an id of the block, with its ids. */
struct holder {
	pid_t pid;
	uint32_t ids[PROXYUID_IDS];
};

struct uidwatch {
	int cn;	 /* the proc connector */
	int lsn; /* the hooks' socket */
	struct holder *v;
	size_t n, cap;
	bool unsupported; /* no PIDFD_GET_INFO: read /proc/PID/status */
	bool lost;	  /* events were lost: scan again */
};

static bool holds(const uint32_t ids[PROXYUID_IDS])
{
	for (size_t k = 0; k < PROXYUID_IDS; k++)
		if (proxyuid_in_block(ids[k]))
			return true;
	return false;
}

static void forget(struct uidwatch *w, pid_t pid)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].pid == pid) {
			w->v[i] = w->v[--w->n];
			return;
		}
}

/* Records pid's ids when it holds one of the block, else forgets it. A
 * failed allocation counts as lost events: the next look scans. */
static void note(struct uidwatch *w, pid_t pid, const uint32_t ids[PROXYUID_IDS])
{
	size_t i = 0;

	while (i < w->n && w->v[i].pid != pid)
		i++;
	if (!holds(ids)) {
		if (i < w->n)
			w->v[i] = w->v[--w->n];
		return;
	}
	if (i == w->n) {
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 64;
			struct holder *v = realloc(w->v, cap * sizeof(*v));
			if (v == NULL) {
				w->lost = true;
				return;
			}
			w->v = v;
			w->cap = cap;
		}
		w->n++;
	}
	w->v[i].pid = pid;
	memcpy(w->v[i].ids, ids, sizeof(w->v[i].ids));
}

static void reread(struct uidwatch *w, pid_t pid)
{
	uint32_t ids[PROXYUID_IDS];

	if (proxyuid_proc_ids(pid, ids, &w->unsupported) == 1)
		note(w, pid, ids);
	else
		forget(w, pid);
}

static void note_each(pid_t pid, const uint32_t ids[PROXYUID_IDS], void *arg)
{
	note(arg, pid, ids);
}

static void rescan(struct uidwatch *w)
{
	w->n = 0;
	w->lost = false;
	proxyuid_scan(note_each, w);
}

/* Only what the table needs reaches the socket: the subscription's
 * acknowledgement, a new task (process or thread: a thread's ids are its
 * own), exec, id changes and the exit of a task. Offsets: the netlink
 * header (16), struct cn_msg (20), then struct proc_event. Classic BPF
 * loads in network byte order. */
static void event_filter(int fd)
{
	enum { WHAT = 36 };
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, WHAT),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_NONE), 6, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_FORK), 5, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXEC), 4, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_UID), 3, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_GID), 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(PROC_EVENT_EXIT), 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	/* Without it every event comes, and the loop ignores the others. */
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		log_msg(LOG_WARNING, "uid watcher: filtering process events: %m");
}

/* One event of a task, kept by its own id (a thread's ids are its own). */
static void apply(struct uidwatch *w, const struct proc_event *ev)
{
	switch (ev->what) {
	case PROC_EVENT_FORK:
		reread(w, ev->event_data.fork.child_pid);
		break;
	case PROC_EVENT_EXEC:
		/* The other threads are gone (their exits come too). */
		reread(w, ev->event_data.exec.process_pid);
		break;
	case PROC_EVENT_UID:
	case PROC_EVENT_GID:
		reread(w, ev->event_data.id.process_pid);
		break;
	case PROC_EVENT_EXIT:
		forget(w, ev->event_data.exit.process_pid);
		break;
	default:
		break;
	}
}

/* Reads every event queued; -1 with errno when the socket fails otherwise
 * than by lost events. ack, when non-NULL, is set by the subscription's
 * acknowledgement (to its error, 0 for none). */
static int drain(struct uidwatch *w, int *ack)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	const size_t need = sizeof(struct cn_msg) + offsetof(struct proc_event, event_data) +
			    sizeof(struct exit_proc_event);
	ssize_t n;

	while ((n = recv(w->cn, buf, sizeof(buf), 0)) != 0) {
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				w->lost = true;
				continue;
			}
			return -1;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			const struct cn_msg *cn = NLMSG_DATA(h);
			if (h->nlmsg_len < NLMSG_LENGTH(need) || cn->id.idx != CN_IDX_PROC ||
			    cn->id.val != CN_VAL_PROC)
				continue;
			const struct proc_event *ev = (const struct proc_event *)cn->data;
			if (ev->what == PROC_EVENT_NONE && ack != NULL)
				*ack = (int)ev->event_data.ack.err;
			else
				apply(w, ev);
		}
	}
	return 0;
}

/* The proc connector, subscribed; -1 with a reason logged. */
static int connector(struct uidwatch *w)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC};
	struct __attribute__((packed)) {
		struct nlmsghdr nl;
		struct cn_msg cn;
		enum proc_cn_mcast_op op;
	} req = {.nl = {.nlmsg_len = sizeof(req), .nlmsg_type = NLMSG_DONE},
		 .cn = {.id = {CN_IDX_PROC, CN_VAL_PROC}, .len = sizeof(enum proc_cn_mcast_op)},
		 .op = PROC_CN_MCAST_LISTEN};
	int big = 4 << 20, ack = -1;

	w->cn = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
	if (w->cn < 0)
		return -1;
	if (setsockopt(w->cn, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(w->cn, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	event_filter(w->cn);
	if (bind(w->cn, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(w->cn, &req, sizeof(req), 0) < 0)
		return -1;
	/* The kernel answers in the initial namespaces only; elsewhere it
	 * stays silent, and no event would come either. */
	for (int waited = 0; ack < 0 && waited < UIDWATCH_ACK_MS; waited += 50) {
		struct pollfd p = {.fd = w->cn, .events = POLLIN};
		if (poll(&p, 1, 50) > 0 && drain(w, &ack) < 0)
			return -1;
	}
	if (ack != 0) {
		errno = ack < 0 ? ETIMEDOUT : ack;
		return -1;
	}
	return 0;
}

static int listener(struct uidwatch *w)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	_Static_assert(sizeof(UIDWATCH_SOCK) <= sizeof(sa.sun_path), "socket path too long");
	memcpy(sa.sun_path, UIDWATCH_SOCK, sizeof(UIDWATCH_SOCK));
	w->lsn = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (w->lsn < 0)
		return -1;
	unlink(UIDWATCH_SOCK);
	mode_t old = umask(0077);
	int rc = bind(w->lsn, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || listen(w->lsn, 64) < 0)
		return -1;
	return 0;
}

/* Every hook waiting gets the ids held now. */
static void serve(struct uidwatch *w)
{
	static uint8_t used[PROXYUID_COUNT / 8];
	bool drained = false;
	int c;

	while ((c = accept4(w->lsn, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		struct ucred cr;
		socklen_t len = sizeof(cr);
		if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
			close(c);
			continue;
		}
		if (!drained) {
			if (drain(w, NULL) < 0)
				w->lost = true;
			if (w->lost)
				rescan(w);
			memset(used, 0, sizeof(used));
			for (size_t i = 0; i < w->n; i++)
				proxyuid_mark(used, w->v[i].ids);
			drained = true;
		}
		if (send(c, used, sizeof(used), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_msg(LOG_WARNING, "uid watcher: answering a hook: %m");
		close(c);
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

__attribute__((noreturn)) static void watch(pid_t parent)
{
	struct uidwatch w = {.cn = -1, .lsn = -1};
	uint64_t next, scanned;

	int keep[] = {log_file_fd()};

	prctl(PR_SET_NAME, "netward-uidwatch");
	/* It dies with the firewall watcher, which exits with the last job. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(0);
	/* Not the firewall watcher's lock, which says whether it runs. */
	proc_close_fds_except(keep, sizeof(keep) / sizeof(keep[0]));
	if (connector(&w) < 0) {
		log_msg(LOG_INFO,
			"no process events (%m): each http job's setup scans every process for "
			"its proxy uid");
		_exit(0);
	}
	rescan(&w);
	if (listener(&w) < 0) {
		log_msg(LOG_ERR, "uid watcher: listening on " UIDWATCH_SOCK ": %m");
		_exit(0);
	}
	scanned = now_ms();
	next = scanned + UIDWATCH_RESCAN_MS;
	for (;;) {
		struct pollfd p[] = {{.fd = w.cn, .events = POLLIN},
				     {.fd = w.lsn, .events = POLLIN}};
		uint64_t now = now_ms(), wake = w.lost ? scanned + UIDWATCH_LOST_MS : next;
		int n = poll(p, 2, now >= wake ? 0 : (int)(wake - now));

		/* Lost events show as an error on the socket (ENOBUFS), which
		 * drain reads and notes. */
		if (n > 0 && (p[0].revents & (POLLIN | POLLERR)) && drain(&w, NULL) < 0) {
			log_msg(LOG_ERR, "uid watcher: reading process events: %m");
			unlink(UIDWATCH_SOCK);
			_exit(0);
		}
		if (n > 0 && (p[1].revents & POLLIN))
			serve(&w);
		/* Lost events: a scan at most every UIDWATCH_LOST_MS here (a
		 * flood of process events must not keep it scanning), and at
		 * once before an answer (serve). */
		now = now_ms();
		if (now >= next || (w.lost && now >= scanned + UIDWATCH_LOST_MS)) {
			rescan(&w);
			scanned = now_ms();
			next = scanned + UIDWATCH_RESCAN_MS;
		}
	}
}

void uidwatch_start(void)
{
	pid_t parent = getpid(), child;

	fflush(NULL);
	child = fork();
	if (child < 0)
		log_msg(LOG_ERR, "starting the uid watcher: fork: %m");
	else if (child == 0)
		watch(parent);
}

int uidwatch_query(uint8_t *used, size_t len)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	cleanup_close int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct pollfd p = {.events = POLLIN};
	struct ucred cr;
	socklen_t cl = sizeof(cr);

	memcpy(sa.sun_path, UIDWATCH_SOCK, sizeof(UIDWATCH_SOCK));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 0;
	/* Only root's answer counts. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 || cr.uid != 0)
		return 0;
	p.fd = fd;
	if (poll(&p, 1, UIDWATCH_QUERY_MS) != 1)
		return 0;
	return recv(fd, used, len, MSG_DONTWAIT) == (ssize_t)len ? 1 : 0;
}
