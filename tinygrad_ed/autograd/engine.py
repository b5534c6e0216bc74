"""The autograd engine: graph nodes, backpropagation, `backward()` and `grad()`.

A recorded op is a `Node`: it holds one edge per input (the input's own node,
or the input Tensor itself when it is a leaf), its result (`array`) and what
its backward needs. Nodes link to nodes, not to Tensors, so an intermediate
Tensor is freed as soon as user code drops it, as in torch. `backward()` runs
the nodes newest first, without recursion.

Two kinds of node share this engine:
- `Primitive`, the built-in ops' lean base: forward and backward on numpy
  arrays (backward rules written with operators and `ops.backward_math`
  functions also run on Tensors, which is how create_graph works);
- the nodes of torch's `Function` (function.py), whose forward and backward
  receive Tensors.
"""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
import re
import traceback
from heapq import heappop, heappush
from typing import Any, Callable, Iterator, NoReturn, Sequence

import numpy as np

from ..errors import ShapeError
from ..tensor import Tensor
from . import versions
from .broadcast import cast, sum_to
from .grad_mode import mode
from .hooks import grad_hooks, post_accumulate_hooks, retained, run_hooks

_new = object.__new__
_make = Tensor._make
_clock = versions.clock  # creation order of graph nodes: backward runs them newest first
# One shared `needs_input_grad` tuple per pattern ((True, False), ...): a tuple per node would be
# one more object per op for the garbage collector to count, which makes it collect more often.
_needs_patterns: dict[tuple[bool, ...], tuple[bool, ...]] = {}
_SHAPE_WORDS = re.compile(r"shape|broadcast|dimension|size|axis|axes|align", re.IGNORECASE)


class Node:
    """A recorded op: `edges` (one per input), `needs_input_grad`, `sequence` (creation number),
    `array` (its result)."""

    __slots__ = ("edges", "needs_input_grad", "sequence", "array", "grad_output", "created_at", "__weakref__")
    edges: tuple[Any, ...] | None  # per input: its node, a leaf Tensor, or None; None once freed
    needs_input_grad: tuple[bool, ...]
    sequence: int  # creation order: backward runs the newest node first
    array: Any  # the forward's output; None once freed
    grad_output: Any  # kept by backward(retain_graph=True), for viz
    created_at: str | None  # the user's line that made it, under detect_anomaly
    saved_tensors: Any
    backward: Callable[..., Any]
    differentiable_backward: Callable[..., Any]

    def saved_arrays(self) -> Sequence[Any]:
        """The arrays backward reads, checked against in-place changes before it runs."""
        return ()

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """`edges` as torch shows them: a `(node, 0)` pair per input, where a leaf that requires
        grad is an `AccumulateGrad` holding it and an input that needs no gradient is None."""
        return tuple((None if not needed else AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0)
                     for edge, needed in zip(self.edges or (), self.needs_input_grad))

    def name(self) -> str:
        return type(self).__name__

    def op_name(self) -> str:
        return self.name()

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class Primitive(Node):
    """The built-in ops' base class: `forward(ctx, *arrays, **options)` on numpy arrays, returning
    an array; `backward(ctx, grad_output)` returning one gradient per positional input.

    Backward rules use operators and `tinygrad_ed.ops.backward_math` functions, so that under
    `create_graph=True` they run on Tensors and are recorded. For that, each saved array is
    replaced by the Tensor it is: an input or the node's own output. A saved boolean mask is a
    constant; a class whose other saved arrays are piecewise constant in the inputs (a sign,
    the share of a tie) says so with `saves_derived_constants = True`. Anything else saved
    raises under create_graph rather than giving a wrong second derivative.
    Users write torch's `tinygrad_ed.autograd.Function` instead (function.py).
    """

    __slots__ = ("saved_tensors",)
    saves_derived_constants = False

    @staticmethod
    def forward(ctx: Primitive, *args: Any, **options: Any) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Primitive, grad_output: Any) -> Any:
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        self.saved_tensors = arrays

    def saved_arrays(self) -> Sequence[Any]:
        return self.saved_tensors or ()

    @classmethod
    def apply(cls, *args: Any, **options: Any) -> Tensor:
        ctx = _new(cls)
        ctx.saved_tensors = ()
        arrays: list[Any]
        needs: list[bool]
        edges: list[Any]
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
        record = mode.enabled and True in needs
        if record:
            pattern = tuple(needs)
            ctx.needs_input_grad = _needs_patterns.setdefault(pattern, pattern)
        else:
            ctx.needs_input_grad = (False,) * len(args)
        try:
            out = cls.forward(ctx, *arrays, **options)
        except ValueError as error:
            if not _SHAPE_WORDS.search(str(error)):
                raise
            raise ShapeError(f"{cls.op_name()}: {error} (input shapes {_shapes(args)})") from error
        except IndexError as error:
            raise IndexError(f"{cls.op_name()}: {error} (input shapes {_shapes(args)})") from error
        if type(out) is not np.ndarray and not isinstance(out, np.generic):
            out = np.asarray(out)
        if not record:
            return _make(out, None)
        ctx.edges = tuple(edges)
        ctx.sequence = next(_clock)
        ctx.array = out
        if mode.anomaly:
            ctx.created_at = user_frame()
            check_finite(out, f"{cls.op_name()} forward", ctx)
        return _make(out, ctx)

    def differentiable_backward(self, g: Any) -> tuple:
        """Run `backward` on Tensors so that the gradient computation is itself recorded."""
        saved = self.saved_tensors
        self.saved_tensors = tuple(_saved_as_tensor(self, s) for s in saved)
        if not isinstance(g, Tensor):
            g = Tensor._make(np.asarray(g))
        try:
            result = self.backward(self, g)
        except TypeError as error:
            raise _once_differentiable(self, f"it uses numpy directly: {error}") from error
        finally:
            self.saved_tensors = saved
        result = result if type(result) is tuple else (result,)
        if any(r is not None and not isinstance(r, Tensor) for r in result):
            raise _once_differentiable(self, "it returned numpy arrays")
        return result

    @classmethod
    def op_name(cls) -> str:
        return cls.__name__.lower()

    def name(self) -> str:
        """The node's name as torch spells it: `MulBackward0` for the op `Mul`."""
        return f"{type(self).__name__}Backward0"


def _saved_as_tensor(node: Primitive, saved: Any) -> Any:
    """The Tensor a saved array is: an input, the node's own output, or a constant (see Primitive)."""
    if not isinstance(saved, (np.ndarray, np.generic)):
        return saved  # a Python number stays one
    sources = {id(edge): edge for edge in node.edges or () if edge is not None and edge.array is saved}
    if len(sources) > 1:
        raise RuntimeError(f"{node.name()}: two different inputs share one array, so create_graph cannot tell "
                           "which one a saved value stands for; pass a copy (x.clone()) as one of them")
    if sources:
        edge = next(iter(sources.values()))
        return edge if isinstance(edge, Tensor) else Tensor._make(saved, edge)
    if saved is node.array:
        return Tensor._make(saved, node)
    if saved.dtype == np.bool_ or type(node).saves_derived_constants:
        return Tensor._make(saved)
    raise RuntimeError(f"{node.name()} saved a value computed from its inputs, which create_graph=True cannot "
                       "differentiate; save the inputs or the output and recompute the rest in backward")


def _once_differentiable(node: Node, reason: str) -> RuntimeError:
    return RuntimeError(f"{type(node).__name__}.backward is only once differentiable ({reason}); write it with "
                        "operators and tinygrad_ed.ops.backward_math functions to use create_graph=True")


class AccumulateGrad:
    """Where a leaf's gradient goes, as `Node.next_functions` shows it; `variable` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Tensor):
        self.variable = variable


class AnomalyError(RuntimeError, FloatingPointError):
    """A NaN or inf found by `detect_anomaly` (a RuntimeError, as torch raises)."""


def _shapes(args: Sequence[Any]) -> str:
    return ", ".join(str(a.shape) for a in args if isinstance(a, Tensor))


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tinygrad_ed/


def user_frame() -> str:
    """The innermost line of the call stack outside this package: where the user created the op."""
    for frame in reversed(traceback.extract_stack()):
        if not os.path.abspath(frame.filename).startswith(_PACKAGE_DIR):
            return f'File "{frame.filename}", line {frame.lineno}: {frame.line}'
    return "<unknown>"


def check_finite(array: Any, what: str, node: Node) -> None:
    data = array.array if isinstance(array, Tensor) else array
    if isinstance(data, (np.ndarray, np.generic)) and np.issubdtype(data.dtype, np.inexact) \
            and not np.all(np.isfinite(data)):
        raise AnomalyError(f"anomaly: {what} produced NaN or inf; the op was created at "
                           f"{getattr(node, 'created_at', '<unknown>')}")


# ---------------------------------------------------------------------------------------------
# The backward engine


def _raise_freed(node: Node) -> NoReturn:
    raise RuntimeError(
        f"Trying to backward through the graph a second time: {node!r} was freed by an earlier "
        "backward(). Specify retain_graph=True on the first backward() (or grad()) call if you need "
        "to backward through the graph again.")


def _check_saved_versions(node: Node) -> None:
    for saved in node.saved_arrays():
        changed = versions.changes_after(saved, node.sequence)
        if changed is not None:
            now, expected = changed
            shape = list(getattr(saved, "shape", ()))
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{saved.dtype} {shape}], which is saved by {node!r}, is at version {now}; expected "
                f"version {expected} instead. Hint: change the in-place operation (x.mul_(2), x[i] = v, x += 1, "
                "an optimizer step...) to an out-of-place one, or run it after backward().")


def _check_not_overwritten(node: Node, consumer_time: int) -> None:
    """`node`'s result must not have been changed by a recorded in-place op on another tensor (a view of
    it) before `consumer_time`: its gradient history would not describe the values that were used."""
    writer = versions.tracked_writes_between(node.array, node.sequence, consumer_time, node.sequence)
    if writer is not None:
        raise RuntimeError(
            f"the result of {node!r} (shape {list(np.shape(node.array))}) was modified in place through a view of "
            "it after it was computed, and then used; differentiating through an in-place write to a view of a "
            "tensor in the graph is not supported. Write to the tensor itself (x[index] = value, x.mul_(2)) or use "
            "out-of-place ops.")


# Called as observer(node, grad_output, input_grads) for every node the engine runs, in its order (viz's
# animate_backward reads it); None, the default, costs one comparison per node.
_observer: Callable[[Node, Any, tuple], None] | None = None


@contextmanager
def observe_backward(observer: Callable[[Node, Any, tuple], None]) -> Iterator[None]:
    """Within the block, every backward pass (in any thread) reports each node it runs, in its execution
    order, as `observer(node, grad_output, input_grads)` (input_grads before summing to the inputs' shapes)."""
    global _observer
    previous, _observer = _observer, observer
    try:
        yield
    finally:
        _observer = previous


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
    ready: list[tuple[int, Node]] = []  # (-sequence, node): heapq pops the newest node first
    last_write, tracked_write = versions.latest_write, versions.latest_tracked_write
    for root, g in zip(roots, root_grads):
        if root.grad_fn is not None and root.grad_fn.sequence < tracked_write:
            _check_not_overwritten(root.grad_fn, next(_clock))
        _receive(grads, ready, root.grad_fn or root, g)
    wanted_nodes = {t.grad_fn: i for i, t in enumerate(wanted or ()) if t.grad_fn is not None}
    found: list[Any] = [None] * len(wanted or ())
    previous_mode, anomaly = mode.enabled, mode.anomaly
    watch_views = tracked_write >= 0
    hooked = bool(grad_hooks.entries or retained.entries)
    observe = _observer
    mode.enabled = create_graph
    pop = grads.pop
    try:
        while ready:
            node = heappop(ready)[1]
            g = pop(node)
            edges = node.edges
            if edges is None:  # a root; other freed nodes are caught through their consumer's edge
                _raise_freed(node)
            if hooked:
                g = run_hooks(node, g)
            if node.sequence < last_write:
                _check_saved_versions(node)
            if wanted_nodes and node in wanted_nodes:
                found[wanted_nodes[node]] = g
            if retain_graph:
                node.grad_output = g
            input_grads = node.differentiable_backward(g) if create_graph else node.backward(node, g)
            if type(input_grads) is not tuple:
                input_grads = (input_grads,)
            if len(input_grads) != len(edges):
                raise RuntimeError(f"{type(node).__name__}.backward returned {len(input_grads)} gradients, "
                                   f"expected {len(edges)} (one per forward input)")
            if observe is not None:
                observe(node, g, input_grads)
            for edge, pg, needed in zip(edges, input_grads, node.needs_input_grad):
                if pg is None or not needed:
                    continue
                data = edge.array
                if data is None:
                    _raise_freed(edge)
                if watch_views and isinstance(edge, Node) and edge.sequence < tracked_write:
                    _check_not_overwritten(edge, node.sequence)
                if pg.shape != data.shape:
                    pg = _reduce_to_input(pg, data.shape, node)
                if pg.dtype is not data.dtype and pg.dtype != data.dtype:
                    pg = cast(pg, data.dtype)
                if anomaly:
                    check_finite(pg, f"{node.op_name()} backward", node)
                previous = grads.get(edge)  # _receive, inlined: this runs once per edge
                if previous is not None:
                    grads[edge] = previous + pg
                else:
                    grads[edge] = pg
                    if isinstance(edge, Node):
                        heappush(ready, (-edge.sequence, edge))
            if not retain_graph:
                node.edges = node.saved_tensors = node.array = None
        if hooked:
            for key in [k for k in grads if isinstance(k, Tensor)]:
                grads[key] = run_hooks(key, grads[key])
    finally:
        mode.enabled = previous_mode
    if wanted is not None:
        for i, t in enumerate(wanted):
            if t.grad_fn is None:
                found[i] = grads.get(t)
        return [g if g is None or isinstance(g, Tensor) else Tensor._make(np.asarray(g)) for g in found]
    given: set[int] = set()
    for leaf, g in grads.items():
        if isinstance(leaf, Tensor):
            accumulate_grad(leaf, g, given)
    return None


def _receive(grads: dict, ready: list, key: Any, g: Any) -> None:
    """Add `g` to the gradient of `key` (a node, or a leaf Tensor: its own key); a node that
    receives its first gradient joins the heap of nodes to run."""
    previous = grads.get(key)
    if previous is not None:
        grads[key] = previous + g
    else:
        grads[key] = g
        if isinstance(key, Node):
            heappush(ready, (-key.sequence, key))


def accumulate_grad(tensor: Tensor, g: Any, given: set[int]) -> None:
    """Add `g` to `tensor.grad` (as torch's AccumulateGrad), then run its post-accumulate hooks."""
    if not isinstance(g, Tensor):
        # .grad must be a plain array users may edit in place: copy numpy scalars, broadcast views
        # and memory already handed to another leaf (add's backward passes one gradient to both operands)
        owner = id(g if g.base is None else g.base)
        if not g.flags.writeable or owner in given:
            g = np.array(g)
        given.add(owner)
        g = Tensor._make(g)
    tensor.grad = g if tensor.grad is None else tensor.grad + g
    if post_accumulate_hooks.entries:
        for hook in list(post_accumulate_hooks.get(tensor, ())):
            hook(tensor)


def _reduce_to_input(g: Any, shape: tuple[int, ...], node: Node) -> Any:
    try:
        return sum_to(g, shape)
    except ValueError:
        raise ShapeError(f"{node.name()} returned a gradient of shape {tuple(g.shape)} "
                         f"for an input of shape {shape}") from None


# ---------------------------------------------------------------------------------------------
# Public entry points


def backward(tensors: Tensor | Sequence[Tensor], grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None) -> None:
    """Accumulate d(tensors)/d(leaf) into every leaf's `.grad` (torch.autograd.backward).

    With `inputs`, only those tensors' `.grad` are filled (leaves or not)."""
    if isinstance(tensors, Tensor) and inputs is None and not isinstance(grad_tensors, (list, tuple)):
        if not tensors.requires_grad:  # the common call, loss.backward(): no lists to build
            raise RuntimeError("backward: element 0 of tensors does not require grad and does not have a grad_fn")
        backpropagate([tensors], [_root_gradient(tensors, grad_tensors, "backward")], retain_graph, create_graph)
        return
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, (Tensor, np.ndarray)):
        grad_tensors = [grad_tensors] * len(tensors) if grad_tensors is None else [grad_tensors]
    for i, t in enumerate(tensors):
        if not t.requires_grad:
            raise RuntimeError(f"backward: element {i} of tensors does not require grad and does not have a grad_fn")
    root_grads = [_root_gradient(t, g, "backward") for t, g in zip(tensors, grad_tensors)]
    if inputs is None:
        backpropagate(tensors, root_grads, retain_graph, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if not inputs:
        raise RuntimeError("backward: 'inputs' argument to backward() cannot be empty")
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("backward: one of the inputs does not require grad")
    found = backpropagate(tensors, root_grads, retain_graph, create_graph, wanted=inputs)
    given: set[int] = set()
    for t, g in zip(inputs, found or ()):
        if g is not None:
            accumulate_grad(t, g if create_graph else g.array, given)


def _root_gradient(tensor: Tensor, gradient: Any, op: str) -> Any:
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs, but the output "
                               f"has shape {tensor.shape}; pass gradient= (grad_outputs=) of that shape")
        return np.ones(tensor.shape, tensor.array.dtype)
    g: Any
    if isinstance(gradient, Tensor) and gradient.requires_grad:
        g = gradient
    else:  # a copy, so that no .grad aliases the caller's array
        g = np.array(gradient.array if isinstance(gradient, Tensor) else gradient, dtype=tensor.array.dtype)
    if tuple(g.shape) != tensor.shape:
        raise ShapeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has shape {tensor.shape}")
    return g


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool | None = None, materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
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
    if allow_unused is None:
        allow_unused = materialize_grads
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
    assert found is not None  # given `wanted`, backpropagate returns their gradients
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {inputs[i].shape}) was not used in the graph of the "
                               "outputs; pass allow_unused=True to get None for it")
        if g is None and materialize_grads:
            found[i] = Tensor._make(np.zeros(inputs[i].shape, inputs[i].array.dtype))
    return tuple(found)
