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

static struct json *blocked_json(const struct fw_blocked *b)
{
	struct json *a = json_new(JSON_ARRAY);

	for (size_t i = 0; i < b->n; i++) {
		struct json *d = json_new(JSON_OBJECT);
		json_set(d, "address", json_new_str(b->d[i].addr), NULL);
		json_set(d, "protocol", json_new_str(b->d[i].proto), NULL);
		json_set(d, "port", json_new_int(b->d[i].port), NULL);
		json_push(a, d, NULL);
	}
	return a;
}

static struct json *job_json(const struct job_record *r, const struct job_stats *c,
			     const struct fw_blocked *b, bool alive)
{
	struct json *o = json_new(JSON_OBJECT);

	json_set(o, "id", json_new_str(r->id), NULL);
	json_set(o, "job_id", json_new_str(r->job_id), NULL);
	json_set(o, "mode", json_new_str(mode_name(r->mode)), NULL);
	json_set(o, "state",
		 json_new_str(r->phase == JOB_SETUP ? "setting-up"
			      : alive		    ? "running"
						    : "gone"),
		 NULL);
	json_set(o, "domains", json_new_str(r->domains ? r->domains : ""), NULL);
	json_set(o, "gateway", json_new_str(r->mode == NW_MODE_NONE ? "" : NW_GATEWAY), NULL);
	json_set(o, "address", json_new_str(r->addr), NULL);
	json_set(o, "interface", json_new_str(r->host_if), NULL);
	json_set(o, "pid", json_new_int(r->pid), NULL);
	json_set(o, "proxy_pid", json_new_int(r->proxy_pid), NULL);
	json_set(o, "proxy_uid", json_new_int(r->proxy_uid), NULL);
	json_set(o, "bytes_up", json_new_int(c->bytes_up), NULL);
	json_set(o, "bytes_down", json_new_int(c->bytes_down), NULL);
	json_set(o, "requests_allowed", json_new_int(c->allowed), NULL);
	json_set(o, "requests_denied", json_new_int(c->denied), NULL);
	json_set(o, "requests_reported", json_new_int(c->reported), NULL);
	json_set(o, "live_connections", json_new_int(c->conns), NULL);
	json_set(o, "access_log_lines_dropped", json_new_int(c->log_dropped), NULL);
	json_set(o, "blocked", json_new_int((int64_t)b->count), NULL);
	json_set(o, "blocked_recent", blocked_json(b), NULL);
	json_set(o, "age_seconds", json_new_int(time(NULL) - r->created), NULL);
	return o;
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

int status_print(bool as_json, FILE *out, nw_err *err)
{
	cleanup_strv char **ids = NULL;
	cleanup_json struct json *arr = json_new(JSON_ARRAY);
	cleanup_free char *text = NULL;
	cleanup_free struct job_record *recs = NULL;
	cleanup_free int64_t *dropped = NULL, *reported = NULL;
	cleanup_free struct fw_blocked *blk = NULL;
	struct fw_snapshot snap = {0};
	nw_err serr = NULL;
	size_t n = 0, nrec = 0;
	int w_id = 9, w_job = 3;

	if (arr == NULL || state_list(&ids, err) < 0)
		return -1;
	while (ids[n] != NULL)
		n++;
	recs = calloc(n + 1, sizeof(*recs));
	dropped = calloc(n + 1, sizeof(*dropped));
	reported = calloc(n + 1, sizeof(*reported));
	blk = calloc(n + 1, sizeof(*blk));
	if (recs == NULL || dropped == NULL || reported == NULL || blk == NULL)
		return nw_fail(err, ENOMEM, "reading job records");
	for (size_t i = 0; i < n; i++) {
		nw_err e = NULL;
		if (state_read(ids[i], &recs[nrec], &e) == 1) {
			w_id = width(recs[nrec].id, w_id);
			w_job = width(recs[nrec].job_id, w_job);
			nrec++;
		}
		nw_err_free(&e);
	}
	if (!as_json)
		fprintf(out, "%-*s %-*s %-5s %-8s %-15s %-8s %-10s %9s %9s %7s %7s %7s %5s  %s\n",
			w_id, "CONTAINER", w_job, "JOB", "MODE", "STATE", "ADDRESS", "PROXY",
			"PROXY-UID", "UP", "DOWN", "ALLOWED", "DENIED", "BLOCKED", "AGE",
			"DOMAINS");
	/* Without the firewall's figures (no table yet, not root) the
	 * counts read zero; the rest of the status stands. */
	if (fw_blocked_snapshot(&snap, &serr) < 0)
		nw_err_free(&serr);
	for (size_t i = 0; i < nrec; i++) {
		struct job_stats c;
		state_read_stats(recs[i].id, &c);
		bool alive = job_alive(&recs[i]);
		fw_blocked_of(&snap, recs[i].host_if, &blk[i]);
		if (as_json)
			json_push(arr, job_json(&recs[i], &c, &blk[i], alive), NULL);
		else
			print_row(out, w_id, w_job, &recs[i], &c, &blk[i], alive);
		dropped[i] = c.log_dropped;
		reported[i] = c.reported;
	}
	/* Below the table, so its columns stay as they are for scripts. */
	for (size_t i = 0; !as_json && i < nrec; i++) {
		char id[NW_ID_MAX + 1];
		if (dropped[i] > 0)
			fprintf(out,
				"%s: access log full, %lld lines dropped (job_log_max_bytes; the "
				"node log has every line)\n",
				short_id(recs[i].id, id, sizeof(id)), (long long)dropped[i]);
		if (blk[i].n > 0) {
			fprintf(out,
				"%s: blocked, newest first:", short_id(recs[i].id, id, sizeof(id)));
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
				short_id(recs[i].id, id, sizeof(id)), (long long)reported[i],
				recs[i].id);
	}
	fw_blocked_snapshot_free(&snap);
	for (size_t i = 0; i < nrec; i++)
		state_record_free(&recs[i]);
	if (!as_json)
		return 0;
	text = json_render(arr, true, err);
	if (text == NULL)
		return -1;
	fprintf(out, "%s\n", text);
	return 0;
}
