/* dnnl_cache.c - the primitive cache: an LRU of oneDNN primitives keyed by
 * (op, algorithm, attributes, dtypes, dims, strides).
 *
 * Creating a oneDNN primitive (descriptor, implementation search, JIT code
 * generation) costs from microseconds to milliseconds; a training loop calls
 * the same shapes every step, so each primitive is created once and reused.
 * Lookup is a hash table with chaining over a doubly linked recency list;
 * all of it runs under ctx->lock. A primitive also depends on the thread
 * count it was made for (oneDNN splits the work at creation and runs that
 * many threads), so the calling thread's OpenMP count is part of the key. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "dnnl_plugin.h"

/* Entries a kernel call may hold at once (its primitive and reorders). */
#define BP_DNNL_RECENT 8

typedef struct entry {
  struct entry *next_in_bucket;
  struct entry *prev, *next; /* recency: head is the most recent */
  uint64_t hash;
  int threads; /* omp_get_max_threads() when it was made */
  bp_dnnl_prim_t value;
  uint32_t len;
  uint64_t words[]; /* the key */
} entry_t;

struct bp_dnnl_cache {
  size_t capacity, count, nbuckets;
  entry_t **buckets;
  entry_t *head, *tail;
  uint64_t hits, misses;
  /* Made with caching off: the last BP_DNNL_RECENT, so that the primitives
   * one kernel call gets (a convolution and its reorders) stay alive for
   * the whole call. */
  entry_t *uncached[BP_DNNL_RECENT];
  unsigned next_uncached;
};

/* ---- keys ---- */

void bp_dnnl_key_init(bp_dnnl_key_t *key, const char *op, uint32_t alg) {
  key->len = 0;
  key->overflow = false;
  uint64_t h = 1469598103934665603ull; /* the op name, hashed into one word */
  for (const char *c = op; *c; ++c) h = (h ^ (uint8_t)*c) * 1099511628211ull;
  bp_dnnl_key_u64(key, h);
  bp_dnnl_key_u64(key, alg);
}

void bp_dnnl_key_u64(bp_dnnl_key_t *key, uint64_t v) {
  if (key->len >= sizeof key->words / sizeof key->words[0]) {
    key->overflow = true;
    return;
  }
  key->words[key->len++] = v;
}

void bp_dnnl_key_f64(bp_dnnl_key_t *key, double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  bp_dnnl_key_u64(key, u);
}

void bp_dnnl_key_md(bp_dnnl_key_t *key, const dnnl_memory_desc_t *md) {
  bp_dnnl_key_u64(key, ((uint64_t)(uint32_t)md->data_type << 32) | (uint32_t)md->ndims);
  bp_dnnl_key_u64(key, (uint64_t)md->format_kind);
  for (int i = 0; i < md->ndims; ++i) {
    bp_dnnl_key_u64(key, (uint64_t)md->dims[i]);
    bp_dnnl_key_u64(key, (uint64_t)md->format_desc.blocking.strides[i]);
  }
  /* Blocked layouts (a primitive's own): the inner blocks too. */
  const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
  if (md->format_kind == dnnl_blocked && b->inner_nblks > 0) {
    bp_dnnl_key_u64(key, (uint64_t)b->inner_nblks);
    for (int i = 0; i < b->inner_nblks; ++i)
      bp_dnnl_key_u64(key, ((uint64_t)b->inner_blks[i] << 8) | (uint64_t)b->inner_idxs[i]);
    for (int i = 0; i < md->ndims; ++i) bp_dnnl_key_u64(key, (uint64_t)md->padded_dims[i]);
  }
}

static uint64_t key_hash(const uint64_t *w, uint32_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (uint32_t i = 0; i < n; ++i) {
    h ^= w[i] + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdull;
  }
  return h ^ (h >> 33);
}

bool bp_dnnl_pd_is_ref(const_dnnl_primitive_desc_t pd) {
  const char *impl = NULL;
  return dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success &&
         impl != NULL && strncmp(impl, "ref", 3) == 0;
}

/* ---- the table ---- */

bp_status_t bp_dnnl_cache_create(size_t capacity, bp_dnnl_cache_t **out) {
  bp_dnnl_cache_t *c = calloc(1, sizeof *c);
  if (c == NULL) return BP_STATUS_OUT_OF_MEMORY;
  /* A small cache still holds every primitive of one call (see uncached). */
  c->capacity = capacity > 0 && capacity < BP_DNNL_RECENT ? BP_DNNL_RECENT : capacity;
  c->nbuckets = 64;
  while (c->nbuckets < capacity * 2) c->nbuckets *= 2;
  c->buckets = calloc(c->nbuckets, sizeof *c->buckets);
  if (c->buckets == NULL) {
    free(c);
    return BP_STATUS_OUT_OF_MEMORY;
  }
  *out = c;
  return BP_STATUS_OK;
}

static void entry_destroy(entry_t *e) {
  if (e == NULL) return;
  dnnl_primitive_destroy(e->value.prim);
  free(e->value.mds);
  free(e);
}

void bp_dnnl_cache_destroy(bp_dnnl_cache_t *c) {
  if (c == NULL) return;
  for (entry_t *e = c->head, *next; e; e = next) {
    next = e->next;
    entry_destroy(e);
  }
  for (unsigned i = 0; i < BP_DNNL_RECENT; ++i) entry_destroy(c->uncached[i]);
  free(c->buckets);
  free(c);
}

void bp_dnnl_cache_stats(const bp_dnnl_cache_t *c, uint64_t *hits, uint64_t *misses,
                         size_t *entries) {
  *hits = c->hits;
  *misses = c->misses;
  *entries = c->count;
}

static void list_unlink(bp_dnnl_cache_t *c, entry_t *e) {
  if (e->prev) e->prev->next = e->next; else c->head = e->next;
  if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void list_push_front(bp_dnnl_cache_t *c, entry_t *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e; else c->tail = e;
  c->head = e;
}

static void bucket_remove(bp_dnnl_cache_t *c, entry_t *e) {
  entry_t **p = &c->buckets[e->hash & (c->nbuckets - 1)];
  while (*p && *p != e) p = &(*p)->next_in_bucket;
  if (*p) *p = e->next_in_bucket;
}

bp_status_t bp_dnnl_cache_get(bp_dnnl_ctx_t *ctx, const bp_dnnl_key_t *key,
                              bp_dnnl_make_pd_fn make, const void *arg, uint32_t flags,
                              const bp_dnnl_prim_t **out) {
  bp_dnnl_cache_t *c = ctx->cache;
  const bool cacheable = c->capacity > 0 && !key->overflow;
  const int threads = omp_get_max_threads();
  const uint64_t h = key_hash(key->words, key->len) ^ (uint64_t)threads;
  if (cacheable) {
    for (entry_t *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next_in_bucket) {
      if (e->hash != h || e->len != key->len || e->threads != threads ||
          memcmp(e->words, key->words, key->len * sizeof(uint64_t)) != 0)
        continue;
      c->hits++;
      if (c->head != e) {
        list_unlink(c, e);
        list_push_front(c, e);
      }
      *out = &e->value;
      return BP_STATUS_OK;
    }
  }
  c->misses++;

  bp_status_t status = BP_STATUS_OK;
  dnnl_primitive_desc_t pd = NULL;
  entry_t *e = calloc(1, sizeof *e + key->len * sizeof(uint64_t));
  if (e == NULL) return bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn: no memory for a cache entry");
  e->hash = h;
  e->threads = threads;
  e->len = key->len;
  memcpy(e->words, key->words, key->len * sizeof(uint64_t));
  e->value.flags = flags;
  BP_DNNL_TRY(ctx, make(ctx, arg, &pd), "creating a primitive descriptor");
  const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  e->value.scratch_size = smd ? dnnl_memory_desc_get_size(smd) : 0;
  if (flags & BP_DNNL_PRIM_MDS) {
    e->value.mds = malloc(3 * sizeof *e->value.mds);
    if (e->value.mds == NULL) {
      status = bp_dnnl_fail(ctx, BP_STATUS_OUT_OF_MEMORY, "onednn: no memory for a cache entry");
      goto done;
    }
    dnnl_query_t q[3] = {dnnl_query_src_md, dnnl_query_weights_md, dnnl_query_dst_md};
    if (flags & BP_DNNL_PRIM_MDS_BWD_DATA) {
      q[0] = dnnl_query_diff_src_md;
      q[2] = dnnl_query_diff_dst_md;
    } else if (flags & BP_DNNL_PRIM_MDS_BWD_WEIGHTS) {
      q[1] = dnnl_query_diff_weights_md;
      q[2] = dnnl_query_diff_dst_md;
    }
    for (int i = 0; i < 3; ++i) {
      const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, q[i], 0);
      if (md) e->value.mds[i] = *md; else memset(&e->value.mds[i], 0, sizeof *md);
    }
  }
  BP_DNNL_TRY(ctx, dnnl_primitive_create(&e->value.prim, pd), "creating a primitive");

  if (!cacheable) {
    entry_t **slot = &c->uncached[c->next_uncached++ % BP_DNNL_RECENT];
    entry_destroy(*slot);
    *slot = e;
  } else {
    if (c->count >= c->capacity && c->tail) { /* evict the least recent */
      entry_t *old = c->tail;
      list_unlink(c, old);
      bucket_remove(c, old);
      entry_destroy(old);
      c->count--;
    }
    entry_t **b = &c->buckets[h & (c->nbuckets - 1)];
    e->next_in_bucket = *b;
    *b = e;
    list_push_front(c, e);
    c->count++;
  }
  *out = &e->value;
  e = NULL;
done:
  if (pd) dnnl_primitive_desc_destroy(pd);
  if (e) free(e->value.mds);
  free(e);
  return status;
}
