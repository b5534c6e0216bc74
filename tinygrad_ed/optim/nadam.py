"""NAdam: Adam with Nesterov momentum (the step looks ahead by the next momentum factor)."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, check_betas, check_non_negative, check_unsupported, decayed_gradient


class NAdam(Optimizer):
    """mu_t = b1 (1 - 0.96^(t psi) / 2) with psi = momentum_decay; m, v as Adam;
    w = w - lr (1 - mu_t) / (1 - prod mu) g / d - lr mu_{t+1} / (1 - prod mu * mu_{t+1}) m / d,
    d = sqrt(v / (1 - b2^t)) + eps; weight decay added to g, or decoupled (w = w (1 - lr weight_decay))."""

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False):
        check_unsupported("NAdam", foreach=foreach, capturable=capturable, differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def validate(self, group: dict[str, Any]) -> None:
        check_non_negative("NAdam", group, "lr", "eps", "weight_decay", "momentum_decay")
        check_betas("NAdam", group["betas"])

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state.update(step=0.0, mu_product=1.0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] = step = state["step"] + 1
        grad = decayed_gradient(param, grad, group)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        state["mu_product"] = mu_product = state["mu_product"] * mu
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        exp_avg += (1 - beta1) * (grad - exp_avg)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * grad * grad
        denom = np.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denom += group["eps"]
        param -= lr * (1 - mu) / (1 - mu_product) * (grad / denom)
        param -= lr * mu_next / (1 - mu_product * mu_next) * (exp_avg / denom)


__all__ = ["NAdam"]
