/* The monitor's start-up spec (monitor_spec.h): JSON both ways. */
#include "monitor_spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "json.h"
#include "mode.h"

static const char *const fd_names[] = {"listen", "intercept", "dns_udp", "dns_tcp", "log",
				       "stats",	 "report",    "relay_r", "relay_w"};
#define N_FDS (sizeof(fd_names) / sizeof(fd_names[0]))

/* The spec's descriptors in fd_names' order. */
static int *fd_slot(struct monitor_spec *s, size_t i)
{
	int *slots[N_FDS] = {&s->socks.listen,	&s->socks.intercept, &s->socks.dns_udp,
			     &s->socks.dns_tcp, &s->log_fd,	     &s->stats_fd,
			     &s->report_fd,	&s->relay[0],	     &s->relay[1]};
	return slots[i];
}

char *monitor_spec_render(const struct monitor_spec *s, nw_err *err)
{
	cleanup_json struct json *o = json_new(JSON_OBJECT);
	cleanup_free char *cfg = config_render(&s->cfg, err);
	cleanup_free char *domains = NULL;
	struct monitor_spec *m = (struct monitor_spec *)s;
	struct json *fds;

	if (cfg == NULL)
		return NULL;
	if (s->r.mode == NW_MODE_HTTP &&
	    (domains = policy_domains_csv(&s->pol.domains, err)) == NULL)
		return NULL;
	if (o == NULL) {
		nw_fail(err, ENOMEM, "the monitor's spec");
		return NULL;
	}
	if (json_set(o, "config", json_new_str(cfg), err) < 0 ||
	    json_set(o, "id", json_new_str(s->r.id), err) < 0 ||
	    json_set(o, "job_id", json_new_str(s->pol.job_id ? s->pol.job_id : s->r.job_id), err) <
		0 ||
	    json_set(o, "mode", json_new_str(mode_name(s->r.mode)), err) < 0 ||
	    json_set(o, "host_if", json_new_str(s->r.host_if), err) < 0 ||
	    json_set(o, "addr", json_new_str(s->r.addr), err) < 0 ||
	    json_set(o, "proxy_uid", json_new_int(s->r.proxy_uid), err) < 0 ||
	    json_set(o, "pid", json_new_int(s->r.pid), err) < 0 ||
	    json_set(o, "pid_start", json_new_int((int64_t)s->r.pid_start), err) < 0 ||
	    json_set(o, "domains", json_new_str(domains ? domains : ""), err) < 0 ||
	    json_set(o, "cgroup", json_new_str(s->cgroup ? s->cgroup : ""), err) < 0 ||
	    json_set(o, "fds", fds = json_new(JSON_OBJECT), err) < 0)
		return NULL;
	for (size_t i = 0; i < N_FDS; i++)
		if (json_set(fds, fd_names[i], json_new_int(*fd_slot(m, i)), err) < 0)
			return NULL;
	return json_render(o, false, err);
}

/* A string member that fits buf (size len). */
static int get_str(const struct json *o, const char *key, char *buf, size_t len, nw_err *err)
{
	const char *v = json_get_str(o, key);

	if (v == NULL)
		return nw_fail(err, EINVAL, "the monitor's spec has no \"%s\"", key);
	if (strlen(v) >= len)
		return nw_fail(err, ENAMETOOLONG, "the monitor's spec: \"%s\" too long", key);
	strcpy(buf, v);
	return 0;
}

static int parse_fds(const struct json *o, struct monitor_spec *s, nw_err *err)
{
	const struct json *fds = json_get_obj(o, "fds");

	if (fds == NULL)
		return nw_fail(err, EINVAL, "the monitor's spec has no \"fds\"");
	for (size_t i = 0; i < N_FDS; i++) {
		int64_t v;
		if (json_int(json_get(fds, fd_names[i]), -1, 65535, &v, NULL) < 0 ||
		    (v >= 0 && v < 3))
			return nw_fail(err, EINVAL,
				       "the monitor's spec: fd \"%s\" is no descriptor",
				       fd_names[i]);
		*fd_slot(s, i) = (int)v;
	}
	return 0;
}

static int parse_job(const struct json *o, struct monitor_spec *s, nw_err *err)
{
	char mode[16];
	int64_t uid;

	if (get_str(o, "id", s->r.id, sizeof(s->r.id), err) < 0 ||
	    get_str(o, "job_id", s->r.job_id, sizeof(s->r.job_id), err) < 0 ||
	    get_str(o, "mode", mode, sizeof(mode), err) < 0 ||
	    get_str(o, "host_if", s->r.host_if, sizeof(s->r.host_if), err) < 0 ||
	    get_str(o, "addr", s->r.addr, sizeof(s->r.addr), err) < 0)
		return -1;
	if (mode_parse(mode, &s->r.mode) < 0 || s->r.mode == NW_MODE_NONE)
		return nw_fail(err, EINVAL, "the monitor's spec: mode \"%s\"", mode);
	if (json_int(json_get(o, "proxy_uid"), 0, UINT32_MAX - 1, &uid, NULL) < 0)
		return nw_fail(err, EINVAL, "the monitor's spec: proxy_uid");
	s->r.proxy_uid = (uid_t)uid;
	int64_t pid, start;
	if (json_int(json_get(o, "pid"), 1, INT32_MAX, &pid, NULL) < 0 ||
	    json_int(json_get(o, "pid_start"), 0, INT64_MAX, &start, NULL) < 0)
		return nw_fail(err, EINVAL, "the monitor's spec: the container's pid");
	s->r.pid = (pid_t)pid;
	s->r.pid_start = (uint64_t)start;
	s->pol.mode = s->r.mode;
	/* The config is the one the job was set up with: its proxy port is
	 * the one the guard's allowances name. */
	s->r.proxy_port = s->cfg.proxy_port;
	s->r.intercept = s->cfg.intercept;
	s->pol.job_id = strdup(s->r.job_id);
	if (s->pol.job_id == NULL)
		return nw_fail(err, ENOMEM, "the monitor's spec");
	const char *domains = json_get_str(o, "domains");
	if (domains == NULL)
		return nw_fail(err, EINVAL, "the monitor's spec has no \"domains\"");
	if (s->r.mode == NW_MODE_HTTP && domain_list_parse(&s->pol.domains, domains, err) < 0)
		return nw_wrap(err, "the monitor's spec: domains");
	return 0;
}

int monitor_spec_parse(const char *text, size_t len, struct monitor_spec *s, nw_err *err)
{
	cleanup_json struct json *o = NULL;
	const char *cfg;

	memset(s, 0, sizeof(*s));
	s->socks = (struct jobsock)JOBSOCK_NONE;
	s->log_fd = s->stats_fd = s->report_fd = s->relay[0] = s->relay[1] = -1;
	o = json_parse(text, len, err);
	if (o == NULL)
		return nw_wrap(err, "the monitor's spec");
	if ((cfg = json_get_str(o, "config")) == NULL)
		return nw_fail(err, EINVAL, "the monitor's spec has no \"config\"");
	if (config_parse(&s->cfg, cfg, strlen(cfg), err) < 0)
		return nw_wrap(err, "the monitor's spec: config");
	if (parse_job(o, s, err) < 0 || parse_fds(o, s, err) < 0)
		return -1;
	const char *cg = json_get_str(o, "cgroup");
	if (cg == NULL || cg[0] != '/')
		return nw_fail(err, EINVAL, "the monitor's spec: no cgroup directory");
	if ((s->cgroup_buf = strdup(cg)) == NULL)
		return nw_fail(err, ENOMEM, "the monitor's spec");
	s->cgroup = s->cgroup_buf;
	if (s->report_fd < 0 || (s->r.mode == NW_MODE_HTTP && s->socks.listen < 0))
		return nw_fail(err, EINVAL,
			       "the monitor's spec: no report pipe, or an http job "
			       "without its sockets");
	return 0;
}

void monitor_spec_free(struct monitor_spec *s)
{
	config_free(&s->cfg);
	policy_free(&s->pol);
	free(s->cgroup_buf);
	s->cgroup_buf = NULL;
}
