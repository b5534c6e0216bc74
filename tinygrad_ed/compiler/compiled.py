"""`te.compile`: the cache of captured programs per function, its guards, and the replay."""
from __future__ import annotations

import builtins
import functools
import inspect
import math
import time
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..autograd.grad_mode import mode
from ..autograd.versions import record_writes
from ..nn.module import Module
from ..tensor import Tensor
from . import codegen, runtime, stance
from .capture import Capture, GraphBreak, user_line
from .recording import capturing
from .resume import SplitFunction, lines_using, split_at
from .split import CompiledBackward, graph_alive, kept_tensors, needs_backward, rebuild, recipe, split_programs
from .program import Var

cache_size_limit = 8  # captures per compiled function before it runs eagerly for good (torch's recompile limit)
TORCH_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", "openxla", "tvm", "onnxrt")
_compiled: weakref.WeakSet = weakref.WeakSet()
_SCALARS = (int, float, str, bool, type(None))


@dataclass
class Entry:
    """One capture: the generated program and how to call it, or why the call runs eagerly."""
    source: str = ""
    replay: Callable[..., Any] | None = None
    eager_reason: str | None = None
    breaks: list[str] = field(default_factory=list)
    guards: list[str] = field(default_factory=list)
    op_count: int = 0
    compile_seconds: float = 0.0
    constants: list[tuple[Any, str]] = field(default_factory=list)  # (value, the op that read it), in order
    confirmed: bool = False  # captured twice with the same constants: replays from now on
    attempts: int = 1  # captures so far for this guard
    held: Any = None  # the captured call's arguments
    split: SplitFunction | None = None  # the function in pieces around its graph breaks


class CompiledFunction:
    """A function (or a Module's forward) whose calls are captured once per guard and then replayed.

    `code` is the generated numpy program of the latest capture; `entries` every capture's outcome.
    """

    def __init__(self, fn: Callable[..., Any], fullgraph: bool, dynamic: bool | None):
        self.fn = fn
        self.fullgraph, self.dynamic = fullgraph, dynamic
        self.__name__ = getattr(fn, "__name__", type(fn).__name__.lower())
        self.__doc__ = getattr(fn, "__doc__", None)
        self.cache: dict[Any, Entry] = {}
        self.watched_modules: list[Module] = []
        self.watched_tensors: list[Tensor] = []  # requires_grad guarded
        self.watched_grads: list[Tensor] = []  # `.grad is None` guarded: the program reads or sets their .grad
        self.watched_optimizers: list[Any] = []  # how many parameters each group holds: the program updates those
        self.key: Callable[..., Any] = self._first_key
        self.named_from = fn  # whose globals and closure name the modules and tensors in the program
        self.latest: Entry | None = None
        self.gave_up = False
        self.ran_eagerly = False  # the stance "eager_then_compile" ran a first call as plain Python
        _compiled.add(self)

    @property
    def code(self) -> str:
        """The generated source of the latest capture."""
        if self.latest is None:
            raise RuntimeError(f"{self.__name__}: not compiled yet; call it once first")
        if self.latest.split is not None:
            return self.latest.split.code(self.latest.breaks)
        return self.latest.source or f"# runs eagerly: {self.latest.eager_reason}\n"

    def __call__(self, /, *args: Any, **kwargs: Any) -> Any:
        if self.gave_up or Capture.active is not None or stance.current == "force_eager":
            return self.fn(*args, **kwargs)  # (inside another capture, the call is recorded as part of it)
        key = self.key(*args, **kwargs)
        entry = self.cache.get(key)
        if entry is None:
            if stance.current != "default" and not self._stance_captures(key):
                return self.fn(*args, **kwargs)
            if self.cache:
                stance.log("recompiles", f"Recompiling function {self.__name__}: {self._changed_guard(key)}")
            if len(self.cache) >= cache_size_limit:
                self.gave_up = True
                warnings.warn(f"te.compile: {self.__name__} was captured {cache_size_limit} times (each new shape, "
                              "dtype, requires_grad, training flag or grad mode needs its own capture); it runs "
                              "eagerly from now on. te.compiler.reset() starts over.", UserWarning, stacklevel=2)
                return self.fn(*args, **kwargs)
            return self._capture(args, kwargs, None)
        if not entry.confirmed:
            return self._capture(args, kwargs, entry)
        if entry.replay is None:
            return self.fn(*args, **kwargs)
        return entry.replay(*args, **kwargs)

    def _stance_captures(self, key: tuple) -> bool:
        """Whether the stance (te.compiler.set_stance) lets this call be captured; False: it runs as plain Python."""
        if stance.current.endswith("eager_then_compile") and not self.ran_eagerly:
            self.ran_eagerly = True
            return False
        if self.cache and stance.current == "fail_on_recompile":
            raise RuntimeError(f"Detected recompile when torch.compile stance is 'fail_on_recompile': {self.__name__} "
                               f"has no program for this call ({self._changed_guard(key)})")
        return not (self.cache and stance.current == "eager_on_recompile")

    def _changed_guard(self, key: tuple) -> str:
        """What differs between this call's key and the latest capture's, by its label (see _key_function)."""
        latest = next(reversed(self.cache), None)
        for label, now, then in zip(getattr(self.key, "labels", ()), key, latest or ()):
            if now != then:
                return f"{label} changed: {then!r} at capture, {now!r} now"
        return "a new guard key"

    def reset(self) -> None:
        self.cache.clear()
        self.watched_modules, self.watched_tensors, self.watched_grads, self.watched_optimizers = [], [], [], []
        self.key, self.latest, self.gave_up, self.ran_eagerly = self._first_key, None, False, False

    # -- capture ---------------------------------------------------------------------------------
    def _first_key(self, /, *args: Any, **kwargs: Any) -> Any:
        return None  # nothing captured yet: no entry matches

    def _capture(self, args: tuple, kwargs: dict, first: Entry | None) -> Any:
        """Run the call eagerly while recording it. Each guard's program is captured on two calls and
        kept only if both baked the same constants: a value computed from the step's data by plain
        numpy code outside the recorded ops (an argmax...) would otherwise be frozen into the program."""
        start = time.perf_counter()
        capture = Capture(self.fullgraph, self._roots(), getattr(_own_function(self.fn), "__code__", None))
        arguments = argument_tensors(self.fn, args, kwargs)
        inputs: list[Var] = []
        for name, a in [*zip(_argument_names(self.fn, len(args)), args), *kwargs.items()]:
            if _holds_arrays(a):
                capture.give_up(f"argument {name} is or holds a numpy array (a tensor is read afresh at each call; "
                                "an array's values would be written into the program)", "the call")
        for expression, name, a in arguments:
            if isinstance(a.grad_fn, CompiledBackward) and graph_alive(a):  # its backward is one call: recorded
                capture.graph_inputs[id(a.grad_fn)] = (expression, capture.new(a.grad_fn, "input", name + "_grad_fn"))
            elif a.grad_fn is not None:
                capture.give_up(f"argument {name} is part of a graph built outside the step", "the call")
            if id(a.array) in capture.vars or id(a) in capture.tensor_names:  # the guard does not see it
                capture.give_up(f"argument {name} is another argument or a tensor the function reaches itself",
                                "the call")
            inputs.append(capture.new(a.array, "input", name))
            capture.tensor_names[id(a)] = name
        guarded = _free_keys(self.fn)
        containers = _containers(_own_function(self.fn))
        try:
            with capturing(capture):
                result = self.fn(*args, **kwargs)
        except GraphBreak as error:
            raise RuntimeError(f"te.compile(fullgraph=True): {self.__name__} cannot be captured as one graph: "
                               f"{error}") from None
        entry = Entry()
        try:
            self._build(capture, inputs, arguments, args, result, entry)
        except GraphBreak as error:
            if self.fullgraph:
                raise RuntimeError(f"te.compile(fullgraph=True): {self.__name__} cannot be captured as one graph: "
                                   f"{error}") from None
            entry.eager_reason = str(error)
        if entry.replay is not None and _free_keys(self.fn) != guarded:  # the entry is kept under the new value
            entry.replay, entry.source = None, ""
            entry.eager_reason = ("the call changes a number of its closure or globals (a counter) that its guard "
                                  "reads: each value captures again")
        mutated = [name for name, value, before in containers if _contents(value) != before]
        if mutated and entry.replay is not None:
            entry.replay, entry.source = None, ""
            entry.eager_reason = (f"the call changes {mutated[0]}, a container of its globals or closure: a Python "
                                  "side effect, which a replay would skip")
        side_effects = [(line, f"a Python side effect on {name} at line {line}")
                        for name in mutated for line in lines_using(self.fn, name)]
        breaks: dict[int, str] = {}  # line of the function -> why it breaks (the first reason found there)
        for line, reason in _breaks(capture, result, args) + side_effects:
            breaks.setdefault(line, reason)
        if entry.eager_reason is not None:
            entry.breaks += list(breaks.values()) or [entry.eager_reason]
        self._watch(capture, {id(t) for _, _, t in arguments})
        entry.held = (args, kwargs)  # alive, so that no other argument object takes an id the guard keys on
        entry.compile_seconds = time.perf_counter() - start + (first.compile_seconds if first else 0.0)
        entry.constants = _constants(capture)
        if first is not None:
            entry.confirmed = True
            entry.attempts = first.attempts + 1
            changed = _first_difference(first.constants, entry.constants)
            if changed is None and first.source and entry.source and first.source != entry.source:
                changed = "a Python number written into the program"  # literals live in the source
            if changed is not None and entry.replay is not None and entry.attempts < 3 \
                    and (len(first.constants) != len(entry.constants) or first.source != entry.source):
                entry.confirmed = False  # a first call that took another path (a lazy initialisation): try again
            elif changed is not None and entry.replay is not None:
                entry.replay, entry.source = None, ""
                entry.eager_reason = (f"{changed} reads a value that changed between two calls although no recorded "
                                      "op computed it (plain numpy work on the step's data, outside the ops)")
                entry.breaks.append(entry.eager_reason)
        if entry.replay is None and breaks:
            self._split(entry, list(breaks))
        for reason in entry.breaks if first is None else ():
            stance.log("graph_breaks", f"Graph break in {self.__name__}: {reason}")
        if entry.confirmed and entry.source:
            stance.log("code", f"Program of {self.__name__}:\n{entry.source}")
        self.cache[self._key_before(capture, args, kwargs)] = entry
        self.latest = entry
        return result

    def _key_before(self, capture: Capture, args: tuple, kwargs: dict) -> Any:
        """The guard's key as it read when the call began: the next call looks its program up by the state it
        begins with, and a step may leave .grad otherwise (a piece ending with zero_grad() and a forward)."""
        after = [(leaf, leaf.grad) for leaf, _, _ in capture.grads_before.values()]
        try:
            for leaf, grad, _ in capture.grads_before.values():
                leaf.grad = grad
            return self.key(*args, **kwargs)
        finally:
            for leaf, grad in after:
                leaf.grad = grad

    def _split(self, entry: Entry, lines: list[int]) -> None:
        """Split the function around the statements that break (resume.py); they run as Python at every call."""
        def compile_piece(fn: Callable[..., Any], name: str) -> CompiledFunction:
            piece = CompiledFunction(fn, fullgraph=False, dynamic=self.dynamic)
            piece.__name__, piece.named_from = name, self.fn
            return piece
        split = split_at(_own_function(self.fn), lines, compile_piece)
        if split is not None:
            entry.split, entry.replay, entry.confirmed = split, split, True

    def _roots(self) -> dict[str, Any]:
        """The modules and tensors the function can reach (its globals and closure), by name, for the names
        in the program."""
        fn = self.named_from
        if isinstance(fn, Module):
            return {"model": fn}
        roots: dict[str, Any] = {}
        code = getattr(fn, "__code__", None)
        if code is None:
            return roots
        defaults = [*(getattr(fn, "__defaults__", None) or ())]
        positional = code.co_varnames[:code.co_argcount]
        named = [*zip(positional[len(positional) - len(defaults):], defaults)]
        for name, value in named + [(name, value) for name, value, _ in _free_values(fn)]:
            if isinstance(value, (Module, Tensor)):
                roots.setdefault(name, value)
        return roots

    def _build(self, capture: Capture, inputs: list[Var], arguments: list[tuple[str, str, Tensor]], args: tuple,
               result: Any, entry: Entry) -> None:
        if capture.broken:
            raise GraphBreak(capture.broken, "")
        if needs_backward(result, args):
            if capture.graph_inputs:
                raise GraphBreak("a result whose backward is still to run, computed from an argument's graph", "")
            for _, _, how, where, _ in capture.readbacks:  # the Python code it decided is not replayed
                raise GraphBreak(f"{how} reads a value of the step back into Python", where)
            dropped = [leaf for leaf, var in _final_grads(capture) if var is None]
            if len(dropped) < len(_final_grads(capture)):
                raise GraphBreak("a step that computes a .grad and returns a result whose backward is still to run", "")
            entry.source, entry.replay = split_programs(capture, self.__name__, inputs, arguments, result,
                                                        lambda v: _getter_function(v))
            if dropped:  # zero_grad() in a forward step: before its program (which reads no .grad)
                entry.replay = _dropping_grads(dropped, entry.replay)
            entry.op_count = len(capture.instrs)
            return
        returned: list[Var] = []
        structure = _structure(capture, result, returned, kept_tensors(capture, arguments))
        returned_ids = _returned_ids(result)
        for value, _, how, where, _ in capture.readbacks:
            if id(value) not in returned_ids:
                raise GraphBreak(f"{how} reads a value of the step back into Python", where)
        for group, settings in capture.groups:
            changed = [key for key, value in settings.items() if not _same(group.get(key), value)]
            if changed:
                raise GraphBreak(f"the step changes the optimizer's {changed[0]!r} after its update (a learning-rate "
                                 "scheduler's step() inside it): a replay runs no Python code to do that", "")
        grads = [var for _, var in _final_grads(capture) if var is not None]
        namer = codegen.Namer()
        namer.namespace.update(run_forward=runtime.run_forward, as_tuple=runtime.as_tuple,
                               backward_once=runtime.backward_once)
        params = inputs + [var for _, var in capture.graph_inputs.values()] + capture.externals
        function_name = namer.unique(self.__name__)
        entry.source = codegen.generate(function_name, capture.instrs, params, returned + grads,
                                        returned + grads, namer)
        namespace: dict[str, Any] = {"np": np, "math": math, **namer.namespace}
        exec(builtins.compile(entry.source, f"<te.compile {self.__name__}>", "exec"), namespace)
        program = namespace[function_name]
        entry.replay = _replayer(program, arguments, capture, structure, len(returned))
        entry.op_count = len(capture.instrs)
        entry.breaks += [f"{how} at {where} (a returned value)" for _, _, how, where, _ in capture.readbacks]

    def _watch(self, capture: Capture, argument_ids: set[int]) -> None:
        """Add what this capture depended on to the guard, and rebuild the key function. (An argument's .grad is
        in its own key: a call's argument is another tensor than the capture's.)"""
        for module in capture.modules.values():
            if all(m is not module for m in self.watched_modules):
                self.watched_modules.append(module)
        for var in capture.externals:
            if var.kind in ("param", "grad") and all(t is not var.source for t in self.watched_tensors):
                self.watched_tensors.append(var.source)
        cleared = {key for key, (_, _, first_set_none) in capture.grads_before.items() if first_set_none}
        for leaf in [leaf for leaf, _ in capture.grads_set] + [v.source for v in capture.externals if v.kind == "grad"]:
            if id(leaf) not in cleared | argument_ids and all(t is not leaf for t in self.watched_grads):
                self.watched_grads.append(leaf)
        for var in capture.externals:
            if var.kind == "group" and all(o is not var.source[0] for o in self.watched_optimizers):
                self.watched_optimizers.append(var.source[0])
        self.key = _key_function(self.watched_modules, self.watched_tensors, self.watched_grads,
                                 self.watched_optimizers, self.fn)


def _own_function(fn: Any) -> Any:
    """The Python function whose frame runs the compiled code: `fn`, or a Module's forward."""
    return fn.forward if isinstance(fn, Module) else fn


def _breaks(capture: Capture, result: Any, args: tuple) -> list[tuple[int, str]]:
    """(line of the compiled function, reason) for each graph break of the call at a line of its own code: what
    stopped the capture, and each value read back into Python that is not only returned."""
    found = [(capture.broken_line, capture.broken)] if capture.broken else []
    returned = set() if needs_backward(result, args) else _returned_ids(result)
    found += [(line, f"{how} reads a value of the step back into Python at {where}")
              for value, _, how, where, line in capture.readbacks if id(value) not in returned]
    return [(line, reason) for line, reason in found if line is not None]


def _containers(fn: Any, depth: int = 2) -> list[tuple[str, Any, Any]]:
    """The lists, dicts and sets the function reaches by name in its closure and globals, directly or through a
    function it calls by name (a helper logging into a list), with what they hold now: (the name in `fn`'s code,
    the container, its contents). A call that changes one (`losses.append(loss)`) has a Python side effect."""
    if depth == 0:
        return []
    reached: dict[str, Any] = {}
    for name, value, _ in _free_values(fn):
        reached.setdefault(name, value)
    found = [(name, value, _contents(value)) for name, value in reached.items() if isinstance(value, (list, dict, set))]
    for name, value in reached.items():
        if inspect.isfunction(value) and value is not fn:
            found += [(name, container, held) for _, container, held in _containers(value, depth - 1)]
    return found


def _contents(container: Any) -> tuple:
    """What a list, dict or set holds, by identity, and the sizes of the containers in it (`history["loss"]`)."""
    items = container.items() if isinstance(container, dict) else enumerate(container) \
        if isinstance(container, list) else ((None, v) for v in container)
    return tuple((k, id(v), len(v) if isinstance(v, (list, dict, set)) else -1) for k, v in items)


def _constants(capture: Capture) -> list[tuple[Any, str]]:
    """The values baked into the program, each with the comment of the first line that reads it."""
    readers: dict[int, str] = {}
    for instr in capture.instrs:
        for v in instr.reads:
            readers.setdefault(id(v), instr.comment or "an op")
    return [(v.value, readers.get(id(v), "an op")) for v in capture.vars.values() if v.kind == "const"]


def _first_difference(first: list[tuple[Any, str]], second: list[tuple[Any, str]]) -> str | None:
    """The op reading the first constant that differs between two captures (None when all agree)."""
    if len(first) != len(second):
        return "an op"
    for (a, _), (b, reader) in zip(first, second):
        if np.shape(a) != np.shape(b) or not np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind == "f"):
            return reader
    return None


def _same(a: Any, b: Any) -> bool:
    """Whether two values of an optimizer setting are equal (those that cannot say, by identity)."""
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b


def argument_tensors(fn: Callable[..., Any], args: tuple, kwargs: dict) -> list[tuple[str, str, Tensor]]:
    """Every Tensor among a call's arguments, also inside tuples, lists and dicts (a batch passed as
    `(inputs, targets)`): (an expression reaching it from `args` and `kwargs` at replay, its name in the
    program, the tensor), in a fixed order."""
    found: list[tuple[str, str, Tensor]] = []

    def walk(value: Any, expression: str, name: str) -> None:
        if isinstance(value, Tensor):
            found.append((expression, name, value))
        for k, item in _entries(value) or ():
            walk(item, f"{expression}[{k!r}]", f"{name}_{k}")
    for i, (name, a) in enumerate(zip(_argument_names(fn, len(args)), args)):
        walk(a, f"args[{i}]", name)
    for k, a in kwargs.items():
        walk(a, f"kwargs[{k!r}]", k)
    return found


def _entries(value: Any) -> list[tuple[Any, Any]] | None:
    """The (key, item) pairs of a tuple, list or dict (with str or int keys) an argument is: what the program and its
    guard look inside; None for anything else."""
    if isinstance(value, (tuple, list)):
        return list(enumerate(value))
    if type(value) is dict and all(type(k) in (str, int) for k in value):
        return list(value.items())
    return None


def _argument_names(fn: Callable[..., Any], count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (names + [f"arg{i}" for i in range(len(names), count)])[:count]


def _free_values(fn: Callable[..., Any]) -> list[tuple[str, Any, str]]:
    """What the function reads by name from its closure, then its globals: (name, value now, the expression the
    guard reads it with: `cells[i].cell_contents`, `names.get(name)`). The program has the numbers, strings, bools
    and Nones written in as they were at capture, and reads the tensors and modules it found there at capture, so
    those are guarded by value and these by identity."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return []
    cells = getattr(fn, "__closure__", None) or ()
    found = [(code.co_freevars[i], cell.cell_contents, f"cells[{i}].cell_contents")
             for i, cell in enumerate(cells) if _filled(cell)]
    names = getattr(fn, "__globals__", {})
    return found + [(name, names[name], f"names.get({name!r})") for name in code.co_names if name in names]


def _group_sizes(groups: str, count: int) -> str:
    """How many parameters each of an optimizer's `count` groups holds (False once it has another number of
    groups): `add_param_group` or a group's new parameters capture again."""
    sizes = "".join(f"len({groups}[{j}]['params']), " for j in range(count))
    return f"len({groups}) == {count} and ({sizes})"


def _filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:  # a cell not yet filled
        return False
    return True


def _free_keys(fn: Callable[..., Any]) -> list[Any]:
    return [_free_key(value) for _, value, _ in _free_values(fn)]


def _free_key(value: Any) -> Any:
    return (type(value), value) if isinstance(value, _SCALARS) else id(value)


def _settings(module: Module) -> list[str]:
    """The module's attributes that hold a number, string, bool or None (a dropout rate, an eps...), which
    forward writes into the program, or a tensor that is neither a parameter nor a buffer, which it reads."""
    registered = {*module._parameters, *module._buffers, "training"}
    return [name for name, value in vars(module).items() if isinstance(value, (*_SCALARS, Tensor))
            and name.isidentifier() and not name.startswith("_") and name not in registered]


def _key_function(modules: list[Module], tensors: list[Tensor], grads: list[Tensor], optimizers: list[Any],
                  fn: Callable[..., Any]) -> Callable[..., Any]:
    """The guard: what a capture assumed, as one tuple to look up (inputs' shapes, dtypes and
    requires_grad, non-Tensor arguments, grad mode, the Python numbers, tensors and modules the function
    reads from its closure and globals, the modules' training flags, settings and which parameters, buffers
    and submodules they hold, the parameters' requires_grad and whether their .grad is None, how many parameters each
    optimizer's groups hold). Generated, so that a replay pays one call."""
    parts = {"tuple(map(arg_key, args))": "the arguments (shapes, dtypes, requires_grad, values)",
             "tuple((k, arg_key(v)) for k, v in sorted(kwargs.items())) if kwargs else ()": "the keyword arguments",
             "mode.enabled": "grad mode"}
    parts.update({f"free_key({expression})" if isinstance(current, _SCALARS) else f"id({expression})": name
                  for name, current, expression in _free_values(fn)})
    parts.update({f"m{i}.training": f"{type(m).__name__}.training" for i, m in enumerate(modules)})
    parts.update({f"tuple(map(id, m{i}.{held}.values()))": f"which {held[1:]} a {type(m).__name__} holds"
                  for i, m in enumerate(modules) for held in ("_parameters", "_buffers", "_modules")
                  if getattr(m, held)})
    parts.update({f"m{i}.{name}" if isinstance(getattr(m, name), _SCALARS) else f"id(m{i}.{name})":
                  f"{type(m).__name__}.{name}" for i, m in enumerate(modules) for name in _settings(m)})
    parts.update({f"t{i}.requires_grad": f"requires_grad of a tensor {tuple(t.shape)}" for i, t in enumerate(tensors)})
    parts.update({f"g{i}.grad is None": f"whether .grad is None, of a tensor {tuple(t.shape)}"
                  for i, t in enumerate(grads)})
    parts.update({_group_sizes(f"o{i}.param_groups", len(o.param_groups)): f"the parameters {type(o).__name__} holds"
                  for i, o in enumerate(optimizers)})
    namespace: dict[str, Any] = {"arg_key": _arg_key, "free_key": _free_key, "mode": mode,
                                 "cells": getattr(fn, "__closure__", None), "names": getattr(fn, "__globals__", None),
                                 **{f"m{i}": m for i, m in enumerate(modules)},
                                 **{f"t{i}": t for i, t in enumerate(tensors)},
                                 **{f"g{i}": t for i, t in enumerate(grads)},
                                 **{f"o{i}": o for i, o in enumerate(optimizers)}}
    exec(f"def key(*args, **kwargs):\n    return ({', '.join(parts)},)\n", namespace)
    key: Callable[..., Any] = namespace["key"]
    key.labels = list(parts.values())  # type: ignore[attr-defined]  # what each part of the key guards
    return key


def _arg_key(a: Any) -> Any:
    """What a capture assumed of an argument: a tensor's shape, dtype, requires_grad, the type of its grad_fn and
    whether its .grad is None
    (also inside tuples, lists and dicts, as argument_tensors walks them), a number's value, any other object's
    identity."""
    if type(a) is Tensor:
        array = a.array
        return (array.shape, array.dtype, a.requires_grad, type(a.grad_fn), a.grad is None)
    if isinstance(a, _SCALARS):
        return (type(a), a)
    entries = _entries(a)  # tensors inside are inputs; numbers are written into the program
    if entries is not None:
        return (type(a), tuple((k, _arg_key(v)) for k, v in entries))
    return id(a)


def _holds_arrays(value: Any) -> bool:
    """Whether an argument is a numpy array or holds one in a list, tuple or dict: the program would have the
    values it held at capture written in."""
    return isinstance(value, np.ndarray) or any(_holds_arrays(item) for _, item in _entries(value) or ())


def _returned_ids(result: Any) -> set[int]:
    found: set[int] = set()
    todo = [result]
    while todo:
        value = todo.pop()
        found.add(id(value))
        if isinstance(value, (tuple, list)):
            todo += list(value)
        elif isinstance(value, dict):
            todo += list(value.values())
    return found


def _getter_function(var: Var) -> Callable[[], Any]:
    """A function reading an external Var at replay (see _getter)."""
    namespace: dict[str, Any] = {}
    expression = _getter(var, namespace)
    exec(f"def read():\n    return {expression}\n", namespace)
    read: Callable[[], Any] = namespace["read"]
    return read


def _structure(capture: Capture, value: Any, returned: list[Var], kept: dict[int, tuple]) -> Any:
    """The returned value as a recipe (split.recipe): ("var", i, planned) for the i-th computed array, ("read", i, how)
    for a value read back, ("tensor", array, requires_grad) for a tensor of constants, ("arg", reach) for an argument
    returned as it is and ("const", v) for a parameter (see kept_tensors), a number, a module (see constant)."""
    def leaf(value: Any) -> tuple | None:
        if isinstance(value, Tensor):
            return kept.get(id(value)) or _computed(capture, value, returned)
        for read_value, var, how, _, _ in capture.readbacks:
            if read_value is value and var is not None:
                returned.append(var)
                return ("read", len(returned) - 1, how)
        return None
    return recipe(value, leaf)


def _computed(capture: Capture, value: Tensor, returned: list[Var]) -> tuple:
    if graph_alive(value):
        raise GraphBreak("a result whose backward is still to run, inside a tuple, list or dict (return it "
                         "alone, or compile the whole training step)", "return")
    var = capture.vars.get(id(value.array))
    if var is None and id(value.array) in capture.untracked:
        raise GraphBreak("a returned tensor computed by an operation that has no recorded form",
                         capture.untracked[id(value.array)])
    if var is None or var.kind == "const":  # the same value at every call, in a fresh tensor (it may be changed)
        return ("tensor", value.array.copy(), value.requires_grad)
    returned.append(var)
    return ("var", len(returned) - 1, var.planned)


_CONVERSIONS = {".item()": lambda a: a.item(), "float(tensor)": lambda a: float(a), "int(tensor)": lambda a: int(a),
                ".tolist()": lambda a: a.tolist(), ".numpy()": lambda a: np.array(a)}


def _rebuild(structure: tuple, values: tuple, args: tuple, kwargs: dict) -> Any:
    """The replay's result from the program's values (see _structure)."""
    def leaf(made: tuple) -> Any:
        kind = made[0]
        if kind == "var":
            array = values[made[1]]
            return Tensor._make(array.copy() if made[2] else array)  # a planned buffer is reused next step
        if kind == "tensor":
            return Tensor._leaf(made[1].copy(), made[2])
        if made[2] not in _CONVERSIONS:  # "read"
            raise GraphBreak(f"{made[2]} reads a value of the step back into Python", "return")
        return _CONVERSIONS[made[2]](values[made[1]])
    return rebuild(structure, leaf, args, kwargs)


def _getter(var: Var, namespace: dict[str, Any]) -> str:
    """How the replay reads an external Var (an expression over objects it puts in `namespace`): a
    parameter's current array, its .grad, an optimizer's state for a parameter, a parameter group."""
    source = var.source
    if var.kind in ("param", "grad"):
        name = _bind(namespace, source, "p")
        return f"{name}.array" if var.kind == "param" else f"{name}.grad.array"
    optimizer, key = source
    name = _bind(namespace, optimizer, "optimizer")
    if var.kind == "state":
        return f"{name}.state[{_bind(namespace, key, 'p')}]"
    return f"{name}.param_groups[{key}]"


def _bind(namespace: dict[str, Any], value: Any, prefix: str) -> str:
    for name, known in namespace.items():
        if known is value:
            return name
    name = f"{prefix}{len(namespace)}"
    namespace[name] = value
    return name


def _dropping_grads(leaves: list[Tensor], replay: Callable[..., Any]) -> Callable[..., Any]:
    def replay_dropping(*args: Any, **kwargs: Any) -> Any:
        for leaf in leaves:
            leaf.grad = None
        return replay(*args, **kwargs)
    return replay_dropping


def _final_grads(capture: Capture) -> list[tuple[Tensor, Var | None]]:
    """Each leaf whose .grad the step set, with the value it set last (None: no gradient)."""
    final: dict[int, tuple[Tensor, Var | None]] = {}
    for leaf, var in capture.grads_set:
        final.pop(id(leaf), None)  # in the order of their last setting
        final[id(leaf)] = (leaf, var)
    return list(final.values())


def _replayer(program: Callable[..., Any], arguments: list[tuple[str, str, Tensor]], capture: Capture,
              structure: Any, n_returned: int) -> Callable[..., Any]:
    """The function a replay calls: read the arrays, run the program, set the .grad it computed, bump
    the version of the parameters it updated, wrap the results. Generated, like the program."""
    namespace: dict[str, Any] = {"program": program, "make": Tensor._make, "record_writes": record_writes,
                                 "rebuild": _rebuild, "structure": structure}
    reads = [f"{expression}.array" for expression, _, _ in arguments]
    reads += [f"{expression}.grad_fn" for expression, _ in capture.graph_inputs.values()]
    reads += [_getter(v, namespace) for v in capture.externals]
    body = [f"values = program({', '.join(reads)})"]
    reached = {id(t): expression for expression, _, t in arguments}
    k = n_returned
    for leaf, var in _final_grads(capture):
        owner = reached.get(id(leaf)) or _bind(namespace, leaf, "p")
        body.append(f"{owner}.grad = None" if var is None else f"{owner}.grad = make(values[{k}])")
        k += var is not None
    updated = any(i.phase == "optimizer" for i in capture.instrs)
    written = [_getter(v, namespace) for v in capture.externals
               if v.kind == "param" and (updated or any(v is s for s in capture.stored))]
    if written:
        body.append(f"record_writes(({', '.join(written)}{',' if len(written) == 1 else ''}))")
    if structure[0] == "var" and not structure[2]:  # one computed scalar or unplanned array: the common case
        body.append("return make(values[0])")
    else:
        body.append("return rebuild(structure, values, args, kwargs)")
    source = "def replay(*args, **kwargs):\n" + "".join(f"    {line}\n" for line in body)
    exec(source, namespace)
    return namespace["replay"]


def compile(model: Any = None, *, fullgraph: bool = False, dynamic: bool | None = None, backend: Any = "inductor",
            mode: str | None = None, options: dict | None = None, disable: bool = False) -> Any:
    """torch.compile's signature. Captures the calls of `model` (a function, e.g. a whole training step
    with backward() and the optimizer's step(), or a Module's forward) and replays them as generated numpy
    code. `backend`, `mode` and `options` choose among torch's compilers and are accepted but have no
    effect here (there is one: this one); `dynamic=True` is accepted, but every new shape still gets its
    own capture. `disable=True` returns `model` itself."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    if not callable(model):
        raise TypeError(f"te.compile: expected a function or a Module, got {type(model).__name__}")
    if mode not in (None, "default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        raise RuntimeError(f"te.compile: unrecognized mode={mode!r}")
    if callable(backend):
        raise NotImplementedError("te.compile: a custom backend (a function given torch.fx graphs) is not supported: "
                                  "tinygrad_ed has no FX graphs; its one backend generates numpy code (see .code)")
    if backend not in TORCH_BACKENDS:
        raise RuntimeError(f"te.compile: invalid backend {backend!r} (torch's are {', '.join(TORCH_BACKENDS)}; "
                           "each gives the same numpy program here)")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"te.compile: options must be a dict, got {type(options).__name__}")
    if disable:
        return model
    compiled = CompiledFunction(model, fullgraph, dynamic)
    return OptimizedModule(model, compiled) if isinstance(model, Module) else compiled


class OptimizedModule(Module):
    """What te.compile returns for a Module, as torch.compile does: a Module around it (`_orig_mod`) whose
    calls run the compiled forward. It has the module's parameters and buffers (state_dict keys carry the
    `_orig_mod.` prefix, as torch's), train() and eval() reach the module, and any other attribute is the
    module's. `code` and `cache` are the compiled forward's."""

    def __init__(self, module: Module, compiled: CompiledFunction):
        super().__init__()
        self._orig_mod = module
        object.__setattr__(self, "_compiled", compiled)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self._compiled(*args, **kwargs)

    @property
    def code(self) -> str:
        return self._compiled.code

    @property
    def cache(self) -> dict:
        return self._compiled.cache

    def __getattr__(self, name: str) -> Any:  # only for names the wrapper itself lacks
        module = self.__dict__.get("_modules", {}).get("_orig_mod")
        if module is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")
        return getattr(module, name)


def disable(fn: Callable[..., Any] | None = None, recursive: bool = True, *, reason: str | None = None) -> Any:
    """torch.compiler.disable: `fn` always runs as plain Python. Called inside a compiled function it is a
    graph break (the statement calling it runs as Python; with fullgraph=True, an error naming the line)."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)

    @functools.wraps(fn)
    def eager(*args: Any, **kwargs: Any) -> Any:
        capture = Capture.active
        if capture is not None and not capture.depth:
            why = f" ({reason})" if reason else ""
            capture.give_up(f"{getattr(fn, '__name__', 'a function')} is marked te.compiler.disable{why}", user_line())
        return fn(*args, **kwargs)
    return eager


def graph_break() -> None:
    """torch._dynamo.graph_break: a graph break where it is called (the statement calling it runs as Python)."""
    capture = Capture.active
    if capture is not None and not capture.depth:
        capture.give_up("graph_break() called", user_line())


def cudagraph_mark_step_begin() -> None:
    """torch.compiler.cudagraph_mark_step_begin: marks a new iteration for CUDA graphs' memory; nothing to do here
    (a replay's returned arrays are copies, not buffers the next replay overwrites)."""


def is_compiling() -> bool:
    """torch.compiler.is_compiling: True while a compiled function's call is being captured (a replay runs no
    Python code of the function)."""
    return Capture.active is not None


def reset() -> None:
    """Forget every capture of every compiled function (torch.compiler.reset)."""
    for compiled in list(_compiled):
        compiled.reset()

