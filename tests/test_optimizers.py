"""Every optimizer against torch.optim (float64, 20 steps, a grid of options, two parameter-group layouts)
and, without torch, against its update written out by hand."""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed import optim

GRIDS = {
    "SGD": dict(lr=[0.1], momentum=[0.0, 0.9], dampening=[0.0, 0.3], weight_decay=[0.0, 0.1],
                nesterov=[False, True], maximize=[False, True]),
    "Adam": dict(lr=[0.05], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1], amsgrad=[False, True],
                 maximize=[False, True]),
    "AdamW": dict(lr=[0.05], weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True]),
    "RMSprop": dict(lr=[0.01], alpha=[0.99, 0.8], weight_decay=[0.0, 0.1], momentum=[0.0, 0.9],
                    centered=[False, True], maximize=[False, True]),
    "Adagrad": dict(lr=[0.1], lr_decay=[0.0, 0.05], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.5],
                    maximize=[False, True]),
    "Adadelta": dict(lr=[1.0, 0.5], rho=[0.9, 0.5], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "Adamax": dict(lr=[0.02], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1], maximize=[False, True]),
    "NAdam": dict(lr=[0.02], weight_decay=[0.0, 0.1], momentum_decay=[4e-3, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
    "RAdam": dict(lr=[0.02], betas=[(0.9, 0.999), (0.5, 0.9)], weight_decay=[0.0, 0.1],
                  decoupled_weight_decay=[False, True], maximize=[False, True]),
}


def configurations():
    for name, grid in GRIDS.items():
        for values in itertools.product(*grid.values()):
            options = dict(zip(grid, values))
            if name == "SGD" and options["nesterov"] and (options["momentum"] == 0 or options["dampening"]):
                continue
            yield pytest.param(name, options, id=f"{name}-" + "-".join(f"{k}={v}" for k, v in options.items()))


def initial_weights():
    rng = np.random.default_rng(0)
    return [rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((2, 2))]


def gradient(w: np.ndarray) -> np.ndarray:
    """A gradient that depends on the weights, so every step sees a new one."""
    return np.sin(3 * w) + 0.5 * w


def groups(params, layout, options):
    if layout == "one":
        return params
    return [{"params": params[:2]}, {"params": params[2:], "lr": options["lr"] * 0.5}]


def run(make, params, set_grad, steps=20):
    opt = make(params)
    history = []
    for _ in range(steps):
        for p in params:
            set_grad(p)
        opt.step()
        history.append([np.array(p.detach().numpy() if hasattr(p, "detach") else p, copy=True) for p in params])
    return history


@pytest.mark.parametrize("layout", ["one", "two"])
@pytest.mark.parametrize("name, options", list(configurations()))
def test_matches_torch_every_step(name, options, layout):
    torch = pytest.importorskip("torch")
    ours = [te.tensor(w, requires_grad=True) for w in initial_weights()]
    theirs = [torch.tensor(w, requires_grad=True) for w in initial_weights()]

    def set_ours(p):
        p.grad = te.tensor(gradient(p.detach().numpy()))

    def set_theirs(p):
        p.grad = torch.tensor(gradient(p.detach().numpy()))

    mine = run(lambda ps: getattr(optim, name)(groups(ps, layout, options), **options), ours, set_ours)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps step counts and NAdam's mu product in this dtype
    try:
        ref = run(lambda ps: getattr(torch.optim, name)(groups(ps, layout, options), **options), theirs,
                  set_theirs)
    finally:
        torch.set_default_dtype(previous)
    for step, (a, b) in enumerate(zip(mine, ref)):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-13, err_msg=f"step {step + 1}")
