"""Grad of grad: grad(create_graph=True) against closed forms, a Hessian-vector product
against finite differences, and every built-in primitive checked twice differentiable."""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd.engine import Primitive
from tinygrad_ed.autograd import grad
from tinygrad_ed.ops import binary, elementwise, index, linalg as linalg_ops, matmul as matmul_ops, movement, reduce, scan, unary
from tinygrad_ed.ops.matmul import linear


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


def second_derivative(fn, x):
    """Elementwise d2/dx2 of an elementwise fn, through two grad() calls."""
    (first,) = grad(fn(x).sum(), x, create_graph=True)
    assert first.requires_grad
    (second,) = grad(first.sum(), x)
    return first.detach().numpy(), second.detach().numpy()


X = np.array([-1.3, -0.4, 0.2, 0.9, 1.7])
POSITIVE = np.array([0.3, 0.8, 1.5, 2.6])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize("name, fn, data, first, second", [
    ("cube", lambda t: t ** 3, X, lambda x: 3 * x ** 2, lambda x: 6 * x),
    ("tanh", lambda t: t.tanh(), X, lambda x: 1 - np.tanh(x) ** 2,
     lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2)),
    ("sigmoid", lambda t: t.sigmoid(), X, lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
     lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
    ("exp", lambda t: t.exp(), X, np.exp, np.exp),
    ("log", lambda t: t.log(), POSITIVE, lambda x: 1 / x, lambda x: -1 / x ** 2),
    ("sqrt", lambda t: t.sqrt(), POSITIVE, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 * x ** -1.5),
    ("pow", lambda t: t ** 2.5, POSITIVE, lambda x: 2.5 * x ** 1.5, lambda x: 3.75 * x ** 0.5),
    ("rpow", lambda t: 3.0 ** t, X, lambda x: np.log(3) * 3 ** x, lambda x: np.log(3) ** 2 * 3 ** x),
    ("pow_self", lambda t: t ** t, POSITIVE, lambda x: x ** x * (np.log(x) + 1),
     lambda x: x ** x * ((np.log(x) + 1) ** 2 + 1 / x)),
    ("div", lambda t: 2.0 / t, POSITIVE, lambda x: -2 / x ** 2, lambda x: 4 / x ** 3),
    ("div_self", lambda t: t / (t + 1), POSITIVE, lambda x: 1 / (x + 1) ** 2, lambda x: -2 / (x + 1) ** 3),
    ("mul_exp", lambda t: t * t.exp(), X, lambda x: (1 + x) * np.exp(x), lambda x: (2 + x) * np.exp(x)),
    ("relu_square", lambda t: t.relu() * t, X, lambda x: 2 * np.maximum(x, 0), lambda x: 2.0 * (x > 0)),
    ("abs_cube", lambda t: t.abs() ** 3, X, lambda x: 3 * x * np.abs(x), lambda x: 6 * np.abs(x)),
])
def test_second_derivatives_closed_form(name, fn, data, first, second):
    d1, d2 = second_derivative(fn, f64(data))
    np.testing.assert_allclose(d1, first(data), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(d2, second(data), rtol=1e-12, atol=1e-12)


def test_third_derivative():
    x = f64([0.7, -1.1])
    (d1,) = grad((x ** 4).sum(), x, create_graph=True)
    (d2,) = grad(d1.sum(), x, create_graph=True)
    (d3,) = grad(d2.sum(), x)
    np.testing.assert_allclose(d3.detach().numpy(), 24 * x.detach().numpy())


def test_softmax_and_log_softmax_hessians():
    z = np.array([0.3, -1.2, 2.0, 0.5])
    p = np.exp(z) / np.exp(z).sum()
    jacobian = np.diag(p) - np.outer(p, p)
    x = f64(z)
    # d/dz of (softmax(z) . w) = J w;  its Jacobian, d2 (softmax . w)_k / dz_i dz_j
    w = np.array([1.0, -2.0, 0.5, 3.0])
    for k in range(4):
        (d1,) = grad((x.softmax(0) * te.tensor(w)).sum(), x, create_graph=True)
        (row,) = grad(d1[k], x)
        # d/dz_j of sum_i J_ki w_i = sum_i w_i dJ_ki/dz_j, with dp_i/dz_j = J_ij
        expected = sum(w[i] * ((k == i) * jacobian[i] - jacobian[k] * p[i] - p[k] * jacobian[i]) for i in range(4))
        np.testing.assert_allclose(row.numpy(), expected, atol=1e-12)
    # log_softmax's Hessian (of any of its components) is -J: d/dz (e_k - p) = -J
    for k in range(4):
        (d1,) = grad(x.log_softmax(0)[k], x, create_graph=True)
        np.testing.assert_allclose(d1.detach().numpy(), np.eye(4)[k] - p, atol=1e-12)
        hessian = np.stack([grad(d1[i], x, retain_graph=True)[0].numpy() for i in range(4)])
        np.testing.assert_allclose(hessian, -jacobian, atol=1e-12)


def test_matmul_second_derivative(rng):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    A, B = f64(a), f64(b)
    # f = sum((A @ B)^2): df/dA = 2 (A B) B^T; s = sum(df/dA * V): ds/dA = 2 V B B^T, ds/dB = 2 (A^T V + V^T A) B
    (dA,) = grad(((A @ B) ** 2).sum(), A, create_graph=True)
    np.testing.assert_allclose(dA.detach().numpy(), 2 * (a @ b) @ b.T)
    v = rng.standard_normal((3, 4))
    dAA, dAB = grad((dA * te.tensor(v)).sum(), [A, B])
    np.testing.assert_allclose(dAA.numpy(), 2 * v @ b @ b.T)
    np.testing.assert_allclose(dAB.numpy(), 2 * (a.T @ v + v.T @ a) @ b)


def _mlp_loss(x, y, params, fused):
    w1, b1, w2, b2 = params
    if fused:
        hidden = linear(x, w1, b1).tanh()
        out = linear(hidden, w2, b2)
    else:
        hidden = (x @ w1.T + b1).tanh()
        out = hidden @ w2.T + b2
    return ((out - y) ** 2).mean()


@pytest.mark.parametrize("fused", [True, False])
def test_mlp_hessian_vector_product_against_finite_differences(rng, fused):
    x, y = te.tensor(rng.standard_normal((6, 3))), te.tensor(rng.standard_normal((6, 2)))
    shapes = [(5, 3), (5,), (2, 5), (2,)]
    values = [rng.standard_normal(s) for s in shapes]
    vector = [rng.standard_normal(s) for s in shapes]
    params = [f64(v) for v in values]

    grads = grad(_mlp_loss(x, y, params, fused), params, create_graph=True)
    projected = sum(((g * te.tensor(v)).sum() for g, v in zip(grads, vector)), te.tensor(0.0, dtype=te.float64))
    hvp = [h.numpy() for h in grad(projected, params)]

    def gradient_at(step):
        shifted = [f64(p + step * v) for p, v in zip(values, vector)]
        return [g.numpy() for g in grad(_mlp_loss(x, y, shifted, fused), shifted)]

    eps = 1e-5
    plus, minus = gradient_at(eps), gradient_at(-eps)
    for h, p, m in zip(hvp, plus, minus):
        np.testing.assert_allclose(h, (p - m) / (2 * eps), rtol=1e-5, atol=1e-7)


# ---------------------------------------------------------------------------------------------
# every primitive twice differentiable


PRIMITIVE_CASES = {
    "Add": (lambda a, b: (a + b) ** 2, [(3, 1), (4,)]),
    "Sub": (lambda a, b: (a - b) * a, [(3, 1), (4,)]),
    "Mul": (lambda a, b: a * b, [(3, 1), (4,)]),
    "Div": (lambda a, b: a / b, [(3, 1), ("positive", 4)]),
    "Pow": (lambda a, b: a ** b, [("positive", 3, 1), (4,)]),
    "Neg": (lambda a: -(a * a), [(3, 4)]),
    "Exp": (lambda a: a.exp(), [(3, 4)]),
    "Log": (lambda a: a.log(), [("positive", 3, 4)]),
    "Sqrt": (lambda a: a.sqrt(), [("positive", 3, 4)]),
    "Abs": (lambda a: a.abs() * a, [(3, 4)]),
    "Relu": (lambda a: a.relu() * a, [(3, 4)]),
    "Sigmoid": (lambda a: a.sigmoid(), [(3, 4)]),
    "Tanh": (lambda a: a.tanh(), [(3, 4)]),
    "Where": (lambda a, b: te.where(a.detach() > 0, a * a, b * b), [(3, 1), (4,)]),
    "Maximum": (lambda a, b: te.maximum(a * a, b * b * 2), [(3, 1), (4,)]),
    "Minimum": (lambda a, b: te.minimum(a * a, b * b * 2), [(3, 1), (4,)]),
    "Cast": (lambda a: elementwise.Cast.apply(a * a, dtype=np.float64) * a, [(3, 4)]),
    "Sum": (lambda a: a.sum(1) ** 2, [(3, 4)]),
    "Amax": (lambda a: a.amax(1, keepdim=True) ** 2, [(3, 4)]),
    "Amin": (lambda a: a.amin(1, keepdim=True) ** 2, [(3, 4)]),
    "Cumsum": (lambda a: a.cumsum(1) ** 2, [(3, 4)]),
    "Erf": (lambda a: a.erf(), [(3, 4)]),
    "Erfc": (lambda a: a.erfc(), [(3, 4)]),
    "Sin": (lambda a: a.sin(), [(3, 4)]),
    "Cos": (lambda a: a.cos(), [(3, 4)]),
    "Tan": (lambda a: (a * 0.3).tan(), [(3, 4)]),
    "Asin": (lambda a: (a * 0.2).asin(), [(3, 4)]),
    "Acos": (lambda a: (a * 0.2).acos(), [(3, 4)]),
    "Atan": (lambda a: a.atan(), [(3, 4)]),
    "Sinh": (lambda a: a.sinh(), [(3, 4)]),
    "Cosh": (lambda a: a.cosh(), [(3, 4)]),
    "Asinh": (lambda a: a.asinh(), [(3, 4)]),
    "Acosh": (lambda a: (a + 1).acosh(), [("positive", 3, 4)]),
    "Atanh": (lambda a: (a * 0.2).atanh(), [(3, 4)]),
    "Exp2": (lambda a: a.exp2(), [(3, 4)]),
    "Expm1": (lambda a: a.expm1(), [(3, 4)]),
    "Log2": (lambda a: a.log2(), [("positive", 3, 4)]),
    "Log10": (lambda a: a.log10(), [("positive", 3, 4)]),
    "Log1p": (lambda a: a.log1p(), [("positive", 3, 4)]),
    "Rounding": (lambda a: a.floor() * a * a + a.sign() * a, [(3, 4)]),
    "Atan2": (lambda a, b: te.atan2(a, b), [(3, 1), (4,)]),
    "Hypot": (lambda a, b: te.hypot(a, b), [(3, 1), (4,)]),
    "Fmod": (lambda a, b: te.fmod(a * 0.2, b + 1), [("positive", 3, 1), ("positive", 4)]),
    "Remainder": (lambda a, b: te.remainder(a * 0.2, b + 1), [("positive", 3, 1), ("positive", 4)]),
    "LogSoftmax": (lambda a: a.log_softmax(1), [(3, 4)]),
    "Reshape": (lambda a: a.reshape(-1) ** 2, [(3, 4)]),
    "Permute": (lambda a: a.permute(1, 0) ** 2, [(3, 4)]),
    "Expand": (lambda a: a.expand(2, 3, 4) ** 2, [(3, 1)]),
    "Cat": (lambda a, b: te.cat([a, b, a]) ** 2, [(3, 4), (2, 4)]),
    "GetItem": (lambda a: (a[[0, 0, 2], 1:] ** 2).sum(0) + (a[1:, None, 2] ** 3).sum(), [(3, 4)]),
    "ScatterAdd": (lambda a: index.ScatterAdd.apply(a * a, shape=(4, 3), index=(np.array([0, 0, 3]),),
                                                    advanced=True), [(3, 3)]),
    "IndexPut": (lambda a, v: index.index_put(a * a, (np.array([0, 2, 0]), slice(1, None)), v * v) ** 2,
                 [(3, 4), (3, 3)]),
    "Matmul": (lambda a, b: (a @ b) ** 2, [(2, 2, 3), (3,)]),
    "Linear": (lambda x, w, b: linear(x, w, b).tanh(), [(4, 3), (5, 3), (5,)]),
    "Scatter": (lambda a, b: a.scatter(1, te.tensor([[2, 0]]), b * b) ** 2, [(2, 3), (1, 2)]),
    "Inv": (lambda a: te.linalg.inv(a + 3 * te.eye(3, dtype=te.float64)), [(3, 3)]),
    "Det": (lambda a: te.linalg.det(a + 3 * te.eye(3, dtype=te.float64)), [(2, 3, 3)]),
    "LogAbsDet": (lambda a: te.linalg.slogdet(a + 3 * te.eye(3, dtype=te.float64)).logabsdet, [(3, 3)]),
    "Solve": (lambda a, b: te.linalg.solve(a + 3 * te.eye(3, dtype=te.float64), b), [(3, 3), (3, 2)]),
}


def _builtin_primitives():
    classes = set()
    for module in (elementwise, unary, binary, reduce, scan, movement, index, matmul_ops, linalg_ops):
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Primitive) and value.__module__ == module.__name__:
                classes.add(name)
    return classes


# Primitives differentiable once only: under create_graph=True they raise (never a wrong second derivative).
ONCE_DIFFERENTIABLE = {
    "SingularValues": (lambda a: te.linalg.svdvals(a), [(3, 4)]),  # its rule needs the singular vectors' derivative
}


def test_every_primitive_has_a_second_order_case():
    assert _builtin_primitives() == set(PRIMITIVE_CASES) | set(ONCE_DIFFERENTIABLE)
    assert not set(PRIMITIVE_CASES) & set(ONCE_DIFFERENTIABLE)


@pytest.mark.parametrize("name", sorted(ONCE_DIFFERENTIABLE))
def test_once_differentiable_primitives_raise_under_create_graph(rng, gradgradcheck, name):
    fn, specs = ONCE_DIFFERENTIABLE[name]
    inputs = _inputs(rng, specs)
    assert te.autograd.gradcheck(fn, inputs)
    with pytest.raises(RuntimeError, match="create_graph"):
        gradgradcheck(fn, inputs)


def _inputs(rng, specs):
    made = []
    for spec in specs:
        if spec[0] == "positive":
            made.append(f64(0.5 + rng.random(spec[1:])))
        else:
            made.append(f64(rng.standard_normal(spec)))
    return made


@pytest.mark.parametrize("name", sorted(PRIMITIVE_CASES))
def test_primitive_is_twice_differentiable(rng, gradgradcheck, name):
    fn, specs = PRIMITIVE_CASES[name]
    inputs = _inputs(rng, specs)
    for t in inputs:  # keep finite differences away from the kinks of abs, relu, max and where
        t.detach().numpy()[np.abs(t.detach().numpy()) < 0.1] += 0.3
    assert gradgradcheck(fn, inputs)


def test_python_number_operands_are_twice_differentiable(leaf, gradgradcheck):
    # Python numbers reach the primitives as numbers (not Tensors): their rules must cope under create_graph
    x = leaf(3, 4, low=0.5)
    for fn in (lambda t: (2.0 - t) * (3.0 / t), lambda t: t ** 3 + t ** 2.5, lambda t: 2.0 ** t + 3 ** t,
               lambda t: (t + 1) * (t - 2) * 1.5, lambda t: te.maximum(t * t, 1.0) + te.where(t > 1.0, t * t, 2.0)):
        assert gradgradcheck(fn, (x,))


def test_a_saved_value_derived_from_the_inputs_raises_under_create_graph():
    class DetachedSquare(Primitive):  # backward is right to first order but hides x from the graph
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.copy())
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * x * 2

    x = f64([0.5, -1.5, 2.0])
    assert te.autograd.gradcheck(DetachedSquare.apply, (x,))
    with pytest.raises(RuntimeError, match="DetachedSquareBackward0 saved a value computed from its inputs"):
        te.autograd.gradgradcheck(lambda t: DetachedSquare.apply(t) * t, (x,))


def test_numpy_backward_raises_clear_error_under_create_graph():
    class NumpySin(Primitive):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * np.cos(x)

    x = f64([0.1, 0.2])
    (first,) = grad(NumpySin.apply(x).sum(), x)  # fine once
    np.testing.assert_allclose(first.numpy(), np.cos([0.1, 0.2]))
    with pytest.raises(RuntimeError, match="NumpySin.backward is only once differentiable"):
        grad(NumpySin.apply(x).sum(), x, create_graph=True)

    class ReturnsArray(Primitive):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return np.full(grad_output.shape, 2.0)

    with pytest.raises(RuntimeError, match="ReturnsArray.backward is only once differentiable"):
        grad(ReturnsArray.apply(x).sum(), x, create_graph=True)


def test_custom_function_written_with_operators_is_twice_differentiable(gradgradcheck):
    class Cube(Primitive):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad_output

    x = f64([-0.5, 1.0, 2.0])
    d1, d2 = second_derivative(Cube.apply, x)
    np.testing.assert_allclose(d2, 6 * x.detach().numpy())
    assert gradgradcheck(Cube.apply, (x,))


def test_detached_values_are_constants_in_second_order():
    x = f64([1.5, 2.0])
    (d1,) = grad((x * x.detach()).sum(), x, create_graph=True)
    np.testing.assert_allclose(d1.numpy(), [1.5, 2.0])
    assert not d1.requires_grad  # d/dx (x * c) = c: nothing left to differentiate, as in torch
    y = f64([1.5, 2.0])
    (d1,) = grad((y * y.detach() * y).sum(), y, create_graph=True)
    (d2,) = grad(d1.sum(), y)
    np.testing.assert_allclose(d2.detach().numpy(), 2 * y.detach().numpy())


def test_backward_with_create_graph_builds_differentiable_grad():
    x = f64([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (d2,) = grad(x.grad.sum(), x)
    np.testing.assert_allclose(d2.detach().numpy(), 6 * x.detach().numpy())
