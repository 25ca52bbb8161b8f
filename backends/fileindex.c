/* The file backend's persistent index (see fileindex.h).
 *
 * Schema (PRAGMA application_id IX_APP_ID, user_version IX_FORMAT; 64 KiB
 * pages, so that a record blob is read in few large preads):
 *
 *   source	one row per (real path, conf hash): the file's identity when
 *		it was saved (dev, ino, size, mtime in ns, the size of the data
 *		the offsets refer to: the file, or the decompressed spool of a
 *		.gz), how far it was scanned, the hash of the bytes before
 *		that, the number of records and chunks, the strings the
 *		records' local group and version ids stand for (1-based ids
 *		into NUL-terminated strings concatenated in a blob), the field
 *		paths seen, and the number of correlation map generations.
 *   chunk	the records, IX_CHUNK per row in file order (the last row
 *		may hold fewer), as raw struct rec with local group/version
 *		ids and src 0, with a checksum of the blob.
 *   tmap	the correlation map: for each kind (0 trace_id, 1 request_id)
 *		and each of IX_TBUCKETS buckets (the top bits of the hash), an
 *		array of (low 32 bits of the hash, record number) for the valid
 *		records whose hash falls in it, in file order, checksummed.
 *		Generation 0 maps the records of a full save; each save that
 *		appends to a grown file adds a generation for the new records
 *		(a full save again after IX_MAXGEN). fileindex_trace reads the
 *		rows of one bucket and the chunks they point into.
 *
 * Journal and durability, measured on a 1 GB log (155 MB of records): a
 * rollback journal writes the new pages once, where WAL writes them to
 * the WAL and again at the checkpoint (WAL with synchronous=NORMAL: 480
 * ms; WAL, synchronous=OFF: 170 ms; rollback journal, synchronous=OFF:
 * 65 ms), and it needs no -shm file, so a read-only cache directory can
 * still be read. Concurrent processes wait for each other's short
 * exclusive phases through the busy timeout. synchronous=OFF risks a
 * damaged database only on an OS crash or power loss, and damage is
 * detected (SQLite's page checks, the quick_check of the source table,
 * the blob checksums, the record checks) and the database rebuilt: it
 * is a cache.
 *
 * Only bound parameters go into SQL. A save is one BEGIN IMMEDIATE ...
 * COMMIT; a load reads in one read transaction (a large one on two
 * connections, the second opened while the first holds its shared lock,
 * so both see the same database), so a concurrent writer is never seen
 * half done. */
#include "config.h"
#include "backends/fileindex.h"
#include "backends/reader.h"
#include "backends/backend.h"
#include "backends/file.h"
#include "lib/buf.h"
#include "lib/strmap.h"
#include "lib/strutil.h"
#include "lib/xalloc.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IX_FORMAT	2		/* bump when the schema or record meaning changes
					   (2: REC_UNPARSED, multi-line text records) */
#define IX_APP_ID	0x4c446978	/* "LDix" */
#define IX_PAGE		65536
#define IX_CHUNK	16384		/* records per chunk row (1,179,648 bytes) */
#define IX_CHECK	4096		/* bytes hashed before the end of the scanned part */
#define IX_BUSY_MS	2000
#define IX_TBITS	10
#define IX_TBUCKETS	(1u << IX_TBITS)
#define IX_MAXGEN	8		/* correlation map generations before a rewrite */

_Static_assert(sizeof(struct rec) == 72, "struct rec changed: bump IX_FORMAT");

/* Outcomes of opening the database. */
enum { IX_OK, IX_NONE, IX_FOREIGN, IX_CORRUPT, IX_FAIL };

struct ix {
	sqlite3	*db;
	char	*file;		/* .../index.db, owned */
	const char *why;	/* why ix_open1 found it corrupt (static) */
};

/* What the source is now. */
struct ix_key {
	char	*path;		/* realpath, owned */
	int64_t	 conf;
	int64_t	 dev, ino, size, mtime, data_size;
};

/* A stored source row (without its strings). */
struct ix_row {
	int64_t	 id, dev, ino, size, mtime, data_size, scanned, check_len, check_hash;
	int64_t	 nrecs, nchunks, ngroups, nversions, nfields, tgen;
};

/* One correlation map entry. */
struct tent {
	uint32_t lo;		/* low 32 bits of the hash */
	uint32_t idx;		/* record number in the source */
};

static const char *const schema_sql =
	"CREATE TABLE source ("
	" id INTEGER PRIMARY KEY, path TEXT NOT NULL, conf INTEGER NOT NULL,"
	" dev INTEGER NOT NULL, ino INTEGER NOT NULL, size INTEGER NOT NULL,"
	" mtime INTEGER NOT NULL, data_size INTEGER NOT NULL, scanned INTEGER NOT NULL,"
	" check_len INTEGER NOT NULL, check_hash INTEGER NOT NULL,"
	" nrecs INTEGER NOT NULL, nchunks INTEGER NOT NULL,"
	" ngroups INTEGER NOT NULL, nversions INTEGER NOT NULL, nfields INTEGER NOT NULL,"
	" tgen INTEGER NOT NULL, saved INTEGER NOT NULL,"
	" groups BLOB NOT NULL, versions BLOB NOT NULL, fields BLOB NOT NULL,"
	" UNIQUE (path, conf));"
	"CREATE TABLE chunk ("
	" id INTEGER PRIMARY KEY, source INTEGER NOT NULL, seq INTEGER NOT NULL,"
	" n INTEGER NOT NULL, sum INTEGER NOT NULL, recs BLOB NOT NULL,"
	" UNIQUE (source, seq));"
	"CREATE TABLE tmap ("
	" id INTEGER PRIMARY KEY, source INTEGER NOT NULL, key INTEGER NOT NULL,"
	" gen INTEGER NOT NULL, n INTEGER NOT NULL, sum INTEGER NOT NULL, ents BLOB NOT NULL,"
	" UNIQUE (source, key, gen));";

#define ROW_COLS "id, dev, ino, size, mtime, data_size, scanned, check_len, check_hash," \
	" nrecs, nchunks, ngroups, nversions, nfields, tgen"

/* ---- small helpers ---- */

static int
ix_debug(void)
{
	const char *e = getenv("LOGDIVE_DEBUG_INDEX");
	return e != NULL && *e != '\0' && strcmp(e, "0") != 0;
}

static void ix_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line to stderr, only with LOGDIVE_DEBUG_INDEX set (stderr is the
 * screen in the TUI). */
static void
ix_note(const char *fmt, ...)
{
	va_list ap;
	if (!ix_debug())
		return;
	va_start(ap, fmt);
	fputs("index: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}


/* Checksum of a blob: a Fletcher-style pair of sums over 8-byte words in
 * four lanes (the compiler vectorises it; about memory speed), mixed at
 * the end, then the tail bytes. Any change of a single word changes the
 * first sum; moved words change the second. Not cryptographic: it detects
 * damage. */
static uint64_t
sum64(const void *p, size_t n)
{
	const unsigned char *s = p;
	const uint64_t m = UINT64_C(0x9fb21c651e98df25);
	uint64_t a[4] = { 0 }, c[4] = { 0 };
	size_t i = 0;

	for (; i + 32 <= n; i += 32) {
		uint64_t w[4];
		memcpy(w, s + i, sizeof w);
		for (int k = 0; k < 4; k++) {
			a[k] += w[k];
			c[k] += a[k];
		}
	}
	uint64_t r = (uint64_t)n * m;
	for (int k = 0; k < 4; k++) {
		r = (r ^ a[k]) * m;
		r ^= r >> 29;
		r = (r ^ c[k]) * m;
		r ^= r >> 31;
	}
	return fnv1a64(r, s + i, n - i);
}


/* Hash of the up to IX_CHECK bytes before end in fd; *nl says whether
 * they end with a newline (or are empty). Returns -1 if unreadable. */
static int
tail_hash(int fd, uint64_t end, uint64_t *h, int64_t *len, int *nl)
{
	unsigned char buf[IX_CHECK];
	size_t n = end < IX_CHECK ? (size_t)end : IX_CHECK;

	if (reader_pread(fd, buf, n, end - n) != (ssize_t)n)
		return -1;
	*h = fnv1a64(FNV1A64_INIT, buf, n);
	*len = (int64_t)n;
	*nl = n == 0 || buf[n - 1] == '\n';
	return 0;
}

/* Hash of everything that shapes the records: a change means the stored
 * records mean something else. For a text source that includes its format
 * (the definition's text and --tz: tf_hash), so that another --log-format
 * or an edited definition re-reads the file. */
static int64_t
conf_hash(const struct backend *b, const struct fb *fb, const struct fsrc *src)
{
	static const char tag[] = "logdive-index";
	uint64_t h = fnv1a64(FNV1A64_INIT, tag, sizeof tag);
	uint32_t one = 1, v = IX_FORMAT;
	uint64_t sz = sizeof(struct rec), ml = fb->max_line;

	h = fnv1a64(h, &one, sizeof one);		/* byte order */
	h = fnv1a64(h, &v, sizeof v);
	h = fnv1a64(h, &sz, sizeof sz);
	h = fnv1a64(h, &ml, sizeof ml);
	for (int r = 0; r < ROLE_COUNT; r++) {
		uint32_t np = (uint32_t)b->map.npaths[r];
		h = fnv1a64(h, &r, sizeof r);
		h = fnv1a64(h, &np, sizeof np);
		for (size_t i = 0; i < b->map.npaths[r]; i++)
			h = fnv1a64(h, b->map.paths[r][i], strlen(b->map.paths[r][i]) + 1);
	}
	if (src->fmt) {
		uint64_t fh = tf_hash(src->fmt);
		h = fnv1a64(h, "text", 4);
		h = fnv1a64(h, tf_name(src->fmt), strlen(tf_name(src->fmt)) + 1);
		h = fnv1a64(h, &fh, sizeof fh);
	}
	return (int64_t)h;
}

/* The source as it is now, or -1 if it cannot be indexed (stdin, a pipe,
 * an unresolvable name). */
static int
key_of(const struct backend *b, const struct fsrc *src, struct ix_key *k)
{
	const struct fb *fb = b->priv;
	struct stat data, id;

	memset(k, 0, sizeof *k);
	if (src->r.fd < 0 || (src->r.spooled && !src->r.gz) || src->r.name == NULL)
		return -1;
	if (fstat(src->r.fd, &data) != 0)
		return -1;
	id = src->r.gz ? src->r.st : data;
	if (!S_ISREG(id.st_mode))
		return -1;
	if ((k->path = realpath(src->r.name, NULL)) == NULL)
		return -1;
	k->conf = conf_hash(b, fb, src);
	k->dev = (int64_t)id.st_dev;
	k->ino = (int64_t)id.st_ino;
	k->size = (int64_t)id.st_size;
	k->mtime = (int64_t)id.st_mtim.tv_sec * 1000000000 + id.st_mtim.tv_nsec;
	k->data_size = (int64_t)data.st_size;
	return 0;
}

/* ---- the database ---- */

static char *
ix_dir(const struct fb *fb)
{
	const char *x;

	if (fb->cache_dir != NULL && fb->cache_dir[0] != '\0')
		return xstrdup(fb->cache_dir);
	x = getenv("XDG_CACHE_HOME");
	if (x != NULL && x[0] == '/')		/* relative values are invalid (XDG) */
		return xasprintf("%s/logdive", x);
	x = getenv("HOME");
	if (x != NULL && x[0] != '\0')
		return xasprintf("%s/.cache/logdive", x);
	return NULL;
}

/* mkdir -p, new directories mode 0700. */
static int
mkdirs(char *dir)
{
	struct stat st;

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : -1;
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(dir, 0700);
		*p = '/';
		if (r != 0 && errno != EEXIST)
			return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
rc_class(int rc)
{
	rc &= 0xff;
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? IX_CORRUPT : IX_FAIL;
}

static int
ix_exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* The integer a one-row statement returns, or -1 with *rc set. */
static int64_t
ix_int(sqlite3 *db, const char *sql, int *rc)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	*rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		v = sqlite3_column_int64(st, 0);
		*rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return v;
}

static void
ix_close(struct ix *x)
{
	if (x->db != NULL)
		sqlite3_close(x->db);
	x->db = NULL;
	free(x->file);
	x->file = NULL;
}

/* Delete the database and its WAL files (a stale WAL would be replayed
 * into a new database of the same name). */
static void
ix_remove(const char *file)
{
	char *p;

	unlink(file);
	p = xasprintf("%s-wal", file);
	unlink(p);
	free(p);
	p = xasprintf("%s-shm", file);
	unlink(p);
	free(p);
}

/* Create the schema in an empty database. */
static int
ix_create(sqlite3 *db)
{
	char sql[128];
	int rc;

	snprintf(sql, sizeof sql, "PRAGMA page_size=%d", IX_PAGE);
	if (ix_exec(db, sql) != SQLITE_OK)
		return IX_FAIL;
	if ((rc = ix_exec(db, "BEGIN IMMEDIATE")) != SQLITE_OK)
		return rc_class(rc);
	/* someone else may have created it meanwhile */
	int64_t app = ix_int(db, "PRAGMA application_id", &rc);
	if (rc == SQLITE_OK && app == IX_APP_ID) {
		ix_exec(db, "ROLLBACK");
		return IX_OK;
	}
	int64_t nt = ix_int(db, "SELECT count(*) FROM sqlite_master", &rc);
	if (rc != SQLITE_OK || nt != 0) {
		ix_exec(db, "ROLLBACK");
		return rc != SQLITE_OK ? rc_class(rc) : IX_FOREIGN;
	}
	snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d",
	    IX_APP_ID, IX_FORMAT);
	if ((rc = ix_exec(db, schema_sql)) != SQLITE_OK ||
	    (rc = ix_exec(db, sql)) != SQLITE_OK ||
	    (rc = ix_exec(db, "COMMIT")) != SQLITE_OK) {
		ix_exec(db, "ROLLBACK");
		return rc_class(rc);
	}
	return IX_OK;
}

/* Open the database (creating it and its directory if create). Returns
 * IX_OK with x->db ready, or another outcome with x->db closed (x->file
 * kept for IX_CORRUPT). An older format counts as corrupt: rebuilt. */
static int
ix_open1(struct ix *x, const struct fb *fb, int create)
{
	char *dir;
	int rc, flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;

	memset(x, 0, sizeof *x);
	if ((dir = ix_dir(fb)) == NULL)
		return IX_NONE;
	if (create && mkdirs(dir) != 0) {
		free(dir);
		return IX_FAIL;
	}
	x->file = xasprintf("%s/index.db", dir);
	free(dir);
	if (!create && access(x->file, F_OK) != 0) {
		rc = IX_NONE;
		goto out;
	}
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(x->file, &x->db, flags, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(x->db, IX_BUSY_MS);
	int created = 0;
again:;
	int64_t app = ix_int(x->db, "PRAGMA application_id", &rc);
	if (rc != SQLITE_OK)
		goto bad;
	int64_t ver = ix_int(x->db, "PRAGMA user_version", &rc);
	if (rc != SQLITE_OK)
		goto bad;
	if (app == 0 && ver == 0) {
		int64_t nt = ix_int(x->db, "SELECT count(*) FROM sqlite_master", &rc);
		if (rc != SQLITE_OK)
			goto bad;
		if (nt != 0) {
			rc = IX_FOREIGN;
			goto out;
		}
		if (!create) {
			rc = IX_NONE;
			goto out;
		}
		if (created++ > 0)
			goto fail;
		if ((rc = ix_create(x->db)) != IX_OK)
			goto out;
		goto again;		/* ours now, or someone else's meanwhile */
	} else if (app != IX_APP_ID || ver > IX_FORMAT) {
		rc = IX_FOREIGN;		/* not ours, or newer: leave it alone */
		goto out;
	} else if (ver < IX_FORMAT) {
		x->why = "an older format";
		rc = IX_CORRUPT;		/* rebuild */
		goto out;
	}
	if (ix_exec(x->db, "PRAGMA synchronous=OFF") != SQLITE_OK)
		goto fail;
	/* The small table every lookup starts from; a full quick_check reads
	 * every page (80 ms per GB of logs indexed), so the record blobs rely
	 * on SQLite's own page checks and on their checksums instead. The
	 * table argument needs SQLite 3.33; older ones would check it all. */
	if (sqlite3_libversion_number() >= 3033000) {
		sqlite3_stmt *st;
		if ((rc = sqlite3_prepare_v2(x->db, "PRAGMA quick_check(source)", -1, &st,
		    NULL)) != SQLITE_OK)
			goto bad;
		rc = sqlite3_step(st);
		const char *res = (const char *)sqlite3_column_text(st, 0);
		int ok = rc == SQLITE_ROW && res != NULL && strcmp(res, "ok") == 0;
		sqlite3_finalize(st);
		if (!ok) {
			if (rc == SQLITE_ROW || rc_class(rc) == IX_CORRUPT) {
				x->why = "quick_check failed";
				rc = IX_CORRUPT;
				goto out;
			}
			goto bad;
		}
	}
	return IX_OK;
bad:
	x->why = sqlite3_errstr(rc);
	rc = rc_class(rc);
	goto out;
fail:
	rc = IX_FAIL;
out:
	if (x->db != NULL)
		sqlite3_close(x->db);
	x->db = NULL;
	if (rc != IX_CORRUPT) {
		free(x->file);
		x->file = NULL;
	}
	return rc;
}

static const char *
outcome_name(int o)
{
	switch (o) {
	case IX_NONE: return "no index database";
	case IX_FOREIGN: return "the database is of a newer format or not logdive's: not used";
	case IX_CORRUPT: return "corrupt";
	case IX_FAIL: return "cannot open the database";
	}
	return "ok";
}

/* A damaged database is deleted; the next save creates it anew. */
static void
ix_discard(struct ix *x, const char *why)
{
	char *file = x->file;
	x->file = NULL;
	ix_close(x);
	if (file != NULL) {
		ix_remove(file);
		ix_note("corrupt %s (%s): removed, will be rebuilt", file, why);
	}
	free(file);
}

/* ix_open1, and on a corrupt database when creating: remove it and try
 * once more. */
static int
ix_open(struct ix *x, const struct fb *fb, int create)
{
	int o = ix_open1(x, fb, create);
	if (o == IX_CORRUPT) {
		ix_discard(x, x->why != NULL ? x->why : "corrupt");
		if (create)
			o = ix_open1(x, fb, create);
	}
	return o;
}

/* Read the row st selects (by path and conf, or by id). Returns 1 with
 * *w filled, 0 if absent, -1 on error (*rc set). Finalizes st. */
static int
row_fetch(sqlite3_stmt *st, struct ix_row *w, int *rc)
{
	int found = 0;

	*rc = sqlite3_step(st);
	if (*rc == SQLITE_ROW) {
		int64_t *f[] = { &w->id, &w->dev, &w->ino, &w->size, &w->mtime, &w->data_size,
		    &w->scanned, &w->check_len, &w->check_hash, &w->nrecs, &w->nchunks,
		    &w->ngroups, &w->nversions, &w->nfields, &w->tgen };
		for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
			*f[i] = sqlite3_column_int64(st, i);
		found = 1;
		*rc = SQLITE_OK;
	} else if (*rc == SQLITE_DONE)
		*rc = SQLITE_OK;
	sqlite3_finalize(st);
	return *rc == SQLITE_OK ? found : -1;
}

/* Look the source up; see row_fetch. */
static int
row_get(sqlite3 *db, const struct ix_key *k, struct ix_row *w, int *rc)
{
	sqlite3_stmt *st;

	*rc = sqlite3_prepare_v2(db, "SELECT " ROW_COLS " FROM source"
	    " WHERE path = ?1 AND conf = ?2", -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, k->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, k->conf);
	return row_fetch(st, w, rc);
}

static int
row_by_id(sqlite3 *db, int64_t id, struct ix_row *w, int *rc)
{
	sqlite3_stmt *st;

	*rc = sqlite3_prepare_v2(db, "SELECT " ROW_COLS " FROM source WHERE id = ?1", -1, &st,
	    NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	return row_fetch(st, w, rc);
}

enum { V_HIT = 0, V_GREW = 1, V_STALE = -1 };

/* Is the stored row still the file at fd? */
static int
row_verify(const struct ix_row *w, const struct ix_key *k, int fd, const char **why)
{
	uint64_t h;
	int64_t len;
	int nl;

	if (w->dev != k->dev || w->ino != k->ino) {
		*why = "another file now (device/inode)";
		return V_STALE;
	}
	if (w->scanned < 0 || w->scanned > w->data_size || w->nrecs < 0 ||
	    w->nrecs > w->scanned || w->nchunks != (w->nrecs + IX_CHUNK - 1) / IX_CHUNK ||
	    w->ngroups < 0 || w->ngroups > UINT32_MAX || w->nversions < 0 ||
	    w->nversions > UINT32_MAX || w->nfields < 0 || w->tgen < 0 || w->tgen >= IX_MAXGEN) {
		*why = "inconsistent entry";
		return V_STALE;
	}
	if (k->data_size < w->scanned) {
		*why = "the file is shorter";
		return V_STALE;
	}
	if (tail_hash(fd, (uint64_t)w->scanned, &h, &len, &nl) != 0 ||
	    len != w->check_len || (int64_t)h != w->check_hash) {
		*why = "the content changed";
		return V_STALE;
	}
	int same = w->size == k->size && w->mtime == k->mtime && w->data_size == k->data_size;
	if (same && w->scanned == k->data_size)
		return V_HIT;
	if (w->scanned > 0 && nl && (same || k->data_size > w->data_size))
		return V_GREW;
	*why = same ? "partial last line" : "size or mtime changed";
	return V_STALE;
}

/* Split a blob holding exactly n NUL-terminated strings into a new array
 * of pointers into *copy (both owned by the caller). */
static int
split_strings(const void *blob, int bytes, int64_t n, char **copy, char ***v)
{
	const char *p = blob;
	int64_t k = 0;

	*copy = NULL;
	*v = NULL;
	if (bytes < 0 || (bytes > 0 && p[bytes - 1] != '\0'))
		return -1;
	for (int i = 0; i < bytes; i++)
		if (p[i] == '\0')
			k++;
	if (k != n)
		return -1;
	*copy = xmalloc((size_t)bytes);
	if (bytes > 0)
		memcpy(*copy, p, (size_t)bytes);
	*v = xcalloc((size_t)n + 1, sizeof **v);
	char *s = *copy;
	for (int64_t i = 0; i < n; i++) {
		(*v)[i] = s;
		s += strlen(s) + 1;
	}
	return 0;
}

/* Check a chunk's records against the entry and claim them for srcno. */
static int
recs_valid(struct rec *v, size_t n, const struct ix_row *w, uint16_t srcno, uint64_t *next_off)
{
	for (size_t i = 0; i < n; i++) {
		struct rec *r = &v[i];
		if (REC_KIND(r->flags) > REC_UNPARSED || r->group > (uint64_t)w->ngroups ||
		    r->version > (uint64_t)w->nversions || r->off < *next_off ||
		    r->off > (uint64_t)w->scanned || r->len > (uint64_t)w->scanned - r->off)
			return -1;
		*next_off = r->off + 1;
		r->src = srcno;
	}
	return 0;
}

/* Read chunk seq's records into v (room for want records) through *blob
 * (opened or moved to the row). Returns the count, -1 on a SQLite error
 * (*rc), -2 on damage. */
static int
chunk_read(sqlite3 *db, sqlite3_blob **blob, int64_t rowid, int64_t n, int64_t sum,
    struct rec *v, int64_t want, int *rc)
{
	if (n != want)
		return -2;
	if (*blob == NULL)
		*rc = sqlite3_blob_open(db, "main", "chunk", "recs", rowid, 0, blob);
	else
		*rc = sqlite3_blob_reopen(*blob, rowid);
	if (*rc != SQLITE_OK)
		return -1;
	if ((int64_t)sqlite3_blob_bytes(*blob) != n * (int64_t)sizeof *v)
		return -2;
	*rc = sqlite3_blob_read(*blob, v, (int)(n * (int64_t)sizeof *v), 0);
	if (*rc != SQLITE_OK)
		return -1;
	if ((int64_t)sum64(v, (size_t)n * sizeof *v) != sum)
		return -2;
	return (int)n;
}

/* ---- load ---- */

/* The entries fileindex_load found grown, so that the save that follows
 * can append to the entry instead of writing it all again. Keyed by the
 * source and the array its records were loaded into; checked against the
 * entry in the database before use. */
struct grown {
	const struct fsrc *src;
	const struct rec *v;
	int64_t	 id, nrecs, scanned, check_hash;
};

static pthread_mutex_t grown_lock = PTHREAD_MUTEX_INITIALIZER;
static struct grown grown_tab[16];
static unsigned grown_next;

static void
grown_put(const struct grown *g)
{
	size_t n = sizeof grown_tab / sizeof grown_tab[0];
	pthread_mutex_lock(&grown_lock);
	for (size_t i = 0; i < n; i++)
		if (grown_tab[i].src == g->src)
			memset(&grown_tab[i], 0, sizeof grown_tab[i]);
	grown_tab[grown_next++ % n] = *g;
	pthread_mutex_unlock(&grown_lock);
}

static int
grown_take(const struct fsrc *src, struct grown *g)
{
	int found = 0;
	pthread_mutex_lock(&grown_lock);
	for (size_t i = 0; i < sizeof grown_tab / sizeof grown_tab[0]; i++) {
		if (grown_tab[i].src == src && src != NULL) {
			*g = grown_tab[i];
			memset(&grown_tab[i], 0, sizeof grown_tab[i]);
			found = 1;
		}
	}
	pthread_mutex_unlock(&grown_lock);
	return found;
}

/* An array for n records (xmalloc: the backend frees it). A large one is
 * advised to use huge pages: faulting in 150 MB page by page costs more
 * than reading it. */
static struct rec *
records_alloc(size_t n)
{
	struct rec *v = xmalloc(n * sizeof *v);
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t lo = ((uintptr_t)v + huge - 1) & ~(huge - 1);
	uintptr_t hi = ((uintptr_t)v + n * sizeof *v) & ~(huge - 1);
	if (hi > lo)
		madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#endif
	return v;
}

struct loaded {
	struct rec	*v;
	char		*gs, *vs, *fs;		/* string blobs */
	char		**groups, **versions, **fields;
};

static void
loaded_free(struct loaded *l)
{
	free(l->v);
	free(l->gs);
	free(l->vs);
	free(l->fs);
	free(l->groups);
	free(l->versions);
	free(l->fields);
	memset(l, 0, sizeof *l);
}

/* Size of the database and its WAL, if any. */
static int64_t
db_bytes(const char *file)
{
	struct stat sb;
	int64_t n = 0;
	char *wal = xasprintf("%s-wal", file);

	if (stat(file, &sb) == 0)
		n += (int64_t)sb.st_size;
	if (stat(wal, &sb) == 0)
		n += (int64_t)sb.st_size;
	free(wal);
	return n;
}

/* A chunk row. */
struct cref {
	int64_t	 id, n, sum;
};

/* Chunks [from, to) of an entry read into v, validated, on one connection. */
struct part {
	const char	*file;		/* the database, for a second connection */
	const struct ix_row *w;
	const struct cref *c;
	size_t		 from, to;
	struct rec	*v;		/* all the entry's records */
	uint16_t	 srcno;
	int		 ret, rc;	/* as read_entry; ret -3: not read */
};

static int
read_part(sqlite3 *db, struct part *p)
{
	sqlite3_blob *blob = NULL;
	uint64_t next_off = 0;
	int ret = 0;

	for (size_t i = p->from; i < p->to; i++) {
		int64_t at = (int64_t)i * IX_CHUNK;
		int64_t want = p->w->nrecs - at < IX_CHUNK ? p->w->nrecs - at : IX_CHUNK;
		int got = chunk_read(db, &blob, p->c[i].id, p->c[i].n, p->c[i].sum, p->v + at,
		    want, &p->rc);
		if (got < 0) {
			ret = got;
			break;
		}
		/* validate while the chunk is in the cache */
		if (recs_valid(p->v + at, (size_t)got, p->w, p->srcno, &next_off) != 0) {
			ret = -2;
			break;
		}
	}
	if (blob != NULL)
		sqlite3_blob_close(blob);
	return ret;
}

/* The second reader: its own connection, reading while the first one's
 * read transaction is open, so that no writer can commit in between (and
 * the row must be the same). */
static void *
part_main(void *arg)
{
	struct part *p = arg;
	struct ix_row w2;
	sqlite3 *db = NULL;

	p->ret = -3;
	if (sqlite3_open_v2(p->file, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK)
		goto out;
	sqlite3_busy_timeout(db, IX_BUSY_MS);
	if (ix_exec(db, "BEGIN") != SQLITE_OK)
		goto out;
	if (row_by_id(db, p->w->id, &w2, &p->rc) == 1 && memcmp(&w2, p->w, sizeof w2) == 0)
		p->ret = read_part(db, p);
	ix_exec(db, "ROLLBACK");
out:
	if (db != NULL)
		sqlite3_close(db);
	return NULL;
}

/* Read the strings and all records of entry w into l, validated; a large
 * entry on two threads. Returns 0, -1 on a SQLite error (*rc), -2 on
 * damage. */
static int
read_entry(sqlite3 *db, const char *file, const struct ix_row *w, uint16_t srcno,
    struct loaded *l, int *rc)
{
	sqlite3_stmt *st = NULL;
	struct cref *c = NULL;
	int64_t seq = 0;
	int ret = -2;

	*rc = sqlite3_prepare_v2(db, "SELECT groups, versions, fields FROM source WHERE id = ?1",
	    -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	if ((*rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return -1;
	}
	if (split_strings(sqlite3_column_blob(st, 0), sqlite3_column_bytes(st, 0), w->ngroups,
	    &l->gs, &l->groups) != 0 ||
	    split_strings(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), w->nversions,
	    &l->vs, &l->versions) != 0 ||
	    split_strings(sqlite3_column_blob(st, 2), sqlite3_column_bytes(st, 2), w->nfields,
	    &l->fs, &l->fields) != 0) {
		sqlite3_finalize(st);
		return -2;
	}
	sqlite3_finalize(st);

	*rc = sqlite3_prepare_v2(db, "SELECT id, seq, n, sum FROM chunk WHERE source = ?1"
	    " ORDER BY seq", -1, &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	c = xcalloc((size_t)w->nchunks + 1, sizeof *c);
	while ((*rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (seq >= w->nchunks || sqlite3_column_int64(st, 1) != seq)
			goto out;
		c[seq] = (struct cref){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 2),
		    sqlite3_column_int64(st, 3) };
		seq++;
	}
	if (*rc != SQLITE_DONE) {
		ret = -1;
		goto out;
	}
	*rc = SQLITE_OK;
	if (seq != w->nchunks)
		goto out;

	/* The records are in the database: a damaged count must not make us
	 * allocate more than it holds. */
	if (w->nrecs > db_bytes(file) / (int64_t)sizeof *l->v)
		goto out;
	l->v = records_alloc((size_t)w->nrecs);
	struct part p[2];
	size_t half = w->nchunks >= 16 ? (size_t)w->nchunks / 2 : (size_t)w->nchunks;
	pthread_t th;
	int threaded = 0;
	p[0] = (struct part){ file, w, c, 0, half, l->v, srcno, 0, SQLITE_OK };
	p[1] = (struct part){ file, w, c, half, (size_t)w->nchunks, l->v, srcno, -3, SQLITE_OK };
	if (half < (size_t)w->nchunks && pthread_create(&th, NULL, part_main, &p[1]) == 0)
		threaded = 1;
	p[0].ret = read_part(db, &p[0]);
	if (threaded)
		pthread_join(th, NULL);
	if (p[0].ret == 0 && p[1].ret == -3)	/* no second reader: read it here */
		p[1].ret = read_part(db, &p[1]);
	for (int i = 0; i < 2; i++) {
		if (p[i].ret != 0) {
			ret = p[i].ret;
			*rc = p[i].rc;
			goto out;
		}
	}
	/* the halves were checked apart: offsets rise across the seam too */
	size_t seam = half * IX_CHUNK;
	if (seam > 0 && seam < (size_t)w->nrecs && l->v[seam].off <= l->v[seam - 1].off)
		goto out;
	ret = 0;
out:
	free(c);
	sqlite3_finalize(st);
	return ret;
}

int
fileindex_load(struct backend *b, struct fsrc *src, uint16_t srcno)
{
	struct fb *fb = b->priv;
	struct ix_key k;
	struct ix_row w;
	struct ix x;
	struct loaded l;
	const char *why = NULL;
	double t0 = now_ms();
	int o, rc, v = V_STALE;

	if (fb->cache_dir != NULL && fb->cache_dir[0] == '\0')
		return -1;
	if (key_of(b, src, &k) != 0) {
		ix_note("skip %s (not a regular file)", src->r.name ? src->r.name : "-");
		return -1;
	}
	memset(&l, 0, sizeof l);
	if ((o = ix_open(&x, fb, 0)) != IX_OK) {
		ix_note("miss %s (%s)", k.path, outcome_name(o));
		free(k.path);
		return -1;
	}
	if ((rc = ix_exec(x.db, "BEGIN")) != SQLITE_OK)
		goto err;
	int f = row_get(x.db, &k, &w, &rc);
	if (f < 0)
		goto err;
	if (f == 0) {
		why = "not indexed";
		goto miss;
	}
	if ((v = row_verify(&w, &k, src->r.fd, &why)) == V_STALE)
		goto miss;
	int r = read_entry(x.db, x.file, &w, srcno, &l, &rc);
	if (r == -1)
		goto err;
	if (r == -2) {
		ix_exec(x.db, "ROLLBACK");
		ix_discard(&x, "a damaged entry");
		goto fail;
	}
	ix_exec(x.db, "COMMIT");
	ix_close(&x);
	double t1 = now_ms();

	if (v == V_GREW && w.nrecs > 0) {
		struct grown g = { src, l.v, w.id, w.nrecs, w.scanned, w.check_hash };
		grown_put(&g);
	}
	if (w.nrecs > 0) {
		file_append_segment(b, src, l.v, (size_t)w.nrecs, l.groups, (size_t)w.ngroups,
		    l.versions, (size_t)w.nversions, l.fields, (size_t)w.nfields);
		l.v = NULL;		/* taken over */
	}
	src->scanned = (uint64_t)w.scanned;
	ix_note("%s %s (%lld records, %lld bytes, %.1f ms: read %.1f, append %.1f)",
	    v == V_HIT ? "hit" : "grew", k.path, (long long)w.nrecs, (long long)w.scanned,
	    now_ms() - t0, t1 - t0, now_ms() - t1);
	loaded_free(&l);
	free(k.path);
	return v;
miss:
	/* a stale entry is replaced by the save that follows the scan */
	ix_exec(x.db, "ROLLBACK");
	ix_close(&x);
	ix_note("miss %s (%s)", k.path, why);
	free(k.path);
	return -1;
err:
	ix_exec(x.db, "ROLLBACK");
	if (rc_class(rc) == IX_CORRUPT)
		ix_discard(&x, sqlite3_errstr(rc));
	else {
		ix_note("miss %s (%s)", k.path, sqlite3_errstr(rc));
		ix_close(&x);
	}
fail:
	loaded_free(&l);
	free(k.path);
	return -1;
}

/* ---- save ---- */

struct tvec {
	struct tent	*v;
	uint32_t	 n, cap;
};

/* A save in progress: the local string tables (made in file order, so
 * that appending to an entry keeps the ids it has) and the correlation
 * map entries of the records written. */
struct saver {
	struct fb	*fb;
	struct fsrc	*src;
	size_t		 nrecs;			/* records to save */
	uint32_t	*gloc, *vloc;		/* global id - 1 -> local id (1-based), 0 none yet */
	size_t		 ngl, nvl;		/* their sizes */
	struct buf	 gs, vs, fs;		/* string blobs */
	size_t		 ngroups, nversions, nfields;
	size_t		 tfrom;			/* map records from this one on */
	struct tvec	*tv;			/* [2 * IX_TBUCKETS] */
	uint32_t	 tcap0;			/* first capacity of a tv */
	int		 bad;			/* a value that cannot be stored */
};

static void
saver_free(struct saver *s)
{
	free(s->gloc);
	free(s->vloc);
	buf_free(&s->gs);
	buf_free(&s->vs);
	buf_free(&s->fs);
	if (s->tv != NULL)
		for (unsigned i = 0; i < 2 * IX_TBUCKETS; i++)
			free(s->tv[i].v);
	free(s->tv);
	memset(s, 0, sizeof *s);
}

/* Append the string to a blob; -1 if it holds a NUL (not representable). */
static int
add_string(struct buf *b, const char *s, size_t len)
{
	if (memchr(s, '\0', len) != NULL)
		return -1;
	buf_add(b, s, len);
	buf_addc(b, '\0');
	return 0;
}

static unsigned
tkey(int kind, uint64_t h)
{
	return (unsigned)kind * IX_TBUCKETS + (unsigned)(h >> (64 - IX_TBITS));
}

static inline void
tvec_push(struct tvec *t, uint64_t h, uint32_t idx, uint32_t cap0)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : cap0;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	t->v[t->n++] = (struct tent){ (uint32_t)h, idx };
}

static void
saver_init(struct saver *s, struct fb *fb, struct fsrc *src)
{
	memset(s, 0, sizeof *s);
	s->fb = fb;
	s->src = src;
	pthread_rwlock_rdlock(&fb->lock);
	for (size_t k = 0; k < src->nsegs; k++)
		s->nrecs += src->segs[k].n;
	s->ngl = fb->groups.n;
	s->nvl = fb->versions.n;
	pthread_rwlock_unlock(&fb->lock);
	s->gloc = xcalloc(s->ngl + 1, sizeof *s->gloc);
	s->vloc = xcalloc(s->nvl + 1, sizeof *s->vloc);
	s->tv = xcalloc(2 * IX_TBUCKETS, sizeof *s->tv);
	/* hashes spread evenly: start each bucket at about its share */
	s->tcap0 = (uint32_t)(s->nrecs / IX_TBUCKETS + s->nrecs / (4 * IX_TBUCKETS) + 16);
}

/* Local id of global id g (1-based) of m, assigned on first use. Under
 * the read lock. */
static uint32_t
local_id(struct saver *s, uint32_t g, const struct strmap *m, uint32_t *loc, size_t nloc,
    struct buf *blob, size_t *n)
{
	if (g == 0)
		return 0;
	if (g > nloc || g > m->n) {
		s->bad = 1;
		return 0;
	}
	if (loc[g - 1] == 0) {
		loc[g - 1] = (uint32_t)++*n;
		if (add_string(blob, m->keys[g - 1], m->lens[g - 1]) != 0)
			s->bad = 1;
	}
	return loc[g - 1];
}

/* Records [at, at + n) of the source into out as stored: local ids, src
 * 0; their correlation entries noted. */
static void
saver_chunk(struct saver *s, size_t at, size_t n, struct rec *out)
{
	struct fb *fb = s->fb;
	struct rec *r = out;
	size_t base = 0, first = at, left = n;

	pthread_rwlock_rdlock(&fb->lock);
	for (size_t k = 0; k < s->src->nsegs && left > 0; k++) {
		const struct seg *g = &s->src->segs[k];
		if (at < base + g->n) {
			size_t from = at - base;
			size_t m = g->n - from < left ? g->n - from : left;
			memcpy(r, g->v + from, m * sizeof *r);
			r += m;
			at += m;
			left -= m;
		}
		base += g->n;
	}
	if (left > 0)
		s->bad = 1;		/* fewer records than counted */
	for (size_t i = 0; i < n - left; i++) {
		out[i].group = local_id(s, out[i].group, &fb->groups, s->gloc, s->ngl, &s->gs,
		    &s->ngroups);
		out[i].version = local_id(s, out[i].version, &fb->versions, s->vloc, s->nvl,
		    &s->vs, &s->nversions);
	}
	pthread_rwlock_unlock(&fb->lock);
	for (size_t i = 0; i < n; i++) {
		struct rec *q = &out[i];
		q->src = 0;
		q->pad = 0;
		if (first + i < s->tfrom || REC_KIND(q->flags) != REC_OK)
			continue;
		if (q->trace_h)
			tvec_push(&s->tv[tkey(0, q->trace_h)], q->trace_h, (uint32_t)(first + i),
			    s->tcap0);
		if (q->req_h)
			tvec_push(&s->tv[tkey(1, q->req_h)], q->req_h, (uint32_t)(first + i),
			    s->tcap0);
	}
}

/* The field paths: the backend keeps one set for all its sources, so this
 * is the paths seen in this source and in those loaded before it. */
static void
saver_fields(struct saver *s)
{
	struct fb *fb = s->fb;
	pthread_rwlock_rdlock(&fb->lock);
	for (size_t i = 0; i < fb->fields.n; i++)
		if (add_string(&s->fs, fb->fields.keys[i], fb->fields.lens[i]) != 0)
			s->bad = 1;
	s->nfields = fb->fields.n;
	pthread_rwlock_unlock(&fb->lock);
}

/* Take over an entry's local tables (appending to it). */
static int
saver_adopt(struct saver *s, sqlite3 *db, const struct ix_row *w, int *rc)
{
	struct fb *fb = s->fb;
	sqlite3_stmt *st;
	int ret = -1;

	*rc = sqlite3_prepare_v2(db, "SELECT groups, versions FROM source WHERE id = ?1", -1,
	    &st, NULL);
	if (*rc != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, w->id);
	if ((*rc = sqlite3_step(st)) != SQLITE_ROW)
		goto out;
	*rc = SQLITE_OK;
	for (int c = 0; c < 2; c++) {
		const struct strmap *m = c ? &fb->versions : &fb->groups;
		uint32_t *loc = c ? s->vloc : s->gloc;
		size_t nloc = c ? s->nvl : s->ngl;
		char *copy;
		char **v;
		int64_t n = c ? w->nversions : w->ngroups;
		if (split_strings(sqlite3_column_blob(st, c), sqlite3_column_bytes(st, c), n,
		    &copy, &v) != 0)
			goto out;
		pthread_rwlock_rdlock(&fb->lock);
		for (int64_t i = 0; i < n; i++) {
			long g = strmap_find(m, v[i], strlen(v[i]));
			if (g >= 0 && (size_t)g < nloc)
				loc[g] = (uint32_t)i + 1;
			add_string(c ? &s->vs : &s->gs, v[i], strlen(v[i]));
		}
		pthread_rwlock_unlock(&fb->lock);
		if (c)
			s->nversions = (size_t)n;
		else
			s->ngroups = (size_t)n;
		free(copy);
		free(v);
	}
	ret = 0;
out:
	sqlite3_finalize(st);
	return ret;
}

static int
step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Run one statement with ?1 = a and ?2 = b (if the statement has it). */
static int
exec2(sqlite3 *db, const char *sql, int64_t a, int64_t b)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, a);
	if (sqlite3_bind_parameter_count(st) > 1)
		sqlite3_bind_int64(st, 2, b);
	rc = step_done(st);
	sqlite3_finalize(st);
	return rc;
}

/* Delete an entry and everything it owns. */
static int
entry_delete(sqlite3 *db, int64_t id)
{
	int rc;
	if ((rc = exec2(db, "DELETE FROM chunk WHERE source = ?1", id, 0)) != SQLITE_OK ||
	    (rc = exec2(db, "DELETE FROM tmap WHERE source = ?1", id, 0)) != SQLITE_OK)
		return rc;
	return exec2(db, "DELETE FROM source WHERE id = ?1", id, 0);
}

/* Forget entries of files that are gone or were replaced (another inode
 * at the path), so that the cache does not grow without bound. */
static int
prune(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT id, path, dev, ino FROM source", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *path = (const char *)sqlite3_column_text(st, 1);
		struct stat sb;
		if (path != NULL && stat(path, &sb) == 0) {
			if ((int64_t)sb.st_dev == sqlite3_column_int64(st, 2) &&
			    (int64_t)sb.st_ino == sqlite3_column_int64(st, 3))
				continue;
		} else if (path != NULL && errno != ENOENT && errno != ENOTDIR)
			continue;	/* cannot tell (permissions, I/O): keep */
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			ids = xreallocarray(ids, cap, sizeof *ids);
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(ids);
		return rc;
	}
	rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = entry_delete(db, ids[i]);
	free(ids);
	return rc;
}

/* Write records [from, nrecs) in chunks (from is a chunk boundary). */
static int
write_chunks(sqlite3 *db, struct saver *s, int64_t id, size_t from)
{
	sqlite3_stmt *st;
	struct rec *buf;
	int rc;

	/* A zeroblob row, then the bytes written in place: SQLite does not
	 * build a 1 MB record in memory first. */
	rc = sqlite3_prepare_v2(db, "INSERT INTO chunk (source, seq, n, sum, recs)"
	    " VALUES (?1, ?2, ?3, ?4, zeroblob(?5))", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	buf = xmalloc(IX_CHUNK * sizeof *buf);
	sqlite3_blob *blob = NULL;
	for (size_t at = from; at < s->nrecs && rc == SQLITE_OK && !s->bad; at += IX_CHUNK) {
		size_t n = s->nrecs - at < IX_CHUNK ? s->nrecs - at : IX_CHUNK;
		int bytes = (int)(n * sizeof *buf);
		saver_chunk(s, at, n, buf);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)(at / IX_CHUNK));
		sqlite3_bind_int64(st, 3, (int64_t)n);
		sqlite3_bind_int64(st, 4, (int64_t)sum64(buf, (size_t)bytes));
		sqlite3_bind_int(st, 5, bytes);
		if ((rc = step_done(st)) != SQLITE_OK)
			break;
		int64_t row = sqlite3_last_insert_rowid(db);
		rc = blob == NULL ? sqlite3_blob_open(db, "main", "chunk", "recs", row, 1, &blob) :
		    sqlite3_blob_reopen(blob, row);
		if (rc == SQLITE_OK)
			rc = sqlite3_blob_write(blob, buf, bytes, 0);
	}
	if (blob != NULL)
		sqlite3_blob_close(blob);
	sqlite3_finalize(st);
	free(buf);
	return s->bad && rc == SQLITE_OK ? SQLITE_ABORT : rc;
}

/* Write the correlation map entries of this save as generation gen. */
static int
write_tmap(sqlite3 *db, const struct saver *s, int64_t id, int64_t gen)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT INTO tmap (source, key, gen, n, sum, ents)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (unsigned key = 0; key < 2 * IX_TBUCKETS && rc == SQLITE_OK; key++) {
		const struct tvec *t = &s->tv[key];
		if (t->n == 0)
			continue;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, key);
		sqlite3_bind_int64(st, 3, gen);
		sqlite3_bind_int64(st, 4, t->n);
		sqlite3_bind_int64(st, 5, (int64_t)sum64(t->v, t->n * sizeof *t->v));
		sqlite3_bind_blob64(st, 6, t->v, t->n * sizeof *t->v, SQLITE_STATIC);
		rc = step_done(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static void
bind_blob_buf(sqlite3_stmt *st, int i, const struct buf *b)
{
	sqlite3_bind_blob64(st, i, b->p ? b->p : "", b->len, SQLITE_STATIC);
}

/* Insert a new source row (its strings and counts come with row_finish);
 * *id is its rowid. */
static int
row_insert(sqlite3 *db, const struct ix_key *k, int64_t *id)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "INSERT INTO source (path, conf, dev, ino, size, mtime,"
	    " data_size, scanned, check_len, check_hash, nrecs, nchunks, ngroups, nversions,"
	    " nfields, tgen, saved, groups, versions, fields) VALUES (?1, ?2, ?3, ?4,"
	    " 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, x'', x'', x'')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, k->path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, k->conf);
	sqlite3_bind_int64(st, 3, k->dev);
	sqlite3_bind_int64(st, 4, k->ino);
	rc = step_done(st);
	sqlite3_finalize(st);
	*id = sqlite3_last_insert_rowid(db);
	return rc;
}

/* Set everything the row says about the saved records. */
static int
row_finish(sqlite3 *db, const struct ix_key *k, const struct ix_row *w, const struct saver *s)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "UPDATE source SET size = ?2, mtime = ?3, data_size = ?4,"
	    " scanned = ?5, check_len = ?6, check_hash = ?7, nrecs = ?8, nchunks = ?9,"
	    " ngroups = ?10, nversions = ?11, nfields = ?12, tgen = ?13, saved = ?14,"
	    " groups = ?15, versions = ?16, fields = ?17 WHERE id = ?1", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, w->id);
	sqlite3_bind_int64(st, 2, k->size);
	sqlite3_bind_int64(st, 3, k->mtime);
	sqlite3_bind_int64(st, 4, k->data_size);
	sqlite3_bind_int64(st, 5, w->scanned);
	sqlite3_bind_int64(st, 6, w->check_len);
	sqlite3_bind_int64(st, 7, w->check_hash);
	sqlite3_bind_int64(st, 8, w->nrecs);
	sqlite3_bind_int64(st, 9, w->nchunks);
	sqlite3_bind_int64(st, 10, (int64_t)s->ngroups);
	sqlite3_bind_int64(st, 11, (int64_t)s->nversions);
	sqlite3_bind_int64(st, 12, (int64_t)s->nfields);
	sqlite3_bind_int64(st, 13, w->tgen);
	sqlite3_bind_int64(st, 14, (int64_t)time(NULL));
	bind_blob_buf(st, 15, &s->gs);
	bind_blob_buf(st, 16, &s->vs);
	bind_blob_buf(st, 17, &s->fs);
	rc = step_done(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && sqlite3_changes(db) != 1)
		rc = SQLITE_ABORT;
	return rc;
}

void
fileindex_save(struct backend *b, struct fsrc *src, uint16_t srcno)
{
	struct fb *fb = b->priv;
	struct ix_key k;
	struct ix_row w, old;
	struct saver s;
	struct grown g;
	struct ix x;
	const char *why = NULL;
	double t0 = now_ms();
	uint64_t h;
	size_t from = 0;
	int nl, o, rc = SQLITE_OK, r, append = 0;

	(void)srcno;
	memset(&g, 0, sizeof g);
	int have = grown_take(src, &g);
	if (fb->cache_dir != NULL && fb->cache_dir[0] == '\0')
		return;
	if (key_of(b, src, &k) != 0)
		return;
	memset(&w, 0, sizeof w);
	w.scanned = (int64_t)src->scanned;
	if (w.scanned > k.data_size || tail_hash(src->r.fd, src->scanned, &h, &w.check_len,
	    &nl) != 0) {
		ix_note("skip %s (cannot read it back)", k.path);
		free(k.path);
		return;
	}
	w.check_hash = (int64_t)h;
	saver_init(&s, fb, src);
	w.nrecs = (int64_t)s.nrecs;
	w.nchunks = (w.nrecs + IX_CHUNK - 1) / IX_CHUNK;
	if (s.nrecs > UINT32_MAX) {
		ix_note("skip %s (too many records)", k.path);
		goto out;
	}

	if ((o = ix_open(&x, fb, 1)) != IX_OK) {
		ix_note("skip %s (%s)", k.path, outcome_name(o));
		ix_close(&x);
		goto out;
	}
	if ((rc = ix_exec(x.db, "BEGIN IMMEDIATE")) != SQLITE_OK) {
		why = "busy";
		goto fail;
	}
	r = row_get(x.db, &k, &old, &rc);
	if (r < 0)
		goto rollback;
	if (r > 0 && old.dev == k.dev && old.ino == k.ino && old.size == k.size &&
	    old.mtime == k.mtime && old.data_size == k.data_size && old.scanned == w.scanned &&
	    old.check_hash == w.check_hash && old.nrecs == w.nrecs) {
		/* another process saved the same meanwhile */
		ix_exec(x.db, "ROLLBACK");
		ix_note("saved %s (already indexed)", k.path);
		ix_close(&x);
		goto out;
	}
	/* Appending: the entry is the one loaded, unchanged, and its records
	 * are still the first of the source. */
	pthread_rwlock_rdlock(&fb->lock);
	append = have && r > 0 && old.id == g.id && old.nrecs == g.nrecs &&
	    old.scanned == g.scanned && old.check_hash == g.check_hash && old.dev == k.dev &&
	    old.ino == k.ino && old.tgen + 1 < IX_MAXGEN && old.nrecs <= w.nrecs &&
	    src->nsegs > 0 && src->segs[0].v == g.v && (int64_t)src->segs[0].n == g.nrecs;
	pthread_rwlock_unlock(&fb->lock);
	if (append) {
		if (saver_adopt(&s, x.db, &old, &rc) != 0) {
			if (rc == SQLITE_OK)
				rc = SQLITE_CORRUPT;
			goto rollback;
		}
		w.id = old.id;
		w.tgen = old.tgen + 1;
		/* a text record's continuation lines may have come with the new
		   bytes: the chunk of the last record saved is written again */
		int64_t seq = src->fmt && old.nrecs > 0 ? (old.nrecs - 1) / IX_CHUNK :
		    old.nrecs / IX_CHUNK;
		from = (size_t)seq * IX_CHUNK;
		s.tfrom = (size_t)old.nrecs;
		rc = exec2(x.db, "DELETE FROM chunk WHERE source = ?1 AND seq >= ?2", old.id, seq);
	} else {
		if (r > 0)
			rc = entry_delete(x.db, old.id);
		if (rc == SQLITE_OK && (rc = prune(x.db)) == SQLITE_OK)
			rc = row_insert(x.db, &k, &w.id);
	}
	if (rc != SQLITE_OK ||
	    (rc = write_chunks(x.db, &s, w.id, from)) != SQLITE_OK ||
	    (rc = write_tmap(x.db, &s, w.id, w.tgen)) != SQLITE_OK ||
	    (saver_fields(&s), s.bad) ||
	    (rc = row_finish(x.db, &k, &w, &s)) != SQLITE_OK ||
	    (rc = ix_exec(x.db, "COMMIT")) != SQLITE_OK) {
		if (s.bad && rc == SQLITE_OK)
			rc = SQLITE_ABORT;
		goto rollback;
	}
	ix_close(&x);
	ix_note("saved %s (%lld records, %s from record %zu, %.1f ms)", k.path,
	    (long long)w.nrecs, append ? "appended" : "written", from, now_ms() - t0);
	goto out;
rollback:
	ix_exec(x.db, "ROLLBACK");
	why = s.bad ? "a value holds a NUL byte" : sqlite3_errstr(rc);
fail:
	if (rc_class(rc) == IX_CORRUPT)
		ix_discard(&x, why);
	else {
		ix_note("skip %s (not saved: %s)", k.path, why);
		ix_close(&x);
	}
out:
	saver_free(&s);
	free(k.path);
}

/* ---- correlation lookup ---- */

int
fileindex_trace(struct backend *b, struct fsrc *src, uint16_t srcno, int by_request,
    uint64_t h, struct rec **out, size_t *nout)
{
	struct fb *fb = b->priv;
	struct ix_key k;
	struct ix_row w;
	struct ix x;
	sqlite3_stmt *st = NULL, *cst = NULL;
	sqlite3_blob *blob = NULL;
	struct tent *ents = NULL;
	struct rec *chunk = NULL, *res = NULL;
	size_t nres = 0, cap = 0;
	int64_t cur = -1;
	const char *why = NULL;
	int o, rc = SQLITE_OK, ret = -1, damaged = 0;

	*out = NULL;
	*nout = 0;
	if (fb->cache_dir != NULL && fb->cache_dir[0] == '\0')
		return -1;
	if (key_of(b, src, &k) != 0)
		return -1;
	if ((o = ix_open(&x, fb, 0)) != IX_OK) {
		ix_note("miss %s (%s)", k.path, outcome_name(o));
		free(k.path);
		return -1;
	}
	if ((rc = ix_exec(x.db, "BEGIN")) != SQLITE_OK)
		goto done;
	int f = row_get(x.db, &k, &w, &rc);
	if (f <= 0) {
		why = "not indexed";
		goto done;
	}
	if (row_verify(&w, &k, src->r.fd, &why) != V_HIT) {
		if (why == NULL)
			why = "the file grew";
		goto done;
	}
	/* the record numbers of the entries that match, in file order (a
	 * generation maps the records appended after the one before) */
	rc = sqlite3_prepare_v2(x.db, "SELECT n, sum, ents FROM tmap WHERE source = ?1"
	    " AND key = ?2 ORDER BY gen", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto done;
	sqlite3_bind_int64(st, 1, w.id);
	sqlite3_bind_int64(st, 2, tkey(by_request != 0, h));
	size_t n = 0, ncap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t cn = sqlite3_column_int64(st, 0);
		const struct tent *p = sqlite3_column_blob(st, 2);
		if (cn <= 0 || cn > w.nrecs * 2 ||
		    sqlite3_column_bytes(st, 2) != cn * (int64_t)sizeof *p ||
		    (int64_t)sum64(p, (size_t)cn * sizeof *p) != sqlite3_column_int64(st, 1)) {
			why = "damaged correlation map";
			goto done;
		}
		/* every entry is checked, not only those of this hash: a
		   damaged row must not answer "no such record" */
		uint32_t prev = 0;
		for (int64_t i = 0; i < cn; i++) {
			struct tent e;
			memcpy(&e, p + i, sizeof e);
			if (e.idx >= w.nrecs || (i > 0 && e.idx <= prev)) {
				why = "damaged correlation map";
				damaged = 1;
				goto done;
			}
			prev = e.idx;
			if (e.lo != (uint32_t)h)
				continue;
			if (n > 0 && e.idx <= ents[n - 1].idx) {
				why = "damaged correlation map";
				damaged = 1;
				goto done;
			}
			if (n == ncap) {
				ncap = ncap ? ncap * 2 : 16;
				ents = xreallocarray(ents, ncap, sizeof *ents);
			}
			ents[n++] = e;
		}
	}
	if (rc != SQLITE_DONE)
		goto done;
	rc = SQLITE_OK;

	rc = sqlite3_prepare_v2(x.db, "SELECT id, n, sum FROM chunk WHERE source = ?1"
	    " AND seq = ?2", -1, &cst, NULL);
	if (rc != SQLITE_OK)
		goto done;
	chunk = xmalloc(IX_CHUNK * sizeof *chunk);
	for (size_t i = 0; i < n; i++) {
		int64_t idx = ents[i].idx;
		if (idx / IX_CHUNK != cur) {
			/* in file order: each chunk is read once */
			int64_t seq = idx / IX_CHUNK;
			int64_t want = w.nrecs - seq * IX_CHUNK < IX_CHUNK ?
			    w.nrecs - seq * IX_CHUNK : IX_CHUNK;
			uint64_t next_off = 0;
			sqlite3_bind_int64(cst, 1, w.id);
			sqlite3_bind_int64(cst, 2, seq);
			if ((rc = sqlite3_step(cst)) != SQLITE_ROW) {
				if (rc == SQLITE_DONE)
					why = "missing chunk";
				goto done;
			}
			int got = chunk_read(x.db, &blob, sqlite3_column_int64(cst, 0),
			    sqlite3_column_int64(cst, 1), sqlite3_column_int64(cst, 2), chunk,
			    want, &rc);
			sqlite3_reset(cst);
			if (got < 0 || recs_valid(chunk, (size_t)got, &w, srcno, &next_off) != 0) {
				if (got != -1) {
					why = "damaged chunk";
					damaged = 1;
				}
				goto done;
			}
			rc = SQLITE_OK;
			cur = seq;
		}
		struct rec *r = &chunk[idx % IX_CHUNK];
		if ((by_request ? r->req_h : r->trace_h) != h || REC_KIND(r->flags) != REC_OK)
			continue;	/* a partial-hash collision */
		if (nres == cap) {
			cap = cap ? cap * 2 : 16;
			res = xreallocarray(res, cap, sizeof *res);
		}
		res[nres] = *r;
		res[nres].group = res[nres].version = 0;
		nres++;
	}
	ret = 0;
done:
	if (blob != NULL)
		sqlite3_blob_close(blob);
	sqlite3_finalize(st);
	sqlite3_finalize(cst);
	if (x.db != NULL)
		ix_exec(x.db, "ROLLBACK");
	if (ret == 0) {
		*out = res;
		*nout = nres;
		ix_note("trace %s (%zu records)", k.path, nres);
		ix_close(&x);
	} else {
		free(res);
		if (damaged)
			ix_discard(&x, why);	/* rebuilt by the load's save */
		else if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW &&
		    rc_class(rc) == IX_CORRUPT)
			ix_discard(&x, sqlite3_errstr(rc));
		else {
			ix_note("miss %s (%s)", k.path, why ? why : sqlite3_errstr(rc));
			ix_close(&x);
		}
	}
	free(ents);
	free(chunk);
	free(k.path);
	return ret;
}
