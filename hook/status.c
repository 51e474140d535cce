#include "status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "fw_blocked.h"
#include "job.h"
#include "json.h"
#include "state.h"
#include "config.h"

static int set_int(struct json *o, const char *k, int64_t v, nw_err *err)
{
	return json_set(o, k, json_new_int(v), err);
}

static int set_str(struct json *o, const char *k, const char *v, nw_err *err)
{
	return json_set(o, k, json_new_str(v), err);
}

static struct json *blocked_json(const struct fw_blocked *b, nw_err *err)
{
	cleanup_json struct json *a = json_new(JSON_ARRAY);

	if (a == NULL) {
		nw_fail(err, ENOMEM, "listing blocked destinations");
		return NULL;
	}
	for (size_t i = 0; i < b->n; i++) {
		cleanup_json struct json *d = json_new(JSON_OBJECT);
		if (set_str(d, "address", b->d[i].addr, err) < 0 ||
		    set_str(d, "protocol", b->d[i].proto, err) < 0 ||
		    set_int(d, "port", b->d[i].port, err) < 0 ||
		    json_push(a, steal_ptr(&d), err) < 0)
			return NULL;
	}
	return steal_ptr(&a);
}

static const char *state_name(const struct job_record *r, bool alive)
{
	return r->phase == JOB_SETUP ? "setting-up" : alive ? "running" : "gone";
}

static struct json *job_json(const struct job_record *r, const struct job_stats *c,
			     const struct fw_blocked *b, bool alive, nw_err *err)
{
	cleanup_json struct json *o = json_new(JSON_OBJECT);

	if (set_str(o, "id", r->id, err) < 0 || set_str(o, "job_id", r->job_id, err) < 0 ||
	    set_str(o, "mode", mode_name(r->mode), err) < 0 ||
	    set_str(o, "state", state_name(r, alive), err) < 0 ||
	    set_str(o, "domains", r->domains ? r->domains : "", err) < 0 ||
	    set_str(o, "gateway", r->mode == NW_MODE_NONE ? "" : NW_GATEWAY, err) < 0 ||
	    set_str(o, "address", r->addr, err) < 0 ||
	    set_str(o, "interface", r->host_if, err) < 0 || set_int(o, "pid", r->pid, err) < 0 ||
	    set_int(o, "proxy_pid", r->proxy_pid, err) < 0 ||
	    set_int(o, "proxy_uid", r->proxy_uid, err) < 0 ||
	    set_int(o, "bytes_up", c->bytes_up, err) < 0 ||
	    set_int(o, "bytes_down", c->bytes_down, err) < 0 ||
	    set_int(o, "requests_allowed", c->allowed, err) < 0 ||
	    set_int(o, "requests_denied", c->denied, err) < 0 ||
	    set_int(o, "requests_reported", c->reported, err) < 0 ||
	    set_int(o, "live_connections", c->conns, err) < 0 ||
	    set_int(o, "access_log_lines_dropped", c->log_dropped, err) < 0 ||
	    set_int(o, "blocked", (int64_t)b->count, err) < 0 ||
	    json_set(o, "blocked_recent", blocked_json(b, err), err) < 0 ||
	    set_int(o, "age_seconds", time(NULL) - r->created, err) < 0) {
		nw_wrap(err, "the status of job %s", r->id);
		return NULL;
	}
	return steal_ptr(&o);
}

static const char *human(int64_t b, char *buf, size_t len)
{
	static const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)b;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f%s" : "%.0f%s", v, unit[u]);
	return buf;
}

/* A 64-hex-digit runtime id is shown as its first 12 digits, as podman
 * does; any other id in full, so names stay unambiguous. */
static const char *short_id(const char *id, char *buf, size_t len)
{
	if (strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64)
		snprintf(buf, len, "%.12s", id);
	else
		snprintf(buf, len, "%s", id);
	return buf;
}

static void print_row(FILE *out, int w_id, int w_job, const struct job_record *r,
		      const struct job_stats *c, const struct fw_blocked *b, bool alive)
{
	char up[16], down[16], age[16], id[NW_ID_MAX + 1], job[NW_ID_MAX + 1];
	int64_t a = time(NULL) - r->created;

	snprintf(age, sizeof(age),
		 a >= 3600 ? "%lldh"
		 : a >= 60 ? "%lldm"
			   : "%llds",
		 (long long)(a >= 3600 ? a / 3600
			     : a >= 60 ? a / 60
				       : a));
	char uid[16];

	snprintf(uid, sizeof(uid), r->proxy_uid ? "%u" : "-", (unsigned)r->proxy_uid);
	fprintf(out, "%-*s %-*s %-5s %-8s %-15s %-8d %-10s %9s %9s %7lld %7lld %7llu %5s  %s\n",
		w_id, short_id(r->id, id, sizeof(id)), w_job, short_id(r->job_id, job, sizeof(job)),
		mode_name(r->mode),
		r->phase == JOB_SETUP ? "setup"
		: alive		      ? "running"
				      : "gone",
		r->addr[0] ? r->addr : "-", (int)r->proxy_pid, uid,
		human(c->bytes_up, up, sizeof(up)), human(c->bytes_down, down, sizeof(down)),
		(long long)c->allowed, (long long)c->denied, (unsigned long long)b->count, age,
		r->domains && r->domains[0] ? r->domains : "-");
}

static int width(const char *id, int cur)
{
	char buf[NW_ID_MAX + 1];
	int n = (int)strlen(short_id(id, buf, sizeof(buf)));
	return n > cur ? n : cur;
}

/* The records read, each freed with the array. */
struct records {
	struct job_record *r;
	size_t cap, n;
};

static void records_free(struct records *rs)
{
	for (size_t i = 0; rs->r != NULL && i < rs->cap; i++)
		state_record_free(&rs->r[i]);
	nw_freep(&rs->r);
}
#define cleanup_records __attribute__((cleanup(records_free)))

int status_print(bool as_json, FILE *out, nw_err *err)
{
	cleanup_strv char **ids = NULL;
	cleanup_json struct json *arr = json_new(JSON_ARRAY);
	cleanup_free char *text = NULL;
	cleanup_records struct records recs = {0};
	cleanup_free int64_t *dropped = NULL, *reported = NULL;
	cleanup_free struct fw_blocked *blk = NULL;
	cleanup_fw_snapshot struct fw_snapshot snap = {0};
	cleanup_err nw_err serr = NULL;
	size_t n = 0;
	int w_id = 9, w_job = 3;

	if (arr == NULL)
		return nw_fail(err, ENOMEM, "listing jobs");
	if (state_list(&ids, err) < 0)
		return -1;
	while (ids[n] != NULL)
		n++;
	recs.r = calloc(n + 1, sizeof(*recs.r));
	recs.cap = n + 1;
	dropped = calloc(n + 1, sizeof(*dropped));
	reported = calloc(n + 1, sizeof(*reported));
	blk = calloc(n + 1, sizeof(*blk));
	if (recs.r == NULL || dropped == NULL || reported == NULL || blk == NULL)
		return nw_fail(err, ENOMEM, "reading job records");
	for (size_t i = 0; i < n; i++) {
		cleanup_err nw_err e = NULL;
		if (state_read(ids[i], &recs.r[recs.n], &e) == 1) {
			w_id = width(recs.r[recs.n].id, w_id);
			w_job = width(recs.r[recs.n].job_id, w_job);
			recs.n++;
		}
	}
	if (!as_json)
		fprintf(out, "%-*s %-*s %-5s %-8s %-15s %-8s %-10s %9s %9s %7s %7s %7s %5s  %s\n",
			w_id, "CONTAINER", w_job, "JOB", "MODE", "STATE", "ADDRESS", "PROXY",
			"PROXY-UID", "UP", "DOWN", "ALLOWED", "DENIED", "BLOCKED", "AGE",
			"DOMAINS");
	/* Without the firewall's figures (no table yet, not root) the
	 * counts read zero; the rest of the status stands. */
	fw_blocked_snapshot(&snap, &serr);
	for (size_t i = 0; i < recs.n; i++) {
		const struct job_record *r = &recs.r[i];
		struct job_stats c;
		state_read_stats(r->id, &c);
		bool alive = job_alive(r);
		fw_blocked_of(&snap, r->host_if, &blk[i]);
		if (as_json && json_push(arr, job_json(r, &c, &blk[i], alive, err), err) < 0)
			return -1;
		if (!as_json)
			print_row(out, w_id, w_job, r, &c, &blk[i], alive);
		dropped[i] = c.log_dropped;
		reported[i] = c.reported;
	}
	/* Below the table, so its columns stay as they are for scripts. */
	for (size_t i = 0; !as_json && i < recs.n; i++) {
		char id[NW_ID_MAX + 1];
		if (dropped[i] > 0)
			fprintf(out,
				"%s: access log full, %lld lines dropped (job_log_max_bytes; the "
				"node log has every line)\n",
				short_id(recs.r[i].id, id, sizeof(id)), (long long)dropped[i]);
		if (blk[i].n > 0) {
			fprintf(out, "%s: blocked, newest first:",
				short_id(recs.r[i].id, id, sizeof(id)));
			for (size_t k = 0; k < blk[i].n; k++) {
				char d[48];
				fprintf(out, " %s", fw_dest_str(&blk[i].d[k], d, sizeof(d)));
			}
			fputc('\n', out);
		}
		if (reported[i] > 0)
			fprintf(out,
				"%s: %lld request(s) outside its domains allowed by "
				"report_unlisted_domains (netward domains %s)\n",
				short_id(recs.r[i].id, id, sizeof(id)), (long long)reported[i],
				recs.r[i].id);
	}
	if (!as_json)
		return 0;
	text = json_render(arr, true, err);
	if (text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	return 0;
}
