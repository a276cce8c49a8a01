/* bp_op_catalog.c - the op registry: the table of every op's definition
 * (defined per family in bp_ops_<family>.c), lookup by name and the public
 * catalog queries. */
#include <string.h>

#include "bp_op_catalog.h"

#define BP_OP_DECLARE(id, name, sym) extern const bp_op_def_t bp_op_def_##sym;
BP_OP_LIST(BP_OP_DECLARE)
#undef BP_OP_DECLARE

static const bp_op_def_t *const catalog[BP_OP_COUNT] = {
#define BP_OP_ENTRY(id, name, sym) [BP_OP_##id] = &bp_op_def_##sym,
    BP_OP_LIST(BP_OP_ENTRY)
#undef BP_OP_ENTRY
};

const bp_op_def_t *bp_op_def(uint32_t op_id) { return catalog[op_id]; }

void bp_op_default_attrs(const bp_op_def_t *def, bp_attr_t *attrs) {
  for (uint32_t i = 0; i < def->num_attrs; ++i) {
    const bp_attr_def_t *ad = &def->attrs[i];
    bp_attr_t *a = &attrs[i];
    memset(a, 0, sizeof(*a));
    a->struct_size = sizeof(*a);
    a->name = ad->name;
    a->type = ad->type;
    a->count = 1;
    switch (ad->type) {
      case BP_ATTR_INT: a->value.i = ad->default_int; break;
      case BP_ATTR_FLOAT: a->value.f = ad->default_float; break;
      case BP_ATTR_BOOL: a->value.b = ad->default_bool; break;
      case BP_ATTR_DTYPE: a->value.dtype = ad->default_dtype; break;
      case BP_ATTR_INTS: a->count = 0; a->value.ints = NULL; break;
      default: break;
    }
  }
}

uint32_t bp_op_count(void) { return BP_OP_COUNT; }

const char *bp_op_name(uint32_t op_id) {
  return op_id < BP_OP_COUNT ? catalog[op_id]->name : NULL;
}

bp_status_t bp_op_find(const char *name, uint32_t *out_op_id) {
  if (!name) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_find: name is NULL");
  if (!out_op_id) return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_find: out_op_id is NULL");
  for (uint32_t i = 0; i < BP_OP_COUNT; ++i) {
    if (!strcmp(catalog[i]->name, name)) {
      *out_op_id = i;
      return BP_STATUS_OK;
    }
  }
  return bp_fail(BP_STATUS_NOT_FOUND, "bp_op_find: no op named '%s' in the catalog", name);
}

static const char *form_name(const bp_op_def_t *d) {
  if (d->view) return "view";
  if (d->variadic) return "composite";
  switch (d->form) {
    case BP_FORM_REDUCE: return "reduce";
    case BP_FORM_MATMUL: return "matmul";
    case BP_FORM_AS_IS: return "as_is";
    default: return "elementwise";
  }
}

bp_status_t bp_op_query_info(uint32_t op_id, bp_op_info_t *out_info) {
  if (op_id >= BP_OP_COUNT)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_info: op_id %u out of range (expected < %u)",
                   op_id, (unsigned)BP_OP_COUNT);
  if (!out_info || out_info->struct_size < sizeof(bp_op_info_t))
    return bp_fail(BP_STATUS_INVALID_ARGUMENT,
                   "bp_op_query_info: out_info is NULL or its struct_size is not sizeof(bp_op_info_t)");
  const bp_op_def_t *d = catalog[op_id];
  *out_info = (bp_op_info_t){
      .struct_size = sizeof(bp_op_info_t),
      .name = d->name,
      .summary = d->summary,
      .dtype_rule = d->dtype_rule,
      .form = form_name(d),
      .num_inputs = d->num_inputs,
      .num_outputs = d->num_outputs,
      .num_attrs = d->num_attrs,
      .outputs_required = d->outputs_required,
      .differentiable = d->differentiable,
  };
  return BP_STATUS_OK;
}

const char *bp_op_slot_name(uint32_t op_id, uint32_t slot) {
  if (op_id >= BP_OP_COUNT) return NULL;
  const bp_op_def_t *d = catalog[op_id];
  return slot < (uint32_t)d->num_inputs + d->num_outputs ? d->slot_names[slot] : NULL;
}

bp_status_t bp_op_query_attr(uint32_t op_id, uint32_t index, bp_attr_t *out_default,
                             const char **out_doc) {
  if (op_id >= BP_OP_COUNT || index >= catalog[op_id]->num_attrs)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_attr: op %u has no attribute %u", op_id,
                   index);
  if (!out_default)
    return bp_fail(BP_STATUS_INVALID_ARGUMENT, "bp_op_query_attr: out_default is NULL");
  bp_attr_t all[BP_MAX_ATTRS];
  bp_op_default_attrs(catalog[op_id], all);
  *out_default = all[index];
  if (out_doc) *out_doc = catalog[op_id]->attrs[index].doc;
  return BP_STATUS_OK;
}
