#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "counters.h"
#include "fw_blocked.h"
#include "state.h"

/* A label value: backslash, quote and newline escaped as the format says.
 * Job ids never hold them (policy refuses them); the escape is for safety. */
static void label(FILE *out, const char *name, const char *v, bool last)
{
	fprintf(out, "%s=\"", name);
	for (const char *p = v; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else
			fputc(*p, out);
	}
	fputs(last ? "\"" : "\",", out);
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

struct job_row {
	struct job_record r;
	struct job_stats s;
	struct fw_blocked b;
};

static void job_sample(FILE *out, const char *name, const struct job_row *j, const char *extra,
		       const char *extra_v, int64_t v)
{
	fprintf(out, "%s{", name);
	label(out, "job", j->r.job_id, false);
	label(out, "container", j->r.id, false);
	label(out, "mode", mode_name(j->r.mode), extra == NULL);
	if (extra != NULL)
		label(out, extra, extra_v, true);
	fprintf(out, "} %lld\n", (long long)v);
}

/* The job families: each sample reads one field of the job's proxy stats,
 * or (JOB_BLOCKED) the firewall's count of its refused packets. */
#define JOB_STAT(f) offsetof(struct job_stats, f)
#define JOB_BLOCKED SIZE_MAX

struct job_family {
	const char *name, *type, *help;
	const char *label; /* NULL: one sample per job */
	struct {
		const char *value;
		size_t at;
	} v[3];
	size_t n;
};

static const struct job_family job_families[] = {
    {"netward_job_bytes_up_total",
     "counter",
     "Bytes the job sent upstream through its proxy.",
     NULL,
     {{NULL, JOB_STAT(bytes_up)}},
     1},
    {"netward_job_bytes_down_total",
     "counter",
     "Bytes the job received through its proxy.",
     NULL,
     {{NULL, JOB_STAT(bytes_down)}},
     1},
    {"netward_job_requests_total",
     "counter",
     "Requests and tunnels the job's proxy judged, by decision.",
     "decision",
     {{"allowed", JOB_STAT(allowed)},
      {"denied", JOB_STAT(denied)},
      {"reported", JOB_STAT(reported)}},
     3},
    {"netward_job_blocked_total",
     "counter",
     "Packets of the job the firewall refused (reset or ICMP prohibited).",
     NULL,
     {{NULL, JOB_BLOCKED}},
     1},
    {"netward_job_live_connections",
     "gauge",
     "Client connections open on the job's proxy.",
     NULL,
     {{NULL, JOB_STAT(conns)}},
     1},
    {"netward_job_log_lines_dropped_total",
     "counter",
     "Access log lines the job's capped log lost (the node log has them).",
     NULL,
     {{NULL, JOB_STAT(log_dropped)}},
     1},
};

static int64_t job_value(const struct job_row *j, size_t at)
{
	int64_t v;

	if (at == JOB_BLOCKED)
		return (int64_t)j->b.count;
	memcpy(&v, (const char *)&j->s + at, sizeof(v));
	return v;
}

/* One family per counter, every job's sample under it (the format wants
 * a family's samples together). */
static void jobs_print(FILE *out, const struct job_row *j, size_t n)
{
	for (size_t f = 0; f < sizeof(job_families) / sizeof(job_families[0]); f++) {
		const struct job_family *m = &job_families[f];

		head(out, m->name, m->type, m->help);
		for (size_t i = 0; i < n; i++)
			for (size_t k = 0; k < m->n; k++)
				job_sample(out, m->name, &j[i], m->label, m->v[k].value,
					   job_value(&j[i], m->v[k].at));
	}
}

static void node_family(FILE *out, const struct nw_counter *c, int n, const char *name,
			const char *metric, const char *lname, const char *help)
{
	head(out, metric, "counter", help);
	for (int i = 0; i < n; i++) {
		if (strcmp(c[i].name, name) != 0)
			continue;
		fprintf(out, "%s{", metric);
		label(out, lname, c[i].label, true);
		fprintf(out, "} %llu\n", (unsigned long long)c[i].value);
	}
}

static void node_print(FILE *out, const struct job_row *j, size_t n)
{
	struct nw_counter c[NW_COUNTERS_MAX];
	int nc = counters_read(c, NW_COUNTERS_MAX);
	static const enum nw_mode modes[] = {NW_MODE_NONE, NW_MODE_HTTP, NW_MODE_FULL};

	head(out, "netward_jobs", "gauge", "Jobs with a record on this node, by network mode.");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		long long k = 0;
		for (size_t i = 0; i < n; i++)
			k += j[i].r.mode == modes[m];
		fputs("netward_jobs{", out);
		label(out, "mode", mode_name(modes[m]), true);
		fprintf(out, "} %lld\n", k);
	}
	node_family(out, c, nc, "setups", "netward_setups_total", "mode",
		    "Jobs set up since boot, by network mode.");
	node_family(out, c, nc, "refusals", "netward_refusals_total", "reason",
		    "Jobs refused at setup since boot, by the stage that refused them.");
	node_family(out, c, nc, "gc_removed", "netward_gc_removals_total", "kind",
		    "What gc removed since boot, by kind.");
}

/* The rows read, each record freed with the array. */
struct job_rows {
	struct job_row *v;
	size_t cap;
};

static void job_rows_free(struct job_rows *rs)
{
	for (size_t i = 0; rs->v != NULL && i < rs->cap; i++)
		state_record_free(&rs->v[i].r);
	nw_freep(&rs->v);
}
#define cleanup_job_rows __attribute__((cleanup(job_rows_free)))

int metrics_print(FILE *out, nw_err *err)
{
	cleanup_strv char **ids = NULL;
	cleanup_job_rows struct job_rows rs = {0};
	size_t n = 0, k = 0;
	cleanup_fw_snapshot struct fw_snapshot snap = {0};
	cleanup_err nw_err serr = NULL;

	if (state_list(&ids, err) < 0)
		return -1;
	while (ids[n] != NULL)
		n++;
	rs.v = calloc(n + 1, sizeof(*rs.v));
	rs.cap = n + 1;
	if (rs.v == NULL)
		return nw_fail(err, ENOMEM, "reading job records");
	struct job_row *rows = rs.v;
	/* Without the firewall's figures (no table yet) blocked reads 0. */
	fw_blocked_snapshot(&snap, &serr);
	for (size_t i = 0; i < n; i++) {
		cleanup_err nw_err e = NULL;
		if (state_read(ids[i], &rows[k].r, &e) == 1) {
			state_read_stats(rows[k].r.id, &rows[k].s);
			fw_blocked_of(&snap, rows[k].r.host_if, &rows[k].b);
			k++;
		}
	}
	jobs_print(out, rows, k);
	node_print(out, rows, k);
	if (fflush(out) != 0 || ferror(out))
		return nw_fail(err, errno, "writing the metrics");
	return 0;
}

int metrics_write_textfile(nw_err *err)
{
	const char *dir = getenv("NETWARD_TEXTFILE_DIR");
	char path[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	cleanup_close int fd = -1;
	cleanup_file FILE *f = NULL;

	if (dir == NULL || dir[0] == '\0')
		dir = NW_TEXTFILE_DIR;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, NW_TEXTFILE_NAME);
	/* A name the collector skips (it reads *.prom only). */
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, NW_TEXTFILE_NAME, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || (f = fdopen(steal_fd(&fd), "w")) == NULL)
		return nw_fail(err, errno, "writing %s", tmp);
	if (metrics_print(f, err) < 0) {
		unlink(tmp);
		return nw_wrap(err, "writing %s", tmp);
	}
	if (fsync(fileno(f)) < 0) {
		int e = errno;
		unlink(tmp);
		return nw_fail(err, e, "writing %s", tmp);
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return nw_fail(err, e, "renaming %s to %s", tmp, path);
	}
	return 1;
}
