"""Activation layers: torch's module form of each function in activations.py, with its arguments,
defaults and repr. Each stores its arguments and calls the function; PReLU alone learns a parameter."""
from __future__ import annotations

from typing import Any

from .. import creation
from ..tensor import Tensor
from . import functional as F
from .module import Module, Parameter


def _inplace_text(inplace: bool, first: bool = False) -> str:
    """torch's repr mentions inplace only when it is set."""
    return ("inplace=True" if first else ", inplace=True") if inplace else ""


class _Elementwise(Module):
    """An activation without arguments: `function` applied to the input."""

    function: Any

    def __init__(self, *args: Any, **kwargs: Any):  # torch takes and ignores any arguments here
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return type(self).function(input)


class _InPlaceable(Module):
    """An activation whose only argument is inplace."""

    function: Any

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return type(self).function(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_text(self.inplace, first=True)


class Sigmoid(_Elementwise):
    def forward(self, input: Tensor) -> Tensor:  # spelled out, as ReLU's
        return F.sigmoid(input)


class Tanh(_Elementwise):
    def forward(self, input: Tensor) -> Tensor:
        return F.tanh(input)


class Softsign(_Elementwise):
    function = F.softsign


class LogSigmoid(_Elementwise):
    function = F.logsigmoid


class Tanhshrink(_Elementwise):
    function = F.tanhshrink


class ReLU(_InPlaceable):
    def forward(self, input: Tensor) -> Tensor:  # F.relu inlined: on every MLP's hot path
        if self.inplace or not isinstance(input, Tensor):
            return F.relu(input, self.inplace)
        return input.relu()


class SELU(_InPlaceable):
    function = F.selu


class SiLU(_InPlaceable):
    function = F.silu


class Mish(_InPlaceable):
    function = F.mish


class Hardsigmoid(_InPlaceable):
    function = F.hardsigmoid


class Hardswish(_InPlaceable):
    function = F.hardswish


class LeakyReLU(Module):
    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + _inplace_text(self.inplace)


class _Alpha(Module):
    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + _inplace_text(self.inplace)


class ELU(_Alpha):
    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)


class CELU(_Alpha):
    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)


class GELU(Module):
    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clamped to [min_val, max_val]; torch's deprecated min_value/max_value still override them."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None):
        super().__init__()
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        if self.max_val <= self.min_val:
            raise AssertionError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val ({self.min_val})")
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}" + _inplace_text(self.inplace)


class ReLU6(Hardtanh):
    def __init__(self, inplace: bool = False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_text(self.inplace, first=True)


class Threshold(Module):
    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return f"threshold={self.threshold}, value={self.value}" + _inplace_text(self.inplace)


class _Shrink(Module):
    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return str(self.lambd)


class Softshrink(_Shrink):
    def forward(self, input: Tensor) -> Tensor:
        return F.softshrink(input, self.lambd)


class Hardshrink(_Shrink):
    def forward(self, input: Tensor) -> Tensor:
        return F.hardshrink(input, self.lambd)


class _AlongDim(Module):
    """An activation along one dim; for the softmax family dim=None picks torch's implicit dim, with
    its deprecation warning."""

    def __init__(self, dim: int | None = None):
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GLU(_AlongDim):
    def __init__(self, dim: int = -1):
        super().__init__(dim)

    def forward(self, input: Tensor) -> Tensor:
        return F.glu(input, self.dim)  # type: ignore[arg-type]


class Softmax(_AlongDim):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim)


class LogSoftmax(_AlongDim):
    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim)


class Softmin(_AlongDim):
    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim)


class PReLU(Module):
    """leaky_relu with learned slopes: one shared (num_parameters=1) or one per channel, all `init`."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device: Any = None, dtype: Any = None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.full((num_parameters,), init, dtype=dtype))

    def reset_parameters(self) -> None:
        self.weight.data.fill_(self.init)

    def forward(self, input: Tensor) -> Tensor:
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


__all__ = ["ReLU", "Sigmoid", "Tanh", "Softsign", "LogSigmoid", "Tanhshrink", "SELU", "SiLU", "Mish", "Hardsigmoid",
           "Hardswish", "LeakyReLU", "ELU", "CELU", "GELU", "Softplus", "Hardtanh", "ReLU6", "Threshold",
           "Softshrink", "Hardshrink", "GLU", "Softmax", "LogSoftmax", "Softmin", "PReLU"]
