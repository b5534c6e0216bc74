"""Stateless functions: activations, linear, dropout, and every loss (see losses.py)."""
from __future__ import annotations

import numbers
from typing import Any

from ..ops.elementwise import Mul
from ..ops.matmul import linear
from ..ops.reduce import log_softmax, softmax
from ..random import generator
from ..tensor import Tensor
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
                     mse_loss, nll_loss, smooth_l1_loss)
from . import functional_layers
from .functional_layers import *  # noqa: F401,F403  (convolution, pooling, normalisation, embedding, attention)


def relu(x: Tensor) -> Tensor:
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    _check_probability(p, "dropout")
    if not training or p == 0.0:
        return x
    keep = generator().random(x.shape) >= p
    scale = keep.astype(x.dtype) * x.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return Mul.apply(x, Tensor._make(scale))


def _check_probability(p: Any, op: str) -> None:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")


__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout", "l1_loss", "mse_loss",
           "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits"]
__all__ += functional_layers.__all__
