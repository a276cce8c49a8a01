"""Oracle specs: fill and copy (any dtype to any dtype)."""
import torch

from oracle import ALL, Case, Spec, values, TORCH_DTYPES


def fill_cases(dtype, rng):
    for value in (0.0, 2.75, -1.5, 1e10):
        attrs = {"value": value, "value_int": int(value)}
        yield Case([], attrs, outputs=[((2, 3), dtype)], label=f"value={value}")
    yield Case([], {"value": 7.0, "value_int": 7}, outputs=[((0, 3), dtype)], label="empty")


def fill_torch(inputs, attrs):
    out = inputs[-1]
    integral = not out.is_floating_point() and out.dtype != torch.bool
    return out.fill_(attrs["value_int"] if integral else attrs["value"])


def copy_cases(dtype, rng):
    # dtype is the source dtype; every destination dtype is tried.
    for dst in ALL:
        src = values(dtype, (3, 4), rng, edges=dst in ("f16", "bf16", "f32", "f64"))
        yield Case([(src, dtype)], outputs=[((3, 4), dst)], label=f"to {dst}")
    yield Case([(values(dtype, (1, 4), rng), dtype)], outputs=[((3, 4), dtype)], label="broadcast")


def copy_torch(inputs, attrs):
    src, dst = inputs
    return dst.copy_(src)


SPECS = [
    Spec("fill", ALL, fill_cases, fill_torch, layouts=("contiguous",)),
    Spec("copy", ALL, copy_cases, copy_torch),
]
