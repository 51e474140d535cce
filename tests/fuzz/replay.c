/* Runs a fuzz target's LLVMFuzzerTestOneInput over files, without
 * libFuzzer, so the corpus and the regression files replay in a plain
 * ASan+UBSan build wherever clang's fuzzer runtime is missing.
 * Usage: replay-TARGET FILE|DIR...  (directories are walked, dot files
 * such as .gitkeep skipped). Exits non-zero when an input cannot be read;
 * a crash or sanitizer report ends the run with its own status. */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long n_inputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, r;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nbuf;
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* An exact-size copy, so ASan sees a read one byte past the input
	 * as libFuzzer would. */
	nbuf = malloc(len ? len : 1);
	if (nbuf == NULL) {
		free(buf);
		return -1;
	}
	if (len)
		memcpy(nbuf, buf, len);
	free(buf);
	if (getenv("REPLAY_VERBOSE") != NULL)
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(nbuf, len);
	free(nbuf);
	n_inputs++;
	return 0;
}

static int run_path(const char *path);

static int run_dir(const char *path)
{
	struct dirent **ents;
	int n, rc = 0;

	/* Sorted, so a run is reproducible and its order readable. */
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		char *sub;
		if (ents[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", path, ents[i]->d_name) >= 0) {
			if (run_path(sub) < 0)
				rc = -1;
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

static int run_path(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return S_ISDIR(st.st_mode) ? run_dir(path) : run_file(path);
}

int main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (run_path(argv[i]) < 0)
			rc = 1;
	printf("replayed %lu inputs\n", n_inputs);
	return rc;
}
