"""`te.linalg`, torch.linalg's names: vector and matrix norms (composed from the primitives), and
inv, det, slogdet, solve, cross, matmul (their primitives are in ops/linalg.py).

A zero vector's 2-norm has gradient 0 (not 0/0), as in torch: the root and the powers of
|x| are taken of a stand-in 1 where their argument is 0, and the `where` keeps that stand-in's
gradient out.
"""
from __future__ import annotations

import math
from typing import Any

from .tensor import Tensor
from .ops.dims import normalize_dim, normalize_dims
from .ops.elementwise import where
from .ops.linalg import LinAlgError
from .ops.linalg import linalg_cross as cross
from .ops.linalg import linalg_det as det
from .ops.linalg import linalg_inv as inv
from .ops.linalg import linalg_slogdet as slogdet
from .ops.linalg import linalg_solve as solve
from .ops.linalg import linalg_svdvals as svdvals
from .ops.matmul import matmul
from .ops.reduce import root

__all__ = ["LinAlgError", "cdist", "cross", "det", "inv", "matmul", "matrix_norm", "norm", "slogdet", "solve",
           "svdvals", "vector_norm"]


def vector_norm(x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """(sum |x|^ord)^(1/ord) over `dim` (all elements when None); ord may be inf, -inf or 0."""
    x = _floating_input(x, dtype, "linalg.vector_norm")
    axes = normalize_dims(dim, x.ndim, "linalg.vector_norm")
    if isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    if ord == math.inf:
        return x.abs().amax(axes, keepdim)
    if ord == -math.inf:
        return x.abs().amin(axes, keepdim)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(axes, keepdim)  # a count: no gradient
    if ord == 1:
        return x.abs().sum(axes, keepdim)
    if ord == 2:
        return root((x * x).sum(axes, keepdim), 2)
    size = x.abs()
    zero = size == 0
    return root(where(zero, 0.0, where(zero, 1.0, size) ** ord).sum(axes, keepdim), ord)


def matrix_norm(a: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None) -> Tensor:
    """Frobenius ('fro'), the largest/smallest absolute column (ord 1/-1) or row (inf/-inf) sum, or from the
    singular values: their sum ('nuc'), the largest (2) or the smallest (-2), over the two dims `dim`."""
    a = _floating_input(a, dtype, "linalg.matrix_norm")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple of ints, got {dim!r}")
    rows, cols = (normalize_dim(d, a.ndim, "linalg.matrix_norm") for d in dim)
    if a.ndim < 2 or rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: needs two different dims of a tensor of at least 2 dims, "
                           f"got dim={dim!r} for shape {a.shape}")
    if ord == "fro":
        return vector_norm(a, 2, (rows, cols), keepdim)
    if ord in ("nuc", 2, -2):
        return _singular_value_norm(a, ord, rows, cols, keepdim)
    if ord not in (1, -1, math.inf, -math.inf):
        raise RuntimeError(f"linalg.matrix_norm: order {ord!r} is not supported (use 'fro', 'nuc', 1, -1, 2, -2, "
                           "inf or -inf)")
    summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)  # 1: columns' sums; inf: rows' sums
    sums = a.abs().sum(summed, keepdim=True)
    out = sums.amax(other, keepdim=True) if ord > 0 else sums.amin(other, keepdim=True)
    return out if keepdim else out.squeeze(max(rows, cols)).squeeze(min(rows, cols))


def _singular_value_norm(a: Tensor, ord: Any, rows: int, cols: int, keepdim: bool) -> Tensor:
    rest = [d for d in range(a.ndim) if d not in (rows, cols)]
    values = svdvals(a.permute(*rest, rows, cols))
    if values.shape[-1] == 0:
        out = values.sum(-1)  # an empty matrix: every norm is 0
    else:
        out = values.sum(-1) if ord == "nuc" else values.amax(-1) if ord == 2 else values.amin(-1)
    return out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols)) if keepdim else out


def norm(a: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """torch.linalg.norm: a vector norm over one dim (or the flattened tensor when ord and dim are
    None), a matrix norm over two dims (or of a 2-D tensor when only ord is given)."""
    if dim is None and ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if isinstance(dim, (tuple, list)) and len(dim) == 2 or dim is None and a.ndim == 2:
        return matrix_norm(a, "fro" if ord is None else ord, (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if dim is None and a.ndim != 1:
        raise RuntimeError(f"linalg.norm: with ord={ord!r} and no dim the input must be 1-D or 2-D, got shape "
                           f"{a.shape}")
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def tensor_norm(x: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:
    """Tensor.norm / torch.norm: 'fro' (the default) is the 2-norm over `dim` or all elements, a number p
    the vector p-norm, 'nuc' the nuclear norm of a matrix."""
    if p is None or p == "fro":
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    if p == "nuc":
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(x, p, dim, keepdim, dtype=dtype)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R).
    Composed from vector_norm of the broadcast differences, so a zero distance has gradient 0, as in torch."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: x1 {x1.shape} and x2 {x2.shape} must be at least 2-D with the same last "
                           "dimension")
    if p < 0:
        raise RuntimeError(f"cdist: only supports non-negative p values, got {p}")
    return vector_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p, -1)


def _floating_input(x: Tensor, dtype: Any, op: str) -> Tensor:
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point tensor as input, got {x.array.dtype}")
    return x
