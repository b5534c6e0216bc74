"""Matrix products, diagonal/trace and te.linalg (inv, det, slogdet, solve, cross): values against torch
(when installed) and numpy, first and second derivatives against finite differences in float64."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import gradcheck, gradgradcheck


def _well_conditioned(lib, a):
    """a + 4 I: keeps the random matrices of these tests far from singular."""
    n = a.shape[-1]
    return a + 4 * lib.eye(n, dtype=lib.float64)


# name -> (fn(lib, *tensors), input shapes); `lib` is te or torch.
CASES = {
    "mm": (lambda lib, a, b: lib.mm(a, b), [(2, 3), (3, 4)]),
    "bmm": (lambda lib, a, b: a.bmm(b), [(2, 2, 3), (2, 3, 4)]),
    "mv": (lambda lib, a, v: a.mv(v), [(2, 3), (3,)]),
    "dot": (lambda lib, a, b: lib.dot(a, b), [(3,), (3,)]),
    "vdot": (lambda lib, a, b: a.vdot(b), [(3,), (3,)]),
    "outer": (lambda lib, a, b: lib.outer(a, b), [(3,), (2,)]),
    "ger": (lambda lib, a, b: a.ger(b), [(3,), (2,)]),
    "matmul broadcast": (lambda lib, a, b: lib.matmul(a, b), [(2, 1, 3, 4), (5, 4, 2)]),
    "matmul vector-matrix": (lambda lib, a, b: a @ b, [(4,), (3, 4, 2)]),
    "addmm": (lambda lib, c, a, b: lib.addmm(c, a, b), [(3,), (2, 4), (4, 3)]),
    "addmm beta alpha": (lambda lib, c, a, b: c.addmm(a, b, beta=0.5, alpha=-2.0), [(2, 3), (2, 4), (4, 3)]),
    "addmv": (lambda lib, c, a, v: lib.addmv(c, a, v, beta=2.0, alpha=0.5), [(2,), (2, 3), (3,)]),
    "addbmm": (lambda lib, c, a, b: lib.addbmm(c, a, b, alpha=3.0), [(2, 4), (3, 2, 5), (3, 5, 4)]),
    "baddbmm": (lambda lib, c, a, b: c.baddbmm(a, b, beta=0.25), [(1, 2, 4), (3, 2, 5), (3, 5, 4)]),
    "diagonal": (lambda lib, x: x.diagonal(), [(3, 4)]),
    "diagonal offset": (lambda lib, x: x.diagonal(1), [(3, 4)]),
    "diagonal negative offset": (lambda lib, x: lib.diagonal(x, -2), [(4, 3)]),
    "diagonal dims": (lambda lib, x: x.diagonal(offset=1, dim1=2, dim2=0), [(3, 2, 4)]),
    "trace": (lambda lib, x: lib.trace(x), [(3, 4)]),
    "inv": (lambda lib, a: lib.linalg.inv(_well_conditioned(lib, a)), [(3, 3)]),
    "inverse batched": (lambda lib, a: lib.inverse(_well_conditioned(lib, a)), [(2, 3, 3)]),
    "det": (lambda lib, a: lib.linalg.det(_well_conditioned(lib, a)), [(3, 3)]),
    "det batched": (lambda lib, a: _well_conditioned(lib, a).det(), [(2, 3, 3)]),
    "det negative": (lambda lib, a: lib.det(a), [(2, 2)]),
    "slogdet": (lambda lib, a: lib.linalg.slogdet(a - 4 * lib.eye(3, dtype=lib.float64)).logabsdet, [(3, 3)]),
    "solve matrix": (lambda lib, a, b: lib.linalg.solve(_well_conditioned(lib, a), b), [(3, 3), (3, 2)]),
    "solve vector": (lambda lib, a, b: lib.linalg.solve(_well_conditioned(lib, a), b), [(3, 3), (3,)]),
    "solve batch of vectors": (lambda lib, a, b: lib.linalg.solve(_well_conditioned(lib, a), b), [(2, 3, 3), (2, 3)]),
    "solve broadcast": (lambda lib, a, b: lib.linalg.solve(_well_conditioned(lib, a), b), [(3, 3), (2, 3, 1)]),
    "solve right": (lambda lib, a, b: lib.linalg.solve(_well_conditioned(lib, a), b, left=False), [(3, 3), (2, 3)]),
    "cross": (lambda lib, a, b: lib.linalg.cross(a, b), [(2, 3), (1, 3)]),
    "linalg.matmul": (lambda lib, a, b: lib.linalg.matmul(a, b), [(2, 3), (3,)]),
}


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn, shapes = CASES[name]
    arrays = _inputs(shapes)
    expected = fn(torch, *[torch.tensor(a) for a in arrays])
    got = fn(te, *[te.tensor(a) for a in arrays])
    assert got.shape == tuple(expected.shape)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients(name):
    fn, shapes = CASES[name]
    leaves = [te.tensor(a, requires_grad=True) for a in _inputs(shapes)]
    assert gradcheck(lambda *xs: fn(te, *xs), leaves)
    assert gradgradcheck(lambda *xs: fn(te, *xs) ** 2, leaves)


def test_closed_forms():
    a = te.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=te.float64)
    np.testing.assert_allclose(te.linalg.inv(a).numpy(), np.array([[3.0, -1.0], [-1.0, 2.0]]) / 5)
    np.testing.assert_allclose(te.linalg.det(a).item(), 5.0)
    sign, logabsdet = te.linalg.slogdet(-a)
    assert sign.item() == 1.0 and np.isclose(logabsdet.item(), np.log(5.0))
    np.testing.assert_allclose(te.linalg.solve(a, te.tensor([3.0, 4.0], dtype=te.float64)).numpy(), [1.0, 1.0])
    np.testing.assert_allclose(te.linalg.cross(te.tensor([1.0, 0, 0]), te.tensor([0.0, 1, 0])).numpy(), [0, 0, 1])
    assert te.trace(te.eye(4)).item() == 4.0


def test_det_gradient_is_cofactor_matrix():
    a = te.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=te.float64, requires_grad=True)
    te.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[3.0, -1.0], [-1.0, 2.0]])  # d det / dA = adj(A)^T


def test_addmm_with_beta_zero_ignores_nan_input():
    c = te.tensor([[np.nan, 1.0]])
    out = te.addmm(c, te.ones(1, 2), te.ones(2, 2), beta=0)
    np.testing.assert_array_equal(out.numpy(), [[2.0, 2.0]])


def test_linear_hot_path_is_unchanged():
    # a 2-d x @ W.T + b still goes through the one fused Linear node
    x, w, b = te.randn(4, 3), te.randn(5, 3, requires_grad=True), te.randn(5, requires_grad=True)
    assert type(te.nn.functional.linear(x, w, b).grad_fn).__name__ == "Linear"


@pytest.mark.parametrize("call, error, message", [
    (lambda: te.mm(te.zeros(3), te.zeros(3, 2)), RuntimeError, "mm: self must be a 2-d"),
    (lambda: te.bmm(te.zeros(2, 3, 4), te.zeros(3, 4, 2)), RuntimeError, "batch sizes"),
    (lambda: te.mv(te.zeros(2, 3), te.zeros(3, 1)), RuntimeError, "vec must be a 1-d"),
    (lambda: te.dot(te.zeros(3), te.zeros(2)), RuntimeError, "inconsistent"),
    (lambda: te.dot(te.zeros(3, 1), te.zeros(3, 1)), RuntimeError, "1D tensors expected"),
    (lambda: te.mm(te.zeros(2, 3), te.zeros(2, 3)), RuntimeError, "cannot be multiplied"),
    (lambda: te.diagonal(te.zeros(3)), RuntimeError, "at least 2"),
    (lambda: te.zeros(3, 3).diagonal(0, 1, -1), RuntimeError, "identical"),
    (lambda: te.trace(te.zeros(2, 2, 2)), RuntimeError, "matrix"),
    (lambda: te.linalg.inv(te.zeros(2, 3)), RuntimeError, "square"),
    (lambda: te.linalg.inv(te.zeros(2, 2)), te.linalg.LinAlgError, "not invertible"),
    (lambda: te.linalg.solve(te.eye(2), te.zeros(3)), RuntimeError, "incompatible"),
    (lambda: te.linalg.cross(te.zeros(2), te.zeros(2)), RuntimeError, "size 3"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
