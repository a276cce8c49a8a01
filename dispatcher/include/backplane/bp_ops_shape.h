/*
 * bp_ops_shape.h - typed entry points of the shape, view and creation ops (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_SHAPE_H_
#define BACKPLANE_BP_OPS_SHAPE_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_SHAPE_H_ */
