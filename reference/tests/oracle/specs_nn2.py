"""Oracle specs: norms, softmax, indexing, losses, attention (the nn2 family).

Optional tensors: the catalog op always takes the slot plus a has_<arg>
attribute; an absent one is a 0-element placeholder here and None for torch.
torch 1.13 has neither F.rms_norm nor F.scaled_dot_product_attention: their
oracles are written by hand in torch (the formulas of torch 2.x's math path).
"""
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from oracle import ALL, Case, Spec, values

warnings.filterwarnings("ignore", category=UserWarning)

F3 = ("bf16", "f32", "f64")
RED = {0: "none", 1: "mean", 2: "sum"}


def ph(dtype):
    """A placeholder for an absent optional tensor."""
    return (np.zeros((0,), dtype=np.float32 if dtype == "bf16" else np.float64 if dtype == "f64" else np.float32), dtype)


def opt(inputs, i, attrs, key):
    return inputs[i] if attrs.get(key) else None


def index_errors(fn):
    """torch raises IndexError for some out-of-range indices; the oracle
    expects RuntimeError for 'torch refuses this call'."""
    def run(inputs, attrs):
        try:
            return fn(inputs, attrs)
        except (IndexError, ValueError) as e:
            raise RuntimeError(str(e)) from None
    return run


def ints(rng, low, high, shape):
    return rng.integers(low, high, shape).astype(np.int64)


# ---- batch_norm ----

def batch_norm_cases(dtype, rng):
    # no empty batch: torch 1.13's CPU batch_norm divides by zero on it (SIGFPE)
    for shape in [(4, 3), (2, 3, 5), (3, 2, 2, 3)]:
        c = shape[1]
        x = values(dtype, shape, rng, edges=False)
        w, b = values(dtype, (c,), rng, edges=False), values(dtype, (c,), rng, edges=False)
        rm = values(dtype, (c,), rng, edges=False)
        rv = np.abs(values(dtype, (c,), rng, edges=False)) + 0.5
        for training in (True, False):
            yield Case([(x, dtype), (w, dtype), (b, dtype), (rm, dtype), (rv, dtype)],
                       {"training": training, "momentum": 0.2, "eps": 1e-3, "has_weight": True,
                        "has_bias": True, "has_running_stats": True}, label=f"{shape} training={training}")
        yield Case([(x, dtype), ph(dtype), ph(dtype), ph(dtype), ph(dtype)],
                   {"training": True}, label=f"{shape} no weight/bias/stats")
    yield Case([(values(dtype, (1, 3), rng), dtype), ph(dtype), ph(dtype), ph(dtype), ph(dtype)],
               {"training": True}, label="one value per channel (error)")
    yield Case([(values(dtype, (2, 3), rng), dtype), ph(dtype), ph(dtype), ph(dtype), ph(dtype)],
               {"training": False}, label="eval without stats (error)")


def batch_norm_torch(inputs, attrs):
    x = inputs[0]
    training = attrs.get("training", False)
    rm, rv = opt(inputs, 3, attrs, "has_running_stats"), opt(inputs, 4, attrs, "has_running_stats")
    if training and x.numel() // x.shape[1] == 1:
        raise RuntimeError("Expected more than 1 value per channel when training")
    if not training and rm is None:
        raise RuntimeError("running_mean must be defined in evaluation mode")
    r = torch.native_batch_norm(x, opt(inputs, 1, attrs, "has_weight"), opt(inputs, 2, attrs, "has_bias"),
                                rm, rv, training, attrs.get("momentum", 0.1), attrs.get("eps", 1e-5))
    return r if training else r[0]


# ---- layer_norm, group_norm, rms_norm ----

def layer_norm_cases(dtype, rng):
    for shape, ns in [((2, 3, 4), [4]), ((2, 3, 4), [3, 4]), ((5,), [5]), ((0, 4), [4])]:
        x = values(dtype, shape, rng, edges=False)
        w, b = values(dtype, tuple(ns), rng, edges=False), values(dtype, tuple(ns), rng, edges=False)
        yield Case([(x, dtype), (w, dtype), (b, dtype)],
                   {"normalized_shape": ns, "eps": 1e-4, "has_weight": True, "has_bias": True}, label=f"{shape} {ns}")
        yield Case([(x, dtype), ph(dtype), ph(dtype)], {"normalized_shape": ns}, label=f"{shape} {ns} no affine")
    yield Case([(values(dtype, (2, 3), rng), dtype), ph(dtype), ph(dtype)], {"normalized_shape": [4]},
               label="mismatched shape (error)")
    x = values(dtype, (3, 8), rng, edges=False)
    x[1, 3] = np.nan  # (torch's Welford mean turns an inf into NaN; the reference's sum keeps inf)
    yield Case([(x, dtype), ph(dtype), ph(dtype)], {"normalized_shape": [8]}, label="a NaN row")


def layer_norm_torch(inputs, attrs):
    return torch.native_layer_norm(inputs[0], attrs["normalized_shape"], opt(inputs, 1, attrs, "has_weight"),
                                   opt(inputs, 2, attrs, "has_bias"), attrs.get("eps", 1e-5))


def group_norm_cases(dtype, rng):
    for shape, g in [((2, 4, 3), 2), ((3, 6, 4), 3), ((2, 4, 2, 2), 1), ((1, 4, 5), 4), ((0, 4, 3), 2)]:
        x = values(dtype, shape, rng, edges=False)
        c = shape[1]
        yield Case([(x, dtype), (values(dtype, (c,), rng, edges=False), dtype), (values(dtype, (c,), rng, edges=False), dtype)],
                   {"num_groups": g, "eps": 1e-4, "has_weight": True, "has_bias": True}, label=f"{shape} g={g}")
        yield Case([(x, dtype), ph(dtype), ph(dtype)], {"num_groups": g}, label=f"{shape} g={g} no affine")
    yield Case([(values(dtype, (2, 4, 3), rng), dtype), ph(dtype), ph(dtype)], {"num_groups": 3},
               label="groups do not divide C (error)")


def group_norm_torch(inputs, attrs):
    x = inputs[0]
    n, c = x.shape[0], x.shape[1]
    hw = x.numel() // (n * c) if n * c else int(np.prod(x.shape[2:]))
    g = attrs["num_groups"]
    if c % g:
        raise RuntimeError("Expected number of channels in input to be divisible by num_groups")
    return torch.native_group_norm(x, opt(inputs, 1, attrs, "has_weight"), opt(inputs, 2, attrs, "has_bias"),
                                   n, c, hw, g, attrs.get("eps", 1e-5))


def rms_norm_cases(dtype, rng):
    for shape, ns in [((2, 3, 4), [4]), ((2, 3, 4), [3, 4]), ((5,), [5]), ((0, 4), [4])]:
        x = values(dtype, shape, rng, edges=False)
        yield Case([(x, dtype), (values(dtype, tuple(ns), rng, edges=False), dtype)],
                   {"normalized_shape": ns, "eps": 1e-4, "has_eps": True, "has_weight": True}, label=f"{shape} {ns}")
        yield Case([(x, dtype), ph(dtype)], {"normalized_shape": ns, "eps": 1e-6, "has_eps": True},
                   label=f"{shape} {ns} no weight")
    if dtype != "bf16":  # default eps: finfo(dtype).eps
        yield Case([(values(dtype, (3, 4), rng, edges=False), dtype), ph(dtype)], {"normalized_shape": [4]},
                   label="default eps")


def rms_norm_torch(inputs, attrs):
    x, ns = inputs[0], attrs["normalized_shape"]
    eps = attrs["eps"] if attrs.get("has_eps") else torch.finfo(x.dtype).eps
    dims = list(range(x.dim() - len(ns), x.dim()))
    rstd = torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
    y = x * rstd
    if attrs.get("has_weight"):
        y = y * inputs[1]
    return y, rstd


# ---- softmax, log_softmax ----

def softmax_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    for dim in (0, 1, -1):
        yield Case([(x, dtype)], {"dim": dim}, label=f"dim={dim}")
    yield Case([(values(dtype, (), rng), dtype)], {"dim": 0}, label="0-dim")
    yield Case([(values(dtype, (0, 3), rng), dtype)], {"dim": 1}, label="empty")
    yield Case([(values(dtype, (2, 3), rng), dtype)], {"dim": 2}, label="dim out of range (error)")
    if dtype != "f64":
        yield Case([(values(dtype, (4, 5), rng, edges=False), dtype)], {"dim": 1, "dtype": ("dtype", "f64")},
                   label="dtype=f64")
    big = values(dtype, (2, 6), rng, edges=False, low=-80.0, high=80.0)
    big[0, :] = -np.inf
    yield Case([(big, dtype)], {"dim": 1}, label="large values, a row of -inf")


def softmax_torch(fn):
    def run(inputs, attrs):
        kw = {"dtype": torch.float64} if "dtype" in attrs else {}
        return fn(inputs[0], attrs.get("dim", -1), **kw)
    return run


# ---- indexing ----

def embedding_cases(dtype, rng):
    w = values(dtype, (5, 3), rng)
    for idt in ("i64", "i32"):
        for shape in [(4,), (2, 3), (), (0,)]:
            yield Case([(w, dtype), (ints(rng, 0, 5, shape).astype(np.int32 if idt == "i32" else np.int64), idt)],
                       label=f"indices {shape} {idt}")
    yield Case([(w, dtype), (np.array([1, 5], dtype=np.int64), "i64")], label="index 5 of 5 (error)")
    yield Case([(w, dtype), (np.array([-1], dtype=np.int64), "i64")], label="index -1 (error)")
    yield Case([(w, dtype), (np.array([0, 2], dtype=np.int64), "i64")], {"padding_idx": -1, "has_padding_idx": True},
               label="padding_idx")


def embedding_torch(inputs, attrs):
    pad = attrs["padding_idx"] if attrs.get("has_padding_idx") else None
    return F.embedding(inputs[1], inputs[0], padding_idx=pad)


def gather_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    yield Case([(x, dtype), (ints(rng, 0, 3, (2, 4, 5)), "i64")], {"dim": 0}, label="dim 0")
    yield Case([(x, dtype), (ints(rng, 0, 4, (3, 6, 2)), "i64")], {"dim": 1}, label="dim 1, index longer")
    yield Case([(x, dtype), (ints(rng, 0, 5, (2, 2, 3)), "i64")], {"dim": -1}, label="dim -1, smaller index")
    yield Case([(values(dtype, (), rng), dtype), (np.array(0, dtype=np.int64), "i64")], {"dim": 0}, label="0-dim")
    yield Case([(x, dtype), (np.zeros((0, 4, 5), dtype=np.int64), "i64")], {"dim": 0}, label="empty index")
    bad = ints(rng, 0, 3, (2, 4, 5))
    bad[1, 2, 3] = 3
    yield Case([(x, dtype), (bad, "i64")], {"dim": 0}, label="index 3 of 3 (error)")
    yield Case([(x, dtype), (ints(rng, 0, 3, (4, 4, 5)), "i64")], {"dim": 1}, label="index too big (error)")


def scatter_add_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    yield Case([(x, dtype), (ints(rng, 0, 3, (2, 4, 5)), "i64"), (values(dtype, (2, 4, 5), rng), dtype)],
               {"dim": 0}, label="dim 0")
    yield Case([(x, dtype), (ints(rng, 0, 4, (3, 6, 2)), "i64"), (values(dtype, (3, 7, 3), rng), dtype)],
               {"dim": 1}, label="dim 1, src larger")
    yield Case([(x, dtype), (ints(rng, 0, 5, (2, 2, 8)), "i64"), (values(dtype, (2, 2, 8), rng), dtype)],
               {"dim": -1}, label="dim -1")
    yield Case([(x, dtype), (np.zeros((0, 4, 5), dtype=np.int64), "i64"), (values(dtype, (0, 4, 5), rng), dtype)],
               {"dim": 0}, label="empty index")
    bad = ints(rng, 0, 3, (2, 4, 5))
    bad[0, 0, 0] = -1
    yield Case([(x, dtype), (bad, "i64"), (values(dtype, (2, 4, 5), rng), dtype)], {"dim": 0},
               label="index -1 (error)")


def index_select_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    for idt in ("i64", "i32"):
        for dim, n in [(0, 3), (1, 4), (-1, 5)]:
            idx = ints(rng, 0, n, (6,)).astype(np.int32 if idt == "i32" else np.int64)
            yield Case([(x, dtype), (idx, idt)], {"dim": dim}, label=f"dim {dim} {idt}")
    yield Case([(x, dtype), (np.array(2, dtype=np.int64), "i64")], {"dim": 0}, label="0-dim index")
    yield Case([(x, dtype), (np.zeros((0,), dtype=np.int64), "i64")], {"dim": 1}, label="empty index")
    yield Case([(values(dtype, (), rng), dtype), (np.array([0, 0], dtype=np.int64), "i64")], {"dim": 0}, label="0-dim x")
    yield Case([(x, dtype), (np.array([0, 4], dtype=np.int64), "i64")], {"dim": 1}, label="index 4 of 4 (error)")


def one_hot_cases(dtype, rng):
    for shape in [(5,), (2, 3), (), (0,)]:
        yield Case([(ints(rng, 0, 4, shape), "i64")], {"num_classes": 4}, label=f"{shape}")
    yield Case([(np.array([0, 4], dtype=np.int64), "i64")], {"num_classes": 4}, label="value 4 of 4 (error)")
    yield Case([(np.array([0, -1], dtype=np.int64), "i64")], {"num_classes": 4}, label="negative value (error)")


# ---- losses ----

def class_cases(dtype, rng, with_smoothing):
    c = 5
    shapes = [((4, c), (4,)), ((c,), ()), ((2, c, 3), (2, 3)), ((2, c, 2, 2), (2, 2, 2)), ((0, c), (0,))]
    for xs, ts in shapes:
        x = values(dtype, xs, rng, edges=False)
        if not with_smoothing:  # nll takes log-probabilities
            x = -np.abs(x)
        t = ints(rng, 0, c, ts)
        w = np.abs(values(dtype, (c,), rng, edges=False)) + 0.1
        for red in (0, 1, 2):
            base = {"reduction": red}
            yield Case([(x, dtype), (t, "i64"), ph(dtype)], dict(base), label=f"{xs} {RED[red]}")
            yield Case([(x, dtype), (t, "i64"), (w, dtype)], dict(base, has_weight=True), label=f"{xs} {RED[red]} weight")
        if t.size:
            ti = t.copy().reshape(-1)
            ti[0] = 2
            ti = ti.reshape(ts)
            for red in (0, 1, 2):
                yield Case([(x, dtype), (ti, "i64"), (w, dtype)], {"reduction": red, "ignore_index": 2, "has_weight": True},
                           label=f"{xs} {RED[red]} ignore_index")
    x = values(dtype, (3, c), rng, edges=False)
    yield Case([(x, dtype), (np.array([0, 5, 1], dtype=np.int64), "i64"), ph(dtype)], {}, label="target 5 of 5 (error)")
    yield Case([(x, dtype), (np.array([0, -100, 1], dtype=np.int64), "i64"), ph(dtype)], {}, label="default ignore_index")
    yield Case([(x, dtype), (np.array([-100, -100, -100], dtype=np.int64), "i64"), ph(dtype)], {}, label="all ignored")
    if with_smoothing:
        t = ints(rng, 0, c, (3,))
        t[1] = 1
        w = np.abs(values(dtype, (c,), rng, edges=False)) + 0.1
        for red in (0, 1, 2):
            for ls in (0.1, 1.0):
                yield Case([(x, dtype), (t, "i64"), ph(dtype)], {"reduction": red, "label_smoothing": ls},
                           label=f"{RED[red]} smoothing {ls}")
                yield Case([(x, dtype), (t, "i64"), (w, dtype)],
                           {"reduction": red, "label_smoothing": ls, "has_weight": True, "ignore_index": 1},
                           label=f"{RED[red]} smoothing {ls} weight ignore")
                yield Case([(x, dtype), (t, "i64"), ph(dtype)],
                           {"reduction": red, "label_smoothing": ls, "ignore_index": 1},
                           label=f"{RED[red]} smoothing {ls} ignore")
            p = np.abs(values(dtype, (3, c), rng, edges=False))
            yield Case([(x, dtype), (p, dtype), ph(dtype)], {"reduction": red}, label=f"{RED[red]} probabilities")
            yield Case([(x, dtype), (p, dtype), (w, dtype)], {"reduction": red, "label_smoothing": 0.2, "has_weight": True},
                       label=f"{RED[red]} probabilities smoothing weight")
        yield Case([(values(dtype, (3, c), rng), dtype), (t, "i64"), ph(dtype)], {}, label="edge values")


def nll_torch(inputs, attrs):
    return F.nll_loss(inputs[0], inputs[1], weight=opt(inputs, 2, attrs, "has_weight"),
                      ignore_index=attrs.get("ignore_index", -100), reduction=RED[attrs.get("reduction", 1)])


def ce_torch(inputs, attrs):
    return F.cross_entropy(inputs[0], inputs[1], weight=opt(inputs, 2, attrs, "has_weight"),
                           ignore_index=attrs.get("ignore_index", -100), reduction=RED[attrs.get("reduction", 1)],
                           label_smoothing=attrs.get("label_smoothing", 0.0))


def mse_cases(dtype, rng):
    for sa, sb in [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((), ()), ((0, 3), (0, 3)), ((3, 1), (1, 5))]:
        for red in (0, 1, 2):
            yield Case([(values(dtype, sa, rng), dtype), (values(dtype, sb, rng), dtype)], {"reduction": red},
                       label=f"{sa} {sb} {RED[red]}")
    if dtype != "f64":
        yield Case([(values(dtype, (3, 4), rng), dtype), (values("f64", (3, 4), rng), "f64")], {"reduction": 1},
                   label="with f64 target")


def mse_torch(inputs, attrs):
    return F.mse_loss(inputs[0], inputs[1], reduction=RED[attrs.get("reduction", 1)])


def bce_cases(dtype, rng):
    for shape in [(3, 4), (2, 3, 4), (), (0, 4)]:
        x = values(dtype, shape, rng)
        t = rng.uniform(0, 1, shape)
        t = values(dtype, shape, rng, edges=False) * 0 + t if len(shape) else np.array(t)
        t = t.astype(np.float32 if dtype != "f64" else np.float64)
        for red in (0, 1, 2):
            yield Case([(x, dtype), (t, dtype), ph(dtype), ph(dtype)], {"reduction": red}, label=f"{shape} {RED[red]}")
        if len(shape) >= 1:
            last = shape[-1]
            w = np.abs(values(dtype, (last,), rng, edges=False))
            pw = np.abs(values(dtype, (last,), rng, edges=False)) + 0.5
            for red in (0, 1):
                yield Case([(x, dtype), (t, dtype), (w, dtype), (pw, dtype)],
                           {"reduction": red, "has_weight": True, "has_pos_weight": True}, label=f"{shape} {RED[red]} weights")
                yield Case([(x, dtype), (t, dtype), ph(dtype), (pw, dtype)],
                           {"reduction": red, "has_pos_weight": True}, label=f"{shape} {RED[red]} pos_weight")
    yield Case([(values(dtype, (3, 4), rng), dtype), (values(dtype, (4,), rng), dtype), ph(dtype), ph(dtype)], {},
               label="target shape differs (error)")


def bce_torch(inputs, attrs):
    return F.binary_cross_entropy_with_logits(inputs[0], inputs[1], weight=opt(inputs, 2, attrs, "has_weight"),
                                              pos_weight=opt(inputs, 3, attrs, "has_pos_weight"),
                                              reduction=RED[attrs.get("reduction", 1)])


def sdpa_cases(dtype, rng):
    def t(shape):
        return (values(dtype, shape, rng, edges=False, low=-2.0, high=2.0), dtype)
    yield Case([t((2, 3, 4)), t((2, 5, 4)), t((2, 5, 6)), ph(dtype)], {}, label="batch 2, L3 S5")
    yield Case([t((3, 4)), t((5, 4)), t((5, 2)), ph(dtype)], {"scale": 0.3}, label="2-d, scale")
    yield Case([t((2, 1, 4, 3)), t((3, 4, 3)), t((1, 4, 2)), ph(dtype)], {}, label="broadcast batch")
    yield Case([t((2, 4, 3)), t((2, 4, 3)), t((2, 4, 3)), ph(dtype)], {"is_causal": True}, label="causal square")
    yield Case([t((2, 3, 3)), t((2, 5, 3)), t((2, 5, 3)), ph(dtype)], {"is_causal": True}, label="causal L<S")
    mask = rng.integers(0, 2, (3, 5)).astype(np.bool_)
    mask[:, 0] = True
    yield Case([t((2, 3, 4)), t((2, 5, 4)), t((2, 5, 6)), (mask, "bool")], {"has_attn_mask": True}, label="bool mask")
    fm = values(dtype, (2, 3, 5), rng, edges=False)
    yield Case([t((2, 3, 4)), t((2, 5, 4)), t((2, 5, 6)), (fm, dtype)], {"has_attn_mask": True}, label="float mask")
    yield Case([t((2, 0, 4)), t((2, 5, 4)), t((2, 5, 6)), ph(dtype)], {}, label="L = 0")
    yield Case([t((2, 3, 4)), t((2, 5, 3)), t((2, 5, 6)), ph(dtype)], {}, label="E differs (error)")


def sdpa_torch(inputs, attrs):
    q, k, v = inputs[0], inputs[1], inputs[2]
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError("E differs")
    scale = attrs.get("scale", 0.0) or 1.0 / np.sqrt(q.shape[-1])
    s = q @ k.transpose(-2, -1) * scale
    if attrs.get("is_causal"):
        keep = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        s = s.masked_fill(~keep, float("-inf"))
    if attrs.get("has_attn_mask"):
        m = inputs[3]
        s = s.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else s + m
    return torch.softmax(s, dim=-1) @ v


SPECS = [
    Spec("batch_norm", F3, batch_norm_cases, batch_norm_torch, num_outputs=3, upcast_half=True),
    Spec("layer_norm", F3, layer_norm_cases, layer_norm_torch, num_outputs=3, upcast_half=True),
    Spec("group_norm", F3, group_norm_cases, group_norm_torch, num_outputs=3, upcast_half=True),
    Spec("rms_norm", F3, rms_norm_cases, rms_norm_torch, num_outputs=2, upcast_half=True),
    Spec("softmax", F3, softmax_cases, index_errors(softmax_torch(F.softmax))),
    Spec("log_softmax", F3, softmax_cases, index_errors(softmax_torch(F.log_softmax)), upcast_half=True),
    Spec("embedding", ALL, embedding_cases, index_errors(embedding_torch)),
    Spec("gather", ALL, gather_cases, index_errors(lambda i, a: torch.gather(i[0], a["dim"], i[1]))),
    Spec("scatter_add", ALL, scatter_add_cases, index_errors(lambda i, a: torch.scatter_add(i[0], a["dim"], i[1], i[2]))),
    Spec("index_select", ALL, index_select_cases, index_errors(lambda i, a: torch.index_select(i[0], a["dim"], i[1]))),
    Spec("one_hot", ("i64",), one_hot_cases, index_errors(lambda i, a: F.one_hot(i[0], a["num_classes"]))),
    Spec("nll_loss", F3, lambda d, r: class_cases(d, r, False), index_errors(nll_torch), num_outputs=2),
    Spec("cross_entropy", F3, lambda d, r: class_cases(d, r, True), index_errors(ce_torch)),
    Spec("mse_loss", ("f16", "f32", "f64"), mse_cases, mse_torch, upcast_half=True),
    Spec("binary_cross_entropy_with_logits", F3, bce_cases, index_errors(bce_torch), upcast_half=True),
    Spec("scaled_dot_product_attention", F3, sdpa_cases, sdpa_torch, upcast_half=True),
]
