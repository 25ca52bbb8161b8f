#include "config.h"
#include "lib/strmap.h"
#include "lib/xalloc.h"

#include <stdlib.h>
#include <string.h>

/* 8 bytes at a time with a multiply-xorshift mix (in the spirit of
 * wyhash/murmur finalisers); not cryptographic. */
static inline uint64_t
mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= UINT64_C(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64_C(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

uint64_t
hash64(const char *s, size_t len)
{
	uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (len * UINT64_C(0x100000001b3));
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * UINT64_C(0x87c37b91114253d5);
		h ^= h >> 29;
	}
	if (i < len) {
		uint64_t w = 0;
		memcpy(&w, s + i, len - i);
		h = (h ^ w) * UINT64_C(0x4cf5ad432745937f);
	}
	h = mix64(h);
	return h ? h : 1;
}

static void
grow(struct strmap *m)
{
	size_t ns = m->nslots ? m->nslots * 2 : 64;
	uint32_t *slots = xcalloc(ns, sizeof *slots);
	for (size_t id = 0; id < m->n; id++) {
		size_t i = hash64(m->keys[id], m->lens[id]) & (ns - 1);
		while (slots[i])
			i = (i + 1) & (ns - 1);
		slots[i] = (uint32_t)id + 1;
	}
	free(m->slots);
	m->slots = slots;
	m->nslots = ns;
}

long
strmap_find(const struct strmap *m, const char *s, size_t len)
{
	if (m->nslots == 0)
		return -1;
	size_t i = hash64(s, len) & (m->nslots - 1);
	while (m->slots[i]) {
		uint32_t id = m->slots[i] - 1;
		if (m->lens[id] == len && memcmp(m->keys[id], s, len) == 0)
			return id;
		i = (i + 1) & (m->nslots - 1);
	}
	return -1;
}

uint32_t
strmap_intern(struct strmap *m, const char *s, size_t len)
{
	long f = strmap_find(m, s, len);
	if (f >= 0)
		return (uint32_t)f;
	if ((m->n + 1) * 2 > m->nslots)
		grow(m);
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->keys = xreallocarray(m->keys, m->cap, sizeof *m->keys);
		m->lens = xreallocarray(m->lens, m->cap, sizeof *m->lens);
	}
	uint32_t id = (uint32_t)m->n++;
	m->keys[id] = xmalloc(len + 1);
	memcpy(m->keys[id], s, len);
	m->keys[id][len] = '\0';
	m->lens[id] = len;
	size_t i = hash64(s, len) & (m->nslots - 1);
	while (m->slots[i])
		i = (i + 1) & (m->nslots - 1);
	m->slots[i] = id + 1;
	return id;
}

void
strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->lens);
	free(m->slots);
	memset(m, 0, sizeof *m);
}
