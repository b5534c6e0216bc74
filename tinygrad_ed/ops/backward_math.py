"""backward_math: the functions backward rules use, on numpy arrays or on Tensors alike.

Backward rules are written with operators and these functions, so one rule
serves both paths: normally it gets numpy arrays and returns numpy arrays (no
graph, no Tensor overhead); under `create_graph=True` the engine hands it
Tensors, and the same code records a differentiable graph.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.broadcast import cast, sum_to  # noqa: F401  (backward rules use them as bm.cast, bm.sum_to)
from ..tensor import Tensor


def where(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(a, Tensor):
        return a.where(cond, b)
    if isinstance(b, Tensor):  # the same choice, asked of the Tensor operand
        return b.where(~cond, a)
    return np.where(cond.array if isinstance(cond, Tensor) else cond, a, b)


def exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if isinstance(x, Tensor) else np.log(x)


def sin(x: Any) -> Any:
    return x.sin() if isinstance(x, Tensor) else np.sin(x)


def cos(x: Any) -> Any:
    return x.cos() if isinstance(x, Tensor) else np.cos(x)


def sinh(x: Any) -> Any:
    return x.sinh() if isinstance(x, Tensor) else np.sinh(x)


def cosh(x: Any) -> Any:
    return x.cosh() if isinstance(x, Tensor) else np.cosh(x)


def sqrt(x: Any) -> Any:
    return x.sqrt() if isinstance(x, Tensor) else np.sqrt(x)


def floor(x: Any) -> Any:
    return x.floor() if isinstance(x, Tensor) else np.floor(x)


def trunc(x: Any) -> Any:
    return x.trunc() if isinstance(x, Tensor) else np.trunc(x)


def zeros_like(x: Any) -> Any:
    """Zeros of x's shape and dtype: a constant, also under create_graph."""
    return Tensor._make(np.zeros_like(x.array)) if isinstance(x, Tensor) else np.zeros_like(x)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    if isinstance(x, Tensor):
        return x.sum(dim=axis, keepdim=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)


BLAS_ROWS = 32  # from this many rows a BLAS product with ones sums a float matrix faster than numpy's reduction


def columns_by_blas(x: Any) -> bool:
    """Whether `column_sums` sums by a BLAS product with ones: 2x faster than numpy's reduction at a hundred
    rows, 3x at a thousand, and its blocked sums round less."""
    return len(x) >= BLAS_ROWS and x.dtype.char in "fd"


def column_sums(x: Any) -> Any:
    """A matrix summed over its rows."""
    if isinstance(x, Tensor):
        return x.sum(0)
    if columns_by_blas(x):
        return np.dot(np.ones(len(x), x.dtype), x)
    return x.sum(axis=0)


def rows_by_blas(x: Any, axis: int) -> bool:
    """Whether `kept_sum` sums a matrix's rows by a BLAS product with ones: 2x to 5x faster than numpy's
    reduction for short rows (a classifier's logits)."""
    return axis == 1 and x.ndim == 2 and columns_by_blas(x)


def kept_sum(x: Any, axis: int) -> Any:
    """x summed over `axis`, kept as a dimension of length 1."""
    if isinstance(x, Tensor):
        return x.sum(axis, keepdim=True)
    if rows_by_blas(x, axis):
        return np.dot(x, np.ones(x.shape[1], x.dtype))[:, None]
    return x.sum(axis=axis, keepdims=True)


def cumsum(x: Any, axis: int) -> Any:
    return x.cumsum(axis) if isinstance(x, Tensor) else np.cumsum(x, axis=axis)


def flip(x: Any, axis: int) -> Any:
    return x.flip(axis) if isinstance(x, Tensor) else np.flip(x, axis)


def expand_to(x: Any, shape: tuple) -> Any:
    """`x` broadcast to `shape`; an array is materialised (np.broadcast_to's Python overhead costs more)."""
    if isinstance(x, Tensor):
        return x.expand(*shape)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


def permute(x: Any, axes: tuple) -> Any:
    return x.permute(*axes) if isinstance(x, Tensor) else x.transpose(axes)


def swap_last(x: Any) -> Any:
    """Transpose the last two dimensions (the matrix part of a batched matmul)."""
    return x.transpose(-1, -2) if isinstance(x, Tensor) else x.swapaxes(-1, -2)


def matmul(a: Any, b: Any) -> Any:
    if isinstance(a, Tensor) or isinstance(b, Tensor):  # plain checks: this runs in every matmul backward
        return a @ b
    if a.ndim == 2 and b.ndim == 2:
        return np.dot(a, b)  # np.matmul is ~10x slower for outer products (inner dimension 1)
    return np.matmul(a, b)


def scatter_add(g: np.ndarray, shape: tuple, index: Any, advanced: bool) -> np.ndarray:
    """zeros(shape) with `g` added at `index` (repeated indices accumulate)."""
    out = np.zeros(shape, g.dtype)
    if advanced:
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out
