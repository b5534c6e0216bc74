"""Gradient clipping, as torch.nn.utils: scale all gradients together so their norm is at most max_norm,
or clamp each gradient element to [-clip_value, clip_value]. Both write into the gradients in place."""
from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from ...tensor import Tensor


def gradients(parameters: Tensor | Iterable[Tensor]) -> list[np.ndarray]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad.array for p in params if p.grad is not None]


def vector_norm(array: np.ndarray, norm_type: float) -> np.ndarray:
    magnitudes = np.abs(array)
    if norm_type == math.inf:
        return magnitudes.max(initial=0)
    if norm_type == -math.inf:
        return magnitudes.min()
    if norm_type == 0:
        return np.count_nonzero(array).astype(array.dtype)
    if norm_type == 2:
        return np.sqrt(np.vdot(array, array))
    return np.sum(magnitudes ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)); returns the total norm (a 0-d Tensor),
    the `norm_type` norm of all gradients taken as one vector."""
    norm_type, grads = float(norm_type), gradients(parameters)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    norms = np.array([vector_norm(g.reshape(-1), norm_type) for g in grads], dtype=grads[0].dtype)
    total = np.asarray(vector_norm(norms, norm_type), dtype=grads[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                           "so it cannot be clipped. To disable this error and scale the gradients by the "
                           "non-finite norm anyway, set `error_if_nonfinite=False`")
    scale = min(float(max_norm / (total + 1e-6)), 1.0) if not np.isnan(total) else float("nan")
    for g in grads:
        g *= g.dtype.type(scale)
    return Tensor._make(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in gradients(parameters):
        np.clip(g, -clip_value, clip_value, out=g)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
