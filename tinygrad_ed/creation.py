"""Tensor constructors: zeros, ones, full, empty, eye, arange, rand, randn, *_like, from_numpy."""
from __future__ import annotations

from typing import Any

import numpy as np

from . import dtypes
from .random import generator
from .tensor import Tensor, as_array


def _shape(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"size must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def _float(dtype: Any) -> np.dtype:
    return dtypes.default_float if dtype is None else dtypes.to_dtype(dtype)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Same as `Tensor(data, requires_grad, dtype)`."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with `array` (works with np.memmap without reading it)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    as_array(array[:0] if array.ndim else array, None, "from_numpy")  # dtype validation only
    return _finish(array, requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(_shape(size), _float(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(_shape(size), _float(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.empty(_shape(size), _float(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value, dtypes.bool_)
    return _finish(np.full(_shape((size,)), fill_value, dtypes.to_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from start (0 if only one bound is given) up to but excluding end; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dtype = dtypes.default_float if is_float else dtypes.int64
    return _finish(np.arange(start, end, step, dtype=dtypes.to_dtype(dtype)), requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _finish(generator().random(_shape(size)).astype(_float(dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _finish(generator().standard_normal(_shape(size)).astype(_float(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.zeros(t.shape, dtype or t.dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.ones(t.shape, dtype or t.dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _finish(np.full(t.shape, fill_value, dtype or t.dtype), requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
