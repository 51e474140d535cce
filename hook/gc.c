#include "gc.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cleanup.h"
#include "counters.h"
#include "fw.h"
#include "fw_watch.h"
#include "guard.h"
#include "hostfw.h"
#include "job.h"
#include "log.h"
#include "proxyuid.h"
#include "state.h"
#include "wire.h"

static bool is_job_ifname(const char *s)
{
	if (strlen(s) != 15 || strncmp(s, "nw", 2) != 0)
		return false;
	return strspn(s + 2, "0123456789abcdef") == 13;
}

static bool in_list(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* Every live job's host interface; what gc must leave alone. */
static int gc_records(struct gc_report *rep, FILE *out, char ***live_ifs, char ***live_ids,
		      nw_err *err)
{
	cleanup_strv char **ids = NULL;
	size_t n = 0, nl = 0;

	if (state_list(&ids, err) < 0)
		return -1;
	for (char **p = ids; *p; p++)
		n++;
	*live_ifs = calloc(n + 1, sizeof(char *));
	*live_ids = calloc(n + 1, sizeof(char *));
	if (*live_ifs == NULL || *live_ids == NULL)
		return nw_fail(err, ENOMEM, "gc");
	for (char **p = ids; *p; p++) {
		struct job_record r;
		nw_err e = NULL;
		int rc = state_read(*p, &r, &e);
		if (rc == 1 && job_alive(&r)) {
			(*live_ids)[nl] = strdup(r.id);
			(*live_ifs)[nl++] = strdup(r.host_if);
		} else if (rc == 1) {
			if (job_teardown_locked(&r, &e) < 0)
				log_msg(LOG_ERR, "gc: job %s: %s", *p, nw_err_msg(e));
			else if (out)
				fprintf(out, "removed job %s (mode %s%s%s)\n", r.id,
					mode_name(r.mode), r.addr[0] ? ", address " : "", r.addr);
			rep->jobs++;
		} else {
			/* An unreadable or empty entry: nothing can still use it. */
			nw_err_free(&e);
			if (state_remove(*p, &e) == 0 && out)
				fprintf(out, "removed unreadable state entry %s\n", *p);
			rep->jobs++;
		}
		nw_err_free(&e);
		state_record_free(&r);
	}
	return 0;
}

static void gc_firewall(struct gc_report *rep, FILE *out, char **live_ifs, bool any_live)
{
	cleanup_strv char **ifs = NULL;
	cleanup_free uint16_t *zones = NULL;
	nw_err e = NULL;

	if (fw_list_jobs(&ifs, &zones, &e) < 0) {
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(e));
		nw_err_free(&e);
		return;
	}
	for (char **p = ifs; *p; p++) {
		if (in_list(live_ifs, *p))
			continue;
		if (hostfw_release(*p, &e) < 0)
			log_msg(LOG_ERR, "gc: unbinding %s from the host firewall: %s", *p,
				nw_err_msg(e));
		nw_err_free(&e);
		if (wire_link_down(*p, &e) == 0 && fw_remove_job(*p, zones[p - ifs], &e) == 0) {
			rep->firewall++;
			if (out)
				fprintf(out, "removed firewall state of %s\n", *p);
		}
		nw_err_free(&e);
	}
	/* With no job left the table goes too: a node without jobs carries
	 * nothing of netward's. */
	if (!any_live && fw_remove_table(FW_BASE_FILE, &e) < 0)
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(e));
	nw_err_free(&e);
	if (!any_live && guard_remove(&e) < 0)
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(e));
	nw_err_free(&e);
	if (!any_live && hostfw_close(true, &e) < 0)
		log_msg(LOG_ERR, "gc: closing the host firewall: %s", nw_err_msg(e));
	nw_err_free(&e);
}

static void gc_links(struct gc_report *rep, FILE *out, char **live_ifs)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		nw_err err = NULL;
		if (!is_job_ifname(e->d_name) || in_list(live_ifs, e->d_name))
			continue;
		if (wire_teardown(e->d_name, &err) == 0) {
			rep->links++;
			if (out)
				fprintf(out, "removed link %s\n", e->d_name);
		}
		nw_err_free(&err);
	}
	closedir(d);
}

static void gc_addrs(struct gc_report *rep, FILE *out, char **live_ids)
{
	cleanup_strv char **addrs = NULL;
	cleanup_strv char **owners = NULL;
	nw_err e = NULL;

	if (state_list_addrs(&addrs, &owners, &e) < 0) {
		nw_err_free(&e);
		return;
	}
	for (size_t i = 0; addrs[i]; i++) {
		if (in_list(live_ids, owners[i]))
			continue;
		state_free_addr(addrs[i], owners[i]);
		rep->addrs++;
		if (out)
			fprintf(out, "released address %s\n", addrs[i]);
	}
}

/* For `netward metrics`; a lost count is logged, never a failed gc. */
static void gc_count(const struct gc_report *rep)
{
	const struct {
		const char *kind;
		unsigned n;
	} k[] = {{"jobs", rep->jobs},
		 {"firewall", rep->firewall},
		 {"links", rep->links},
		 {"addresses", rep->addrs}};

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		nw_err e = NULL;
		if (k[i].n > 0 && counters_add("gc_removed", k[i].kind, k[i].n, &e) < 0)
			log_msg(LOG_WARNING, "gc: %s", nw_err_msg(e));
		nw_err_free(&e);
	}
}

int gc_run(struct gc_report *rep, FILE *out, nw_err *err)
{
	cleanup_strv char **live_ifs = NULL;
	cleanup_strv char **live_ids = NULL;
	int lock = state_lock(err);

	memset(rep, 0, sizeof(*rep));
	if (lock < 0)
		return -1;
	if (gc_records(rep, out, &live_ifs, &live_ids, err) < 0) {
		state_unlock(lock);
		return -1;
	}
	/* Rules first, then links (as at teardown). */
	gc_firewall(rep, out, live_ifs, live_ids[0] != NULL);
	gc_links(rep, out, live_ifs);
	gc_addrs(rep, out, live_ids);
	rep->uids = proxyuid_gc(live_ids, out);
	cgroup_gc(live_ids);
	gc_count(rep);
	state_unlock(lock);
	return 0;
}
