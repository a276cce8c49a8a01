/* bp_ops_train_api.c - the typed entry points of bp_ops_train.h: each runs
 * its catalog op with the state tensors as both inputs and outputs, with
 * grad mode off (as torch's optimizer.step). */
#include "bp_op_catalog.h"

void bp_sgd_options_initialize(bp_sgd_options_t *o) {
  if (!o) return;
  *o = (bp_sgd_options_t){.lr = 1e-3};
}

void bp_adamw_options_initialize(bp_adamw_options_t *o) {
  if (!o) return;
  *o = (bp_adamw_options_t){.lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8,
                            .weight_decay = 1e-2};
}

static bp_status_t run_in_place(uint32_t op_id, uint32_t nin, bp_tensor_t **in,
                                const bp_attr_t *attrs) {
  const bp_op_def_t *def = bp_op_def(op_id);
  for (uint32_t i = 0; i < nin; ++i)
    if (!in[i]) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", def->name, def->slot_names[i]);
  /* Outputs: param and the state buffers (every input but grad). */
  bp_tensor_t *outs[BP_MAX_SLOTS];
  uint32_t nout = 0;
  for (uint32_t i = 0; i < nin; ++i)
    if (i != 1) outs[nout++] = in[i];
  bp_no_grad_enter();
  bp_status_t s = bp_dispatch(op_id, nin, in, attrs, nout, outs);
  bp_no_grad_exit();
  return s;
}

bp_status_t bp_sgd_step(bp_tensor_t *param, bp_tensor_t *grad, bp_tensor_t *momentum_buffer,
                        const bp_sgd_options_t *o, int64_t step) {
  if (!o) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_sgd_step: options is NULL");
  const bp_op_def_t *def = bp_op_def(BP_OP_SGD_STEP);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(def, attrs);
  attrs[0].value.f = o->lr;
  attrs[1].value.f = o->momentum;
  attrs[2].value.f = o->dampening;
  attrs[3].value.b = o->nesterov;
  attrs[4].value.f = o->weight_decay;
  attrs[5].value.b = o->maximize;
  attrs[6].value.i = step;
  bp_tensor_t *in[3] = {param, grad, momentum_buffer};
  return run_in_place(BP_OP_SGD_STEP, 3, in, attrs);
}

bp_status_t bp_adamw_step(bp_tensor_t *param, bp_tensor_t *grad, bp_tensor_t *exp_avg,
                          bp_tensor_t *exp_avg_sq, const bp_adamw_options_t *o, int64_t step) {
  if (!o) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_adamw_step: options is NULL");
  const bp_op_def_t *def = bp_op_def(BP_OP_ADAMW_STEP);
  bp_attr_t attrs[BP_MAX_ATTRS];
  bp_op_default_attrs(def, attrs);
  attrs[0].value.f = o->lr;
  attrs[1].value.f = o->beta1;
  attrs[2].value.f = o->beta2;
  attrs[3].value.f = o->eps;
  attrs[4].value.f = o->weight_decay;
  attrs[5].value.i = step;
  attrs[7].value.b = o->maximize;
  bp_tensor_t *in[4] = {param, grad, exp_avg, exp_avg_sq};
  return run_in_place(BP_OP_ADAMW_STEP, 4, in, attrs);
}
