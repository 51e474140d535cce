#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The log is process-wide by nature (syslog is too); this module is the
 * one place that keeps it. */
static int log_fd = -1;
static int use_syslog = 1;
static char ctx[300];

void log_open(const char *target)
{
	log_close();
	if (target == NULL || strcmp(target, "syslog") == 0) {
		use_syslog = 1;
		openlog("netward", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return;
	}
	use_syslog = 0;
	log_fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (log_fd < 0) {
		/* Never lose a refusal: fall back to syslog. */
		use_syslog = 1;
		openlog("netward", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog(LOG_ERR, "cannot open log file %s: %m; logging to syslog", target);
	}
}

void log_set_context(const char *container_id, const char *job_id)
{
	ctx[0] = '\0';
	if (container_id != NULL && job_id != NULL)
		snprintf(ctx, sizeof(ctx), "container=%s job=%s ", container_id, job_id);
	else if (container_id != NULL)
		snprintf(ctx, sizeof(ctx), "container=%s ", container_id);
}

void log_msg(int prio, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (use_syslog) {
		syslog(prio, "%s%s", ctx, msg);
		return;
	}
	char line[2600], ts[40];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	int n = snprintf(line, sizeof(line), "%s netward[%d]: %s%s\n", ts, (int)getpid(), ctx, msg);
	if (n > 0 &&
	    write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		syslog(prio, "%s%s", ctx, msg);
}

int log_file_fd(void)
{
	return use_syslog ? -1 : log_fd;
}

void log_close(void)
{
	if (log_fd >= 0)
		close(log_fd);
	log_fd = -1;
	closelog();
}
