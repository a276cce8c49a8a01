/*
 * cmd_bench_autograd.c - `bp bench autograd`: what autograd costs.
 *
 *   record/add, record/mul  one op on 1-element f32 tensors on ref:0,
 *       inputs without requires_grad (plain forward) and with it (the op
 *       records a node; mul also saves both inputs). The difference is the
 *       recording overhead per op; target: at most 150 ns.
 *   chain  64 alternating mul/add by a constant on a 1-element tensor:
 *       forward only, and forward with recording + backward (per op).
 *   mlp step  one training step of `bp train`'s MLP (784-256-128-10, batch
 *       64): forward, cross entropy, backward, plain SGD on six parameters.
 * With libtorch (libbp_torch_anchor.so), the same cases run on libtorch at
 * one thread, tensors that require grad, no InferenceMode.
 *
 * Timing: one warm-up run, then the best of `reps` runs of `iters` calls
 * (chains and steps: fewer iterations, scaled down).
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp_cli.h"
#include "cmd_train.h"
#include "json.h"
#ifdef BP_HAVE_TORCH
#include "torch_anchor.h"
#endif

enum { CHAIN = 64, NUM_CASES = 7 };
enum { C_ADD, C_ADD_REC, C_MUL, C_MUL_REC, C_CHAIN, C_CHAIN_BWD, C_MLP };
static const char *const case_names[NUM_CASES] = {
    "add", "add_recording", "mul", "mul_recording", "chain_forward", "chain_forward_backward",
    "mlp_step"};

typedef struct ag_ctx {
  bp_tensor_t *a, *b, *a_grad, *b_grad, *c;
  train_model_t model;
  bp_tensor_t *x, *labels;
  bp_tensor_t *bufs[TRAIN_MAX_PARAMS]; /* momentum buffers (unused: momentum 0) */
  bp_sgd_options_t sgd;
  int64_t step;
} ag_ctx_t;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int run_chain(ag_ctx_t *c, bool record) {
  bp_tensor_t *y = bp_tensor_retain(record ? c->a_grad : c->a);
  for (int k = 0; k < CHAIN; ++k) {
    bp_tensor_t *next = NULL;
    bp_status_t s = (k & 1) ? bp_add(y, c->c, &next) : bp_mul(y, c->c, &next);
    bp_tensor_release(y);
    if (s) return 1;
    y = next;
  }
  int rc = 0;
  if (record) {
    rc = bp_backward(y, NULL, NULL) != BP_STATUS_OK;
    bp_tensor_clear_grad(c->a_grad);
  }
  bp_tensor_release(y);
  return rc;
}

static int mlp_step(ag_ctx_t *c) {
  bp_tensor_t *logits = NULL, *loss = NULL;
  bp_status_t s = train_model_forward(&c->model, c->x, &logits);
  if (!s) s = train_model_loss(&c->model, logits, c->labels, &loss);
  if (!s) s = bp_backward(loss, NULL, NULL);
  ++c->step;
  for (int i = 0; i < c->model.num_params && !s; ++i) {
    bp_tensor_t *p = c->model.params[i];
    s = bp_sgd_step(p, bp_tensor_grad(p), c->bufs[i], &c->sgd, c->step);
    bp_tensor_clear_grad(p);
  }
  bp_tensor_release(logits);
  bp_tensor_release(loss);
  return s != BP_STATUS_OK;
}

static int bp_loop(void *ctx, int which, uint64_t n) {
  ag_ctx_t *c = ctx;
  for (uint64_t i = 0; i < n; ++i) {
    bp_tensor_t *r = NULL;
    bp_status_t s = BP_STATUS_OK;
    switch (which) {
      case C_ADD: s = bp_add(c->a, c->b, &r); break;
      case C_ADD_REC: s = bp_add(c->a_grad, c->b_grad, &r); break;
      case C_MUL: s = bp_mul(c->a, c->b, &r); break;
      case C_MUL_REC: s = bp_mul(c->a_grad, c->b_grad, &r); break;
      case C_CHAIN: if (run_chain(c, false)) return 1; break;
      case C_CHAIN_BWD: if (run_chain(c, true)) return 1; break;
      default: if (mlp_step(c)) return 1; break;
    }
    bp_tensor_release(r);
    if (s) return 1;
  }
  return 0;
}

typedef int (*loop_fn_t)(void *ctx, int which, uint64_t n);

/* Best ns per call over reps runs of iters calls, after a warm-up run. */
static int best_ns(loop_fn_t fn, void *ctx, int which, uint64_t iters, int reps, double *out) {
  if (fn(ctx, which, iters)) return 1;
  double best = INFINITY;
  for (int r = 0; r < reps; ++r) {
    double t0 = now_ns();
    if (fn(ctx, which, iters)) return 1;
    double ns = (now_ns() - t0) / (double)iters;
    if (ns < best) best = ns;
  }
  *out = best;
  return 0;
}

static uint64_t iters_of(int which, uint64_t iters) {
  if (which == C_MLP) return iters / 1000 ? iters / 1000 : 1;
  if (which >= C_CHAIN) return iters / CHAIN ? iters / CHAIN : 1;
  return iters;
}

static bp_status_t make_ctx(ag_ctx_t *c) {
  memset(c, 0, sizeof *c);
  bp_device_t *dev = NULL;
  const int64_t one[1] = {1};
  bp_status_t s = bp_device_get("ref:0", &dev);
  bp_tensor_t **t[5] = {&c->a, &c->b, &c->a_grad, &c->b_grad, &c->c};
  const double v[5] = {1.0, 2.0, 1.0, 2.0, 0.999};
  for (int i = 0; i < 5 && !s; ++i) {
    s = bp_tensor_create(dev, BP_DTYPE_F32, 1, one, t[i]);
    if (!s) s = bp_fill(*t[i], v[i]);
  }
  if (!s) s = bp_tensor_set_requires_grad(c->a_grad, true);
  if (!s) s = bp_tensor_set_requires_grad(c->b_grad, true);
  if (!s) s = train_model_create(&c->model, TRAIN_MLP, dev, 1);
  for (int i = 0; i < c->model.num_params && !s; ++i) {
    bp_tensor_t *p = c->model.params[i];
    s = bp_tensor_create(dev, BP_DTYPE_F32, bp_tensor_ndim(p), bp_tensor_shape(p), &c->bufs[i]);
    if (!s) s = bp_fill(c->bufs[i], 0.0);
  }
  const int64_t xs[2] = {64, 784}, ys[1] = {64};
  if (!s) s = bp_tensor_create(dev, BP_DTYPE_F32, 2, xs, &c->x);
  if (!s) {
    bp_generator_t g;
    bp_generator_initialize(&g, 2);
    s = bp_normal(c->x, 0.0, 1.0, &g);
  }
  int64_t labels[64];
  for (int i = 0; i < 64; ++i) labels[i] = (i * 7) % 10;
  if (!s) s = bp_tensor_create_from_host(dev, BP_DTYPE_I64, 1, ys, labels, sizeof labels, &c->labels);
  bp_sgd_options_initialize(&c->sgd);
  c->sgd.lr = 1e-4;
  return s;
}

static void free_ctx(ag_ctx_t *c) {
  bp_tensor_release(c->a);
  bp_tensor_release(c->b);
  bp_tensor_release(c->a_grad);
  bp_tensor_release(c->b_grad);
  bp_tensor_release(c->c);
  bp_tensor_release(c->x);
  bp_tensor_release(c->labels);
  for (int i = 0; i < TRAIN_MAX_PARAMS; ++i) bp_tensor_release(c->bufs[i]);
  train_model_destroy(&c->model);
}

int bpcli_bench_autograd(int iters, int reps, bool json) {
  if (!bpcli_runtime_start()) return BPCLI_EXIT_FAILURE;
  ag_ctx_t ctx;
  double bp_ns[NUM_CASES] = {0}, torch_ns[NUM_CASES] = {0};
  bool have_torch = false;
  const char *torch_why = "bp was built without libtorch";
  char err[512] = "";
  if (make_ctx(&ctx)) {
    fprintf(stderr, "bp: bench autograd: setup failed: %s\n", bp_last_error());
    free_ctx(&ctx);
    return BPCLI_EXIT_FAILURE;
  }
  for (int w = 0; w < NUM_CASES; ++w)
    if (best_ns(bp_loop, &ctx, w, iters_of(w, (uint64_t)iters), reps, &bp_ns[w])) {
      fprintf(stderr, "bp: bench autograd: %s failed: %s\n", case_names[w], bp_last_error());
      free_ctx(&ctx);
      return BPCLI_EXIT_FAILURE;
    }
  bool composed = !ctx.model.nn_formulas;
  free_ctx(&ctx);
  const char *torch_version = NULL;
#ifdef BP_HAVE_TORCH
  bpcli_torch_anchor_t anchor;
  if (!bpcli_torch_anchor_open(&anchor, err, sizeof err)) {
    torch_why = err;
  } else {
    void *(*create)(char *, size_t) = NULL;
    void (*destroy)(void *) = NULL;
    loop_fn_t loop = NULL;
    void *sym;
    if ((sym = dlsym(anchor.dl, "bpcli_torch_ag_create"))) memcpy(&create, &sym, sizeof sym);
    if ((sym = dlsym(anchor.dl, "bpcli_torch_ag_free"))) memcpy(&destroy, &sym, sizeof sym);
    if ((sym = dlsym(anchor.dl, "bpcli_torch_ag_loop"))) memcpy(&loop, &sym, sizeof sym);
    void *t = create && destroy && loop ? create(err, sizeof err) : NULL;
    if (!create || !destroy || !loop) torch_why = "libbp_torch_anchor.so lacks the autograd loops";
    else if (!t) torch_why = err;
    if (t) {
      have_torch = true;
      for (int w = 0; w < NUM_CASES && have_torch; ++w)
        if (best_ns(loop, t, w, iters_of(w, (uint64_t)iters), reps, &torch_ns[w])) {
          have_torch = false;
          torch_why = "a libtorch loop failed";
        }
      destroy(t);
      torch_version = anchor.version();
    }
  }
#endif
  double rec_add = bp_ns[C_ADD_REC] - bp_ns[C_ADD], rec_mul = bp_ns[C_MUL_REC] - bp_ns[C_MUL];
  double rec_max = rec_add > rec_mul ? rec_add : rec_mul;
  if (json) {
    bpcli_json_t j;
    bpcli_json_init(&j, stdout);
    bpcli_json_object_begin(&j);
    bpcli_json_kv_string(&j, "bench", "autograd");
    bpcli_json_kv_uint(&j, "iters", (uint64_t)iters);
    bpcli_json_kv_uint(&j, "reps", (uint64_t)reps);
    bpcli_json_kv_uint(&j, "chain_ops", CHAIN);
    bpcli_json_kv_bool(&j, "mlp_composed_loss", composed);
    bpcli_json_key(&j, "backplane_ns");
    bpcli_json_object_begin(&j);
    for (int w = 0; w < NUM_CASES; ++w) bpcli_json_kv_double(&j, case_names[w], bp_ns[w]);
    bpcli_json_object_end(&j);
    bpcli_json_kv_double(&j, "recording_overhead_ns", rec_max);
    bpcli_json_kv_bool(&j, "recording_target_met", rec_max <= 150.0);
    if (have_torch) {
      bpcli_json_kv_string(&j, "torch_version", torch_version);
      bpcli_json_key(&j, "torch_ns");
      bpcli_json_object_begin(&j);
      for (int w = 0; w < NUM_CASES; ++w) bpcli_json_kv_double(&j, case_names[w], torch_ns[w]);
      bpcli_json_object_end(&j);
    } else {
      bpcli_json_kv_string(&j, "torch_skipped", torch_why);
    }
    bpcli_json_object_end(&j);
    bpcli_json_finish(&j);
    return BPCLI_EXIT_OK;
  }
  printf("bench autograd: ref:0, f32, best of %d runs (ns)\n", reps);
  printf("%-34s %12s %12s %8s\n", "case", "backplane", have_torch ? "libtorch" : "", have_torch ? "ratio" : "");
  static const char *const labels[NUM_CASES] = {
      "add, no grad (per op)",          "add, recording (per op)",
      "mul, no grad (per op)",          "mul, recording (per op)",
      "chain of 64, forward (per op)",  "chain of 64, fwd+backward (per op)",
      "mlp step, batch 64 (per step)"};
  for (int w = 0; w < NUM_CASES; ++w) {
    double div = (w == C_CHAIN || w == C_CHAIN_BWD) ? CHAIN : 1.0;
    printf("%-34s %12.0f", labels[w], bp_ns[w] / div);
    if (have_torch) printf(" %12.0f %7.2fx", torch_ns[w] / div, bp_ns[w] / torch_ns[w]);
    putchar('\n');
  }
  printf("recording overhead per op: add %.0f ns, mul %.0f ns (target <= 150 ns: %s)\n", rec_add,
         rec_mul, rec_max <= 150.0 ? "met" : "MISSED");
  if (have_torch)
    printf("libtorch %s recording overhead per op: add %.0f ns, mul %.0f ns\n", torch_version,
           torch_ns[C_ADD_REC] - torch_ns[C_ADD], torch_ns[C_MUL_REC] - torch_ns[C_MUL]);
  else
    printf("libtorch: skipped (%s)\n", torch_why);
  printf("backward per op of the chain: %.0f ns (fwd+backward minus forward)\n",
         (bp_ns[C_CHAIN_BWD] - bp_ns[C_CHAIN]) / CHAIN);
  if (composed)
    printf("note: the MLP uses matmul+add and a composed loss (no linear/cross_entropy formulas yet)\n");
  return BPCLI_EXIT_OK;
}
