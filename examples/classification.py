"""Cross-entropy for classification: the article's red/green/blue example, by hand and by tinygrad_ed.

    python examples/classification.py        # writes out/classification.png

Part 1 works the article's example: three classes (red, green, blue), the
true class is green, so the one-hot target is (0, 1, 0) and cross-entropy
-sum_c y_c log p_c keeps only -log p(green). It is computed by hand with
numpy and by F.cross_entropy (whose inputs are logits: log p works, since
softmax(log p) = p), next to the squared error of the same prediction, which
stays below 1 however confidently wrong the prediction is.

Part 2 trains a small network with cross-entropy on three 2-D blobs named
red, green and blue and draws its decision regions.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.nn.optim import SGD

CLASSES = ["red", "green", "blue"]
COLORS = ["#d62728", "#2ca02c", "#1f77b4"]
# the article's example: the true class is green; predicted probabilities from right to badly wrong
TRUE_CLASS = 1
PREDICTIONS = {
    "confident, right": [0.05, 0.90, 0.05],
    "unsure": [0.30, 0.40, 0.30],
    "wrong": [0.60, 0.30, 0.10],
    "confident, wrong": [0.90, 0.05, 0.05],
    "very confident, wrong": [0.98, 0.01, 0.01],
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--points", type=int, default=150, help="points per class")
    parser.add_argument("--steps", type=int, default=300, help="full-batch gradient-descent steps")
    parser.add_argument("--lr", type=float, default=0.1, help="learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data and the initial weights")
    add_out(parser, "classification.png")
    return parser.parse_args(argv)


def worked_example() -> dict[str, dict[str, float]]:
    """-log p(true class) by hand and by F.cross_entropy, and the squared error, for each prediction."""
    target = np.eye(len(CLASSES))[TRUE_CLASS]  # one-hot: (0, 1, 0)
    rows = {}
    for name, p in PREDICTIONS.items():
        p = np.array(p)
        by_hand = -np.sum(target * np.log(p))  # = -log p[green]: the other terms are multiplied by 0
        logits = te.tensor(np.log(p)[None, :])  # F.cross_entropy takes logits; softmax(log p) = p
        by_index = F.cross_entropy(logits, te.tensor([TRUE_CLASS])).item()
        by_probabilities = F.cross_entropy(logits, te.tensor(target[None, :])).item()  # -sum y log p
        rows[name] = {"p_true": p[TRUE_CLASS], "hand": by_hand, "tinygrad_ed": by_index,
                      "tinygrad_ed_soft": by_probabilities, "squared": float(np.sum((p - target) ** 2))}
    return rows


def make_blobs(points: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = np.array([[-2.0, -1.0], [2.0, -1.0], [0.0, 2.0]])
    x = np.concatenate([c + rng.normal(0, 1.1, (points, 2)) for c in centers]).astype(np.float32)
    y = np.repeat(np.arange(len(centers)), points)
    return x, y


def train(x: np.ndarray, y: np.ndarray, steps: int, lr: float, seed: int) -> tuple[nn.Module, list[float]]:
    te.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 3))
    optimizer = SGD(model.parameters(), lr=lr, momentum=0.9)
    inputs, targets = te.tensor(x), te.tensor(y)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


@te.no_grad()
def predict_proba(model: nn.Module, x: np.ndarray) -> np.ndarray:
    return model(te.tensor(x.astype(np.float32))).softmax(dim=1).numpy()


def plot(model: nn.Module, x: np.ndarray, y: np.ndarray, losses: list[float], rows: dict, path: Path) -> None:
    from matplotlib.colors import to_rgb

    plt = pyplot()
    fig, (ax_regions, ax_loss, ax_ce) = plt.subplots(1, 3, figsize=(16, 5))
    lo, hi = x.min(axis=0) - 1, x.max(axis=0) + 1
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
    proba = predict_proba(model, np.column_stack([gx.ravel(), gy.ravel()]))
    rgb = np.array([to_rgb(c) for c in COLORS])
    confidence = proba.max(axis=1, keepdims=True)
    # the winning class's colour, paler where the network is unsure
    image = 1 - (1 - rgb[proba.argmax(axis=1)]) * (0.15 + 0.35 * (confidence - 1 / 3) / (2 / 3))
    ax_regions.imshow(image.reshape(300, 300, 3), origin="lower", extent=(lo[0], hi[0], lo[1], hi[1]),
                      aspect="auto")
    ax_regions.contour(gx, gy, proba.argmax(axis=1).reshape(gx.shape), levels=[0.5, 1.5], colors="0.3",
                       linewidths=0.8)
    for k, (name, color) in enumerate(zip(CLASSES, COLORS)):
        ax_regions.scatter(*x[y == k].T, s=14, color=color, edgecolor="white", linewidth=0.4, label=name)
    accuracy = (predict_proba(model, x).argmax(axis=1) == y).mean()
    ax_regions.set(xlabel="feature 1", ylabel="feature 2",
                   title=f"Decision regions (training accuracy {100 * accuracy:.1f}%)")
    ax_regions.legend(title="true class", loc="upper left")

    ax_loss.plot(np.arange(1, len(losses) + 1), losses, color="tab:purple")
    ax_loss.set(xlabel="gradient-descent step", ylabel="cross-entropy loss", ylim=(0, None),
                title="Training loss (full batch, SGD with momentum)")
    ax_loss.grid(True, alpha=0.3)

    p = np.linspace(0.005, 1, 400)
    ax_ce.plot(p, -np.log(p), color="tab:blue", lw=2, label="cross-entropy  -log p(true)")
    # sum_c (p_c - y_c)^2 also depends on how the wrong classes share 1 - p: between these two bounds
    ax_ce.fill_between(p, 1.5 * (1 - p) ** 2, 2 * (1 - p) ** 2, color="tab:orange", alpha=0.35,
                       label="squared error  sum (p - y)²\n(all possible values)")
    for name, row in rows.items():
        ax_ce.plot(row["p_true"], row["tinygrad_ed"], "o", color="tab:blue", ms=6)
        ax_ce.plot(row["p_true"], row["squared"], "s", color="tab:orange", mec="black", mew=0.5, ms=5)
        right_edge = row["p_true"] > 0.8
        ax_ce.annotate(name, (row["p_true"], row["tinygrad_ed"]), textcoords="offset points", fontsize=8,
                       xytext=(-4, 8) if right_edge else (7, 2), ha="right" if right_edge else "left")
    ax_ce.set(xlabel="predicted probability of the true class (green)", ylabel="loss", ylim=(0, 5.3),
              title="Log punishes confident mistakes; a square does not")
    ax_ce.legend(loc="upper right")
    ax_ce.grid(True, alpha=0.3)
    fig.suptitle("Cross-entropy on three classes: red, green, blue")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)

    rows = worked_example()
    one_hot = ", ".join(str(v) for v in np.eye(len(CLASSES), dtype=int)[TRUE_CLASS])
    print(f"true class: {CLASSES[TRUE_CLASS]}, one-hot target ({one_hot}) over ({', '.join(CLASSES)})")
    print(f"{'prediction':<22} {'p(red, green, blue)':<20} {'-log p(green)':>13} {'F.cross_entropy':>16} "
          f"{'(soft target)':>14} {'squared error':>14}")
    for name, row in rows.items():
        p = ", ".join(f"{v:.2f}" for v in PREDICTIONS[name])
        print(f"{name:<22} {p:<20} {row['hand']:>13.4f} {row['tinygrad_ed']:>16.4f} {row['tinygrad_ed_soft']:>14.4f} "
              f"{row['squared']:>14.4f}")
    bad, worse = rows["confident, wrong"], rows["very confident, wrong"]
    print(f"p(green) 0.05 -> 0.01: cross-entropy rises by {worse['hand'] - bad['hand']:.2f} (its slope -1/p reaches "
          f"-100) but squared error only by {worse['squared'] - bad['squared']:.2f}; -log p is unbounded as p -> 0, "
          "the squared error never exceeds 2")

    x, y = make_blobs(args.points, args.seed)
    model, losses = train(x, y, args.steps, args.lr, args.seed)
    accuracy = float((predict_proba(model, x).argmax(axis=1) == y).mean())
    print(f"\nblobs: {len(x)} points, {args.steps} steps: cross-entropy {losses[0]:.4f} -> {losses[-1]:.4f}, "
          f"training accuracy {100 * accuracy:.1f}%")

    path = out / "classification.png"
    plot(model, x, y, losses, rows, path)
    print(f"wrote {path}")
    return {"worked_example": rows, "losses": losses, "accuracy": accuracy, "plot": path}


if __name__ == "__main__":
    main()
