"""torch.nn.functional for images, sequences and language: convolution and pooling (from ops/conv.py and
ops/pool.py), normalisation, embedding, channel dropout, interpolation and attention, composed from
Tensor ops (so every gradient, of every order, is automatic)."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from ..ops.conv import conv1d, conv2d, conv_transpose2d, fold, unfold
from ..ops.elementwise import Mul, where
from ..ops.matmul import matmul
from ..ops.norm import BatchNorm, normalize
from ..ops.pool import (adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                        max_pool2d)
from ..ops.reduce import softmax
from ..autograd.grad_mode import no_grad
from ..random import generator
from ..tensor import Tensor


# -- normalisation -------------------------------------------------------------------------------
def layer_norm(input: Tensor, normalized_shape: Any, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise over the last len(normalized_shape) dimensions (biased variance), then scale and shift."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Integral) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size {list(input.shape)}")
    out = normalize(input, tuple(range(input.ndim - len(shape), input.ndim)), eps)
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel (dimension 1) over the batch and any spatial dimensions.

    Training uses the batch's statistics and moves the running ones in place:
    running = (1 - momentum) * running + momentum * batch, with the unbiased batch
    variance, as torch. Otherwise the running statistics normalise.
    """
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2D input, got {input.ndim}D")
    channels = input.shape[1]
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    if training:
        count = input.numel() // max(channels, 1)
        if count <= 1:
            raise ValueError("Expected more than 1 value per channel when training, "
                             f"got input size {list(input.shape)}")
        stats: dict = {}
        out = BatchNorm.apply(input, weight, bias, eps=eps, stats=stats)
        with no_grad():  # Tensor ops, so that te.compile records the update (or gives up) like any other
            if running_mean is not None:
                running_mean.mul_(1 - momentum).add_(Tensor._make(stats["mean"].reshape(channels)), alpha=momentum)
            if running_var is not None:
                unbiased = Tensor._make(stats["var"].reshape(channels) * (count / (count - 1)))
                running_var.mul_(1 - momentum).add_(unbiased, alpha=momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("batch_norm: running_mean and running_var must be defined in evaluation mode")
        scale = (running_var.reshape(per_channel) + eps).sqrt()
        out = (input - running_mean.reshape(per_channel)) / scale
        if weight is not None:
            out = out * weight.reshape(per_channel)
        if bias is not None:
            out = out + bias.reshape(per_channel)
    return out


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise each group of channels of each sample, then scale and shift per channel."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected input with a number of channels divisible by num_groups="
                           f"{num_groups}, but got input of size {list(input.shape)}")
    n = input.shape[0]
    out = normalize(input.reshape(n, num_groups, -1), (2,), eps).reshape(input.shape)
    per_channel = (input.shape[1],) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    return out if bias is None else out + bias.reshape(per_channel)


# -- embedding and dropout -----------------------------------------------------------------------
def embedding(input: Any, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of `weight` picked by the integer indices in `input`; the padding_idx row gets no gradient.
    With max_norm, the picked rows whose norm_type-norm exceeds it are first scaled down to it, in place
    in `weight` (outside the graph, as torch)."""
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    index = input.array if isinstance(input, Tensor) else np.asarray(input)
    if not np.issubdtype(index.dtype, np.integer):
        raise RuntimeError(f"embedding: expected indices of an integer type, got {index.dtype}")
    rows = weight.shape[0]
    if index.size and (index.min() < 0 or index.max() >= rows):
        raise IndexError(f"embedding: index out of range in self (indices must be in [0, {rows}), "
                         f"got min {index.min()}, max {index.max()})")
    if max_norm is not None:
        _renormalize_rows(weight, np.unique(index), max_norm, norm_type)
    out = weight[Tensor._make(index)]
    if padding_idx is None:
        return out
    padding_idx = padding_idx + rows if padding_idx < 0 else padding_idx
    return where(Tensor._make((index == padding_idx)[..., None]), out.detach(), out)


def _renormalize_rows(weight: Tensor, rows: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scale the given rows whose norm exceeds max_norm by max_norm / (norm + 1e-7), as torch's
    embedding_renorm_; an in-place write, so the weight's version counter moves."""
    norms = np.linalg.norm(weight.array[rows].astype(np.float64), ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        scale = (max_norm / (norms[over] + 1e-7)).astype(weight.dtype)[:, None]
        picked = Tensor._make(rows[over])
        with no_grad():
            weight[picked] = weight[picked] * Tensor._make(scale)


def _channel_dropout(x: Tensor, p: float, training: bool, spatial: int, op: str) -> Tensor:
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(f"{op}: expected {spatial + 1}D or {spatial + 2}D input, but received a "
                           f"{x.ndim}D input of size {tuple(x.shape)}")
    if not training or p == 0.0:
        return x
    mask_shape = tuple(x.shape[:x.ndim - spatial]) + (1,) * spatial
    keep = generator().random(mask_shape) >= p
    scale = keep.astype(x.dtype) * x.dtype.type(0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return Mul.apply(x, Tensor._make(scale))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, L) or (C, L) input with probability p, scaling the rest by 1/(1-p)."""
    return _channel_dropout(input, p, training, 1, "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero whole channels of (N, C, H, W) input with probability p; 3-D input is taken as (N, C, L), with
    torch's warning."""
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. "
                      "This behavior will change in a future release to interpret the input as one without a "
                      "batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, "
                      "please switch to using dropout1d instead.", UserWarning, stacklevel=2)
        return _channel_dropout(input, p, training, 1, "dropout2d")
    return _channel_dropout(input, p, training, 2, "dropout2d")


# -- interpolation -------------------------------------------------------------------------------
CUBIC_A = -0.75  # torch's (and OpenCV's) cubic convolution parameter


def _cubic_weights(t: np.ndarray) -> list[np.ndarray]:
    """Keys' cubic convolution weights of the four taps at offsets -1, 0, 1, 2 from floor(x), t = x - floor(x)."""
    def near(x: np.ndarray) -> np.ndarray:  # |x| <= 1
        return ((CUBIC_A + 2) * x - (CUBIC_A + 3)) * x * x + 1

    def far(x: np.ndarray) -> np.ndarray:  # 1 < |x| < 2
        return ((CUBIC_A * x - 5 * CUBIC_A) * x + 8 * CUBIC_A) * x - 4 * CUBIC_A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _resampling_matrix(size: int, out: int, scale: float | None, mode: str, align_corners: bool,
                       dtype: Any) -> Tensor:
    """The (out, size) matrix mapping one axis of the input to the output, by torch's coordinate rules."""
    matrix = np.zeros((out, size), np.float64)
    dst = np.arange(out)
    step = scale if scale is not None else size / out
    if mode == "nearest":
        matrix[dst, np.minimum(np.floor(dst * step).astype(np.int64), size - 1)] = 1.0
        return Tensor._make(matrix.astype(dtype))
    if align_corners:
        src = dst * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        src = (dst + 0.5) * step - 0.5
        if mode != "bicubic":  # torch clamps the source coordinate at 0, except for cubic
            src = np.maximum(src, 0.0)
    if mode == "bicubic":
        base = np.floor(src).astype(np.int64)
        for k, weight in enumerate(_cubic_weights(src - base)):
            np.add.at(matrix, (dst, np.clip(base - 1 + k, 0, size - 1)), weight)  # edge taps repeat the border
        return Tensor._make(matrix.astype(dtype))
    low = np.minimum(np.floor(src).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    frac = src - low
    np.add.at(matrix, (dst, low), 1.0 - frac)
    np.add.at(matrix, (dst, high), frac)
    return Tensor._make(matrix.astype(dtype))


def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dimensions: 'nearest' (3-D or 4-D input), 'linear' (3-D), 'bilinear' or
    'bicubic' (4-D); each axis is one matrix product with a resampling matrix."""
    spatial = input.ndim - 2
    modes = {"nearest": (1, 2), "linear": (1,), "bilinear": (2,), "bicubic": (2,)}
    if mode not in modes or spatial not in modes[mode] or antialias:
        raise NotImplementedError(f"interpolate: mode={mode!r} on {input.ndim}D input is not supported "
                                  "(nearest on 3D/4D, linear on 3D, bilinear and bicubic on 4D)")
    if mode == "nearest" and align_corners is not None:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    in_sizes = input.shape[2:]
    if size is not None:
        sizes: list[Any] = [size] * spatial if isinstance(size, numbers.Integral) else list(size)
        scales: list[float | None] = [None] * spatial
    else:
        factors: list[Any] = [scale_factor] * spatial if isinstance(scale_factor, numbers.Real) else list(scale_factor)
        sizes = [int(math.floor(n * f)) for n, f in zip(in_sizes, factors)]
        scales = [None if recompute_scale_factor else 1.0 / f for f in factors]
    if len(sizes) != spatial or len(scales) != spatial:
        raise ValueError(f"interpolate: size/scale_factor must have {spatial} elements for {input.ndim}D input")
    matrices = [_resampling_matrix(n, o, s, mode, bool(align_corners), input.dtype)
                for n, o, s in zip(in_sizes, sizes, scales)]
    out = matmul(input, matrices[-1].T)
    return matmul(matrices[0], out) if spatial == 2 else out


# -- attention -----------------------------------------------------------------------------------
def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask: Tensor | None = None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(q k^T * scale + mask) v. A boolean mask says which keys a query may attend to (True = yes);
    a float mask is added to the scores. Dropout on the weights applies whenever dropout_p > 0, as torch."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True")
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = matmul(query, key.transpose(-2, -1)) * scale
    if is_causal:
        scores = where(np.tri(query.shape[-2], key.shape[-2], dtype=bool), scores, -math.inf)
    elif attn_mask is not None:
        if attn_mask.dtype == np.bool_:
            scores = where(attn_mask, scores, -math.inf)
        else:
            scores = scores + attn_mask
    weights = softmax(scores, -1)
    if dropout_p > 0.0:
        keep = generator().random(weights.shape) >= dropout_p
        weights = Mul.apply(weights, Tensor._make(keep.astype(weights.dtype) / weights.dtype.type(1.0 - dropout_p)))
    return matmul(weights, value)


__all__ = ["conv1d", "conv2d", "conv_transpose2d", "unfold", "fold", "max_pool1d", "max_pool2d", "avg_pool1d",
           "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d", "layer_norm", "batch_norm", "group_norm",
           "embedding", "dropout1d", "dropout2d", "interpolate", "scaled_dot_product_attention"]
