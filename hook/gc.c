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
#include "ident.h"
#include "job.h"
#include "log.h"
#include "proxyuid.h"
#include "state.h"
#include "wire.h"

static bool in_list(char **v, const char *s)
{
	for (; v != NULL && *v != NULL; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* Every live job's host interface; what gc must leave alone. A job left
 * out of these lists loses its network to gc, so gc stops at the first
 * allocation that fails, rather than going on without it. */
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
		cleanup_job_record struct job_record r;
		cleanup_err nw_err e = NULL;
		int rc = state_read(*p, &r, &e);
		if (rc < 0 && nw_err_code(e) == ENOMEM)
			return nw_err_move(err, &e);
		if (rc == 1 && job_alive(&r)) {
			if (((*live_ids)[nl] = strdup(r.id)) == NULL ||
			    ((*live_ifs)[nl] = strdup(r.host_if)) == NULL)
				return nw_fail(err, ENOMEM, "gc: listing the live jobs");
			nl++;
		} else if (rc == 1) {
			if (job_teardown_locked(&r, &e) < 0)
				log_msg(LOG_ERR, "gc: job %s: %s", *p, nw_err_msg(e));
			else if (out)
				fprintf(out, "removed job %s (mode %s%s%s)\n", r.id,
					mode_name(r.mode), r.addr[0] ? ", address " : "", r.addr);
			rep->jobs++;
		} else {
			/* An unreadable or empty entry: nothing can still use it. */
			cleanup_err nw_err re = NULL;
			if (state_remove(*p, &re) == 0 && out)
				fprintf(out, "removed unreadable state entry %s\n", *p);
			rep->jobs++;
		}
	}
	return 0;
}

/* What netward keeps node-wide, once no job is left. */
static void gc_node_wide(void)
{
	cleanup_err nw_err table = NULL;
	cleanup_err nw_err guard = NULL;
	cleanup_err nw_err host = NULL;

	if (fw_remove_table(FW_BASE_FILE, &table) < 0)
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(table));
	if (guard_remove(&guard) < 0)
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(guard));
	if (hostfw_close(true, &host) < 0)
		log_msg(LOG_ERR, "gc: closing the host firewall: %s", nw_err_msg(host));
}

static void gc_firewall(struct gc_report *rep, FILE *out, char **live_ifs, bool any_live)
{
	cleanup_strv char **ifs = NULL;
	cleanup_free uint16_t *zones = NULL;
	cleanup_err nw_err e = NULL;

	if (fw_list_jobs(&ifs, &zones, &e) < 0) {
		log_msg(LOG_ERR, "gc: %s", nw_err_msg(e));
		return;
	}
	for (char **p = ifs; *p; p++) {
		cleanup_err nw_err pe = NULL;
		if (in_list(live_ifs, *p))
			continue;
		cleanup_err nw_err he = NULL;
		if (hostfw_release(*p, &he) < 0)
			log_msg(LOG_ERR, "gc: unbinding %s from the host firewall: %s", *p,
				nw_err_msg(he));
		if (wire_link_down(*p, &pe) == 0 && fw_remove_job(*p, zones[p - ifs], &pe) == 0) {
			rep->firewall++;
			if (out)
				fprintf(out, "removed firewall state of %s\n", *p);
		}
	}
	/* With no job left the table goes too: a node without jobs carries
	 * nothing of netward's. */
	if (!any_live)
		gc_node_wide();
}

static void gc_links(struct gc_report *rep, FILE *out, char **live_ifs)
{
	cleanup_dir DIR *d = opendir("/sys/class/net");
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		cleanup_err nw_err err = NULL;
		if (!ident_ifname_valid(e->d_name) || in_list(live_ifs, e->d_name))
			continue;
		if (wire_teardown(e->d_name, &err) == 0) {
			rep->links++;
			if (out)
				fprintf(out, "removed link %s\n", e->d_name);
		}
	}
}

static void gc_addrs(struct gc_report *rep, FILE *out, char **live_ids)
{
	cleanup_strv char **addrs = NULL;
	cleanup_strv char **owners = NULL;
	cleanup_err nw_err e = NULL;

	if (state_list_addrs(&addrs, &owners, &e) < 0)
		return;
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
		cleanup_err nw_err e = NULL;
		if (k[i].n > 0 && counters_add("gc_removed", k[i].kind, k[i].n, &e) < 0)
			log_msg(LOG_WARNING, "gc: %s", nw_err_msg(e));
	}
}

int gc_run(struct gc_report *rep, FILE *out, nw_err *err)
{
	cleanup_strv char **live_ifs = NULL;
	cleanup_strv char **live_ids = NULL;
	cleanup_state_lock int lock = -1;

	memset(rep, 0, sizeof(*rep));
	lock = state_lock(err);
	if (lock < 0 || gc_records(rep, out, &live_ifs, &live_ids, err) < 0)
		return -1;
	/* Rules first, then links (as at teardown). */
	gc_firewall(rep, out, live_ifs, live_ids[0] != NULL);
	gc_links(rep, out, live_ifs);
	gc_addrs(rep, out, live_ids);
	rep->uids = proxyuid_gc(live_ids, out);
	cgroup_gc(live_ids);
	gc_count(rep);
	return 0;
}
