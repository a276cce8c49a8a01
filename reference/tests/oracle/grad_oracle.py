"""The gradient oracle: for every differentiable catalog op, forward and
backward on the reference device against torch.autograd (Debian's
python3-torch) on the same inputs, with a random grad_output, f32 and f64.

Inputs and attributes come from the forward oracle's specs (specs_*.py, run
without edge values: gradients at NaN, infinities and kinks are not what
this checks), overridden per op by GRAD_SPECS of grad_specs_*.py modules
when present (grad_specs_nn.py: the nn backward formulas). Tolerances come
from tolerances.py: a row ("grad:<op>", dtype) when one exists, else the
op's forward row, else the dtype's default.

Fails for:
  - a gradient that differs from torch's;
  - a differentiable op of the families whose formulas are written
    (core, shape, unary, binary, reduce, matmul) with no formula or no spec
    that exercises it;
  - a catalog `differentiable` flag that disagrees with torch (torch
    differentiates the op's float output, or the op has no float output).
Differentiable ops of the other families (nn, nn2, linalg, random) without
a formula yet are listed as missing; with --require-all (or
BP_GRAD_ORACLE_REQUIRE_ALL=1) they fail too.

Run: BP_LIB=build/lib/libbackplane.so /usr/bin/python3 grad_oracle.py [--filter op]
Ends with "N passed, N failed".
"""
import argparse
import ctypes
import importlib
import os
import re
import sys
import traceback

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bp_ctypes  # noqa: E402
import oracle  # noqa: E402
import tolerances  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FAMILIES_H = os.path.join(HERE, "..", "..", "..", "dispatcher", "src", "bp_ops_families.h")

# Families whose every differentiable op must have a formula now.
REQUIRED_FAMILIES = ("CORE", "SHAPE", "UNARY", "BINARY", "REDUCE")
REQUIRED_EXTRA = {"matmul"}
# Ops of those families whose formula belongs to the nn backward work.
NOT_YET_REQUIRED = {"gelu"}
GRAD_SPEC_MODULES = ["grad_specs_nn"]
DTYPES = ("f32", "f64")
LAYOUTS = ("contiguous", "strided")
MAX_CASES = 6  # per op and dtype: gradients are costlier than forwards


class OpInfo(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("name", ctypes.c_char_p),
                ("summary", ctypes.c_char_p), ("dtype_rule", ctypes.c_char_p),
                ("form", ctypes.c_char_p), ("num_inputs", ctypes.c_uint32),
                ("num_outputs", ctypes.c_uint32), ("num_attrs", ctypes.c_uint32),
                ("outputs_required", ctypes.c_int), ("differentiable", ctypes.c_int)]


class BackwardOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("retain_graph", ctypes.c_bool)]


class GradLib(bp_ctypes.Lib):
    """bp_ctypes.Lib plus the autograd calls."""

    def __init__(self):
        super().__init__()
        c, vp = self.c, ctypes.c_void_p
        c.bp_tensor_set_requires_grad.argtypes = [vp, ctypes.c_bool]
        c.bp_tensor_requires_grad.argtypes = [vp]
        c.bp_tensor_requires_grad.restype = ctypes.c_bool
        c.bp_tensor_grad.argtypes = [vp]
        c.bp_tensor_grad.restype = vp
        c.bp_backward.argtypes = [vp, vp, ctypes.POINTER(BackwardOptions)]
        c.bp_op_query_info.argtypes = [ctypes.c_uint32, ctypes.POINTER(OpInfo)]

    def differentiable(self):
        out = {}
        for i in range(self.c.bp_op_count()):
            info = OpInfo(struct_size=ctypes.sizeof(OpInfo))
            self.check(self.c.bp_op_query_info(i, ctypes.byref(info)))
            out[info.name.decode()] = bool(info.differentiable)
        return out

    def requires_grad(self, t, flag=True):
        self.check(self.c.bp_tensor_set_requires_grad(t, flag))

    def backward(self, t, grad):
        opts = BackwardOptions(struct_size=ctypes.sizeof(BackwardOptions), retain_graph=True)
        self.check(self.c.bp_backward(t, grad, ctypes.byref(opts)))

    def grad(self, t):
        g = self.c.bp_tensor_grad(t)
        return self.numpy(ctypes.c_void_p(g)) if g else None


def families():
    """op name -> family macro name (CORE, SHAPE, ...), from bp_ops_families.h."""
    text = open(FAMILIES_H).read()
    out = {}
    for m in re.finditer(r"#define BP_OPS_(\w+)\(X\)(.*?)(?=\n\s*\n|\n#)", text, re.S):
        for op in re.findall(r'X\(\w+,\s*"([^"]+)"', m.group(2)):
            out[op] = m.group(1)
    return out


def load_specs():
    """op -> list of Spec: forward specs (no edge values), then GRAD_SPECS
    overriding per op."""
    no_edges = lambda *a, **k: oracle.values(*a, **{**k, "edges": False})  # noqa: E731
    specs = {}
    for name in oracle.SPEC_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        if hasattr(module, "values"):
            module.values = no_edges
        for s in module.SPECS:
            specs.setdefault(s.op, []).append(s)
    for name in GRAD_SPEC_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:
                raise
            continue
        grad = {}
        for s in module.GRAD_SPECS:
            if not hasattr(s, "check"):
                # grad_specs_nn.GradSpec: checked by that module's own runner
                # (ctest reference_grad_oracle_nn), counted as covered here.
                RUN_ELSEWHERE.add(s.op)
                continue
            grad.setdefault(s.op, []).append(s)
        specs.update(grad)
    return specs


RUN_ELSEWHERE = set()


class _TolSpec:
    def __init__(self, op, dtype):
        self.op = f"grad:{op}" if (f"grad:{op}", dtype) in tolerances.PER_OP else op


class MissingFormula(Exception):
    pass


def run_case(lib, spec, dtype, case, layout, rng):
    """None (agreed), "skip" (torch or Backplane refuses the forward, or
    nothing to differentiate), or a failure message. Raises MissingFormula."""
    made = []
    try:
        bp_inputs, torch_inputs, diff = [], [], []
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
            tt = oracle.to_torch(array, adtype)
            if adtype in DTYPES:
                lib.requires_grad(t)
                tt.requires_grad_(True)
                diff.append((len(bp_inputs), t, tt))
            bp_inputs.append(t)
            torch_inputs.append(tt)
        if not diff:
            return "skip"
        outputs = None
        if case.outputs:
            outputs = []
            for shape, odtype in case.outputs:
                o = lib.empty(shape, odtype)
                lib.fill(o, 0.0)
                made.append(o)
                outputs.append(o)
                torch_inputs.append(torch.zeros(shape, dtype=oracle.TORCH_DTYPES[odtype]))
        try:
            want = spec.torch(torch_inputs, case.attrs)
        except RuntimeError:
            return "skip"
        want = want if isinstance(want, tuple) else (want,)
        try:
            results = lib.run(spec.op, bp_inputs, case.attrs, outputs=outputs, num_outputs=spec.num_outputs)
        except bp_ctypes.BpError:
            return "skip"
        if not case.outputs:
            made.extend(results)
        outs, grads_t, bp_grads = [], [], []
        for k, (r, w) in enumerate(zip(results, want)):
            if not (isinstance(w, torch.Tensor) and w.requires_grad and w.is_floating_point()):
                continue
            if not lib.c.bp_tensor_requires_grad(r):
                return f"output {k} does not require grad, torch's does"
            g = rng.standard_normal(tuple(w.shape))
            outs.append(w)
            grads_t.append(torch.from_numpy(g).to(w.dtype))
            bp_grads.append((r, lib.tensor(g.astype(np.float64), "f64")))
            made.append(bp_grads[-1][1])
        if not outs:
            return "skip"
        try:
            want_g = torch.autograd.grad(outs, [tt for _, _, tt in diff], grads_t, allow_unused=True)
        except RuntimeError:
            return "skip"  # torch has no derivative for this call
        for r, g in bp_grads:
            gd = g
            rd = lib.dtype_of(r)
            if rd != "f64":
                gd = lib.run("copy", [g], outputs=[lib.empty(list(np.shape(lib.numpy(g))), rd)])[0]
                made.append(gd)
            try:
                lib.backward(r, gd)
            except bp_ctypes.BpError as e:
                if "no derivative formula yet" in e.message:
                    raise MissingFormula(e.message)
                return f"bp_backward failed: {e.message}"
        for (i, t, tt), w in zip(diff, want_g):
            if w is None:
                w = torch.zeros_like(tt)
            got = lib.grad(t)
            if got is None:
                got = np.zeros(tuple(tt.shape), dtype=bp_ctypes.DTYPES[lib.dtype_of(t)][1])
            msg = oracle.compare(got, lib.dtype_of(t), w.detach(), _TolSpec(spec.op, lib.dtype_of(t)),
                                 dtype, case)
            if msg:
                return f"gradient of input {i}: {msg}"
        return None
    finally:
        lib.release(*made)


def torch_differentiates(spec, rng):
    """Does torch give a float output with a grad_fn for some float case?"""
    for dtype in DTYPES:
        if dtype not in spec.dtypes:
            continue
        for case in list(spec.cases(dtype, rng))[:2]:
            ins = []
            for item in case.inputs:
                if isinstance(item, (int, float, bool)) and not isinstance(item, np.ndarray):
                    ins.append(item)
                    continue
                tt = oracle.to_torch(item[0], item[1])
                if item[1] in DTYPES:
                    tt.requires_grad_(True)
                ins.append(tt)
            for shape, odtype in case.outputs or []:
                ins.append(torch.zeros(shape, dtype=oracle.TORCH_DTYPES[odtype]))
            try:
                res = spec.torch(ins, case.attrs)
            except RuntimeError:
                continue
            res = res if isinstance(res, tuple) else (res,)
            if any(isinstance(r, torch.Tensor) and r.requires_grad and r.is_floating_point() for r in res):
                return True
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--filter", default="", help="only ops whose name contains this")
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--require-all", action="store_true",
                        default=os.environ.get("BP_GRAD_ORACLE_REQUIRE_ALL", "") not in ("", "0"),
                        help="fail for every differentiable op without a formula (else only for "
                             "the families listed in REQUIRED_FAMILIES)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lib = GradLib()
    diffable = lib.differentiable()
    family = families()
    specs = load_specs()

    def required(op):
        if args.require_all:
            return True
        return op in REQUIRED_EXTRA or (family.get(op) in REQUIRED_FAMILIES and op not in NOT_YET_REQUIRED)

    passed = failed = 0
    missing = []
    for op in lib.op_names():
        if args.filter not in op:
            continue
        rng = np.random.default_rng([args.seed, sum(op.encode())])
        if op in RUN_ELSEWHERE:
            if args.verbose:
                print(f"--   {op}: gradients checked by grad_specs_nn.py")
            continue
        op_specs = [s for s in specs.get(op, []) if getattr(s, "check", None) is None]
        if not diffable[op]:
            # The flag must agree with torch: no float output torch differentiates.
            # Exceptions: backward ops (Backplane has no double backward) and
            # optimizer steps (torch.optim updates under no_grad too).
            if op.endswith("_backward") or op.endswith("_step"):
                continue
            if any(torch_differentiates(s, rng) for s in op_specs):
                print(f"FAIL {op}: the catalog marks it not differentiable, but torch differentiates it")
                failed += 1
            continue
        if not op_specs:
            why = "no spec torch can be the oracle of (random)" if specs.get(op) else "no spec"
            if required(op) and not specs.get(op):
                print(f"FAIL {op}: {why}")
                failed += 1
            else:
                missing.append(f"{op} ({why})")
            continue
        exercised, op_missing = 0, None
        for spec in op_specs:
            for dtype in DTYPES:
                if dtype not in spec.dtypes or op_missing:
                    continue
                cases = list(spec.cases(dtype, rng))[:MAX_CASES]
                for ci, case in enumerate(cases):
                    for layout in [l for l in LAYOUTS if l in spec.layouts] or ["contiguous"]:
                        where = f"{op} {dtype} case {ci}{' ' + case.label if case.label else ''} {layout}"
                        try:
                            msg = run_case(lib, spec, dtype, case, layout, rng)
                        except MissingFormula as e:
                            op_missing = str(e)
                            break
                        except Exception:
                            msg = "exception:\n" + traceback.format_exc()
                        if msg == "skip":
                            continue
                        exercised += 1
                        if msg:
                            failed += 1
                            print(f"FAIL {where}: {msg}")
                        else:
                            passed += 1
                            if args.verbose:
                                print(f"ok   {where}")
                    if op_missing:
                        break
        if op_missing:
            if required(op):
                print(f"FAIL {op}: differentiable but has no derivative formula ({op_missing})")
                failed += 1
            else:
                missing.append(f"{op} (no formula)")
        elif not exercised:
            if required(op):
                print(f"FAIL {op}: differentiable, but no case of its specs exercises a gradient")
                failed += 1
            else:
                missing.append(f"{op} (no case exercises a gradient)")
    if missing:
        print(f"missing (not required yet; --require-all fails for them): {', '.join(missing)}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
