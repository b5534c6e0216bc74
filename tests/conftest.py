"""Shared fixtures for the core test suite.

`leaf(*shape)` makes float64 leaves for gradcheck; the `gradgradcheck` fixture is
te.autograd.gradgradcheck (gradcheck of x -> grad(v . fn(x), x, create_graph=True)).
"""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradgradcheck as library_gradgradcheck


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


@pytest.fixture
def gradgradcheck():
    return library_gradgradcheck
