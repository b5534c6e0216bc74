"""Parameter initialisers (in place, drawing from the package's seeded generator)."""
from __future__ import annotations

import math

from ..autograd.inplace import store
from ..random import generator
from ..tensor import Tensor


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    store(t, "uniform_", generator().uniform(a, b, t.shape), casting="unsafe")  # counted by t._version
    return t


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    store(t, "normal_", generator().normal(mean, std, t.shape), casting="unsafe")
    return t


def zeros_(t: Tensor) -> Tensor:
    store(t, "zeros_", 0, casting="unsafe")
    return t


def ones_(t: Tensor) -> Tensor:
    store(t, "ones_", 1, casting="unsafe")
    return t


def calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"fan in and fan out need at least 2 dimensions, got shape {t.shape}")
    receptive = math.prod(t.shape[2:])
    return t.shape[1] * receptive, t.shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """torch's recommended scale for weights followed by `nonlinearity` (`param`: leaky_relu's slope)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope * slope))
    gains = {"linear": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 0.75}
    if nonlinearity not in gains:
        raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")
    return gains[nonlinearity]


def kaiming_uniform_(t: Tensor, a: float = 0.0, nonlinearity: str = "leaky_relu") -> Tensor:
    """He initialisation: uniform within gain * sqrt(3 / fan_in); a no-op on an empty tensor, as in torch."""
    if t.numel() == 0:
        return t
    fan_in, _ = calculate_fan_in_and_fan_out(t)
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan_in)
    return uniform_(t, -bound, bound)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound)
