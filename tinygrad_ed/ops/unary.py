"""Elementwise math-function primitives (forward and backward side by side); see ops/__init__.py."""
from __future__ import annotations

import math

from ..autograd import Function
from . import backward_math as bm
from . import special

TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)


class Erf(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return special.erf(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.exp(-(x * x)) * TWO_OVER_SQRT_PI  # d/dx erf x = 2/sqrt(pi) e^(-x^2)


class Erfc(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return special.erfc(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * bm.exp(-(x * x)) * -TWO_OVER_SQRT_PI  # d/dx erfc x = -2/sqrt(pi) e^(-x^2)
