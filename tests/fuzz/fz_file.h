/* The loader targets write the input to a file: the loaders take a path. */
#ifndef LD_FZ_FILE_H
#define LD_FZ_FILE_H
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>

static char fz_dir[64];

/* At exit: the directory and what it holds go. */
static void
fz_dir_remove(void)
{
	DIR *dp = opendir(fz_dir);
	struct dirent *e;
	char p[sizeof fz_dir + 256 + 2];

	if (dp == NULL)
		return;
	while ((e = readdir(dp)) != NULL)
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof p, "%s/%s", fz_dir, e->d_name);
			unlink(p);
		}
	closedir(dp);
	rmdir(fz_dir);
}

/* DIR/name in a private temporary directory (made on first use), holding
 * data. Returns the path (static). */
static inline const char *
fz_file(const char *name, const void *data, size_t size)
{
	static char path[128];
	if (fz_dir[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(fz_dir, sizeof fz_dir, "%s/fzXXXXXX", t && *t ? t : "/tmp");
		if (mkdtemp(fz_dir) == NULL)
			abort();
		atexit(fz_dir_remove);
	}
	snprintf(path, sizeof path, "%s/%s", fz_dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) != 0)
		abort();
	return path;
}
#endif
