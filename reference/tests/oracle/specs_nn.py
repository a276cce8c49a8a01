"""Oracle specs: linear, convolutions, pooling (family nn1).

Optional bias: Backplane's has_bias=False stands for torch's bias=None; the
bias input is then a placeholder (the weight) that must not be read.
"""
import torch
import torch.nn.functional as F

from oracle import FLOATS, INTS, Case, Spec, values


def _bias(a, inputs):
    return inputs[2] if a.get("has_bias", True) else None


def _pair(a, name, default):
    v = a.get(name, [])
    if len(v) == 0:
        return default
    return v[0] if len(v) == 1 else tuple(v)


# ---- linear ----

def linear_cases(dtype, rng):
    edges = dtype in FLOATS
    for sx, out_f, has_bias in [((3, 4), 5, True), ((4,), 3, True), ((2, 3, 4), 2, False),
                                ((0, 4), 3, True), ((2, 0), 3, True), ((5, 7), 1, False)]:
        inf = sx[-1]
        w = values(dtype, (out_f, inf), rng, edges=False)
        b = values(dtype, (out_f,), rng, edges=False) if has_bias else w
        yield Case([(values(dtype, sx, rng, edges=False), dtype), (w, dtype), (b, dtype)],
                   {"has_bias": has_bias}, label=f"{sx}->{out_f} bias={has_bias}")
    if edges:
        yield Case([(values(dtype, (4, 4), rng), dtype), (values(dtype, (3, 4), rng, edges=False), dtype),
                    (values(dtype, (3,), rng, edges=False), dtype)], label="edge values")
    # errors: in_features mismatch, bias shape
    yield Case([(values(dtype, (3, 4), rng), dtype), (values(dtype, (5, 3), rng), dtype),
                (values(dtype, (5,), rng), dtype)], label="error: in_features")


def linear_torch(i, a):
    return F.linear(i[0], i[1], _bias(a, i))


# ---- conv1d / conv2d ----

def conv_cases(nsp):
    def cases(dtype, rng):
        sp = (7,) if nsp == 1 else (7, 6)
        ks = (3,) if nsp == 1 else (3, 2)
        configs = [
            (2, 4, 3, 1, {}),
            (2, 4, 3, 1, {"stride": [2], "padding": [1]}),
            (1, 4, 6, 2, {"dilation": [2], "padding": [2]}),
            (2, 6, 3, 3, {"stride": [1], "padding": [1], "dilation": [1]}),
            (1, 4, 4, 1, {"padding_same": True, "dilation": [2]}),
            (1, 3, 2, 1, {"padding_same": True}),
            (2, 4, 3, 1, {"has_bias": False}),
            (None, 4, 2, 2, {"stride": [2]}),  # unbatched
            (0, 4, 3, 1, {}),  # empty batch
        ]
        if nsp == 2:
            configs.append((1, 2, 3, 1, {"stride": [2, 1], "padding": [1, 0], "dilation": [1, 2]}))
        for n, cin, cout, groups, attrs in configs:
            xs = ((n,) if n is not None else ()) + (cin,) + sp
            ws = (cout, cin // groups) + ks
            w = values(dtype, ws, rng, edges=False)
            has_bias = attrs.get("has_bias", True)
            b = values(dtype, (cout,), rng, edges=False) if has_bias else w
            at = dict(attrs)
            at["groups"] = groups
            yield Case([(values(dtype, xs, rng, edges=False), dtype), (w, dtype), (b, dtype)], at,
                       label=f"x{xs} w{ws} {attrs}")
        if dtype in FLOATS:
            xs = (1, 2) + sp
            yield Case([(values(dtype, xs, rng), dtype), (values(dtype, (2, 2) + ks, rng, edges=False), dtype),
                        (values(dtype, (2,), rng, edges=False), dtype)], label="edge values")
        # errors: kernel larger than input, channels mismatch, 'same' with stride 2
        yield Case([(values(dtype, (1, 2) + (2,) * nsp, rng), dtype), (values(dtype, (1, 2) + (3,) * nsp, rng), dtype),
                    (values(dtype, (1,), rng), dtype)], label="error: kernel too big")
        yield Case([(values(dtype, (1, 3) + sp, rng), dtype), (values(dtype, (1, 2) + ks, rng), dtype),
                    (values(dtype, (1,), rng), dtype)], label="error: channels")
        yield Case([(values(dtype, (1, 2) + sp, rng), dtype), (values(dtype, (1, 2) + ks, rng), dtype),
                    (values(dtype, (1,), rng), dtype)], {"padding_same": True, "stride": [2]},
                   label="error: same with stride")
    return cases


def conv_torch(fn):
    def run(i, a):
        padding = "same" if a.get("padding_same") else _pair(a, "padding", 0)
        return fn(i[0], i[1], _bias(a, i), stride=_pair(a, "stride", 1), padding=padding,
                  dilation=_pair(a, "dilation", 1), groups=a.get("groups", 1))
    return run


# ---- conv_transpose2d ----

def conv_t_cases(dtype, rng):
    configs = [
        (2, 4, 3, 1, {}),
        (1, 4, 2, 2, {"stride": [2], "padding": [1], "output_padding": [1]}),
        (1, 2, 3, 1, {"stride": [3, 2], "dilation": [2, 1], "output_padding": [2, 1]}),
        (1, 6, 3, 3, {"padding": [1], "has_bias": False}),
        (None, 2, 2, 1, {"stride": [2]}),
        (0, 2, 2, 1, {}),
    ]
    for n, cin, coutg, groups, attrs in configs:
        xs = ((n,) if n is not None else ()) + (cin, 4, 5)
        ws = (cin, coutg, 3, 2)
        w = values(dtype, ws, rng, edges=False)
        has_bias = attrs.get("has_bias", True)
        b = values(dtype, (coutg * groups,), rng, edges=False) if has_bias else w
        at = dict(attrs)
        at["groups"] = groups
        yield Case([(values(dtype, xs, rng, edges=False), dtype), (w, dtype), (b, dtype)], at,
                   label=f"x{xs} w{ws} {attrs}")
    yield Case([(values(dtype, (1, 2, 3, 3), rng), dtype), (values(dtype, (2, 1, 2, 2), rng), dtype),
                (values(dtype, (1,), rng), dtype)], {"output_padding": [1]}, label="error: output_padding")


def conv_t_torch(i, a):
    return F.conv_transpose2d(i[0], i[1], _bias(a, i), stride=_pair(a, "stride", 1),
                              padding=_pair(a, "padding", 0),
                              output_padding=_pair(a, "output_padding", 0),
                              groups=a.get("groups", 1), dilation=_pair(a, "dilation", 1))


# ---- pools ----

POOL_CONFIGS = [
    ((2, 3, 6, 7), {"kernel_size": [2]}),
    ((2, 3, 7, 7), {"kernel_size": [3], "stride": [2], "padding": [1]}),
    ((1, 2, 7, 8), {"kernel_size": [3, 2], "stride": [2, 3], "ceil_mode": True}),
    ((1, 2, 8, 7), {"kernel_size": [3], "stride": [2], "padding": [1], "ceil_mode": True}),
    ((3, 5, 5), {"kernel_size": [2], "stride": [1]}),
    ((0, 2, 5, 5), {"kernel_size": [2]}),
]


def max_pool_cases(dtype, rng):
    for shape, attrs in POOL_CONFIGS + [((1, 2, 9, 8), {"kernel_size": [3], "dilation": [2], "padding": [1]}),
                                        ((1, 2, 7, 7), {"kernel_size": [2], "dilation": [3], "stride": [1], "ceil_mode": True})]:
        yield Case([(values(dtype, shape, rng), dtype)], attrs, label=f"{shape} {attrs}")
    yield Case([(values(dtype, (1, 1, 4, 4), rng), dtype)], {"kernel_size": [2], "padding": [2]},
               label="error: padding too big")
    yield Case([(values(dtype, (1, 1, 2, 2), rng), dtype)], {"kernel_size": [3]}, label="error: too small")


def max_pool_torch(i, a):
    return F.max_pool2d(i[0], _pair(a, "kernel_size", None), stride=_pair(a, "stride", None),
                        padding=_pair(a, "padding", 0), dilation=_pair(a, "dilation", 1),
                        ceil_mode=a.get("ceil_mode", False), return_indices=True)


def avg_pool_cases(dtype, rng):
    edges = dtype in FLOATS
    for shape, attrs in POOL_CONFIGS:
        yield Case([(values(dtype, shape, rng, edges=edges), dtype)], attrs, label=f"{shape} {attrs}")
        at = dict(attrs, count_include_pad=False)
        yield Case([(values(dtype, shape, rng, edges=False), dtype)], at, label=f"{shape} {at}")
    yield Case([(values(dtype, (1, 2, 7, 7), rng, edges=False), dtype)],
               {"kernel_size": [3], "stride": [2], "padding": [1], "divisor_override": 5, "ceil_mode": True},
               label="divisor_override")
    yield Case([(values(dtype, (1, 1, 4, 4), rng), dtype)], {"kernel_size": [2], "padding": [2]},
               label="error: padding too big")


def avg_pool_torch(i, a):
    d = a.get("divisor_override", 0)
    return F.avg_pool2d(i[0], _pair(a, "kernel_size", None), stride=_pair(a, "stride", None),
                        padding=_pair(a, "padding", 0), ceil_mode=a.get("ceil_mode", False),
                        count_include_pad=a.get("count_include_pad", True),
                        divisor_override=d if d else None)


def adaptive_cases(dtype, rng):
    for shape, out in [((2, 3, 7, 9), [3, 4]), ((1, 2, 5, 5), [5]), ((3, 6, 6), [4, 2]),
                       ((1, 2, 4, 4), [7, 9]), ((0, 2, 4, 4), [2]), ((1, 2, 5, 6), [0, 2])]:
        yield Case([(values(dtype, shape, rng), dtype)], {"output_size": out}, label=f"{shape}->{out}")
    yield Case([(values(dtype, (1, 2, 0, 4), rng), dtype)], {"output_size": [2]}, label="error: empty H")


def adaptive_torch(i, a):
    return F.adaptive_avg_pool2d(i[0], _pair(a, "output_size", None))


SPECS = [
    Spec("linear", INTS + FLOATS, linear_cases, linear_torch, upcast_half=True),
    Spec("conv1d", INTS + FLOATS, conv_cases(1), conv_torch(F.conv1d), upcast_half=True),
    Spec("conv2d", INTS + FLOATS, conv_cases(2), conv_torch(F.conv2d), upcast_half=True),
    Spec("conv_transpose2d", ("i64",) + FLOATS, conv_t_cases, conv_t_torch, upcast_half=True),
    Spec("max_pool2d", FLOATS, max_pool_cases, max_pool_torch, num_outputs=2),
    Spec("avg_pool2d", ("i64",) + FLOATS, avg_pool_cases, avg_pool_torch, upcast_half=True),
    Spec("adaptive_avg_pool2d", FLOATS, adaptive_cases, adaptive_torch, upcast_half=True),
]
