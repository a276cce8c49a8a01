"""Oracle specs: random numbers (uniform, normal, bernoulli, dropout).

Torch cannot be the oracle here: Backplane's stream (Philox4x32-10 keyed by
(seed, offset), defined in reference/src/ref_random.h) is not torch's. Each
spec has a `check` instead, which verifies:
  - the exact stream: every element equals an independent numpy
    re-implementation of the definition below (bit for bit; normal within
    one ulp of the dtype, as libm's log/cos may differ in the last bit), in
    every output/input layout, so strides never change the numbers;
  - bit-identity of two runs with the same seed and offset, and a different
    stream for another offset;
  - the distribution on n = 1e5 draws: mean and variance within 6 standard
    errors, and a Kolmogorov-Smirnov statistic below the bound for a false
    failure probability of 1e-9 (plus the dtype's rounding), bernoulli and
    dropout frequencies within 6 standard errors;
  - dropout's scaling (x / (1 - p) or x * 0) and identity without train;
  - refused calls (from > to, std < 0, p outside [0, 1]).
"""
import math

import numpy as np
import torch

import bp_ctypes
from oracle import FLOATS, ALL, Case, Spec, values

# ---- the stream, re-implemented from its definition ----

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK32 = np.uint64(0xFFFFFFFF)


def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on arrays of counters (uint64 holding 32-bit words)."""
    c = [np.asarray(x, dtype=np.uint64) for x in (c0, c1, c2, c3)]
    k0, k1 = np.uint64(k0), np.uint64(k1)
    for _ in range(10):
        p0 = np.uint64(M0) * c[0]
        p1 = np.uint64(M1) * c[2]
        c = [(p1 >> np.uint64(32)) ^ c[1] ^ k0, p1 & MASK32, (p0 >> np.uint64(32)) ^ c[3] ^ k1, p0 & MASK32]
        k0 = (k0 + np.uint64(W0)) & MASK32
        k1 = (k1 + np.uint64(W1)) & MASK32
    return c


# Random123's known answers: the re-implementation is Philox4x32-10.
for _ctr, _key, _want in [
        ((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
        ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
        ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
         (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))]:
    assert tuple(int(w) for w in philox(*_ctr, *_key)) == _want, "Philox4x32-10 known answer"


def blocks(seed, offset, b):
    """Words of blocks offset + b (b an array) of the call with this seed."""
    seed, counter = seed % 2**64, (np.uint64(offset % 2**64) + np.asarray(b, dtype=np.uint64))
    zero = np.zeros_like(counter)
    return philox(counter & MASK32, counter >> np.uint64(32), zero, zero, seed & 0xFFFFFFFF, seed >> 32)


def words1(seed, offset, n):
    """Word i%4 of block i/4 for i < n."""
    i = np.arange(n, dtype=np.uint64)
    w = blocks(seed, offset, i // np.uint64(4))
    return np.choose((i % np.uint64(4)).astype(np.int64), w)


def unit53(a, b):
    return ((a << np.uint64(32)) | b) >> np.uint64(11)


def round_to(v, dtype):
    """float64 or float32 values rounded to dtype, as float64 (bf16 via f32:
    only used on f32 values or on doubles whose f32 rounding is harmless)."""
    if dtype == "f16":
        return np.asarray(v).astype(np.float16).astype(np.float64)
    if dtype == "bf16":
        return bp_ctypes.bf16_bits_to_f32(bp_ctypes.f32_to_bf16_bits(np.asarray(v, dtype=np.float32))).astype(np.float64)
    if dtype == "f32":
        return np.asarray(v).astype(np.float32).astype(np.float64)
    return np.asarray(v, dtype=np.float64)


def uniform_stream(n, dtype, frm, to, seed, offset):
    if dtype == "f64":
        i = np.arange(n, dtype=np.uint64)
        w = blocks(seed, offset, i // np.uint64(2))
        k = (i % np.uint64(2)).astype(np.int64)
        u = unit53(np.choose(2 * k, w), np.choose(2 * k + 1, w)).astype(np.float64) * 2.0**-53
        return frm + (to - frm) * u
    u = (words1(seed, offset, n) >> np.uint64(8)).astype(np.float32) * np.float32(2.0**-24)
    f, t = np.float32(frm), np.float32(to)
    return round_to(f + (t - f) * u, dtype)


def normal_stream(n, dtype, mean, std, seed, offset):
    i = np.arange(n, dtype=np.uint64)
    w = blocks(seed, offset, i // np.uint64(2))
    u1 = (unit53(w[0], w[1]) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = unit53(w[2], w[3]).astype(np.float64) * 2.0**-53
    # math's (the C library's) log/sqrt/cos/sin: numpy's vectorized ones may
    # be a few ulps off.
    r = np.frompyfunc(lambda u: math.sqrt(-2.0 * math.log(u)), 1, 1)(u1).astype(np.float64)
    t = 2.0 * math.pi * u2
    even = i % np.uint64(2) == 0
    z = r * np.where(even, np.frompyfunc(math.cos, 1, 1)(t), np.frompyfunc(math.sin, 1, 1)(t)).astype(np.float64)
    return round_to(mean + std * z, dtype), np.abs(mean) + std * np.abs(z)


def bernoulli_stream(p, seed, offset):
    """p: float64 values (exactly the dtype's), broadcast already."""
    u24 = (words1(seed, offset, p.size) >> np.uint64(8)).astype(np.float64)
    return (u24 < p.reshape(-1) * 2.0**24).reshape(p.shape)


def dropout_stream(x, dtype, p, seed, offset):
    u24 = (words1(seed, offset, x.size) >> np.uint64(8)).astype(np.float64)
    keep = (u24 < (1.0 - p) * 2.0**24).reshape(x.shape)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    with np.errstate(invalid="ignore", over="ignore"):
        if dtype == "f64":
            return x * np.where(keep, scale, 0.0), keep
        xf = np.asarray(x, dtype=np.float32)
        return round_to(xf * np.where(keep, np.float32(scale), np.float32(0.0)), dtype), keep


# ---- comparisons and statistics ----

ULP1 = {"f16": 2.0**-10, "bf16": 2.0**-7, "f32": 2.0**-23, "f64": 2.0**-52}


def same_bits(a, b):
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def exact(got, want, what):
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if g.shape != w.shape:
        return f"{what}: shape {g.shape}, expected {w.shape}"
    bad = ~((g == w) & (np.signbit(g) == np.signbit(w)) | (np.isnan(g) & np.isnan(w)))
    if bad.any():
        k = tuple(np.argwhere(bad)[0])
        return f"{what}: element {k} is {g[k]!r}, the stream definition gives {w[k]!r}"
    return None


def within_ulp(got, want, scale, dtype, what):
    """|got - want| within one ulp of the dtype at the result, or at scale
    (the size of the terms, where mean + std * z cancels)."""
    g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    lim = ULP1[dtype] * np.maximum(np.maximum(np.abs(w), scale.reshape(w.shape)), 2.0**-14) * 1.01
    bad = np.abs(g - w) > lim
    if bad.any():
        k = tuple(np.argwhere(bad)[0])
        return f"{what}: element {k} is {g[k]!r}, the stream definition gives {w[k]!r}"
    return None


def ks_bound(n, extra=0.0):
    """Dvoretzky-Kiefer-Wolfowitz: P(D > eps) <= 2 exp(-2 n eps^2) = 1e-9."""
    return math.sqrt(math.log(2 / 1e-9) / (2 * n)) + extra


def ks_statistic(sample, cdf):
    x = np.sort(np.asarray(sample, dtype=np.float64).reshape(-1))
    n = x.size
    f = cdf(x)
    return max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(0, n) / n))


def check_moments(v, mean, var, mu4, what):
    n = v.size
    m, s2 = float(np.mean(v)), float(np.var(v))
    if abs(m - mean) > 6 * math.sqrt(var / n):
        return f"{what}: mean {m:.5g}, expected {mean:.5g} +- {6 * math.sqrt(var / n):.3g}"
    if abs(s2 - var) > 6 * math.sqrt((mu4 - var * var) / n) + 1e-12:
        return f"{what}: variance {s2:.5g}, expected {var:.5g}"
    return None


def expect_refusal(run, attrs, needle):
    try:
        run(attrs)
    except bp_ctypes.BpError as e:
        return None if needle in e.message else f"refused with '{e.message}', expected '{needle}'"
    return f"accepted {attrs}; expected a refusal naming '{needle}'"


def first(*msgs):
    return next((m for m in msgs if m), None)


SEED = 0x0123456789ABCDEF
BIG = (100, 1000)

# ---- uniform ----


def uniform_cases(dtype, rng):
    yield Case([], {"from": -2.0, "to": 3.0, "seed": SEED, "offset": 7}, outputs=[((3, 5), dtype)], label="stream")
    yield Case([], {"from": 0.0, "to": 1.0, "seed": -5, "offset": 2**62}, outputs=[((2, 3, 4), dtype)], label="stream 3-d")
    yield Case([], {"seed": 3}, outputs=[((), dtype)], label="0-dim")
    yield Case([], {"seed": 3}, outputs=[((0, 4), dtype)], label="empty")
    yield Case([], {"from": -1.0, "to": 3.0, "seed": 42, "offset": 0}, outputs=[(BIG, dtype)], label="distribution")
    yield Case([], {"seed": 1}, outputs=[((4,), dtype)], label="refusals")


def uniform_check(run, case, dtype):
    a = case.attrs
    if case.label == "refusals":
        return first(expect_refusal(run, {"from": 1.0, "to": 0.0}, "bp_uniform: expects a [from, to) range"),
                     expect_refusal(run, {"to": math.inf}, "bp_uniform: from and to must be finite"))
    (got,) = run()
    frm, to = a.get("from", 0.0), a.get("to", 1.0)
    want = uniform_stream(got.size, dtype, frm, to, a["seed"], a.get("offset", 0)).reshape(got.shape)
    (again,) = run()
    msg = first(exact(got, want, "stream"), None if same_bits(got, again) else "two runs differ")
    if msg or got.size < 4:
        return msg
    (other,) = run({"offset": a.get("offset", 0) + 1})
    if np.array_equal(other, got):
        return "offset + 1 gives the same numbers"
    if case.label != "distribution":
        return None
    v = (got.astype(np.float64).reshape(-1) - frm) / (to - frm)
    if v.min() < 0 or v.max() > 1:
        return f"values outside [from, to]: {v.min()}, {v.max()}"
    quant = ULP1[dtype] * max(abs(frm), abs(to)) / (to - frm)
    d = ks_statistic(v, lambda x: np.clip(x, 0, 1))
    return first(check_moments(v, 0.5, 1 / 12, 1 / 80, "uniform"),
                 None if d <= ks_bound(v.size, quant) else f"KS statistic {d:.4g} > {ks_bound(v.size, quant):.4g}")


# ---- normal ----


def normal_cases(dtype, rng):
    yield Case([], {"mean": 0.5, "std": 2.0, "seed": SEED, "offset": 3}, outputs=[((3, 5), dtype)], label="stream")
    yield Case([], {"seed": 9, "offset": 2**64 - 1 - 2**63}, outputs=[((7,), dtype)], label="stream odd")
    yield Case([], {"mean": -1.0, "std": 0.0, "seed": 9}, outputs=[((2, 3), dtype)], label="std 0")
    yield Case([], {"seed": 3}, outputs=[((), dtype)], label="0-dim")
    yield Case([], {"seed": 3}, outputs=[((3, 0), dtype)], label="empty")
    yield Case([], {"mean": 1.5, "std": 2.0, "seed": 7, "offset": 11}, outputs=[(BIG, dtype)], label="distribution")
    yield Case([], {"seed": 1}, outputs=[((4,), dtype)], label="refusals")


def std_normal_cdf(x):
    return torch.special.ndtr(torch.from_numpy(x)).numpy()


def normal_check(run, case, dtype):
    a = case.attrs
    if case.label == "refusals":
        return expect_refusal(run, {"std": -1.0}, "bp_normal: std must be >= 0")
    (got,) = run()
    mean, std = a.get("mean", 0.0), a.get("std", 1.0)
    want, scale = normal_stream(got.size, dtype, mean, std, a["seed"], a.get("offset", 0))
    (again,) = run()
    msg = first(within_ulp(got, want.reshape(got.shape), scale, dtype, "stream"), None if same_bits(got, again) else "two runs differ")
    if msg or got.size < 4 or std == 0:
        return msg
    (other,) = run({"offset": a.get("offset", 0) + 1})
    if np.array_equal(other, got):
        return "offset + 1 gives the same numbers"
    if case.label != "distribution":
        return None
    z = (got.astype(np.float64).reshape(-1) - mean) / std
    quant = 0.4 * ULP1[dtype] * 4 * (abs(mean) + 2 * std) / std
    d = ks_statistic(z, std_normal_cdf)
    return first(check_moments(z, 0.0, 1.0, 3.0, "normal"),
                 None if d <= ks_bound(z.size, quant) else f"KS statistic {d:.4g} > {ks_bound(z.size, quant):.4g}")


# ---- bernoulli ----


def probabilities(dtype, shape, rng):
    p = values(dtype, shape, rng, edges=False, low=0.0, high=1.0)
    flat = p.reshape(-1)
    if flat.size >= 4:
        flat[:2] = [0.0, 1.0]
    return p


def bernoulli_cases(dtype, rng):
    yield Case([(probabilities(dtype, (4, 6), rng), dtype)], {"seed": SEED, "offset": 5}, label="stream")
    for out_dtype in ALL:
        yield Case([(probabilities(dtype, (1, 6), rng), dtype)], {"seed": -77, "offset": 1},
                   outputs=[((3, 6), out_dtype)], label=f"into {out_dtype}, broadcast")
    yield Case([(np.full((), 0.5), dtype)], {"seed": 3}, label="0-dim")
    yield Case([(np.zeros((0, 2)), dtype)], {"seed": 3}, label="empty")
    yield Case([(np.full(BIG, 0.3), dtype)], {"seed": 8, "offset": 0}, label="distribution")
    yield Case([(np.array([0.5, 1.5, 0.25]), dtype)], {"seed": 8}, label="p out of range")


def as_f64(array, dtype):
    """A case's input values as the tensor holds them."""
    return round_to(np.asarray(array, dtype=np.float64), dtype)


def bernoulli_check(run, case, dtype):
    a = case.attrs
    p = as_f64(case.inputs[0][0], dtype)
    if case.label == "p out of range":
        return expect_refusal(run, None, "p must be in [0, 1], got 1.5")
    (got,) = run()
    shape = case.outputs[0][0] if case.outputs else p.shape
    want = bernoulli_stream(np.broadcast_to(p, shape).copy(), a["seed"], a.get("offset", 0))
    (again,) = run()
    msg = first(exact(got.astype(np.float64), want.astype(np.float64), "stream"),
                None if same_bits(got, again) else "two runs differ")
    if msg or case.label != "distribution":
        return msg
    n, freq = got.size, float(np.mean(got))
    if abs(freq - 0.3) > 6 * math.sqrt(0.3 * 0.7 / n):
        return f"frequency of ones {freq:.5g}, expected 0.3"
    return None


# ---- dropout ----


def dropout_cases(dtype, rng):
    yield Case([(values(dtype, (4, 6), rng), dtype)], {"p": 0.3, "seed": SEED, "offset": 9}, label="stream")
    yield Case([(values(dtype, (5, 4), rng), dtype)], {"p": 0.3, "train": False, "seed": 1}, label="eval")
    yield Case([(values(dtype, (3, 4), rng), dtype)], {"p": 0.0, "seed": 1}, label="p 0")
    yield Case([(values(dtype, (3, 4), rng), dtype)], {"p": 1.0, "seed": 1}, label="p 1")
    yield Case([(np.full((), 2.0), dtype)], {"p": 0.5, "seed": 3}, label="0-dim")
    yield Case([(np.zeros((2, 0)), dtype)], {"p": 0.5, "seed": 3}, label="empty")
    yield Case([(np.ones(BIG), dtype)], {"p": 0.25, "seed": 4, "offset": 100}, label="distribution")
    yield Case([(np.ones(3), dtype)], {"seed": 1}, label="refusals")


def dropout_check(run, case, dtype):
    a = case.attrs
    x = as_f64(case.inputs[0][0], dtype)
    if case.label == "refusals":
        return first(expect_refusal(run, {"p": 1.5}, "bp_dropout: p must be in [0, 1], got 1.5"),
                     expect_refusal(run, {"p": -0.1}, "bp_dropout: p must be in [0, 1]"))
    (got,) = run()
    p = a.get("p", 0.5)
    if not a.get("train", True):
        return exact(got, x, "eval is the identity")
    want, keep = dropout_stream(x, dtype, p, a["seed"], a.get("offset", 0))
    (again,) = run()
    msg = first(exact(got, want, "stream"), None if same_bits(got, again) else "two runs differ")
    if msg:
        return msg
    if p == 0.0:
        return exact(got, x, "p 0 keeps everything")
    if case.label != "distribution":
        return None
    n, kept = got.size, float(np.mean(got != 0))
    if abs(kept - (1 - p)) > 6 * math.sqrt(p * (1 - p) / n):
        return f"kept fraction {kept:.5g}, expected {1 - p}"
    scale = round_to(1.0 / (1.0 - p), dtype).item()
    if not np.all((got == 0) | (got == scale)):
        return f"kept ones are not scaled to {scale}"
    return None


SPECS = [
    Spec("uniform", FLOATS, uniform_cases, None, check=uniform_check),
    Spec("normal", FLOATS, normal_cases, None, check=normal_check),
    Spec("bernoulli", FLOATS, bernoulli_cases, None, check=bernoulli_check),
    Spec("dropout", FLOATS, dropout_cases, None, check=dropout_check),
]
