"""Gradient specs of the nn/linalg ops (the backward-kernels engineer's part
of the gradient oracle). grad_oracle.py imports GRAD_SPECS from here; run
alone (`BP_LIB=... python3 grad_specs_nn.py [--filter OP]`) it checks them
with its own small runner.

A GradSpec: op (catalog name), cases(dtype, rng) -> Cases (oracle.Case),
torch(inputs, attrs) -> output 0 (the differentiable output), grads: the
input slots whose gradients are compared (float inputs that torch can
differentiate; placeholders and index inputs are left out). Inputs sit away
from kinks (max ties, relu at 0) so gradients are well defined.
"""
import ctypes
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle import Case  # noqa: E402

RED = {0: "none", 1: "mean", 2: "sum"}


class GradSpec:
    def __init__(self, op, cases, torch_fn, grads, dtypes=("f32", "f64")):
        self.op, self.cases, self.torch, self.grads, self.dtypes = op, cases, torch_fn, grads, dtypes


def ph(dtype):
    return (np.zeros((0,), dtype=np.float64 if dtype == "f64" else np.float32), dtype)


def r(dtype, shape, rng, low=-2.0, high=2.0):
    a = rng.uniform(low, high, shape)
    return (a.astype(np.float64 if dtype == "f64" else np.float32), dtype)


def opt(i, a, k):
    return i if a.get(k) else None


def ints(rng, low, high, shape):
    return (rng.integers(low, high, shape).astype(np.int64), "i64")


# ---- cases ----

def linear_cases(d, rng):
    yield Case([r(d, (3, 4), rng), r(d, (5, 4), rng), r(d, (5,), rng)], {}, label="2-D")
    yield Case([r(d, (2, 3, 4), rng), r(d, (5, 4), rng), r(d, (5,), rng)], {}, label="3-D")
    yield Case([r(d, (4,), rng), r(d, (5, 4), rng), r(d, (5, 4), rng)], {"has_bias": False}, label="1-D no bias")


def conv_cases(nsp):
    def cases(d, rng):
        sp = (6,) * nsp
        yield Case([r(d, (2, 4) + sp, rng), r(d, (6, 2) + (3,) * nsp, rng), r(d, (6,), rng)],
                   {"stride": [2], "padding": [1], "groups": 2}, label="groups stride")
        yield Case([r(d, (3,) + sp, rng), r(d, (2, 3) + (2,) * nsp, rng), r(d, (2,), rng)],
                   {"dilation": [2]}, label="unbatched dilation")
        yield Case([r(d, (1, 2) + sp, rng), r(d, (3, 2) + (2,) * nsp, rng), r(d, (3, 2) + (2,) * nsp, rng)],
                   {"padding_same": True, "has_bias": False}, label="same no bias")
    return cases


def conv_torch(nsp):
    fn = F.conv1d if nsp == 1 else F.conv2d

    def run(i, a):
        tup = lambda k, dflt: tuple(a.get(k, [dflt])) * (nsp if len(a.get(k, [dflt])) == 1 else 1)
        pad = "same" if a.get("padding_same") else tup("padding", 0)
        return fn(i[0], i[1], i[2] if a.get("has_bias", True) else None, tup("stride", 1), pad,
                  tup("dilation", 1), a.get("groups", 1))
    return run


def conv_t_cases(d, rng):
    yield Case([r(d, (2, 4, 4, 3), rng), r(d, (4, 3, 3, 2), rng), r(d, (6,), rng)],
               {"stride": [2], "padding": [1], "output_padding": [1], "groups": 2}, label="groups")
    yield Case([r(d, (2, 3, 3), rng), r(d, (2, 2, 2, 2), rng), r(d, (2, 2, 2, 2), rng)],
               {"dilation": [2], "has_bias": False}, label="unbatched")


def conv_t_torch(i, a):
    t = lambda k, dflt: tuple(a.get(k, [dflt])) * (2 if len(a.get(k, [dflt])) == 1 else 1)
    return F.conv_transpose2d(i[0], i[1], i[2] if a.get("has_bias", True) else None, t("stride", 1),
                              t("padding", 0), t("output_padding", 0), a.get("groups", 1), t("dilation", 1))


def pool_cases(d, rng):
    # distinct values: no max ties
    x = (rng.permutation(2 * 3 * 7 * 6).reshape(2, 3, 7, 6) / 10.0).astype(np.float64 if d == "f64" else np.float32)
    yield Case([(x, d)], {"kernel_size": [2]}, label="k2")
    yield Case([(x, d)], {"kernel_size": [3], "stride": [2], "padding": [1]}, label="k3 s2 p1")
    yield Case([(x[0], d)], {"kernel_size": [2], "stride": [1], "ceil_mode": True}, label="unbatched ceil")


def pool_args(a):
    k = a["kernel_size"] * (2 if len(a["kernel_size"]) == 1 else 1)
    s = a.get("stride") or k
    s = s * (2 if len(s) == 1 else 1)
    p = a.get("padding", [0]) * (2 if len(a.get("padding", [0])) == 1 else 1)
    return k, s, p


def maxpool_torch(i, a):
    k, s, p = pool_args(a)
    return F.max_pool2d(i[0], k, s, p, ceil_mode=a.get("ceil_mode", False))


def avgpool_cases(d, rng):
    yield from pool_cases(d, rng)
    yield Case([r(d, (1, 2, 5, 5), rng)], {"kernel_size": [3], "stride": [2], "padding": [1],
                                           "count_include_pad": False}, label="no pad count")


def avgpool_torch(i, a):
    k, s, p = pool_args(a)
    return F.avg_pool2d(i[0], k, s, p, a.get("ceil_mode", False), a.get("count_include_pad", True))


def norm_affine_cases(kind):
    def cases(d, rng):
        if kind == "layer":
            for shape, ns in [((2, 3, 4), [4]), ((2, 3, 4), [3, 4])]:
                yield Case([r(d, shape, rng), r(d, tuple(ns), rng), r(d, tuple(ns), rng)],
                           {"normalized_shape": ns, "has_weight": True, "has_bias": True}, label=f"{shape} {ns}")
                yield Case([r(d, shape, rng), ph(d), ph(d)], {"normalized_shape": ns}, label=f"{shape} {ns} plain")
        elif kind == "group":
            yield Case([r(d, (2, 4, 3), rng), r(d, (4,), rng), r(d, (4,), rng)],
                       {"num_groups": 2, "has_weight": True, "has_bias": True}, label="affine")
            yield Case([r(d, (2, 6, 2, 2), rng), ph(d), ph(d)], {"num_groups": 3}, label="plain")
        elif kind == "rms":
            yield Case([r(d, (3, 5), rng), r(d, (5,), rng)], {"normalized_shape": [5], "has_weight": True}, label="w")
            yield Case([r(d, (2, 3, 4), rng), ph(d)], {"normalized_shape": [3, 4], "eps": 1e-5, "has_eps": True},
                       label="plain")
    return cases


def batch_norm_cases(d, rng):
    for shape in [(4, 3), (2, 3, 5)]:
        c = shape[1]
        rv = (np.abs(r(d, (c,), rng)[0]) + 0.5, d)
        for training in (True, False):
            yield Case([r(d, shape, rng), r(d, (c,), rng), r(d, (c,), rng), r(d, (c,), rng), rv],
                       {"training": training, "has_weight": True, "has_bias": True, "has_running_stats": True},
                       label=f"{shape} training={training}")
        yield Case([r(d, shape, rng), ph(d), ph(d), ph(d), ph(d)], {"training": True}, label=f"{shape} plain")


def batch_norm_torch(i, a):
    rm = i[3].detach().clone() if a.get("has_running_stats") else None
    rv = i[4].detach().clone() if a.get("has_running_stats") else None
    return F.batch_norm(i[0], rm, rv, opt(i[1], a, "has_weight"), opt(i[2], a, "has_bias"), a.get("training", False),
                        0.1, 1e-5)


def rms_torch(i, a):
    ns = a["normalized_shape"]
    dims = tuple(range(-len(ns), 0))
    eps = a.get("eps") if a.get("has_eps") else torch.finfo(i[0].dtype).eps
    y = i[0] * torch.rsqrt(i[0].pow(2).mean(dims, keepdim=True) + eps)
    return y * i[1] if a.get("has_weight") else y


def softmax_cases(d, rng):
    yield Case([r(d, (3, 5), rng)], {"dim": -1}, label="dim -1")
    yield Case([r(d, (2, 3, 4), rng)], {"dim": 0}, label="dim 0")


def unary_cases(attrs_list):
    def cases(d, rng):
        x = r(d, (4, 5), rng, -3, 3)
        x[0][np.abs(x[0]) < 0.05] = 0.5  # away from the kink at 0
        for attrs in attrs_list:
            yield Case([x], attrs, label=str(attrs))
    return cases


def embedding_cases(d, rng):
    yield Case([r(d, (6, 3), rng), ints(rng, 0, 6, (2, 4))], {}, label="plain")
    yield Case([r(d, (6, 3), rng), (np.array([0, 2, 2, 5, 2]), "i64")], {"padding_idx": 2, "has_padding_idx": True},
               label="padding_idx")


def index_cases(kind):
    def cases(d, rng):
        if kind == "gather":
            yield Case([r(d, (3, 4), rng), ints(rng, 0, 3, (2, 4))], {"dim": 0}, label="dim 0")
            yield Case([r(d, (3, 4), rng), ints(rng, 0, 4, (3, 6))], {"dim": 1}, label="dim 1 repeats")
        elif kind == "scatter_add":
            yield Case([r(d, (3, 4), rng), ints(rng, 0, 3, (2, 4)), r(d, (2, 4), rng)], {"dim": 0}, label="same")
            # (src larger than index: torch 1.13's own backward fails on it, so no oracle)
            yield Case([r(d, (3, 4), rng), ints(rng, 0, 4, (2, 3)), r(d, (2, 3), rng)], {"dim": -1}, label="dim -1")
        else:
            yield Case([r(d, (3, 4), rng), (np.array([2, 0, 2]), "i64")], {"dim": 0}, label="dim 0")
            yield Case([r(d, (3, 4), rng), (np.array([1, 3], dtype=np.int32), "i32")], {"dim": -1}, label="dim -1 i32")
    return cases


def class_cases(log_input, smoothing):
    def cases(d, rng):
        c = 5
        for xs, ts in [((4, c), (4,)), ((c,), ()), ((2, c, 3), (2, 3))]:
            x = r(d, xs, rng)
            if log_input:
                x = (-np.abs(x[0]) - 0.1, d)
            t = ints(rng, 0, c, ts)
            w = (np.abs(r(d, (c,), rng)[0]) + 0.1, d)
            for red in (0, 1, 2):
                yield Case([x, t, ph(d)], {"reduction": red}, label=f"{xs} {RED[red]}")
                tt = t[0].copy().reshape(-1)
                tt[0] = 2
                yield Case([x, (tt.reshape(ts), "i64"), w], {"reduction": red, "has_weight": True, "ignore_index": 2},
                           label=f"{xs} {RED[red]} weight ignore")
                if smoothing:
                    yield Case([x, t, w], {"reduction": red, "has_weight": True, "label_smoothing": 0.2},
                               label=f"{xs} {RED[red]} weight smoothing")
                    yield Case([x, (tt.reshape(ts), "i64"), ph(d)],
                               {"reduction": red, "ignore_index": 2, "label_smoothing": 0.2},
                               label=f"{xs} {RED[red]} smoothing ignore")
                    p = (np.abs(r(d, xs, rng)[0]), d)
                    yield Case([x, p, w], {"reduction": red, "has_weight": True, "label_smoothing": 0.1},
                               label=f"{xs} {RED[red]} probabilities")
    return cases


def nll_torch(i, a):
    return F.nll_loss(i[0], i[1], opt(i[2], a, "has_weight"), ignore_index=a.get("ignore_index", -100),
                      reduction=RED[a.get("reduction", 1)])


def ce_torch(i, a):
    return F.cross_entropy(i[0], i[1], opt(i[2], a, "has_weight"), ignore_index=a.get("ignore_index", -100),
                           reduction=RED[a.get("reduction", 1)], label_smoothing=a.get("label_smoothing", 0.0))


def mse_cases(d, rng):
    for sa, sb in [((3, 4), (3, 4)), ((2, 3, 4), (4,))]:
        for red in (0, 1, 2):
            yield Case([r(d, sa, rng), r(d, sb, rng)], {"reduction": red}, label=f"{sa} {sb} {RED[red]}")


def bce_cases(d, rng):
    for red in (0, 1, 2):
        x, t = r(d, (3, 4), rng), (rng.uniform(0, 1, (3, 4)).astype(np.float64 if d == "f64" else np.float32), d)
        yield Case([x, t, ph(d), ph(d)], {"reduction": red}, label=f"{RED[red]}")
        yield Case([x, t, r(d, (4,), rng), (np.abs(r(d, (4,), rng)[0]) + 0.5, d)],
                   {"reduction": red, "has_weight": True, "has_pos_weight": True}, label=f"{RED[red]} weights")


def bce_torch(i, a):
    return F.binary_cross_entropy_with_logits(i[0], i[1], opt(i[2], a, "has_weight"), reduction=RED[a.get("reduction", 1)],
                                              pos_weight=opt(i[3], a, "has_pos_weight"))


def sdpa_cases(d, rng):
    q, k, v = r(d, (2, 3, 4), rng), r(d, (2, 5, 4), rng), r(d, (2, 5, 6), rng)
    yield Case([q, k, v, ph(d)], {}, label="plain")
    yield Case([q, k, v, ph(d)], {"is_causal": True}, label="causal")
    yield Case([q, k, v, r(d, (3, 5), rng)], {"has_attn_mask": True}, label="float mask")
    yield Case([q, k, v, (rng.uniform(0, 1, (3, 5)) > 0.3) | (np.arange(5) == 0), "bool"][:3] +
               [((rng.uniform(0, 1, (3, 5)) > 0.3) | (np.arange(5) == 0), "bool")],
               {"has_attn_mask": True, "scale": 0.3}, label="bool mask")


def sdpa_torch(i, a):
    q, k, v = i[0], i[1], i[2]
    scale = a.get("scale") or 1.0 / np.sqrt(q.shape[-1])
    s = q @ k.transpose(-2, -1) * scale
    if a.get("is_causal"):
        m = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        s = s.masked_fill(~m, float("-inf"))
    if a.get("has_attn_mask"):
        m = i[3]
        s = s.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else s + m
    return torch.softmax(s, -1) @ v


GRAD_SPECS = [
    GradSpec("linear", linear_cases, lambda i, a: F.linear(i[0], i[1], i[2] if a.get("has_bias", True) else None), (0, 1, 2)),
    GradSpec("bmm", lambda d, rng: [Case([r(d, (2, 3, 4), rng), r(d, (2, 4, 5), rng)])], lambda i, a: torch.bmm(i[0], i[1]), (0, 1)),
    GradSpec("conv1d", conv_cases(1), conv_torch(1), (0, 1, 2)),
    GradSpec("conv2d", conv_cases(2), conv_torch(2), (0, 1, 2)),
    GradSpec("conv_transpose2d", conv_t_cases, conv_t_torch, (0, 1, 2)),
    GradSpec("max_pool2d", pool_cases, maxpool_torch, (0,)),
    GradSpec("avg_pool2d", avgpool_cases, avgpool_torch, (0,)),
    GradSpec("adaptive_avg_pool2d", lambda d, rng: [Case([r(d, (2, 3, 7, 5), rng)], {"output_size": [3, 2]})],
             lambda i, a: F.adaptive_avg_pool2d(i[0], a["output_size"]), (0,)),
    GradSpec("batch_norm", batch_norm_cases, batch_norm_torch, (0, 1, 2)),
    GradSpec("layer_norm", norm_affine_cases("layer"),
             lambda i, a: F.layer_norm(i[0], a["normalized_shape"], opt(i[1], a, "has_weight"), opt(i[2], a, "has_bias")), (0, 1, 2)),
    GradSpec("group_norm", norm_affine_cases("group"),
             lambda i, a: F.group_norm(i[0], a["num_groups"], opt(i[1], a, "has_weight"), opt(i[2], a, "has_bias")), (0, 1, 2)),
    GradSpec("rms_norm", norm_affine_cases("rms"), rms_torch, (0, 1)),
    GradSpec("softmax", softmax_cases, lambda i, a: F.softmax(i[0], a["dim"]), (0,)),
    GradSpec("log_softmax", softmax_cases, lambda i, a: F.log_softmax(i[0], a["dim"]), (0,)),
    GradSpec("gelu", unary_cases([{"approximate": 0}, {"approximate": 1}]),
             lambda i, a: F.gelu(i[0], approximate="tanh" if a["approximate"] else "none"), (0,)),
    GradSpec("silu", unary_cases([{}]), lambda i, a: F.silu(i[0]), (0,)),
    GradSpec("softplus", unary_cases([{}, {"beta": 2.0, "threshold": 1.5}]),
             lambda i, a: F.softplus(i[0], a.get("beta", 1.0), a.get("threshold", 20.0)), (0,)),
    GradSpec("elu", unary_cases([{}, {"alpha": 0.5}]), lambda i, a: F.elu(i[0], a.get("alpha", 1.0)), (0,)),
    GradSpec("leaky_relu", unary_cases([{}, {"negative_slope": 0.2}]),
             lambda i, a: F.leaky_relu(i[0], a.get("negative_slope", 0.01)), (0,)),
    GradSpec("embedding", embedding_cases,
             lambda i, a: F.embedding(i[1], i[0], a.get("padding_idx") if a.get("has_padding_idx") else None), (0,)),
    GradSpec("gather", index_cases("gather"), lambda i, a: torch.gather(i[0], a["dim"], i[1]), (0,)),
    GradSpec("scatter_add", index_cases("scatter_add"), lambda i, a: torch.scatter_add(i[0], a["dim"], i[1], i[2]), (0, 2)),
    GradSpec("index_select", index_cases("index_select"), lambda i, a: torch.index_select(i[0], a["dim"], i[1]), (0,)),
    GradSpec("nll_loss", class_cases(True, False), nll_torch, (0,)),
    # the target too: probability targets are differentiable (class indices are not)
    GradSpec("cross_entropy", class_cases(False, True), ce_torch, (0, 1)),
    GradSpec("mse_loss", mse_cases, lambda i, a: F.mse_loss(*torch.broadcast_tensors(i[0], i[1]), reduction=RED[a["reduction"]]), (0, 1)),
    # torch 1.13 refuses gradients for weight and pos_weight; Backplane gives them (not compared)
    GradSpec("binary_cross_entropy_with_logits", bce_cases, bce_torch, (0, 1)),
    GradSpec("scaled_dot_product_attention", sdpa_cases, sdpa_torch, (0, 1, 2, 3)),
]


# ---- a small runner (grad_oracle.py has the full one) ----

TOL = {"f32": (1e-4, 1e-5), "f64": (1e-7, 1e-7)}


def _main():
    import argparse
    import bp_ctypes
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", default="")
    args = ap.parse_args()
    lib = bp_ctypes.Lib()
    c = lib.c
    vp = ctypes.c_void_p
    c.bp_tensor_set_requires_grad.argtypes = [vp, ctypes.c_bool]
    c.bp_backward.argtypes = [vp, vp, vp]
    c.bp_tensor_grad.argtypes = [vp]
    c.bp_tensor_grad.restype = vp
    passed = failed = 0
    for spec in GRAD_SPECS:
        if args.filter not in spec.op:
            continue
        for d in spec.dtypes:
            rng = np.random.default_rng(0)
            for n, case in enumerate(spec.cases(d, rng)):
                where = f"{spec.op} {d} case {n} {case.label}"
                made = []
                try:
                    ins = []
                    for (a, dt) in case.inputs:
                        t = lib.tensor(np.asarray(a), dt)
                        made.append(t)
                        ins.append(t)
                    float_in = [k for k in spec.grads if case.inputs[k][1] in ("f32", "f64") and np.asarray(case.inputs[k][0]).size]
                    for k in float_in:
                        lib.check(c.bp_tensor_set_requires_grad(ins[k], True))
                    nout = {"max_pool2d": 2, "batch_norm": 3, "layer_norm": 3, "group_norm": 3, "rms_norm": 2,
                            "nll_loss": 2}.get(spec.op, 1)
                    outs = lib.run(spec.op, ins, case.attrs, num_outputs=nout)
                    made += outs
                    tins = []
                    for k, (a, dt) in enumerate(case.inputs):
                        t = torch.from_numpy(np.asarray(a).copy())
                        if dt == "bool":
                            t = t.bool()
                        if k in float_in:
                            t.requires_grad_()
                        tins.append(t)
                    want_out = spec.torch(tins, case.attrs)
                    g = torch.from_numpy(np.random.default_rng(1).uniform(-1, 1, tuple(want_out.shape))).to(want_out.dtype)
                    gt = lib.tensor(g.numpy(), d)
                    made.append(gt)
                    lib.check(c.bp_backward(outs[0], gt, None))
                    want = torch.autograd.grad(want_out, [tins[k] for k in float_in], g, allow_unused=True)
                    rt, at = TOL[d]
                    for k, w in zip(float_in, want):
                        gp = c.bp_tensor_grad(ins[k])
                        w = torch.zeros_like(tins[k]) if w is None else w
                        if not gp:
                            if w.abs().max() > 0:
                                raise AssertionError(f"input {k}: no gradient, torch has one")
                            continue
                        got = lib.numpy(ctypes.c_void_p(gp))
                        if got.shape != tuple(w.shape):
                            raise AssertionError(f"input {k}: shape {got.shape} vs {tuple(w.shape)}")
                        if not np.allclose(got, w.numpy(), rtol=rt, atol=at, equal_nan=True):
                            err = np.nanmax(np.abs(got - w.numpy()))
                            raise AssertionError(f"input {k}: max error {err}")
                    passed += 1
                except Exception as e:  # noqa: BLE001
                    failed += 1
                    print(f"FAIL {where}: {type(e).__name__}: {e}")
                finally:
                    lib.release(*made)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
