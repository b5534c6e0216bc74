"""Math-function primitives of one input, forward and backward side by side, and the unary
functions composed from primitives (rsqrt, reciprocal, frac, logit, nan_to_num...).

Each function numpy computes in one call is a primitive: composing tan as sin/cos or log2 as
log/ln 2 would cost more calls and lose exactness (log2(8) must be 3). floor, ceil, round,
trunc and sign share one primitive, `Rounding`, whose gradient is zero, as in torch.
"""
from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm
from . import special
from .elementwise import clamp, floating, where

LN2, LN10 = math.log(2), math.log(10)
TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Sin(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.cos(x)  # d/dx sin x = cos x


class Cos(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g * bm.sin(x)  # d/dx cos x = -sin x


class Tan(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)  # d/dx tan x = 1 + tan^2 x


class Asin(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / bm.sqrt(1 - x * x)  # d/dx asin x = 1/sqrt(1 - x^2): inf at +-1, as in torch


class Acos(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return -g / bm.sqrt(1 - x * x)  # d/dx acos x = -1/sqrt(1 - x^2)


class Atan(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctan(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + x * x)  # d/dx atan x = 1/(1 + x^2)


class Sinh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.sinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.cosh(x)  # d/dx sinh x = cosh x


class Cosh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.cosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.sinh(x)  # d/dx cosh x = sinh x


class Asinh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arcsinh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / bm.sqrt(x * x + 1)  # d/dx asinh x = 1/sqrt(x^2 + 1)


class Acosh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arccosh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / bm.sqrt(x * x - 1)  # d/dx acosh x = 1/sqrt(x^2 - 1)


class Atanh(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.arctanh(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 - x * x)  # d/dx atanh x = 1/(1 - x^2)


class Exp2(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.exp2(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * LN2  # d/dx 2^x = 2^x ln 2


class Expm1(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        out = np.expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)  # d/dx (e^x - 1) = e^x


class Log2(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log2(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * LN2)  # d/dx log2 x = 1/(x ln 2)


class Log10(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log10(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * LN10)  # d/dx log10 x = 1/(x ln 10)


class Log1p(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x + 1)  # d/dx log(1 + x) = 1/(1 + x)


class Erf(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return special.erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.exp(-(x * x)) * TWO_OVER_SQRT_PI  # d/dx erf x = 2/sqrt(pi) e^(-x^2)


class Erfc(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return special.erfc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.exp(-(x * x)) * -TWO_OVER_SQRT_PI  # d/dx erfc x = -2/sqrt(pi) e^(-x^2)


class Rounding(Primitive):
    """floor, ceil, round, trunc, sign: piecewise constant, so the gradient is zero (as in torch)."""
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, fn):
        return fn(x)

    @staticmethod
    def backward(ctx, g):
        return bm.zeros_like(g)


# ---------------------------------------------------------------------------------------------
# functions on top of the primitives


def rounded(x: Tensor, fn: Any) -> Tensor:
    """`fn` (np.floor, np.ceil...) of x; integers are already whole, so they come back unchanged."""
    if x.array.dtype.kind in "biu":
        return Tensor._make(np.array(x.array))
    return Rounding.apply(x, fn=fn)


def round(x: Tensor, decimals: int = 0) -> Tensor:
    """Round half to even, to `decimals` places (as torch and numpy)."""
    return rounded(x, np.round if decimals == 0 else functools.partial(np.round, decimals=decimals))


def sign(x: Tensor) -> Tensor:
    if x.array.dtype.kind == "b":
        return Tensor._make(np.array(x.array))
    return Rounding.apply(x, fn=np.sign)


def rsqrt(x: Tensor) -> Tensor:
    return 1 / floating(x).sqrt()


def reciprocal(x: Tensor) -> Tensor:
    return 1 / floating(x)


def frac(x: Tensor) -> Tensor:
    """x - trunc(x): the fractional part, with x's sign; gradient 1."""
    return x - x.trunc()


def logit(x: Tensor, eps: float | None = None) -> Tensor:
    """log(x / (1 - x)), as log x - log1p(-x) (inf, not NaN, gradient at 0 and 1); with `eps`,
    x is first clamped to [eps, 1 - eps]."""
    x = floating(x)
    if eps is not None:
        x = clamp(x, eps, 1 - eps)
    return x.log() - (-x).log1p()


def nan_to_num(x: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None) -> Tensor:
    """NaN, inf and -inf replaced by `nan`, `posinf` and `neginf` (the dtype's largest and smallest
    finite values by default); the gradient passes where x was finite."""
    if x.array.dtype.kind != "f":
        return Tensor._make(np.array(x.array))
    info = np.finfo(x.array.dtype)
    data = x.array
    out = where(np.isnan(data), nan, x)
    out = where(np.isposinf(data), info.max if posinf is None else posinf, out)
    return where(np.isneginf(data), info.min if neginf is None else neginf, out)


def isnan(x: Tensor) -> Tensor:
    return Tensor._make(np.asarray(np.isnan(x.array)))


def isinf(x: Tensor) -> Tensor:
    return Tensor._make(np.asarray(np.isinf(x.array)))


def isfinite(x: Tensor) -> Tensor:
    return Tensor._make(np.asarray(np.isfinite(x.array)))
