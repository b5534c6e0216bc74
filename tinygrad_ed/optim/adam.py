"""Adam and AdamW: one update, the weight decay coupled (added to the gradient) or decoupled (AdamW)."""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, check_betas, check_non_negative, check_unsupported, decayed_gradient


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  w = w - lr m/(1 - b1^t) / (sqrt(v/(1 - b2^t)) + eps),
    with g = grad + weight_decay * w (Adam) or w = w (1 - lr weight_decay) first (AdamW);
    amsgrad uses the running maximum of v."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None, decoupled_weight_decay: bool = False):
        check_unsupported(type(self).__name__, foreach=foreach, capturable=capturable,
                          differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def validate(self, group: dict[str, Any]) -> None:
        name = type(self).__name__
        check_non_negative(name, group, "lr", "eps", "weight_decay")
        check_betas(name, group["betas"])

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        if not state:
            state.update(step=0.0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] = step = state["step"] + 1
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        grad = decayed_gradient(param, grad, group)
        work = self.scratch(param)
        exp_avg += np.multiply(np.subtract(grad, exp_avg, out=work), 1 - beta1, out=work)   # lerp towards g
        exp_avg_sq *= beta2
        exp_avg_sq += np.multiply(np.multiply(grad, grad, out=work), 1 - beta2, out=work)
        second = exp_avg_sq
        if group["amsgrad"]:
            second = np.maximum(state["max_exp_avg_sq"], exp_avg_sq, out=state["max_exp_avg_sq"])
        denom = np.sqrt(second, out=work)
        denom /= math.sqrt(1 - beta2 ** step)
        denom += group["eps"]
        param -= np.multiply(np.divide(exp_avg, denom, out=work), lr / (1 - beta1 ** step), out=work)


class AdamW(Adam):
    """Adam with decoupled weight decay: w = w (1 - lr weight_decay) before Adam's step."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


__all__ = ["Adam", "AdamW"]
