"""The PyTorch oracle: runs every catalog op of the reference backend on
generated inputs and compares with PyTorch (Debian's python3-torch).

Run by ctest as `python3 oracle.py` with BP_LIB set to libbackplane.so.
Specs live in specs_<family>.py (one list SPECS each); tolerances in
tolerances.py. Every op in the catalog must have a spec, or the run fails.
Prints one line per failure and ends with "N passed, N failed".
"""
import argparse
import importlib
import os
import sys
import traceback
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bp_ctypes  # noqa: E402
import tolerances  # noqa: E402

SPEC_MODULES = ["specs_core", "specs_shape", "specs_unary", "specs_binary", "specs_reduce",
                "specs_linalg", "specs_nn", "specs_nn2", "specs_random",
                "specs_nn_backward", "specs_train"]

TORCH_DTYPES = {
    "bool": torch.bool, "u8": torch.uint8, "i8": torch.int8, "i32": torch.int32,
    "i64": torch.int64, "f16": torch.float16, "bf16": torch.bfloat16, "f32": torch.float32,
    "f64": torch.float64,
}
TORCH_TO_NAME = {v: k for k, v in TORCH_DTYPES.items()}
FLOATS = ("f16", "bf16", "f32", "f64")
INTS = ("u8", "i8", "i32", "i64")
ALL = ("bool",) + INTS + FLOATS
LAYOUTS = ("contiguous", "transposed", "strided", "offset")


class Spec:
    """One op under test.

    op:     catalog name.
    dtypes: the dtypes to run (each case is made for one).
    cases:  cases(dtype, rng) -> iterable of Case.
    torch:  torch(inputs, attrs) -> torch tensor or tuple, where inputs are
            torch tensors (or Python numbers for scalar operands).
    layouts: input layouts to try (default all; inputs of ndim < 2 skip
            "transposed").
    check:  for ops torch cannot be the oracle of (random numbers: same
            seed, same bits on every backend, which no torch stream gives),
            check(run, case, dtype) -> None or a failure message replaces
            the comparison with torch (torch_fn is then None). run(attrs=None,
            layout=None) runs the op on the case's inputs in this layout, with
            case.attrs updated by attrs and fresh outputs (case.outputs) in
            `layout` (default: this layout), and returns the outputs as numpy
            arrays; a refused call raises bp_ctypes.BpError.
    aliases: for view ops, when output 0 must share input 0's storage:
            "always", or "contiguous" (only for the contiguous and offset
            layouts: reshape copies what it cannot view). Checked by
            filling the input with 1 after the call and reading the output.
    """

    def __init__(self, op, dtypes, cases, torch_fn, layouts=LAYOUTS, num_outputs=1, upcast_half=False,
                 check=None, aliases=None):
        self.op, self.dtypes, self.cases, self.torch = op, dtypes, cases, torch_fn
        self.check = check
        self.aliases = aliases
        self.layouts, self.num_outputs = layouts, num_outputs
        # Backplane computes f16/bf16 in f32 and rounds once; where torch's CPU
        # kernel rounds intermediate results (alpha * b, running sums, dot
        # products), the oracle is torch in f32 rounded once.
        self.upcast_half = upcast_half


class Case:
    """inputs: numpy arrays (already in the dtype's value set) with their
    dtype names, or Python numbers (scalar operands). outputs: for ops that
    write in place, (shape, dtype) of each output to preallocate; the torch
    function then receives them as extra torch tensors (zeros)."""

    def __init__(self, inputs, attrs=None, outputs=None, label=""):
        self.inputs, self.attrs, self.outputs, self.label = inputs, attrs or {}, outputs, label


# ---- value generation ----

def representable(values, dtype):
    """Rounds float64 values to what dtype holds (kept as float64 / ints)."""
    if dtype == "bf16":
        return bp_ctypes.bf16_bits_to_f32(bp_ctypes.f32_to_bf16_bits(values.astype(np.float32))).astype(np.float64)
    if dtype == "f16":
        return values.astype(np.float16).astype(np.float64)
    if dtype == "f32":
        return values.astype(np.float32).astype(np.float64)
    return values


EDGE_FLOATS = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e-40, -1e-310, 65504.0, 1e30, -3.5]


def values(dtype, shape, rng, edges=True, low=-4.0, high=4.0):
    """Random values of dtype (numpy, in the dtype's storage type; bf16 as
    float32 logical values) with edge values sprinkled in."""
    n = int(np.prod(shape)) if len(shape) else 1
    if dtype == "bool":
        v = rng.integers(0, 2, n).astype(np.bool_)
    elif dtype in INTS:
        info = np.iinfo(bp_ctypes.DTYPES[dtype][1])
        v = rng.integers(max(info.min, -100), min(info.max, 100) + 1, n)
        if edges and n >= 4:
            v[rng.integers(0, n, 2)] = [info.min, info.max]
        v = v.astype(bp_ctypes.DTYPES[dtype][1])
    else:
        v = rng.uniform(low, high, n)
        if edges and n >= 8:
            pos = rng.choice(n, min(n // 4, len(EDGE_FLOATS)), replace=False)
            v[pos] = EDGE_FLOATS[: len(pos)]
        v = representable(v, dtype)
        v = v.astype(np.float32) if dtype in ("bf16",) else v.astype(bp_ctypes.DTYPES[dtype][1])
    return v.reshape(shape)


def to_torch(array, dtype):
    # np.array, not np.ascontiguousarray: the latter makes 0-dim arrays 1-D.
    if dtype == "bf16":
        return torch.from_numpy(np.array(array, dtype=np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(array))


# ---- comparison ----

def compare(got, got_dtype, want, spec, dtype, case):
    """None when equal within tolerance, else a message."""
    want_dtype = TORCH_TO_NAME.get(want.dtype, str(want.dtype))
    if got_dtype != want_dtype:
        return f"dtype {got_dtype}, torch gives {want_dtype}"
    w = want.float().numpy() if want.dtype in (torch.bfloat16, torch.float16) else want.numpy()
    if tuple(got.shape) != tuple(w.shape):
        return f"shape {tuple(got.shape)}, torch gives {tuple(w.shape)}"
    if got_dtype not in FLOATS:
        if not np.array_equal(got, w):
            bad = np.argwhere(got != w)[0]
            return f"exact mismatch at {tuple(bad)}: {got[tuple(bad)]} vs {w[tuple(bad)]}"
        return None
    g, e = got.astype(np.float64), w.astype(np.float64)
    rtol, atol = tolerances.lookup(spec.op, got_dtype)
    gn, en = np.isnan(g), np.isnan(e)
    if not np.array_equal(gn, en):
        bad = np.argwhere(gn != en)[0]
        return f"NaN mismatch at {tuple(bad)}: {g[tuple(bad)]} vs {e[tuple(bad)]}"
    fin = ~gn
    ginf, einf = np.isinf(g) & fin, np.isinf(e) & fin
    if not np.array_equal(g[ginf | einf], e[ginf | einf]):
        return "infinity mismatch"
    ok = ~(ginf | einf) & fin
    err = np.abs(g[ok] - e[ok])
    lim = atol + rtol * np.abs(e[ok])
    if err.size and np.any(err > lim):
        i = int(np.argmax(err - lim))
        return f"max error {err[i]:.3g} > {lim[i]:.3g} (got {g[ok][i]!r}, torch {e[ok][i]!r}; rtol {rtol}, atol {atol})"
    return None


# ---- running ----

def torch_reference(spec, torch_inputs, case, dtype):
    """torch's answer; ops torch lacks for f16/bf16 on the CPU run in f32
    and round once, which is what the reference promises."""
    try:
        if spec.upcast_half and dtype in ("f16", "bf16"):
            raise RuntimeError("not implemented for: upcast requested by the spec")
        return spec.torch(torch_inputs, case.attrs)
    except RuntimeError as e:
        if dtype not in ("f16", "bf16") or "not implemented for" not in str(e):
            raise
        up = [t.float() if isinstance(t, torch.Tensor) and t.dtype == TORCH_DTYPES[dtype] else t
              for t in torch_inputs]
        res = spec.torch(up, case.attrs)
        cast = lambda r: r.to(TORCH_DTYPES[dtype]) if r.dtype == torch.float32 else r
        return tuple(cast(r) for r in res) if isinstance(res, tuple) else cast(res)


def run_checked_case(lib, spec, dtype, case, layout):
    """A case of a spec with a `check` function instead of torch."""
    made = []

    def run(attrs=None, layout=layout):
        outs, results = [], []
        try:
            for shape, odtype in case.outputs or []:
                zeros = np.zeros(shape, dtype=np.float32 if odtype == "bf16" else bp_ctypes.DTYPES[odtype][1])
                outs.append(lib.tensor(zeros, odtype, layout))
            results = lib.run(spec.op, bp_inputs, {**case.attrs, **(attrs or {})},
                              outputs=outs or None, num_outputs=spec.num_outputs)
            return [lib.numpy(r) for r in results]
        finally:
            lib.release(*outs)
            if not outs:
                lib.release(*results)

    try:
        bp_inputs = []
        for item in case.inputs:
            if isinstance(item, (int, float, bool)) and not isinstance(item, np.ndarray):
                t = lib.scalar(item)
            else:
                array, adtype = item
                lay = layout if (layout != "transposed" or np.ndim(array) >= 2) else "contiguous"
                t = lib.tensor(array, adtype, lay)
            made.append(t)
            bp_inputs.append(t)
        try:
            return spec.check(run, case, dtype)
        except bp_ctypes.BpError as e:
            return f"bp_{spec.op} failed: {e.message}"
    finally:
        lib.release(*made)


def run_case(lib, spec, dtype, case, layout):
    if spec.check:
        return run_checked_case(lib, spec, dtype, case, layout)
    made = []
    try:
        bp_inputs, torch_inputs = [], []
        for item in case.inputs:
            if isinstance(item, (int, float, bool)) and not isinstance(item, np.ndarray):
                t = lib.scalar(item)
                made.append(t)
                bp_inputs.append(t)
                torch_inputs.append(item)
                continue
            array, adtype = item
            lay = layout if (layout != "transposed" or np.ndim(array) >= 2) else "contiguous"
            t = lib.tensor(array, adtype, lay)
            made.append(t)
            bp_inputs.append(t)
            torch_inputs.append(to_torch(array, adtype))
        outputs = None
        if case.outputs:
            outputs = []
            for shape, odtype in case.outputs:
                o = lib.tensor(np.zeros(shape, dtype=np.float32 if odtype == "bf16" else bp_ctypes.DTYPES[odtype][1]), odtype, "contiguous")
                made.append(o)
                outputs.append(o)
                torch_inputs.append(torch.zeros(shape, dtype=TORCH_DTYPES[odtype]))
        try:
            want = torch_reference(spec, torch_inputs, case, dtype)
            torch_error = None
        except RuntimeError as e:  # torch refuses the call: Backplane must too
            want, torch_error = None, str(e).splitlines()[0]
        try:
            results = lib.run(spec.op, bp_inputs, case.attrs, outputs=outputs, num_outputs=spec.num_outputs)
        except bp_ctypes.BpError as e:
            if torch_error:
                return None
            return f"bp_{spec.op} failed: {e.message}"
        if not case.outputs:
            made.extend(results)
        if torch_error:
            return f"torch refuses this call ({torch_error}) but bp_{spec.op} accepted it"
        want = want if isinstance(want, tuple) else (want,)
        for k, (r, w) in enumerate(zip(results, want)):
            msg = compare(lib.numpy(r), lib.dtype_of(r), w, spec, dtype, case)
            if msg:
                return f"output {k}: {msg}"
        if spec.aliases == "always" or (spec.aliases == "contiguous" and layout in ("contiguous", "offset")):
            if lib.c.bp_tensor_numel(results[0]) > 0:
                lib.fill(bp_inputs[0], 1.0)
                if not np.all(lib.numpy(results[0]) == 1):
                    return "output 0 does not share the input's storage (a copy where torch makes a view)"
        return None
    finally:
        lib.release(*made)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="", help="only ops whose name contains this")
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lib = bp_ctypes.Lib()
    specs = []
    for name in SPEC_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        specs.extend(module.SPECS)
    passed = failed = 0
    covered = {s.op for s in specs}
    for op in lib.op_names():
        if op not in covered and args.filter in op:
            print(f"FAIL {op}: no oracle spec (add one to a specs_<family>.py)")
            failed += 1
    for spec in specs:
        if args.filter not in spec.op:
            continue
        for dtype in spec.dtypes:
            rng = np.random.default_rng([args.seed, zlib.crc32(spec.op.encode()), ALL.index(dtype)])
            for ci, case in enumerate(spec.cases(dtype, rng)):
                for layout in spec.layouts:
                    where = f"{spec.op} {dtype} case {ci}{' ' + case.label if case.label else ''} {layout}"
                    try:
                        msg = run_case(lib, spec, dtype, case, layout)
                    except Exception:  # a bug in a spec or in torch: report, go on
                        msg = "exception:\n" + traceback.format_exc()
                    if msg:
                        failed += 1
                        print(f"FAIL {where}: {msg}")
                    else:
                        passed += 1
                        if args.verbose:
                            print(f"ok   {where}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
