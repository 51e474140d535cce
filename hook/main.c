/* netward: the OCI hook and its command line. Only this file prints
 * errors and picks exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "cleanup.h"
#include "config.h"
#include "counters.h"
#include "dryrun.h"
#include "gc.h"
#include "job.h"
#include "monitor.h"
#include "jobsock.h"
#include "hostfw.h"
#include "jobresolv.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "oci.h"
#include "oci_bundle.h"
#include "oci_resolv.h"
#include "policy.h"
#include "proxy_cli.h"
#include "reached.h"
#include "shim_engines.h"
#include "status.h"

#define STDIN_MAX (4 << 20)

struct cli {
	const char *config_path;
	bool explicit_config;
	struct nw_config cfg;
};

/* A command handler gets argv from the command's name on. It returns -1
 * with err set on failure, or NW_USAGE when the command line itself is
 * wrong (exit status 2, netward(8)). */
#define NW_USAGE (-2)

static int usage_error(nw_err *err, const char *usage)
{
	nw_fail(err, 0, "usage: netward %s (see netward %.*s --help)", usage,
		(int)strcspn(usage, " "), usage);
	return NW_USAGE;
}

struct command {
	const char *name;
	const char *usage; /* after "netward " */
	const char *help;  /* what `netward NAME --help` adds */
	bool stage;	   /* a hook stage: reads stdin, logs refusals */
	int (*run)(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err);
};

/* Hooks read their stdin to EOF, always: runtimes fail on EPIPE otherwise.
 * Input past max is drained and refused. */
static char *read_all(int fd, size_t max, size_t *len, nw_err *err)
{
	cleanup_free char *buf = malloc(max + 1);
	size_t used = 0;
	bool too_big = false;
	char sink[4096];

	if (buf == NULL) {
		nw_fail(err, ENOMEM, "reading stdin");
		return NULL;
	}
	for (;;) {
		char *dst = used < max ? buf + used : sink;
		size_t room = used < max ? max - used : sizeof(sink);
		ssize_t n = read(fd, dst, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nw_fail(err, errno, "reading stdin");
			return NULL;
		}
		if (n == 0)
			break;
		if (dst == sink)
			too_big = true;
		else
			used += (size_t)n;
	}
	if (too_big) {
		nw_fail(err, EFBIG, "input larger than %zu bytes", max);
		return NULL;
	}
	buf[used] = '\0';
	*len = used;
	return steal_ptr(&buf);
}

static int load_config(struct cli *c, nw_err *err)
{
	if (config_load(&c->cfg, c->config_path, c->explicit_config, err) < 0)
		return -1;
	log_open(c->cfg.log);
	return 0;
}

static int decide(const struct cli *c, const struct oci_annotations *a, const char *id,
		  struct job_policy *pol, nw_err *err)
{
	return policy_decide(&c->cfg, a->network, a->domains, a->job_id, id, pol, err);
}

/* Interception: the job's resolver is its proxy on the gateway. The file
 * is the bundle's (patch-bundle, bundle set) or the container's under
 * JOBRESOLV_DIR (precreate). */
static int give_resolv_conf(struct json *conf, const char *bundle, nw_err *err)
{
	char path[PATH_MAX + 64];

	if ((bundle != NULL ? jobresolv_bundle_path(bundle, path, sizeof(path), err)
			    : jobresolv_precreate_path(conf, path, sizeof(path), err)) < 0 ||
	    jobresolv_write(path, err) < 0 || oci_resolv_patch(conf, path, err) < 0)
		return nw_wrap(err, "giving the job its resolv.conf");
	return 0;
}

static int cmd_precreate(struct cli *c, nw_err *err)
{
	size_t len;
	cleanup_free char *in = read_all(STDIN_FILENO, STDIN_MAX, &len, err);
	cleanup_json struct json *conf = NULL;
	cleanup_free char *out = NULL;
	cleanup_oci_annotations struct oci_annotations ann = {0};
	cleanup_policy struct job_policy pol = {0};
	cleanup_err nw_err refusal = NULL;

	if (in == NULL)
		return -1;
	conf = json_parse(in, len, err);
	if (conf == NULL)
		return nw_wrap(err, "config.json on stdin");
	if (oci_annotations_from_config(conf, &ann, err) < 0)
		return -1;
	/* podman drops a precreate hook's stderr, so a refusal here would reach
	 * the user as a bare exit status. Log it, patch as for `none` (a private
	 * namespace, no proxy), and let createRuntime refuse with the reason,
	 * which podman does show. The job's process never starts either way. */
	if (load_config(c, &refusal) < 0 || decide(c, &ann, "precreate", &pol, &refusal) < 0) {
		log_msg(LOG_WARNING, "precreate: %s (createRuntime will refuse the container)",
			nw_err_msg(refusal));
		memset(&pol, 0, sizeof(pol));
		pol.mode = NW_MODE_NONE;
	}
	struct oci_patch p = {.mode = pol.mode, .proxy_port = c->cfg.proxy_port};
	int rc = oci_config_patch(conf, &p, err);
	if (rc == 0 && pol.mode == NW_MODE_HTTP && c->cfg.intercept)
		rc = give_resolv_conf(conf, NULL, err);
	if (rc < 0 || (out = json_render(conf, false, err)) == NULL)
		return -1;
	if (fputs(out, stdout) < 0 || fflush(stdout) != 0)
		return nw_fail(err, errno, "writing config.json to stdout");
	return 0;
}

static int read_state(struct oci_state *st, nw_err *err)
{
	size_t len;
	cleanup_free char *in = read_all(STDIN_FILENO, 1 << 20, &len, err);

	if (in == NULL)
		return -1;
	if (oci_state_parse(in, len, st, err) < 0)
		return nw_wrap(err, "the runtime's state on stdin");
	return 0;
}

/* A refusal counted for `netward metrics` under the stage that refused. */
static void count_refusal(const char *stage)
{
	cleanup_err nw_err e = NULL;

	if (counters_add("refusals", stage, 1, &e) < 0)
		log_msg(LOG_WARNING, "%s", nw_err_msg(e));
}

static int cmd_start(struct cli *c, nw_err *err)
{
	struct oci_state st = {0};
	struct oci_config oc = {0};
	struct job_policy pol;
	const char *stage = "state";
	int rc = -1;

	if (read_state(&st, err) < 0)
		goto out;
	log_set_context(st.id, NULL);
	stage = "config";
	if (load_config(c, err) < 0)
		goto out;
	stage = "bundle";
	if (oci_config_read(st.bundle, &oc, err) < 0)
		goto out;
	stage = "seccomp";
	if (oci_seccomp_check(oc.json, err) < 0)
		goto out;
	stage = "policy";
	if (decide(c, &oc.ann, st.id, &pol, err) < 0)
		goto out;
	log_set_context(st.id, pol.job_id);
	struct job_start js = {.id = st.id, .bundle = st.bundle, .pid = st.pid};
	stage = "setup";
	rc = job_setup(&c->cfg, &js, &pol, err);
	policy_free(&pol);
out:
	if (rc < 0)
		count_refusal(stage);
	oci_config_free(&oc);
	oci_state_free(&st);
	return rc;
}

static int cmd_poststop(struct cli *c, nw_err *err)
{
	cleanup_oci_state struct oci_state st = {0};
	cleanup_err nw_err cerr = NULL;

	if (read_state(&st, err) < 0)
		return -1;
	log_set_context(st.id, NULL);
	/* Teardown needs only the state entry: a broken config never keeps a
	 * job's network up. */
	if (load_config(c, &cerr) < 0) {
		log_open("syslog");
		log_msg(LOG_WARNING, "poststop: %s", nw_err_msg(cerr));
	}
	return job_poststop(st.id, st.bundle, st.status && strcmp(st.status, "stopped") == 0, err);
}

static int self_path(char *buf, size_t len, nw_err *err)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return nw_fail(err, errno, "finding the netward binary");
	buf[n] = '\0';
	return 0;
}

static int cmd_patch_bundle(struct cli *c, const char *dir, nw_err *err)
{
	char self[PATH_MAX], cfgpath[PATH_MAX];
	struct oci_config oc = {0};
	struct job_policy pol;
	int rc;

	if (load_config(c, err) < 0 || self_path(self, sizeof(self), err) < 0)
		return -1;
	if (realpath(c->config_path, cfgpath) == NULL)
		snprintf(cfgpath, sizeof(cfgpath), "%s", c->config_path);
	if (oci_config_read(dir, &oc, err) < 0)
		return -1;
	rc = decide(c, &oc.ann, "patch-bundle", &pol, err);
	if (rc == 0) {
		struct oci_patch p = {.mode = pol.mode,
				      .proxy_port = c->cfg.proxy_port,
				      .add_hooks = true,
				      .binary = self,
				      .config_path = cfgpath};
		rc = oci_config_patch(oc.json, &p, err);
		if (rc == 0 && pol.mode == NW_MODE_HTTP && c->cfg.intercept)
			rc = give_resolv_conf(oc.json, dir, err);
		if (rc == 0)
			rc = oci_config_write(dir, oc.json, err);
		policy_free(&pol);
	}
	oci_config_free(&oc);
	return rc;
}

/* gc's own report lines, kept for --json. */
static int gc_json(const char *lines, const struct gc_report *rep, nw_err *err)
{
	cleanup_json struct json *o = json_new(JSON_OBJECT), *a = json_new(JSON_ARRAY);
	cleanup_free char *out = NULL;

	if (o == NULL || a == NULL)
		return nw_fail(err, ENOMEM, "gc --json");
	for (const char *p = lines; p != NULL && *p != '\0';) {
		size_t n = strcspn(p, "\n");
		cleanup_free char *line = strndup(p, n);
		if (line == NULL || json_push(a, json_new_str(line), err) < 0)
			return nw_fail(err, ENOMEM, "gc --json");
		p += n + (p[n] == '\n');
	}
	if (json_set(o, "jobs", json_new_int(rep->jobs), err) < 0 ||
	    json_set(o, "firewall", json_new_int(rep->firewall), err) < 0 ||
	    json_set(o, "links", json_new_int(rep->links), err) < 0 ||
	    json_set(o, "addresses", json_new_int(rep->addrs), err) < 0 ||
	    json_set(o, "proxy_uids", json_new_int(rep->uids), err) < 0 ||
	    json_set(o, "removed", steal_ptr(&a), err) < 0 ||
	    (out = json_render(o, true, err)) == NULL)
		return -1;
	printf("%s\n", out);
	return 0;
}

static int cmd_gc(struct cli *c, bool as_json, nw_err *err)
{
	struct gc_report rep;
	cleanup_err nw_err cerr = NULL;
	cleanup_err nw_err merr = NULL;
	cleanup_free char *lines = NULL;
	size_t lines_len = 0;
	FILE *mem = NULL;
	int rc;

	if (load_config(c, &cerr) < 0)
		log_open("syslog");
	if (as_json && (mem = open_memstream(&lines, &lines_len)) == NULL)
		return nw_fail(err, errno, "gc --json");
	rc = gc_run(&rep, as_json ? mem : stdout, err);
	if (mem != NULL)
		fclose(mem);
	if (rc < 0)
		return -1;
	if (as_json) {
		if (gc_json(lines, &rep, err) < 0)
			return -1;
	} else {
		printf("gc: removed %u job(s), the firewall state of %u interface(s), %u link(s), "
		       "%u address(es), %u proxy uid(s)\n",
		       rep.jobs, rep.firewall, rep.links, rep.addrs, rep.uids);
	}
	/* The textfile copy is a side job of gc: its failure is logged. */
	if (metrics_write_textfile(&merr) < 0)
		log_msg(LOG_WARNING, "gc: metrics textfile: %s", nw_err_msg(merr));
	if (rep.jobs + rep.firewall + rep.links + rep.addrs + rep.uids > 0)
		log_msg(LOG_INFO,
			"gc removed %u job(s), the firewall state of %u interface(s), %u link(s), "
			"%u address(es), %u proxy uid(s)",
			rep.jobs, rep.firewall, rep.links, rep.addrs, rep.uids);
	return 0;
}

/* The host firewalls found and netward's paths through them, judged with
 * the node's subnet (the default one when the config cannot be read). */
static void status_hostfw(struct cli *c, FILE *out)
{
	cleanup_err nw_err e = NULL;

	if (config_load(&c->cfg, c->config_path, c->explicit_config, &e) < 0) {
		config_free(&c->cfg);
		config_defaults(&c->cfg);
	}
	fputc('\n', out);
	hostfw_report(&c->cfg, out);
}

static int cmd_check_config(struct cli *c, const struct check_opts *o, nw_err *err)
{
	if (check_config_run(c->config_path, c->explicit_config, o, stdout, stderr, err) < 0)
		return -1;
	if (!o->json) {
		if (o->file != NULL) {
			c->config_path = o->file;
			c->explicit_config = true;
		}
		status_hostfw(c, stderr);
		shim_engines_report("/", stderr);
	}
	return 0;
}

static int run_proxy(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	struct proxy_cli_args a;
	int rc = proxy_cli_parse(argc, argv, &a, err);

	if (rc == PROXY_CLI_USAGE)
		return usage_error(err, cmd->usage);
	if (rc < 0 || load_config(c, err) < 0)
		return -1;
	return proxy_cli_run(&c->cfg, &a, err);
}

static int run_precreate(struct cli *c, const struct command *cmd, int argc, char **argv,
			 nw_err *err)
{
	return argc > 1 ? usage_error(err, cmd->usage) : cmd_precreate(c, err);
}

static int run_start(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	return argc > 1 ? usage_error(err, cmd->usage) : cmd_start(c, err);
}

static int run_poststop(struct cli *c, const struct command *cmd, int argc, char **argv,
			nw_err *err)
{
	return argc > 1 ? usage_error(err, cmd->usage) : cmd_poststop(c, err);
}

static int run_patch_bundle(struct cli *c, const struct command *cmd, int argc, char **argv,
			    nw_err *err)
{
	if (argc != 2 || argv[1][0] == '-')
		return usage_error(err, cmd->usage);
	return cmd_patch_bundle(c, argv[1], err);
}

/* Only "--json" is taken, at most once: anything else is a usage error. */
static int json_flag(int argc, char **argv, int max_rest, bool *as_json)
{
	int rest = 0;

	*as_json = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && !*as_json)
			*as_json = true;
		else if (argv[i][0] == '-' || ++rest > max_rest)
			return -1;
	}
	return rest;
}

static int run_gc(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	bool as_json;

	if (json_flag(argc, argv, 0, &as_json) < 0)
		return usage_error(err, cmd->usage);
	return cmd_gc(c, as_json, err);
}

static int run_status(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	bool as_json;

	if (json_flag(argc, argv, 0, &as_json) < 0)
		return usage_error(err, cmd->usage);
	if (status_print(as_json, stdout, err) < 0)
		return -1;
	if (!as_json)
		status_hostfw(c, stdout);
	return 0;
}

static int run_metrics(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	if (argc > 1)
		return usage_error(err, cmd->usage);
	return metrics_print(stdout, err);
}

/* The node's ceiling bounds what `domains` suggests: a list it prints is
 * one this node admits. */
static int run_domains(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	cleanup_strv char **hosts = NULL;
	cleanup_free char *csv = NULL;
	cleanup_job_record struct job_record r = {0};
	int64_t dropped = 0;
	size_t n = 0;
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return usage_error(err, cmd->usage);
	if (load_config(c, err) < 0)
		return -1;
	rc = state_read(argv[1], &r, err);
	if (rc <= 0)
		return rc < 0 ? -1
			      : nw_fail(err, 0,
					"no job with container id \"%s\" on this node (see netward "
					"status)",
					argv[1]);
	if (r.mode != NW_MODE_HTTP)
		return nw_fail(
		    err, 0, "container %s is not an http job; domains apply to http only", argv[1]);
	if (reached_hosts(argv[1], &hosts, &n, &dropped, err) < 0)
		return -1;
	csv = reached_cover(hosts, n, c->cfg.has_allowlist ? &c->cfg.allowlist : NULL, err);
	if (csv == NULL)
		return -1;
	if (dropped > 0)
		fprintf(stderr,
			"netward: the job's access log dropped %lld line(s) (job_log_max_bytes); "
			"names only in the node log may be missing\n",
			(long long)dropped);
	if (n == 0)
		return nw_fail(err, 0, "container %s has reached no domain yet", argv[1]);
	printf("%s\n", csv);
	return 0;
}

static int run_check_config(struct cli *c, const struct command *cmd, int argc, char **argv,
			    nw_err *err)
{
	struct check_opts o = {0};

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			o.json = true;
		else if (strcmp(argv[i], "--strict") == 0)
			o.strict = true;
		else if (argv[i][0] != '-' && o.file == NULL)
			o.file = argv[i];
		else
			return usage_error(err, cmd->usage);
	}
	return cmd_check_config(c, &o, err);
}

static int run_explain(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	struct dry_opts o = {0};

	if (dry_parse_args(argc, argv, false, &o) < 0 || o.network == NULL)
		return usage_error(err, cmd->usage);
	if (load_config(c, err) < 0)
		return -1;
	return dry_explain(&c->cfg, &o, stdout, err);
}

static int run_test(struct cli *c, const struct command *cmd, int argc, char **argv, nw_err *err)
{
	struct dry_opts o = {0};

	if (dry_parse_args(argc, argv, true, &o) < 0 || o.url == NULL)
		return usage_error(err, cmd->usage);
	if (load_config(c, err) < 0)
		return -1;
	return dry_test(&c->cfg, &o, stdout, err);
}

/* netward(8)'s COMMANDS, in its order. */
static const struct command commands[] = {
    {"precreate", "precreate",
     "podman's config filter: config.json on stdin, the patched one "
     "on stdout.",
     true, run_precreate},
    {"prestart", "prestart",
     "Builds the container's network for its mode; the runtime's state "
     "on stdin.",
     true, run_start},
    {"createRuntime", "createRuntime", "The same as prestart.", true, run_start},
    {"poststop", "poststop",
     "Removes everything the container had (idempotent); the "
     "runtime's state on stdin.",
     true, run_poststop},
    {"patch-bundle", "patch-bundle DIR",
     "Makes `runc run` in bundle DIR use netward: patches DIR/config.json as precreate\n"
     "would and adds the prestart and poststop hooks.",
     false, run_patch_bundle},
    {"gc", "gc [--json]",
     "Removes what jobs that no longer exist left behind: state entries, firewall\n"
     "state, links, addresses. --json prints what was removed as JSON.",
     false, run_gc},
    {"status", "status [--json]", "Lists the live jobs; --json for scripts.", false, run_status},
    {"metrics", "metrics",
     "Prints the live jobs' counters (bytes, requests by decision, live connections,\n"
     "access log lines dropped) and the node's (jobs by mode, setups, refusals by\n"
     "stage, gc removals) in the Prometheus text exposition format. gc writes the\n"
     "same text to " NW_TEXTFILE_DIR "/" NW_TEXTFILE_NAME "\n"
     "when that directory exists ($NETWARD_TEXTFILE_DIR overrides it).",
     false, run_metrics},
    {"domains", "domains CONTAINER",
     "Prints the shortest io.netward.domains value covering every name the http job\n"
     "in CONTAINER reached, allowed or reported (report_unlisted_domains), from its\n"
     "access log: \".example.com\" where it reached several names under example.com,\n"
     "and only where the node's domain_allowlist admits it.",
     false, run_domains},
    {"check-config", "check-config [--json] [--strict] [FILE]",
     "Validates a node config (FILE, else --config, else " NW_DEFAULT_CONFIG ") and\n"
     "prints the policy it yields, each value labelled with where it came from,\n"
     "then hints and warnings. --strict turns warnings into errors (exit 1);\n"
     "--json prints {\"valid\", \"policy\", \"sources\", \"warnings\", \"error\"}.",
     false, run_check_config},
    {"explain", "explain --network MODE [--domains LIST] [--json]",
     "Says whether a job with these annotations would be admitted: every domain\n"
     "the node's domain_allowlist refuses, and the entry covering each other one.\n"
     "Exit 0 admitted, 1 refused. Starts nothing.",
     false, run_explain},
    {"test", "test URL [--domains LIST] [--json]",
     "The proxy's decision for URL under the node config, without a proxy: ports,\n"
     "deny_destinations, resolution through dns_servers, the private-range check.\n"
     "LIST is the job's domains (default: the URL's host). Exit 0 allowed,\n"
     "1 refused.",
     false, run_test},
    {"proxy",
     "proxy --listen ADDR:PORT --domains LIST [--job-id ID] [--intercept-port PORT]\n"
     "      [--dns-port PORT] [--no-sandbox]",
     "Runs a job proxy in the foreground under the node config's policy.\n"
     "--intercept-port also serves redirected connections (the job's\n"
     "interception: the original destination from SO_ORIGINAL_DST) on that\n"
     "port of ADDR; --dns-port serves the job's DNS (UDP and TCP) there.\n"
     "--no-sandbox skips the sandbox (ids, capabilities, seccomp) for debugging\n"
     "under valgrind or a debugger only; a job's proxy started by the hook is\n"
     "always sandboxed.",
     false, run_proxy},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void command_usage(const struct command *cmd, FILE *f)
{
	fprintf(f, "Usage: netward [--config FILE] %s\n\n%s\n", cmd->usage, cmd->help);
}

/* --help anywhere among a command's arguments prints its usage and does
 * nothing else: no stdin, no config, no node state. */
static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: netward [--config FILE] COMMAND [ARGS]\n\n"
		   "OCI hook stages (the state or config.json on stdin):\n");
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (i > 0 && commands[i].stage != commands[i - 1].stage)
			fprintf(f, "\nCommands:\n");
		fprintf(f, "  %s\n", commands[i].usage);
	}
	fprintf(f,
		"\n"
		"Options:\n"
		"  --config FILE        node config (default %s, or $NETWARD_CONFIG)\n"
		"  --help, --version    netward COMMAND --help for one command\n"
		"\n"
		"Exit status: 0 success, 1 refused or failed, 2 bad command line.\n"
		"Annotations: io.netward.network (none|http|full), io.netward.domains,\n"
		"io.netward.job-id. See netward(8) and netward.json(5).\n",
		NW_DEFAULT_CONFIG);
}

int main(int argc, char **argv)
{
	struct cli c = {.config_path = NW_DEFAULT_CONFIG};
	cleanup_err nw_err err = NULL;
	const struct command *cmd;
	int i = 1, rc;

	signal(SIGPIPE, SIG_IGN);
	if (getenv("NETWARD_CONFIG") != NULL && getenv("NETWARD_CONFIG")[0] != '\0') {
		c.config_path = getenv("NETWARD_CONFIG");
		c.explicit_config = true;
	}
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("netward %s\n", NW_VERSION);
			return 0;
		}
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			c.config_path = argv[++i];
			c.explicit_config = true;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			c.config_path = argv[i] + 9;
			c.explicit_config = true;
		} else {
			fprintf(stderr, "netward: unknown option \"%s\" (see netward --help)\n",
				argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* Not a command of netward(8)'s: the job's monitor, which the hook
	 * starts with the spec's descriptor (monitor.h). */
	if (strcmp(argv[i], MONITOR_EXEC_COMMAND) == 0 && i + 2 == argc)
		job_monitor_main(argv[i + 1]);
	cmd = find_command(argv[i]);
	if (cmd == NULL) {
		fprintf(stderr, "netward: unknown command \"%s\" (see netward --help)\n", argv[i]);
		return 2;
	}
	if (wants_help(argc - i, argv + i)) {
		command_usage(cmd, stdout);
		return 0;
	}
	config_defaults(&c.cfg);
	rc = cmd->run(&c, cmd, argc - i, argv + i, &err);
	if (rc < 0) {
		if (cmd->stage) {
			/* A refusal must reach the operator even when the runtime
			 * swallows hook output (crun, runc outside its errors). */
			size_t len;
			cleanup_free char *rest = read_all(STDIN_FILENO, 0, &len, NULL);
			log_msg(LOG_ERR, "%s refused: %s", argv[i], nw_err_msg(err));
		}
		if (err != NULL)
			fprintf(stderr, "netward: %s\n", nw_err_msg(err));
	}
	config_free(&c.cfg);
	return rc == NW_USAGE ? 2 : rc < 0 ? 1 : 0;
}
