"""Elementwise math functions: values and gradients against closed forms, finite differences
(gradcheck/gradgradcheck in float64) and PyTorch where installed."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck
from tinygrad_ed.ops import special


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# erf / erfc


ERF_POINTS = np.concatenate([np.linspace(-7, 7, 2801), np.geomspace(1e-300, 1, 50), [0.0, 0.999999, 1.0, 1.000001,
                                                                                       2.0, 3.999, 4.0, 6.0, 26.0]])


def test_erf_matches_math_erf_to_float64_round_off():
    expected = np.array([math.erf(v) for v in ERF_POINTS])
    np.testing.assert_allclose(special.erf(ERF_POINTS), expected, rtol=3e-15, atol=0)
    np.testing.assert_allclose(special.erf(-ERF_POINTS), -expected, rtol=3e-15, atol=0)


def test_erfc_keeps_relative_accuracy_in_the_tail():
    points = np.concatenate([ERF_POINTS, -ERF_POINTS])
    expected = np.array([math.erfc(v) for v in points])
    np.testing.assert_allclose(special.erfc(points), expected, rtol=1e-14, atol=0)


def test_erf_edge_values_and_dtypes():
    out = special.erf(np.array([np.inf, -np.inf, np.nan, -0.0]))
    assert out[0] == 1 and out[1] == -1 and np.isnan(out[2]) and np.signbit(out[3])
    assert list(special.erfc(np.array([np.inf, -np.inf, 30.0]))) == [0.0, 2.0, 0.0]
    assert special.erf(np.ones(3, np.float32)).dtype == np.float32
    assert te.tensor([1, 2]).erf().dtype == te.float32  # integers give float32, as in torch


@pytest.mark.parametrize("fn", [te.erf, te.erfc, te.Tensor.erf, te.Tensor.erfc])
def test_erf_gradients(fn):
    x = f64(np.linspace(-2.5, 2.5, 11).reshape(11, 1))
    assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


def test_erf_gradient_closed_form():
    x = f64([-1.0, 0.0, 0.5, 3.0])
    (te.erf(x) + 2 * te.erfc(x)).sum().backward()
    expected = -2 / math.sqrt(math.pi) * np.exp(-x.array ** 2)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-14)


def test_erf_against_torch():
    torch = pytest.importorskip("torch")
    data = np.linspace(-4, 4, 33)
    for name in ("erf", "erfc"):
        x, xt = f64(data), torch.tensor(data, requires_grad=True)
        getattr(x, name)().sum().backward()
        getattr(xt, name)().sum().backward()
        np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(xt, name)().detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-14)
