/*
 * bp_ops_binary2.h - typed entry points of the binary elementwise ops beyond add/sub/mul/div (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_BINARY2_H_
#define BACKPLANE_BP_OPS_BINARY2_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_BINARY2_H_ */
