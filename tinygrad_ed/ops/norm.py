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


class BatchNorm(Primitive):
    """Training-mode batch norm with its affine step, per channel of (N, C, ...): y = (x - mean) / std
    * weight + bias, weight and bias optional. One primitive, so that forward is 6 passes over x and
    backward 5 over g (the composition Normalize, Mul, Add costs about twice that); the per-channel sums
    are einsums, 2-5x faster than np.sum over the batch and spatial axes. The elementwise steps see x as
    (N, C*L) rows and each per-channel number repeated L times: numpy's loops then run over whole rows
    rather than L positions (1.7x faster for 4x4 maps, measured)."""

    __slots__ = ("eps", "centered", "inv_std")

    @staticmethod
    def forward(ctx, x, weight, bias, eps, stats=None):
        """With a dict `stats`, the batch mean and (biased) variance are left in it (for running statistics)."""
        n, c = x.shape[:2]
        rows = x.reshape(n, c, -1)
        length = rows.shape[2]
        count = n * length
        mean = np.einsum("ncl->c", rows) / count
        centered = x.reshape(n, -1) - np.repeat(mean, length)
        var = np.einsum("ncl,ncl->c", centered.reshape(rows.shape), centered.reshape(rows.shape)) / count
        inv_std = 1 / np.sqrt(var + eps)
        out = centered * np.repeat(inv_std if weight is None else inv_std * weight, length)
        if bias is not None:
            out += np.repeat(bias, length)
        if stats is not None:
            stats["mean"], stats["var"] = mean, var
        ctx.eps, ctx.centered, ctx.inv_std = eps, centered, inv_std
        ctx.save_for_backward(x, weight)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        if isinstance(g, Tensor):
            return _batch_norm_backward(g, x, weight, ctx.eps)
        need_x, need_weight, need_bias = ctx.needs_input_grad
        n, c = g.shape[:2]
        centered, inv_std = ctx.centered, ctx.inv_std
        length = centered.shape[1] // c
        count = n * length
        rows = g.reshape(n, c, length)
        grad_bias = np.einsum("ncl->c", rows)
        projection = np.einsum("ncl,ncl->c", rows, centered.reshape(rows.shape))  # sum of g * (x - mean)
        grad_x = None
        if need_x:
            scale = inv_std if weight is None else inv_std * weight
            grad_x = g.reshape(n, -1) * np.repeat(scale, length)
            grad_x -= centered * np.repeat(scale * inv_std * inv_std * projection / count, length)
            grad_x -= np.repeat(scale * grad_bias / count, length)
            grad_x = grad_x.reshape(g.shape)
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
