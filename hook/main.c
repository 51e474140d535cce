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

#include "cleanup.h"
#include "config.h"
#include "job.h"
#include "json.h"
#include "log.h"
#include "oci.h"
#include "policy.h"
#include "proxy.h"
#include "shim_engines.h"
#include "state.h"
#include "status.h"
#include "wire.h"

#define STDIN_MAX (4 << 20)

struct cli {
	const char *config_path;
	bool explicit_config;
	struct nw_config cfg;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: netward [--config FILE] COMMAND [ARGS]\n"
		"\n"
		"OCI hook stages (the state or config.json on stdin):\n"
		"  precreate            podman's config filter: config.json in, patched out\n"
		"  prestart             build the container's network for its mode\n"
		"  createRuntime        the same as prestart\n"
		"  poststop             remove everything the container had (idempotent)\n"
		"\n"
		"Commands:\n"
		"  patch-bundle DIR     make `runc run` in bundle DIR use netward\n"
		"  gc                   remove what jobs that no longer exist left behind\n"
		"  status [--json]      the live jobs\n"
		"  check-config [FILE]  validate a node config and print its policy\n"
		"  proxy --listen ADDR:PORT --domains LIST [--job-id ID] [--no-sandbox]\n"
		"                       run a job proxy in the foreground; --no-sandbox\n"
		"                       skips the sandbox (ids, capabilities, seccomp) for\n"
		"                       debugging under valgrind or a debugger only; a job's\n"
		"                       proxy started by the hook is always sandboxed\n"
		"\n"
		"Options:\n"
		"  --config FILE        node config (default %s, or $NETWARD_CONFIG)\n"
		"  --help, --version\n"
		"\n"
		"Annotations: io.netward.network (none|http|full), io.netward.domains,\n"
		"io.netward.job-id. See netward(8) and netward.json(5).\n",
		NW_DEFAULT_CONFIG);
}

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

static int cmd_precreate(struct cli *c, nw_err *err)
{
	size_t len;
	cleanup_free char *in = read_all(STDIN_FILENO, STDIN_MAX, &len, err);
	cleanup_json struct json *conf = NULL;
	cleanup_free char *out = NULL;
	struct oci_annotations ann = {0};
	struct job_policy pol;
	nw_err refusal = NULL;

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
		nw_err_free(&refusal);
		memset(&pol, 0, sizeof(pol));
		pol.mode = NW_MODE_NONE;
	}
	struct oci_patch p = {.mode = pol.mode, .proxy_port = c->cfg.proxy_port};
	int rc = oci_config_patch(conf, &p, err);
	policy_free(&pol);
	oci_annotations_free(&ann);
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

static int cmd_start(struct cli *c, nw_err *err)
{
	struct oci_state st = {0};
	struct oci_config oc = {0};
	struct job_policy pol;
	int rc = -1;

	if (read_state(&st, err) < 0)
		return -1;
	log_set_context(st.id, NULL);
	if (load_config(c, err) < 0)
		goto out;
	if (oci_config_read(st.bundle, &oc, err) < 0)
		goto out;
	if (decide(c, &oc.ann, st.id, &pol, err) < 0)
		goto out;
	log_set_context(st.id, pol.job_id);
	rc = job_setup(&c->cfg, st.id, st.pid, &pol, err);
	policy_free(&pol);
out:
	oci_config_free(&oc);
	oci_state_free(&st);
	return rc;
}

static int cmd_poststop(struct cli *c, nw_err *err)
{
	struct oci_state st = {0};
	nw_err cerr = NULL;
	int rc;

	if (read_state(&st, err) < 0)
		return -1;
	log_set_context(st.id, NULL);
	/* Teardown needs only the state entry: a broken config never keeps a
	 * job's network up. */
	if (load_config(c, &cerr) < 0) {
		log_open("syslog");
		log_msg(LOG_WARNING, "poststop: %s", nw_err_msg(cerr));
		nw_err_free(&cerr);
	}
	rc = job_teardown(st.id, err);
	oci_state_free(&st);
	return rc;
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
		if (rc == 0)
			rc = oci_config_write(dir, oc.json, err);
		policy_free(&pol);
	}
	oci_config_free(&oc);
	return rc;
}

static int cmd_gc(struct cli *c, nw_err *err)
{
	struct gc_report rep;
	nw_err cerr = NULL;

	if (load_config(c, &cerr) < 0) {
		log_open("syslog");
		nw_err_free(&cerr);
	}
	if (job_gc(&rep, stdout, err) < 0)
		return -1;
	printf("gc: removed %u job(s), the firewall state of %u interface(s), %u link(s), "
	       "%u address(es)\n",
	       rep.jobs, rep.firewall, rep.links, rep.addrs);
	if (rep.jobs + rep.firewall + rep.links + rep.addrs > 0)
		log_msg(LOG_INFO,
			"gc removed %u job(s), the firewall state of %u interface(s), %u link(s), "
			"%u address(es)",
			rep.jobs, rep.firewall, rep.links, rep.addrs);
	return 0;
}

static int cmd_check_config(struct cli *c, const char *file, nw_err *err)
{
	cleanup_free char *out = NULL;

	if (file != NULL) {
		c->config_path = file;
		c->explicit_config = true;
	}
	if (config_load(&c->cfg, c->config_path, c->explicit_config, err) < 0)
		return -1;
	out = config_render(&c->cfg, err);
	if (out == NULL)
		return -1;
	printf("%s\n", out);
	fprintf(stderr, "netward: %s is valid\n", c->cfg.path ? c->cfg.path : c->config_path);
	shim_engines_report("/", stderr);
	return 0;
}

static int cmd_proxy(struct cli *c, int argc, char **argv, nw_err *err)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"domains", required_argument, NULL, 'd'},
					     {"job-id", required_argument, NULL, 'j'},
					     {"no-sandbox", no_argument, NULL, 'S'},
					     {NULL, 0, NULL, 0}};
	const char *listen = NULL, *domains = NULL, *job_id = "proxy";
	bool sandbox = true;
	char host[64];
	unsigned port;
	int o;
	struct job_policy pol;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'l')
			listen = optarg;
		else if (o == 'd')
			domains = optarg;
		else if (o == 'j')
			job_id = optarg;
		else if (o == 'S')
			sandbox = false; /* valgrind cannot run under seccomp */
		else
			return nw_fail(err, 0, "proxy: unknown option (see netward --help)");
	}
	if (listen == NULL || domains == NULL)
		return nw_fail(err, 0, "proxy needs --listen ADDR:PORT and --domains LIST");
	if (sscanf(listen, "%63[0-9.]:%u", host, &port) != 2 || port == 0 || port > 65535)
		return nw_fail(err, 0, "proxy: --listen wants IPv4:PORT, got \"%s\"", listen);
	if (load_config(c, err) < 0)
		return -1;
	/* The node's ceiling applies to a hand-started proxy too. */
	c->cfg.allowed_modes |= NW_MODE_BIT(NW_MODE_HTTP);
	if (policy_decide(&c->cfg, "http", domains, job_id, job_id, &pol, err) < 0)
		return -1;
	int fd = proxy_listen(host, port, NULL, err);
	if (fd < 0) {
		policy_free(&pol);
		return -1;
	}
	struct proxy_opts po = {.cfg = &c->cfg,
				.domains = &pol.domains,
				.job_id = pol.job_id,
				.container_id = pol.job_id,
				.listen_fd = fd,
				.log_fd = -1,
				.stats_fd = -1,
				.ready_fd = -1,
				.sandbox = sandbox,
				.uid = 65534,
				.gid = 65534};
	fprintf(stderr, "netward: proxy for %s listening on %s%s\n", domains, listen,
		sandbox ? "" : " (no sandbox: debugging only)");
	int rc = proxy_run(&po, err);
	policy_free(&pol);
	return rc;
}

static int dispatch(struct cli *c, int argc, char **argv, nw_err *err)
{
	const char *cmd = argv[0];

	if (strcmp(cmd, "precreate") == 0)
		return cmd_precreate(c, err);
	if (strcmp(cmd, "prestart") == 0 || strcmp(cmd, "createRuntime") == 0)
		return cmd_start(c, err);
	if (strcmp(cmd, "poststop") == 0)
		return cmd_poststop(c, err);
	if (strcmp(cmd, "patch-bundle") == 0) {
		if (argc != 2)
			return nw_fail(err, 0, "usage: netward patch-bundle DIR");
		return cmd_patch_bundle(c, argv[1], err);
	}
	if (strcmp(cmd, "gc") == 0)
		return cmd_gc(c, err);
	if (strcmp(cmd, "status") == 0) {
		bool as_json = argc > 1 && strcmp(argv[1], "--json") == 0;
		if (argc > 2 || (argc == 2 && !as_json))
			return nw_fail(err, 0, "usage: netward status [--json]");
		return status_print(as_json, stdout, err);
	}
	if (strcmp(cmd, "check-config") == 0) {
		if (argc > 2)
			return nw_fail(err, 0, "usage: netward check-config [FILE]");
		return cmd_check_config(c, argc == 2 ? argv[1] : NULL, err);
	}
	if (strcmp(cmd, "proxy") == 0)
		return cmd_proxy(c, argc, argv, err);
	return nw_fail(err, 0, "unknown command \"%s\" (see netward --help)", cmd);
}

static bool is_stage(const char *cmd)
{
	return strcmp(cmd, "precreate") == 0 || strcmp(cmd, "prestart") == 0 ||
	       strcmp(cmd, "createRuntime") == 0 || strcmp(cmd, "poststop") == 0;
}

int main(int argc, char **argv)
{
	struct cli c = {.config_path = NW_DEFAULT_CONFIG};
	cleanup_err nw_err err = NULL;
	int i = 1;

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
	config_defaults(&c.cfg);
	if (dispatch(&c, argc - i, argv + i, &err) < 0) {
		if (is_stage(argv[i])) {
			/* A refusal must reach the operator even when the runtime
			 * swallows hook output (crun, runc outside its errors). */
			size_t len;
			char *rest = read_all(STDIN_FILENO, 0, &len, NULL);
			free(rest);
			log_msg(LOG_ERR, "%s refused: %s", argv[i], nw_err_msg(err));
		}
		fprintf(stderr, "netward: %s\n", nw_err_msg(err));
		config_free(&c.cfg);
		return 1;
	}
	config_free(&c.cfg);
	return 0;
}
