// torch_anchor.cpp - libbp_torch_anchor.so: libtorch's side of
// `bp bench dispatch` (see torch_anchor.h). Only the functions marked
// BPCLI_EXPORT are visible.
#include "torch_anchor.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <cstdio>
#include <exception>

#define BPCLI_EXPORT extern "C" __attribute__((visibility("default")))

struct bpcli_torch {
  at::Tensor a, b, out;
};

// Backplane has no autograd, so libtorch runs as it would for inference.
// Same for both cases; the guard is thread-local, hence one per loop.
using Guard = c10::InferenceMode;

BPCLI_EXPORT const char *bpcli_torch_version(void) { return TORCH_VERSION; }

BPCLI_EXPORT bpcli_torch_t *bpcli_torch_create(char *err, size_t err_size) {
  try {
    at::set_num_threads(1);
    Guard guard;
    auto opts = at::TensorOptions().dtype(at::kFloat).device(at::kCPU);
    auto *t = new bpcli_torch{at::full({1}, 1.0, opts), at::full({1}, 2.0, opts),
                              at::empty({1}, opts)};
    return t;
  } catch (const std::exception &e) {
    std::snprintf(err, err_size, "%s", e.what());
  } catch (...) {
    std::snprintf(err, err_size, "unknown C++ exception");
  }
  return nullptr;
}

BPCLI_EXPORT void bpcli_torch_free(bpcli_torch_t *t) { delete t; }

BPCLI_EXPORT int bpcli_torch_add_loop(void *ctx, uint64_t n) {
  auto *t = static_cast<bpcli_torch_t *>(ctx);
  try {
    Guard guard;
    for (uint64_t i = 0; i < n; ++i) {
      at::Tensor r = at::add(t->a, t->b);
      (void)r;
    }
    return 0;
  } catch (...) {
    return 1;
  }
}

BPCLI_EXPORT int bpcli_torch_add_out_loop(void *ctx, uint64_t n) {
  auto *t = static_cast<bpcli_torch_t *>(ctx);
  try {
    Guard guard;
    for (uint64_t i = 0; i < n; ++i) at::add_out(t->out, t->a, t->b);
    return 0;
  } catch (...) {
    return 1;
  }
}
