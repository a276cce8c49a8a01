"""Oracle specs: unary elementwise ops.

Every op runs every dtype: where torch refuses a dtype (neg of bool,
leaky_relu of an integer, ...) Backplane must refuse it too, and where it
takes one the results must agree. f16/bf16 compare with torch in f32
rounded once (upcast_half): the reference computes half types in f32, and
torch 1.13 lacks most f16 CPU kernels anyway.
"""
import numpy as np
import torch
import torch.nn.functional as F

from oracle import ALL, FLOATS, INTS, Case, Spec, representable, values

SHAPES = [(3, 4), (2, 3, 5), (), (0, 3), (17,)]
HALVES = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.25, -0.75, 1e-3, 123.456, -98.765, 3.0]


def plain_cases(dtype, rng, attrs=None):
    for shape in SHAPES:
        yield Case([(values(dtype, shape, rng), dtype)], attrs, label=f"{shape}")
    if dtype in FLOATS:
        # wide range: overflow and underflow of exp, large arguments of sin
        yield Case([(values(dtype, (6, 7), rng, low=-100.0, high=100.0), dtype)], attrs, label="wide")
        x = np.array(HALVES)
        yield Case([(np.asarray(representable(x, dtype), dtype=np.float32 if dtype == "bf16" else
                                 {"f16": np.float16, "f32": np.float32, "f64": np.float64}[dtype]).reshape(3, 4),
                     dtype)], attrs, label="halves")


def with_attrs(*attr_sets):
    def cases(dtype, rng):
        for attrs in attr_sets:
            yield from plain_cases(dtype, rng, dict(attrs))
    return cases


def simple(fn):
    return lambda inputs, attrs: fn(inputs[0])


def round_cases(dtype, rng):
    yield from plain_cases(dtype, rng)
    for d in (2, -1):
        yield Case([(values(dtype, (4, 5), rng, low=-500.0, high=500.0), dtype)], {"decimals": d},
                   label=f"decimals={d}")


def torch_round(inputs, attrs):
    d = attrs.get("decimals", 0)
    return torch.round(inputs[0], decimals=d) if d else torch.round(inputs[0])


def clamp_cases(dtype, rng):
    if dtype in FLOATS:
        bounds = [(-1.5, 2.25), (-1.5, None), (None, 0.5), (3.0, 1.0)]
    else:
        lo, hi = (0, 60) if dtype in ("u8", "bool") else (-20, 60)
        bounds = [(lo, hi), (lo, None), (None, hi), (50, 10), (None, None), (-0.5, None)]
        if dtype == "u8":
            bounds += [(-5, None), (300, None)]  # torch wraps -5 (251) and refuses 300
        if dtype == "i8":
            bounds += [(None, 200)]  # overflow
    for lo, hi in bounds:
        attrs = {}
        if lo is not None:
            attrs.update(min=lo, has_min=True)
        if hi is not None:
            attrs.update(max=hi, has_max=True)
        x = values(dtype, (5, 6), rng, edges=(lo is None or hi is None or lo <= hi))
        yield Case([(x, dtype)], attrs, label=f"min={lo} max={hi}")
    yield Case([(values(dtype, (), rng), dtype)], {"min": 1, "has_min": True}, label="0-dim")
    yield Case([(values(dtype, (0, 2), rng), dtype)], {"max": 1, "has_max": True}, label="empty")


def torch_clamp(inputs, attrs):
    return torch.clamp(inputs[0], min=attrs["min"] if attrs.get("has_min") else None,
                       max=attrs["max"] if attrs.get("has_max") else None)


def gelu_torch(inputs, attrs):
    return F.gelu(inputs[0], approximate="tanh" if attrs.get("approximate", 0) == 1 else "none")


def gelu_cases(dtype, rng):
    yield from with_attrs({}, {"approximate": 1})(dtype, rng)
    yield Case([(values(dtype, (2, 2), rng), dtype)], {"approximate": 2}, label="bad approximate")


def bad_gelu(inputs, attrs):
    if attrs.get("approximate", 0) not in (0, 1):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return gelu_torch(inputs, attrs)


def spec(op, fn, cases=plain_cases):
    return Spec(op, ALL, cases, fn, upcast_half=True)


SPECS = [
    spec("neg", simple(torch.neg)),
    spec("abs", simple(torch.abs)),
    spec("sign", simple(torch.sign)),
    spec("exp", simple(torch.exp)),
    spec("log", simple(torch.log)),
    spec("log1p", simple(torch.log1p)),
    spec("expm1", simple(torch.expm1)),
    spec("sqrt", simple(torch.sqrt)),
    spec("rsqrt", simple(torch.rsqrt)),
    spec("reciprocal", simple(torch.reciprocal)),
    spec("sin", simple(torch.sin)),
    spec("cos", simple(torch.cos)),
    spec("tanh", simple(torch.tanh)),
    spec("sigmoid", simple(torch.sigmoid)),
    spec("relu", simple(torch.relu)),
    spec("leaky_relu", lambda i, a: F.leaky_relu(i[0], a.get("negative_slope", 0.01)),
         with_attrs({}, {"negative_slope": 0.2}, {"negative_slope": -1.5})),
    spec("elu", lambda i, a: F.elu(i[0], a.get("alpha", 1.0)), with_attrs({}, {"alpha": 0.5})),
    spec("gelu", bad_gelu, gelu_cases),
    spec("silu", simple(F.silu)),
    spec("softplus", lambda i, a: F.softplus(i[0], a.get("beta", 1.0), a.get("threshold", 20.0)),
         with_attrs({}, {"beta": 2.0, "threshold": 5.0}, {"beta": 0.5})),
    spec("erf", simple(torch.erf)),
    spec("floor", simple(torch.floor)),
    spec("ceil", simple(torch.ceil)),
    spec("round", torch_round, round_cases),
    spec("trunc", simple(torch.trunc)),
    spec("clamp", torch_clamp, clamp_cases),
    spec("logical_not", simple(torch.logical_not)),
    spec("isnan", simple(torch.isnan)),
    spec("isinf", simple(torch.isinf)),
]
