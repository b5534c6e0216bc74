"""Normalisation: `Normalize` maps x to (x - mean) / sqrt(var + eps) over some dims (biased variance), the
step batch, layer and group norm share. One primitive, because its gradient has a short closed form,
g' = (g - mean(g) - x^ mean(g x^)) / std, where a composition would record and run a dozen array passes."""
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
