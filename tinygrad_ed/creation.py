"""Tensor constructors: tensor, as_tensor, from_numpy, zeros, ones, empty, full, eye, arange, linspace,
logspace and the *_like forms. Random ones are in sampling.py; tril, triu, diag, meshgrid in structured.py."""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from . import dtypes
from .device import check_device
from .tensor import Tensor, as_array


def parse_size(size: tuple, op: str) -> tuple[int, ...]:
    """torch's sizes: varargs `(2, 3)` or one tuple/list `((2, 3),)`; non-negative integers. No size at
    all is a 0-d tensor (torch raises; property tests writing `te.ones(*shape)` rely on it)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0 for n in size):
        raise ValueError(f"{op}: size must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def leaf(array: np.ndarray, requires_grad: bool, device: Any, op: str) -> Tensor:
    """A leaf Tensor on `array`, a fresh array the constructor made (te.compile takes it as a constant)."""
    check_device(device, op)
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def float_dtype(dtype: Any) -> np.dtype:
    """`dtype`, or the default float dtype when it is None."""
    return dtypes.default_float if dtype is None else dtypes.to_dtype(dtype)


def like(t: Any, dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    """The shape and dtype (`dtype` if given) of a *_like constructor's input."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t.shape, t.dtype if dtype is None else dtypes.to_dtype(dtype)


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                      "sourceTensor.detach().clone().requires_grad_(True), rather than te.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    check_device(device, "tensor")
    return Tensor._leaf(as_array(data, dtype, "tensor"), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """`data` as a tensor, sharing memory with a Tensor or numpy array when no conversion is needed."""
    check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtypes.to_dtype(dtype) == data.dtype):
        return from_numpy(data)
    return Tensor._leaf(as_array(data, dtype, "as_tensor"))


def from_numpy(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A tensor sharing memory with `array` (works with np.memmap without reading it)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy array, got {type(array).__name__}")
    as_array(array[:0] if array.ndim else array, None, "from_numpy")  # dtype validation only
    t = Tensor._leaf(array)  # not leaf(): the memory is the caller's, and may change
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return leaf(np.zeros(parse_size(size, "zeros"), float_dtype(dtype)), requires_grad, device, "zeros")


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return leaf(np.ones(parse_size(size, "ones"), float_dtype(dtype)), requires_grad, device, "ones")


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return leaf(np.empty(parse_size(size, "empty"), float_dtype(dtype)), requires_grad, device, "empty")


def full(size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere; the dtype follows it (bool, int64 or the default float) unless given."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value, dtypes.bool_)
    array = np.full(parse_size((size,), "full"), fill_value, dtypes.to_dtype(dtype))
    return leaf(array, requires_grad, device, "full")


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    sizes = (n,) if m is None else (n, m)
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 for k in sizes):
        raise ValueError(f"eye: sizes must be non-negative integers, got n={n!r}, m={m!r}")
    return leaf(np.eye(n, m, dtype=float_dtype(dtype)), requires_grad, device, "eye")


def _number(value: Any, op: str) -> Any:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise ValueError(f"{op}: a tensor bound must hold one number, got shape {value.shape}")
        return value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: start, end and step must be numbers, got {value!r}")
    return value


def arange(start: Any = 0, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from start (0 if only one bound is given) up to but excluding end; int64 unless a bound is a
    float. There are ceil((end - start) / step) of them, each computed in float64 as start + i * step."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange") for v in (start, end, step))
    if not all(math.isfinite(v) for v in (start, end, step)) or step == 0:
        raise ValueError(f"arange: start and end must be finite and step nonzero, got {start!r}, {end!r}, {step!r}")
    if (end - start) * step < 0:
        raise ValueError(f"arange: upper bound and larger bound inconsistent with step sign "
                         f"(start={start!r}, end={end!r}, step={step!r})")
    is_float = any(isinstance(v, (float, np.floating)) for v in (start, end, step))
    dtype = (dtypes.default_float if is_float else dtypes.int64) if dtype is None else dtypes.to_dtype(dtype)
    try:
        values = np.arange(start, end, step, dtype=np.float64 if is_float else np.int64)
    except (ValueError, MemoryError) as error:  # more values than memory can hold
        raise ValueError(f"arange: {error} (from {start!r} to {end!r} by {step!r})") from None
    return leaf(values.astype(dtype, copy=False), requires_grad, device, "arange")


def linspace(start: Any, end: Any, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end inclusive (the first half counted from start,
    the second from end, as torch does)."""
    return leaf(_linspace(start, end, steps, "linspace").astype(float_dtype(dtype)), requires_grad, device,
                "linspace")


def logspace(start: Any, end: Any, steps: int, base: float = 10.0, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """base ** linspace(start, end, steps)."""
    values = np.power(float(base), _linspace(start, end, steps, "logspace"))
    return leaf(values.astype(float_dtype(dtype)), requires_grad, device, "logspace")


def _linspace(start: Any, end: Any, steps: Any, op: str) -> np.ndarray:
    start, end = float(_number(start, op)), float(_number(end, op))
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"{op}: number of steps must be a non-negative integer, got {steps!r}")
    if steps == 1:
        return np.array([start])
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps)
    return np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)


def zeros_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "zeros_like")
    return leaf(np.zeros(shape, dtype), requires_grad, device, "zeros_like")


def ones_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "ones_like")
    return leaf(np.ones(shape, dtype), requires_grad, device, "ones_like")


def empty_like(input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "empty_like")
    return leaf(np.empty(shape, dtype), requires_grad, device, "empty_like")


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    shape, dtype = like(input, dtype, "full_like")
    return leaf(np.full(shape, fill_value, dtype), requires_grad, device, "full_like")
