"""torch's `autograd.Function`: the Functions of torch's own documentation and tutorials, written here
in their style, run unchanged, pass gradcheck and gradgradcheck; every ctx feature against torch
(when installed) or closed forms."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinygrad_ed as te
from tinygrad_ed.autograd import Function, gradcheck, gradgradcheck, once_differentiable
from tinygrad_ed.autograd.engine import Primitive
from tinygrad_ed.viz import draw_graph

ROOT = Path(__file__).resolve().parent.parent


def f64(values, requires_grad=True):
    return te.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# -- torch's documentation Functions, in their style --------------------------------------------------

class Exp(Function):
    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        result, = ctx.saved_tensors
        return grad_output * result


class LinearFunction(Function):
    @staticmethod
    def forward(input, weight, bias=None):
        output = input @ weight.T
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output

    @staticmethod
    def setup_context(ctx, inputs, output):
        input, weight, bias = inputs
        ctx.save_for_backward(input, weight, bias)

    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output @ weight
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.T @ input
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias


class MulConstant(Function):
    @staticmethod
    def forward(tensor, constant):
        return tensor * constant

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, constant = inputs
        ctx.constant = constant

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None


class LegendrePolynomial3(Function):
    """P3(x) = (5x^3 - 3x) / 2, from torch's "Defining new autograd functions" tutorial."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_exp_against_closed_form_gradcheck_and_gradgradcheck():
    x = f64([-1.0, 0.5, 2.0])
    y = Exp.apply(x)
    assert type(y.grad_fn).__name__ == "ExpBackward" and y.requires_grad
    y.sum().backward()
    assert np.allclose(x.grad.detach().numpy(), np.exp(x.detach().numpy()))
    assert gradcheck(Exp.apply, (x,)) and gradgradcheck(Exp.apply, (x,))


def test_linear_function_setup_context_style():
    rng = np.random.default_rng(0)
    x, w, b = f64(rng.normal(size=(4, 3))), f64(rng.normal(size=(2, 3))), f64(rng.normal(size=2))
    out = LinearFunction.apply(x, w, b)
    assert np.allclose(out.detach().numpy(), x.detach().numpy() @ w.detach().numpy().T + b.detach().numpy())
    assert gradcheck(LinearFunction.apply, (x, w, b)) and gradgradcheck(LinearFunction.apply, (x, w, b))
    assert gradcheck(lambda a, c: LinearFunction.apply(a, c, None), (x, w))


def test_mul_constant_with_a_number_argument():
    x = f64([1.0, -2.0])
    assert gradcheck(lambda t: MulConstant.apply(t, 5.5), (x,))
    assert gradgradcheck(lambda t: MulConstant.apply(t, 5.5) * t, (x,))
    MulConstant.apply(x, 3.0).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_legendre_polynomial_fits_as_in_the_tutorial():
    x = f64(np.linspace(-1, 1, 7))
    assert gradcheck(LegendrePolynomial3.apply, (x,)) and gradgradcheck(LegendrePolynomial3.apply, (x,))
    # the tutorial's model y = a + b P3(c + d x), fitted to sin(x) by gradient descent
    losses = _fit_legendre(te, LegendrePolynomial3, steps=300)
    assert losses[-1] < 0.6 * losses[0] and all(b <= a for a, b in zip(losses, losses[1:]))


def _fit_legendre(lib, p3, steps):
    xs = lib.tensor(np.linspace(-np.pi, np.pi, 200))
    ys = lib.tensor(np.sin(np.linspace(-np.pi, np.pi, 200)))
    a, b, c, d = (lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in (0.0, -1.0, 0.0, 0.3))
    losses = []
    for _ in range(steps):
        loss = ((a + b * p3.apply(c + d * xs) - ys) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        with lib.no_grad():
            for p in (a, b, c, d):
                p -= 5e-6 * p.grad
                p.grad = None
    return losses


def test_legendre_fit_follows_torch_step_by_step():
    torch = pytest.importorskip("torch")

    class TorchP3(torch.autograd.Function):
        forward = LegendrePolynomial3.forward
        backward = LegendrePolynomial3.backward

    assert np.allclose(_fit_legendre(te, LegendrePolynomial3, 50), _fit_legendre(torch, TorchP3, 50))


def test_my_relu_with_clamp_clone_and_masked_assignment():
    x = f64([-1.5, -0.2, 0.3, 2.0])
    y = MyReLU.apply(x)
    assert y.tolist() == [0.0, 0.0, 0.3, 2.0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0, 1.0]
    assert gradcheck(MyReLU.apply, (x,)) and gradgradcheck(lambda t: MyReLU.apply(t) * t, (x,))


def test_the_doc_functions_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    data = rng.normal(size=(3, 4))
    ours = f64(data)
    (Exp.apply(ours) * MyReLU.apply(ours) + LegendrePolynomial3.apply(ours) * MulConstant.apply(ours, 2.0)).sum() \
        .backward()
    theirs = torch.tensor(data, requires_grad=True)
    (theirs.exp() * theirs.relu() + 0.5 * (5 * theirs ** 3 - 3 * theirs) * theirs * 2.0).sum().backward()
    assert np.allclose(ours.grad.detach().numpy(), theirs.grad.detach().numpy())


# -- ctx features -------------------------------------------------------------------------------------

def test_forward_runs_without_recording_and_gets_the_tensors():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, scale, name):
            seen.update(x=x, grad_enabled=te.is_grad_enabled(), scale=scale, name=name)
            return x * scale

        @staticmethod
        def backward(ctx, g):
            assert ctx.needs_input_grad == (True, False, False)
            return g * 2, None, None

    x = f64([1.0, 2.0])
    y = Probe.apply(x, 2, "probe")
    assert seen["x"] is x and seen["grad_enabled"] is False and seen["name"] == "probe"
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_several_outputs_with_non_tensor_and_non_differentiable_ones():
    class SortWithIndices(Function):
        @staticmethod
        def forward(ctx, x):
            order = te.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(order)
            ctx.save_for_backward(order)
            ctx.size = x.shape[0]
            return x[order], order, "sorted", x * 2

        @staticmethod
        def backward(ctx, g_sorted, g_order, g_label, g_double):
            order, = ctx.saved_tensors
            assert g_order.tolist() == [0, 0, 0] and g_label is None  # as torch: zeros for a non-differentiable one
            g = te.zeros(ctx.size, dtype=g_sorted.dtype)
            g[order] = g_sorted
            return g + 2 * g_double

    x = f64([3.0, 1.0, 2.0])
    values, order, label, double = SortWithIndices.apply(x)
    assert values.tolist() == [1.0, 2.0, 3.0] and order.tolist() == [1, 2, 0] and label == "sorted"
    assert not order.requires_grad and values.requires_grad and double.requires_grad
    (values * te.tensor([1.0, 10.0, 100.0], dtype=te.float64)).sum().backward(retain_graph=True)
    assert x.grad.tolist() == [100.0, 1.0, 10.0]
    x.grad = None
    double.sum().backward(retain_graph=True)  # only the second output: the first gets zeros (materialized)
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    pytest.importorskip("graphviz")
    assert "SortWithIndicesBackward" in draw_graph(double.sum(), params={"x": x}).source


def test_set_materialize_grads_false_passes_none():
    got = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1, x * 2

        @staticmethod
        def backward(ctx, g1, g2):
            got.append((g1 is None, g2 is None))
            return g1 if g2 is None else g2 * 2

    x = f64([1.0])
    _, b = Two.apply(x)
    b.sum().backward()
    assert got == [(True, False)] and x.grad.tolist() == [2.0]


def test_mark_dirty_modifies_the_input_in_place_and_rebases_it():
    class AddOneInPlace(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 3  # deliberately not 1, to see that the graph goes through this node

    a = f64([1.0, 2.0])
    h = a * 1
    out = AddOneInPlace.apply(h)
    assert out is h and h.tolist() == [2.0, 3.0] and type(h.grad_fn).__name__ == "AddOneInPlaceBackward"
    h.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        AddOneInPlace.apply(f64([1.0]))


def test_saved_tensors_are_version_checked():
    x = f64([1.0, 2.0])
    h = x * 1
    y = Exp.apply(h)
    with te.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected version 0"):
        y.sum().backward()


def test_once_differentiable_backward_works_once_and_refuses_twice():
    class NumpyTanh(Function):
        @staticmethod
        def forward(ctx, x):
            y = te.from_numpy(np.tanh(x.detach().numpy()))
            ctx.save_for_backward(y)
            return y

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            y, = ctx.saved_tensors
            return te.from_numpy(g.detach().numpy() * (1 - y.detach().numpy() ** 2))

    x = f64([0.3, -0.7])
    assert gradcheck(NumpyTanh.apply, (x,))
    (first,) = te.autograd.grad(NumpyTanh.apply(x).sum(), x, create_graph=True)
    assert not first.requires_grad  # as torch: the root's gradient needs none, so nothing to refuse yet
    (first,) = te.autograd.grad((NumpyTanh.apply(x) * x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        first.sum().backward()


def test_user_errors_keep_their_type_and_cause():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            raise KeyError("in forward")

        @staticmethod
        def backward(ctx, g):
            return g

    class BoomBack(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise ValueError("my own value error")

    with pytest.raises(KeyError, match="in forward"):
        Boom.apply(f64([1.0]))
    with pytest.raises(ValueError, match="my own value error") as error:
        BoomBack.apply(f64([1.0])).sum().backward()
    assert type(error.value) is ValueError


def test_wrong_number_of_gradients_is_reported_as_torch():
    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="incorrect number of gradients"):
        TooFew.apply(f64([1.0]), f64([2.0])).sum().backward()


def test_a_function_applied_without_grad_records_nothing():
    x = f64([1.0], requires_grad=False)
    assert Exp.apply(x).grad_fn is None
    with te.no_grad():
        assert Exp.apply(f64([1.0])).grad_fn is None


# -- the engine sits below the ops ---------------------------------------------------------------------

@pytest.mark.parametrize("module", ["engine", "function", "versions", "inplace", "grad_mode", "broadcast", "hooks"])
def test_the_engine_imports_nothing_from_ops(module):
    tree = ast.parse((ROOT / "tinygrad_ed" / "autograd" / f"{module}.py").read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if "ops" in name.split(".")], imported
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert not [f.name for f in functions for node in ast.walk(f) if isinstance(node, (ast.Import, ast.ImportFrom))]


def test_built_in_ops_relabel_only_shape_errors_and_keep_the_cause():
    class Picky(Primitive):
        @staticmethod
        def forward(ctx, x):
            raise ValueError("negative values are not welcome")

    with pytest.raises(ValueError, match="not welcome") as error:
        Picky.apply(f64([1.0]))
    assert type(error.value) is ValueError
    with pytest.raises(te.ShapeError, match="add") as error:
        te.ones(2, 3) + te.ones(4)
    assert isinstance(error.value.__cause__, ValueError)
