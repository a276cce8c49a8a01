/*
 * bp_ops_random.h - typed entry points of the random-number ops (part of backplane.h;
 * include that instead). Each runs the catalog op of the same name.
 */
#ifndef BACKPLANE_BP_OPS_RANDOM_H_
#define BACKPLANE_BP_OPS_RANDOM_H_

#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_OPS_RANDOM_H_ */
