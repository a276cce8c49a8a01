/*
 * bp_ops_unary.h - typed entry points of the unary elementwise ops (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_UNARY_H_
#define BACKPLANE_BP_OPS_UNARY_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_UNARY_H_ */
