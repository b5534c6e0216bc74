"""Shared fixtures for the core test suite.

`leaf(*shape)` makes float64 leaves for gradcheck; the `gradgradcheck` fixture is
te.autograd.gradgradcheck (gradcheck of x -> grad(v . fn(x), x, create_graph=True)).
"""
from __future__ import annotations

import os
import tempfile

import numpy as np
import pytest
from hypothesis import settings

import tinygrad_ed as te
from tinygrad_ed.autograd import gradgradcheck as library_gradgradcheck

# Hypothesis profiles. "ci" (the default, used by the README's command and CI) replays the same
# examples on every run and keeps no example database, so a run's outcome depends only on the code.
# "explore" (`python -m pytest --hypothesis-profile=explore`) draws fresh random examples, 20 times as
# many, and keeps the failing ones in hypothesis's database to replay them first on the next run.
# Every property pins its "ci" budget, scaled by max_examples / 100 (EXAMPLES_SCALE in the test files).
# Hypothesis's files (that database, and patches with failing examples) go outside the working tree.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "tinygrad_ed-hypothesis"))
settings.register_profile("ci", max_examples=100, derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("explore", max_examples=2000, deadline=None)
settings.load_profile("ci")


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
