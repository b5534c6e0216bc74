"""What generated code calls besides numpy: the replay of a primitive without an emitter."""
from __future__ import annotations

from typing import Any

import numpy as np

_new = object.__new__


def run_forward(cls: type, needs: tuple, *arrays: Any, **options: Any) -> tuple[Any, Any]:
    """A primitive's forward on arrays, as Primitive.apply runs it, without a graph: (result, ctx),
    the ctx holding what its backward needs."""
    ctx: Any = _new(cls)
    ctx.saved_tensors = ()
    ctx.needs_input_grad = needs
    out = cls.forward(ctx, *arrays, **options)  # type: ignore[attr-defined]
    if type(out) is not np.ndarray and not isinstance(out, np.generic):
        out = np.asarray(out)
    return out, ctx


def as_tuple(gradients: Any) -> tuple:
    """A backward's result as a tuple (a one-input op may return its gradient alone)."""
    return gradients if type(gradients) is tuple else (gradients,)
