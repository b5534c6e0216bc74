"""Argument checks shared by the ops and nn, with torch's error types and wording.

Call `check_tensor` first thing in every public function that takes Tensors
(a layer's forward, a functional op, a loss): it costs one isinstance test.
"""
from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .tensor import Tensor

# torch's names for dtypes, as its error messages print them
_TORCH_NAMES = {"float64": "Double", "float32": "Float", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def check_tensor(value: Any, op: str, name: str, position: int) -> None:
    """Raise torch's TypeError unless `value` is a Tensor, naming the function, the argument and the fix."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}(): argument '{name}' (position {position}) must be Tensor, not "
                        f"{type_name(value)} (wrap it with te.tensor(x) or te.from_numpy(x))")


def check_same_dtype(op: str, first: Tensor, second: Tensor, names: str = "mat1 and mat2") -> None:
    """Raise torch's RuntimeError when two operands of a matrix product differ in dtype."""
    a, b = first.array.dtype, second.array.dtype
    if a is not b and a != b:
        raise RuntimeError(f"{op}(): {names} must have the same dtype, but got {torch_name(a)} and "
                           f"{torch_name(b)} (convert one with .to(), .float() or .double())")


def check_probability(p: Any, op: str) -> None:
    if not isinstance(p, numbers.Real) or not 0.0 <= float(p) <= 1.0:
        raise ValueError(f"{op}: probability has to be between 0 and 1, but got {p}")


def type_name(value: Any) -> str:
    """`list`, `numpy.ndarray`: a type's name as torch prints it in argument errors."""
    cls = type(value)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def torch_name(dtype: np.dtype) -> str:
    return _TORCH_NAMES.get(dtype.name, dtype.name)
