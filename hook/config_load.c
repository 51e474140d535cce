/* The node config from its file, and the DNS servers of /etc/resolv.conf
 * when it names none (config_load in config.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "io.h"

#define RESOLV_MAX   (64 * 1024)
#define RESOLV_MAXNS 3 /* glibc's MAXNS: later nameserver lines are never asked */

/* Reads at most max bytes of path; more is an error. Missing files set
 * errno ENOENT so the caller can tell. */
static char *read_bounded(const char *path, size_t max, size_t *len, nw_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		nw_fail(err, errno, "cannot read node config %s", path);
		return NULL;
	}
	return io_read_fd(fd, max, path, len, err);
}

/* "nameserver ADDR" with an address we can use; a zone index or a typo is
 * skipped, as the resolver library skips it. */
static bool nameserver_line(const char *line, size_t len, struct nw_addr *out)
{
	char word[64];
	size_t n;

	if (len < 11 || strncmp(line, "nameserver", 10) != 0 ||
	    (line[10] != ' ' && line[10] != '\t'))
		return false;
	line += 11;
	len -= 11;
	n = strspn(line, " \t");
	line += n;
	len -= n;
	n = strcspn(line, " \t#;\n");
	if (n == 0 || n >= sizeof(word) || n > len)
		return false;
	memcpy(word, line, n);
	word[n] = '\0';
	return addr_parse(word, out, NULL) == 0;
}

static void resolv_conf_servers(struct nw_config *cfg, const char *text)
{
	struct nw_dns_server found[RESOLV_MAXNS];
	size_t n = 0;

	for (const char *p = text; *p != '\0' && n < RESOLV_MAXNS;) {
		size_t len = strcspn(p, "\n");
		if (nameserver_line(p, len, &found[n].addr))
			found[n++].port = 53;
		p += len;
		if (*p == '\n')
			p++;
	}
	if (n == 0)
		return;
	cfg->dns = calloc(n, sizeof(*cfg->dns));
	if (cfg->dns == NULL)
		return;
	memcpy(cfg->dns, found, n * sizeof(*found));
	cfg->n_dns = n;
}

static int load_resolv_conf(struct nw_config *cfg, nw_err *err)
{
	cleanup_err nw_err ignored = NULL;
	cleanup_free char *text = NULL;
	size_t len;

	cfg->dns_from_resolv_conf = true;
	text = read_bounded(NW_RESOLV_CONF, RESOLV_MAX, &len, &ignored);
	if (text != NULL)
		resolv_conf_servers(cfg, text);
	/* Only http jobs resolve names; a node without them needs no resolver. */
	if (cfg->n_dns == 0 && (cfg->allowed_modes & NW_MODE_BIT(NW_MODE_HTTP)))
		return nw_fail(err, 0,
			       "no \"dns_servers\" and no usable nameserver in %s; http jobs need "
			       "one: set \"dns_servers\"",
			       NW_RESOLV_CONF);
	return 0;
}

int config_load(struct nw_config *cfg, const char *path, bool explicit_path, nw_err *err)
{
	cleanup_free char *text = NULL;
	cleanup_err nw_err rerr = NULL;
	cleanup_config struct nw_config c = {0};
	size_t len = 0;

	if (path == NULL)
		path = NW_DEFAULT_CONFIG;
	text = read_bounded(path, NW_CONFIG_MAX, &len, &rerr);
	/* No file where none was asked for: the defaults. */
	if (text == NULL && (explicit_path || nw_err_code(rerr) != ENOENT))
		return nw_err_move(err, &rerr);
	if (text == NULL) {
		text = strdup("{}");
		len = 2;
		if (text == NULL)
			return nw_fail(err, ENOMEM, "node config defaults");
	}
	if (config_parse(&c, text, len, err) < 0)
		return nw_wrap(err, "%s", path);
	c.path = strdup(path);
	if (c.path == NULL)
		return nw_fail(err, ENOMEM, "node config");
	if (c.n_dns == 0 && load_resolv_conf(&c, err) < 0)
		return nw_wrap(err, "%s", path);
	/* cfg holds a config already (main fills in the defaults first, so a
	 * stage that cannot load one still has them): replace it whole. */
	config_free(cfg);
	*cfg = c;
	memset(&c, 0, sizeof(c));
	return 0;
}
