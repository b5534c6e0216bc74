"""`Tensor`: a numpy array plus what autograd needs. The ops themselves live in `tinygrad_ed/ops/`."""
from __future__ import annotations

import operator
from typing import Any, Iterator

import numpy as np

from . import dtypes

_new = object.__new__


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    `array` is the numpy array; a 0-d result of an op holds the numpy scalar that
    numpy returns for it (operations on those are ~10x faster than on 0-d arrays),
    which behaves as a read-only 0-d array. `numpy()` always gives an ndarray.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    __slots__ = ("array", "grad", "requires_grad", "grad_fn", "__weakref__")
    __array_ufunc__ = None  # so that `ndarray op Tensor` calls Tensor's reflected operator
    __hash__ = object.__hash__  # == is elementwise; identity is the hash, as in torch

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None):
        self.array = as_array(data, dtype, "Tensor")
        self.grad: Tensor | None = None
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: np.ndarray, grad_fn: Any = None) -> Tensor:
        """Internal constructor for op results: no validation, no copy."""
        t = _new(Tensor)
        t.array, t.grad, t.grad_fn, t.requires_grad = data, None, grad_fn, grad_fn is not None
        return t

    # -- attributes ------------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def data(self) -> Tensor:
        """A Tensor sharing this one's memory, cut from the graph (torch's escape hatch for
        in-place updates; prefer `with te.no_grad():`)."""
        return Tensor._make(self.array)

    @data.setter
    def data(self, other: Tensor) -> None:
        if not isinstance(other, Tensor):
            raise TypeError(f"data: assigned value must be a Tensor, got {type(other).__name__}")
        self.array = other.array

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> Tensor:
        return movement.permute(self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self) -> Tensor:
        return movement.transpose(self, -2, -1)

    def size(self, dim: int | None = None) -> tuple[int, ...] | int:
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # -- conversion ------------------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        return self._writable_array()

    def _writable_array(self) -> np.ndarray:
        """`array` as an ndarray that can be changed in place (a numpy scalar becomes a 0-d array)."""
        if type(self.array) is not np.ndarray:
            self.array = np.array(self.array)
        return self.array

    def item(self) -> Any:
        if self.array.size != 1:
            raise ValueError(f"item: a Tensor with {self.array.size} elements cannot be converted to a scalar")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with {self.array.size} elements is ambiguous")
        return bool(self.array.item())

    def __index__(self) -> int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.array.item())

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        data = self._writable_array()
        if dtype is not None:
            return data.astype(dtype, copy=bool(copy))
        return data.copy() if copy else data  # np.array(t) copies, np.asarray(t) shares

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        data = self.array
        # torch prints 4 decimals unless every float is a whole number ("tensor([1., 2.])")
        fixed = data.dtype.kind == "f" and bool(np.any(np.isfinite(data) & (data != np.round(data))))
        body = np.array2string(data, precision=4, separator=", ", prefix="tensor(",
                               floatmode="fixed" if fixed else "maxprec")
        extras = []
        if self.array.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extras.append(f"dtype={self.array.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def to(self, dtype: Any) -> Tensor:
        dtype = dtypes.to_dtype(dtype)
        if dtype == self.array.dtype:
            return self
        if self.requires_grad and dtype.kind != "f":
            return Tensor._make(self.array.astype(dtype))  # integer results leave the graph, as in torch
        return elementwise.Cast.apply(self, dtype=dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    # -- autograd --------------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into every leaf's `.grad`.

        A non-scalar tensor needs `gradient` (the vector of a vector-Jacobian
        product). The graph is freed as it is walked unless `retain_graph=True`.
        """
        autograd.backward(self, gradient, retain_graph, create_graph)

    def detach(self) -> Tensor:
        """The same data (shared memory), cut from the graph."""
        return Tensor._make(self.array.view())  # a distinct array object: see autograd._saved_as_tensor

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_: can only change requires_grad of leaf tensors "
                               "(use detach() to get a leaf)")
        if requires_grad and not dtypes.is_floating(self.array.dtype):
            raise RuntimeError(f"requires_grad: only tensors of floating point dtype can require gradients, "
                               f"got {self.array.dtype}")
        self.requires_grad = requires_grad
        return self

    # -- in place (outside the graph, as an optimizer step) ----------------------------------------
    def _check_in_place(self, op: str) -> None:
        if self.requires_grad and autograd.is_grad_enabled():
            raise RuntimeError(f"{op}: a tensor that requires grad cannot be changed in place while the graph is "
                               "recorded; do it under `with te.no_grad():` (as an optimizer step does)")

    def _in_place(self, op: str, result: Any) -> Tensor:
        result = np.asarray(result.array if isinstance(result, Tensor) else result)
        if not np.can_cast(result.dtype, self.array.dtype, casting="same_kind"):
            raise TypeError(f"{op}: result type {result.dtype} can't be cast to the tensor's dtype {self.array.dtype}")
        if result.shape != self.shape and np.broadcast_shapes(result.shape, self.shape) != self.shape:
            raise autograd.ShapeError(f"{op}: a result of shape {result.shape} does not fit in place into a tensor "
                                      f"of shape {self.shape}")
        self._writable_array()[...] = result
        return self

    def _update(self, op: str, fn: Any, other: Any) -> Tensor:
        self._check_in_place(op)
        with autograd.no_grad():
            return self._in_place(op, fn(self, other))

    def zero_(self) -> Tensor:
        self._check_in_place("zero_")
        self._writable_array()[...] = 0
        return self

    def fill_(self, value: Any) -> Tensor:
        self._check_in_place("fill_")
        return self._in_place("fill_", value)

    def copy_(self, src: Any) -> Tensor:
        self._check_in_place("copy_")
        return self._in_place("copy_", src)

    def add_(self, other: Any) -> Tensor: return self._update("add_", elementwise.add, other)
    def sub_(self, other: Any) -> Tensor: return self._update("sub_", elementwise.sub, other)
    def mul_(self, other: Any) -> Tensor: return self._update("mul_", elementwise.mul, other)
    def div_(self, other: Any) -> Tensor: return self._update("div_", elementwise.div, other)
    __iadd__, __isub__, __imul__, __itruediv__ = add_, sub_, mul_, div_

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_in_place("__setitem__")
        self._writable_array()[index_ops.numpy_index(index)] = value.array if isinstance(value, Tensor) else value

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Tensor: return elementwise.add(self, other)
    def __radd__(self, other: Any) -> Tensor: return elementwise.add(other, self)
    def __sub__(self, other: Any) -> Tensor: return elementwise.sub(self, other)
    def __rsub__(self, other: Any) -> Tensor: return elementwise.sub(other, self)
    def __mul__(self, other: Any) -> Tensor: return elementwise.mul(self, other)
    def __rmul__(self, other: Any) -> Tensor: return elementwise.mul(other, self)
    def __truediv__(self, other: Any) -> Tensor: return elementwise.div(self, other)
    def __rtruediv__(self, other: Any) -> Tensor: return elementwise.div(other, self)
    def __pow__(self, other: Any) -> Tensor: return elementwise.pow(self, other)
    def __rpow__(self, other: Any) -> Tensor: return elementwise.pow(other, self)
    def __matmul__(self, other: Any) -> Tensor: return matmul_ops.matmul(self, other)
    def __rmatmul__(self, other: Any) -> Tensor: return matmul_ops.matmul(other, self)
    def __neg__(self) -> Tensor: return elementwise.Neg.apply(self)
    def __pos__(self) -> Tensor: return self

    def __lt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.lt)
    def __le__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.le)
    def __gt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.gt)
    def __ge__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.ge)
    def __eq__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.eq)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.ne)  # type: ignore[override]
    def __invert__(self) -> Tensor: return Tensor._make(~self.array)
    def __and__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.and_)
    def __or__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.or_)
    def __rand__(self, other: Any) -> Tensor: return elementwise.compare(other, self, operator.and_)
    def __ror__(self, other: Any) -> Tensor: return elementwise.compare(other, self, operator.or_)

    def add(self, other: Any) -> Tensor: return elementwise.add(self, other)
    def sub(self, other: Any) -> Tensor: return elementwise.sub(self, other)
    def mul(self, other: Any) -> Tensor: return elementwise.mul(self, other)
    def div(self, other: Any) -> Tensor: return elementwise.div(self, other)
    def pow(self, exponent: Any) -> Tensor: return elementwise.pow(self, exponent)
    def matmul(self, other: Any) -> Tensor: return matmul_ops.matmul(self, other)
    def neg(self) -> Tensor: return elementwise.Neg.apply(self)

    # -- elementwise -----------------------------------------------------------------------------
    def exp(self) -> Tensor: return elementwise.Exp.apply(elementwise.floating(self))
    def log(self) -> Tensor: return elementwise.Log.apply(elementwise.floating(self))
    def sqrt(self) -> Tensor: return elementwise.Sqrt.apply(elementwise.floating(self))
    def abs(self) -> Tensor: return elementwise.Abs.apply(self)
    def relu(self) -> Tensor: return elementwise.Relu.apply(self)
    def sigmoid(self) -> Tensor: return elementwise.Sigmoid.apply(elementwise.floating(self))
    def tanh(self) -> Tensor: return elementwise.Tanh.apply(elementwise.floating(self))
    def square(self) -> Tensor: return elementwise.mul(self, self)
    def erf(self) -> Tensor: return unary.Erf.apply(elementwise.floating(self))
    def erfc(self) -> Tensor: return unary.Erfc.apply(elementwise.floating(self))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other: Any) -> Tensor: return elementwise.maximum(self, other)
    def minimum(self, other: Any) -> Tensor: return elementwise.minimum(self, other)

    # -- reductions ------------------------------------------------------------------------------
    def sum(self, dim: Any = None, keepdim: bool = False) -> Tensor: return reduce.sum(self, dim, keepdim)
    def mean(self, dim: Any = None, keepdim: bool = False) -> Tensor: return reduce.mean(self, dim, keepdim)
    def amax(self, dim: Any = None, keepdim: bool = False) -> Tensor: return reduce.amax(self, dim, keepdim)
    def amin(self, dim: Any = None, keepdim: bool = False) -> Tensor: return reduce.amin(self, dim, keepdim)
    def max(self, dim: int | None = None, keepdim: bool = False) -> Any: return reduce.max(self, dim, keepdim)
    def min(self, dim: int | None = None, keepdim: bool = False) -> Any: return reduce.min(self, dim, keepdim)
    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor: return reduce.argmax(self, dim, keepdim)
    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor: return reduce.argmin(self, dim, keepdim)

    def logsumexp(self, dim: Any = None, keepdim: bool = False) -> Tensor:
        return reduce.logsumexp(self, dim, keepdim)

    def var(self, dim: Any = None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None) -> Tensor:
        return reduce.var(self, dim, keepdim, correction, unbiased)

    def std(self, dim: Any = None, keepdim: bool = False, correction: int = 1, unbiased: bool | None = None) -> Tensor:
        return reduce.std(self, dim, keepdim, correction, unbiased)

    def softmax(self, dim: int = -1) -> Tensor: return reduce.softmax(self, dim)
    def log_softmax(self, dim: int = -1) -> Tensor: return reduce.log_softmax(self, dim)

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor: return movement.reshape(self, *shape)
    def view(self, *shape: Any) -> Tensor: return movement.reshape(self, *shape)
    def permute(self, *dims: Any) -> Tensor: return movement.permute(self, *dims)
    def transpose(self, dim0: int, dim1: int) -> Tensor: return movement.transpose(self, dim0, dim1)
    def expand(self, *sizes: Any) -> Tensor: return movement.expand(self, *sizes)
    def expand_as(self, other: Tensor) -> Tensor: return movement.expand(self, other.shape)
    def unsqueeze(self, dim: int) -> Tensor: return movement.unsqueeze(self, dim)
    def squeeze(self, dim: Any = None) -> Tensor: return movement.squeeze(self, dim)
    def contiguous(self) -> Tensor: return self

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return movement.flatten(self, start_dim, end_dim)

    def __getitem__(self, index: Any) -> Tensor:
        return index_ops.getitem(self, index)


def as_array(data: Any, dtype: Any, op: str) -> np.ndarray:
    """Validate and convert user data; Python floats become float32 and ints int64, as in torch."""
    if isinstance(data, Tensor):
        array = np.asarray(data.array)
    elif isinstance(data, np.ndarray):
        array = data
    else:
        try:
            array = np.array(data)
        except ValueError as error:
            raise ValueError(f"{op}: cannot build a tensor from ragged nested sequences ({error})") from None
        if (dtype is None and array.dtype == np.float64 and not isinstance(data, np.generic)
                and not _holds_numpy_float64(data)):  # with a dtype, Python floats go to it directly
            array = array.astype(dtypes.default_float)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: cannot build a tensor from data of dtype {array.dtype} "
                        "(only bool, integer and floating point numbers are supported)")
    given = data.array if isinstance(data, Tensor) else data
    if dtype is not None:
        array = array.astype(dtypes.to_dtype(dtype), copy=False)
    if array is given:
        array = array.copy()  # Tensor(ndarray) copies, as torch.tensor does; from_numpy shares
    return array


def _holds_numpy_float64(data: Any) -> bool:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, np.ndarray) and data.dtype == np.float64 or isinstance(data, np.float64)


from . import autograd  # noqa: E402  (the ops need Tensor defined first)
from .ops import elementwise, reduce, movement, unary  # noqa: E402
from .ops import index as index_ops, matmul as matmul_ops  # noqa: E402
