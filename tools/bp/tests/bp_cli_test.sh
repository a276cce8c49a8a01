#!/bin/sh
# bp_cli_test.sh BP - smoke tests of the `bp` tool: help, devices, ops, the
# exit codes of usage errors, and that `bp bench dispatch` runs (its timings
# are never checked). Run by ctest as the test bp_cli.
set -u
BP=${1:?usage: bp_cli_test.sh path/to/bp}
PYTHON=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok:   $*"; }

# expect_rc RC DESCRIPTION CMD... : runs CMD, output in $TMP/out and $TMP/err.
expect_rc() {
  want=$1; what=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  rc=$?
  if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"
  else fail "$what: exit $rc, expected $want"; sed 's/^/    /' "$TMP/err"; fi
}
expect_out() { # expect_out FILE TEXT DESCRIPTION
  if grep -qF -- "$2" "$1"; then pass "$3"; else fail "$3: no '$2' in"; sed 's/^/    /' "$1"; fi
}
expect_json() { # expect_json DESCRIPTION
  if "$PYTHON" -m json.tool "$TMP/out" >/dev/null 2>"$TMP/json_err"; then pass "$1 is JSON"
  else fail "$1 is not JSON:"; cat "$TMP/json_err"; fi
}

expect_rc 0 "bp --help" "$BP" --help
expect_out "$TMP/out" "BP_PLUGIN_PATH" "bp --help mentions BP_PLUGIN_PATH"
expect_rc 0 "bp help" "$BP" help
expect_rc 0 "bp help devices" "$BP" help devices
expect_out "$TMP/out" "usage: bp devices" "bp help devices shows its usage"
expect_rc 0 "bp --version" "$BP" --version
expect_out "$TMP/out" "plugin ABI 1." "bp --version names the ABI"
for cmd in devices ops bench new-backend doctor; do
  expect_rc 0 "bp $cmd --help" "$BP" "$cmd" --help
done

expect_rc 2 "bp with no command" "$BP"
expect_rc 2 "unknown command" "$BP" frobnicate
expect_out "$TMP/err" "frobnicate" "unknown command is named"
expect_rc 2 "unknown global flag" "$BP" --frobnicate
expect_rc 2 "bp devices --frobnicate" "$BP" devices --frobnicate
expect_out "$TMP/err" "--frobnicate" "unknown flag is named"
expect_out "$TMP/err" "usage: bp devices" "unknown flag prints the usage"
expect_rc 2 "bp ops --json --markdown" "$BP" ops --json --markdown
expect_rc 2 "bp bench (nothing to measure)" "$BP" bench
expect_rc 2 "bp bench dispatch --iters 0" "$BP" bench dispatch --iters 0

expect_rc 0 "bp devices" "$BP" devices
expect_out "$TMP/out" "ref:0" "bp devices lists ref:0"
expect_out "$TMP/out" "Default device:" "bp devices names the default device"
expect_rc 0 "bp devices --json" "$BP" devices --json
expect_json "bp devices --json"
"$PYTHON" - "$TMP/out" <<'PY' && pass "bp devices --json has ref:0 and the built-in plugin" || fail "bp devices --json content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["abi_version"].startswith("1."), d["abi_version"]
assert any(x["name"] == "ref:0" for x in d["devices"]), d["devices"]
assert any(p["builtin"] and p["state"] == "loaded" for p in d["plugins"]), d["plugins"]
assert d["default_device"], d
PY

expect_rc 0 "bp ops" "$BP" ops
expect_out "$TMP/out" "matmul" "bp ops lists matmul"
expect_rc 0 "bp ops --json" "$BP" ops --json
expect_json "bp ops --json"
"$PYTHON" - "$TMP/out" <<'PY' && pass "bp ops --json: ref implements add for f32" || fail "bp ops --json content"
import json, sys
d = json.load(open(sys.argv[1]))
add = next(o for o in d["ops"] if o["name"] == "add")
assert ["f32", "f32", "f32"] in add["kernels"]["ref"], add
PY
expect_rc 0 "bp ops --markdown" "$BP" ops --markdown
expect_out "$TMP/out" "bp ops --markdown" "bp ops --markdown says how it was generated"

expect_rc 0 "bp bench dispatch --iters 1000 (smoke, timings unchecked)" \
  "$BP" bench dispatch --iters 1000 --reps 2
expect_out "$TMP/out" "add (fresh output)" "bench prints the add row"
expect_rc 0 "bp bench dispatch --json" "$BP" bench dispatch --iters 100 --reps 1 --json
expect_json "bp bench dispatch --json"
expect_rc 0 "bp bench ops --quick (smoke, timings unchecked)" "$BP" bench ops --quick --reps 1
expect_out "$TMP/out" "matmul f32" "bench ops prints the matmul row"
expect_rc 0 "bp bench ops --quick --json" "$BP" bench ops --quick --reps 1 --json
expect_json "bp bench ops --json"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
