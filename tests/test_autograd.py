"""The engine: backward(), grad(), grad mode, graph freeing, custom Functions and gradcheck itself."""
from __future__ import annotations

import threading
import weakref

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd.engine import Primitive
from tinygrad_ed.autograd import GradcheckError, grad, gradcheck


def f64(data, requires_grad=True):
    return te.tensor(np.asarray(data, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# backward()


def test_backward_closed_form():
    x, y = f64([1.0, 2.0, 3.0]), f64([4.0, 5.0, 6.0])
    ((x * y).sum() + (x ** 2).sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 9.0, 12.0])  # y + 2x
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 2.0, 3.0])
    assert x.grad.dtype == np.float64 and x.grad.shape == x.shape
    assert not x.grad.requires_grad and x.grad.grad_fn is None


def test_grads_accumulate_across_backward_calls():
    x = f64([1.0, 2.0])
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 5.0]
    x.grad = None
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_gradients_come_back_in_each_leaf_dtype():
    x32, x64 = te.tensor([1.0, 2.0], requires_grad=True), f64([3.0, 4.0])
    out = x32 * x64  # promoted to float64
    assert out.dtype == np.float64
    out.sum().backward()
    assert x32.grad.dtype == np.float32 and x32.grad.tolist() == [3.0, 4.0]
    assert x64.grad.dtype == np.float64 and x64.grad.tolist() == [1.0, 2.0]
    y = te.tensor([1.0, 2.0], requires_grad=True)
    (y * np.float64(2.0) + np.ones(2)).sum().backward()  # stays float32 throughout
    assert y.grad.dtype == np.float32


def test_tensor_used_twice_sums_its_gradients():
    x = f64(3.0)
    y = x * x + x
    (y * y).backward()  # d/dx (x^2 + x)^2 = 2 (x^2 + x)(2x + 1)
    assert x.grad.item() == pytest.approx(2 * 12 * 7)


def test_leaf_grads_do_not_alias():
    a, b = f64(1.0), f64(2.0)
    (a + b).backward()  # add's backward hands the same gradient to both operands
    a.grad.zero_()
    assert b.grad.item() == 1.0
    v = np.ones(2)
    c, d = f64([1.0, 2.0]), f64([[3.0, 4.0]])
    (c + d.reshape(2)).backward(v)
    c.grad.numpy()[0] = 7.0
    v[1] = 9.0
    assert d.grad.tolist() == [[1.0, 1.0]] and c.grad.tolist() == [7.0, 1.0]
    e = f64([1.0, 2.0])
    e.backward(v)  # the root gradient itself must be copied too
    v[0] = 5.0
    assert e.grad.tolist() == [1.0, 9.0]


def test_scalar_grad_is_a_writable_array():
    x = f64(2.0)
    (x * x * 3).backward()
    assert isinstance(x.grad.numpy(), np.ndarray) and x.grad.item() == 12.0
    x.grad.zero_()
    assert x.grad.item() == 0.0
    y = f64([1.0, 2.0])
    y.sum().backward()  # the gradient of sum is a broadcast view: .grad must still be writable
    y.grad.numpy()[0] = 5.0
    assert y.grad.tolist() == [5.0, 1.0]


def test_backward_of_non_scalar_needs_gradient():
    x = f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_backward_with_gradient_is_a_vector_jacobian_product(rng):
    a, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    v = rng.standard_normal((4, 2))
    x, W = f64(a), f64(w)
    (x @ W).tanh().backward(gradient=te.tensor(v))
    jvp = v * (1 - np.tanh(a @ w) ** 2)
    np.testing.assert_allclose(x.grad.numpy(), jvp @ w.T)
    np.testing.assert_allclose(W.grad.numpy(), a.T @ jvp)
    y = f64([1.0, 2.0])
    (y * y).backward(np.array([1.0, -1.0]))  # numpy and list gradients work too
    assert y.grad.tolist() == [2.0, -4.0]
    with pytest.raises(te.ShapeError, match="gradient"):
        (y * 2).backward(np.ones(3))


def test_second_backward_through_freed_graph_raises():
    x = f64([1.0, 2.0])
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()
    z = x.exp()
    (z * 2).sum().backward()
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        (z * 3).sum().backward()  # z's own node was freed by the first backward


class Logged(Primitive):
    """The identity; its backward notes the name it was given and the gradient it got."""
    calls: list = []

    @staticmethod
    def forward(ctx, x, name):
        ctx.name = name
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        Logged.calls.append((ctx.name, float(np.sum(g))))
        return g, None


def test_each_node_runs_once_after_all_its_consumers():
    # `shared` feeds an early consumer and one made 50 ops later: it must wait for both
    Logged.calls = []
    x = f64([1.0, 2.0])
    shared = Logged.apply(x, "shared")
    early = Logged.apply(shared * 2, "early")
    late = shared
    for _ in range(50):
        late = late * 1.0
    late = Logged.apply(late, "late")
    (early + late * 3).sum().backward()
    order = [name for name, _ in Logged.calls]
    assert sorted(order) == ["early", "late", "shared"]  # each exactly once
    assert order[-1] == "shared"
    assert dict(Logged.calls)["shared"] == (2 + 3) * 2  # both contributions, summed over 2 elements
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_retain_graph_allows_a_second_backward():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0]
    z = x.exp()
    (z * 2).sum().backward(retain_graph=True)
    (z * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0] + 5 * np.exp([1.0, 2.0]))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        te.tensor([1.0]).sum().backward()


def test_backward_of_a_leaf():
    x = f64(2.0)
    x.backward()
    assert x.grad.item() == 1.0


def test_graph_with_shared_subexpressions_and_constants():
    x = f64([0.5, -1.0])
    h = x.tanh()
    out = (h * h + h * 3 + te.tensor([2.0, 2.0], dtype=te.float64)).sum()
    out.backward()
    t = np.tanh([0.5, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), (2 * t + 3) * (1 - t ** 2))


# ---------------------------------------------------------------------------------------------
# grad mode, detach, requires_grad_


def test_no_grad_records_nothing():
    x = f64([1.0, 2.0])
    with te.no_grad():
        y = (x * 2).exp()
        assert not te.is_grad_enabled()
    assert te.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    with pytest.raises(RuntimeError):
        y.sum().backward()


def test_no_grad_as_decorator_and_set_grad_enabled():
    x = f64([1.0])

    @te.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    with te.set_grad_enabled(False):
        assert not (x * 2).requires_grad
        with te.enable_grad():
            assert (x * 2).requires_grad
    assert (x * 2).requires_grad


def test_no_grad_restores_mode_on_exception():
    with pytest.raises(KeyError):
        with te.no_grad():
            raise KeyError
    assert te.is_grad_enabled()


def test_no_grad_is_per_thread():
    x = f64([1.0])
    inside, started, release = {}, threading.Event(), threading.Event()

    def worker():
        with te.no_grad():
            started.set()
            release.wait(5)
            inside["worker"] = (x * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait(5)
    inside["main"] = (x * 2).requires_grad  # the other thread sits inside no_grad now
    release.set()
    thread.join()
    assert inside == {"main": True, "worker": False}

    with te.no_grad():  # and no_grad here does not reach a new thread
        thread = threading.Thread(target=lambda: inside.update(fresh=(x * 2).requires_grad))
        thread.start()
        thread.join()
    assert inside["fresh"] is True


def test_detach():
    x = f64([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(x.detach().numpy(), x.detach().numpy())
    (x * d).sum().backward()  # d is a constant
    assert x.grad.tolist() == [2.0, 4.0]


def test_requires_grad_():
    x = te.tensor([1.0, 2.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        te.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        te.tensor([True]).requires_grad_()
    with pytest.raises(RuntimeError):
        te.tensor([1, 2], requires_grad=True)
    y = f64([1.0]) * 2
    assert y.requires_grad_() is y  # already requires grad: allowed on non-leaves, as in torch
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_integer_and_bool_results_do_not_require_grad():
    x = f64([1.5, -2.0])
    assert not (x > 0).requires_grad and not x.argmax().requires_grad and not x.long().requires_grad


# ---------------------------------------------------------------------------------------------
# grad()


def test_grad_returns_tuple_and_leaves_grad_untouched():
    x, y = f64([1.0, 2.0]), f64([3.0, 4.0])
    result = grad((x * y).sum(), [x, y])
    assert isinstance(result, tuple) and len(result) == 2
    assert result[0].tolist() == [3.0, 4.0] and result[1].tolist() == [1.0, 2.0]
    assert x.grad is None and y.grad is None
    (dx,) = grad((x ** 3).sum(), x)
    assert dx.tolist() == [3.0, 12.0] and not dx.requires_grad


def test_grad_with_respect_to_intermediate():
    x = f64([1.0, -2.0])
    h = x * 3
    out = (h.tanh() * h).sum()
    dh, dx = grad(out, [h, x])
    t = np.tanh([3.0, -6.0])
    expected_dh = t + np.array([3.0, -6.0]) * (1 - t ** 2)
    np.testing.assert_allclose(dh.numpy(), expected_dh)
    np.testing.assert_allclose(dx.numpy(), 3 * expected_dh)
    assert x.grad is None and h.grad is None


def test_grad_allow_unused():
    x, unused = f64([1.0]), f64([2.0])
    with pytest.raises(RuntimeError, match="allow_unused"):
        grad((x * 2).sum(), [x, unused])
    dx, du = grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert dx.tolist() == [2.0] and du is None


def test_grad_outputs_and_multiple_outputs(rng):
    x = f64(rng.standard_normal(3))
    v = rng.standard_normal(3)
    (vjp,) = grad(x.exp(), x, grad_outputs=te.tensor(v))
    np.testing.assert_allclose(vjp.detach().numpy(), v * np.exp(x.detach().numpy()))
    (both,) = grad([x.sum(), (x * x).sum()], x)
    np.testing.assert_allclose(both.detach().numpy(), 1 + 2 * x.detach().numpy())
    (weighted,) = grad([x.exp(), x * 2], x, grad_outputs=[te.tensor(v), te.tensor(v)])
    np.testing.assert_allclose(weighted.detach().numpy(), v * np.exp(x.detach().numpy()) + 2 * v)
    with pytest.raises(RuntimeError, match="scalar"):
        grad(x * 2, x)


def test_grad_retain_graph():
    x = f64([1.0, 2.0])
    y = (x * x).sum()
    grad(y, x, retain_graph=True)
    assert grad(y, x)[0].tolist() == [2.0, 4.0]
    with pytest.raises(RuntimeError, match="retain_graph"):
        grad(y, x)


def test_grad_errors_on_inputs_without_grad():
    x = f64([1.0])
    with pytest.raises(RuntimeError):
        grad((x * 2).sum(), te.tensor([1.0]))
    with pytest.raises(RuntimeError):
        grad(te.tensor([1.0]).sum(), x)


# ---------------------------------------------------------------------------------------------
# deep graphs and memory


def test_long_chain_has_no_recursion_limit():
    x = te.tensor(1.0, dtype=te.float64, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0001 + 0.001
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** 100_000, rel=1e-9)


def test_intermediate_tensors_are_freed_when_dropped_but_their_arrays_live_in_the_graph():
    x = f64(np.ones(5))
    hidden = x * 2
    tensor_ref, array_ref = weakref.ref(hidden), weakref.ref(hidden.array)
    node = hidden.grad_fn
    loss = (hidden.exp() * hidden).sum()
    del hidden
    assert tensor_ref() is None  # nodes link to nodes, not to Tensors (no collection needed)
    assert array_ref() is not None  # Mul saved it, and the node holds its result
    loss_node = loss.grad_fn
    loss.backward()
    assert array_ref() is None  # freed during backward, without a garbage collection
    assert node.saved_tensors is None and node.edges is None and node.array is None
    assert loss_node.saved_tensors is None and loss_node.edges is None
    np.testing.assert_allclose(x.grad.array, 6 * np.exp(2.0))  # d/dx (e^h h) = 2 (e^h h + e^h), h = 2x = 2


def test_edges_lead_to_input_nodes_leaves_and_constants():
    w, c = f64([1.0, 2.0]), te.tensor([3.0, 4.0], dtype=te.float64)
    hidden = w * c
    node = (hidden + 1.5).grad_fn
    assert node.edges == (hidden.grad_fn, None)  # a Python number has no edge
    assert hidden.grad_fn.edges[0] is w and hidden.grad_fn.edges[1] is c
    assert hidden.grad_fn.needs_input_grad == (True, False)
    (accumulate, zero), (constant, _) = hidden.grad_fn.next_functions  # torch's view
    assert accumulate.variable is w and zero == 0 and constant is None
    assert node.next_functions[0] == (hidden.grad_fn, 0)


def test_retain_graph_keeps_saved_tensors():
    x = f64(np.ones(3))
    y = x.exp()
    node = y.grad_fn
    y.sum().backward(retain_graph=True)
    assert node.edges == (x,) and len(node.saved_tensors) == 1 and node.array is node.saved_tensors[0]


# ---------------------------------------------------------------------------------------------
# custom Functions


class Cube(Primitive):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x * x * grad_output  # d/dx x^3 = 3x^2


class ScaleBy(Primitive):
    """x * k for a float k; records which inputs wanted a gradient."""
    seen: list = []

    @staticmethod
    def forward(ctx, x, k, label):
        ctx.save_for_backward(k)
        ctx.label = label
        return x * k

    @staticmethod
    def backward(ctx, grad_output):
        (k,) = ctx.saved_tensors
        ScaleBy.seen.append((ctx.needs_input_grad, ctx.label))
        return grad_output * k, None, None


class MulPair(Primitive):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, grad_output):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_output * b if need_a else None), (grad_output * a if need_b else None)


def test_custom_function(rng):
    x = f64(rng.standard_normal(5))
    y = Cube.apply(x)
    np.testing.assert_allclose(y.detach().numpy(), x.detach().numpy() ** 3)
    assert isinstance(y.grad_fn, Cube) and y.requires_grad
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * x.detach().numpy() ** 2)
    assert gradcheck(Cube.apply, (f64(rng.standard_normal((2, 3))),))


def test_custom_function_non_tensor_arguments_and_needs_input_grad():
    ScaleBy.seen.clear()
    x = f64([1.0, 2.0])
    ScaleBy.apply(x, 2.5, "scale").sum().backward()
    assert x.grad.tolist() == [2.5, 2.5]
    assert ScaleBy.seen == [((True, False, False), "scale")]
    a, b = f64([1.0, 2.0]), f64([3.0, 4.0], requires_grad=False)
    MulPair.apply(a, b).sum().backward()
    assert a.grad.tolist() == [3.0, 4.0] and b.grad is None
    assert gradcheck(MulPair.apply, (a, b))
    with te.no_grad():
        assert not Cube.apply(x).requires_grad


def test_custom_function_without_grad_inputs_records_nothing():
    y = Cube.apply(te.tensor([2.0]))
    assert y.grad_fn is None and not y.requires_grad and y.tolist() == [8.0]


def test_custom_function_wrong_gradient_count_is_reported():
    class TwoGrads(Primitive):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output, grad_output

    with pytest.raises(RuntimeError, match="TwoGrads.backward returned 2 gradients, expected 1"):
        TwoGrads.apply(f64([1.0])).sum().backward()


def test_custom_function_wrong_gradient_shape_is_reported():
    class BadShape(Primitive):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad_output):
            return np.ones(7)

    with pytest.raises(te.ShapeError, match="BadShape"):
        BadShape.apply(f64([1.0, 2.0])).sum().backward()


# ---------------------------------------------------------------------------------------------
# gradcheck itself


def test_gradcheck_reports_a_wrong_backward():
    class WrongSin(Primitive):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.sin(x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * np.cos(x) * 1.1  # deliberately 10% off

    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongSin.apply, (f64(np.linspace(-1, 1, 4)),))
    message = str(info.value)
    for word in ("input 0", "element", "analytic", "numeric"):
        assert word in message
    assert issubclass(GradcheckError, RuntimeError)


def test_gradcheck_names_the_wrong_input():
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2,\)\)"):
        gradcheck(lambda a, b: a * MulPair.apply(b, b.detach()), (f64([1.0, 2.0]), f64([3.0, 4.0])))


def test_gradcheck_accepts_correct_and_multi_output_functions(rng):
    x = f64(rng.standard_normal((2, 3)))
    assert gradcheck(lambda t: (t.exp(), t.sum(0)), (x,))
    assert gradcheck(lambda t: t.tanh(), x)
    with pytest.raises(ValueError):
        gradcheck(lambda t: t * 2, (te.tensor([1.0]),))


# ---------------------------------------------------------------------------------------------
# anomaly mode


def test_detect_anomaly_names_the_op():
    x = f64([1.0, 0.0])
    with te.autograd.detect_anomaly():
        with pytest.raises(FloatingPointError, match="log"):
            with np.errstate(divide="ignore"):
                x.log()
        y = x.sqrt()
        with pytest.raises(FloatingPointError, match="sqrt backward"):
            with np.errstate(divide="ignore"):
                y.sum().backward()
