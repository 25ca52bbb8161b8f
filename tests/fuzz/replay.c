/* Without libFuzzer: every seed of a target's corpus once through its
 * LLVMFuzzerTestOneInput, as TAP (one "ok" per file). Linked with one
 * fz_TARGET.c as a check program, so that `make check` (with gcc, and
 * under the sanitizers of --enable-asan) replays the seeds, the inputs
 * that once found bugs (corpus/T/regress-*) among them.
 *   replay-T [DIR|FILE...]	(default: FZ_SRCDIR/tests/fuzz/corpus/T) */
#include "config.h"
#include "tests/fuzz/fz.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int n;

static void
one(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *d;
	size_t len;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		printf("not ok %d - %s: cannot read\n", ++n, path);
		if (f)
			fclose(f);
		return;
	}
	d = malloc((size_t)st.st_size + 1);
	len = fread(d, 1, (size_t)st.st_size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(d, len);
	free(d);
	printf("ok %d - %s\n", ++n, path);
	fflush(stdout);
}

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
dir_or_file(const char *path)
{
	DIR *dp = opendir(path);
	struct dirent *e;
	char **v = NULL;
	size_t nv = 0;

	if (dp == NULL) {
		one(path);
		return;
	}
	while ((e = readdir(dp)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, (nv + 1) * sizeof *v);
		v[nv] = malloc(strlen(path) + strlen(e->d_name) + 2);
		sprintf(v[nv++], "%s/%s", path, e->d_name);
	}
	closedir(dp);
	if (nv > 1)
		qsort(v, nv, sizeof *v, cmp);
	for (size_t i = 0; i < nv; i++) {
		one(v[i]);
		free(v[i]);
	}
	free(v);
}

int
main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		dir_or_file(FZ_SRCDIR "/tests/fuzz/corpus/" FZ_TARGET);
	for (int i = 1; i < argc; i++)
		dir_or_file(argv[i]);
	printf("1..%d\n", n);
	return n > 0 ? 0 : 1;
}
