/* check-config's report of the engines registered to use netward-runc,
 * from config files under a scratch root. */
#include <stdlib.h>
#include <sys/stat.h>

#include "shim_engines.h"
#include "unit.h"

static char root[] = "/tmp/nwt-engines.XXXXXX";

static void put(const char *rel, const char *text)
{
	char path[512], dir[512];
	snprintf(path, sizeof(path), "%s%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + strlen(root) + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(dir, 0755);
			*p = '/';
		}
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static char *report(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	shim_engines_report(root, f);
	fclose(f);
	return buf;
}

static void test_nothing_registered(void)
{
	char *r = report();
	CHECK(strstr(r, "docker: ") && strstr(r, "/etc/docker/daemon.json: none"));
	CHECK(strstr(r, "/etc/containerd/config.toml: none") != NULL);
	CHECK(strstr(r, "podman: hooks_dir is the default") != NULL);
	free(r);
}

static void test_registered(void)
{
	put("/etc/docker/daemon.json",
	    "{\"default-runtime\":\"netward\",\"runtimes\":{\"netward\":{\"path\":"
	    "\"/usr/bin/netward-runc\"},\"other\":{\"path\":\"/usr/bin/crun\"}}}");
	put("/etc/containerd/config.toml",
	    "version = "
	    "2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.netward.options]\n"
	    "  BinaryName = \"/usr/bin/netward-runc\"\n");
	put("/etc/containers/containers.conf", "[engine]\nhooks_dir = [\"/opt/hooks\"]\n");
	char *r = report();
	CHECK(strstr(r, "runtime \"netward\" is netward-runc (the default-runtime)") != NULL);
	CHECK(strstr(r, "\"other\"") == NULL);
	CHECK(strstr(r, "runtimes.netward.options] BinaryName is netward-runc") != NULL);
	CHECK(strstr(r, "leaves out netward's hooks.d directory") != NULL);
	free(r);
}

static void test_not_the_default(void)
{
	put("/etc/docker/daemon.json",
	    "{\"runtimes\":{\"nw\":{\"path\":\"/usr/local/bin/netward-runc\"}}}");
	put("/etc/containerd/config.toml", "# BinaryName = \"/usr/bin/netward-runc\"\n");
	put("/etc/containers/containers.conf",
	    "[engine]\nhooks_dir = [\"/usr/share/containers/oci/hooks.d\"]\n");
	char *r = report();
	CHECK(strstr(r, "runtime \"nw\" is netward-runc (containers ask for it") != NULL);
	CHECK(strstr(r, "no runc BinaryName is netward-runc") != NULL);
	CHECK(strstr(r, "netward's hooks apply if their files are there") != NULL);
	free(r);
	put("/etc/docker/daemon.json", "{");
	r = report();
	CHECK(strstr(r, "daemon.json: not valid JSON") != NULL);
	free(r);
}

int main(void)
{
	if (mkdtemp(root) == NULL)
		return 1;
	RUN(test_nothing_registered);
	RUN(test_registered);
	RUN(test_not_the_default);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		return 1;
	UNIT_DONE();
}
