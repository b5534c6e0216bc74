"""Winograd's F(2x2, 3x3) convolution: 3x3, stride 1, no dilation, no groups. Each 2x2 block of outputs
(a "tile") comes from the 4x4 input patch under it; with V = B^T patch B and U = G filter G^T (both 4x4),
the tile is A^T (U * V) A, so the work is 16 matrix products (one per element of the 4x4 transforms) of
(tiles, C) by (C, O): 2.25x fewer multiplications than im2col's product.

Three linear maps, each with its adjoint, do the rest: `input` (padded image -> V), `output` (the 16
products -> image) and `filter` (weights -> U). One primitive, `Transform`, applies any of the six;
its gradient is the adjoint map (the same primitive), so every order comes from it and matmul.

Internally the arrays are laid out (rows, columns, N, channels): a transform combines rows or columns,
so each numpy operation works on runs of N*channels contiguous numbers (the NCHW layout would give runs
of 2 to 8). The output and the input's gradient are left in that order, as views with NCHW shape."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm
from .matmul import Matmul

_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])
_KRON = np.einsum("ai,bj->baij", _G, _G).reshape(16, 9)  # U[(b, a)] = sum over (i, j) of G[a, i] w[i, j] G[b, j]


# (input height and width, padding before the first row and column, output height and width, 2x2 tiles
# along each axis (an odd output size gets a cropped last tile)): plain tuples, as te.compile writes them
Geometry = tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]


def geometry(size: Any, pads: Any) -> Geometry:
    out = (size[0] + sum(pads[0]) - 2, size[1] + sum(pads[1]) - 2)
    return (size[0], size[1]), (pads[0][0], pads[1][0]), out, ((out[0] + 1) // 2, (out[1] + 1) // 2)


def _patches(v: np.ndarray, axis: int, out: np.ndarray) -> None:
    """B^T along `axis` of v (length 2t + 2) for each of t overlapping patches of 4 (stride 2), into
    out (4, ...) with that axis of length t: d0 - d2, d1 + d2, d2 - d1, d1 - d3."""
    even, odd = _split(v, axis)
    first, second = _ends(even, axis), _ends(odd, axis)
    np.subtract(first[0], first[1], out=out[0])
    np.add(second[0], first[1], out=out[1])
    np.subtract(first[1], second[0], out=out[2])
    np.subtract(second[0], second[1], out=out[3])


def _patches_adjoint(g: np.ndarray, axis: int, out: np.ndarray) -> None:
    """The adjoint of _patches: the 4 transformed values of each patch, g (4, ...), summed back into
    out (length 2t + 2 along `axis`, overwritten)."""
    even, odd = _split(out, axis)
    first, second = _ends(even, axis), _ends(odd, axis)
    last = (slice(None),) * axis + (-1,)
    np.copyto(first[0], g[0])
    even[last] = 0
    middle = g[1] + g[2]
    middle -= g[0]
    np.add(first[1], middle, out=first[1])
    np.subtract(g[1], g[2], out=second[0])
    np.add(second[0], g[3], out=second[0])
    odd[last] = 0
    np.subtract(second[1], g[3], out=second[1])


def _split(v: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    index = (slice(None),) * axis
    return v[index + (slice(0, None, 2),)], v[index + (slice(1, None, 2),)]


def _ends(v: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    index = (slice(None),) * axis
    return v[index + (slice(None, -1),)], v[index + (slice(1, None),)]


def _tiles(m: np.ndarray, axis: int, out: np.ndarray) -> None:
    """A^T along `axis`: the 4 transformed values m (4, ...) of each tile to its 2 outputs, m0 + m1 + m2
    and m1 - m2 - m3, interleaved into out (twice as long along `axis`)."""
    even, odd = _split(out, axis)
    np.add(m[0], m[1], out=even)
    even += m[2]
    np.subtract(m[1], m[2], out=odd)
    odd -= m[3]


def _tiles_adjoint(g: np.ndarray, axis: int, out: np.ndarray) -> None:
    even, odd = _split(g, axis)
    np.copyto(out[0], even)
    np.add(even, odd, out=out[1])
    np.subtract(even, odd, out=out[2])
    np.negative(odd, out=out[3])


def transform_input(x: np.ndarray, geo: Geometry) -> np.ndarray:
    """(N, C, H, W) -> V (16, tiles * N, C): each 4x4 patch of the zero-padded image, transformed."""
    n, c, h, w = x.shape
    _, (top, left), _, (th, tw) = geo
    padded = np.empty((2 * th + 2, 2 * tw + 2, n, c), x.dtype)
    padded[:top], padded[top + h:], padded[:, :left], padded[:, left + w:] = 0, 0, 0, 0
    padded[top:top + h, left:left + w] = x.transpose(2, 3, 0, 1)
    rows = np.empty((4, th, 2 * tw + 2, n, c), x.dtype)
    _patches(padded, 0, rows)
    v = np.empty((4, 4, th, tw, n, c), x.dtype)
    _patches(rows, 2, v)
    return v.reshape(16, -1, c)


def transform_input_adjoint(v: np.ndarray, geo: Geometry) -> np.ndarray:
    (h, w), (top, left), _, (th, tw) = geo
    n, c = v.shape[1] // (th * tw), v.shape[2]
    rows = np.empty((4, th, 2 * tw + 2, n, c), v.dtype)
    _patches_adjoint(v.reshape(4, 4, th, tw, n, c), 2, rows)
    padded = np.empty((2 * th + 2, 2 * tw + 2, n, c), v.dtype)
    _patches_adjoint(rows, 0, padded)
    return padded[top:top + h, left:left + w].transpose(2, 3, 0, 1)


def transform_output(m: np.ndarray, geo: Geometry, bias: np.ndarray | None = None) -> np.ndarray:
    """The 16 products m (16, tiles * N, O) -> (N, O, H', W'), plus the bias: a view of the (H', W', N, O)
    array the transform writes (channels-last; batch norm, ReLU and pooling keep that order)."""
    _, _, (oh, ow), (th, tw) = geo
    n, o = m.shape[1] // (th * tw), m.shape[2]
    m = m.reshape(4, 4, th, tw, n, o)
    rows = np.empty((4, 2 * th, tw, n, o), m.dtype)
    _tiles(m.swapaxes(0, 1), 1, rows)
    if bias is not None:
        rows[1] += bias  # the second map adds rows[1] to both outputs of a pair: half the image's work
    image = np.empty((2 * th, 2 * tw, n, o), m.dtype)
    _tiles(rows, 1, image)
    return image[:oh, :ow].transpose(2, 3, 0, 1)


def transform_output_adjoint(g: np.ndarray, geo: Geometry) -> np.ndarray:
    _, _, (oh, ow), (th, tw) = geo
    n, o = g.shape[:2]
    image = g.transpose(2, 3, 0, 1)
    cropped = (oh, ow) != (2 * th, 2 * tw)
    if cropped or not image.flags.c_contiguous:  # else g is already laid out as the transform reads it
        image = (np.zeros if cropped else np.empty)((2 * th, 2 * tw, n, o), g.dtype)
        image[:oh, :ow] = g.transpose(2, 3, 0, 1)
    rows = np.empty((4, 2 * th, tw, n, o), g.dtype)
    _tiles_adjoint(image, 1, rows)
    m = np.empty((4, 4, th, tw, n, o), g.dtype)
    _tiles_adjoint(rows, 1, m.swapaxes(0, 1))
    return m.reshape(16, -1, o)


def transform_filter(w: np.ndarray, geo: Geometry) -> np.ndarray:
    """(O, C, 3, 3) -> U (16, C, O): G w G^T for each filter, in V's order of the 16 elements, as one
    product with G's Kronecker square (4x faster than two products with G)."""
    o, c = w.shape[:2]
    taps = w.reshape(o, c, 9).transpose(2, 1, 0).reshape(9, -1)
    return np.dot(_KRON.astype(w.dtype), taps).reshape(16, c, o)


def transform_filter_adjoint(u: np.ndarray, geo: Geometry) -> np.ndarray:
    c, o = u.shape[1:]
    taps = np.dot(_KRON.T.astype(u.dtype), u.reshape(16, -1)).reshape(9, c, o)
    return np.ascontiguousarray(taps.transpose(2, 1, 0)).reshape(o, c, 3, 3)


def channel_sums(a: np.ndarray) -> np.ndarray:
    """The sums over all but dimension 1 of an (N, C, H, W) array, added in (H, W, N) order whatever a's
    layout (a copy when it differs), so that eager and te.compile runs, whose layouts may differ, get the
    same numbers: one BLAS product of ones with (H*W*N, C) rows, 2-3x faster than einsum on them."""
    rows = a.transpose(2, 3, 0, 1).reshape(-1, a.shape[1])
    return np.dot(np.ones(rows.shape[0], a.dtype), rows)


Map = Callable[..., np.ndarray]
_MAPS: dict[str, tuple[Map, Map]] = {"input": (transform_input, transform_input_adjoint),
                                     "output": (transform_output, transform_output_adjoint),
                                     "filter": (transform_filter, transform_filter_adjoint)}


class Transform(Primitive):
    """One of the three linear maps or (`adjoint=True`) its adjoint; the output map also adds a bias."""

    __slots__ = ("kind", "adjoint", "geometry")

    @staticmethod
    def forward(ctx, a, bias=None, *, kind, adjoint, geometry):
        ctx.kind, ctx.adjoint, ctx.geometry = kind, adjoint, geometry
        if bias is not None:
            return transform_output(a, geometry, bias)
        return _MAPS[kind][adjoint](a, geometry)

    @staticmethod
    def backward(ctx, g):
        kind, adjoint, geo = ctx.kind, not ctx.adjoint, ctx.geometry
        grad = Transform.apply(g, kind=kind, adjoint=adjoint, geometry=geo) if isinstance(g, Tensor) \
            else _MAPS[kind][adjoint](g, geo)
        if len(ctx.needs_input_grad) == 1:
            return grad
        if not ctx.needs_input_grad[1]:
            return grad, None
        return grad, bm.sum(g, (0, 2, 3)) if isinstance(g, Tensor) else channel_sums(g)


class TileProduct(Matmul):
    """The 16 products V (16, T, C) @ U (16, C, O): Matmul, but with U's transpose copied before the
    input gradient's product (np.matmul is 1.5x slower with it as a transposed view at these shapes)."""

    __slots__ = ()

    @staticmethod
    def backward(ctx, g):
        if isinstance(g, Tensor):  # create_graph: Matmul's rule, recorded
            return Matmul.backward(ctx, g)
        v, u = ctx.saved_tensors
        need_v, need_u = ctx.needs_input_grad
        return (np.matmul(g, np.ascontiguousarray(u.swapaxes(1, 2))) if need_v else None,
                np.matmul(v.swapaxes(1, 2), g) if need_u else None)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None, pads: Any) -> Tensor:
    """3x3 cross-correlation of (N, C, H, W) with stride 1, as torch's conv2d."""
    geo = geometry(x.shape[2:], pads)
    v = Transform.apply(x, kind="input", adjoint=False, geometry=geo)
    u = Transform.apply(weight, kind="filter", adjoint=False, geometry=geo)
    products = TileProduct.apply(v, u)
    if bias is None:
        return Transform.apply(products, kind="output", adjoint=False, geometry=geo)
    return Transform.apply(products, bias, kind="output", adjoint=False, geometry=geo)
