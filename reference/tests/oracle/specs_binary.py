"""Oracle specs: binary elementwise ops with broadcasting and promotion."""
import numpy as np
import torch

from oracle import ALL, FLOATS, INTS, Case, Spec, values

SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((), (3, 2)), ((0, 3), (3,))]
NUMERIC = INTS + FLOATS
BITS = ("bool",) + INTS
SIGNED = (torch.int8, torch.int16, torch.int32, torch.int64)


def binary_cases(dtype, rng, attrs=None, b_values=None):
    b_values = b_values or values
    for sa, sb in SHAPES:
        yield Case([(values(dtype, sa, rng), dtype), (b_values(dtype, sb, rng), dtype)], attrs,
                   label=f"{sa}x{sb}")


def typed(vals, dtype):
    """A list of float values as the numpy storage of a float dtype."""
    return np.array(vals, dtype={"f16": np.float16, "bf16": np.float32, "f32": np.float32,
                                 "f64": np.float64}[dtype])


def with_alpha(dtype, rng):
    yield from binary_cases(dtype, rng)
    if dtype == "bool":
        return
    alpha = 2.5 if dtype in FLOATS else 3.0
    yield Case([(values(dtype, (4, 3), rng), dtype), (values(dtype, (4, 3), rng), dtype)],
               {"alpha": alpha}, label="alpha")


def mixed_cases(dtype, rng, attrs=None, b_values=None, scalars=(2.5, 3)):
    """Promotion: a tensor of dtype with an i32 tensor, a 0-dim f64 tensor
    and Python scalars (wrapped numbers)."""
    b_values = b_values or values
    yield Case([(values(dtype, (2, 3), rng), dtype), (b_values("i32", (2, 3), rng), "i32")], attrs,
               label="with i32")
    yield Case([(values(dtype, (2, 3), rng), dtype), (b_values("f64", (), rng, edges=False), "f64")],
               attrs, label="with 0-dim f64")
    yield Case([(values(dtype, (2, 3), rng), dtype), (b_values("i64", (), rng, edges=False), "i64")],
               attrs, label="with 0-dim i64")
    for s in scalars:
        yield Case([(values(dtype, (2, 3), rng), dtype), s], attrs, label=f"with scalar {s!r}")
    yield Case([scalars[0], (values(dtype, (2, 3), rng), dtype)], attrs, label=f"scalar {scalars[0]!r} first")


def cases_for(op):
    def cases(dtype, rng):
        yield from (with_alpha if op in ("add", "sub") else binary_cases)(dtype, rng)
        if dtype != "bool":
            yield from mixed_cases(dtype, rng)
    return cases


def torch_binary(fn):
    def run(inputs, attrs):
        if "alpha" in attrs:
            a, b = inputs[0], inputs[1]
            integral = all(not isinstance(t, torch.Tensor) or not t.is_floating_point() for t in (a, b))
            return fn(a, b, alpha=int(attrs["alpha"]) if integral else attrs["alpha"])
        return fn(inputs[0], inputs[1])
    return run


def as_tensor(x):
    """A Python number as the 0-dim tensor that promotes like it (for ops
    whose torch signature takes tensors only): floats in the default dtype,
    ints in i64. Equivalent to a wrapped number next to a tensor with dims."""
    if isinstance(x, torch.Tensor):
        return x
    return torch.tensor(x, dtype=torch.float32 if isinstance(x, float) else torch.int64)


def torch_tensors_only(fn):
    return lambda inputs, attrs: fn(as_tensor(inputs[0]), as_tensor(inputs[1]))


def torch_tensor_first(fn):
    """For torch signatures (Tensor, Tensor or Scalar): a scalar first
    operand becomes a 0-dim tensor (the other has dims)."""
    return lambda inputs, attrs: fn(as_tensor(inputs[0]), inputs[1])


# ---- division-like ops: div with rounding modes, remainder ----

ROUNDING = {0: None, 1: "trunc", 2: "floor"}


def nonzero_values(dtype, shape, rng, edges=True):
    """values() with integer zeros made 1, so that most integer cases check
    values (a case with a zero divisor checks the error)."""
    v = values(dtype, shape, rng, edges=edges)
    if dtype in INTS or dtype == "bool":
        v = np.where(v == 0, np.ones_like(v), v)
    return v


def int_safe(fn, minus_one_result):
    """fn(a, b) for torch, where a signed integer x / -1 (x % -1) is
    computed without torch: torch's CPU kernel traps (SIGFPE) on
    INT_MIN / -1. Backplane wraps: -x (INT_MIN stays INT_MIN), and 0."""
    def run(a, b, **kw):
        dt = torch.result_type(a, b)
        if dt not in SIGNED or (kw.get("rounding_mode", "x") is None):
            return fn(a, b, **kw)
        ta, tb = as_tensor(a).to(dt), as_tensor(b).to(dt)
        minus1 = tb == -1
        r = fn(a, torch.where(minus1, torch.ones_like(tb), tb).to(tb.dtype) if isinstance(b, torch.Tensor)
               else (1 if b == -1 else b), **kw)
        fix = minus_one_result(ta).to(r.dtype)
        return torch.where(minus1, fix, r)
    return run


safe_div = int_safe(torch.div, lambda a: torch.neg(a))
safe_remainder = int_safe(torch.remainder, lambda a: torch.zeros_like(a))


def int_edge_cases(dtype, rng, attrs=None):
    """INT_MIN / -1 (wraps), division by zero (an error in torch and here)."""
    if dtype not in INTS:
        return
    info = np.iinfo({"u8": np.uint8, "i8": np.int8, "i32": np.int32, "i64": np.int64}[dtype])
    np_t = info.dtype.type
    if dtype != "u8":
        a = np.array([info.min, info.min, info.max, -7, 7, info.min + 1], dtype=np_t)
        b = np.array([-1, 1, -1, 2, -2, -1], dtype=np_t)
        yield Case([(a, dtype), (b, dtype)], attrs, label="INT_MIN / -1")
    a = np.array([5, 0, 3], dtype=np_t)
    yield Case([(a, dtype), (np.array([2, 0, 1], dtype=np_t), dtype)], attrs, label="by zero")
    yield Case([(a, dtype), 0], attrs, label="by scalar zero")


def div_cases(dtype, rng):
    for mode in (0, 1, 2):
        attrs = {"rounding_mode": mode}
        b_values = nonzero_values if mode else values
        yield from binary_cases(dtype, rng, attrs, b_values)
        if dtype != "bool":
            yield from mixed_cases(dtype, rng, attrs, b_values)
            yield from int_edge_cases(dtype, rng, attrs)


def div_torch(inputs, attrs):
    return safe_div(inputs[0], inputs[1], rounding_mode=ROUNDING[attrs.get("rounding_mode", 0)])


def remainder_cases(dtype, rng):
    yield from binary_cases(dtype, rng, None, nonzero_values)
    if dtype != "bool":
        yield from mixed_cases(dtype, rng, None, nonzero_values, scalars=(2.5, 3, -3))
        yield from int_edge_cases(dtype, rng)
    if dtype in FLOATS:
        a = typed([5.0, -5.0, 5.0, -0.0, 3.0, np.inf, 1.0, -1.0, 5.0], dtype)
        b = typed([3.0, 3.0, -3.0, 2.0, np.inf, 2.0, -np.inf, np.inf, 0.0], dtype)
        yield Case([(a, dtype), (b, dtype)], label="signs, inf and zero")


# ---- pow ----

def pow_cases(dtype, rng):
    yield from binary_cases(dtype, rng)
    if dtype == "bool":
        yield Case([(values(dtype, (2, 3), rng), dtype), 2], label="bool ** 2")
        return
    yield from mixed_cases(dtype, rng, scalars=(2.5, 3, 2, 0.5, -2.0))
    yield Case([(values(dtype, (2, 3), rng), dtype), -1], label="negative int scalar exponent")
    yield Case([(values(dtype, (2, 3), rng), dtype), (np.array(-1, dtype=np.int64), "i64")],
               label="negative 0-dim exponent")
    if dtype in INTS:
        np_t = {"u8": np.uint8, "i8": np.int8, "i32": np.int32, "i64": np.int64}[dtype]
        a = np.array([0, 0, 1, 2, 3, 2, 5], dtype=np_t)
        b = np.array([0, 5, 100, 10, 0, 7, 3], dtype=np_t)
        if dtype != "u8":
            a = np.concatenate([a, np.array([-1, -1, 1, 0, 2, -3], dtype=np_t)])
            b = np.concatenate([b, np.array([-1, -2, -5, -1, -2, 3], dtype=np_t)])
        yield Case([(a, dtype), (b, dtype)], label="0**0, wrap, negative exponents")
    else:
        a = typed([0.0, 0.0, -0.0, 1.0, np.nan, -2.0, 2.0, np.inf, -np.inf, 0.0], dtype)
        b = typed([0.0, -1.0, -1.0, np.nan, 0.0, 0.5, -np.inf, -1.0, 3.0, np.nan], dtype)
        yield Case([(a, dtype), (b, dtype)], label="special values")


def pow_torch(inputs, attrs):
    return torch.pow(inputs[0], inputs[1])


# ---- maximum, minimum, atan2, logical: tensors only in torch ----

def nan_cases(dtype, rng):
    yield from binary_cases(dtype, rng)
    if dtype != "bool":
        yield from mixed_cases(dtype, rng)
    if dtype in FLOATS:
        a = typed([np.nan, 1.0, np.nan, -0.0, 0.0, np.inf, -np.inf], dtype)
        b = typed([1.0, np.nan, np.nan, 0.0, -0.0, np.nan, 1.0], dtype)
        yield Case([(a, dtype), (b, dtype)], label="NaN and signed zeros")


def atan2_cases(dtype, rng):
    yield from nan_cases(dtype, rng)
    if dtype in FLOATS:
        z = typed([0.0, -0.0, 0.0, -0.0, 1.0, -1.0, np.inf, -np.inf], dtype)
        w = typed([0.0, 0.0, -0.0, -0.0, np.inf, -np.inf, np.inf, -np.inf], dtype)
        yield Case([(z, dtype), (w, dtype)], label="zeros and infinities")


# ---- comparisons and bitwise ----

def compare_cases(dtype, rng):
    yield from binary_cases(dtype, rng)
    if dtype != "bool":
        yield from mixed_cases(dtype, rng, scalars=(2.5, 3, 0.1, -1, 300))
    if dtype in FLOATS:
        a = typed([np.nan, 1.0, np.nan, -0.0, np.inf], dtype)
        b = typed([1.0, np.nan, np.nan, 0.0, np.inf], dtype)
        yield Case([(a, dtype), (b, dtype)], label="NaN and signed zeros")
    # the same values in both operands: equal elements (eq, le, ge true)
    x = values(dtype, (3, 4), rng)
    yield Case([(x, dtype), (x, dtype)], label="equal")


def bitwise_cases(dtype, rng):
    yield from binary_cases(dtype, rng)
    yield from mixed_cases(dtype, rng, scalars=(3, -1, 2.5))
    yield Case([(values(dtype, (2, 3), rng), dtype), (values("bool", (2, 3), rng), "bool")], label="with bool")


SPECS = [
    Spec("add", ALL, cases_for("add"), torch_binary(torch.add), upcast_half=True),
    Spec("sub", NUMERIC, cases_for("sub"), torch_binary(torch.sub), upcast_half=True),
    Spec("mul", ALL, cases_for("mul"), torch_binary(torch.mul), upcast_half=True),
    Spec("div", ALL, div_cases, div_torch, upcast_half=True),
    Spec("remainder", ALL, remainder_cases, lambda i, a: safe_remainder(i[0], i[1]), upcast_half=True),
    Spec("pow", ALL, pow_cases, pow_torch, upcast_half=True),
    Spec("maximum", ALL, nan_cases, torch_tensors_only(torch.maximum)),
    Spec("minimum", ALL, nan_cases, torch_tensors_only(torch.minimum)),
    Spec("atan2", ALL, atan2_cases, torch_tensors_only(torch.atan2), upcast_half=True),
    Spec("logical_and", ALL, compare_cases, torch_tensors_only(torch.logical_and)),
    Spec("logical_or", ALL, compare_cases, torch_tensors_only(torch.logical_or)),
    Spec("logical_xor", ALL, compare_cases, torch_tensors_only(torch.logical_xor)),
    Spec("bitwise_and", ALL, bitwise_cases, torch_binary(torch.bitwise_and)),
    Spec("bitwise_or", ALL, bitwise_cases, torch_binary(torch.bitwise_or)),
    Spec("bitwise_xor", ALL, bitwise_cases, torch_binary(torch.bitwise_xor)),
] + [Spec(op, ALL, compare_cases, torch_tensor_first(getattr(torch, op)))
     for op in ("eq", "ne", "lt", "le", "gt", "ge")]
