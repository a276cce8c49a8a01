/*
 * cmd_train.h - the models of `bp train` (cmd_train_model.c), shared with
 * `bp bench autograd` and the gradient check against torch.autograd.
 *
 * mlp: 784-256-128-10, relu between layers (torch.nn.Linear layout: weight
 *      [out, in], bias [out]).
 * cnn: conv 1->8 3x3 pad 1, relu, max_pool 2; conv 8->16 3x3 pad 1, relu,
 *      max_pool 2; flatten (16*7*7 = 784); linear 784->10.
 * Loss: cross_entropy (mean over the batch) on the logits.
 *
 * Init as torch.nn's defaults (kaiming_uniform with a = sqrt(5), i.e.
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), drawn with
 * bp_uniform from one Philox generator seeded by the seed: the same seed
 * gives the same weights on every device.
 */
#ifndef BPCLI_CMD_TRAIN_H_
#define BPCLI_CMD_TRAIN_H_

#include <stdbool.h>
#include <stdint.h>

#include "backplane/backplane.h"

typedef enum train_model_kind { TRAIN_MLP = 0, TRAIN_CNN = 1 } train_model_kind_t;

#define TRAIN_MAX_PARAMS 8

typedef struct train_model {
  train_model_kind_t kind;
  int num_params;
  bp_tensor_t *params[TRAIN_MAX_PARAMS]; /* leaves that require grad */
  const char *names[TRAIN_MAX_PARAMS];
  /* linear / cross_entropy have derivative formulas; without them (an
   * older libbackplane) the MLP is built from matmul + add and a
   * log-sum-exp composition, which computes the same function. */
  bool nn_formulas;
} train_model_t;

/* Makes the model's parameters on device from seed. */
bp_status_t train_model_create(train_model_t *m, train_model_kind_t kind, bp_device_t *device,
                               uint64_t seed);
void train_model_destroy(train_model_t *m);
/* Logits [B, 10] of x: [B, 784] for the MLP, [B, 1, 28, 28] for the CNN
 * (the model reshapes a [B, 784] x itself). */
bp_status_t train_model_forward(train_model_t *m, bp_tensor_t *x, bp_tensor_t **logits);
/* Mean cross entropy of logits [B, 10] against i64 labels [B]: a 0-dim tensor. */
bp_status_t train_model_loss(train_model_t *m, bp_tensor_t *logits, bp_tensor_t *labels,
                             bp_tensor_t **loss);
/* Number of correct argmax predictions of logits against labels. */
bp_status_t train_count_correct(bp_tensor_t *logits, const uint8_t *labels, int64_t n,
                                int64_t *correct);

#endif /* BPCLI_CMD_TRAIN_H_ */
