"""Stateless functions: activations, linear, dropout, and every loss (see losses.py)."""
from __future__ import annotations

from ..checks import check_probability, check_tensor
from ..ops.elementwise import Mul
from ..ops.matmul import linear
from ..random import generator
from ..tensor import Tensor
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, huber_loss, l1_loss,
                     mse_loss, nll_loss, smooth_l1_loss)
# -- torch's wider functional set: activations, padding and distances, more losses ---------------------
from .activations import (celu, elu, gelu, glu, hardshrink, hardsigmoid, hardswish, hardtanh, leaky_relu,
                          log_softmax, logsigmoid, mish, prelu, relu6, selu, silu, softmax, softmin, softplus,
                          softshrink, softsign, tanhshrink, threshold)
from .activations import celu_, elu_, hardtanh_, leaky_relu_, relu_, selu_, threshold_
from .functional_ops import cosine_similarity, normalize, one_hot, pad, pairwise_distance, pdist
from .margin_losses import (cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                            multilabel_margin_loss, multilabel_soft_margin_loss, soft_margin_loss,
                            triplet_margin_loss, triplet_margin_with_distance_loss)
from .distribution_losses import gaussian_nll_loss, kl_div, poisson_nll_loss
from . import functional_layers
from .functional_layers import *  # noqa: F401,F403  (convolution, pooling, normalisation, embedding, attention)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    if not isinstance(input, Tensor):  # inline: every ReLU layer passes here
        check_tensor(input, "relu", "input", 1)
    if inplace:
        return input.copy_(input.relu())
    return input.relu()


def sigmoid(input: Tensor) -> Tensor:
    check_tensor(input, "sigmoid", "input", 1)
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    check_tensor(input, "tanh", "input", 1)
    return input.tanh()


def dropout(input: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    check_tensor(input, "dropout", "input", 1)
    check_probability(p, "dropout")
    if not training or p == 0.0:
        return input
    keep = generator().random(input.shape) >= p
    scale = keep.astype(input.dtype) * input.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return Mul.apply(input, Tensor._make(scale))


__all__ = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear", "dropout", "l1_loss", "mse_loss",
           "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits",
           # torch's wider functional set
           "celu", "elu", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish", "hardtanh", "leaky_relu",
           "logsigmoid", "mish", "prelu", "relu6", "selu", "silu", "softmin", "softplus", "softshrink", "softsign",
           "tanhshrink", "threshold", "cosine_similarity", "normalize", "one_hot", "pad", "pairwise_distance", "pdist",
           "celu_", "elu_", "hardtanh_", "leaky_relu_", "relu_", "selu_", "threshold_",
           "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "multi_margin_loss",
           "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss", "triplet_margin_loss",
           "triplet_margin_with_distance_loss", "gaussian_nll_loss", "kl_div", "poisson_nll_loss"]
__all__ += functional_layers.__all__
