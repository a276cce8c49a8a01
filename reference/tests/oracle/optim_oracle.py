"""Several optimizer steps in a row, in place, against torch.optim.

Each configuration runs STEPS steps of sgd_step / adamw_step on ref:0 with
the parameter and its state buffers as both inputs and outputs (as the
typed entry points bp_sgd_step / bp_adamw_step do), feeding the same
gradients to torch.optim.SGD / torch.optim.AdamW, and compares the
parameter and every state buffer after each step (f32 and f64, tolerances
from tolerances.py). Layouts: contiguous and transposed/strided state.

Run by ctest as `python3 optim_oracle.py` with BP_LIB set. Prints one line
per failure and ends with "N passed, N failed".
"""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bp_ctypes  # noqa: E402
import tolerances  # noqa: E402

STEPS = 6

SGD_CONFIGS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.2, weight_decay=1e-2),
    dict(lr=0.03, momentum=0.9, nesterov=True, weight_decay=1e-3),
    dict(lr=0.03, momentum=0.7, maximize=True),
]
ADAMW_CONFIGS = [
    dict(),
    dict(lr=1e-2),
    dict(lr=1e-2, beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.1),
    dict(lr=3e-3, weight_decay=0.0),  # Adam
    dict(lr=1e-2, maximize=True),
]


def torch_optimizer(kind, param, cfg):
    if kind == "sgd_step":
        return torch.optim.SGD([param], lr=cfg["lr"], momentum=cfg.get("momentum", 0.0),
                               dampening=cfg.get("dampening", 0.0), nesterov=cfg.get("nesterov", False),
                               weight_decay=cfg.get("weight_decay", 0.0), maximize=cfg.get("maximize", False))
    return torch.optim.AdamW([param], lr=cfg.get("lr", 1e-3),
                             betas=(cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)),
                             eps=cfg.get("eps", 1e-8), weight_decay=cfg.get("weight_decay", 1e-2),
                             maximize=cfg.get("maximize", False))


def compare(name, got, want, dtype):
    rtol, atol = tolerances.lookup(name, dtype)
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    lim = atol + rtol * np.abs(want.astype(np.float64))
    if err.size and np.any(err > lim):
        i = int(np.argmax(err - lim))
        return f"max error {err.flat[i]:.3g} > {lim.flat[i]:.3g}"
    return None


def run_config(lib, kind, cfg, dtype, layout, rng):
    shape = (4, 5)
    np_dt = np.float32 if dtype == "f32" else np.float64
    p0 = rng.uniform(-1, 1, shape).astype(np_dt)
    grads = [rng.uniform(-1, 1, shape).astype(np_dt) for _ in range(STEPS)]
    nstate = 1 if kind == "sgd_step" else 2
    param_t = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = torch_optimizer(kind, param_t, cfg)
    bp_param = lib.tensor(p0, dtype, layout)
    bp_state = [lib.tensor(np.zeros(shape, np_dt), dtype, layout) for _ in range(nstate)]
    made = [bp_param] + bp_state
    try:
        for step in range(1, STEPS + 1):
            g = lib.tensor(grads[step - 1], dtype, "contiguous")
            made.append(g)
            attrs = {k: v for k, v in cfg.items()}
            attrs["step"] = step
            lib.run(kind, [bp_param, g] + bp_state, attrs, outputs=[bp_param] + bp_state)
            param_t.grad = torch.from_numpy(grads[step - 1].copy())
            opt.step()
            st = opt.state[param_t]
            if kind == "sgd_step":
                want_state = [st["momentum_buffer"]] if cfg.get("momentum", 0.0) else [torch.zeros(shape)]
            else:
                want_state = [st["exp_avg"], st["exp_avg_sq"]]
            names = ["param"] + (["momentum_buffer"] if kind == "sgd_step" else ["exp_avg", "exp_avg_sq"])
            for name, t, w in zip(names, [bp_param] + bp_state, [param_t.detach()] + want_state):
                msg = compare(kind, lib.numpy(t), w.numpy(), dtype)
                if msg:
                    return f"step {step}: {name}: {msg}"
        return None
    finally:
        lib.release(*made)


def main():
    torch.set_num_threads(1)
    lib = bp_ctypes.Lib()
    rng = np.random.default_rng(7)
    passed = failed = 0
    for kind, configs in (("sgd_step", SGD_CONFIGS), ("adamw_step", ADAMW_CONFIGS)):
        for cfg in configs:
            for dtype in ("f32", "f64"):
                for layout in ("contiguous", "transposed", "strided"):
                    msg = run_config(lib, kind, cfg, dtype, layout, rng)
                    if msg:
                        failed += 1
                        print(f"FAIL {kind} {cfg} {dtype} {layout}: {msg}")
                    else:
                        passed += 1
    print(f"{passed} passed, {failed} failed ({STEPS} steps each)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
