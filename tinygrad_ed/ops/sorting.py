"""Sorting and counting: sort, argsort, topk, median, unique, bincount, histc, histogram.

No primitives: the order is found with numpy, and sort, topk and median gather the values at
the positions found (`take_along`), so the gradient goes back to the elements selected.
"""
from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from .. import return_types
from ..tensor import Tensor
from .dims import normalize_dim
from .scan import take_along


def _order(data: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable sorting positions along `axis` (NaN counts as the largest, as in torch)."""
    if not descending:
        return np.argsort(data, axis=axis, kind="stable")
    # descending and stable: sort the reversed data ascending, reverse that, and map positions back
    reverse = (slice(None),) * axis + (slice(None, None, -1),)
    return (data.shape[axis] - 1 - np.argsort(data[reverse], axis=axis, kind="stable")[reverse]).astype(np.int64)


def sort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> return_types.ValuesIndices:
    """(values, indices) sorted along `dim`; equal values keep their order (always stable)."""
    if x.ndim == 0:
        return return_types.sort(x, Tensor._make(np.asarray(0, dtype=np.int64)))
    axis = normalize_dim(dim, x.ndim, "sort")
    indices = _order(x.array, axis, descending)
    return return_types.sort(take_along(x, indices, axis), Tensor._make(indices))


def argsort(x: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:
    """The positions that sort `x` along `dim` (stable)."""
    if x.ndim == 0:
        return Tensor._make(np.asarray(0, dtype=np.int64))
    return Tensor._make(_order(x.array, normalize_dim(dim, x.ndim, "argsort"), descending))


def topk(x: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> return_types.ValuesIndices:
    """The `k` largest (or smallest) values along `dim` and their positions, largest first."""
    axis = normalize_dim(dim, x.ndim, "topk")
    size = x.shape[axis] if x.ndim else 1
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= size:
        raise RuntimeError(f"topk: selected index k={k!r} out of range for a dim of size {size}")
    if x.ndim == 0:
        return return_types.topk(*sort(x))
    indices = _order(x.array, axis, descending=largest)
    indices = indices[(slice(None),) * axis + (slice(0, k),)]
    return return_types.topk(take_along(x, indices, axis), Tensor._make(indices))


def median(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor | return_types.ValuesIndices:
    """The lower median (the smaller middle value for an even count, as torch) of all elements, or
    (values, indices) along `dim`; NaN if the values hold a NaN. The gradient goes to that element."""
    if dim is None:
        if x.array.size == 0:
            raise RuntimeError("median: cannot compute the median of an empty tensor")
        return _median_along(x.reshape(-1), 0, False).values
    return _median_along(x, normalize_dim(dim, x.ndim, "median"), keepdim)


def _median_along(x: Tensor, axis: int, keepdim: bool) -> return_types.ValuesIndices:
    if x.ndim == 0:
        return return_types.median(x, Tensor._make(np.asarray(0, dtype=np.int64)))
    data = x.array
    if data.shape[axis] == 0:
        raise IndexError(f"median: dim {axis} of shape {x.shape} is empty")
    middle = (slice(None),) * axis + (slice((data.shape[axis] - 1) // 2, (data.shape[axis] - 1) // 2 + 1),)
    indices = np.argsort(data, axis=axis, kind="stable")[middle]
    if data.dtype.kind == "f":
        nan = np.isnan(data)
        indices = np.where(nan.any(axis=axis, keepdims=True), nan.argmax(axis=axis, keepdims=True), indices)
    return return_types.median(take_along(x, indices, axis), Tensor._make(indices)).squeeze(axis, keepdim)


def unique(x: Tensor, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
           dim: int | None = None) -> Tensor | tuple[Tensor, ...]:
    """The distinct values (or slices along `dim`), sorted; with `return_inverse` each element's
    position among them, with `return_counts` how often each occurs. Outside the graph."""
    axis = None if dim is None else normalize_dim(dim, x.ndim, "unique")
    values, inverse, counts = np.unique(x.array, return_inverse=True, return_counts=True, axis=axis)
    inverse = inverse.reshape(x.shape if axis is None else (x.shape[axis],))
    out = [Tensor._make(values)]
    if return_inverse:
        out.append(Tensor._make(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor._make(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def bincount(x: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """How often each non-negative integer occurs in the 1-D `x` (or the sum of its `weights`)."""
    if x.ndim != 1 or x.array.dtype.kind not in "iu":
        raise RuntimeError(f"bincount: input must be a 1-D tensor of integers, got shape {x.shape} "
                           f"and dtype {x.array.dtype}")
    if x.array.size and x.array.min() < 0:
        raise RuntimeError(f"bincount: input must hold non-negative integers, got {int(x.array.min())}")
    if weights is None:
        return Tensor._make(np.bincount(x.array, minlength=minlength).astype(np.int64))
    w = weights.array if isinstance(weights, Tensor) else np.asarray(weights)
    if w.shape != x.shape:
        raise RuntimeError(f"bincount: weights of shape {w.shape} must match the input's shape {x.shape}")
    dtype = w.dtype if w.dtype.kind == "f" else np.float64  # as torch: float weights keep their dtype
    return Tensor._make(np.bincount(x.array, weights=w, minlength=minlength).astype(dtype))


def histc(x: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """A histogram of `bins` equal bins over [min, max] (the data's range when both are 0); values
    outside are not counted. Same dtype as `x`."""
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"histc: input must be floating point, got {x.array.dtype}")
    low, high = float(min), float(max)
    if low == high and x.array.size:
        low, high = float(x.array.min()), float(x.array.max())
    if low == high:  # all equal: torch widens the range by 1 on each side
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError(f"histc: max ({high}) must be larger than min ({low})")
    counts, _ = np.histogram(x.array, bins=builtins.int(bins), range=(low, high))
    return Tensor._make(counts.astype(x.array.dtype))
def histogram(x: Tensor, bins: Any = 100, range: Any = None, weight: Tensor | None = None,
              density: bool = False) -> return_types.histogram:
    """torch.histogram: (hist, bin_edges) of `bins` equal bins over `range` (the data's range by default;
    numpy's rule, as torch's) or over the edges given as a 1-D Tensor; values outside are not counted."""
    if x.array.dtype.kind != "f":
        raise NotImplementedError(f"histogram: not implemented for {x.array.dtype} (floating point inputs only)")
    edges = bins.array if isinstance(bins, Tensor) else builtins.int(bins)
    if isinstance(edges, builtins.int) and edges <= 0:
        raise RuntimeError(f"histogram: bins must be > 0, but got {edges}")
    if range is not None and builtins.float(range[0]) > builtins.float(range[1]):
        raise RuntimeError(f"histogram: min should not exceed max, but got min {range[0]} max {range[1]}")
    weights = None if weight is None else np.asarray(weight.array)
    if weights is not None and weights.shape != x.shape:
        raise RuntimeError(f"histogram: weight of shape {list(weights.shape)} must have the input's shape "
                           f"{list(x.shape)}")
    hist, bin_edges = np.histogram(x.array, bins=edges, range=range, weights=weights, density=density)
    dtype = x.array.dtype
    return return_types.histogram(Tensor._make(hist.astype(dtype)), Tensor._make(bin_edges.astype(dtype)))
