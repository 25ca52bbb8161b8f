/* Shared by preset.c and runbook.c only. */
#ifndef LD_PRESET_INT_H
#define LD_PRESET_INT_H
#include <stddef.h>
#include "lib/err.h"

/* Read path (a regular file of at most 1 MiB) as JSON, duplicate keys
 * refused. Returns a jansson json_t * (caller decrefs), or NULL with err
 * LD_EUSAGE: "cannot read the WHAT PATH: ...", or "PATH:LINE:COL: TEXT"
 * with jansson's position and text for a syntax error. */
void	*preset_load_json(const char *path, const char *what, struct ld_err *err);

/* A message "PATH: KEY.PATH: problem" about file path becomes
 * "PATH:LINE:COL: KEY.PATH: problem" (steps[N] counted from 1, as the
 * messages count them), the position of that key's value
 * (or of the object lacking it) in the file (lib/jsonpos.h); other
 * messages, or a file that cannot be read again, are left as they are. */
void	preset_err_locate(const char *path, struct ld_err *err);

/* The file's name without directory and ".json" (caller frees). */
char	*preset_file_stem(const char *path);

/* The NAME of every NAME.json in dir (dot files skipped), sorted; the
 * caller frees each and the array. NULL with *eno set if dir cannot be
 * read. */
char	**preset_dir_stems(const char *dir, size_t *n, int *eno);

struct preset_dirs;
/* Every NAME.json of d's folders in order, each name once: the first
 * folder that has it wins (later ones are shadowed). fn(arg, i, stem,
 * path) for each (i: the folder's index in d; stem and path valid during
 * the call); unreadable(arg, i, errno) for a folder that cannot be read,
 * if not NULL. */
void	preset_dirs_each(const struct preset_dirs *d,
	    void (*fn)(void *arg, size_t i, const char *stem, const char *path),
	    void (*unreadable)(void *arg, size_t i, int eno), void *arg);

#endif
