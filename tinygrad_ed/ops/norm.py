"""Normalisation: `Normalize` maps x to (x - mean) / sqrt(var + eps) over some dims (biased variance), the
step batch, layer and group norm share. One primitive, because its gradient has a short closed form,
g' = (g - mean(g) - x^ mean(g x^)) / std, where a composition would record and run a dozen array passes.
`BatchNorm` is the same step fused with its affine `* weight + bias`, for training-mode batch norm."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm


def _inverse_std(x: Any, dims: tuple[int, ...], eps: float, count: int) -> Any:
    """1 / sqrt(var + eps) over dims, on arrays or (under create_graph) on Tensors."""
    centered = x - bm.sum(x, dims, keepdims=True) / count
    return 1 / bm.sqrt(bm.sum(centered * centered, dims, keepdims=True) / count + eps)


class Normalize(Primitive):
    __slots__ = ("dims", "eps", "inv_std")

    @staticmethod
    def forward(ctx, x, dims, eps, stats=None):
        """With a dict `stats`, the batch mean and (biased) variance are left in it (for running statistics)."""
        mean = x.mean(dims, keepdims=True)
        out = x - mean
        var = np.mean(out * out, dims, keepdims=True)
        inv_std = 1 / np.sqrt(var + eps)
        out *= inv_std  # out is fresh: scale in place
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        ctx.dims, ctx.eps, ctx.inv_std = dims, eps, inv_std
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, normalized = ctx.saved_tensors
        count = math.prod(x.shape[d] for d in ctx.dims)
        # under create_graph the scale is recomputed from x, so that it is differentiated too
        inv_std = _inverse_std(x, ctx.dims, ctx.eps, count) if isinstance(g, Tensor) else ctx.inv_std
        mean_g = bm.sum(g, ctx.dims, keepdims=True) / count
        mean_gx = bm.sum(g * normalized, ctx.dims, keepdims=True) / count
        return (g - mean_g - normalized * mean_gx) * inv_std


def normalize(x: Tensor, dims: tuple[int, ...], eps: float, stats: dict | None = None) -> Tensor:
    return Normalize.apply(x, dims=dims, eps=eps, stats=stats)


class Channels:
    """How batch norm's elementwise steps and per-channel sums see an (N, C, ...) array: as 2-D `rows` in
    memory order, each row a whole number of the channel pattern, with each per-channel number `spread`
    along a row. numpy's loops then run over whole rows rather than the short innermost axis (1.2-2x faster
    at cnn-digits' sizes, measured). For a contiguous NCHW array, rows are (N, C*L), spread repeats;
    for a channels-innermost one (conv2d's Winograd and rows routes leave one), a row is its two innermost
    axes, spread tiles, and the per-channel sums are products with ones (BLAS, 2-5x faster than einsum
    with runs of C)."""

    __slots__ = ("shape", "order", "channels", "last")

    def __init__(self, x: np.ndarray):
        self.shape, self.channels = x.shape, x.shape[1]
        others = sorted((a for a in range(x.ndim) if a != 1), key=lambda a: -x.strides[a])
        self.last = x.ndim > 2 and x.strides[1] == x.itemsize and x.transpose(others + [1]).flags.c_contiguous
        self.order = tuple(others + [1]) if self.last else tuple(range(x.ndim))

    def rows(self, a: np.ndarray) -> np.ndarray:
        """a (of the input's shape) as this layout's rows: a view when a is laid out like the input."""
        a = a.transpose(self.order)
        return a.reshape(-1, a.shape[-2] * a.shape[-1]) if self.last else a.reshape(a.shape[0], -1)

    def unrows(self, a: np.ndarray) -> np.ndarray:
        return a.reshape(tuple(self.shape[i] for i in self.order)).transpose(np.argsort(self.order))

    def spread(self, v: np.ndarray, length: int) -> np.ndarray:
        """Per-channel numbers v (C,) along a row of `length`."""
        count = length // self.channels
        if not self.last:
            return v.repeat(count)
        out = np.empty(length, v.dtype)
        out.reshape(count, self.channels)[...] = v  # np.tile's Python costs more than the copy
        return out

    def sum(self, a: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        """The per-channel sums of rows a, or of a * b."""
        if self.last:  # column sums (einsum's one pass, no product array), then those of each channel
            flat = (a if b is None else np.einsum("ij,ij->j", a, b)).reshape(-1, self.channels)
            return np.dot(np.ones(flat.shape[0], a.dtype), flat)
        a = a.reshape(a.shape[0], self.channels, -1)
        if b is None:
            return np.einsum("ncl->c", a)
        return np.einsum("ncl,ncl->c", a, b.reshape(a.shape))


class BatchNorm(Primitive):
    """Training-mode batch norm with its affine step, per channel of (N, C, ...): y = (x - mean) / std
    * weight + bias, weight and bias optional. One primitive, so that forward is 6 passes over x and
    backward 5 over g (the composition Normalize, Mul, Add costs about twice that). The output keeps
    the input's layout (see Channels)."""

    __slots__ = ("eps", "centered", "inv_std", "channels")

    @staticmethod
    def forward(ctx, x, weight, bias, eps, stats=None):
        """With a dict `stats`, the batch mean and (biased) variance are left in it (for running statistics)."""
        channels = Channels(x)
        rows = channels.rows(x)
        count = x.size // x.shape[1]
        mean = channels.sum(rows) / count
        centered = rows - channels.spread(mean, rows.shape[1])
        var = channels.sum(centered, centered) / count
        inv_std = 1 / np.sqrt(var + eps)
        out = centered * channels.spread(inv_std if weight is None else inv_std * weight, rows.shape[1])
        if bias is not None:
            out += channels.spread(bias, rows.shape[1])
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        ctx.eps, ctx.centered, ctx.inv_std, ctx.channels = eps, centered, inv_std, channels
        ctx.save_for_backward(x, weight)
        return channels.unrows(out)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if isinstance(g, Tensor):
            return _batch_norm_backward(g, x, weight, ctx.eps)
        need_x, need_weight, need_bias = ctx.needs_input_grad
        channels, centered, inv_std = ctx.channels, ctx.centered, ctx.inv_std
        count = g.size // g.shape[1]
        rows = channels.rows(g)
        length = rows.shape[1]
        grad_bias = channels.sum(rows)
        projection = channels.sum(rows, centered)  # sum of g * (x - mean)
        grad_x = None
        if need_x:
            scale = inv_std if weight is None else inv_std * weight
            grad_x = np.multiply(rows, channels.spread(scale, length), out=np.empty_like(centered))  # x's layout
            grad_x -= centered * channels.spread(scale * inv_std * inv_std * projection / count, length)
            grad_x -= channels.spread(scale * grad_bias / count, length)
            grad_x = channels.unrows(grad_x)
        return grad_x, projection * inv_std if need_weight else None, grad_bias if need_bias else None


def _batch_norm_backward(g: Tensor, x: Tensor, weight: Tensor | None, eps: float) -> tuple:
    """BatchNorm's gradients as Tensor operations (under create_graph), from its input."""
    dims = (0,) + tuple(range(2, x.ndim))
    count = math.prod(x.shape[d] for d in dims)
    per_channel = (x.shape[1],) + (1,) * (x.ndim - 2)
    centered = x - bm.sum(x, dims, keepdims=True) / count
    inv_std = 1 / bm.sqrt(bm.sum(centered * centered, dims, keepdims=True) / count + eps)
    normalized = centered * inv_std
    grad_normalized = g if weight is None else g * weight.reshape(per_channel)
    grad_x = (grad_normalized - bm.sum(grad_normalized, dims, keepdims=True) / count
              - normalized * (bm.sum(grad_normalized * normalized, dims, keepdims=True) / count)) * inv_std
    return grad_x, bm.sum(g * normalized, dims), bm.sum(g, dims)
