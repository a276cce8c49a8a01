/* The catalog's own invariants, for every op any family adds. */
#include "test_helpers.h"

Test(catalog, every_op_is_complete_and_named_once) {
  uint32_t n = bp_op_count();
  cr_assert_gt(n, 0);
  for (uint32_t op = 0; op < n; ++op) {
    bp_op_info_t info = {.struct_size = sizeof(info)};
    BP_CHECK(bp_op_query_info(op, &info));
    cr_assert(info.name && info.name[0], "op %u has no name", op);
    cr_assert(info.summary && info.summary[0], "op %s has no summary", info.name);
    cr_assert(info.dtype_rule && info.dtype_rule[0], "op %s has no dtype rule", info.name);
    cr_assert_leq(info.num_inputs + info.num_outputs, 8, "op %s has more than 8 tensor slots",
                  info.name);
    cr_assert_geq(info.num_outputs, 1, "op %s has no output", info.name);
    for (uint32_t s = 0; s < info.num_inputs + info.num_outputs; ++s)
      cr_assert(bp_op_slot_name(op, s) && bp_op_slot_name(op, s)[0], "op %s slot %u unnamed",
                info.name, s);
    for (uint32_t a = 0; a < info.num_attrs; ++a) {
      bp_attr_t def;
      const char *doc = NULL;
      BP_CHECK(bp_op_query_attr(op, a, &def, &doc));
      cr_assert(def.name && def.name[0], "op %s attr %u unnamed", info.name, a);
      cr_assert(doc && doc[0], "op %s attr %s undocumented", info.name, def.name);
    }
    uint32_t found = 99999;
    BP_CHECK(bp_op_find(info.name, &found));
    cr_assert_eq(found, op, "op name %s appears twice", info.name);
  }
}
