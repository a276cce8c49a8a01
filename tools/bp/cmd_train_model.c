/* cmd_train_model.c - the MLP and CNN of `bp train` (see cmd_train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_train.h"

#define TRY(expr)                    \
  do {                               \
    if ((s = (expr)) != BP_STATUS_OK) goto done; \
  } while (0)

static bp_status_t make_param(train_model_t *m, bp_device_t *dev, const char *name, int32_t ndim,
                              const int64_t *shape, int64_t fan_in, bp_generator_t *gen) {
  bp_tensor_t *t = NULL;
  bp_status_t s = bp_tensor_create(dev, BP_DTYPE_F32, ndim, shape, &t);
  double bound = 1.0 / sqrt((double)fan_in);
  if (!s) s = bp_uniform(t, -bound, bound, gen);
  if (!s) s = bp_tensor_set_requires_grad(t, true);
  if (s) {
    bp_tensor_release(t);
    return s;
  }
  m->names[m->num_params] = name;
  m->params[m->num_params++] = t;
  return BP_STATUS_OK;
}

/* Do linear and cross_entropy have derivative formulas in this library?
 * A tiny forward and backward answers. */
static bool probe_nn_formulas(bp_device_t *dev) {
  static const float one[2] = {1.0f, 2.0f};
  const int64_t s12[2] = {1, 2}, s1[1] = {1};
  const int64_t label = 0;
  bp_tensor_t *x = NULL, *w = NULL, *y = NULL, *t = NULL, *loss = NULL;
  bool ok = !bp_tensor_create_from_host(dev, BP_DTYPE_F32, 2, s12, one, sizeof one, &x) &&
            !bp_tensor_create_from_host(dev, BP_DTYPE_F32, 2, (int64_t[]){2, 2}, (float[]){1, 2, 3, 4},
                                        4 * sizeof(float), &w) &&
            !bp_tensor_create_from_host(dev, BP_DTYPE_I64, 1, s1, &label, sizeof label, &t) &&
            !bp_tensor_set_requires_grad(w, true) && !bp_linear(x, w, NULL, &y) &&
            !bp_cross_entropy(y, t, NULL, BP_REDUCTION_MEAN, -100, 0.0, &loss) &&
            !bp_backward(loss, NULL, NULL);
  bp_tensor_release(x);
  bp_tensor_release(w);
  bp_tensor_release(y);
  bp_tensor_release(t);
  bp_tensor_release(loss);
  return ok;
}

bp_status_t train_model_create(train_model_t *m, train_model_kind_t kind, bp_device_t *dev,
                               uint64_t seed) {
  memset(m, 0, sizeof *m);
  m->kind = kind;
  bp_generator_t gen;
  bp_generator_initialize(&gen, seed);
  bp_status_t s = BP_STATUS_OK;
  if (kind == TRAIN_MLP) {
    static const int64_t dims[4] = {784, 256, 128, 10};
    static const char *const names[6] = {"fc1.weight", "fc1.bias", "fc2.weight",
                                         "fc2.bias",   "fc3.weight", "fc3.bias"};
    for (int l = 0; l < 3 && !s; ++l) {
      int64_t wshape[2] = {dims[l + 1], dims[l]}, bshape[1] = {dims[l + 1]};
      s = make_param(m, dev, names[2 * l], 2, wshape, dims[l], &gen);
      if (!s) s = make_param(m, dev, names[2 * l + 1], 1, bshape, dims[l], &gen);
    }
  } else {
    const int64_t c1w[4] = {8, 1, 3, 3}, c1b[1] = {8}, c2w[4] = {16, 8, 3, 3}, c2b[1] = {16};
    const int64_t fw[2] = {10, 784}, fb[1] = {10};
    s = make_param(m, dev, "conv1.weight", 4, c1w, 9, &gen);
    if (!s) s = make_param(m, dev, "conv1.bias", 1, c1b, 9, &gen);
    if (!s) s = make_param(m, dev, "conv2.weight", 4, c2w, 72, &gen);
    if (!s) s = make_param(m, dev, "conv2.bias", 1, c2b, 72, &gen);
    if (!s) s = make_param(m, dev, "fc.weight", 2, fw, 784, &gen);
    if (!s) s = make_param(m, dev, "fc.bias", 1, fb, 784, &gen);
  }
  if (s) {
    train_model_destroy(m);
    return s;
  }
  m->nn_formulas = probe_nn_formulas(dev);
  return BP_STATUS_OK;
}

void train_model_destroy(train_model_t *m) {
  for (int i = 0; i < m->num_params; ++i) bp_tensor_release(m->params[i]);
  memset(m, 0, sizeof *m);
}

/* x @ w^T + b, through bp_linear or (without its formula) matmul + add. */
static bp_status_t linear(const train_model_t *m, bp_tensor_t *x, bp_tensor_t *w, bp_tensor_t *b,
                          bp_tensor_t **out) {
  if (m->nn_formulas) return bp_linear(x, w, b, out);
  bp_tensor_t *wt = NULL, *xw = NULL;
  bp_status_t s = bp_tensor_transpose(w, 0, 1, &wt);
  if (!s) s = bp_matmul(x, wt, &xw);
  if (!s) s = bp_add(xw, b, out);
  bp_tensor_release(wt);
  bp_tensor_release(xw);
  return s;
}

static bp_status_t relu_conv_pool(bp_tensor_t *x, bp_tensor_t *w, bp_tensor_t *b, bp_tensor_t **out) {
  static const int64_t one[2] = {1, 1}, k2[2] = {2, 2};
  bp_tensor_t *c = NULL, *r = NULL, *idx = NULL;
  bp_status_t s = bp_conv2d(x, w, b, one, one, 1, &c);
  if (!s) s = bp_relu(c, &r);
  if (!s) s = bp_max_pool2d(r, k2, k2, NULL, out, &idx);
  bp_tensor_release(c);
  bp_tensor_release(r);
  bp_tensor_release(idx);
  return s;
}

bp_status_t train_model_forward(train_model_t *m, bp_tensor_t *x, bp_tensor_t **logits) {
  bp_status_t s = BP_STATUS_OK;
  bp_tensor_t *t[8] = {NULL};
  int64_t batch = bp_tensor_shape(x)[0];
  if (m->kind == TRAIN_MLP) {
    TRY(linear(m, x, m->params[0], m->params[1], &t[0]));
    TRY(bp_relu(t[0], &t[1]));
    TRY(linear(m, t[1], m->params[2], m->params[3], &t[2]));
    TRY(bp_relu(t[2], &t[3]));
    TRY(linear(m, t[3], m->params[4], m->params[5], logits));
  } else {
    int64_t img[4] = {batch, 1, 28, 28}, flat[2] = {batch, 784};
    TRY(bp_tensor_reshape(x, 4, img, &t[0]));
    TRY(relu_conv_pool(t[0], m->params[0], m->params[1], &t[1]));
    TRY(relu_conv_pool(t[1], m->params[2], m->params[3], &t[2]));
    TRY(bp_tensor_reshape(t[2], 2, flat, &t[3]));
    TRY(linear(m, t[3], m->params[4], m->params[5], logits));
  }
done:
  for (int i = 0; i < 8; ++i) bp_tensor_release(t[i]);
  return s;
}

bp_status_t train_model_loss(train_model_t *m, bp_tensor_t *logits, bp_tensor_t *labels,
                             bp_tensor_t **loss) {
  if (m->nn_formulas) return bp_cross_entropy(logits, labels, NULL, BP_REDUCTION_MEAN, -100, 0.0, loss);
  /* -mean(sum(onehot * (z - max - log(sum(exp(z - max)))), 1)); max is a
   * constant (computed without recording). */
  bp_status_t s = BP_STATUS_OK;
  bp_tensor_t *t[12] = {NULL};
  const int64_t dim1[1] = {1};
  bp_no_grad_enter();
  s = bp_tensor_detach(logits, &t[0]);
  if (!s) s = bp_amax(t[0], 1, dim1, 1, &t[1]);
  if (!s) s = bp_one_hot(labels, 10, &t[2]);
  if (!s) s = bp_tensor_create(bp_tensor_device(logits), BP_DTYPE_F32, 2, bp_tensor_shape(logits), &t[3]);
  bp_no_grad_exit();
  if (s) goto done;
  TRY(bp_copy(t[3], t[2])); /* i64 one-hot to f32 */
  TRY(bp_sub(logits, t[1], &t[4]));
  TRY(bp_exp(t[4], &t[5]));
  TRY(bp_sum(t[5], 1, dim1, 1, &t[6]));
  TRY(bp_ln(t[6], &t[7]));
  TRY(bp_sub(t[4], t[7], &t[8]));
  TRY(bp_mul(t[3], t[8], &t[9]));
  TRY(bp_sum(t[9], 1, dim1, 0, &t[10]));
  TRY(bp_mean(t[10], 0, NULL, 0, &t[11]));
  TRY(bp_neg(t[11], loss));
done:
  for (int i = 0; i < 12; ++i) bp_tensor_release(t[i]);
  return s;
}

bp_status_t train_count_correct(bp_tensor_t *logits, const uint8_t *labels, int64_t n,
                                int64_t *correct) {
  float *v = malloc(sizeof(float) * (size_t)n * 10);
  if (!v) return BP_STATUS_OUT_OF_MEMORY;
  bp_status_t s = bp_tensor_copy_to_host(logits, v, sizeof(float) * (size_t)n * 10);
  int64_t c = 0;
  for (int64_t i = 0; i < n && !s; ++i) {
    int best = 0;
    for (int k = 1; k < 10; ++k)
      if (v[i * 10 + k] > v[i * 10 + best]) best = k;
    c += best == labels[i];
  }
  free(v);
  if (!s) *correct = c;
  return s;
}
