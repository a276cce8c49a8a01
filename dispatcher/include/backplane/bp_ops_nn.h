/*
 * bp_ops_nn.h - typed entry points of the convolutions, pooling and linear layers (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_NN_H_
#define BACKPLANE_BP_OPS_NN_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_NN_H_ */
