/* bp_nn_check.cl - the generic range check of an index tensor (BP_IT int
 * or long): a value outside [0, size) that is not `except` (when
 * has_except) sets the call's check slot. */
__kernel void bp_check_range(__global const BP_IT *idx, const bp_tv_t t, const long n,
                             const long size, const int has_except, const long except,
                             __global long *chk, const int slot) {
  for (long i = get_global_id(0); i < n; i += get_global_size(0)) {
    long v = BP_IDX(idx, bp_tv_at(&t, i));
    if ((v < 0 || v >= size) && !(has_except && v == except)) bp_check_set(chk, slot, v);
  }
}
