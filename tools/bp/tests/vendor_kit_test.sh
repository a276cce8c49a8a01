#!/bin/sh
# vendor_kit_test.sh BUILD_DIR CMAKE GENERATOR C_COMPILER - the out-of-tree
# vendor walk, as a new vendor would do it, in a temporary folder:
#   1. cmake --install the SDK into a temporary prefix;
#   2. bp new-backend acme (the installed bp);
#   3. configure and build the generated project against the prefix only;
#   4. load it with BP_PLUGIN_PATH (bp devices lists acme:0): the walk's
#      time from step 2 to here is printed;
#   5. bp conformance --plugin on it: ABI and memory pass, the other ops are
#      reported as falling back to ref:0;
#   6. bp doctor on broken copies: a truncated file, a missing dependency,
#      a BP_PLUGINS filter; and on the healthy plugin (exit 0).
# Run by ctest as the test vendor_kit.
set -u
BUILD=${1:?usage: vendor_kit_test.sh BUILD_DIR CMAKE GENERATOR C_COMPILER}
CMAKE=${2:-cmake}
GENERATOR=${3:-Unix Makefiles}
CC_PATH=${4:-cc}
SRC=$(cd "$(dirname "$0")/../../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }
now() { date +%s.%N; }
# run DESCRIPTION CMD...: output in $TMP/out (stdout and stderr).
run() {
  what=$1; shift
  if "$@" >"$TMP/out" 2>&1; then pass "$what"; return 0; fi
  fail "$what (exit $?)"; sed 's/^/    /' "$TMP/out" | tail -40; return 1
}
expect_out() { # expect_out TEXT DESCRIPTION
  if grep -qF -- "$1" "$TMP/out"; then pass "$2"; else fail "$2: no '$1' in"; sed 's/^/    /' "$TMP/out" | tail -40; fi
}
# The walk must not see this build or a caller's settings.
unset BP_PLUGIN_PATH BP_PLUGINS BP_DEVICE BP_FALLBACK BP_LOG BP_CONFORMANCE_KNOWN_FAILURES \
      CMAKE_PREFIX_PATH Backplane_DIR

PREFIX=$TMP/prefix
run "cmake --install into a temporary prefix" "$CMAKE" --install "$BUILD" --prefix "$PREFIX" || exit 1
BP=$PREFIX/bin/bp
for f in include/backplane/bp_abi.h include/backplane/backplane.h lib/libbackplane.so \
         lib/cmake/Backplane/BackplaneConfig.cmake lib/pkgconfig/backplane.pc bin/bp; do
  if [ -e "$PREFIX/$f" ]; then pass "installed $f"; else fail "not installed: $f"; fi
done

mkdir -p "$TMP/work"
cd "$TMP/work" || exit 1
start=$(now)
run "bp new-backend acme" "$BP" new-backend acme || exit 1
for f in CMakeLists.txt src/acme.c README.md known-failures/acme.txt; do
  if [ -f "acme/$f" ]; then pass "generated acme/$f"; else fail "not generated: acme/$f"; fi
done
# -Werror is on in the generated project: it must build warning-free.
run "configure the generated project against the prefix only" \
  "$CMAKE" -S acme -B acme/build -G "$GENERATOR" -DCMAKE_C_COMPILER="$CC_PATH" \
    -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF || exit 1
run "build the generated project (-Wall -Wextra -Werror)" "$CMAKE" --build acme/build || exit 1
run "bp devices with BP_PLUGIN_PATH" env BP_PLUGIN_PATH="$TMP/work/acme/build" BP_PLUGINS=acme "$BP" devices
end=$(now)
expect_out "acme:0" "the acme plugin is loaded and acme:0 listed"
printf "WALK: bp new-backend to a loaded plugin took %.2f s %s\n" "$(echo "$end - $start" | bc)" \
  "(generate, configure, build, load)"

# Built from the prefix, never from the source tree.
if grep -rqF "$SRC" acme/build/CMakeCache.txt acme/build/CMakeFiles/bp_acme.dir 2>/dev/null; then
  fail "the generated project's build mentions the source tree $SRC"
else
  pass "the generated project's build uses the prefix only"
fi

PLUGIN=$TMP/work/acme/build/libbp_acme.so
run "bp conformance --plugin (exit 0)" "$BP" conformance --plugin "$PLUGIN" \
  --known-failures acme/known-failures/acme.txt --jobs 2 --json "$TMP/conf.json"
expect_out "PASSED" "conformance passes"
expect_out "FALLBACK acme:0:" "conformance reports the ops that fall back to ref:0"
python3 - "$TMP/conf.json" <<'PY' && pass "every abi/ and memory/ case passed" || fail "abi/memory cases"
import json, sys
cases = json.load(open(sys.argv[1]))["cases"]
am = [c for c in cases if c["name"].startswith(("abi/", "memory/"))]
bad = [c["name"] + ": " + c["status"] for c in am if c["status"] != "pass"]
assert len(am) >= 20 and not bad, (len(am), bad)
assert any(c["name"].startswith("ops/add/f32/") and c["status"] == "pass" for c in cases)
PY

run "bp doctor acme (healthy, exit 0)" env BP_PLUGIN_PATH="$TMP/work/acme/build" "$BP" doctor acme
expect_out "OK loaded acme" "bp doctor says the healthy plugin loads"

# Broken copy 1: cut short, as by an interrupted copy.
mkdir -p broken
head -c 4096 "$PLUGIN" > broken/libbp_acme.so
"$BP" doctor "$TMP/work/broken/libbp_acme.so" >"$TMP/out" 2>&1
[ $? -eq 1 ] && pass "bp doctor on a truncated copy exits 1" || fail "bp doctor on a truncated copy: exit not 1"
expect_out "PROBLEM not a shared library" "bp doctor: a truncated copy is not a shared library"

# Broken copy 2: the project linked against a vendor library that is then
# missing at run time.
cp -r acme acme_dep && rm -rf acme_dep/build
cat >>acme_dep/CMakeLists.txt <<'CM'
file(WRITE ${PROJECT_BINARY_DIR}/vendor.c "int acme_vendor_version(void) { return 1; }\n")
add_library(acme_vendor SHARED ${PROJECT_BINARY_DIR}/vendor.c)
set_target_properties(acme_vendor PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/vendor)
target_link_libraries(bp_acme PRIVATE acme_vendor)
# Keep the dependency although no symbol of it is used yet.
target_link_options(bp_acme PRIVATE -Wl,--no-as-needed)
CM
run "build a copy that needs libacme_vendor.so" sh -c \
  "'$CMAKE' -S acme_dep -B acme_dep/build -G '$GENERATOR' -DCMAKE_C_COMPILER='$CC_PATH' -DCMAKE_PREFIX_PATH='$PREFIX' && '$CMAKE' --build acme_dep/build"
rm -rf acme_dep/build/vendor
BP_PLUGIN_PATH="$TMP/work/acme_dep/build" "$BP" doctor acme >"$TMP/out" 2>&1
[ $? -eq 1 ] && pass "bp doctor on a missing dependency exits 1" || fail "bp doctor on a missing dependency: exit not 1"
expect_out "PROBLEM missing dependency" "bp doctor names the cause: missing dependency"
expect_out "needs libacme_vendor.so" "bp doctor names the library dlopen could not find"
expect_out "LD_LIBRARY_PATH" "bp doctor says how to make it findable"

# Filtered out by BP_PLUGINS.
BP_PLUGIN_PATH="$TMP/work/acme/build" BP_PLUGINS=-acme "$BP" doctor acme >"$TMP/out" 2>&1
[ $? -eq 1 ] && pass "bp doctor on a filtered plugin exits 1" || fail "bp doctor on a filtered plugin: exit not 1"
expect_out "PROBLEM filtered out: BP_PLUGINS=-acme" "bp doctor names the variable that filters it out"

# A bad name gets a clear error.
"$BP" new-backend 9lives >"$TMP/out" 2>&1
[ $? -eq 2 ] && pass "bp new-backend 9lives exits 2" || fail "bp new-backend 9lives: exit not 2"
expect_out "cannot be a plugin name" "bp new-backend explains a bad name"

[ "$failures" -eq 0 ] && echo "vendor kit: all checks passed" || echo "vendor kit: $failures failed"
[ "$failures" -eq 0 ]
