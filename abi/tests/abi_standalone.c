/* Compiled with -pedantic -Werror: bp_abi.h must stand alone as C11. */
#include "backplane/bp_abi.h"

int bp_abi_standalone_check(void);
int bp_abi_standalone_check(void) { return (int)bp_abi_dtype_size(BP_DTYPE_F32); }
