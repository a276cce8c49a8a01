#include "bp_cl_internal.h"
bp_status_t bp_cl_register_random(bp_cl_ctx_t *ctx) { (void)ctx; return BP_STATUS_OK; }
