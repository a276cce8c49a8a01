/*
 * torch_anchor.h - libtorch's cost for the same ops as `bp bench dispatch`,
 * the anchor its numbers are compared with.
 *
 * The anchor is a separate module, libbp_torch_anchor.so (torch_anchor.cpp),
 * built only when CMake finds libtorch (BP_HAVE_TORCH) and opened by
 * `bp bench` alone, so that the other commands neither pay libtorch's load
 * time nor need it installed. Its functions catch every C++ exception; none
 * crosses into C.
 */
#ifndef BPCLI_TORCH_ANCHOR_H_
#define BPCLI_TORCH_ANCHOR_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bpcli_torch bpcli_torch_t;

/* What the module exports (names as below, C linkage). */
/* "1.13.0": the libtorch version the module was built against. */
const char *bpcli_torch_version(void);
/* Sets libtorch to one thread and makes 1-element float CPU tensors a, b
 * and out. NULL on failure, with the reason in err. */
bpcli_torch_t *bpcli_torch_create(char *err, size_t err_size);
void bpcli_torch_free(bpcli_torch_t *t);
/* n times at::add(a, b) (a fresh output each time); 0 on success. */
int bpcli_torch_add_loop(void *t, uint64_t n);
/* n times at::add_out(out, a, b); 0 on success. */
int bpcli_torch_add_out_loop(void *t, uint64_t n);

/* The module as the C side sees it, opened with bpcli_torch_anchor_open. */
typedef struct bpcli_torch_anchor {
  const char *(*version)(void);
  bpcli_torch_t *(*create)(char *err, size_t err_size);
  void (*free)(bpcli_torch_t *t);
  int (*add_loop)(void *t, uint64_t n);
  int (*add_out_loop)(void *t, uint64_t n);
  void *dl; /* the module's dlopen handle (for further symbols) */
} bpcli_torch_anchor_t;

/* Opens the module next to the bp executable (../lib/backplane/ from its
 * folder); false with the reason in err when it cannot. The module stays
 * loaded until exit (libtorch does not unload cleanly). */
bool bpcli_torch_anchor_open(bpcli_torch_anchor_t *anchor, char *err, size_t err_size);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BPCLI_TORCH_ANCHOR_H_ */
