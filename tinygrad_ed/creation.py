"""Tensor constructors: zeros, ones, full, empty, eye, arange, rand, randn, *_like, from_numpy."""
from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import dtypes
from .random import generator
from .tensor import Tensor, as_array


def _shape(size: tuple, op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"{op}: size must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def _leaf(array: np.ndarray, requires_grad: bool) -> Tensor:
    """A leaf Tensor on `array`, without a copy."""
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.default_float if dtype is None else dtypes.to_dtype(dtype)


def tensor(data: Any, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Same as `Tensor(data, requires_grad, dtype)`."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with `array` (works with np.memmap without reading it)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    as_array(array[:0] if array.ndim else array, None, "from_numpy")  # dtype validation only
    return _leaf(array, requires_grad)


def zeros(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.ones(_shape(size, "ones"), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    return _leaf(np.empty(_shape(size, "empty"), _float_dtype(dtype)), requires_grad)


def full(size: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value, dtypes.bool_)
    return _leaf(np.full(_shape((size,), "full"), fill_value, dtypes.to_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    sizes = (n,) if m is None else (n, m)
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 for k in sizes):
        raise ValueError(f"eye: sizes must be non-negative integers, got n={n!r}, m={m!r}")
    return _leaf(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from start (0 if only one bound is given) up to but excluding end; int64 unless a bound is a float."""
    if end is None:
        start, end = 0, start
    bounds = (start, end, step)
    if any(isinstance(v, bool) or not isinstance(v, numbers.Real) for v in bounds):
        raise TypeError(f"arange: start, end and step must be numbers, got {start!r}, {end!r}, {step!r}")
    if not all(math.isfinite(v) for v in bounds) or step == 0:
        raise ValueError(f"arange: start and end must be finite and step nonzero, got {start!r}, {end!r}, {step!r}")
    if dtype is None:
        is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
        dtype = dtypes.default_float if is_float else dtypes.int64
    try:
        values = np.arange(start, end, step, dtype=dtypes.to_dtype(dtype))
    except ValueError as error:  # more values than memory can index
        raise ValueError(f"arange: {error} (from {start!r} to {end!r} by {step!r})") from None
    return _leaf(values, requires_grad)


def rand(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    return _leaf(generator().random(_shape(size, "rand")).astype(_float_dtype(dtype)), requires_grad)


def randn(*size: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    return _leaf(generator().standard_normal(_shape(size, "randn")).astype(_float_dtype(dtype)), requires_grad)


def _like(t: Any, dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t.shape, t.dtype if dtype is None else dtypes.to_dtype(dtype)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, "zeros_like")
    return _leaf(np.zeros(shape, dtype), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, "ones_like")
    return _leaf(np.ones(shape, dtype), requires_grad)


def full_like(t: Tensor, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, "full_like")
    return _leaf(np.full(shape, fill_value, dtype), requires_grad)


def randn_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, "randn_like")
    return randn(shape, dtype=dtype, requires_grad=requires_grad)


def rand_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = _like(t, dtype, "rand_like")
    return rand(shape, dtype=dtype, requires_grad=requires_grad)
