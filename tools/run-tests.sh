#!/usr/bin/env bash
# Builds Backplane twice and runs the whole test suite on each build:
#   build/       optimized (RelWithDebInfo)
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer (BP_SANITIZE=ON)
# Exits non-zero on the first failure. Needs the packages of tools/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
  local dir=$1; shift
  echo "== configure $dir $*"
  cmake -S . -B "$dir" -G Ninja "$@"
  echo "== build $dir"
  cmake --build "$dir" -j "$jobs"
  echo "== test $dir"
  (cd "$dir" && ctest --output-on-failure -j "$jobs")
}

run_suite build
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  run_suite build-asan -DBP_SANITIZE=ON
echo "run-tests: all suites passed (optimized and ASan+UBSan)"
