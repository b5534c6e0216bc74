"""Training diagnostics as matplotlib figures (matplotlib is an optional extra).

- `plot_grad_flow(model)`: per parameter, the mean and the largest |gradient| on a log scale: the
  classic check for gradients vanishing towards the input or exploding;
- `ActivationMonitor(model)`: forward hooks on the model's leaf modules collecting the mean, the
  standard deviation and the share of zeros of each output over training; `.plot()` draws them.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..nn.module import Module
from ..tensor import Tensor
from .graph import EXPLODING
from .scopes import install_forward_hooks


def _pyplot(what: str) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError(f"{what} needs matplotlib: pip install matplotlib "
                          "(or the project's 'examples' extra)") from error
    return plt


def plot_grad_flow(model: Module, figsize: tuple[float, float] = (7.0, 3.6)) -> Any:
    """A matplotlib Figure of the mean and max |grad| of each parameter of `model` that has one
    (call it after backward, before zero_grad)."""
    if not isinstance(model, Module):
        raise TypeError(f"plot_grad_flow: expected an nn.Module, got {type(model).__name__}")
    named = [(name, np.abs(p.grad.array)) for name, p in model.named_parameters() if p.grad is not None]
    if not named:
        raise RuntimeError("plot_grad_flow: no parameter of the model has a gradient; call backward() first")
    plt = _pyplot("plot_grad_flow")
    names = [name for name, _ in named]
    means = [max(float(g.mean()), 1e-30) for _, g in named]
    maxima = [max(float(g.max()), 1e-30) for _, g in named]
    fig, ax = plt.subplots(figsize=figsize)
    positions = np.arange(len(names))
    ax.bar(positions, maxima, color="#bcbddc", label="max |grad|")
    ax.bar(positions, means, color="#54278f", width=0.5, label="mean |grad|")
    ax.axhline(EXPLODING, color="#de2d26", lw=0.8, ls="--", label="exploding (1e3)")
    ax.set_yscale("log")
    ax.set_xticks(positions, names, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel("|grad| (log scale)")
    ax.set_title("gradient flow: input layers on the left")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


class ActivationMonitor:
    """Forward hooks on every leaf module of `model` (or on `modules`, a list of names) that record,
    per call, the mean, the standard deviation and the share of exact zeros of the output.

    `stats[name]` lists (mean, std, zeros) per call; `plot()` returns a matplotlib Figure;
    `remove()` (or leaving a `with` block) takes the hooks off.
    """

    def __init__(self, model: Module, modules: list[str] | None = None):
        if not isinstance(model, Module):
            raise TypeError(f"ActivationMonitor: expected an nn.Module, got {type(model).__name__}")
        everything = dict(model.named_modules())
        if modules is None:
            modules = [name for name, m in everything.items() if name and not any(True for _ in m.children())]
        missing = [name for name in modules if name not in everything]
        if missing:
            raise KeyError(f"ActivationMonitor: the model has no modules named {missing}; "
                           f"it has {[n for n in everything if n]}")
        self.stats: dict[str, list[tuple[float, float, float]]] = {name: [] for name in modules}
        names = {id(everything[name]): name for name in modules}

        def record(module: Module, args: Any, output: Any) -> None:
            if isinstance(output, Tensor) and output.array.dtype.kind == "f":
                a = output.array
                self.stats[names[id(module)]].append((float(a.mean()), float(a.std()), float(np.mean(a == 0))))
        self._remove = install_forward_hooks([everything[name] for name in modules], None, record)

    def remove(self) -> None:
        self._remove()

    def __enter__(self) -> ActivationMonitor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()

    def plot(self, figsize: tuple[float, float] = (9.0, 3.2)) -> Any:
        """Mean, standard deviation and share of zeros of each module's output, per call."""
        plt = _pyplot("ActivationMonitor.plot")
        fig, axes = plt.subplots(1, 3, figsize=figsize)
        for name, rows in self.stats.items():
            if rows:
                values = np.array(rows)
                for k, ax in enumerate(axes):
                    ax.plot(values[:, k], label=name)
        for ax, title in zip(axes, ("mean", "standard deviation", "share of zeros")):
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("forward call")
        axes[-1].legend(fontsize=7)
        fig.tight_layout()
        return fig
