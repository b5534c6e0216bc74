"""The recording versions of the entry points a capture swaps in, only for the duration of one call
(`capturing`): Primitive.apply, the engine's backpropagate, each optimizer's update, Module.__call__,
Tensor._make, the write every Tensor in-place op ends with (inplace.store), the Tensor methods that read
values back into Python, detach() and .data (views made outside the ops), .grad (read and set by the step's
own code), zero_grads, the constructors' creation.leaf and Tensor._leaf, the constants ops make of Python
numbers (elementwise._constant), comparisons and logical ops (compare), argmax's indices (reduce.arg_indices),
and the package's generator."""
from __future__ import annotations

import contextlib
import heapq
import operator
from typing import Any, Callable, Iterator

import numpy as np

from .. import creation, sampling
from .. import random as package_random
from ..autograd import engine, inplace, versions
from ..autograd.engine import Node, Primitive
from ..autograd.grad_mode import mode
from ..autograd.hooks import grad_hooks, post_accumulate_hooks, retained
from ..nn import init as nn_init
from ..nn.module import Module
from ..nn import module
from ..ops import binary, elementwise, index, movement, reduce, scan, sorting, unary
from ..optim import optimizer
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import emitters, runtime
from .capture import Capture, user_line
from .program import Instr, Var


_original_apply = Primitive.__dict__["apply"].__func__
_original_backpropagate = engine.backpropagate
_original_module_call = Module.__call__
_original_store = inplace.store
_original_updates: dict[type, Callable[..., None]] = {}


def _recording_apply(cls: type, *args: Any, **options: Any) -> Tensor:
    capture = Capture.active
    if capture is None or capture.depth or capture.broken:
        return _original_apply(cls, *args, **options)
    capture.depth += 1
    try:
        result = _original_apply(cls, *args, **options)
    finally:
        capture.depth -= 1
    capture.record_primitive(cls, args, options, result)
    return result


def _recording_backpropagate(roots: Any, root_grads: Any, retain_graph: Any, create_graph: bool,
                             wanted: Any = None) -> Any:
    """The chain rule, run for real and recorded: the engine's order (newest node first), its sums of
    gradient contributions (`a + b`, in arrival order), casts and reductions to each input's shape."""
    capture = Capture.active
    assert capture is not None
    if create_graph or wanted is not None or retain_graph:
        capture.give_up("backward with create_graph, retain_graph, inputs= or autograd.grad()", user_line())
    if _hooked(roots):
        capture.give_up("backward through a tensor with hooks or retain_grad()", user_line())
    if capture.broken:
        return _original_backpropagate(roots, root_grads, retain_graph, create_graph, wanted)
    capture.phase = "backward"
    grads: dict[Any, Var] = {}
    ready: list[tuple[int, Node]] = []
    for root, g in zip(roots, root_grads):
        key = root.grad_fn or root
        grads[key] = capture.new(g, "const", "ones")
        if isinstance(key, Node):
            heapq.heappush(ready, (-key.sequence, key))
    previous = mode.enabled
    mode.enabled = False
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            _run_backward(capture, node, grads.pop(node), grads, ready)
        given: set[int] = set()
        for leaf, g in grads.items():
            if isinstance(leaf, Tensor):
                emitters.accumulate_grad(capture, leaf, g, given)
    finally:
        mode.enabled = previous
        capture.phase = "ops"
    return None


def _hooked(roots: Any) -> bool:
    """Whether a node or leaf of the graph below `roots` has a hook (or a retained grad)."""
    if not (grad_hooks or retained or post_accumulate_hooks):
        return False
    todo, seen = [r.grad_fn or r for r in roots], set()
    while todo:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if item in grad_hooks or item in retained or item in post_accumulate_hooks:
            return True
        if isinstance(item, Node):
            todo += [e for e in item.edges or () if e is not None]
    return False


def record_later_backward(capture: Capture, root: Tensor, g: Var) -> dict[Tensor, Var]:
    """The chain rule from `root` with the gradient `g`, recorded as a later `root.backward(g)` would run
    it, without touching any .grad or freeing the graph (the caller's own backward still runs it):
    each leaf's gradient Var."""
    if _hooked([root]):
        capture.give_up("a result with hooks in its graph", user_line())
        return {}
    phase, capture.phase = capture.phase, "backward"
    grads: dict[Any, Var] = {root.grad_fn: g}
    ready: list[tuple[int, Node]] = [(-root.grad_fn.sequence, root.grad_fn)]
    previous = mode.enabled
    mode.enabled = False
    try:
        while ready:
            node = heapq.heappop(ready)[1]
            _run_backward(capture, node, grads.pop(node), grads, ready, free=False)
    except RuntimeError as error:  # (a saved value written in place since): eager raises when backward runs
        capture.give_up(f"the result's backward would fail ({error})", user_line())
        return {}
    finally:
        mode.enabled = previous
        capture.phase = phase
    return {leaf: var for leaf, var in grads.items() if isinstance(leaf, Tensor)}


def _run_backward(capture: Capture, node: Node, g: Var, grads: dict, ready: list, free: bool = True) -> None:
    """One node of the chain rule: its backward, then each input's share, summed where paths meet."""
    if node.edges is None:
        engine._raise_freed(node)
    if node.sequence < versions.latest_write:
        engine._check_saved_versions(node)
    outs: list[Var | None]
    if id(node) in capture.graph_inputs:
        outs = capture.record_graph_backward(node, g, runtime.as_tuple(type(node).backward(node, g.value)))
    elif isinstance(node, Primitive):
        capture.depth += 1
        try:
            input_grads = node.backward(node, g.value)
        finally:
            capture.depth -= 1
        outs = capture.record_backward(node, g, input_grads if type(input_grads) is tuple else (input_grads,))
    else:  # a user Function: the Tensor ops of its backward were recorded one by one
        input_grads = node.backward(node, g.value)
        outs = [None if a is None else capture.value(a) for a in
                (input_grads if type(input_grads) is tuple else (input_grads,))]
    for edge, pg, needed in zip(node.edges, outs, node.needs_input_grad):
        if pg is None or not needed:
            continue
        pg = _to_input(capture, pg, edge.array, node)
        earlier = grads.get(edge)
        if earlier is not None:
            grads[edge] = emitters.add_gradients(capture, earlier, pg)
        else:
            grads[edge] = pg
            if isinstance(edge, Node):
                heapq.heappush(ready, (-edge.sequence, edge))
    if free:
        node.edges = node.saved_tensors = node.array = None


def _to_input(capture: Capture, pg: Var, data: Any, node: Node) -> Var:
    """The engine's reduction of a broadcast gradient to its input's shape, and cast to its dtype."""
    if pg.shape != data.shape:
        pg = emitters.call(capture, engine._reduce_to_input, (pg, data.shape, node), "grad", "unbroadcast")
    if pg.dtype != data.dtype:
        pg = emitters.call(capture, engine.cast, (pg, data.dtype), "grad", "cast")
    return pg


def _recording_update(self: Optimizer, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
    capture = Capture.active
    assert capture is not None
    original = next(_original_updates[c] for c in type(self).__mro__ if c in _original_updates)
    if capture.broken:
        return original(self, param, grad, state, group)
    capture.phase = "optimizer"
    try:
        emitters.optimizer_update(capture, self, param, grad, state, group)
    finally:
        capture.phase = "ops"
    capture.depth += 1
    try:
        original(self, param, grad, state, group)
    finally:
        capture.depth -= 1


def _recording_module_call(self: Module, *args: Any, **kwargs: Any) -> Any:
    capture = Capture.active
    assert capture is not None
    capture.modules[id(self)] = self
    if id(self) not in capture.module_names and not capture.module_stack:
        capture.name_modules(type(self).__name__.lower(), self)
    capture.module_stack.append(self)
    try:
        return _original_module_call(self, *args, **kwargs)
    finally:
        capture.module_stack.pop()


_original_make = Tensor.__dict__["_make"].__func__


def _recording_make(data: Any, grad_fn: Any = None) -> Tensor:
    """Tensor._make outside a recorded op: an array the capture has not seen was computed by plain numpy
    code (a comparison, an argmax...); it is marked, and using it stops the capture."""
    capture = Capture.active
    if capture is not None and not capture.depth and isinstance(data, (np.ndarray, np.generic)) \
            and id(data) not in capture.vars and id(data) not in capture.untracked:
        capture.untracked[id(data)] = user_line()
        capture.keep.append(data)
    return _original_make(data, grad_fn)


def _recording_store(tensor: Tensor, name: str, result: Any, writer: int = versions.UNTRACKED, steps: tuple = (),
                     casting: Any = "same_kind") -> None:
    """inplace.store, the write every Tensor in-place op ends with, run and recorded (outside recorded ops)."""
    before = tensor.array
    _original_store(tensor, name, result, writer, steps, casting)
    capture = Capture.active
    if capture is not None and not capture.depth and not capture.broken:
        capture.record_store(tensor, before, result, steps)


_original_detach = Tensor.__dict__["detach"]
_original_data = Tensor.__dict__["data"]


def _recording_detach(self: Tensor) -> Tensor:
    """Tensor.detach: a view of the same memory, recorded as one."""
    result: Tensor = _original_detach(self)
    _record_alias(self, result)
    return result


def _recording_data(self: Tensor) -> Tensor:
    """Tensor.data's getter: a view of the same memory, recorded as one."""
    result: Tensor = _original_data.fget(self)
    _record_alias(self, result)
    return result


def _recording_data_set(self: Tensor, other: Tensor) -> None:
    """Tensor.data's setter: it rebinds the tensor to other memory, which a replay cannot do."""
    _original_data.fset(self, other)
    capture = Capture.active
    if capture is not None and not capture.depth:
        capture.give_up("an assignment to .data (the replay cannot give a tensor other memory)", user_line())


def _record_alias(tensor: Tensor, alias: Tensor) -> None:
    capture = Capture.active
    if capture is not None and not capture.depth and not capture.broken:
        capture.record_alias(tensor, alias.array)


_grad_slot = Tensor.__dict__["grad"]


def _recording_grad_get(self: Tensor) -> Tensor | None:
    grad: Tensor | None = _grad_slot.__get__(self, Tensor)
    capture = Capture.active
    if capture is not None:
        capture.grads_before.setdefault(id(self), (self, grad, False))
    if grad is not None and capture is not None and not capture.depth and not capture.broken:
        capture.record_grad_read(self, grad)
    return grad


def _recording_grad_set(self: Tensor, grad: Tensor | None) -> None:
    try:
        before = _grad_slot.__get__(self, Tensor)
    except AttributeError:  # a Tensor being made
        before = None
    _grad_slot.__set__(self, grad)
    capture = Capture.active
    if capture is not None:
        capture.grads_before.setdefault(id(self), (self, before, grad is None))
    if grad is not before and capture is not None and not capture.depth and not capture.broken:
        capture.record_grad_set(self, grad)


_original_zero_grads = optimizer.zero_grads


def _recording_zero_grads(params: Any, set_to_none: bool = True) -> None:
    """zero_grads: with set_to_none=False, each .grad becomes a fresh array of zeros, at replay too (set_to_none
    is recorded by the .grad setter)."""
    capture = Capture.active
    if capture is None or capture.depth or capture.broken or set_to_none:
        return _original_zero_grads(params, set_to_none)
    params = list(params)
    capture.depth += 1
    try:
        _original_zero_grads(params, set_to_none)
        zeroed = [(p, p.grad.array) for p in params if p.grad is not None]
    finally:
        capture.depth -= 1
    for p, zeros in zeroed:
        capture.record_zeroed_grad(p, zeros)


_original_creation_leaf = creation.leaf
_CONSTANT_MAKERS = {"zeros", "ones", "full", "eye", "arange", "linspace", "logspace", "zeros_like", "ones_like",
                    "full_like"}  # their values follow from Python numbers and shapes, which the guard holds


def _recording_creation_leaf(array: np.ndarray, requires_grad: bool, device: Any, op: str) -> Tensor:
    """creation.leaf (te.zeros, te.arange, te.ones_like...): a tensor made inside the step, a constant of the
    program when its values follow from the constructor's arguments alone."""
    capture = Capture.active
    if capture is None or capture.depth:
        return _original_creation_leaf(array, requires_grad, device, op)
    capture.depth += 1
    try:
        t = _original_creation_leaf(array, requires_grad, device, op)
    finally:
        capture.depth -= 1
    capture.created.add(id(t))
    capture.keep.append(t)
    if id(array) in capture.vars:  # random numbers, followed
        return t
    if op in _CONSTANT_MAKERS and not requires_grad:
        capture.new(array, "const", op)
    else:
        capture.untracked[id(array)] = user_line()
        capture.keep.append(array)
    return t


_original_leaf = Tensor.__dict__["_leaf"].__func__
_original_constant = elementwise._constant


def _recording_leaf(array: Any, requires_grad: bool = False) -> Tensor:
    """Tensor._leaf (the constructors' path): a tensor made inside the step is noted, so that an in-place write
    into it stops the capture (a replay would start from the value the last call left in it)."""
    t = _original_leaf(array, requires_grad)
    capture = Capture.active
    if capture is not None and not capture.depth:
        capture.created.add(id(t))
        capture.keep.append(t)
    return t


def _recording_constant(value: Any, like: Tensor) -> Tensor:
    """elementwise._constant: a Python number an op promotes to a tensor is a constant of the program."""
    t = _original_constant(value, like)
    capture = Capture.active
    if capture is not None and not capture.depth and id(t.array) not in capture.vars:
        capture.new(t.array, "const", "const")
    return t


_original_arg_indices = reduce.arg_indices


def _recording_arg_indices(fn: Any, array: np.ndarray, axis: int | None, keepdim: bool) -> np.ndarray:
    """reduce.arg_indices (argmax, argmin: indices outside the graph), run and recorded as its numpy call."""
    result = _original_arg_indices(fn, array, axis, keepdim)
    capture = Capture.active
    if capture is None or capture.depth or capture.broken:
        return result
    source = capture.value(array)
    var = capture.new(result, "temp", fn.__name__)
    capture.add(Instr([source], [var], lambda n, _: [
        f"{n(var)} = np.asarray(np.{fn.__name__}({n(source)}, axis={axis!r}, keepdims={keepdim!r}), dtype=np.int64)"],
        f"{fn.__name__} {capture.layer()}".strip()))
    return result


_original_compare = elementwise.compare
_UFUNCS = {operator.eq: np.equal, operator.ne: np.not_equal, operator.lt: np.less, operator.le: np.less_equal,
           operator.gt: np.greater, operator.ge: np.greater_equal, operator.and_: np.bitwise_and,
           operator.or_: np.bitwise_or, operator.xor: np.bitwise_xor}


def _recording_compare(a: Any, b: Any, op: Any) -> Tensor:
    """elementwise.compare (a comparison, a logical or bitwise op: a bool tensor outside the graph), run and
    recorded as the numpy ufunc it is, on its operands promoted as eager promotes them."""
    capture = Capture.active
    ufunc = _UFUNCS.get(op, op)
    if capture is None or capture.depth or capture.broken or not isinstance(ufunc, np.ufunc):
        return _original_compare(a, b, op)
    a, b = elementwise.promote_to_tensors(a, b)  # a cast is recorded; a number becomes a constant
    reads = [capture.var_of_tensor(t) for t in (a, b)]
    capture.depth += 1
    try:
        result = _original_compare(a, b, op)
    finally:
        capture.depth -= 1
    var = capture.new(result.array, "temp", ufunc.__name__)
    capture.add(Instr(reads, [var], lambda n, _: [f"{n(var)} = np.{ufunc.__name__}({n(reads[0])}, {n(reads[1])})"],
                      f"{ufunc.__name__} {capture.layer()}".strip()))
    return result


# functions that compute indices or masks from the step's values with plain numpy and hand them to an op as
# constants: a program would freeze them (the two captures agree when both see the same data); the second
# group only when given a tensor of indices, repeats or a mask
_FROM_VALUES = {unary: ("nan_to_num",), elementwise: ("fmax", "fmin"), scan: ("cummax", "cummin"),
                sorting: ("sort", "topk", "median", "kthvalue")}
_FROM_TENSOR_ARGUMENTS = {index: ("masked_select", "take_along_dim", "index_fill"), movement: ("repeat_interleave",)}


def _unrecordable(name: str, original: Callable[..., Any], always: bool) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        capture = Capture.active
        if capture is not None and not capture.depth and not capture.broken \
                and (always or any(isinstance(a, Tensor) for a in [*args[1:], *kwargs.values()])):
            capture.give_up(f"{name} computes from the step's values with numpy outside the recorded ops", user_line())
        return original(*args, **kwargs)
    return run


def _readback(name: str, how: str) -> Callable[..., Any]:
    original = Tensor.__dict__[name]

    def read(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        capture = Capture.active
        result = original(self, *args, **kwargs)
        if capture is None or capture.depth:
            return result
        return capture.record_readback(self, how, result)
    return read


_READBACKS = {"item": ".item()", "tolist": ".tolist()", "__float__": "float(tensor)", "__int__": "int(tensor)",
              "__bool__": "bool(tensor) (an if or while on a tensor)", "numpy": ".numpy()",
              "__repr__": "printing a tensor", "__index__": "using a tensor as an index"}


class RecordingGenerator:
    """The package's numpy generator while capturing: each draw becomes a line drawing afresh at replay."""

    def __init__(self, real: np.random.Generator, capture: Capture):
        self.real, self.capture = real, capture

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.real, name)
        if not callable(method):
            return method

        def draw(*args: Any, **kwargs: Any) -> Any:
            value = method(*args, **kwargs)
            capture = self.capture
            if capture.depth or capture.broken:
                return value
            reads = [capture.value(a) for a in args]
            options = {k: capture.value(v) for k, v in kwargs.items()}

            def expression(n: Callable[[Any], str]) -> str:
                parts = [n(a) for a in reads] + [f"{k}={n(v)}" for k, v in options.items()]
                return f"{n(package_random.generator)}().{name}({', '.join(parts)})"
            return capture.follow(value, expression, [r for r in reads if isinstance(r, Var)], "drawn", "random")
        return draw


@contextlib.contextmanager
def capturing(capture: Capture) -> Iterator[Capture]:
    """Swap in the recording entry points for the duration of one call."""
    saved: list[tuple[Any, str, Any]] = []

    def swap(owner: Any, name: str, new: Any) -> None:
        saved.append((owner, name, owner.__dict__[name]))
        setattr(owner, name, new)
    Capture.active = capture
    try:
        swap(Primitive, "apply", classmethod(_recording_apply))
        swap(engine, "backpropagate", _recording_backpropagate)
        swap(Module, "__call__", _recording_module_call)
        swap(Tensor, "_make", staticmethod(_recording_make))
        swap(Tensor, "_leaf", staticmethod(_recording_leaf))
        for owner in (creation, sampling):  # sampling imports it by name
            swap(owner, "leaf", _recording_creation_leaf)
        swap(Tensor, "detach", _recording_detach)
        swap(Tensor, "grad", property(_recording_grad_get, _recording_grad_set))
        for owner in (optimizer, module):  # nn.module imports it by name
            swap(owner, "zero_grads", _recording_zero_grads)
        swap(Tensor, "data", property(_recording_data, _recording_data_set))
        swap(elementwise, "_constant", _recording_constant)
        for owner in (inplace, nn_init):  # nn.init imports it by name
            swap(owner, "store", _recording_store)
        for owner in (elementwise, binary):
            swap(owner, "compare", _recording_compare)
        swap(reduce, "arg_indices", _recording_arg_indices)
        for cls in _optimizer_classes():
            _original_updates[cls] = cls.__dict__["update"]
            swap(cls, "update", _recording_update)
        for always, functions in ((True, _FROM_VALUES), (False, _FROM_TENSOR_ARGUMENTS)):
            for owner, names in functions.items():
                for name in names:
                    swap(owner, name, _unrecordable(name, owner.__dict__[name], always))
        for name, how in _READBACKS.items():
            swap(Tensor, name, _readback(name, how))
        generator = package_random.default_generator
        swap(generator, "numpy", RecordingGenerator(generator.numpy, capture))
        yield capture
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)
        Capture.active = None


def _optimizer_classes() -> list[type]:
    found, todo = [], list(Optimizer.__subclasses__())
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if "update" in cls.__dict__:
            found.append(cls)
    return found
