"""Reductions, scans, sorting and norms: values against numpy and torch (where installed),
gradients against finite differences (gradcheck/gradgradcheck in float64) and torch."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def rand(*shape, seed=0):
    return f64(np.random.default_rng(seed).standard_normal(shape))


def torch_or_skip():
    return pytest.importorskip("torch")


# ---------------------------------------------------------------------------------------------
# min is a real op


def test_min_of_integer_extremes_unsigned_and_bool():
    int32 = te.tensor(np.array([-2 ** 31, 5], dtype=np.int32))
    assert int32.min().item() == -2 ** 31 and int32.amin().item() == -2 ** 31
    assert te.minimum(int32, te.tensor(np.array([0, 0], dtype=np.int32))).tolist() == [-2 ** 31, 0]
    uint8 = te.tensor(np.array([0, 5], dtype=np.uint8))
    assert uint8.min().item() == 0 and uint8.min(0).values.item() == 0 and uint8.amin().dtype == te.uint8
    flags = te.tensor([True, False])
    assert flags.min().item() is False and flags.max().item() is True and flags.amin(0).item() is False


def test_min_gradient_ties_share_and_dim_form_routes_to_the_index():
    x = f64([1.0, 1.0, 3.0])
    x.min().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [0.5, 0.5, 0.0])
    y = rand(3, 4)
    assert gradgradcheck(lambda t: t.amin(1) ** 2, (y,)) and gradcheck(lambda t: t.min(0).values, (y,))


# ---------------------------------------------------------------------------------------------
# sum, mean, prod: dims, dtypes, aliases


def test_aliases_axis_and_keepdims():
    x = te.tensor(np.arange(6.0).reshape(2, 3))
    data = x.detach().numpy()
    assert x.sum(axis=0).tolist() == data.sum(0).tolist()
    assert x.sum(axis=1, keepdims=True).shape == (2, 1)
    assert x.mean(axis=(0, 1)).item() == data.mean()
    assert x.amax(axis=1, keepdims=True).tolist() == [[2.0], [5.0]]
    assert x.max(axis=0).indices.tolist() == [1, 1, 1]
    assert x.std(axis=0).shape == (3,) and x.var(axis=1, keepdims=True).shape == (2, 1)
    assert x.argmax(axis=1).tolist() == [2, 2] and x.logsumexp(axis=0).shape == (3,)
    assert te.prod(x, axis=1).tolist() == [0.0, 60.0] and x.all(axis=1).tolist() == [False, True]
    assert x.cumsum(axis=1).tolist() == np.cumsum(data, 1).tolist() and x.cummax(axis=0).indices.shape == (2, 3)
    assert x.sort(axis=0, descending=True).indices.tolist() == [[1, 1, 1], [0, 0, 0]]
    assert x.argsort(axis=1).tolist() == [[0, 1, 2]] * 2 and x.topk(1, axis=1).values.tolist() == [[2.0], [5.0]]
    assert x.median(axis=1, keepdims=True).values.tolist() == [[1.0], [4.0]]
    assert x.softmax(axis=0).shape == (2, 3) and x.count_nonzero(axis=0).tolist() == [1, 2, 2]
    with pytest.raises(TypeError, match="both dim and its alias"):
        x.sum(0, axis=1)
    with pytest.raises(TypeError, match="missing required argument 'dim'"):
        x.cumsum()
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.sum(dims=1)


def test_sum_dtypes_follow_torch():
    assert te.tensor([True, False, True]).sum().item() == 2 and te.tensor([True]).sum().dtype == te.int64
    assert te.tensor(np.array([200, 100], dtype=np.uint8)).sum().item() == 300
    assert te.tensor(np.array([1, 2], dtype=np.int32)).sum().dtype == te.int64
    assert te.tensor([1, 2, 3]).sum(dtype=te.float64).dtype == te.float64
    assert te.tensor([1.5, 2.5]).sum(dtype=te.int32).item() == 3
    assert te.tensor([1, 2, 3]).mean(dtype=te.float32).item() == 2.0
    assert te.tensor([1, 2, 3]).prod().dtype == te.int64 and te.tensor([1, 2, 3]).prod().item() == 6
    with pytest.raises(RuntimeError, match="floating point"):
        te.tensor([1, 2]).mean()


def test_prod_values_and_gradients_with_zeros_against_closed_forms():
    for data in ([2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0]):
        x = f64(data)
        x.prod().backward()
        expected = [np.prod([v for j, v in enumerate(data) if j != i]) for i in range(3)]
        np.testing.assert_allclose(x.grad.detach().numpy(), expected)
        assert gradgradcheck(lambda t: t.prod(), (f64(data),))
    y = f64(np.array([[1.0, 0.0, 2.0, 3.0, 0.5], [2.0, -1.0, 0.5, 1.5, 2.0]]))
    assert gradcheck(lambda t: t.prod(1), (y,)) and gradgradcheck(lambda t: t.prod(0, keepdim=True), (y,))
    np.testing.assert_allclose(y.prod(1).detach().numpy(), np.prod(y.detach().numpy(), 1))
    assert te.ones(2, 0).prod(1).tolist() == [1.0, 1.0] and te.zeros(0).prod().item() == 1.0
    empty = f64(np.zeros((2, 0)))
    empty.prod(1).sum().backward()
    assert empty.grad.shape == (2, 0)


def test_prod_against_torch():
    torch = torch_or_skip()
    data = np.array([[1.0, 0.0, 2.0], [3.0, -1.0, 0.5], [0.0, 0.0, 2.0]])
    for dim in (None, 0, 1):
        x, xt = f64(data), torch.tensor(data, requires_grad=True)
        out, out_t = (x.prod(), xt.prod()) if dim is None else (x.prod(dim), xt.prod(dim))
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy())
        out.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy())


# ---------------------------------------------------------------------------------------------
# var and std


VAR_CALLS = [  # torch's overloads: (dim, unbiased, keepdim) positionally, correction by keyword, var(unbiased)
    ((), {}), ((0,), {}), ((1, False), {}), ((0, True, True), {}), ((False,), {}), ((True,), {}),
    ((), {"dim": 1, "correction": 0}), ((), {"dim": (0, 1), "correction": 2}), ((1,), {"keepdim": True}),
    ((), {"unbiased": False}),
]


@pytest.mark.parametrize("args, kwargs", VAR_CALLS)
def test_var_std_forms_against_torch(args, kwargs):
    torch = torch_or_skip()
    data = np.random.default_rng(0).standard_normal((3, 4))
    for name in ("var", "std"):
        ours = getattr(f64(data, False), name)(*args, **kwargs)
        theirs = getattr(torch.tensor(data), name)(*args, **kwargs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    for name in ("var_mean", "std_mean"):
        ours = getattr(te, name)(f64(data, False), *args, **kwargs)
        theirs = getattr(torch, name)(torch.tensor(data), *args, **kwargs)
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12)


def test_var_closed_form_gradients_and_errors():
    x = rand(3, 4)
    assert gradgradcheck(lambda t: t.var(1, correction=0), (x,)) and gradgradcheck(lambda t: t.std(0), (x,))
    data = x.detach().numpy()
    np.testing.assert_allclose(x.var(0, unbiased=False).detach().numpy(), data.var(0))
    with pytest.raises(TypeError):
        x.var(0, True, correction=1)
    with pytest.warns(UserWarning, match="degrees of freedom"):
        assert np.isnan(te.tensor([1.0]).var().item())


# ---------------------------------------------------------------------------------------------
# max, min, argmax, and friends


def test_max_min_named_tuples():
    x = te.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]])
    values, indices = x.max(1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    result = x.min(dim=0, keepdim=True)
    assert result.values.tolist() == [[1.0, 0.0, 2.0]] and result.indices.tolist() == [[0, 1, 0]]
    assert te.max(x, 1).indices.tolist() == [1, 0] and te.min(x).item() == 0.0
    assert isinstance(x.max(1), te.return_types.max) and x.max(1)[0].tolist() == [5.0, 7.0]
    assert repr(x.min(1)).startswith("tinygrad_ed.return_types.min(\nvalues=tensor([1., 0.]),\nindices=")
    for name in ("sort", "topk", "median", "cummax", "cummin"):
        call = {"topk": lambda t: t.topk(1), "sort": lambda t: t.sort()}.get(name, lambda t, n=name: getattr(t, n)(1))
        assert type(call(x)) is getattr(te.return_types, name)
    assert x.max(te.tensor([3.0, 3.0, 3.0])).tolist() == [[3.0, 5.0, 3.0], [7.0, 3.0, 7.0]]
    assert te.min(x, te.tensor(1.0)).tolist() == [[1.0, 1.0, 1.0], [1.0, 0.0, 1.0]]


def test_all_any_count_nonzero_against_torch():
    torch = torch_or_skip()
    data = np.array([[0, 1, 2], [3, 0, 0]])
    for dim in (None, 0, 1):
        args = () if dim is None else (dim,)
        for name in ("all", "any", "count_nonzero"):
            ours = getattr(te.tensor(data), name)(*args)
            theirs = getattr(torch.tensor(data), name)(*args)
            assert ours.tolist() == theirs.tolist(), (name, dim)
    assert te.tensor(data).all(1, keepdim=True).shape == (2, 1)


def test_logsumexp_gradients():
    x = rand(3, 4)
    assert gradgradcheck(lambda t: t.logsumexp(1), (x,))
    np.testing.assert_allclose(x.logsumexp((0, 1)).item(), np.log(np.exp(x.detach().numpy()).sum()))


# ---------------------------------------------------------------------------------------------
# scans


def test_cumsum_cumprod_gradients_and_values():
    x = f64(np.array([[1.0, 0.0, 2.0, -1.5], [0.5, 2.0, 0.0, 0.0], [1.5, -2.0, 3.0, 0.5]]))
    for dim in (0, 1, -1):
        np.testing.assert_allclose(x.cumsum(dim).detach().numpy(), np.cumsum(x.detach().numpy(), dim))
        np.testing.assert_allclose(x.cumprod(dim).detach().numpy(), np.cumprod(x.detach().numpy(), dim))
        for name in ("cumsum", "cumprod"):
            def scan(t, name=name, dim=dim):
                return getattr(t, name)(dim)
            assert gradcheck(scan, (x,)) and gradgradcheck(scan, (x,))
    assert te.tensor([1, 2, 3], dtype=te.int32).cumsum(0).dtype == te.int64
    assert te.tensor([True, True]).cumsum(0).tolist() == [1, 2]
    assert te.tensor([1, 2, 3]).cumsum(0, dtype=te.float64).dtype == te.float64


def test_scans_against_torch():
    torch = torch_or_skip()
    data = np.array([[1.0, 0.0, 2.0, -1.5, 3.0], [0.0, 0.0, 2.0, 1.0, -1.0]])
    for name in ("cumsum", "cumprod"):
        x, xt = f64(data), torch.tensor(data, requires_grad=True)
        out, out_t = getattr(x, name)(1), getattr(xt, name)(1)
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy())
        (out * out).sum().backward()
        (out_t * out_t).sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy())
    ties = np.array([[1.0, 3.0, 3.0, 2.0, np.nan, 5.0], [4.0, 1.0, 1.0, 2.0, 0.0, 0.0]])
    for name in ("cummax", "cummin"):
        x, xt = f64(ties), torch.tensor(ties, requires_grad=True)
        ours, theirs = getattr(x, name)(1), getattr(torch, name)(xt, 1)
        np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()
        ours.values.sum().backward()
        theirs.values.sum().backward()
        np.testing.assert_array_equal(x.grad.detach().numpy(), xt.grad.detach().numpy())


def test_cummax_gradient_accumulates_on_repeated_indices():
    x = f64([3.0, 1.0, 2.0, 5.0])
    values, indices = te.cummax(x, 0)
    assert indices.tolist() == [0, 0, 0, 3]
    values.sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 0.0, 1.0]
    assert gradgradcheck(lambda t: t.cummin(0).values * t, (f64([3.0, 1.0, 2.0, 0.5]),))


# ---------------------------------------------------------------------------------------------
# sorting


def test_sort_argsort_topk_against_torch():
    torch = torch_or_skip()
    data = np.array([[2.0, np.nan, 1.0, 2.0, -3.0], [0.5, 0.5, 0.5, -1.0, 4.0]])
    for kwargs in ({}, {"descending": True}, {"dim": 0}, {"dim": 0, "descending": True}):
        ours, theirs = te.tensor(data).sort(stable=True, **kwargs), torch.tensor(data).sort(stable=True, **kwargs)
        np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert te.argsort(te.tensor(data), **kwargs).tolist() == theirs.indices.tolist()
    finite = np.nan_to_num(data, nan=9.0)
    for kwargs in ({}, {"largest": False}, {"dim": 0}):
        k = 1 if kwargs.get("dim") == 0 else 3
        ours, theirs = te.tensor(finite).topk(k, **kwargs), torch.tensor(finite).topk(k, **kwargs)
        np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
    with pytest.raises(RuntimeError, match="out of range"):
        te.tensor([1.0, 2.0]).topk(3)


def test_sort_topk_median_gradients_go_to_the_selected_elements():
    x = rand(3, 5)
    assert gradcheck(lambda t: t.sort(1).values * te.tensor(np.arange(5.0)), (x,))
    assert gradgradcheck(lambda t: t.sort(0, descending=True).values ** 2, (x,))
    assert gradcheck(lambda t: t.topk(2).values, (x,)) and gradcheck(lambda t: t.median(1).values, (x,))
    y = f64([4.0, 1.0, 3.0, 2.0])
    y.median().backward()
    assert y.grad.tolist() == [0.0, 0.0, 0.0, 1.0]  # the lower median, 2.0, at index 3


def test_median_against_torch():
    torch = torch_or_skip()
    data = np.array([[4.0, 1.0, 3.0, 2.0], [1.0, np.nan, 3.0, 0.0], [5.0, 5.0, 1.0, 5.0]])
    ours, theirs = te.tensor(data).median(1), torch.tensor(data).median(1)
    np.testing.assert_array_equal(ours.values.detach().numpy(), theirs.values.detach().numpy())
    assert ours.indices.tolist()[:2] == theirs.indices.tolist()[:2]  # the last row's tie may pick any 5
    assert te.tensor(data[0]).median().item() == torch.tensor(data[0]).median().item()
    assert math.isnan(te.tensor(data).median().item())
    assert te.tensor(data).median(0, keepdim=True).values.shape == (1, 4)


def test_unique_bincount_histc_against_torch():
    torch = torch_or_skip()
    data = np.array([3, 1, 2, 1, 3, 3])
    ours = te.unique(te.tensor(data), return_inverse=True, return_counts=True)
    theirs = torch.unique(torch.tensor(data), return_inverse=True, return_counts=True)
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
    rows = np.array([[3, 1], [2, 1], [3, 1]])
    ours = te.tensor(rows).unique(dim=0, return_inverse=True)
    theirs = torch.tensor(rows).unique(dim=0, return_inverse=True)
    assert [t.tolist() for t in ours] == [t.tolist() for t in theirs]
    assert te.tensor(data).unique().tolist() == [1, 2, 3]
    counts = np.array([0, 1, 1, 4])
    expected = torch.bincount(torch.tensor(counts), minlength=6).tolist()
    assert te.bincount(te.tensor(counts), minlength=6).tolist() == expected
    weights = np.array([0.5, 1.0, 2.0, 4.0], dtype=np.float32)
    ours, theirs = te.tensor(counts).bincount(te.tensor(weights)), torch.tensor(counts).bincount(torch.tensor(weights))
    assert ours.tolist() == theirs.tolist() and ours.dtype == te.float32
    values = np.array([1.0, 2.0, 1.0, 4.0, 9.0, -1.0, 3.0])
    for kwargs in ({"bins": 4, "min": 0, "max": 3}, {"bins": 5}, {"bins": 3, "min": 1, "max": 1}):
        ours = te.histc(te.tensor(values), **kwargs)
        assert ours.tolist() == torch.histc(torch.tensor(values, dtype=torch.float32), **kwargs).tolist(), kwargs
    with pytest.raises(RuntimeError, match="non-negative"):
        te.tensor([-1, 2]).bincount()


def tensors(lib, kwargs, dtype):
    """kwargs with its arrays as `lib`'s tensors of `dtype`."""
    return {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def test_histogram_against_torch():
    torch = torch_or_skip()
    values = np.array([[1.0, 2.0, 1.0], [5.0, -1.0, 2.5]])
    weight = np.arange(6.0).reshape(2, 3)
    cases = [dict(bins=4), dict(bins=4, range=(0.0, 4.0)), dict(bins=3, weight=weight, density=True),
             dict(bins=np.array([0.0, 1.0, 2.5, 6.0]), weight=weight), dict(bins=2, density=True)]
    for dtype in (np.float32, np.float64):
        for kwargs in cases:
            ours = te.histogram(te.tensor(values.astype(dtype)), **tensors(te, kwargs, dtype))
            theirs = torch.histogram(torch.tensor(values.astype(dtype)), **tensors(torch, kwargs, dtype))
            for mine, reference in zip(ours, theirs):
                assert mine.dtype == te.tensor(values.astype(dtype)).dtype
                np.testing.assert_allclose(mine.numpy(), reference.numpy(), rtol=1e-6, err_msg=str(kwargs))
    hist, bin_edges = te.tensor([1.0, 1.0, 1.0]).histogram(4)  # all equal: the range widens by 0.5 each side
    assert hist.tolist() == [0.0, 0.0, 3.0, 0.0] and bin_edges.tolist() == [0.5, 0.75, 1.0, 1.25, 1.5]


def test_histogram_rejects_what_torch_rejects():
    with pytest.raises(NotImplementedError, match="int64"):
        te.histogram(te.tensor([1, 2]), 3)
    with pytest.raises(RuntimeError, match="min should not exceed max"):
        te.histogram(te.tensor([1.0]), 3, range=(2.0, 1.0))
    with pytest.raises(RuntimeError, match="bins must be > 0"):
        te.histogram(te.tensor([1.0]), 0)


# ---------------------------------------------------------------------------------------------
# norms


NORM_CALLS = [
    ("vector_norm", {}), ("vector_norm", {"ord": 1}), ("vector_norm", {"ord": 3, "dim": 1}),
    ("vector_norm", {"ord": 0.5, "dim": 0, "keepdim": True}), ("vector_norm", {"ord": math.inf}),
    ("vector_norm", {"ord": -math.inf, "dim": 1}), ("vector_norm", {"ord": 0}),
    ("norm", {}), ("norm", {"dim": 1}), ("norm", {"ord": 1}), ("norm", {"ord": math.inf}),
    ("norm", {"ord": "fro"}), ("norm", {"ord": -1, "dim": (1, 0)}), ("norm", {"ord": 3, "dim": 0}),
    ("matrix_norm", {}), ("matrix_norm", {"ord": -math.inf, "keepdim": True}),
    ("matrix_norm", {"ord": "nuc"}), ("matrix_norm", {"ord": 2}), ("matrix_norm", {"ord": -2, "keepdim": True}),
    ("norm", {"ord": "nuc"}), ("norm", {"ord": 2}), ("norm", {"ord": -2, "dim": (1, 0)}), ("svdvals", {}),
]


@pytest.mark.parametrize("name, kwargs", NORM_CALLS)
def test_linalg_norms_against_torch(name, kwargs):
    torch = torch_or_skip()
    data = np.array([[1.0, -2.0, 0.5], [3.0, 4.0, -5.0]])
    x, xt = f64(data), torch.tensor(data, requires_grad=True)
    out, out_t = getattr(te.linalg, name)(x, **kwargs), getattr(torch.linalg, name)(xt, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
    if kwargs.get("ord") != 0:
        out.sum().backward()
        out_t.sum().backward()
        np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)


def test_tensor_norm_forms_against_torch():
    torch = torch_or_skip()
    data = np.array([[1.0, -2.0, 0.0], [3.0, 4.0, -5.0]])
    for args, kwargs in [((), {}), ((1,), {}), ((), {"p": 1}), ((), {"dim": 1, "keepdim": True}),
                         ((3,), {"dim": 0}), (("fro",), {"dim": (0, 1)}), ((math.inf,), {})]:
        ours, theirs = te.tensor(data).norm(*args, **kwargs), torch.tensor(data).norm(*args, **kwargs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-6)
    assert te.norm(te.tensor(data)).item() == pytest.approx(np.linalg.norm(data))


def test_norm_gradients_finite_at_zero_and_twice_differentiable():
    for ord in (2, 3, 0.5, 1):
        x = f64([0.0, 0.0, 0.0])
        te.linalg.vector_norm(x, ord).backward()
        assert x.grad.tolist() == [0.0, 0.0, 0.0], ord
    x = rand(3, 4)
    for ord in (2, 3, 1.5):
        assert gradgradcheck(lambda t, ord=ord: te.linalg.vector_norm(t, ord, dim=1), (x,))
    assert gradcheck(lambda t: te.linalg.matrix_norm(t, 1), (x,))
    with pytest.raises(RuntimeError, match="floating point"):
        te.linalg.vector_norm(te.tensor([1, 2]))


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_singular_value_norms_batched_against_torch(ord):
    torch = torch_or_skip()
    data = np.random.default_rng(5).standard_normal((2, 3, 4))
    for dim, keepdim in [((-2, -1), False), ((0, 2), True), ((2, 0), False), ((1, 0), True)]:
        x, xt = f64(data), torch.tensor(data, requires_grad=True)
        out = te.linalg.matrix_norm(x, ord, dim=dim, keepdim=keepdim)
        out_t = torch.linalg.matrix_norm(xt, ord, dim=dim, keepdim=keepdim)
        assert out.shape == tuple(out_t.shape)
        np.testing.assert_allclose(out.detach().numpy(), out_t.detach().numpy(), rtol=1e-12)
        weights = np.random.default_rng(6).standard_normal(out.shape)
        (out * te.tensor(weights)).sum().backward()
        (out_t * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-12)
    nuc = te.tensor(data[0]).norm(p="nuc")
    assert nuc.item() == pytest.approx(torch.tensor(data[0]).norm(p="nuc").item())


def test_singular_value_norms_gradcheck_and_once_differentiable():
    x = rand(3, 4)
    for ord in ("nuc", 2, -2):
        assert gradcheck(lambda t, ord=ord: te.linalg.matrix_norm(t, ord), (x,))
    assert gradcheck(lambda t: te.linalg.svdvals(t), (rand(2, 4, 3),))
    with pytest.raises(RuntimeError, match="create_graph"):
        te.autograd.grad(te.linalg.matrix_norm(x, "nuc"), x, create_graph=True)
    assert te.linalg.matrix_norm(te.zeros(0, 3), 2).item() == 0.0  # an empty matrix, as torch
    with pytest.raises(RuntimeError, match="floating point"):
        te.linalg.matrix_norm(te.ones(2, 2, dtype=te.int64), "nuc")


def test_no_warnings_from_ordinary_reductions():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = rand(4, 3)
        x.var(0).sum().backward()
        te.linalg.vector_norm(x, 3, dim=1).sum().backward()


@pytest.mark.parametrize("reduce", [lambda lib, t: t.std(), lambda lib, t: t.std(1, keepdim=True),
                                    lambda lib, t: lib.std_mean(t, 0)[0], lambda lib, t: t.std(0, correction=0)],
                         ids=["all", "dim1", "std_mean", "correction0"])
def test_std_of_constant_entries_has_gradient_zero_as_torch(reduce):
    torch = pytest.importorskip("torch")
    values = np.array([[2.0, 2.0, 2.0], [2.0, 3.0, 5.0]])  # the first row and column are constant
    mine, theirs = te.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    reduce(te, mine).sum().backward()
    reduce(torch, theirs).sum().backward()
    np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-15)
    assert np.isfinite(mine.grad.numpy()).all()
