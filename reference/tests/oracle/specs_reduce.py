"""Oracle specs: reductions."""
import torch

import numpy as np

from oracle import ALL, FLOATS, TORCH_DTYPES, Case, Spec, values

DIMS = [[], [0], [-1], [0, 2], [1]]


def sum_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng, edges=False)
    for dims in DIMS:
        for keepdim in (False, True):
            yield Case([(x, dtype)], {"dim": dims, "keepdim": keepdim}, label=f"dim={dims} keepdim={keepdim}")
    yield Case([(values(dtype, (0, 4), rng), dtype)], {"dim": [0]}, label="empty extent")
    yield Case([(values(dtype, (), rng), dtype)], {}, label="0-dim")
    if dtype in ("i32", "f32"):
        yield Case([(x, dtype)], {"dim": [1], "dtype": ("dtype", "f64")}, label="dtype=f64")


def sum_torch(inputs, attrs):
    kw = {}
    if "dtype" in attrs:
        kw["dtype"] = torch.float64
    dims = attrs.get("dim", [])
    if not dims:
        r = torch.sum(inputs[0], **kw)
        if attrs.get("keepdim"):
            r = r.reshape([1] * inputs[0].dim())
        return r
    return torch.sum(inputs[0], dim=dims, keepdim=attrs.get("keepdim", False), **kw)


SPECS = [Spec("sum", ALL, sum_cases, sum_torch, upcast_half=True)]


# ---- reductions beyond sum ----
#
# Float results are checked against torch computing in f64 and rounding once
# to the result dtype: that is the reference's promise (double accumulation,
# one rounding), and torch's own f32 running products and sums differ from
# it by more than torch.testing's f32 rtol on long reductions. Integer,
# bool and index results are exact. Every spec runs all nine dtypes: dtypes
# torch refuses must be refused too.

import math  # noqa: E402

DIM_LISTS = [[], [0], [-1], [0, 2], [1], [-3, -1], [2, 0, 1]]
EMPTY_SHAPE = (0, 4)


def _dims_or_all(x, dims):
    """dims for torch calls that take a list; [] means every dim."""
    return list(dims) if dims else list(range(x.dim()))


def _f64(x):
    return x.double() if x.is_floating_point() else x


def _round_to(r, dtype):
    return r.to(dtype) if r.is_floating_point() else r


def _successive(fn, x, dims, keepdim):
    """fn(x, dim, keepdim=True) applied over each dim (torch 1.13 takes one
    dim at a time for prod/all/any); [] means all; 0-dim x reduces nothing."""
    if x.dim() == 0:
        return fn(x, 0, keepdim=False)
    dims = sorted({d % x.dim() for d in _dims_or_all(x, dims)})
    r = x
    for d in dims:
        r = fn(r, d, keepdim=True)
    if not keepdim:
        for d in reversed(dims):
            r = r.squeeze(d)
    return r


def dim_list_cases(dtype, rng, edges=True, low=-4.0, high=4.0, extra=None):
    x = values(dtype, (3, 4, 5), rng, edges=edges, low=low, high=high)
    for dims in DIM_LISTS:
        for keepdim in (False, True):
            attrs = {"dim": dims, "keepdim": keepdim}
            attrs.update(extra or {})
            yield Case([(x, dtype)], attrs, label=f"dim={dims} keepdim={keepdim}")
    e = values(dtype, EMPTY_SHAPE, rng)
    for dims in ([0], [1], []):
        attrs = {"dim": dims, "keepdim": True}
        attrs.update(extra or {})
        yield Case([(e, dtype)], attrs, label=f"empty dim={dims}")
    s = values(dtype, (), rng)
    for dims in ([], [0], [-1]):
        attrs = {"dim": dims}
        attrs.update(extra or {})
        yield Case([(s, dtype)], attrs, label=f"0-dim dim={dims}")
    long = values(dtype, (2, 3000), rng, edges=False, low=low, high=high)
    attrs = {"dim": [1]}
    attrs.update(extra or {})
    yield Case([(long, dtype)], attrs, label="long rows")


# mean

def mean_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    x = values(dtype, (3, 4), rng)
    yield Case([(x, dtype)], {"dim": [1], "dtype": ("dtype", "f64")}, label="dtype=f64")
    yield Case([(x, dtype)], {"dim": [0], "dtype": ("dtype", "f32")}, label="dtype=f32")
    yield Case([(x, dtype)], {"dim": [0], "dtype": ("dtype", "i64")}, label="dtype=i64 (refused)")


def mean_torch(inputs, attrs):
    x = inputs[0]
    dims, keepdim = attrs.get("dim", []), attrs.get("keepdim", False)
    if "dtype" in attrs:
        dt = TORCH_DTYPES[attrs["dtype"][1]]
        if not dt.is_floating_point:
            return torch.mean(x, dim=dims, dtype=dt)  # raises like bp
        x = x.to(dt)
    if not x.is_floating_point():
        return torch.mean(x, dim=dims)  # raises like bp
    return torch.mean(x.double(), dim=dims, keepdim=keepdim).to(x.dtype)


# prod

def prod_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng, edges=False, low=-1.9, high=1.9)
    yield Case([(values(dtype, (4, 10), rng, low=-1.5, high=1.5), dtype)], {"dim": [1]}, label="edge values")
    if dtype in ("i32", "f32"):
        x = values(dtype, (3, 4), rng, edges=False, low=-2, high=2)
        yield Case([(x, dtype)], {"dim": [1], "dtype": ("dtype", "f64")}, label="dtype=f64")


def prod_torch(inputs, attrs):
    x = inputs[0]
    dims, keepdim = attrs.get("dim", []), attrs.get("keepdim", False)
    if "dtype" in attrs:
        x = x.to(TORCH_DTYPES[attrs["dtype"][1]])
    out_dtype = x.dtype if x.is_floating_point() else torch.int64
    return _successive(torch.prod, _f64(x), dims, keepdim).to(out_dtype)


# amax, amin

def amax_torch_fn(fn):
    def f(inputs, attrs):
        x = inputs[0]
        return fn(x, dim=attrs.get("dim", []), keepdim=attrs.get("keepdim", False))
    return f


def amax_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    if dtype in FLOATS:
        x = values(dtype, (4, 6), rng, edges=False)
        x[1, 2] = np.nan
        x[2, :] = -np.inf
        x[3, 0] = np.nan
        x[3, 4] = np.inf
        yield Case([(x, dtype)], {"dim": [1]}, label="NaN and inf rows")
        yield Case([(x, dtype)], {"dim": [0]}, label="NaN and inf cols")


# max, min (values, indices over one dim)

ONE_DIMS = [0, 1, -1, 2]


def max_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    for d in ONE_DIMS:
        for keepdim in (False, True):
            yield Case([(x, dtype)], {"dim": d, "keepdim": keepdim}, label=f"dim={d} keepdim={keepdim}")
    ties = values(dtype, (4, 6), rng, edges=False, low=-1, high=1)
    if dtype in FLOATS:
        ties = np.round(ties).astype(ties.dtype)
        ties[0, 1] = np.nan
        ties[0, 4] = np.nan
        ties[2, 3] = np.nan
    elif dtype != "bool":
        ties = (ties % 3).astype(ties.dtype)
    yield Case([(ties, dtype)], {"dim": 1}, label="ties and NaN")
    yield Case([(ties, dtype)], {"dim": 0}, label="ties and NaN, dim 0")
    e = values(dtype, EMPTY_SHAPE, rng)
    yield Case([(e, dtype)], {"dim": 1}, label="empty, nonempty dim")
    yield Case([(e, dtype)], {"dim": 0}, label="empty dim (refused)")
    s = values(dtype, (), rng)
    yield Case([(s, dtype)], {"dim": 0}, label="0-dim")
    yield Case([(s, dtype)], {"dim": -1, "keepdim": True}, label="0-dim keepdim")


def max_torch_fn(fn):
    def f(inputs, attrs):
        r = fn(inputs[0], attrs.get("dim", 0), keepdim=attrs.get("keepdim", False))
        return (r.values, r.indices)
    return f


# argmax, argmin

def argmax_cases(dtype, rng):
    x = values(dtype, (3, 4, 5), rng)
    for keepdim in (False, True):
        yield Case([(x, dtype)], {"has_dim": False, "keepdim": keepdim}, label=f"flattened keepdim={keepdim}")
        for d in ONE_DIMS:
            yield Case([(x, dtype)], {"dim": d, "has_dim": True, "keepdim": keepdim},
                       label=f"dim={d} keepdim={keepdim}")
    ties = values(dtype, (4, 6), rng, edges=False, low=-1, high=1)
    if dtype in FLOATS:
        ties = np.round(ties).astype(ties.dtype)
        ties[0, 1] = np.nan
        ties[0, 4] = np.nan
    elif dtype != "bool":
        ties = (ties % 3).astype(ties.dtype)
    yield Case([(ties, dtype)], {"dim": 1, "has_dim": True}, label="ties and NaN")
    yield Case([(ties, dtype)], {"has_dim": False}, label="ties and NaN, flattened")
    e = values(dtype, EMPTY_SHAPE, rng)
    if dtype != "bool":  # torch skips its dtype check when there is nothing to do
        yield Case([(e, dtype)], {"dim": 1, "has_dim": True}, label="empty, nonempty dim")
    yield Case([(e, dtype)], {"dim": 0, "has_dim": True}, label="empty dim (refused)")
    yield Case([(e, dtype)], {"has_dim": False}, label="empty flattened (refused)")
    s = values(dtype, (), rng)
    yield Case([(s, dtype)], {"has_dim": False}, label="0-dim")
    yield Case([(s, dtype)], {"dim": 0, "has_dim": True, "keepdim": True}, label="0-dim dim 0")


def argmax_torch_fn(fn):
    def f(inputs, attrs):
        dim = attrs["dim"] if attrs.get("has_dim") else None
        return fn(inputs[0], dim=dim, keepdim=attrs.get("keepdim", False))
    return f


# var, std

def var_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    x = values(dtype, (3, 4, 5), rng, edges=False)
    for c in (0, 2, 4, 5, 7, -1):
        yield Case([(x, dtype)], {"dim": [1], "correction": c}, label=f"correction={c}")
    yield Case([(values(dtype, (3, 1), rng), dtype)], {"dim": [1]}, label="one element: NaN")
    yield Case([(np.ones((2, 2), dtype=x.dtype), dtype)], {"dim": [1], "correction": 2}, label="0/0")


def var_torch_fn(fn):
    def f(inputs, attrs):
        x = inputs[0]
        dims = attrs.get("dim", [])
        dim = _dims_or_all(x, dims) if x.dim() else None
        kw = dict(correction=attrs.get("correction", 1), keepdim=attrs.get("keepdim", False))
        if not x.is_floating_point():
            return fn(x, dim=dim, **kw)  # raises like bp
        return fn(x.double(), dim=dim, **kw).to(x.dtype)
    return f


# norm

NORM_PS = [2.0, 1.0, math.inf, -math.inf, 0.0, 3.0, 0.5, -1.0]


def norm_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    x = values(dtype, (3, 4, 5), rng)
    for p in NORM_PS:
        yield Case([(x, dtype)], {"p": p, "dim": [0, 2]}, label=f"p={p}")
        yield Case([(x, dtype)], {"p": p, "dim": [], "keepdim": True}, label=f"p={p} all")
        yield Case([(values(dtype, EMPTY_SHAPE, rng), dtype)], {"p": p, "dim": [0]}, label=f"p={p} empty")


def norm_torch(inputs, attrs):
    x = inputs[0]
    dims = attrs.get("dim", [])
    dim = _dims_or_all(x, dims) if x.dim() else None
    kw = dict(dim=dim, keepdim=attrs.get("keepdim", False))
    p = attrs.get("p", 2.0)
    if not x.is_floating_point():
        return torch.linalg.vector_norm(x, p, **kw)  # raises like bp
    return torch.linalg.vector_norm(x.double(), p, **kw).to(x.dtype)


# logsumexp

def logsumexp_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    if dtype in FLOATS:
        x = values(dtype, (5, 4), rng, edges=False)
        x[0, :] = -np.inf
        x[1, 1] = np.inf
        x[2, 2] = np.nan
        x[3, :] = [np.inf, -np.inf, np.inf, 1.0]
        x[4, :] = [60.0, 60.0, 59.0, -60.0]
        yield Case([(x, dtype)], {"dim": [1]}, label="inf, -inf rows, NaN, large")


def logsumexp_torch(inputs, attrs):
    x = inputs[0]
    out_dtype = x.dtype if x.is_floating_point() else torch.float32
    x = x.to(out_dtype).double()
    dims = attrs.get("dim", [])
    dim = _dims_or_all(x, dims) if x.dim() else 0
    return torch.logsumexp(x, dim, keepdim=attrs.get("keepdim", False)).to(out_dtype)


# all, any

def all_cases(dtype, rng):
    yield from dim_list_cases(dtype, rng)
    x = values(dtype, (4, 5), rng)
    x[0, :] = 0
    x[1, :] = 1
    if dtype in FLOATS:
        x[2, :] = [np.nan, 0.0, -0.0, 0.0, 0.0]
        x[3, :] = [-0.0, -0.0, 1e-40 if dtype == "f64" else -0.0, 0.0, 0.0]
    yield Case([(x, dtype)], {"dim": [1]}, label="zeros, ones, NaN, -0.0")


def all_torch_fn(fn):
    def f(inputs, attrs):
        x = inputs[0]
        return _successive(fn, x, attrs.get("dim", []), attrs.get("keepdim", False))
    return f


# cumsum, cumprod

def scan_cases(dtype, rng, low=-4.0, high=4.0, edges=True):
    x = values(dtype, (3, 4, 5), rng, edges=edges, low=low, high=high)
    for d in ONE_DIMS + [-3]:
        yield Case([(x, dtype)], {"dim": d}, label=f"dim={d}")
    yield Case([(values(dtype, EMPTY_SHAPE, rng), dtype)], {"dim": 0}, label="empty along dim")
    yield Case([(values(dtype, EMPTY_SHAPE, rng), dtype)], {"dim": 1}, label="empty across dim")
    yield Case([(values(dtype, (), rng), dtype)], {"dim": 0}, label="0-dim")
    yield Case([(values(dtype, (), rng), dtype)], {"dim": -1}, label="0-dim dim -1")
    yield Case([(x, dtype)], {"dim": 3}, label="dim out of range")
    yield Case([(values(dtype, (2, 2000), rng, edges=False, low=low, high=high), dtype)], {"dim": 1}, label="long")
    if dtype in ("i32", "f32"):
        yield Case([(x, dtype)], {"dim": 1, "dtype": ("dtype", "f64")}, label="dtype=f64")


def scan_torch_fn(fn):
    def f(inputs, attrs):
        x = inputs[0]
        if "dtype" in attrs:
            x = x.to(TORCH_DTYPES[attrs["dtype"][1]])
        out_dtype = x.dtype if x.is_floating_point() else torch.int64
        return fn(_f64(x), attrs.get("dim", 0)).to(out_dtype)
    return f


def _refusals(fn):
    """torch refuses some calls with IndexError (dim out of range); the
    runner matches refusals by RuntimeError."""
    def f(inputs, attrs):
        try:
            return fn(inputs, attrs)
        except IndexError as e:
            raise RuntimeError(str(e)) from e
    return f


SPECS += [
    Spec("mean", ALL, mean_cases, _refusals(mean_torch)),
    Spec("prod", ALL, prod_cases, _refusals(prod_torch)),
    Spec("amax", ALL, amax_cases, _refusals(amax_torch_fn(torch.amax))),
    Spec("amin", ALL, amax_cases, _refusals(amax_torch_fn(torch.amin))),
    Spec("max", ALL, max_cases, _refusals(max_torch_fn(torch.max)), num_outputs=2),
    Spec("min", ALL, max_cases, _refusals(max_torch_fn(torch.min)), num_outputs=2),
    Spec("argmax", ALL, argmax_cases, _refusals(argmax_torch_fn(torch.argmax))),
    Spec("argmin", ALL, argmax_cases, _refusals(argmax_torch_fn(torch.argmin))),
    Spec("var", ALL, var_cases, _refusals(var_torch_fn(torch.var))),
    Spec("std", ALL, var_cases, _refusals(var_torch_fn(torch.std))),
    Spec("norm", ALL, norm_cases, _refusals(norm_torch)),
    Spec("logsumexp", ALL, logsumexp_cases, _refusals(logsumexp_torch)),
    Spec("all", ALL, all_cases, _refusals(all_torch_fn(torch.all))),
    Spec("any", ALL, all_cases, _refusals(all_torch_fn(torch.any))),
    Spec("cumsum", ALL, scan_cases, _refusals(scan_torch_fn(torch.cumsum))),
    Spec("cumprod", ALL, lambda dt, rng: scan_cases(dt, rng, -1.5, 1.5), _refusals(scan_torch_fn(torch.cumprod))),
]
