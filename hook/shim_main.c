/* netward-runc: main. Prints the one error line and picks the exit code. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "log.h"
#include "shim.h"
#include "shim_args.h"

/* runc's --log file is where containerd's shim looks for the reason a
 * create failed: add ours there too, in runc's JSON form. */
static void log_file_line(const char *path, const char *msg)
{
	cleanup_close int fd =
	    open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	char q[4096], t[64];
	time_t now = time(NULL);
	struct tm tm;

	if (fd < 0)
		return;
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	/* nw_quote leaves no '"' or '\\', so the message is a valid JSON string. */
	dprintf(fd, "{\"level\":\"error\",\"msg\":\"netward-runc: %s\",\"time\":\"%s\"}\n",
		nw_quote(msg, 1000, q, sizeof(q)), t);
}

static int fail(const struct shim_args *a, nw_err err)
{
	const char *msg = nw_err_msg(err);

	fprintf(stderr, "netward-runc: %s\n", msg);
	log_open("syslog");
	log_msg(LOG_ERR, "netward-runc: %s", msg);
	if (a->log != NULL)
		log_file_line(a->log, msg);
	return 1;
}

int main(int argc, char **argv)
{
	cleanup_err nw_err err = NULL;
	struct shim_args a;
	struct shim_plan plan;

	if (shim_args_parse(argc, argv, &a, &err) < 0 || shim_prepare(&a, &plan, &err) < 0)
		return fail(&a, err);
	if (plan.patched) {
		log_open("syslog");
		log_msg(LOG_INFO, "netward-runc: %zu hooks.d file(s) applied to %s/config.json",
			plan.n_matched, a.bundle ? a.bundle : ".");
	}
	shim_exec(&plan, &a, argc, argv, &err);
	return fail(&a, err);
}
