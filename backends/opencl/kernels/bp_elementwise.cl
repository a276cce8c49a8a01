/* bp_elementwise.cl - one generic strided elementwise kernel.
 *
 * Specialised at build time by #defines the host writes before the common
 * prelude (bp_cl_ops_elementwise.c):
 *   BP_NIN            number of inputs, 0..3
 *   BP_T0, BP_T1..3   storage types of the output and the inputs
 *   BP_LD1..3(p, i)   load input k at element i as its class value
 *   BP_STORE(p, i, v) store v to the output at element i
 *   BP_PARAMS         statements reading the scalar parameters p0, p1
 *   BP_EXPR           the result, from x1..x3 (and i, the logical index)
 * Operand offsets come from the geometry (bp_geom_t) by value: any strides,
 * broadcast (stride 0) inputs, any element offset. Work items stride over
 * the elements (grid-stride loop), so neighbouring work items touch
 * neighbouring elements (coalesced when the layout is). */
__kernel void bp_ew(__global BP_T0 *out
#if BP_NIN >= 1
                    , __global const BP_T1 *in1
#endif
#if BP_NIN >= 2
                    , __global const BP_T2 *in2
#endif
#if BP_NIN >= 3
                    , __global const BP_T3 *in3
#endif
                    , const bp_geom_t g, const ulong p0, const ulong p1) {
  BP_PARAMS
  for (long i = get_global_id(0); i < g.numel; i += get_global_size(0)) {
    long o0;
    BP_GEOM_OFFSET(g, 0, i, o0);
#if BP_NIN >= 1
    long o1;
    BP_GEOM_OFFSET(g, 1, i, o1);
    const BP_C1 x1 = BP_LD1(in1, o1);
#endif
#if BP_NIN >= 2
    long o2;
    BP_GEOM_OFFSET(g, 2, i, o2);
    const BP_C2 x2 = BP_LD2(in2, o2);
#endif
#if BP_NIN >= 3
    long o3;
    BP_GEOM_OFFSET(g, 3, i, o3);
    const BP_C3 x3 = BP_LD3(in3, o3);
#endif
    BP_STORE(out, o0, (BP_EXPR));
  }
}
