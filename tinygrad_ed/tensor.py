"""`Tensor`: a numpy array plus what autograd needs. The ops themselves live in `tinygrad_ed/ops/`."""
from __future__ import annotations

import builtins
import operator
import weakref
from typing import Any, Callable, Iterator

import numpy as np

from . import dtypes, printing
from .conversion import TensorConversions, to_arguments
from .device import check_device

_new = object.__new__
_DTYPE_CLASSES = frozenset(d.__class__ for d in dtypes.SUPPORTED)


def in_place(op: Callable[..., Tensor], name: str | None = None) -> Callable[..., Tensor]:
    """The in-place form of an out-of-place op, as a method: `sin_ = in_place(sin)` in the class
    body gives `x.sin_()`, which writes `x.sin()` into x, recorded in the graph (autograd/inplace.py)."""
    name = name or op.__name__ + "_"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return inplace.write(self, name, op, args, kwargs)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"In-place form of `{op.__name__}`: the result is written into this tensor."
    return method


# the out-of-place forms that masked_fill_, index_add_, index_fill_ and the scatter_ family write (ops/index.py)
def _masked_fill(x: Tensor, mask: Any, value: Any) -> Tensor:
    return index_ops.masked_fill(x, mask, value)


def _index_add(x: Tensor, dim: int, index: Any, source: Tensor, *, alpha: Any = 1) -> Tensor:
    return index_ops.index_add(x, dim, index, source, alpha)


def _scatter(x: Tensor, dim: int, index: Any, src: Any = None, *, value: Any = None) -> Tensor:
    return index_ops.scatter(x, dim, index, src, value)


def _fill_diagonal(x: Tensor, fill_value: Any, wrap: bool = False) -> Tensor:
    return index_ops.fill_diagonal(x, fill_value, wrap)


def _scatter_add(x: Tensor, dim: int, index: Any, src: Any) -> Tensor:
    return index_ops.scatter_add(x, dim, index, src)


def _index_fill(x: Tensor, dim: int, index: Any, value: Any) -> Tensor:
    return index_ops.index_fill(x, dim, index, value)


def _scatter_reduce(x: Tensor, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
    return index_ops.scatter_reduce(x, dim, index, src, reduce, include_self=include_self)


class Tensor(TensorConversions):
    """An n-dimensional array that records the operations applied to it.

    `array` is the numpy array; a 0-d result of an op holds the numpy scalar that
    numpy returns for it (operations on those are ~10x faster than on 0-d arrays),
    which behaves as a read-only 0-d array. `numpy()` always gives an ndarray.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)  # te.tensor(...) keeps the data's dtype
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
    """

    # view_of: (tensor, index) for `tensor[index]` sharing its memory (see inplace.py)
    __slots__ = ("array", "grad", "requires_grad", "grad_fn", "view_of", "__weakref__")
    view_of: tuple[Tensor, Any]  # set only on parts made by indexing
    __array_ufunc__ = None  # so that `ndarray op Tensor` calls Tensor's reflected operator
    __hash__ = object.__hash__  # == is elementwise; identity is the hash, as in torch

    def __init__(self, *data: Any, requires_grad: bool = False, dtype: Any = None, device: Any = None):
        """torch.Tensor's legacy constructor: `Tensor(data)` copies `data` as the default dtype (float32), and
        `Tensor(2, 3)` is a tensor of that shape (zero-filled; torch leaves it uninitialised). `dtype` and
        `requires_grad` are additions (te.tensor, which keeps the data's own dtype, is the usual constructor)."""
        check_device(device, "Tensor")
        self._init(_legacy_array(data, dtypes.default_float if dtype is None else dtype), requires_grad)

    @staticmethod
    def _leaf(array: np.ndarray, requires_grad: bool = False) -> Tensor:
        """A new leaf holding `array` as it is: the constructors' path (`_make` is the ops')."""
        t = _new(Tensor)
        t._init(array, requires_grad)
        return t

    def _init(self, array: Any, requires_grad: bool) -> None:
        self.array = array
        self.grad: Tensor | None = None
        self.grad_fn: Any = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(data: Any, grad_fn: Any = None) -> Tensor:
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
        in-place updates; prefer `with te.no_grad():`). Its in-place writes are not counted by the
        version counter, so autograd cannot catch them: that is the hatch."""
        return Tensor._make(inplace.uncounted_view(self))

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
        if dim is None:
            return self.shape
        if not -self.ndim <= dim < self.ndim:
            raise IndexError(f"size: dimension out of range (expected to be in range of [{-self.ndim}, "
                             f"{self.ndim - 1}], but got {dim})" if self.ndim else
                             f"size: dimension specified as {dim} but tensor has no dimensions")
        return self.shape[dim]

    def numel(self) -> int:
        return int(self.array.size)

    def dim(self) -> int:
        return self.array.ndim

    ndimension = dim

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    @property
    def itemsize(self) -> int:
        return int(self.array.itemsize)

    def stride(self, dim: int | None = None) -> Any:
        """Steps in elements between neighbours along each dimension, of this tensor's numpy memory layout
        (which can differ from torch's for the same computation)."""
        steps = tuple(s // self.array.itemsize for s in np.asarray(self.array).strides)
        return steps if dim is None else steps[dim]

    def is_contiguous(self, memory_format: Any = None) -> bool:
        """Whether the memory is laid out row-major with no gaps (a transposed tensor, a strided slice or a
        convolution's channels-last output is not; `view` of one copies, see `contiguous`)."""
        return bool(np.asarray(self.array).flags.c_contiguous)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    # -- conversion ------------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The array itself (shared memory, as torch's on the CPU); a tensor that requires grad only with
        `force=True`."""
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
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
        if self.grad_fn is not None:
            return printing.tensor_repr(self.array, [f"grad_fn={self.grad_fn!r}"])
        return printing.tensor_repr(self.array, ["requires_grad=True"] if self.requires_grad else [])

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """torch's to(dtype), to(device, dtype) and to(other); the device can only be the CPU."""
        dtype: np.dtype | None
        if len(args) == 1 and not kwargs and args[0].__class__ in _DTYPE_CLASSES:  # to(dtype): the common call
            dtype, copy = dtypes.to_dtype(args[0]), False
        else:
            dtype, copy = to_arguments(args, kwargs)
        if dtype is None or dtype == self.array.dtype:
            return self.clone() if copy else self
        if self.requires_grad and dtype.kind != "f":
            return Tensor._make(self.array.astype(dtype))  # integer results leave the graph, as in torch
        return elementwise.Cast.apply(self, dtype=dtype)

    # -- autograd --------------------------------------------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: Any = None) -> None:
        """Accumulate the gradient of this tensor into every leaf's `.grad`.

        A non-scalar tensor needs `gradient` (the vector of a vector-Jacobian
        product). The graph is freed as it is walked unless `retain_graph=True`.
        With `inputs`, only those tensors' `.grad` are filled.
        """
        engine.backward(self, gradient, retain_graph, create_graph, inputs)

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> Any:
        """Call `hook(grad)` when this tensor's gradient is computed; a Tensor it returns replaces the
        gradient. Returns a handle whose `.remove()` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return hooks.add_hook(hooks.grad_hooks, self.grad_fn or self, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[[Tensor], None]) -> Any:
        """Call `hook(tensor)` after a gradient was accumulated into this leaf's `.grad`."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        return hooks.add_hook(hooks.post_accumulate_hooks, self, hook)

    def retain_grad(self) -> None:
        """Fill `.grad` of this non-leaf tensor during backward (leaves always get it)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            hooks.retained.set(self.grad_fn, weakref.ref(self))

    @property
    def retains_grad(self) -> bool:
        owner = hooks.retained.get(self.grad_fn) if self.grad_fn is not None else None
        return owner is not None and owner() is self

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor's memory has seen (torch's version counter)."""
        return versions.version_of(self.array)

    def clone(self) -> Tensor:
        """A copy in new memory, in the graph (its gradient passes through unchanged)."""
        return Tensor._make(self.array.copy()) if self.array.dtype == np.bool_ else self * 1

    def detach(self) -> Tensor:
        """The same data (shared memory), cut from the graph."""
        return Tensor._make(self.array.view())  # a distinct array object: see engine._saved_as_tensor

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("requires_grad_: can only change requires_grad of leaf tensors "
                               "(use detach() to get a leaf)")
        if requires_grad and not dtypes.is_floating(self.array.dtype):
            raise RuntimeError(f"requires_grad: only tensors of floating point dtype can require gradients, "
                               f"got {self.array.dtype}")
        self.requires_grad = requires_grad
        return self

    # -- new tensors in this one's dtype (torch's new_* methods) ---------------------------------
    def _own_dtype(self, dtype: Any) -> Any:
        return self.array.dtype if dtype is None else dtype

    def new_tensor(self, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return creation.tensor(data, dtype=self._own_dtype(dtype), device=device, requires_grad=requires_grad)

    def new_zeros(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return creation.zeros(*size, dtype=self._own_dtype(dtype), device=device, requires_grad=requires_grad)

    def new_ones(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return creation.ones(*size, dtype=self._own_dtype(dtype), device=device, requires_grad=requires_grad)

    def new_empty(self, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
        return creation.empty(*size, dtype=self._own_dtype(dtype), device=device, requires_grad=requires_grad)

    def new_full(self, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
                 requires_grad: bool = False) -> Tensor:
        return creation.full(size, fill_value, dtype=self._own_dtype(dtype), device=device, requires_grad=requires_grad)

    # -- random fills (outside the graph, as torch's) -------------------------------------------
    def uniform_(self, from_: float = 0.0, to: float = 1.0, *, generator: Any = None) -> Tensor:
        return sampling.uniform_(self, from_, to, generator)

    def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
        return sampling.normal_(self, mean, std, generator)

    def random_(self, from_: int = 0, to: int | None = None, *, generator: Any = None) -> Tensor:
        return sampling.random_(self, from_, to, generator)

    def bernoulli_(self, p: Any = 0.5, *, generator: Any = None) -> Tensor:
        return sampling.bernoulli_(self, p, generator)

    def exponential_(self, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
        return sampling.exponential_(self, lambd, generator)

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
    def __abs__(self) -> Tensor: return elementwise.Abs.apply(self)
    def __pos__(self) -> Tensor: return self

    def __lt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.lt)
    def __le__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.le)
    def __gt__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.gt)
    def __ge__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.ge)
    def __eq__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.eq)  # type: ignore[override]
    def __ne__(self, other: Any) -> Tensor: return elementwise.compare(self, other, operator.ne)  # type: ignore[override]
    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    def __invert__(self) -> Tensor: return binary.bitwise_not(self)
    def __and__(self, other: Any) -> Tensor: return binary.bitwise(self, other, operator.and_)
    def __or__(self, other: Any) -> Tensor: return binary.bitwise(self, other, operator.or_)
    def __xor__(self, other: Any) -> Tensor: return binary.bitwise(self, other, operator.xor)
    def __rand__(self, other: Any) -> Tensor: return binary.bitwise(other, self, operator.and_)
    def __ror__(self, other: Any) -> Tensor: return binary.bitwise(other, self, operator.or_)
    def __rxor__(self, other: Any) -> Tensor: return binary.bitwise(other, self, operator.xor)
    def __mod__(self, other: Any) -> Tensor: return binary.remainder(self, other)
    def __rmod__(self, other: Any) -> Tensor: return binary.remainder(other, self)
    def __floordiv__(self, other: Any) -> Tensor: return binary.floor_divide(self, other)
    def __rfloordiv__(self, other: Any) -> Tensor: return binary.floor_divide(other, self)

    def add(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return elementwise.add(self, other if alpha == 1 else other * alpha)

    def sub(self, other: Any, *, alpha: Any = 1) -> Tensor:
        return elementwise.sub(self, other if alpha == 1 else other * alpha)

    def mul(self, other: Any) -> Tensor: return elementwise.mul(self, other)
    def div(self, other: Any) -> Tensor: return elementwise.div(self, other)
    def pow(self, exponent: Any) -> Tensor: return elementwise.pow(self, exponent)
    def matmul(self, other: Any) -> Tensor: return matmul_ops.matmul(self, other)
    def neg(self) -> Tensor: return elementwise.Neg.apply(self)
    negative = neg
    multiply, divide, true_divide = mul, div, div

    def subtract(self, other: Any, *, alpha: Any = 1) -> Tensor: return self.sub(other, alpha=alpha)

    def addcmul(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return binary.addcmul(self, tensor1, tensor2, value=value)

    def addcdiv(self, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Tensor:
        return binary.addcdiv(self, tensor1, tensor2, value=value)

    # -- elementwise -----------------------------------------------------------------------------
    def exp(self) -> Tensor: return elementwise.Exp.apply(elementwise.floating(self))
    def log(self) -> Tensor: return elementwise.Log.apply(elementwise.floating(self))
    def sqrt(self) -> Tensor: return elementwise.Sqrt.apply(elementwise.floating(self))
    def abs(self) -> Tensor: return elementwise.Abs.apply(self)
    absolute = abs
    def relu(self) -> Tensor: return elementwise.Relu.apply(self)
    def sigmoid(self) -> Tensor: return elementwise.Sigmoid.apply(elementwise.floating(self))
    def tanh(self) -> Tensor: return elementwise.Tanh.apply(elementwise.floating(self))
    def square(self) -> Tensor: return elementwise.mul(self, self)
    def erf(self) -> Tensor: return unary.Erf.apply(elementwise.floating(self))
    def erfc(self) -> Tensor: return unary.Erfc.apply(elementwise.floating(self))
    def sin(self) -> Tensor: return unary.Sin.apply(elementwise.floating(self))
    def cos(self) -> Tensor: return unary.Cos.apply(elementwise.floating(self))
    def tan(self) -> Tensor: return unary.Tan.apply(elementwise.floating(self))
    def asin(self) -> Tensor: return unary.Asin.apply(elementwise.floating(self))
    def acos(self) -> Tensor: return unary.Acos.apply(elementwise.floating(self))
    def atan(self) -> Tensor: return unary.Atan.apply(elementwise.floating(self))
    def sinh(self) -> Tensor: return unary.Sinh.apply(elementwise.floating(self))
    def cosh(self) -> Tensor: return unary.Cosh.apply(elementwise.floating(self))
    def asinh(self) -> Tensor: return unary.Asinh.apply(elementwise.floating(self))
    def acosh(self) -> Tensor: return unary.Acosh.apply(elementwise.floating(self))
    def atanh(self) -> Tensor: return unary.Atanh.apply(elementwise.floating(self))
    arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh
    def exp2(self) -> Tensor: return unary.Exp2.apply(elementwise.floating(self))
    def expm1(self) -> Tensor: return unary.Expm1.apply(elementwise.floating(self))
    def log2(self) -> Tensor: return unary.Log2.apply(elementwise.floating(self))
    def log10(self) -> Tensor: return unary.Log10.apply(elementwise.floating(self))
    def log1p(self) -> Tensor: return unary.Log1p.apply(elementwise.floating(self))
    def rsqrt(self) -> Tensor: return unary.rsqrt(self)
    def reciprocal(self) -> Tensor: return unary.reciprocal(self)
    def sign(self) -> Tensor: return unary.sign(self)
    def floor(self) -> Tensor: return unary.rounded(self, np.floor)
    def ceil(self) -> Tensor: return unary.rounded(self, np.ceil)
    def trunc(self) -> Tensor: return unary.rounded(self, np.trunc)
    fix = trunc
    def round(self, decimals: int = 0) -> Tensor: return unary.round(self, decimals)
    def frac(self) -> Tensor: return unary.frac(self)
    def logit(self, eps: builtins.float | None = None) -> Tensor: return unary.logit(self, eps)

    def nan_to_num(self, nan: builtins.float = 0.0, posinf: builtins.float | None = None,
                   neginf: builtins.float | None = None) -> Tensor:
        return unary.nan_to_num(self, nan, posinf, neginf)

    def isnan(self) -> Tensor: return unary.isnan(self)
    def isinf(self) -> Tensor: return unary.isinf(self)
    def isfinite(self) -> Tensor: return unary.isfinite(self)
    def atan2(self, other: Any) -> Tensor: return binary.atan2(self, other)
    arctan2 = atan2
    def hypot(self, other: Any) -> Tensor: return binary.hypot(self, other)
    def fmod(self, other: Any) -> Tensor: return binary.fmod(self, other)
    def remainder(self, other: Any) -> Tensor: return binary.remainder(self, other)
    def floor_divide(self, other: Any) -> Tensor: return binary.floor_divide(self, other)
    def lerp(self, end: Any, weight: Any) -> Tensor: return binary.lerp(self, end, weight)
    def xlogy(self, other: Any) -> Tensor: return binary.xlogy(self, other)
    def logaddexp(self, other: Any) -> Tensor: return binary.logaddexp(self, other)
    def logical_and(self, other: Any) -> Tensor: return binary.logical_and(self, other)
    def logical_or(self, other: Any) -> Tensor: return binary.logical_or(self, other)
    def logical_xor(self, other: Any) -> Tensor: return binary.logical_xor(self, other)
    def logical_not(self) -> Tensor: return binary.logical_not(self)
    def bitwise_and(self, other: Any) -> Tensor: return binary.bitwise_and(self, other)
    def bitwise_or(self, other: Any) -> Tensor: return binary.bitwise_or(self, other)
    def bitwise_xor(self, other: Any) -> Tensor: return binary.bitwise_xor(self, other)
    def bitwise_not(self) -> Tensor: return binary.bitwise_not(self)

    def isclose(self, other: Any, rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                equal_nan: bool = False) -> Tensor:
        return binary.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: Any, rtol: builtins.float = 1e-05, atol: builtins.float = 1e-08,
                 equal_nan: bool = False) -> bool:
        return binary.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: Tensor) -> bool: return binary.equal(self, other)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return elementwise.clamp(self, min, max)

    clip = clamp

    def clamp_min(self, min: Any) -> Tensor: return elementwise.clamp(self, min, None)
    def clamp_max(self, max: Any) -> Tensor: return elementwise.clamp(self, None, max)
    def maximum(self, other: Any) -> Tensor: return elementwise.maximum(self, other)
    def minimum(self, other: Any) -> Tensor: return elementwise.minimum(self, other)
    def fmax(self, other: Any) -> Tensor: return elementwise.fmax(self, other)
    def fmin(self, other: Any) -> Tensor: return elementwise.fmin(self, other)

    # -- in place: each `op_` is `op` written into this tensor (autograd/inplace.py) --------------
    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        if inplace.recording(self, value):
            return inplace.write(self, "fill_", index_ops.filled, (value,), {}, casting="unsafe")
        inplace.store(self, "fill_", value, casting="unsafe")
        return self

    def copy_(self, src: Any) -> Tensor:
        if inplace.recording(self, src):
            return inplace.write(self, "copy_", index_ops.filled, (src,), {}, casting="unsafe")
        inplace.store(self, "copy_", src, casting="unsafe")
        return self

    def __setitem__(self, index: Any, value: Any) -> None:
        if inplace.recording(self, value):
            inplace.write(self, "__setitem__", index_ops.index_put, (index, value), {}, casting="unsafe")
        else:
            inplace.store(self, "__setitem__", value, steps=index_ops.index_steps(index), casting="unsafe")

    add_ = in_place(add)
    addcmul_ = in_place(addcmul)
    addcdiv_ = in_place(addcdiv)
    sub_ = in_place(sub)
    mul_ = in_place(mul)
    div_ = in_place(div)
    pow_ = in_place(pow)
    neg_ = in_place(neg)
    __iadd__, __isub__, __imul__, __itruediv__, __ipow__ = add_, sub_, mul_, div_, pow_
    exp_ = in_place(exp)
    log_ = in_place(log)
    sqrt_ = in_place(sqrt)
    abs_ = in_place(abs)
    relu_ = in_place(relu)
    sigmoid_ = in_place(sigmoid)
    tanh_ = in_place(tanh)
    square_ = in_place(square)
    clamp_ = in_place(clamp)
    clip_ = in_place(clamp, "clip_")
    erf_ = in_place(erf)
    erfc_ = in_place(erfc)
    sin_ = in_place(sin)
    cos_ = in_place(cos)
    tan_ = in_place(tan)
    asin_ = in_place(asin)
    acos_ = in_place(acos)
    atan_ = in_place(atan)
    sinh_ = in_place(sinh)
    cosh_ = in_place(cosh)
    asinh_ = in_place(asinh)
    acosh_ = in_place(acosh)
    atanh_ = in_place(atanh)
    exp2_ = in_place(exp2)
    expm1_ = in_place(expm1)
    log2_ = in_place(log2)
    log10_ = in_place(log10)
    log1p_ = in_place(log1p)
    rsqrt_ = in_place(rsqrt)
    reciprocal_ = in_place(reciprocal)
    sign_ = in_place(sign)
    floor_ = in_place(floor)
    ceil_ = in_place(ceil)
    trunc_ = in_place(trunc)
    round_ = in_place(round)
    frac_ = in_place(frac)
    logit_ = in_place(logit)
    nan_to_num_ = in_place(nan_to_num)
    atan2_ = in_place(atan2)
    hypot_ = in_place(hypot)
    fmod_ = in_place(fmod)
    remainder_ = in_place(remainder)
    floor_divide_ = in_place(floor_divide)
    lerp_ = in_place(lerp)
    xlogy_ = in_place(xlogy)
    logical_and_ = in_place(logical_and)
    logical_or_ = in_place(logical_or)
    logical_xor_ = in_place(logical_xor)
    logical_not_ = in_place(logical_not)
    bitwise_and_ = in_place(bitwise_and)
    bitwise_or_ = in_place(bitwise_or)
    bitwise_xor_ = in_place(bitwise_xor)
    bitwise_not_ = in_place(bitwise_not)
    clamp_min_ = in_place(clamp_min)
    clamp_max_ = in_place(clamp_max)
    __imod__, __ifloordiv__ = remainder_, floor_divide_
    __iand__, __ior__, __ixor__ = bitwise_and_, bitwise_or_, bitwise_xor_
    masked_fill_ = in_place(_masked_fill, "masked_fill_")
    index_add_ = in_place(_index_add, "index_add_")
    scatter_ = in_place(_scatter, "scatter_")
    scatter_add_ = in_place(_scatter_add, "scatter_add_")
    scatter_reduce_ = in_place(_scatter_reduce, "scatter_reduce_")
    index_fill_ = in_place(_index_fill, "index_fill_")
    fill_diagonal_ = in_place(_fill_diagonal, "fill_diagonal_")

    # -- reductions and scans (dim may be an int or a tuple; torch's axis=/keepdims= aliases work) --
    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
            keepdims: bool | None = None) -> Tensor:
        return reduce.sum(self, dim, keepdim, dtype, axis, keepdims)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None, axis: Any = None,
             keepdims: bool | None = None) -> Tensor:
        return reduce.mean(self, dim, keepdim, dtype, axis, keepdims)

    def prod(self, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None, **aliases: Any) -> Tensor:
        return reduce.prod(self, dim, keepdim, dtype=dtype, **aliases)

    def var(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: Any = None,
            **aliases: Any) -> Tensor:
        return reduce.var(self, dim, unbiased, keepdim, correction=correction, **aliases)

    def std(self, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *, correction: Any = None,
            **aliases: Any) -> Tensor:
        return reduce.std(self, dim, unbiased, keepdim, correction=correction, **aliases)

    def amax(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.amax(self, dim, keepdim, **aliases)

    def amin(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.amin(self, dim, keepdim, **aliases)

    def max(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return reduce.max(self, dim, keepdim, **aliases)

    def min(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
        return reduce.min(self, dim, keepdim, **aliases)

    def argmax(self, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.argmax(self, dim, keepdim, **aliases)

    def argmin(self, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.argmin(self, dim, keepdim, **aliases)

    def all(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.all(self, dim, keepdim, **aliases)

    def any(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.any(self, dim, keepdim, **aliases)

    def count_nonzero(self, dim: Any = None, *, axis: Any = None) -> Tensor:
        return reduce.count_nonzero(self, dim if axis is None else dims.dim_or_axis("count_nonzero", dim, axis))

    def nansum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return reduce.nansum(self, dim, keepdim, dtype=dtype)

    def nanmean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
        return reduce.nanmean(self, dim, keepdim, dtype=dtype)

    def aminmax(self, *, dim: int | None = None, keepdim: bool = False) -> Any:
        return reduce.aminmax(self, dim=dim, keepdim=keepdim)

    def logsumexp(self, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
        return reduce.logsumexp(self, dim, keepdim, **aliases)

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
        return linalg.tensor_norm(self, p, dim, keepdim, dtype)

    # dim-taking ops below also accept torch's alias axis=
    def cumsum(self, dim: int | None = None, *, dtype: Any = None, axis: int | None = None) -> Tensor:
        return scan.cumsum(self, dims.dim_or_axis("cumsum", dim, axis), dtype=dtype)

    def cumprod(self, dim: int | None = None, *, dtype: Any = None, axis: int | None = None) -> Tensor:
        return scan.cumprod(self, dims.dim_or_axis("cumprod", dim, axis), dtype=dtype)

    def cummax(self, dim: int | None = None, *, axis: int | None = None) -> Any:
        return scan.cummax(self, dims.dim_or_axis("cummax", dim, axis))

    def cummin(self, dim: int | None = None, *, axis: int | None = None) -> Any:
        return scan.cummin(self, dims.dim_or_axis("cummin", dim, axis))

    def sort(self, dim: int | None = None, descending: bool = False, stable: bool = False, *,
             axis: int | None = None) -> Any:  # dim -1 by default
        return sorting.sort(self, dims.dim_or_axis("sort", dim, axis, -1), descending, stable)

    def argsort(self, dim: int | None = None, descending: bool = False, stable: bool = False, *,
                axis: int | None = None) -> Tensor:  # dim -1 by default
        return sorting.argsort(self, dims.dim_or_axis("argsort", dim, axis, -1), descending, stable)

    def topk(self, k: int, dim: int | None = None, largest: bool = True, sorted: bool = True, *,
             axis: int | None = None) -> Any:  # dim -1 by default
        return sorting.topk(self, k, dims.dim_or_axis("topk", dim, axis, -1), largest, sorted)

    def median(self, dim: int | None = None, keepdim: bool = False, **aliases: Any) -> Any:
        return sorting.median(self, *dims.torch_aliases("median", dim, keepdim, aliases))

    def kthvalue(self, k: int, dim: int = -1, keepdim: bool = False) -> Any:
        return sorting.kthvalue(self, k, dim, keepdim)

    def quantile(self, q: Any, dim: int | None = None, keepdim: bool = False, *,
                 interpolation: str = "linear") -> Tensor:
        return sorting.quantile(self, q, dim, keepdim, interpolation=interpolation)

    def diff(self, n: int = 1, dim: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
        return scan.diff(self, n, dim, prepend, append)

    def unique(self, sorted: bool = True, return_inverse: bool = False, return_counts: bool = False,
               dim: int | None = None) -> Any:
        return sorting.unique(self, sorted, return_inverse, return_counts, dim)

    def bincount(self, weights: Any = None, minlength: int = 0) -> Tensor:
        return sorting.bincount(self, weights, minlength)

    def histc(self, bins: int = 100, min: builtins.float = 0, max: builtins.float = 0) -> Tensor:
        return sorting.histc(self, bins, min, max)

    def histogram(self, bins: Any = 100, *, range: Any = None, weight: Tensor | None = None,
                  density: builtins.bool = False) -> Any:
        return sorting.histogram(self, bins, range, weight, density)

    def softmax(self, dim: int | None = None, dtype: Any = None, *, axis: int | None = None) -> Tensor:
        return reduce.softmax(self, dims.dim_or_axis("softmax", dim, axis, -1), dtype)  # dim -1 by default

    def log_softmax(self, dim: int | None = None, dtype: Any = None, *, axis: int | None = None) -> Tensor:
        return reduce.log_softmax(self, dims.dim_or_axis("log_softmax", dim, axis, -1), dtype)

    # -- shape -----------------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> Tensor: return movement.reshape(self, *shape)
    def view(self, *shape: Any, dtype: Any = None) -> Tensor:
        if dtype is None and not (len(shape) == 1 and isinstance(shape[0], np.dtype)):  # view(*shape): reshape
            return movement.reshape(self, *shape)
        return movement.view(self, *shape, dtype=dtype)

    def permute(self, *args: Any, dims: Any = None) -> Tensor:
        return movement.permute(self, *(args if dims is None else (dims,)))

    def transpose(self, dim0: int, dim1: int) -> Tensor: return movement.transpose(self, dim0, dim1)
    def expand(self, *sizes: Any) -> Tensor: return movement.expand(self, *sizes)
    def expand_as(self, other: Tensor) -> Tensor: return movement.expand(self, other.shape)
    def broadcast_to(self, size: Any) -> Tensor: return movement.expand(self, size)
    def unsqueeze(self, dim: int) -> Tensor: return movement.unsqueeze(self, dim)
    def squeeze(self, dim: Any = None) -> Tensor: return movement.squeeze(self, dim)
    def contiguous(self, memory_format: Any = None) -> Tensor: return self  # numpy ops take any layout

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return movement.flatten(self, start_dim, end_dim)

    # -- shape, indexing and joining (view is reshape: numpy storage never needs a contiguous copy) --
    def view_as(self, other: Tensor) -> Tensor: return movement.view_as(self, other)
    def reshape_as(self, other: Tensor) -> Tensor: return movement.view_as(self, other)
    def repeat(self, *sizes: Any) -> Tensor: return movement.repeat(self, *sizes)
    def tile(self, *dims: Any) -> Tensor: return movement.tile(self, *dims)
    def unflatten(self, dim: int, sizes: Any) -> Tensor: return movement.unflatten(self, dim, sizes)
    def swapaxes(self, axis0: int, axis1: int) -> Tensor: return movement.transpose(self, axis0, axis1)
    def swapdims(self, dim0: int, dim1: int) -> Tensor: return movement.transpose(self, dim0, dim1)
    def t(self) -> Tensor: return movement.t(self)
    def movedim(self, source: Any, destination: Any) -> Tensor: return movement.movedim(self, source, destination)
    def moveaxis(self, source: Any, destination: Any) -> Tensor: return movement.movedim(self, source, destination)
    def narrow(self, dim: int, start: Any, length: int) -> Tensor: return movement.narrow(self, dim, start, length)
    def select(self, dim: int, index: int) -> Tensor: return movement.select(self, dim, index)
    def ravel(self) -> Tensor: return movement.reshape(self, -1)
    def split(self, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]: return movement.split(self, split_size, dim)
    def chunk(self, chunks: int, dim: int = 0) -> tuple[Tensor, ...]: return movement.chunk(self, chunks, dim)
    def unbind(self, dim: int = 0) -> tuple[Tensor, ...]: return movement.unbind(self, dim)
    def fliplr(self) -> Tensor: return movement.fliplr(self)
    def flipud(self) -> Tensor: return movement.flipud(self)
    def roll(self, shifts: Any, dims: Any = None) -> Tensor: return movement.roll(self, shifts, dims)

    def flip(self, *args: Any, dims: Any = None) -> Tensor:
        return movement.flip(self, *(args if dims is None else (dims,)))

    def tensor_split(self, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
        return movement.tensor_split(self, indices_or_sections, dim)

    def hsplit(self, sections: Any) -> tuple[Tensor, ...]: return movement.hsplit(self, sections)
    def vsplit(self, sections: Any) -> tuple[Tensor, ...]: return movement.vsplit(self, sections)

    def unfold(self, dimension: int, size: int, step: int) -> Tensor:
        return movement.unfold(self, dimension, size, step)

    def repeat_interleave(self, repeats: Any = None, dim: int | None = None, *,
                          output_size: int | None = None) -> Tensor:
        return movement.repeat_interleave(self, repeats, dim, output_size)

    def gather(self, dim: int, index: Any) -> Tensor: return index_ops.gather(self, dim, index)
    def scatter_add(self, dim: int, index: Any, src: Any) -> Tensor: return index_ops.scatter_add(self, dim, index, src)
    def index_select(self, dim: int, index: Any) -> Tensor: return index_ops.index_select(self, dim, index)
    def masked_fill(self, mask: Any, value: Any) -> Tensor: return index_ops.masked_fill(self, mask, value)
    def masked_select(self, mask: Any) -> Tensor: return index_ops.masked_select(self, mask)
    def take(self, index: Any) -> Tensor: return index_ops.take(self, index)
    def nonzero(self, *, as_tuple: bool = False) -> Any: return index_ops.nonzero(self, as_tuple)
    def argwhere(self) -> Tensor: return index_ops.argwhere(self)
    def where(self, condition: Any, y: Any) -> Tensor: return index_ops.where(condition, self, y)

    def scatter(self, dim: int, index: Any, src: Any = None, value: Any = None, *, reduce: str | None = None) -> Tensor:
        return index_ops.scatter(self, dim, index, src, value, reduce)

    def scatter_reduce(self, dim: int, index: Any, src: Tensor, reduce: str, *, include_self: bool = True) -> Tensor:
        return index_ops.scatter_reduce(self, dim, index, src, reduce, include_self=include_self)

    def index_fill(self, dim: int, index: Any, value: Any) -> Tensor:
        return index_ops.index_fill(self, dim, index, value)

    def index_add(self, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Tensor:
        return index_ops.index_add(self, dim, index, source, alpha)

    def take_along_dim(self, indices: Any, dim: int | None = None) -> Tensor:
        return index_ops.take_along_dim(self, indices, dim)

    def tril(self, diagonal: int = 0) -> Tensor: return structured.tril(self, diagonal)
    def triu(self, diagonal: int = 0) -> Tensor: return structured.triu(self, diagonal)
    def diag(self, diagonal: int = 0) -> Tensor: return structured.diag(self, diagonal)

    def diag_embed(self, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
        return structured.diag_embed(self, offset, dim1, dim2)

    def __getitem__(self, index: Any) -> Tensor:
        part = index_ops.getitem(self, index)
        if type(part.array) is np.ndarray and part.array.base is not None:  # maybe a view (inplace.py checks)
            part.view_of = (self, index)  # a recorded write into the part is a write into `self`
        return part

    # -- matrix products and linear algebra --------------------------------------------------------
    def mm(self, mat2: Any) -> Tensor: return matmul_ops.mm(self, mat2)
    def bmm(self, mat2: Any) -> Tensor: return matmul_ops.bmm(self, mat2)
    def mv(self, vec: Any) -> Tensor: return matmul_ops.mv(self, vec)
    def dot(self, other: Any) -> Tensor: return matmul_ops.dot(self, other)
    def vdot(self, other: Any) -> Tensor: return matmul_ops.dot(self, other)
    def outer(self, vec2: Any) -> Tensor: return matmul_ops.outer(self, vec2)
    def ger(self, vec2: Any) -> Tensor: return matmul_ops.outer(self, vec2)
    def trace(self) -> Tensor: return matmul_ops.trace(self)
    def inverse(self) -> Tensor: return linalg_ops.linalg_inv(self)
    def det(self) -> Tensor: return linalg_ops.linalg_det(self)
    def slogdet(self) -> Any: return linalg_ops.linalg_slogdet(self)

    def diagonal(self, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
        return matmul_ops.diagonal(self, offset, dim1, dim2)

    def addmm(self, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return matmul_ops.addmm(self, mat1, mat2, beta=beta, alpha=alpha)

    def addmv(self, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return matmul_ops.addmv(self, mat, vec, beta=beta, alpha=alpha)

    def addbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return matmul_ops.addbmm(self, batch1, batch2, beta=beta, alpha=alpha)

    def baddbmm(self, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
        return matmul_ops.baddbmm(self, batch1, batch2, beta=beta, alpha=alpha)


class Size(tuple):
    """torch.Size: a tuple of dimension sizes. `Tensor.shape` is a plain tuple here, which compares equal."""

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))

    def __repr__(self) -> str:
        return f"tinygrad_ed.Size({list(self)})"


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


def _legacy_array(data: tuple, dtype: Any) -> np.ndarray:
    if all(isinstance(size, int) and not isinstance(size, bool) for size in data):  # Tensor(2, 3); Tensor()
        if any(size < 0 for size in data):
            raise RuntimeError(f"Tensor: negative dimension in size {list(data)}")
        return np.zeros(data if data else (0,), dtypes.to_dtype(dtype))
    if len(data) != 1:
        raise TypeError(f"Tensor: expected one data argument (a sequence, array or Tensor) or integer sizes, got "
                        f"{len(data)} arguments of types {[type(d).__name__ for d in data]}")
    return as_array(data[0], dtype, "Tensor")


def _holds_numpy_float64(data: Any) -> bool:
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, np.ndarray) and data.dtype == np.float64 or isinstance(data, np.float64)


from .autograd import engine, hooks, inplace, versions  # noqa: E402  (the engine and the ops need Tensor defined first)
from .ops import binary, dims, elementwise, reduce, movement, scan, sorting, unary  # noqa: E402
from .ops import index as index_ops, matmul as matmul_ops, linalg as linalg_ops  # noqa: E402
from . import creation, linalg, sampling, structured  # noqa: E402
