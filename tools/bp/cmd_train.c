/*
 * cmd_train.c - `bp train`: trains the MLP or the CNN of cmd_train.h on
 * Fashion-MNIST (fmnist.h) with autograd and the optimizer ops, printing
 * the train loss and test accuracy per epoch and the final accuracy.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bp_cli.h"
#include "cmd_train.h"
#include "fmnist.h"

static const char usage[] =
    "usage: bp train [--device D] [--model mlp|cnn] [--epochs N] [--seed S]\n"
    "                [--batch-size B] [--limit N] [--optimizer sgd|adamw] [--lr LR]\n"
    "                [--target ACC] [--data DIR] [--dump-grads DIR]\n"
    "\n"
    "Trains a classifier on Fashion-MNIST (Debian package dataset-fashion-mnist,\n"
    "read from /usr/share/datasets/fashion-mnist or $BP_FMNIST_DIR) and reports the\n"
    "train loss and the test accuracy (all 10000 test images) after each epoch.\n"
    "\n"
    "models:\n"
    "  mlp  784-256-128-10 with relu (default)\n"
    "  cnn  conv(1->8, 3x3)-relu-maxpool, conv(8->16, 3x3)-relu-maxpool, linear(784->10)\n"
    "Loss: cross entropy. Weights start as torch.nn's default init, drawn with the\n"
    "Philox random ops from the seed: one seed gives the same run on every device.\n"
    "\n"
    "options:\n"
    "  --device D       device to train on (default ref:0)\n"
    "  --epochs N       passes over the training images (default 3)\n"
    "  --seed S         weights and shuffling (default 0)\n"
    "  --batch-size B   images per step (default 64)\n"
    "  --limit N        train on the first N training images only (default all 60000)\n"
    "  --optimizer O    sgd (momentum 0.9, default) or adamw\n"
    "  --lr LR          learning rate (default 0.01 for sgd, 0.001 for adamw)\n"
    "  --target ACC     exit 1 when the final test accuracy is below ACC (a percentage,\n"
    "                   e.g. 85, or a fraction, e.g. 0.85)\n"
    "  --data DIR       folder of the four IDX .gz files\n"
    "  --dump-grads DIR no training: one forward and backward on the first B training\n"
    "                   images, writing parameters, inputs, loss and gradients to DIR\n"
    "                   (raw little-endian files and manifest.txt; for tests)\n"
    "  -h, --help       show this help\n"
    "\n"
    "A progress bar with the loss and images/s goes to stderr when it is a terminal.\n";

typedef struct train_args {
  const char *device, *data, *dump_dir;
  train_model_kind_t model;
  int64_t epochs, batch, limit;
  uint64_t seed;
  bool adamw;
  double lr, target;
} train_args_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static bool parse_i64(const char *s, int64_t min, int64_t *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < min) return false;
  *out = v;
  return true;
}

static bool parse_f64(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v == v)) return false;
  *out = v;
  return true;
}

static int parse_args(int argc, char **argv, train_args_t *a) {
  *a = (train_args_t){.device = "ref:0", .model = TRAIN_MLP, .epochs = 3, .batch = 64,
                      .limit = 0, .seed = 0, .lr = -1.0, .target = -1.0};
  for (int i = 1; i < argc; ++i) {
    const char *f = argv[i];
    if (bpcli_is_help(f)) {
      fputs(usage, stdout);
      return -1;
    }
    if (i + 1 >= argc) return bpcli_usage_error(usage, "train: %s needs a value", f);
    const char *v = argv[++i];
    int64_t n;
    if (!strcmp(f, "--device")) {
      a->device = v;
    } else if (!strcmp(f, "--data")) {
      a->data = v;
    } else if (!strcmp(f, "--dump-grads")) {
      a->dump_dir = v;
    } else if (!strcmp(f, "--model")) {
      if (!strcmp(v, "mlp")) a->model = TRAIN_MLP;
      else if (!strcmp(v, "cnn")) a->model = TRAIN_CNN;
      else return bpcli_usage_error(usage, "train: --model is mlp or cnn, not '%s'", v);
    } else if (!strcmp(f, "--optimizer")) {
      if (!strcmp(v, "sgd")) a->adamw = false;
      else if (!strcmp(v, "adamw")) a->adamw = true;
      else return bpcli_usage_error(usage, "train: --optimizer is sgd or adamw, not '%s'", v);
    } else if (!strcmp(f, "--epochs")) {
      if (!parse_i64(v, 1, &a->epochs)) return bpcli_usage_error(usage, "train: --epochs: '%s' is not an integer >= 1", v);
    } else if (!strcmp(f, "--batch-size")) {
      if (!parse_i64(v, 1, &a->batch)) return bpcli_usage_error(usage, "train: --batch-size: '%s' is not an integer >= 1", v);
    } else if (!strcmp(f, "--limit")) {
      if (!parse_i64(v, 1, &a->limit)) return bpcli_usage_error(usage, "train: --limit: '%s' is not an integer >= 1", v);
    } else if (!strcmp(f, "--seed")) {
      if (!parse_i64(v, 0, &n)) return bpcli_usage_error(usage, "train: --seed: '%s' is not an integer >= 0", v);
      a->seed = (uint64_t)n;
    } else if (!strcmp(f, "--lr")) {
      if (!parse_f64(v, &a->lr) || a->lr < 0) return bpcli_usage_error(usage, "train: --lr: '%s' is not a number >= 0", v);
    } else if (!strcmp(f, "--target")) {
      if (!parse_f64(v, &a->target) || a->target < 0 || a->target > 100)
        return bpcli_usage_error(usage, "train: --target: '%s' is not an accuracy (0..100 or 0..1)", v);
      if (a->target > 1.0) a->target /= 100.0;
    } else {
      return bpcli_usage_error(usage, "train: unknown option '%s'", f);
    }
  }
  if (a->lr < 0) a->lr = a->adamw ? 1e-3 : 0.01;
  return 0;
}

/* Fashion-MNIST's pixel mean and std (of the training set, in [0, 1]). */
#define FMNIST_MEAN 0.2860f
#define FMNIST_STD 0.3530f

/* Batch `count` images idx[0..count) of set into tensors on dev. */
static bp_status_t make_batch(bp_device_t *dev, const fmnist_set_t *set, const int64_t *idx,
                              int64_t count, float *xbuf, int64_t *ybuf, uint8_t *lbuf,
                              bp_tensor_t **x, bp_tensor_t **y) {
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t *img = set->images + idx[i] * FMNIST_PIXELS;
    for (int p = 0; p < FMNIST_PIXELS; ++p)
      xbuf[i * FMNIST_PIXELS + p] = ((float)img[p] / 255.0f - FMNIST_MEAN) / FMNIST_STD;
    ybuf[i] = set->labels[idx[i]];
    if (lbuf) lbuf[i] = set->labels[idx[i]];
  }
  int64_t xs[2] = {count, FMNIST_PIXELS}, ys[1] = {count};
  bp_status_t s = bp_tensor_create_from_host(dev, BP_DTYPE_F32, 2, xs, xbuf,
                                             sizeof(float) * (size_t)(count * FMNIST_PIXELS), x);
  if (!s) s = bp_tensor_create_from_host(dev, BP_DTYPE_I64, 1, ys, ybuf, sizeof(int64_t) * (size_t)count, y);
  if (s) {
    bp_tensor_release(*x);
    *x = NULL;
  }
  return s;
}

/* splitmix64: the shuffle's generator (host side; Philox draws the weights). */
static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void shuffle(int64_t *idx, int64_t n, uint64_t seed) {
  uint64_t st = seed;
  for (int64_t i = n - 1; i > 0; --i) {
    int64_t j = (int64_t)(splitmix64(&st) % (uint64_t)(i + 1));
    int64_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
}

static void progress(int64_t epoch, int64_t epochs, int64_t done, int64_t total, double loss,
                     double ips) {
  enum { W = 30 };
  char bar[W + 1];
  int64_t fill = total ? done * W / total : W;
  for (int i = 0; i < W; ++i) bar[i] = i < fill ? '#' : '.';
  bar[W] = 0;
  fprintf(stderr, "\repoch %lld/%lld [%s] %lld/%lld loss %.4f %.0f images/s ", (long long)epoch,
          (long long)epochs, bar, (long long)done, (long long)total, loss, ips);
  fflush(stderr);
}

/* Test accuracy over the whole set, without recording. */
static bp_status_t evaluate(train_model_t *m, bp_device_t *dev, const fmnist_set_t *test,
                            float *xbuf, int64_t *ybuf, uint8_t *lbuf, int64_t batch, double *acc) {
  int64_t correct = 0;
  bp_status_t s = BP_STATUS_OK;
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
  if (!idx) return BP_STATUS_OUT_OF_MEMORY;
  bp_no_grad_enter();
  for (int64_t start = 0; start < test->count && !s; start += batch) {
    int64_t n = test->count - start < batch ? test->count - start : batch;
    for (int64_t i = 0; i < n; ++i) idx[i] = start + i;
    bp_tensor_t *x = NULL, *y = NULL, *logits = NULL;
    int64_t c = 0;
    s = make_batch(dev, test, idx, n, xbuf, ybuf, lbuf, &x, &y);
    if (!s) s = train_model_forward(m, x, &logits);
    if (!s) s = train_count_correct(logits, lbuf, n, &c);
    correct += c;
    bp_tensor_release(x);
    bp_tensor_release(y);
    bp_tensor_release(logits);
  }
  bp_no_grad_exit();
  free(idx);
  *acc = test->count ? (double)correct / (double)test->count : 0.0;
  return s;
}

/* One optimizer step on every parameter; clears the gradients. */
typedef struct optimizer {
  bool adamw;
  bp_sgd_options_t sgd;
  bp_adamw_options_t aw;
  bp_tensor_t *state[TRAIN_MAX_PARAMS][2];
  int64_t step;
} optimizer_t;

static bp_status_t optimizer_create(optimizer_t *o, const train_model_t *m, bool adamw, double lr) {
  memset(o, 0, sizeof *o);
  o->adamw = adamw;
  bp_sgd_options_initialize(&o->sgd);
  o->sgd.lr = lr;
  o->sgd.momentum = 0.9;
  bp_adamw_options_initialize(&o->aw);
  o->aw.lr = lr;
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < m->num_params && !s; ++i)
    for (int k = 0; k < (adamw ? 2 : 1) && !s; ++k) {
      bp_tensor_t *p = m->params[i];
      s = bp_tensor_create(bp_tensor_device(p), bp_tensor_dtype(p), bp_tensor_ndim(p), bp_tensor_shape(p),
                           &o->state[i][k]);
      if (!s) s = bp_fill(o->state[i][k], 0.0);
    }
  return s;
}

static void optimizer_destroy(optimizer_t *o) {
  for (int i = 0; i < TRAIN_MAX_PARAMS; ++i)
    for (int k = 0; k < 2; ++k) bp_tensor_release(o->state[i][k]);
}

static bp_status_t optimizer_step(optimizer_t *o, train_model_t *m) {
  ++o->step;
  bp_status_t s = BP_STATUS_OK;
  for (int i = 0; i < m->num_params && !s; ++i) {
    bp_tensor_t *p = m->params[i], *g = bp_tensor_grad(p);
    if (!g) continue;
    s = o->adamw ? bp_adamw_step(p, g, o->state[i][0], o->state[i][1], &o->aw, o->step)
                 : bp_sgd_step(p, g, o->state[i][0], &o->sgd, o->step);
    bp_tensor_clear_grad(p);
  }
  return s;
}

/* ---- --dump-grads ---- */

static int write_tensor(const char *dir, const char *name, bp_tensor_t *t, FILE *manifest) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  size_t bytes = (size_t)bp_tensor_numel(t) * bp_dtype_size(bp_tensor_dtype(t));
  void *buf = malloc(bytes ? bytes : 1);
  if (!buf || bp_tensor_copy_to_host(t, buf, bytes)) {
    free(buf);
    return -1;
  }
  FILE *f = fopen(path, "wb");
  int rc = f && fwrite(buf, 1, bytes, f) == bytes ? 0 : -1;
  if (f) fclose(f);
  free(buf);
  fprintf(manifest, "%s %s", name, bp_dtype_name(bp_tensor_dtype(t)));
  for (int32_t d = 0; d < bp_tensor_ndim(t); ++d) fprintf(manifest, " %lld", (long long)bp_tensor_shape(t)[d]);
  fputc('\n', manifest);
  return rc;
}

static int dump_grads(train_model_t *m, bp_device_t *dev, const fmnist_set_t *train, int64_t batch,
                      const char *dir, float *xbuf, int64_t *ybuf) {
  int64_t *idx = malloc(sizeof(int64_t) * (size_t)batch);
  bp_tensor_t *x = NULL, *y = NULL, *logits = NULL, *loss = NULL;
  char path[4096];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  FILE *mf = fopen(path, "w");
  int rc = BPCLI_EXIT_FAILURE;
  if (!idx || !mf) {
    fprintf(stderr, "bp: train: cannot write %s: %s\n", path, strerror(errno));
    goto done;
  }
  for (int64_t i = 0; i < batch; ++i) idx[i] = i;
  bp_status_t s = make_batch(dev, train, idx, batch, xbuf, ybuf, NULL, &x, &y);
  if (!s) s = train_model_forward(m, x, &logits);
  if (!s) s = train_model_loss(m, logits, y, &loss);
  if (!s) s = bp_backward(loss, NULL, NULL);
  if (s) {
    fprintf(stderr, "bp: train: %s\n", bp_last_error());
    goto done;
  }
  fprintf(mf, "model %s\nnn_formulas %d\n", m->kind == TRAIN_MLP ? "mlp" : "cnn", m->nn_formulas);
  int bad = write_tensor(dir, "x", x, mf) | write_tensor(dir, "labels", y, mf) |
            write_tensor(dir, "logits", logits, mf) | write_tensor(dir, "loss", loss, mf);
  for (int i = 0; i < m->num_params; ++i) {
    char gname[128];
    snprintf(gname, sizeof gname, "grad.%s", m->names[i]);
    bad |= write_tensor(dir, m->names[i], m->params[i], mf);
    bad |= write_tensor(dir, gname, bp_tensor_grad(m->params[i]), mf);
  }
  if (bad) {
    fprintf(stderr, "bp: train: writing %s failed\n", dir);
    goto done;
  }
  printf("wrote parameters, inputs, loss and gradients to %s\n", dir);
  rc = BPCLI_EXIT_OK;
done:
  if (mf) fclose(mf);
  free(idx);
  bp_tensor_release(x);
  bp_tensor_release(y);
  bp_tensor_release(logits);
  bp_tensor_release(loss);
  return rc;
}

int bpcli_cmd_train(int argc, char **argv) {
  train_args_t a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? BPCLI_EXIT_OK : rc;

  fmnist_set_t train = {0}, test = {0};
  char err[8192];
  if (fmnist_load(a.data, &train, &test, err, sizeof err)) {
    fprintf(stderr, "bp: train: %s\n", err);
    return BPCLI_EXIT_FAILURE;
  }
  if (!bpcli_runtime_start()) {
    fmnist_free(&train);
    fmnist_free(&test);
    return BPCLI_EXIT_FAILURE;
  }
  rc = BPCLI_EXIT_FAILURE;
  train_model_t model = {0};
  optimizer_t opt = {0};
  int64_t ntrain = a.limit && a.limit < train.count ? a.limit : train.count;
  int64_t eval_batch = 1000;
  int64_t buf_n = a.batch > eval_batch ? a.batch : eval_batch;
  float *xbuf = malloc(sizeof(float) * (size_t)(buf_n * FMNIST_PIXELS));
  int64_t *ybuf = malloc(sizeof(int64_t) * (size_t)buf_n);
  uint8_t *lbuf = malloc((size_t)buf_n);
  int64_t *order = malloc(sizeof(int64_t) * (size_t)ntrain);
  bp_device_t *dev = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (!xbuf || !ybuf || !lbuf || !order) {
    fprintf(stderr, "bp: train: out of memory\n");
    goto done;
  }
  if ((s = bp_device_get(a.device, &dev))) goto fail;
  if ((s = train_model_create(&model, a.model, dev, a.seed))) goto fail;
  if (a.dump_dir) {
    if (a.batch > train.count) a.batch = train.count;
    rc = dump_grads(&model, dev, &train, a.batch, a.dump_dir, xbuf, ybuf);
    goto done;
  }
  if ((s = optimizer_create(&opt, &model, a.adamw, a.lr))) goto fail;

  printf("bp train: %s on %s, %lld training images (of %lld), %lld test images, batch %lld, "
         "%s lr %g, seed %llu%s\n",
         a.model == TRAIN_MLP ? "mlp" : "cnn", bp_device_name(dev), (long long)ntrain,
         (long long)train.count, (long long)test.count, (long long)a.batch,
         a.adamw ? "adamw" : "sgd (momentum 0.9)", a.lr, (unsigned long long)a.seed,
         model.nn_formulas ? "" : " (linear/cross_entropy composed of matmul, add, log-sum-exp)");
  fflush(stdout);
  bool tty = isatty(STDERR_FILENO);
  double acc = 0.0;
  for (int64_t i = 0; i < ntrain; ++i) order[i] = i;
  for (int64_t epoch = 1; epoch <= a.epochs; ++epoch) {
    shuffle(order, ntrain, a.seed * 1000003u + (uint64_t)epoch);
    double t0 = now_s(), loss_sum = 0.0, last_draw = 0.0;
    int64_t steps = 0, seen = 0;
    for (int64_t start = 0; start < ntrain; start += a.batch) {
      int64_t n = ntrain - start < a.batch ? ntrain - start : a.batch;
      bp_tensor_t *x = NULL, *y = NULL, *logits = NULL, *loss = NULL;
      float lv = 0.0f;
      s = make_batch(dev, &train, order + start, n, xbuf, ybuf, NULL, &x, &y);
      if (!s) s = train_model_forward(&model, x, &logits);
      if (!s) s = train_model_loss(&model, logits, y, &loss);
      if (!s) s = bp_backward(loss, NULL, NULL);
      if (!s) s = optimizer_step(&opt, &model);
      if (!s) s = bp_tensor_copy_to_host(loss, &lv, sizeof lv);
      bp_tensor_release(x);
      bp_tensor_release(y);
      bp_tensor_release(logits);
      bp_tensor_release(loss);
      if (s) goto fail;
      loss_sum += lv;
      ++steps;
      seen += n;
      double t = now_s();
      if (tty && (t - last_draw > 0.1 || seen == ntrain)) {
        progress(epoch, a.epochs, seen, ntrain, loss_sum / (double)steps, (double)seen / (t - t0));
        last_draw = t;
      }
    }
    double train_s = now_s() - t0;
    if (tty) fputc('\n', stderr);
    if ((s = evaluate(&model, dev, &test, xbuf, ybuf, lbuf, eval_batch, &acc))) goto fail;
    printf("epoch %lld: train loss %.4f, test accuracy %.2f%% (%.1f s, %.0f images/s)\n",
           (long long)epoch, loss_sum / (double)steps, 100.0 * acc, train_s,
           (double)ntrain / train_s);
    fflush(stdout);
  }
  printf("final test accuracy: %.2f%%\n", 100.0 * acc);
  fflush(stdout);
  rc = BPCLI_EXIT_OK;
  if (a.target >= 0 && acc < a.target) {
    fprintf(stderr, "bp: train: test accuracy %.2f%% is below the target %.2f%%\n", 100.0 * acc,
            100.0 * a.target);
    rc = BPCLI_EXIT_FAILURE;
  }
  goto done;
fail:
  fflush(stdout);
  fprintf(stderr, "bp: train: %s (%s)\n", bp_last_error(), bp_status_name(s));
  rc = BPCLI_EXIT_FAILURE;
done:
  optimizer_destroy(&opt);
  train_model_destroy(&model);
  free(xbuf);
  free(ybuf);
  free(lbuf);
  free(order);
  fmnist_free(&train);
  fmnist_free(&test);
  return rc; /* the runtime stays up until exit, as in the other commands */
}
