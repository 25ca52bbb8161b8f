#include "config.h"
#include "backends/reader.h"
#include "lib/strutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
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

/* A spool past SPOOL_SMALL leaves part of its file system free, so that a
 * gzip bomb or an endless pipe cannot fill the disk other programs write
 * to: 5% of it, at most SPOOL_RESERVE_MAX. A small input is copied even to
 * a disk already that full. */
#define SPOOL_RESERVE_MAX	((uint64_t)256 << 20)
#define SPOOL_SMALL		((uint64_t)16 << 20)

/* write_all to the spool (n <= 1 MiB), *written counting; past
 * SPOOL_SMALL the room left on its file system is checked after each
 * write (fstatvfs: about a microsecond per MiB). Returns 0, -1 (errno set)
 * or -2 (the reserve is reached). */
static int
spool_write(int fd, const char *p, size_t n, uint64_t *written)
{
	struct statvfs v;

	if (write_all(fd, p, n) != 0)
		return -1;
	*written += n;
	if (*written >= SPOOL_SMALL && fstatvfs(fd, &v) == 0) {
		uint64_t size = (uint64_t)v.f_blocks * v.f_frsize;
		uint64_t avail = (uint64_t)v.f_bavail * v.f_frsize;
		uint64_t reserve = size / 20;
		if (reserve > SPOOL_RESERVE_MAX)
			reserve = SPOOL_RESERVE_MAX;
		if (avail < reserve)
			return -2;
	}
	return 0;
}

/* The error of a failed spool_write (rc -1 or -2) for source name. */
static int
spool_err(int rc, const char *name, uint64_t written, struct ld_err *err)
{
	const char *dir = getenv("TMPDIR");
	char sz[16];

	if (rc == -2)
		return err_set(err, LD_ESOURCE, "cannot copy %s to %s: it would leave less "
		    "than 5%% of that disk free after %s (a gzip bomb or an endless "
		    "input?); set TMPDIR to a larger disk", strcmp(name, "-") == 0 ?
		    "standard input" : name, dir && *dir ? dir : "/tmp",
		    fmt_bytes((double)written, sz, sizeof sz));
	return err_set(err, LD_ESOURCE, "cannot write a temporary copy of %s: %s",
	    strcmp(name, "-") == 0 ? "standard input" : name, strerror(errno));
}

/* read() that retries EINTR. */
static ssize_t
read_some(int fd, void *p, size_t n)
{
	ssize_t r;
	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Read more of in into ibuf[0..insz) after the zs->avail_in bytes not yet
 * given to inflate (moved to its start). Sets *eof at the end of in.
 * Returns 0, or -1 on a read error (errno set). */
static int
refill(int in, unsigned char *ibuf, size_t insz, z_stream *zs, int *eof)
{
	size_t keep = zs->avail_in;
	ssize_t r;

	if (keep > 0)
		memmove(ibuf, zs->next_in, keep);
	if ((r = read_some(in, ibuf + keep, insz - keep)) < 0)
		return -1;
	if (r == 0)
		*eof = 1;
	zs->next_in = ibuf;
	zs->avail_in = (uInt)(keep + (size_t)r);
	return 0;
}

/*
 * Decompress the gzip file in (at its start) into out, as gzip -d does:
 * every member of a concatenation in turn; zero bytes after the last
 * member are padding (ignored, as gzip does); other bytes after it are
 * reported. zlib's inflate is driven directly (not gzread) so that every
 * byte it produced before damage reaches the spool: gzread drops what the
 * failing call decompressed, up to a buffer's worth of intact lines.
 * Returns LD_OK; LD_ECANCEL; or LD_ESOURCE with a one-line message naming
 * the file and the compressed byte offset of the damage (what came before
 * it is in out, the caller keeps it), or with *fatal set when out cannot
 * take more (spool_write: disk full or the reserve reached; the caller
 * gives up). buf[0..bufsz) is scratch for the output; the input buffer is
 * allocated here.
 */
static int
gunzip(int in, int out, const char *name, char *buf, size_t bufsz,
    _Atomic uint64_t *progress, _Atomic int *cancel, struct ld_err *err, int *fatal)
{
	const size_t insz = (size_t)1 << 17;
	unsigned char *ibuf = xmalloc(insz);
	z_stream zs;
	uint64_t consumed = 0;		/* compressed bytes given to inflate, in total */
	uint64_t written = 0;		/* bytes spooled */
	uint64_t mstart = 0;		/* file offset of the current member */
	int rc = LD_OK, zr = Z_OK, eof = 0, ended = 0;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(ibuf);
		return err_set(err, LD_ESOURCE, "cannot read %s: out of memory", name);
	}
	for (;;) {
		if (cancel && *cancel) {
			rc = err_set(err, LD_ECANCEL, "cancelled");
			goto out;
		}
		if (zs.avail_in == 0 && !eof && refill(in, ibuf, insz, &zs, &eof) != 0) {
			rc = err_set(err, LD_ESOURCE, "cannot read %s: %s", name, strerror(errno));
			goto out;
		}
		if (ended) {
			/* after a member: another one, padding, or garbage */
			if (zs.avail_in == 0 && eof)
				break;
			/* the magic may straddle two reads */
			if (zs.avail_in == 1 && !eof && refill(in, ibuf, insz, &zs, &eof) != 0) {
				rc = err_set(err, LD_ESOURCE, "cannot read %s: %s", name,
				    strerror(errno));
				goto out;
			}
			if (zs.avail_in >= 2 && zs.next_in[0] == 0x1f && zs.next_in[1] == 0x8b) {
				inflateReset(&zs);
				mstart = consumed;
				ended = 0;
				continue;
			}
			/* the rest of the file: all zeros is padding */
			uint64_t tail = 0, nonzero = 0;
			for (;;) {
				for (uInt i = 0; i < zs.avail_in; i++)
					nonzero += zs.next_in[i] != 0;
				tail += zs.avail_in;
				zs.avail_in = 0;
				if (eof)
					break;
				ssize_t r = read_some(in, ibuf, insz);
				if (r <= 0)
					break;
				zs.next_in = ibuf;
				zs.avail_in = (uInt)r;
			}
			if (nonzero > 0)
				rc = err_set(err, LD_ESOURCE, "%s: %llu bytes after the end of the "
				    "gzip data at byte %llu are not gzip (ignored: is the file "
				    "damaged?)", name, (unsigned long long)tail,
				    (unsigned long long)consumed);
			break;
		}
		if (zs.avail_in == 0 && eof) {
			rc = err_set(err, LD_ESOURCE, "%s: the gzip data ends early at byte %llu "
			    "(a truncated file?); the lines before the end are kept", name,
			    (unsigned long long)consumed);
			break;
		}
		zs.next_out = (Bytef *)buf;
		zs.avail_out = (uInt)bufsz;
		uInt before = zs.avail_in;
		zr = inflate(&zs, Z_NO_FLUSH);
		consumed += before - zs.avail_in;
		size_t produced = bufsz - zs.avail_out;
		int w = produced > 0 ? spool_write(out, buf, produced, &written) : 0;
		if (w != 0) {
			rc = spool_err(w, name, written, err);
			*fatal = 1;	/* a disk full, not a damaged file */
			goto out;
		}
		if (progress)
			*progress = consumed;
		if (zr == Z_STREAM_END) {
			ended = 1;
			continue;
		}
		if (zr == Z_OK || zr == Z_BUF_ERROR)
			continue;	/* Z_BUF_ERROR: wants more input */
		if (zr == Z_MEM_ERROR) {
			rc = err_set(err, LD_ESOURCE, "cannot read %s: out of memory", name);
			goto out;
		}
		/* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		if (zs.msg && (strcmp(zs.msg, "incorrect data check") == 0 ||
		    strcmp(zs.msg, "incorrect length check") == 0))
			/* the member decompressed whole, but its CRC or length
			   is not what was written: damage somewhere in it */
			rc = err_set(err, LD_ESOURCE, "%s: corrupt gzip data at byte %llu (%s "
			    "of the member at byte %llu): its lines are read but may be "
			    "damaged", name, (unsigned long long)consumed, zs.msg,
			    (unsigned long long)mstart);
		else
			rc = err_set(err, LD_ESOURCE, "%s: corrupt gzip data at byte %llu (member "
			    "at byte %llu: %s); the lines before it are kept", name,
			    (unsigned long long)consumed, (unsigned long long)mstart,
			    zs.msg ? zs.msg : "damaged");
		break;
	}
out:
	inflateEnd(&zs);
	free(ibuf);
	return rc;
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
		if (S_ISCHR(s->st.st_mode) || S_ISBLK(s->st.st_mode)) {
			/* /dev/zero would be copied into TMPDIR until it is full */
			err_set(err, LD_ESOURCE, "cannot read %s: a device is not a log "
			    "file (to read what it gives, pipe it: logdive - < %s)", name, name);
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
	uint64_t written = 0;
	char *buf = xmalloc(bufsz);
	int rc = LD_OK, fatal = 0;
	if (s->gz) {
		rc = gunzip(in, out, name, buf, bufsz, progress, cancel, err, &fatal);
		close(in);
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
			int w = spool_write(out, buf, (size_t)r, &written);
			if (w != 0) {
				rc = spool_err(w, name, written, err);
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
	if (rc == LD_ESOURCE && s->gz && !fatal)
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
