"""Oracle specs: binary elementwise ops with broadcasting and promotion."""
import torch

from oracle import ALL, FLOATS, INTS, Case, Spec, values

SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 5)), ((), (3, 2)), ((0, 3), (3,))]


def binary_cases(dtype, rng):
    for sa, sb in SHAPES:
        yield Case([(values(dtype, sa, rng), dtype), (values(dtype, sb, rng), dtype)],
                   label=f"{sa}x{sb}")


def with_alpha(dtype, rng):
    yield from binary_cases(dtype, rng)
    if dtype == "bool":
        return
    alpha = 2.5 if dtype in FLOATS else 3.0
    yield Case([(values(dtype, (4, 3), rng), dtype), (values(dtype, (4, 3), rng), dtype)],
               {"alpha": alpha}, label="alpha")


def mixed_cases(dtype, rng):
    """Promotion: a tensor of dtype with an i32 tensor, a 0-dim f64 tensor
    and Python scalars."""
    yield Case([(values(dtype, (2, 3), rng), dtype), (values("i32", (2, 3), rng), "i32")], label="with i32")
    yield Case([(values(dtype, (2, 3), rng), dtype), (values("f64", (), rng, edges=False), "f64")],
               label="with 0-dim f64")
    yield Case([(values(dtype, (2, 3), rng), dtype), 2.5], label="with float scalar")
    yield Case([(values(dtype, (2, 3), rng), dtype), 3], label="with int scalar")


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


NUMERIC = INTS + FLOATS
SPECS = [
    Spec("add", ALL, cases_for("add"), torch_binary(torch.add), upcast_half=True),
    Spec("sub", NUMERIC, cases_for("sub"), torch_binary(torch.sub), upcast_half=True),
    Spec("mul", ALL, cases_for("mul"), torch_binary(torch.mul), upcast_half=True),
    Spec("div", ALL, cases_for("div"), torch_binary(torch.div), upcast_half=True),
]
