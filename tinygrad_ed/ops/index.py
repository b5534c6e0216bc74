"""Indexing: `GetItem` and its mirror `ScatterAdd`, each the other's backward; `IndexPut` (x[index] = value
out of place) and what in-place writes compose from these (masked_fill, index_add, scatter)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim
from .elementwise import where


class GetItem(Primitive):
    __slots__ = ("input_shape", "index", "advanced")

    @staticmethod
    def forward(ctx, x, index, advanced):
        ctx.input_shape, ctx.index, ctx.advanced = x.shape, index, advanced
        return x[index]  # basic indexing gives a view: no copy

    @staticmethod
    def backward(ctx, g):
        return bm.scatter_add(g, ctx.input_shape, ctx.index, ctx.advanced)


class ScatterAdd(Primitive):
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, g, shape, index, advanced):
        ctx.index = index
        return bm.scatter_add(g, shape, index, advanced)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


class IndexPut(Primitive):
    """x with x[index] replaced by value: the out-of-place form of `x[index] = value`."""

    __slots__ = ("index", "winners")

    @staticmethod
    def forward(ctx, x, value, index, advanced):
        out = x.copy()
        out[index] = value
        ctx.index = index
        ctx.winners = _last_writes(x.shape, index) if advanced else None
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_value = ctx.needs_input_grad
        gx = gv = None
        if need_x:  # the overwritten positions do not reach the output
            gx = IndexPut.apply(g, 0.0, index=ctx.index, advanced=False) if isinstance(g, Tensor) else g.copy()
            if not isinstance(g, Tensor):
                gx[ctx.index] = 0
        if need_value:
            gv = g[ctx.index]
            if ctx.winners is not None:  # a repeated position takes its last value: the others get no gradient
                gv = gv * ctx.winners
        return gx, gv


def _last_writes(shape: tuple, index: tuple) -> np.ndarray:
    """Which elements of `x[index] = value` are the last write to their position (numpy's rule)."""
    ids = np.full(shape, -1, np.int64)
    selected = ids[index].shape
    order = np.arange(int(np.prod(selected)), dtype=np.int64).reshape(selected)
    ids[index] = order
    return ids[index] == order


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    """x with x[index] = value, out of place (what `x[index] = value` records in the graph)."""
    items = numpy_index(index)
    advanced = any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in items)
    if isinstance(value, Tensor):
        if value.array.dtype != x.array.dtype:
            value = value.to(x.array.dtype)
        target_ndim = np.ndim(x.array[items])
        while value.ndim > target_ndim and value.shape[0] == 1:  # numpy drops leading 1s when assigning
            value = value.reshape(value.shape[1:])
    else:
        value = np.asarray(value, dtype=x.array.dtype)
    return IndexPut.apply(x, value, index=items, advanced=advanced)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """x with `value` where `mask` is true."""
    mask = mask if isinstance(mask, Tensor) else Tensor(mask)
    if mask.array.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: expected a bool mask, got {mask.array.dtype}")
    return where(mask, value.to(x.array.dtype) if isinstance(value, Tensor) else value, x)


def filled(x: Tensor, value: Any) -> Tensor:
    """`value` broadcast to x's shape and cast to its dtype, recorded as replacing x (copy_ and fill_)."""
    value = value.to(x.array.dtype) if isinstance(value, Tensor) else np.asarray(value, x.array.dtype)
    return where(Tensor._make(np.ones((), np.bool_)), value, x)


def index_add(x: Tensor, dim: int, index: Any, source: Tensor, alpha: Any = 1) -> Tensor:
    """x plus `alpha * source` added at `index` along `dim` (repeated indices accumulate)."""
    d = normalize_dim(dim, x.ndim, "index_add")
    positions = (slice(None),) * d + (_index_item(index),)
    if alpha != 1:
        source = source * alpha
    if source.array.dtype != x.array.dtype:
        source = source.to(x.array.dtype)
    return x + ScatterAdd.apply(source, shape=x.shape, index=positions, advanced=True)


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, value: Any = None) -> Tensor:
    """x with `x[index[i][j]][j] = src[i][j]` (for dim 0; likewise for other dims)."""
    d = normalize_dim(dim, x.ndim, "scatter")
    positions = _index_item(index)
    grid = np.indices(positions.shape, sparse=True)
    items = tuple(positions if axis == d else grid[axis] for axis in range(x.ndim))
    if src is None:
        src = value
    if isinstance(src, Tensor):
        src = src[tuple(slice(0, n) for n in positions.shape)]
    return index_put(x, items, src)


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with ints, slices, None, Ellipsis, integer arrays/Tensors and boolean masks."""
    if type(index) is slice:  # the common batch slice: nothing to convert
        return GetItem.apply(x, index=(index,), advanced=False)
    items = numpy_index(index)
    # integer arrays may repeat positions, whose gradients must accumulate (np.add.at)
    advanced = any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in items)
    return GetItem.apply(x, index=items, advanced=advanced)


def numpy_index(index: Any) -> tuple:
    """`index` as a tuple numpy understands (Tensors and lists become arrays)."""
    return tuple(_index_item(i) for i in (index if isinstance(index, tuple) else (index,)))


def _index_item(item: Any) -> Any:
    if isinstance(item, Tensor):
        item = item.array
    elif isinstance(item, (list, np.ndarray)):
        try:
            item = np.asarray(item)
        except ValueError:
            raise IndexError(f"getitem: a ragged list {item!r} is not an index") from None
    else:
        return item
    if item.dtype.kind not in "biu":
        raise IndexError(f"getitem: tensors used as indices must be integer or bool, got {item.dtype}")
    return item
