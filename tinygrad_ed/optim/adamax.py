"""Adamax: Adam with the infinity norm (a running maximum of |g|) in place of the root mean square."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, check_betas, check_non_negative, check_unsupported


class Adamax(Optimizer):
    """m = b1 m + (1 - b1) g;  u = max(b2 u, |g| + eps);  w = w - lr / (1 - b1^t) m / u,
    with g = grad (+ weight_decay w)."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False):
        check_unsupported("Adamax", foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def validate(self, group: dict[str, Any]) -> None:
        check_non_negative("Adamax", group, "lr", "eps", "weight_decay")
        check_betas("Adamax", group["betas"])

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0.0, exp_avg=np.zeros_like(param), exp_inf=np.zeros_like(param))
        state["step"] = step = state["step"] + 1
        if group["maximize"]:
            grad = -grad
        if group["weight_decay"]:
            grad = grad + group["weight_decay"] * param
        exp_avg, exp_inf = state["exp_avg"], state["exp_inf"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad) + group["eps"], out=exp_inf)
        param -= group["lr"] / (1 - beta1 ** step) * (exp_avg / exp_inf)


__all__ = ["Adamax"]
