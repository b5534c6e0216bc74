"""Shape ops: `Reshape`, `Permute`, `Expand` and `Cat` are primitives; the rest are composed."""
from __future__ import annotations

import operator
from typing import Any, Sequence

import numpy as np

from ..autograd.engine import Primitive
from ..errors import ShapeError
from ..dtypes import promote, to_dtype
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim, normalize_dims
from .index import GetItem


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


def view(x: Tensor, *shape: Any, dtype: Any = None) -> Tensor:
    """torch's two views: `view(*shape)` is reshape; `view(dtype)` reads the same bytes as another dtype."""
    if dtype is None and len(shape) == 1 and isinstance(shape[0], np.dtype):
        dtype, shape = shape[0], ()
    if dtype is None:
        return reshape(x, *shape)
    if shape:
        raise TypeError(f"view: give either a shape or a dtype, got {shape} and dtype={dtype!r}")
    return view_dtype(x, to_dtype(dtype))


def view_dtype(x: Tensor, dtype: np.dtype) -> Tensor:
    """The same memory read as `dtype`, outside the graph (as torch's). A different element size scales the
    last dimension, under torch's conditions on the strides and the offset (checked in torch's order)."""
    array = x._writable_array()
    old, new = array.dtype.itemsize, dtype.itemsize
    if old != new:
        what = f"to view {array.dtype} as {dtype} (different element sizes)"
        if array.ndim == 0:
            raise RuntimeError(f"view: self.dim() cannot be 0 {what}")
        strides = [s // old for s in array.strides]
        if old > new and strides[-1] != 1:
            raise RuntimeError(f"view: self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if old < new:
            ratio = new // old
            offset = (array.__array_interface__["data"][0] - _storage_address(array)) // old
            for name, got in [("size(-1)", array.shape[-1]), ("storage_offset()", offset)] + [
                    (f"stride({d})", s) for d, s in enumerate(strides[:-1])]:
                if got % ratio:
                    raise RuntimeError(f"view: self.{name} must be divisible by {ratio} {what}, but got {got}")
            if strides[-1] != 1:
                raise RuntimeError(f"view: self.stride(-1) must be 1 {what}, but got {strides[-1]}")
    return Tensor._make(array.view(dtype))


def _storage_address(array: np.ndarray) -> int:
    base = array
    while isinstance(base.base, np.ndarray):
        base = base.base
    return base.__array_interface__["data"][0]


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


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that all `shapes` broadcast to (an int counts as a 1-d shape)."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {list(shapes)} cannot be broadcast together") from None


def broadcast_tensors(*tensors: Tensor) -> tuple[Tensor, ...]:
    """Each tensor expanded (without copying) to the shape they all broadcast to."""
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def view_as(x: Tensor, other: Tensor) -> Tensor:
    return reshape(x, other.shape)


def t(x: Tensor) -> Tensor:
    """The transpose of a matrix; a 0-d or 1-d tensor is returned as is, as in torch."""
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got shape {x.shape} (use transpose or mT)")
    return transpose(x, 0, -1) if x.ndim == 2 else x


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dimension(s) `source` to position(s) `destination`, keeping the others in order."""
    sources = source if isinstance(source, (tuple, list)) else (source,)
    targets = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(sources) != len(targets):
        raise ValueError(f"movedim: source {source} and destination {destination} differ in length")
    sources = [normalize_dim(d, x.ndim, "movedim") for d in sources]
    targets = [normalize_dim(d, x.ndim, "movedim") for d in targets]
    if len(set(sources)) != len(sources) or len(set(targets)) != len(targets):
        raise ValueError(f"movedim: repeated dim in source {source} or destination {destination}")
    rest = iter(d for d in range(x.ndim) if d not in sources)
    placed = dict(zip(targets, sources))
    return permute(x, tuple(placed[i] if i in placed else next(rest) for i in range(x.ndim)))


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """Tile x `sizes` times along each dimension (extra leading sizes add dimensions)."""
    sizes = _shape_arg(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: number of repeat dims {len(sizes)} can not be smaller than the number of "
                           f"dimensions of the tensor {x.shape}")
    if min(sizes, default=0) < 0:
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    paired = reshape(x, tuple(n for s in shape for n in (1, s)))  # (1, a, 1, b): each size next to its count
    tiled = expand(paired, tuple(n for r, s in zip(sizes, shape) for n in (r, s)))
    return reshape(tiled, tuple(r * s for r, s in zip(sizes, shape)))


def tile(x: Tensor, *dims: Any) -> Tensor:
    """repeat, with missing leading counts taken as 1."""
    dims = _shape_arg(dims, "tile")
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)


def repeat_interleave(x: Tensor, repeats: Any = None, dim: int | None = None,
                      output_size: int | None = None) -> Tensor:
    """Repeat each entry (of the flattened x if dim is None) `repeats` times, one count or one per entry.

    With only a tensor of counts, `te.repeat_interleave(counts)` gives each index repeated, as torch.
    `output_size`, torch's hint of the result's length along `dim`, is checked when given.
    """
    if repeats is None:
        x, repeats, dim = Tensor._make(np.arange(len(x.array), dtype=np.int64)), x, 0
    if dim is None:
        x, dim = reshape(x, (-1,)), 0
    axis = normalize_dim(dim, x.ndim, "repeat_interleave")
    counts = np.asarray(repeats.array if isinstance(repeats, Tensor) else repeats).reshape(-1)
    if counts.dtype.kind not in "iu" or (counts.size and counts.min() < 0):
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative integers, got {counts.tolist()}")
    if counts.size == 1:  # one count for every entry: a broadcast, no index needed
        moved = unsqueeze(x, axis + 1)
        tiled = expand(moved, moved.shape[:axis + 1] + (int(counts[0]),) + moved.shape[axis + 2:])
        out = flatten(tiled, axis, axis + 1)
    elif counts.shape == (x.shape[axis],):
        out = GetItem.apply(x, index=(slice(None),) * axis + (np.repeat(np.arange(len(counts)), counts),),
                            advanced=True)
    else:
        raise RuntimeError(f"repeat_interleave: repeats of shape {counts.shape} must have one count per entry "
                           f"of dim {dim} (size {x.shape[axis]})")
    if output_size is not None and out.shape[axis] != output_size:
        raise RuntimeError(f"repeat_interleave: output_size {output_size} differs from the result's size "
                           f"{out.shape[axis]}")
    return out


def unflatten(x: Tensor, dim: int, sizes: Any) -> Tensor:
    """Split dimension `dim` into `sizes` (one may be -1)."""
    axis = normalize_dim(dim, x.ndim, "unflatten")
    sizes = _shape_arg((sizes,), "unflatten")
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[axis]) or (
            -1 in sizes and (known == 0 or x.shape[axis] % known)):
        raise RuntimeError(f"unflatten: sizes {sizes} do not multiply to the size {x.shape[axis]} of dim {dim}")
    sizes = tuple(x.shape[axis] // known if s == -1 else s for s in sizes)
    return reshape(x, x.shape[:axis] + sizes + x.shape[axis + 1:])


def narrow(x: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """Entries start .. start+length-1 along `dim` (a view, as x[..., start:start+length])."""
    axis = normalize_dim(dim, x.ndim, "narrow")
    size, start = x.shape[axis], int(start)
    start = start + size if start < 0 else start
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise IndexError(f"narrow: start {start} with length {length} exceeds dimension {dim} of size {size}")
    return _slice_along(x, axis, start, start + length)


def select(x: Tensor, dim: int, index: int) -> Tensor:
    """x[..., index, ...] at dimension `dim`: that dimension removed (a view, as torch's)."""
    axis = normalize_dim(dim, x.ndim, "select")
    if not -x.shape[axis] <= index < x.shape[axis]:
        raise IndexError(f"select: index {index} out of range for tensor of size {x.shape} at dimension {dim}")
    return x[(slice(None),) * axis + (index,)]


def unfold(x: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """Every window of `size` along `dimension`, `step` apart: that dimension becomes the number of windows
    and a new last dimension holds each window (torch's Tensor.unfold)."""
    axis = normalize_dim(dimension, x.ndim, "unfold")
    length = x.shape[axis] if x.ndim else 1
    if size > length or size < 0:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {dimension} is {length} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    count = (length - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)
    if x.ndim == 0:
        return GetItem.apply(x.reshape(1), index=(windows.reshape(-1),), advanced=True)
    out = GetItem.apply(x, index=(slice(None),) * axis + (windows,), advanced=True,
                        strided=(x.shape[:axis] + (count, size) + x.shape[axis + 1:],
                                 lambda s: s[:axis] + (s[axis] * step, s[axis]) + s[axis + 1:]))
    return movedim(out, axis + 1, -1)


def _slice_along(x: Tensor, axis: int, start: int, stop: int) -> Tensor:
    return x[(slice(None),) * axis + (slice(start, stop),)]  # indexing: an in-place write into it is recorded


def split(x: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces of `split_size_or_sections` entries (the last may be smaller), or of the listed sizes."""
    axis = normalize_dim(dim, x.ndim, "split")
    size = x.shape[axis]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [int(n) for n in split_size_or_sections]
        if sum(sizes) != size or min(sizes, default=0) < 0:
            raise RuntimeError(f"split: sizes {sizes} do not add up to the size {size} of dim {dim}")
    else:
        step = int(split_size_or_sections)
        if step <= 0 and size:
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sizes = [min(step, size - start) for start in range(0, size, step)] if size else [0]
    bounds = np.cumsum([0] + sizes)
    return tuple(_slice_along(x, axis, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]))


def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """At most `chunks` pieces of equal size (the last may be smaller), as torch.chunk."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: expects chunks to be greater than 0, got {chunks}")
    size = x.shape[normalize_dim(dim, x.ndim, "chunk")]
    return split(x, max(-(-size // chunks), 1), dim)


def tensor_split(x: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """`n` pieces as equal as can be (the first ones one longer), or the pieces between the listed indices."""
    axis = normalize_dim(dim, x.ndim, "tensor_split")
    size = x.shape[axis]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, (list, tuple)):
        bounds = [0] + [min(max(int(i) + size if int(i) < 0 else int(i), 0), size) for i in indices_or_sections]
        bounds.append(size)
    else:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {sections}")
        small, extra = divmod(size, sections)
        bounds = list(np.cumsum([0] + [small + (k < extra) for k in range(sections)]))
    return tuple(_slice_along(x, axis, int(a), int(max(a, b))) for a, b in zip(bounds[:-1], bounds[1:]))


def hsplit(x: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 of a 1-d tensor); a number of sections must divide that dim."""
    return _split_evenly(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit")


def vsplit(x: Tensor, indices_or_sections: Any) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of a tensor with at least 2 dims; a number of sections must divide it."""
    if x.ndim < 2:
        raise RuntimeError(f"vsplit: requires a tensor with at least 2 dimensions, got shape {x.shape}")
    return _split_evenly(x, indices_or_sections, 0, "vsplit")


def _split_evenly(x: Tensor, indices_or_sections: Any, axis: int, op: str) -> tuple[Tensor, ...]:
    if x.ndim == 0:
        raise RuntimeError(f"{op}: requires a tensor with at least 1 dimension, got a 0-d tensor")
    if isinstance(indices_or_sections, int) and (indices_or_sections <= 0 or x.shape[axis] % indices_or_sections):
        raise RuntimeError(f"{op}: dim {axis} of size {x.shape[axis]} is not divisible by the split size "
                           f"{indices_or_sections}")
    return tensor_split(x, indices_or_sections, axis)


def unbind(x: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    """The slices along `dim`, with that dimension removed."""
    axis = normalize_dim(dim, x.ndim, "unbind")
    return tuple(GetItem.apply(x, index=(slice(None),) * axis + (i,), advanced=False) for i in range(x.shape[axis]))


def flip(x: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of entries along `dims` (a view, as numpy's negative-step slice)."""
    axes = normalize_dims(_shape_arg(dims, "flip"), x.ndim, "flip") or ()
    index = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(x.ndim))
    return GetItem.apply(x, index=index, advanced=False)


def fliplr(x: Tensor) -> Tensor:
    if x.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {x.shape}")
    return flip(x, 1)


def flipud(x: Tensor) -> Tensor:
    if x.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d")
    return flip(x, 0)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift entries along `dims` cyclically (the flattened tensor if dims is None)."""
    shifts = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: shifts {shifts} need dims of the same length")
        return reshape(roll(reshape(x, (-1,)), shifts, 0), x.shape)
    dims = dims if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} differ in length")
    for shift, dim in zip(shifts, dims):
        axis = normalize_dim(dim, x.ndim, "roll")
        size = x.shape[axis]
        cut = size - int(shift) % size if size else 0
        if cut and cut != size:
            x = Cat.apply(_slice_along(x, axis, cut, size), _slice_along(x, axis, 0, cut), axis=axis)
    return x


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
    tensors = as_tensors(tensors, "cat")
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
    tensors = as_tensors(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: expects tensors of equal shape, got {[t.shape for t in tensors]}")
    axis = normalize_dim(dim, tensors[0].ndim + 1, "stack")
    return Cat.apply(*[unsqueeze(t, axis) for t in tensors], axis=axis)


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 1 (dim 0 for 1-d tensors)."""
    tensors = [_at_least(t, 1) for t in as_tensors(tensors, "hstack")]
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 0, 1-d tensors as rows."""
    return cat([_at_least(t, 2) for t in as_tensors(tensors, "vstack")], 0)


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """cat along dim 2, after making each tensor at least 3-d as (1, n, 1) or (m, n, 1)."""
    return cat([_at_least(t, 3) for t in as_tensors(tensors, "dstack")], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """hstack, with 0-d and 1-d tensors as columns."""
    tensors = as_tensors(tensors, "column_stack")
    return cat([reshape(t, (-1, 1)) if t.ndim < 2 else t for t in tensors], 1)


def atleast_1d(*tensors: Any) -> Any:
    return _each_at_least(tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    return _each_at_least(tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    return _each_at_least(tensors, 3)


def _each_at_least(tensors: tuple, ndim: int) -> Any:
    """torch's atleast_nd: one tensor gives a tensor; several (or a list) give a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return _at_least(tensors[0], ndim)
    if len(tensors) == 1:
        tensors = tuple(tensors[0])
    return tuple(_at_least(t, ndim) for t in tensors)


def _at_least(x: Tensor, ndim: int) -> Tensor:
    """numpy's atleast_1d/2d/3d: a 1-d (n,) becomes (1, n), then (1, n, 1); a 2-d (m, n) becomes (m, n, 1)."""
    if x.ndim >= ndim:
        return x
    if x.ndim == 0:
        return _at_least(reshape(x, (1,)), ndim)
    if x.ndim == 1:
        return _at_least(reshape(x, (1,) + x.shape), ndim)
    return reshape(x, x.shape + (1,))


def as_tensors(tensors: Sequence[Any], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not len(tensors):
        raise TypeError(f"{op}: expects a non-empty sequence of tensors")
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    dtype = tensors[0].array.dtype
    for t in tensors[1:]:
        if t.array.dtype != dtype:
            dtype = promote(np.empty((1,), dtype), t.array)
    return [t.to(dtype) for t in tensors]
