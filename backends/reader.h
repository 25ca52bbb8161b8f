/* Opening file sources: glob expansion, stdin and gzip (spooled to an
 * unlinked temporary file so that records can be re-read with pread). */
#ifndef LD_READER_H
#define LD_READER_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "lib/err.h"

/* Expand sources: "-" stays "-"; a name with glob characters expands
 * (sorted) and must match at least one file; others are kept as they are.
 * *out is a new array of new strings (caller frees each and the array). */
int	reader_expand(const char *const *sources, size_t n, char ***out, size_t *nout,
	    struct ld_err *err);

struct rsrc {
	char	*name;		/* as given or expanded; owned */
	int	 fd;		/* readable with pread: the file, or the spool */
	int	 spooled;	/* 1 for stdin and .gz (fd is a temporary copy) */
	int	 gz;
	struct stat st;		/* identity of the original (stdin: zeroed) */
};

/* Open one source. For gzip (by magic bytes) and "-", decompress / copy
 * into an unlinked temporary file in $TMPDIR, adding the compressed bytes
 * read to *progress (may be NULL) and stopping early if *cancel becomes
 * non-zero. gzip is read as gzip -d reads it: every member of a
 * concatenation, zero padding after the last one ignored. Errors:
 * LD_ESOURCE "cannot open x: reason", "cannot read x: is a directory",
 * "cannot read x: a device is not a log file (...)" (a character or block
 * device, which would be copied to TMPDIR without end), "cannot copy x to
 * TMPDIR: it would leave less than 5% of that disk free..." (a spool past
 * 16 MiB stops short of filling its disk: 5% of it stays free, at most
 * 256 MiB);
 * for gzip, one line naming the file and the compressed byte offset:
 * "x: corrupt gzip data at byte N (member at byte M: reason); ...",
 * "x: corrupt gzip data at byte N (incorrect data check of the member at
 * byte M): its lines are read but may be damaged",
 * "x: the gzip data ends early at byte N (a truncated file?); ...",
 * "x: N bytes after the end of the gzip data at byte M are not gzip ..."
 * -- then s is open (s->fd >= 0) and the spool holds every byte
 * decompressed before the damage: the caller warns and goes on. On any
 * other error s is closed. */
int	reader_open(struct rsrc *s, const char *name, _Atomic uint64_t *progress,
	    _Atomic int *cancel, struct ld_err *err);
void	reader_close(struct rsrc *s);

/* pread until n bytes at off are read, EOF or an error (EINTR retried).
 * Returns the bytes read (< n at EOF), or -1 with errno set. */
ssize_t	reader_pread(int fd, void *p, size_t n, uint64_t off);

#endif
