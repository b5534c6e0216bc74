"""Shared fixtures for the core test suite.

`leaf(*shape)` makes float64 leaves for gradcheck; `gradgradcheck(fn, inputs)`
checks that the gradient of `fn` is itself differentiable (finite differences
of x -> grad(v . fn(x), x, create_graph=True), projected again by gradcheck).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, grad


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture
def leaf(rng):
    """leaf(*shape, low=None): a float64 leaf requiring grad; values in [low, low + 1) when low is given."""

    def make(*shape: int, low: float | None = None) -> te.Tensor:
        data = rng.standard_normal(shape) if low is None else low + rng.random(shape)
        return te.tensor(data, requires_grad=True)

    return make


def _gradgradcheck(fn, inputs, seed: int = 0, **tolerances) -> bool:
    inputs = tuple(inputs)
    checked = [t for t in inputs if t.requires_grad]
    outputs = fn(*inputs)
    direction = te.tensor(np.random.default_rng(seed + 1).standard_normal(outputs.shape))

    def first_derivatives(*xs):
        with te.enable_grad():  # gradcheck evaluates its function under no_grad
            projected = (fn(*xs) * direction).sum()
            wrt = [x for x in xs if x.requires_grad]
            grads = grad(projected, wrt, create_graph=True, allow_unused=True)
        return [g for g in grads if g is not None]  # constant ones stay: a wrongly detached rule shows up

    return gradcheck(first_derivatives, checked, seed=seed, **tolerances)


@pytest.fixture
def gradgradcheck():
    return _gradgradcheck
