"""Activation functions of torch.nn.functional, each composed of primitive Tensor ops.

None has a backward of its own: gradients (and gradients of gradients) come
from backpropagating through the ops each one records. Where torch's gradient
at a kink differs from what a composition would give (hardtanh's edges), the
composition is chosen to match torch.
"""
from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..ops.dims import normalize_dim
from ..ops.elementwise import where
from ..checks import check_tensor
from ..tensor import Tensor

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _result(x: Tensor, out: Tensor, inplace: bool) -> Tensor:
    """`out`, or, for inplace=True, `x` overwritten with it (copy_ refuses tensors in a recorded graph)."""
    return x.copy_(out) if inplace else out


def _exact_value(approx: Tensor, exact: np.ndarray) -> Tensor:
    """`approx` (a composition off by rounding only) with the value `exact` and approx's gradient."""
    return approx + Tensor._make((exact - approx.array).astype(approx.array.dtype))


def log1p(u: Tensor) -> Tensor:
    """log(1 + u), accurate for tiny u: numpy's log1p gives the value, log(1 + u) the gradient 1/(1 + u)."""
    check_tensor(u, "log1p", "u", 1)
    return _exact_value((1 + u).log(), np.log1p(u.array))


def expm1(x: Tensor) -> Tensor:
    """e^x - 1, accurate for tiny x (as log1p)."""
    check_tensor(x, "expm1", "x", 1)
    return _exact_value(x.exp() - 1, np.expm1(x.array))


def log1p_exp(z: Tensor) -> Tensor:
    """log(1 + e^z), finite and accurate for any z: z + log1p(e^-z) for z > 0, else log1p(e^z).
    Each branch clamps its exponent so the unused one cannot overflow (an inf there would make a nan
    gradient)."""
    check_tensor(z, "log1p_exp", "z", 1)
    return where(z > 0, z + log1p((-z.clamp(min=0)).exp()), log1p(z.clamp(max=0).exp()))


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    check_tensor(input, "leaky_relu", "input", 1)
    return _result(input, where(input > 0, input, input * negative_slope), inplace)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    check_tensor(input, "elu", "input", 1)
    negative = expm1(input.clamp(max=0)) * alpha
    return _result(input, where(input > 0, input, negative), inplace)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "selu", "input", 1)
    return _result(input, elu(input, SELU_ALPHA) * SELU_SCALE, inplace)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    check_tensor(input, "celu", "input", 1)
    if alpha == 0:
        raise RuntimeError("celu: ZeroDivisionError: alpha cannot be 0 for CELU")
    negative = expm1(input.clamp(max=0) / alpha) * alpha
    return _result(input, where(input > 0, input, negative), inplace)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "silu", "input", 1)
    return _result(input, input * input.sigmoid(), inplace)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(beta x)) / beta, reverting to x where beta x > threshold, as torch."""
    check_tensor(input, "softplus", "input", 1)
    z = input * beta
    return where(z > threshold, input, log1p_exp(z) / beta)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "mish", "input", 1)
    return _result(input, input * softplus(input).tanh(), inplace)


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(x)) = -log(1 + e^-x), finite for any x."""
    check_tensor(input, "logsigmoid", "input", 1)
    return -log1p_exp(-input)


def softsign(input: Tensor) -> Tensor:
    check_tensor(input, "softsign", "input", 1)
    return input / (input.abs() + 1)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Tensor:
    """x clamped to [min_val, max_val]; the gradient is 1 strictly inside only, as torch's."""
    check_tensor(input, "hardtanh", "input", 1)
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    return _result(input, where(input <= min_val, min_val, where(input >= max_val, max_val, input)), inplace)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "relu6", "input", 1)
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "hardsigmoid", "input", 1)
    return _result(input, hardtanh(input + 3, 0.0, 6.0) / 6, inplace)


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    check_tensor(input, "hardswish", "input", 1)
    return _result(input, input * hardtanh(input + 3, 0.0, 6.0) / 6, inplace)


def tanhshrink(input: Tensor) -> Tensor:
    check_tensor(input, "tanhshrink", "input", 1)
    return input - input.tanh()


def _check_lambda(lambd: float, op: str) -> None:
    if lambd < 0:
        raise RuntimeError(f"{op}: lambda must be non-negative, but found {lambd}")


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    check_tensor(input, "softshrink", "input", 1)
    _check_lambda(lambd, "softshrink")
    return where(input > lambd, input - lambd, where(input < -lambd, input + lambd, 0.0))


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    check_tensor(input, "hardshrink", "input", 1)
    return where((input > lambd) | (input < -lambd), input, 0.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """x where x > threshold, else value."""
    check_tensor(input, "threshold", "input", 1)
    return _result(input, where(input > threshold, input, value), inplace)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of input along dim."""
    check_tensor(input, "glu", "input", 1)
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = normalize_dim(dim, input.ndim, "glu")
    size = input.shape[axis]
    if size % 2:
        raise RuntimeError(f"glu: Halving dimension must be even, but dimension {axis} is size {size}")
    before = (slice(None),) * axis
    return input[before + (slice(0, size // 2),)] * input[before + (slice(size // 2, size),)].sigmoid()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF (through erfc: accurate in the left tail too);
    approximate='tanh' uses torch's tanh formula."""
    check_tensor(input, "gelu", "input", 1)
    if approximate == "none":
        return input * (input * (-1 / math.sqrt(2))).erfc() * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2 / math.pi)
        return input * (inner.tanh() + 1) * 0.5
    raise RuntimeError(f"gelu: approximate argument must be either 'none' or 'tanh', got {approximate!r}")


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """x where x > 0, else weight * x, with one learned slope per channel (dimension 1) or one shared."""
    check_tensor(input, "prelu", "input", 1)
    check_tensor(weight, "prelu", "weight", 2)
    channels = input.shape[1] if input.ndim >= 2 else 1
    count = weight.numel()
    if count not in (1, channels):
        raise RuntimeError(f"prelu: Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                           f"{count} and channel size = {channels}.")
    slopes = weight.reshape(()) if count == 1 else weight.reshape((1, channels) + (1,) * (input.ndim - 2))
    return where(input > 0, input, slopes * input)


# -- torch's in-place forms (relu_ ...): outside a recorded graph, as every in-place op here ----------

def relu_(input: Tensor) -> Tensor:
    check_tensor(input, "relu_", "input", 1)
    return input.copy_(input.relu())


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    check_tensor(input, "leaky_relu_", "input", 1)
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    check_tensor(input, "elu_", "input", 1)
    return elu(input, alpha, inplace=True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    check_tensor(input, "celu_", "input", 1)
    return celu(input, alpha, inplace=True)


def selu_(input: Tensor) -> Tensor:
    check_tensor(input, "selu_", "input", 1)
    return selu(input, inplace=True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    check_tensor(input, "hardtanh_", "input", 1)
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    check_tensor(input, "threshold_", "input", 1)
    return input.copy_(where(input > threshold, input, value))


# -- softmax family -------------------------------------------------------------------------------

def _softmax_input(input: Tensor, dim: int | None, dtype: Any, op: str) -> tuple[Tensor, int]:
    """The input cast to dtype (if given) and the dim, chosen as torch does (with its warning) if None."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. "
                      "Change the call to include dim=X as an argument.", UserWarning, stacklevel=3)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if dtype is not None:
        input = input.to(dtype)
    return input, dim


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    check_tensor(input, "softmax", "input", 1)
    input, dim = _softmax_input(input, dim, dtype, "softmax")
    return input.softmax(dim)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    check_tensor(input, "log_softmax", "input", 1)
    input, dim = _softmax_input(input, dim, dtype, "log_softmax")
    return input.log_softmax(dim)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    check_tensor(input, "softmin", "input", 1)
    input, dim = _softmax_input(input, dim, dtype, "softmin")
    return (-input).softmax(dim)
