/* cmd_bench_autograd.c - `bp bench autograd` (placeholder, filled in below). */
#include "bp_cli.h"
int bpcli_bench_autograd(int iters, int reps, bool json) {
  (void)iters; (void)reps; (void)json;
  return BPCLI_EXIT_FAILURE;
}
