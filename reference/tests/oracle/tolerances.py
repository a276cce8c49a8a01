"""Tolerances of the PyTorch oracle: one table.

Defaults are torch.testing.assert_close's for each dtype; integers and bool
are exact. An op that needs looser bounds gets a row in PER_OP with the
reason, so the table is the whole story.
"""

DEFAULT = {
    "f16": (1e-3, 1e-5),
    "bf16": (1.6e-2, 1e-5),
    "f32": (1.3e-6, 1e-5),
    "f64": (1e-7, 1e-7),
}

# (op, dtype) -> (rtol, atol, reason)
PER_OP = {
    # Both accumulate f32 products in f32, in different orders (the
    # reference: blocked GEMM with FMA, K blocks of 256), so long dot products
    # differ by a few ulps times sqrt(K).
    ("matmul", "f32"): (1e-5, 1e-5, "f32 accumulation in another order than torch's"),
    ("sum", "f32"): (1e-5, 1e-5, "torch accumulates in f32 (cascade), the reference in f64"),
    ("sum", "f16"): (1e-3, 1e-3, "torch accumulates f16 sums in f32 by blocks; rounding at the end differs"),
    ("sum", "bf16"): (1.6e-2, 1e-2, "as f16"),

    # ---- shape ----

    # ---- unary ----

    # ---- binary ----

    # ---- reduce ----

    # ---- nn (convolution, pooling, linear) ----
    ("bmm", "f32"): (1e-5, 1e-5, "as matmul f32: the same GEMM, f32 accumulation in another order"),
    ("linear", "f32"): (1e-5, 1e-5, "as matmul f32"),
    ("conv1d", "f32"): (1e-5, 1e-5, "im2col + the f32 GEMM: f32 accumulation in another order than torch's"),
    ("conv2d", "f32"): (1e-5, 1e-5, "as conv1d f32"),

    # ---- nn2 (norms, softmax, indexing, losses, attention) ----
    ("group_norm", "f32"): (1e-5, 1e-5, "torch computes group statistics in f32; with small groups "
                            "rstd amplifies their rounding (the reference uses double)"),

    # ---- random ----

    # ---- gradients (grad_oracle.py): rows ("grad:<op>", dtype); without
    # one an op's gradient uses its forward row, else the default ----

}


def lookup(op, dtype):
    if (op, dtype) in PER_OP:
        rtol, atol, _ = PER_OP[(op, dtype)]
        return rtol, atol
    return DEFAULT[dtype]
