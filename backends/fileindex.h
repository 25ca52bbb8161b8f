/* The file backend's persistent index (SQLite under
 * $XDG_CACHE_HOME/logdive/), keyed by the file's identity. */
#ifndef LD_FILEINDEX_H
#define LD_FILEINDEX_H
#include <stdint.h>

struct backend;
struct fsrc;

/* Fill src's records from the index if it holds this file (same device,
 * inode, size, mtime, mapping). Returns 0 if src is now fully loaded; 1 if
 * the file only grew: the indexed part is loaded and src->scanned says
 * where the caller must scan on from; -1 if the caller must scan it all
 * (no index, stale, unreadable: never trusted). */
int	fileindex_load(struct backend *b, struct fsrc *src, uint16_t srcno);
/* Persist src's records. Failure is silent (the index is a cache). */
void	fileindex_save(struct backend *b, struct fsrc *src, uint16_t srcno);

#endif
