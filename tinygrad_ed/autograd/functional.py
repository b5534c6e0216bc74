"""`torch.autograd.functional`: derivatives of a whole function, `jacobian`, `hessian`, `vjp`,
`jvp`, `hvp` and `vhp`, with torch's signatures. Built on `grad()` (and grad of grad), above
the ops (it stacks rows), unlike the engine;
`vectorize` and the strategy options are accepted, and the results are computed row by row."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..ops.movement import stack
from ..tensor import Tensor
from .engine import grad
from .grad_mode import enable_grad


def _as_tuple(value: Any, what: str, fn: str) -> tuple[bool, tuple]:
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, v in enumerate(values):
        if not isinstance(v, Tensor):
            raise TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of Tensors but the value "
                            f"at index {i} has type {type(v).__name__}.")
    return is_tuple, values


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs that record a graph of their own: detached copies, or (create_graph) views that stay
    connected to the caller's graph."""
    if create_graph:
        return tuple(x.reshape(x.shape) if x.requires_grad else x.detach().requires_grad_(True) for x in inputs)
    return tuple(x.detach().requires_grad_(True) for x in inputs)


def _finish(values: tuple, create_graph: bool) -> tuple:
    return tuple(v if create_graph or v is None else v.detach() for v in values)


def _zeros_if_none(g: Any, like: Tensor, strict: bool, output: int, index: int, fn: str) -> Tensor:
    if g is not None:
        return g
    if strict:
        raise RuntimeError(f"Output {output} of the user-provided function is independent of input {index}. "
                           f"This is not allowed in strict mode ({fn}).")
    return Tensor._make(np.zeros(like.shape, like.array.dtype))


def _grads(outputs: tuple, inputs: tuple, grad_outputs: tuple, create_graph: bool) -> tuple:
    wanted = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not wanted:
        return (None,) * len(inputs)
    return grad([o for o, _ in wanted], list(inputs), [g for _, g in wanted], retain_graph=True,
                create_graph=create_graph, allow_unused=True)


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """d func(inputs) / d inputs: for one input and one output, a Tensor of shape
    output.shape + input.shape; tuples of them (indexed [output][input]) for tuples."""
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jacobian")
        rows: list[tuple] = []
        for i, out in enumerate(outputs):
            flat = out.reshape(-1)
            per_input: list[list[Tensor]] = [[] for _ in inputs]
            for j in range(flat.shape[0]):
                gs = _grads((flat[j],), inputs, (None,), create_graph)
                for k, (g, x) in enumerate(zip(gs, inputs)):
                    per_input[k].append(_zeros_if_none(g, x, strict, i, k, "jacobian"))
            rows.append(tuple(_stack(parts, out.shape, x) for parts, x in zip(per_input, inputs)))
    rows = [_finish(row, create_graph) for row in rows]
    if outputs_tuple and inputs_tuple:
        return tuple(rows)
    if outputs_tuple:
        return tuple(row[0] for row in rows)
    return rows[0] if inputs_tuple else rows[0][0]


def _stack(parts: list[Tensor], out_shape: tuple, x: Tensor) -> Tensor:
    if not parts:
        return Tensor._make(np.zeros(out_shape + x.shape, x.array.dtype))
    return stack(parts).reshape(*out_shape, *x.shape)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Second derivatives of a scalar function: input.shape + input.shape for one input,
    a tuple of tuples [i][j] for several."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Tensor) -> Any:
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("The function given to hessian should return a single element Tensor")
        gs = _grads((out.reshape(()),), xs, (None,), create_graph=True)
        return tuple(_zeros_if_none(g, x, strict, 0, k, "hessian") for k, (g, x) in enumerate(zip(gs, xs)))

    result = jacobian(gradient, inputs, create_graph, strict, vectorize, outer_jacobian_strategy)
    return result if inputs_tuple else result[0][0]


def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T J): the vector-Jacobian product, one backward pass."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "vjp")
        vs = _vectors(v, outputs, "vjp", "outputs")
        gs = _grads(outputs, inputs, vs, create_graph)
        result = tuple(_zeros_if_none(g, x, strict, 0, k, "vjp") for k, (g, x) in enumerate(zip(gs, inputs)))
    return _shape_like(_finish(outputs, create_graph), outputs_tuple), \
        _shape_like(_finish(result, create_graph), inputs_tuple)


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), J v): the Jacobian-vector product, by differentiating a vector-Jacobian
    product with respect to its vector (the double-backward trick)."""
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    vs = _vectors(v, inputs, "jvp", "inputs")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided function", "jvp")
        dummies = tuple(Tensor._make(np.zeros(o.shape, o.array.dtype)).requires_grad_(True) for o in outputs)
        gs = _grads(outputs, inputs, dummies, create_graph=True)
        used = [(g, u) for g, u in zip(gs, vs) if g is not None and g.requires_grad]
        if used:
            back = grad([g for g, _ in used], list(dummies), [u for _, u in used], create_graph=create_graph,
                        allow_unused=True)
        else:
            back = (None,) * len(dummies)
        result = tuple(_zeros_if_none(b, o, strict, i, 0, "jvp") for i, (b, o) in enumerate(zip(back, outputs)))
    return _shape_like(_finish(outputs, create_graph), outputs_tuple), \
        _shape_like(_finish(result, create_graph), outputs_tuple)


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), v^T H) for a scalar function: the gradient of (gradient . v)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """(func(inputs), H v) for a scalar function (H is symmetric, so this is v^T H transposed)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool, strict: bool,
                     fn: str) -> tuple[Any, Any]:
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    vs = _vectors(v, inputs, fn, "inputs")
    with enable_grad():
        inputs = _prepare(inputs, create_graph)
        out = func(*inputs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError(f"The function given to {fn} should return a single element Tensor")
        first = _grads((out.reshape(()),), inputs, (None,), create_graph=True)
        used = [(g, u) for g, u in zip(first, vs) if g is not None and g.requires_grad]
        second = _grads(tuple(g for g, _ in used), inputs, tuple(u for _, u in used), create_graph) \
            if used else (None,) * len(inputs)
        result = tuple(_zeros_if_none(g, x, strict, 0, k, fn) for k, (g, x) in enumerate(zip(second, inputs)))
    return _finish((out,), create_graph)[0], _shape_like(_finish(result, create_graph), inputs_tuple)


def _vectors(v: Any, like: tuple, fn: str, what: str) -> tuple:
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if the {what} to the user-provided function is a "
                               f"single Tensor with a single element ({fn}).")
        return (Tensor._make(np.ones(like[0].shape, like[0].array.dtype)),)
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(like) or any(tuple(a.shape) != tuple(b.shape) for a, b in zip(vs, like)):
        raise RuntimeError(f"{fn}: v has shapes {[tuple(a.shape) for a in vs]} but the {what} have shapes "
                           f"{[tuple(b.shape) for b in like]}")
    return vs


def _shape_like(values: tuple, as_tuple: bool) -> Any:
    return values if as_tuple else values[0]
