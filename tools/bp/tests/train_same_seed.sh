#!/bin/sh
# train_same_seed.sh BP DEVICE PLUGIN - "The same seed on two devices gives
# the same loss curve within the dtype tolerance": runs the same short
# `bp train` on ref:0 and on DEVICE (loading only PLUGIN) and compares the
# per-epoch train loss and test accuracy. Run by ctest as train_same_seed_*;
# exits 77 (skipped) when DEVICE is not present on this machine.
#
# The run: the MLP (784-256-128-10, f32), SGD with momentum 0.9, lr 0.01,
# batch 64, 1280 training images (20 steps per epoch), 2 epochs, seed 3;
# every epoch is evaluated on all 10000 test images.
#
# The tolerances, and why:
#   loss:     |loss_dev - loss_ref| <= 1e-3 * |loss_ref| per epoch.
#   accuracy: |acc_dev - acc_ref| <= 0.10 percentage points (10 of 10000
#             test images) per epoch.
# Both devices compute in f32 from the same weights and batches (weights and
# shuffling come from the seed through the Philox ops, the same on every
# device). They differ only by rounding: ref:0 accumulates matmul and sum in
# double and rounds once, backends accumulate in f32 in their own order, so
# per-op results differ by about sqrt(K) * 2^-24 (K <= 784: ~2e-6 relative;
# measured after one forward and backward: gradients within 7.5e-7 of ref:0
# on onednn, 2.3e-7 on opencl and vulkan). Training amplifies such
# differences from step to step (measured on onednn: per-epoch mean loss
# differences of 6e-9, 4.5e-7, 3.4e-5 relative after 20, 40, 60 steps), so
# after these 40 steps f32 rounding accounts for ~1e-6; the printed loss
# has 4 decimals (1e-4 absolute, < 1e-4 relative here). 1e-3 leaves a
# margin of 100x and more for other hardware's accumulation orders, and
# still catches a systematic error of ~0.1% in the gradients or the
# update: on ref:0, lr 0.01001 instead of 0.01 (0.1%) moves epoch 2's loss
# by 9.4e-4 relative, lr 0.0101 (1%) by 6.3e-3. For accuracy, logits that
# differ by ~1e-6 relative flip the prediction of an image only when its
# top two logits are that close: a fraction of an image in expectation;
# 10 images allows for a few (the 0.1% lr change moved it by 0.08 points).
set -u
BP=${1:?usage: train_same_seed.sh BP DEVICE PLUGIN}
DEV=${2:?usage: train_same_seed.sh BP DEVICE PLUGIN}
PLUGIN=${3:?usage: train_same_seed.sh BP DEVICE PLUGIN}
LOSS_RTOL=1e-3
ACC_ATOL=0.10
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ARGS="--model mlp --epochs 2 --limit 1280 --seed 3"

if ! BP_PLUGINS="$PLUGIN" "$BP" devices >"$TMP/devices" 2>&1; then
  echo "FAIL: bp devices failed:"; cat "$TMP/devices"; exit 1
fi
if ! grep -q "^  $DEV " "$TMP/devices"; then
  echo "SKIP: no device $DEV here (BP_PLUGINS=$PLUGIN):"; cat "$TMP/devices"; exit 77
fi

run() { # run DEVICE PLUGINS OUT
  echo "\$ BP_PLUGINS=$2 bp train --device $1 $ARGS"
  start=$(date +%s)
  # shellcheck disable=SC2086
  if ! BP_PLUGINS="$2" "$BP" train --device "$1" $ARGS >"$3" 2>"$3.err"; then
    echo "FAIL: bp train on $1 failed:"; cat "$3" "$3.err"; exit 1
  fi
  cat "$3"
  echo "($(( $(date +%s) - start )) s)"
}
run ref:0 none "$TMP/ref"
run "$DEV" "$PLUGIN" "$TMP/dev"

# "epoch N: train loss L, test accuracy A% (...)" -> "N L A"
parse() { sed -n 's/^epoch \([0-9]*\): train loss \([0-9.eE+-]*\), test accuracy \([0-9.]*\)%.*/\1 \2 \3/p' "$1"; }
parse "$TMP/ref" >"$TMP/ref.curve"
parse "$TMP/dev" >"$TMP/dev.curve"
if [ "$(wc -l <"$TMP/ref.curve")" -ne 2 ] || [ "$(wc -l <"$TMP/dev.curve")" -ne 2 ]; then
  echo "FAIL: expected 2 epoch lines from each run"; exit 1
fi
paste -d' ' "$TMP/ref.curve" "$TMP/dev.curve" | awk -v rtol="$LOSS_RTOL" -v atol="$ACC_ATOL" -v dev="$DEV" '
  function abs(x) { return x < 0 ? -x : x }
  {
    dl = abs($5 - $2); da = abs($6 - $3)
    okl = dl <= rtol * abs($2); oka = da <= atol
    printf "epoch %d: loss ref:0 %s %s %s (|diff| %.3g, %s %.3g), accuracy %s%% vs %s%% (|diff| %.2f, %s %.2f)\n",
           $1, $2, dev, $5, dl, okl ? "<=" : "> bound", rtol * abs($2), $3, $6, da, oka ? "<=" : "> bound", atol
    if (!okl || !oka) bad = 1
  }
  END { if (bad) { print "FAIL: " dev " and ref:0 disagree beyond the tolerance"; exit 1 } print "ok: " dev " agrees with ref:0" }'
