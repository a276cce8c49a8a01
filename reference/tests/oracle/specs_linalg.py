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


def bmm_cases(dtype, rng):
    for sa, sb in [((2, 3, 4), (2, 4, 5)), ((1, 1, 7), (1, 7, 1)), ((0, 3, 4), (0, 4, 2)),
                   ((2, 3, 0), (2, 0, 4))]:
        yield Case([(values(dtype, sa, rng, edges=False), dtype), (values(dtype, sb, rng, edges=False), dtype)],
                   label=f"{sa}@{sb}")
    if dtype in FLOATS:
        yield Case([(values(dtype, (2, 4, 4), rng), dtype), (values(dtype, (2, 4, 4), rng), dtype)], label="edge values")
    # errors: no broadcasting, 2-D operands
    yield Case([(values(dtype, (1, 3, 4), rng), dtype), (values(dtype, (2, 4, 5), rng), dtype)], label="error: batch")
    yield Case([(values(dtype, (3, 4), rng), dtype), (values(dtype, (4, 5), rng), dtype)], label="error: 2-D")


SPECS.append(Spec("bmm", INTS + FLOATS, bmm_cases, lambda i, a: torch.bmm(i[0], i[1]), upcast_half=True))
