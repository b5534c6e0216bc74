"""Shape ops: `Reshape`, `Permute`, `Expand` and `Cat` are primitives; the rest are composed."""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from ..autograd.engine import Primitive
from ..errors import ShapeError
from ..dtypes import promote
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim, normalize_dims


class Reshape(Primitive):
    __slots__ = ("input_shape",)

    @staticmethod
    def forward(ctx, x, shape):
        ctx.input_shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.input_shape)


class Permute(Primitive):
    __slots__ = ("axes",)

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return x.transpose(axes)

    @staticmethod
    def backward(ctx, g):
        return bm.permute(g, tuple(np.argsort(ctx.axes)))


class Expand(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g  # the engine sums the gradient back to the input's shape


class Cat(Primitive):
    __slots__ = ("axis", "sizes")

    @staticmethod
    def forward(ctx, *arrays, axis):
        ctx.axis, ctx.sizes = axis, [a.shape[axis] for a in arrays]
        return np.concatenate(arrays, axis=axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        bounds = np.cumsum([0] + ctx.sizes)
        return tuple(g[lead + (slice(start, stop),)] for start, stop in zip(bounds[:-1], bounds[1:]))


def _shape_arg(shape: Sequence[Any], op: str) -> tuple:
    """Accept both f(2, 3) and f((2, 3)); sizes must be integers (2.5 is an error, not 2)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    try:
        return tuple(map(operator.index, shape))
    except TypeError:
        raise TypeError(f"{op}: sizes must be integers, got {tuple(shape)}") from None


def reshape(x: Tensor, *shape: Any) -> Tensor:
    shape = _shape_arg(shape, "reshape")
    if shape == x.shape:
        return x
    if shape and min(shape) < -1:
        raise ShapeError(f"reshape: invalid shape {shape} for input of shape {x.shape} (only -1 may be negative)")
    return Reshape.apply(x, shape=shape)


def permute(x: Tensor, *dims: Any) -> Tensor:
    dims = _shape_arg(dims, "permute")
    if len(dims) != x.ndim:
        raise ShapeError(f"permute: {len(dims)} dims given for a tensor of shape {x.shape}")
    axes = tuple(normalize_dim(d, x.ndim, "permute") for d in dims) if x.ndim else ()
    if sorted(axes) != list(range(x.ndim)):
        raise ShapeError(f"permute: dims {dims} are not a permutation of the dims of shape {x.shape}")
    return Permute.apply(x, axes=axes)


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    a, b = normalize_dim(dim0, x.ndim, "transpose"), normalize_dim(dim1, x.ndim, "transpose")
    if x.ndim < 2:
        return x
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, axes=tuple(axes))


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to `sizes` without copying; -1 keeps a dimension, as in torch."""
    sizes = _shape_arg(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeError(f"expand: cannot expand shape {x.shape} to {sizes} (fewer dimensions)")
    shape = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    if shape == x.shape:
        return x
    if min(shape) < 0:
        raise ShapeError(f"expand: cannot expand shape {x.shape} to {sizes}: sizes must be non-negative, and -1 "
                         "(keep the size) only works for existing dimensions")
    for i, n in enumerate(x.shape):
        if n != 1 and n != shape[lead + i]:
            raise ShapeError(f"expand: cannot expand shape {x.shape} to {sizes}: dimension {lead + i} has size {n}")
    return Expand.apply(x, shape=shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    axis = normalize_dim(dim, x.ndim + 1, "unsqueeze")
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def squeeze(x: Tensor, dim: Any = None) -> Tensor:
    """Drop dimensions of size 1 (only those in `dim` when given; others are left, as in torch)."""
    axes = normalize_dims(dim, x.ndim, "squeeze")
    keep = tuple(n for i, n in enumerate(x.shape) if n != 1 or (axes is not None and i not in axes))
    return reshape(x, keep)


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    start, end = normalize_dim(start_dim, x.ndim, "flatten"), normalize_dim(end_dim, x.ndim, "flatten")
    if x.ndim == 0:
        return reshape(x, (1,))
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    middle = int(np.prod(x.shape[start:end + 1]))
    return reshape(x, x.shape[:start] + (middle,) + x.shape[end + 1:])


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    tensors = _as_tensors(tensors, "cat")
    if any(t.ndim == 0 for t in tensors):
        raise ShapeError(f"cat: zero-dimensional tensors cannot be concatenated (shapes {[t.shape for t in tensors]})")
    axis = normalize_dim(dim, tensors[0].ndim, "cat")
    for t in tensors[1:]:
        if t.ndim != tensors[0].ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, tensors[0].shape))
                                            if i != axis):
            raise ShapeError(f"cat: shapes {[t.shape for t in tensors]} differ outside dim {dim}")
    return Cat.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of equal shape along a new dimension."""
    tensors = _as_tensors(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: expects tensors of equal shape, got {[t.shape for t in tensors]}")
    axis = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return Cat.apply(*[unsqueeze(t, axis) for t in tensors], axis=axis)


def _as_tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError(f"{op}: expects a non-empty sequence of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtype = tensors[0].array.dtype
    for t in tensors[1:]:
        if t.array.dtype != dtype:
            dtype = promote(np.empty((1,), dtype), t.array)
    return [t.to(dtype) for t in tensors]
