"""Elementwise primitives (forward and backward side by side) and what is composed from them.

Backward rules return gradients in the broadcast (output) shape; the engine
sums them back to each operand's shape.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..errors import ShapeError
from .. import dtypes
from ..dtypes import promote, scalar_dtype
from ..tensor import Tensor, as_array
from . import backward_math as bm


class Add(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        return a + b

    @staticmethod
    def backward(ctx, g):
        return g, g


class Sub(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        return a - b

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx.needs_input_grad[1] else None)


class Mul(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad  # save only what backward reads (an in-place write may follow)
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (g * b if need_a else None), (g * a if need_b else None)


class Div(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a if ctx.needs_input_grad[1] else None, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)  # d/db a/b = -a/b^2


class Pow(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, y):
        try:
            out = x ** y
        except ValueError as error:
            if "negative integer powers" not in str(error):
                raise
            raise RuntimeError(f"pow: {error}") from error
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        need_x, need_y = ctx.needs_input_grad
        # d/dx x^y = y x^(y-1), taken as 0 where y == 0 (torch's convention, so 0^0 has gradient 0)
        gx = bm.where(y == 0, 0.0, g * y * x ** (y - 1)) if need_x else None
        # d/dy x^y = x^y log x, taken as 0 where x == 0 and y >= 0
        gy = bm.where((x == 0) & (y >= 0), 0.0, g * out * bm.log(x)) if need_y else None
        return gx, gy


class Neg(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g


class Exp(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out  # d/dx e^x = e^x


class Log(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x  # d/dx log x = 1/x


class Sqrt(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (out * 2)  # d/dx sqrt x = 1/(2 sqrt x): inf at 0, as in torch


class Abs(Primitive):
    __slots__ = ()
    saves_derived_constants = True  # sign(x): piecewise constant, its derivative is 0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.sign(x))
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (sign,) = ctx.saved_tensors
        return g * sign  # sign(0) = 0, torch's subgradient


class Relu(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        # from a few thousand elements, a row of zeros is ~2x faster than a scalar 0 (numpy's SIMD loop)
        out = np.maximum(x, np.zeros(x.shape[-1:], x.dtype) if x.size >= 4096 else 0)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(out > 0)
        return out

    @staticmethod
    def backward(ctx, g):
        (positive,) = ctx.saved_tensors
        return g * positive  # ~10x faster than np.where(positive, g, 0) on large arrays


class Sigmoid(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: neither overflows
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)  # d/dx s(x) = s(x) (1 - s(x))


class Tanh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)  # d/dx tanh x = 1 - tanh^2 x


class Where(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        return np.where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        need_cond, need_a, need_b = ctx.needs_input_grad
        return None, (bm.where(cond, g, 0.0) if need_a else None), (bm.where(cond, 0.0, g) if need_b else None)


class Maximum(Primitive):
    __slots__ = ()
    saves_derived_constants = True  # a piecewise-constant share of the gradient: its derivative is 0
    pick, wins = staticmethod(np.maximum), staticmethod(np.greater)

    @staticmethod
    def forward(ctx, a, b):
        out = ctx.pick(a, b)
        # share of the gradient that goes to a: 1 where a wins, 1/2 on ties, as in torch
        a_share = ctx.wins(a, b).astype(out.dtype) + (a == b).astype(out.dtype) * out.dtype.type(0.5)
        ctx.save_for_backward(a_share)
        return out

    @staticmethod
    def backward(ctx, g):
        (a_share,) = ctx.saved_tensors
        return g * a_share, g * (1 - a_share)


class Minimum(Maximum):
    """Maximum's twin: a real minimum, not -max(-a, -b) (wrong for unsigned integers and bools)."""
    __slots__ = ()
    pick, wins = staticmethod(np.minimum), staticmethod(np.less)


class Cast(Primitive):
    __slots__ = ("input_dtype",)

    @staticmethod
    def forward(ctx, x, dtype):
        ctx.input_dtype = x.dtype
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return bm.cast(g, ctx.input_dtype)


# ---------------------------------------------------------------------------------------------
# Operand coercion and the composed elementwise ops


def promote_to_tensors(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    """Two Tensors of the common dtype, following torch's promotion (Python/numpy scalars are weak)."""
    a_is_tensor, b_is_tensor = isinstance(a, Tensor), isinstance(b, Tensor)
    if not a_is_tensor:
        a = _constant(a, b)
    elif not b_is_tensor:
        b = _constant(b, a)
    if a.array.dtype != b.array.dtype:
        dtype = promote(a.array, b.array)
        a, b = a.to(dtype), b.to(dtype)
    return a, b


def promote_keeping_numbers(a: Any, b: Any) -> tuple[Any, Any]:
    """Like `promote_to_tensors`, but a Python number that keeps the tensor's dtype stays a number.

    numpy treats Python numbers as weak (float32 * 2.0 stays float32), as torch
    does, and skipping the constant Tensor saves a third of a scalar op's cost.
    """
    if type(b) in _WEAK_NUMBERS and isinstance(a, Tensor) and a.array.dtype.kind in _WEAK_NUMBERS[type(b)]:
        return a, b
    if type(a) in _WEAK_NUMBERS and isinstance(b, Tensor) and b.array.dtype.kind in _WEAK_NUMBERS[type(a)]:
        return a, b
    return promote_to_tensors(a, b)


_WEAK_NUMBERS = {float: "f", int: "fiu"}  # number type -> tensor dtype kinds it does not promote


def _constant(value: Any, like: Tensor) -> Tensor:
    if isinstance(value, (bool, int, float, np.generic)):
        dtype = scalar_dtype(value, like.array.dtype)
        return Tensor._leaf(np.asarray(value, dtype=dtype))
    return Tensor._leaf(as_array(value, None, "Tensor operand"))


def floating(x: Tensor) -> Tensor:
    """`x`, as float32 if it is not floating point (torch's exp, log... of integers give float32)."""
    return x if x.array.dtype.kind == "f" else x.to(dtypes.default_float)


def add(a: Any, b: Any) -> Tensor:
    return Add.apply(*promote_keeping_numbers(a, b))


def sub(a: Any, b: Any) -> Tensor:
    return Sub.apply(*promote_keeping_numbers(a, b))


def mul(a: Any, b: Any) -> Tensor:
    return Mul.apply(*promote_keeping_numbers(a, b))


def div(a: Any, b: Any) -> Tensor:
    a, b = promote_keeping_numbers(a, b)
    if not _is_float(a) or not _is_float(b):  # true division of integers gives float32, as in torch
        a, b = (x.to(dtypes.default_float) if isinstance(x, Tensor) else x for x in (a, b))
    return Div.apply(a, b)


def _is_float(x: Any) -> bool:
    """A float Tensor or a Python number (which takes the other operand's dtype)."""
    return not isinstance(x, Tensor) or x.array.dtype.kind == "f"


def pow(a: Any, b: Any) -> Tensor:
    return Pow.apply(*promote_keeping_numbers(a, b))


def maximum(a: Any, b: Any) -> Tensor:
    return Maximum.apply(*promote_to_tensors(a, b))


def minimum(a: Any, b: Any) -> Tensor:
    return Minimum.apply(*promote_to_tensors(a, b))


def fmax(a: Any, b: Any) -> Tensor:
    """Elementwise maximum that ignores a NaN operand (NaN only where both are)."""
    a, b = promote_to_tensors(a, b)
    a_nan, b_nan = np.isnan(a.array), np.isnan(b.array)
    return maximum(where(a_nan, b, a), where(b_nan, a, b))


def fmin(a: Any, b: Any) -> Tensor:
    """Elementwise minimum that ignores a NaN operand (NaN only where both are)."""
    a, b = promote_to_tensors(a, b)
    a_nan, b_nan = np.isnan(a.array), np.isnan(b.array)
    return minimum(where(a_nan, b, a), where(b_nan, a, b))


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """Elementwise `a` where `condition` is true, else `b`; the gradient flows to the chosen side."""
    if not isinstance(condition, Tensor):
        condition = Tensor._leaf(as_array(condition, None, "where"))
    if condition.array.dtype != np.bool_:
        condition = Tensor._make(condition.array.astype(bool))
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._leaf(as_array(a, None, "where"))
    a, b = promote_to_tensors(a, b)
    return Where.apply(condition, a, b)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """min(max(x, min), max): values limited to [min, max] (all `max` where min > max, as in torch);
    the gradient passes where min <= x <= max, and to a Tensor bound where it is taken."""
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    out = x
    try:
        if min is not None:
            out = where(out < min, min, out)
        if max is not None:
            out = where(out > max, max, out)
    except ShapeError as error:
        raise ShapeError(f"clamp: a bound cannot be broadcast with the input shape {x.shape} ({error})") from None
    return out


def compare(a: Any, b: Any, op: Any) -> Tensor:
    """A comparison: a bool tensor outside the graph."""
    a, b = promote_to_tensors(a, b)
    try:
        return Tensor._make(op(a.array, b.array))
    except ValueError as error:
        raise ShapeError(f"{op.__name__}: {error} (input shapes {a.shape}, {b.shape})") from None
