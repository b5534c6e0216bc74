"""A small convolutional network on scikit-learn's 8x8 handwritten digits.

    python examples/cnn_digits.py        # writes out/cnn_digits_*.png

The same 75/25 split as demo.py's MLP, but the network sees each digit as a
1x8x8 image: two 3x3 convolutions with batch normalisation and ReLU, a 2x2
max pool, a third convolution, a global average pool and a linear layer to
the 10 class scores. Convolutions share their weights across positions, so
the network learns strokes that can appear anywhere. Pictures: the 16
learned first-layer filters, the feature maps one test digit produces, and
the loss and accuracy curves.
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


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__)
    parser.add_argument("--epochs", type=int, default=30, help="passes over the training set")
    parser.add_argument("--batch-size", type=int, default=64, help="images per minibatch")
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate at the start (cosine decay to 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, the initial weights and the shuffling")
    add_out(parser, "cnn_digits_filters.png, cnn_digits_feature_maps.png and cnn_digits_curves.png")
    return parser.parse_args(argv)


def load_images(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 1797 digits as (N, 1, 8, 8) images scaled to [0, 1], split 75/25 stratified as demo.py."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    x_train, x_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)
    return x_train, x_test, y_train.astype(np.int64), y_test.astype(np.int64)


def make_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),    # 16 x 8 x 8
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),   # 32 x 8 x 8
        nn.MaxPool2d(2),                                                  # 32 x 4 x 4
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),   # 64 x 4 x 4
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),                            # 64
        nn.Dropout(0.2), nn.Linear(64, 10))


def shift(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image moved by up to one pixel in each direction (zeros come in): cheap augmentation."""
    padded = np.pad(images, ((0, 0), (0, 0), (1, 1), (1, 1)))
    offsets = rng.integers(0, 3, size=(len(images), 2))
    shifted = np.empty_like(images)
    for dy in range(3):
        for dx in range(3):
            chosen = (offsets[:, 0] == dy) & (offsets[:, 1] == dx)
            shifted[chosen] = padded[chosen, :, dy:dy + 8, dx:dx + 8]
    return shifted


@te.no_grad()
def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    model.eval()
    logits = model(te.from_numpy(x))
    model.train()
    return F.cross_entropy(logits, te.from_numpy(y)).item(), float((logits.argmax(dim=1).numpy() == y).mean())


def train(model: nn.Module, data: tuple, args: argparse.Namespace) -> dict[str, list[float]]:
    x_train, x_test, y_train, y_test = data
    rng = np.random.default_rng(args.seed)
    optimizer = SGD(model.parameters(), lr=args.lr, momentum=0.9)
    steps_per_epoch = len(x_train) // args.batch_size  # full batches only: batch norm on 3 images is noise
    total, step = args.epochs * steps_per_epoch, 0
    history: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "test_accuracy": []}
    for epoch in range(args.epochs):
        order = rng.permutation(len(x_train))
        losses = []
        for step_in_epoch in range(steps_per_epoch):
            batch = order[step_in_epoch * args.batch_size:(step_in_epoch + 1) * args.batch_size]
            for group in optimizer.param_groups:  # cosine learning-rate decay
                group["lr"] = args.lr * 0.5 * (1 + np.cos(np.pi * step / total))
            loss = F.cross_entropy(model(te.from_numpy(shift(x_train[batch], rng))), te.from_numpy(y_train[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            step += 1
        test_loss, accuracy = evaluate(model, x_test, y_test)
        history["train_loss"].append(float(np.mean(losses)))
        history["test_loss"].append(test_loss)
        history["test_accuracy"].append(accuracy)
        print(f"epoch {epoch + 1:3d}: train loss {history['train_loss'][-1]:.4f}, test loss {test_loss:.4f}, "
              f"test accuracy {100 * accuracy:.2f}%")
    return history


def plot_filters(model: nn.Sequential, path: Path) -> None:
    plt = pyplot()
    filters = model[0].weight.detach().numpy()[:, 0]
    fig, axes = plt.subplots(2, 8, figsize=(10, 3.8))
    for k, ax in enumerate(axes.flat):
        limit = np.abs(filters[k]).max()
        ax.imshow(filters[k], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set(xticks=[], yticks=[], title=f"filter {k}")
    fig.suptitle("First-layer 3x3 filters (red: positive weight, blue: negative)")
    save_figure(fig, path)


@te.no_grad()
def plot_feature_maps(model: nn.Sequential, image: np.ndarray, label: int, path: Path) -> None:
    plt = pyplot()
    model.eval()
    maps = model[:3](te.from_numpy(image[None])).numpy()[0]  # after conv, batch norm and ReLU
    model.train()
    fig, axes = plt.subplots(2, 9, figsize=(12, 3.8))
    axes[0, 0].imshow(image[0], cmap="gray_r")
    axes[0, 0].set_title(f"input ({label})")
    axes[1, 0].axis("off")
    for k, ax in enumerate(axes[:, 1:].flat):
        ax.imshow(maps[k], cmap="viridis")
        ax.set_title(f"map {k}", fontsize=9)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
    fig.suptitle("What the 16 first-layer filters respond to in one test digit")
    save_figure(fig, path)


def plot_curves(history: dict[str, list[float]], path: Path) -> None:
    plt = pyplot()
    epochs = np.arange(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(11, 4))
    ax_loss.plot(epochs, history["train_loss"], label="training (shifted images, dropout)")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", yscale="log", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, 100 * np.array(history["test_accuracy"]), color="tab:green")
    ax_acc.axhline(98.5, color="0.5", ls="--", lw=1, label="98.5%")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy (%)", ylim=(90, 100), title="Test accuracy")
    ax_acc.legend()
    for ax in (ax_loss, ax_acc):
        ax.grid(True, alpha=0.3)
    save_figure(fig, path)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    out = output_dir(args.out)
    data = load_images(args.seed)
    te.manual_seed(args.seed)
    model = make_model()
    print(model)
    print(f"{sum(p.numel() for p in model.parameters())} parameters; {len(data[0])} training and "
          f"{len(data[1])} test images")
    history = train(model, data, args)
    paths = [out / "cnn_digits_filters.png", out / "cnn_digits_feature_maps.png", out / "cnn_digits_curves.png"]
    plot_filters(model, paths[0])
    plot_feature_maps(model, data[1][0], int(data[3][0]), paths[1])
    plot_curves(history, paths[2])
    print(f"final test accuracy {100 * history['test_accuracy'][-1]:.2f}%; wrote " + ", ".join(map(str, paths)))
    return {"history": history, "accuracy": history["test_accuracy"][-1], "plots": paths}


if __name__ == "__main__":
    main()
