"""Oracle specs: the optimizer ops sgd_step and adamw_step, one step each
against torch.optim.SGD / torch.optim.AdamW (torch 1.13, single-tensor
algorithm) on a copy of the inputs. Several steps in a row, in place, are
checked by optim_oracle.py."""
import numpy as np
import torch

from oracle import FLOATS, Case, Spec, values

SHAPES = [(3, 4), (5,), (), (0, 3), (2, 3, 4)]


def _state(dtype, shape, rng, nonneg=False):
    v = values(dtype, shape, rng, edges=False, low=-2.0, high=2.0)
    return np.abs(v) if nonneg else v


SGD_ATTRS = [
    dict(lr=0.1),
    dict(lr=0.05, momentum=0.9, step=1),
    dict(lr=0.05, momentum=0.9, step=3),
    dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01, step=2),
    dict(lr=0.02, momentum=0.8, nesterov=True, weight_decay=0.1, step=4),
    dict(lr=0.02, momentum=0.5, maximize=True, step=2),
    dict(lr=0.02, momentum=0.5, dampening=0.5, step=1),
]


def sgd_cases(dtype, rng):
    for shape in SHAPES:
        for attrs in SGD_ATTRS:
            ins = [(_state(dtype, shape, rng), dtype) for _ in range(3)]
            yield Case(ins, dict(attrs), label=f"{shape} {attrs}")
    # torch's own checks
    p = (_state(dtype, (2,), rng), dtype)
    yield Case([p, p, p], dict(lr=-1.0), label="negative lr")
    yield Case([p, p, p], dict(lr=0.1, nesterov=True), label="nesterov without momentum")


def _checked(make):
    """torch.optim raises ValueError for bad hyperparameters; the oracle
    expects RuntimeError for a refused call."""
    try:
        return make()
    except ValueError as e:
        raise RuntimeError(str(e)) from e


def _param(p):
    return torch.nn.Parameter(p.detach().clone())


def sgd_torch(inputs, attrs):
    p, g, buf = inputs
    param = _param(p)
    param.grad = g.clone()
    momentum = attrs.get("momentum", 0.0)
    opt = _checked(lambda: torch.optim.SGD(
        [param], lr=attrs["lr"], momentum=momentum, dampening=attrs.get("dampening", 0.0),
        nesterov=attrs.get("nesterov", False), weight_decay=attrs.get("weight_decay", 0.0),
        maximize=attrs.get("maximize", False)))
    if momentum and attrs.get("step", 1) > 1:
        opt.state[param]["momentum_buffer"] = buf.clone()
    opt.step()
    new_buf = opt.state[param]["momentum_buffer"] if momentum else buf
    return param.detach(), new_buf.detach()


ADAMW_ATTRS = [
    dict(step=1),
    dict(lr=0.01, step=1),
    dict(lr=0.01, step=5, weight_decay=0.1),
    dict(lr=0.003, beta1=0.8, beta2=0.99, eps=1e-6, weight_decay=0.0, step=3),
    dict(lr=0.01, step=2, maximize=True),
]


def adamw_cases(dtype, rng):
    for shape in SHAPES:
        for attrs in ADAMW_ATTRS:
            first = attrs.get("step", 1) == 1
            p, g = _state(dtype, shape, rng), _state(dtype, shape, rng)
            m = np.zeros_like(p) if first else _state(dtype, shape, rng)
            v = np.zeros_like(p) if first else _state(dtype, shape, rng, nonneg=True)
            yield Case([(p, dtype), (g, dtype), (m, dtype), (v, dtype)], dict(attrs),
                       label=f"{shape} {attrs}")
    p = (_state(dtype, (2,), rng), dtype)
    yield Case([p, p, p, p], dict(beta1=1.0), label="beta1 1")
    yield Case([p, p, p, p], dict(eps=-1.0), label="negative eps")


def adamw_torch(inputs, attrs):
    p, g, m, v = inputs
    param = _param(p)
    param.grad = g.clone()
    step = attrs.get("step", 1)
    opt = _checked(lambda: torch.optim.AdamW(
        [param], lr=attrs.get("lr", 1e-3), betas=(attrs.get("beta1", 0.9), attrs.get("beta2", 0.999)),
        eps=attrs.get("eps", 1e-8), weight_decay=attrs.get("weight_decay", 1e-2),
        maximize=attrs.get("maximize", False)))
    opt.state[param]["step"] = torch.tensor(float(step - 1))
    opt.state[param]["exp_avg"] = m.clone()
    opt.state[param]["exp_avg_sq"] = v.clone()
    opt.step()
    st = opt.state[param]
    return param.detach(), st["exp_avg"], st["exp_avg_sq"]


SPECS = [
    # torch's f16/bf16 optimizer rounds after each elementwise op; Backplane
    # computes in f32 or better and rounds once.
    Spec("sgd_step", FLOATS, sgd_cases, sgd_torch, num_outputs=2, upcast_half=True),
    Spec("adamw_step", FLOATS, adamw_cases, adamw_torch, num_outputs=3, upcast_half=True),
]
