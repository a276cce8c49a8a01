// Compiled with -pedantic -Werror: bp_abi.h must stand alone as C++ too.
#include "backplane/bp_abi.h"

int bp_abi_standalone_check_cxx();
int bp_abi_standalone_check_cxx() { return static_cast<int>(bp_abi_dtype_size(BP_DTYPE_F64)); }
