/* bp_dispatch.c - choosing and calling a kernel for one op call.
 *
 * For every call: infer output shapes and dtypes from the catalog, check
 * that all tensors live on one device, allocate missing outputs, find the
 * device's kernel for the dtype signature (then ask its `supports`
 * predicate), cast inputs to the kernel's dtypes, build descriptors in the
 * op's kernel form, call. When the device has no kernel, the fallback
 * policy (BP_FALLBACK) decides: run on ref:0 with copies both ways, warn
 * once per op, or fail.
 *
 * Nothing here takes a lock: a plugin's kernel table is complete before the
 * plugin becomes visible and is never changed afterwards. */
#include <stdio.h>
#include <string.h>

#include "bp_op_catalog.h"
#include "bp_op_util.h"

/* Descriptor storage for one call, on the stack. */
typedef struct call_frame {
  bp_tensor_desc_t descs[BP_MAX_SLOTS];
  const bp_tensor_desc_t *in_ptrs[BP_MAX_SLOTS];
  const bp_tensor_desc_t *out_ptrs[BP_MAX_SLOTS];
  const bp_attr_t *attr_ptrs[BP_MAX_ATTRS];
  int64_t shapes[BP_MAX_SLOTS][BP_MAX_DIMS + 2];
  int64_t strides[BP_MAX_SLOTS][BP_MAX_DIMS + 2];
} call_frame_t;

static void format_call_signature(char *buf, size_t size, const bp_op_def_t *def,
                                  const bp_op_plan_t *plan) {
  size_t used = (size_t)snprintf(buf, size, "(");
  for (int i = 0; i < def->num_inputs && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, i ? ", %s" : "%s",
                             bp_dtype_name(plan->input_dtypes[i]));
  for (int i = 0; i < def->num_outputs && used < size; ++i)
    used += (size_t)snprintf(buf + used, size - used, i ? ", %s" : ") -> %s",
                             bp_dtype_name(plan->output_dtypes[i]));
}

/* ---- kernel forms ---- */

/* Expands t (read as its own geometry) to ndim/shape with stride 0 on
 * broadcast dims, into frame slot `slot`. */
static void desc_expanded(call_frame_t *f, int slot, const bp_tensor_t *t, int32_t ndim,
                          const int64_t *shape) {
  bp_tensor_desc_t *d = &f->descs[slot];
  bp_tensor_fill_desc(t, d);
  if (t->ndim == ndim && !memcmp(t->shape, shape, sizeof(int64_t) * (size_t)ndim)) return;
  int32_t lead = ndim - t->ndim;
  for (int32_t i = 0; i < ndim; ++i) {
    int32_t j = i - lead;
    f->shapes[slot][i] = shape[i];
    f->strides[slot][i] = (j < 0 || (t->shape[j] == 1 && shape[i] != 1)) ? 0 : t->strides[j];
  }
  d->ndim = ndim;
  d->shape = f->shapes[slot];
  d->strides = f->strides[slot];
}

static void form_elementwise(call_frame_t *f, const bp_op_def_t *def, bp_tensor_t *const *in,
                             bp_tensor_t *const *out) {
  const bp_tensor_t *o = out[0];
  for (int i = 0; i < def->num_inputs; ++i) desc_expanded(f, i, in[i], o->ndim, o->shape);
  for (int i = 0; i < def->num_outputs; ++i) bp_tensor_fill_desc(out[i], &f->descs[def->num_inputs + i]);
}

/* Inputs as they are; every output in keepdim form (size 1 on the reduced
 * dims of input 0). */
static void form_reduce(call_frame_t *f, const bp_op_def_t *def, const bp_op_plan_t *plan,
                        bp_tensor_t *const *in, bp_tensor_t *const *out) {
  const bp_tensor_t *x = in[0];
  for (int i = 0; i < def->num_inputs; ++i) bp_tensor_fill_desc(in[i], &f->descs[i]);
  for (int k = 0; k < def->num_outputs; ++k) {
    int slot = def->num_inputs + k;
    const bp_tensor_t *o = out[k];
    bp_tensor_desc_t *d = &f->descs[slot];
    bp_tensor_fill_desc(o, d);
    if (o->ndim == x->ndim) continue; /* already in keepdim form */
    int32_t j = 0;
    for (int32_t i = 0; i < x->ndim; ++i) {
      if (plan->reduce_mask & (1ull << i)) {
        f->shapes[slot][i] = 1;
        f->strides[slot][i] = 0;
      } else {
        f->shapes[slot][i] = o->shape[j];
        f->strides[slot][i] = o->strides[j];
        ++j;
      }
    }
    d->ndim = x->ndim;
    d->shape = f->shapes[slot];
    d->strides = f->strides[slot];
  }
}

static void form_as_is(call_frame_t *f, const bp_op_def_t *def, bp_tensor_t *const *in,
                       bp_tensor_t *const *out) {
  for (int i = 0; i < def->num_inputs; ++i) bp_tensor_fill_desc(in[i], &f->descs[i]);
  for (int k = 0; k < def->num_outputs; ++k)
    bp_tensor_fill_desc(out[k], &f->descs[def->num_inputs + k]);
}

/* Writes the [B..., rows, cols] form of a matmul operand into slot. */
static void matmul_operand(call_frame_t *f, int slot, const bp_tensor_t *t,
                           const bp_op_plan_t *plan, int64_t rows, int64_t cols,
                           int64_t row_stride, int64_t col_stride, int32_t batch_in_t) {
  bp_tensor_desc_t *d = &f->descs[slot];
  bp_tensor_fill_desc(t, d);
  int32_t nb = plan->batch_ndim;
  for (int32_t i = 0; i < nb; ++i) {
    int32_t j = i - (nb - batch_in_t);
    f->shapes[slot][i] = plan->batch_shape[i];
    f->strides[slot][i] =
        (j < 0 || (t->shape[j] == 1 && plan->batch_shape[i] != 1)) ? 0 : t->strides[j];
  }
  f->shapes[slot][nb] = rows;
  f->shapes[slot][nb + 1] = cols;
  f->strides[slot][nb] = row_stride;
  f->strides[slot][nb + 1] = col_stride;
  d->ndim = nb + 2;
  d->shape = f->shapes[slot];
  d->strides = f->strides[slot];
}

static void form_matmul(call_frame_t *f, const bp_op_plan_t *plan, bp_tensor_t *const *in,
                        bp_tensor_t *const *out) {
  const bp_tensor_t *a = in[0], *b = in[1], *o = out[0];
  int32_t na = a->ndim, nb = b->ndim, no = o->ndim;
  if (plan->a_is_vector)
    matmul_operand(f, 0, a, plan, 1, plan->k, 0, a->strides[0], 0);
  else
    matmul_operand(f, 0, a, plan, plan->m, plan->k, a->strides[na - 2], a->strides[na - 1], na - 2);
  if (plan->b_is_vector)
    matmul_operand(f, 1, b, plan, plan->k, 1, b->strides[0], 0, 0);
  else
    matmul_operand(f, 1, b, plan, plan->k, plan->n, b->strides[nb - 2], b->strides[nb - 1], nb - 2);
  /* out: batch dims are out's leading dims as they are. */
  int64_t rs = 0, cs = 0;
  if (plan->a_is_vector && plan->b_is_vector) {
  } else if (plan->a_is_vector) {
    cs = o->strides[no - 1];
  } else if (plan->b_is_vector) {
    rs = o->strides[no - 1];
  } else {
    rs = o->strides[no - 2];
    cs = o->strides[no - 1];
  }
  bp_tensor_desc_t *d = &f->descs[2];
  bp_tensor_fill_desc(o, d);
  int32_t nbatch = plan->batch_ndim;
  for (int32_t i = 0; i < nbatch; ++i) {
    f->shapes[2][i] = o->shape[i];
    f->strides[2][i] = o->strides[i];
  }
  f->shapes[2][nbatch] = plan->m;
  f->shapes[2][nbatch + 1] = plan->n;
  f->strides[2][nbatch] = rs;
  f->strides[2][nbatch + 1] = cs;
  d->ndim = nbatch + 2;
  d->shape = f->shapes[2];
  d->strides = f->strides[2];
}

/* ---- fallback ---- */

static bp_status_t run_fallback(uint32_t op_id, const bp_op_def_t *def, const bp_op_plan_t *plan,
                                bp_device_t *device, bp_tensor_t *const *inputs,
                                const bp_attr_t *attrs, bp_tensor_t **outputs,
                                const bool *allocated) {
  bp_runtime_t *rt = bp_runtime_get();
  if (!rt) return BP_STATUS_FAILED_PRECONDITION;
  char sig[256];
  format_call_signature(sig, sizeof(sig), def, plan);
  if (device == rt->ref_device)
    return bp_fail(BP_STATUS_UNSUPPORTED, "bp_%s: ref:0 has no kernel for %s%s", def->name,
                   def->name, sig);
  if (rt->fallback_policy == BP_FALLBACK_ERROR)
    return bp_fail(BP_STATUS_UNSUPPORTED,
                   "bp_%s: %s has no kernel for %s%s and BP_FALLBACK=error forbids running it on "
                   "ref:0", def->name, device->name, def->name, sig);
  if (rt->fallback_policy == BP_FALLBACK_WARN &&
      !atomic_exchange(&rt->fallback_warned[op_id], 1))
    bp_log(BP_LOG_WARN,
           "%s has no kernel for %s%s; running it on ref:0 with copies (BP_FALLBACK=allow "
           "silences this, =error forbids it)", device->name, def->name, sig);
  atomic_fetch_add(&rt->fallbacks, 1);

  bp_tensor_t *ref_in[BP_MAX_SLOTS] = {NULL};
  bp_tensor_t *ref_out[BP_MAX_SLOTS] = {NULL};
  bp_status_t status = BP_STATUS_OK;
  for (int i = 0; i < def->num_inputs && !status; ++i)
    status = bp_tensor_to(inputs[i], rt->ref_device, &ref_in[i]);
  for (int i = 0; i < def->num_outputs && !status; ++i)
    status = bp_tensor_create(rt->ref_device, plan->output_dtypes[i], plan->output_ndim[i],
                              plan->output_shape[i], &ref_out[i]);
  /* An op that writes only part of its output (none yet) would need the
   * output's current contents; fill and copy write all of it. */
  if (!status) status = bp_dispatch(op_id, def->num_inputs, ref_in, attrs, def->num_outputs, ref_out);
  for (int i = 0; i < def->num_outputs && !status; ++i)
    status = bp_transfer_copy(outputs[i], ref_out[i]);
  /* Inputs the op writes in place were written on ref:0's copies. */
  uint32_t mutated = def->mutates && !status ? def->mutates(attrs) : 0u;
  for (int i = 0; i < def->num_inputs && !status; ++i)
    if (mutated & (1u << i)) status = bp_transfer_copy(inputs[i], ref_in[i]);
  for (int i = 0; i < def->num_inputs; ++i) bp_tensor_release(ref_in[i]);
  for (int i = 0; i < def->num_outputs; ++i) bp_tensor_release(ref_out[i]);
  (void)allocated;
  if (status) return bp_fail_context(status, "bp_%s (fallback from %s to ref:0)", def->name, device->name);
  return BP_STATUS_OK;
}

/* ---- the dispatcher ---- */

static bp_status_t check_output(const bp_op_def_t *def, const bp_op_plan_t *plan, int i,
                                const bp_tensor_t *o) {
  const char *name = def->slot_names[def->num_inputs + i];
  if (o->dtype != plan->output_dtypes[i])
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is %s but the result is %s", def->name,
                   name, bp_dtype_name(o->dtype), bp_dtype_name(plan->output_dtypes[i]));
  if (o->ndim != plan->output_ndim[i] ||
      memcmp(o->shape, plan->output_shape[i], sizeof(int64_t) * (size_t)o->ndim)) {
    char a[512], b[512];
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s has shape %s but the result has %s",
                   def->name, name, bp_format_shape(a, sizeof(a), o->ndim, o->shape),
                   bp_format_shape(b, sizeof(b), plan->output_ndim[i], plan->output_shape[i]));
  }
  if (bp_tensor_has_internal_overlap(o))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s has a broadcast (stride 0) dim; elements would be written twice",
                   def->name, name);
  return BP_STATUS_OK;
}

static void release_new_outputs(const bp_op_def_t *def, bp_tensor_t **outs, const bool *allocated) {
  for (int i = 0; i < def->num_outputs; ++i)
    if (allocated[i]) {
      bp_tensor_release(outs[i]);
      outs[i] = NULL;
    }
}

/* Variadic ops (cat, stack): one device, outputs per the plan, composite. */
static bp_status_t dispatch_variadic(const bp_op_def_t *def, uint32_t num_inputs,
                                     bp_tensor_t *const *inputs, const bp_attr_t *attrs,
                                     bp_tensor_t **outputs) {
  bp_device_t *device = inputs[0]->storage->device;
  for (uint32_t i = 1; i < num_inputs; ++i)
    if (inputs[i]->storage->device != device)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: tensors[0] is on %s but tensors[%u] is on %s (all tensors of an op "
                     "must be on one device; move one with bp_tensor_to)",
                     def->name, device->name, i, inputs[i]->storage->device->name);
  for (int k = 0; k < def->num_outputs; ++k)
    if (outputs[k] && outputs[k]->storage->device != device)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is on %s but the inputs are on %s",
                     def->name, def->slot_names[def->num_inputs + k], outputs[k]->storage->device->name,
                     device->name);
  bp_attr_t attr_copy[BP_MAX_ATTRS];
  for (int i = 0; i < def->num_attrs; ++i) attr_copy[i] = attrs[i];
  bp_op_plan_t plan;
  plan.num_inputs = num_inputs;
  bp_status_t status = def->infer(def, inputs, attr_copy, outputs, &plan);
  if (status) return status;
  bp_tensor_t *outs[BP_MAX_SLOTS];
  bool allocated[BP_MAX_SLOTS] = {false};
  for (int i = 0; i < def->num_outputs && !status; ++i) {
    outs[i] = outputs[i];
    if (outs[i]) {
      status = check_output(def, &plan, i, outs[i]);
    } else {
      status = bp_tensor_create(device, plan.output_dtypes[i], plan.output_ndim[i],
                                plan.output_shape[i], &outs[i]);
      allocated[i] = status == BP_STATUS_OK;
    }
  }
  if (!status) status = def->composite(def, inputs, attr_copy, &plan, outs);
  if (status) {
    release_new_outputs(def, outs, allocated);
    return status;
  }
  for (int i = 0; i < def->num_outputs; ++i) outputs[i] = outs[i];
  return BP_STATUS_OK;
}

static bp_status_t dispatch_impl(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                                 const bp_attr_t *attrs, uint32_t num_outputs,
                                 bp_tensor_t **outputs);


/* The outermost op call of a thread is recorded for autograd (when an input
 * requires grad); the ops it runs inside (casts, fallbacks, composites) are
 * not. */
bp_status_t bp_dispatch(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                        const bp_attr_t *attrs, uint32_t num_outputs, bp_tensor_t **outputs) {
  bp_thread_state_t *ts = &bp_thread_state;
  bool record = inputs && bp_autograd_should_record_in(ts, num_inputs, inputs);
  const bp_op_def_t *def = bp_op_def(op_id);
  if (record && !def->view) {
    bp_status_t status = bp_autograd_check_outputs(def->name, num_outputs, outputs);
    if (status) return status;
  }
  ++ts->op_depth;
  bp_status_t status = dispatch_impl(op_id, num_inputs, inputs, attrs, num_outputs, outputs);
  --ts->op_depth;
  if (status || !record) return status;
  /* A view op that hands back its input itself (contiguous of a contiguous
   * tensor) records nothing, as torch's x.contiguous() is x: a node would
   * make the input its own grad_fn (a reference cycle, and a leaf no more). */
  if (def->view && outputs[0] == inputs[0]) return BP_STATUS_OK;
  if (def->view)
    status = bp_autograd_record_view(inputs[0], outputs[0], op_id == BP_OP_EXPAND);
  else
    status = bp_autograd_record(op_id, num_inputs, inputs, attrs, num_outputs, outputs);
  return status;
}

static bp_status_t dispatch_impl(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                                 const bp_attr_t *attrs, uint32_t num_outputs,
                                 bp_tensor_t **outputs) {
  const bp_op_def_t *def = bp_op_def(op_id);
  if (def->variadic) {
    if (num_inputs < def->num_inputs || num_inputs > BP_MAX_VARIADIC ||
        num_outputs != def->num_outputs)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: takes %u to %u inputs and %u outputs, got %u and %u", def->name,
                     def->num_inputs, (unsigned)BP_MAX_VARIADIC, def->num_outputs, num_inputs,
                     num_outputs);
    for (uint32_t i = 0; i < num_inputs; ++i)
      if (!inputs[i])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: tensors[%u] is NULL", def->name, i);
    return dispatch_variadic(def, num_inputs, inputs, attrs, outputs);
  }
  if (num_inputs != def->num_inputs || num_outputs != def->num_outputs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: takes %u inputs and %u outputs, got %u and %u",
                   def->name, def->num_inputs, def->num_outputs, num_inputs, num_outputs);
  for (uint32_t i = 0; i < num_inputs; ++i)
    if (!inputs[i])
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL", def->name, def->slot_names[i]);
  if (def->view) {
    for (uint32_t i = 0; i < num_outputs; ++i)
      if (outputs[i])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                       "bp_%s: is a view op; its outputs are new views (pass NULL outputs)",
                       def->name);
    bp_attr_t attr_copy[BP_MAX_ATTRS];
    for (int i = 0; i < def->num_attrs; ++i) attr_copy[i] = attrs[i];
    return def->view(def, inputs, attr_copy, outputs);
  }
  if (def->outputs_required)
    for (uint32_t i = 0; i < num_outputs; ++i)
      if (!outputs[i])
        return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_%s: %s is NULL (this op writes in place)",
                       def->name, def->slot_names[num_inputs + i]);

  /* One device for every tensor; 0-dim tensors on ref:0 (scalars) may join
   * an op on another device and are copied there. */
  bp_device_t *device = NULL;
  const char *device_arg = NULL;
  for (uint32_t i = 0; i < num_inputs + num_outputs && !device; ++i) {
    const bp_tensor_t *t = i < num_inputs ? inputs[i] : outputs[i - num_inputs];
    if (t && !(t->ndim == 0 && t->storage->device->plugin->builtin)) {
      device = t->storage->device;
      device_arg = def->slot_names[i];
    }
  }
  if (!device) {
    device = num_inputs ? inputs[0]->storage->device : outputs[0]->storage->device;
    device_arg = def->slot_names[0];
  }
  bool cross_device_copy = false;
  bp_tensor_t *moved[BP_MAX_SLOTS] = {NULL};
  bp_tensor_t *local_inputs[BP_MAX_SLOTS];
  bool any_moved = false;
  for (uint32_t i = 0; i < num_inputs + num_outputs; ++i) {
    const bp_tensor_t *t = i < num_inputs ? inputs[i] : outputs[i - num_inputs];
    if (!t || t->storage->device == device) continue;
    if (op_id == BP_OP_COPY) {
      cross_device_copy = true;
      continue;
    }
    if (i < num_inputs && t->ndim == 0 && t->storage->device->plugin->builtin) {
      any_moved = true;
      continue;
    }
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_%s: %s is on %s but %s is on %s (all tensors of an op must be on one "
                   "device; move one with bp_tensor_to)",
                   def->name, device_arg, device->name, def->slot_names[i], t->storage->device->name);
  }
  if (!device->alive)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION, "bp_%s: device %s belongs to an unloaded plugin",
                   def->name, device->name);
  /* infer may normalize attributes (negative dims...): give it a copy. */
  bp_attr_t attr_copy[BP_MAX_ATTRS];
  for (int i = 0; i < def->num_attrs; ++i) attr_copy[i] = attrs[i];
  attrs = attr_copy;
  bp_op_plan_t plan;
  plan.num_inputs = num_inputs;
  for (int i = 0; i < def->num_outputs; ++i) plan.kernel_output_dtypes[i] = BP_DTYPE_INVALID;
  bp_status_t status = def->infer(def, inputs, attr_copy, outputs, &plan);
  if (status) return status;
  for (int i = 0; i < def->num_outputs; ++i)
    if (plan.kernel_output_dtypes[i] == BP_DTYPE_INVALID)
      plan.kernel_output_dtypes[i] = plan.output_dtypes[i];

  if (any_moved) {
    /* Scalars move in the dtype the kernel computes in, so a device that
     * cannot store f64 still takes an f64 scalar operand. */
    for (uint32_t i = 0; i < num_inputs && !status; ++i) {
      local_inputs[i] = inputs[i];
      if (inputs[i]->storage->device == device) continue;
      bp_dtype_t dt = bp_dtype_is_valid(plan.input_dtypes[i]) ? plan.input_dtypes[i] : inputs[i]->dtype;
      status = bp_tensor_create(device, dt, 0, NULL, &moved[i]);
      if (!status) status = bp_copy(moved[i], inputs[i]);
      if (!status) {
        moved[i]->wrapped_number = inputs[i]->wrapped_number;
        local_inputs[i] = moved[i];
      }
    }
    if (!status)
      status = bp_dispatch(op_id, num_inputs, local_inputs, attrs, num_outputs, outputs);
    for (uint32_t i = 0; i < num_inputs; ++i) bp_tensor_release(moved[i]);
    return status;
  }

  if (cross_device_copy) {
    if ((status = check_output(def, &plan, 0, outputs[0]))) return status;
    return bp_transfer_copy(outputs[0], inputs[0]);
  }

  bp_tensor_t *outs[BP_MAX_SLOTS];
  bool allocated[BP_MAX_SLOTS] = {false};
  for (int i = 0; i < def->num_outputs; ++i) {
    outs[i] = outputs[i];
    if (outs[i]) {
      if ((status = check_output(def, &plan, i, outs[i]))) return status;
      continue;
    }
    status = bp_tensor_create(device, plan.output_dtypes[i], plan.output_ndim[i],
                              plan.output_shape[i], &outs[i]);
    if (status) {
      release_new_outputs(def, outs, allocated);
      return bp_fail_context(status, "bp_%s: output %s", def->name, def->slot_names[num_inputs + i]);
    }
    allocated[i] = true;
  }

  bp_dtype_t sig[BP_MAX_SLOTS];
  int slots = def->num_inputs + def->num_outputs;
  for (int i = 0; i < def->num_inputs; ++i) sig[i] = plan.input_dtypes[i];
  for (int i = 0; i < def->num_outputs; ++i) sig[def->num_inputs + i] = plan.kernel_output_dtypes[i];
  bp_plugin_t *plugin = device->plugin;
  const bp_kernel_entry_t *kernel = bp_plugin_find_kernel(plugin, op_id, bp_signature_key(sig, (uint32_t)slots));

  /* Nothing to compute for empty outputs. */
  bool empty = true;
  for (int i = 0; i < def->num_outputs; ++i) empty = empty && outs[i]->numel == 0;
  if (empty) goto done;
  if (!kernel) goto fallback;

  /* Cast inputs to the kernel's dtypes. */
  bp_tensor_t *cast[BP_MAX_SLOTS] = {NULL};
  bp_tensor_t *kin[BP_MAX_SLOTS];
  for (int i = 0; i < def->num_inputs; ++i) {
    kin[i] = inputs[i];
    if (inputs[i]->dtype == plan.input_dtypes[i]) continue;
    status = bp_tensor_create(device, plan.input_dtypes[i], inputs[i]->ndim, inputs[i]->shape, &cast[i]);
    if (!status) status = bp_copy(cast[i], inputs[i]);
    if (status) {
      for (int j = 0; j <= i; ++j) bp_tensor_release(cast[j]);
      release_new_outputs(def, outs, allocated);
      return bp_fail_context(status, "bp_%s: casting %s to %s", def->name, def->slot_names[i],
                             bp_dtype_name(plan.input_dtypes[i]));
    }
    kin[i] = cast[i];
  }

  /* Outputs the kernel writes in another dtype go through a temporary. */
  bp_tensor_t *kout[BP_MAX_SLOTS], *kout_temp[BP_MAX_SLOTS] = {NULL};
  for (int i = 0; i < def->num_outputs && !status; ++i) {
    kout[i] = outs[i];
    if (plan.kernel_output_dtypes[i] == outs[i]->dtype) continue;
    status = bp_tensor_create(device, plan.kernel_output_dtypes[i], outs[i]->ndim, outs[i]->shape,
                              &kout_temp[i]);
    kout[i] = kout_temp[i];
  }
  if (status) {
    for (int i = 0; i < def->num_inputs; ++i) bp_tensor_release(cast[i]);
    for (int i = 0; i < def->num_outputs; ++i) bp_tensor_release(kout_temp[i]);
    release_new_outputs(def, outs, allocated);
    return bp_fail_context(status, "bp_%s: temporary output", def->name);
  }

  call_frame_t frame;
  switch (def->form) {
    case BP_FORM_REDUCE: form_reduce(&frame, def, &plan, kin, kout); break;
    case BP_FORM_AS_IS: form_as_is(&frame, def, kin, kout); break;
    case BP_FORM_MATMUL: form_matmul(&frame, &plan, kin, kout); break;
    default: form_elementwise(&frame, def, kin, kout); break;
  }
  for (int i = 0; i < def->num_inputs; ++i) frame.in_ptrs[i] = &frame.descs[i];
  for (int i = 0; i < def->num_outputs; ++i) frame.out_ptrs[i] = &frame.descs[def->num_inputs + i];
  for (int i = 0; i < def->num_attrs; ++i) frame.attr_ptrs[i] = &attrs[i];
  bp_kernel_call_t call = {
      .struct_size = sizeof(call),
      .op_id = op_id,
      .op_name = def->name,
      .plugin_ctx = plugin->ctx,
      .kernel_data = kernel->kernel_data,
      .device_index = device->index,
      .num_inputs = def->num_inputs,
      .num_outputs = def->num_outputs,
      .num_attrs = def->num_attrs,
      .inputs = frame.in_ptrs,
      .outputs = frame.out_ptrs,
      .attrs = frame.attr_ptrs,
  };
  if (kernel->supports && !kernel->supports(&call)) {
    status = BP_STATUS_UNSUPPORTED;
  } else {
    status = kernel->fn(&call);
  }
  for (int i = 0; i < def->num_inputs; ++i) bp_tensor_release(cast[i]);
  for (int i = 0; i < def->num_outputs; ++i) {
    if (!kout_temp[i]) continue;
    if (status == BP_STATUS_OK) {
      status = bp_copy(outs[i], kout_temp[i]);
      if (status) bp_fail_context(status, "bp_%s: rounding output to %s", def->name,
                                  bp_dtype_name(outs[i]->dtype));
    }
    bp_tensor_release(kout_temp[i]);
  }
  if (status == BP_STATUS_UNSUPPORTED) {
    bp_plugin_error_take();
    goto fallback;
  }
  if (status == BP_STATUS_INVALID_ARGUMENT) {
    /* A kernel's check of tensor data (an index out of range, an integer
     * division by zero) is the caller's error, not the device's. */
    const char *msg = bp_plugin_error_take();
    release_new_outputs(def, outs, allocated);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "bp_%s:", def->name);
    if (!strncmp(msg, prefix, strlen(prefix))) return bp_fail(status, "%s", msg);
    return bp_fail(status, "bp_%s: %s", def->name, *msg ? msg : "invalid argument (from the kernel)");
  }
  if (status != BP_STATUS_OK) {
    const char *msg = bp_plugin_error_take();
    char s[256];
    format_call_signature(s, sizeof(s), def, &plan);
    release_new_outputs(def, outs, allocated);
    return bp_fail(status == BP_STATUS_OUT_OF_MEMORY ? status : BP_STATUS_DEVICE_ERROR,
                   "bp_%s: the %s kernel %s%s on %s failed with %s%s%s", def->name, plugin->name,
                   def->name, s, device->name, bp_status_name(status), *msg ? ": " : "", msg);
  }
  goto done;

fallback:
  if (def->composite)
    status = def->composite(def, inputs, attrs, &plan, outs);
  else
    status = run_fallback(op_id, def, &plan, device, inputs, attrs, outs, allocated);
  if (status) {
    release_new_outputs(def, outs, allocated);
    return status;
  }

done:
  for (int i = 0; i < def->num_outputs; ++i) {
    atomic_fetch_add_explicit(&outs[i]->storage->version, 1, memory_order_relaxed);
    outputs[i] = outs[i];
  }
  return BP_STATUS_OK;
}
