"""Add a new differentiable op with `Function`, check it with `gradcheck`, and draw it in a graph.

    python examples/custom_op.py        # writes out/custom_op.svg and out/custom_op.png

The op is softplus, log(1 + e^x), a smooth ReLU; its derivative is the
sigmoid. It is torch's `Function`: forward and backward receive Tensors, and
a backward written with Tensor ops is recorded under create_graph=True, so the
op is twice differentiable for free. The example also shows what gradcheck
says about a wrong backward, and a backward that uses numpy directly, marked
`@once_differentiable`.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure, write_graph
import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.autograd import Function, GradcheckError, grad, gradcheck, gradgradcheck, once_differentiable
from tinygrad_ed.viz import draw_graph


class Softplus(Function):
    """softplus(x) = log(1 + e^x); d/dx softplus(x) = sigmoid(x) = 1 / (1 + e^-x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.relu() + (1 + (-x.abs()).exp()).log()  # log(1 + e^x), without overflow for large x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output / (1 + (-x).exp())  # Tensor ops: recorded under create_graph, so differentiable again


class BrokenSoftplus(Softplus):
    """The same forward with a plausible-looking but wrong backward: e^x / (1 + e^x)^2 is sigmoid's slope."""

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.exp() / (1 + x.exp()) ** 2


class NumpySoftplus(Softplus):
    """A correct backward written with numpy directly: fine for one backward, but not differentiable again."""

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return te.from_numpy(grad_output.detach().numpy() / (1 + np.exp(-x.detach().numpy())))


def softplus(x: te.Tensor) -> te.Tensor:
    return Softplus.apply(x)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--seed", type=int, default=0, help="seed of the inputs and weights")
    add_out(parser, "custom_op.svg and custom_op.png")
    return parser.parse_args(argv)


def checks(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    x = te.tensor(rng.normal(0, 2, (3, 4)), requires_grad=True)  # float64: gradcheck's finite differences
    results: dict[str, object] = {}

    results["first_order"] = gradcheck(softplus, (x,))
    print(f"gradcheck(softplus):                        {results['first_order']}")

    # gradgradcheck differentiates softplus with grad(create_graph=True) and checks that gradient against
    # finite differences: the backward rule is itself differentiable
    results["second_order"] = gradgradcheck(softplus, (x,))
    print(f"gradgradcheck(softplus) (grad of grad):     {results['second_order']}")

    try:
        gradcheck(BrokenSoftplus.apply, (x,))
        results["broken_caught"] = False
    except GradcheckError as error:
        results["broken_caught"] = True
        print(f"gradcheck(BrokenSoftplus) raises GradcheckError:\n    {error}")

    results["numpy_first_order"] = gradcheck(NumpySoftplus.apply, (x,))
    try:
        (first,) = grad(NumpySoftplus.apply(x).sum(), x, create_graph=True)
        grad(first.sum(), x)
        results["numpy_second_order_refused"] = False
    except RuntimeError as error:
        results["numpy_second_order_refused"] = True
        print(f"NumpySoftplus passes gradcheck ({results['numpy_first_order']}), but create_graph=True raises:"
              f"\n    {error}")
    return results


def draw(seed: int, path: Path) -> Path:
    """A tiny network using the new op, drawn after backward(retain_graph=True): Softplus is a node like any other."""
    te.manual_seed(seed)
    layer = nn.Linear(3, 2)
    x = te.randn(4, 3)
    loss = softplus(layer(x)).mean()
    loss.backward(retain_graph=True)
    dot = draw_graph(loss, params=dict(layer.named_parameters()))
    return write_graph(dot, path)


def curves() -> dict[str, np.ndarray]:
    """softplus and its first two derivatives from autograd, next to their closed forms."""
    x = te.tensor(np.linspace(-4, 4, 161), requires_grad=True)
    y = softplus(x)
    (dy,) = grad(y.sum(), x, create_graph=True)  # elementwise op: the gradient of the sum is the derivative
    (d2y,) = grad(dy.sum(), x)
    x, y, dy = x.detach(), y.detach(), dy.detach()
    sigmoid = 1 / (1 + np.exp(-x.numpy()))
    return {"x": x.numpy(), "y": y.numpy(), "dy": dy.numpy(), "d2y": d2y.numpy(),
            "sigmoid": sigmoid, "sigmoid_slope": sigmoid * (1 - sigmoid)}


def plot(c: dict[str, np.ndarray], path: Path) -> None:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    step = 8  # closed forms as markers on top of the autograd curves
    ax.plot(c["x"], c["y"], color="tab:blue", lw=2, label="softplus(x) = log(1 + eˣ)  (forward)")
    ax.plot(c["x"], np.maximum(c["x"], 0), color="0.6", ls=":", label="relu(x), for comparison")
    ax.plot(c["x"], c["dy"], color="tab:orange", lw=2, label="d/dx by autograd (Softplus.backward)")
    ax.plot(c["x"][::step], c["sigmoid"][::step], "o", mfc="none", color="tab:orange", label="sigmoid(x), exact")
    ax.plot(c["x"], c["d2y"], color="tab:green", lw=2, label="d²/dx² by grad of grad (create_graph=True)")
    ax.plot(c["x"][::step], c["sigmoid_slope"][::step], "s", mfc="none", color="tab:green",
            label="sigmoid(x)(1 - sigmoid(x)), exact")
    ax.set(xlabel="x", ylabel="value", ylim=(-0.2, 4.3), title="A custom op and its derivatives from autograd")
    ax.legend(fontsize=8.5, loc="upper left")
    ax.grid(True, alpha=0.3)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    results = checks(args.seed)
    c = curves()
    results["max_error_first"] = float(np.abs(c["dy"] - c["sigmoid"]).max())
    results["max_error_second"] = float(np.abs(c["d2y"] - c["sigmoid_slope"]).max())
    print(f"largest difference from the closed forms on [-4, 4]: first derivative {results['max_error_first']:.2e}, "
          f"second {results['max_error_second']:.2e}")
    results["graph"] = draw(args.seed, out / "custom_op.svg")
    results["plot"] = out / "custom_op.png"
    plot(c, results["plot"])
    print(f"wrote {results['graph']} and {results['plot']}")
    return results


if __name__ == "__main__":
    main()
