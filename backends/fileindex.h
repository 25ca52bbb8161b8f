/* The file backend's persistent index: the struct rec columns of each
 * source, kept in SQLite at $XDG_CACHE_HOME/logdive/index.db (default
 * ~/.cache/logdive/index.db; <cache_dir>/index.db when the backend has a
 * non-empty cache_dir), so that a second open of the same file reads its
 * records back instead of parsing it.
 *
 * An entry is keyed by the source's real path and a hash of everything
 * that shapes its records (the mapping's role paths, the line bound,
 * sizeof(struct rec), the format version, the byte order, and for a text
 * log its format's name, definition text and --tz); it is used
 * only if the device, inode, size and mtime are those of the file now and
 * a hash of the up to 4096 bytes before the end of what was scanned still
 * matches. stdin and other spooled non-gzip sources are never indexed;
 * a .gz source is keyed by the .gz file, its records refer to the
 * decompressed spool.
 *
 * The index is a cache: it is never trusted. Every error is silent (there
 * is no error argument; nothing is printed unless LOGDIVE_DEBUG_INDEX=1,
 * which prints one "index: hit|grew|miss|corrupt|saved|skip ..." line per
 * decision to stderr). A database that is corrupt or of an older format is
 * deleted and rebuilt; one of a newer format, or one that is not ours, is
 * left alone and not used. Blobs are checksummed and every record is
 * validated before anything is handed to the backend.
 *
 * Thread use: each call opens and closes its own connection(s); calls for
 * different sources may run on different threads. Concurrent processes on
 * the same database are fine (2 s busy timeout; a writer that cannot get
 * the lock in time just does not save, a reader that cannot scans). */
#ifndef LD_FILEINDEX_H
#define LD_FILEINDEX_H
#include <stddef.h>
#include <stdint.h>

struct backend;
struct fsrc;
struct rec;

/* Fill src's records from the index if it holds this file (same device,
 * inode, size, mtime, mapping, line bound, and the bytes before the end of
 * what was scanned unchanged): the records are appended (one segment, src
 * fields set to srcno, group and version ids remapped to the backend's
 * tables, the fields seen added) and src->scanned is set. Returns 0 if src
 * is now fully loaded; 1 if the file only grew (or ends in a partial line
 * that a --follow run left unscanned): the indexed part is loaded and
 * src->scanned says where the caller must scan on from (then call
 * fileindex_save, which replaces the entry); -1 if the caller must scan
 * it all (no index, stale, unreadable: nothing was appended, and a stale
 * entry is deleted). */
int	fileindex_load(struct backend *b, struct fsrc *src, uint16_t srcno);

/* Persist src's records up to src->scanned, replacing any entry of the
 * same file and mapping, in one transaction (all or nothing). Takes the
 * backend's lock for reading while it copies records. Failure is silent
 * (the index is a cache). Also forgets entries of files that no longer
 * exist or were replaced. */
void	fileindex_save(struct backend *b, struct fsrc *src, uint16_t srcno);

/* Fast correlation lookup without loading src: the records of src whose
 * trace_id (by_request 0) or request_id (by_request 1) hashes to h
 * (hash64 of the id), in file order, only valid records (REC_OK) as
 * file.c's trace does. *out is a new array of *n records (caller frees;
 * NULL when *n is 0) with src set to srcno; their group and version are 0
 * (not resolved). Hashes can collide: confirm the id on the line. Returns
 * 0 if the index answered (*n may be 0: no such record in src), -1 if it
 * cannot answer for src as it is now (no index, stale, grown, spooled, or
 * damaged: every map entry of the bucket read is checked, not only those
 * of h, and a damaged database is removed as fileindex_load removes it):
 * then load the source and search its records. */
int	fileindex_trace(struct backend *b, struct fsrc *src, uint16_t srcno, int by_request,
	    uint64_t h, struct rec **out, size_t *n);

#endif
