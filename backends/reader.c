#include "config.h"
#include "backends/reader.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

int
reader_expand(const char *const *sources, size_t n, char ***out, size_t *nout,
    struct ld_err *err)
{
	char **v = NULL;
	size_t nv = 0, cap = 0;

	for (size_t i = 0; i < n; i++) {
		const char *s = sources[i];
		if (strcmp(s, "-") != 0 && strpbrk(s, "*?[") != NULL &&
		    access(s, F_OK) != 0) {
			glob_t g;
			int rc = glob(s, 0, NULL, &g);
			if (rc != 0 || g.gl_pathc == 0) {
				if (rc == 0)
					globfree(&g);
				for (size_t k = 0; k < nv; k++)
					free(v[k]);
				free(v);
				return err_set(err, LD_ESOURCE, "no file matches '%s'", s);
			}
			for (size_t k = 0; k < g.gl_pathc; k++) {
				if (nv == cap) {
					cap = cap ? cap * 2 : 8;
					v = xreallocarray(v, cap, sizeof *v);
				}
				v[nv++] = xstrdup(g.gl_pathv[k]);
			}
			globfree(&g);
			continue;
		}
		if (nv == cap) {
			cap = cap ? cap * 2 : 8;
			v = xreallocarray(v, cap, sizeof *v);
		}
		v[nv++] = xstrdup(s);
	}
	*out = v;
	*nout = nv;
	return LD_OK;
}

static int
spool_fd(void)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/logdive-spool-XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	free(path);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
reader_open(struct rsrc *s, const char *name, _Atomic uint64_t *progress,
    _Atomic int *cancel, struct ld_err *err)
{
	unsigned char magic[2];
	int in;
	ssize_t m;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->name = xstrdup(name);
	if (strcmp(name, "-") == 0) {
		in = dup(STDIN_FILENO);
		s->spooled = 1;
	} else {
		in = open(name, O_RDONLY | O_CLOEXEC);
		if (in < 0) {
			err_set(err, LD_ESOURCE, "cannot open %s: %s", name, strerror(errno));
			goto fail;
		}
		if (fstat(in, &s->st) != 0 || S_ISDIR(s->st.st_mode)) {
			err_set(err, LD_ESOURCE, "cannot read %s: %s", name,
			    S_ISDIR(s->st.st_mode) ? "is a directory" : strerror(errno));
			close(in);
			goto fail;
		}
		m = pread(in, magic, 2, 0);
		if (m == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
			s->gz = s->spooled = 1;
		else if (!S_ISREG(s->st.st_mode))
			s->spooled = 1;		/* a pipe or device: copy it */
	}
	if (!s->spooled) {
		s->fd = in;
		return LD_OK;
	}

	int out = spool_fd();
	if (out < 0) {
		err_set(err, LD_ESOURCE, "cannot create a temporary file in %s: %s",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", strerror(errno));
		close(in);
		goto fail;
	}
	size_t bufsz = 1 << 20;
	char *buf = xmalloc(bufsz);
	int rc = LD_OK;
	if (s->gz) {
		gzFile gz = gzdopen(in, "rb");
		if (gz == NULL) {
			close(in);
			rc = err_set(err, LD_ESOURCE, "cannot read %s: out of memory", name);
		} else {
			gzbuffer(gz, 1 << 17);
			for (;;) {
				if (cancel && *cancel) {
					rc = err_set(err, LD_ECANCEL, "cancelled");
					break;
				}
				int r = gzread(gz, buf, (unsigned)bufsz);
				if (r < 0) {
					int zerr;
					const char *msg = gzerror(gz, &zerr);
					rc = err_set(err, LD_ESOURCE, "%s: corrupt gzip data (%s); "
					    "the lines before it are kept", name, msg);
					break;
				}
				if (r == 0) {
					int zerr;
					gzerror(gz, &zerr);
					if (zerr == Z_BUF_ERROR)
						rc = err_set(err, LD_ESOURCE, "%s: the gzip data ends "
						    "early (a truncated file?); the lines before the "
						    "end are kept", name);
					break;
				}
				if (write_all(out, buf, (size_t)r) != 0) {
					rc = err_set(err, LD_ESOURCE, "cannot write a temporary copy "
					    "of %s: %s", name, strerror(errno));
					break;
				}
				if (progress)
					*progress = (uint64_t)gzoffset(gz);
			}
			gzclose(gz);
		}
	} else {
		for (;;) {
			if (cancel && *cancel) {
				rc = err_set(err, LD_ECANCEL, "cancelled");
				break;
			}
			ssize_t r = read(in, buf, bufsz);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = err_set(err, LD_ESOURCE, "cannot read %s: %s",
				    strcmp(name, "-") == 0 ? "standard input" : name, strerror(errno));
				break;
			}
			if (r == 0)
				break;
			if (write_all(out, buf, (size_t)r) != 0) {
				rc = err_set(err, LD_ESOURCE, "cannot write a temporary copy of "
				    "standard input: %s", strerror(errno));
				break;
			}
			if (progress)
				*progress += (uint64_t)r;
		}
		close(in);
	}
	free(buf);
	s->fd = out;
	/* A corrupt gzip keeps what was decompressed: report, but go on. */
	if (rc == LD_ESOURCE && s->gz)
		return rc;
	if (rc != LD_OK) {
		close(out);
		s->fd = -1;
		goto fail;
	}
	return LD_OK;
fail:
	free(s->name);
	s->name = NULL;
	return err ? (int)err->status : LD_ESOURCE;
}

void
reader_close(struct rsrc *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->name);
	s->name = NULL;
}

ssize_t
reader_pread(int fd, void *p, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}
