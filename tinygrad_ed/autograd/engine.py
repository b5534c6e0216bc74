"""The autograd engine: `Function` nodes, backpropagation, `grad()`, grad mode
and anomaly detection (`gradcheck` lives in gradcheck.py and is re-exported here).

Every op, built-in or user-defined, is a `Function` subclass with a static
`forward(ctx, *arrays)` on numpy arrays and a static `backward(ctx, grad)`.
`apply` runs forward and, when a gradient is needed, records the call: the
Function instance *is* the graph node (`tensor.grad_fn`), holding its result,
whatever forward saved, and one edge per input: the input's own node, or the
input Tensor itself when it is a leaf. Nodes link to nodes, not to Tensors, so
an intermediate Tensor is freed as soon as user code drops it, as in torch
(and the garbage collector has two objects per op to walk, not three).
`backward()` runs the nodes newest first, without recursion.
"""
from __future__ import annotations

import functools
import gc
import itertools
import os
import threading
import traceback
from heapq import heappop, heappush
from typing import Any, Callable, Sequence

import numpy as np

from ..tensor import Tensor
from ..ops import backward_math as bm


class _Mode(threading.local):
    """Grad mode and anomaly mode are per thread, as in torch."""
    enabled = True
    anomaly = False


_mode = _Mode()
_new = object.__new__
_make = Tensor._make
_sequence = itertools.count()  # creation order of graph nodes: backward runs them newest first
# One shared `needs_input_grad` tuple per pattern ((True, False), ...): a tuple per node would be
# one more object per op for the garbage collector to count, which makes it collect more often.
_needs_patterns: dict[tuple[bool, ...], tuple[bool, ...]] = {}


def is_grad_enabled() -> bool:
    """Whether ops record a graph in this thread."""
    return _mode.enabled


class set_grad_enabled:
    """Context manager (and decorator) that turns graph recording on or off in this thread."""

    def __init__(self, mode: bool):
        self.mode = mode

    def __enter__(self):
        self.previous = _mode.enabled
        _mode.enabled = self.mode

    def __exit__(self, *exc):
        _mode.enabled = self.previous

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(self.mode):
                return fn(*args, **kwargs)
        return wrapper


class no_grad(set_grad_enabled):
    """`with te.no_grad():` records nothing; results do not require grad.

    Also a decorator, with or without parentheses (`@te.no_grad()`, `@te.no_grad`).

    >>> with no_grad():
    ...     y = Tensor([1.0], requires_grad=True) * 2
    >>> y.requires_grad
    False
    """

    def __new__(cls, fn: Callable | None = None):
        if fn is not None:  # used as a bare decorator
            return set_grad_enabled(False)(fn)
        return super().__new__(cls)

    def __init__(self, fn: Callable | None = None):
        super().__init__(False)


class enable_grad(set_grad_enabled):
    """`with te.enable_grad():` records again inside a `no_grad` block; also a decorator."""

    def __init__(self):
        super().__init__(True)


class detect_anomaly:
    """Raise at the first op whose forward result or backward gradient is NaN or inf.

    The error names the op and the line of user code that created it.
    """

    def __enter__(self):
        self.previous = _mode.anomaly
        _mode.anomaly = True

    def __exit__(self, *exc):
        _mode.anomaly = self.previous


class Function:
    """A differentiable op; subclass it and define `forward` and `backward`.

    `forward(ctx, *arrays, **options)` receives numpy arrays for Tensor
    arguments (other arguments unchanged) and returns a numpy array.
    `backward(ctx, grad_output)` returns one gradient per positional forward
    argument (None where there is none). Use `ctx.save_for_backward(...)` and
    `ctx.saved_tensors` to keep what backward needs; `ctx.needs_input_grad`
    tells which inputs want a gradient. Call the op with `MyOp.apply(...)`.

    A backward written with operators and `tinygrad_ed.ops.backward_math` functions works
    on Tensors as well as arrays, which makes it twice differentiable. Under
    `create_graph=True` a saved array stands for the input or the output it is
    (by identity); anything else forward computed and saved is taken as a
    constant, so save inputs and outputs, not values derived from them.
    """

    __slots__ = ("edges", "needs_input_grad", "saved_tensors", "sequence", "array", "grad_output", "created_at",
                 "__weakref__")

    @staticmethod
    def forward(ctx: Function, *args: Any, **options: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Function, grad_output: Any) -> Any:
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Tensor:
        ctx = _new(cls)
        ctx.saved_tensors = ()
        arrays, needs, edges = [], [], []
        for a in args:  # a plain loop: list comprehensions cost twice as much
            if isinstance(a, Tensor):
                arrays.append(a.array)
                needs.append(a.requires_grad)
                edges.append(a.grad_fn or a)
            else:
                arrays.append(a)
                needs.append(False)
                edges.append(None)
        mode = _mode
        record = mode.enabled and True in needs
        if record:
            needs = tuple(needs)
            ctx.needs_input_grad = _needs_patterns.setdefault(needs, needs)
        else:
            ctx.needs_input_grad = (False,) * len(args)
        try:
            out = cls.forward(ctx, *arrays, **options)
        except ValueError as error:
            raise ShapeError(f"{cls.op_name()}: {error} (input shapes {_shapes(args)})") from None
        except IndexError as error:
            raise IndexError(f"{cls.op_name()}: {error} (input shapes {_shapes(args)})") from None
        if type(out) is not np.ndarray and not isinstance(out, np.generic):
            out = np.asarray(out)
        if not record:
            return _make(out, None)
        ctx.edges = tuple(edges)
        ctx.sequence = next(_sequence)
        ctx.array = out
        if mode.anomaly:
            ctx.created_at = _user_frame()
            _check_finite(out, f"{cls.op_name()} forward", ctx)
        return _make(out, ctx)

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """`edges` as torch shows them: a `(node, 0)` pair per input, where a leaf that requires
        grad is an `AccumulateGrad` holding it and an input that needs no gradient is None."""
        return tuple((None if not needed else AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0)
                     for edge, needed in zip(self.edges or (), self.needs_input_grad))

    @classmethod
    def op_name(cls) -> str:
        return cls.__name__.lower()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward>"


class AccumulateGrad:
    """Where a leaf's gradient goes, as `Function.next_functions` shows it; `variable` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable


class AnomalyError(RuntimeError, FloatingPointError):
    """A NaN or inf found by `detect_anomaly` (a RuntimeError, as torch raises)."""


class ShapeError(ValueError, RuntimeError):
    """Operands whose shapes do not fit the op (raised as torch's RuntimeError and numpy's ValueError)."""


def _shapes(args: Sequence[Any]) -> str:
    return ", ".join(str(a.shape) for a in args if isinstance(a, Tensor))


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tinygrad_ed/


def _user_frame() -> str:
    """The innermost line of the call stack outside this package: where the user created the op."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f'File "{frame.filename}", line {frame.lineno}: {frame.line}'
    return "<unknown>"


def _check_finite(array: Any, what: str, node: Function) -> None:
    data = array.array if isinstance(array, Tensor) else array
    if np.issubdtype(data.dtype, np.inexact) and not np.all(np.isfinite(data)):
        raise AnomalyError(f"anomaly: {what} produced NaN or inf; the op was created at "
                                 f"{getattr(node, 'created_at', '<unknown>')}")


# ---------------------------------------------------------------------------------------------
# The backward engine


def _raise_freed(node: Function) -> None:
    raise RuntimeError(
        f"Trying to backward through the graph a second time: {node!r} was freed by an earlier "
        "backward(). Specify retain_graph=True on the first backward() (or grad()) call if you need "
        "to backward through the graph again.")


def backpropagate(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool | None,
                  create_graph: bool, wanted: Sequence[Tensor] | None = None) -> list[Any] | None:
    """Run the chain rule from `roots`.

    Without `wanted`, gradients accumulate into the leaves' `.grad`; with it,
    the gradients of those tensors are returned and no `.grad` changes.
    `retain_graph=None` keeps the graph exactly when `create_graph` is set, as in torch.
    """
    if retain_graph is None:
        retain_graph = create_graph
    collecting = gc.isenabled()
    gc.disable()  # the walk makes no reference cycles; full collections over a big graph cost ~40% of it
    try:
        return _chain_rule(roots, root_grads, retain_graph, create_graph, wanted)
    finally:
        if collecting:
            gc.enable()


def _chain_rule(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool,
                create_graph: bool, wanted: Sequence[Tensor] | None) -> list[Any] | None:
    """Run nodes newest first, each once all its gradient has arrived.

    A node is created after its inputs' nodes, so every consumer of a node is
    newer than it: running the newest node among those that have received a
    gradient (a heap on the creation number, as torch's engine does) runs a
    node only after all its consumers, with no pass to sort the graph first.
    """
    grads: dict[Any, Any] = {}
    ready: list[tuple[int, Function]] = []  # (-sequence, node): heapq pops the newest node first
    for root, g in zip(roots, root_grads):
        _receive(grads, ready, root.grad_fn or root, g)
    wanted_nodes = {t.grad_fn: i for i, t in enumerate(wanted or ()) if t.grad_fn is not None}
    found: list[Any] = [None] * len(wanted or ())
    previous_mode, anomaly = _mode.enabled, _mode.anomaly
    _mode.enabled = create_graph
    pop = grads.pop
    try:
        while ready:
            node = heappop(ready)[1]
            g = pop(node)
            edges = node.edges
            if edges is None:  # a root; other freed nodes are caught through their consumer's edge
                _raise_freed(node)
            if wanted_nodes and node in wanted_nodes:
                found[wanted_nodes[node]] = g
            if retain_graph:
                node.grad_output = g
            input_grads = _differentiable_backward(node, g) if create_graph else node.backward(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(edges):
                raise RuntimeError(f"{type(node).__name__}.backward returned {len(input_grads)} gradients, "
                                   f"expected {len(edges)} (one per forward input)")
            for edge, pg, needed in zip(edges, input_grads, node.needs_input_grad):
                if pg is None or not needed:
                    continue
                data = edge.array
                if data is None:
                    _raise_freed(edge)
                if pg.shape != data.shape:
                    pg = _reduce_to_input(pg, data.shape, node)
                if pg.dtype is not data.dtype and pg.dtype != data.dtype:
                    pg = bm.cast(pg, data.dtype)
                if anomaly:
                    _check_finite(pg, f"{node.op_name()} backward", node)
                previous = grads.get(edge)  # _receive, inlined: this runs once per edge
                if previous is not None:
                    grads[edge] = previous + pg
                else:
                    grads[edge] = pg
                    if isinstance(edge, Function):
                        heappush(ready, (-edge.sequence, edge))
            if not retain_graph:
                node.edges = node.saved_tensors = node.array = None
    finally:
        _mode.enabled = previous_mode
    if wanted is not None:
        for i, t in enumerate(wanted):
            if t.grad_fn is None:
                found[i] = grads.get(t)
        return [g if g is None or isinstance(g, Tensor) else Tensor._make(np.asarray(g)) for g in found]
    given: set[int] = set()
    for leaf, g in grads.items():
        if isinstance(leaf, Tensor):
            _accumulate_leaf(leaf, g, given)
    return None


def _receive(grads: dict, ready: list, key: Any, g: Any) -> None:
    """Add `g` to the gradient of `key` (a node, or a leaf Tensor: its own key); a node that
    receives its first gradient joins the heap of nodes to run."""
    previous = grads.get(key)
    if previous is not None:
        grads[key] = previous + g
    else:
        grads[key] = g
        if isinstance(key, Function):
            heappush(ready, (-key.sequence, key))


def _accumulate_leaf(leaf: Tensor, g: Any, given: set[int]) -> None:
    if not isinstance(g, Tensor):
        # .grad must be a plain array users may edit in place: copy numpy scalars, broadcast views
        # and memory already handed to another leaf (add's backward passes one gradient to both operands)
        owner = id(g if g.base is None else g.base)
        if not g.flags.writeable or owner in given:
            g = np.array(g)
        given.add(owner)
        g = Tensor._make(g)
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def _reduce_to_input(g: Any, shape: tuple[int, ...], node: Function) -> Any:
    try:
        return bm.sum_to(g, shape)
    except ValueError:
        raise ShapeError(f"{type(node).__name__}.backward returned a gradient of shape {tuple(g.shape)} "
                         f"for an input of shape {shape}") from None


def _differentiable_backward(node: Function, g: Any) -> tuple:
    """Run `node.backward` on Tensors so that the gradient computation is itself recorded."""
    saved = node.saved_tensors
    node.saved_tensors = tuple(_saved_as_tensor(node, s) for s in saved)
    if not isinstance(g, Tensor):
        g = Tensor._make(np.asarray(g))
    try:
        result = node.backward(node, g)
    except TypeError as error:
        raise _once_differentiable(node, f"it uses numpy directly: {error}") from None
    finally:
        node.saved_tensors = saved
    result = result if type(result) is tuple else (result,)
    if any(r is not None and not isinstance(r, Tensor) for r in result):
        raise _once_differentiable(node, "it returned numpy arrays")
    return result


def _once_differentiable(node: Function, reason: str) -> RuntimeError:
    return RuntimeError(f"{type(node).__name__}.backward is only once differentiable ({reason}); write it with "
                        "operators and tinygrad_ed.ops.backward_math functions to use create_graph=True")


def _saved_as_tensor(node: Function, saved: Any) -> Any:
    """The Tensor a saved array stands for: an input, the node's own output, or a constant."""
    for edge in node.edges:
        if edge is not None and edge.array is saved:  # a constant input stays a constant
            return edge if isinstance(edge, Tensor) else Tensor._make(saved, edge)
    if saved is node.array:
        return Tensor._make(saved, node)
    return Tensor._make(saved) if isinstance(saved, np.ndarray) else saved  # a Python number stays one


# ---------------------------------------------------------------------------------------------
# Public entry points


def backward(tensor: Tensor, gradient: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into every leaf's `.grad`; see `Tensor.backward`."""
    if not tensor.requires_grad:
        raise RuntimeError("backward: element 0 of tensors does not require grad and does not have a grad_fn")
    root_grad = _root_gradient(tensor, gradient, "backward")
    backpropagate([tensor], [root_grad], retain_graph, create_graph)


def _root_gradient(tensor: Tensor, gradient: Any, op: str) -> Any:
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs, but the output "
                               f"has shape {tensor.shape}; pass gradient= (grad_outputs=) of that shape")
        return np.ones(tensor.shape, tensor.array.dtype)
    if isinstance(gradient, Tensor) and gradient.requires_grad:
        g = gradient
    else:  # a copy, so that no .grad aliases the caller's array
        g = np.array(gradient.array if isinstance(gradient, Tensor) else gradient, dtype=tensor.array.dtype)
    if tuple(g.shape) != tensor.shape:
        raise ShapeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has shape {tensor.shape}")
    return g


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """Gradients of `outputs` with respect to `inputs`, as a tuple (like `torch.autograd.grad`).

    Leaves' `.grad` are left untouched. With `create_graph=True` the returned
    gradients are part of a graph and can be differentiated again.

    >>> x = Tensor(3.0, requires_grad=True)
    >>> (dx,) = grad(x ** 3, x, create_graph=True)
    >>> grad(dx, x)[0].item()   # d2/dx2 x^3 = 6x
    18.0
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if not isinstance(inputs, (Tensor, list, tuple)):
        raise TypeError(f"grad: inputs must be a Tensor or a sequence of Tensors, got {type(inputs).__name__}")
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    for o in outputs:
        if not o.requires_grad:
            raise RuntimeError("grad: one of the outputs does not require grad and does not have a grad_fn")
    root_grads = [_root_gradient(o, g, "grad") for o, g in zip(outputs, grad_outputs)]
    found = backpropagate(outputs, root_grads, retain_graph, create_graph, wanted=inputs)
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {inputs[i].shape}) was not used in the graph of the "
                               "outputs; pass allow_unused=True to get None for it")
    return tuple(found)

