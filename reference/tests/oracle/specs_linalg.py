"""Oracle specs: matmul and friends."""
import torch

from oracle import FLOATS, INTS, Case, Spec, values

SHAPES = [((3, 4), (4, 5)), ((4,), (4,)), ((2, 3), (3,)), ((3,), (3, 2)),
          ((2, 1, 3, 4), (5, 4, 2)), ((3, 0), (0, 2)), ((1, 7), (7, 1))]


def matmul_cases(dtype, rng):
    for sa, sb in SHAPES:
        yield Case([(values(dtype, sa, rng, edges=False), dtype), (values(dtype, sb, rng, edges=False), dtype)],
                   label=f"{sa}@{sb}")
    if dtype in FLOATS:
        yield Case([(values(dtype, (4, 4), rng), dtype), (values(dtype, (4, 4), rng), dtype)], label="edge values")


SPECS = [Spec("matmul", INTS + FLOATS, matmul_cases, lambda i, a: torch.matmul(i[0], i[1]), upcast_half=True)]
