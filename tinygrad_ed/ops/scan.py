"""Cumulative ops along a dim: `Cumsum` is a primitive; cumprod, cummax, cummin are composed.

Also `take_along`, the gather that max(dim), sort, topk, median and cummax use to route the
gradient to the positions they select.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..autograd.grad_mode import is_grad_enabled
from ..dtypes import int64
from .. import return_types
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim
from .index import GetItem
from .movement import cat


class Cumsum(Primitive):
    __slots__ = ("axis",)

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return np.cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, g):
        # d/dx_i of sum_k g_k out_k is the sum of g_k for k >= i: a cumulative sum from the end
        return bm.flip(bm.cumsum(bm.flip(g, ctx.axis), ctx.axis), ctx.axis)


def take_along(x: Tensor, indices: np.ndarray, axis: int, repeats: bool = False) -> Tensor:
    """x's values at `indices` along `axis` (as np.take_along_axis); the gradient goes back to those
    positions. `repeats` says an index may appear twice along the axis (the gradients then add up)."""
    if x.ndim == 0:
        return x
    grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
    grid[axis] = indices
    return GetItem.apply(x, index=tuple(grid), advanced=repeats)


def _integers_as_int64(x: Tensor, dtype: Any) -> Tensor:
    if dtype is not None:
        return x.to(dtype)
    return x.to(int64) if x.array.dtype.kind in "biu" else x  # as torch: cumsum of int32 or bool is int64


def cumsum(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running sum along `dim`."""
    x = _integers_as_int64(x, dtype)
    return Cumsum.apply(x, axis=normalize_dim(dim, x.ndim, "cumsum")) if x.ndim else x


def cumprod(x: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Running product along `dim`. With a gradient to record it is a doubling scan (each step
    multiplies by the running product 1, 2, 4... places back): log2(n) multiplies, whose
    composed gradient is exact where x holds zeros (dividing the product by x would not be)."""
    x = _integers_as_int64(x, dtype)
    axis = normalize_dim(dim, x.ndim, "cumprod")
    if x.ndim == 0:
        return x
    if not (x.requires_grad and is_grad_enabled()):
        return Tensor._make(np.cumprod(x.array, axis=axis))
    n, out, shift = x.shape[axis], x, 1
    while shift < n:
        ones = Tensor._make(np.ones(x.shape[:axis] + (shift,) + x.shape[axis + 1:], x.array.dtype))
        earlier = GetItem.apply(out, index=(slice(None),) * axis + (slice(0, n - shift),), advanced=False)
        out = out * cat([ones, earlier], axis)
        shift *= 2
    return out


def cummax(x: Tensor, dim: int) -> return_types.ValuesIndices:
    """(values, indices) of the running maximum along `dim`; ties and NaN take the latest index, as torch."""
    return _running_extreme(x, dim, np.maximum, return_types.cummax)


def cummin(x: Tensor, dim: int) -> return_types.ValuesIndices:
    """(values, indices) of the running minimum along `dim` (see `cummax`)."""
    return _running_extreme(x, dim, np.minimum, return_types.cummin)


def _running_extreme(x: Tensor, dim: int, ufunc: Any, result: Any) -> return_types.ValuesIndices:
    axis = normalize_dim(dim, x.ndim, result.__name__)
    if x.ndim == 0:
        return result(x, Tensor._make(np.asarray(0, dtype=np.int64)))
    data = x.array
    running = ufunc.accumulate(data, axis=axis)
    # a position where x equals the running extreme (or is NaN, which then stays) becomes the new arg
    is_new = (data == running) | (np.isnan(data) if data.dtype.kind == "f" else False)
    positions = np.arange(data.shape[axis]).reshape((-1,) + (1,) * (data.ndim - axis - 1))
    indices = np.maximum.accumulate(np.where(is_new, positions, 0), axis=axis).astype(np.int64)
    return result(take_along(x, indices, axis, repeats=True), Tensor._make(indices))


def diff(x: Tensor, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The n-th forward difference along `dim` (after joining `prepend` and `append` there); bools give
    their xor, as torch."""
    axis = normalize_dim(dim, x.ndim, "diff")
    if x.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    parts = [p if isinstance(p, Tensor) else Tensor(p) for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = cat([p.expand(*x.shape[:axis], *p.shape[axis:axis + 1], *x.shape[axis + 1:]) if p.ndim == x.ndim
                 else p.reshape(1).expand(*x.shape[:axis], 1, *x.shape[axis + 1:]) for p in parts], axis)
    for _ in range(n):
        length = x.shape[axis]
        later = x.narrow(axis, 1, max(length - 1, 0))
        earlier = x.narrow(axis, 0, max(length - 1, 0))
        x = later ^ earlier if x.array.dtype == np.bool_ else later - earlier
    return x
