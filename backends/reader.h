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
 * non-zero. Errors: LD_ESOURCE "cannot open x: reason" / "x: corrupt gzip
 * data at byte N" (the spool keeps what was decompressed before). */
int	reader_open(struct rsrc *s, const char *name, _Atomic uint64_t *progress,
	    _Atomic int *cancel, struct ld_err *err);
void	reader_close(struct rsrc *s);

/* pread until n bytes at off are read, EOF or an error (EINTR retried).
 * Returns the bytes read (< n at EOF), or -1 with errno set. */
ssize_t	reader_pread(int fd, void *p, size_t n, uint64_t off);

#endif
