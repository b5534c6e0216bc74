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
    np.testing.assert_allclose(x.grad.detach().numpy(), expected, rtol=1e-14)


def test_erf_against_torch():
    torch = pytest.importorskip("torch")
    data = np.linspace(-4, 4, 33)
    for name in ("erf", "erfc"):
        x, xt = f64(data), torch.tensor(data, requires_grad=True)
        getattr(x, name)().sum().backward()
        getattr(xt, name)().sum().backward()
        np.testing.assert_allclose(getattr(x, name)().detach().numpy(), getattr(xt, name)().detach().numpy(), rtol=1e-14)
        np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-14)


# ---------------------------------------------------------------------------------------------
# one-input functions: gradcheck, gradgradcheck, values and gradients against torch

UNARY_DOMAINS = {  # name -> interval the finite differences stay inside
    "sin": (-3, 3), "cos": (-3, 3), "tan": (-1.2, 1.2), "asin": (-0.9, 0.9), "acos": (-0.9, 0.9),
    "atan": (-3, 3), "sinh": (-2, 2), "cosh": (-2, 2), "asinh": (-3, 3), "acosh": (1.2, 3),
    "atanh": (-0.9, 0.9), "exp2": (-2, 2), "expm1": (-2, 2), "log2": (0.2, 3), "log10": (0.2, 3),
    "log1p": (-0.8, 3), "rsqrt": (0.2, 3), "reciprocal": (0.2, 3), "square": (-2, 2), "frac": (0.1, 0.9),
    "logit": (0.1, 0.9), "erf": (-2, 2), "erfc": (-2, 2), "sigmoid": (-3, 3), "tanh": (-2, 2),
    "exp": (-2, 2), "log": (0.2, 3), "sqrt": (0.2, 3), "abs": (0.2, 3), "neg": (-2, 2), "relu": (0.2, 2),
    "nan_to_num": (-2, 2),
}


def _points(name, shape=(3, 4), seed=0):
    low, high = UNARY_DOMAINS[name]
    return np.random.default_rng(seed).uniform(low, high, shape)


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_twice_differentiable(name):
    x = f64(_points(name))
    method = getattr(te.Tensor, name)
    assert gradcheck(method, (x,)) and gradgradcheck(method, (x,))


@pytest.mark.parametrize("name", sorted(UNARY_DOMAINS))
def test_unary_against_torch(name):
    torch = pytest.importorskip("torch")
    data = _points(name, (20,), seed=1)
    x, xt = f64(data), torch.tensor(data, requires_grad=True)
    out, out_t = getattr(x, name)(), getattr(xt, name)()
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-13, atol=1e-15)
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12, atol=1e-15)
    assert np.array_equal(getattr(te, name)(x).detach().numpy(), out.detach().numpy())  # the function form


def test_exact_values_where_numpy_is_exact():
    assert te.tensor([8.0]).log2().item() == 3 and te.tensor([1000.0], dtype=te.float64).log10().item() == 3
    assert te.tensor([10.0]).exp2().item() == 1024
    assert te.tensor([1e-10], dtype=te.float64).expm1().item() == pytest.approx(1e-10, rel=1e-15)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "trunc", "sign"])
def test_rounding_has_zero_gradient(name):
    data = np.array([-2.5, -1.2, 0.0, 0.5, 1.5, 2.7])
    x = f64(data)
    out = getattr(x, name)()
    np.testing.assert_array_equal(out.detach().numpy(), getattr(np, name)(data))
    (out * x).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), out.detach().numpy())  # d/dx (f(x) x) = f(x) when f' = 0
    assert gradgradcheck(lambda t: getattr(t, name)() * t * t, (f64(data + 0.05),))


def test_round_decimals_and_integer_inputs():
    np.testing.assert_allclose(te.tensor([1.2345, -2.675]).round(decimals=2).detach().numpy(), [1.23, -2.68], rtol=1e-6)
    assert te.tensor([2.5, 3.5, -0.5]).round().tolist() == [2.0, 4.0, -0.0]  # half to even, as torch
    ints = te.tensor([1, -2, 3])
    for name in ("floor", "ceil", "round", "trunc", "sign"):
        out = getattr(ints, name)()
        assert out.dtype == te.int64 and out.tolist() == getattr(np, name)(ints.detach().numpy()).tolist()
    ints = te.tensor([1, 2, 3])
    for name in ("exp", "sin", "log1p", "rsqrt", "reciprocal", "erf", "exp2", "sqrt"):
        assert getattr(ints, name)().dtype == te.float32, name  # as torch: float functions of ints are float32
    assert ints.square().dtype == te.int64 and ints.abs().dtype == te.int64


def test_edge_gradients_follow_torch():
    with np.errstate(divide="ignore", invalid="ignore"):
        cases = [  # (function, input, expected gradient)
            (lambda t: t.abs(), [0.0, -1.0], [0.0, -1.0]),
            (lambda t: t.sqrt(), [0.0, 1.0], [np.inf, 0.5]),
            (lambda t: t.rsqrt(), [0.0, 1.0], [-np.inf, -0.5]),
            (lambda t: t.acos(), [1.0, 0.5], [-np.inf, -1.1547005383792517]),
            (lambda t: t.log(), [0.0, 1.0], [np.inf, 1.0]),
            (lambda t: t.logit(), [0.0, 0.5], [np.inf, 4.0]),
            (lambda t: t.logit(eps=0.1), [0.0, 0.5], [0.0, 4.0]),
            (lambda t: t.clamp(0.0, 1.0), [0.0, 1.0, 0.5, 2.0], [1.0, 1.0, 1.0, 0.0]),
            (lambda t: t.clamp(3.0, 0.0), [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]),
            (lambda t: t.nan_to_num(), [np.nan, np.inf, -np.inf, 1.0], [0.0, 0.0, 0.0, 1.0]),
            (lambda t: t.frac(), [1.5, -1.5], [1.0, 1.0]),
            (lambda t: t.sign(), [0.0, -1.0], [0.0, 0.0]),
        ]
        for fn, data, expected in cases:
            x = f64(data)
            fn(x).sum().backward()
            np.testing.assert_allclose(x.grad.detach().numpy(), expected, rtol=1e-12)


def test_nan_to_num_values():
    x = te.tensor([np.nan, np.inf, -np.inf, 1.0])
    assert x.nan_to_num().tolist() == [0.0, float(np.finfo(np.float32).max), float(np.finfo(np.float32).min), 1.0]
    assert x.nan_to_num(nan=1.0, posinf=2.0, neginf=-2.0).tolist() == [1.0, 2.0, -2.0, 1.0]
    assert x.isnan().tolist() == [True, False, False, False] and x.isinf().tolist() == [False, True, True, False]
    assert te.isfinite(x).tolist() == [False, False, False, True]


# ---------------------------------------------------------------------------------------------
# two-input functions, broadcast


BINARY = {
    "atan2": (te.atan2, (-2, 2), (-2, 2)),
    "hypot": (te.hypot, (-2, 2), (0.5, 2)),
    "fmod": (te.fmod, (0.1, 0.4), (0.5, 0.9)),  # a/b stays inside (0, 1): away from the jumps
    "remainder": (te.remainder, (-0.4, -0.1), (0.5, 0.9)),
    "xlogy": (te.xlogy, (-2, 2), (0.2, 3)),
    "fmax": (te.fmax, (-2, 2), (-2, 2)),
    "fmin": (te.fmin, (-2, 2), (-2, 2)),
    "maximum": (te.maximum, (-2, 2), (-2, 2)),
    "minimum": (te.minimum, (-2, 2), (-2, 2)),
    "pow": (te.pow, (0.5, 2), (-2, 2)),
}


def _pair(name, seed=0):
    _, (a_low, a_high), (b_low, b_high) = BINARY[name]
    rng = np.random.default_rng(seed)
    return rng.uniform(a_low, a_high, (3, 1)), rng.uniform(b_low, b_high, (4,))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_twice_differentiable_over_broadcasting(name):
    fn = BINARY[name][0]
    a, b = (f64(v) for v in _pair(name))
    assert gradcheck(fn, (a, b)) and gradgradcheck(fn, (a, b))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_against_torch(name):
    torch = pytest.importorskip("torch")
    a_data, b_data = _pair(name, seed=2)
    a, b = f64(a_data), f64(b_data)
    at, bt = torch.tensor(a_data, requires_grad=True), torch.tensor(b_data, requires_grad=True)
    out, out_t = BINARY[name][0](a, b), getattr(torch, name)(at, bt)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-13)
    (out * out).sum().backward()
    (out_t * out_t).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), at.grad.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b.grad.detach().numpy(), bt.grad.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_lerp_gradients():
    start, end, weight = f64([[1.0], [2.0]]), f64([3.0, 5.0, -1.0]), f64([0.25, 0.75, 0.5])
    assert gradcheck(te.lerp, (start, end, weight)) and gradgradcheck(te.lerp, (start, end, weight))
    np.testing.assert_allclose(te.lerp(start, end, 0.5).detach().numpy(), [[2.0, 3.0, 0.0], [2.5, 3.5, 0.5]])


def test_binary_edge_gradients_follow_torch():
    with np.errstate(divide="ignore", invalid="ignore"):
        y, x = f64([0.0, 1.0]), f64([0.0, 0.0])
        te.atan2(y, x).sum().backward()
        assert y.grad.tolist() == [0.0, 0.0] and x.grad.tolist() == [0.0, -1.0]
        a, b = f64([0.0, 0.0, 1.0]), f64([2.0, -1.0, 3.0])
        out = te.xlogy(a, b)
        out.sum().backward()
        assert out.tolist()[:2] == [0.0, 0.0]
        np.testing.assert_allclose(a.grad.detach().numpy(), [np.log(2), 0.0, np.log(3)])
        base, exponent = f64([-2.0, 0.0, 0.0]), f64([2.0, 0.5, -1.0])
        (base ** exponent).sum().backward()
        np.testing.assert_allclose(base.grad.detach().numpy(), [-4.0, np.inf, -np.inf])
        assert exponent.grad.detach().numpy()[1] == 0.0 and np.isnan(exponent.grad.detach().numpy()[0])


def test_clamp_with_tensor_bounds_against_torch():
    torch = pytest.importorskip("torch")
    data, low, high = np.array([-2.0, 0.0, 0.5, 3.0]), np.array([-1.0, 0.0, 1.0, 0.0]), np.array([1.0, 2.0, 2.0, -1.0])
    leaves = [f64(v) for v in (data, low, high)]
    leaves_t = [torch.tensor(v, requires_grad=True) for v in (data, low, high)]
    out, out_t = leaves[0].clamp(leaves[1], leaves[2]), leaves_t[0].clamp(leaves_t[1], leaves_t[2])
    np.testing.assert_array_equal(out.detach().numpy(), out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    for ours, theirs in zip(leaves, leaves_t):
        np.testing.assert_array_equal(ours.grad.detach().numpy(), theirs.grad.detach().numpy())
    assert te.tensor([1, 2, 3]).clamp(3, 0).tolist() == [0, 0, 0]
    assert te.tensor([1.0, 5.0]).clip(max=2).tolist() == [1.0, 2.0]
    assert te.tensor([1.0, 5.0]).clamp_min(2).tolist() == [2.0, 5.0]
    with pytest.raises(RuntimeError, match="min"):
        te.tensor([1.0]).clamp()


def test_integer_and_python_number_operands():
    a = te.tensor([-5, 5, 7])
    assert (a % 3).tolist() == [1, 2, 1] and (a // 2).tolist() == [-3, 2, 3]
    assert te.fmod(a, 3).tolist() == [-2, 2, 1] and (a % 3).dtype == te.int64
    assert (te.tensor([5.5]) // 2).tolist() == [2.0] and (7 % te.tensor([4.0])).tolist() == [3.0]
    assert (2 ** te.tensor([1, 2])).tolist() == [2, 4] and (2 ** te.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
    assert (2.0 ** te.tensor([1, 2])).dtype == te.float32
    with pytest.raises(RuntimeError):
        te.tensor([2]) ** -1  # as torch: integers to negative integer powers are not allowed


@pytest.mark.parametrize("op", [lambda a, b: a % b, lambda a, b: a // b, te.fmod])
def test_integer_division_by_zero_raises_as_torch(op):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(te.tensor([5, 6]), te.tensor([1, 0]))
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(te.tensor([5, 6]), 0)
    with np.errstate(divide="ignore", invalid="ignore"):  # floats divide by zero to inf or NaN, as in torch
        assert not np.isfinite(op(te.tensor([5.0]), 0.0).item())


def test_floor_divide_is_outside_the_graph():
    out = f64([5.0, -5.0]) // 2
    assert out.tolist() == [2.0, -3.0] and not out.requires_grad


def test_fmax_fmin_ignore_nan():
    a, b = te.tensor([np.nan, 1.0, np.nan]), te.tensor([2.0, np.nan, np.nan])
    assert te.fmax(a, b).tolist()[:2] == [2.0, 1.0] and np.isnan(te.fmin(a, b).tolist()[2])
    assert np.isnan(te.maximum(a, b).detach().numpy()).all()


# ---------------------------------------------------------------------------------------------
# logical, bitwise, closeness


def test_logical_and_bitwise_ops():
    p, q = te.tensor([True, True, False, False]), te.tensor([True, False, True, False])
    assert (p & q).tolist() == [True, False, False, False] and (p | q).tolist() == [True, True, True, False]
    assert (p ^ q).tolist() == [False, True, True, False] and (~p).tolist() == [False, False, True, True]
    assert te.logical_xor(p, q).tolist() == (p ^ q).tolist() and te.logical_not(q).tolist() == (~q).tolist()
    assert te.logical_and(te.tensor([0.0, 2.0]), te.tensor([1, 1])).tolist() == [False, True]
    assert te.logical_or(p, False).tolist() == p.tolist()
    ints = te.tensor([3, 5])
    assert (ints & 1).tolist() == [1, 1] and (ints | 2).tolist() == [3, 7] and (ints ^ 1).tolist() == [2, 4]
    assert (~ints).tolist() == [-4, -6] and te.bitwise_xor(ints, ints).tolist() == [0, 0]
    with pytest.raises(TypeError, match="bool or integer"):
        te.tensor([1.0]) & te.tensor([1.0])


def test_isclose_allclose_equal_against_torch():
    torch = pytest.importorskip("torch")
    a, b = [1.0, np.nan, 1.0, 2.0], [1.0 + 1e-9, np.nan, 1.1, 2.0 + 1e-5]
    for kwargs in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 1e-4, "rtol": 0}):
        expected = torch.isclose(torch.tensor(a), torch.tensor(b), **kwargs).tolist()
        assert te.isclose(te.tensor(a), te.tensor(b), **kwargs).tolist() == expected
        assert te.allclose(te.tensor(a), te.tensor(b), **kwargs) == torch.allclose(torch.tensor(a), torch.tensor(b),
                                                                                   **kwargs)
    assert te.equal(te.tensor([1, 2]), te.tensor([1.0, 2.0])) and not te.equal(te.tensor([1]), te.tensor([1, 1]))
    assert te.tensor([1.0]).allclose(te.tensor([1.0 + 1e-7]))
