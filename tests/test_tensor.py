"""Tensor construction, attributes, dtype promotion, forward values of the ops and error messages.

Values are checked against numpy and closed forms; gradients live in test_ops_grad.py.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_ed as te

EXAMPLES_SCALE = settings.default.max_examples / 100  # 1 by default, 20 under --hypothesis-profile=explore
FAST = settings(max_examples=round(25 * EXAMPLES_SCALE))


def close(t, expected, **kw):
    np.testing.assert_allclose(np.asarray(t.detach().numpy() if isinstance(t, te.Tensor) else t), expected, **kw)


# ---------------------------------------------------------------------------------------------
# construction and attributes


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2.5]], np.float32), (3, np.int64), ([1, 2], np.int64),
    (True, np.bool_), ([True, False], np.bool_), (np.float64(2.0), np.float64),
    (np.ones(3), np.float64), (np.ones(3, np.float32), np.float32), (np.arange(3, dtype=np.int32), np.int32),
    (np.array([True]), np.bool_),
])
def test_construction_dtype(data, dtype):
    t = te.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype))
    if not isinstance(data, int) or isinstance(data, bool):  # te.Tensor(3) is a shape, as torch.Tensor(3)
        legacy = te.Tensor(data)  # torch.Tensor: the default dtype whatever the data's
        assert legacy.dtype == np.float32
        np.testing.assert_array_equal(legacy.numpy(), np.asarray(data, np.float32))


def test_construction_with_dtype_and_from_tensor():
    assert te.tensor([1, 2], dtype=te.float64).dtype == np.float64
    assert te.tensor([1.5], dtype=te.int64).tolist() == [1]
    assert te.tensor([1, 2], dtype=float).dtype == np.float64  # Python float as a dtype means float64, as in torch
    source = te.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="clone"):  # as torch: prefer source.detach().clone()
        copy = te.tensor(source)
    copy.numpy()[0] = 9.0
    assert source.tolist() == [1.0, 2.0]
    assert te.tensor([te.tensor(1.0), te.tensor(2.0)]).tolist() == [1.0, 2.0]


def test_construction_copies_numpy_but_from_numpy_shares():
    array = np.zeros(3)
    copied, shared = te.tensor(array), te.from_numpy(array)
    array[0] = 5.0
    assert copied.tolist() == [0.0, 0.0, 0.0]
    assert shared.tolist() == [5.0, 0.0, 0.0]
    assert shared.dtype == np.float64 and np.shares_memory(shared.numpy(), array)
    shared.numpy()[1] = 7.0
    assert array[1] == 7.0
    assert te.from_numpy(np.ones(2, np.float32), requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        te.from_numpy([1.0, 2.0])


def test_zero_dim_results_behave_as_arrays():
    x = te.tensor(3.0, dtype=te.float64, requires_grad=True)
    y = x.detach() * 2.0 + 1.0  # held as a numpy scalar inside
    assert y.shape == () and y.dtype == np.float64 and y.item() == 7.0
    array = y.numpy()
    assert type(array) is np.ndarray and array.shape == ()
    array[()] = 8.0  # numpy() shares memory from then on, as for any tensor
    assert y.item() == 8.0 and np.shares_memory(y.numpy(), array)
    assert type(np.asarray(y)) is np.ndarray and np.array(y).item() == 8.0
    with te.no_grad():
        z = x * 1.0
        z += 1.0
        z[()] = z * 2.0
    assert z.item() == 8.0
    copy = te.tensor((x * 1.0).tolist(), dtype=x.dtype)
    copy.numpy()[()] = 5.0
    assert copy.item() == 5.0 and x.item() == 3.0


@pytest.mark.parametrize("bad", [["a", "b"], [[1, 2], [3]], {"x": 1}])
def test_construction_rejects_bad_data(bad):
    with pytest.raises((TypeError, ValueError)):
        te.tensor(bad)


def test_attributes():
    t = te.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.ndim == 3 and t.dim() == 3
    assert t.dtype == np.float64
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and len(t) == 2
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None
    y = t * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    c = te.tensor([1.0]) * 2  # no input requires grad: a leaf without grad_fn
    assert not c.requires_grad and c.is_leaf and c.grad_fn is None


def test_conversions():
    t = te.tensor([[1.5, 2.5]])
    assert isinstance(t.numpy(), np.ndarray)
    assert t.tolist() == [[1.5, 2.5]]
    assert te.tensor([[2.5]]).item() == 2.5 and isinstance(te.tensor([[2.5]]).item(), float)
    assert te.tensor(3).item() == 3 and isinstance(te.tensor(3).item(), int)
    assert float(te.tensor([3.0])) == 3.0 and int(te.tensor(4)) == 4
    np.testing.assert_array_equal(np.asarray(t), [[1.5, 2.5]])
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.shares_memory(np.asarray(t), t.numpy())  # np.asarray shares, np.array copies, as with torch
    np.array(t)[0, 0] = 9.0
    assert t.tolist() == [[1.5, 2.5]]
    assert [x.item() for x in te.tensor([1.0, 2.0])] == [1.0, 2.0]
    assert [1, 2, 3][te.tensor(1)] == 2  # integer tensors work as indices
    with pytest.raises(ValueError):
        t.item()
    with pytest.raises(RuntimeError):
        bool(te.tensor([1.0, 2.0]))
    assert bool(te.tensor([1.0])) and not bool(te.tensor(0))


@pytest.mark.parametrize("make, text", [
    (lambda: te.tensor([1.0, 2.0], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: te.tensor([1.0, 2.0]), "tensor([1., 2.])"),
    (lambda: te.tensor([0.5, 1.0]), "tensor([0.5000, 1.0000])"),
    (lambda: te.tensor(2.5), "tensor(2.5000)"),
    (lambda: te.tensor([1, 2]), "tensor([1, 2])"),
    (lambda: te.tensor([True, False]), "tensor([ True, False])"),
    (lambda: te.tensor(np.array([1.0, 2.0])), "tensor([1., 2.], dtype=float64)"),
    (lambda: te.tensor(np.array([1, 2], np.int32)), "tensor([1, 2], dtype=int32)"),
    (lambda: te.tensor([1.0, 2.0], requires_grad=True) * 2, "tensor([2., 4.], grad_fn=<MulBackward0>)"),
])
def test_repr_like_torch(make, text):
    assert repr(make()) == text


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for data in ([0.5, 1.0], [[1.0, 0.0], [1 / 3, 2 / 3]], [1e-5, 1.0], [1.0, -2.0], 3.25, [[1, 2], [3, 4]]):
        assert repr(te.tensor(data)) == repr(torch.tensor(data))


# ---------------------------------------------------------------------------------------------
# arithmetic, broadcasting and dtypes


BINARY = {
    "add": (lambda a, b: a + b, np.add),
    "sub": (lambda a, b: a - b, np.subtract),
    "mul": (lambda a, b: a * b, np.multiply),
    "div": (lambda a, b: a / b, np.divide),
    "pow": (lambda a, b: a ** b, np.power),
}
METHODS = {"add": "add", "sub": "sub", "mul": "mul", "div": "div", "pow": "pow"}


@pytest.mark.parametrize("name", BINARY)
@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3),
       data=st.data())
def test_binary_ops_broadcast_like_numpy(name, shapes, data):
    op, reference = BINARY[name]
    a_shape, b_shape = shapes.input_shapes
    elements = st.floats(0.5, 2.0) if name in ("pow", "div") else st.floats(-3, 3)
    a = data.draw(hnp.arrays(np.float64, a_shape, elements=elements))
    b = data.draw(hnp.arrays(np.float64, b_shape, elements=elements))
    expected = reference(a, b)
    for result in (op(te.tensor(a), te.tensor(b)), getattr(te.tensor(a), METHODS[name])(te.tensor(b)),
                   op(a, te.tensor(b)), op(te.tensor(a), b)):
        assert isinstance(result, te.Tensor)
        assert result.shape == np.shape(expected)
        close(result, expected, rtol=1e-12)


@pytest.mark.parametrize("scalar", [2, 2.5, np.float64(2.0), np.int64(3)])
def test_python_and_numpy_scalars_on_either_side(scalar):
    x = te.tensor([1.0, 2.0, 4.0])
    data = x.numpy().astype(np.float64)
    for name, (op, reference) in BINARY.items():
        close(op(x, scalar), reference(data, scalar), rtol=1e-6)
        close(op(scalar, x), reference(scalar, data), rtol=1e-6)
        assert op(x, scalar).dtype == np.float32 and op(scalar, x).dtype == np.float32, name
    close(-x, [-1.0, -2.0, -4.0])
    close(x.neg(), [-1.0, -2.0, -4.0])
    assert (+x) is x


def test_ndarray_op_tensor_gives_tensor():
    x = te.tensor([1.0, 2.0])
    for result in (np.ones(2) + x, np.ones(2) * x, np.ones(2) - x, np.ones(2) / x, np.float64(2.0) * x):
        assert isinstance(result, te.Tensor)
    close(np.array([3.0, 4.0]) - x, [2.0, 2.0])


@pytest.mark.parametrize("make, dtype", [
    (lambda: te.tensor([1.0, 2.0]) * np.float64(2.0), np.float32),
    (lambda: np.float64(2.0) * te.tensor([1.0, 2.0]), np.float32),
    (lambda: te.tensor([1, 2]) * 2.5, np.float32),
    (lambda: te.tensor([1, 2]) + te.tensor([1.0, 2.0]), np.float32),
    (lambda: te.tensor([1, 2]) * 2, np.int64),
    (lambda: te.tensor(np.array([1, 2], np.int32)) * 2, np.int32),
    (lambda: 2 + te.tensor(np.array([1, 2], np.int16)), np.int16),
    (lambda: te.tensor(np.array([1, 2], np.int32)) * 2.5, np.float32),
    (lambda: te.tensor([1.0, 2.0], dtype=te.float16) * 2.5, np.float16),
    (lambda: te.tensor([1.0, 2.0], dtype=te.float64) * 2.5, np.float64),
    (lambda: te.tensor([1.0, 2.0], dtype=te.float16) ** 2, np.float16),
    (lambda: te.tensor([1, 2]) / 2, np.float32),
    (lambda: te.tensor([1, 2]) / te.tensor([2, 2]), np.float32),
    (lambda: te.tensor([1, 2]) ** 2, np.int64),
    (lambda: te.tensor([1, 2]) ** 0.5, np.float32),
    (lambda: 2.0 ** te.tensor([1, 2]), np.float32),
    (lambda: te.tensor([True]) + te.tensor([True]), np.bool_),
    (lambda: te.tensor([True]) * 2, np.int64),
    (lambda: te.tensor([1.0]) + te.tensor(np.float64(1.0)), np.float32),  # a 0-d tensor does not widen
    (lambda: te.tensor(np.array([1], np.int32)) * te.tensor(2), np.int32),
    (lambda: te.tensor(np.array([1.0], np.float64)) * te.tensor([1.0]), np.float64),
    (lambda: te.tensor([1, 2]).exp(), np.float32),
    (lambda: te.tensor([1, 2]).sigmoid(), np.float32),
    (lambda: te.tensor([True, False]).sum(), np.int64),
])
def test_dtype_promotion(make, dtype):
    assert make().dtype == dtype


def test_dtype_promotion_matches_torch():
    torch = pytest.importorskip("torch")
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for a_name, b_name in itertools.product(names, names):
        for a_ndim, b_ndim in [(1, 1), (0, 1), (1, 0), (0, 0)]:
            a, b = np.ones((2,) * a_ndim, a_name), np.ones((2,) * b_ndim, b_name)
            expected = (torch.tensor(a) + torch.tensor(b)).dtype
            assert f"torch.{(te.tensor(a) + te.tensor(b)).dtype}" == str(expected), (a_name, a_ndim, b_name, b_ndim)
        for scalar in (True, 3, 2.5, np.float64(2.0), np.int64(3), np.float32(1.5)):
            expected = (torch.tensor(np.ones(2, a_name)) * scalar).dtype
            assert f"torch.{(te.tensor(np.ones(2, a_name)) * scalar).dtype}" == str(expected), (a_name, scalar)


@pytest.mark.parametrize("a_shape, b_shape", [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)), ((3,), (5, 3, 4)),
    ((5, 2, 3), (3,)), ((2, 1, 2, 3), (4, 3, 2)), ((3,), (2, 5, 3, 4)), ((4, 2, 3), (4, 3, 5)),
    ((1, 2, 3), (6, 3, 2)),
])
def test_matmul_values_like_numpy(rng, a_shape, b_shape):
    a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
    expected = np.matmul(a, b)
    for result in (te.tensor(a) @ te.tensor(b), te.tensor(a).matmul(te.tensor(b)), te.matmul(te.tensor(a), te.tensor(b))):
        assert result.shape == expected.shape
        close(result, expected, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# elementwise


def test_unary_values(rng):
    x = rng.standard_normal((3, 4))
    positive = np.abs(x) + 0.1
    t, p = te.tensor(x), te.tensor(positive)
    close(t.exp(), np.exp(x))
    close(p.log(), np.log(positive))
    close(p.sqrt(), np.sqrt(positive))
    close(t.abs(), np.abs(x))
    close(t.relu(), np.maximum(x, 0))
    close(t.sigmoid(), 1 / (1 + np.exp(-x)))
    close(t.tanh(), np.tanh(x))
    close(t.clamp(-0.5, 0.5), np.clip(x, -0.5, 0.5))
    close(t.clamp(min=0.2), np.maximum(x, 0.2))
    close(t.clamp(max=0.2), np.minimum(x, 0.2))
    close(t.square(), x * x)
    with pytest.raises(RuntimeError):  # torch's error type
        t.clamp()


def test_sigmoid_and_tanh_saturate_without_overflow():
    with np.errstate(over="raise", invalid="raise"):
        close(te.tensor([-1000.0, 0.0, 1000.0]).sigmoid(), [0.0, 0.5, 1.0])
        close(te.tensor([-1000.0, 1000.0]).tanh(), [-1.0, 1.0])


def test_maximum_minimum_where(rng):
    a, b = rng.standard_normal((3, 1)), rng.standard_normal(4)
    close(te.maximum(te.tensor(a), te.tensor(b)), np.maximum(a, b))
    close(te.minimum(te.tensor(a), te.tensor(b)), np.minimum(a, b))
    close(te.tensor(a).maximum(te.tensor(b)), np.maximum(a, b))
    close(te.maximum(te.tensor([1.0, 5.0]), 2.0), [2.0, 5.0])
    cond = a > 0
    close(te.where(te.tensor(cond), te.tensor(a), te.tensor(b)), np.where(cond, a, b))
    close(te.where(cond, te.tensor(a), 0.0), np.where(cond, a, 0.0))
    scalars = te.where(te.tensor([True, False]), 1, 0.5)
    assert scalars.dtype == np.float32 and scalars.tolist() == [1.0, 0.5]
    assert te.where(te.tensor([True, False]), 1, 2).dtype == np.int64


def test_comparisons_give_bool_without_grad():
    x = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [(x > 1.5, [False, True, True]), (x >= 2, [False, True, True]),
                             (x < 2, [True, False, False]), (x <= 2, [True, True, False]),
                             (x == 2, [False, True, False]), (x != 2, [True, False, True]),
                             (2 < x, [False, False, True]), (x == x, [True, True, True]),
                             ((x > 1) & (x < 3), [False, True, False]), ((x < 2) | (x > 2), [True, False, True]),
                             (~(x > 1.5), [True, False, False])]:
        assert result.dtype == np.bool_ and not result.requires_grad and result.grad_fn is None
        assert result.tolist() == expected
    assert (te.tensor([[1.0], [2.0]]) < te.tensor([1.5, 2.5])).shape == (2, 2)


# ---------------------------------------------------------------------------------------------
# reductions


@st.composite
def shape_and_dims(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    axes = draw(st.lists(st.integers(0, len(shape) - 1), unique=True, min_size=1, max_size=len(shape)))
    dims = tuple(a - len(shape) if draw(st.booleans()) else a for a in axes)  # mix negative dims in
    dim = dims[0] if len(dims) == 1 and draw(st.booleans()) else dims
    return shape, dim, tuple(sorted(a % len(shape) for a in axes))


@FAST
@given(case=shape_and_dims(), keepdim=st.booleans(), seed=st.integers(0, 2**16))
def test_reductions_like_numpy(case, keepdim, seed):
    shape, dim, axes = case
    x = np.random.default_rng(seed).standard_normal(shape)
    t = te.tensor(x)
    n = math.prod(shape[a] for a in axes)
    expected = {
        "sum": x.sum(axes, keepdims=keepdim), "mean": x.mean(axes, keepdims=keepdim),
        "amax": x.max(axes, keepdims=keepdim), "amin": x.min(axes, keepdims=keepdim),
        "logsumexp": np.log(np.exp(x).sum(axes, keepdims=keepdim)),
    }
    if n > 1:
        expected["var"] = x.var(axes, keepdims=keepdim, ddof=1)
        expected["std"] = x.std(axes, keepdims=keepdim, ddof=1)
    for name, value in expected.items():
        result = getattr(t, name)(dim, keepdim=keepdim)
        assert result.shape == value.shape, name
        close(result, value, rtol=1e-10, atol=1e-12)


def test_reductions_over_all_dims():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = te.tensor(x)
    for name, value in [("sum", 10.0), ("mean", 2.5), ("amax", 4.0), ("amin", 1.0),
                        ("logsumexp", np.log(np.exp(x).sum())), ("var", x.var(ddof=1)), ("std", x.std(ddof=1))]:
        result = getattr(t, name)()
        assert result.shape == (), name
        close(result, value)
    assert t.max().item() == 4.0 and t.min().item() == 1.0
    close(t.var(unbiased=False), x.var())
    close(t.var(correction=0), x.var())
    close(t.var(0, keepdim=True), [[2.0, 2.0]])
    assert t.sum(0).dtype == np.float64 and te.tensor([1, 2]).sum().dtype == np.int64


def test_max_min_with_dim_and_argmax():
    x = te.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 1.0]])
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max(1).values.tolist() == [5.0, 7.0] and x.max(1).indices.dtype == np.int64
    values, indices = x.min(0, keepdim=True)
    assert values.tolist() == [[1.0, 0.0, 1.0]] and indices.tolist() == [[0, 1, 1]]
    assert x.argmax().item() == 3 and x.argmax(1).tolist() == [1, 0] and x.argmax(-1, keepdim=True).shape == (2, 1)
    assert x.argmin(0).tolist() == [0, 1, 1]


def test_logsumexp_is_stable():
    x = te.tensor([[1000.0, 1000.0], [-1000.0, -1000.0]])
    close(x.logsumexp(1), [1000 + np.log(2), -1000 + np.log(2)])
    close(x.logsumexp(), 1000 + np.log(2))
    close(te.tensor([-np.inf, 0.0]).logsumexp(), 0.0)


def test_softmax_log_softmax_values_and_stability():
    logits = np.array([[1000.0, 0.0, -1000.0], [1e3, 1e3, 1e3], [1.0, 2.0, 3.0]])
    t = te.tensor(logits, requires_grad=True)
    softmax, log_softmax = t.softmax(-1), t.log_softmax(dim=1)
    shifted = logits - logits.max(1, keepdims=True)
    expected_log = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    close(log_softmax, expected_log, atol=1e-12)
    close(softmax, np.exp(expected_log), atol=1e-12)
    close(softmax.sum(-1), np.ones(3))
    (softmax[:, 0].sum() + log_softmax.sum()).backward()
    assert np.all(np.isfinite(t.grad.numpy()))
    close(te.tensor(logits).softmax(0).sum(0), np.ones(3))


def test_reduction_dim_errors():
    x = te.ones(2, 3)
    with pytest.raises(IndexError, match="dim"):
        x.sum(2)
    with pytest.raises(IndexError):
        x.mean(-3)
    with pytest.raises(ValueError):
        x.sum((0, 0))


# ---------------------------------------------------------------------------------------------
# shape ops and indexing


def test_shape_ops(rng):
    x = rng.standard_normal((2, 3, 4))
    t = te.tensor(x)
    close(t.reshape(4, 6), x.reshape(4, 6))
    close(t.reshape((-1, 4)), x.reshape(-1, 4))
    close(t.view(-1), x.reshape(-1))
    close(t.transpose(0, 2), x.transpose(2, 1, 0))
    close(t.transpose(-1, -2), x.swapaxes(-1, -2))
    close(t.T, x.T)
    close(t.mT, x.swapaxes(-1, -2))
    close(t.permute(2, 0, 1), x.transpose(2, 0, 1))
    close(t.permute((1, 2, 0)), x.transpose(1, 2, 0))
    assert t.unsqueeze(0).shape == (1, 2, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert t.unsqueeze(1).shape == (2, 1, 3, 4)
    assert te.zeros(1, 3, 1).squeeze().shape == (3,) and te.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    assert te.zeros(1, 3, 1).squeeze(-1).shape == (1, 3) and te.zeros(2, 3).squeeze(0).shape == (2, 3)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12) and t.flatten(0, 1).shape == (6, 4)
    close(te.tensor([[1.0], [2.0]]).expand(2, 3), [[1.0] * 3, [2.0] * 3])
    assert te.zeros(3, 1).expand(2, -1, 4).shape == (2, 3, 4)
    assert te.zeros(3, 1).expand_as(te.zeros(3, 5)).shape == (3, 5)


def test_shape_op_errors():
    with pytest.raises(te.ShapeError, match=r"\(3, 2\)"):
        te.zeros(3, 2).expand(3, 4)
    with pytest.raises(te.ShapeError, match="reshape"):
        te.zeros(3, 2).reshape(4, 2)
    with pytest.raises(te.ShapeError):
        te.zeros(2, 3).permute(0, 0)
    with pytest.raises(te.ShapeError, match="cat"):
        te.cat([te.zeros(2, 3), te.zeros(3, 2)])
    with pytest.raises(te.ShapeError, match="stack"):
        te.stack([te.zeros(2, 3), te.zeros(3, 3)])


@pytest.mark.parametrize("index", [
    1, -1, (0, 2), slice(1, None), (slice(None), slice(None, None, 2)), (None, Ellipsis, 1),
    (Ellipsis, None), (1, None, slice(0, 2)), [0, 0, 2], (slice(None), [3, 0, 3]), ([0, 1], [1, 1]),
    np.array([2, 0]), (Ellipsis, np.array([[0, 1], [1, 0]])),
])
def test_indexing_like_numpy(rng, index):
    x = rng.standard_normal((3, 4))
    close(te.tensor(x)[index], x[index])


def test_indexing_with_tensors_and_masks(rng):
    x = rng.standard_normal((3, 4))
    t = te.tensor(x)
    close(t[te.tensor([2, 0, 2])], x[[2, 0, 2]])
    close(t[:, te.tensor([1, 1])], x[:, [1, 1]])
    close(t[t > 0], x[x > 0])
    close(t[te.tensor([True, False, True])], x[[True, False, True]])
    close(t[np.array([False, True, True])], x[[False, True, True]])
    with pytest.raises(IndexError):
        t[5]
    with pytest.raises(IndexError):
        t[te.tensor([0.5])]


def test_basic_indexing_is_a_view():
    t = te.tensor(np.arange(10.0))
    assert np.shares_memory(t[2:8:2].numpy(), t.numpy())


def test_cat_and_stack(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
    close(te.cat([te.tensor(a), te.tensor(b)]), np.concatenate([a, b]))
    close(te.cat([te.tensor(a), te.tensor(a)], dim=-1), np.concatenate([a, a], -1))
    close(te.stack([te.tensor(a), te.tensor(a)]), np.stack([a, a]))
    close(te.stack([te.tensor(a), te.tensor(a)], dim=2), np.stack([a, a], 2))
    assert te.cat([te.zeros(2, dtype=te.int64), te.ones(2)]).dtype == np.float32
    with pytest.raises(TypeError):
        te.cat([])


# ---------------------------------------------------------------------------------------------
# constructors and randomness


@pytest.mark.parametrize("make, value", [
    (lambda **kw: te.zeros(2, 3, **kw), np.zeros((2, 3))),
    (lambda **kw: te.zeros((2, 3), **kw), np.zeros((2, 3))),
    (lambda **kw: te.ones(2, 3, **kw), np.ones((2, 3))),
    (lambda **kw: te.full((2, 3), 1.5, **kw), np.full((2, 3), 1.5)),
    (lambda **kw: te.eye(3, **kw), np.eye(3)),
    (lambda **kw: te.eye(2, 3, **kw), np.eye(2, 3)),
    (lambda **kw: te.arange(0.0, 1.0, 0.25, **kw), np.arange(0, 1, 0.25)),
    (lambda **kw: te.zeros_like(te.ones(2, 3), **kw), np.zeros((2, 3))),
    (lambda **kw: te.ones_like(te.zeros(2, 3), **kw), np.ones((2, 3))),
    (lambda **kw: te.full_like(te.zeros(2), 7.0, **kw), np.full(2, 7.0)),
])
def test_constructors(make, value):
    t = make()
    assert t.dtype == np.float32 and not t.requires_grad and t.is_leaf
    close(t, value)
    t = make(dtype=te.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf
    close(t, value)


def test_constructor_shapes_and_dtypes():
    assert te.empty(2, 3).shape == (2, 3) and te.empty(2, dtype=te.float64).dtype == np.float64
    assert te.empty(4, requires_grad=True).requires_grad
    assert te.arange(5).tolist() == [0, 1, 2, 3, 4] and te.arange(5).dtype == np.int64
    assert te.arange(2, 8, 3).tolist() == [2, 5]
    assert te.full((2,), 3).dtype == np.int64 and te.full((2,), True).dtype == np.bool_
    assert te.zeros(2, dtype=te.int32).dtype == np.int32
    assert te.zeros_like(te.tensor([1, 2])).dtype == np.int64
    assert te.ones_like(te.tensor([1, 2]), dtype=te.float64).dtype == np.float64
    assert te.zeros(0, 3).shape == (0, 3)
    with pytest.raises(RuntimeError, match="floating point"):
        te.zeros(2, dtype=te.int64, requires_grad=True)
    with pytest.raises(ValueError):
        te.zeros(-1)


def test_random_constructors_and_manual_seed():
    for make in (te.rand, te.randn):
        t = make(200, 3)
        assert t.shape == (200, 3) and t.dtype == np.float32 and not t.requires_grad
        assert make(2, dtype=te.float64, requires_grad=True).dtype == np.float64
        assert make(2, requires_grad=True).requires_grad
    r = te.rand(10_000).numpy()
    assert r.min() >= 0 and r.max() < 1 and abs(r.mean() - 0.5) < 0.02
    n = te.randn(10_000, dtype=te.float64).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    like = te.randn_like(te.zeros(3, 2, dtype=te.float64), requires_grad=True)
    assert like.shape == (3, 2) and like.dtype == np.float64 and like.requires_grad
    assert te.rand_like(te.zeros(4)).shape == (4,)

    def draws():
        return te.randn(5).numpy().copy(), te.rand(3).numpy().copy(), te.randn_like(te.zeros(2)).numpy().copy()

    te.manual_seed(7)
    first = draws()
    te.manual_seed(7)
    second = draws()
    te.manual_seed(8)
    third = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], third[0])


# ---------------------------------------------------------------------------------------------
# error messages name the op and the shapes


def test_matmul_shape_error_names_op_and_shapes():
    with pytest.raises(te.ShapeError) as info:
        te.ones(3, 4) @ te.ones(5, 6)
    message = str(info.value)
    assert "matmul" in message and "(3, 4)" in message and "(5, 6)" in message
    with pytest.raises(te.ShapeError, match="matmul"):
        te.ones(3) @ te.ones(4)
    with pytest.raises(te.ShapeError, match="matmul"):
        te.ones(2, 3, 4) @ te.ones(5, 4, 2)
    with pytest.raises(te.ShapeError, match="matmul"):
        te.ones(()) @ te.ones(3)


@pytest.mark.parametrize("op, name", [
    (lambda a, b: a + b, "add"), (lambda a, b: a - b, "sub"), (lambda a, b: a * b, "mul"),
    (lambda a, b: a / b, "div"), (lambda a, b: te.maximum(a, b), "maximum"), (lambda a, b: a < b, "lt"),
])
def test_broadcast_error_names_op_and_shapes(op, name):
    with pytest.raises(te.ShapeError) as info:
        op(te.ones(3), te.ones(4))
    message = str(info.value)
    assert name in message and "(3,)" in message and "(4,)" in message


def test_shape_error_is_value_error_and_runtime_error():
    assert issubclass(te.ShapeError, ValueError) and issubclass(te.ShapeError, RuntimeError)
    with pytest.raises(RuntimeError):
        te.ones(3) + te.ones(4)
    with pytest.raises(ValueError):
        te.ones(3, 4) @ te.ones(5, 6)
