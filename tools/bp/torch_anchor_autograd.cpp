// torch_anchor_autograd.cpp - libtorch's side of `bp bench autograd` (part
// of libbp_torch_anchor.so; see cmd_bench_autograd.c for what each case
// measures). Unlike the dispatch anchor, no InferenceMode: tensors that
// require grad record graph nodes, as torch does when training.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>
#include <torch/nn/functional.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <vector>

#define BPCLI_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
constexpr int kChain = 64;

struct Ctx {
  at::Tensor a, b, a_grad, b_grad, c;
  std::vector<at::Tensor> params;
  at::Tensor x, labels;
};

at::Tensor mlp_logits(Ctx *t) {
  auto &p = t->params;
  auto h = at::relu(at::linear(t->x, p[0], p[1]));
  h = at::relu(at::linear(h, p[2], p[3]));
  return at::linear(h, p[4], p[5]);
}
}  // namespace

BPCLI_EXPORT void *bpcli_torch_ag_create(char *err, size_t err_size) {
  try {
    at::set_num_threads(1);
    auto opts = at::TensorOptions().dtype(at::kFloat);
    auto *t = new Ctx;
    t->a = at::full({1}, 1.0, opts);
    t->b = at::full({1}, 2.0, opts);
    t->a_grad = at::full({1}, 1.0, opts).requires_grad_(true);
    t->b_grad = at::full({1}, 2.0, opts).requires_grad_(true);
    t->c = at::full({1}, 0.999, opts);
    const int64_t dims[4] = {784, 256, 128, 10};
    for (int l = 0; l < 3; ++l) {
      double bound = 1.0 / std::sqrt((double)dims[l]);
      t->params.push_back((at::rand({dims[l + 1], dims[l]}, opts) * 2 - 1).mul_(bound).requires_grad_(true));
      t->params.push_back((at::rand({dims[l + 1]}, opts) * 2 - 1).mul_(bound).requires_grad_(true));
    }
    t->x = at::randn({64, 784}, opts);
    t->labels = at::randint(0, 10, {64}, at::TensorOptions().dtype(at::kLong));
    return t;
  } catch (const std::exception &e) {
    std::snprintf(err, err_size, "%s", e.what());
  } catch (...) {
    std::snprintf(err, err_size, "unknown C++ exception");
  }
  return nullptr;
}

BPCLI_EXPORT void bpcli_torch_ag_free(void *ctx) { delete static_cast<Ctx *>(ctx); }

// which: 0 add, 1 add recording, 2 mul, 3 mul recording, 4 chain forward
// (no grad), 5 chain forward recording + backward, 6 MLP training step.
BPCLI_EXPORT int bpcli_torch_ag_loop(void *ctx, int which, uint64_t n) {
  auto *t = static_cast<Ctx *>(ctx);
  try {
    for (uint64_t i = 0; i < n; ++i) {
      switch (which) {
        case 0: { at::Tensor r = at::add(t->a, t->b); (void)r; break; }
        case 1: { at::Tensor r = at::add(t->a_grad, t->b_grad); (void)r; break; }
        case 2: { at::Tensor r = at::mul(t->a, t->b); (void)r; break; }
        case 3: { at::Tensor r = at::mul(t->a_grad, t->b_grad); (void)r; break; }
        case 4:
        case 5: {
          at::Tensor y = which == 4 ? t->a : t->a_grad;
          for (int k = 0; k < kChain; ++k) y = (k & 1) ? at::add(y, t->c) : at::mul(y, t->c);
          if (which == 5) {
            y.backward();
            t->a_grad.mutable_grad().reset();
          }
          break;
        }
        case 6: {
          at::Tensor loss = at::cross_entropy_loss(mlp_logits(t), t->labels);
          loss.backward();
          at::NoGradGuard no_grad;
          for (auto &p : t->params) {
            p.add_(p.grad(), -0.01);
            p.mutable_grad().reset();
          }
          break;
        }
        default: return 1;
      }
    }
    return 0;
  } catch (...) {
    return 1;
  }
}
