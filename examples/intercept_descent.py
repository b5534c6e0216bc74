"""The article's worked example: find the intercept of y = m*x + c by gradient descent.

    python examples/intercept_descent.py        # writes out/intercept_descent.png

The same three points, slope and learning rates as the tutorial
docs/gradient-descent.md, which derives every number this prints (best
intercept 1.2167; with lr 0.1 the step falls below 0.001 at step 26).
The slope is fixed at m = 0.5, so the mean squared error is a function of
the intercept c alone: a parabola. We evaluate it on a grid of intercepts,
then start from c = 0 and walk down it. Each step's slope (the tangent line)
comes from autograd, c.grad, and the step is new_c = old_c - lr * slope: big
where the curve is steep, vanishing at the bottom. Three learning rates show
what the article warns about: too small crawls, a good one converges
steadily, too large overshoots further each time and diverges. The result is
checked against the closed-form least-squares intercept, mean(y - m*x).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD

X = np.array([0.5, 2.3, 2.9])  # the tutorial's (and the article's) three points
Y = np.array([1.4, 1.9, 3.2])
SLOPE = 0.5
# name -> learning rate. The loss's curvature d2L/dc2 is 2, so each step multiplies the distance to the
# minimum by (1 - 2 lr): 0.01 -> 0.98 (crawls), 0.1 -> 0.8 (steady), 1.1 -> -1.2 (overshoots, grows).
LEARNING_RATES = {"too small": 0.01, "good": 0.1, "too large": 1.1}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--steps", type=int, default=26, help="gradient-descent steps per learning rate")
    add_out(parser, "intercept_descent.png")
    return parser.parse_args(argv)


def loss_on_grid(x: np.ndarray, y: np.ndarray, intercepts: np.ndarray) -> np.ndarray:
    """MSE for every candidate intercept at once: broadcast (G, 1) intercepts against (1, N) points."""
    c = te.tensor(intercepts[:, None])
    prediction = SLOPE * te.tensor(x[None, :]) + c
    return ((prediction - te.tensor(y[None, :])) ** 2).mean(dim=1).numpy()


def descend(x: np.ndarray, y: np.ndarray, lr: float, steps: int, start: float = 0.0) -> dict[str, list[float]]:
    """Gradient descent on the intercept alone; records c, the loss and its slope dL/dc before each step."""
    xs, ys = te.tensor(x), te.tensor(y)
    c = te.tensor(start, requires_grad=True)
    optimizer = SGD([c], lr=lr)  # step(): c <- c - lr * c.grad
    trace: dict[str, list[float]] = {"c": [], "loss": [], "slope": []}
    for _ in range(steps + 1):
        loss = F.mse_loss(SLOPE * xs + c, ys)
        optimizer.zero_grad()
        loss.backward()
        trace["c"].append(c.item())
        trace["loss"].append(loss.item())
        trace["slope"].append(c.grad.item())
        if len(trace["c"]) <= steps:
            optimizer.step()
    return trace


def plot(x: np.ndarray, y: np.ndarray, runs: dict[str, dict], best: float, path: Path) -> None:
    plt = pyplot()
    colors = {"too small": "tab:orange", "good": "tab:green", "too large": "tab:red"}
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    ax = axes[0, 0]
    ax.scatter(x, y, color="tab:blue", zorder=3, label="data")
    line_x = np.array([x.min() - 0.2, x.max() + 0.2])
    ax.plot(line_x, SLOPE * line_x + runs["good"]["c"][0], ":", color="gray", label="start: c = 0")
    ax.plot(line_x, SLOPE * line_x + best, color="tab:green", label=f"best fit: c = {best:.3f}")
    ax.set(xlabel="x", ylabel="y", title=f"Data and the line y = {SLOPE} x + c")
    ax.legend()

    for ax, name in zip([axes[0, 1], axes[1, 0], axes[1, 1]], ["too small", "good", "too large"]):
        run = runs[name]
        c, loss, slope = map(np.array, (run["c"], run["loss"], run["slope"]))
        reach = max(abs(c - best).max(), abs(best)) * 1.15
        grid = np.linspace(best - reach, best + reach, 400)
        ax.plot(grid, loss_on_grid(x, y, grid), color="tab:blue", label="loss (MSE) against intercept")
        half = reach * 0.2  # tangent segments of the same width in every panel
        for i, (ci, li, si) in enumerate(zip(c, loss, slope)):
            ax.plot([ci - half, ci + half], [li - si * half, li + si * half], color="black", lw=1.3, alpha=0.75,
                    label="tangent (slope = c.grad)" if i == 0 else None)
        for i in range(len(c) - 1):
            ax.annotate("", xy=(c[i + 1], loss[i + 1]), xytext=(c[i], loss[i]),
                        arrowprops=dict(arrowstyle="->", color=colors[name], lw=1.2, shrinkA=3, shrinkB=3))
        ax.plot(c, loss, "o", color=colors[name], ms=6, zorder=3, label=f"steps, lr = {run['lr']}")
        ax.plot(c[:1], loss[:1], "s", mfc="white", mec="black", ms=8, zorder=4, label="start: c = 0")
        ax.axvline(best, color="gray", ls="--", lw=1, label="closed-form minimum")
        ax.set(xlabel="intercept c", ylabel="mean squared error",
               title=f"Learning rate {name} ({run['lr']}): {len(c) - 1} steps")
        top = loss_on_grid(x, y, np.array([best - reach, best + reach])).max()
        ax.set_ylim(-0.04 * top, 1.08 * top)
        ax.legend(fontsize=8, loc="upper center")
    fig.suptitle("Gradient descent on the intercept: each step is -lr x the slope of the tangent")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    x, y = X, Y

    closed_form = float(np.mean(y - SLOPE * x))  # d/dc mean((m x + c - y)^2) = 0
    grid = np.linspace(-1.0, 3.0, 4001)
    grid_losses = loss_on_grid(x, y, grid)
    grid_best = float(grid[np.argmin(grid_losses)])

    runs = {}
    for name, lr in LEARNING_RATES.items():
        runs[name] = {"lr": lr, **descend(x, y, lr, args.steps)}
        print(f"\nlearning rate {lr} ({name})")
        print(f"{'step':>4} {'intercept c':>12} {'loss':>10} {'slope dL/dc':>12} {'-lr*slope':>10}")
        for i, (c, loss, slope) in enumerate(zip(runs[name]["c"], runs[name]["loss"], runs[name]["slope"])):
            step = f"{-lr * slope:>10.4f}" if i < args.steps else ""
            print(f"{i:>4} {c:>12.4f} {loss:>10.4f} {slope:>12.4f} {step}")

    good = runs["good"]["c"][-1]
    print(f"\nminimising intercept from the grid of {len(grid)} intercepts: {grid_best:.4f}")
    print(f"minimising intercept by gradient descent (lr {LEARNING_RATES['good']}): {good:.6f}")
    print(f"closed-form least-squares intercept mean(y - {SLOPE} x):   {closed_form:.6f}")
    for name in ("too small", "too large"):
        print(f"lr {LEARNING_RATES[name]} ({name}) ends at c = {runs[name]['c'][-1]:.4f}, "
              f"{abs(runs[name]['c'][-1] - closed_form):.4f} from the minimum "
              f"(it started {abs(closed_form):.4f} away)")

    path = out / "intercept_descent.png"
    plot(x, y, runs, closed_form, path)
    print(f"wrote {path}")
    return {"closed_form": closed_form, "grid_best": grid_best, "runs": runs, "plot": path}


if __name__ == "__main__":
    main()
