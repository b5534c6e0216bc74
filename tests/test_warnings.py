"""Warnings the package gives or avoids, as torch: a mean over no elements is nan without a warning;
a variance with no degrees of freedom warns as torch does and is inf or nan (never negative);
pytest turns any other warning raised in the package into an error (pyproject.toml)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_ed as te


def test_mean_of_no_elements_is_nan_silently():
    x = te.zeros(0, 3, dtype=te.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = x.mean()
        total.backward()
        by_column = x.mean(dim=0)
    assert np.isnan(total.item()) and x.grad.shape == (0, 3)
    assert by_column.shape == (3,) and np.isnan(by_column.detach().numpy()).all()
    assert np.isnan(te.nn.functional.mse_loss(te.zeros(0), te.zeros(0)).item())


@pytest.mark.parametrize("values, correction, expected", [
    ([1.0], 1, np.nan),           # 0 / 0
    ([1.0, 3.0], 2, np.inf),      # 2 / 0
    ([1.0, 3.0], 3, np.inf),      # 2 / max(0, 2 - 3): not 2 / -1
    ([1.0, 1.0], 5, np.nan),
])
def test_variance_without_degrees_of_freedom_warns_and_is_inf_or_nan(values, correction, expected):
    x = te.tensor(values, dtype=te.float64)
    with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
        got = x.var(correction=correction).item()
    np.testing.assert_equal(got, expected)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(x.std(correction=correction).item()) == np.isnan(expected)


def test_variance_without_degrees_of_freedom_matches_torch():
    torch = pytest.importorskip("torch")
    for values, correction in [([1.0], 1), ([1.0, 3.0], 2), ([1.0, 3.0], 3), ([[1.0, 2.0]], 1)]:
        with pytest.warns(UserWarning, match="degrees of freedom"):
            theirs = torch.tensor(values, dtype=torch.float64).var(dim=0, correction=correction).detach().numpy()
        with pytest.warns(UserWarning, match="degrees of freedom"):
            mine = te.tensor(values, dtype=te.float64).var(dim=0, correction=correction).detach().numpy()
        np.testing.assert_equal(mine, theirs)


def test_variance_with_degrees_of_freedom_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert te.tensor([1.0, 3.0], dtype=te.float64).var().item() == 2.0
        assert te.tensor([1.0, 3.0], dtype=te.float64).var(correction=1.5).item() == 4.0


def test_division_by_zero_warns_as_numpy_does():
    # a deliberate difference from torch (silent): the division is numpy's, and checking every
    # divisor for zeros, or silencing numpy around every division, would slow division down
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        out = te.tensor([1.0, -1.0]) / te.tensor([0.0, 0.0])
    np.testing.assert_equal(out.detach().numpy(), [np.inf, -np.inf])


def test_warnings_from_the_package_are_errors_in_this_suite():
    with pytest.raises(RuntimeWarning):
        te.tensor([1.0]) / te.tensor([0.0])
