"""Capture: run the step eagerly once while recording, at the level of the numpy work, everything it
computes: each primitive's forward, each backward rule the engine runs, the engine's sums and casts
of gradients, the leaves' .grad, and each optimizer update.

Recording is switched on by swapping a handful of entry points for recording versions, only for
the duration of the capture (`Capture.active`); eager code pays nothing for it. Values are followed
by identity: every array a recorded piece of work produces gets a `Var`, and an array met later is
looked up by `id` (the capture keeps every array alive, so ids are not reused).
"""
from __future__ import annotations

import contextlib
import heapq
from typing import Any, Callable, Iterator

import numpy as np

from .. import random as package_random
from ..autograd import engine, versions
from ..autograd.engine import Node, Primitive
from ..autograd.grad_mode import mode
from ..nn.module import Module
from ..optim.optimizer import Optimizer
from ..tensor import Tensor
from . import emitters
from .program import Instr, Var

class GraphBreak(Exception):
    """A value of the step was read back into Python, so the step cannot be one straight-line program."""

    def __init__(self, reason: str, where: str):
        super().__init__(f"{reason} at {where}")
        self.reason, self.where = reason, where


class Capture:
    """The record of one traced call: Vars, Instrs and what the replay must read and write."""

    active: Capture | None = None

    def __init__(self, fullgraph: bool, roots: dict[str, Module]):
        self.fullgraph = fullgraph
        self.module_names: dict[int, str] = {}
        self.tensor_names: dict[int, str] = {}
        for root_name, root in roots.items():
            self.name_modules(root_name, root)
        self.vars: dict[int, Var] = {}
        self.untracked: dict[int, str] = {}  # id -> where: arrays made outside any recorded op (a comparison...)
        self.by_address: dict[tuple, Var] = {}  # (memory address, bytes, dtype) -> the input or parameter there
        self.keep: list[Any] = []  # every array seen: their ids stay unique while capturing
        self.instrs: list[Instr] = []
        self.externals: list[Var] = []  # parameters, incoming grads, optimizer state and groups, in first use order
        self.modules: dict[int, Module] = {}  # every module called: their `training` flags are guarded
        self.module_stack: list[Module] = []
        self.forward_records: dict[int, Any] = {}  # id(node) -> what the node's backward emitter needs
        self.grads_set: list[tuple[Tensor, Var]] = []  # (leaf, its new .grad)
        self.readbacks: list[tuple[Any, Var, str, str]] = []  # (Python value, its Var, how it was read, where)
        self.broken: str | None = None  # why recording stopped (the step then runs on eagerly)
        self.phase = "forward"
        self.depth = 0  # >0 inside a recorded op: its own numpy work is not recorded again

    def name_modules(self, root_name: str, root: Module) -> None:
        """Names for `root`, its submodules and their parameters, for the comments and variable names."""
        for path, module in root.named_modules():
            self.module_names.setdefault(id(module), f"{root_name}.{path}" if path else root_name)
        for path, t in [*root.named_parameters(), *root.named_buffers()]:
            self.tensor_names.setdefault(id(t), f"{root_name}.{path}")

    def give_up(self, reason: str, where: str) -> None:
        """Stop recording: with fullgraph=True an error, otherwise the step finishes eagerly."""
        if self.fullgraph:
            raise GraphBreak(reason, where)
        if self.broken is None:
            self.broken = f"{reason} at {where}"

    # -- Vars ------------------------------------------------------------------------------------
    def new(self, value: Any, kind: str = "temp", hint: str = "t", source: Any = None) -> Var:
        var = Var(kind, value, hint, source)
        self.vars[id(value)] = var
        if kind in ("input", "param") and isinstance(value, np.ndarray):  # what views are looked up against
            self.by_address.setdefault(_address(value), var)
        self.keep.append(value)
        return var

    def var_of_tensor(self, t: Tensor) -> Var:
        """The Var of a Tensor's array met as an op's input: known, or a parameter/buffer from outside the
        step, or a constant made inside it."""
        array = t.array
        var = self.vars.get(id(array))
        if var is not None:
            return var
        if t.grad_fn is not None:
            self.give_up("a tensor from a graph built outside the step", user_line())
        if t.requires_grad or id(t) in self.tensor_names:
            var = self.new(array, "param", self.tensor_name(t), source=t)
            self.externals.append(var)
            return var
        return self.value(array)

    def value(self, value: Any) -> Any:
        """An op's non-Tensor argument: a Var for an array (known, a view of a known one, or a constant),
        the value itself for anything else (rendered as a literal or a namespace constant)."""
        if isinstance(value, (np.ndarray, np.generic)):
            var = self.vars.get(id(value))
            if var is not None:
                return var
            known = self.by_address.get(_address(value)) \
                if isinstance(value, np.ndarray) and value.base is not None else None
            if known is not None and value.flags.c_contiguous and known.value.flags.c_contiguous:
                view = self.new(value, "temp", known.hint)
                view.view_of = [known]
                self.add(Instr([known], [view], _reshape_line(view, known), "a view of the same memory"))
                return view
            if id(value) in self.untracked:
                self.give_up("a tensor computed by an operation that has no recorded form", self.untracked[id(value)])
            return self.new(value, "const", "const")
        if isinstance(value, tuple):
            return tuple(self.value(v) for v in value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def tensor_name(self, t: Tensor) -> str:
        return self.tensor_names.get(id(t), "param")

    def add(self, instr: Instr) -> Instr:
        instr.phase = self.phase
        self.instrs.append(instr)
        return instr

    def layer(self) -> str:
        """Where the current op is: the innermost module being called, as 'model.0 (Linear)'."""
        for module in reversed(self.module_stack):
            name = self.module_names.get(id(module))
            if name is not None:
                return f"{name} ({type(module).__name__})"
        return ""

    # -- recording -------------------------------------------------------------------------------
    def record_primitive(self, cls: type, args: tuple, options: dict, result: Tensor) -> None:
        reads = [self.var_of_tensor(a) if isinstance(a, Tensor) else self.value(a) for a in args]
        opts = {k: self.value(v) for k, v in options.items()}
        out = self.new(result.array, "temp", cls.__name__.lower(), source=self.layer())
        node = result.grad_fn
        needs = node.needs_input_grad if node is not None else (False,) * len(args)
        emitter = emitters.FORWARD.get(cls)
        where = self.layer()
        state = emitter(self, reads, opts, out, needs, where) if emitter is not None else None
        if state is None:
            state = self.fallback_forward(cls, reads, opts, out, needs, where)
        if node is not None:
            self.forward_records[id(node)] = state
            self.keep.append(node)

    def fallback_forward(self, cls: type, reads: list, opts: dict, out: Var, needs: tuple, where: str) -> Any:
        ctx = Var("object", None, f"ctx_{cls.__name__.lower()}")
        array_reads = _vars_in(reads) + _vars_in(list(opts.values()))
        out.view_of = list(array_reads)  # the op may return a view of an input

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            args = ", ".join([n(cls), n(needs)] + [n(r) for r in reads] + [f"{k}={n(v)}" for k, v in opts.items()])
            return [f"{n(out)}, {n(ctx)} = run_forward({args})"]
        self.add(Instr(array_reads, [out, ctx], render, f"{cls.__name__.lower()} {where}".strip()))
        return ("fallback", ctx, array_reads + [out])

    def record_backward(self, node: Node, g: Var, grads: tuple) -> list[Var | None]:
        """The Vars of the gradients `node`'s backward returned for its inputs (None where none)."""
        outs: list[Var | None] = []
        fresh: list[Var] = []
        for a, needed in zip(grads, node.needs_input_grad):
            known = None if a is None else self.vars.get(id(a))
            if a is None or not needed or known is not None:
                outs.append(known if needed else None)  # add's backward hands `g` itself on: no new value
            else:
                made = self.new(a, "temp", "grad")
                outs.append(made)
                fresh.append(made)
        record = self.forward_records[id(node)]
        name = node.name()
        if record[0] != "fallback":
            emitters.BACKWARD[type(node)](self, record, g, outs, name)
            return outs
        _, ctx, saved = record
        for o in fresh:
            o.view_of = [g] + saved

        def render(n: Callable[[Any], str], b: Callable[[Var], str]) -> list[str]:
            targets = ", ".join(n(o) if any(o is f for f in fresh) else "_" for o in outs)
            return [f"{targets}{',' if len(outs) == 1 else ''} = as_tuple({n(type(node))}.backward({n(ctx)}, {n(g)}))"]
        self.add(Instr([g] + saved, fresh, render, name))
        return outs

    def record_readback(self, tensor: Tensor, how: str, result: Any) -> Any:
        var = self.vars.get(id(tensor.array))
        where = user_line()
        if var is None and id(tensor.array) not in self.untracked or var is not None and var.kind == "const":
            return result  # a value fixed at capture (a constant): reading it changes nothing
        if self.fullgraph:
            raise GraphBreak(f"{how} reads a value of the step back into Python (fullgraph=True)", where)
        if var is None:  # computed outside the recorded ops: it cannot become an output either
            self.give_up(f"{how} reads a value of the step back into Python", where)
            return result
        self.readbacks.append((result, var, how, where))
        return result


def _reshape_line(view: Var, known: Var) -> Any:
    return lambda n, b: [f"{n(view)} = {n(known)}.reshape({view.shape})"]


def _address(array: np.ndarray) -> tuple:
    return (array.__array_interface__["data"][0], array.nbytes, array.dtype.str)


def _vars_in(values: Any) -> list[Var]:
    found: list[Var] = []
    for v in values:
        if isinstance(v, Var):
            found.append(v)
        elif isinstance(v, (tuple, list)):
            found += _vars_in(v)
    return found


user_line = engine.user_frame  # the innermost line of user code on the stack, as 'File ..., line N: source'


# ---------------------------------------------------------------------------------------------
# The recording versions of the entry points, swapped in only while capturing

_original_apply = Primitive.__dict__["apply"].__func__
_original_backpropagate = engine.backpropagate
_original_module_call = Module.__call__
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
        capture.phase = "forward"
    return None


def _hooked(roots: Any) -> bool:
    """Whether a node or leaf of the graph below `roots` has a hook (or a retained grad)."""
    from ..autograd.hooks import grad_hooks, post_accumulate_hooks, retained
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


def _run_backward(capture: Capture, node: Node, g: Var, grads: dict, ready: list) -> None:
    """One node of the chain rule: its backward, then each input's share, summed where paths meet."""
    if node.edges is None:
        engine._raise_freed(node)
    if node.sequence < versions.latest_write:
        engine._check_saved_versions(node)
    outs: list[Var | None]
    if isinstance(node, Primitive):
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
        capture.phase = "forward"
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


def _readback(name: str, how: str) -> Callable[..., Any]:
    original = Tensor.__dict__[name]

    def read(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        capture = Capture.active
        result = original(self, *args, **kwargs)
        if capture is None or capture.depth or capture.broken:
            return result
        return capture.record_readback(self, how, result)
    return read


_READBACKS = {"item": ".item()", "tolist": ".tolist()", "__float__": "float(tensor)", "__int__": "int(tensor)",
              "__bool__": "bool(tensor) (an if or while on a tensor)", "numpy": ".numpy()",
              "__repr__": "printing a tensor", "__index__": "using a tensor as an index"}


class Drawn(np.ndarray):
    """Random numbers drawn while capturing, and arrays computed from them outside any op (dropout's
    mask): numpy's own protocol records those computations, so a replay draws afresh and recomputes."""

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        plain = tuple(i.view(np.ndarray) if isinstance(i, Drawn) else i for i in inputs)
        result = getattr(ufunc, method)(*plain, **kwargs)
        capture = Capture.active
        if capture is None or capture.depth or capture.broken or method != "__call__" or kwargs:
            return result
        reads = [capture.value(i) for i in inputs]
        return _drawn(capture, result, lambda n: f"np.{ufunc.__name__}({', '.join(n(r) for r in reads)})",
                      [r for r in reads if isinstance(r, Var)], ufunc.__name__)

    def astype(self, dtype: Any, *args: Any, **kwargs: Any) -> Any:
        result = self.view(np.ndarray).astype(dtype, *args, **kwargs)
        capture = Capture.active
        if capture is None or capture.depth or capture.broken:
            return result
        source = capture.value(self)
        return _drawn(capture, result, lambda n: f"{n(source)}.astype({n(np.dtype(dtype))})", [source], "cast")


def _drawn(capture: Capture, value: Any, expression: Callable[[Callable[[Any], str]], str], reads: list[Var],
           hint: str) -> Any:
    if not isinstance(value, np.ndarray):
        return value
    value = value.view(Drawn)
    var = capture.new(value, "temp", hint)
    capture.add(Instr(reads, [var], lambda n, b: [f"{n(var)} = {expression(n)}"], f"random {capture.layer()}".strip()))
    return value


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
            return _drawn(capture, value, expression, [r for r in reads if isinstance(r, Var)], "drawn")
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
        for cls in _optimizer_classes():
            _original_updates[cls] = cls.__dict__["update"]
            swap(cls, "update", _recording_update)
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
