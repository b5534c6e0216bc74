"""Linear algebra primitives: `Inv`, `Det`, `LogAbsDet` and `Solve`, with closed-form backward rules
written with operators and the `inv`/`solve` dispatchers below, so they are twice differentiable;
`SingularValues`, once differentiable."""
from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..autograd.engine import Primitive
from ..tensor import Tensor
from . import backward_math as bm
from .elementwise import floating, promote_to_tensors
from .movement import stack


class LinAlgError(RuntimeError):
    """A matrix that the op cannot handle (singular, not square), as torch.linalg.LinAlgError."""


class Inv(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        out = _numpy_linalg(np.linalg.inv, "inv", a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        out_t = bm.swap_last(out)
        return -bm.matmul(bm.matmul(out_t, g), out_t)  # d(A^-1) = -A^-1 dA A^-1


class Det(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        out = np.linalg.det(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        scale = g * out  # d det A / dA = det A * A^-T (Jacobi's formula; A must be invertible)
        return scale.reshape(scale.shape + (1, 1)) * bm.swap_last(inv(a))


class LogAbsDet(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.linalg.slogdet(a)[1]

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g.reshape(g.shape + (1, 1)) * bm.swap_last(inv(a))  # d log|det A| / dA = A^-T


class Solve(Primitive):
    __slots__ = ()

    @staticmethod
    def forward(ctx, a, b):
        out = _numpy_linalg(np.linalg.solve, "solve", a, b)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        grad_b = solve(bm.swap_last(a), g)  # X = A^-1 B: dB = A^-T g, dA = -dB X^T
        return -bm.matmul(grad_b, bm.swap_last(out)) if need_a else None, grad_b if need_b else None


class SingularValues(Primitive):
    """The singular values, largest first. Once differentiable: the rule needs the singular vectors, saved
    from the forward, so create_graph=True raises (their own derivative is not implemented)."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, a):
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved_tensors
        return bm.matmul(u * g[..., None, :], vh)  # d s_i = u_i^T dA v_i (distinct singular values)


def _numpy_linalg(fn: Any, op: str, *arrays: np.ndarray) -> np.ndarray:
    try:
        return fn(*arrays)
    except np.linalg.LinAlgError as error:
        raise LinAlgError(f"linalg.{op}: {error} (the matrix is not invertible)") from None


def inv(a: Any) -> Any:
    """The inverse, on an array or (recorded) a Tensor: what backward rules call."""
    return Inv.apply(a) if isinstance(a, Tensor) else _numpy_linalg(np.linalg.inv, "inv", a)


def solve(a: Any, b: Any) -> Any:
    """A^-1 b for a batch of matrices b, on arrays or (recorded) Tensors."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return Solve.apply(a, b)
    return _numpy_linalg(np.linalg.solve, "solve", a, b)


# ---------------------------------------------------------------------------------------------
# The public functions (te.linalg.*, te.inverse, te.det, t.inverse(), ...)


def _square(a: Tensor, op: str) -> Tensor:
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be batches of square matrices, got shape {a.shape}")
    return floating(a)


def linalg_inv(a: Tensor) -> Tensor:
    """The inverse of a square matrix (or of each in a batch)."""
    return Inv.apply(_square(a, "inv"))


def linalg_det(a: Tensor) -> Tensor:
    """The determinant of a square matrix (or of each in a batch); its gradient needs A invertible."""
    return Det.apply(_square(a, "det"))


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


def linalg_slogdet(a: Tensor) -> SlogdetResult:
    """(sign, log|det|) of a square matrix: stable where det under- or overflows."""
    a = _square(a, "slogdet")
    sign = np.linalg.slogdet(a.array)[0]
    return SlogdetResult(Tensor._make(np.asarray(sign, a.dtype)), LogAbsDet.apply(a))


def linalg_solve(a: Tensor, b: Any, *, left: bool = True) -> Tensor:
    """X with A X = B; B is a batch of vectors when it has shape A.shape[:-1] (or is 1-d)."""
    a, b = promote_to_tensors(_square(a, "solve"), b)
    if not left:
        return linalg_solve(a.mT, b.mT).mT  # X A = B  <=>  A^T X^T = B^T
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    if (b.shape[-1] if vector else b.shape[-2] if b.ndim > 1 else -1) != a.shape[-1]:
        raise RuntimeError(f"linalg.solve: incompatible shapes of A {a.shape} and B {b.shape}")
    if vector:
        return Solve.apply(a, b.unsqueeze(-1)).squeeze(-1)
    return Solve.apply(a, b)


def linalg_svdvals(a: Tensor) -> Tensor:
    """The singular values of a matrix (or of each in a batch), in descending order."""
    if a.ndim < 2:
        raise RuntimeError(f"linalg.svdvals: A must have at least 2 dimensions, got shape {a.shape}")
    return SingularValues.apply(floating(a))


def linalg_cross(a: Tensor, b: Any, dim: int = -1) -> Tensor:
    """The cross product of 3-vectors along `dim` (broadcasting the other dimensions)."""
    a, b = promote_to_tensors(a, b)
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs must have size 3 along dim {dim}, got {a.shape} and {b.shape}")
    a0, a1, a2 = a.unbind(dim)
    b0, b1, b2 = b.unbind(dim)
    return stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], dim)
