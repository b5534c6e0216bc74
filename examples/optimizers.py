"""Optimizers compared: paths over three loss surfaces, loss per step, each learning-rate schedule's
shape, and the digits classifier trained with each optimizer (accuracy and time).

The sequel to the gradient-descent article: the same update w <- w - lr * dL/dw, then momentum,
Nesterov, Adagrad, RMSprop, Adam and AdamW. The surfaces: the article's bowl (the loss of a linear
neuron y = m x + c as a function of its two weights), a long narrow valley, and Rosenbrock's banana.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import _common
import numpy as np

import tinygrad_ed as te
from tinygrad_ed import nn, optim
from tinygrad_ed.optim import lr_scheduler

OPTIMIZERS: dict[str, Callable] = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Nesterov": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9, nesterov=True),
    "Adagrad": lambda p, lr: optim.Adagrad(p, lr=lr),
    "RMSprop": lambda p, lr: optim.RMSprop(p, lr=lr),
    "Adam": lambda p, lr: optim.Adam(p, lr=lr),
    "AdamW": lambda p, lr: optim.AdamW(p, lr=lr, weight_decay=0.1),
}
BOWL_X = np.linspace(-2, 2, 20)
BOWL_Y = 0.5 * BOWL_X + 1 + 0.1 * np.random.default_rng(0).standard_normal(20)


def bowl(w: te.Tensor) -> te.Tensor:
    """The article's bowl: mean squared error of y = m x + c over its data, w = (m, c)."""
    x, y = te.tensor(BOWL_X), te.tensor(BOWL_Y)
    return ((w[0] * x + w[1] - y) ** 2).mean()


def valley(w: te.Tensor) -> te.Tensor:
    """A long narrow valley: 100 times steeper across than along."""
    return 0.05 * w[0] ** 2 + 5 * w[1] ** 2


def rosenbrock(w: te.Tensor) -> te.Tensor:
    """Rosenbrock's banana, minimum 0 at (1, 1) at the end of a curved flat valley."""
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2


# surface, start, view box, learning rate per optimizer (tuned by hand on each surface)
SURFACES = {
    "bowl": (bowl, (-1.5, -1.5), (-2, 2, -2, 2.5),
             dict(SGD=0.3, momentum=0.05, Nesterov=0.05, Adagrad=0.5, RMSprop=0.02, Adam=0.1, AdamW=0.1)),
    "valley": (valley, (-9.0, 1.0), (-10, 10, -2, 2),
               dict(SGD=0.19, momentum=0.05, Nesterov=0.05, Adagrad=1.0, RMSprop=0.05, Adam=0.3, AdamW=0.3)),
    "rosenbrock": (rosenbrock, (-1.5, 2.0), (-2, 2, -1, 3),
                   dict(SGD=1e-3, momentum=2e-4, Nesterov=2e-4, Adagrad=0.2, RMSprop=0.01, Adam=0.05,
                        AdamW=0.05)),
}


def trajectory(loss_fn: Callable, start: tuple, make: Callable, lr: float, steps: int):
    """The points visited and the loss at each step of `steps` updates from `start`."""
    w = te.tensor(start, dtype=te.float64, requires_grad=True)
    opt = make([w], lr)
    points, losses = [w.detach().numpy().copy()], []
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(w)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        points.append(w.detach().numpy().copy())
    return np.array(points), np.array(losses)


def run_surfaces(steps: int) -> dict:
    """Rosenbrock's flat curved valley takes four times as many steps as the others."""
    return {name: {opt: trajectory(fn, start, OPTIMIZERS[opt], lrs[opt], steps * (4 if name == "rosenbrock" else 1))
                   for opt in OPTIMIZERS}
            for name, (fn, start, _, lrs) in SURFACES.items()}


def plot_surfaces(results: dict, path: Path) -> None:
    plt = _common.pyplot()
    fig, axes = plt.subplots(len(SURFACES), 2, figsize=(12, 4.2 * len(SURFACES)))
    for row, (name, (fn, _, (x0, x1, y0, y1), _)) in zip(axes, SURFACES.items()):
        xs, ys = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
        grid = np.array([[fn(te.tensor([x, y])).item() for x, y in zip(rx, ry)] for rx, ry in zip(xs, ys)])
        row[0].contour(xs, ys, np.log10(grid + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
        for opt, (points, losses) in results[name].items():
            row[0].plot(points[:, 0], points[:, 1], ".-", ms=2, lw=1, label=opt)
            row[1].semilogy(np.maximum(losses, 1e-12), label=opt)
        row[0].set(xlim=(x0, x1), ylim=(y0, y1), title=f"{name}: paths over log-loss contours")
        row[1].set(xlabel="step", ylabel="loss", title=f"{name}: loss per step")
        row[0].legend(fontsize=7)
    _common.save_figure(fig, path)


SCHEDULES = {
    "StepLR(10, 0.5)": lambda o: lr_scheduler.StepLR(o, 10, 0.5),
    "MultiStepLR([20, 60])": lambda o: lr_scheduler.MultiStepLR(o, [20, 60], 0.3),
    "ExponentialLR(0.97)": lambda o: lr_scheduler.ExponentialLR(o, 0.97),
    "LinearLR(0.1, 1, 30)": lambda o: lr_scheduler.LinearLR(o, 0.1, 1.0, 30),
    "ConstantLR(0.3, 20)": lambda o: lr_scheduler.ConstantLR(o, 0.3, 20),
    "PolynomialLR(80, 2)": lambda o: lr_scheduler.PolynomialLR(o, 80, 2.0),
    "CosineAnnealingLR(50)": lambda o: lr_scheduler.CosineAnnealingLR(o, 50),
    "WarmRestarts(10, 2)": lambda o: lr_scheduler.CosineAnnealingWarmRestarts(o, 10, 2),
    "CyclicLR(0.1, 1, 15)": lambda o: lr_scheduler.CyclicLR(o, 0.1, 1.0, 15),
    "OneCycleLR(1, 100)": lambda o: lr_scheduler.OneCycleLR(o, 1.0, total_steps=101),
    "warm-up then cosine": lambda o: lr_scheduler.SequentialLR(
        o, [lr_scheduler.LinearLR(o, 0.05, 1.0, 10), lr_scheduler.CosineAnnealingLR(o, 90)], [10]),
}


def schedule_shapes(steps: int = 100) -> dict[str, list[float]]:
    """Each schedule's learning rate at steps 0..steps, from lr = 1 (momentum 0.9 for the cyclic ones)."""
    shapes = {}
    for name, make in SCHEDULES.items():
        opt = optim.SGD([te.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
        scheduler = make(opt)
        lrs = [scheduler.get_last_lr()[0]]
        for _ in range(steps):
            opt.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr()[0])
        shapes[name] = lrs
    return shapes


def plot_schedules(shapes: dict, path: Path) -> None:
    plt = _common.pyplot()
    fig, axes = plt.subplots(3, 4, figsize=(13, 7.5), sharex=True)
    for ax, (name, lrs) in zip(axes.flat, shapes.items()):
        ax.plot(lrs)
        ax.set(title=name, ylim=(0, 1.05))
    axes.flat[-1].axis("off")
    _common.save_figure(fig, path)


DIGITS_LR = dict(SGD=0.1, momentum=0.05, Nesterov=0.05, Adagrad=0.05, RMSprop=1e-3, Adam=2e-3, AdamW=2e-3)


def digits(seed: int = 0):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.25,
                                                        random_state=seed, stratify=data.target)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    return [((x - mean) / std).astype(np.float32) for x in (x_train, x_test)] + [y_train, y_test]


def train_digits(name: str, epochs: int, batch_size: int = 32, seed: int = 0) -> tuple[float, float, list]:
    """Test accuracy, seconds and per-epoch training loss of a 64-64-10 MLP trained with optimizer `name`."""
    x_train, x_test, y_train, y_test = digits()
    te.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = OPTIMIZERS[name](model.parameters(), DIGITS_LR[name])
    loss_fn, order, losses = nn.CrossEntropyLoss(), np.random.default_rng(seed), []
    start = time.perf_counter()
    for _ in range(epochs):
        perm, total = order.permutation(len(x_train)), 0.0
        for i in range(0, len(perm), batch_size):
            rows = perm[i:i + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(te.from_numpy(x_train[rows])), te.from_numpy(y_train[rows]))
            loss.backward()
            opt.step()
            total += loss.item() * len(rows)
        losses.append(total / len(perm))
    seconds = time.perf_counter() - start
    with te.no_grad():
        accuracy = float((model(te.from_numpy(x_test)).numpy().argmax(1) == y_test).mean())
    return accuracy, seconds, losses


def main(argv: list[str] | None = None) -> dict:
    parser = _common.make_parser(__doc__)
    parser.add_argument("--steps", type=int, default=150, help="steps on each loss surface")
    parser.add_argument("--epochs", type=int, default=20, help="epochs of the digits classifier")
    _common.add_out(parser, "the pictures")
    args = parser.parse_args(argv)
    out = _common.output_dir(args.out)
    surfaces = run_surfaces(args.steps)
    plot_surfaces(surfaces, out / "optimizers_paths.png")
    shapes = schedule_shapes()
    plot_schedules(shapes, out / "lr_schedules.png")
    plt = _common.pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    classifier = {}
    for name in OPTIMIZERS:
        accuracy, seconds, losses = train_digits(name, args.epochs)
        classifier[name] = dict(accuracy=accuracy, seconds=seconds, final_loss=losses[-1])
        ax.semilogy(range(1, args.epochs + 1), losses, label=f"{name} ({accuracy:.1%})")
        print(f"{name:9s} test accuracy {accuracy:.3f}  {seconds:.2f} s  final training loss {losses[-1]:.4f}")
    ax.set(xlabel="epoch", ylabel="training loss", title="digits: a 64-64-10 MLP with each optimizer")
    ax.legend()
    _common.save_figure(fig, out / "optimizers_digits.png")
    final = {surface: {opt: float(losses[-1]) for opt, (_, losses) in runs.items()}
             for surface, runs in surfaces.items()}
    return dict(final_loss=final, classifier=classifier, schedules=shapes)


if __name__ == "__main__":
    main()
