#include "counters.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "state.h"

#define PATH	 NW_STATE_DIR "/" NW_COUNTERS_FILE
#define TMP_PATH NW_STATE_DIR "/" NW_COUNTERS_FILE ".tmp"

/* Lines "NAME LABEL VALUE"; anything else in the file is skipped, so a
 * torn or foreign file costs counts, never a refusal. */
int counters_read(struct nw_counter *out, int max)
{
	cleanup_file FILE *f = fopen(PATH, "re");
	char line[128];
	int n = 0;

	if (f == NULL)
		return 0;
	while (n < max && fgets(line, sizeof(line), f) != NULL) {
		struct nw_counter *c = &out[n];
		unsigned long long v;
		if (sscanf(line, "%31[a-z_] %31[a-z_0-9] %llu", c->name, c->label, &v) != 3)
			continue;
		c->value = v;
		n++;
	}
	return n;
}

static int write_counters(const struct nw_counter *c, int n, nw_err *err)
{
	cleanup_close int fd =
	    open(TMP_PATH, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	cleanup_file FILE *f = NULL;

	if (fd < 0)
		return nw_fail(err, errno, "writing %s", TMP_PATH);
	f = fdopen(steal_fd(&fd), "w");
	if (f == NULL)
		return nw_fail(err, errno, "writing %s", TMP_PATH);
	for (int i = 0; i < n; i++)
		fprintf(f, "%s %s %llu\n", c[i].name, c[i].label, (unsigned long long)c[i].value);
	if (fflush(f) != 0 || ferror(f))
		return nw_fail(err, errno, "writing %s", TMP_PATH);
	if (rename(TMP_PATH, PATH) < 0)
		return nw_fail(err, errno, "renaming %s", TMP_PATH);
	return 0;
}

static int add_locked(const char *name, const char *label, uint64_t n, nw_err *err)
{
	struct nw_counter c[NW_COUNTERS_MAX];
	int cnt = counters_read(c, NW_COUNTERS_MAX), i;

	for (i = 0; i < cnt; i++)
		if (strcmp(c[i].name, name) == 0 && strcmp(c[i].label, label) == 0)
			break;
	if (i == cnt) {
		if (cnt == NW_COUNTERS_MAX)
			return nw_fail(err, 0, "%s holds %d counters already", PATH, cnt);
		snprintf(c[i].name, sizeof(c[i].name), "%s", name);
		snprintf(c[i].label, sizeof(c[i].label), "%s", label);
		c[i].value = 0;
		cnt++;
	}
	c[i].value += n;
	return write_counters(c, cnt, err);
}

int counters_add(const char *name, const char *label, uint64_t n, nw_err *err)
{
	cleanup_state_lock int lock = -1;

	/* Under the lock this process already holds, or one of its own. */
	if (state_lock_fd() < 0 && (lock = state_lock(err)) < 0)
		return -1;
	return add_locked(name, label, n, err) < 0 ? nw_wrap(err, "node counters") : 0;
}
