/* conf_memory_checks.c - buffers, copies, fill, ordering, threads, leaks
 * and the error codes a plugin's memory entries must return. The plugin's
 * buffers are opaque (ABI-22), so every check moves bytes through the copy
 * entries and compares them on the host; a copy that strays outside its
 * range is caught because the whole buffer is read back. */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf_host.h"

#define MiB (1024ull * 1024ull)

typedef struct mem_ctx {
  conf_session_t *s;
  uint32_t dev;
  conf_result_t *r;
} mem_ctx_t;

static void *dalloc(mem_ctx_t *m, uint64_t size, bp_status_t *out_status) {
  void *buf = NULL;
  conf_host_clear_error();
  bp_status_t st = m->s->api->buffer_alloc(m->s->ctx, m->dev, size, &buf);
  if (out_status) *out_status = st;
  if (st != BP_STATUS_OK) {
    if (!out_status)
      conf_fail(m->r, "buffer_alloc(%llu bytes) returned %s: %s", (unsigned long long)size,
                bp_status_name(st), conf_host_error());
    return NULL;
  }
  if (!buf && size && !out_status) conf_fail(m->r, "buffer_alloc(%llu) returned OK but no buffer",
                                             (unsigned long long)size);
  return buf;
}

static void dfree(mem_ctx_t *m, void *buf) { m->s->api->buffer_free(m->s->ctx, m->dev, buf); }

static bool h2d(mem_ctx_t *m, void *dst, uint64_t off, const void *src, uint64_t n) {
  bp_status_t st = m->s->api->copy_h2d(m->s->ctx, m->dev, dst, off, src, n);
  if (st) conf_fail(m->r, "copy_h2d(offset %llu, %llu bytes) returned %s: %s",
                    (unsigned long long)off, (unsigned long long)n, bp_status_name(st),
                    conf_host_error());
  return st == BP_STATUS_OK;
}

static bool d2h(mem_ctx_t *m, void *dst, const void *src, uint64_t off, uint64_t n) {
  bp_status_t st = m->s->api->copy_d2h(m->s->ctx, m->dev, dst, src, off, n);
  if (st) conf_fail(m->r, "copy_d2h(offset %llu, %llu bytes) returned %s: %s",
                    (unsigned long long)off, (unsigned long long)n, bp_status_name(st),
                    conf_host_error());
  return st == BP_STATUS_OK;
}

static bool dsync(mem_ctx_t *m) {
  bp_status_t st = m->s->api->synchronize(m->s->ctx, m->dev);
  if (st) conf_fail(m->r, "synchronize returned %s: %s", bp_status_name(st), conf_host_error());
  return st == BP_STATUS_OK;
}

static void random_bytes(conf_rng_t *g, unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = (unsigned char)conf_rng_next(g);
}

/* Index of the first differing byte, or -1. */
static long long first_diff(const unsigned char *a, const unsigned char *b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return (long long)i;
  return -1;
}

static void check_bytes(mem_ctx_t *m, const char *what, const unsigned char *got,
                        const unsigned char *want, size_t n) {
  long long at = first_diff(got, want, n);
  if (at >= 0)
    conf_fail(m->r, "%s: byte %lld is 0x%02x, expected 0x%02x", what, at, got[at], want[at]);
}

static void alloc_sizes(mem_ctx_t *m, conf_rng_t *g) {
  const uint64_t sizes[] = {1, 3, 4097, MiB + 7};
  for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && m->r->outcome != CONF_FAIL; ++i) {
    size_t n = (size_t)sizes[i];
    unsigned char *src = malloc(n), *back = malloc(n);
    void *buf = dalloc(m, n, NULL);
    if (src && back && buf) {
      random_bytes(g, src, n);
      memset(back, 0, n);
      if (h2d(m, buf, 0, src, n) && dsync(m) && d2h(m, back, buf, 0, n)) {
        char what[64];
        snprintf(what, sizeof(what), "%zu-byte buffer", n);
        check_bytes(m, what, back, src, n);
      }
    }
    if (buf) dfree(m, buf);
    free(src);
    free(back);
  }
}

static void alloc_large(mem_ctx_t *m, const bp_device_props_t *p, conf_tier_t tier) {
  uint64_t size = tier == CONF_TIER_FULL ? 512 * MiB : 64 * MiB;
  if (size > p->max_alloc_size) size = p->max_alloc_size;
  if (size > p->total_memory / 2) size = p->total_memory / 2;
  if (p->free_memory && size > p->free_memory / 2) size = p->free_memory / 2;
  if (size < 8192) {
    m->r->outcome = CONF_SKIP;
    conf_msg(m->r, "the device reports too little memory for a large buffer");
    return;
  }
  bp_status_t st;
  void *buf = dalloc(m, size, &st);
  if (st != BP_STATUS_OK) {
    conf_fail(m->r, "buffer_alloc(%llu bytes) returned %s: %s; the device claims %llu bytes "
                    "(max_alloc_size %llu, free %llu)",
              (unsigned long long)size, bp_status_name(st), conf_host_error(),
              (unsigned long long)p->total_memory, (unsigned long long)p->max_alloc_size,
              (unsigned long long)p->free_memory);
    return;
  }
  unsigned char head[4096], tail[4096], back[4096];
  memset(head, 0x3c, sizeof(head));
  memset(tail, 0xc3, sizeof(tail));
  if (h2d(m, buf, 0, head, sizeof(head)) && h2d(m, buf, size - sizeof(tail), tail, sizeof(tail)) &&
      dsync(m)) {
    if (d2h(m, back, buf, 0, sizeof(back))) check_bytes(m, "start of the buffer", back, head, 4096);
    if (d2h(m, back, buf, size - sizeof(back), sizeof(back)))
      check_bytes(m, "end of the buffer", back, tail, 4096);
  }
  dfree(m, buf);
  if (m->r->outcome != CONF_FAIL) conf_msg(m->r, "%llu MiB", (unsigned long long)(size / MiB));
}

static void too_large(mem_ctx_t *m, const bp_device_props_t *p, bool want_message) {
  uint64_t sizes[2] = {p->total_memory + 1, UINT64_MAX / 2};
  size_t count = p->total_memory < UINT64_MAX / 2 ? 2 : 1;
  if (p->total_memory == UINT64_MAX) sizes[0] = UINT64_MAX;
  for (size_t i = 0; i < count; ++i) {
    bp_status_t st;
    void *buf = dalloc(m, sizes[i], &st);
    if (st == BP_STATUS_OK) {
      conf_fail(m->r, "buffer_alloc(%llu bytes) returned OK (buffer %p) on a device of %llu "
                      "bytes; expected OUT_OF_MEMORY (ABI-19)",
                (unsigned long long)sizes[i], buf, (unsigned long long)p->total_memory);
      if (buf) dfree(m, buf);
    } else if (st != BP_STATUS_OUT_OF_MEMORY) {
      conf_fail(m->r, "buffer_alloc(%llu bytes) returned %s; expected OUT_OF_MEMORY (ABI-19)",
                (unsigned long long)sizes[i], bp_status_name(st));
    } else if (want_message && !*conf_host_error()) {
      conf_fail(m->r, "buffer_alloc(%llu bytes) returned OUT_OF_MEMORY without a message "
                      "(host->set_error) (ABI-6, ABI-17)",
                (unsigned long long)sizes[i]);
    } else if (want_message && i == 0) {
      conf_msg(m->r, "message: %s", conf_host_error());
    }
  }
}

static void roundtrip(mem_ctx_t *m, conf_rng_t *g) {
  enum { N = 4099 };
  unsigned char want[N], back[N], chunk[N];
  void *buf = dalloc(m, N, NULL);
  if (!buf) return;
  random_bytes(g, want, N);
  if (!h2d(m, buf, 0, want, N)) goto done;
  /* Writes at odd offsets and sizes, including 0 bytes and the last byte. */
  const uint64_t at[][2] = {{1, 1}, {3, 7}, {1000, 2049}, {4098, 1}, {17, 0}, {0, 5}};
  for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); ++i) {
    random_bytes(g, chunk, (size_t)at[i][1]);
    if (!h2d(m, buf, at[i][0], chunk, at[i][1])) goto done;
    memcpy(want + at[i][0], chunk, (size_t)at[i][1]);
  }
  if (!dsync(m)) goto done;
  memset(back, 0, N);
  if (!d2h(m, back, buf, 0, N)) goto done;
  check_bytes(m, "after copy_h2d at odd offsets", back, want, N);
  /* Reads at odd offsets, into a guarded host buffer. */
  const uint64_t rd[][2] = {{5, 333}, {4098, 1}, {1, 4097}, {77, 0}};
  for (size_t i = 0; i < sizeof(rd) / sizeof(rd[0]) && m->r->outcome != CONF_FAIL; ++i) {
    memset(chunk, 0xee, N);
    if (!d2h(m, chunk + 1, buf, rd[i][0], rd[i][1])) goto done;
    check_bytes(m, "copy_d2h at an odd offset", chunk + 1, want + rd[i][0], (size_t)rd[i][1]);
    if (chunk[0] != 0xee || (rd[i][1] + 1 < N && chunk[rd[i][1] + 1] != 0xee))
      conf_fail(m->r, "copy_d2h(offset %llu, %llu bytes) wrote outside the destination",
                (unsigned long long)rd[i][0], (unsigned long long)rd[i][1]);
  }
done:
  dfree(m, buf);
}

static void copy_d2d(mem_ctx_t *m, conf_rng_t *g) {
  enum { N = 4099 };
  unsigned char src_bytes[N], want[N], back[N];
  void *src = dalloc(m, N, NULL), *dst = src ? dalloc(m, N, NULL) : NULL;
  if (!src || !dst) goto done;
  random_bytes(g, src_bytes, N);
  random_bytes(g, want, N);
  if (!h2d(m, src, 0, src_bytes, N) || !h2d(m, dst, 0, want, N)) goto done;
  const uint64_t at[][3] = {{7, 3, 2001}, {0, 4000, 99}, {4098, 0, 1}, {11, 13, 0}};
  for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); ++i) {
    bp_status_t st = m->s->api->copy_d2d(m->s->ctx, m->dev, dst, at[i][0], src, at[i][1], at[i][2]);
    if (st) {
      conf_fail(m->r, "copy_d2d returned %s: %s", bp_status_name(st), conf_host_error());
      goto done;
    }
    memcpy(want + at[i][0], src_bytes + at[i][1], (size_t)at[i][2]);
  }
  if (dsync(m) && d2h(m, back, dst, 0, N)) check_bytes(m, "after copy_d2d", back, want, N);
done:
  if (src) dfree(m, src);
  if (dst) dfree(m, dst);
}

static void fill(mem_ctx_t *m) {
  enum { N = 1024 };
  unsigned char want[N], back[N];
  void *buf = dalloc(m, N, NULL);
  if (!buf) return;
  const uint32_t psizes[] = {1, 2, 4, 8};
  const unsigned char pattern[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  for (size_t i = 0; i < 4 && m->r->outcome != CONF_FAIL; ++i) {
    uint32_t ps = psizes[i];
    memset(want, 0x5a, N);
    if (!h2d(m, buf, 0, want, N)) break;
    uint64_t off = 3 + i, size = (uint64_t)ps * 37;
    bp_status_t st = m->s->api->fill(m->s->ctx, m->dev, buf, off, size, pattern, ps);
    if (st) {
      conf_fail(m->r, "fill(offset %llu, %llu bytes, pattern of %u) returned %s: %s",
                (unsigned long long)off, (unsigned long long)size, ps, bp_status_name(st),
                conf_host_error());
      break;
    }
    for (uint64_t b = 0; b < size; ++b) want[off + b] = pattern[b % ps];
    if (!dsync(m) || !d2h(m, back, buf, 0, N)) break;
    char what[64];
    snprintf(what, sizeof(what), "fill with a %u-byte pattern", ps);
    check_bytes(m, what, back, want, N);
  }
  dfree(m, buf);
}

static void ordering(mem_ctx_t *m, conf_rng_t *g) {
  enum { N = 65536 };
  unsigned char *src = malloc(N), *want = malloc(N), *back = malloc(N);
  void *a = dalloc(m, N, NULL), *b = a ? dalloc(m, N, NULL) : NULL;
  if (!src || !want || !back || !a || !b) goto done;
  /* fill, then copy_d2h with no synchronize: it must wait (ABI-14). */
  const uint32_t pat = 0xa1b2c3d4u;
  if (m->s->api->fill(m->s->ctx, m->dev, a, 0, N, &pat, 4)) {
    conf_fail(m->r, "fill returned an error: %s", conf_host_error());
    goto done;
  }
  for (size_t i = 0; i < N; i += 4) memcpy(want + i, &pat, 4);
  if (!d2h(m, back, a, 0, N)) goto done;
  check_bytes(m, "copy_d2h right after fill (no synchronize)", back, want, N);
  /* copy_h2d has read its source when it returns: overwrite it at once. */
  random_bytes(g, src, N);
  memcpy(want, src, N);
  if (!h2d(m, b, 0, src, N)) goto done;
  memset(src, 0, N);
  /* copy_d2d queued, then copy_d2h. */
  if (m->s->api->copy_d2d(m->s->ctx, m->dev, a, 0, b, 0, N)) {
    conf_fail(m->r, "copy_d2d returned an error: %s", conf_host_error());
    goto done;
  }
  if (!d2h(m, back, a, 0, N)) goto done;
  check_bytes(m, "copy_d2h right after copy_d2d of data copy_h2d took from a reused buffer", back,
              want, N);
  dsync(m);
done:
  if (a) dfree(m, a);
  if (b) dfree(m, b);
  free(src);
  free(want);
  free(back);
}

typedef struct thread_arg {
  mem_ctx_t *m;
  uint64_t seed;
  char error[256];
} thread_arg_t;

static void *thread_main(void *p) {
  thread_arg_t *a = p;
  conf_session_t *s = a->m->s;
  uint32_t dev = a->m->dev;
  conf_rng_t g = {a->seed};
  unsigned char *src = malloc(65536), *back = malloc(65536);
  for (int it = 0; it < 100 && !a->error[0] && src && back; ++it) {
    size_t n = (size_t)conf_rng_int(&g, 1, 65536);
    void *buf = NULL;
    bp_status_t st = s->api->buffer_alloc(s->ctx, dev, n, &buf);
    if (st) {
      snprintf(a->error, sizeof(a->error), "buffer_alloc(%zu) returned %s", n, bp_status_name(st));
      break;
    }
    random_bytes(&g, src, n);
    if (s->api->copy_h2d(s->ctx, dev, buf, 0, src, n) ||
        s->api->copy_d2h(s->ctx, dev, back, buf, 0, n)) {
      snprintf(a->error, sizeof(a->error), "a copy failed at iteration %d", it);
    } else if (memcmp(src, back, n)) {
      snprintf(a->error, sizeof(a->error), "iteration %d: %zu bytes read back differ", it, n);
    }
    s->api->buffer_free(s->ctx, dev, buf);
  }
  free(src);
  free(back);
  return NULL;
}

static void threads(mem_ctx_t *m, uint64_t seed) {
  thread_arg_t args[2] = {{m, seed, ""}, {m, seed + 1, ""}};
  pthread_t th[2];
  int started = 0;
  for (; started < 2; ++started)
    if (pthread_create(&th[started], NULL, thread_main, &args[started])) break;
  for (int i = 0; i < started; ++i) pthread_join(th[i], NULL);
  for (int i = 0; i < 2; ++i)
    if (args[i].error[0]) conf_fail(m->r, "thread %d: %s (ABI-24)", i, args[i].error);
}

/* Alloc/free cycles whose sum exceeds the device's memory (capped in
 * time): a plugin that never frees runs out before the end. */
static void leak(mem_ctx_t *m, const bp_device_props_t *p, conf_tier_t tier) {
  uint64_t cap = tier == CONF_TIER_FULL ? 1024 * MiB : 256 * MiB;
  uint64_t size = p->total_memory / 4;
  if (size > p->max_alloc_size) size = p->max_alloc_size;
  if (size > cap) size = cap;
  if (size < 4096) size = 4096;
  uint64_t cycles = 2 * p->total_memory / size + 2;
  uint64_t max_cycles = tier == CONF_TIER_FULL ? 256 : 24;
  if (cycles > max_cycles) cycles = max_cycles;
  for (uint64_t i = 0; i < cycles; ++i) {
    bp_status_t st;
    void *buf = dalloc(m, size, &st);
    if (st != BP_STATUS_OK) {
      if (i == 0) {
        m->r->outcome = CONF_SKIP;
        conf_msg(m->r, "a first buffer of %llu bytes could not be allocated (%s)",
                 (unsigned long long)size, bp_status_name(st));
      } else {
        conf_fail(m->r, "allocation %llu of %llu bytes failed with %s after %llu buffers of that "
                        "size were allocated and freed on a device of %llu bytes: freed memory "
                        "does not come back (ABI-19, ABI-22)",
                  (unsigned long long)i + 1, (unsigned long long)size, bp_status_name(st),
                  (unsigned long long)i, (unsigned long long)p->total_memory);
      }
      return;
    }
    const uint8_t byte = 0x42; /* touch both ends so the memory is real */
    m->s->api->fill(m->s->ctx, m->dev, buf, 0, 1, &byte, 1);
    m->s->api->fill(m->s->ctx, m->dev, buf, size - 1, 1, &byte, 1);
    m->s->api->synchronize(m->s->ctx, m->dev);
    dfree(m, buf);
  }
  /* A plugin that reports free memory must get it back. */
  bp_device_props_t after;
  memset(&after, 0, sizeof(after));
  after.struct_size = sizeof(after);
  if (m->s->api->device_props(m->s->ctx, m->dev, &after) == BP_STATUS_OK && p->free_memory &&
      after.free_memory && p->total_memory <= 64ull * 1024 * MiB)
    conf_msg(m->r, "free_memory before %llu, after %llu", (unsigned long long)p->free_memory,
             (unsigned long long)after.free_memory);
  conf_msg(m->r, "%llu cycles of %llu bytes", (unsigned long long)cycles, (unsigned long long)size);
}

static void bad_device(mem_ctx_t *m) {
  uint32_t count = 0;
  if (m->s->api->device_count(m->s->ctx, &count)) {
    conf_fail(m->r, "device_count failed");
    return;
  }
  bp_device_props_t p;
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  conf_host_clear_error();
  bp_status_t st = m->s->api->device_props(m->s->ctx, count, &p);
  if (st != BP_STATUS_INVALID_ARGUMENT && st != BP_STATUS_NOT_FOUND)
    conf_fail(m->r, "device_props(%u) of a plugin with %u devices returned %s; expected "
                    "INVALID_ARGUMENT (ABI-5)", count, count, bp_status_name(st));
  else if (!*conf_host_error())
    conf_fail(m->r, "device_props(%u) returned %s without a message (host->set_error) (ABI-6)",
              count, bp_status_name(st));
  void *buf = NULL;
  conf_host_clear_error();
  st = m->s->api->buffer_alloc(m->s->ctx, count, 64, &buf);
  if (st == BP_STATUS_OK)
    conf_fail(m->r, "buffer_alloc on device %u of a plugin with %u devices returned OK (ABI-5)",
              count, count);
  else if (st != BP_STATUS_INVALID_ARGUMENT && st != BP_STATUS_NOT_FOUND)
    conf_fail(m->r, "buffer_alloc on device %u returned %s; expected INVALID_ARGUMENT (ABI-5)",
              count, bp_status_name(st));
  else if (!*conf_host_error())
    conf_fail(m->r, "buffer_alloc on device %u returned %s without a message (ABI-6)", count,
              bp_status_name(st));
}

void conf_memory_check(conf_worker_ctx_t *w, const conf_case_t *c, conf_result_t *r) {
  conf_session_t s;
  char err[512];
  r->outcome = CONF_PASS;
  if (conf_session_open(&s, w->target, err, sizeof(err))) {
    conf_fail(r, "cannot set the plugin up: %s", err);
    conf_session_close(&s);
    return;
  }
  mem_ctx_t m = {&s, (uint32_t)c->device, r};
  bp_device_props_t p;
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  if (s.api->device_props(s.ctx, m.dev, &p) != BP_STATUS_OK) {
    conf_fail(r, "device_props(%u) failed: %s", m.dev, conf_host_error());
    conf_session_close(&s);
    return;
  }
  conf_rng_t g = {conf_hash(w->suite->opts.seed, c->name)};
  conf_tier_t tier = w->suite->opts.tier;
  switch (c->check) {
    case CHK_MEM_ALLOC_ZERO: {
      bp_status_t st;
      void *buf = dalloc(&m, 0, &st);
      if (st) conf_fail(r, "buffer_alloc(0) returned %s; it must succeed (ABI-19)",
                        bp_status_name(st));
      else dfree(&m, buf);
      break;
    }
    case CHK_MEM_ALLOC_SIZES: alloc_sizes(&m, &g); break;
    case CHK_MEM_ALLOC_LARGE: alloc_large(&m, &p, tier); break;
    case CHK_MEM_TOO_LARGE: too_large(&m, &p, false); break;
    case CHK_ERR_OOM_MESSAGE: too_large(&m, &p, true); break;
    case CHK_MEM_FREE_NULL: dfree(&m, NULL); break;
    case CHK_MEM_ROUNDTRIP: roundtrip(&m, &g); break;
    case CHK_MEM_D2D: copy_d2d(&m, &g); break;
    case CHK_MEM_FILL: fill(&m); break;
    case CHK_MEM_ORDERING: ordering(&m, &g); break;
    case CHK_MEM_THREADS: threads(&m, g.s); break;
    case CHK_MEM_LEAK: leak(&m, &p, tier); break;
    case CHK_ERR_BAD_DEVICE: bad_device(&m); break;
    default: conf_fail(r, "internal: unknown memory check %d", (int)c->check); break;
  }
  conf_session_close(&s);
}
