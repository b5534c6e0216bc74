"""Math functions of two inputs: `Atan2`, `Hypot`, `Fmod` and `Remainder` are primitives (one
numpy call each, exact where a composition would round); floor_divide, lerp, xlogy, the logical
ops and the closeness tests are built on them or on numpy directly."""
from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..errors import ShapeError
from ..tensor import Tensor
from . import backward_math as bm
from .elementwise import compare, floating, maximum, promote_keeping_numbers, promote_to_tensors, where


class Atan2(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return np.arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        # d/dy atan2(y, x) = x/(x^2 + y^2), d/dx = -y/(x^2 + y^2); 0 at the origin, as in torch
        squared = y * y + x * x
        g = g / bm.where(squared == 0, 1.0, squared)
        return g * x, -g * y


class Hypot(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        out = np.hypot(a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        g = g / out  # d/da sqrt(a^2 + b^2) = a/hypot: NaN at the origin, as in torch
        return g * a, g * b


class Fmod(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.fmod(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # fmod(a, b) = a - trunc(a/b) b, and trunc's gradient is zero
        return g, (-g * bm.trunc(a / b) if ctx.needs_input_grad[1] else None)


class Remainder(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.remainder(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        # remainder(a, b) = a - floor(a/b) b (the sign of b, as Python's %), and floor's gradient is zero
        return g, (-g * bm.floor(a / b) if ctx.needs_input_grad[1] else None)


def _floats(a: Any, b: Any) -> tuple[Tensor, Tensor]:
    a, b = promote_to_tensors(a, b)
    return floating(a), floating(b)


def atan2(y: Any, x: Any) -> Tensor:
    """The angle of the point (x, y), in (-pi, pi]."""
    return Atan2.apply(*_floats(y, x))


def hypot(a: Any, b: Any) -> Tensor:
    return Hypot.apply(*_floats(a, b))


def _integer_operands(a: Any, b: Any, op: str) -> tuple[Any, Any]:
    """Promoted operands; an integer division by zero raises, as in torch (numpy would give 0)."""
    a, b = promote_keeping_numbers(a, b)
    divisor = b.array if isinstance(b, Tensor) else np.asarray(b)
    dividend = a.array if isinstance(a, Tensor) else np.asarray(a)
    if dividend.dtype.kind in "biu" and divisor.dtype.kind in "biu" and (divisor == 0).any():
        raise RuntimeError(f"{op}: ZeroDivisionError (an integer divisor is 0)")
    return a, b


def fmod(a: Any, b: Any) -> Tensor:
    """The remainder of a / b with a's sign (C's fmod)."""
    return Fmod.apply(*_integer_operands(a, b, "fmod"))


def remainder(a: Any, b: Any) -> Tensor:
    """The remainder of a / b with b's sign (Python's %)."""
    return Remainder.apply(*_integer_operands(a, b, "remainder"))


def floor_divide(a: Any, b: Any) -> Tensor:
    """floor(a / b) (Python's //). Not differentiable, as in torch: the result is outside the graph."""
    a, b = promote_to_tensors(*_integer_operands(a, b, "floor_divide"))
    try:
        return Tensor._make(np.asarray(np.floor_divide(a.array, b.array)))
    except ValueError as error:
        raise ShapeError(f"floor_divide: {error} (input shapes {a.shape}, {b.shape})") from None


def lerp(start: Tensor, end: Any, weight: Any) -> Tensor:
    """start + weight (end - start)."""
    return start + weight * (end - start)


def xlogy(x: Any, y: Any) -> Tensor:
    """x log(y), taken as 0 where x is 0 (unless y is NaN), as in torch."""
    x, y = _floats(x, y)
    # log of a stand-in 1 where x == 0 and y <= 0, so neither value nor gradient is 0 * -inf
    return x * where((x.array == 0) & (y.array <= 0), 1.0, y).log()


# ---------------------------------------------------------------------------------------------
# logical and bitwise ops (bool results are outside the graph)


def logical_and(a: Any, b: Any) -> Tensor: return compare(a, b, np.logical_and)
def logical_or(a: Any, b: Any) -> Tensor: return compare(a, b, np.logical_or)
def logical_xor(a: Any, b: Any) -> Tensor: return compare(a, b, np.logical_xor)
def logical_not(a: Tensor) -> Tensor: return Tensor._make(np.asarray(np.logical_not(a.array)))


def bitwise(a: Any, b: Any, op: Any) -> Tensor:
    """&, |, ^ on bool or integer tensors (torch refuses floats; so do we)."""
    a, b = promote_to_tensors(a, b)
    if a.array.dtype.kind not in "biu":
        raise TypeError(f"{op.__name__.strip('_')}: bitwise ops need bool or integer tensors, got {a.array.dtype}")
    return compare(a, b, op)


def bitwise_not(a: Tensor) -> Tensor:
    if a.array.dtype.kind not in "biu":
        raise TypeError(f"bitwise_not: needs a bool or integer tensor, got {a.array.dtype}")
    return Tensor._make(np.asarray(~a.array))


def bitwise_and(a: Any, b: Any) -> Tensor: return bitwise(a, b, operator.and_)
def bitwise_or(a: Any, b: Any) -> Tensor: return bitwise(a, b, operator.or_)
def bitwise_xor(a: Any, b: Any) -> Tensor: return bitwise(a, b, operator.xor)


# ---------------------------------------------------------------------------------------------
# closeness


def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:
    """|a - b| <= atol + rtol |b|, elementwise (a bool tensor)."""
    a, b = promote_to_tensors(a, b)
    try:
        return Tensor._make(np.asarray(np.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan)))
    except ValueError as error:
        raise ShapeError(f"isclose: {error} (input shapes {a.shape}, {b.shape})") from None


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:
    """Whether every element of a and b is close (see `isclose`)."""
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def equal(a: Tensor, b: Tensor) -> bool:
    """Whether a and b have the same shape and the same values."""
    return a.shape == b.shape and bool(np.array_equal(a.array, b.array))


def logaddexp(a: Any, b: Any) -> Tensor:
    """log(exp(a) + exp(b)) without overflow: the larger plus log1p(exp(-|a - b|)); equal infinities
    give themselves."""
    a, b = _floats(a, b)
    same_infinity = Tensor._make(np.isinf(a.array) & (a.array == b.array))
    gap = where(same_infinity, 0.0, a) - where(same_infinity, 0.0, b)
    return maximum(a, b) + (-gap.abs()).exp().log1p()


def addcmul(x: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value * tensor1 * tensor2."""
    return x + value * tensor1 * tensor2


def addcdiv(x: Tensor, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
    """x + value * tensor1 / tensor2."""
    return x + value * tensor1 / tensor2


def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each of `elements` is among `test_elements` (a bool tensor of elements' shape, outside the graph)."""
    values, tests = (e.array if isinstance(e, Tensor) else np.asarray(e) for e in (elements, test_elements))
    return Tensor._make(np.isin(values, tests, assume_unique=assume_unique, invert=invert))
