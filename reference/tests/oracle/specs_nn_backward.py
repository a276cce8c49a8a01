"""Oracle specs: the backward kernels of the nn ops (family nn_backward).

Each op is compared with the ATen backward op it mirrors (torch.ops.aten.*)
or, where the ATen op's arguments differ from ours (padding='same'), with
torch.autograd.grad of the forward. The saved tensors the backward op takes
(softmax's output, max_pool2d's indices, the norms' mean/rstd) are made by
torch's forward in the case generator, as backward would get them.
bf16: torch's CPU backward kernels round intermediates; the reference
computes in double and rounds once, so the oracle is torch in f32
(upcast_half).
"""
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from oracle import Case, Spec, values

warnings.filterwarnings("ignore", category=UserWarning)

F3 = ("bf16", "f32", "f64")
F4 = ("f16", "bf16", "f32", "f64")
TD = {"f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32, "f64": torch.float64}
aten = torch.ops.aten


def ph(dtype):
    return (np.zeros((0,), dtype=np.float64 if dtype == "f64" else np.float32), dtype)


def tt(a, dtype):
    """numpy (as oracle.values makes it) -> torch tensor of dtype."""
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float64)).to(TD[dtype])


def back(t, dtype):
    """torch tensor -> numpy in the oracle's storage for dtype (bf16 as f32)."""
    t = t.to(TD[dtype]).detach()
    return t.float().numpy() if dtype == "bf16" else t.numpy()


def v(dtype, shape, rng, **kw):
    return values(dtype, shape, rng, edges=False, **kw)


# ---- softmax_backward, log_softmax_backward ----

def softmax_bw_cases(log):
    def cases(dtype, rng):
        for shape, dim in [((3, 5), 1), ((2, 3, 4), 0), ((2, 3, 4), -1), ((4,), 0), ((), 0), ((0, 3), 1)]:
            x = tt(v(dtype, shape, rng), dtype)
            y = (F.log_softmax if log else F.softmax)(x.double(), dim).to(TD[dtype])
            yield Case([(v(dtype, shape, rng), dtype), (back(y, dtype).reshape(shape), dtype)], {"dim": dim},
                       label=f"{shape} dim={dim}")
        yield Case([(v(dtype, (2, 3), rng), dtype), (v(dtype, (2, 3), rng), dtype)], {"dim": 2},
                   label="dim out of range (error)")
    return cases


def softmax_bw_torch(fn):
    def run(inputs, attrs):
        g, y = inputs
        if attrs["dim"] >= max(g.dim(), 1) or attrs["dim"] < -max(g.dim(), 1):
            raise RuntimeError("Dimension out of range")
        return fn(g, y, attrs["dim"], g.dtype)
    return run


# ---- gelu_backward ----

def gelu_bw_cases(dtype, rng):
    for shape in [(3, 4), (5,), (), (0, 2)]:
        for approx in (0, 1):
            yield Case([(v(dtype, shape, rng), dtype), (v(dtype, shape, rng), dtype)],
                       {"approximate": approx}, label=f"{shape} approximate={approx}")
    yield Case([(v(dtype, (3,), rng), dtype), (v(dtype, (3,), rng), dtype)], {"approximate": 2},
               label="approximate 2 (error)")


def gelu_bw_torch(inputs, attrs):
    if attrs["approximate"] not in (0, 1):
        raise RuntimeError("approximate must be 'none' or 'tanh'")
    return aten.gelu_backward(inputs[0], inputs[1], approximate="tanh" if attrs["approximate"] else "none")


# ---- conv2d_backward ----

def conv_out(size, k, s, p, d, same):
    eff = d * (k - 1) + 1
    return size if same else (size + 2 * p - eff) // s + 1


def conv2d_bw_cases(dtype, rng):
    configs = [
        # x shape, weight shape, stride, padding, dilation, groups, same
        ((2, 4, 6, 5), (6, 2, 3, 3), [2, 1], [1, 0], [1], 2, False),
        ((1, 3, 5, 5), (2, 3, 2, 3), [1], [0], [2, 1], 1, False),
        ((3, 7, 6), (4, 3, 3, 3), [1], [1], [1], 1, False),
        ((2, 2, 5, 6), (3, 2, 2, 3), [1], [], [2], 1, True),
        ((0, 2, 4, 4), (3, 2, 3, 3), [1], [1], [1], 1, False),
    ]
    for xs, ws, st, pd, dl, groups, same in configs:
        sp = []
        for i in range(2):
            at = lambda a, dflt: a[0] if len(a) == 1 else (a[i] if a else dflt)
            sp.append(conv_out(xs[-2 + i], ws[2 + i], at(st, 1), at(pd, 0), at(dl, 1), same))
        gs = ((xs[0],) if len(xs) == 4 else ()) + (ws[0],) + tuple(sp)
        attrs = {"stride": st, "padding": pd, "dilation": dl, "groups": groups, "padding_same": same}
        yield Case([(v(dtype, gs, rng), dtype), (v(dtype, xs, rng), dtype), (v(dtype, ws, rng), dtype)],
                   attrs, label=f"x{xs} w{ws} {attrs}")
    yield Case([(v(dtype, (1, 2, 3, 3), rng), dtype), (v(dtype, (1, 3, 5, 5), rng), dtype),
                (v(dtype, (2, 3, 3, 3), rng), dtype)], {}, label="grad_output shape wrong (error)")


def conv2d_bw_torch(inputs, attrs):
    g, x, w = inputs
    x = x.detach().requires_grad_()
    w = w.detach().requires_grad_()
    b = torch.zeros(w.shape[0], dtype=w.dtype, requires_grad=True)
    pad = "same" if attrs.get("padding_same") else (attrs.get("padding") or [0])
    out = F.conv2d(x, w, b, stride=attrs.get("stride") or 1, padding=pad if isinstance(pad, str) else tuple(pad) * (2 // len(pad)),
                   dilation=tuple(attrs.get("dilation") or [1]) * (2 // len(attrs.get("dilation") or [1])),
                   groups=attrs.get("groups", 1))
    if out.shape != g.shape:
        raise RuntimeError(f"grad_output shape {tuple(g.shape)} does not match {tuple(out.shape)}")
    return torch.autograd.grad(out, (x, w, b), g)


# ---- pools ----

def pool_torch_args(attrs):
    k = attrs["kernel_size"]
    k = k * 2 if len(k) == 1 else k
    s = attrs.get("stride") or k
    s = s * 2 if len(s) == 1 else s
    p = attrs.get("padding") or [0]
    p = p * 2 if len(p) == 1 else p
    return k, s, p


def max_pool_bw_cases(dtype, rng):
    for xs, attrs in [((2, 3, 6, 5), {"kernel_size": [2]}),
                      ((3, 7, 7), {"kernel_size": [3, 2], "stride": [2, 1], "padding": [1], "dilation": [1, 2]}),
                      ((1, 2, 5, 5), {"kernel_size": [2], "stride": [2], "ceil_mode": True}),
                      ((0, 2, 4, 4), {"kernel_size": [2]})]:
        x = v(dtype, xs, rng)
        k, s, p = pool_torch_args(attrs)
        d = attrs.get("dilation", [1])
        d = d * 2 if len(d) == 1 else d
        y, idx = F.max_pool2d(tt(x, dtype).float(), k, s, p, d, ceil_mode=attrs.get("ceil_mode", False),
                              return_indices=True)
        yield Case([(v(dtype, tuple(y.shape), rng), dtype), (x, dtype), (idx.numpy(), "i64")], attrs,
                   label=f"{xs} {attrs}")
    x = v(dtype, (1, 1, 4, 4), rng)
    yield Case([(v(dtype, (1, 1, 2, 2), rng), dtype), (x, dtype), (np.full((1, 1, 2, 2), 16, np.int64), "i64")],
               {"kernel_size": [2]}, label="index out of range (error)")


def max_pool_bw_torch(inputs, attrs):
    g, x, idx = inputs
    if idx.numel() and (idx.max() >= x.shape[-1] * x.shape[-2] or idx.min() < 0):
        raise RuntimeError("index out of range")
    k, s, p = pool_torch_args(attrs)
    d = attrs.get("dilation", [1])
    d = d * 2 if len(d) == 1 else d
    return aten.max_pool2d_with_indices_backward(g, x, k, s, p, d, attrs.get("ceil_mode", False), idx)


def avg_pool_bw_cases(dtype, rng):
    for xs, attrs in [((2, 3, 6, 5), {"kernel_size": [2]}),
                      ((3, 7, 7), {"kernel_size": [3], "stride": [2], "padding": [1]}),
                      ((3, 7, 7), {"kernel_size": [3], "stride": [2], "padding": [1], "count_include_pad": False}),
                      ((1, 2, 5, 5), {"kernel_size": [2], "stride": [2], "ceil_mode": True, "divisor_override": 3}),
                      ((0, 2, 4, 4), {"kernel_size": [2]})]:
        k, s, p = pool_torch_args(attrs)
        y = F.avg_pool2d(torch.zeros(xs), k, s, p, ceil_mode=attrs.get("ceil_mode", False))
        yield Case([(v(dtype, tuple(y.shape), rng), dtype), (v(dtype, xs, rng), dtype)], attrs, label=f"{xs} {attrs}")
    yield Case([(v(dtype, (1, 1, 3, 3), rng), dtype), (v(dtype, (1, 1, 4, 4), rng), dtype)],
               {"kernel_size": [2]}, label="grad_output shape wrong (error)")


def avg_pool_bw_torch(inputs, attrs):
    g, x = inputs
    k, s, p = pool_torch_args(attrs)
    ceil = attrs.get("ceil_mode", False)
    y = F.avg_pool2d(torch.zeros(x.shape), k, s, p, ceil_mode=ceil)
    if y.shape != g.shape:
        raise RuntimeError("grad_output shape does not match")
    return aten.avg_pool2d_backward(g, x, k, s, p, ceil, attrs.get("count_include_pad", True),
                                    attrs.get("divisor_override") or None)


def adaptive_bw_cases(dtype, rng):
    for xs, os in [((2, 3, 7, 5), (3, 2)), ((3, 4, 4), (4, 4)), ((1, 2, 5, 6), (1, 1)), ((0, 2, 4, 4), (2, 2))]:
        gs = xs[:-2] + os
        yield Case([(v(dtype, gs, rng), dtype), (v(dtype, xs, rng), dtype)], {}, label=f"{xs} -> {os}")


# ---- embedding_backward ----

def embedding_bw_cases(dtype, rng):
    for ishape, vsz, d in [((5,), 4, 3), ((2, 3), 6, 2), ((), 3, 4), ((0,), 3, 2)]:
        idx = rng.integers(0, vsz, ishape).astype(np.int64)
        g = v(dtype, ishape + (d,), rng)
        yield Case([(g, dtype), (idx, "i64")], {"num_weights": vsz}, label=f"{ishape} V={vsz}")
        yield Case([(g, dtype), (idx.astype(np.int32), "i32")], {"num_weights": vsz, "padding_idx": -1,
                   "has_padding_idx": True}, label=f"{ishape} V={vsz} padding -1 i32")
    yield Case([(v(dtype, (2, 3), rng), dtype), (np.array([0, 4]), "i64")], {"num_weights": 4},
               label="index 4 of 4 (error)")


def embedding_bw_torch(inputs, attrs):
    g, idx = inputs
    n = attrs["num_weights"]
    if idx.numel() and (idx.max() >= n or idx.min() < 0):
        raise RuntimeError("index out of range")
    p = attrs.get("padding_idx", 0) if attrs.get("has_padding_idx") else -1
    if p < 0 and attrs.get("has_padding_idx"):
        p += n
    return aten.embedding_dense_backward(g, idx.long(), n, p, False)


# ---- norms ----

def layer_norm_bw_cases(dtype, rng):
    for shape, ns in [((2, 3, 4), [4]), ((2, 3, 4), [3, 4]), ((5,), [5]), ((0, 4), [4])]:
        x = v(dtype, shape, rng)
        w = v(dtype, tuple(ns), rng)
        _, mean, rstd = torch.native_layer_norm(tt(x, dtype).double(), ns, None, None, 1e-5)
        for has_w in (True, False):
            yield Case([(v(dtype, shape, rng), dtype), (x, dtype), (back(mean, dtype), dtype),
                        (back(rstd, dtype), dtype), (w, dtype) if has_w else ph(dtype)],
                       {"normalized_shape": ns, "has_weight": has_w}, label=f"{shape} {ns} weight={has_w}")
    yield Case([(v(dtype, (2, 3), rng), dtype), (v(dtype, (2, 3), rng), dtype), (v(dtype, (2, 1), rng), dtype),
                (v(dtype, (2, 1), rng), dtype), ph(dtype)], {"normalized_shape": [4]}, label="mismatched shape (error)")


def layer_norm_bw_torch(inputs, attrs):
    g, x, mean, rstd, w = inputs
    ns = attrs["normalized_shape"]
    if list(x.shape[len(x.shape) - len(ns):]) != ns:
        raise RuntimeError("normalized_shape mismatch")
    w = w if attrs.get("has_weight") else torch.ones(ns, dtype=x.dtype)
    return aten.native_layer_norm_backward(g, x, ns, mean, rstd, w, torch.zeros(ns, dtype=x.dtype),
                                           [True, True, True])


def group_norm_bw_cases(dtype, rng):
    for shape, groups in [((2, 4, 3), 2), ((3, 6, 2, 2), 3), ((2, 4, 5), 1), ((0, 4, 3), 2)]:
        x = v(dtype, shape, rng)
        c = shape[1]
        _, mean, rstd = torch.native_group_norm(tt(x, dtype).double(), None, None, shape[0], c,
                                                int(np.prod(shape[2:])), groups, 1e-5)
        for has_w in (True, False):
            yield Case([(v(dtype, shape, rng), dtype), (x, dtype), (back(mean, dtype), dtype),
                        (back(rstd, dtype), dtype), (v(dtype, (c,), rng), dtype) if has_w else ph(dtype)],
                       {"num_groups": groups, "has_weight": has_w}, label=f"{shape} g={groups} weight={has_w}")
    yield Case([(v(dtype, (2, 4, 3), rng), dtype), (v(dtype, (2, 4, 3), rng), dtype), (v(dtype, (2, 3), rng), dtype),
                (v(dtype, (2, 3), rng), dtype), ph(dtype)], {"num_groups": 3}, label="groups do not divide C (error)")


def group_norm_bw_torch(inputs, attrs):
    g, x, mean, rstd, w = inputs
    n, c = x.shape[0], x.shape[1]
    groups = attrs["num_groups"]
    if c % groups:
        raise RuntimeError("groups must divide C")
    w = w if attrs.get("has_weight") else torch.ones(c, dtype=x.dtype)
    hw = int(np.prod(x.shape[2:]))
    return aten.native_group_norm_backward(g, x, mean, rstd, w, n, c, hw, groups, [True, True, True])


def batch_norm_bw_cases(dtype, rng):
    for shape in [(4, 3), (2, 3, 5), (3, 2, 2, 3)]:
        c = shape[1]
        x = v(dtype, shape, rng)
        w = v(dtype, (c,), rng)
        _, sm, si = torch.native_batch_norm(tt(x, dtype).double(), None, None, None, None, True, 0.1, 1e-5)
        rm = v(dtype, (c,), rng)
        rinv = 1.0 / np.sqrt(np.abs(v(dtype, (c,), rng)) + 0.5)
        for training in (True, False):
            mean, inv = (back(sm, dtype), back(si, dtype)) if training else (rm, back(torch.from_numpy(rinv), dtype))
            for has_w in (True, False):
                yield Case([(v(dtype, shape, rng), dtype), (x, dtype), (w, dtype) if has_w else ph(dtype),
                            (mean, dtype), (inv, dtype)], {"training": training, "has_weight": has_w},
                           label=f"{shape} training={training} weight={has_w}")
    yield Case([(v(dtype, (4, 3), rng), dtype), (v(dtype, (4, 3), rng), dtype), ph(dtype),
                (v(dtype, (2,), rng), dtype), (v(dtype, (2,), rng), dtype)], {"training": True},
               label="stats of the wrong size (error)")


def batch_norm_bw_torch(inputs, attrs):
    g, x, w, mean, inv = inputs
    c = x.shape[1]
    if mean.shape != (c,) or inv.shape != (c,):
        raise RuntimeError("stats shape")
    w = w if attrs.get("has_weight") else torch.ones(c, dtype=x.dtype)
    train = attrs.get("training", False)
    if train:
        return aten.native_batch_norm_backward(g, x, w, None, None, mean, inv, True, 0.0, [True, True, True])
    # eval: torch reads running_var (+ eps); hand it 1/inv^2 with eps 0
    return aten.native_batch_norm_backward(g, x, w, mean, inv.pow(-2), None, None, False, 0.0, [True, True, True])


SPECS = [
    Spec("softmax_backward", F3, softmax_bw_cases(False), softmax_bw_torch(aten._softmax_backward_data), upcast_half=True),
    Spec("log_softmax_backward", F3, softmax_bw_cases(True), softmax_bw_torch(aten._log_softmax_backward_data),
         upcast_half=True),
    Spec("gelu_backward", F3, gelu_bw_cases, gelu_bw_torch, upcast_half=True),
    Spec("conv2d_backward", F3, conv2d_bw_cases, conv2d_bw_torch, num_outputs=3, upcast_half=True),
    Spec("max_pool2d_backward", F3, max_pool_bw_cases, max_pool_bw_torch, upcast_half=True),
    Spec("avg_pool2d_backward", F3, avg_pool_bw_cases, avg_pool_bw_torch, upcast_half=True),
    Spec("adaptive_avg_pool2d_backward", F3, adaptive_bw_cases,
         lambda i, a: aten._adaptive_avg_pool2d_backward(i[0], i[1]), upcast_half=True),
    Spec("embedding_backward", F4, embedding_bw_cases, embedding_bw_torch, upcast_half=True),
    Spec("layer_norm_backward", F3, layer_norm_bw_cases, layer_norm_bw_torch, num_outputs=3, upcast_half=True),
    Spec("group_norm_backward", F3, group_norm_bw_cases, group_norm_bw_torch, num_outputs=3, upcast_half=True),
    Spec("batch_norm_backward", F3, batch_norm_bw_cases, batch_norm_bw_torch, num_outputs=3, upcast_half=True),
]
