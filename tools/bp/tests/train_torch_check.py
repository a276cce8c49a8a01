"""The models of `bp train` against torch.autograd, and `bp train`'s error
for a missing dataset.

For each model (mlp, cnn): `bp train --dump-grads DIR` initializes the
model from a seed, runs one forward and backward on the first B training
images and writes the parameters, the inputs, the logits, the loss and
every parameter's gradient. Here torch (Debian's python3-torch) computes
the same forward with torch.nn.functional (linear, relu, conv2d,
max_pool2d, cross_entropy) on the same weights and inputs, and
torch.autograd the gradients; each must match within f32 tolerance.

usage: train_torch_check.py path/to/bp [mlp] [cnn]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

NP = {"f32": np.float32, "i64": np.int64, "f64": np.float64}
RTOL, ATOL = 1e-4, 1e-5  # sums of hundreds of f32 products, in another order


def load(dirname):
    out, meta = {}, {}
    with open(os.path.join(dirname, "manifest.txt")) as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("model", "nn_formulas"):
                meta[parts[0]] = parts[1]
                continue
            name, dtype, shape = parts[0], parts[1], tuple(int(s) for s in parts[2:])
            a = np.fromfile(os.path.join(dirname, name + ".bin"), dtype=NP[dtype]).reshape(shape)
            out[name] = torch.from_numpy(a.copy())
    return out, meta


def torch_forward(model, t, params):
    x = t["x"]
    if model == "mlp":
        h = F.relu(F.linear(x, params["fc1.weight"], params["fc1.bias"]))
        h = F.relu(F.linear(h, params["fc2.weight"], params["fc2.bias"]))
        return F.linear(h, params["fc3.weight"], params["fc3.bias"])
    h = x.reshape(-1, 1, 28, 28)
    h = F.max_pool2d(F.relu(F.conv2d(h, params["conv1.weight"], params["conv1.bias"], padding=1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, params["conv2.weight"], params["conv2.bias"], padding=1)), 2)
    return F.linear(h.reshape(h.shape[0], -1), params["fc.weight"], params["fc.bias"])


def close(what, got, want, failures):
    if not torch.allclose(got, want, rtol=RTOL, atol=ATOL):
        err = (got - want).abs().max().item()
        failures.append(f"{what}: max abs error {err:.3g} (rtol {RTOL}, atol {ATOL})")
        return False
    return True


def check_model(bp, model, failures):
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run([bp, "train", "--model", model, "--seed", "3", "--batch-size", "16",
                            "--dump-grads", d], capture_output=True, text=True)
        if r.returncode != 0 and "no derivative formula yet" in r.stderr:
            # The nn formulas (conv2d, max_pool2d) land separately; until
            # then the model cannot train and there is nothing to compare.
            print(f"SKIP {model}: {r.stderr.strip()}")
            return
        if r.returncode != 0:
            failures.append(f"{model}: bp train --dump-grads failed: {r.stderr.strip()}")
            return
        t, meta = load(d)
    names = [n for n in t if n.startswith(("fc", "conv")) and not n.startswith("grad.")]
    params = {n: t[n].clone().requires_grad_(True) for n in names}
    logits = torch_forward(model, t, params)
    loss = F.cross_entropy(logits, t["labels"])
    grads = torch.autograd.grad(loss, [params[n] for n in names])
    ok = close(f"{model} logits", t["logits"], logits.detach(), failures)
    ok &= close(f"{model} loss", t["loss"], loss.detach(), failures)
    for n, g in zip(names, grads):
        ok &= close(f"{model} grad of {n}", t["grad." + n], g, failures)
    how = "linear/cross_entropy formulas" if meta.get("nn_formulas") == "1" else "composed linear/cross_entropy"
    print(f"{'ok  ' if ok else 'FAIL'} {model}: loss {loss.item():.5f}, logits and {len(names)} "
          f"gradients vs torch.autograd ({how})")


def check_missing_dataset(bp, failures):
    env = dict(os.environ, BP_FMNIST_DIR="/nonexistent/fashion-mnist")
    r = subprocess.run([bp, "train", "--epochs", "1"], capture_output=True, text=True, env=env)
    if r.returncode == 0 or "dataset-fashion-mnist" not in r.stderr:
        failures.append(f"missing dataset: exit {r.returncode}, stderr {r.stderr.strip()!r} "
                        "(expected a failure naming the package dataset-fashion-mnist)")
    else:
        print("ok   missing dataset: fails naming the Debian package")


def main():
    bp = sys.argv[1]
    models = sys.argv[2:] or ["mlp", "cnn"]
    torch.set_num_threads(1)
    failures = []
    for m in models:
        check_model(bp, m, failures)
    check_missing_dataset(bp, failures)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
