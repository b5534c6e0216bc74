"""Loss functions and their Modules.

Every loss is composed of primitive Tensor ops: none has a backward of its
own, so its gradient comes from backpropagation through the graph it records
(draw_graph(loss) shows those ops).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..autograd.broadcast import broadcasts_to
from ..checks import check_tensor
from ..errors import ShapeError
from ..ops.elementwise import where
from ..ops.index import GetItem
from ..tensor import Tensor
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_reduction(reduction: Any, op: str) -> None:
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction={reduction!r} is not one of {REDUCTIONS}")


def _check(input: Any, target: Any, reduction: str, op: str) -> tuple[Tensor, Tensor]:
    if not (isinstance(input, Tensor) and isinstance(target, Tensor)):  # inline: every training step passes here
        check_tensor(input, op, "input", 1)
        check_tensor(target, op, "target", 2)
    _check_reduction(reduction, op)
    return input, target


def _check_regression(input: Any, target: Any, reduction: str, op: str) -> tuple[Tensor, Tensor]:
    """As torch: a target of another shape broadcasts with the input, with torch's warning (a column of
    predictions against a row of targets gives a matrix of differences, rarely what was meant)."""
    input, target = _check_same_kind(input, target, reduction, op)
    if input.shape != target.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ShapeError(f"{op}: target shape {target.shape} does not broadcast with input shape "
                             f"{input.shape}") from None
        warnings.warn(f"{op}: Using a target size ({target.shape}) that is different to the input size "
                      f"({input.shape}). This will likely lead to incorrect results due to broadcasting. "
                      "Please ensure they have the same size.", UserWarning, stacklevel=3)
    return input, target


def _check_same_kind(input: Any, target: Any, reduction: str, op: str) -> tuple[Tensor, Tensor]:
    input, target = _check(input, target, reduction, op)
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got {input.dtype}")
    return input, target


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input - target|: robust to outliers."""
    input, target = _check_regression(input, target, reduction, "l1_loss")
    return _reduce((input - target).abs(), reduction)


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """Mean squared error (input - target)^2: stresses large errors."""
    input, target = _check_regression(input, target, reduction, "mse_loss")
    diff = input - target
    return _reduce(diff * diff, reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta): squared for small errors, absolute for large."""
    input, target = _check_regression(input, target, reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _reduce(_huber(input - target, delta), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Huber loss divided by beta (torch's SmoothL1Loss); beta = 0 gives L1."""
    input, target = _check_regression(input, target, reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    diff = input - target
    return _reduce(diff.abs(), reduction) if beta == 0 else _reduce(_huber(diff, beta), reduction) / beta


def _huber(diff: Tensor, delta: float) -> Tensor:
    size = diff.abs()
    return where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
             reduction: str = "mean") -> Tensor:
    """-input[n, target[n]] (input holds log-probabilities), optionally class-weighted.

    Input (N, C) or (N, C, d1, ...) or unbatched (C,); targets are class indices.
    'mean' divides by the summed weights of the non-ignored targets, as in torch.
    """
    input, target = _check(input, target, reduction, "nll_loss")
    if input.dtype.kind != "f":
        raise TypeError(f"nll_loss: input (log-probabilities) must be floating point, got {input.dtype}")
    picked, weights = _pick_targets(input, target, weight, ignore_index, "nll_loss")
    return _nll(picked, weights, reduction)


def _pick_targets(log_probs: Tensor, target: Tensor, weight: Any, ignore_index: int,
                  op: str) -> tuple[Tensor, np.ndarray | None]:
    """log_probs at each target class, shaped like target, and each target's weight (0 if ignored)."""
    classes = _num_classes(log_probs, op)
    expected = _index_target_shape(log_probs)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: class-index targets must be integers, got {target.dtype} "
                        f"(probability targets must have the input's shape {log_probs.shape})")
    if target.shape != expected:
        raise ShapeError(f"{op}: target shape {target.shape} does not match input shape {log_probs.shape} "
                         f"(expected {expected})")
    labels = target.array
    if weight is None and _all_counted(labels, classes, ignore_index):
        weights = None  # the common case: every target counts once
    else:
        ignored = labels == ignore_index
        bad = (labels < 0) | (labels >= classes)
        bad &= ~ignored
        if bad.any():
            raise IndexError(f"{op}: target {labels[bad].flat[0]} is out of bounds for {classes} classes "
                             f"(valid: 0 to {classes - 1}, or ignore_index={ignore_index})")
        class_weights = _class_weights(weight, classes, log_probs.dtype, op)
        labels = np.where(ignored, 0, labels)  # any valid class: its weight is 0
        weights = np.where(ignored, 0, class_weights[labels]).astype(log_probs.dtype)
    rows = _classes_last(log_probs)
    rows = rows if rows.ndim == 2 else rows.reshape(labels.size, classes)  # not -1: classes may be 0
    # one distinct row per target, so the gradient needs no accumulation (advanced=False)
    picked = GetItem.apply(rows, index=(np.arange(rows.shape[0]), labels.reshape(-1)), advanced=False)
    return picked.reshape(labels.shape), weights


def _all_counted(labels: np.ndarray, classes: int, ignore_index: int) -> bool:
    """True when every label is a valid class and none is ignored (the common, fast case)."""
    if not labels.size or labels.min() < 0 or labels.max() >= classes:
        return False
    return not (0 <= ignore_index < classes and (labels == ignore_index).any())


def _nll(picked: Tensor, weights: np.ndarray | None, reduction: str) -> Tensor:
    """-picked, weighted per target, reduced (the sign folds into 'mean''s division: one node less)."""
    weighted = picked if weights is None else picked * Tensor._make(weights)
    if reduction == "none":
        return -weighted
    if reduction == "sum":
        return -weighted.sum()
    return _reduce_weighted(weighted, weights, "mean", sign=-1.0)


def _reduce_weighted(losses: Tensor, weights: np.ndarray | None, reduction: str, sign: float = 1.0) -> Tensor:
    """'mean' divides by the summed weights of the counted targets, as in torch; when that sum is 0
    (every target ignored) the loss is nan with zero gradients, as in torch, not nan ones."""
    if reduction != "mean":
        return _reduce(losses, reduction)
    total = float(losses.array.size if weights is None else weights.sum())
    return losses.sum() / (sign * total) if total else losses.sum() + float("nan")


def _num_classes(input: Tensor, op: str) -> int:
    if input.ndim == 0:
        raise ShapeError(f"{op}: input must have a class dimension, got a 0-d tensor")
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    if classes == 0:  # torch gives nan or an IndexError, depending on the targets
        raise ShapeError(f"{op}: input of shape {input.shape} has no classes")
    return classes


def _index_target_shape(input: Tensor) -> tuple[int, ...]:
    return () if input.ndim == 1 else (input.shape[0],) + input.shape[2:]


def _classes_last(input: Tensor) -> Tensor:
    if input.ndim <= 2:
        return input
    return input.permute(0, *range(2, input.ndim), 1)


def _class_weights(weight: Any, classes: int, dtype: np.dtype, op: str) -> np.ndarray:
    if weight is None:
        return np.ones(classes, dtype)
    check_tensor(weight, op, "weight", 3)
    weights = weight.array.astype(dtype, copy=False)
    if weights.shape != (classes,):
        raise ShapeError(f"{op}: weight must have shape ({classes},), one per class, got {weights.shape}")
    return weights


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy between logits and targets: -sum_c y_c log softmax(input)_c.

    `input` holds logits (N, C), (N, C, d1, ...) or (C,); `target` either class
    indices (integers, shape without C) or class probabilities (input's shape).
    Goes through a stable log-softmax, so logits of 1e3 give finite losses.
    """
    input, target = _check(input, target, reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}")
    if input.dtype.kind != "f":
        raise TypeError(f"cross_entropy: input (logits) must be floating point, got {input.dtype}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = _num_classes(input, "cross_entropy")
    log_probs = input.log_softmax(class_dim)
    index_shape = _index_target_shape(input)
    if target.dtype.kind == "f":
        if target.shape == index_shape:
            raise TypeError(f"cross_entropy: class-index targets must be integers, got {target.dtype} "
                            f"(probability targets have the input's shape {input.shape})")
        return _cross_entropy_probabilities(log_probs, target, weight, reduction, label_smoothing, class_dim)
    if target.shape == input.shape:
        raise TypeError(f"cross_entropy: probability targets must be floating point, got {target.dtype} "
                        f"(class-index targets have shape {index_shape})")
    picked, weights = _pick_targets(log_probs, target, weight, ignore_index, "cross_entropy")
    if label_smoothing == 0:
        return _nll(picked, weights, reduction)
    # the uniform part: every class's -log p, weighted, masked where the target is ignored
    class_weights = _class_weights(weight, classes, input.dtype, "cross_entropy")
    smooth = -(log_probs * Tensor._make(_along(class_weights, input.ndim, class_dim))).sum(class_dim)
    smooth = smooth * Tensor._make((target.array != ignore_index).astype(input.dtype))
    losses = _nll(picked, weights, "none") * (1 - label_smoothing) + smooth * (label_smoothing / classes)
    return _reduce_weighted(losses, weights, reduction)


def _cross_entropy_probabilities(log_probs: Tensor, target: Tensor, weight: Any, reduction: str,
                                 label_smoothing: float, class_dim: int) -> Tensor:
    if target.shape != log_probs.shape:
        raise ShapeError(f"cross_entropy: probability targets must have the input's shape {log_probs.shape}, "
                         f"got {target.shape} (class-index targets must be integers)")
    classes = log_probs.shape[class_dim]
    if label_smoothing > 0:
        target = target * (1 - label_smoothing) + label_smoothing / classes
    if weight is not None:
        class_weights = _class_weights(weight, classes, log_probs.dtype, "cross_entropy")
        target = target * Tensor._make(_along(class_weights, log_probs.ndim, class_dim))
    losses = -(log_probs * target).sum(class_dim)
    return _reduce(losses, reduction)  # 'mean' divides by the number of samples, as torch


def _along(values: np.ndarray, ndim: int, dim: int) -> np.ndarray:
    """A 1-D array shaped to broadcast along dimension `dim` of an `ndim`-D tensor."""
    shape = [1] * ndim
    shape[dim] = values.shape[0]
    return values.reshape(shape)


def _log_clamped(p: Tensor) -> Tensor:
    """log p, but never below -100 and with a finite gradient at p = 0 (torch clamps BCE's log like this)."""
    tiny = float(np.finfo(p.dtype).smallest_subnormal)
    return p.clamp(min=tiny).log().clamp(min=-100.0)


def _check_binary(input: Any, target: Any, reduction: str, op: str, **weights: Any) -> tuple[Any, ...]:
    """Input and target of one shape, the targets probabilities (floats); returns input, target and
    each weight as a Tensor (or None) that broadcasts to the input."""
    input, target = _check_same_kind(input, target, reduction, op)
    if input.shape != target.shape:  # torch raises here, where the regression losses broadcast
        raise ShapeError(f"{op}: target shape {target.shape} differs from input shape {input.shape}")
    if target.dtype.kind != "f":
        raise TypeError(f"{op}: target must hold probabilities (floating point), got {target.dtype}")
    checked = []
    for (name, w), position in zip(weights.items(), (3, 5)):  # weight, pos_weight: their places in the signature
        if w is not None:
            check_tensor(w, op, name, position)
            if not broadcasts_to(w.shape, input.shape):
                raise ShapeError(f"{op}: {name} of shape {w.shape} cannot be broadcast to the input shape "
                                 f"{input.shape}")
        checked.append(w)
    return (input, target, *checked)


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         reduction: str = "mean") -> Tensor:
    """-(y log p + (1 - y) log(1 - p)) for probabilities p, with logs clamped at -100 as torch does."""
    input, target, weight = _check_binary(input, target, reduction, "binary_cross_entropy", weight=weight)
    if input.array.size and not (input.array.min() >= 0 and input.array.max() <= 1):  # NaN fails too, as in torch
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                         "(use binary_cross_entropy_with_logits for raw scores)")
    losses = -(target * _log_clamped(input) + (1 - target) * _log_clamped(1 - input))
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                     reduction: str = "mean", pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of sigmoid(input), computed stably from the logits.

    Computes log(1 + e^-x) with the log-sum-exp shift, finite for logits of any size.
    """
    input, target, weight, pos_weight = _check_binary(input, target, reduction,
                                                      "binary_cross_entropy_with_logits", weight=weight,
                                                      pos_weight=pos_weight)
    # log(1 + e^-x) = m + log(e^-m + e^(-x-m)) with m = max(-x, 0): finite for logits of any size, and its
    # gradient does not depend on m's, so it is right at x = 0 too (m + log(1 + e^-|x|) gives 1 - y there)
    shift = (-input).relu()
    softplus_neg = shift + ((-shift).exp() + (-input - shift).exp()).log()
    if pos_weight is None:
        losses = (1 - target) * input + softplus_neg
    else:
        log_weight = (pos_weight - 1) * target + 1
        losses = (1 - target) * input + log_weight * softplus_neg
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


class _Loss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class L1Loss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, self.reduction)


class MSELoss(_Loss):
    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return mse_loss(input, target, self.reduction)


class HuberLoss(_Loss):
    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)


class SmoothL1Loss(_Loss):
    def __init__(self, reduction: str = "mean", beta: float = 1.0):
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class NLLLoss(_Loss):
    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)


class CrossEntropyLoss(_Loss):
    def __init__(self, weight: Any = None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction, self.label_smoothing)


class BCELoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    def __init__(self, weight: Any = None, reduction: str = "mean", pos_weight: Any = None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


# -- shared with the other loss families (margin_losses.py) ------------------------------------------
Loss = _Loss
reduce_loss = _reduce
check_reduction = _check_reduction
