/* One precreate hook: a child with two pipes, fed and drained in one poll
 * loop (a config.json is larger than a pipe buffer), under its timeout. */
#include "shim_precreate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "oci.h"
#include "io.h"

struct io {
	const char *in;
	size_t in_len, in_off;
	char *out;
	size_t out_len;
	int to, from; /* our ends */
};

static char **strv(const struct json *arr, const char *first)
{
	size_t n = arr ? arr->n : 0;
	char **v = calloc(n + 2, sizeof(*v));

	if (v == NULL)
		return NULL;
	if (n == 0 && first != NULL)
		v[0] = (char *)first;
	for (size_t i = 0; i < n; i++)
		v[i] = arr->v[i]->s;
	return v;
}

/* Feeds and drains until the hook closes its stdout. */
static int pump(struct io *io, long timeout_s, nw_err *err)
{
	long long deadline = timeout_s > 0 ? (long long)io_now_ms() + timeout_s * 1000LL : -1;

	while (io->from >= 0) {
		struct pollfd p[2] = {{.fd = io->from, .events = POLLIN},
				      {.fd = io->to, .events = POLLOUT}};
		int wait = deadline < 0 ? -1 : (int)(deadline - (long long)io_now_ms());
		if (deadline >= 0 && wait <= 0)
			return nw_fail(err, 0, "timed out after %ld s", timeout_s);
		if (poll(p, io->to >= 0 ? 2 : 1, wait) < 0) {
			if (errno == EINTR)
				continue;
			return nw_fail(err, errno, "poll");
		}
		if (io->to >= 0 && p[1].revents) {
			ssize_t w = write(io->to, io->in + io->in_off, io->in_len - io->in_off);
			if (w > 0)
				io->in_off += (size_t)w;
			/* EPIPE: the hook stopped reading; its output decides. */
			if ((w < 0 && errno != EAGAIN && errno != EINTR) ||
			    io->in_off == io->in_len)
				nw_closep(&io->to);
		}
		if (p[0].revents) {
			ssize_t r =
			    read(io->from, io->out + io->out_len, OCI_CONFIG_MAX + 1 - io->out_len);
			if (r < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (r < 0)
				return nw_fail(err, errno, "reading its output");
			if (r == 0)
				nw_closep(&io->from);
			io->out_len += (size_t)r;
			if (io->out_len > OCI_CONFIG_MAX)
				return nw_fail(err, 0, "output larger than %d bytes",
					       OCI_CONFIG_MAX);
		}
	}
	return 0;
}

static pid_t spawn(const struct hooksd_hook *h, const char *bundle, int in[2], int out[2],
		   nw_err *err)
{
	cleanup_free char **argv = strv(json_get_arr(h->hook, "args"), h->path);
	cleanup_free char **envp = strv(json_get_arr(h->hook, "env"), NULL);
	pid_t pid;

	if (argv == NULL || envp == NULL)
		return nw_fail(err, ENOMEM, "spawning");
	pid = fork();
	if (pid < 0)
		return nw_fail(err, errno, "fork");
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		if (chdir(bundle) < 0 || dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		execve(h->path, argv, envp);
		_exit(127);
	}
	return pid;
}

static int finish(pid_t pid, bool kill_it, nw_err *err)
{
	int st;

	if (kill_it)
		kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return nw_fail(err, errno, "waitpid");
	if (kill_it)
		return -1;
	if (WIFSIGNALED(st))
		return nw_fail(err, 0, "killed by signal %d", WTERMSIG(st));
	if (WEXITSTATUS(st) != 0)
		return nw_fail(err, 0, "exited with status %d", WEXITSTATUS(st));
	return 0;
}

static int run(const struct hooksd_hook *h, const char *bundle, struct io *io, nw_err *err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	pid_t pid;
	int rc;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		rc = nw_fail(err, errno, "pipe");
		goto done;
	}
	pid = spawn(h, bundle, in, out, err);
	if (pid < 0) {
		rc = -1;
		goto done;
	}
	nw_closep(&in[0]);
	nw_closep(&out[1]);
	io->to = steal_fd(&in[1]);
	io->from = steal_fd(&out[0]);
	fcntl(io->to, F_SETFL, O_NONBLOCK);
	rc = pump(io, h->timeout, err);
	nw_closep(&io->to);
	nw_closep(&io->from);
	if (finish(pid, rc < 0, err) < 0)
		rc = -1;
done:
	nw_closep(&in[0]);
	nw_closep(&in[1]);
	nw_closep(&out[0]);
	nw_closep(&out[1]);
	return rc;
}

int shim_precreate(const struct hooksd_hook *h, const char *bundle, struct json **conf, nw_err *err)
{
	cleanup_free char *text = json_render(*conf, false, err);
	cleanup_free char *out = malloc(OCI_CONFIG_MAX + 1);
	struct io io = {.to = -1, .from = -1};
	struct sigaction ign = {.sa_handler = SIG_IGN}, old;
	cleanup_json struct json *next = NULL;
	int rc;

	if (text == NULL || out == NULL)
		return nw_fail(err, ENOMEM, "precreate hook of hooks.d file %s", h->name);
	io.in = text;
	io.in_len = strlen(text);
	io.out = out;
	sigaction(SIGPIPE, &ign, &old);
	rc = run(h, bundle, &io, err);
	sigaction(SIGPIPE, &old, NULL);
	if (rc < 0)
		return nw_wrap(err, "precreate hook %s of hooks.d file %s", h->path, h->name);
	next = json_parse(out, io.out_len, err);
	if (next == NULL || next->type != JSON_OBJECT) {
		nw_fail(err, 0, "not a JSON object");
		return nw_wrap(err, "output of precreate hook %s of hooks.d file %s", h->path,
			       h->name);
	}
	/* The caller's config is replaced by the hook's. */
	json_free(*conf);
	*conf = steal_ptr(&next);
	return 0;
}
