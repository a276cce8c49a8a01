/*
 * bp_conformance.h - the Backplane conformance suite, as a library.
 *
 * One entry point, shared by the `bp conformance` subcommand and the
 * stand-alone `bp-conformance` executable. It checks a plugin (or every
 * plugin the runtime finds) against the ABI rules of docs/abi.md and against
 * the reference backend, and writes a summary and, on request, JSON and
 * JUnit reports. docs/conformance.md is the user's guide.
 *
 *   bp conformance [--backend NAME | --plugin PATH] [--device DEV]
 *                  [--filter GLOB[,GLOB...]] [--tier quick|full] [--seed N]
 *                  [--json FILE] [--junit FILE] [--jobs N] [--timeout SEC]
 *                  [--run-known-failures] [--known-failures FILE]
 *                  [--list] [--verbose] [--help]
 *
 * Cases run in forked child processes with a per-case timeout, so a plugin
 * that crashes or hangs fails the case and the suite goes on. The calling
 * process itself never initializes the Backplane runtime (so it may fork
 * safely) and must be single-threaded when it calls this function.
 */
#ifndef BACKPLANE_BP_CONFORMANCE_H_
#define BACKPLANE_BP_CONFORMANCE_H_

#ifdef __cplusplus
extern "C" {
#endif

/* The suite's own version, written into every report. It changes whenever
 * a check is added or a tolerance changes, so two reports of the same
 * version are comparable. */
#define BP_CONFORMANCE_VERSION "1.0.0"

/* Runs the suite. argv[0] is the command's name ("conformance"); the rest
 * are the options above. Returns the process exit status: 0 when no case
 * failed, 1 when one did, 2 for a usage error or when nothing could be
 * tested. --help prints the usage to stdout and returns 0. */
int bp_conformance_main(int argc, char **argv);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* BACKPLANE_BP_CONFORMANCE_H_ */
