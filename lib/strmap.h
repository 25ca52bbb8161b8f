/* String -> index map (open addressing), used to intern group keys
 * and other low-cardinality values. Keys are copied; ids are dense, 0-based,
 * in insertion order. Not thread-safe. */
#ifndef LD_STRMAP_H
#define LD_STRMAP_H
#include <stddef.h>
#include <stdint.h>

struct strmap {
	char		**keys;		/* keys[id], NUL-terminated, owned */
	size_t		 *lens;
	size_t		  n, cap;	/* ids in use, capacity of keys */
	uint32_t	 *slots;	/* id + 1, 0 = empty */
	size_t		  nslots;
};

/* Id of s[0..len), inserting it if new. */
uint32_t strmap_intern(struct strmap *m, const char *s, size_t len);
/* Id or -1 if absent. */
long	 strmap_find(const struct strmap *m, const char *s, size_t len);
void	 strmap_free(struct strmap *m);
/* A 64-bit multiply-mix hash of s[0..len) (not cryptographic); never 0
 * (0 means "none" to callers). The index stores these: changing it
 * needs a new index format version. */
uint64_t hash64(const char *s, size_t len);

#endif
