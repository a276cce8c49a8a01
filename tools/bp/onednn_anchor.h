/*
 * onednn_anchor.h - oneDNN called directly, without Backplane: the anchor
 * `bp bench ops --device onednn:0` sets beside the plugin.
 *
 * The anchor is a separate module, libbp_onednn_anchor.so (its source is
 * backends/onednn/bench/onednn_anchor.c, built with the oneDNN backend), so
 * bp itself never links oneDNN; bp opens it only for that bench. Each
 * function does the same work as the plugin's kernel for the op, on plain
 * (row-major / NCHW) tensors, and returns the best seconds per call over
 * reps calls after a warm-up (< 0 on failure).
 */
#ifndef BPCLI_ONEDNN_ANCHOR_H_
#define BPCLI_ONEDNN_ANCHOR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What the module exports (C linkage, these names). */
/* "2.6.3": the oneDNN the module runs. */
const char *bpcli_onednn_version(void);
/* The OpenMP thread count oneDNN uses on the calling thread (n > 0 sets it
 * first). The setting lives in libgomp, per calling thread, shared with the
 * oneDNN plugin loaded in the same process: it is the plugin's count too
 * unless the plugin's num_threads option (BP_NUM_THREADS) pins one. */
int bpcli_onednn_threads(int n);
/* n x n @ n x n, f32, the matmul primitive. */
double bpcli_onednn_matmul(int64_t n, int reps);
/* conv2d f32 with bias, stride 1, padding kernel/2; dims = N, C, H, W, K
 * (filters), kernel. NCHW tensors in and out: the primitive with src and
 * dst in channel blocks (nChw16c on AVX-512, where C and K are whole
 * blocks; else format_tag any) and its own weights layout, with src,
 * weights and dst reordered per call, as the plugin does. *conv_only_s (if not NULL): the convolution alone on
 * tensors already in its layouts. */
double bpcli_onednn_conv2d(const int64_t dims[6], int reps, double *conv_only_s);
/* softmax over the last dim of [rows, cols], f32. */
double bpcli_onednn_softmax(int64_t rows, int64_t cols, int reps);
/* layer_norm over the last dim of [rows, cols] with scale and shift,
 * forward_training (mean and variance out, as the plugin needs them). */
double bpcli_onednn_layer_norm(int64_t rows, int64_t cols, int reps);

/* The module as the C side sees it, opened with bpcli_onednn_anchor_open. */
typedef struct bpcli_onednn_anchor {
  const char *(*version)(void);
  int (*threads)(int n);
  double (*matmul)(int64_t n, int reps);
  double (*conv2d)(const int64_t dims[6], int reps, double *conv_only_s);
  double (*softmax)(int64_t rows, int64_t cols, int reps);
  double (*layer_norm)(int64_t rows, int64_t cols, int reps);
} bpcli_onednn_anchor_t;

/* Opens the module next to the bp executable (../lib/backplane/); false
 * with the reason in err when it cannot. It stays loaded until exit. */
bool bpcli_onednn_anchor_open(bpcli_onednn_anchor_t *anchor, char *err, size_t err_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BPCLI_ONEDNN_ANCHOR_H_ */
