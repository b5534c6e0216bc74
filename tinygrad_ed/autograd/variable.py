"""torch.autograd.Variable: PyTorch's wrapper before 0.4, which old tutorials still import. As in torch
today, every Tensor is one, and `Variable(t, requires_grad=...)` is `t` detached (the same memory) with
requires_grad set."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import dtypes
from ..tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data: Any = None, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # type: ignore[misc]
        if volatile:
            warnings.warn("Variable: volatile was removed and now has no effect. Use `with te.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            return Tensor._make(np.empty(0, dtypes.default_float))
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
