"""What the engine does to every gradient on its way to an input, on arrays or Tensors alike:
sum a broadcast gradient back to the input's shape, and cast it to the input's dtype; and the one
test of whether a shape broadcasts to another."""
from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def sum_to(x: Any, shape: tuple) -> Any:
    """Sum a gradient of a broadcast result back to an operand's `shape`."""
    lead = len(x.shape) - len(shape)
    if lead < 0:
        raise ValueError(f"cannot sum shape {tuple(x.shape)} to {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(dim=axes) if isinstance(x, Tensor) else x.sum(axis=axes)
    if tuple(x.shape) != tuple(n for i, n in enumerate(shape) if lead + i not in axes):
        raise ValueError(f"cannot sum shape {tuple(x.shape)} to {shape}")
    return x.reshape(shape)


def cast(x: Any, dtype: Any) -> Any:
    return x.to(dtype) if isinstance(x, Tensor) else x.astype(dtype)


def broadcasts_to(shape: tuple, target: tuple) -> bool:
    """Whether an array of `shape` broadcasts to exactly `target` (numpy's rules, leading 1s added)."""
    if shape == target:  # the common case, and the cheap one
        return True
    return len(shape) <= len(target) and all(n in (1, m) for n, m in zip(shape[::-1], target[::-1]))
