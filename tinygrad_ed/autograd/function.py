"""torch's `torch.autograd.Function`: how users add a differentiable op.

`forward(ctx, *args)` receives the Tensors themselves (and any other
arguments) and runs without recording; `backward(ctx, *grad_outputs)`
receives and returns Tensors. Saved tensors are the real graph tensors (an
input, an output of this op), so a backward written with Tensor ops is
differentiable again under `create_graph=True`. The node of each call is an
instance of a class made per Function (`ExpBackward` for `Exp`), and is also
the `ctx` both methods receive, as in torch.
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..tensor import Tensor
from . import versions
from .engine import Node, Primitive, check_finite, user_frame
from .grad_mode import mode, no_grad


class Function:
    """Subclass it with static `forward` and `backward` (and optionally `setup_context`), then call
    `MyFunction.apply(*args)`.

    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, i):
    ...         result = i.exp()
    ...         ctx.save_for_backward(result)
    ...         return result
    ...     @staticmethod
    ...     def backward(ctx, grad_output):
    ...         (result,) = ctx.saved_tensors
    ...         return grad_output * result
    >>> x = Tensor([0.0, 1.0], requires_grad=True)
    >>> Exp.apply(x).sum().backward()
    >>> x.grad
    tensor([1.0000, 2.7183])
    """

    _node_class: Any  # each subclass's Backward node class, made on its first apply

    @staticmethod
    def forward(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        node_class = cls.__dict__.get("_node_class")
        if node_class is None:
            node_class = type(f"{cls.__name__}Backward", (BackwardCFunction,), {"function": cls})
            cls._node_class = node_class
        ctx = node_class()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        record = mode.enabled and True in ctx.needs_input_grad
        previous, mode.enabled = mode.enabled, False
        try:
            if cls.setup_context is not Function.setup_context:  # torch 2 style: forward takes no ctx
                result = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, result)
            else:
                result = cls.forward(ctx, *args, **kwargs)
        finally:
            mode.enabled = previous
        return ctx.connect(args, result, record)


class BackwardCFunction(Node):
    """A call of a `Function` in the graph, and the `ctx` its forward and backward receive."""

    function: Any = Function

    def __init__(self) -> None:
        self.to_save: tuple = ()
        self.saved: list[tuple[str, Any]] | None = []
        self.dirty: tuple = ()
        self.non_differentiable: tuple = ()
        self.materialize_grads = True
        self.outputs: list[Any] = []  # per forward output: its array, or None for a non-Tensor output
        self.created_at = None

    # -- what forward calls ----------------------------------------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {tensors.index(t)} is "
                                f"not a Tensor or None (got {type(t).__name__}); keep it as an attribute of ctx")
        self.to_save = tensors

    def mark_dirty(self, *tensors: Tensor) -> None:
        self.dirty = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        self.non_differentiable = tensors

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = value

    @property
    def saved_tensors(self) -> tuple:
        if self.saved is None:
            raise RuntimeError("Trying to backward through the graph a second time (or directly access saved "
                               "tensors after they have already been freed). Specify retain_graph=True if you need "
                               "to backward through the graph a second time.")
        return tuple(self._unpack(kind, value) for kind, value in self.saved)

    @saved_tensors.setter
    def saved_tensors(self, value: None) -> None:  # the engine frees them after backward
        self.saved = value

    def _unpack(self, kind: str, value: Any) -> Any:
        if kind == "output":
            array = self.outputs[value]
            return Tensor._make(array, self.output_nodes[value])
        return value

    def saved_arrays(self) -> list[Any]:
        return [self.outputs[v] if kind == "output" else v.array for kind, v in self.saved or () if v is not None]

    # -- wiring the call into the graph ----------------------------------------------------------
    def connect(self, args: tuple, result: Any, record: bool) -> Any:
        single = not isinstance(result, tuple)
        results = [result] if single else list(result)
        dirty = {id(t) for t in self.dirty}
        inputs = {id(a) for a in args if isinstance(a, Tensor)}
        for t in self.dirty:
            if record and t.requires_grad and t.grad_fn is None:
                raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
        differentiable = [i for i, r in enumerate(results) if isinstance(r, Tensor) and r.array.dtype.kind == "f"
                          and not any(r is t for t in self.non_differentiable)]
        self.outputs = [r.array if isinstance(r, Tensor) else None for r in results]
        if not record or not differentiable:
            results = [Tensor._make(r.array) if isinstance(r, Tensor) and id(r) in inputs and id(r) not in dirty
                       else r for r in results]
            return results[0] if single else tuple(results)
        self.edges = tuple((a.grad_fn or a) if isinstance(a, Tensor) else None for a in args)
        self.sequence = next(versions.clock)
        if mode.anomaly:
            self.created_at = user_frame()
            for i in differentiable:
                check_finite(self.outputs[i], f"{self.function.__name__} forward", self)
        if len(differentiable) == 1:
            self.output_nodes: dict[int, Node] = {differentiable[0]: self}
            self.array = self.outputs[differentiable[0]]
        else:
            self.output_nodes = {i: OutputNode(self, i) for i in differentiable}
            self.array = MultipleOutputs()
        originals = list(results)
        for i in differentiable:
            r = results[i]
            if id(r) in inputs and id(r) not in dirty:  # an input returned as is: a new Tensor sharing it
                r = results[i] = Tensor._make(r.array)
            r.grad_fn, r.requires_grad = self.output_nodes[i], True
        for i, r in enumerate(results):
            if isinstance(r, Tensor) and i not in self.output_nodes and id(r) in inputs and id(r) not in dirty:
                results[i] = Tensor._make(r.array)
        self.saved = [("none", None) if t is None else
                      next((("output", i) for i in differentiable if originals[i] is t), ("tensor", t))
                      for t in self.to_save]
        self.to_save = ()
        return results[0] if single else tuple(results)

    # -- what the engine calls -------------------------------------------------------------------
    @staticmethod
    def backward(ctx: BackwardCFunction, g: Any) -> tuple:
        return ctx.run_backward(g, create_graph=False)

    def differentiable_backward(self, g: Any) -> tuple:
        return self.run_backward(g, create_graph=True)

    def run_backward(self, g: Any, create_graph: bool) -> tuple:
        per_output = g.grads if isinstance(g, OutputGrads) else {next(iter(self.output_nodes)): g}
        grads = []
        for i, array in enumerate(self.outputs):
            gi = per_output.get(i)
            if gi is None and array is not None and self.materialize_grads:
                gi = np.zeros(np.shape(array), array.dtype)
            grads.append(gi if gi is None or isinstance(gi, Tensor) else Tensor._make(gi))
        result = self.function.backward(self, *grads)
        result = result if isinstance(result, tuple) else (result,)
        count = len(self.edges or ())
        if len(result) < count or any(r is not None for r in result[count:]):
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {count}, got {len(result)})")
        return tuple(_as_gradient(r, needed, create_graph, self, i)
                     for i, (r, needed) in enumerate(zip(result[:count], self.needs_input_grad)))


def _as_gradient(r: Any, needed: bool, create_graph: bool, node: BackwardCFunction, index: int) -> Any:
    if r is None or not needed:
        return None
    if isinstance(r, Tensor):
        return r if create_graph else r.array
    if isinstance(r, (np.ndarray, np.generic, int, float)):
        return Tensor._make(np.asarray(r)) if create_graph else np.asarray(r)
    raise TypeError(f"function {node.name()} returned a gradient of type {type(r).__name__} at index {index}; "
                    "expected a Tensor or None")


class MultipleOutputs:
    """A multi-output node's `array`: shape and dtype that match `OutputGrads`, so the engine adds
    the per-output gradients with `+` and passes them on unchanged."""

    shape: tuple = ()
    dtype = None


class OutputGrads(MultipleOutputs):
    """The gradients of some outputs of a multi-output node, by output index; `+` merges them."""

    def __init__(self, grads: dict[int, Any]):
        self.grads = grads

    def __add__(self, other: OutputGrads) -> OutputGrads:
        merged = dict(self.grads)
        for i, g in other.grads.items():
            merged[i] = g if merged.get(i) is None else merged[i] + g
        return OutputGrads(merged)


class OutputNode(Node):
    """Output `index` of a multi-output Function call: hands its gradient to the call's node."""

    __slots__ = ("index", "saved_tensors")

    def __init__(self, parent: BackwardCFunction, index: int):
        self.edges, self.needs_input_grad, self.index, self.saved_tensors = (parent,), (True,), index, ()
        self.sequence, self.array, self.created_at = next(versions.clock), parent.outputs[index], None

    @staticmethod
    def backward(ctx: OutputNode, g: Any) -> OutputGrads:
        return OutputGrads({ctx.index: g})

    def differentiable_backward(self, g: Any) -> OutputGrads:
        return OutputGrads({self.index: g})

    def name(self) -> str:
        return f"{self.edges[0].name() if self.edges else 'Output'}[{self.index}]"


def once_differentiable(backward: Callable) -> Callable:
    """Decorate a `backward` that is not differentiable itself (it uses numpy, say): it then runs
    without recording, and differentiating its result under create_graph raises."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with no_grad():
            result = backward(ctx, *grad_outputs)
        graph_grads = [g for g in grad_outputs if isinstance(g, Tensor) and g.requires_grad]
        if not mode.enabled or not graph_grads:
            return result
        results = result if isinstance(result, tuple) else (result,)
        wrapped = tuple(DelayedError.apply(r, *graph_grads) if isinstance(r, Tensor) else r for r in results)
        return wrapped if isinstance(result, tuple) else wrapped[0]

    return wrapper


class DelayedError(Primitive):
    """The result of a `@once_differentiable` backward under create_graph: differentiating it raises."""

    __slots__ = ()

    @staticmethod
    def forward(ctx, value, *grad_outputs):
        return value

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with @once_differentiable")

    def differentiable_backward(self, g: Any) -> tuple:
        return self.backward(self, g)
