"""Reductions: `Sum`, `Amax` and `LogSoftmax` are primitives; mean, var, logsumexp, softmax... are composed."""
from __future__ import annotations

import builtins
import numbers
from typing import Any, NamedTuple

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm
from .elementwise import floating
from .dims import normalize_dim, normalize_dims


class Sum(Primitive):
    __slots__ = ("input_shape", "kept_shape")

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        ctx.input_shape = x.shape
        out = x.sum(axis=axis, keepdims=True)
        ctx.kept_shape = out.shape
        return out if keepdims else _drop_axes(out, axis)

    @staticmethod
    def backward(ctx, g):
        return bm.expand_to(g.reshape(ctx.kept_shape), ctx.input_shape)


class Amax(Primitive):
    __slots__ = ("input_shape", "kept_shape")
    saves_derived_constants = True  # a piecewise-constant share of the gradient: its derivative is 0

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        out = x.max(axis=axis, keepdims=True)
        if ctx.needs_input_grad[0]:
            # ties share the gradient evenly, as in torch
            winners = x == out
            ctx.save_for_backward((winners / winners.sum(axis=axis, keepdims=True)).astype(x.dtype))
            ctx.input_shape, ctx.kept_shape = x.shape, out.shape
        return out if keepdims else _drop_axes(out, axis)

    @staticmethod
    def backward(ctx, g):
        (share,) = ctx.saved_tensors
        return bm.expand_to(g.reshape(ctx.kept_shape), ctx.input_shape) * share


class LogSoftmax(Primitive):
    __slots__ = ("axis",)

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # stable for any logits; empty is fine
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        # d log_softmax_i / dx_j = delta_ij - softmax_j
        return g - bm.exp(out) * bm.sum(g, ctx.axis, keepdims=True)


def _drop_axes(kept: np.ndarray, axis: tuple[int, ...] | None) -> np.ndarray:
    if axis is None:
        return kept.reshape(())
    return kept.reshape(tuple(n for i, n in enumerate(kept.shape) if i not in axis))


def sum(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Sum.apply(x, axis=normalize_dims(dim, x.ndim, "sum"), keepdims=keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    _require_float(x, "mean")
    axes = normalize_dims(dim, x.ndim, "mean")
    return Sum.apply(x, axis=axes, keepdims=keepdim) / float(_count(x, axes))


def var(x: Tensor, dim: Any = None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None) -> Tensor:
    """Variance with Bessel's correction by default (`correction=1`), as torch."""
    _require_float(x, "var")
    if unbiased is not None:
        correction = int(unbiased)
    if not isinstance(correction, numbers.Real):
        raise TypeError(f"var: correction must be a number, got {correction!r}")
    axes = normalize_dims(dim, x.ndim, "var")
    centered = x - mean(x, axes, keepdim=True)
    return sum(centered * centered, axes, keepdim) / float(_count(x, axes) - correction)


def std(x: Tensor, dim: Any = None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None) -> Tensor:
    return var(x, dim, keepdim, correction, unbiased).sqrt()


def amax(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return Amax.apply(x, axis=normalize_dims(dim, x.ndim, "amax"), keepdims=keepdim)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    return -amax(-x, dim, keepdim)


class ValuesIndices(NamedTuple):
    values: Tensor
    indices: Tensor


def max(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    """Largest element (ties share the gradient); with `dim`, the (values, indices) pair along it,
    whose gradient goes to the index returned, as in torch."""
    if dim is None:
        return amax(x)
    return _values_at(x, argmax(x, dim, keepdim=True), dim, keepdim)


def min(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor | ValuesIndices:
    """Smallest element; with `dim`, the (values, indices) pair along it (see `max`)."""
    if dim is None:
        return amin(x)
    return _values_at(x, argmin(x, dim, keepdim=True), dim, keepdim)


def _values_at(x: Tensor, indices: Tensor, dim: int, keepdim: bool) -> ValuesIndices:
    """x's values at `indices` (kept-dim shape) along `dim`, gathered so the gradient goes there only."""
    from .index import GetItem
    if x.ndim == 0:
        return ValuesIndices(x, indices.reshape(()))
    axis = normalize_dim(dim, x.ndim, "max")
    grid = list(np.ogrid[tuple(slice(n) for n in indices.shape)])
    grid[axis] = indices.array
    values = GetItem.apply(x, index=tuple(grid), advanced=False)  # one position per output: no repeats
    if keepdim:
        return ValuesIndices(values, indices)
    return ValuesIndices(values.squeeze(axis), indices.squeeze(axis))


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmax, x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    return _arg(np.argmin, x, dim, keepdim, "argmin")


def _arg(fn: Any, x: Tensor, dim: int | None, keepdim: bool, op: str) -> Tensor:
    axis = None if dim is None else normalize_dim(dim, x.ndim, op)
    if x.ndim == 0:
        axis = None  # numpy takes no axis for a 0-d array; torch accepts dim 0 and -1
    try:
        return Tensor._make(np.asarray(fn(x.array, axis=axis, keepdims=keepdim), dtype=np.int64))
    except ValueError as error:  # an empty dimension has no largest element
        raise ValueError(f"{op}: {error} (input shape {x.shape})") from None


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """log(sum(exp(x))) over `dim` (all dims when None), without overflow."""
    axes = normalize_dims(dim, x.ndim, "logsumexp")
    x = floating(x)  # integers and bools give float32, as in torch
    peak = x.array.max(axis=axes, keepdims=True, initial=-np.inf)  # -inf for an empty tensor: log(0)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.array.dtype)  # the shift is a constant: no gradient
    shift = Tensor._make(peak)
    out = ((x - shift).exp().sum(axes, keepdim=True)).log() + shift
    return out if keepdim else out.reshape(_drop_axes(out.array, axes).shape)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    _require_float(x, "log_softmax")
    axis = normalize_dim(dim, x.ndim, "log_softmax")
    return LogSoftmax.apply(x, axis=axis)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    return log_softmax(x, dim).exp()


def _count(x: Tensor, axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return x.array.size
    return int(np.prod([x.shape[a] for a in axes]))


def _require_float(x: Tensor, op: str) -> None:
    if x.array.dtype.kind != "f":
        raise TypeError(f"{op}: input dtype must be floating point, got {x.array.dtype}")
