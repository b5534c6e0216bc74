"""Finite-difference checks of backpropagated gradients: `gradcheck` and `gradgradcheck`."""
from __future__ import annotations

from typing import Any, Callable, Sequence

import warnings

import numpy as np

from .engine import grad
from ..tensor import Tensor


class GradcheckError(RuntimeError):
    """Analytic and numeric gradients disagree."""


def gradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """Compare backpropagated gradients of `fn(*inputs)` with central finite differences.

    The outputs are projected on a fixed random direction v, so one backward
    pass checks v^T J for every input element. Use float64 inputs. Returns
    True, or raises GradcheckError naming the worst mismatch.

    >>> x = te.tensor(np.linspace(0.1, 1, 5), requires_grad=True)
    >>> gradcheck(lambda t: t.exp() * t, (x,))
    True
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad")
    imprecise = _warn_unless_float64(inputs)
    rng = np.random.default_rng(seed)
    outputs = _as_outputs(fn(*inputs))
    directions = [rng.standard_normal(o.shape) for o in outputs]

    def projected(outs: list[Tensor]) -> Any:
        total: Any = 0.0
        for o, v in zip(outs, directions):
            total = (o * Tensor._make(v.astype(o.array.dtype))).sum() + total
        return total

    total = projected(outputs)
    if isinstance(total, Tensor) and total.requires_grad:
        analytic = grad(total, checked, allow_unused=True)
    else:  # the outputs do not depend on the inputs at all
        analytic = (None,) * len(checked)
    worst = None
    for index, t in enumerate(checked):
        analytic_grad = analytic[index]
        a = np.zeros(t.shape) if analytic_grad is None else analytic_grad.array
        data = t._writable_array()
        for element in np.ndindex(*t.shape):
            original = data[element]
            try:
                data[element] = original + eps
                plus = float(np.asarray(projected(_as_outputs(fn(*inputs)))))
                data[element] = original - eps
                minus = float(np.asarray(projected(_as_outputs(fn(*inputs)))))
            finally:
                data[element] = original
            numeric = (plus - minus) / (2 * eps)
            error = abs(a[element] - numeric) - (atol + rtol * abs(numeric))
            if error > 0 and (worst is None or error > worst[0]):
                worst = (error, index, element, a[element], numeric)
    if worst is not None:
        _, index, element, a_value, n_value = worst
        raise GradcheckError(f"gradcheck: input {index} (shape {checked[index].shape}), element {element}: "
                             f"analytic {a_value:.8g} vs numeric {n_value:.8g}"
                             + (f" (inputs {imprecise} are not float64: finite differences in lower precision "
                                "are too coarse, so this mismatch may not be a bug; check with float64 inputs)"
                                if imprecise else ""))
    return True


def gradgradcheck(fn: Callable[..., Any], inputs: Tensor | Sequence[Tensor], eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0) -> bool:
    """`gradcheck` of the gradient of `fn`: checks second derivatives through `grad(create_graph=True)`.

    >>> x = te.tensor(np.linspace(0.1, 1, 5), requires_grad=True)
    >>> gradgradcheck(lambda t: t.tanh() * t, (x,))
    True
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    rng = np.random.default_rng(seed + 1)
    directions = [Tensor._make(rng.standard_normal(o.shape).astype(o.array.dtype))
                  for o in _as_outputs(fn(*inputs))]

    def first_derivatives(*xs: Any) -> tuple[Tensor, ...]:
        wanted = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        total = sum(((o * v).sum() for o, v in zip(_as_outputs(fn(*xs)), directions)), Tensor._make(np.zeros(())))
        if not total.requires_grad:
            return ()
        return tuple(g for g in grad(total, wanted, create_graph=True, allow_unused=True) if g is not None)

    return gradcheck(first_derivatives, inputs, eps, atol, rtol, seed)


def _warn_unless_float64(inputs: tuple[Any, ...]) -> list[int]:
    """Warn, as torch does, for each input that requires grad and is not float64; returns their numbers."""
    imprecise = [i for i, t in enumerate(inputs)
                 if isinstance(t, Tensor) and t.requires_grad and t.array.dtype != np.float64]
    for i in imprecise:
        warnings.warn(f"gradcheck: input #{i} requires grad and is {inputs[i].dtype}, not float64 (double "
                      "precision): this check will likely fail; use float64 inputs, e.g. x.double()",
                      UserWarning, stacklevel=3)
    return imprecise


def _as_outputs(result: Any) -> list[Tensor]:
    return [result] if isinstance(result, Tensor) else [r for r in result if isinstance(r, Tensor)]
