"""The dtypes (numpy's own: `te.float32 == np.float32`), their names, and rules that follow torch rather than numpy.

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


class UnsupportedDtype:
    """A dtype torch has and numpy lacks: it can be named (`{"bfloat16": te.bfloat16}`), compared and given to
    autocast, but no tensor can hold it (to_dtype raises)."""

    is_floating_point = True

    def __init__(self, name: str, itemsize: int):
        self.name, self.itemsize = name, itemsize

    def __repr__(self) -> str:
        return self.name


bfloat16 = UnsupportedDtype("bfloat16", 2)


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


NAMES: dict[str, np.dtype] = {"float32": float32, "float": float32, "float64": float64, "double": float64,
                              "float16": float16,
         "half": float16, "int64": int64, "long": int64, "int32": int32, "int": int32, "int16": int16,
         "short": int16, "int8": int8, "uint8": uint8, "bool": bool_}
SUPPORTED = frozenset(NAMES.values())
_VALID = ", ".join(NAMES)
_PYTHON_TYPES = {int: int64, bool: bool_}  # `float` follows the default dtype; `int` is int64 here, as in torch


def to_dtype(dtype: Any) -> np.dtype:
    """One of the supported dtypes, given as a dtype (te.float32, np.float32), a Python type (float ->
    float64 as torch, int -> int64, bool) or a name ("float32", "long"); anything else is a TypeError."""
    if isinstance(dtype, np.dtype) and dtype in SUPPORTED:
        return dtype
    if dtype is bfloat16 or isinstance(dtype, str) and dtype.removeprefix("torch.") == "bfloat16":
        raise TypeError("dtype: bfloat16 is not supported: numpy has no bfloat16 type, so no tensor can hold it "
                        "(use te.float32, or te.float16)")
    if dtype is float:
        return float64
    if isinstance(dtype, type) and dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype]
    if isinstance(dtype, str):
        dtype = dtype.removeprefix("torch.")
        if dtype in NAMES:
            return NAMES[dtype]
    elif dtype is not None and not isinstance(dtype, (bytes, int, float, list, tuple, dict)):
        try:
            resolved = np.dtype(dtype)
        except (TypeError, ValueError, SyntaxError):  # what numpy raises for junk
            resolved = None
        if resolved in SUPPORTED:
            return resolved
    raise TypeError(f"dtype: expected one of {_VALID} (as te.float32 or its name), got {dtype!r}")


def get_default_dtype() -> np.dtype:
    """The dtype of Python floats and of float constructors (te.zeros, te.rand...): float32 unless set."""
    return default_float


def set_default_dtype(dtype: Any) -> None:
    global default_float
    dtype = to_dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the default type, got {dtype}")
    default_float = dtype


class finfo:
    """Limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution."""

    def __init__(self, type: Any = None):
        dtype = default_float if type is None else to_dtype(type)
        if dtype.kind != "f":
            raise TypeError(f"finfo: expected a floating point dtype, got {dtype}")
        info = np.finfo(dtype)
        self.dtype, self.bits, self.eps = dtype.name, info.bits, float(info.eps)
        self.max, self.min, self.resolution = float(info.max), float(info.min), 10.0 ** -info.precision
        self.tiny = self.smallest_normal = float(info.smallest_normal)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, max, min."""

    def __init__(self, type: Any):
        dtype = to_dtype(type)
        if dtype.kind not in "iu":
            raise TypeError(f"iinfo: expected an integer dtype, got {dtype}")
        info = np.iinfo(dtype)
        self.dtype, self.bits, self.max, self.min = dtype.name, info.bits, int(info.max), int(info.min)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
