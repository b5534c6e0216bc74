"""Numerics at the edges: logits of +-1e4 stay finite (values and gradients), binary cross-entropy clamps
its log at -100 like torch, and sqrt/log/pow at 0 follow torch's conventions for value and gradient.
Expected values are closed forms; torch, where installed, is a second oracle."""
from __future__ import annotations

import math

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import grad
from tinygrad_ed.nn import functional as F

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy warns on log(0), 1/0: we want those
DTYPES = [te.float32, te.float64]
BIG = 1e4


def leaf(values, dtype=te.float64):
    return te.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def assert_finite(*tensors):
    for t in tensors:
        assert np.all(np.isfinite(t.detach().numpy())), t


# ---------------------------------------------------------------------------------------------
# huge logits


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_softmax_of_huge_logits(dtype):
    x = leaf([[BIG, -BIG, 0.0], [-BIG, -BIG, -BIG]], dtype)
    out = x.log_softmax(1)
    # log_softmax_i = x_i - max - log(sum exp(x - max)); the other terms underflow to exactly 0
    expected = [[0.0, -2 * BIG, -BIG], [-math.log(3)] * 3]
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6)
    assert out.dtype == dtype
    (out * te.tensor([[1.0, 2.0, 3.0], [1.0, 0.0, 0.0]], dtype=dtype)).sum().backward()
    # d/dx_j sum_i v_i log_softmax_i = v_j - softmax_j sum_i v_i
    np.testing.assert_allclose(x.grad.numpy(), [[1 - 6, 2, 3], [1 - 1 / 3, -1 / 3, -1 / 3]], rtol=1e-6)
    softmax = x.detach().softmax(1)
    np.testing.assert_allclose(softmax.numpy(), [[1, 0, 0], [1 / 3] * 3], rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_cross_entropy_of_huge_logits(dtype, sign):
    x = leaf([[sign * BIG, -sign * BIG, 0.0]], dtype)
    wrong = 1 if sign > 0 else 0  # the class whose logit is -1e4
    loss = F.cross_entropy(x, te.tensor([wrong]))
    assert loss.item() == pytest.approx(2 * BIG)  # -log_softmax = max - x_target
    loss.backward()
    expected = np.zeros(3)
    expected[1 - wrong] += 1.0  # softmax is one-hot on the winning class
    expected[wrong] -= 1.0      # minus the one-hot target
    np.testing.assert_allclose(x.grad.numpy(), [expected], atol=1e-6)
    assert x.grad.dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_of_huge_logits_with_probabilities_and_smoothing(dtype):
    x = leaf([[BIG, -BIG], [-BIG, BIG]], dtype)
    target = te.tensor(np.array([[0.25, 0.75], [0.5, 0.5]], dtype=dtype))
    loss = F.cross_entropy(x, target, reduction="sum")
    # sample 1: -(0.25 * 0 + 0.75 * -2e4) = 1.5e4; sample 2: -(0.5 * -2e4 + 0.5 * 0) = 1e4
    assert loss.item() == pytest.approx(2.5 * BIG)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.75, -0.75], [-0.5, 0.5]], atol=1e-6)  # softmax - target
    x.grad = None
    smoothed = F.cross_entropy(x, te.tensor([1, 0]), label_smoothing=0.2)
    # each sample: 0.9 * 2e4 (target, weight 1 - 0.2 + 0.2/2) + 0.1 * 0; mean over the 2 samples
    assert smoothed.item() == pytest.approx(0.9 * 2 * BIG)
    smoothed.backward()
    assert_finite(x.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_with_logits_of_huge_logits(dtype):
    x = leaf([BIG, -BIG, BIG, -BIG, 0.0], dtype)
    y = te.tensor(np.array([0.0, 1.0, 1.0, 0.0, 1.0], dtype=dtype))
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    # softplus(x) - x y: a wrong sign costs |x|, a right one e^-1e4 = 0, a zero logit log 2
    np.testing.assert_allclose(loss.detach().numpy(), [BIG, BIG, 0.0, 0.0, math.log(2)], rtol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -1.0, 0.0, 0.0, -0.5], atol=1e-7)  # sigmoid(x) - y
    x.grad = None
    weighted = F.binary_cross_entropy_with_logits(x, y, reduction="sum", pos_weight=te.tensor(3.0, dtype=dtype))
    # pos_weight multiplies the y log sigmoid(x) term: 3e4 + 0 + 0 + 1e4 + 3 log 2
    assert weighted.item() == pytest.approx(BIG + 3 * BIG + 3 * math.log(2), rel=1e-6)
    weighted.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, -3.0, 0.0, 0.0, -1.5], atol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logsumexp_sigmoid_and_tanh_of_huge_values(dtype):
    x = leaf([BIG, -BIG, BIG], dtype)
    out = x.logsumexp(0)
    assert out.item() == pytest.approx(BIG + math.log(2))
    out.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.0, 0.5])
    for fn, values, slopes in [(te.Tensor.sigmoid, [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]),
                               (te.Tensor.tanh, [1.0, -1.0, 1.0], [0.0, 0.0, 0.0])]:
        x.grad = None
        out = fn(x)
        np.testing.assert_array_equal(out.detach().numpy(), values)
        out.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), slopes)


def test_logsumexp_of_all_minus_infinity_is_minus_infinity():
    x = leaf([-np.inf, -np.inf])
    assert x.logsumexp(0).item() == -np.inf  # torch too; no NaN from inf - inf


def test_huge_logits_match_torch():
    torch = pytest.importorskip("torch")
    logits = np.array([[BIG, -BIG, 0.0], [3.0, -BIG, BIG]])
    labels = np.array([1, 0])
    ours = leaf(logits)
    F.cross_entropy(ours, te.tensor(labels)).backward()
    theirs = torch.tensor(logits, requires_grad=True)
    torch.nn.functional.cross_entropy(theirs, torch.tensor(labels)).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
    ours, theirs = leaf(logits), torch.tensor(logits, requires_grad=True)
    targets = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0]])
    a = F.binary_cross_entropy_with_logits(ours, te.tensor(targets))
    b = torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.tensor(targets))
    a.backward()
    b.backward()
    assert a.item() == pytest.approx(b.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


# ---------------------------------------------------------------------------------------------
# binary cross-entropy on probabilities: the log is clamped at -100, as torch


@pytest.mark.parametrize("dtype", DTYPES)
def test_binary_cross_entropy_clamps_its_log_at_minus_100(dtype):
    p = leaf([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5], dtype)
    y = te.tensor(np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0], dtype=dtype))
    loss = F.binary_cross_entropy(p, y, reduction="none")
    # -log(0) would be inf: torch clamps each log at -100; log(1e-30) = -69.08 is above the clamp
    np.testing.assert_allclose(loss.detach().numpy(), [100.0, 100.0, 0.0, 0.0, 30 * math.log(10), math.log(2)], rtol=1e-6)
    loss.sum().backward()
    assert_finite(loss, p.grad)
    # where the log is clamped its derivative is 0; elsewhere the exact -y/p + (1-y)/(1-p)
    np.testing.assert_allclose(p.grad.numpy()[[0, 1, 2, 3, 5]], [0.0, 0.0, 1.0, -1.0, -2.0])


def test_binary_cross_entropy_values_match_torch():
    torch = pytest.importorskip("torch")
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-30, 0.5, 1e-50])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
    ours = F.binary_cross_entropy(te.tensor(p), te.tensor(y), reduction="none").numpy()
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(y), reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_binary_cross_entropy_through_a_saturated_sigmoid_stays_finite():
    x = leaf([-800.0, 800.0, 0.0])  # sigmoid gives exactly 0 and 1 in float64
    loss = F.binary_cross_entropy(x.sigmoid(), te.tensor([1.0, 0.0, 1.0]), reduction="sum")
    assert loss.item() == pytest.approx(200.0 + math.log(2))
    loss.backward()
    assert_finite(x.grad)


# ---------------------------------------------------------------------------------------------
# sqrt, log and pow at 0: torch's conventions, as closed forms

INF = math.inf
AT_ZERO = {  # name: (f, f(0), f'(0))
    "sqrt": (lambda x: x.sqrt(), 0.0, INF),             # 1 / (2 sqrt 0)
    "log": (lambda x: x.log(), -INF, INF),              # 1 / 0
    "x**0.5": (lambda x: x ** 0.5, 0.0, INF),           # 0.5 * 0^-0.5
    "x**1.5": (lambda x: x ** 1.5, 0.0, 0.0),           # 1.5 * 0^0.5
    "x**2": (lambda x: x ** 2, 0.0, 0.0),               # 2 * 0
    "x**1": (lambda x: x ** 1, 0.0, 1.0),               # 1 * 0^0 = 1
    "x**0": (lambda x: x ** 0, 1.0, 0.0),               # 0^0 = 1, and the derivative of a constant is 0
    "x**-1": (lambda x: x ** -1, INF, -INF),            # -1 * 0^-2
    "2**x": (lambda x: 2.0 ** x, 1.0, math.log(2)),     # 2^x log 2
    "0**x": (lambda x: te.tensor(0.0, dtype=x.dtype) ** x, 1.0, 0.0),  # d/dy 0^y at y = 0: 0 (torch), not -inf
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", AT_ZERO)
def test_at_zero_closed_form(name, dtype):
    f, value, slope = AT_ZERO[name]
    x = leaf(0.0, dtype)
    out = f(x)
    assert out.item() == value and out.dtype == dtype
    out.backward()
    assert x.grad.item() == pytest.approx(slope, rel=1e-6)  # approx: log 2 in float32; inf == inf exactly


POW_AT_ZERO = [  # y: (0^y, d/dx x^y, d/dy x^y) at x = 0, both tensors
    (0.0, 1.0, 0.0, 0.0),
    (0.5, 0.0, INF, 0.0),
    (1.0, 0.0, 1.0, 0.0),
    (2.0, 0.0, 0.0, 0.0),
    (-1.0, INF, -INF, -INF),  # x^y log x = inf * -inf
]


@pytest.mark.parametrize("y, value, dx, dy", POW_AT_ZERO)
def test_pow_of_two_tensors_at_zero(y, value, dx, dy):
    base, exponent = leaf(0.0), leaf(y)
    out = base ** exponent
    out.backward()
    assert (out.item(), base.grad.item(), exponent.grad.item()) == (value, dx, dy)


def test_at_zero_matches_torch():
    torch = pytest.importorskip("torch")
    for name, (f, _, _) in AT_ZERO.items():
        ours, theirs = leaf(0.0), torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        a = f(ours)
        b = torch.tensor(0.0, dtype=torch.float64) ** theirs if name == "0**x" else f(theirs)
        a.backward()
        b.backward()
        assert (a.item(), ours.grad.item()) == (b.item(), theirs.grad.item()), name
    for y, *_ in POW_AT_ZERO:
        base, exponent = leaf(0.0), leaf(y)
        tb = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        ty = torch.tensor(y, dtype=torch.float64, requires_grad=True)
        (base ** exponent).backward()
        (tb ** ty).backward()
        assert (base.grad.item(), exponent.grad.item()) == (tb.grad.item(), ty.grad.item()), y


def test_negative_base_with_integer_exponent():
    x = leaf(-2.0)
    out = x ** 3
    out.backward()
    assert (out.item(), x.grad.item()) == (-8.0, 12.0)  # 3 x^2
    base, exponent = leaf(-2.0), leaf(2.0)
    (base ** exponent).backward()
    assert base.grad.item() == -4.0      # y x^(y-1)
    assert math.isnan(exponent.grad.item())  # x^y log x with log(-2) = nan, as in torch


def test_second_derivative_of_sqrt_at_zero_is_minus_infinity():
    x = leaf(0.0)
    (first,) = grad(x.sqrt(), x, create_graph=True)
    (second,) = grad(first, x)
    assert first.item() == INF and second.item() == -INF  # d/dx 1/(2 sqrt x) = -1/(4 x^1.5)


@pytest.mark.parametrize("name, f, second", [
    ("exp", lambda x: x.exp(), lambda v: math.exp(v)),
    ("sqrt", lambda x: x.sqrt(), lambda v: -0.25 * v ** -1.5),
    ("tanh", lambda x: x.tanh(), lambda v: -2 * math.tanh(v) * (1 - math.tanh(v) ** 2)),
    ("2**x", lambda x: 2.0 ** x, lambda v: math.log(2) ** 2 * 2 ** v),
])
def test_zero_dimensional_tensors_keep_their_second_derivative(name, f, second):
    # numpy returns scalars for 0-d inputs; an op that saves its output must still be differentiated twice
    x = leaf(0.5)
    (first,) = grad(f(x), x, create_graph=True)
    (again,) = grad(first, x)
    assert again.item() == pytest.approx(second(0.5), rel=1e-12)


def test_python_floats_given_a_float64_dtype_keep_their_precision():
    # not rounded through float32 on the way (0.3 would become 0.30000001192092896)
    assert te.tensor(0.3, dtype=te.float64).item() == 0.3
    assert te.tensor([[0.1, 0.2]], dtype=te.float64).tolist() == [[0.1, 0.2]]
    assert te.tensor(0.3).dtype == te.float32 and te.tensor(0.3).item() == np.float32(0.3)


def test_empty_and_boolean_reductions_follow_torch():
    assert te.tensor([]).logsumexp(0).item() == -INF  # log of an empty sum
    np.testing.assert_array_equal(te.empty(2, 0).logsumexp(1).numpy(), [-INF, -INF])
    assert te.tensor([]).log_softmax(0).shape == (0,)
    assert te.tensor([True, False]).logsumexp(0).item() == pytest.approx(math.log(math.e + 1))
    x = te.empty(2, 0, requires_grad=True)
    x.logsumexp(1).sum().backward()
    assert x.grad.shape == (2, 0)
