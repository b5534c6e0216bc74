"""Matrix products: `Matmul` (N-D, batched, broadcast) and the fused `Linear` (x @ W.T + b)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import Function, ShapeError
from ..checks import check_same_dtype, check_tensor
from ..tensor import Tensor
from . import backward_math as bm


class Matmul(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return bm.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        # batch dims come back broadcast; the engine sums them to each operand's shape
        return (bm.matmul(g, bm.swap_last(b)) if need_a else None,
                bm.matmul(bm.swap_last(a), g) if need_b else None)


class Linear(Function):
    __slots__ = ()

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
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
                bm.sum(g, 0) if need_b else None)


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


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight.T + bias, fused into one node for 2-D inputs; all three share one dtype, as in torch."""
    check_tensor(input, "linear", "input", 1)
    check_tensor(weight, "linear", "weight", 2)
    check_same_dtype("linear", input, weight)
    if bias is not None:
        check_tensor(bias, "linear", "bias", 3)
        check_same_dtype("linear", bias, weight, "bias and weight")
    if input.array.ndim != 2 or weight.array.ndim != 2:
        out = matmul(input, weight.T)
        return out if bias is None else out + bias
    if bias is not None and bias.array.shape != weight.array.shape[:1]:
        raise ShapeError(f"linear: bias of shape {bias.shape} does not fit weight of shape {weight.shape}")
    return Linear.apply(input, weight, bias)  # a mismatch of input and weight raises in np.dot, naming both shapes
