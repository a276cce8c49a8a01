/*
 * bp_ops_train.h - typed entry points of the optimizer ops (part of
 * backplane.h; include that instead). Each runs the catalog op of the same
 * name in place: param and its state buffers are both inputs and outputs.
 *
 * One call is one step of torch.optim.SGD / torch.optim.AdamW (torch 1.13's
 * single-tensor algorithm) on one parameter tensor; the caller keeps the
 * state buffers (zero-filled before the first step, same dtype and shape
 * as param) and passes the step number, counted from 1. As torch's
 * optimizer.step, the update runs with grad mode off, so param may be a
 * leaf that requires grad.
 */
#ifndef BACKPLANE_BP_OPS_TRAIN_H_
#define BACKPLANE_BP_OPS_TRAIN_H_

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bp_sgd_options {
  double lr;            /* >= 0 */
  double momentum;      /* >= 0; 0: momentum_buffer is not used */
  double dampening;
  double weight_decay;  /* L2 penalty, >= 0 */
  bool nesterov;        /* needs momentum > 0 and dampening 0 */
  bool maximize;
} bp_sgd_options_t;

/* torch.optim.SGD's defaults: lr 1e-3 (torch 2's default), everything else 0/false. */
BP_API void bp_sgd_options_initialize(bp_sgd_options_t *options);

/* param -= lr * update, where update is the gradient (plus weight_decay *
 * param), through the momentum buffer when momentum > 0 (torch.optim.SGD).
 * At step 1 the buffer starts as the gradient. */
BP_API bp_status_t bp_sgd_step(bp_tensor_t *param, bp_tensor_t *grad,
                               bp_tensor_t *momentum_buffer,
                               const bp_sgd_options_t *options, int64_t step);

typedef struct bp_adamw_options {
  double lr;            /* >= 0 */
  double beta1, beta2;  /* in [0, 1) */
  double eps;           /* >= 0 */
  double weight_decay;  /* decoupled, >= 0; 0 gives Adam */
  bool maximize;
} bp_adamw_options_t;

/* torch.optim.AdamW's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8,
 * weight_decay 1e-2. */
BP_API void bp_adamw_options_initialize(bp_adamw_options_t *options);

/* One AdamW step: param *= 1 - lr * weight_decay; exp_avg and exp_avg_sq
 * move toward grad and grad^2; param -= lr / (1 - beta1^step) * exp_avg /
 * (sqrt(exp_avg_sq / (1 - beta2^step)) + eps). amsgrad is not supported. */
BP_API bp_status_t bp_adamw_step(bp_tensor_t *param, bp_tensor_t *grad, bp_tensor_t *exp_avg,
                                 bp_tensor_t *exp_avg_sq, const bp_adamw_options_t *options,
                                 int64_t step);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_TRAIN_H_ */
