"""Train an MLP on scikit-learn's 8x8 handwritten digits with tinygrad_ed.

    python examples/demo.py            # about 97% test accuracy in a few seconds
    python examples/demo.py --help

Everything the article describes is here at work: a forward pass, a
cross-entropy loss, backpropagation, and mini-batch gradient descent (SGD with
momentum) on shuffled batches. The run writes, under --out (default out/):

    loss.png     train/test loss and accuracy per epoch
    graph.svg    the computation graph of one training step, nodes shaded by gradient norm
    model.ckpt   the model's and the optimizer's state, which is then reloaded
                 into a fresh model and evaluated again (same accuracy, or it fails)
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

# _common first: it lets `import tinygrad_ed` work in a source checkout that was not pip-installed
from _common import add_out, make_parser, output_dir, pyplot, save_figure, write_graph
import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.nn import functional as F
from tinygrad_ed.utils.data import DataLoader, TensorDataset
from tinygrad_ed.nn.optim import SGD
from tinygrad_ed.viz import draw_graph


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=20, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=32, help="rows per gradient step (mini-batch size)")
    parser.add_argument("--lr", type=float, default=0.02, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    parser.add_argument("--hidden", type=int, nargs="+", default=[128, 64], help="hidden layer widths")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the initial weights and the shuffling")
    add_out(parser, "loss.png, graph.svg and model.ckpt")
    parser.add_argument("--no-progress", action="store_true",
                        help="no tqdm progress bars (there are none anyway where stderr is not a terminal)")
    return parser.parse_args(argv)


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1797 digits, split 75/25 (stratified, by `seed`), standardised with the training set's statistics."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        digits.data, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    std[std == 0] = 1.0  # some corner pixels are blank in every training image
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return (x_train.astype(np.float32), x_test.astype(np.float32),
            y_train.astype(np.int64), y_test.astype(np.int64))


def make_model(hidden: list[int]) -> nn.Sequential:
    """64 pixels -> hidden layers with ReLU -> 10 class scores (logits)."""
    layers: list[nn.Module] = []
    width = 64
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


@te.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the model on the whole of x, y."""
    model.eval()
    logits = model(te.from_numpy(x))
    loss = F.cross_entropy(logits, te.from_numpy(y)).item()
    accuracy = float((logits.argmax(dim=1).numpy() == y).mean())
    model.train()
    return loss, accuracy


def train_epoch(model: nn.Module, loader: DataLoader, optimizer: SGD, desc: str, progress: bool) -> None:
    from tqdm import tqdm

    seen = correct = 0
    total_loss = 0.0
    # disable=None: no bar where tqdm's stream (stderr) is not a terminal, e.g. in CI logs or a pipe;
    # the per-epoch summary that main() prints is the record there
    bar = tqdm(loader, desc=desc, leave=False, disable=None if progress else True, unit="batch")
    for xb, yb in bar:
        logits = model(xb)
        loss = F.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        n = len(yb)
        seen += n
        total_loss += loss.item() * n
        correct += int((logits.array.argmax(axis=1) == yb.array).sum())
        # refresh=False: shown at the bar's next redraw (at most every mininterval, 0.1 s), not once a batch
        bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}", refresh=False)


def plot_history(history: dict[str, list[float]], path: Path) -> None:
    plt = pyplot()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax_loss.plot(epochs, history["train_loss"], "o-", ms=3, label="train")
    ax_loss.plot(epochs, history["test_loss"], "s-", ms=3, label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss per epoch", yscale="log")
    ax_acc.plot(epochs, 100 * np.array(history["train_acc"]), "o-", ms=3,
                label=f"train (final {100 * history['train_acc'][-1]:.1f}%)")
    ax_acc.plot(epochs, 100 * np.array(history["test_acc"]), "s-", ms=3,
                label=f"test (final {100 * history['test_acc'][-1]:.1f}%)")
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy per epoch")
    for ax in (ax_loss, ax_acc):
        ax.grid(True, alpha=0.3)
        ax.legend()
        ax.xaxis.get_major_locator().set_params(integer=True)
    fig.suptitle("MLP on the 8x8 digits: mini-batch SGD with momentum, cross-entropy")
    save_figure(fig, path)


def draw_training_step(model: nn.Module, x: np.ndarray, y: np.ndarray, path: Path) -> Path:
    """The graph of one step's loss, after backward(retain_graph=True) so every node shows its gradient."""
    model.zero_grad()
    loss = F.cross_entropy(model(te.from_numpy(x)), te.from_numpy(y))
    loss.backward(retain_graph=True)
    dot = draw_graph(loss, params=dict(model.named_parameters()))
    model.zero_grad()
    return write_graph(dot, path)


def same_optimizer_state(a: SGD, b: SGD) -> bool:
    """Equal hyper-parameters and equal momentum buffers, parameter by parameter."""
    sa, sb = a.state_dict(), b.state_dict()
    if sa["param_groups"] != sb["param_groups"] or sa["state"].keys() != sb["state"].keys():
        return False
    return all(np.array_equal(sa["state"][i][k], sb["state"][i][k]) for i in sa["state"] for k in sa["state"][i])


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    x_train, x_test, y_train, y_test = load_data(args.seed)
    te.manual_seed(args.seed)
    model = make_model(args.hidden)
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=args.momentum)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size, shuffle=True,
                        generator=te.Generator().manual_seed(args.seed))
    print(f"digits: {len(x_train)} training and {len(x_test)} test images of 8x8 pixels, 10 classes")
    print(model)

    history: dict[str, list[float]] = {"train_loss": [], "train_acc": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_epoch(model, loader, optimizer, f"epoch {epoch:>2}/{args.epochs}", not args.no_progress)
        for split, (x, y) in (("train", (x_train, y_train)), ("test", (x_test, y_test))):
            loss, accuracy = evaluate(model, x, y)
            history[f"{split}_loss"].append(loss)
            history[f"{split}_acc"].append(accuracy)
        print(f"epoch {epoch:>2}/{args.epochs}: train loss {history['train_loss'][-1]:.4f}, "
              f"test loss {history['test_loss'][-1]:.4f}, test accuracy {100 * history['test_acc'][-1]:.2f}%")
    train_seconds = time.perf_counter() - start  # training and the per-epoch evaluations
    test_loss, test_acc = evaluate(model, x_test, y_test)

    plot_history(history, out / "loss.png")
    graph_path = draw_training_step(model, x_train[:args.batch_size], y_train[:args.batch_size], out / "graph.svg")

    checkpoint = out / "model.ckpt"
    te.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": args.epochs,
             "hidden": args.hidden, "test_accuracy": test_acc}, checkpoint)
    state = te.load(checkpoint)
    te.manual_seed(args.seed + 1)  # different initial weights: the checkpoint must overwrite all of them
    fresh = make_model(state["hidden"])
    fresh.load_state_dict(state["model"])
    fresh_optimizer = SGD(fresh.parameters(), lr=args.lr, momentum=args.momentum)
    fresh_optimizer.load_state_dict(state["optimizer"])  # to resume training exactly where it stopped
    if not same_optimizer_state(optimizer, fresh_optimizer):
        raise RuntimeError(f"the optimizer state reloaded from {checkpoint} differs from the saved one")
    reloaded_loss, reloaded_acc = evaluate(fresh, x_test, y_test)
    print(f"test accuracy of the trained model:  {100 * test_acc:.2f}% (loss {test_loss:.6f})")
    print(f"test accuracy of the reloaded model: {100 * reloaded_acc:.2f}% (loss {reloaded_loss:.6f})")
    if reloaded_acc != test_acc or reloaded_loss != test_loss:
        raise RuntimeError(f"the model reloaded from {checkpoint} evaluates differently: accuracy "
                           f"{reloaded_acc} vs {test_acc}, loss {reloaded_loss} vs {test_loss}")

    print(f"wrote {out / 'loss.png'}, {graph_path} and {checkpoint}")
    print(f"final: test accuracy {100 * test_acc:.2f}% after {args.epochs} epochs "
          f"({train_seconds:.1f} s of training)")
    return {"history": history, "test_accuracy": test_acc, "reloaded_accuracy": reloaded_acc,
            "test_loss": test_loss, "reloaded_loss": reloaded_loss, "train_seconds": train_seconds,
            "loss_plot": out / "loss.png", "graph": graph_path, "checkpoint": checkpoint}


if __name__ == "__main__":
    main()
