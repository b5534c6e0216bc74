"""Tensor methods for dtypes, devices and Python conversions (`float()`, `to(...)`'s arguments, `type()`,
`cpu()`, `format(t, ".4f")`, `x in t`), kept out of tensor.py as a base class of Tensor."""
from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

import numpy as np

from . import dtypes
from .device import CPU, check_device, device

# torch's legacy type names, which `t.type()` returns so that scripts comparing them keep working
TYPE_NAMES = {dtypes.float32: "torch.FloatTensor", dtypes.float64: "torch.DoubleTensor",
              dtypes.float16: "torch.HalfTensor", dtypes.int64: "torch.LongTensor", dtypes.int32: "torch.IntTensor",
              dtypes.int16: "torch.ShortTensor", dtypes.int8: "torch.CharTensor", dtypes.uint8: "torch.ByteTensor",
              dtypes.bool_: "torch.BoolTensor"}
_TYPES_BY_NAME = {name: dtype for dtype, name in TYPE_NAMES.items()}


def to_arguments(args: tuple, kwargs: dict) -> tuple[np.dtype | None, bool]:
    """The dtype (None: unchanged) and `copy` flag of torch's three forms of `to`: to(dtype),
    to(device=None, dtype=None) and to(other_tensor); the device must be the CPU."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking", "copy", "memory_format"}
    if unknown:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(unknown)}")
    dtype, rest = kwargs.get("dtype"), list(args)
    if rest and hasattr(rest[0], "array"):  # to(other): other's dtype (and device, always the CPU)
        dtype = rest.pop(0).dtype
    elif rest and (isinstance(rest[0], (str, device, int)) and not isinstance(rest[0], bool)):
        check_device(rest.pop(0), "to")
    if rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    if len(rest) > 2:
        raise TypeError(f"to: too many positional arguments {args!r}")
    check_device(kwargs.get("device"), "to")
    copy = bool(kwargs.get("copy", rest[1] if len(rest) == 2 else False))
    return (None if dtype is None else dtypes.to_dtype(dtype)), copy


class TensorConversions:
    """dtype, device and Python-conversion methods of Tensor (they all go through `self.to`)."""

    __slots__ = ()
    if TYPE_CHECKING:  # provided by Tensor
        array: np.ndarray

        def to(self, *args: Any, **kwargs: Any) -> Any: ...

    @property
    def device(self) -> device:
        """Always the CPU: tinygrad_ed runs on the CPU only."""
        return CPU

    @property
    def is_cuda(self) -> builtins.bool:
        return False

    def get_device(self) -> builtins.int:
        """-1, torch's number for the CPU."""
        return -1

    def cpu(self) -> Any:
        return self

    def cuda(self, device: Any = None, non_blocking: builtins.bool = False) -> Any:
        raise RuntimeError("cuda: tinygrad_ed runs on the CPU only (te.cuda.is_available() is False); "
                           "use .cpu() or .to('cpu')")

    def float(self) -> Any: return self.to(dtypes.float32)
    def double(self) -> Any: return self.to(dtypes.float64)
    def half(self) -> Any: return self.to(dtypes.float16)
    def long(self) -> Any: return self.to(dtypes.int64)
    def int(self) -> Any: return self.to(dtypes.int32)
    def short(self) -> Any: return self.to(dtypes.int16)
    def char(self) -> Any: return self.to(dtypes.int8)
    def byte(self) -> Any: return self.to(dtypes.uint8)
    def bool(self) -> Any: return self.to(dtypes.bool_)

    def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any:
        """Without an argument torch's type name ('torch.FloatTensor'); with a dtype or such a name, `to(dtype)`."""
        if dtype is None:
            return TYPE_NAMES[self.array.dtype]
        if isinstance(dtype, str) and dtype.replace("tinygrad_ed.", "torch.") in _TYPES_BY_NAME:
            dtype = _TYPES_BY_NAME[dtype.replace("tinygrad_ed.", "torch.")]
        return self.to(dtype)

    def type_as(self, other: Any) -> Any:
        return self.to(other.dtype)

    def is_floating_point(self) -> builtins.bool:
        return self.array.dtype.kind == "f"

    def element_size(self) -> builtins.int:
        """Bytes per element."""
        return self.array.dtype.itemsize

    def nelement(self) -> builtins.int:
        return int(self.array.size)

    def __format__(self, spec: str) -> str:
        if self.array.ndim == 0:  # as torch: a 0-d tensor formats as its number
            return format(self.array.item(), spec)
        if not spec:
            return str(self)
        raise TypeError(f"unsupported format string passed to Tensor.__format__ (a tensor of shape "
                        f"{self.array.shape}; format t.item() or a 0-d tensor)")

    def __contains__(self, element: Any) -> builtins.bool:
        if not (hasattr(element, "array") or isinstance(element, (int, float, np.number))):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool(np.any(self.array == getattr(element, "array", element)))
