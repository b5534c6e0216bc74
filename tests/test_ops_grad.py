"""First derivatives of every op against central finite differences (gradcheck, float64),
closed forms for the subgradient conventions, and PyTorch as an extra oracle where installed."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck
from tinygrad_ed.ops.matmul import linear

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore
FAST = settings(max_examples=round(25 * EXAMPLES_SCALE))


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# elementwise ops, broadcasting both operands


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a ** b,
    "maximum": lambda a, b: te.maximum(a, b),
    "minimum": lambda a, b: te.minimum(a, b),
    "where": lambda a, b: te.where(a.detach() > b.detach(), a, b),
    "add_method": lambda a, b: a.add(b).mul(b).sub(a).div(b).pow(te.tensor(2.0, dtype=te.float64)),
}


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       seed=st.integers(0, 2**16))
def test_binary_gradcheck_with_broadcasting(name, shapes, seed):
    rng = np.random.default_rng(seed)
    a_shape, b_shape = shapes.input_shapes
    # positive operands away from 0 keep div and pow smooth; distinct values keep max/min/where off ties
    a = f64(rng.uniform(0.5, 1.5, a_shape) + rng.integers(0, 2, a_shape))
    b = f64(rng.uniform(0.5, 1.5, b_shape) * rng.choice([1.0, 1.25], b_shape))
    if name in ("maximum", "minimum", "where") and np.isclose(a.detach().numpy()[..., None], b.detach().numpy()[..., None]).any():
        return
    assert gradcheck(BINARY[name], (a, b))


def test_binary_ops_with_one_constant_operand(leaf):
    x = leaf(3, 4, low=0.5)
    for fn in (lambda t: t + 2, lambda t: 2 - t, lambda t: t * np.float64(3.0), lambda t: 1.5 / t,
               lambda t: t ** 3, lambda t: t ** 0.5, lambda t: 2.0 ** t, lambda t: t ** -2,
               lambda t: np.ones((2, 1, 4)) * t, lambda t: t - np.arange(4.0), lambda t: -t, lambda t: t.neg()):
        assert gradcheck(fn, (x,))


@pytest.mark.parametrize("name, fn, low", [
    ("exp", lambda t: t.exp(), None),
    ("log", lambda t: t.log(), 0.2),
    ("sqrt", lambda t: t.sqrt(), 0.2),
    ("abs", lambda t: t.abs(), None),
    ("relu", lambda t: t.relu(), None),
    ("sigmoid", lambda t: t.sigmoid(), None),
    ("tanh", lambda t: t.tanh(), None),
    ("square", lambda t: t.square(), None),
    ("clamp", lambda t: t.clamp(-0.5, 0.5), None),
    ("clamp_min", lambda t: t.clamp(min=0.1), None),
    ("clamp_max", lambda t: t.clamp(max=-0.1), None),
    ("cast", lambda t: t.to(te.float64) * t, None),
])
def test_unary_gradcheck(leaf, name, fn, low):
    x = leaf(3, 4, low=low)
    if low is None:  # keep finite differences off the kinks at 0 and +-0.5, +-0.1
        x.detach().numpy()[np.abs(np.abs(x.detach().numpy()) - 0.3) < 0.25] += 0.6
    assert gradcheck(fn, (x,))


def test_cast_gradient_comes_back_in_the_input_dtype():
    x = te.tensor([1.0, 2.0], dtype=te.float64, requires_grad=True)
    y = x.float()
    assert y.dtype == np.float32
    (y * te.tensor([3.0, 4.0])).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 4.0]
    assert gradcheck(lambda t: t.float().double() ** 2, (x,), eps=1e-3, atol=1e-3, rtol=1e-3)


def test_integer_cast_leaves_the_graph():
    x = te.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().tolist() == [1, 2]


@pytest.mark.parametrize("fn, x, expected", [
    (lambda t: t.relu(), [-1.0, 0.0, 2.0], [0.0, 0.0, 1.0]),
    (lambda t: t.abs(), [-1.0, 0.0, 2.0], [-1.0, 0.0, 1.0]),
    (lambda t: t.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0], [0.0, 1.0, 1.0, 1.0, 0.0]),
    (lambda t: te.maximum(t, te.tensor([3.0, 3.0, 1.0])), [1.0, 3.0, 3.0], [0.0, 0.5, 1.0]),
    (lambda t: te.minimum(t, te.tensor([3.0, 3.0, 1.0])), [1.0, 3.0, 3.0], [1.0, 0.5, 0.0]),
    (lambda t: t.max(), [1.0, 3.0, 3.0, 2.0], [0.0, 0.5, 0.5, 0.0]),
    (lambda t: t.min(), [1.0, 1.0, 1.0, 3.0], [1 / 3, 1 / 3, 1 / 3, 0.0]),
    (lambda t: t.amax(1), [[1.0, 3.0, 3.0], [5.0, 0.0, 1.0]], [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]]),
    (lambda t: t ** 0.0, [0.0, 2.0], [0.0, 0.0]),
    (lambda t: t ** 2.0, [0.0, 2.0], [0.0, 4.0]),
    (lambda t: t.sqrt(), [4.0, 0.25], [0.25, 1.0]),
])
def test_subgradient_conventions_like_torch(fn, x, expected):
    t = f64(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        fn(t).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), expected)


def test_maximum_ties_give_half_to_each_side():
    a, b = f64([2.0, 1.0]), f64([2.0, 0.0])
    te.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 1.0] and b.grad.tolist() == [0.5, 0.0]


def test_where_routes_gradient_and_comparisons_have_none():
    x, y = f64([1.0, -2.0, 3.0]), f64([10.0, 20.0, 30.0])
    te.where(x > 0, x * 2, y).sum().backward()
    assert x.grad.tolist() == [2.0, 0.0, 2.0] and y.grad.tolist() == [0.0, 1.0, 0.0]
    assert not (x > 0).requires_grad


# ---------------------------------------------------------------------------------------------
# reductions


REDUCTIONS = {
    "sum": lambda t, dim, keepdim: t.sum(dim, keepdim=keepdim),
    "mean": lambda t, dim, keepdim: t.mean(dim, keepdim=keepdim),
    "amax": lambda t, dim, keepdim: t.amax(dim, keepdim=keepdim),
    "amin": lambda t, dim, keepdim: t.amin(dim, keepdim=keepdim),
    "logsumexp": lambda t, dim, keepdim: t.logsumexp(dim, keepdim=keepdim),
    "var": lambda t, dim, keepdim: t.var(dim, keepdim=keepdim),
    "std": lambda t, dim, keepdim: t.std(dim, keepdim=keepdim),
    "var_biased": lambda t, dim, keepdim: t.var(dim, keepdim=keepdim, unbiased=False),
}


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("dim", [None, 0, -1, (0, 2), (-1, 1), [0, 1, 2]])
@pytest.mark.parametrize("keepdim", [False, True])
def test_reduction_gradcheck(leaf, name, dim, keepdim):
    x = leaf(2, 3, 4)
    assert gradcheck(lambda t: REDUCTIONS[name](t, dim, keepdim), (x,))


def test_global_max_min_and_max_with_dim_gradcheck(leaf):
    x = leaf(3, 4)
    assert gradcheck(lambda t: t.max(), (x,))
    assert gradcheck(lambda t: t.min(), (x,))
    assert gradcheck(lambda t: t.max(dim=1).values, (x,))
    assert gradcheck(lambda t: t.min(0, keepdim=True).values, (x,))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax_gradcheck(leaf, dim):
    x = leaf(3, 4)
    assert gradcheck(lambda t: t.softmax(dim), (x,))
    assert gradcheck(lambda t: t.log_softmax(dim), (x,))


def test_softmax_gradients_finite_for_huge_logits():
    x = f64([[1e3, 0.0, -1e3], [1e3, 1e3, 1e3]])
    (x.softmax(-1) * f64([1.0, 2.0, 3.0], False)).sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))
    y = f64([[1e3, 0.0, -1e3]])
    y.log_softmax(-1)[0, 1].backward()
    np.testing.assert_allclose(y.grad.numpy(), [[-1.0, 1.0, 0.0]], atol=1e-12)  # delta_ij - softmax_j
    z = f64([[1e3, 1e3 - 1.0]])
    z.logsumexp(1).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [[1 / (1 + np.exp(-1)), 1 / (1 + np.e)]])


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1, max_size=len(shape)))
    return shape, tuple(a - len(shape) if draw(st.booleans()) else a for a in axes)


@FAST
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=st.integers(0, 2**16),
       name=st.sampled_from(["sum", "mean", "amax", "logsumexp"]))
def test_reduction_gradcheck_random_shapes(case, keepdim, seed, name):
    shape, dim = case
    x = f64(np.random.default_rng(seed).standard_normal(shape))
    assert gradcheck(lambda t: REDUCTIONS[name](t, dim, keepdim), (x,))


# ---------------------------------------------------------------------------------------------
# shape ops, indexing, cat/stack


@pytest.mark.parametrize("fn", [
    lambda t: t.reshape(4, 6), lambda t: t.view(-1), lambda t: t.transpose(0, 2), lambda t: t.T,
    lambda t: t.mT, lambda t: t.permute(2, 0, 1), lambda t: t.unsqueeze(1), lambda t: t[:, :1].squeeze(1),
    lambda t: t[:1, :, :1].squeeze(), lambda t: t.flatten(1), lambda t: t.flatten(),
    lambda t: t[:, :1].expand(2, 5, 4), lambda t: t[0, :, :1].expand(2, -1, 3),
])
def test_shape_op_gradcheck(leaf, fn):
    assert gradcheck(fn, (leaf(2, 3, 4),))


@pytest.mark.parametrize("index", [
    1, -1, (0, 2), slice(1, None), (slice(None), slice(None, None, 2)), (None, Ellipsis, 1),
    (1, None, slice(0, 2)), [0, 0, 2, 0], (slice(None), [3, 0, 3]), ([0, 0, 1], [1, 1, 2]),
    (Ellipsis, np.array([[0, 1], [1, 1]])), np.array([True, False, True]),
])
def test_indexing_gradcheck(leaf, index):
    assert gradcheck(lambda t: t[index], (leaf(3, 4),))


def test_repeated_indices_accumulate_gradient():
    x = f64(np.zeros(4))
    x[te.tensor([0, 2, 0, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0, 0.0]
    y = f64(np.zeros((2, 3)))
    (y[[0, 0, 1], [1, 1, 2]] * f64([1.0, 2.0, 4.0], False)).sum().backward()
    assert y.grad.tolist() == [[0.0, 3.0, 0.0], [0.0, 0.0, 4.0]]
    z = f64(np.zeros(3))
    z[[1, 1]].sum().backward()
    z[1].backward()
    assert z.grad.tolist() == [0.0, 3.0, 0.0]


def test_boolean_mask_gradient(leaf):
    x = leaf(3, 4)
    mask = x.detach().numpy() > 0
    (x[x > 0] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.where(mask, 3.0, 0.0))
    assert gradcheck(lambda t: t[te.tensor(mask)] ** 2, (x,))


def test_cat_stack_gradcheck(leaf):
    a, b, c = leaf(2, 3), leaf(2, 1), leaf(2, 3)
    assert gradcheck(lambda p, q: te.cat([p, q], dim=1), (a, b))
    assert gradcheck(lambda p, q: te.cat([p, p, q], dim=-1), (a, b))
    assert gradcheck(lambda p, q: te.stack([p, q]), (a, c))
    assert gradcheck(lambda p, q: te.stack([p, q, p], dim=-1), (a, c))


# ---------------------------------------------------------------------------------------------
# matmul and linear


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2)), ((3,), (2, 2, 3, 4)), ((2, 2, 3), (2, 3, 1)),
    ((1, 2, 3), (4, 3, 2)), ((2, 3), (4, 3, 2)), ((1, 3), (3, 1)),
])
def test_matmul_gradcheck(rng, a_shape, b_shape):
    a, b = f64(rng.standard_normal(a_shape)), f64(rng.standard_normal(b_shape))
    assert gradcheck(lambda p, q: p @ q, (a, b))


@FAST
@given(batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3),
       n=st.integers(1, 3), k=st.integers(1, 3), m=st.integers(1, 3), a_vector=st.booleans(),
       b_vector=st.booleans(), seed=st.integers(0, 2**16))
def test_matmul_random_shapes(batch, n, k, m, a_vector, b_vector, seed):
    rng = np.random.default_rng(seed)
    a_shape = (k,) if a_vector else batch.input_shapes[0] + (n, k)
    b_shape = (k,) if b_vector else batch.input_shapes[1] + (k, m)
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    result = te.tensor(a) @ te.tensor(b)
    assert result.shape == np.matmul(a, b).shape
    np.testing.assert_allclose(result.numpy(), np.matmul(a, b), rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda p, q: p @ q, (f64(a), f64(b)))


def test_matmul_with_constant_operand(leaf, rng):
    x = leaf(3, 4)
    w = te.from_numpy(rng.standard_normal((4, 2)))  # a Tensor without grad: matmul takes no arrays, as torch
    assert gradcheck(lambda t: t @ w, (x,))
    assert gradcheck(lambda t: w.T @ t.T, (x,))


def test_linear_gradcheck(leaf):
    x, w, b = leaf(4, 3), leaf(5, 3), leaf(5)
    assert gradcheck(linear, (x, w, b))
    assert gradcheck(lambda p, q: linear(p, q), (x, w))
    assert gradcheck(linear, (leaf(2, 4, 3), w, b))  # N-D input: the unfused path
    np.testing.assert_allclose(linear(x, w, b).detach().numpy(), x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy())


# ---------------------------------------------------------------------------------------------
# PyTorch as an oracle


UNARY_CHAIN = [
    lambda lib, t: t.exp() * 0.1,
    lambda lib, t: (t.abs() + 0.5).log(),
    lambda lib, t: (t * t + 1).sqrt(),
    lambda lib, t: t.tanh(),
    lambda lib, t: t.sigmoid() * 2,
    lambda lib, t: t.relu() + t * 0.1,
    lambda lib, t: t.clamp(-1.0, 1.0),
    lambda lib, t: t.softmax(-1),
    lambda lib, t: t.log_softmax(0),
    lambda lib, t: t - t.mean(-1, keepdim=True),
    lambda lib, t: t / (t.var(0, keepdim=True) + 1),
    lambda lib, t: t - t.logsumexp(1, keepdim=True),
    lambda lib, t: t * t.amax(0),
    lambda lib, t: (t.abs() + 0.5) ** 1.5,
    lambda lib, t: t.T.reshape(3, 4) * t.permute(1, 0).reshape(3, 4).unsqueeze(0).squeeze(0),
    lambda lib, t: t[[0, 0, 2]].sum(0) + t,
    lambda lib, t: lib.maximum(t, t.T.reshape(3, 4)),
]
BINARY_CHAIN = [
    lambda lib, t, w, b: t @ w @ w.T,
    lambda lib, t, w, b: t * b,
    lambda lib, t, w, b: t / (b * b + 1),
    lambda lib, t, w, b: lib.where(t > 0, t, b),
    lambda lib, t, w, b: lib.cat([t[:, :2], (t[:, 2:] + b[2:])], 1),
    lambda lib, t, w, b: lib.stack([t, b.expand(3, 4)], 0).sum(0),
]


@pytest.mark.parametrize("seed", range(6))
def test_random_composition_against_torch(seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    data = [rng.standard_normal(s) for s in ((3, 4), (4, 5), (4,))]
    steps = [(rng.integers(2), rng.integers(len(UNARY_CHAIN)), rng.integers(len(BINARY_CHAIN))) for _ in range(8)]

    def run(lib, tensors):
        x, w, b = tensors
        for kind, u, v in steps:
            x = UNARY_CHAIN[u](lib, x) if kind == 0 else BINARY_CHAIN[v](lib, x, w, b)
        return (x * x).sum() + x.amax()

    ours = [te.tensor(d, requires_grad=True) for d in data]
    theirs = [torch.tensor(d, requires_grad=True) for d in data]
    out, expected = run(te, ours), run(torch, theirs)
    out.backward()
    expected.backward()
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-9)
    for mine, reference in zip(ours, theirs):
        if reference.grad is None:  # an operand the random chain did not use
            assert mine.grad is None
        else:
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_float32_results_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((8, 5)).astype(np.float32), rng.standard_normal((3, 5)).astype(np.float32)
    ours = [te.tensor(x, requires_grad=True), te.tensor(w, requires_grad=True)]
    theirs = [torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)]
    for a, b in (ours, theirs):
        (a @ b.T).tanh().log_softmax(1).mean().backward()
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == np.float32
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_max_and_min_along_dim_send_the_gradient_to_the_returned_index():
    # torch: amax/max() share ties evenly, but max(dim)/min(dim) pick the index they return
    x = te.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 0]
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    x.grad = None
    values, indices = x.min(0, keepdim=True)
    assert values.shape == (1, 3) and indices.tolist() == [[0, 1, 1]]
    values.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
