"""dtype rules that follow torch rather than numpy.

Python floats make float32 tensors, Python ints int64, bools bool. In mixed
operations the higher category (bool < integer < float) wins; within a
category a 0-dim tensor does not widen a dimensioned one, and a Python or
numpy scalar takes the tensor's dtype (a float32 tensor times
np.float64(2.0) stays float32).
"""
from __future__ import annotations

from typing import Any

import numpy as np

float16, float32, float64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
int8, int16, int32, int64, uint8 = (np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64, np.uint8))
bool_ = np.dtype(np.bool_)
default_float = float32


def category(dtype: np.dtype) -> int:
    """0 for bool, 1 for integers, 2 for floats."""
    if dtype.kind == "b":
        return 0
    return 2 if dtype.kind in "fc" else 1


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def promote(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """The result dtype of a binary op on arrays `a` and `b`, as torch computes it."""
    ca, cb = category(a.dtype), category(b.dtype)
    if ca != cb:
        return a.dtype if ca > cb else b.dtype
    if a.ndim == 0 and b.ndim > 0:
        return b.dtype
    if b.ndim == 0 and a.ndim > 0:
        return a.dtype
    return np.promote_types(a.dtype, b.dtype)


def scalar_dtype(value: Any, tensor_dtype: np.dtype) -> np.dtype:
    """dtype for a Python/numpy scalar operand next to a tensor of `tensor_dtype`."""
    if isinstance(value, (bool, np.bool_)):
        kind = 0
    elif isinstance(value, (int, np.integer)):
        kind = 1
    else:
        kind = 2
    if kind <= category(tensor_dtype):
        return tensor_dtype
    return default_float if kind == 2 else int64


def to_dtype(dtype: Any) -> np.dtype:
    """Accept numpy dtypes, their names and Python types (float -> float32, as torch)."""
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype: {dtype!r} is not a dtype") from None
