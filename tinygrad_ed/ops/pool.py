"""Pooling. Max-pooling is a primitive pair: `MaxPool` finds each window's maximum by comparing the kernel's
taps one strided slice at a time (and remembers which tap won, so the gradient goes to one element per
window as in torch); its gradient `Taps` (scatter) adds each output's gradient back at the winning tap, and
its gradient `Taps` (gather, reading the winners again) is the scatter's adjoint, so every order comes from these.
Average pooling is composed from conv.py's Unfold and a mean; adaptive average pooling is two matrix
products with averaging matrices."""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from .conv import Pads, Pair, Unfold, _windows, blocks, pair, unfold_array
from .matmul import matmul
from .movement import stack


def _pool_geometry(x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: bool,
                   op: str) -> tuple[Pair, Pair, Pair, Pair, Pads, Pair]:
    """kernel, stride, padding, dilation, the pads (extra on the bottom/right in ceil mode) and the output
    size, by torch's rule: in ceil mode the last window must start inside the input or its left padding."""
    kernel = pair(kernel_size, "kernel_size", op)
    step = kernel if stride is None or stride == [] or stride == () else pair(stride, "stride", op)
    pad, dil = pair(padding, "padding", op, 0), pair(dilation, "dilation", op)
    if any(pad[a] * 2 > kernel[a] for a in (0, 1)):
        raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, but got pad={pad}, "
                           f"kernel_size={kernel}")
    out, extra = [], []
    for a in (0, 1):
        size, span = x.shape[2 + a], dil[a] * (kernel[a] - 1) + 1
        length = size + 2 * pad[a] - span
        n = (-(-length // step[a]) if ceil_mode else length // step[a]) + 1
        if ceil_mode and (n - 1) * step[a] >= size + pad[a]:
            n -= 1
        if n < 1:
            raise RuntimeError(f"{op}: given input size {tuple(x.shape[1:])}, the output size would be "
                               f"{n} along dimension {2 + a}: too small")
        out.append(n)
        extra.append(max(0, (n - 1) * step[a] + span - size - 2 * pad[a]))
    pads = ((pad[0], pad[0] + extra[0]), (pad[1], pad[1] + extra[1]))
    return kernel, step, pad, dil, pads, (out[0], out[1])


def _channels_as_batch(x: Tensor, op: str) -> tuple[Tensor, bool]:
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected 3D or 4D input, got input of size {tuple(x.shape)}")
    unbatched = x.ndim == 3
    x = x.unsqueeze(0) if unbatched else x
    return x, unbatched


Geometry = tuple[tuple[int, ...], Pair, Pair, Pads, Pair]  # input shape, kernel, dilation, pads, stride


def _padded(x: np.ndarray, pads: Pads, fill: float) -> np.ndarray:
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + pt + pb, w + pl + pr), fill, x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _taps(padded_size: Any, geometry: Geometry) -> Any:
    """(tap number, (rows, columns) slices of the padded input it reads) for each kernel tap."""
    _, kernel, dilation, _, stride = geometry
    oh, ow = (blocks(padded_size[a], kernel[a], dilation[a], 0, stride[a]) for a in (0, 1))
    return enumerate(window for _, _, window in _windows(kernel, dilation, stride, oh, ow))


def scatter_taps(g: np.ndarray, tap: np.ndarray, geometry: Geometry) -> np.ndarray:
    """Each output's gradient added at its winning tap: kh*kw strided additions (windows may overlap)."""
    shape, _, _, ((pt, pb), (pl, pr)), _ = geometry
    padded_size = (shape[2] + pt + pb, shape[3] + pl + pr)
    return _scatter(g, geometry, ((window, tap == t) for t, window in _taps(padded_size, geometry)))


def _scatter(g: np.ndarray, geometry: Geometry, winners: Any) -> np.ndarray:
    """zeros of the input's shape, with g added at each ((rows, columns) slices, mask) of `winners`."""
    shape, kernel, dilation, ((pt, pb), (pl, pr)), stride = geometry
    n, c, h, w = shape
    out = np.zeros((n, c, h + pt + pb, w + pl + pr), g.dtype)
    apart = all(stride[a] >= dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1))
    for (rows, columns), winner in winners:
        if apart:  # the taps' slices are disjoint: write into them, no temporary
            np.multiply(g, winner, out=out[:, :, rows, columns])
        else:
            out[:, :, rows, columns] += g * winner
    return out[:, :, pt:pt + h, pl:pl + w]


def gather_taps(x: np.ndarray, tap: np.ndarray, geometry: Geometry) -> np.ndarray:
    """The value at each window's winning tap (scatter_taps' adjoint)."""
    padded = _padded(x, geometry[3], 0.0)
    out = np.zeros(tap.shape, x.dtype)
    for t, (rows, columns) in _taps(padded.shape[2:], geometry):
        np.copyto(out, padded[:, :, rows, columns], where=tap == t)
    return out


class Taps(Primitive):
    """Each window's winning tap: its value (`scatter=False`), or its adjoint, each output's gradient added
    back at that tap (`scatter=True`). Each is the other's gradient."""
    __slots__ = ("tap", "geometry", "scatter")

    @staticmethod
    def forward(ctx, x, tap, geometry, scatter):
        ctx.tap, ctx.geometry, ctx.scatter = tap, geometry, scatter
        return (scatter_taps if scatter else gather_taps)(x, tap, geometry)

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return Taps.apply(g, tap=ctx.tap, geometry=ctx.geometry, scatter=not ctx.scatter)
        return (gather_taps if ctx.scatter else scatter_taps)(g, ctx.tap, ctx.geometry)


class MaxPool(Primitive):
    """Each window's maximum over (N, C, H, W), keeping torch's choice among ties (the first tap in
    row-major order) and letting NaN win. Without NaN, forward keeps only the maxima (np.maximum of the
    taps, 5x faster than tracking the winner) and backward finds each window's first tap equal to its
    maximum; the tap numbers are built only when needed (indices, higher orders)."""

    __slots__ = ("tap", "geometry", "winners")
    tap: np.ndarray | None
    geometry: Geometry
    winners: np.ndarray | None  # _halve's first maxima, tap by tap

    @staticmethod
    def forward(ctx, x, geometry):
        best, ctx.tap, ctx.winners = None, None, None
        if _halving(geometry) and x.shape[1] >= HALVING_CHANNELS:
            best, ctx.winners = _halve(x, ctx.needs_input_grad[0])
        if best is None or np.isnan(np.sum(best)):
            best, ctx.tap = _max_and_taps(x, geometry)
            ctx.winners = None
        ctx.geometry = geometry
        ctx.save_for_backward(x, best)
        return best

    @staticmethod
    def backward(ctx, g):
        if ctx.winners is not None and not isinstance(g, Tensor):
            return _halve_backward(g, ctx.winners, ctx.saved_tensors[0])
        if ctx.tap is None and not isinstance(g, Tensor):
            x, best = ctx.saved_tensors
            return _scatter(g, ctx.geometry, _first_maxima(x, best, ctx.geometry))
        tap = ctx.winning_taps()
        if isinstance(g, Tensor):
            return Taps.apply(g, tap=tap, geometry=ctx.geometry, scatter=True)
        return scatter_taps(g, tap, ctx.geometry)

    def winning_taps(self) -> np.ndarray:
        if self.tap is None:
            x, best = (a.array if isinstance(a, Tensor) else a for a in self.saved_tensors)
            self.tap = _first_maxima_taps(x, best, self.geometry)
        return self.tap


HALVING_CHANNELS = 16  # max_pool2d(2) from this many channels runs on an (H, W, N, C) view or copy: see _halve


def _halving(geometry: Geometry) -> bool:
    """Whether the windows are 2x2 with stride 2 and tile the (even-sized) input exactly: max_pool2d(2)."""
    shape, kernel, dilation, pads, stride = geometry
    return kernel == stride == (2, 2) and dilation == (1, 1) and pads == ((0, 0), (0, 0)) \
        and shape[2] % 2 == 0 and shape[3] % 2 == 0


def _halve(x: np.ndarray, winners: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """max_pool2d(2) on x seen as (H, W, N, C), where each tap's slice is runs of N*C numbers rather than
    single ones (forward + backward 1.1-1.5x faster at 16 and 32 channels with a copy from NCHW, measured;
    slower for LeNet's 6): the maxima, and (with `winners`) each window's first maximum as one mask per tap.
    The maxima keep the input's layout: channels-last (as conv2d's 3x3 routes and batch norm leave it) as a
    view, NCHW by a copy back."""
    image = x.transpose(2, 3, 0, 1)
    if not _channels_innermost(x):
        image = np.ascontiguousarray(image)
    taps = [image[i::2, j::2] for i in (0, 1) for j in (0, 1)]
    best = np.maximum(taps[0], taps[1])
    np.maximum(best, taps[2], out=best)
    np.maximum(best, taps[3], out=best)
    if not winners:
        return _like(best, x), None
    first = np.empty((4,) + best.shape, bool)
    np.equal(taps[0], best, out=first[0])
    unclaimed = ~first[0]
    for k in (1, 2, 3):
        np.equal(taps[k], best, out=first[k])
        first[k] &= unclaimed
        np.not_equal(unclaimed, first[k], out=unclaimed)  # unclaimed & ~first[k] (first[k] <= unclaimed)
    return _like(best, x), first


def _channels_innermost(x: np.ndarray) -> bool:
    return x.strides[1] == x.itemsize


def _like(image: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(H, W, N, C) image -> (N, C, H, W): a view if x is channels-last, else a copy in NCHW order (through
    (N, H, W, C), as two copies that each keep runs of C contiguous are 5x faster than one)."""
    if _channels_innermost(x):
        return image.transpose(2, 3, 0, 1)
    h, w, n, c = image.shape
    batch_first = np.empty((n, h, w, c), image.dtype)
    np.copyto(batch_first, image.transpose(2, 0, 1, 3))
    return np.ascontiguousarray(batch_first.transpose(0, 3, 1, 2))


def _halve_backward(g: np.ndarray, first: np.ndarray, x: np.ndarray) -> np.ndarray:
    _, h, w, n, c = first.shape
    grad = g.transpose(2, 3, 0, 1)
    if not _channels_innermost(g):
        grad = np.ascontiguousarray(grad)  # one transposing copy rather than four strided reads
    out = np.empty((2 * h, 2 * w, n, c), g.dtype)
    for k, (i, j) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        np.multiply(grad, first[k], out=out[i::2, j::2])
    return _like(out, x)


def _max_and_taps(x: np.ndarray, geometry: Geometry) -> tuple[np.ndarray, np.ndarray | None]:
    """The maxima, and, where the input holds NaN (which wins, the last one in its window, as torch),
    the winning taps; without NaN the taps are left to _first_maxima_taps."""
    padded = _padded(x, geometry[3], -np.inf)
    taps = list(_taps(padded.shape[2:], geometry))
    best = padded[:, :, taps[0][1][0], taps[0][1][1]].copy()
    for _, (rows, columns) in taps[1:]:
        np.maximum(best, padded[:, :, rows, columns], out=best)  # NaN propagates: the check below sees it
    if not np.isnan(np.sum(best)):
        return best, None
    tap = np.zeros(best.shape, np.int32)
    best = padded[:, :, taps[0][1][0], taps[0][1][1]].copy()
    for t, (rows, columns) in taps[1:]:
        values = padded[:, :, rows, columns]
        better = (values > best) | np.isnan(values)
        np.copyto(best, values, where=better)
        np.copyto(tap, t, where=better)
    return best, tap


def _first_maxima(x: np.ndarray, best: np.ndarray, geometry: Geometry) -> Any:
    """((rows, columns) slices of a tap, where it is its window's first maximum), tap by tap."""
    padded = _padded(x, geometry[3], -np.inf)
    unclaimed = np.ones(best.shape, bool)
    for _, (rows, columns) in _taps(padded.shape[2:], geometry):
        winner = unclaimed & (padded[:, :, rows, columns] == best)
        unclaimed &= ~winner
        yield (rows, columns), winner


def _first_maxima_taps(x: np.ndarray, best: np.ndarray, geometry: Geometry) -> np.ndarray:
    tap = np.zeros(best.shape, np.int32)
    for t, (_, winner) in enumerate(_first_maxima(x, best, geometry)):
        np.copyto(tap, t, where=winner)
    return tap


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """The maximum of each window; with return_indices, also each maximum's flat position in its
    input plane (what max_unpool takes)."""
    x, unbatched = _channels_as_batch(input, "max_pool2d")
    kernel, step, pad, dil, pads, out = _pool_geometry(x, kernel_size, stride, padding, dilation, ceil_mode,
                                                       "max_pool2d")
    values = MaxPool.apply(x, geometry=(x.shape, kernel, dil, pads, step))
    result = values.squeeze(0) if unbatched else values
    if not return_indices:
        return result
    geometry = (x.shape, kernel, dil, pads, step)
    if isinstance(values.grad_fn, MaxPool):
        tap = values.grad_fn.winning_taps()
    else:
        maxima, nan_taps = _max_and_taps(x.array, geometry)
        tap = _first_maxima_taps(x.array, maxima, geometry) if nan_taps is None else nan_taps
    rows = np.arange(out[0])[:, None] * step[0] - pad[0] + (tap // kernel[1]) * dil[0]
    columns = np.arange(out[1]) * step[1] - pad[1] + (tap % kernel[1]) * dil[1]
    indices = (rows * x.shape[3] + columns).astype(np.int64)
    return result, Tensor._make(indices[0] if unbatched else indices)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Tensor:
    """The mean of each window; zero padding counts in the divisor unless count_include_pad=False (windows
    hanging past the padding in ceil mode never count the overhang)."""
    x, unbatched = _channels_as_batch(input, "avg_pool2d")
    kernel, step, pad, dil, pads, out = _pool_geometry(x, kernel_size, stride, padding, 1, ceil_mode,
                                                       "avg_pool2d")
    n, c, h, w = x.shape
    windows = Unfold.apply(x.reshape(n * c, 1, h, w), kernel=kernel, dilation=dil, pads=pads, stride=step)
    if divisor_override is not None:
        if not isinstance(divisor_override, numbers.Integral) or divisor_override == 0:
            raise RuntimeError(f"avg_pool2d: divisor must be not zero, got {divisor_override!r}")
        divisor: Any = float(divisor_override)
    else:
        divisor = _window_counts((h, w), kernel, step, pad, pads, count_include_pad).astype(x.dtype)
    result = (windows.sum(1) / divisor).reshape(n, c, *out)
    return result.squeeze(0) if unbatched else result


def _window_counts(size: Pair, kernel: Pair, step: Pair, pad: Pair, pads: Pads, include_pad: bool) -> np.ndarray:
    """How many elements each window averages: inside the input, or inside the padded input."""
    if include_pad:
        ones = np.ones((1, 1, size[0] + 2 * pad[0], size[1] + 2 * pad[1]))
        pads = ((0, pads[0][1] - pad[0]), (0, pads[1][1] - pad[1]))
    else:
        ones = np.ones((1, 1) + size)
    return unfold_array(ones, kernel, (1, 1), pads, step).sum(1)[0]


def _as_1d(x: Tensor, op: str) -> tuple[Tensor, bool]:
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected 2D or 3D input, got input of size {tuple(x.shape)}")
    return x.unsqueeze(-2), x.ndim == 2


def _single(value: Any, name: str, default: int) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"expected {name} to be a single int or a 1-tuple, got {value!r}")
        value = value[0]
    return (default, value)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, dilation: Any = 1,
               ceil_mode: bool = False, return_indices: bool = False) -> Any:
    x, _ = _as_1d(input, "max_pool1d")
    stride = None if stride is None or stride == [] or stride == () else _single(stride, "stride", 1)
    result = max_pool2d(x, _single(kernel_size, "kernel_size", 1), stride, _single(padding, "padding", 0),
                        _single(dilation, "dilation", 1), ceil_mode, return_indices)
    if return_indices:
        return result[0].squeeze(-2), result[1].squeeze(-2)
    return result.squeeze(-2)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0, ceil_mode: bool = False,
               count_include_pad: bool = True) -> Tensor:
    x, _ = _as_1d(input, "avg_pool1d")
    stride = None if stride is None or stride == [] or stride == () else _single(stride, "stride", 1)
    return avg_pool2d(x, _single(kernel_size, "kernel_size", 1), stride, _single(padding, "padding", 0), ceil_mode,
                      count_include_pad).squeeze(-2)


def _adaptive_bounds(size: int, out: int) -> list[tuple[int, int]]:
    """torch's adaptive windows: [floor(i*size/out), ceil((i+1)*size/out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _output_size(x: Tensor, output_size: Any, op: str) -> Pair:
    sizes = (output_size, output_size) if output_size is None or isinstance(output_size, numbers.Integral) \
        else tuple(output_size)
    if len(sizes) != 2:
        raise ValueError(f"{op}: output_size must be an int or a pair, got {output_size!r}")
    sizes = tuple(x.shape[-2 + a] if s is None else int(s) for a, s in enumerate(sizes))
    if min(sizes) < 1 and min(x.shape[-2:]) > 0:
        raise RuntimeError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def _averaging_matrix(size: int, out: int, dtype: Any) -> Tensor:
    matrix = np.zeros((out, size), dtype)
    for i, (start, stop) in enumerate(_adaptive_bounds(size, out)):
        matrix[i, start:stop] = 1.0 / (stop - start)
    return Tensor._make(matrix)


class GlobalMean(Primitive):
    """The mean over the last two dimensions, dimensions kept. Of a batch, the (H*W, N*C) rows are summed by
    one BLAS product with ones (a view of channels-last input, else a copy: 2x faster than np.mean, and
    the same numbers whatever the layout). Its gradient is laid out like the input (a mean's would be in
    C order), so the elementwise steps before it see one layout in backward too."""

    __slots__ = ("axes", "input_shape")

    @staticmethod
    def forward(ctx, x):
        ctx.input_shape = x.shape
        ctx.axes = sorted(range(x.ndim), key=lambda a: -x.strides[a])  # x's memory order
        if x.ndim != 4:
            return x.mean((-2, -1), keepdims=True)
        n, c, h, w = x.shape
        rows = x.transpose(2, 3, 0, 1).reshape(h * w, -1)
        return (np.dot(np.ones(h * w, x.dtype), rows) / (h * w)).reshape(n, c, 1, 1)

    @staticmethod
    def backward(ctx, g):
        shape = ctx.input_shape
        if isinstance(g, Tensor):
            return (g / (shape[-2] * shape[-1])).expand(*shape)
        out = np.empty([shape[a] for a in ctx.axes], g.dtype)  # in x's memory order, filled in it
        out[...] = (g / (shape[-2] * shape[-1])).transpose(ctx.axes)
        return out.transpose(np.argsort(ctx.axes))


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """Average pooling to a fixed output size: rows, then columns, each averaged by one matrix product."""
    if input.ndim not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d: expected 3D or 4D input, got input of size {tuple(input.shape)}")
    oh, ow = _output_size(input, output_size, "adaptive_avg_pool2d")
    if (oh, ow) == (1, 1):  # global average pooling: a mean, not two products with averaging rows
        return GlobalMean.apply(input)
    rows = _averaging_matrix(input.shape[-2], oh, input.dtype)
    columns = _averaging_matrix(input.shape[-1], ow, input.dtype)
    return matmul(matmul(rows, input), columns.T)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max pooling to a fixed output size (one window at a time: the windows differ in size)."""
    x, unbatched = _channels_as_batch(input, "adaptive_max_pool2d")
    oh, ow = _output_size(x, output_size, "adaptive_max_pool2d")
    w = x.shape[3]
    values, indices = [], []
    for top, bottom in _adaptive_bounds(x.shape[2], oh):
        for left, right in _adaptive_bounds(w, ow):
            best = x[:, :, top:bottom, left:right].flatten(2).max(2)
            values.append(best.values)
            width = right - left
            flat = best.indices.array
            indices.append((top + flat // width) * w + left + flat % width)
    out = stack(values, 2).reshape(x.shape[0], x.shape[1], oh, ow)
    out = out.squeeze(0) if unbatched else out
    if not return_indices:
        return out
    positions = np.stack(indices, 2).reshape(x.shape[0], x.shape[1], oh, ow).astype(np.int64)
    return out, Tensor._make(positions[0] if unbatched else positions)


__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_max_pool2d"]
