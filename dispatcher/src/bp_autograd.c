/* bp_autograd.c - recording nodes and running backward (the engine).
 * Derivative formulas are in bp_derivatives.c. */
#include <stdlib.h>
#include <string.h>

#include "bp_autograd.h"
#include "bp_op_util.h"

_Thread_local bp_thread_state_t bp_thread_state;

/* ---- grad mode ---- */

void bp_no_grad_enter(void) { ++bp_thread_state.no_grad_depth; }
void bp_no_grad_exit(void) {
  bp_thread_state_t *ts = &bp_thread_state;
  if (ts->no_grad_depth > 0) --ts->no_grad_depth;
}
bool bp_grad_is_enabled(void) { return bp_thread_state.no_grad_depth == 0; }

/* ---- nodes ---- */

static void node_release(bp_grad_node_t *n);

static void node_free_saved(bp_grad_node_t *n) {
  for (uint32_t i = 0; i < n->num_inputs; ++i) {
    bp_tensor_release(n->saved_in[i]);
    n->saved_in[i] = NULL;
  }
  for (uint32_t k = 0; k < n->num_outputs; ++k) {
    bp_tensor_release(n->saved_out[k]);
    n->saved_out[k] = NULL;
  }
}

static void node_release(bp_grad_node_t *n) {
  /* Iterative over chains so that a long graph does not overflow the stack. */
  while (n && atomic_fetch_sub_explicit(&n->refcount, 1, memory_order_acq_rel) == 1) {
    bp_grad_node_t *next = NULL;
    node_free_saved(n);
    for (uint32_t i = 0; i < n->num_inputs; ++i) {
      bp_tensor_release(n->edges[i].leaf);
      if (n->edges[i].node) {
        if (!next) next = n->edges[i].node;
        else node_release(n->edges[i].node);
      }
    }
    free(n);
    n = next;
  }
}

/* One allocation for the node and its per-tensor arrays, attributes and
 * int lists: recording is on the hot path of training, so one malloc, and
 * only the arrays that must start empty are zeroed. */
static bp_grad_node_t *node_alloc(uint32_t num_inputs, uint32_t num_outputs, uint32_t num_attrs,
                                  size_t num_ints) {
  size_t ni = num_inputs, no = num_outputs;
  size_t pointers = ni * (sizeof(bp_grad_edge_t) + sizeof(bp_tensor_t *)) +
                    no * 3 * sizeof(bp_tensor_t *);
  size_t size = sizeof(bp_grad_node_t) + num_attrs * sizeof(bp_attr_t) + pointers +
                ni * (sizeof(bp_grad_tensor_meta_t) + sizeof(uint64_t)) +
                no * (sizeof(bp_grad_tensor_meta_t) + sizeof(uint64_t)) + num_ints * sizeof(int64_t);
  bp_grad_node_t *n = malloc(size);
  if (!n) return NULL;
  memset(n, 0, offsetof(bp_grad_node_t, view_ndim));
  n->view_ndim = 0;
  n->view_shares_storage = false;
  n->pending = 0;
  n->seen = false;
  char *p = (char *)(n + 1);
  n->attrs = (bp_attr_t *)p;
  p += num_attrs * sizeof(bp_attr_t);
  /* Zeroed: edges, saved tensors, retained outputs, gradient buffers. */
  memset(p, 0, pointers);
  n->edges = (bp_grad_edge_t *)p;
  p += ni * sizeof(bp_grad_edge_t);
  n->saved_in = (bp_tensor_t **)p;
  p += ni * sizeof(bp_tensor_t *);
  n->saved_out = (bp_tensor_t **)p;
  p += no * sizeof(bp_tensor_t *);
  n->retained = (bp_tensor_t **)p;
  p += no * sizeof(bp_tensor_t *);
  n->grads = (bp_tensor_t **)p;
  p += no * sizeof(bp_tensor_t *);
  n->in_meta = (bp_grad_tensor_meta_t *)p;
  p += ni * sizeof(bp_grad_tensor_meta_t);
  n->out_meta = (bp_grad_tensor_meta_t *)p;
  p += no * sizeof(bp_grad_tensor_meta_t);
  n->saved_in_version = (uint64_t *)p;
  p += ni * sizeof(uint64_t);
  n->saved_out_version = (uint64_t *)p;
  p += no * sizeof(uint64_t);
  n->ints = num_ints ? (int64_t *)p : NULL;
  atomic_init(&n->refcount, 1);
  n->num_inputs = num_inputs;
  n->num_outputs = num_outputs;
  return n;
}

static void fill_meta(bp_grad_tensor_meta_t *m, const bp_tensor_t *t) {
  m->dtype = t->dtype;
  m->ndim = t->ndim;
  memcpy(m->shape, t->shape, sizeof(int64_t) * (size_t)t->ndim);
  m->device = t->storage->device;
}

static bp_autograd_meta_t *meta_of(bp_tensor_t *t) {
  if (!t->autograd) {
    memset(&t->autograd_state, 0, sizeof(t->autograd_state));
    t->autograd = &t->autograd_state;
  }
  return t->autograd;
}

void bp_autograd_meta_free(bp_tensor_t *t) {
  bp_autograd_meta_t *m = t->autograd;
  t->autograd = NULL;
  if (m->retains_grad && m->grad_fn && m->output_nr < m->grad_fn->num_outputs &&
      m->grad_fn->retained[m->output_nr] == t)
    m->grad_fn->retained[m->output_nr] = NULL;
  node_release(m->grad_fn);
  bp_tensor_release(m->grad);
}

/* Links input i of n to where its gradient goes. */
static bp_status_t link_edge(bp_grad_node_t *n, uint32_t i, bp_tensor_t *in) {
  if (!bp_tensor_needs_grad(in)) return BP_STATUS_OK;
  bp_autograd_meta_t *m = in->autograd;
  if (m->grad_fn) {
    atomic_fetch_add_explicit(&m->grad_fn->refcount, 1, memory_order_relaxed);
    n->edges[i].node = m->grad_fn;
    n->edges[i].output_nr = m->output_nr;
  } else {
    n->edges[i].leaf = bp_tensor_retain(in);
  }
  return BP_STATUS_OK;
}

/* Makes `out` output k of node n (replacing any history it had: an op that
 * wrote into it in place). Takes a reference to n. */
static bp_status_t attach_output(bp_grad_node_t *n, uint32_t k, bp_tensor_t *out) {
  bp_autograd_meta_t *m = meta_of(out);
  if (!m) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "autograd: out of host memory");
  atomic_fetch_add_explicit(&n->refcount, 1, memory_order_relaxed);
  bp_grad_node_t *old = m->grad_fn;
  m->grad_fn = n;
  m->output_nr = k;
  m->requires_grad = true;
  if (m->retains_grad) n->retained[k] = out;
  node_release(old);
  return BP_STATUS_OK;
}

/* Outputs are saved as aliases without history (an output referring to its
 * own node would be a reference cycle); inputs are saved by reference: their
 * history is older than the node, so no cycle, and no allocation. */
static bp_status_t save(bp_tensor_t *t, bool alias, bp_tensor_t **slot, uint64_t *version) {
  if (alias) {
    bp_status_t s = bp_tensor_alias(t, slot);
    if (s) return s;
  } else {
    *slot = bp_tensor_retain(t);
  }
  *version = atomic_load_explicit(&t->storage->version, memory_order_relaxed);
  return BP_STATUS_OK;
}

bp_status_t bp_autograd_check_outputs(const char *op, uint32_t num_outputs,
                                      bp_tensor_t *const *outputs) {
  for (uint32_t k = 0; k < num_outputs; ++k) {
    const bp_tensor_t *o = outputs ? outputs[k] : NULL;
    if (o && bp_tensor_needs_grad(o) && !o->autograd->grad_fn)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_%s: writes in place into a leaf tensor that requires grad; its gradient "
                     "would be lost (use bp_no_grad_enter around the update, or detach it)", op);
  }
  return BP_STATUS_OK;
}

bp_status_t bp_autograd_record(uint32_t op_id, uint32_t num_inputs, bp_tensor_t *const *inputs,
                               const bp_attr_t *attrs, uint32_t num_outputs,
                               bp_tensor_t *const *outputs) {
  const bp_op_def_t *def = bp_op_def(op_id);
  const bp_derivative_t *d = def->differentiable ? bp_derivative_of(op_id) : NULL;
  size_t num_ints = 0;
  for (uint32_t a = 0; a < def->num_attrs; ++a)
    if (attrs[a].type == BP_ATTR_INTS) num_ints += attrs[a].count;
  bp_grad_node_t *n = node_alloc(num_inputs, num_outputs, def->num_attrs, num_ints);
  if (!n) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_%s: autograd: out of host memory", def->name);
  n->kind = d ? BP_NODE_OP : BP_NODE_NONDIFF;
  n->op_id = op_id;
  n->name = def->name;
  bp_status_t s = BP_STATUS_OK;
  for (uint32_t a = 0, used = 0; a < def->num_attrs; ++a) {
    n->attrs[a] = attrs[a];
    if (attrs[a].type == BP_ATTR_INTS && attrs[a].count) {
      memcpy(n->ints + used, attrs[a].value.ints, sizeof(int64_t) * attrs[a].count);
      n->attrs[a].value.ints = n->ints + used;
      used += attrs[a].count;
    }
  }
  for (uint32_t i = 0; i < num_inputs && !s; ++i) {
    fill_meta(&n->in_meta[i], inputs[i]);
    s = link_edge(n, i, inputs[i]);
    if (!s && d && (d->save_inputs & (1u << (i < 31 ? i : 31))))
      s = save(inputs[i], false, &n->saved_in[i], &n->saved_in_version[i]);
  }
  for (uint32_t k = 0; k < num_outputs && !s; ++k) {
    fill_meta(&n->out_meta[k], outputs[k]);
    if (d && (d->save_outputs & (1u << k)))
      s = save(outputs[k], true, &n->saved_out[k], &n->saved_out_version[k]);
  }
  /* Integer and bool outputs carry no gradient, as in PyTorch. */
  for (uint32_t k = 0; k < num_outputs && !s; ++k)
    if (bp_dtype_is_float(outputs[k]->dtype)) s = attach_output(n, k, outputs[k]);
  node_release(n);
  return s ? bp_fail(s, "bp_%s: autograd: out of host memory", def->name) : BP_STATUS_OK;
}

bp_status_t bp_autograd_record_view(bp_tensor_t *base, bp_tensor_t *view, bool expand) {
  if (!bp_dtype_is_float(view->dtype)) return BP_STATUS_OK;
  bp_grad_node_t *n = node_alloc(1, 1, 0, 0);
  if (!n) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "autograd: out of host memory");
  n->kind = expand ? BP_NODE_EXPAND : BP_NODE_VIEW;
  n->name = expand ? "expand" : "view";
  fill_meta(&n->in_meta[0], base);
  fill_meta(&n->out_meta[0], view);
  n->view_shares_storage = view->storage == base->storage;
  n->view_ndim = view->ndim;
  memcpy(n->view_shape, view->shape, sizeof(int64_t) * (size_t)view->ndim);
  memcpy(n->view_strides, view->strides, sizeof(int64_t) * (size_t)view->ndim);
  /* Geometry relative to the base: saved as the base's own geometry too. */
  n->view_offset = view->offset;
  bp_status_t s = link_edge(n, 0, base);
  if (!s && n->view_shares_storage) s = save(base, false, &n->saved_in[0], &n->saved_in_version[0]);
  if (!s) s = attach_output(n, 0, view);
  node_release(n);
  return s;
}

/* ---- public tensor API ---- */

bp_status_t bp_tensor_set_requires_grad(bp_tensor_t *t, bool requires_grad) {
  if (!t) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_tensor_set_requires_grad: tensor is NULL");
  if (t->autograd && t->autograd->grad_fn)
    return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                   "bp_tensor_set_requires_grad: the tensor was made by %s while recording; only "
                   "leaf tensors can change requires_grad (detach it first)",
                   t->autograd->grad_fn->name);
  if (requires_grad && !bp_dtype_is_float(t->dtype))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_tensor_set_requires_grad: only floating-point tensors can require grad "
                   "(got %s)", bp_dtype_name(t->dtype));
  if (!requires_grad && !t->autograd) return BP_STATUS_OK;
  bp_autograd_meta_t *m = meta_of(t);
  if (!m) return bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_tensor_set_requires_grad: out of memory");
  m->requires_grad = requires_grad;
  return BP_STATUS_OK;
}

bool bp_tensor_requires_grad(const bp_tensor_t *t) { return bp_tensor_needs_grad(t); }
bool bp_tensor_is_leaf(const bp_tensor_t *t) { return !t || !t->autograd || !t->autograd->grad_fn; }
bp_tensor_t *bp_tensor_grad(const bp_tensor_t *t) { return t && t->autograd ? t->autograd->grad : NULL; }
const char *bp_tensor_grad_fn_name(const bp_tensor_t *t) {
  return t && t->autograd && t->autograd->grad_fn ? t->autograd->grad_fn->name : NULL;
}

void bp_tensor_clear_grad(bp_tensor_t *t) {
  if (!t || !t->autograd) return;
  bp_tensor_release(t->autograd->grad);
  t->autograd->grad = NULL;
}

bp_status_t bp_tensor_retain_grad(bp_tensor_t *t) {
  if (!t) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_tensor_retain_grad: tensor is NULL");
  if (!bp_tensor_needs_grad(t))
    return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                   "bp_tensor_retain_grad: the tensor does not require grad");
  bp_autograd_meta_t *m = t->autograd;
  m->retains_grad = true;
  if (m->grad_fn) m->grad_fn->retained[m->output_nr] = t;
  return BP_STATUS_OK;
}

bp_status_t bp_tensor_detach(bp_tensor_t *t, bp_tensor_t **out) {
  if (!t) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_tensor_detach: tensor is NULL");
  if (!out) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_tensor_detach: out_tensor is NULL");
  return bp_tensor_alias(t, out);
}

/* ---- backward ---- */

/* Adds g (owned by the caller) into *slot (owned), taking g when empty. */
static bp_status_t accumulate(bp_tensor_t **slot, bp_tensor_t *g) {
  if (!*slot) {
    *slot = bp_tensor_retain(g);
    return BP_STATUS_OK;
  }
  bp_tensor_t *sum = NULL;
  bp_status_t s = bp_add(*slot, g, &sum);
  if (s) return s;
  bp_tensor_release(*slot);
  *slot = sum;
  return BP_STATUS_OK;
}

/* Makes g fit input meta m: summed over broadcast dims, cast, on m's device. */
static bp_status_t conform(bp_tensor_t *g, const bp_grad_tensor_meta_t *m, bp_tensor_t **out) {
  bp_tensor_t *cur = bp_tensor_retain(g), *next = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (cur->ndim != m->ndim || memcmp(cur->shape, m->shape, sizeof(int64_t) * (size_t)m->ndim)) {
    s = bp_grad_sum_to(cur, m->ndim, m->shape, &next);
    bp_tensor_release(cur);
    cur = next;
  }
  if (!s && (cur->dtype != m->dtype || cur->storage->device != m->device)) {
    s = bp_tensor_create(m->device, m->dtype, m->ndim, m->shape, &next);
    if (!s) s = bp_copy(next, cur);
    bp_tensor_release(cur);
    cur = s ? NULL : next;
    if (s) bp_tensor_release(next);
  }
  if (s) {
    bp_tensor_release(cur);
    return s;
  }
  *out = cur;
  return BP_STATUS_OK;
}

/* Gradient of a view node's base from the gradient of the view. */
static bp_status_t view_backward(bp_grad_node_t *n, bp_tensor_t *g, bp_tensor_t **out) {
  const bp_grad_tensor_meta_t *m = &n->in_meta[0];
  if (n->kind == BP_NODE_EXPAND) return bp_grad_sum_to(g, m->ndim, m->shape, out);
  if (!n->view_shares_storage) /* a reshape that had to copy */
    return bp_tensor_reshape(g, m->ndim, m->shape, out);
  /* Scatter g into zeros laid out like the base's storage, then read the
   * base's geometry back: right for every non-overlapping view. */
  const bp_tensor_t *base = n->saved_in[0];
  uint64_t first = 0, end = 0;
  int64_t esize = (int64_t)bp_abi_dtype_size(base->dtype);
  int64_t lo = base->offset, hi = base->offset;
  if (bp_tensor_span(base, &first, &end)) {
    lo = (int64_t)first / esize;
    hi = (int64_t)end / esize;
  }
  int64_t vlast = n->view_offset;
  for (int32_t i = 0; i < n->view_ndim; ++i)
    if (n->view_shape[i] > 0) vlast += (n->view_shape[i] - 1) * n->view_strides[i];
  if (n->view_offset < lo) lo = n->view_offset;
  if (vlast + 1 > hi) hi = vlast + 1;
  int64_t len = hi - lo;
  bp_tensor_t *buf = NULL, *vview = NULL, *bview = NULL, *res = NULL;
  bp_status_t s = bp_tensor_create(m->device, g->dtype, 1, &len, &buf);
  if (!s) s = bp_fill(buf, 0.0);
  if (!s) s = bp_tensor_as_strided(buf, n->view_ndim, n->view_shape, n->view_strides,
                                   n->view_offset - lo, &vview);
  if (!s) s = bp_copy(vview, g);
  if (!s) s = bp_tensor_as_strided(buf, base->ndim, base->shape, base->strides, base->offset - lo,
                                   &bview);
  if (!s) s = bp_tensor_contiguous(bview, &res);
  bp_tensor_release(buf);
  bp_tensor_release(vview);
  bp_tensor_release(bview);
  if (s) return s;
  *out = res;
  return BP_STATUS_OK;
}

static bp_status_t check_versions(const bp_grad_node_t *n) {
  for (uint32_t i = 0; i < n->num_inputs; ++i) {
    const bp_tensor_t *t = n->saved_in[i];
    if (t && atomic_load(&t->storage->version) != n->saved_in_version[i])
      return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                     "bp_backward: input %u of %s, saved for backward, was modified by an in-place "
                     "operation (version %llu, saved at %llu)", i, n->name,
                     (unsigned long long)atomic_load(&t->storage->version),
                     (unsigned long long)n->saved_in_version[i]);
  }
  for (uint32_t k = 0; k < n->num_outputs; ++k) {
    const bp_tensor_t *t = n->saved_out[k];
    if (t && atomic_load(&t->storage->version) != n->saved_out_version[k])
      return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                     "bp_backward: output %u of %s, saved for backward, was modified by an "
                     "in-place operation (version %llu, saved at %llu)", k, n->name,
                     (unsigned long long)atomic_load(&t->storage->version),
                     (unsigned long long)n->saved_out_version[k]);
  }
  return BP_STATUS_OK;
}

/* The nodes reachable from root, each once, with `pending` = how many
 * reachable nodes feed gradient into it. */
typedef struct node_list {
  bp_grad_node_t **items;
  size_t count, capacity;
} node_list_t;

static bool list_push(node_list_t *l, bp_grad_node_t *n) {
  if (l->count == l->capacity) {
    size_t cap = l->capacity ? l->capacity * 2 : 64;
    bp_grad_node_t **grown = realloc(l->items, sizeof(*grown) * cap);
    if (!grown) return false;
    l->items = grown;
    l->capacity = cap;
  }
  l->items[l->count++] = n;
  return true;
}

static bp_status_t collect(bp_grad_node_t *root, node_list_t *all) {
  node_list_t stack = {0};
  root->seen = true;
  root->pending = 0;
  bool ok = list_push(all, root) && list_push(&stack, root);
  while (ok && stack.count) {
    bp_grad_node_t *n = stack.items[--stack.count];
    for (uint32_t i = 0; i < n->num_inputs && ok; ++i) {
      bp_grad_node_t *next = n->edges[i].node;
      if (!next) continue;
      if (!next->seen) {
        next->seen = true;
        next->pending = 0;
        ok = list_push(all, next) && list_push(&stack, next);
      }
      next->pending++;
    }
  }
  free(stack.items);
  return ok ? BP_STATUS_OK : bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_backward: out of host memory");
}

static bp_status_t run_node(bp_grad_node_t *n, node_list_t *ready) {
  bp_status_t s = BP_STATUS_OK;
  bool any = false;
  for (uint32_t k = 0; k < n->num_outputs; ++k) {
    if (!n->grads[k]) continue;
    any = true;
    bp_tensor_t *r = n->retained[k];
    if (r && r->autograd) s = accumulate(&r->autograd->grad, n->grads[k]);
    if (s) return s;
  }
  bp_tensor_t *grad_in[BP_MAX_VARIADIC] = {NULL};
  bool needs[BP_MAX_VARIADIC];
  for (uint32_t i = 0; i < n->num_inputs; ++i)
    needs[i] = n->edges[i].node || n->edges[i].leaf;
  if (any) {
    if (n->released)
      return bp_fail(BP_STATUS_FAILED_PRECONDITION,
                     "bp_backward: the graph through %s was freed by an earlier backward; pass "
                     "retain_graph to the first backward to run backward twice", n->name);
    if (n->kind == BP_NODE_NONDIFF)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "bp_backward: %s is not differentiable%s; no gradient can flow through it",
                     n->name, bp_op_def(n->op_id)->differentiable ? " (no derivative formula yet)" : "");
    if ((s = check_versions(n))) return s;
    if (n->kind == BP_NODE_OP) {
      bp_grad_ctx_t ctx = {.node = n, .in = n->saved_in, .out = n->saved_out, .attrs = n->attrs,
                           .needs = needs};
      const bp_derivative_t *d = bp_derivative_of(n->op_id);
      s = d->fn(&ctx, n->grads, grad_in);
      if (s) s = bp_fail_context(s, "bp_backward: the derivative of %s", n->name);
    } else {
      s = view_backward(n, n->grads[0], &grad_in[0]);
    }
  }
  for (uint32_t i = 0; i < n->num_inputs; ++i) {
    bp_grad_edge_t *e = &n->edges[i];
    bp_tensor_t *g = NULL;
    if (!s && grad_in[i] && needs[i]) s = conform(grad_in[i], &n->in_meta[i], &g);
    bp_tensor_release(grad_in[i]);
    if (!s && g) {
      if (e->leaf && e->leaf->autograd && e->leaf->autograd->requires_grad)
        s = accumulate(&e->leaf->autograd->grad, g);
      else if (e->node)
        s = accumulate(&e->node->grads[e->output_nr], g);
    }
    bp_tensor_release(g);
    if (e->node && --e->node->pending == 0 && !list_push(ready, e->node) && !s)
      s = bp_fail(BP_STATUS_OUT_OF_MEMORY, "bp_backward: out of host memory");
  }
  return s;
}

bp_status_t bp_backward(bp_tensor_t *output, bp_tensor_t *grad_output,
                        const bp_backward_options_t *options) {
  static const char fn[] = "bp_backward";
  if (!output) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: output is NULL", fn);
  if (options && options->struct_size < sizeof(bp_backward_options_t))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: options->struct_size is %u (expected %zu)", fn,
                   options->struct_size, sizeof(bp_backward_options_t));
  if (!bp_tensor_needs_grad(output))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "%s: output does not require grad (nothing it was computed from requires grad, "
                   "or it was computed with grad mode off)", fn);
  bool retain = options && options->retain_graph;
  bp_tensor_t *seed = NULL;
  bp_status_t s = BP_STATUS_OK;
  if (grad_output) {
    if (grad_output->ndim != output->ndim ||
        memcmp(grad_output->shape, output->shape, sizeof(int64_t) * (size_t)output->ndim)) {
      char a[256], b[256];
      return bp_fail(BP_STATUS_INVALID_ARGUMENT, "%s: grad_output has shape %s but output has %s",
                     fn, bp_format_shape(a, sizeof(a), grad_output->ndim, grad_output->shape),
                     bp_format_shape(b, sizeof(b), output->ndim, output->shape));
    }
    seed = bp_tensor_retain(grad_output);
  } else {
    if (output->numel != 1)
      return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                     "%s: grad_output may be NULL only for an output of one element (it has %lld)",
                     fn, (long long)output->numel);
    s = bp_tensor_create(output->storage->device, output->dtype, output->ndim, output->shape, &seed);
    if (!s) s = bp_fill(seed, 1.0);
    if (s) {
      bp_tensor_release(seed);
      return s;
    }
  }
  bp_no_grad_enter();
  bp_autograd_meta_t *m = output->autograd;
  if (!m->grad_fn) { /* a leaf: its gradient is the seed */
    bp_tensor_t *g = NULL;
    bp_grad_tensor_meta_t meta;
    fill_meta(&meta, output);
    s = conform(seed, &meta, &g);
    if (!s) s = accumulate(&m->grad, g);
    bp_tensor_release(g);
    bp_tensor_release(seed);
    bp_no_grad_exit();
    return s;
  }
  node_list_t all = {0}, ready = {0};
  bp_grad_node_t *root = m->grad_fn;
  s = collect(root, &all);
  if (!s) s = accumulate(&root->grads[m->output_nr], seed);
  bp_tensor_release(seed);
  if (!s && !list_push(&ready, root)) s = bp_fail(BP_STATUS_OUT_OF_MEMORY, "%s: out of memory", fn);
  while (!s && ready.count) {
    bp_grad_node_t *n = ready.items[--ready.count];
    s = run_node(n, &ready);
  }
  for (size_t i = 0; i < all.count; ++i) {
    bp_grad_node_t *n = all.items[i];
    for (uint32_t k = 0; k < n->num_outputs; ++k) {
      bp_tensor_release(n->grads[k]);
      n->grads[k] = NULL;
    }
    n->seen = false;
    if (!retain && !s) {
      node_free_saved(n);
      n->released = true;
    }
  }
  free(all.items);
  free(ready.items);
  bp_no_grad_exit();
  return s;
}
