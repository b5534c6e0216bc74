"""What generated code calls besides numpy: the replay of a primitive without an emitter, the backward of a
compiled forward's result given as an argument."""
from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import engine

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


def backward_once(node: Any, g: Any) -> tuple:
    """A graph node's backward, which then frees it, as the engine does (a second backward raises)."""
    if node.edges is None:
        engine._raise_freed(node)
    grads = as_tuple(type(node).backward(node, g))
    node.edges = None
    return grads
