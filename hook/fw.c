/* The job's nftables table in the kernel, through libnftables, in the
 * namespace of the calling thread. fw_render.c renders what this applies. */
#include "fw.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "io.h"
#include "fw_blocked.h"
#include "fw_chain.h"
#include "fw_nl.h"
#include "json.h"
#include "nftlib.h"
#include "proc.h"

static inline void nft_ctx_freep(struct nft_ctx **p)
{
	if (*p != NULL)
		nftlib.ctx_free(*p);
	*p = NULL;
}

#define cleanup_nft_ctx __attribute__((cleanup(nft_ctx_freep)))

/* ---- libnftables ---- */

/* nft's own message, first line only ("Error: Could not process rule:
 * File exists"), with an errno guessed from it so callers can branch. */
static int nft_fail(nw_err *err, struct nft_ctx *nft, const char *what)
{
	const char *msg = nftlib.get_error_buffer(nft);
	size_t n;
	int code = EINVAL;

	if (msg == NULL || *msg == '\0')
		msg = "nft failed without a message";
	if (strstr(msg, "File exists") != NULL)
		code = EEXIST;
	else if (strstr(msg, "No such file or directory") != NULL)
		code = ENOENT;
	else if (strstr(msg, "Operation not permitted") != NULL)
		code = EPERM;
	if (strncmp(msg, "Error: ", 7) == 0)
		msg += 7;
	n = strcspn(msg, "\n");
	return nw_fail_code(err, code, "%s: %.*s", what, (int)n, msg);
}

static struct nft_ctx *nft_open(nw_err *err)
{
	struct nft_ctx *nft;

	if (nftlib_load(err) < 0)
		return NULL;
	nft = nftlib.ctx_new(NFT_CTX_DEFAULT);
	if (nft == NULL) {
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	if (nftlib.buffer_error(nft) < 0 || nftlib.buffer_output(nft) < 0) {
		nftlib.ctx_free(nft);
		nw_fail(err, ENOMEM, "creating an nftables context");
		return NULL;
	}
	return nft;
}

/* Runs cmd; ENOENT (no such table, set or element) counts as done. */
static int run_absent_ok(struct nft_ctx *nft, const char *cmd, const char *what, nw_err *err)
{
	cleanup_err nw_err e = NULL;

	if (nftlib.run_cmd_from_buffer(nft, cmd) == 0)
		return 0;
	nft_fail(&e, nft, what);
	if (nw_err_code(e) == ENOENT)
		return 0;
	return nw_err_move(err, &e);
}

int fw_remove_table(const char *base_file, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);

	unlink(base_file);
	if (nft == NULL)
		return -1;
	return run_absent_ok(nft, "delete table inet " FW_TABLE "\n", "deleting the firewall table",
			     err);
}

/* nft's JSON listing of cmd into *out; *out NULL when the table (or the
 * chain) does not exist. */
static int list_json(struct nft_ctx *nft, const char *cmd, const char *what, struct json **out,
		     nw_err *err)
{
	cleanup_err nw_err e = NULL;
	const char *text;

	*out = NULL;
	nftlib.output_set_flags(nft, NFT_CTX_OUTPUT_JSON);
	if (nftlib.run_cmd_from_buffer(nft, cmd) != 0) {
		nft_fail(&e, nft, what);
		return nw_err_code(e) == ENOENT ? 0 : nw_err_move(err, &e);
	}
	text = nftlib.get_output_buffer(nft);
	*out = json_parse(text ? text : "", text ? strlen(text) : 0, err);
	return *out == NULL ? -1 : 0;
}

int fw_list_set(const char *set, struct json **out, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	char cmd[128];

	*out = NULL;
	if (!fw_safe_name(set, 32))
		return nw_fail(err, EINVAL, "firewall: bad set name");
	nft = nft_open(err);
	if (nft == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "list set inet " FW_TABLE " %s\n", set);
	return list_json(nft, cmd, "listing the firewall's blocked attempts", out, err);
}

/* Calls fn for every element of every set or map in nft's JSON listing:
 * an interface name, and a map's value (0 for a set). */
static int each_element(const struct json *root,
			int (*fn)(const char *set, const char *elem, int64_t val, void *arg),
			void *arg)
{
	struct json *items = json_get_arr(root, "nftables");

	for (size_t i = 0; items != NULL && i < items->n; i++) {
		struct json *set = json_get_obj(items->v[i], "set");
		struct json *elems, *m = json_get_obj(items->v[i], "map");
		const char *name;
		if (set == NULL)
			set = m;
		elems = json_get_arr(set, "elem");
		name = json_get_str(set, "name");
		for (size_t k = 0; name != NULL && elems != NULL && k < elems->n; k++) {
			struct json *el = elems->v[k];
			int64_t val = 0;
			if (el->type == JSON_ARRAY && el->n == 2 && el->v[0]->type == JSON_STRING) {
				if (json_int(el->v[1], 0, 65535, &val, NULL) < 0)
					val = 0;
				el = el->v[0];
			}
			/* An element with a counter comes as {"elem": {"val": ...}};
			 * a concatenation's val (recent destinations) is skipped. */
			if (el->type == JSON_OBJECT &&
			    json_get(json_get_obj(el, "elem"), "val") != NULL)
				el = json_get(json_get_obj(el, "elem"), "val");
			if (el->type == JSON_STRING && fn(name, el->s, val, arg) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- checking what the kernel holds ---- */

/* One chain against what base says it holds: the number of rules, and the
 * sentinel on the last (fw_chain.h: read without libnftables' cache). A
 * chain written empty (dstnat, interception off) holds no rule and no
 * sentinel; a missing one reads the same, and loses nothing. */
static int chain_intact(const struct fw_expect *x, bool *ok, nw_err *err)
{
	char last[sizeof(x->sentinel) + 1];
	unsigned rules = 0;

	if (fw_chain_rules(FW_TABLE, x->chain, &rules, last, sizeof(last), err) < 0)
		return -1;
	*ok = rules == x->rules &&
	      (rules == 0 || (last[0] != '\0' && strcmp(last, x->sentinel) == 0));
	return 0;
}

static int check(const char *base, nw_err *err)
{
	struct fw_expect x[FW_CHAINS];

	if (fw_expect_parse(base, x, err) < 0)
		return -1;
	for (size_t i = 0; i < FW_CHAINS; i++) {
		bool ok;
		if (chain_intact(&x[i], &ok, err) < 0)
			return -1;
		if (!ok)
			return 0;
	}
	return 1;
}

int fw_check(const char *base, nw_err *err)
{
	return check(base, err);
}

/* ---- installing ---- */

/* Base, the sets and the map emptied (names no live job holds go), and
 * every live job's elements plus extra: one transaction, so no packet
 * ever meets a half-written table. */
static int rebuild(struct nft_ctx *nft, const char *base, const struct fw_elem *extra,
		   fw_live_fn live, void *arg, nw_err *err)
{
	struct fw_elem *elems = NULL;
	size_t n = 0, len = 0;
	cleanup_free char *script = NULL;
	FILE *f;
	int rc = 0;

	if (live != NULL && live(&elems, &n, arg, err) < 0)
		return -1;
	f = open_memstream(&script, &len);
	if (f == NULL) {
		fw_elems_free(elems, n);
		return nw_fail(err, errno, "firewall: rendering");
	}
	fputs(base, f);
	for (size_t i = 0; i < FW_N_SETS; i++)
		fprintf(f, "flush set inet " FW_TABLE " %s\n", fw_set_names[i]);
	fputs("flush map inet " FW_TABLE " zones\n", f);
	if (fw_render_elems(f, elems, n, err) < 0 ||
	    (extra != NULL && fw_render_elems(f, extra, 1, err) < 0))
		rc = -1;
	fw_elems_free(elems, n);
	if (fclose(f) != 0 && rc == 0)
		rc = nw_fail(err, ENOMEM, "firewall: rendering");
	if (rc < 0)
		return -1;
	nftlib.output_set_flags(nft, 0);
	if (nftlib.run_cmd_from_buffer(nft, script) != 0)
		return nft_fail(err, nft, "writing the firewall table");
	return 0;
}

static void base_save(const char *base_file, const char *base)
{
	char tmp[4096];
	cleanup_close int fd = -1;
	size_t n = strlen(base);

	snprintf(tmp, sizeof(tmp), "%s.new", base_file);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || write(fd, base, n) != (ssize_t)n || rename(tmp, base_file) < 0)
		unlink(tmp);
}

int fw_install(const struct fw_job *j, uint16_t zone, fw_live_fn live, void *arg,
	       const char *base_file, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	cleanup_free char *base = NULL;
	struct fw_elem e = {.host_if = j->host_if, .mode = j->mode, .zone = zone};
	int intact;

	if (j->host_if == NULL || !fw_safe_name(j->host_if, 15) || j->job_addr.family != AF_INET)
		return nw_fail(err, EINVAL, "firewall: bad interface name or address");
	base = fw_render_base(j->cfg, &j->gateway, j->proxy_port, err);
	if (base == NULL)
		return -1;
	intact = check(base, err);
	if (intact < 0)
		return -1;
	/* The common case, without libnftables (fw_nl.h). */
	if (intact == 1) {
		cleanup_err nw_err added = NULL;
		if (fw_nl_add_elems(&e, &added) == 0)
			return 0;
	}
	/* No table, a flushed or changed one, or an element a teardown that
	 * never finished left with another zone: write it all again. */
	nft = nft_open(err);
	if (nft == NULL)
		return -1;
	if (rebuild(nft, base, &e, live, arg, err) < 0)
		return -1;
	base_save(base_file, base);
	return 0;
}

#define FW_BASE_MAX (1 << 20)

/* The base ruleset fw_apply saved into *out; *out NULL when there is none. */
static int slurp(const char *path, char **out, nw_err *err)
{
	cleanup_err nw_err e = NULL;

	*out = io_read_file(AT_FDCWD, path, O_NOFOLLOW, FW_BASE_MAX, NULL, &e);
	if (*out != NULL || nw_err_code(e) == ENOENT)
		return 0;
	nw_wrap(&e, "%s", path);
	nw_err_move(err, &e);
	return -1;
}

int fw_repair(const char *base_file, fw_live_fn live, void *arg, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = NULL;
	cleanup_free char *base = NULL;
	int intact;

	if (slurp(base_file, &base, err) < 0)
		return -1;
	/* No table was ever written: nothing to repair. */
	if (base == NULL)
		return 0;
	intact = check(base, err);
	if (intact != 0)
		return intact < 0 ? -1 : 0;
	nft = nft_open(err);
	if (nft == NULL)
		return -1;
	if (rebuild(nft, base, NULL, live, arg, err) < 0)
		return -1;
	return 1;
}

/* Adding an element twice is no error, and an element added in a
 * transaction can be deleted in the same one: "add, then delete" takes an
 * interface out of a set whether it was there or not, without reading the
 * set first. A map's element needs its value for that. */
static void render_out(FILE *f, const char *set, const char *ifn, const char *val)
{
	fprintf(f, "add element inet " FW_TABLE " %s { \"%s\"%s }\n", set, ifn, val);
	fprintf(f, "delete element inet " FW_TABLE " %s { \"%s\" }\n", set, ifn);
}

struct removal {
	const char *host_if;
	uint16_t zone;
};

/* Runs in the detached process of fw_remove_job. The context stays open:
 * the process's exit, after it has reported, releases it. */
static int remove_job(void *arg, nw_err *err)
{
	const struct removal *r = arg;
	struct nft_ctx *nft = nft_open(err);
	cleanup_free char *script = NULL;
	char val[16];
	size_t len = 0;
	FILE *f;

	if (nft == NULL)
		return -1;
	f = open_memstream(&script, &len);
	if (f == NULL)
		return nw_fail(err, errno, "firewall: removing %s", r->host_if);
	for (size_t i = 0; i < FW_N_SETS; i++)
		render_out(f, fw_set_names[i], r->host_if, "");
	if (r->zone != 0) {
		snprintf(val, sizeof(val), " : %u", (unsigned)r->zone);
		render_out(f, "zones", r->host_if, val);
	}
	render_out(f, FW_BLOCKED_SET, r->host_if, "");
	/* The job's recent destinations: at most FW_RECENT_MAX to read,
	 * whatever the number of jobs. Unreadable, they expire on their own. */
	cleanup_json struct json *recent = NULL;
	if (list_json(nft, "list set inet " FW_TABLE " " FW_RECENT_SET "\n",
		      "listing blocked attempts", &recent, NULL) == 0 &&
	    recent != NULL)
		fw_blocked_render_out(f, recent, r->host_if);
	if (ferror(f) || fclose(f) != 0)
		return nw_fail(err, ENOMEM, "firewall: removing %s", r->host_if);
	/* No table: nothing of the job's is left. */
	return run_absent_ok(nft, script, "removing the job's firewall elements", err);
}

/* The kernel frees removed elements after an RCU grace period, and the
 * netfilter netlink socket that removed them waits for that when it is
 * released: 10 ms and more, measured, where the removal itself takes 2. A
 * detached process therefore removes them, reports and only then exits,
 * so that wait is its own, not the hook's nor the lock holder's. It holds
 * the caller's lock until its transaction is done: were the hook killed
 * first, the name must not be set up again before the removal lands. */
int fw_remove_job(const char *host_if, uint16_t zone, int lock_fd, nw_err *err)
{
	struct removal r = {.host_if = host_if, .zone = zone};

	if (host_if == NULL || !fw_safe_name(host_if, 15))
		return nw_fail(err, EINVAL, "firewall: bad interface name");
	return proc_call_detached(remove_job, &r, lock_fd, err);
}

struct collected {
	char **names;
	uint16_t *zones;
	size_t n;
};

static void collected_free(struct collected *c)
{
	nw_strvfreep(&c->names);
	nw_freep(&c->zones);
}
#define cleanup_collected __attribute__((cleanup(collected_free)))

/* Every name once, whichever sets it is in: one left in http_ifs or
 * full_ifs alone is an orphan too. */
static int collect_job(const char *set, const char *elem, int64_t val, void *arg)
{
	struct collected *c = arg;
	size_t i;

	for (i = 0; i < c->n && strcmp(c->names[i], elem) != 0; i++)
		;
	if (i == c->n) {
		char **nn = realloc(c->names, (c->n + 2) * sizeof(char *));
		if (nn == NULL)
			return -1;
		c->names = nn;
		uint16_t *nz = realloc(c->zones, (c->n + 1) * sizeof(uint16_t));
		if (nz == NULL)
			return -1;
		c->zones = nz;
		if ((nn[i] = strdup(elem)) == NULL)
			return -1;
		nn[i + 1] = NULL;
		nz[i] = 0;
		c->n++;
	}
	if (strcmp(set, "zones") == 0)
		c->zones[i] = (uint16_t)val;
	return 0;
}

int fw_list_jobs(char ***ifnames, uint16_t **zones, nw_err *err)
{
	cleanup_nft_ctx struct nft_ctx *nft = nft_open(err);
	cleanup_json struct json *root = NULL;
	cleanup_collected struct collected c = {.names = calloc(1, sizeof(char *)),
						.zones = calloc(1, 2)};

	if (nft == NULL)
		return -1;
	if (c.names == NULL || c.zones == NULL)
		return nw_fail(err, ENOMEM, "listing the firewall's jobs");
	if (list_json(nft, "list table inet " FW_TABLE "\n", "listing the firewall's sets", &root,
		      err) < 0)
		return -1;
	if (root != NULL && each_element(root, collect_job, &c) < 0)
		return nw_fail(err, ENOMEM, "listing the firewall's jobs");
	*ifnames = steal_ptr(&c.names);
	*zones = steal_ptr(&c.zones);
	return 0;
}

int fw_mark_proxy_socket(int fd, nw_err *err)
{
	unsigned mark = FW_PROXY_MARK;

	if (setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) < 0)
		return nw_fail(err, errno, "marking the proxy's socket (SO_MARK)");
	return 0;
}
