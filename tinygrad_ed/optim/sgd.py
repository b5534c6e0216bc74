"""Stochastic gradient descent: w <- w - lr * dL/dw, with momentum, dampening, Nesterov, weight decay."""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from .optimizer import Optimizer, check_unsupported, check_non_negative


class SGD(Optimizer):
    """torch's SGD, the same update in the same order:
    g = grad (+ weight_decay * w);  b = momentum * b + (1 - dampening) * g  (b = g on the first step);
    g = g + momentum * b (Nesterov) or b;  w = w - lr * g."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None):
        check_unsupported("SGD", foreach=foreach, differentiable=differentiable, fused=fused)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize))

    def validate(self, group: dict[str, Any]) -> None:
        check_non_negative("SGD", group, "lr", "momentum", "weight_decay")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")

    def update(self, param: np.ndarray, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]) -> None:
        if group["maximize"]:
            grad = -grad
        weight_decay = group["weight_decay"]
        if weight_decay:
            grad = grad + weight_decay * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(grad, dtype=param.dtype)
            else:
                buf *= momentum
                dampening = group["dampening"]
                buf += grad if dampening == 0 else (1 - dampening) * grad
            grad = grad + momentum * buf if group["nesterov"] else buf
        work = self.scratch(param)  # None for a small array: then `grad * lr` (an out=None costs more)
        param -= grad * group["lr"] if work is None else np.multiply(grad, group["lr"], out=work)

__all__ = ["SGD"]
