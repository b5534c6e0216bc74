"""L1, L2 (MSE) and Huber losses on data with outliers.

    python examples/robust_regression.py        # writes out/robust_regression.png

Points lie near y = 2 x + 1, except a few outliers far above the line. We fit
a line y = w x + b by gradient descent under each loss. Squaring makes the
outliers' large residuals dominate the mean squared error, so its line is
dragged towards them; the absolute error (L1) grows only linearly and stays
with the bulk of the data; Huber loss is squared below its threshold delta
and absolute above it, so it moves from L1-like (small delta) to MSE-like
(large delta). The exact least-squares and least-absolute-deviations lines
are computed independently as a check on the descent.
"""
from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Callable

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD

TRUE_SLOPE, TRUE_INTERCEPT = 2.0, 1.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--points", type=int, default=60, help="inlier points")
    parser.add_argument("--outliers", type=int, default=8, help="outlier points")
    parser.add_argument("--deltas", type=float, nargs="+", default=[0.5, 2.0, 10.0], help="Huber thresholds")
    parser.add_argument("--steps", type=int, default=2000, help="gradient-descent steps per fit")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data")
    add_out(parser, "robust_regression.png")
    return parser.parse_args(argv)


def make_data(points: int, outliers: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and a mask of the outliers (which sit far above the line at large x)."""
    rng = np.random.default_rng(seed)
    x_in = rng.uniform(0, 10, points)
    y_in = TRUE_SLOPE * x_in + TRUE_INTERCEPT + rng.normal(0, 0.6, points)
    x_out = rng.uniform(7, 10, outliers)
    y_out = TRUE_SLOPE * x_out + TRUE_INTERCEPT + rng.uniform(20, 30, outliers)
    x, y = np.concatenate([x_in, x_out]), np.concatenate([y_in, y_out])
    return x, y, np.arange(len(x)) >= points


def fit(x: np.ndarray, y: np.ndarray, loss_fn: Callable, steps: int) -> tuple[float, float]:
    """Minimise loss_fn(w x + b, y) by full-batch gradient descent with momentum and a decaying step.

    x is standardised first (u = (x - mean) / std) so one learning rate suits both parameters; the
    line a u + c is converted back to w x + b at the end. The learning rate falls linearly to zero,
    which lets the L1 fit settle instead of hopping across its kink.
    """
    mean, std = x.mean(), x.std()
    u, target = te.tensor((x - mean) / std), te.tensor(y)
    a = te.zeros((), dtype=te.float64, requires_grad=True)
    c = te.tensor(float(np.median(y)), dtype=te.float64, requires_grad=True)
    optimizer = SGD([a, c], lr=0.1, momentum=0.9)
    for step in range(steps):
        optimizer.param_groups[0]["lr"] = 0.1 * (1 - step / steps)
        loss = loss_fn(a * u + c, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return a.item() / std, c.item() - a.item() * mean / std


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    w, b = np.polyfit(x, y, 1)
    return float(w), float(b)


def least_absolute_deviations(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The exact L1 line: some optimal line passes through two data points, so try every pair."""
    best, line = np.inf, (0.0, 0.0)
    for i, j in itertools.combinations(range(len(x)), 2):
        if x[i] == x[j]:
            continue
        w = (y[j] - y[i]) / (x[j] - x[i])
        b = y[i] - w * x[i]
        total = np.abs(w * x + b - y).sum()
        if total < best:
            best, line = total, (float(w), float(b))
    return line


def plot(x: np.ndarray, y: np.ndarray, outlier: np.ndarray, fits: dict[str, tuple[float, float]],
         deltas: list[float], path: Path) -> None:
    plt = pyplot()
    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.25, 1]})
    ax.scatter(x[~outlier], y[~outlier], s=18, color="tab:blue", label="data")
    ax.scatter(x[outlier], y[outlier], s=40, marker="x", color="tab:red", label="outliers")
    grid = np.linspace(0, 10, 2)
    ax.plot(grid, TRUE_SLOPE * grid + TRUE_INTERCEPT, "k--", lw=1.5,
            label=f"true line y = {TRUE_SLOPE:g} x + {TRUE_INTERCEPT:g}")
    cmap = plt.get_cmap("viridis")
    huber = [name for name in fits if name.startswith("Huber")]
    colors = {"L1 (MAE)": "tab:green", "L2 (MSE)": "tab:red",
              **{name: cmap(0.15 + 0.7 * i / max(1, len(huber) - 1)) for i, name in enumerate(huber)}}
    for name, (w, b) in fits.items():
        style = dict(lw=3, alpha=0.8) if name[:2] in ("L1", "L2") else dict(lw=1.5, ls="-.")
        sign = "-" if b < 0 else "+"
        ax.plot(grid, w * grid + b, color=colors[name], label=f"{name}: y = {w:.2f} x {sign} {abs(b):.2f}", **style)
    ax.set(xlabel="x", ylabel="y", title="Lines fitted by gradient descent under each loss")
    ax.legend(fontsize=8.5, loc="upper left")
    ax.grid(True, alpha=0.3)

    # each loss of a single residual, computed by the library's own loss functions (reduction="none")
    r = te.tensor(np.linspace(-6, 6, 601))
    zero = te.zeros_like(r)
    ax_loss.plot(r.numpy(), F.l1_loss(r, zero, reduction="none").numpy(), color=colors["L1 (MAE)"], lw=2,
                 label="L1: |r|")
    ax_loss.plot(r.numpy(), F.mse_loss(r, zero, reduction="none").numpy(), color=colors["L2 (MSE)"], lw=2,
                 label="L2: r²")
    for delta, name in zip(deltas, huber):
        value = F.huber_loss(r, zero, reduction="none", delta=delta).numpy()
        ax_loss.plot(r.numpy(), value, color=colors[name], lw=1.4, label=f"Huber, delta = {delta:g}")
    far = np.abs(y[outlier] - (TRUE_SLOPE * x[outlier] + TRUE_INTERCEPT))
    ax_loss.set_title(f"How each loss weighs a residual\n(outliers: r = {far.min():.0f} to {far.max():.0f}, "
                      f"costing up to {far.max() ** 2:.0f} under L2, {far.max():.0f} under L1)",
                      fontsize=10.5)
    ax_loss.set(xlabel="residual r = prediction - target", ylabel="loss of one point", ylim=(0, 12))
    ax_loss.legend(fontsize=8.5, loc="upper center")
    ax_loss.grid(True, alpha=0.3)
    fig.suptitle("Outliers pull the squared-error fit; L1 and Huber resist them")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    x, y, outlier = make_data(args.points, args.outliers, args.seed)

    losses: dict[str, Callable] = {"L1 (MAE)": F.l1_loss, "L2 (MSE)": F.mse_loss}
    for delta in args.deltas:
        losses[f"Huber (delta {delta:g})"] = lambda p, t, d=delta: F.huber_loss(p, t, delta=d)
    fits = {name: fit(x, y, loss_fn, args.steps) for name, loss_fn in losses.items()}
    exact = {"L1 (MAE)": least_absolute_deviations(x, y), "L2 (MSE)": least_squares(x, y)}

    print(f"{len(x)} points on y = {TRUE_SLOPE:g} x + {TRUE_INTERCEPT:g} with noise, {outlier.sum()} of them "
          "outliers far above the line")
    print(f"{'loss':<20} {'slope':>7} {'intercept':>10} {'slope error':>12} {'intercept error':>16}")
    print(f"{'(true line)':<20} {TRUE_SLOPE:>7.3f} {TRUE_INTERCEPT:>10.3f}")
    for name, (w, b) in fits.items():
        print(f"{name:<20} {w:>7.3f} {b:>10.3f} {w - TRUE_SLOPE:>+12.3f} {b - TRUE_INTERCEPT:>+16.3f}")
    for name, (w, b) in exact.items():
        print(f"check, exact {name:<7} {w:>7.3f} {b:>10.3f}   (gradient descent: {fits[name][0]:.3f}, "
              f"{fits[name][1]:.3f})")

    path = out / "robust_regression.png"
    plot(x, y, outlier, fits, args.deltas, path)
    print(f"wrote {path}")
    return {"fits": fits, "exact": exact, "true": (TRUE_SLOPE, TRUE_INTERCEPT), "plot": path}


if __name__ == "__main__":
    main()
