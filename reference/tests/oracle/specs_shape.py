"""Oracle specs: views (values, shapes and storage sharing), reshape,
arange, where, tril/triu, pad, cat and stack."""
import warnings

import torch
import torch.nn.functional as F

from oracle import ALL, FLOATS, INTS, Case, values
from oracle import Spec as _Spec

NUMERIC = INTS + FLOATS


def refusing(fn):
    """torch refuses some calls with IndexError or ValueError (a dim out of
    range); the oracle expects RuntimeError for "torch refuses"."""
    def run(inputs, attrs):
        try:
            return fn(inputs, attrs)
        except (IndexError, ValueError) as e:
            raise RuntimeError(f"{type(e).__name__}: {e}") from e
    return run


def Spec(op, dtypes, cases, torch_fn, **kw):
    return _Spec(op, dtypes, cases, refusing(torch_fn), **kw)
CONTIG = ("contiguous", "offset")


def x_cases(shapes, attr_list):
    """Every attrs dict on every shape."""
    def cases(dtype, rng):
        for shape in shapes:
            x = values(dtype, shape, rng)
            for attrs in attr_list:
                yield Case([(x, dtype)], dict(attrs), label=f"{shape} {attrs}")
    return cases


def one(shape, attrs, label=""):
    def cases(dtype, rng):
        yield Case([(values(dtype, shape, rng), dtype)], dict(attrs), label=label or f"{shape} {attrs}")
    return cases


def chain(*gens):
    def cases(dtype, rng):
        for g in gens:
            yield from g(dtype, rng)
    return cases


# ---- views ----

VIEW_SIZES = [{"size": [6, 4]}, {"size": [-1]}, {"size": [2, 12]}, {"size": [2, 3, 2, 2]},
              {"size": [5]}]  # the last: torch and Backplane both refuse
RESHAPE = [{"shape": [6, 4]}, {"shape": [-1]}, {"shape": [4, 3, 2]}, {"shape": [24, 1]},
           {"shape": [-1, 8]}, {"shape": [7]}, {"shape": [-1, -1]}]


def slicer(x, a):
    idx = [slice(None)] * x.dim()
    idx[a.get("dim", 0)] = slice(a.get("start", 0), a.get("end", 2**63 - 1), a.get("step", 1))
    return x[tuple(idx)]


def squeeze_torch(inputs, a):
    x = inputs[0]
    dims = a.get("dim", [])
    if not dims:
        return torch.squeeze(x)
    rank = max(x.dim(), 1)
    for d in dims:
        if not -rank <= d < rank:
            return torch.squeeze(x, d)  # raises
    for d in sorted((d % rank for d in dims), reverse=True):
        x = torch.squeeze(x, d)
    return x


SPECS = [
    Spec("view", ALL, chain(x_cases([(2, 3, 4)], VIEW_SIZES), one((), {"size": [1, 1]}),
                            one((0, 3), {"size": [3, 0, 1]})),
         lambda i, a: i[0].view(a["size"]), layouts=CONTIG, aliases="always"),
    Spec("reshape", ALL, chain(x_cases([(2, 3, 4)], RESHAPE), one((), {"shape": [1]}),
                               one((1,), {"shape": []}), one((0, 3), {"shape": [3, 0, 1]})),
         lambda i, a: torch.reshape(i[0], a["shape"]), aliases="contiguous"),
    Spec("permute", ALL, chain(x_cases([(2, 3, 4)], [{"dims": [2, 0, 1]}, {"dims": [-1, 0, 1]},
                                                      {"dims": [0, 0, 1]}, {"dims": [0, 1]}]),
                               one((), {"dims": []})),
         lambda i, a: i[0].permute(a["dims"]), aliases="always"),
    Spec("transpose", ALL, chain(x_cases([(2, 3, 4)], [{"dim0": 0, "dim1": 1}, {"dim0": -1, "dim1": 0},
                                                        {"dim0": 1, "dim1": 1}, {"dim0": 3, "dim1": 0}]),
                                 one((), {"dim0": 0, "dim1": -1})),
         lambda i, a: torch.transpose(i[0], a.get("dim0", 0), a.get("dim1", 1)), aliases="always"),
    Spec("slice", ALL, x_cases([(4, 5, 6)], [{"dim": 1, "start": 1, "end": 3},
                                             {"dim": -1, "start": -4, "end": 100, "step": 2},
                                             {"dim": 0, "start": 3, "end": 1},
                                             {"dim": 2, "step": 4}, {"dim": 0, "start": -100, "end": -1}]),
         lambda i, a: slicer(i[0], a), aliases="always"),
    Spec("select", ALL, x_cases([(3, 4, 5)], [{"dim": 1, "index": -1}, {"dim": 0, "index": 2},
                                              {"dim": 2, "index": 5}, {"dim": -3, "index": -3}]),
         lambda i, a: torch.select(i[0], a.get("dim", 0), a.get("index", 0)), aliases="always"),
    Spec("narrow", ALL, x_cases([(3, 4, 5)], [{"dim": 2, "start": 1, "length": 3},
                                              {"dim": 1, "start": -2, "length": 2},
                                              {"dim": 0, "start": 3, "length": 0},
                                              {"dim": 0, "start": 1, "length": 10}]),
         lambda i, a: torch.narrow(i[0], a.get("dim", 0), a.get("start", 0), a.get("length", 0)),
         aliases="always"),
    Spec("expand", ALL, chain(x_cases([(3, 1)], [{"size": [2, 3, 4]}, {"size": [-1, 5]}, {"size": [3, 1]},
                                                 {"size": [4, 1]}]),
                              one((), {"size": [2, 2]})),
         lambda i, a: i[0].expand(a["size"]), aliases="always"),
    Spec("squeeze", ALL, chain(x_cases([(1, 3, 1, 2)], [{}, {"dim": [0]}, {"dim": [-2]}, {"dim": [1]},
                                                        {"dim": [0, 2]}, {"dim": [4]}]),
                               one((), {"dim": [0]}), one((), {})),
         squeeze_torch, aliases="always"),
    Spec("unsqueeze", ALL, chain(x_cases([(3, 4)], [{"dim": 0}, {"dim": -1}, {"dim": 1}, {"dim": 3}]),
                                 one((), {"dim": 0})),
         lambda i, a: torch.unsqueeze(i[0], a.get("dim", 0)), aliases="always"),
    Spec("flatten", ALL, chain(x_cases([(2, 3, 4)], [{}, {"start_dim": 1}, {"start_dim": 0, "end_dim": 1},
                                                     {"start_dim": 2, "end_dim": 1}]),
                               one((), {})),
         lambda i, a: torch.flatten(i[0], a.get("start_dim", 0), a.get("end_dim", -1)),
         aliases="contiguous"),
    Spec("contiguous", ALL, chain(one((3, 4), {}), one((), {}), one((0, 2), {})),
         lambda i, a: i[0].contiguous(), aliases="contiguous"),
]

# ---- arange ----

ARANGE_INT = [(0, 10, 1), (2, 11, 3), (0, 0, 1), (5, 1, -1), (0, 5, 0), (0, 5, -1)]
ARANGE_FLOAT = [(0.0, 1.0, 0.1), (-2.5, 3.7, 0.5), (5.0, -3.0, -1.5), (0.0, 1e-3, 1e-4)]


def arange_cases(dtype, rng):
    ranges = list(ARANGE_INT) + ([(-5, 3, 2)] if dtype != "u8" else [])
    if dtype in FLOATS:
        ranges += ARANGE_FLOAT
    for start, end, step in ranges:
        try:
            n = len(torch.arange(start, end, step, dtype=getattr(torch, {"u8": "uint8", "i8": "int8",
                "i32": "int32", "i64": "int64", "f16": "float16", "bf16": "bfloat16",
                "f32": "float32", "f64": "float64"}[dtype])))
        except RuntimeError:
            n = 1  # torch refuses; Backplane must too
        yield Case([], {"start": float(start), "end": float(end), "step": float(step)},
                   outputs=[((n,), dtype)], label=f"{start}..{end} by {step}")


def arange_torch(inputs, a):
    out = inputs[-1]
    return torch.arange(a["start"], a["end"], a["step"], dtype=out.dtype)


SPECS.append(Spec("arange", NUMERIC, arange_cases, arange_torch, layouts=("contiguous",)))

# ---- where ----

WHERE_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), (4,)), ((), (2, 3), ()),
                ((0, 3), (3,), (1, 3)), ((2, 3), (3, 2), (2, 3))]


def where_cases(dtype, rng):
    for sc, sa, sb in WHERE_SHAPES:
        yield Case([(values("bool", sc, rng), "bool"), (values(dtype, sa, rng), dtype),
                    (values(dtype, sb, rng), dtype)], label=f"{sc} {sa} {sb}")
    c = values("bool", (2, 3), rng)
    yield Case([(c, "bool"), (values(dtype, (2, 3), rng), dtype), (values("i32", (2, 3), rng), "i32")],
               label="other i32")
    yield Case([(c, "bool"), (values(dtype, (2, 3), rng), dtype), 2.5], label="other float scalar")
    yield Case([(values("u8", (2, 3), rng) % 2, "u8"), (values(dtype, (2, 3), rng), dtype),
                (values(dtype, (2, 3), rng), dtype)], label="u8 condition")
    yield Case([(values("f32", (2, 3), rng), "f32"), (values(dtype, (2, 3), rng), dtype),
                (values(dtype, (2, 3), rng), dtype)], label="f32 condition (refused)")


def where_torch(inputs, a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.where(inputs[0], inputs[1], inputs[2])


SPECS.append(Spec("where", ALL, where_cases, where_torch))

# ---- tril, triu, pad ----

TRI = x_cases([(4, 5), (2, 3, 3), (0, 3), (5, 2)],
              [{}, {"diagonal": 1}, {"diagonal": -2}, {"diagonal": 10}, {"diagonal": -10}])
SPECS.append(Spec("tril", ALL, chain(TRI, one((4,), {})),
                  lambda i, a: torch.tril(i[0], a.get("diagonal", 0))))
SPECS.append(Spec("triu", ALL, chain(TRI, one((4,), {})),
                  lambda i, a: torch.triu(i[0], a.get("diagonal", 0))))


def pad_cases(dtype, rng):
    value = 1.0 if dtype == "bool" else 3.0 if dtype in INTS else -2.5
    for shape, pad in [((3, 4), [1, 2]), ((3, 4), [1, 1, 2, 0]), ((3, 4), [-1, 2]),
                       ((2, 3, 4), [0, 0, 1, 1, 1, 0]), ((3, 4), [-2, -2]), ((3, 4), []),
                       ((0, 2), [1, 1, 1, 1]), ((3,), [1]), ((3,), [1, 1, 1, 1]), ((3, 4), [-5, 0])]:
        yield Case([(values(dtype, shape, rng), dtype)], {"pad": pad, "value": value},
                   label=f"{shape} pad={pad}")
    yield Case([(values(dtype, (2, 2), rng), dtype)], {"pad": [1, 0]}, label="default value")


def pad_torch(inputs, a):
    return F.pad(inputs[0], tuple(a["pad"]), mode="constant", value=a.get("value", 0.0))


SPECS.append(Spec("pad", ALL, pad_cases, pad_torch))

# ---- cat, stack ----


def cat_cases(dtype, rng):
    def t(shape, dt=dtype):
        return (values(dt, shape, rng), dt)
    yield Case([t((2, 3)), t((4, 3))], {"dim": 0}, label="dim 0")
    yield Case([t((2, 3)), t((2, 1)), t((2, 0))], {"dim": -1}, label="dim -1 with empty")
    yield Case([t((2, 3)), t((0,)), t((1, 3))], {}, label="skips 1-D empty")
    yield Case([t((3,))], {}, label="one tensor")
    yield Case([t((2, 3)), t((2, 3), "i32")], {"dim": 1}, label="with i32")
    yield Case([t((2, 3)), t((2, 3), "f64")], {"dim": 0}, label="with f64")
    yield Case([t((2, 3)), t((2, 4))], {"dim": 0}, label="mismatch (refused)")
    yield Case([t((2, 3)), t((2, 3, 1))], {"dim": 0}, label="ndim mismatch (refused)")
    yield Case([t(())], {}, label="0-dim (refused)")
    yield Case([t((2, 3))], {"dim": 2}, label="dim out of range (refused)")


def stack_cases(dtype, rng):
    def t(shape, dt=dtype):
        return (values(dt, shape, rng), dt)
    for dim in (0, 1, 2, -1, -3, 3):
        yield Case([t((2, 3)), t((2, 3)), t((2, 3))], {"dim": dim}, label=f"dim {dim}")
    yield Case([t(()), t(())], {}, label="0-dim")
    yield Case([t((0, 2)), t((0, 2))], {"dim": 1}, label="empty")
    # u8 with i8 is i16 in torch; Backplane has no i16 (it gives i32).
    yield Case([t((2, 3)), t((2, 3), "i32" if dtype == "u8" else "i8")], {}, label="with i8")
    yield Case([t((2, 3)), t((3, 2))], {}, label="mismatch (refused)")


SPECS.append(Spec("cat", ALL, cat_cases, lambda i, a: torch.cat(list(i), a.get("dim", 0))))
SPECS.append(Spec("stack", ALL, stack_cases, lambda i, a: torch.stack(list(i), a.get("dim", 0))))
