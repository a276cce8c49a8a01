/*
 * cmd_bench.c - `bp bench dispatch`: the dispatcher's cost per op, measured
 * on the smallest possible work (add on 1-element f32 tensors on ref:0), so
 * that what is left is overhead: argument checks, planning, kernel lookup,
 * output allocation. When libtorch was found at build time, the same loops
 * run on at::add / at::add_out as an anchor (torch_anchor.h).
 *
 * Method, the same for every case: one warm-up repetition, then the best
 * (minimum) of `reps` repetitions of `iters` calls, timed with
 * CLOCK_MONOTONIC; reported in ns per call.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp_cli.h"
#include "json.h"
#ifdef BP_HAVE_TORCH
#include "torch_anchor.h"
#endif

#ifndef BPCLI_BUILD_TYPE
#define BPCLI_BUILD_TYPE ""
#endif

static const char usage[] =
    "usage: bp bench dispatch [--iters N] [--reps R] [--json]\n"
    "       bp bench ops [--quick] [--reps R] [--json] [--device DEV]\n"
    "       bp bench autograd [--iters N] [--reps R] [--quick] [--json]\n"
    "\n"
    "ops: the reference kernels on realistic sizes: f32 matmul 1024^3 beside\n"
    "single-threaded OpenBLAS (when bp was built with libopenblas-dev), conv2d\n"
    "(8x64x56x56, 64 3x3 filters), add/mul/sum on 16M f32 beside memcpy of the\n"
    "same bytes. --quick uses small sizes (a smoke test). Default R: 3.\n"
    "\n"
    "autograd: the cost of recording for autograd, per op: add and mul on 1-element\n"
    "f32 tensors with and without requires_grad; backward of a chain of 64 small\n"
    "ops; one training step of the bp train MLP (batch 64, SGD). Beside libtorch\n"
    "(requires_grad tensors, no InferenceMode) when built with it. N at most 20000.\n"
    "\n"
    "dispatch:\n"
    "Measures the per-op cost of the dispatcher in ns/op for add on 1-element\n"
    "f32 tensors on ref:0: bp_add with a fresh output (released each time),\n"
    "bp_add_out into an existing output, and the allocation share\n"
    "(bp_tensor_create + bp_tensor_release alone). When bp was built with\n"
    "libtorch, at::add and at::add_out on 1-element float CPU tensors (one\n"
    "thread, InferenceMode) are measured the same way for comparison.\n"
    "Each case: one warm-up run, then the best of R runs of N calls.\n"
    "\n"
    "options:\n"
    "  --iters N   calls per run (default 200000)\n"
    "  --reps R    runs per case (default 7)\n"
    "  --quick     bench ops: small sizes\n"
    "  --device DEV  bench ops: measure DEV (e.g. opencl:0) beside ref:0 in the same run\n"
    "  --json      print one JSON object instead of the table\n"
    "  -h, --help  show this help\n"
    "\n"
    "Numbers from a sanitized (BP_SANITIZE=ON) or Debug build are meaningless.\n";

typedef int (*loop_fn_t)(void *ctx, uint64_t n);

typedef struct bench_ctx {
  bp_device_t *device;
  bp_tensor_t *a, *b, *out;
} bench_ctx_t;

static const int64_t kShape[1] = {1};

static int loop_add(void *ctx, uint64_t n) {
  bench_ctx_t *c = ctx;
  for (uint64_t i = 0; i < n; ++i) {
    bp_tensor_t *r = NULL;
    if (bp_add(c->a, c->b, &r)) return 1;
    bp_tensor_release(r);
  }
  return 0;
}

static int loop_add_out(void *ctx, uint64_t n) {
  bench_ctx_t *c = ctx;
  for (uint64_t i = 0; i < n; ++i)
    if (bp_add_out(c->a, c->b, c->out)) return 1;
  return 0;
}

static int loop_alloc(void *ctx, uint64_t n) {
  bench_ctx_t *c = ctx;
  for (uint64_t i = 0; i < n; ++i) {
    bp_tensor_t *t = NULL;
    if (bp_tensor_create(c->device, BP_DTYPE_F32, 1, kShape, &t)) return 1;
    bp_tensor_release(t);
  }
  return 0;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Best ns per call of fn over reps runs of iters calls, after a warm-up. */
static int best_ns(loop_fn_t fn, void *ctx, uint64_t iters, int reps, double *out_ns) {
  if (fn(ctx, iters)) return 1;
  double best = INFINITY;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_ns();
    if (fn(ctx, iters)) return 1;
    double ns = (now_ns() - t0) / (double)iters;
    if (ns < best) best = ns;
  }
  *out_ns = best;
  return 0;
}

typedef struct results {
  double add, add_out, alloc;
  bool torch;                 /* libtorch numbers are present */
  const char *torch_version;
  const char *torch_error;    /* why they are not, when it was built */
  double torch_add, torch_add_out;
} results_t;

static bool parse_count(const char *value, long long max, long long *out) {
  if (!value) return false;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(value, &end, 10);
  if (errno || end == value || *end || v < 1 || v > max) return false;
  *out = v;
  return true;
}

static void print_warnings(FILE *out, const char *prefix) {
#ifdef BPCLI_SANITIZED
  fprintf(out, "%swarning: this bp was built with BP_SANITIZE=ON (ASan+UBSan); the numbers "
          "are meaningless\n", prefix);
#endif
  if (!strcmp(BPCLI_BUILD_TYPE, "Debug"))
    fprintf(out, "%swarning: this is a Debug build (no optimization); the numbers are not "
            "representative\n", prefix);
}

static void print_table(const results_t *r, uint64_t iters, int reps) {
  print_warnings(stdout, "");
  printf("bench dispatch: add on 1-element f32 tensors, ref:0, best of %d x %llu\n", reps,
         (unsigned long long)iters);
  char torch_head[64];
  snprintf(torch_head, sizeof(torch_head), "libtorch %s", r->torch ? r->torch_version : "");
  printf("  %-27s %12s", "case", "backplane");
  if (r->torch) printf("  %16s  %s", torch_head, "ratio");
  fputc('\n', stdout);
  printf("  %-27s %9.1f ns", "add (fresh output)", r->add);
  if (r->torch) printf("  %13.1f ns  %5.1fx faster", r->torch_add, r->torch_add / r->add);
  fputc('\n', stdout);
  printf("  %-27s %9.1f ns", "add_out (existing output)", r->add_out);
  if (r->torch)
    printf("  %13.1f ns  %5.1fx faster", r->torch_add_out, r->torch_add_out / r->add_out);
  fputc('\n', stdout);
  printf("  %-27s %9.1f ns (%.0f%% of add)\n", "allocation share of add", r->alloc,
         100.0 * r->alloc / r->add);
  if (!r->torch) {
#ifdef BP_HAVE_TORCH
    printf("libtorch: not measured: %s\n", r->torch_error ? r->torch_error : "unknown error");
#else
    printf("libtorch: not available at build time (install libtorch-dev and reconfigure)\n");
#endif
  } else {
    printf("libtorch: one thread, InferenceMode; ratio = libtorch ns / backplane ns\n");
  }
  printf("target: bp_add (fresh output) <= 150 ns: %s\n", r->add <= 150.0 ? "met" : "NOT met");
}

static void print_json(const results_t *r, uint64_t iters, int reps) {
  print_warnings(stderr, "bp: ");
  bpcli_json_t j;
  bpcli_json_init(&j, stdout);
  bpcli_json_object_begin(&j);
  bpcli_json_kv_string(&j, "bench", "dispatch");
  bpcli_json_kv_string(&j, "op", "add");
  bpcli_json_kv_string(&j, "dtype", "f32");
  bpcli_json_kv_string(&j, "device", "ref:0");
  bpcli_json_kv_uint(&j, "iters", iters);
  bpcli_json_kv_uint(&j, "reps", (uint64_t)reps);
#ifdef BPCLI_SANITIZED
  bpcli_json_kv_bool(&j, "sanitized", true);
#else
  bpcli_json_kv_bool(&j, "sanitized", false);
#endif
  bpcli_json_kv_string(&j, "build_type", BPCLI_BUILD_TYPE);
  bpcli_json_key(&j, "backplane");
  bpcli_json_object_begin(&j);
  bpcli_json_kv_double(&j, "add_ns", r->add);
  bpcli_json_kv_double(&j, "add_out_ns", r->add_out);
  bpcli_json_kv_double(&j, "alloc_ns", r->alloc);
  bpcli_json_kv_double(&j, "alloc_share", r->alloc / r->add);
  bpcli_json_object_end(&j);
  bpcli_json_key(&j, "libtorch");
  if (r->torch) {
    bpcli_json_object_begin(&j);
    bpcli_json_kv_string(&j, "version", r->torch_version);
    bpcli_json_kv_double(&j, "add_ns", r->torch_add);
    bpcli_json_kv_double(&j, "add_out_ns", r->torch_add_out);
    bpcli_json_kv_double(&j, "add_ratio", r->torch_add / r->add);
    bpcli_json_kv_double(&j, "add_out_ratio", r->torch_add_out / r->add_out);
    bpcli_json_object_end(&j);
  } else {
    bpcli_json_null(&j);
#ifdef BP_HAVE_TORCH
    bpcli_json_kv_string(&j, "libtorch_error", r->torch_error);
#else
    bpcli_json_kv_string(&j, "libtorch_error", "not available at build time");
#endif
  }
  bpcli_json_object_end(&j);
  bpcli_json_finish(&j);
}

/* The libtorch anchor; leaves r->torch false when unavailable. */
static void run_torch(results_t *r, uint64_t iters, int reps) {
#ifdef BP_HAVE_TORCH
  static char err[512];
  bpcli_torch_anchor_t anchor;
  if (!bpcli_torch_anchor_open(&anchor, err, sizeof(err))) {
    r->torch_error = err;
    return;
  }
  r->torch_version = anchor.version();
  bpcli_torch_t *t = anchor.create(err, sizeof(err));
  if (!t) {
    r->torch_error = err;
    return;
  }
  int rc = best_ns(anchor.add_loop, t, iters, reps, &r->torch_add) ||
           best_ns(anchor.add_out_loop, t, iters, reps, &r->torch_add_out);
  anchor.free(t);
  if (rc) r->torch_error = "at::add or at::add_out threw";
  else r->torch = true;
#else
  (void)r; (void)iters; (void)reps;
#endif
}

static int run_dispatch(uint64_t iters, int reps, bool json) {
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  bench_ctx_t c = {0};
  results_t r = {0};
  int rc = BPCLI_EXIT_FAILURE;
  const char *what = "bp_device_get(\"ref:0\")";
  if (bp_device_get("ref:0", &c.device)) goto done;
  what = "creating the 1-element f32 tensors";
  if (bp_tensor_create(c.device, BP_DTYPE_F32, 1, kShape, &c.a) ||
      bp_tensor_create(c.device, BP_DTYPE_F32, 1, kShape, &c.b) ||
      bp_tensor_create(c.device, BP_DTYPE_F32, 1, kShape, &c.out) || bp_fill(c.a, 1.0) ||
      bp_fill(c.b, 2.0))
    goto done;
  what = "bp_add";
  if (best_ns(loop_add, &c, iters, reps, &r.add)) goto done;
  what = "bp_add_out";
  if (best_ns(loop_add_out, &c, iters, reps, &r.add_out)) goto done;
  what = "bp_tensor_create";
  if (best_ns(loop_alloc, &c, iters, reps, &r.alloc)) goto done;
  run_torch(&r, iters, reps);
  rc = BPCLI_EXIT_OK;
  if (json) print_json(&r, iters, reps);
  else print_table(&r, iters, reps);

done:
  if (rc != BPCLI_EXIT_OK) fprintf(stderr, "bp: bench dispatch: %s failed: %s\n", what, bp_last_error());
  bp_tensor_release(c.a);
  bp_tensor_release(c.b);
  bp_tensor_release(c.out);
  return rc;
}

int bpcli_cmd_bench(int argc, char **argv) {
  const char *subject = NULL;
  long long iters = 200000, reps = 7;
  bool json = false, quick = false, reps_given = false;
  const char *device = NULL;
  for (int i = 1; i < argc; ++i) {
    const char *arg = argv[i];
    if (bpcli_is_help(arg)) {
      fputs(usage, stdout);
      return BPCLI_EXIT_OK;
    }
    if (!strcmp(arg, "--json")) {
      json = true;
    } else if (!strcmp(arg, "--quick")) {
      quick = true;
    } else if (!strcmp(arg, "--device")) {
      if (i + 1 >= argc) return bpcli_usage_error(usage, "bench: --device needs a device name");
      device = argv[++i];
    } else if (!strcmp(arg, "--iters") || !strcmp(arg, "--reps")) {
      bool is_iters = arg[2] == 'i';
      const char *value = i + 1 < argc ? argv[++i] : NULL;
      reps_given = reps_given || !is_iters;
      if (!parse_count(value, is_iters ? 1000000000LL : 1000, is_iters ? &iters : &reps))
        return bpcli_usage_error(usage, "bench: %s needs a count from 1 to %s, got '%s'", arg,
                                 is_iters ? "1000000000" : "1000", value ? value : "nothing");
    } else if (arg[0] == '-') {
      return bpcli_usage_error(usage, "bench: unknown option '%s'", arg);
    } else if (!subject) {
      subject = arg;
    } else {
      return bpcli_usage_error(usage, "bench: unexpected argument '%s'", arg);
    }
  }
  if (!subject) return bpcli_usage_error(usage, "bench: missing what to measure (dispatch or ops)");
  if (!strcmp(subject, "ops") && device != NULL)
    return bpcli_bench_ops_device(device, quick, reps_given ? (int)reps : 3, json);
  if (!strcmp(subject, "ops")) return bpcli_bench_ops(quick, reps_given ? (int)reps : 3, json);
  if (!strcmp(subject, "autograd"))
    return bpcli_bench_autograd(quick ? 2000 : (int)(iters < 20000 ? iters : 20000), (int)reps, json);
  if (strcmp(subject, "dispatch"))
    return bpcli_usage_error(usage, "bench: unknown benchmark '%s' (expected dispatch, ops or autograd)",
                             subject);
  return run_dispatch((uint64_t)iters, (int)reps, json);
}
