/* conf_util.c - clocks, hashing, the seeded generator and dtype helpers.
 *
 * The dtype helpers are the suite's own (it uses only libbackplane's public
 * API), written for clarity: the suite converts a few thousand elements per
 * case. */
#define _POSIX_C_SOURCE 200809L
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf_internal.h"

double conf_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t conf_hash(uint64_t seed, const char *s) {
  uint64_t h = 1469598103934665603ull ^ (seed * 0x9e3779b97f4a7c15ull);
  for (; *s; ++s) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h ? h : 1;
}

uint64_t conf_rng_next(conf_rng_t *r) { /* splitmix64 */
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double conf_rng_uniform(conf_rng_t *r, double lo, double hi) {
  return lo + (hi - lo) * ((double)(conf_rng_next(r) >> 11) * 0x1.0p-53);
}

int64_t conf_rng_int(conf_rng_t *r, int64_t lo, int64_t hi) {
  uint64_t span = (uint64_t)hi - (uint64_t)lo + 1;
  if (span == 0) return (int64_t)conf_rng_next(r);
  return (int64_t)((uint64_t)lo + conf_rng_next(r) % span);
}

void conf_msg(conf_result_t *r, const char *fmt, ...) {
  size_t used = strlen(r->message);
  if (used && used + 3 < sizeof(r->message)) {
    memcpy(r->message + used, "; ", 3);
    used += 2;
  }
  if (used + 1 >= sizeof(r->message)) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->message + used, sizeof(r->message) - used, fmt, ap);
  va_end(ap);
}

void conf_fail(conf_result_t *r, const char *fmt, ...) {
  if (r->outcome != CONF_FAIL) {
    r->outcome = CONF_FAIL;
    r->message[0] = '\0'; /* notes from a passing path give way */
  }
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  conf_msg(r, "%s", buf);
}

const char *conf_outcome_name(conf_outcome_t o) {
  switch (o) {
    case CONF_PASS: return "pass";
    case CONF_FAIL: return "fail";
    case CONF_SKIP: return "skip";
    case CONF_FALLBACK: return "fallback";
    case CONF_KNOWN: return "known_failure";
    case CONF_XPASS: return "unexpected_pass";
    case CONF_NOGEN: return "no_generator";
    default: return "pending";
  }
}

/* ---- dtypes ---- */

const char *conf_dtype_name(bp_dtype_t d) {
  static const char *names[] = {"invalid", "bool", "u8", "i8", "i32",
                                "i64",     "f16",  "bf16", "f32", "f64"};
  return d < sizeof(names) / sizeof(names[0]) ? names[d] : "invalid";
}

bool conf_dtype_is_float(bp_dtype_t d) {
  return d == BP_DTYPE_F16 || d == BP_DTYPE_BF16 || d == BP_DTYPE_F32 || d == BP_DTYPE_F64;
}

size_t conf_dtype_size(bp_dtype_t d) { return bp_abi_dtype_size(d); }

static float f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
  float v;
  if (exp == 0) {
    v = ldexpf((float)man, -24);
  } else if (exp == 31) {
    v = man ? NAN : INFINITY;
  } else {
    v = ldexpf((float)(man | 0x400), (int)exp - 25);
  }
  uint32_t bits;
  memcpy(&bits, &v, 4);
  bits |= sign;
  memcpy(&v, &bits, 4);
  return v;
}

/* Round to nearest even; values are exact doubles, so one rounding. */
static uint16_t f64_to_f16(double v) {
  uint16_t sign = signbit(v) ? 0x8000 : 0;
  if (isnan(v)) return 0x7e00 | sign;
  double a = fabs(v);
  if (a >= 65520.0) return sign | 0x7c00; /* rounds to inf */
  if (a < 0x1.0p-14) {                     /* subnormal: multiples of 2^-24 */
    double q = nearbyint(a * 0x1.0p24);    /* default mode: ties to even */
    return sign | (uint16_t)q;
  }
  int e;
  double m = frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
  double q = nearbyint(m * 2048.0); /* 11 significant bits */
  if (q >= 2048.0) {
    q /= 2.0;
    ++e;
  }
  int biased = e - 1 + 15;
  if (biased >= 31) return sign | 0x7c00;
  return sign | (uint16_t)((unsigned)biased << 10) | (uint16_t)((uint32_t)q & 0x3ff);
}

static uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  if (isnan(f)) return (uint16_t)((bits >> 16) | 0x40);
  uint32_t lsb = (bits >> 16) & 1;
  bits += 0x7fff + lsb;
  return (uint16_t)(bits >> 16);
}

static float bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

double conf_load_f64(bp_dtype_t d, const void *p) {
  switch (d) {
    case BP_DTYPE_F16: { uint16_t h; memcpy(&h, p, 2); return f16_to_f32(h); }
    case BP_DTYPE_BF16: { uint16_t h; memcpy(&h, p, 2); return bf16_to_f32(h); }
    case BP_DTYPE_F32: { float f; memcpy(&f, p, 4); return f; }
    case BP_DTYPE_F64: { double f; memcpy(&f, p, 8); return f; }
    case BP_DTYPE_U8: return (double)*(const uint8_t *)p;
    default: return (double)conf_load_i64(d, p);
  }
}

int64_t conf_load_i64(bp_dtype_t d, const void *p) {
  switch (d) {
    case BP_DTYPE_BOOL: case BP_DTYPE_U8: return *(const uint8_t *)p;
    case BP_DTYPE_I8: return *(const int8_t *)p;
    case BP_DTYPE_I32: { int32_t v; memcpy(&v, p, 4); return v; }
    case BP_DTYPE_I64: { int64_t v; memcpy(&v, p, 8); return v; }
    default: return (int64_t)conf_load_f64(d, p);
  }
}

void conf_store_f64(bp_dtype_t d, void *p, double v) {
  switch (d) {
    case BP_DTYPE_F16: { uint16_t h = f64_to_f16(v); memcpy(p, &h, 2); return; }
    case BP_DTYPE_BF16: { uint16_t h = f32_to_bf16((float)v); memcpy(p, &h, 2); return; }
    case BP_DTYPE_F32: { float f = (float)v; memcpy(p, &f, 4); return; }
    case BP_DTYPE_F64: memcpy(p, &v, 8); return;
    case BP_DTYPE_BOOL: *(uint8_t *)p = v != 0; return;
    default: conf_store_i64(d, p, (int64_t)v); return;
  }
}

void conf_store_i64(bp_dtype_t d, void *p, int64_t v) {
  switch (d) {
    case BP_DTYPE_BOOL: *(uint8_t *)p = v != 0; return;
    case BP_DTYPE_U8: *(uint8_t *)p = (uint8_t)v; return;
    case BP_DTYPE_I8: *(int8_t *)p = (int8_t)v; return;
    case BP_DTYPE_I32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); return; }
    case BP_DTYPE_I64: memcpy(p, &v, 8); return;
    default: conf_store_f64(d, p, (double)v); return;
  }
}

double conf_dtype_eps(bp_dtype_t d) {
  switch (d) {
    case BP_DTYPE_F16: return 0x1.0p-10;
    case BP_DTYPE_BF16: return 0x1.0p-7;
    case BP_DTYPE_F32: return 0x1.0p-23;
    case BP_DTYPE_F64: return 0x1.0p-52;
    default: return 0;
  }
}

double conf_dtype_min_normal(bp_dtype_t d) {
  switch (d) {
    case BP_DTYPE_F16: return 0x1.0p-14;
    case BP_DTYPE_BF16: case BP_DTYPE_F32: return 0x1.0p-126;
    case BP_DTYPE_F64: return DBL_MIN;
    default: return 0;
  }
}

double conf_dtype_max(bp_dtype_t d) {
  switch (d) {
    case BP_DTYPE_F16: return 65504.0;
    case BP_DTYPE_BF16: return 0x1.fep127;
    case BP_DTYPE_F32: return FLT_MAX;
    case BP_DTYPE_F64: return DBL_MAX;
    default: return 0;
  }
}

double conf_dtype_denorm_min(bp_dtype_t d) {
  switch (d) {
    case BP_DTYPE_F16: return 0x1.0p-24;
    case BP_DTYPE_BF16: return 0x1.0p-133;
    case BP_DTYPE_F32: return 0x1.0p-149;
    case BP_DTYPE_F64: return 0x1.0p-1074;
    default: return 0;
  }
}

/* "name:3" -> name, 3; "3" -> "", 3; "name" -> name, -1. */
int conf_parse_device(const char *s, char *name, size_t n, int *index) {
  const char *colon = strrchr(s, ':');
  const char *num = colon ? colon + 1 : s;
  char *end = NULL;
  long v = strtol(num, &end, 10);
  bool numeric = *num && end && *end == '\0' && v >= 0 && v < CONF_MAX_DEVICES;
  if (colon) {
    if (!numeric) return -1;
    snprintf(name, n, "%.*s", (int)(colon - s), s);
    *index = (int)v;
  } else if (numeric) {
    name[0] = '\0';
    *index = (int)v;
  } else {
    snprintf(name, n, "%s", s);
    *index = -1;
  }
  return 0;
}
