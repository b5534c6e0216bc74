"""te.autograd.functional: jacobian, hessian, vjp, jvp, hvp, vhp against closed forms, finite
differences and torch (when installed)."""
from __future__ import annotations

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd.functional import hessian, hvp, jacobian, jvp, vhp, vjp

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 2.0, -0.5])


def t(values, requires_grad=False):
    return te.tensor(np.array(values, dtype=np.float64), requires_grad=requires_grad)


def test_jacobian_closed_form_single_and_tuples():
    J = jacobian(lambda x: x.exp() * 2, t(X))
    assert np.allclose(J.detach().numpy(), np.diag(2 * np.exp(X)))
    (jx, jy), (sx, sy) = jacobian(lambda x, y: (x * y, (x * y).sum()), (t(X), t(Y)))
    assert np.allclose(jx.detach().numpy(), np.diag(Y)) and np.allclose(jy.detach().numpy(), np.diag(X))
    assert np.allclose(sx.detach().numpy(), Y) and np.allclose(sy.detach().numpy(), X)
    assert not jx.requires_grad


def test_jacobian_by_finite_differences_of_a_matrix_function():
    A = np.array([[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]])
    fn = lambda m: (m @ te.tensor(A)).tanh()  # noqa: E731
    m0 = np.array([[0.1, 0.2, -0.3], [0.4, 0.0, 0.2]])
    J = jacobian(fn, t(m0)).detach().numpy()
    assert J.shape == (2, 2, 2, 3)
    eps = 1e-6
    for i in np.ndindex(*m0.shape):
        step = np.zeros_like(m0)
        step[i] = eps
        numeric = (np.tanh((m0 + step) @ A) - np.tanh((m0 - step) @ A)) / (2 * eps)
        assert np.allclose(J[(...,) + i], numeric, atol=1e-6)


def test_hessian_closed_form():
    H = hessian(lambda x: (x ** 3).sum() + x[0] * x[1], t(X))
    expected = np.diag(6 * X)
    expected[0, 1] = expected[1, 0] = 1.0
    assert np.allclose(H.detach().numpy(), expected)
    (hxx, hxy), (hyx, hyy) = hessian(lambda x, y: (x * x * y).sum(), (t(X), t(Y)))
    assert np.allclose(hxx.detach().numpy(), np.diag(2 * Y)) and np.allclose(hxy.detach().numpy(), np.diag(2 * X))
    assert np.allclose(hyx.detach().numpy(), np.diag(2 * X)) and np.allclose(hyy.detach().numpy(), 0)


def test_vector_products_closed_form():
    v = t(Y)
    out, g = vjp(lambda x: x * x * 3, t(X), v)
    assert np.allclose(out.detach().numpy(), 3 * X ** 2) and np.allclose(g.detach().numpy(), 6 * X * Y)
    out, g = jvp(lambda x: x.exp() * x, t(X), v)
    assert np.allclose(g.detach().numpy(), (np.exp(X) * (1 + X)) * Y)
    for product in (hvp, vhp):
        out, g = product(lambda x: (x ** 3).sum(), t(X), v)
        assert np.allclose(out.item(), (X ** 3).sum()) and np.allclose(g.detach().numpy(), 6 * X * Y)


def test_create_graph_keeps_the_results_differentiable():
    x = t(X, requires_grad=True)
    J = jacobian(lambda a: a ** 3, x, create_graph=True)
    assert J.requires_grad
    J.sum().backward()
    assert np.allclose(x.grad.detach().numpy(), 6 * X)


def test_strict_mode_and_bad_arguments():
    with pytest.raises(RuntimeError, match="independent of input"):
        jacobian(lambda x, y: x * 2, (t(X), t(Y)), strict=True)
    jx, jy = jacobian(lambda x, y: x * 2, (t(X), t(Y)))
    assert np.allclose(jy.detach().numpy(), 0)
    with pytest.raises(TypeError, match="Tensor or a tuple of Tensors"):
        jacobian(lambda x: x, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="single element"):
        hessian(lambda x: x * 2, t(X))
    with pytest.raises(RuntimeError, match="can only be None"):
        vjp(lambda x: x * 2, t(X))


def test_against_torch():
    torch = pytest.importorskip("torch")
    import torch.autograd.functional as TF
    fns = {
        "jacobian": lambda F, lib: F.jacobian(lambda x, y: (x.exp() * y, (x * y).sum()), (lib.tensor(X), lib.tensor(Y))),
        "hessian": lambda F, lib: F.hessian(lambda a, b: (a * a * b).sum() + a.exp().sum(), (lib.tensor(X), lib.tensor(Y))),
        "vjp": lambda F, lib: F.vjp(lambda a: a * a * 3, lib.tensor(X), lib.tensor(Y)),
        "jvp": lambda F, lib: F.jvp(lambda a: a.exp() * a, lib.tensor(X), lib.tensor(Y)),
        "hvp": lambda F, lib: F.hvp(lambda a: (a ** 3).sum(), lib.tensor(X), lib.tensor(Y)),
        "vhp": lambda F, lib: F.vhp(lambda a: (a ** 3).sum(), lib.tensor(X), lib.tensor(Y)),
    }

    def flat(result):
        if isinstance(result, (tuple, list)):
            return [x for r in result for x in flat(r)]
        return [np.asarray(result.detach().numpy())]

    for name, fn in fns.items():
        ours, theirs = flat(fn(te.autograd.functional, te)), flat(fn(TF, torch))
        assert len(ours) == len(theirs), name
        for a, b in zip(ours, theirs):
            assert a.shape == b.shape and np.allclose(a, b), name
