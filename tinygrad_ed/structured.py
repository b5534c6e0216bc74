"""Structured matrices and grids, composed from differentiable ops: tril, triu, diag, diag_embed, meshgrid.
Masks select with `where` (not a multiplication, which would turn inf * 0 into nan)."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .device import check_device
from .dtypes import to_dtype
from .ops import elementwise, movement
from .ops.dims import normalize_dim
from .tensor import Tensor


def _matrix_input(input: Any, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input tensor must have at least 2 dimensions, got shape {input.shape}")
    return input


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle (on and below the `diagonal`-th diagonal) of the last two dimensions; zeros elsewhere."""
    rows, cols = _matrix_input(input, "tril").shape[-2:]
    return elementwise.where(np.tri(rows, cols, diagonal, dtype=bool), input, 0)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle (on and above the `diagonal`-th diagonal) of the last two dimensions; zeros elsewhere."""
    rows, cols = _matrix_input(input, "triu").shape[-2:]
    return elementwise.where(~np.tri(rows, cols, diagonal - 1, dtype=bool), input, 0)


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """A vector's square matrix with it on the `diagonal`-th diagonal, or a matrix's `diagonal`-th diagonal."""
    if not isinstance(input, Tensor) or input.ndim not in (1, 2):
        raise RuntimeError(f"diag: expected a 1-D or 2-D Tensor, got {getattr(input, 'shape', type(input).__name__)}")
    if input.ndim == 1:
        return diag_embed(input, diagonal)
    rows, cols = input.shape
    start_row, start_col = max(-diagonal, 0), max(diagonal, 0)
    length = max(min(rows - start_row, cols - start_col), 0)
    return input[np.arange(length) + start_row, np.arange(length) + start_col]


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Matrices whose `offset`-th diagonals (in dims dim1, dim2 of the result) hold the last dimension of `input`."""
    if not isinstance(input, Tensor) or input.ndim == 0:
        raise RuntimeError(f"diag_embed: expected a Tensor with at least 1 dimension, got {input!r}")
    n = input.shape[-1]
    size = n + abs(offset)
    zeros = Tensor._make(np.zeros(input.shape[:-1] + (abs(offset),), input.dtype))
    # row r of the result holds the value of row r's diagonal entry: pad so that index is r
    padded = movement.cat([input, zeros] if offset >= 0 else [zeros, input], dim=-1)
    rows, cols = np.indices((size, size))
    matrices = elementwise.where(cols - rows == offset, movement.unsqueeze(padded, -1), 0)
    ndim = matrices.ndim
    d1, d2 = normalize_dim(dim1, ndim, "diag_embed"), normalize_dim(dim2, ndim, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diag_embed: diagonal dimensions cannot be identical {dim1}, {dim2}")
    if (d1, d2) == (ndim - 2, ndim - 1):
        return matrices
    batch_axes = iter(range(ndim - 2))
    order = [ndim - 2 if axis == d1 else ndim - 1 if axis == d2 else next(batch_axes) for axis in range(ndim)]
    return movement.permute(matrices, tuple(order))


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D tensors: with indexing='ij' grid k varies along dimension k; 'xy'
    swaps the first two dimensions (numpy's and matplotlib's convention)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors or any(not isinstance(t, Tensor) or t.ndim > 1 for t in tensors):
        raise RuntimeError("meshgrid: expects a non-empty list of 0-D or 1-D tensors")
    vectors = [movement.reshape(t, -1) for t in tensors]
    swap = indexing == "xy" and len(vectors) >= 2
    if swap:
        vectors[0], vectors[1] = vectors[1], vectors[0]
    shape = tuple(v.shape[0] for v in vectors)
    grids = [movement.expand(movement.reshape(v, tuple(-1 if k == i else 1 for k in range(len(shape)))), shape)
             for i, v in enumerate(vectors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None) -> Tensor:
    """The (2, N) int64 coordinates of the lower triangle of a row x col matrix, row by row."""
    return _triangle_indices(np.tril_indices(row, offset, col), dtype, device, "tril_indices")


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None, device: Any = None) -> Tensor:
    """The (2, N) int64 coordinates of the upper triangle of a row x col matrix, row by row."""
    return _triangle_indices(np.triu_indices(row, offset, col), dtype, device, "triu_indices")


def _triangle_indices(positions: tuple, dtype: Any, device: Any, op: str) -> Tensor:
    check_device(device, op)
    return Tensor._make(np.stack(positions).astype(np.int64 if dtype is None else to_dtype(dtype)))
