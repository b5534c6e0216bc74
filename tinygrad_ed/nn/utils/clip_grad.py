"""Gradient clipping, as torch.nn.utils: scale all gradients together so their norm is at most max_norm,
or clamp each gradient element to [-clip_value, clip_value]. Both write into the gradients in place, with
Tensor ops (no value read back into Python), so that te.compile records them."""
from __future__ import annotations

from typing import Iterable

import numpy as np

from ...autograd import no_grad
from ...linalg import vector_norm
from ...ops.movement import stack
from ...tensor import Tensor


def gradients(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
    """Scale the gradients by min(1, max_norm / (total_norm + 1e-6)); returns the total norm (a 0-d Tensor),
    the `norm_type` norm of all gradients taken as one vector."""
    norm_type, grads = float(norm_type), gradients(parameters)
    if not grads:
        return Tensor._make(np.array(0.0, dtype=np.float32))
    with no_grad():
        total = vector_norm(stack([vector_norm(g, norm_type) for g in grads]), norm_type)
        if error_if_nonfinite and not bool(total.isfinite()):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, "
                               "so it cannot be clipped. To disable this error and scale the gradients by the "
                               "non-finite norm anyway, set `error_if_nonfinite=False`")
        scale = (max_norm / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient element into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with no_grad():
        for g in gradients(parameters):
            g.clamp_(-clip_value, clip_value)


__all__ = ["clip_grad_norm_", "clip_grad_value_"]
