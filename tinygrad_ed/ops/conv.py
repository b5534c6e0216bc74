"""Convolution. `Unfold` (im2col: every kernel window as a column) and `Fold` (col2im: add the columns back)
are the primitives, each the other's gradient; conv1d, conv2d and conv_transpose2d are matrix products
around them, so every gradient, of any order, comes from these two and matmul. 3x3 stride-1 convolutions
of several channels take winograd.py's route instead (2.25x fewer multiplications)."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..checks import check_same_dtype
from ..tensor import Tensor
from . import backward_math as bm
from . import winograd
from .matmul import linear, matmul
from .norm import Channels

# From this many input channels a 3x3 stride-1 conv2d takes winograd.py's route: forward + backward 1.1-2x
# faster than im2col at 8x8 to 32x32 images of 8 to 64 channels (measured; 8 channels on 28x28 are 10%
# slower); with fewer, im2col's product is too cheap for the transforms to pay.
WINOGRAD_CHANNELS = 8

Pair = tuple[int, int]
Pads = tuple[Pair, Pair]  # ((top, bottom), (left, right))


def blocks(size: int, kernel: int, dilation: int, pad: int, stride: int) -> int:
    """How many kernel windows fit along one axis of `size` padded by `pad` in all."""
    return (size + pad - dilation * (kernel - 1) - 1) // stride + 1


def unfold_array(x: np.ndarray, kernel: Pair, dilation: Pair, pads: Pads, stride: Pair,
                 fill: float = 0.0, rows: bool = False) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, L): one column per window, by kh*kw strided slice copies (within 1.5x
    of sliding_window_view's copy either way at LeNet sizes, measured; the same loop as fold's).

    With `rows`, (kh*kw*C, L*N) instead, windows in (row, column, image) order: the transpose of a matrix
    with one row per window, taps then channels, so that a convolution is a single 2-D matrix product
    whose result is channels-last (L*N, O). The batch is innermost, so each tap's copy is runs of
    output-row length times N (3x faster than runs of C for one channel, measured)."""
    n, c, h, w = x.shape
    (pt, pb), (pl, pr) = pads
    if rows:
        padded = np.full((c, h + pt + pb, w + pl + pr, n), fill, x.dtype)
        padded[:, pt:pt + h, pl:pl + w] = x.transpose(1, 2, 3, 0)
        x = padded
    elif pt or pb or pl or pr:
        padded = np.full((n, c, h + pt + pb, w + pl + pr), fill, x.dtype)
        padded[:, :, pt:pt + h, pl:pl + w] = x
        x = padded
    oh, ow = (blocks(x.shape[2 - rows + a], kernel[a], dilation[a], 0, stride[a]) for a in (0, 1))
    cols = np.empty((kernel[0], kernel[1], c, oh, ow, n) if rows else (n, c, kernel[0], kernel[1], oh, ow), x.dtype)
    for i, j, window in _windows(kernel, dilation, stride, oh, ow):
        if rows:
            cols[i, j] = x[:, window[0], window[1]]
        else:
            cols[:, :, i, j] = x[:, :, window[0], window[1]]
    return cols.reshape(-1, oh * ow * n) if rows else cols.reshape(n, -1, oh * ow)


def _windows(kernel: Pair, dilation: Pair, stride: Pair, oh: int, ow: int) -> Any:
    """(i, j, (rows, columns)): the slices of the padded input that kernel tap (i, j) reads."""
    for i in range(kernel[0]):
        top = i * dilation[0]
        for j in range(kernel[1]):
            left = j * dilation[1]
            yield i, j, (slice(top, top + stride[0] * (oh - 1) + 1, stride[0]),
                         slice(left, left + stride[1] * (ow - 1) + 1, stride[1]))


def fold_array(cols: np.ndarray, size: Pair, kernel: Pair, dilation: Pair, pads: Pads,
               stride: Pair, rows: bool = False) -> np.ndarray:
    """(N, C*kh*kw, L) -> (N, C, H, W), overlapping windows summed: kh*kw strided slice additions
    (10-16x faster than np.add.at with precomputed indices, measured). With `rows`, the input is
    unfold_array's rows layout (kh*kw*C, L*N), and the output a view of a (C, H, W, N) array."""
    (pt, pb), (pl, pr) = pads
    full = (size[0] + pt + pb, size[1] + pl + pr)
    oh, ow = (blocks(full[a], kernel[a], dilation[a], 0, stride[a]) for a in (0, 1))
    if rows:
        c = cols.shape[0] // (kernel[0] * kernel[1])
        n = cols.shape[1] // (oh * ow)
        cols = cols.reshape(kernel[0], kernel[1], c, oh, ow, n)
        out = np.zeros((c,) + full + (n,), cols.dtype)
        for i, j, window in _windows(kernel, dilation, stride, oh, ow):
            out[:, window[0], window[1]] += cols[i, j]
        return out[:, pt:pt + size[0], pl:pl + size[1]].transpose(3, 0, 1, 2)
    n = cols.shape[0]
    c = cols.size // (n * oh * ow * kernel[0] * kernel[1])
    cols = cols.reshape(n, c, kernel[0], kernel[1], oh, ow)
    out = np.zeros((n, c) + full, cols.dtype)
    for i, j, window in _windows(kernel, dilation, stride, oh, ow):
        out[:, :, window[0], window[1]] += cols[:, :, i, j]
    return out[:, :, pt:pt + size[0], pl:pl + size[1]]


class Unfold(Primitive):
    __slots__ = ("geometry",)

    @staticmethod
    def forward(ctx, x, kernel, dilation, pads, stride, fill=0.0, rows=False):
        ctx.geometry = (x.shape[2:], kernel, dilation, pads, stride, rows)
        return unfold_array(x, kernel, dilation, pads, stride, fill, rows)

    @staticmethod
    def backward(ctx, g):
        size, kernel, dilation, pads, stride, rows = ctx.geometry
        if isinstance(g, Tensor):
            return Fold.apply(g, size=size, kernel=kernel, dilation=dilation, pads=pads, stride=stride, rows=rows)
        return fold_array(g, size, kernel, dilation, pads, stride, rows)


class Fold(Primitive):
    __slots__ = ("geometry",)

    @staticmethod
    def forward(ctx, cols, size, kernel, dilation, pads, stride, rows=False):
        ctx.geometry = (kernel, dilation, pads, stride, rows)
        return fold_array(cols, size, kernel, dilation, pads, stride, rows)

    @staticmethod
    def backward(ctx, g):
        kernel, dilation, pads, stride, rows = ctx.geometry
        if isinstance(g, Tensor):
            return Unfold.apply(g, kernel=kernel, dilation=dilation, pads=pads, stride=stride, rows=rows)
        return unfold_array(g, kernel, dilation, pads, stride, rows=rows)


def pair(value: Any, name: str, op: str, minimum: int = 1) -> Pair:
    """An int or a sequence of two ints, as torch's _pair; checked against `minimum`."""
    values = (value, value) if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in values):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in values):
        raise RuntimeError(f"{op}: {name} should be at least {minimum}, but got {value!r}")
    return (int(values[0]), int(values[1]))


def symmetric(padding: Pair) -> Pads:
    return ((padding[0], padding[0]), (padding[1], padding[1]))


def _batched(x: Tensor, dims: int, op: str) -> tuple[Tensor, bool]:
    """x with a batch dimension (added when x has `dims - 1`), and whether one was added."""
    if x.ndim == dims - 1:
        return x.unsqueeze(0), True
    if x.ndim != dims:
        raise RuntimeError(f"{op}: expected {dims - 1}D (unbatched) or {dims}D (batched) input, "
                           f"but got input of size: {tuple(x.shape)}")
    return x, False


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), each column one window of the (zero-padded) input."""
    x, unbatched = _batched(input, 4, "unfold")
    kernel, dil = pair(kernel_size, "kernel_size", "unfold"), pair(dilation, "dilation", "unfold")
    pad, step = pair(padding, "padding", "unfold", 0), pair(stride, "stride", "unfold")
    _check_windows(x.shape[2:], kernel, dil, symmetric(pad), step, "unfold")
    out = Unfold.apply(x, kernel=kernel, dilation=dil, pads=symmetric(pad), stride=step)
    return out.squeeze(0) if unbatched else out


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """col2im: (N, C*kh*kw, L) -> (N, C, H, W), summing where windows overlap; unfold's adjoint."""
    cols, unbatched = _batched(input, 3, "fold")
    size, kernel = pair(output_size, "output_size", "fold"), pair(kernel_size, "kernel_size", "fold")
    dil, step = pair(dilation, "dilation", "fold"), pair(stride, "stride", "fold")
    pad = pair(padding, "padding", "fold", 0)
    count = math.prod(blocks(size[a], kernel[a], dil[a], 2 * pad[a], step[a]) for a in (0, 1))
    if cols.shape[1] % (kernel[0] * kernel[1]) or cols.shape[2] != count:
        raise RuntimeError(f"fold: expected input of size (N, C*{kernel[0]}*{kernel[1]}, {count}) for "
                           f"output_size={size}, kernel_size={kernel}, got {tuple(input.shape)}")
    out = Fold.apply(cols, size=size, kernel=kernel, dilation=dil, pads=symmetric(pad), stride=step)
    return out.squeeze(0) if unbatched else out


def _check_windows(size: Any, kernel: Pair, dilation: Pair, pads: Pads, stride: Pair, op: str) -> Pair:
    out = (blocks(size[0], kernel[0], dilation[0], sum(pads[0]), stride[0]),
           blocks(size[1], kernel[1], dilation[1], sum(pads[1]), stride[1]))
    if min(out) < 1:
        raise RuntimeError(f"{op}: input of spatial size {tuple(size)} (padded by {pads}) is smaller than the "
                           f"kernel {kernel} with dilation {dilation}: the output would be {out}")
    return out


def _same_pads(kernel: Pair, dilation: Pair) -> Pads:
    """torch's padding='same': total d*(k-1) per axis, the odd one extra on the bottom/right."""
    totals = [dilation[a] * (kernel[a] - 1) for a in (0, 1)]
    return ((totals[0] // 2, totals[0] - totals[0] // 2), (totals[1] // 2, totals[1] - totals[1] // 2))


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation as torch: unfold the input, then one matrix product with the flattened filters."""
    x, unbatched = _batched(input, 4, "conv2d")
    if weight.ndim != 4:
        raise RuntimeError(f"conv2d: weight should be 4D (out_channels, in_channels/groups, kH, kW), "
                           f"got size {tuple(weight.shape)}")
    check_same_dtype("conv2d", x, weight, "input and weight")
    step, dil = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    out_channels, group_channels, kh, kw = weight.shape
    if not isinstance(groups, numbers.Integral) or groups < 1 or out_channels % groups:
        raise RuntimeError(f"conv2d: groups must be a positive integer dividing out_channels={out_channels}, "
                           f"got {groups!r}")
    if x.shape[1] != group_channels * groups:
        raise RuntimeError(f"conv2d: given groups={groups}, weight of size {tuple(weight.shape)}, expected input"
                           f"{tuple(input.shape)} to have {group_channels * groups} channels, "
                           f"but got {x.shape[1]} channels instead")
    pads = _conv_pads(padding, (kh, kw), dil, step, "conv2d")
    oh, ow = _check_windows(x.shape[2:], (kh, kw), dil, pads, step, "conv2d")
    n = x.shape[0]
    if (kh, kw) == (3, 3) and step == dil == (1, 1) and groups == 1 and x.shape[1] >= WINOGRAD_CHANNELS:
        out = winograd.conv2d(x, weight, bias, pads)
        return out.squeeze(0) if unbatched else out
    if x.shape[1] < ow and (kh, kw) != (3, 3):
        return _conv2d_per_image(x, weight, bias, (kh, kw), dil, pads, step, groups, (oh, ow), unbatched)
    windows = Unfold.apply(x, kernel=(kh, kw), dilation=dil, pads=pads, stride=step, rows=True)  # (taps*C, L*N)
    filters = weight.permute(0, 2, 3, 1)  # (O, kh, kw, C/groups): the taps-then-channels order of the rows
    if groups == 1:
        out = linear(windows.T, filters.reshape(out_channels, -1))
    else:
        windows = windows.reshape(kh * kw, groups, group_channels, oh * ow * n).permute(1, 3, 0, 2)
        filters = filters.reshape(groups, out_channels // groups, -1).transpose(1, 2)
        out = matmul(windows.reshape(groups, oh * ow * n, -1), filters).permute(1, 0, 2)
    out = out.reshape(oh, ow, n, out_channels).permute(2, 3, 0, 1)  # channels-last, as Winograd's route
    if bias is not None:
        out = ChannelBias.apply(out, bias)
    return out.squeeze(0) if unbatched else out


class ChannelBias(Primitive):
    """x (N, C, H, W) + bias along dimension 1, in x's layout. Its own primitive for the bias gradient:
    winograd.channel_sums' BLAS product rather than a sum over (L*N, C) rows of a few numbers each
    (10x faster for 16 channels, measured)."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, x, bias):
        channels = Channels(x)  # x's rows, as batch norm sees them: a broadcast add over long runs
        rows = channels.rows(x)
        return channels.unrows(rows + channels.spread(bias, rows.shape[1]))

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):
            return g, bm.sum(g, (0, 2, 3))
        return g, winograd.channel_sums(g)


def _conv2d_per_image(x: Tensor, weight: Tensor, bias: Tensor | None, kernel: Pair, dilation: Pair, pads: Pads,
                      stride: Pair, groups: int, size: Pair, unbatched: bool) -> Tensor:
    """conv2d as one (O, C*kh*kw) @ (C*kh*kw, L) product per image, giving (N, O, L) in place. Chosen when
    an image row is longer than its channel count and the filter is not 3x3 (LeNet's 5x5 layers: its step
    is 1.17x slower through the rows route, measured); 3x3 layers take the rows route, whose channels-last
    output the Winograd layers after them read without a transpose."""
    n, out_channels = x.shape[0], weight.shape[0]
    windows = Unfold.apply(x, kernel=kernel, dilation=dilation, pads=pads, stride=stride)  # (N, C*kh*kw, L)
    windows = windows.reshape(n, groups, -1, windows.shape[2])
    out = PerImageProduct.apply(weight.reshape(groups, out_channels // groups, -1), windows, bias)
    out = out.reshape(n, out_channels, *size)
    return out.squeeze(0) if unbatched else out


class PerImageProduct(Primitive):
    """filters (G, O/G, K) @ windows (N, G, K, L) + bias (O,) -> (N, G, O/G, L): each image's (and group's)
    window matrix times its filters, the bias added in place (one pass and one array fewer than an add)."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, filters, windows, bias):
        need_filters, need_windows, _ = ctx.needs_input_grad
        ctx.save_for_backward(windows if need_filters else None, filters if need_windows else None)
        out = np.matmul(filters, windows)
        if bias is not None:
            out += bias.reshape(filters.shape[0], -1, 1)
        return out

    @staticmethod
    def backward(ctx, g):
        windows, filters = ctx.saved_tensors
        need_filters, need_windows, need_bias = ctx.needs_input_grad
        return (bm.sum(bm.matmul(g, bm.swap_last(windows)), 0) if need_filters else None,
                bm.matmul(bm.swap_last(filters), g) if need_windows else None,
                bm.sum(g, (0, 3)).reshape(-1) if need_bias else None)


def _conv_pads(padding: Any, kernel: Pair, dilation: Pair, stride: Pair, op: str) -> Pads:
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for strided convolutions")
        return _same_pads(kernel, dilation)
    if isinstance(padding, str):
        raise ValueError(f"{op}: invalid padding string {padding!r}, should be one of {{'valid', 'same'}}")
    return symmetric(pair(padding, "padding", op, 0))


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0,
           dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation: conv2d on a height-1 image."""
    x, unbatched = _batched(input, 3, "conv1d")
    if weight.ndim != 3:
        raise RuntimeError(f"conv1d: weight should be 3D (out_channels, in_channels/groups, kW), "
                           f"got size {tuple(weight.shape)}")
    pad = padding if isinstance(padding, str) else (0, _single(padding, "padding"))
    out = conv2d(x.unsqueeze(2), weight.unsqueeze(2), bias, (1, _single(stride, "stride")), pad,
                 (1, _single(dilation, "dilation")), groups).squeeze(2)
    return out.squeeze(0) if unbatched else out


def _single(value: Any, name: str) -> int:
    if isinstance(value, (tuple, list)):
        if len(value) != 1:
            raise TypeError(f"expected {name} to be a single int or a 1-tuple, got {value!r}")
        return value[0]
    return value


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1, dilation: Any = 1) -> Tensor:
    """The adjoint of conv2d (a "deconvolution"): a matrix product, then fold the columns into the image."""
    x, unbatched = _batched(input, 4, "conv_transpose2d")
    if weight.ndim != 4 or weight.shape[0] != x.shape[1] or weight.shape[0] % groups:
        raise RuntimeError(f"conv_transpose2d: weight of size {tuple(weight.shape)} (in_channels, "
                           f"out_channels/groups, kH, kW) does not fit input of size {tuple(input.shape)} "
                           f"with groups={groups}")
    step, dil = pair(stride, "stride", "conv_transpose2d"), pair(dilation, "dilation", "conv_transpose2d")
    pad = pair(padding, "padding", "conv_transpose2d", 0)
    extra = pair(output_padding, "output_padding", "conv_transpose2d", 0)
    if any(extra[a] >= max(step[a], dil[a]) for a in (0, 1)):
        raise RuntimeError(f"conv_transpose2d: output padding {extra} must be smaller than either stride "
                           f"{step} or dilation {dil}")
    in_channels, group_out, kh, kw = weight.shape
    n, _, h, w = x.shape
    size = tuple((x.shape[2 + a] - 1) * step[a] - 2 * pad[a] + dil[a] * ((kh, kw)[a] - 1) + extra[a] + 1
                 for a in (0, 1))
    if min(size) < 1:
        raise RuntimeError(f"conv_transpose2d: the output size {size} is too small")
    x = x.reshape(n, groups, in_channels // groups, h * w)
    filters = weight.reshape(groups, in_channels // groups, group_out * kh * kw).transpose(1, 2)
    cols = matmul(filters, x).reshape(n, groups * group_out * kh * kw, h * w)
    out = Fold.apply(cols, size=size, kernel=(kh, kw), dilation=dil, pads=symmetric(pad), stride=step)
    if bias is not None:
        out = out + bias.reshape(-1, 1, 1)
    return out.squeeze(0) if unbatched else out
