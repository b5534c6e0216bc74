"""Constructors against torch: sizes as tuples or varargs, dtype inference, arange's length and values,
linspace/logspace, *_like, as_tensor's sharing; tril/triu/diag/diag_embed/meshgrid values and gradients."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def same(mine, theirs, exact=False):
    assert mine.shape == tuple(theirs.shape), (mine.shape, theirs.shape)
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch."), (mine.dtype, theirs.dtype)
    if exact:
        np.testing.assert_array_equal(mine.detach().numpy(), theirs.detach().numpy())
    else:
        np.testing.assert_allclose(mine.detach().numpy(), theirs.detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_sizes_as_tuple_list_or_varargs(name):
    torch = pytest.importorskip("torch")
    for size in [((2, 3),), ([2, 3],), (2, 3), ((),), (0, 4)]:
        mine, theirs = getattr(te, name)(*size), getattr(torch, name)(*size)
        assert mine.shape == tuple(theirs.shape) and mine.dtype == te.float32
    assert getattr(te, name)().shape == ()  # torch raises; we allow it so that te.ones(*shape) works for shape ()
    assert getattr(te, name)(2, dtype=te.long).dtype == te.int64
    x = getattr(te, name)(2, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    with pytest.raises(ValueError):
        getattr(te, name)(-1)


def test_full_infers_its_dtype_like_torch():
    torch = pytest.importorskip("torch")
    for value in (True, 3, 2.5, -1):
        same(te.full((2,), value), torch.full((2,), value), exact=True)
    same(te.full([2, 1], 7, dtype=te.float64), torch.full([2, 1], 7, dtype=torch.float64), exact=True)


def test_like_constructors():
    torch = pytest.importorskip("torch")
    base, base_torch = te.ones(2, 3, dtype=te.int32), torch.ones(2, 3, dtype=torch.int32)
    for name in ("zeros_like", "ones_like"):
        same(getattr(te, name)(base), getattr(torch, name)(base_torch), exact=True)
        same(getattr(te, name)(base, dtype=te.float64), getattr(torch, name)(base_torch, dtype=torch.float64))
    same(te.full_like(base, 4), torch.full_like(base_torch, 4), exact=True)
    assert te.empty_like(base).shape == (2, 3) and te.empty_like(base).dtype == te.int32
    floats = te.ones(4, 2)
    for name in ("rand_like", "randn_like"):
        assert getattr(te, name)(floats).shape == (4, 2) and getattr(te, name)(floats, dtype=te.float64).dtype == te.float64
    with pytest.raises(TypeError):
        te.zeros_like(np.zeros(2))


ARANGES = [(5,), (1, 4), (0, 1, 0.1), (-1.0, 1.0, 0.3), (0, 0.3, 0.1), (1, 2.5, 0.5), (10, 0, -3), (0.0, 1.0, 1 / 3),
           (0, 10, 3), (5.5,), (-2, 2, 0.25), (1e6, 1e6 + 1, 0.1), (3, 3), (0, -1.5, -0.5)]


@pytest.mark.parametrize("args", ARANGES)
def test_arange_matches_torch(args):
    torch = pytest.importorskip("torch")
    same(te.arange(*args), torch.arange(*args))
    same(te.arange(*args, dtype=te.float64), torch.arange(*args, dtype=torch.float64))


def test_arange_tensor_bounds_keywords_and_errors():
    torch = pytest.importorskip("torch")
    same(te.arange(te.tensor(3)), torch.arange(torch.tensor(3)), exact=True)
    same(te.arange(te.tensor(2.0)), torch.arange(torch.tensor(2.0)))
    same(te.arange(start=1, end=7, step=2), torch.arange(start=1, end=7, step=2), exact=True)
    same(te.arange(4, dtype=te.float32), torch.arange(4, dtype=torch.float32), exact=True)
    for bad in [(0, 5, -1), (5, 0, 1)]:
        with pytest.raises(RuntimeError):
            torch.arange(*bad)
        with pytest.raises(ValueError, match="step sign"):
            te.arange(*bad)
    with pytest.raises(ValueError):
        te.arange(0, 1, 0)
    with pytest.raises(TypeError):
        te.arange("3")


@pytest.mark.parametrize("args", [(0, 1, 5), (-3, 7, 11), (1, 0, 4), (0, 1, 1), (2, 2, 3), (0, 1, 0), (0.1, 0.7, 7),
                                  (-1e3, 1e3, 101)])
def test_linspace_and_logspace_match_torch(args):
    torch = pytest.importorskip("torch")
    same(te.linspace(*args), torch.linspace(*args))
    same(te.linspace(*args, dtype=te.float64), torch.linspace(*args, dtype=torch.float64))
    if abs(args[1]) < 50:
        np.testing.assert_allclose(te.logspace(*args).numpy(), torch.logspace(*args).numpy(), rtol=1e-5)
        same(te.logspace(*args, base=2.0, dtype=te.float64), torch.logspace(*args, base=2.0, dtype=torch.float64))
    with pytest.raises(ValueError):
        te.linspace(0, 1, -1)


def test_eye_tensor_and_as_tensor():
    torch = pytest.importorskip("torch")
    same(te.eye(3), torch.eye(3), exact=True)
    same(te.eye(2, 4, dtype=te.int64), torch.eye(2, 4, dtype=torch.int64), exact=True)
    array = np.arange(3.0)
    shared = te.as_tensor(array)
    array[0] = 7.0
    assert shared.tolist() == [7.0, 1.0, 2.0] and shared.dtype == te.float64
    assert te.as_tensor(array, dtype=te.float32).dtype == te.float32
    t = te.ones(2)
    assert te.as_tensor(t) is t and te.as_tensor([1, 2]).dtype == te.int64
    with pytest.warns(UserWarning, match=r"sourceTensor.detach\(\).clone\(\)"):
        copy = te.tensor(t)
    assert copy is not t and copy.tolist() == [1.0, 1.0]


MATRICES = [np.arange(12.0).reshape(3, 4) - 5, np.arange(24.0).reshape(2, 4, 3), np.ones((1, 1)), np.ones((0, 3))]


@pytest.mark.parametrize("index", range(len(MATRICES)))
@pytest.mark.parametrize("diagonal", [0, 1, -1, 2, -3, 5])
def test_tril_triu_match_torch(index, diagonal):
    torch = pytest.importorskip("torch")
    x = MATRICES[index]
    for name in ("tril", "triu"):
        same(getattr(te, name)(te.tensor(x), diagonal), getattr(torch, name)(torch.tensor(x), diagonal), exact=True)
        same(getattr(te.tensor(x), name)(diagonal=diagonal), getattr(torch.tensor(x), name)(diagonal=diagonal),
             exact=True)


def test_tril_triu_keep_inf_and_are_twice_differentiable():
    x = te.tensor([[1.0, float("inf")], [float("-inf"), 2.0]])
    assert te.tril(x).tolist() == [[1.0, 0.0], [float("-inf"), 2.0]]
    assert te.triu(x).tolist() == [[1.0, float("inf")], [0.0, 2.0]]
    leaf = te.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)), requires_grad=True)
    for fn in (lambda t: te.tril(t, -1), lambda t: te.triu(t, 1)):
        assert gradcheck(fn, (leaf,)) and gradgradcheck(fn, (leaf,))
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        te.tril(te.ones(3))


@pytest.mark.parametrize("diagonal", [0, 1, -2, 4])
def test_diag_of_vectors_and_matrices_matches_torch(diagonal):
    torch = pytest.importorskip("torch")
    for x in (np.arange(1.0, 4.0), np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(4, 3), np.array([5])):
        same(te.diag(te.tensor(x), diagonal), torch.diag(torch.tensor(x), diagonal), exact=True)
        same(te.tensor(x).diag(diagonal), torch.tensor(x).diag(diagonal), exact=True)
    with pytest.raises(RuntimeError):
        te.diag(te.ones(2, 2, 2))


@pytest.mark.parametrize("offset, dim1, dim2", [(0, -2, -1), (1, -2, -1), (-2, -2, -1), (0, 0, 2), (1, 2, 0),
                                                 (-1, 1, 0)])
def test_diag_embed_matches_torch(offset, dim1, dim2):
    torch = pytest.importorskip("torch")
    x = np.arange(6.0).reshape(2, 3) + 1
    same(te.diag_embed(te.tensor(x), offset, dim1, dim2), torch.diag_embed(torch.tensor(x), offset, dim1, dim2),
         exact=True)


def test_diag_and_diag_embed_gradients():
    rng = np.random.default_rng(1)
    vector = te.tensor(rng.standard_normal(3), requires_grad=True)
    matrix = te.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    batch = te.tensor(rng.standard_normal((2, 3)), requires_grad=True)
    for fn, x in [(lambda v: te.diag(v, 1), vector), (lambda m: te.diag(m, -1), matrix), (te.diag, matrix),
                  (lambda b: te.diag_embed(b, -1, 0, 2), batch)]:
        assert gradcheck(fn, (x,)) and gradgradcheck(fn, (x,))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_matches_torch(indexing):
    torch = pytest.importorskip("torch")
    inputs = [np.arange(2.0), np.arange(3.0) * 10, np.arange(4.0) * 100]
    for count in (1, 2, 3):
        mine = te.meshgrid(*[te.tensor(v) for v in inputs[:count]], indexing=indexing)
        theirs = torch.meshgrid(*[torch.tensor(v) for v in inputs[:count]], indexing=indexing)
        assert len(mine) == len(theirs)
        for m, t in zip(mine, theirs):
            same(m, t, exact=True)
    listed = te.meshgrid([te.arange(2), te.arange(3)], indexing=indexing)
    assert listed[0].shape == ((2, 3) if indexing == "ij" else (3, 2))


def test_meshgrid_default_warns_as_torch_and_is_differentiable():
    with pytest.warns(UserWarning, match="indexing argument"):
        x_grid, _ = te.meshgrid(te.arange(2), te.arange(3))
    assert x_grid.shape == (2, 3)
    x = te.tensor([1.0, 2.0], dtype=te.float64, requires_grad=True)
    y = te.tensor([3.0, 4.0, 5.0], dtype=te.float64, requires_grad=True)
    assert gradcheck(lambda a, b: te.meshgrid(a, b, indexing="xy")[0] * te.meshgrid(a, b, indexing="xy")[1], (x, y))
    with pytest.raises(ValueError):
        te.meshgrid(x, indexing="yx")


@pytest.mark.parametrize("args", [([1, 2],), ((1, 2),), ([[1.5, 2.0]],), (np.arange(3),), (np.ones(2),),
                                  (2, 3), (4,), ()], ids=repr)
def test_the_legacy_constructor_Tensor_as_torch(args):
    """torch.Tensor(data) is float32 whatever the data's dtype; torch.Tensor(2, 3) is a shape."""
    torch = pytest.importorskip("torch")
    ours, theirs = te.Tensor(*args), torch.Tensor(*args)
    assert ours.dtype == te.float32 and tuple(ours.shape) == tuple(theirs.shape)
    if any(not isinstance(a, int) for a in args):  # torch leaves the shape form uninitialised
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_the_legacy_constructor_keeps_its_additions_and_rejects_junk():
    x = te.Tensor([1, 2], dtype=te.float64, requires_grad=True)
    assert x.dtype == te.float64 and x.requires_grad
    assert te.nn.Parameter(te.zeros(2, dtype=te.float64)).dtype == te.float64  # Parameter keeps the dtype
    with pytest.raises(TypeError, match="one data argument"):
        te.Tensor([1], [2])
    with pytest.raises(RuntimeError, match="negative dimension"):
        te.Tensor(2, -1)
