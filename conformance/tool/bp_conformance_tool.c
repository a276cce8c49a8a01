/* bp-conformance: the conformance suite as a stand-alone executable, for
 * CI and for vendors without the `bp` tool. Same options as
 * `bp conformance` (see --help). */
#include "backplane/bp_conformance.h"

int main(int argc, char **argv) {
  char name[] = "conformance";
  if (argc > 0) argv[0] = name;
  return bp_conformance_main(argc, argv);
}
