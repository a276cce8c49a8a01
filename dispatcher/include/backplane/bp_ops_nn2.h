/*
 * bp_ops_nn2.h - typed entry points of the normalization, softmax, indexing, losses and attention (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_NN2_H_
#define BACKPLANE_BP_OPS_NN2_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_NN2_H_ */
