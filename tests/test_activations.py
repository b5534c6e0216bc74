"""Activation functions of nn.functional: values and gradients against torch (float64, several shapes),
gradcheck and gradgradcheck, closed forms, extreme inputs, torch's kink gradients and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck, gradgradcheck

# (name, keyword arguments): each applied elementwise
CASES = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}), ("elu", {}), ("elu", {"alpha": 2.0}),
    ("selu", {}), ("celu", {}), ("celu", {"alpha": 0.5}), ("silu", {}), ("mish", {}), ("softplus", {}),
    ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("relu6", {}), ("hardsigmoid", {}), ("hardswish", {}),
    ("logsigmoid", {}), ("tanhshrink", {}), ("softshrink", {}), ("softshrink", {"lambd": 1.0}),
    ("hardshrink", {}), ("hardshrink", {"lambd": 1.0}), ("threshold", {"threshold": 0.3, "value": -2.0}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("relu", {}), ("sigmoid", {}), ("tanh", {}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, kw in CASES]
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def values(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape) * 3


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_values_and_gradients_match_torch(name, kwargs, shape):
    torch = pytest.importorskip("torch")
    data = values(shape)
    ours = te.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out = getattr(F, name)(ours, **kwargs)
    expected = getattr(torch.nn.functional, name)(theirs, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = np.random.default_rng(1).standard_normal(shape)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    # torch's hardsigmoid/hardswish backward multiplies by 1/6 rounded to float32, even in float64
    rtol = 1e-7 if name.startswith("hards") else 1e-10
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=rtol, atol=1e-14)


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(name, kwargs):
    x = te.tensor(values((3, 4), seed=2), requires_grad=True)
    fn = getattr(F, name)
    assert gradcheck(lambda t: fn(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: fn(t, **kwargs), (x,))


KINKS = np.array([-6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0])


@pytest.mark.parametrize("name,kwargs", CASES, ids=IDS)
def test_gradients_at_kinks_match_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = te.tensor(KINKS, requires_grad=True)
    theirs = torch.tensor(KINKS, requires_grad=True)
    getattr(F, name)(ours, **kwargs).sum().backward()
    getattr(torch.nn.functional, name)(theirs, **kwargs).sum().backward()
    if name == "hardswish":  # torch's hardswish gives -0.5 at x = -3, the left limit is 0: ours is 0
        keep = KINKS != -3
        np.testing.assert_allclose(ours.grad.detach().numpy()[keep], theirs.grad.detach().numpy()[keep], rtol=1e-7)
        return
    rtol = 1e-7 if name.startswith("hards") else 1e-12  # torch's float32 1/6, as above
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=rtol, atol=1e-15)


EXTREMES = [-1e4, -800.0, -100.0, -40.0, -20.0, -1e-8, 0.0, 1e-8, 20.0, 40.0, 100.0, 800.0, 1e4]
STABLE = ["softplus", "logsigmoid", "silu", "mish", "elu", "selu", "celu", "gelu", "softsign", "tanhshrink"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", STABLE)
def test_extreme_inputs_are_finite_and_match_torch(name, dtype):
    torch = pytest.importorskip("torch")
    data = np.array(EXTREMES, dtype=dtype)
    ours = te.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out = getattr(F, name)(ours)
    expected = getattr(torch.nn.functional, name)(theirs)
    out.sum().backward()
    expected.sum().backward()
    assert out.dtype == np.dtype(dtype)
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(ours.grad.detach().numpy()).all()
    rtol = 4 * np.finfo(dtype).eps
    # atol: torch's gelu(-20) underflows to 0 where ours keeps x * Phi(x) = -5.5e-88
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol, atol=1e-30)
    if name == "softsign":  # 1/(1+|x|) - |x|/(1+|x|)^2 cancels: both lose digits at large |x|, differently
        rtol = 1e-4
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=rtol, atol=1e-30)


def test_softplus_and_logsigmoid_keep_relative_accuracy_in_the_tails():
    x = te.tensor([-50.0, -30.0, 30.0, 50.0], dtype=te.float64)
    np.testing.assert_allclose(F.softplus(x).detach().numpy()[:2], np.log1p(np.exp([-50.0, -30.0])), rtol=1e-15)
    np.testing.assert_allclose(F.logsigmoid(x).detach().numpy()[2:], -np.log1p(np.exp([-30.0, -50.0])), rtol=1e-15)


def test_closed_forms():
    x = te.tensor([-2.0, -0.25, 0.5, 3.0], dtype=te.float64)
    a = x.detach().numpy()
    np.testing.assert_allclose(F.leaky_relu(x, 0.1).detach().numpy(), np.where(a > 0, a, 0.1 * a))
    np.testing.assert_allclose(F.elu(x, 1.5).detach().numpy(), np.where(a > 0, a, 1.5 * np.expm1(a)), rtol=1e-14)
    np.testing.assert_allclose(F.gelu(x).detach().numpy(), [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in a],
                               rtol=1e-14)
    np.testing.assert_allclose(F.hardswish(x).detach().numpy(), a * np.clip(a + 3, 0, 6) / 6)
    np.testing.assert_allclose(F.softshrink(x, 0.5).detach().numpy(), [-1.5, 0.0, 0.0, 2.5])
    np.testing.assert_allclose(F.hardshrink(x, 0.5).detach().numpy(), [-2.0, 0.0, 0.0, 3.0])
    np.testing.assert_allclose(F.mish(x).detach().numpy(), a * np.tanh(np.log1p(np.exp(a))), rtol=1e-14)
    np.testing.assert_allclose(F.selu(x).detach().numpy(), 1.0507009873554805 * np.where(a > 0, a, 1.6732632423543772 *
                                                                                 np.expm1(a)), rtol=1e-14)


def test_glu_halves_along_dim():
    data = np.random.default_rng(3).standard_normal((2, 4, 3))
    x = te.tensor(data, requires_grad=True)
    out = F.glu(x, dim=1)
    np.testing.assert_allclose(out.detach().numpy(), data[:, :2] / (1 + np.exp(-data[:, 2:])), rtol=1e-14)
    assert gradcheck(lambda t: F.glu(t, 1), (x,)) and gradgradcheck(lambda t: F.glu(t, 0), (x,))
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 2 is size 3"):
        F.glu(x)
    with pytest.raises(RuntimeError, match="scalars"):
        F.glu(te.tensor(1.0))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softmax_family_matches_torch(name, shape, dim):
    torch = pytest.importorskip("torch")
    data = values(shape, 4)
    ours = te.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    out = getattr(F, name)(ours, dim=dim)
    expected = getattr(torch.nn.functional, name)(theirs, dim=dim)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    weights = np.random.default_rng(5).standard_normal(shape)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy(), rtol=1e-10, atol=1e-14)
    assert gradgradcheck(lambda t: getattr(F, name)(t, dim), (te.tensor(data, requires_grad=True),))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("ndim,dim", [(1, 0), (2, 1), (3, 0), (4, 1)])
def test_implicit_dim_warns_and_picks_torchs_dim(name, ndim, dim):
    x = te.tensor(values((2,) * ndim, 6))
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name} has been deprecated"):
        out = getattr(F, name)(x)
    np.testing.assert_allclose(out.detach().numpy(), getattr(F, name)(x, dim).detach().numpy())


def test_softmax_dtype_casts_first():
    x = te.tensor([1.0, 2.0, 3.0])
    out = F.softmax(x, 0, dtype=te.float64)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.detach().numpy(), np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)
    assert F.log_softmax(te.tensor([1, 2]), dim=0, dtype=te.float32).dtype == np.float32


def test_inplace_overwrites_the_input_outside_the_graph():
    x = te.tensor([-1.0, 2.0])
    assert F.leaky_relu(x, 0.5, inplace=True) is x
    np.testing.assert_allclose(x.detach().numpy(), [-0.5, 2.0])
    y = te.tensor([-1.0, 7.0])
    F.relu6(y, inplace=True)
    np.testing.assert_allclose(y.detach().numpy(), [0.0, 6.0])
    leaf = te.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place operation"):
        F.elu(leaf, inplace=True)
    np.testing.assert_allclose(F.silu(te.tensor([1.0]), inplace=False).detach().numpy(), [1 / (1 + math.exp(-1))])


def test_errors():
    x = te.tensor([1.0])
    with pytest.raises(RuntimeError, match="alpha cannot be 0"):
        F.celu(x, alpha=0.0)
    with pytest.raises(RuntimeError, match="lambda must be non-negative"):
        F.softshrink(x, -1.0)
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(x, 2.0, 1.0)
    with pytest.raises(RuntimeError, match="approximate argument must be either 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")


def test_in_place_forms():
    for name, args, expected in [("relu_", (), [0.0, 2.0]), ("leaky_relu_", (0.5,), [-0.5, 2.0]),
                                 ("hardtanh_", (), [-1.0, 1.0]), ("threshold_", (1.0, 7.0), [7.0, 2.0]),
                                 ("elu_", (), [math.expm1(-1.0), 2.0]), ("celu_", (2.0,), [2 * math.expm1(-0.5), 2.0])]:
        x = te.tensor([-1.0, 2.0], dtype=te.float64)
        assert getattr(F, name)(x, *args) is x
        np.testing.assert_allclose(x.detach().numpy(), expected, rtol=1e-15)
    x = te.tensor([-1.0, 2.0], dtype=te.float64)
    F.selu_(x)
    np.testing.assert_allclose(x.detach().numpy(), F.selu(te.tensor([-1.0, 2.0], dtype=te.float64)).detach().numpy())


@pytest.mark.parametrize("shape,channels", [((2, 3, 4), 3), ((2, 3, 4), 1), ((5, 3), 3), ((4,), 1)])
def test_prelu(shape, channels):
    data = values(shape, 7)
    slopes = np.linspace(0.1, 0.3, channels)
    x, w = te.tensor(data, requires_grad=True), te.tensor(slopes, requires_grad=True)
    assert gradcheck(F.prelu, (x, w)) and gradgradcheck(F.prelu, (x, w))
    torch = pytest.importorskip("torch")
    xt, wt = torch.tensor(data, requires_grad=True), torch.tensor(slopes, requires_grad=True)
    out, expected = F.prelu(x, w), torch.nn.functional.prelu(xt, wt)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-15)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(w.grad.detach().numpy(), wt.grad.detach().numpy(), rtol=1e-12)


def test_prelu_checks_the_channel_count():
    with pytest.raises(RuntimeError, match="Found parameter numbers = 2 and channel size = 3"):
        F.prelu(te.zeros(2, 3), te.tensor([0.1, 0.2]))


# -- the module forms (nn.ReLU ...) ----------------------------------------------------------------

# (class name, constructor arguments): every activation layer, at its defaults and with arguments
MODULES = [
    ("ReLU", ()), ("Sigmoid", ()), ("Tanh", ()), ("Softsign", ()), ("LogSigmoid", ()), ("Tanhshrink", ()),
    ("SELU", ()), ("SiLU", ()), ("Mish", ()), ("Hardsigmoid", ()), ("Hardswish", ()),
    ("LeakyReLU", ()), ("LeakyReLU", (0.2,)), ("ELU", ()), ("ELU", (0.5,)), ("CELU", (2.0,)),
    ("GELU", ()), ("GELU", ("tanh",)), ("Softplus", ()), ("Softplus", (2.0, 1.0)), ("Hardtanh", ()),
    ("Hardtanh", (-0.5, 2.0)), ("ReLU6", ()), ("Threshold", (0.3, -2.0)), ("Softshrink", ()),
    ("Hardshrink", (1.0,)), ("GLU", ()), ("GLU", (1,)), ("Softmax", (1,)), ("LogSoftmax", (0,)),
    ("Softmin", (-1,)), ("PReLU", ()), ("PReLU", (4, 0.1)),
]
MODULE_IDS = [f"{name}{args}" for name, args in MODULES]


@pytest.mark.parametrize("name,args", MODULES, ids=MODULE_IDS)
def test_modules_match_torch_in_value_gradient_and_repr(name, args):
    torch = pytest.importorskip("torch")
    ours, theirs = getattr(te.nn, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    ours.double()
    theirs.double()
    data = values((2, 4, 6), seed=3)
    x, tx = te.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = ours(x), theirs(tx)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-14)
    weights = np.random.default_rng(4).standard_normal(out.shape)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    rtol = 1e-7 if name.startswith("Hards") else 1e-10  # torch's float32-rounded 1/6, as above
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=1e-14)
    for (_, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("name,args", MODULES, ids=MODULE_IDS)
def test_modules_gradcheck(name, args):
    module = getattr(te.nn, name)(*args).double()
    x = te.tensor(values((2, 4, 6), seed=5), requires_grad=True)
    assert gradcheck(module, (x,))
    assert gradgradcheck(module, (x,))


@pytest.mark.parametrize("name,args", [("ReLU", (True,)), ("LeakyReLU", (0.1, True)), ("ELU", (1.0, True)),
                                       ("SELU", (True,)), ("SiLU", (True,)), ("Mish", (True,)),
                                       ("Hardtanh", (-1.0, 1.0, True)), ("ReLU6", (True,)),
                                       ("Threshold", (0.1, 5.0, True))])
def test_inplace_modules_overwrite_their_input(name, args):
    torch = pytest.importorskip("torch")
    data = values((3, 4), seed=6)
    x, tx = te.tensor(data), torch.tensor(data)
    assert getattr(te.nn, name)(*args)(x) is x
    getattr(torch.nn, name)(*args)(tx)
    np.testing.assert_allclose(x.numpy(), tx.numpy(), rtol=1e-12, atol=1e-14)
    assert repr(getattr(te.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_module_defaults_and_checks():
    assert te.nn.LeakyReLU().negative_slope == 0.01 and te.nn.GELU().approximate == "none"
    assert (te.nn.Softplus().beta, te.nn.Softplus().threshold) == (1.0, 20.0)
    assert (te.nn.ReLU6().min_val, te.nn.ReLU6().max_val) == (0.0, 6.0)
    assert te.nn.Hardtanh(min_value=-3.0).min_val == -3.0  # torch's deprecated spelling still wins
    with pytest.raises(AssertionError, match="max_val"):
        te.nn.Hardtanh(1.0, 0.0)
    with pytest.raises(RuntimeError, match="approximate"):
        te.nn.GELU("fast")(te.ones(2))
    with pytest.warns(UserWarning, match="Implicit dimension"):
        out = te.nn.Softmax()(te.ones(2, 3))
    np.testing.assert_allclose(out.numpy(), np.full((2, 3), 1 / 3))  # torch's implicit dim for 2-D: 1
    assert not isinstance(te.nn.CELU(), te.nn.ELU) and not isinstance(te.nn.LogSoftmax(), te.nn.Softmax)
    assert isinstance(te.nn.ReLU6(), te.nn.Hardtanh)  # as torch
    prelu = te.nn.PReLU(3, 0.5)
    prelu.weight.data.fill_(0.0)
    prelu.reset_parameters()
    np.testing.assert_array_equal(prelu.weight.detach().numpy(), [0.5, 0.5, 0.5])
