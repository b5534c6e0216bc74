"""Batch, mini-batch and stochastic gradient descent on one regression problem, measured.

    python examples/gd_variants.py        # writes out/gd_variants.png

The article's claims, checked with real runs. The three variants differ only
in the DataLoader's batch_size: the whole data set (batch), 32 rows
(mini-batch) or a single row (stochastic). Each trains the same linear model
from the same start with the same learning rate for the same number of epochs.
We record

* the loss on the whole data set after every epoch, against epochs and against wall time;
* the number of updates (parameter steps);
* the peak memory one epoch of training allocates (tracemalloc, in a separate untimed run; it also
  counts some 10-30 KiB of Python's own bookkeeping, which is all that small batches show);
* the noise: the root-mean-square distance between a batch's gradient and the
  full-data gradient at the starting weights, and the spread (std) of the
  training loss over the last epoch's updates.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure
import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.utils.data import DataLoader, TensorDataset
from tinygrad_ed.nn.optim import SGD


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--samples", type=int, default=2000, help="rows in the data set")
    parser.add_argument("--features", type=int, default=20, help="columns in the data set")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the data for each variant")
    parser.add_argument("--minibatch", type=int, default=32, help="batch size of mini-batch descent")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (the same for all three)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the data, the initial weights and shuffling")
    add_out(parser, "gd_variants.png")
    return parser.parse_args(argv)


def make_data(samples: int, features: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """y = x . w + 3 + noise, with standard-normal features."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, features)).astype(np.float32)
    w = rng.uniform(-2, 2, (features, 1)).astype(np.float32)
    y = x @ w + 3.0 + rng.normal(0, 0.5, (samples, 1)).astype(np.float32)
    return x, y


def full_loss(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with te.no_grad():
        return F.mse_loss(model(te.from_numpy(x)), te.from_numpy(y)).item()


def flat_gradient(model: nn.Module, x: Any, y: Any) -> np.ndarray:
    model.zero_grad()
    F.mse_loss(model(x), y).backward()
    return np.concatenate([p.grad.numpy().ravel() for p in model.parameters()])


def gradient_noise(model: nn.Module, loader: DataLoader, x: np.ndarray, y: np.ndarray) -> float:
    """RMS of |g_batch - g_full| over one epoch's batches, at the model's current weights."""
    full = flat_gradient(model, te.from_numpy(x), te.from_numpy(y))
    distances = [np.sum((flat_gradient(model, xb, yb) - full) ** 2) for xb, yb in loader]
    model.zero_grad()
    return float(np.sqrt(np.mean(distances)))


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: SGD, record: bool = True) -> list[float]:
    """One pass over the data; returns each update's training loss (if `record`)."""
    losses = []
    for xb, yb in loader:
        loss = F.mse_loss(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if record:
            losses.append(loss.item())
    return losses


def run_variant(batch_size: int, x: np.ndarray, y: np.ndarray, args: argparse.Namespace) -> dict:
    te.manual_seed(args.seed)  # the same initial weights for every variant
    model = nn.Linear(x.shape[1], 1)
    dataset = TensorDataset(x, y)
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=True, generator=te.Generator().manual_seed(args.seed))
    optimizer = SGD(model.parameters(), lr=args.lr)

    noise = gradient_noise(model, loader, x, y)
    seconds, losses, epoch_losses = [0.0], [full_loss(model, x, y)], []
    for _ in range(args.epochs):
        start = time.perf_counter()
        epoch_losses = train_epoch(model, loader, optimizer)
        seconds.append(seconds[-1] + time.perf_counter() - start)
        losses.append(full_loss(model, x, y))

    # memory: one more epoch from the start, traced (tracing slows Python down, so it is not timed)
    te.manual_seed(args.seed)
    traced_model = nn.Linear(x.shape[1], 1)
    traced_optimizer = SGD(traced_model.parameters(), lr=args.lr)
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    train_epoch(traced_model, loader, traced_optimizer, record=False)  # a list of losses would count too
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()

    return {"batch_size": batch_size, "loss": losses, "seconds": seconds, "updates": args.epochs * len(loader),
            "peak_bytes": peak, "gradient_noise": noise,
            "last_epoch_loss_std": float(np.std(epoch_losses)) if len(epoch_losses) > 1 else float("nan")}


def plot(results: dict[str, dict], path: Path) -> None:
    plt = pyplot()
    colors = {"batch": "tab:blue", "mini-batch": "tab:orange", "stochastic": "tab:green"}
    names = list(results)
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    for name, r in results.items():
        label = f"{name} (batch size {r['batch_size']})"
        epochs = np.arange(len(r["loss"]))
        axes[0, 0].plot(epochs, r["loss"], "o-", ms=3, color=colors[name], label=label)
        # log time axis: the variants' epochs take from a millisecond to seconds; the start (t = 0) is left out
        axes[0, 1].plot(r["seconds"][1:], r["loss"][1:], "o-", ms=3, color=colors[name], label=label)
    start_loss = results[names[0]]["loss"][0]
    axes[0, 1].axhline(start_loss, color="gray", ls=":", label="loss at the start")
    axes[0, 0].set(xlabel="epoch (passes over the data)", ylabel="MSE on the whole data set", yscale="log",
                   title="Loss against epochs")
    axes[0, 1].set(xlabel="training wall time (s, log scale)", ylabel="MSE on the whole data set", yscale="log",
                   xscale="log", title="Loss against wall time (one point per epoch)")
    for ax in axes[0]:
        ax.grid(True, alpha=0.3)
        ax.legend()

    positions = np.arange(len(names))
    bars = [("peak_bytes", 1 / 1024, "peak memory of one epoch (KiB)", "Memory: peak allocation while training"),
            ("gradient_noise", 1.0, "RMS |batch gradient - full gradient|", "Noise of each update's gradient")]
    for ax, (key, scale, ylabel, title) in zip(axes[1], bars):
        values = [results[n][key] * scale for n in names]
        drawn = ax.bar(positions, values, color=[colors[n] for n in names])
        ax.bar_label(drawn, labels=[f"{v:.3g}" if v > 1e-3 * max(values) else "0" for v in values], padding=2)
        ax.set_xticks(positions, [f"{n}\n{results[n]['updates']} updates" for n in names])
        ax.set(ylabel=ylabel, title=title)
        ax.margins(y=0.15)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle("Batch vs mini-batch vs stochastic gradient descent (same data, model, learning rate, epochs)")
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    x, y = make_data(args.samples, args.features, args.seed)
    variants = {"batch": len(x), "mini-batch": args.minibatch, "stochastic": 1}
    print(f"linear regression, {args.samples} rows x {args.features} features, {args.epochs} epochs, "
          f"lr {args.lr}")
    results = {name: run_variant(size, x, y, args) for name, size in variants.items()}

    header = (f"{'variant':<11} {'batch':>6} {'updates':>8} {'final MSE':>10} {'time (s)':>9} "
              f"{'us/update':>10} {'peak KiB':>9} {'grad noise':>11} {'loss std':>9}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        per_update = 1e6 * r["seconds"][-1] / r["updates"]
        print(f"{name:<11} {r['batch_size']:>6} {r['updates']:>8} {r['loss'][-1]:>10.4f} {r['seconds'][-1]:>9.3f} "
              f"{per_update:>10.1f} {r['peak_bytes'] / 1024:>9.1f} {r['gradient_noise']:>11.4f} "
              f"{r['last_epoch_loss_std']:>9.4f}")
    print("grad noise: RMS distance of a batch's gradient from the full-data gradient at the start; "
          "loss std: spread of the training loss over the last epoch's updates (one update: undefined)")

    path = out / "gd_variants.png"
    plot(results, path)
    print(f"wrote {path}")
    return {"results": results, "plot": path}


if __name__ == "__main__":
    main()
