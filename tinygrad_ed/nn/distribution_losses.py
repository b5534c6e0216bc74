"""Losses between distributions (KL divergence) and negative log-likelihoods (Poisson, Gaussian), with
their Modules. Composed of primitive Tensor ops like every loss (see losses.py)."""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..ops.elementwise import where
from ..checks import check_tensor
from ..creation import tensor
from ..tensor import Tensor
from .losses import Loss, check_reduction, reduce_loss
from .margin_losses import legacy_reduction


def _xlogx(t: Tensor) -> Tensor:
    """t log t, 0 where t = 0 (torch's xlogy(t, t))."""
    zero = t == 0
    return where(zero, 0.0, t * where(zero, 1.0, t).log())


def kl_div(input: Tensor, target: Any, size_average: bool | None = None, reduce: bool | None = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL(target || exp(input)) pointwise: target (log target - input); input holds log-probabilities.

    reduction='batchmean' divides the sum by the batch size (the mathematical KL divergence);
    'mean' divides by the number of elements, and warns as torch does.
    """
    check_tensor(input, "kl_div", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    if reduction != "batchmean":
        check_reduction(reduction, "kl_div")
    if not isinstance(target, Tensor):
        target = tensor(target)
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      UserWarning, stacklevel=2)
    if log_target:
        losses = target.exp() * (target - input)
    else:
        losses = _xlogx(target) - target * input
    if reduction == "batchmean":
        total = losses.sum()
        return total / losses.shape[0] if losses.ndim else total
    return reduce_loss(losses, reduction)


def poisson_nll_loss(input: Tensor, target: Any, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target ~ Poisson(rate): exp(input) - target * input for log-rates
    (log_input=True), else input - target * log(input + eps); full=True adds Stirling's approximation
    of log(target!) where target > 1."""
    check_tensor(input, "poisson_nll_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "poisson_nll_loss")
    if not isinstance(target, Tensor):
        target = tensor(target)
    losses = input.exp() - target * input if log_input else input - target * (input + eps).log()
    if full:
        counted = target > 1
        safe = where(counted, target, 1.0)
        stirling = safe * safe.log() - safe + (safe * (2 * math.pi)).log() * 0.5
        losses = losses + where(counted, stirling, 0.0)
    return reduce_loss(losses, reduction)


def gaussian_nll_loss(input: Tensor, target: Any, var: Any, full: bool = False, eps: float = 1e-6,
                      reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of target ~ Normal(input, var): 0.5 (log var + (input - target)^2 / var),
    plus 0.5 log(2 pi) if full. var has input's shape, or one fewer trailing dimension, or a last
    dimension of 1 (one variance shared by a row), or is a number; it is clamped below at eps (values
    only, as torch: the gradient is the unclamped one)."""
    check_tensor(input, "gaussian_nll_loss", "input", 1)
    if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not valid")
    if not isinstance(target, Tensor):
        target = tensor(target)
    if not isinstance(var, Tensor):
        var = Tensor._make(np.full(input.shape, var, dtype=input.dtype))
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = var.unsqueeze(-1)
        elif not (input.shape[:-1] == var.shape[:-1] and var.ndim and var.shape[-1] == 1):
            raise ValueError(f"gaussian_nll_loss: var is of incorrect size ({var.shape} for input {input.shape})")
    if (var.array < 0).any():
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    var = var + Tensor._make(np.maximum(var.array, eps) - var.array)
    diff = input - target
    losses = (var.log() + diff * diff / var) * 0.5
    if full:
        losses = losses + 0.5 * math.log(2 * math.pi)
    return reduce_loss(losses, reduction)


class KLDivLoss(Loss):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False):
        reduction = legacy_reduction(size_average, reduce, reduction)
        super().__init__("mean" if reduction == "batchmean" else reduction)
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(Loss):
    def __init__(self, log_input: bool = True, full: bool = False, size_average: bool | None = None,
                 eps: float = 1e-8, reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(legacy_reduction(size_average, reduce, reduction))
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input: Tensor, target: Any) -> Tensor:
        return poisson_nll_loss(log_input, target, self.log_input, self.full, eps=self.eps,
                                reduction=self.reduction)


class GaussianNLLLoss(Loss):
    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean"):
        super().__init__(reduction)
        self.full, self.eps = full, eps

    def forward(self, input: Tensor, target: Any, var: Any) -> Tensor:
        return gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)
