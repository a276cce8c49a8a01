/*
 * bp_ops_reduce2.h - typed entry points of the reductions beyond sum (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_REDUCE2_H_
#define BACKPLANE_BP_OPS_REDUCE2_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_REDUCE2_H_ */
