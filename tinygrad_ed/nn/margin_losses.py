"""Margin and embedding losses (hinge-style: zero once a margin is met) and their Modules.

Composed of primitive Tensor ops like every loss (see losses.py): gradients come from backpropagation.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..ops.elementwise import minimum, where
from ..checks import check_tensor
from ..tensor import Tensor
from .activations import log1p_exp, logsigmoid
from .functional_ops import pairwise_distance
from .losses import Loss, check_reduction, reduce_loss


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """torch's deprecated size_average/reduce arguments, turned into a reduction (with torch's warning)."""
    if size_average is None and reduce is None:
        return reduction
    if reduce is False:
        reduction = "none"
    else:
        reduction = "sum" if size_average is False else "mean"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{reduction}' instead.",
                  UserWarning, stacklevel=3)
    return reduction


def _tensors(*values: Any) -> list[Tensor]:
    return [v if isinstance(v, Tensor) else Tensor(v) for v in values]


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where y = -1."""
    check_tensor(input1, "margin_ranking_loss", "input1", 1)
    check_tensor(input2, "margin_ranking_loss", "input2", 2)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "margin_ranking_loss")
    input1, input2, target = _tensors(input1, input2, target)
    return reduce_loss((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def soft_margin_loss(input: Tensor, target: Any, size_average: bool | None = None, reduce: bool | None = None,
                     reduction: str = "mean") -> Tensor:
    """log(1 + e^(-y x)) for targets y of +-1 (finite even where torch's overflows to inf)."""
    check_tensor(input, "soft_margin_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "soft_margin_loss")
    input, target = _tensors(input, target)
    return reduce_loss(log1p_exp(-input * target), reduction)


def hinge_embedding_loss(input: Tensor, target: Any, margin: float = 1.0, size_average: bool | None = None,
                         reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is a distance)."""
    check_tensor(input, "hinge_embedding_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "hinge_embedding_loss")
    input, target = _tensors(input, target)
    # as torch: a target other than +-1 gets both terms
    losses = where(target != 1, (margin - input).clamp(min=0), 0.0) + where(target != -1, input, 0.0)
    return reduce_loss(losses, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Any, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (cosine along the last dim)."""
    check_tensor(input1, "cosine_embedding_loss", "input1", 1)
    check_tensor(input2, "cosine_embedding_loss", "input2", 2)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "cosine_embedding_loss")
    input1, input2, target = _tensors(input1, input2, target)
    if input1.ndim not in (1, 2) or input1.shape != input2.shape or target.ndim != input1.ndim - 1:
        raise RuntimeError(f"cosine_embedding_loss: expected 1D or 2D inputs of one shape and a target with one "
                           f"dimension fewer, got {input1.shape}, {input2.shape} and target {target.shape}")
    eps = 1e-12  # torch's: keeps the denominator positive for zero vectors
    dim = input1.ndim - 1
    squares = ((input1 * input1).sum(dim) + eps) * ((input2 * input2).sum(dim) + eps)
    cos = (input1 * input2).sum(dim) / squares.sqrt()
    losses = where(target == 1, 1 - cos, 0.0) + where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return reduce_loss(losses, reduction)


def multi_margin_loss(input: Tensor, target: Any, p: int = 1, margin: float = 1.0, weight: Any = None,
                      size_average: bool | None = None, reduce: bool | None = None,
                      reduction: str = "mean") -> Tensor:
    """The multi-class SVM loss: sum over classes i != y of max(0, margin - x[y] + x[i])^p, divided by the
    number of classes C (and scaled by weight[y] if given). Input (N, C) or (C,); targets class indices."""
    check_tensor(input, "multi_margin_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    input, target = _tensors(input, target)
    if input.ndim not in (1, 2) or target.ndim != input.ndim - 1 or (input.ndim == 2 and
                                                                    target.shape[0] != input.shape[0]):
        raise RuntimeError(f"multi_margin_loss: expected input (N, C) or (C,) and target (N,) or (), got input "
                           f"{input.shape} and target {target.shape}")
    if target.dtype.kind not in "iu":
        raise RuntimeError(f"multi_margin_loss: target must hold class indices (integers), got {target.dtype}")
    rows = input if input.ndim == 2 else input.reshape(1, -1)
    labels = target.array.reshape(-1)
    classes = rows.shape[1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError(f"multi_margin_loss: target out of range (targets must be in 0..{classes - 1})")
    picked = rows[np.arange(rows.shape[0]), labels].reshape(-1, 1)
    hinge = (rows - picked + margin).relu()
    terms = hinge if p == 1 else hinge * hinge
    others = labels[:, None] != np.arange(classes)  # the target class itself does not count
    scale = others.astype(input.dtype)
    if weight is not None:
        weights = np.asarray(weight.array if isinstance(weight, Tensor) else weight, dtype=input.dtype)
        scale = scale * weights[labels][:, None]
    losses = (terms * Tensor._make(scale)).sum(1) / classes
    return reduce_loss(losses if input.ndim == 2 else losses.reshape(()), reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-6, swap: bool = False, size_average: bool | None = None,
                        reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """max(0, margin + d(a, positive) - d(a, negative)), d the p-norm distance; swap=True uses the smaller
    of d(a, negative) and d(positive, negative)."""
    check_tensor(anchor, "triplet_margin_loss", "anchor", 1)
    check_tensor(positive, "triplet_margin_loss", "positive", 2)
    check_tensor(negative, "triplet_margin_loss", "negative", 3)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "triplet_margin_loss")
    anchor, positive, negative = _tensors(anchor, positive, negative)
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise RuntimeError(f"triplet_margin_loss: anchor, positive and negative must have the same number of "
                           f"dimensions, got {anchor.ndim}, {positive.ndim} and {negative.ndim}")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return reduce_loss((to_positive - to_negative + margin).clamp(min=0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function: Callable[[Tensor, Tensor], Tensor] | None = None,
                                      margin: float = 1.0, swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss with any distance (pairwise_distance by default)."""
    check_tensor(anchor, "triplet_margin_with_distance_loss", "anchor", 1)
    check_tensor(positive, "triplet_margin_with_distance_loss", "positive", 2)
    check_tensor(negative, "triplet_margin_with_distance_loss", "negative", 3)
    check_reduction(reduction, "triplet_margin_with_distance_loss")
    distance = pairwise_distance if distance_function is None else distance_function
    to_positive, to_negative = distance(anchor, positive), distance(anchor, negative)
    if swap:
        to_negative = minimum(to_negative, distance(positive, negative))
    return reduce_loss((to_positive - to_negative + margin).clamp(min=0), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Any, weight: Any = None, size_average: bool | None = None,
                                reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of sigmoid(input) per class against 0/1 targets, averaged over the classes
    (the last dimension), optionally weighted per class."""
    check_tensor(input, "multilabel_soft_margin_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "multilabel_soft_margin_loss")
    input, target = _tensors(input, target)
    losses = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses.mean(-1), reduction)


def multilabel_margin_loss(input: Tensor, target: Any, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """sum over target classes j and other classes i of max(0, 1 - (x[j] - x[i])), divided by the number
    of classes. Each row of target lists class indices, ended by the first -1."""
    check_tensor(input, "multilabel_margin_loss", "input", 1)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(reduction, "multilabel_margin_loss")
    input, target = _tensors(input, target)
    if input.ndim not in (1, 2) or target.shape != input.shape:
        raise RuntimeError(f"multilabel_margin_loss: expected input (N, C) or (C,) and a target of the same shape, "
                           f"got {input.shape} and {target.shape}")
    rows = input if input.ndim == 2 else input.reshape(1, -1)
    labels = target.array.reshape(rows.shape)
    classes = rows.shape[1]
    if ((labels < -1) | (labels >= classes)).any():
        raise RuntimeError(f"multilabel_margin_loss: target values must be in -1..{classes - 1}")
    listed = np.cumprod(labels != -1, axis=1).astype(bool)  # entries before each row's first -1
    is_target = np.zeros(rows.shape, dtype=bool)
    is_target[np.nonzero(listed)[0], labels[listed]] = True
    pairs = is_target[:, :, None] & ~is_target[:, None, :]  # (n, j target, i not target)
    hinge = (1 - (rows.unsqueeze(2) - rows.unsqueeze(1))).relu()
    losses = (hinge * Tensor._make(pairs.astype(input.dtype))).sum((1, 2)) / classes
    return reduce_loss(losses if input.ndim == 2 else losses.reshape(()), reduction)


class _LegacyLoss(Loss):
    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(legacy_reduction(size_average, reduce, reduction))


class MarginRankingLoss(_LegacyLoss):
    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class SoftMarginLoss(_LegacyLoss):
    def forward(self, input: Tensor, target: Any) -> Tensor:
        return soft_margin_loss(input, target, reduction=self.reduction)


class HingeEmbeddingLoss(_LegacyLoss):
    def __init__(self, margin: float = 1.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_LegacyLoss):
    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Any) -> Tensor:
        return cosine_embedding_loss(input1, input2, target, self.margin, reduction=self.reduction)


class MultiMarginLoss(_LegacyLoss):
    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError("MultiMarginLoss: only p == 1 and p == 2 supported")
        self.p, self.margin, self.weight = p, margin, weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return multi_margin_loss(input, target, self.p, self.margin, self.weight, reduction=self.reduction)


class TripletMarginLoss(_LegacyLoss):
    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_loss(anchor, positive, negative, self.margin, self.p, self.eps, self.swap,
                                   reduction=self.reduction)


class TripletMarginWithDistanceLoss(Loss):
    def __init__(self, *, distance_function: Callable[[Tensor, Tensor], Tensor] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean"):
        super().__init__(reduction)
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                 margin=self.margin, swap=self.swap, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_LegacyLoss):
    def __init__(self, weight: Any = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean"):
        super().__init__(size_average, reduce, reduction)
        self.weight = weight

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_LegacyLoss):
    def forward(self, input: Tensor, target: Any) -> Tensor:
        return multilabel_margin_loss(input, target, reduction=self.reduction)
