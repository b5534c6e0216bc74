"""Indexing: `GetItem` and its mirror `ScatterAdd`, each the other's backward."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from . import backward_math as bm


class GetItem(Function):
    __slots__ = ("input_shape", "index", "advanced")

    @staticmethod
    def forward(ctx, x, index, advanced):
        ctx.input_shape, ctx.index, ctx.advanced = x.shape, index, advanced
        return x[index]  # basic indexing gives a view: no copy

    @staticmethod
    def backward(ctx, g):
        return bm.scatter_add(g, ctx.input_shape, ctx.index, ctx.advanced)


class ScatterAdd(Function):
    __slots__ = ("index",)

    @staticmethod
    def forward(ctx, g, shape, index, advanced):
        ctx.index = index
        return bm.scatter_add(g, shape, index, advanced)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.index]


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
