"""Indexing: `GetItem` and its mirror `ScatterAdd`, each the other's backward; `Scatter`; `IndexPut`
(x[index] = value out of place, what `__setitem__` records).

Every gather-like op (gather, index_select, take, masked_select, diagonal...) is a GetItem with a
numpy index; every add-at-positions op (scatter_add, index_add) is a ScatterAdd. Repeated
positions accumulate their gradients through np.add.at.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.broadcast import broadcasts_to
from ..autograd.engine import Primitive
from ..errors import ShapeError
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim
from . import elementwise
from .elementwise import add, mul


class IndexOutOfRange(IndexError, RuntimeError):
    """An index outside a dimension (torch raises IndexError or RuntimeError depending on the op and sign)."""


class GetItem(Primitive):
    """x[index]. With `strided` = (shape, strides of x's strides), an advanced index that picks a strided
    pattern (a diagonal, sliding windows) gives a view sharing x's memory, as torch's, not a copy."""
    __slots__ = ("input_shape", "index", "advanced")

    @staticmethod
    def forward(ctx, x, index, advanced, strided=None):
        ctx.input_shape, ctx.index, ctx.advanced = x.shape, index, advanced
        if strided is not None and type(x) is np.ndarray:
            shape, strides = strided
            return np.lib.stride_tricks.as_strided(x, shape, strides(x.strides))
        return x[index]  # basic indexing gives a view: no copy

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):  # create_graph: the differentiable form
            return ScatterAdd.apply(g, shape=ctx.input_shape, index=ctx.index, advanced=ctx.advanced)
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


class Scatter(Primitive):
    """A copy of `x` with `src` written at `index` (a numpy index tuple): torch's out-of-place scatter."""
    __slots__ = ("index", "kept")
    saves_derived_constants = True  # `kept` is a 0/1 mask

    @staticmethod
    def forward(ctx, x, src, index):
        out = x.copy()
        out[index] = src
        ctx.index = index
        ctx.kept = np.ones(x.shape, x.dtype)  # 1 where x survives, 0 where src overwrote it
        ctx.kept[index] = 0
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_src = ctx.needs_input_grad
        return g * ctx.kept if need_x else None, g[ctx.index] if need_src else None


class IndexPut(Primitive):
    """x with x[index] replaced by value: the out-of-place form of `x[index] = value`. The index is
    torch's, as the numpy `steps` of `index_steps`, applied in turn."""

    __slots__ = ("steps", "winners")

    @staticmethod
    def forward(ctx, x, value, steps, advanced):
        out = x.copy()
        _write_at(out, steps, value)
        ctx.steps = steps
        ctx.winners = _last_writes(x.shape, steps) if advanced else None
        return out

    @staticmethod
    def backward(ctx, g):
        need_x, need_value = ctx.needs_input_grad
        gx = gv = None
        if need_x:  # the overwritten positions do not reach the output
            if isinstance(g, Tensor):
                gx = IndexPut.apply(g, 0.0, steps=ctx.steps, advanced=False)
            else:
                gx = g.copy()
                _write_at(gx, ctx.steps, 0)
        if need_value:
            gv = _read_at(g, ctx.steps)
            if ctx.winners is not None:  # a repeated position takes its last value: the others get no gradient
                gv = gv * ctx.winners
        return gx, gv


def _read_at(x: Any, steps: tuple) -> Any:
    """x indexed by each step in turn (an array or a Tensor)."""
    for step in steps:
        x = x[step]
    return x


def _write_at(array: np.ndarray, steps: tuple, value: Any) -> None:
    """array[steps] = value, torch's rule: all steps but the last are basic indices, so they give views."""
    _read_at(array, steps[:-1])[steps[-1]] = value


def _last_writes(shape: tuple, steps: tuple) -> np.ndarray:
    """Which elements of `x[index] = value` are the last write to their position (numpy's rule)."""
    ids = np.full(shape, -1, np.int64)
    selected = _read_at(ids, steps).shape
    order = np.arange(int(np.prod(selected)), dtype=np.int64).reshape(selected)
    _write_at(ids, steps, order)
    return _read_at(ids, steps) == order


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    """x with x[index] = value, out of place (what `x[index] = value` records in the graph)."""
    steps = index_steps(index)
    advanced = any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in steps[-1])
    if isinstance(value, Tensor):
        if value.array.dtype != x.array.dtype:
            value = value.to(x.array.dtype)
        target_ndim = np.ndim(_read_at(x.array, steps))
        while value.ndim > target_ndim and value.shape[0] == 1:  # leading 1s are dropped when assigning
            value = value.reshape(value.shape[1:])
    else:
        value = np.asarray(value, dtype=x.array.dtype)
    return IndexPut.apply(x, value, steps=steps, advanced=advanced)


def filled(x: Tensor, value: Any) -> Tensor:
    """`value` broadcast to x's shape and cast to its dtype, recorded as replacing x (copy_ and fill_)."""
    value = value.to(x.array.dtype) if isinstance(value, Tensor) else np.asarray(value, x.array.dtype)
    return where(Tensor._make(np.ones((), np.bool_)), value, x)


# ---------------------------------------------------------------------------------------------
# x[index] with torch's rules


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] with ints, slices, None, Ellipsis, integer arrays/Tensors/lists and boolean masks."""
    if type(index) is slice and (index.step is None or index.step > 0):  # the common batch slice
        return GetItem.apply(x, index=(index,), advanced=False)
    for step in index_steps(index):
        # integer arrays may repeat positions, whose gradients must accumulate (np.add.at)
        advanced = any(isinstance(i, np.ndarray) and i.dtype != np.bool_ for i in step)
        x = GetItem.apply(x, index=step, advanced=advanced)
    return x


def index_steps(index: Any) -> tuple[tuple, ...]:
    """torch's `index` as numpy indices applied in turn: one, or two where numpy's rule differs.

    torch applies integer indices first (as selections) and then the tensor indices, so
    `x[0, :, [1, 2]]` on a (2, 3, 4) tensor is (3, 2); numpy counts the 0 as an advanced index
    separated from [1, 2] by the slice, giving (2, 3). Where ints and tensors are not all side by
    side, the ints go first in a basic index (a view, so assignment through it writes x).
    """
    items = numpy_index(index)
    if len(items) < 2 or not any(isinstance(i, np.ndarray) for i in items) or _advanced_side_by_side(items):
        return (items,)
    # the second step: the tensors, with a full slice over each dimension the first step kept or made
    rest = tuple(i if isinstance(i, np.ndarray) or i is Ellipsis else slice(None) for i in items if not _is_int(i))
    return _int_step(items), rest


def _is_int(item: Any) -> bool:
    return isinstance(item, (int, np.integer)) and not isinstance(item, (bool, np.bool_))


def _advanced_side_by_side(items: tuple) -> bool:
    """Whether the ints and arrays of `items` are adjacent (or there are no ints): numpy then agrees with torch."""
    positions = [k for k, i in enumerate(items) if isinstance(i, np.ndarray) or _is_int(i)]
    return positions[-1] - positions[0] + 1 == len(positions) or not any(_is_int(i) for i in items)


def _int_step(items: tuple) -> tuple:
    """The first of two steps: the integer selections, with a full slice for each dimension a
    tensor index will consume (a k-d mask consumes k)."""
    out = []
    for i in items:
        if isinstance(i, np.ndarray):
            out.extend([slice(None)] * (i.ndim if i.dtype == np.bool_ else 1))
        else:
            out.append(i)
    return tuple(out)


def numpy_index(index: Any) -> tuple:
    """`index` as a tuple numpy understands (Tensors and lists become arrays, 0-d integer tensors ints)."""
    return tuple(_index_item(i) for i in (index if isinstance(index, tuple) else (index,)))


def _index_item(item: Any) -> Any:
    if isinstance(item, Tensor):
        item = item.array
    elif isinstance(item, slice):
        if item.step is not None and item.step <= 0:
            raise ValueError(f"getitem: step must be greater than zero, got {item.step} (use flip to reverse)")
        return item
    elif isinstance(item, (list, np.ndarray, bool, np.bool_)):  # a bool is a 0-d mask (an advanced index)
        try:
            item = np.asarray(item)
        except ValueError:
            raise IndexError(f"getitem: a ragged list {item!r} is not an index") from None
    else:
        return item
    if item.dtype.kind not in "biu" and item.size:
        raise IndexError(f"getitem: tensors used as indices must be integer or bool, got {item.dtype}")
    if item.dtype.kind != "b" and not item.size:
        item = item.astype(np.intp)  # an empty list is an empty integer index, as in torch
    if item.ndim == 0 and item.dtype.kind in "iu":
        return int(item)  # torch treats a 0-d integer tensor as an int
    return item


# ---------------------------------------------------------------------------------------------
# Gather and scatter along a dimension


def _along(index: np.ndarray, axis: int) -> tuple:
    """A numpy index tuple picking `index` along `axis` and position i in every other dimension i,
    over index's shape (torch's gather/scatter addressing)."""
    if index.ndim == 0:  # torch counts a 0-d index as one position along a 1-d tensor
        return (index,)
    grids = np.ogrid[tuple(slice(n) for n in index.shape)]
    return tuple(index if d == axis else grids[d] for d in range(index.ndim))


def _index_array(index: Any, op: str) -> np.ndarray:
    array = index.array if isinstance(index, Tensor) else np.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: index must be an integer tensor, got {array.dtype}")
    return np.asarray(array)


def _check_along(x: Tensor, dim: int, index: np.ndarray, op: str, src: Tensor | None = None) -> int:
    axis = normalize_dim(dim, x.ndim, op)
    if max(index.ndim, 1) != max(x.ndim, 1) and index.size:
        raise RuntimeError(f"{op}: index should have the same number of dimensions as the input "
                           f"({x.ndim}), got shape {index.shape}")
    for d, n in enumerate(index.shape):
        if (d != axis and x.ndim and n > x.shape[d]) or (src is not None and n > src.shape[d]):
            raise RuntimeError(f"{op}: index of shape {index.shape} is larger than the input {x.shape} "
                               f"(or src) in dimension {d}")
    _check_bounds(index, x.shape[axis] if x.ndim else 1, dim, op)
    return axis


def _check_bounds(index: np.ndarray, size: int, dim: int, op: str) -> None:
    """Indices in [0, size): torch's gather, scatter, index_select and index_add refuse negative ones."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexOutOfRange(f"{op}: index {bad} is out of bounds for dimension {dim} with size {size}")


def gather(x: Tensor, dim: int, index: Any) -> Tensor:
    """out[i][j] = x[i][index[i][j]] for dim=1, and so on; repeated indices accumulate gradients."""
    index = _index_array(index, "gather")
    axis = _check_along(x, dim, index, "gather")
    if x.ndim == 0:
        return GetItem.apply(x.reshape(1), index=(index,), advanced=True)
    return GetItem.apply(x, index=_along(index, axis), advanced=True)


def _src_part(src: Any, x: Tensor, index: np.ndarray, op: str) -> Tensor:
    """The part of `src` scatter ops read: src[:index.shape[0], :index.shape[1], ...], in x's dtype."""
    src = (src if isinstance(src, Tensor) else Tensor(src)).to(x.dtype)
    if index.ndim == 0:
        return src.reshape(-1)[0] if src.ndim else src
    if src.ndim != index.ndim:
        raise RuntimeError(f"{op}: src of shape {src.shape} should have as many dimensions as index {index.shape}")
    return src if src.shape == index.shape else src[tuple(slice(n) for n in index.shape)]


def scatter_add(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    """A copy of `x` with src[i][j] added at x[i][index[i][j]] (dim=1); repeats accumulate."""
    index = _index_array(index, "scatter_add")
    src = src if isinstance(src, Tensor) else Tensor(src)
    axis = _check_along(x, dim, index, "scatter_add", src)
    part = _src_part(src, x, index, "scatter_add")
    return add(x, ScatterAdd.apply(part, shape=x.shape, index=_along(index, axis), advanced=True))


def scatter(x: Tensor, dim: int, index: Any, src: Any = None, value: Any = None, reduce: str | None = None) -> Tensor:
    """A copy of `x` with src (a tensor, or the number `value`) written at x[i][index[i][j]] (dim=1).

    With repeated positions one of the written values wins, as in torch. `reduce='add'` or
    `'multiply'` combines instead (not differentiable, as in torch).
    """
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src and value")
    index = _index_array(index, "scatter")
    if src is None or not isinstance(src, Tensor) and np.ndim(src) == 0:
        src = Tensor._leaf(np.full(index.shape, src if value is None else value, x.dtype))
    axis = _check_along(x, dim, index, "scatter", src)
    part, at = _src_part(src, x, index, "scatter"), _along(index, axis)
    if reduce is None:
        return Scatter.apply(x, part, index=at)
    if reduce not in ("add", "multiply"):
        raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    if x.requires_grad or part.requires_grad:
        raise RuntimeError("scatter: the derivative of scatter with reduce= is not implemented (as in torch); "
                           "use scatter_add for a differentiable sum")
    out = x.array.copy()
    (np.add if reduce == "add" else np.multiply).at(out, at, part.array)
    return Tensor._make(out)


SCATTER_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    """A copy of `x` with each src[i][j] combined into x[i][index[i][j]] (dim=1) by `reduce`; x's own value
    takes part when include_self. Positions no index reaches keep x. An integer mean rounds down.

    sum and mean are scatter_adds. prod, amax and amin reduce a table with one row per position reached
    (x's value first when include_self, then the src values sent there, padded with the reduction's
    identity), so their gradients are prod's and amax's: the product of the others, an even split
    among ties (torch's rules).
    """
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # torch accepts these undocumented spellings
    if reduce not in SCATTER_REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce must be one of {', '.join(SCATTER_REDUCTIONS)}, got {reduce!r}")
    index = _index_array(index, "scatter_reduce")
    src = src if isinstance(src, Tensor) else Tensor(src)
    if src.dtype != x.dtype:
        raise RuntimeError(f"scatter_reduce: expected self.dtype to be equal to src.dtype, got {x.dtype} and "
                           f"{src.dtype}")
    if x.ndim == 0:
        one = scatter_reduce(x.reshape(1), 0, index.reshape(-1), src.reshape(-1), reduce, include_self=include_self)
        return one.reshape(())
    axis = _check_along(x, dim, index, "scatter_reduce", src)
    part, at = _src_part(src, x, index, "scatter_reduce"), _along(index, axis)
    if reduce in ("sum", "mean"):
        return _scatter_mean(x, part, at, include_self, reduce == "mean")
    positions = np.ravel_multi_index(np.broadcast_arrays(*at), x.shape).reshape(-1)
    targets, group, counts = np.unique(positions, return_inverse=True, return_counts=True)
    order = np.argsort(group, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order)) - np.repeat(np.cumsum(counts) - counts, counts)  # place within its group
    table = np.full((len(targets), counts.max(initial=0) + include_self), _identity(reduce, x.dtype), x.dtype)
    table_t = Scatter.apply(table, part.reshape(-1), index=(group.reshape(-1), rank + include_self))
    flat = x.reshape(-1)
    if include_self:
        own = GetItem.apply(flat, index=(targets,), advanced=True)
        table_t = Scatter.apply(table_t, own, index=(np.arange(len(targets)), 0 * targets))
    reduced = table_t.prod(1) if reduce == "prod" else table_t.amax(1) if reduce == "amax" else table_t.amin(1)
    return Scatter.apply(flat, reduced.to(x.dtype), index=(targets,)).reshape(x.shape)


def _scatter_mean(x: Tensor, part: Tensor, at: tuple, include_self: bool, mean: bool) -> Tensor:
    """scatter_reduce's sum (or mean): x (or 0 where reached, without include_self) plus the src values."""
    count = np.zeros(x.shape, np.int64)
    np.add.at(count, at, 1)
    reached = count > 0
    base = x if include_self else masked_fill(x, Tensor._make(reached), 0)
    total = add(base, ScatterAdd.apply(part, shape=x.shape, index=at, advanced=True))
    if not mean:
        return total
    count = np.where(reached, count + include_self, 1).astype(x.dtype)
    return total // count if x.dtype.kind in "iu" else total / count


def _identity(reduce: str, dtype: np.dtype) -> Any:
    """The value that leaves a product, maximum or minimum unchanged, in `dtype`."""
    if reduce == "prod":
        return 1
    if dtype.kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if dtype.kind == "b":
        return reduce == "amin"
    return np.iinfo(dtype).min if reduce == "amax" else np.iinfo(dtype).max


def index_select(x: Tensor, dim: int, index: Any) -> Tensor:
    """The entries at `index` (1-D) along `dim`; repeats accumulate gradients."""
    index = _index_array(index, "index_select")
    if index.ndim > 1:
        raise IndexError(f"index_select: index must be 0-d or 1-d, got shape {index.shape}")
    axis = normalize_dim(dim, x.ndim, "index_select")
    _check_bounds(index, x.shape[axis] if x.ndim else 1, dim, "index_select")
    if x.ndim == 0:
        if index.size != 1:
            raise IndexError(f"index_select: index to a 0-d tensor can have only 1 value, got {index.size}")
        return GetItem.apply(x.reshape(1), index=(index.reshape(()),), advanced=True)
    return GetItem.apply(x, index=(slice(None),) * axis + (index.reshape(-1),), advanced=True)


def index_add(x: Tensor, dim: int, index: Any, source: Any, alpha: Any = 1) -> Tensor:
    """A copy of `x` with alpha * source[k] added at position index[k] along `dim`; repeats accumulate."""
    index = _index_array(index, "index_add").reshape(-1)
    source = source if isinstance(source, Tensor) else Tensor(source)
    axis = normalize_dim(dim, x.ndim, "index_add")
    _check_bounds(index, x.shape[axis] if x.ndim else 1, dim, "index_add")
    expected = x.shape[:axis] + (len(index),) + x.shape[axis + 1:]
    if source.shape != expected and not (x.ndim == 0 and source.numel() == len(index) == 1):
        raise RuntimeError(f"index_add: source of shape {source.shape} should have shape {expected} "
                           f"(x {x.shape}, {len(index)} indices along dim {dim})")
    if alpha != 1:
        source = mul(source, alpha)
    at = (slice(None),) * axis + (index,)
    return add(x, ScatterAdd.apply(source.to(x.dtype).reshape(expected), shape=x.shape, index=at, advanced=True))


def index_fill(x: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    """A copy of `x` with `value` (a number or a 0-d tensor, differentiable) at positions `index` along `dim`."""
    index = _index_array(index, "index_fill")
    if index.ndim > 1:
        raise IndexError(f"index_fill: index must be 0-d or 1-d, got shape {index.shape}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"index_fill: only supports a 0-dimensional value tensor, got shape {value.shape}")
    axis = normalize_dim(dim, x.ndim, "index_fill")
    size = x.shape[axis] if x.ndim else 1
    if index.size and (index.min() < -size or index.max() >= size):
        raise IndexOutOfRange(f"index_fill: index {index.min() if index.min() < -size else index.max()} is out of "
                              f"bounds for dimension {dim} with size {size}")
    if x.ndim == 0:
        return index_put(x.reshape(1), (index.reshape(-1),), value).reshape(())
    return index_put(x, (slice(None),) * axis + (index.reshape(-1),), value)


def fill_diagonal(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    """A copy of `x` with `fill_value` on its main diagonal (all dims equal, or a matrix; `wrap` restarts
    the diagonal below a tall matrix's square part, as torch's fill_diagonal_)."""
    if x.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: dimensions must be larger than 1, got shape {x.shape}")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dimensions of input must be of equal length, got {x.shape}")
    step = 1 + sum(int(np.prod(x.shape[d + 1:])) for d in range(x.ndim - 1)) if x.ndim > 2 else x.shape[1] + 1
    end = x.numel() if wrap or x.ndim > 2 else x.shape[1] * min(x.shape)
    positions = np.unravel_index(np.arange(0, end, step), x.shape)
    return index_put(x, positions, fill_value)


def take_along_dim(x: Tensor, indices: Any, dim: int | None = None) -> Tensor:
    """gather with broadcasting: the entries at `indices` along `dim` (of the flattened x if dim is None)."""
    indices = _index_array(indices, "take_along_dim")
    if dim is None:
        return GetItem.apply(x.reshape(-1), index=(indices.reshape(-1),), advanced=True)
    axis = normalize_dim(dim, x.ndim, "take_along_dim")
    if indices.ndim != x.ndim:
        raise RuntimeError(f"take_along_dim: input {x.shape} and indices {indices.shape} should have the same "
                           "number of dimensions")
    try:
        shape = np.broadcast_shapes(x.shape[:axis] + (1,) + x.shape[axis + 1:],
                                    indices.shape[:axis] + (1,) + indices.shape[axis + 1:])
    except ValueError:
        raise ShapeError(f"take_along_dim: input {x.shape} and indices {indices.shape} do not broadcast "
                         f"outside dim {dim}") from None
    x = x.expand(shape[:axis] + (x.shape[axis],) + shape[axis + 1:])
    indices = np.broadcast_to(indices, shape[:axis] + (indices.shape[axis],) + shape[axis + 1:])
    return gather(x, axis, np.where(indices < 0, indices + x.shape[axis], indices))  # negatives count from the end


def take(x: Tensor, index: Any) -> Tensor:
    """The entries of the flattened x at `index`, in index's shape."""
    index = _index_array(index, "take")
    return GetItem.apply(x.reshape(-1), index=(index,), advanced=True)


def masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    """`value` (a number or 0-d tensor, differentiable) where `mask` is true, else x."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill: only supports a 0-dimensional value tensor, got shape {value.shape}")
    mask = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype}")
    if not broadcasts_to(mask.shape, x.shape):
        raise ShapeError(f"masked_fill: mask of shape {mask.shape} does not broadcast to {x.shape}")
    value = value.to(x.dtype) if isinstance(value, Tensor) else value
    return elementwise.where(Tensor._make(mask), value, x).to(x.dtype)


def masked_select(x: Tensor, mask: Any) -> Tensor:
    """The entries of x where `mask` (broadcast with x) is true, as a 1-D tensor."""
    mask = mask.array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_select: mask must be a bool tensor, got {mask.dtype}")
    try:
        shape = np.broadcast_shapes(mask.shape, x.shape)
    except ValueError:
        raise ShapeError(f"masked_select: mask of shape {mask.shape} does not broadcast with {x.shape}") from None
    return GetItem.apply(x.expand(shape), index=(np.broadcast_to(mask, shape),), advanced=False)


def nonzero(x: Tensor, as_tuple: bool = False) -> Tensor | tuple[Tensor, ...]:
    """Positions of the non-zero entries: an (n, ndim) int64 tensor, or one 1-D tensor per dimension."""
    positions = np.nonzero(np.atleast_1d(x.array))
    if as_tuple:
        return tuple(Tensor._make(p.astype(np.int64)) for p in positions)
    return Tensor._make(np.stack(positions, axis=1).astype(np.int64)[:, :x.ndim])


def argwhere(x: Tensor) -> Tensor:
    """The (n, ndim) int64 positions of the non-zero entries (nonzero's default form)."""
    return Tensor._make(np.argwhere(x.array).astype(np.int64))


def where(condition: Any, input: Any = None, other: Any = None) -> Any:
    """torch.where: elementwise `input` where condition else `other`; with one argument, nonzero(as_tuple=True)."""
    if input is None and other is None:
        return nonzero(condition if isinstance(condition, Tensor) else Tensor(condition), as_tuple=True)
    if input is None or other is None:
        raise TypeError("where: give both input and other, or neither")
    return elementwise.where(condition, input, other)
