"""Adagrad: each weight's step shrinks with the sum of its squared gradients so far."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, check_non_negative, check_unsupported


class Adagrad(Optimizer):
    """s = s + g^2;  w = w - lr_t g / (sqrt(s) + eps), with lr_t = lr / (1 + (t - 1) lr_decay)
    and g = grad (+ weight_decay w); s starts at initial_accumulator_value."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None):
        check_unsupported("Adagrad", foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps,
                                      initial_accumulator_value=initial_accumulator_value, maximize=maximize))

    def validate(self, group: dict[str, Any]) -> None:
        check_non_negative("Adagrad", group, "lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if not state:
            state.update(step=0.0, sum=np.full_like(param, group["initial_accumulator_value"]))
        state["step"] = step = state["step"] + 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        state["sum"] += grad * grad
        std = np.sqrt(state["sum"])
        std += group["eps"]
        param -= clr * (grad / std)


__all__ = ["Adagrad"]
