"""F.one_hot, F.pad, F.normalize, F.cosine_similarity, F.pairwise_distance: torch (float64), numpy,
gradcheck and gradgradcheck, and torch's errors."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
import tinygrad_ed.nn.functional as F
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def leaf(*shape, seed=0):
    return te.tensor(randn(*shape, seed=seed), requires_grad=True)


# -- one_hot ----------------------------------------------------------------------------------------

def test_one_hot_infers_classes_and_is_int64():
    out = F.one_hot(te.tensor([[0, 3], [1, 1]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.detach().numpy(), np.eye(4, dtype=np.int64)[[[0, 3], [1, 1]]])
    assert F.one_hot(te.tensor(2), 5).tolist() == [0, 0, 1, 0, 0]
    assert F.one_hot(te.tensor([], dtype=te.int64), 3).shape == (0, 3)


@pytest.mark.parametrize("labels,classes,message", [
    (np.array([1, 2], dtype=np.int32), -1, "only applicable to index tensor of type LongTensor"),
    (np.array([1, -2]), -1, "Class values must be non-negative"),
    (np.array([1, 2]), 2, "Class values must be smaller than num_classes"),
    (np.array([], dtype=np.int64), -1, "Can not infer total number of classes from empty tensor"),
])
def test_one_hot_errors_as_torch(labels, classes, message):
    with pytest.raises(RuntimeError, match=message):
        F.one_hot(te.tensor(labels), classes)


def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    labels = np.random.default_rng(0).integers(0, 5, (3, 4))
    for classes in (-1, 7):
        expected = torch.nn.functional.one_hot(torch.tensor(labels), classes).detach().numpy()
        np.testing.assert_array_equal(F.one_hot(te.tensor(labels), classes).detach().numpy(), expected)


# -- pad --------------------------------------------------------------------------------------------

PAD_CASES = [
    ((2, 3), (1, 2), "constant"), ((2, 3), (1, 1, 2, 0), "constant"), ((2, 3, 4), (0, 1, 1, 0, 2, 1), "constant"),
    ((2, 5), (-1, 2), "constant"), ((3, 4), (-1, -2, 1, -1), "constant"), ((4,), (2, 3), "constant"),
    ((2, 5), (2, 3), "reflect"), ((1, 2, 5), (4, 1), "reflect"), ((1, 3, 4), (1, 2, 2, 1), "reflect"),
    ((1, 1, 3, 3, 4), (1, 2, 2, 1, 1, 1), "reflect"), ((2, 4), (3, 2), "replicate"),
    ((1, 2, 3, 4), (1, 2, 3, 0), "replicate"), ((1, 2, 2, 3), (2, 2, 1, 1, 0, 1), "replicate"),
    ((2, 5), (2, 5), "circular"), ((1, 2, 3, 4), (1, 2, 3, 0), "circular"), ((1, 2, 3), (-1, 1), "circular"),
    ((1, 2, 3), (1, -1), "circular"), ((1, 2, 3), (-1, 2), "circular"), ((1, 2, 3), (-1, 2), "reflect"),
    ((1, 2, 3), (1, -1), "replicate"),
]


@pytest.mark.parametrize("shape,pads,mode", PAD_CASES)
def test_pad_matches_torch(shape, pads, mode):
    torch = pytest.importorskip("torch")
    data = randn(*shape)
    x = te.tensor(data, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    out, expected = F.pad(x, pads, mode), torch.nn.functional.pad(xt, pads, mode)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    weights = randn(*expected.shape, seed=1)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape,pads,mode", PAD_CASES)
def test_pad_gradcheck(shape, pads, mode):
    x = leaf(*shape, seed=2)
    assert gradcheck(lambda t: F.pad(t, pads, mode), (x,))
    assert gradgradcheck(lambda t: F.pad(t, pads, mode) ** 2, (x,))


def test_pad_closed_forms():
    x = te.tensor([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(F.pad(x, (2, 1), value=-1.0).detach().numpy(), [[-1, -1, 1, 2, 3, -1]])
    np.testing.assert_array_equal(F.pad(x[None], (2, 2), "reflect").detach().numpy(), [[[3, 2, 1, 2, 3, 2, 1]]])
    np.testing.assert_array_equal(F.pad(x[None], (2, 1), "replicate").detach().numpy(), [[[1, 1, 1, 2, 3, 3]]])
    np.testing.assert_array_equal(F.pad(x[None], (2, 1), "circular").detach().numpy(), [[[2, 3, 1, 2, 3, 1]]])
    np.testing.assert_array_equal(F.pad(x, (1, 0, 0, 1)).detach().numpy(), [[0, 1, 2, 3], [0, 0, 0, 0]])
    assert F.pad(te.tensor([1, 2]), (1, 1)).dtype == np.int64


@pytest.mark.parametrize("shape,pads,kwargs,error,message", [
    ((2, 3), (1,), {}, RuntimeError, "Padding length must be divisible by 2"),
    ((2, 3), (1, 1, 1, 1, 1, 1), {}, RuntimeError, "less than or equal to two times the input dimension"),
    ((3,), (1, 1), {"mode": "reflect"}, NotImplementedError, "Padding size 2 is not supported for 1D input"),
    ((2, 3), (1, 1, 1, 1), {"mode": "reflect"}, NotImplementedError, "Padding size 4 is not supported for 2D"),
    ((2, 3), (3, 1), {"mode": "reflect"}, RuntimeError, "Padding size should be less than the corresponding"),
    ((2, 3), (4, 1), {"mode": "circular"}, RuntimeError, "wrapping around more than once"),
    ((1, 2, 3), (1, 1), {"mode": "foo"}, NotImplementedError, "Unrecognised padding mode foo"),
    ((1, 2, 3), (1, 1), {"mode": "reflect", "value": 2.0}, RuntimeError, "doesn't take in value argument"),
    ((2, 3), (-2, -2), {}, RuntimeError, "removes more than"),
])
def test_pad_errors(shape, pads, kwargs, error, message):
    with pytest.raises(error, match=message):
        F.pad(te.zeros(*shape), pads, **kwargs)


# -- normalize, cosine_similarity, pairwise_distance ----------------------------------------------------

NORM_CASES = [((3, 4), {}), ((3, 4), {"dim": 0}), ((2, 3, 4), {"p": 1.0, "dim": -1}), ((5,), {"dim": 0}),
              ((2, 3, 4), {"p": 3.0, "dim": 1}), ((3, 4), {"p": float("inf")}), ((3, 4), {"eps": 10.0})]


@pytest.mark.parametrize("shape,kwargs", NORM_CASES)
def test_normalize_matches_torch(shape, kwargs):
    torch = pytest.importorskip("torch")
    data = randn(*shape)
    x, xt = te.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, expected = F.normalize(x, **kwargs), torch.nn.functional.normalize(xt, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-13)
    weights = randn(*shape, seed=1)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("shape,kwargs", NORM_CASES[:5])
def test_normalize_gradcheck(shape, kwargs):
    x = leaf(*shape, seed=3)
    assert gradcheck(lambda t: F.normalize(t, **kwargs), (x,))
    assert gradgradcheck(lambda t: F.normalize(t, **kwargs), (x,))


def test_normalize_zero_vector_gives_zeros_and_gradient_one_over_eps():
    x = te.tensor(np.zeros((2, 3)), requires_grad=True)
    out = F.normalize(x, eps=1e-3)
    out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), 0)
    np.testing.assert_allclose(x.grad.detach().numpy(), 1e3)  # x / eps: the clamped norm passes no gradient
    data = np.array([[3.0, 4.0]])
    np.testing.assert_allclose(F.normalize(te.tensor(data)).detach().numpy(), [[0.6, 0.8]])


COSINE_CASES = [((3, 4), (3, 4), {}), ((3, 4), (1, 4), {"dim": -1}), ((2, 3, 4), (2, 3, 4), {"dim": 0}),
                ((5,), (5,), {"dim": 0}), ((3, 4), (3, 4), {"eps": 0.5}), ((4, 3), (4, 3), {"dim": 1})]


@pytest.mark.parametrize("shape1,shape2,kwargs", COSINE_CASES)
def test_cosine_similarity_matches_torch(shape1, shape2, kwargs):
    torch = pytest.importorskip("torch")
    a, b = randn(*shape1), randn(*shape2, seed=1)
    if kwargs.get("eps") == 0.5:
        a[0] *= 1e-3  # a norm below eps: clamped in value, not in gradient (torch 2)
    x1, x2 = te.tensor(a, requires_grad=True), te.tensor(b, requires_grad=True)
    t1, t2 = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = F.cosine_similarity(x1, x2, **kwargs), torch.nn.functional.cosine_similarity(t1, t2, **kwargs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-15)
    weights = randn(*expected.shape, seed=2)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x1.grad.detach().numpy(), t1.grad.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(x2.grad.detach().numpy(), t2.grad.detach().numpy(), rtol=1e-10, atol=1e-14)


def test_cosine_similarity_closed_form_and_gradients():
    a, b = randn(3, 4), randn(3, 4, seed=1)
    expected = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(F.cosine_similarity(te.tensor(a), te.tensor(b)).detach().numpy(), expected, rtol=1e-14)
    x1, x2 = leaf(3, 4, seed=4), leaf(1, 4, seed=5)
    assert gradcheck(lambda s, t: F.cosine_similarity(s, t), (x1, x2))
    assert gradgradcheck(lambda s, t: F.cosine_similarity(s, t, dim=-1), (x1, x2))
    zero = F.cosine_similarity(te.zeros(2, 3), te.ones(2, 3))
    np.testing.assert_array_equal(zero.detach().numpy(), [0.0, 0.0])


PAIRWISE_CASES = [((3, 4), (3, 4), {}), ((3, 4), (1, 4), {"p": 1.0}), ((2, 3, 4), (2, 3, 4), {"keepdim": True}),
                  ((5,), (5,), {}), ((3, 4), (3, 4), {"p": 3.0, "eps": 1e-3}), ((3, 4), (4,), {"p": float("inf")})]


@pytest.mark.parametrize("shape1,shape2,kwargs", PAIRWISE_CASES)
def test_pairwise_distance_matches_torch(shape1, shape2, kwargs):
    torch = pytest.importorskip("torch")
    a, b = randn(*shape1), randn(*shape2, seed=1)
    x1, x2 = te.tensor(a, requires_grad=True), te.tensor(b, requires_grad=True)
    t1, t2 = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out, expected = F.pairwise_distance(x1, x2, **kwargs), torch.nn.functional.pairwise_distance(t1, t2, **kwargs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    weights = randn(*expected.shape, seed=2)
    (out * te.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x1.grad.detach().numpy(), t1.grad.detach().numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(x2.grad.detach().numpy(), t2.grad.detach().numpy(), rtol=1e-10, atol=1e-14)


def test_pairwise_distance_closed_form_and_gradients():
    a, b = randn(3, 4), randn(3, 4, seed=1)
    expected = np.linalg.norm(a - b + 1e-6, axis=1)
    np.testing.assert_allclose(F.pairwise_distance(te.tensor(a), te.tensor(b)).detach().numpy(), expected, rtol=1e-14)
    x1, x2 = leaf(3, 4, seed=6), leaf(3, 4, seed=7)
    for p in (1.0, 2.0, 3.0):
        assert gradcheck(lambda s, t, p=p: F.pairwise_distance(s, t, p), (x1, x2))
        assert gradgradcheck(lambda s, t, p=p: F.pairwise_distance(s, t, p), (x1, x2))
    with pytest.raises(RuntimeError, match="cannot be broadcast"):
        F.pairwise_distance(te.zeros(3, 4), te.zeros(2, 4))


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0, float("inf")])
def test_pdist(p):
    data = randn(5, 3)
    x = te.tensor(data, requires_grad=True)
    i, j = np.triu_indices(5, k=1)
    expected = np.linalg.norm(data[i] - data[j], ord=p, axis=1)
    np.testing.assert_allclose(F.pdist(x, p).detach().numpy(), expected, rtol=1e-14)
    if p != float("inf"):
        assert gradcheck(lambda t: F.pdist(t, p), (x,)) and gradgradcheck(lambda t: F.pdist(t, p), (x,))
    torch = pytest.importorskip("torch")
    xt = torch.tensor(data, requires_grad=True)
    F.pdist(x, p).sum().backward()
    torch.nn.functional.pdist(xt, p).sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.detach().numpy(), rtol=1e-10)
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors"):
        F.pdist(te.zeros(3))
