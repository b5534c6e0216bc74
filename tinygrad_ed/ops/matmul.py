"""Matrix products: `Matmul` (N-D, batched, broadcast) and the fused `Linear` (x @ W.T + b) are primitives;
mm, bmm, mv, dot, outer, addmm..., diagonal and trace are composed."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.engine import Primitive
from ..checks import check_same_dtype, check_tensor
from ..errors import ShapeError
from ..tensor import Tensor
from . import backward_math as bm
from .dims import normalize_dim
from .elementwise import promote_to_tensors
from .index import GetItem


class Matmul(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        need_a, need_b = ctx.needs_input_grad
        ctx.save_for_backward(a if need_b else None, b if need_a else None)
        return bm.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # batch dims come back broadcast; the engine sums them to each operand's shape
        return (bm.matmul(g, bm.swap_last(b)) if need_a else None,
                bm.matmul(bm.swap_last(a), g) if need_b else None)


class Linear(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, weight, bias):
        need_x, need_w, _ = ctx.needs_input_grad
        ctx.save_for_backward(x if need_w else None, weight if need_x else None)
        if x.shape[0] < 64:  # for a few rows, (W x^T)^T is up to 2x faster than x W^T (OpenBLAS, measured)
            out = np.ascontiguousarray(np.dot(weight, x.T).T)  # C order, or later elementwise ops slow down
        else:
            out = np.dot(x, weight.T)
        if bias is not None:
            out += bias  # out is fresh: add in place, saving an allocation
        return out

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        return (bm.matmul(g, weight) if need_x else None,
                bm.matmul(bm.swap_last(g), x) if need_w else None,
                bm.column_sums(g) if need_b else None)


def matmul(input: Any, other: Any) -> Tensor:
    """Matrix product with torch.matmul's rules for 1-D, 2-D and batched operands; like torch, both
    operands must be Tensors of one dtype (no promotion)."""
    check_tensor(input, "matmul", "input", 1)
    check_tensor(other, "matmul", "other", 2)
    check_same_dtype("matmul", input, other)
    a, b = input, other
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: both arguments need at least 1 dimension, got shapes {a.shape} @ {b.shape}")
    inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if a.shape[-1] != inner_b:
        raise ShapeError(f"matmul: shapes {a.shape} @ {b.shape} cannot be multiplied "
                         f"(inner dimensions {a.shape[-1]} and {inner_b} differ)")
    if a.ndim == 1 and b.ndim == 1:
        return (a * b).sum()
    if a.ndim == 1:
        return Matmul.apply(a.reshape(1, -1), b).squeeze(-2)
    if b.ndim == 1:
        return Matmul.apply(a, b.reshape(-1, 1)).squeeze(-1)
    return Matmul.apply(a, b)


def _check_linear_arguments(input: Any, weight: Any, bias: Any) -> None:
    check_tensor(input, "linear", "input", 1)
    check_tensor(weight, "linear", "weight", 2)
    check_same_dtype("linear", input, weight)
    if bias is not None:
        check_tensor(bias, "linear", "bias", 3)
        check_same_dtype("linear", bias, weight, "bias and weight")


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, fused into one node for 2-D inputs; all three share one dtype, as in torch."""
    # the checks inline for the common case (one call per layer counts at small batches); any doubt goes to
    # _check_linear_arguments, which raises torch's error where there is one
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor) and input.array.dtype is weight.array.dtype
            and (bias is None or isinstance(bias, Tensor) and bias.array.dtype is weight.array.dtype)):
        _check_linear_arguments(input, weight, bias)
    if input.array.ndim != 2 or weight.array.ndim != 2:
        out = matmul(input, weight.T)
        return out if bias is None else out + bias
    if bias is not None and bias.array.shape != weight.array.shape[:1]:
        raise ShapeError(f"linear: bias of shape {bias.shape} does not fit weight of shape {weight.shape}")
    return Linear.apply(input, weight, bias)  # a mismatch of input and weight raises in np.dot, naming both shapes


# ---------------------------------------------------------------------------------------------
# torch's other matrix products, composed from matmul


def _check_ndim(op: str, **tensors: tuple[Tensor, int]) -> None:
    """Each named operand must have the given number of dimensions, e.g. _check_ndim("mm", input=(a, 2))."""
    for name, (t, ndim) in tensors.items():
        if t.ndim != ndim:
            raise RuntimeError(f"{op}: {name} must be a {ndim}-d tensor, got shape {t.shape}")


def mm(a: Tensor, b: Any) -> Tensor:
    """The product of two matrices (no broadcasting)."""
    a, b = promote_to_tensors(a, b)
    _check_ndim("mm", self=(a, 2), mat2=(b, 2))
    return matmul(a, b)


def bmm(a: Tensor, b: Any) -> Tensor:
    """Batched matrix product of (b, n, m) and (b, m, p) tensors (no broadcasting)."""
    a, b = promote_to_tensors(a, b)
    _check_ndim("bmm", self=(a, 3), mat2=(b, 3))
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: batch sizes differ: {a.shape} and {b.shape}")
    return matmul(a, b)


def mv(a: Tensor, v: Any) -> Tensor:
    """Matrix times vector."""
    a, v = promote_to_tensors(a, v)
    _check_ndim("mv", self=(a, 2), vec=(v, 1))
    return matmul(a, v)


def dot(a: Tensor, b: Any) -> Tensor:
    """The inner product of two 1-d tensors (vdot is the same for real tensors)."""
    a, b = promote_to_tensors(a, b)
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"dot: 1D tensors expected, but got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise RuntimeError(f"dot: inconsistent tensor size, expected tensors of the same size, got {a.shape} and "
                           f"{b.shape}")
    return matmul(a, b)


def outer(a: Tensor, b: Any) -> Tensor:
    """The outer product a_i b_j of two 1-d tensors."""
    a, b = promote_to_tensors(a, b)
    _check_ndim("outer", self=(a, 1), vec2=(b, 1))
    return a.reshape(-1, 1) * b


def _scaled_sum(input: Tensor, product: Tensor, beta: Any, alpha: Any) -> Tensor:
    """beta * input + alpha * product; with beta == 0 the input is ignored (its nan and inf too), as in torch."""
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product.expand(np.broadcast_shapes(input.shape, product.shape))
    return (input if beta == 1 else input * beta) + product


def addmm(input: Tensor, mat1: Any, mat2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input: Tensor, mat: Any, vec: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input: Tensor, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2)."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Any, batch2: Any, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (sum over the batch of batch1[i] @ batch2[i])."""
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


def diagonal(x: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of the (dim1, dim2) planes as the last dimension; offset > 0 is above the main one."""
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expects a tensor of at least 2 dimensions, got shape {x.shape}")
    a, b = normalize_dim(dim1, x.ndim, "diagonal"), normalize_dim(dim2, x.ndim, "diagonal")
    if a == b:
        raise RuntimeError(f"diagonal: dimensions dim1 and dim2 cannot be identical, got {dim1} and {dim2}")
    moved = x.permute(*[d for d in range(x.ndim) if d not in (a, b)], a, b)
    rows, cols = moved.shape[-2:]
    length = max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))
    start_row, start_col = max(-offset, 0), max(offset, 0)
    start = moved[..., start_row:, start_col:] if length else moved
    return GetItem.apply(start, index=(Ellipsis, np.arange(length), np.arange(length)), advanced=True,
                         strided=(moved.shape[:-2] + (length,), lambda s: s[:-2] + (s[-2] + s[-1],)))


def trace(x: Tensor) -> Tensor:
    """The sum of a matrix's main diagonal."""
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {x.shape}")
    return diagonal(x).sum()
