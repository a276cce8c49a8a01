"""Oracle specs: reductions."""
import torch

from oracle import ALL, Case, Spec, values

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
