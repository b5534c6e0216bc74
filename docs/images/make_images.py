"""Regenerate the pictures under docs/images/ (run from anywhere: `python docs/images/make_images.py`).

tests/test_images.py checks that every committed picture is what this code makes now.

- graph.svg:             the graph of a small model's loss after backward(retain_graph=True),
                         shaded by gradient norm (README.md, docs/autograd.md)
- huber_graph.svg:       the primitive ops a Huber loss is made of (docs/losses.md)
- inplace_graph.svg:     a graph with in-place ops, h = relu(2x); h[0] = v (docs/autograd.md)
- intercept_parabola.svg: loss against intercept for y = 0.5 x + c, with the tangent
                         autograd computes at c = 0 (docs/gradient-descent.md)
- cnn_graph.svg:         examples/cnn_digits.py's CNN, one box per layer (draw_graph depth=1)
                         (README.md, docs/visualizing.md)
- backward_strip.svg:    four frames of animate_backward on a small MLP (README.md, docs/visualizing.md)
- grad_flow.svg:         plot_grad_flow of the CNN after one backward (docs/visualizing.md)

Needs Graphviz's `dot` for the graphs and matplotlib for the parabola and the grad-flow plot.
"""
from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))  # use this checkout's tinygrad_ed even when not installed
sys.path.insert(0, str(HERE.parent.parent / "examples"))  # the CNN of examples/cnn_digits.py

import tinygrad_ed as te  # noqa: E402
from tinygrad_ed import nn  # noqa: E402
from tinygrad_ed.viz import animate_backward, draw_graph, plot_grad_flow, record_scopes  # noqa: E402


def model_graph() -> Any:
    te.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = te.randn(4, 3), te.randn(4, 1)
    loss = nn.functional.mse_loss(model(x).tanh(), y)
    loss.backward(retain_graph=True)  # keep the graph so it can be drawn, shaded by |grad|
    return draw_graph(loss, params=dict(model.named_parameters()))


def huber_graph() -> Any:
    prediction = te.tensor([0.5, 3.0], requires_grad=True)
    loss = nn.functional.huber_loss(prediction, te.tensor([0.0, 0.0]), delta=1.0)
    return draw_graph(loss, params={"prediction": prediction})


def inplace_graph() -> Any:
    x = te.tensor([1.0, -2.0, 3.0], requires_grad=True)
    v = te.tensor(5.0, requires_grad=True)
    h = x * 2
    h.relu_()
    h[0] = v
    loss = (h * h).sum()
    loss.backward(retain_graph=True)
    return draw_graph(loss, params={"x": x, "v": v})


def cnn_loss() -> tuple[Any, Any]:
    """examples/cnn_digits.py's CNN on a batch of 8 random 8x8 images, its ops recorded per layer."""
    from cnn_digits import make_model
    te.manual_seed(0)
    model = make_model()
    with record_scopes(model):
        scores = model(te.randn(8, 1, 8, 8))
    loss = nn.functional.cross_entropy(scores, te.tensor([0, 1, 2, 3, 4, 5, 6, 7]))
    loss.backward(retain_graph=True)
    return model, loss


def cnn_graph() -> Any:
    model, loss = cnn_loss()
    return draw_graph(loss, model=model, depth=1, direction="TB")


def backward_strip() -> Any:
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with record_scopes(model):
        loss = nn.functional.mse_loss(model(te.randn(5, 3)), te.randn(5, 1))
    return animate_backward(loss, model=model).strip(frames=4)


def grad_flow() -> bytes:
    plt = pyplot()
    model, _ = cnn_loss()
    fig = plot_grad_flow(model)
    return svg_of(plt, fig)


def pyplot() -> Any:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"  # keep text as text: small, diffable SVG
    plt.rcParams["svg.hashsalt"] = "tinygrad_ed"  # stable element ids
    return plt


def svg_of(plt: Any, fig: Any, image_format: str = "svg") -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format=image_format, metadata={"Date": None} if image_format == "svg" else None)
    plt.close(fig)
    return buffer.getvalue()


def intercept_parabola(image_format: str = "svg") -> bytes:
    plt = pyplot()
    x, y = np.array([0.5, 2.3, 2.9]), np.array([1.4, 1.9, 3.2])
    intercepts = np.linspace(-0.5, 3.0, 71)
    losses = [nn.functional.mse_loss(te.tensor(0.5 * x + c), te.tensor(y)).item() for c in intercepts]
    c = te.tensor(0.0, requires_grad=True)
    loss = nn.functional.mse_loss(0.5 * te.tensor(x) + c, te.tensor(y))
    loss.backward()
    slope, at_zero = c.grad.item(), loss.item()
    best = float(np.mean(y - 0.5 * x))

    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(intercepts, losses, label="loss (MSE) for slope 0.5")
    near = np.linspace(-0.5, 1.0, 2)
    ax.plot(near, at_zero + slope * near, "--", label=f"tangent at c = 0 (slope {slope:.3f})")
    ax.plot([0.0], [at_zero], "o", color="C1")
    ax.axvline(best, color="gray", lw=0.8, ls=":")
    ax.annotate(f"minimum c = {best:.4f}", (best, min(losses)), xytext=(best + 0.15, 1.2),
                arrowprops=dict(arrowstyle="->", lw=0.8))
    ax.set_xlabel("intercept c")
    ax.set_ylabel("loss")
    ax.set_ylim(0, 3.5)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return svg_of(plt, fig, image_format)


# every committed picture: file name -> the code that makes it
IMAGES = {
    "graph.svg": lambda: model_graph().pipe(format="svg"),
    "huber_graph.svg": lambda: huber_graph().pipe(format="svg"),
    "inplace_graph.svg": lambda: inplace_graph().pipe(format="svg"),
    "intercept_parabola.svg": intercept_parabola,
    "cnn_graph.svg": lambda: cnn_graph().pipe(format="svg"),
    "backward_strip.svg": lambda: backward_strip().pipe(format="svg"),
    "grad_flow.svg": grad_flow,
}


def main() -> None:
    for name, make in IMAGES.items():
        (HERE / name).write_bytes(make())
        print(f"wrote docs/images/{name}")


if __name__ == "__main__":
    main()
