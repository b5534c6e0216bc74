"""Reductions. `Sum`, `Amax`/`Amin` and `LogSoftmax` are primitives; mean, prod, var, std, logsumexp,
softmax and max/min along a dim (the values gathered at the arg index) are composed."""
from __future__ import annotations

import builtins
import numbers
import warnings
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..autograd.grad_mode import is_grad_enabled
from ..dtypes import int64
from .. import return_types
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim, normalize_dims, torch_aliases
from .elementwise import floating, maximum, minimum, where
from .index import GetItem
from .scan import cumprod, take_along


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
    pick = staticmethod(np.max)
    saves_derived_constants = True  # a piecewise-constant share of the gradient: its derivative is 0

    @staticmethod
    def forward(ctx, x, axis, keepdims):
        out = ctx.pick(x, axis=axis, keepdims=True)
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


class Amin(Amax):
    """Amax's twin: a real minimum, not -max(-x) (which overflows for the most negative integer,
    wraps for unsigned integers and fails for bools)."""
    __slots__ = ()
    pick = staticmethod(np.min)


class LogSoftmax(Primitive):
    __slots__ = ("axis",)

    @staticmethod
    def forward(ctx, x, axis):
        shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)  # stable for any logits; empty is fine
        out = shifted - np.log(bm.kept_sum(np.exp(shifted), axis))
        ctx.axis = axis
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        # d log_softmax_i / dx_j = delta_ij - softmax_j
        return g - bm.exp(out) * bm.kept_sum(g, ctx.axis)


def _drop_axes(kept: np.ndarray, axis: tuple[int, ...] | None) -> np.ndarray:
    if axis is None:
        return kept.reshape(())
    return kept.reshape(tuple(n for i, n in enumerate(kept.shape) if i not in axis))


# ---------------------------------------------------------------------------------------------
# sum, mean, prod


def sum(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None, axis: Any = None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over `dim` (an int, a tuple, or all dims); bools and integers sum as int64, as in torch.
    torch's aliases `axis` and `keepdims` are named parameters here (not **aliases): a hot path."""
    if axis is not None or keepdims is not None:
        dim, keepdim = torch_aliases("sum", dim, keepdim, _given(axis=axis, keepdims=keepdims))
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind in "biu":
        x = x.to(int64)
    return Sum.apply(x, axis=normalize_dims(dim, x.ndim, "sum"), keepdims=keepdim)


def mean(x: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None, axis: Any = None,
         keepdims: bool | None = None) -> Tensor:
    """Mean over `dim` of a floating point tensor (or one cast to `dtype`); aliases as in `sum`."""
    if axis is not None or keepdims is not None:
        dim, keepdim = torch_aliases("mean", dim, keepdim, _given(axis=axis, keepdims=keepdims))
    if dtype is not None:
        x = x.to(dtype)
    require_float(x, "mean")
    axes = normalize_dims(dim, x.ndim, "mean")
    n = count(x, axes)
    if n == 0:  # nan, as torch, without numpy's 0/0 warning
        return Sum.apply(x, axis=axes, keepdims=keepdim) + float("nan")
    return Sum.apply(x, axis=axes, keepdims=keepdim) / float(n)


def nansum(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over `dim` counting NaNs as zero (they get no gradient)."""
    return sum(_nan_as_zero(x), dim, keepdim, dtype)


def nanmean(x: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over `dim` of the values that are not NaN (NaN where all are)."""
    if dtype is not None:
        x = x.to(dtype)
    require_float(x, "nanmean")
    present = sum(Tensor._make(~np.isnan(x.array)), dim, keepdim).to(x.dtype)
    return sum(_nan_as_zero(x), dim, keepdim) / where(present == 0, float("nan"), present)  # all NaN: NaN


def _nan_as_zero(x: Tensor) -> Tensor:
    return where(Tensor._make(np.isnan(x.array)), 0.0, x) if x.array.dtype.kind == "f" else x


def _given(**aliases: Any) -> dict[str, Any]:
    return {name: value for name, value in aliases.items() if value is not None}


def prod(x: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None, **aliases: Any) -> Tensor:
    """Product over one dim (or all): the last element of `cumprod`, so zeros get torch's gradients."""
    if aliases:
        dim, keepdim = torch_aliases("prod", dim, keepdim, aliases)
    if dtype is not None:
        x = x.to(dtype)
    elif x.array.dtype.kind in "biu":
        x = x.to(int64)
    if dim is None:
        out = prod(x.reshape(-1), 0)
        return out.reshape((1,) * x.ndim) if keepdim else out
    axis = normalize_dim(dim, x.ndim, "prod")
    if not (x.requires_grad and is_grad_enabled()):
        return Tensor._make(np.asarray(np.prod(x.array, axis=axis if x.ndim else None, keepdims=keepdim)))
    if x.ndim == 0:
        return x
    if x.shape[axis] == 0:
        return x.sum(axis, keepdim=keepdim) * 0 + 1  # the empty product, still in the graph
    last = GetItem.apply(cumprod(x, axis), index=(slice(None),) * axis + (slice(-1, None),), advanced=False)
    return last if keepdim else last.squeeze(axis)


# ---------------------------------------------------------------------------------------------
# variance


def var(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None, **aliases: Any) -> Tensor:
    """Variance over `dim`, dividing by N - correction (Bessel's correction, 1, by default);
    `unbiased=False` is correction 0. `x.var(False)` is torch's var(unbiased) form."""
    if aliases:
        dim, keepdim = torch_aliases("var", dim, keepdim, aliases)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    correction = _correction("var", unbiased, correction)
    require_float(x, "var")
    axes = normalize_dims(dim, x.ndim, "var")
    centered = x - mean(x, axes, keepdim=True)
    dof = count(x, axes) - correction
    if dof <= 0:
        warnings.warn("var(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning,
                      stacklevel=3)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sum(centered * centered, axes, keepdim) / float(builtins.max(dof, 0))


def std(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
        correction: Any = None, **aliases: Any) -> Tensor:
    """Standard deviation: the square root of `var` (same arguments)."""
    return root(var(x, dim, unbiased, keepdim, correction=correction, **aliases), 2)


def root(total: Tensor, ord: float) -> Tensor:
    """total ** (1/ord), with gradient 0 where total is 0, as torch's std and norms: the root's own slope is
    infinite there, and times the zero inner gradient (no deviation, a zero vector) it would give NaN."""
    zero = total == 0
    return where(zero, 0.0, where(zero, 1.0, total) ** (1 / ord))


def var_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: Any = None, **aliases: Any) -> tuple[Tensor, Tensor]:
    """(var, mean) over `dim`, as torch.var_mean."""
    if aliases:
        dim, keepdim = torch_aliases("var_mean", dim, keepdim, aliases)
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return var(x, dim, unbiased, keepdim, correction=correction), mean(x, dim, keepdim)


def std_mean(x: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
             correction: Any = None, **aliases: Any) -> tuple[Tensor, Tensor]:
    """(std, mean) over `dim`, as torch.std_mean."""
    variance, average = var_mean(x, dim, unbiased, keepdim, correction=correction, **aliases)
    return root(variance, 2), average


def _correction(op: str, unbiased: bool | None, correction: Any) -> Any:
    if unbiased is not None and correction is not None:
        raise TypeError(f"{op}: give either unbiased or correction, not both")
    if unbiased is not None:
        return int(unbiased)
    if correction is None:
        return 1
    if isinstance(correction, bool) or not isinstance(correction, numbers.Real):
        raise TypeError(f"{op}: correction must be a number, got {correction!r}")
    return correction


# ---------------------------------------------------------------------------------------------
# max, min and their positions


def amax(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Largest value over `dim` (ties share the gradient evenly, as in torch)."""
    if aliases:
        dim, keepdim = torch_aliases("amax", dim, keepdim, aliases)
    return Amax.apply(x, axis=normalize_dims(dim, x.ndim, "amax"), keepdims=keepdim)


def amin(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Smallest value over `dim` (ties share the gradient evenly, as in torch)."""
    if aliases:
        dim, keepdim = torch_aliases("amin", dim, keepdim, aliases)
    return Amin.apply(x, axis=normalize_dims(dim, x.ndim, "amin"), keepdims=keepdim)


def aminmax(x: Tensor, *, dim: int | None = None, keepdim: bool = False) -> return_types.aminmax:
    """(amin, amax) over `dim` (all elements when None) as a named tuple."""
    if x.array.size == 0 and dim is None:
        raise RuntimeError("aminmax: cannot compute on an empty tensor without a dim")
    return return_types.aminmax(amin(x, dim, keepdim), amax(x, dim, keepdim))


def max(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor | return_types.ValuesIndices:
    """Largest element; with `dim`, the (values, indices) pair along it, whose gradient goes to
    the index returned; with a Tensor, the elementwise maximum (as torch.max(a, b))."""
    if aliases:
        dim, keepdim = torch_aliases("max", dim, keepdim, aliases)
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    if dim is None:
        return amax(x)
    return _at_arg(x, argmax(x, dim, keepdim=True), normalize_dim(dim, x.ndim, "max"), keepdim, return_types.max)


def min(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor | return_types.ValuesIndices:
    """Smallest element; with `dim`, the (values, indices) pair along it (see `max`)."""
    if aliases:
        dim, keepdim = torch_aliases("min", dim, keepdim, aliases)
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    if dim is None:
        return amin(x)
    return _at_arg(x, argmin(x, dim, keepdim=True), normalize_dim(dim, x.ndim, "min"), keepdim, return_types.min)


def _at_arg(x: Tensor, indices: Tensor, axis: int, keepdim: bool, result: Any) -> return_types.ValuesIndices:
    if x.ndim == 0:
        return result(x, indices.reshape(()))
    return result(take_along(x, indices.array, axis), indices).squeeze(axis, keepdim)


def argmax(x: Tensor, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    if aliases:
        dim, keepdim = torch_aliases("argmax", dim, keepdim, aliases)
    return _arg(np.argmax, x, dim, keepdim, "argmax")


def argmin(x: Tensor, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    if aliases:
        dim, keepdim = torch_aliases("argmin", dim, keepdim, aliases)
    return _arg(np.argmin, x, dim, keepdim, "argmin")


def _arg(fn: Any, x: Tensor, dim: int | None, keepdim: bool, op: str) -> Tensor:
    axis = None if dim is None else normalize_dim(dim, x.ndim, op)
    if x.ndim == 0:
        axis = None  # numpy takes no axis for a 0-d array; torch accepts dim 0 and -1
    try:
        return Tensor._make(arg_indices(fn, x.array, axis, keepdim))
    except ValueError as error:  # an empty dimension has no largest element
        raise ValueError(f"{op}: {error} (input shape {x.shape})") from None


def arg_indices(fn: Any, array: np.ndarray, axis: int | None, keepdim: bool) -> np.ndarray:
    """The int64 indices `fn` (np.argmax or np.argmin) picks: the numpy call of argmax, argmin and max(dim)'s
    indices (te.compile records it)."""
    return np.asarray(fn(array, axis=axis, keepdims=keepdim), dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# logical reductions


def all(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Whether every element over `dim` is nonzero (a bool tensor, outside the graph)."""
    if aliases:
        dim, keepdim = torch_aliases("all", dim, keepdim, aliases)
    return Tensor._make(np.asarray(np.all(x.array, axis=normalize_dims(dim, x.ndim, "all"), keepdims=keepdim)))


def any(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """Whether some element over `dim` is nonzero (a bool tensor, outside the graph)."""
    if aliases:
        dim, keepdim = torch_aliases("any", dim, keepdim, aliases)
    return Tensor._make(np.asarray(np.any(x.array, axis=normalize_dims(dim, x.ndim, "any"), keepdims=keepdim)))


def count_nonzero(x: Tensor, dim: Any = None) -> Tensor:
    """How many elements over `dim` are nonzero (int64)."""
    axes = normalize_dims(dim, x.ndim, "count_nonzero")
    return Tensor._make(np.asarray(np.count_nonzero(x.array, axis=axes), dtype=np.int64))


# ---------------------------------------------------------------------------------------------
# softmax family


def logsumexp(x: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """log(sum(exp(x))) over `dim` (all dims when None), without overflow."""
    if aliases:
        dim, keepdim = torch_aliases("logsumexp", dim, keepdim, aliases)
    axes = normalize_dims(dim, x.ndim, "logsumexp")
    x = floating(x)  # integers and bools give float32, as in torch
    peak = x.array.max(axis=axes, keepdims=True, initial=-np.inf)  # -inf for an empty tensor: log(0)
    peak = np.where(np.isfinite(peak), peak, 0).astype(x.array.dtype)  # the shift is a constant: no gradient
    shift = Tensor._make(peak)
    out = ((x - shift).exp().sum(axes, keepdim=True)).log() + shift
    return out if keepdim else out.reshape(_drop_axes(out.array, axes).shape)


def log_softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    require_float(x, "log_softmax")
    axis = normalize_dim(dim, x.ndim, "log_softmax")
    return LogSoftmax.apply(x, axis=axis)


def softmax(x: Tensor, dim: int = -1, dtype: Any = None) -> Tensor:
    return log_softmax(x, dim, dtype).exp()


def count(x: Tensor, axes: tuple[int, ...] | None) -> int:
    """How many elements a reduction over `axes` combines into each result."""
    if axes is None:
        return x.array.size
    return int(np.prod([x.shape[a] for a in axes]))


def require_float(x: Tensor, op: str) -> None:
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"{op}(): input dtype must be floating point (as in torch), got {x.array.dtype}; "
                           "convert with .float() or pass dtype=")
